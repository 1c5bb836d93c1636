//! Basefold: round trips over random sizes and points, tamper tests asserting the exact error
//! for each part of a proof, a different polynomial against a commitment, and bytes — on
//! Goldilocks (points in its extension) and on BN254's scalar field.

use ark_ff::{FftField, Field};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use merlin::Transcript;
use proptest::prelude::*;
use zkcnn::codec::{self, DecodeError};
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::pcs::basefold::{self, Basefold, Commitment, Params, PcsError, Proof};
use zkcnn::pcs::merkle::MerkleError;
use zkcnn::pcs::MultilinearPcs;
use zkcnn::poly::Mle;
use zkcnn::testing::random_base;

/// A committed random polynomial and `claims` random points.
fn setup<F: BaseField + FftField, E: ExtField<F>>(
    seed: u64,
    n: usize,
    params: &Params,
    claims: usize,
) -> (Vec<F>, Commitment, basefold::ProverData<F>, Vec<Vec<E>>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let evals: Vec<F> = random_base(&mut rng, 1 << n);
    let (c, data) = basefold::commit(params, evals.clone()).unwrap();
    let z: Vec<Vec<E>> = (0..claims)
        .map(|_| (0..n).map(|_| E::rand(&mut rng)).collect())
        .collect();
    (evals, c, data, z)
}

fn verify<F: BaseField + FftField, E: ExtField<F>>(
    p: &Params,
    c: &Commitment,
    z: &[Vec<E>],
    y: &[E],
    proof: &Proof<F, E>,
) -> Result<(), PcsError> {
    basefold::verify(p, c, z, y, proof, &mut Transcript::new(b"pcs-test"))
}

/// `y` with its `i`-th value changed.
fn bump<E: Field>(y: &[E], i: usize) -> Vec<E> {
    let mut y = y.to_vec();
    y[i] += E::ONE;
    y
}

