//! The model module: inference against a naive oracle (plain nested loops over `Vec`, written
//! independently of the library), proptest over random shapes and parameters, JSON round
//! trips, every validation error, overflow reports, the witness checker, and the zoo.

use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use zkcnn::model::zoo::{self, calibrate_shifts, random_input};
use zkcnn::model::{
    check_trace, infer, infer_output, round_shift, Add, AvgPool2d, BitsField, Conv2d, Dense,
    InferenceError, Layer, LayerKind, MaxPool2d, Model, ModelError, Trace, TraceTensor,
    WitnessError,
};

// ---------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------

/// A tensor as a shape and row-major data.
#[derive(Clone, Debug, PartialEq)]
struct T {
    shape: Vec<usize>,
    data: Vec<i64>,
}

/// `⌊(acc + 2^{s−1}) / 2^s⌋` in `i128` with Euclidean division.
fn oracle_round(acc: i64, s: u32) -> i64 {
    if s == 0 {
        return acc;
    }
    let d = 1i128 << s;
    (acc as i128 + d / 2).div_euclid(d) as i64
}

/// The tensor layer `i` reads (Add: its first operand), from its `input` field: the previous
/// layer's output when absent. `tensors[0]` is the model's input, `tensors[l + 1]` layer `l`'s
/// output.
fn oracle_input(layer: &Layer, i: usize) -> usize {
    let input = match layer {
        Layer::Conv2d(c) => c.input,
        Layer::Dense(d) => d.input,
        Layer::Relu { input } | Layer::Flatten { input } => *input,
        Layer::MaxPool2d(m) => m.input,
        Layer::AvgPool2d(a) => a.input,
        Layer::Add(a) => a.input,
        Layer::Mul(m) => m.input,
        Layer::Concat(c) => Some(c.inputs[0]),
        Layer::Activation(a) => a.input,
    };
    input.unwrap_or(i)
}

/// One layer's accumulator (requantizing layers) and output, by the definitions; `x` is the
/// tensor it reads ([`oracle_input`]) and `tensors` every tensor so far.
fn oracle_layer(layer: &Layer, x: &T, tensors: &[T]) -> (Option<Vec<i64>>, T) {
    match layer {
        Layer::Conv2d(c) => {
            let (ci, h, w) = (x.shape[0], x.shape[1], x.shape[2]);
            let [kh, kw] = c.kernel;
            let (s, p) = (c.stride as i64, c.padding as i64);
            let oh = ((h as i64 + 2 * p - kh as i64) / s + 1) as usize;
            let ow = ((w as i64 + 2 * p - kw as i64) / s + 1) as usize;
            // Output channel o reads the cg input channels of its group, g·cg … (g+1)·cg − 1.
            let (cg, og) = (ci / c.groups, c.out_channels / c.groups);
            let mut acc = Vec::new();
            for o in 0..c.out_channels {
                for y in 0..oh {
                    for xx in 0..ow {
                        let mut a = c.bias[o];
                        for i in (o / og) * cg..(o / og + 1) * cg {
                            for dy in 0..kh {
                                for dx in 0..kw {
                                    let iy = y as i64 * s + dy as i64 - p;
                                    let ix = xx as i64 * s + dx as i64 - p;
                                    if iy < 0 || ix < 0 || iy >= h as i64 || ix >= w as i64 {
                                        continue;
                                    }
                                    let j = i % cg;
                                    let wv = c.weights[((o * cg + j) * kh + dy) * kw + dx];
                                    let xv = x.data[(i * h + iy as usize) * w + ix as usize];
                                    a += wv * xv;
                                }
                            }
                        }
                        acc.push(a);
                    }
                }
            }
            let data = acc.iter().map(|&a| oracle_round(a, c.shift)).collect();
            let shape = vec![c.out_channels, oh, ow];
            (Some(acc), T { shape, data })
        }
        Layer::Dense(d) => {
            let acc: Vec<i64> = (0..d.out_features)
                .map(|o| {
                    let mut a = d.bias[o];
                    for i in 0..d.in_features {
                        a += d.weights[o * d.in_features + i] * x.data[i];
                    }
                    a
                })
                .collect();
            let data = acc.iter().map(|&a| oracle_round(a, d.shift)).collect();
            (
                Some(acc),
                T {
                    shape: vec![d.out_features],
                    data,
                },
            )
        }
        // Its oracle is in `activation.rs` (the tables against the float definitions).
        Layer::Activation(_) => unreachable!("no generated model has an activation"),
        Layer::Relu { .. } => {
            let data = x.data.iter().map(|&v| if v > 0 { v } else { 0 }).collect();
            (
                None,
                T {
                    shape: x.shape.clone(),
                    data,
                },
            )
        }
        Layer::MaxPool2d(m) => (None, oracle_max_pool(x, m)),
        Layer::AvgPool2d(AvgPool2d {
            size,
            stride,
            shift,
            ..
        }) => {
            let mut t = oracle_pool(x, *size, *stride, false);
            let acc = t.data.clone();
            t.data = acc.iter().map(|&a| oracle_round(a, *shift)).collect();
            (Some(acc), t)
        }
        Layer::Flatten { .. } => {
            let n = x.shape.iter().product();
            (
                None,
                T {
                    shape: vec![n],
                    data: x.data.clone(),
                },
            )
        }
        Layer::Concat(c) => {
            let (h, w) = (x.shape[1], x.shape[2]);
            let mut data = Vec::new();
            let mut channels = 0;
            for &t in &c.inputs {
                channels += tensors[t].shape[0];
                data.extend_from_slice(&tensors[t].data);
            }
            (
                None,
                T {
                    shape: vec![channels, h, w],
                    data,
                },
            )
        }
        Layer::Mul(zkcnn::model::Mul { from, shift, .. }) => {
            // `other` has `x`'s entries, or one per channel of a `[c, h, w]` `x`.
            let other = &tensors[*from + 1];
            let per = x.data.len() / other.data.len();
            let acc: Vec<i64> = (0..x.data.len())
                .map(|i| x.data[i] * other.data[i / per])
                .collect();
            let data = acc.iter().map(|&a| oracle_round(a, *shift)).collect();
            (
                Some(acc),
                T {
                    shape: x.shape.clone(),
                    data,
                },
            )
        }
        Layer::Add(Add { from, shift, .. }) => {
            let other = &tensors[*from + 1];
            let acc: Vec<i64> = (0..x.data.len())
                .map(|i| x.data[i] + other.data[i])
                .collect();
            let data = acc.iter().map(|&a| oracle_round(a, *shift)).collect();
            (
                Some(acc),
                T {
                    shape: x.shape.clone(),
                    data,
                },
            )
        }
    }
}

fn oracle_pool(x: &T, size: usize, stride: usize, max: bool) -> T {
    let (c, h, w) = (x.shape[0], x.shape[1], x.shape[2]);
    let (oh, ow) = ((h - size) / stride + 1, (w - size) / stride + 1);
    let mut data = Vec::new();
    for ch in 0..c {
        for y in 0..oh {
            for xx in 0..ow {
                let mut r: Option<i64> = None;
                for dy in 0..size {
                    for dx in 0..size {
                        let v = x.data[(ch * h + y * stride + dy) * w + xx * stride + dx];
                        r = Some(match r {
                            None => v,
                            Some(r) if max => r.max(v),
                            Some(r) => r + v,
                        });
                    }
                }
                data.push(r.unwrap());
            }
        }
    }
    T {
        shape: vec![c, oh, ow],
        data,
    }
}

