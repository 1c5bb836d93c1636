//! Python bindings of zkcnn: `zkcnn._zkcnn`, re-exported by the `zkcnn` package.
//!
//! A thin layer over the library, doing what the CLI's `import`, `commit`, `prove` and `verify`
//! do (`src/cli/`), with NumPy arrays and bytes in place of files:
//!
//! * [`import_onnx`] → [`Model`] (with the import report); [`Model::from_json`];
//!   [`Model::load`] and [`Model::save`] for model files, one JSON file or split (the
//!   architecture's JSON and a binary weights file);
//! * [`Model::commit`] → [`CommittedModel`]: a hiding commitment for zero-knowledge proofs by
//!   default, a transparent one with `transparent=True`; the commitment bytes are the CLI's
//!   commitment file, so either side reads the other's; a hiding commitment's private part
//!   (the CLI's prover file) is saved with [`CommittedModel::save_private`] and read back by
//!   [`CommittedModel::load`];
//! * [`zk::commit_input`] → [`zk::CommittedInput`]: a hidden input (zero-knowledge proofs only);
//! * [`prove`] → the proven output and the proof bytes (the CLI's proof file), of the
//!   commitment's kind;
//! * [`verify`] → `None`, or an exception per failure ([`errors`]); any kind of proof, from
//!   its header (single, zero-knowledge, batch, accuracy);
//! * [`batch`]: [`batch::prove_batch`], [`batch::prove_accuracy`] (and its shards),
//!   [`batch::verify_accuracy`], [`batch::shard_manifest`], [`batch::verify_shards`]
//!   (transparent proofs of several inputs, as the CLI's `prove` of a `[N, ...]` batch,
//!   `--labels`, `--shard` and `verify --shards`).
//!
//! Committing, proving, verifying and importing run with the GIL released. Proofs are over
//! Goldilocks with challenges in its quadratic extension, as the CLI's.

mod arrays;
mod batch;
mod errors;
mod zk;
mod zk_batch;

/// The commitment file of the CLI (`src/cli/commitment.rs`), compiled here as it is so that
/// both read and write the same bytes.
#[path = "../../src/cli/commitment.rs"]
#[allow(dead_code)]
mod commitment;

use commitment::{
    architecture_digest, CommitmentFile, CommitmentFileError, ZkCommitmentFile, MAGIC, ZK_MAGIC,
};
use errors::{CommitmentError, InputError, ZkcnnError};
use numpy::{IntoPyArray, PyArrayDyn};
use pyo3::exceptions::PyValueError;
use pyo3::marker::Ungil;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};
use rand::rngs::OsRng;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zk::{lock, CommittedInput, Whose};
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::network::counts::{Count, CountError};
use zkcnn::network::zk::{ZkProverInput, PRIVATE_REVEALED_AT};
use zkcnn::network::{
    self, FormatError, NetworkError, ProofKind, ZkCommittedModel, ZkInput, ZkNetworkProof,
};
use zkcnn::onnx::{self, ImportOptions};

/// The allocator of the extension's Rust code, as in the CLI: it keeps freed memory for reuse
/// (see the README's note on glibc's malloc). Unlike the CLI (`src/allocator.rs`), the
/// extension leaves mimalloc's delayed purging on, so that a long-lived Python process gives
/// memory back after a proof; repeated large proofs pay for faulting it in again.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The optional progress callback: `progress(phase, None)` when a phase starts,
/// `progress(phase, seconds)` when it ends.
pub(crate) struct Progress<'py>(pub(crate) Option<Bound<'py, PyAny>>);

impl<'py> Progress<'py> {
    fn start(&self, phase: &str) -> PyResult<()> {
        if let Some(f) = &self.0 {
            f.call1((phase, None::<f64>))?;
        }
        Ok(())
    }

    fn done(&self, phase: &str, took: Duration) -> PyResult<()> {
        if let Some(f) = &self.0 {
            f.call1((phase, took.as_secs_f64()))?;
        }
        Ok(())
    }

    /// Runs `work` as `phase` with the GIL released.
    pub(crate) fn run<T: Ungil>(
        &self,
        py: Python<'_>,
        phase: &str,
        work: impl Ungil + FnOnce() -> T,
    ) -> PyResult<T> {
        self.start(phase)?;
        let clock = Instant::now();
        let out = py.detach(work);
        self.done(phase, clock.elapsed())?;
        Ok(out)
    }
}

/// `bytes` or `bytearray` (borrowed when `bytes`).
pub(crate) fn bytes_arg<'a>(what: &str, obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Cow::Owned(b.to_vec()));
    }
    let type_name = obj
        .get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string());
    Err(errors::new::<InputError>(
        obj.py(),
        "type",
        format!("{what} must be bytes, not {type_name}"),
    ))
}

/// Bytes in hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `kind` argument: `"zk"`, `"transparent"` or `None`.
fn kind_arg(kind: Option<&str>) -> PyResult<Option<ProofKind>> {
    match kind {
        None => Ok(None),
        Some("zk") => Ok(Some(ProofKind::ZeroKnowledge)),
        Some("transparent") => Ok(Some(ProofKind::Transparent)),
        Some(other) => Err(PyValueError::new_err(format!(
            "kind must be \"zk\", \"transparent\" or None, not {other:?}"
        ))),
    }
}

/// A kind as the Python API names it.
fn kind_name(kind: ProofKind) -> &'static str {
    match kind {
        ProofKind::Transparent => "transparent",
        ProofKind::ZeroKnowledge => "zk",
        ProofKind::TransparentBatch => "transparent batch",
        ProofKind::TransparentAccuracy => "transparent accuracy",
        ProofKind::ZeroKnowledgeBatch => "zk batch",
        ProofKind::ZeroKnowledgeAccuracy => "zk accuracy",
    }
}

