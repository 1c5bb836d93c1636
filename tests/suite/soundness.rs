//! Soundness against cheating provers (`zkcnn::network::cheat`, the `cheat` feature the tests
//! enable): a prover edits the witness — a layer's output, a requantization's `y`, `n` or
//! remainder limbs, a max-pool's maxima, the range multiplicities, a committed weight — and
//! computes everything else honestly. The verifier must reject every such proof, at the layer
//! the edit breaks (or at the range check, for an edit that keeps every relation but leaves a
//! range; an activation's output, at its lookup). Covers every ordered pair of layer kinds
//! (the layer read directly by the next; pairs with an activation by lookup apart, in
//! transparent proofs only), on
//! both field instantiations, plus a named regression test for each flaw of the outside review
//! (issue 11).

use ark_ff::FftField;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use std::collections::BTreeSet;
use zkcnn::field::{from_i64, BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::layers::maxpool::MaxPool2x2;
use zkcnn::model::activation::Function;
use zkcnn::model::{zoo, Activation, Add, AvgPool2d, Conv2d, Dense, Layer, MaxPool2d, Model};
use zkcnn::network::cheat::{self, WitnessMut};
use zkcnn::network::plan::{Plan, Source, Step};
use zkcnn::network::zk::{prove_zk_timed, ZkProverInput};
use zkcnn::network::{
    self, CheckError, ConvPolicy, NetworkError, VerifyError, ZkCommittedInput, ZkCommittedModel,
    ZkNetworkProof,
};
use zkcnn::pcs::PcsError;

type G = Goldilocks;
type G2 = GoldilocksExt2;

/// A step's kind, as the plan sees it (a ReLU after a requantizing layer is fused into it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Conv,
    GroupedConv,
    Dense,
    AvgPool,
    Add,
    Relu,
    FusedRelu,
    MaxPool,
    MaxPoolWindow,
    Flatten,
    Concat,
    Activation,
    Mul,
}

fn kind(step: &Step) -> Kind {
    match step {
        Step::Conv(zkcnn::layers::conv::Conv { shape, .. }) if shape.groups > 1 => {
            Kind::GroupedConv
        }
        Step::Conv { .. } => Kind::Conv,
        Step::Dense { .. } => Kind::Dense,
        Step::AvgPool(_) => Kind::AvgPool,
        Step::Add(_) => Kind::Add,
        Step::Relu(_) => Kind::Relu,
        Step::FusedRelu(_) => Kind::FusedRelu,
        Step::MaxPool(_) => Kind::MaxPool,
        Step::MaxPoolWindow { .. } => Kind::MaxPoolWindow,
        Step::Flatten(_) => Kind::Flatten,
        Step::Concat { .. } => Kind::Concat,
        Step::Activation(_) => Kind::Activation,
        Step::Mul(_) => Kind::Mul,
    }
}

/// Builds a chain of layers, tracking the current shape; weights seeded.
struct Builder {
    rng: StdRng,
    shape: Vec<usize>,
    layers: Vec<Layer>,
    weight_bits: u32,
}

impl Builder {
    fn new(seed: u64, input: Vec<usize>, weight_bits: u32) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            shape: input,
            layers: Vec::new(),
            weight_bits,
        }
    }

    fn weights(&mut self, n: usize) -> Vec<i64> {
        let m = (1i64 << (self.weight_bits - 1)) - 1;
        (0..n).map(|_| self.rng.gen_range(-m..=m)).collect()
    }

    fn biases(&mut self, n: usize) -> Vec<i64> {
        (0..n).map(|_| self.rng.gen_range(-3000..=3000)).collect()
    }

    fn push(&mut self, layer: Layer, shape: Vec<usize>) -> usize {
        self.layers.push(layer);
        self.shape = shape;
        self.layers.len() - 1
    }

    fn conv(&mut self, out: usize, k: usize) -> usize {
        let [c, h, w] = self.shape[..] else {
            unreachable!()
        };
        let pad = k / 2;
        let (weights, bias) = (self.weights(out * c * k * k), self.biases(out));
        let (oh, ow) = (h + 2 * pad - k + 1, w + 2 * pad - k + 1);
        self.push(
            Layer::Conv2d(Conv2d {
                input: None,
                in_channels: c,
                out_channels: out,
                kernel: [k, k],
                stride: 1,
                padding: pad,
                weights,
                bias,
                shift: 0,
                groups: 1,
            }),
            vec![out, oh, ow],
        )
    }

    /// A `k × k` convolution in `groups` channel groups (stride `stride`, padding `k / 2`).
    fn gconv(&mut self, out: usize, k: usize, groups: usize, stride: usize) -> usize {
        let [c, h, w] = self.shape[..] else {
            unreachable!()
        };
        let pad = k / 2;
        let (weights, bias) = (self.weights(out * (c / groups) * k * k), self.biases(out));
        let (oh, ow) = (
            (h + 2 * pad - k) / stride + 1,
            (w + 2 * pad - k) / stride + 1,
        );
        self.push(
            Layer::Conv2d(Conv2d {
                input: None,
                in_channels: c,
                out_channels: out,
                kernel: [k, k],
                stride,
                padding: pad,
                weights,
                bias,
                shift: 0,
                groups,
            }),
            vec![out, oh, ow],
        )
    }

    fn dense(&mut self, out: usize) -> usize {
        let n = self.shape[0];
        let (weights, bias) = (self.weights(out * n), self.biases(out));
        self.push(
            Layer::Dense(Dense {
                input: None,
                in_features: n,
                out_features: out,
                weights,
                bias,
                shift: 0,
            }),
            vec![out],
        )
    }

    fn relu(&mut self) -> usize {
        let s = self.shape.clone();
        self.push(Layer::RELU, s)
    }

    /// An activation by lookup: one of six functions, picked by `pick`.
    fn act(&mut self, pick: u64) -> usize {
        let (a, b) = (4, 5);
        let function = [
            Function::Sigmoid {
                in_frac_bits: a,
                out_frac_bits: b,
            },
            Function::Tanh {
                in_frac_bits: a,
                out_frac_bits: b,
            },
            Function::Clip { min: -20, max: 40 },
            Function::LeakyRelu { alpha: 6554 },
            Function::HardSwish {
                in_frac_bits: a,
                out_frac_bits: b,
            },
            Function::Gelu {
                in_frac_bits: a,
                out_frac_bits: b,
            },
        ][pick as usize % 6]
            .clone();
        let s = self.shape.clone();
        self.push(
            Layer::Activation(Activation {
                function,
                input: None,
            }),
            s,
        )
    }

    fn maxpool(&mut self) -> usize {
        let [c, h, w] = self.shape[..] else {
            unreachable!()
        };
        self.push(
            Layer::MaxPool2d(MaxPool2d::new(2, 2)),
            vec![c, h / 2, w / 2],
        )
    }

    /// A max-pool of any window (the window protocol unless it is 2×2/2 on even sides).
    fn maxpool_window(
        &mut self,
        size: usize,
        stride: usize,
        padding: usize,
        ceil_mode: bool,
    ) -> usize {
        let [c, h, w] = self.shape[..] else {
            unreachable!()
        };
        let m = MaxPool2d {
            input: None,
            size,
            stride,
            padding,
            ceil_mode,
        };
        let shape = vec![c, m.output(h).unwrap(), m.output(w).unwrap()];
        self.push(Layer::MaxPool2d(m), shape)
    }

    fn avgpool(&mut self) -> usize {
        let [c, h, w] = self.shape[..] else {
            unreachable!()
        };
        self.push(
            Layer::AvgPool2d(AvgPool2d {
                divisor: 1,
                input: None,
                size: 2,
                stride: 2,
                shift: 0,
            }),
            vec![c, h / 2, w / 2],
        )
    }

    fn flatten(&mut self) -> usize {
        let n = self.shape.iter().product();
        self.push(Layer::FLATTEN, vec![n])
    }

    fn add(&mut self, from: usize) -> usize {
        let s = self.shape.clone();
        self.push(
            Layer::Add(Add {
                input: None,
                from,
                shift: 0,
            }),
            s,
        )
    }

    /// The element-wise product of the current tensor and layer `from`'s output (same shape).
    fn mul(&mut self, from: usize) -> usize {
        let s = self.shape.clone();
        self.push(
            Layer::Mul(zkcnn::model::Mul {
                input: None,
                from,
                shift: 0,
            }),
            s,
        )
    }

    /// Squeeze-and-excitation's product: a global average pool of the current `[c, h, h]`
    /// tensor (layer `x`'s output), a 1×1 conv of it (`[c, 1, 1]`), then `x`'s output times
    /// that per channel.
    fn mul_channels(&mut self, x: usize) -> usize {
        let [c, h, w] = self.shape[..] else {
            unreachable!()
        };
        self.push(
            Layer::AvgPool2d(AvgPool2d {
                divisor: 1,
                input: None,
                size: h,
                stride: h,
                shift: 0,
            }),
            vec![c, 1, 1],
        );
        let scale = self.conv(c, 1);
        self.push(
            Layer::Mul(zkcnn::model::Mul {
                input: Some(x + 1),
                from: scale,
                shift: 0,
            }),
            vec![c, h, w],
        )
    }

    /// The model, shifts calibrated on seeded inputs.
    fn finish(mut self, input: Vec<usize>) -> Model {
        let mut m = Model {
            name: "soundness".into(),
            input_shape: input,
            activation_bits: 8,
            weight_bits: self.weight_bits,
            layers: std::mem::take(&mut self.layers),
            quantization: None,
            saturate: false,
            bias_bits: 32,
        };
        let samples: Vec<_> = (0..4)
            .map(|i| zoo::random_input(&m.input_shape, 8, 1000 + i))
            .collect();
        zoo::calibrate_shifts(&mut m, &samples).unwrap();
        m
    }
}

/// The step kinds a pair's first kind can be built as, and its output's rank.
const FIRSTS: [(Kind, usize); 13] = [
    (Kind::Conv, 3),
    (Kind::AvgPool, 3),
    (Kind::MaxPool, 3),
    (Kind::Add, 3),
    (Kind::Relu, 3),
    (Kind::FusedRelu, 3),
    (Kind::Dense, 1),
    (Kind::Flatten, 1),
    (Kind::Add, 1),
    (Kind::Relu, 1),
    (Kind::FusedRelu, 1),
    (Kind::MaxPoolWindow, 3),
    (Kind::GroupedConv, 3),
];

/// What may follow a tensor of rank 3 or 1 (a ReLU becomes fused or standalone as the plan
/// decides).
fn seconds(rank: usize) -> Vec<&'static str> {
    if rank == 3 {
        vec![
            "conv", "avgpool", "maxpool", "add", "relu", "flatten", "maxpoolw", "dwconv",
        ]
    } else {
        vec!["dense", "add", "relu", "flatten"]
    }
}

/// A model in which a layer of kind `first` (built as the given rank) is read directly by a
/// layer `second`, then (if `tail`) a flatten and a dense layer. Input `[3, 12, 12]`: channels and
/// sides padded, so every tensor has padded entries.
/// Returns the model and the first layer's index.
fn pair_model(
    first: (Kind, usize),
    second: &str,
    tail: bool,
    seed: u64,
    wbits: u32,
) -> (Model, usize) {
    let input = vec![3, 12, 12];
    let mut b = Builder::new(seed, input.clone(), wbits);
    let a = match first {
        (Kind::Conv, _) => b.conv(4, 3),
        // Depthwise with two outputs per channel (3 groups of 1 → 2), stride 2.
        (Kind::GroupedConv, _) => b.gconv(6, 3, 3, 2),
        (Kind::AvgPool, _) => b.avgpool(),
        (Kind::MaxPool, _) => b.maxpool(),
        // ResNet's stem: 3×3, stride 2, padding 1.
        (Kind::MaxPoolWindow, _) => b.maxpool_window(3, 2, 1, false),
        (Kind::Add, 3) => {
            b.conv(3, 3);
            let r = b.relu();
            b.conv(3, 1);
            b.add(r)
        }
        (Kind::Relu, 3) => b.relu(),
        (Kind::FusedRelu, 3) => {
            b.conv(5, 3);
            b.relu()
        }
        (Kind::Dense, _) => {
            b.flatten();
            b.dense(12)
        }
        (Kind::Flatten, _) => b.flatten(),
        (Kind::Add, _) => {
            b.flatten();
            b.dense(10);
            let r = b.relu();
            b.dense(10);
            b.add(r)
        }
        (Kind::Relu, _) => {
            b.flatten();
            b.relu()
        }
        (Kind::FusedRelu, _) => {
            b.flatten();
            b.dense(9);
            b.relu()
        }
        (Kind::Concat, _) => unreachable!("built by the DAG models"),
        (Kind::Mul, _) => unreachable!("built in tests/suite/mul.rs"),
        (Kind::Activation, 3) => {
            b.conv(4, 3);
            b.act(seed)
        }
        (Kind::Activation, _) => {
            b.flatten();
            b.dense(12);
            b.act(seed)
        }
    };
    match second {
        "conv" => b.conv(2, 2),
        // MobileNet's depthwise 3×3, padding 1.
        "dwconv" => {
            let c = b.shape[0];
            b.gconv(c, 3, c, 1)
        }
        "avgpool" => b.avgpool(),
        "maxpool" => b.maxpool(),
        // GoogLeNet's: 3×3, stride 2, ceil mode (odd sides after a stem: a partial window).
        "maxpoolw" => b.maxpool_window(3, 2, 0, true),
        "add" => b.add(a),
        "relu" => b.relu(),
        "flatten" => b.flatten(),
        "dense" => b.dense(7),
        "act" => b.act(seed / 3),
        _ => unreachable!(),
    };
    if tail {
        if b.shape.len() == 3 {
            b.flatten();
        }
        b.dense(5);
    }
    (b.finish(input), a)
}

