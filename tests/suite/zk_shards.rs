//! Sharded zero-knowledge accuracy proofs over a dataset committed in shards
//! (`spec/accuracy.md`, "Shards in zero knowledge"): the data owner commits each slice as a
//! labelled dataset of its own; every shard's proof is checked against its own slice's
//! commitment and the counts are summed. A good set verifies and sums to the oracle's count on
//! both fields; refused with exact errors: a shard proven on another dataset's shard (the same
//! data recommitted), a range that is not a committed shard, a missing shard (or reported
//! with gaps allowed), a claimed count off by one, a cheating prover's shard (its count off by
//! one, the rest honest), a sharded dataset whose shards do not cover it or miscount, the
//! manifest of another dataset; the sharded dataset's bytes fuzzed: an error, never a panic.

use super::zk_accuracy::{labels_for, oracle_count, setup, Setup};
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::network::cheat::prove_accuracy_zk_dataset_edited;
use zkcnn::network::shards::{Manifest, ShardEntry, MANIFEST_FORMAT, MANIFEST_VERSION};
use zkcnn::network::{
    self, FormatError, ShardError, ShardProof, ShardTotal, VerifyError, ZkCommittedDataset,
    ZkShardedDataset,
};

type G = Goldilocks;
type X = GoldilocksExt2;

/// The dataset's size and the shards' size: shards 0..3, 3..6, 6..7.
const N: usize = 7;
const SIZE: usize = 3;

struct Sharded<F: BaseField> {
    s: Setup<F>,
    labels: Vec<usize>,
    public: ZkShardedDataset,
    /// Each shard's honest proof bytes and count, in the dataset's order.
    proofs: Vec<(Vec<u8>, u64)>,
}

fn proof_bytes<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    s: &Setup<F>,
    part: &network::ZkDatasetCommitment,
    proof: &network::ZkAccuracyProof<F, E>,
) -> Vec<u8> {
    let digest = network::zk_dataset_statement_digest(&s.model, &s.committed.commitment, part);
    proof.to_bytes(digest)
}

/// Commits the dataset in shards and proves each shard honestly.
fn sharded<F: BaseField + ark_ff::FftField, E: ExtField<F>>(seed: u64) -> Sharded<F> {
    let mut s = setup::<F, E>(N, seed);
    let labels = labels_for(&s.model, &s.xs, seed);
    let model = s.model.clone();
    let (public, mut parts) =
        network::commit_dataset_zk_sharded::<F, E, _>(&model, &s.xs, &labels, SIZE, &mut s.rng)
            .unwrap();
    let ranges: Vec<(u64, u64)> = public.shards.iter().map(|p| (p.start, p.end)).collect();
    assert_eq!(ranges, [(0, 3), (3, 6), (6, 7)]);
    let mut proofs = Vec::new();
    for (part, dataset) in public.shards.iter().zip(&mut parts) {
        let proof = network::prove_accuracy_zk_dataset::<F, E, _>(
            &model,
            &mut s.committed,
            dataset,
            &mut s.rng,
        )
        .unwrap();
        proofs.push((proof_bytes(&s, &part.commitment, &proof), proof.correct));
    }
    Sharded {
        s,
        labels,
        public,
        proofs,
    }
}

/// The proof set of `shards` (positions in the dataset's order), each with its honest count.
fn set<'a, F: BaseField>(d: &'a Sharded<F>, shards: &[usize]) -> Vec<ShardProof<'a>> {
    shards
        .iter()
        .map(|&i| {
            let p = &d.public.shards[i];
            let (bytes, correct) = &d.proofs[i];
            ShardProof {
                start: p.start,
                end: p.end,
                correct: *correct,
                bytes,
            }
        })
        .collect()
}

fn verify<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    d: &Sharded<F>,
    public: &ZkShardedDataset,
    set: &[ShardProof<'_>],
    allow_gaps: bool,
) -> Result<ShardTotal, ShardError> {
    network::verify_accuracy_zk_shards::<F, E>(&d.s.model, &d.s.checked, public, set, allow_gaps)
}

