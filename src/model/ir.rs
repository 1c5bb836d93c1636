//! The model IR: the types a JSON model file deserializes into.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A quantized CNN: an input shape and a chain of layers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// A name for people (not part of the proof statement's semantics, but bound by the digest).
    pub name: String,
    /// The input tensor's shape: `[channels, height, width]` or `[features]`.
    pub input_shape: Vec<usize>,
    /// `B`: activations lie in `(−2^{B−1}, 2^{B−1})`. 2 to 16.
    pub activation_bits: u32,
    /// `W`: weights lie in `[−2^{W−1}, 2^{W−1})` (two's complement: int8 is `−128..=127`). 2 to
    /// 16.
    pub weight_bits: u32,
    /// The layers, applied in order. Tensor `0` is the input and tensor `i + 1` layer `i`'s
    /// output; layer `i` reads tensor `i` (the previous layer's output) unless its `input`
    /// names an earlier tensor (a DAG: [`Layer::inputs`]).
    pub layers: Vec<Layer>,
    /// How real numbers map to the model's integers, when the model came from a float model
    /// (set by the ONNX import). Absent from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization: Option<Quantization>,
    /// Saturating requantization (int8 inference semantics): every requantizing layer outputs
    /// `clamp(q, −L, L)`, `L = 2^{B−1} − 1`, instead of refusing a `q` outside the activation
    /// range (`spec/requant-relu.md`). Off unless set; absent from the JSON when off, so models
    /// written before the field have the same bytes, digest and commitment.
    #[serde(default, skip_serializing_if = "is_false")]
    pub saturate: bool,
    /// `β`: every bias lies in `[−2^{β−1}, 2^{β−1})` ([`Model::bias_range`]). 2 to 32; 32
    /// (absent from the JSON) unless set, so models written before the field have the same
    /// bytes, digest and commitment. Public (part of the architecture): the model commitment
    /// holds `b + 2^{β−1}` in `β` bits, and a saturating layer's overflow is sized from it, so a
    /// tight `β` (what `import` writes: the fewest bits its biases need) makes both smaller.
    #[serde(
        default = "default_bias_bits",
        skip_serializing_if = "is_default_bias_bits"
    )]
    pub bias_bits: u32,
}

/// The largest (and default) [`Model::bias_bits`]: 32-bit biases.
pub const MAX_BIAS_BITS: u32 = 32;

fn default_bias_bits() -> u32 {
    MAX_BIAS_BITS
}

fn is_default_bias_bits(b: &u32) -> bool {
    *b == MAX_BIAS_BITS
}

/// Power-of-two scales between a float model and its quantized form, and the source model's
/// operators that run outside the proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantization {
    /// A real input `x` enters the model as `round(x · 2^input_frac_bits)`, clamped to the
    /// activation range.
    pub input_frac_bits: i32,
    /// The proven integer output times `2^−output_frac_bits` approximates the float model's
    /// output.
    pub output_frac_bits: i32,
    /// Operators of the source model applied to the proven output outside the proof, in order
    /// (for example `Softmax`, `ArgMax`): computed on the proven values, not proven.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside: Vec<String>,
}

/// One layer. In JSON, an object whose `type` names the variant, next to the variant's fields;
/// unknown fields are rejected (also for `Relu` and `Flatten`, whose one field is the optional `input`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", from = "LayerRepr")]
pub enum Layer {
    /// 2-D convolution with zero padding, then requantization.
    Conv2d(Conv2d),
    /// Fully connected, then requantization. Reads a 1-D tensor.
    Dense(Dense),
    /// `max(x, 0)` elementwise.
    Relu {
        /// The tensor read ([`Input`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input: Input,
    },
    /// Max over `size × size` windows, with padding that never wins and floor or ceil mode.
    MaxPool2d(MaxPool2d),
    /// Sum over `size × size` windows (floor mode, no padding), then requantization.
    AvgPool2d(AvgPool2d),
    /// `[c, h, w]` to `[c·h·w]`, row-major.
    Flatten {
        /// The tensor read ([`Input`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input: Input,
    },
    /// Residual: the previous output (or tensor `input`) plus layer `from`'s output (same
    /// shape), then requantization.
    Add(Add),
    /// Channel concatenation of 3-D tensors `[c_k, h, w]` (same `h`, `w`): `[Σ c_k, h, w]`.
    Concat(Concat),
    /// An element-wise function given by a public table over the activation range
    /// (`spec/activation.md`).
    Activation(Activation),
    /// Element-wise product of the previous output (or tensor `input`) and layer `from`'s
    /// output (the same shape, or one value per channel broadcast over the spatial
    /// positions), then requantization (`spec/mul.md`).
    Mul(Mul),
}

