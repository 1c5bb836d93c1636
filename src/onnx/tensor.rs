//! Constant tensors (initializers and `Constant` values) converted to `f32` or `i64`, with
//! every size checked against the data actually present.

use super::graph::Ctx;
use super::proto::{data_type, TensorProto};
use super::OnnxError;

/// A constant's values, converted.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Const {
    pub dims: Vec<usize>,
    pub data: Data,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Data {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

impl Const {
    pub(crate) fn floats(self, ctx: &Ctx, name: &str) -> Result<Vec<f32>, OnnxError> {
        match self.data {
            Data::F32(v) => Ok(v),
            Data::I64(_) => Err(ctx.bad_input(name, "is an integer tensor; float is needed")),
        }
    }

    pub(crate) fn ints(self, ctx: &Ctx, name: &str) -> Result<Vec<i64>, OnnxError> {
        match self.data {
            Data::I64(v) => Ok(v),
            Data::F32(_) => Err(ctx.bad_input(name, "is a float tensor; integers are needed")),
        }
    }
}

/// A tensor's values; errors say what is wrong with it.
pub(crate) fn convert(t: &TensorProto) -> Result<Const, String> {
    if super::external::is_external(t) {
        // `external::resolve` reads every external tensor before the graph is read.
        return Err("its external data was not read".into());
    }
    if t.segment.is_some() {
        return Err("it is segmented; whole tensors are supported".into());
    }
    let mut dims = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        dims.push(usize::try_from(d).map_err(|_| format!("dimension {d} is negative"))?);
    }
    let numel = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or("its size overflows")?;
    let dt = t.data_type.unwrap_or(0);
    let raw = t.raw_data.as_deref();
    let check = |len: usize| {
        if len == numel {
            Ok(())
        } else {
            Err(format!(
                "it holds {len} values; its shape {dims:?} needs {numel}"
            ))
        }
    };
    let data = match dt {
        data_type::FLOAT | data_type::DOUBLE => {
            let values: Vec<f32> = match raw {
                Some(raw) if dt == data_type::FLOAT => {
                    from_le::<4>(raw)?.map(f32::from_le_bytes).collect()
                }
                Some(raw) => from_le::<8>(raw)?
                    .map(|b| f64::from_le_bytes(b) as f32)
                    .collect(),
                None if dt == data_type::FLOAT => t.float_data.clone(),
                None => t.double_data.iter().map(|&v| v as f32).collect(),
            };
            check(values.len())?;
            if values.iter().any(|v| !v.is_finite()) {
                return Err("it holds a NaN or infinite value".into());
            }
            Data::F32(values)
        }
        data_type::INT64 | data_type::INT32 | data_type::BOOL => {
            let values: Vec<i64> = match raw {
                Some(raw) if dt == data_type::INT64 => {
                    from_le::<8>(raw)?.map(i64::from_le_bytes).collect()
                }
                Some(raw) if dt == data_type::INT32 => from_le::<4>(raw)?
                    .map(|b| i32::from_le_bytes(b) as i64)
                    .collect(),
                Some(raw) => raw.iter().map(|&b| b as i64).collect(),
                None if dt == data_type::INT64 => t.int64_data.clone(),
                None => t.int32_data.iter().map(|&v| v as i64).collect(),
            };
            check(values.len())?;
            Data::I64(values)
        }
        other => {
            return Err(format!(
                "element type {other} is not supported (FLOAT, DOUBLE, INT64, INT32, BOOL are)"
            ))
        }
    };
    Ok(Const { dims, data })
}

/// `raw` as little-endian chunks of `N` bytes.
fn from_le<const N: usize>(raw: &[u8]) -> Result<impl Iterator<Item = [u8; N]> + '_, String> {
    if !raw.len().is_multiple_of(N) {
        return Err(format!(
            "raw_data has {} bytes, not a multiple of {N}",
            raw.len()
        ));
    }
    Ok(raw
        .chunks_exact(N)
        .map(|c| <[u8; N]>::try_from(c).unwrap_or([0; N])))
}