/// Commitment bytes that were refused, in the Python API's words.
fn commitment_error(py: Python<'_>, e: &CommitmentFileError) -> PyErr {
    let message = match e {
        CommitmentFileError::OtherKind { hiding: true } => {
            "this is a hiding commitment (Model.commit()): it serves zero-knowledge proofs only"
                .to_string()
        }
        CommitmentFileError::OtherKind { hiding: false } => {
            "this is a transparent commitment (Model.commit(transparent=True)): zero-knowledge \
             proofs need a hiding commitment (Model.commit())"
                .to_string()
        }
        e => format!("invalid commitment: {e}"),
    };
    errors::new::<CommitmentError>(py, &errors::kind_of(e), message)
}

/// The kind of commitment bytes, from their magic (`None`: neither).
fn commitment_kind(bytes: &[u8]) -> Option<ProofKind> {
    if bytes.starts_with(ZK_MAGIC) {
        Some(ProofKind::ZeroKnowledge)
    } else if bytes.starts_with(MAGIC) {
        Some(ProofKind::Transparent)
    } else {
        None
    }
}

fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// A quantized CNN in zkcnn's model IR: an input shape and a chain of layers with integer
/// weights (see the README of the repository for the layers).
///
/// Make one with `import_onnx` or `Model.from_json`; commit it with `commit()`.
#[pyclass(frozen, module = "zkcnn")]
pub struct Model {
    inner: zkcnn::model::Model,
    /// The ONNX import's report, as JSON.
    report: Option<String>,
}

#[pymethods]
impl Model {
    /// Parses and validates a model from its JSON (what `to_json` and `zkcnn import` write).
    ///
    /// Raises `ModelError` if the JSON does not parse or the model is invalid.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Model> {
        let inner = zkcnn::model::Model::from_json(text).map_err(|e| errors::model(py, &e))?;
        Ok(Model {
            inner,
            report: None,
        })
    }

    /// Loads a model file in either form: one JSON file (what `zkcnn import` writes for small
    /// models, and `to_json`), or a split model, the architecture's JSON naming a binary
    /// weights file next to it (`zkcnn import --weights file`, `save(path, weights="file")`).
    ///
    /// Raises `ModelError` for an invalid model or weights file (a corrupt one: kind
    /// `checksum`), `OSError` for a file that cannot be read.
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Model> {
        let inner = py
            .detach(|| zkcnn::model::file::load(&path))
            .map_err(|e| errors::load(py, &e))?;
        Ok(Model {
            inner,
            report: None,
        })
    }

    /// Saves the model to `path` (JSON). `weights`: `"inline"` in the JSON, `"file"` in a
    /// binary weights file next to it (`path` with the extension `.weights`, named by the
    /// JSON, which then holds the architecture), `"auto"` inline up to 2^20 weights and biases
    /// and in a file beyond. Returns the weights file's path, or `None` when inline.
    ///
    /// Raises `OSError` for a file that cannot be written, `ModelError` for a model too large
    /// for one JSON file, `ValueError` for another `weights`.
    #[pyo3(signature = (path, weights="auto"))]
    fn save(
        &self,
        py: Python<'_>,
        path: std::path::PathBuf,
        weights: &str,
    ) -> PyResult<Option<std::path::PathBuf>> {
        use zkcnn::model::file::WeightsForm;
        let form = match weights {
            "auto" => WeightsForm::Auto,
            "inline" => WeightsForm::Inline,
            "file" => WeightsForm::File,
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "weights must be \"auto\", \"inline\" or \"file\", not {other:?}"
                )))
            }
        };
        let saved = py
            .detach(|| zkcnn::model::file::save(&self.inner, &path, form))
            .map_err(|e| errors::load(py, &e))?;
        Ok(saved.map(|(weights, _)| weights))
    }

    /// The model as pretty-printed JSON, weights included (what `from_json` reads).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The architecture: the model without its weights and biases, as compact JSON. With the
    /// commitment, it is what a verifier needs (`verify`'s first argument).
    fn architecture(&self) -> String {
        self.inner.architecture_json()
    }

    /// The model's name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The input shape, without a batch dimension: `[C, H, W]` or `[features]`.
    #[getter]
    fn input_shape(&self) -> Vec<usize> {
        self.inner.input_shape.clone()
    }

    /// `B`: activations (inputs and outputs included) lie in `(-2^(B-1), 2^(B-1))`.
    #[getter]
    fn activation_bits(&self) -> u32 {
        self.inner.activation_bits
    }

    /// `W`: weights lie in `(-2^(W-1), 2^(W-1))`.
    #[getter]
    fn weight_bits(&self) -> u32 {
        self.inner.weight_bits
    }

    /// The number of layers.
    #[getter]
    fn num_layers(&self) -> usize {
        self.inner.layers.len()
    }

    /// How real numbers map to the model's integers (`input_frac_bits`, `output_frac_bits`,
    /// `outside`), for a model imported from a float model; else `None`.
    #[getter]
    fn quantization<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.inner.quantization {
            Some(q) => {
                let text = serde_json::to_string(q).unwrap_or_default();
                Ok(Some(json_loads(py, &text)?))
            }
            None => Ok(None),
        }
    }

    /// The report of `import_onnx` (what became of every node, the scales, float versus
    /// quantized agreement), as a dict; `None` for a model that was not imported.
    #[getter]
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.report
            .as_deref()
            .map(|text| json_loads(py, text))
            .transpose()
    }

    /// Commits to the weights (once per model; every proof reuses it), with the GIL released.
    ///
    /// By default a hiding commitment, for zero-knowledge proofs (`kind` `"zk"`): the proofs
    /// reveal nothing of the weights; randomness from the operating system; it serves at
    /// least 64 proofs (`budget`), and its private part (SECRET) lives in the result, saved
    /// with `save_private`. With `transparent=True`, a transparent commitment (deterministic;
    /// proofs reveal parts of the weights and activations; no budget).
    ///
    /// `progress(phase, seconds_or_None)` is called when the `commit` phase starts and ends.
    /// Raises `ModelError` if the model is beyond what the prover supports.
    #[pyo3(signature = (progress=None, transparent=false))]
    fn commit(
        slf: &Bound<'_, Self>,
        progress: Option<Bound<'_, PyAny>>,
        transparent: bool,
    ) -> PyResult<CommittedModel> {
        let py = slf.py();
        let model = &slf.get().inner;
        let progress = Progress(progress);
        let architecture = architecture_digest(model);
        let (state, commitment, root) = if transparent {
            let committed = progress
                .run(py, "commit", || network::commit_model::<F, E>(model))?
                .map_err(|e| errors::network(py, "commit the model", &e))?;
            let file = CommitmentFile {
                architecture,
                commitment: committed.public.clone(),
            };
            let root = hex(&committed.commitment().root);
            (
                State::Transparent(Box::new(committed)),
                file.to_bytes(),
                root,
            )
        } else {
            let (committed, check) = progress
                .run(py, "commit", || {
                    let mut committed = network::commit_model_zk::<F, E, _>(model, &mut OsRng)?;
                    // The proof that the commitment holds a model of the architecture (its
                    // opening spends part of the budget).
                    let check = network::prove_model_check_zk::<F, E, _>(
                        model,
                        &mut committed,
                        &mut OsRng,
                    )?;
                    Ok::<_, NetworkError>((committed, check))
                })?
                .map_err(|e| zk::failed(py, "commit the model", &e, Whose::Model))?;
            let file = ZkCommitmentFile {
                architecture,
                commitment: committed.commitment.clone(),
                check,
            };
            let root = hex(&committed.commitment.inner.root);
            (
                State::Zk(Box::new(Mutex::new(committed))),
                file.to_bytes(),
                root,
            )
        };
        let saved = AtomicU64::new(state.revealed());
        Ok(CommittedModel {
            model: slf.clone().unbind(),
            state,
            commitment,
            architecture: model.architecture_json(),
            root,
            saved,
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Model(name='{}', input_shape={:?}, layers={}, activation_bits={}, weight_bits={}{})",
            self.inner.name,
            self.inner.input_shape,
            self.inner.layers.len(),
            self.inner.activation_bits,
            self.inner.weight_bits,
            if self.inner.quantization.is_some() {
                ", quantized from a float model"
            } else {
                ""
            }
        )
    }
}

