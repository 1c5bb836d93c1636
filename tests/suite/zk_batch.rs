//! Zero-knowledge batch proofs (`spec/batch.md`, "Zero knowledge"): round trips over batch
//! sizes on both fields (against plain inference), the verifier's rejections (a changed output,
//! swapped outputs, another count, a proof of another batch), cheating provers that edit one
//! slot's witness (a real input's or a padded copy's) and recompute the rest honestly, on every
//! layer kind. The extraction attack on batch proofs is in `leakage.rs`.

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use ndarray::ArrayD;
use proptest::prelude::*;
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::model::{zoo, Model};
use zkcnn::network::{self, CheckedZkCommitment, NetworkError, VerifyError, ZkBatchProof};

type G = Goldilocks;
type X = GoldilocksExt2;

/// Flatten of a `[1, 4, 4]` input, dense 16→16, ReLU, dense 16→16, residual add of the ReLU,
/// ReLU, dense 16→10: every kind a zero-knowledge batch takes.
pub(crate) fn dense_net(seed: u64) -> Model {
    use zkcnn::model::*;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut w = |n: usize| (0..n).map(|_| rng.gen_range(-7..=7)).collect::<Vec<i64>>();
    let dense = |i, o, w: Vec<i64>, b: Vec<i64>| {
        Layer::Dense(Dense {
            input: None,
            in_features: i,
            out_features: o,
            weights: w,
            bias: b,
            shift: 0,
        })
    };
    let (w1, b1, w3, b3, w6, b6) = (w(256), w(16), w(256), w(16), w(160), w(10));
    let mut m = Model {
        name: "zk-batch-dense".into(),
        input_shape: vec![1, 4, 4],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            Layer::FLATTEN,
            dense(16, 16, w1, b1),
            Layer::RELU,
            dense(16, 16, w3, b3),
            Layer::Add(Add {
                input: None,
                from: 2,
                shift: 0,
            }),
            Layer::RELU,
            dense(16, 10, w6, b6),
        ],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    let samples: Vec<_> = (0..6)
        .map(|i| zoo::random_input(&m.input_shape, 8, 200 + i))
        .collect();
    zoo::calibrate_shifts(&mut m, &samples).unwrap();
    m
}

fn inputs(model: &Model, n: usize, seed: u64) -> Vec<ArrayD<i64>> {
    (0..n as u64)
        .map(|i| zoo::random_input(&model.input_shape, model.activation_bits, seed * 100 + i))
        .collect()
}

fn flat(xs: &[ArrayD<i64>]) -> Vec<Vec<i64>> {
    xs.iter().map(|x| x.iter().copied().collect()).collect()
}

fn refs(v: &[Vec<i64>]) -> Vec<&[i64]> {
    v.iter().map(Vec::as_slice).collect()
}

/// Proves a batch of `n` and checks it; then the rejections. Returns the proof.
fn round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &Model,
    n: usize,
    seed: u64,
) -> ZkBatchProof<F, E> {
    // Shifts calibrated on the batch itself as well: a random input outside the calibration
    // can overflow the quantized model, and such an input has no proof (by design).
    let xs = inputs(model, n, seed);
    let mut model = model.clone();
    let mut samples = xs.clone();
    samples.extend(inputs(&model, 6, seed + 1000));
    zoo::calibrate_shifts(&mut model, &samples).unwrap();
    let model = &model;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut committed = network::commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
    let checked = CheckedZkCommitment::assume_checked(model, &committed.commitment);
    let (ys, proof) = network::prove_batch_zk::<F, E, _>(model, &mut committed, &xs, &mut rng)
        .unwrap_or_else(|e| panic!("batch of {n}: {e}"));
    for (x, y) in xs.iter().zip(&ys) {
        let trace = zkcnn::model::infer(model, x).unwrap();
        assert_eq!(Some(y), trace.outputs.last(), "plain inference's output");
    }
    let (x, mut y) = (flat(&xs), flat(&ys));
    let check = |x: &[Vec<i64>], y: &[Vec<i64>], p: &ZkBatchProof<F, E>| {
        network::verify_batch_zk(model, &checked, &refs(x), &refs(y), p)
    };
    assert_eq!(check(&x, &y, &proof), Ok(()), "batch of {n}");
    // A changed output, in each slot.
    for k in 0..n {
        let mut bad = y.clone();
        bad[k][1] += 1;
        assert!(
            check(&x, &bad, &proof).is_err(),
            "output {k} of {n} changed"
        );
    }
    // Another count.
    let mut p = proof.clone();
    p.count += 1;
    assert!(matches!(
        check(&x, &y, &p),
        Err(VerifyError::BatchCount { .. })
    ));
    // One input fewer: another statement.
    if n > 1 {
        assert!(check(&x[..n - 1], &y[..n - 1], &proof).is_err());
        // Two outputs swapped.
        y.swap(0, n - 1);
        if y[0] != y[n - 1] {
            assert!(check(&x, &y, &proof).is_err(), "swapped outputs of {n}");
        }
    }
    proof
}

