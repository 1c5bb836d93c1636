//! Range checks (logUp-GKR): naive oracles, proptest round trips, cheating provers, tamper tests
//! with exact errors, byte fuzzing — on Goldilocks (challenges in its quadratic extension) and
//! on BN254's scalar field.

use ark_ff::{Field, PrimeField};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use merlin::Transcript;
use proptest::prelude::*;
use zkcnn::codec::{self, DecodeError};
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::poly::evaluate_base;
use zkcnn::range::{
    self, Halves, LayerProof, Proof, ProofPart, RangeClaims, RangeError, Tree, TreeProof,
};
use zkcnn::sumcheck::{self, RoundMessage, SumcheckError};
use zkcnn::transcript::TranscriptExt;

const LABEL: &[u8] = b"range-test";

/// Columns of `2^{vars[i]}` entries, uniform in `[0, 2^bits)`.
fn random_columns<F: PrimeField>(rng: &mut StdRng, vars: &[usize], bits: usize) -> Vec<Vec<F>> {
    vars.iter()
        .map(|&v| {
            (0..1usize << v)
                .map(|_| F::from(rng.gen_range(0..1u64 << bits)))
                .collect()
        })
        .collect()
}

fn refs<F>(columns: &[Vec<F>]) -> Vec<&[F]> {
    columns.iter().map(Vec::as_slice).collect()
}

fn prove<F: BaseField, E: ExtField<F>>(
    columns: &[Vec<F>],
    bits: usize,
    m: &[F],
) -> (Proof<E>, RangeClaims<E>) {
    range::prove(&refs(columns), bits, m, &mut Transcript::new(LABEL)).unwrap()
}

fn prove_unchecked<F: BaseField, E: ExtField<F>>(
    columns: &[Vec<F>],
    bits: usize,
    m: &[F],
) -> Proof<E> {
    range::prove_unchecked(&refs(columns), bits, m, &mut Transcript::new(LABEL))
        .unwrap()
        .0
}

fn verify<F: BaseField, E: ExtField<F>>(
    vars: &[usize],
    bits: usize,
    proof: &Proof<E>,
) -> Result<RangeClaims<E>, RangeError> {
    range::verify::<F, E>(vars, bits, proof, &mut Transcript::new(LABEL))
}

/// Occurrences of each value in `[0, 2^bits)`, by a plain loop over `u64`s.
fn naive_multiplicities(columns: &[Vec<u64>], bits: usize) -> Vec<u64> {
    let mut m = vec![0u64; 1 << bits];
    for c in columns {
        for &v in c {
            m[v as usize] += 1;
        }
    }
    m
}

/// The claims are the columns' and the multiplicities' multilinear extensions at their points.
fn check_claims<F: BaseField, E: ExtField<F>>(
    columns: &[Vec<F>],
    m: &[F],
    claims: &RangeClaims<E>,
) {
    assert_eq!(claims.columns.len(), columns.len());
    for (c, claim) in columns.iter().zip(&claims.columns) {
        assert_eq!(claim.point.len(), c.len().trailing_zeros() as usize);
        assert_eq!(evaluate_base(c, &claim.point), claim.value);
    }
    assert_eq!(
        claims.multiplicities.point.len(),
        m.len().trailing_zeros() as usize
    );
    assert_eq!(
        evaluate_base(m, &claims.multiplicities.point),
        claims.multiplicities.value
    );
}

fn multiplicities_match_naive<F: BaseField>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    // Sizes that cross the parallel threshold, with columns of one entry in between.
    for (vars, bits) in [
        (vec![0], 1),
        (vec![3, 0, 5], 3),
        (vec![13, 0, 12, 2], 8),
        (vec![14], 16),
    ] {
        let raw: Vec<Vec<u64>> = vars
            .iter()
            .map(|&v| {
                (0..1usize << v)
                    .map(|_| rng.gen_range(0..1u64 << bits))
                    .collect()
            })
            .collect();
        let columns: Vec<Vec<F>> = raw
            .iter()
            .map(|c| c.iter().map(|&x| F::from(x)).collect())
            .collect();
        let m = range::multiplicities(&refs(&columns), bits).unwrap();
        let naive: Vec<F> = naive_multiplicities(&raw, bits)
            .into_iter()
            .map(F::from)
            .collect();
        assert_eq!(m, naive);
    }
}

#[test]
fn multiplicities_match_naive_goldilocks() {
    multiplicities_match_naive::<Goldilocks>(1);
}

#[test]
fn multiplicities_match_naive_bn254() {
    multiplicities_match_naive::<Bn254Fr>(2);
}