fn a_good_set_verifies<F: BaseField + ark_ff::FftField, E: ExtField<F>>(seed: u64) {
    let d = sharded::<F, E>(seed);
    let oracle = oracle_count(&d.s.model, &d.s.xs, &d.labels);
    // Any order of the manifest.
    let total = verify::<F, E>(&d, &d.public, &set(&d, &[2, 0, 1]), false).unwrap();
    assert_eq!(
        total,
        ShardTotal {
            count: N as u64,
            covered: N as u64,
            correct: oracle,
            gaps: vec![],
        }
    );
    assert_eq!(d.public.check(), Ok(()));
}

#[test]
fn a_good_sharded_set_verifies_and_sums_to_the_oracle_on_both_fields() {
    a_good_set_verifies::<G, X>(1);
    a_good_set_verifies::<Bn254Fr, Bn254Fr>(2);
}

#[test]
fn sharded_zero_knowledge_sets_refuse_cheats() {
    let mut d = sharded::<G, X>(3);
    let model = d.s.model.clone();
    // The same data recommitted in shards (another dataset, the same inputs and labels): its
    // shard 1's proof in place of shard 1 is another statement.
    let (other, mut other_parts) = network::commit_dataset_zk_sharded::<G, X, _>(
        &model,
        &d.s.xs,
        &d.labels,
        SIZE,
        &mut d.s.rng,
    )
    .unwrap();
    let swapped = network::prove_accuracy_zk_dataset::<G, X, _>(
        &model,
        &mut d.s.committed,
        &mut other_parts[1],
        &mut d.s.rng,
    )
    .unwrap();
    let mut s = set(&d, &[0, 1, 2]);
    let bytes = proof_bytes(&d.s, &other.shards[1].commitment, &swapped);
    s[1].bytes = &bytes;
    assert_eq!(
        verify::<G, X>(&d, &d.public, &s, false),
        Err(ShardError::Format {
            shard: 1,
            source: FormatError::Statement
        })
    );
    // ... and the other dataset's set verifies against its own commitment.
    let mut s2 = set(&d, &[0, 1, 2]);
    s2[1].bytes = &bytes;
    let mut other_public = d.public.clone();
    other_public.shards[1] = other.shards[1].clone();
    assert!(verify::<G, X>(&d, &other_public, &s2, false).is_ok());

    // A range that is not a committed shard (the first shard's proof claimed for 0..2, and
    // the second's for 2..6).
    let mut s = set(&d, &[0, 1, 2]);
    s[0].end = 2;
    s[1].start = 2;
    assert_eq!(
        verify::<G, X>(&d, &d.public, &s, false),
        Err(ShardError::NotCommitted {
            shard: 0,
            start: 0,
            end: 2
        })
    );
    // A missing shard: refused, or reported with gaps allowed.
    let s = set(&d, &[0, 2]);
    assert_eq!(
        verify::<G, X>(&d, &d.public, &s, false),
        Err(ShardError::Gap { start: 3, end: 6 })
    );
    let total = verify::<G, X>(&d, &d.public, &s, true).unwrap();
    assert_eq!(total.gaps, vec![(3, 6)]);
    assert_eq!(total.covered, 4);
    assert_eq!(total.correct, d.proofs[0].1 + d.proofs[2].1);
    // A claimed count off by one.
    let mut s = set(&d, &[0, 1, 2]);
    s[2].correct ^= 1;
    assert!(matches!(
        verify::<G, X>(&d, &d.public, &s, false),
        Err(ShardError::Claimed { shard: 2, .. })
    ));
    // A cheating prover: shard 0's count one more than its slice gives (the rest honest),
    // claimed as such in the manifest.
    let (_, mut parts) = network::commit_dataset_zk_sharded::<G, X, _>(
        &model,
        &d.s.xs,
        &d.labels,
        SIZE,
        &mut d.s.rng,
    )
    .unwrap();
    let first: &mut ZkCommittedDataset<G> = &mut parts[0];
    let (k, size) = (d.proofs[0].1, SIZE as u64);
    let cheat = if k < size { k + 1 } else { k - 1 };
    let lying = prove_accuracy_zk_dataset_edited::<G, X, _>(
        &model,
        &mut d.s.committed,
        first,
        &mut d.s.rng,
        |_| {},
        |w| w.correct = cheat,
    )
    .unwrap();
    assert_eq!(lying.correct, cheat);
    let mut public = d.public.clone();
    public.shards[0].commitment = first.commitment();
    let bytes = proof_bytes(&d.s, &public.shards[0].commitment, &lying);
    let mut s = set(&d, &[0, 1, 2]);
    s[0].bytes = &bytes;
    s[0].correct = cheat;
    assert!(matches!(
        verify::<G, X>(&d, &public, &s, false),
        Err(ShardError::Proof {
            shard: 0,
            source: VerifyError::Deferred(_)
        })
    ));
}

