//! Fully connected layers by Thaler's matrix–vector sum-check.
//!
//! Statement: `acc = W·x` for a committed matrix `W` (`2^{n_o} × 2^{n_i}`, column index in the
//! low bits) and an input vector `x`. A claim `ãcc(r_o) = v` is the sum
//!
//! ```text
//!     v = Σ_{i ∈ {0,1}^{n_i}}  W̃(i, r_o) · x̃(i),
//! ```
//!
//! one product sum-check over `n_i` variables whose table `W̃(·, r_o)` the prover folds from `W`
//! in `O(|W|)`. It ends in two claims the caller discharges: `W̃(ρ, r_o)` on the weights and
//! `x̃(ρ)` on the input. See `spec/layers.md`.

use super::{prove_product, verify_product, LayerError, ProductProof};
use crate::field::{mul_base, BaseField, ExtField};
use crate::parallel::map_reduce;
use crate::poly::{eq_table, Mle};
use ark_ff::Field;
use merlin::Transcript;

/// `Σ_o weights[o]·M[o][·]` for a row-major matrix with `2^{col_vars}` columns: the matrix's
/// multilinear extension with the row variables fixed (`weights = eq(r_o, ·)`).
pub fn fold_rows<F: BaseField, E: ExtField<F>>(m: &[F], col_vars: usize, weights: &[E]) -> Vec<E> {
    let cols = 1usize << col_vars;
    let rows = (m.len() >> col_vars).min(weights.len());
    map_reduce(
        rows,
        |range| {
            let mut acc = vec![E::ZERO; cols];
            for o in range {
                let (Some(&w), Some(row)) = (weights.get(o), m.get(o * cols..(o + 1) * cols))
                else {
                    continue;
                };
                if w.is_zero() {
                    continue;
                }
                for (a, &x) in acc.iter_mut().zip(row) {
                    *a += mul_base(w, x);
                }
            }
            acc
        },
        |mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
            a
        },
    )
}

/// Proves `target = Σ_i W̃(i, r_o)·x̃(i)`; returns the proof and the point `ρ` (the weights'
/// claim is at `(ρ, r_o)`, the input's at `ρ`).
pub fn prove<F: BaseField, E: ExtField<F>>(
    w: &[F],
    x: &[F],
    r_o: &[E],
    target: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>) {
    let col_vars = x.len().trailing_zeros() as usize;
    let wr = fold_rows(w, col_vars, &eq_table(r_o));
    prove_product(
        vec![Mle::Ext(wr), Mle::Base(x.to_vec())],
        target,
        transcript,
    )
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies; returns `(ρ, W̃(ρ, r_o), x̃(ρ))` for the caller to discharge.
pub fn verify<E: Field>(
    in_vars: usize,
    target: E,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, E, E), LayerError> {
    let (rho, v) = verify_product("dense", in_vars, 2, target, proof, transcript)?;
    let w = super::get(&v, 0, "dense values", 2)?;
    let x = super::get(&v, 1, "dense values", 2)?;
    Ok((rho, w, x))
}
