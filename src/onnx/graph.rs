//! Reads an ONNX graph into a DAG of float layers that mirrors the IR's layers.
//!
//! Nodes are visited in file order (ONNX requires topological order). Every tensor name maps
//! to a value: an activation (the model input or a layer's output, with its shape without the
//! batch dimension), a constant (initializer or `Constant` node), or a value outside the proof
//! (after Softmax/ArgMax). A layer reads any earlier activation (the IR's `input`, absent when
//! it is the previous layer's output, so a chain imports as it always did); an Add of two
//! activations reads both (one must be a layer's output: the IR's `from`), a Concat along
//! channels reads all its inputs.
//!
//! Shape arithmetic on constants and on activations' static shapes is folded as it is read
//! (`fold.rs`): a folded value is a constant like an initializer, so a Reshape whose target
//! shape an exporter computed from `Shape(x)` sees a constant target.

mod absorb;
mod prelu;

use std::collections::HashMap;
use std::rc::Rc;

use absorb::Mapped;

use super::attrs::Attrs;
use super::fold::{self, Binary, Budget};
use super::proto::{data_type, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto};
use super::tensor::{convert, Const, Data};
use super::{NodeOutcome, NodeRef, NodeReport, OnnxError};
use crate::model::MaxPool2d;
use crate::network::plan::MAX_KERNEL_AREA;

/// A float layer, with the IR's semantics (see [`crate::model::Layer`]) and real-valued
/// parameters.
#[derive(Clone, Debug)]
pub(crate) enum FloatLayer {
    Conv {
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        stride: usize,
        padding: usize,
        /// Channel groups (ONNX `group`), dividing both channel counts.
        groups: usize,
        /// Row-major `[out][in / groups][kh][kw]`.
        weights: Vec<f32>,
        bias: Vec<f32>,
    },
    Dense {
        in_features: usize,
        out_features: usize,
        /// Row-major `[out][in]`.
        weights: Vec<f32>,
        bias: Vec<f32>,
    },
    Relu,
    /// The IR's max-pool (padding never wins; floor or ceil mode).
    MaxPool(MaxPool2d),
    /// The true average over `size × size` windows.
    AvgPool {
        size: usize,
        stride: usize,
    },
    Flatten,
    /// The first operand ([`Graph::inputs`]) plus layer `from`'s output.
    Add {
        from: usize,
    },
    /// The first operand ([`Graph::inputs`]) times layer `from`'s output, element-wise (the
    /// same shape) or one value per channel (`[C, 1, 1]` or `[C]`, broadcast over a
    /// `[C, H, W]` first operand).
    Mul {
        from: usize,
    },
    /// Channel concatenation of [`Graph::inputs`].
    Concat,
    /// An element-wise function, proven by table lookup.
    Activation(FloatFunction),
}

impl FloatLayer {
    /// A depthwise 1×1 convolution: channel `c` times `weights[c]` plus `bias[c]` (a
    /// per-channel affine map; one channel per weight).
    pub(crate) fn depthwise_1x1(weights: Vec<f32>, bias: Vec<f32>) -> Self {
        let c = weights.len();
        FloatLayer::Conv {
            in_channels: c,
            out_channels: c,
            kernel: [1, 1],
            stride: 1,
            padding: 0,
            groups: c,
            weights,
            bias,
        }
    }
}

/// An element-wise function with real parameters (ONNX's definitions); quantized into a
/// [`crate::model::activation::Function`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FloatFunction {
    /// `clamp(x, min, max)`; an absent bound is infinite.
    Clip { min: f32, max: f32 },
    /// `x` for `x ≥ 0`, else `alpha·x`.
    LeakyRelu { alpha: f32 },
    /// `clamp(alpha·x + beta, 0, 1)`.
    HardSigmoid { alpha: f32, beta: f32 },
    /// `x·clamp(x/6 + 1/2, 0, 1)`.
    HardSwish,
    /// `1 / (1 + e^{−x})`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `x·sigmoid(x)` (a `Mul` of a tensor and its Sigmoid).
    Silu,
    /// `x·(1 + erf(x/√2))/2`, or its tanh approximation (`tanh`).
    Gelu { tanh: bool },
}

impl FloatFunction {
    /// The function at `x`, in `f32` (the float reference).
    pub(crate) fn apply(&self, x: f32) -> f32 {
        let sigmoid = |x: f32| 1.0 / (1.0 + (-x).exp());
        match *self {
            FloatFunction::Clip { min, max } => x.max(min).min(max),
            FloatFunction::LeakyRelu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha * x
                }
            }
            FloatFunction::HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
            FloatFunction::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
            FloatFunction::Sigmoid => sigmoid(x),
            FloatFunction::Tanh => x.tanh(),
            FloatFunction::Silu => x * sigmoid(x),
            // std has no erf: the table's own (deterministic, f64) erf.
            FloatFunction::Gelu { tanh: false } => crate::model::activation::gelu(x as f64) as f32,
            FloatFunction::Gelu { tanh: true } => {
                crate::model::activation::gelu_tanh(x as f64) as f32
            }
        }
    }

    /// Whether the output keeps the input's scale (no requantization: Clip, LeakyRelu).
    pub(crate) fn keeps_scale(&self) -> bool {
        matches!(
            self,
            FloatFunction::Clip { .. } | FloatFunction::LeakyRelu { .. }
        )
    }

    /// The largest output magnitude whatever the input, for the bounded functions (their
    /// natural range sets the output scale).
    pub(crate) fn bound(&self) -> Option<f64> {
        match self {
            FloatFunction::HardSigmoid { .. } | FloatFunction::Sigmoid | FloatFunction::Tanh => {
                Some(1.0)
            }
            _ => None,
        }
    }

    /// Whether every output is non-negative.
    fn non_negative(&self) -> bool {
        match *self {
            FloatFunction::Clip { min, .. } => min >= 0.0,
            FloatFunction::HardSigmoid { .. } | FloatFunction::Sigmoid => true,
            _ => false,
        }
    }
}

/// The graph as a DAG of float layers.
#[derive(Clone, Debug)]
pub(crate) struct Graph {
    pub name: String,
    /// `[C, H, W]` or `[F]`.
    pub input_shape: Vec<usize>,
    pub layers: Vec<FloatLayer>,
    /// `inputs[i]`: the tensors layer `i` reads, in operand order (tensor 0 the input, `l + 1`
    /// layer `l`'s output), as [`crate::model::Layer::inputs`] gives them.
    pub inputs: Vec<Vec<usize>>,
    /// `shapes[i]`: layer `i`'s output shape.
    pub shapes: Vec<Vec<usize>>,
    /// `layer_node[i]`: the node that made layer `i`.
    pub layer_node: Vec<NodeRef>,
    pub nodes: Vec<NodeReport>,
    /// Operators applied outside the proof, in order.
    pub outside: Vec<String>,
}

impl Graph {
    /// Checks that a sample has the input's number of values.
    pub fn check_sample(
        &self,
        set: &'static str,
        index: usize,
        sample: &[f32],
    ) -> Result<(), OnnxError> {
        let expected = self.input_shape.iter().product::<usize>();
        if sample.len() != expected {
            return Err(OnnxError::SampleLength {
                set,
                index,
                shape: self.input_shape.clone(),
                expected,
                got: sample.len(),
            });
        }
        Ok(())
    }
}

/// An activation: the model input (`layer: None`) or layer `layer`'s output, as the graph sees
/// it (`shape`, without the batch dimension) and how it lies in the IR's tensor (`layout`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Act {
    layer: Option<usize>,
    shape: Vec<usize>,
    layout: Layout,
}

/// How an activation's values lie in the IR's tensor, which is always `[C, H, W]` (NCHW) or
/// flat. Keras models exported by tf2onnx compute in NHWC around NCHW convolutions: a
/// Transpose of the input to NCHW, and a Transpose to NHWC before the Flatten that feeds a
/// Dense layer. Those Transposes move no data here: they change the layout, the Flatten keeps
/// the NHWC order as [`Layout::FlatNhwc`], and the Gemm/MatMul that reads it has its weight
/// columns permuted to the IR's NCHW order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// As the IR holds it.
    Ir,
    /// The graph sees `[H, W, C]` (NHWC); the IR holds `[C, H, W]`.
    Nhwc,
    /// The graph sees the NHWC flattening of the IR's `[c, h, w]` tensor, which the IR holds
    /// flattened in NCHW order.
    FlatNhwc { c: usize, h: usize, w: usize },
}

impl Act {
    /// The tensor index: 0 for the graph's input, `l + 1` for layer `l`'s output.
    fn tensor(&self) -> usize {
        self.layer.map_or(0, |l| l + 1)
    }

    fn ir(layer: Option<usize>, shape: Vec<usize>) -> Self {
        Act {
            layer,
            shape,
            layout: Layout::Ir,
        }
    }
}

#[derive(Clone, Debug)]
enum Value<'a> {
    Act(Act),
    /// A zero `Pad` of an activation's height and width, `[top, left, bottom, right]`: no
    /// layer; the Conv, AveragePool or MaxPool that reads it adds it to its padding.
    Padded(Act, [usize; 4]),
    Const(ConstVal<'a>),
    Outside,
    /// A channel permutation or selection of an activation in the IR's layout `[C, H, W]`
    /// (ShuffleNet's channel shuffle, a `Split` or channel `Slice`): channel `j` of the value is
    /// channel `map[j]` of the activation. No layer: a Conv with one group that reads it takes
    /// the map into its weights; any other reader reads a 1×1 convolution of 0/1 weights
    /// ([`Builder::select_channels`]).
    Channels(Act, Rc<[usize]>),
    /// The 5-D view `[1, g, C/g, H, W]` of an activation `[C, H, W]` that a channel shuffle
    /// reshapes to (`swapped`: after its Transpose `[0, 2, 1, 3, 4]`, `[1, C/g, g, H, W]`);
    /// only that Transpose and the Reshape back to `[1, C, H, W]` may read it.
    Grouped {
        act: Act,
        groups: usize,
        swapped: bool,
    },
    /// A fixed linear map of an activation (the index arithmetic of an adaptive average pool
    /// that upsamples): only the operators that extend it and a Gemm or MatMul that absorbs
    /// it into its weights may read it (`graph/absorb.rs`).
    Linear(Rc<Mapped>),
}

/// How the columns of a Gemm/MatMul's weights relate to the IR's Dense input.
enum Columns {
    /// The input is a flat activation in this layout.
    Layout(Layout),
    /// The input is a fixed linear map of an activation, absorbed into the weights.
    Map(Rc<Mapped>),
}

/// What folding a node gives.
enum Folded {
    Const(Const),
    /// The node is the identity on this activation (a Cast of a float activation to FLOAT).
    Identity(Act),
}

/// A constant: a tensor of the file (converted when read), or one folded at import.
#[derive(Clone, Debug)]
enum ConstVal<'a> {
    Proto(&'a TensorProto),
    Folded(Rc<Const>),
}

/// The node being read, for error messages.
pub(crate) struct Ctx {
    /// Its name, or `#i`.
    pub node: String,
    pub op: String,
    /// Its first output tensor.
    pub output: String,
}

impl Ctx {
    pub(crate) fn node_ref(&self) -> NodeRef {
        NodeRef {
            name: self.node.clone(),
            op_type: self.op.clone(),
            output: self.output.clone(),
        }
    }

    pub(crate) fn unsupported(&self, what: impl Into<String>) -> OnnxError {
        OnnxError::Unsupported {
            node: Box::new(self.node_ref()),
            what: what.into(),
        }
    }

    pub(crate) fn bad_input(&self, tensor: &str, what: impl Into<String>) -> OnnxError {
        OnnxError::BadInput {
            node: Box::new(self.node_ref()),
            tensor: tensor.to_string(),
            what: what.into(),
        }
    }

    pub(crate) fn attribute(&self, attribute: &str, value: String, supported: &str) -> OnnxError {
        OnnxError::UnsupportedAttribute {
            node: Box::new(self.node_ref()),
            attribute: attribute.to_string(),
            value,
            supported: supported.to_string(),
        }
    }

    /// A failed constant fold.
    fn fold(&self, what: String) -> OnnxError {
        self.unsupported(format!("cannot fold the constant: {what}"))
    }
}

/// The GELU as the legacy (TorchScript) exporter writes it for opsets before 20:
/// `Div(x, √2) → Erf → Add(·, 1) → Mul(x, ·) → Mul(·, 0.5)` (the commutative operands in
/// either order, the constants scalars within `10^−4`), each intermediate read by the next
/// node only. Keyed by the Div's index: the indices of the other four nodes.
fn erf_gelus(graph: &GraphProto, consumers: &HashMap<&str, usize>) -> HashMap<usize, [usize; 4]> {
    let nodes = &graph.node;
    let op = |i: usize| nodes[i].op_type.as_deref().unwrap_or("");
    let producer: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.output.iter().map(move |o| (o.as_str(), i)))
        .collect();
    // A scalar constant: an initializer, or a Constant node's `value` or `value_float`.
    let scalar = |name: &str| -> Option<f32> {
        let tensor = match graph
            .initializer
            .iter()
            .find(|t| t.name.as_deref() == Some(name))
        {
            Some(t) => t,
            None => {
                let n = &nodes[*producer.get(name)?];
                if n.op_type.as_deref() != Some("Constant") {
                    return None;
                }
                let a = n.attribute.first()?;
                match a.name.as_deref() {
                    Some("value_float") => return a.f,
                    Some("value") => a.t.as_ref()?,
                    _ => return None,
                }
            }
        };
        match convert(tensor).ok()?.data {
            Data::F32(v) if v.len() == 1 => Some(v[0]),
            _ => None,
        }
    };
    let near = |name: &str, want: f32| scalar(name).is_some_and(|v| (v - want).abs() < 1e-4);
    let once = |name: &str| consumers.get(name) == Some(&1);
    // The one reader of `name`, a node `kind` whose other operand satisfies `other`.
    let reader = |name: &str, kind: &str, other: &dyn Fn(&str) -> bool| -> Option<usize> {
        if !once(name) {
            return None;
        }
        let (i, n) = nodes
            .iter()
            .enumerate()
            .find(|(_, n)| n.input.iter().any(|s| s == name))?;
        if n.op_type.as_deref() != Some(kind) || n.input.len() != 2 {
            return None;
        }
        let o = if n.input[0] == name {
            &n.input[1]
        } else {
            &n.input[0]
        };
        other(o).then_some(i)
    };
    let mut out = HashMap::new();
    for (e, erf) in nodes.iter().enumerate() {
        if op(e) != "Erf" || erf.input.len() != 1 {
            continue;
        }
        let Some(&d) = producer.get(erf.input[0].as_str()) else {
            continue;
        };
        let div = &nodes[d];
        if op(d) != "Div" || div.input.len() != 2 || !near(&div.input[1], std::f32::consts::SQRT_2)
        {
            continue;
        }
        let x = div.input[0].as_str();
        let first = |n: &NodeProto| n.output.first().map_or("", String::as_str).to_string();
        let found = (|| {
            if !once(&first(div)) {
                return None;
            }
            let a = reader(&first(erf), "Add", &|o| near(o, 1.0))?;
            let m = reader(&first(&nodes[a]), "Mul", &|o| o == x)?;
            let h = reader(&first(&nodes[m]), "Mul", &|o| near(o, 0.5))?;
            Some([e, a, m, h])
        })();
        if let Some(rest) = found {
            out.insert(d, rest);
        }
    }
    out
}

/// The permutation of a Transpose from NHWC to NCHW.
const NHWC_TO_NCHW: [i64; 4] = [0, 3, 1, 2];
/// The permutation of a Transpose from NCHW to NHWC.
const NCHW_TO_NHWC: [i64; 4] = [0, 2, 3, 1];

/// A node's `perm` attribute, if it is an INTS attribute.
fn perm_of(node: &NodeProto) -> Option<&[i64]> {
    node.attribute
        .iter()
        .find(|a| a.name.as_deref() == Some("perm"))
        .map(|a| a.ints.as_slice())
}

/// The graph's one non-initializer input: its name, the IR's input shape without the batch
/// dimension, and whether the graph sees it in NHWC. A rank-4 input is NHWC when every node
/// that reads its values is a Transpose to NCHW (as tf2onnx writes Keras models): the IR's
/// input is then that Transpose's output, `[C, H, W]`.
pub(crate) fn input(graph: &GraphProto) -> Result<(String, Vec<usize>, Layout), OnnxError> {
    let initializers: Vec<&str> = graph
        .initializer
        .iter()
        .map(|t| t.name.as_deref().unwrap_or(""))
        .collect();
    let inputs: Vec<&ValueInfoProto> = graph
        .input
        .iter()
        .filter(|v| !initializers.contains(&v.name.as_deref().unwrap_or("")))
        .collect();
    let [input] = inputs.as_slice() else {
        let names: Vec<&str> = inputs
            .iter()
            .map(|v| v.name.as_deref().unwrap_or(""))
            .collect();
        return Err(OnnxError::GraphInput {
            name: names.join(", "),
            what: format!(
                "the graph has {} inputs besides its initializers; exactly one is supported",
                inputs.len()
            ),
        });
    };
    let name = input.name.clone().unwrap_or_default();
    let err = |what: String| OnnxError::GraphInput {
        name: name.clone(),
        what,
    };
    let tensor = input
        .r#type
        .as_ref()
        .and_then(|t| t.tensor_type.as_ref())
        .ok_or_else(|| err("not a tensor; a float tensor is supported".into()))?;
    let elem = tensor.elem_type.unwrap_or(0);
    if elem != data_type::FLOAT {
        return Err(err(format!(
            "element type {} ({elem}) is not FLOAT (1); only float inputs are supported",
            data_type::name(elem)
        )));
    }
    let dims = tensor
        .shape
        .as_ref()
        .map(|s| s.dim.as_slice())
        .unwrap_or_default();
    let supported = "shape [1, C, H, W] or [1, F] (batch 1) is supported";
    let Some((batch, rest)) = dims.split_first() else {
        return Err(err(format!("has no shape; {supported}")));
    };
    match (batch.dim_value, batch.dim_param.as_deref()) {
        (Some(1), _) | (None, Some(_)) => {}
        (Some(b), _) => return Err(err(format!("batch size {b}; {supported}"))),
        (None, None) => return Err(err(format!("batch dimension unknown; {supported}"))),
    }
    let mut shape = Vec::with_capacity(rest.len());
    for d in rest {
        match d.dim_value {
            Some(v) if v > 0 && v <= u32::MAX as i64 => shape.push(v as usize),
            _ => {
                return Err(err(format!(
                    "dimension {d:?} is not a positive fixed size; {supported}"
                )))
            }
        }
    }
    if !matches!(shape.len(), 1 | 3) {
        return Err(err(format!("rank {}; {supported}", dims.len())));
    }
    let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if numel.is_none_or(|n| n > MAX_VALUES) {
        return Err(err(format!("shape {shape:?} exceeds {MAX_VALUES} values")));
    }
    let mut readers = graph
        .node
        .iter()
        .filter(|n| n.input.contains(&name))
        .filter(|n| n.op_type.as_deref() != Some("Shape"))
        .peekable();
    let nhwc = shape.len() == 3
        && readers.peek().is_some()
        && readers.all(|n| {
            n.op_type.as_deref() == Some("Transpose") && perm_of(n) == Some(&NHWC_TO_NCHW[..])
        });
    if nhwc {
        // [H, W, C] → [C, H, W].
        shape.rotate_right(1);
        return Ok((name, shape, Layout::Nhwc));
    }
    Ok((name, shape, Layout::Ir))
}

