//! Sum-check for sums of products of multilinear polynomials.
//!
//! Statement: for multilinear `f_{j,i}` over `n` variables and coefficients `c_j ∈ E`,
//!
//! ```text
//!     claim = Σ_{x ∈ {0,1}^n}  Σ_j c_j · Π_{i < k_j} f_{j,i}(x),      1 ≤ k_j ≤ 3.
//! ```
//!
//! The degree `d = max_j k_j` bounds each round polynomial `g_r(X)`. In round `r` the prover sends
//! `g_r(0), g_r(2), …, g_r(d)` (`d` values); the verifier derives `g_r(1) = claim_r − g_r(0)`,
//! draws `ρ_r ∈ E` and sets `claim_{r+1} = g_r(ρ_r)`. After `n` rounds the verifier holds an
//! [`EvaluationClaim`]: the polynomial's value at `ρ = (ρ_0, …, ρ_{n-1})` should be `claim_n`,
//! which the caller must discharge. Variables are bound in the order `x_0, x_1, …` (see
//! [`crate::poly`]). Soundness error `n·d / |E|`. See `spec/sumcheck.md`.
//!
//! The first round runs on base-field tables without lifting them: products and sums stay in `F`
//! and only the per-term sums are multiplied by `c_j ∈ E`.

use crate::field::{mul_base, BaseField, ExtField};
use crate::parallel::map_reduce;
use crate::poly::Mle;
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use prover::split_factors;

mod prover;
mod verifier;
pub mod zk;

pub use prover::{prove, prove_after_first_round, RoundProver};
pub use verifier::verify;

/// Largest number of factors in one product term.
pub const MAX_DEGREE: usize = 3;

/// One term `coeff · Π_{i} tables[factors[i]]` of the summed polynomial.
#[derive(Clone, Debug)]
pub struct Term<E> {
    /// The term's coefficient `c_j`.
    pub coeff: E,
    /// Indices into the instance's tables, 1 to [`MAX_DEGREE`] of them (repeats allowed).
    pub factors: Vec<usize>,
}

/// The polynomial `Σ_j c_j Π_i f_{j,i}` that the prover sums over the hypercube.
#[derive(Clone, Debug)]
pub struct Instance<F, E> {
    tables: Vec<Mle<F, E>>,
    terms: Vec<Term<E>>,
    num_vars: usize,
    degree: usize,
}

/// A malformed instance handed to the prover (a caller's bug, never a verifier outcome).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstanceError {
    /// No tables or no terms.
    #[error("a sum-check instance needs at least one table and one term")]
    Empty,
    /// A table's length is not a power of two or differs from the first table's.
    #[error("table {table} has {len} entries; expected {expected} (a power of two, like table 0)")]
    TableLength {
        /// Which table.
        table: usize,
        /// Its length.
        len: usize,
        /// The length required.
        expected: usize,
    },
    /// A term has no factors or more than [`MAX_DEGREE`].
    #[error("term {term} has {count} factors; 1 to {MAX_DEGREE} are supported")]
    TermDegree {
        /// Which term.
        term: usize,
        /// Its number of factors.
        count: usize,
    },
    /// A term names a table that does not exist.
    #[error("term {term} names table {table}, but there are {tables} tables")]
    NoSuchTable {
        /// Which term.
        term: usize,
        /// The index it names.
        table: usize,
        /// How many tables there are.
        tables: usize,
    },
}

