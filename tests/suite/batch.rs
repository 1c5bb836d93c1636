//! Batch proofs (`spec/batch.md`): round trips over batch sizes and models on both fields, the
//! verifier's rejections (a changed output, swapped inputs, another batch, the padded slot,
//! cheating provers that edit one input's witness), and byte fuzzing.

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use ndarray::ArrayD;
use proptest::prelude::*;
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::layers::maxpool::MaxPool2x2;
use zkcnn::model::{zoo, Model};
use zkcnn::network::{self, BatchProof, NetworkError, VerifyError};

/// Conv (3×3, padding 1), ReLU, 2×2 max-pool, conv, residual add, standalone ReLU, flatten,
/// dense: every kind a batch proof takes, on `[2, 4, 4]`.
pub(crate) fn small(seed: u64) -> Model {
    use zkcnn::model::*;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut w = |n: usize| (0..n).map(|_| rng.gen_range(-7..=7)).collect::<Vec<i64>>();
    let conv = |ci, co, w: Vec<i64>, b: Vec<i64>| {
        Layer::Conv2d(Conv2d {
            input: None,
            in_channels: ci,
            out_channels: co,
            kernel: [3, 3],
            stride: 1,
            padding: 1,
            weights: w,
            bias: b,
            shift: 0,
            groups: 1,
        })
    };
    let (w0, b0, w3, b3, w7, b7) = (w(2 * 3 * 9), w(3), w(3 * 3 * 9), w(3), w(12 * 5), w(5));
    let mut m = Model {
        name: "batch-small".into(),
        input_shape: vec![2, 4, 4],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![
            conv(2, 3, w0, b0),
            Layer::RELU,
            Layer::MaxPool2d(MaxPool2d::new(2, 2)),
            conv(3, 3, w3, b3),
            Layer::Add(Add {
                input: None,
                from: 2,
                shift: 0,
            }),
            Layer::RELU,
            Layer::FLATTEN,
            Layer::Dense(Dense {
                input: None,
                in_features: 12,
                out_features: 5,
                weights: w7,
                bias: b7,
                shift: 0,
            }),
        ],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    let samples: Vec<_> = (0..4)
        .map(|i| zoo::random_input(&m.input_shape, 8, 100 + i))
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

fn refs(xs: &[Vec<i64>]) -> Vec<&[i64]> {
    xs.iter().map(Vec::as_slice).collect()
}

struct Proven<F: BaseField, E: ExtField<F>> {
    checked: network::CheckedCommitment,
    committed: network::CommittedModel<F, E>,
    x: Vec<Vec<i64>>,
    y: Vec<Vec<i64>>,
    proof: BatchProof<F, E>,
}

fn prove<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &Model,
    n: usize,
    seed: u64,
) -> Proven<F, E> {
    let committed = network::commit_model::<F, E>(model).unwrap();
    let checked = committed.public.check(model).unwrap();
    let xs = inputs(model, n, seed);
    let (ys, proof) = network::prove_batch::<F, E>(model, &committed, &xs).unwrap();
    // Each output is the single proof's, and the model's inference (the naive oracle).
    for (x, y) in xs.iter().zip(&ys) {
        assert_eq!(&network::prove::<F, E>(model, &committed, x).unwrap().0, y);
        assert_eq!(&zkcnn::model::infer_output(model, x).unwrap(), y);
    }
    Proven {
        checked,
        committed,
        x: flat(&xs),
        y: flat(&ys),
        proof,
    }
}

fn verify<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &Model,
    p: &Proven<F, E>,
    x: &[Vec<i64>],
    y: &[Vec<i64>],
) -> Result<(), VerifyError> {
    network::verify_batch(model, &p.checked, &refs(x), &refs(y), &p.proof)
}

