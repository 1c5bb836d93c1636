//! Accuracy proofs (`spec/accuracy.md`): the proven count against a naive oracle (inference and
//! the first maximal logit), round trips over batch sizes and labels on both fields, exact-error
//! tamper tests on each new proof part, cheating provers (a wrong label, a wrong prediction, a
//! count off by one, a prediction that is not one-hot, a tie broken the wrong way), refusals,
//! and byte fuzzing.

use super::batch::small;
use ark_ff::Field;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use ndarray::ArrayD;
use proptest::prelude::*;
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::layers::LayerError;
use zkcnn::model::{infer::infer_output, zoo, Model};
use zkcnn::network::accuracy::{accuracy_statement_digest, LabelError};
use zkcnn::network::cheat::{prove_accuracy_edited, AccuracyWitness};
use zkcnn::network::{self, AccuracyProof, FormatError, NetworkError, VerifyError};

type G = Goldilocks;
type X = GoldilocksExt2;

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

/// The oracle: each input's first maximal logit by plain inference.
fn predictions(model: &Model, xs: &[ArrayD<i64>]) -> Vec<usize> {
    xs.iter()
        .map(|x| {
            let y: Vec<i64> = infer_output(model, x).unwrap().iter().copied().collect();
            let max = *y.iter().max().unwrap();
            y.iter().position(|&v| v == max).unwrap()
        })
        .collect()
}

fn oracle_count(model: &Model, xs: &[ArrayD<i64>], labels: &[usize]) -> u64 {
    predictions(model, xs)
        .iter()
        .zip(labels)
        .filter(|(p, l)| p == l)
        .count() as u64
}

fn classes(model: &Model) -> usize {
    infer_output(model, &inputs(model, 1, 0)[0]).unwrap().len()
}

struct Setup<F: BaseField, E: ExtField<F>> {
    committed: network::CommittedModel<F, E>,
    checked: network::CheckedCommitment,
    xs: Vec<ArrayD<i64>>,
    x: Vec<Vec<i64>>,
}

fn setup<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &Model,
    n: usize,
    seed: u64,
) -> Setup<F, E> {
    let committed = network::commit_model::<F, E>(model).unwrap();
    let checked = committed.public.check(model).unwrap();
    let xs = inputs(model, n, seed);
    let x = flat(&xs);
    Setup {
        committed,
        checked,
        xs,
        x,
    }
}

/// Proves with the given labels; the count is the oracle's and the proof verifies; a count off
/// by one either way (the proof's), another label, or one input fewer is rejected.
fn round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &Model,
    s: &Setup<F, E>,
    labels: &[usize],
) {
    let proof = network::prove_accuracy::<F, E>(model, &s.committed, &s.xs, labels).unwrap();
    let n = s.xs.len();
    assert_eq!(proof.count, n as u64);
    assert_eq!(proof.correct, oracle_count(model, &s.xs, labels));
    let verify = |x: &[Vec<i64>], labels: &[usize], p: &AccuracyProof<F, E>| {
        network::verify_accuracy(model, &s.checked, &refs(x), labels, p)
    };
    verify(&s.x, labels, &proof).unwrap();
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
            matches!(
                verify(&s.x, labels, &p),
                Err(VerifyError::AccuracySumcheck { what: "count", .. })
            ),
            "count {k} accepted"
        );
    }
    let mut other = labels.to_vec();
    other[n - 1] = (other[n - 1] + 1) % classes(model);
    assert!(verify(&s.x, &other, &proof).is_err());
    if n >= 2 {
        assert!(matches!(
            verify(&s.x[..n - 1], &labels[..n - 1], &proof),
            Err(VerifyError::AccuracyCount { .. })
        ));
    }
}

fn random_labels(n: usize, c: usize, seed: u64) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.gen_range(0..c)).collect()
}

