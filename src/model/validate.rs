//! Validation of a [`Model`]: shapes flow through the layers, parameter lists have the right
//! lengths, values lie in their ranges, and every accumulator fits comfortably in an `i64`.
//! Also the JSON entry points ([`Model::from_json`], [`Model::to_json`],
//! [`Model::architecture_json`]).

use super::file::ModelJson;
use super::ir::{
    Add, Concat, Conv2d, Dense, Layer, LayerKind, MaxPool2d, Model, Mul, MAX_BIAS_BITS,
};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Smallest allowed `activation_bits` and `weight_bits`.
pub const MIN_BITS: u32 = 2;
/// Largest allowed `activation_bits` and `weight_bits` (values then fit in an `i16`).
pub const MAX_BITS: u32 = 16;
/// Largest allowed requantization shift.
pub const MAX_SHIFT: u32 = 40;
/// The widest biases, 32-bit signed integers (`bias_bits = 32`): `MIN_BIAS ≤ b ≤ MAX_BIAS`,
/// i.e. `−2^31 ≤ b < 2^31`. A model's own range is [`Model::bias_range`] (the model commitment
/// stores `b + 2^{β−1}` in limbs and proves every one in range).
pub const MAX_BIAS: i64 = (1 << 31) - 1;
/// See [`MAX_BIAS`].
pub const MIN_BIAS: i64 = -(1 << 31);
/// Every accumulator's worst-case magnitude (bias plus fan-in times the largest product) must
/// be below `2^ACC_BITS`, so that it never overflows an `i64` and embeds in the field with room
/// to spare.
pub const ACC_BITS: u32 = 62;

/// The most layers a model may have. Planning a model's proof costs about `layers × segments`
/// (each layer's step checks the tables planned so far), so the count is refused before that
/// work, from the JSON's length alone. Real CNNs have a few hundred layers at most (ResNet-152:
/// about 500 in this IR).
pub const MAX_LAYERS: usize = 1024;
/// The most kernel positions (`k_h·k_w`, summed over the convolutions) a model may have: each
/// position is a segment of the committed model, see [`MAX_LAYERS`]. VGG-16 has 117, AlexNet
/// 173.
pub const MAX_KERNEL_POSITIONS: usize = 1 << 14;

/// The largest magnitude of a `bits`-bit value in the symmetric range: `2^{bits−1} − 1`
/// (`bits` is clamped to `1..=63`).
pub fn max_abs(bits: u32) -> i64 {
    (1i64 << (bits.clamp(1, 63) - 1)) - 1
}

/// The weight range of `weight_bits = bits`: two's complement, `[−2^{bits−1}, 2^{bits−1} − 1]`
/// (int8 is `−128..=127`; `bits` is clamped to `1..=63`).
pub fn weight_range(bits: u32) -> (i64, i64) {
    let half = 1i64 << (bits.clamp(1, 63) - 1);
    (-half, half - 1)
}

/// Which bit width is out of range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitsField {
    /// `activation_bits`.
    Activation,
    /// `weight_bits`.
    Weight,
}

impl std::fmt::Display for BitsField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BitsField::Activation => "activation_bits",
            BitsField::Weight => "weight_bits",
        })
    }
}