#[test]
fn batches_round_trip_on_both_fields() {
    let m = dense_net(1);
    for n in [1, 2, 3, 4, 5, 8] {
        round_trip::<G, X>(&m, n, 10 + n as u64);
    }
    round_trip::<Bn254Fr, Bn254Fr>(&dense_net(2), 3, 31);
    round_trip::<G, X>(&zoo::mlp(3), 6, 32);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]
    /// Random models and batch sizes (1, odd, powers of two) round trip.
    #[test]
    fn random_batches_round_trip(seed in 0u64..1000, n in 1usize..10) {
        round_trip::<G, X>(&dense_net(seed), n, seed);
    }
}

/// Proves `model` on a batch of `n` with slot `k`'s witness edited by `edit` after layer
/// `layer` (everything else honest) in zero knowledge; verifies the resulting statement.
fn cheat<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &Model,
    n: usize,
    k: usize,
    layer: usize,
    mut edit: impl FnMut(zkcnn::network::cheat::WitnessMut<'_, F>),
) -> Result<(), VerifyError> {
    let mut rng = StdRng::seed_from_u64(5);
    let mut committed = network::commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
    let checked = CheckedZkCommitment::assume_checked(model, &committed.commitment);
    let xs = inputs(model, n, 3);
    let (ys, proof) = zkcnn::network::cheat::prove_batch_zk_edited::<F, E, _>(
        model,
        &mut committed,
        &xs,
        k,
        |l, w| {
            if l == layer {
                edit(w)
            }
        },
        |_| {},
        &mut rng,
    )
    .unwrap();
    let (x, y) = (flat(&xs), flat(&ys));
    network::verify_batch_zk(model, &checked, &refs(&x), &refs(&y), &proof)
}

/// One entry of slot `k`'s witness edited and everything after it recomputed honestly — a
/// dense layer's `y` and remainder limb, the residual add's `y`, a standalone ReLU's output —
/// for a real input (first, middle, last) and for a padded slot (a copy of input 0 the
/// verifier builds itself): the verifier rejects, on both fields. Without the edit, the same
/// prover's proof verifies.
#[test]
fn cheating_provers_editing_one_slot_are_rejected() {
    let m = dense_net(4);
    let plan = zkcnn::network::cheat::zk_plan::<G, X>(&m, false).unwrap();
    let (Some(d1), Some(add)) = (plan.requant_of(1).cloned(), plan.requant_of(4).cloned()) else {
        panic!("layers 1 and 4 requantize")
    };
    assert_eq!(cheat::<G, X>(&m, 3, 1, 1, |_| {}), Ok(()));
    assert_eq!(
        cheat::<G, X>(&m, 3, 3, 1, |_| {}),
        Ok(()),
        "padded slot, honest"
    );
    let bump = |seg: usize, at: usize| {
        move |w: zkcnn::network::cheat::WitnessMut<'_, G>| {
            w.advice[seg][at] += G::from(1u64);
        }
    };
    for (n, k) in [(3, 0), (3, 2), (4, 3), (2, 1), (3, 3), (5, 7)] {
        assert!(
            cheat::<G, X>(&m, n, k, 1, bump(d1.y, 5)).is_err(),
            "dense y of slot {k} of {n}"
        );
        if let Some(&(limb, _)) = d1.limbs.first() {
            assert!(
                cheat::<G, X>(&m, n, k, 1, bump(limb, 3)).is_err(),
                "dense remainder of slot {k} of {n}"
            );
        }
        assert!(
            cheat::<G, X>(&m, n, k, 4, bump(add.y, 2)).is_err(),
            "add y of slot {k} of {n}"
        );
    }
    assert!(cheat::<Bn254Fr, Bn254Fr>(&m, 3, 1, 1, |w| {
        w.advice[d1.y][5] += Bn254Fr::from(1u64)
    })
    .is_err());
    assert!(cheat::<Bn254Fr, Bn254Fr>(&m, 3, 3, 4, |w| {
        w.advice[add.y][2] += Bn254Fr::from(1u64)
    })
    .is_err());
}

