//! Calibration and quantization of a float chain into the integer IR, and the agreement
//! measurement.
//!
//! Scales are powers of two: a real value `x` at `f` fraction bits is the integer
//! `round(x · 2^f)`. Each layer's output has a scale *variable*; layers that do not requantize
//! (Relu, MaxPool2d, Flatten) share their input's, and the two operands of a residual Add are
//! merged into one (union–find). For each variable, `f` starts at the largest value with
//! `max|x| · 2^f ≤ 2^{B−1} − 1` over the calibration outputs of its layers (float, max
//! calibration: the IR has no saturation, so a value beyond the range would make inference
//! fail rather than clip). Then `f_out ≤ f_in + f_w` (Conv2d, Dense), `f_out ≤ f_in + log2(k²)`
//! (AvgPool2d), `f_out ≤ f_in` (Add) and `f_out ≤ f_a + f_b` (Mul, its operands' scales) are
//! enforced by lowering `f_out` until they all hold,
//! so every shift `f_in + f_w − f_out` is non-negative. Finally integer inference runs on the
//! calibration set; while a layer overflows (rounding can push a value just past the range),
//! its variable loses one fraction bit.
//!
//! Activations by table (`spec/activation.md`): Clip and LeakyRelu share their input's
//! variable; the other functions have their own, calibrated like any layer's output except that
//! the bounded ones (Sigmoid, Tanh, HardSigmoid) take their natural range `|y| ≤ 1`; a table
//! function's input and output scales are at most `MAX_FRAC_BITS`.

use crate::layers::Dims;
use crate::model::activation::{Function, MAX_FRAC_BITS, MAX_PARAM, PARAM_FRAC_BITS};
use crate::model::validate::{max_abs, MAX_BIAS, MAX_BITS, MAX_SHIFT, MIN_BITS};
use crate::model::{infer_output, AvgPool2d, Conv2d, Dense, InferenceError, Layer, Model};
use crate::model::{
    Activation, Add, Concat, MaxPool2d, ModelError, Mul, Quantization, MAX_BIAS_BITS,
};
use crate::network::{plan::Plan, NetworkError, MAX_VARS};
use crate::parallel;

use super::float;
use super::graph::{FloatFunction, FloatLayer, Graph};
use super::{Agreement, ImportOptions, ImportReport, Imported, LayerScale, NodeRef, OnnxError};

/// Fraction bits of a variable whose calibration values are all zero (any scale fits).
const FRAC_OF_ZERO: i32 = 24;
/// Rounds of "lower the overflowing layer's scale" before giving up.
const MAX_OVERFLOW_ROUNDS: usize = 32;

pub(crate) fn quantize(graph: &Graph, options: &ImportOptions) -> Result<Imported, OnnxError> {
    check_options(graph, options)?;
    // Refuse what the prover cannot take before calibrating: every shift is still 0 here, so
    // this is a lower bound on the tables (the final model is planned again below).
    check_provable(graph, &architecture(graph, options))?;
    let calibration = &options.calibration;
    let amax = max_abs(options.activation_bits) as f64;
    let wmax = max_abs(options.weight_bits) as f64;

    // Float statistics: the largest magnitude of the input and of every layer's output.
    let runs = parallel::collect_indexed(calibration.len(), |s| {
        let mut max = vec![0.0; graph.layers.len()];
        float::run(graph, &calibration[s], |i, out| max[i] = max_magnitude(out));
        max
    });
    let input_max = calibration
        .iter()
        .map(|x| max_magnitude(x))
        .fold(0.0, f64::max);
    let layer_max: Vec<f64> = (0..graph.layers.len())
        .map(|i| runs.iter().map(|r| r[i]).fold(0.0, f64::max))
        .collect();

    let mut scales = Scales::new(graph, amax, wmax, input_max, &layer_max);
    scales.solve(graph)?;
    let mut last_overflow = None;
    for _ in 0..MAX_OVERFLOW_ROUNDS {
        let mut model = build(graph, options, &scales)?;
        let q = model
            .quantization
            .clone()
            .ok_or_else(|| internal(graph, "quantization missing"))?;
        // Scales are chosen without saturation (a saturating model has the same shifts as a
        // clipping-free import): the calibration set never clips.
        let saturate = std::mem::replace(&mut model.saturate, false);
        let overflow = parallel::collect_indexed(calibration.len(), |s| {
            let x = input_array(
                &model,
                q.quantize_input(&calibration[s], model.activation_bits),
            );
            match infer_output(&model, &x) {
                Ok(_) => None,
                Err(InferenceError::Overflow { layer, .. }) => Some(layer),
                Err(_) => Some(0),
            }
        })
        .into_iter()
        .flatten()
        .min();
        last_overflow = overflow;
        match overflow {
            None => {
                model.saturate = saturate;
                check_provable(graph, &model)?;
                let report = report(graph, options, &model, &scales)?;
                return Ok(Imported { model, report });
            }
            Some(layer) => {
                let v = scales.find(scales.var_of[layer]);
                scales.frac[v] -= 1;
                scales.solve(graph)?;
            }
        }
    }
    let layer = last_overflow.unwrap_or(graph.layers.len().saturating_sub(1));
    Err(OnnxError::Quantization {
        node: Box::new(node_of(graph, layer)),
        what: format!(
            "calibration inputs still overflow its output after lowering scales \
             {MAX_OVERFLOW_ROUNDS} times"
        ),
    })
}

