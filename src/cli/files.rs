//! The files the command line reads and writes: models (our JSON IR), inputs (JSON arrays or
//! `.npy`), output files (JSON) and raw bytes. Every problem is a [`CliError`] naming the file.

use super::error::CliError;
use ndarray::{ArrayD, IxDyn};
use serde_json::Value;
use std::path::Path;
use zkcnn::model::{validate::max_abs, Model, ModelError};

/// The bytes of `path`.
pub fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::read(what, path, &e))
}

/// Writes `bytes` to `path`.
pub fn write(what: &'static str, path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|e| CliError::write(what, path, &e))
}

fn read_text(what: &'static str, path: &Path) -> Result<String, CliError> {
    String::from_utf8(read(what, path)?)
        .map_err(|e| CliError::invalid(what, path, format!("not UTF-8 text ({e})")))
}

/// A model with its weights, validated.
pub fn read_model(path: &Path) -> Result<Model, CliError> {
    Model::from_json(&read_text("model", path)?).map_err(|e| CliError::invalid("model", path, e))
}

/// A model with or without its weights (an architecture, as `commit --architecture` writes),
/// validated: what a verifier needs.
pub fn read_architecture(path: &Path) -> Result<Model, CliError> {
    let text = read_text("model", path)?;
    let model: Model = serde_json::from_str(&text).map_err(|e| {
        let e = ModelError::Json {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        };
        CliError::invalid("model", path, e)
    })?;
    model
        .validate_architecture()
        .map_err(|e| CliError::invalid("model", path, e))?;
    Ok(model)
}

