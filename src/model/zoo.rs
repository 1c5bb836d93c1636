//! Seeded example models with random int8 weights and calibrated shifts: [`lenet5`],
//! [`small_vgg`], [`vgg16_cifar`], [`vgg16_wide`] and [`mobilenet_small`] (chains), and the DAGs
//! [`resnet_small`] (projection and identity shortcuts) and [`fire_small`] (concatenations), and
//! the full-size DAGs [`resnet18`] and [`mobilenet_v2`] at any input side (224 for ImageNet).
//!
//! Weights are uniform in `−127..=127` (`weight_bits = 8`), biases uniform in
//! `−127²..=127²` (about one product term: small next to any accumulator's spread), activations
//! have `activation_bits = 8`. The shifts are set by [`calibrate_shifts`] on
//! [`CALIBRATION_SAMPLES`] inputs from [`random_input`], which samples the *whole* symmetric
//! activation range (negative values included, unlike images): any valid input is fair game.
//! Calibration aims at half the range, so fresh random inputs stay in range with a wide margin.

use ndarray::{ArrayD, IxDyn};
use rand::{rngs::StdRng, Rng, SeedableRng};

use super::activation::Function;
use super::infer::{round_shift, Computed, Engine, InferenceError};
use super::ir::{Activation, Add, AvgPool2d, Concat, Conv2d, Dense, Layer, MaxPool2d, Model};
use super::validate::{max_abs, MAX_SHIFT};

/// Inputs that the zoo's generators calibrate their shifts on.
pub const CALIBRATION_SAMPLES: usize = 4;

/// A tensor of the given shape with values uniform in the full symmetric range
/// `−(2^{bits−1} − 1)..=2^{bits−1} − 1` (`bits` is clamped to `2..=32`).
pub fn random_input(shape: &[usize], bits: u32, seed: u64) -> ArrayD<i64> {
    let m = max_abs(bits.clamp(2, 32));
    let mut rng = StdRng::seed_from_u64(seed);
    ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.gen_range(-m..=m))
}

/// Sets the shift of every requantizing layer, in order, to the smallest value in
/// `0..=MAX_SHIFT` for which every output of that layer over `inputs` satisfies
/// `|value| ≤ 2^{B−1}/2 − 1` (half the activation range as headroom), running the earlier
/// layers with their already calibrated shifts. A layer that no shift brings into the headroom
/// gets `MAX_SHIFT`. With no inputs the model is left unchanged.
///
/// Fails if the model is malformed, an input has the wrong shape or range, or a layer overflows
/// even at `MAX_SHIFT`.
pub fn calibrate_shifts(model: &mut Model, inputs: &[ArrayD<i64>]) -> Result<(), InferenceError> {
    let shifts = {
        let engine = Engine::new(model)?;
        for input in inputs {
            engine.check_input(input)?;
        }
        if inputs.is_empty() {
            return Ok(());
        }
        let headroom = (1u64 << (model.activation_bits - 1)) / 2 - 1;
        let mut outputs: Vec<Vec<ArrayD<i64>>> = vec![Vec::new(); inputs.len()];
        let mut shifts = Vec::with_capacity(model.layers.len());
        for i in 0..model.layers.len() {
            let computed: Vec<Computed> = inputs
                .iter()
                .zip(&outputs)
                .map(|(input, outs)| engine.compute(i, input, outs))
                .collect();
            let (lo, hi) = computed
                .iter()
                .filter_map(|c| match c {
                    Computed::Accumulator { acc, .. } => Some(acc),
                    Computed::Output(_) => None,
                })
                .flatten()
                .fold((i64::MAX, i64::MIN), |(lo, hi), &a| (lo.min(a), hi.max(a)));
            // round_shift is monotone, so the extremes bound every output. (For layers that do
            // not requantize, lo > hi and the shift found is ignored.)
            let fits = |s| {
                let peak = round_shift(lo, s)
                    .unsigned_abs()
                    .max(round_shift(hi, s).unsigned_abs());
                lo > hi || peak <= headroom
            };
            let shift = (0..=MAX_SHIFT).find(|&s| fits(s)).unwrap_or(MAX_SHIFT);
            // An exact division keeps its shift (a part of its divisor).
            let fixed = match &model.layers[i] {
                crate::model::Layer::AvgPool2d(a) if a.divisor != 1 => Some(a.shift),
                _ => None,
            };
            for (c, outs) in computed.into_iter().zip(&mut outputs) {
                let out = match c {
                    Computed::Accumulator { acc, shift: t } => {
                        let s = if fixed.is_some() { t } else { shift };
                        engine.finish(i, acc.iter().map(|&a| round_shift(a, s)).collect())?
                    }
                    Computed::Output(out) => engine.array(i, out),
                };
                outs.push(out);
            }
            shifts.push(fixed.unwrap_or(shift));
        }
        shifts
    };
    for (layer, shift) in model.layers.iter_mut().zip(shifts) {
        layer.set_shift(shift);
    }
    Ok(())
}

