//! Basefold: round trips over random sizes, arities, polynomial counts and claims; tamper tests
//! asserting the exact error for each part of a proof; a different polynomial against a
//! commitment; bad inputs; bytes — on Goldilocks (points in its extension) and on BN254's scalar
//! field.

use ark_ff::{FftField, Field};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use merlin::Transcript;
use proptest::prelude::*;
use zkcnn::codec::{self, DecodeError};
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::pcs::basefold::{self, Basefold, Commitment, Params, PcsError, Proof};
use zkcnn::pcs::merkle::MerkleError;
use zkcnn::pcs::{Claim, MultilinearPcs};
use zkcnn::poly::Mle;
use zkcnn::sumcheck::SumcheckError;
use zkcnn::testing::random_base;

type Data<F> = basefold::ProverData<F>;
/// The polynomials, their commitment and prover data, and claims on them.
type Setup<F, E> = (Vec<Vec<F>>, Commitment, Data<F>, Vec<Claim<E>>);

/// `t` committed random polynomials of `n` variables and `m` claims on them: random polynomials,
/// each at a fresh point or (with probability 1/3) at an earlier claim's point.
fn setup<F: BaseField + FftField, E: ExtField<F>>(
    seed: u64,
    n: usize,
    t: usize,
    m: usize,
    params: &Params,
) -> Setup<F, E> {
    setup_sized(seed, 1 << n, t, m, params)
}

/// As [`setup`], with the first table of `len` entries and the others of random lengths up to
/// `len`; the commitment pads them to `2^n`, `n = num_vars_for(len)`. Returns the padded tables.
fn setup_sized<F: BaseField + FftField, E: ExtField<F>>(
    seed: u64,
    len: usize,
    t: usize,
    m: usize,
    params: &Params,
) -> Setup<F, E> {
    let mut rng = StdRng::seed_from_u64(seed);
    let polys: Vec<Vec<F>> = (0..t)
        .map(|i| {
            let l = if i == 0 { len } else { rng.gen_range(1..=len) };
            random_base(&mut rng, l)
        })
        .collect();
    let (c, data) = basefold::commit(params, polys.clone()).unwrap();
    let n = basefold::num_vars_for(len);
    assert_eq!(c.num_vars as usize, n);
    let padded = polys
        .into_iter()
        .map(|mut p| {
            p.resize(1 << n, F::ZERO);
            p
        })
        .collect();
    let mut claims: Vec<Claim<E>> = Vec::new();
    for _ in 0..m {
        let point = match claims.last() {
            Some(prev) if rng.gen_range(0..3) == 0 => prev.point.clone(),
            _ => (0..n).map(|_| E::rand(&mut rng)).collect(),
        };
        claims.push(Claim::new(rng.gen_range(0..t), point));
    }
    (padded, c, data, claims)
}

fn open<F: BaseField + FftField, E: ExtField<F>>(
    p: &Params,
    c: &Commitment,
    data: &Data<F>,
    claims: &[Claim<E>],
) -> (Vec<E>, Proof<F, E>) {
    basefold::open(p, c, data, claims, &mut Transcript::new(b"pcs-test")).unwrap()
}

fn verify<F: BaseField + FftField, E: ExtField<F>>(
    p: &Params,
    c: &Commitment,
    claims: &[Claim<E>],
    y: &[E],
    proof: &Proof<F, E>,
) -> Result<(), PcsError> {
    basefold::verify(p, c, claims, y, proof, &mut Transcript::new(b"pcs-test"))
}

/// `y` with its `i`-th value changed.
fn bump<E: Field>(y: &[E], i: usize) -> Vec<E> {
    let mut y = y.to_vec();
    y[i] += E::ONE;
    y
}

/// The error a proof gives for claims it was not made for: a missing or extra reduction when the
/// claims' shape asks for the other kind of proof (several polynomials and several points need
/// it), else the reduction's check, else the final check.
fn wrong_claims_error<F: Field, E: Field>(claims: &[Claim<E>], proof: &Proof<F, E>) -> PcsError {
    let mut polys: Vec<usize> = claims.iter().map(|c| c.poly).collect();
    polys.sort_unstable();
    polys.dedup();
    let needs = polys.len() > 1 && claims.iter().any(|c| c.point != claims[0].point);
    if needs != proof.reduction.is_some() {
        return PcsError::Shape {
            what: "the reduction",
            expected: usize::from(needs),
            got: usize::from(proof.reduction.is_some()),
        };
    }
    wrong_value_error(proof)
}