/// A commitment's prover state: a transparent commitment's, or a hiding one's (mutable: every
/// proof spends budget; behind a mutex since proofs run with the GIL released).
enum State {
    Transparent(Box<network::CommittedModel<F, E>>),
    Zk(Box<Mutex<ZkCommittedModel<F>>>),
}

impl State {
    /// A hiding commitment's revealed count (0 for a transparent one).
    fn revealed(&self) -> u64 {
        match self {
            State::Transparent(_) => 0,
            State::Zk(m) => lock(m).revealed(),
        }
    }
}

/// A model with its commitment: what `prove` needs. `commitment` and `architecture` are what
/// the model's owner publishes for verifiers.
#[pyclass(frozen, module = "zkcnn")]
pub struct CommittedModel {
    model: Py<Model>,
    state: State,
    commitment: Vec<u8>,
    architecture: String,
    root: String,
    /// A hiding commitment's revealed count when it was made, loaded or last saved: what
    /// `save_private` merges from (`network::counts::write_counts`).
    saved: AtomicU64,
}

impl CommittedModel {
    /// The hiding commitment's state, or a `ValueError` saying that a transparent one has none.
    fn zk(&self, what: &str) -> PyResult<&Mutex<ZkCommittedModel<F>>> {
        match &self.state {
            State::Zk(m) => Ok(m),
            State::Transparent(_) => Err(PyValueError::new_err(format!(
                "a transparent commitment has no {what}: only a hiding one (Model.commit()) has"
            ))),
        }
    }
}

