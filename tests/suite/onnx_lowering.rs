//! ONNX operators the import lowers onto layers the prover already has, on small graphs built
//! here: BatchNormalization anywhere (folded into a Gemm/MatMul, else a depthwise 1×1
//! convolution), a zero Pad before a Conv, AveragePool or MaxPool (their padding),
//! ReduceMean over the height and width and average pooling over any window (a depthwise
//! convolution of weights `1/k²` when the area is not a power of two), and Add, Sub, Mul, Div
//! of an activation and a scalar or per-channel constant (folded into the preceding Conv or
//! Gemm, else a depthwise 1×1 convolution), PRelu with a slope per channel
//! (`relu(x) − a·relu(−x)`: two depthwise 1×1 convolutions, two ReLUs and an Add).
//!
//! For each: the imported float graph ([`onnx::evaluate_float`]) matches a naive evaluation
//! of the ONNX graph written here ([`Eval`]), the quantized model tracks the float one, and it
//! proves and verifies. The cases the import refuses give typed errors naming the node.

use std::collections::HashMap;

use rand::{rngs::StdRng, SeedableRng};

use zkcnn::field::{Goldilocks, GoldilocksExt2};
use zkcnn::model::{Layer, Model};
use zkcnn::network;
use zkcnn::onnx::proto::*;
use zkcnn::onnx::{self, ImportOptions, Imported, NodeOutcome, OnnxError};

/// Largest allowed `|evaluate_float − naive|`: both are `f32` computations of the same graph,
/// in different orders and with affine maps folded into weights.
const FLOAT_TOLERANCE: f32 = 1e-4;

// ---- building graphs ----------------------------------------------------------------------

fn node(name: &str, op: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: Some(name.into()),
        op_type: Some(op.into()),
        domain: None,
        attribute: Vec::new(),
    }
}

fn with_ints(mut n: NodeProto, name: &str, values: &[i64]) -> NodeProto {
    n.attribute.push(AttributeProto {
        name: Some(name.into()),
        r#type: Some(attribute_type::INTS),
        ints: values.to_vec(),
        ..AttributeProto::default()
    });
    n
}

fn with_int(mut n: NodeProto, name: &str, value: i64) -> NodeProto {
    n.attribute.push(AttributeProto {
        name: Some(name.into()),
        r#type: Some(attribute_type::INT),
        i: Some(value),
        ..AttributeProto::default()
    });
    n
}

fn with_string(mut n: NodeProto, name: &str, value: &str) -> NodeProto {
    n.attribute.push(AttributeProto {
        name: Some(name.into()),
        r#type: Some(attribute_type::STRING),
        s: Some(value.as_bytes().to_vec()),
        ..AttributeProto::default()
    });
    n
}

fn floats(name: &str, dims: &[i64], values: Vec<f32>) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(data_type::FLOAT),
        float_data: values,
        ..TensorProto::default()
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

/// Deterministic values in `[lo, hi)` (a 64-bit LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self, lo: f32, hi: f32) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        lo + (hi - lo) * ((self.0 >> 40) as f32 / (1u64 << 24) as f32)
    }

    fn vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.next(lo, hi)).collect()
    }
}

/// A graph under construction: input `x` of shape `[1, C, H, W]`, the last node's output is
/// the graph's output.
struct Net {
    input: Vec<i64>,
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    rng: Rng,
}

impl Net {
    fn new(input: &[i64], seed: u64) -> Self {
        Net {
            input: input.to_vec(),
            nodes: Vec::new(),
            inits: Vec::new(),
            rng: Rng(seed),
        }
    }

    fn add(&mut self, n: NodeProto) -> String {
        let out = n.output[0].clone();
        self.nodes.push(n);
        out
    }

    fn init(&mut self, t: TensorProto) -> String {
        let name = t.name.clone().unwrap();
        self.inits.push(t);
        name
    }

    fn random(&mut self, name: &str, dims: &[i64], lo: f32, hi: f32) -> String {
        let n = dims.iter().product::<i64>() as usize;
        let v = self.rng.vec(n, lo, hi);
        self.init(floats(name, dims, v))
    }

    /// `Conv` named `name` of `x` to `o` channels with a `k × k` kernel and `attrs` added.
    fn conv(&mut self, name: &str, x: &str, c: i64, o: i64, k: i64, pads: i64) -> String {
        let w = self.random(&format!("{name}.w"), &[o, c, k, k], -0.5, 0.5);
        let b = self.random(&format!("{name}.b"), &[o], -0.2, 0.2);
        let n = node(name, "Conv", &[x, &w, &b], &format!("{name}.out"));
        let n = with_ints(n, "pads", &[pads; 4]);
        self.add(n)
    }

    fn relu(&mut self, name: &str, x: &str) -> String {
        self.add(node(name, "Relu", &[x], &format!("{name}.out")))
    }

    /// Inference BatchNormalization of `c` channels with random statistics.
    fn batch_norm(&mut self, name: &str, x: &str, c: i64) -> String {
        let gamma = self.random(&format!("{name}.gamma"), &[c], 0.5, 1.5);
        let beta = self.random(&format!("{name}.beta"), &[c], -0.3, 0.3);
        let mean = self.random(&format!("{name}.mean"), &[c], -0.3, 0.3);
        let var = self.random(&format!("{name}.var"), &[c], 0.5, 1.5);
        let mut n = node(
            name,
            "BatchNormalization",
            &[x, &gamma, &beta, &mean, &var],
            &format!("{name}.out"),
        );
        n.attribute.push(AttributeProto {
            name: Some("epsilon".into()),
            r#type: Some(attribute_type::FLOAT),
            f: Some(1e-3),
            ..AttributeProto::default()
        });
        self.add(n)
    }

    /// Flatten then Gemm to `n` outputs.
    fn head(&mut self, x: &str, features: i64, n: i64) -> String {
        let f = self.add(node("flatten", "Flatten", &[x], "flat"));
        let w = self.random("fc.w", &[n, features], -0.5, 0.5);
        let b = self.random("fc.b", &[n], -0.2, 0.2);
        self.add(with_int(
            node("fc", "Gemm", &[&f, &w, &b], "logits"),
            "transB",
            1,
        ))
    }

    fn model(&self) -> ModelProto {
        let dims = self
            .input
            .iter()
            .map(|&d| Dimension {
                dim_value: Some(d),
                dim_param: None,
            })
            .collect();
        let x = ValueInfoProto {
            name: Some("x".into()),
            r#type: Some(TypeProto {
                tensor_type: Some(TypeProtoTensor {
                    elem_type: Some(data_type::FLOAT),
                    shape: Some(TensorShapeProto { dim: dims }),
                }),
            }),
        };
        let out = self.nodes.last().unwrap().output[0].clone();
        ModelProto {
            ir_version: Some(8),
            opset_import: vec![OperatorSetIdProto {
                domain: None,
                version: Some(13),
            }],
            producer_name: None,
            graph: Some(GraphProto {
                node: self.nodes.clone(),
                name: Some("lowering".into()),
                initializer: self.inits.clone(),
                input: vec![x],
                output: vec![ValueInfoProto {
                    name: Some(out),
                    r#type: None,
                }],
            }),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        prost::Message::encode_to_vec(&self.model())
    }

    /// Eight inputs in `[−1, 1)`.
    fn inputs(&self) -> Vec<Vec<f32>> {
        let n = self.input.iter().product::<i64>() as usize;
        let mut rng = Rng(7);
        (0..8).map(|_| rng.vec(n, -1.0, 1.0)).collect()
    }
}

// ---- a naive evaluation of the ONNX graph -------------------------------------------------

/// A tensor with its ONNX shape (batch included).
#[derive(Clone, Debug)]
struct T {
    shape: Vec<usize>,
    v: Vec<f32>,
}

/// Evaluates the ONNX graph directly, operator by operator, on `[1, C, H, W]` float tensors:
/// only what the tests here use, written for clarity.
struct Eval<'m> {
    model: &'m ModelProto,
}

