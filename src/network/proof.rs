//! Proofs on disk: a versioned header, then the body (ark-serialize, compressed).
//!
//! ```text
//!   magic    8 bytes   "ZKCNNPRF"
//!   version  2 bytes   little-endian, FORMAT_VERSION
//!   kind     1 byte    0 = transparent (Proof), 1 = zero-knowledge (ZkNetworkProof),
//!                      2 = transparent batch (BatchProof),
//!                      3 = transparent accuracy (AccuracyProof),
//!                      4 = zero-knowledge batch (ZkBatchProof),
//!                      5 = zero-knowledge accuracy (ZkAccuracyProof)
//!   field    1 byte    0 = Goldilocks with its quadratic extension, 1 = BN254 Fr
//!   digest  32 bytes   blake3 of the statement (architecture, model commitment, input or its
//!                      hiding commitment, output; a batch's count, an accuracy proof's labels)
//!   body               the proof, ark-serialize compressed; no bytes may be left over
//! ```
//!
//! The header is checked in that order: a proof of another version is refused by its version
//! whatever follows, then a proof of the other kind by its kind.

use super::{Proof, ZkNetworkProof};
use crate::codec::{self, DecodeError};
use crate::model::Model;
use crate::pcs::basefold::Commitment;
use crate::pcs::zk::ZkCommitment;
use ark_ff::{Field, PrimeField};

/// The proof format's version; changes whenever the bytes of a proof change meaning (7: the
/// kind byte, for zero-knowledge proofs; 8: the range table's width `T` and the remainders'
/// limbs of `T` bits, `spec/requant-relu.md`, "Range table").
pub const FORMAT_VERSION: u16 = 8;
/// The first bytes of every proof file.
pub const MAGIC: &[u8; 8] = b"ZKCNNPRF";
/// A proof header's length: magic, version, kind, field, statement digest.
pub const HEADER_BYTES: usize = 8 + 2 + 1 + 1 + 32;

/// What a proof file holds: its header's kind byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofKind {
    /// A transparent proof ([`Proof`]): the weights are committed, the proof reveals parts of
    /// them and of the activations.
    Transparent,
    /// A zero-knowledge proof ([`super::ZkNetworkProof`]) against a hiding model commitment.
    ZeroKnowledge,
    /// A transparent proof of a batch of inputs ([`super::BatchProof`]).
    TransparentBatch,
    /// A transparent proof of a model's accuracy on labelled inputs
    /// ([`super::AccuracyProof`]).
    TransparentAccuracy,
    /// A zero-knowledge proof of a batch of inputs ([`super::ZkBatchProof`]), the inputs
    /// public or committed together ([`super::commit_batch_zk`]).
    ZeroKnowledgeBatch,
    /// A zero-knowledge proof of a model's accuracy on labelled inputs
    /// ([`super::ZkAccuracyProof`]), the inputs public or committed together.
    ZeroKnowledgeAccuracy,
}

impl ProofKind {
    /// The header's byte.
    pub fn byte(self) -> u8 {
        match self {
            ProofKind::Transparent => 0,
            ProofKind::ZeroKnowledge => 1,
            ProofKind::TransparentBatch => 2,
            ProofKind::TransparentAccuracy => 3,
            ProofKind::ZeroKnowledgeBatch => 4,
            ProofKind::ZeroKnowledgeAccuracy => 5,
        }
    }

    /// The kind of a header's byte (`None` for a byte no kind has).
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(ProofKind::Transparent),
            1 => Some(ProofKind::ZeroKnowledge),
            2 => Some(ProofKind::TransparentBatch),
            3 => Some(ProofKind::TransparentAccuracy),
            4 => Some(ProofKind::ZeroKnowledgeBatch),
            5 => Some(ProofKind::ZeroKnowledgeAccuracy),
            _ => None,
        }
    }

    /// The kind in words: "transparent", "zero-knowledge batch", ….
    pub fn name(self) -> &'static str {
        match self {
            ProofKind::Transparent => "transparent",
            ProofKind::ZeroKnowledge => "zero-knowledge",
            ProofKind::TransparentBatch => "transparent batch",
            ProofKind::TransparentAccuracy => "transparent accuracy",
            ProofKind::ZeroKnowledgeBatch => "zero-knowledge batch",
            ProofKind::ZeroKnowledgeAccuracy => "zero-knowledge accuracy",
        }
    }
}

