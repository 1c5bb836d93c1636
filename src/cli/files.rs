//! The files the command line reads and writes: models (our JSON IR), inputs (JSON arrays or
//! `.npy`), output files (JSON) and raw bytes. Every problem is a [`CliError`] naming the file.
//! Every file is read up to a limit, checked on its length before reading: the input's and
//! output's from the model's architecture, the others' fixed.

use super::error::CliError;
use ndarray::{ArrayD, IxDyn};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::Read;
use std::path::Path;
use zkcnn::model::file::{self, LoadError, ModelJson};
use zkcnn::model::{validate::max_abs, Model};
use zkcnn::network::batch::MAX_BATCH;

/// The most bytes of a model file: 2^24 weights (what a model file holds,
/// `MAX_MODEL_NUMBERS`; the library proves tables up to 2^28 entries) written one per line,
/// indented, take about 240 MiB.
pub const MAX_MODEL_BYTES: u64 = 512 << 20;
/// The most bytes of a proof file. Proofs of the largest models are well below: 421 KiB for a
/// 2^26-entry model table (four columns of 2^24), about 18 KiB more per further column.
pub const MAX_PROOF_BYTES: u64 = 64 << 20;
/// The most bytes of a commitment file. Its check proof (one joint Basefold opening and a
/// range check) is 321 KiB for a 2^26-entry model table in four columns, under 1 MiB for the
/// largest (2^28 entries, sixteen columns; about 20 KiB per further column, estimated).
pub const MAX_COMMITMENT_BYTES: u64 = 16 << 20;
/// The most bytes of an ONNX model: 2^24 float weights (what a model file holds) take 64 MiB.
pub const MAX_ONNX_BYTES: u64 = 256 << 20;
/// The most bytes of a calibration or evaluation `.npy` file.
pub const MAX_SAMPLES_BYTES: u64 = 1 << 30;
/// Bytes allowed per number of an input or output file (a JSON number with its separator and
/// indentation, or a `.npy` element), and for the rest (brackets, headers, fields).
const BYTES_PER_NUMBER: u64 = 64;
const BYTES_OVERHEAD: u64 = 64 << 10;

/// The bytes of `path`, refused before reading when the file has more than `limit` bytes
/// (`why`: where the limit comes from); a file that grows while read stops at the limit.
pub fn read_at_most(
    what: &'static str,
    path: &Path,
    limit: u64,
    why: &str,
) -> Result<Vec<u8>, CliError> {
    let io = |e: std::io::Error| CliError::read(what, path, &e);
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let too_long = |len: String| {
        CliError::invalid(
            what,
            path,
            format!("the file has {len} bytes; at most {limit} are read ({why})"),
        )
    };
    if len > limit {
        return Err(too_long(len.to_string()));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_long(format!("more than {limit}")));
    }
    Ok(bytes)
}

/// `path` opened for reading (a reader that stops at what it expects, like
/// `CommittedModel::load`, takes it from here).
pub fn open(what: &'static str, path: &Path) -> Result<std::fs::File, CliError> {
    std::fs::File::open(path).map_err(|e| CliError::read(what, path, &e))
}

/// The most bytes of an input or output file of `numbers` numbers.
pub fn tensor_file_limit(numbers: usize) -> u64 {
    (numbers as u64)
        .saturating_mul(BYTES_PER_NUMBER)
        .saturating_add(BYTES_OVERHEAD)
}

/// Writes `bytes` to `path`.
pub fn write(what: &'static str, path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|e| CliError::write(what, path, &e))
}

/// Writes `bytes` to `path` atomically: to a temporary file next to it, then renamed over it,
/// so that `path` holds either its old bytes or the new ones, never a part (the private prover
/// file of a hiding commitment, rewritten after every proof).
pub fn write_atomic(what: &'static str, path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let name = path
        .file_name()
        .ok_or_else(|| CliError::write(what, path, &std::io::Error::other("not a file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    // Readable by its owner only: the private prover file is a secret.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut f| {
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path));
    renamed.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CliError::write(what, path, &e)
    })
}

/// A model file's text, refused when it is too long (the number count is the library's check,
/// [`Model::from_json`]).
fn read_model_text(path: &Path) -> Result<String, CliError> {
    let bytes = read_at_most(
        "model",
        path,
        MAX_MODEL_BYTES,
        "a model file's limit of 2^24 weights",
    )?;
    String::from_utf8(bytes)
        .map_err(|e| CliError::invalid("model", path, format!("not UTF-8 text ({e})")))
}

/// A model's JSON in either form (`zkcnn::model::file`): inline, or split (the architecture
/// naming its weights file).
fn read_model_json(path: &Path) -> Result<ModelJson, CliError> {
    ModelJson::parse(&read_model_text(path)?).map_err(|e| CliError::invalid("model", path, e))
}