/// Why a model is malformed (or its JSON unreadable). Every per-layer variant names the layer's
/// index and kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The JSON did not parse into a [`Model`] (`message` is serde's, with line and column).
    #[error("model JSON: {message}")]
    Json {
        /// serde_json's message.
        message: String,
        /// 1-based line of the error (0 if unknown).
        line: usize,
        /// 1-based column of the error (0 if unknown).
        column: usize,
    },
    /// `activation_bits` or `weight_bits` is outside `MIN_BITS..=MAX_BITS`.
    #[error("{field} is {bits}; it must be in {MIN_BITS}..={MAX_BITS}")]
    BitsOutOfRange {
        /// Which field.
        field: BitsField,
        /// Its value.
        bits: u32,
    },
    /// The model has no layers.
    #[error("the model has no layers")]
    NoLayers,
    /// The model is beyond a size limit checked before anything else ([`MAX_LAYERS`],
    /// [`MAX_KERNEL_POSITIONS`]).
    #[error("the model has {size} {what}; the limit is {limit}")]
    Limit {
        /// What is counted.
        what: &'static str,
        /// The model's count.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The input shape is not `[C, H, W]` or `[F]` with positive sizes.
    #[error("input shape {shape:?} must be [channels, height, width] or [features], all positive")]
    BadInputShape {
        /// The declared input shape.
        shape: Vec<usize>,
    },
    /// A layer reads a tensor of the wrong rank.
    #[error("layer {layer} ({kind}) needs a {expected}-D input; it receives shape {shape:?}")]
    InputRank {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The rank it needs.
        expected: usize,
        /// The incoming shape.
        shape: Vec<usize>,
    },
    /// A size parameter that must be positive is zero.
    #[error("layer {layer} ({kind}): {param} is zero")]
    ZeroParameter {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The parameter's name (`kernel height`, `stride`, `out_channels`, …).
        param: &'static str,
    },
    /// Conv2d's `in_channels` differs from the incoming tensor's channels.
    #[error("layer {layer} ({kind}) declares {declared} input channels; the incoming tensor has {incoming}")]
    ChannelMismatch {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// `in_channels`.
        declared: usize,
        /// Channels of the incoming tensor.
        incoming: usize,
    },
    /// Conv2d's `groups` does not divide both channel counts.
    #[error("layer {layer} ({kind}): {groups} groups do not divide both its {in_channels} input and {out_channels} output channels")]
    Groups {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The declared group count.
        groups: usize,
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
    },
    /// Dense's `in_features` differs from the incoming vector's length.
    #[error("layer {layer} ({kind}) declares {declared} input features; the incoming vector has {incoming}")]
    FeatureMismatch {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// `in_features`.
        declared: usize,
        /// Length of the incoming vector.
        incoming: usize,
    },
    /// The weight list has the wrong length.
    #[error("layer {layer} ({kind}) has {got} weights; its shape needs {expected}")]
    WeightsLength {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Needed length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// The bias list has the wrong length.
    #[error("layer {layer} ({kind}) has {got} biases; it needs one per output ({expected})")]
    BiasLength {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Needed length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// A weight is outside `min..=max` ([`weight_range`]).
    #[error("layer {layer} ({kind}): weight {index} is {value}, outside {min}..={max}")]
    WeightOutOfRange {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Index in the flat, row-major weight list.
        index: usize,
        /// The value.
        value: i64,
        /// The smallest weight, `−2^{W−1}`.
        min: i64,
        /// The largest weight, `2^{W−1} − 1`.
        max: i64,
    },
    /// A bias is outside the model's bias range `min..=max` ([`Model::bias_range`]:
    /// `−2^{β−1}..=2^{β−1} − 1` for `β = bias_bits`).
    #[error("layer {layer} ({kind}): bias {index} is {value}, outside {min}..={max} (bias_bits)")]
    BiasOutOfRange {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Index in the bias list.
        index: usize,
        /// The value.
        value: i64,
        /// The smallest bias, `−2^{β−1}`.
        min: i64,
        /// The largest bias, `2^{β−1} − 1`.
        max: i64,
    },
    /// `bias_bits` is outside `2..=32`.
    #[error("bias_bits is {bits}; it must be in 2..={MAX_BIAS_BITS}")]
    BiasBitsOutOfRange {
        /// Its value.
        bits: u32,
    },
    /// The shift exceeds [`MAX_SHIFT`].
    #[error("layer {layer} ({kind}): shift {shift} exceeds the maximum {MAX_SHIFT}")]
    ShiftTooLarge {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The shift.
        shift: u32,
    },
    /// An average pool's divisor is 0 or above [`super::ir::MAX_DIVISOR`], or its exact
    /// division needs more than 62 bits ([`super::ir::AvgPool2d::division`]).
    #[error("layer {layer} ({kind}): divisor {divisor} with shift {shift}: the divisor must be in 1..={max} and the shift at most 40 for an exact division", max = super::ir::MAX_DIVISOR)]
    Divisor {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The divisor.
        divisor: u64,
        /// The shift.
        shift: u32,
    },
    /// The window (kernel or pool) is larger than the (padded) input, so the output is empty.
    #[error("layer {layer} ({kind}): a {window:?} window does not fit the {input:?} input (after padding); the output would be empty")]
    EmptyOutput {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Window height and width.
        window: [usize; 2],
        /// Incoming spatial size `[height, width]` including padding.
        input: [usize; 2],
    },
    /// A max-pool's padding is not below its window side, so some window holds padding only.
    #[error("layer {layer} ({kind}): padding {padding} is not below the window side {size}; a window would hold padding only")]
    PoolPadding {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The padding.
        padding: usize,
        /// The window side.
        size: usize,
    },
    /// The worst-case accumulator would reach `2^ACC_BITS`.
    #[error("layer {layer} ({kind}): fan-in {fan_in} lets the accumulator reach 2^{ACC_BITS}")]
    AccumulatorTooLarge {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// Terms per accumulator.
        fan_in: u128,
    },
    /// A size computation overflows `usize`.
    #[error("layer {layer} ({kind}): sizes overflow")]
    TooLarge {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
    },
    /// Add's (or Mul's) `from` is not an earlier layer.
    #[error(
        "layer {layer} ({kind}) reads layer {from}'s output as its second operand; it must be an earlier layer"
    )]
    AddFromNotEarlier {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The referenced layer.
        from: usize,
    },
    /// The JSON is a split model (an architecture naming its weights file), read from text
    /// alone: its weights must be read from the file ([`crate::model::file::load`]).
    #[error("the JSON is a split model whose weights are in the file {weights_file:?}: load it by its path, next to that file")]
    SplitModel {
        /// The weights file the JSON names.
        weights_file: String,
    },
    /// A split model's `weights_file` is not a relative path inside the model's directory.
    #[error("\"weights_file\" is {weights_file:?}; it must be a relative path inside the model's directory (no \"..\", not absolute, not empty)")]
    WeightsFile {
        /// The path as written.
        weights_file: String,
    },
    /// A split model's architecture holds weights or biases (they belong in the weights file).
    #[error("layer {layer} ({kind}) has weights or biases in the JSON, but the model names a weights file: a split model's JSON holds only the architecture")]
    WeightsInArchitecture {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
    },
    /// A layer reads a tensor that is not earlier than its own output: tensor `0` is the
    /// model's input and tensor `ℓ + 1` layer `ℓ`'s output, so layer `i` may read tensors
    /// `0..=i` (its `input`, or a Concat's `inputs`).
    #[error("layer {layer} ({kind}) reads tensor {tensor}; it may read only earlier tensors, 0 (the input) to {layer} (the previous layer's output)")]
    InputNotEarlier {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The tensor index it names.
        tensor: usize,
    },
    /// A Concat's inputs are not 3-D tensors of one height and width.
    #[error("layer {layer} ({kind}) concatenates tensor {tensor} of shape {shape:?}; every input must be [channels, {height}, {width}] (the first input's height and width)")]
    ConcatShapeMismatch {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The tensor that does not fit.
        tensor: usize,
        /// Its shape.
        shape: Vec<usize>,
        /// The first input's height.
        height: usize,
        /// The first input's width.
        width: usize,
    },
    /// Add's operands have different shapes.
    #[error("layer {layer} ({kind}) adds shape {other:?} (layer {from}) to shape {previous:?}")]
    AddShapeMismatch {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The referenced layer.
        from: usize,
        /// Shape of the previous layer's output.
        previous: Vec<usize>,
        /// Shape of layer `from`'s output.
        other: Vec<usize>,
    },
    /// Mul's second operand has neither the first's shape nor one value per channel of a 3-D
    /// first operand (`[c]` or `[c, 1, 1]`).
    #[error("layer {layer} ({kind}) multiplies shape {previous:?} by shape {other:?} (layer {from}); the second operand must have the first's shape, or be [c] or [c, 1, 1] for a first operand [c, h, w]")]
    MulShapeMismatch {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// The referenced layer.
        from: usize,
        /// Shape of the first operand.
        previous: Vec<usize>,
        /// Shape of layer `from`'s output.
        other: Vec<usize>,
    },
    /// An activation's function has bad parameters.
    #[error("layer {layer} ({kind}): {source}")]
    ActivationFunction {
        /// Layer index.
        layer: usize,
        /// Layer kind.
        kind: LayerKind,
        /// What is wrong.
        source: super::activation::FunctionError,
    },
}

