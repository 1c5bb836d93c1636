//! Reed–Solomon encoding and FRI folding, as Basefold uses them.
//!
//! A multilinear `f` over `n` variables is written in the monomial basis,
//! `f(x) = Σ_i c_i Π_{k : bit k of i} x_k`, and encoded as the Reed–Solomon codeword of the
//! univariate `p(X) = Σ_i c_i X^i`: its values at `ω^j` for `j < N = 2^{n + rate_bits}`, `ω` a
//! primitive `N`-th root of unity (ark-poly's radix-2 FFT). Since `p(X) = p_e(X²) + X·p_o(X²)`
//! where `p_e`, `p_o` collect the even and odd coefficients, and even/odd `i` are the monomials
//! without/with `x_0`, the fold
//!
//! ```text
//!     c'[j] = (c[j] + c[j + N/2]) / 2  +  r · (c[j] − c[j + N/2]) / (2·ω^j),    j < N/2,
//! ```
//!
//! (with `ω^{j + N/2} = −ω^j`) is the codeword of `p_e + r·p_o` on `⟨ω²⟩`, which encodes
//! `f(r, x_1, …)`: the same binding of `x_0` that the sum-check makes. After `n` folds with
//! `r_0, …, r_{n−1}` every entry of the codeword is `f̃(r_0, …, r_{n−1})`.

use crate::field::{BaseField, ExtField};
use crate::parallel::collect_indexed;
use ark_ff::{FftField, Field};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};

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
pub fn evals_to_coeffs<T: Field>(t: &mut [T]) {
    let mut half = 1;
    while half < t.len() {
        for block in t.chunks_mut(2 * half) {
            let (lo, hi) = block.split_at_mut(half);
            for (a, b) in lo.iter().zip(hi.iter_mut()) {
                *b -= *a;
            }
        }
        half *= 2;
    }
}

/// The radix-2 domain of `2^log_size` points.
pub fn domain<F: FftField>(log_size: usize) -> Result<Radix2EvaluationDomain<F>, DomainTooLarge> {
    let err = DomainTooLarge {
        log_size,
        two_adicity: F::TWO_ADICITY,
    };
    if log_size > F::TWO_ADICITY as usize {
        return Err(err);
    }
    Radix2EvaluationDomain::new(1 << log_size).ok_or(err)
}

/// The codeword of `p(X) = Σ_i coeffs[i]·X^i` at rate `2^-rate_bits`: `p(ω^j)` for
/// `j < coeffs.len() · 2^rate_bits` (`coeffs.len()` a power of two).
pub fn encode<F: FftField>(coeffs: &[F], rate_bits: usize) -> Result<Vec<F>, DomainTooLarge> {
    let log_size = coeffs.len().trailing_zeros() as usize + rate_bits;
    let d = domain::<F>(log_size)?;
    let mut v = coeffs.to_vec();
    v.resize(1 << log_size, F::ZERO);
    d.fft_in_place(&mut v);
    Ok(v)
}

/// `1 / (2·ω^j)` for `j < N/2`, the fold's twiddles for the first layer; layer `ℓ` (domain
/// `⟨ω^{2^ℓ}⟩`) uses every `2^ℓ`-th entry.
pub fn fold_twiddles<F: FftField>(log_size: usize) -> Result<Vec<F>, DomainTooLarge> {
    let d = domain::<F>(log_size)?;
    let mut out = Vec::with_capacity(d.size() / 2);
    let mut x = half::<F>();
    for _ in 0..d.size() / 2 {
        out.push(x);
        x *= d.group_gen_inv;
    }
    Ok(out)
}

/// `1/2` in the field (odd characteristic).
pub fn half<F: Field>() -> F {
    F::from(2u64).inverse().unwrap_or(F::ZERO)
}

/// The fold of one pair: `(a + b)·h + r·(a − b)·t` with `a = c[j]`, `b = c[j + N/2]`,
/// `h = 1/2` ([`half`]) and `t = 1/(2·ω^j)`. This is what the verifier recomputes at every
/// queried position.
#[inline(always)]
pub fn fold_pair<F: BaseField, E: ExtField<F>>(a: E, b: E, twiddle: F, r: E, h: F) -> E {
    (a + b).mul_by_base_prime_field(&h)
        + E::mul_fast(&r, &(a - b).mul_by_base_prime_field(&twiddle))
}

/// Folds a base-field codeword of length `N` into an extension-field codeword of length `N/2`;
/// `stride` selects the layer's twiddles (`twiddles[stride·j]`).
pub fn fold_base_codeword<F: BaseField, E: ExtField<F>>(
    c: &[F],
    r: E,
    twiddles: &[F],
    stride: usize,
) -> Vec<E> {
    let (n, h) = (c.len() / 2, half::<F>());
    collect_indexed(n, |j| {
        fold_pair(
            E::from_base_prime_field(c[j]),
            E::from_base_prime_field(c[j + n]),
            twiddles[stride * j],
            r,
            h,
        )
    })
}

/// Folds an extension-field codeword of length `N` into one of length `N/2`.
pub fn fold_ext_codeword<F: BaseField, E: ExtField<F>>(
    c: &[E],
    r: E,
    twiddles: &[F],
    stride: usize,
) -> Vec<E> {
    let (n, h) = (c.len() / 2, half::<F>());
    collect_indexed(n, |j| fold_pair(c[j], c[j + n], twiddles[stride * j], r, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{lift, Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::poly::Mle;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    fn horner<F: Field, X: Field + From<F>>(coeffs: &[X], x: X) -> X {
        coeffs.iter().rev().fold(X::ZERO, |acc, &c| acc * x + c)
    }

    fn check<F: BaseField + FftField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for n in 0..7usize {
            for rate_bits in 1..3usize {
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

                // The codeword is p at the domain's points.
                let code = encode(&coeffs, rate_bits).unwrap();
                let d = domain::<F>(n + rate_bits).unwrap();
                for (j, &v) in code.iter().enumerate() {
                    assert_eq!(v, horner::<F, F>(&coeffs, d.group_gen.pow([j as u64])));
                }

                // Each fold is the codeword of p_e + r·p_o; n folds leave f̃(r) everywhere.
                let tw = fold_twiddles::<F>(n + rate_bits).unwrap();
                let mut msg: Vec<E> = coeffs.iter().map(|&c| lift(c)).collect();
                let mut cw: Vec<E> = code.iter().map(|&c| lift(c)).collect();
                for (k, &rk) in r.iter().enumerate() {
                    cw = if k == 0 {
                        fold_base_codeword(&code, rk, &tw, 1)
                    } else {
                        fold_ext_codeword(&cw, rk, &tw, 1 << k)
                    };
                    msg = msg.chunks(2).map(|c| c[0] + rk * c[1]).collect();
                    let w = d.group_gen.pow([1u64 << (k + 1)]);
                    for (j, &v) in cw.iter().enumerate() {
                        assert_eq!(
                            v,
                            horner::<E, E>(&msg, lift(w.pow([j as u64]))),
                            "n {n} fold {k} entry {j}"
                        );
                    }
                }
                let value = Mle::<F, E>::Base(evals).evaluate(&r);
                assert_eq!(cw.len(), 1 << rate_bits);
                assert!(cw.iter().all(|&v| v == value));
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

    #[test]
    fn too_large_domains_are_refused() {
        assert_eq!(
            domain::<Bn254Fr>(29).err(),
            Some(DomainTooLarge {
                log_size: 29,
                two_adicity: 28
            })
        );
        assert!(domain::<Goldilocks>(32).is_ok());
        assert!(domain::<Goldilocks>(33).is_err());
    }
}
