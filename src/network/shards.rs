//! Sharded accuracy proofs (`spec/accuracy.md`, "Shards"): a dataset of `n` labelled public
//! inputs is proven in shards, each an ordinary accuracy proof ([`super::accuracy`]) of the
//! same committed model over a contiguous slice `[start, end)`; the verifier checks that the
//! slices are disjoint and cover `0..n` exactly, each proof against its own slice and the one
//! model commitment, and sums the counts.
//!
//! A [`Manifest`] (JSON) names the model commitment (its Basefold root), the dataset (a blake3
//! digest of its inputs and labels, [`dataset_digest`]) and, per shard, its range, its proof
//! file and its claimed count. Every refusal is a [`ShardError`] naming the shard (its
//! position in the manifest).
//!
//! In zero knowledge the dataset is hidden: the data owner commits it in shards
//! ([`commit_dataset_zk_sharded`]: each contiguous slice a labelled dataset of its own,
//! [`super::commit_dataset_zk`]) and publishes the [`ZkShardedDataset`] (every shard's range
//! and commitment; [`ZkShardedDataset::digest`] names it in a manifest). Each shard's proof is
//! a zero-knowledge accuracy proof on its own committed slice, checked against that slice's
//! commitment ([`verify_accuracy_zk_shards`]); a proof made on another dataset's shard is
//! another statement.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::accuracy::{accuracy_statement_digest, verify_accuracy, AccuracyProof};
use super::batch::MAX_BATCH;
use super::commitment::CheckedCommitment;
use super::zk_accuracy::{
    commit_dataset_zk, verify_accuracy_zk_dataset, ZkAccuracyProof, ZkCommittedDataset,
    ZkDatasetCommitment,
};
use super::zk_check::CheckedZkCommitment;
use super::{FormatError, NetworkError, VerifyError};
use crate::field::{BaseField, ExtField};
use crate::model::Model;
use ark_ff::FftField;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ndarray::ArrayD;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// The manifest's `format` field.
pub const MANIFEST_FORMAT: &str = "zkcnn-accuracy-shards";
/// The manifest version this build reads and writes.
pub const MANIFEST_VERSION: u32 = 1;
/// At most this many shards in a manifest.
pub const MAX_SHARDS: usize = 1 << 16;
/// At most this many inputs in a sharded dataset.
pub const MAX_DATASET: u64 = 1 << 32;

/// One shard of a manifest: the slice `[start, end)` of the dataset, its claimed count of
/// correctly classified inputs and the path of its proof (relative to the manifest's folder).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardEntry {
    /// First input of the slice.
    pub start: u64,
    /// One past the slice's last input.
    pub end: u64,
    /// The claimed count `k` of the slice (the proof's must be equal).
    pub correct: u64,
    /// The proof file.
    pub proof: String,
}

/// A set of shard proofs over one dataset (the JSON file `verify --shards` reads).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// Always [`MANIFEST_VERSION`].
    pub version: u32,
    /// The model commitment's Basefold root, hex ([`commitment_id`]).
    pub model_commitment: String,
    /// The dataset's digest, hex ([`dataset_digest`]).
    pub dataset: String,
    /// The dataset's inputs `n`.
    pub count: u64,
    /// The shards, in any order.
    pub shards: Vec<ShardEntry>,
}