/// Max-pooling by the definition: windows start at `o·s − p`; floor mode keeps those that end
/// inside the padded input, ceil mode those that start before the input's end and at most
/// `s − 1` past the last floor window's start; the max is over the positions inside the input
/// (every window must hold one).
fn oracle_max_pool(x: &T, m: &MaxPool2d) -> T {
    let (c, h, w) = (x.shape[0], x.shape[1], x.shape[2]);
    let (k, s, p) = (m.size as i64, m.stride as i64, m.padding as i64);
    let starts = |n: i64| -> Vec<i64> {
        (0..)
            .map(|o| o * s - p)
            .take_while(|&start| {
                if m.ceil_mode {
                    start < n && start - s < n + p - k
                } else {
                    start + k <= n + p
                }
            })
            .collect()
    };
    let (ys, xs) = (starts(h as i64), starts(w as i64));
    let mut data = Vec::new();
    for ch in 0..c {
        for &y0 in &ys {
            for &x0 in &xs {
                let mut r: Option<i64> = None;
                for iy in y0..y0 + k {
                    for ix in x0..x0 + k {
                        if iy < 0 || ix < 0 || iy >= h as i64 || ix >= w as i64 {
                            continue;
                        }
                        let v = x.data[(ch * h + iy as usize) * w + ix as usize];
                        r = Some(r.map_or(v, |r| r.max(v)));
                    }
                }
                data.push(r.expect("every window holds a real position"));
            }
        }
    }
    T {
        shape: vec![c, ys.len(), xs.len()],
        data,
    }
}

/// The oracle's outcome: every layer's (accumulator, output), or the first overflow.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok(Vec<(Option<Vec<i64>>, T)>),
    Overflow {
        layer: usize,
        position: Vec<usize>,
        value: i64,
    },
}

fn oracle(model: &Model, input: &T) -> Outcome {
    let m = (1i64 << (model.activation_bits - 1)) - 1;
    let mut layers: Vec<(Option<Vec<i64>>, T)> = Vec::new();
    for (i, layer) in model.layers.iter().enumerate() {
        let tensors: Vec<T> = std::iter::once(input.clone())
            .chain(layers.iter().map(|(_, t)| t.clone()))
            .collect();
        let x = &tensors[oracle_input(layer, i)];
        let (acc, out) = oracle_layer(layer, x, &tensors);
        if let Some(at) = out.data.iter().position(|v| v.abs() > m) {
            // Row-major multi-index, by repeated division from the last axis.
            let mut position = vec![0; out.shape.len()];
            let mut r = at;
            for k in (0..out.shape.len()).rev() {
                position[k] = r % out.shape[k];
                r /= out.shape[k];
            }
            return Outcome::Overflow {
                layer: i,
                position,
                value: out.data[at],
            };
        }
        layers.push((acc, out));
    }
    Outcome::Ok(layers)
}

fn to_t(a: &ArrayD<i64>) -> T {
    T {
        shape: a.shape().to_vec(),
        data: a.iter().copied().collect(),
    }
}

fn from_trace(trace: &Trace) -> Outcome {
    Outcome::Ok(
        trace
            .accumulators
            .iter()
            .zip(&trace.outputs)
            .map(|(a, o)| (a.as_ref().map(|a| a.iter().copied().collect()), to_t(o)))
            .collect(),
    )
}