impl Eval<'_> {
    fn run(&self, input: &[f32]) -> Vec<f32> {
        let g = self.model.graph.as_ref().unwrap();
        let mut env: HashMap<String, T> = HashMap::new();
        for t in &g.initializer {
            let shape = t.dims.iter().map(|&d| d as usize).collect();
            let v = if t.data_type == Some(data_type::INT64) {
                t.int64_data.iter().map(|&i| i as f32).collect()
            } else if t.data_type == Some(data_type::BOOL) {
                t.int32_data.iter().map(|&i| i as f32).collect()
            } else {
                t.float_data.clone()
            };
            env.insert(t.name.clone().unwrap(), T { shape, v });
        }
        let shape = g.input[0]
            .r#type
            .as_ref()
            .unwrap()
            .tensor_type
            .as_ref()
            .unwrap()
            .shape
            .as_ref()
            .unwrap()
            .dim
            .iter()
            .map(|d| d.dim_value.unwrap() as usize)
            .collect();
        env.insert(
            "x".into(),
            T {
                shape,
                v: input.to_vec(),
            },
        );
        for n in &g.node {
            let arg = |i: usize| env[&n.input[i]].clone();
            let attr_ints = |name: &str| {
                n.attribute
                    .iter()
                    .find(|a| a.name.as_deref() == Some(name))
                    .map(|a| a.ints.iter().map(|&i| i as usize).collect::<Vec<_>>())
            };
            let attr_int = |name: &str, d: i64| {
                n.attribute
                    .iter()
                    .find(|a| a.name.as_deref() == Some(name))
                    .and_then(|a| a.i)
                    .unwrap_or(d)
            };
            let attr_float = |name: &str, d: f32| {
                n.attribute
                    .iter()
                    .find(|a| a.name.as_deref() == Some(name))
                    .and_then(|a| a.f)
                    .unwrap_or(d)
            };
            // An element-wise function of input 0, written from the ONNX operator definitions.
            let unary = |f: &dyn Fn(f32) -> f32| {
                let x = arg(0);
                T {
                    v: x.v.iter().map(|&v| f(v)).collect(),
                    ..x
                }
            };
            let sigmoid = |v: f32| 1.0 / (1.0 + (-v).exp());
            let out = match n.op_type.as_deref().unwrap() {
                "Clip" => {
                    let bound = |i: usize, name: &str, d: f32| match n.input.get(i) {
                        Some(b) if !b.is_empty() => env[b].v[0],
                        _ => attr_float(name, d),
                    };
                    let (lo, hi) = (bound(1, "min", f32::MIN), bound(2, "max", f32::MAX));
                    unary(&|v| v.max(lo).min(hi))
                }
                "LeakyRelu" => {
                    let alpha = attr_float("alpha", 0.01);
                    unary(&|v| if v < 0.0 { alpha * v } else { v })
                }
                // The slope broadcast to the input from the right (numpy's rule, which ONNX
                // takes): one value, or one per channel as `[C, 1, 1]`.
                "PRelu" => {
                    let (x, slope) = (arg(0), arg(1));
                    let y = broadcast(&x, &slope, |v, a| if v < 0.0 { a * v } else { v });
                    assert_eq!(y.shape, x.shape, "the slope broadcasts to the input");
                    y
                }
                "HardSigmoid" => {
                    let (alpha, beta) = (attr_float("alpha", 0.2), attr_float("beta", 0.5));
                    unary(&|v| (alpha * v + beta).clamp(0.0, 1.0))
                }
                "HardSwish" => unary(&|v| v * (v / 6.0 + 0.5).clamp(0.0, 1.0)),
                "Sigmoid" => unary(&sigmoid),
                "Tanh" => unary(&|v| v.tanh()),
                "Erf" => unary(&erf),
                "Gelu" => {
                    let tanh = n.attribute.iter().any(|a| a.s.as_deref() == Some(b"tanh"));
                    let c = (2.0f32 / std::f32::consts::PI).sqrt();
                    unary(&|v| {
                        if tanh {
                            0.5 * v * (1.0 + (c * (v + 0.044715 * v * v * v)).tanh())
                        } else {
                            0.5 * v * (1.0 + erf(v / 2f32.sqrt()))
                        }
                    })
                }
                "Relu" => {
                    let x = arg(0);
                    T {
                        v: x.v.iter().map(|v| v.max(0.0)).collect(),
                        ..x
                    }
                }
                "Conv" => {
                    let pads = attr_ints("pads").unwrap_or(vec![0; 4]);
                    let s = attr_ints("strides").map_or(1, |s| s[0]);
                    let group = attr_int("group", 1) as usize;
                    let bias = n.input.get(2).map(|b| env[b].v.clone());
                    conv(&arg(0), &arg(1), bias.as_deref(), &pads, s, group)
                }
                "BatchNormalization" => {
                    let eps = n.attribute[0].f.unwrap();
                    let x = arg(0);
                    let (g, b, m, var) = (arg(1).v, arg(2).v, arg(3).v, arg(4).v);
                    let c = x.shape[1];
                    let per = x.v.len() / c;
                    let v =
                        x.v.iter()
                            .enumerate()
                            .map(|(i, &v)| {
                                let ch = i / per;
                                (v - m[ch]) / (var[ch] + eps).sqrt() * g[ch] + b[ch]
                            })
                            .collect();
                    T { v, ..x }
                }
                "Pad" => {
                    let x = arg(0);
                    let p: Vec<usize> = arg(1).v.iter().map(|&p| p as usize).collect();
                    pad(&x, [p[2], p[3], p[6], p[7]], 0.0)
                }
                "MaxPool" | "AveragePool" => {
                    let k = attr_ints("kernel_shape").unwrap()[0];
                    let s = attr_ints("strides").map_or(1, |s| s[0]);
                    let p = attr_ints("pads").unwrap_or(vec![0; 4]);
                    let max = n.op_type.as_deref() == Some("MaxPool");
                    // MaxPool pads with −∞; AveragePool here only with count_include_pad = 1
                    // (zeros counted).
                    let x = pad(
                        &arg(0),
                        [p[0], p[1], p[2], p[3]],
                        if max { f32::NEG_INFINITY } else { 0.0 },
                    );
                    pool(&x, k, k, s, max)
                }
                "GlobalAveragePool" => {
                    let x = arg(0);
                    pool(&x, x.shape[2], x.shape[3], 1, false)
                }
                "ReduceMean" if n.input.len() > 1 => {
                    let x = arg(0);
                    let rank = x.shape.len() as i64;
                    let axes: Vec<usize> = arg(1)
                        .v
                        .iter()
                        .map(|&a| (if a < 0.0 { a as i64 + rank } else { a as i64 }) as usize)
                        .collect();
                    reduce_mean(&x, &axes, attr_int("keepdims", 1) != 0)
                }
                "Transpose" => transpose(&arg(0), &attr_ints("perm").unwrap()),
                "GatherND" => gather_nd(&arg(0), &arg(1)),
                "Gather" => gather(&arg(0), &arg(1), attr_int("axis", 0) as usize),
                "Where" => {
                    let (c, a, b) = (arg(0), arg(1), arg(2));
                    // where(c, a, b) = c·a + (1 − c)·b, for finite a and b.
                    let ca = broadcast(&c, &a, |c, a| if c != 0.0 { a } else { 0.0 });
                    let cb = broadcast(&c, &b, |c, b| if c != 0.0 { 0.0 } else { b });
                    broadcast(&ca, &cb, |x, y| x + y)
                }
                "Reshape" => {
                    let x = arg(0);
                    let target = arg(1).v;
                    let known: usize = target
                        .iter()
                        .filter(|&&d| d > 0.0)
                        .map(|&d| d as usize)
                        .product();
                    let shape = target
                        .iter()
                        .map(|&d| {
                            if d < 0.0 {
                                x.v.len() / known
                            } else {
                                d as usize
                            }
                        })
                        .collect();
                    T { shape, v: x.v }
                }
                "ReduceMean" => {
                    let x = arg(0);
                    let mut y = pool(&x, x.shape[2], x.shape[3], 1, false);
                    if attr_int("keepdims", 1) == 0 {
                        y.shape.truncate(2);
                    }
                    y
                }
                "Flatten" => {
                    let x = arg(0);
                    T {
                        shape: vec![1, x.v.len()],
                        v: x.v,
                    }
                }
                "Gemm" => {
                    let x = arg(0);
                    let (w, b) = (arg(1), arg(2));
                    // transB = 1: w is [n, k].
                    let (nn, k) = (w.shape[0], w.shape[1]);
                    let v = (0..nn)
                        .map(|o| b.v[o] + (0..k).map(|i| w.v[o * k + i] * x.v[i]).sum::<f32>())
                        .collect();
                    T {
                        shape: vec![1, nn],
                        v,
                    }
                }
                "MatMul" => {
                    let (x, w) = (arg(0), arg(1));
                    let (k, nn) = (w.shape[0], w.shape[1]);
                    let v = (0..nn)
                        .map(|o| (0..k).map(|i| w.v[i * nn + o] * x.v[i]).sum())
                        .collect();
                    T {
                        shape: vec![1, nn],
                        v,
                    }
                }
                op @ ("Add" | "Sub" | "Mul" | "Div" | "Concat") => {
                    let (a, b) = (arg(0), arg(1));
                    if op == "Concat" {
                        let mut shape = a.shape.clone();
                        shape[1] += b.shape[1];
                        T {
                            shape,
                            v: a.v.iter().chain(&b.v).copied().collect(),
                        }
                    } else {
                        broadcast(&a, &b, |x, y| match op {
                            "Add" => x + y,
                            "Sub" => x - y,
                            "Mul" => x * y,
                            _ => x / y,
                        })
                    }
                }
                op => panic!("the naive evaluator has no {op}"),
            };
            env.insert(n.output[0].clone(), out);
        }
        let out = &g.output[0];
        env[out.name.as_deref().unwrap()].v.clone()
    }
}

/// Zero-extended, or `fill`-extended, height and width: `[top, left, bottom, right]`.
/// `erf` by Abramowitz and Stegun 7.1.26 (absolute error below `1.5·10^−7`).
fn erf(x: f32) -> f32 {
    let x = x as f64;
    let t = 1.0 / (1.0 + 0.3275911 * x.abs());
    let poly = t
        * (0.254829592
            + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let e = 1.0 - poly * (-x * x).exp();
    (if x < 0.0 { -e } else { e }) as f32
}

fn pad(x: &T, [t, l, b, r]: [usize; 4], fill: f32) -> T {
    let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3]);
    let (ph, pw) = (h + t + b, w + l + r);
    let mut v = vec![fill; c * ph * pw];
    for ch in 0..c {
        for y in 0..h {
            for xx in 0..w {
                v[(ch * ph + y + t) * pw + xx + l] = x.v[(ch * h + y) * w + xx];
            }
        }
    }
    T {
        shape: vec![1, c, ph, pw],
        v,
    }
}

/// Max or mean over `kh × kw` windows with stride `s` of an already padded tensor (floor mode).
fn pool(x: &T, kh: usize, kw: usize, s: usize, max: bool) -> T {
    let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3]);
    let (oh, ow) = ((h - kh) / s + 1, (w - kw) / s + 1);
    let mut v = Vec::new();
    for ch in 0..c {
        for y in 0..oh {
            for xx in 0..ow {
                let window = (0..kh).flat_map(|dy| {
                    (0..kw).map(move |dx| x.v[(ch * h + y * s + dy) * w + xx * s + dx])
                });
                v.push(if max {
                    window.fold(f32::NEG_INFINITY, f32::max)
                } else {
                    window.sum::<f32>() / (kh * kw) as f32
                });
            }
        }
    }
    T {
        shape: vec![1, c, oh, ow],
        v,
    }
}