/// Whether `path` names a file inside the manifest's folder: relative, not empty, every
/// component a plain name (or `.`), none `..`, no root or drive prefix.
fn inside_folder(path: &str) -> bool {
    use std::path::Component;
    let p = std::path::Path::new(path);
    p.components().any(|c| matches!(c, Component::Normal(_)))
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Why a set of shard proofs is refused. `shard` is a position in the manifest (from 0).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// The manifest is not JSON of the manifest's shape.
    #[error("the manifest does not parse: {0}")]
    Manifest(String),
    /// Another format or version.
    #[error("the manifest is format '{format}' version {version}; this build reads '{MANIFEST_FORMAT}' version {MANIFEST_VERSION}")]
    Version {
        /// The format field.
        format: String,
        /// The version field.
        version: u32,
    },
    /// No shards, or more than [`MAX_SHARDS`].
    #[error("the manifest has {0} shards; it takes 1 to {MAX_SHARDS}")]
    ShardCount(usize),
    /// A shard's proof path is not a relative path inside the manifest's folder (absolute,
    /// empty, or with a `..` component): a verifier reads only files beside the manifest.
    #[error(
        "shard {shard}: proof path '{path}' is not a relative path inside the manifest's folder"
    )]
    ProofPath {
        /// The shard.
        shard: usize,
        /// Its proof path.
        path: String,
    },
    /// The manifest is for another model commitment.
    #[error("the manifest is for model commitment {manifest}, not {given}")]
    ModelCommitment {
        /// The manifest's.
        manifest: String,
        /// The commitment given to the verifier.
        given: String,
    },
    /// The manifest is for another dataset (its digest or its count).
    #[error("the manifest is for a dataset of {manifest_count} inputs with digest {manifest}, not the given {given_count} inputs with digest {given}")]
    Dataset {
        /// The manifest's digest.
        manifest: String,
        /// The manifest's count.
        manifest_count: u64,
        /// The given dataset's digest.
        given: String,
        /// The given dataset's count.
        given_count: u64,
    },
    /// A shard's range is empty, reversed, past the dataset's end, or larger than one
    /// accuracy proof takes.
    #[error("shard {shard}: range {start}..{end} is not a slice of 1 to {MAX_BATCH} of the dataset's {count} inputs")]
    Range {
        /// The shard.
        shard: usize,
        /// Its start.
        start: u64,
        /// Its end.
        end: u64,
        /// The dataset's inputs.
        count: u64,
    },
    /// Two shards with the same range.
    #[error("shards {first} and {second} are the same slice {start}..{end}")]
    Duplicate {
        /// The first, in the manifest.
        first: usize,
        /// The second.
        second: usize,
        /// The slice's start.
        start: u64,
        /// The slice's end.
        end: u64,
    },
    /// Two shards share inputs.
    #[error("shards {first} and {second} overlap on {start}..{end}")]
    Overlap {
        /// The shard that starts first.
        first: usize,
        /// The other.
        second: usize,
        /// The shared inputs' start.
        start: u64,
        /// Their end.
        end: u64,
    },
    /// No shard covers the inputs `start..end`.
    #[error("no shard covers the inputs {start}..{end}")]
    Gap {
        /// The first uncovered input.
        start: u64,
        /// One past the last.
        end: u64,
    },
    /// Not one label per input.
    #[error("the dataset has {inputs} inputs and {labels} labels")]
    Labels {
        /// Inputs given.
        inputs: usize,
        /// Labels given.
        labels: usize,
    },
    /// The manifest's claimed count is not the proof's.
    #[error("shard {shard}: the manifest claims {manifest} correct, the proof {proof}")]
    Claimed {
        /// The shard.
        shard: usize,
        /// The manifest's count.
        manifest: u64,
        /// The proof's.
        proof: u64,
    },
    /// The shard's proof bytes are not an accuracy proof of this statement (the model, its
    /// commitment, the shard's slice of inputs and labels).
    #[error("shard {shard}: {source}")]
    Format {
        /// The shard.
        shard: usize,
        /// Why.
        source: FormatError,
    },
    /// A shard's range is not one of the committed dataset's shards (zero knowledge: every
    /// proof is made on one committed shard).
    #[error("shard {shard}: range {start}..{end} is not a shard of the committed dataset")]
    NotCommitted {
        /// The shard.
        shard: usize,
        /// Its start.
        start: u64,
        /// Its end.
        end: u64,
    },
    /// A committed shard's commitment counts other than its range's inputs.
    #[error(
        "committed shard {shard}: range {start}..{end} but its commitment counts {count} inputs"
    )]
    ShardInputs {
        /// The committed shard (its position in the sharded dataset).
        shard: usize,
        /// Its start.
        start: u64,
        /// Its end.
        end: u64,
        /// Its commitment's count.
        count: u64,
    },
    /// The shard's proof does not verify on its slice.
    #[error("shard {shard}: {source}")]
    Proof {
        /// The shard.
        shard: usize,
        /// Why.
        source: VerifyError,
    },
}

