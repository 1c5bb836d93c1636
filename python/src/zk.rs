//! Zero-knowledge proofs from Python: the hiding model commitment's state, committed (hidden)
//! inputs, and the zero-knowledge prover and verifier calls, as the CLI's `src/cli/zk.rs` makes
//! them (the same files, byte for byte).
//!
//! A hiding commitment has a public part (the commitment file, `ZKCNNZKC`; a committed input's,
//! `ZKCNNZKI`) and a private part: the mask and the count of mask values the proofs revealed
//! so far (the CLI's prover file, `ZKCNNZKP`; a committed input's, `ZKCNNZXP`). Every proof
//! spends part of the commitments' budgets; the private part lives in the Python object (behind
//! a mutex: proofs run with the GIL released) and is saved with `save_private`.

use crate::commitment::{architecture_digest, ZkInputCommitmentFile};
use crate::errors::{self, CommitmentError, InputError, ZkcnnError};
use crate::{architecture_arg, bytes_arg, Progress};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rand::rngs::OsRng;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::network::{self, NetworkError, ZkCommittedInput};
use zkcnn::pcs::zk::ZkError;
use zkcnn::zk::DischargeError;

/// The guarded value, also after a panic in another thread's proof (a proof that panicked
/// returned no bytes, so it revealed nothing).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Which commitment's budget a proof spent: the model's or the input's.
#[derive(Clone, Copy)]
pub enum Whose {
    /// The hiding model commitment (`Model.commit()`).
    Model,
    /// The committed input (`commit_input`).
    Input,
}

/// A spent budget's counts: `(revealed, needed, budget)`.
pub fn budget_spent(e: &NetworkError) -> Option<(u64, u64, u64)> {
    match e {
        NetworkError::Deferred(DischargeError::Opening(ZkError::Budget {
            revealed,
            needed,
            budget,
        })) => Some((*revealed, *needed, *budget)),
        _ => None,
    }
}

/// A failed zero-knowledge commitment or proof: a spent budget is a `ZkcnnError` of kind
/// `budget` that says which commitment to make again; an operator the zero-knowledge prover
/// does not support says that transparent proofs may; the rest as [`errors::network`].
pub fn failed(py: Python<'_>, action: &str, e: &NetworkError, whose: Whose) -> PyErr {
    if let Some((revealed, needed, budget)) = budget_spent(e) {
        let (what, again) = match whose {
            Whose::Model => (
                "the model commitment",
                "commit the model again: Model.commit()",
            ),
            Whose::Input => (
                "the input commitment",
                "commit the input again: commit_input(architecture, x)",
            ),
        };
        return errors::new::<ZkcnnError>(
            py,
            "budget",
            format!(
                "cannot {action}: {what}'s budget is spent; {again} (its proofs revealed \
                 {revealed} of the {budget} mask values it may reveal, and one more proof needs \
                 {needed})"
            ),
        );
    }
    if let NetworkError::InputSpent {
        entries,
        proofs,
        reads,
    } = e
    {
        return errors::new::<ZkcnnError>(
            py,
            "budget",
            format!(
                "cannot {action}: the input commitment's budget is spent; commit the input \
                 again: commit_input(architecture, x) (it has {entries} entries, read {reads} \
                 times by each proof, and has served {proofs} proofs: one more would reveal \
                 combinations of it)"
            ),
        );
    }
    let err = errors::network(py, action, e);
    if matches!(e, NetworkError::Unsupported { .. }) {
        return errors::new::<errors::ModelError>(
            py,
            "unsupported",
            format!(
                "{} (transparent proofs may: Model.commit(transparent=True))",
                err.value(py)
            ),
        );
    }
    err
}

/// A prover file that cannot be used with this commitment: `InputError` (the model, input or
/// private file do not give the public commitment), or as [`failed`].
pub fn load_failed(py: Python<'_>, e: &NetworkError, whose: Whose) -> PyErr {
    match e {
        NetworkError::CommitmentMismatch => errors::new::<InputError>(
            py,
            "commitment_mismatch",
            "the commitment does not match this model with this private file: other weights, \
             or another commitment's private file",
        ),
        NetworkError::InputCommitmentMismatch => errors::new::<InputError>(
            py,
            "input_commitment_mismatch",
            "the input commitment does not match this input with this private file: another \
             input, or another commitment's private file",
        ),
        NetworkError::ProverData(why) => {
            errors::new::<InputError>(py, "prover_data", format!("invalid private file: {why}"))
        }
        e => failed(py, "load the commitment", e, whose),
    }
}