fn conv(x: &T, w: &T, b: Option<&[f32]>, pads: &[usize], s: usize, group: usize) -> T {
    let x = pad(x, [pads[0], pads[1], pads[2], pads[3]], 0.0);
    let (c, h, wd) = (x.shape[1], x.shape[2], x.shape[3]);
    let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3]);
    assert_eq!(cg * group, c);
    let og = o / group;
    let (oh, ow) = ((h - kh) / s + 1, (wd - kw) / s + 1);
    let mut v = vec![0.0; o * oh * ow];
    for oc in 0..o {
        for y in 0..oh {
            for xx in 0..ow {
                let mut acc = b.map_or(0.0, |b| b[oc]);
                for i in 0..cg {
                    let ic = (oc / og) * cg + i;
                    for dy in 0..kh {
                        for dx in 0..kw {
                            acc += w.v[((oc * cg + i) * kh + dy) * kw + dx]
                                * x.v[(ic * h + y * s + dy) * wd + xx * s + dx];
                        }
                    }
                }
                v[(oc * oh + y) * ow + xx] = acc;
            }
        }
    }
    T {
        shape: vec![1, o, oh, ow],
        v,
    }
}

/// Row-major strides of a shape.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// The multi-index of flat position `i` in `shape`.
fn coords(shape: &[usize], mut i: usize) -> Vec<usize> {
    let mut c = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        c[d] = i % shape[d];
        i /= shape[d];
    }
    c
}

/// ONNX Transpose: output axis `k` is input axis `perm[k]`.
fn transpose(x: &T, perm: &[usize]) -> T {
    let shape: Vec<usize> = perm.iter().map(|&a| x.shape[a]).collect();
    let src = strides(&x.shape);
    let n = x.v.len();
    let v = (0..n)
        .map(|i| {
            let c = coords(&shape, i);
            x.v[c
                .iter()
                .zip(perm)
                .map(|(&ci, &a)| ci * src[a])
                .sum::<usize>()]
        })
        .collect();
    T { shape, v }
}

/// ONNX GatherND with `batch_dims` 0 (indices non-negative here).
fn gather_nd(x: &T, idx: &T) -> T {
    let q = *idx.shape.last().unwrap();
    let inner: usize = x.shape[q..].iter().product();
    let src = strides(&x.shape);
    let mut shape = idx.shape[..idx.shape.len() - 1].to_vec();
    shape.extend_from_slice(&x.shape[q..]);
    let mut v = Vec::new();
    for vector in idx.v.chunks(q) {
        let at: usize = vector.iter().zip(&src).map(|(&i, &s)| i as usize * s).sum();
        v.extend_from_slice(&x.v[at..at + inner]);
    }
    T { shape, v }
}

/// ONNX Gather along `axis` (indices non-negative here).
fn gather(x: &T, idx: &T, axis: usize) -> T {
    let mut shape = x.shape[..axis].to_vec();
    shape.extend_from_slice(&idx.shape);
    shape.extend_from_slice(&x.shape[axis + 1..]);
    let outer: usize = x.shape[..axis].iter().product();
    let inner: usize = x.shape[axis + 1..].iter().product();
    let mut v = Vec::new();
    for o in 0..outer {
        for &j in &idx.v {
            let at = (o * x.shape[axis] + j as usize) * inner;
            v.extend_from_slice(&x.v[at..at + inner]);
        }
    }
    T { shape, v }
}

/// ONNX ReduceMean over `axes`.
fn reduce_mean(x: &T, axes: &[usize], keepdims: bool) -> T {
    let kept: Vec<usize> = (0..x.shape.len())
        .map(|d| if axes.contains(&d) { 1 } else { x.shape[d] })
        .collect();
    let out: usize = kept.iter().product();
    let count = (x.v.len() / out) as f32;
    let mut v = vec![0.0f32; out];
    for (i, &xv) in x.v.iter().enumerate() {
        let c = coords(&x.shape, i);
        let o = c
            .iter()
            .zip(&kept)
            .fold(0, |acc, (&ci, &k)| acc * k + if k == 1 { 0 } else { ci });
        v[o] += xv;
    }
    v.iter_mut().for_each(|s| *s /= count);
    let shape = if keepdims {
        kept
    } else {
        (0..x.shape.len())
            .filter(|d| !axes.contains(d))
            .map(|d| x.shape[d])
            .collect()
    };
    T { shape, v }
}

/// Numpy broadcasting of two tensors (right-aligned shapes).
fn broadcast(a: &T, b: &T, f: impl Fn(f32, f32) -> f32) -> T {
    let rank = a.shape.len().max(b.shape.len());
    let align = |s: &[usize]| {
        let mut v = vec![1; rank - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (sa, sb) = (align(&a.shape), align(&b.shape));
    let shape: Vec<usize> = sa.iter().zip(&sb).map(|(&x, &y)| x.max(y)).collect();
    let n: usize = shape.iter().product();
    let index = |s: &[usize], mut i: usize| {
        let mut at = 0;
        let mut stride = 1;
        for d in (0..rank).rev() {
            let coord = i % shape[d];
            i /= shape[d];
            if s[d] != 1 {
                at += coord * stride;
            }
            stride *= s[d];
        }
        at
    };
    let v = (0..n)
        .map(|i| f(a.v[index(&sa, i)], b.v[index(&sb, i)]))
        .collect();
    T { shape, v }
}

// ---- checks --------------------------------------------------------------------------------

/// Proves and verifies one input on Goldilocks; returns the proven integer output.
fn prove_and_verify(model: &Model, input: &[f32]) -> Vec<i64> {
    let q = model.quantization.as_ref().unwrap();
    let x = q.quantize_input(input, model.activation_bits);
    let array =
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&model.input_shape), x.clone()).unwrap();
    let committed = network::commit_model::<Goldilocks, GoldilocksExt2>(model).unwrap();
    let checked = committed.public.check(model).unwrap();
    let (output, proof) =
        network::prove::<Goldilocks, GoldilocksExt2>(model, &committed, &array).unwrap();
    let y: Vec<i64> = output.iter().copied().collect();
    network::verify(model, &checked, &x, &y, &proof).unwrap();
    y
}

/// The imported float graph matches the naive evaluation on the net's inputs; the quantized
/// model tracks it (error below a tenth of the output range, no overflow) and proves and
/// verifies on the first input. Returns the import.
fn check(name: &str, net: &Net) -> Imported {
    let bytes = net.bytes();
    let model = net.model();
    let naive = Eval { model: &model };
    let inputs = net.inputs();
    let mut range = 0.0f32;
    for x in &inputs {
        let ours = onnx::evaluate_float(&bytes, x).unwrap();
        let want = naive.run(x);
        assert_eq!(ours.len(), want.len(), "{name}");
        let err = ours
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err <= FLOAT_TOLERANCE, "{name}: float error {err}");
        range = want.iter().fold(range, |m, v| m.max(v.abs()));
    }
    let options = ImportOptions {
        calibration: inputs.clone(),
        name: Some(name.into()),
        ..ImportOptions::default()
    };
    let imported = onnx::import(&bytes, &options).unwrap();
    imported.model.validate().unwrap();
    let report = &imported.report;
    assert_eq!(report.agreement.overflows, 0, "{name}");
    assert!(
        report.agreement.max_logit_error <= 0.1 * range as f64,
        "{name}: max error {} vs output range {range}",
        report.agreement.max_logit_error
    );
    let y = prove_and_verify(&imported.model, &inputs[0]);
    assert_eq!(y.len(), naive.run(&inputs[0]).len(), "{name}");
    println!(
        "{name}: {} layers, max output error {:.4} (range {range:.3})",
        imported.model.layers.len(),
        report.agreement.max_logit_error
    );
    imported
}

fn outcomes(imported: &Imported) -> Vec<(String, NodeOutcome)> {
    imported
        .report
        .nodes
        .iter()
        .map(|n| (n.name.clone(), n.outcome.clone()))
        .collect()
}

fn outcome(imported: &Imported, name: &str) -> NodeOutcome {
    imported
        .report
        .nodes
        .iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("no node {name}"))
        .outcome
        .clone()
}

fn kinds(model: &Model) -> Vec<&'static str> {
    model.layers.iter().map(|l| l.kind().name()).collect()
}

/// The import's error on `net`, which must name node `name`.
fn refused(net: &Net, name: &str) -> OnnxError {
    let options = ImportOptions {
        calibration: net.inputs(),
        ..ImportOptions::default()
    };
    let err = onnx::import(&net.bytes(), &options).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&format!("node {name} (")), "{text}");
    println!("{name}: {text}");
    err
}

fn depthwise_1x1(layer: &Layer, channels: usize) -> bool {
    matches!(layer, Layer::Conv2d(c) if c.groups == channels && c.kernel == [1, 1]
        && c.in_channels == channels && c.out_channels == channels)
}

fn pads_input(net: &mut Net, name: &str, [t, l, b, r]: [i64; 4]) -> String {
    net.init(ints(name, &[8], &[0, 0, t, l, 0, 0, b, r]))
}

fn scalar(net: &mut Net, name: &str, v: f32) -> String {
    net.init(floats(name, &[], vec![v]))
}

// ---- BatchNormalization --------------------------------------------------------------------

/// BatchNormalization after a Gemm or MatMul is folded into its weights and bias.
#[test]
fn batch_norm_after_gemm_or_matmul_folds_into_the_dense_layer() {
    let mut n = Net::new(&[1, 2, 4, 4], 1);
    let c = n.conv("conv", "x", 2, 4, 3, 1);
    let r = n.relu("relu", &c);
    let f = n.add(node("flatten", "Flatten", &[&r], "flat"));
    let w = n.random("mm.w", &[64, 8], -0.3, 0.3);
    let m = n.add(node("matmul", "MatMul", &[&f, &w], "mm"));
    let b = n.batch_norm("bn_matmul", &m, 8);
    let r = n.relu("relu2", &b);
    let w = n.random("fc.w", &[4, 8], -0.5, 0.5);
    let bias = n.random("fc.b", &[4], -0.2, 0.2);
    let g = n.add(with_int(
        node("fc", "Gemm", &[&r, &w, &bias], "logits"),
        "transB",
        1,
    ));
    n.batch_norm("bn_gemm", &g, 4);
    let imported = check("bn-after-gemm", &n);
    assert_eq!(
        kinds(&imported.model),
        ["Conv2d", "Relu", "Flatten", "Dense", "Relu", "Dense"]
    );
    assert_eq!(
        outcome(&imported, "bn_matmul"),
        NodeOutcome::FoldedInto { layer: 3 }
    );
    assert_eq!(
        outcome(&imported, "bn_gemm"),
        NodeOutcome::FoldedInto { layer: 5 }
    );
}

