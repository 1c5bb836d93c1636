//! Zero-knowledge accuracy proofs (`spec/accuracy.md`, "Zero knowledge"): the proven count
//! against the naive oracle (plain inference and the first maximal logit) over batch sizes and
//! labels on both fields, the verifier's rejections (a count off by one, another label, one
//! input fewer, another model commitment), cheating provers (a wrong label in the relations, a
//! wrong prediction, a prediction that is not one-hot, a padded class predicted, a count off by
//! one, each with the rest recomputed honestly), and byte fuzzing of the proof.

use super::zk_batch::dense_net;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use ndarray::ArrayD;
use proptest::prelude::*;
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::model::{infer::infer_output, zoo, Model};
use zkcnn::network::cheat::{prove_accuracy_zk_edited, AccuracyWitness};
use zkcnn::network::{self, CheckedZkCommitment, VerifyError, ZkAccuracyProof, ZkCommittedModel};

type G = Goldilocks;
type X = GoldilocksExt2;

pub(crate) fn inputs(model: &Model, n: usize, seed: u64) -> Vec<ArrayD<i64>> {
    (0..n as u64)
        .map(|i| zoo::random_input(&model.input_shape, model.activation_bits, seed * 100 + i))
        .collect()
}

pub(crate) fn flat(xs: &[ArrayD<i64>]) -> Vec<Vec<i64>> {
    xs.iter().map(|x| x.iter().copied().collect()).collect()
}

pub(crate) fn refs(xs: &[Vec<i64>]) -> Vec<&[i64]> {
    xs.iter().map(Vec::as_slice).collect()
}

/// In zero knowledge every relation's last check is a claim on the committed tables: a false
/// witness is caught when the one opening discharges them (a changed statement too: every challenge after it
/// differs, and the prover's claims no longer hold).
pub(crate) fn opening_fails<T>(r: &Result<T, VerifyError>) -> bool {
    matches!(
        r,
        Err(VerifyError::Deferred(zkcnn::zk::DischargeError::Opening(_)))
    )
}

/// The oracle: each input's first maximal logit by plain inference.
pub(crate) fn predictions(model: &Model, xs: &[ArrayD<i64>]) -> Vec<usize> {
    xs.iter()
        .map(|x| {
            let y: Vec<i64> = infer_output(model, x).unwrap().iter().copied().collect();
            let max = *y.iter().max().unwrap();
            y.iter().position(|&v| v == max).unwrap()
        })
        .collect()
}

pub(crate) fn oracle_count(model: &Model, xs: &[ArrayD<i64>], labels: &[usize]) -> u64 {
    predictions(model, xs)
        .iter()
        .zip(labels)
        .filter(|(p, l)| p == l)
        .count() as u64
}

pub(crate) const CLASSES: usize = 10;

pub(crate) struct Setup<F: BaseField> {
    pub(crate) model: Model,
    pub(crate) committed: ZkCommittedModel<F>,
    pub(crate) checked: CheckedZkCommitment,
    pub(crate) xs: Vec<ArrayD<i64>>,
    pub(crate) x: Vec<Vec<i64>>,
    pub(crate) rng: StdRng,
}

/// The dense network, its shifts calibrated on the batch too (a random input outside the
/// calibration can overflow the quantized model, and such an input has no proof by design),
/// committed with a hiding commitment.
pub(crate) fn setup<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    n: usize,
    seed: u64,
) -> Setup<F> {
    let mut model = dense_net(seed);
    let xs = inputs(&model, n, seed);
    let mut samples = xs.clone();
    samples.extend(inputs(&model, 6, seed + 1000));
    zoo::calibrate_shifts(&mut model, &samples).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let committed = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
    let checked = CheckedZkCommitment::assume_checked(&model, &committed.commitment);
    let x = flat(&xs);
    Setup {
        model,
        committed,
        checked,
        xs,
        x,
        rng,
    }
}

/// Labels with about half of them the oracle's prediction (so counts are neither 0 nor `n`).
pub(crate) fn labels_for(model: &Model, xs: &[ArrayD<i64>], seed: u64) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    predictions(model, xs)
        .into_iter()
        .map(|p| {
            if rng.gen_bool(0.5) {
                p
            } else {
                rng.gen_range(0..CLASSES)
            }
        })
        .collect()
}