/// The graph's layers as an architecture (no weights, every shift 0): what the plan reads.
fn architecture(graph: &Graph, options: &ImportOptions) -> Model {
    let layers = graph
        .layers
        .iter()
        .map(|layer| match layer {
            FloatLayer::Conv {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
                groups,
                ..
            } => Layer::Conv2d(Conv2d {
                input: None,
                in_channels: *in_channels,
                out_channels: *out_channels,
                kernel: *kernel,
                stride: *stride,
                padding: *padding,
                weights: Vec::new(),
                bias: Vec::new(),
                shift: 0,
                groups: *groups,
            }),
            FloatLayer::Dense {
                in_features,
                out_features,
                ..
            } => Layer::Dense(Dense {
                input: None,
                in_features: *in_features,
                out_features: *out_features,
                weights: Vec::new(),
                bias: Vec::new(),
                shift: 0,
            }),
            FloatLayer::Relu => Layer::RELU,
            FloatLayer::MaxPool(m) => Layer::MaxPool2d(m.clone()),
            FloatLayer::AvgPool { size, stride } => Layer::AvgPool2d(AvgPool2d {
                divisor: odd_area(*size),
                input: None,
                size: *size,
                stride: *stride,
                shift: 0,
            }),
            FloatLayer::Flatten => Layer::FLATTEN,
            FloatLayer::Add { from } => Layer::Add(Add {
                input: None,
                from: *from,
                shift: 0,
            }),
            FloatLayer::Mul { from } => Layer::Mul(Mul {
                input: None,
                from: *from,
                shift: 0,
            }),
            FloatLayer::Concat => Layer::Concat(Concat { inputs: Vec::new() }),
            FloatLayer::Activation(f) => {
                let l = max_abs(options.activation_bits);
                // Scales 0 here (a lower bound on the distinct functions, as the shifts are).
                let function = quantized(f, 0, 0, l).unwrap_or(Function::Clip { min: -l, max: l });
                Layer::Activation(Activation {
                    function,
                    input: None,
                })
            }
        })
        .collect();
    let layers = with_inputs(graph, layers);
    Model {
        name: String::new(),
        input_shape: graph.input_shape.clone(),
        activation_bits: options.activation_bits,
        weight_bits: options.weight_bits,
        layers,
        quantization: None,
        saturate: false,
        bias_bits: MAX_BIAS_BITS,
    }
}

/// The graph's tensors read by each layer set in the IR layers: `input` where a layer reads
/// another tensor than the previous layer's output (absent otherwise, so an imported chain is
/// the model it always was), a Concat's `inputs`.
fn with_inputs(graph: &Graph, mut layers: Vec<Layer>) -> Vec<Layer> {
    for (i, layer) in layers.iter_mut().enumerate() {
        let reads = graph.inputs.get(i).map_or(&[][..], Vec::as_slice);
        let first = reads.first().copied().filter(|&t| t != i);
        match layer {
            Layer::Conv2d(Conv2d { input, .. })
            | Layer::Dense(Dense { input, .. })
            | Layer::MaxPool2d(MaxPool2d { input, .. })
            | Layer::AvgPool2d(AvgPool2d { input, .. })
            | Layer::Add(Add { input, .. })
            | Layer::Mul(Mul { input, .. })
            | Layer::Relu { input }
            | Layer::Activation(crate::model::Activation { input, .. })
            | Layer::Flatten { input } => *input = first,
            Layer::Concat(c) => c.inputs = reads.to_vec(),
        }
    }
    layers
}

