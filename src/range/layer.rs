//! One layer's reduction: the sum-check of
//! `Σ_x eq(r, x)·[p0(x)q1(x) + p1(x)q0(x) + λ·q0(x)q1(x)]` over the child's halves.

use super::prover::{Child, Leaves};
use super::Halves;
use crate::field::{lift, BaseField, ExtField};
use crate::poly::{eq_table, Mle};
use crate::sumcheck::{self, Instance, Term};
use merlin::Transcript;

/// Proves one layer with the generic sum-check prover; returns the proof, its point and the
/// halves there.
pub(crate) fn prove<F: BaseField, E: ExtField<F>>(
    child: Child<F, E>,
    point: &[E],
    lambda: E,
    claim: E,
    alpha: E,
    t: &mut Transcript,
) -> (sumcheck::Proof<E>, Vec<E>, Halves<E>) {
    let tables = halves_tables(child, alpha);
    let mut all = vec![Mle::Ext(eq_table(point))];
    all.extend(tables);
    let term = |coeff, factors: [usize; 3]| Term {
        coeff,
        factors: factors.to_vec(),
    };
    let inst = Instance::new(
        all,
        vec![
            term(E::ONE, [0, 1, 4]),
            term(E::ONE, [0, 2, 3]),
            term(lambda, [0, 3, 4]),
        ],
    )
    .expect("the halves have the eq table's length");
    let out = sumcheck::prove(inst, claim, t);
    let v = &out.table_values;
    let halves = Halves {
        p0: v[1],
        p1: v[2],
        q0: v[3],
        q1: v[4],
    };
    (out.proof, out.point, halves)
}

/// The child's four halves as tables: `p(·,0), p(·,1), q(·,0), q(·,1)`.
pub(crate) fn halves_tables<F: BaseField, E: ExtField<F>>(
    child: Child<F, E>,
    alpha: E,
) -> [Mle<F, E>; 4] {
    match child {
        Child::Layer(l) => {
            let half =
                |b: usize, k: usize| Mle::Ext(l.iter().skip(b).step_by(2).map(|e| e[k]).collect());
            [half(0, 0), half(1, 0), half(0, 1), half(1, 1)]
        }
        Child::Leaves(leaves) => {
            let n = leaves.den.len() / 2;
            let num = |b: usize| Mle::Base((0..n).map(|i| leaves_num(leaves, 2 * i + b)).collect());
            let den = |b: usize| {
                Mle::Ext(
                    (0..n)
                        .map(|i| alpha - lift::<E>(leaves.den[2 * i + b]))
                        .collect(),
                )
            };
            [num(0), num(1), den(0), den(1)]
        }
    }
}

fn leaves_num<F: BaseField>(l: &Leaves<F>, i: usize) -> F {
    l.num.as_ref().map_or(F::ONE, |n| n[i])
}
