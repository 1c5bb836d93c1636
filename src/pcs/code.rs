//! Reed–Solomon encoding and FRI folding, as Basefold uses them.
//!
//! A multilinear `f` over `n` variables is written in the monomial basis,
//! `f(x) = Σ_i c_i Π_{k : bit k of i} x_k`, and encoded as the Reed–Solomon codeword of the
//! univariate `p(X) = Σ_i c_i X^i`: its values at `ω^j` for `j < N = 2^{n + rate_bits}`, `ω` a
//! primitive `N`-th root of unity. Since `p(X) = p_e(X²) + X·p_o(X²)` where `p_e`, `p_o` collect
//! the even and odd coefficients, and even/odd `i` are the monomials without/with `x_0`, the fold
//!
//! ```text
//!     c'[j] = (c[j] + c[j + N/2]) / 2  +  r · (c[j] − c[j + N/2]) / (2·ω^j),    j < N/2,
//! ```
//!
//! (with `ω^{j + N/2} = −ω^j`) is the codeword of `p_e + r·p_o` on `⟨ω²⟩`, which encodes
//! `f(r, x_1, …)`: the same binding of `x_0` that the sum-check makes. After `n` folds with
//! `r_0, …, r_{n−1}` every entry of the codeword is `f̃(r_0, …, r_{n−1})`.
//!
//! **Storage order.** Codewords are stored in bit-reversed order: `stored[br(j)] = c[j]`
//! (`br` reverses the `log2 N` bits). Then the pair `(c[j], c[j + N/2])` sits at
//! `(2q, 2q + 1)` with `q = br(j)` (over one bit fewer), the folded codeword comes out in the same
//! order, and the `2^k` entries that `k` folds combine, `c[j + m·N/2^k]`, form the contiguous
//! block `q·2^k .. (q + 1)·2^k` with `q = br(j)`. The FFT produces this order directly (no
//! bit-reversal pass).

use crate::field::{lift, BaseField, ExtField};
use crate::parallel::{collect_indexed, for_each_fixed_chunk_mut, join, join_chunks, map_reduce};
use ark_ff::{FftField, Field, PrimeField};

/// The field cannot hold a domain of the size asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a Reed–Solomon domain of 2^{log_size} points needs two-adicity {log_size}; the field has {two_adicity}")]
pub struct DomainTooLarge {
    /// log2 of the domain size asked for.
    pub log_size: usize,
    /// The field's two-adicity.
    pub two_adicity: u32,
}

/// In place: the evaluations of a multilinear polynomial on `{0,1}^n` (index order of
/// [`crate::poly`]) become its monomial coefficients (`t[i]` multiplies `Π_{k ∈ bits(i)} x_k`).
/// Strides below 2^12 run block by block (in cache); larger strides pair the halves of each
/// block. Both in parallel.
pub fn evals_to_coeffs<T: Field>(t: &mut [T]) {
    let block = t.len().min(1 << 12);
    if block == 0 {
        return;
    }
    for_each_fixed_chunk_mut(t, block, |c| {
        let mut half = 1;
        while half < c.len() {
            for pair in c.chunks_mut(2 * half) {
                let (lo, hi) = pair.split_at_mut(half);
                sub_assign(hi, lo);
            }
            half *= 2;
        }
    });
    let mut half = block;
    while half < t.len() {
        for pair in t.chunks_mut(2 * half) {
            let (lo, hi) = pair.split_at_mut(half);
            join_chunks(hi, lo, |_, h, l| sub_assign(h, l));
        }
        half *= 2;
    }
}

fn sub_assign<T: Field>(hi: &mut [T], lo: &[T]) {
    for (b, a) in hi.iter_mut().zip(lo) {
        *b -= *a;
    }
}

/// A primitive `2^log_size`-th root of unity (ark-ff's, the generator of ark-poly's radix-2
/// domain of that size).
pub fn root<F: FftField>(log_size: usize) -> Result<F, DomainTooLarge> {
    let err = DomainTooLarge {
        log_size,
        two_adicity: F::TWO_ADICITY,
    };
    if log_size > F::TWO_ADICITY as usize {
        return Err(err);
    }
    F::get_root_of_unity(1u64 << log_size).ok_or(err)
}

/// `log_bits`-bit reversal of `i`.
pub fn bit_reverse(i: usize, log_bits: usize) -> usize {
    if log_bits == 0 {
        0
    } else {
        i.reverse_bits() >> (usize::BITS as usize - log_bits)
    }
}

/// `scale·g^{br(q)}` for `q < 2^bits` (`br` over `bits` bits), built by doubling:
/// `T[2u] = T'[u]`, `T[2u + 1] = T'[u]·g^{2^{bits−1}}` with `T'` the table over one bit fewer.
fn bit_reversed_powers<F: Field>(g: F, bits: usize, scale: F) -> Vec<F> {
    let mut t = vec![scale];
    for a in 1..=bits {
        let c = g.pow([1u64 << (a - 1)]);
        let prev = t;
        t = collect_indexed(prev.len() * 2, |q| {
            if q & 1 == 0 {
                prev[q / 2]
            } else {
                prev[q / 2] * c
            }
        });
    }
    t
}

