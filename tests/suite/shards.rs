//! Sharded accuracy proofs (`spec/accuracy.md`, "Shards"): a good set verifies and its total
//! is the sum of its shards' (and the oracle's count over the whole dataset), on both fields;
//! the cover check against a naive oracle; cheating sets refused with exact errors (a shard
//! proven on another dataset's slice, overlapping, missing and duplicated shards, a claimed
//! count off by one, a shard of another model commitment, a proof's count edited); the
//! manifest's statement checks; manifest bytes fuzzed: an error, never a panic.

use super::batch::small;
use ndarray::ArrayD;
use proptest::prelude::*;
use std::sync::OnceLock;
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::model::{infer::infer_output, zoo, Model};
use zkcnn::network::accuracy::accuracy_statement_digest;
use zkcnn::network::shards::{
    check_cover, commitment_id, dataset_digest, Manifest, ShardEntry, ShardError, ShardProof,
    ShardTotal, MANIFEST_FORMAT, MANIFEST_VERSION,
};
use zkcnn::network::{self, AccuracyProof, FormatError, VerifyError};

type G = Goldilocks;
type X = GoldilocksExt2;

/// The dataset's size and the good set's slices, in the manifest's (unsorted) order.
const N: usize = 7;
const RANGES: [(u64, u64); 3] = [(3, 4), (0, 3), (4, 7)];

struct Data<F: BaseField, E: ExtField<F>> {
    model: Model,
    committed: network::CommittedModel<F, E>,
    checked: network::CheckedCommitment,
    x: Vec<Vec<i64>>,
    labels: Vec<usize>,
    /// One honest proof's bytes per slice of `RANGES`, with its count.
    shards: Vec<(Vec<u8>, u64)>,
}

impl<F: BaseField + ark_ff::FftField, E: ExtField<F>> Data<F, E> {
    fn new(seed: u64) -> Self {
        let model = small(seed);
        let committed = network::commit_model::<F, E>(&model).unwrap();
        let checked = committed.public.check(&model).unwrap();
        let xs: Vec<ArrayD<i64>> = (0..N as u64)
            .map(|i| zoo::random_input(&model.input_shape, model.activation_bits, seed * 100 + i))
            .collect();
        let x: Vec<Vec<i64>> = xs.iter().map(|x| x.iter().copied().collect()).collect();
        let classes = infer_output(&model, &xs[0]).unwrap().len();
        // Every other label right, so that counts differ between shards.
        let labels: Vec<usize> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| (prediction(&model, x) + i % 2) % classes)
            .collect();
        let mut data = Data {
            model,
            committed,
            checked,
            x,
            labels,
            shards: Vec::new(),
        };
        let xs_ref = &xs;
        data.shards = RANGES
            .iter()
            .map(|&(s, e)| {
                let r = s as usize..e as usize;
                data.prove(&xs_ref[r.clone()], &data.labels[r])
            })
            .collect();
        data
    }

    /// An honest accuracy proof's bytes on these inputs and labels, and its count.
    fn prove(&self, xs: &[ArrayD<i64>], labels: &[usize]) -> (Vec<u8>, u64) {
        let proof =
            network::prove_accuracy::<F, E>(&self.model, &self.committed, xs, labels).unwrap();
        let x: Vec<Vec<i64>> = xs.iter().map(|x| x.iter().copied().collect()).collect();
        let digest =
            accuracy_statement_digest(&self.model, self.committed.commitment(), &refs(&x), labels);
        (proof.to_bytes(digest), proof.correct)
    }

    fn set(&self) -> Vec<ShardProof<'_>> {
        RANGES
            .iter()
            .zip(&self.shards)
            .map(|(&(start, end), (bytes, correct))| ShardProof {
                start,
                end,
                correct: *correct,
                bytes,
            })
            .collect()
    }

    fn verify(&self, set: &[ShardProof<'_>], allow_gaps: bool) -> Result<ShardTotal, ShardError> {
        network::verify_accuracy_shards::<F, E>(
            &self.model.architecture(),
            &self.checked,
            &refs(&self.x),
            &self.labels,
            set,
            allow_gaps,
        )
    }

    /// The statement digest of `x`, `labels` under this data's model commitment.
    fn digest(&self, x: &[Vec<i64>], labels: &[usize]) -> [u8; 32] {
        accuracy_statement_digest(
            &self.model.architecture(),
            self.committed.commitment(),
            &refs(x),
            labels,
        )
    }
}

