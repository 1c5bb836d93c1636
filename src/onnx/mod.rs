//! ONNX import: a float ONNX CNN becomes a quantized [`Model`], calibrated on sample inputs,
//! with a report of what became of every node and of float-versus-quantized agreement.
//!
//! Three steps:
//!
//! 1. [`proto`] decodes the protobuf (a hand-written `prost` subset of `onnx.proto`), and
//!    `external.rs` reads the tensors stored in side files (external data, as torch's exporter
//!    writes `model.onnx.data`), every location and range checked before reading;
//! 2. the graph is read into a chain of float layers that mirrors the IR's layers
//!    (`graph.rs`, with `attrs.rs` and `tensor.rs` reading attributes and constants): Conv
//!    (also grouped and depthwise: `group` dividing both channel counts), Gemm, MatMul, Relu, MaxPool (any square window and stride, `pads` and `ceil_mode`:
//!    padding never wins, and trailing-only padding such as Keras's `same` becomes ceil mode),
//!    AveragePool, GlobalAveragePool and ReduceMean over the height and width (the IR's
//!    average pool over a square window without padding, an exact division when its area is
//!    not a power of two; else a depthwise convolution of weights `1/k²`),
//!    a zero Pad of the height and width (added to the padding of the Conv or pool that reads
//!    it; before a MaxPool only on a non-negative input), Flatten, Reshape (as a
//!    flatten, or dropped when it keeps the shape), Add of two activations (residual), Mul of
//!    two activations (element-wise, or by a per-channel `[C, 1, 1]` operand in either order:
//!    squeeze-and-excitation; `Mul(x, Sigmoid(x))` is fused into a SiLU first);
//!    BatchNormalization and Add/Sub/Mul/Div of an activation and a scalar or per-channel
//!    constant are a per-channel affine map, folded into the preceding Conv or Gemm/MatMul
//!    when nothing else reads its output, else a depthwise 1×1 convolution; Dropout and
//!    Identity are dropped; the shape arithmetic exporters write around a flatten (Shape,
//!    Gather, Slice, Concat, Unsqueeze, Squeeze, Cast, ConstantOfShape, integer Add/Mul/Div,
//!    …) is folded into constants (`fold.rs`); the Transposes between NHWC and NCHW of
//!    tf2onnx's Keras exports are absorbed (at the input, and before a Flatten into the next
//!    Gemm/MatMul's weights); a run of linear nodes with constant parameters
//!    on an activation (Transpose, GatherND, Gather, Where with a constant mask, ReduceMean,
//!    Add, Div by constants, …: torch's adaptive average pool that upsamples) is a fixed
//!    linear map absorbed into the weights of the Gemm/MatMul that reads it flat
//!    (`linear.rs`, `graph/absorb.rs`); Softmax and ArgMax at the end are recorded in
//!    [`Quantization::outside`](crate::model::Quantization::outside) and run outside the
//!    proof, on the proven output. Anything else — an operator, an attribute value, a graph
//!    shape the IR cannot express — is an [`OnnxError`] naming the node ([`NodeRef`]: name,
//!    op type, first output) and what is supported; nothing changes meaning silently;
//! 3. the float chain is quantized with power-of-two scales (`quantize.rs`): weights get
//!    `f_w = ⌊log2((2^{W−1}−1) / max|w|)⌋` fraction bits per tensor, each activation the most
//!    fraction bits `f` with `max|x| · 2^f ≤ 2^{B−1}−1` over the calibration set, biases are at
//!    the accumulator scale `f_in + f_w`, and a layer's shift is `f_in + f_w − f_out`. The two
//!    operands of a residual Add share one scale; a Mul's output has its own, with shift
//!    `f_a + f_b − f_out`. Integer inference then runs on the calibration
//!    set, and a layer that overflows loses a fraction bit until none does.
//!
//! [`import`] (or [`import_with_external_data`] for a model with side files) returns the model
//! and an [`ImportReport`]; [`evaluate_float`] runs the imported float graph (before
//! Softmax/ArgMax) for comparisons. `spec/onnx-import.md` has the details and the measured
//! agreement on the fixtures.

