//! Constant folding: the shape arithmetic that exporters leave in graphs, evaluated at import.
//!
//! torch's exporters write a flatten as `Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)),
//! [-1]))` (TorchScript) or `Reshape(x, Concat(Shape(x, start=0, end=1), [-1]))` (dynamo with a
//! dynamic batch), tf2onnx as `Reshape(x, Concat(Slice(Shape(x), [0], [1]), [-1]))`, with
//! Casts, Squeezes and integer arithmetic in between. The graph's activations have static
//! shapes here (batch 1), so `Shape` of an activation is a constant, and these sub-graphs fold
//! to the constant target shape that the Reshape then applies.
//!
//! Every function takes constants ([`Const`]: dims and `f32` or `i64` values) and follows the
//! ONNX operator's semantics (negative axes and indices counted from the end, Slice's clamping,
//! numpy broadcasting, integer division truncating toward zero as the `onnx` package's
//! reference evaluator does). Integer overflow, division by zero and non-finite float results
//! are errors, not wrapped or kept. Each result's size is checked against a [`Budget`] before
//! anything is allocated: all folded tensors of a graph hold at most [`MAX_FOLDED_VALUES`]
//! values together.

use super::proto::data_type;
use super::tensor::{Const, Data};

/// The most values that all constants folded in one graph may hold together (2^26, beyond the
/// model table's 2^24 weights).
pub(crate) const MAX_FOLDED_VALUES: usize = 1 << 26;

/// What is left of the values folded constants may take.
pub(crate) struct Budget {
    remaining: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            remaining: MAX_FOLDED_VALUES,
        }
    }
}

impl Budget {
    /// Reserves room for a tensor of shape `dims`: its number of values.
    fn take(&mut self, dims: &[usize]) -> Result<usize, String> {
        let n = numel(dims).ok_or_else(|| format!("the result's shape {dims:?} overflows"))?;
        if n > self.remaining {
            return Err(format!(
                "the result of shape {dims:?} would exceed the {MAX_FOLDED_VALUES} values that \
                 folded constants may hold together"
            ));
        }
        self.remaining -= n;
        Ok(n)
    }
}

/// The number of values of a shape (`None` on overflow).
pub(crate) fn numel(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

/// `axis` (negative: from the end) as an index into `0..rank`.
fn axis_index(axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r).contains(&a) {
        Ok(a as usize)
    } else {
        Err(format!("axis {axis} is outside a rank-{rank} tensor"))
    }
}

/// Picks `data[i]` for each index, in order.
fn pick(data: &Data, indices: impl Iterator<Item = usize>) -> Data {
    match data {
        Data::F32(v) => Data::F32(indices.map(|i| v[i]).collect()),
        Data::I64(v) => Data::I64(indices.map(|i| v[i]).collect()),
    }
}

/// Row-major strides of a shape.
fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for k in (0..dims.len().saturating_sub(1)).rev() {
        s[k] = s[k + 1] * dims[k + 1];
    }
    s
}

/// Calls `f` with every multi-index of `dims` in row-major order.
fn for_each_index(dims: &[usize], count: usize, mut f: impl FnMut(&[usize])) {
    let mut index = vec![0usize; dims.len()];
    for _ in 0..count {
        f(&index);
        for k in (0..dims.len()).rev() {
            index[k] += 1;
            if index[k] < dims[k] {
                break;
            }
            index[k] = 0;
        }
    }
}

/// `Shape` of a tensor of shape `dims` (the ONNX shape, batch included), from `start` to
/// `end` (clamped as ONNX does).
pub(crate) fn shape(
    budget: &mut Budget,
    dims: &[usize],
    start: i64,
    end: Option<i64>,
) -> Result<Const, String> {
    let r = dims.len() as i64;
    let clamp = |v: i64| (if v < 0 { v.saturating_add(r) } else { v }).clamp(0, r) as usize;
    let (s, e) = (clamp(start), clamp(end.unwrap_or(r)));
    let values: Vec<i64> = dims
        .get(s..e.max(s))
        .unwrap_or_default()
        .iter()
        .map(|&d| d as i64)
        .collect();
    budget.take(&[values.len()])?;
    Ok(Const {
        dims: vec![values.len()],
        data: Data::I64(values),
    })
}