impl Manifest {
    /// Reads a manifest (JSON); refuses another format or version, no shards and more than
    /// [`MAX_SHARDS`]. Never panics.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ShardError> {
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| ShardError::Manifest(e.to_string()))?;
        if m.format != MANIFEST_FORMAT || m.version != MANIFEST_VERSION {
            return Err(ShardError::Version {
                format: m.format,
                version: m.version,
            });
        }
        if m.shards.is_empty() || m.shards.len() > MAX_SHARDS {
            return Err(ShardError::ShardCount(m.shards.len()));
        }
        for (shard, e) in m.shards.iter().enumerate() {
            if !inside_folder(&e.proof) {
                return Err(ShardError::ProofPath {
                    shard,
                    path: e.proof.clone(),
                });
            }
        }
        Ok(m)
    }

    /// The manifest as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks that the manifest is for this model commitment and this dataset.
    pub fn check_statement(
        &self,
        commitment: &crate::pcs::basefold::Commitment,
        inputs: &[&[i64]],
        labels: &[usize],
    ) -> Result<(), ShardError> {
        self.check_names(
            commitment_id(commitment),
            hex(&dataset_digest(inputs, labels)),
            inputs.len() as u64,
        )
    }

    /// Checks that the manifest is for this hiding model commitment (its root) and this
    /// dataset committed in shards ([`ZkShardedDataset::digest`]).
    pub fn check_zk_statement(
        &self,
        commitment: &crate::pcs::zk::ZkCommitment,
        dataset: &ZkShardedDataset,
    ) -> Result<(), ShardError> {
        self.check_names(
            hex(&commitment.inner.root),
            hex(&dataset.digest()),
            dataset.count,
        )
    }

    /// Checks the manifest's model commitment, dataset and count against the given ones.
    fn check_names(&self, model: String, dataset: String, count: u64) -> Result<(), ShardError> {
        if self.model_commitment != model {
            return Err(ShardError::ModelCommitment {
                manifest: self.model_commitment.clone(),
                given: model,
            });
        }
        if self.dataset != dataset || self.count != count {
            return Err(ShardError::Dataset {
                manifest: self.dataset.clone(),
                manifest_count: self.count,
                given: dataset,
                given_count: count,
            });
        }
        Ok(())
    }

    /// Each shard's range, in the manifest's order.
    pub fn ranges(&self) -> Vec<(u64, u64)> {
        self.shards.iter().map(|s| (s.start, s.end)).collect()
    }

    /// The set [`verify_accuracy_shards`] takes: shard `i`'s range and claimed count with
    /// `proofs[i]`, the bytes of its proof file, in the manifest's order. Give one proof per
    /// shard: a shard without bytes is left out of the set, which then does not cover its
    /// inputs (refused, or with `allow_gaps` reported as not proven).
    pub fn proof_set<'a>(&self, proofs: &'a [Vec<u8>]) -> Vec<ShardProof<'a>> {
        self.shards
            .iter()
            .zip(proofs)
            .map(|(s, bytes)| ShardProof {
                start: s.start,
                end: s.end,
                correct: s.correct,
                bytes,
            })
            .collect()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A model commitment's name in a manifest: its Basefold root in hex (as `commit` prints it).
pub fn commitment_id(commitment: &crate::pcs::basefold::Commitment) -> String {
    hex(&commitment.root)
}

/// blake3 of a labelled dataset: its count, then every input (its length and values, as the
/// prover reads them: quantized integers) and every label. Two files that give the same
/// integers (a float `.npy` and its quantized integer form) are the same dataset.
pub fn dataset_digest(inputs: &[&[i64]], labels: &[usize]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"zkcnn-accuracy-dataset-v1");
    super::accuracy::hash_dataset(&mut h, inputs, labels);
    *h.finalize().as_bytes()
}

