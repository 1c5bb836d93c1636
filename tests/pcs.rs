//! Basefold: round trips over random sizes and points, tamper tests asserting the exact error
//! for each part of a proof, a different polynomial against a commitment, and bytes — on
//! Goldilocks (points in its extension) and on BN254's scalar field.

use ark_ff::{FftField, Field};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use merlin::Transcript;
use proptest::prelude::*;
use zkcnn::codec::{self, DecodeError};
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::pcs::basefold::{self, Commitment, Params, PcsError, Proof};
use zkcnn::pcs::merkle::MerkleError;
use zkcnn::poly::Mle;
use zkcnn::testing::random_base;

fn setup<F: BaseField + FftField, E: ExtField<F>>(
    seed: u64,
    n: usize,
    params: &Params,
) -> (Vec<F>, Commitment, basefold::ProverData<F>, Vec<E>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let evals: Vec<F> = random_base(&mut rng, 1 << n);
    let (c, data) = basefold::commit(params, evals.clone()).unwrap();
    let z: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
    (evals, c, data, z)
}

fn verify<F: BaseField + FftField, E: ExtField<F>>(
    p: &Params,
    c: &Commitment,
    z: &[E],
    y: &E,
    proof: &Proof<F, E>,
) -> Result<(), PcsError> {
    basefold::verify(p, c, z, y, proof, &mut Transcript::new(b"pcs-test"))
}

fn round_trip<F: BaseField + FftField, E: ExtField<F>>(
    seed: u64,
    n: usize,
    rate_bits: usize,
    queries: usize,
) {
    let p = Params { rate_bits, queries };
    let (evals, c, data, z) = setup::<F, E>(seed, n, &p);
    let (y, proof) = basefold::open(&p, &c, &data, &z, &mut Transcript::new(b"pcs-test")).unwrap();
    assert_eq!(y, Mle::<F, E>::Base(evals).evaluate(&z));
    assert_eq!(verify(&p, &c, &z, &y, &proof), Ok(()));
    let bytes = codec::to_bytes(&proof);
    assert_eq!(codec::from_bytes::<Proof<F, E>>(&bytes).unwrap(), proof);
    // A wrong value is rejected.
    assert_eq!(
        verify(&p, &c, &z, &(y + E::ONE), &proof),
        Err(PcsError::FinalEvaluation)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn round_trip_goldilocks(seed: u64, n in 1usize..12, rate_bits in 1usize..4, queries in 1usize..20) {
        round_trip::<Goldilocks, GoldilocksExt2>(seed, n, rate_bits, queries);
    }

    #[test]
    fn round_trip_bn254(seed: u64, n in 1usize..8, rate_bits in 1usize..3, queries in 1usize..10) {
        round_trip::<Bn254Fr, Bn254Fr>(seed, n, rate_bits, queries);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000), seed: u64) {
        let p = Params { rate_bits: 1, queries: 2 };
        let (_, c, _, z) = setup::<Goldilocks, GoldilocksExt2>(seed, 3, &p);
        if let Ok(proof) = codec::from_bytes::<Proof<Goldilocks, GoldilocksExt2>>(&bytes) {
            prop_assert!(verify(&p, &c, &z, &GoldilocksExt2::from(1u64), &proof).is_err());
        }
    }
}

fn tampering_is_caught<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
    let p = Params {
        rate_bits: 2,
        queries: 6,
    };
    let n = 6;
    let (_, c, data, z) = setup::<F, E>(seed, n, &p);
    let (y, proof) = basefold::open(&p, &c, &data, &z, &mut Transcript::new(b"pcs-test")).unwrap();
    let check = |pr: &Proof<F, E>| verify(&p, &c, &z, &y, pr);
    assert_eq!(check(&proof), Ok(()));

    // The claimed evaluation, the commitment root, the final constant, each round message, each
    // folded root: the transcript or the final check breaks.
    assert_eq!(
        verify(&p, &c, &z, &(y + E::ONE), &proof),
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
    assert_eq!(
        verify(&p, &c, &z[1..], &y, &proof),
        Err(PcsError::PointLength {
            expected: n,
            got: n - 1
        })
    );
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
    let (_, c1, _, z) = setup::<F, E>(seed, 5, &p);
    let (_, _, data2, _) = setup::<F, E>(seed + 1, 5, &p);
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
    let (_, c, data, z) = setup::<Goldilocks, GoldilocksExt2>(41, 4, &p);
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
