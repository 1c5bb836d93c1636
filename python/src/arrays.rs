//! NumPy arrays in: type, memory order, dtype and shape checked, each failure an `InputError`
//! that says what was given and what is expected.
//!
//! Arrays are read in place (a read-only borrow of the NumPy buffer, no intermediate array);
//! the library takes owned vectors, so their values are copied once, into them.

use crate::errors::{self, InputError};
use ndarray::{ArrayD, IxDyn};
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;
use zkcnn::model::validate::max_abs;
use zkcnn::model::Model;
use zkcnn::network::batch::MAX_BATCH;

/// The values of an array: integers or reals.
pub enum Values {
    /// An integer dtype (`int8` … `int64`, `uint8` … `uint64`).
    Int(Vec<i64>),
    /// A float dtype (`float32`, `float64`; `float64` values rounded to `f32`, as the CLI does).
    Real(Vec<f32>),
}

/// An array's shape and values, row-major.
pub struct Tensor {
    /// The shape.
    pub shape: Vec<usize>,
    /// The values.
    pub values: Values,
}

fn bad(py: Python<'_>, kind: &str, message: impl std::fmt::Display) -> PyErr {
    errors::new::<InputError>(py, kind, message)
}

/// `obj` as a C-contiguous NumPy array of a supported dtype.
pub fn read(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    let py = obj.py();
    let array = obj.cast::<PyUntypedArray>().map_err(|_| {
        let type_name = obj
            .get_type()
            .name()
            .map_or_else(|_| "?".to_string(), |n| n.to_string());
        bad(
            py,
            "type",
            format!("{what} must be a numpy.ndarray, not {type_name} (use np.asarray)"),
        )
    })?;
    if !array.is_c_contiguous() {
        return Err(bad(
            py,
            "order",
            format!(
                "{what} is not C-contiguous (Fortran order or a strided view); pass \
                 np.ascontiguousarray({what})"
            ),
        ));
    }
    let shape = array.shape().to_vec();
    let values = values(what, array)?;
    Ok(Tensor { shape, values })
}

fn values(what: &str, array: &Bound<'_, PyUntypedArray>) -> PyResult<Values> {
    let py = array.py();
    let borrowed = |e: numpy::BorrowError| bad(py, "borrow", format!("{what}: {e}"));
    macro_rules! ints {
        ($($t:ty),*) => {$(
            if let Ok(a) = array.cast::<PyArrayDyn<$t>>() {
                let r = a.try_readonly().map_err(borrowed)?;
                let s = r.as_slice().map_err(|e| bad(py, "order", format!("{what}: {e}")))?;
                let mut out = Vec::with_capacity(s.len());
                for (i, &v) in s.iter().enumerate() {
                    let v = i64::try_from(v).map_err(|_| {
                        bad(py, "range", format!("{what}: element {i} ({v}) does not fit in int64"))
                    })?;
                    out.push(v);
                }
                return Ok(Values::Int(out));
            }
        )*};
    }
    ints!(i64, i32, i16, i8, u8, u16, u32, u64);
    if let Ok(a) = array.cast::<PyArrayDyn<f32>>() {
        let r = a.try_readonly().map_err(borrowed)?;
        let s = r
            .as_slice()
            .map_err(|e| bad(py, "order", format!("{what}: {e}")))?;
        return Ok(Values::Real(s.to_vec()));
    }
    if let Ok(a) = array.cast::<PyArrayDyn<f64>>() {
        let r = a.try_readonly().map_err(borrowed)?;
        let s = r
            .as_slice()
            .map_err(|e| bad(py, "order", format!("{what}: {e}")))?;
        return Ok(Values::Real(s.iter().map(|&v| v as f32).collect()));
    }
    let dtype = array
        .dtype()
        .str()
        .map_or_else(|_| "?".to_string(), |s| s.to_string());
    Err(bad(
        py,
        "dtype",
        format!(
            "{what} has dtype {dtype}; expected a float dtype (float32, float64) or an integer \
             dtype (int8 … int64, uint8 … uint64) in native byte order"
        ),
    ))
}