impl<F: BaseField, E: ExtField<F>> Instance<F, E> {
    /// Checks the shapes: equal power-of-two table lengths, 1–3 factors per term, valid indices.
    pub fn new(tables: Vec<Mle<F, E>>, terms: Vec<Term<E>>) -> Result<Self, InstanceError> {
        let first = tables.first().ok_or(InstanceError::Empty)?;
        if terms.is_empty() {
            return Err(InstanceError::Empty);
        }
        let expected = first.len().max(1).next_power_of_two();
        for (table, t) in tables.iter().enumerate() {
            if t.len() != expected {
                return Err(InstanceError::TableLength {
                    table,
                    len: t.len(),
                    expected,
                });
            }
        }
        for (term, t) in terms.iter().enumerate() {
            if t.factors.is_empty() || t.factors.len() > MAX_DEGREE {
                return Err(InstanceError::TermDegree {
                    term,
                    count: t.factors.len(),
                });
            }
            if let Some(&table) = t.factors.iter().find(|&&i| i >= tables.len()) {
                return Err(InstanceError::NoSuchTable {
                    term,
                    table,
                    tables: tables.len(),
                });
            }
        }
        let degree = terms.iter().map(|t| t.factors.len()).max().unwrap_or(1);
        Ok(Self {
            num_vars: expected.trailing_zeros() as usize,
            tables,
            terms,
            degree,
        })
    }

    /// The tables, in the order terms refer to them.
    pub fn tables(&self) -> &[Mle<F, E>] {
        &self.tables
    }

    /// The terms.
    pub fn terms(&self) -> &[Term<E>] {
        &self.terms
    }

    /// Number of variables `n`.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// Degree `d`: the largest number of factors in a term.
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// The sum over the hypercube, computed plainly (the honest claim).
    pub fn sum(&self) -> E {
        self.terms
            .iter()
            .map(|term| {
                let (base, ext) = split_factors(&self.tables, &term.factors);
                let n = self.tables[0].len();
                let sum: E = map_reduce(
                    n,
                    |r| {
                        r.map(|x| {
                            let b: F = base.iter().map(|t| t[x]).product();
                            let e: E = ext.iter().map(|t| t[x]).product();
                            mul_base(e, b)
                        })
                        .sum::<E>()
                    },
                    |a, b| a + b,
                );
                term.coeff * sum
            })
            .sum()
    }

    /// The value of the summed polynomial given each table's value (at some point).
    pub fn combine(terms: &[Term<E>], table_values: &[E]) -> E {
        combine(terms, table_values)
    }
}

/// `Σ_j c_j Π_i values[f_{j,i}]`: the summed polynomial's value from its tables' values (a
/// factor naming no value counts as 0; callers pass one value per table).
pub(crate) fn combine<E: Field>(terms: &[Term<E>], values: &[E]) -> E {
    terms
        .iter()
        .map(|t| {
            t.coeff
                * t.factors
                    .iter()
                    .map(|&i| values.get(i).copied().unwrap_or(E::ZERO))
                    .product::<E>()
        })
        .sum()
}

/// One round's message: the round polynomial at `0, 2, …, d`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct RoundMessage<E: Field> {
    /// `g(0), g(2), …, g(d)`.
    pub evals: Vec<E>,
}

/// A sum-check proof: one message per variable.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof<E: Field> {
    /// Round messages, round 0 first.
    pub rounds: Vec<RoundMessage<E>>,
}

/// A claim that a polynomial takes `value` at `point`; the caller must discharge it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvaluationClaim<E> {
    /// The point, `point[k]` for variable `x_k`.
    pub point: Vec<E>,
    /// The claimed value.
    pub value: E,
}

/// What the prover holds at the end: the proof, the challenge point, each table's value there.
#[derive(Clone, Debug)]
pub struct ProverOutput<E: Field> {
    /// The proof to send.
    pub proof: Proof<E>,
    /// The challenges `ρ`.
    pub point: Vec<E>,
    /// Each table's value at `ρ`, in the instance's table order.
    pub table_values: Vec<E>,
}