/// A model with its weights, validated: one JSON file, or a split model's JSON and the
/// weights file it names (read after its header is checked against the architecture).
pub fn read_model(path: &Path) -> Result<Model, CliError> {
    match read_model_json(path)? {
        ModelJson::Inline(model) => {
            model
                .validate()
                .map_err(|e| CliError::invalid("model", path, e))?;
            Ok(model)
        }
        ModelJson::Split {
            architecture,
            weights_file,
        } => file::load_weights(path, &architecture, &weights_file).map_err(|e| match e {
            LoadError::Read { what, path, source } => {
                CliError::read(what, Path::new(&path), &source)
            }
            LoadError::Weights { path, source, .. } => {
                CliError::invalid("weights", Path::new(&path), source)
            }
            other => CliError::invalid("model", path, other),
        }),
    }
}

/// A model with or without its weights (an architecture, as `commit --architecture` writes,
/// or a split model's JSON, whose weights file is not read), validated: what a verifier needs.
pub fn read_architecture(path: &Path) -> Result<Model, CliError> {
    match read_model_json(path)? {
        ModelJson::Inline(model) => {
            model
                .validate_architecture()
                .map_err(|e| CliError::invalid("model", path, e))?;
            Ok(model)
        }
        ModelJson::Split { architecture, .. } => Ok(architecture),
    }
}

/// Writes a model as compact JSON (one line; `Model::to_json` pretty-prints one weight per
/// line, which is large for real models).
pub fn write_model(path: &Path, model: &Model) -> Result<(), CliError> {
    let json = serde_json::to_string(model)
        .map_err(|e| CliError::write("model", path, &std::io::Error::other(e)))?;
    write("model", path, json.as_bytes())
}

/// Writes a model with its weights in the form asked (`zkcnn::model::file::save`): one JSON
/// file, or the architecture's JSON and a weights file next to it (`MODEL.weights`), which it
/// returns with its length.
pub fn save_model(
    path: &Path,
    model: &Model,
    form: file::WeightsForm,
) -> Result<Option<(std::path::PathBuf, u64)>, CliError> {
    file::save(model, path, form).map_err(|e| match e {
        LoadError::Write { what, path, source } => CliError::write(what, Path::new(&path), &source),
        other => CliError::Failed {
            action: format!("write the model '{}'", path.display()),
            reason: other.to_string(),
        },
    })
}

/// One number of a JSON input.
#[derive(Clone, Copy, Debug)]
enum Scalar {
    Int(i64),
    Real(f64),
}

/// `[0, 3, 4]` → `[0][3][4]`.
fn position(at: &[usize]) -> String {
    if at.is_empty() {
        return "the top level".into();
    }
    at.iter().map(|i| format!("[{i}]")).collect()
}

/// A nested JSON array of numbers, read without building a `serde_json::Value`: the shape
/// (the arrays' lengths along the first elements) and the numbers, row-major. Past `max`
/// numbers it fails at once (`what` names the tensor in that message), so memory stays within
/// `max` numbers whatever the file holds.
fn json_tensor(
    json: &[u8],
    max: usize,
    what: &str,
) -> Result<(Vec<usize>, Vec<Scalar>), serde_json::Error> {
    let mut d = serde_json::Deserializer::from_slice(json);
    let mut walk = Walk::new(max, what);
    Node(&mut walk).deserialize(&mut d)?;
    d.end()?;
    Ok(walk.finish())
}

/// The state of a [`json_tensor`] read.
struct Walk<'a> {
    /// The length of the arrays at each depth, once the first one has ended.
    lens: Vec<Option<usize>>,
    /// The depth of the numbers, once known.
    rank: Option<usize>,
    /// The position being read.
    at: Vec<usize>,
    values: Vec<Scalar>,
    max: usize,
    what: &'a str,
}

impl<'a> Walk<'a> {
    fn new(max: usize, what: &'a str) -> Self {
        Walk {
            lens: Vec::new(),
            rank: None,
            at: Vec::new(),
            values: Vec::new(),
            max,
            what,
        }
    }

    fn number(&mut self, x: Scalar) -> Result<(), String> {
        let depth = self.at.len();
        if *self.rank.get_or_insert(depth) != depth {
            return Err(format!(
                "ragged array: {} is a number where an array was expected",
                position(&self.at)
            ));
        }
        if self.values.len() == self.max {
            return Err(format!(
                "more numbers than the {} has ({})",
                self.what, self.max
            ));
        }
        self.values.push(x);
        Ok(())
    }

    fn not_a_number(&self, shown: String) -> String {
        let mut s = shown;
        if s.chars().count() > 20 {
            s = format!("{}…", s.chars().take(20).collect::<String>());
        }
        format!("{} is {s}, not a number", position(&self.at))
    }

    fn finish(self) -> (Vec<usize>, Vec<Scalar>) {
        let rank = self.rank.unwrap_or(0);
        let shape = self
            .lens
            .iter()
            .take(rank)
            .map(|l| l.unwrap_or(0))
            .collect();
        (shape, self.values)
    }
}

/// The value at the walk's position.
struct Node<'w, 'a>(&'w mut Walk<'a>);

