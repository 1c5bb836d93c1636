//! The commitment file that `zkcnn commit` writes and `prove --commitment` and `verify` read:
//! what a verifier keeps of a model besides its architecture.
//!
//! ```text
//!   magic         8 bytes   "ZKCNNCOM"
//!   version       2 bytes   little-endian, VERSION
//!   field         1 byte    0 = Goldilocks with its quadratic extension, 1 = BN254 Fr
//!   architecture 32 bytes   blake3 of the model's architecture JSON (Model::architecture_json)
//!   commitment              the ModelCommitment (the Basefold commitment, then the proof that
//!                           it holds a model of the architecture), ark-serialize compressed;
//!                           no bytes may be left over
//! ```
//!
//! `zkcnn commit` (without --transparent) writes a hiding commitment in the same layout with
//! magic "ZKCNNZKC", its own version ([`ZK_VERSION`]), and the [`ZkCommitment`] (root, variables, mask
//! variables) followed by its zero-knowledge check (`network::ZkModelCheck`) as the body.
//! `zkcnn commit-input` writes a committed input's in the same layout with magic "ZKCNNZKI",
//! version [`INPUT_VERSION`], and the input's [`ZkCommitment`] as the body (the architecture is
//! the one it was committed for: it fixes the input's shape and the commitment's size).
//! `zkcnn commit-input` on a batch of `N` inputs writes the batch's in the same layout with magic
//! "ZKCNNZKB", version [`BATCH_VERSION`], and the count `N` (u64) then the batch's
//! [`ZkCommitment`] as the body: a file says whether it commits one input or a batch, and how
//! many. `zkcnn commit-dataset` writes a labelled dataset's in the same layout with magic
//! "ZKCNNZKD", version [`DATASET_VERSION`], and the [`ZkDatasetCommitment`] (the count `N`, the
//! inputs' commitment, the labels' commitment) as the body; `commit-dataset --shard-size` a
//! dataset committed in shards with magic "ZKCNNZKS", version [`SHARDED_VERSION`], and the
//! [`ZkShardedDataset`] (the count, then every shard's range and commitment) as the body.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::model::Model;
use zkcnn::network::proof::field_id;
use zkcnn::network::{ModelCommitment, ZkDatasetCommitment, ZkShardedDataset};
use zkcnn::pcs::zk::ZkCommitment;

/// The first bytes of every commitment file.
pub const MAGIC: &[u8; 8] = b"ZKCNNCOM";
/// The commitment file's format version (2: the commitment carries its check; 3: the check opens
/// the model and the multiplicities together; 4: the multiplicities' claims are reduced where
/// they join the model's folding; 5: 25-byte Merkle digests).
pub const VERSION: u16 = 5;
/// The first bytes of every hiding (zero-knowledge) commitment file.
pub const ZK_MAGIC: &[u8; 8] = b"ZKCNNZKC";
/// The hiding commitment file's format version (2: the commitment carries its zero-knowledge
/// check, `network::zk_check`).
pub const ZK_VERSION: u16 = 2;
/// The first bytes of every committed input's file (`zkcnn commit-input`).
pub const INPUT_MAGIC: &[u8; 8] = b"ZKCNNZKI";
/// The committed input file's format version.
pub const INPUT_VERSION: u16 = 1;
/// The first bytes of every committed batch's file (`zkcnn commit-input` on a batch).
pub const BATCH_MAGIC: &[u8; 8] = b"ZKCNNZKB";
/// The committed batch file's format version.
pub const BATCH_VERSION: u16 = 1;
/// The first bytes of every committed dataset's file (`zkcnn commit-dataset`).
pub const DATASET_MAGIC: &[u8; 8] = b"ZKCNNZKD";
/// The committed dataset file's format version.
pub const DATASET_VERSION: u16 = 1;
/// The first bytes of every file of a dataset committed in shards (`commit-dataset
/// --shard-size`).
pub const SHARDED_MAGIC: &[u8; 8] = b"ZKCNNZKS";
/// The sharded dataset file's format version.
pub const SHARDED_VERSION: u16 = 1;
const HEADER: usize = 8 + 2 + 1 + 32;

