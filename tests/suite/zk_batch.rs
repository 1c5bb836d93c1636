//! Zero-knowledge batch proofs (`spec/batch.md`, "Zero knowledge"): round trips over batch
//! sizes on both fields (against plain inference), the verifier's rejections (a changed output,
//! swapped outputs, another count, a proof of another batch), cheating provers that edit one
//! slot's witness (a real input's or a padded copy's) and recompute the rest honestly, and the
//! kinds not taken yet, refused by name. The extraction attack on batch proofs is in
//! `leakage.rs`.

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

/// The kinds whose zero-knowledge step does not take a batch yet are refused by name (a
/// convolution, a max-pool), before anything is committed; a batch of none is refused.
#[test]
fn kinds_not_taken_yet_are_refused_by_name() {
    let mut rng = StdRng::seed_from_u64(9);
    let m = zoo::small_vgg(1);
    let mut committed = network::commit_model_zk::<G, X, _>(&m, &mut rng).unwrap();
    let xs = inputs(&m, 2, 1);
    match network::prove_batch_zk::<G, X, _>(&m, &mut committed, &xs, &mut rng) {
        Err(NetworkError::Unsupported { layer: 0, what }) => {
            assert!(
                what.contains("conv in a zero-knowledge batch proof"),
                "{what}"
            )
        }
        other => panic!("expected the convolution refused, got {other:?}"),
    }
    // A standalone ReLU (here of the flattened input; after a requantizing layer a ReLU is
    // fused and taken): refused in a batch by name.
    let relu = {
        use zkcnn::model::*;
        let mut m = zoo::mlp(2);
        m.input_shape = vec![1, 4, 6];
        m.layers.insert(0, Layer::RELU);
        m.layers.insert(0, Layer::FLATTEN);
        m
    };
    // (Its commitment is sized by the hidden-input plan, which takes a ReLU of the input.)
    let mut rc = network::commit_model_zk::<G, X, _>(&relu, &mut rng).unwrap();
    let rx = inputs(&relu, 3, 2);
    match network::prove_batch_zk::<G, X, _>(&relu, &mut rc, &rx, &mut rng) {
        Err(NetworkError::Unsupported { layer: 1, what }) => {
            assert!(
                what.contains("relu in a zero-knowledge batch proof"),
                "{what}"
            )
        }
        other => panic!("expected the ReLU refused, got {other:?}"),
    }
    // One input is the single plan: taken.
    assert!(network::prove_batch_zk::<G, X, _>(&m, &mut committed, &xs[..1], &mut rng).is_ok());
    assert!(matches!(
        network::prove_batch_zk::<G, X, _>(&m, &mut committed, &[], &mut rng),
        Err(NetworkError::BatchSize(0))
    ));
}