impl<'de> DeserializeSeed<'de> for Node<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a nested array of numbers")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.0.number(Scalar::Int(v)).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        let x = i64::try_from(v).map_or(Scalar::Real(v as f64), Scalar::Int);
        self.0.number(x).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.0.number(Scalar::Real(v)).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        Err(E::custom(self.0.not_a_number(format!("{v:?}"))))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        Err(E::custom(self.0.not_a_number(v.to_string())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(self.0.not_a_number("null".into())))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(self.0.not_a_number("an object".into())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let w = self.0;
        let depth = w.at.len();
        if w.rank.is_some_and(|r| depth >= r) {
            return Err(de::Error::custom(format!(
                "ragged array: {} is an array where a number was expected",
                position(&w.at)
            )));
        }
        if w.lens.len() == depth {
            w.lens.push(None);
        }
        let mut n = 0;
        loop {
            w.at.push(n);
            let more = seq.next_element_seed(Node(&mut *w))?;
            w.at.pop();
            if more.is_none() {
                break;
            }
            n += 1;
        }
        match w.lens[depth] {
            Some(len) if len != n => Err(de::Error::custom(format!(
                "ragged array: {} has {n} elements where {len} were expected",
                position(&w.at)
            ))),
            Some(_) => Ok(()),
            None => {
                w.lens[depth] = Some(n);
                if n == 0 {
                    w.rank.get_or_insert(depth + 1);
                }
                Ok(())
            }
        }
    }
}

/// A nested JSON array of at most `max` numbers as reals: its shape and its elements,
/// row-major.
pub fn real_tensor(text: &str, max: usize) -> Result<(Vec<usize>, Vec<f32>), String> {
    let (shape, scalars) =
        json_tensor(text.as_bytes(), max, "tensor").map_err(|e| format!("JSON: {e}"))?;
    let reals = scalars
        .iter()
        .map(|s| match *s {
            Scalar::Int(i) => i as f32,
            Scalar::Real(r) => r as f32,
        })
        .collect();
    Ok((shape, reals))
}

/// The dtype character of a `.npy` header (`'f'`, `'i'`, `'u'`, …), if it can be found; the
/// full parse (and its errors) is `zkcnn::npy`'s.
fn npy_kind(bytes: &[u8]) -> Option<u8> {
    let head = bytes.get(..bytes.len().min(4096))?;
    let key = b"'descr'";
    let at = head.windows(key.len()).position(|w| w == key)? + key.len();
    let rest = head.get(at..)?;
    let quote = rest.iter().position(|&c| c == b'\'')?;
    let descr = rest.get(quote + 1..)?;
    // "<f4", "|u1", "f8": skip a byte-order mark.
    match descr.first()? {
        b'<' | b'>' | b'|' | b'=' => descr.get(1).copied(),
        c => Some(*c),
    }
}

/// The model's integer input from a `.json` or `.npy` file: checks the shape against the
/// model's `input_shape` (an extra leading dimension of 1 is accepted) and maps real values to
/// integers with the model's quantization.
///
/// * JSON: for a model without `quantization`, the numbers must be integers and are used as
///   they are; for a model with `quantization`, every number is a real value and is quantized.
/// * `.npy`: an integer dtype is used as it is; a float dtype is quantized (the model must have
///   `quantization`, or every value must be an integer).
///
/// A file longer than [`tensor_file_limit`] of the input's size is refused before it is read.
///
/// With `divisor = Some(d)` (`--input-divisor`), every number, of any dtype, is divided by `d`
/// and the real value quantized (the model must have `quantization`): raw pixels `0..=255`
/// with `d = 255`, as the fixtures' `eval-images.npy` hold them.
pub fn read_input(
    path: &Path,
    model: &Model,
    divisor: Option<f32>,
) -> Result<ArrayD<i64>, CliError> {
    match read_inputs(path, model, divisor)? {
        Inputs::One(x) => Ok(x),
        Inputs::Batch(xs) => Err(CliError::invalid(
            "input",
            path,
            format!(
                "shape [{}, {}] is a batch of {} inputs; only transparent batch proofs take a \
                 batch (`prove --transparent`, and `verify` of a batch proof)",
                xs.len(),
                shape_list(&model.input_shape),
                xs.len()
            ),
        )),
    }
}

/// The input file of `prove` and `verify`: one input, or a batch of inputs.
pub enum Inputs {
    /// One input of the model's input shape.
    One(ArrayD<i64>),
    /// A batch of two or more inputs (a `.npy` or JSON array `[N, ...input shape]`, `N ≥ 2`),
    /// in order.
    Batch(Vec<ArrayD<i64>>),
}

impl Inputs {
    /// One input for one, a batch for more.
    fn from_vec(mut xs: Vec<ArrayD<i64>>) -> Self {
        match (xs.pop(), xs.is_empty()) {
            (Some(x), true) => Inputs::One(x),
            (Some(x), false) => {
                xs.push(x);
                Inputs::Batch(xs)
            }
            (None, _) => Inputs::Batch(xs),
        }
    }