impl ModelError {
    /// The layer the error is about, if it is about one.
    pub fn layer(&self) -> Option<usize> {
        use ModelError::*;
        match self {
            InputRank { layer, .. }
            | ZeroParameter { layer, .. }
            | ChannelMismatch { layer, .. }
            | Groups { layer, .. }
            | FeatureMismatch { layer, .. }
            | WeightsLength { layer, .. }
            | BiasLength { layer, .. }
            | WeightOutOfRange { layer, .. }
            | BiasOutOfRange { layer, .. }
            | ShiftTooLarge { layer, .. }
            | Divisor { layer, .. }
            | EmptyOutput { layer, .. }
            | PoolPadding { layer, .. }
            | AccumulatorTooLarge { layer, .. }
            | TooLarge { layer, .. }
            | AddFromNotEarlier { layer, .. }
            | AddShapeMismatch { layer, .. }
            | MulShapeMismatch { layer, .. }
            | InputNotEarlier { layer, .. }
            | ConcatShapeMismatch { layer, .. }
            | ActivationFunction { layer, .. }
            | WeightsInArchitecture { layer, .. } => Some(*layer),
            Json { .. }
            | SplitModel { .. }
            | WeightsFile { .. }
            | BitsOutOfRange { .. }
            | BiasBitsOutOfRange { .. }
            | NoLayers
            | Limit { .. }
            | BadInputShape { .. } => None,
        }
    }
}