/// Every (first, second) model, both with and without a tail, on a few seeds.
fn pair_models() -> Vec<(Kind, Kind, Model)> {
    pair_models_at()
        .into_iter()
        .map(|(a, b, model, _)| (a, b, model))
        .collect()
}

/// [`pair_models`] with the first layer's index.
fn pair_models_at() -> Vec<(Kind, Kind, Model, usize)> {
    let mut out = Vec::new();
    for (i, &first) in FIRSTS.iter().enumerate() {
        for (j, second) in seconds(first.1).into_iter().enumerate() {
            let seed = (i * 16 + j) as u64;
            let wbits = [8, 5, 3][(i + j) % 3];
            let (model, a) = pair_model(first, second, (i + j) % 2 == 0, seed, wbits);
            let plan = Plan::new(&model).unwrap();
            let (ka, kb) = (kind(&plan.steps[a]), kind(&plan.steps[a + 1]));
            assert_eq!(ka, first.0, "{first:?} → {second}: built as {ka:?}");
            out.push((ka, kb, model, a));
        }
    }
    out
}

/// Pairs with an activation by lookup (transparent proofs only, so apart from
/// [`pair_models_at`], which the zero-knowledge sweeps share): an activation after a
/// convolution and after a dense layer, followed by every kind that can read it and by another
/// activation; and every first kind of [`FIRSTS`] followed by an activation, but a flatten
/// (the lookup reads committed tensors only).
fn activation_pair_models() -> Vec<(Kind, Kind, Model)> {
    let mut out = Vec::new();
    let mut push = |first: (Kind, usize), second: &str, i: usize| {
        let seed = 500 + i as u64;
        let (model, a) = pair_model(first, second, i.is_multiple_of(2), seed, [8, 5, 3][i % 3]);
        let plan = Plan::new(&model).unwrap();
        let (ka, kb) = (kind(&plan.steps[a]), kind(&plan.steps[a + 1]));
        assert_eq!(ka, first.0, "{first:?} → {second}: built as {ka:?}");
        out.push((ka, kb, model));
    };
    let mut i = 0;
    for rank in [3, 1] {
        for second in seconds(rank).into_iter().chain(["act"]) {
            push((Kind::Activation, rank), second, i);
            i += 1;
        }
    }
    for &first in FIRSTS.iter().filter(|f| f.0 != Kind::Flatten) {
        push(first, "act", i);
        i += 1;
    }
    out
}

/// Models with an element-wise product (apart from [`pair_models_at`], which the other
/// zero-knowledge sweeps share; [`zk_mul_pairs_reject_edits`] takes a sample in zero
/// knowledge): every first kind of [`FIRSTS`] times an earlier tensor of its shape (the first kind's input for a rank-preserving kind, a
/// ReLU of itself otherwise) and per channel (rank 3), and a product followed by every kind
/// that can read it. The pair is (the product's, its reader's) or (the first kind's, the
/// product's).
fn mul_pair_models() -> Vec<(Kind, Kind, Model)> {
    let mut out = Vec::new();
    // `times`: the pair is (layer `a`'s kind, Mul), the product reading `a`'s output a step
    // or three later; else (the product's kind, the next step's).
    let mut push = |i: usize, times: bool, build: &dyn Fn(&mut Builder) -> usize| {
        let seed = 700 + i as u64;
        let input = vec![3, 12, 12];
        let mut b = Builder::new(seed, input.clone(), [8, 5, 3][i % 3]);
        let a = build(&mut b);
        if i.is_multiple_of(2) {
            if b.shape.len() == 3 {
                b.flatten();
            }
            b.dense(5);
        }
        let model = b.finish(input);
        let plan = Plan::new(&model).unwrap();
        let ka = kind(&plan.steps[a]);
        let kb = if times {
            Kind::Mul
        } else {
            kind(&plan.steps[a + 1])
        };
        out.push((ka, kb, model));
    };
    let mut i = 0;
    // Every first kind, then a product of its output and a ReLU of it (same shape), and for
    // rank 3 per channel.
    for &first in FIRSTS.iter() {
        push(i, true, &|b: &mut Builder| {
            let (model, a) = pair_model(first, "relu", false, 700 + i as u64, b.weight_bits);
            b.layers = model.layers[..=a].to_vec();
            b.shape = model.validate().unwrap()[a].clone();
            b.relu();
            b.mul(a);
            a
        });
        i += 1;
        if first.1 == 3 {
            push(i, true, &|b: &mut Builder| {
                let (model, a) = pair_model(first, "relu", false, 700 + i as u64, b.weight_bits);
                b.layers = model.layers[..=a].to_vec();
                b.shape = model.validate().unwrap()[a].clone();
                b.mul_channels(a);
                a
            });
            i += 1;
        }
    }
    // A product (per channel) followed by every kind that can read it.
    for second in seconds(3) {
        push(i, false, &|b: &mut Builder| {
            let x = b.conv(4, 3);
            let m = b.mul_channels(x);
            match second {
                "conv" => b.conv(2, 2),
                "dwconv" => {
                    let c = b.shape[0];
                    b.gconv(c, 3, c, 1)
                }
                "avgpool" => b.avgpool(),
                "maxpool" => b.maxpool(),
                "maxpoolw" => b.maxpool_window(3, 2, 0, true),
                "add" => b.add(x),
                "relu" => b.relu(),
                "flatten" => b.flatten(),
                _ => unreachable!(),
            };
            m
        });
        i += 1;
    }
    out
}

/// The pairs with a product that [`mul_pair_models`] must cover.
const MUL_PAIRS: [(Kind, Kind); 13] = [
    (Kind::Conv, Kind::Mul),
    (Kind::GroupedConv, Kind::Mul),
    (Kind::Dense, Kind::Mul),
    (Kind::MaxPool, Kind::Mul),
    (Kind::Add, Kind::Mul),
    (Kind::Flatten, Kind::Mul),
    (Kind::Mul, Kind::Conv),
    (Kind::Mul, Kind::MaxPool),
    (Kind::Mul, Kind::MaxPoolWindow),
    (Kind::Mul, Kind::AvgPool),
    (Kind::Mul, Kind::Add),
    (Kind::Mul, Kind::FusedRelu),
    (Kind::Mul, Kind::Flatten),
];

/// Every model with a product rejects every single-entry edit of every advice part and derived
/// output, real and padded positions, and of the multiplicities (as [`every_edit_is_caught`]
/// does for the other kinds); Goldilocks, and BN254 on every fifth model.
#[test]
fn mul_pairs_reject_every_edit() {
    let models = mul_pair_models();
    let pairs: BTreeSet<(Kind, Kind)> = models.iter().map(|(a, b, _)| (*a, *b)).collect();
    for p in MUL_PAIRS {
        assert!(pairs.contains(&p), "{p:?} not covered: {pairs:?}");
    }
    let mut tried = 0;
    for (i, (_, _, model)) in models.iter().enumerate() {
        tried += if i % 5 == 4 {
            every_edit_is_caught::<Bn254Fr, Bn254Fr>(model, i as u64)
        } else {
            every_edit_is_caught::<G, G2>(model, i as u64)
        };
    }
    eprintln!("{tried} cheating proofs");
    assert!(tried > 500, "{tried} cheating proofs");
}

/// A committed model, its checked commitment and an input.
struct Setup<F: BaseField + FftField, E: ExtField<F>> {
    model: Model,
    committed: network::CommittedModel<F, E>,
    checked: network::CheckedCommitment,
    input: ndarray::ArrayD<i64>,
}

fn setup<F: BaseField + FftField, E: ExtField<F>>(model: &Model, seed: u64) -> Setup<F, E> {
    let committed = network::commit_model::<F, E>(model).unwrap();
    let checked = committed.public.check(&model.architecture()).unwrap();
    // One of the inputs the shifts were calibrated on (another could overflow).
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 1000 + seed % 4);
    Setup {
        model: model.clone(),
        committed,
        checked,
        input,
    }
}

impl<F: BaseField + FftField, E: ExtField<F>> Setup<F, E> {
    /// Proves with `edit` applied after layer `layer`; verifies the resulting statement.
    fn cheat(
        &self,
        layer: usize,
        mut edit: impl FnMut(WitnessMut<'_, F>),
        mut multiplicities: impl FnMut(&mut [F]),
    ) -> (Vec<i64>, Result<(), VerifyError>) {
        let (out, proof) = cheat::prove_edited::<F, E>(
            &self.model,
            &self.committed,
            &self.input,
            ConvPolicy::CostModel,
            |l, w| {
                if l == layer {
                    edit(w)
                }
            },
            &mut multiplicities,
        )
        .unwrap();
        let x: Vec<i64> = self.input.iter().copied().collect();
        let y: Vec<i64> = out.iter().copied().collect();
        let verdict = network::verify(&self.model.architecture(), &self.checked, &x, &y, &proof);
        (y, verdict)
    }

    /// The honest output, after checking that the honest proof verifies.
    fn honest_output(&self) -> Vec<i64> {
        let (out, proof) =
            network::prove::<F, E>(&self.model, &self.committed, &self.input).unwrap();
        let x: Vec<i64> = self.input.iter().copied().collect();
        let y: Vec<i64> = out.iter().copied().collect();
        network::verify(&self.model.architecture(), &self.checked, &x, &y, &proof).unwrap();
        y
    }
}

/// The advice segments a layer's step owns, with names.
fn parts(plan: &Plan, l: usize) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    if let Some(r) = plan.requant_of(l) {
        out.push(("y".into(), r.y));
        out.push(("n".into(), r.n));
        for (j, &(seg, _)) in r.limbs.iter().enumerate() {
            out.push((format!("limb{j}"), seg));
        }
        // A saturating requantization's overflow limbs (`spec/requant-relu.md`).
        if let Some(o) = &r.overflow {
            for (j, (&hi, &lo)) in o.hi.iter().zip(&o.lo).enumerate() {
                out.push((format!("hi{j}"), hi));
                out.push((format!("lo{j}"), lo));
            }
        }
    }
    if let Step::MaxPool(MaxPool2x2 { segs }) = &plan.steps[l] {
        for (name, &s) in ["m1", "m2", "out"].iter().zip(segs) {
            out.push((name.to_string(), s));
        }
    }
    if let Step::Activation(zkcnn::layers::activation::Activation { y, .. }) = &plan.steps[l] {
        out.push(("y".into(), *y));
    }
    if let Step::Concat(zkcnn::layers::concat::Concat { copy: Some(s), .. }) = &plan.steps[l] {
        out.push(("copy".into(), *s));
    }
    if let Step::MaxPoolWindow(zkcnn::layers::maxpool::MaxPoolWindow { segs, .. }) = &plan.steps[l]
    {
        for (i, &s) in segs.iter().enumerate() {
            out.push((format!("w{i}"), s));
        }
    }
    out
}

/// Positions to edit in a tensor of `dims`: a real entry at an odd row and column (3-D), one
/// at an even row and column or the last real entry, and a padded entry if there is one.
/// (A `[c, 1, 1]` tensor, which has no odd row, takes a random and the last real entry.)
fn positions(dims: &zkcnn::layers::Dims, rng: &mut StdRng) -> Vec<usize> {
    let mut out = Vec::new();
    let grid = match dims.shape[..] {
        [c, h, w] if h >= 2 && w >= 2 => Some((c, h, w)),
        _ => None,
    };
    if let Some((c, h, w)) = grid {
        let odd = |rng: &mut StdRng, n: usize| 2 * rng.gen_range(0..n / 2) + 1;
        let even = |rng: &mut StdRng, n: usize| 2 * rng.gen_range(0..n.div_ceil(2));
        let at = [rng.gen_range(0..c), odd(rng, h), odd(rng, w)];
        out.push(dims.index(&at));
        let at = [rng.gen_range(0..c), even(rng, h), even(rng, w)];
        out.push(dims.index(&at));
    } else {
        out.push(dims.padded_index(rng.gen_range(0..dims.logical_len())));
        out.push(dims.padded_index(dims.logical_len() - 1));
    }
    let real: BTreeSet<usize> = (0..dims.logical_len())
        .map(|f| dims.padded_index(f))
        .collect();
    let padded: Vec<usize> = (0..dims.len()).filter(|i| !real.contains(i)).collect();
    if !padded.is_empty() {
        out.push(padded[rng.gen_range(0..padded.len())]);
    }
    out
}

