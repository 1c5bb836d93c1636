//! Sum-check: naive oracle, proptest round trips, tamper tests, byte fuzzing — on Goldilocks
//! (challenges in its quadratic extension) and on BN254's scalar field.

use ark_ff::{AdditiveGroup, Field};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use merlin::Transcript;
use proptest::prelude::*;
use zkcnn::codec::{self, DecodeError};
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::poly::Mle;
use zkcnn::sumcheck::{self, EvaluationClaim, Instance, RoundMessage, SumcheckError};
use zkcnn::testing::random_instance;

/// Σ_x Σ_j c_j Π_i f_{j,i}(x) by brute force over the hypercube.
fn naive_sum<F: BaseField, E: ExtField<F>>(inst: &Instance<F, E>) -> E {
    let n = inst.tables()[0].len();
    (0..n)
        .map(|x| {
            inst.terms()
                .iter()
                .map(|t| {
                    t.coeff
                        * t.factors
                            .iter()
                            .map(|&i| inst.tables()[i].get(x))
                            .product::<E>()
                })
                .sum::<E>()
        })
        .sum()
}

/// The first round polynomial at `t`, by brute force: Σ_{x'} P(t, x').
fn naive_first_round<F: BaseField, E: ExtField<F>>(inst: &Instance<F, E>, t: E) -> E {
    let n = inst.tables()[0].len();
    (0..n / 2)
        .map(|j| {
            inst.terms()
                .iter()
                .map(|term| {
                    let p: E = term
                        .factors
                        .iter()
                        .map(|&i| {
                            let (a, b) =
                                (inst.tables()[i].get(2 * j), inst.tables()[i].get(2 * j + 1));
                            a + t * (b - a)
                        })
                        .product();
                    term.coeff * p
                })
                .sum::<E>()
        })
        .sum()
}

/// The summed polynomial at an arbitrary point, from the tables' multilinear extensions.
fn oracle<F: BaseField, E: ExtField<F>>(inst: &Instance<F, E>, point: &[E]) -> E {
    let values: Vec<E> = inst
        .tables()
        .iter()
        .map(|t: &Mle<F, E>| t.evaluate(point))
        .collect();
    Instance::<F, E>::combine(inst.terms(), &values)
}

fn prove<F: BaseField, E: ExtField<F>>(inst: &Instance<F, E>) -> (E, sumcheck::ProverOutput<E>) {
    let claim = inst.sum();
    (
        claim,
        sumcheck::prove(inst.clone(), claim, &mut Transcript::new(b"test")),
    )
}

fn verify<E: Field>(
    n: usize,
    d: usize,
    claim: E,
    proof: &sumcheck::Proof<E>,
) -> Result<EvaluationClaim<E>, SumcheckError> {
    sumcheck::verify(n, d, claim, proof, &mut Transcript::new(b"test"))
}

/// Verifies and discharges the final claim against the oracle.
fn verify_and_discharge<F: BaseField, E: ExtField<F>>(
    inst: &Instance<F, E>,
    claim: E,
    proof: &sumcheck::Proof<E>,
) -> Result<(), SumcheckError> {
    let c = verify(inst.num_vars(), inst.degree(), claim, proof)?;
    c.check(oracle(inst, &c.point))
}

fn naive_oracle_agrees<F: BaseField, E: ExtField<F>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for n in 1..7 {
        for d in 1..=3 {
            let inst = random_instance::<F, E>(&mut rng, n, 3, 3, d);
            assert_eq!(inst.sum(), naive_sum(&inst));
            let (claim, out) = prove(&inst);
            let m = &out.proof.rounds[0].evals;
            assert_eq!(m[0], naive_first_round(&inst, E::ZERO));
            assert_eq!(claim - m[0], naive_first_round(&inst, E::ONE));
            for (k, &t) in [2u64, 3].iter().enumerate().take(d - 1) {
                assert_eq!(m[k + 1], naive_first_round(&inst, E::from(t)));
            }
            // The prover's final table values are the tables' extensions at the point.
            for (t, v) in inst.tables().iter().zip(&out.table_values) {
                assert_eq!(t.evaluate(&out.point), *v);
            }
            let c = verify(n, d, claim, &out.proof).unwrap();
            assert_eq!(c.point, out.point);
            assert_eq!(
                c.value,
                Instance::<F, E>::combine(inst.terms(), &out.table_values)
            );
            assert_eq!(c.value, oracle(&inst, &c.point));
        }
    }
}