/// An element-wise activation `y = T(x)` ([`activation::table`](super::activation::table)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    /// The function and its parameters.
    pub function: super::activation::Function,
    /// The tensor read ([`Input`]); absent from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Input,
}

/// The tensor a one-input layer reads: `None` (absent from the JSON) is the previous layer's
/// output (tensor `i` for layer `i`), `Some(t)` tensor `t` — `0` the model's input, `ℓ + 1`
/// layer `ℓ`'s output — which must be earlier (`t ≤ i`).
pub type Input = Option<usize>;

/// Channel concatenation: `out[Σ_{j<k} c_j + c][y][x] = in_k[c][y][x]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concat {
    /// The tensors concatenated, in order (tensor indices as in [`Input`], each earlier than
    /// the layer's output); at least one.
    pub inputs: Vec<usize>,
}

/// How [`Layer`] deserializes: the same tagged variants, with the unit variants as empty
/// structs, so that serde rejects unknown fields there too (it ignores them on unit variants).
#[derive(Deserialize)]
#[serde(tag = "type")]
enum LayerRepr {
    Conv2d(Conv2d),
    Dense(Dense),
    Relu(Unary),
    MaxPool2d(MaxPool2d),
    AvgPool2d(AvgPool2d),
    Flatten(Unary),
    Add(Add),
    Concat(Concat),
    Activation(Activation),
    Mul(Mul),
}

/// An object with no fields but the optional `input`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Unary {
    #[serde(default)]
    input: Input,
}

impl From<LayerRepr> for Layer {
    fn from(repr: LayerRepr) -> Self {
        match repr {
            LayerRepr::Conv2d(c) => Layer::Conv2d(c),
            LayerRepr::Dense(d) => Layer::Dense(d),
            LayerRepr::Relu(Unary { input }) => Layer::Relu { input },
            LayerRepr::MaxPool2d(m) => Layer::MaxPool2d(m),
            LayerRepr::AvgPool2d(a) => Layer::AvgPool2d(a),
            LayerRepr::Flatten(Unary { input }) => Layer::Flatten { input },
            LayerRepr::Add(a) => Layer::Add(a),
            LayerRepr::Concat(c) => Layer::Concat(c),
            LayerRepr::Activation(a) => Layer::Activation(a),
            LayerRepr::Mul(m) => Layer::Mul(m),
        }
    }
}

/// 2-D convolution: `acc[o][y][x] = b[o] + Σ_{i,dy,dx} w[o][i][dy][dx] · in[i][y·s+dy−p][x·s+dx−p]`
/// (zero outside the input); with `groups > 1` the sum runs over the output channel's group
/// only (see [`Conv2d::groups`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv2d {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Stride (both directions).
    pub stride: usize,
    /// Zero padding on each side (both directions).
    pub padding: usize,
    /// Weights, row-major `[out_channels][in_channels / groups][kernel_h][kernel_w]`.
    pub weights: Vec<i64>,
    /// One bias per output channel, at the accumulator's scale.
    pub bias: Vec<i64>,
    /// Requantization shift.
    pub shift: u32,
    /// Channel groups `G` (ONNX's `group`): output channel `o` reads only the input channels
    /// of its group `g = o / (out_channels / G)`, `g·(in_channels / G) … (g+1)·(in_channels /
    /// G) − 1`. `G` divides both channel counts; 1 (absent from the JSON) is an ordinary
    /// convolution, `G = in_channels = out_channels` a depthwise one.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub groups: usize,
    /// The tensor read ([`Input`]); absent from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Input,
}