fn round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(model: &Model, n: usize, seed: u64) {
    let p = prove::<F, E>(model, n, seed);
    verify(model, &p, &p.x, &p.y).unwrap();
    assert_eq!(p.proof.count, n as u64);
    // One output of the batch changed: the last one's, and the first one's (whose copies
    // fill the padded slots).
    for i in [n - 1, 0] {
        let mut y = p.y.clone();
        y[i][0] += 1;
        assert_eq!(verify(model, &p, &p.x, &y), Err(VerifyError::Output));
    }
    if n >= 2 {
        // Two inputs swapped (their outputs not).
        let mut x = p.x.clone();
        x.swap(0, n - 1);
        if x != p.x {
            assert!(verify(model, &p, &x, &p.y).is_err());
        }
        // One input fewer: another batch.
        assert!(matches!(
            verify(model, &p, &p.x[..n - 1], &p.y[..n - 1]),
            Err(VerifyError::BatchCount { .. })
        ));
    }
}

#[test]
fn batches_of_one_to_five_round_trip_on_both_fields() {
    let m = small(1);
    for n in 1..=5 {
        round_trip::<Goldilocks, GoldilocksExt2>(&m, n, n as u64);
    }
    round_trip::<Bn254Fr, Bn254Fr>(&m, 3, 7);
}

#[test]
fn lenet5_batch_round_trips() {
    round_trip::<Goldilocks, GoldilocksExt2>(&zoo::lenet5(2), 3, 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]
    /// Over batch sizes (1, odd, powers of two) and models: [`small`], or one of every kind
    /// a batch took last (average pool, window max-pool, concatenation, activation, product).
    #[test]
    fn batches_round_trip(
        n in 1usize..=5,
        seed in 0u64..1000,
        bn in any::<bool>(),
        kind in 0usize..6,
    ) {
        let m = match kind {
            0 => small(seed),
            k => kind_model(["avg-pool", "max-pool", "concat", "activation", "mul"][k - 1], seed).0,
        };
        if bn {
            round_trip::<Bn254Fr, Bn254Fr>(&m, n, seed);
        } else {
            round_trip::<Goldilocks, GoldilocksExt2>(&m, n, seed);
        }
    }
}

/// Proves `model` on a batch of `n` with input `k`'s witness edited by `edit` after layer
/// `layer` (everything else honest); verifies the resulting statement.
fn cheat<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &Model,
    n: usize,
    k: usize,
    layer: usize,
    mut edit: impl FnMut(zkcnn::network::cheat::WitnessMut<'_, F>),
) -> Result<(), VerifyError> {
    let committed = network::commit_model::<F, E>(model).unwrap();
    let checked = committed.public.check(model).unwrap();
    let xs = inputs(model, n, 3);
    let (ys, proof) = zkcnn::network::cheat::prove_batch_edited::<F, E>(
        model,
        &committed,
        &xs,
        k,
        |l, w| {
            if l == layer {
                edit(w)
            }
        },
        |_| {},
    )
    .unwrap();
    let (x, y) = (flat(&xs), flat(&ys));
    network::verify_batch(model, &checked, &refs(&x), &refs(&y), &proof)
}