/// Runs the library and the oracle and asserts that they agree (including on overflow), and
/// that the honest trace passes the witness checker.
fn assert_matches_oracle(model: &Model, input: &ArrayD<i64>) -> bool {
    model.validate().expect("test models are valid");
    let expected = oracle(model, &to_t(input));
    match infer(model, input) {
        Ok(trace) => {
            assert_eq!(from_trace(&trace), expected);
            check_trace(model, input, &trace).unwrap();
            // The output alone, keeping only live tensors, is the trace's.
            assert_eq!(Some(&infer_output(model, input).unwrap()), trace.output());
            true
        }
        Err(InferenceError::Overflow {
            layer,
            kind,
            position,
            value,
            max_abs,
        }) => {
            assert_eq!(
                expected,
                Outcome::Overflow {
                    layer,
                    position,
                    value
                }
            );
            assert_eq!(kind, model.layers[layer].kind());
            assert_eq!(max_abs, (1 << (model.activation_bits - 1)) - 1);
            false
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

fn vals(rng: &mut StdRng, n: usize, m: i64) -> Vec<i64> {
    (0..n).map(|_| rng.gen_range(-m..=m)).collect()
}

fn model(input_shape: &[usize], abits: u32, wbits: u32, layers: Vec<Layer>) -> Model {
    Model {
        name: "test".into(),
        input_shape: input_shape.to_vec(),
        activation_bits: abits,
        weight_bits: wbits,
        layers,
        quantization: None,
        saturate: false,
        bias_bits: 32,
    }
}

#[allow(clippy::too_many_arguments)]
fn conv(
    rng: &mut StdRng,
    wbits: u32,
    ci: usize,
    co: usize,
    kernel: [usize; 2],
    stride: usize,
    padding: usize,
    shift: u32,
) -> Layer {
    let wm = (1 << (wbits - 1)) - 1;
    Layer::Conv2d(Conv2d {
        input: None,
        in_channels: ci,
        out_channels: co,
        kernel,
        stride,
        padding,
        weights: vals(rng, co * ci * kernel[0] * kernel[1], wm),
        bias: vals(rng, co, 1000),
        shift,
        groups: 1,
    })
}

/// [`conv`] in `groups` channel groups (`groups` divides `ci` and `co`).
#[allow(clippy::too_many_arguments)]
fn grouped_conv(
    rng: &mut StdRng,
    wbits: u32,
    (ci, co, groups): (usize, usize, usize),
    kernel: [usize; 2],
    stride: usize,
    padding: usize,
    shift: u32,
) -> Layer {
    let wm = (1 << (wbits - 1)) - 1;
    Layer::Conv2d(Conv2d {
        input: None,
        in_channels: ci,
        out_channels: co,
        kernel,
        stride,
        padding,
        weights: vals(rng, co * (ci / groups) * kernel[0] * kernel[1], wm),
        bias: vals(rng, co, 1000),
        shift,
        groups,
    })
}

fn dense(rng: &mut StdRng, wbits: u32, i: usize, o: usize, shift: u32) -> Layer {
    let wm = (1 << (wbits - 1)) - 1;
    Layer::Dense(Dense {
        input: None,
        in_features: i,
        out_features: o,
        weights: vals(rng, i * o, wm),
        bias: vals(rng, o, 1000),
        shift,
    })
}

/// Checks the model against the oracle on a random input, optionally after calibrating the
/// shifts on that input (which guarantees the no-overflow path).
fn check_random(mut m: Model, seed: u64, calibrate: bool) -> bool {
    let input = random_input(&m.input_shape, m.activation_bits, seed);
    if calibrate {
        calibrate_shifts(&mut m, std::slice::from_ref(&input)).unwrap();
    }
    let ok = assert_matches_oracle(&m, &input);
    assert!(
        ok || !calibrate,
        "a calibrated model must not overflow on its sample"
    );
    ok
}

// ---------------------------------------------------------------------------------------------
// Fixed cases for every layer kind
// ---------------------------------------------------------------------------------------------

#[test]
fn a_convolution_over_several_im2col_blocks_matches_the_oracle() {
    // 4 channels of 32 × 32 kernel positions: 4096 values per output position, so an im2col
    // block (2^22 values) holds 1024 positions and the 41 × 41 output takes two, the last one
    // partial.
    let mut rng = StdRng::seed_from_u64(11);
    let m = model(
        &[4, 40, 40],
        8,
        8,
        vec![conv(&mut rng, 8, 4, 3, [32, 32], 1, 16, 0), Layer::RELU],
    );
    assert!(check_random(m, 3, true));
}

#[test]
fn round_shift_matches_the_definition() {
    for acc in -300i64..300 {
        for s in 0..12 {
            assert_eq!(
                round_shift(acc, s),
                oracle_round(acc, s),
                "acc {acc} shift {s}"
            );
        }
    }
    for acc in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX] {
        for s in [0, 1, 31, 62, 63] {
            assert_eq!(
                round_shift(acc, s),
                oracle_round(acc, s),
                "acc {acc} shift {s}"
            );
        }
        assert_eq!(round_shift(acc, 64), oracle_round(acc, 64));
        assert_eq!(round_shift(acc, 100), 0);
    }
}

#[test]
fn every_layer_kind_matches_the_oracle() {
    let mut rng = StdRng::seed_from_u64(7);
    let r = &mut rng;
    let layers = vec![
        conv(r, 6, 2, 3, [3, 2], 2, 1, 6), // 0: [3, 5, 6]
        Layer::RELU,                       // 1
        conv(r, 6, 3, 3, [3, 3], 1, 1, 7), // 2: [3, 5, 6]
        Layer::Add(Add {
            input: None,
            from: 1,
            shift: 1,
        }), // 3
        Layer::MaxPool2d(MaxPool2d::new(2, 1)), // 4: [3, 4, 5]
        Layer::AvgPool2d(AvgPool2d {
            divisor: 1,
            input: None,
            size: 2,
            stride: 2,
            shift: 2,
        }), // 5: [3, 2, 2]
        Layer::FLATTEN,                    // 6: [12]
        dense(r, 6, 12, 5, 6),             // 7
        Layer::RELU,                       // 8
        Layer::FLATTEN,                    // 9: 1-D unchanged
        dense(r, 6, 5, 4, 5),              // 10
    ];
    let m = model(&[2, 9, 11], 8, 6, layers);
    let shapes = m.validate().unwrap();
    assert_eq!(shapes[0], vec![3, 5, 6]);
    assert_eq!(shapes[5], vec![3, 2, 2]);
    assert_eq!(shapes[9], vec![5]);
    // Calibrated on one input, then one bit less of shift in the last layer: at the edge of
    // the range, so that some inputs overflow and some do not.
    let mut edge = m.clone();
    calibrate_shifts(&mut edge, &[random_input(&m.input_shape, 8, 1234)]).unwrap();
    let last = edge.layers.last_mut().unwrap();
    last.set_shift(last.shift().unwrap() - 1);
    let mut ok = 0;
    for seed in 0..30 {
        ok += check_random(edge.clone(), seed, false) as usize;
        assert!(check_random(m.clone(), seed, true));
    }
    assert!(0 < ok && ok < 30, "{ok} of 30 runs at the edge succeed");
}

#[test]
fn non_standard_layout_input() {
    let m = zoo::small_vgg(3);
    let x = random_input(&m.input_shape, 8, 99);
    // The same values, stored column-major.
    let mut t = ArrayD::zeros(IxDyn(&[16, 16, 3]));
    t.indexed_iter_mut()
        .for_each(|(ix, v)| *v = x[[ix[2], ix[1], ix[0]]]);
    let f = t.reversed_axes();
    assert!(!f.is_standard_layout());
    assert_eq!(f, x);
    let a = infer(&m, &x).unwrap();
    assert_eq!(infer(&m, &f).unwrap(), a);
    check_trace(&m, &f, &a).unwrap();
}

#[test]
fn sixteen_bit_models_match_the_oracle() {
    // 16-bit weights and activations: the i32 chunks of the dot products are 2 terms long.
    let mut rng = StdRng::seed_from_u64(11);
    let layers = vec![
        conv(&mut rng, 16, 3, 4, [3, 3], 1, 1, 0),
        Layer::RELU,
        Layer::FLATTEN,
        dense(&mut rng, 16, 4 * 6 * 6, 3, 0),
    ];
    let m = model(&[3, 6, 6], 16, 16, layers);
    for seed in 0..5 {
        assert!(check_random(m.clone(), seed, true));
    }
}

// ---------------------------------------------------------------------------------------------
// Proptest
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn conv_matches_oracle(
        seed: u64,
        ci in 1usize..4, co in 1usize..4,
        kh in 1usize..5, kw in 1usize..5,
        stride in 1usize..4, padding in 0usize..3,
        eh in 0usize..6, ew in 0usize..6,
        abits in prop::sample::select(vec![4u32, 8, 12]),
        wbits in 2u32..9,
        shift in 0u32..14,
        calibrate: bool,
    ) {
        let h = kh.saturating_sub(2 * padding).max(1) + eh;
        let w = kw.saturating_sub(2 * padding).max(1) + ew;
        let mut rng = StdRng::seed_from_u64(seed);
        let layers = vec![conv(&mut rng, wbits, ci, co, [kh, kw], stride, padding, shift), Layer::RELU];
        check_random(model(&[ci, h, w], abits, wbits, layers), seed ^ 1, calibrate);
    }

    #[test]
    fn grouped_conv_matches_oracle(
        seed: u64,
        groups in 1usize..5, cg in 1usize..4, og in 1usize..4,
        k in 1usize..4, stride in 1usize..3, padding in 0usize..2,
        eh in 0usize..5, ew in 0usize..5,
        calibrate: bool,
    ) {
        let (ci, co) = (groups * cg, groups * og);
        let (h, w) = (k + eh, k + ew);
        let mut rng = StdRng::seed_from_u64(seed);
        let layers = vec![
            grouped_conv(&mut rng, 8, (ci, co, groups), [k, k], stride, padding, 6),
            Layer::RELU,
            // Depthwise after it (padded so that its output is never empty).
            grouped_conv(&mut rng, 8, (co, co, co), [k, k], 1, k / 2, 4),
        ];
        check_random(model(&[ci, h, w], 8, 8, layers), seed ^ 1, calibrate);
    }

    #[test]
    fn pools_match_oracle(
        seed: u64,
        c in 1usize..4,
        size in 1usize..4, stride in 1usize..4,
        eh in 0usize..7, ew in 0usize..7,
        shift in 0u32..5,
        max: bool,
    ) {
        let layer = if max {
            Layer::MaxPool2d(MaxPool2d::new(size, stride))
        } else {
            Layer::AvgPool2d(AvgPool2d { divisor: 1, input: None, size, stride, shift })
        };
        check_random(model(&[c, size + eh, size + ew], 8, 8, vec![layer]), seed, false);
    }

    #[test]
    fn max_pools_with_padding_and_ceil_mode_match_oracle(
        seed: u64,
        c in 1usize..4,
        size in 1usize..5, stride in 1usize..4, pad in 0usize..4,
        h in 1usize..10, w in 1usize..10,
        ceil_mode: bool,
    ) {
        let padding = pad % size;
        let (h, w) = (h.max(size), w.max(size));
        let layer = Layer::MaxPool2d(MaxPool2d { input: None, size, stride, padding, ceil_mode });
        check_random(model(&[c, h, w], 8, 8, vec![layer]), seed, false);
    }

    #[test]
    fn dense_matches_oracle(
        seed: u64,
        i in 1usize..40, o in 1usize..12,
        wbits in 2u32..17, abits in 2u32..17,
        shift in 0u32..20,
        calibrate: bool,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let layers = vec![dense(&mut rng, wbits, i, o, shift), Layer::RELU, Layer::FLATTEN];
        check_random(model(&[i], abits, wbits, layers), seed ^ 2, calibrate);
    }

    #[test]
    fn residual_matches_oracle(
        seed: u64,
        c in 1usize..4, q in 0usize..2,
        h in 1usize..7, w in 1usize..7,
        from in 0usize..3,
        shift in 0u32..10,
        calibrate: bool,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let k = 2 * q + 1;
        let layers = vec![
            conv(&mut rng, 8, c, c, [k, k], 1, q, shift),
            Layer::RELU,
            conv(&mut rng, 8, c, c, [k, k], 1, q, shift),
            Layer::Add(Add { input: None, from, shift: shift % 3 }),
        ];
        check_random(model(&[c, h, w], 8, 8, layers), seed ^ 3, calibrate);
    }

    #[test]
    fn chains_match_oracle(
        seed: u64,
        ci in 1usize..3, co in 1usize..5,
        k in 1usize..4, stride in 1usize..3,
        pool in 1usize..3,
        h in 4usize..10, w in 4usize..10,
        out in 1usize..6,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let oh = (h + 2 - k) / stride + 1;
        let ow = (w + 2 - k) / stride + 1;
        let features = co * ((oh - pool) / pool + 1) * ((ow - pool) / pool + 1);
        let layers = vec![
            conv(&mut rng, 8, ci, co, [k, k], stride, 1, 0),
            Layer::RELU,
            Layer::MaxPool2d(MaxPool2d::new(pool, pool)),
            Layer::FLATTEN,
            dense(&mut rng, 8, features, out, 0),
        ];
        check_random(model(&[ci, h, w], 8, 8, layers), seed ^ 4, true);
    }
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

#[test]
fn json_round_trip() {
    let m = zoo::lenet5(5);
    let json = m.to_json();
    assert_eq!(Model::from_json(&json).unwrap(), m);
    let mut rng = StdRng::seed_from_u64(1);
    let every_kind = model(
        &[2, 4, 4],
        8,
        8,
        vec![
            conv(&mut rng, 8, 2, 2, [1, 1], 1, 0, 3),
            Layer::RELU,
            Layer::Add(Add {
                input: None,
                from: 0,
                shift: 1,
            }),
            Layer::MaxPool2d(MaxPool2d::new(2, 1)),
            Layer::AvgPool2d(AvgPool2d {
                divisor: 1,
                input: None,
                size: 2,
                stride: 1,
                shift: 2,
            }),
            Layer::FLATTEN,
            dense(&mut rng, 8, 8, 3, 4),
        ],
    );
    assert_eq!(Model::from_json(&every_kind.to_json()).unwrap(), every_kind);
    // `groups` is absent from the JSON when 1 (so older models and digests are unchanged),
    // present otherwise, and defaults to 1 when absent.
    assert!(!every_kind.to_json().contains("groups"));
    let grouped = model(
        &[4, 3, 3],
        8,
        8,
        vec![grouped_conv(&mut rng, 8, (4, 4, 4), [3, 3], 1, 1, 3)],
    );
    let json = grouped.to_json();
    assert!(json.contains("\"groups\": 4"), "{json}");
    assert_eq!(Model::from_json(&json).unwrap(), grouped);
}

#[test]
fn architecture_json_drops_parameters_only() {
    let (a, b) = (zoo::lenet5(1), zoo::lenet5(2));
    let arch = a.architecture_json();
    assert!(!arch.contains('\n'));
    let parsed: Model = serde_json::from_str(&arch).unwrap();
    for layer in &parsed.layers {
        if let Layer::Conv2d(Conv2d { weights, bias, .. })
        | Layer::Dense(Dense { weights, bias, .. }) = layer
        {
            assert!(weights.is_empty() && bias.is_empty());
        }
    }
    assert_eq!(parsed.layers.len(), a.layers.len());
    assert_eq!(arch, parsed.architecture_json());
    // Different weights, same architecture iff the shifts agree.
    let same_shifts = a
        .layers
        .iter()
        .zip(&b.layers)
        .all(|(x, y)| x.shift() == y.shift());
    assert_eq!(arch == b.architecture_json(), same_shifts);
    let mut c = a.clone();
    let s0 = c.layers[0].shift().unwrap();
    c.layers[0].set_shift(s0 + 1);
    assert_ne!(c.architecture_json(), arch);
}

#[test]
fn json_errors_carry_position() {
    let err = Model::from_json("{\n  \"name\": \"x\",\n  \"input_shape\": [1,\n").unwrap_err();
    let ModelError::Json {
        message,
        line,
        column,
    } = err
    else {
        panic!("expected a JSON error, got {err:?}");
    };
    assert_eq!(line, 4);
    assert!(column <= 1, "column {column}");
    assert!(message.contains("line 4"), "{message}");
}

#[test]
fn json_rejects_unknown_fields_and_types() {
    let base = model(&[4], 8, 8, vec![Layer::RELU]);
    let json = serde_json::to_string(&base).unwrap();
    assert!(Model::from_json(&json).is_ok());
    let leaky = json.replace(
        "{\"type\":\"Relu\"}",
        "{\"type\":\"Relu\",\"negative_slope\":1}",
    );
    assert_ne!(leaky, json);
    let err = Model::from_json(&leaky).unwrap_err();
    assert!(
        matches!(&err, ModelError::Json { message, .. } if message.contains("negative_slope")),
        "{err}"
    );
    let extra_top = json.replacen("{", "{\"dilation\":2,", 1);
    assert!(matches!(
        Model::from_json(&extra_top),
        Err(ModelError::Json { .. })
    ));
    let mut rng = StdRng::seed_from_u64(0);
    let conv_model = model(
        &[1, 3, 3],
        8,
        8,
        vec![conv(&mut rng, 8, 1, 1, [3, 3], 1, 0, 0)],
    );
    let json = serde_json::to_string(&conv_model).unwrap();
    assert!(Model::from_json(&json).is_ok());
    let extra = json.replace("\"stride\":1", "\"stride\":1,\"dilation\":2");
    let err = Model::from_json(&extra).unwrap_err();
    assert!(
        matches!(&err, ModelError::Json { message, .. } if message.contains("dilation")),
        "{err}"
    );
    let bad_type = json.replace("Conv2d", "Conv3d");
    assert!(matches!(
        Model::from_json(&bad_type),
        Err(ModelError::Json { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Validation errors
// ---------------------------------------------------------------------------------------------

/// A valid model: conv 2→3 (3×3, pad 1) on [2, 4, 4], relu, maxpool 2, flatten, dense 12→2.
fn base() -> Model {
    let mut rng = StdRng::seed_from_u64(3);
    model(
        &[2, 4, 4],
        8,
        8,
        vec![
            conv(&mut rng, 8, 2, 3, [3, 3], 1, 1, 8),
            Layer::RELU,
            Layer::MaxPool2d(MaxPool2d::new(2, 2)),
            Layer::FLATTEN,
            dense(&mut rng, 8, 12, 2, 8),
        ],
    )
}

fn err_of(f: impl FnOnce(&mut Model)) -> ModelError {
    let mut m = base();
    f(&mut m);
    m.validate().unwrap_err()
}

fn conv_of(m: &mut Model) -> &mut Conv2d {
    match &mut m.layers[0] {
        Layer::Conv2d(c) => c,
        _ => unreachable!(),
    }
}

/// `bias_bits = 12`, every bias clamped into `[−2048, 2047]`.
fn twelve_bit_biases(m: &mut Model) {
    m.bias_bits = 12;
    for l in &mut m.layers {
        if let Layer::Conv2d(Conv2d { bias, .. }) | Layer::Dense(Dense { bias, .. }) = l {
            for b in bias {
                *b = (*b).clamp(-2048, 2047);
            }
        }
    }
}

fn dense_of(m: &mut Model) -> &mut Dense {
    match &mut m.layers[4] {
        Layer::Dense(d) => d,
        _ => unreachable!(),
    }
}

#[test]
fn base_model_is_valid() {
    assert_eq!(
        base().validate().unwrap(),
        vec![
            vec![3, 4, 4],
            vec![3, 4, 4],
            vec![3, 2, 2],
            vec![12],
            vec![2]
        ]
    );
}

#[test]
fn validation_errors() {
    use LayerKind as K;
    assert_eq!(
        err_of(|m| m.activation_bits = 17),
        ModelError::BitsOutOfRange {
            field: BitsField::Activation,
            bits: 17
        }
    );
    assert_eq!(
        err_of(|m| m.weight_bits = 1),
        ModelError::BitsOutOfRange {
            field: BitsField::Weight,
            bits: 1
        }
    );
    assert_eq!(err_of(|m| m.layers.clear()), ModelError::NoLayers);
    for shape in [
        vec![],
        vec![2, 4],
        vec![2, 0, 4],
        vec![1, 2, 3, 4],
        vec![usize::MAX, 2, 2],
    ] {
        assert_eq!(
            err_of(|m| m.input_shape = shape.clone()),
            ModelError::BadInputShape { shape }
        );
    }
    assert_eq!(
        err_of(|m| m.input_shape = vec![32]),
        ModelError::InputRank {
            layer: 0,
            kind: K::Conv2d,
            expected: 3,
            shape: vec![32]
        }
    );
    assert_eq!(
        err_of(|m| {
            m.layers.remove(3);
        }),
        ModelError::InputRank {
            layer: 3,
            kind: K::Dense,
            expected: 1,
            shape: vec![3, 2, 2]
        }
    );
    assert_eq!(
        err_of(|m| m.layers.insert(4, Layer::MaxPool2d(MaxPool2d::new(1, 1)))),
        ModelError::InputRank {
            layer: 4,
            kind: K::MaxPool2d,
            expected: 3,
            shape: vec![12]
        }
    );
    assert_eq!(
        err_of(|m| conv_of(m).stride = 0),
        ModelError::ZeroParameter {
            layer: 0,
            kind: K::Conv2d,
            param: "stride"
        }
    );
    assert_eq!(
        err_of(|m| conv_of(m).kernel = [3, 0]),
        ModelError::ZeroParameter {
            layer: 0,
            kind: K::Conv2d,
            param: "kernel width"
        }
    );
    assert_eq!(
        err_of(|m| m.layers[2] = Layer::MaxPool2d(MaxPool2d::new(0, 1))),
        ModelError::ZeroParameter {
            layer: 2,
            kind: K::MaxPool2d,
            param: "size"
        }
    );
    assert_eq!(
        err_of(|m| m.layers[2] = Layer::AvgPool2d(AvgPool2d {
            divisor: 1,
            input: None,
            size: 2,
            stride: 0,
            shift: 0
        })),
        ModelError::ZeroParameter {
            layer: 2,
            kind: K::AvgPool2d,
            param: "stride"
        }
    );
    assert_eq!(
        err_of(|m| dense_of(m).out_features = 0),
        ModelError::ZeroParameter {
            layer: 4,
            kind: K::Dense,
            param: "out_features"
        }
    );
    assert_eq!(
        err_of(|m| conv_of(m).in_channels = 3),
        ModelError::ChannelMismatch {
            layer: 0,
            kind: K::Conv2d,
            declared: 3,
            incoming: 2
        }
    );
    assert_eq!(
        err_of(|m| conv_of(m).groups = 0),
        ModelError::ZeroParameter {
            layer: 0,
            kind: K::Conv2d,
            param: "groups"
        }
    );
    // 2 groups divide the 2 input channels but not the 3 output channels.
    for groups in [2, 3] {
        assert_eq!(
            err_of(|m| conv_of(m).groups = groups),
            ModelError::Groups {
                layer: 0,
                kind: K::Conv2d,
                groups,
                in_channels: 2,
                out_channels: 3
            }
        );
    }
    // Grouped weights are [out][in / groups][kh][kw]: 2 groups of 2 → 4 channels need 4·1·9.
    assert_eq!(
        err_of(|m| {
            let c = conv_of(m);
            c.out_channels = 4;
            c.groups = 2;
            c.bias.push(0);
            c.weights.extend(std::iter::repeat_n(0, 9));
        }),
        ModelError::WeightsLength {
            layer: 0,
            kind: K::Conv2d,
            expected: 36,
            got: 63
        }
    );
    assert_eq!(
        err_of(|m| dense_of(m).in_features = 13),
        ModelError::FeatureMismatch {
            layer: 4,
            kind: K::Dense,
            declared: 13,
            incoming: 12
        }
    );
    assert_eq!(
        err_of(|m| {
            conv_of(m).weights.pop();
        }),
        ModelError::WeightsLength {
            layer: 0,
            kind: K::Conv2d,
            expected: 54,
            got: 53
        }
    );
    assert_eq!(
        err_of(|m| dense_of(m).weights.push(0)),
        ModelError::WeightsLength {
            layer: 4,
            kind: K::Dense,
            expected: 24,
            got: 25
        }
    );
    assert_eq!(
        err_of(|m| dense_of(m).bias.clear()),
        ModelError::BiasLength {
            layer: 4,
            kind: K::Dense,
            expected: 2,
            got: 0
        }
    );
    assert_eq!(
        err_of(|m| conv_of(m).weights[17] = -129),
        ModelError::WeightOutOfRange {
            layer: 0,
            kind: K::Conv2d,
            index: 17,
            value: -129,
            min: -128,
            max: 127
        }
    );
    assert_eq!(
        err_of(|m| conv_of(m).weights[17] = 128),
        ModelError::WeightOutOfRange {
            layer: 0,
            kind: K::Conv2d,
            index: 17,
            value: 128,
            min: -128,
            max: 127
        }
    );
    // Weights are two's complement: −128 is an int8 weight.
    let mut ok = base();
    conv_of(&mut ok).weights[17] = -128;
    ok.validate().unwrap();
    assert_eq!(
        err_of(|m| {
            m.weight_bits = 4;
            for w in &mut conv_of(m).weights {
                *w = (*w).clamp(-7, 7);
            }
            for w in &mut dense_of(m).weights {
                *w = (*w).clamp(-7, 7);
            }
            dense_of(m).weights[5] = 8;
        }),
        ModelError::WeightOutOfRange {
            layer: 4,
            kind: K::Dense,
            index: 5,
            value: 8,
            min: -8,
            max: 7
        }
    );
    assert_eq!(
        err_of(|m| dense_of(m).bias[1] = 1 << 31),
        ModelError::BiasOutOfRange {
            layer: 4,
            kind: K::Dense,
            index: 1,
            value: 1 << 31,
            min: -(1 << 31),
            max: (1 << 31) - 1
        }
    );
    // Biases are int32: −2^31 is in range, one below is not.
    assert_eq!(
        err_of(|m| dense_of(m).bias[1] = -(1 << 31) - 1),
        ModelError::BiasOutOfRange {
            layer: 4,
            kind: K::Dense,
            index: 1,
            value: -(1 << 31) - 1,
            min: -(1 << 31),
            max: (1 << 31) - 1
        }
    );
    // A model's `bias_bits = β` narrows the range to `[−2^{β−1}, 2^{β−1})`, both ends checked.
    assert_eq!(
        err_of(|m| {
            twelve_bit_biases(m);
            dense_of(m).bias[1] = 2048;
        }),
        ModelError::BiasOutOfRange {
            layer: 4,
            kind: K::Dense,
            index: 1,
            value: 2048,
            min: -2048,
            max: 2047
        }
    );
    assert_eq!(
        err_of(|m| {
            twelve_bit_biases(m);
            conv_of(m).bias[0] = -2049;
        }),
        ModelError::BiasOutOfRange {
            layer: 0,
            kind: K::Conv2d,
            index: 0,
            value: -2049,
            min: -2048,
            max: 2047
        }
    );
    for bits in [0, 1, 33] {
        assert_eq!(
            err_of(|m| m.bias_bits = bits),
            ModelError::BiasBitsOutOfRange { bits }
        );
    }
    assert_eq!(
        err_of(|m| conv_of(m).shift = 41),
        ModelError::ShiftTooLarge {
            layer: 0,
            kind: K::Conv2d,
            shift: 41
        }
    );
    assert_eq!(
        err_of(|m| m.layers.push(Layer::Add(Add {
            input: None,
            from: 0,
            shift: 99
        }))),
        ModelError::ShiftTooLarge {
            layer: 5,
            kind: K::Add,
            shift: 99
        }
    );
    assert_eq!(
        err_of(|m| {
            let c = conv_of(m);
            c.padding = 0;
            c.kernel = [5, 3];
            c.weights = vec![0; 3 * 2 * 5 * 3];
        }),
        ModelError::EmptyOutput {
            layer: 0,
            kind: K::Conv2d,
            window: [5, 3],
            input: [4, 4]
        }
    );
    assert_eq!(
        err_of(|m| m.layers[2] = Layer::MaxPool2d(MaxPool2d::new(5, 1))),
        ModelError::EmptyOutput {
            layer: 2,
            kind: K::MaxPool2d,
            window: [5, 5],
            input: [4, 4]
        }
    );
    assert_eq!(
        err_of(|m| m.layers.push(Layer::Add(Add {
            input: None,
            from: 5,
            shift: 0
        }))),
        ModelError::AddFromNotEarlier {
            layer: 5,
            kind: K::Add,
            from: 5
        }
    );
    assert_eq!(
        err_of(|m| m.layers.insert(
            0,
            Layer::Add(Add {
                input: None,
                from: 0,
                shift: 0
            })
        )),
        ModelError::AddFromNotEarlier {
            layer: 0,
            kind: K::Add,
            from: 0
        }
    );
    assert_eq!(
        err_of(|m| m.layers.push(Layer::Add(Add {
            input: None,
            from: 0,
            shift: 0
        }))),
        ModelError::AddShapeMismatch {
            layer: 5,
            kind: K::Add,
            from: 0,
            previous: vec![2],
            other: vec![3, 4, 4]
        }
    );
    assert_eq!(
        err_of(|m| m.layers.insert(1, Layer::FLATTEN)),
        ModelError::InputRank {
            layer: 3,
            kind: K::MaxPool2d,
            expected: 3,
            shape: vec![48]
        }
    );
}

#[test]
fn accumulator_bound_and_size_overflow() {
    // A huge kernel over zero padding: the weight count is computed without overflow.
    let huge = Conv2d {
        input: None,
        in_channels: 1,
        out_channels: 1,
        kernel: [1 << 16, 1 << 16],
        stride: 1,
        padding: 1 << 15,
        weights: vec![],
        bias: vec![0],
        shift: 0,
        groups: 1,
    };
    let m = model(&[1, 1, 1], 16, 16, vec![Layer::Conv2d(huge.clone())]);
    assert_eq!(
        m.validate().unwrap_err(),
        ModelError::WeightsLength {
            layer: 0,
            kind: LayerKind::Conv2d,
            expected: 1 << 32,
            got: 0
        }
    );
    let m = model(
        &[1, 1, 1],
        16,
        16,
        vec![Layer::Conv2d(Conv2d {
            out_channels: 2,
            kernel: [usize::MAX, 1],
            padding: usize::MAX / 2,
            ..huge
        })],
    );
    assert_eq!(
        m.validate().unwrap_err(),
        ModelError::TooLarge {
            layer: 0,
            kind: LayerKind::Conv2d
        }
    );
    // An average pool over 2^48 values of 16 bits reaches 2^62 (validation needs no data).
    let pool = |size| {
        model(
            &[1, 1 << 24, 1 << 24],
            16,
            8,
            vec![Layer::AvgPool2d(AvgPool2d {
                divisor: 1,
                input: None,
                size,
                stride: 1,
                shift: 0,
            })],
        )
    };
    assert_eq!(
        pool(1 << 24).validate().unwrap_err(),
        ModelError::AccumulatorTooLarge {
            layer: 0,
            kind: LayerKind::AvgPool2d,
            fan_in: 1 << 48
        }
    );
    assert!(pool(1 << 20).validate().is_ok());
}

#[test]
fn error_messages_name_the_layer() {
    let e = err_of(|m| conv_of(m).weights[17] = -129);
    assert_eq!(
        e.to_string(),
        "layer 0 (Conv2d): weight 17 is -129, outside -128..=127"
    );
    let e = err_of(|m| dense_of(m).in_features = 13);
    assert_eq!(
        e.to_string(),
        "layer 4 (Dense) declares 13 input features; the incoming vector has 12"
    );
}

// ---------------------------------------------------------------------------------------------
// Inference errors
// ---------------------------------------------------------------------------------------------

#[test]
fn overflow_names_layer_and_position() {
    // Channel 0 copies the input, channel 1 multiplies it by 100: only (2, 0) is nonzero.
    let m = model(
        &[1, 3, 2],
        8,
        8,
        vec![
            Layer::RELU,
            Layer::Conv2d(Conv2d {
                input: None,
                in_channels: 1,
                out_channels: 2,
                kernel: [1, 1],
                stride: 1,
                padding: 0,
                weights: vec![1, 100],
                bias: vec![0, 0],
                shift: 0,
                groups: 1,
            }),
        ],
    );
    let mut x = ArrayD::zeros(IxDyn(&[1, 3, 2]));
    x[[0, 2, 0]] = 5;
    let err = infer(&m, &x).unwrap_err();
    assert_eq!(
        err,
        InferenceError::Overflow {
            layer: 1,
            kind: LayerKind::Conv2d,
            position: vec![1, 2, 0],
            value: 500,
            max_abs: 127
        }
    );
    assert_eq!(
        err.to_string(),
        "layer 1 (Conv2d) overflows at [1, 2, 0]: 500 is outside -127..=127"
    );
    // A trace holding the overflowing value is rejected by the checker at the same place.
    let trace = Trace {
        outputs: vec![
            x.clone(),
            ArrayD::from_shape_fn(IxDyn(&[2, 3, 2]), |i| x[[0, i[1], i[2]]] * [1, 100][i[0]]),
        ],
        accumulators: vec![None, None],
    };
    let mut trace2 = trace.clone();
    trace2.accumulators[1] = Some(trace.outputs[1].clone());
    assert_eq!(
        check_trace(&m, &x, &trace),
        Err(WitnessError::AccumulatorPresence {
            layer: 1,
            kind: LayerKind::Conv2d,
            expected: true
        })
    );
    assert_eq!(
        check_trace(&m, &x, &trace2),
        Err(WitnessError::OutOfRange {
            layer: 1,
            kind: LayerKind::Conv2d,
            position: vec![1, 2, 0],
            value: 500,
            max_abs: 127
        })
    );
}

#[test]
fn input_errors() {
    let m = base();
    let x = ArrayD::zeros(IxDyn(&[2, 4, 5]));
    assert_eq!(
        infer(&m, &x).unwrap_err(),
        InferenceError::InputShape {
            expected: vec![2, 4, 4],
            got: vec![2, 4, 5]
        }
    );
    let mut x = ArrayD::zeros(IxDyn(&[2, 4, 4]));
    x[[1, 3, 0]] = -128;
    assert_eq!(
        infer(&m, &x).unwrap_err(),
        InferenceError::InputOutOfRange {
            position: vec![1, 3, 0],
            value: -128,
            max_abs: 127
        }
    );
    let trace = infer(&m, &ArrayD::zeros(IxDyn(&[2, 4, 4]))).unwrap();
    assert!(matches!(
        check_trace(&m, &x, &trace),
        Err(WitnessError::Input(InferenceError::InputOutOfRange { .. }))
    ));
    let mut bad = m.clone();
    bad.activation_bits = 1;
    assert!(matches!(
        infer(&bad, &x),
        Err(InferenceError::Model(ModelError::BitsOutOfRange { .. }))
    ));
    assert!(matches!(
        check_trace(&bad, &x, &trace),
        Err(WitnessError::Model(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// The witness checker
// ---------------------------------------------------------------------------------------------

#[test]
fn check_trace_finds_the_first_change() {
    let m = zoo::lenet5(2);
    let x = random_input(&m.input_shape, 8, 77);
    let honest = infer(&m, &x).unwrap();
    check_trace(&m, &x, &honest).unwrap();

    // An output changed at layer 4 (Relu, [16, 10, 10]) at (7, 3, 9); later layers unchanged.
    let mut t = honest.clone();
    t.outputs[4][[7, 3, 9]] += 1;
    let e = honest.outputs[4][[7, 3, 9]];
    assert_eq!(
        check_trace(&m, &x, &t),
        Err(WitnessError::Mismatch {
            layer: 4,
            kind: LayerKind::Relu,
            tensor: TraceTensor::Output,
            position: vec![7, 3, 9],
            expected: e,
            found: e + 1
        })
    );
    // Two changes: the earlier layer is reported.
    t.outputs[9][[3]] -= 5;
    t.outputs[2][[0, 0, 1]] += 1;
    assert!(matches!(
        check_trace(&m, &x, &t),
        Err(WitnessError::Mismatch { layer: 2, tensor: TraceTensor::Output, ref position, .. }) if *position == vec![0, 0, 1]
    ));

    // An accumulator changed at the dense layer 7.
    let mut t = honest.clone();
    if let Some(acc) = t.accumulators[7].as_mut() {
        acc[[100]] += 3;
    }
    assert!(matches!(
        check_trace(&m, &x, &t),
        Err(WitnessError::Mismatch { layer: 7, kind: LayerKind::Dense, tensor: TraceTensor::Accumulator, ref position, .. }) if *position == vec![100]
    ));

    // A consistent change (accumulator and output both) is still caught at the accumulator.
    let mut t = honest.clone();
    if let Some(acc) = t.accumulators[0].as_mut() {
        acc[[1, 2, 3]] += 1 << 20;
    }
    t.outputs[0][[1, 2, 3]] = round_shift(
        t.accumulators[0].as_ref().unwrap()[[1, 2, 3]],
        m.layers[0].shift().unwrap(),
    );
    assert!(matches!(
        check_trace(&m, &x, &t),
        Err(WitnessError::Mismatch {
            layer: 0,
            tensor: TraceTensor::Accumulator,
            ..
        })
    ));

    // Wrong number of layers, wrong shape, unexpected accumulator.
    let mut t = honest.clone();
    t.outputs.pop();
    assert_eq!(
        check_trace(&m, &x, &t),
        Err(WitnessError::LayerCount {
            tensor: TraceTensor::Output,
            expected: 12,
            found: 11
        })
    );
    let mut t = honest.clone();
    t.accumulators.push(None);
    assert_eq!(
        check_trace(&m, &x, &t),
        Err(WitnessError::LayerCount {
            tensor: TraceTensor::Accumulator,
            expected: 12,
            found: 13
        })
    );
    let mut t = honest.clone();
    t.outputs[6] = ArrayD::zeros(IxDyn(&[16, 5, 5]));
    assert_eq!(
        check_trace(&m, &x, &t),
        Err(WitnessError::ShapeMismatch {
            layer: 6,
            kind: LayerKind::Flatten,
            tensor: TraceTensor::Output,
            expected: vec![400],
            found: vec![16, 5, 5]
        })
    );
    let mut t = honest.clone();
    t.accumulators[3] = Some(ArrayD::zeros(IxDyn(&[1600])));
    assert_eq!(
        check_trace(&m, &x, &t),
        Err(WitnessError::ShapeMismatch {
            layer: 3,
            kind: LayerKind::Conv2d,
            tensor: TraceTensor::Accumulator,
            expected: vec![16, 10, 10],
            found: vec![1600]
        })
    );
    let mut t = honest.clone();
    t.accumulators[1] = Some(honest.outputs[1].clone());
    assert_eq!(
        check_trace(&m, &x, &t),
        Err(WitnessError::AccumulatorPresence {
            layer: 1,
            kind: LayerKind::Relu,
            expected: false
        })
    );
}

// ---------------------------------------------------------------------------------------------
// The zoo
// ---------------------------------------------------------------------------------------------

/// Validates, then runs fresh random inputs (none of them used for calibration).
fn zoo_model_runs(m: &Model, inputs: u64) {
    m.validate().unwrap();
    for s in 0..inputs {
        let x = random_input(&m.input_shape, m.activation_bits, 1000 + s);
        let t = infer(m, &x).unwrap_or_else(|e| panic!("{}: {e}", m.name));
        assert_eq!(t.output().unwrap().shape(), &[10]);
    }
}

#[test]
fn zoo_small_models_validate_and_run() {
    for seed in 0..6 {
        let m = zoo::lenet5(seed);
        assert_eq!(m.layers.len(), 12);
        assert_eq!(m, zoo::lenet5(seed), "generation is deterministic");
        zoo_model_runs(&m, 8);
        let m = zoo::small_vgg(seed);
        assert_eq!(m.validate().unwrap()[8], vec![256]);
        zoo_model_runs(&m, 8);
    }
    assert_ne!(zoo::lenet5(0), zoo::lenet5(1));
}

#[test]
fn zoo_small_models_match_the_oracle() {
    let m = zoo::lenet5(9);
    assert!(assert_matches_oracle(
        &m,
        &random_input(&m.input_shape, 8, 5)
    ));
    let m = zoo::small_vgg(9);
    assert!(assert_matches_oracle(
        &m,
        &random_input(&m.input_shape, 8, 5)
    ));
    let m = zoo::mobilenet_small(9);
    assert_eq!(m.validate().unwrap().last(), Some(&vec![10]));
    assert!(assert_matches_oracle(
        &m,
        &random_input(&m.input_shape, 8, 5)
    ));
}

#[test]
fn calibration_uses_half_the_range() {
    let m = zoo::small_vgg(4);
    let headroom = (1i64 << 6) - 1;
    let mut samples = Vec::new();
    for j in 0..zoo::CALIBRATION_SAMPLES as u64 {
        // The generator's own calibration inputs are not public; recalibrating on fresh ones
        // must give outputs within the headroom, and one less shift must leave it.
        samples.push(random_input(&m.input_shape, 8, 500 + j));
    }
    let mut c = m.clone();
    calibrate_shifts(&mut c, &samples).unwrap();
    let traces: Vec<Trace> = samples.iter().map(|x| infer(&c, x).unwrap()).collect();
    for (i, layer) in c.layers.iter().enumerate() {
        let Some(shift) = layer.shift() else { continue };
        let peak = traces
            .iter()
            .flat_map(|t| t.outputs[i].iter())
            .map(|v| v.abs())
            .max()
            .unwrap();
        assert!(peak <= headroom, "layer {i}: {peak}");
        if shift > 0 {
            let peak_less = traces
                .iter()
                .flat_map(|t| t.accumulators[i].as_ref().unwrap().iter())
                .map(|&a| round_shift(a, shift - 1).abs())
                .max()
                .unwrap();
            assert!(
                peak_less > headroom,
                "layer {i}: shift {shift} is not the smallest"
            );
        }
    }
    // No samples: unchanged. A sample of the wrong shape: an error.
    let mut d = m.clone();
    calibrate_shifts(&mut d, &[]).unwrap();
    assert_eq!(d, m);
    assert!(matches!(
        calibrate_shifts(&mut d, &[ArrayD::zeros(IxDyn(&[3]))]),
        Err(InferenceError::InputShape { .. })
    ));
}

#[test]
fn vgg16_cifar_runs() {
    let m = zoo::vgg16_cifar(0);
    let params = m.parameters();
    assert!((15_000_000..15_400_000).contains(&params), "{params}");
    assert_eq!(
        m.layers
            .iter()
            .filter(|l| l.kind() == LayerKind::Conv2d)
            .count(),
        13
    );
    let shapes = m.validate().unwrap();
    assert_eq!(shapes[shapes.len() - 6], vec![512]);
    let x = random_input(&m.input_shape, 8, 4242);
    let t = infer(&m, &x).unwrap();
    check_trace(&m, &x, &t).unwrap();
}

#[test]
fn vgg16_cifar_seeds_run() {
    for seed in 1..4 {
        zoo_model_runs(&zoo::vgg16_cifar(seed), 4);
    }
}

/// An architecture (weights and biases removed) validates as an architecture with the same
/// shapes, not as a model; a layer with only one of the two removed is still an error.
#[test]
fn architectures_validate_as_architectures_only() {
    let model = zkcnn::model::zoo::lenet5(2);
    let arch = model.architecture();
    assert_eq!(
        arch.validate_architecture().unwrap(),
        model.validate().unwrap()
    );
    assert!(matches!(
        arch.validate(),
        Err(ModelError::WeightsLength { layer: 0, .. })
    ));
    let mut half = model.clone();
    if let Layer::Dense(d) = &mut half.layers[7] {
        d.bias.clear();
    } else {
        panic!("layer 7 of LeNet-5 is dense");
    }
    assert!(matches!(
        half.validate_architecture(),
        Err(ModelError::BiasLength { layer: 7, .. })
    ));
}

/// A model text with more numbers than a model can have is refused before parsing, by the
/// library (so every entry point — CLI, Python, Rust — gets the same cap).
#[test]
fn a_model_text_with_too_many_numbers_is_refused_before_parsing() {
    use zkcnn::model::validate::MAX_MODEL_NUMBERS;
    let zeros = vec!["0"; MAX_MODEL_NUMBERS as usize + 1].join(",");
    let json = format!(
        "{{\"name\": \"x\", \"input_shape\": [4], \"activation_bits\": 8, \"weight_bits\": 8, \
         \"layers\": [{{\"type\": \"Dense\", \"in_features\": 4, \"out_features\": 1, \
         \"weights\": [{zeros}], \"bias\": [0], \"shift\": 0}}]}}"
    );
    for e in [
        Model::from_json(&json).unwrap_err(),
        Model::architecture_from_json(&json).unwrap_err(),
    ] {
        assert!(
            matches!(e, ModelError::Limit { limit, .. } if limit == MAX_MODEL_NUMBERS as usize),
            "{e:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// DAG models
// ---------------------------------------------------------------------------------------------

/// A random small DAG on `[c, h, w]` tensors (seeded): each layer reads any earlier 3-D tensor
/// — a convolution (1×1, or 3×3 with padding 1; with `input` set when it is not the previous
/// output), a standalone or fused ReLU, an Add of two earlier tensors of one shape (first
/// operand by `input`), a Concat of two or three earlier tensors — then a flatten of the last
/// tensor and a dense layer. Every tensor keeps the input's height and width; channel counts
/// vary (1 to 5, so not powers of two). Shifts calibrated on the input of `seed`.
pub(crate) fn random_dag(seed: u64, layers: usize) -> Model {
    let mut rng = StdRng::seed_from_u64(seed);
    let (h, w) = (rng.gen_range(1..5usize), rng.gen_range(1..5usize));
    let c0 = rng.gen_range(1..4usize);
    // Channels of each tensor so far (all 3-D, of one h, w).
    let mut channels = vec![c0];
    let mut out = Vec::new();
    while out.len() < layers {
        let i = out.len();
        let pick = |rng: &mut StdRng| rng.gen_range(0..=i);
        let t = pick(&mut rng);
        let input = (t != i).then_some(t);
        let (layer, c) = match rng.gen_range(0..4) {
            0 => {
                let k = if rng.gen_bool(0.5) { 1 } else { 3 };
                let co = rng.gen_range(1..6);
                let mut l = conv(&mut rng, 6, channels[t], co, [k, k], 1, k / 2, 0);
                if let Layer::Conv2d(c) = &mut l {
                    c.input = input;
                }
                (l, co)
            }
            1 => (Layer::Relu { input }, channels[t]),
            2 => {
                // Another tensor of the same channel count (perhaps the same one).
                let same: Vec<usize> = (1..=i).filter(|&u| channels[u] == channels[t]).collect();
                if same.is_empty() {
                    continue;
                }
                let from = same[rng.gen_range(0..same.len())] - 1;
                (
                    Layer::Add(Add {
                        input,
                        from,
                        shift: 0,
                    }),
                    channels[t],
                )
            }
            _ => {
                let n = rng.gen_range(2..=3);
                let inputs: Vec<usize> = (0..n).map(|_| pick(&mut rng)).collect();
                let c = inputs.iter().map(|&u| channels[u]).sum();
                (Layer::Concat(zkcnn::model::Concat { inputs }), c)
            }
        };
        out.push(layer);
        channels.push(c);
    }
    let last = *channels.last().unwrap();
    out.push(Layer::FLATTEN);
    out.push(dense(&mut rng, 6, last * h * w, 3, 0));
    let mut m = model(&[c0, h, w], 8, 6, out);
    let sample = random_input(&m.input_shape, 8, seed);
    calibrate_shifts(&mut m, &[sample]).unwrap();
    m
}

/// The zoo's DAGs (a ResNet with a projection shortcut, Fire modules with concatenations)
/// match the oracle, which reads each layer's operands by its own reading of the `input`
/// fields; their JSON round-trips.
#[test]
fn dag_zoo_models_match_the_oracle_and_round_trip() {
    for m in [zoo::resnet_small(1), zoo::fire_small(1)] {
        assert!(!m.is_chain());
        for seed in 0..3 {
            assert!(
                check_random(m.clone(), seed, false),
                "{} seed {seed}",
                m.name
            );
        }
        let json = m.to_json();
        assert!(json.contains("\"input\""));
        assert_eq!(Model::from_json(&json).unwrap(), m);
        assert_eq!(
            Model::architecture_from_json(&m.architecture_json()).unwrap(),
            m.architecture()
        );
    }
    // The chains write no `input`: their JSON and digests are what they were.
    for m in [zoo::lenet5(1), zoo::small_vgg(1), zoo::mobilenet_small(1)] {
        assert!(m.is_chain());
        assert!(!m.to_json().contains("\"input\""));
    }
}

/// `input` and Concat in JSON: an explicit `"input"` naming the previous output is the same
/// model as one without it (but not the same JSON), unknown fields next to it are still
/// refused, and so is a Concat without `inputs`.
#[test]
fn dag_fields_in_json() {
    let chain = r#"{"name": "t", "input_shape": [2, 3, 3], "activation_bits": 8,
        "weight_bits": 8, "layers": [{"type": "Relu"}, {"type": "Relu", "input": 1},
        {"type": "Concat", "inputs": [0, 2]}, {"type": "Flatten"}]}"#;
    let m = Model::from_json(chain).unwrap();
    assert_eq!(m.layers[1], Layer::Relu { input: Some(1) });
    assert_eq!(m.layers[1].inputs(1), vec![1]);
    assert_eq!(m.validate().unwrap()[2], vec![4, 3, 3]);
    assert!(Model::from_json(&m.to_json()).unwrap() == m);
    for bad in [
        r#"{"type": "Relu", "inputs": [0]}"#,
        r#"{"type": "Flatten", "input": 0, "x": 1}"#,
        r#"{"type": "Concat"}"#,
        r#"{"type": "Concat", "inputs": [0], "input": 0}"#,
    ] {
        let json = chain.replace(r#"{"type": "Flatten"}"#, bad);
        let err = Model::from_json(&json).unwrap_err();
        assert!(matches!(err, ModelError::Json { .. }), "{bad}: {err:?}");
    }
}

/// Validation of the graph: a tensor that is not earlier, a Concat of tensors of other heights
/// or widths or of a flat tensor, an empty Concat, an Add of two operands of other shapes.
#[test]
fn dag_validation_names_the_layer_and_tensor() {
    let base = |layers: Vec<Layer>| model(&[2, 4, 4], 8, 8, layers);
    let mut rng = StdRng::seed_from_u64(3);
    let c = conv(&mut rng, 8, 2, 3, [3, 3], 2, 1, 4); // [3, 2, 2]
    let err = base(vec![Layer::RELU, Layer::Relu { input: Some(2) }])
        .validate()
        .unwrap_err();
    assert_eq!(
        err,
        ModelError::InputNotEarlier {
            layer: 1,
            kind: LayerKind::Relu,
            tensor: 2
        }
    );
    assert!(err.to_string().contains("tensor 2"), "{err}");
    assert_eq!(err.layer(), Some(1));
    let concat = |inputs: Vec<usize>| Layer::Concat(zkcnn::model::Concat { inputs });
    let err = base(vec![c.clone(), concat(vec![0, 1])])
        .validate()
        .unwrap_err();
    assert_eq!(
        err,
        ModelError::ConcatShapeMismatch {
            layer: 1,
            kind: LayerKind::Concat,
            tensor: 1,
            shape: vec![3, 2, 2],
            height: 4,
            width: 4
        }
    );
    let err = base(vec![Layer::FLATTEN, concat(vec![1])])
        .validate()
        .unwrap_err();
    assert!(
        matches!(err, ModelError::InputRank { layer: 1, .. }),
        "{err:?}"
    );
    let err = base(vec![Layer::RELU, concat(vec![0, 2])])
        .validate()
        .unwrap_err();
    assert!(
        matches!(err, ModelError::InputNotEarlier { tensor: 2, .. }),
        "{err:?}"
    );
    let err = base(vec![Layer::RELU, concat(vec![])])
        .validate()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::ZeroParameter {
                layer: 1,
                param: "inputs",
                ..
            }
        ),
        "{err:?}"
    );
    // Add: tensor 0 ([2, 4, 4]) plus layer 0's output ([3, 2, 2]).
    let add = Layer::Add(Add {
        input: Some(0),
        from: 0,
        shift: 0,
    });
    let err = base(vec![c, add]).validate().unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::AddShapeMismatch {
                layer: 1,
                from: 0,
                ..
            }
        ),
        "{err:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Random DAGs (any earlier tensor read, adds, concatenations of 1–5-channel tensors)
    /// match the oracle, and the witness checker accepts the trace.
    #[test]
    fn random_dags_match_the_oracle(seed: u64, layers in 1usize..9) {
        let m = random_dag(seed, layers);
        prop_assert!(check_random(m, seed, false));
    }
}