#[test]
fn naive_oracle_goldilocks() {
    naive_oracle_agrees::<Goldilocks, GoldilocksExt2>(1);
}

#[test]
fn naive_oracle_bn254() {
    naive_oracle_agrees::<Bn254Fr, Bn254Fr>(2);
}

fn interpolation_is_exact<E: Field>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for d in 0..9usize {
        let coeffs: Vec<E> = (0..=d).map(|_| E::rand(&mut rng)).collect();
        let p = |x: E| coeffs.iter().rev().fold(E::ZERO, |acc, &c| acc * x + c);
        let values: Vec<E> = (0..=d as u64).map(|i| p(E::from(i))).collect();
        let r = E::rand(&mut rng);
        assert_eq!(sumcheck::interpolate(&values, r), p(r), "degree {d}");
        // At the nodes themselves (a zero factor in every numerator but one).
        for i in 0..=d as u64 {
            assert_eq!(sumcheck::interpolate(&values, E::from(i)), p(E::from(i)));
        }
    }
}

#[test]
fn interpolation_is_exact_on_low_degree_polynomials() {
    interpolation_is_exact::<GoldilocksExt2>(3);
    interpolation_is_exact::<Bn254Fr>(4);
}

fn round_trip<F: BaseField, E: ExtField<F>>(
    seed: u64,
    n: usize,
    tables: usize,
    terms: usize,
    d: usize,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let inst = random_instance::<F, E>(&mut rng, n, tables, terms, d);
    let mut tp = Transcript::new(b"test");
    let out = sumcheck::prove(inst.clone(), inst.sum(), &mut tp);
    let claim = inst.sum();
    assert_eq!(out.proof.rounds.len(), n);
    let mut tv = Transcript::new(b"test");
    let c = sumcheck::verify(n, inst.degree(), claim, &out.proof, &mut tv).unwrap();
    assert_eq!(c.check(oracle(&inst, &c.point)), Ok(()));
    // Prover and verifier transcripts agree after the run.
    use zkcnn::transcript::TranscriptExt;
    assert_eq!(
        tp.challenge_field::<E>(b"after"),
        tv.challenge_field::<E>(b"after")
    );
    // Through bytes as well.
    let decoded: sumcheck::Proof<E> = codec::from_bytes(&codec::to_bytes(&out.proof)).unwrap();
    assert_eq!(decoded, out.proof);
    // A wrong claim is rejected.
    assert_eq!(
        verify_and_discharge(&inst, claim + E::ONE, &out.proof),
        Err(SumcheckError::FinalEvaluation)
    );
}