/// An entry of input `k`'s advice segment or activation, edited and the rest recomputed
/// honestly: the verifier rejects, for the first and a later input of the batch, and for every
/// kind of part (a requantization's `y` and remainder limb, a max-pool's maximum, a derived
/// activation). Without the edit, the same prover's proof verifies.
#[test]
fn cheating_provers_editing_one_batch_element_are_rejected() {
    use zkcnn::network::plan::{Plan, Step};
    let m = small(1);
    let plan = Plan::batched(&m, network::COLUMN_VARS, 0).unwrap();
    type G = Goldilocks;
    type X = GoldilocksExt2;
    assert_eq!(cheat::<G, X>(&m, 3, 1, 0, |_| {}), Ok(()));
    let Some(r0) = plan.requant_of(0).cloned() else {
        panic!("conv requantizes")
    };
    let Step::MaxPool(MaxPool2x2 { segs }) = plan.steps[2].clone() else {
        panic!("layer 2 is a 2x2 max-pool")
    };
    let bump = |seg: usize, at: usize| {
        move |w: zkcnn::network::cheat::WitnessMut<'_, G>| {
            w.advice[seg][at] += G::from(1u64);
        }
    };
    for (n, k) in [(3, 0), (3, 2), (4, 3), (2, 1)] {
        // The conv's y at an odd row and column (0b0101), its remainder limb, a max-pool
        // maximum.
        let y = cheat::<G, X>(&m, n, k, 0, bump(r0.y, 5));
        assert!(y.is_err(), "y of input {k} of {n}");
        if let Some(&(limb, _)) = r0.limbs.first() {
            let r = cheat::<G, X>(&m, n, k, 0, bump(limb, 3));
            assert!(r.is_err(), "limb of input {k} of {n}");
        }
        let mx = cheat::<G, X>(&m, n, k, 2, bump(segs[2], 1));
        assert!(mx.is_err(), "max-pool of input {k} of {n}");
        // The flatten's (derived) output.
        let fl = cheat::<G, X>(&m, n, k, 6, |w| w.tensors[7][2] += 1);
        assert!(fl.is_err(), "flatten of input {k} of {n}");
    }
    // BN254 too.
    assert!(
        cheat::<Bn254Fr, Bn254Fr>(&m, 3, 1, 0, |w| w.advice[r0.y][5] += Bn254Fr::from(1u64))
            .is_err()
    );
}

/// A padded slot (a copy of input 0 that the verifier builds itself) edited alone, the rest
/// of it recomputed honestly, input 0's own slot untouched: the verifier rejects, for every
/// kind of part, on both fields. An honest padded slot through the same path verifies.
#[test]
fn cheating_provers_editing_a_padded_slot_are_rejected() {
    use zkcnn::network::plan::{Plan, Step};
    let m = small(1);
    let plan = Plan::batched(&m, network::COLUMN_VARS, 0).unwrap();
    type G = Goldilocks;
    type X = GoldilocksExt2;
    let Some(r0) = plan.requant_of(0).cloned() else {
        panic!("conv requantizes")
    };
    let Step::MaxPool(MaxPool2x2 { segs }) = plan.steps[2].clone() else {
        panic!("layer 2 is a 2x2 max-pool")
    };
    let bump = |seg: usize, at: usize| {
        move |w: zkcnn::network::cheat::WitnessMut<'_, G>| {
            w.advice[seg][at] += G::from(1u64);
        }
    };
    // (inputs, padded slot): 3 of 4 slots, 5 of 8 (the first and the last padded slot).
    for (n, k) in [(3, 3), (5, 5), (5, 7)] {
        assert_eq!(
            cheat::<G, X>(&m, n, k, 0, |_| {}),
            Ok(()),
            "honest slot {k} of {n}"
        );
        let y = cheat::<G, X>(&m, n, k, 0, bump(r0.y, 5));
        assert!(y.is_err(), "y of padded slot {k} of {n}");
        if let Some(&(limb, _)) = r0.limbs.first() {
            let r = cheat::<G, X>(&m, n, k, 0, bump(limb, 3));
            assert!(r.is_err(), "limb of padded slot {k} of {n}");
        }
        let mx = cheat::<G, X>(&m, n, k, 2, bump(segs[2], 1));
        assert!(mx.is_err(), "max-pool of padded slot {k} of {n}");
        let fl = cheat::<G, X>(&m, n, k, 6, |w| w.tensors[7][2] += 1);
        assert!(fl.is_err(), "flatten of padded slot {k} of {n}");
    }
    assert!(
        cheat::<Bn254Fr, Bn254Fr>(&m, 3, 3, 0, |w| w.advice[r0.y][5] += Bn254Fr::from(1u64))
            .is_err()
    );
}