/// Writes a model as compact JSON (one line; `Model::to_json` pretty-prints one weight per
/// line, which is large for real models).
pub fn write_model(path: &Path, model: &Model) -> Result<(), CliError> {
    let json = serde_json::to_string(model)
        .map_err(|e| CliError::write("model", path, &std::io::Error::other(e)))?;
    write("model", path, json.as_bytes())
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

/// A nested JSON array of numbers: its shape and its elements, row-major.
fn json_tensor(v: &Value) -> Result<(Vec<usize>, Vec<Scalar>), String> {
    let mut shape = Vec::new();
    let mut cur = v;
    while let Value::Array(a) = cur {
        shape.push(a.len());
        match a.first() {
            Some(x) => cur = x,
            None => break,
        }
    }
    let mut out = Vec::new();
    walk(v, &shape, &mut Vec::new(), &mut out)?;
    Ok((shape, out))
}

fn walk(
    v: &Value,
    shape: &[usize],
    at: &mut Vec<usize>,
    out: &mut Vec<Scalar>,
) -> Result<(), String> {
    match (v, shape.get(at.len())) {
        (Value::Array(a), Some(&n)) if a.len() == n => {
            for (i, x) in a.iter().enumerate() {
                at.push(i);
                walk(x, shape, at, out)?;
                at.pop();
            }
            Ok(())
        }
        (Value::Array(a), Some(&n)) => Err(format!(
            "ragged array: {} has {} elements where {n} were expected",
            position(at),
            a.len()
        )),
        (Value::Array(_), None) => Err(format!(
            "ragged array: {} is an array where a number was expected",
            position(at)
        )),
        (Value::Number(n), None) => {
            out.push(match n.as_i64() {
                Some(i) => Scalar::Int(i),
                None => Scalar::Real(n.as_f64().unwrap_or(f64::NAN)),
            });
            Ok(())
        }
        (other, _) => {
            let mut s = other.to_string();
            if s.len() > 20 {
                s = format!("{}…", s.chars().take(20).collect::<String>());
            }
            Err(format!("{} is {s}, not a number", position(at)))
        }
    }
}

/// A nested JSON array of numbers as reals: its shape and its elements, row-major.
pub fn real_tensor(text: &str) -> Result<(Vec<usize>, Vec<f32>), String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("JSON: {e}"))?;
    let (shape, scalars) = json_tensor(&v)?;
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
pub fn read_input(path: &Path, model: &Model) -> Result<ArrayD<i64>, CliError> {
    let bad = |reason: String| CliError::invalid("input", path, reason);
    let bytes = read("input", path)?;
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
        || bytes.starts_with(b"\x93NUMPY");
    let (shape, values) = if is_npy {
        let float = matches!(npy_kind(&bytes), Some(b'f'));
        match (&model.quantization, float) {
            (Some(q), true) => {
                let a = zkcnn::npy::read_f32(&bytes).map_err(|e| bad(e.to_string()))?;
                (a.shape, q.quantize_input(&a.data, model.activation_bits))
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
        let text = String::from_utf8(bytes).map_err(|e| bad(format!("not UTF-8 text ({e})")))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("JSON: {e}")))?;
        let (shape, scalars) = json_tensor(&v).map_err(bad)?;
        let values = match &model.quantization {
            Some(q) => {
                let reals: Vec<f32> = scalars
                    .iter()
                    .map(|s| match *s {
                        Scalar::Int(i) => i as f32,
                        Scalar::Real(r) => r as f32,
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
    let batch_of_one = shape.first() == Some(&1) && shape.get(1..) == Some(expected.as_slice());
    if shape != *expected && !batch_of_one {
        return Err(bad(format!(
            "shape {shape:?} does not match the model's input shape {expected:?}"
        )));
    }
    check_range("input", path, &values, model.activation_bits)?;
    ArrayD::from_shape_vec(IxDyn(expected), values)
        .map_err(|e| bad(format!("cannot shape the values: {e}")))
}

/// Every value within the model's activation range.
fn check_range(what: &'static str, path: &Path, values: &[i64], bits: u32) -> Result<(), CliError> {
    let max = max_abs(bits);
    match values.iter().enumerate().find(|(_, v)| v.abs() > max) {
        Some((i, v)) => Err(CliError::invalid(
            what,
            path,
            format!("element {i} ({v}) is outside the model's {bits}-bit activation range ±{max}"),
        )),
        None => Ok(()),
    }
}

/// The claimed output from an output file: the `output` field of what `prove --output`
/// writes, or a plain JSON array of integers.
pub fn read_output(path: &Path, model: &Model, expected_len: usize) -> Result<Vec<i64>, CliError> {
    let bad = |reason: String| CliError::invalid("output", path, reason);
    let text = read_text("output", path)?;
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("JSON: {e}")))?;
    let array = match &v {
        Value::Object(o) => o
            .get("output")
            .ok_or_else(|| bad("the object has no \"output\" field".into()))?,
        other => other,
    };
    let (_, scalars) = json_tensor(array).map_err(bad)?;
    let values = scalars
        .iter()
        .enumerate()
        .map(|(i, s)| match *s {
            Scalar::Int(v) => Ok(v),
            Scalar::Real(r) => Err(bad(format!("element {i} ({r}) is not an integer"))),
        })
        .collect::<Result<Vec<i64>, _>>()?;
    if values.len() != expected_len {
        return Err(bad(format!(
            "{} values; the model outputs {expected_len}",
            values.len()
        )));
    }
    check_range("output", path, &values, model.activation_bits)?;
    Ok(values)
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
pub fn output_json(model: &Model, output: &ArrayD<i64>) -> Value {
    let y: Vec<i64> = output.iter().copied().collect();
    let mut o = serde_json::json!({
        "model": model.name,
        "shape": output.shape(),
        "output": y,
        "class": argmax(&y),
    });
    if let (Some(q), Value::Object(map)) = (&model.quantization, &mut o) {
        map.insert(
            "dequantized".into(),
            serde_json::json!(q.dequantize_output(&y)),
        );
        if !q.outside.is_empty() {
            map.insert("outside_operators".into(), serde_json::json!(q.outside));
        }
    }
    if let Value::Object(map) = &mut o {
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
        let v: Value = serde_json::from_str("[[1, 2], [3, 4.5]]").unwrap();
        let (shape, xs) = json_tensor(&v).unwrap();
        assert_eq!(shape, vec![2, 2]);
        assert!(matches!(xs[3], Scalar::Real(r) if r == 4.5));
        let v: Value = serde_json::from_str("[[1, 2], [3]]").unwrap();
        assert!(json_tensor(&v).unwrap_err().contains("[1] has 1 elements"));
        let v: Value = serde_json::from_str("[[1, \"a\"]]").unwrap();
        assert!(json_tensor(&v).unwrap_err().contains("[0][1] is \"a\""));
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
