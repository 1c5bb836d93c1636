//! Float (`f32`) evaluation of an imported graph: the reference the quantized model is
//! compared with. Same layer semantics as the integer IR, with real parameters and a true
//! average in average pooling.

use super::graph::{FloatLayer, Graph};

/// Runs the graph on `input` (of the graph's input size, checked by the caller), shows every
/// layer's output to `visit` (layer index, values), and returns the last layer's. Only the
/// outputs that later layers read are kept (each until its last reader), so memory is a few
/// tensors, not every layer's.
pub(crate) fn run(graph: &Graph, input: &[f32], mut visit: impl FnMut(usize, &[f32])) -> Vec<f32> {
    let n = graph.layers.len();
    // `last_read[j]`: the last layer that reads layer j's output (the last layer's is the
    // result).
    let mut last_read: Vec<usize> = vec![0; n];
    if let Some(last) = last_read.last_mut() {
        *last = n;
    }
    for (l, reads) in graph.inputs.iter().enumerate() {
        for &t in reads {
            if let Some(r) = t.checked_sub(1).and_then(|j| last_read.get_mut(j)) {
                *r = (*r).max(l);
            }
        }
    }
    let mut outputs: Vec<Vec<f32>> = Vec::with_capacity(n);
    for (i, layer) in graph.layers.iter().enumerate() {
        // Tensor `t`: the input for 0, layer `t − 1`'s output after.
        let tensor = |t: usize| match t.checked_sub(1) {
            Some(p) => (outputs[p].as_slice(), graph.shapes[p].as_slice()),
            None => (input, graph.input_shape.as_slice()),
        };
        let reads = graph.inputs.get(i).map_or(&[][..], Vec::as_slice);
        let (prev, prev_shape) = tensor(reads.first().copied().unwrap_or(i));
        let out_shape = graph.shapes[i].as_slice();
        let out = match layer {
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
                let geometry = ConvGeometry {
                    in_shape: [*in_channels, prev_shape[1], prev_shape[2]],
                    out_shape: [*out_channels, out_shape[1], out_shape[2]],
                    kernel: *kernel,
                    stride: *stride,
                    padding: *padding,
                    groups: *groups,
                };
                conv(prev, weights, bias, &geometry)
            }
            FloatLayer::Dense {
                in_features,
                weights,
                bias,
                ..
            } => weights
                .chunks_exact(*in_features)
                .zip(bias)
                .map(|(row, b)| b + row.iter().zip(prev).map(|(w, x)| w * x).sum::<f32>())
                .collect(),
            FloatLayer::Relu => prev.iter().map(|&x| x.max(0.0)).collect(),
            FloatLayer::Activation(f) => prev.iter().map(|&x| f.apply(x)).collect(),
            FloatLayer::MaxPool(m) => pool(
                prev,
                prev_shape,
                out_shape,
                (m.size, m.stride, m.padding),
                f32::max,
                1.0,
            ),
            FloatLayer::AvgPool { size, stride } => {
                let area = (size * size) as f32;
                pool(
                    prev,
                    prev_shape,
                    out_shape,
                    (*size, *stride, 0),
                    |a, b| a + b,
                    area,
                )
            }
            FloatLayer::Flatten => prev.to_vec(),
            FloatLayer::Add { from } => prev
                .iter()
                .zip(&outputs[*from])
                .map(|(a, b)| a + b)
                .collect(),
            // `b` has `prev`'s values or one per channel (the outermost axis).
            FloatLayer::Mul { from } => {
                let b = &outputs[*from];
                let per = (prev.len() / b.len().max(1)).max(1);
                prev.iter()
                    .enumerate()
                    .map(|(i, a)| a * b.get(i / per).copied().unwrap_or(0.0))
                    .collect()
            }
            // Channels outermost: the inputs' values one after another.
            FloatLayer::Concat => reads
                .iter()
                .flat_map(|&t| tensor(t).0.iter().copied())
                .collect(),
        };
        visit(i, &out);
        outputs.push(out);
        for (j, t) in outputs.iter_mut().enumerate().take(i + 1) {
            if last_read[j] == i {
                *t = Vec::new();
            }
        }
    }
    outputs.pop().unwrap_or_default()
}