/// `prove_after_first_round` with the first message and the bound instance computed apart (as
/// an opening does on borrowed tables) gives `prove`'s proof, point, values and transcript.
fn after_first_round_is_prove<F: BaseField, E: ExtField<F>>(
    seed: u64,
    n: usize,
    tables: usize,
    terms: usize,
    d: usize,
) {
    use zkcnn::transcript::TranscriptExt;
    let mut rng = StdRng::seed_from_u64(seed);
    let inst = random_instance::<F, E>(&mut rng, n, tables, terms, d);
    let claim = inst.sum();
    let mut t1 = Transcript::new(b"test");
    let whole = sumcheck::prove(inst.clone(), claim, &mut t1);
    let first = sumcheck::RoundProver::new(inst.clone(), claim).message();
    let rest = |r: E| {
        let mut p = sumcheck::RoundProver::new(inst.clone(), claim);
        p.bind(&first, r);
        Instance::new(p.into_tables(), inst.terms().to_vec()).unwrap()
    };
    let mut t2 = Transcript::new(b"test");
    let split =
        sumcheck::prove_after_first_round(n, inst.degree(), claim, first.clone(), rest, &mut t2);
    assert_eq!(split.proof, whole.proof);
    assert_eq!(split.point, whole.point);
    assert_eq!(split.table_values, whole.table_values);
    assert_eq!(
        t1.challenge_field::<E>(b"after"),
        t2.challenge_field::<E>(b"after")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn after_first_round_is_prove_goldilocks(seed: u64, n in 1usize..8, tables in 1usize..5, terms in 1usize..5, d in 1usize..4) {
        after_first_round_is_prove::<Goldilocks, GoldilocksExt2>(seed, n, tables, terms, d);
    }

    #[test]
    fn after_first_round_is_prove_bn254(seed: u64, n in 1usize..6, tables in 1usize..4, terms in 1usize..4, d in 1usize..4) {
        after_first_round_is_prove::<Bn254Fr, Bn254Fr>(seed, n, tables, terms, d);
    }

    #[test]
    fn round_trip_goldilocks(seed: u64, n in 0usize..9, tables in 1usize..5, terms in 1usize..5, d in 1usize..4) {
        round_trip::<Goldilocks, GoldilocksExt2>(seed, n, tables, terms, d);
    }

    #[test]
    fn round_trip_bn254(seed: u64, n in 0usize..7, tables in 1usize..4, terms in 1usize..4, d in 1usize..4) {
        round_trip::<Bn254Fr, Bn254Fr>(seed, n, tables, terms, d);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), n in 0usize..6, d in 0usize..5) {
        if let Ok(p) = codec::from_bytes::<sumcheck::Proof<GoldilocksExt2>>(&bytes) {
            let _ = verify(n, d, GoldilocksExt2::ZERO, &p);
        }
        if let Ok(p) = codec::from_bytes::<sumcheck::Proof<Bn254Fr>>(&bytes) {
            let _ = verify(n, d, Bn254Fr::ZERO, &p);
        }
    }
}

fn tampering_is_caught<F: BaseField, E: ExtField<F>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (n, d) = (5, 3);
    let inst = random_instance::<F, E>(&mut rng, n, 3, 3, d);
    let (claim, out) = prove(&inst);
    assert_eq!(verify_and_discharge(&inst, claim, &out.proof), Ok(()));

    // Every evaluation of every round message.
    for r in 0..n {
        for k in 0..d {
            let mut p = out.proof.clone();
            p.rounds[r].evals[k] += E::ONE;
            assert_eq!(
                verify_and_discharge(&inst, claim, &p),
                Err(SumcheckError::FinalEvaluation),
                "round {r}, eval {k}"
            );
        }
    }
    // The claimed sum.
    assert_eq!(
        verify_and_discharge(&inst, claim - E::ONE, &out.proof),
        Err(SumcheckError::FinalEvaluation)
    );
    // Each final table value the prover would report.
    let c = verify(n, d, claim, &out.proof).unwrap();
    for i in 0..out.table_values.len() {
        let mut vals = out.table_values.clone();
        vals[i] += E::ONE;
        let involved = inst.terms().iter().any(|t| t.factors.contains(&i));
        let result = c.check(Instance::<F, E>::combine(inst.terms(), &vals));
        if involved {
            assert_eq!(result, Err(SumcheckError::FinalEvaluation), "table {i}");
        }
    }
    // Shape: too few or too many rounds, a short or long message, an unsupported degree.
    let mut p = out.proof.clone();
    p.rounds.pop();
    assert_eq!(
        verify(n, d, claim, &p),
        Err(SumcheckError::RoundCount {
            expected: n,
            got: n - 1
        })
    );
    let mut p = out.proof.clone();
    p.rounds.push(RoundMessage {
        evals: vec![E::ZERO; d],
    });
    assert_eq!(
        verify(n, d, claim, &p),
        Err(SumcheckError::RoundCount {
            expected: n,
            got: n + 1
        })
    );
    let mut p = out.proof.clone();
    p.rounds[2].evals.push(E::ZERO);
    assert_eq!(
        verify(n, d, claim, &p),
        Err(SumcheckError::MessageLength {
            round: 2,
            expected: d,
            got: d + 1
        })
    );
    let mut p = out.proof.clone();
    p.rounds[4].evals.clear();
    assert_eq!(
        verify(n, d, claim, &p),
        Err(SumcheckError::MessageLength {
            round: 4,
            expected: d,
            got: 0
        })
    );
    for bad in [0, 4] {
        assert_eq!(
            verify(n, bad, claim, &out.proof),
            Err(SumcheckError::UnsupportedDegree { degree: bad })
        );
    }
    // A proof made for another instance with the same claim shape is rejected.
    let other = random_instance::<F, E>(&mut rng, n, 3, 3, d);
    let (other_claim, other_out) = prove(&other);
    assert_eq!(
        verify_and_discharge(&inst, other_claim, &other_out.proof),
        Err(SumcheckError::FinalEvaluation)
    );
}

