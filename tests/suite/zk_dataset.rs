//! Zero-knowledge accuracy proofs over a committed labelled dataset (`spec/accuracy.md`,
//! "Hidden labels"): the inputs and the labels hidden behind the data owner's two hiding
//! commitments. The proven count against the naive oracle over batch sizes on both fields;
//! the verifier's rejections (a count off by one, another dataset's commitments, another `N`,
//! the labels' commitment swapped between datasets); cheating provers (a prediction that is not
//! the maximum, the count off by one, a label table other than the committed one); cheating data
//! owners (a committed label table that is not one-hot: two labels, a 2 and a −1, a padded slot
//! or a padded class labelled), each with the count the table gives, so that only the labels'
//! relations can catch it; and byte fuzzing.

use super::zk_accuracy::{
    non_maximal, opening_fails, oracle_count, predictions, setup, Setup, CLASSES,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::network::cheat::{
    commit_dataset_zk_edited, prove_accuracy_zk_dataset_edited, AccuracyWitness,
};
use zkcnn::network::{self, VerifyError, ZkAccuracyProof, ZkDatasetCommitment};

type G = Goldilocks;
type X = GoldilocksExt2;

/// Padded classes per slot: `2^v` for the test model's ten classes.
const WIDTH: usize = 16;

/// Labels that make about half of the inputs correct.
fn labels(s: &Setup<impl BaseField>, seed: u64) -> Vec<usize> {
    super::zk_accuracy::labels_for(&s.model, &s.xs, seed)
}

fn verify<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    s: &Setup<F>,
    d: &ZkDatasetCommitment,
    p: &ZkAccuracyProof<F, E>,
) -> Result<(), VerifyError> {
    network::verify_accuracy_zk_dataset(&s.model, &s.checked, d, p)
}

/// Commits the dataset, proves: the count is the oracle's, the proof verifies against the
/// dataset's commitment; a count off by one, another dataset (other labels; the same
/// recommitted), the labels' commitment of another dataset, another `N`, and the public-labels
/// verifier on the inputs' commitment are rejected.
fn round_trip<F: BaseField + ark_ff::FftField, E: ExtField<F>>(n: usize, seed: u64) {
    let mut s = setup::<F, E>(n, seed);
    let labels = labels(&s, seed);
    let model = s.model.clone();
    let mut dataset =
        network::commit_dataset_zk::<F, E, _>(&model, &s.xs, &labels, &mut s.rng).unwrap();
    assert_eq!(dataset.labels(), &labels[..]);
    let d = dataset.commitment();
    assert_eq!(d.count, n as u64);
    let proof = network::prove_accuracy_zk_dataset::<F, E, _>(
        &model,
        &mut s.committed,
        &mut dataset,
        &mut s.rng,
    )
    .unwrap_or_else(|e| panic!("a dataset of {n}: {e}"));
    assert_eq!(proof.correct, oracle_count(&model, &s.xs, &labels), "{n}");
    assert_eq!(verify(&s, &d, &proof), Ok(()), "{n}");
    for delta in [1i64, -1] {
        let mut p = proof.clone();
        if let Some(k) = p
            .correct
            .checked_add_signed(delta)
            .filter(|&k| k <= n as u64)
        {
            p.correct = k;
            assert!(opening_fails(&verify(&s, &d, &p)), "count {k} of {n}");
        }
    }
    // Other labels (every input's moved by one class), and the same labels recommitted.
    let moved: Vec<usize> = labels.iter().map(|&l| (l + 1) % CLASSES).collect();
    let other = network::commit_dataset_zk::<F, E, _>(&model, &s.xs, &moved, &mut s.rng).unwrap();
    assert!(
        verify(&s, &other.commitment(), &proof).is_err(),
        "other labels"
    );
    let again = network::commit_dataset_zk::<F, E, _>(&model, &s.xs, &labels, &mut s.rng).unwrap();
    assert!(
        verify(&s, &again.commitment(), &proof).is_err(),
        "recommitted"
    );
    // The inputs' commitment kept, the labels' swapped for another dataset's.
    let swapped = ZkDatasetCommitment {
        labels: other.commitment().labels,
        ..d.clone()
    };
    assert!(
        opening_fails(&verify(&s, &swapped, &proof)),
        "labels swapped"
    );
    let swapped = ZkDatasetCommitment {
        inputs: again.commitment().inputs,
        ..d.clone()
    };
    assert!(
        opening_fails(&verify(&s, &swapped, &proof)),
        "inputs swapped"
    );
    // Another N: refused by count, or (within the same padded size) by the proof.
    for m in [n - 1, n + 1] {
        let count = ZkDatasetCommitment {
            count: m as u64,
            ..d.clone()
        };
        assert!(verify(&s, &count, &proof).is_err(), "N = {m} for {n}");
    }
    // The same proof as one with public labels over the committed inputs: another statement.
    assert!(
        network::verify_accuracy_zk_committed(&model, &s.checked, &d.inputs, &labels, &proof)
            .is_err()
    );
}

