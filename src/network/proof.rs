//! Proofs on disk: a versioned header, then the body (ark-serialize, compressed).
//!
//! ```text
//!   magic    8 bytes   "ZKCNNPRF"
//!   version  2 bytes   little-endian, FORMAT_VERSION
//!   field    1 byte    0 = Goldilocks with its quadratic extension, 1 = BN254 Fr
//!   digest  32 bytes   blake3 of the statement (architecture, model commitment, input, output)
//!   body               the Proof, ark-serialize compressed; no bytes may be left over
//! ```

use super::Proof;
use crate::codec::{self, DecodeError};
use crate::model::Model;
use crate::pcs::basefold::Commitment;
use ark_ff::{Field, PrimeField};

/// The proof format's version; changes whenever the bytes of a proof change meaning.
pub const FORMAT_VERSION: u16 = 6;
/// The first bytes of every proof file.
pub const MAGIC: &[u8; 8] = b"ZKCNNPRF";

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
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.push(field_id::<F>());
        out.extend_from_slice(&statement);
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
        ]
    }

    /// Reads a proof for this statement; every byte must be used.
    pub fn from_bytes(bytes: &[u8], statement: [u8; 32]) -> Result<Self, FormatError> {
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
        codec::from_bytes(body).map_err(FormatError::Body)
    }
}