/// Every single-entry edit of every advice part, and of every derived (flatten) output, at
/// real and padded positions, is rejected at its layer; so is every edit of the
/// multiplicities. Returns the number of cheating proofs tried.
fn every_edit_is_caught<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    seed: u64,
) -> usize {
    let s = setup::<F, E>(model, seed);
    let plan = Plan::new(model).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let honest = s.honest_output();
    let mut tried = 0;
    for l in 0..plan.steps.len() {
        let dims = &plan.dims[l + 1];
        let mut targets: Vec<(String, Option<usize>)> = parts(&plan, l)
            .into_iter()
            .map(|(n, s)| (n, Some(s)))
            .collect();
        if plan.sources[l + 1] == Source::Derived {
            targets.push(("output".into(), None));
        }
        for (name, seg) in targets {
            let mut at = positions(dims, &mut rng);
            if name.starts_with("limb") {
                // A remainder limb enters the same relation as y and n: one position.
                let k = rng.gen_range(0..at.len());
                at = vec![at[k]];
            }
            for pos in at {
                let mut delta = [1i64, -1, 2, 5][rng.gen_range(0..4)];
                let (y, verdict) = s.cheat(
                    l,
                    |w| {
                        // Keep the layer's output in the activation range, so the layers
                        // after it run on exactly the edited values.
                        // (An edit of `n` moves the output the other way; a saturated
                        // output sits at the range's end.)
                        let v = w.tensors[l + 1][pos];
                        if v.abs() > 100 {
                            let toward = if name == "n" { 1 } else { -1 };
                            delta = toward * v.signum() * delta.abs();
                        }
                        match seg {
                            Some(seg) => w.advice[seg][pos] += from_i64::<F>(delta),
                            None => w.tensors[l + 1][pos] += delta,
                        }
                    },
                    |_| {},
                );
                tried += 1;
                let padded = (0..dims.logical_len()).all(|f| dims.padded_index(f) != pos);
                let maxima = ["m1", "m2", "out"].contains(&name.as_str()) || name.starts_with('w');
                // A derived (uncommitted) entry that no check reads: a DAG's dead tensor, or a
                // padded entry of a concatenation that only flattens read (a flatten reads real
                // positions only). Its edit changes nothing the verifier sees: the proof is of
                // the honest computation. (Never a chain's: a flatten's output is read by a
                // dense layer, padding included.)
                let readers: Vec<&Step> = (0..plan.steps.len())
                    .filter(|&k| plan.inputs[k].contains(&(l + 1)))
                    .map(|k| &plan.steps[k])
                    .collect();
                let unread = seg.is_none()
                    && y == honest
                    && ((readers.is_empty() && l + 2 != plan.dims.len())
                        || (padded && readers.iter().all(|s| matches!(s, Step::Flatten(_)))));
                match verdict {
                    Ok(()) if unread => {}
                    // A real entry: everything after it was recomputed from it, so the first
                    // check that fails (from the output back) is this layer's.
                    Err(VerifyError::Layer { layer, .. }) if layer == l => {}
                    // A maximum moved onto the other candidate: `(z − a)(z − b) = 0` still
                    // holds, and the range check of `z − a`, `z − b` catches it.
                    Err(VerifyError::Range(_)) if maxima => {}
                    // An activation's output: its step proves nothing (y is committed), the
                    // lookup of (x, y) in the function's table catches it, or y's range column
                    // first (a negative padded entry: `y ∈ [0, 2^B)` on the padding).
                    Err(VerifyError::Lookup(_) | VerifyError::Range(_))
                        if matches!(plan.steps[l], Step::Activation(_)) => {}
                    // A padded entry: later layers that read padded entries (add, ReLU,
                    // pooling over padded channels) carry it on in their own padding, where
                    // their relations, or the output's zero padding, catch it first.
                    Err(VerifyError::Layer { layer, .. }) if padded && layer > l => {}
                    Err(VerifyError::Output) if padded => {}
                    other => panic!(
                        "layer {l} ({:?}) {name}[{pos}] += {delta}: {other:?} (output {} the honest one)",
                        kind(&plan.steps[l]),
                        if y == honest { "is" } else { "differs from" }
                    ),
                }
            }
        }
    }
    // The range multiplicities: one count moved.
    let m = 1 << model.activation_bits;
    for _ in 0..2 {
        let (t, u) = (rng.gen_range(0..m), rng.gen_range(0..m));
        let (_, verdict) = s.cheat(
            usize::MAX,
            |_| {},
            |ms| {
                ms[t] -= F::ONE;
                ms[u] += F::ONE + F::ONE;
            },
        );
        tried += 1;
        assert!(matches!(verdict, Err(VerifyError::Range(_))), "{verdict:?}");
    }
    tried
}

/// Every ordered pair of layer kinds (the second reading the first's output directly) is
/// covered, and every single-entry edit of every layer's witness is rejected at that layer.
#[test]
fn every_pair_of_layer_kinds_rejects_every_edit() {
    let models = pair_models();
    let pairs: BTreeSet<(Kind, Kind)> = models.iter().map(|(a, b, _)| (*a, *b)).collect();
    // The pairs the issue names, among the rest.
    for p in [
        (Kind::Conv, Kind::MaxPool),
        (Kind::Relu, Kind::MaxPool),
        (Kind::Add, Kind::MaxPool),
        (Kind::AvgPool, Kind::MaxPool),
        (Kind::MaxPool, Kind::Add),
        (Kind::Flatten, Kind::Dense),
        (Kind::FusedRelu, Kind::MaxPool),
        (Kind::MaxPool, Kind::Relu),
        (Kind::Conv, Kind::FusedRelu),
        (Kind::Dense, Kind::FusedRelu),
        (Kind::GroupedConv, Kind::GroupedConv),
        (Kind::MaxPool, Kind::GroupedConv),
    ] {
        assert!(pairs.contains(&p), "{p:?} not covered");
    }
    // Every kind is followed by every kind that can read its output.
    let all = [
        Kind::Conv,
        Kind::GroupedConv,
        Kind::Dense,
        Kind::AvgPool,
        Kind::Add,
        Kind::Relu,
        Kind::FusedRelu,
        Kind::MaxPool,
        Kind::MaxPoolWindow,
        Kind::Flatten,
    ];
    for a in all {
        let followers: BTreeSet<Kind> = pairs
            .iter()
            .filter(|(x, _)| *x == a)
            .map(|(_, b)| *b)
            .collect();
        assert!(
            followers.len() >= 4,
            "{a:?} is followed only by {followers:?}"
        );
    }
    let mut tried = 0;
    for (i, (_, _, model)) in models.iter().enumerate() {
        tried += every_edit_is_caught::<G, G2>(model, i as u64);
    }
    eprintln!("{tried} cheating proofs");
    assert!(tried > 1000, "{tried} cheating proofs");
}

/// Every pair with an activation by lookup rejects every single-entry edit: of the
/// activation's output `y` (real and padded entries: the lookup, or a later layer's relation
/// for a padded entry carried on), of its input `x` (the producer's witness, with the
/// activation recomputed honestly from the edited `x`: the producer's relation), and of the
/// range multiplicities; Goldilocks, and BN254 on every fifth model. Returns the number of
/// cheating proofs. `keep(i, pair)` samples the models.
fn activation_pair_sweep(keep: impl Fn(usize, (Kind, Kind)) -> bool) -> usize {
    let models = activation_pair_models();
    let pairs: BTreeSet<(Kind, Kind)> = models.iter().map(|(a, b, _)| (*a, *b)).collect();
    for p in ACTIVATION_PAIRS {
        assert!(pairs.contains(&p), "{p:?} not covered");
    }
    let mut tried = 0;
    for (i, (a, b, model)) in models.iter().enumerate() {
        if !keep(i, (*a, *b)) {
            continue;
        }
        tried += if i % 5 == 4 {
            every_edit_is_caught::<Bn254Fr, Bn254Fr>(model, i as u64)
        } else {
            every_edit_is_caught::<G, G2>(model, i as u64)
        };
    }
    tried
}

/// The pairs with an activation that the sweep's sample always covers.
const ACTIVATION_PAIRS: [(Kind, Kind); 9] = [
    (Kind::Conv, Kind::Activation),
    (Kind::FusedRelu, Kind::Activation),
    (Kind::MaxPool, Kind::Activation),
    (Kind::Add, Kind::Activation),
    (Kind::Activation, Kind::MaxPool),
    (Kind::Activation, Kind::Add),
    (Kind::Activation, Kind::Activation),
    (Kind::Activation, Kind::Dense),
    (Kind::Activation, Kind::Flatten),
];

/// [`activation_pair_sweep`] on a sample (CI): the models of [`ACTIVATION_PAIRS`] and every
/// third other one. The whole sweep is the ignored
/// [`activation_pairs_reject_every_edit_all`] (13 s in the test profile).
#[test]
fn activation_pairs_reject_every_edit() {
    let tried = activation_pair_sweep(|i, p| ACTIVATION_PAIRS.contains(&p) || i % 3 == 0);
    eprintln!("{tried} cheating proofs");
    assert!(tried > 150, "{tried} cheating proofs");
}

/// Every model of [`activation_pair_models`].
#[test]
#[ignore]
fn activation_pairs_reject_every_edit_all() {
    let tried = activation_pair_sweep(|_, _| true);
    eprintln!("{tried} cheating proofs");
    assert!(tried > 500, "{tried} cheating proofs");
}

/// The same on BN254's scalar field, on a sample of the pairs.
/// Saturating models (every requantizing kind, shifts small enough that outputs clip high and
/// low): every single-entry edit, the overflow limbs' included, is rejected at its layer.
#[test]
fn saturating_models_reject_every_edit() {
    let mut b = Builder::new(61, vec![2, 6, 6], 8);
    let c = b.conv(3, 3);
    b.add(c);
    b.relu();
    b.avgpool();
    b.flatten();
    b.dense(5);
    let mut model = b.finish(vec![2, 6, 6]);
    model.saturate = true;
    for layer in model.layers.iter_mut() {
        match layer {
            Layer::Conv2d(c) => c.shift = c.shift.saturating_sub(3),
            Layer::Dense(d) => d.shift = d.shift.saturating_sub(3),
            Layer::Add(a) => a.shift = 0,
            Layer::AvgPool2d(a) => a.shift = a.shift.saturating_sub(1),
            _ => {}
        }
    }
    let plan = Plan::new(&model).unwrap();
    assert!((0..plan.steps.len()).any(|l| plan.requant_of(l).is_some_and(|r| r.overflow.is_some())));
    assert!(every_edit_is_caught::<G, G2>(&model, 61) > 0);
    assert!(every_edit_is_caught::<Bn254Fr, Bn254Fr>(&model, 62) > 0);
}

#[test]
fn edits_are_caught_on_bn254() {
    for (i, (_, _, model)) in pair_models().iter().enumerate().skip(3).step_by(11) {
        every_edit_is_caught::<Bn254Fr, Bn254Fr>(model, i as u64);
    }
}