#[pymethods]
impl CommittedModel {
    /// The commitment as bytes, public: the file `zkcnn commit` writes (magic `ZKCNNZKC` for a
    /// hiding commitment, `ZKCNNCOM` for a transparent one; version, field, a digest of the
    /// architecture, the commitment to the weights and the proof that it holds a model of the
    /// architecture).
    #[getter]
    fn commitment<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.commitment)
    }

    /// The architecture (the model without weights) as compact JSON.
    #[getter]
    fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The committed model.
    #[getter]
    fn model(&self, py: Python<'_>) -> Py<Model> {
        self.model.clone_ref(py)
    }

    /// The Merkle root of the commitment, in hex.
    #[getter]
    fn root(&self) -> &str {
        &self.root
    }

    /// `"zk"` for a hiding commitment (zero-knowledge proofs), `"transparent"` otherwise: the
    /// kind of the proofs `prove` makes with it.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.state {
            State::Transparent(_) => "transparent",
            State::Zk(_) => "zk",
        }
    }

    /// The mask values revealed so far by the proofs made with a hiding commitment (its check
    /// included); `None` for a transparent one.
    #[getter]
    fn revealed(&self) -> Option<u64> {
        self.zk("budget").ok().map(|m| lock(m).revealed())
    }

    /// The most mask values all proofs with a hiding commitment may reveal; a proof that would
    /// pass it raises `ZkcnnError` (kind `budget`): commit again. `None` for a transparent one.
    #[getter]
    fn budget(&self) -> Option<u64> {
        self.zk("budget").ok().map(|m| lock(m).budget::<E>().1)
    }

    /// Writes a hiding commitment's private part to `path` (readable by its owner only): the
    /// prover file of `zkcnn commit --prover-data` (magic `ZKCNNZKP`): the mask and the count
    /// of its values revealed so far. SECRET: with it and one proof, the weights can be
    /// recovered; keep it with the weights. Save it again after proofs (each proof spends
    /// budget), and never load an older copy: proofs made from it would reveal mask values
    /// twice.
    ///
    /// When `path` already holds this commitment's private part (the file it was loaded from,
    /// which `zkcnn prove` may have used meanwhile), only the count is written, under a lock,
    /// merged: the file's count plus what this object's proofs revealed since it was loaded or
    /// last saved (and this object then counts from the merged value). Any other file is
    /// replaced atomically. Raises `ValueError` for a transparent commitment, `ZkcnnError`
    /// (kind `budget`) when the merged count passes the budget (nothing is written), `OSError`
    /// when the file cannot be written.
    fn save_private(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let m = self.zk("private part")?;
        let saved = &self.saved;
        let merged = py.detach(|| -> Result<(), (std::io::Error, Option<CountError>)> {
            let mut committed = lock(m);
            let mut ours = Vec::new();
            committed.write_private(&mut ours).map_err(|e| (e, None))?;
            let loaded = saved.load(Ordering::SeqCst);
            let budget = committed.budget::<E>().1;
            let merge = [(PRIVATE_REVEALED_AT, loaded, Count::Merge { budget })];
            let written = match network::counts::write_counts(&path, &ours, &merge) {
                Ok(counts) => counts.first().copied(),
                // No file yet, or another one (not this commitment's): replaced.
                Err(CountError::Replaced) => None,
                Err(CountError::Read(e)) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err((std::io::Error::other(e.to_string()), Some(e))),
            };
            let count = match written {
                Some(count) => {
                    committed.raise_revealed(count);
                    count
                }
                None => {
                    zk::write_atomic(&path, &ours).map_err(|e| (e, None))?;
                    committed.revealed()
                }
            };
            saved.store(count, Ordering::SeqCst);
            Ok(())
        });
        merged.map_err(|(e, cause)| match cause {
            Some(CountError::Budget { now, spent, budget }) => errors::new::<ZkcnnError>(
                py,
                "budget",
                format!(
                    "cannot save the private part to '{}': proofs made meanwhile with that file \
                     spent the model commitment's budget ({now} of {budget} mask values \
                     revealed there, and this object's proofs revealed {spent} more); nothing \
                     was written: commit the model again (Model.commit())",
                    path.display()
                ),
            ),
            _ => errors::os(
                &e,
                format!("cannot write the private file '{}': {e}", path.display()),
            ),
        })
    }

    /// The committed model again, from the model (with its weights), the public `commitment`
    /// bytes and, for a hiding commitment, its private part (`private`: the path of the file
    /// `save_private` or `zkcnn commit --prover-data` wrote, or its bytes). A transparent
    /// commitment takes no private part: the model is committed again and compared.
    ///
    /// Raises `CommitmentError` for commitment bytes that are malformed or for another
    /// architecture, `InputError` for weights or a private file that do not give the
    /// commitment, `OSError` for a file that cannot be read.
    #[staticmethod]
    #[pyo3(signature = (model, commitment, private=None))]
    fn load(
        model: &Bound<'_, Model>,
        commitment: &Bound<'_, PyAny>,
        private: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CommittedModel> {
        let py = model.py();
        let bytes = bytes_arg("commitment", commitment)?.into_owned();
        let m = &model.get().inner;
        let hiding = commitment_kind(&bytes) == Some(ProofKind::ZeroKnowledge);
        let (state, root) = match private {
            Some(private) => {
                let file =
                    ZkCommitmentFile::from_bytes(&bytes).map_err(|e| commitment_error(py, &e))?;
                check_architecture(py, file.architecture, m)?;
                let private = zk::Private::from_arg(private)?;
                let loaded = py
                    .detach(|| {
                        private.read(|mut r| {
                            ZkCommittedModel::<F>::load::<E>(m, file.commitment, &mut r)
                        })
                    })
                    .map_err(|(e, message)| errors::os(&e, message))?
                    .map_err(|e| zk::load_failed(py, &e, Whose::Model))?;
                let root = hex(&loaded.commitment.inner.root);
                (State::Zk(Box::new(Mutex::new(loaded))), root)
            }
            None if hiding => {
                return Err(errors::new::<InputError>(
                    py,
                    "prover_data",
                    "a hiding commitment needs its private part: load(model, commitment, \
                     private=path or bytes)",
                ))
            }
            None => {
                let file =
                    CommitmentFile::from_bytes(&bytes).map_err(|e| commitment_error(py, &e))?;
                check_architecture(py, file.architecture, m)?;
                let committed = py
                    .detach(|| network::commit_model::<F, E>(m))
                    .map_err(|e| errors::network(py, "commit the model", &e))?;
                if committed.public != file.commitment {
                    return Err(errors::new::<InputError>(
                        py,
                        "commitment_mismatch",
                        "the commitment is not this model's: other weights",
                    ));
                }
                let root = hex(&committed.commitment().root);
                (State::Transparent(Box::new(committed)), root)
            }
        };
        let saved = AtomicU64::new(state.revealed());
        Ok(CommittedModel {
            model: model.clone().unbind(),
            state,
            commitment: bytes,
            architecture: m.architecture_json(),
            root,
            saved,
        })
    }

    fn __repr__(&self) -> String {
        let budget = match (self.revealed(), self.budget()) {
            (Some(r), Some(b)) => format!(", revealed={r} of {b}"),
            _ => String::new(),
        };
        format!(
            "CommittedModel(name='{}', kind='{}', root={}…, commitment={} bytes{budget})",
            self.model.get().inner.name,
            self.kind(),
            self.root.get(..8).unwrap_or_default(),
            self.commitment.len()
        )
    }
}

/// A commitment's architecture digest checked against the model's.
fn check_architecture(
    py: Python<'_>,
    digest: [u8; 32],
    model: &zkcnn::model::Model,
) -> PyResult<()> {
    if digest != architecture_digest(model) {
        return Err(errors::new::<CommitmentError>(
            py,
            "architecture",
            "the commitment is for another model architecture",
        ));
    }
    Ok(())
}

