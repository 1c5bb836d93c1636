//! Float (`f32`) evaluation of an imported chain: the reference the quantized model is
//! compared with. Same layer semantics as the integer IR, with real parameters and a true
//! average in average pooling.

use super::graph::{FloatLayer, Graph};

/// Every layer's output on `input` (of the graph's input size, checked by the caller).
pub(crate) fn run(graph: &Graph, input: &[f32]) -> Vec<Vec<f32>> {
    let mut outputs: Vec<Vec<f32>> = Vec::with_capacity(graph.layers.len());
    for (i, layer) in graph.layers.iter().enumerate() {
        let (prev, prev_shape) = match i.checked_sub(1) {
            Some(p) => (outputs[p].as_slice(), graph.shapes[p].as_slice()),
            None => (input, graph.input_shape.as_slice()),
        };
        let out_shape = graph.shapes[i].as_slice();
        let out = match layer {
            FloatLayer::Conv {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
                weights,
                bias,
            } => {
                let (h, w) = (prev_shape[1], prev_shape[2]);
                let (oh, ow) = (out_shape[1], out_shape[2]);
                let [kh, kw] = *kernel;
                let mut out = Vec::with_capacity(out_channels * oh * ow);
                for o in 0..*out_channels {
                    for y in 0..oh {
                        for x in 0..ow {
                            let mut acc = bias[o];
                            for c in 0..*in_channels {
                                for dy in 0..kh {
                                    let iy = (y * stride + dy) as isize - *padding as isize;
                                    if iy < 0 || iy >= h as isize {
                                        continue;
                                    }
                                    for dx in 0..kw {
                                        let ix = (x * stride + dx) as isize - *padding as isize;
                                        if ix < 0 || ix >= w as isize {
                                            continue;
                                        }
                                        let wv =
                                            weights[((o * in_channels + c) * kh + dy) * kw + dx];
                                        acc += wv * prev[(c * h + iy as usize) * w + ix as usize];
                                    }
                                }
                            }
                            out.push(acc);
                        }
                    }
                }
                out
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
            FloatLayer::MaxPool { size, stride } => {
                pool(prev, prev_shape, out_shape, *size, *stride, f32::max, 1.0)
            }
            FloatLayer::AvgPool { size, stride } => {
                let area = (size * size) as f32;
                pool(
                    prev,
                    prev_shape,
                    out_shape,
                    *size,
                    *stride,
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
        };
        outputs.push(out);
    }
    outputs
}

/// The last layer's output.
pub(crate) fn output(graph: &Graph, input: &[f32]) -> Vec<f32> {
    run(graph, input).pop().unwrap_or_default()
}

/// Windows of `size × size` with stride `stride` (no padding), folded with `reduce` and
/// divided by `divisor`.
fn pool(
    prev: &[f32],
    in_shape: &[usize],
    out_shape: &[usize],
    size: usize,
    stride: usize,
    reduce: impl Fn(f32, f32) -> f32,
    divisor: f32,
) -> Vec<f32> {
    let (h, w) = (in_shape[1], in_shape[2]);
    let (c, oh, ow) = (out_shape[0], out_shape[1], out_shape[2]);
    let mut out = Vec::with_capacity(c * oh * ow);
    for ch in 0..c {
        for y in 0..oh {
            for x in 0..ow {
                let mut acc: Option<f32> = None;
                for dy in 0..size {
                    for dx in 0..size {
                        let v = prev[(ch * h + y * stride + dy) * w + x * stride + dx];
                        acc = Some(acc.map_or(v, |a| reduce(a, v)));
                    }
                }
                out.push(acc.unwrap_or(0.0) / divisor);
            }
        }
    }
    out
}