/// A range table wider than the activations (`T > B`, `spec/requant-relu.md`, "Range table"):
/// every relation kept, one range column left as the only guard, on both fields.
///
/// 1. A remainder limb narrower than the table (`w = s < T`) made `2^s` too large to pay for a
///    `y` one smaller: the limb is still below `2^T`; only its second column `2^{T−s}·limb`
///    catches it.
/// 2. An activation's output raised by `2^B`: its lookup entry reads as the next function's
///    entry at the same input (functions 0 and 1 agree there) and `y + 2^{B−1}` is still below
///    `2^T`; only the second column `2^{T−B}·(y + 2^{B−1})` catches it. (A residual add with a
///    wide shift reads it, so that the output stays in range.)
#[test]
fn a_wider_range_table_keeps_narrow_limbs_and_activations_in_range() {
    fn run<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
        // conv (a shift beyond B = 8 sets T), conv with a smaller shift, three activations
        // (tags 0, 1, 0: Clip[0, 48], Clip[0, 60], Clip[0, 48]), plus the second conv's output.
        let mut b = Builder::new(seed, vec![2, 6, 6], 8);
        b.conv(3, 3);
        b.conv(2, 1);
        for max in [48, 60, 48] {
            let s = b.shape.clone();
            b.push(
                Layer::Activation(Activation {
                    function: Function::Clip { min: 0, max },
                    input: None,
                }),
                s,
            );
        }
        let s = b.shape.clone();
        b.push(
            Layer::Add(Add {
                from: 1,
                shift: 0,
                input: None,
            }),
            s,
        );
        let mut model = b.finish(vec![2, 6, 6]);
        // The add's outputs small: an input raised by 2^8 moves them by at most 1.
        if let Layer::Add(a) = &mut model.layers[5] {
            a.shift = 9;
        }
        // The second conv's shift below the first's, and above 0.
        let (s0, s1) = (model.layers[0].shift(), model.layers[1].shift());
        if let (Some(s0), Some(s1), Layer::Conv2d(c)) = (s0, s1, &mut model.layers[1]) {
            if s1 >= s0 {
                c.shift = s0 - 2;
            }
        }
        let plan = Plan::new(&model).unwrap();
        let t = plan.table_bits;
        assert!(t > 8, "the first conv's shift sets T: {t}");
        let s = setup::<F, E>(&model, seed);
        s.honest_output();
        // 1. The second conv's remainder: one limb of width s < T.
        let r = plan.requant_of(1).unwrap().clone();
        assert_eq!(r.limbs.len(), 1);
        assert!(r.limbs[0].1 < t && r.shift > 0, "{r:?} at T = {t}");
        let (_, verdict) = s.cheat(
            1,
            |w| {
                let dims = &w.plan.dims[2];
                let pos = (0..dims.logical_len())
                    .map(|f| dims.padded_index(f))
                    .find(|&i| w.tensors[2][i] >= 1)
                    .expect("a positive output");
                w.advice[r.y][pos] -= from_i64::<F>(1);
                w.advice[r.limbs[0].0][pos] += from_i64::<F>(1 << r.shift);
            },
            |_| {},
        );
        assert!(matches!(verdict, Err(VerifyError::Range(_))), "{verdict:?}");
        // 2. The last activation (tag 0) raised by 2^B where its input is at most 48.
        let Step::Activation(zkcnn::layers::activation::Activation { y, tag: 0 }) = plan.steps[4]
        else {
            unreachable!("layer 4 is the second use of function 0")
        };
        let (_, verdict) = s.cheat(
            4,
            |w| {
                let dims = &w.plan.dims[5];
                let pos = (0..dims.logical_len())
                    .map(|f| dims.padded_index(f))
                    .find(|&i| (0..=48).contains(&w.tensors[4][i]))
                    .expect("an input the two clips agree on");
                w.advice[y][pos] += from_i64::<F>(1 << 8);
            },
            |_| {},
        );
        assert!(matches!(verdict, Err(VerifyError::Range(_))), "{verdict:?}");
    }
    run::<G, G2>(3);
    run::<Bn254Fr, Bn254Fr>(4);
}

/// Edits that keep every relation (`acc + 2^{s−1} = 2^s·(y − n) + rem`, `y·n = 0`,
/// `(z − a)(z − b) = 0`) but leave a range: the range check catches them.
#[test]
fn edits_that_keep_the_relations_are_caught_by_the_range_check() {
    // A remainder limb made negative to pay for a larger y.
    let (model, _) = pair_model((Kind::Conv, 3), "maxpool", true, 7, 8);
    let s = setup::<G, G2>(&model, 3);
    let plan = Plan::new(&model).unwrap();
    let r = plan.requant_of(0).unwrap().clone();
    assert!(r.shift > 0 && !r.limbs.is_empty());
    let (_, verdict) = s.cheat(
        0,
        |w| {
            // A real position where y ≥ 0 and n = 0, and y + 1 stays in range.
            let dims = &w.plan.dims[1];
            let pos = (0..dims.logical_len())
                .map(|f| dims.padded_index(f))
                .find(|&i| w.tensors[1][i] >= 0 && w.tensors[1][i] < 100)
                .unwrap();
            w.advice[r.y][pos] += from_i64::<G>(1);
            w.advice[r.limbs[0].0][pos] -= from_i64::<G>(1 << r.shift);
        },
        |_| {},
    );
    assert!(matches!(verdict, Err(VerifyError::Range(_))), "{verdict:?}");
    // A max-pool's first maximum moved onto the smaller candidate, the output recomputed.
    let (model, a) = pair_model((Kind::MaxPool, 3), "flatten", true, 8, 8);
    let s = setup::<G, G2>(&model, 4);
    let plan = Plan::new(&model).unwrap();
    let Step::MaxPool(MaxPool2x2 {
        segs: [m1, m2, out],
    }) = plan.steps[a]
    else {
        unreachable!()
    };
    let (y, verdict) = s.cheat(
        a,
        |w| {
            let n = w.advice[m1].len();
            let x = &w.tensors[a];
            let d = &w.plan.dims[a];
            // The first output whose top pair differs.
            let (q, lo) = (0..n)
                .find_map(|q| {
                    let (c, oy, ox) = (q >> 6, (q >> 3) & 7, q & 7);
                    let at = |dx: usize| x[d.index(&[c, 2 * oy, 2 * ox + dx])];
                    (c < 3 && oy < 6 && ox < 6 && at(0) != at(1)).then(|| (q, at(0).min(at(1))))
                })
                .unwrap();
            w.advice[m1][q] = from_i64::<G>(lo);
            let (a1, a2) = (w.advice[m1][q], w.advice[m2][q]);
            let max = if zkcnn::field::to_i64(a1) > zkcnn::field::to_i64(a2) {
                a1
            } else {
                a2
            };
            w.advice[out][q] = max;
        },
        |_| {},
    );
    let _ = y;
    assert!(matches!(verdict, Err(VerifyError::Range(_))), "{verdict:?}");
}

/// Flaw 1 of the review: a layer read by a 2×2 max-pool was checked only at the point the
/// max-pool embedded (lowest x and y coordinates fixed), so its entries at odd rows and columns
/// were free. A cheating prover raises one such entry of `layer`'s output (a real position,
/// `y` up by `delta`, `n` zero there) so that the max-pool takes it; the rest is honest.
fn raise_odd_entry(model: &Model, layer: usize, seed: u64) -> (Vec<i64>, Vec<i64>, VerifyError) {
    let s = setup::<G, G2>(model, seed);
    let honest = s.honest_output();
    let plan = Plan::new(model).unwrap();
    let r = plan.requant_of(layer).unwrap().clone();
    let dims = plan.dims[layer + 1].clone();
    let [c, h, w] = dims.shape[..] else {
        unreachable!()
    };
    let (y, verdict) = s.cheat(
        layer,
        |wit| {
            // The odd-row, odd-column entry with `n` zero of the window with the smallest
            // maximum, raised to 110: the max-pool now takes it.
            let t = &wit.tensors[layer + 1];
            let window_max = |ch: usize, y: usize, x: usize| {
                (0..4)
                    .map(|k| t[dims.index(&[ch, 2 * y + k / 2, 2 * x + k % 2])])
                    .max()
                    .unwrap()
            };
            let (ch, y, x) = (0..c)
                .flat_map(|ch| (0..h / 2).flat_map(move |y| (0..w / 2).map(move |x| (ch, y, x))))
                .filter(|&(ch, y, x)| {
                    wit.advice[r.n][dims.index(&[ch, 2 * y + 1, 2 * x + 1])] == Default::default()
                })
                .min_by_key(|&(ch, y, x)| window_max(ch, y, x))
                .unwrap();
            assert!(window_max(ch, y, x) < 100);
            let at = dims.index(&[ch, 2 * y + 1, 2 * x + 1]);
            let delta = 110 - t[at];
            wit.advice[r.y][at] += from_i64::<G>(delta);
        },
        |_| {},
    );
    (honest, y, verdict.unwrap_err())
}