#[test]
fn a_committed_dataset_proves_its_count_on_both_fields() {
    for (n, seed) in [(1, 51), (3, 52), (5, 53), (8, 54)] {
        round_trip::<G, X>(n, seed);
    }
    round_trip::<Bn254Fr, Bn254Fr>(3, 55);
}

/// The one-hot table of `labels` over `slots` slots, as committed.
fn one_hot(labels: &[usize], slots: usize) -> Vec<i64> {
    let mut t = vec![0i64; WIDTH * slots];
    for (i, &l) in labels.iter().enumerate() {
        t[i * WIDTH + l] = 1;
    }
    t
}

/// `Σ P·L`: the count a label table gives the prover's predictions.
fn count_with(w: &AccuracyWitness, table: &[i64]) -> u64 {
    w.p.iter().zip(table).map(|(&p, &l)| p * l).sum::<i64>() as u64
}

/// A data owner (in league with the prover) commits a label table edited by `edit`; the prover
/// proves honestly on it, claiming the count that table gives (`Σ P·L`, so that the count's
/// relation holds and only the labels' can fail). The verifier's verdict.
fn malformed<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    s: &mut Setup<F>,
    labels: &[usize],
    edit: impl Fn(&mut [i64], &[usize]) + Copy,
) -> Result<u64, VerifyError> {
    let model = s.model.clone();
    let n = s.xs.len();
    let predicted = predictions(&model, &s.xs);
    let mut table = one_hot(labels, n.next_power_of_two());
    edit(&mut table, &predicted);
    let mut dataset = commit_dataset_zk_edited::<F, E, _>(
        &model,
        &s.xs,
        labels,
        |t| edit(t, &predicted),
        &mut s.rng,
    )
    .unwrap();
    let proof = prove_accuracy_zk_dataset_edited::<F, E, _>(
        &model,
        &mut s.committed,
        &mut dataset,
        &mut s.rng,
        |_| {},
        |w| w.correct = count_with(w, &table),
    )
    .unwrap();
    verify(s, &dataset.commitment(), &proof)?;
    Ok(proof.correct)
}

/// A prover editing its witness (the rest recomputed honestly) on an honest dataset: the
/// verifier's verdict.
fn cheat<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    s: &mut Setup<F>,
    labels: &[usize],
    table: impl FnOnce(&mut [i64]),
    edit: impl FnMut(&mut AccuracyWitness),
) -> Result<u64, VerifyError> {
    let model = s.model.clone();
    let mut dataset =
        network::commit_dataset_zk::<F, E, _>(&model, &s.xs, labels, &mut s.rng).unwrap();
    let proof = prove_accuracy_zk_dataset_edited::<F, E, _>(
        &model,
        &mut s.committed,
        &mut dataset,
        &mut s.rng,
        table,
        edit,
    )
    .unwrap();
    verify(s, &dataset.commitment(), &proof)?;
    Ok(proof.correct)
}

