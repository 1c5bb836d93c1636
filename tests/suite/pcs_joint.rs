//! Joint Basefold openings of several commitments of different sizes
//! (`basefold::open_parts`): round trips over random sizes, polynomial and claim counts, on both
//! fields; every part of a joint proof tampered with its exact error; each part's claims, order
//! and commitment; a cheating prover that commits one table and opens another.

use ark_ff::{FftField, Field};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use merlin::Transcript;
use proptest::prelude::*;
use zkcnn::codec;
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::pcs::basefold::{self, Commitment, Params, Part, PcsError, Proof, Statement};
use zkcnn::pcs::merkle::MerkleError;
use zkcnn::pcs::Claim;
use zkcnn::poly::Mle;
use zkcnn::testing::random_base;

/// One commitment of a joint opening: its tables, commitment, prover data and claims.
struct One<F, E> {
    polys: Vec<Vec<F>>,
    c: Commitment,
    data: basefold::ProverData<F>,
    claims: Vec<Claim<E>>,
}

/// Commitments of `sizes[j]` variables with `ts[j]` random polynomials and `ms[j]` claims each
/// (random polynomials, each at a fresh point or, with probability 1/3, at the previous claim's).
fn commitments<F: BaseField + FftField, E: ExtField<F>>(
    seed: u64,
    sizes: &[usize],
    ts: &[usize],
    ms: &[usize],
    p: &Params,
) -> Vec<One<F, E>> {
    let mut rng = StdRng::seed_from_u64(seed);
    sizes
        .iter()
        .zip(ts)
        .zip(ms)
        .map(|((&n, &t), &m)| {
            let polys: Vec<Vec<F>> = (0..t).map(|_| random_base(&mut rng, 1 << n)).collect();
            let (c, data) = basefold::commit(p, polys.clone()).unwrap();
            let mut claims: Vec<Claim<E>> = Vec::new();
            for _ in 0..m {
                let point = match claims.last() {
                    Some(prev) if rng.gen_range(0..3) == 0 => prev.point.clone(),
                    _ => (0..n).map(|_| E::rand(&mut rng)).collect(),
                };
                claims.push(Claim::new(rng.gen_range(0..t), point));
            }
            One {
                polys,
                c,
                data,
                claims,
            }
        })
        .collect()
}

fn open<F: BaseField + FftField, E: ExtField<F>>(
    p: &Params,
    cs: &[One<F, E>],
) -> (Vec<Vec<E>>, Proof<F, E>) {
    basefold::open_parts(p, &parts(cs), &mut Transcript::new(b"joint")).unwrap()
}

/// The prover's parts of these commitments.
fn parts<F: BaseField + FftField, E: ExtField<F>>(cs: &[One<F, E>]) -> Vec<Part<'_, F, E>> {
    cs.iter()
        .map(|o| Part {
            commitment: &o.c,
            data: &o.data,
            claims: &o.claims,
        })
        .collect()
}

/// One part of a statement: a commitment, claims on it, their values.
type Stmt<'a, E> = (&'a Commitment, &'a [Claim<E>], &'a [E]);