/// Refuses a model the prover cannot take (a layer it does not support, a size beyond the
/// proof system's limits), naming the ONNX node that made the offending layer.
fn check_provable(graph: &Graph, model: &Model) -> Result<(), OnnxError> {
    let Err(e) = Plan::new(model) else {
        return Ok(());
    };
    let input = Dims::new(&model.input_shape).num_vars() > MAX_VARS;
    let (layer, what) = match &e {
        NetworkError::Unsupported { layer, what } => (
            Some(*layer),
            format!("{what} is not supported by the prover"),
        ),
        NetworkError::TooLarge {
            layer,
            what,
            size,
            limit,
        } => {
            let what = if layer.is_none() && input {
                "the input tensor (padded to powers of two)"
            } else {
                what
            };
            (
                *layer,
                format!("{what} has {size} entries; the proof system's limit is {limit}"),
            )
        }
        NetworkError::Model(m) => (m.layer(), model_error_text(graph, m)),
        other => (None, other.to_string()),
    };
    let at = match layer.and_then(|l| graph.layer_node.get(l)) {
        Some(node) => format!("node {node}"),
        None if input => "the graph input".to_string(),
        None => "the model".to_string(),
    };
    Err(OnnxError::Unprovable { at, what })
}

fn check_options(graph: &Graph, options: &ImportOptions) -> Result<(), OnnxError> {
    let bad = |what: String| Err(OnnxError::Options { what });
    for (name, bits) in [
        ("activation_bits", options.activation_bits),
        ("weight_bits", options.weight_bits),
    ] {
        if !(MIN_BITS..=MAX_BITS).contains(&bits) {
            return bad(format!(
                "{name} is {bits}; it must be in {MIN_BITS}..={MAX_BITS}"
            ));
        }
    }
    if options.calibration.is_empty() {
        return bad("no calibration inputs: the activation scales are chosen on them".into());
    }
    for (i, x) in options.calibration.iter().enumerate() {
        graph.check_sample("calibration", i, x)?;
    }
    if let Some((inputs, labels)) = &options.evaluation {
        if inputs.len() != labels.len() {
            return bad(format!(
                "{} evaluation inputs but {} labels",
                inputs.len(),
                labels.len()
            ));
        }
        for (i, x) in inputs.iter().enumerate() {
            graph.check_sample("evaluation", i, x)?;
        }
    }
    Ok(())
}

fn max_magnitude(values: &[f32]) -> f64 {
    values.iter().map(|v| v.abs() as f64).fold(0.0, f64::max)
}

/// The largest `f` with `max · 2^f ≤ limit` (`FRAC_OF_ZERO` when `max` is 0).
fn frac_bits(max: f64, limit: f64) -> i32 {
    if max == 0.0 || max.is_nan() {
        FRAC_OF_ZERO
    } else if max.is_finite() {
        ((limit / max).log2().floor() as i32).clamp(-64, 64)
    } else {
        -64
    }
}

/// Scale variables and their fraction bits.
struct Scales {
    /// Union–find parents; variable 0 is the input.
    parent: Vec<usize>,
    /// Fraction bits of each root.
    frac: Vec<i32>,
    /// The variable of each layer's output.
    var_of: Vec<usize>,
    /// Fraction bits of each Conv2d's and Dense's weights.
    weight_frac: Vec<Option<i32>>,
}

impl Scales {
    fn new(graph: &Graph, amax: f64, wmax: f64, input_max: f64, layer_max: &[f64]) -> Self {
        let mut s = Scales {
            parent: vec![0],
            frac: vec![frac_bits(input_max, amax)],
            var_of: Vec::with_capacity(graph.layers.len()),
            weight_frac: Vec::with_capacity(graph.layers.len()),
        };
        for (i, layer) in graph.layers.iter().enumerate() {
            let reads = graph.inputs.get(i).map_or(&[][..], Vec::as_slice);
            let var_of_tensor = |s: &Scales, t: usize| t.checked_sub(1).map_or(0, |p| s.var_of[p]);
            let prev = var_of_tensor(&s, reads.first().copied().unwrap_or(i));
            let var = if requantizes(layer) {
                s.parent.push(s.parent.len());
                s.frac.push(FRAC_OF_ZERO);
                s.parent.len() - 1
            } else {
                prev
            };
            s.var_of.push(var);
            let root = s.find(var);
            // A bounded function's natural range (Sigmoid, Tanh, HardSigmoid: |y| ≤ 1) sets its
            // scale, so inputs beyond the calibration set do not saturate it.
            let max = match layer {
                FloatLayer::Activation(f) => f.bound().unwrap_or(layer_max[i]),
                _ => layer_max[i],
            };
            s.frac[root] = s.frac[root].min(frac_bits(max, amax));
            // The operands of an Add, and the inputs of a Concat, share one scale.
            if matches!(layer, FloatLayer::Add { .. } | FloatLayer::Concat) {
                for &t in reads.iter().skip(1) {
                    let (a, b) = (s.find(var_of_tensor(&s, t)), s.find(prev));
                    if a != b {
                        s.parent[b] = a;
                        s.frac[a] = s.frac[a].min(s.frac[b]);
                    }
                }
            }
            s.weight_frac.push(match layer {
                FloatLayer::Conv { weights, .. } | FloatLayer::Dense { weights, .. } => {
                    Some(frac_bits(max_magnitude(weights), wmax).min(FRAC_OF_ZERO))
                }
                _ => None,
            });
        }
        s
    }

