//! The command line's errors: each prints as one line, `<what>: <where>: <why>`, and exits
//! with status 1 (clap's usage errors exit with 2).

use std::path::Path;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("cannot read {what} '{path}': {reason}")]
    Read {
        /// What the file holds ("model", "proof", …).
        what: &'static str,
        /// The path as given.
        path: String,
        /// The operating system's reason, in words.
        reason: String,
    },
    /// A file could not be written.
    #[error("cannot write {what} '{path}': {reason}")]
    Write {
        /// What the file holds.
        what: &'static str,
        /// The path as given.
        path: String,
        /// The operating system's reason, in words.
        reason: String,
    },
    /// A file was read but its contents are unusable.
    #[error("invalid {what} '{path}': {reason}")]
    Invalid {
        /// What the file holds.
        what: &'static str,
        /// The path as given.
        path: String,
        /// What is wrong, and where in the file.
        reason: String,
    },
    /// Two files do not belong together (a commitment for another model, …).
    #[error("{0}")]
    Mismatch(String),
    /// The proof was read but does not verify.
    #[error("invalid proof '{path}': {reason}")]
    Rejected {
        /// The proof's path.
        path: String,
        /// The verifier's reason.
        reason: String,
    },
    /// Proving (or committing) failed on valid files: the model and input are not provable.
    #[error("cannot {action}: {reason}")]
    Failed {
        /// "prove 'm.json' on 'x.json'", …
        action: String,
        /// Why.
        reason: String,
    },
    /// A command-line value is unusable (beyond what clap checks).
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// A read error for `path`.
    pub fn read(what: &'static str, path: &Path, e: &std::io::Error) -> Self {
        CliError::Read {
            what,
            path: path.display().to_string(),
            reason: io_reason(e),
        }
    }

    /// A write error for `path`.
    pub fn write(what: &'static str, path: &Path, e: &std::io::Error) -> Self {
        CliError::Write {
            what,
            path: path.display().to_string(),
            reason: io_reason(e),
        }
    }

    /// Unusable contents of `path`.
    pub fn invalid(what: &'static str, path: &Path, reason: impl std::fmt::Display) -> Self {
        CliError::Invalid {
            what,
            path: path.display().to_string(),
            reason: reason.to_string(),
        }
    }
}

/// An I/O error in words, without the `(os error N)` suffix.
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "it is a directory".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}