impl std::fmt::Display for ProofKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why proof bytes were refused before verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Too short for a header, or the magic bytes are wrong.
    #[error("not a zkcnn proof (bad or missing header)")]
    NotAProof,
    /// Another format version.
    #[error("proof format version {got}; this build reads version {FORMAT_VERSION}")]
    Version {
        /// The version in the file.
        got: u16,
    },
    /// A proof of the other kind.
    #[error("this is a {got} proof; expected a {expected} proof")]
    Kind {
        /// The kind asked for.
        expected: ProofKind,
        /// The kind in the file.
        got: ProofKind,
    },
    /// A kind byte that no kind has.
    #[error(
        "unknown proof kind {0} (0 = transparent, 1 = zero-knowledge, 2 = transparent batch, 3 = transparent accuracy, 4 = zero-knowledge batch, 5 = zero-knowledge accuracy)"
    )]
    UnknownKind(u8),
    /// Another field instantiation.
    #[error("the proof is over field {got}; expected field {expected}")]
    Field {
        /// The field id expected.
        expected: u8,
        /// The field id in the file.
        got: u8,
    },
    /// The proof is for another statement (model, commitment, input or output).
    #[error("the proof is for another statement (model, commitment, input or output)")]
    Statement,
    /// The body does not decode.
    #[error("{0}")]
    Body(DecodeError),
}

/// blake3 of a batch proof's statement: the architecture, the model commitment, the batch's
/// count, and every input and output in the batch's order.
pub fn batch_statement_digest(
    model: &Model,
    commitment: &Commitment,
    inputs: &[&[i64]],
    outputs: &[&[i64]],
) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"zkcnn-batch-statement-v1");
    h.update(model.architecture_json().as_bytes());
    h.update(&commitment.root);
    h.update(&commitment.num_vars.to_le_bytes());
    for xs in [inputs, outputs] {
        h.update(&(xs.len() as u64).to_le_bytes());
        for x in xs {
            h.update(&(x.len() as u64).to_le_bytes());
            for v in x.iter() {
                h.update(&v.to_le_bytes());
            }
        }
    }
    *h.finalize().as_bytes()
}

impl<F: PrimeField, E: Field> super::BatchProof<F, E> {
    /// The proof's bytes for this statement ([`batch_statement_digest`]), kind byte 2.
    pub fn to_bytes(&self, statement: [u8; 32]) -> Vec<u8> {
        let mut out = header::<F>(ProofKind::TransparentBatch, statement);
        out.extend(codec::to_bytes(self));
        out
    }

    /// Reads a batch proof for this statement; every byte must be used.
    pub fn from_bytes(bytes: &[u8], statement: [u8; 32]) -> Result<Self, FormatError> {
        let body = body::<F>(bytes, ProofKind::TransparentBatch, statement)?;
        codec::from_bytes(body).map_err(FormatError::Body)
    }
}

impl<F: PrimeField, E: Field> super::AccuracyProof<F, E> {
    /// The proof's bytes for this statement ([`super::accuracy::accuracy_statement_digest`]),
    /// kind byte 3.
    pub fn to_bytes(&self, statement: [u8; 32]) -> Vec<u8> {
        let mut out = header::<F>(ProofKind::TransparentAccuracy, statement);
        out.extend(codec::to_bytes(self));
        out
    }

    /// Reads an accuracy proof for this statement; every byte must be used.
    pub fn from_bytes(bytes: &[u8], statement: [u8; 32]) -> Result<Self, FormatError> {
        let body = body::<F>(bytes, ProofKind::TransparentAccuracy, statement)?;
        codec::from_bytes(body).map_err(FormatError::Body)
    }
}

/// The field id of the header: 0 for Goldilocks (64-bit modulus), 1 for BN254.
pub fn field_id<F: PrimeField>() -> u8 {
    if F::MODULUS_BIT_SIZE <= 64 {
        0
    } else {
        1
    }
}

