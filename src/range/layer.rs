//! One layer's reduction: a specialized prover for the degree-3 sum-check
//!
//! ```text
//!     a + λ·b = Σ_{x ∈ {0,1}^k} eq(r, x)·f(x),   f = p0·q1 + p1·q0 + λ·q0·q1,
//! ```
//!
//! over the child layer's halves `p_b(x) = p(x, b)`, `q_b(x) = q(x, b)`. Its messages are the
//! generic prover's ([`crate::sumcheck::prove`] on the tables `eq, p0, p1, q0, q1`, which the
//! tests compare against), computed faster:
//!
//! * **`eq` factored out** (Gruen, eprint 2024/108, §3): in round `j`,
//!   `g_j(X) = C_j · eq(r_j, X) · h_j(X)` with `C_j = Π_{i<j} eq(r_i, ρ_i)` and
//!   `h_j(X) = Σ_{x'} eq(r_{>j}, x') · f(ρ_{<j}, X, x')` of degree 2. The prover sums `h_j(0)`
//!   and the `X²` coefficient of `h_j` and derives `h_j(1)` from the running claim
//!   `claim_j = C_j·((1 − r_j)·h_j(0) + r_j·h_j(1))` (it sums `h_j(1)` directly in the rare
//!   case `C_j·r_j = 0`). No `eq` table is folded.
//! * **Split weights** (Dao–Thaler, eprint 2024/1210, §5): `eq(r_{>j}, ·)` is the product of
//!   two tables over about half the variables each; the inner sums are weighted by the low
//!   table and each block's total by one entry of the high table. No `2^{k−1}`-entry `eq`
//!   table is built.
//! * **`λ` inside the sum**: `f = p0·q1 + q0·(p1 + λ·q1)` takes three products and one
//!   multiply-accumulate per point, for `h_j(0)` and for the `X²` coefficient (`f` at the slopes).
//! * **Entries hold the four halves side by side**: a layer is stored as `[p0, q0, p1, q1]`
//!   per `x` (the child's nodes `2x` and `2x + 1`), which is the child layer's own order, so the
//!   first round reads the child in place, with no copies.
//! * **Fold and sum in one pass**: after `ρ_j`, each pair is folded in place and the folded
//!   pair is summed for round `j + 1` while still in registers.
//! * **Leaves stay in `F`**: the leaves' first round sums base-field products (`q = α − c`, so
//!   `q0·q1 = α² − α(c0 + c1) + c0·c1`), and the columns tree (numerators all 1) keeps only
//!   `[q0, q1]` per entry.
//! * **The padding in closed form**: a table is a dense prefix and a constant tail
//!   ([`Padded`]: the columns tree's nodes over its zero padding are all alike). Folding keeps
//!   the tail (`a + ρ·(a − a) = a`); a round's sums over the tail's pairs are `f(tail)` times
//!   `Σ_{i ≥ P} eq(r_{>j}, i)` (closed form, [`eq_suffix_sum`]) for `h(0)` and 0 for the `X²`
//!   coefficient (the slopes vanish). Only the dense pairs are computed or stored.

use super::prover::{Leaves, Parents};
use super::Halves;
use crate::field::{BaseField, ExtField, MulAcc};
use crate::parallel::{collect_indexed, map_reduce, map_reduce_chunks_mut, num_threads};
use crate::poly::eq_table;
use crate::sumcheck::zk::Mask;
use crate::sumcheck::{self, RoundMessage};
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use merlin::Transcript;
use std::ops::Range;

/// One entry of a layer's table: the halves at one `x`.
pub(crate) trait Entry<E: MulAcc>: Copy + Send + Sync {
    /// `a + r·(b − a)`, slot by slot.
    fn fold(a: &Self, b: &Self, r: &E) -> Self;
    /// Adds `w·f(a)` to `acc[0]` and `w·f(b − a)` (the `X²` coefficient), or a part of them
    /// that [`Entry::finish`] completes, to `acc[1]`.
    fn sums(acc: &mut [E::Acc; 2], w: &E, a: &Self, b: &Self, lambda: &E);
    /// Completes a block's reduced sums.
    fn finish(sums: [E; 2], lambda: &E) -> [E; 2];
    /// `[p0, q0, p1, q1]`.
    fn full(&self) -> [E; 4];
}

/// `f = p0·q1 + q0·(p1 + λ·q1)` on `[p0, q0, p1, q1]`.
#[inline(always)]
fn f4<E: MulAcc>(x: &[E; 4], lambda: &E) -> E {
    let t = E::add_mul_fast(&x[2], lambda, &x[3]);
    E::add_mul_fast(&E::mul_fast(&x[0], &x[3]), &x[1], &t)
}

/// `[p0, q0, p1, q1]`.
impl<E: MulAcc> Entry<E> for [E; 4] {
    #[inline(always)]
    fn fold(a: &Self, b: &Self, r: &E) -> Self {
        [0, 1, 2, 3].map(|i| E::add_mul_fast(&a[i], r, &(b[i] - a[i])))
    }