mod attrs;
mod external;
mod float;
mod fold;
mod graph;
mod linear;
pub mod proto;
mod quantize;
mod tensor;

use std::path::Path;

use serde::Serialize;

pub use external::{ExternalDataError, MAX_EXTERNAL_BYTES};

use crate::model::{Model, ModelError};

/// What [`import`] calibrates and measures on.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Calibration inputs, each in the model's input shape ([`input_shape`]: NCHW `[C, H, W]`
    /// even for a graph whose input is NHWC), row-major (batch dimension dropped).
    pub calibration: Vec<Vec<f32>>,
    /// A labelled set (inputs, labels) on which float and quantized accuracy are measured; the
    /// agreement is measured on it when given, else on the calibration set.
    pub evaluation: Option<(Vec<Vec<f32>>, Vec<usize>)>,
    /// `B`: activation bits of the quantized model (default 8).
    pub activation_bits: u32,
    /// `W`: weight bits of the quantized model (default 8).
    pub weight_bits: u32,
    /// The model's name (default: the ONNX graph's name, else `onnx-model`).
    pub name: Option<String>,
    /// Saturating requantization ([`crate::model::Model::saturate`], int8 inference
    /// semantics): every requantized value is clipped to the activation range instead of
    /// refusing the input. Off by default (opt-in); both proof kinds prove it.
    pub saturate: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            calibration: Vec::new(),
            evaluation: None,
            activation_bits: 8,
            weight_bits: 8,
            name: None,
            saturate: false,
        }
    }
}

/// Float versus quantized outputs on a set of inputs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Agreement {
    /// Inputs compared.
    pub samples: usize,
    /// Fraction of inputs whose quantized top-1 class (argmax of the integer output, first
    /// index on ties) equals the float model's.
    pub top1_match_rate: f64,
    /// Largest `|dequantized quantized output − float output|` over all inputs and outputs.
    pub max_logit_error: f64,
    /// Float top-1 accuracy, when labels were given.
    pub float_accuracy: Option<f64>,
    /// Quantized top-1 accuracy, when labels were given.
    pub quantized_accuracy: Option<f64>,
    /// Inputs on which quantized inference overflowed the activation range (no proof possible
    /// on them); counted as mismatches and as wrong.
    pub overflows: usize,
}

/// What became of one ONNX node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum NodeOutcome {
    /// It became layer `layer` of the model.
    Layer {
        /// The layer index.
        layer: usize,
    },
    /// Folded into layer `layer` (BatchNormalization or a constant Add/Sub/Mul/Div into a Conv
    /// or Dense).
    FoldedInto {
        /// The layer index.
        layer: usize,
    },
    /// The identity at inference (Dropout, Identity, a Flatten of a flat tensor, a Reshape to
    /// the same shape, a Cast of a float activation to FLOAT).
    Dropped,
    /// A zero `Pad` of the height and width, added to the padding of the Conv, AveragePool or
    /// MaxPool that reads it (no layer).
    Padding,
    /// A constant (a `Constant` node, or shape arithmetic on constants and on the static
    /// shapes of activations, folded at import), used as a parameter of other nodes.
    Constant,
    /// Applied outside the proof to the proven output (Softmax, ArgMax).
    OutsideProof,
    /// A Transpose between NCHW and NHWC, absorbed (no layer): of the graph input (the
    /// imported model takes its input in NCHW, `[C, H, W]`), or before a Flatten (the next
    /// Gemm/MatMul's weight columns are permuted to NCHW order), or back.
    Layout,
    /// A node of a fixed linear map of an activation with constant parameters (the index
    /// arithmetic torch writes for an adaptive average pool that upsamples: Transpose,
    /// GatherND, Gather, Where with a constant mask, ReduceMean, Add, Div by constants, …),
    /// absorbed into the weights of the Gemm/MatMul that reads it (no layer).
    LinearMap,
}

/// One node of the ONNX graph and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeReport {
    /// The node's name (`#i` for the `i`-th node when it has none).
    pub name: String,
    /// Its op type.
    pub op_type: String,
    /// Its first output tensor.
    pub output: String,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: NodeOutcome,
}