/// blake3 of the statement.
pub fn statement_digest(
    model: &Model,
    commitment: &Commitment,
    input: &[i64],
    output: &[i64],
) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"zkcnn-statement-v1");
    h.update(model.architecture_json().as_bytes());
    h.update(&commitment.root);
    h.update(&commitment.num_vars.to_le_bytes());
    for xs in [input, output] {
        h.update(&(xs.len() as u64).to_le_bytes());
        for x in xs {
            h.update(&x.to_le_bytes());
        }
    }
    *h.finalize().as_bytes()
}

impl<F: PrimeField, E: Field> Proof<F, E> {
    /// The proof's bytes for this statement.
    pub fn to_bytes(&self, statement: [u8; 32]) -> Vec<u8> {
        let mut out = header::<F>(ProofKind::Transparent, statement);
        out.extend(codec::to_bytes(self));
        out
    }

    /// The compressed size of each part of the proof body, in bytes.
    pub fn part_sizes(&self) -> Vec<(&'static str, usize)> {
        use ark_serialize::CanonicalSerialize;
        vec![
            ("layer values", self.values.compressed_size()),
            (
                "layer sum-checks",
                self.products.compressed_size() + self.convs.compressed_size(),
            ),
            ("range check", self.range.compressed_size()),
            ("opening", self.opening.compressed_size()),
            ("activation lookup", self.lookup.compressed_size()),
        ]
    }

    /// Reads a proof for this statement; every byte must be used.
    pub fn from_bytes(bytes: &[u8], statement: [u8; 32]) -> Result<Self, FormatError> {
        let body = body::<F>(bytes, ProofKind::Transparent, statement)?;
        codec::from_bytes(body).map_err(FormatError::Body)
    }
}

/// A proof header: magic, version, kind, field, statement.
pub(crate) fn header<F: PrimeField>(kind: ProofKind, statement: [u8; 32]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(kind.byte());
    out.push(field_id::<F>());
    out.extend_from_slice(&statement);
    out
}

/// The magic and the version checked; the rest of the bytes.
fn versioned(bytes: &[u8]) -> Result<&[u8], FormatError> {
    let (magic, rest) = bytes.split_at_checked(8).ok_or(FormatError::NotAProof)?;
    if magic != MAGIC {
        return Err(FormatError::NotAProof);
    }
    let (version, rest) = rest.split_at_checked(2).ok_or(FormatError::NotAProof)?;
    let got = u16::from_le_bytes([
        version.first().copied().unwrap_or(0),
        version.get(1).copied().unwrap_or(0),
    ]);
    if got != FORMAT_VERSION {
        return Err(FormatError::Version { got });
    }
    Ok(rest)
}

/// The kind of proof the bytes hold, read from the header (the magic and the version checked
/// first): what a verifier that takes either kind looks at before reading the body.
pub fn kind_of(bytes: &[u8]) -> Result<ProofKind, FormatError> {
    let rest = versioned(bytes)?;
    let byte = *rest.first().ok_or(FormatError::NotAProof)?;
    ProofKind::from_byte(byte).ok_or(FormatError::UnknownKind(byte))
}

/// The header checked against the kind, the field and the statement expected; the body.
pub(crate) fn body<F: PrimeField>(
    bytes: &[u8],
    kind: ProofKind,
    statement: [u8; 32],
) -> Result<&[u8], FormatError> {
    let got = kind_of(bytes)?;
    if got != kind {
        return Err(FormatError::Kind {
            expected: kind,
            got,
        });
    }
    let rest = versioned(bytes)?.get(1..).ok_or(FormatError::NotAProof)?;
    let (field, rest) = rest.split_first().ok_or(FormatError::NotAProof)?;
    if *field != field_id::<F>() {
        return Err(FormatError::Field {
            expected: field_id::<F>(),
            got: *field,
        });
    }
    let (digest, body) = rest.split_at_checked(32).ok_or(FormatError::NotAProof)?;
    if digest != statement {
        return Err(FormatError::Statement);
    }
    Ok(body)
}

