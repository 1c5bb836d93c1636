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

use crate::field::{mul_base, BaseField, ExtField, MulAcc};
use crate::parallel::map_reduce;
use crate::poly::Mle;
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

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
        terms
            .iter()
            .map(|t| t.coeff * t.factors.iter().map(|&i| table_values[i]).product::<E>())
            .sum()
    }

    /// `[g(0), g(2), …, g(d)]` for the current round (at least one variable left).
    fn round_sums(&self) -> Vec<E> {
        let d = self.degree;
        let mut g = vec![E::ZERO; d];
        for term in &self.terms {
            let sums = term_sums(&self.tables, &term.factors, d);
            for (gi, s) in g.iter_mut().zip(sums.iter()) {
                *gi += term.coeff * *s;
            }
        }
        g
    }
}

fn split_factors<'a, F, E>(
    tables: &'a [Mle<F, E>],
    factors: &[usize],
) -> (Vec<&'a [F]>, Vec<&'a [E]>) {
    let mut base = Vec::new();
    let mut ext = Vec::new();
    for &i in factors {
        match &tables[i] {
            Mle::Base(v) => base.push(v.as_slice()),
            Mle::Ext(v) => ext.push(v.as_slice()),
        }
    }
    (base, ext)
}

/// The values at `X = 0, 1, 2, 3` of the line through `a` (at 0) and `b` (at 1).
#[inline(always)]
fn line<T: Field>(a: T, b: T) -> [T; 4] {
    let diff = b - a;
    let two = b + diff;
    [a, b, two, two + diff]
}

/// Evaluation points of a round message, as indices into `line`'s output: 0, 2, 3.
const POINTS: [usize; 3] = [0, 2, 3];

/// The factors' lines at pair `j`.
#[inline(always)]
fn lines<T: Field>(tables: &[&[T]], j: usize) -> [[T; 4]; MAX_DEGREE] {
    let mut out = [[T::ZERO; 4]; MAX_DEGREE];
    for (o, t) in out.iter_mut().zip(tables) {
        *o = line(t[2 * j], t[2 * j + 1]);
    }
    out
}

/// Π over the first `k` lines at message point `p`.
#[inline(always)]
fn product<T: MulAcc>(lines: &[[T; 4]; MAX_DEGREE], k: usize, p: usize) -> T {
    let mut acc = lines[0][p];
    for l in &lines[1..k] {
        acc = T::mul_fast(&acc, &l[p]);
    }
    acc
}

fn add3<T: Field>(mut a: [T; 3], b: [T; 3]) -> [T; 3] {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
    a
}

fn merge3<T: MulAcc>(a: [T::Acc; 3], b: [T::Acc; 3]) -> [T::Acc; 3] {
    [
        T::merge(a[0], b[0]),
        T::merge(a[1], b[1]),
        T::merge(a[2], b[2]),
    ]
}

/// `Σ_j Π_i f_i(t, j)` at `t = 0, 2, …, d` for factors all in one field `T`: all but the last
/// factor multiplied plainly, the last one multiply-accumulated with delayed reduction.
fn uniform_sums<T: MulAcc>(tables: &[&[T]], pairs: usize, d: usize) -> [T; 3] {
    let k = tables.len();
    if k == 1 {
        // A single factor: the sums are linear, no products at all.
        let t = tables[0];
        return map_reduce(
            pairs,
            |r| {
                r.fold([T::ZERO; 3], |mut acc, j| {
                    let l = line(t[2 * j], t[2 * j + 1]);
                    for (a, &p) in acc.iter_mut().zip(POINTS.iter()).take(d) {
                        *a += l[p];
                    }
                    acc
                })
            },
            add3,
        );
    }
    let acc = map_reduce(
        pairs,
        |r| {
            let mut acc = [T::Acc::default(); 3];
            for j in r {
                let l = lines(tables, j);
                for (a, &p) in acc.iter_mut().zip(POINTS.iter()).take(d) {
                    T::mul_acc(a, &product(&l, k - 1, p), &l[k - 1][p]);
                }
            }
            acc
        },
        merge3::<T>,
    );
    acc.map(T::reduce)
}

