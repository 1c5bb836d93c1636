//! Fixed linear maps of an activation in the graph ([`Value::Linear`]): the nodes that start
//! one, the operators that extend it (`../linear.rs` holds the map and its operators), and
//! the Gemm/MatMul that absorbs it into its weights ([`Builder::dense_columns`], beside the
//! NHWC column permutation of [`Layout::FlatNhwc`]).
//!
//! A map starts at a node that reads a `[1, C, H, W]` activation `x` (in the IR's layout) and
//! that no layer expresses: a `GatherND`, or a `Transpose` other than the identity and the
//! NCHW ↔ NHWC layout changes. (A `Gather` of an activation stays refused; on a map it is one
//! of the operators that extend it.) Each node that reads a map extends it or is refused: its output
//! is `P·x` for a fixed sparse `P`. A Gemm or MatMul reading a flat map `[1, K]` becomes a
//! Dense layer on `x` (flattened) with weights `W·P` (`[N][x's size]`).

use std::rc::Rc;

use super::{input_name, Act, Attrs, Builder, Layout, Value, NCHW_TO_NHWC, NHWC_TO_NCHW};
use crate::onnx::graph::{Ctx, FloatLayer};
use crate::onnx::linear::{Linear, MAX_ABSORB_WORK};
use crate::onnx::proto::NodeProto;
use crate::onnx::tensor::Data;
use crate::onnx::{fold, NodeOutcome, NodeRef, OnnxError};

/// A fixed linear map `P·x` of the activation `act` (`x`).
#[derive(Clone, Debug)]
pub(super) struct Mapped {
    /// `x`, in the IR's layout.
    pub act: Act,
    pub map: Linear,
    /// The node where the map starts, for errors.
    pub start: NodeRef,
}

/// The operators that extend a map (for errors).
const EXTENDS: &str = "Transpose, Gather and GatherND with constant indices, Slice, Reshape, \
Flatten, Squeeze, Unsqueeze, ReduceMean, ReduceSum, Mul or Div by a constant, Add or Sub of two \
maps of the same activation, Where with a constant condition and a constant zero branch, \
Identity, Dropout";

impl<'a> Builder<'a> {
    /// The node if it starts or reads a fixed linear map (`None`: neither; it is read as
    /// usual). Gemm, MatMul (which absorb a map through [`Self::dense_columns`]) and Shape are
    /// left to the usual path.
    pub(super) fn linear_node(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs<'_, 'a>,
    ) -> Result<Option<NodeOutcome>, OnnxError> {
        let maps: Vec<usize> = (0..node.input.len())
            .filter(|&i| matches!(self.values.get(input_name(node, i)), Some(Value::Linear(_))))
            .collect();
        let op = ctx.op.as_str();
        if maps.is_empty() {
            if !self.starts_map(node, op) {
                return Ok(None);
            }
            let Value::Act(x) = self.value(ctx, node, 0)? else {
                return Ok(None);
            };
            if self.last_outside.is_some() {
                return Err(self.after_outside(ctx));
            }
            let dims: Vec<usize> = std::iter::once(1).chain(x.shape.iter().copied()).collect();
            let map = Linear::identity(dims).map_err(|e| ctx.unsupported(e))?;
            let m = Mapped {
                act: x,
                map,
                start: ctx.node_ref(),
            };
            return self.extend(ctx, node, attrs, &m).map(Some);
        }
        if matches!(op, "Gemm" | "MatMul" | "Shape") {
            return Ok(None);
        }
        let m = self.mapped(ctx, node, maps[0])?;
        let map_err = |e: String| {
            ctx.unsupported(format!(
                "on the fixed linear map of an activation that starts at node {}: {e}",
                m.start
            ))
        };
        let mut budget = std::mem::take(&mut self.budget);
        let result = match op {
            "Add" | "Sub" => {
                attrs.known(&[])?;
                if maps != [0, 1] {
                    return Err(self.linear_read(ctx, &m, "adds a constant to it (an affine map)"));
                }
                let other = self.mapped(ctx, node, 1)?;
                if other.act.tensor() != m.act.tensor() {
                    return Err(self.linear_read(
                        ctx,
                        &m,
                        "adds maps of two different activations",
                    ));
                }
                let sign = if op == "Add" { 1.0 } else { -1.0 };
                m.map.add(&mut budget, &other.map, sign)
            }
            "Mul" | "Div" => {
                attrs.known(&[])?;
                let [i] = maps.as_slice() else {
                    return Err(self.linear_read(ctx, &m, "multiplies two maps (not linear)"));
                };
                if op == "Div" && *i != 0 {
                    return Err(self.linear_read(ctx, &m, "divides by it (not linear)"));
                }
                let c = self.constant(ctx, node, 1 - i)?;
                m.map.scale(&mut budget, &c, op == "Div")
            }
            "Where" => {
                attrs.known(&[])?;
                let [i @ (1 | 2)] = maps.as_slice() else {
                    return Err(self.linear_read(
                        ctx,
                        &m,
                        "is the condition of a Where, or both of its branches",
                    ));
                };
                let cond = self.constant(ctx, node, 0)?;
                let other = self.constant(ctx, node, 3 - i)?;
                let zero = match &other.data {
                    Data::F32(v) => v.iter().all(|&x| x == 0.0),
                    Data::I64(v) => v.iter().all(|&x| x == 0),
                };
                if !zero {
                    return Err(self.linear_read(
                        ctx,
                        &m,
                        "selects between it and a non-zero constant (an affine map)",
                    ));
                }
                m.map.select(&mut budget, &cond, *i == 1)
            }
            _ => {
                self.budget = budget;
                if maps != [0] {
                    return Err(self.linear_read(ctx, &m, "reads it as a parameter"));
                }
                return self.extend(ctx, node, attrs, &m).map(Some);
            }
        };
        self.budget = budget;
        let map = result.map_err(map_err)?;
        self.set_map(ctx, node, &m, map).map(Some)
    }