/// The roots sent are the fraction sums of logUp at the transcript's `α`: the columns'
/// `Σ 1/(α − c)` and the table's `Σ m(t)/(α − t)`, each with `pad/α` for the zero padding.
fn roots_are_the_fraction_sums<F: BaseField, E: ExtField<F>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for (vars, bits) in [
        (vec![2, 0, 1], 3usize),
        (vec![0], 1),
        (vec![4, 4], 5),
        (vec![6, 3, 3, 0], 2),
    ] {
        let columns: Vec<Vec<F>> = random_columns(&mut rng, &vars, bits);
        let m = range::multiplicities(&refs(&columns), bits).unwrap();
        let (proof, _) = prove::<F, E>(&columns, bits, &m);
        // α as the protocol draws it: the statement, then the challenge.
        let mut t = Transcript::new(LABEL);
        let mut params = vec![bits as u64, vars.len() as u64];
        params.extend(vars.iter().map(|&v| v as u64));
        t.domain_separator(b"range", &params);
        let alpha: E = t.challenge_field(b"range-alpha");

        let total: usize = columns.iter().map(Vec::len).sum();
        let pad = total.next_power_of_two().max(2) - total;
        let inv = |x: E| x.inverse().unwrap();
        let pad_term = E::from(pad as u64) * inv(alpha);
        let lhs: E = columns
            .iter()
            .flatten()
            .map(|&c| inv(alpha - E::from_base_prime_field(c)))
            .sum::<E>()
            + pad_term;
        let rhs: E = m
            .iter()
            .enumerate()
            .map(|(t, &mt)| E::from_base_prime_field(mt) * inv(alpha - E::from(t as u64)))
            .sum::<E>()
            + pad_term;
        assert_eq!(lhs, rhs);
        let frac = |h: &Halves<E>| {
            let (p, q) = h.fraction();
            p * inv(q)
        };
        assert_eq!(frac(&proof.columns.root), lhs);
        assert_eq!(frac(&proof.table.root), rhs);
    }
}

#[test]
fn roots_are_the_fraction_sums_goldilocks() {
    roots_are_the_fraction_sums::<Goldilocks, GoldilocksExt2>(3);
}

#[test]
fn roots_are_the_fraction_sums_bn254() {
    roots_are_the_fraction_sums::<Bn254Fr, Bn254Fr>(4);
}

fn round_trip<F: BaseField, E: ExtField<F>>(seed: u64, vars: &[usize], bits: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let columns: Vec<Vec<F>> = random_columns(&mut rng, vars, bits);
    let m = range::multiplicities(&refs(&columns), bits).unwrap();
    let mut tp = Transcript::new(LABEL);
    let (proof, claims) = range::prove::<F, E>(&refs(&columns), bits, &m, &mut tp).unwrap();
    let mut tv = Transcript::new(LABEL);
    let verified = range::verify::<F, E>(vars, bits, &proof, &mut tv).unwrap();
    assert_eq!(verified, claims);
    check_claims(&columns, &m, &verified);
    // Prover and verifier transcripts agree afterwards (the caller goes on to open the claims).
    assert_eq!(
        tp.challenge_field::<E>(b"after"),
        tv.challenge_field::<E>(b"after")
    );
    // Shapes: one layer proof per tree variable but the first, j + 1 rounds in layer j.
    let total: usize = vars.iter().map(|&v| 1usize << v).sum();
    let tree_vars = total.next_power_of_two().trailing_zeros().max(1) as usize;
    for (tree, n) in [(&proof.columns, tree_vars), (&proof.table, bits)] {
        assert_eq!(tree.layers.len(), n - 1);
        for (j, l) in tree.layers.iter().enumerate() {
            assert_eq!(l.sumcheck.rounds.len(), j + 1);
        }
    }
    // Through bytes.
    let decoded: Proof<E> = codec::from_bytes(&codec::to_bytes(&proof)).unwrap();
    assert_eq!(decoded, proof);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn round_trip_goldilocks(seed: u64, vars in proptest::collection::vec(0usize..=12, 1..=5), bits in 1usize..=12) {
        round_trip::<Goldilocks, GoldilocksExt2>(seed, &vars, bits);
    }

    #[test]
    fn round_trip_bn254(seed: u64, vars in proptest::collection::vec(0usize..=12, 1..=5), bits in 1usize..=12) {
        round_trip::<Bn254Fr, Bn254Fr>(seed, &vars, bits);
    }
}