/// BatchNormalization after a MaxPool, an Add, an AveragePool and a Concat (and after a Conv
/// whose output another node also reads) becomes a depthwise 1×1 convolution.
#[test]
fn batch_norm_elsewhere_is_a_depthwise_convolution() {
    let mut n = Net::new(&[1, 2, 8, 8], 2);
    let c = n.conv("conv1", "x", 2, 4, 3, 1);
    let r = n.relu("relu1", &c);
    let p = n.add(with_ints(
        with_ints(
            node("pool", "MaxPool", &[&r], "pooled"),
            "kernel_shape",
            &[2, 2],
        ),
        "strides",
        &[2, 2],
    ));
    let bp = n.batch_norm("bn_pool", &p, 4);
    let c2 = n.conv("conv2", &bp, 4, 4, 3, 1);
    // conv2's output is read by the Add and by bn_shared: not folded.
    let shared = n.batch_norm("bn_shared", &c2, 4);
    let a = n.add(node("add", "Add", &[&bp, &c2], "sum"));
    let a2 = n.add(node("add2", "Add", &[&a, &shared], "sum2"));
    let ba = n.batch_norm("bn_add", &a2, 4);
    let avg = n.add(with_ints(
        with_ints(
            node("avg", "AveragePool", &[&ba], "averaged"),
            "kernel_shape",
            &[2, 2],
        ),
        "strides",
        &[2, 2],
    ));
    let bavg = n.batch_norm("bn_avg", &avg, 4);
    let r2 = n.relu("relu2", &bavg);
    let c3 = n.conv("conv3", &r2, 4, 4, 1, 0);
    let cat = n.add(with_int(
        node("concat", "Concat", &[&r2, &c3], "cat"),
        "axis",
        1,
    ));
    let bcat = n.batch_norm("bn_cat", &cat, 8);
    n.head(&bcat, 32, 3);
    let imported = check("bn-elsewhere", &n);
    let model = &imported.model;
    for (bn, channels) in [
        ("bn_pool", 4),
        ("bn_shared", 4),
        ("bn_add", 4),
        ("bn_avg", 4),
        ("bn_cat", 8),
    ] {
        let NodeOutcome::Layer { layer } = outcome(&imported, bn) else {
            panic!("{bn}: {:?}", outcomes(&imported));
        };
        assert!(depthwise_1x1(&model.layers[layer], channels), "{bn}");
    }
}

/// BatchNormalization of a flat tensor that is not a Gemm's or MatMul's output read only by
/// it has no layer to become: refused, naming the node.
#[test]
fn batch_norm_of_a_flattened_tensor_is_refused() {
    let mut n = Net::new(&[1, 2, 4, 4], 3);
    let c = n.conv("conv", "x", 2, 2, 3, 1);
    let f = n.add(node("flatten", "Flatten", &[&c], "flat"));
    n.batch_norm("bn", &f, 32);
    let err = refused(&n, "bn");
    assert!(
        matches!(&err, OnnxError::Unsupported { what, .. } if what.contains("Gemm")),
        "{err:?}"
    );
}

// ---- Pad -----------------------------------------------------------------------------------

fn pad_node(net: &mut Net, name: &str, x: &str, pads: [i64; 4]) -> String {
    let p = pads_input(net, &format!("{name}.pads"), pads);
    net.add(node(name, "Pad", &[x, &p], &format!("{name}.out")))
}

fn pool_node(name: &str, op: &str, x: &str, k: i64, s: i64) -> NodeProto {
    with_ints(
        with_ints(
            node(name, op, &[x], &format!("{name}.out")),
            "kernel_shape",
            &[k, k],
        ),
        "strides",
        &[s, s],
    )
}

/// A zero Pad before a Conv, a MaxPool of a Relu's output (the ResNet stem as TensorFlow
/// writes it) and an AveragePool becomes their padding; the average with zero padding
/// counted is a depthwise convolution of weights 1/k².
#[test]
fn zero_pads_fold_into_the_next_conv_or_pool() {
    let mut n = Net::new(&[1, 2, 8, 8], 4);
    let p = pad_node(&mut n, "pad_conv", "x", [1, 1, 1, 1]);
    let c = n.conv("conv", &p, 2, 4, 3, 0);
    let r = n.relu("relu", &c);
    let p = pad_node(&mut n, "pad_max", &r, [1, 1, 1, 1]);
    let m = n.add(pool_node("maxpool", "MaxPool", &p, 3, 2));
    let p = pad_node(&mut n, "pad_avg", &m, [1, 1, 1, 1]);
    let a = n.add(pool_node("avgpool", "AveragePool", &p, 3, 1));
    // The AveragePool's own padding, counted (count_include_pad = 1).
    let a2 = n.add(with_int(
        with_ints(
            pool_node("avgpool2", "AveragePool", &a, 2, 2),
            "pads",
            &[1; 4],
        ),
        "count_include_pad",
        1,
    ));
    n.head(&a2, 4 * 3 * 3, 3);
    let imported = check("pad", &n);
    for pad in ["pad_conv", "pad_max", "pad_avg"] {
        assert_eq!(outcome(&imported, pad), NodeOutcome::Padding, "{pad}");
    }
    let layers = &imported.model.layers;
    assert!(matches!(&layers[0], Layer::Conv2d(c) if c.padding == 1 && c.groups == 1));
    assert!(matches!(&layers[2], Layer::MaxPool2d(m) if m.padding == 1 && m.size == 3));
    for l in [3, 4] {
        assert!(
            matches!(&layers[l], Layer::Conv2d(c) if c.padding == 1 && c.groups == 4
                && c.weights.iter().all(|&w| w == c.weights[0])),
            "{:?}",
            layers[l]
        );
    }
}

/// Unequal zero padding before a Conv (Keras's `ZeroPadding2D` before a stride-2 `valid`
/// Conv, as MobileNetV2 writes it) or its own (TF's stride-2 `same`: pads `[0, 0, 1, 1]`):
/// equal padding 1 and a 4×4 kernel whose top row and left column are zero; compared with the
/// naive ONNX evaluation, imported, proven and verified.
#[test]
fn unequal_pads_grow_the_conv_kernel() {
    let mut n = Net::new(&[1, 2, 8, 8], 6);
    let p = pad_node(&mut n, "pad", "x", [0, 0, 1, 1]);
    let w = n.random("valid.w", &[4, 2, 3, 3], -0.5, 0.5);
    let c = n.add(with_ints(
        node("valid", "Conv", &[&p, &w], "valid.out"),
        "strides",
        &[2, 2],
    ));
    let r = n.relu("relu", &c);
    let w = n.random("same.w", &[4, 4, 3, 3], -0.5, 0.5);
    let b = n.random("same.b", &[4], -0.2, 0.2);
    let same = with_ints(
        node("same", "Conv", &[&r, &w, &b], "same.out"),
        "pads",
        &[0, 0, 1, 1],
    );
    let c = n.add(with_ints(same, "strides", &[2, 2]));
    n.head(&c, 4 * 2 * 2, 3);
    let imported = check("unequal-pads", &n);
    assert_eq!(outcome(&imported, "pad"), NodeOutcome::Padding);
    let layers = &imported.model.layers;
    for l in [0, 2] {
        let Layer::Conv2d(c) = &layers[l] else {
            panic!("{:?}", layers[l]);
        };
        assert_eq!((c.kernel, c.padding, c.stride), ([4, 4], 1, 2));
        // Row 0 and column 0 of every kernel are zero.
        for k in c.weights.chunks_exact(16) {
            assert!(
                k[..4].iter().chain(k.iter().step_by(4)).all(|&w| w == 0),
                "{k:?}"
            );
        }
    }
}

#[test]
fn pads_the_import_cannot_fold_are_refused() {
    // A MaxPool pads with values that never win; zeros are the same only on a non-negative
    // input, and a Conv's output may be negative.
    let mut n = Net::new(&[1, 2, 8, 8], 5);
    let c = n.conv("conv", "x", 2, 2, 3, 1);
    let p = pad_node(&mut n, "pad", &c, [1, 1, 1, 1]);
    n.add(pool_node("maxpool", "MaxPool", &p, 3, 2));
    let err = refused(&n, "maxpool");
    assert!(
        matches!(&err, OnnxError::Unsupported { what, .. } if what.contains("non-negative")),
        "{err:?}"
    );
    // Unequal padding before a Conv of a kernel side or more (unequal padding below the
    // kernel side grows the kernel: `unequal_pads_grow_the_conv_kernel`).
    let mut n = Net::new(&[1, 2, 8, 8], 5);
    let p = pad_node(&mut n, "pad", "x", [0, 0, 3, 3]);
    n.conv("conv", &p, 2, 2, 3, 0);
    let err = refused(&n, "conv");
    assert!(
        matches!(&err, OnnxError::Unsupported { what, .. } if what.contains("unequally")),
        "{err:?}"
    );
    // Reflection padding.
    let mut n = Net::new(&[1, 2, 8, 8], 5);
    let pads = pads_input(&mut n, "pads", [1, 1, 1, 1]);
    let p = n.add(with_string(
        node("pad", "Pad", &["x", &pads], "padded"),
        "mode",
        "reflect",
    ));
    n.conv("conv", &p, 2, 2, 3, 0);
    let err = refused(&n, "pad");
    assert!(
        matches!(&err, OnnxError::UnsupportedAttribute { attribute, .. } if attribute == "mode"),
        "{err:?}"
    );
    // A non-zero value, channel padding, and a Pad read by something else than a Conv or pool.
    let mut n = Net::new(&[1, 2, 8, 8], 5);
    let pads = pads_input(&mut n, "pads", [1, 1, 1, 1]);
    let one = scalar(&mut n, "one", 1.0);
    let p = n.add(node("pad", "Pad", &["x", &pads, &one], "padded"));
    n.conv("conv", &p, 2, 2, 3, 0);
    let err = refused(&n, "pad");
    assert!(matches!(err, OnnxError::Unsupported { .. }), "{err:?}");
    let mut n = Net::new(&[1, 2, 8, 8], 5);
    let pads = n.init(ints("pads", &[8], &[0, 1, 0, 0, 0, 0, 0, 0]));
    let p = n.add(node("pad", "Pad", &["x", &pads], "padded"));
    n.conv("conv", &p, 3, 2, 3, 0);
    let err = refused(&n, "pad");
    assert!(
        matches!(&err, OnnxError::UnsupportedAttribute { attribute, .. } if attribute == "pads"),
        "{err:?}"
    );
    let mut n = Net::new(&[1, 2, 8, 8], 5);
    let p = pad_node(&mut n, "pad", "x", [1, 1, 1, 1]);
    n.relu("relu", &p);
    let err = refused(&n, "relu");
    assert!(
        matches!(&err, OnnxError::Unsupported { what, .. } if what.contains("Pad")),
        "{err:?}"
    );
}