/// The output shape of `Reshape(x, target)` for `x` of shape `dims` (ONNX semantics: `0`
/// copies the input's dimension unless `allowzero`, one `-1` is inferred).
pub(crate) fn reshape_target(
    target: &[i64],
    dims: &[usize],
    allowzero: bool,
) -> Result<Vec<usize>, String> {
    let total = numel(dims).ok_or("the input's size overflows")?;
    let mut out = Vec::with_capacity(target.len());
    let mut infer = None;
    for (k, &d) in target.iter().enumerate() {
        let v = match d {
            -1 if infer.is_some() => return Err(format!("the shape {target:?} has two -1")),
            -1 => {
                infer = Some(k);
                1
            }
            0 if !allowzero => *dims.get(k).ok_or_else(|| {
                format!(
                    "the shape {target:?} copies dimension {k} (0), which the input {dims:?} lacks"
                )
            })?,
            d if d < 0 => return Err(format!("the shape {target:?} has a negative dimension")),
            d => usize::try_from(d).map_err(|_| format!("dimension {d} is too large"))?,
        };
        out.push(v);
    }
    let known = numel(&out).ok_or("the shape's size overflows")?;
    if let Some(k) = infer {
        if known == 0 || total % known != 0 {
            return Err(format!(
                "the shape {target:?} cannot hold the input's {total} values"
            ));
        }
        out[k] = total / known;
    } else if known != total {
        return Err(format!(
            "the shape {target:?} holds {known} values; the input {dims:?} has {total}"
        ));
    }
    Ok(out)
}

/// `Reshape` of a constant.
pub(crate) fn reshape(
    budget: &mut Budget,
    c: &Const,
    target: &[i64],
    allowzero: bool,
) -> Result<Const, String> {
    let dims = reshape_target(target, &c.dims, allowzero)?;
    budget.take(&dims)?;
    Ok(Const {
        dims,
        data: c.data.clone(),
    })
}

/// `Flatten` of a constant at `axis`.
pub(crate) fn flatten(budget: &mut Budget, c: &Const, axis: i64) -> Result<Const, String> {
    let r = c.dims.len() as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if !(0..=r).contains(&a) {
        return Err(format!("axis {axis} is outside 0..={r}"));
    }
    let (outer, inner) = c.dims.split_at(a as usize);
    let dims = vec![
        numel(outer).ok_or("size overflows")?,
        numel(inner).ok_or("size overflows")?,
    ];
    budget.take(&dims)?;
    Ok(Const {
        dims,
        data: c.data.clone(),
    })
}

/// `Gather(data, indices, axis)`.
pub(crate) fn gather(
    budget: &mut Budget,
    data: &Const,
    indices: &Const,
    axis: i64,
) -> Result<Const, String> {
    let a = axis_index(axis, data.dims.len())?;
    let Data::I64(idx) = &indices.data else {
        return Err("the indices are not integers".into());
    };
    let s = data.dims[a];
    let mut resolved = Vec::with_capacity(idx.len());
    for &i in idx {
        let j = if i < 0 { i.saturating_add(s as i64) } else { i };
        if !(0..s as i64).contains(&j) {
            return Err(format!("index {i} is outside an axis of size {s}"));
        }
        resolved.push(j as usize);
    }
    let mut dims = data.dims[..a].to_vec();
    dims.extend_from_slice(&indices.dims);
    dims.extend_from_slice(&data.dims[a + 1..]);
    let count = budget.take(&dims)?;
    let outer: usize = data.dims[..a].iter().product();
    let inner: usize = data.dims[a + 1..].iter().product();
    let sources = (0..outer).flat_map(|o| {
        resolved
            .iter()
            .flat_map(move |&j| (0..inner).map(move |i| (o * s + j) * inner + i))
    });
    let out = pick(&data.data, sources.take(count));
    Ok(Const { dims, data: out })
}