#[test]
fn edge_shapes_round_trip() {
    // One entry in all (the columns tree is padded to two leaves), the largest table, columns
    // over the parallel threshold.
    for (vars, bits) in [
        (vec![0], 1),
        (vec![0, 0, 0], 1),
        (vec![1], 20),
        (vec![16, 15, 0], 8),
    ] {
        round_trip::<Goldilocks, GoldilocksExt2>(5, &vars, bits);
    }
    round_trip::<Bn254Fr, Bn254Fr>(6, &[14, 0], 10);
}

fn out_of_range_is_named<F: BaseField>() {
    let f = |v: &[u64]| v.iter().map(|&x| F::from(x)).collect::<Vec<F>>();
    let columns = [f(&[1, 2]), f(&[3, 255, 256, 0]), f(&[300])];
    let err = RangeError::ValueOutOfRange {
        column: 1,
        index: 2,
        value: "256".into(),
        bits: 8,
    };
    assert_eq!(range::multiplicities(&refs(&columns), 8), Err(err.clone()));
    let m = vec![F::ZERO; 256];
    assert_eq!(
        range::prove::<F, F>(&refs(&columns), 8, &m, &mut Transcript::new(LABEL)).err(),
        Some(err)
    );
    // −1 is p − 1 in the field: far out of range.
    let columns = [vec![F::ZERO, -F::ONE]];
    assert_eq!(
        range::multiplicities(&refs(&columns), 4),
        Err(RangeError::ValueOutOfRange {
            column: 0,
            index: 1,
            value: (-F::ONE).to_string(),
            bits: 4,
        })
    );
    // 2^bits − 1 is in range; 2^bits is not.
    assert!(range::multiplicities(&refs(&[f(&[15])]), 4).is_ok());
    assert!(range::multiplicities(&refs(&[f(&[16])]), 4).is_err());
}

#[test]
fn out_of_range_is_named_goldilocks() {
    out_of_range_is_named::<Goldilocks>();
}

#[test]
fn out_of_range_is_named_bn254() {
    out_of_range_is_named::<Bn254Fr>();
}

#[test]
fn prover_preconditions_are_distinct_errors() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let c = vec![F::ONE; 4];
    let m = range::multiplicities(&[c.as_slice()], 3).unwrap();
    let run = |cols: &[&[F]], bits: usize, m: &[F]| {
        range::prove::<F, E>(cols, bits, m, &mut Transcript::new(LABEL)).err()
    };
    assert_eq!(run(&[&c], 0, &m), Some(RangeError::Bits { bits: 0 }));
    assert_eq!(run(&[&c], 21, &m), Some(RangeError::Bits { bits: 21 }));
    assert_eq!(
        range::multiplicities(&[c.as_slice()], 21),
        Err(RangeError::Bits { bits: 21 })
    );
    assert_eq!(run(&[], 3, &m), Some(RangeError::NoColumns));
    assert_eq!(
        run(&[&c, &c[..3]], 3, &m),
        Some(RangeError::ColumnLength { column: 1, len: 3 })
    );
    assert_eq!(
        run(&[&c, &c[..0]], 3, &m),
        Some(RangeError::ColumnLength { column: 1, len: 0 })
    );
    assert_eq!(
        run(&[&c], 3, &m[..7]),
        Some(RangeError::MultiplicitiesLength {
            expected: 8,
            got: 7
        })
    );
    let mut wrong = m.clone();
    wrong[5] = F::from(2u64);
    assert_eq!(
        run(&[&c], 3, &wrong),
        Some(RangeError::WrongMultiplicity {
            value: 5,
            expected: 0,
            got: "2".into()
        })
    );
    assert!(run(&[&c], 3, &m).is_none());
}

#[test]
fn verifier_statement_errors() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let c = vec![F::ONE; 4];
    let m = range::multiplicities(&[c.as_slice()], 3).unwrap();
    let (proof, _) = prove::<F, E>(&[c], 3, &m);
    assert_eq!(
        verify::<F, E>(&[2], 0, &proof),
        Err(RangeError::Bits { bits: 0 })
    );
    assert_eq!(
        verify::<F, E>(&[2], 21, &proof),
        Err(RangeError::Bits { bits: 21 })
    );
    assert_eq!(verify::<F, E>(&[], 3, &proof), Err(RangeError::NoColumns));
    assert_eq!(
        verify::<F, E>(&[2, 33], 3, &proof),
        Err(RangeError::ColumnVars {
            column: 1,
            vars: 33
        })
    );
    assert_eq!(
        verify::<F, E>(&[usize::MAX], 3, &proof),
        Err(RangeError::ColumnVars {
            column: 0,
            vars: usize::MAX
        })
    );
    assert_eq!(
        verify::<F, E>(&[32, 0], 3, &proof),
        Err(RangeError::TooManyEntries {
            total: (1u128 << 32) + 1
        })
    );
    assert!(verify::<F, E>(&[2], 3, &proof).is_ok());
}