/// Checks that the ranges are slices of `0..count` (each of 1 to [`MAX_BATCH`] inputs),
/// pairwise disjoint, and cover `0..count` exactly. With `allow_gaps`, the uncovered ranges
/// are returned instead of refused (in order); overlaps are refused either way.
pub fn check_cover(
    ranges: &[(u64, u64)],
    count: u64,
    allow_gaps: bool,
) -> Result<Vec<(u64, u64)>, ShardError> {
    if ranges.is_empty() || ranges.len() > MAX_SHARDS {
        return Err(ShardError::ShardCount(ranges.len()));
    }
    for (shard, &(start, end)) in ranges.iter().enumerate() {
        if start >= end || end > count || end - start > MAX_BATCH as u64 {
            return Err(ShardError::Range {
                shard,
                start,
                end,
                count,
            });
        }
    }
    let mut order: Vec<(u64, u64, usize)> = ranges
        .iter()
        .enumerate()
        .map(|(i, &(s, e))| (s, e, i))
        .collect();
    order.sort_unstable();
    let mut gaps = Vec::new();
    let mut covered = 0u64;
    let mut previous: Option<(u64, u64, usize)> = None;
    for &(start, end, shard) in &order {
        if let Some((p_start, p_end, p_shard)) = previous {
            if (p_start, p_end) == (start, end) {
                let (first, second) = (p_shard.min(shard), p_shard.max(shard));
                return Err(ShardError::Duplicate {
                    first,
                    second,
                    start,
                    end,
                });
            }
            if start < p_end {
                return Err(ShardError::Overlap {
                    first: p_shard,
                    second: shard,
                    start,
                    end: end.min(p_end),
                });
            }
        }
        if start > covered {
            gaps.push((covered, start));
        }
        covered = end;
        previous = Some((start, end, shard));
    }
    if covered < count {
        gaps.push((covered, count));
    }
    match gaps.first() {
        Some(&(start, end)) if !allow_gaps => Err(ShardError::Gap { start, end }),
        _ => Ok(gaps),
    }
}

/// One shard given to the verifier: its range, its claimed count and its proof's bytes.
#[derive(Clone, Copy, Debug)]
pub struct ShardProof<'a> {
    /// First input of the slice.
    pub start: u64,
    /// One past the last.
    pub end: u64,
    /// The claimed count (the manifest's).
    pub correct: u64,
    /// The accuracy proof's bytes (kind 3, for the slice's statement).
    pub bytes: &'a [u8],
}

/// What a verified set of shards proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardTotal {
    /// The dataset's inputs `n`.
    pub count: u64,
    /// The inputs the shards cover (`n` unless gaps were allowed).
    pub covered: u64,
    /// The sum of the shards' counts: the inputs among the covered ones that the model
    /// classifies as their labels.
    pub correct: u64,
    /// The uncovered ranges (empty unless gaps were allowed).
    pub gaps: Vec<(u64, u64)>,
}

/// Verifies a set of shard proofs of the model committed as `checked` over the dataset
/// `inputs`, `labels`: the cover ([`check_cover`]), then each shard's proof decoded against
/// its slice's statement digest, its count against the claimed one, and the proof verified on
/// its slice; returns the summed count. With `allow_gaps`, uncovered inputs are reported in
/// the result (they count as not proven) instead of refused.
pub fn verify_accuracy_shards<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedCommitment,
    inputs: &[&[i64]],
    labels: &[usize],
    shards: &[ShardProof<'_>],
    allow_gaps: bool,
) -> Result<ShardTotal, ShardError> {
    if labels.len() != inputs.len() {
        return Err(ShardError::Labels {
            inputs: inputs.len(),
            labels: labels.len(),
        });
    }
    let count = inputs.len() as u64;
    let ranges: Vec<(u64, u64)> = shards.iter().map(|s| (s.start, s.end)).collect();
    let gaps = check_cover(&ranges, count, allow_gaps)?;
    let architecture = model.architecture();
    sum_shards(shards, count, gaps, |shard, s| {
        // In range: check_cover bounds every end by the inputs' count.
        let range = s.start as usize..s.end as usize;
        let range_error = || ShardError::Range {
            shard,
            start: s.start,
            end: s.end,
            count,
        };
        let xs = inputs.get(range.clone()).ok_or_else(range_error)?;
        let ls = labels.get(range).ok_or_else(range_error)?;
        let digest = accuracy_statement_digest(&architecture, checked.commitment(), xs, ls);
        let proof = AccuracyProof::<F, E>::from_bytes(s.bytes, digest)
            .map_err(|source| ShardError::Format { shard, source })?;
        claimed(shard, s, proof.correct)?;
        verify_accuracy(&architecture, checked, xs, ls, &proof)
            .map_err(|source| ShardError::Proof { shard, source })?;
        Ok(proof.correct)
    })
}