fn cheating_on<F: BaseField + ark_ff::FftField, E: ExtField<F>>(n: usize, seed: u64) {
    let mut s = setup::<F, E>(n, seed);
    let labels = labels(&s, seed);
    let honest = oracle_count(&s.model, &s.xs, &labels);
    let predicted = predictions(&s.model, &s.xs);
    // Without edits, both paths verify with the honest count.
    assert_eq!(cheat::<F, E>(&mut s, &labels, |_| {}, |_| {}), Ok(honest));
    assert_eq!(malformed::<F, E>(&mut s, &labels, |_, _| {}), Ok(honest));
    for i in [0, n - 1] {
        // The prover's label table: input i's label moved to its prediction (or away from
        // it), the count from that table.
        let to = if labels[i] == predicted[i] {
            (labels[i] + 1) % CLASSES
        } else {
            predicted[i]
        };
        let mut table = one_hot(&labels, n.next_power_of_two());
        table[i * WIDTH + labels[i]] = 0;
        table[i * WIDTH + to] = 1;
        let edited = table.clone();
        let r = cheat::<F, E>(
            &mut s,
            &labels,
            |t| t.copy_from_slice(&edited),
            |w| w.correct = count_with(w, &table),
        );
        assert!(opening_fails(&r), "prover's label {i}: {r:?}");
        // A non-maximal class predicted, the count recomputed.
        let r = cheat::<F, E>(
            &mut s,
            &labels,
            |_| {},
            |w| {
                if let Some(j) = non_maximal(w, i) {
                    w.predict(i, j);
                }
                w.recount();
            },
        );
        assert!(opening_fails(&r), "prediction {i}: {r:?}");
        // Cheating data owners: input i labelled with its prediction too (two ones).
        let r = malformed::<F, E>(&mut s, &labels, |t, p| {
            t[i * WIDTH + p[i]] = 1;
            if labels[i] == p[i] {
                t[i * WIDTH + (p[i] + 1) % CLASSES] = 1;
            }
        });
        assert!(opening_fails(&r), "two labels {i}: {r:?}");
        // 2 at the prediction and −1 at another class (the row's sum 1, not Boolean): the
        // count gains 2 from input i — or, if that would pass `N`, −1 and 2 (it loses 1).
        let base = honest - u64::from(labels[i] == predicted[i]);
        let (at_prediction, elsewhere) = if base + 2 <= n as u64 {
            (2, -1)
        } else {
            (-1, 2)
        };
        let r = malformed::<F, E>(&mut s, &labels, |t, p| {
            for j in 0..WIDTH {
                t[i * WIDTH + j] = 0;
            }
            let other = (0..CLASSES).find(|&j| j != p[i]).unwrap();
            t[i * WIDTH + p[i]] = at_prediction;
            t[i * WIDTH + other] = elsewhere;
        });
        assert!(
            opening_fails(&r),
            "{at_prediction} and {elsewhere} {i}: {r:?}"
        );
        // A padded class labelled in place of the label (its weight 2).
        let r = malformed::<F, E>(&mut s, &labels, |t, _| {
            t[i * WIDTH + labels[i]] = 0;
            t[i * WIDTH + CLASSES] = 1;
        });
        assert!(opening_fails(&r), "padded class {i}: {r:?}");
    }
    // A padded slot labelled with its prediction (a copy of input 0's): one more counted.
    if !n.is_power_of_two() && honest < n as u64 {
        let r = malformed::<F, E>(&mut s, &labels, |t, p| t[n * WIDTH + p[0]] = 1);
        assert!(opening_fails(&r), "padded slot: {r:?}");
    }
    // The count off by one (within 0..=N), the rest honest.
    for delta in [1i64, -1] {
        if honest
            .checked_add_signed(delta)
            .is_none_or(|k| k > n as u64)
        {
            continue;
        }
        let r = cheat::<F, E>(
            &mut s,
            &labels,
            |_| {},
            |w| {
                w.correct = w.correct.wrapping_add_signed(delta);
            },
        );
        assert!(opening_fails(&r), "count {delta}: {r:?}");
    }
}

#[test]
fn cheating_provers_and_data_owners_are_rejected() {
    cheating_on::<G, X>(3, 61);
    cheating_on::<G, X>(4, 62);
    cheating_on::<Bn254Fr, Bn254Fr>(3, 63);
}