/// Why the verifier rejected a sum-check proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SumcheckError {
    /// The proof has the wrong number of rounds.
    #[error("sum-check proof has {got} rounds; expected {expected}")]
    RoundCount {
        /// Rounds expected (the number of variables).
        expected: usize,
        /// Rounds in the proof.
        got: usize,
    },
    /// A round message has the wrong number of evaluations.
    #[error("round {round} message has {got} evaluations; expected {expected}")]
    MessageLength {
        /// The round.
        round: usize,
        /// Evaluations expected (the degree).
        expected: usize,
        /// Evaluations in the message.
        got: usize,
    },
    /// The verifier was asked for a degree the protocol does not support.
    #[error("sum-check degree {degree} is not supported (1 to {MAX_DEGREE}; one more with a zero-knowledge mask)")]
    UnsupportedDegree {
        /// The degree asked for.
        degree: usize,
    },
    /// The final evaluation does not match the claim left by the last round.
    #[error("final evaluation does not match the sum-check claim")]
    FinalEvaluation,
    /// A masked sum-check carries the wrong number of masked values (or its caller gave the
    /// wrong number of public values).
    #[error("{got} masked or public table values; expected {expected}")]
    MaskedValues {
        /// Values expected.
        expected: usize,
        /// Values given.
        got: usize,
    },
}

impl<E: Field> EvaluationClaim<E> {
    /// Discharges the claim against a value the caller computed or was given by an oracle.
    pub fn check(&self, value: E) -> Result<(), SumcheckError> {
        if value == self.value {
            Ok(())
        } else {
            Err(SumcheckError::FinalEvaluation)
        }
    }
}

/// `g(r)` from `g(0), g(1), …, g(d)` by Lagrange interpolation over the nodes `0..=d`.
pub fn interpolate<E: Field>(values: &[E], r: E) -> E {
    let d = values.len();
    if d == 0 {
        return E::ZERO;
    }
    // Lagrange at the nodes 0..d−1: `ℓ_i(r) = Π_{j≠i}(r − j) / Π_{j≠i}(i − j)`, the denominator
    // `(−1)^{d−1−i}·i!·(d−1−i)!`. The numerators from prefix and suffix products of `r − j`,
    // the inverse factorials from one inversion of `(d−1)!` (invertible in any field of
    // characteristic > d): one inversion per call, not one per node.
    let diff: Vec<E> = (0..d).map(|j| r - E::from(j as u64)).collect();
    let mut suffix = vec![E::ONE; d + 1];
    for j in (0..d).rev() {
        suffix[j] = suffix[j + 1] * diff[j];
    }
    let mut fact = vec![E::ONE; d];
    for k in 1..d {
        fact[k] = fact[k - 1] * E::from(k as u64);
    }
    let mut inv_fact = vec![E::ONE; d];
    inv_fact[d - 1] = fact[d - 1].inverse().unwrap_or(E::ZERO);
    for k in (1..d).rev() {
        inv_fact[k - 1] = inv_fact[k] * E::from(k as u64);
    }
    let mut result = E::ZERO;
    let mut prefix = E::ONE;
    for (i, &v) in values.iter().enumerate() {
        let mut term = v * prefix * suffix[i + 1] * inv_fact[i] * inv_fact[d - 1 - i];
        if (d - 1 - i) % 2 == 1 {
            term = -term;
        }
        result += term;
        prefix *= diff[i];
    }
    result
}

/// The next running claim from a round message, the current claim and the challenge:
/// `g(r)` where `g(0)` and `g(2..d)` come from the message and `g(1) = claim − g(0)`.
pub fn next_claim<E: Field>(message: &[E], claim: E, r: E) -> E {
    interpolate(&full_evals(message, claim), r)
}

/// The full round polynomial values `g(0), g(1), …, g(d)` from a message and the running claim.
pub(crate) fn full_evals<E: Field>(msg: &[E], claim: E) -> Vec<E> {
    let mut v = Vec::with_capacity(msg.len() + 1);
    if let Some((&g0, rest)) = msg.split_first() {
        v.push(g0);
        v.push(claim - g0);
        v.extend_from_slice(rest);
    }
    v
}

pub(crate) fn absorb_header<E: Field>(
    t: &mut Transcript,
    num_vars: usize,
    degree: usize,
    claim: &E,
) {
    t.domain_separator(b"sumcheck", &[num_vars as u64, degree as u64]);
    t.append_field(b"sumcheck-claim", claim);
}