fn prediction(model: &Model, x: &ArrayD<i64>) -> usize {
    let y: Vec<i64> = infer_output(model, x).unwrap().iter().copied().collect();
    let max = *y.iter().max().unwrap();
    y.iter().position(|&v| v == max).unwrap()
}

fn refs(xs: &[Vec<i64>]) -> Vec<&[i64]> {
    xs.iter().map(Vec::as_slice).collect()
}

/// The Goldilocks data set, made once for every test here.
fn data() -> &'static Data<G, X> {
    static DATA: OnceLock<Data<G, X>> = OnceLock::new();
    DATA.get_or_init(|| Data::new(4))
}

/// The oracle: how many inputs plain inference classifies as their labels.
fn oracle<F: BaseField, E: ExtField<F>>(d: &Data<F, E>) -> u64 {
    d.x.iter()
        .zip(&d.labels)
        .filter(|(x, &l)| {
            let a = ArrayD::from_shape_vec(d.model.input_shape.clone(), x.to_vec()).unwrap();
            prediction(&d.model, &a) == l
        })
        .count() as u64
}

fn good_set_verifies<F: BaseField + ark_ff::FftField, E: ExtField<F>>(d: &Data<F, E>) {
    let total = d.verify(&d.set(), false).unwrap();
    let sum: u64 = d.shards.iter().map(|(_, k)| k).sum();
    assert_eq!(
        total,
        ShardTotal {
            count: N as u64,
            covered: N as u64,
            correct: sum,
            gaps: vec![],
        }
    );
    assert_eq!(sum, oracle(d));
    assert_eq!(sum, 4, "every other label right");
}

#[test]
fn a_good_set_verifies_and_sums_on_both_fields() {
    good_set_verifies(data());
    good_set_verifies(&Data::<Bn254Fr, Bn254Fr>::new(5));
}

/// One shard proven, honestly, on another dataset's slice (other images, same range): its
/// header names another statement; with the header rewritten for this slice's statement (the
/// digest is public), the proof itself fails on the slice.
#[test]
fn a_shard_of_another_dataset_is_rejected() {
    let d = data();
    let other: Vec<ArrayD<i64>> = (0..3u64)
        .map(|i| zoo::random_input(&d.model.input_shape, d.model.activation_bits, 9000 + i))
        .collect();
    let (bytes, correct) = d.prove(&other, &d.labels[0..3]);
    let mut set = d.set();
    set[1] = ShardProof {
        start: 0,
        end: 3,
        correct,
        bytes: &bytes,
    };
    assert_eq!(
        d.verify(&set, false),
        Err(ShardError::Format {
            shard: 1,
            source: FormatError::Statement
        })
    );
    let other_x: Vec<Vec<i64>> = other.iter().map(|x| x.iter().copied().collect()).collect();
    let proof =
        AccuracyProof::<G, X>::from_bytes(&bytes, d.digest(&other_x, &d.labels[0..3])).unwrap();
    let rewritten = proof.to_bytes(d.digest(&d.x[0..3], &d.labels[0..3]));
    set[1].bytes = &rewritten;
    let r = d.verify(&set, false);
    assert!(
        matches!(
            r,
            Err(ShardError::Proof {
                shard: 1,
                source: VerifyError::AccuracySumcheck { what: "count", .. }
            })
        ),
        "{r:?}"
    );
    // Swapping two shards' proofs between their slices: the same refusals.
    let mut swapped = d.set();
    swapped[0].bytes = &d.shards[2].0;
    assert_eq!(
        d.verify(&swapped, false),
        Err(ShardError::Format {
            shard: 0,
            source: FormatError::Statement
        })
    );
}

