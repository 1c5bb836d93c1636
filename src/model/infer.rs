//! Exact integer inference, layer by layer, and a witness checker.
//!
//! [`infer`] returns a [`Trace`]: every layer's output and, for the requantizing layers, the
//! accumulator before `round_shift`. These are the values the circuit commits to, computed with
//! the same integer semantics (see the [module docs](super)), so a trace that [`check_trace`]
//! accepts is exactly the honest witness.
//!
//! Speed: Conv2d is im2col followed by dot products of `i16` rows. Activations and weights fit
//! in an `i16` (at most 16 bits, symmetric range), and each dot product is summed in `i32`
//! chunks short enough that no chunk's exact sum can leave the `i32` range
//! (`chunk · max|w| · max|a| < 2^31`), then in `i64`; the result is the exact accumulator.
//! Output channels run in parallel with the `parallel` feature.

use ndarray::{ArrayD, Dimension, IxDyn};

use super::ir::{Add, Conv2d, Dense, Layer, LayerKind, MaxPool2d, Model, Mul};
use super::validate::{max_abs, weight_range, ModelError};
use crate::parallel;

/// `⌊(acc + 2^{shift−1}) / 2^{shift}⌋`, rounding half up; `acc` itself when `shift = 0`.
/// Never overflows (for `shift ≥ 64` the result is 0).
///
/// ```
/// use zkcnn::model::round_shift;
/// assert_eq!(round_shift(5, 1), 3); // 2.5 rounds up
/// assert_eq!(round_shift(-5, 1), -2); // −2.5 rounds up too
/// assert_eq!(round_shift(-6, 2), -1); // −1.5 → −1
/// assert_eq!(round_shift(7, 0), 7);
/// ```
pub fn round_shift(acc: i64, shift: u32) -> i64 {
    match shift {
        0 => acc,
        // acc = q·2^s + r with 0 ≤ r < 2^s; the result is q + [r ≥ 2^{s−1}], and that bracket
        // is bit s − 1 of acc (two's complement, so also for negative acc).
        1..=63 => (acc >> shift) + ((acc >> (shift - 1)) & 1),
        _ => 0,
    }
}

/// The most im2col values (`i16`) a convolution builds at once: 8 MiB.
const IM2COL_BLOCK: usize = 1 << 22;

/// Every layer's output, and the accumulator of each requantizing layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// `outputs[i]`: layer `i`'s output (after requantization).
    pub outputs: Vec<ArrayD<i64>>,
    /// `accumulators[i]`: layer `i`'s accumulator before `round_shift` for Conv2d, Dense,
    /// AvgPool2d, Add and Mul; `None` for the others.
    pub accumulators: Vec<Option<ArrayD<i64>>>,
}

impl Trace {
    /// The model's output (the last layer's), if there is a layer.
    pub fn output(&self) -> Option<&ArrayD<i64>> {
        self.outputs.last()
    }
}

/// Why inference failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InferenceError {
    /// The model is malformed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The input's shape is not the model's `input_shape`.
    #[error("the input has shape {got:?}; the model reads {expected:?}")]
    InputShape {
        /// The model's input shape.
        expected: Vec<usize>,
        /// The input's shape.
        got: Vec<usize>,
    },
    /// An input value is outside the activation range.
    #[error("input value at {position:?} is {value}, outside -{max_abs}..={max_abs}")]
    InputOutOfRange {
        /// Its multi-index.
        position: Vec<usize>,
        /// The value.
        value: i64,
        /// `2^{B−1} − 1`.
        max_abs: i64,
    },
    /// A requantized output left the activation range (the shift is too small).
    #[error("layer {layer} ({kind}) overflows at {position:?}: {value} is outside -{max_abs}..={max_abs}")]
    Overflow {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Multi-index in the layer's output.
        position: Vec<usize>,
        /// The requantized value.
        value: i64,
        /// `2^{B−1} − 1`.
        max_abs: i64,
    },
}

/// Which tensor of a trace a [`WitnessError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceTensor {
    /// [`Trace::outputs`].
    Output,
    /// [`Trace::accumulators`].
    Accumulator,
}

impl std::fmt::Display for TraceTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TraceTensor::Output => "output",
            TraceTensor::Accumulator => "accumulator",
        })
    }
}