/// Reads the model's graph into a float chain.
pub(crate) fn read(model: &ModelProto) -> Result<Graph, OnnxError> {
    let graph = model.graph.as_ref().ok_or(OnnxError::NoGraph)?;
    let default_domain = model
        .opset_import
        .iter()
        .any(|o| matches!(o.domain.as_deref(), None | Some("" | "ai.onnx")) && o.version > Some(0));
    if !default_domain {
        return Err(OnnxError::NoOpset);
    }
    if graph.node.is_empty() {
        return Err(OnnxError::NoGraph);
    }
    let (input_name, input_shape, input_layout) = input(graph)?;
    // Readers of each tensor's values (a Shape node reads only the shape, which is static).
    let mut consumers: HashMap<&str, usize> = HashMap::new();
    for name in graph
        .node
        .iter()
        .filter(|n| n.op_type.as_deref() != Some("Shape"))
        .flat_map(|n| n.input.iter())
        .chain(graph.output.iter().filter_map(|o| o.name.as_ref()))
    {
        *consumers.entry(name.as_str()).or_default() += 1;
    }
    let mut values: HashMap<&str, Value> = HashMap::new();
    for t in &graph.initializer {
        values.insert(
            t.name.as_deref().unwrap_or(""),
            Value::Const(ConstVal::Proto(t)),
        );
    }
    let mut graph_shape = input_shape.clone();
    if input_layout == Layout::Nhwc {
        // The graph sees [H, W, C].
        graph_shape.rotate_left(1);
    }
    values.insert(
        input_name.as_str(),
        Value::Act(Act {
            layer: None,
            shape: graph_shape,
            layout: input_layout,
        }),
    );
    let mut b = Builder {
        values,
        consumers,
        reads: Vec::new(),
        inputs: Vec::new(),
        layers: Vec::new(),
        shapes: Vec::new(),
        layer_node: Vec::new(),
        out_name: Vec::new(),
        outside: Vec::new(),
        last_outside: None,
        budget: Budget::default(),
    };
    let gelus = erf_gelus(graph, &b.consumers);
    // The nodes of each erf GELU after its first, and the first's index.
    let mut gelu_rest: HashMap<usize, usize> = HashMap::new();
    let mut nodes = Vec::with_capacity(graph.node.len());
    for (index, node) in graph.node.iter().enumerate() {
        let op = node.op_type.clone().unwrap_or_default();
        let ctx = Ctx {
            node: match node.name.as_deref() {
                Some(n) if !n.is_empty() => n.to_string(),
                _ => format!("#{index}"),
            },
            op,
            output: node.output.first().cloned().unwrap_or_default(),
        };
        let outcome = if let Some(rest) = gelus.get(&index) {
            // The first node of `x·0.5·(1 + erf(x/√2))`: one GELU layer, bound to the last
            // node's output.
            b.reads.clear();
            let x = b.act_input(&ctx, node, 0)?;
            let outcome = b.push(
                &ctx,
                node,
                FloatLayer::Activation(FloatFunction::Gelu { tanh: false }),
                x.shape.clone(),
            )?;
            let layer = b.layers.len() - 1;
            let last = &graph.node[rest[3]];
            let out = last.output.first().map_or("", String::as_str);
            b.values
                .insert(out, Value::Act(Act::ir(Some(layer), x.shape)));
            b.out_name[layer] = out;
            b.layer_node[layer].name = format!("{} (erf GELU)", b.layer_node[layer].name);
            for &r in rest {
                gelu_rest.insert(r, layer);
            }
            outcome
        } else if let Some(&layer) = gelu_rest.get(&index) {
            NodeOutcome::FoldedInto { layer }
        } else {
            b.node(&ctx, node)?
        };
        nodes.push(NodeReport {
            name: ctx.node,
            op_type: ctx.op,
            output: ctx.output,
            outcome,
        });
    }
    b.check_output(graph)?;
    Ok(Graph {
        name: graph.name.clone().unwrap_or_default(),
        input_shape,
        layers: b.layers,
        inputs: b.inputs,
        shapes: b.shapes,
        layer_node: b.layer_node,
        nodes,
        outside: b.outside,
    })
}

struct Builder<'a> {
    values: HashMap<&'a str, Value<'a>>,
    consumers: HashMap<&'a str, usize>,
    /// The tensors the node being read reads as activations ([`Self::act_input_any`]), for the
    /// layer it pushes.
    reads: Vec<usize>,
    /// The tensors each layer reads.
    inputs: Vec<Vec<usize>>,
    layers: Vec<FloatLayer>,
    shapes: Vec<Vec<usize>>,
    layer_node: Vec<NodeRef>,
    /// `out_name[l]`: the tensor name layer `l`'s output is bound to (the last node folded
    /// into it), which a per-channel affine map may be folded into when nothing else reads it.
    out_name: Vec<&'a str>,
    outside: Vec<String>,
    /// The tensor the last outside-the-proof operator wrote.
    last_outside: Option<&'a str>,
    /// Room left for folded constants.
    budget: Budget,
}

const NO_ATTRIBUTES: &[&str] = &[];

/// The most values a tensor of the graph may hold (2^26).
const MAX_VALUES: usize = 1 << 26;

impl<'a> Builder<'a> {
    fn node(&mut self, ctx: &Ctx, node: &'a NodeProto) -> Result<NodeOutcome, OnnxError> {
        self.reads.clear();
        let domain = node.domain.as_deref().unwrap_or("");
        if !matches!(domain, "" | "ai.onnx") {
            return Err(OnnxError::UnsupportedOp {
                node: Box::new(ctx.node_ref()),
                domain: domain.to_string(),
            });
        }
        let attrs = Attrs {
            ctx,
            list: &node.attribute,
        };
        if let Some(outcome) = self.linear_node(ctx, node, &attrs)? {
            return Ok(outcome);
        }
        match ctx.op.as_str() {
            "Constant" => self.constant_node(ctx, node, &attrs),
            "Identity" => {
                attrs.known(NO_ATTRIBUTES)?;
                let v = self.value(ctx, node, 0)?;
                if matches!(v, Value::Outside) {
                    self.last_outside = node.output.first().map(String::as_str);
                }
                self.set_outputs(ctx, node, v)?;
                Ok(NodeOutcome::Dropped)
            }
            "Dropout" => self.dropout(ctx, node, &attrs),
            "Relu" => {
                attrs.known(NO_ATTRIBUTES)?;
                let x = self.act_input(ctx, node, 0)?;
                self.push(ctx, node, FloatLayer::Relu, x.shape)
            }
            "Clip" | "LeakyRelu" | "PRelu" | "HardSigmoid" | "HardSwish" | "Sigmoid" | "Tanh"
            | "Gelu" => self.activation(ctx, node, &attrs),
            "Conv" => self.conv(ctx, node, &attrs),
            "Gemm" => self.gemm(ctx, node, &attrs),
            "MatMul" => {
                attrs.known(NO_ATTRIBUTES)?;
                let (x, columns) = self.dense_input(ctx, node)?;
                let name = input_name(node, 1);
                let w = self.constant(ctx, node, 1)?;
                let [k, n] = *w.dims.as_slice() else {
                    return Err(ctx.bad_input(name, format!("shape {:?} is not 2-D", w.dims)));
                };
                if k != x {
                    return Err(ctx.bad_input(
                        name,
                        format!("shape {:?} does not take {x} input features", w.dims),
                    ));
                }
                let w = w.floats(ctx, name)?;
                let (weights, k) = self.dense_columns(ctx, transpose(&w, k, n), n, columns)?;
                let layer = FloatLayer::Dense {
                    in_features: k,
                    out_features: n,
                    weights,
                    bias: vec![0.0; n],
                };
                self.push(ctx, node, layer, vec![n])
            }
            "BatchNormalization" => self.batch_norm(ctx, node, &attrs),
            "Add" => self.add(ctx, node, &attrs),
            "Concat" if !(0..node.input.len()).all(|i| self.is_const(node, i)) => {
                self.concat(ctx, node, &attrs)
            }
            "MaxPool" | "AveragePool" => self.pool(ctx, node, &attrs),
            "GlobalAveragePool" => {
                attrs.known(NO_ATTRIBUTES)?;
                let x = self.act_input(ctx, node, 0)?;
                self.global_average(ctx, node, x, true)
            }
            "ReduceMean" => self.reduce_mean(ctx, node, &attrs),
            "Pad" => self.pad(ctx, node, &attrs),
            "Sub" | "Mul" | "Div" if !(0..node.input.len()).all(|i| self.is_const(node, i)) => {
                attrs.known(NO_ATTRIBUTES)?;
                self.arith(ctx, node)
            }
            "Flatten" if self.is_const(node, 0) => self.fold_node(ctx, node, &attrs),
            "Flatten" => {
                attrs.known(&["axis"])?;
                let x = self.act_input_any(ctx, node, 0)?;
                let rank = x.shape.len() as i64 + 1;
                let axis = attrs.int("axis", 1)?;
                if axis != 1 && axis != 1 - rank {
                    return Err(ctx.attribute(
                        "axis",
                        axis.to_string(),
                        "axis 1 (flatten everything but the batch) is supported",
                    ));
                }
                self.flatten(ctx, node, x)
            }
            "Reshape" if self.is_const(node, 0) => self.fold_node(ctx, node, &attrs),
            "Reshape" => {
                attrs.known(&["allowzero"])?;
                let allowzero = attrs.int("allowzero", 0)?;
                let name = input_name(node, 1);
                let target = self.constant(ctx, node, 1)?;
                let Data::I64(target) = target.data else {
                    return Err(ctx.bad_input(name, "the shape is not an integer tensor"));
                };
                if let Some(outcome) = self.shuffle_reshape(ctx, node, &target, allowzero != 0)? {
                    return Ok(outcome);
                }
                let x = self.act_input_any(ctx, node, 0)?;
                let numel: usize = x.shape.iter().product();
                let onnx_shape: Vec<usize> = std::iter::once(1).chain(x.shape.clone()).collect();
                let out = fold::reshape_target(&target, &onnx_shape, allowzero != 0);
                match out {
                    // The same shape: the identity.
                    Ok(out) if out == onnx_shape => {
                        self.set_outputs(ctx, node, Value::Act(x))?;
                        Ok(NodeOutcome::Dropped)
                    }
                    Ok(out) if out == [1, numel] => self.flatten(ctx, node, x),
                    // With one spatial position, NCHW and NHWC order the values alike: the
                    // Reshape is the Transpose between them (tf2onnx writes it so on the 1×1
                    // maps of MobileNetV2 at 32×32), taken as that Transpose.
                    Ok(out)
                        if spatial(&x) == 1
                            && other_layout(&x).is_some_and(|(_, d)| out[1..] == d) =>
                    {
                        let Some((layout, shape)) = other_layout(&x) else {
                            return Err(ctx.unsupported("a Reshape between layouts"));
                        };
                        let act = Act {
                            layer: x.layer,
                            shape,
                            layout,
                        };
                        self.set_outputs(ctx, node, Value::Act(act))?;
                        Ok(NodeOutcome::Layout)
                    }
                    Ok(out) => Err(ctx.unsupported(format!(
                        "a Reshape of [1, {}] to {out:?} (shape input {target:?}) is not a \
                         flatten; only a reshape to [1, {numel}] or to the same shape is \
                         supported",
                        join(&x.shape)
                    ))),
                    Err(e) => Err(ctx.bad_input(
                        name,
                        format!("the shape does not apply to [1, {}]: {e}", join(&x.shape)),
                    )),
                }
            }
            "Softmax" | "ArgMax" => self.outside_op(ctx, node, &attrs),
            "Split" => self.split(ctx, node, &attrs),
            "Slice" if !self.is_const(node, 0) => self.slice_channels(ctx, node),
            "Transpose" if !self.is_const(node, 0) => self.transpose_act(ctx, node, &attrs),
            "Squeeze" if !self.is_const(node, 0) => self.squeeze_act(ctx, node, &attrs),
            "Shape" | "Gather" | "Slice" | "Concat" | "Unsqueeze" | "Squeeze"
            | "ConstantOfShape" | "Transpose" | "Sub" | "Mul" | "Div" | "Cast" => {
                self.fold_node(ctx, node, &attrs)
            }
            _ => Err(OnnxError::UnsupportedOp {
                node: Box::new(ctx.node_ref()),
                domain: domain.to_string(),
            }),
        }
    }

    /// `Squeeze` of an activation: tf2onnx writes Keras's `GlobalAveragePooling2D` at opset 13
    /// as a `GlobalAveragePool` and a `Squeeze` of axes `[2, 3]`. Removing size-1 axes keeps
    /// the values in order, so a Squeeze that leaves `[1, N]` is a flatten; one that removes
    /// nothing is dropped; any other (the batch axis removed, a `[1, C, H, W]` left as
    /// `[1, C, H·W]`-like shapes) is `Unsupported`.
    fn squeeze_act(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        // Opset 13 on: axes as input 1; before: as an attribute; absent: every size-1 axis.
        attrs.known(&["axes"])?;
        let axes = match attrs.ints("axes")? {
            Some(axes) => Some(axes),
            None => self.folded_ints(ctx, node, 1)?,
        };
        let x = self.act_input(ctx, node, 0)?;
        let shape: Vec<usize> = std::iter::once(1).chain(x.shape.iter().copied()).collect();
        let rank = shape.len();
        let mut squeezed = vec![false; rank];
        match &axes {
            None => {
                for (k, &d) in shape.iter().enumerate() {
                    squeezed[k] = d == 1;
                }
            }
            Some(axes) => {
                for &a in axes {
                    let k = if a < 0 {
                        a.checked_add(rank as i64)
                    } else {
                        Some(a)
                    };
                    let k = k
                        .and_then(|k| usize::try_from(k).ok())
                        .filter(|&k| k < rank && !squeezed[k] && shape[k] == 1)
                        .ok_or_else(|| {
                            ctx.unsupported(format!(
                                "squeezes axes {axes:?} of [{}]: each axis must be a distinct \
                                 axis of size 1",
                                join(&shape)
                            ))
                        })?;
                    squeezed[k] = true;
                }
            }
        }
        let out: Vec<usize> = shape
            .iter()
            .zip(&squeezed)
            .filter(|(_, &s)| !s)
            .map(|(&d, _)| d)
            .collect();
        let numel: usize = x.shape.iter().product();
        if out == shape {
            self.set_outputs(ctx, node, Value::Act(x))?;
            Ok(NodeOutcome::Dropped)
        } else if !squeezed[0] && out == [1, numel] {
            self.flatten(ctx, node, x)
        } else {
            Err(ctx.unsupported(format!(
                "a Squeeze of [{}] to {out:?} is not a flatten; only a Squeeze that leaves \
                 [1, {numel}] (or removes nothing) is supported",
                join(&shape)
            )))
        }
    }

    /// Whether input `i` is a constant (an initializer, a `Constant` or a folded value).
    fn is_const(&self, node: &NodeProto, i: usize) -> bool {
        matches!(self.values.get(input_name(node, i)), Some(Value::Const(_)))
    }

    /// Binds the node's output to a folded constant.
    fn set_const(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        c: Const,
    ) -> Result<NodeOutcome, OnnxError> {
        self.set_outputs(ctx, node, Value::Const(ConstVal::Folded(Rc::new(c))))?;
        Ok(NodeOutcome::Constant)
    }

    /// A `Constant` node: `value` (a tensor) or `value_int(s)` / `value_float(s)`.
    fn constant_node(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs<'_, 'a>,
    ) -> Result<NodeOutcome, OnnxError> {
        let kinds = [
            "value",
            "value_int",
            "value_ints",
            "value_float",
            "value_floats",
        ];
        attrs.known(&kinds)?;
        let [a] = attrs.list else {
            return Err(ctx.unsupported(format!(
                "{} attributes; a Constant takes exactly one of {}",
                attrs.list.len(),
                kinds.join(", ")
            )));
        };
        let folded = match a.name.as_deref().unwrap_or("") {
            "value" => {
                let t = attrs.tensor("value")?;
                self.set_outputs(ctx, node, Value::Const(ConstVal::Proto(t)))?;
                return Ok(NodeOutcome::Constant);
            }
            "value_int" => Const {
                dims: vec![],
                data: Data::I64(vec![attrs.int("value_int", 0)?]),
            },
            "value_ints" => {
                let v = attrs.ints("value_ints")?.unwrap_or_default();
                Const {
                    dims: vec![v.len()],
                    data: Data::I64(v),
                }
            }
            "value_float" => Const {
                dims: vec![],
                data: Data::F32(vec![attrs.float("value_float", 0.0)?]),
            },
            _ => {
                let v = attrs.floats("value_floats")?.unwrap_or_default();
                Const {
                    dims: vec![v.len()],
                    data: Data::F32(v),
                }
            }
        };
        if matches!(&folded.data, Data::F32(v) if v.iter().any(|x| !x.is_finite())) {
            return Err(ctx.unsupported("the constant holds a NaN or infinite value"));
        }
        self.set_const(ctx, node, folded)
    }

    /// Input `i` as a constant to fold: a value computed from the model input is an error
    /// naming the node.
    fn folded_input(&self, ctx: &Ctx, node: &NodeProto, i: usize) -> Result<Const, OnnxError> {
        let name = input_name(node, i);
        match self.value(ctx, node, i)? {
            Value::Const(_) => self.constant(ctx, node, i),
            Value::Act(_)
            | Value::Padded(..)
            | Value::Channels(..)
            | Value::Grouped { .. }
            | Value::Linear(_) => Err(ctx.unsupported(format!(
                "input {name:?} is computed from the model input; {} is supported only on \
                 constants and tensor shapes, which are folded at import",
                ctx.op
            ))),
            Value::Outside => Err(self.after_outside(ctx)),
        }
    }