/// For one term: `Σ_j Π_i f_i(t, j)` at `t = 0, 2, …, d`, base-field factors multiplied in `F`.
fn term_sums<F: BaseField, E: ExtField<F>>(
    tables: &[Mle<F, E>],
    factors: &[usize],
    d: usize,
) -> [E; 3] {
    let (base, ext) = split_factors(tables, factors);
    let pairs = tables[0].len() / 2;
    if ext.is_empty() {
        return uniform_sums(&base, pairs, d).map(E::from_base_prime_field);
    }
    if base.is_empty() {
        return uniform_sums(&ext, pairs, d);
    }
    let acc = map_reduce(
        pairs,
        |r| {
            let mut acc = [E::Acc::default(); 3];
            for j in r {
                let (lb, le) = (lines(&base, j), lines(&ext, j));
                for (a, &p) in acc.iter_mut().zip(POINTS.iter()).take(d) {
                    E::mul_base_acc(a, &product(&le, ext.len(), p), &product(&lb, base.len(), p));
                }
            }
            acc
        },
        merge3::<E>,
    );
    acc.map(E::reduce)
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
    #[error("sum-check degree {degree} is not supported (1 to {MAX_DEGREE})")]
    UnsupportedDegree {
        /// The degree asked for.
        degree: usize,
    },
    /// The final evaluation does not match the claim left by the last round.
    #[error("final evaluation does not match the sum-check claim")]
    FinalEvaluation,
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
    let mut result = E::ZERO;
    for (i, &v) in values.iter().enumerate() {
        let mut num = E::ONE;
        let mut den = E::ONE;
        for j in (0..d).filter(|&j| j != i) {
            num *= r - E::from(j as u64);
            den *= E::from(i as u64) - E::from(j as u64);
        }
        // `den` is a product of non-zero small integers, invertible in any field of size > d.
        result += v * num * den.inverse().unwrap_or(E::ZERO);
    }
    result
}

/// The full round polynomial values `g(0), g(1), …, g(d)` from a message and the running claim.
fn full_evals<E: Field>(msg: &[E], claim: E) -> Vec<E> {
    let mut v = Vec::with_capacity(msg.len() + 1);
    v.push(msg[0]);
    v.push(claim - msg[0]);
    v.extend_from_slice(&msg[1..]);
    v
}

fn absorb_header<E: Field>(t: &mut Transcript, num_vars: usize, degree: usize, claim: &E) {
    t.domain_separator(b"sumcheck", &[num_vars as u64, degree as u64]);
    t.append_field(b"sumcheck-claim", claim);
}

/// Proves `claim = Σ_x instance(x)`. The claim must be the true sum (the prover does not check it;
/// a false claim yields a proof that fails verification).
pub fn prove<F: BaseField, E: ExtField<F>>(
    mut instance: Instance<F, E>,
    claim: E,
    transcript: &mut Transcript,
) -> ProverOutput<E> {
    let (n, d) = (instance.num_vars, instance.degree);
    absorb_header(transcript, n, d, &claim);
    let mut claim = claim;
    let mut rounds = Vec::with_capacity(n);
    let mut point = Vec::with_capacity(n);
    for _ in 0..n {
        let evals = instance.round_sums();
        transcript.append_fields(b"sumcheck-round", &evals);
        let r: E = transcript.challenge_field(b"sumcheck-challenge");
        claim = interpolate(&full_evals(&evals, claim), r);
        for t in instance.tables.iter_mut() {
            t.fold(r);
        }
        rounds.push(RoundMessage { evals });
        point.push(r);
    }
    let table_values = instance.tables.iter().map(|t| t.get(0)).collect();
    ProverOutput {
        proof: Proof { rounds },
        point,
        table_values,
    }
}

/// Verifies a proof that `claim` is the sum of a `num_vars`-variable polynomial of degree
/// `degree`; returns the evaluation claim the caller must discharge.
pub fn verify<E: Field>(
    num_vars: usize,
    degree: usize,
    claim: E,
    proof: &Proof<E>,
    transcript: &mut Transcript,
) -> Result<EvaluationClaim<E>, SumcheckError> {
    if degree == 0 || degree > MAX_DEGREE {
        return Err(SumcheckError::UnsupportedDegree { degree });
    }
    if proof.rounds.len() != num_vars {
        return Err(SumcheckError::RoundCount {
            expected: num_vars,
            got: proof.rounds.len(),
        });
    }
    if let Some((round, m)) = proof
        .rounds
        .iter()
        .enumerate()
        .find(|(_, m)| m.evals.len() != degree)
    {
        return Err(SumcheckError::MessageLength {
            round,
            expected: degree,
            got: m.evals.len(),
        });
    }
    absorb_header(transcript, num_vars, degree, &claim);
    let mut claim = claim;
    let mut point = Vec::with_capacity(num_vars);
    for m in &proof.rounds {
        transcript.append_fields(b"sumcheck-round", &m.evals);
        let r: E = transcript.challenge_field(b"sumcheck-challenge");
        claim = interpolate(&full_evals(&m.evals, claim), r);
        point.push(r);
    }
    Ok(EvaluationClaim {
        point,
        value: claim,
    })
}