impl Model {
    /// Checks the model and returns every layer's output shape (`shapes[i]` for layer `i`).
    ///
    /// Checks, in order: the bit widths, that there is a layer, the layer count
    /// ([`MAX_LAYERS`]), the input shape, then layer by layer: the incoming rank, positive
    /// sizes, channel/feature agreement, groups dividing the channels, parameter lengths, weight and bias ranges, the shift,
    /// the worst-case accumulator, a non-empty output; and last the kernel positions
    /// ([`MAX_KERNEL_POSITIONS`]).
    pub fn validate(&self) -> Result<Vec<Vec<usize>>, ModelError> {
        self.check(false)
    }

    /// [`Self::validate`] for an architecture: a layer whose weights and bias are both empty is
    /// accepted (the verifier's view, see [`Self::architecture`]); present parameters are
    /// checked as usual.
    pub fn validate_architecture(&self) -> Result<Vec<Vec<usize>>, ModelError> {
        self.check(true)
    }

    fn check(&self, architecture_only: bool) -> Result<Vec<Vec<usize>>, ModelError> {
        for (field, bits) in [
            (BitsField::Activation, self.activation_bits),
            (BitsField::Weight, self.weight_bits),
        ] {
            if !(MIN_BITS..=MAX_BITS).contains(&bits) {
                return Err(ModelError::BitsOutOfRange { field, bits });
            }
        }
        if !(2..=MAX_BIAS_BITS).contains(&self.bias_bits) {
            return Err(ModelError::BiasBitsOutOfRange {
                bits: self.bias_bits,
            });
        }
        if self.layers.is_empty() {
            return Err(ModelError::NoLayers);
        }
        if self.layers.len() > MAX_LAYERS {
            return Err(ModelError::Limit {
                what: "layers",
                size: self.layers.len(),
                limit: MAX_LAYERS,
            });
        }
        let shape = &self.input_shape;
        let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if !matches!(shape.len(), 1 | 3) || shape.contains(&0) || numel.is_none() {
            return Err(ModelError::BadInputShape {
                shape: shape.clone(),
            });
        }
        let ctx = Ctx {
            wrange: weight_range(self.weight_bits),
            amax: max_abs(self.activation_bits),
            brange: self.bias_range(),
            architecture_only,
        };
        let mut shapes: Vec<Vec<usize>> = Vec::with_capacity(self.layers.len());
        for (index, layer) in self.layers.iter().enumerate() {
            let at = At {
                layer: index,
                kind: layer.kind(),
            };
            // Tensor `t`'s shape: the input's for 0, layer `t − 1`'s output's after.
            let tensor_shape = |t: usize| match t {
                0 => Some(&self.input_shape),
                _ => shapes.get(t - 1),
            };
            let mut reads = Vec::new();
            for t in layer.inputs(index) {
                // Add's and Mul's `from` has its own error (a layer index).
                if let Layer::Add(Add { from, .. }) | Layer::Mul(Mul { from, .. }) = layer {
                    if t == from.saturating_add(1) && t > index {
                        return Err(ModelError::AddFromNotEarlier {
                            layer: at.layer,
                            kind: at.kind,
                            from: *from,
                        });
                    }
                }
                match tensor_shape(t) {
                    Some(s) if t <= index => reads.push(s),
                    _ => {
                        return Err(ModelError::InputNotEarlier {
                            layer: at.layer,
                            kind: at.kind,
                            tensor: t,
                        })
                    }
                }
            }
            let incoming = reads.first().copied().unwrap_or(&self.input_shape);
            let out = match layer {
                Layer::Conv2d(c) => conv2d_shape(at, &ctx, c, incoming)?,
                Layer::Dense(d) => dense_shape(at, &ctx, d, incoming)?,
                Layer::Relu { .. } => incoming.clone(),
                Layer::Activation(a) => {
                    a.function
                        .check()
                        .map_err(|source| ModelError::ActivationFunction {
                            layer: at.layer,
                            kind: at.kind,
                            source,
                        })?;
                    incoming.clone()
                }
                Layer::MaxPool2d(m) => max_pool_shape(at, m, incoming)?,
                Layer::AvgPool2d(a) => {
                    at.check_shift(a.shift)?;
                    let out = pool_shape(at, a.size, a.stride, incoming)?;
                    let fan_in = (a.size as u128).saturating_mul(a.size as u128);
                    let d = a.division(ctx.amax).ok_or(ModelError::Divisor {
                        layer: at.layer,
                        kind: at.kind,
                        divisor: a.divisor,
                        shift: a.shift,
                    })?;
                    // `|m·S + c| ≤ m·size²·amax + |c|`.
                    at.check_accumulator(fan_in, d.multiplier, ctx.amax, d.offset.abs())?;
                    out
                }
                Layer::Flatten { .. } => match incoming.as_slice() {
                    [_] => incoming.clone(),
                    [c, h, w] => vec![c * h * w],
                    _ => return Err(at.rank(3, incoming)),
                },
                Layer::Add(Add { from, shift, .. }) => {
                    at.check_shift(*shift)?;
                    let other = reads.get(1).copied().unwrap_or(incoming);
                    if other != incoming {
                        return Err(ModelError::AddShapeMismatch {
                            layer: at.layer,
                            kind: at.kind,
                            from: *from,
                            previous: incoming.clone(),
                            other: other.clone(),
                        });
                    }
                    at.check_accumulator(2, 1, ctx.amax, 0)?;
                    incoming.clone()
                }
                Layer::Mul(Mul { from, shift, .. }) => {
                    at.check_shift(*shift)?;
                    let other = reads.get(1).copied().unwrap_or(incoming);
                    let per_channel = match (incoming.as_slice(), other.as_slice()) {
                        ([c, _, _], [d]) | ([c, _, _], [d, 1, 1]) => c == d,
                        _ => false,
                    };
                    if other != incoming && !per_channel {
                        return Err(ModelError::MulShapeMismatch {
                            layer: at.layer,
                            kind: at.kind,
                            from: *from,
                            previous: incoming.clone(),
                            other: other.clone(),
                        });
                    }
                    // |a·b| ≤ amax² < 2^{2B−2}.
                    at.check_accumulator(1, ctx.amax, ctx.amax, 0)?;
                    incoming.clone()
                }
                Layer::Concat(Concat { inputs }) => {
                    let Some([_, height, width]) = reads.first().map(|s| s.as_slice()) else {
                        return Err(match reads.first() {
                            None => ModelError::ZeroParameter {
                                layer: at.layer,
                                kind: at.kind,
                                param: "inputs",
                            },
                            Some(s) => at.rank(3, s),
                        });
                    };
                    let mut channels = 0usize;
                    for (&t, s) in inputs.iter().zip(&reads) {
                        match s.as_slice() {
                            [c, h, w] if h == height && w == width => {
                                channels =
                                    channels.checked_add(*c).ok_or_else(|| at.too_large())?;
                            }
                            _ => {
                                return Err(ModelError::ConcatShapeMismatch {
                                    layer: at.layer,
                                    kind: at.kind,
                                    tensor: t,
                                    shape: s.to_vec(),
                                    height: *height,
                                    width: *width,
                                })
                            }
                        }
                    }
                    vec![channels, *height, *width]
                }
            };
            shapes.push(out);
        }
        let positions = self.layers.iter().fold(0usize, |n, layer| match layer {
            Layer::Conv2d(c) => n.saturating_add(c.kernel[0].saturating_mul(c.kernel[1])),
            _ => n,
        });
        if positions > MAX_KERNEL_POSITIONS {
            return Err(ModelError::Limit {
                what: "kernel positions (height × width, summed over its convolutions)",
                size: positions,
                limit: MAX_KERNEL_POSITIONS,
            });
        }
        Ok(shapes)
    }