// ---- averages ------------------------------------------------------------------------------

/// ReduceMean over the height and width (keepdims 0, read by a Gemm directly) over a 6×6
/// window, not a power of two: an average pool dividing exactly by 36 (divisor 9, the 4 in
/// its shift), then a flatten.
#[test]
fn reduce_mean_over_height_and_width_is_a_global_average() {
    let mut n = Net::new(&[1, 3, 6, 6], 6);
    let c = n.conv("conv", "x", 3, 4, 3, 1);
    let r = n.relu("relu", &c);
    let m = n.add(with_int(
        with_ints(node("mean", "ReduceMean", &[&r], "m"), "axes", &[2, 3]),
        "keepdims",
        0,
    ));
    let w = n.random("fc.w", &[3, 4], -0.5, 0.5);
    let b = n.random("fc.b", &[3], -0.2, 0.2);
    n.add(with_int(
        node("fc", "Gemm", &[&m, &w, &b], "logits"),
        "transB",
        1,
    ));
    let imported = check("reduce-mean", &n);
    assert_eq!(
        kinds(&imported.model),
        ["Conv2d", "Relu", "AvgPool2d", "Flatten", "Dense"]
    );
    assert!(
        matches!(&imported.model.layers[2], Layer::AvgPool2d(a) if a.size == 6 && a.divisor == 9)
    );
    // keepdims 1 over a 4×4 window (negative axes): the IR's average pool.
    let mut n = Net::new(&[1, 3, 4, 4], 6);
    let c = n.conv("conv", "x", 3, 4, 3, 1);
    let r = n.relu("relu", &c);
    let m = n.add(with_ints(
        node("mean", "ReduceMean", &[&r], "m"),
        "axes",
        &[-1, -2],
    ));
    n.head(&m, 4, 3);
    let imported = check("reduce-mean-keepdims", &n);
    assert_eq!(
        kinds(&imported.model),
        ["Conv2d", "Relu", "AvgPool2d", "Flatten", "Dense"]
    );
    // Over the channels: refused.
    let mut n = Net::new(&[1, 3, 4, 4], 6);
    n.add(with_ints(
        node("mean", "ReduceMean", &["x"], "m"),
        "axes",
        &[1],
    ));
    let err = refused(&n, "mean");
    assert!(
        matches!(&err, OnnxError::UnsupportedAttribute { attribute, .. } if attribute == "axes"),
        "{err:?}"
    );
}

/// GlobalAveragePool over 6×6 (36 positions) and AveragePool 3×3 stride 3: average pools
/// dividing exactly (divisor 9 for both: 36 = 4·9).
#[test]
fn averages_over_windows_that_are_not_powers_of_two() {
    let mut n = Net::new(&[1, 3, 6, 6], 7);
    let c = n.conv("conv", "x", 3, 4, 3, 1);
    let r = n.relu("relu", &c);
    let g = n.add(node("gap", "GlobalAveragePool", &[&r], "g"));
    n.head(&g, 4, 3);
    let imported = check("global-average-6x6", &n);
    assert_eq!(
        kinds(&imported.model),
        ["Conv2d", "Relu", "AvgPool2d", "Flatten", "Dense"]
    );
    assert!(
        matches!(&imported.model.layers[2], Layer::AvgPool2d(a) if a.size == 6 && a.divisor == 9)
    );
    let mut n = Net::new(&[1, 3, 6, 6], 7);
    let c = n.conv("conv", "x", 3, 4, 3, 1);
    let r = n.relu("relu", &c);
    let a = n.add(pool_node("avg", "AveragePool", &r, 3, 3));
    n.head(&a, 16, 3);
    let imported = check("average-3x3", &n);
    assert!(
        matches!(&imported.model.layers[2], Layer::AvgPool2d(a) if a.size == 3
            && a.stride == 3 && a.divisor == 9)
    );
    // An AveragePool's own padding not counted in the average (count_include_pad = 0): the
    // border windows divide by fewer positions, which no one convolution does.
    let mut n = Net::new(&[1, 3, 6, 6], 7);
    n.add(with_ints(
        pool_node("avg", "AveragePool", "x", 3, 1),
        "pads",
        &[1; 4],
    ));
    let err = refused(&n, "avg");
    assert!(
        matches!(&err, OnnxError::UnsupportedAttribute { attribute, .. } if attribute == "pads"),
        "{err:?}"
    );
}

// ---- Add, Sub, Mul, Div by constants -------------------------------------------------------

/// Mul, Div, Add and Sub of a Conv's or Gemm's output by scalars and per-channel constants
/// are folded into its weights and bias.
#[test]
fn constant_arithmetic_after_a_linear_layer_folds_into_it() {
    let mut n = Net::new(&[1, 2, 6, 6], 8);
    let c = n.conv("conv", "x", 2, 4, 3, 1);
    let k = n.random("k", &[1, 4, 1, 1], 0.5, 1.5);
    let m = n.add(node("mul", "Mul", &[&k, &c], "m"));
    let two = scalar(&mut n, "two", 2.0);
    let d = n.add(node("div", "Div", &[&m, &two], "d"));
    let o = n.random("o", &[4, 1, 1], -0.2, 0.2);
    let a = n.add(node("add", "Add", &[&d, &o], "a"));
    let tenth = scalar(&mut n, "tenth", 0.1);
    let s = n.add(node("sub", "Sub", &[&a, &tenth], "s"));
    let r = n.relu("relu", &s);
    let g = n.head(&r, 144, 3);
    let k = n.random("k_fc", &[3], -1.5, 1.5);
    n.add(node("mul_fc", "Mul", &[&g, &k], "y"));
    let imported = check("arith-folded", &n);
    assert_eq!(
        kinds(&imported.model),
        ["Conv2d", "Relu", "Flatten", "Dense"]
    );
    for name in ["mul", "div", "add", "sub"] {
        assert_eq!(
            outcome(&imported, name),
            NodeOutcome::FoldedInto { layer: 0 },
            "{name}"
        );
    }
    assert_eq!(
        outcome(&imported, "mul_fc"),
        NodeOutcome::FoldedInto { layer: 3 }
    );
}

/// Input normalization `(x − mean) / std` (no layer before it) and a scale after a Relu
/// become depthwise 1×1 convolutions; the Div and the Sub from a constant after them fold
/// into those.
#[test]
fn constant_arithmetic_elsewhere_is_a_depthwise_convolution() {
    let mut n = Net::new(&[1, 2, 6, 6], 9);
    let mean = n.random("mean", &[1, 2, 1, 1], -0.2, 0.2);
    let s = n.add(node("norm_sub", "Sub", &["x", &mean], "centered"));
    let std = n.random("std", &[1, 2, 1, 1], 0.5, 1.0);
    let d = n.add(node("norm_div", "Div", &[&s, &std], "normalized"));
    let c = n.conv("conv", &d, 2, 4, 3, 1);
    let r = n.relu("relu", &c);
    let half = scalar(&mut n, "half", 0.5);
    let m = n.add(node("mul_relu", "Mul", &[&r, &half], "scaled"));
    let k = n.random("k", &[1, 4, 1, 1], -0.3, 0.3);
    let neg = n.add(node("rsub", "Sub", &[&k, &m], "negated"));
    n.head(&neg, 144, 3);
    let imported = check("arith-lowered", &n);
    assert_eq!(
        kinds(&imported.model),
        ["Conv2d", "Conv2d", "Relu", "Conv2d", "Flatten", "Dense"]
    );
    assert!(depthwise_1x1(&imported.model.layers[0], 2));
    assert!(depthwise_1x1(&imported.model.layers[3], 4));
    assert_eq!(
        outcome(&imported, "norm_sub"),
        NodeOutcome::Layer { layer: 0 }
    );
    assert_eq!(
        outcome(&imported, "norm_div"),
        NodeOutcome::FoldedInto { layer: 0 }
    );
    assert_eq!(
        outcome(&imported, "rsub"),
        NodeOutcome::FoldedInto { layer: 3 }
    );
}

