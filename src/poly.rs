//! Dense multilinear polynomials given by their evaluations on the boolean hypercube.
//!
//! **Index order.** Entry `i` of a table over `n` variables is the value at
//! `(x_0, …, x_{n-1})` with `x_k = (i >> k) & 1`: the variable `x_0` is the least significant bit.
//! Points are written in the same order, `point[k]` is the value of `x_k`, and sum-check binds
//! `x_0` first, so folding pairs entries `2j` and `2j + 1`.
//!
//! ```
//! use ark_ff::{Field, One, Zero};
//! use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
//! use zkcnn::poly::Mle;
//!
//! // f(x_0, x_1) with f(0,0) = 1, f(1,0) = 2, f(0,1) = 3, f(1,1) = 4.
//! let f = Mle::<F, E>::Base(vec![F::from(1u64), F::from(2u64), F::from(3u64), F::from(4u64)]);
//! // 0b01 is x_0 = 1, x_1 = 0.
//! assert_eq!(f.evaluate(&[E::one(), E::zero()]), E::from(2u64));
//! assert_eq!(f.evaluate(&[E::zero(), E::one()]), E::from(3u64));
//! // Multilinear: f(1/2, 0) is the mean of f(0,0) and f(1,0).
//! let half = E::from(2u64).inverse().unwrap();
//! assert_eq!(f.evaluate(&[half, E::zero()]), E::from(3u64) * half);
//! ```

use crate::field::{lift, BaseField, ExtField, MulAcc};
use crate::parallel::{collect_indexed, for_each_chunk_mut, for_each_fixed_chunk_mut, map_reduce};
use ark_ff::Field;

/// A multilinear polynomial's evaluation table, over the base field or the extension.
///
/// Witness tables start in `Base`; the first challenge folds them into `Ext`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mle<F, E> {
    /// Values in the base field `F`.
    Base(Vec<F>),
    /// Values in the extension `E`.
    Ext(Vec<E>),
}

impl<F: BaseField, E: ExtField<F>> Mle<F, E> {
    /// Number of entries (a power of two for a well-formed table).
    pub fn len(&self) -> usize {
        match self {
            Mle::Base(v) => v.len(),
            Mle::Ext(v) => v.len(),
        }
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of variables, `log2(len)`.
    pub fn num_vars(&self) -> usize {
        self.len().trailing_zeros() as usize
    }

    /// Entry `i` as an element of `E`.
    pub fn get(&self, i: usize) -> E {
        match self {
            Mle::Base(v) => lift(v[i]),
            Mle::Ext(v) => v[i],
        }
    }

    /// Fixes `x_0 = r`: the table over the remaining variables, in `E`.
    pub fn fold(&mut self, r: E) {
        match self {
            Mle::Base(v) => *self = Mle::Ext(fold_base(v, r)),
            Mle::Ext(v) => fold_ext(v, r),
        }
    }

    /// The polynomial's value at `point` (`point.len()` must be `num_vars()`).
    pub fn evaluate(&self, point: &[E]) -> E {
        assert_eq!(point.len(), self.num_vars(), "point has the wrong length");
        match (self, point.split_first()) {
            (_, None) => self.get(0),
            (Mle::Base(v), Some(_)) => evaluate_base(v, point),
            (Mle::Ext(v), Some(_)) => {
                let mut t = v.clone();
                for &r in point {
                    fold_ext(&mut t, r);
                }
                t[0]
            }
        }
    }
}

/// Splits a point into its leading part and a boolean suffix: returns `(m, block)` such that
/// `point[k]` is 0 or 1 for every `k ≥ m` and `block = Σ_{k ≥ m} point[k]·2^{k−m}`. Then
/// `eq(point, x)` vanishes outside the block of entries `block·2^m .. (block + 1)·2^m`, which
/// is how a claim on one segment of a packed table (see [`crate::pcs::packing`]) costs only the
/// segment's size.
pub fn boolean_suffix<E: Field>(point: &[E]) -> (usize, usize) {
    let m = point.len()
        - point
            .iter()
            .rev()
            .take_while(|r| r.is_zero() || r.is_one())
            .count();
    let block = point[m..]
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_one())
        .map(|(k, _)| 1usize << k)
        .sum();
    (m, block)
}