fn one() -> usize {
    1
}

fn is_one(g: &usize) -> bool {
    *g == 1
}

impl Conv2d {
    /// Input channels each output channel reads (`in_channels / groups`; 0 when `groups` is 0).
    pub fn group_in(&self) -> usize {
        self.in_channels.checked_div(self.groups).unwrap_or(0)
    }

    /// Output channels per group (`out_channels / groups`; 0 when `groups` is 0).
    pub fn group_out(&self) -> usize {
        self.out_channels.checked_div(self.groups).unwrap_or(0)
    }
}

/// Fully connected: `acc[o] = b[o] + Σ_i w[o][i] · in[i]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dense {
    /// Input features.
    pub in_features: usize,
    /// Output features.
    pub out_features: usize,
    /// Weights, row-major `[out_features][in_features]`.
    pub weights: Vec<i64>,
    /// One bias per output, at the accumulator's scale.
    pub bias: Vec<i64>,
    /// Requantization shift.
    pub shift: u32,
    /// The tensor read ([`Input`]); absent from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Input,
}

/// Max pooling: `out[c][y][x] = max` of `in[c][y·s+dy−p][x·s+dx−p]` over `dy, dx < size` and
/// the positions inside the input (padding is `−∞`: it never wins, and every window holds at
/// least one real position, so `padding < size`).
///
/// The output has `⌊(n + 2p − size)/s⌋ + 1` rows (and columns, with `n` the input's height or
/// width), or with `ceil_mode` `⌈(n + 2p − size)/s⌉ + 1`, less one if the last window would
/// start in the bottom (right) padding (PyTorch's and onnxruntime's rule): [`pool_output`].
///
/// In JSON, `padding` and `ceil_mode` are omitted when 0 and `false` (and default to them), so
/// models written before they existed read and digest as before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxPool2d {
    /// Window side.
    pub size: usize,
    /// Stride.
    pub stride: usize,
    /// Padding on each side (both directions); padded positions never win.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub padding: usize,
    /// Ceil mode: a last, partial window where floor mode would drop the input's last rows or
    /// columns.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ceil_mode: bool,
    /// The tensor read ([`Input`]); absent from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Input,
}

impl MaxPool2d {
    /// `size × size` windows with stride `stride`, no padding, floor mode.
    pub fn new(size: usize, stride: usize) -> Self {
        Self {
            size,
            stride,
            padding: 0,
            ceil_mode: false,
            input: None,
        }
    }

    /// The output length along a dimension of input length `n` ([`pool_output`]).
    pub fn output(&self, n: usize) -> Option<usize> {
        pool_output(n, self.size, self.stride, self.padding, self.ceil_mode)
    }
}

fn is_zero(x: &usize) -> bool {
    *x == 0
}

fn is_false(x: &bool) -> bool {
    !*x
}

/// The number of pooling windows of side `k`, stride `s` and padding `p` on each side along a
/// dimension of length `n`: `⌊(n + 2p − k)/s⌋ + 1`, or with `ceil` `⌈(n + 2p − k)/s⌉ + 1` less
/// one when that last window would start at or after `n + p` (inside the trailing padding).
/// `None` when the window does not fit (`n + 2p < k`), `s = 0`, a size overflows, or some window
/// would hold padding only (`p ≥ k`, which also puts the first window in the leading padding).
///
/// ```
/// use zkcnn::model::pool_output;
/// assert_eq!(pool_output(112, 3, 2, 1, false), Some(56)); // ResNet's stem
/// assert_eq!(pool_output(55, 3, 2, 0, true), Some(27)); // SqueezeNet
/// assert_eq!(pool_output(56, 3, 2, 0, false), Some(27));
/// assert_eq!(pool_output(56, 3, 2, 0, true), Some(28));
/// assert_eq!(pool_output(5, 2, 2, 1, true), Some(3)); // a 4th window would start in padding
/// assert_eq!(pool_output(4, 2, 2, 2, false), None); // the first window is all padding
/// ```
pub fn pool_output(n: usize, k: usize, s: usize, p: usize, ceil: bool) -> Option<usize> {
    if s == 0 || k == 0 || p >= k {
        return None;
    }
    let span = n.checked_add(p.checked_mul(2)?)?.checked_sub(k)?;
    let mut out = if ceil { span.div_ceil(s) } else { span / s } + 1;
    if ceil && (out - 1).checked_mul(s)? >= n + p {
        out -= 1;
    }
    Some(out)
}