fn round_trip<F: BaseField + FftField, E: ExtField<F>>(
    seed: u64,
    n: usize,
    rate_bits: usize,
    queries: usize,
    claims: usize,
) {
    let p = Params { rate_bits, queries };
    let (evals, c, data, z) = setup::<F, E>(seed, n, &p, claims);
    let (y, proof) = basefold::open(&p, &c, &data, &z, &mut Transcript::new(b"pcs-test")).unwrap();
    for (zi, yi) in z.iter().zip(&y) {
        assert_eq!(*yi, Mle::<F, E>::Base(evals.clone()).evaluate(zi));
    }
    assert_eq!(verify(&p, &c, &z, &y, &proof), Ok(()));
    let bytes = codec::to_bytes(&proof);
    assert_eq!(codec::from_bytes::<Proof<F, E>>(&bytes).unwrap(), proof);
    // Any wrong value is rejected.
    for i in 0..claims {
        assert_eq!(
            verify(&p, &c, &z, &bump(&y, i), &proof),
            Err(PcsError::FinalEvaluation)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn round_trip_goldilocks(
        seed: u64,
        n in 1usize..12,
        rate_bits in 1usize..4,
        queries in 1usize..20,
        claims in 1usize..5,
    ) {
        round_trip::<Goldilocks, GoldilocksExt2>(seed, n, rate_bits, queries, claims);
    }

    #[test]
    fn round_trip_bn254(
        seed: u64,
        n in 1usize..8,
        rate_bits in 1usize..3,
        queries in 1usize..10,
        claims in 1usize..4,
    ) {
        round_trip::<Bn254Fr, Bn254Fr>(seed, n, rate_bits, queries, claims);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000), seed: u64) {
        let p = Params { rate_bits: 1, queries: 2 };
        let (_, c, _, z) = setup::<Goldilocks, GoldilocksExt2>(seed, 3, &p, 1);
        if let Ok(proof) = codec::from_bytes::<Proof<Goldilocks, GoldilocksExt2>>(&bytes) {
            prop_assert!(verify(&p, &c, &z, &[GoldilocksExt2::from(1u64)], &proof).is_err());
        }
    }
}

fn tampering_is_caught<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
    let p = Params {
        rate_bits: 2,
        queries: 6,
    };
    let n = 6;
    let (_, c, data, z) = setup::<F, E>(seed, n, &p, 3);
    let (y, proof) = basefold::open(&p, &c, &data, &z, &mut Transcript::new(b"pcs-test")).unwrap();
    let check = |pr: &Proof<F, E>| verify(&p, &c, &z, &y, pr);
    assert_eq!(check(&proof), Ok(()));

    // The claimed evaluation, the commitment root, the final constant, each round message, each
    // folded root: the transcript or the final check breaks.
    for i in 0..3 {
        assert_eq!(
            verify(&p, &c, &z, &bump(&y, i), &proof),
            Err(PcsError::FinalEvaluation)
        );
        let mut z2 = z.clone();
        z2[i][0] += E::ONE;
        assert_eq!(
            verify(&p, &c, &z2, &y, &proof),
            Err(PcsError::FinalEvaluation)
        );
    }
    // The claims are bound in order: swapping two claims changes the transcript.
    let (mut zs, mut ys) = (z.clone(), y.clone());
    zs.swap(0, 1);
    ys.swap(0, 1);
    assert_eq!(
        verify(&p, &c, &zs, &ys, &proof),
        Err(PcsError::FinalEvaluation)
    );
    let mut c2 = c.clone();
    c2.root[0] ^= 1;
    assert_eq!(
        verify(&p, &c2, &z, &y, &proof),
        Err(PcsError::FinalEvaluation)
    );
    let mut pr = proof.clone();
    pr.last += E::ONE;
    assert_eq!(check(&pr), Err(PcsError::FinalEvaluation));
    for k in 0..n {
        for e in 0..2 {
            let mut pr = proof.clone();
            pr.rounds[k][e] += E::ONE;
            assert_eq!(
                check(&pr),
                Err(PcsError::FinalEvaluation),
                "round {k} value {e}"
            );
        }
    }
    for k in 0..n - 1 {
        let mut pr = proof.clone();
        pr.roots[k][3] ^= 0x10;
        assert_eq!(check(&pr), Err(PcsError::FinalEvaluation), "root {k}");
    }
    // Each queried value and each Merkle path, at every layer.
    for q in 0..p.queries {
        let mut pr = proof.clone();
        pr.queries[q].base.a += F::ONE;
        let err = check(&pr).unwrap_err();
        assert_eq!(
            err,
            PcsError::Merkle {
                query: q,
                layer: 0,
                source: MerkleError::RootMismatch {
                    index: leaf_index(&err)
                }
            }
        );
        let mut pr = proof.clone();
        pr.queries[q].base.path.siblings[0][0] ^= 1;
        assert!(matches!(check(&pr), Err(PcsError::Merkle { query, layer: 0, .. }) if query == q));
        for l in 0..n - 1 {
            let mut pr = proof.clone();
            pr.queries[q].folded[l].b += E::ONE;
            assert!(
                matches!(check(&pr), Err(PcsError::Merkle { query, layer, .. }) if query == q && layer == l + 1)
            );
            let mut pr = proof.clone();
            pr.queries[q].folded[l].path.siblings[1][7] ^= 4;
            assert!(
                matches!(check(&pr), Err(PcsError::Merkle { query, layer, .. }) if query == q && layer == l + 1)
            );
        }
    }
    // Shapes.
    let mut pr = proof.clone();
    pr.rounds.pop();
    assert_eq!(
        check(&pr),
        Err(PcsError::Shape {
            what: "the round messages",
            expected: n,
            got: n - 1
        })
    );
    let mut pr = proof.clone();
    pr.rounds[2].push(E::ZERO);
    assert_eq!(
        check(&pr),
        Err(PcsError::Shape {
            what: "a round message",
            expected: 2,
            got: 3
        })
    );
    let mut pr = proof.clone();
    pr.roots.push([0; 32]);
    assert_eq!(
        check(&pr),
        Err(PcsError::Shape {
            what: "the folded roots",
            expected: n - 1,
            got: n
        })
    );
    let mut pr = proof.clone();
    pr.queries.pop();
    assert_eq!(
        check(&pr),
        Err(PcsError::Shape {
            what: "the queries",
            expected: p.queries,
            got: p.queries - 1
        })
    );
    let mut pr = proof.clone();
    pr.queries[1].folded.pop();
    assert_eq!(
        check(&pr),
        Err(PcsError::Shape {
            what: "a query's folded layers",
            expected: n - 1,
            got: n - 2
        })
    );
    let mut pr = proof.clone();
    pr.queries[0].base.path.siblings.pop();
    assert!(matches!(
        check(&pr),
        Err(PcsError::Merkle {
            query: 0,
            layer: 0,
            source: MerkleError::PathLength { .. }
        })
    ));
    let mut short = z.clone();
    short[1].pop();
    assert_eq!(
        verify(&p, &c, &short, &y, &proof),
        Err(PcsError::PointLength {
            expected: n,
            got: n - 1
        })
    );
    assert_eq!(
        verify(&p, &c, &z, &y[..2], &proof),
        Err(PcsError::Shape {
            what: "the values",
            expected: 3,
            got: 2
        })
    );
    assert_eq!(verify(&p, &c, &[], &[], &proof), Err(PcsError::NoClaims));
    // Other parameters than the prover's.
    let p2 = Params {
        rate_bits: 2,
        queries: 7,
    };
    assert!(basefold::verify(&p2, &c, &z, &y, &proof, &mut Transcript::new(b"pcs-test")).is_err());
}

/// The leaf index named by a Merkle error (the query's position, drawn from the transcript).
fn leaf_index(e: &PcsError) -> usize {
    match e {
        PcsError::Merkle {
            source: MerkleError::RootMismatch { index },
            ..
        } => *index,
        other => panic!("expected a Merkle root mismatch, got {other:?}"),
    }
}