    /// Parses a model from JSON and validates it. A text of more than [`MAX_MODEL_NUMBERS`]
    /// numbers is refused before parsing: parsing buffers each layer's numbers (serde's
    /// internally tagged enums) at 32 bytes each, so the count is checked first, without
    /// keeping them.
    ///
    /// A split model's JSON (an architecture naming its weights file, see
    /// [`crate::model::file`]) is refused with [`ModelError::SplitModel`]: its weights are
    /// read from its path, with [`crate::model::file::load`].
    pub fn from_json(json: &str) -> Result<Model, ModelError> {
        match ModelJson::parse(json)? {
            ModelJson::Inline(model) => {
                model.validate()?;
                Ok(model)
            }
            ModelJson::Split { weights_file, .. } => Err(ModelError::SplitModel { weights_file }),
        }
    }

    /// [`Model::from_json`] for an architecture: weights and biases may be absent
    /// ([`Model::validate_architecture`]). A split model's JSON gives its architecture.
    pub fn architecture_from_json(json: &str) -> Result<Model, ModelError> {
        match ModelJson::parse(json)? {
            ModelJson::Inline(model) => {
                model.validate_architecture()?;
                Ok(model)
            }
            ModelJson::Split { architecture, .. } => Ok(architecture),
        }
    }