#[test]
fn arithmetic_the_import_cannot_lower_is_refused() {
    let base = |seed| {
        let mut n = Net::new(&[1, 2, 6, 6], seed);
        let c = n.conv("conv", "x", 2, 4, 3, 1);
        let r = n.relu("relu", &c);
        (n, r)
    };
    // Mul of two activations of shapes neither equal nor per channel (a `[4, 6, 6]` and its
    // flattening). (A Mul of two activations of one shape, or of a per-channel one, is a
    // product layer: tests/suite/mul.rs.)
    let (mut n, r) = base(10);
    n.add(node("flat", "Flatten", &[&r], "f"));
    n.add(node("times_flat", "Mul", &[&r, "f"], "y"));
    let err = refused(&n, "times_flat");
    assert!(
        matches!(&err, OnnxError::Unsupported { what, .. } if what.contains("multiplies shapes")),
        "{err:?}"
    );
    // A constant divided by an activation.
    let (mut n, r) = base(10);
    let two = scalar(&mut n, "two", 2.0);
    n.add(node("recip", "Div", &[&two, &r], "y"));
    let err = refused(&n, "recip");
    assert!(matches!(err, OnnxError::Unsupported { .. }), "{err:?}");
    // A constant that varies along the width.
    let (mut n, r) = base(10);
    let k = n.random("k", &[1, 1, 1, 6], 0.5, 1.5);
    n.add(node("mul_w", "Mul", &[&r, &k], "y"));
    let err = refused(&n, "mul_w");
    assert!(
        matches!(&err, OnnxError::Unsupported { what, .. } if what.contains("per channel")),
        "{err:?}"
    );
    // Division by zero.
    let (mut n, r) = base(10);
    let zero = scalar(&mut n, "zero", 0.0);
    n.add(node("div0", "Div", &[&r, &zero], "y"));
    let err = refused(&n, "div0");
    assert!(matches!(err, OnnxError::BadInput { .. }), "{err:?}");
}

// ---- activations by table lookup -----------------------------------------------------------

fn with_float(mut n: NodeProto, name: &str, value: f32) -> NodeProto {
    n.attribute.push(AttributeProto {
        name: Some(name.into()),
        r#type: Some(attribute_type::FLOAT),
        f: Some(value),
        ..AttributeProto::default()
    });
    n
}

/// The table function of the model's activation layers, by name.
fn functions(model: &Model) -> Vec<&'static str> {
    model
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Activation(a) => Some(a.function.name()),
            _ => None,
        })
        .collect()
}

/// Each ONNX activation after a convolution: the import's float graph computes the ONNX
/// function (the naive evaluator), the quantized model tracks it, and it proves and verifies
/// through the lookup argument.
#[test]
fn activations_after_a_convolution_import_prove_and_verify() {
    type Act = fn(&mut Net, &str) -> String;
    let cases: [(&str, &str, Act); 13] = [
        ("prelu", "LeakyRelu", |n, x| {
            let a = scalar(n, "slope", 0.25);
            n.add(node("prelu", "PRelu", &[x, &a], "act"))
        }),
        ("prelu-equal-channels", "LeakyRelu", |n, x| {
            let a = n.init(floats("slope", &[4, 1, 1], vec![0.2; 4]));
            n.add(node("prelu", "PRelu", &[x, &a], "act"))
        }),
        ("relu6", "Clip", |n, x| {
            let lo = scalar(n, "lo", 0.0);
            let hi = scalar(n, "hi", 6.0);
            n.add(node("relu6", "Clip", &[x, &lo, &hi], "act"))
        }),
        ("clip-attributes", "Clip", |n, x| {
            let c = node("clip", "Clip", &[x], "act");
            n.add(with_float(with_float(c, "min", -0.5), "max", 0.75))
        }),
        ("clip-max-only", "Clip", |n, x| {
            let hi = scalar(n, "hi", 0.5);
            n.add(node("clip", "Clip", &[x, "", &hi], "act"))
        }),
        ("leaky-relu", "LeakyRelu", |n, x| {
            n.add(with_float(
                node("leaky", "LeakyRelu", &[x], "act"),
                "alpha",
                0.1,
            ))
        }),
        ("hard-sigmoid", "HardSigmoid", |n, x| {
            let h = node("hsig", "HardSigmoid", &[x], "act");
            n.add(with_float(with_float(h, "alpha", 0.3), "beta", 0.4))
        }),
        ("hard-swish", "HardSwish", |n, x| {
            n.add(node("hswish", "HardSwish", &[x], "act"))
        }),
        ("sigmoid", "Sigmoid", |n, x| {
            n.add(node("sigmoid", "Sigmoid", &[x], "act"))
        }),
        ("tanh", "Tanh", |n, x| {
            n.add(node("tanh", "Tanh", &[x], "act"))
        }),
        ("gelu", "Gelu", |n, x| {
            n.add(node("gelu", "Gelu", &[x], "act"))
        }),
        ("gelu-tanh", "GeluTanh", |n, x| {
            let g = node("gelu", "Gelu", &[x], "act");
            n.add(with_string(g, "approximate", "tanh"))
        }),
        ("silu", "Silu", |n, x| {
            let s = n.add(node("sig", "Sigmoid", &[x], "s"));
            n.add(node("mul", "Mul", &[x, &s], "act"))
        }),
    ];
    for (name, function, act) in cases {
        let mut n = Net::new(&[1, 2, 4, 4], 21);
        let c = n.conv("conv", "x", 2, 4, 3, 1);
        let a = act(&mut n, &c);
        n.head(&a, 64, 3);
        let imported = check(name, &n);
        assert_eq!(functions(&imported.model), [function], "{name}");
        assert_eq!(
            kinds(&imported.model),
            ["Conv2d", "Activation", "Flatten", "Dense"],
            "{name}"
        );
    }
}

/// The scales: Clip and LeakyRelu keep their input's (Clip's bounds at that scale); the
/// bounded functions take their natural range (|y| ≤ 1: 6 fraction bits at 8-bit
/// activations); the others their calibrated output range. SiLU's Mul is folded into the
/// Sigmoid's layer.
#[test]
fn activation_scales_and_outcomes() {
    use zkcnn::model::activation::Function;
    let mut n = Net::new(&[1, 2, 4, 4], 22);
    let c = n.conv("conv", "x", 2, 4, 3, 1);
    let lo = scalar(&mut n, "lo", 0.0);
    let hi = scalar(&mut n, "hi", 6.0);
    let r6 = n.add(node("relu6", "Clip", &[&c, &lo, &hi], "r6"));
    let c2 = n.conv("conv2", &r6, 4, 4, 3, 1);
    let t = n.add(node("tanh", "Tanh", &[&c2], "t"));
    let c3 = n.conv("conv3", &t, 4, 4, 3, 1);
    let s = n.add(node("sig", "Sigmoid", &[&c3], "s"));
    let m = n.add(node("mul", "Mul", &[&s, &c3], "m"));
    n.head(&m, 64, 3);
    let imported = check("scales", &n);
    let report = &imported.report;
    let frac = |l: usize| report.layers[l].output_frac_bits;
    let layers = &imported.model.layers;
    assert_eq!(
        kinds(&imported.model),
        [
            "Conv2d",
            "Activation",
            "Conv2d",
            "Activation",
            "Conv2d",
            "Activation",
            "Flatten",
            "Dense"
        ]
    );
    let Layer::Activation(a) = &layers[1] else {
        unreachable!()
    };
    assert_eq!(frac(1), frac(0));
    assert_eq!(
        a.function,
        Function::Clip {
            min: 0,
            max: (6 << frac(0)).min(127)
        }
    );
    let Layer::Activation(a) = &layers[3] else {
        unreachable!()
    };
    assert_eq!(frac(3), 6);
    assert_eq!(
        a.function,
        Function::Tanh {
            in_frac_bits: frac(2) as u32,
            out_frac_bits: 6
        }
    );
    let Layer::Activation(a) = &layers[5] else {
        unreachable!()
    };
    assert_eq!(a.function.name(), "Silu");
    assert_eq!(
        outcome(&imported, "mul"),
        NodeOutcome::FoldedInto { layer: 5 }
    );
    assert_eq!(outcome(&imported, "sig"), NodeOutcome::Layer { layer: 5 });
}

/// Activations of a flat tensor (between two Gemms) and of the model's input.
#[test]
fn activations_of_flat_tensors_and_of_the_input() {
    let mut n = Net::new(&[1, 8], 23);
    let w = n.random("fc1.w", &[6, 8], -0.5, 0.5);
    let b = n.random("fc1.b", &[6], -0.2, 0.2);
    let g = n.add(with_int(
        node("fc1", "Gemm", &["x", &w, &b], "h"),
        "transB",
        1,
    ));
    let t = n.add(node("tanh", "Tanh", &[&g], "t"));
    let w = n.random("fc2.w", &[3, 6], -0.5, 0.5);
    let b = n.random("fc2.b", &[3], -0.2, 0.2);
    n.add(with_int(
        node("fc2", "Gemm", &[&t, &w, &b], "y"),
        "transB",
        1,
    ));
    let imported = check("flat-tanh", &n);
    assert_eq!(functions(&imported.model), ["Tanh"]);

    let mut n = Net::new(&[1, 2, 4, 4], 24);
    let s = n.add(node("hswish", "HardSwish", &["x"], "s"));
    let c = n.conv("conv", &s, 2, 4, 3, 1);
    let l = n.add(with_float(
        node("leaky", "LeakyRelu", &[&c], "l"),
        "alpha",
        0.2,
    ));
    n.head(&l, 64, 3);
    let imported = check("input-hardswish", &n);
    assert_eq!(functions(&imported.model), ["HardSwish", "LeakyRelu"]);
}

/// GELU as the legacy exporter writes it, `Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5)`, is one
/// `Gelu` layer (the Div's; the other four nodes folded into it), commutative operands in
/// either order; with a constant that is not the GELU's, the Erf is refused as an operator.
#[test]
fn the_legacy_erf_gelu_is_one_gelu_layer() {
    for swapped in [false, true] {
        let mut n = Net::new(&[1, 2, 4, 4], 29);
        let c = n.conv("conv", "x", 2, 4, 3, 1);
        let r2 = scalar(&mut n, "sqrt2", std::f32::consts::SQRT_2);
        let one = scalar(&mut n, "one", 1.0);
        let half = scalar(&mut n, "half", 0.5);
        let d = n.add(node("div", "Div", &[&c, &r2], "d"));
        let e = n.add(node("erf", "Erf", &[&d], "e"));
        let h = if swapped {
            let a = n.add(node("add", "Add", &[&one, &e], "a"));
            let m = n.add(node("mul", "Mul", &[&a, &c], "m"));
            n.add(node("half", "Mul", &[&half, &m], "g"))
        } else {
            let a = n.add(node("add", "Add", &[&e, &one], "a"));
            let m = n.add(node("mul", "Mul", &[&c, &a], "m"));
            n.add(node("half", "Mul", &[&m, &half], "g"))
        };
        n.head(&h, 64, 3);
        let imported = check("erf-gelu", &n);
        assert_eq!(functions(&imported.model), ["Gelu"]);
        assert_eq!(outcome(&imported, "div"), NodeOutcome::Layer { layer: 1 });
        for name in ["erf", "add", "mul", "half"] {
            assert_eq!(
                outcome(&imported, name),
                NodeOutcome::FoldedInto { layer: 1 }
            );
        }
    }
    // Div by 2 instead of √2: not a GELU; the Erf is refused.
    let mut n = Net::new(&[1, 2, 4, 4], 30);
    let c = n.conv("conv", "x", 2, 4, 3, 1);
    let two = scalar(&mut n, "two", 2.0);
    let d = n.add(node("div", "Div", &[&c, &two], "d"));
    n.add(node("erf", "Erf", &[&d], "e"));
    let err = refused(&n, "erf");
    assert!(matches!(err, OnnxError::UnsupportedOp { .. }), "{err:?}");
}

