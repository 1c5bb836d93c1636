//! Fixed linear maps of an activation, absorbed into the Gemm or MatMul that reads them.
//!
//! torch's dynamo exporter writes `AdaptiveAvgPool2d` whose output is not a divisor of its
//! input (AlexNet's `(6, 6)` and VGG's `(7, 7)` pools on the 1×1 and 2×2 maps of a 64×64
//! input: an upsampling) as index arithmetic on the feature map: a `Transpose` that brings the
//! pooled axes to the front, a `GatherND` with constant indices, a `Transpose` back, and a
//! `ReduceMean` (or masked sums: `Where` with a constant mask, sums of `Gather`ed slices, a
//! `Div` by the constant window sizes). Every such node is linear with constant parameters, so
//! the run of them is one fixed matrix `P` applied to the activation `x` they start from:
//! `v = P·x`. When the run ends in a `Flatten` read by a `Gemm` (or `MatMul`), the layer
//! `y = W·v + b = (W·P)·x + b` is a Dense layer on `x` itself, with float weights `W' = W·P`;
//! those are quantized and proven like any Dense layer's, so nothing of the map is left to
//! prove and `import`'s float-versus-quantized agreement measures the quantization of `W'`.
//!
//! [`Linear`] holds `P` as sparse rows (one per entry of the value, row-major over its ONNX
//! shape, batch dimension included; each a list of `(entry of x, coefficient)`), and applies
//! the ONNX operators to it. Index operators (Transpose, Gather, GatherND, Slice, Reshape,
//! Flatten, Squeeze, Unsqueeze) run the constant folder (`fold.rs`) on a tensor of row numbers
//! and pick the rows it returns, so they follow exactly the ONNX semantics the folder
//! implements (negative indices, clamping, broadcasting) and the indices are checked in range
//! there. Arithmetic is restricted to what keeps the map linear: a product or quotient by a
//! constant, the sum or difference of two maps of the same activation, a `Where` whose
//! condition is constant and whose other branch is a constant zero, and a mean or sum over
//! axes. Every result's number of stored terms is checked against [`MAX_TERMS`] before it is
//! allocated.

use super::fold::{self, Binary, Budget};
use super::tensor::{Const, Data};

/// A broadcast's shape, and for each of its entries the entry of each operand it reads.
type Broadcast = (Vec<usize>, Vec<usize>, Vec<usize>);

/// The most `(entry, coefficient)` terms a map may store (2^26).
pub(crate) const MAX_TERMS: usize = 1 << 26;
/// The most multiply-adds absorbing a map into a Dense layer may take (`out × terms`, 2^36:
/// minutes at worst; VGG-11's pool takes 4096 × 100,352).
pub(crate) const MAX_ABSORB_WORK: usize = 1 << 36;

/// A fixed linear map `v = P·x` from the `inputs` entries of an activation `x` to a value of
/// ONNX shape `dims`, as sparse rows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Linear {
    /// The value's ONNX shape (batch dimension included).
    pub dims: Vec<usize>,
    /// The number of entries of `x` (the map's columns).
    pub inputs: usize,
    /// Row `r`'s terms are `terms[starts[r]..starts[r + 1]]`.
    starts: Vec<usize>,
    /// `(column, coefficient)`, columns increasing within a row.
    terms: Vec<(u32, f64)>,
}

impl Linear {
    /// The identity on an activation of ONNX shape `dims`.
    pub(crate) fn identity(dims: Vec<usize>) -> Result<Self, String> {
        let n = fold::numel(&dims).ok_or("the shape overflows")?;
        if n > MAX_TERMS || n > u32::MAX as usize {
            return Err(format!("{n} entries exceed {MAX_TERMS}"));
        }
        Ok(Linear {
            dims,
            inputs: n,
            starts: (0..=n).collect(),
            terms: (0..n).map(|j| (j as u32, 1.0)).collect(),
        })
    }

    /// The number of stored terms.
    pub(crate) fn terms(&self) -> usize {
        self.terms.len()
    }

    /// The number of rows (entries of the value).
    pub(crate) fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    fn row(&self, r: usize) -> &[(u32, f64)] {
        &self.terms[self.starts[r]..self.starts[r + 1]]
    }

    /// The value's row numbers as a constant of its shape.
    fn row_numbers(&self) -> Const {
        Const {
            dims: self.dims.clone(),
            data: Data::I64((0..self.rows() as i64).collect()),
        }
    }