/// Every layer kind a batch of one takes, a batch of two or more takes too: each kind once
/// refused, inserted as layer 3 of [`small`] (keeping its shape), plans with a batch
/// variable. No inputs: refused.
#[test]
fn every_kind_plans_in_a_batch() {
    use zkcnn::model::*;
    let pool = |size, stride, padding| {
        Layer::MaxPool2d(MaxPool2d {
            size,
            stride,
            padding,
            ceil_mode: false,
            input: None,
        })
    };
    let kinds = vec![
        Layer::AvgPool2d(AvgPool2d {
            divisor: 1,
            input: None,
            size: 1,
            stride: 1,
            shift: 0,
        }),
        pool(3, 1, 1),
        Layer::Concat(Concat { inputs: vec![3] }),
        Layer::Activation(Activation {
            function: activation::Function::Clip {
                min: -100,
                max: 100,
            },
            input: None,
        }),
        Layer::Mul(Mul {
            input: None,
            from: 2,
            shift: 0,
        }),
    ];
    for layer in kinds {
        let mut m = small(2);
        m.layers.insert(3, layer.clone());
        // The layers after it read one tensor later.
        if let Layer::Add(a) = &mut m.layers[5] {
            a.from = 2;
        }
        for b in [0, 1, 3] {
            let plan = network::plan::Plan::batched(&m, network::COLUMN_VARS, b);
            assert!(plan.is_ok(), "{layer:?} with {b} batch variables: {plan:?}");
        }
    }
    let m = small(2);
    let committed = network::commit_model::<Goldilocks, GoldilocksExt2>(&m).unwrap();
    assert_eq!(
        network::prove_batch::<Goldilocks, GoldilocksExt2>(&m, &committed, &[]).map(|_| ()),
        Err(NetworkError::BatchSize(0))
    );
}

/// The proof's bytes round-trip; a flipped bit anywhere, a truncation, another statement or a
/// single proof's bytes are refused (by the format or the verifier), never a panic.
#[test]
fn batch_proof_bytes_are_refused_when_altered() {
    bytes_are_refused_when_altered(&small(3), 5);
}

/// [`batch_proof_bytes_are_refused_when_altered`] for the models of the kinds a batch took
/// last.
#[test]
fn batch_proof_bytes_of_every_kind_are_refused_when_altered() {
    for kind in ["avg-pool", "max-pool", "concat", "activation", "mul"] {
        bytes_are_refused_when_altered(&kind_model(kind, 3).0, 5);
    }
}

/// A batch of three (inputs of `seed`) of `m`: its bytes round-trip, and altered ones are
/// refused.
fn bytes_are_refused_when_altered(m: &Model, seed: u64) {
    let m = m.clone();
    let p = prove::<Goldilocks, GoldilocksExt2>(&m, 3, seed);
    let arch = m.architecture();
    let commitment = p.committed.commitment();
    let digest = |x: &[Vec<i64>], y: &[Vec<i64>]| {
        network::batch_statement_digest(&arch, commitment, &refs(x), &refs(y))
    };
    let d = digest(&p.x, &p.y);
    let bytes = p.proof.to_bytes(d);
    let back = BatchProof::<Goldilocks, GoldilocksExt2>::from_bytes(&bytes, d).unwrap();
    assert_eq!(back, p.proof);
    let check = |b: &[u8]| match BatchProof::<Goldilocks, GoldilocksExt2>::from_bytes(b, d) {
        Err(_) => true,
        Ok(q) => network::verify_batch(&arch, &p.checked, &refs(&p.x), &refs(&p.y), &q).is_err(),
    };
    let mut rng = StdRng::seed_from_u64(9);
    let mut positions: Vec<usize> = (0..48).collect();
    positions.extend((0..40).map(|_| rng.gen_range(48..bytes.len())));
    for at in positions {
        let mut b = bytes.clone();
        b[at] ^= 1 << rng.gen_range(0..8);
        assert!(check(&b), "a flip at byte {at} was accepted");
    }
    for len in [0, 10, 44, 45, bytes.len() / 2, bytes.len() - 1] {
        assert!(BatchProof::<Goldilocks, GoldilocksExt2>::from_bytes(&bytes[..len], d).is_err());
    }
    // Another batch's statement.
    let mut y = p.y.clone();
    y[1][0] += 1;
    assert_eq!(
        BatchProof::<Goldilocks, GoldilocksExt2>::from_bytes(&bytes, digest(&p.x, &y)),
        Err(network::FormatError::Statement)
    );
    // A single proof is not a batch proof, nor the other way round.
    assert!(matches!(
        network::Proof::<Goldilocks, GoldilocksExt2>::from_bytes(&bytes, d),
        Err(network::FormatError::Kind { .. })
    ));
    assert_eq!(
        network::proof::kind_of(&bytes),
        Ok(network::ProofKind::TransparentBatch)
    );
}