/// A proof made for other column sizes or another `bits` fails cleanly.
fn wrong_statement_is_rejected<F: BaseField, E: ExtField<F>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (vars, bits) = (vec![4usize, 2, 2, 0], 5usize);
    let columns: Vec<Vec<F>> = random_columns(&mut rng, &vars, bits);
    let m = range::multiplicities(&refs(&columns), bits).unwrap();
    let (proof, _) = prove::<F, E>(&columns, bits, &m);
    assert!(verify::<F, E>(&vars, bits, &proof).is_ok());
    for b in [bits - 1, bits + 1] {
        assert_eq!(
            verify::<F, E>(&vars, b, &proof),
            Err(RangeError::ProofShape {
                part: ProofPart::Layers { tree: Tree::Table },
                expected: b - 1,
                got: bits - 1
            })
        );
    }
    // Same packed size, other sizes or order: the statement is in the transcript, so the roots
    // (which do not depend on the challenges) pass and the first layer fails.
    for other in [
        vec![4, 2, 1, 1],
        vec![2, 4, 2, 0],
        vec![3, 3, 2, 2, 0],
        vec![4, 2, 2],
    ] {
        let err = verify::<F, E>(&other, bits, &proof).unwrap_err();
        assert!(
            matches!(
                err,
                RangeError::LayerCheck {
                    tree: Tree::Columns,
                    layer: 0
                } | RangeError::ProofShape {
                    part: ProofPart::ColumnValues,
                    ..
                }
            ),
            "{other:?}: {err:?}"
        );
    }
    // Other packed sizes: the columns tree has the wrong depth.
    for other in [vec![5, 2, 2, 0], vec![3]] {
        assert!(matches!(
            verify::<F, E>(&other, bits, &proof),
            Err(RangeError::ProofShape {
                part: ProofPart::Layers {
                    tree: Tree::Columns
                },
                ..
            })
        ));
    }
    // Another transcript label.
    assert_eq!(
        range::verify::<F, E>(&vars, bits, &proof, &mut Transcript::new(b"other")),
        Err(RangeError::LayerCheck {
            tree: Tree::Columns,
            layer: 0
        })
    );
}

#[test]
fn wrong_statement_is_rejected_goldilocks() {
    wrong_statement_is_rejected::<Goldilocks, GoldilocksExt2>(7);
}

#[test]
fn wrong_statement_is_rejected_bn254() {
    wrong_statement_is_rejected::<Bn254Fr, Bn254Fr>(8);
}