    #[inline(always)]
    fn sums(acc: &mut [E::Acc; 2], w: &E, a: &Self, b: &Self, lambda: &E) {
        E::mul_acc(&mut acc[0], w, &f4(a, lambda));
        let s = [b[0] - a[0], b[1] - a[1], b[2] - a[2], b[3] - a[3]];
        E::mul_acc(&mut acc[1], w, &f4(&s, lambda));
    }

    #[inline(always)]
    fn finish(sums: [E; 2], _: &E) -> [E; 2] {
        sums
    }

    fn full(&self) -> [E; 4] {
        *self
    }
}

/// `[q0, q1]` with `p0 = p1 = 1`: `f = q0 + q1·(1 + λ·q0)`, whose `X²` coefficient is
/// `λ·Δq0·Δq1` (`λ` applied once per block).
impl<E: MulAcc> Entry<E> for [E; 2] {
    #[inline(always)]
    fn fold(a: &Self, b: &Self, r: &E) -> Self {
        [0, 1].map(|i| E::add_mul_fast(&a[i], r, &(b[i] - a[i])))
    }

    #[inline(always)]
    fn sums(acc: &mut [E::Acc; 2], w: &E, a: &Self, b: &Self, lambda: &E) {
        let t = E::add_mul_fast(&E::ONE, lambda, &a[0]);
        E::mul_acc(&mut acc[0], w, &E::add_mul_fast(&a[0], &a[1], &t));
        E::mul_acc(&mut acc[1], w, &E::mul_fast(&(b[0] - a[0]), &(b[1] - a[1])));
    }

    #[inline(always)]
    fn finish(sums: [E; 2], lambda: &E) -> [E; 2] {
        [sums[0], sums[1] * lambda]
    }

    fn full(&self) -> [E; 4] {
        [E::ONE, self[0], E::ONE, self[1]]
    }
}

/// A table of `len` entries: `dense`, then `len − dense.len()` copies of `tail` (a fraction
/// tree's layer, whose nodes over the columns' zero padding are all alike).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Padded<T> {
    /// The first entries (at least one).
    pub(crate) dense: Vec<T>,
    /// Every entry after them.
    pub(crate) tail: T,
    /// Entries in all.
    pub(crate) len: usize,
}

/// The dense entries to compute for a table of `len` entries whose first `needed` are not the
/// tail: a multiple of 4 (at most `len`), so that the rounds' boundary moves
/// ([`Padded::align`]) never grow a freshly built table (a reallocation and a copy).
pub(crate) fn dense_count(needed: usize, len: usize) -> usize {
    needed.next_multiple_of(4).min(len)
}

impl<T: Copy> Padded<T> {
    /// Entry `i < len`.
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> T {
        self.dense.get(i).copied().unwrap_or(self.tail)
    }

    /// Moves the dense boundary up to a multiple of `m` (at most `len`): the same table.
    fn align(&mut self, m: usize) {
        let target = self.dense.len().next_multiple_of(m).min(self.len);
        if target > self.dense.len() {
            self.dense.resize(target, self.tail);
        }
    }

    /// All `len` entries.
    pub(crate) fn to_vec(&self) -> Vec<T> {
        (0..self.len).map(|i| self.get(i)).collect()
    }
}

/// `Σ_{i ∈ [from, 2^{|r|})} eq(r, i)` in `O(|r|)` (0 when `from ≥ 2^{|r|}`): one minus the
/// prefix sum, read off `from`'s bits — `i < from` iff at the highest bit where they differ
/// `from` has a 1, so `Σ_{i < from} eq(r, i) = Σ_{b: from_b = 1} (1 − r_b)·Π_{c > b} eq(r_c,
/// from_c)` (the bits below `b` are free and their weights sum to 1).
pub(crate) fn eq_suffix_sum<E: Field>(r: &[E], from: usize) -> E {
    let m = r.len();
    if m < usize::BITS as usize && from >> m != 0 {
        return E::ZERO;
    }
    let mut prefix = E::ZERO;
    let mut above = E::ONE;
    for (b, &x) in r.iter().enumerate().rev() {
        if (from >> b) & 1 == 1 {
            prefix += above * (E::ONE - x);
            above *= x;
        } else {
            above *= E::ONE - x;
        }
    }
    E::ONE - prefix
}

/// The child of a layer's reduction: an internal layer (owned: it is folded in place), or the
/// leaves.
pub(crate) enum Child<'a, F: Clone, E> {
    /// Entries `[p0, q0, p1, q1]`.
    Layer(Padded<[E; 4]>),
    /// The leaves' parents, recomputed from the leaves (never stored whole).
    Parents(Parents<'a, F, E>),
    /// Base-field leaves.
    Leaves(&'a Leaves<'a, F>),
}

/// Round `j`'s weights `eq(r_{>j}, i) = lo[i mod |lo|] · hi[⌊i / |lo|⌋]`.
pub(crate) struct Weights<E> {
    pub(crate) lo: Vec<E>,
    pub(crate) hi: Vec<E>,
}