#[test]
fn tampering_is_caught_goldilocks() {
    tampering_is_caught::<Goldilocks, GoldilocksExt2>(21);
}

#[test]
fn tampering_is_caught_bn254() {
    tampering_is_caught::<Bn254Fr, Bn254Fr>(22);
}

/// A prover holding another polynomial opens it against the first commitment: the sum-check and
/// the folding are consistent, but the committed codeword's paths are not.
fn other_polynomial_is_rejected<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
    let p = Params {
        rate_bits: 1,
        queries: 4,
    };
    let (_, c1, _, z) = setup::<F, E>(seed, 5, &p, 1);
    let (_, _, data2, _) = setup::<F, E>(seed + 1, 5, &p, 1);
    let (y2, proof) =
        basefold::open(&p, &c1, &data2, &z, &mut Transcript::new(b"pcs-test")).unwrap();
    assert!(matches!(
        verify(&p, &c1, &z, &y2, &proof),
        Err(PcsError::Merkle {
            query: 0,
            layer: 0,
            ..
        })
    ));
}

#[test]
fn other_polynomial_is_rejected_goldilocks() {
    other_polynomial_is_rejected::<Goldilocks, GoldilocksExt2>(31);
}

#[test]
fn other_polynomial_is_rejected_bn254() {
    other_polynomial_is_rejected::<Bn254Fr, Bn254Fr>(32);
}

#[test]
fn bytes_are_checked() {
    let p = Params {
        rate_bits: 1,
        queries: 3,
    };
    let (_, c, data, z) = setup::<Goldilocks, GoldilocksExt2>(41, 4, &p, 2);
    let (y, proof) = basefold::open(&p, &c, &data, &z, &mut Transcript::new(b"pcs-test")).unwrap();
    let bytes = codec::to_bytes(&proof);
    for len in (0..bytes.len()).step_by(7) {
        assert!(matches!(
            codec::from_bytes::<Proof<Goldilocks, GoldilocksExt2>>(&bytes[..len]),
            Err(DecodeError::Malformed(_))
        ));
    }
    let mut longer = bytes.clone();
    longer.push(9);
    assert_eq!(
        codec::from_bytes::<Proof<Goldilocks, GoldilocksExt2>>(&longer),
        Err(DecodeError::TrailingBytes { count: 1 })
    );
    for i in (0..bytes.len()).step_by(3) {
        let mut b = bytes.clone();
        b[i] ^= 0x41;
        let ok = codec::from_bytes::<Proof<Goldilocks, GoldilocksExt2>>(&b)
            .map_err(|_| ())
            .and_then(|pr| verify(&p, &c, &z, &y, &pr).map_err(|_| ()));
        assert!(ok.is_err(), "flip at byte {i} accepted");
    }
}

#[test]
fn bad_inputs_are_refused() {
    let p = Params {
        rate_bits: 1,
        queries: 2,
    };
    assert_eq!(
        basefold::commit::<Goldilocks>(&p, vec![Goldilocks::ONE; 3]).err(),
        Some(PcsError::BadLength { len: 3 })
    );
    assert_eq!(
        basefold::commit::<Goldilocks>(&p, vec![Goldilocks::ONE; 1]).err(),
        Some(PcsError::BadLength { len: 1 })
    );
    let big = Params {
        rate_bits: 30,
        queries: 2,
    };
    assert!(matches!(
        basefold::commit::<Goldilocks>(&big, vec![Goldilocks::ONE; 16]),
        Err(PcsError::Domain(_))
    ));
}

/// Any scheme behind the trait: commit, open at several points, verify; reject a wrong value.
fn through_the_trait<F: BaseField + FftField, E: ExtField<F>>(
    pcs: &impl MultilinearPcs<F, E>,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let evals: Vec<F> = random_base(&mut rng, 1 << 7);
    let points: Vec<Vec<E>> = (0..3)
        .map(|_| (0..7).map(|_| E::rand(&mut rng)).collect())
        .collect();
    let (c, data) = pcs.commit(evals.clone()).unwrap();
    let (values, proof) = pcs
        .open(&c, &data, &points, &mut Transcript::new(b"trait"))
        .unwrap();
    for (z, y) in points.iter().zip(&values) {
        assert_eq!(*y, Mle::<F, E>::Base(evals.clone()).evaluate(z));
    }
    assert_eq!(
        pcs.verify(&c, &points, &values, &proof, &mut Transcript::new(b"trait")),
        Ok(())
    );
    assert_eq!(
        pcs.verify(
            &c,
            &points,
            &bump(&values, 2),
            &proof,
            &mut Transcript::new(b"trait")
        ),
        Err(PcsError::FinalEvaluation)
    );
}

#[test]
fn basefold_through_the_trait() {
    let pcs = Basefold {
        params: Params {
            rate_bits: 2,
            queries: 10,
        },
    };
    through_the_trait::<Goldilocks, GoldilocksExt2>(&pcs, 51);
    through_the_trait::<Bn254Fr, Bn254Fr>(&pcs, 52);
}