/// Sub-transforms of at most this many entries run serially, level after level, in cache.
const FFT_BLOCK: usize = 1 << 12;

/// The transform's twiddles: block `b` at level `l` (size `N/2^l`) uses `ζ_{l,b} = ω^{br(b)}`
/// (`br` over `log2 N − 1` bits; since `b < 2^l`, one table serves every level as a prefix).
/// Only a prefix is stored: the out-of-cache levels read `ζ` directly; an in-cache block `b0` at
/// level `l0` writes its sub-block `i` at depth `j` as
/// `ζ_{l0+j, b0·2^j+i} = ζ_{j,i} · (ω^{br_{l0}(b0)})^{2^{J−j}}` (`J` its deepest depth), whose
/// first factor is again in the prefix.
struct Zetas<F> {
    prefix: Vec<F>,
    omega: F,
}

/// In place, one subtree of the transform: `x` is block `b` of level `level`; each level splits
/// a block into `lo + ζ·hi` and `lo − ζ·hi`, the remainders of `p` modulo `X^{len} − ζ` and
/// `X^{len} + ζ`.
fn ct<F: Field>(x: &mut [F], z: &Zetas<F>, b: usize, level: usize) {
    let n = x.len();
    if n <= FFT_BLOCK {
        // g^{2^e} for g = ω^{br_level(b)}, e ≤ deepest depth.
        let deepest = n.trailing_zeros() as usize;
        let g = z.omega.pow([bit_reverse(b, level) as u64]);
        let g_pows: Vec<F> = std::iter::successors(Some(g), |x| Some(x.square()))
            .take(deepest.max(1))
            .collect();
        let mut len = n / 2;
        let mut depth = 0;
        while len >= 1 {
            let shift = g_pows[deepest - 1 - depth];
            for (i, block) in x.chunks_mut(2 * len).enumerate() {
                let (lo, hi) = block.split_at_mut(len);
                butterflies(lo, hi, z.prefix[i] * shift);
            }
            len /= 2;
            depth += 1;
        }
        return;
    }
    let zeta = z.prefix[b];
    let (lo, hi) = x.split_at_mut(n / 2);
    join_chunks(lo, hi, |_, a, c| butterflies(a, c, zeta));
    join(
        || ct(lo, z, 2 * b, level + 1),
        || ct(hi, z, 2 * b + 1, level + 1),
    );
}

#[inline(always)]
fn butterflies<F: Field>(lo: &mut [F], hi: &mut [F], z: F) {
    for (a, c) in lo.iter_mut().zip(hi.iter_mut()) {
        let t = *c * z;
        *c = *a - t;
        *a += t;
    }
}

/// Runs [`ct`] on each block of `m` entries of `x`, which is block `b` of level `level`.
fn ct_blocks<F: Field>(x: &mut [F], z: &Zetas<F>, b: usize, level: usize, m: usize) {
    if x.len() <= m {
        ct(x, z, b, level);
        return;
    }
    let (lo, hi) = x.split_at_mut(x.len() / 2);
    join(
        || ct_blocks(lo, z, 2 * b, level + 1, m),
        || ct_blocks(hi, z, 2 * b + 1, level + 1, m),
    );
}

/// The codeword of `p(X) = Σ_i coeffs[i]·X^i` at rate `2^-rate_bits`, in bit-reversed order:
/// `out[br(j)] = p(ω^j)` for `j < N = coeffs.len() · 2^rate_bits` (`coeffs.len()` a power of
/// two), `ω = root(log2 N)`.
///
/// The transform is the remainder tree of `X^N − 1`: block `b` of size `2·len` at level `l`
/// holds `p mod (X^{2·len} − ζ²)` with `ζ = ω^{br(b)}` (`Zetas`) and splits into the
/// remainders modulo `X^{len} ∓ ζ`; the leaves are `p(ω^{br(j)})`. Since
/// `deg p < N/2^rate_bits`, the first `rate_bits` levels only copy `p`: they are skipped. One
/// multiplication per butterfly.
pub fn encode<F: FftField>(coeffs: &[F], rate_bits: usize) -> Result<Vec<F>, DomainTooLarge> {
    let m = coeffs.len();
    let z = zetas::<F>(m.trailing_zeros() as usize + rate_bits)?;
    // Written in parallel: first touches of fresh pages are slow on virtual machines.
    let mut out = collect_indexed(m << rate_bits, |i| coeffs[i & (m - 1)]);
    ct_blocks(&mut out, &z, 0, 0, m);
    Ok(out)
}