#[test]
fn tampering_is_caught_goldilocks() {
    tampering_is_caught::<Goldilocks, GoldilocksExt2>(4);
}

#[test]
fn tampering_is_caught_bn254() {
    tampering_is_caught::<Bn254Fr, Bn254Fr>(5);
}

fn bytes_are_checked<F: BaseField, E: ExtField<F>>(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let inst = random_instance::<F, E>(&mut rng, 4, 2, 2, 2);
    let (claim, out) = prove(&inst);
    let bytes = codec::to_bytes(&out.proof);
    for len in 0..bytes.len() {
        assert!(
            matches!(
                codec::from_bytes::<sumcheck::Proof<E>>(&bytes[..len]),
                Err(DecodeError::Malformed(_))
            ),
            "prefix {len}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        codec::from_bytes::<sumcheck::Proof<E>>(&longer),
        Err(DecodeError::TrailingBytes { count: 1 })
    );
    // Every single-byte change is rejected: by the decoder, by the shape checks, or at the end.
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            let ok = codec::from_bytes::<sumcheck::Proof<E>>(&b)
                .map_err(|_| ())
                .and_then(|p| verify_and_discharge(&inst, claim, &p).map_err(|_| ()));
            assert!(ok.is_err(), "flip {flip:#x} at byte {i} accepted");
        }
    }
    let _ = rng.gen::<u8>();
}

#[test]
fn bytes_are_checked_goldilocks() {
    bytes_are_checked::<Goldilocks, GoldilocksExt2>(6);
}

#[test]
fn bytes_are_checked_bn254() {
    bytes_are_checked::<Bn254Fr, Bn254Fr>(7);
}

#[test]
fn malformed_instances_are_refused() {
    use zkcnn::sumcheck::{InstanceError, Term};
    type M = Mle<Goldilocks, GoldilocksExt2>;
    let t = |n: usize| M::Base(vec![Goldilocks::ONE; n]);
    let term = |f: Vec<usize>| Term {
        coeff: GoldilocksExt2::ONE,
        factors: f,
    };
    assert_eq!(
        Instance::new(vec![], vec![term(vec![0])]).err(),
        Some(InstanceError::Empty)
    );
    assert_eq!(
        Instance::new(vec![t(4)], vec![]).err(),
        Some(InstanceError::Empty)
    );
    assert_eq!(
        Instance::new(vec![t(4), t(8)], vec![term(vec![0])]).err(),
        Some(InstanceError::TableLength {
            table: 1,
            len: 8,
            expected: 4
        })
    );
    assert_eq!(
        Instance::new(vec![t(3)], vec![term(vec![0])]).err(),
        Some(InstanceError::TableLength {
            table: 0,
            len: 3,
            expected: 4
        })
    );
    assert_eq!(
        Instance::new(vec![t(4)], vec![term(vec![0, 0, 0, 0])]).err(),
        Some(InstanceError::TermDegree { term: 0, count: 4 })
    );
    assert_eq!(
        Instance::new(vec![t(4)], vec![term(vec![0, 1])]).err(),
        Some(InstanceError::NoSuchTable {
            term: 0,
            table: 1,
            tables: 1
        })
    );
}