/// What the import refuses, naming the node: a Mul of a tensor and another tensor's Sigmoid,
/// a Sigmoid of a flatten's output (the lookup reads no derived tensor), Clip bounds the
/// wrong way round.
#[test]
fn activations_the_import_refuses() {
    let mut n = Net::new(&[1, 2, 4, 4], 25);
    let c = n.conv("conv", "x", 2, 4, 3, 1);
    let s = n.add(node("sig", "Sigmoid", &[&c], "s"));
    n.add(node("mul", "Mul", &["x", &s], "y"));
    let err = refused(&n, "mul");
    assert!(matches!(err, OnnxError::Unsupported { .. }), "{err:?}");

    let mut n = Net::new(&[1, 2, 4, 4], 26);
    let c = n.conv("conv", "x", 2, 4, 3, 1);
    let f = n.add(node("flatten", "Flatten", &[&c], "f"));
    n.add(node("sig", "Sigmoid", &[&f], "y"));
    let err = refused(&n, "sig");
    assert!(matches!(err, OnnxError::Unprovable { .. }), "{err:?}");

    let mut n = Net::new(&[1, 2, 4, 4], 27);
    let lo = scalar(&mut n, "lo", 1.0);
    let hi = scalar(&mut n, "hi", 0.0);
    n.add(node("clip", "Clip", &["x", &lo, &hi], "y"));
    let err = refused(&n, "clip");
    assert!(matches!(err, OnnxError::Unsupported { .. }), "{err:?}");

    let mut n = Net::new(&[1, 2, 4, 4], 28);
    n.add(with_string(
        node("gelu", "Gelu", &["x"], "y"),
        "approximate",
        "erf",
    ));
    let err = refused(&n, "gelu");
    assert!(
        matches!(err, OnnxError::UnsupportedAttribute { .. }),
        "{err:?}"
    );
}

// ---- adaptive average pools that upsample --------------------------------------------------

/// torch's window `[start, end)` of output `i` of an adaptive pool from `n` to `o`.
fn window(i: usize, n: usize, o: usize) -> (usize, usize) {
    (i * n / o, ((i + 1) * n).div_ceil(o))
}

/// The nodes torch's dynamo exporter writes for `AdaptiveAvgPool2d(o)` on an `n × n` map
/// (torch's decomposition of `_adaptive_avg_pool2d`): Transpose, GatherND, Transpose, then a
/// ReduceMean when every window has one length, else masking Wheres, Gathers, Adds and a Div
/// by the window areas; then torch's flatten (`Reshape` to `[1, c·o·o]`).
fn adaptive_pool(net: &mut Net, x: &str, c: usize, n: usize, o: usize) -> String {
    let starts: Vec<usize> = (0..o).map(|i| window(i, n, o).0).collect();
    let lengths: Vec<usize> = (0..o)
        .map(|i| window(i, n, o).1 - window(i, n, o).0)
        .collect();
    let longest = *lengths.iter().max().unwrap();
    let adaptive = lengths.iter().any(|&l| l != longest);
    let idx = |i: usize, p: usize| (starts[i] + p).min(n - 1) as i64;
    let mut indices = Vec::new();
    for a in 0..o {
        for p in 0..longest {
            for b in 0..o {
                for q in 0..longest {
                    indices.extend([idx(a, p), idx(b, q)]);
                }
            }
        }
    }
    let l = longest as i64;
    let oi = o as i64;
    let ind = net.init(ints("pool.indices", &[oi, l, oi, l, 2], &indices));
    let t = net.add(with_ints(
        node("pool.t", "Transpose", &[x], "pool.t"),
        "perm",
        &[2, 3, 0, 1],
    ));
    let g = net.add(node("pool.gather", "GatherND", &[&t, &ind], "pool.g"));
    let index = net.add(with_ints(
        node("pool.index", "Transpose", &[&g], "pool.index"),
        "perm",
        &[4, 5, 0, 1, 2, 3],
    ));
    let pooled = if !adaptive {
        let axes = net.init(ints("pool.axes", &[2], &[-3, -1]));
        net.add(with_int(
            node("pool.mean", "ReduceMean", &[&index, &axes], "pool.out"),
            "keepdims",
            0,
        ))
    } else {
        let mask: Vec<i32> = (0..o)
            .flat_map(|i| (0..longest).map(move |p| (i, p)))
            .map(|(i, p)| i32::from(p >= lengths[i]))
            .collect();
        let bools = |name: &str, dims: &[i64]| TensorProto {
            name: Some(name.into()),
            dims: dims.to_vec(),
            data_type: Some(data_type::BOOL),
            int32_data: mask.clone(),
            ..TensorProto::default()
        };
        let mh = net.init(bools("pool.mask_h", &[oi, l, 1, 1]));
        let mw = net.init(bools("pool.mask_w", &[oi, l]));
        let zero = net.init(floats("pool.zero", &[], vec![0.0]));
        let m1 = net.add(node(
            "pool.where_h",
            "Where",
            &[&mh, &zero, &index],
            "pool.m1",
        ));
        let m2 = net.add(node("pool.where_w", "Where", &[&mw, &zero, &m1], "pool.m2"));
        let mut sum: Option<String> = None;
        for p in 0..longest {
            net.init(ints(&format!("pool.i{p}"), &[], &[p as i64]));
        }
        for p in 0..longest {
            let row = net.add(with_int(
                node(
                    &format!("pool.row{p}"),
                    "Gather",
                    &[&m2, &format!("pool.i{p}")],
                    &format!("pool.row{p}"),
                ),
                "axis",
                3,
            ));
            for q in 0..longest {
                let name = format!("pool.term{p}{q}");
                let term = net.add(with_int(
                    node(&name, "Gather", &[&row, &format!("pool.i{q}")], &name),
                    "axis",
                    4,
                ));
                sum = Some(match sum {
                    None => term,
                    Some(s) => {
                        let name = format!("pool.sum{p}{q}");
                        net.add(node(&name, "Add", &[&s, &term], &name))
                    }
                });
            }
        }
        let areas: Vec<f32> = (0..o)
            .flat_map(|a| (0..o).map(move |b| (a, b)))
            .map(|(a, b)| (lengths[a] * lengths[b]) as f32)
            .collect();
        let areas = net.init(floats("pool.areas", &[oi, oi], areas));
        net.add(node(
            "pool.div",
            "Div",
            &[&sum.unwrap(), &areas],
            "pool.out",
        ))
    };
    let target = net.init(ints("pool.flat", &[2], &[1, (c * o * o) as i64]));
    net.add(with_int(
        node("pool.view", "Reshape", &[&pooled, &target], "pool.view"),
        "allowzero",
        1,
    ))
}

/// AlexNet's and VGG's adaptive pools at 64×64 (1×1 → 6×6, 2×2 → 7×7), a 3×3 → 2×2 one
/// (overlapping windows) and a 4×4 → 2×2 one, as the dynamo exporter writes them, after a
/// Conv and Relu and before a Gemm: absorbed into the Gemm (a Flatten of the Relu's output and
/// a Dense of `C·n·n` inputs), the float graph matching the naive evaluation node by node,
/// imported, proven and verified.
#[test]
fn adaptive_pools_are_absorbed_into_the_next_gemm() {
    for (n, o, seed) in [(1, 6, 40), (2, 7, 41), (3, 2, 42), (4, 2, 43)] {
        let ni = n as i64;
        let mut net = Net::new(&[1, 3, ni, ni], seed);
        let c = net.conv("conv", "x", 3, 4, 1, 0);
        let r = net.relu("relu", &c);
        let v = adaptive_pool(&mut net, &r, 4, n, o);
        let k = (4 * o * o) as i64;
        let w = net.random("fc.w", &[5, k], -0.5, 0.5);
        let b = net.random("fc.b", &[5], -0.2, 0.2);
        net.add(with_int(
            node("fc", "Gemm", &[&v, &w, &b], "logits"),
            "transB",
            1,
        ));
        let imported = check(&format!("adaptive-pool-{n}-to-{o}"), &net);
        assert_eq!(
            kinds(&imported.model),
            ["Conv2d", "Relu", "Flatten", "Dense"]
        );
        let Layer::Dense(d) = &imported.model.layers[3] else {
            unreachable!()
        };
        assert_eq!((d.in_features, d.out_features), (4 * n * n, 5));
        for (name, outcome) in outcomes(&imported) {
            if name.starts_with("pool.") {
                assert_eq!(outcome, NodeOutcome::LinearMap, "{name}");
            }
        }
    }
}