/// Why commitment bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentFileError {
    /// Wrong magic bytes.
    #[error("not a zkcnn commitment file (bad magic bytes)")]
    NotACommitment,
    /// A commitment of the other kind: a hiding commitment where a transparent one is read, or
    /// the other way round.
    #[error("{}", if *.hiding {
        "this is a hiding commitment (from `commit`): it serves zero-knowledge proofs only \
         (`prove` without --transparent)"
    } else {
        "this is a transparent commitment (from `commit --transparent`): it serves transparent \
         proofs only (`prove --transparent`); zero-knowledge proofs need the hiding commitment \
         from `commit` without --transparent"
    })]
    OtherKind {
        /// Whether the file holds a hiding commitment.
        hiding: bool,
    },
    /// Shorter than the header.
    #[error("file is truncated ({got} bytes; the header alone has {expected})")]
    Truncated {
        /// Bytes present.
        got: usize,
        /// Bytes the header needs.
        expected: usize,
    },
    /// The commitment ends early.
    #[error("file is truncated ({0} bytes; the commitment ends early)")]
    TruncatedBody(usize),
    /// Longer than the commitment.
    #[error("{0} unexpected bytes after the commitment")]
    Trailing(usize),
    /// Another version.
    #[error("commitment format version {got}; this build reads version {expected}")]
    Version {
        /// The version in the file.
        got: u16,
        /// The version this build reads.
        expected: u16,
    },
    /// Another field.
    #[error("the commitment is over field {got}; expected field {expected}")]
    Field {
        /// Expected id.
        expected: u8,
        /// Id in the file.
        got: u8,
    },
    /// The body does not decode.
    #[error("malformed commitment: {0}")]
    Body(String),
}

/// blake3 of the model's architecture JSON.
pub fn architecture_digest(model: &Model) -> [u8; 32] {
    *blake3::hash(model.architecture_json().as_bytes()).as_bytes()
}

/// A commitment with the architecture it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitmentFile {
    /// blake3 of the architecture JSON.
    pub architecture: [u8; 32],
    /// The model commitment and its check.
    pub commitment: ModelCommitment<F, E>,
}

impl CommitmentFile {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        write(MAGIC, VERSION, &self.architecture, &self.commitment)
    }

    /// Reads a commitment file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CommitmentFileError> {
        if bytes.starts_with(ZK_MAGIC) {
            return Err(CommitmentFileError::OtherKind { hiding: true });
        }
        let (architecture, commitment) = read(bytes, MAGIC, VERSION)?;
        Ok(CommitmentFile {
            architecture,
            commitment,
        })
    }
}

/// A hiding commitment (`commit`, the default) with the architecture it belongs to: what verifiers of
/// zero-knowledge proofs keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkCommitmentFile {
    /// blake3 of the architecture JSON.
    pub architecture: [u8; 32],
    /// The hiding commitment.
    pub commitment: ZkCommitment,
    /// The zero-knowledge proof that it holds a model of the architecture.
    pub check: zkcnn::network::ZkModelCheck<F, E>,
}

impl ZkCommitmentFile {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        write(
            ZK_MAGIC,
            ZK_VERSION,
            &self.architecture,
            &(self.commitment.clone(), self.check.clone()),
        )
    }

    /// Reads a hiding commitment file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CommitmentFileError> {
        if bytes.starts_with(MAGIC) {
            return Err(CommitmentFileError::OtherKind { hiding: false });
        }
        let (architecture, (commitment, check)) = read(bytes, ZK_MAGIC, ZK_VERSION)?;
        Ok(ZkCommitmentFile {
            architecture,
            commitment,
            check,
        })
    }
}