#[test]
fn the_proven_count_is_the_oracles_over_batch_sizes_on_both_fields() {
    let m = small(1);
    let c = classes(&m);
    for n in [1, 2, 3, 4, 5, 8] {
        let s = setup::<G, X>(&m, n, n as u64);
        // Random labels; every label right (k = n); every label wrong (k = 0).
        round_trip(&m, &s, &random_labels(n, c, n as u64));
        let right = predictions(&m, &s.xs);
        round_trip(&m, &s, &right);
        let wrong: Vec<usize> = right.iter().map(|&p| (p + 1) % c).collect();
        round_trip(&m, &s, &wrong);
    }
    let s = setup::<Bn254Fr, Bn254Fr>(&m, 3, 7);
    round_trip(&m, &s, &random_labels(3, c, 7));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]
    #[test]
    fn accuracy_proofs_round_trip(n in 1usize..=9, seed in 0u64..1000, bn in any::<bool>()) {
        let m = small(seed % 3);
        let labels = random_labels(n, classes(&m), seed);
        if bn {
            round_trip(&m, &setup::<Bn254Fr, Bn254Fr>(&m, n, seed), &labels);
        } else {
            round_trip(&m, &setup::<G, X>(&m, n, seed), &labels);
        }
    }
}

/// The proof's new parts, each altered: the exact rejection.
#[test]
fn each_accuracy_part_altered_is_rejected_exactly() {
    let m = small(2);
    let s = setup::<G, X>(&m, 3, 4);
    let labels = random_labels(3, classes(&m), 4);
    let proof = network::prove_accuracy::<G, X>(&m, &s.committed, &s.xs, &labels).unwrap();
    let verify =
        |p: &AccuracyProof<G, X>| network::verify_accuracy(&m, &s.checked, &refs(&s.x), &labels, p);
    let count_sumcheck = |r: Result<(), VerifyError>| {
        matches!(r, Err(VerifyError::AccuracySumcheck { what: "count", .. }))
    };
    // M̃(r) and S̃(r), the first two values.
    for i in [0, 1] {
        let mut p = proof.clone();
        p.proof.values[i] += X::ONE;
        assert!(count_sumcheck(verify(&p)), "value {i}");
    }
    // Sum-check A: a round message; its final values (the product no longer matches); the
    // public table's value with the product kept.
    let mut p = proof.clone();
    p.proof.products[0].sumcheck.rounds[0].evals[0] += X::ONE;
    assert!(count_sumcheck(verify(&p)));
    let mut p = proof.clone();
    p.proof.products[0].values[0] += X::ONE;
    assert!(matches!(
        verify(&p),
        Err(VerifyError::AccuracySumcheck {
            what: "count",
            source: LayerError::FinalProduct { .. }
        })
    ));
    let two = X::ONE + X::ONE;
    let mut p = proof.clone();
    p.proof.products[0].values[0] *= two.inverse().unwrap();
    p.proof.products[0].values[1] *= two;
    assert_eq!(
        verify(&p),
        Err(VerifyError::Accuracy {
            what: "the count's public table"
        })
    );
    // Sum-check B: a round message; its eq value with the product kept; the logits' value
    // with the product kept (a claim on the committed last tensor: its segments' values
    // disagree).
    let mut p = proof.clone();
    p.proof.products[1].sumcheck.rounds[0].evals[0] += X::ONE;
    assert!(matches!(
        verify(&p),
        Err(VerifyError::AccuracySumcheck {
            what: "maximum",
            ..
        })
    ));
    let mut p = proof.clone();
    p.proof.products[1].values[0] *= two;
    p.proof.products[1].values[1] *= two.inverse().unwrap();
    assert_eq!(
        verify(&p),
        Err(VerifyError::Accuracy {
            what: "the maximum's eq table"
        })
    );
    let mut p = proof.clone();
    p.proof.products[1].values[2] *= two;
    p.proof.products[1].values[1] *= two.inverse().unwrap();
    let r = verify(&p);
    assert!(
        matches!(
            r,
            Err(VerifyError::Layer {
                source: LayerError::Relation {
                    what: "tensor value"
                },
                ..
            })
        ),
        "{r:?}"
    );
    // The counts: more correct than inputs, another count of inputs.
    let mut p = proof.clone();
    p.correct = 4;
    assert!(matches!(verify(&p), Err(VerifyError::AccuracyCount { .. })));
    let mut p = proof.clone();
    p.count = 4;
    assert!(matches!(verify(&p), Err(VerifyError::AccuracyCount { .. })));
}