/// The last layer's output.
pub(crate) fn output(graph: &Graph, input: &[f32]) -> Vec<f32> {
    run(graph, input, |_, _| {})
}

struct ConvGeometry {
    in_shape: [usize; 3],
    out_shape: [usize; 3],
    kernel: [usize; 2],
    stride: usize,
    padding: usize,
    /// Channel groups (divides both channel counts, checked at import).
    groups: usize,
}

/// `out[o][y][x] = b[o] + Σ_{c,dy,dx} w[o][c][dy][dx] · in[g·c_g + c][y·s+dy−p][x·s+dx−p]`
/// (`c` over the `c_g = cin / groups` channels of output channel `o`'s group `g`), one weight
/// at a time over the output rows and columns whose input position is inside the input (so the
/// innermost loop has no bounds tests).
fn conv(input: &[f32], weights: &[f32], bias: &[f32], g: &ConvGeometry) -> Vec<f32> {
    let [cin, h, w] = g.in_shape;
    let [cout, oh, ow] = g.out_shape;
    let [kh, kw] = g.kernel;
    let (s, p) = (g.stride, g.padding);
    let groups = g.groups.max(1);
    let (cg, og) = (cin / groups, (cout / groups).max(1));
    // The outputs t in 0..n with 0 ≤ t·s + d − p < len.
    let valid = |d: usize, len: usize, n: usize| {
        let lo = p.saturating_sub(d).div_ceil(s);
        let hi = (len + p).checked_sub(d).map_or(0, |v| v.div_ceil(s)).min(n);
        lo..hi.max(lo)
    };
    let mut out = vec![0.0f32; cout * oh * ow];
    for (o, plane) in out.chunks_exact_mut(oh * ow).enumerate() {
        plane.fill(bias[o]);
        let first = (o / og) * cg;
        for c in 0..cg {
            let channel = &input[(first + c) * h * w..(first + c + 1) * h * w];
            for dy in 0..kh {
                for dx in 0..kw {
                    let wv = weights[((o * cg + c) * kh + dy) * kw + dx];
                    let xs = valid(dx, w, ow);
                    for y in valid(dy, h, oh) {
                        let row = &channel[(y * s + dy - p) * w..][..w];
                        let dst = &mut plane[y * ow..(y + 1) * ow];
                        for x in xs.clone() {
                            dst[x] += wv * row[x * s + dx - p];
                        }
                    }
                }
            }
        }
    }
    out
}

/// Windows of `size × size` with stride `stride` and `pad` positions of padding before the
/// first row and column (`window = (size, stride, pad)`), folded with `reduce` over the
/// positions inside the input (padding never enters) and divided by `divisor`. `out_shape`
/// decides the number of windows (floor or ceil mode).
fn pool(
    prev: &[f32],
    in_shape: &[usize],
    out_shape: &[usize],
    window: (usize, usize, usize),
    reduce: impl Fn(f32, f32) -> f32,
    divisor: f32,
) -> Vec<f32> {
    let (size, stride, pad) = window;
    let (h, w) = (in_shape[1], in_shape[2]);
    let (c, oh, ow) = (out_shape[0], out_shape[1], out_shape[2]);
    let span = |o: usize, n: usize| {
        let start = o * stride;
        start.saturating_sub(pad)..(start + size).saturating_sub(pad).min(n)
    };
    let mut out = Vec::with_capacity(c * oh * ow);
    for ch in 0..c {
        for y in 0..oh {
            for x in 0..ow {
                let mut acc: Option<f32> = None;
                for iy in span(y, h) {
                    for ix in span(x, w) {
                        let v = prev[(ch * h + iy) * w + ix];
                        acc = Some(acc.map_or(v, |a| reduce(a, v)));
                    }
                }
                out.push(acc.unwrap_or(0.0) / divisor);
            }
        }
    }
    out
}