impl<E: MulAcc> Weights<E> {
    /// The weights of every round for the claim point `r` (`k ≥ 1` coordinates): the high
    /// table covers the last `⌊(k − 1)/2⌋` coordinates until the low one runs out; each table
    /// is the previous round's with its first variable summed out (pairs added:
    /// `Σ_b eq(r_a, b) = 1`).
    pub(crate) fn for_rounds(r: &[E]) -> Vec<Self> {
        let k = r.len();
        let hi_vars = (k - 1) / 2;
        let split = k - hi_vars;
        let sum_pairs = |t: &[E]| collect_indexed(t.len() / 2, |i| t[2 * i] + t[2 * i + 1]);
        let mut rounds: Vec<Self> = Vec::with_capacity(k);
        rounds.push(Self {
            lo: eq_table(&r[1.min(k)..split]),
            hi: eq_table(&r[split..]),
        });
        for _ in 1..k {
            let last = &rounds[rounds.len() - 1];
            let next = if last.lo.len() > 1 {
                Self {
                    lo: sum_pairs(&last.lo),
                    hi: last.hi.clone(),
                }
            } else {
                Self {
                    lo: last.lo.clone(),
                    hi: sum_pairs(&last.hi),
                }
            };
            rounds.push(next);
        }
        rounds
    }

    /// Number of pairs (`2^{k−1−j}`).
    pub(crate) fn len(&self) -> usize {
        self.lo.len() * self.hi.len()
    }

    /// The weight of pair `i`.
    pub(crate) fn get(&self, i: usize) -> E {
        let l = self.lo.len();
        self.lo[i % l] * self.hi[i / l]
    }

    /// `Σ_{i ∈ range} w(i)·v(i)` as two accumulators, where `inner(acc, lo_weight, i)` adds
    /// the low-weighted values of pair `i` and `finish` turns a block's reduced inner sums
    /// into its two values.
    pub(crate) fn sum<const A: usize>(
        &self,
        range: Range<usize>,
        mut inner: impl FnMut(&mut [E::Acc; A], &E, usize),
        finish: impl Fn([E; A]) -> [E; 2],
    ) -> [E::Acc; 2] {
        let l = self.lo.len();
        let mut out = [E::Acc::default(); 2];
        let mut i = range.start;
        while i < range.end {
            let h = i / l;
            let end = range.end.min((h + 1) * l);
            let mut acc = [E::Acc::default(); A];
            for j in i..end {
                inner(&mut acc, &self.lo[j - h * l], j);
            }
            let v = finish(acc.map(E::reduce));
            E::mul_acc(&mut out[0], &self.hi[h], &v[0]);
            E::mul_acc(&mut out[1], &self.hi[h], &v[1]);
            i = end;
        }
        out
    }
}

pub(crate) fn merge2<E: MulAcc>(a: [E::Acc; 2], b: [E::Acc; 2]) -> [E::Acc; 2] {
    [E::merge(a[0], b[0]), E::merge(a[1], b[1])]
}

/// `[h(0), X² coefficient of h]` over the pairs `(t[2i], t[2i + 1])`.
#[cfg(test)]
fn table_sums<E: MulAcc, T: Entry<E>>(t: &[T], w: &Weights<E>, lambda: &E) -> [E; 2] {
    entry_sums(t.len() / 2, w, lambda, |i| t[i])
}

/// `table_sums` over `pairs` pairs of entries given by `entry`.
fn entry_sums<E: MulAcc, T: Entry<E>>(
    pairs: usize,
    w: &Weights<E>,
    lambda: &E,
    entry: impl Fn(usize) -> T + Sync,
) -> [E; 2] {
    let acc = map_reduce(
        pairs,
        |range| {
            w.sum::<2>(
                range,
                |acc, e, i| T::sums(acc, e, &entry(2 * i), &entry(2 * i + 1), lambda),
                |v| T::finish(v, lambda),
            )
        },
        merge2::<E>,
    );
    acc.map(E::reduce)
}

/// Output entries per parallel chunk when folding to `half` entries (even, so that chunks hold
/// whole pairs of the next round).
pub(crate) fn chunk_size(half: usize) -> usize {
    if half >= crate::parallel::PAR_THRESHOLD {
        (half.div_ceil(num_threads()) + 1) & !1
    } else {
        half.max(1)
    }
}

/// Folds `t` in place at `r` (it halves) and, when the next round's weights are given, returns
/// its sums, computed on each folded pair as it is written.
fn fold_and_sum<E: MulAcc, T: Entry<E>>(
    t: &mut Vec<T>,
    r: E,
    next: Option<&Weights<E>>,
    lambda: &E,
) -> Option<[E; 2]> {
    let half = t.len() / 2;
    let size = chunk_size(half);
    let acc = map_reduce_chunks_mut(
        t,
        2 * size,
        |c, chunk| {
            let outs = chunk.len() / 2;
            match next {
                Some(w) => {
                    // This chunk's outputs are the next round's pairs `base …`.
                    let base = c * size / 2;
                    w.sum::<2>(
                        base..base + outs / 2,
                        |acc, e, i| {
                            let m = i - base;
                            let x = T::fold(&chunk[4 * m], &chunk[4 * m + 1], &r);
                            let y = T::fold(&chunk[4 * m + 2], &chunk[4 * m + 3], &r);
                            chunk[2 * m] = x;
                            chunk[2 * m + 1] = y;
                            T::sums(acc, e, &x, &y, lambda);
                        },
                        |v| T::finish(v, lambda),
                    )
                }
                None => {
                    for j in 0..outs {
                        chunk[j] = T::fold(&chunk[2 * j], &chunk[2 * j + 1], &r);
                    }
                    [E::Acc::default(); 2]
                }
            }
        },
        merge2::<E>,
    );
    for c in 1..half.div_ceil(size) {
        let len = size.min(half - c * size);
        t.copy_within(2 * c * size..2 * c * size + len, c * size);
    }
    t.truncate(half);
    next.and(acc).map(|a| a.map(E::reduce))
}