/// `GatherND(data, indices)` with `batch_dims` 0: each last-axis vector of `indices` (length
/// `q`, negative entries counted from the end) picks the slice `data[i_0, …, i_{q−1}]`; the
/// result has shape `indices.dims[..−1] ++ data.dims[q..]`.
pub(crate) fn gather_nd(
    budget: &mut Budget,
    data: &Const,
    indices: &Const,
) -> Result<Const, String> {
    let Data::I64(idx) = &indices.data else {
        return Err("the indices are not integers".into());
    };
    let Some((&q, outer)) = indices.dims.split_last() else {
        return Err("the indices are a scalar; GatherND needs rank 1 or more".into());
    };
    if q > data.dims.len() {
        return Err(format!(
            "index vectors of length {q} for data of rank {}",
            data.dims.len()
        ));
    }
    let mut dims = outer.to_vec();
    dims.extend_from_slice(&data.dims[q..]);
    let count = budget.take(&dims)?;
    let inner = numel(&data.dims[q..]).ok_or("size overflows")?;
    let src = strides(&data.dims);
    let mut starts = Vec::new();
    match idx.len().checked_div(q) {
        // Every (empty) index vector picks the whole tensor.
        None => starts.resize(numel(outer).ok_or("size overflows")?, 0),
        Some(vectors) => {
            starts.reserve(vectors);
            for vector in idx.chunks_exact(q) {
                let mut at = 0usize;
                for (k, &i) in vector.iter().enumerate() {
                    let s = data.dims[k] as i64;
                    let j = if i < 0 { i.saturating_add(s) } else { i };
                    if !(0..s).contains(&j) {
                        return Err(format!("index {i} is outside axis {k} of size {s}"));
                    }
                    at += j as usize * src[k];
                }
                starts.push(at);
            }
        }
    }
    let sources = starts
        .into_iter()
        .flat_map(|s| (0..inner).map(move |i| s + i));
    Ok(Const {
        dims,
        data: pick(&data.data, sources.take(count)),
    })
}

/// `Slice(data, starts, ends, axes, steps)` (`axes` default `0..starts.len()`, `steps` 1).
pub(crate) fn slice(
    budget: &mut Budget,
    data: &Const,
    starts: &[i64],
    ends: &[i64],
    axes: Option<&[i64]>,
    steps: Option<&[i64]>,
) -> Result<Const, String> {
    let rank = data.dims.len();
    if ends.len() != starts.len()
        || axes.is_some_and(|a| a.len() != starts.len())
        || steps.is_some_and(|s| s.len() != starts.len())
    {
        return Err("starts, ends, axes and steps differ in length".into());
    }
    // Per axis: first index and step, and the output's size.
    let mut first = vec![0i64; rank];
    let mut step = vec![1i64; rank];
    let mut dims = data.dims.clone();
    let mut seen = vec![false; rank];
    for k in 0..starts.len() {
        let a = axis_index(axes.map_or(k as i64, |a| a[k]), rank)?;
        if std::mem::replace(&mut seen[a], true) {
            return Err(format!("axis {a} is sliced twice"));
        }
        let st = steps.map_or(1, |s| s[k]);
        if st == 0 {
            return Err("a step is 0".into());
        }
        let d = data.dims[a] as i64;
        let adjust = |v: i64| if v < 0 { v.saturating_add(d) } else { v };
        let (s, e) = (adjust(starts[k]), adjust(ends[k]));
        // (A step of i64::MIN is as good as -i64::MAX: it takes one element at most.)
        let (s, count) = if d == 0 {
            (0, 0)
        } else if st > 0 {
            let (s, e) = (s.clamp(0, d), e.clamp(0, d));
            (s, if e > s { (e - s - 1) / st + 1 } else { 0 })
        } else {
            let (s, e) = (s.clamp(0, d - 1), e.clamp(-1, d - 1));
            (
                s,
                if s > e {
                    (s - e - 1) / st.saturating_neg() + 1
                } else {
                    0
                },
            )
        };
        first[a] = s;
        step[a] = st;
        dims[a] = count as usize;
    }
    let count = budget.take(&dims)?;
    let src = strides(&data.dims);
    let mut sources = Vec::with_capacity(count);
    for_each_index(&dims, count, |index| {
        let mut at = 0i64;
        for k in 0..rank {
            at += (first[k] + index[k] as i64 * step[k]) * src[k] as i64;
        }
        sources.push(at as usize);
    });
    Ok(Const {
        dims,
        data: pick(&data.data, sources.into_iter()),
    })
}