    fn find(&self, mut v: usize) -> usize {
        while self.parent[v] != v {
            v = self.parent[v];
        }
        v
    }

    /// Fraction bits of layer `i`'s (first) input tensor.
    fn input_frac(&self, graph: &Graph, i: usize) -> i32 {
        self.tensor_frac(graph, i, 0)
    }

    /// Fraction bits of the `k`-th tensor layer `i` reads (the previous output when absent).
    fn tensor_frac(&self, graph: &Graph, i: usize, k: usize) -> i32 {
        let t = graph
            .inputs
            .get(i)
            .and_then(|r| r.get(k))
            .copied()
            .unwrap_or(i);
        let var = t.checked_sub(1).map_or(0, |p| self.var_of[p]);
        self.frac[self.find(var)]
    }

    fn output_frac(&self, i: usize) -> i32 {
        self.frac[self.find(self.var_of[i])]
    }

    /// The largest `f_out − f_in` that keeps layer `i`'s shift non-negative.
    fn headroom(&self, graph: &Graph, i: usize) -> Option<i32> {
        match &graph.layers[i] {
            FloatLayer::Conv { .. } | FloatLayer::Dense { .. } => self.weight_frac[i],
            FloatLayer::AvgPool { size, .. } => Some(2 * size.trailing_zeros() as i32),
            FloatLayer::Add { .. } => Some(0),
            // `f_out ≤ f_a + f_b`: the second operand's scale.
            FloatLayer::Mul { .. } => Some(self.tensor_frac(graph, i, 1)),
            FloatLayer::Relu
            | FloatLayer::MaxPool(_)
            | FloatLayer::Flatten
            | FloatLayer::Concat
            | FloatLayer::Activation(_) => None,
        }
    }

    /// Lowers output scales until every shift is non-negative.
    fn solve(&mut self, graph: &Graph) -> Result<(), OnnxError> {
        for _ in 0..=4 * graph.layers.len() + 4 {
            let mut changed = false;
            // A table function's scales are at most MAX_FRAC_BITS: lower the input's and the
            // output's variables (a coarser scale always fits).
            for i in (0..graph.layers.len()).filter(|&i| scaled_activation(graph, i)) {
                let t = graph
                    .inputs
                    .get(i)
                    .and_then(|r| r.first())
                    .copied()
                    .unwrap_or(i);
                let input = t.checked_sub(1).map_or(0, |p| self.var_of[p]);
                for var in [input, self.var_of[i]] {
                    let root = self.find(var);
                    if self.frac[root] > MAX_FRAC_BITS as i32 {
                        self.frac[root] = MAX_FRAC_BITS as i32;
                        changed = true;
                    }
                }
            }
            for i in 0..graph.layers.len() {
                let Some(c) = self.headroom(graph, i) else {
                    continue;
                };
                let limit = self.input_frac(graph, i) + c;
                let root = self.find(self.var_of[i]);
                if self.frac[root] > limit {
                    if limit < -64 {
                        return Err(unsatisfiable(graph, i));
                    }
                    self.frac[root] = limit;
                    changed = true;
                }
            }
            if !changed {
                return Ok(());
            }
        }
        Err(unsatisfiable(graph, graph.layers.len().saturating_sub(1)))
    }
}

/// The node that made layer `i`.
fn node_of(graph: &Graph, i: usize) -> NodeRef {
    graph.layer_node.get(i).cloned().unwrap_or_default()
}

/// Tensor `t` for people: the graph's input, or the output of the node that made layer
/// `t − 1`.
fn tensor_text(graph: &Graph, t: usize) -> String {
    match t.checked_sub(1) {
        None => "the graph's input".to_string(),
        Some(l) => format!("the output of node {}", node_of(graph, l)),
    }
}