    /// Builds a map of shape `dims` whose row `k` is `f(k)` (`None`: a zero row), the terms
    /// counted before they are allocated.
    fn build<'s>(
        dims: Vec<usize>,
        inputs: usize,
        rows: usize,
        f: impl Fn(usize) -> Option<(&'s [(u32, f64)], f64)>,
    ) -> Result<Self, String> {
        let mut total = 0usize;
        for k in 0..rows {
            total = total.saturating_add(f(k).map_or(0, |(r, _)| r.len()));
        }
        if total > MAX_TERMS {
            return Err(format!(
                "the map would store {total} terms; at most {MAX_TERMS} are allowed"
            ));
        }
        let mut starts = Vec::with_capacity(rows + 1);
        let mut terms = Vec::with_capacity(total);
        starts.push(0);
        for k in 0..rows {
            if let Some((row, scale)) = f(k) {
                terms.extend(row.iter().map(|&(j, c)| (j, c * scale)));
            }
            starts.push(terms.len());
        }
        Ok(Linear {
            dims,
            inputs,
            starts,
            terms,
        })
    }

    /// An index operator: `op` applied to the tensor of row numbers says which row each entry
    /// of the result copies (Transpose, Gather, GatherND, Slice, Reshape, Flatten, Squeeze,
    /// Unsqueeze through the constant folder).
    pub(crate) fn reindex(
        &self,
        budget: &mut Budget,
        op: impl FnOnce(&mut Budget, &Const) -> Result<Const, String>,
    ) -> Result<Self, String> {
        let picked = op(budget, &self.row_numbers())?;
        let Data::I64(rows) = &picked.data else {
            return Err("the index operator returned floats".into());
        };
        let n = self.rows();
        if let Some(&bad) = rows.iter().find(|&&r| !(0..n as i64).contains(&r)) {
            return Err(format!("row {bad} is outside the map's {n} rows"));
        }
        Linear::build(picked.dims.clone(), self.inputs, rows.len(), |k| {
            Some((self.row(rows[k] as usize), 1.0))
        })
    }

    /// For each entry of the broadcast of shapes `a` and `b`: the entry of each operand it
    /// reads (numpy broadcasting, through the folder's `Add` on row numbers).
    fn broadcast(budget: &mut Budget, a: &[usize], b: &[usize]) -> Result<Broadcast, String> {
        let numbers = |d: &[usize]| -> Result<Const, String> {
            let n = fold::numel(d).ok_or("the shape overflows")?;
            Ok(Const {
                dims: d.to_vec(),
                data: Data::I64((0..n as i64).collect()),
            })
        };
        let zeros = |d: &[usize]| -> Result<Const, String> {
            let n = fold::numel(d).ok_or("the shape overflows")?;
            Ok(Const {
                dims: d.to_vec(),
                data: Data::I64(vec![0; n]),
            })
        };
        let ia = fold::binary(budget, Binary::Add, &numbers(a)?, &zeros(b)?)?;
        let ib = fold::binary(budget, Binary::Add, &zeros(a)?, &numbers(b)?)?;
        let dims = ia.dims;
        let (Data::I64(ia), Data::I64(ib)) = (ia.data, ib.data) else {
            return Err("broadcast indices are not integers".into());
        };
        let as_usize = |v: Vec<i64>| v.into_iter().map(|i| i as usize).collect();
        Ok((dims, as_usize(ia), as_usize(ib)))
    }

    /// The map times (`divide`: divided by) a constant, broadcast as ONNX `Mul`/`Div` do.
    pub(crate) fn scale(
        &self,
        budget: &mut Budget,
        c: &Const,
        divide: bool,
    ) -> Result<Self, String> {
        let Data::F32(values) = &c.data else {
            return Err("the constant is not a float tensor".into());
        };
        let (dims, ia, ib) = Linear::broadcast(budget, &self.dims, &c.dims)?;
        let mut factors = Vec::with_capacity(ib.len());
        for &j in &ib {
            let v = f64::from(values[j]);
            if divide && v == 0.0 {
                return Err("a division by zero".into());
            }
            factors.push(if divide { 1.0 / v } else { v });
        }
        Linear::build(dims, self.inputs, ia.len(), |k| {
            Some((self.row(ia[k]), factors[k]))
        })
    }

    /// `self + sign · other` (two maps of the same activation), broadcast as ONNX `Add` does.
    pub(crate) fn add(
        &self,
        budget: &mut Budget,
        other: &Linear,
        sign: f64,
    ) -> Result<Self, String> {
        if self.inputs != other.inputs {
            return Err("the operands are maps of different activations".into());
        }
        let (dims, ia, ib) = Linear::broadcast(budget, &self.dims, &other.dims)?;
        let total = ia.iter().zip(&ib).fold(0usize, |t, (&i, &j)| {
            t.saturating_add(self.row(i).len() + other.row(j).len())
        });
        if total > MAX_TERMS {
            return Err(format!(
                "the sum would store {total} terms; at most {MAX_TERMS} are allowed"
            ));
        }
        let mut starts = Vec::with_capacity(ia.len() + 1);
        let mut terms = Vec::with_capacity(total);
        starts.push(0);
        for (&i, &j) in ia.iter().zip(&ib) {
            let scaled: Vec<(u32, f64)> =
                other.row(j).iter().map(|&(c, v)| (c, sign * v)).collect();
            merge(&mut terms, self.row(i), &scaled);
            starts.push(terms.len());
        }
        Ok(Linear {
            dims,
            inputs: self.inputs,
            starts,
            terms,
        })
    }