/// Writes `bytes` to `path` atomically (a temporary file beside it, renamed), readable by its
/// owner only: the private file is a secret. As the CLI's `files::write_atomic`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut f| {
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_all()
    });
    written
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

/// Saves a private part (`write` writes its bytes) to `path`, with the GIL released.
pub fn save_private(
    py: Python<'_>,
    path: PathBuf,
    write: impl Send + FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
) -> PyResult<()> {
    py.detach(|| {
        let mut bytes = Vec::new();
        write(&mut bytes)?;
        write_atomic(&path, &bytes)
    })
    .map_err(|e| {
        errors::os(
            &e,
            format!("cannot write the private file '{}': {e}", path.display()),
        )
    })
}

/// The private part's argument: a path to the file, or its bytes.
pub enum Private {
    /// A file's path.
    Path(PathBuf),
    /// The bytes.
    Bytes(Vec<u8>),
}

impl Private {
    /// From `bytes`/`bytearray` or a path.
    pub fn from_arg(obj: &Bound<'_, PyAny>) -> PyResult<Private> {
        if let Ok(b) = bytes_arg("private", obj) {
            return Ok(Private::Bytes(b.into_owned()));
        }
        obj.extract::<PathBuf>().map(Private::Path).map_err(|_| {
            errors::new::<InputError>(
                obj.py(),
                "type",
                "private must be the private file's path (str or os.PathLike) or its bytes",
            )
        })
    }

    /// Runs `read` on the contents (a buffered file, or the bytes); an unreadable file is an
    /// `OSError` (`Err` of the outer result).
    pub fn read<T>(
        &self,
        read: impl FnOnce(&mut dyn Read) -> T,
    ) -> Result<T, (std::io::Error, String)> {
        match self {
            Private::Bytes(b) => Ok(read(&mut b.as_slice())),
            Private::Path(p) => {
                let f = std::fs::File::open(p).map_err(|e| {
                    let message = format!("cannot read the private file '{}': {e}", p.display());
                    (e, message)
                })?;
                Ok(read(&mut std::io::BufReader::new(f)))
            }
        }
    }
}

/// Input commitment bytes (a committed input's public part) checked against the architecture.
pub fn input_commitment_file(
    py: Python<'_>,
    bytes: &[u8],
    arch: &zkcnn::model::Model,
) -> PyResult<ZkInputCommitmentFile> {
    let file = input_or_batch_commitment_file(py, bytes, arch)?;
    if let Some(n) = file.count {
        return Err(errors::new::<CommitmentError>(
            py,
            "batch",
            format!(
                "this input commitment commits a batch of {n} inputs (`zkcnn commit-input` on a \
                 batch): the Python package proves on one committed input; a batch's commitment \
                 serves the CLI's zero-knowledge batch and accuracy proofs (which `verify` takes)"
            ),
        ));
    }
    Ok(file)
}

/// Input commitment bytes, of one input or of a batch, checked against the architecture.
pub fn input_or_batch_commitment_file(
    py: Python<'_>,
    bytes: &[u8],
    arch: &zkcnn::model::Model,
) -> PyResult<ZkInputCommitmentFile> {
    let file = ZkInputCommitmentFile::from_bytes(bytes).map_err(|e| {
        errors::new::<CommitmentError>(
            py,
            &errors::kind_of(&e),
            format!("invalid input commitment: {e}"),
        )
    })?;
    if file.architecture != architecture_digest(arch) {
        return Err(errors::new::<CommitmentError>(
            py,
            "architecture",
            "the input commitment was made for another model architecture",
        ));
    }
    Ok(file)
}

/// An input committed with a hiding commitment, for zero-knowledge proofs that keep it hidden:
/// `prove(committed, x, input_commitment=this)`; verifiers receive `commitment` (bytes) in
/// place of `x`.
///
/// It serves 8 proofs (`budget`), fewer when it has fewer than 48 entries (each proof reads it three times; `prove` raises when it is spent). The private part (the mask, and how much of it the
/// proofs revealed) lives in this object and is SECRET: with it and the proofs, the input can
/// be recovered. `save_private(path)` writes it (the file `zkcnn commit-input --prover-data`
/// writes); save it again after proofs, since each proof spends budget.
#[pyclass(frozen, module = "zkcnn")]
pub struct CommittedInput {
    pub(crate) inner: Mutex<ZkCommittedInput<F>>,
    pub(crate) commitment: Vec<u8>,
    pub(crate) architecture: String,
    root: String,
}

