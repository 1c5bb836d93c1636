//! GKR: naive oracle, proptest round trips over random circuits, tamper tests asserting the exact
//! error, byte fuzzing — on Goldilocks (challenges in its extension) and on BN254's scalar field.

use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use merlin::Transcript;
use proptest::prelude::*;
use zkcnn::codec::DecodeError;
use zkcnn::field::{BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::gkr::{self, Circuit, CircuitError, Gate, GkrError, Layer, Op, Proof, Wire};
use zkcnn::poly::eq_eval;
use zkcnn::sumcheck::{EvaluationClaim, SumcheckError};
use zkcnn::testing::{random_base, random_circuit};

/// Gate-by-gate evaluation, written independently of `Circuit::evaluate`: unpadded layers.
fn naive_layers<F: PrimeField>(c: &Circuit, input: &[F]) -> Vec<Vec<F>> {
    let mut layers = vec![input.to_vec()];
    for l in &c.layers {
        let out = l
            .gates
            .iter()
            .map(|g| {
                let get = |w: Wire| match w {
                    Wire::Prev(j) => layers.last().unwrap()[j],
                    Wire::Input(j) => input[j],
                };
                match g.op {
                    Op::Add => get(g.left) + get(g.right),
                    Op::Mul => get(g.left) * get(g.right),
                }
            })
            .collect();
        layers.push(out);
    }
    layers
}

/// The input's multilinear extension at `point`, from the definition Σ_x input(x)·eq(point, x).
fn naive_mle<F: BaseField, E: ExtField<F>>(input: &[F], point: &[E]) -> E {
    input
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let bits: Vec<E> = (0..point.len())
                .map(|k| E::from(((i >> k) & 1) as u64))
                .collect();
            eq_eval(point, &bits) * E::from_base_prime_field(x)
        })
        .sum()
}

fn prove<F: BaseField, E: ExtField<F>>(c: &Circuit, input: &[F]) -> gkr::ProverOutput<F, E> {
    gkr::prove::<F, E>(c, input, &mut Transcript::new(b"gkr-test")).unwrap()
}

fn verify<F: BaseField, E: ExtField<F>>(
    c: &Circuit,
    input: &[F],
    output: &[F],
    proof: &Proof<E>,
) -> Result<Vec<EvaluationClaim<E>>, GkrError> {
    let claims = gkr::verify(c, output, proof, &mut Transcript::new(b"gkr-test"))?;
    gkr::check_input_claims(c, input, &claims)?;
    Ok(claims)
}

fn round_trip<F: BaseField, E: ExtField<F>>(
    seed: u64,
    input_len: usize,
    widths: &[usize],
    share: f64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let c = random_circuit(&mut rng, input_len, widths, share);
    let input: Vec<F> = random_base(&mut rng, input_len);
    let out = prove::<F, E>(&c, &input);
    // Naive oracle: the output and every layer agree with gate-by-gate evaluation.
    let naive = naive_layers(&c, &input);
    assert_eq!(&out.output, naive.last().unwrap());
    let padded = c.evaluate(&input).unwrap();
    for (p, n) in padded.iter().zip(&naive) {
        assert_eq!(&p[..n.len()], &n[..]);
        assert!(p[n.len()..].iter().all(|x| x.is_zero()));
    }
    // Every claim the prover leaves on the input is true of the input.
    for claim in &out.input_claims {
        assert_eq!(naive_mle(&input, &claim.point), claim.value);
    }
    let claims = verify(&c, &input, &out.output, &out.proof).unwrap();
    assert_eq!(claims, out.input_claims);
    // Prover and verifier transcripts agree after the run.
    use zkcnn::transcript::TranscriptExt;
    let (mut tp, mut tv) = (Transcript::new(b"gkr-test"), Transcript::new(b"gkr-test"));
    gkr::prove::<F, E>(&c, &input, &mut tp).unwrap();
    gkr::verify(&c, &out.output, &out.proof, &mut tv).unwrap();
    assert_eq!(
        tp.challenge_field::<E>(b"after"),
        tv.challenge_field::<E>(b"after")
    );
    let bytes = out.proof.to_bytes();
    assert_eq!(Proof::<E>::from_bytes(&bytes).unwrap(), out.proof);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn round_trip_goldilocks(seed: u64, input_len in 1usize..40, widths in proptest::collection::vec(1usize..40, 1..6), share in 0.0f64..0.6) {
        round_trip::<Goldilocks, GoldilocksExt2>(seed, input_len, &widths, share);
    }

    #[test]
    fn round_trip_bn254(seed: u64, input_len in 1usize..20, widths in proptest::collection::vec(1usize..20, 1..4), share in 0.0f64..0.6) {
        round_trip::<Bn254Fr, Bn254Fr>(seed, input_len, &widths, share);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let c = random_circuit(&mut rng, 8, &[8, 4, 2], 0.3);
        let output = vec![Goldilocks::ZERO; 2];
        if let Ok(p) = Proof::<GoldilocksExt2>::from_bytes(&bytes) {
            prop_assert!(gkr::verify(&c, &output, &p, &mut Transcript::new(b"gkr-test")).is_err());
        }
    }
}