/// A cheating prover: wrong multiplicities, or an entry out of range with any multiplicities.
fn cheating_prover_is_rejected<F: BaseField, E: ExtField<F>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (vars, bits) = (vec![5usize, 3, 0], 4usize);
    let columns: Vec<Vec<F>> = random_columns(&mut rng, &vars, bits);
    let m = range::multiplicities(&refs(&columns), bits).unwrap();
    let reject = |columns: &[Vec<F>], m: &[F]| {
        let proof = prove_unchecked::<F, E>(columns, bits, m);
        verify::<F, E>(&vars, bits, &proof)
    };
    assert!(reject(&columns, &m).is_ok());

    // Wrong multiplicities for honest columns.
    let mut more = m.clone();
    more[3] += F::ONE;
    let mut moved = m.clone();
    moved[0] += F::ONE;
    moved[1] -= F::ONE;
    let mut swapped = m.clone();
    swapped.swap(2, 7);
    if swapped == m {
        swapped[2] += F::ONE;
    }
    for wrong in [more, moved, swapped, vec![F::ZERO; 1 << bits]] {
        assert_eq!(reject(&columns, &wrong), Err(RangeError::RootMismatch));
    }

    // An entry out of range: no multiplicity vector works.
    for bad in [
        F::from(1u64 << bits),
        F::from((1u64 << bits) + 3),
        -F::ONE,
        F::from(u64::MAX),
    ] {
        let mut cheat = columns.clone();
        cheat[1][2] = bad;
        let mut in_range_only = m.clone();
        in_range_only[table_index(columns[1][2])] -= F::ONE;
        let mut clamped = in_range_only.clone();
        clamped[(1 << bits) - 1] += F::ONE;
        let mut wrapped = in_range_only.clone();
        wrapped[table_index(bad) % (1 << bits)] += F::ONE;
        let random: Vec<F> = (0..1 << bits).map(|_| F::rand(&mut rng)).collect();
        for strategy in [m.clone(), in_range_only, clamped, wrapped, random] {
            assert_eq!(reject(&cheat, &strategy), Err(RangeError::RootMismatch));
        }
    }

    // A forged root that passes the root check (numerators chosen to make the two fractions
    // equal) is caught by the first layer below it.
    let mut cheat = columns.clone();
    cheat[0][0] = F::from(1u64 << bits);
    let mut proof = prove_unchecked::<F, E>(&cheat, bits, &m);
    let (p_t, q_t) = proof.table.root.fraction();
    let root = &mut proof.columns.root;
    let (_, q_w) = root.fraction();
    let target = p_t * q_w * q_t.inverse().unwrap();
    root.p0 = (target - root.p1 * root.q0) * root.q1.inverse().unwrap();
    assert_eq!(
        verify::<F, E>(&vars, bits, &proof),
        Err(RangeError::LayerCheck {
            tree: Tree::Columns,
            layer: 0
        })
    );
    // With trees of depth 1 there is no layer: the leaf check catches it.
    let tiny = vec![vec![F::from(2u64)]];
    let mut proof = prove_unchecked::<F, E>(&tiny, 1, &[F::ZERO; 2]);
    let (p_t, q_t) = proof.table.root.fraction();
    let root = &mut proof.columns.root;
    let (_, q_w) = root.fraction();
    let target = p_t * q_w * q_t.inverse().unwrap();
    root.p0 = (target - root.p1 * root.q0) * root.q1.inverse().unwrap();
    assert_eq!(
        range::verify::<F, E>(&[0], 1, &proof, &mut Transcript::new(LABEL)),
        Err(RangeError::LeafNumerator {
            tree: Tree::Columns
        })
    );

    // Proving other (in-range) columns than the committed ones yields a valid proof whose
    // column claims are false for the committed columns: the caller's discharge catches it.
    let mut substituted = columns.clone();
    substituted[0][1] = F::from(((table_index(columns[0][1]) + 1) % (1 << bits)) as u64);
    let sub_m = range::multiplicities(&refs(&substituted), bits).unwrap();
    let (proof, _) = prove::<F, E>(&substituted, bits, &sub_m);
    let claims = verify::<F, E>(&vars, bits, &proof).unwrap();
    assert_ne!(
        evaluate_base(&columns[0], &claims.columns[0].point),
        claims.columns[0].value
    );
}

fn table_index<F: PrimeField>(x: F) -> usize {
    x.into_bigint().as_ref()[0] as usize
}

#[test]
fn cheating_prover_is_rejected_goldilocks() {
    cheating_prover_is_rejected::<Goldilocks, GoldilocksExt2>(9);
}

#[test]
fn cheating_prover_is_rejected_bn254() {
    cheating_prover_is_rejected::<Bn254Fr, Bn254Fr>(10);
}