/// A batch of none is refused; one input is the single plan.
#[test]
fn a_batch_of_none_is_refused() {
    let mut rng = StdRng::seed_from_u64(9);
    let m = zoo::small_vgg(1);
    let mut committed = network::commit_model_zk::<G, X, _>(&m, &mut rng).unwrap();
    let xs = inputs(&m, 2, 1);
    assert!(network::prove_batch_zk::<G, X, _>(&m, &mut committed, &xs[..1], &mut rng).is_ok());
    assert!(matches!(
        network::prove_batch_zk::<G, X, _>(&m, &mut committed, &[], &mut rng),
        Err(NetworkError::BatchSize(0))
    ));
}

// The kinds a zero-knowledge batch took last (issue 15): a standalone ReLU, activations by
// lookup, element-wise products and concatenations — each in the transparent batch's model of
// that kind (`batch.rs`) or one of its own, round trips and cheating provers.

/// A standalone ReLU on `[2, 6, 6]`: a 3×3 conv 2→4 without ReLU, a 2×2 max-pool of its signed
/// output, ReLU (layer 2: it follows no requantization, so it is a step of its own), flatten,
/// dense.
fn relu_model(seed: u64) -> Model {
    use zkcnn::model::Layer;
    let s = seed * 10;
    zoo::calibrated(
        "zk-batch-relu",
        &[2, 6, 6],
        vec![
            conv(2, 4, 3, 1, s),
            max_pool(2, 2, 0),
            Layer::RELU,
            Layer::FLATTEN,
            dense(36, 4, s + 1),
        ],
        seed,
    )
    .unwrap()
}

/// Element-wise products on `[2, 4, 4]`, as the transparent batch's model (`batch.rs`) but
/// sixteen channels wide (each hidden tensor's mask must cover its reads): two convolutions
/// 2→16 of the input (3×3 and 1×1) multiplied (layer 2, one layout), a global average pool of
/// the product (`[16, 1, 1]`) and the product times it per channel (layer 4, broadcast),
/// flatten, dense.
fn mul_model(seed: u64) -> Model {
    use zkcnn::model::*;
    let s = seed * 10;
    let mut second = conv(2, 16, 1, 0, s + 1);
    if let Layer::Conv2d(c) = &mut second {
        c.input = Some(0);
    }
    let mul = |input| {
        Layer::Mul(Mul {
            input: Some(input),
            from: 1,
            shift: 0,
        })
    };
    let mut by_channel = mul(3);
    if let Layer::Mul(m) = &mut by_channel {
        m.from = 3;
    }
    zoo::calibrated(
        "zk-batch-mul",
        &[2, 4, 4],
        vec![
            conv(2, 16, 3, 1, s), // → tensor 1
            second,               // → 2
            mul(1),               // → 3
            avg_pool(4),          // → 4: [16, 1, 1]
            by_channel,           // → 5: per channel
            Layer::FLATTEN,
            dense(256, 4, s + 2),
        ],
        seed,
    )
    .unwrap()
}

