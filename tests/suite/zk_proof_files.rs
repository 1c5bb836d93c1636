//! Zero-knowledge batch and accuracy proofs on disk (`network::proof`, kinds 4 and 5): the
//! bytes round-trip for public and committed inputs; a flipped bit, every truncation, another
//! statement (an output, a label, the count, public inputs for committed ones) and a proof of
//! another kind are refused (by the format or the verifier), never a panic; arbitrary bytes
//! behind a valid header are an error.

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use ndarray::ArrayD;
use proptest::prelude::*;
use zkcnn::field::{Goldilocks, GoldilocksExt2};
use zkcnn::model::{zoo, Model};
use zkcnn::network::proof::{
    zk_accuracy_statement_digest, zk_batch_statement_digest, ZkBatchInputs,
};
use zkcnn::network::{
    self, CheckedZkCommitment, FormatError, ProofKind, ZkAccuracyProof, ZkBatchProof,
};

type G = Goldilocks;
type X = GoldilocksExt2;

fn rows(xs: &[ArrayD<i64>]) -> Vec<Vec<i64>> {
    xs.iter().map(|x| x.iter().copied().collect()).collect()
}

fn refs(v: &[Vec<i64>]) -> Vec<&[i64]> {
    v.iter().map(Vec::as_slice).collect()
}

struct Setup {
    model: Model,
    committed: network::ZkCommittedModel<G>,
    checked: CheckedZkCommitment,
    xs: Vec<ArrayD<i64>>,
    rng: StdRng,
}

fn setup(n: usize, seed: u64) -> Setup {
    let model = zoo::mlp(1);
    let mut rng = StdRng::seed_from_u64(seed);
    let committed = network::commit_model_zk::<G, X, _>(&model, &mut rng).unwrap();
    let checked = CheckedZkCommitment::assume_checked(&model, &committed.commitment);
    let xs = (0..n)
        .map(|i| zoo::random_input(&model.input_shape, model.activation_bits, seed + i as u64))
        .collect();
    Setup {
        model,
        committed,
        checked,
        xs,
        rng,
    }
}

/// Lengths inside the header, at its end, in the body and one short of the whole.
fn truncations(len: usize) -> [usize; 6] {
    [0, 10, 44, 45, len / 2, len - 1]
}

/// Flips of single bits in the header and over the body: each refused by `check`.
fn flips_refused(bytes: &[u8], seed: u64, check: impl Fn(&[u8]) -> bool) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut positions: Vec<usize> = (0..48).collect();
    positions.extend((0..16).map(|_| rng.gen_range(48..bytes.len())));
    for at in positions {
        let mut b = bytes.to_vec();
        b[at] ^= 1 << rng.gen_range(0..8);
        assert!(check(&b), "a flip at byte {at} was accepted");
    }
}

