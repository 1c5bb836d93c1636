//! Proof bytes: ark-serialize (compressed, canonical) with leftover bytes rejected.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

/// Why bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are truncated, non-canonical or otherwise not an encoding of the type.
    #[error("malformed proof bytes: {0}")]
    Malformed(String),
    /// A value decoded but bytes were left over.
    #[error("{count} bytes left over after the proof")]
    TrailingBytes {
        /// Bytes left over.
        count: usize,
    },
}

/// Encodes a value (ark-serialize, compressed).
pub fn to_bytes<T: CanonicalSerialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.compressed_size());
    value
        .serialize_compressed(&mut out)
        .expect("writing to a Vec does not fail");
    out
}

/// Decodes a value; every byte must be used.
pub fn from_bytes<T: CanonicalDeserialize>(mut bytes: &[u8]) -> Result<T, DecodeError> {
    let value =
        T::deserialize_compressed(&mut bytes).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if bytes.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::TrailingBytes { count: bytes.len() })
    }
}