/// Why a trace is not the honest witness, at the first place it departs from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The model is malformed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The input is wrong (shape or range).
    #[error("input: {0}")]
    Input(InferenceError),
    /// The trace has the wrong number of outputs or accumulators.
    #[error("the trace has {found} {tensor}s; the model has {expected} layers")]
    LayerCount {
        /// Outputs or accumulators.
        tensor: TraceTensor,
        /// Number of layers.
        expected: usize,
        /// Entries in the trace.
        found: usize,
    },
    /// A layer's output or accumulator has the wrong shape.
    #[error("layer {layer} ({kind}): the {tensor} has shape {found:?}; expected {expected:?}")]
    ShapeMismatch {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Which tensor.
        tensor: TraceTensor,
        /// The right shape.
        expected: Vec<usize>,
        /// The trace's shape.
        found: Vec<usize>,
    },
    /// A requantizing layer has no accumulator, or another layer has one.
    #[error("layer {layer} ({kind}): an accumulator is {}", if *.expected { "missing" } else { "present but not expected" })]
    AccumulatorPresence {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Whether the layer should have one.
        expected: bool,
    },
    /// A value differs from the recomputed one.
    #[error("layer {layer} ({kind}): {tensor} at {position:?} is {found}; expected {expected}")]
    Mismatch {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Which tensor.
        tensor: TraceTensor,
        /// Multi-index.
        position: Vec<usize>,
        /// The recomputed value.
        expected: i64,
        /// The trace's value.
        found: i64,
    },
    /// A layer's output agrees with the recomputation but leaves the activation range (the
    /// model overflows on this input).
    #[error("layer {layer} ({kind}) overflows at {position:?}: {value} is outside -{max_abs}..={max_abs}")]
    OutOfRange {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Multi-index.
        position: Vec<usize>,
        /// The value.
        value: i64,
        /// `2^{B−1} − 1`.
        max_abs: i64,
    },
}

/// Runs the model on `input` exactly: validates the model, checks the input's shape and range,
/// and returns every layer's output and accumulator. Fails at the first requantized value
/// outside the activation range, naming the layer and position.
pub fn infer(model: &Model, input: &ArrayD<i64>) -> Result<Trace, InferenceError> {
    let engine = Engine::new(model)?;
    engine.check_input(input)?;
    let mut trace = Trace {
        outputs: Vec::with_capacity(model.layers.len()),
        accumulators: Vec::with_capacity(model.layers.len()),
    };
    for i in 0..model.layers.len() {
        let (acc, out) = engine.apply(i, input, &trace.outputs)?;
        trace.accumulators.push(acc);
        trace.outputs.push(out);
    }
    Ok(trace)
}

/// The model's output on `input`, as [`infer`] computes it, keeping only the tensors that later
/// layers read (each is dropped after its last reader): for many runs, as in calibration,
/// memory is a few tensors rather than the whole trace.
pub fn infer_output(model: &Model, input: &ArrayD<i64>) -> Result<ArrayD<i64>, InferenceError> {
    let engine = Engine::new(model)?;
    engine.check_input(input)?;
    let n = model.layers.len();
    // `last_read[j]`: the last layer that reads layer j's output (the model's output is read
    // at the end).
    let mut last_read: Vec<usize> = vec![0; n];
    if let Some(last) = last_read.last_mut() {
        *last = n;
    }
    for (l, layer) in model.layers.iter().enumerate() {
        for t in layer.inputs(l) {
            if let Some(r) = t.checked_sub(1).and_then(|j| last_read.get_mut(j)) {
                *r = (*r).max(l);
            }
        }
    }
    let empty = || ArrayD::zeros(IxDyn(&[0]));
    let mut outputs: Vec<ArrayD<i64>> = Vec::with_capacity(n);
    for i in 0..n {
        let (_, out) = engine.apply(i, input, &outputs)?;
        outputs.push(out);
        for (j, t) in outputs.iter_mut().enumerate().take(i + 1) {
            if last_read[j] == i {
                *t = empty();
            }
        }
    }
    outputs
        .pop()
        .ok_or(InferenceError::Model(ModelError::NoLayers))
}