/// A committed input or batch (`commit-input`) with the architecture it was committed for:
/// what the verifier of a proof on hidden inputs receives instead of the inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkInputCommitmentFile {
    /// blake3 of the architecture JSON.
    pub architecture: [u8; 32],
    /// `None` for one input ([`zkcnn::network::commit_input_zk`]); `Some(N)` for a batch of `N`
    /// inputs committed together ([`zkcnn::network::commit_batch_zk`]).
    pub count: Option<u64>,
    /// The hiding commitment of the input, or of the batch.
    pub commitment: ZkCommitment,
}

impl ZkInputCommitmentFile {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self.count {
            None => write(
                INPUT_MAGIC,
                INPUT_VERSION,
                &self.architecture,
                &self.commitment,
            ),
            Some(n) => write(
                BATCH_MAGIC,
                BATCH_VERSION,
                &self.architecture,
                &(n, self.commitment.clone()),
            ),
        }
    }

    /// Reads a committed input's or batch's file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CommitmentFileError> {
        if bytes.starts_with(BATCH_MAGIC) {
            let (architecture, (count, commitment)) =
                read::<(u64, ZkCommitment)>(bytes, BATCH_MAGIC, BATCH_VERSION)?;
            return Ok(ZkInputCommitmentFile {
                architecture,
                count: Some(count),
                commitment,
            });
        }
        let (architecture, commitment) = read(bytes, INPUT_MAGIC, INPUT_VERSION)?;
        Ok(ZkInputCommitmentFile {
            architecture,
            count: None,
            commitment,
        })
    }
}

/// A committed labelled dataset (`commit-dataset`) with the architecture it was committed for:
/// what the verifier of an accuracy proof on hidden inputs and labels receives instead of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkDatasetCommitmentFile {
    /// blake3 of the architecture JSON.
    pub architecture: [u8; 32],
    /// The count and the inputs' and labels' hiding commitments.
    pub commitment: ZkDatasetCommitment,
}

impl ZkDatasetCommitmentFile {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        write(
            DATASET_MAGIC,
            DATASET_VERSION,
            &self.architecture,
            &self.commitment,
        )
    }

    /// Reads a committed dataset's file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CommitmentFileError> {
        let (architecture, commitment) = read(bytes, DATASET_MAGIC, DATASET_VERSION)?;
        Ok(ZkDatasetCommitmentFile {
            architecture,
            commitment,
        })
    }
}

/// A labelled dataset committed in shards (`commit-dataset --shard-size`) with the
/// architecture it was committed for: what the verifier of sharded zero-knowledge accuracy
/// proofs receives instead of the inputs and the labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkShardedDatasetFile {
    /// blake3 of the architecture JSON.
    pub architecture: [u8; 32],
    /// The count and every shard's range and commitment.
    pub dataset: ZkShardedDataset,
}

impl ZkShardedDatasetFile {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        write(
            SHARDED_MAGIC,
            SHARDED_VERSION,
            &self.architecture,
            &self.dataset,
        )
    }

    /// Reads a sharded dataset's file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CommitmentFileError> {
        let (architecture, dataset) = read(bytes, SHARDED_MAGIC, SHARDED_VERSION)?;
        Ok(ZkShardedDatasetFile {
            architecture,
            dataset,
        })
    }
}

/// A commitment file's bytes: header, then the body.
fn write<T: CanonicalSerialize>(
    magic: &[u8; 8],
    version: u16,
    architecture: &[u8; 32],
    body: &T,
) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    out.push(field_id::<F>());
    out.extend_from_slice(architecture);
    out.extend(zkcnn::codec::to_bytes(body));
    out
}