/// Refuses a shard whose proof's count is not the claimed one.
fn claimed(shard: usize, s: &ShardProof<'_>, proven: u64) -> Result<(), ShardError> {
    if proven == s.correct {
        return Ok(());
    }
    Err(ShardError::Claimed {
        shard,
        manifest: s.correct,
        proof: proven,
    })
}

/// The total of a set of shards whose cover is checked (`gaps` its uncovered ranges):
/// `verify(shard, s)` checks shard `s`'s proof and returns its count.
fn sum_shards(
    shards: &[ShardProof<'_>],
    count: u64,
    gaps: Vec<(u64, u64)>,
    mut verify: impl FnMut(usize, &ShardProof<'_>) -> Result<u64, ShardError>,
) -> Result<ShardTotal, ShardError> {
    let mut correct = 0u64;
    let mut covered = 0u64;
    for (shard, s) in shards.iter().enumerate() {
        correct += verify(shard, s)?;
        covered += s.end - s.start;
    }
    Ok(ShardTotal {
        count,
        covered,
        correct,
        gaps,
    })
}

/// One shard of a labelled dataset committed in shards: its slice `[start, end)` and the
/// slice's commitment as a labelled dataset of its own.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkDatasetShard {
    /// First input of the slice.
    pub start: u64,
    /// One past the slice's last input.
    pub end: u64,
    /// The slice's commitment ([`super::commit_dataset_zk`] on the slice).
    pub commitment: ZkDatasetCommitment,
}

/// A labelled dataset of `count` inputs committed in shards ([`commit_dataset_zk_sharded`]):
/// what the data owner publishes in place of the inputs and the labels of a sharded
/// zero-knowledge accuracy proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkShardedDataset {
    /// The dataset's inputs `n`.
    pub count: u64,
    /// The shards, in the dataset's order.
    pub shards: Vec<ZkDatasetShard>,
}

impl ZkShardedDataset {
    /// blake3 of the sharded dataset (domain `zkcnn-zk-sharded-dataset-v1`, then its canonical
    /// bytes: the count, and every shard's range and commitments): its name in a manifest.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"zkcnn-zk-sharded-dataset-v1");
        h.update(&crate::codec::to_bytes(self));
        *h.finalize().as_bytes()
    }

    /// Checks that the shards cover `0..count` exactly ([`check_cover`]: no gaps, no overlaps)
    /// and that each shard's commitment counts its range's inputs.
    pub fn check(&self) -> Result<(), ShardError> {
        if self.count > MAX_DATASET {
            return Err(ShardError::Range {
                shard: 0,
                start: 0,
                end: self.count,
                count: MAX_DATASET,
            });
        }
        let ranges: Vec<(u64, u64)> = self.shards.iter().map(|s| (s.start, s.end)).collect();
        check_cover(&ranges, self.count, false)?;
        for (shard, s) in self.shards.iter().enumerate() {
            if s.commitment.count != s.end - s.start {
                return Err(ShardError::ShardInputs {
                    shard,
                    start: s.start,
                    end: s.end,
                    count: s.commitment.count,
                });
            }
        }
        Ok(())
    }

    /// The commitment of the shard `[start, end)`, if it is one of the shards.
    pub fn shard(&self, start: u64, end: u64) -> Option<&ZkDatasetCommitment> {
        self.shards
            .iter()
            .find(|s| (s.start, s.end) == (start, end))
            .map(|s| &s.commitment)
    }
}