/// Checks that `trace` is the honest witness for `model` on `input`: layer by layer, recomputes
/// the layer from the trace's own earlier values and compares, accumulator first, then output,
/// in row-major order. Reports the first disagreement (layer, kind, tensor, position, expected
/// and found values); since all earlier values agree, this is also where the trace first
/// departs from [`infer`]'s.
pub fn check_trace(model: &Model, input: &ArrayD<i64>, trace: &Trace) -> Result<(), WitnessError> {
    let engine = Engine::new(model)?;
    engine.check_input(input).map_err(WitnessError::Input)?;
    let layers = model.layers.len();
    for (tensor, found) in [
        (TraceTensor::Output, trace.outputs.len()),
        (TraceTensor::Accumulator, trace.accumulators.len()),
    ] {
        if found != layers {
            return Err(WitnessError::LayerCount {
                tensor,
                expected: layers,
                found,
            });
        }
    }
    for (i, (out, acc)) in trace.outputs.iter().zip(&trace.accumulators).enumerate() {
        let kind = model.layers[i].kind();
        let shape = &engine.shapes[i];
        let check_shape = |tensor, found: &ArrayD<i64>| {
            if found.shape() != shape.as_slice() {
                return Err(WitnessError::ShapeMismatch {
                    layer: i,
                    kind,
                    tensor,
                    expected: shape.clone(),
                    found: found.shape().to_vec(),
                });
            }
            Ok(())
        };
        check_shape(TraceTensor::Output, out)?;
        let computed = engine.compute(i, input, &trace.outputs[..i]);
        let compare = |tensor, expected: &[i64], found: &ArrayD<i64>| match expected
            .iter()
            .zip(found.iter())
            .position(|(e, f)| e != f)
        {
            Some(at) => Err(WitnessError::Mismatch {
                layer: i,
                kind,
                tensor,
                position: unravel(at, shape),
                expected: expected[at],
                found: found.iter().nth(at).copied().unwrap_or_default(),
            }),
            None => Ok(()),
        };
        let expected_out = match (computed, acc) {
            (
                Computed::Accumulator {
                    acc: expected,
                    shift,
                },
                Some(found),
            ) => {
                check_shape(TraceTensor::Accumulator, found)?;
                compare(TraceTensor::Accumulator, &expected, found)?;
                engine.requantize(&expected, shift)
            }
            (Computed::Output(out), None) => out,
            (computed, _) => {
                return Err(WitnessError::AccumulatorPresence {
                    layer: i,
                    kind,
                    expected: matches!(computed, Computed::Accumulator { .. }),
                })
            }
        };
        compare(TraceTensor::Output, &expected_out, out)?;
        if let Some((at, value)) = first_out_of_range(&expected_out, engine.amax) {
            return Err(WitnessError::OutOfRange {
                layer: i,
                kind,
                position: unravel(at, shape),
                value,
                max_abs: engine.amax,
            });
        }
    }
    Ok(())
}

/// A layer's result before requantization: the accumulator of a requantizing layer, or the
/// output of another; flat, row-major, in the layer's output shape.
pub(crate) enum Computed {
    Accumulator { acc: Vec<i64>, shift: u32 },
    Output(Vec<i64>),
}

/// A validated model with its output shapes and `i16` weights, ready to run layers.
pub(crate) struct Engine<'a> {
    model: &'a Model,
    pub(crate) shapes: Vec<Vec<usize>>,
    /// `2^{B−1} − 1`.
    pub(crate) amax: i64,
    /// `i32` chunk length of the dot products.
    chunk: usize,
    /// Each Conv2d's and Dense's weights as `i16` (empty for other layers).
    weights: Vec<Vec<i16>>,
}

/// Checks an input against the model's input shape and activation range (the architecture's:
/// no weights are read).
pub(crate) fn check_input(model: &Model, input: &ArrayD<i64>) -> Result<(), InferenceError> {
    let amax = max_abs(model.activation_bits);
    if input.shape() != model.input_shape.as_slice() {
        return Err(InferenceError::InputShape {
            expected: model.input_shape.clone(),
            got: input.shape().to_vec(),
        });
    }
    if let Some((position, &value)) = input
        .indexed_iter()
        .find(|(_, v)| v.unsigned_abs() > amax as u64)
    {
        return Err(InferenceError::InputOutOfRange {
            position: position.slice().to_vec(),
            value,
            max_abs: amax,
        });
    }
    Ok(())
}