impl CommittedInput {
    fn new(inner: ZkCommittedInput<F>, arch: &zkcnn::model::Model) -> CommittedInput {
        let file = ZkInputCommitmentFile {
            architecture: architecture_digest(arch),
            count: None,
            commitment: inner.commitment.clone(),
        };
        CommittedInput {
            root: crate::hex(&inner.commitment.inner.root),
            inner: Mutex::new(inner),
            commitment: file.to_bytes(),
            architecture: arch.architecture_json(),
        }
    }
}

#[pymethods]
impl CommittedInput {
    /// The input commitment as bytes, public: what verifiers take in place of `x` (the file
    /// `zkcnn commit-input` writes: magic `ZKCNNZKI`, version, field, a digest of the
    /// architecture, the hiding commitment).
    #[getter]
    fn commitment<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.commitment)
    }

    /// The architecture it was committed for, as compact JSON.
    #[getter]
    fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The commitment's Merkle root, in hex.
    #[getter]
    fn root(&self) -> &str {
        &self.root
    }

    /// The mask values revealed so far by the proofs made with this commitment.
    #[getter]
    fn revealed(&self) -> u64 {
        lock(&self.inner).revealed()
    }

    /// The most mask values all proofs together may reveal; a proof that would pass it raises
    /// `ZkcnnError` (kind `budget`): commit the input again.
    #[getter]
    fn budget(&self) -> u64 {
        lock(&self.inner).budget::<E>().1
    }

    /// Writes the private part to `path` (atomically, readable by its owner only): the file
    /// `zkcnn commit-input --prover-data` writes (magic `ZKCNNZXP`). SECRET: keep it with the
    /// input. Save it again after proofs (each proof spends budget), and never use an older
    /// copy: proofs made from it would reveal mask values twice.
    fn save_private(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        save_private(py, path, |out| lock(&self.inner).write_private(out))
    }

    /// The committed input again, from the architecture (JSON or a `Model`), the input `x`,
    /// the public `commitment` bytes and the private part (`private`: the path of the file
    /// `save_private` or `zkcnn commit-input --prover-data` wrote, or its bytes).
    ///
    /// Raises `CommitmentError` for commitment bytes that are malformed or for another
    /// architecture, `InputError` for an `x` or private file that do not give the commitment,
    /// `OSError` for a file that cannot be read.
    #[staticmethod]
    fn load(
        py: Python<'_>,
        architecture: &Bound<'_, PyAny>,
        x: &Bound<'_, PyAny>,
        commitment: &Bound<'_, PyAny>,
        private: &Bound<'_, PyAny>,
    ) -> PyResult<CommittedInput> {
        let arch = architecture_arg(py, architecture)?;
        let input = crate::arrays::model_input(x, &arch)?;
        let file = input_commitment_file(py, &bytes_arg("commitment", commitment)?, &arch)?;
        let private = Private::from_arg(private)?;
        let loaded = py
            .detach(|| {
                private.read(|mut r| {
                    ZkCommittedInput::<F>::load::<E>(&arch, &input, file.commitment, &mut r)
                })
            })
            .map_err(|(e, message)| errors::os(&e, message))?
            .map_err(|e| load_failed(py, &e, Whose::Input))?;
        Ok(CommittedInput::new(loaded, &arch))
    }

    fn __repr__(&self) -> String {
        format!(
            "CommittedInput(root={}…, commitment={} bytes, revealed={} of {})",
            self.root.get(..8).unwrap_or_default(),
            self.commitment.len(),
            self.revealed(),
            self.budget()
        )
    }
}

/// Commits to an input with a hiding commitment, for zero-knowledge proofs that keep it hidden
/// (`prove(committed, x, input_commitment=...)`), as `zkcnn commit-input` does.
///
/// `architecture` is the model's architecture (JSON) or a `Model` (no weight is read); `x` is
/// read as `prove` reads it. Randomness from the operating system. Raises `InputError` for a
/// bad `x`, `ModelError` for an architecture the zero-knowledge prover does not support.
#[pyfunction]
#[pyo3(signature = (architecture, x, progress=None))]
pub fn commit_input(
    py: Python<'_>,
    architecture: &Bound<'_, PyAny>,
    x: &Bound<'_, PyAny>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<CommittedInput> {
    let arch = architecture_arg(py, architecture)?;
    network::plan::Plan::new(&arch).map_err(|e| errors::network(py, "commit the input", &e))?;
    let input = crate::arrays::model_input(x, &arch)?;
    let committed = Progress(progress)
        .run(py, "commit input", || {
            network::commit_input_zk::<F, E, _>(&arch, &input, &mut OsRng)
        })?
        .map_err(|e| failed(py, "commit the input", &e, Whose::Input))?;
    Ok(CommittedInput::new(committed, &arch))
}