/// `Concat(inputs, axis)`.
pub(crate) fn concat(budget: &mut Budget, inputs: &[Const], axis: i64) -> Result<Const, String> {
    let Some(head) = inputs.first() else {
        return Err("no inputs".into());
    };
    let rank = head.dims.len();
    let a = axis_index(axis, rank)?;
    let mut dims = head.dims.clone();
    dims[a] = 0;
    for (k, c) in inputs.iter().enumerate() {
        let same = c.dims.len() == rank
            && (0..rank).all(|j| j == a || c.dims[j] == head.dims[j])
            && matches!(
                (&c.data, &head.data),
                (Data::F32(_), Data::F32(_)) | (Data::I64(_), Data::I64(_))
            );
        if !same {
            return Err(format!(
                "input {k} (shape {:?}) does not concatenate with input 0 (shape {:?}) on axis \
                 {a}, or differs in type",
                c.dims, head.dims
            ));
        }
        dims[a] = dims[a].checked_add(c.dims[a]).ok_or("the size overflows")?;
    }
    budget.take(&dims)?;
    let outer: usize = head.dims[..a].iter().product();
    let inner: usize = head.dims[a + 1..].iter().product();
    let chunk = |c: &Const, o: usize| {
        let n = c.dims[a] * inner;
        o * n..(o + 1) * n
    };
    let data = match &head.data {
        Data::F32(_) => {
            let mut out = Vec::new();
            for o in 0..outer {
                for c in inputs {
                    if let Data::F32(v) = &c.data {
                        out.extend_from_slice(&v[chunk(c, o)]);
                    }
                }
            }
            Data::F32(out)
        }
        Data::I64(_) => {
            let mut out = Vec::new();
            for o in 0..outer {
                for c in inputs {
                    if let Data::I64(v) = &c.data {
                        out.extend_from_slice(&v[chunk(c, o)]);
                    }
                }
            }
            Data::I64(out)
        }
    };
    Ok(Const { dims, data })
}

/// `Unsqueeze(c, axes)`: size-1 dimensions inserted at `axes` of the output.
pub(crate) fn unsqueeze(budget: &mut Budget, c: &Const, axes: &[i64]) -> Result<Const, String> {
    let rank = c.dims.len() + axes.len();
    let mut at = vec![false; rank];
    for &axis in axes {
        let a = axis_index(axis, rank)?;
        if std::mem::replace(&mut at[a], true) {
            return Err(format!("axis {axis} appears twice"));
        }
    }
    let mut rest = c.dims.iter();
    let dims: Vec<usize> = at
        .iter()
        .map(|&one| if one { 1 } else { *rest.next().unwrap_or(&1) })
        .collect();
    budget.take(&dims)?;
    Ok(Const {
        dims,
        data: c.data.clone(),
    })
}

/// `Squeeze(c, axes)`: the size-1 dimensions at `axes` (all of them when `None`) removed.
pub(crate) fn squeeze(
    budget: &mut Budget,
    c: &Const,
    axes: Option<&[i64]>,
) -> Result<Const, String> {
    let rank = c.dims.len();
    let mut drop = vec![false; rank];
    match axes {
        None => {
            for (k, &d) in c.dims.iter().enumerate() {
                drop[k] = d == 1;
            }
        }
        Some(axes) => {
            for &axis in axes {
                let a = axis_index(axis, rank)?;
                if c.dims[a] != 1 {
                    return Err(format!(
                        "axis {axis} has size {}; only size-1 axes can be squeezed",
                        c.dims[a]
                    ));
                }
                drop[a] = true;
            }
        }
    }
    let dims: Vec<usize> = c
        .dims
        .iter()
        .zip(&drop)
        .filter(|(_, &d)| !d)
        .map(|(&v, _)| v)
        .collect();
    budget.take(&dims)?;
    Ok(Const {
        dims,
        data: c.data.clone(),
    })
}

/// `Transpose(c, perm)` (`perm` default: the axes reversed).
pub(crate) fn transpose(
    budget: &mut Budget,
    c: &Const,
    perm: Option<&[i64]>,
) -> Result<Const, String> {
    let rank = c.dims.len();
    let perm: Vec<usize> = match perm {
        None => (0..rank).rev().collect(),
        Some(p) => {
            let mut seen = vec![false; rank];
            let mut out = Vec::with_capacity(rank);
            for &axis in p {
                let a = usize::try_from(axis)
                    .ok()
                    .filter(|&a| a < rank && !seen[a])
                    .ok_or_else(|| format!("perm {p:?} is not a permutation of 0..{rank}"))?;
                seen[a] = true;
                out.push(a);
            }
            if out.len() != rank {
                return Err(format!("perm {p:?} is not a permutation of 0..{rank}"));
            }
            out
        }
    };
    let dims: Vec<usize> = perm.iter().map(|&a| c.dims[a]).collect();
    let count = budget.take(&dims)?;
    let src = strides(&c.dims);
    let mut sources = Vec::with_capacity(count);
    for_each_index(&dims, count, |index| {
        sources.push(index.iter().zip(&perm).map(|(&i, &a)| i * src[a]).sum());
    });
    Ok(Const {
        dims,
        data: pick(&c.data, sources.into_iter()),
    })
}