/// Every part of a proof, changed, gives its exact error.
fn tampering_is_caught<F: BaseField, E: ExtField<F>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    // 13 entries: a columns tree of 4 variables with 3 zeros of padding; a table of 8.
    let (vars, bits) = (vec![3usize, 2, 0], 3usize);
    let columns: Vec<Vec<F>> = random_columns(&mut rng, &vars, bits);
    let m = range::multiplicities(&refs(&columns), bits).unwrap();
    let (proof, _) = prove::<F, E>(&columns, bits, &m);
    assert!(verify::<F, E>(&vars, bits, &proof).is_ok());
    let check = |p: &Proof<E>, expected: RangeError, what: &str| {
        assert_eq!(verify::<F, E>(&vars, bits, p), Err(expected), "{what}");
    };
    type Get<E> = fn(&mut Proof<E>) -> &mut TreeProof<E>;
    let trees: [(Tree, Get<E>); 2] = [
        (Tree::Columns, |p| &mut p.columns),
        (Tree::Table, |p| &mut p.table),
    ];
    let halves_fields: [fn(&mut Halves<E>) -> &mut E; 4] =
        [|h| &mut h.p0, |h| &mut h.p1, |h| &mut h.q0, |h| &mut h.q1];
    for (tree, get) in trees {
        let layers = get(&mut proof.clone()).layers.len();
        assert!(layers >= 2);
        for layer in 0..layers {
            let rounds = get(&mut proof.clone()).layers[layer].sumcheck.rounds.len();
            for round in 0..rounds {
                for k in 0..3 {
                    let mut p = proof.clone();
                    get(&mut p).layers[layer].sumcheck.rounds[round].evals[k] += E::ONE;
                    check(
                        &p,
                        RangeError::LayerCheck { tree, layer },
                        &format!("{tree:?} layer {layer} round {round} value {k}"),
                    );
                }
            }
            for (i, field) in halves_fields.iter().enumerate() {
                let mut p = proof.clone();
                *field(&mut get(&mut p).layers[layer].halves) += E::ONE;
                check(
                    &p,
                    RangeError::LayerCheck { tree, layer },
                    &format!("{tree:?} layer {layer} half {i}"),
                );
            }
        }
        for (i, field) in halves_fields.iter().enumerate() {
            let mut p = proof.clone();
            *field(&mut get(&mut p).root) += E::ONE;
            check(&p, RangeError::RootMismatch, &format!("{tree:?} root {i}"));
        }
        // A zero denominator at the root.
        let mut p = proof.clone();
        get(&mut p).root.q1 = E::ZERO;
        check(&p, RangeError::ZeroDenominator { tree }, "zero denominator");

        // Shapes, checked before anything else.
        let mut p = proof.clone();
        get(&mut p).layers.pop();
        check(
            &p,
            RangeError::ProofShape {
                part: ProofPart::Layers { tree },
                expected: layers,
                got: layers - 1,
            },
            "missing layer",
        );
        let mut p = proof.clone();
        let extra = get(&mut p).layers[0].clone();
        get(&mut p).layers.push(extra);
        check(
            &p,
            RangeError::ProofShape {
                part: ProofPart::Layers { tree },
                expected: layers,
                got: layers + 1,
            },
            "extra layer",
        );
        let mut p = proof.clone();
        get(&mut p).layers[1].sumcheck.rounds.push(RoundMessage {
            evals: vec![E::ZERO; 3],
        });
        check(
            &p,
            RangeError::ProofShape {
                part: ProofPart::Rounds { tree, layer: 1 },
                expected: 2,
                got: 3,
            },
            "extra round",
        );
        let mut p = proof.clone();
        get(&mut p).layers[1].sumcheck.rounds[1].evals.pop();
        check(
            &p,
            RangeError::ProofShape {
                part: ProofPart::Message {
                    tree,
                    layer: 1,
                    round: 1,
                },
                expected: 3,
                got: 2,
            },
            "short message",
        );
    }
    for i in 0..vars.len() {
        let mut p = proof.clone();
        p.column_values[i] += E::ONE;
        check(
            &p,
            RangeError::LeafDenominator {
                tree: Tree::Columns,
            },
            &format!("column value {i}"),
        );
    }
    let mut p = proof.clone();
    p.column_values.push(E::ZERO);
    check(
        &p,
        RangeError::ProofShape {
            part: ProofPart::ColumnValues,
            expected: 3,
            got: 4,
        },
        "extra column value",
    );
    let mut p = proof.clone();
    p.multiplicities_value += E::ONE;
    check(
        &p,
        RangeError::LeafNumerator { tree: Tree::Table },
        "multiplicities value",
    );
}

#[test]
fn tampering_is_caught_goldilocks() {
    tampering_is_caught::<Goldilocks, GoldilocksExt2>(11);
}

#[test]
fn tampering_is_caught_bn254() {
    tampering_is_caught::<Bn254Fr, Bn254Fr>(12);
}

/// A layer's sum-check error is wrapped with its tree and layer (reachable only through the
/// sum-check verifier's own checks, which the shape checks run first).
#[test]
fn sumcheck_errors_are_wrapped() {
    let e = RangeError::Sumcheck {
        tree: Tree::Table,
        layer: 2,
        source: SumcheckError::FinalEvaluation,
    };
    assert_eq!(
        e.to_string(),
        "Table tree, layer 2: final evaluation does not match the sum-check claim"
    );
}