    /// Optional integer input `i` to fold (`None` when absent or named "").
    fn folded_ints(
        &self,
        ctx: &Ctx,
        node: &NodeProto,
        i: usize,
    ) -> Result<Option<Vec<i64>>, OnnxError> {
        if input_name(node, i).is_empty() {
            return Ok(None);
        }
        let c = self.folded_input(ctx, node, i)?;
        c.ints(ctx, input_name(node, i)).map(Some)
    }

    /// Input `i`'s ONNX shape: an activation's (with the batch dimension 1) or a constant's.
    fn shape_of(&self, ctx: &Ctx, node: &NodeProto, i: usize) -> Result<Vec<usize>, OnnxError> {
        match self.value(ctx, node, i)? {
            Value::Act(x) => Ok(std::iter::once(1).chain(x.shape).collect()),
            Value::Padded(x, [t, l, b, r]) => match *x.shape.as_slice() {
                [c, h, w] => Ok(vec![
                    1,
                    c,
                    h.saturating_add(t).saturating_add(b),
                    w.saturating_add(l).saturating_add(r),
                ]),
                _ => Err(padded_read(ctx)),
            },
            Value::Const(ConstVal::Proto(t)) => {
                let mut dims = Vec::with_capacity(t.dims.len());
                for &d in &t.dims {
                    dims.push(usize::try_from(d).map_err(|_| {
                        ctx.bad_input(input_name(node, i), format!("dimension {d} is negative"))
                    })?);
                }
                Ok(dims)
            }
            Value::Const(ConstVal::Folded(c)) => Ok(c.dims.clone()),
            Value::Linear(m) => Ok(m.map.dims.clone()),
            Value::Outside => Err(self.after_outside(ctx)),
            Value::Channels(x, map) => match *x.shape.as_slice() {
                [_, h, w] => Ok(vec![1, map.len(), h, w]),
                _ => Err(grouped_read(ctx)),
            },
            Value::Grouped {
                act,
                groups,
                swapped,
            } => match *act.shape.as_slice() {
                [c, h, w] if swapped => Ok(vec![1, c / groups, groups, h, w]),
                [c, h, w] => Ok(vec![1, groups, c / groups, h, w]),
                _ => Err(grouped_read(ctx)),
            },
        }
    }

    /// Shape arithmetic and other operators on constants, folded (`fold.rs`). A Cast of a float
    /// activation to FLOAT is dropped (the identity); anything else on an activation is an
    /// error naming the node.
    fn fold_node(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs<'_, 'a>,
    ) -> Result<NodeOutcome, OnnxError> {
        let mut budget = std::mem::take(&mut self.budget);
        let result = self.fold_with(ctx, node, attrs, &mut budget);
        self.budget = budget;
        match result? {
            Folded::Const(c) => self.set_const(ctx, node, c),
            Folded::Identity(x) => {
                self.set_outputs(ctx, node, Value::Act(x))?;
                Ok(NodeOutcome::Dropped)
            }
        }
    }

    /// The node's folded value, or the activation it is the identity of.
    fn fold_with(
        &self,
        ctx: &Ctx,
        node: &NodeProto,
        attrs: &Attrs<'_, 'a>,
        budget: &mut Budget,
    ) -> Result<Folded, OnnxError> {
        let fold = |r: Result<Const, String>| r.map(Folded::Const).map_err(|e| ctx.fold(e));
        let input = |i: usize| self.folded_input(ctx, node, i);
        match ctx.op.as_str() {
            "Shape" => {
                attrs.known(&["start", "end"])?;
                let dims = self.shape_of(ctx, node, 0)?;
                let start = attrs.int("start", 0)?;
                let end = attrs.opt_int("end")?;
                fold(fold::shape(budget, &dims, start, end))
            }
            "Gather" => {
                attrs.known(&["axis"])?;
                let axis = attrs.int("axis", 0)?;
                fold(fold::gather(budget, &input(0)?, &input(1)?, axis))
            }
            "Slice" => {
                // Opset 10 on: starts, ends, axes, steps as inputs; before: as attributes.
                attrs.known(&["starts", "ends", "axes"])?;
                let data = input(0)?;
                let (starts, ends, axes, steps) = match attrs.ints("starts")? {
                    Some(starts) => (
                        starts,
                        attrs.ints("ends")?.unwrap_or_default(),
                        attrs.ints("axes")?,
                        None,
                    ),
                    None => (
                        self.folded_ints(ctx, node, 1)?.unwrap_or_default(),
                        self.folded_ints(ctx, node, 2)?.unwrap_or_default(),
                        self.folded_ints(ctx, node, 3)?,
                        self.folded_ints(ctx, node, 4)?,
                    ),
                };
                fold(fold::slice(
                    budget,
                    &data,
                    &starts,
                    &ends,
                    axes.as_deref(),
                    steps.as_deref(),
                ))
            }
            "Concat" => {
                attrs.known(&["axis"])?;
                let Some(axis) = attrs.opt_int("axis")? else {
                    return Err(ctx.attribute("axis", "absent".into(), "Concat needs an axis"));
                };
                let inputs = (0..node.input.len())
                    .map(input)
                    .collect::<Result<Vec<_>, _>>()?;
                fold(fold::concat(budget, &inputs, axis))
            }
            "Unsqueeze" | "Squeeze" => {
                // Opset 13 on: axes as input 1; before: as an attribute.
                attrs.known(&["axes"])?;
                let data = input(0)?;
                let axes = match attrs.ints("axes")? {
                    Some(axes) => Some(axes),
                    None => self.folded_ints(ctx, node, 1)?,
                };
                if ctx.op == "Squeeze" {
                    fold(fold::squeeze(budget, &data, axes.as_deref()))
                } else {
                    let axes = axes.ok_or_else(|| {
                        ctx.bad_input("", "Unsqueeze needs axes (an input or an attribute)")
                    })?;
                    fold(fold::unsqueeze(budget, &data, &axes))
                }
            }
            "ConstantOfShape" => {
                attrs.known(&["value"])?;
                let shape = self.folded_ints(ctx, node, 0)?.unwrap_or_default();
                let value = match attrs.opt_tensor("value")? {
                    Some(t) => Some(convert(t).map_err(|what| {
                        ctx.attribute(
                            "value",
                            "a tensor".into(),
                            &format!("it is unusable: {what}"),
                        )
                    })?),
                    None => None,
                };
                fold(fold::constant_of_shape(budget, &shape, value.as_ref()))
            }
            "Transpose" => {
                attrs.known(&["perm"])?;
                let perm = attrs.ints("perm")?;
                fold(fold::transpose(budget, &input(0)?, perm.as_deref()))
            }
            "Add" | "Sub" | "Mul" | "Div" => {
                attrs.known(NO_ATTRIBUTES)?;
                if node.input.len() != 2 {
                    return Err(ctx.unsupported(format!(
                        "{} inputs; {} takes two",
                        node.input.len(),
                        ctx.op
                    )));
                }
                let op = match ctx.op.as_str() {
                    "Add" => Binary::Add,
                    "Sub" => Binary::Sub,
                    "Mul" => Binary::Mul,
                    _ => Binary::Div,
                };
                fold(fold::binary(budget, op, &input(0)?, &input(1)?))
            }
            "Cast" => {
                attrs.known(&["to", "saturate", "round_mode"])?;
                let Some(to) = attrs.opt_int("to")? else {
                    return Err(ctx.attribute("to", "absent".into(), "Cast needs `to`"));
                };
                if let Value::Act(x) = self.value(ctx, node, 0)? {
                    if to == i64::from(data_type::FLOAT) {
                        // Activations are float already.
                        return Ok(Folded::Identity(x));
                    }
                }
                fold(fold::cast(budget, &input(0)?, to))
            }
            "Reshape" => {
                attrs.known(&["allowzero"])?;
                let allowzero = attrs.int("allowzero", 0)? != 0;
                let target = self.folded_ints(ctx, node, 1)?.unwrap_or_default();
                fold(fold::reshape(budget, &input(0)?, &target, allowzero))
            }
            "Flatten" => {
                attrs.known(&["axis"])?;
                let axis = attrs.int("axis", 1)?;
                fold(fold::flatten(budget, &input(0)?, axis))
            }
            _ => Err(OnnxError::UnsupportedOp {
                node: Box::new(ctx.node_ref()),
                domain: String::new(),
            }),
        }
    }