/// The models of the kinds a batch took last, by name, with the layer whose committed output
/// the cheating provers edit: `relu` (the standalone ReLU, layer 2), `activation` (a Clip by
/// lookup, layer 1), `mul` ([`mul_model`]: the product of two convolutions, layer 2), `concat` (the
/// concatenation a max-pool reads, committed as a copy, layer 7).
fn kind_model(kind: &str, seed: u64) -> (Model, usize) {
    match kind {
        "relu" => (relu_model(seed), 2),
        "activation" => (crate::batch::activation_model(seed), 1),
        "mul" => (mul_model(seed), 2),
        "concat" => (crate::batch::concat_model(seed), 7),
        other => panic!("no model {other}"),
    }
}

const KINDS: [&str; 4] = ["relu", "activation", "mul", "concat"];

/// Each kind's model in zero-knowledge batches of 1, 3 and 4 on Goldilocks and of 3 on BN254,
/// against plain inference, with the verifier's rejections ([`round_trip`]); the step is in
/// the plan (not fused away).
#[test]
fn the_last_kinds_round_trip_in_zero_knowledge_batches() {
    use zkcnn::network::plan::Step;
    for kind in KINDS {
        let (m, l) = kind_model(kind, 2);
        let plan = zkcnn::network::cheat::zk_plan::<G, X>(&m, false).unwrap();
        let step = &plan.steps[l];
        let is_kind = match kind {
            "relu" => matches!(step, Step::Relu(_)),
            "activation" => matches!(step, Step::Activation(_)),
            "mul" => matches!(step, Step::Mul(_)),
            _ => matches!(step, Step::Concat(c) if c.copy.is_some()),
        };
        assert!(is_kind, "{kind}: layer {l} is {step:?}");
        for n in [1, 3, 4] {
            round_trip::<G, X>(&m, n, 40 + n as u64);
        }
        round_trip::<Bn254Fr, Bn254Fr>(&kind_model(kind, 3).0, 3, 47);
    }
}

/// Cheating provers on each kind's step: slot `k`'s committed output of the step edited
/// (a real input's and a padded slot's; the first slot on BN254) — the advice entry alone, and with
/// the tensor the next layers read (recomputed honestly from it). Rejected on both fields; the
/// same prover without an edit verifies.
#[test]
fn cheating_provers_editing_the_last_kinds_are_rejected() {
    use zkcnn::network::cheat::WitnessMut;
    use zkcnn::network::plan::{Source, Step};
    for kind in KINDS {
        let (m, l) = kind_model(kind, 4);
        let plan = zkcnn::network::cheat::zk_plan::<G, X>(&m, false).unwrap();
        // The committed output's segment: the requantization's `y`, the activation's `y`, or
        // the concatenation's copy.
        let seg = match (&plan.steps[l], plan.requant_of(l), &plan.sources[l + 1]) {
            (Step::Activation(a), _, _) => a.y,
            (_, Some(rq), _) => rq.y,
            (Step::Concat(_), _, Source::Committed(copy)) => copy[0].0,
            other => panic!("{kind}: layer {l} commits no output: {other:?}"),
        };
        assert_eq!(cheat::<G, X>(&m, 3, 1, l, |_| {}), Ok(()), "{kind}: honest");
        assert_eq!(
            cheat::<G, X>(&m, 3, 3, l, |_| {}),
            Ok(()),
            "{kind}: honest, padded slot"
        );
        // An entry every slot's output has: a real position of the first channel. A real
        // slot (the last of three) and a padded one (the copy of input 0 in slot 3).
        let at = 1;
        for (n, k) in [(3, 2), (3, 3)] {
            let which = format!("{kind}: slot {k} of {n}");
            assert!(
                cheat::<G, X>(&m, n, k, l, |w: WitnessMut<'_, G>| w.advice[seg][at] +=
                    G::from(1u64))
                .is_err(),
                "{which}: output entry"
            );
            assert!(
                cheat::<G, X>(&m, n, k, l, |w: WitnessMut<'_, G>| {
                    w.advice[seg][at] += G::from(1u64);
                    w.tensors[l + 1][at] += 1;
                })
                .is_err(),
                "{which}: output entry and the tensor read next"
            );
        }
        assert!(
            cheat::<Bn254Fr, Bn254Fr>(&m, 3, 0, l, |w| w.advice[seg][at] += Bn254Fr::from(1u64))
                .is_err(),
            "{kind}: BN254"
        );
        assert!(
            cheat::<Bn254Fr, Bn254Fr>(&m, 3, 3, l, |w| {
                w.advice[seg][at] += Bn254Fr::from(1u64);
                w.tensors[l + 1][at] += 1;
            })
            .is_err(),
            "{kind}: BN254, padded slot"
        );
    }
}

