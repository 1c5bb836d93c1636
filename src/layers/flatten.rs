//! Flatten: `v[(c·h + y)·w + x] = X[c][y][x]`, a re-indexing between two padded layouts.
//!
//! A claim `ṽ(r) = val` is `Σ_q X̃(q)·F(r, q)` over the input's padded positions `q`, with
//! `F(r, q) = eq(r, flat(q))` for valid positions and 0 on padding. The verifier evaluates
//! `F̃(r, ρ) = Σ_{valid q} eq(r, flat(q))·eq(ρ, q)` in `O(c·h·w)`: linear in the flattened
//! tensor, which in a CNN is small (the input of the first dense layer).

use super::{get, prove_product, verify_product, Dims, LayerError, ProductProof};
use crate::field::{BaseField, ExtField, MulAcc};
use crate::poly::{eq_table, Mle};
use ark_ff::Field;
use merlin::Transcript;

/// The table `q ↦ F(r, q)` over the input's padded positions.
fn table<E: MulAcc>(input: &Dims, r: &[E]) -> Vec<E> {
    let er = eq_table(r);
    let mut t = vec![E::ZERO; input.len()];
    for flat in 0..input.logical_len() {
        if let (Some(ti), Some(&e)) = (t.get_mut(input.padded_index(flat)), er.get(flat)) {
            *ti = e;
        }
    }
    t
}

/// Proves `target = ṽ(r)`; returns the proof, the input point and the input's value there.
pub fn prove<F: BaseField, E: ExtField<F>>(
    input: &Dims,
    x: &[F],
    r: &[E],
    target: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>, E) {
    let (proof, point) = prove_product(
        vec![Mle::Base(x.to_vec()), Mle::Ext(table(input, r))],
        target,
        transcript,
    );
    let value = proof.values[0];
    (proof, point, value)
}

/// Verifies; returns the input point and the input's claimed value there.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify<E: MulAcc + Field>(
    input: &Dims,
    r: &[E],
    target: E,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, E), LayerError> {
    let (rho, v) = verify_product("flatten", input.num_vars(), 2, target, proof, transcript)?;
    let value = get(&v, 0, "flatten values", 2)?;
    let wiring = get(&v, 1, "flatten values", 2)?;
    let er = eq_table(r);
    let ep = eq_table(&rho);
    let expect: E = (0..input.logical_len())
        .map(|flat| {
            er.get(flat).copied().unwrap_or(E::ZERO)
                * ep.get(input.padded_index(flat)).copied().unwrap_or(E::ZERO)
        })
        .sum();
    if wiring != expect {
        return Err(LayerError::PublicValue {
            what: "flatten index map",
        });
    }
    Ok((rho, value))
}