#[test]
fn single_gate_circuits() {
    for op in [Op::Add, Op::Mul] {
        let c = Circuit {
            input_len: 2,
            layers: vec![Layer {
                gates: vec![Gate {
                    op,
                    left: Wire::Prev(0),
                    right: Wire::Prev(1),
                }],
            }],
        };
        let input = [Goldilocks::from(3u64), Goldilocks::from(5u64)];
        let out = prove::<Goldilocks, GoldilocksExt2>(&c, &input);
        assert_eq!(
            out.output,
            vec![Goldilocks::from(if op == Op::Add { 8u64 } else { 15 })]
        );
        verify(&c, &input, &out.output, &out.proof).unwrap();
    }
}

/// A fixed circuit with layers that read the input, for tamper tests.
fn tamper_fixture<F: BaseField, E: ExtField<F>>(
    seed: u64,
) -> (Circuit, Vec<F>, gkr::ProverOutput<F, E>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let c = random_circuit(&mut rng, 16, &[16, 8, 8, 4], 0.3);
    let input: Vec<F> = random_base(&mut rng, 16);
    let out = prove::<F, E>(&c, &input);
    verify(&c, &input, &out.output, &out.proof).unwrap();
    // The fixture must exercise both kinds of layer source.
    assert!(out.proof.layers.iter().any(|l| l.at_u.input.is_some()));
    assert!(out.proof.layers.iter().any(|l| l.at_u.input.is_none()));
    (c, input, out)
}

fn tampering_is_caught<F: BaseField, E: ExtField<F>>(seed: u64) {
    let (c, input, out) = tamper_fixture::<F, E>(seed);
    let depth = c.layers.len();
    let check = |p: &Proof<E>| verify(&c, &input, &out.output, p);
    for (k, lp) in out.proof.layers.iter().enumerate() {
        let layer = depth - 1 - k;
        // Every evaluation of every round message of both phases.
        for phase in 0..2 {
            let rounds = if phase == 0 {
                &lp.phase1.rounds
            } else {
                &lp.phase2.rounds
            };
            for (r, round) in rounds.iter().enumerate() {
                for e in 0..round.evals.len() {
                    let mut p = out.proof.clone();
                    let l = &mut p.layers[k];
                    let sc = if phase == 0 {
                        &mut l.phase1
                    } else {
                        &mut l.phase2
                    };
                    sc.rounds[r].evals[e] += E::ONE;
                    assert_eq!(
                        check(&p),
                        Err(GkrError::LayerCheck { layer }),
                        "layer {layer} phase {phase} round {r}"
                    );
                }
            }
        }
        // Each claimed source value.
        for which in 0..4 {
            let mut p = out.proof.clone();
            let l = &mut p.layers[k];
            let slot = match which {
                0 => Some(&mut l.at_u.prev),
                1 => l.at_u.input.as_mut(),
                2 => Some(&mut l.at_v.prev),
                _ => l.at_v.input.as_mut(),
            };
            if let Some(x) = slot {
                *x += E::ONE;
                assert_eq!(
                    check(&p),
                    Err(GkrError::LayerCheck { layer }),
                    "layer {layer} value {which}"
                );
            }
        }
        // A source value of the wrong shape.
        let mut p = out.proof.clone();
        let l = &mut p.layers[k];
        l.at_u.input = if l.at_u.input.is_some() {
            None
        } else {
            Some(E::ZERO)
        };
        assert_eq!(check(&p), Err(GkrError::SourceShape { layer }));
        // A missing round in either phase.
        let mut p = out.proof.clone();
        p.layers[k].phase1.rounds.pop();
        assert!(matches!(
            check(&p),
            Err(GkrError::Sumcheck { layer: l, phase: 1, source: SumcheckError::RoundCount { .. } }) if l == layer
        ));
        let mut p = out.proof.clone();
        p.layers[k].phase2.rounds[0].evals.pop();
        assert!(matches!(
            check(&p),
            Err(GkrError::Sumcheck { layer: l, phase: 2, source: SumcheckError::MessageLength { round: 0, .. } }) if l == layer
        ));
    }
    // A missing or extra layer proof.
    let mut p = out.proof.clone();
    p.layers.pop();
    assert_eq!(
        check(&p),
        Err(GkrError::LayerCount {
            expected: depth,
            got: depth - 1
        })
    );
    // Another output: the top layer's check fails.
    let mut wrong = out.output.clone();
    wrong[0] += F::ONE;
    assert_eq!(
        verify(&c, &input, &wrong, &out.proof),
        Err(GkrError::LayerCheck { layer: depth - 1 })
    );
    assert_eq!(
        verify(&c, &input, &out.output[1..], &out.proof),
        Err(GkrError::OutputLength {
            expected: out.output.len(),
            got: out.output.len() - 1
        })
    );
    // Another input: the proof verifies, but its claims on the input do not hold.
    let mut other = input.clone();
    other[3] += F::ONE;
    assert!(matches!(
        verify(&c, &other, &out.output, &out.proof),
        Err(GkrError::InputClaim { .. })
    ));
    // Another circuit with the same shape.
    let mut c2 = c.clone();
    let g = &mut c2.layers[1].gates[0];
    g.op = if g.op == Op::Add { Op::Mul } else { Op::Add };
    assert!(matches!(
        gkr::verify(
            &c2,
            &out.output,
            &out.proof,
            &mut Transcript::new(b"gkr-test")
        ),
        Err(GkrError::LayerCheck { layer: 1 })
    ));
    // Another transcript label (another application) rejects the proof.
    assert!(gkr::verify(&c, &out.output, &out.proof, &mut Transcript::new(b"other")).is_err());
}