    /// Input `i`'s value.
    fn value(&self, ctx: &Ctx, node: &NodeProto, i: usize) -> Result<Value<'a>, OnnxError> {
        let name = input_name(node, i);
        if name.is_empty() {
            return Err(ctx.bad_input(name, format!("input {i} is missing")));
        }
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| ctx.bad_input(name, "no earlier node or initializer defines it"))
    }

    /// Input `i` as an activation ([`Self::act_input_any`]) in the IR's layout.
    fn act_input(&mut self, ctx: &Ctx, node: &NodeProto, i: usize) -> Result<Act, OnnxError> {
        let act = self.act_input_any(ctx, node, i)?;
        if act.layout != Layout::Ir {
            return Err(ctx.unsupported(format!(
                "reads {:?}, an NHWC view of an NCHW tensor (from a Transpose); an NHWC tensor \
                 is supported only as the input of a Flatten whose output a Gemm or MatMul \
                 reads, or of a Transpose back to NCHW",
                input_name(node, i)
            )));
        }
        Ok(act)
    }

    /// Input `i` as an activation, in any layout: the graph's input or any earlier layer's
    /// output (a DAG). Recorded as a tensor the node's layer reads.
    fn act_input_any(&mut self, ctx: &Ctx, node: &NodeProto, i: usize) -> Result<Act, OnnxError> {
        let name = input_name(node, i);
        match self.value(ctx, node, i)? {
            Value::Act(act) => {
                if self.last_outside.is_some() {
                    return Err(self.after_outside(ctx));
                }
                self.reads.push(act.tensor());
                Ok(act)
            }
            Value::Const(_) => Err(ctx.bad_input(
                name,
                "is a constant; this operator must read an activation (the graph's input or a \
                 layer's output)",
            )),
            Value::Padded(..) => Err(padded_read(ctx)),
            Value::Outside => Err(self.after_outside(ctx)),
            Value::Channels(x, map) => {
                if self.last_outside.is_some() {
                    return Err(self.after_outside(ctx));
                }
                self.select_channels(ctx, x, &map)
            }
            Value::Grouped { .. } => Err(grouped_read(ctx)),
            Value::Linear(m) => Err(self.linear_read(ctx, &m, "is not a Gemm or MatMul")),
        }
    }

    /// The channels `map` of `x` (`[C, H, W]`) as a layer: a 1×1 convolution whose weight
    /// `(j, map[j])` is 1 and every other 0, bias 0, made for the node reading it (which it
    /// reads in `x`'s place).
    fn select_channels(&mut self, ctx: &Ctx, x: Act, map: &[usize]) -> Result<Act, OnnxError> {
        let &[c, h, w] = x.shape.as_slice() else {
            return Err(ctx.unsupported("a channel selection of a tensor that is not [C, H, W]"));
        };
        let n = map.len();
        if n.checked_mul(c).is_none_or(|k| k > MAX_VALUES) {
            return Err(ctx.unsupported(format!(
                "a selection of {n} of {c} channels takes more than {MAX_VALUES} weights"
            )));
        }
        let mut weights = vec![0.0; n * c];
        for (j, &s) in map.iter().enumerate() {
            weights[j * c + s] = 1.0;
        }
        let layer = FloatLayer::Conv {
            in_channels: c,
            out_channels: n,
            kernel: [1, 1],
            stride: 1,
            padding: 0,
            groups: 1,
            weights,
            bias: vec![0.0; n],
        };
        let pending = std::mem::replace(&mut self.reads, vec![x.tensor()]);
        let shape = vec![n, h, w];
        let index = self.layers.len();
        self.inputs
            .push(std::mem::replace(&mut self.reads, pending));
        self.layers.push(layer);
        self.shapes.push(shape.clone());
        let mut node = ctx.node_ref();
        node.name = format!("{} (channel selection)", node.name);
        self.layer_node.push(node);
        self.out_name.push("");
        let act = Act::ir(Some(index), shape);
        self.reads.push(act.tensor());
        Ok(act)
    }

    /// Input 0 of a Conv or pool: an activation in the IR's layout, and the zero padding
    /// `[top, left, bottom, right]` of the `Pad` nodes between it and this node (none: zeros).
    fn spatial_input(
        &mut self,
        ctx: &Ctx,
        node: &NodeProto,
    ) -> Result<(Act, [usize; 4]), OnnxError> {
        match self.value(ctx, node, 0)? {
            Value::Padded(x, pads) => {
                if self.last_outside.is_some() {
                    return Err(self.after_outside(ctx));
                }
                // Pad keeps the IR's layout (it refuses NHWC views).
                self.reads.push(x.tensor());
                Ok((x, pads))
            }
            _ => Ok((self.act_input(ctx, node, 0)?, [0; 4])),
        }
    }

    fn after_outside(&self, ctx: &Ctx) -> OnnxError {
        ctx.unsupported(format!(
            "follows {}: only Softmax and ArgMax may come after them, at the end of the graph",
            self.outside.join(", ")
        ))
    }

    /// Input 0 of a Gemm/MatMul, which must be flat: a flat activation (its length and
    /// layout) or a flat fixed linear map of an activation (`[1, K]`: `K` and the map).
    fn dense_input(&mut self, ctx: &Ctx, node: &NodeProto) -> Result<(usize, Columns), OnnxError> {
        if let Value::Linear(m) = self.value(ctx, node, 0)? {
            if self.last_outside.is_some() {
                return Err(self.after_outside(ctx));
            }
            return match *m.map.dims.as_slice() {
                [1, k] => Ok((k, Columns::Map(m))),
                _ => Err(self.linear_read(
                    ctx,
                    &m,
                    &format!(
                        "its shape [{}] is not flat [1, K] (add a Flatten)",
                        join(&m.map.dims)
                    ),
                )),
            };
        }
        let x = self.act_input_any(ctx, node, 0)?;
        match *x.shape.as_slice() {
            [f] if x.layout != Layout::Nhwc => Ok((f, Columns::Layout(x.layout))),
            _ => Err(ctx.unsupported(format!(
                "reads a tensor of shape [1, {}]; a flat [1, F] tensor is supported (add a \
                 Flatten)",
                join(&x.shape)
            ))),
        }
    }

    /// Dense weights `[n][k]` of a Gemm/MatMul in the order of the tensor the graph's node
    /// reads, as the IR's Dense layer takes them, with its input size: columns permuted from
    /// NHWC ([`Layout::FlatNhwc`]), or a fixed linear map absorbed (`W·P`, the layer reading
    /// the map's activation).
    fn dense_columns(
        &mut self,
        ctx: &Ctx,
        weights: Vec<f32>,
        n: usize,
        columns: Columns,
    ) -> Result<(Vec<f32>, usize), OnnxError> {
        match columns {
            Columns::Layout(layout) => {
                let k = weights.len() / n.max(1);
                Ok((to_ir_order(weights, layout), k))
            }
            Columns::Map(m) => self.absorb_map(ctx, &m, &weights, n),
        }
    }

    /// Input `i` as a constant.
    fn constant(&self, ctx: &Ctx, node: &NodeProto, i: usize) -> Result<Const, OnnxError> {
        let name = input_name(node, i);
        match self.value(ctx, node, i)? {
            Value::Const(ConstVal::Proto(t)) => {
                convert(t).map_err(|what| ctx.bad_input(name, what))
            }
            Value::Const(ConstVal::Folded(c)) => Ok(Const::clone(&c)),
            _ => Err(ctx.bad_input(
                name,
                "is computed by the graph; only constants (initializers or Constant nodes) \
                 are supported here",
            )),
        }
    }

    /// Optional input `i` as a constant (`None` when absent or named "").
    fn optional_constant(
        &self,
        ctx: &Ctx,
        node: &NodeProto,
        i: usize,
    ) -> Result<Option<Const>, OnnxError> {
        if input_name(node, i).is_empty() {
            return Ok(None);
        }
        self.constant(ctx, node, i).map(Some)
    }

    /// Binds the node's first output to `value`; further outputs must be unused.
    fn set_outputs(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        value: Value<'a>,
    ) -> Result<(), OnnxError> {
        let Some(first) = node.output.first().filter(|o| !o.is_empty()) else {
            return Err(ctx.unsupported("the node has no output"));
        };
        for extra in node.output.iter().skip(1) {
            if !extra.is_empty() && self.consumers.get(extra.as_str()).is_some_and(|&n| n > 0) {
                return Err(ctx.unsupported(format!(
                    "its output {extra:?} is used; only the first output is supported"
                )));
            }
        }
        self.values.insert(first.as_str(), value);
        Ok(())
    }

    /// Appends a layer and binds the node's output to it.
    fn push(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        layer: FloatLayer,
        shape: Vec<usize>,
    ) -> Result<NodeOutcome, OnnxError> {
        let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if numel.is_none_or(|n| n > MAX_VALUES) {
            return Err(ctx.unsupported(format!(
                "its output of shape {shape:?} exceeds {MAX_VALUES} values"
            )));
        }
        let index = self.layers.len();
        self.set_outputs(ctx, node, Value::Act(Act::ir(Some(index), shape.clone())))?;
        let mut reads = std::mem::take(&mut self.reads);
        if reads.is_empty() {
            reads.push(index);
        }
        self.inputs.push(reads);
        self.layers.push(layer);
        self.shapes.push(shape);
        self.layer_node.push(ctx.node_ref());
        self.out_name
            .push(node.output.first().map_or("", String::as_str));
        Ok(NodeOutcome::Layer { layer: index })
    }

    /// Flatten (or Reshape to a flatten) of `x`: a layer for a 3-D tensor, dropped for a flat one.
    /// An NHWC view flattens in NHWC order ([`Layout::FlatNhwc`]).
    fn flatten(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        x: Act,
    ) -> Result<NodeOutcome, OnnxError> {
        if x.shape.len() == 1 {
            self.set_outputs(ctx, node, Value::Act(x))?;
            return Ok(NodeOutcome::Dropped);
        }
        let numel = x.shape.iter().product();
        let outcome = self.push(ctx, node, FloatLayer::Flatten, vec![numel])?;
        if let (Layout::Nhwc, [h, w, c]) = (x.layout, x.shape.as_slice()) {
            let layout = Layout::FlatNhwc {
                c: *c,
                h: *h,
                w: *w,
            };
            if let Some(Value::Act(out)) = node
                .output
                .first()
                .and_then(|o| self.values.get_mut(o.as_str()))
            {
                out.layout = layout;
            }
        }
        Ok(outcome)
    }

    /// A Transpose of an activation: between NCHW and NHWC (a change of [`Layout`], no layer),
    /// or the identity.
    fn transpose_act(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        attrs.known(&["perm"])?;
        let x = match self.value(ctx, node, 0)? {
            Value::Act(x) => x,
            Value::Padded(..) => return Err(padded_read(ctx)),
            Value::Outside => return Err(self.after_outside(ctx)),
            Value::Const(_) => return Err(ctx.bad_input(input_name(node, 0), "is a constant")),
            Value::Channels(..) | Value::Linear(_) => self.act_input(ctx, node, 0)?,
            Value::Grouped {
                act,
                groups,
                swapped,
            } => {
                if attrs.ints("perm")?.as_deref() != Some(&[0, 2, 1, 3, 4]) {
                    return Err(ctx.attribute(
                        "perm",
                        format!("{:?}", attrs.ints("perm")?),
                        "on the 5-D view of a channel shuffle, [0, 2, 1, 3, 4] is supported",
                    ));
                }
                let swapped = !swapped;
                self.set_outputs(
                    ctx,
                    node,
                    Value::Grouped {
                        act,
                        groups,
                        swapped,
                    },
                )?;
                return Ok(NodeOutcome::Layout);
            }
        };
        let rank = x.shape.len() + 1;
        let perm = attrs
            .ints("perm")?
            .unwrap_or_else(|| (0..rank as i64).rev().collect());
        let identity: Vec<i64> = (0..rank as i64).collect();
        if perm == identity {
            self.set_outputs(ctx, node, Value::Act(x))?;
            return Ok(NodeOutcome::Dropped);
        }
        let (layout, shape) = match (x.layout, x.shape.as_slice(), perm.as_slice()) {
            (Layout::Ir, &[c, h, w], p) if p == NCHW_TO_NHWC => (Layout::Nhwc, vec![h, w, c]),
            (Layout::Nhwc, &[h, w, c], p) if p == NHWC_TO_NCHW => (Layout::Ir, vec![c, h, w]),
            _ => {
                return Err(ctx.attribute(
                    "perm",
                    format!("{perm:?}"),
                    &format!(
                        "on an activation of shape [1, {}], a Transpose from NCHW to NHWC \
                         ({NCHW_TO_NHWC:?}) before a Flatten, or from NHWC to NCHW \
                         ({NHWC_TO_NCHW:?}) of the input or back, is supported",
                        join(&x.shape)
                    ),
                ))
            }
        };
        let act = Act {
            layer: x.layer,
            shape,
            layout,
        };
        self.set_outputs(ctx, node, Value::Act(act))?;
        Ok(NodeOutcome::Layout)
    }

    /// The Reshapes of a channel shuffle (`Reshape → Transpose [0, 2, 1, 3, 4] → Reshape`, as
    /// torch writes ShuffleNet's `channel_shuffle`): `[1, C, H, W]` to `[1, g, C/g, H, W]` is
    /// a view ([`Value::Grouped`]), and that view (transposed) back to `[1, C, H, W]` is a
    /// channel permutation ([`Value::Channels`]). `None` for any other Reshape.
    fn shuffle_reshape(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        target: &[i64],
        allowzero: bool,
    ) -> Result<Option<NodeOutcome>, OnnxError> {
        match self.value(ctx, node, 0)? {
            Value::Act(x) if x.layout == Layout::Ir => {
                let &[c, h, w] = x.shape.as_slice() else {
                    return Ok(None);
                };
                let Ok(out) = fold::reshape_target(target, &[1, c, h, w], allowzero) else {
                    return Ok(None);
                };
                match *out.as_slice() {
                    [1, g, k, oh, ow]
                        if g >= 1 && g.checked_mul(k) == Some(c) && [oh, ow] == [h, w] =>
                    {
                        if self.last_outside.is_some() {
                            return Err(self.after_outside(ctx));
                        }
                        let value = Value::Grouped {
                            act: x,
                            groups: g,
                            swapped: false,
                        };
                        self.set_outputs(ctx, node, value)?;
                        Ok(Some(NodeOutcome::Layout))
                    }
                    _ => Ok(None),
                }
            }
            Value::Grouped {
                act,
                groups,
                swapped,
            } => {
                let view = self.shape_of(ctx, node, 0)?;
                let &[c, h, w] = act.shape.as_slice() else {
                    return Err(grouped_read(ctx));
                };
                let out = fold::reshape_target(target, &view, allowzero)
                    .map_err(|e| ctx.bad_input(input_name(node, 1), e))?;
                if out != [1, c, h, w] {
                    return Err(ctx.unsupported(format!(
                        "a Reshape of {view:?} (the 5-D view of a channel shuffle) to {out:?}; \
                         only the Reshape back to [1, {c}, {h}, {w}] is supported"
                    )));
                }
                let value = if swapped {
                    // Channel a·g + b of the result is channel b·(C/g) + a of the activation.
                    let k = c / groups;
                    let map: Vec<usize> = (0..c).map(|j| (j % groups) * k + j / groups).collect();
                    Value::Channels(act, map.into())
                } else {
                    Value::Act(act)
                };
                self.set_outputs(ctx, node, value)?;
                Ok(Some(NodeOutcome::Layout))
            }
            _ => Ok(None),
        }
    }

    /// Input 0 as a channel map of an activation in the IR's layout `[C, H, W]`: its own
    /// channels in order, or a [`Value::Channels`]'s.
    fn channel_input(
        &mut self,
        ctx: &Ctx,
        node: &NodeProto,
    ) -> Result<(Act, Rc<[usize]>), OnnxError> {
        if let Value::Channels(x, map) = self.value(ctx, node, 0)? {
            if self.last_outside.is_some() {
                return Err(self.after_outside(ctx));
            }
            return Ok((x, map));
        }
        let x = self.act_input(ctx, node, 0)?;
        self.reads.clear();
        let &[c, _, _] = x.shape.as_slice() else {
            return Err(ctx.unsupported(format!(
                "input of shape [1, {}]; a split of the channels of a [1, C, H, W] tensor is \
                 supported",
                join(&x.shape)
            )));
        };
        Ok((x, (0..c).collect::<Vec<_>>().into()))
    }

    /// `Split` along the channels: each output is a channel selection ([`Value::Channels`]),
    /// no layer.
    fn split(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        attrs.known(&["axis", "num_outputs", "split"])?;
        let (x, map) = self.channel_input(ctx, node)?;
        let c = map.len();
        let axis = attrs.int("axis", 0)?;
        if axis != 1 && axis != -3 {
            return Err(ctx.attribute(
                "axis",
                axis.to_string(),
                "a split of the channels (axis 1) of a [1, C, H, W] tensor is supported",
            ));
        }
        let outputs = node.output.len();
        // Sizes: the `split` input (opset 13 on) or attribute, else equal parts (opset 18's
        // `num_outputs`: ceil(C / n) each, the last the rest).
        let sizes: Vec<i64> = match (self.folded_ints(ctx, node, 1)?, attrs.ints("split")?) {
            (Some(s), _) | (None, Some(s)) => s,
            (None, None) => {
                let n = attrs.int("num_outputs", outputs as i64)?;
                if n < 1 || n as usize != outputs {
                    return Err(ctx.attribute(
                        "num_outputs",
                        n.to_string(),
                        &format!("the number of outputs, {outputs}"),
                    ));
                }
                let part = c.div_ceil(outputs) as i64;
                (0..outputs as i64)
                    .map(|k| part.min(c as i64 - k * part).max(0))
                    .collect()
            }
        };
        if sizes.len() != outputs
            || sizes.iter().any(|&s| s < 0)
            || sizes.iter().sum::<i64>() != c as i64
        {
            return Err(ctx.unsupported(format!(
                "split sizes {sizes:?} for {outputs} outputs of {c} channels"
            )));
        }
        let mut start = 0;
        for (out, &size) in node.output.iter().zip(&sizes) {
            let end = start + size as usize;
            if !out.is_empty() {
                let part: Rc<[usize]> = map[start..end].into();
                self.values
                    .insert(out.as_str(), Value::Channels(x.clone(), part));
            }
            start = end;
        }
        Ok(NodeOutcome::Layout)
    }

    /// `Slice` of an activation along the channels only (the legacy exporter's `chunk`), with
    /// constant (or folded) `starts`, `ends`, `axes` and unit `steps`: a channel selection
    /// ([`Value::Channels`]), no layer.
    fn slice_channels(&mut self, ctx: &Ctx, node: &'a NodeProto) -> Result<NodeOutcome, OnnxError> {
        let (x, map) = self.channel_input(ctx, node)?;
        let c = map.len() as i64;
        let starts = self.folded_ints(ctx, node, 1)?;
        let ends = self.folded_ints(ctx, node, 2)?;
        let axes = self.folded_ints(ctx, node, 3)?.unwrap_or_else(|| vec![0]);
        let steps = self.folded_ints(ctx, node, 4)?;
        let (Some(starts), Some(ends)) = (starts, ends) else {
            return Err(ctx.unsupported(
                "a Slice of an activation needs its starts and ends as inputs (opset 10 on)",
            ));
        };
        if axes.len() != 1 || !matches!(axes[0], 1 | -3) || starts.len() != 1 || ends.len() != 1 {
            return Err(ctx.unsupported(format!(
                "a Slice of an activation over axes {axes:?}; a slice of the channels (axes \
                 [1]) of a [1, C, H, W] tensor is supported"
            )));
        }
        if steps.is_some_and(|s| s != [1]) {
            return Err(ctx.unsupported("a Slice of an activation with a step other than 1"));
        }
        let clamp = |v: i64| {
            if v < 0 {
                (v.saturating_add(c)).max(0)
            } else {
                v.min(c)
            }
        };
        let (start, end) = (clamp(starts[0]) as usize, clamp(ends[0]) as usize);
        if start >= end {
            return Err(ctx.unsupported(format!(
                "a Slice of channels {}..{} of {c} is empty",
                starts[0], ends[0]
            )));
        }
        let part: Rc<[usize]> = map[start..end].into();
        self.set_outputs(ctx, node, Value::Channels(x, part))?;
        Ok(NodeOutcome::Layout)
    }

    fn dropout(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        attrs.known(&["seed", "ratio", "is_test"])?;
        if attrs.int("is_test", 1)? != 1 {
            return Err(ctx.attribute(
                "is_test",
                "0".into(),
                "inference mode (is_test = 1) is supported",
            ));
        }
        if let Some(mode) = self.optional_constant(ctx, node, 2)? {
            let training = match &mode.data {
                Data::I64(v) => v.iter().any(|&b| b != 0),
                Data::F32(v) => v.iter().any(|&b| b != 0.0),
            };
            if training {
                return Err(ctx.unsupported(
                    "training_mode is true; only inference (training_mode false) is supported",
                ));
            }
        }
        let v = self.value(ctx, node, 0)?;
        if matches!(v, Value::Outside) {
            self.last_outside = node.output.first().map(String::as_str);
        }
        self.set_outputs(ctx, node, v)?;
        Ok(NodeOutcome::Dropped)
    }

    fn conv(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        attrs.known(&[
            "auto_pad",
            "dilations",
            "group",
            "kernel_shape",
            "pads",
            "strides",
        ])?;
        attrs.auto_pad()?;
        let group = attrs.int("group", 1)?;
        attrs.all_ones("dilations")?;
        // A channel selection read with one group is taken into the weights: input channel j
        // of the weights becomes channel map[j] of the activation (no selection layer).
        let selected = match self.value(ctx, node, 0)? {
            Value::Channels(x, map) if group == 1 && self.last_outside.is_none() => Some((x, map)),
            _ => None,
        };
        let (x, pad) = match &selected {
            Some((x, map)) => match *x.shape.as_slice() {
                [_, h, w] => {
                    self.reads.push(x.tensor());
                    (Act::ir(x.layer, vec![map.len(), h, w]), [0; 4])
                }
                _ => return Err(grouped_read(ctx)),
            },
            None => self.spatial_input(ctx, node)?,
        };
        let [c, h, w] = *x.shape.as_slice() else {
            return Err(ctx.unsupported(format!(
                "input of shape {:?}; a [C, H, W] tensor is supported",
                x.shape
            )));
        };
        let wname = input_name(node, 1);
        let weights = self.constant(ctx, node, 1)?;
        let [o, i, kh, kw] = *weights.dims.as_slice() else {
            return Err(ctx.bad_input(wname, format!("shape {:?} is not 4-D", weights.dims)));
        };
        let groups = usize::try_from(group)
            .ok()
            .filter(|&g| g >= 1 && c % g == 0 && o % g == 0)
            .ok_or_else(|| {
                ctx.attribute(
                    "group",
                    group.to_string(),
                    &format!(
                        "the group count must be positive and divide the input's {c} channels \
                         and the weights' {o} output channels"
                    ),
                )
            })?;
        if i.checked_mul(groups) != Some(c) || o == 0 || kh == 0 || kw == 0 {
            return Err(ctx.bad_input(
                wname,
                format!(
                    "shape {:?} does not fit an input with {c} channels in {groups} group(s)",
                    weights.dims
                ),
            ));
        }
        if let Some(k) = attrs.ints("kernel_shape")? {
            if k != [kh as i64, kw as i64] {
                return Err(ctx.attribute(
                    "kernel_shape",
                    format!("{k:?}"),
                    &format!("it must match the weights' kernel [{kh}, {kw}]"),
                ));
            }
        }
        let stride = attrs.stride()?;
        let own = attrs.pads()?;
        // [top, left, bottom, right]: a Pad before it plus its own pads.
        let sides: [usize; 4] = std::array::from_fn(|k| pad[k].saturating_add(own[k]));
        let padding = sides.iter().copied().max().unwrap_or(0);
        let mut kernel = [kh, kw];
        let mut weights = weights.floats(ctx, wname)?;
        if sides.iter().any(|&p| p != padding) {
            // Unequal sides (TF's `same` with stride 2 pads only the bottom and right; Keras's
            // ZeroPadding2D before a `valid` one): the same windows as equal padding `padding`
            // and a kernel grown by zero rows and columns where the padding was smaller.
            let [top, left, bottom, right] = sides;
            if top >= kh || bottom >= kh || left >= kw || right >= kw {
                return Err(ctx.unsupported(format!(
                    "pads [top, left, bottom, right] = {sides:?} (its own {own:?}, a Pad's \
                     {pad:?}) pad the sides unequally and by a kernel side or more \
                     ({kh}×{kw}); unequal padding below the kernel side is supported"
                )));
            }
            let grown = [
                kh + 2 * padding - top - bottom,
                kw + 2 * padding - left - right,
            ];
            weights = grow_kernel(&weights, [kh, kw], grown, [padding - top, padding - left]);
            kernel = grown;
        }
        let [kh, kw] = kernel;
        let mut in_channels = c;
        if let Some((source, map)) = &selected {
            let full = source.shape[0];
            let k = kh * kw;
            let mut spread = vec![0.0; o * full * k];
            for out in 0..o {
                for (j, &s) in map.iter().enumerate() {
                    let from = (out * c + j) * k;
                    let to = (out * full + s) * k;
                    for t in 0..k {
                        spread[to + t] += weights[from + t];
                    }
                }
            }
            weights = spread;
            in_channels = full;
        }
        let bias = self.bias(ctx, node, 2, o)?;
        let oh = window_out(h, kh, stride, padding);
        let ow = window_out(w, kw, stride, padding);
        let (Some(oh), Some(ow)) = (oh, ow) else {
            return Err(ctx.unsupported(format!(
                "a {kh}×{kw} kernel does not fit the {h}×{w} input padded by {padding}"
            )));
        };
        let layer = FloatLayer::Conv {
            in_channels,
            out_channels: o,
            kernel: [kh, kw],
            stride,
            padding,
            groups,
            weights,
            bias,
        };
        self.push(ctx, node, layer, vec![o, oh, ow])
    }

    /// Optional bias input `i` with `n` values (a single value is broadcast).
    fn bias(&self, ctx: &Ctx, node: &NodeProto, i: usize, n: usize) -> Result<Vec<f32>, OnnxError> {
        let Some(b) = self.optional_constant(ctx, node, i)? else {
            return Ok(vec![0.0; n]);
        };
        let name = input_name(node, i);
        let dims = b.dims.clone();
        let values = b.floats(ctx, name)?;
        match values.len() {
            len if len == n => Ok(values),
            1 => Ok(vec![values[0]; n]),
            _ => Err(ctx.bad_input(
                name,
                format!("shape {dims:?}: {n} values (one per output) are needed"),
            )),
        }
    }

    fn gemm(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        attrs.known(&["alpha", "beta", "transA", "transB"])?;
        for name in ["alpha", "beta"] {
            let v = attrs.float(name, 1.0)?;
            if v != 1.0 {
                return Err(ctx.attribute(
                    name,
                    v.to_string(),
                    &format!("{name} = 1 is supported"),
                ));
            }
        }
        let trans_a = attrs.int("transA", 0)?;
        if trans_a != 0 {
            return Err(ctx.attribute("transA", trans_a.to_string(), "transA = 0 is supported"));
        }
        let trans_b = attrs.int("transB", 0)?;
        if !matches!(trans_b, 0 | 1) {
            return Err(ctx.attribute(
                "transB",
                trans_b.to_string(),
                "transB = 0 or 1 is supported",
            ));
        }
        let (x, columns) = self.dense_input(ctx, node)?;
        let name = input_name(node, 1);
        let b = self.constant(ctx, node, 1)?;
        let [r, s] = *b.dims.as_slice() else {
            return Err(ctx.bad_input(name, format!("shape {:?} is not 2-D", b.dims)));
        };
        let (k, n) = if trans_b == 1 { (s, r) } else { (r, s) };
        if k != x {
            return Err(ctx.bad_input(
                name,
                format!("shape {:?} does not take {x} input features", b.dims),
            ));
        }
        let values = b.floats(ctx, name)?;
        let weights = if trans_b == 1 {
            values
        } else {
            transpose(&values, k, n)
        };
        let bias = self.bias(ctx, node, 2, n)?;
        let (weights, k) = self.dense_columns(ctx, weights, n, columns)?;
        let layer = FloatLayer::Dense {
            in_features: k,
            out_features: n,
            weights,
            bias,
        };
        self.push(ctx, node, layer, vec![n])
    }

    fn batch_norm(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        attrs.known(&[
            "epsilon",
            "momentum",
            "spatial",
            "training_mode",
            "is_test",
            "consumed_inputs",
        ])?;
        for (name, want) in [("spatial", 1), ("training_mode", 0), ("is_test", 1)] {
            let v = attrs.int(name, want)?;
            if v != want {
                return Err(ctx.attribute(
                    name,
                    v.to_string(),
                    &format!("{name} = {want} (inference, per channel) is supported"),
                ));
            }
        }
        let epsilon = attrs.float("epsilon", 1e-5)?;
        let x = self.act_input(ctx, node, 0)?;
        let channels = x.shape.first().copied().unwrap_or(0);
        let mut params = Vec::with_capacity(4);
        for i in 1..=4 {
            let name = input_name(node, i);
            let t = self.constant(ctx, node, i)?;
            let v = t.floats(ctx, name)?;
            if v.len() != channels {
                return Err(ctx.bad_input(
                    name,
                    format!("{} values; one per channel ({channels}) is needed", v.len()),
                ));
            }
            params.push(v);
        }
        let [gamma, beta, mean, var] = params.as_slice() else {
            unreachable!("four parameters were read");
        };
        let mut scale = Vec::with_capacity(channels);
        let mut shift = Vec::with_capacity(channels);
        for ch in 0..channels {
            let s = gamma[ch] / (var[ch] + epsilon).sqrt();
            let b = beta[ch] - mean[ch] * s;
            if !s.is_finite() || !b.is_finite() {
                return Err(ctx.bad_input(
                    input_name(node, 4),
                    format!(
                        "channel {ch}: variance {} + epsilon {epsilon} gives no finite scale",
                        var[ch]
                    ),
                ));
            }
            scale.push(s);
            shift.push(b);
        }
        self.affine(ctx, node, x, input_name(node, 0), &scale, &shift)
    }

    /// The layer a per-channel affine map of `x` (read as `xname`) may be folded into: a Conv
    /// or Dense whose output `x` is, bound to `xname` (not an alias that other nodes may
    /// read under another name), which no other node reads.
    fn foldable(&self, x: &Act, xname: &str) -> Option<usize> {
        let l = x.layer?;
        let linear = matches!(
            self.layers.get(l),
            Some(FloatLayer::Conv { .. } | FloatLayer::Dense { .. })
        );
        let only_reader = self.consumers.get(xname) == Some(&1);
        (linear && only_reader && x.layout == Layout::Ir && self.out_name.get(l) == Some(&xname))
            .then_some(l)
    }

    /// `y[c] = scale[c] · x[c] + shift[c]` per channel (or feature of a flat tensor), one
    /// value per channel each: folded into the Conv or Dense that produced `x` when nothing
    /// else reads it (its weights of output `c` times `scale[c]`, its bias
    /// `bias[c] · scale[c] + shift[c]`), else a depthwise 1×1 convolution (groups = channels)
    /// of a `[C, H, W]` tensor. A flat tensor not right after a Gemm/MatMul is refused.
    fn affine(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        x: Act,
        xname: &'a str,
        scale: &[f32],
        shift: &[f32],
    ) -> Result<NodeOutcome, OnnxError> {
        let channels = x.shape.first().copied().unwrap_or(0);
        if scale.len() != channels || shift.len() != channels {
            return Err(ctx.unsupported(format!(
                "a per-channel map of {} scales and {} offsets on {channels} channels",
                scale.len(),
                shift.len()
            )));
        }
        if let Some(l) = self.foldable(&x, xname) {
            if let Some(
                FloatLayer::Conv { weights, bias, .. } | FloatLayer::Dense { weights, bias, .. },
            ) = self.layers.get_mut(l)
            {
                let per = weights.len() / channels.max(1);
                for (ch, (s, t)) in scale.iter().zip(shift).enumerate() {
                    for w in weights.iter_mut().skip(ch * per).take(per) {
                        *w *= s;
                    }
                    if let Some(b) = bias.get_mut(ch) {
                        *b = *b * s + t;
                    }
                }
                let bad = weights.iter().chain(bias.iter()).any(|v| !v.is_finite());
                if bad {
                    return Err(ctx.unsupported(
                        "folding it into the preceding layer gives a weight or bias that is \
                         not finite",
                    ));
                }
            }
            self.set_outputs(ctx, node, Value::Act(x))?;
            self.layer_node[l].name = format!("{} + {}", self.layer_node[l].name, ctx.node);
            self.out_name[l] = node.output.first().map_or("", String::as_str);
            return Ok(NodeOutcome::FoldedInto { layer: l });
        }
        match *x.shape.as_slice() {
            [c, h, w] if x.layout == Layout::Ir => {
                let layer = FloatLayer::depthwise_1x1(scale.to_vec(), shift.to_vec());
                self.push(ctx, node, layer, vec![c, h, w])
            }
            _ => Err(ctx.unsupported(format!(
                "a per-channel scale or offset of a tensor of shape [1, {}] is supported only \
                 right after a Conv, Gemm or MatMul that nothing else reads (folded into its \
                 weights and bias), or on a [1, C, H, W] tensor (a depthwise 1×1 convolution)",
                join(&x.shape)
            ))),
        }
    }

    /// A constant operand of an element-wise operator on `x`: one value per channel of `x`
    /// (a scalar, or a shape that broadcasts along the channel axis only, as `[C, 1, 1]` or
    /// `[1, C, 1, 1]` against `[1, C, H, W]`), expanded to one value per channel.
    fn per_channel(
        &self,
        ctx: &Ctx,
        node: &NodeProto,
        ci: usize,
        x: &Act,
    ) -> Result<Vec<f32>, OnnxError> {
        let cname = input_name(node, ci);
        let c = self.constant(ctx, node, ci)?;
        let cdims = c.dims.clone();
        let values = c.floats(ctx, cname)?;
        let channels = x.shape.first().copied().unwrap_or(0);
        let rank = x.shape.len() + 1;
        let per_channel = cdims.len() <= rank
            && cdims.iter().enumerate().all(|(j, &d)| {
                let axis = rank - cdims.len() + j;
                d == 1 || (axis == 1 && d == channels)
            });
        match values.as_slice() {
            [v] if per_channel => Ok(vec![*v; channels]),
            v if per_channel && v.len() == channels => Ok(values),
            _ => Err(ctx.unsupported(format!(
                "{} of a constant of shape {cdims:?} and a tensor of shape [1, {}]; a scalar \
                 or one value per channel (broadcast along axis 1) is supported",
                ctx.op,
                join(&x.shape)
            ))),
        }
    }

    /// An element-wise activation (Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, Tanh,
    /// Gelu) of an activation: a layer proven by table lookup.
    fn activation(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        let finite = |name: &str, v: f32| {
            if v.is_finite() {
                Ok(v)
            } else {
                Err(ctx.attribute(name, v.to_string(), "a finite value"))
            }
        };
        let function = match ctx.op.as_str() {
            "Clip" => {
                attrs.known(&["min", "max"])?;
                // Bounds as inputs (opset 11 on) or attributes (before); absent: infinite.
                let bound = |i: usize, attr: &str, default: f32| match self
                    .optional_constant(ctx, node, i)?
                {
                    Some(c) => {
                        let name = input_name(node, i);
                        match c.floats(ctx, name)?.as_slice() {
                            [v] if !v.is_nan() => Ok(*v),
                            [v] => Err(ctx.bad_input(name, format!("is {v}; a number is needed"))),
                            v => Err(ctx.bad_input(
                                name,
                                format!("has {} values; a scalar is needed", v.len()),
                            )),
                        }
                    }
                    None => {
                        let v = attrs.float(attr, default)?;
                        if v.is_nan() {
                            return Err(ctx.attribute(attr, v.to_string(), "a number"));
                        }
                        Ok(v)
                    }
                };
                let min = bound(1, "min", f32::NEG_INFINITY)?;
                let max = bound(2, "max", f32::INFINITY)?;
                if min > max {
                    return Err(ctx.unsupported(format!(
                        "Clip with min {min} > max {max} (every output max); min ≤ max is \
                         supported"
                    )));
                }
                FloatFunction::Clip { min, max }
            }
            "LeakyRelu" => {
                attrs.known(&["alpha"])?;
                FloatFunction::LeakyRelu {
                    alpha: finite("alpha", attrs.float("alpha", 0.01)?)?,
                }
            }
            // PReLU with one slope (`nn.PReLU()`, or one per channel all equal) is a LeakyReLU
            // of that slope; slopes that differ per channel are not a single table: five
            // layers (`graph/prelu.rs`).
            "PRelu" => {
                attrs.known(NO_ATTRIBUTES)?;
                if node.input.len() != 2 {
                    return Err(ctx.unsupported(format!(
                        "{} inputs; PRelu takes two (the input and its slope)",
                        node.input.len()
                    )));
                }
                let name = input_name(node, 1);
                let slope = self.constant(ctx, node, 1)?;
                let dims = slope.dims.clone();
                let slopes = slope.floats(ctx, name)?;
                match slopes.split_first() {
                    Some((&a, rest)) if rest.iter().all(|&b| b == a) => FloatFunction::LeakyRelu {
                        alpha: finite("slope", a)?,
                    },
                    Some(_) => return self.prelu(ctx, node, &dims, &slopes),
                    None => return Err(ctx.bad_input(name, "no values; a slope is needed")),
                }
            }
            "HardSigmoid" => {
                attrs.known(&["alpha", "beta"])?;
                FloatFunction::HardSigmoid {
                    alpha: finite("alpha", attrs.float("alpha", 0.2)?)?,
                    beta: finite("beta", attrs.float("beta", 0.5)?)?,
                }
            }
            "Gelu" => {
                attrs.known(&["approximate"])?;
                let approximate = attrs.string("approximate", "none")?;
                match approximate.as_str() {
                    "none" => FloatFunction::Gelu { tanh: false },
                    "tanh" => FloatFunction::Gelu { tanh: true },
                    other => {
                        return Err(ctx.attribute(
                            "approximate",
                            other.to_string(),
                            "\"none\" or \"tanh\"",
                        ))
                    }
                }
            }
            op => {
                attrs.known(NO_ATTRIBUTES)?;
                match op {
                    "HardSwish" => FloatFunction::HardSwish,
                    "Sigmoid" => FloatFunction::Sigmoid,
                    _ => FloatFunction::Tanh,
                }
            }
        };
        if node.input.iter().skip(1).any(|i| !i.is_empty()) && ctx.op != "Clip" && ctx.op != "PRelu"
        {
            return Err(ctx.unsupported(format!(
                "{} inputs; {} takes one",
                node.input.len(),
                ctx.op
            )));
        }
        let x = self.act_input(ctx, node, 0)?;
        self.push(ctx, node, FloatLayer::Activation(function), x.shape)
    }

    /// `Mul(x, Sigmoid(x))` (SiLU as exporters write it) where nothing else reads the Sigmoid's
    /// output: that Sigmoid's layer becomes a SiLU and the Mul is folded into it. `None` when
    /// the Mul is not of that form.
    fn silu(&mut self, ctx: &Ctx, node: &'a NodeProto) -> Result<Option<NodeOutcome>, OnnxError> {
        if ctx.op != "Mul" || node.input.len() != 2 {
            return Ok(None);
        }
        let (Value::Act(a), Value::Act(b)) = (self.value(ctx, node, 0)?, self.value(ctx, node, 1)?)
        else {
            return Ok(None);
        };
        for (s, x, si) in [(&a, &b, 0), (&b, &a, 1)] {
            let Some(l) = s.layer else {
                continue;
            };
            let sname = input_name(node, si);
            let sigmoid = matches!(
                self.layers.get(l),
                Some(FloatLayer::Activation(FloatFunction::Sigmoid))
            );
            let of_x = self.inputs.get(l).map(Vec::as_slice) == Some(&[x.tensor()][..]);
            let ir = s.layout == Layout::Ir && x.layout == Layout::Ir;
            let only_reader = self.consumers.get(sname) == Some(&1);
            if sigmoid && of_x && ir && only_reader && self.out_name.get(l) == Some(&sname) {
                if self.last_outside.is_some() {
                    return Err(self.after_outside(ctx));
                }
                self.set_outputs(ctx, node, Value::Act(s.clone()))?;
                self.layers[l] = FloatLayer::Activation(FloatFunction::Silu);
                self.layer_node[l].name = format!("{} + {}", self.layer_node[l].name, ctx.node);
                self.out_name[l] = node.output.first().map_or("", String::as_str);
                return Ok(Some(NodeOutcome::FoldedInto { layer: l }));
            }
        }
        Ok(None)
    }

    /// Add, Sub, Mul or Div of an activation and a constant that is a scalar or one value per
    /// channel: a per-channel affine map ([`Self::affine`]). Mul, Sub and Div of two
    /// activations, and a constant divided by an activation, are refused.
    fn arith(&mut self, ctx: &Ctx, node: &'a NodeProto) -> Result<NodeOutcome, OnnxError> {
        if node.input.len() != 2 {
            return Err(ctx.unsupported(format!(
                "{} inputs; {} takes two",
                node.input.len(),
                ctx.op
            )));
        }
        let (xi, ci) = match (self.value(ctx, node, 0)?, self.value(ctx, node, 1)?) {
            (Value::Act(_) | Value::Padded(..), Value::Const(_)) => (0, 1),
            (Value::Const(_), Value::Act(_) | Value::Padded(..)) => (1, 0),
            (Value::Outside, _) | (_, Value::Outside) => return Err(self.after_outside(ctx)),
            _ => {
                if let Some(outcome) = self.silu(ctx, node)? {
                    return Ok(outcome);
                }
                if ctx.op == "Mul" {
                    return self.mul(ctx, node);
                }
                return Err(ctx.unsupported(format!(
                    "{} of two activations is not supported (only Add and Mul of two \
                     activations are); an activation and a constant scalar or per-channel \
                     constant are",
                    ctx.op
                )));
            }
        };
        let x = self.act_input(ctx, node, xi)?;
        let c = self.per_channel(ctx, node, ci, &x)?;
        let n = c.len();
        let (scale, shift) = match (ctx.op.as_str(), xi) {
            ("Add", _) => (vec![1.0; n], c),
            ("Mul", _) => (c, vec![0.0; n]),
            ("Sub", 0) => (vec![1.0; n], c.iter().map(|v| -v).collect()),
            ("Sub", _) => (vec![-1.0; n], c),
            ("Div", 0) => {
                let inv: Vec<f32> = c.iter().map(|v| 1.0 / v).collect();
                if inv.iter().any(|v| !v.is_finite() || *v == 0.0) {
                    return Err(ctx.bad_input(
                        input_name(node, ci),
                        "a divisor is zero or too small; non-zero finite divisors are needed",
                    ));
                }
                (inv, vec![0.0; n])
            }
            _ => {
                return Err(ctx.unsupported(
                    "divides a constant by an activation; only an activation divided by a \
                     constant is supported",
                ))
            }
        };
        self.affine(ctx, node, x, input_name(node, xi), &scale, &shift)
    }

    /// Mul of two activations (after the SiLU fusion declined it): the element-wise product of
    /// two tensors of one shape, or of a `[C, H, W]` tensor and a per-channel `[C, 1, 1]` (or
    /// `[C]`) one in either operand order (squeeze-and-excitation). The IR's Mul is
    /// `input · from`, `from` a layer: the per-channel operand, or for equal shapes the
    /// previous layer's output if it is an operand, else the second operand if a layer's.
    fn mul(&mut self, ctx: &Ctx, node: &'a NodeProto) -> Result<NodeOutcome, OnnxError> {
        let (Value::Act(a), Value::Act(b)) = (self.value(ctx, node, 0)?, self.value(ctx, node, 1)?)
        else {
            return Err(ctx.unsupported(
                "multiplies a channel selection, a shuffle or a padded tensor; a Mul of \
                 activations is supported",
            ));
        };
        let per_channel = |x: &[usize], y: &[usize]| match (x, y) {
            ([c, _, _], [d, 1, 1]) | ([c, _, _], [d]) => c == d,
            _ => false,
        };
        let last = self.layers.len().checked_sub(1);
        // (operand index of the first, of the second)
        let (i, j) =
            if a.shape == b.shape {
                match (a.layer, b.layer) {
                    (Some(_), Some(_)) if a.layer == last => (1, 0),
                    (_, Some(_)) => (0, 1),
                    (Some(_), None) => (1, 0),
                    (None, None) => return Err(ctx.unsupported(
                        "multiplies the graph's input by itself; a Mul of which one operand is a \
                         layer's output is supported",
                    )),
                }
            } else if per_channel(&a.shape, &b.shape) {
                (0, 1)
            } else if per_channel(&b.shape, &a.shape) {
                (1, 0)
            } else {
                return Err(ctx.unsupported(format!(
                "multiplies shapes {:?} and {:?}; equal shapes, or [C, H, W] and a per-channel \
                 [C, 1, 1], are supported",
                a.shape, b.shape
            )));
            };
        let (first, other) = if i == 0 { (a, b) } else { (b, a) };
        let Some(from) = other.layer else {
            return Err(ctx.unsupported(
                "multiplies by the graph's input per channel; the per-channel operand must be a \
                 layer's output",
            ));
        };
        self.act_input(ctx, node, i)?;
        self.act_input(ctx, node, j)?;
        self.push(ctx, node, FloatLayer::Mul { from }, first.shape)
    }

    fn add(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs<'_, 'a>,
    ) -> Result<NodeOutcome, OnnxError> {
        attrs.known(NO_ATTRIBUTES)?;
        if node.input.len() != 2 {
            return Err(ctx.unsupported(format!("{} inputs; Add takes two", node.input.len())));
        }
        let a = self.value(ctx, node, 0)?;
        let b = self.value(ctx, node, 1)?;
        let last = self.layers.len().checked_sub(1);
        match (a, b) {
            (Value::Linear(m), _) | (_, Value::Linear(m)) => {
                Err(self.linear_read(ctx, &m, "is added to a value that is not such a map"))
            }
            (Value::Channels(..) | Value::Grouped { .. }, _)
            | (_, Value::Channels(..) | Value::Grouped { .. }) => Err(ctx.unsupported(
                "adds a channel selection or shuffle (of a Split, a channel Slice or a channel \
                 shuffle); an Add of layers' outputs is supported",
            )),
            (Value::Act(a), Value::Act(b)) => {
                // The IR's Add is `input + from`, `from` a layer: the second operand is a
                // layer's output, the previous layer's if it is one of them (as a chain's
                // residual Add was imported), else the second operand if a layer's.
                // (operand index of the first, of the second, the second's layer)
                let (i, j, from) = match (a.layer, b.layer) {
                    (Some(_), Some(fb)) if a.layer == last => (0, 1, fb),
                    (Some(fa), Some(_)) if b.layer == last => (1, 0, fa),
                    (_, Some(fb)) => (0, 1, fb),
                    (Some(fa), None) => (1, 0, fa),
                    (None, None) => {
                        return Err(ctx.unsupported(
                            "adds the graph's input to itself; an Add of which one operand is \
                             a layer's output is supported",
                        ))
                    }
                };
                let (first, other) = if i == 0 { (a, b) } else { (b, a) };
                if other.shape != first.shape {
                    return Err(ctx.unsupported(format!(
                        "adds shapes {:?} and {:?}; equal shapes are supported",
                        first.shape, other.shape
                    )));
                }
                self.act_input(ctx, node, i)?;
                self.act_input(ctx, node, j)?;
                let shape = first.shape;
                self.push(ctx, node, FloatLayer::Add { from }, shape)
            }
            (Value::Act(_) | Value::Padded(..), Value::Const(_))
            | (Value::Const(_), Value::Act(_) | Value::Padded(..)) => self.arith(ctx, node),
            (Value::Outside, _) | (_, Value::Outside) => Err(self.after_outside(ctx)),
            (Value::Padded(..), _) | (_, Value::Padded(..)) => Err(padded_read(ctx)),
            (Value::Const(_), Value::Const(_)) => self.fold_node(ctx, node, attrs),
        }
    }

    /// Concat of activations along the channel axis (ONNX axis 1 of `[1, C, H, W]`): one layer
    /// reading every input, which must be a `[C_k, H, W]` activation of one `H`, `W`.
    fn concat(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs<'_, 'a>,
    ) -> Result<NodeOutcome, OnnxError> {
        attrs.known(&["axis"])?;
        let axis = attrs.int("axis", 0)?;
        if axis != 1 && axis != -3 {
            return Err(ctx.attribute(
                "axis",
                axis.to_string(),
                "axis 1 (channels of [1, C, H, W]) is supported",
            ));
        }
        if node.input.is_empty() {
            return Err(ctx.unsupported("no inputs; Concat takes at least one"));
        }
        let mut channels = 0usize;
        let mut hw: Option<(usize, usize)> = None;
        for i in 0..node.input.len() {
            let x = self.act_input(ctx, node, i)?;
            let name = input_name(node, i);
            let [c, h, w] = *x.shape.as_slice() else {
                return Err(ctx.bad_input(
                    name,
                    format!(
                        "shape [1, {}]; Concat of [1, C, H, W] tensors is supported",
                        join(&x.shape)
                    ),
                ));
            };
            if hw.is_some_and(|d| d != (h, w)) {
                return Err(ctx.bad_input(
                    name,
                    format!(
                        "shape [1, {c}, {h}, {w}]; every input must have the first one's height \
                         and width {:?}",
                        hw.unwrap_or_default()
                    ),
                ));
            }
            hw = Some((h, w));
            channels = channels.saturating_add(c);
        }
        let (h, w) = hw.unwrap_or_default();
        self.push(ctx, node, FloatLayer::Concat, vec![channels, h, w])
    }

    fn pool(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        let max = ctx.op == "MaxPool";
        if max {
            attrs.known(&[
                "auto_pad",
                "ceil_mode",
                "dilations",
                "kernel_shape",
                "pads",
                "storage_order",
                "strides",
            ])?;
            let order = attrs.int("storage_order", 0)?;
            if order != 0 {
                return Err(ctx.attribute(
                    "storage_order",
                    order.to_string(),
                    "storage_order = 0 is supported",
                ));
            }
        } else {
            attrs.known(&[
                "auto_pad",
                "ceil_mode",
                "count_include_pad",
                "dilations",
                "kernel_shape",
                "pads",
                "strides",
            ])?;
        }
        attrs.auto_pad()?;
        attrs.all_ones("dilations")?;
        let ceil = attrs.int("ceil_mode", 0)?;
        if !matches!(ceil, 0 | 1) || (!max && ceil != 0) {
            return Err(ctx.attribute(
                "ceil_mode",
                ceil.to_string(),
                if max {
                    "ceil_mode = 0 (floor) or 1 (ceil) is supported"
                } else {
                    "ceil_mode = 0 (floor) is supported for AveragePool"
                },
            ));
        }
        let kernel = attrs.ints("kernel_shape")?.unwrap_or_default();
        let size = match kernel.as_slice() {
            [a, b] if a == b && *a > 0 && *a <= u32::MAX as i64 => *a as usize,
            _ => {
                return Err(ctx.attribute(
                    "kernel_shape",
                    format!("{kernel:?}"),
                    "a square 2-D window [k, k] is supported",
                ))
            }
        };
        let stride = attrs.stride()?;
        let own = attrs.ints("pads")?.unwrap_or_else(|| vec![0; 4]);
        if !max && own.iter().any(|&p| p != 0) && attrs.int("count_include_pad", 0)? != 1 {
            return Err(ctx.attribute(
                "pads",
                format!("{own:?}"),
                "an AveragePool's own padding is supported only with count_include_pad = 1 \
                 (padding counted in the average, as after a Pad node)",
            ));
        }
        let (x, pad) = self.spatial_input(ctx, node)?;
        let [c, h, w] = *x.shape.as_slice() else {
            return Err(ctx.unsupported(format!(
                "input of shape {:?}; a [C, H, W] tensor is supported",
                x.shape
            )));
        };
        // The node's own pads plus the Pad nodes' before it, [top, left, bottom, right].
        let pads: Vec<i64> = match own.as_slice() {
            [_, _, _, _] => own
                .iter()
                .zip(pad)
                .map(|(&o, p)| o.saturating_add(i64::try_from(p).unwrap_or(i64::MAX)))
                .collect(),
            _ => {
                return Err(ctx.attribute(
                    "pads",
                    format!("{own:?}"),
                    "four pads [top, left, bottom, right] are supported",
                ))
            }
        };
        if max {
            if pad != [0; 4] && !self.non_negative(x.tensor()) {
                return Err(ctx.unsupported(format!(
                    "its input is the output of a Pad of [top, left, bottom, right] = {pad:?}: \
                     zero padding equals a max-pool's padding (which never wins) only on a \
                     non-negative input, such as a Relu's output, and this input may be \
                     negative"
                )));
            }
            let m = max_pool_of(size, stride, &pads, ceil == 1, [h, w])
                .map_err(|supported| ctx.attribute("pads", format!("{pads:?}"), &supported))?;
            let (Some(oh), Some(ow)) = (m.output(h), m.output(w)) else {
                unreachable!("max_pool_of checks that the windows fit")
            };
            return self.push(ctx, node, FloatLayer::MaxPool(m), vec![c, oh, ow]);
        }
        let padding = pads[0];
        let padding = usize::try_from(padding)
            .ok()
            .filter(|&p| p <= u32::MAX as usize && pads.iter().all(|&q| q == pads[0]))
            .ok_or_else(|| {
                ctx.attribute(
                    "pads",
                    format!("{pads:?}"),
                    "equal padding on all four sides (its own pads with count_include_pad = 1, \
                     plus a Pad node's) is supported for AveragePool",
                )
            })?;
        let (Some(oh), Some(ow)) = (
            window_out(h, size, stride, padding),
            window_out(w, size, stride, padding),
        ) else {
            return Err(ctx.unsupported(format!(
                "a {size}×{size} window does not fit the {h}×{w} input padded by {padding}"
            )));
        };
        // Without padding: the IR's average pool (an exact division for a window whose area is
        // not a power of two, `AvgPool2d::divisor`).
        if padding == 0 {
            let layer = FloatLayer::AvgPool { size, stride };
            return self.push(ctx, node, layer, vec![c, oh, ow]);
        }
        // Zero padding (counted in the average): a depthwise convolution of weights 1/k².
        let layer = average_conv(ctx, c, [size, size], stride, padding)?;
        self.push(ctx, node, layer, vec![c, oh, ow])
    }

    /// The mean of each channel of `x` (`[C, H, W]`; a view in NHWC when `nhwc_ok`): the IR's
    /// average pool when `H = W` (an exact division by `H²` when it is not a power of two), else a
    /// depthwise `H × W` convolution of weights `1/(H·W)`. The output is `[C, 1, 1]`, then flattened to `[C]` unless `keep`.
    fn global_average(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        x: Act,
        keep: bool,
    ) -> Result<NodeOutcome, OnnxError> {
        let [c, h, w] = match (x.layout, x.shape.as_slice()) {
            (Layout::Ir, &[c, h, w]) => [c, h, w],
            (Layout::Nhwc, &[h, w, c]) => [c, h, w],
            _ => {
                return Err(ctx.unsupported(format!(
                    "input of shape [1, {}]; a [1, C, H, W] tensor is supported",
                    join(&x.shape)
                )))
            }
        };
        let layer = if h == w {
            FloatLayer::AvgPool { size: h, stride: h }
        } else {
            average_conv(ctx, c, [h, w], 1, 0)?
        };
        let outcome = self.push(ctx, node, layer, vec![c, 1, 1])?;
        let NodeOutcome::Layer { layer: pooled } = outcome else {
            return Ok(outcome);
        };
        if !keep {
            self.flatten(ctx, node, Act::ir(Some(pooled), vec![c, 1, 1]))?;
        } else if x.layout == Layout::Nhwc {
            // The graph sees [1, 1, C] in NHWC.
            let act = Act {
                layer: Some(pooled),
                shape: vec![1, 1, c],
                layout: Layout::Nhwc,
            };
            self.set_outputs(ctx, node, Value::Act(act))?;
        }
        Ok(outcome)
    }

    /// ReduceMean over the height and width (axes 2 and 3 of NCHW, or 1 and 2 of an NHWC
    /// view): a global average pool.
    fn reduce_mean(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        attrs.known(&["axes", "keepdims", "noop_with_empty_axes"])?;
        let keepdims = attrs.int("keepdims", 1)?;
        if !matches!(keepdims, 0 | 1) {
            return Err(ctx.attribute(
                "keepdims",
                keepdims.to_string(),
                "keepdims = 0 or 1 is supported",
            ));
        }
        // Opset 18 on: axes as input 1; before: as an attribute.
        let axes = match attrs.ints("axes")? {
            Some(axes) => Some(axes),
            None => self.folded_ints(ctx, node, 1)?,
        };
        let x = self.act_input_any(ctx, node, 0)?;
        let rank = x.shape.len() as i64 + 1;
        let mut axes: Vec<i64> = axes
            .unwrap_or_default()
            .iter()
            .map(|&a| if a < 0 { a + rank } else { a })
            .collect();
        axes.sort_unstable();
        let want: &[i64] = if x.layout == Layout::Nhwc {
            &[1, 2]
        } else {
            &[2, 3]
        };
        if rank != 4 || axes != want {
            return Err(ctx.attribute(
                "axes",
                format!("{axes:?}"),
                "a mean over the height and width (axes [2, 3] of [1, C, H, W], or [1, 2] of \
                 an NHWC tensor) is supported",
            ));
        }
        self.global_average(ctx, node, x, keepdims == 1)
    }

    /// A zero `Pad` of an activation's height and width: no layer, the padding of the Conv,
    /// AveragePool or MaxPool that reads it ([`Value::Padded`]).
    fn pad(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        attrs.known(&["mode", "pads", "value"])?;
        let mode = attrs.string("mode", "constant")?;
        if mode != "constant" {
            return Err(ctx.attribute(
                "mode",
                format!("{mode:?}"),
                "mode \"constant\" (zero padding) is supported",
            ));
        }
        // Opset 11 on: pads, constant_value and (18 on) axes as inputs; before: attributes.
        let (pads, value, axes) = match attrs.ints("pads")? {
            Some(pads) => (pads, attrs.float("value", 0.0)?, None),
            None => {
                let pads = self.folded_ints(ctx, node, 1)?.ok_or_else(|| {
                    ctx.bad_input("", "Pad needs pads (an input or an attribute)")
                })?;
                let value = match self.optional_constant(ctx, node, 2)? {
                    Some(v) => {
                        let v = v.floats(ctx, input_name(node, 2))?;
                        match v.as_slice() {
                            [] => 0.0,
                            [v] => *v,
                            _ => {
                                return Err(ctx.bad_input(
                                    input_name(node, 2),
                                    "the constant value is not a scalar",
                                ))
                            }
                        }
                    }
                    None => 0.0,
                };
                (pads, value, self.folded_ints(ctx, node, 3)?)
            }
        };
        if value != 0.0 {
            return Err(ctx.unsupported(format!(
                "pads with the value {value}; zero padding is supported"
            )));
        }
        let (x, before) = match self.value(ctx, node, 0)? {
            Value::Act(x) => (self.act_input(ctx, node, 0).map(|_| x)?, [0; 4]),
            Value::Padded(x, p) => (x, p),
            Value::Channels(..) | Value::Linear(_) => (self.act_input(ctx, node, 0)?, [0; 4]),
            Value::Grouped { .. } => return Err(grouped_read(ctx)),
            Value::Outside => return Err(self.after_outside(ctx)),
            Value::Const(_) => {
                return Err(ctx.bad_input(
                    input_name(node, 0),
                    "is a constant; Pad is supported on activations (before a Conv or pool)",
                ))
            }
        };
        if x.shape.len() != 3 {
            return Err(ctx.unsupported(format!(
                "pads a tensor of shape [1, {}]; a [1, C, H, W] tensor is supported",
                join(&x.shape)
            )));
        }
        // Begin and end pads of the four axes.
        let axes: Vec<i64> = axes.unwrap_or_else(|| vec![0, 1, 2, 3]);
        let bad = || {
            ctx.attribute(
                "pads",
                format!("{pads:?}"),
                "non-negative pads of the height and width only (axes 2 and 3 of [1, C, H, W]) \
                 are supported",
            )
        };
        if pads.len() != 2 * axes.len() {
            return Err(bad());
        }
        let mut begin = [0i64; 4];
        let mut end = [0i64; 4];
        for (k, &a) in axes.iter().enumerate() {
            let a = if a < 0 { a + 4 } else { a };
            let a = usize::try_from(a).ok().filter(|&a| a < 4).ok_or_else(bad)?;
            begin[a] = pads[k];
            end[a] = pads[k + axes.len()];
        }
        if begin[..2].iter().chain(&end[..2]).any(|&p| p != 0) {
            return Err(bad());
        }
        let mut total = before;
        for (t, p) in total.iter_mut().zip([begin[2], begin[3], end[2], end[3]]) {
            let p = usize::try_from(p)
                .ok()
                .filter(|&p| p <= u32::MAX as usize)
                .ok_or_else(bad)?;
            *t = t.saturating_add(p);
        }
        self.set_outputs(ctx, node, Value::Padded(x, total))?;
        Ok(NodeOutcome::Padding)
    }

    /// Whether tensor `t` is non-negative in the float and the quantized model: a Relu's
    /// output, or a max-pool, average pool, flatten or concatenation of non-negative tensors.
    fn non_negative(&self, t: usize) -> bool {
        let mut todo = vec![t];
        let mut seen = std::collections::HashSet::new();
        while let Some(t) = todo.pop() {
            if !seen.insert(t) {
                continue;
            }
            let Some(l) = t.checked_sub(1) else {
                return false;
            };
            let reads = self.inputs.get(l).map_or(&[][..], Vec::as_slice);
            match self.layers.get(l) {
                Some(FloatLayer::Relu) => {}
                Some(FloatLayer::Activation(f)) if f.non_negative() => {}
                Some(
                    FloatLayer::MaxPool(_)
                    | FloatLayer::AvgPool { .. }
                    | FloatLayer::Flatten
                    | FloatLayer::Concat,
                ) => todo.extend_from_slice(reads),
                _ => return false,
            }
        }
        true
    }

    fn outside_op(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs,
    ) -> Result<NodeOutcome, OnnxError> {
        let argmax = ctx.op == "ArgMax";
        if argmax {
            attrs.known(&["axis", "keepdims", "select_last_index"])?;
            let last = attrs.int("select_last_index", 0)?;
            if last != 0 {
                return Err(ctx.attribute(
                    "select_last_index",
                    last.to_string(),
                    "select_last_index = 0 is supported",
                ));
            }
        } else {
            attrs.known(&["axis"])?;
        }
        let axis = attrs.int("axis", if argmax { 0 } else { -1 })?;
        if axis != 1 && axis != -1 {
            return Err(ctx.attribute(
                "axis",
                axis.to_string(),
                "the class axis (1 or -1 of a [1, N] tensor) is supported",
            ));
        }
        let name = input_name(node, 0);
        match self.value(ctx, node, 0)? {
            Value::Outside if self.last_outside == Some(name) => {}
            Value::Act(x) if self.last_outside.is_none() => {
                self.act_input(ctx, node, 0)?;
                if x.shape.len() != 1 {
                    return Err(ctx.unsupported(format!(
                        "reads a tensor of shape [1, {}]; a flat [1, N] tensor is supported",
                        join(&x.shape)
                    )));
                }
            }
            Value::Const(_) => return Err(ctx.bad_input(name, "is a constant")),
            _ => {
                return Err(ctx.unsupported(
                    "does not read the last value of the graph: Softmax and ArgMax are \
                     supported only as a chain at the end",
                ))
            }
        }
        self.set_outputs(ctx, node, Value::Outside)?;
        self.last_outside = node.output.first().map(String::as_str);
        self.outside.push(ctx.op.clone());
        Ok(NodeOutcome::OutsideProof)
    }

    /// The graph has one output: the last layer's, or the last outside operator's.
    fn check_output(&self, graph: &GraphProto) -> Result<(), OnnxError> {
        let names: Vec<&str> = graph
            .output
            .iter()
            .map(|o| o.name.as_deref().unwrap_or(""))
            .collect();
        let [name] = names.as_slice() else {
            return Err(OnnxError::GraphOutput {
                name: names.join(", "),
                what: format!("{} outputs; exactly one is supported", names.len()),
            });
        };
        let err = |what: &str| OnnxError::GraphOutput {
            name: name.to_string(),
            what: what.into(),
        };
        if self.layers.is_empty() {
            return Err(err("the graph has no layers to prove"));
        }
        let last = Some(self.layers.len() - 1);
        match self.values.get(name) {
            Some(Value::Act(a))
                if self.last_outside.is_none() && a.layer == last && a.layout == Layout::Ir =>
            {
                Ok(())
            }
            Some(Value::Outside) if self.last_outside == Some(*name) => Ok(()),
            _ => Err(err(
                "is not the last layer's output (or the last Softmax/ArgMax after it)",
            )),
        }
    }
}