/// Any bytes: `Err` or a proof the verifier rejects, never a panic; the honest bytes and the
/// dataset's commitment round trip.
#[test]
fn dataset_proof_and_commitment_bytes_never_panic() {
    let mut s = setup::<G, X>(3, 71);
    let labels = labels(&s, 71);
    let model = s.model.clone();
    let mut dataset =
        network::commit_dataset_zk::<G, X, _>(&model, &s.xs, &labels, &mut s.rng).unwrap();
    let d = dataset.commitment();
    let proof = network::prove_accuracy_zk_dataset::<G, X, _>(
        &model,
        &mut s.committed,
        &mut dataset,
        &mut s.rng,
    )
    .unwrap();
    let mut bytes = Vec::new();
    proof.serialize_compressed(&mut bytes).unwrap();
    assert_eq!(
        ZkAccuracyProof::<G, X>::deserialize_compressed(&bytes[..]).unwrap(),
        proof
    );
    let mut db = Vec::new();
    d.serialize_compressed(&mut db).unwrap();
    assert_eq!(
        ZkDatasetCommitment::deserialize_compressed(&db[..]).unwrap(),
        d
    );
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..48 {
        let mut b = bytes.clone();
        let at = rng.gen_range(0..b.len());
        b[at] ^= 1 << rng.gen_range(0..8);
        if let Ok(p) = ZkAccuracyProof::<G, X>::deserialize_compressed(&b[..]) {
            if p != proof {
                assert!(
                    verify(&s, &d, &p).is_err(),
                    "flipped proof byte {at} accepted"
                );
            }
        }
        let mut b = db.clone();
        let at = rng.gen_range(0..b.len());
        b[at] ^= 1 << rng.gen_range(0..8);
        if let Ok(c) = ZkDatasetCommitment::deserialize_compressed(&b[..]) {
            if c != d {
                assert!(
                    verify(&s, &c, &proof).is_err(),
                    "flipped commitment byte {at}"
                );
            }
        }
    }
    for len in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        assert!(ZkAccuracyProof::<G, X>::deserialize_compressed(&bytes[..len]).is_err());
    }
}

/// The prover's file of a committed dataset: written after a proof, loaded back with the same
/// inputs and labels, it proves again (the revealed counts carried over and grown); other
/// labels, other inputs, another count and truncated or extended files are refused.
#[test]
fn a_committed_dataset_is_written_and_loaded_back() {
    let mut s = setup::<G, X>(3, 91);
    let labels = labels(&s, 91);
    let model = s.model.clone();
    let mut dataset =
        network::commit_dataset_zk::<G, X, _>(&model, &s.xs, &labels, &mut s.rng).unwrap();
    let d = dataset.commitment();
    network::prove_accuracy_zk_dataset::<G, X, _>(
        &model,
        &mut s.committed,
        &mut dataset,
        &mut s.rng,
    )
    .unwrap();
    let spent = dataset.revealed();
    assert!(
        spent.0 > 0 && spent.1 > 0,
        "a proof reveals mask functionals of both parts"
    );
    let mut file = Vec::new();
    dataset.write_private(&mut file).unwrap();
    let load =
        |xs: &[ndarray::ArrayD<i64>], labels: &[usize], d: &ZkDatasetCommitment, f: &[u8]| {
            network::ZkCommittedDataset::<G>::load::<X>(&model, xs, labels, d, &mut &f[..])
        };
    let mut back = load(&s.xs, &labels, &d, &file).unwrap();
    assert_eq!(back.revealed(), spent);
    assert_eq!(back.commitment(), d);
    let proof = network::prove_accuracy_zk_dataset::<G, X, _>(
        &model,
        &mut s.committed,
        &mut back,
        &mut s.rng,
    )
    .unwrap();
    assert_eq!(verify(&s, &d, &proof), Ok(()));
    assert!(back.revealed().0 > spent.0 && back.revealed().1 > spent.1);
    // Other labels or inputs do not give the commitments.
    let moved: Vec<usize> = labels.iter().map(|&l| (l + 1) % CLASSES).collect();
    assert!(matches!(
        load(&s.xs, &moved, &d, &file),
        Err(network::NetworkError::InputCommitmentMismatch)
    ));
    let mut xs = s.xs.clone();
    xs.swap(0, 1);
    assert!(matches!(
        load(&xs, &labels, &d, &file),
        Err(network::NetworkError::InputCommitmentMismatch)
    ));
    let fewer = ZkDatasetCommitment {
        count: 2,
        ..d.clone()
    };
    assert!(matches!(
        load(&s.xs, &labels, &fewer, &file),
        Err(network::NetworkError::InputCommitmentMismatch)
    ));
    for len in [0, 10, file.len() / 2, file.len() - 1] {
        assert!(
            matches!(
                load(&s.xs, &labels, &d, &file[..len]),
                Err(network::NetworkError::ProverData(_))
            ),
            "truncated to {len}"
        );
    }
    let mut longer = file.clone();
    longer.push(0);
    assert!(
        load(&s.xs, &labels, &d, &longer).is_err(),
        "a byte left over"
    );
}