    /// ONNX `Where(cond, v, 0)` (`keep_where = true`) or `Where(cond, 0, v)` (`false`), for a
    /// constant condition, broadcast.
    pub(crate) fn select(
        &self,
        budget: &mut Budget,
        cond: &Const,
        keep_where: bool,
    ) -> Result<Self, String> {
        let Data::I64(flags) = &cond.data else {
            return Err("the condition is not a boolean tensor".into());
        };
        let (dims, ia, ib) = Linear::broadcast(budget, &self.dims, &cond.dims)?;
        Linear::build(dims, self.inputs, ia.len(), |k| {
            ((flags[ib[k]] != 0) == keep_where).then(|| (self.row(ia[k]), 1.0))
        })
    }

    /// ONNX `ReduceMean` (`mean`) or `ReduceSum` over `axes` (already non-negative, sorted,
    /// distinct, in range; empty: all axes).
    pub(crate) fn reduce(
        &self,
        axes: &[usize],
        keepdims: bool,
        mean: bool,
    ) -> Result<Self, String> {
        let rank = self.dims.len();
        let reduced = |a: usize| axes.is_empty() || axes.contains(&a);
        let kept_dims: Vec<usize> = (0..rank)
            .map(|a| if reduced(a) { 1 } else { self.dims[a] })
            .collect();
        let out_rows = fold::numel(&kept_dims).ok_or("the shape overflows")?;
        let group = self.rows().checked_div(out_rows).unwrap_or(0);
        // Rows of the input summed into each output row.
        let mut members: Vec<Vec<usize>> = vec![Vec::with_capacity(group); out_rows];
        let mut index = vec![0usize; rank];
        for r in 0..self.rows() {
            let mut o = 0;
            for a in 0..rank {
                o = o * kept_dims[a] + if reduced(a) { 0 } else { index[a] };
            }
            members[o].push(r);
            for a in (0..rank).rev() {
                index[a] += 1;
                if index[a] < self.dims[a] {
                    break;
                }
                index[a] = 0;
            }
        }
        let total = self.terms.len();
        if total > MAX_TERMS {
            return Err(format!("the map stores {total} terms"));
        }
        let scale = if mean && group > 0 {
            1.0 / group as f64
        } else {
            1.0
        };
        let mut starts = Vec::with_capacity(out_rows + 1);
        let mut terms = Vec::with_capacity(total);
        starts.push(0);
        for m in &members {
            let mut row: Vec<(u32, f64)> = m
                .iter()
                .flat_map(|&r| self.row(r).iter().copied())
                .collect();
            row.sort_by_key(|&(c, _)| c);
            let at = terms.len();
            for (c, v) in row {
                match terms[at..].last_mut() {
                    Some((last, acc)) if *last == c => *acc += v * scale,
                    _ => terms.push((c, v * scale)),
                }
            }
            starts.push(terms.len());
        }
        let dims = if keepdims {
            kept_dims
        } else {
            (0..rank)
                .filter(|&a| !reduced(a))
                .map(|a| self.dims[a])
                .collect()
        };
        Ok(Linear {
            dims,
            inputs: self.inputs,
            starts,
            terms,
        })
    }

    /// `W·P` for Dense weights `W` (`[out][rows]`, row-major): `[out][inputs]`, accumulated in
    /// `f64`.
    pub(crate) fn absorb(&self, weights: &[f32], out: usize) -> Vec<f32> {
        let k = self.rows();
        let mut result = vec![0.0f32; out * self.inputs];
        let mut acc = vec![0.0f64; self.inputs];
        for (o, w) in weights.chunks_exact(k).enumerate().take(out) {
            acc.iter_mut().for_each(|a| *a = 0.0);
            for (r, &wr) in w.iter().enumerate() {
                if wr == 0.0 {
                    continue;
                }
                for &(j, c) in self.row(r) {
                    acc[j as usize] += f64::from(wr) * c;
                }
            }
            for (dst, &a) in result[o * self.inputs..(o + 1) * self.inputs]
                .iter_mut()
                .zip(&acc)
            {
                *dst = a as f32;
            }
        }
        result
    }
}

/// Appends the sum of two rows (columns increasing) to `out`.
fn merge(out: &mut Vec<(u32, f64)>, a: &[(u32, f64)], b: &[(u32, f64)]) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(&(ca, va)), Some(&(cb, vb))) if ca == cb => {
                out.push((ca, va + vb));
                i += 1;
                j += 1;
            }
            (Some(&(ca, va)), Some(&(cb, _))) if ca < cb => {
                out.push((ca, va));
                i += 1;
            }
            (Some(&(ca, va)), None) => {
                out.push((ca, va));
                i += 1;
            }
            (_, Some(&(cb, vb))) => {
                out.push((cb, vb));
                j += 1;
            }
            (None, None) => break,
        }
    }
}
