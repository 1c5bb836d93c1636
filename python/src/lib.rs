//! Python bindings of zkcnn: `zkcnn._zkcnn`, re-exported by the `zkcnn` package.
//!
//! A thin layer over the library, doing what the CLI's `import`, `commit`, `prove` and `verify`
//! do (`src/cli/`), with NumPy arrays and bytes in place of files:
//!
//! * [`import_onnx`] → [`Model`] (with the import report); [`Model::from_json`];
//!   [`Model::load`] and [`Model::save`] for model files, one JSON file or split (the
//!   architecture's JSON and a binary weights file);
//! * [`Model::commit`] → [`CommittedModel`]: the commitment bytes are the CLI's commitment file
//!   (`zkcnn commit`'s output), so either side reads the other's;
//! * [`prove`] → the proven output and the proof bytes (the CLI's proof file);
//! * [`verify`] → `None`, or an exception per failure ([`errors`]).
//!
//! Committing, proving, verifying and importing run with the GIL released. Proofs are over
//! Goldilocks with challenges in its quadratic extension, as the CLI's.

mod arrays;
mod errors;

/// The commitment file of the CLI (`src/cli/commitment.rs`), compiled here as it is so that
/// both read and write the same bytes.
#[path = "../../src/cli/commitment.rs"]
#[allow(dead_code)]
mod commitment;

use commitment::{architecture_digest, CommitmentFile};
use errors::{CommitmentError, InputError};
use numpy::{IntoPyArray, PyArrayDyn};
use pyo3::marker::Ungil;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};
use std::borrow::Cow;
use std::time::{Duration, Instant};
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::network;
use zkcnn::onnx::{self, ImportOptions};