/// A cheating prover: `edit` on the accuracy witness of `n` inputs, the rest honest.
fn cheat<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    model: &Model,
    s: &Setup<F, E>,
    labels: &[usize],
    edit: impl FnMut(&mut AccuracyWitness),
) -> Result<u64, VerifyError> {
    let proof = prove_accuracy_edited::<F, E>(model, &s.committed, &s.xs, labels, edit).unwrap();
    network::verify_accuracy(model, &s.checked, &refs(&s.x), labels, &proof)?;
    Ok(proof.correct)
}

/// A class of slot `i` whose logit is below the maximum, if any.
fn non_maximal(w: &AccuracyWitness, i: usize) -> Option<usize> {
    let row = &w.logits[i * w.width..i * w.width + w.classes];
    let max = *row.iter().max().unwrap();
    row.iter().position(|&v| v < max)
}

#[test]
fn cheating_accuracy_provers_are_rejected() {
    let m = small(1);
    let c = classes(&m);
    for (n, seed) in [(3, 1), (4, 2), (5, 3)] {
        let s = setup::<G, X>(&m, n, seed);
        let labels = random_labels(n, c, seed);
        let honest = oracle_count(&m, &s.xs, &labels);
        assert_eq!(cheat(&m, &s, &labels, |_| {}), Ok(honest));
        for i in [0, n - 1] {
            // One label the relations use changed (the statement's kept), the count recomputed:
            // the sum-check is the prover's honest one over its own table, which is not the
            // verifier's at the sum-check's point.
            let r = cheat(&m, &s, &labels, |w| {
                w.labels[i] = (w.labels[i] + 1) % c;
                w.recount();
            });
            assert_eq!(
                r,
                Err(VerifyError::Accuracy {
                    what: "the count's public table"
                }),
                "label {i}"
            );
            // A non-maximal class predicted, S and M from it, the count recomputed: the range
            // check's column M − H·V − Y − S goes negative.
            let r = cheat(&m, &s, &labels, |w| {
                if let Some(j) = non_maximal(w, i) {
                    w.predict(i, j);
                }
                w.recount();
            });
            assert!(
                matches!(r, Err(VerifyError::Range(_))),
                "prediction {i}: {r:?}"
            );
            // Two classes predicted (P not one-hot): the weighted sum is 2.
            let r = cheat(&m, &s, &labels, |w| {
                let a = w.predicted(i).unwrap();
                w.p[i * w.width + (a + 1) % c] = 1;
                w.derive(i);
                w.recount();
            });
            assert!(
                matches!(r, Err(VerifyError::AccuracySumcheck { what: "count", .. })),
                "two ones {i}: {r:?}"
            );
            // P = 2 at the prediction and −1 at another real class (not the label: the count
            // stays a count), S and M derived from it: the sum is 1, the range check of P
            // rejects the −1.
            let r = cheat(&m, &s, &labels, |w| {
                let a = w.predicted(i).unwrap();
                let b = (0..c).find(|&j| j != a && j != w.labels[i]).unwrap();
                w.p[i * w.width + a] = 2;
                w.p[i * w.width + b] = -1;
                w.derive(i);
                w.recount();
            });
            assert!(
                matches!(r, Err(VerifyError::Range(_))),
                "2 and -1 {i}: {r:?}"
            );
            // A padded class predicted (its logit is 0): it weighs 2.
            let r = cheat(&m, &s, &labels, |w| {
                w.predict(i, c);
                w.recount();
            });
            assert!(
                matches!(
                    r,
                    Err(VerifyError::AccuracySumcheck { .. }) | Err(VerifyError::Range(_))
                ),
                "padded class {i}: {r:?}"
            );
        }
        // The count off by one, the rest honest.
        for delta in [1i64, -1] {
            let r = cheat(&m, &s, &labels, |w| {
                w.correct = w.correct.wrapping_add_signed(delta);
            });
            if honest
                .checked_add_signed(delta)
                .is_some_and(|k| k <= n as u64)
            {
                assert!(
                    matches!(r, Err(VerifyError::AccuracySumcheck { what: "count", .. })),
                    "count {delta}: {r:?}"
                );
            } else {
                assert!(r.is_err());
            }
        }
    }
    // BN254 too.
    let s = setup::<Bn254Fr, Bn254Fr>(&m, 3, 1);
    let labels = random_labels(3, c, 1);
    let r = cheat(&m, &s, &labels, |w| {
        if let Some(j) = non_maximal(w, 1) {
            w.predict(1, j);
        }
        w.recount();
    });
    assert!(matches!(r, Err(VerifyError::Range(_))), "{r:?}");
}