/// Average pooling as a window sum `S` followed by requantization by `shift`, or, with a
/// `divisor` `d > 1`, by the exact division `⌊(S + ⌊D/2⌋)/D⌋` with `D = d·2^shift` (rounding
/// half up, as `round_shift` does for `d = 1`): a 7×7 average is `d = 49`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvgPool2d {
    /// Window side.
    pub size: usize,
    /// Stride.
    pub stride: usize,
    /// Requantization shift (`2·log2(size)` for a true average over a power-of-two window).
    pub shift: u32,
    /// The divisor beyond the shift (`1`, absent from the JSON, for a power-of-two one).
    #[serde(default = "one_u64", skip_serializing_if = "is_one_u64")]
    pub divisor: u64,
    /// The tensor read ([`Input`]); absent from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Input,
}

fn one_u64() -> u64 {
    1
}

fn is_one_u64(d: &u64) -> bool {
    *d == 1
}

/// The largest [`AvgPool2d::divisor`].
pub const MAX_DIVISOR: u64 = 1 << 20;

/// An average pool's requantization in the form every requantizing layer has: the
/// accumulator `acc = multiplier·S + offset` of the window sum `S`, then `round_shift(acc,
/// shift)` ([`AvgPool2d::division`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Division {
    /// `m`.
    pub multiplier: i64,
    /// `c`.
    pub offset: i64,
    /// `t`.
    pub shift: u32,
}

impl AvgPool2d {
    /// The largest window sum's magnitude, `size²·amax`, for inputs in `[−amax, amax]`.
    pub fn window_bound(&self, amax: i64) -> u64 {
        (self.size as u64)
            .saturating_mul(self.size as u64)
            .saturating_mul(amax.unsigned_abs())
    }

    /// The requantization computing this pool's output from its window sum `S` for inputs in
    /// `[−amax, amax]`, so every `|S| ≤ bound` ([`Self::window_bound`]): `(1, 0, shift)` for `divisor = 1`. For `d > 1`, with `D = d·2^shift`,
    /// `h = ⌊D/2⌋`, `K = ⌈bound/D⌉` (so that `N = S + h + K·D ≥ 0`), `N_max = bound + h + K·D`,
    /// `t` the least with `2^t > N_max·D`, `m = ⌈2^t/D⌉`: then `⌊N·m/2^t⌋ = ⌊N/D⌋` for every
    /// `0 ≤ N ≤ N_max` (`m·D − 2^t < D` makes the error `N·(m·D − 2^t)/(D·2^t) < 1/D`, below the
    /// gap from `N/D` to the next integer), so the output `⌊N/D⌋ − K` is `round_shift(m·S + c,
    /// t)` with `c = m·(h + K·D) − K·2^t − 2^{t−1}` (`spec/pooling.md`, "Exact division"). `None`
    /// when `d` is 0 or above [`MAX_DIVISOR`], or `t` would exceed 62.
    pub fn division(&self, amax: i64) -> Option<Division> {
        if self.divisor == 1 {
            return Some(Division {
                multiplier: 1,
                offset: 0,
                shift: self.shift,
            });
        }
        if self.divisor == 0 || self.divisor > MAX_DIVISOR || self.shift > 40 {
            return None;
        }
        let d = (self.divisor as u128) << self.shift;
        let bound = self.window_bound(amax) as u128;
        let (h, k) = (d / 2, bound.div_ceil(d));
        let n_max = bound + h + k * d;
        let t = 128 - n_max.checked_mul(d)?.leading_zeros();
        if t > 62 {
            return None;
        }
        let m = (1u128 << t).div_ceil(d);
        let c = (m * (h + k * d)) as i128 - (k << t) as i128 - (1i128 << (t - 1));
        Some(Division {
            multiplier: i64::try_from(m).ok()?,
            offset: i64::try_from(c).ok()?,
            shift: t,
        })
    }
}