/// Imports a float ONNX CNN as a quantized model, as `zkcnn import` does.
///
/// `onnx` is a path or the file's bytes. `calibration` holds sample inputs, shape
/// `[N, *input_shape]`, from which the power-of-two scales are chosen; `eval=(x, labels)`
/// measures float versus quantized agreement and accuracy (and is the calibration set when
/// `calibration` is not given). Arrays of float (or integer) dtype, the float model's values.
/// The result's `report` says what became of every node and how closely the models agree.
///
/// Raises `ModelError` for an ONNX model that cannot be imported, `InputError` for unusable
/// arrays, `OSError` for a file that cannot be read.
#[pyfunction]
#[pyo3(signature = (onnx, calibration=None, eval=None, *, activation_bits=8, weight_bits=8, name=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn import_onnx(
    py: Python<'_>,
    onnx: &Bound<'_, PyAny>,
    calibration: Option<&Bound<'_, PyAny>>,
    eval: Option<(Bound<'_, PyAny>, Bound<'_, PyAny>)>,
    activation_bits: u32,
    weight_bits: u32,
    name: Option<String>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<Model> {
    // A path's folder is where side files (`model.onnx.data`, the default of torch >= 2.9's
    // exporter) are looked up; bytes have none, so a model with external data needs a path.
    let mut dir: Option<std::path::PathBuf> = None;
    let bytes = match bytes_arg("onnx", onnx) {
        Ok(b) => b.into_owned(),
        Err(_) => {
            let path: std::path::PathBuf = onnx.extract()?;
            dir = Some(match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            });
            std::fs::read(&path).map_err(|e| {
                errors::os(
                    &e,
                    format!("cannot read ONNX model '{}': {e}", path.display()),
                )
            })?
        }
    };
    let shape = onnx::input_shape(&bytes).map_err(|e| errors::onnx(py, &e))?;
    let evaluation = match &eval {
        Some((x, labels)) => {
            let xs = arrays::samples("eval x", x, &shape)?;
            let ys = arrays::labels(labels, xs.len())?;
            Some((xs, ys))
        }
        None => None,
    };
    let calibration = match (calibration, &evaluation) {
        (Some(c), _) => arrays::samples("calibration", c, &shape)?,
        (None, Some((xs, _))) => xs.clone(),
        (None, None) => {
            return Err(errors::new::<InputError>(
                py,
                "options",
                "import needs sample inputs to choose the scales: pass calibration=X \
                 (or eval=(X, labels))",
            ))
        }
    };
    let options = ImportOptions {
        calibration,
        evaluation,
        activation_bits,
        weight_bits,
        name,
        ..ImportOptions::default()
    };
    let imported = Progress(progress)
        .run(py, "import", || {
            match &dir {
                Some(d) => onnx::import_with_external_data(&bytes, d, &options),
                None => onnx::import(&bytes, &options),
            }
            .map_err(Box::new)
        })?
        .map_err(|e| errors::onnx(py, &e))?;
    Ok(Model {
        inner: imported.model,
        report: serde_json::to_string(&imported.report).ok(),
    })
}

/// The proof's statement digest and bytes, as the CLI writes them.
fn proof_bytes(
    model: &zkcnn::model::Model,
    committed: &network::CommittedModel<F, E>,
    input: &ndarray::ArrayD<i64>,
    output: &ndarray::ArrayD<i64>,
    proof: &network::Proof<F, E>,
) -> Vec<u8> {
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    proof.to_bytes(network::statement_digest(
        model,
        committed.commitment(),
        &x,
        &y,
    ))
}

/// The input of a proof: public values, or a committed input.
#[derive(Clone, Copy)]
pub(crate) enum ProveInput<'a> {
    Public(&'a ndarray::ArrayD<i64>),
    Committed(&'a CommittedInput),
}

/// A failed proof's exception for a commitment in `state`: a hiding commitment's as
/// [`zk::failed`] says it (a spent budget, a step zero-knowledge proofs do not take, with the
/// hint that transparent proofs do), a transparent one's as the network error (that hint would
/// be wrong there).
pub(crate) fn proof_failed(
    py: Python<'_>,
    state: &State,
    action: &str,
    e: &NetworkError,
    whose: Whose,
) -> PyErr {
    match state {
        State::Transparent(_) => errors::network(py, action, e),
        State::Zk(_) => zk::failed(py, action, e, whose),
    }
}

/// Proves `model` on the input with the commitment's kind of proof; returns the output and
/// the proof's bytes (as the CLI writes them), or the error with the commitment whose budget a
/// spent budget is (the input's only when its count is the one that ran out).
pub(crate) fn prove_bytes(
    model: &zkcnn::model::Model,
    state: &State,
    input: ProveInput<'_>,
    phases: &mut network::Phases,
) -> Result<(ndarray::ArrayD<i64>, Vec<u8>), (NetworkError, Whose)> {
    let zk = match (state, input) {
        (State::Transparent(c), ProveInput::Public(x)) => {
            let (output, proof) =
                network::prove_timed::<F, E>(model, c, x, phases).map_err(|e| (e, Whose::Model))?;
            let bytes = proof_bytes(model, c, x, &output, &proof);
            return Ok((output, bytes));
        }
        (State::Transparent(_), ProveInput::Committed(_)) => {
            unreachable!("prove refuses a committed input with a transparent commitment")
        }
        (State::Zk(m), _) => m,
    };
    let mut committed = lock(zk);
    let finish = |committed: &ZkCommittedModel<F>,
                  output: ndarray::ArrayD<i64>,
                  proof: ZkNetworkProof<F, E>,
                  x: ZkInput<'_>| {
        let y: Vec<i64> = output.iter().copied().collect();
        let digest = network::zk_statement_digest(model, &committed.commitment, x, &y);
        (output, proof.to_bytes(digest))
    };
    match input {
        ProveInput::Public(x) => {
            let (output, proof) = network::zk::prove_zk_timed::<F, E, _>(
                model,
                &mut committed,
                ZkProverInput::Public(x),
                &mut OsRng,
                phases,
            )
            .map_err(|e| (e, Whose::Model))?;
            let xs: Vec<i64> = x.iter().copied().collect();
            Ok(finish(&committed, output, proof, ZkInput::Public(&xs)))
        }
        ProveInput::Committed(ci) => {
            let mut hidden = lock(&ci.inner);
            let proved = network::zk::prove_zk_timed::<F, E, _>(
                model,
                &mut committed,
                ZkProverInput::Committed(&mut hidden),
                &mut OsRng,
                phases,
            );
            let (output, proof) = proved.map_err(|e| {
                let whose = match zk::budget_spent(&e) {
                    Some((revealed, ..))
                        if revealed == hidden.revealed() && revealed != committed.revealed() =>
                    {
                        Whose::Input
                    }
                    _ => Whose::Model,
                };
                (e, whose)
            })?;
            Ok(finish(
                &committed,
                output,
                proof,
                ZkInput::Committed(&hidden.commitment),
            ))
        }
    }
}

