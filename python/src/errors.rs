//! The Python exceptions, and how each error of the library becomes one.
//!
//! ```text
//!   ZkcnnError                 base of every error below (and of internal failures; and of a
//!                              hiding commitment's spent budget, kind `budget`: commit again)
//!   ├── ModelError             a model or architecture that is invalid, unsupported or too large
//!   ├── InputError             an array of the wrong type, dtype, order, shape or range; an
//!   │                          input whose inference overflows
//!   └── VerifyError            the proof was not accepted
//!       ├── ProofFormatError   the proof bytes are not a proof (header, version, truncated, …)
//!       ├── CommitmentError    the commitment bytes are malformed, for another architecture,
//!       │                      or fail their check
//!       └── RejectedError      the proof decodes but does not prove the statement
//!           └── StatementError the proof was made for another model, commitment, input or output
//! ```
//!
//! Every exception carries `kind`: the library's error variant in snake case (`layer`,
//! `opening`, `not_a_proof`, …) or the wrapper's own (`dtype`, `shape`, `order`, …).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::PyTypeInfo;
use std::fmt::{Debug, Display};
use zkcnn::codec::DecodeError;
use zkcnn::network::{
    CheckError, FormatError, NetworkError, ShardError, VerifyError as NetVerifyError,
};
use zkcnn::onnx::OnnxError;

create_exception!(
    zkcnn,
    ZkcnnError,
    PyException,
    "Base class of every zkcnn error."
);
create_exception!(
    zkcnn,
    ModelError,
    ZkcnnError,
    "A model or architecture that is invalid, unsupported, too large, or an ONNX model that \
     cannot be imported."
);
create_exception!(
    zkcnn,
    InputError,
    ZkcnnError,
    "An argument array of the wrong type, dtype, memory order, shape or range, or an input on \
     which the quantized model's inference overflows (no proof is possible on it)."
);
create_exception!(
    zkcnn,
    VerifyError,
    ZkcnnError,
    "The proof was not accepted; the subclasses say why."
);
create_exception!(
    zkcnn,
    ProofFormatError,
    VerifyError,
    "The proof bytes are not a zkcnn proof: bad header, another format version or field, \
     truncated, corrupted, or bytes left over."
);
create_exception!(
    zkcnn,
    CommitmentError,
    VerifyError,
    "The commitment bytes are malformed, belong to another architecture, or fail their check \
     (that the committed table holds a model of the architecture)."
);
create_exception!(
    zkcnn,
    RejectedError,
    VerifyError,
    "The proof decodes but does not prove that the committed model, on x, outputs y."
);
create_exception!(
    zkcnn,
    StatementError,
    RejectedError,
    "The proof was made for another statement: the architecture, commitment, input or output \
     given differ from the ones it was made for."
);

/// Registers the exceptions in the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ZkcnnError", py.get_type::<ZkcnnError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("VerifyError", py.get_type::<VerifyError>())?;
    m.add("ProofFormatError", py.get_type::<ProofFormatError>())?;
    m.add("CommitmentError", py.get_type::<CommitmentError>())?;
    m.add("RejectedError", py.get_type::<RejectedError>())?;
    m.add("StatementError", py.get_type::<StatementError>())?;
    Ok(())
}

/// An exception of type `T` with `kind` set.
pub fn new<T: PyTypeInfo>(py: Python<'_>, kind: &str, message: impl Display) -> PyErr {
    let err = PyErr::new::<T, _>(message.to_string());
    // Setting an attribute on a fresh exception instance cannot fail in practice; if it did,
    // the exception would still be raised, without `kind`.
    let _ = err.value(py).setattr("kind", kind);
    err
}