/// Proves with `labels`; the count is the oracle's and the proof verifies; a count off by one
/// either way, another label, one input fewer and another commitment are rejected.
fn round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    s: &mut Setup<F>,
    labels: &[usize],
) -> ZkAccuracyProof<F, E> {
    let model = s.model.clone();
    let n = s.xs.len();
    let proof =
        network::prove_accuracy_zk::<F, E, _>(&model, &mut s.committed, &s.xs, labels, &mut s.rng)
            .unwrap_or_else(|e| panic!("{n} inputs: {e}"));
    assert_eq!(proof.count, n as u64);
    assert_eq!(
        proof.correct,
        oracle_count(&model, &s.xs, labels),
        "{n} inputs"
    );
    let verify = |x: &[Vec<i64>], labels: &[usize], p: &ZkAccuracyProof<F, E>| {
        network::verify_accuracy_zk(&model, &s.checked, &refs(x), labels, p)
    };
    assert_eq!(verify(&s.x, labels, &proof), Ok(()), "{n} inputs");
    for delta in [1i64, -1] {
        let mut p = proof.clone();
        let Some(k) = p
            .correct
            .checked_add_signed(delta)
            .filter(|&k| k <= n as u64)
        else {
            continue;
        };
        p.correct = k;
        assert!(
            opening_fails(&verify(&s.x, labels, &p)),
            "count {k} accepted"
        );
    }
    // Another label, in each slot.
    for i in 0..n {
        let mut other = labels.to_vec();
        other[i] = (other[i] + 1) % CLASSES;
        assert!(
            opening_fails(&verify(&s.x, &other, &proof)),
            "label {i} changed"
        );
    }
    // Another input.
    let mut x = s.x.clone();
    x[n - 1][0] ^= 1;
    assert!(opening_fails(&verify(&x, labels, &proof)), "input changed");
    if n >= 2 {
        assert!(matches!(
            verify(&s.x[..n - 1], &labels[..n - 1], &proof),
            Err(VerifyError::AccuracyCount { .. })
        ));
    }
    let mut p = proof.clone();
    p.correct = n as u64 + 1;
    assert!(matches!(
        verify(&s.x, labels, &p),
        Err(VerifyError::AccuracyCount { .. })
    ));
    proof
}

#[test]
fn the_proven_count_is_the_oracles_over_batch_sizes_on_both_fields() {
    for (n, seed) in [(1, 1), (2, 2), (3, 3), (5, 4), (8, 5)] {
        let mut s = setup::<G, X>(n, seed);
        let labels = labels_for(&s.model, &s.xs, seed);
        round_trip::<G, X>(&mut s, &labels);
    }
    for (n, seed) in [(1, 6), (3, 7)] {
        let mut s = setup::<Bn254Fr, Bn254Fr>(n, seed);
        let labels = labels_for(&s.model, &s.xs, seed);
        round_trip::<Bn254Fr, Bn254Fr>(&mut s, &labels);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]
    #[test]
    fn random_accuracy_batches_round_trip(n in 1usize..=6, seed in 0u64..1000) {
        let mut s = setup::<G, X>(n, seed);
        let labels = labels_for(&s.model, &s.xs, seed + 1);
        round_trip::<G, X>(&mut s, &labels);
    }
}

/// A proof against another model's commitment (same architecture, other weights) is rejected.
#[test]
fn a_proof_is_bound_to_its_model_commitment() {
    let mut s = setup::<G, X>(3, 11);
    let labels = labels_for(&s.model, &s.xs, 11);
    let proof = round_trip::<G, X>(&mut s, &labels);
    let mut other = s.model.clone();
    if let zkcnn::model::Layer::Dense(d) = &mut other.layers[1] {
        d.weights[0] += 1;
    }
    let mut rng = StdRng::seed_from_u64(99);
    let committed = network::commit_model_zk::<G, X, _>(&other, &mut rng).unwrap();
    let checked = CheckedZkCommitment::assume_checked(&other, &committed.commitment);
    assert!(network::verify_accuracy_zk(&other, &checked, &refs(&s.x), &labels, &proof).is_err());
}