/// Verifies with each part's commitment, claims and values as given.
fn verify<F: BaseField + FftField, E: ExtField<F>>(
    p: &Params,
    parts: &[Stmt<'_, E>],
    proof: &Proof<F, E>,
) -> Result<(), PcsError> {
    let st: Vec<Statement<E>> = parts
        .iter()
        .map(|&(commitment, claims, values)| Statement {
            commitment,
            claims,
            values,
        })
        .collect();
    basefold::verify_parts(p, &st, proof, &mut Transcript::new(b"joint"))
}

fn statement<'a, F, E>(cs: &'a [One<F, E>], ys: &'a [Vec<E>]) -> Vec<Stmt<'a, E>> {
    cs.iter()
        .zip(ys)
        .map(|(o, y)| (&o.c, o.claims.as_slice(), y.as_slice()))
        .collect()
}

/// The error a wrong running claim of the main sum-check gives when it goes wrong at fold `s`
/// (a wrong round message; `s = 0`: a changed transcript without a reduction at the start): the
/// first join after `s` folds reduces it and catches it, else the final check.
fn caught_after<F: Field, E: Field>(proof: &Proof<F, E>, joins: &[usize], s: usize) -> PcsError {
    assert_eq!(joins.len(), proof.joins.len());
    match joins.iter().find(|&&d| d > s) {
        Some(&fold) => PcsError::JoinValues { fold },
        None => PcsError::FinalEvaluation,
    }
}

/// The distinct folds at which later commitments join, increasing.
fn join_folds(sizes: &[usize]) -> Vec<usize> {
    let mut d: Vec<usize> = sizes
        .iter()
        .map(|&n| sizes[0] - n)
        .filter(|&d| d > 0)
        .collect();
    d.sort_unstable();
    d.dedup();
    d
}

/// Opens, checks the values against a naive evaluation, verifies, round-trips the bytes, and
/// checks that a wrong value of any claim of any part is caught with the exact error. Values are
/// absorbed before any challenge, so the first check catches it: the reduction of the claims
/// there from the start (when they need it), else the first join's reduction, else the final
/// check.
fn round_trip<F: BaseField + FftField, E: ExtField<F>>(
    seed: u64,
    sizes: &[usize],
    ts: &[usize],
    ms: &[usize],
    p: &Params,
) {
    let cs = commitments::<F, E>(seed, sizes, ts, ms, p);
    let (ys, proof) = open(p, &cs);
    for (o, y) in cs.iter().zip(&ys) {
        for (cl, v) in o.claims.iter().zip(y) {
            assert_eq!(
                *v,
                Mle::<F, E>::Base(o.polys[cl.poly].clone()).evaluate(&cl.point)
            );
        }
    }
    let st = statement(&cs, &ys);
    assert_eq!(verify(p, &st, &proof), Ok(()));
    assert_eq!(proof.joined.len(), cs.len() - 1);
    let bytes = codec::to_bytes(&proof);
    assert_eq!(codec::from_bytes::<Proof<F, E>>(&bytes).unwrap(), proof);
    let joins = join_folds(sizes);
    let expected = if proof.reduction.is_some() {
        PcsError::ReducedValues
    } else {
        caught_after(&proof, &joins, 0)
    };
    for j in 0..cs.len() {
        for i in 0..ys[j].len() {
            let mut bad = ys.clone();
            bad[j][i] += E::ONE;
            assert_eq!(
                verify(p, &statement(&cs, &bad), &proof),
                Err(expected.clone()),
                "part {j} claim {i}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Two or three commitments, the later ones of any size up to the first's.
    #[test]
    fn joint_round_trip_goldilocks(
        seed: u64,
        n0 in 1usize..11,
        later in proptest::collection::vec((0usize..11, 1usize..3, 1usize..4), 1..3),
        t0 in 1usize..3,
        m0 in 1usize..4,
        rate_bits in 1usize..3,
        fold_bits in 1usize..5,
        queries in 1usize..16,
        pow_bits in 0usize..4,
    ) {
        let mut sizes = vec![n0];
        let mut ts = vec![t0];
        let mut ms = vec![m0];
        for (n, t, m) in later {
            sizes.push(1 + n % n0);
            ts.push(t);
            ms.push(m);
        }
        let p = Params { rate_bits, fold_bits, queries, pow_bits };
        round_trip::<Goldilocks, GoldilocksExt2>(seed, &sizes, &ts, &ms, &p);
    }

    #[test]
    fn joint_round_trip_bn254(
        seed: u64,
        n0 in 1usize..8,
        n1 in 0usize..8,
        t1 in 1usize..3,
        m1 in 1usize..3,
        fold_bits in 1usize..4,
        queries in 1usize..8,
    ) {
        let p = Params { rate_bits: 1, fold_bits, queries, pow_bits: 0 };
        round_trip::<Bn254Fr, Bn254Fr>(seed, &[n0, 1 + n1 % n0], &[1, t1], &[2, m1], &p);
    }
}

/// Every part of a joint proof of three commitments, each tampered with the exact error; the
/// statement's parts, order and commitments. 12, 9 and 5 variables, one polynomial in the first:
/// no reduction at the start, the second joins mid-leaf at arity 2^2 (fold 3), the third at a
/// tree boundary (fold 7). 10, 10 and 6 variables: the two first are reduced at the start, the
/// third joins at fold 4.
fn tampering<F: BaseField + FftField, E: ExtField<F>>(seed: u64, sizes: &[usize], ts: &[usize]) {
    let p = Params {
        rate_bits: 1,
        fold_bits: 2,
        queries: 6,
        pow_bits: 2,
    };
    let cs = commitments::<F, E>(seed, sizes, ts, &[2, 3, 1], &p);
    let joins = join_folds(sizes);
    let (ys, proof) = open(&p, &cs);
    let st = statement(&cs, &ys);
    let check = |pr: &Proof<F, E>| verify(&p, &st, pr);
    assert_eq!(check(&proof), Ok(()));

    // Each joined commitment's opened values and siblings.
    for (j, o) in proof.joined.iter().enumerate() {
        let mismatch = Err(PcsError::JoinedMerkle {
            part: j + 1,
            source: MerkleError::RootMismatch,
        });
        for i in 0..o.values.len() {
            let mut pr = proof.clone();
            pr.joined[j].values[i] += F::ONE;
            assert_eq!(check(&pr), mismatch, "part {} value {i}", j + 1);
        }
        for i in 0..o.proof.siblings.len() {
            let mut pr = proof.clone();
            pr.joined[j].proof.siblings[i][i % zkcnn::pcs::merkle::DIGEST_BYTES] ^= 4;
            assert_eq!(check(&pr), mismatch, "part {} sibling {i}", j + 1);
        }
        let mut pr = proof.clone();
        pr.joined[j].values.pop();
        assert!(matches!(
            check(&pr),
            Err(PcsError::Shape {
                what: "a joined tree's opened values",
                ..
            })
        ));
    }
    let mut pr = proof.clone();
    pr.joined.pop();
    assert_eq!(
        check(&pr),
        Err(PcsError::Shape {
            what: "the joined openings",
            expected: 2,
            got: 1
        })
    );
    // The start's reduction (rounds and values), each join's, the main rounds, the final
    // constant.
    let start_reduced = sizes[1] == sizes[0];
    assert_eq!(proof.reduction.is_some(), start_reduced);
    if let Some(red) = &proof.reduction {
        for k in 0..red.sumcheck.rounds.len() {
            let mut pr = proof.clone();
            pr.reduction.as_mut().unwrap().sumcheck.rounds[k].evals[1] += E::ONE;
            assert_eq!(check(&pr), Err(PcsError::ReducedValues), "round {k}");
        }
        for i in 0..red.values.len() {
            let mut pr = proof.clone();
            pr.reduction.as_mut().unwrap().values[i] += E::ONE;
            assert_eq!(check(&pr), Err(PcsError::ReducedValues), "reduced {i}");
        }
    }
    assert_eq!(proof.joins.len(), joins.len());
    for (x, &fold) in joins.iter().enumerate() {
        let red = &proof.joins[x];
        assert_eq!(red.sumcheck.rounds.len(), sizes[0] - fold);
        for k in 0..red.sumcheck.rounds.len() {
            let mut pr = proof.clone();
            pr.joins[x].sumcheck.rounds[k].evals[0] += E::ONE;
            assert_eq!(
                check(&pr),
                Err(PcsError::JoinValues { fold }),
                "join {fold} round {k}"
            );
        }
        for i in 0..red.values.len() {
            let mut pr = proof.clone();
            pr.joins[x].values[i] += E::ONE;
            assert_eq!(
                check(&pr),
                Err(PcsError::JoinValues { fold }),
                "join {fold} value {i}"
            );
        }
        let mut pr = proof.clone();
        pr.joins[x].values.pop();
        assert_eq!(
            check(&pr),
            Err(PcsError::Shape {
                what: "a join's values",
                expected: red.values.len(),
                got: red.values.len() - 1
            })
        );
        let mut pr = proof.clone();
        pr.joins[x].sumcheck.rounds.pop();
        assert!(
            matches!(check(&pr), Err(PcsError::Reduction(_))),
            "join {fold}: a round short"
        );
    }
    let mut pr = proof.clone();
    pr.joins.pop();
    assert_eq!(
        check(&pr),
        Err(PcsError::Shape {
            what: "the joins",
            expected: joins.len(),
            got: joins.len() - 1
        })
    );
    for k in 0..proof.rounds.len() {
        let mut pr = proof.clone();
        pr.rounds[k][0] += E::ONE;
        assert_eq!(
            check(&pr),
            Err(caught_after(&proof, &joins, k)),
            "main round {k}"
        );
    }
    let mut pr = proof.clone();
    pr.last += E::ONE;
    assert_eq!(check(&pr), Err(PcsError::FinalEvaluation));
    // What a changed transcript is caught by first: the start's reduction, else the first join.
    let first_check = if start_reduced {
        PcsError::ReducedValues
    } else {
        PcsError::JoinValues { fold: joins[0] }
    };
    // The statement: another commitment's root, parts in another order, a part left out.
    for j in 0..cs.len() {
        let mut c = cs[j].c.clone();
        c.root[0] ^= 1;
        let mut bad = st.clone();
        bad[j].0 = &c;
        assert_eq!(
            verify(&p, &bad, &proof),
            Err(first_check.clone()),
            "root {j}"
        );
    }
    let mut swapped = st.clone();
    swapped.swap(0, 1);
    assert_eq!(
        verify(&p, &swapped, &proof),
        Err(if start_reduced {
            first_check.clone()
        } else {
            PcsError::PartOrder { part: 1 }
        })
    );
    // The two later parts in the other order (only the first must be the largest; the
    // transcript differs), and the last part left out.
    let mut swapped = st.clone();
    swapped.swap(1, 2);
    assert_eq!(verify(&p, &swapped, &proof), Err(first_check.clone()));
    assert_eq!(
        verify(&p, &st[..2], &proof),
        Err(PcsError::Shape {
            what: "the joins",
            expected: joins.len() - 1,
            got: joins.len()
        })
    );
    assert_eq!(verify(&p, &[], &proof), Err(PcsError::NoClaims));
}

#[test]
fn joint_tampering_goldilocks() {
    tampering::<Goldilocks, GoldilocksExt2>(3, &[12, 9, 5], &[1, 2, 1]);
    tampering::<Goldilocks, GoldilocksExt2>(5, &[10, 10, 6], &[1, 2, 1]);
}

#[test]
fn joint_tampering_bn254() {
    tampering::<Bn254Fr, Bn254Fr>(4, &[12, 9, 5], &[1, 2, 1]);
    tampering::<Bn254Fr, Bn254Fr>(6, &[10, 10, 6], &[1, 2, 1]);
}

/// A cheating prover: each commitment in turn is made from one table, and the opening is made
/// from another (one entry changed, the rest honest), claiming the other table's values. The
/// joined commitment's queried leaves cannot match its root, or the fold does not match.
#[test]
fn a_joined_table_changed_after_commit_is_rejected() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let p = Params {
        rate_bits: 1,
        fold_bits: 3,
        queries: 24,
        pow_bits: 0,
    };
    for target in 0..2 {
        let cs = commitments::<F, E>(7 + target as u64, &[10, 7], &[1, 1], &[2, 2], &p);
        let mut edited = cs[target].polys.clone();
        edited[0][5] += F::ONE;
        let (_, other_data) = basefold::commit(&p, edited).unwrap();
        let parts: Vec<Part<F, E>> = cs
            .iter()
            .enumerate()
            .map(|(j, o)| Part {
                commitment: &o.c,
                data: if j == target { &other_data } else { &o.data },
                claims: &o.claims,
            })
            .collect();
        let (ys, proof) = basefold::open_parts(&p, &parts, &mut Transcript::new(b"joint")).unwrap();
        let err = verify(&p, &statement(&cs, &ys), &proof).unwrap_err();
        let expected = if target == 0 {
            PcsError::Merkle {
                layer: 0,
                source: MerkleError::RootMismatch,
            }
        } else {
            PcsError::JoinedMerkle {
                part: 1,
                source: MerkleError::RootMismatch,
            }
        };
        assert_eq!(err, expected, "target {target}");
    }
}

/// Opening parts whose first is not the largest is refused by the prover too.
#[test]
fn the_first_part_must_be_the_largest() {
    type F = Goldilocks;
    type E = GoldilocksExt2;
    let p = Params {
        rate_bits: 1,
        fold_bits: 2,
        queries: 4,
        pow_bits: 0,
    };
    let cs = commitments::<F, E>(9, &[4, 6], &[1, 1], &[1, 1], &p);
    assert_eq!(
        basefold::open_parts(&p, &parts(&cs), &mut Transcript::new(b"joint")).err(),
        Some(PcsError::PartOrder { part: 1 })
    );
}