    /// The inputs in order: one, or the batch's.
    pub fn into_vec(self) -> Vec<ArrayD<i64>> {
        match self {
            Inputs::One(x) => vec![x],
            Inputs::Batch(xs) => xs,
        }
    }
}

/// `[1, 6, 6]` → `1, 6, 6`.
fn shape_list(shape: &[usize]) -> String {
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`read_input`], also taking a batch: an array of shape `[N, ...input shape]` with `N ≥ 2`,
/// `.npy` or JSON alike (a leading dimension of 1 is one input), is `N` inputs. The file is
/// read up to [`tensor_file_limit`] of [`MAX_BATCH`] inputs (at most [`MAX_SAMPLES_BYTES`]).
///
/// `@LIST` (a path starting with `@`) is a list of input files ([`read_input_list`]), each one
/// input or a batch, `.npy` or JSON, concatenated in the list's order into one batch of at most
/// [`MAX_BATCH`] inputs: checked before each file is read, and each file read up to the inputs
/// the batch still takes. `divisor` as in [`read_input`].
pub fn read_inputs(path: &Path, model: &Model, divisor: Option<f32>) -> Result<Inputs, CliError> {
    let scale = input_scale(model, divisor)?;
    let Some(list) = path.to_str().and_then(|p| p.strip_prefix('@')) else {
        return read_file_inputs(path, model, scale, MAX_BATCH, 0).map(Inputs::from_vec);
    };
    let list = Path::new(list);
    let mut xs = Vec::new();
    for file in read_input_list(list)? {
        if xs.len() >= MAX_BATCH {
            return Err(CliError::invalid(
                "input list",
                list,
                format!(
                    "the files before '{}' hold {} inputs already; at most {MAX_BATCH} are \
                     proven in one proof",
                    file.display(),
                    xs.len()
                ),
            ));
        }
        let more = read_file_inputs(&file, model, scale, MAX_BATCH - xs.len(), xs.len())?;
        xs.extend(more);
    }
    Ok(Inputs::from_vec(xs))
}

/// The most bytes of an input list (`@LIST`): 256 per file name of a batch of [`MAX_BATCH`].
const MAX_LIST_BYTES: u64 = 256 * MAX_BATCH as u64;

/// The files an input list names: its lines, trimmed, in order, without blank lines and lines
/// starting with `#`; a relative path is relative to the list's folder. At least one file, at
/// most [`MAX_BATCH`] (each file holds an input or more).
pub fn read_input_list(list: &Path) -> Result<Vec<std::path::PathBuf>, CliError> {
    let bad = |reason: String| CliError::invalid("input list", list, reason);
    let bytes = read_at_most(
        "input list",
        list,
        MAX_LIST_BYTES,
        &format!("256 per file name of a batch of {MAX_BATCH} inputs"),
    )?;
    let text = std::str::from_utf8(&bytes).map_err(|e| bad(format!("not UTF-8 text ({e})")))?;
    let folder = list.parent().unwrap_or(Path::new(""));
    let mut files = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if files.len() == MAX_BATCH {
            return Err(bad(format!(
                "it names more than {MAX_BATCH} files; at most {MAX_BATCH} inputs are proven \
                 in one proof"
            )));
        }
        files.push(folder.join(line));
    }
    if files.is_empty() {
        return Err(bad(
            "it names no input file (one path per line; blank lines and lines starting with # \
             are skipped)"
                .into(),
        ));
    }
    Ok(files)
}

/// The most numbers a JSON input file is read into: as many as an int64 `.npy` file of
/// [`MAX_SAMPLES_BYTES`] holds (a JSON number is at least two bytes, so without this cap a
/// file at the byte limit could hold four times more).
const MAX_JSON_INPUT_NUMBERS: usize = (MAX_SAMPLES_BYTES / 8) as usize;

/// `--input-divisor` checked against the model: the divisor and the quantization it feeds.
fn input_scale(
    model: &Model,
    divisor: Option<f32>,
) -> Result<Option<(f32, &zkcnn::model::Quantization)>, CliError> {
    match (divisor, &model.quantization) {
        (None, _) => Ok(None),
        (Some(d), _) if !(d.is_finite() && d > 0.0) => Err(CliError::Usage(format!(
            "--input-divisor must be a positive number; it is {d}"
        ))),
        (Some(d), Some(q)) => Ok(Some((d, q))),
        (Some(_), None) => Err(CliError::Usage(
            "--input-divisor needs a model with quantization (an ONNX import): this model's \
             inputs are integers used as they are"
                .into(),
        )),
    }
}

