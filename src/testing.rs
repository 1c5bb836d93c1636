//! Seeded random instances for tests, benchmarks and the demo: multilinear tables, sum-check
//! instances and layered circuits.

use crate::field::{BaseField, ExtField};
use crate::gkr::{Circuit, Gate, Layer, Op, Wire};
use crate::poly::Mle;
use crate::sumcheck::{Instance, Term};
use ark_ff::PrimeField;
use ark_std::rand::{Rng, RngCore};

/// `n` random base-field elements.
pub fn random_base<F: PrimeField>(rng: &mut impl RngCore, n: usize) -> Vec<F> {
    (0..n).map(|_| F::rand(rng)).collect()
}

/// A random table over `num_vars` variables, in the base field or the extension.
pub fn random_table<F: BaseField, E: ExtField<F>>(
    rng: &mut impl RngCore,
    num_vars: usize,
    base: bool,
) -> Mle<F, E> {
    let n = 1 << num_vars;
    if base {
        Mle::Base(random_base(rng, n))
    } else {
        Mle::Ext((0..n).map(|_| E::rand(rng)).collect())
    }
}

/// A random sum-check instance: `tables` tables (each base or extension at random), `terms` terms
/// of 1 to `max_degree` factors, with at least one term of degree `max_degree`.
pub fn random_instance<F: BaseField, E: ExtField<F>>(
    rng: &mut impl RngCore,
    num_vars: usize,
    tables: usize,
    terms: usize,
    max_degree: usize,
) -> Instance<F, E> {
    let tabs = (0..tables)
        .map(|_| {
            let base = rng.gen_bool(0.5);
            random_table(rng, num_vars, base)
        })
        .collect();
    let terms = (0..terms)
        .map(|j| {
            let k = if j == 0 {
                max_degree
            } else {
                rng.gen_range(1..=max_degree)
            };
            Term {
                coeff: E::rand(rng),
                factors: (0..k).map(|_| rng.gen_range(0..tables)).collect(),
            }
        })
        .collect();
    Instance::new(tabs, terms).expect("generated instances are well formed")
}

/// A random layered circuit: `widths[i]` gates in layer `i`, random operations, random wiring;
/// each wire of layers after the first reads the input with probability `input_share`.
pub fn random_circuit(
    rng: &mut impl RngCore,
    input_len: usize,
    widths: &[usize],
    input_share: f64,
) -> Circuit {
    let mut prev = input_len;
    let layers = widths
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let wire = |rng: &mut dyn RngCore| {
                if i > 0 && rng.gen_bool(input_share) {
                    Wire::Input(rng.gen_range(0..input_len))
                } else {
                    Wire::Prev(rng.gen_range(0..prev))
                }
            };
            let gates = (0..w)
                .map(|_| Gate {
                    op: if rng.gen_bool(0.5) { Op::Add } else { Op::Mul },
                    left: wire(rng),
                    right: wire(rng),
                })
                .collect();
            prev = w;
            Layer { gates }
        })
        .collect();
    Circuit { input_len, layers }
}