fn bytes_are_checked<F: BaseField, E: ExtField<F>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (vars, bits) = (vec![2usize, 0], 2usize);
    let columns: Vec<Vec<F>> = random_columns(&mut rng, &vars, bits);
    let m = range::multiplicities(&refs(&columns), bits).unwrap();
    let (proof, _) = prove::<F, E>(&columns, bits, &m);
    let bytes = codec::to_bytes(&proof);
    for len in 0..bytes.len() {
        assert!(
            matches!(
                codec::from_bytes::<Proof<E>>(&bytes[..len]),
                Err(DecodeError::Malformed(_))
            ),
            "prefix {len}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        codec::from_bytes::<Proof<E>>(&longer),
        Err(DecodeError::TrailingBytes { count: 1 })
    );
    // Every single-byte change is rejected: by the decoder, the shape checks or the protocol.
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            let accepted = codec::from_bytes::<Proof<E>>(&b)
                .ok()
                .is_some_and(|p| verify::<F, E>(&vars, bits, &p).is_ok());
            assert!(!accepted, "flip {flip:#x} at byte {i} accepted");
        }
    }
}

#[test]
fn bytes_are_checked_goldilocks() {
    bytes_are_checked::<Goldilocks, GoldilocksExt2>(13);
}

#[test]
fn bytes_are_checked_bn254() {
    bytes_are_checked::<Bn254Fr, Bn254Fr>(14);
}

/// A proof of random shape and values.
fn random_proof<E: Field>(rng: &mut StdRng) -> Proof<E> {
    let tree = |rng: &mut StdRng| {
        let mut halves = || Halves {
            p0: E::rand(rng),
            p1: E::rand(rng),
            q0: E::rand(rng),
            q1: E::rand(rng),
        };
        let root = halves();
        let layers = (0..rng.gen_range(0..5))
            .map(|j| LayerProof {
                sumcheck: sumcheck::Proof {
                    rounds: (0..rng.gen_range(j..j + 3))
                        .map(|_| RoundMessage {
                            evals: (0..rng.gen_range(2..5)).map(|_| E::rand(rng)).collect(),
                        })
                        .collect(),
                },
                halves: Halves {
                    p0: E::rand(rng),
                    p1: E::rand(rng),
                    q0: E::rand(rng),
                    q1: E::rand(rng),
                },
            })
            .collect();
        TreeProof { root, layers }
    };
    Proof {
        columns: tree(rng),
        table: tree(rng),
        column_values: (0..rng.gen_range(0..4)).map(|_| E::rand(rng)).collect(),
        multiplicities_value: E::rand(rng),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), vars in proptest::collection::vec(0usize..6, 0..4), bits in 0usize..6) {
        if let Ok(p) = codec::from_bytes::<Proof<GoldilocksExt2>>(&bytes) {
            let _ = verify::<Goldilocks, GoldilocksExt2>(&vars, bits, &p);
        }
        if let Ok(p) = codec::from_bytes::<Proof<Bn254Fr>>(&bytes) {
            let _ = verify::<Bn254Fr, Bn254Fr>(&vars, bits, &p);
        }
    }

    #[test]
    fn random_proofs_never_panic(seed: u64, vars in proptest::collection::vec(0usize..5, 0..4), bits in 0usize..5) {
        let mut rng = StdRng::seed_from_u64(seed);
        let p = random_proof::<GoldilocksExt2>(&mut rng);
        prop_assert!(verify::<Goldilocks, GoldilocksExt2>(&vars, bits, &p).is_err());
        let p = random_proof::<Bn254Fr>(&mut rng);
        prop_assert!(verify::<Bn254Fr, Bn254Fr>(&vars, bits, &p).is_err());
    }
}

// The hiding range check (`range::zk`), through the public API: the caller draws the fresh
// masks, commits them (here: absorbs them), and proves the returned claims (here: checks them
// against the tables' hiding extensions).

mod zk {
    use super::*;
    use zkcnn::range::zk::{self, ZkRangeProof};
    use zkcnn::zk::{Deferred, ExplicitMasks, TableMasks};

    struct Statement<F, E> {
        columns: Vec<Vec<F>>,
        m: Vec<F>,
        masks: Vec<E>,
        tables: ExplicitMasks<E>,
    }

    fn statement<F: BaseField, E: ExtField<F>>(
        rng: &mut StdRng,
        vars: &[usize],
        bits: usize,
    ) -> Statement<F, E> {
        let columns = random_columns::<F>(rng, vars, bits);
        let m = range::multiplicities(&refs(&columns), bits).unwrap();
        let masks = (0..zk::mask_len(vars, bits).unwrap())
            .map(|_| E::rand(rng))
            .collect();
        // Commitment masks over up to 2 low variables of each table.
        let mut tables: Vec<Vec<E>> = vars
            .iter()
            .chain([&bits])
            .map(|&v| (0..1usize << v.min(2)).map(|_| E::rand(rng)).collect())
            .collect();
        tables.truncate(vars.len() + 1);
        Statement {
            columns,
            m,
            masks,
            tables: ExplicitMasks(tables),
        }
    }

