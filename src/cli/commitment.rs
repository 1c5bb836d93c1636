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

use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::model::Model;
use zkcnn::network::proof::field_id;
use zkcnn::network::ModelCommitment;

/// The first bytes of every commitment file.
pub const MAGIC: &[u8; 8] = b"ZKCNNCOM";
/// The commitment file's format version (2: the commitment carries its check; 3: the check opens
/// the model and the multiplicities together; 4: the multiplicities' claims are reduced where
/// they join the model's folding; 5: 25-byte Merkle digests).
pub const VERSION: u16 = 5;
const HEADER: usize = 8 + 2 + 1 + 32;

/// Why commitment bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentFileError {
    /// Wrong magic bytes.
    #[error("not a zkcnn commitment file (bad magic bytes)")]
    NotACommitment,
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
    #[error("commitment format version {0}; this build reads version {VERSION}")]
    Version(u16),
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
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.push(field_id::<F>());
        out.extend_from_slice(&self.architecture);
        out.extend(zkcnn::codec::to_bytes(&self.commitment));
        out
    }

    /// Reads a commitment file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CommitmentFileError> {
        if bytes.len() >= MAGIC.len() && !bytes.starts_with(MAGIC) {
            return Err(CommitmentFileError::NotACommitment);
        }
        if bytes.len() < HEADER {
            return Err(CommitmentFileError::Truncated {
                got: bytes.len(),
                expected: HEADER,
            });
        }
        let (head, body) = bytes.split_at(HEADER);
        let version = u16::from_le_bytes([head[8], head[9]]);
        if version != VERSION {
            return Err(CommitmentFileError::Version(version));
        }
        if head[10] != field_id::<F>() {
            return Err(CommitmentFileError::Field {
                expected: field_id::<F>(),
                got: head[10],
            });
        }
        let mut architecture = [0u8; 32];
        architecture.copy_from_slice(&head[11..HEADER]);
        let commitment = zkcnn::codec::from_bytes(body).map_err(|e| match e {
            zkcnn::codec::DecodeError::TrailingBytes { count } => {
                CommitmentFileError::Trailing(count)
            }
            zkcnn::codec::DecodeError::Malformed(m) if m.contains("UnexpectedEof") => {
                CommitmentFileError::TruncatedBody(bytes.len())
            }
            other => CommitmentFileError::Body(other.to_string()),
        })?;
        Ok(CommitmentFile {
            architecture,
            commitment,
        })
    }
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
        let mut other = bytes;
        other[10] = 1;
        assert!(matches!(
            CommitmentFile::from_bytes(&other),
            Err(CommitmentFileError::Field { .. })
        ));
    }
}