// Convolutions, pools, max-pools and flattens of a hidden tensor in a zero-knowledge batch
// (issue 15): each in a small model of its own, then a LeNet-5-like shape and the trained
// LeNet-5 fixture.

/// A seeded `k × k` convolution `ci → co` (stride 1, padding `pad`).
fn conv(ci: usize, co: usize, k: usize, pad: usize, seed: u64) -> zkcnn::model::Layer {
    use zkcnn::model::*;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut w = |n: usize| (0..n).map(|_| rng.gen_range(-7..=7)).collect::<Vec<i64>>();
    Layer::Conv2d(Conv2d {
        input: None,
        in_channels: ci,
        out_channels: co,
        kernel: [k, k],
        stride: 1,
        padding: pad,
        weights: w(ci * co * k * k),
        bias: w(co),
        shift: 0,
        groups: 1,
    })
}

/// A seeded dense layer `i → o`.
fn dense(i: usize, o: usize, seed: u64) -> zkcnn::model::Layer {
    use zkcnn::model::*;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut w = |n: usize| (0..n).map(|_| rng.gen_range(-7..=7)).collect::<Vec<i64>>();
    Layer::Dense(Dense {
        input: None,
        in_features: i,
        out_features: o,
        weights: w(i * o),
        bias: w(o),
        shift: 0,
    })
}

fn avg_pool(size: usize) -> zkcnn::model::Layer {
    zkcnn::model::Layer::AvgPool2d(zkcnn::model::AvgPool2d {
        divisor: 1,
        input: None,
        size,
        stride: size,
        shift: 2 * size.trailing_zeros(),
    })
}

fn max_pool(size: usize, stride: usize, padding: usize) -> zkcnn::model::Layer {
    let mut p = zkcnn::model::MaxPool2d::new(size, stride);
    p.padding = padding;
    zkcnn::model::Layer::MaxPool2d(p)
}