/// The inputs of one file, `.npy` or JSON: one input, or a batch `[N, ...input shape]` of at
/// most `room` inputs, after `before` inputs of earlier files (only for the messages). The
/// file is refused before reading when it is longer than `room` inputs may be.
fn read_file_inputs(
    path: &Path,
    model: &Model,
    scale: Option<(f32, &zkcnn::model::Quantization)>,
    room: usize,
    before: usize,
) -> Result<Vec<ArrayD<i64>>, CliError> {
    let bad = |reason: String| CliError::invalid("input", path, reason);
    let real = |x: f32| scale.map_or(x, |(d, _)| x / d);
    let numbers = model
        .input_shape
        .iter()
        .fold(1usize, |n, &d| n.saturating_mul(d));
    let batch = if before == 0 {
        format!("a batch of {room} model inputs")
    } else {
        format!("the {room} more inputs the batch takes after the {before} before it")
    };
    let limit = tensor_file_limit(numbers.saturating_mul(room))
        .min(MAX_SAMPLES_BYTES)
        .max(tensor_file_limit(numbers));
    let why = format!("{BYTES_PER_NUMBER} per number of {batch}, at most {MAX_SAMPLES_BYTES}");
    let bytes = read_at_most("input", path, limit, &why)?;
    let npy_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    let is_npy = npy_name || bytes.starts_with(b"\x93NUMPY");
    let (shape, values) = if is_npy {
        let float = matches!(npy_kind(&bytes), Some(b'f'));
        match (&model.quantization, float || scale.is_some()) {
            (Some(q), true) => {
                let a = zkcnn::npy::read_f32(&bytes).map_err(|e| bad(e.to_string()))?;
                let reals: Vec<f32> = a.data.iter().map(|&x| real(x)).collect();
                (a.shape, q.quantize_input(&reals, model.activation_bits))
            }
            _ => {
                let a = zkcnn::npy::read_i64(&bytes).map_err(|e| {
                    bad(format!(
                        "{e}{}",
                        if float {
                            " (the model has no quantization, so inputs must be integers)"
                        } else {
                            ""
                        }
                    ))
                })?;
                (a.shape, a.data)
            }
        }
    } else {
        let most = numbers.saturating_mul(room);
        let (max, what) = if most <= MAX_JSON_INPUT_NUMBERS {
            let what = if room == 1 {
                "model's input".to_string()
            } else {
                batch.trim_start_matches("a ").to_string()
            };
            (most, what)
        } else {
            (
                MAX_JSON_INPUT_NUMBERS.max(numbers),
                "largest JSON input file".to_string(),
            )
        };
        let (shape, scalars) =
            json_tensor(&bytes, max, &what).map_err(|e| bad(format!("JSON: {e}")))?;
        let values = match &model.quantization {
            Some(q) => {
                let reals: Vec<f32> = scalars
                    .iter()
                    .map(|s| match *s {
                        Scalar::Int(i) => real(i as f32),
                        Scalar::Real(r) => real(r as f32),
                    })
                    .collect();
                q.quantize_input(&reals, model.activation_bits)
            }
            None => scalars
                .iter()
                .enumerate()
                .map(|(i, s)| match *s {
                    Scalar::Int(v) => Ok(v),
                    Scalar::Real(r) if r.fract() == 0.0 && r.abs() < 2f64.powi(53) => Ok(r as i64),
                    Scalar::Real(r) => Err(bad(format!(
                        "element {i} ({r}) is not an integer (the model has no quantization, so \
                         inputs must be integers)"
                    ))),
                })
                .collect::<Result<_, _>>()?,
        };
        (shape, values)
    };
    let expected = &model.input_shape;
    let lead = shape.first().copied().unwrap_or(0);
    let batched = shape.get(1..) == Some(expected.as_slice());
    if shape != *expected && !(batched && lead >= 1) {
        return Err(bad(format!(
            "shape {shape:?} does not match the model's input shape {expected:?} (nor a batch \
             [N, {}] of N inputs)",
            shape_list(expected)
        )));
    }
    let count = if shape == *expected { 1 } else { lead };
    if count > room {
        return Err(bad(if before == 0 {
            format!("a batch of {count} inputs; at most {MAX_BATCH} are proven in one proof")
        } else {
            format!(
                "{count} inputs after the {before} of the files before it make {}; at most \
                 {MAX_BATCH} are proven in one proof",
                before.saturating_add(count)
            )
        }));
    }
    check_range("input", path, &values, model.activation_bits)?;
    let one = |values: Vec<i64>| {
        ArrayD::from_shape_vec(IxDyn(expected), values)
            .map_err(|e| bad(format!("cannot shape the values: {e}")))
    };
    if count == 1 {
        return one(values).map(|x| vec![x]);
    }
    values
        .chunks(numbers.max(1))
        .map(|c| one(c.to_vec()))
        .collect()
}

/// Every value within the model's activation range.
fn check_range(what: &'static str, path: &Path, values: &[i64], bits: u32) -> Result<(), CliError> {
    range_of(values, bits).map_err(|e| CliError::invalid(what, path, e))
}

/// [`check_range`]'s reason.
fn range_of(values: &[i64], bits: u32) -> Result<(), String> {
    let max = max_abs(bits);
    match values.iter().enumerate().find(|(_, v)| v.abs() > max) {
        Some((i, v)) => Err(format!(
            "element {i} ({v}) is outside the model's {bits}-bit activation range ±{max}"
        )),
        None => Ok(()),
    }
}