/// blake3 of a zero-knowledge proof's statement: the architecture, the hiding model
/// commitment (its root and shape: the committed polynomial's and the mask's variables), the
/// input (its values, or its hiding commitment: root and shape) and the output.
pub fn zk_statement_digest(
    model: &Model,
    commitment: &ZkCommitment,
    input: super::ZkInput<'_>,
    output: &[i64],
) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    let commit = |h: &mut blake3::Hasher, c: &ZkCommitment| {
        h.update(&c.inner.root);
        h.update(&c.inner.num_vars.to_le_bytes());
        h.update(&c.mask_vars.to_le_bytes());
    };
    let values = |h: &mut blake3::Hasher, xs: &[i64]| {
        h.update(&(xs.len() as u64).to_le_bytes());
        for x in xs {
            h.update(&x.to_le_bytes());
        }
    };
    match input {
        super::ZkInput::Public(_) => h.update(b"zkcnn-zk-statement-v1"),
        super::ZkInput::Committed(_) => h.update(b"zkcnn-zk-statement-committed-input-v1"),
    };
    h.update(model.architecture_json().as_bytes());
    commit(&mut h, commitment);
    match input {
        super::ZkInput::Public(x) => values(&mut h, x),
        super::ZkInput::Committed(c) => commit(&mut h, c),
    }
    values(&mut h, output);
    *h.finalize().as_bytes()
}

impl<F: PrimeField, E: Field> ZkNetworkProof<F, E> {
    /// The proof's bytes for this statement ([`zk_statement_digest`]), kind byte 1.
    pub fn to_bytes(&self, statement: [u8; 32]) -> Vec<u8> {
        let mut out = header::<F>(ProofKind::ZeroKnowledge, statement);
        out.extend(codec::to_bytes(self));
        out
    }

    /// Reads a zero-knowledge proof for this statement; every byte must be used. A transparent
    /// proof is refused by its kind ([`FormatError::Kind`]).
    pub fn from_bytes(bytes: &[u8], statement: [u8; 32]) -> Result<Self, FormatError> {
        let body = body::<F>(bytes, ProofKind::ZeroKnowledge, statement)?;
        codec::from_bytes(body).map_err(FormatError::Body)
    }
}

/// The inputs of a zero-knowledge batch or accuracy statement, as the verifier has them: their
/// values, or the hiding commitment of the batch ([`super::commit_batch_zk`]) and its count.
#[derive(Clone, Copy, Debug)]
pub enum ZkBatchInputs<'a> {
    /// The inputs' values, each row-major, in the batch's order.
    Public(&'a [&'a [i64]]),
    /// The batch's hiding commitment and the count `N` of inputs it commits.
    Committed {
        /// The batch's hiding commitment.
        commitment: &'a ZkCommitment,
        /// The count of inputs it commits.
        count: usize,
    },
}

/// Hashes a hiding commitment: its root and shape.
fn hash_zk_commitment(h: &mut blake3::Hasher, c: &ZkCommitment) {
    h.update(&c.inner.root);
    h.update(&c.inner.num_vars.to_le_bytes());
    h.update(&c.inner.num_polys.to_le_bytes());
    h.update(&c.mask_vars.to_le_bytes());
}

/// Hashes rows of integers: their count, then each row's length and values.
fn hash_rows(h: &mut blake3::Hasher, rows: &[&[i64]]) {
    h.update(&(rows.len() as u64).to_le_bytes());
    for x in rows {
        h.update(&(x.len() as u64).to_le_bytes());
        for v in x.iter() {
            h.update(&v.to_le_bytes());
        }
    }
}

/// The domain, the architecture, the hiding model commitment, the count and the inputs (their
/// values or their commitment) of a zero-knowledge batch or accuracy statement.
fn zk_batch_head(
    domain: &[u8],
    model: &Model,
    commitment: &ZkCommitment,
    inputs: ZkBatchInputs<'_>,
) -> blake3::Hasher {
    let mut h = blake3::Hasher::new();
    h.update(domain);
    match inputs {
        ZkBatchInputs::Public(_) => h.update(b"-public-inputs"),
        ZkBatchInputs::Committed { .. } => h.update(b"-committed-inputs"),
    };
    h.update(model.architecture_json().as_bytes());
    hash_zk_commitment(&mut h, commitment);
    match inputs {
        ZkBatchInputs::Public(xs) => hash_rows(&mut h, xs),
        ZkBatchInputs::Committed { commitment, count } => {
            h.update(&(count as u64).to_le_bytes());
            hash_zk_commitment(&mut h, commitment);
        }
    }
    h
}