    impl<F: BaseField, E: ExtField<F>> Statement<F, E> {
        fn transcript(&self) -> Transcript {
            let mut t = Transcript::new(LABEL);
            t.append_fields(b"fresh-masks", &self.masks);
            t
        }

        fn prove(&self, bits: usize) -> (ZkRangeProof<E>, Vec<Deferred<E>>) {
            zk::prove::<F, E>(
                &refs(&self.columns),
                bits,
                &self.m,
                &self.masks,
                &self.tables,
                &mut self.transcript(),
            )
            .unwrap()
        }

        fn verify(
            &self,
            vars: &[usize],
            bits: usize,
            proof: &ZkRangeProof<E>,
        ) -> Result<Vec<Deferred<E>>, RangeError> {
            zk::verify::<F, E>(vars, bits, proof, &mut self.transcript())
        }

        fn all_hold(&self, claims: &[Deferred<E>]) -> bool {
            let hiding = |t: usize, z: &[E], beta: E| {
                let table = self.columns.get(t).unwrap_or(&self.m);
                evaluate_base(table, z) + beta * self.tables.mask_at(t, z)
            };
            claims.iter().all(|c| c.holds(hiding, &self.masks))
        }
    }

    fn round_trip<F: BaseField, E: ExtField<F>>(seed: u64, vars: &[usize], bits: usize) {
        let mut rng = StdRng::seed_from_u64(seed);
        let s = statement::<F, E>(&mut rng, vars, bits);
        let (proof, claims) = s.prove(bits);
        let bytes = codec::to_bytes(&proof);
        let decoded: ZkRangeProof<E> = codec::from_bytes(&bytes).unwrap();
        let checked = s.verify(vars, bits, &decoded).unwrap();
        assert_eq!(checked, claims);
        assert!(s.all_hold(&checked));
        assert_eq!(
            claims.len(),
            3 + vars.len() + 1 + bits + proof.columns.len()
        );
        // A leftover byte is an error; a wrong multiplicity is refused by the prover.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(codec::from_bytes::<ZkRangeProof<E>>(&longer).is_err());
        let mut bad = s.m.clone();
        bad[0] += F::ONE;
        assert!(matches!(
            zk::prove::<F, E>(
                &refs(&s.columns),
                bits,
                &bad,
                &s.masks,
                &s.tables,
                &mut s.transcript()
            ),
            Err(RangeError::WrongMultiplicity { value: 0, .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn zk_range_round_trips(seed: u64, vars in proptest::collection::vec(0usize..8, 1..5), bits in 1usize..9) {
            round_trip::<Goldilocks, GoldilocksExt2>(seed, &vars, bits);
            round_trip::<Bn254Fr, Bn254Fr>(seed, &vars, bits);
        }

        #[test]
        fn zk_range_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800), vars in proptest::collection::vec(0usize..6, 0..4), bits in 0usize..6) {
            if let Ok(p) = codec::from_bytes::<ZkRangeProof<GoldilocksExt2>>(&bytes) {
                let _ = zk::verify::<Goldilocks, GoldilocksExt2>(&vars, bits, &p, &mut Transcript::new(LABEL));
            }
            if let Ok(p) = codec::from_bytes::<ZkRangeProof<Bn254Fr>>(&bytes) {
                let _ = zk::verify::<Bn254Fr, Bn254Fr>(&vars, bits, &p, &mut Transcript::new(LABEL));
            }
        }
    }

    /// An entry out of range with the in-range counts (the cheating prover computes the rest
    /// honestly): the proof decodes and verifies shape-wise, and the join's claim is false.
    #[test]
    fn zk_range_out_of_range_entry_leaves_a_false_claim() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(21);
        for (vars, bits) in [(vec![3usize, 1], 3usize), (vec![6], 4), (vec![0], 1)] {
            let mut s = statement::<F, E>(&mut rng, &vars, bits);
            s.columns[0][0] = F::from(1u64 << bits);
            let rest: Vec<F> = s.columns.concat()[1..].to_vec();
            s.m = range::multiplicities(&[&rest], bits).unwrap();
            let (proof, _) = zk::prove_unchecked::<F, E>(
                &refs(&s.columns),
                bits,
                &s.m,
                &s.masks,
                &s.tables,
                &mut s.transcript(),
            )
            .unwrap();
            let checked = s.verify(&vars, bits, &proof).unwrap();
            assert!(!s.all_hold(&checked), "{vars:?}");
        }
    }
}
