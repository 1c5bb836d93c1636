//! The model IR: the types a JSON model file deserializes into.

use serde::{Deserialize, Serialize};

/// A quantized CNN: an input shape and a chain of layers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// A name for people (not part of the proof statement's semantics, but bound by the digest).
    pub name: String,
    /// The input tensor's shape: `[channels, height, width]` or `[features]`.
    pub input_shape: Vec<usize>,
    /// `B`: activations lie in `(−2^{B−1}, 2^{B−1})`. 2 to 16.
    pub activation_bits: u32,
    /// `W`: weights lie in `(−2^{W−1}, 2^{W−1})`. 2 to 16.
    pub weight_bits: u32,
    /// The layers, applied in order; layer `i` reads layer `i − 1`'s output (the input for 0).
    pub layers: Vec<Layer>,
}

/// One layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Layer {
    /// 2-D convolution with zero padding, then requantization.
    Conv2d(Conv2d),
    /// Fully connected, then requantization. Reads a 1-D tensor.
    Dense(Dense),
    /// `max(x, 0)` elementwise.
    Relu,
    /// Max over `size × size` windows (floor mode, no padding).
    MaxPool2d(MaxPool2d),
    /// Sum over `size × size` windows (floor mode, no padding), then requantization.
    AvgPool2d(AvgPool2d),
    /// `[c, h, w]` to `[c·h·w]`, row-major.
    Flatten,
    /// Residual: the previous output plus layer `from`'s output (same shape), then
    /// requantization.
    Add(Add),
}

/// 2-D convolution: `acc[o][y][x] = b[o] + Σ_{i,dy,dx} w[o][i][dy][dx] · in[i][y·s+dy−p][x·s+dx−p]`
/// (zero outside the input).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Weights, row-major `[out_channels][in_channels][kernel_h][kernel_w]`.
    pub weights: Vec<i64>,
    /// One bias per output channel, at the accumulator's scale.
    pub bias: Vec<i64>,
    /// Requantization shift.
    pub shift: u32,
}

/// Fully connected: `acc[o] = b[o] + Σ_i w[o][i] · in[i]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// Max pooling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaxPool2d {
    /// Window side.
    pub size: usize,
    /// Stride.
    pub stride: usize,
}

/// Average pooling as a window sum followed by requantization by `shift`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvgPool2d {
    /// Window side.
    pub size: usize,
    /// Stride.
    pub stride: usize,
    /// Requantization shift (`2·log2(size)` for a true average over a power-of-two window).
    pub shift: u32,
}

/// Residual addition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Add {
    /// The earlier layer whose output is added to the previous layer's output.
    pub from: usize,
    /// Requantization shift.
    pub shift: u32,
}