/// `h(1) = Σ_i w(i)·f(entry 2i + 1)` summed directly (for the rare rounds where it cannot be
/// derived from the claim), over the first `pairs` pairs and `tail` after them (`rest` the
/// weights' coordinates `r_{>j}`).
fn sum_at_one<E: MulAcc>(
    w: &Weights<E>,
    rest: &[E],
    pairs: usize,
    tail: [E; 4],
    lambda: E,
    entry: impl Fn(usize) -> [E; 4] + Sync,
) -> E {
    let dense = map_reduce(
        pairs,
        |range| {
            range
                .map(|i| w.get(i) * f4(&entry(2 * i + 1), &lambda))
                .sum::<E>()
        },
        |a, b| a + b,
    );
    dense + f4(&tail, &lambda) * eq_suffix_sum(rest, pairs)
}

/// The tail's part of a round's `[h(0), X² coefficient]`: pairs `from …` are `(tail, tail)`,
/// so `f(tail)·Σ_{i ≥ from} eq(rest, i)` and 0 (the slopes vanish).
fn tail_sums<E: MulAcc, T: Entry<E>>(tail: &T, rest: &[E], from: usize, lambda: &E) -> [E; 2] {
    [
        f4(&tail.full(), lambda) * eq_suffix_sum(rest, from),
        E::ZERO,
    ]
}

fn add2<E: Field>(a: [E; 2], b: [E; 2]) -> [E; 2] {
    [a[0] + b[0], a[1] + b[1]]
}

/// A padded table's `[h(0), X² coefficient]` for round `j` (`rest = r_{>j}`); its dense part
/// has an even length.
fn padded_sums<E: MulAcc, T: Entry<E>>(
    table: &Padded<T>,
    w: &Weights<E>,
    rest: &[E],
    lambda: &E,
) -> [E; 2] {
    let pairs = table.dense.len() / 2;
    add2(
        entry_sums(pairs, w, lambda, |i| table.dense[i]),
        tail_sums(&table.tail, rest, pairs, lambda),
    )
}

/// The zero-knowledge additions to a layer's rounds ([`super::zk`]): a constant `ℓ` added to
/// the summand (`Σ_x eq(r, x)·(f(x) + ℓ)`: `h_j` grows by `ℓ`), and `ρ` times the Libra mask's
/// part of each round ([`Mask::round`]) added to the message, as
/// [`crate::sumcheck::zk::prove_masked_with`] does over its instance's variables.
pub(crate) struct ZkHook<'a, E: Field> {
    pub(crate) mask: &'a Mask<E>,
    pub(crate) rho: E,
    pub(crate) ell: E,
    /// `Σ_{i<j} g_i(ρ_i)` so far.
    pub(crate) prefix: E,
}

/// The running state of the round polynomials `g_j = C_j·eq(r_j, X)·h_j(X)`.
pub(crate) struct Rounds<'a, E: Field> {
    r: &'a [E],
    lambda: E,
    claim: E,
    c: E,
    point: Vec<E>,
    messages: Vec<RoundMessage<E>>,
    zk: Option<ZkHook<'a, E>>,
}

impl<'a, E: Field> Rounds<'a, E> {
    /// Starts the rounds of a sum-check of `Σ eq(r, x)·f(x) = claim` (`f` of degree 2).
    pub(crate) fn new(r: &'a [E], lambda: E, claim: E) -> Self {
        Self {
            r,
            lambda,
            claim,
            c: E::ONE,
            point: Vec::with_capacity(r.len()),
            messages: Vec::with_capacity(r.len()),
            zk: None,
        }
    }

    /// The proof and the challenges.
    pub(crate) fn finish(self) -> (sumcheck::Proof<E>, Vec<E>) {
        (
            sumcheck::Proof {
                rounds: self.messages,
            },
            self.point,
        )
    }

    /// Whether round `j`'s `h(1)` must be summed directly.
    pub(crate) fn needs_at_one(&self, j: usize) -> bool {
        (self.c * self.r[j]).is_zero()
    }