#[test]
fn a_sharded_dataset_covers_its_inputs_once_with_counted_shards() {
    let d = sharded::<G, X>(4);
    let s = set(&d, &[0, 1, 2]);
    // A shard dropped from the published dataset: it no longer covers its count.
    let mut public = d.public.clone();
    public.shards.remove(1);
    assert_eq!(public.check(), Err(ShardError::Gap { start: 3, end: 6 }));
    assert_eq!(
        verify::<G, X>(&d, &public, &s, false),
        Err(ShardError::Gap { start: 3, end: 6 })
    );
    // A shard's commitment counting other than its range.
    let mut public = d.public.clone();
    public.shards[2].commitment.count = 2;
    assert_eq!(
        public.check(),
        Err(ShardError::ShardInputs {
            shard: 2,
            start: 6,
            end: 7,
            count: 2
        })
    );
    // A count the shards do not reach.
    let mut public = d.public.clone();
    public.count = N as u64 + 1;
    assert_eq!(
        public.check(),
        Err(ShardError::Gap {
            start: N as u64,
            end: N as u64 + 1
        })
    );
}

#[test]
fn a_zero_knowledge_manifest_names_its_model_and_sharded_dataset() {
    let d = sharded::<G, X>(5);
    let hex = |b: &[u8]| -> String { b.iter().map(|b| format!("{b:02x}")).collect() };
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        version: MANIFEST_VERSION,
        model_commitment: hex(&d.s.committed.commitment.inner.root),
        dataset: hex(&d.public.digest()),
        count: N as u64,
        shards: (0..3)
            .map(|i| ShardEntry {
                start: d.public.shards[i].start,
                end: d.public.shards[i].end,
                correct: d.proofs[i].1,
                proof: format!("{i}.proof"),
            })
            .collect(),
    };
    let m = Manifest::from_json(manifest.to_json().as_bytes()).unwrap();
    assert_eq!(
        m.check_zk_statement(&d.s.committed.commitment, &d.public),
        Ok(())
    );
    let mut other = d.public.clone();
    other.shards.swap(0, 1);
    assert!(matches!(
        m.check_zk_statement(&d.s.committed.commitment, &other),
        Err(ShardError::Dataset { .. })
    ));
    let mut model = d.s.committed.commitment.clone();
    model.inner.root[0] ^= 1;
    assert!(matches!(
        m.check_zk_statement(&model, &d.public),
        Err(ShardError::ModelCommitment { .. })
    ));
}

#[test]
fn sharded_dataset_bytes_never_panic() {
    let d = sharded::<G, X>(6);
    let bytes = zkcnn::codec::to_bytes(&d.public);
    assert_eq!(
        zkcnn::codec::from_bytes::<ZkShardedDataset>(&bytes),
        Ok(d.public.clone())
    );
    for n in 0..bytes.len() {
        assert!(zkcnn::codec::from_bytes::<ZkShardedDataset>(&bytes[..n]).is_err());
    }
    let mut rng = <ark_std::rand::rngs::StdRng as ark_std::rand::SeedableRng>::seed_from_u64(6);
    for _ in 0..300 {
        let mut b = bytes.clone();
        let i = ark_std::rand::Rng::gen_range(&mut rng, 0..b.len());
        b[i] ^= 1 << ark_std::rand::Rng::gen_range(&mut rng, 0..8);
        if let Ok(p) = zkcnn::codec::from_bytes::<ZkShardedDataset>(&b) {
            // Decodes (a changed count or range): the checks, never a panic.
            let _ = p.check();
        }
    }
    // A huge shard count in the length prefix: an error, not an allocation.
    let mut huge = bytes[..8].to_vec();
    huge.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(zkcnn::codec::from_bytes::<ZkShardedDataset>(&huge).is_err());
}