    /// The model as pretty-printed JSON (what [`Model::from_json`] reads).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a Model always serializes")
    }

    /// Canonical compact JSON of the model with every `weights` and `bias` list emptied: the
    /// architecture (shapes, shifts, bit widths, name) without the parameters. Field order is
    /// the declaration order of the IR types, so equal architectures give equal strings.
    pub fn architecture_json(&self) -> String {
        serde_json::to_string(&self.architecture()).expect("a Model always serializes")
    }

    /// The model without its weights and biases (never copied): what a verifier needs next to
    /// the model commitment.
    pub fn architecture(&self) -> Model {
        let mut arch = Model {
            name: self.name.clone(),
            input_shape: self.input_shape.clone(),
            activation_bits: self.activation_bits,
            weight_bits: self.weight_bits,
            layers: Vec::with_capacity(self.layers.len()),
            quantization: self.quantization.clone(),
            saturate: self.saturate,
            bias_bits: self.bias_bits,
        };
        arch.layers
            .extend(self.layers.iter().map(|layer| match layer {
                Layer::Conv2d(c) => Layer::Conv2d(Conv2d {
                    weights: Vec::new(),
                    bias: Vec::new(),
                    ..*c
                }),
                Layer::Dense(d) => Layer::Dense(Dense {
                    weights: Vec::new(),
                    bias: Vec::new(),
                    ..*d
                }),
                other => other.clone(),
            }));
        arch
    }
}

/// The value ranges that the checks need.
struct Ctx {
    wrange: (i64, i64),
    amax: i64,
    /// The biases' range ([`Model::bias_range`]).
    brange: (i64, i64),
    /// Accept layers whose weights and biases are both empty (an architecture without
    /// parameters, as the verifier holds it).
    architecture_only: bool,
}

/// The layer being checked, for error construction.
#[derive(Clone, Copy)]
struct At {
    layer: usize,
    kind: LayerKind,
}

impl At {
    fn rank(self, expected: usize, shape: &[usize]) -> ModelError {
        ModelError::InputRank {
            layer: self.layer,
            kind: self.kind,
            expected,
            shape: shape.to_vec(),
        }
    }

    fn nonzero(self, value: usize, param: &'static str) -> Result<(), ModelError> {
        if value == 0 {
            return Err(ModelError::ZeroParameter {
                layer: self.layer,
                kind: self.kind,
                param,
            });
        }
        Ok(())
    }

    fn too_large(self) -> ModelError {
        ModelError::TooLarge {
            layer: self.layer,
            kind: self.kind,
        }
    }

    fn check_shift(self, shift: u32) -> Result<(), ModelError> {
        if shift > MAX_SHIFT {
            return Err(ModelError::ShiftTooLarge {
                layer: self.layer,
                kind: self.kind,
                shift,
            });
        }
        Ok(())
    }

    /// `|acc| ≤ bias + fan_in · wmax · amax` must stay below `2^ACC_BITS`.
    fn check_accumulator(
        self,
        fan_in: u128,
        wmax: i64,
        amax: i64,
        bias: i64,
    ) -> Result<(), ModelError> {
        let bound = fan_in
            .saturating_mul(wmax as u128 * amax as u128)
            .saturating_add(bias as u128);
        if bound >= 1u128 << ACC_BITS {
            return Err(ModelError::AccumulatorTooLarge {
                layer: self.layer,
                kind: self.kind,
                fan_in,
            });
        }
        Ok(())
    }