    /// Sends round `j`'s message from `[h(0), X² coefficient]`, draws `ρ_j`, updates the claim
    /// and `C`.
    pub(crate) fn round(
        &mut self,
        j: usize,
        [h0, lead]: [E; 2],
        at_one: Option<E>,
        t: &mut Transcript,
    ) -> E {
        let (r, c) = (self.r[j], self.c);
        let ell = self.zk.as_ref().map_or(E::ZERO, |z| z.ell);
        let (h0, at_one) = (h0 + ell, at_one.map(|h1| h1 + ell));
        let h1 = match at_one {
            Some(h1) => h1,
            None => {
                // claim = C·((1 − r)·h(0) + r·h(1)); C·r ≠ 0 here.
                let inv = (c * r).inverse().unwrap_or(E::ZERO);
                (self.claim - c * (E::ONE - r) * h0) * inv
            }
        };
        let h = |x: E| h0 + (h1 - h0 - lead) * x + lead * x * x;
        let eq_r = |x: E| r * x + (E::ONE - r) * (E::ONE - x);
        let g = |x: E| c * eq_r(x) * h(x);
        let mut evals = vec![g(E::ZERO), g(E::from(2u64)), g(E::from(3u64))];
        if let Some(z) = &self.zk {
            for (e, m) in evals.iter_mut().zip(z.mask.round(j, z.prefix, 3)) {
                *e += z.rho * m;
            }
        }
        t.append_fields(b"sumcheck-round", &evals);
        let rho: E = t.challenge_field(b"sumcheck-challenge");
        if let Some(z) = &mut self.zk {
            z.prefix += z.mask.univariate(j, rho);
        }
        self.claim = g(rho);
        self.c *= eq_r(rho);
        self.point.push(rho);
        self.messages.push(RoundMessage { evals });
        rho
    }
}

/// Proves one layer: the claim `claim = a + λ·b` on the parent at `point` (`k ≥ 1`
/// coordinates) against the child; returns the proof, its point `r'` and the halves there.
pub(crate) fn prove<F: BaseField, E: ExtField<F>>(
    child: Child<F, E>,
    point: &[E],
    lambda: E,
    claim: E,
    alpha: E,
    t: &mut Transcript,
) -> (sumcheck::Proof<E>, Vec<E>, Halves<E>) {
    sumcheck::absorb_header(t, point.len(), 3, &claim);
    let (proof, point, halves, _) = prove_rounds(child, point, lambda, claim, alpha, None, t);
    (proof, point, halves)
}

/// The rounds of [`prove`] without the sum-check's header (a masked sum-check absorbs its
/// own), with the zero-knowledge additions if `zk` is given; also returns the mask's prefix
/// `Σ_j g_j(ρ_j)` (0 without `zk`).
pub(crate) fn prove_rounds<'a, F: BaseField, E: ExtField<F>>(
    child: Child<F, E>,
    point: &'a [E],
    lambda: E,
    claim: E,
    alpha: E,
    zk: Option<ZkHook<'a, E>>,
    t: &mut Transcript,
) -> (sumcheck::Proof<E>, Vec<E>, Halves<E>, E) {
    let weights = Weights::for_rounds(point);
    let mut rounds = Rounds::new(point, lambda, claim);
    rounds.zk = zk;
    // Round 0's weights are over r_{>0}.
    let rest = &point[1..];
    let halves = match child {
        Child::Layer(table) => rounds_on_table(table, 0, &weights, &mut rounds, t),
        Child::Parents(parents) => {
            // Round 0 on entries computed from the leaves (the dense ones; the tail in closed
            // form), then the folded table (half the layer) is stored.
            let w = &weights[0];
            let entry = |i: usize| parents.entry(i);
            let tail = parents.tail();
            let pairs = parents.dense_len() / 2;
            let s = add2(
                entry_sums(pairs, w, &lambda, entry),
                tail_sums(&tail, rest, pairs, &lambda),
            );
            let at_one = rounds
                .needs_at_one(0)
                .then(|| sum_at_one(w, rest, pairs, tail, lambda, entry));
            let rho = rounds.round(0, s, at_one, t);
            let len = parents.len() / 2;
            let dense: Vec<[E; 4]> = collect_indexed(dense_count(pairs, len), |i| {
                <[E; 4]>::fold(&parents.get(2 * i), &parents.get(2 * i + 1), &rho)
            });
            let table = Padded { dense, tail, len };
            rounds_on_table(table, 1, &weights, &mut rounds, t)
        }
        Child::Leaves(leaves) => {
            let den = &leaves.den;
            let w = &weights[0];
            match &leaves.num {
                Some(num) => {
                    // The table tree: no padding (`Leaves`: a tail only without numerators).
                    let entry = |i: usize| [num[2 * i], den[2 * i], num[2 * i + 1], den[2 * i + 1]];
                    let s = leaf_sums(w, alpha, lambda, entry);
                    let at_one = rounds.needs_at_one(0).then(|| {
                        sum_at_one(w, rest, w.len(), [E::ZERO; 4], lambda, |i| {
                            lift_entry(entry(i), alpha)
                        })
                    });
                    let rho = rounds.round(0, s, at_one, t);
                    let dense: Vec<[E; 4]> = collect_indexed(den.len() / 4, |i| {
                        let (a, b) = (entry(2 * i), entry(2 * i + 1));
                        let f = |j: usize| E::add_base_mul_base(&a[j], &rho, &(b[j] - a[j]));
                        [f(0), alpha - f(1), f(2), alpha - f(3)]
                    });
                    let len = dense.len();
                    let table = Padded {
                        dense,
                        tail: [E::ZERO; 4],
                        len,
                    };
                    rounds_on_table(table, 1, &weights, &mut rounds, t)
                }
                None => {
                    // Entries [c0, c1] up to den's end; after it the padding, c = 0: its
                    // pairs add nothing to the sums below but their constant (which covers
                    // every pair), and fold to [α, α].
                    let entry = |i: usize| [den[2 * i], den[2 * i + 1]];
                    let pairs = den.len() / 4;
                    let s = leaf_sums_ones(w, pairs, alpha, lambda, entry);
                    let tail = [alpha, alpha];
                    let at_one = rounds.needs_at_one(0).then(|| {
                        sum_at_one(w, rest, pairs, tail.full(), lambda, |i| {
                            let [c0, c1] = entry(i);
                            lift_entry([F::ONE, c0, F::ONE, c1], alpha)
                        })
                    });
                    let rho = rounds.round(0, s, at_one, t);
                    let len = 1 << (leaves.vars() - 2);
                    let dense: Vec<[E; 2]> = collect_indexed(dense_count(pairs, len), |i| {
                        if i >= pairs {
                            return tail;
                        }
                        let (a, b) = (entry(2 * i), entry(2 * i + 1));
                        let f =
                            |j: usize| alpha - E::add_base_mul_base(&a[j], &rho, &(b[j] - a[j]));
                        [f(0), f(1)]
                    });
                    let table = Padded { dense, tail, len };
                    rounds_on_table(table, 1, &weights, &mut rounds, t)
                }
            }
        }
    };
    let prefix = rounds.zk.as_ref().map_or(E::ZERO, |z| z.prefix);
    let (proof, point) = rounds.finish();
    (proof, point, halves, prefix)
}