/// The error's variant name in snake case, from its `Debug` form (`ModelOpening(..)` →
/// `model_opening`).
pub fn kind_of(e: &impl Debug) -> String {
    let debug = format!("{e:?}");
    let name = debug
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// An invalid model or architecture.
pub fn model(py: Python<'_>, e: &zkcnn::model::ModelError) -> PyErr {
    new::<ModelError>(py, &kind_of(e), format!("invalid model: {e}"))
}

/// An I/O error as Python's: `FileNotFoundError`, `PermissionError` or `OSError`.
pub fn os(e: &std::io::Error, message: String) -> PyErr {
    match e.kind() {
        std::io::ErrorKind::NotFound => pyo3::exceptions::PyFileNotFoundError::new_err(message),
        std::io::ErrorKind::PermissionDenied => {
            pyo3::exceptions::PyPermissionError::new_err(message)
        }
        _ => pyo3::exceptions::PyOSError::new_err(message),
    }
}

/// A model file that cannot be loaded or saved: `OSError` for the file system's errors,
/// `ModelError` for the contents (the JSON, the weights file), with the inner error's kind
/// (`checksum`, `architecture`, `weight_out_of_range`, …).
pub fn load(py: Python<'_>, e: &zkcnn::model::file::LoadError) -> PyErr {
    use zkcnn::model::file::LoadError;
    let message = e.to_string();
    match e {
        LoadError::Read { source, .. } | LoadError::Write { source, .. } => os(source, message),
        LoadError::Model { source, .. } => new::<ModelError>(py, &kind_of(source), message),
        LoadError::Weights { source, .. } | LoadError::Save { source, .. } => {
            let kind = match source.as_ref() {
                zkcnn::model::weights::WeightsError::Model(inner) => kind_of(inner),
                other => kind_of(other),
            };
            new::<ModelError>(py, &kind, message)
        }
        LoadError::Text { .. } | LoadError::InlineTooLarge { .. } => {
            new::<ModelError>(py, &kind_of(e), message)
        }
    }
}

/// A failed ONNX import: sample arrays and options are the caller's input, the rest the model's.
pub fn onnx(py: Python<'_>, e: &OnnxError) -> PyErr {
    let message = format!("cannot import the ONNX model: {e}");
    match e {
        OnnxError::SampleLength { .. } | OnnxError::Options { .. } => {
            new::<InputError>(py, &kind_of(e), message)
        }
        _ => new::<ModelError>(py, &kind_of(e), message),
    }
}

/// A failed commitment or proof: the model's fault, the input's, or an internal failure.
pub fn network(py: Python<'_>, action: &str, e: &NetworkError) -> PyErr {
    let message = format!("cannot {action}: {e}");
    let kind = kind_of(e);
    match e {
        NetworkError::Model(inner) => new::<ModelError>(py, &kind_of(inner), message),
        NetworkError::Unsupported { .. } | NetworkError::TooLarge { .. } => {
            new::<ModelError>(py, &kind, message)
        }
        NetworkError::Inference(_) | NetworkError::PaddingOverflow { .. } => {
            new::<InputError>(py, &kind, message)
        }
        _ => new::<ZkcnnError>(py, &kind, message),
    }
}

/// Proof bytes that did not decode, with the CLI's wording.
pub fn proof_format(py: Python<'_>, e: &FormatError, bytes: &[u8]) -> PyErr {
    let kind = kind_of(e);
    let message = match e {
        FormatError::Statement => {
            return new::<StatementError>(
                py,
                &kind,
                "the proof is for another statement: the architecture, commitment, input or \
                 output given differ from the ones it was made for",
            )
        }
        FormatError::NotAProof if bytes.starts_with(zkcnn::network::proof::MAGIC) => {
            "the proof is truncated (inside the header)".to_string()
        }
        FormatError::Body(DecodeError::Malformed(m)) if m.contains("UnexpectedEof") => format!(
            "the proof is truncated ({} bytes; the proof body ends early)",
            bytes.len()
        ),
        FormatError::Body(DecodeError::Malformed(m)) => {
            format!("the proof body does not decode (corrupted): {m}")
        }
        other => format!("invalid proof: {other}"),
    };
    new::<ProofFormatError>(py, &kind, message)
}

/// A model commitment whose check failed.
pub fn check(py: Python<'_>, e: &CheckError) -> PyErr {
    match e {
        CheckError::Model(inner) => network(py, "check the commitment", inner),
        _ => new::<CommitmentError>(
            py,
            &kind_of(e),
            format!("the model commitment's check failed: {e}"),
        ),
    }
}

/// A proof that verification rejected.
pub fn rejected(py: Python<'_>, e: &NetVerifyError) -> PyErr {
    let kind = kind_of(e);
    match e {
        NetVerifyError::Model(inner) => network(py, "verify", inner),
        NetVerifyError::Shape { .. } | NetVerifyError::OutOfRange { .. } => {
            new::<InputError>(py, &kind, e)
        }
        _ => new::<RejectedError>(py, &kind, format!("the proof is not valid: {e}")),
    }
}

/// A set of shard proofs that was refused (`network::shards`): a manifest that does not parse,
/// is of another version or names a proof outside its folder is a `ProofFormatError`; one for
/// another model commitment or dataset a `StatementError`; ranges that are out of bounds,
/// overlap or leave gaps (or are not a committed dataset's shards, or miscount them), and a
/// claimed count that is not the proof's, a `RejectedError`; a
/// shard's proof bytes and its verification as `verify` reports them, the shard named in the
/// message.
pub fn shard(py: Python<'_>, e: &ShardError) -> PyErr {
    match e {
        ShardError::Manifest(_)
        | ShardError::Version { .. }
        | ShardError::ShardCount(_)
        | ShardError::ProofPath { .. } => {
            new::<ProofFormatError>(py, &kind_of(e), format!("invalid shard manifest: {e}"))
        }
        ShardError::ModelCommitment { .. } | ShardError::Dataset { .. } => {
            new::<StatementError>(py, &kind_of(e), e)
        }
        ShardError::Labels { .. } => new::<InputError>(py, "labels", e),
        ShardError::Format { source, .. } => match source {
            FormatError::Statement => new::<StatementError>(
                py,
                &kind_of(source),
                format!(
                    "{e}: the shard's proof is for another statement (model, commitment, or \
                     slice of inputs and labels)"
                ),
            ),
            _ => new::<ProofFormatError>(py, &kind_of(source), e),
        },
        ShardError::Proof { source, .. } => match source {
            NetVerifyError::Model(inner) => network(py, "verify", inner),
            NetVerifyError::Shape { .. } | NetVerifyError::OutOfRange { .. } => {
                new::<InputError>(py, &kind_of(source), e)
            }
            _ => new::<RejectedError>(
                py,
                &kind_of(source),
                format!("the shard proofs are not valid: {e}"),
            ),
        },
        ShardError::Range { .. }
        | ShardError::Duplicate { .. }
        | ShardError::Overlap { .. }
        | ShardError::Gap { .. }
        | ShardError::NotCommitted { .. }
        | ShardError::ShardInputs { .. }
        | ShardError::Claimed { .. } => new::<RejectedError>(
            py,
            &kind_of(e),
            format!("the shard proofs are not valid: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::kind_of;

    #[derive(Debug)]
    #[allow(dead_code)]
    enum E {
        ModelOpening(u8),
        NotAProof,
        Shape { got: usize },
    }

    #[test]
    fn kinds_are_snake_case_variant_names() {
        assert_eq!(kind_of(&E::ModelOpening(1)), "model_opening");
        assert_eq!(kind_of(&E::NotAProof), "not_a_proof");
        assert_eq!(kind_of(&E::Shape { got: 3 }), "shape");
    }
}