/// The error a wrong claimed value gives: the reduction's check when there is one, else the
/// final check.
fn wrong_value_error<F: Field, E: Field>(proof: &Proof<F, E>) -> PcsError {
    if proof.reduction.is_some() {
        PcsError::ReducedValues
    } else {
        PcsError::FinalEvaluation
    }
}

#[allow(clippy::too_many_arguments)]
fn round_trip<F: BaseField + FftField, E: ExtField<F>>(
    seed: u64,
    len: usize,
    rate_bits: usize,
    fold_bits: usize,
    queries: usize,
    pow_bits: usize,
    t: usize,
    m: usize,
) {
    let p = Params {
        rate_bits,
        fold_bits,
        queries,
        pow_bits,
    };
    let (polys, c, data, claims) = setup_sized::<F, E>(seed, len, t, m, &p);
    let (y, proof) = open(&p, &c, &data, &claims);
    for (cl, yi) in claims.iter().zip(&y) {
        assert_eq!(
            *yi,
            Mle::<F, E>::Base(polys[cl.poly].clone()).evaluate(&cl.point)
        );
    }
    assert_eq!(verify(&p, &c, &claims, &y, &proof), Ok(()));
    let bytes = codec::to_bytes(&proof);
    assert_eq!(codec::from_bytes::<Proof<F, E>>(&bytes).unwrap(), proof);
    for i in 0..m {
        assert_eq!(
            verify(&p, &c, &claims, &bump(&y, i), &proof),
            Err(wrong_value_error(&proof))
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn round_trip_goldilocks(
        seed: u64,
        n in 1usize..13,
        rate_bits in 1usize..4,
        fold_bits in 1usize..6,
        queries in 1usize..24,
        pow_bits in 0usize..8,
        t in 1usize..4,
        m in 1usize..6,
    ) {
        round_trip::<Goldilocks, GoldilocksExt2>(seed, 1 << n, rate_bits, fold_bits, queries, pow_bits, t, m);
    }

    /// Tables of any length from 1 to 2^16 entries (zero-padded by the commitment).
    #[test]
    fn round_trip_any_length(
        seed: u64,
        len in 1usize..=1 << 16,
        fold_bits in 1usize..6,
        t in 1usize..3,
        m in 1usize..4,
    ) {
        round_trip::<Goldilocks, GoldilocksExt2>(seed, len, 2, fold_bits, 12, 0, t, m);
    }

    #[test]
    fn round_trip_bn254(
        seed: u64,
        n in 1usize..9,
        rate_bits in 1usize..3,
        fold_bits in 1usize..5,
        queries in 1usize..10,
        pow_bits in 0usize..6,
        t in 1usize..3,
        m in 1usize..4,
    ) {
        round_trip::<Bn254Fr, Bn254Fr>(seed, 1 << n, rate_bits, fold_bits, queries, pow_bits, t, m);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000), seed: u64) {
        let p = Params { rate_bits: 1, fold_bits: 2, queries: 2 , pow_bits: 0};
        let (_, c, _, claims) = setup::<Goldilocks, GoldilocksExt2>(seed, 5, 2, 2, &p);
        if let Ok(proof) = codec::from_bytes::<Proof<Goldilocks, GoldilocksExt2>>(&bytes) {
            let y = vec![GoldilocksExt2::from(1u64); 2];
            prop_assert!(verify(&p, &c, &claims, &y, &proof).is_err());
        }
    }
}

/// 2^16 entries, an arity that does not divide the variables, two polynomials at two points.
#[test]
fn round_trip_at_two_to_the_sixteen() {
    round_trip::<Goldilocks, GoldilocksExt2>(61, 1 << 16, 2, 5, 30, 12, 2, 3);
}

/// Tamper tests on one proof, each asserting the exact error. `claims` decide whether the proof
/// has the reduction to one point.
fn tamper<F: BaseField + FftField, E: ExtField<F>>(
    p: &Params,
    c: &Commitment,
    claims: &[Claim<E>],
    y: &[E],
    proof: &Proof<F, E>,
) {
    let n = c.num_vars as usize;
    let check = |pr: &Proof<F, E>| verify(p, c, claims, y, pr);
    assert_eq!(check(proof), Ok(()));
    let trees = n.div_ceil(p.fold_bits);

    // The statement: each claimed value and point, the claims' order, the commitment.
    for i in 0..claims.len() {
        assert_eq!(
            verify(p, c, claims, &bump(y, i), proof),
            Err(wrong_value_error(proof)),
            "value {i}"
        );
        let mut moved = claims.to_vec();
        moved[i].point[0] += E::ONE;
        assert_eq!(
            verify(p, c, &moved, y, proof),
            Err(wrong_claims_error(&moved, proof)),
            "point {i}"
        );
    }
    let (mut swapped, mut ys) = (claims.to_vec(), y.to_vec());
    swapped.swap(0, 1);
    ys.swap(0, 1);
    assert_eq!(
        verify(p, c, &swapped, &ys, proof),
        Err(wrong_value_error(proof))
    );
    let mut c2 = c.clone();
    c2.root[0] ^= 1;
    assert_eq!(
        verify(p, &c2, claims, y, proof),
        Err(wrong_value_error(proof))
    );

    // The reduction: each round value and each value at the common point.
    if let Some(red) = &proof.reduction {
        for k in 0..n {
            for e in 0..2 {
                let mut pr = proof.clone();
                pr.reduction.as_mut().unwrap().sumcheck.rounds[k].evals[e] += E::ONE;
                assert_eq!(check(&pr), Err(PcsError::ReducedValues), "round {k}");
            }
        }
        for i in 0..red.values.len() {
            let mut pr = proof.clone();
            pr.reduction.as_mut().unwrap().values[i] += E::ONE;
            assert_eq!(check(&pr), Err(PcsError::ReducedValues), "reduced {i}");
        }
        let mut pr = proof.clone();
        pr.reduction.as_mut().unwrap().sumcheck.rounds.pop();
        assert_eq!(
            check(&pr),
            Err(PcsError::Reduction(SumcheckError::RoundCount {
                expected: n,
                got: n - 1
            }))
        );
        let mut pr = proof.clone();
        pr.reduction.as_mut().unwrap().values.pop();
        assert!(matches!(
            check(&pr),
            Err(PcsError::Shape {
                what: "the reduced values",
                ..
            })
        ));
        let mut pr = proof.clone();
        pr.reduction = None;
        assert_eq!(
            check(&pr),
            Err(PcsError::Shape {
                what: "the reduction",
                expected: 1,
                got: 0
            })
        );
    }

    // The folding sum-check, the folded roots, the final constant.
    for k in 0..n {
        for e in 0..2 {
            let mut pr = proof.clone();
            pr.rounds[k][e] += E::ONE;
            assert_eq!(check(&pr), Err(PcsError::FinalEvaluation), "round {k}");
        }
    }
    for l in 0..trees - 1 {
        let mut pr = proof.clone();
        pr.roots[l][3] ^= 0x10;
        assert_eq!(check(&pr), Err(PcsError::FinalEvaluation), "root {l}");
    }
    let mut pr = proof.clone();
    pr.last += E::ONE;
    assert_eq!(check(&pr), Err(PcsError::FinalEvaluation));

    // The grinding nonce: without grinding it must be 0; with it, the prover sends the smallest
    // passing nonce, so every smaller one fails the proof of work.
    if p.pow_bits == 0 {
        let mut pr = proof.clone();
        pr.pow_nonce = 1;
        assert_eq!(check(&pr), Err(PcsError::ProofOfWork));
    } else {
        for nonce in 0..proof.pow_nonce {
            let mut pr = proof.clone();
            pr.pow_nonce = nonce;
            assert_eq!(check(&pr), Err(PcsError::ProofOfWork), "nonce {nonce}");
        }
    }

    // Every opened value and every Merkle sibling of every tree.
    let root_mismatch = |layer| {
        Err(PcsError::Merkle {
            layer,
            source: MerkleError::RootMismatch,
        })
    };
    for i in 0..proof.base.values.len() {
        let mut pr = proof.clone();
        pr.base.values[i] += F::ONE;
        assert_eq!(check(&pr), root_mismatch(0), "base value {i}");
    }
    for i in 0..proof.base.proof.siblings.len() {
        let mut pr = proof.clone();
        pr.base.proof.siblings[i][i % zkcnn::pcs::merkle::DIGEST_BYTES] ^= 0x20;
        assert_eq!(check(&pr), root_mismatch(0), "base sibling {i}");
    }
    for l in 0..trees - 1 {
        for i in 0..proof.folded[l].values.len() {
            let mut pr = proof.clone();
            pr.folded[l].values[i] += E::ONE;
            assert_eq!(check(&pr), root_mismatch(l + 1), "tree {} value {i}", l + 1);
        }
        for i in 0..proof.folded[l].proof.siblings.len() {
            let mut pr = proof.clone();
            pr.folded[l].proof.siblings[i][0] ^= 1;
            assert_eq!(
                check(&pr),
                root_mismatch(l + 1),
                "tree {} sibling {i}",
                l + 1
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
    pr.rounds[n - 1].push(E::ZERO);
    assert_eq!(
        check(&pr),
        Err(PcsError::Shape {
            what: "a round message",
            expected: 2,
            got: 3
        })
    );
    let mut pr = proof.clone();
    pr.roots.push([0; zkcnn::pcs::merkle::DIGEST_BYTES]);
    assert_eq!(
        check(&pr),
        Err(PcsError::Shape {
            what: "the folded roots",
            expected: trees - 1,
            got: trees
        })
    );
    let mut pr = proof.clone();
    pr.folded.push(proof.base_as_ext());
    assert_eq!(
        check(&pr),
        Err(PcsError::Shape {
            what: "the folded openings",
            expected: trees - 1,
            got: trees
        })
    );
    let mut pr = proof.clone();
    pr.base.values.pop();
    assert!(matches!(
        check(&pr),
        Err(PcsError::Shape {
            what: "the first tree's opened values",
            ..
        })
    ));
    let mut pr = proof.clone();
    let got = pr.base.proof.siblings.len();
    pr.base.proof.siblings.pop();
    if got > 0 {
        assert_eq!(
            check(&pr),
            Err(PcsError::Merkle {
                layer: 0,
                source: MerkleError::TooFewSiblings { got: got - 1 }
            })
        );
    }
    let mut pr = proof.clone();
    pr.base
        .proof
        .siblings
        .push([7; zkcnn::pcs::merkle::DIGEST_BYTES]);
    assert_eq!(
        check(&pr),
        Err(PcsError::Merkle {
            layer: 0,
            source: MerkleError::TooManySiblings {
                used: got,
                got: got + 1
            }
        })
    );
    let mut short = claims.to_vec();
    short[1].point.pop();
    assert_eq!(
        verify(p, c, &short, y, proof),
        Err(PcsError::PointLength {
            expected: n,
            got: n - 1
        })
    );
    assert_eq!(
        verify(p, c, claims, &y[..1], proof),
        Err(PcsError::Shape {
            what: "the values",
            expected: claims.len(),
            got: 1
        })
    );
    assert_eq!(verify(p, c, &[], &[], proof), Err(PcsError::NoClaims));
    let mut beyond = claims.to_vec();
    beyond[0].poly = c.num_polys as usize;
    assert_eq!(
        verify(p, c, &beyond, y, proof),
        Err(PcsError::NoSuchPolynomial {
            claim: 0,
            poly: c.num_polys as usize,
            polys: c.num_polys as usize
        })
    );
    // Other parameters than the prover's.
    let p2 = Params {
        queries: p.queries + 1,
        ..*p
    };
    assert!(verify(&p2, c, claims, y, proof).is_err());
}

/// Helper for the shape test: any well-typed folded opening.
trait BaseAsExt<E: Field> {
    fn base_as_ext(&self) -> basefold::LayerOpening<E>;
}

impl<F: Field, E: Field> BaseAsExt<E> for Proof<F, E> {
    fn base_as_ext(&self) -> basefold::LayerOpening<E> {
        basefold::LayerOpening {
            values: vec![E::ONE],
            proof: self.base.proof.clone(),
        }
    }
}

fn tampering_is_caught<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
    let p = Params {
        rate_bits: 2,
        fold_bits: 3,
        queries: 6,
        pow_bits: 0,
    };
    let n = 8;
    // One polynomial, three points (no reduction).
    let (_, c, data, claims) = setup::<F, E>(seed, n, 1, 3, &p);
    let (y, proof) = open(&p, &c, &data, &claims);
    assert!(proof.reduction.is_none());
    tamper(&p, &c, &claims, &y, &proof);
    // Three polynomials at one point (no reduction): each weight enters the first tree's fold.
    let mut rng = StdRng::seed_from_u64(seed + 1);
    let (_, c, data, _) = setup::<F, E>(seed + 1, n, 3, 1, &p);
    let z: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
    let claims: Vec<Claim<E>> = (0..3).map(|i| Claim::new(i, z.clone())).collect();
    let (y, proof) = open(&p, &c, &data, &claims);
    assert!(proof.reduction.is_none());
    tamper(&p, &c, &claims, &y, &proof);
    // Three polynomials, claims at two points on two of them (the reduction to one point).
    let z2: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
    let claims = vec![
        Claim::new(0, z.clone()),
        Claim::new(2, z2.clone()),
        Claim::new(0, z2),
    ];
    let (y, proof) = open(&p, &c, &data, &claims);
    assert_eq!(proof.reduction.as_ref().map(|r| r.values.len()), Some(2));
    tamper(&p, &c, &claims, &y, &proof);
    // The same with grinding.
    let p = Params { pow_bits: 7, ..p };
    let (y, proof) = open(&p, &c, &data, &claims);
    assert!(
        proof.pow_nonce > 0,
        "a 7-bit proof of work almost never passes at nonce 0"
    );
    tamper(&p, &c, &claims, &y, &proof);
}

#[test]
fn tampering_is_caught_goldilocks() {
    tampering_is_caught::<Goldilocks, GoldilocksExt2>(21);
}

#[test]
fn tampering_is_caught_bn254() {
    tampering_is_caught::<Bn254Fr, Bn254Fr>(22);
}

/// A prover holding other polynomials opens them against the first commitment: the sum-check
/// and the folding are consistent, but the first tree's leaves are not.
fn other_polynomial_is_rejected<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
    let p = Params {
        rate_bits: 1,
        fold_bits: 2,
        queries: 4,
        pow_bits: 0,
    };
    for t in [1usize, 2] {
        let (_, c1, _, claims) = setup::<F, E>(seed, 7, t, 2, &p);
        let (_, _, data2, _) = setup::<F, E>(seed + 1, 7, t, 2, &p);
        let (y2, proof) =
            basefold::open(&p, &c1, &data2, &claims, &mut Transcript::new(b"pcs-test")).unwrap();
        assert_eq!(
            verify(&p, &c1, &claims, &y2, &proof),
            Err(PcsError::Merkle {
                layer: 0,
                source: MerkleError::RootMismatch
            })
        );
    }
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
        fold_bits: 2,
        queries: 3,
        pow_bits: 0,
    };
    let (_, c, data, claims) = setup::<Goldilocks, GoldilocksExt2>(41, 6, 2, 3, &p);
    let (y, proof) = open(&p, &c, &data, &claims);
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
            .and_then(|pr| verify(&p, &c, &claims, &y, &pr).map_err(|_| ()));
        assert!(ok.is_err(), "flip at byte {i} accepted");
    }
}

