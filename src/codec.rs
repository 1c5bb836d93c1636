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
    let value = T::deserialize_compressed(&mut bytes).map_err(|e| {
        // A `Trailing` field whose bytes are not its value: they are bytes left over.
        if let ark_serialize::SerializationError::IoError(io) = &e {
            if let Some(LeftOver(count)) = io.get_ref().and_then(|i| i.downcast_ref::<LeftOver>()) {
                return DecodeError::TrailingBytes { count: *count };
            }
        }
        DecodeError::Malformed(e.to_string())
    })?;
    if bytes.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::TrailingBytes { count: bytes.len() })
    }
}

/// An optional value at the very end of an encoding, written without a tag: nothing when
/// absent, its encoding when present; it decodes as present exactly when bytes remain. So a
/// type that gains a `Trailing` last field keeps the bytes (and the meaning) of every value
/// where it is absent: the activations' lookup proof was added to network proofs this way,
/// without changing the format of proofs of models without activations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trailing<T>(pub Option<T>);

impl<T: CanonicalSerialize> CanonicalSerialize for Trailing<T> {
    fn serialize_with_mode<W: ark_serialize::Write>(
        &self,
        writer: W,
        compress: ark_serialize::Compress,
    ) -> Result<(), ark_serialize::SerializationError> {
        match &self.0 {
            Some(v) => v.serialize_with_mode(writer, compress),
            None => Ok(()),
        }
    }

    fn serialized_size(&self, compress: ark_serialize::Compress) -> usize {
        self.0.as_ref().map_or(0, |v| v.serialized_size(compress))
    }
}

impl<T: ark_serialize::Valid> ark_serialize::Valid for Trailing<T> {
    fn check(&self) -> Result<(), ark_serialize::SerializationError> {
        self.0.as_ref().map_or(Ok(()), |v| v.check())
    }
}

impl<T: CanonicalDeserialize> CanonicalDeserialize for Trailing<T> {
    fn deserialize_with_mode<R: ark_serialize::Read>(
        mut reader: R,
        compress: ark_serialize::Compress,
        validate: ark_serialize::Validate,
    ) -> Result<Self, ark_serialize::SerializationError> {
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest)?;
        if rest.is_empty() {
            return Ok(Trailing(None));
        }
        let mut bytes = &rest[..];
        match T::deserialize_with_mode(&mut bytes, compress, validate) {
            Ok(v) if bytes.is_empty() => Ok(Trailing(Some(v))),
            // Bytes that are not exactly a value: left over after the rest ([`from_bytes`]
            // reports them as [`DecodeError::TrailingBytes`]).
            _ => Err(std::io::Error::other(LeftOver(rest.len())).into()),
        }
    }
}

/// The bytes after a decoded value that a [`Trailing`] field could not read as its value.
#[derive(Debug)]
struct LeftOver(usize);

impl std::fmt::Display for LeftOver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes left over", self.0)
    }
}

impl std::error::Error for LeftOver {}

#[cfg(test)]
mod trailing_tests {
    use super::*;

    #[test]
    fn trailing_is_absent_without_bytes() {
        let some: (u32, Trailing<u64>) = (7, Trailing(Some(9)));
        let none: (u32, Trailing<u64>) = (7, Trailing(None));
        assert_eq!(to_bytes(&none), to_bytes(&7u32));
        assert_eq!(
            from_bytes::<(u32, Trailing<u64>)>(&to_bytes(&some)),
            Ok(some)
        );
        assert_eq!(
            from_bytes::<(u32, Trailing<u64>)>(&to_bytes(&none)),
            Ok(none)
        );
        // Bytes that are not a whole trailing value are left over.
        let bytes = to_bytes(&(7u32, Trailing(Some(9u64))));
        assert_eq!(
            from_bytes::<(u32, Trailing<u64>)>(&bytes[..6]),
            Err(DecodeError::TrailingBytes { count: 2 })
        );
        let mut long = bytes.clone();
        long.push(1);
        assert_eq!(
            from_bytes::<(u32, Trailing<u64>)>(&long),
            Err(DecodeError::TrailingBytes { count: 9 })
        );
    }
}