#[test]
fn flaw1_relu_then_maxpool_is_checked_on_odd_rows_and_columns() {
    let mut b = Builder::new(41, vec![2, 8, 8], 8);
    b.relu();
    b.maxpool();
    b.flatten();
    b.dense(4);
    let model = b.finish(vec![2, 8, 8]);
    let (honest, y, err) = raise_odd_entry(&model, 0, 1);
    assert_ne!(honest, y, "the edit changes the output");
    assert!(
        matches!(err, VerifyError::Layer { layer: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn flaw1_conv_then_maxpool_is_checked_on_odd_rows_and_columns() {
    let mut b = Builder::new(42, vec![2, 8, 8], 8);
    b.conv(3, 3);
    b.maxpool();
    b.flatten();
    b.dense(4);
    let model = b.finish(vec![2, 8, 8]);
    let (honest, y, err) = raise_odd_entry(&model, 0, 2);
    assert_ne!(honest, y, "the edit changes the output");
    assert!(
        matches!(err, VerifyError::Layer { layer: 0, .. }),
        "{err:?}"
    );
}

/// The golden `every-kind` model: conv, ReLU, conv, Add (from the ReLU), max-pool, … The Add
/// (layer 3) feeds the max-pool, and the second conv (layer 2) feeds the Add.
#[test]
fn flaw1_every_kind_add_and_conv_are_checked_on_odd_rows_and_columns() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let model =
        Model::from_json(&std::fs::read_to_string(dir.join("every-kind.json")).unwrap()).unwrap();
    assert!(matches!(model.layers[3], Layer::Add(_)));
    assert!(matches!(model.layers[4], Layer::MaxPool2d(_)));
    let (honest, y, err) = raise_odd_entry(&model, 3, 3);
    assert_ne!(honest, y, "the edit changes the output");
    assert!(
        matches!(err, VerifyError::Layer { layer: 3, .. }),
        "{err:?}"
    );
    let (_, _, err) = raise_odd_entry(&model, 2, 4);
    assert!(
        matches!(err, VerifyError::Layer { layer: 2, .. }),
        "{err:?}"
    );
}

/// Flaw 2 of the review: nothing constrained the committed table. The review's case: under
/// `weight_bits = 2`, a commitment to the weight 100 verified `[1, 0] → [100, 0]`. Now the
/// commitment's check refuses it, and `verify` takes only a checked commitment.
#[test]
fn flaw2_an_out_of_range_weight_fails_the_commitment_check() {
    let model = Model {
        name: "flaw2".into(),
        input_shape: vec![2],
        activation_bits: 8,
        weight_bits: 2,
        layers: vec![Layer::Dense(Dense {
            input: None,
            in_features: 2,
            out_features: 2,
            weights: vec![1, 0, 0, 1],
            bias: vec![0, 0],
            shift: 0,
        })],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    let plan = Plan::new(&model).unwrap();
    let Step::Dense(zkcnn::layers::dense::Dense { weights, .. }) = plan.steps[0] else {
        unreachable!()
    };
    let at = plan.model_packing.offset(weights);
    let forged = cheat::commit_edited::<G, G2>(&model, |_, t| t[at] = from_i64(100)).unwrap();
    let err = forged.public.check(&model.architecture()).unwrap_err();
    assert!(matches!(err, CheckError::Range(_)), "{err:?}");
    // The same table with 1 in place of 100 is the honest commitment.
    let honest = cheat::commit_edited::<G, G2>(&model, |_, t| t[at] = from_i64(1)).unwrap();
    assert_eq!(
        honest.public,
        network::commit_model::<G, G2>(&model).unwrap().public
    );
    honest.public.check(&model.architecture()).unwrap();
}

/// A committed weight of one group changed within its range (a commitment to another model,
/// which passes the commitment's check), the witness computed with the original weights: the
/// proof is rejected at the convolution, for each group of a depthwise and of a two-group
/// convolution.
fn a_changed_weight_of_one_group_is_caught<F: BaseField + FftField, E: ExtField<F>>() {
    let mut b = Builder::new(21, vec![4, 7, 7], 8);
    let depthwise = b.gconv(4, 3, 4, 1);
    b.relu();
    let two = b.gconv(4, 3, 2, 2);
    b.flatten();
    b.dense(3);
    let model = b.finish(vec![4, 7, 7]);
    let plan = Plan::new(&model).unwrap();
    let arch = model.architecture();
    let x = zoo::random_input(&model.input_shape, model.activation_bits, 1000);
    let xs: Vec<i64> = x.iter().copied().collect();
    for l in [depthwise, two] {
        let (Step::Conv(zkcnn::layers::conv::Conv { kernel, .. }), Layer::Conv2d(c)) =
            (&plan.steps[l], &model.layers[l])
        else {
            unreachable!()
        };
        assert!(c.groups > 1);
        // The centre tap (dy = dx = 1) of the first output channel of every group.
        let seg = kernel[4];
        let cols = plan.model_segs[seg].col_vars;
        for g in 0..c.groups {
            let o = g * c.group_out();
            let w = c.weights[(o * c.group_in()) * 9 + 4];
            let at = plan.model_packing.offset(seg) + (o << cols);
            let changed = if w < 100 { w + 1 } else { w - 1 };
            let edited = cheat::commit_edited::<F, E>(&model, |_, t| {
                assert_eq!(t[at], from_i64::<F>(w), "the entry is the weight");
                t[at] = from_i64(changed)
            })
            .unwrap();
            let checked = edited.public.check(&arch).unwrap();
            let (out, proof) = network::prove::<F, E>(&model, &edited, &x).unwrap();
            let ys: Vec<i64> = out.iter().copied().collect();
            let err = network::verify(&arch, &checked, &xs, &ys, &proof).unwrap_err();
            assert!(
                matches!(err, VerifyError::Layer { layer, .. } if layer == l),
                "layer {l} group {g}: {err:?}"
            );
        }
    }
}

#[test]
fn a_changed_weight_of_one_group_is_caught_on_both_fields() {
    a_changed_weight_of_one_group_is_caught::<G, G2>();
    a_changed_weight_of_one_group_is_caught::<Bn254Fr, Bn254Fr>();
}

/// Which layer owns each model segment.
fn segment_layers(plan: &Plan) -> Vec<usize> {
    let mut owner = vec![usize::MAX; plan.model_segs.len()];
    for (l, step) in plan.steps.iter().enumerate() {
        let (segs, bias) = match step {
            Step::Conv(zkcnn::layers::conv::Conv { kernel, bias, .. }) => (kernel.clone(), bias),
            Step::Dense(zkcnn::layers::dense::Dense { weights, bias, .. }) => {
                (vec![*weights], bias)
            }
            _ => continue,
        };
        for s in segs.into_iter().chain(bias.limbs.iter().map(|&(s, _)| s)) {
            owner[s] = l;
        }
    }
    owner
}

/// Committed-table edits: out of a weight's or a limb's range (above, below, far), a nonzero
/// padded row or column, a nonzero entry in the unused space — each fails the commitment's
/// check (its range check or its zero-check); an in-range change of an entry in use passes it (it is a commitment to another
/// model), and a prover that keeps the original weights for its witness is then rejected at the
/// layer that reads the entry.
fn committed_table_edits_are_caught<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    seed: u64,
) -> usize {
    let plan = Plan::new(model).unwrap();
    let owner = segment_layers(&plan);
    let mut rng = StdRng::seed_from_u64(seed);
    let arch = model.architecture();
    let mut edits: Vec<(String, usize, i64, bool)> = Vec::new();
    for _ in 0..2 {
        let j = rng.gen_range(0..plan.model_segs.len());
        let seg = &plan.model_segs[j];
        let base = plan.model_packing.offset(j);
        let real =
            base + ((rng.gen_range(0..seg.rows) << seg.col_vars) | rng.gen_range(0..seg.cols));
        edits.push((format!("seg {j} above"), real, seg.hi + 1, false));
        edits.push((format!("seg {j} below"), real, seg.lo - 1, false));
        edits.push((format!("seg {j} far"), real, 1 << 40, false));
        if seg.rows < 1 << (seg.vars - seg.col_vars) {
            let row = rng.gen_range(seg.rows..1 << (seg.vars - seg.col_vars));
            edits.push((
                format!("seg {j} padded row"),
                base + (row << seg.col_vars),
                1,
                false,
            ));
        }
        if seg.cols < 1 << seg.col_vars {
            let col = rng.gen_range(seg.cols..1 << seg.col_vars);
            edits.push((format!("seg {j} padded column"), base + col, -1, false));
        }
    }
    if let Some(&(o, v)) = plan.model_packing.free_blocks().first() {
        edits.push(("unused".into(), o + rng.gen_range(0..1 << v), 1, false));
    }
    // An in-range change of a real entry: a bias limb moved within its range (a bias reaches
    // every output of its channel, so the original witness breaks; a weight may multiply only
    // zeros on this input, and then the statement is the same).
    let limbs: Vec<usize> = plan
        .steps
        .iter()
        .flat_map(|s| match s {
            Step::Conv(zkcnn::layers::conv::Conv { bias, .. })
            | Step::Dense(zkcnn::layers::dense::Dense { bias, .. }) => bias.limbs.clone(),
            _ => Vec::new(),
        })
        .map(|(seg, _)| seg)
        .collect();
    let j = limbs[rng.gen_range(0..limbs.len())];
    let seg = &plan.model_segs[j];
    let real = plan.model_packing.offset(j) + (rng.gen_range(0..seg.rows) << seg.col_vars);
    edits.push((format!("limb seg {j} in range"), real, seg.hi - 1, true));
    let x = zoo::random_input(&model.input_shape, model.activation_bits, 1000 + seed % 4);
    for (what, at, value, valid) in &edits {
        let edited = cheat::commit_edited::<F, E>(model, |_, t| t[*at] = from_i64(*value)).unwrap();
        let padded = what.contains("padded") || what == "unused";
        match (edited.public.check(&arch), valid) {
            // Out of a range in use: the range check. A nonzero entry not in use: the range
            // check when it is out of [0, 2^W) (the column holds it as it is), else the
            // zero-check of the entries not in use.
            (Err(CheckError::Range(_)), false) => {}
            (Err(CheckError::ZeroCheck(_)), false) if padded => {}
            (Ok(checked), true) => {
                // The original weights' witness against the edited commitment.
                let honest = network::commit_model::<F, E>(model).unwrap();
                if edited.public == honest.public {
                    continue; // The "change" was the entry's own value.
                }
                let (out, proof) = network::prove::<F, E>(model, &edited, &x).unwrap();
                let xs: Vec<i64> = x.iter().copied().collect();
                let ys: Vec<i64> = out.iter().copied().collect();
                let err = network::verify(&arch, &checked, &xs, &ys, &proof).unwrap_err();
                assert!(
                    matches!(err, VerifyError::Layer { layer, .. } if layer == owner[j]),
                    "{what}: {err:?}"
                );
            }
            (other, _) => panic!("{what} = {value}: {other:?}"),
        }
    }
    edits.len()
}

#[test]
fn committed_table_edits_fail_the_check_or_the_proof() {
    let mut tried = 0;
    for (i, (_, _, model)) in pair_models().iter().enumerate() {
        if Plan::new(model).unwrap().model_segs.is_empty() {
            continue;
        }
        tried += committed_table_edits_are_caught::<G, G2>(model, i as u64);
    }
    assert!(tried > 300, "{tried}");
    let (model, _) = pair_model((Kind::Conv, 3), "flatten", true, 5, 5);
    committed_table_edits_are_caught::<Bn254Fr, Bn254Fr>(&model, 9);
}

/// Flaw 3: a model whose commitment needs 2^25 entries is beyond the 2^24 that one Basefold
/// polynomial proves at 100 bits. No opening is made or checked beyond 2^24 entries: the plan
/// commits such a table as columns of 2^24 (`network::columns`), and refuses a table beyond
/// 2^28 entries (`MAX_TABLE_VARS`) — for the model (by the plan, so by commit, prove and
/// verify, and by the commitment's check) as for the advice; a forged commitment of one
/// polynomial over 25 variables is refused by the check's shape test, before any opening.
#[test]
fn flaw3_no_opening_beyond_2_pow_24_entries() {
    let dense = |in_features: usize, out_features: usize| {
        Layer::Dense(Dense {
            input: None,
            in_features,
            out_features,
            weights: vec![],
            bias: vec![],
            shift: 8,
        })
    };
    let mut model = Model {
        name: "too-large".into(),
        input_shape: vec![8192],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![dense(8192, 4096)],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    // 2^25 weights: two columns of 2^24 entries.
    let plan = Plan::new(&model).unwrap();
    let layout = plan.model_columns();
    assert_eq!(plan.model_packing.num_vars(), 26);
    assert_eq!((layout.column_vars, layout.count()), (24, 4));
    assert!(matches!(
        network::opening_params::<G, G2>(25),
        Err(zkcnn::pcs::PcsError::BeyondSetup {
            num_vars: 25,
            max_vars: 24
        })
    ));
    // 2^29 weights: refused.
    let too_large = |e: &NetworkError| matches!(e, NetworkError::TooLarge { .. });
    model.input_shape = vec![1 << 15];
    model.layers = vec![dense(1 << 15, 1 << 14)];
    let e = Plan::new(&model).unwrap_err();
    assert!(too_large(&e), "{e:?}");
    assert!(e.to_string().contains("the limit is 268435456"), "{e}");
    // A forged commitment for it is refused by the check, before any opening.
    let small = pair_model((Kind::Dense, 1), "dense", false, 1, 8).0;
    let mut forged = network::commit_model::<G, G2>(&small).unwrap().public;
    forged.commitment.num_vars = 29;
    let e = forged.check(&model.architecture()).unwrap_err();
    assert!(
        matches!(e, CheckError::Model(ref n) if too_large(n)),
        "{e:?}"
    );
    // A forged single polynomial over 25 variables for the 2^25-weight model: the shape.
    model.input_shape = vec![8192];
    model.layers = vec![dense(8192, 4096)];
    forged.commitment.num_vars = 25;
    assert_eq!(
        forged.check(&model.architecture()),
        Err(CheckError::Shape {
            what: "model",
            expected: 24,
            got: 25,
            expected_polys: 4,
            polys: 1
        })
    );
}

/// Flaw 4: a model with no weights (ReLU, max-pool, flatten) commits, proves and verifies; its
/// proof has no model opening, and one with a model opening is refused.
#[test]
fn flaw4_a_model_without_weights_proves_and_verifies() {
    let mut b = Builder::new(3, vec![2, 4, 4], 8);
    b.relu();
    b.maxpool();
    b.flatten();
    let model = b.finish(vec![2, 4, 4]);
    let s = setup::<G, G2>(&model, 5);
    let (out, proof) = network::prove::<G, G2>(&model, &s.committed, &s.input).unwrap();
    let x: Vec<i64> = s.input.iter().copied().collect();
    let mut y: Vec<i64> = out.iter().copied().collect();
    assert!(proof.opening.joined.is_empty(), "only the advice is opened");
    network::verify(&model, &s.checked, &x, &y, &proof).unwrap();
    let mut with_model = proof.clone();
    with_model.opening.joined.push(proof.opening.base.clone());
    assert_eq!(
        network::verify(&model, &s.checked, &x, &y, &with_model),
        Err(VerifyError::Opening(PcsError::Shape {
            what: "the joined openings",
            expected: 0,
            got: 1
        }))
    );
    y[0] += 1;
    assert_eq!(
        network::verify(&model, &s.checked, &x, &y, &proof),
        Err(VerifyError::Output)
    );
}

/// A model commitment's bytes, flipped anywhere (sampled) or truncated: a decoding error or a
/// failed check, never a panic and never a pass.
#[test]
fn model_commitment_bytes_never_pass_when_altered() {
    let model = zoo::lenet5(2);
    let public = network::commit_model::<G, G2>(&model).unwrap().public;
    let arch = model.architecture();
    let bytes = zkcnn::codec::to_bytes(&public);
    let mut rng = StdRng::seed_from_u64(17);
    let positions: Vec<usize> = (0..48)
        .chain((0..300).map(|_| rng.gen_range(0..bytes.len())))
        .collect();
    for pos in positions {
        let mut b = bytes.clone();
        b[pos] ^= 1 << rng.gen_range(0..8);
        if let Ok(c) = zkcnn::codec::from_bytes::<network::ModelCommitment<G, G2>>(&b) {
            assert!(c.check(&arch).is_err(), "flip at byte {pos} passed");
        }
    }
    for cut in [0, 1, 40, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            zkcnn::codec::from_bytes::<network::ModelCommitment<G, G2>>(&bytes[..cut]).is_err()
        );
    }
    // Another model's check with this commitment, or this check against another architecture.
    let other = network::commit_model::<G, G2>(&zoo::lenet5(3))
        .unwrap()
        .public;
    let swapped = network::ModelCommitment {
        commitment: public.commitment.clone(),
        check: other.check.clone(),
    };
    assert!(swapped.check(&arch).is_err());
    let mut other_arch = arch.clone();
    if let Layer::Conv2d(c) = &mut other_arch.layers[0] {
        c.shift += 1;
    }
    assert!(public.check(&other_arch).is_err());
}

/// A random chain of layers from `[c, h, h]`: each next layer drawn among those that can read
/// the current tensor; a dense layer at the end when the chain ends 1-D.
fn random_model(seed: u64) -> Model {
    let mut rng = StdRng::seed_from_u64(seed);
    let c = rng.gen_range(1..=3);
    let h = [4, 6, 8, 12][rng.gen_range(0..4)];
    let input = vec![c, h, h];
    let mut b = Builder::new(seed, input.clone(), [3, 5, 8][rng.gen_range(0..3)]);
    let mut shapes: Vec<Vec<usize>> = Vec::new();
    for _ in 0..rng.gen_range(2..=6) {
        let same: Vec<usize> = (0..shapes.len())
            .filter(|&i| shapes[i] == b.shape)
            .collect();
        let mut options = vec!["relu", "flatten", "add"];
        if b.shape.len() == 3 {
            options.extend(["conv", "conv", "gconv"]);
            if b.shape[1].is_multiple_of(2) && b.shape[1] >= 2 {
                options.extend(["maxpool", "avgpool"]);
            }
            options.push("maxpoolw");
        } else {
            options.extend(["dense", "dense"]);
        }
        match options[rng.gen_range(0..options.len())] {
            "relu" => b.relu(),
            "flatten" => b.flatten(),
            "add" if !same.is_empty() => b.add(same[rng.gen_range(0..same.len())]),
            "add" => b.relu(),
            "conv" => {
                let k = rng.gen_range(1..=3);
                b.conv(rng.gen_range(1..=4), k)
            }
            "gconv" => {
                // Depthwise, or two groups when the channels split into powers of two.
                let c = b.shape[0];
                let two = c.is_multiple_of(2) && (c / 2).is_power_of_two();
                let groups = if two && rng.gen_bool(0.5) { 2 } else { c };
                let out = groups * [1, 2][rng.gen_range(0..2)];
                let k = rng.gen_range(1..=3);
                b.gconv(out, k, groups, rng.gen_range(1..=2))
            }
            "maxpool" => b.maxpool(),
            "maxpoolw" => {
                let size = rng.gen_range(1..=3usize).min(b.shape[1]);
                let padding = rng.gen_range(0..size).min(1);
                b.maxpool_window(size, rng.gen_range(1..=3), padding, rng.gen_bool(0.5))
            }
            "avgpool" => b.avgpool(),
            _ => b.dense(rng.gen_range(2..=12)),
        };
        shapes.push(b.shape.clone());
    }
    if b.shape.len() == 1 && rng.gen_bool(0.5) {
        b.dense(4);
    }
    b.finish(input)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Random architectures, a random layer's advice part edited at a random position (real or
    /// padded): rejected, at that layer for a real position.
    #[test]
    fn random_architectures_reject_a_random_edit(seed in 0u64..1 << 32, pick in 0usize..1 << 16) {
        let model = random_model(seed);
        let plan = Plan::new(&model).unwrap();
        let s = setup::<G, G2>(&model, seed);
        let editable: Vec<(usize, usize)> = (0..plan.steps.len())
            .flat_map(|l| parts(&plan, l).into_iter().map(move |(_, seg)| (l, seg)))
            .collect();
        proptest::prop_assume!(!editable.is_empty());
        let (l, seg) = editable[pick % editable.len()];
        let dims = plan.dims[l + 1].clone();
        let pos = (pick / 7) % dims.len();
        let padded = (0..dims.logical_len()).all(|f| dims.padded_index(f) != pos);
        let (_, verdict) = s.cheat(
            l,
            |w| {
                let v = w.tensors[l + 1][pos];
                let delta = if v > 0 { -1 } else { 1 };
                w.advice[seg][pos] += from_i64::<G>(delta);
            },
            |_| {},
        );
        let maxpool = matches!(plan.steps[l], Step::MaxPool { .. } | Step::MaxPoolWindow { .. });
        match verdict {
            Err(VerifyError::Layer { layer, .. }) if layer == l || (padded && layer > l) => {}
            Err(VerifyError::Output) if padded => {}
            Err(VerifyError::Range(_)) if maxpool => {}
            other => panic!("{model:?}\nlayer {l} seg {seg} pos {pos}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DAG models: tensors read by several layers, concatenations
// ---------------------------------------------------------------------------------------------

/// Every single-entry edit of every advice part and of every derived output (the
/// concatenations') of the DAG zoo models is rejected at its layer: among them the outputs that
/// two layers read (the ResNet's stem and first block, both branches recomputed from the edited
/// values; a Fire module's first concatenation, read by the next squeeze and the last
/// concatenation) and every concatenation's inputs.
#[test]
fn dag_models_reject_every_edit() {
    let mut tried = 0;
    for (i, model) in [zoo::resnet_small(3), zoo::fire_small(3)]
        .iter()
        .enumerate()
    {
        tried += every_edit_is_caught::<G, G2>(model, i as u64);
    }
    eprintln!("{tried} cheating proofs");
    assert!(tried > 100, "{tried} cheating proofs");
}

/// The same on BN254's scalar field: the ResNet-style model (a tensor read twice, a projection
/// shortcut, an add); the Fire-style model (concatenations) in the ignored long run
/// [`dag_fire_rejects_every_edit_on_bn254`].
#[test]
fn dag_models_reject_every_edit_on_bn254() {
    let tried = every_edit_is_caught::<Bn254Fr, Bn254Fr>(&zoo::resnet_small(4), 0);
    assert!(tried > 50, "{tried} cheating proofs");
}

/// The Fire-style model's every edit on BN254's scalar field (a long run: `cargo test --release
/// -- --ignored`).
#[test]
#[ignore]
fn dag_fire_rejects_every_edit_on_bn254() {
    let tried = every_edit_is_caught::<Bn254Fr, Bn254Fr>(&zoo::fire_small(4), 1);
    assert!(tried > 50, "{tried} cheating proofs");
}

/// Named cases: a requantized output that two layers read (the ResNet stem's, read by the main
/// branch's first convolution and by the projection shortcut) and a concatenation's input (a
/// Fire module's 1×1 expand), each edited at one real entry (by 30) with both readers recomputed
/// honestly from it: the output changes, and the edited layer's own relation rejects.
#[test]
fn dag_an_edit_of_a_tensor_read_twice_or_concatenated_is_rejected_at_its_layer() {
    for (model, layer, readers_expected) in
        [(zoo::resnet_small(5), 0, 2), (zoo::fire_small(5), 5, 1)]
    {
        let s = setup::<G, G2>(&model, 1);
        let plan = Plan::new(&model).unwrap();
        let readers = (0..plan.steps.len())
            .filter(|&l| plan.inputs[l].contains(&(layer + 2)))
            .count();
        assert_eq!(readers, readers_expected, "{}", model.name);
        assert!(matches!(plan.steps[layer + 1], Step::FusedRelu(_)));
        let honest = s.honest_output();
        let y = plan.requant_of(layer).unwrap().y;
        let dims = plan.dims[layer + 1].clone();
        // The first real entry whose ReLU is in (0, 90], raised by 30 (still in range).
        let (y_out, verdict) = s.cheat(
            layer,
            |w| {
                let pos = (0..dims.logical_len())
                    .map(|f| dims.padded_index(f))
                    .find(|&p| (1..=90).contains(&w.tensors[layer + 1][p]))
                    .unwrap();
                w.advice[y][pos] += from_i64::<G>(30);
            },
            |_| {},
        );
        assert_ne!(y_out, honest, "{}: the edit reaches the output", model.name);
        assert!(
            matches!(verdict, Err(VerifyError::Layer { layer: l, .. }) if l == layer),
            "{}: {verdict:?}",
            model.name
        );
    }
}

/// Every single-entry edit of a few random DAGs (layers reading any earlier tensor, adds,
/// concatenations, standalone and fused ReLUs of tensors with several readers) is rejected
/// at its layer.
#[test]
fn dag_random_models_reject_every_edit() {
    let mut tried = 0;
    let mut models = 0;
    for seed in 0..40 {
        let model = super::model::random_dag(100 + seed, 6);
        // Edits at odd rows and columns need two of each.
        if model.input_shape[1] < 2 || model.input_shape[2] < 2 {
            continue;
        }
        tried += every_edit_is_caught::<G, G2>(&model, seed);
        models += 1;
        if models == 4 {
            break;
        }
    }
    assert_eq!(models, 4);
    eprintln!("{tried} cheating proofs");
}

/// A flatten's output (derived: every claim on it is proven by its own sum-check) read by two
/// dense layers, whose outputs are added, and a ReLU of a tensor read again later: it proves,
/// and every single-entry edit (the flatten's output among them, read twice) is rejected at its
/// layer, on both fields.
#[test]
fn dag_a_flatten_read_twice_rejects_every_edit() {
    let mut b = Builder::new(41, vec![2, 5, 5], 6);
    b.conv(3, 3); // layer 0 → tensor 1: [3, 5, 5]
    let r = b.relu(); // 1 → 2, fused
    b.flatten(); // 2 → 3: [75]
    b.dense(6); // 3 → 4
    b.shape = vec![75];
    let d = b.dense(6); // 4 → 5
    if let Layer::Dense(dense) = &mut b.layers[d] {
        dense.input = Some(3);
    }
    b.push(
        Layer::Add(Add {
            input: Some(4),
            from: d,
            shift: 0,
        }),
        vec![6],
    ); // 5 → 6
       // A standalone ReLU of the stem's ReLU (tensor 2, read by the flatten too).
    b.push(Layer::Relu { input: Some(r + 1) }, vec![3, 5, 5]); // 6 → 7
    b.flatten(); // 7 → 8
    b.dense(4); // 8 → 9
    let model = b.finish(vec![2, 5, 5]);
    let plan = Plan::new(&model).unwrap();
    let readers = |t: usize| plan.inputs.iter().filter(|i| i.contains(&t)).count();
    assert_eq!(plan.sources[3], Source::Derived);
    assert_eq!((readers(2), readers(3)), (2, 2));
    assert!(every_edit_is_caught::<G, G2>(&model, 1) > 20);
    every_edit_is_caught::<Bn254Fr, Bn254Fr>(&model, 2);
}

/// A concatenation a max-pool reads is committed (a copy checked against its inputs at a fresh
/// point): every single-entry edit of the copy (and of everything else) is rejected at its
/// layer, with both max-pool protocols reading it, on both fields.
#[test]
fn dag_a_pooled_concatenation_rejects_every_edit() {
    for (k, window) in [(2usize, false), (3, true)] {
        let mut b = Builder::new(43 + k as u64, vec![2, 6, 6], 6);
        b.conv(3, 3); // layer 0 → tensor 1: [3, 6, 6]
        b.relu(); // 1 → 2
        b.conv(2, 1); // 2 → 3: [2, 6, 6]
        b.shape = vec![3, 6, 6];
        let c = b.conv(3, 3); // 3 → 4, reading tensor 2
        if let Layer::Conv2d(conv) = &mut b.layers[c] {
            conv.input = Some(2);
            conv.in_channels = 3;
        }
        b.push(
            Layer::Concat(zkcnn::model::Concat {
                inputs: vec![3, 4, 2],
            }),
            vec![8, 6, 6],
        ); // 4 → 5: 2 + 3 + 3 channels
        if window {
            b.maxpool_window(k, 2, 0, true); // 5 → 6
        } else {
            b.maxpool(); // 5 → 6
        }
        b.flatten();
        b.dense(4);
        let model = b.finish(vec![2, 6, 6]);
        let plan = Plan::new(&model).unwrap();
        assert!(matches!(
            plan.steps[4],
            Step::Concat(zkcnn::layers::concat::Concat { copy: Some(_), .. })
        ));
        assert!(every_edit_is_caught::<G, G2>(&model, k as u64) > 20);
        every_edit_is_caught::<Bn254Fr, Bn254Fr>(&model, 7);
    }
}

// ---------------------------------------------------------------------------------------------
// The zero-knowledge prover against the same cheating provers
// ---------------------------------------------------------------------------------------------

/// [`every_edit_is_caught`] for zero-knowledge proofs: every advice part of every layer of
/// `model`'s zero-knowledge plan edited (at the [`positions`]: a real entry at an odd row and
/// column, one at an even one, a padded entry; `all_positions`, or one of them on the first
/// part and one other part of each layer; of every layer, or of `pair`'s two layers `a` and
/// `a + 1`), and the range multiplicities; the rest computed honestly, with fresh masks. Every proof is rejected, at
/// the one opening that discharges every check of a zero-knowledge proof. The input is public,
/// or committed when the model reads it where a public input is refused (a flatten, ReLU or add
/// of the input). Returns the number of cheating proofs, or what the zero-knowledge prover
/// refuses in the model.
fn zk_edits_are_caught<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    seed: u64,
    all_positions: bool,
    pair: Option<usize>,
) -> Result<usize, String> {
    zk_edits_are_caught_on::<F, E>(model, seed, all_positions, pair, false)
}

/// [`zk_edits_are_caught`], the input committed if `hidden` (else as there).
fn zk_edits_are_caught_on<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    seed: u64,
    all_positions: bool,
    pair: Option<usize>,
    hidden: bool,
) -> Result<usize, String> {
    let public = if hidden {
        Err(NetworkError::Unsupported {
            layer: 0,
            what: "the public input (a committed one asked for)".into(),
        })
    } else {
        cheat::zk_plan::<F, E>(model, false)
    };
    let (plan, hidden) = match public {
        Ok(plan) => (plan, false),
        Err(NetworkError::Unsupported { what, .. }) if what.contains("the public input") => {
            match cheat::zk_plan::<F, E>(model, true) {
                Ok(plan) => (plan, true),
                Err(NetworkError::Unsupported { what, .. }) => return Err(what),
                Err(e) => panic!("{e}"),
            }
        }
        Err(NetworkError::Unsupported { what, .. }) => return Err(what),
        Err(e) => panic!("{e}"),
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let commit = |rng: &mut StdRng| network::commit_model_zk::<F, E, _>(model, rng).unwrap();
    let mut committed = commit(&mut rng);
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 1000 + seed % 4);
    let commit_input =
        |rng: &mut StdRng| network::commit_input_zk::<F, E, _>(model, &input, rng).unwrap();
    let mut committed_input = hidden.then(|| commit_input(&mut rng));
    let x: Vec<i64> = input.iter().copied().collect();
    let verify = |c: &ZkCommittedModel<F>,
                  ci: &Option<ZkCommittedInput<F>>,
                  y: &[i64],
                  proof: &ZkNetworkProof<F, E>| match ci {
        Some(ci) => network::verify_zk_committed_input(
            model,
            &zkcnn::network::CheckedZkCommitment::assume_checked(model, &c.commitment),
            &ci.commitment,
            y,
            proof,
        ),
        None => network::verify_zk(
            model,
            &zkcnn::network::CheckedZkCommitment::assume_checked(model, &c.commitment),
            &x,
            y,
            proof,
        ),
    };
    let (out, proof) = prove_zk_timed::<F, E, _>(
        model,
        &mut committed,
        match &mut committed_input {
            Some(ci) => ZkProverInput::Committed(ci),
            None => ZkProverInput::Public(&input),
        },
        &mut rng,
        &mut Vec::new(),
    )
    .map_err(|e| match e {
        // A tensor too small to hide the proof's reads of it: refused before anything is sent.
        NetworkError::AdviceReads { .. } => e.to_string(),
        e => {
            let kinds: Vec<Kind> = plan.steps.iter().map(kind).collect();
            panic!("the honest proof of {kinds:?} (input hidden: {hidden}): {e}")
        }
    })?;
    let honest: Vec<i64> = out.iter().copied().collect();
    verify(&committed, &committed_input, &honest, &proof).unwrap();
    let mut tried = 0;
    let mut cheat = |layer: usize,
                     edit: &mut dyn FnMut(WitnessMut<'_, F>),
                     ms: &mut dyn FnMut(&mut [F]),
                     what: String,
                     rng: &mut StdRng| {
        // Spent budgets: new hiding commitments (the pair models take a few dozen proofs; a
        // committed input serves at least 8).
        let (revealed, budget) = committed.budget::<E>();
        if revealed * 3 > budget * 2 {
            committed = commit(rng);
        }
        if let Some(ci) = &committed_input {
            let (revealed, budget) = ci.budget::<E>();
            if revealed * 4 > budget * 3 {
                committed_input = Some(commit_input(rng));
            }
        }
        // A committed input serves as many proofs as its mask hides its reads
        // (`NetworkError::InputSpent`): then a new one.
        let (out, proof) = loop {
            let made = cheat::prove_zk_edited::<F, E, _>(
                model,
                &mut committed,
                match &mut committed_input {
                    Some(ci) => ZkProverInput::Committed(ci),
                    None => ZkProverInput::Public(&input),
                },
                |l, w| {
                    if l == layer {
                        edit(w)
                    }
                },
                |m| ms(m),
                rng,
            );
            match made {
                Err(NetworkError::InputSpent { .. }) if committed_input.is_some() => {
                    committed_input = Some(commit_input(rng));
                }
                made => break made.unwrap(),
            }
        };
        let y: Vec<i64> = out.iter().copied().collect();
        let verdict = verify(&committed, &committed_input, &y, &proof);
        tried += 1;
        assert!(
            matches!(
                verdict,
                Err(VerifyError::Deferred(zkcnn::zk::DischargeError::Opening(_)))
            ),
            "{} (input {}): {what}: {verdict:?} (output {} the honest one)",
            model.name,
            if hidden { "hidden" } else { "public" },
            if y == honest { "is" } else { "differs from" }
        );
    };
    for l in 0..plan.steps.len() {
        if pair.is_some_and(|a| l != a && l != a + 1) {
            continue;
        }
        let dims = &plan.dims[l + 1];
        assert!(
            plan.sources[l + 1] != Source::Derived,
            "a zero-knowledge plan commits every tensor"
        );
        let mut targets = parts(&plan, l);
        if !all_positions && targets.len() > 2 {
            // The first part (a requantization's `y`, a max-pool's first maxima) and one other.
            let other = targets.swap_remove(rng.gen_range(1..targets.len()));
            targets.truncate(1);
            targets.push(other);
        }
        for (name, seg) in targets {
            let mut at = positions(dims, &mut rng);
            if !all_positions || name.starts_with("limb") {
                let k = rng.gen_range(0..at.len());
                at = vec![at[k]];
            }
            for pos in at {
                let mut delta = [1i64, -1, 2, 5][rng.gen_range(0..4)];
                let what = format!("layer {l} ({:?}) {name}[{pos}]", kind(&plan.steps[l]));
                cheat(
                    l,
                    &mut |w| {
                        // The layer's output stays in the activation range, so the layers after
                        // it run on exactly the edited values.
                        // (An edit of `n` moves the output the other way; a saturated
                        // output sits at the range's end.)
                        let v = w.tensors[l + 1][pos];
                        if v.abs() > 100 {
                            let toward = if name == "n" { 1 } else { -1 };
                            delta = toward * v.signum() * delta.abs();
                        }
                        w.advice[seg][pos] += from_i64::<F>(delta);
                    },
                    &mut |_| {},
                    what,
                    &mut rng,
                );
            }
        }
    }
    // The range multiplicities: one count moved.
    let m = 1 << model.activation_bits;
    let (t, u) = (rng.gen_range(0..m), rng.gen_range(0..m));
    cheat(
        usize::MAX,
        &mut |_| {},
        &mut |ms| {
            ms[t] -= F::ONE;
            ms[u] += F::ONE + F::ONE;
        },
        "the multiplicities".into(),
        &mut rng,
    );
    Ok(tried)
}

/// The pairs the zero-knowledge sweeps must cover: the outside review's flaw 1 (a max-pool
/// directly after a convolution, an add, a standalone or fused ReLU) and the pairs whose steps
/// share a placement or re-index a tensor.
const ZK_REQUIRED_PAIRS: [(Kind, Kind); 9] = [
    (Kind::Conv, Kind::MaxPool),
    (Kind::Relu, Kind::MaxPool),
    (Kind::Add, Kind::MaxPool),
    (Kind::FusedRelu, Kind::MaxPool),
    (Kind::GroupedConv, Kind::GroupedConv),
    (Kind::Flatten, Kind::Dense),
    (Kind::MaxPoolWindow, Kind::Conv),
    (Kind::Conv, Kind::MaxPoolWindow),
    (Kind::MaxPool, Kind::Add),
];

/// The zero-knowledge pair sweep over the pair models `keep` selects (by index and pair; every
/// pair model proves in zero knowledge, a ReLU of the input then pooling on a committed input to
/// a model without weights too), on both
/// fields (every twelfth model on BN254's scalar field): two advice parts of each of the pair's
/// two layers edited at one of the flaw-1 positions (an odd row and column), an even one or a
/// padded one, and the multiplicities; every proof must be rejected. Then a standalone ReLU read
/// by a max-pool (the pair model's ReLU reads the input: after a max-pool, the ReLU is not
/// fused). Returns the number of cheating proofs and the pairs covered.
fn zk_pair_sweep(keep: impl Fn(usize, Kind, Kind) -> bool) -> (usize, BTreeSet<(Kind, Kind)>) {
    let mut tried = 0;
    let mut proven = BTreeSet::new();
    for (i, (a, b, model, at)) in pair_models_at().iter().enumerate() {
        if !keep(i, *a, *b) {
            continue;
        }
        let caught = if i % 12 == 11 {
            zk_edits_are_caught::<Bn254Fr, Bn254Fr>(model, i as u64, false, Some(*at))
        } else {
            zk_edits_are_caught::<G, G2>(model, i as u64, false, Some(*at))
        };
        match caught {
            Ok(n) => {
                tried += n;
                proven.insert((*a, *b));
            }
            Err(what) => panic!("the zero-knowledge prover refuses {a:?} → {b:?}: {what}"),
        }
    }
    let mut b = Builder::new(77, vec![3, 12, 12], 5);
    b.conv(4, 3);
    b.maxpool();
    b.relu();
    b.maxpool();
    b.flatten();
    b.dense(5);
    let model = b.finish(vec![3, 12, 12]);
    let plan = Plan::new(&model).unwrap();
    assert_eq!(
        (kind(&plan.steps[2]), kind(&plan.steps[3])),
        (Kind::Relu, Kind::MaxPool)
    );
    tried += zk_edits_are_caught::<G, G2>(&model, 77, true, None).unwrap();
    proven.insert((Kind::Relu, Kind::MaxPool));
    for p in ZK_REQUIRED_PAIRS {
        assert!(proven.contains(&p), "{p:?} not covered");
    }
    (tried, proven)
}

/// The zero-knowledge pair sweep on a sample (CI): every pair the review's flaw 1 and
/// [`ZK_REQUIRED_PAIRS`] name, every pair into a 2×2 max-pool, and every fourth other pair model;
/// BN254 on those whose index is `11 mod 12`. The whole sweep is the ignored
/// [`zk_every_pair_of_layer_kinds_rejects_edits`].
#[test]
fn zk_pairs_reject_edits_on_a_sample() {
    let (tried, proven) = zk_pair_sweep(|i, a, b| {
        ZK_REQUIRED_PAIRS.contains(&(a, b)) || b == Kind::MaxPool || i % 4 == 0
    });
    eprintln!(
        "{tried} cheating zero-knowledge proofs over {} pairs",
        proven.len()
    );
    assert!(tried > 100, "{tried} cheating proofs");
}

/// Every pair model, as [`zk_pair_sweep`] (a long run: `cargo test --release -- --ignored`;
/// about a minute of one core in debug).
#[test]
#[ignore]
fn zk_every_pair_of_layer_kinds_rejects_edits() {
    let (tried, _) = zk_pair_sweep(|_, _, _| true);
    eprintln!("{tried} cheating zero-knowledge proofs");
    assert!(tried > 200, "{tried} cheating proofs");
}

/// The product pair models ([`mul_pair_models`]) in zero knowledge, on a sample (every second,
/// BN254 on every ninth): two advice parts of each layer edited at one position, and the
/// multiplicities; every proof rejected at the opening. A model whose product reads the input
/// is proven on a committed input (a public one is refused). A model with a tensor too small to
/// hide the proof's reads (a global pool of four channels) is refused by the prover
/// (`AdviceReads`), and only that, and the next model is taken; a product as the pair's second
/// is covered, as the first it is refused (`mul.rs` covers it on 16 channels).
#[test]
fn zk_mul_pairs_reject_edits() {
    let mut tried = 0;
    let mut covered = BTreeSet::new();
    let mut refused = BTreeSet::new();
    let mut pending = false;
    for (i, (a, b, model)) in mul_pair_models().iter().enumerate() {
        // Every second, or the next after a refused one.
        if i % 2 != 0 && !pending {
            continue;
        }
        let caught = if i % 9 == 0 {
            zk_edits_are_caught::<Bn254Fr, Bn254Fr>(model, i as u64, false, None)
        } else {
            zk_edits_are_caught::<G, G2>(model, i as u64, false, None)
        };
        match caught {
            Ok(n) => {
                tried += n;
                covered.insert((*a, *b));
                pending = false;
            }
            // A tensor too small to hide the proof's reads of it: refused, and only that.
            Err(what) if what.contains("commits a hidden tensor") => {
                refused.insert((*a, *b));
                pending = true;
            }
            Err(what) => panic!("the zero-knowledge prover refuses {a:?} → {b:?}: {what}"),
        }
    }
    eprintln!("{tried} cheating zero-knowledge proofs over {covered:?}; refused {refused:?}");
    assert!(covered.iter().any(|&(_, b)| b == Kind::Mul), "{covered:?}");
    // A product's first pairs read a global pool of four channels: refused, every one (the
    // zero-knowledge cheating provers of `mul.rs` edit products of 16 channels instead).
    assert!(covered.iter().all(|&(a, _)| a != Kind::Mul), "{covered:?}");
    assert!(refused.iter().any(|&(a, _)| a == Kind::Mul), "{refused:?}");
    assert!(tried > 60, "{tried} cheating proofs");
}

/// The zero-knowledge sweep over the activation pair models that `keep` selects (by index and
/// pair): the pair's two layers' advice parts edited as in [`zk_pair_sweep`] (an activation's
/// output among them) with the rest proven honestly, on both fields (every fifth model on
/// BN254's scalar field); every proof must be rejected at the opening. A model whose
/// activation reads the input it must commit (a flatten or add of the input next to it) is
/// refused by name and skipped. Returns the number of cheating proofs and the pairs covered.
fn zk_activation_pair_sweep(
    keep: impl Fn(usize, (Kind, Kind)) -> bool,
) -> (usize, BTreeSet<(Kind, Kind)>) {
    let mut tried = 0;
    let mut covered = BTreeSet::new();
    for (i, (a, b, model)) in activation_pair_models().iter().enumerate() {
        if !keep(i, (*a, *b)) {
            continue;
        }
        let plan = Plan::new(model).unwrap();
        let at = (0..plan.steps.len() - 1)
            .find(|&l| (kind(&plan.steps[l]), kind(&plan.steps[l + 1])) == (*a, *b));
        let caught = if i % 5 == 4 {
            zk_edits_are_caught::<Bn254Fr, Bn254Fr>(model, i as u64, false, at)
        } else {
            zk_edits_are_caught::<G, G2>(model, i as u64, false, at)
        };
        match caught {
            Ok(n) => {
                tried += n;
                covered.insert((*a, *b));
            }
            Err(what) if what.contains("an activation of the committed input") => {}
            Err(what) => panic!("the zero-knowledge prover refuses {a:?} → {b:?}: {what}"),
        }
    }
    (tried, covered)
}

/// [`zk_activation_pair_sweep`] on the pairs of [`ACTIVATION_PAIRS`] (CI); every activation
/// pair model is the ignored [`zk_activation_pairs_reject_every_edit_all`].
#[test]
fn zk_activation_pairs_reject_edits() {
    let (tried, covered) = zk_activation_pair_sweep(|_, p| ACTIVATION_PAIRS.contains(&p));
    eprintln!("{tried} cheating zero-knowledge proofs");
    for p in ACTIVATION_PAIRS {
        assert!(covered.contains(&p), "{p:?} not covered");
    }
    assert!(tried > 30, "{tried} cheating proofs");
}

/// Every activation pair model, as [`zk_activation_pair_sweep`] (a long run).
#[test]
#[ignore]
fn zk_activation_pairs_reject_every_edit_all() {
    let (tried, _) = zk_activation_pair_sweep(|_, _| true);
    eprintln!("{tried} cheating zero-knowledge proofs");
    assert!(tried > 60, "{tried} cheating proofs");
}

/// A committed input to models without weights (no dense or convolution layer): their
/// commitment has no claims and the opening leaves it out, so the input joins the advice's
/// opening — the advice padded to the input's size when the input is the larger (an average
/// pool of a large input). Honest proofs verify and every edit is rejected, on both fields.
#[test]
fn zk_committed_input_to_a_model_without_weights() {
    let mut relu_pool = Builder::new(90, vec![4, 4, 4], 5);
    relu_pool.relu();
    relu_pool.avgpool();
    let relu_pool = relu_pool.finish(vec![4, 4, 4]);
    let mut pool = Builder::new(91, vec![4, 16, 16], 5);
    pool.avgpool();
    let pool = pool.finish(vec![4, 16, 16]);
    for (i, model) in [relu_pool, pool].iter().enumerate() {
        assert!(cheat::zk_plan::<G, G2>(model, true).is_ok());
        let seed = 90 + i as u64;
        let tried = zk_edits_are_caught_on::<G, G2>(model, seed, false, None, true).unwrap();
        assert!(tried > 2, "{tried} cheating proofs");
        zk_edits_are_caught_on::<Bn254Fr, Bn254Fr>(model, seed, false, None, true).unwrap();
    }
}

/// Every position of every part, on a sample of the pairs the zero-knowledge prover takes,
/// and on BN254's scalar field (a long run: `cargo test --release -- --ignored`).
#[test]
#[ignore]
fn zk_edits_are_caught_at_every_position_on_both_fields() {
    let models: Vec<Model> = pair_models()
        .into_iter()
        .map(|(_, _, m)| m)
        .filter(|m| cheat::zk_plan::<G, G2>(m, false).is_ok())
        .collect();
    let mut tried = 0;
    for (i, model) in models.iter().enumerate().step_by(9) {
        tried += zk_edits_are_caught::<G, G2>(model, i as u64, true, None).unwrap();
        tried +=
            zk_edits_are_caught::<Bn254Fr, Bn254Fr>(model, i as u64 + 100, false, None).unwrap();
    }
    assert!(tried > 100, "{tried} cheating proofs");
}

/// A small dense or one-group convolution output read only by layers that take any layout is
/// padded to 16 entries in the zero-knowledge plan (`plan::ZK_TENSOR_VARS`), beyond its tight
/// padding to a power of two. A cheating prover that sets an entry of that extra padding
/// nonzero — in each part of the layer's requantization (`y`, `n`, every remainder limb), the
/// layers after it computed from the edit, everything else honest — is rejected at the
/// opening, on both fields: the padded weight rows are zero (the model check), so the
/// relation pins the padded output to zero.
fn zk_extra_padding_edits_are_rejected<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    seed: u64,
) -> usize {
    let plan = cheat::zk_plan::<F, E>(model, false).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut committed = network::commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, seed);
    let x: Vec<i64> = input.iter().copied().collect();
    let checked = |c: &ZkCommittedModel<F>| {
        zkcnn::network::CheckedZkCommitment::assume_checked(model, &c.commitment)
    };
    let (honest, proof) =
        network::prove_zk::<F, E, _>(model, &mut committed, &input, &mut rng).unwrap();
    let honest: Vec<i64> = honest.iter().copied().collect();
    network::verify_zk(model, &checked(&committed), &x, &honest, &proof).unwrap();
    let mut tried = 0;
    for l in 0..plan.steps.len() {
        if plan.requant_of(l).is_none() {
            continue;
        }
        let dims = &plan.dims[l + 1];
        let tight = zkcnn::layers::Dims::new(&dims.shape).len();
        assert!(
            dims.len() >= 16 && tight < dims.len(),
            "layer {l}: {} entries, {tight} tightly padded",
            dims.len()
        );
        for (name, seg) in parts(&plan, l) {
            for pos in [tight, dims.len() - 1] {
                let (revealed, budget) = committed.budget::<E>();
                if revealed * 3 > budget * 2 {
                    committed = network::commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
                }
                let (out, proof) = cheat::prove_zk_edited::<F, E, _>(
                    model,
                    &mut committed,
                    ZkProverInput::Public(&input),
                    |at, w| {
                        if at == l {
                            w.advice[seg][pos] += F::ONE;
                        }
                    },
                    |_| {},
                    &mut rng,
                )
                .unwrap();
                let y: Vec<i64> = out.iter().copied().collect();
                // The readers' padded weight columns are zero: the edit changes no output.
                assert_eq!(y, honest, "layer {l} {name}[{pos}]");
                let verdict = network::verify_zk(model, &checked(&committed), &x, &y, &proof);
                assert!(
                    matches!(
                        verdict,
                        Err(VerifyError::Deferred(zkcnn::zk::DischargeError::Opening(_)))
                    ),
                    "layer {l} {name}[{pos}] (of {} entries): {verdict:?}",
                    dims.len()
                );
                tried += 1;
            }
        }
    }
    tried
}

#[test]
fn zk_an_edit_in_the_extra_padding_of_a_small_output_is_rejected() {
    // Dense 6 → 3, ReLU, dense 3 → 2: both outputs (3 and 2 entries) padded to 16.
    let mut dense = Builder::new(95, vec![6], 8);
    dense.dense(3);
    dense.relu();
    dense.dense(2);
    let dense = dense.finish(vec![6]);
    // A squeeze: 1×1 convolutions 8 → 3 and, after a ReLU, 3 → 4 on a 1×1 map.
    let mut squeeze = Builder::new(96, vec![8, 1, 1], 8);
    squeeze.conv(3, 1);
    squeeze.relu();
    squeeze.conv(4, 1);
    let squeeze = squeeze.finish(vec![8, 1, 1]);
    for (i, m) in [dense, squeeze].iter().enumerate() {
        let seed = 95 + i as u64;
        let tried = zk_extra_padding_edits_are_rejected::<G, G2>(m, seed);
        assert!(tried >= 8, "{tried} cheating proofs");
        zk_extra_padding_edits_are_rejected::<Bn254Fr, Bn254Fr>(m, seed);
    }
}

/// Two models with average pools over non-power-of-two windows (exact division,
/// `AvgPool2d::divisor`): a global 7×7 average of a convolution's ReLU (divisor 49), and a
/// 3×3 stride-3 average of a 4-channel input with shift 1 (divisor 9·2 = 18) before a convolution.
fn division_models() -> Vec<Model> {
    let pool = |size: usize, shift: u32, divisor: u64| {
        Layer::AvgPool2d(AvgPool2d {
            size,
            stride: size,
            shift,
            divisor,
            input: None,
        })
    };
    let mut global = Builder::new(97, vec![3, 7, 7], 8);
    global.conv(16, 3);
    global.relu();
    global.push(pool(7, 0, 49), vec![16, 1, 1]);
    global.flatten();
    global.dense(3);
    let mut input = Builder::new(98, vec![4, 6, 6], 8);
    input.push(pool(3, 1, 9), vec![4, 2, 2]);
    input.conv(4, 3);
    input.flatten();
    input.dense(5);
    vec![global.finish(vec![3, 7, 7]), input.finish(vec![4, 6, 6])]
}

/// Exact division: the pools' outputs are `⌊(S + ⌊D/2⌋)/D⌋` of their window sums (a naive
/// oracle on the inference's trace); transparent proofs (both fields), a batch of three and
/// zero-knowledge proofs round trip; every single-entry edit of every part — the pool's `y`,
/// `n` and remainder limbs at real and padded positions — is rejected, transparent and in zero
/// knowledge.
#[test]
fn exact_division_pools_prove_and_reject_every_edit() {
    for (i, model) in division_models().iter().enumerate() {
        let seed = 97 + i as u64;
        let (l, pool) = model
            .layers
            .iter()
            .enumerate()
            .find_map(|(l, layer)| match layer {
                Layer::AvgPool2d(a) => Some((l, a.clone())),
                _ => None,
            })
            .unwrap();
        let d = (pool.divisor as i64) << pool.shift;
        for k in 0..4 {
            let x = zoo::random_input(&model.input_shape, 8, 1000 + k);
            let trace = zkcnn::model::infer(model, &x).unwrap();
            let before = if l == 0 { &x } else { &trace.outputs[l - 1] };
            let out = &trace.outputs[l];
            let [c, h, w] = out.shape() else {
                unreachable!()
            };
            let (k, s) = (pool.size, pool.stride);
            for (ch, y, x0) in itertools_product(*c, *h, *w) {
                let sum: i64 = (0..k)
                    .flat_map(|dy| (0..k).map(move |dx| (dy, dx)))
                    .map(|(dy, dx)| before[[ch, y * s + dy, x0 * s + dx]])
                    .sum();
                assert_eq!(out[[ch, y, x0]], (sum + d / 2).div_euclid(d), "S = {sum}");
            }
        }
        let tried = every_edit_is_caught::<G, G2>(model, seed);
        assert!(tried > 20, "{tried} cheating proofs");
        every_edit_is_caught::<Bn254Fr, Bn254Fr>(model, seed);
        let tried = zk_edits_are_caught::<G, G2>(model, seed, true, None).unwrap();
        assert!(tried > 10, "{tried} cheating proofs");
        // A batch of three.
        let committed = network::commit_model::<G, G2>(model).unwrap();
        let checked = committed.public.check(&model.architecture()).unwrap();
        let xs: Vec<_> = (0..3)
            .map(|k| zoo::random_input(&model.input_shape, 8, 1000 + k))
            .collect();
        let (ys, proof) = network::prove_batch::<G, G2>(model, &committed, &xs).unwrap();
        let flat = |v: &[ndarray::ArrayD<i64>]| -> Vec<Vec<i64>> {
            v.iter().map(|a| a.iter().copied().collect()).collect()
        };
        let (fx, mut fy) = (flat(&xs), flat(&ys));
        let xr: Vec<&[i64]> = fx.iter().map(Vec::as_slice).collect();
        let yr: Vec<&[i64]> = fy.iter().map(Vec::as_slice).collect();
        assert_eq!(
            network::verify_batch(model, &checked, &xr, &yr, &proof),
            Ok(())
        );
        fy[1][0] += 1;
        let yr: Vec<&[i64]> = fy.iter().map(Vec::as_slice).collect();
        assert!(network::verify_batch(model, &checked, &xr, &yr, &proof).is_err());
    }
}

/// `(c, y, x)` over `c × h × w`, row-major.
fn itertools_product(c: usize, h: usize, w: usize) -> Vec<(usize, usize, usize)> {
    (0..c)
        .flat_map(|a| (0..h).flat_map(move |b| (0..w).map(move |d| (a, b, d))))
        .collect()
}