/// The twiddles of [`encode`]'s transform over a domain of `2^log_n` points.
fn zetas<F: FftField>(log_n: usize) -> Result<Zetas<F>, DomainTooLarge> {
    let omega = root::<F>(log_n)?;
    // Prefix of the table over log_n − 1 bits: entries q < 2^bits are (ω^{2^{log_n−1−bits}})^{br_bits(q)}.
    let bits = log_n
        .saturating_sub(FFT_BLOCK.trailing_zeros() as usize)
        .max(FFT_BLOCK.trailing_zeros() as usize - 1)
        .min(log_n.saturating_sub(1));
    Ok(Zetas {
        prefix: bit_reversed_powers(
            omega.pow([1u64 << (log_n.saturating_sub(1) - bits)]),
            bits,
            F::ONE,
        ),
        omega,
    })
}

/// [`encode`] of the monomial coefficients of the multilinear polynomial with these
/// evaluations, without a separate coefficient buffer: the coefficients are computed in the
/// codeword's first `evals.len()` entries and copied to the rest before the transform.
pub fn encode_evals<F: FftField>(evals: &[F], rate_bits: usize) -> Result<Vec<F>, DomainTooLarge> {
    let m = evals.len();
    let z = zetas::<F>(m.trailing_zeros() as usize + rate_bits)?;
    // The zero table's codeword is zero: no transform (a packed table's last columns are
    // often all padding).
    if map_reduce(m, |r| evals[r].iter().all(|x| x.is_zero()), |a, b| a && b) {
        return Ok(vec![F::ZERO; m << rate_bits]);
    }
    // Written in parallel: first touches of fresh pages are slow on virtual machines.
    let mut out = collect_indexed(m << rate_bits, |i| if i < m { evals[i] } else { F::ZERO });
    let (head, tail) = out.split_at_mut(m);
    evals_to_coeffs(head);
    for_each_fixed_chunk_mut(tail, m, |c| c.copy_from_slice(head));
    ct_blocks(&mut out, &z, 0, 0, m);
    Ok(out)
}

/// The fold twiddles in storage order: `tw(q) = 1/(2·ω^{br(q)})` for `q < N/2` (`br` over
/// `log2 N − 1` bits). The fold after `s` others (codeword length `N/2^s`) uses `q < N/2^{s+1}`:
/// there `br(q) = 2^s·br'(q)` with `br'` over `log2 N − s − 1` bits, so `tw(q)` is the twiddle
/// `1/(2·(ω^{2^s})^{br'(q)})` of that layer. Stored as two small tables: with `q = x·2^c + l`
/// (`l < 2^c`), `br(q) = br_c(l)·2^{log2 N − 1 − c} + br(x)`, so `tw(q) = lo[l]·hi[x]`.
#[derive(Clone, Debug)]
pub struct FoldTwiddles<F> {
    lo: Vec<F>,
    hi: Vec<F>,
    bits: usize,
}

impl<F: PrimeField> FoldTwiddles<F> {
    /// The twiddles of the codeword of `2^log_size` entries.
    pub fn new(log_size: usize) -> Result<Self, DomainTooLarge> {
        let omega_inv = root::<F>(log_size)?.inverse().unwrap_or(F::ONE);
        let total = log_size.saturating_sub(1);
        let bits = total.min(12);
        Ok(Self {
            lo: bit_reversed_powers(omega_inv.pow([1u64 << (total - bits)]), bits, half::<F>()),
            hi: bit_reversed_powers(omega_inv, total - bits, F::ONE),
            bits,
        })
    }

    /// `tw(q)`.
    #[inline(always)]
    pub fn get(&self, q: usize) -> F {
        self.lo[q & ((1 << self.bits) - 1)] * self.hi[q >> self.bits]
    }
}

/// `1/2` in the field (odd characteristic): `(p + 1)/2`, without an inversion (the verifier
/// needs it at every queried leaf).
pub fn half<F: PrimeField>() -> F {
    F::from_bigint(F::MODULUS_MINUS_ONE_DIV_TWO).map_or(F::ZERO, |h| h + F::ONE)
}

/// The fold of one pair: `(a + b)·h + r·(a − b)·t` with `a = c[j]`, `b = c[j + N/2]`,
/// `h = 1/2` ([`half`]) and `t = 1/(2·ω^j)`. This is what the verifier recomputes at every
/// queried position.
#[inline(always)]
pub fn fold_pair<F: BaseField, E: ExtField<F>>(a: E, b: E, twiddle: F, r: E, h: F) -> E {
    (a + b).mul_by_base_prime_field(&h)
        + E::mul_fast(&r, &(a - b).mul_by_base_prime_field(&twiddle))
}