/// The multilinear extension of a base-field table at `point` (`2^point.len()` entries). Only
/// the block selected by a boolean suffix of the point is read.
pub fn evaluate_base<F: BaseField, E: ExtField<F>>(t: &[F], point: &[E]) -> E {
    assert_eq!(t.len(), 1 << point.len(), "point has the wrong length");
    let (m, block) = boolean_suffix(point);
    evaluate_split(&t[block << m..(block + 1) << m], &point[..m])
}

/// `c̃(r) = Σ_h eq(r_hi, h) · Σ_l eq(r_lo, l)·c[l + h·2^{|r_lo|}]` with `r` split in halves
/// (`c` of `2^{r.len()}` entries): two `2^{n/2}`-entry `eq` tables instead of one of `2^n` (or
/// of the folds' `2^{n−1}`), and one `E × F` multiply-accumulate per entry.
pub fn evaluate_split<F: BaseField, E: ExtField<F>>(c: &[F], r: &[E]) -> E {
    let split = r.len().div_ceil(2);
    let (lo, hi) = (eq_table(&r[..split]), eq_table(&r[split..]));
    let l = lo.len();
    let acc = map_reduce(
        hi.len(),
        |range| {
            let mut acc = E::Acc::default();
            for h in range {
                let mut inner = E::Acc::default();
                for (e, x) in lo.iter().zip(&c[h * l..(h + 1) * l]) {
                    E::mul_base_acc(&mut inner, e, x);
                }
                E::mul_acc(&mut acc, &hi[h], &E::reduce(inner));
            }
            acc
        },
        E::merge,
    );
    E::reduce(acc)
}

/// Fixes `x_0 = r` in a base-field table: `out[j] = t[2j] + r·(t[2j+1] − t[2j])`.
pub fn fold_base<F: BaseField, E: ExtField<F>>(t: &[F], r: E) -> Vec<E> {
    collect_indexed(t.len() / 2, |j| {
        let (a, b) = (t[2 * j], t[2 * j + 1]);
        E::add_base_mul_base(&a, &r, &(b - a))
    })
}

/// Fixes `x_0 = r` in an extension-field table, in place (the table halves, no allocation).
///
/// Each chunk of `2s` entries folds into its own first `s` entries (entry `j` is written after
/// entries `2j` and `2j + 1` are read), then the chunks' results are moved together.
pub fn fold_ext<E: MulAcc>(t: &mut Vec<E>, r: E) {
    let half = t.len() / 2;
    let fold_chunk = |chunk: &mut [E]| {
        for j in 0..chunk.len() / 2 {
            let (a, b) = (chunk[2 * j], chunk[2 * j + 1]);
            chunk[j] = E::add_mul_fast(&a, &r, &(b - a));
        }
    };
    let size = chunk_size(half);
    for_each_fixed_chunk_mut(t, 2 * size, fold_chunk);
    for c in 1..half.div_ceil(size) {
        let len = size.min(half - c * size);
        t.copy_within(2 * c * size..2 * c * size + len, c * size);
    }
    t.truncate(half);
}

/// Output entries per chunk when folding a table to `half` entries.
fn chunk_size(half: usize) -> usize {
    if half >= crate::parallel::PAR_THRESHOLD {
        // One chunk per thread: the work is uniform, and fewer chunks move less in compaction.
        half.div_ceil(crate::parallel::num_threads())
    } else {
        half.max(1)
    }
}

/// A table of `n` zeros, written in parallel: a large table's first touch of fresh memory is
/// slow on virtual machines (the kernel zeroes each page), and one thread would do all of it.
pub fn zeros<T: Field>(n: usize) -> Vec<T> {
    collect_indexed(n, |_| T::ZERO)
}

/// The table of `eq(r, x) = Π_k (r_k x_k + (1 − r_k)(1 − x_k))` over all `x` in `{0,1}^n`,
/// in the index order of this module.
pub fn eq_table<E: MulAcc>(r: &[E]) -> Vec<E> {
    scaled_eq_table(r, E::ONE)
}