/// A dense layer of identical rows: every logit ties, and the first class is the prediction.
fn tied() -> Model {
    use zkcnn::model::*;
    let row = [3, -2, 5, 1];
    Model {
        name: "accuracy-tied".into(),
        input_shape: vec![4],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![Layer::Dense(Dense {
            input: None,
            in_features: 4,
            out_features: 3,
            weights: row.iter().copied().cycle().take(12).collect(),
            bias: vec![2; 3],
            shift: 4,
        })],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    }
}

#[test]
fn ties_go_to_the_first_maximal_class() {
    let m = tied();
    let s = setup::<G, X>(&m, 3, 5);
    assert_eq!(predictions(&m, &s.xs), vec![0, 0, 0]);
    let labels = vec![0, 1, 0];
    assert_eq!(cheat(&m, &s, &labels, |_| {}), Ok(2));
    // The tie broken towards a later maximal class (the label of input 1): S(0, 1) = 1 but
    // the logits are equal, so M − Y − S = −1.
    let r = cheat(&m, &s, &labels, |w| {
        assert_eq!(w.logits[w.width], w.logits[w.width + 1]);
        w.predict(1, 1);
        w.recount();
    });
    assert!(matches!(r, Err(VerifyError::Range(_))), "{r:?}");
    // So with S left at the honest prediction's (all zero): M − Y − S ≥ 0 holds, but S is
    // not the suffix sum of P.
    let r = cheat(&m, &s, &labels, |w| {
        w.predict(1, 1);
        for j in 0..w.width {
            w.s[w.width + j] = 0;
        }
        w.recount();
    });
    assert!(
        matches!(r, Err(VerifyError::AccuracySumcheck { what: "count", .. })),
        "{r:?}"
    );
}