/// The model's integer input from an array, as the CLI reads an input file: the shape must be
/// the model's input shape (an extra leading dimension of 1 is accepted); integer dtypes are
/// used as they are; float dtypes are real values, quantized with the model's input scale
/// (only models with `quantization`, as the ONNX import makes); every value must then lie in
/// the model's activation range.
pub fn model_input(obj: &Bound<'_, PyAny>, model: &Model) -> PyResult<ArrayD<i64>> {
    let py = obj.py();
    let t = read("x", obj)?;
    let expected = &model.input_shape;
    let batch_of_one = t.shape.first() == Some(&1) && t.shape.get(1..) == Some(expected.as_slice());
    if t.shape != *expected && !batch_of_one {
        return Err(bad(
            py,
            "shape",
            format!(
                "x has shape {:?}; the model's input shape is {expected:?} (or [1, ...] of it)",
                t.shape
            ),
        ));
    }
    let values = input_values(py, "x", t.values, model)?;
    ArrayD::from_shape_vec(IxDyn(expected), values)
        .map_err(|e| bad(py, "shape", format!("x: cannot shape the values: {e}")))
}

/// The integers of the input array `what` (`x`, `xs`, …): integer dtypes as they are, float
/// dtypes quantized with the model's input scale (a model with quantization only), every value
/// in the activation range.
fn input_values(py: Python<'_>, what: &str, values: Values, model: &Model) -> PyResult<Vec<i64>> {
    let values = match (values, &model.quantization) {
        (Values::Int(v), _) => v,
        (Values::Real(v), Some(q)) => q.quantize_input(&v, model.activation_bits),
        (Values::Real(_), None) => {
            return Err(bad(
                py,
                "dtype",
                format!(
                    "{what} is a float array, but the model has no quantization (it was not \
                     imported from a float model), so inputs must be integers: pass \
                     {what}.astype(np.int64)"
                ),
            ))
        }
    };
    check_range(py, what, &values, model.activation_bits)?;
    Ok(values)
}