/// The fields of an output file (what [`output_json`] writes), as read.
#[derive(Default)]
struct OutputFields {
    output: Option<Vec<Scalar>>,
    model: Option<String>,
    shape: Option<Vec<u64>>,
    class: Option<Option<u64>>,
    dequantized: Option<Vec<Scalar>>,
    outside: Option<Vec<String>>,
}

/// Reads an output file: an object with the fields of [`output_json`] (others are ignored), or
/// a plain array (the output alone). Each array holds at most `max` numbers.
struct OutputSeed {
    max: usize,
}

impl<'de> Visitor<'de> for OutputSeed {
    type Value = OutputFields;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an output file (an object with an \"output\" field) or an array of numbers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<OutputFields, A::Error> {
        let mut walk = Walk::new(self.max, "model's output");
        Node(&mut walk).visit_seq(seq)?;
        Ok(OutputFields {
            output: Some(walk.finish().1),
            ..OutputFields::default()
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OutputFields, A::Error> {
        let mut f = OutputFields::default();
        let tensor = |map: &mut A, what| -> Result<Vec<Scalar>, A::Error> {
            let mut walk = Walk::new(self.max, what);
            map.next_value_seed(Node(&mut walk))?;
            Ok(walk.finish().1)
        };
        while let Some(key) = map.next_key::<String>()? {
            let twice = match key.as_str() {
                "output" => f
                    .output
                    .replace(tensor(&mut map, "model's output")?)
                    .is_some(),
                "dequantized" => f
                    .dequantized
                    .replace(tensor(&mut map, "model's output")?)
                    .is_some(),
                "model" => f.model.replace(map.next_value()?).is_some(),
                "shape" => f.shape.replace(map.next_value()?).is_some(),
                "class" => f.class.replace(map.next_value()?).is_some(),
                "outside_operators" => f.outside.replace(map.next_value()?).is_some(),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    false
                }
            };
            if twice {
                return Err(de::Error::custom(format!(
                    "the field {key:?} appears twice"
                )));
            }
        }
        Ok(f)
    }
}

impl<'de> DeserializeSeed<'de> for OutputSeed {
    type Value = OutputFields;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<OutputFields, D::Error> {
        d.deserialize_any(self)
    }
}

/// The claimed output from an output file: the `output` field of what `prove --output`
/// writes, or a plain JSON array of integers. The fields derived from the output (`class`,
/// `dequantized`, `shape`, `model`, `outside_operators`), where present, must be what
/// [`output_json`] computes from it: a file whose class or real values were edited is refused.
pub fn read_output(path: &Path, model: &Model, shape: &[usize]) -> Result<Vec<i64>, CliError> {
    let bad = |reason: String| CliError::invalid("output", path, reason);
    let expected_len = shape.iter().fold(1usize, |n, &d| n.saturating_mul(d));
    let bytes = read_at_most(
        "output",
        path,
        tensor_file_limit(expected_len.saturating_mul(2)),
        &format!("{BYTES_PER_NUMBER} per number of the output and of its dequantized values"),
    )?;
    if is_npy(path, &bytes) {
        return read_output_npy(path, &bytes, model, shape, None).map(|mut ys| ys.remove(0));
    }
    let mut d = serde_json::Deserializer::from_slice(&bytes);
    let fields = OutputSeed { max: expected_len }
        .deserialize(&mut d)
        .and_then(|f| d.end().map(|()| f))
        .map_err(|e| bad(format!("JSON: {e}")))?;
    output_values(&fields, model, shape).map_err(bad)
}

/// The output of a batch: a JSON array of `count` outputs, each what [`read_output`] reads (as
/// `prove --transparent` writes for a batch input), in the batch's order.
pub fn read_outputs(
    path: &Path,
    model: &Model,
    shape: &[usize],
    count: usize,
) -> Result<Vec<Vec<i64>>, CliError> {
    let bad = |reason: String| CliError::invalid("output", path, reason);
    let expected_len = shape.iter().fold(1usize, |n, &d| n.saturating_mul(d));
    let bytes = read_at_most(
        "output",
        path,
        tensor_file_limit(expected_len.saturating_mul(2).saturating_mul(count)),
        &format!(
            "{BYTES_PER_NUMBER} per number of the batch's {count} outputs and of their \
             dequantized values"
        ),
    )?;
    if is_npy(path, &bytes) {
        return read_output_npy(path, &bytes, model, shape, Some(count));
    }
    let mut d = serde_json::Deserializer::from_slice(&bytes);
    let all = BatchOutputSeed {
        max: expected_len,
        count,
    }
    .deserialize(&mut d)
    .and_then(|f| d.end().map(|()| f))
    .map_err(|e| bad(format!("JSON: {e}")))?;
    if all.len() != count {
        return Err(bad(format!(
            "{} outputs; the batch input has {count} inputs",
            all.len()
        )));
    }
    all.iter()
        .enumerate()
        .map(|(i, f)| output_values(f, model, shape).map_err(|e| bad(format!("output {i}: {e}"))))
        .collect()
}

/// A `.npy` file: by its name, or by its magic string.
fn is_npy(path: &Path, bytes: &[u8]) -> bool {
    is_npy_name(path) || bytes.starts_with(b"\x93NUMPY")
}

/// A `.npy` file name.
fn is_npy_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
}

/// The outputs in a `.npy` output file: an integer array (any integer dtype; a float dtype is
/// refused whatever its values) of the output's shape (`count = None`: one input's), or
/// `[count, ...output shape]` (a batch's), every value in the activation range. One output
/// for one input.
fn read_output_npy(
    path: &Path,
    bytes: &[u8],
    model: &Model,
    shape: &[usize],
    count: Option<usize>,
) -> Result<Vec<Vec<i64>>, CliError> {
    let bad = |reason: String| CliError::invalid("output", path, reason);
    let a = zkcnn::npy::read_integers(bytes).map_err(|e| bad(e.to_string()))?;
    let want: Vec<usize> = count.iter().chain(shape).copied().collect();
    if a.shape != want {
        return Err(bad(match count {
            None => format!(
                "shape {:?} does not match the model's output shape {shape:?}",
                a.shape
            ),
            Some(n) => format!(
                "shape {:?} does not match {want:?}, the batch's {n} outputs of shape {shape:?}",
                a.shape
            ),
        }));
    }
    range_of(&a.data, model.activation_bits).map_err(bad)?;
    let len = shape.iter().product::<usize>().max(1);
    Ok(match count {
        None => vec![a.data],
        Some(_) => a.data.chunks(len).map(<[i64]>::to_vec).collect(),
    })
}

/// Writes `prove --output`: to a `.npy` name, the proven integers as an int64 array (the
/// output's shape for one input, `[N, ...output shape]` for a batch); to any other, JSON: one
/// output's [`output_json`], or a batch's array of them, in order.
pub fn write_output(
    path: &Path,
    model: &Model,
    outputs: &[ArrayD<i64>],
    batch: bool,
) -> Result<(), CliError> {
    let bytes = if is_npy_name(path) {
        let one = outputs.first().map_or(&[][..], |y| y.shape());
        let shape: Vec<usize> = batch
            .then_some(outputs.len())
            .iter()
            .chain(one)
            .copied()
            .collect();
        let values: Vec<i64> = outputs.iter().flat_map(|y| y.iter().copied()).collect();
        zkcnn::npy::write_i64(&shape, &values)
    } else {
        let json: Vec<serde_json::Value> = outputs.iter().map(|y| output_json(model, y)).collect();
        let text = match (batch, json.first()) {
            (false, Some(one)) => serde_json::to_string_pretty(one),
            _ => serde_json::to_string_pretty(&json),
        };
        text.unwrap_or_default().into_bytes()
    };
    write("output", path, &bytes)
}

/// Reads a batch's output file: a JSON array of at most `count` outputs.
struct BatchOutputSeed {
    max: usize,
    count: usize,
}

impl<'de> Visitor<'de> for BatchOutputSeed {
    type Value = Vec<OutputFields>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a batch's output file: an array of outputs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<OutputFields>, A::Error> {
        let mut all = Vec::new();
        while let Some(f) = seq.next_element_seed(OutputSeed { max: self.max })? {
            if all.len() == self.count {
                return Err(de::Error::custom(format!(
                    "more outputs than the batch's {} inputs",
                    self.count
                )));
            }
            all.push(f);
        }
        Ok(all)
    }
}