/// A cheating prover: `edit` on the accuracy witness, the rest honest; the verifier's verdict
/// and the count the prover claimed.
fn cheat<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    s: &mut Setup<F>,
    labels: &[usize],
    edit: impl FnMut(&mut AccuracyWitness),
) -> Result<u64, VerifyError> {
    let model = s.model.clone();
    let proof = prove_accuracy_zk_edited::<F, E, _>(
        &model,
        &mut s.committed,
        &s.xs,
        labels,
        &mut s.rng,
        edit,
    )
    .unwrap();
    network::verify_accuracy_zk(&model, &s.checked, &refs(&s.x), labels, &proof)?;
    Ok(proof.correct)
}

/// A class of slot `i` whose logit is below the maximum, if any.
pub(crate) fn non_maximal(w: &AccuracyWitness, i: usize) -> Option<usize> {
    let row = &w.logits[i * w.width..i * w.width + w.classes];
    let max = *row.iter().max().unwrap();
    row.iter().position(|&v| v < max)
}

fn cheating_provers_on<F: BaseField + ark_ff::FftField, E: ExtField<F>>(n: usize, seed: u64) {
    let mut s = setup::<F, E>(n, seed);
    let labels = labels_for(&s.model, &s.xs, seed);
    let honest = oracle_count(&s.model, &s.xs, &labels);
    assert_eq!(cheat::<F, E>(&mut s, &labels, |_| {}), Ok(honest));
    for i in [0, n - 1] {
        // One label the relations use changed (the statement's kept), the count recomputed.
        let r = cheat::<F, E>(&mut s, &labels, |w| {
            w.labels[i] = (w.labels[i] + 1) % CLASSES;
            w.recount();
        });
        assert!(opening_fails(&r), "label {i}: {r:?}");
        // A non-maximal class predicted, S and M from it, the count recomputed: the range
        // check's column M − H·V − Y − S goes negative.
        let r = cheat::<F, E>(&mut s, &labels, |w| {
            if let Some(j) = non_maximal(w, i) {
                w.predict(i, j);
            }
            w.recount();
        });
        assert!(opening_fails(&r), "prediction {i}: {r:?}");
        // Two classes predicted (P not one-hot): the weighted sum is 2.
        let r = cheat::<F, E>(&mut s, &labels, |w| {
            let a = w.predicted(i).unwrap();
            w.p[i * w.width + (a + 1) % CLASSES] = 1;
            w.derive(i);
            w.recount();
        });
        assert!(opening_fails(&r), "two ones {i}: {r:?}");
        // P = 2 at the prediction and −1 at another class (not the label), S and M derived:
        // the sum is 1, the range check of P rejects the −1.
        let r = cheat::<F, E>(&mut s, &labels, |w| {
            let a = w.predicted(i).unwrap();
            let b = (0..CLASSES).find(|&j| j != a && j != w.labels[i]).unwrap();
            w.p[i * w.width + a] = 2;
            w.p[i * w.width + b] = -1;
            w.derive(i);
            w.recount();
        });
        assert!(opening_fails(&r), "2 and -1 {i}: {r:?}");
        // A padded class predicted (its logit is 0): it weighs 2.
        let r = cheat::<F, E>(&mut s, &labels, |w| {
            w.predict(i, CLASSES);
            w.recount();
        });
        assert!(opening_fails(&r), "padded class {i}: {r:?}");
        // M one above the maximum on the whole row (S kept): relation (3) fails.
        let r = cheat::<F, E>(&mut s, &labels, |w| {
            for j in 0..w.width {
                w.m[i * w.width + j] += 1;
            }
        });
        assert!(opening_fails(&r), "maximum {i}: {r:?}");
    }
    // The count off by one, the rest honest.
    for delta in [1i64, -1] {
        let r = cheat::<F, E>(&mut s, &labels, |w| {
            w.correct = w.correct.wrapping_add_signed(delta);
        });
        assert!(opening_fails(&r), "count {delta}: {r:?}");
    }
}

#[test]
fn cheating_accuracy_provers_are_rejected_in_zero_knowledge() {
    cheating_provers_on::<G, X>(3, 21);
    cheating_provers_on::<G, X>(4, 22);
    cheating_provers_on::<Bn254Fr, Bn254Fr>(3, 23);
}