/// Output length of a window of side `k`, stride `s` and padding `p` over `n` (floor mode).
/// Kernels `[kh, kw]` (consecutive, row-major) copied into zero kernels `grown`, at row
/// `offset[0]` and column `offset[1]`: a convolution with pads `[t, l, b, r]` is one with equal
/// padding `p ≥ t, l, b, r` of the kernel grown by `p − t` zero rows on top, `p − b` below,
/// `p − l` zero columns on the left and `p − r` on the right (window `i` starts `p − t` rows
/// earlier and its first `p − t` rows weigh nothing).
fn grow_kernel(
    weights: &[f32],
    [kh, kw]: [usize; 2],
    grown: [usize; 2],
    offset: [usize; 2],
) -> Vec<f32> {
    let (gh, gw) = (grown[0], grown[1]);
    let kernels = weights.len() / (kh * kw);
    let mut out = vec![0.0; kernels * gh * gw];
    for (k, kernel) in weights.chunks_exact(kh * kw).enumerate() {
        for (y, row) in kernel.chunks_exact(kw).enumerate() {
            let at = k * gh * gw + (y + offset[0]) * gw + offset[1];
            out[at..at + kw].copy_from_slice(row);
        }
    }
    out
}

fn window_out(n: usize, k: usize, s: usize, p: usize) -> Option<usize> {
    let padded = n.checked_add(p.checked_mul(2)?)?;
    let span = padded.checked_sub(k)?;
    Some(span / s + 1)
}

