//! PRelu whose slope differs per channel, lowered onto layers the prover already proves.
//!
//! `prelu(x)_c = x_c` for `x_c ≥ 0`, else `a_c · x_c`. One slope (or equal slopes) is a
//! LeakyRelu table activation ([`Builder::activation`]); per-channel slopes are not one table,
//! so the node becomes five layers, for a `[C, H, W]` input `x`:
//!
//! ```text
//! n = depthwise 1×1 Conv(x; weight −1, bias 0)     = −x
//! m = Relu(n)                                       = relu(−x)   (free: n is requantized)
//! s = depthwise 1×1 Conv(m; weight −a_c, bias 0)   = −a·relu(−x)
//! r = Relu(x)                                       (free after a requantizing layer)
//! y = Add(r, s)                                     = relu(x) − a·relu(−x) = prelu(x)
//! ```
//!
//! (for `x ≥ 0`: `x − 0`; for `x < 0`: `0 − a·(−x)`). The other natural arrangement,
//! `y = a·x + (1 − a)·relu(x)` (a ReLU, depthwise convolutions of weights `1 − a` and `a`,
//! their Add), proves the same two convolutions and Add with one ReLU less, but was less
//! accurate when measured: on `prelu_net` of `tests/suite/onnx_lowering.rs` (seeds 31, 41, 51,
//! 61, 71 × slopes `[0.25, −0.5, 1.5, 0.1]`, `[0.25, 0.1, 0.05, 0.3]`, `[−0.25, 0.6, 0.9, 0]`;
//! 64 calibration and 512 held-out inputs, the other arrangement written as ONNX nodes), this
//! one's largest output error was at most the other's in 14 of the 15 nets (smaller in 9) and
//! its top-1 agreement with float at least the other's in 14 (higher in 7). Here the positive
//! side, most of the signal, passes exactly (`relu(x)` at `x`'s scale, the weights `−1`
//! exact), while there both of its terms carry the quantized weights `1 − a_c` and `a_c` and
//! cancel in part when a slope is outside `[0, 1]`.
//!
//! The Add joins `s`'s scale with `x`'s (its operand `r` keeps `x`'s), as a residual Add does.
//! A flat `[F]` input (after a Gemm or MatMul) is refused: the IR has no per-feature layer of a
//! flat tensor but a dense `F × F` one (`F²` weights, nearly all zero).

use super::{input_name, join, Builder, Ctx, FloatLayer};
use crate::onnx::proto::NodeProto;
use crate::onnx::{NodeOutcome, OnnxError};

impl<'a> Builder<'a> {
    /// PRelu of input 0 with the slopes of input 1 (of ONNX shape `dims`, not all equal): the
    /// five layers of the module docs, the last (the Add) bound to the node's output.
    pub(super) fn prelu(
        &mut self,
        ctx: &Ctx,
        node: &'a NodeProto,
        dims: &[usize],
        slopes: &[f32],
    ) -> Result<NodeOutcome, OnnxError> {
        let sname = input_name(node, 1);
        let x = self.act_input(ctx, node, 0)?;
        let &[c, h, w] = x.shape.as_slice() else {
            return Err(ctx.unsupported(format!(
                "PRelu with {} different slopes of a tensor of shape [1, {}]; different slopes \
                 are supported on a [1, C, H, W] tensor (depthwise 1×1 convolutions), one slope \
                 on any tensor (as a LeakyRelu)",
                slopes.len(),
                join(&x.shape)
            )));
        };
        check_slope_shape(ctx, sname, dims, [c, h, w])?;
        if slopes.len() != c {
            // A guard: a per-channel shape holding different values has C of them.
            return Err(ctx.bad_input(sname, format!("{} values for {c} channels", slopes.len())));
        }
        // (Every float constant is finite: `tensor::convert` checks it.)
        let shape = vec![c, h, w];
        let depthwise = |weights: Vec<f32>| FloatLayer::depthwise_1x1(weights, vec![0.0; c]);
        // `act_input` recorded `x`; each layer's reads are set here.
        self.reads.clear();
        let t = x.tensor();
        let n = self.lowered(ctx, "PRelu: −x", depthwise(vec![-1.0; c]), t, &shape);
        let m = self.lowered(ctx, "PRelu: relu(−x)", FloatLayer::Relu, n + 1, &shape);
        let leak = slopes.iter().map(|a| -a).collect();
        let s = self.lowered(ctx, "PRelu: −a·relu(−x)", depthwise(leak), m + 1, &shape);
        let r = self.lowered(ctx, "PRelu: relu(x)", FloatLayer::Relu, t, &shape);
        self.reads = vec![r + 1, s + 1];
        self.push(ctx, node, FloatLayer::Add { from: s }, shape)
    }

    /// Appends a layer of the node's lowering that reads tensor `read` and that no ONNX tensor
    /// names (nothing folds into it); `part` is added to the node's name for errors. Returns
    /// its index.
    fn lowered(
        &mut self,
        ctx: &Ctx,
        part: &str,
        layer: FloatLayer,
        read: usize,
        shape: &[usize],
    ) -> usize {
        let index = self.layers.len();
        self.inputs.push(vec![read]);
        self.layers.push(layer);
        self.shapes.push(shape.to_vec());
        let mut node = ctx.node_ref();
        node.name = format!("{} ({part})", node.name);
        self.layer_node.push(node);
        self.out_name.push("");
        index
    }
}

/// Checks that a slope of ONNX shape `dims` holds one value per channel of a `[1, C, H, W]`
/// input: `[C, 1, 1]` or `[1, C, 1, 1]` (ones may be dropped on the left). ONNX broadcasts
/// from the right, so `[C]` is one slope per column (the width), not per channel: a shape
/// that broadcasts to the input but varies along the height or width is `Unsupported`, one
/// that does not broadcast a `BadInput`.
fn check_slope_shape(
    ctx: &Ctx,
    name: &str,
    dims: &[usize],
    [c, h, w]: [usize; 3],
) -> Result<(), OnnxError> {
    let x = [1, c, h, w];
    let broadcasts = dims.len() <= x.len()
        && dims
            .iter()
            .rev()
            .zip(x.iter().rev())
            .all(|(&d, &n)| d == 1 || d == n);
    if !broadcasts {
        return Err(ctx.bad_input(
            name,
            format!(
                "shape [{}] does not broadcast to the input's [1, {c}, {h}, {w}]",
                join(dims)
            ),
        ));
    }
    // Right-aligned: the channel axis is the third from the right.
    let along = |from_right: usize| {
        dims.len()
            .checked_sub(from_right + 1)
            .and_then(|i| dims.get(i))
            .is_some_and(|&d| d > 1)
    };
    if along(0) || along(1) {
        return Err(ctx.unsupported(format!(
            "PRelu with a slope of shape [{}] on a [1, {c}, {h}, {w}] input varies along the \
             height or width (ONNX broadcasts from the right: a [C] slope is one per column); \
             one slope per channel, [C, 1, 1] or [1, C, 1, 1], is supported",
            join(dims)
        )));
    }
    Ok(())
}