#[test]
fn zk_batch_proof_bytes_round_trip_and_are_refused_when_altered() {
    let mut s = setup(3, 21);
    let (outputs, proof) =
        network::prove_batch_zk::<G, X, _>(&s.model, &mut s.committed, &s.xs, &mut s.rng).unwrap();
    let arch = s.model.architecture();
    let (x, y) = (rows(&s.xs), rows(&outputs));
    let (xr, yr) = (refs(&x), refs(&y));
    let c = &s.committed.commitment;
    let d = zk_batch_statement_digest(&arch, c, ZkBatchInputs::Public(&xr), &yr);
    let bytes = proof.to_bytes(d);
    assert_eq!(
        network::proof::kind_of(&bytes),
        Ok(ProofKind::ZeroKnowledgeBatch)
    );
    let back = ZkBatchProof::<G, X>::from_bytes(&bytes, d).unwrap();
    assert_eq!(back, proof);
    assert_eq!(
        network::verify_batch_zk(&arch, &s.checked, &xr, &yr, &back),
        Ok(())
    );
    flips_refused(&bytes, 1, |b| {
        match ZkBatchProof::<G, X>::from_bytes(b, d) {
            Err(_) => true,
            Ok(q) => network::verify_batch_zk(&arch, &s.checked, &xr, &yr, &q).is_err(),
        }
    });
    for len in truncations(bytes.len()) {
        assert!(
            ZkBatchProof::<G, X>::from_bytes(&bytes[..len], d).is_err(),
            "{len}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(ZkBatchProof::<G, X>::from_bytes(&long, d).is_err());
    // Another output; one output fewer (another count): another statement.
    let mut other = y.clone();
    other[1][0] += 1;
    let d2 = zk_batch_statement_digest(&arch, c, ZkBatchInputs::Public(&xr), &refs(&other));
    assert_eq!(
        ZkBatchProof::<G, X>::from_bytes(&bytes, d2),
        Err(FormatError::Statement)
    );
    let d3 = zk_batch_statement_digest(&arch, c, ZkBatchInputs::Public(&xr[..2]), &yr[..2]);
    assert_eq!(
        ZkBatchProof::<G, X>::from_bytes(&bytes, d3),
        Err(FormatError::Statement)
    );
    // Another kind, both ways.
    assert_eq!(
        ZkAccuracyProof::<G, X>::from_bytes(&bytes, d),
        Err(FormatError::Kind {
            expected: ProofKind::ZeroKnowledgeAccuracy,
            got: ProofKind::ZeroKnowledgeBatch
        })
    );
    assert!(matches!(
        network::ZkNetworkProof::<G, X>::from_bytes(&bytes, d),
        Err(FormatError::Kind { .. })
    ));
    assert!(matches!(
        network::BatchProof::<G, X>::from_bytes(&bytes, d),
        Err(FormatError::Kind { .. })
    ));
    let single = proof.proof.to_bytes(d);
    assert!(matches!(
        ZkBatchProof::<G, X>::from_bytes(&single, d),
        Err(FormatError::Kind {
            expected: ProofKind::ZeroKnowledgeBatch,
            got: ProofKind::ZeroKnowledge
        })
    ));
}

#[test]
fn zk_committed_batch_and_accuracy_bytes_bind_the_commitment_and_the_labels() {
    let mut s = setup(3, 31);
    let arch = s.model.architecture();
    let mut batch = network::commit_batch_zk::<G, X, _>(&s.model, &s.xs, &mut s.rng).unwrap();
    let (outputs, proof) = network::prove_batch_zk_committed::<G, X, _>(
        &s.model,
        &mut s.committed,
        &mut batch,
        &mut s.rng,
    )
    .unwrap();
    let y = rows(&outputs);
    let yr = refs(&y);
    let c = &s.committed.commitment;
    let bc = batch.commitment.clone();
    let committed = |count| ZkBatchInputs::Committed {
        commitment: &bc,
        count,
    };
    let d = zk_batch_statement_digest(&arch, c, committed(3), &yr);
    let bytes = proof.to_bytes(d);
    let back = ZkBatchProof::<G, X>::from_bytes(&bytes, d).unwrap();
    assert_eq!(
        network::verify_batch_zk_committed(&arch, &s.checked, &batch.commitment, &yr, &back),
        Ok(())
    );
    // The inputs' values in the commitment's place, another count: other statements.
    let x = rows(&s.xs);
    let xr = refs(&x);
    for other in [
        zk_batch_statement_digest(&arch, c, ZkBatchInputs::Public(&xr), &yr),
        zk_batch_statement_digest(&arch, c, committed(4), &yr),
    ] {
        assert_eq!(
            ZkBatchProof::<G, X>::from_bytes(&bytes, other),
            Err(FormatError::Statement)
        );
    }

    // Accuracy, on the committed batch and on the public inputs.
    let classes = y[0].len();
    let labels: Vec<usize> = (0..3).map(|i| (i * 7) % classes).collect();
    let hidden = network::prove_accuracy_zk_committed::<G, X, _>(
        &s.model,
        &mut s.committed,
        &mut batch,
        &labels,
        &mut s.rng,
    )
    .unwrap();
    let public = network::prove_accuracy_zk::<G, X, _>(
        &s.model,
        &mut s.committed,
        &s.xs,
        &labels,
        &mut s.rng,
    )
    .unwrap();
    let c = &s.committed.commitment;
    let dh = zk_accuracy_statement_digest(&arch, c, committed(3), &labels);
    let dp = zk_accuracy_statement_digest(&arch, c, ZkBatchInputs::Public(&xr), &labels);
    assert_ne!(dh, dp);
    let (bh, bp) = (hidden.to_bytes(dh), public.to_bytes(dp));
    assert_eq!(
        network::proof::kind_of(&bp),
        Ok(ProofKind::ZeroKnowledgeAccuracy)
    );
    let back = ZkAccuracyProof::<G, X>::from_bytes(&bh, dh).unwrap();
    assert_eq!(back, hidden);
    assert_eq!(
        network::verify_accuracy_zk_committed(&arch, &s.checked, &batch.commitment, &labels, &back),
        Ok(())
    );
    let back = ZkAccuracyProof::<G, X>::from_bytes(&bp, dp).unwrap();
    assert_eq!(back.correct, public.correct);
    assert_eq!(
        network::verify_accuracy_zk(&arch, &s.checked, &xr, &labels, &back),
        Ok(())
    );
    flips_refused(&bp, 2, |b| {
        match ZkAccuracyProof::<G, X>::from_bytes(b, dp) {
            Err(_) => true,
            Ok(q) => network::verify_accuracy_zk(&arch, &s.checked, &xr, &labels, &q).is_err(),
        }
    });
    for len in truncations(bp.len()) {
        assert!(
            ZkAccuracyProof::<G, X>::from_bytes(&bp[..len], dp).is_err(),
            "{len}"
        );
    }
    // One label changed: another statement.
    let mut other = labels.clone();
    other[2] = (other[2] + 1) % classes;
    assert_eq!(
        ZkAccuracyProof::<G, X>::from_bytes(
            &bp,
            zk_accuracy_statement_digest(&arch, c, ZkBatchInputs::Public(&xr), &other)
        ),
        Err(FormatError::Statement)
    );
    assert_eq!(
        ZkBatchProof::<G, X>::from_bytes(&bp, dp),
        Err(FormatError::Kind {
            expected: ProofKind::ZeroKnowledgeBatch,
            got: ProofKind::ZeroKnowledgeAccuracy
        })
    );
}

fn with_header(kind: ProofKind, d: [u8; 32], body: &[u8]) -> Vec<u8> {
    let mut b = network::proof::MAGIC.to_vec();
    b.extend(network::proof::FORMAT_VERSION.to_le_bytes());
    b.push(kind.byte());
    b.push(network::proof::field_id::<G>());
    b.extend(d);
    b.extend(body);
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
    /// Arbitrary bytes, bare or behind a valid header of either kind: an error, never a panic.
    #[test]
    fn arbitrary_bytes_are_refused(body in proptest::collection::vec(any::<u8>(), 0..600), header in any::<bool>()) {
        let d = [7u8; 32];
        let (batch, accuracy) = if header {
            (
                with_header(ProofKind::ZeroKnowledgeBatch, d, &body),
                with_header(ProofKind::ZeroKnowledgeAccuracy, d, &body),
            )
        } else {
            (body.clone(), body)
        };
        prop_assert!(ZkBatchProof::<G, X>::from_bytes(&batch, d).is_err());
        prop_assert!(ZkAccuracyProof::<G, X>::from_bytes(&accuracy, d).is_err());
    }
}