/// `coeff · eq(r, ·)` as a table (one multiplication per entry).
pub fn scaled_eq_table<E: MulAcc>(r: &[E], coeff: E) -> Vec<E> {
    let mut t = zeros(1 << r.len());
    t[0] = coeff;
    for (k, &rk) in r.iter().enumerate() {
        let half = 1 << k;
        let (lo, hi) = t.split_at_mut(half);
        let hi = &mut hi[..half];
        let step = |_: usize, lo: &mut [E], hi: &mut [E]| {
            for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                *b = E::mul_fast(a, &rk);
                *a -= *b;
            }
        };
        crate::parallel::join_chunks(lo, hi, step);
    }
    t
}

/// Adds `coeff · eq(r, ·)` into `acc` (length `2^r.len()`). Only the block selected by a
/// boolean suffix of `r` is touched (see [`boolean_suffix`]). As [`add_scaled_eq_pair`], without
/// a table of the block's size: `eq(r, x) = A[x_{<b}]·B[x_{≥b}]` from two small tables, one
/// multiplication per entry.
pub fn add_scaled_eq<E: MulAcc>(acc: &mut [E], r: &[E], coeff: E) {
    let (m, block) = boolean_suffix(r);
    let acc = &mut acc[block << m..(block + 1) << m];
    let b = m.min(EQ_SPLIT_BITS);
    let inner = eq_table(&r[..b]);
    let outer = scaled_eq_table(&r[b..m], coeff);
    let mask = (1usize << b) - 1;
    for_each_chunk_mut(acc, |start, chunk| {
        for (i, a) in chunk.iter_mut().enumerate() {
            let at = start + i;
            *a = E::add_mul_fast(a, &inner[at & mask], &outer[at >> b]);
        }
    });
}

/// Variables of the inner factor in [`add_scaled_eq_pair`]: `eq(r, x)` is built as
/// `eq(r_{<b}, x_{<b})·eq(r_{≥b}, x_{≥b})` from two small tables.
const EQ_SPLIT_BITS: usize = 10;

/// Adds `c_lo · eq(r, ·)` into `lo` and `c_hi · eq(r, ·)` into `hi` (both of length
/// `2^r.len()`), touching only the block selected by a boolean suffix of `r` (see
/// [`boolean_suffix`]). The same sums as two calls of [`add_scaled_eq`], in one pass over both
/// tables and without a table of the block's size: `eq(r, x) = A[x_{<b}]·B[x_{≥b}]` with
/// `A = eq(r_{<b}, ·)` and `B = eq(r_{≥b}, ·)` (`b = EQ_SPLIT_BITS` or fewer) of about
/// `2^{m/2}` entries, so each entry costs two multiplications.
pub fn add_scaled_eq_pair<E: MulAcc>(lo: &mut [E], hi: &mut [E], r: &[E], c_lo: E, c_hi: E) {
    let (m, block) = boolean_suffix(r);
    let range = block << m..(block + 1) << m;
    let (lo, hi) = (&mut lo[range.clone()], &mut hi[range]);
    let b = m.min(EQ_SPLIT_BITS);
    let inner = eq_table(&r[..b]);
    let outer_lo = scaled_eq_table(&r[b..m], c_lo);
    let outer_hi = scaled_eq_table(&r[b..m], c_hi);
    let mask = (1usize << b) - 1;
    crate::parallel::join_chunks(lo, hi, |start, lo, hi| {
        for (i, (x, y)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
            let at = start + i;
            let a = &inner[at & mask];
            *x = E::add_mul_fast(x, a, &outer_lo[at >> b]);
            *y = E::add_mul_fast(y, a, &outer_hi[at >> b]);
        }
    });
}