#[test]
fn bad_inputs_are_refused() {
    let p = Params {
        rate_bits: 1,
        fold_bits: 2,
        queries: 2,
        pow_bits: 0,
    };
    let one = Goldilocks::ONE;
    assert_eq!(
        basefold::commit::<Goldilocks>(&p, vec![vec![one; 3], vec![]]).err(),
        Some(PcsError::Empty { index: 1 })
    );
    assert_eq!(
        basefold::commit::<Goldilocks>(&p, vec![]).err(),
        Some(PcsError::NoPolynomials)
    );
    // One entry is a polynomial of one variable; 5 entries and 8 entries share 3 variables.
    assert_eq!(
        basefold::commit::<Goldilocks>(&p, vec![vec![one]])
            .unwrap()
            .0
            .num_vars,
        1
    );
    assert_eq!(
        basefold::commit::<Goldilocks>(&p, vec![vec![one; 5], vec![one; 8]])
            .unwrap()
            .0
            .num_vars,
        3
    );
    let big = Params { rate_bits: 30, ..p };
    assert!(matches!(
        basefold::commit::<Goldilocks>(&big, vec![vec![one; 16]]),
        Err(PcsError::Domain(_))
    ));
    // Opening: claims outside the commitment, wrong point lengths, no claims.
    let (_, c, data, _) = setup::<Goldilocks, GoldilocksExt2>(3, 4, 2, 1, &p);
    let z = vec![GoldilocksExt2::ONE; 4];
    let t = &mut Transcript::new(b"x");
    assert_eq!(
        basefold::open(&p, &c, &data, &[Claim::new(2, z.clone())], t).err(),
        Some(PcsError::NoSuchPolynomial {
            claim: 0,
            poly: 2,
            polys: 2
        })
    );
    assert_eq!(
        basefold::open(&p, &c, &data, &[Claim::new(0, z[..3].to_vec())], t).err(),
        Some(PcsError::PointLength {
            expected: 4,
            got: 3
        })
    );
    assert_eq!(
        basefold::open::<Goldilocks, GoldilocksExt2>(&p, &c, &data, &[], t).err(),
        Some(PcsError::NoClaims)
    );
    // Setup: Goldilocks² cannot give 100 proven bits at 2^30 entries, BN254 has no 2^30 domain.
    assert!(matches!(
        Basefold::setup::<Goldilocks, GoldilocksExt2>(30, 100),
        Err(PcsError::SecurityUnreachable { bits: 100, .. })
    ));
    assert!(matches!(
        Basefold::setup::<Bn254Fr, Bn254Fr>(27, 100),
        Err(PcsError::Domain(_))
    ));
}