/// `Cast(c, to)`: to FLOAT or DOUBLE (kept as `f32`), or to an integer type or BOOL (kept as
/// `i64`; floats truncated toward zero; a value outside the target type is an error).
pub(crate) fn cast(budget: &mut Budget, c: &Const, to: i64) -> Result<Const, String> {
    let to = i32::try_from(to).unwrap_or(-1);
    let range: Option<(i64, i64)> = match to {
        data_type::INT64 | data_type::UINT64 => {
            Some((if to == data_type::INT64 { i64::MIN } else { 0 }, i64::MAX))
        }
        data_type::INT32 => Some((i32::MIN.into(), i32::MAX.into())),
        data_type::UINT32 => Some((0, u32::MAX.into())),
        data_type::INT16 => Some((i16::MIN.into(), i16::MAX.into())),
        data_type::UINT16 => Some((0, u16::MAX.into())),
        data_type::INT8 => Some((i8::MIN.into(), i8::MAX.into())),
        data_type::UINT8 => Some((0, u8::MAX.into())),
        data_type::BOOL => None,
        data_type::FLOAT | data_type::DOUBLE => None,
        other => {
            return Err(format!(
                "a cast to {} is not supported (FLOAT, DOUBLE, integer types and BOOL are)",
                data_type::name(other)
            ))
        }
    };
    budget.take(&c.dims)?;
    let out_of_range = |v: &dyn std::fmt::Display| {
        format!(
            "value {v} does not fit {} (the cast is not folded)",
            data_type::name(to)
        )
    };
    let data = match (&c.data, to) {
        (Data::F32(v), data_type::FLOAT | data_type::DOUBLE) => Data::F32(v.clone()),
        (Data::I64(v), data_type::FLOAT | data_type::DOUBLE) => {
            Data::F32(v.iter().map(|&x| x as f32).collect())
        }
        (Data::F32(v), data_type::BOOL) => {
            Data::I64(v.iter().map(|&x| (x != 0.0) as i64).collect())
        }
        (Data::I64(v), data_type::BOOL) => Data::I64(v.iter().map(|&x| (x != 0) as i64).collect()),
        (Data::F32(v), _) => {
            let (lo, hi) = range.unwrap_or((i64::MIN, i64::MAX));
            let mut out = Vec::with_capacity(v.len());
            for &x in v {
                let t = x.trunc();
                // f32 → i64 saturates; compare in f64 so the bounds are exact enough.
                if !t.is_finite() || (t as f64) < lo as f64 || (t as f64) > hi as f64 {
                    return Err(out_of_range(&x));
                }
                out.push(t as i64);
            }
            Data::I64(out)
        }
        (Data::I64(v), _) => {
            let (lo, hi) = range.unwrap_or((i64::MIN, i64::MAX));
            if let Some(x) = v.iter().find(|&&x| x < lo || x > hi) {
                return Err(out_of_range(x));
            }
            Data::I64(v.clone())
        }
    };
    Ok(Const {
        dims: c.dims.clone(),
        data,
    })
}

/// `ConstantOfShape(shape)` filled with `value` (one value; default float 0).
pub(crate) fn constant_of_shape(
    budget: &mut Budget,
    shape: &[i64],
    value: Option<&Const>,
) -> Result<Const, String> {
    let mut dims = Vec::with_capacity(shape.len());
    for &d in shape {
        dims.push(usize::try_from(d).map_err(|_| format!("the shape {shape:?} is negative"))?);
    }
    let n = budget.take(&dims)?;
    let data = match value.map(|v| &v.data) {
        None => Data::F32(vec![0.0; n]),
        Some(Data::F32(v)) if v.len() == 1 => Data::F32(vec![v[0]; n]),
        Some(Data::I64(v)) if v.len() == 1 => Data::I64(vec![v[0]; n]),
        Some(_) => return Err("the value attribute must hold one element".into()),
    };
    Ok(Const { dims, data })
}

/// An elementwise binary operator on constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binary {
    Add,
    Sub,
    Mul,
    Div,
}