/// The allocator of the extension's Rust code, as in the CLI: it keeps freed memory for reuse
/// (see the README's note on glibc's malloc).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The optional progress callback: `progress(phase, None)` when a phase starts,
/// `progress(phase, seconds)` when it ends.
struct Progress<'py>(Option<Bound<'py, PyAny>>);

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
    fn run<T: Ungil>(
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
fn bytes_arg<'a>(what: &str, obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
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
    /// `progress(phase, seconds_or_None)` is called when the `commit` phase starts and ends.
    /// Raises `ModelError` if the model is beyond what the prover supports.
    #[pyo3(signature = (progress=None))]
    fn commit(
        slf: &Bound<'_, Self>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<CommittedModel> {
        let py = slf.py();
        let model = &slf.get().inner;
        let committed = Progress(progress)
            .run(py, "commit", || network::commit_model::<F, E>(model))?
            .map_err(|e| errors::network(py, "commit the model", &e))?;
        let file = CommitmentFile {
            architecture: architecture_digest(model),
            commitment: committed.public.clone(),
        };
        Ok(CommittedModel {
            model: slf.clone().unbind(),
            commitment: file.to_bytes(),
            architecture: model.architecture_json(),
            committed,
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

/// A model with its commitment: what `prove` needs. `commitment` and `architecture` are what
/// the model's owner publishes for verifiers.
#[pyclass(frozen, module = "zkcnn")]
pub struct CommittedModel {
    model: Py<Model>,
    committed: network::CommittedModel<F, E>,
    commitment: Vec<u8>,
    architecture: String,
}

#[pymethods]
impl CommittedModel {
    /// The commitment as bytes: the file `zkcnn commit` writes (magic, version, field, a digest
    /// of the architecture, the Basefold commitment to the weights and the proof that it holds
    /// a model of the architecture).
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
    fn root(&self) -> String {
        self.committed
            .commitment()
            .root
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "CommittedModel(name='{}', root={}…, commitment={} bytes)",
            self.model.get().inner.name,
            self.root().get(..8).unwrap_or_default(),
            self.commitment.len()
        )
    }
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

/// Proves that the committed model, on `x`, outputs the returned array; returns
/// `(output, proof)`: the proven integer output (`int64`, the model's output shape) and the
/// proof's bytes (the file `zkcnn prove` writes).
///
/// `x` has the model's input shape (or `[1, *input_shape]`) and is C-contiguous. An integer
/// dtype is taken as it is; a float dtype holds real values, quantized with the model's input
/// scale as the CLI does (`round(x * 2^input_frac_bits)`, clamped to the activation range, NaN
/// to 0) — only for models with `quantization`, that is imported ones.
///
/// `progress(phase, seconds_or_None)` is called when `prove` starts and ends; the prover's own
/// phases (`prove: inference and witness`, …) are reported with their times when it ends.
/// The GIL is released while proving. Raises `InputError` for a bad `x` or one on which the
/// quantized inference overflows, `ModelError` for a model the prover does not support.
#[pyfunction]
#[pyo3(signature = (committed, x, progress=None))]
fn prove<'py>(
    committed: &Bound<'py, CommittedModel>,
    x: &Bound<'py, PyAny>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyArrayDyn<i64>>, Bound<'py, PyBytes>)> {
    let py = committed.py();
    let c = committed.get();
    let model = &c.model.get().inner;
    let input = arrays::model_input(x, model)?;
    let progress = Progress(progress);
    progress.start("prove")?;
    let clock = Instant::now();
    let proved = py.detach(|| {
        let mut phases = network::Phases::new();
        network::prove_timed::<F, E>(model, &c.committed, &input, &mut phases).map(
            |(output, proof)| {
                let bytes = proof_bytes(model, &c.committed, &input, &output, &proof);
                (output, bytes, phases)
            },
        )
    });
    let took = clock.elapsed();
    let (output, bytes, phases) = proved.map_err(|e| errors::network(py, "prove", &e))?;
    for (name, d) in &phases {
        progress.done(&format!("prove: {name}"), *d)?;
    }
    progress.done("prove", took)?;
    Ok((output.into_pyarray(py), PyBytes::new(py, &bytes)))
}

/// The architecture argument: JSON text (validated without weights) or a `Model`.
fn architecture_arg(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<zkcnn::model::Model> {
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
/// as `prove` reads it; `y` is the integer output `prove` returned. The commitment's check
/// (that it holds a model of the architecture) runs on every call, then the proof's; the GIL
/// is released for both; `progress` sees the phases `check commitment` and `verify`.
///
/// Raises `ProofFormatError`, `CommitmentError`, `StatementError` or `RejectedError` (all
/// `VerifyError`) when the proof is not accepted; `InputError` and `ModelError` for unusable
/// arguments.
#[pyfunction]
#[pyo3(signature = (architecture, commitment, x, y, proof, progress=None))]
fn verify(
    py: Python<'_>,
    architecture: &Bound<'_, PyAny>,
    commitment: &Bound<'_, PyAny>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    proof: &Bound<'_, PyAny>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<()> {
    let arch = architecture_arg(py, architecture)?;
    let plan = network::plan::Plan::new(&arch).map_err(|e| errors::network(py, "verify", &e))?;
    let file = CommitmentFile::from_bytes(&bytes_arg("commitment", commitment)?).map_err(|e| {
        errors::new::<CommitmentError>(py, &errors::kind_of(&e), format!("invalid commitment: {e}"))
    })?;
    if file.architecture != architecture_digest(&arch) {
        return Err(errors::new::<CommitmentError>(
            py,
            "architecture",
            "the commitment is for another model architecture",
        ));
    }
    let input = arrays::model_input(x, &arch)?;
    let out_len = plan.dims.last().map_or(0, |d| d.logical_len());
    let y = arrays::model_output(y, &arch, out_len)?;
    let x: Vec<i64> = input.iter().copied().collect();
    let proof = bytes_arg("proof", proof)?;
    let digest = network::statement_digest(&arch, &file.commitment.commitment, &x, &y);
    let proof = network::Proof::<F, E>::from_bytes(&proof, digest)
        .map_err(|e| errors::proof_format(py, &e, &proof))?;
    let progress = Progress(progress);
    let checked = progress
        .run(py, "check commitment", || file.commitment.check(&arch))?
        .map_err(|e| errors::check(py, &e))?;
    progress
        .run(py, "verify", || {
            network::verify(&arch, &checked, &x, &y, &proof)
        })?
        .map_err(|e| errors::rejected(py, &e))
}

/// For `bench.py`: the time of `repeats` proofs made in Rust alone (the input converted once
/// beforehand; each timing covers `network::prove`, the statement digest and the proof's bytes,
/// what `prove` does between the Python boundaries), in seconds.
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
                let (output, proof) = network::prove::<F, E>(model, &c.committed, &input)?;
                std::hint::black_box(proof_bytes(model, &c.committed, &input, &output, &proof));
                Ok(clock.elapsed().as_secs_f64())
            })
            .collect::<Result<Vec<f64>, network::NetworkError>>()
    })
    .map_err(|e| errors::network(py, "prove", &e))
}

/// The extension module.
#[pymodule]
fn _zkcnn(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Model>()?;
    m.add_class::<CommittedModel>()?;
    m.add_function(wrap_pyfunction!(import_onnx, m)?)?;
    m.add_function(wrap_pyfunction!(prove, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(_bench_prove, m)?)?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("PROOF_FORMAT_VERSION", network::FORMAT_VERSION)?;
    Ok(())
}