    /// Whether `node`, reading no map, starts one: a GatherND, or a Transpose that no layout
    /// change expresses, of a `[1, C, H, W]` activation in the IR's layout (the entry of
    /// torch's adaptive-pool arithmetic). A Gather of an activation stays refused.
    fn starts_map(&self, node: &NodeProto, op: &str) -> bool {
        let Some(Value::Act(x)) = self.values.get(input_name(node, 0)) else {
            return false;
        };
        if x.layout != Layout::Ir || x.shape.len() != 3 {
            return false;
        }
        match op {
            "GatherND" => true,
            "Transpose" => {
                let rank = x.shape.len() as i64 + 1;
                let perm = super::perm_of(node)
                    .map(<[i64]>::to_vec)
                    .unwrap_or_else(|| (0..rank).rev().collect());
                let identity: Vec<i64> = (0..rank).collect();
                perm != identity && !(rank == 4 && (perm == NCHW_TO_NHWC || perm == NHWC_TO_NCHW))
            }
            _ => false,
        }
    }

    /// Input `i`, a map.
    fn mapped(&self, ctx: &Ctx, node: &NodeProto, i: usize) -> Result<Rc<Mapped>, OnnxError> {
        match self.value(ctx, node, i)? {
            Value::Linear(m) => Ok(m),
            _ => Err(ctx.bad_input(input_name(node, i), "is not a fixed linear map")),
        }
    }

    /// A one-input operator on map `m` (input 0).
    fn extend(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        attrs: &Attrs<'_, 'a>,
        m: &Mapped,
    ) -> Result<NodeOutcome, OnnxError> {
        let op = ctx.op.as_str();
        let mut budget = std::mem::take(&mut self.budget);
        let result = self.extend_with(ctx, node, attrs, m, &mut budget);
        self.budget = budget;
        let map = match result? {
            Ok(map) => map,
            Err(e) => {
                return Err(ctx.unsupported(format!(
                    "{op} on the fixed linear map of an activation that starts at node {}: {e}",
                    m.start
                )))
            }
        };
        self.set_map(ctx, node, m, map)
    }