/// A model error's message with the node that made each layer it names in place of the
/// layer's index.
fn model_error_text(graph: &Graph, e: &ModelError) -> String {
    let text = e.to_string();
    match e {
        ModelError::AddFromNotEarlier { from, .. } => format!(
            "its second operand is the output of node {}, which is not an earlier layer's",
            node_of(graph, *from)
        ),
        ModelError::AddShapeMismatch {
            from,
            other,
            previous,
            ..
        } => format!(
            "it adds shape {other:?} (node {}) to shape {previous:?}",
            node_of(graph, *from)
        ),
        ModelError::MulShapeMismatch {
            from,
            other,
            previous,
            ..
        } => format!(
            "it multiplies shape {previous:?} by shape {other:?} (node {}); the second operand \
             must have the first's shape or one value per channel",
            node_of(graph, *from)
        ),
        ModelError::InputNotEarlier { tensor, .. } => format!(
            "it reads {}, which is not an earlier tensor",
            tensor_text(graph, *tensor)
        ),
        ModelError::ConcatShapeMismatch {
            tensor,
            shape,
            height,
            width,
            ..
        } => format!(
            "it concatenates {} of shape {shape:?}; every input must be [channels, {height}, \
             {width}]",
            tensor_text(graph, *tensor)
        ),
        _ => match e.layer() {
            // "layer 3 (Conv2d): …" → "its Conv2d layer: …".
            Some(layer) => {
                let prefix = format!("layer {layer} ");
                match text.strip_prefix(&prefix).and_then(|t| t.strip_prefix('(')) {
                    Some(rest) => match rest.split_once(')') {
                        Some((kind, tail)) => format!("its {kind} layer{tail}"),
                        None => rest.to_string(),
                    },
                    None => text,
                }
            }
            None => text,
        },
    }
}

/// A failed validation of the quantized model, naming the node of the failing layer.
fn invalid(graph: &Graph, e: ModelError) -> OnnxError {
    match e.layer() {
        Some(layer) => OnnxError::Quantization {
            node: Box::new(node_of(graph, layer)),
            what: model_error_text(graph, &e),
        },
        None => OnnxError::Model(e),
    }
}

/// No scales satisfy the shift constraints (found at layer `i`).
fn unsatisfiable(graph: &Graph, i: usize) -> OnnxError {
    OnnxError::Quantization {
        node: Box::new(node_of(graph, i)),
        what: "no power-of-two scales give every layer a non-negative shift (a residual \
               block whose weights exceed the weight range, or values too large to scale?)"
            .into(),
    }
}

/// The odd part of a pool's area `size²` (its divisor beyond a power of two; 1 for a
/// power-of-two side).
fn odd_area(size: usize) -> u64 {
    let area = (size as u64).saturating_mul(size as u64);
    area >> area.trailing_zeros().min(63)
}

fn requantizes(layer: &FloatLayer) -> bool {
    match layer {
        FloatLayer::Conv { .. }
        | FloatLayer::Dense { .. }
        | FloatLayer::AvgPool { .. }
        | FloatLayer::Add { .. }
        | FloatLayer::Mul { .. } => true,
        FloatLayer::Activation(f) => !f.keeps_scale(),
        _ => false,
    }
}

/// Whether layer `i` is an activation with its own input and output scales (which
/// [`Function`] bounds by [`MAX_FRAC_BITS`]).
fn scaled_activation(graph: &Graph, i: usize) -> bool {
    matches!(&graph.layers[i], FloatLayer::Activation(f) if !f.keeps_scale())
}

/// A real number in units of `2^−16` (the piecewise-linear functions' parameters).
fn param(name: &str, v: f32) -> Result<i64, String> {
    let q = (v as f64 * (1u64 << PARAM_FRAC_BITS) as f64).round();
    if q.abs() > MAX_PARAM as f64 {
        return Err(format!(
            "{name} = {v} is beyond ±{} (the table functions' parameter range)",
            MAX_PARAM >> PARAM_FRAC_BITS
        ));
    }
    Ok(q as i64)
}