/// `a op b` with numpy broadcasting; both operands of one type.
pub(crate) fn binary(
    budget: &mut Budget,
    op: Binary,
    a: &Const,
    b: &Const,
) -> Result<Const, String> {
    let rank = a.dims.len().max(b.dims.len());
    let pad = |d: &[usize]| -> Vec<usize> {
        std::iter::repeat_n(1, rank - d.len())
            .chain(d.iter().copied())
            .collect()
    };
    let (da, db) = (pad(&a.dims), pad(&b.dims));
    let mut dims = Vec::with_capacity(rank);
    for (&x, &y) in da.iter().zip(&db) {
        dims.push(match (x, y) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(format!(
                    "shapes {:?} and {:?} do not broadcast",
                    a.dims, b.dims
                ))
            }
        });
    }
    let count = budget.take(&dims)?;
    // Strides of each operand in the output's index space (0 along broadcast axes).
    let broadcast = |d: &[usize]| -> Vec<usize> {
        strides(d)
            .into_iter()
            .zip(d)
            .map(|(s, &n)| if n == 1 { 0 } else { s })
            .collect()
    };
    let (sa, sb) = (broadcast(&da), broadcast(&db));
    let mut pairs = Vec::with_capacity(count);
    for_each_index(&dims, count, |index| {
        let at = |s: &[usize]| index.iter().zip(s).map(|(i, s)| i * s).sum::<usize>();
        pairs.push((at(&sa), at(&sb)));
    });
    let data = match (&a.data, &b.data) {
        (Data::F32(x), Data::F32(y)) => {
            let mut out = Vec::with_capacity(count);
            for &(i, j) in &pairs {
                let v = match op {
                    Binary::Add => x[i] + y[j],
                    Binary::Sub => x[i] - y[j],
                    Binary::Mul => x[i] * y[j],
                    Binary::Div => x[i] / y[j],
                };
                if !v.is_finite() {
                    return Err(format!("{op:?} of {} and {} is not finite", x[i], y[j]));
                }
                out.push(v);
            }
            Data::F32(out)
        }
        (Data::I64(x), Data::I64(y)) => {
            let mut out = Vec::with_capacity(count);
            for &(i, j) in &pairs {
                let v = match op {
                    Binary::Add => x[i].checked_add(y[j]),
                    Binary::Sub => x[i].checked_sub(y[j]),
                    Binary::Mul => x[i].checked_mul(y[j]),
                    // Truncating toward zero, as Rust's `/` and the reference evaluator do.
                    Binary::Div => x[i].checked_div(y[j]),
                };
                out.push(v.ok_or_else(|| {
                    format!(
                        "{op:?} of {} and {} overflows or divides by zero",
                        x[i], y[j]
                    )
                })?);
            }
            Data::I64(out)
        }
        _ => return Err("the operands differ in type (float and integer)".into()),
    };
    Ok(Const { dims, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(dims: &[usize], v: &[i64]) -> Const {
        Const {
            dims: dims.to_vec(),
            data: Data::I64(v.to_vec()),
        }
    }

    fn floats(dims: &[usize], v: &[f32]) -> Const {
        Const {
            dims: dims.to_vec(),
            data: Data::F32(v.to_vec()),
        }
    }

    fn values(c: &Const) -> Vec<i64> {
        match &c.data {
            Data::I64(v) => v.clone(),
            Data::F32(v) => v.iter().map(|&x| x as i64).collect(),
        }
    }

    #[test]
    fn shape_takes_start_and_end() {
        let b = &mut Budget::default();
        let dims = [1, 16, 5, 5];
        assert_eq!(values(&shape(b, &dims, 0, None).unwrap()), [1, 16, 5, 5]);
        assert_eq!(values(&shape(b, &dims, 0, Some(1)).unwrap()), [1]);
        assert_eq!(values(&shape(b, &dims, -2, None).unwrap()), [5, 5]);
        assert_eq!(
            values(&shape(b, &dims, 3, Some(1)).unwrap()),
            Vec::<i64>::new()
        );
        assert_eq!(values(&shape(b, &dims, -100, Some(100)).unwrap()).len(), 4);
    }

    #[test]
    fn reshape_targets_resolve_as_onnx_does() {
        let dims = [1, 2, 3, 4];
        for target in [[1, -1], [1, 24], [-1, 24], [0, -1], [0, 24]] {
            assert_eq!(reshape_target(&target, &dims, false), Ok(vec![1, 24]));
        }
        assert_eq!(
            reshape_target(&[0, 0, -1, 4], &dims, false),
            Ok(vec![1, 2, 3, 4])
        );
        for target in [&[2, -1][..], &[24], &[1, 2, 12]] {
            let out = reshape_target(target, &dims, false).unwrap();
            assert_ne!(out, [1, 24], "{target:?}");
        }
        for target in [
            &[-1, -1][..],
            &[1, 23],
            &[-1, 7],
            &[1, -2],
            &[0, 0, 0, 0, 0],
        ] {
            assert!(reshape_target(target, &dims, false).is_err(), "{target:?}");
        }
        // With allowzero, 0 is a literal zero.
        assert!(reshape_target(&[0, -1], &dims, true).is_err());
    }

    #[test]
    fn gather_slice_concat_unsqueeze_squeeze() {
        let b = &mut Budget::default();
        let s = ints(&[4], &[1, 16, 5, 5]);
        let scalar = ints(&[], &[0]);
        let g = gather(b, &s, &scalar, 0).unwrap();
        assert_eq!((g.dims.clone(), values(&g)), (vec![], vec![1]));
        let g = gather(b, &s, &ints(&[2], &[-1, 1]), 0).unwrap();
        assert_eq!((g.dims.clone(), values(&g)), (vec![2], vec![5, 16]));
        assert!(gather(b, &s, &ints(&[1], &[4]), 0).is_err());
        let m = ints(&[2, 3], &[0, 1, 2, 3, 4, 5]);
        let g = gather(b, &m, &ints(&[2], &[2, 0]), 1).unwrap();
        assert_eq!((g.dims.clone(), values(&g)), (vec![2, 2], vec![2, 0, 5, 3]));

        let sl = slice(b, &s, &[0], &[1], None, None).unwrap();
        assert_eq!((sl.dims.clone(), values(&sl)), (vec![1], vec![1]));
        let sl = slice(b, &s, &[1], &[i64::MAX], Some(&[0]), None).unwrap();
        assert_eq!(values(&sl), [16, 5, 5]);
        let sl = slice(b, &s, &[-1], &[i64::MIN], None, Some(&[-2])).unwrap();
        assert_eq!(values(&sl), [5, 16]);
        let sl = slice(b, &m, &[1, 0], &[2, 3], Some(&[0, 1]), Some(&[1, 2])).unwrap();
        assert_eq!((sl.dims.clone(), values(&sl)), (vec![1, 2], vec![3, 5]));
        assert!(slice(b, &s, &[0], &[1], None, Some(&[0])).is_err());

        let u = unsqueeze(b, &g_scalar(), &[0]).unwrap();
        assert_eq!((u.dims.clone(), values(&u)), (vec![1], vec![7]));
        let c = concat(b, &[u, ints(&[1], &[-1])], 0).unwrap();
        assert_eq!((c.dims.clone(), values(&c)), (vec![2], vec![7, -1]));
        assert!(concat(b, &[c.clone(), floats(&[1], &[1.0])], 0).is_err());
        let c2 = concat(b, &[m.clone(), ints(&[2, 1], &[9, 9])], -1).unwrap();
        assert_eq!(values(&c2), [0, 1, 2, 9, 3, 4, 5, 9]);
        let u = unsqueeze(b, &m, &[0, -1]).unwrap();
        assert_eq!(u.dims, [1, 2, 3, 1]);
        assert_eq!(squeeze(b, &u, None).unwrap().dims, [2, 3]);
        assert_eq!(squeeze(b, &u, Some(&[-1])).unwrap().dims, [1, 2, 3]);
        assert!(squeeze(b, &u, Some(&[1])).is_err());
    }

    fn g_scalar() -> Const {
        ints(&[], &[7])
    }

    #[test]
    fn gather_nd_picks_slices_by_index_vectors() {
        let b = &mut Budget::default();
        // data [2, 3, 2]: value = 100·i + 10·j + k.
        let data: Vec<i64> = (0..2)
            .flat_map(|i| (0..3).flat_map(move |j| (0..2).map(move |k| 100 * i + 10 * j + k)))
            .collect();
        let data = ints(&[2, 3, 2], &data);
        // Full index vectors: one entry each, [2, 2] of them.
        let full = ints(&[2, 2, 3], &[1, 2, 1, 0, 0, 0, -1, -1, -2, 0, 1, 1]);
        let out = gather_nd(b, &data, &full).unwrap();
        assert_eq!(out.dims, [2, 2]);
        assert_eq!(values(&out), [121, 0, 120, 11]);
        // Index vectors of length 2: rows of 2, as torch's exporter indexes [H, W, N, C].
        let rows = ints(&[3, 2], &[0, 2, 1, 0, -2, -1]);
        let out = gather_nd(b, &data, &rows).unwrap();
        assert_eq!(out.dims, [3, 2]);
        assert_eq!(values(&out), [20, 21, 100, 101, 20, 21]);
        // Out of range, and vectors longer than the rank.
        let e = gather_nd(b, &data, &ints(&[1, 2], &[0, 3])).unwrap_err();
        assert!(e.contains("index 3 is outside axis 1 of size 3"), "{e}");
        let e = gather_nd(b, &data, &ints(&[1, 4], &[0, 0, 0, 0])).unwrap_err();
        assert!(e.contains("length 4"), "{e}");
        let e = gather_nd(b, &data, &ints(&[], &[0])).unwrap_err();
        assert!(e.contains("scalar"), "{e}");
    }

    #[test]
    fn cast_transpose_constant_of_shape_and_arithmetic() {
        let b = &mut Budget::default();
        let f = floats(&[3], &[1.9, -1.9, 0.0]);
        let c = cast(b, &f, data_type::INT64.into()).unwrap();
        assert_eq!(values(&c), [1, -1, 0]);
        assert!(cast(b, &floats(&[1], &[300.0]), data_type::UINT8.into()).is_err());
        assert!(cast(b, &f, data_type::FLOAT16.into()).is_err());
        let back = cast(b, &c, data_type::FLOAT.into()).unwrap();
        assert!(matches!(back.data, Data::F32(ref v) if v == &[1.0, -1.0, 0.0]));

        let m = ints(&[2, 3], &[0, 1, 2, 3, 4, 5]);
        let t = transpose(b, &m, None).unwrap();
        assert_eq!(
            (t.dims.clone(), values(&t)),
            (vec![3, 2], vec![0, 3, 1, 4, 2, 5])
        );
        assert!(transpose(b, &m, Some(&[0, 0])).is_err());
        let nhwc = ints(&[1, 2, 2, 3], &(0..12).collect::<Vec<_>>());
        let nchw = transpose(b, &nhwc, Some(&[0, 3, 1, 2])).unwrap();
        assert_eq!(values(&nchw), [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]);

        let z = constant_of_shape(b, &[2, 2], None).unwrap();
        assert!(matches!(z.data, Data::F32(ref v) if v == &[0.0; 4]));
        let o = constant_of_shape(b, &[3], Some(&ints(&[1], &[1]))).unwrap();
        assert_eq!(values(&o), [1, 1, 1]);
        assert!(constant_of_shape(b, &[-1], None).is_err());

        let shape = ints(&[4], &[1, 16, 5, 5]);
        let tail = slice(b, &shape, &[1], &[4], None, None).unwrap();
        let prod = binary(b, Binary::Mul, &tail, &ints(&[], &[2])).unwrap();
        assert_eq!(values(&prod), [32, 10, 10]);
        let q = binary(b, Binary::Div, &ints(&[2], &[7, -7]), &ints(&[1], &[2])).unwrap();
        assert_eq!(values(&q), [3, -3]);
        assert!(binary(b, Binary::Div, &ints(&[1], &[1]), &ints(&[1], &[0])).is_err());
        assert!(binary(b, Binary::Add, &ints(&[1], &[i64::MAX]), &ints(&[1], &[1])).is_err());
        assert!(binary(
            b,
            Binary::Add,
            &ints(&[2], &[1, 2]),
            &ints(&[3], &[1, 2, 3])
        )
        .is_err());
        let s = binary(
            b,
            Binary::Sub,
            &ints(&[2, 1], &[10, 20]),
            &ints(&[3], &[1, 2, 3]),
        )
        .unwrap();
        assert_eq!(
            (s.dims.clone(), values(&s)),
            (vec![2, 3], vec![9, 8, 7, 19, 18, 17])
        );
        assert!(binary(b, Binary::Div, &floats(&[1], &[1.0]), &floats(&[1], &[0.0])).is_err());
        assert!(binary(b, Binary::Mul, &floats(&[1], &[1.0]), &ints(&[1], &[1])).is_err());
    }

    #[test]
    fn the_budget_is_checked_before_allocating() {
        let mut b = Budget::default();
        let err = constant_of_shape(&mut b, &[1 << 20, 1 << 20], None).unwrap_err();
        assert!(err.contains("would exceed"), "{err}");
        let err = constant_of_shape(&mut b, &[i64::MAX, i64::MAX], None).unwrap_err();
        assert!(err.contains("overflows"), "{err}");
        constant_of_shape(&mut b, &[MAX_FOLDED_VALUES as i64], None).unwrap();
        assert!(constant_of_shape(&mut b, &[1], None).is_err());
    }
}