#[test]
fn tampering_is_caught_goldilocks() {
    tampering_is_caught::<Goldilocks, GoldilocksExt2>(11);
}

#[test]
fn tampering_is_caught_bn254() {
    tampering_is_caught::<Bn254Fr, Bn254Fr>(12);
}

fn bytes_are_checked<F: BaseField, E: ExtField<F>>(seed: u64) {
    let (c, input, out) = tamper_fixture::<F, E>(seed);
    let bytes = out.proof.to_bytes();
    for len in 0..bytes.len() {
        assert!(
            matches!(
                Proof::<E>::from_bytes(&bytes[..len]),
                Err(GkrError::Decode(DecodeError::Malformed(_)))
            ),
            "prefix {len}"
        );
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0, 0]);
    assert_eq!(
        Proof::<E>::from_bytes(&longer),
        Err(GkrError::Decode(DecodeError::TrailingBytes { count: 2 }))
    );
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            let result =
                Proof::<E>::from_bytes(&b).and_then(|p| verify(&c, &input, &out.output, &p));
            assert!(result.is_err(), "flip {flip:#x} at byte {i} accepted");
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

#[test]
fn malformed_circuits_are_refused() {
    let g = |l, r| Gate {
        op: Op::Add,
        left: l,
        right: r,
    };
    let c = |layers: Vec<Vec<Gate>>| Circuit {
        input_len: 4,
        layers: layers.into_iter().map(|gates| Layer { gates }).collect(),
    };
    let input = vec![Goldilocks::ONE; 4];
    assert_eq!(c(vec![]).validate(), Err(CircuitError::NoLayers));
    assert_eq!(
        c(vec![vec![]]).validate(),
        Err(CircuitError::EmptyLayer { layer: 0 })
    );
    assert_eq!(
        c(vec![vec![g(Wire::Prev(0), Wire::Prev(4))]]).validate(),
        Err(CircuitError::WireOutOfRange {
            layer: 0,
            gate: 0,
            wire: Wire::Prev(4),
            len: 4
        })
    );
    assert_eq!(
        c(vec![vec![g(Wire::Input(0), Wire::Prev(0))]]).validate(),
        Err(CircuitError::InputWireInFirstLayer { gate: 0 })
    );
    assert_eq!(
        c(vec![
            vec![g(Wire::Prev(0), Wire::Prev(1))],
            vec![g(Wire::Prev(0), Wire::Input(9))]
        ])
        .validate(),
        Err(CircuitError::WireOutOfRange {
            layer: 1,
            gate: 0,
            wire: Wire::Input(9),
            len: 4
        })
    );
    let ok = c(vec![vec![g(Wire::Prev(0), Wire::Prev(1))]]);
    assert_eq!(
        ok.evaluate(&input[..3]),
        Err(CircuitError::InputLength {
            expected: 4,
            got: 3
        })
    );
    let proof = prove::<Goldilocks, GoldilocksExt2>(&ok, &input).proof;
    assert_eq!(
        gkr::verify(
            &c(vec![]),
            &[Goldilocks::ONE],
            &proof,
            &mut Transcript::new(b"gkr-test")
        ),
        Err(GkrError::Circuit(CircuitError::NoLayers))
    );
}