/// Residual addition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Add {
    /// The earlier layer whose output is added to the previous layer's output.
    pub from: usize,
    /// Requantization shift.
    pub shift: u32,
    /// The first operand, a tensor ([`Input`]; the previous output when `None`); `from` is
    /// the second. Absent from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Input,
}

/// Element-wise product: `acc[i] = a[i]·b[bcast(i)]` with `a` the first operand and `b`
/// layer `from`'s output, which has `a`'s shape or holds one value per channel of a 3-D `a`
/// (shape `[c]` or `[c, 1, 1]`, broadcast over the spatial positions); then requantization as
/// for [`Add`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mul {
    /// The earlier layer whose output is the second operand `b`.
    pub from: usize,
    /// Requantization shift.
    pub shift: u32,
    /// The first operand `a`, a tensor ([`Input`]; the previous output when `None`). Absent
    /// from the JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Input,
}

/// A layer's kind, for error messages and dispatch without the parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerKind {
    /// [`Layer::Conv2d`].
    Conv2d,
    /// [`Layer::Dense`].
    Dense,
    /// [`Layer::Relu`].
    Relu,
    /// [`Layer::MaxPool2d`].
    MaxPool2d,
    /// [`Layer::AvgPool2d`].
    AvgPool2d,
    /// [`Layer::Flatten`].
    Flatten,
    /// [`Layer::Add`].
    Add,
    /// [`Layer::Concat`].
    Concat,
    /// [`Layer::Activation`].
    Activation,
    /// [`Layer::Mul`].
    Mul,
}

impl LayerKind {
    /// The name used in the JSON `type` tag.
    pub fn name(self) -> &'static str {
        match self {
            LayerKind::Conv2d => "Conv2d",
            LayerKind::Dense => "Dense",
            LayerKind::Relu => "Relu",
            LayerKind::MaxPool2d => "MaxPool2d",
            LayerKind::AvgPool2d => "AvgPool2d",
            LayerKind::Flatten => "Flatten",
            LayerKind::Add => "Add",
            LayerKind::Concat => "Concat",
            LayerKind::Activation => "Activation",
            LayerKind::Mul => "Mul",
        }
    }

    /// Whether the layer ends with `round_shift` (Conv2d, Dense, AvgPool2d, Add, Mul).
    pub fn requantizes(self) -> bool {
        matches!(
            self,
            LayerKind::Conv2d
                | LayerKind::Dense
                | LayerKind::AvgPool2d
                | LayerKind::Add
                | LayerKind::Mul
        )
    }
}

impl fmt::Display for LayerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Layer {
    /// The layer's kind.
    pub fn kind(&self) -> LayerKind {
        match self {
            Layer::Conv2d(_) => LayerKind::Conv2d,
            Layer::Dense(_) => LayerKind::Dense,
            Layer::Relu { .. } => LayerKind::Relu,
            Layer::MaxPool2d(_) => LayerKind::MaxPool2d,
            Layer::AvgPool2d(_) => LayerKind::AvgPool2d,
            Layer::Flatten { .. } => LayerKind::Flatten,
            Layer::Add(_) => LayerKind::Add,
            Layer::Concat(_) => LayerKind::Concat,
            Layer::Activation(_) => LayerKind::Activation,
            Layer::Mul(_) => LayerKind::Mul,
        }
    }

    /// The requantization shift, for the layers that requantize.
    pub fn shift(&self) -> Option<u32> {
        match self {
            Layer::Conv2d(c) => Some(c.shift),
            Layer::Dense(d) => Some(d.shift),
            Layer::AvgPool2d(a) => Some(a.shift),
            Layer::Add(a) => Some(a.shift),
            Layer::Mul(m) => Some(m.shift),
            Layer::Relu { .. }
            | Layer::MaxPool2d(_)
            | Layer::Flatten { .. }
            | Layer::Concat(_)
            | Layer::Activation(_) => None,
        }
    }