impl<'de> DeserializeSeed<'de> for BatchOutputSeed {
    type Value = Vec<OutputFields>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<OutputFields>, D::Error> {
        d.deserialize_seq(self)
    }
}

/// One output's integers from its fields, checked (length, range, derived fields).
fn output_values(
    fields: &OutputFields,
    model: &Model,
    shape: &[usize],
) -> Result<Vec<i64>, String> {
    let expected_len = shape.iter().fold(1usize, |n, &d| n.saturating_mul(d));
    let scalars = fields
        .output
        .as_ref()
        .ok_or_else(|| "the object has no \"output\" field".to_string())?;
    let values = scalars
        .iter()
        .enumerate()
        .map(|(i, s)| match *s {
            Scalar::Int(v) => Ok(v),
            Scalar::Real(r) => Err(format!("element {i} ({r}) is not an integer")),
        })
        .collect::<Result<Vec<i64>, _>>()?;
    if values.len() != expected_len {
        return Err(format!(
            "{} values; the model outputs {expected_len}",
            values.len()
        ));
    }
    range_of(&values, model.activation_bits)?;
    check_derived(fields, model, shape, &values)?;
    Ok(values)
}

/// The output file's derived fields, where present, against those computed from `y`.
fn check_derived(
    f: &OutputFields,
    model: &Model,
    shape: &[usize],
    y: &[i64],
) -> Result<(), String> {
    let differs = |field: &str, got: String, want: String| {
        Err(format!(
            "\"{field}\" is {got}, but the output gives {want} (the field is derived from \
             \"output\"; the file was edited?)"
        ))
    };
    if let Some(name) = f.model.as_ref().filter(|n| **n != model.name) {
        return differs("model", format!("{name:?}"), format!("{:?}", model.name));
    }
    let want_shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    if let Some(got) = f.shape.as_ref().filter(|s| **s != want_shape) {
        return differs("shape", format!("{got:?}"), format!("{want_shape:?}"));
    }
    let class = argmax(y).map(|c| c as u64);
    if let Some(got) = f.class.filter(|c| *c != class) {
        let show = |c: Option<u64>| c.map_or("null".into(), |c| c.to_string());
        return differs("class", show(got), format!("{} (its argmax)", show(class)));
    }
    let q = model.quantization.as_ref();
    if let Some(got) = &f.dequantized {
        let Some(q) = q else {
            return Err("\"dequantized\" is present, but the model has no quantization".into());
        };
        let want = q.dequantize_output(y);
        if got.len() != want.len() {
            return differs(
                "dequantized",
                format!("{} values", got.len()),
                format!("{} values", want.len()),
            );
        }
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let g = match *g {
                Scalar::Int(v) => v as f64,
                Scalar::Real(r) => r,
            };
            if g != *w {
                return differs(
                    "dequantized",
                    format!("{g} at element {i}"),
                    format!("{w} (output × 2^-{})", q.output_frac_bits),
                );
            }
        }
    }
    let outside = q.map_or(&[][..], |q| q.outside.as_slice());
    if let Some(got) = f.outside.as_ref().filter(|o| o.as_slice() != outside) {
        return differs(
            "outside_operators",
            format!("{got:?}"),
            format!("{outside:?}"),
        );
    }
    Ok(())
}

