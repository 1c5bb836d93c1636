//! The sum-check prover: round messages from per-term sums (values at 0, at 2 for degree 3, and
//! the product of slopes), base-field first round, delayed-reduction accumulation.

use super::{
    absorb_header, full_evals, interpolate, Instance, Proof, ProverOutput, RoundMessage, Term,
    MAX_DEGREE,
};
use crate::field::{BaseField, ExtField, MulAcc};
use crate::parallel::map_reduce;
use crate::poly::Mle;
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use merlin::Transcript;

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

pub(super) fn split_factors<'a, F, E>(
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

/// [`factor`] for each of `K` tables at pair `j`: values at 0, slopes, values at 2.
#[inline(always)]
fn factors<T: Field, const K: usize>(
    tables: &[&[T]; K],
    j: usize,
    at2: bool,
) -> ([T; K], [T; K], [T; K]) {
    let (mut v0, mut sl, mut v2) = ([T::ZERO; K], [T::ZERO; K], [T::ZERO; K]);
    for i in 0..K {
        (v0[i], sl[i], v2[i]) = factor(pair(tables[i], j), at2);
    }
    (v0, sl, v2)
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
                let (v0, sl, v2) = factors(&tables, j, need.at2);
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
                let (b0, bs, b2) = factors(&base, j, need.at2);
                let (e0, es, e2) = factors(&ext, j, need.at2);
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

/// Proves `claim = Σ_x instance(x)`. The claim must be the true sum (the prover does not check it;
/// a false claim yields a proof that fails verification).
pub fn prove<F: BaseField, E: ExtField<F>>(
    instance: Instance<F, E>,
    claim: E,
    transcript: &mut Transcript,
) -> ProverOutput<E> {
    absorb_header(transcript, instance.num_vars, instance.degree, &claim);
    let prover = RoundProver::new(instance, claim);
    rest_rounds(prover, Vec::new(), Vec::new(), transcript)
}

/// [`prove`] for an instance of `num_vars ≥ 1` variables and degree `degree` whose first round
/// the caller computes on tables it only borrows (an opening reads the committed tables in
/// place instead of copying them into an instance): `first` is that round's message (`g(0)`,
/// `g(2)`, …, as [`RoundProver::message`] gives it), and `rest(r)` the instance with its first
/// variable bound to the challenge `r`. The transcript, proof and output are [`prove`]'s on the
/// whole instance.
pub fn prove_after_first_round<F: BaseField, E: ExtField<F>>(
    num_vars: usize,
    degree: usize,
    claim: E,
    first: Vec<E>,
    rest: impl FnOnce(E) -> Instance<F, E>,
    transcript: &mut Transcript,
) -> ProverOutput<E> {
    absorb_header(transcript, num_vars, degree, &claim);
    transcript.append_fields(b"sumcheck-round", &first);
    let r: E = transcript.challenge_field(b"sumcheck-challenge");
    let claim = interpolate(&full_evals(&first, claim), r);
    let instance = rest(r);
    debug_assert_eq!((instance.num_vars + 1, instance.degree), (num_vars, degree));
    let prover = RoundProver::new(instance, claim);
    rest_rounds(
        prover,
        vec![RoundMessage { evals: first }],
        vec![r],
        transcript,
    )
}

/// The rounds `prover` has left, after `rounds` at the challenges `point`.
fn rest_rounds<F: BaseField, E: ExtField<F>>(
    mut prover: RoundProver<F, E>,
    mut rounds: Vec<RoundMessage<E>>,
    mut point: Vec<E>,
    transcript: &mut Transcript,
) -> ProverOutput<E> {
    for _ in 0..prover.num_vars() {
        let evals = prover.message();
        transcript.append_fields(b"sumcheck-round", &evals);
        let r: E = transcript.challenge_field(b"sumcheck-challenge");
        prover.bind(&evals, r);
        rounds.push(RoundMessage { evals });
    }
    let (rest, table_values) = prover.finish();
    point.extend(rest);
    ProverOutput {
        proof: Proof { rounds },
        point,
        table_values,
    }
}

/// The sum-check prover one round at a time, for protocols that interleave their own steps
/// between rounds (Basefold folds and commits a codeword after each challenge).
///
/// Call order: `new`, then for each of the `num_vars()` rounds `message()` (absorb it), draw
/// `r`, `bind(&message, r)`; then `finish()`. The transcript is the caller's: [`prove`] is this
/// loop with the sum-check's own labels.
pub struct RoundProver<F, E> {
    tables: Vec<Mle<F, E>>,
    terms: Vec<Term<E>>,
    degree: usize,
    claim: E,
    point: Vec<E>,
}

impl<F: BaseField, E: ExtField<F>> RoundProver<F, E> {
    /// Starts proving that `claim` is the sum of `instance` (the true sum; see [`prove`]).
    pub fn new(instance: Instance<F, E>, claim: E) -> Self {
        let n = instance.num_vars;
        Self {
            tables: instance.tables,
            terms: instance.terms,
            degree: instance.degree,
            claim,
            point: Vec::with_capacity(n),
        }
    }

    /// Rounds left.
    pub fn num_vars(&self) -> usize {
        self.tables.first().map_or(0, |t| t.num_vars())
    }

    /// This round's message `g(0), g(2), …, g(d)` (at least one variable left).
    pub fn message(&self) -> Vec<E> {
        round_message(&self.tables, &self.terms, self.degree, self.claim)
    }

    /// Binds this round's variable to `r` (`message` is what [`Self::message`] returned).
    pub fn bind(&mut self, message: &[E], r: E) {
        self.claim = interpolate(&full_evals(message, self.claim), r);
        for t in self.tables.iter_mut() {
            t.fold(r);
        }
        self.point.push(r);
    }

    /// The running claim: the sum over the variables left.
    pub fn claim(&self) -> E {
        self.claim
    }

    /// The tables over the variables left, in instance order, for protocols that stop this
    /// sum-check between rounds and continue with another (Basefold's joint openings reduce the
    /// running sum and a joining commitment's claims to one point).
    pub fn into_tables(self) -> Vec<Mle<F, E>> {
        self.tables
    }

    /// The challenges and each table's value there (call once every variable is bound).
    pub fn finish(self) -> (Vec<E>, Vec<E>) {
        let values = self.tables.iter().map(|t| t.get(0)).collect();
        (self.point, values)
    }
}