#[test]
fn bad_labels_and_models_are_refused() {
    let m = small(1);
    let s = setup::<G, X>(&m, 2, 1);
    let c = classes(&m);
    assert_eq!(
        network::prove_accuracy::<G, X>(&m, &s.committed, &s.xs, &[0]).map(|_| ()),
        Err(NetworkError::Labels(LabelError::Count {
            labels: 1,
            inputs: 2
        }))
    );
    assert_eq!(
        network::prove_accuracy::<G, X>(&m, &s.committed, &s.xs, &[0, c]).map(|_| ()),
        Err(NetworkError::Labels(LabelError::OutOfRange {
            index: 1,
            label: c,
            classes: c
        }))
    );
    assert_eq!(
        network::prove_accuracy::<G, X>(&m, &s.committed, &[], &[]).map(|_| ()),
        Err(NetworkError::BatchSize(0))
    );
    let proof = network::prove_accuracy::<G, X>(&m, &s.committed, &s.xs, &[0, 1]).unwrap();
    assert_eq!(
        network::verify_accuracy(&m, &s.checked, &refs(&s.x), &[0, c + 3], &proof),
        Err(VerifyError::Labels(LabelError::OutOfRange {
            index: 1,
            label: c + 3,
            classes: c
        }))
    );
    // A model ending in a flatten: its output is not committed.
    let mut f = small(1);
    f.layers.pop();
    let committed = network::commit_model::<G, X>(&f).unwrap();
    match network::prove_accuracy::<G, X>(&f, &committed, &inputs(&f, 2, 1), &[0, 1]) {
        Err(NetworkError::Unsupported { what, .. }) => {
            assert!(what.contains("in an accuracy proof"), "{what}")
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}

/// The bytes round-trip; a flipped bit, a truncation, another statement (count or label) or
/// a batch proof's kind are refused (by the format or the verifier), never a panic.
#[test]
fn accuracy_proof_bytes_are_refused_when_altered() {
    let m = small(3);
    let s = setup::<G, X>(&m, 3, 5);
    let labels = random_labels(3, classes(&m), 5);
    let proof = network::prove_accuracy::<G, X>(&m, &s.committed, &s.xs, &labels).unwrap();
    let arch = m.architecture();
    let commitment = s.committed.commitment();
    let digest =
        |labels: &[usize]| accuracy_statement_digest(&arch, commitment, &refs(&s.x), labels);
    let d = digest(&labels);
    let bytes = proof.to_bytes(d);
    assert_eq!(AccuracyProof::<G, X>::from_bytes(&bytes, d).unwrap(), proof);
    assert_eq!(
        network::proof::kind_of(&bytes),
        Ok(network::ProofKind::TransparentAccuracy)
    );
    let check = |b: &[u8]| match AccuracyProof::<G, X>::from_bytes(b, d) {
        Err(_) => true,
        Ok(q) => network::verify_accuracy(&arch, &s.checked, &refs(&s.x), &labels, &q).is_err(),
    };
    let mut rng = StdRng::seed_from_u64(9);
    let mut positions: Vec<usize> = (0..64).collect();
    positions.extend((0..40).map(|_| rng.gen_range(64..bytes.len())));
    for at in positions {
        let mut b = bytes.clone();
        b[at] ^= 1 << rng.gen_range(0..8);
        assert!(check(&b), "a flip at byte {at} was accepted");
    }
    for len in [0, 10, 44, 45, bytes.len() / 2, bytes.len() - 1] {
        assert!(AccuracyProof::<G, X>::from_bytes(&bytes[..len], d).is_err());
    }
    let mut other = labels.clone();
    other[0] = (other[0] + 1) % classes(&m);
    assert_eq!(
        AccuracyProof::<G, X>::from_bytes(&bytes, digest(&other)),
        Err(FormatError::Statement)
    );
    assert!(matches!(
        network::BatchProof::<G, X>::from_bytes(&bytes, d),
        Err(FormatError::Kind { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
    /// Arbitrary bytes, bare or behind a valid header: an error, never a panic.
    #[test]
    fn arbitrary_bytes_are_refused(body in proptest::collection::vec(any::<u8>(), 0..600), header in any::<bool>()) {
        let d = [7u8; 32];
        let bytes = if header {
            let mut b = network::proof::MAGIC.to_vec();
            b.extend(network::proof::FORMAT_VERSION.to_le_bytes());
            b.push(network::ProofKind::TransparentAccuracy.byte());
            b.push(network::proof::field_id::<G>());
            b.extend(d);
            b.extend(&body);
            b
        } else {
            body
        };
        prop_assert!(AccuracyProof::<G, X>::from_bytes(&bytes, d).is_err());
    }
}

/// LeNet-5 (seeded weights) on a batch of three.
#[test]
fn lenet5_accuracy_round_trips() {
    let m = zoo::lenet5(2);
    let s = setup::<G, X>(&m, 3, 1);
    round_trip(&m, &s, &random_labels(3, 10, 1));
}

/// Every logit negative: a padded class (logit 0) would beat every real one, but it weighs 2
/// in `Σ_j w_j·P(j, i) = 1`.
#[test]
fn a_padded_class_is_never_the_prediction() {
    use zkcnn::model::*;
    let m = Model {
        name: "accuracy-negative".into(),
        input_shape: vec![4],
        activation_bits: 8,
        weight_bits: 8,
        layers: vec![Layer::Dense(Dense {
            input: None,
            in_features: 4,
            out_features: 3,
            weights: vec![1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0],
            bias: vec![-1000; 3],
            shift: 4,
        })],
        quantization: None,
        saturate: false,
        bias_bits: 32,
    };
    let s = setup::<G, X>(&m, 3, 6);
    let labels = vec![0, 1, 2];
    let honest = oracle_count(&m, &s.xs, &labels);
    assert_eq!(cheat(&m, &s, &labels, |_| {}), Ok(honest));
    let r = cheat(&m, &s, &labels, |w| {
        assert!(w.logits[..w.classes].iter().all(|&y| y < 0));
        w.predict(0, w.classes);
        w.recount();
    });
    assert!(
        matches!(r, Err(VerifyError::AccuracySumcheck { what: "count", .. })),
        "{r:?}"
    );
}