/// Commits to a labelled dataset in shards of `shard_size` inputs (the last one shorter), each
/// slice a labelled dataset of its own ([`super::commit_dataset_zk`]): the public
/// [`ZkShardedDataset`] and each shard's committed dataset (the prover's, in order). `model`
/// may be the architecture alone.
pub fn commit_dataset_zk_sharded<
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
>(
    model: &Model,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
    shard_size: usize,
    rng: &mut R,
) -> Result<(ZkShardedDataset, Vec<ZkCommittedDataset<F>>), NetworkError> {
    if shard_size == 0 || shard_size > MAX_BATCH {
        return Err(NetworkError::BatchSize(shard_size));
    }
    if labels.len() != inputs.len() {
        return Err(NetworkError::Labels(super::accuracy::LabelError::Count {
            labels: labels.len(),
            inputs: inputs.len(),
        }));
    }
    if inputs.is_empty() {
        return Err(NetworkError::BatchSize(0));
    }
    let mut shards = Vec::new();
    let mut committed = Vec::new();
    for (i, (xs, ls)) in inputs
        .chunks(shard_size)
        .zip(labels.chunks(shard_size))
        .enumerate()
    {
        let start = (i * shard_size) as u64;
        let dataset = commit_dataset_zk::<F, E, R>(model, xs, ls, rng)?;
        shards.push(ZkDatasetShard {
            start,
            end: start + xs.len() as u64,
            commitment: dataset.commitment(),
        });
        committed.push(dataset);
    }
    let public = ZkShardedDataset {
        count: inputs.len() as u64,
        shards,
    };
    Ok((public, committed))
}

/// Verifies a set of zero-knowledge shard proofs of the model committed as `checked` over the
/// dataset committed in shards as `dataset`: the dataset's own cover ([`ZkShardedDataset::check`]),
/// the proofs' cover ([`check_cover`]), then each proof's range must be a committed shard's, its
/// bytes decode against that shard's statement ([`super::zk_dataset_statement_digest`]), its
/// count equals the claimed one and it verifies on that shard
/// ([`verify_accuracy_zk_dataset`]); returns the summed count. With `allow_gaps`, shards
/// without a proof are reported (their inputs count as not proven) instead of refused.
pub fn verify_accuracy_zk_shards<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedZkCommitment,
    dataset: &ZkShardedDataset,
    shards: &[ShardProof<'_>],
    allow_gaps: bool,
) -> Result<ShardTotal, ShardError> {
    dataset.check()?;
    let count = dataset.count;
    let ranges: Vec<(u64, u64)> = shards.iter().map(|s| (s.start, s.end)).collect();
    let gaps = check_cover(&ranges, count, allow_gaps)?;
    let architecture = model.architecture();
    sum_shards(shards, count, gaps, |shard, s| {
        let part = dataset
            .shard(s.start, s.end)
            .ok_or(ShardError::NotCommitted {
                shard,
                start: s.start,
                end: s.end,
            })?;
        let digest = super::zk_dataset_statement_digest(&architecture, checked.commitment(), part);
        let proof = ZkAccuracyProof::<F, E>::from_bytes(s.bytes, digest)
            .map_err(|source| ShardError::Format { shard, source })?;
        claimed(shard, s, proof.correct)?;
        verify_accuracy_zk_dataset(&architecture, checked, part, &proof)
            .map_err(|source| ShardError::Proof { shard, source })?;
        Ok(proof.correct)
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_set_pairs_each_shard_with_its_proof_in_order() {
        let entry = |start, end, correct, proof: &str| ShardEntry {
            start,
            end,
            correct,
            proof: proof.into(),
        };
        let manifest = Manifest {
            format: MANIFEST_FORMAT.into(),
            version: MANIFEST_VERSION,
            model_commitment: "00".into(),
            dataset: "00".into(),
            count: 5,
            shards: vec![entry(2, 5, 1, "b.proof"), entry(0, 2, 2, "a.proof")],
        };
        let proofs = vec![vec![1, 2, 3], vec![4]];
        let set = manifest.proof_set(&proofs);
        let got: Vec<(u64, u64, u64, &[u8])> = set
            .iter()
            .map(|p| (p.start, p.end, p.correct, p.bytes))
            .collect();
        assert_eq!(
            got,
            vec![(2, 5, 1, &[1u8, 2, 3][..]), (0, 2, 2, &[4u8][..])]
        );
        // A shard without a proof is left out: the set covers 2..5 only.
        let short = manifest.proof_set(&proofs[..1]);
        let ranges: Vec<(u64, u64)> = short.iter().map(|p| (p.start, p.end)).collect();
        assert_eq!(ranges, vec![(2, 5)]);
        assert_eq!(
            check_cover(&ranges, 5, false).unwrap_err(),
            ShardError::Gap { start: 0, end: 2 }
        );
    }
}