/// Proves that the committed model, on `x`, outputs the returned array; returns
/// `(output, proof)`: the proven integer output (`int64`, the model's output shape) and the
/// proof's bytes (the file `zkcnn prove` writes). The proof's kind is the commitment's: a
/// zero-knowledge proof with a hiding commitment (it spends part of its budget), a transparent
/// one otherwise.
///
/// `x` has the model's input shape (or `[1, *input_shape]`) and is C-contiguous. An integer
/// dtype is taken as it is; a float dtype holds real values, quantized with the model's input
/// scale as the CLI does (`round(x * 2^input_frac_bits)`, clamped to the activation range, NaN
/// to 0) — only for models with `quantization`, that is imported ones.
///
/// `input_commitment` (a `CommittedInput` from `commit_input`, hiding commitments only) keeps
/// the input hidden: the proof is on the committed input, and verifiers take
/// `input_commitment.commitment` in place of `x`. `x` may then be `None`; if given, it must be
/// the committed input. The proof spends part of the input commitment's budget too.
///
/// `progress(phase, seconds_or_None)` is called when `prove` starts and ends; the prover's own
/// phases (`prove: inference and witness`, …) are reported with their times when it ends.
/// The GIL is released while proving. Raises `InputError` for a bad `x` or one on which the
/// quantized inference overflows, `ModelError` for a model the prover does not support,
/// `ZkcnnError` of kind `budget` when a commitment's budget is spent (commit again).
#[pyfunction]
#[pyo3(signature = (committed, x, progress=None, input_commitment=None))]
fn prove<'py>(
    committed: &Bound<'py, CommittedModel>,
    x: &Bound<'py, PyAny>,
    progress: Option<Bound<'py, PyAny>>,
    input_commitment: Option<Bound<'py, CommittedInput>>,
) -> PyResult<(Bound<'py, PyArrayDyn<i64>>, Bound<'py, PyBytes>)> {
    let py = committed.py();
    let c = committed.get();
    let model = &c.model.get().inner;
    let x = if x.is_none() {
        None
    } else {
        Some(arrays::model_input(x, model)?)
    };
    let input = match (&input_commitment, &x) {
        (None, Some(x)) => ProveInput::Public(x),
        (None, None) => {
            return Err(errors::new::<InputError>(
                py,
                "type",
                "x must be a numpy.ndarray (None only with input_commitment)",
            ))
        }
        (Some(ci), x) => {
            let ci = ci.get();
            if let State::Transparent(_) = c.state {
                return Err(errors::new::<InputError>(
                    py,
                    "input_commitment",
                    "a committed input serves zero-knowledge proofs only: commit the model \
                     with a hiding commitment (Model.commit(), without transparent=True)",
                ));
            }
            if ci.architecture != c.architecture {
                return Err(errors::new::<InputError>(
                    py,
                    "architecture",
                    "the input commitment was made for another model architecture",
                ));
            }
            if x.as_ref().is_some_and(|x| x != lock(&ci.inner).input()) {
                return Err(errors::new::<InputError>(
                    py,
                    "input_commitment",
                    "x is not the committed input (pass x=None to prove on the committed input)",
                ));
            }
            ProveInput::Committed(ci)
        }
    };
    let progress = Progress(progress);
    progress.start("prove")?;
    let clock = Instant::now();
    let proved = py.detach(|| {
        let mut phases = network::Phases::new();
        prove_bytes(model, &c.state, input, &mut phases).map(|(o, b)| (o, b, phases))
    });
    let took = clock.elapsed();
    let (output, bytes, phases) =
        proved.map_err(|(e, whose)| proof_failed(py, &c.state, "prove", &e, whose))?;
    for (name, d) in &phases {
        progress.done(&format!("prove: {name}"), *d)?;
    }
    progress.done("prove", took)?;
    Ok((output.into_pyarray(py), PyBytes::new(py, &bytes)))
}

/// The architecture argument: JSON text (validated without weights) or a `Model`.
pub(crate) fn architecture_arg(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
) -> PyResult<zkcnn::model::Model> {
    if let Ok(m) = obj.cast::<Model>() {
        return Ok(m.get().inner.architecture());
    }
    let text: &str = obj.extract().map_err(|_| {
        errors::new::<InputError>(
            py,
            "type",
            "architecture must be the architecture's JSON text (str) or a Model",
        )
    })?;
    let model: zkcnn::model::Model = serde_json::from_str(text).map_err(|e| {
        errors::model(
            py,
            &zkcnn::model::ModelError::Json {
                message: e.to_string(),
                line: e.line(),
                column: e.column(),
            },
        )
    })?;
    model
        .validate_architecture()
        .map_err(|e| errors::model(py, &e))?;
    Ok(model)
}