impl<'a> Engine<'a> {
    pub(crate) fn new(model: &'a Model) -> Result<Self, ModelError> {
        let shapes = model.validate()?;
        let amax = max_abs(model.activation_bits);
        let wmax = -weight_range(model.weight_bits).0;
        // The largest n with n · wmax · amax ≤ i32::MAX; at least 2 since wmax ≤ 2^15 and
        // amax < 2^15.
        let chunk = (i32::MAX as i64 / (wmax * amax)) as usize;
        // Validated: −2^15 ≤ w < 2^15, so `as i16` is exact.
        let weights = model
            .layers
            .iter()
            .map(|layer| match layer {
                Layer::Conv2d(Conv2d { weights, .. }) | Layer::Dense(Dense { weights, .. }) => {
                    weights.iter().map(|&w| w as i16).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        Ok(Engine {
            model,
            shapes,
            amax,
            chunk,
            weights,
        })
    }

    pub(crate) fn check_input(&self, input: &ArrayD<i64>) -> Result<(), InferenceError> {
        check_input(self.model, input)
    }

    /// Layer `i`'s accumulator (if it requantizes) and output, failing on overflow. `input` is
    /// the model's input (tensor 0) and `earlier` the outputs of layers `0..i` (tensors
    /// `1..=i`).
    pub(crate) fn apply(
        &self,
        i: usize,
        input: &ArrayD<i64>,
        earlier: &[ArrayD<i64>],
    ) -> Result<(Option<ArrayD<i64>>, ArrayD<i64>), InferenceError> {
        match self.compute(i, input, earlier) {
            Computed::Accumulator { acc, shift } => {
                let out = self.finish(i, self.requantize(&acc, shift))?;
                Ok((Some(self.array(i, acc)), out))
            }
            Computed::Output(out) => Ok((None, self.array(i, out))),
        }
    }

    /// The outputs of accumulators `acc` requantized by `shift`: `round_shift`, clamped to the
    /// activation range when the model saturates ([`Model::saturate`]).
    pub(crate) fn requantize(&self, acc: &[i64], shift: u32) -> Vec<i64> {
        requantize(acc, shift, self.model.saturate, self.amax)
    }

    /// Wraps a requantized output, checking its range.
    pub(crate) fn finish(&self, i: usize, out: Vec<i64>) -> Result<ArrayD<i64>, InferenceError> {
        if let Some((at, value)) = first_out_of_range(&out, self.amax) {
            return Err(InferenceError::Overflow {
                layer: i,
                kind: self.model.layers[i].kind(),
                position: unravel(at, &self.shapes[i]),
                value,
                max_abs: self.amax,
            });
        }
        Ok(self.array(i, out))
    }

    /// A flat tensor in layer `i`'s output shape.
    pub(crate) fn array(&self, i: usize, data: Vec<i64>) -> ArrayD<i64> {
        ArrayD::from_shape_vec(IxDyn(&self.shapes[i]), data)
            .expect("each layer computes exactly its output shape's number of values")
    }

    /// Layer `i` on the tensors it reads, among `input` (the model's input, tensor 0) and
    /// `earlier` (the outputs of layers `0..i`, tensors `1..=i`), which hold the validated
    /// shapes and values in the activation range.
    pub(crate) fn compute(
        &self,
        i: usize,
        input: &ArrayD<i64>,
        earlier: &[ArrayD<i64>],
    ) -> Computed {
        let out_shape = &self.shapes[i];
        let layer = &self.model.layers[i];
        let tensor = |t: usize| match t {
            0 => input,
            _ => &earlier[t - 1],
        };
        let reads: Vec<&ArrayD<i64>> = layer.inputs(i).into_iter().map(tensor).collect();
        let prev = reads.first().copied().unwrap_or(input);
        match layer {
            Layer::Conv2d(c) => Computed::Accumulator {
                acc: self.conv2d(i, c, prev),
                shift: c.shift,
            },
            Layer::Dense(d) => Computed::Accumulator {
                acc: self.dense(i, d, prev),
                shift: d.shift,
            },
            Layer::Relu { .. } => Computed::Output(prev.iter().map(|&x| x.max(0)).collect()),
            Layer::Activation(a) => {
                // Validated inputs lie in [−L, L]: entry x + L of the table.
                let table = super::activation::table(&a.function, self.model.activation_bits);
                let l = self.amax;
                Computed::Output(
                    prev.iter()
                        .map(|&x| table[(x.clamp(-l, l) + l) as usize])
                        .collect(),
                )
            }
            Layer::MaxPool2d(MaxPool2d {
                size,
                stride,
                padding,
                ..
            }) => Computed::Output(pool(prev, out_shape, *size, *stride, *padding, i64::max)),
            Layer::AvgPool2d(a) => {
                let sums = pool(prev, out_shape, a.size, a.stride, 0, |x, y| x + y);
                let Some(d) = a.division(self.amax) else {
                    unreachable!("validated: the model's divisions are in range")
                };
                Computed::Accumulator {
                    acc: if d.multiplier == 1 && d.offset == 0 {
                        sums
                    } else {
                        sums.into_iter()
                            .map(|s| s * d.multiplier + d.offset)
                            .collect()
                    },
                    shift: d.shift,
                }
            }
            Layer::Flatten { .. } => Computed::Output(prev.iter().copied().collect()),
            Layer::Add(Add { shift, .. }) => Computed::Accumulator {
                acc: prev
                    .iter()
                    .zip(reads.get(1).copied().unwrap_or(prev).iter())
                    .map(|(a, b)| a + b)
                    .collect(),
                shift: *shift,
            },
            Layer::Mul(Mul { shift, .. }) => {
                let b = reads.get(1).copied().unwrap_or(prev);
                // `b` has `a`'s entries, or one per channel (the outermost axis of a 3-D `a`):
                // entry `i` of `a` then reads `b[i / (h·w)]` (validated).
                let per = (prev.len() / b.len().max(1)).max(1);
                let b: Vec<i64> = b.iter().copied().collect();
                Computed::Accumulator {
                    acc: prev
                        .iter()
                        .enumerate()
                        .map(|(i, &a)| a * b.get(i / per).copied().unwrap_or(0))
                        .collect(),
                    shift: *shift,
                }
            }
            // Channels are the outermost axis: the row-major values follow one another.
            Layer::Concat(_) => {
                Computed::Output(reads.iter().flat_map(|t| t.iter().copied()).collect())
            }
        }
    }

    /// `acc[o][y][x] = b[o] + Σ_{i,dy,dx} w[o][i][dy][dx] · in[g·c_g + i][y·s+dy−p][x·s+dx−p]`
    /// (`i` over the `c_g = in_channels / groups` channels of output channel `o`'s group `g`),
    /// as im2col (one row of `in_channels · kh · kw` values per output position, in the
    /// weights' order) and one `i16` dot product per output value, over the row's slice of
    /// the output channel's group. The im2col rows are built for a block
    /// of output positions at a time ([`IM2COL_BLOCK`] values), so their memory does not grow
    /// with the multiply-adds (a small, heavily padded input with a large kernel has many).
    fn conv2d(&self, i: usize, c: &Conv2d, prev: &ArrayD<i64>) -> Vec<i64> {
        let (h, w) = (prev.shape()[1], prev.shape()[2]);
        let (oh, ow) = (self.shapes[i][1], self.shapes[i][2]);
        let [kh, kw] = c.kernel;
        let (s, p) = (c.stride, c.padding);
        let k = c.in_channels * kh * kw;
        // Weights per output channel, and output channels per group (groups divide both
        // channel counts: validated).
        let kg = c.group_in() * kh * kw;
        let og = c.group_out().max(1);
        let input: Vec<i16> = prev.iter().map(|&x| x as i16).collect();
        let npos = oh * ow;
        let block = (IM2COL_BLOCK / k).clamp(1, npos);
        let mut cols = vec![0i16; block * k];
        let weights = &self.weights[i];
        let mut acc = vec![0i64; c.out_channels * npos];
        for start in (0..npos).step_by(block) {
            let cols = &mut cols[..block.min(npos - start) * k];
            cols.fill(0);
            // Row `j` holds the window of output position `start + j = y·ow + x`; zero where
            // it leaves the input.
            parallel::for_each_indexed_chunk_mut(cols, k, |j, col| {
                let pos = start + j;
                let (y, x) = (pos / ow, pos % ow);
                // Input column of dx = 0, and the dx range that stays inside the input.
                let x0 = (x * s) as isize - p as isize;
                let dx_lo = (-x0).clamp(0, kw as isize) as usize;
                let dx_hi = (w as isize - x0).clamp(0, kw as isize) as usize;
                if dx_lo >= dx_hi {
                    return;
                }
                for ci in 0..c.in_channels {
                    for dy in 0..kh {
                        let iy = (y * s + dy) as isize - p as isize;
                        if iy < 0 || iy >= h as isize {
                            continue;
                        }
                        let row = (ci * h + iy as usize) * w;
                        // In-bounds: x0 + dx_lo ≥ 0 and x0 + dx_hi ≤ w.
                        let src = (row as isize + x0 + dx_lo as isize) as usize;
                        let dst = (ci * kh + dy) * kw;
                        col[dst + dx_lo..dst + dx_hi]
                            .copy_from_slice(&input[src..src + (dx_hi - dx_lo)]);
                    }
                }
            });
            let cols = &*cols;
            parallel::for_each_indexed_chunk_mut(&mut acc, npos, |o, out| {
                let wrow = &weights[o * kg..(o + 1) * kg];
                let at = (o / og) * kg;
                let out = &mut out[start..start + cols.len() / k];
                for (a, col) in out.iter_mut().zip(cols.chunks_exact(k)) {
                    *a = c.bias[o] + dot(wrow, &col[at..at + kg], self.chunk);
                }
            });
        }
        acc
    }

    /// `acc[o] = b[o] + Σ_i w[o][i] · in[i]`.
    fn dense(&self, i: usize, d: &Dense, prev: &ArrayD<i64>) -> Vec<i64> {
        let input: Vec<i16> = prev.iter().map(|&x| x as i16).collect();
        let n = d.in_features;
        let weights = &self.weights[i];
        // Rows per task: about 2^15 multiply-adds each.
        let rows = (1usize << 15).div_ceil(n).max(1);
        let mut acc = vec![0i64; d.out_features];
        parallel::for_each_indexed_chunk_mut(&mut acc, rows, |chunk, out| {
            for (j, a) in out.iter_mut().enumerate() {
                let o = chunk * rows + j;
                *a = d.bias[o] + dot(&weights[o * n..(o + 1) * n], &input, self.chunk);
            }
        });
        acc
    }
}

/// `Σ a[j]·b[j]` exactly: `i32` sums over chunks of `chunk` terms (whose exact sums fit an
/// `i32`, so wrapping partial sums are harmless), added up in `i64`.
fn dot(a: &[i16], b: &[i16], chunk: usize) -> i64 {
    a.chunks(chunk)
        .zip(b.chunks(chunk))
        .map(|(x, y)| {
            x.iter().zip(y).fold(0i32, |s, (&u, &v)| {
                s.wrapping_add(i32::from(u).wrapping_mul(i32::from(v)))
            }) as i64
        })
        .sum()
}

/// Sliding `size × size` windows with stride `stride` over each channel, `pad` positions of
/// padding before the first row and column, each folded with `reduce` (max or sum) over the
/// positions inside the input (padding never enters; the caller's validated shape guarantees
/// every window holds one). `out_shape` decides the number of windows (floor or ceil mode).
fn pool(
    prev: &ArrayD<i64>,
    out_shape: &[usize],
    size: usize,
    stride: usize,
    pad: usize,
    reduce: impl Fn(i64, i64) -> i64,
) -> Vec<i64> {
    let input: Vec<i64> = prev.iter().copied().collect();
    let (h, w) = (prev.shape()[1], prev.shape()[2]);
    let (c, oh, ow) = (out_shape[0], out_shape[1], out_shape[2]);
    // The input positions `lo..hi` of window `o` along a dimension of length `n`.
    let span = |o: usize, n: usize| {
        let start = o * stride;
        (
            start.saturating_sub(pad),
            (start + size).saturating_sub(pad).min(n),
        )
    };
    let mut out = Vec::with_capacity(c * oh * ow);
    for ch in 0..c {
        let plane = &input[ch * h * w..(ch + 1) * h * w];
        for y in 0..oh {
            let (y0, y1) = span(y, h);
            for x in 0..ow {
                let (x0, x1) = span(x, w);
                let value = (y0..y1)
                    .flat_map(|iy| &plane[iy * w + x0..iy * w + x1])
                    .copied()
                    .reduce(&reduce)
                    .unwrap_or(0);
                out.push(value);
            }
        }
    }
    out
}

/// `round_shift` of every accumulator, clamped to `−amax..=amax` when `saturate`.
fn requantize(acc: &[i64], shift: u32, saturate: bool, amax: i64) -> Vec<i64> {
    acc.iter()
        .map(|&a| {
            let q = round_shift(a, shift);
            if saturate {
                q.clamp(-amax, amax)
            } else {
                q
            }
        })
        .collect()
}

/// The first value outside `−amax..=amax`, with its flat index.
fn first_out_of_range(values: &[i64], amax: i64) -> Option<(usize, i64)> {
    values
        .iter()
        .position(|v| v.unsigned_abs() > amax as u64)
        .map(|at| (at, values[at]))
}

/// The row-major multi-index of flat index `at` in `shape`.
fn unravel(mut at: usize, shape: &[usize]) -> Vec<usize> {
    let mut position = vec![0; shape.len()];
    for (p, &d) in position.iter_mut().zip(shape).rev() {
        *p = at % d;
        at /= d;
    }
    position
}