/// ONNX's (and onnxruntime's) number of pooling windows along a dimension of length `n`, with
/// `begin` and `end` padding: `⌊(n + begin + end − k)/s⌋ + 1`, or with `ceil`
/// `⌈(n + begin + end − k)/s⌉ + 1` less one when that last window would start at or after
/// `n + begin`. `None` when the window does not fit.
fn onnx_pool_out(
    n: usize,
    k: usize,
    s: usize,
    begin: usize,
    end: usize,
    ceil: bool,
) -> Option<usize> {
    let span = n.checked_add(begin)?.checked_add(end)?.checked_sub(k)?;
    let mut out = if ceil { span.div_ceil(s) } else { span / s } + 1;
    if ceil && (out - 1).checked_mul(s)? >= n + begin {
        out -= 1;
    }
    Some(out)
}

/// The IR max-pool equal to ONNX's MaxPool of a `size × size` window, `stride`, `pads`
/// (`[top, left, bottom, right]`) and ceil mode on an `[h, w]` input: padding never wins, so
/// trailing padding only decides the number of windows, and any `pads` whose leading padding is
/// the same on both axes and below `size`, and whose window counts are the IR's floor or ceil
/// counts (the same mode on both axes), maps to one (Keras's `same` padding of `[0, 0, 1, 1]`
/// included). Otherwise what is supported, for the error message.
pub(crate) fn max_pool_of(
    size: usize,
    stride: usize,
    pads: &[i64],
    ceil: bool,
    [h, w]: [usize; 2],
) -> Result<MaxPool2d, String> {
    let refuse = || {
        "[top, left, bottom, right] pads with top = left below the window side and \
         window counts of floor or ceil mode (symmetric pads, or extra bottom/right padding \
         that adds no window of padding only)"
            .to_string()
    };
    let pads: Vec<usize> = match pads {
        [] => vec![0; 4],
        [_, _, _, _] => pads
            .iter()
            .map(|&p| usize::try_from(p).ok().filter(|&p| p <= u32::MAX as usize))
            .collect::<Option<_>>()
            .ok_or_else(refuse)?,
        _ => return Err(refuse()),
    };
    let [top, left, bottom, right] = pads[..] else {
        return Err(refuse());
    };
    if top != left || top >= size {
        return Err(refuse());
    }
    let want = (
        onnx_pool_out(h, size, stride, top, bottom, ceil),
        onnx_pool_out(w, size, stride, left, right, ceil),
    );
    let (Some(_), Some(_)) = want else {
        return Err(refuse());
    };
    [false, true]
        .into_iter()
        .map(|ceil_mode| MaxPool2d {
            input: None,
            size,
            stride,
            padding: top,
            ceil_mode,
        })
        .find(|m| (m.output(h), m.output(w)) == want)
        .ok_or_else(refuse)
}