/// `Σ_i coeffs[i] · eq(points[i], ·)` over `n` variables (a zero table when there are no points).
/// The first term is built scaled, so a single point costs one table and no addition pass.
pub fn combined_eq<E: MulAcc>(points: &[Vec<E>], coeffs: &[E], n: usize) -> Vec<E> {
    let mut terms = points.iter().zip(coeffs);
    let Some((first, &c0)) = terms.next() else {
        return zeros(1 << n);
    };
    let mut g = if boolean_suffix(first).0 == first.len() {
        scaled_eq_table(first, c0)
    } else {
        let mut g = zeros(1 << n);
        add_scaled_eq(&mut g, first, c0);
        g
    };
    for (z, &c) in terms {
        add_scaled_eq(&mut g, z, c);
    }
    g
}

/// `Σ_{x < n} eq(r, x)`: the multilinear extension of the indicator of `x < n` over
/// `r.len()` variables (1 when `n ≥ 2^{r.len()}`), in `O(r.len())`. With `x = Σ_k x_k 2^k`, the
/// `x < n` are, for each set bit `k` of `n`, those that agree with `n` above `k` and have
/// `x_k = 0`: `Σ_{k : n_k = 1} (1 − r_k)·Π_{j > k} eq(r_j, n_j)`.
pub fn lt_eval<E: Field>(r: &[E], n: usize) -> E {
    if r.len() < usize::BITS as usize && n >= 1 << r.len() {
        return E::ONE;
    }
    let mut above = E::ONE;
    let mut sum = E::ZERO;
    for (k, &rk) in r.iter().enumerate().rev() {
        if n.checked_shr(k as u32).unwrap_or(0) & 1 == 1 {
            sum += above * (E::ONE - rk);
            above *= rk;
        } else {
            above *= E::ONE - rk;
        }
    }
    sum
}

/// `eq(a, b)` for two points of the same length.
pub fn eq_eval<E: Field>(a: &[E], b: &[E]) -> E {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x * y + (E::ONE - x) * (E::ONE - y))
        .product()
}

/// `Σ_c a_c·eq(z_c, r)` over the terms `(z_c, a_c)`, every `z_c` of `r`'s length: a batched
/// opening's weight at its final point, which the verifier computes for thousands of claims.
///
/// Equal to summing [`eq_eval`]s, with less work where the points have structure: a boolean
/// coordinate's factor is `r_i` or `1 − r_i` (no product), any other is `(1 − r_i) + z_i·(2r_i
/// − 1)` (one), and consecutive points that share their first (or their last) coordinates share
/// the product of those factors: the product runs in whichever direction the points share more,
/// and a term recomputes only its factors after the part it shares with the one before. Entries
/// of one segment (the same block bits and mask coordinate, neighbouring low bits) then cost
/// about two products each instead of three per coordinate.
pub fn eq_sum<E: Field>(terms: &[(&[E], E)], r: &[E]) -> E {
    let n = r.len();
    for (z, _) in terms {
        assert_eq!(z.len(), n);
    }
    let shared = |a: &[E], b: &[E], back: bool| -> usize {
        if back {
            a.iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        } else {
            a.iter().zip(b).take_while(|(x, y)| x == y).count()
        }
    };
    let total =
        |back: bool| -> usize { terms.windows(2).map(|w| shared(w[0].0, w[1].0, back)).sum() };
    let back = total(true) > total(false);
    let coordinate = |j: usize| if back { n - 1 - j } else { j };
    let one_minus: Vec<E> = r.iter().map(|&x| E::ONE - x).collect();
    let slope: Vec<E> = r.iter().map(|&x| x.double() - E::ONE).collect();
    let factor = |i: usize, x: E| {
        if x.is_zero() {
            one_minus[i]
        } else if x.is_one() {
            r[i]
        } else {
            one_minus[i] + x * slope[i]
        }
    };
    // `prefix[j]`: the product of the current point's first `j` factors in the running order.
    let mut prefix = vec![E::ONE; n + 1];
    let mut previous: Option<&[E]> = None;
    let mut sum = E::ZERO;
    for &(z, a) in terms {
        let from = previous.map_or(0, |p| shared(p, z, back));
        for j in from..n {
            let i = coordinate(j);
            prefix[j + 1] = prefix[j] * factor(i, z[i]);
        }
        sum += a * prefix[n];
        previous = Some(z);
    }
    sum
}