#[test]
fn overlapping_missing_and_duplicated_shards_are_rejected() {
    let d = data();
    // [0, 3) and [2, 4) overlap.
    let mut set = d.set();
    set[0].start = 2;
    assert_eq!(
        d.verify(&set, false),
        Err(ShardError::Overlap {
            first: 1,
            second: 0,
            start: 2,
            end: 3
        })
    );
    // [3, 4) left out: a gap.
    let set = d.set();
    let without: Vec<ShardProof<'_>> = vec![set[1], set[2]];
    assert_eq!(
        d.verify(&without, false),
        Err(ShardError::Gap { start: 3, end: 4 })
    );
    // The last shard left out: a gap at the end.
    assert_eq!(
        d.verify(&set[..2], false),
        Err(ShardError::Gap { start: 4, end: 7 })
    );
    // A shard given twice.
    let mut twice = d.set();
    twice.push(twice[0]);
    assert_eq!(
        d.verify(&twice, false),
        Err(ShardError::Duplicate {
            first: 0,
            second: 3,
            start: 3,
            end: 4
        })
    );
    // Empty, reversed, past the end.
    for (s, e) in [(3, 3), (4, 3), (4, 8)] {
        let mut bad = d.set();
        bad[0].start = s;
        bad[0].end = e;
        assert_eq!(
            d.verify(&bad, false),
            Err(ShardError::Range {
                shard: 0,
                start: s,
                end: e,
                count: N as u64
            })
        );
    }
    assert_eq!(d.verify(&[], false), Err(ShardError::ShardCount(0)));
}

/// With gaps allowed, a partial set verifies and says what it leaves out; overlaps are still
/// refused.
#[test]
fn gaps_allowed_are_reported() {
    let d = data();
    let set = d.set();
    let partial = vec![set[2], set[0]];
    let total = d.verify(&partial, true).unwrap();
    assert_eq!(total.covered, 4);
    assert_eq!(total.correct, d.shards[0].1 + d.shards[2].1);
    assert_eq!(total.gaps, vec![(0, 3)]);
    let mut overlap = d.set();
    overlap[2].start = 3;
    assert!(matches!(
        d.verify(&overlap, true),
        Err(ShardError::Overlap { .. })
    ));
}

/// A count off by one in the manifest; a proof whose count is edited (and re-serialized for
/// its statement), with the manifest agreeing: the proof's count sum-check rejects it.
#[test]
fn a_count_off_by_one_is_rejected() {
    let d = data();
    for delta in [1i64, -1] {
        let mut set = d.set();
        let Some(k) = set[2].correct.checked_add_signed(delta) else {
            continue;
        };
        set[2].correct = k;
        assert_eq!(
            d.verify(&set, false),
            Err(ShardError::Claimed {
                shard: 2,
                manifest: k,
                proof: d.shards[2].1
            })
        );
    }
    let digest = d.digest(&d.x[4..7], &d.labels[4..7]);
    let mut proof = AccuracyProof::<G, X>::from_bytes(&d.shards[2].0, digest).unwrap();
    proof.correct = if proof.correct == 0 {
        1
    } else {
        proof.correct - 1
    };
    let edited = proof.to_bytes(digest);
    let mut set = d.set();
    set[2].bytes = &edited;
    set[2].correct = proof.correct;
    let r = d.verify(&set, false);
    assert!(
        matches!(
            r,
            Err(ShardError::Proof {
                shard: 2,
                source: VerifyError::AccuracySumcheck { what: "count", .. }
            })
        ),
        "{r:?}"
    );
}