/// The scales chosen for one layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayerScale {
    /// The layer's kind (`Conv2d`, `Dense`, …).
    pub kind: String,
    /// Fraction bits of the layer's output: a real value `x` is the integer `x · 2^f`.
    pub output_frac_bits: i32,
    /// Fraction bits of the weights (Conv2d and Dense).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_frac_bits: Option<i32>,
    /// The requantization shift (layers that requantize).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shift: Option<u32>,
}

/// What [`import`] did: the fate of every node, the scales, and the agreement figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImportReport {
    /// Every node of the graph, in order.
    pub nodes: Vec<NodeReport>,
    /// Float versus quantized, on the evaluation set if given, else on the calibration set.
    pub agreement: Agreement,
    /// Where the agreement was measured: `evaluation` or `calibration`.
    pub agreement_set: String,
    /// Calibration inputs used.
    pub calibration_samples: usize,
    /// Fraction bits of the model's input.
    pub input_frac_bits: i32,
    /// Fraction bits of the model's output.
    pub output_frac_bits: i32,
    /// Per layer: scales and shift.
    pub layers: Vec<LayerScale>,
    /// Operators run outside the proof on the proven output, in order.
    pub outside: Vec<String>,
}

/// An imported model and its report.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The quantized model (`quantization` is set; it passes [`Model::validate`]).
    pub model: Model,
    /// What the import did and measured.
    pub report: ImportReport,
}

/// The operators the import reads.
pub const SUPPORTED_OPS: &str =
    "Conv (also grouped and depthwise), Gemm, MatMul, Relu, MaxPool (pads, ceil_mode), \
AveragePool (any window; exact division by a non-power-of-two area; zero padding as a depthwise convolution), \
GlobalAveragePool, ReduceMean (over the height and width), Pad (zero, on the height and width, \
before a Conv or pool), Flatten, Reshape (to a flatten or to the same shape), Add (residual), \
Mul of two activations (element-wise, or by a per-channel [C, 1, 1] one: squeeze-and-excitation), \
BatchNormalization, and Add/Sub/Mul/Div of an activation and a scalar or per-channel constant \
(folded into a preceding Conv/Gemm/MatMul, else a depthwise 1x1 convolution), \
Clip, LeakyRelu, PRelu (per-channel slopes as depthwise 1x1 convolutions, ReLUs and an Add), HardSigmoid, HardSwish, Sigmoid, Tanh, Gelu, SiLU as \
Mul(x, Sigmoid(x)) and \
GELU as x*0.5*(1 + Erf(x/sqrt(2))) (activations by table lookup), \
Dropout, Identity, Constant, Softmax/ArgMax at the end, Transpose between NCHW and NHWC (at \
the input, or before a Flatten read by a Gemm/MatMul), and on constants and shapes (folded at \
import): Shape, Gather, Slice, Concat, Unsqueeze, Squeeze, Cast, ConstantOfShape, Transpose, \
Reshape, Flatten, Add, Sub, Mul, Div; and a fixed linear map of an activation (Transpose, \
Gather, GatherND, Slice, Reshape, Flatten, Squeeze, Unsqueeze, ReduceMean, ReduceSum, Mul/Div by a \
constant, Add/Sub of two such maps, Where with a constant condition and a zero branch: an \
adaptive average pool as torch's dynamo exporter writes it) ending in a Gemm/MatMul, absorbed \
into its weights";

/// An ONNX node, as errors name it: its name (`#i` for the `i`-th node of the graph when it
/// has none), its op type and its first output tensor. Displayed as
/// `conv1 (Conv, output "t1")`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeRef {
    /// The node's name, or `#i`.
    pub name: String,
    /// Its op type.
    pub op_type: String,
    /// Its first output tensor (empty when it has none).
    pub output: String,
}

impl std::fmt::Display for NodeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.output.is_empty() {
            write!(f, "{} ({}, no output)", self.name, self.op_type)
        } else {
            write!(
                f,
                "{} ({}, output {:?})",
                self.name, self.op_type, self.output
            )
        }
    }
}

