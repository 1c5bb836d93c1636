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
}

/// `[g(0), g(2), …, g(d)]` for the current round (at least one variable left), given the
/// running claim `g(0) + g(1)`.
fn round_message<F: BaseField, E: ExtField<F>>(
    tables: &[Mle<F, E>],
    terms: &[Term<E>],
    d: usize,
    claim: E,
) -> Vec<E> {
    let mut s = [E::ZERO; 3];
    for term in terms {
        let t = term_sums(tables, &term.factors, d);
        for (si, ti) in s.iter_mut().zip(t) {
            *si += term.coeff * ti;
        }
    }
    message(d, s[0], s[1], s[2], claim)
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

/// Per-term sums that determine a round polynomial of degree `d ≤ 3` together with
/// `g(1) = claim − g(0)`: `Σ_j P_j(0)`, `Σ_j P_j(2)` (needed only when `d = 3`), and the sum of
/// the products of the factors' slopes, which is the `X^k` coefficient of a `k`-factor term
/// (needed only when `k = d`; a term with fewer factors adds nothing to `X^d`).
#[derive(Clone, Copy)]
struct Needs {
    at2: bool,
    lead: bool,
}

/// A factor's pair `(a, b)`: its value at 0, its slope `b − a`, its value at 2.
#[inline(always)]
fn factor<T: Field>((a, b): (T, T), at2: bool) -> (T, T, T) {
    let slope = b - a;
    (a, slope, if at2 { b + slope } else { T::ZERO })
}

/// Entries `2j` and `2j + 1`.
#[inline(always)]
fn pair<T: Copy>(t: &[T], j: usize) -> (T, T) {
    (t[2 * j], t[2 * j + 1])
}

fn merge3<T: MulAcc>(a: [T::Acc; 3], b: [T::Acc; 3]) -> [T::Acc; 3] {
    [
        T::merge(a[0], b[0]),
        T::merge(a[1], b[1]),
        T::merge(a[2], b[2]),
    ]
}

fn add3<T: Field>(mut a: [T; 3], b: [T; 3]) -> [T; 3] {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
    a
}

/// `Π_i v_i` over the first `K − 1` entries with `mul_fast`; the last is left to `mul_acc`.
#[inline(always)]
fn head_product<T: MulAcc, const K: usize>(v: &[T; K]) -> T {
    let mut p = v[0];
    for x in &v[1..K - 1] {
        p = T::mul_fast(&p, x);
    }
    p
}

/// Sums for a term whose `K` factors are all in one field `T`.
fn uniform_sums<T: MulAcc, const K: usize>(tables: [&[T]; K], pairs: usize, need: Needs) -> [T; 3] {
    if K == 1 {
        // A single factor: the sums are linear, no products at all.
        let t = tables[0];
        return map_reduce(
            pairs,
            |r| {
                r.fold([T::ZERO; 3], |mut acc, j| {
                    let (a, s, two) = factor(pair(t, j), need.at2);
                    acc[0] += a;
                    if need.at2 {
                        acc[1] += two;
                    }
                    if need.lead {
                        acc[2] += s;
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
                let (mut v0, mut sl, mut v2) = ([T::ZERO; K], [T::ZERO; K], [T::ZERO; K]);
                for i in 0..K {
                    (v0[i], sl[i], v2[i]) = factor(pair(tables[i], j), need.at2);
                }
                T::mul_acc(&mut acc[0], &head_product(&v0), &v0[K - 1]);
                if need.at2 {
                    T::mul_acc(&mut acc[1], &head_product(&v2), &v2[K - 1]);
                }
                if need.lead {
                    T::mul_acc(&mut acc[2], &head_product(&sl), &sl[K - 1]);
                }
            }
            acc
        },
        merge3::<T>,
    );
    acc.map(T::reduce)
}

/// `Π` of `K` values (`K ≥ 1`).
#[inline(always)]
fn full_product<T: MulAcc, const K: usize>(v: &[T; K]) -> T {
    let mut p = v[0];
    for x in &v[1..] {
        p = T::mul_fast(&p, x);
    }
    p
}

/// Sums for a term with `KB ≥ 1` base-field factors and `KE ≥ 1` extension factors: the base
/// part multiplied in `F`, the extension part in `E`, joined by one multiply-accumulate.
fn mixed_sums<F: BaseField, E: ExtField<F>, const KB: usize, const KE: usize>(
    base: [&[F]; KB],
    ext: [&[E]; KE],
    pairs: usize,
    need: Needs,
) -> [E; 3] {
    let acc = map_reduce(
        pairs,
        |r| {
            let mut acc = [E::Acc::default(); 3];
            for j in r {
                let (mut b0, mut bs, mut b2) = ([F::ZERO; KB], [F::ZERO; KB], [F::ZERO; KB]);
                for i in 0..KB {
                    (b0[i], bs[i], b2[i]) = factor(pair(base[i], j), need.at2);
                }
                let (mut e0, mut es, mut e2) = ([E::ZERO; KE], [E::ZERO; KE], [E::ZERO; KE]);
                for i in 0..KE {
                    (e0[i], es[i], e2[i]) = factor(pair(ext[i], j), need.at2);
                }
                E::mul_base_acc(&mut acc[0], &full_product(&e0), &full_product(&b0));
                if need.at2 {
                    E::mul_base_acc(&mut acc[1], &full_product(&e2), &full_product(&b2));
                }
                if need.lead {
                    E::mul_base_acc(&mut acc[2], &full_product(&es), &full_product(&bs));
                }
            }
            acc
        },
        merge3::<E>,
    );
    acc.map(E::reduce)
}

/// The [`Needs`] sums of one term, dispatched on how many of its factors are in `F` and in `E`.
fn term_sums<F: BaseField, E: ExtField<F>>(
    tables: &[Mle<F, E>],
    factors: &[usize],
    d: usize,
) -> [E; 3] {
    let (base, ext) = split_factors(tables, factors);
    let pairs = tables[0].len() / 2;
    let need = Needs {
        at2: d == 3,
        lead: factors.len() == d,
    };
    let lift = |s: [F; 3]| s.map(E::from_base_prime_field);
    match (base.as_slice(), ext.as_slice()) {
        (&[a], &[]) => lift(uniform_sums([a], pairs, need)),
        (&[a, b], &[]) => lift(uniform_sums([a, b], pairs, need)),
        (&[a, b, c], &[]) => lift(uniform_sums([a, b, c], pairs, need)),
        (&[], &[a]) => uniform_sums([a], pairs, need),
        (&[], &[a, b]) => uniform_sums([a, b], pairs, need),
        (&[], &[a, b, c]) => uniform_sums([a, b, c], pairs, need),
        (&[a], &[x]) => mixed_sums([a], [x], pairs, need),
        (&[a, b], &[x]) => mixed_sums([a, b], [x], pairs, need),
        (&[a], &[x, y]) => mixed_sums([a], [x, y], pairs, need),
        _ => unreachable!("Instance::new allows 1 to {MAX_DEGREE} factors"),
    }
}

/// The round message `g(0), g(2), …, g(d)` from the terms' summed sums and the running claim.
fn message<E: Field>(d: usize, at0: E, at2: E, lead: E, claim: E) -> Vec<E> {
    let at1 = claim - at0;
    match d {
        1 => vec![at0],
        // g(2) = 2·g(1) − g(0) + 2·c2.
        2 => vec![at0, at1.double() - at0 + lead.double()],
        // The third finite difference of a cubic is 6·c3: g(3) = g(0) − 3g(1) + 3g(2) + 6·c3.
        _ => {
            let three = E::from(3u64);
            vec![at0, at2, at0 + three * (at2 - at1) + E::from(6u64) * lead]
        }
    }
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
    instance: Instance<F, E>,
    claim: E,
    transcript: &mut Transcript,
) -> ProverOutput<E> {
    let (n, d) = (instance.num_vars, instance.degree);
    let (mut tables, terms) = (instance.tables, instance.terms);
    absorb_header(transcript, n, d, &claim);
    let mut claim = claim;
    let mut rounds = Vec::with_capacity(n);
    let mut point = Vec::with_capacity(n);
    for _ in 0..n {
        let evals = round_message(&tables, &terms, d, claim);
        transcript.append_fields(b"sumcheck-round", &evals);
        let r: E = transcript.challenge_field(b"sumcheck-challenge");
        claim = interpolate(&full_evals(&evals, claim), r);
        for t in tables.iter_mut() {
            t.fold(r);
        }
        rounds.push(RoundMessage { evals });
        point.push(r);
    }
    let table_values = tables.iter().map(|t| t.get(0)).collect();
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
