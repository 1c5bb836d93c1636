//! Fields: the Goldilocks base field `F`, its quadratic extension `E`, and BN254's scalar field.
//!
//! Witness data lives in the base field `F`; every verifier challenge lives in `E`. Protocol code is
//! generic over `F: PrimeField` and `E: Field<BasePrimeField = F>` (ark-ff's own relation), so the
//! same code runs on
//!
//! * [`Goldilocks`] (p = 2^64 − 2^32 + 1) with challenges in [`GoldilocksExt2`] = F\[X\]/(X² − 7),
//!   about 128 bits; and
//! * [`Bn254Fr`] (BN254's 254-bit scalar field) with `E = F`.
//!
//! See `spec/fields.md`.

use ark_ff::fields::{Fp2, Fp2Config, Fp64, MontBackend, MontConfig};
use ark_ff::{AdditiveGroup, Field, MontFp, PrimeField};

/// Montgomery configuration of the Goldilocks prime p = 2^64 − 2^32 + 1 (generator 7).
#[derive(MontConfig)]
#[modulus = "18446744069414584321"]
#[generator = "7"]
pub struct GoldilocksConfig;

/// The Goldilocks prime field, p = 2^64 − 2^32 + 1; two-adicity 32.
pub type Goldilocks = Fp64<MontBackend<GoldilocksConfig, 1>>;

/// Configuration of the quadratic extension `Goldilocks[X]/(X^2 - 7)`.
pub struct GoldilocksExt2Config;

impl Fp2Config for GoldilocksExt2Config {
    type Fp = Goldilocks;

    /// 7 generates the multiplicative group of Goldilocks, so it is a quadratic non-residue.
    const NONRESIDUE: Goldilocks = MontFp!("7");

    /// `NONRESIDUE^((p^i - 1) / 2)` for i = 0, 1: that is 1 and −1.
    const FROBENIUS_COEFF_FP2_C1: &'static [Goldilocks] =
        &[MontFp!("1"), MontFp!("18446744069414584320")];

    /// 7·x as 8·x − x: three doublings and a subtraction instead of a Montgomery product.
    #[inline(always)]
    fn mul_fp_by_nonresidue_in_place(fe: &mut Goldilocks) -> &mut Goldilocks {
        let x = *fe;
        fe.double_in_place().double_in_place().double_in_place();
        *fe -= x;
        fe
    }
}

/// The quadratic extension of Goldilocks used for challenges (≈128 bits).
pub type GoldilocksExt2 = Fp2<GoldilocksExt2Config>;

/// BN254's scalar field, the second instantiation (challenges in the same field).
pub type Bn254Fr = ark_bn254::Fr;

/// `e · f` for `e` in the extension and `f` in its base prime field.
#[inline(always)]
pub fn mul_base<E: Field>(e: E, f: E::BasePrimeField) -> E {
    e.mul_by_base_prime_field(&f)
}

/// The base-field element `f` seen as an element of `E`.
#[inline(always)]
pub fn lift<E: Field>(f: E::BasePrimeField) -> E {
    E::from_base_prime_field(f)
}

/// A base-field element from a signed integer (negative values as p − |x|).
pub fn from_i64<F: PrimeField>(x: i64) -> F {
    F::from(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{FftField, LegendreSymbol, One, UniformRand, Zero};
    use ark_std::test_rng;

    #[test]
    fn goldilocks_parameters() {
        assert_eq!(Goldilocks::MODULUS.0[0], 0xFFFF_FFFF_0000_0001);
        assert_eq!(<Goldilocks as FftField>::TWO_ADICITY, 32);
        let seven = Goldilocks::from(7u64);
        assert_eq!(seven.legendre(), LegendreSymbol::QuadraticNonResidue);
        assert_eq!(GoldilocksExt2::extension_degree(), 2);
    }

    #[test]
    fn extension_arithmetic_matches_definition() {
        let mut rng = test_rng();
        let seven = Goldilocks::from(7u64);
        for _ in 0..1000 {
            let a = GoldilocksExt2::rand(&mut rng);
            let b = GoldilocksExt2::rand(&mut rng);
            // (a0 + a1 X)(b0 + b1 X) = a0 b0 + 7 a1 b1 + (a0 b1 + a1 b0) X
            let c = a * b;
            assert_eq!(c.c0, a.c0 * b.c0 + seven * a.c1 * b.c1);
            assert_eq!(c.c1, a.c0 * b.c1 + a.c1 * b.c0);
            let f = Goldilocks::rand(&mut rng);
            assert_eq!(mul_base(a, f), a * lift::<GoldilocksExt2>(f));
            if !a.is_zero() {
                assert_eq!(a * a.inverse().unwrap(), GoldilocksExt2::one());
            }
            // Frobenius is the conjugation X -> -X.
            assert_eq!(a.frobenius_map(1), GoldilocksExt2::new(a.c0, -a.c1));
        }
    }

    #[test]
    fn signed_values() {
        assert_eq!(
            from_i64::<Goldilocks>(-3) + Goldilocks::from(3u64),
            Goldilocks::zero()
        );
        assert_eq!(
            from_i64::<Bn254Fr>(-3) + Bn254Fr::from(3u64),
            Bn254Fr::zero()
        );
    }
}