/// A base-field leaf entry `[p0, c0, p1, c1]` as `[p0, α − c0, p1, α − c1]` in `E`.
fn lift_entry<F: BaseField, E: ExtField<F>>(e: [F; 4], alpha: E) -> [E; 4] {
    let l = E::from_base_prime_field;
    [l(e[0]), alpha - l(e[1]), l(e[2]), alpha - l(e[3])]
}

/// Rounds `start … k − 1` on an `E` table (`start` = 1 when the table is the leaves folded at
/// `ρ_0`); returns the halves left at the end. The dense part is kept a whole number of the
/// round's pairs (and, before a fused fold, of the next round's) by moving its boundary into
/// the tail.
fn rounds_on_table<E: MulAcc, T: Entry<E>>(
    mut table: Padded<T>,
    start: usize,
    weights: &[Weights<E>],
    rounds: &mut Rounds<E>,
    t: &mut Transcript,
) -> Halves<E> {
    let k = weights.len();
    let lambda = rounds.lambda;
    let r = rounds.r;
    table.align(2);
    let mut sums =
        (start < k).then(|| padded_sums(&table, &weights[start], &r[start + 1..], &lambda));
    for j in start..k {
        let s = sums
            .take()
            .unwrap_or_else(|| padded_sums(&table, &weights[j], &r[j + 1..], &lambda));
        let at_one = rounds.needs_at_one(j).then(|| {
            let pairs = table.dense.len() / 2;
            sum_at_one(
                &weights[j],
                &r[j + 1..],
                pairs,
                table.tail.full(),
                lambda,
                |i| table.dense[i].full(),
            )
        });
        let rho = rounds.round(j, s, at_one, t);
        let next = weights.get(j + 1);
        table.align(if next.is_some() { 4 } else { 2 });
        sums = fold_and_sum(&mut table.dense, rho, next, &lambda).map(|s| {
            add2(
                s,
                tail_sums(&table.tail, &r[j + 2..], table.dense.len() / 2, &lambda),
            )
        });
        table.len /= 2;
    }
    let [p0, q0, p1, q1] = table.get(0).full();
    Halves { p0, p1, q0, q1 }
}

/// Round 0 on base-field leaves with numerators: entry `i` is `[p0, c0, p1, c1]` (`q = α − c`).
fn leaf_sums<F: BaseField, E: ExtField<F>>(
    w: &Weights<E>,
    alpha: E,
    lambda: E,
    entry: impl Fn(usize) -> [F; 4] + Sync,
) -> [E; 2] {
    // pq = α(p0 + p1) − (p0·c1 + p1·c0);  qq = α² − α(c0 + c1) + c0·c1.
    // Slopes (q's slopes are −Δc): pq_lead = −(Δp0·Δc1 + Δp1·Δc0), qq_lead = Δc0·Δc1.
    // The constant λα² is added once at the end (the weights sum to 1).
    let finish = |[p_sum, pc, c_sum, cc, pc_lead, cc_lead]: [E; 6]| {
        [
            alpha * p_sum - pc + lambda * (cc - alpha * c_sum),
            lambda * cc_lead - pc_lead,
        ]
    };
    let acc = map_reduce(
        w.len(),
        |range| {
            w.sum::<6>(
                range,
                |acc, e, i| {
                    let (a, b) = (entry(2 * i), entry(2 * i + 1));
                    E::mul_base_acc(&mut acc[0], e, &(a[0] + a[2]));
                    E::mul_base_acc(&mut acc[1], e, &(a[0] * a[3] + a[2] * a[1]));
                    E::mul_base_acc(&mut acc[2], e, &(a[1] + a[3]));
                    E::mul_base_acc(&mut acc[3], e, &(a[1] * a[3]));
                    let s = [b[0] - a[0], b[1] - a[1], b[2] - a[2], b[3] - a[3]];
                    E::mul_base_acc(&mut acc[4], e, &(s[0] * s[3] + s[2] * s[1]));
                    E::mul_base_acc(&mut acc[5], e, &(s[1] * s[3]));
                },
                finish,
            )
        },
        merge2::<E>,
    );
    let [h0, lead] = acc.map(E::reduce);
    [h0 + lambda * alpha.square(), lead]
}