/// A shard proven with another model (another commitment): its header is for another
/// statement; rewritten for this commitment's, the proof fails.
#[test]
fn a_shard_of_another_model_commitment_is_rejected() {
    let d = data();
    let other_model = small(11);
    let other = network::commit_model::<G, X>(&other_model).unwrap();
    assert_ne!(other.commitment().root, d.committed.commitment().root);
    let xs: Vec<ArrayD<i64>> = d.x[3..4]
        .iter()
        .map(|x| ArrayD::from_shape_vec(d.model.input_shape.clone(), x.clone()).unwrap())
        .collect();
    let proof =
        network::prove_accuracy::<G, X>(&other_model, &other, &xs, &d.labels[3..4]).unwrap();
    let theirs = proof.to_bytes(accuracy_statement_digest(
        &other_model,
        other.commitment(),
        &refs(&d.x[3..4]),
        &d.labels[3..4],
    ));
    let mut set = d.set();
    set[0].bytes = &theirs;
    set[0].correct = proof.correct;
    assert_eq!(
        d.verify(&set, false),
        Err(ShardError::Format {
            shard: 0,
            source: FormatError::Statement
        })
    );
    let rewritten = proof.to_bytes(d.digest(&d.x[3..4], &d.labels[3..4]));
    set[0].bytes = &rewritten;
    let r = d.verify(&set, false);
    assert!(
        matches!(
            r,
            Err(ShardError::Proof {
                shard: 0,
                source: VerifyError::AccuracySumcheck { what: "count", .. }
            })
        ),
        "{r:?}"
    );
}

fn manifest(d: &Data<G, X>) -> Manifest {
    Manifest {
        format: MANIFEST_FORMAT.into(),
        version: MANIFEST_VERSION,
        model_commitment: commitment_id(d.committed.commitment()),
        dataset: dataset_digest(&refs(&d.x), &d.labels)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        count: N as u64,
        shards: RANGES
            .iter()
            .zip(&d.shards)
            .enumerate()
            .map(|(i, (&(start, end), (_, correct)))| ShardEntry {
                start,
                end,
                correct: *correct,
                proof: format!("shard-{i}.proof"),
            })
            .collect(),
    }
}

/// A manifest names its proofs by paths inside its folder: absolute paths, `..` and empty
/// paths are refused when it is read, naming the shard (a verifier reads nothing else).
#[test]
fn proof_paths_stay_in_the_manifest_folder() {
    let d = data();
    let good = manifest(d);
    for (path, ok) in [
        ("shard-0.proof", true),
        ("./proofs/shard-0.proof", true),
        ("/etc/passwd", false),
        ("../shard-0.proof", false),
        ("proofs/../../x", false),
        ("", false),
        (".", false),
    ] {
        let mut m = good.clone();
        m.shards[1].proof = path.to_string();
        let read = Manifest::from_json(m.to_json().as_bytes());
        if ok {
            assert_eq!(read.unwrap(), m, "{path}");
        } else {
            assert_eq!(
                read.unwrap_err(),
                ShardError::ProofPath {
                    shard: 1,
                    path: path.to_string()
                },
                "{path}"
            );
        }
    }
}