/// Any bytes: `Err` or a proof the verifier rejects, never a panic; the honest bytes round trip.
#[test]
fn zero_knowledge_accuracy_proof_bytes_never_panic() {
    let mut s = setup::<G, X>(3, 31);
    let labels = labels_for(&s.model, &s.xs, 31);
    let proof = round_trip::<G, X>(&mut s, &labels);
    let mut bytes = Vec::new();
    proof.serialize_compressed(&mut bytes).unwrap();
    let back = ZkAccuracyProof::<G, X>::deserialize_compressed(&bytes[..]).unwrap();
    assert_eq!(back, proof);
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..64 {
        let mut b = bytes.clone();
        let at = rng.gen_range(0..b.len());
        b[at] ^= 1 << rng.gen_range(0..8);
        if let Ok(p) = ZkAccuracyProof::<G, X>::deserialize_compressed(&b[..]) {
            if p != proof {
                let r = network::verify_accuracy_zk(&s.model, &s.checked, &refs(&s.x), &labels, &p);
                assert!(r.is_err(), "flipped byte {at} accepted");
            }
        }
    }
    for len in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        assert!(ZkAccuracyProof::<G, X>::deserialize_compressed(&bytes[..len]).is_err());
    }
}

/// The inputs committed (hidden) too: the count is the oracle's, the proof verifies against the
/// batch's commitment; another label, a count off by one, another batch's commitment (other
/// inputs, or the same recommitted) and one label fewer are rejected; on both fields.
fn committed_round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(n: usize, seed: u64) {
    let mut s = setup::<F, E>(n, seed);
    let labels = labels_for(&s.model, &s.xs, seed);
    let model = s.model.clone();
    let mut batch = network::commit_batch_zk::<F, E, _>(&model, &s.xs, &mut s.rng).unwrap();
    let proof = network::prove_accuracy_zk_committed::<F, E, _>(
        &model,
        &mut s.committed,
        &mut batch,
        &labels,
        &mut s.rng,
    )
    .unwrap_or_else(|e| panic!("{n} committed inputs: {e}"));
    assert_eq!(proof.correct, oracle_count(&model, &s.xs, &labels), "{n}");
    let verify = |c: &zkcnn::pcs::zk::ZkCommitment, labels: &[usize], p: &ZkAccuracyProof<F, E>| {
        network::verify_accuracy_zk_committed(&model, &s.checked, c, labels, p)
    };
    assert_eq!(verify(&batch.commitment, &labels, &proof), Ok(()), "{n}");
    for i in 0..n {
        let mut other = labels.clone();
        other[i] = (other[i] + 1) % CLASSES;
        assert!(
            opening_fails(&verify(&batch.commitment, &other, &proof)),
            "label {i}"
        );
    }
    for delta in [1i64, -1] {
        let mut p = proof.clone();
        if let Some(k) = p
            .correct
            .checked_add_signed(delta)
            .filter(|&k| k <= n as u64)
        {
            p.correct = k;
            assert!(
                opening_fails(&verify(&batch.commitment, &labels, &p)),
                "count {k}"
            );
        }
    }
    let other =
        network::commit_batch_zk::<F, E, _>(&model, &inputs(&model, n, seed + 9), &mut s.rng)
            .unwrap();
    assert!(
        verify(&other.commitment, &labels, &proof).is_err(),
        "another batch"
    );
    let again = network::commit_batch_zk::<F, E, _>(&model, &s.xs, &mut s.rng).unwrap();
    assert!(
        verify(&again.commitment, &labels, &proof).is_err(),
        "recommitted"
    );
    if n > 1 {
        assert!(
            verify(&batch.commitment, &labels[..n - 1], &proof).is_err(),
            "one fewer"
        );
    }
    // The public-input verifier on the real inputs: another statement.
    assert!(network::verify_accuracy_zk(&model, &s.checked, &refs(&s.x), &labels, &proof).is_err());
}

