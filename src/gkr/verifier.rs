//! The GKR verifier. It reads only the proof and the transcript and never panics on proof data:
//! indexing, `unwrap`, `expect` and `panic!` are denied here.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::{
    absorb_statement, absorb_values, merge_coefficients, merged_eq, next_claims, Circuit,
    CircuitError, GkrError, Op, Proof, Wire,
};
use crate::field::{mul_base, BaseField, ExtField};
use crate::poly::eq_table;
use crate::sumcheck::{self, EvaluationClaim};
use crate::transcript::TranscriptExt;
use merlin::Transcript;

/// Verifies that `circuit` outputs `output` on an input that satisfies the returned claims.
///
/// The caller must discharge every returned claim on `Ṽ_0` (see [`check_input_claims`] for a
/// public input). Works from the proof and the transcript alone; never panics on proof data.
pub fn verify<F: BaseField, E: ExtField<F>>(
    circuit: &Circuit,
    output: &[F],
    proof: &Proof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<EvaluationClaim<E>>, GkrError> {
    circuit.validate()?;
    let depth = circuit.layers.len();
    let n_gates_out = circuit
        .layers
        .last()
        .ok_or(CircuitError::NoLayers)?
        .gates
        .len();
    if output.len() != n_gates_out {
        return Err(GkrError::OutputLength {
            expected: n_gates_out,
            got: output.len(),
        });
    }
    if proof.layers.len() != depth {
        return Err(GkrError::LayerCount {
            expected: depth,
            got: proof.layers.len(),
        });
    }
    absorb_statement(transcript, circuit, output);
    let out_vars = circuit.layer_vars(depth);
    let g: Vec<E> = transcript.challenge_fields(b"gkr-output-point", out_vars);
    let eq_g = eq_table(&g);
    let value = output
        .iter()
        .zip(&eq_g)
        .map(|(&y, &e)| mul_base(e, y))
        .sum();
    let mut claims = vec![EvaluationClaim { point: g, value }];
    let mut input_claims = Vec::new();

    for ((i, layer), lp) in circuit.layers.iter().enumerate().rev().zip(&proof.layers) {
        let src = circuit.source(i);
        let n_out = circuit.layer_vars(i + 1);
        let nv = src.vars();
        transcript.domain_separator(b"gkr-layer", &[i as u64, n_out as u64, nv as u64]);
        let alpha: Vec<E> = merge_coefficients(transcript, claims.len());
        let claim: E = claims.iter().zip(&alpha).map(|(c, &a)| a * c.value).sum();

        let sc = |phase| {
            move |source| GkrError::Sumcheck {
                layer: i,
                phase,
                source,
            }
        };
        let c1 = sumcheck::verify(nv, 2, claim, &lp.phase1, transcript).map_err(sc(1))?;
        let w_u = src
            .combine(&c1.point, &lp.at_u)
            .ok_or(GkrError::SourceShape { layer: i })?;
        absorb_values(transcript, &lp.at_u);
        let c2 = sumcheck::verify(nv, 2, c1.value, &lp.phase2, transcript).map_err(sc(2))?;
        let w_v = src
            .combine(&c2.point, &lp.at_v)
            .ok_or(GkrError::SourceShape { layer: i })?;
        absorb_values(transcript, &lp.at_v);

        // add_G(u*, v*) and mul_G(u*, v*) from the wiring.
        let gz = merged_eq(&claims, &alpha, n_out);
        let (eq_u, eq_v) = (eq_table(&c1.point), eq_table(&c2.point));
        let (mut add, mut mul) = (E::ZERO, E::ZERO);
        for (z, (gate, g)) in layer.gates.iter().zip(&gz).enumerate() {
            // In range after `validate`; checked again rather than indexed.
            let wire = |w: Wire, eq: &[E]| {
                eq.get(src.index(w))
                    .copied()
                    .ok_or(CircuitError::WireOutOfRange {
                        layer: i,
                        gate: z,
                        wire: w,
                        len: eq.len(),
                    })
            };
            let t = E::mul_fast(
                &E::mul_fast(g, &wire(gate.left, &eq_u)?),
                &wire(gate.right, &eq_v)?,
            );
            match gate.op {
                Op::Add => add += t,
                Op::Mul => mul += t,
            }
        }
        if c2.value != add * (w_u + w_v) + mul * w_u * w_v {
            return Err(GkrError::LayerCheck { layer: i });
        }
        claims = next_claims(
            &src,
            &c1.point,
            &lp.at_u,
            &c2.point,
            &lp.at_v,
            &mut input_claims,
        );
    }
    input_claims.extend(claims);
    Ok(input_claims)
}

/// Discharges input claims against a public input (zero-padded as in [`Circuit::evaluate`]).
pub fn check_input_claims<F: BaseField, E: ExtField<F>>(
    circuit: &Circuit,
    input: &[F],
    claims: &[EvaluationClaim<E>],
) -> Result<(), GkrError> {
    if input.len() != circuit.input_len {
        return Err(CircuitError::InputLength {
            expected: circuit.input_len,
            got: input.len(),
        }
        .into());
    }
    let n = circuit.layer_vars(0);
    let mut padded = input.to_vec();
    padded.resize(1 << n, F::ZERO);
    for (index, c) in claims.iter().enumerate() {
        if c.point.len() != n {
            return Err(GkrError::InputClaim { index });
        }
        let eq = eq_table(&c.point);
        let value: E = padded.iter().zip(&eq).map(|(&x, &e)| mul_base(e, x)).sum();
        if value != c.value {
            return Err(GkrError::InputClaim { index });
        }
    }
    Ok(())
}