/// Verifies that the model committed in `commitment`, with this `architecture`, on `x`,
/// outputs `y`; returns `None` if the proof is valid and raises otherwise.
///
/// `architecture` is the JSON that `CommittedModel.architecture` or `Model.architecture()`
/// gives (or a `Model`); `commitment` and `proof` are bytes (the CLI's files too); `x` is read
/// as `prove` reads it, or is the input commitment's bytes (`CommittedInput.commitment`, a
/// `bytes` object in place of the array) for a proof on a hidden input; `y` is the integer
/// output `prove` returned.
///
/// Any kind of proof is verified, the kind read from the proof's header; `kind` (`"zk"` or
/// `"transparent"`) insists on one (`"transparent"` takes batch and accuracy proofs too, as
/// `zkcnn verify --transparent`), and a proof of the other kind raises `ProofFormatError`
/// (kind `kind`). The commitment must be of the proof's kind (transparent for batch and
/// accuracy proofs). A batch proof (`prove_batch`): `x` is the batch `[N, ...]` and `y` its
/// outputs `[N, ...]`. An accuracy proof (`prove_accuracy`): `x` is the inputs `[N, ...]` and
/// `y` their labels (`verify_accuracy` returns the proven count). The commitment's check (that it
/// holds a model of the architecture) runs on every call, then the proof's; the GIL is
/// released for both; `progress` sees the phases `check commitment` and `verify`.
///
/// Raises `ProofFormatError`, `CommitmentError`, `StatementError` or `RejectedError` (all
/// `VerifyError`) when the proof is not accepted; `InputError` and `ModelError` for unusable
/// arguments; `ValueError` for another `kind`.
#[pyfunction]
#[pyo3(signature = (architecture, commitment, x, y, proof, progress=None, kind=None))]
#[allow(clippy::too_many_arguments)]
fn verify(
    py: Python<'_>,
    architecture: &Bound<'_, PyAny>,
    commitment: &Bound<'_, PyAny>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    proof: &Bound<'_, PyAny>,
    progress: Option<Bound<'_, PyAny>>,
    kind: Option<&str>,
) -> PyResult<()> {
    let asked = kind_arg(kind)?;
    let arch = architecture_arg(py, architecture)?;
    let plan = network::plan::Plan::new(&arch).map_err(|e| errors::network(py, "verify", &e))?;
    let commitment_arg = commitment;
    let commitment = bytes_arg("commitment", commitment)?;
    let proof = bytes_arg("proof", proof)?;
    // The proof's kind from its header (a header that cannot be read is left to the verifier,
    // which says what is wrong; an unknown kind byte is refused here).
    let found = match network::proof::kind_of(&proof) {
        Ok(k) => Some(k),
        Err(e @ FormatError::UnknownKind(_)) => return Err(errors::proof_format(py, &e, &proof)),
        Err(_) => None,
    };
    if let (Some(expected), Some(got)) = (asked, found) {
        // As the CLI's `verify --transparent`: "transparent" takes a batch or accuracy proof.
        if family(got) != expected {
            return Err(errors::proof_format(
                py,
                &FormatError::Kind { expected, got },
                &proof,
            ));
        }
    }
    let hidden_input = x.cast::<PyBytes>().is_ok() || x.cast::<PyByteArray>().is_ok();
    let committed_kind = commitment_kind(&commitment);
    let kind = found
        .or(asked)
        .or(committed_kind)
        .or(hidden_input.then_some(ProofKind::ZeroKnowledge))
        .unwrap_or(ProofKind::Transparent);
    // A proof whose header names the other kind than the commitment: the proof's kind is the
    // one wrong when none was asked for (else the commitment's parser says it is).
    if let Some(ck) = committed_kind {
        if ck != family(kind) && asked.is_none() && found == Some(kind) {
            return Err(errors::new::<errors::ProofFormatError>(
                py,
                "kind",
                format!(
                    "this is a {} proof, but the commitment is {}: zero-knowledge proofs are \
                     made with a hiding commitment (Model.commit()), transparent ones with a \
                     transparent commitment (Model.commit(transparent=True))",
                    kind_name(kind),
                    kind_name(ck)
                ),
            ));
        }
    }
    let out_len = plan.dims.last().map_or(0, |d| d.logical_len());
    let progress = Progress(progress);
    match kind {
        ProofKind::ZeroKnowledgeBatch => {
            zk_batch::verify_batch(py, &arch, &commitment, x, y, &proof, out_len, &progress)
        }
        ProofKind::ZeroKnowledgeAccuracy => {
            zk_batch::verify_accuracy(py, &arch, &commitment, x, y, &proof, &progress).map(|_| ())
        }
        ProofKind::TransparentBatch => {
            verify_batch(py, &arch, &commitment, x, y, &proof, out_len, &progress)
        }
        ProofKind::TransparentAccuracy => {
            batch::verify_accuracy_bytes(py, architecture, commitment_arg, x, y, &proof, &progress)
                .map(|_| ())
        }
        ProofKind::Transparent => {
            let file =
                CommitmentFile::from_bytes(&commitment).map_err(|e| commitment_error(py, &e))?;
            check_architecture(py, file.architecture, &arch)?;
            if hidden_input {
                return Err(errors::new::<InputError>(
                    py,
                    "input_commitment",
                    "x is an input commitment (bytes): only zero-knowledge proofs are made on a \
                     committed input",
                ));
            }
            let input = arrays::model_input(x, &arch)?;
            let y = arrays::model_output(y, &arch, out_len)?;
            let x: Vec<i64> = input.iter().copied().collect();
            let digest = network::statement_digest(&arch, &file.commitment.commitment, &x, &y);
            let proof = network::Proof::<F, E>::from_bytes(&proof, digest)
                .map_err(|e| errors::proof_format(py, &e, &proof))?;
            let checked = progress
                .run(py, "check commitment", || file.commitment.check(&arch))?
                .map_err(|e| errors::check(py, &e))?;
            progress
                .run(py, "verify", || {
                    network::verify(&arch, &checked, &x, &y, &proof)
                })?
                .map_err(|e| errors::rejected(py, &e))
        }
        ProofKind::ZeroKnowledge => {
            let file =
                ZkCommitmentFile::from_bytes(&commitment).map_err(|e| commitment_error(py, &e))?;
            check_architecture(py, file.architecture, &arch)?;
            let committed_input = if hidden_input {
                let bytes = bytes_arg("x", x)?;
                Some(zk::input_commitment_file(py, &bytes, &arch)?.commitment)
            } else {
                None
            };
            let xs: Vec<i64> = match committed_input {
                Some(_) => Vec::new(),
                None => arrays::model_input(x, &arch)?.iter().copied().collect(),
            };
            let input = match &committed_input {
                Some(c) => ZkInput::Committed(c),
                None => ZkInput::Public(&xs),
            };
            let y = arrays::model_output(y, &arch, out_len)?;
            let digest = network::zk_statement_digest(&arch, &file.commitment, input, &y);
            let proof = ZkNetworkProof::<F, E>::from_bytes(&proof, digest)
                .map_err(|e| errors::proof_format(py, &e, &proof))?;
            let checked = progress
                .run(py, "check commitment", || {
                    network::verify_model_check_zk::<F, E>(&arch, &file.commitment, &file.check)
                })?
                .map_err(|e| errors::check(py, &e))?;
            progress
                .run(py, "verify", || match input {
                    ZkInput::Committed(c) => {
                        network::verify_zk_committed_input(&arch, &checked, c, &y, &proof)
                    }
                    ZkInput::Public(x) => network::verify_zk(&arch, &checked, x, &y, &proof),
                })?
                .map_err(|e| errors::rejected(py, &e))
        }
    }
}