    fn check_params(
        self,
        ctx: &Ctx,
        weights: &[i64],
        bias: &[i64],
        expected_weights: usize,
        outputs: usize,
    ) -> Result<(), ModelError> {
        let (layer, kind) = (self.layer, self.kind);
        if ctx.architecture_only && weights.is_empty() && bias.is_empty() {
            return Ok(());
        }
        if weights.len() != expected_weights {
            return Err(ModelError::WeightsLength {
                layer,
                kind,
                expected: expected_weights,
                got: weights.len(),
            });
        }
        if bias.len() != outputs {
            return Err(ModelError::BiasLength {
                layer,
                kind,
                expected: outputs,
                got: bias.len(),
            });
        }
        if let Some((index, &value)) = weights
            .iter()
            .enumerate()
            .find(|(_, w)| !(ctx.wrange.0..=ctx.wrange.1).contains(*w))
        {
            return Err(ModelError::WeightOutOfRange {
                layer,
                kind,
                index,
                value,
                min: ctx.wrange.0,
                max: ctx.wrange.1,
            });
        }
        if let Some((index, &value)) = bias
            .iter()
            .enumerate()
            .find(|(_, b)| !(ctx.brange.0..=ctx.brange.1).contains(*b))
        {
            return Err(ModelError::BiasOutOfRange {
                layer,
                kind,
                index,
                value,
                min: ctx.brange.0,
                max: ctx.brange.1,
            });
        }
        Ok(())
    }
}

/// Output size of a sliding window along one axis: `(n − k)/s + 1`, or `None` when `k > n`.
fn windows(n: usize, k: usize, s: usize) -> Option<usize> {
    n.checked_sub(k).map(|r| r / s + 1)
}

fn conv2d_shape(
    at: At,
    ctx: &Ctx,
    c: &Conv2d,
    incoming: &[usize],
) -> Result<Vec<usize>, ModelError> {
    let &[channels, h, w] = incoming else {
        return Err(at.rank(3, incoming));
    };
    let [kh, kw] = c.kernel;
    at.nonzero(c.out_channels, "out_channels")?;
    at.nonzero(kh, "kernel height")?;
    at.nonzero(kw, "kernel width")?;
    at.nonzero(c.stride, "stride")?;
    if c.in_channels != channels {
        return Err(ModelError::ChannelMismatch {
            layer: at.layer,
            kind: at.kind,
            declared: c.in_channels,
            incoming: channels,
        });
    }
    let pad2 = c.padding.checked_mul(2).ok_or_else(|| at.too_large())?;
    let (ph, pw) = (
        h.checked_add(pad2).ok_or_else(|| at.too_large())?,
        w.checked_add(pad2).ok_or_else(|| at.too_large())?,
    );
    let (Some(oh), Some(ow)) = (windows(ph, kh, c.stride), windows(pw, kw, c.stride)) else {
        return Err(ModelError::EmptyOutput {
            layer: at.layer,
            kind: at.kind,
            window: [kh, kw],
            input: [ph, pw],
        });
    };
    at.nonzero(c.groups, "groups")?;
    if !c.in_channels.is_multiple_of(c.groups) || !c.out_channels.is_multiple_of(c.groups) {
        return Err(ModelError::Groups {
            layer: at.layer,
            kind: at.kind,
            groups: c.groups,
            in_channels: c.in_channels,
            out_channels: c.out_channels,
        });
    }
    let fan_in = [kh, kw]
        .iter()
        .try_fold(c.group_in(), |a, &d| a.checked_mul(d))
        .ok_or_else(|| at.too_large())?;
    let expected = fan_in
        .checked_mul(c.out_channels)
        .ok_or_else(|| at.too_large())?;
    at.check_params(ctx, &c.weights, &c.bias, expected, c.out_channels)?;
    at.check_shift(c.shift)?;
    at.check_accumulator(fan_in as u128, -ctx.wrange.0, ctx.amax, -ctx.brange.0)?;
    if c.out_channels
        .checked_mul(oh)
        .and_then(|n| n.checked_mul(ow))
        .is_none()
    {
        return Err(at.too_large());
    }
    Ok(vec![c.out_channels, oh, ow])
}

fn dense_shape(at: At, ctx: &Ctx, d: &Dense, incoming: &[usize]) -> Result<Vec<usize>, ModelError> {
    let &[features] = incoming else {
        return Err(at.rank(1, incoming));
    };
    at.nonzero(d.out_features, "out_features")?;
    if d.in_features != features {
        return Err(ModelError::FeatureMismatch {
            layer: at.layer,
            kind: at.kind,
            declared: d.in_features,
            incoming: features,
        });
    }
    let expected = features
        .checked_mul(d.out_features)
        .ok_or_else(|| at.too_large())?;
    at.check_params(ctx, &d.weights, &d.bias, expected, d.out_features)?;
    at.check_shift(d.shift)?;
    at.check_accumulator(features as u128, -ctx.wrange.0, ctx.amax, -ctx.brange.0)?;
    Ok(vec![d.out_features])
}