    /// `max(x, 0)` of the previous layer's output.
    pub const RELU: Layer = Layer::Relu { input: None };

    /// Flatten of the previous layer's output.
    pub const FLATTEN: Layer = Layer::Flatten { input: None };

    /// The tensors layer `index` reads, in operand order (tensor `0` the model's input, `ℓ + 1`
    /// layer `ℓ`'s output): its `input` or the previous output (`index`) for one-input layers;
    /// for Add and Mul, the first operand then `from + 1`; for Concat, its `inputs`. Not validated
    /// ([`Model::validate`] checks that every one is earlier than `index + 1`).
    pub fn inputs(&self, index: usize) -> Vec<usize> {
        let or_prev = |input: &Input| input.unwrap_or(index);
        match self {
            Layer::Conv2d(Conv2d { input, .. })
            | Layer::Dense(Dense { input, .. })
            | Layer::MaxPool2d(MaxPool2d { input, .. })
            | Layer::AvgPool2d(AvgPool2d { input, .. })
            | Layer::Relu { input }
            | Layer::Activation(Activation { input, .. })
            | Layer::Flatten { input } => vec![or_prev(input)],
            Layer::Add(Add { from, input, .. }) | Layer::Mul(Mul { from, input, .. }) => {
                vec![or_prev(input), from.saturating_add(1)]
            }
            Layer::Concat(Concat { inputs }) => inputs.clone(),
        }
    }

    /// The tensor a one-input layer (or Add's first operand) reads; `None` for Concat.
    pub fn input(&self, index: usize) -> Option<usize> {
        match self {
            Layer::Concat(_) => None,
            _ => self.inputs(index).first().copied(),
        }
    }

    /// Sets the requantization shift; no effect on layers that do not requantize.
    pub fn set_shift(&mut self, shift: u32) {
        match self {
            Layer::Conv2d(c) => c.shift = shift,
            Layer::Dense(d) => d.shift = shift,
            Layer::AvgPool2d(a) => a.shift = shift,
            Layer::Add(a) => a.shift = shift,
            Layer::Mul(m) => m.shift = shift,
            Layer::Relu { .. }
            | Layer::MaxPool2d(_)
            | Layer::Flatten { .. }
            | Layer::Concat(_)
            | Layer::Activation(_) => {}
        }
    }
}

impl Model {
    /// Whether every layer reads only the previous layer's output (and Add an earlier layer's):
    /// a chain, as every model was before DAGs.
    pub fn is_chain(&self) -> bool {
        self.layers.iter().enumerate().all(|(i, l)| match l {
            Layer::Concat(_) => false,
            _ => l.input(i) == Some(i),
        })
    }

    /// The weights and biases this model holds (0 for an architecture, which holds none).
    pub fn parameters(&self) -> usize {
        self.layers
            .iter()
            .map(|l| match l {
                Layer::Conv2d(c) => c.weights.len() + c.bias.len(),
                Layer::Dense(d) => d.weights.len() + d.bias.len(),
                _ => 0,
            })
            .sum()
    }

    /// The biases' range `[−2^{β−1}, 2^{β−1} − 1]` for `β = bias_bits` (clamped to `1..=32`):
    /// two's complement, as the weights' ([`weight_range`](super::validate::weight_range)).
    pub fn bias_range(&self) -> (i64, i64) {
        super::validate::weight_range(self.bias_bits.clamp(1, MAX_BIAS_BITS))
    }

