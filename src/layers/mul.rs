//! Element-wise product of two tensors (`spec/mul.md`).
//!
//! Statement: `acc(x) = a(x)·b(x ≫ k)` over the `n` variables of `a`'s padded layout, where `b`
//! has `n − k` variables: `k = 0` for two tensors of one layout, `k` the rows' and columns'
//! variables for a per-channel `b` (its index is `a`'s with the low `k` bits dropped, so the
//! broadcast `b` is a function of `a`'s top `n − k` coordinates). A claim `ãcc(r) = v` is
//!
//! ```text
//!     v = Σ_{x ∈ {0,1}^n}  eq(r, x) · ã(x) · b̃(x_{k..n}),
//! ```
//!
//! one product sum-check of degree 3 over `n` variables (the broadcast `b` is a multilinear
//! table over `x` that ignores its low `k` coordinates, so its extension at `ρ` is `b̃(ρ_{k..})`).
//! It ends in the values `eq(r, ρ)`, which the verifier computes, `ã(ρ)` and `b̃(ρ_{k..n})`,
//! claims the caller discharges on the two tensors.

use super::{get, prove_product, verify_product, LayerError, ProductProof};
use crate::field::{BaseField, ExtField};
use crate::poly::{eq_eval, eq_table, Mle};
use ark_ff::Field;
use merlin::Transcript;

/// `b` spread over `a`'s layout: entry `i` is `b[i ≫ k]` (`b` itself for `k = 0`).
pub fn spread<T: Copy + Default>(b: &[T], len: usize, k: usize) -> Vec<T> {
    (0..len)
        .map(|i| b.get(i >> k).copied().unwrap_or_default())
        .collect()
}

/// The products `a(i)·b(i ≫ k)` (the accumulator), in integers.
pub fn products(a: &[i64], b: &[i64], k: usize) -> Vec<i64> {
    a.iter()
        .enumerate()
        .map(|(i, &x)| x * b.get(i >> k).copied().unwrap_or(0))
        .collect()
}

/// What the sum-check ends in: the point `ρ` and the operands' values, `ã(ρ)` and
/// `b̃(ρ_{k..n})` at `b_point = ρ_{k..n}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MulClaims<E> {
    /// `ρ`, the point of `a`'s claim.
    pub point: Vec<E>,
    /// `ã(ρ)`.
    pub a: E,
    /// `ρ_{k..n}`, the point of `b`'s claim.
    pub b_point: Vec<E>,
    /// `b̃(ρ_{k..n})`.
    pub b: E,
}

/// Proves `claim = Σ_x eq(r, x)·a(x)·b(x ≫ k)` (`a` of `2^{|r|}` entries, `b` of `2^{|r|−k}`).
pub fn prove<F: BaseField, E: ExtField<F>>(
    a: &[F],
    b: &[F],
    k: usize,
    r: &[E],
    claim: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, MulClaims<E>) {
    let tables = vec![
        Mle::Ext(eq_table(r)),
        Mle::Base(a.to_vec()),
        Mle::Base(spread(b, a.len(), k)),
    ];
    let (proof, point) = prove_product(tables, claim, transcript);
    let claims = MulClaims {
        a: proof.values[1],
        b: proof.values[2],
        b_point: point[k.min(point.len())..].to_vec(),
        point,
    };
    (proof, claims)
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies [`prove`] for the claim `ãcc(r) = claim` with `b` spread over `k` low variables;
/// checks the first value against `eq(r, ρ)` and returns the claims on `a` and `b`.
pub fn verify<E: Field>(
    r: &[E],
    k: usize,
    claim: E,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<MulClaims<E>, LayerError> {
    let (point, v) = verify_product("mul", r.len(), 3, claim, proof, transcript)?;
    let e = get(&v, 0, "mul values", 3)?;
    if point.len() != r.len() || k > point.len() || e != eq_eval(r, &point) {
        return Err(LayerError::PublicValue { what: "mul eq" });
    }
    Ok(MulClaims {
        a: get(&v, 1, "mul values", 3)?,
        b: get(&v, 2, "mul values", 3)?,
        b_point: point.get(k..).unwrap_or(&[]).to_vec(),
        point,
    })
}
