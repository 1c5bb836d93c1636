//! What zero-knowledge sub-protocols share (`spec/zk.md`, "Architecture"): the claims they
//! leave for the proof's opening, and the prover's access to the committed tables' masks.
//!
//! A zero-knowledge sub-protocol (a layer, the range check) never sends a value of a private
//! table in the clear. It ends in two kinds of claims, which the caller collects and one
//! zero-knowledge opening ([`crate::pcs::zk`]) proves:
//!
//! * [`Deferred::Masked`]: `t̂(z, β) = v` on a private *committed* table `t`, where
//!   `t̂(x, b) = t̃(x) + b·m_t(x)` is the table's hiding extension (its commitment's mask `m_t`,
//!   [`crate::pcs::zk`]) and `β ≠ 0`. The value `v` is sent: it is `t̃(z)` masked by `β·m_t(z)`.
//!   A masked sum-check ([`crate::sumcheck::zk::prove_masked`]) makes such claims with the
//!   scalar `c = m_t(z)`, which the prover reads through [`TableMasks`];
//! * [`Deferred::Masks`]: `Σ_i a_i·s_i = v` on the sub-protocol's own fresh mask entries `s`
//!   (Libra masks, scalars of virtual values), drawn by the caller before anything is
//!   committed and committed with the advice. Its value `v` is public: it follows from what the
//!   proof already sent.
//!
//! A sub-protocol's fresh masks are a slice the caller allocates (its length follows from the
//! sub-protocol's shape alone, so the advice layout stays a function of the architecture);
//! [`Deferred::Masks`] indexes that slice.

use ark_ff::Field;

/// A claim a zero-knowledge sub-protocol leaves for the proof's opening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deferred<E> {
    /// `t̂_table(point, beta) = value`: the hiding extension of the sub-protocol's private
    /// committed table number `table` at `(point, beta)`, `beta ≠ 0`.
    Masked {
        /// The sub-protocol's index of the table.
        table: usize,
        /// The point over the table's variables.
        point: Vec<E>,
        /// The mask variable's coordinate (never zero).
        beta: E,
        /// The masked value, sent in the proof.
        value: E,
    },
    /// `Σ coeff·masks[index] = value` on the sub-protocol's own fresh mask entries.
    Masks {
        /// `(index, coeff)` pairs; an index may repeat (the coefficients add).
        terms: Vec<(usize, E)>,
        /// The public value.
        value: E,
    },
}

impl<E: Field> Deferred<E> {
    /// Whether the claim holds for the given tables' hiding extensions (`table(t, z, β)` is
    /// `t̂_t(z, β)`) and fresh masks: the check an opening makes, computed in the clear (tests).
    pub fn holds(&self, table: impl Fn(usize, &[E], E) -> E, masks: &[E]) -> bool {
        match self {
            Deferred::Masked {
                table: t,
                point,
                beta,
                value,
            } => !beta.is_zero() && table(*t, point, *beta) == *value,
            Deferred::Masks { terms, value } => {
                let mut sum = E::ZERO;
                for &(i, a) in terms {
                    match masks.get(i) {
                        Some(&s) => sum += a * s,
                        None => return false,
                    }
                }
                sum == *value
            }
        }
    }
}

/// The prover's access to its committed tables' masks: `m_t(point)`, the scalar that masks
/// `t̃(point)` in a masked value of table `t` (the sub-protocol's numbering).
pub trait TableMasks<E> {
    /// `m_t(point)`.
    fn mask_at(&self, table: usize, point: &[E]) -> E;
}

/// Explicit mask tables (tests, and sub-protocols' unit tests): `masks[t]` is `m_t`'s table over
/// as many low variables of `t`'s point as it has (a mask over fewer variables than the table,
/// as [`crate::pcs::zk`] commits them).
#[derive(Clone, Debug)]
pub struct ExplicitMasks<E>(pub Vec<Vec<E>>);

impl<E: Field> TableMasks<E> for ExplicitMasks<E> {
    fn mask_at(&self, table: usize, point: &[E]) -> E {
        let mut m = self.0[table].clone();
        let vars = m.len().trailing_zeros() as usize;
        for &r in &point[..vars.min(point.len())] {
            m = m.chunks(2).map(|c| c[0] + r * (c[1] - c[0])).collect();
        }
        m[0]
    }
}