/// Folds a base-field codeword (storage order) of length `N` into an extension-field codeword
/// of length `N/2` ([`FoldTwiddles`] of the first codeword serve every layer).
pub fn fold_base_codeword<F: BaseField + FftField, E: ExtField<F>>(
    c: &[F],
    r: E,
    tw: &FoldTwiddles<F>,
) -> Vec<E> {
    let h = half::<F>();
    collect_indexed(c.len() / 2, |q| {
        fold_pair(lift(c[2 * q]), lift(c[2 * q + 1]), tw.get(q), r, h)
    })
}

/// Folds an extension-field codeword (storage order) of length `N` into one of length `N/2`.
pub fn fold_ext_codeword<F: BaseField + FftField, E: ExtField<F>>(
    c: &[E],
    r: E,
    tw: &FoldTwiddles<F>,
) -> Vec<E> {
    let h = half::<F>();
    collect_indexed(c.len() / 2, |q| {
        fold_pair(c[2 * q], c[2 * q + 1], tw.get(q), r, h)
    })
}

/// Base-field codewords added to the word being folded after `step` of the folds
/// (`1 ≤ step < k`): entry `x` of the word after `step` folds gains `Σ_i w_i·c_i[x]`. How a
/// smaller commitment joins a joint opening's folding mid-leaf without materializing the word.
#[derive(Clone, Debug)]
pub struct Join<'a, F, E> {
    /// How many of the `k` folds come before the words are added.
    pub step: usize,
    /// The added codewords (storage order, as long as the word after `step` folds) and their
    /// weights.
    pub words: Vec<(&'a [F], E)>,
}