/// The convolution models, by name: `conv-input` (a conv reading the input, fused ReLU,
/// flatten of the hidden output, dense), `conv-conv`, `conv-avgpool`, `conv-maxpool` (conv,
/// ReLU, 2×2 max-pool, flatten, dense; `conv-maxpool-wide` on `[2, 8, 16]`,
/// `conv-maxpool-small` on `[2, 4, 4]`),
/// `conv-window` (a 3×3/2 max-pool with padding, the window protocol), `lenet` (LeNet-5's
/// shape with small channels on `[1, 16, 16]`: conv 5×5 padding 2, ReLU, max-pool 2, conv
/// 5×5 padding 2, ReLU, max-pool 2, flatten, dense, ReLU, dense). Wide enough that every hidden
/// tensor's mask covers its reads with one input (`NetworkError::AdviceReads`).
pub(crate) fn conv_net(name: &str, seed: u64) -> Model {
    use zkcnn::model::Layer;
    let s = seed * 10;
    let (shape, layers): (&[usize], Vec<Layer>) = match name {
        "conv-input" => (
            &[1, 8, 8],
            vec![
                conv(1, 4, 3, 1, s),
                Layer::RELU,
                Layer::FLATTEN,
                dense(256, 5, s + 1),
            ],
        ),
        "conv-conv" => (
            &[2, 8, 8],
            vec![
                conv(2, 4, 3, 1, s),
                Layer::RELU,
                conv(4, 4, 3, 1, s + 1),
                Layer::RELU,
                Layer::FLATTEN,
                dense(256, 4, s + 2),
            ],
        ),
        "conv-avgpool" => (
            &[2, 8, 8],
            vec![
                conv(2, 8, 3, 1, s),
                Layer::RELU,
                avg_pool(2),
                Layer::FLATTEN,
                dense(128, 4, s + 1),
            ],
        ),
        "conv-maxpool" => (
            &[2, 8, 8],
            vec![
                conv(2, 8, 3, 1, s),
                Layer::RELU,
                max_pool(2, 2, 0),
                Layer::FLATTEN,
                dense(128, 5, s + 1),
            ],
        ),
        // Not square: the sub-grids' inserted bits sit below the width's variables.
        "conv-maxpool-wide" => (
            &[2, 8, 16],
            vec![
                conv(2, 4, 3, 1, s),
                Layer::RELU,
                max_pool(2, 2, 0),
                Layer::FLATTEN,
                dense(128, 5, s + 1),
            ],
        ),
        // Small enough for the extraction attack's linear system (`leakage.rs`).
        "conv-maxpool-small" => (
            &[2, 4, 4],
            vec![
                conv(2, 3, 3, 1, s),
                Layer::RELU,
                max_pool(2, 2, 0),
                Layer::FLATTEN,
                dense(12, 5, s + 1),
            ],
        ),
        "conv-window" => (
            &[2, 9, 9],
            vec![
                conv(2, 4, 3, 1, s),
                Layer::RELU,
                max_pool(3, 2, 1),
                Layer::FLATTEN,
                dense(100, 4, s + 1),
            ],
        ),
        "lenet" => (
            &[1, 16, 16],
            vec![
                conv(1, 4, 5, 2, s),
                Layer::RELU,
                max_pool(2, 2, 0),
                conv(4, 8, 5, 2, s + 1),
                Layer::RELU,
                max_pool(2, 2, 0),
                Layer::FLATTEN,
                dense(128, 12, s + 2),
                Layer::RELU,
                dense(12, 10, s + 3),
            ],
        ),
        other => panic!("no model {other}"),
    };
    zoo::calibrated(name, shape, layers, seed).unwrap()
}

const CONV_NETS: [&str; 7] = [
    "conv-input",
    "conv-conv",
    "conv-avgpool",
    "conv-maxpool",
    "conv-maxpool-wide",
    "conv-window",
    "lenet",
];

/// Every convolution model on batches of 1, 3 (odd) and 8 (a power of two) on Goldilocks, and
/// of 3 on BN254 (the other sizes: [`convolution_batches_round_trip_at_every_size`]).
#[test]
fn convolution_batches_round_trip_on_both_fields() {
    conv_round_trips(&[1, 3, 8], &[3]);
}

/// [`convolution_batches_round_trip_on_both_fields`] at 1, 2, 3, 5, 8 inputs on Goldilocks and
/// 2, 3 on BN254 (about twice as long; run by hand: `-- --ignored`).
#[test]
#[ignore]
fn convolution_batches_round_trip_at_every_size() {
    conv_round_trips(&[1, 2, 3, 5, 8], &[2, 3]);
}

/// Every model of [`CONV_NETS`] at each size, on Goldilocks then BN254; the failures reported
/// together.
fn conv_round_trips(goldilocks: &[usize], bn254: &[usize]) {
    let mut failed = Vec::new();
    for (i, name) in CONV_NETS.iter().enumerate() {
        let m = conv_net(name, 1 + i as u64);
        for &n in goldilocks {
            let run = std::panic::catch_unwind(|| round_trip::<G, X>(&m, n, 40 + n as u64));
            if run.is_err() {
                failed.push(format!("{name}, Goldilocks, {n}"));
            }
        }
        for &n in bn254 {
            let run =
                std::panic::catch_unwind(|| round_trip::<Bn254Fr, Bn254Fr>(&m, n, 50 + n as u64));
            if run.is_err() {
                failed.push(format!("{name}, BN254, {n}"));
            }
        }
    }
    assert!(failed.is_empty(), "failed: {failed:?}");
}