#[test]
fn accuracy_over_committed_inputs_round_trips_on_both_fields() {
    for (n, seed) in [(1, 41), (3, 42), (5, 43), (8, 44)] {
        committed_round_trip::<G, X>(n, seed);
    }
    committed_round_trip::<Bn254Fr, Bn254Fr>(3, 45);
}

/// The trained LeNet-5 fixture (convolutions, max-pools, flatten, dense) on its eight test
/// inputs committed as a hidden batch, with the fixture's labels: the zero-knowledge accuracy
/// proof's count is plain inference's, it verifies against the batch's commitment, and a wrong
/// count or label is rejected; then with the labels committed too (a hidden test set).
/// A fixture's model (`fixtures/NAME`), its test inputs quantized and their labels.
fn fixture(name: &str) -> (Model, Vec<ArrayD<i64>>, Vec<usize>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let model =
        Model::from_json(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap();
    let images =
        zkcnn::npy::read_f32(&std::fs::read(dir.join("test-inputs.npy")).unwrap()).unwrap();
    let labels: Vec<usize> =
        zkcnn::npy::read_i64(&std::fs::read(dir.join("test-labels.npy")).unwrap())
            .unwrap()
            .data
            .iter()
            .map(|&l| l as usize)
            .collect();
    let len = images.data.len() / images.shape[0];
    let q = model.quantization.as_ref().unwrap();
    let xs: Vec<ArrayD<i64>> = images
        .data
        .chunks(len)
        .map(|img| {
            let xq = q.quantize_input(img, model.activation_bits);
            ArrayD::from_shape_vec(ndarray::IxDyn(&model.input_shape), xq).unwrap()
        })
        .collect();
    (model, xs, labels)
}

#[test]
fn lenet5_accuracy_over_committed_inputs_in_zero_knowledge() {
    let (model, xs, labels) = fixture("mnist-lenet5");
    assert_eq!(xs.len(), labels.len());
    let mut rng = StdRng::seed_from_u64(17);
    let mut committed = network::commit_model_zk::<G, X, _>(&model, &mut rng).unwrap();
    let checked = CheckedZkCommitment::assume_checked(&model, &committed.commitment);
    let mut batch = network::commit_batch_zk::<G, X, _>(&model, &xs, &mut rng).unwrap();
    let proof = network::prove_accuracy_zk_committed::<G, X, _>(
        &model,
        &mut committed,
        &mut batch,
        &labels,
        &mut rng,
    )
    .unwrap();
    assert_eq!(proof.correct, oracle_count(&model, &xs, &labels));
    let verify = |labels: &[usize], p: &ZkAccuracyProof<G, X>| {
        network::verify_accuracy_zk_committed(&model, &checked, &batch.commitment, labels, p)
    };
    assert_eq!(verify(&labels, &proof), Ok(()));
    let mut p = proof.clone();
    p.correct = p.correct.saturating_sub(1);
    assert!(opening_fails(&verify(&labels, &p)), "count one fewer");
    let mut other = labels.clone();
    other[0] = (other[0] + 1) % CLASSES;
    assert!(opening_fails(&verify(&other, &proof)), "label 0 changed");
    // The labels committed too (a hidden test set): the same count.
    let mut dataset =
        network::commit_dataset_zk::<G, X, _>(&model, &xs, &labels, &mut rng).unwrap();
    let d = dataset.commitment();
    let proof = network::prove_accuracy_zk_dataset::<G, X, _>(
        &model,
        &mut committed,
        &mut dataset,
        &mut rng,
    )
    .unwrap();
    assert_eq!(proof.correct, oracle_count(&model, &xs, &labels));
    assert_eq!(
        network::verify_accuracy_zk_dataset(&model, &checked, &d, &proof),
        Ok(())
    );
    let mut p = proof.clone();
    p.correct = p.correct.saturating_sub(1);
    assert!(opening_fails(&network::verify_accuracy_zk_dataset(
        &model, &checked, &d, &p
    )));
}

/// The imported MobileNetV2-style fixture (depthwise and pointwise convolutions, ReLU6 by
/// lookup, residual adds, a global average pool) proves a zero-knowledge accuracy proof over
/// three of its test images: the count is plain inference's, the proof verifies, and a count
/// one fewer or another label is rejected at the opening. (Its activations by lookup were
/// refused in a zero-knowledge batch before.)
#[test]
fn mobilenet_accuracy_in_zero_knowledge() {
    let (model, xs, labels) = fixture("mnist-mobilenet");
    let (xs, labels) = (&xs[..3], &labels[..3]);
    assert!(model
        .layers
        .iter()
        .any(|l| matches!(l, zkcnn::model::Layer::Activation(_))));
    let mut rng = StdRng::seed_from_u64(18);
    let mut committed = network::commit_model_zk::<G, X, _>(&model, &mut rng).unwrap();
    let checked = CheckedZkCommitment::assume_checked(&model, &committed.commitment);
    let proof = network::prove_accuracy_zk::<G, X, _>(&model, &mut committed, xs, labels, &mut rng)
        .unwrap();
    assert_eq!(proof.correct, oracle_count(&model, xs, labels));
    let x = flat(xs);
    let verify = |labels: &[usize], p: &ZkAccuracyProof<G, X>| {
        network::verify_accuracy_zk(&model, &checked, &refs(&x), labels, p)
    };
    assert_eq!(verify(labels, &proof), Ok(()));
    let mut p = proof.clone();
    p.correct = p.correct.saturating_sub(1);
    assert!(opening_fails(&verify(labels, &p)), "count one fewer");
    let mut other = labels.to_vec();
    other[2] = (other[2] + 1) % CLASSES;
    assert!(opening_fails(&verify(&other, &proof)), "label 2 changed");
}

/// A cheating prover whose weights are not the committed ones: one weight of each dense layer
/// changed by one (the model's commitment kept; the witness, the outputs and the count computed
/// honestly from the changed weights), the first weight whose change changes the batch's
/// outputs (a weight that multiplies only zero activations on this batch changes nothing: the
/// statement would be true and the proof honest). Its batch proof and its accuracy proof are
/// rejected at the opening (the weights' claims are claims on the committed table).
fn changed_weight_on<F: BaseField + ark_ff::FftField, E: ExtField<F>>(seed: u64) {
    use zkcnn::model::Layer;
    let mut s = setup::<F, E>(3, seed);
    let labels = labels_for(&s.model, &s.xs, seed);
    let outputs = |m: &Model| -> Vec<Vec<i64>> {
        s.xs.iter()
            .map(|x| infer_output(m, x).unwrap().iter().copied().collect())
            .collect()
    };
    let honest = outputs(&s.model);
    let dense: Vec<usize> = (0..s.model.layers.len())
        .filter(|&l| matches!(s.model.layers[l], Layer::Dense(_)))
        .collect();
    assert!(dense.len() >= 2);
    let x = flat(&s.xs);
    for l in dense {
        let Layer::Dense(d) = &s.model.layers[l] else {
            unreachable!()
        };
        let changed = (0..d.weights.len())
            .map(|k| {
                let mut m = s.model.clone();
                if let Layer::Dense(d) = &mut m.layers[l] {
                    d.weights[k] += if d.weights[k] < 7 { 1 } else { -1 };
                }
                m
            })
            .find(|m| outputs(m) != honest)
            .expect("a weight that changes the outputs");
        let (ys, proof) =
            network::prove_batch_zk::<F, E, _>(&changed, &mut s.committed, &s.xs, &mut s.rng)
                .unwrap();
        let ys = flat(&ys);
        assert_ne!(ys, honest, "a false statement");
        let r = network::verify_batch_zk(&s.model, &s.checked, &refs(&x), &refs(&ys), &proof);
        assert!(opening_fails(&r), "batch, layer {l}: {r:?}");
        let proof = network::prove_accuracy_zk::<F, E, _>(
            &changed,
            &mut s.committed,
            &s.xs,
            &labels,
            &mut s.rng,
        )
        .unwrap();
        let r = network::verify_accuracy_zk(&s.model, &s.checked, &refs(&x), &labels, &proof);
        assert!(opening_fails(&r), "accuracy, layer {l}: {r:?}");
    }
}

#[test]
fn a_weight_other_than_the_committed_one_is_caught_in_batch_and_accuracy_proofs() {
    changed_weight_on::<G, X>(41);
    changed_weight_on::<Bn254Fr, Bn254Fr>(42);
}