/// A pool that is not linear (its mask filled with 1) and a pooled map read by a Relu are
/// refused, naming the node.
#[test]
fn adaptive_pool_near_misses_are_refused() {
    let mut net = Net::new(&[1, 3, 2, 2], 44);
    let c = net.conv("conv", "x", 3, 4, 1, 0);
    let v = adaptive_pool(&mut net, &c, 4, 2, 7);
    net.add(node("relu", "Relu", &[&v], "y"));
    let err = refused(&net, "relu");
    assert!(err.to_string().contains("fixed linear map"), "{err}");
    assert!(err.to_string().contains("pool.t (Transpose"), "{err}");

    let mut net = Net::new(&[1, 3, 2, 2], 45);
    let c = net.conv("conv", "x", 3, 4, 1, 0);
    let v = adaptive_pool(&mut net, &c, 4, 2, 7);
    let one = net.init(floats("one", &[], vec![1.0]));
    let bad = net.add(node("fill", "Where", &["pool.mask_w", &one, &v], "filled"));
    net.head(&bad, 196, 3);
    let err = refused(&net, "fill");
    assert!(
        matches!(&err, OnnxError::Unsupported { node, .. } if node.output == "filled"),
        "{err:?}"
    );
}

// ---- PRelu with a slope per channel --------------------------------------------------------

/// `PRelu` named `prelu` of `x` with the slopes `slopes` in an initializer of shape `dims`.
fn prelu(n: &mut Net, x: &str, dims: &[i64], slopes: &[f32]) -> String {
    let a = n.init(floats("slope", dims, slopes.to_vec()));
    n.add(node("prelu", "PRelu", &[x, &a], "act"))
}

/// Slopes per channel, one negative and one above 1.
const SLOPES: [f32; 4] = [0.25, -0.5, 1.5, 0.1];

/// `Conv(2 → 4) → PRelu (SLOPES) → Conv(4 → 4) → GlobalAveragePool → Flatten → Gemm(4 → 3)`
/// on a `[1, 2, 4, 4]` input, the slope of shape `dims`.
fn prelu_net(dims: &[i64], seed: u64) -> Net {
    let mut n = Net::new(&[1, 2, 4, 4], seed);
    let c = n.conv("conv", "x", 2, 4, 3, 1);
    let p = prelu(&mut n, &c, dims, &SLOPES);
    let c2 = n.conv("conv2", &p, 4, 4, 3, 1);
    let g = n.add(node("gap", "GlobalAveragePool", &[&c2], "g"));
    n.head(&g, 4, 3);
    n
}

/// The quantized slope weights of layer `l` (a depthwise 1×1 convolution) in real units.
fn real_weights(imported: &Imported, l: usize) -> Vec<f64> {
    let Layer::Conv2d(c) = &imported.model.layers[l] else {
        panic!("layer {l} is not a convolution");
    };
    let fw = imported.report.layers[l].weight_frac_bits.unwrap();
    c.weights
        .iter()
        .map(|&w| w as f64 / 2f64.powi(fw))
        .collect()
}

/// PRelu with a slope per channel (one negative, one above 1), after a convolution, on the
/// graph's input, and where its input is also read by a residual Add: the float graph computes
/// the ONNX PRelu (the naive evaluator), the node is five layers (`relu(x) − a·relu(−x)`:
/// depthwise 1×1 convolutions of weights −1 and `−a`, two ReLUs, an Add), the quantized
/// weights are −1 and the slopes to within half a step, and the model proves and verifies
/// (transparent, and zero knowledge against its checked hiding commitment).
#[test]
fn prelu_with_a_slope_per_channel_imports_proves_and_verifies() {
    for (name, dims) in [("prelu-c11", &[4, 1, 1][..]), ("prelu-1c11", &[1, 4, 1, 1])] {
        let n = prelu_net(dims, 31);
        let imported = check(name, &n);
        assert_eq!(
            kinds(&imported.model),
            [
                "Conv2d",
                "Conv2d",
                "Relu",
                "Conv2d",
                "Relu",
                "Add",
                "Conv2d",
                "AvgPool2d",
                "Flatten",
                "Dense"
            ],
            "{name}"
        );
        assert_eq!(outcome(&imported, "prelu"), NodeOutcome::Layer { layer: 5 });
        let layers = &imported.model.layers;
        assert!(depthwise_1x1(&layers[1], 4) && depthwise_1x1(&layers[3], 4));
        let fw = |l: usize| imported.report.layers[l].weight_frac_bits.unwrap();
        assert_eq!(real_weights(&imported, 1), [-1.0; 4]);
        let step = 2f64.powi(-fw(3));
        for (w, a) in real_weights(&imported, 3).iter().zip(SLOPES) {
            assert!((w + a as f64).abs() <= step / 2.0, "{name}: {w} vs −{a}");
        }
        // −x and relu(x) read the first convolution's output, the Add relu(x) and
        // −a·relu(−x) (tensor l + 1: layer l's output).
        assert_eq!(layers[1].inputs(1), [1]);
        assert_eq!(layers[4].inputs(4), [1]);
        assert_eq!(layers[5].inputs(5), [5, 4]);
    }

    // On the graph's input (its ReLU is not a requantization's: proven as a ReLU of its own).
    let mut n = Net::new(&[1, 2, 4, 4], 32);
    let p = prelu(&mut n, "x", &[1, 2, 1, 1], &[-0.3, 1.25]);
    let c = n.conv("conv", &p, 2, 4, 3, 1);
    n.head(&c, 64, 3);
    let imported = check("prelu-input", &n);
    assert_eq!(
        kinds(&imported.model),
        ["Conv2d", "Relu", "Conv2d", "Relu", "Add", "Conv2d", "Flatten", "Dense"]
    );

    // Its input also read by a residual Add: `conv + prelu(conv)`.
    let mut n = Net::new(&[1, 2, 4, 4], 33);
    let c = n.conv("conv", "x", 2, 4, 3, 1);
    let p = prelu(&mut n, &c, &[4, 1, 1], &SLOPES);
    let r = n.add(node("residual", "Add", &[&c, &p], "r"));
    n.head(&r, 64, 3);
    let imported = check("prelu-residual", &n);
    assert_eq!(
        kinds(&imported.model),
        ["Conv2d", "Conv2d", "Relu", "Conv2d", "Relu", "Add", "Add", "Flatten", "Dense"]
    );

    // Zero knowledge, against the hiding commitment its check verified. (Not on `prelu_net`:
    // its global average pool's 4 outputs are read by more functionals than their mask hides,
    // `NetworkError::AdviceReads`, whatever comes before the pool.)
    let mut n = Net::new(&[1, 2, 4, 4], 34);
    let c = n.conv("conv", "x", 2, 4, 3, 1);
    let p = prelu(&mut n, &c, &[4, 1, 1], &SLOPES);
    let c2 = n.conv("conv2", &p, 4, 4, 3, 1);
    n.head(&c2, 64, 3);
    let options = ImportOptions {
        calibration: n.inputs(),
        ..ImportOptions::default()
    };
    let model = onnx::import(&n.bytes(), &options).unwrap().model;
    let q = model.quantization.as_ref().unwrap();
    let x = q.quantize_input(&n.inputs()[1], model.activation_bits);
    let input =
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&model.input_shape), x.clone()).unwrap();
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let mut rng = StdRng::seed_from_u64(34);
    let mut committed = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
    let check = network::prove_model_check_zk::<F, E, _>(&model, &mut committed, &mut rng).unwrap();
    let arch = model.architecture();
    let checked = network::verify_model_check_zk(&arch, &committed.commitment, &check).unwrap();
    let (y, proof) =
        network::prove_zk::<F, E, _>(&model, &mut committed, &input, &mut rng).unwrap();
    let y: Vec<i64> = y.iter().copied().collect();
    let want: Vec<i64> = zkcnn::model::infer_output(&model, &input)
        .unwrap()
        .iter()
        .copied()
        .collect();
    assert_eq!(y, want);
    network::verify_zk(&arch, &checked, &x, &y, &proof).unwrap();
    let mut other = y.clone();
    other[0] += 1;
    assert!(network::verify_zk(&arch, &checked, &x, &other, &proof).is_err());
}

/// Quantized top-1 agreement with the float model of [`prelu_net`] on 512 held-out inputs
/// (calibrated on 64).
#[test]
fn prelu_with_a_slope_per_channel_keeps_the_float_top1() {
    let n = prelu_net(&[4, 1, 1], 31);
    let size = 2 * 4 * 4;
    let mut rng = Rng(35);
    let calibration: Vec<Vec<f32>> = (0..64).map(|_| rng.vec(size, -1.0, 1.0)).collect();
    let evaluation: Vec<Vec<f32>> = (0..512).map(|_| rng.vec(size, -1.0, 1.0)).collect();
    let model = n.model();
    let naive = Eval { model: &model };
    let labels: Vec<usize> = evaluation
        .iter()
        .map(|x| {
            let y = naive.run(x);
            (0..y.len()).fold(0, |b, i| if y[i] > y[b] { i } else { b })
        })
        .collect();
    let options = ImportOptions {
        calibration,
        evaluation: Some((evaluation, labels)),
        saturate: true,
        ..ImportOptions::default()
    };
    let a = onnx::import(&n.bytes(), &options).unwrap().report.agreement;
    println!("prelu agreement: {a:?}");
    assert_eq!(a.float_accuracy, Some(1.0));
    assert!(a.top1_match_rate >= 0.95, "{a:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// PRelu of the graph's input with random slopes per channel (any sign, beyond 1), on
    /// random shapes and values: the imported float graph (the lowering, or one LeakyRelu when
    /// the slopes happen to be equal) is the ONNX PRelu of the naive evaluator.
    #[test]
    fn prelu_lowering_computes_prelu(
        c in 2usize..=5,
        hw in 1usize..=4,
        slopes in proptest::collection::vec(-2.0f32..2.0, 5),
        seed in proptest::prelude::any::<u64>(),
    ) {
        let mut n = Net::new(&[1, c as i64, hw as i64, hw as i64], seed);
        prelu(&mut n, "x", &[c as i64, 1, 1], &slopes[..c]);
        let model = n.model();
        let naive = Eval { model: &model };
        let x = Rng(seed).vec(c * hw * hw, -2.0, 2.0);
        let ours = onnx::evaluate_float(&n.bytes(), &x).unwrap();
        let want = naive.run(&x);
        proptest::prop_assert_eq!(ours.len(), want.len());
        for (a, b) in ours.iter().zip(&want) {
            proptest::prop_assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{} vs {}", a, b);
        }
    }
}