    /// [`Self::extend`]'s map: `Err` for the node's own errors, `Ok(Err)` for the map's.
    fn extend_with(
        &self,
        ctx: &Ctx,
        node: &NodeProto,
        attrs: &Attrs<'_, 'a>,
        m: &Mapped,
        budget: &mut fold::Budget,
    ) -> Result<Result<Linear, String>, OnnxError> {
        let map = &m.map;
        Ok(match ctx.op.as_str() {
            "Identity" => {
                attrs.known(&[])?;
                Ok(map.clone())
            }
            "Dropout" => {
                attrs.known(&["seed"])?;
                if !super::input_name(node, 2).is_empty() {
                    let training = self.constant(ctx, node, 2)?;
                    if training.data != Data::I64(vec![0]) {
                        return Err(ctx.unsupported("Dropout in training mode"));
                    }
                }
                Ok(map.clone())
            }
            "Transpose" => {
                attrs.known(&["perm"])?;
                let perm = attrs.ints("perm")?;
                map.reindex(budget, |b, rows| fold::transpose(b, rows, perm.as_deref()))
            }
            "Gather" => {
                attrs.known(&["axis"])?;
                let axis = attrs.int("axis", 0)?;
                let indices = self.constant(ctx, node, 1)?;
                map.reindex(budget, |b, rows| fold::gather(b, rows, &indices, axis))
            }
            "GatherND" => {
                attrs.known(&["batch_dims"])?;
                let batch_dims = attrs.int("batch_dims", 0)?;
                if batch_dims != 0 {
                    return Err(ctx.attribute(
                        "batch_dims",
                        batch_dims.to_string(),
                        "batch_dims = 0 is supported",
                    ));
                }
                let indices = self.constant(ctx, node, 1)?;
                map.reindex(budget, |b, rows| fold::gather_nd(b, rows, &indices))
            }
            "Slice" => {
                attrs.known(&[])?;
                let starts = self.folded_ints(ctx, node, 1)?.unwrap_or_default();
                let ends = self.folded_ints(ctx, node, 2)?.unwrap_or_default();
                let axes = self.folded_ints(ctx, node, 3)?;
                let steps = self.folded_ints(ctx, node, 4)?;
                map.reindex(budget, |b, rows| {
                    fold::slice(b, rows, &starts, &ends, axes.as_deref(), steps.as_deref())
                })
            }
            "Reshape" => {
                attrs.known(&["allowzero"])?;
                let allowzero = attrs.int("allowzero", 0)? != 0;
                let target = self.folded_ints(ctx, node, 1)?.unwrap_or_default();
                map.reindex(budget, |b, rows| fold::reshape(b, rows, &target, allowzero))
            }
            "Flatten" => {
                attrs.known(&["axis"])?;
                let axis = attrs.int("axis", 1)?;
                map.reindex(budget, |b, rows| fold::flatten(b, rows, axis))
            }
            "Squeeze" | "Unsqueeze" => {
                attrs.known(&["axes"])?;
                let axes = match attrs.ints("axes")? {
                    Some(axes) => Some(axes),
                    None => self.folded_ints(ctx, node, 1)?,
                };
                if ctx.op == "Squeeze" {
                    map.reindex(budget, |b, rows| fold::squeeze(b, rows, axes.as_deref()))
                } else {
                    let axes = axes.ok_or_else(|| {
                        ctx.bad_input("", "Unsqueeze needs axes (an input or an attribute)")
                    })?;
                    map.reindex(budget, |b, rows| fold::unsqueeze(b, rows, &axes))
                }
            }
            "ReduceMean" | "ReduceSum" => {
                attrs.known(&["axes", "keepdims", "noop_with_empty_axes"])?;
                let keepdims = attrs.int("keepdims", 1)? != 0;
                let noop = attrs.int("noop_with_empty_axes", 0)? != 0;
                let axes = match attrs.ints("axes")? {
                    Some(axes) => axes,
                    None => self.folded_ints(ctx, node, 1)?.unwrap_or_default(),
                };
                let rank = map.dims.len() as i64;
                let mut resolved = Vec::with_capacity(axes.len());
                for &a in &axes {
                    let r = if a < 0 { a + rank } else { a };
                    if !(0..rank).contains(&r) {
                        return Err(ctx.attribute(
                            "axes",
                            format!("{axes:?}"),
                            &format!("axes of a rank-{rank} tensor are supported"),
                        ));
                    }
                    resolved.push(r as usize);
                }
                resolved.sort_unstable();
                resolved.dedup();
                if resolved.is_empty() && noop {
                    Ok(map.clone())
                } else {
                    map.reduce(&resolved, keepdims, ctx.op == "ReduceMean")
                }
            }
            _ => {
                return Err(self.linear_read(ctx, m, "is not one of the operators that extend it"))
            }
        })
    }