/// The average over `kernel` windows with `stride` and zero `padding` (counted in the
/// average) of each of `c` channels, as a depthwise convolution of weights `1/(kh·kw)`.
/// Windows beyond the prover's kernel area are refused before the weights are allocated.
fn average_conv(
    ctx: &Ctx,
    c: usize,
    kernel: [usize; 2],
    stride: usize,
    padding: usize,
) -> Result<FloatLayer, OnnxError> {
    let area = kernel[0].saturating_mul(kernel[1]).max(1);
    if area > MAX_KERNEL_AREA {
        return Err(OnnxError::Unprovable {
            at: format!("node {}", ctx.node_ref()),
            what: format!(
                "an average over {}×{} windows, which is not a power-of-two area, becomes a \
                 depthwise convolution, and its {area} kernel positions exceed the prover's \
                 limit of {MAX_KERNEL_AREA}",
                kernel[0], kernel[1]
            ),
        });
    }
    let weights = c.saturating_mul(area);
    if weights > MAX_VALUES {
        return Err(ctx.unsupported(format!(
            "an average of {c} channels over {}×{} windows would take {weights} convolution \
             weights; at most {MAX_VALUES} are supported",
            kernel[0], kernel[1]
        )));
    }
    Ok(FloatLayer::Conv {
        in_channels: c,
        out_channels: c,
        kernel,
        stride,
        padding,
        groups: c,
        weights: vec![1.0 / area as f32; weights],
        bias: vec![0.0; c],
    })
}

/// A node other than a Conv or pool reads a Pad's output.
/// A read of a channel shuffle's 5-D view by anything but its Transpose and Reshape.
fn grouped_read(ctx: &Ctx) -> OnnxError {
    ctx.unsupported(
        "reads the 5-D view [1, g, C/g, H, W] of an activation; only a channel shuffle (that \
         Reshape, a Transpose [0, 2, 1, 3, 4] and a Reshape back to [1, C, H, W]) is supported",
    )
}

fn padded_read(ctx: &Ctx) -> OnnxError {
    ctx.unsupported(
        "reads the output of a Pad; a zero Pad of the height and width is supported only as \
         the input of a Conv, AveragePool or MaxPool (it becomes their padding)",
    )
}

fn input_name(node: &NodeProto, i: usize) -> &str {
    node.input.get(i).map(String::as_str).unwrap_or("")
}

/// The other layout of a 3-D activation and the ONNX shape (batch dropped) it has there:
/// NHWC `[H, W, C]` of an IR `[C, H, W]` tensor, IR `[C, H, W]` of an NHWC `[H, W, C]` view.
fn other_layout(x: &Act) -> Option<(Layout, Vec<usize>)> {
    match (x.layout, x.shape.as_slice()) {
        (Layout::Ir, &[c, h, w]) => Some((Layout::Nhwc, vec![h, w, c])),
        (Layout::Nhwc, &[h, w, c]) => Some((Layout::Ir, vec![c, h, w])),
        _ => None,
    }
}

/// The number of spatial positions `H·W` of a 3-D activation (0 otherwise).
fn spatial(x: &Act) -> usize {
    match (x.layout, x.shape.as_slice()) {
        (Layout::Ir, &[_, h, w]) | (Layout::Nhwc, &[h, w, _]) => h * w,
        _ => 0,
    }
}