/// The trained LeNet-5 fixture (`fixtures/mnist-lenet5`) on a batch of three of its test
/// inputs: the batch's outputs are plain inference's.
#[test]
fn the_trained_lenet5_proves_a_batch_of_three_in_zero_knowledge() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/mnist-lenet5");
    let model =
        Model::from_json(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap();
    let images =
        zkcnn::npy::read_f32(&std::fs::read(dir.join("test-inputs.npy")).unwrap()).unwrap();
    let len = images.data.len() / images.shape[0];
    let q = model.quantization.as_ref().unwrap();
    let xs: Vec<ArrayD<i64>> = images
        .data
        .chunks(len)
        .take(3)
        .map(|img| {
            let xq = q.quantize_input(img, model.activation_bits);
            ArrayD::from_shape_vec(ndarray::IxDyn(&model.input_shape), xq).unwrap()
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(3);
    let mut committed = network::commit_model_zk::<G, X, _>(&model, &mut rng).unwrap();
    let checked = CheckedZkCommitment::assume_checked(&model, &committed.commitment);
    let (ys, proof) = network::prove_batch_zk::<G, X, _>(&model, &mut committed, &xs, &mut rng)
        .unwrap_or_else(|e| panic!("LeNet-5 batch of 3: {e}"));
    for (x, y) in xs.iter().zip(&ys) {
        assert_eq!(Ok(y.clone()), zkcnn::model::infer_output(&model, x));
    }
    let (x, y) = (flat(&xs), flat(&ys));
    assert_eq!(
        network::verify_batch_zk(&model, &checked, &refs(&x), &refs(&y), &proof),
        Ok(())
    );
    let mut bad = y.clone();
    bad[2][0] += 1;
    assert!(network::verify_batch_zk(&model, &checked, &refs(&x), &refs(&bad), &proof).is_err());
}

/// One entry of slot `k`'s witness edited, everything after it recomputed honestly — the
/// first convolution's `y` and remainder limb (a conv reading the input), a second
/// convolution's `y`, an average pool's `y`, a 2×2 max-pool's maximum and output, a window
/// max-pool's maximum, a flattened entry (the committed copy and the tensor the next layer
/// reads) — for a real input (first, middle, last) and a padded slot: the verifier rejects, on
/// both fields. Without the edit, the same path verifies. Slots (CI): the last input of a full
/// batch and a padded slot (the first input, a middle one and a batch of two too:
/// [`cheating_provers_editing_any_slot_of_a_convolution_batch_are_rejected`]).
#[test]
fn cheating_provers_editing_a_convolution_batch_are_rejected() {
    cheating_convolution_batches(&[(4, 3), (5, 7)]);
}

/// [`cheating_provers_editing_a_convolution_batch_are_rejected`] at six slots (a middle input,
/// a batch of two and a full batch's padded slot too; about twice as long, `-- --ignored`).
#[test]
#[ignore]
fn cheating_provers_editing_any_slot_of_a_convolution_batch_are_rejected() {
    cheating_convolution_batches(&[(3, 0), (3, 1), (3, 2), (3, 3), (5, 7), (2, 1)]);
}

/// The cheating provers of [`cheating_provers_editing_a_convolution_batch_are_rejected`] at
/// each `(n, k)`: slot `k` of a batch of `n`.
fn cheating_convolution_batches(slots: &[(usize, usize)]) {
    use zkcnn::layers::maxpool::{MaxPool2x2, MaxPoolWindow};
    use zkcnn::network::cheat::WitnessMut;
    use zkcnn::network::plan::{Source, Step};
    let bump =
        |seg: usize, at: usize| move |w: WitnessMut<'_, G>| w.advice[seg][at] += G::from(1u64);
    // A committed output edited with the tensor the next layer reads.
    let both = |seg: usize, t: usize, at: usize| {
        move |w: WitnessMut<'_, G>| {
            w.advice[seg][at] += G::from(1u64);
            w.tensors[t][at] += 1;
        }
    };
    for name in [
        "conv-maxpool",
        "conv-maxpool-wide",
        "conv-conv",
        "conv-avgpool",
        "conv-window",
    ] {
        let m = conv_net(name, 7);
        let plan = zkcnn::network::cheat::zk_plan::<G, X>(&m, false).unwrap();
        let r0 = plan.requant_of(0).cloned().expect("conv requantizes");
        for (n, k) in [(3, 1), (4, 3)] {
            assert_eq!(
                cheat::<G, X>(&m, n, k, 0, |_| {}),
                Ok(()),
                "{name}: honest {k} of {n}"
            );
        }
        for &(n, k) in slots {
            let at = format!("{name}: slot {k} of {n}");
            assert!(
                cheat::<G, X>(&m, n, k, 0, bump(r0.y, 5)).is_err(),
                "conv y, {at}"
            );
            if let Some(&(limb, _)) = r0.limbs.first() {
                assert!(
                    cheat::<G, X>(&m, n, k, 0, bump(limb, 3)).is_err(),
                    "conv limb, {at}"
                );
            }
            match &plan.steps[2] {
                Step::MaxPool(MaxPool2x2 { segs }) => {
                    assert!(
                        cheat::<G, X>(&m, n, k, 2, bump(segs[0], 1)).is_err(),
                        "m1, {at}"
                    );
                    assert!(
                        cheat::<G, X>(&m, n, k, 2, both(segs[2], 3, 1)).is_err(),
                        "max-pool output, {at}"
                    );
                }
                Step::MaxPoolWindow(MaxPoolWindow { segs, .. }) => {
                    assert!(
                        cheat::<G, X>(&m, n, k, 2, bump(segs[0], 1)).is_err(),
                        "m1, {at}"
                    );
                    let last = segs[segs.len() - 1];
                    assert!(
                        cheat::<G, X>(&m, n, k, 2, both(last, 3, 1)).is_err(),
                        "window max-pool output, {at}"
                    );
                }
                Step::Conv(_) | Step::AvgPool(_) => {
                    let r2 = plan.requant_of(2).cloned().expect("layer 2 requantizes");
                    assert!(
                        cheat::<G, X>(&m, n, k, 2, bump(r2.y, 2)).is_err(),
                        "y 2, {at}"
                    );
                    if let Some(&(limb, _)) = r2.limbs.first() {
                        assert!(
                            cheat::<G, X>(&m, n, k, 2, bump(limb, 1)).is_err(),
                            "limb 2, {at}"
                        );
                    }
                }
                other => panic!("{name}: layer 2 is {other:?}"),
            }
            // The flatten (layer 3 or 4): its committed copy and the tensor the dense reads.
            let l = plan
                .steps
                .iter()
                .position(|s| matches!(s, Step::Flatten(_)))
                .unwrap();
            let Source::Committed(copy) = &plan.sources[l + 1] else {
                panic!("{name}: the flatten's output is committed")
            };
            let seg = copy[0].0;
            assert!(
                cheat::<G, X>(&m, n, k, l, both(seg, l + 1, 2)).is_err(),
                "flatten, {at}"
            );
            assert!(
                cheat::<G, X>(&m, n, k, l, bump(seg, 2)).is_err(),
                "flatten copy, {at}"
            );
        }
        // BN254: a real and a padded slot.
        for k in [1, 3] {
            assert!(
                cheat::<Bn254Fr, Bn254Fr>(&m, 3, k, 0, |w| w.advice[r0.y][5] +=
                    Bn254Fr::from(1u64))
                .is_err(),
                "{name}: BN254 conv y of slot {k}"
            );
        }
    }
    // A conv reading the input, on BN254 and Goldilocks, its input's slot edited in the
    // tensor (the honest rest recomputed): the public input is the verifier's.
    let m = conv_net("conv-input", 3);
    assert_eq!(cheat::<G, X>(&m, 3, 2, 0, |_| {}), Ok(()));
    let plan = zkcnn::network::cheat::zk_plan::<G, X>(&m, false).unwrap();
    let r0 = plan.requant_of(0).cloned().expect("conv requantizes");
    for &(n, k) in slots {
        assert!(
            cheat::<G, X>(&m, n, k, 0, bump(r0.y, 7)).is_err(),
            "conv-input y {k} of {n}"
        );
    }
    assert!(
        cheat::<Bn254Fr, Bn254Fr>(&m, 3, 3, 0, |w| w.advice[r0.y][7] += Bn254Fr::from(1u64))
            .is_err()
    );
}