    /// Binds the node's output to `map` of `m`'s activation.
    fn set_map(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        m: &Mapped,
        map: Linear,
    ) -> Result<NodeOutcome, OnnxError> {
        let value = Mapped {
            act: m.act.clone(),
            map,
            start: m.start.clone(),
        };
        self.set_outputs(ctx, node, Value::Linear(Rc::new(value)))?;
        Ok(NodeOutcome::LinearMap)
    }

    /// A node that reads map `m` and cannot extend it.
    pub(super) fn linear_read(&self, ctx: &Ctx, m: &Mapped, why: &str) -> OnnxError {
        ctx.unsupported(format!(
            "reads a fixed linear map of an activation (index arithmetic that starts at node \
             {}) and {why}; such a map is supported through {EXTENDS}, ending in a Flatten or \
             Reshape to [1, K] that a Gemm or MatMul reads (its weights absorb the map)",
            m.start
        ))
    }

    /// The Dense layer's input for a Gemm/MatMul that reads the flat map `m` (`[1, K]`): `m`'s
    /// activation, flattened by a Flatten layer when it is not flat, as the tensor the Dense
    /// reads; and its weights `W·P` (`W`: `[n][K]`, row-major) with the input's size.
    pub(super) fn absorb_map(
        &mut self,
        ctx: &Ctx,
        m: &Mapped,
        weights: &[f32],
        n: usize,
    ) -> Result<(Vec<f32>, usize), OnnxError> {
        let x = &m.act;
        let k = m.map.inputs;
        if n.checked_mul(k).is_none_or(|s| s > super::MAX_VALUES) {
            return Err(ctx.unsupported(format!(
                "the Dense layer absorbing the linear map of node {} would take {n}×{k} weights, \
                 more than {}",
                m.start,
                super::MAX_VALUES
            )));
        }
        let work = n.saturating_mul(m.map.terms());
        if work > MAX_ABSORB_WORK {
            return Err(ctx.unsupported(format!(
                "absorbing the linear map of node {} into {n} outputs would take {work} \
                 multiply-adds, more than {MAX_ABSORB_WORK}",
                m.start
            )));
        }
        let weights = m.map.absorb(weights, n);
        if x.shape.len() == 1 {
            self.reads.push(x.tensor());
        } else {
            // A Flatten layer reading x, made for this node.
            let pending = std::mem::replace(&mut self.reads, vec![x.tensor()]);
            let index = self.layers.len();
            self.inputs
                .push(std::mem::replace(&mut self.reads, pending));
            self.layers.push(FloatLayer::Flatten);
            self.shapes.push(vec![k]);
            let mut node = ctx.node_ref();
            node.name = format!("{} (flatten of the absorbed map's input)", node.name);
            self.layer_node.push(node);
            self.out_name.push("");
            self.reads.push(Act::ir(Some(index), vec![k]).tensor());
        }
        Ok((weights, k))
    }
}

#[cfg(test)]
mod tests {
    use crate::onnx::graph::{read, FloatLayer};
    use crate::onnx::proto::*;
    use crate::onnx::{float, NodeOutcome, OnnxError};

    fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
        NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            name: Some(format!("n_{output}")),
            op_type: Some(op.into()),
            domain: None,
            attribute: Vec::new(),
        }
    }

    fn with_ints(mut n: NodeProto, name: &str, v: &[i64]) -> NodeProto {
        n.attribute.push(AttributeProto {
            name: Some(name.into()),
            r#type: Some(attribute_type::INTS),
            ints: v.to_vec(),
            ..AttributeProto::default()
        });
        n
    }

    fn with_int(mut n: NodeProto, name: &str, v: i64) -> NodeProto {
        n.attribute.push(AttributeProto {
            name: Some(name.into()),
            r#type: Some(attribute_type::INT),
            i: Some(v),
            ..AttributeProto::default()
        });
        n
    }

    fn tensor(name: &str, dims: &[usize], data_type: i32) -> TensorProto {
        TensorProto {
            name: Some(name.into()),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: Some(data_type),
            ..TensorProto::default()
        }
    }

    fn ints(name: &str, dims: &[usize], v: Vec<i64>) -> TensorProto {
        TensorProto {
            int64_data: v,
            ..tensor(name, dims, data_type::INT64)
        }
    }

    fn bools(name: &str, dims: &[usize], v: Vec<bool>) -> TensorProto {
        TensorProto {
            int32_data: v.into_iter().map(i32::from).collect(),
            ..tensor(name, dims, data_type::BOOL)
        }
    }

    fn floats(name: &str, dims: &[usize], v: Vec<f32>) -> TensorProto {
        TensorProto {
            float_data: v,
            ..tensor(name, dims, data_type::FLOAT)
        }
    }

    /// A model with input `x` of shape `[1, c, side, side]`, output `y`.
    fn model(c: usize, side: usize, nodes: Vec<NodeProto>, init: Vec<TensorProto>) -> ModelProto {
        let dim = |v: usize| Dimension {
            dim_value: Some(v as i64),
            dim_param: None,
        };
        ModelProto {
            ir_version: Some(8),
            opset_import: vec![OperatorSetIdProto {
                domain: None,
                version: Some(20),
            }],
            producer_name: None,
            graph: Some(GraphProto {
                node: nodes,
                name: None,
                initializer: init,
                input: vec![ValueInfoProto {
                    name: Some("x".into()),
                    r#type: Some(TypeProto {
                        tensor_type: Some(TypeProtoTensor {
                            elem_type: Some(data_type::FLOAT),
                            shape: Some(TensorShapeProto {
                                dim: vec![dim(1), dim(c), dim(side), dim(side)],
                            }),
                        }),
                    }),
                }],
                output: vec![ValueInfoProto {
                    name: Some("y".into()),
                    r#type: None,
                }],
            }),
        }
    }

    /// torch's window `[start, end)` of output `i` of an adaptive pool from `n` to `o`.
    fn window(i: usize, n: usize, o: usize) -> (usize, usize) {
        (i * n / o, ((i + 1) * n).div_ceil(o))
    }

    /// The nodes torch's dynamo exporter writes for `AdaptiveAvgPool2d(o)` on `[1, c, n, n]`
    /// (torch's decomposition of `_adaptive_avg_pool2d`: gather every window's entries, padded
    /// to the longest window and masked when windows differ in length, then sum and divide),
    /// reading `x` and writing `pooled` (`[1, c, o, o]`); with `near_miss`, the mask's
    /// `Where` fills with 1 instead of 0 (not linear).
    fn adaptive_pool(n: usize, o: usize, near_miss: bool) -> (Vec<NodeProto>, Vec<TensorProto>) {
        let starts: Vec<usize> = (0..o).map(|i| window(i, n, o).0).collect();
        let lengths: Vec<usize> = (0..o)
            .map(|i| {
                let (s, e) = window(i, n, o);
                e - s
            })
            .collect();
        let longest = *lengths.iter().max().unwrap();
        let adaptive = lengths.iter().any(|&l| l != longest);
        let idx = |i: usize, p: usize| (starts[i] + p).min(n - 1) as i64;
        // [o, L, o, L, 2]: (row, column) of each gathered entry.
        let mut gather = Vec::new();
        for a in 0..o {
            for p in 0..longest {
                for b in 0..o {
                    for q in 0..longest {
                        gather.extend([idx(a, p), idx(b, q)]);
                    }
                }
            }
        }
        let mut nodes = vec![
            with_ints(node("Transpose", &["x"], "hw_first"), "perm", &[2, 3, 0, 1]),
            with_int(
                node("GatherND", &["hw_first", "indices"], "gathered"),
                "batch_dims",
                0,
            ),
            with_ints(
                node("Transpose", &["gathered"], "index"),
                "perm",
                &[4, 5, 0, 1, 2, 3],
            ),
        ];
        let mut init = vec![ints("indices", &[o, longest, o, longest, 2], gather)];
        if !adaptive {
            nodes.push(with_int(
                node("ReduceMean", &["index", "axes"], "pooled"),
                "keepdims",
                0,
            ));
            init.push(ints("axes", &[2], vec![-3, -1]));
            return (nodes, init);
        }
        let mask: Vec<bool> = (0..o)
            .flat_map(|i| (0..longest).map(move |p| (i, p)))
            .map(|(i, p)| p >= lengths[i])
            .collect();
        let fill = if near_miss { 1.0 } else { 0.0 };
        init.extend([
            bools("mask_h", &[o, longest, 1, 1], mask.clone()),
            bools("mask_w", &[o, longest], mask),
            floats("fill", &[], vec![fill]),
            floats("zero", &[], vec![0.0]),
        ]);
        nodes.push(node("Where", &["mask_h", "fill", "index"], "masked"));
        nodes.push(node("Where", &["mask_w", "zero", "masked"], "masked_1"));
        let mut sum: Option<String> = None;
        for p in 0..longest {
            init.push(ints(&format!("i{p}"), &[], vec![p as i64]));
        }
        for p in 0..longest {
            let row = format!("row{p}");
            nodes.push(with_int(
                node("Gather", &["masked_1", &format!("i{p}")], &row),
                "axis",
                3,
            ));
            for q in 0..longest {
                let term = format!("term{p}_{q}");
                nodes.push(with_int(
                    node("Gather", &[&row, &format!("i{q}")], &term),
                    "axis",
                    4,
                ));
                sum = Some(match sum {
                    None => term,
                    Some(s) => {
                        let out = format!("sum{p}_{q}");
                        nodes.push(node("Add", &[&s, &term], &out));
                        out
                    }
                });
            }
        }
        let lengths = &lengths;
        let sizes: Vec<f32> = (0..o)
            .flat_map(|a| (0..o).map(move |b| (lengths[a] * lengths[b]) as f32))
            .collect();
        init.push(floats("sizes", &[o, o], sizes));
        nodes.push(node("Div", &[&sum.unwrap(), "sizes"], "pooled"));
        (nodes, init)
    }

    /// The pool followed by torch's flatten (`Reshape` to `[1, c·o·o]`) and a Gemm to `m`
    /// outputs (`transB = 1`).
    fn pool_then_gemm(c: usize, n: usize, o: usize, m: usize, near_miss: bool) -> ModelProto {
        let (mut nodes, mut init) = adaptive_pool(n, o, near_miss);
        let k = c * o * o;
        nodes.push(with_int(
            node("Reshape", &["pooled", "flat"], "view"),
            "allowzero",
            1,
        ));
        nodes.push(with_int(
            node("Gemm", &["view", "w", "b"], "y"),
            "transB",
            1,
        ));
        init.push(ints("flat", &[2], vec![1, k as i64]));
        let w = (0..m * k)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 64.0)
            .collect();
        init.push(floats("w", &[m, k], w));
        init.push(floats("b", &[m], (0..m).map(|i| i as f32 / 8.0).collect()));
        model(c, n, nodes, init)
    }

    /// The naive oracle: torch's adaptive average pool by its definition (the mean over
    /// window `[⌊i·n/o⌋, ⌈(i+1)·n/o⌉)` of each axis), then `W·v + b`.
    fn oracle(x: &[f32], c: usize, n: usize, o: usize, m: usize) -> Vec<f64> {
        let mut pooled = Vec::with_capacity(c * o * o);
        for ch in 0..c {
            for a in 0..o {
                for b in 0..o {
                    let ((r0, r1), (c0, c1)) = (window(a, n, o), window(b, n, o));
                    let mut s = 0.0f64;
                    for r in r0..r1 {
                        for col in c0..c1 {
                            s += f64::from(x[(ch * n + r) * n + col]);
                        }
                    }
                    pooled.push(s / ((r1 - r0) * (c1 - c0)) as f64);
                }
            }
        }
        let k = c * o * o;
        (0..m)
            .map(|i| {
                let w = |j: usize| f64::from(((i * k + j) * 37 % 101) as f32 - 50.0) / 64.0;
                (0..k).map(|j| w(j) * pooled[j]).sum::<f64>() + f64::from(i as f32 / 8.0)
            })
            .collect()
    }

    #[test]
    fn adaptive_pools_are_absorbed_into_the_dense_layer() {
        // (channels, input side, output side): AlexNet's 1×1 → 6×6 and VGG's 2×2 → 7×7
        // upsamplings, a 4×4 → 2×2 downsampling and a 3×3 → 2×2 one of overlapping windows.
        for (c, n, o) in [(3, 1, 6), (2, 2, 7), (2, 4, 2), (3, 3, 2)] {
            let m = 5;
            let onnx = pool_then_gemm(c, n, o, m, false);
            let graph = read(&onnx).unwrap();
            // A Flatten of the pool's input, then a Dense reading its c·n·n values.
            assert_eq!(graph.layers.len(), 2, "{c} {n} {o}");
            assert!(matches!(graph.layers[0], FloatLayer::Flatten));
            let FloatLayer::Dense {
                in_features,
                out_features,
                ..
            } = graph.layers[1]
            else {
                panic!("not a Dense: {:?}", graph.layers[1]);
            };
            assert_eq!((in_features, out_features), (c * n * n, m));
            assert_eq!(graph.inputs, vec![vec![0], vec![1]]);
            let absorbed = graph
                .nodes
                .iter()
                .filter(|r| r.outcome == NodeOutcome::LinearMap)
                .count();
            assert_eq!(absorbed, graph.nodes.len() - 1, "every node but the Gemm");
            for seed in 0..3 {
                let x: Vec<f32> = (0..c * n * n)
                    .map(|i| (((i + 7 * seed) * 53 % 97) as f32 - 48.0) / 16.0)
                    .collect();
                let got = float::output(&graph, &x);
                let want = oracle(&x, c, n, o, m);
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        (f64::from(*g) - w).abs() <= 1e-4 * (1.0 + w.abs()),
                        "{c}×{n}×{n} → {o}×{o}: {got:?} against {want:?}"
                    );
                }
            }
        }
    }

    fn refused(onnx: &ModelProto) -> (String, String, String) {
        match read(onnx) {
            Err(OnnxError::Unsupported { node, what }) => (node.name, node.output, what),
            other => panic!("not refused as unsupported: {other:?}"),
        }
    }

    #[test]
    fn near_misses_are_refused_naming_the_node() {
        // A mask filled with 1 instead of 0: affine, not linear.
        let (node_name, output, what) = refused(&pool_then_gemm(2, 2, 7, 3, true));
        assert_eq!(
            (node_name.as_str(), output.as_str()),
            ("n_masked", "masked")
        );
        assert!(what.contains("non-zero constant"), "{what}");
        assert!(what.contains("n_hw_first (Transpose"), "{what}");
        // The pooled map read by a Relu (not a Gemm): refused at the Relu.
        let (mut nodes, init) = adaptive_pool(1, 6, false);
        nodes.push(node("Relu", &["pooled"], "y"));
        let (node_name, output, what) = refused(&model(2, 1, nodes, init));
        assert_eq!((node_name.as_str(), output.as_str()), ("n_y", "y"));
        assert!(what.contains("fixed linear map"), "{what}");
        // A Gemm reading the unflattened map.
        let (mut nodes, mut init) = adaptive_pool(4, 2, false);
        nodes.push(with_int(node("Gemm", &["pooled", "w"], "y"), "transB", 1));
        init.push(floats("w", &[3, 8], vec![0.5; 24]));
        let (node_name, _, what) = refused(&model(2, 4, nodes, init));
        assert_eq!(node_name, "n_y");
        assert!(what.contains("not flat"), "{what}");
        // GatherND indices outside the map.
        let (mut nodes, mut init) = adaptive_pool(4, 2, false);
        init[0] = ints("indices", &[1, 2], vec![0, 4]);
        nodes.truncate(2);
        nodes.push(node("Flatten", &["gathered"], "f"));
        nodes.push(with_int(node("Gemm", &["f", "w"], "y"), "transB", 1));
        init.push(floats("w", &[3, 2], vec![0.5; 6]));
        let (node_name, _, what) = refused(&model(2, 4, nodes, init));
        assert_eq!(node_name, "n_gathered");
        assert!(what.contains("index 4 is outside axis 1"), "{what}");
    }
}