/// The index of the largest value (the first one on ties).
pub fn argmax<T: PartialOrd + Copy>(xs: &[T]) -> Option<usize> {
    let mut best: Option<(usize, T)> = None;
    for (i, &x) in xs.iter().enumerate() {
        if best.is_none_or(|(_, b)| x > b) {
            best = Some((i, x));
        }
    }
    best.map(|(i, _)| i)
}

/// The output file `prove --output` writes: the proven integer output and, for a model with
/// `quantization`, the real values it stands for and the argmax class, both computed outside
/// the proof.
pub fn output_json(model: &Model, output: &ArrayD<i64>) -> serde_json::Value {
    let y: Vec<i64> = output.iter().copied().collect();
    let mut o = serde_json::json!({
        "model": model.name,
        "shape": output.shape(),
        "output": y,
        "class": argmax(&y),
    });
    if let (Some(q), serde_json::Value::Object(map)) = (&model.quantization, &mut o) {
        map.insert(
            "dequantized".into(),
            serde_json::json!(q.dequantize_output(&y)),
        );
        if !q.outside.is_empty() {
            map.insert("outside_operators".into(), serde_json::json!(q.outside));
        }
    }
    if let serde_json::Value::Object(map) = &mut o {
        map.insert(
            "note".into(),
            "\"output\" is proven; \"class\" (argmax) and any dequantized values are computed \
             from it outside the proof"
                .into(),
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_tensors_and_their_errors() {
        let read = |s: &str| json_tensor(s.as_bytes(), 8, "input");
        let err = |s: &str| read(s).unwrap_err().to_string();
        let (shape, xs) = read("[[1, 2], [3, 4.5]]").unwrap();
        assert_eq!(shape, vec![2, 2]);
        assert!(matches!(xs[3], Scalar::Real(r) if r == 4.5));
        assert_eq!(read("[[[]]]").unwrap().0, vec![1, 1, 0]);
        assert_eq!(read("7").unwrap().0, Vec::<usize>::new());
        assert!(err("[[1, 2], [3]]").contains("[1] has 1 elements where 2"));
        assert!(err("[[1, 2], [3, 4, 5]]").contains("[1] has 3 elements where 2"));
        assert!(err("[[1, \"a\"]]").contains("[0][1] is \"a\", not a number"));
        assert!(err("[1, [2]]").contains("[1] is an array where a number"));
        assert!(err("[[1], 2]").contains("[1] is a number where an array"));
        assert!(err("[[1], {}]").contains("[1] is an object"));
        assert!(err("[1, 2, 3, 4, 5, 6, 7, 8, 9]").contains("more numbers than the input has (8)"));
        assert!(err("[1] x").contains("trailing"));
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(err(&deep).contains("recursion limit"));
    }

    #[test]
    fn npy_dtype_kind() {
        let f = zkcnn::npy::write_f32(&[2], &[1.0, 2.0]);
        let i = zkcnn::npy::write_i64(&[2], &[1, 2]);
        assert_eq!(npy_kind(&f), Some(b'f'));
        assert_eq!(npy_kind(&i), Some(b'i'));
        assert_eq!(npy_kind(b"junk"), None);
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[1, 5, 5, 2]), Some(1));
        assert_eq!(argmax::<i64>(&[]), None);
    }
}