/// A batch of model inputs from an array `[N, *input_shape]`, `1 <= N <= MAX_BATCH` (the
/// shape checked before any value is copied), read as [`model_input`] reads one input: integer
/// dtypes as they are, float dtypes quantized with the model's input scale (imported models
/// only), every value in the activation range. The inputs in order.
pub fn model_inputs(
    what: &str,
    obj: &Bound<'_, PyAny>,
    model: &Model,
) -> PyResult<Vec<ArrayD<i64>>> {
    let py = obj.py();
    let expected = &model.input_shape;
    if let Ok(array) = obj.cast::<PyUntypedArray>() {
        let shape = array.shape();
        let n = shape.first().copied().unwrap_or(0);
        if shape.get(1..) != Some(expected.as_slice()) || n == 0 || n > MAX_BATCH {
            return Err(bad(
                py,
                "shape",
                format!(
                    "{what} has shape {shape:?}; expected [N, {}]: a batch of 1 to {MAX_BATCH} \
                     inputs of the model's input shape {expected:?}",
                    expected
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let t = read(what, obj)?;
    let values = input_values(py, what, t.values, model)?;
    let per: usize = expected.iter().product();
    values
        .chunks(per.max(1))
        .map(|c| {
            ArrayD::from_shape_vec(IxDyn(expected), c.to_vec())
                .map_err(|e| bad(py, "shape", format!("{what}: cannot shape the values: {e}")))
        })
        .collect()
}

/// The claimed outputs of a batch: an integer array `[N, ...]` with `len` values per output,
/// in the activation range; the outputs in order.
pub fn batch_outputs(
    obj: &Bound<'_, PyAny>,
    model: &Model,
    n: usize,
    len: usize,
) -> PyResult<Vec<Vec<i64>>> {
    let py = obj.py();
    let t = read("y", obj)?;
    let Values::Int(values) = t.values else {
        return Err(bad(
            py,
            "dtype",
            "y must be an integer array (the proven outputs that prove_batch returned), not floats",
        ));
    };
    if t.shape.first() != Some(&n) || values.len() != n.saturating_mul(len) {
        return Err(bad(
            py,
            "shape",
            format!(
                "y has shape {:?}; the batch of {n} inputs has {n} outputs of {len} values \
                 ([{n}, ...])",
                t.shape
            ),
        ));
    }
    check_range(py, "y", &values, model.activation_bits)?;
    Ok(values.chunks(len.max(1)).map(<[i64]>::to_vec).collect())
}

/// The claimed output: an integer array with `len` values (any shape), in the activation range.
pub fn model_output(obj: &Bound<'_, PyAny>, model: &Model, len: usize) -> PyResult<Vec<i64>> {
    let py = obj.py();
    let t = read("y", obj)?;
    let Values::Int(values) = t.values else {
        return Err(bad(
            py,
            "dtype",
            "y must be an integer array (the proven output that prove returned), not floats",
        ));
    };
    if values.len() != len {
        return Err(bad(
            py,
            "shape",
            format!(
                "y has {} values (shape {:?}); the model outputs {len}",
                values.len(),
                t.shape
            ),
        ));
    }
    check_range(py, "y", &values, model.activation_bits)?;
    Ok(values)
}

/// Every value within the model's activation range.
fn check_range(py: Python<'_>, what: &str, values: &[i64], bits: u32) -> PyResult<()> {
    let max = max_abs(bits);
    match values.iter().enumerate().find(|(_, v)| v.abs() > max) {
        Some((i, v)) => Err(bad(
            py,
            "range",
            format!(
                "{what}: element {i} ({v}) is outside the model's {bits}-bit activation range \
                 ±{max}"
            ),
        )),
        None => Ok(()),
    }
}

/// Float samples for the ONNX import: an array of shape `[N, *input_shape]` (or one sample of
/// `input_shape`), split into samples.
pub fn samples(what: &str, obj: &Bound<'_, PyAny>, shape: &[usize]) -> PyResult<Vec<Vec<f32>>> {
    let py = obj.py();
    let t = read(what, obj)?;
    let per: usize = shape.iter().product();
    let batched = t.shape.get(1..) == Some(shape);
    if !(batched || t.shape == shape) || per == 0 {
        return Err(bad(
            py,
            "shape",
            format!(
                "{what} has shape {:?}; expected [N, {}] for the model's input shape {shape:?}",
                t.shape,
                shape
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let reals = match t.values {
        Values::Real(v) => v,
        Values::Int(v) => v.into_iter().map(|x| x as f32).collect(),
    };
    Ok(reals.chunks(per).map(<[f32]>::to_vec).collect())
}

/// Class labels for the ONNX import's evaluation: a 1-D integer array of `count` non-negative
/// values.
pub fn labels(obj: &Bound<'_, PyAny>, count: usize) -> PyResult<Vec<usize>> {
    class_labels("eval labels", obj, count)
}

/// Class labels (`what` names them in errors): a 1-D integer array of `count` non-negative
/// values, one per input.
pub fn class_labels(what: &str, obj: &Bound<'_, PyAny>, count: usize) -> PyResult<Vec<usize>> {
    let py = obj.py();
    let t = read(what, obj)?;
    let Values::Int(values) = t.values else {
        return Err(bad(py, "dtype", format!("{what} must be an integer array")));
    };
    if t.shape.len() != 1 || values.len() != count {
        return Err(bad(
            py,
            "shape",
            format!(
                "{what} have shape {:?}; expected [{count}], one per input",
                t.shape
            ),
        ));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            usize::try_from(l).map_err(|_| {
                bad(
                    py,
                    "range",
                    format!("{what}: label {i} is {l}, not a class"),
                )
            })
        })
        .collect()
}