// Every layer kind in a batch: average pools, max-pools of any window, concatenations,
// activations by lookup and element-wise products, each in a small model of its own.

/// A seeded `k × k` convolution `ci → co` with padding `pad`, reading tensor `input` (the
/// previous output when `None`).
fn conv_layer(
    input: Option<usize>,
    ci: usize,
    co: usize,
    k: usize,
    pad: usize,
    seed: u64,
) -> zkcnn::model::Layer {
    use zkcnn::model::*;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut w = |n: usize| (0..n).map(|_| rng.gen_range(-7..=7)).collect::<Vec<i64>>();
    Layer::Conv2d(Conv2d {
        input,
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
fn dense_layer(i: usize, o: usize, seed: u64) -> zkcnn::model::Layer {
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

/// A model of `layers` on `input_shape` (8-bit), its shifts calibrated on four inputs and
/// then one more each (half the calibrated range: other seeds' inputs stay in range, so the
/// proptest's random models and inputs prove).
fn calibrated(name: &str, input_shape: &[usize], layers: Vec<zkcnn::model::Layer>) -> Model {
    let mut m = Model {
        name: name.into(),
        input_shape: input_shape.to_vec(),
        activation_bits: 8,
        weight_bits: 8,
        layers,
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    let samples: Vec<_> = (0..4)
        .map(|i| zoo::random_input(&m.input_shape, 8, 200 + i))
        .collect();
    zoo::calibrate_shifts(&mut m, &samples).unwrap();
    for layer in &mut m.layers {
        if let Some(s) = layer.shift() {
            layer.set_shift(s + 1);
        }
    }
    m
}

/// Average pools: a 2×2 stride-2 pool, then a global one (`[3, 2, 2] → [3, 1, 1]`), on
/// `[2, 4, 4]`. The first pool is layer 2.
pub(crate) fn avg_pool_model(seed: u64) -> Model {
    use zkcnn::model::*;
    let pool = |size| {
        Layer::AvgPool2d(AvgPool2d {
            divisor: 1,
            input: None,
            size,
            stride: size,
            shift: 0,
        })
    };
    calibrated(
        "batch-avg-pool",
        &[2, 4, 4],
        vec![
            conv_layer(None, 2, 3, 3, 1, seed),
            Layer::RELU,
            pool(2),
            pool(2),
            Layer::FLATTEN,
            dense_layer(3, 4, seed + 1),
        ],
    )
}

/// Window max-pools on `[2, 5, 5]` (odd sides): 3×3 stride 2 padding 1 (layer 2, `[3, 3, 3]`),
/// then 2×2 stride 1 (`[3, 2, 2]`; `ceil_mode` off).
pub(crate) fn max_pool_model(seed: u64) -> Model {
    use zkcnn::model::*;
    let pool = |size, stride, padding| {
        Layer::MaxPool2d(MaxPool2d {
            size,
            stride,
            padding,
            ceil_mode: false,
            input: None,
        })
    };
    calibrated(
        "batch-max-pool",
        &[2, 5, 5],
        vec![
            conv_layer(None, 2, 3, 3, 1, seed),
            Layer::RELU,
            pool(3, 2, 1),
            pool(2, 1, 0),
            Layer::FLATTEN,
            dense_layer(12, 4, seed + 1),
        ],
    )
}

/// Concatenations on `[2, 4, 4]`: a 1×1 conv 2→3 and a 3×3 conv 2→2 (both reading the
/// input), each with ReLU, concatenated (layer 4, derived: a convolution reads it), a 1×1
/// conv 5→2 and ReLU concatenated with the first branch (layer 7, `[5, 4, 4]`: a max-pool
/// reads it, so it is committed as a copy), 2×2 max-pool, flatten, dense.
pub(crate) fn concat_model(seed: u64) -> Model {
    use zkcnn::model::*;
    let concat = |inputs: Vec<usize>| Layer::Concat(Concat { inputs });
    calibrated(
        "batch-concat",
        &[2, 4, 4],
        vec![
            conv_layer(None, 2, 3, 1, 0, seed),        // → tensor 1
            Layer::RELU,                               // → 2
            conv_layer(Some(0), 2, 2, 3, 1, seed + 1), // → 3
            Layer::RELU,                               // → 4
            concat(vec![2, 4]),                        // → 5: [5, 4, 4]
            conv_layer(None, 5, 2, 1, 0, seed + 2),    // → 6
            Layer::RELU,                               // → 7
            concat(vec![7, 2]),                        // → 8: [5, 4, 4], committed
            Layer::MaxPool2d(MaxPool2d::new(2, 2)),    // → 9
            Layer::FLATTEN,                            // → 10
            dense_layer(20, 4, seed + 3),
        ],
    )
}

/// Activations by lookup on `[2, 4, 4]`: a 3×3 conv 2→3, Clip to `[0, 40]` (layer 1), a 1×1
/// conv 3→3, LeakyRelu (slope 0.1, layer 3: a second function in the table), flatten, dense.
pub(crate) fn activation_model(seed: u64) -> Model {
    use zkcnn::model::activation::Function;
    use zkcnn::model::*;
    let act = |function| {
        Layer::Activation(Activation {
            function,
            input: None,
        })
    };
    calibrated(
        "batch-activation",
        &[2, 4, 4],
        vec![
            conv_layer(None, 2, 3, 3, 1, seed),
            act(Function::Clip { min: 0, max: 40 }),
            conv_layer(None, 3, 3, 1, 0, seed + 1),
            act(Function::LeakyRelu { alpha: 6554 }),
            Layer::FLATTEN,
            dense_layer(48, 4, seed + 2),
        ],
    )
}

/// Element-wise products on `[2, 4, 4]`: two convolutions 2→3 of the input (3×3 and 1×1)
/// multiplied (layer 2, one layout), a global average pool of the product (`[3, 1, 1]`) and
/// the product times it per channel (layer 4, broadcast), flatten, dense.
pub(crate) fn mul_model(seed: u64) -> Model {
    use zkcnn::model::*;
    calibrated(
        "batch-mul",
        &[2, 4, 4],
        vec![
            conv_layer(None, 2, 3, 3, 1, seed),        // → tensor 1
            conv_layer(Some(0), 2, 3, 1, 0, seed + 1), // → 2
            Layer::Mul(Mul {
                input: Some(1),
                from: 1,
                shift: 0,
            }), // → 3
            Layer::AvgPool2d(AvgPool2d {
                divisor: 1,
                input: None,
                size: 4,
                stride: 4,
                shift: 0,
            }), // → 4: [3, 1, 1]
            Layer::Mul(Mul {
                input: Some(3),
                from: 3,
                shift: 0,
            }), // → 5: per channel
            Layer::FLATTEN,
            dense_layer(48, 4, seed + 2),
        ],
    )
}

/// The model of a kind the batch proof newly takes, and the layer of that kind whose advice
/// the cheating provers edit.
fn kind_model(kind: &str, seed: u64) -> (Model, usize) {
    match kind {
        "avg-pool" => (avg_pool_model(seed), 2),
        "max-pool" => (max_pool_model(seed), 2),
        "concat" => (concat_model(seed), 7),
        "activation" => (activation_model(seed), 1),
        "mul" => (mul_model(seed), 2),
        "mul-broadcast" => (mul_model(seed), 4),
        _ => unreachable!("no such kind: {kind}"),
    }
}

fn kind_round_trips(kind: &str) {
    let (m, _) = kind_model(kind, 1);
    for n in [3, 4] {
        round_trip::<Goldilocks, GoldilocksExt2>(&m, n, n as u64);
    }
    round_trip::<Bn254Fr, Bn254Fr>(&m, 3, 7);
}

/// Input `k`'s (or padded slot `k`'s) entry `at` of the first advice segment of layer
/// `layer`'s step, plus one, the rest recomputed honestly: rejected, on both fields; the same
/// path without the edit verifies.
fn kind_cheats_are_rejected(kind: &str, at: usize) {
    use zkcnn::network::plan::Plan;
    let (m, layer) = kind_model(kind, 1);
    let plan = Plan::batched(&m, network::COLUMN_VARS, 0).unwrap();
    let seg = plan
        .advice_layers
        .iter()
        .position(|&l| l == Some(layer))
        .unwrap();
    type G = Goldilocks;
    type X = GoldilocksExt2;
    assert_eq!(cheat::<G, X>(&m, 3, 1, layer, |_| {}), Ok(()));
    // (inputs, slot): a middle input, the last input of a full batch, a padded slot.
    for (n, k) in [(3, 1), (4, 3), (3, 3)] {
        let r = cheat::<G, X>(&m, n, k, layer, |w| w.advice[seg][at] += G::from(1u64));
        assert!(r.is_err(), "{kind}: slot {k} of {n}");
    }
    let r = cheat::<Bn254Fr, Bn254Fr>(&m, 3, 2, layer, |w| {
        w.advice[seg][at] += Bn254Fr::from(1u64)
    });
    assert!(r.is_err(), "{kind} on BN254");
}

#[test]
fn average_pools_round_trip_in_a_batch() {
    kind_round_trips("avg-pool");
}

#[test]
fn cheating_provers_editing_an_average_pool_are_rejected() {
    // The pool's requantized `y` at entry 1 (channel 0, row 0, column 1).
    kind_cheats_are_rejected("avg-pool", 1);
}

#[test]
fn window_max_pools_round_trip_in_a_batch() {
    kind_round_trips("max-pool");
}

#[test]
fn cheating_provers_editing_a_window_max_pool_are_rejected() {
    // The first two-way maximum `m_1` at entry 4 (channel 0, row 1, column 0).
    kind_cheats_are_rejected("max-pool", 4);
}

#[test]
fn concatenations_round_trip_in_a_batch() {
    kind_round_trips("concat");
}

#[test]
fn cheating_provers_editing_a_concatenation_are_rejected() {
    type G = Goldilocks;
    type X = GoldilocksExt2;
    // The committed copy (layer 7) at entry 18 (channel 1, row 0, column 2).
    kind_cheats_are_rejected("concat", 18);
    // The derived concatenation's output (layer 4, tensor 5): one slot's entry, the layers
    // after it computed from it.
    let (m, _) = kind_model("concat", 1);
    for (n, k) in [(3, 1), (4, 3), (3, 3)] {
        let r = cheat::<G, X>(&m, n, k, 4, |w| w.tensors[5][21] += 1);
        assert!(r.is_err(), "derived concat: slot {k} of {n}");
    }
    let r = cheat::<Bn254Fr, Bn254Fr>(&m, 3, 0, 4, |w| w.tensors[5][21] += 1);
    assert!(r.is_err(), "derived concat on BN254");
}

#[test]
fn activations_round_trip_in_a_batch() {
    kind_round_trips("activation");
}

#[test]
fn cheating_provers_editing_an_activation_are_rejected() {
    // The Clip's output `y` at entry 5 (channel 0, row 1, column 1): its pair with `x` is not
    // in the table.
    kind_cheats_are_rejected("activation", 5);
}

#[test]
fn element_wise_products_round_trip_in_a_batch() {
    kind_round_trips("mul");
}

#[test]
fn cheating_provers_editing_an_element_wise_product_are_rejected() {
    // The product's requantized `y` at entry 5, of one layout and per channel.
    kind_cheats_are_rejected("mul", 5);
    kind_cheats_are_rejected("mul-broadcast", 5);
}
