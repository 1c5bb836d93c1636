//! Batch proofs (`spec/batch.md`): round trips over batch sizes and models on both fields, the
//! verifier's rejections (a changed output, swapped inputs, another batch, the padded slot,
//! cheating provers that edit one input's witness), and byte fuzzing.

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use ndarray::ArrayD;
use proptest::prelude::*;
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::model::{zoo, Model};
use zkcnn::network::{self, BatchProof, NetworkError, VerifyError};

/// Conv (3×3, padding 1), ReLU, 2×2 max-pool, conv, residual add, standalone ReLU, flatten,
/// dense: every kind a batch proof takes, on `[2, 4, 4]`.
fn small(seed: u64) -> Model {
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
    // Each output is the single proof's.
    for (x, y) in xs.iter().zip(&ys) {
        assert_eq!(&network::prove::<F, E>(model, &committed, x).unwrap().0, y);
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
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]
    #[test]
    fn batches_round_trip(n in 1usize..=5, seed in 0u64..1000, bn in any::<bool>()) {
        let m = small(seed);
        if bn {
            round_trip::<Bn254Fr, Bn254Fr>(&m, n, seed);
        } else {
            round_trip::<Goldilocks, GoldilocksExt2>(&m, n, seed);
        }
    }
}
