//! The GKR prover: Libra's two phases per layer, with gather-then-scatter table construction.

use super::{
    absorb_statement, absorb_values, merge_coefficients, merged_eq, next_claims, Circuit,
    CircuitError, LayerProof, Op, Proof, ProverOutput, Source, SourceValues,
};
use crate::field::{mul_base, BaseField, ExtField};
use crate::parallel::{collect_indexed, scatter_add2};
use crate::poly::{eq_table, evaluate_base, Mle};
use crate::sumcheck::{self, EvaluationClaim, Instance, Term};
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use merlin::Transcript;

/// Proves the evaluation of `circuit` on `input`.
///
/// The GKR transcript absorbs only the circuit's shape and the output. The caller must bind the
/// circuit's wiring (e.g. a model digest) and the input — or a commitment to it — into the
/// transcript first: otherwise an input chosen after the challenges could satisfy the claims.
pub fn prove<F: BaseField, E: ExtField<F>>(
    circuit: &Circuit,
    input: &[F],
    transcript: &mut Transcript,
) -> Result<ProverOutput<F, E>, CircuitError> {
    let values = circuit.evaluate(input)?;
    let depth = circuit.layers.len();
    let output = values[depth][..circuit.layers[depth - 1].gates.len()].to_vec();
    absorb_statement(transcript, circuit, &output);

    let out_vars = circuit.layer_vars(depth);
    let g: Vec<E> = transcript.challenge_fields(b"gkr-output-point", out_vars);
    let mut claims = vec![EvaluationClaim {
        value: Mle::<F, E>::Base(values[depth].clone()).evaluate(&g),
        point: g,
    }];
    let mut input_claims = Vec::new();
    let mut layer_proofs = Vec::with_capacity(depth);

    for i in (0..depth).rev() {
        let src = circuit.source(i);
        let gates = &circuit.layers[i].gates;
        let n_out = circuit.layer_vars(i + 1);
        transcript.domain_separator(b"gkr-layer", &[i as u64, n_out as u64, src.vars() as u64]);
        let alpha: Vec<E> = merge_coefficients(transcript, claims.len());
        let claim: E = claims.iter().zip(&alpha).map(|(c, &a)| a * c.value).sum();
        let gz = merged_eq(&claims, &alpha, n_out);
        let w = src.table(&values[i], &values[0]);
        let size = w.len();

        // Phase 1: Σ_u W(u)·h1(u) + h2(u).
        // Gather G(z)·W(r) (random reads of W), then scatter by left input.
        let t: Vec<E> = collect_indexed(gates.len(), |z| {
            mul_base(gz[z], w[src.index(gates[z].right)])
        });
        let (h1, h2) = scatter_add2(size, gates.len(), |range, h1: &mut [E], h2: &mut [E]| {
            for (z, gate) in range.clone().zip(&gates[range]) {
                let l = src.index(gate.left);
                match gate.op {
                    Op::Mul => h1[l] += t[z],
                    Op::Add => {
                        h1[l] += gz[z];
                        h2[l] += t[z];
                    }
                }
            }
        });
        let inst = Instance::new(
            vec![Mle::Base(w.clone()), Mle::Ext(h1), Mle::Ext(h2)],
            vec![
                Term {
                    coeff: E::ONE,
                    factors: vec![0, 1],
                },
                Term {
                    coeff: E::ONE,
                    factors: vec![2],
                },
            ],
        )
        .expect("phase-1 tables share the source's length");
        debug_assert_eq!(inst.sum(), claim, "phase-1 claim is the true sum");
        let p1 = sumcheck::prove(inst, claim, transcript);
        let u = p1.point;
        let w_u = p1.table_values[0];
        let at_u = source_values(&src, &values[i], &values[0], &u, w_u);
        absorb_values(transcript, &at_u);

        // Phase 2: Σ_v W(v)·m(v) + W(u*)·a(v), with m = W(u*)·mul_G(u*, ·) + add_G(u*, ·).
        let eq_u = eq_table(&u);
        // Gather (random reads of eq(u*, l)) then scatter (short bodies, more misses in flight).
        let c: Vec<E> = collect_indexed(gates.len(), |z| {
            let g = &gates[z];
            let c = E::mul_fast(&gz[z], &eq_u[src.index(g.left)]);
            match g.op {
                Op::Mul => E::mul_fast(&c, &w_u),
                Op::Add => c,
            }
        });
        let (m, a) = scatter_add2(size, gates.len(), |range, m: &mut [E], a: &mut [E]| {
            for (z, gate) in range.clone().zip(&gates[range]) {
                let r = src.index(gate.right);
                m[r] += c[z];
                if gate.op == Op::Add {
                    a[r] += c[z];
                }
            }
        });
        let inst = Instance::new(
            vec![Mle::Base(w), Mle::Ext(m), Mle::Ext(a)],
            vec![
                Term {
                    coeff: E::ONE,
                    factors: vec![0, 1],
                },
                Term {
                    coeff: w_u,
                    factors: vec![2],
                },
            ],
        )
        .expect("phase-2 tables share the source's length");
        debug_assert_eq!(
            inst.sum(),
            p1_claim_value(&p1.table_values),
            "phase-2 claim"
        );
        let p2 = sumcheck::prove(inst, p1_claim_value(&p1.table_values), transcript);
        let v = p2.point;
        let at_v = source_values(&src, &values[i], &values[0], &v, p2.table_values[0]);
        absorb_values(transcript, &at_v);

        claims = next_claims(&src, &u, &at_u, &v, &at_v, &mut input_claims);
        layer_proofs.push(LayerProof {
            phase1: p1.proof,
            at_u,
            phase2: p2.proof,
            at_v,
        });
    }
    input_claims.extend(claims);
    Ok(ProverOutput {
        output,
        proof: Proof {
            layers: layer_proofs,
        },
        input_claims,
    })
}

/// The phase-1 polynomial at `u*`: `W(u*)·h1(u*) + h2(u*)`, the phase-2 claim.
fn p1_claim_value<E: Field>(t: &[E]) -> E {
    t[0] * t[1] + t[2]
}

fn source_values<F: BaseField, E: ExtField<F>>(
    src: &Source,
    prev: &[F],
    input: &[F],
    point: &[E],
    w_at_point: E,
) -> SourceValues<E> {
    match src.input_vars {
        // W is the previous layer itself: its value is the sum-check's final table value.
        None => SourceValues {
            prev: w_at_point,
            input: None,
        },
        Some(k) => SourceValues {
            prev: evaluate_base(prev, &point[..src.prev_vars]),
            input: Some(evaluate_base(input, &point[..k])),
        },
    }
}