/// The manifest round-trips through JSON and names its statement: another commitment, another
/// dataset (one label, one input value, one input fewer) are refused.
#[test]
fn the_manifest_names_its_model_and_dataset() {
    let d = data();
    let m = manifest(d);
    let json = m.to_json();
    assert_eq!(Manifest::from_json(json.as_bytes()).unwrap(), m);
    assert_eq!(m.ranges(), RANGES.to_vec());
    let c = d.committed.commitment();
    m.check_statement(c, &refs(&d.x), &d.labels).unwrap();
    let mut other = c.clone();
    other.root[0] ^= 1;
    assert!(matches!(
        m.check_statement(&other, &refs(&d.x), &d.labels),
        Err(ShardError::ModelCommitment { .. })
    ));
    let mut labels = d.labels.clone();
    labels[6] += 1;
    assert!(matches!(
        m.check_statement(c, &refs(&d.x), &labels),
        Err(ShardError::Dataset { .. })
    ));
    let mut x = d.x.clone();
    x[2][0] += 1;
    assert!(matches!(
        m.check_statement(c, &refs(&x), &d.labels),
        Err(ShardError::Dataset { .. })
    ));
    assert!(matches!(
        m.check_statement(c, &refs(&d.x[..6]), &d.labels[..6]),
        Err(ShardError::Dataset {
            manifest_count: 7,
            given_count: 6,
            ..
        })
    ));
    let mut v = m.clone();
    v.version = 2;
    assert!(matches!(
        Manifest::from_json(v.to_json().as_bytes()),
        Err(ShardError::Version { version: 2, .. })
    ));
    let mut none = m.clone();
    none.shards.clear();
    assert_eq!(
        Manifest::from_json(none.to_json().as_bytes()),
        Err(ShardError::ShardCount(0))
    );
    let extra = json.replacen('{', "{\"extra\": 1,", 1);
    assert!(matches!(
        Manifest::from_json(extra.as_bytes()),
        Err(ShardError::Manifest(_))
    ));
}

/// The naive cover: mark every input covered, count the marks.
fn naive_cover(ranges: &[(u64, u64)], count: u64) -> Option<Vec<(u64, u64)>> {
    let mut marks = vec![0u32; count as usize];
    for &(s, e) in ranges {
        if s >= e || e > count {
            return None;
        }
        for m in &mut marks[s as usize..e as usize] {
            *m += 1;
        }
    }
    if marks.iter().any(|&m| m > 1) {
        return None;
    }
    let mut gaps = Vec::new();
    let mut i = 0;
    while i < marks.len() {
        if marks[i] == 0 {
            let s = i;
            while i < marks.len() && marks[i] == 0 {
                i += 1;
            }
            gaps.push((s as u64, i as u64));
        } else {
            i += 1;
        }
    }
    Some(gaps)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]
    /// The cover check against the naive one, on random ranges (often touching, overlapping
    /// or leaving gaps).
    #[test]
    fn the_cover_check_is_the_naive_ones(
        cuts in proptest::collection::vec((0u64..24, 1u64..8), 1..8),
        count in 1u64..30,
        allow_gaps in any::<bool>(),
    ) {
        let ranges: Vec<(u64, u64)> = cuts.iter().map(|&(s, l)| (s, s + l)).collect();
        let got = check_cover(&ranges, count, allow_gaps);
        match naive_cover(&ranges, count) {
            None => prop_assert!(got.is_err(), "{ranges:?} of {count}: {got:?}"),
            Some(gaps) if gaps.is_empty() || allow_gaps => prop_assert_eq!(got, Ok(gaps)),
            Some(gaps) => prop_assert_eq!(
                got,
                Err(ShardError::Gap { start: gaps[0].0, end: gaps[0].1 })
            ),
        }
    }

    /// Arbitrary bytes, and a valid manifest with bytes flipped or cut: an error or a
    /// manifest, never a panic.
    #[test]
    fn manifest_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..400),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in any::<usize>(),
    ) {
        let _ = Manifest::from_json(&body);
        let d = [0u8; 32];
        let m = Manifest {
            format: MANIFEST_FORMAT.into(),
            version: MANIFEST_VERSION,
            model_commitment: "00".repeat(32),
            dataset: d.iter().map(|b| format!("{b:02x}")).collect(),
            count: 7,
            shards: RANGES
                .iter()
                .map(|&(start, end)| ShardEntry { start, end, correct: 1, proof: "p".into() })
                .collect(),
        };
        let mut bytes = m.to_json().into_bytes();
        for (at, x) in flips {
            let n = bytes.len();
            bytes[at % n] ^= x;
        }
        let n = bytes.len();
        bytes.truncate(cut % (n + 1));
        if let Ok(m) = Manifest::from_json(&bytes) {
            let _ = check_cover(&m.ranges(), m.count, false);
        }
    }
}