fn join(shape: &[usize]) -> String {
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Dense weights `[out][in]` whose input is in `layout`, with their columns in the IR's order:
/// for [`Layout::FlatNhwc`], input `(y·w + x)·c + ch` (NHWC) is the IR's `ch·h·w + y·w + x`.
fn to_ir_order(weights: Vec<f32>, layout: Layout) -> Vec<f32> {
    let Layout::FlatNhwc { c, h, w } = layout else {
        return weights;
    };
    let k = c * h * w;
    let mut out = vec![0.0; weights.len()];
    for (row_in, row_out) in weights.chunks_exact(k).zip(out.chunks_exact_mut(k)) {
        for y in 0..h {
            for x in 0..w {
                for ch in 0..c {
                    row_out[ch * h * w + y * w + x] = row_in[(y * w + x) * c + ch];
                }
            }
        }
    }
    out
}

/// `[k][n]` row-major to `[n][k]`.
fn transpose(values: &[f32], k: usize, n: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for r in 0..k {
        for c in 0..n {
            out[c * k + r] = values[r * n + c];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{max_pool_of, window_out};
    use crate::model::MaxPool2d;
    use crate::onnx::proto::*;
    use crate::onnx::{ImportOptions, NodeOutcome, NodeRef, OnnxError};

    fn node(name: &str, op: &str, inputs: &[&str], output: &str) -> NodeProto {
        NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            name: (!name.is_empty()).then(|| name.into()),
            op_type: Some(op.into()),
            domain: None,
            attribute: Vec::new(),
        }
    }

    fn ints(name: &str, dims: &[i64], values: &[i64]) -> TensorProto {
        TensorProto {
            name: Some(name.into()),
            dims: dims.to_vec(),
            data_type: Some(data_type::INT64),
            int64_data: values.to_vec(),
            ..TensorProto::default()
        }
    }

    /// A `[1, 2, 2, 2]` float input `x` (a symbolic batch), then `nodes`; output `y`.
    fn model(nodes: Vec<NodeProto>, initializer: Vec<TensorProto>) -> Vec<u8> {
        let dim = |v: Option<i64>, p: Option<&str>| Dimension {
            dim_value: v,
            dim_param: p.map(str::to_string),
        };
        let x = ValueInfoProto {
            name: Some("x".into()),
            r#type: Some(TypeProto {
                tensor_type: Some(TypeProtoTensor {
                    elem_type: Some(data_type::FLOAT),
                    shape: Some(TensorShapeProto {
                        dim: vec![
                            dim(None, Some("batch")),
                            dim(Some(2), None),
                            dim(Some(2), None),
                            dim(Some(2), None),
                        ],
                    }),
                }),
            }),
        };
        let y = ValueInfoProto {
            name: Some("y".into()),
            r#type: None,
        };
        let m = ModelProto {
            ir_version: Some(8),
            opset_import: vec![OperatorSetIdProto {
                domain: None,
                version: Some(13),
            }],
            producer_name: None,
            graph: Some(GraphProto {
                node: nodes,
                name: None,
                initializer,
                input: vec![x],
                output: vec![y],
            }),
        };
        prost::Message::encode_to_vec(&m)
    }

    fn gemm_weights() -> TensorProto {
        TensorProto {
            name: Some("w".into()),
            dims: vec![8, 2],
            data_type: Some(data_type::FLOAT),
            float_data: (0..16).map(|i| i as f32 / 16.0).collect(),
            ..TensorProto::default()
        }
    }

    #[test]
    fn nhwc_dense_columns_move_to_nchw_order() {
        use super::{to_ir_order, Layout};
        // One output row over a [c=2, h=1, w=2] tensor. NHWC order: (y0x0c0, y0x0c1, y0x1c0,
        // y0x1c1); NCHW order: (c0y0x0, c0y0x1, c1y0x0, c1y0x1).
        let nhwc = vec![10.0, 11.0, 20.0, 21.0];
        let layout = Layout::FlatNhwc { c: 2, h: 1, w: 2 };
        assert_eq!(to_ir_order(nhwc.clone(), layout), [10.0, 20.0, 11.0, 21.0]);
        assert_eq!(to_ir_order(nhwc.clone(), Layout::Ir), nhwc);
    }

    #[test]
    fn torch_flatten_pattern_with_a_symbolic_batch_folds_to_a_flatten() {
        // Relu, then Reshape(r, Concat(Unsqueeze(Gather(Shape(r), 0), [0]), [-1])), Gemm.
        let nodes = vec![
            node("relu", "Relu", &["x"], "r"),
            node("shape", "Shape", &["r"], "s"),
            node("gather", "Gather", &["s", "zero"], "g"),
            node("unsqueeze", "Unsqueeze", &["g", "axes"], "u"),
            node("concat", "Concat", &["u", "minus_one"], "c"),
            node("reshape", "Reshape", &["r", "c"], "f"),
            node("gemm", "Gemm", &["f", "w"], "y"),
        ];
        let mut concat_axis = nodes;
        concat_axis[4].attribute.push(AttributeProto {
            name: Some("axis".into()),
            r#type: Some(attribute_type::INT),
            i: Some(0),
            ..AttributeProto::default()
        });
        let inits = vec![
            ints("zero", &[], &[0]),
            ints("axes", &[1], &[0]),
            ints("minus_one", &[1], &[-1]),
            gemm_weights(),
        ];
        let options = ImportOptions {
            calibration: vec![vec![0.5; 8]],
            ..ImportOptions::default()
        };
        let imported = crate::onnx::import(&model(concat_axis, inits), &options).unwrap();
        let kinds: Vec<_> = imported
            .model
            .layers
            .iter()
            .map(|l| l.kind().name())
            .collect();
        assert_eq!(kinds, ["Relu", "Flatten", "Dense"]);
        let outcomes: Vec<_> = imported.report.nodes.iter().map(|n| &n.outcome).collect();
        assert_eq!(outcomes[1..5], [&NodeOutcome::Constant; 4]);
    }

    #[test]
    fn errors_name_unnamed_nodes_by_index_and_output() {
        let nodes = vec![
            node("", "Relu", &["x"], "r"),
            node("", "Hardmax", &["r"], "y"),
        ];
        let err = crate::onnx::import(&model(nodes, vec![]), &ImportOptions::default());
        let want = NodeRef {
            name: "#1".into(),
            op_type: "Hardmax".into(),
            output: "y".into(),
        };
        assert!(
            matches!(&err, Err(OnnxError::UnsupportedOp { node, .. }) if **node == want),
            "{err:?}"
        );
        let text = err.unwrap_err().to_string();
        assert!(
            text.starts_with("node #1 (Hardmax, output \"y\"): unsupported operator Hardmax"),
            "{text}"
        );
        // A node without outputs says so.
        let mut bare = node("", "Hardmax", &["x"], "");
        bare.output.clear();
        let err = crate::onnx::import(&model(vec![bare], vec![]), &ImportOptions::default());
        let text = err.unwrap_err().to_string();
        assert!(text.starts_with("node #0 (Hardmax, no output)"), "{text}");
    }

    fn floats(name: &str, values: &[f32]) -> TensorProto {
        TensorProto {
            name: Some(name.into()),
            dims: Vec::new(),
            data_type: Some(data_type::FLOAT),
            float_data: values.to_vec(),
            ..TensorProto::default()
        }
    }

    fn with_float(mut n: NodeProto, name: &str, f: f32) -> NodeProto {
        n.attribute.push(AttributeProto {
            name: Some(name.into()),
            r#type: Some(attribute_type::FLOAT),
            f: Some(f),
            ..AttributeProto::default()
        });
        n
    }

    /// The float layers of a graph whose nodes read `x` and end in `y`.
    fn layers(nodes: Vec<NodeProto>, init: Vec<TensorProto>) -> Result<Graph, OnnxError> {
        let bytes = model(nodes, init);
        let proto: ModelProto = prost::Message::decode(bytes.as_slice()).unwrap();
        super::read(&proto)
    }

    use super::{FloatFunction as F, FloatLayer, Graph};

    fn with_ints(mut n: NodeProto, name: &str, values: &[i64]) -> NodeProto {
        n.attribute.push(AttributeProto {
            name: Some(name.into()),
            r#type: Some(attribute_type::INTS),
            ints: values.to_vec(),
            ..AttributeProto::default()
        });
        n
    }

    fn float_tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
        TensorProto {
            dims: dims.to_vec(),
            ..floats(name, values)
        }
    }

    /// The eight input values of the `[1, 2, 2, 2]` test models.
    const X: [f32; 8] = [0.5, -1.0, 2.0, 0.25, -0.75, 1.5, 1.0, -2.0];

    #[test]
    fn unequal_conv_pads_grow_the_kernel_with_zeros() {
        // A 2×2 kernel, stride 1, pads [top, left, bottom, right] = [0, 0, 1, 1] (TF's `same`
        // with an even kernel; stride 2 `same` pads so too): output 2×2, windows starting at
        // (i, j), zeros past the input's bottom and right.
        let w: Vec<f32> = (1..=8).map(|i| i as f32 / 8.0).collect();
        let conv = |pads: &[i64]| with_ints(node("conv", "Conv", &["x", "w"], "y"), "pads", pads);
        let init = || vec![float_tensor("w", &[1, 2, 2, 2], &w)];
        let bytes = model(vec![conv(&[0, 0, 1, 1])], init());
        let mut want = vec![0.0f32; 4];
        for i in 0..2 {
            for j in 0..2 {
                for c in 0..2 {
                    for u in 0..2 {
                        for v in 0..2 {
                            let (y, x) = (i + u, j + v);
                            if y < 2 && x < 2 {
                                want[i * 2 + j] += w[c * 4 + u * 2 + v] * X[c * 4 + y * 2 + x];
                            }
                        }
                    }
                }
            }
        }
        let got = crate::onnx::evaluate_float(&bytes, &X).unwrap();
        assert_eq!(got.len(), 4);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
        // As a 3×3 kernel (a zero row on top and a zero column on the left) with padding 1.
        let g = layers(vec![conv(&[0, 0, 1, 1])], init()).unwrap();
        match &g.layers[0] {
            FloatLayer::Conv {
                kernel,
                padding,
                weights,
                ..
            } => {
                assert_eq!((*kernel, *padding), ([3, 3], 1));
                assert_eq!(weights[..4], [0.0; 4]);
                assert_eq!(weights[4..6], [w[0], w[1]]);
                assert_eq!(weights[6], 0.0);
            }
            other => panic!("{other:?}"),
        }
        // Padding a whole kernel side or more on one side only: refused, naming the node.
        let err = layers(vec![conv(&[0, 0, 2, 0])], init()).unwrap_err();
        assert!(
            matches!(&err, OnnxError::Unsupported { node, .. } if node.name == "conv"),
            "{err:?}"
        );
    }

    #[test]
    fn squeeze_of_a_pooled_map_is_a_flatten() {
        // tf2onnx's GlobalAveragePooling2D at opset 13: GlobalAveragePool, Squeeze [2, 3].
        let nodes = || {
            vec![
                node("gap", "GlobalAveragePool", &["x"], "p"),
                node("squeeze", "Squeeze", &["p", "axes"], "s"),
                node("dense", "MatMul", &["s", "w"], "y"),
            ]
        };
        let init = |axes: &[i64]| {
            vec![
                ints("axes", &[axes.len() as i64], axes),
                float_tensor("w", &[2, 1], &[1.0, 10.0]),
            ]
        };
        let bytes = model(nodes(), init(&[2, 3]));
        let mean = |c: usize| X[c * 4..c * 4 + 4].iter().sum::<f32>() / 4.0;
        let got = crate::onnx::evaluate_float(&bytes, &X).unwrap();
        assert!(
            (got[0] - (mean(0) + 10.0 * mean(1))).abs() < 1e-6,
            "{got:?}"
        );
        let g = layers(nodes(), init(&[-1, -2])).unwrap();
        assert!(
            matches!(g.layers[1], FloatLayer::Flatten),
            "{:?}",
            g.layers[1]
        );
        // A Squeeze of the channel axis (size 2) or of the batch: refused, naming the node.
        for axes in [&[1][..], &[0, 2, 3]] {
            let err = layers(nodes(), init(axes)).unwrap_err();
            assert!(
                matches!(&err, OnnxError::Unsupported { node, .. } if node.name == "squeeze"),
                "{axes:?}: {err:?}"
            );
        }
    }

    #[test]
    fn reshape_of_a_one_by_one_map_to_nhwc_is_a_transpose() {
        // tf2onnx on MobileNetV2's 1×1 maps: Reshape [1, C, 1, 1] to [-1, 1, 1, C], then
        // ReduceMean over the NHWC view's axes [1, 2]: the Reshape is the NCHW-to-NHWC
        // Transpose (one spatial position orders the values alike).
        let nodes = |shape: &str| {
            vec![
                node("gap", "GlobalAveragePool", &["x"], "p"),
                node("reshape", "Reshape", &["p", shape], "r"),
                with_ints(node("mean", "ReduceMean", &["r"], "m"), "axes", &[1, 2]),
                node("dense", "MatMul", &["m", "w"], "y"),
            ]
        };
        let mut mean_keep0 = nodes("nhwc");
        mean_keep0[2].attribute.push(AttributeProto {
            name: Some("keepdims".into()),
            r#type: Some(attribute_type::INT),
            i: Some(0),
            ..AttributeProto::default()
        });
        let init = vec![
            ints("nhwc", &[4], &[-1, 1, 1, 2]),
            float_tensor("w", &[2, 1], &[1.0, 10.0]),
        ];
        let bytes = model(mean_keep0, init.clone());
        let mean = |c: usize| X[c * 4..c * 4 + 4].iter().sum::<f32>() / 4.0;
        let got = crate::onnx::evaluate_float(&bytes, &X).unwrap();
        assert!(
            (got[0] - (mean(0) + 10.0 * mean(1))).abs() < 1e-6,
            "{got:?}"
        );
        let proto: ModelProto = prost::Message::decode(bytes.as_slice()).unwrap();
        let g = super::read(&proto).unwrap();
        assert_eq!(g.nodes[1].outcome, NodeOutcome::Layout);
        // The same Reshape of a 2×2 map is not a transpose: refused, naming the node.
        let nodes = vec![
            node("reshape", "Reshape", &["x", "nhwc"], "r"),
            node("relu", "Relu", &["r"], "y"),
        ];
        let err = layers(nodes, vec![ints("nhwc", &[4], &[1, 2, 2, 2])]);
        assert!(err.is_ok(), "[1, 2, 2, 2] is also the identity: {err:?}");
        let nodes = vec![
            node("reshape", "Reshape", &["x", "other"], "r"),
            node("relu", "Relu", &["r"], "y"),
        ];
        let err = layers(nodes, vec![ints("other", &[4], &[1, 2, 1, 4])]).unwrap_err();
        assert!(
            matches!(&err, OnnxError::Unsupported { node, .. } if node.name == "reshape"),
            "{err:?}"
        );
    }

    fn function(g: &Graph, i: usize) -> F {
        match &g.layers[i] {
            FloatLayer::Activation(f) => f.clone(),
            other => panic!("layer {i} is {other:?}"),
        }
    }

    #[test]
    fn activations_become_table_layers() {
        let inf = f32::INFINITY;
        // Clip's bounds as inputs (opset 11 on; an empty name is absent) or attributes.
        let clip = |inputs: &[&str]| node("relu6", "Clip", inputs, "y");
        let lo = floats("lo", &[0.0]);
        let hi = floats("hi", &[6.0]);
        let g = layers(vec![clip(&["x", "lo", "hi"])], vec![lo.clone(), hi.clone()]).unwrap();
        assert_eq!(function(&g, 0), F::Clip { min: 0.0, max: 6.0 });
        let g = layers(vec![clip(&["x", "", "hi"])], vec![hi]).unwrap();
        assert_eq!(
            function(&g, 0),
            F::Clip {
                min: -inf,
                max: 6.0
            }
        );
        let g = layers(vec![clip(&["x", "lo"])], vec![lo]).unwrap();
        assert_eq!(function(&g, 0), F::Clip { min: 0.0, max: inf });
        let n = with_float(with_float(clip(&["x"]), "min", -1.0), "max", 1.0);
        let g = layers(vec![n], vec![]).unwrap();
        assert_eq!(
            function(&g, 0),
            F::Clip {
                min: -1.0,
                max: 1.0
            }
        );
        // Defaults of LeakyRelu and HardSigmoid; the others take no attribute.
        let g = layers(vec![node("l", "LeakyRelu", &["x"], "y")], vec![]).unwrap();
        assert_eq!(function(&g, 0), F::LeakyRelu { alpha: 0.01 });
        // PRelu: one slope, or equal slopes per channel, is a LeakyRelu (one layer); slopes
        // that differ per channel are lowered (`prelu_with_slopes_per_channel_is_five_layers`).
        let prelu = node("p", "PRelu", &["x", "slope"], "y");
        let g = layers(vec![prelu.clone()], vec![floats("slope", &[0.25])]).unwrap();
        assert_eq!(function(&g, 0), F::LeakyRelu { alpha: 0.25 });
        assert_eq!(g.layers.len(), 1);
        let equal = float_tensor("slope", &[2, 1, 1], &[0.1, 0.1]);
        let g = layers(vec![prelu.clone()], vec![equal]).unwrap();
        assert_eq!(function(&g, 0), F::LeakyRelu { alpha: 0.1 });
        assert_eq!(g.layers.len(), 1);
        let n = with_float(node("h", "HardSigmoid", &["x"], "y"), "alpha", 0.25);
        let g = layers(vec![n], vec![]).unwrap();
        assert_eq!(
            function(&g, 0),
            F::HardSigmoid {
                alpha: 0.25,
                beta: 0.5
            }
        );
        for (op, f) in [
            ("HardSwish", F::HardSwish),
            ("Sigmoid", F::Sigmoid),
            ("Tanh", F::Tanh),
        ] {
            let g = layers(vec![node("a", op, &["x"], "y")], vec![]).unwrap();
            assert_eq!(function(&g, 0), f);
            let n = with_float(node("a", op, &["x"], "y"), "alpha", 1.0);
            let err = layers(vec![n], vec![]).unwrap_err();
            assert!(
                matches!(err, OnnxError::UnsupportedAttribute { .. }),
                "{err:?}"
            );
        }
        // min > max, a NaN bound, a non-scalar bound: refused, naming the node.
        let n = with_float(with_float(clip(&["x"]), "min", 2.0), "max", 1.0);
        let err = layers(vec![n], vec![]).unwrap_err();
        assert!(err.to_string().starts_with("node relu6 (Clip"), "{err}");
        let n = with_float(clip(&["x"]), "max", f32::NAN);
        assert!(layers(vec![n], vec![]).is_err());
        let two = TensorProto {
            dims: vec![2],
            ..floats("two", &[0.0, 1.0])
        };
        let err = layers(vec![clip(&["x", "two"])], vec![two]).unwrap_err();
        assert!(matches!(err, OnnxError::BadInput { .. }), "{err:?}");
    }

    /// PRelu with slopes that differ per channel: `relu(x) − a·relu(−x)`, five layers (a
    /// depthwise 1×1 convolution of `x` with weights −1, its ReLU, a depthwise 1×1 convolution
    /// of that with weights `−a`, the ReLU of `x`, their Add bound to the node's output),
    /// computing PRelu; what stays refused is refused by name.
    #[test]
    fn prelu_with_slopes_per_channel_is_five_layers() {
        let prelu = node("p", "PRelu", &["x", "slope"], "y");
        for dims in [&[2, 1, 1][..], &[1, 2, 1, 1]] {
            let slope = float_tensor("slope", dims, &[0.25, -1.5]);
            let g = layers(vec![prelu.clone()], vec![slope]).unwrap();
            assert_eq!(g.layers.len(), 5, "{dims:?}");
            let depthwise = |l: &FloatLayer| match l {
                FloatLayer::Conv {
                    in_channels: 2,
                    out_channels: 2,
                    kernel: [1, 1],
                    stride: 1,
                    padding: 0,
                    groups: 2,
                    weights,
                    bias,
                } => {
                    assert_eq!(bias, &[0.0, 0.0]);
                    weights.clone()
                }
                other => panic!("{other:?} is not a depthwise 1×1 convolution"),
            };
            assert_eq!(depthwise(&g.layers[0]), [-1.0, -1.0]);
            assert!(matches!(g.layers[1], FloatLayer::Relu));
            assert_eq!(depthwise(&g.layers[2]), [-0.25, 1.5]);
            assert!(matches!(g.layers[3], FloatLayer::Relu));
            assert!(matches!(g.layers[4], FloatLayer::Add { from: 2 }));
            // −x; relu(−x); −a·relu(−x); relu(x); relu(x) + (−a·relu(−x)) (tensor 0 the
            // input, l + 1 layer l's output).
            assert_eq!(g.inputs, [vec![0], vec![1], vec![2], vec![0], vec![4, 3]]);
            assert_eq!(g.shapes, vec![vec![2, 2, 2]; 5]);
            assert_eq!(g.layer_node[0].name, "p (PRelu: −x)");
            assert_eq!(g.layer_node[3].name, "p (PRelu: relu(x))");
            assert_eq!(g.layer_node[4].name, "p");
            assert_eq!(g.nodes[0].outcome, NodeOutcome::Layer { layer: 4 });
            // The float graph computes PRelu: channel 0 (the first four values) slope 0.25,
            // channel 1 slope −1.5.
            let y = crate::onnx::float::output(&g, &X);
            let want: Vec<f32> = X
                .iter()
                .enumerate()
                .map(|(i, &v)| match (v < 0.0, i < 4) {
                    (false, _) => v,
                    (true, true) => 0.25 * v,
                    (true, false) => -1.5 * v,
                })
                .collect();
            assert_eq!(y, want, "{dims:?}");
        }
        // As torch's TorchScript exporter writes `nn.PReLU(C)` without constant folding: the
        // `[C]` weight unsqueezed to `[C, 1, 1]` (a folded constant).
        let nodes = vec![
            node("u", "Unsqueeze", &["weight", "axes"], "slope"),
            prelu.clone(),
        ];
        let init = vec![
            float_tensor("weight", &[2], &[0.25, -1.5]),
            ints("axes", &[2], &[1, 2]),
        ];
        let g = layers(nodes, init).unwrap();
        assert_eq!(g.layers.len(), 5);
        assert!(
            matches!(&g.layers[2], FloatLayer::Conv { weights, .. } if weights == &[-0.25, 1.5])
        );

        // Refused, naming the node: an empty slope, a slope computed from the input, a slope
        // that does not broadcast to the input (3 values on 2 channels), one that varies
        // along the width (a [C]-shaped slope is one per column: ONNX broadcasts from the
        // right), a slope that is not finite (as any constant), a third input, a flat input.
        let refused = |nodes: Vec<NodeProto>, init: Vec<TensorProto>| {
            let err = layers(nodes, init).unwrap_err();
            assert!(err.to_string().starts_with("node p (PRelu"), "{err}");
            err
        };
        let err = refused(vec![prelu.clone()], vec![float_tensor("slope", &[0], &[])]);
        assert!(
            matches!(&err, OnnxError::BadInput { tensor, .. } if tensor == "slope"),
            "{err:?}"
        );
        let err = refused(vec![node("p", "PRelu", &["x", "x"], "y")], vec![]);
        assert!(matches!(err, OnnxError::BadInput { .. }), "{err:?}");
        let three = float_tensor("slope", &[3, 1, 1], &[0.1, 0.2, 0.1]);
        let err = refused(vec![prelu.clone()], vec![three]);
        assert!(
            matches!(&err, OnnxError::BadInput { tensor, what, .. }
                if tensor == "slope" && what.contains("does not broadcast")),
            "{err:?}"
        );
        let columns = float_tensor("slope", &[2], &[0.1, 0.2]);
        let err = refused(vec![prelu.clone()], vec![columns]);
        assert!(
            matches!(&err, OnnxError::Unsupported { what, .. } if what.contains("[C, 1, 1]")),
            "{err:?}"
        );
        let nan = float_tensor("slope", &[2, 1, 1], &[0.1, f32::NAN]);
        let err = refused(vec![prelu.clone()], vec![nan]);
        assert!(
            matches!(&err, OnnxError::BadInput { what, .. } if what.contains("NaN")),
            "{err:?}"
        );
        let slope = || float_tensor("slope", &[2, 1, 1], &[0.1, 0.2]);
        let err = refused(
            vec![node("p", "PRelu", &["x", "slope", "slope"], "y")],
            vec![slope()],
        );
        assert!(matches!(err, OnnxError::Unsupported { .. }), "{err:?}");
        let flat = vec![
            node("f", "Flatten", &["x"], "f"),
            node("p", "PRelu", &["f", "slope"], "y"),
        ];
        let per_feature = float_tensor("slope", &[8], &[0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.1, 0.2]);
        let err = refused(flat, vec![per_feature]);
        assert!(
            matches!(&err, OnnxError::Unsupported { what, .. } if what.contains("[1, C, H, W]")),
            "{err:?}"
        );
    }

    #[test]
    fn mul_of_a_tensor_and_its_sigmoid_is_a_silu() {
        let silu = |a: &str, b: &str| {
            vec![
                node("relu", "Relu", &["x"], "r"),
                node("sig", "Sigmoid", &["r"], "s"),
                node("mul", "Mul", &[a, b], "y"),
            ]
        };
        for (a, b) in [("r", "s"), ("s", "r")] {
            let g = layers(silu(a, b), vec![]).unwrap();
            assert_eq!(g.layers.len(), 2);
            assert_eq!(function(&g, 1), F::Silu);
            assert_eq!(g.nodes[2].outcome, NodeOutcome::FoldedInto { layer: 1 });
            assert_eq!(g.layer_node[1].name, "sig + mul");
        }
        // The Sigmoid of another tensor, or one that something else reads: an element-wise
        // product of two activations, `input · from` with `from` the Sigmoid's layer.
        let g = layers(silu("x", "s"), vec![]).unwrap();
        assert!(matches!(g.layers[2], FloatLayer::Mul { from: 1 }));
        assert_eq!(g.inputs[2], [0, 2]);
        let mut nodes = silu("r", "s");
        nodes.push(node("add", "Add", &["y", "s"], "z"));
        nodes.last_mut().unwrap().output = vec!["y2".into()];
        nodes[2].output = vec!["m".into()];
        nodes[3].input = vec!["m".into(), "s".into()];
        nodes[3].output = vec!["y".into()];
        let g = layers(nodes, vec![]).unwrap();
        assert_eq!(function(&g, 1), F::Sigmoid);
        assert!(matches!(g.layers[2], FloatLayer::Mul { from: 1 }));
        assert_eq!(g.inputs[2], [1, 2]);
    }

    #[test]
    fn mul_of_a_tensor_and_a_per_channel_tensor_broadcasts() {
        // `[2, 2, 2]` times its global average `[2, 1, 1]`, in either operand order: the
        // per-channel operand is `from`; a `[2, 2, 2]` times an `[8]` is refused.
        for (a, b) in [("r", "g"), ("g", "r")] {
            let nodes = vec![
                node("relu", "Relu", &["x"], "r"),
                node("pool", "GlobalAveragePool", &["r"], "g"),
                node("mul", "Mul", &[a, b], "y"),
            ];
            let g = layers(nodes, vec![]).unwrap();
            assert!(matches!(g.layers[2], FloatLayer::Mul { from: 1 }));
            assert_eq!(g.inputs[2], [1, 2]);
            assert_eq!(g.shapes[2], [2, 2, 2]);
        }
        let nodes = vec![
            node("relu", "Relu", &["x"], "r"),
            node("flatten", "Flatten", &["r"], "f"),
            node("mul", "Mul", &["r", "f"], "y"),
        ];
        let err = layers(nodes, vec![]).unwrap_err().to_string();
        assert!(err.starts_with("node mul (Mul"), "{err}");
        assert!(err.contains("multiplies shapes [2, 2, 2] and [8]"), "{err}");
    }

    #[test]
    fn shape_arithmetic_on_activations_names_the_node() {
        // Unsqueeze of an activation is not shape arithmetic. (A Mul of an activation by a
        // constant was the example here until Mul by a constant became a per-channel affine
        // layer.)
        let nodes = vec![
            node("relu", "Relu", &["x"], "r"),
            node("unsqueeze", "Unsqueeze", &["r", "axes"], "y"),
        ];
        let axes = ints("axes", &[1], &[0]);
        let err =
            crate::onnx::import(&model(nodes, vec![axes]), &ImportOptions::default()).unwrap_err();
        assert!(
            matches!(&err, OnnxError::Unsupported { node, what } if node.name == "unsqueeze"
                && node.output == "y" && what.contains("\"r\" is computed from the model input")),
            "{err:?}"
        );
    }

    #[test]
    fn onnx_max_pools_map_to_the_ir() {
        let m = |size, stride, padding, ceil_mode| MaxPool2d {
            input: None,
            size,
            stride,
            padding,
            ceil_mode,
        };
        // ResNet's stem, GoogLeNet's ceil mode, Keras's `same` (trailing padding only).
        assert_eq!(
            max_pool_of(3, 2, &[1, 1, 1, 1], false, [112, 112]),
            Ok(m(3, 2, 1, false))
        );
        assert_eq!(
            max_pool_of(3, 2, &[0; 4], true, [56, 56]),
            Ok(m(3, 2, 0, true))
        );
        assert_eq!(
            max_pool_of(3, 2, &[0, 0, 1, 1], false, [6, 6]),
            Ok(m(3, 2, 0, true))
        );
        assert_eq!(max_pool_of(2, 2, &[], false, [7, 7]), Ok(m(2, 2, 0, false)));
        // Trailing padding that changes nothing: floor mode.
        assert_eq!(
            max_pool_of(2, 2, &[0, 0, 1, 1], false, [8, 8]),
            Ok(m(2, 2, 0, false))
        );
        // Leading padding that differs between the axes, negative or not below the window,
        // a count neither mode gives, a window that does not fit: refused.
        assert!(max_pool_of(3, 2, &[1, 0, 1, 0], false, [6, 6]).is_err());
        assert!(max_pool_of(3, 2, &[-1, -1, 0, 0], false, [6, 6]).is_err());
        assert!(max_pool_of(2, 2, &[2, 2, 2, 2], false, [6, 6]).is_err());
        assert!(max_pool_of(3, 1, &[0, 0, 2, 2], false, [6, 6]).is_err());
        assert!(max_pool_of(5, 1, &[0; 4], false, [3, 3]).is_err());
        assert!(max_pool_of(3, 2, &[1, 1, 1], false, [6, 6]).is_err());
    }

    #[test]
    fn window_output_sizes() {
        assert_eq!(window_out(28, 5, 1, 2), Some(28));
        assert_eq!(window_out(28, 2, 2, 0), Some(14));
        assert_eq!(window_out(7, 2, 2, 0), Some(3));
        assert_eq!(window_out(2, 3, 1, 0), None);
        assert_eq!(window_out(usize::MAX, 1, 1, 1), None);
    }
}