/// Any scheme behind the trait: commit two polynomials, open claims at several points on both,
/// verify; reject a wrong value.
fn through_the_trait<F: BaseField + FftField, E: ExtField<F>>(
    pcs: &impl MultilinearPcs<F, E>,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let polys: Vec<Vec<F>> = (0..2).map(|_| random_base(&mut rng, 1 << 7)).collect();
    let claims: Vec<Claim<E>> = (0..3)
        .map(|i| Claim::new(i % 2, (0..7).map(|_| E::rand(&mut rng)).collect()))
        .collect();
    let (c, data) = pcs.commit(polys.clone()).unwrap();
    let (values, proof) = pcs
        .open(&c, &data, &claims, &mut Transcript::new(b"trait"))
        .unwrap();
    for (cl, y) in claims.iter().zip(&values) {
        assert_eq!(
            *y,
            Mle::<F, E>::Base(polys[cl.poly].clone()).evaluate(&cl.point)
        );
    }
    assert_eq!(
        pcs.verify(&c, &claims, &values, &proof, &mut Transcript::new(b"trait")),
        Ok(())
    );
    assert_eq!(
        pcs.verify(
            &c,
            &claims,
            &bump(&values, 2),
            &proof,
            &mut Transcript::new(b"trait")
        ),
        Err(PcsError::ReducedValues)
    );
}

#[test]
fn basefold_through_the_trait() {
    let pcs = Basefold::setup::<Goldilocks, GoldilocksExt2>(20, 100).unwrap();
    assert!(pcs.params.queries >= 100);
    through_the_trait::<Goldilocks, GoldilocksExt2>(&pcs, 51);
    let pcs = Basefold::setup::<Bn254Fr, Bn254Fr>(20, 100).unwrap();
    through_the_trait::<Bn254Fr, Bn254Fr>(&pcs, 52);
}
