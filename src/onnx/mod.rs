//! ONNX import: a float ONNX CNN becomes a quantized [`Model`], calibrated on sample inputs,
//! with a report of what became of every node and of float-versus-quantized agreement.
//!
//! Three steps:
//!
//! 1. [`proto`] decodes the protobuf (a hand-written `prost` subset of `onnx.proto`);
//! 2. the graph is read into a chain of float layers that mirrors the IR's layers
//!    (`graph.rs`, with `attrs.rs` and `tensor.rs` reading attributes and constants): Conv, Gemm, MatMul, Relu, MaxPool, AveragePool, GlobalAveragePool, Flatten,
//!    Reshape (as a flatten), Add (residual, or a constant folded into the preceding bias);
//!    BatchNormalization is folded into the preceding Conv; Dropout and Identity are dropped;
//!    Softmax and ArgMax at the end are recorded in [`Quantization::outside`](crate::model::Quantization::outside) and run outside
//!    the proof, on the proven output. Anything else — an operator, an attribute value, a graph
//!    shape the IR cannot express — is an [`OnnxError`] naming the node, its op type and what
//!    is supported; nothing changes meaning silently;
//! 3. the float chain is quantized with power-of-two scales (`quantize.rs`): weights get
//!    `f_w = ⌊log2((2^{W−1}−1) / max|w|)⌋` fraction bits per tensor, each activation the most
//!    fraction bits `f` with `max|x| · 2^f ≤ 2^{B−1}−1` over the calibration set, biases are at
//!    the accumulator scale `f_in + f_w`, and a layer's shift is `f_in + f_w − f_out`. The two
//!    operands of a residual Add share one scale. Integer inference then runs on the calibration
//!    set, and a layer that overflows loses a fraction bit until none does.
//!
//! [`import`] returns the model and an [`ImportReport`]; [`evaluate_float`] runs the imported
//! float graph (before Softmax/ArgMax) for comparisons. `spec/onnx-import.md` has the details
//! and the measured agreement on the fixtures.

mod attrs;
mod float;
mod graph;
pub mod proto;
mod quantize;
mod tensor;

use serde::Serialize;

use crate::model::{Model, ModelError};

/// What [`import`] calibrates and measures on.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Calibration inputs, each in the model's input shape, row-major (batch dimension dropped).
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
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            calibration: Vec::new(),
            evaluation: None,
            activation_bits: 8,
            weight_bits: 8,
            name: None,
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
    /// Folded into layer `layer` (BatchNormalization into a Conv, a constant Add into a bias).
    FoldedInto {
        /// The layer index.
        layer: usize,
    },
    /// The identity at inference (Dropout, Identity, a Flatten of a flat tensor).
    Dropped,
    /// A constant, used as a parameter of other nodes.
    Constant,
    /// Applied outside the proof to the proven output (Softmax, ArgMax).
    OutsideProof,
}

/// One node of the ONNX graph and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeReport {
    /// The node's name (`#i` for the `i`-th node when it has none).
    pub name: String,
    /// Its op type.
    pub op_type: String,
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
pub const SUPPORTED_OPS: &str = "Conv, Gemm, MatMul, Relu, MaxPool, AveragePool, \
GlobalAveragePool, Flatten, Reshape (flatten only), Add, BatchNormalization (after a Conv), \
Dropout, Identity, Constant, and Softmax/ArgMax at the end";

/// Why an ONNX model cannot be imported. Errors about a node name it (`#i` when unnamed) and
/// its op type.
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
    /// An operator the import does not support.
    #[error("node {node} ({op_type}): unsupported operator (domain {domain:?}); supported: {SUPPORTED_OPS}")]
    UnsupportedOp {
        /// The node.
        node: String,
        /// Its op type.
        op_type: String,
        /// Its domain (empty for the default ONNX domain).
        domain: String,
    },
    /// An attribute value (or an unknown attribute) the import cannot express.
    #[error(
        "node {node} ({op_type}): attribute {attribute} = {value} is not supported; {supported}"
    )]
    UnsupportedAttribute {
        /// The node.
        node: String,
        /// Its op type.
        op_type: String,
        /// The attribute's name.
        attribute: String,
        /// Its value as found.
        value: String,
        /// What is supported.
        supported: String,
    },
    /// A use of a supported operator that the IR cannot express (a Reshape that is not a
    /// flatten, a branch that is not a residual, an operator after Softmax, …).
    #[error("node {node} ({op_type}): {what}")]
    Unsupported {
        /// The node.
        node: String,
        /// Its op type.
        op_type: String,
        /// What, and what is supported.
        what: String,
    },
    /// A node's input is missing or malformed (unknown tensor, wrong shape or type of a
    /// constant, …).
    #[error("node {node} ({op_type}): input {tensor:?}: {what}")]
    BadInput {
        /// The node.
        node: String,
        /// Its op type.
        op_type: String,
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
    #[error("node {node} ({op_type}): cannot quantize: {what}")]
    Quantization {
        /// The node.
        node: String,
        /// Its op type.
        op_type: String,
        /// Why.
        what: String,
    },
    /// The imported model cannot be proven: a layer the prover does not support (a 3×3
    /// max-pool, …) or a size beyond the proof system's limits. Checked on the architecture
    /// right after the graph is read, before calibration, and on the quantized model.
    #[error("{at}: cannot be proven: {what}")]
    Unprovable {
        /// `node <name> (<op type>)` of the offending layer, or `the graph input`, or `the model`.
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
    /// The quantized model failed validation (a bug in the import if it happens).
    #[error("the imported model is invalid: {0}")]
    Model(#[from] ModelError),
}

/// Imports an ONNX model: reads the graph, calibrates the scales on `options.calibration`,
/// quantizes, and measures float-versus-quantized agreement (on `options.evaluation` when
/// given, else on the calibration set).
pub fn import(onnx: &[u8], options: &ImportOptions) -> Result<Imported, OnnxError> {
    let model = decode(onnx)?;
    let graph = graph::read(&model)?;
    quantize::quantize(&graph, options)
}

/// The model's input shape without the batch dimension: `[C, H, W]` or `[features]`.
pub fn input_shape(onnx: &[u8]) -> Result<Vec<usize>, OnnxError> {
    let model = decode(onnx)?;
    let graph = model.graph.as_ref().ok_or(OnnxError::NoGraph)?;
    graph::input(graph).map(|(_, shape)| shape)
}

/// The imported float graph's output on one input (row-major, in [`input_shape`]), before any
/// Softmax/ArgMax: BatchNormalization folded, Dropout and Identity dropped, computed in `f32`.
pub fn evaluate_float(onnx: &[u8], input: &[f32]) -> Result<Vec<f32>, OnnxError> {
    let model = decode(onnx)?;
    let graph = graph::read(&model)?;
    graph.check_sample("input", 0, input)?;
    Ok(float::output(&graph, input))
}

/// The most memory decoding may take: twice the file (weights take their size) and 64 MiB.
fn max_decoded_bytes(len: usize) -> u64 {
    (len as u64).saturating_mul(2).saturating_add(64 << 20)
}

fn decode(onnx: &[u8]) -> Result<proto::ModelProto, OnnxError> {
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