/// The table function of `f` with input fraction bits `fin` and output `fout` (the same for
/// Clip and LeakyRelu, which keep the input's scale), activations in `[−l, l]`: Clip's bounds
/// `round(bound·2^fin)` clamped to `[−l, l]` (an infinite bound is the range's end), the
/// real parameters in units of `2^−16`.
fn quantized(f: &FloatFunction, fin: i32, fout: i32, l: i64) -> Result<Function, String> {
    let scale = |which: &str, f: i32| {
        u32::try_from(f)
            .ok()
            .filter(|&f| f <= MAX_FRAC_BITS)
            .ok_or_else(|| {
                format!(
                    "its {which} scale of {f} fraction bits is outside 0..={MAX_FRAC_BITS} (the \
                     values are too large or too small for a table function)"
                )
            })
    };
    let (a, b) = (scale("input", fin), scale("output", fout));
    Ok(match *f {
        FloatFunction::Clip { min, max } => {
            let bound = |v: f32| {
                (v as f64 * 2f64.powi(fin))
                    .round()
                    .clamp(-l as f64, l as f64)
            };
            Function::Clip {
                min: bound(min) as i64,
                max: bound(max) as i64,
            }
        }
        FloatFunction::LeakyRelu { alpha } => Function::LeakyRelu {
            alpha: param("alpha", alpha)?,
        },
        FloatFunction::HardSigmoid { alpha, beta } => Function::HardSigmoid {
            alpha: param("alpha", alpha)?,
            beta: param("beta", beta)?,
            in_frac_bits: a?,
            out_frac_bits: b?,
        },
        FloatFunction::HardSwish => Function::HardSwish {
            in_frac_bits: a?,
            out_frac_bits: b?,
        },
        FloatFunction::Sigmoid => Function::Sigmoid {
            in_frac_bits: a?,
            out_frac_bits: b?,
        },
        FloatFunction::Tanh => Function::Tanh {
            in_frac_bits: a?,
            out_frac_bits: b?,
        },
        FloatFunction::Silu => Function::Silu {
            in_frac_bits: a?,
            out_frac_bits: b?,
        },
        FloatFunction::Gelu { tanh: false } => Function::Gelu {
            in_frac_bits: a?,
            out_frac_bits: b?,
        },
        FloatFunction::Gelu { tanh: true } => Function::GeluTanh {
            in_frac_bits: a?,
            out_frac_bits: b?,
        },
    })
}

/// `round(v · 2^f)` for every value.
fn round_all(values: &[f32], f: i32) -> Vec<i64> {
    let scale = 2f64.powi(f);
    values
        .iter()
        .map(|&v| (v as f64 * scale).round() as i64)
        .collect()
}

/// The quantized model for the current scales.
fn build(graph: &Graph, options: &ImportOptions, scales: &Scales) -> Result<Model, OnnxError> {
    let mut layers = Vec::with_capacity(graph.layers.len());
    for (i, layer) in graph.layers.iter().enumerate() {
        let (fin, fout) = (scales.input_frac(graph, i), scales.output_frac(i));
        let fail = |what: String| OnnxError::Quantization {
            node: Box::new(node_of(graph, i)),
            what,
        };
        // Conv2d and Dense: weights at f_w (lowered if the shift would exceed MAX_SHIFT),
        // bias at f_in + f_w.
        let params = |weights: &[f32], bias: &[f32]| {
            let mut fw = scales.weight_frac[i].unwrap_or(0);
            let shift = fin + fw - fout;
            if shift > MAX_SHIFT as i32 {
                fw -= shift - MAX_SHIFT as i32;
            }
            let shift = u32::try_from(fin + fw - fout)
                .map_err(|_| fail(format!("negative shift {}", fin + fw - fout)))?;
            let b = round_all(bias, fin + fw);
            if let Some(v) = b.iter().find(|v| v.unsigned_abs() > MAX_BIAS as u64) {
                return Err(fail(format!(
                    "a bias is {v} at the accumulator scale 2^{}; |bias| < 2^31 is needed",
                    fin + fw
                )));
            }
            Ok((round_all(weights, fw), b, shift))
        };
        let shift = |c: i32| {
            let s = fin + c - fout;
            u32::try_from(s)
                .ok()
                .filter(|&s| s <= MAX_SHIFT)
                .ok_or_else(|| fail(format!("shift {s} is outside 0..={MAX_SHIFT}")))
        };
        layers.push(match layer {
            FloatLayer::Conv {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
                groups,
                weights,
                bias,
            } => {
                let (weights, bias, shift) = params(weights, bias)?;
                Layer::Conv2d(Conv2d {
                    input: None,
                    in_channels: *in_channels,
                    out_channels: *out_channels,
                    kernel: *kernel,
                    stride: *stride,
                    padding: *padding,
                    weights,
                    bias,
                    shift,
                    groups: *groups,
                })
            }
            FloatLayer::Dense {
                in_features,
                out_features,
                weights,
                bias,
            } => {
                let (weights, bias, shift) = params(weights, bias)?;
                Layer::Dense(Dense {
                    input: None,
                    in_features: *in_features,
                    out_features: *out_features,
                    weights,
                    bias,
                    shift,
                })
            }
            FloatLayer::Relu => Layer::RELU,
            FloatLayer::MaxPool(m) => Layer::MaxPool2d(m.clone()),
            // `size² = 2^{2·tz}·odd`: the power of two in the shift, the odd part divides exactly.
            FloatLayer::AvgPool { size, stride } => Layer::AvgPool2d(AvgPool2d {
                divisor: odd_area(*size),
                input: None,
                size: *size,
                stride: *stride,
                shift: shift(2 * size.trailing_zeros() as i32)?,
            }),
            FloatLayer::Flatten => Layer::FLATTEN,
            FloatLayer::Add { from } => Layer::Add(Add {
                input: None,
                from: *from,
                shift: shift(0)?,
            }),
            FloatLayer::Mul { from } => Layer::Mul(Mul {
                input: None,
                from: *from,
                shift: shift(scales.tensor_frac(graph, i, 1))?,
            }),
            FloatLayer::Concat => Layer::Concat(Concat { inputs: Vec::new() }),
            FloatLayer::Activation(f) => Layer::Activation(Activation {
                function: quantized(f, fin, fout, max_abs(options.activation_bits))
                    .map_err(fail)?,
                input: None,
            }),
        });
    }
    let layers = with_inputs(graph, layers);
    let last = graph.layers.len().saturating_sub(1);
    let name = match (&options.name, graph.name.as_str()) {
        (Some(n), _) => n.clone(),
        (None, "") => "onnx-model".to_string(),
        (None, n) => n.to_string(),
    };
    let mut model = Model {
        name,
        input_shape: graph.input_shape.clone(),
        activation_bits: options.activation_bits,
        weight_bits: options.weight_bits,
        layers,
        quantization: Some(Quantization {
            input_frac_bits: scales.frac[scales.find(0)],
            output_frac_bits: scales.output_frac(last),
            outside: graph.outside.clone(),
        }),
        saturate: options.saturate,
        bias_bits: MAX_BIAS_BITS,
    };
    // The fewest bias bits the biases need: a smaller model table and, when saturating, fewer
    // overflow limbs (the bound is public, part of the architecture).
    model.bias_bits = model.tight_bias_bits();
    model.validate().map_err(|e| invalid(graph, e))?;
    Ok(model)
}

