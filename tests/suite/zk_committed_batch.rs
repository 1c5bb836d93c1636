//! Zero-knowledge batch proofs over a committed (hidden) batch of inputs
//! (`spec/batch.md`, "Zero knowledge", "Committed inputs"): round trips against plain inference
//! on both fields, the verifier's rejections (a changed output, another batch's commitment,
//! another count, the public-input verifier), cheating provers (one slot's witness edited, an
//! input out of range committed by a cheating data owner), and the commitment's refusals.

use super::zk_accuracy::{flat, inputs, opening_fails, refs};
use super::zk_batch::dense_net;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use ndarray::ArrayD;
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::model::{zoo, Model};
use zkcnn::network::{self, CheckedZkCommitment, NetworkError, VerifyError, ZkBatchProof};

type G = Goldilocks;
type X = GoldilocksExt2;

/// The dense network with its shifts calibrated on the batch too (an input outside the
/// calibration can overflow, and has no proof by design).
fn calibrated(seed: u64, xs: &[ArrayD<i64>]) -> Model {
    let mut model = dense_net(seed);
    let mut samples = xs.to_vec();
    samples.extend(inputs(&model, 6, seed + 1000));
    zoo::calibrate_shifts(&mut model, &samples).unwrap();
    model
}

/// Commits a batch of `n`, proves it hidden, checks the outputs against plain inference and the
/// proof against the batch's commitment; then the rejections.
fn round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(n: usize, seed: u64) {
    let probe = dense_net(seed);
    let xs = inputs(&probe, n, seed);
    let model = calibrated(seed, &xs);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut committed = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
    let checked = CheckedZkCommitment::assume_checked(&model, &committed.commitment);
    let mut batch = network::commit_batch_zk::<F, E, _>(&model, &xs, &mut rng).unwrap();
    let (ys, proof) =
        network::prove_batch_zk_committed::<F, E, _>(&model, &mut committed, &mut batch, &mut rng)
            .unwrap_or_else(|e| panic!("committed batch of {n}: {e}"));
    assert_eq!(ys.len(), n);
    for (x, y) in xs.iter().zip(&ys) {
        let trace = zkcnn::model::infer(&model, x).unwrap();
        assert_eq!(Some(y), trace.outputs.last(), "plain inference's output");
    }
    let y = flat(&ys);
    let check = |c: &zkcnn::pcs::zk::ZkCommitment, y: &[Vec<i64>], p: &ZkBatchProof<F, E>| {
        network::verify_batch_zk_committed(&model, &checked, c, &refs(y), p)
    };
    assert_eq!(check(&batch.commitment, &y, &proof), Ok(()), "batch of {n}");
    // A changed output, in each slot: the statement differs, the opening fails.
    for k in 0..n {
        let mut bad = y.clone();
        bad[k][0] += 1;
        assert!(
            opening_fails(&check(&batch.commitment, &bad, &proof)),
            "output {k} of {n} changed"
        );
    }
    // Another batch's commitment of the same count (other inputs, or the same inputs committed
    // again with fresh randomness).
    let other_xs = inputs(&model, n, seed + 7);
    let other = network::commit_batch_zk::<F, E, _>(&model, &other_xs, &mut rng).unwrap();
    assert!(
        check(&other.commitment, &y, &proof).is_err(),
        "another batch"
    );
    let again = network::commit_batch_zk::<F, E, _>(&model, &xs, &mut rng).unwrap();
    assert!(check(&again.commitment, &y, &proof).is_err(), "recommitted");
    // Another count: the outputs of one input fewer.
    if n > 1 {
        assert!(check(&batch.commitment, &y[..n - 1], &proof).is_err());
    }
    // The public-input verifier on the real inputs: another statement.
    let x = flat(&xs);
    assert!(network::verify_batch_zk(&model, &checked, &refs(&x), &refs(&y), &proof).is_err());
}

#[test]
fn committed_batches_round_trip_on_both_fields() {
    for (n, seed) in [(1, 1), (2, 2), (3, 3), (5, 4), (8, 5)] {
        round_trip::<G, X>(n, seed);
    }
    round_trip::<Bn254Fr, Bn254Fr>(3, 6);
}