/// A model of `layers` on `input_shape` (8-bit activations and weights, 32-bit biases, no
/// quantization metadata, not saturating), its shifts calibrated on [`CALIBRATION_SAMPLES`]
/// inputs `random_input(input_shape, 8, seed ^ (k << 32))`: the tests' hand-made models.
pub fn calibrated(
    name: &str,
    input_shape: &[usize],
    layers: Vec<Layer>,
    seed: u64,
) -> Result<Model, InferenceError> {
    let mut m = Model {
        name: name.into(),
        input_shape: input_shape.to_vec(),
        activation_bits: BITS,
        weight_bits: BITS,
        layers,
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    let inputs: Vec<_> = (0..CALIBRATION_SAMPLES as u64)
        .map(|k| random_input(input_shape, BITS, seed ^ (k << 32)))
        .collect();
    calibrate_shifts(&mut m, &inputs)?;
    Ok(m)
}

/// LeNet-5 on `[1, 28, 28]`: conv 1→6 (5×5, padding 2), ReLU, max-pool 2, conv 6→16 (5×5),
/// ReLU, max-pool 2, flatten, dense 400→120, ReLU, dense 120→84, ReLU, dense 84→10.
pub fn lenet5(seed: u64) -> Model {
    let mut g = Builder::new(seed);
    g.conv(1, 6, 5, 2);
    g.relu();
    g.max_pool();
    g.conv(6, 16, 5, 0);
    g.relu();
    g.max_pool();
    g.layers.push(Layer::FLATTEN);
    g.dense(400, 120);
    g.relu();
    g.dense(120, 84);
    g.relu();
    g.dense(84, 10);
    g.finish("lenet5", &[1, 28, 28], seed)
}

/// A small multilayer perceptron on `[24]`: dense 24→12, ReLU, dense 12→10 (the dense-only
/// model of the zero-knowledge network tests).
pub fn mlp(seed: u64) -> Model {
    let mut g = Builder::new(seed);
    g.dense(24, 12);
    g.relu();
    g.dense(12, 10);
    g.finish("mlp", &[24], seed)
}

/// A small VGG-style network on `[3, 16, 16]`: conv 3→8, ReLU, conv 8→8, ReLU, max-pool 2,
/// conv 8→16, ReLU, max-pool 2, flatten, dense 256→10 (all convolutions 3×3, padding 1).
pub fn small_vgg(seed: u64) -> Model {
    let mut g = Builder::new(seed);
    g.conv(3, 8, 3, 1);
    g.relu();
    g.conv(8, 8, 3, 1);
    g.relu();
    g.max_pool();
    g.conv(8, 16, 3, 1);
    g.relu();
    g.max_pool();
    g.layers.push(Layer::FLATTEN);
    g.dense(256, 10);
    g.finish("small_vgg", &[3, 16, 16], seed)
}

/// VGG-16 for CIFAR-10 on `[3, 32, 32]`: thirteen 3×3 convolutions (padding 1, each followed
/// by ReLU) with channels 64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512,
/// 512, M (M: max-pool 2), then flatten, dense 512→512, ReLU, dense 512→512, ReLU, dense
/// 512→10. About 15.2 M parameters and 313 M multiply-adds.
pub fn vgg16_cifar(seed: u64) -> Model {
    vgg16(
        "vgg16_cifar",
        [
            64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0,
        ],
        seed,
    )
}

/// VGG-16 for CIFAR-10 widened by 1.25 (channels 80, 160, 320, 640; dense 640→512, 512→512,
/// 512→10) on `[3, 32, 32]`: about 23.4 M parameters, more than the 2^24 entries one Basefold
/// polynomial proves at 100 bits, so its packed model table (2^26 entries: channel counts pad to
/// powers of two) is committed as four columns of 2^24 (`network::columns`). For the
/// large-model figures (`zkcnn bench --only network-large`).
pub fn vgg16_wide(seed: u64) -> Model {
    vgg16(
        "vgg16_wide",
        [
            80, 80, 0, 160, 160, 0, 320, 320, 320, 0, 640, 640, 640, 0, 640, 640, 640, 0,
        ],
        seed,
    )
}

/// VGG-16 on `[3, 32, 32]` with these convolution widths (0: a 2×2 max-pool), each convolution
/// 3×3 with padding 1 and followed by ReLU, then flatten and dense `last→512`, ReLU, `512→512`,
/// ReLU, `512→10`, where `last` is the last convolution's width.
fn vgg16(name: &str, config: [usize; 18], seed: u64) -> Model {
    let mut g = Builder::new(seed);
    let mut channels = 3;
    for c in config {
        if c == 0 {
            g.max_pool();
        } else {
            g.conv(channels, c, 3, 1);
            g.relu();
            channels = c;
        }
    }
    g.layers.push(Layer::FLATTEN);
    g.dense(channels, 512);
    g.relu();
    g.dense(512, 512);
    g.relu();
    g.dense(512, 10);
    g.finish(name, &[3, 32, 32], seed)
}

/// A small MobileNetV2-style network on `[3, 32, 32]`: a 3×3 stem conv 3→16 (padding 1),
/// ReLU, then two inverted-residual blocks without their residual add (ReLU for ReLU6): a 1×1
/// expansion (16→64, then 24→96), ReLU, a 3×3 depthwise convolution with stride 2 and padding
/// 1, ReLU, a 1×1 projection (64→24, then 96→32); then flatten and dense 2048→10.
pub fn mobilenet_small(seed: u64) -> Model {
    let mut g = Builder::new(seed);
    g.conv(3, 16, 3, 1);
    g.relu();
    for (c_in, c_mid, c_out) in [(16, 64, 24), (24, 96, 32)] {
        g.conv(c_in, c_mid, 1, 0);
        g.relu();
        g.grouped(c_mid, c_mid, 3, 2, c_mid);
        g.relu();
        g.conv(c_mid, c_out, 1, 0);
    }
    g.layers.push(Layer::FLATTEN);
    g.dense(32 * 8 * 8, 10);
    g.finish("mobilenet_small", &[3, 32, 32], seed)
}

/// A small ResNet on `[3, 16, 16]`, a DAG: a 3×3 stem conv 3→8 (padding 1) and ReLU, then a
/// basic block with a projection shortcut — conv 8→16 (3×3, stride 2, padding 1), ReLU, conv
/// 16→16 (3×3, padding 1) on the main branch, a 1×1 stride-2 conv 8→16 on the shortcut (both
/// read the stem's output), their sum, ReLU — then an identity block (two 3×3 convs 16→16 with
/// a ReLU between, added to the block's input, ReLU), a 2×2 average pool, flatten and dense
/// 256→10. Tensors read twice: the stem's output and the first block's.
pub fn resnet_small(seed: u64) -> Model {
    let mut g = Builder::new(seed);
    g.conv(3, 8, 3, 1); // layer 0 → tensor 1
    g.relu(); // 1 → 2: the block's input
    g.conv_at(None, 8, 16, 3, 2, 1); // 2 → 3
    g.relu(); // 3 → 4
    g.conv(16, 16, 3, 1); // 4 → 5: main branch
    g.conv_at(Some(2), 8, 16, 1, 2, 0); // 5 → 6: projection shortcut
    g.add(Some(5), 5); // 6 → 7: tensor 5 + tensor 6
    g.relu(); // 7 → 8: the identity block's input
    g.conv(16, 16, 3, 1); // 8 → 9
    g.relu(); // 9 → 10
    g.conv(16, 16, 3, 1); // 10 → 11
    g.add(None, 7); // 11 → 12: tensor 11 + tensor 8
    g.relu(); // 12 → 13
    g.layers.push(Layer::AvgPool2d(AvgPool2d {
        divisor: 1,
        size: 2,
        stride: 2,
        shift: 0,
        input: None,
    }));
    g.layers.push(Layer::FLATTEN);
    g.dense(256, 10);
    g.finish("resnet_small", &[3, 16, 16], seed)
}

/// Two SqueezeNet-style Fire modules on `[3, 16, 16]`, a DAG with channel concatenations: a
/// 3×3 stem conv 3→16 (padding 1), ReLU, 2×2 max-pool; Fire 1: squeeze 1×1 16→4, ReLU, expand
/// 1×1 4→8 and 3×3 4→8 (padding 1; both read the squeeze), each with ReLU, concatenated (16
/// channels); Fire 2, with channel counts that are not powers of two: squeeze 1×1 16→3, ReLU,
/// expand 1×1 3→6 and 3×3 3→5, each with ReLU, concatenated with Fire 1's output (a dense
/// connection: 6 + 5 + 16 = 27 channels); then a 1×1 conv 27→8, ReLU, 2×2 average pool,
/// flatten and dense 128→10. Fire 1's output (a concatenation) is read twice.
pub fn fire_small(seed: u64) -> Model {
    let mut g = Builder::new(seed);
    g.conv(3, 16, 3, 1); // layer 0 → tensor 1
    g.relu(); // 1 → 2
    g.max_pool(); // 2 → 3: [16, 8, 8]
    g.conv(16, 4, 1, 0); // 3 → 4: squeeze
    g.relu(); // 4 → 5
    g.conv(4, 8, 1, 0); // 5 → 6: expand 1×1
    g.relu(); // 6 → 7
    g.conv_at(Some(5), 4, 8, 3, 1, 1); // 7 → 8: expand 3×3
    g.relu(); // 8 → 9
    g.concat(&[7, 9]); // 9 → 10: [16, 8, 8]
    g.conv(16, 3, 1, 0); // 10 → 11: squeeze
    g.relu(); // 11 → 12
    g.conv(3, 6, 1, 0); // 12 → 13: expand 1×1
    g.relu(); // 13 → 14
    g.conv_at(Some(12), 3, 5, 3, 1, 1); // 14 → 15: expand 3×3
    g.relu(); // 15 → 16
    g.concat(&[14, 16, 10]); // 16 → 17: [27, 8, 8]
    g.conv(27, 8, 1, 0); // 17 → 18
    g.relu(); // 18 → 19
    g.layers.push(Layer::AvgPool2d(AvgPool2d {
        divisor: 1,
        size: 2,
        stride: 2,
        shift: 0,
        input: None,
    }));
    g.layers.push(Layer::FLATTEN);
    g.dense(128, 10);
    g.finish("fire_small", &[3, 16, 16], seed)
}

/// ResNet-18 (torchvision's `resnet18`, BatchNorm folded into the convolutions' weights and
/// biases) on `[3, side, side]` with `classes` outputs, a DAG: a 7×7 stride-2 stem conv 3→64
/// (padding 3), ReLU, a 3×3 stride-2 max-pool (padding 1); four stages of two basic blocks
/// (widths 64, 128, 256, 512; the first block of stages 2–4 has stride 2 and a 1×1 stride-2
/// projection shortcut), each block two 3×3 convs with a ReLU between, added to its shortcut,
/// ReLU; then an average pool over the last `side/32 × side/32` map, flatten and dense
/// `512→classes`. About 11.2 M parameters at 10 classes (11.7 M at 1,000).
///
/// `side` must be a multiple of 32 (224 for ImageNet's input, 64 for the CIFAR-size figures).
pub fn resnet18(side: usize, classes: usize, seed: u64) -> Model {
    assert!(
        side >= 32 && side.is_multiple_of(32),
        "resnet18: side {side} is not a multiple of 32"
    );
    let mut g = Builder::new(seed);
    g.conv_at(None, 3, 64, 7, 2, 3);
    g.relu();
    g.layers.push(Layer::MaxPool2d(MaxPool2d {
        padding: 1,
        ..MaxPool2d::new(3, 2)
    }));
    let mut c = 64;
    for (stage, width) in [64, 128, 256, 512].into_iter().enumerate() {
        for block in 0..2 {
            let stride = if stage > 0 && block == 0 { 2 } else { 1 };
            // Tensor `x` (layer `x − 1`'s output) is the block's input.
            let x = g.layers.len();
            g.conv_at(None, c, width, 3, stride, 1);
            g.relu();
            g.conv(width, width, 3, 1);
            if stride != 1 || c != width {
                let main = g.layers.len();
                g.conv_at(Some(x), c, width, 1, stride, 0);
                g.add(Some(main), g.layers.len() - 1);
            } else {
                g.add(None, x - 1);
            }
            g.relu();
            c = width;
        }
    }
    g.avg_pool(side / 32);
    g.layers.push(Layer::FLATTEN);
    g.dense(512, classes);
    g.finish("resnet18", &[3, side, side], seed)
}

/// MobileNetV2 (torchvision's `mobilenet_v2`, width 1.0, BatchNorm folded) on `[3, side, side]`
/// with `classes` outputs, a DAG: a 3×3 stride-2 stem conv 3→32, ReLU6; seventeen inverted
/// residual blocks `(t, c, n, s)` = (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
/// (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1) — a 1×1 expansion by `t` and ReLU6 (when
/// `t > 1`), a 3×3 depthwise conv of stride `s` (the block's first; 1 after) and ReLU6, a linear
/// 1×1 projection, plus the block's input when the shapes agree; a 1×1 conv 320→1280, ReLU6, an
/// average pool over the last `side/32 × side/32` map, flatten and dense `1280→classes`. ReLU6 is
/// an activation layer (`Clip { min: 0, max: 48 }`: 6 at 3 fractional bits, proven by lookup).
/// About 2.2 M parameters at 10 classes (3.5 M at 1,000).
///
/// `side` must be a multiple of 32.
pub fn mobilenet_v2(side: usize, classes: usize, seed: u64) -> Model {
    assert!(
        side >= 32 && side.is_multiple_of(32),
        "mobilenet_v2: side {side} is not a multiple of 32"
    );
    let mut g = Builder::new(seed);
    g.conv_at(None, 3, 32, 3, 2, 1);
    g.relu6();
    let mut c = 32;
    for (t, width, n, s) in [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ] {
        for i in 0..n {
            let stride = if i == 0 { s } else { 1 };
            let x = g.layers.len();
            let mid = c * t;
            if t != 1 {
                g.conv(c, mid, 1, 0);
                g.relu6();
            }
            g.grouped(mid, mid, 3, stride, mid);
            g.relu6();
            g.conv(mid, width, 1, 0);
            if stride == 1 && c == width {
                g.add(None, x - 1);
            }
            c = width;
        }
    }
    g.conv(c, 1280, 1, 0);
    g.relu6();
    g.avg_pool(side / 32);
    g.layers.push(Layer::FLATTEN);
    g.dense(1280, classes);
    g.finish("mobilenet_v2", &[3, side, side], seed)
}

/// Bit widths of the zoo's models.
const BITS: u32 = 8;

/// Accumulates layers with random parameters.
struct Builder {
    rng: StdRng,
    layers: Vec<Layer>,
}

impl Builder {
    fn new(seed: u64) -> Self {
        Builder {
            rng: StdRng::seed_from_u64(seed),
            layers: Vec::new(),
        }
    }

    fn params(&mut self, weights: usize, outputs: usize) -> (Vec<i64>, Vec<i64>) {
        let w = max_abs(BITS);
        let b = w * w;
        let weights = (0..weights).map(|_| self.rng.gen_range(-w..=w)).collect();
        let bias = (0..outputs).map(|_| self.rng.gen_range(-b..=b)).collect();
        (weights, bias)
    }

    fn conv(&mut self, in_channels: usize, out_channels: usize, k: usize, padding: usize) {
        let (weights, bias) = self.params(out_channels * in_channels * k * k, out_channels);
        self.layers.push(Layer::Conv2d(Conv2d {
            input: None,
            in_channels,
            out_channels,
            kernel: [k, k],
            stride: 1,
            padding,
            weights,
            bias,
            shift: 0,
            groups: 1,
        }));
    }

    /// A `k × k` convolution with padding `k / 2`, stride `stride`, in `groups` channel groups.
    fn grouped(&mut self, c_in: usize, c_out: usize, k: usize, stride: usize, groups: usize) {
        let (weights, bias) = self.params(c_out * (c_in / groups) * k * k, c_out);
        self.layers.push(Layer::Conv2d(Conv2d {
            input: None,
            in_channels: c_in,
            out_channels: c_out,
            kernel: [k, k],
            stride,
            padding: k / 2,
            weights,
            bias,
            shift: 0,
            groups,
        }));
    }

    fn dense(&mut self, in_features: usize, out_features: usize) {
        let (weights, bias) = self.params(out_features * in_features, out_features);
        self.layers.push(Layer::Dense(Dense {
            input: None,
            in_features,
            out_features,
            weights,
            bias,
            shift: 0,
        }));
    }

    fn relu(&mut self) {
        self.layers.push(Layer::RELU);
    }

    /// A `k × k` convolution reading tensor `input` (the previous output when `None`).
    fn conv_at(
        &mut self,
        input: Option<usize>,
        in_channels: usize,
        out_channels: usize,
        k: usize,
        stride: usize,
        padding: usize,
    ) {
        self.conv(in_channels, out_channels, k, padding);
        if let Some(Layer::Conv2d(c)) = self.layers.last_mut() {
            c.input = input;
            c.stride = stride;
        }
    }

    /// Tensor `input` (the previous output when `None`) plus layer `from`'s output.
    fn add(&mut self, input: Option<usize>, from: usize) {
        self.layers.push(Layer::Add(Add {
            from,
            shift: 0,
            input,
        }));
    }

    fn concat(&mut self, inputs: &[usize]) {
        self.layers.push(Layer::Concat(Concat {
            inputs: inputs.to_vec(),
        }));
    }

    /// ReLU6 at 3 fractional bits: `clamp(x, 0, 48)`, by lookup.
    fn relu6(&mut self) {
        self.layers.push(Layer::Activation(Activation {
            function: Function::Clip { min: 0, max: 48 },
            input: None,
        }));
    }

    /// A `size × size` average pool of stride `size` (a sum, then the calibrated shift).
    fn avg_pool(&mut self, size: usize) {
        self.layers.push(Layer::AvgPool2d(AvgPool2d {
            divisor: 1,
            size,
            stride: size,
            shift: 0,
            input: None,
        }));
    }

    fn max_pool(&mut self) {
        self.layers.push(Layer::MaxPool2d(MaxPool2d::new(2, 2)));
    }

    fn finish(self, name: &str, input_shape: &[usize], seed: u64) -> Model {
        let mut model = Model {
            name: name.to_string(),
            input_shape: input_shape.to_vec(),
            activation_bits: BITS,
            weight_bits: BITS,
            layers: self.layers,
            quantization: None,
            saturate: false,
            bias_bits: 32,
        };
        let inputs: Vec<_> = (0..CALIBRATION_SAMPLES as u64)
            .map(|j| random_input(input_shape, BITS, calibration_seed(seed, j)))
            .collect();
        // The zoo's models are valid, and their accumulators stay below 2^37, so every layer
        // fits at shift MAX_SHIFT = 40: calibration cannot fail.
        calibrate_shifts(&mut model, &inputs).expect("the zoo's models calibrate");
        model
    }
}

/// The seed of calibration input `j` of the model generated from `seed` (mixed, so that small
/// test seeds for fresh inputs do not collide with it).
fn calibration_seed(seed: u64, j: u64) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xCA1B_0000_0000_0000 ^ j
}