/// Round 0 on base-field leaves with numerators 1: entry `i` is `[c0, c1]`, over the first
/// `pairs` pairs; the others must be zeros (the padding: they add only to the constant, which
/// is added for every pair).
fn leaf_sums_ones<F: BaseField, E: ExtField<F>>(
    w: &Weights<E>,
    pairs: usize,
    alpha: E,
    lambda: E,
    entry: impl Fn(usize) -> [F; 2] + Sync,
) -> [E; 2] {
    // pq = 2α − (c0 + c1);  qq = α² − α(c0 + c1) + c0·c1;  pq_lead = 0;  qq_lead = Δc0·Δc1.
    // The constant 2α + λα² is added once at the end (the weights sum to 1).
    let finish =
        |[c_sum, cc, cc_lead]: [E; 3]| [lambda * (cc - alpha * c_sum) - c_sum, lambda * cc_lead];
    let acc = map_reduce(
        pairs,
        |range| {
            w.sum::<3>(
                range,
                |acc, e, i| {
                    let (a, b) = (entry(2 * i), entry(2 * i + 1));
                    E::mul_base_acc(&mut acc[0], e, &(a[0] + a[1]));
                    E::mul_base_acc(&mut acc[1], e, &(a[0] * a[1]));
                    E::mul_base_acc(&mut acc[2], e, &((b[0] - a[0]) * (b[1] - a[1])));
                },
                finish,
            )
        },
        merge2::<E>,
    );
    let [h0, lead] = acc.map(E::reduce);
    [h0 + alpha.double() + lambda * alpha.square(), lead]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::poly::Mle;
    use crate::sumcheck::{Instance, Term};
    use ark_ff::AdditiveGroup;
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
    use ark_std::UniformRand;
    use std::borrow::Cow;

    /// The four halves of a child as tables `p0, p1, q0, q1` for the generic prover.
    fn generic_tables<F: BaseField, E: ExtField<F>>(
        child: &Child<F, E>,
        alpha: E,
    ) -> Vec<Mle<F, E>> {
        let full: Vec<[E; 4]> = match child {
            Child::Layer(l) => l.to_vec(),
            Child::Parents(p) => (0..p.len()).map(|i| p.get(i)).collect(),
            Child::Leaves(leaves) => (0..(1usize << leaves.vars()) / 2)
                .map(|i| {
                    lift_entry(
                        [
                            leaves.num(2 * i),
                            leaves.den_at(2 * i),
                            leaves.num(2 * i + 1),
                            leaves.den_at(2 * i + 1),
                        ],
                        alpha,
                    )
                })
                .collect(),
        };
        [0, 2, 1, 3]
            .iter()
            .map(|&s| Mle::Ext(full.iter().map(|e| e[s]).collect()))
            .collect()
    }

    /// The generic sum-check prover on the same layer (the specification of the messages).
    fn prove_generic<F: BaseField, E: ExtField<F>>(
        child: &Child<F, E>,
        point: &[E],
        lambda: E,
        alpha: E,
        t: &mut Transcript,
    ) -> (sumcheck::Proof<E>, Vec<E>, Halves<E>, E) {
        let mut tables = vec![Mle::Ext(eq_table(point))];
        tables.extend(generic_tables(child, alpha));
        let term = |coeff, f: [usize; 3]| Term {
            coeff,
            factors: f.to_vec(),
        };
        let inst = Instance::new(
            tables,
            vec![
                term(E::ONE, [0, 1, 4]),
                term(E::ONE, [0, 2, 3]),
                term(lambda, [0, 3, 4]),
            ],
        )
        .unwrap();
        let claim = inst.sum();
        let out = sumcheck::prove(inst, claim, t);
        let v = &out.table_values;
        let halves = Halves {
            p0: v[1],
            p1: v[2],
            q0: v[3],
            q1: v[4],
        };
        (out.proof, out.point, halves, claim)
    }

    /// Stored leaf counts to try for `2^vars` leaves: all, and (from 8 leaves up) a multiple
    /// of 8 below, the rest padding.
    fn stored_counts(rng: &mut StdRng, vars: usize) -> Vec<usize> {
        let all = 1usize << vars;
        let mut out = vec![all];
        if vars >= 3 {
            out.push(8 * rng.gen_range(1..=all / 8));
            out.push(8);
        }
        out
    }

    fn check<F: BaseField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for k in 1..9 {
            for kind in 0..5 {
                // Kinds: a stored layer; leaves with and without numerators; the parents of
                // leaves with and without numerators.
                let n = 1usize << (k + 1);
                let leaves_len = if kind >= 3 { 2 * n } else { n };
                let vars = leaves_len.trailing_zeros() as usize;
                let padded = kind == 0 || kind == 2 || kind == 4;
                let counts = if padded {
                    stored_counts(&mut rng, vars)
                } else {
                    vec![leaves_len]
                };
                for stored in counts {
                    for zero_at in [None, Some(0), Some(k - 1)] {
                        let mut point: Vec<E> = (0..k).map(|_| E::rand(&mut rng)).collect();
                        if let Some(z) = zero_at {
                            point[z] = E::ZERO;
                        }
                        let lambda = E::rand(&mut rng);
                        let alpha = E::rand(&mut rng);
                        let den: Vec<F> = (0..stored)
                            .map(|_| F::from(rng.gen_range(0..50u64)))
                            .collect();
                        let num: Vec<F> = (0..stored)
                            .map(|_| F::from(rng.gen_range(0..50u64)))
                            .collect();
                        let leaves = Leaves {
                            num: (kind == 1 || kind == 3).then_some(Cow::Owned(num)),
                            den: Cow::Owned(den),
                            vars,
                        };
                        let c = match kind {
                            // A layer of n/2 entries: stored/2 of them dense (at least one),
                            // then any constant.
                            0 => Child::Layer(Padded {
                                dense: (0..if stored == leaves_len {
                                    n / 2
                                } else {
                                    rng.gen_range(1..=n / 2)
                                })
                                    .map(|_| [0; 4].map(|_| E::rand(&mut rng)))
                                    .collect(),
                                tail: [0; 4].map(|_| E::rand(&mut rng)),
                                len: n / 2,
                            }),
                            1 | 2 => Child::Leaves(&leaves),
                            _ => Child::Parents(Parents::new(&leaves, alpha)),
                        };
                        let mut t1 = Transcript::new(b"layer");
                        let (proof, r, halves, claim) =
                            prove_generic(&c, &point, lambda, alpha, &mut t1);
                        let mut t2 = Transcript::new(b"layer");
                        let (proof2, r2, halves2) = prove(c, &point, lambda, claim, alpha, &mut t2);
                        let case =
                            format!("k = {k}, kind {kind}, stored {stored}, zero at {zero_at:?}");
                        assert_eq!(proof, proof2, "{case}");
                        assert_eq!(r, r2, "{case}");
                        assert_eq!(halves, halves2, "{case}");
                        assert_eq!(
                            t1.challenge_field::<E>(b"after"),
                            t2.challenge_field::<E>(b"after")
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn eq_suffix_sums_by_definition() {
        let mut rng = StdRng::seed_from_u64(4);
        for m in 0..7 {
            let r: Vec<GoldilocksExt2> = (0..m).map(|_| GoldilocksExt2::rand(&mut rng)).collect();
            let eq = eq_table(&r);
            for from in 0..=(1usize << m) + 1 {
                let direct: GoldilocksExt2 = eq.iter().skip(from).copied().sum();
                assert_eq!(eq_suffix_sum(&r, from), direct, "m = {m}, from {from}");
            }
        }
    }

    #[test]
    fn messages_match_the_generic_prover() {
        check::<Goldilocks, GoldilocksExt2>(1);
        check::<Bn254Fr, Bn254Fr>(2);
    }

    #[test]
    fn parallel_fold_matches_plain_fold() {
        // Above the parallel threshold: chunked in-place folding with fused sums.
        let mut rng = StdRng::seed_from_u64(3);
        let n = 1 << 14;
        let t: Vec<[GoldilocksExt2; 4]> = (0..n)
            .map(|_| [0; 4].map(|_| GoldilocksExt2::rand(&mut rng)))
            .collect();
        // Weights of a 14-coordinate claim at round 1: 2^12 pairs.
        let point: Vec<GoldilocksExt2> = (0..14).map(|_| GoldilocksExt2::rand(&mut rng)).collect();
        let weights = Weights::for_rounds(&point);
        let w = &weights[1];
        assert_eq!(w.len(), n / 4);
        let eq = eq_table(&point[2..]);
        for (i, &e) in eq.iter().enumerate() {
            assert_eq!(w.get(i), e);
        }
        let r = GoldilocksExt2::rand(&mut rng);
        let lambda = GoldilocksExt2::rand(&mut rng);
        let mut folded = t.clone();
        let sums = fold_and_sum(&mut folded, r, Some(w), &lambda).unwrap();
        let plain: Vec<[GoldilocksExt2; 4]> = (0..n / 2)
            .map(|i| <[GoldilocksExt2; 4]>::fold(&t[2 * i], &t[2 * i + 1], &r))
            .collect();
        assert_eq!(folded, plain);
        assert_eq!(sums, table_sums(&plain, w, &lambda));
        // The sums by their definition: h(0) and the X² coefficient of h.
        let f = |x: &[GoldilocksExt2; 4]| x[0] * x[3] + x[2] * x[1] + lambda * x[1] * x[3];
        let mut expected = [GoldilocksExt2::ZERO; 2];
        for i in 0..n / 4 {
            let (a, b) = (plain[2 * i], plain[2 * i + 1]);
            let s = [0, 1, 2, 3].map(|j| b[j] - a[j]);
            expected[0] += eq[i] * f(&a);
            expected[1] += eq[i] * f(&s);
        }
        assert_eq!(sums, expected);
    }
}