/// Folds a codeword (storage order, entry `x` given by `at`) `k = rs.len()` times, leaf by
/// leaf, without the intermediate codewords: output entry `q` is the fold of entries
/// `q·2^k .. (q+1)·2^k`. Returns the first `count` entries of the folded codeword; equals `k`
/// calls of [`fold_ext_codeword`] (with the `joins` added between them). See `fold_leaves`
/// for the arithmetic.
pub fn fold_codeword_k<F: BaseField + FftField, E: ExtField<F>>(
    at: impl Fn(usize) -> E + Sync + Send,
    rs: &[E],
    tw: &FoldTwiddles<F>,
    count: usize,
    joins: &[Join<'_, F, E>],
) -> Vec<E> {
    if rs.is_empty() {
        return collect_indexed(count, at);
    }
    fold_leaves(rs, tw, count, joins, |x, rz, base| {
        let (a, b) = (at(2 * x), at(2 * x + 1));
        (a + b) + E::mul_fast(&rz, &(a - b).mul_by_base_prime_field(&base))
    })
}

/// [`fold_codeword_k`] of a base-field codeword: the first fold's pairs stay in the base field
/// until the challenge multiplies them (three base multiplications per pair instead of an
/// extension-field product).
pub fn fold_base_codeword_k<F: BaseField + FftField, E: ExtField<F>>(
    at: impl Fn(usize) -> F + Sync + Send,
    rs: &[E],
    tw: &FoldTwiddles<F>,
    count: usize,
    joins: &[Join<'_, F, E>],
) -> Vec<E> {
    if rs.is_empty() {
        return collect_indexed(count, |x| lift(at(x)));
    }
    fold_leaves(rs, tw, count, joins, |x, rz, base| {
        let (a, b) = (at(2 * x), at(2 * x + 1));
        lift::<E>(a + b) + rz.mul_by_base_prime_field(&((a - b) * base))
    })
}

/// [`fold_codeword_k`] of the combination `Σ w_i·c_i` of base-field codewords, without
/// materializing it: a pair's sum `a_i + b_i` and difference `a_i − b_i` stay in the base field
/// per codeword, and a weight of one adds them without a product, so the combination costs two
/// extension-by-base products per weighted codeword and pair (none for a weight of one).
pub fn fold_combined_codeword_k<F: BaseField + FftField, E: ExtField<F>>(
    words: &[(&[F], E)],
    rs: &[E],
    tw: &FoldTwiddles<F>,
    count: usize,
    joins: &[Join<'_, F, E>],
) -> Vec<E> {
    let (ones, weighted): (Vec<_>, Vec<_>) = words.iter().partition(|(_, w)| w.is_one());
    let ones: Vec<&[F]> = ones.into_iter().map(|&(c, _)| c).collect();
    let at = |x: usize| -> E {
        let one: F = ones.iter().map(|c| c[x]).sum();
        weighted.iter().fold(lift(one), |acc, &&(c, w)| {
            acc + w.mul_by_base_prime_field(&c[x])
        })
    };
    if rs.is_empty() {
        return collect_indexed(count, at);
    }
    fold_leaves(rs, tw, count, joins, |x, rz, base| {
        let (mut sb, mut db) = (F::ZERO, F::ZERO);
        for c in &ones {
            let (a, b) = (c[2 * x], c[2 * x + 1]);
            sb += a + b;
            db += a - b;
        }
        let (mut s, mut d) = (lift::<E>(sb), lift::<E>(db));
        for &&(c, w) in &weighted {
            let (a, b) = (c[2 * x], c[2 * x + 1]);
            s += w.mul_by_base_prime_field(&(a + b));
            d += w.mul_by_base_prime_field(&(a - b));
        }
        s + E::mul_fast(&rz, &d.mul_by_base_prime_field(&base))
    })
}

/// The leaf-wise folds of [`fold_codeword_k`] (`k = rs.len() ≥ 1`). The fold of a pair is
/// `(a + b)·h + r·(a − b)·h·base^{2^e}·ζ[u]` ([`fold_pair`]'s twiddle written as
/// [`fold_leaf`] does: leaf `q`'s `base = 2·tw(q·2^{k−1})`, `ζ[u] = 2·tw(u)`); the factor `h`
/// of every step is applied once at the end (`h^k`), and `r_e·ζ[u]` is computed once per call.
/// `pair(x, r_0·ζ[u], base)` is the unscaled first fold `(a + b) + r_0·(a − b)·base·ζ[u]` of
/// pair `x = q·2^{k−1} + u`. After `e` folds the leaf's buffer holds entries
/// `q·2^{k−e} + u` of the word, times `2^e` (the `h`s not yet applied): a [`Join`] at step `e`
/// adds `2^e·Σ w·c[q·2^{k−e} + u]` there.
fn fold_leaves<F: BaseField + FftField, E: ExtField<F>>(
    rs: &[E],
    tw: &FoldTwiddles<F>,
    count: usize,
    joins: &[Join<'_, F, E>],
    pair: impl Fn(usize, E, F) -> E + Sync + Send,
) -> Vec<E> {
    let k = rs.len();
    let half_leaf = 1usize << (k - 1);
    let rz: Vec<Vec<E>> = rs
        .iter()
        .enumerate()
        .map(|(e, r)| {
            (0..half_leaf >> e)
                .map(|u| r.mul_by_base_prime_field(&tw.get(u).double()))
                .collect()
        })
        .collect();
    let hk = half::<F>().pow([k as u64]);
    // Each join's weights times `2^e`, its step's scale, once per call.
    let joins: Vec<Join<'_, F, E>> = joins
        .iter()
        .map(|j| {
            let scale = F::from(1u64 << j.step);
            Join {
                step: j.step,
                words: j
                    .words
                    .iter()
                    .map(|&(c, w)| (c, w.mul_by_base_prime_field(&scale)))
                    .collect(),
            }
        })
        .collect();
    let fold = |q: usize, v: &mut [E]| {
        let mut base = tw.get(q << (k - 1)).double();
        for (u, (x, &rz)) in v.iter_mut().zip(&rz[0]).enumerate() {
            *x = pair((q << (k - 1)) + u, rz, base);
        }
        for (e, rz) in rz.iter().enumerate().skip(1) {
            for join in joins.iter().filter(|j| j.step == e) {
                let first = q << (k - e);
                for (u, x) in v[..2 * rz.len()].iter_mut().enumerate() {
                    for &(c, w) in &join.words {
                        *x += w.mul_by_base_prime_field(&c[first + u]);
                    }
                }
            }
            base.square_in_place();
            for (u, &rz) in rz.iter().enumerate() {
                let (a, b) = (v[2 * u], v[2 * u + 1]);
                v[u] = (a + b) + E::mul_fast(&rz, &(a - b).mul_by_base_prime_field(&base));
            }
        }
        v[0].mul_by_base_prime_field(&hk)
    };
    collect_indexed(count, |q| {
        // Leaves of up to 64 entries fold in a stack buffer (no allocation per leaf).
        if k <= 6 {
            let mut buf = [E::ZERO; 32];
            fold(q, &mut buf[..half_leaf])
        } else {
            fold(q, &mut vec![E::ZERO; half_leaf])
        }
    })
}

/// `ζ^{br(u)}` for `u < 2^{k−1}` (`br` over `k − 1` bits), `ζ = ω^{−N/2^k}` of order `2^k`:
/// the part of a leaf's fold twiddles that does not depend on the leaf ([`fold_leaf`]).
pub fn leaf_twiddles<F: FftField>(log_size: usize, k: usize) -> Result<Vec<F>, DomainTooLarge> {
    let zeta = root::<F>(log_size)?
        .inverse()
        .unwrap_or(F::ONE)
        .pow([1u64 << (log_size - k.min(log_size))]);
    let len = 1usize << k.saturating_sub(1);
    let bits = k.saturating_sub(1);
    Ok((0..len)
        .map(|u| zeta.pow([bit_reverse(u, bits) as u64]))
        .collect())
}

/// Folds one opened leaf (storage order) `rs.len()` times, as the verifier does. The leaf is
/// block `q` of `2^k` entries of the codeword after `s` folds; `base = ω^{−2^s·br(q)}` (`br`
/// over the layer's `log2(leaves)` bits) and `zeta` is [`leaf_twiddles`]. Step `e` folds the
/// pair `(2u, 2u + 1)` with twiddle `h·base^{2^e}·zeta[u]`. Returns the value at position `q`
/// of the codeword `k` folds later. `values` is overwritten; callers check shapes first (a short
/// leaf or short `zeta` folds the entries there are, never panics).
pub fn fold_leaf<F: BaseField, E: ExtField<F>>(
    values: &mut [E],
    rs: &[E],
    mut base: F,
    zeta: &[F],
) -> E {
    let h = half::<F>();
    let mut len = values.len();
    for &r in rs {
        len /= 2;
        for u in 0..len {
            let (Some(&a), Some(&b), Some(&z)) =
                (values.get(2 * u), values.get(2 * u + 1), zeta.get(u))
            else {
                break;
            };
            if let Some(v) = values.get_mut(u) {
                *v = fold_pair(a, b, h * base * z, r, h);
            }
        }
        base.square_in_place();
    }
    values.first().copied().unwrap_or(E::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::poly::Mle;
    use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;

    fn horner<X: Field>(coeffs: &[X], x: X) -> X {
        coeffs.iter().rev().fold(X::ZERO, |acc, &c| acc * x + c)
    }

    /// `stored` in natural order.
    fn natural<X: Copy>(stored: &[X]) -> Vec<X> {
        let bits = stored.len().trailing_zeros() as usize;
        (0..stored.len())
            .map(|j| stored[bit_reverse(j, bits)])
            .collect()
    }

    fn check<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for n in 0..8usize {
            for rate_bits in 0..4usize {
                let evals: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
                let mut coeffs = evals.clone();
                evals_to_coeffs(&mut coeffs);
                // The monomial form agrees with the multilinear extension at a random point.
                let r: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
                let mono: E = coeffs
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| {
                        (0..n)
                            .filter(|k| (i >> k) & 1 == 1)
                            .map(|k| r[k])
                            .product::<E>()
                            * lift::<E>(c)
                    })
                    .sum();
                assert_eq!(mono, Mle::<F, E>::Base(evals.clone()).evaluate(&r));

                // The codeword is p at the domain's points, in bit-reversed order; it equals
                // ark-poly's FFT of the zero-padded coefficients.
                let code = natural(&encode(&coeffs, rate_bits).unwrap());
                let w = root::<F>(n + rate_bits).unwrap();
                for (j, &v) in code.iter().enumerate() {
                    assert_eq!(v, horner(&coeffs, w.pow([j as u64])), "n {n} entry {j}");
                }
                let d = Radix2EvaluationDomain::<F>::new(code.len()).unwrap();
                assert_eq!(d.group_gen, w);
                let mut padded = coeffs.clone();
                padded.resize(code.len(), F::ZERO);
                assert_eq!(d.fft(&padded), code);
                if rate_bits == 0 {
                    continue;
                }

                // Each fold is the codeword of p_e + r·p_o, in storage order; n folds leave f̃(r).
                let tw = FoldTwiddles::<F>::new(n + rate_bits).unwrap();
                let mut msg: Vec<E> = coeffs.iter().map(|&c| lift(c)).collect();
                let mut cw: Vec<E> = Vec::new();
                for (k, &rk) in r.iter().enumerate() {
                    cw = if k == 0 {
                        fold_base_codeword(&encode(&coeffs, rate_bits).unwrap(), rk, &tw)
                    } else {
                        fold_ext_codeword(&cw, rk, &tw)
                    };
                    msg = msg.chunks(2).map(|c| c[0] + rk * c[1]).collect();
                    let wk = w.pow([1u64 << (k + 1)]);
                    for (j, &v) in natural(&cw).iter().enumerate() {
                        assert_eq!(
                            v,
                            horner(&msg, lift::<E>(wk.pow([j as u64]))),
                            "n {n} fold {k} entry {j}"
                        );
                    }
                }
                if n > 0 {
                    let value = Mle::<F, E>::Base(evals).evaluate(&r);
                    assert_eq!(cw.len(), 1 << rate_bits);
                    assert!(cw.iter().all(|&v| v == value));
                }
            }
        }
    }

    #[test]
    fn encoding_and_folding_goldilocks() {
        check::<Goldilocks, GoldilocksExt2>(1);
    }

    #[test]
    fn encoding_and_folding_bn254() {
        check::<Bn254Fr, Bn254Fr>(2);
    }

    /// The zero table's shortcut gives the transform's codeword, and only the zero table takes
    /// it (one nonzero entry anywhere, in either parallel half, goes through the transform).
    #[test]
    fn zero_tables_encode_to_zero() {
        for n in [0usize, 3, 13] {
            let zero = vec![Goldilocks::from(0u64); 1 << n];
            let code = encode_evals(&zero, 2).unwrap();
            assert_eq!(code, encode(&zero, 2).unwrap());
            assert!(code.iter().all(|&x| x == zero[0]) && code.len() == 4 << n);
            for at in [0, (1 << n) - 1] {
                let mut one = zero.clone();
                one[at] = Goldilocks::from(1u64);
                let mut coeffs = one.clone();
                evals_to_coeffs(&mut coeffs);
                let code = encode_evals(&one, 2).unwrap();
                assert_eq!(code, encode(&coeffs, 2).unwrap());
                assert!(code.iter().any(|&x| x != zero[0]));
            }
        }
    }

    #[test]
    fn large_encodings_match_ark_poly() {
        // Beyond one in-cache block, with the parallel stages.
        let mut rng = StdRng::seed_from_u64(6);
        let coeffs: Vec<Goldilocks> = (0..1 << 14).map(|_| Goldilocks::rand(&mut rng)).collect();
        let code = natural(&encode(&coeffs, 2).unwrap());
        let d = Radix2EvaluationDomain::<Goldilocks>::new(1 << 16).unwrap();
        assert_eq!(d.fft(&coeffs), code);
    }

    /// The verifier's leaf fold equals `k` codeword folds by the prover, for every leaf of every
    /// layer start.
    fn leaf_folds<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for (n, rate_bits, k) in [(5usize, 1usize, 2usize), (6, 2, 3), (4, 1, 4), (7, 3, 1)] {
            let log_size = n + rate_bits;
            let mut coeffs: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
            evals_to_coeffs(&mut coeffs);
            let code = encode(&coeffs, rate_bits).unwrap();
            let tw = FoldTwiddles::<F>::new(log_size).unwrap();
            let zeta = leaf_twiddles::<F>(log_size, k).unwrap();
            let w_inv = root::<F>(log_size).unwrap().inverse().unwrap();
            let r: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
            let mut layers: Vec<Vec<E>> = vec![code.iter().map(|&c| lift(c)).collect()];
            for (s, &rs) in r.iter().enumerate() {
                let next = fold_ext_codeword(&layers[s], rs, &tw);
                layers.push(next);
            }
            for s in 0..=n - k {
                let depth = log_size - s - k;
                for q in 0..1usize << depth {
                    let mut v = layers[s][q << k..(q + 1) << k].to_vec();
                    let base = w_inv.pow([(bit_reverse(q, depth) as u64) << s]);
                    let got = fold_leaf(&mut v, &r[s..s + k], base, &zeta);
                    assert_eq!(got, layers[s + k][q], "n {n} k {k} layer {s} leaf {q}");
                }
            }
        }
    }

    fn multi_folds<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
        let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(seed);
        let log_size = 9;
        let tw = FoldTwiddles::<F>::new(log_size).unwrap();
        let c: Vec<E> = (0..1 << log_size).map(|_| E::rand(&mut rng)).collect();
        for k in 0..=4 {
            let rs: Vec<E> = (0..k).map(|_| E::rand(&mut rng)).collect();
            let mut step = c.clone();
            for &r in &rs {
                step = fold_ext_codeword(&step, r, &tw);
            }
            assert_eq!(
                fold_codeword_k(|j| c[j], &rs, &tw, step.len(), &[]),
                step,
                "k {k}"
            );
            assert_eq!(
                fold_codeword_k(|j| c[j], &rs, &tw, 1, &[]),
                step[..1],
                "k {k}"
            );
            let b: Vec<F> = (0..1 << log_size).map(|_| F::rand(&mut rng)).collect();
            let mut step: Vec<E> = b.iter().map(|&x| lift(x)).collect();
            for &r in &rs {
                step = fold_ext_codeword(&step, r, &tw);
            }
            assert_eq!(
                fold_base_codeword_k(|j| b[j], &rs, &tw, step.len(), &[]),
                step,
                "base, k {k}"
            );
            // Two words joining after `e` folds: added between the single folds.
            for e in 1..k {
                let mut step: Vec<E> = b.iter().map(|&x| lift(x)).collect();
                let joined: Vec<Vec<F>> = (0..2)
                    .map(|_| {
                        (0..1 << (log_size - e))
                            .map(|_| F::rand(&mut rng))
                            .collect()
                    })
                    .collect();
                let w: Vec<E> = (0..2).map(|_| E::rand(&mut rng)).collect();
                for (s, &r) in rs.iter().enumerate() {
                    if s == e {
                        for (x, v) in step.iter_mut().enumerate() {
                            *v += w[0] * lift::<E>(joined[0][x]) + w[1] * lift::<E>(joined[1][x]);
                        }
                    }
                    step = fold_ext_codeword(&step, r, &tw);
                }
                let joins = [Join {
                    step: e,
                    words: vec![(&joined[0][..], w[0]), (&joined[1][..], w[1])],
                }];
                assert_eq!(
                    fold_base_codeword_k(|j| b[j], &rs, &tw, step.len(), &joins),
                    step,
                    "base, k {k}, join at {e}"
                );
            }
        }
    }

    /// The fold of a combination `Σ w_i·c_i` of base codewords (weights of one among them), with
    /// and without a join, equals the single folds of the materialized combination.
    fn combined_folds<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
        let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(seed);
        let log_size = 8;
        let tw = FoldTwiddles::<F>::new(log_size).unwrap();
        let words: Vec<Vec<F>> = (0..3)
            .map(|_| (0..1 << log_size).map(|_| F::rand(&mut rng)).collect())
            .collect();
        for weights in [
            vec![E::ONE],
            vec![E::rand(&mut rng)],
            vec![E::ONE, E::rand(&mut rng), E::rand(&mut rng)],
            vec![E::rand(&mut rng), E::ONE, E::ONE],
        ] {
            let start: Vec<(&[F], E)> = words
                .iter()
                .zip(&weights)
                .map(|(c, &w)| (c.as_slice(), w))
                .collect();
            let combined: Vec<E> = (0..1 << log_size)
                .map(|x| start.iter().map(|&(c, w)| w * lift::<E>(c[x])).sum())
                .collect();
            assert_eq!(
                fold_combined_codeword_k(&start, &[], &tw, 1 << log_size, &[]),
                combined
            );
            for k in 1..=4 {
                let rs: Vec<E> = (0..k).map(|_| E::rand(&mut rng)).collect();
                let joined: Vec<F> = (0..1 << (log_size - 1))
                    .map(|_| F::rand(&mut rng))
                    .collect();
                let wj = E::rand(&mut rng);
                for e in (1..k).map(Some).chain([None]) {
                    let mut step = combined.clone();
                    for (s, &r) in rs.iter().enumerate() {
                        if Some(s) == e {
                            for (x, v) in step.iter_mut().enumerate() {
                                *v += wj * lift::<E>(joined[x]);
                            }
                        }
                        step = fold_ext_codeword(&step, r, &tw);
                    }
                    let joined = &joined[..1 << (log_size - e.unwrap_or(1))];
                    let joins: Vec<Join<'_, F, E>> = e
                        .map(|e| Join {
                            step: e,
                            words: vec![(joined, wj)],
                        })
                        .into_iter()
                        .collect();
                    assert_eq!(
                        fold_combined_codeword_k(&start, &rs, &tw, step.len(), &joins),
                        step,
                        "k {k}, join at {e:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn combined_folds_match_single_folds() {
        combined_folds::<Goldilocks, GoldilocksExt2>(5);
        combined_folds::<Bn254Fr, Bn254Fr>(6);
    }

    #[test]
    fn multi_folds_match_single_folds() {
        multi_folds::<Goldilocks, GoldilocksExt2>(1);
        multi_folds::<Bn254Fr, Bn254Fr>(2);
    }

    #[test]
    fn leaf_folds_match_codeword_folds() {
        leaf_folds::<Goldilocks, GoldilocksExt2>(3);
        leaf_folds::<Bn254Fr, Bn254Fr>(4);
    }

    #[test]
    fn fold_twiddles_are_inverse_bit_reversed_powers() {
        for log_size in [1usize, 2, 5, 13, 15] {
            let tw = FoldTwiddles::<Goldilocks>::new(log_size).unwrap();
            let w_inv = root::<Goldilocks>(log_size).unwrap().inverse().unwrap();
            let h = half::<Goldilocks>();
            for q in 0..1usize << (log_size - 1) {
                let expected = h * w_inv.pow([bit_reverse(q, log_size - 1) as u64]);
                assert_eq!(tw.get(q), expected, "log {log_size} q {q}");
            }
        }
    }

    #[test]
    fn coefficients_of_large_tables() {
        // Beyond one block, the halves are paired across blocks: compare with the serial loop.
        let mut rng = StdRng::seed_from_u64(9);
        let t: Vec<Goldilocks> = (0..1 << 14).map(|_| Goldilocks::rand(&mut rng)).collect();
        let mut fast = t.clone();
        evals_to_coeffs(&mut fast);
        let mut slow = t;
        let mut half = 1;
        while half < slow.len() {
            for i in 0..slow.len() {
                if i & half != 0 {
                    slow[i] = slow[i] - slow[i - half];
                }
            }
            half *= 2;
        }
        assert_eq!(fast, slow);
    }

    #[test]
    fn too_large_domains_are_refused() {
        assert_eq!(
            root::<Bn254Fr>(29).err(),
            Some(DomainTooLarge {
                log_size: 29,
                two_adicity: 28
            })
        );
        assert!(root::<Goldilocks>(32).is_ok());
        assert!(root::<Goldilocks>(33).is_err());
    }
}