/// blake3 of a zero-knowledge batch proof's statement: the architecture, the hiding model
/// commitment, the batch's count, every input (or the batch's hiding commitment) and every
/// output, in the batch's order.
pub fn zk_batch_statement_digest(
    model: &Model,
    commitment: &ZkCommitment,
    inputs: ZkBatchInputs<'_>,
    outputs: &[&[i64]],
) -> [u8; 32] {
    let mut h = zk_batch_head(b"zkcnn-zk-batch-statement-v1", model, commitment, inputs);
    hash_rows(&mut h, outputs);
    *h.finalize().as_bytes()
}

/// blake3 of a zero-knowledge accuracy proof's statement: the architecture, the hiding model
/// commitment, the count, every input (or the batch's hiding commitment) and every label, in
/// the batch's order. The proven count of correct labels is in the proof (the verifier checks
/// it), not here.
pub fn zk_accuracy_statement_digest(
    model: &Model,
    commitment: &ZkCommitment,
    inputs: ZkBatchInputs<'_>,
    labels: &[usize],
) -> [u8; 32] {
    let mut h = zk_batch_head(b"zkcnn-zk-accuracy-statement-v1", model, commitment, inputs);
    h.update(&(labels.len() as u64).to_le_bytes());
    for &l in labels {
        h.update(&(l as u64).to_le_bytes());
    }
    *h.finalize().as_bytes()
}

/// blake3 of a zero-knowledge accuracy proof's statement on a committed labelled dataset
/// ([`super::commit_dataset_zk`]): the architecture, the hiding model commitment, the
/// dataset's count and its two commitments (the inputs' and the labels'). The proven count of
/// correct labels is in the proof (the verifier checks it), not here.
pub fn zk_dataset_statement_digest(
    model: &Model,
    commitment: &ZkCommitment,
    dataset: &super::ZkDatasetCommitment,
) -> [u8; 32] {
    let count = usize::try_from(dataset.count).unwrap_or(usize::MAX);
    let inputs = ZkBatchInputs::Committed {
        commitment: &dataset.inputs,
        count,
    };
    let mut h = zk_batch_head(b"zkcnn-zk-dataset-statement-v1", model, commitment, inputs);
    hash_zk_commitment(&mut h, &dataset.labels);
    *h.finalize().as_bytes()
}

impl<F: PrimeField, E: Field> super::ZkBatchProof<F, E> {
    /// The proof's bytes for this statement ([`zk_batch_statement_digest`]), kind byte 4.
    pub fn to_bytes(&self, statement: [u8; 32]) -> Vec<u8> {
        let mut out = header::<F>(ProofKind::ZeroKnowledgeBatch, statement);
        out.extend(codec::to_bytes(self));
        out
    }

    /// Reads a zero-knowledge batch proof for this statement; every byte must be used. A proof
    /// of another kind is refused by its kind ([`FormatError::Kind`]).
    pub fn from_bytes(bytes: &[u8], statement: [u8; 32]) -> Result<Self, FormatError> {
        let body = body::<F>(bytes, ProofKind::ZeroKnowledgeBatch, statement)?;
        codec::from_bytes(body).map_err(FormatError::Body)
    }
}

impl<F: PrimeField, E: Field> super::ZkAccuracyProof<F, E> {
    /// The proof's bytes for this statement ([`zk_accuracy_statement_digest`]), kind byte 5.
    pub fn to_bytes(&self, statement: [u8; 32]) -> Vec<u8> {
        let mut out = header::<F>(ProofKind::ZeroKnowledgeAccuracy, statement);
        out.extend(codec::to_bytes(self));
        out
    }

    /// Reads a zero-knowledge accuracy proof for this statement; every byte must be used. A
    /// proof of another kind is refused by its kind ([`FormatError::Kind`]).
    pub fn from_bytes(bytes: &[u8], statement: [u8; 32]) -> Result<Self, FormatError> {
        let body = body::<F>(bytes, ProofKind::ZeroKnowledgeAccuracy, statement)?;
        codec::from_bytes(body).map_err(FormatError::Body)
    }
}