    /// The fewest bias bits `β ≥ 2` that hold every bias of the model (at most 32 when every
    /// bias is in `[−2^31, 2^31)`): what `import` writes into [`Model::bias_bits`].
    pub fn tight_bias_bits(&self) -> u32 {
        let need = |b: i64| {
            // b ∈ [−2^{β−1}, 2^{β−1}) ⟺ β − 1 ≥ bits of (b if b ≥ 0 else −b − 1).
            let m = if b >= 0 { b } else { -(b + 1) };
            65 - m.leading_zeros()
        };
        self.layers
            .iter()
            .flat_map(|l| match l {
                Layer::Conv2d(c) => c.bias.as_slice(),
                Layer::Dense(d) => d.bias.as_slice(),
                _ => &[],
            })
            .map(|&b| need(b))
            .max()
            .unwrap_or(0)
            .clamp(2, MAX_BIAS_BITS)
    }
}

impl Quantization {
    /// The model's integer input for a real input: `round(x · 2^input_frac_bits)` (halves away
    /// from zero), clamped to `[−(2^{B−1}−1), 2^{B−1}−1]` with `B = activation_bits`. NaN maps to
    /// 0.
    pub fn quantize_input(&self, x: &[f32], activation_bits: u32) -> Vec<i64> {
        let max = ((1i64 << activation_bits.clamp(1, 62).saturating_sub(1)) - 1) as f64;
        let scale = 2f64.powi(self.input_frac_bits);
        x.iter()
            .map(|&v| {
                let q = (v as f64 * scale).round();
                if q.is_nan() {
                    0
                } else {
                    q.clamp(-max, max) as i64
                }
            })
            .collect()
    }

    /// The real values a proven integer output stands for: `y · 2^−output_frac_bits`.
    pub fn dequantize_output(&self, y: &[i64]) -> Vec<f64> {
        let scale = 2f64.powi(-self.output_frac_bits);
        y.iter().map(|&v| v as f64 * scale).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{AvgPool2d, Division, Quantization, MAX_DIVISOR};

    #[test]
    fn quantizes_and_dequantizes() {
        let q = Quantization {
            input_frac_bits: 4,
            output_frac_bits: 3,
            outside: vec![],
        };
        let x = [0.5, -0.53, 100.0, -100.0, f32::NAN, 0.03125, -0.03125];
        assert_eq!(q.quantize_input(&x, 8), vec![8, -8, 127, -127, 0, 1, -1]);
        assert_eq!(q.dequantize_output(&[8, -3]), vec![1.0, -0.375]);
    }

    /// The exact division's requantization equals `⌊(S + ⌊D/2⌋)/D⌋` for every window sum in
    /// range (exhaustively), for odd and even divisors, with and without a shift, at 8 and 12
    /// activation bits; a divisor of 1 is the plain shift; out-of-range divisors are refused.
    #[test]
    fn exact_division_matches_integer_division_on_every_sum() {
        use crate::model::{round_shift, validate::max_abs};
        for (size, divisor, shift, bits) in [
            (3, 9, 0, 8),
            (7, 49, 0, 8),
            (7, 49, 2, 8),
            (5, 25, 1, 12),
            (6, 9, 2, 8),
            (3, 3, 0, 8),
            (2, 7, 0, 8),
        ] {
            let pool = AvgPool2d {
                size,
                stride: size,
                shift,
                divisor,
                input: None,
            };
            let bound = pool.window_bound(max_abs(bits));
            let d = pool.division(max_abs(bits)).unwrap();
            assert!(d.multiplier >= 1 && d.shift <= 62);
            let big = (divisor as i64) << shift;
            for sum in -(bound as i64)..=bound as i64 {
                let want = (sum + big / 2).div_euclid(big);
                let got = round_shift(sum * d.multiplier + d.offset, d.shift);
                assert_eq!(got, want, "S = {sum}, D = {divisor}·2^{shift}");
            }
        }
        let plain = AvgPool2d {
            size: 2,
            stride: 2,
            shift: 2,
            divisor: 1,
            input: None,
        };
        assert_eq!(
            plain.division(127),
            Some(Division {
                multiplier: 1,
                offset: 0,
                shift: 2
            })
        );
        for divisor in [0, MAX_DIVISOR + 1] {
            assert_eq!(
                AvgPool2d {
                    divisor,
                    ..plain.clone()
                }
                .division(127),
                None
            );
        }
    }
}