/// `Σ_i a_i · b_i` over `E`, in parallel above the threshold.
pub fn inner_product<E: Field>(a: &[E], b: &[E]) -> E {
    assert_eq!(a.len(), b.len());
    map_reduce(a.len(), |r| r.map(|i| a[i] * b[i]).sum::<E>(), |x, y| x + y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use ark_std::{test_rng, UniformRand};

    #[test]
    fn add_scaled_eq_pair_is_two_add_scaled_eqs() {
        let mut rng = test_rng();
        for vars in [0usize, 1, 5, 11, 13] {
            for suffix in 0..=vars.min(3) {
                let mut r: Vec<GoldilocksExt2> =
                    (0..vars).map(|_| GoldilocksExt2::rand(&mut rng)).collect();
                for (k, x) in r.iter_mut().rev().take(suffix).enumerate() {
                    *x = GoldilocksExt2::from((k % 2) as u64);
                }
                let start: Vec<GoldilocksExt2> = (0..1usize << vars)
                    .map(|_| GoldilocksExt2::rand(&mut rng))
                    .collect();
                let (c0, c1) = (
                    GoldilocksExt2::rand(&mut rng),
                    GoldilocksExt2::rand(&mut rng),
                );
                let (mut lo, mut hi) = (start.clone(), start.clone());
                add_scaled_eq_pair(&mut lo, &mut hi, &r, c0, c1);
                let (mut want_lo, mut want_hi) = (start.clone(), start);
                add_scaled_eq(&mut want_lo, &r, c0);
                add_scaled_eq(&mut want_hi, &r, c1);
                assert_eq!((lo, hi), (want_lo, want_hi), "vars {vars}, suffix {suffix}");
            }
        }
    }

    #[test]
    fn lt_eval_is_the_prefix_sum_of_eq() {
        let mut rng = test_rng();
        for vars in 0..6 {
            let r: Vec<GoldilocksExt2> =
                (0..vars).map(|_| GoldilocksExt2::rand(&mut rng)).collect();
            let t = eq_table(&r);
            for n in 0..(1usize << vars) + 3 {
                let want: GoldilocksExt2 = t.iter().take(n).copied().sum();
                assert_eq!(lt_eval(&r, n), want, "vars {vars}, n {n}");
            }
        }
    }

    /// The multilinear extension straight from its definition: Σ_x f(x) · eq(point, x).
    fn naive_eval<F: BaseField, E: ExtField<F>>(t: &[F], p: &[E]) -> E {
        (0..t.len())
            .map(|i| {
                let bits: Vec<E> = (0..p.len())
                    .map(|k| E::from(((i >> k) & 1) as u64))
                    .collect();
                eq_eval(p, &bits) * lift::<E>(t[i])
            })
            .sum()
    }

    fn check<F: BaseField, E: ExtField<F>>() {
        let mut rng = test_rng();
        for n in 0..9 {
            let t: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
            let p: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
            let base = Mle::<F, E>::Base(t.clone());
            let expected = naive_eval(&t, &p);
            assert_eq!(base.evaluate(&p), expected);
            let ext = Mle::<F, E>::Ext(t.iter().map(|&x| lift(x)).collect());
            assert_eq!(ext.evaluate(&p), expected);
            let eq = eq_table(&p);
            assert_eq!(inner_product(&eq, &ext_vec(&t)), expected);
            // Boolean points recover the table entries.
            for (i, &v) in t.iter().enumerate() {
                let bits: Vec<E> = (0..n).map(|k| E::from(((i >> k) & 1) as u64)).collect();
                assert_eq!(base.evaluate(&bits), lift::<E>(v));
            }
        }
    }

    fn ext_vec<F: BaseField, E: ExtField<F>>(t: &[F]) -> Vec<E> {
        t.iter().map(|&x| lift(x)).collect()
    }

    #[test]
    fn evaluation_matches_definition_goldilocks() {
        check::<Goldilocks, GoldilocksExt2>();
    }

    #[test]
    fn evaluation_matches_definition_bn254() {
        check::<Bn254Fr, Bn254Fr>();
    }

    #[test]
    fn combined_eq_matches_definition() {
        let mut rng = test_rng();
        let n = 5;
        for k in 0..4 {
            let pts: Vec<Vec<GoldilocksExt2>> = (0..k)
                .map(|_| (0..n).map(|_| GoldilocksExt2::rand(&mut rng)).collect())
                .collect();
            let cs: Vec<GoldilocksExt2> = (0..k).map(|_| GoldilocksExt2::rand(&mut rng)).collect();
            let g = combined_eq(&pts, &cs, n);
            for (x, &gx) in g.iter().enumerate() {
                let bits: Vec<GoldilocksExt2> = (0..n)
                    .map(|i| GoldilocksExt2::from(((x >> i) & 1) as u64))
                    .collect();
                let expected: GoldilocksExt2 = pts
                    .iter()
                    .zip(&cs)
                    .map(|(p, &c)| c * eq_eval(p, &bits))
                    .sum();
                assert_eq!(gx, expected);
            }
        }
    }

    /// `eq_sum` against summed `eq_eval`s, on points with boolean, repeated and random
    /// coordinates, sharing their first or last coordinates or neither, on both fields.
    fn eq_sum_matches_eq_evals<E: Field + UniformRand>() {
        let mut rng = test_rng();
        for n in [0usize, 1, 2, 5, 9] {
            let r: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
            let pool: Vec<E> = (0..3).map(|_| E::rand(&mut rng)).collect();
            for shape in 0..4 {
                let mut points: Vec<Vec<E>> = Vec::new();
                for c in 0..40usize {
                    let p: Vec<E> = (0..n)
                        .map(|i| match (shape, (c * 7 + i * 3) % 5) {
                            // Segments' entries: low bits count, the rest fixed.
                            (0, _) if i < 3 => E::from(((c >> i) & 1) as u64),
                            (0, _) => pool[i % 3],
                            // A column's terms: one point, then differing block bits.
                            (1, _) if i < n / 2 => pool[i % 3],
                            (1, _) => E::from(((c >> (i - n / 2)) & 1) as u64),
                            (2, 0) => E::rand(&mut rng),
                            (2, k) => E::from((k & 1) as u64),
                            _ => E::rand(&mut rng),
                        })
                        .collect();
                    points.push(p);
                }
                let coeffs: Vec<E> = points.iter().map(|_| E::rand(&mut rng)).collect();
                let terms: Vec<(&[E], E)> = points
                    .iter()
                    .zip(&coeffs)
                    .map(|(p, &a)| (p.as_slice(), a))
                    .collect();
                let naive: E = terms.iter().map(|&(p, a)| a * eq_eval(p, &r)).sum();
                assert_eq!(eq_sum(&terms, &r), naive, "n {n}, shape {shape}");
                assert_eq!(
                    eq_sum(&terms[..1.min(terms.len())], &r),
                    terms[0].1 * eq_eval(terms[0].0, &r)
                );
            }
        }
        assert_eq!(eq_sum::<E>(&[], &[]), E::ZERO);
    }

    #[test]
    fn eq_sum_matches_eq_evals_on_both_fields() {
        eq_sum_matches_eq_evals::<GoldilocksExt2>();
        eq_sum_matches_eq_evals::<Bn254Fr>();
    }

    #[test]
    fn large_fold_matches_small_fold() {
        // Crosses the parallel threshold: the chunked fold must equal the plain formula.
        let mut rng = test_rng();
        let t: Vec<Goldilocks> = (0..1 << 14).map(|_| Goldilocks::rand(&mut rng)).collect();
        let r = GoldilocksExt2::rand(&mut rng);
        let folded: Vec<GoldilocksExt2> = fold_base(&t, r);
        for j in 0..t.len() / 2 {
            assert_eq!(
                folded[j],
                lift::<GoldilocksExt2>(t[2 * j]) * (GoldilocksExt2::ONE - r)
                    + lift::<GoldilocksExt2>(t[2 * j + 1]) * r
            );
        }
    }
}