/// Slot `k`'s witness edited after layer 1 (its dense `y`) or the input out of range, the rest
/// recomputed honestly: rejected, on both fields; the honest run of the same path verifies.
#[test]
fn cheating_provers_on_committed_batches_are_rejected() {
    fn run<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
        n: usize,
        k: usize,
        bump: bool,
    ) -> Result<(), VerifyError> {
        let probe = dense_net(8);
        let xs = inputs(&probe, n, 8);
        let model = calibrated(8, &xs);
        let plan = zkcnn::network::cheat::zk_plan::<F, E>(&model, true).unwrap();
        let y_seg = plan.requant_of(1).unwrap().y;
        let mut rng = StdRng::seed_from_u64(8);
        let mut committed = network::commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
        let checked = CheckedZkCommitment::assume_checked(&model, &committed.commitment);
        let mut batch = network::commit_batch_zk::<F, E, _>(&model, &xs, &mut rng).unwrap();
        let (ys, proof) = zkcnn::network::cheat::prove_batch_zk_committed_edited::<F, E, _>(
            &model,
            &mut committed,
            &mut batch,
            k,
            |l, w| {
                if bump && l == 1 {
                    w.advice[y_seg][3] += F::ONE;
                }
            },
            |_| {},
            &mut rng,
        )
        .unwrap();
        let y = flat(&ys);
        network::verify_batch_zk_committed(&model, &checked, &batch.commitment, &refs(&y), &proof)
    }
    assert_eq!(run::<G, X>(3, 1, false), Ok(()));
    assert_eq!(run::<G, X>(3, 3, false), Ok(()), "padded slot, honest");
    for (n, k) in [(3, 0), (3, 2), (4, 3), (3, 3)] {
        let r = run::<G, X>(n, k, true);
        assert!(opening_fails(&r), "dense y of slot {k} of {n}: {r:?}");
    }
    let r = run::<Bn254Fr, Bn254Fr>(3, 1, true);
    assert!(opening_fails(&r), "BN254: {r:?}");

    // A cheating data owner: one input entry beyond the activation range, committed unchecked;
    // the proof's range check of the hidden input rejects it.
    let probe = dense_net(9);
    let mut xs = inputs(&probe, 3, 9);
    let model = calibrated(9, &xs);
    let bound = 1i64 << (model.activation_bits - 1);
    xs[1].as_slice_mut().unwrap()[4] = bound;
    let mut rng = StdRng::seed_from_u64(9);
    let mut committed = network::commit_model_zk::<G, X, _>(&model, &mut rng).unwrap();
    let checked = CheckedZkCommitment::assume_checked(&model, &committed.commitment);
    assert!(network::commit_batch_zk::<G, X, _>(&model, &xs, &mut rng).is_err());
    let mut batch =
        zkcnn::network::cheat::commit_batch_zk_unchecked::<G, X, _>(&model, &xs, &mut rng).unwrap();
    let proven = zkcnn::network::cheat::prove_batch_zk_committed_edited::<G, X, _>(
        &model,
        &mut committed,
        &mut batch,
        1,
        |_, _| {},
        |_| {},
        &mut rng,
    );
    // The cheating prover (its edited slot the bad input's, whose inference then skips the
    // input's range check) proves, and the verifier rejects at the opening.
    let (ys, proof) = proven.unwrap();
    let y = flat(&ys);
    let r =
        network::verify_batch_zk_committed(&model, &checked, &batch.commitment, &refs(&y), &proof);
    assert!(opening_fails(&r), "an input out of range: {r:?}");
}

/// The commitment's refusals: no input, an input of another shape; a committed batch made for
/// another architecture is refused by the prover.
#[test]
fn batch_commitments_refuse_bad_inputs() {
    let model = dense_net(12);
    let mut rng = StdRng::seed_from_u64(12);
    assert!(matches!(
        network::commit_batch_zk::<G, X, _>(&model, &[], &mut rng),
        Err(NetworkError::BatchSize(0))
    ));
    let wrong = vec![ArrayD::<i64>::zeros(vec![1, 4, 5])];
    assert!(network::commit_batch_zk::<G, X, _>(&model, &wrong, &mut rng).is_err());
    let mlp = zoo::mlp(1);
    let xs = inputs(&mlp, 2, 1);
    let mut batch = network::commit_batch_zk::<G, X, _>(&mlp, &xs, &mut rng).unwrap();
    let mut committed = network::commit_model_zk::<G, X, _>(&model, &mut rng).unwrap();
    assert!(matches!(
        network::prove_batch_zk_committed::<G, X, _>(&model, &mut committed, &mut batch, &mut rng),
        Err(NetworkError::InputCommitmentMismatch)
    ));
}