/// The commitment's kind that a proof of this kind is made with: a hiding commitment for a
/// zero-knowledge proof, a transparent one for the others.
fn family(kind: ProofKind) -> ProofKind {
    match kind {
        ProofKind::ZeroKnowledge
        | ProofKind::ZeroKnowledgeBatch
        | ProofKind::ZeroKnowledgeAccuracy => ProofKind::ZeroKnowledge,
        _ => ProofKind::Transparent,
    }
}

/// Verifies a batch proof (`verify`'s branch): `x` the batch `[N, ...]`, `y` its outputs
/// `[N, ...]`, as the CLI's `verify` of a batch proof.
#[allow(clippy::too_many_arguments)]
fn verify_batch(
    py: Python<'_>,
    arch: &zkcnn::model::Model,
    commitment: &[u8],
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    proof: &[u8],
    out_len: usize,
    progress: &Progress<'_>,
) -> PyResult<()> {
    let file = CommitmentFile::from_bytes(commitment).map_err(|e| commitment_error(py, &e))?;
    check_architecture(py, file.architecture, arch)?;
    let inputs = arrays::model_inputs("x", x, arch)?;
    let n = inputs.len();
    let ys = arrays::batch_outputs(y, arch, n, out_len)?;
    let xs: Vec<Vec<i64>> = inputs.iter().map(|t| t.iter().copied().collect()).collect();
    let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
    let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
    let digest =
        network::proof::batch_statement_digest(arch, &file.commitment.commitment, &xr, &yr);
    let proof = network::BatchProof::<F, E>::from_bytes(proof, digest)
        .map_err(|e| errors::proof_format(py, &e, proof))?;
    let checked = progress
        .run(py, "check commitment", || file.commitment.check(arch))?
        .map_err(|e| errors::check(py, &e))?;
    progress
        .run(py, "verify", || {
            network::verify_batch(arch, &checked, &xr, &yr, &proof)
        })?
        .map_err(|e| errors::rejected(py, &e))
}

/// For `bench.py`: the time of `repeats` proofs made in Rust alone (the input converted once
/// beforehand; each timing covers the proof, the statement digest and the proof's bytes, what
/// `prove` does between the Python boundaries), in seconds. A hiding commitment's proofs spend
/// its budget as `prove`'s do.
#[pyfunction]
fn _bench_prove(
    committed: &Bound<'_, CommittedModel>,
    x: &Bound<'_, PyAny>,
    repeats: usize,
) -> PyResult<Vec<f64>> {
    let py = committed.py();
    let c = committed.get();
    let model = &c.model.get().inner;
    let input = arrays::model_input(x, model)?;
    py.detach(|| {
        (0..repeats)
            .map(|_| {
                let clock = Instant::now();
                let proved = prove_bytes(
                    model,
                    &c.state,
                    ProveInput::Public(&input),
                    &mut network::Phases::new(),
                )?;
                std::hint::black_box(proved);
                Ok(clock.elapsed().as_secs_f64())
            })
            .collect::<Result<Vec<f64>, (NetworkError, Whose)>>()
    })
    .map_err(|(e, whose)| proof_failed(py, &c.state, "prove", &e, whose))
}

/// The extension module.
#[pymodule]
fn _zkcnn(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Model>()?;
    m.add_class::<CommittedModel>()?;
    m.add_class::<CommittedInput>()?;
    m.add_function(wrap_pyfunction!(import_onnx, m)?)?;
    m.add_function(wrap_pyfunction!(zk::commit_input, m)?)?;
    m.add_function(wrap_pyfunction!(prove, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(batch::prove_batch, m)?)?;
    m.add_function(wrap_pyfunction!(batch::prove_accuracy, m)?)?;
    m.add_function(wrap_pyfunction!(batch::verify_accuracy, m)?)?;
    m.add_function(wrap_pyfunction!(batch::shard_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(batch::verify_shards, m)?)?;
    m.add_function(wrap_pyfunction!(_bench_prove, m)?)?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("PROOF_FORMAT_VERSION", network::FORMAT_VERSION)?;
    Ok(())
}