fn internal(graph: &Graph, what: &str) -> OnnxError {
    OnnxError::Quantization {
        node: Box::new(node_of(graph, graph.layers.len().saturating_sub(1))),
        what: what.into(),
    }
}

fn input_array(model: &Model, values: Vec<i64>) -> ndarray::ArrayD<i64> {
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&model.input_shape), values)
        .unwrap_or_else(|_| ndarray::ArrayD::zeros(ndarray::IxDyn(&model.input_shape)))
}

/// The index of the first largest value.
pub(crate) fn argmax<T: PartialOrd + Copy>(values: &[T]) -> Option<usize> {
    let mut best: Option<(usize, T)> = None;
    for (i, &v) in values.iter().enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// One input compared: float top-1, quantized top-1 (`None` if inference overflowed), and the
/// largest output error.
type Compared = (Option<usize>, Option<usize>, Option<f64>);

fn report(
    graph: &Graph,
    options: &ImportOptions,
    model: &Model,
    scales: &Scales,
) -> Result<ImportReport, OnnxError> {
    let q = model
        .quantization
        .clone()
        .ok_or_else(|| internal(graph, "quantization missing"))?;
    let (inputs, labels, set) = match &options.evaluation {
        Some((x, y)) => (x, Some(y), "evaluation"),
        None => (&options.calibration, None, "calibration"),
    };
    // Per input: float top-1, quantized top-1 (None on overflow), largest output error.
    let per_input = parallel::collect_indexed(inputs.len(), |s| {
        let float = float::output(graph, &inputs[s]);
        let x = input_array(model, q.quantize_input(&inputs[s], model.activation_bits));
        let quantized = infer_output(model, &x).ok().map(|out| {
            let out: Vec<i64> = out.iter().copied().collect();
            q.dequantize_output(&out)
        });
        let error = quantized.as_ref().map(|deq| {
            deq.iter()
                .zip(&float)
                .map(|(d, &f)| (d - f as f64).abs())
                .fold(0.0, f64::max)
        });
        (argmax(&float), quantized.as_deref().and_then(argmax), error)
    });
    let n = per_input.len().max(1) as f64;
    let matches = per_input
        .iter()
        .filter(|(f, q, _)| q.is_some() && f == q)
        .count();
    let accuracy = |pick: &dyn Fn(&Compared) -> Option<usize>| {
        labels.map(|labels| {
            per_input
                .iter()
                .zip(labels)
                .filter(|(r, &y)| pick(r) == Some(y))
                .count() as f64
                / n
        })
    };
    let agreement = Agreement {
        samples: per_input.len(),
        top1_match_rate: matches as f64 / n,
        max_logit_error: per_input.iter().filter_map(|r| r.2).fold(0.0, f64::max),
        float_accuracy: accuracy(&|r| r.0),
        quantized_accuracy: accuracy(&|r| r.1),
        overflows: per_input.iter().filter(|r| r.1.is_none()).count(),
    };
    let layers = model
        .layers
        .iter()
        .enumerate()
        .map(|(i, layer)| LayerScale {
            kind: layer.kind().name().to_string(),
            output_frac_bits: scales.output_frac(i),
            weight_frac_bits: match layer {
                Layer::Conv2d(Conv2d { shift, .. }) | Layer::Dense(Dense { shift, .. }) => {
                    Some(scales.output_frac(i) + *shift as i32 - scales.input_frac(graph, i))
                }
                _ => None,
            },
            shift: layer.shift(),
        })
        .collect();
    Ok(ImportReport {
        nodes: graph.nodes.clone(),
        agreement,
        agreement_set: set.to_string(),
        calibration_samples: options.calibration.len(),
        input_frac_bits: q.input_frac_bits,
        output_frac_bits: q.output_frac_bits,
        layers,
        outside: q.outside,
    })
}

#[cfg(test)]
mod tests {
    use super::{argmax, frac_bits, invalid, model_error_text, FRAC_OF_ZERO};
    use crate::model::{LayerKind, ModelError};
    use crate::onnx::graph::{FloatLayer, Graph};
    use crate::onnx::{NodeRef, OnnxError};

    #[test]
    fn model_errors_name_nodes_not_layer_indices() {
        let node = |name: &str, op: &str, out: &str| NodeRef {
            name: name.into(),
            op_type: op.into(),
            output: out.into(),
        };
        let graph = Graph {
            name: String::new(),
            input_shape: vec![1, 4, 4],
            layers: vec![
                FloatLayer::Relu,
                FloatLayer::Relu,
                FloatLayer::Add { from: 0 },
            ],
            inputs: vec![vec![0], vec![1], vec![2, 1]],
            shapes: vec![vec![1, 4, 4]; 3],
            layer_node: vec![
                node("conv1", "Conv", "a"),
                node("relu1", "Relu", "b"),
                node("add1", "Add", "c"),
            ],
            nodes: Vec::new(),
            outside: Vec::new(),
        };
        let zero = ModelError::ZeroParameter {
            layer: 0,
            kind: LayerKind::Conv2d,
            param: "stride",
        };
        assert_eq!(zero.to_string(), "layer 0 (Conv2d): stride is zero");
        assert_eq!(
            model_error_text(&graph, &zero),
            "its Conv2d layer: stride is zero"
        );
        let err = invalid(&graph, zero);
        assert_eq!(
            err.to_string(),
            "node conv1 (Conv, output \"a\"): cannot quantize: its Conv2d layer: stride is zero"
        );
        let add = ModelError::AddShapeMismatch {
            layer: 2,
            kind: LayerKind::Add,
            from: 0,
            previous: vec![1, 4, 4],
            other: vec![2, 2, 2],
        };
        let text = invalid(&graph, add).to_string();
        assert!(text.starts_with("node add1 (Add, output \"c\")"), "{text}");
        assert!(text.contains("node conv1 (Conv, output \"a\")"), "{text}");
        assert!(
            !text.contains("layer 0") && !text.contains("layer 2"),
            "{text}"
        );
        // A model-wide error has no layer to name.
        assert!(matches!(
            invalid(&graph, ModelError::NoLayers),
            OnnxError::Model(ModelError::NoLayers)
        ));
    }

    #[test]
    fn fraction_bits_fill_the_range() {
        // 127 / 1.0 = 127 → 6 bits (64 ≤ 127 < 128).
        assert_eq!(frac_bits(1.0, 127.0), 6);
        assert_eq!(frac_bits(0.99, 127.0), 7);
        assert_eq!(frac_bits(127.0, 127.0), 0);
        assert_eq!(frac_bits(300.0, 127.0), -2);
        assert_eq!(frac_bits(0.0, 127.0), FRAC_OF_ZERO);
        assert_eq!(frac_bits(f64::INFINITY, 127.0), -64);
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[1, 3, 3, 2]), Some(1));
        assert_eq!(argmax::<i64>(&[]), None);
    }
}