fn pool_shape(
    at: At,
    size: usize,
    stride: usize,
    incoming: &[usize],
) -> Result<Vec<usize>, ModelError> {
    let &[channels, h, w] = incoming else {
        return Err(at.rank(3, incoming));
    };
    at.nonzero(size, "size")?;
    at.nonzero(stride, "stride")?;
    let (Some(oh), Some(ow)) = (windows(h, size, stride), windows(w, size, stride)) else {
        return Err(ModelError::EmptyOutput {
            layer: at.layer,
            kind: at.kind,
            window: [size, size],
            input: [h, w],
        });
    };
    Ok(vec![channels, oh, ow])
}

fn max_pool_shape(at: At, m: &MaxPool2d, incoming: &[usize]) -> Result<Vec<usize>, ModelError> {
    let &[channels, h, w] = incoming else {
        return Err(at.rank(3, incoming));
    };
    at.nonzero(m.size, "size")?;
    at.nonzero(m.stride, "stride")?;
    if m.padding >= m.size {
        return Err(ModelError::PoolPadding {
            layer: at.layer,
            kind: at.kind,
            padding: m.padding,
            size: m.size,
        });
    }
    let (Some(oh), Some(ow)) = (m.output(h), m.output(w)) else {
        return Err(ModelError::EmptyOutput {
            layer: at.layer,
            kind: at.kind,
            window: [m.size, m.size],
            input: [
                h.saturating_add(m.padding.saturating_mul(2)),
                w.saturating_add(m.padding.saturating_mul(2)),
            ],
        });
    };
    Ok(vec![channels, oh, ow])
}

/// The most numbers a model's JSON may hold: 2^24 weights and biases (one column of the model
/// table; larger models, whose tables the network commits as columns up to 2^28 entries, are
/// built through the library), and each layer has a few sizes and a shift.
pub const MAX_MODEL_NUMBERS: u64 = (1 << 24) + (1 << 14);

/// One pass over a model's JSON before it is parsed: refuses a text of more than
/// [`MAX_MODEL_NUMBERS`] numbers (parsing buffers each layer's numbers, serde's internally
/// tagged enums, at 32 bytes each), and tells whether the top-level object has a
/// `"weights_file"` key (a split model, [`crate::model::file`]).
pub(crate) fn scan_json(json: &str) -> Result<bool, ModelError> {
    let (mut count, mut split) = (0, false);
    let mut d = serde_json::Deserializer::from_str(json);
    // A syntax error is left to the parser that follows, which stops at the same place.
    let _ = TopLevel {
        count: &mut count,
        split: &mut split,
    }
    .deserialize(&mut d);
    if count > MAX_MODEL_NUMBERS {
        return Err(ModelError::Limit {
            what: "numbers at least (a model has at most 2^24 weights and biases)",
            size: count as usize,
            limit: MAX_MODEL_NUMBERS as usize,
        });
    }
    Ok(split)
}

/// serde_json's error as a [`ModelError::Json`].
pub(crate) fn json_error(e: serde_json::Error) -> ModelError {
    ModelError::Json {
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    }
}

/// The top-level value of a model's JSON: [`CountNumbers`], noting a `"weights_file"` key.
struct TopLevel<'a> {
    count: &'a mut u64,
    split: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        CountNumbers(self.count).one()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        CountNumbers(self.count).one()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        CountNumbers(self.count).one()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        CountNumbers(self.count).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "weights_file" {
                *self.split = true;
            }
            map.next_value_seed(CountNumbers(&mut *self.count))?;
        }
        Ok(())
    }
}

/// Counts the numbers of a JSON value without keeping them, and stops past
/// [`MAX_MODEL_NUMBERS`].
struct CountNumbers<'a>(&'a mut u64);

impl CountNumbers<'_> {
    fn one<E: de::Error>(self) -> Result<(), E> {
        *self.0 += 1;
        if *self.0 > MAX_MODEL_NUMBERS {
            return Err(E::custom("too many numbers"));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for CountNumbers<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CountNumbers<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.one()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.one()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.one()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(CountNumbers(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(CountNumbers(&mut *self.0))?;
        }
        Ok(())
    }
}