/// Why an ONNX model cannot be imported. Errors about a node name it ([`NodeRef`]: name, op
/// type, first output tensor), never a layer number of the imported model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnnxError {
    /// The bytes are not a protobuf `ModelProto`.
    #[error("not an ONNX model: protobuf decoding failed: {message}")]
    Decode {
        /// prost's message.
        message: String,
    },
    /// Decoded, the protobuf would take far more memory than its size (millions of empty
    /// messages): checked on the wire format before decoding.
    #[error("the {bytes}-byte protobuf would take {decoded} bytes of memory decoded; at most {limit} are allowed for its size (twice the file and 64 MiB)")]
    Bloated {
        /// The file's size.
        bytes: usize,
        /// The memory decoding would take.
        decoded: u64,
        /// The most allowed.
        limit: u64,
    },
    /// The model has no graph, or a graph without nodes.
    #[error("the ONNX model has no graph (or no nodes)")]
    NoGraph,
    /// The model does not import the default ONNX operator set.
    #[error("the ONNX model declares no version of the default operator set (opset_import)")]
    NoOpset,
    /// A tensor's external data (in a side file) cannot be read.
    #[error("tensor {tensor:?}: external data in {location:?}: {problem}")]
    ExternalData {
        /// The tensor: an initializer's name, or `attribute <a> of node <n>`.
        tensor: String,
        /// Its `location` entry as written (relative to the model's directory).
        location: String,
        /// What is wrong.
        problem: ExternalDataError,
    },
    /// An operator the import does not support.
    #[error("node {node}: unsupported operator {op} (domain {domain:?}); supported: {SUPPORTED_OPS}", op = node.op_type)]
    UnsupportedOp {
        /// The node.
        node: Box<NodeRef>,
        /// Its domain (empty for the default ONNX domain).
        domain: String,
    },
    /// An attribute value (or an unknown attribute) the import cannot express.
    #[error("node {node}: attribute {attribute} = {value} is not supported; {supported}")]
    UnsupportedAttribute {
        /// The node.
        node: Box<NodeRef>,
        /// The attribute's name.
        attribute: String,
        /// Its value as found.
        value: String,
        /// What is supported.
        supported: String,
    },
    /// A use of a supported operator that the IR cannot express (a Reshape that is not a
    /// flatten, a branch that is not a residual, an operator after Softmax, shape arithmetic
    /// on a value computed from the input, …).
    #[error("node {node}: {what}")]
    Unsupported {
        /// The node.
        node: Box<NodeRef>,
        /// What, and what is supported.
        what: String,
    },
    /// A node's input is missing or malformed (unknown tensor, wrong shape or type of a
    /// constant, …).
    #[error("node {node}: input {tensor:?}: {what}")]
    BadInput {
        /// The node.
        node: Box<NodeRef>,
        /// The input tensor's name.
        tensor: String,
        /// What is wrong.
        what: String,
    },
    /// The graph's input is not one float tensor of shape `[1, C, H, W]` or `[1, F]`.
    #[error("graph input {name:?}: {what}")]
    GraphInput {
        /// The input's name.
        name: String,
        /// What is wrong, and what is supported.
        what: String,
    },
    /// The graph's output is not the chain's last value.
    #[error("graph output {name:?}: {what}")]
    GraphOutput {
        /// The output's name.
        name: String,
        /// What is wrong.
        what: String,
    },
    /// A layer cannot be quantized (a bias beyond `2^31` at the accumulator scale, scales
    /// that no shift reconciles, overflow at every scale).
    #[error("node {node}: cannot quantize: {what}")]
    Quantization {
        /// The node that made the layer.
        node: Box<NodeRef>,
        /// Why.
        what: String,
    },
    /// The imported model cannot be proven: a layer the prover does not support (a 3×3
    /// max-pool, …) or a size beyond the proof system's limits. Checked on the architecture
    /// right after the graph is read, before calibration, and on the quantized model.
    #[error("{at}: cannot be proven: {what}")]
    Unprovable {
        /// `node <name> (<op type>, output "<tensor>")` of the offending layer, or `the graph
        /// input`, or `the model`.
        at: String,
        /// Why.
        what: String,
    },
    /// An input sample does not have the model's input size.
    #[error("{set} sample {index} has {got} values; the model's input {shape:?} needs {expected}")]
    SampleLength {
        /// `calibration`, `evaluation` or `input`.
        set: &'static str,
        /// The sample's index.
        index: usize,
        /// The model's input shape.
        shape: Vec<usize>,
        /// Values needed.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// The options are unusable (no calibration input, labels that do not match the inputs,
    /// bit widths out of range).
    #[error("import options: {what}")]
    Options {
        /// What is wrong.
        what: String,
    },
    /// The quantized model failed a model-wide validation (a bug in the import if it happens;
    /// a layer's failure is reported as [`OnnxError::Quantization`] naming its node).
    #[error("the imported model is invalid: {0}")]
    Model(#[from] ModelError),
}

/// Imports an ONNX model: reads the graph, calibrates the scales on `options.calibration`,
/// quantizes, and measures float-versus-quantized agreement (on `options.evaluation` when
/// given, else on the calibration set). A model whose tensors live in side files (external
/// data) needs [`import_with_external_data`].
pub fn import(onnx: &[u8], options: &ImportOptions) -> Result<Imported, OnnxError> {
    let model = decode(onnx, None)?;
    let graph = graph::read(&model)?;
    quantize::quantize(&graph, options)
}

/// [`import`] for a model read from a file in `dir`: tensors stored as external data are read
/// from their side files, whose locations are relative to `dir` (see `spec/onnx-import.md`).
pub fn import_with_external_data(
    onnx: &[u8],
    dir: &Path,
    options: &ImportOptions,
) -> Result<Imported, OnnxError> {
    let model = decode(onnx, Some(dir))?;
    let graph = graph::read(&model)?;
    quantize::quantize(&graph, options)
}

/// The model's input shape without the batch dimension: `[C, H, W]` or `[features]`. External
/// data is not read.
pub fn input_shape(onnx: &[u8]) -> Result<Vec<usize>, OnnxError> {
    let model = decode_proto(onnx)?;
    let graph = model.graph.as_ref().ok_or(OnnxError::NoGraph)?;
    graph::input(graph).map(|(_, shape, _)| shape)
}

/// The imported float graph's output on one input (row-major, in [`input_shape`]), before any
/// Softmax/ArgMax, as imported (per-channel affine maps folded or depthwise convolutions,
/// averages with zero padding or over non-square windows as convolutions of weights `1/k²`, Pads as padding,
/// Dropout and Identity dropped), computed in `f32`.
pub fn evaluate_float(onnx: &[u8], input: &[f32]) -> Result<Vec<f32>, OnnxError> {
    let model = decode(onnx, None)?;
    evaluate(&model, input)
}

/// [`evaluate_float`] for a model read from a file in `dir`, with its external data.
pub fn evaluate_float_with_external_data(
    onnx: &[u8],
    dir: &Path,
    input: &[f32],
) -> Result<Vec<f32>, OnnxError> {
    let model = decode(onnx, Some(dir))?;
    evaluate(&model, input)
}

fn evaluate(model: &proto::ModelProto, input: &[f32]) -> Result<Vec<f32>, OnnxError> {
    let graph = graph::read(model)?;
    graph.check_sample("input", 0, input)?;
    Ok(float::output(&graph, input))
}

/// The most memory decoding may take: twice the file (weights take their size) and 64 MiB.
fn max_decoded_bytes(len: usize) -> u64 {
    (len as u64).saturating_mul(2).saturating_add(64 << 20)
}

/// Decodes the model and reads its external data (from `dir`; none allowed without one).
fn decode(onnx: &[u8], dir: Option<&Path>) -> Result<proto::ModelProto, OnnxError> {
    let mut model = decode_proto(onnx)?;
    external::resolve(&mut model, dir)?;
    Ok(model)
}

fn decode_proto(onnx: &[u8]) -> Result<proto::ModelProto, OnnxError> {
    let decoded = proto::decoded_bytes(onnx);
    let limit = max_decoded_bytes(onnx.len());
    if decoded > limit {
        return Err(OnnxError::Bloated {
            bytes: onnx.len(),
            decoded,
            limit,
        });
    }
    <proto::ModelProto as prost::Message>::decode(onnx).map_err(|e| OnnxError::Decode {
        message: e.to_string(),
    })
}