/// A commitment file's architecture digest and body, its header checked.
fn read<T: CanonicalDeserialize>(
    bytes: &[u8],
    magic: &[u8; 8],
    expected: u16,
) -> Result<([u8; 32], T), CommitmentFileError> {
    if bytes.len() >= magic.len() && !bytes.starts_with(magic) {
        return Err(CommitmentFileError::NotACommitment);
    }
    let Some((head, body)) = bytes.split_at_checked(HEADER) else {
        return Err(CommitmentFileError::Truncated {
            got: bytes.len(),
            expected: HEADER,
        });
    };
    let version = u16::from_le_bytes([head[8], head[9]]);
    if version != expected {
        return Err(CommitmentFileError::Version {
            got: version,
            expected,
        });
    }
    if head[10] != field_id::<F>() {
        return Err(CommitmentFileError::Field {
            expected: field_id::<F>(),
            got: head[10],
        });
    }
    let mut architecture = [0u8; 32];
    architecture.copy_from_slice(&head[11..HEADER]);
    let body = zkcnn::codec::from_bytes(body).map_err(|e| match e {
        zkcnn::codec::DecodeError::TrailingBytes { count } => CommitmentFileError::Trailing(count),
        zkcnn::codec::DecodeError::Malformed(m) if m.contains("UnexpectedEof") => {
            CommitmentFileError::TruncatedBody(bytes.len())
        }
        other => CommitmentFileError::Body(other.to_string()),
    })?;
    Ok((architecture, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_every_truncation() {
        let model = zkcnn::model::zoo::lenet5(1);
        let committed = zkcnn::network::commit_model::<F, E>(&model).unwrap();
        let file = CommitmentFile {
            architecture: architecture_digest(&model),
            commitment: committed.public.clone(),
        };
        let bytes = file.to_bytes();
        assert_eq!(CommitmentFile::from_bytes(&bytes), Ok(file));
        for n in (0..bytes.len()).step_by(97).chain([bytes.len() - 1]) {
            assert!(CommitmentFile::from_bytes(&bytes[..n]).is_err());
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            CommitmentFile::from_bytes(&long),
            Err(CommitmentFileError::Trailing(1))
        );
        assert_eq!(
            ZkCommitmentFile::from_bytes(&bytes),
            Err(CommitmentFileError::OtherKind { hiding: false })
        );
        let mut other = bytes;
        other[10] = 1;
        assert!(matches!(
            CommitmentFile::from_bytes(&other),
            Err(CommitmentFileError::Field { .. })
        ));
    }

    #[test]
    fn input_and_batch_commitment_files_round_trip_and_say_which() {
        let model = zkcnn::model::zoo::mlp(1);
        let mut rng = rand::rngs::OsRng;
        let xs: Vec<_> = (0..3)
            .map(|i| zkcnn::model::zoo::random_input(&model.input_shape, model.activation_bits, i))
            .collect();
        let one = zkcnn::network::commit_input_zk::<F, E, _>(&model, &xs[0], &mut rng).unwrap();
        let batch = zkcnn::network::commit_batch_zk::<F, E, _>(&model, &xs, &mut rng).unwrap();
        for (count, commitment) in [(None, one.commitment), (Some(3), batch.commitment)] {
            let file = ZkInputCommitmentFile {
                architecture: architecture_digest(&model),
                count,
                commitment,
            };
            let bytes = file.to_bytes();
            let magic = if count.is_some() {
                BATCH_MAGIC
            } else {
                INPUT_MAGIC
            };
            assert!(bytes.starts_with(magic));
            assert_eq!(ZkInputCommitmentFile::from_bytes(&bytes), Ok(file));
            for n in 0..bytes.len() {
                assert!(
                    ZkInputCommitmentFile::from_bytes(&bytes[..n]).is_err(),
                    "{n}"
                );
            }
            let mut long = bytes.clone();
            long.push(0);
            assert_eq!(
                ZkInputCommitmentFile::from_bytes(&long),
                Err(CommitmentFileError::Trailing(1))
            );
        }
    }

    #[test]
    fn dataset_commitment_files_round_trip_and_refuse_other_files() {
        let model = zkcnn::model::zoo::mlp(1);
        let mut rng = rand::rngs::OsRng;
        let xs: Vec<_> = (0..3)
            .map(|i| zkcnn::model::zoo::random_input(&model.input_shape, model.activation_bits, i))
            .collect();
        let dataset =
            zkcnn::network::commit_dataset_zk::<F, E, _>(&model, &xs, &[0, 2, 1], &mut rng)
                .unwrap();
        let file = ZkDatasetCommitmentFile {
            architecture: architecture_digest(&model),
            commitment: dataset.commitment(),
        };
        let bytes = file.to_bytes();
        assert!(bytes.starts_with(DATASET_MAGIC));
        assert_eq!(ZkDatasetCommitmentFile::from_bytes(&bytes), Ok(file));
        for n in 0..bytes.len() {
            assert!(
                ZkDatasetCommitmentFile::from_bytes(&bytes[..n]).is_err(),
                "{n}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            ZkDatasetCommitmentFile::from_bytes(&long),
            Err(CommitmentFileError::Trailing(1))
        );
        // A batch's input commitment is not a dataset's, nor the other way round.
        let batch = ZkInputCommitmentFile {
            architecture: architecture_digest(&model),
            count: Some(3),
            commitment: dataset.commitment().inputs,
        };
        assert_eq!(
            ZkDatasetCommitmentFile::from_bytes(&batch.to_bytes()),
            Err(CommitmentFileError::NotACommitment)
        );
        assert_eq!(
            ZkInputCommitmentFile::from_bytes(&bytes),
            Err(CommitmentFileError::NotACommitment)
        );
    }

    #[test]
    fn sharded_dataset_files_round_trip_and_refuse_a_dataset_file() {
        let model = zkcnn::model::zoo::mlp(1);
        let mut rng = rand::rngs::OsRng;
        let xs: Vec<_> = (0..3)
            .map(|i| zkcnn::model::zoo::random_input(&model.input_shape, model.activation_bits, i))
            .collect();
        let (dataset, _) = zkcnn::network::commit_dataset_zk_sharded::<F, E, _>(
            &model,
            &xs,
            &[0, 2, 1],
            2,
            &mut rng,
        )
        .unwrap();
        let file = ZkShardedDatasetFile {
            architecture: architecture_digest(&model),
            dataset,
        };
        let bytes = file.to_bytes();
        assert!(bytes.starts_with(SHARDED_MAGIC));
        assert_eq!(ZkShardedDatasetFile::from_bytes(&bytes), Ok(file.clone()));
        for n in 0..bytes.len() {
            assert!(
                ZkShardedDatasetFile::from_bytes(&bytes[..n]).is_err(),
                "{n}"
            );
        }
        let one = ZkDatasetCommitmentFile {
            architecture: file.architecture,
            commitment: file.dataset.shards[0].commitment.clone(),
        };
        assert_eq!(
            ZkShardedDatasetFile::from_bytes(&one.to_bytes()),
            Err(CommitmentFileError::NotACommitment)
        );
        assert_eq!(
            ZkDatasetCommitmentFile::from_bytes(&bytes),
            Err(CommitmentFileError::NotACommitment)
        );
    }

    #[test]
    fn hiding_commitment_files_round_trip_and_name_the_other_kind() {
        let model = zkcnn::model::zoo::mlp(1);
        let mut rng = rand::rngs::OsRng;
        let mut committed = zkcnn::network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
        let check =
            zkcnn::network::prove_model_check_zk::<F, E, _>(&model, &mut committed, &mut rng)
                .unwrap();
        let file = ZkCommitmentFile {
            architecture: architecture_digest(&model),
            commitment: committed.commitment.clone(),
            check,
        };
        let bytes = file.to_bytes();
        assert_eq!(ZkCommitmentFile::from_bytes(&bytes), Ok(file));
        assert_eq!(
            CommitmentFile::from_bytes(&bytes),
            Err(CommitmentFileError::OtherKind { hiding: true })
        );
        for n in (0..bytes.len()).step_by(97).chain([bytes.len() - 1]) {
            assert!(ZkCommitmentFile::from_bytes(&bytes[..n]).is_err(), "{n}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            ZkCommitmentFile::from_bytes(&long),
            Err(CommitmentFileError::Trailing(1))
        );
        let mut old = bytes;
        old[8] = 9;
        assert_eq!(
            ZkCommitmentFile::from_bytes(&old),
            Err(CommitmentFileError::Version {
                got: 9,
                expected: ZK_VERSION
            })
        );
    }
}
