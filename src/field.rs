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

use ark_ff::fields::{Fp2, Fp2Config};
use ark_ff::{
    AdditiveGroup, BigInt, Field, PrimeField, SmallFp, SmallFpConfig, SqrtPrecomputation,
};

/// The Goldilocks prime p = 2^64 − 2^32 + 1.
pub const GOLDILOCKS_MODULUS: u64 = 0xFFFF_FFFF_0000_0001;

/// 2^64 mod p = 2^32 − 1: what a carry out of 64 bits is worth.
const EPSILON: u64 = 0xFFFF_FFFF;

/// Goldilocks arithmetic on canonical `u64` values (in `[0, p)`, no Montgomery form), plugged into
/// ark-ff's `SmallFp`. A product is reduced with 2^64 ≡ 2^32 − 1 and 2^96 ≡ −1 (mod p): about
/// three times faster here than ark-ff's generic one-limb Montgomery multiplication.
pub struct GoldilocksConfig;

impl GoldilocksConfig {
    /// `x mod p` for any 128-bit `x`, canonical.
    #[inline(always)]
    const fn reduce128(x: u128) -> u64 {
        let lo = x as u64;
        let hi = (x >> 64) as u64;
        let (hi_hi, hi_lo) = (hi >> 32, hi & EPSILON);
        // lo − hi_hi·2^96 ≡ lo − (−1)·… : subtract hi_hi, and on borrow add p (subtract 2^64 − p).
        // Branch-free: on random data these branches would be mispredicted half the time.
        let (mut t0, borrow) = lo.overflowing_sub(hi_hi);
        if borrow {
            t0 = t0.wrapping_sub(EPSILON);
        }
        // hi_lo·2^64 ≡ hi_lo·(2^32 − 1), which fits in 64 bits.
        let t1 = hi_lo * EPSILON;
        let (mut r, carry) = t0.overflowing_add(t1);
        if carry {
            r = r.wrapping_add(EPSILON);
        }
        if r >= GOLDILOCKS_MODULUS {
            r -= GOLDILOCKS_MODULUS;
        }
        r
    }

    const fn pow(mut base: u64, mut e: u64) -> u64 {
        let mut acc = 1u64;
        while e > 0 {
            if e & 1 == 1 {
                acc = Self::reduce128(acc as u128 * base as u128);
            }
            base = Self::reduce128(base as u128 * base as u128);
            e >>= 1;
        }
        acc
    }
}

impl SmallFpConfig for GoldilocksConfig {
    type T = u64;
    const MODULUS: u64 = GOLDILOCKS_MODULUS;
    const MODULUS_U128: u128 = GOLDILOCKS_MODULUS as u128;
    const GENERATOR: SmallFp<Self> = SmallFp::from_raw(7);
    const ZERO: SmallFp<Self> = SmallFp::from_raw(0);
    const ONE: SmallFp<Self> = SmallFp::from_raw(1);
    const NEG_ONE: SmallFp<Self> = SmallFp::from_raw(GOLDILOCKS_MODULUS - 1);
    const TWO_ADICITY: u32 = 32;
    /// 7^((p − 1) / 2^32).
    const TWO_ADIC_ROOT_OF_UNITY: SmallFp<Self> = SmallFp::from_raw(Self::pow(7, EPSILON));
    const SQRT_PRECOMP: Option<SqrtPrecomputation<SmallFp<Self>>> =
        Some(SqrtPrecomputation::TonelliShanks {
            two_adicity: 32,
            quadratic_nonresidue_to_trace: SmallFp::from_raw(Self::pow(7, EPSILON)),
            trace_of_modulus_minus_one_div_two: &[(EPSILON - 1) / 2],
        });

    #[inline(always)]
    fn add_assign(a: &mut SmallFp<Self>, b: &SmallFp<Self>) {
        let (mut s, carry) = a.value.overflowing_add(b.value);
        if carry {
            s = s.wrapping_add(EPSILON);
        }
        if s >= GOLDILOCKS_MODULUS {
            s -= GOLDILOCKS_MODULUS;
        }
        a.value = s;
    }

    #[inline(always)]
    fn sub_assign(a: &mut SmallFp<Self>, b: &SmallFp<Self>) {
        let (d, borrow) = a.value.overflowing_sub(b.value);
        // On borrow d = a − b + 2^64, and a − b + p = d − EPSILON.
        a.value = if borrow { d.wrapping_sub(EPSILON) } else { d };
    }

    #[inline(always)]
    fn double_in_place(a: &mut SmallFp<Self>) {
        let b = *a;
        Self::add_assign(a, &b);
    }

    #[inline(always)]
    fn neg_in_place(a: &mut SmallFp<Self>) {
        if a.value != 0 {
            a.value = GOLDILOCKS_MODULUS - a.value;
        }
    }

    #[inline(always)]
    fn mul_assign(a: &mut SmallFp<Self>, b: &SmallFp<Self>) {
        a.value = Self::reduce128(a.value as u128 * b.value as u128);
    }

    #[inline(always)]
    fn sum_of_products<const T: usize>(
        a: &[SmallFp<Self>; T],
        b: &[SmallFp<Self>; T],
    ) -> SmallFp<Self> {
        let mut acc = Self::ZERO;
        for (x, y) in a.iter().zip(b) {
            let mut p = *x;
            Self::mul_assign(&mut p, y);
            Self::add_assign(&mut acc, &p);
        }
        acc
    }

    #[inline(always)]
    fn square_in_place(a: &mut SmallFp<Self>) {
        let b = *a;
        Self::mul_assign(a, &b);
    }

    /// Fermat: a^(p − 2).
    fn inverse(a: &SmallFp<Self>) -> Option<SmallFp<Self>> {
        (a.value != 0).then(|| SmallFp::from_raw(Self::pow(a.value, GOLDILOCKS_MODULUS - 2)))
    }

    #[inline(always)]
    fn new(value: u64) -> SmallFp<Self> {
        SmallFp::from_raw(if value >= GOLDILOCKS_MODULUS {
            value - GOLDILOCKS_MODULUS
        } else {
            value
        })
    }

    fn from_bigint(other: BigInt<1>) -> Option<SmallFp<Self>> {
        (other.0[0] < GOLDILOCKS_MODULUS).then(|| SmallFp::from_raw(other.0[0]))
    }

    fn into_bigint(other: SmallFp<Self>) -> BigInt<1> {
        BigInt::new([other.value])
    }
}

/// The Goldilocks prime field, p = 2^64 − 2^32 + 1; two-adicity 32.
pub type Goldilocks = SmallFp<GoldilocksConfig>;

/// Configuration of the quadratic extension `Goldilocks[X]/(X^2 - 7)`.
pub struct GoldilocksExt2Config;

impl Fp2Config for GoldilocksExt2Config {
    type Fp = Goldilocks;

    /// 7 generates the multiplicative group of Goldilocks, so it is a quadratic non-residue.
    const NONRESIDUE: Goldilocks = SmallFp::from_raw(7);

    /// `NONRESIDUE^((p^i - 1) / 2)` for i = 0, 1: that is 1 and −1.
    const FROBENIUS_COEFF_FP2_C1: &'static [Goldilocks] = &[
        SmallFp::from_raw(1),
        SmallFp::from_raw(GOLDILOCKS_MODULUS - 1),
    ];

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

/// Multiply-accumulate with delayed reduction, for the prover's hot loops.
///
/// `Acc` holds an unreduced sum of products; [`MulAcc::reduce`] turns it into a field element.
/// Goldilocks and its extension accumulate the 64-bit halves of 128-bit products in `u128`s (one
/// reduction per sum instead of one per product); any other field can use `impl_plain_mul_acc!`,
/// which reduces as it goes.
pub trait MulAcc: Field {
    /// An unreduced sum of products (holds at least 2^32 terms).
    type Acc: Copy + Default + Send + Sync;
    /// `acc += a · b`.
    fn mul_acc(acc: &mut Self::Acc, a: &Self, b: &Self);
    /// `acc += a · f` for `f` in the base prime field.
    fn mul_base_acc(acc: &mut Self::Acc, a: &Self, f: &Self::BasePrimeField);
    /// The sum of two accumulators.
    fn merge(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// The accumulated sum as a field element.
    fn reduce(acc: Self::Acc) -> Self;
    /// `a · b`; fields may override this with a faster formula.
    #[inline(always)]
    fn mul_fast(a: &Self, b: &Self) -> Self {
        *a * b
    }
    /// `c + a · b`; fields may override this with a faster formula.
    #[inline(always)]
    fn add_mul_fast(c: &Self, a: &Self, b: &Self) -> Self {
        *c + Self::mul_fast(a, b)
    }
    /// `c + a · f` for `c` in the base field and `f` in the base field (the first fold of a
    /// base-field table); fields may override this with a faster formula.
    #[inline(always)]
    fn add_base_mul_base(c: &Self::BasePrimeField, a: &Self, f: &Self::BasePrimeField) -> Self {
        Self::from_base_prime_field(*c) + a.mul_by_base_prime_field(f)
    }
}

/// What protocol code needs of the base field `F`: a prime field with fast multiply-accumulate.
pub trait BaseField: PrimeField + MulAcc {}
impl<T: PrimeField + MulAcc> BaseField for T {}

/// What protocol code needs of the challenge field `E` over the base field `F`.
pub trait ExtField<F: BaseField>: Field<BasePrimeField = F> + MulAcc {}
impl<F: BaseField, T: Field<BasePrimeField = F> + MulAcc> ExtField<F> for T {}

/// Implements [`MulAcc`] for a field by plain multiplication and addition.
#[macro_export]
macro_rules! impl_plain_mul_acc {
    ($t:ty) => {
        impl $crate::field::MulAcc for $t {
            type Acc = $t;
            #[inline(always)]
            fn mul_acc(acc: &mut $t, a: &$t, b: &$t) {
                *acc += *a * b;
            }
            #[inline(always)]
            fn mul_base_acc(acc: &mut $t, a: &$t, f: &<$t as ark_ff::Field>::BasePrimeField) {
                *acc += a.mul_by_base_prime_field(f);
            }
            #[inline(always)]
            fn merge(a: $t, b: $t) -> $t {
                a + b
            }
            #[inline(always)]
            fn reduce(acc: $t) -> $t {
                acc
            }
        }
    };
}

impl_plain_mul_acc!(Bn254Fr);

/// A sum of 128-bit products split into the sums of their low and high 64-bit halves.
#[derive(Clone, Copy, Default, Debug)]
pub struct WideAcc {
    lo: u128,
    hi: u128,
}

impl WideAcc {
    #[inline(always)]
    fn add(&mut self, p: u128) {
        self.lo += p as u64 as u128;
        self.hi += p >> 64;
    }

    #[inline(always)]
    fn merge(self, o: Self) -> Self {
        Self {
            lo: self.lo + o.lo,
            hi: self.hi + o.hi,
        }
    }

    /// `(lo + hi · 2^64) mod p`, with 2^64 ≡ 2^32 − 1.
    #[inline(always)]
    fn reduce(self) -> Goldilocks {
        let lo = GoldilocksConfig::reduce128(self.lo);
        let hi = GoldilocksConfig::reduce128(self.hi);
        let hi = GoldilocksConfig::reduce128(hi as u128 * EPSILON as u128);
        SmallFp::from_raw(lo) + SmallFp::from_raw(hi)
    }
}

#[inline(always)]
fn wide(a: Goldilocks, b: Goldilocks) -> u128 {
    a.value as u128 * b.value as u128
}

impl MulAcc for Goldilocks {
    type Acc = WideAcc;
    #[inline(always)]
    fn mul_acc(acc: &mut WideAcc, a: &Self, b: &Self) {
        acc.add(wide(*a, *b));
    }
    #[inline(always)]
    fn mul_base_acc(acc: &mut WideAcc, a: &Self, f: &Self) {
        acc.add(wide(*a, *f));
    }
    #[inline(always)]
    fn merge(a: WideAcc, b: WideAcc) -> WideAcc {
        a.merge(b)
    }
    #[inline(always)]
    fn reduce(acc: WideAcc) -> Self {
        acc.reduce()
    }
}

impl MulAcc for GoldilocksExt2 {
    /// `Σ a0·b0`, `Σ a1·b1`, `Σ (a0·b1 + a1·b0)`; the product is `c0 = A + 7B`, `c1 = C`.
    type Acc = [WideAcc; 3];
    #[inline(always)]
    fn mul_acc(acc: &mut Self::Acc, a: &Self, b: &Self) {
        acc[0].add(wide(a.c0, b.c0));
        acc[1].add(wide(a.c1, b.c1));
        acc[2].add(wide(a.c0, b.c1));
        acc[2].add(wide(a.c1, b.c0));
    }
    #[inline(always)]
    fn mul_base_acc(acc: &mut Self::Acc, a: &Self, f: &Goldilocks) {
        acc[0].add(wide(a.c0, *f));
        acc[2].add(wide(a.c1, *f));
    }
    #[inline(always)]
    fn merge(a: Self::Acc, b: Self::Acc) -> Self::Acc {
        [a[0].merge(b[0]), a[1].merge(b[1]), a[2].merge(b[2])]
    }
    #[inline(always)]
    fn reduce(acc: Self::Acc) -> Self {
        let b = acc[1].reduce();
        let seven_b = SmallFp::from_raw(GoldilocksConfig::reduce128(7 * b.value as u128));
        GoldilocksExt2::new(acc[0].reduce() + seven_b, acc[2].reduce())
    }
    /// `c + a·b` with the addition inside the last reduction of each coordinate.
    #[inline(always)]
    fn add_mul_fast(c: &Self, a: &Self, b: &Self) -> Self {
        let r = GoldilocksConfig::reduce128;
        // (p − 1)² + 7(p − 1) + (p − 1) < 2^128.
        let a1b1 = r(wide(a.c1, b.c1));
        let c0 = r(wide(a.c0, b.c0) + 7 * a1b1 as u128 + c.c0.value as u128);
        let a1b0 = r(wide(a.c1, b.c0));
        let c1 = r(wide(a.c0, b.c1) + a1b0 as u128 + c.c1.value as u128);
        GoldilocksExt2::new(SmallFp::from_raw(c0), SmallFp::from_raw(c1))
    }
    /// `c + a·f` for base-field `c` and `f`: `(c + a0·f, a1·f)`, one reduction per coordinate.
    #[inline(always)]
    fn add_base_mul_base(c: &Goldilocks, a: &Self, f: &Goldilocks) -> Self {
        let r = GoldilocksConfig::reduce128;
        let c0 = r(wide(a.c0, *f) + c.value as u128);
        GoldilocksExt2::new(SmallFp::from_raw(c0), SmallFp::from_raw(r(wide(a.c1, *f))))
    }
    /// Schoolbook with one reduction per coordinate pair: `c0 = a0·b0 + 7·(a1·b1 mod p)` and
    /// `c1 = a0·b1 + (a1·b0 mod p)` both stay below 2^128 before the last reduction.
    #[inline(always)]
    fn mul_fast(a: &Self, b: &Self) -> Self {
        let r = GoldilocksConfig::reduce128;
        let a1b1 = r(wide(a.c1, b.c1));
        let c0 = r(wide(a.c0, b.c0) + 7 * a1b1 as u128);
        let a1b0 = r(wide(a.c1, b.c0));
        let c1 = r(wide(a.c0, b.c1) + a1b0 as u128);
        GoldilocksExt2::new(SmallFp::from_raw(c0), SmallFp::from_raw(c1))
    }
}

/// `e · f` for `e` in the extension and `f` in its base prime field.
#[inline(always)]
pub fn mul_base<E: Field>(e: E, f: E::BasePrimeField) -> E {
    e.mul_by_base_prime_field(&f)
}

/// Entries per ChaCha20 stream in [`uniform_vec`].
const UNIFORM_CHUNK: usize = 1 << 14;

/// `len` uniformly random field elements for the provers' masks: one 256-bit seed per chunk of
/// `UNIFORM_CHUNK` (2^14) entries is drawn from `rng` (in order), and each chunk is filled from a
/// ChaCha20 stream with its seed, in parallel. A few draws from `rng` instead of one per entry
/// (the operating system's generator costs a system call per draw); the same output for a
/// given `rng` whatever the thread count.
pub fn uniform_vec<T: Field, R: rand::RngCore + rand::CryptoRng>(
    rng: &mut R,
    len: usize,
) -> Vec<T> {
    use rand::SeedableRng;
    let seeds: Vec<[u8; 32]> = (0..len.div_ceil(UNIFORM_CHUNK))
        .map(|_| {
            let mut seed = [0u8; 32];
            rng.fill_bytes(&mut seed);
            seed
        })
        .collect();
    let mut out = vec![T::ZERO; len];
    crate::parallel::for_each_indexed_chunk_mut(&mut out, UNIFORM_CHUNK, |c, chunk| {
        let mut stream = rand_chacha::ChaCha20Rng::from_seed(seeds[c]);
        for x in chunk {
            *x = T::rand(&mut stream);
        }
    });
    out
}

/// The base-field element `f` seen as an element of `E`.
#[inline(always)]
pub fn lift<E: Field>(f: E::BasePrimeField) -> E {
    E::from_base_prime_field(f)
}

/// A base-field element from a signed integer (negative values as p − |x|).
///
/// Injective only on `|x| ≤ (p − 1) / 2`; for Goldilocks that is `|x| ≤ 2^63 − 2^31`, far beyond
/// quantized values and their accumulations.
pub fn from_i64<F: PrimeField>(x: i64) -> F {
    F::from(x)
}

/// The signed integer a base-field element stands for: its representative in
/// `(−(p − 1)/2, (p − 1)/2]`, when that fits in an `i64` (the inverse of [`from_i64`]).
pub fn to_i64<F: PrimeField>(x: F) -> Option<i64> {
    use ark_ff::BigInteger;
    let small = |v: F| -> Option<i64> {
        let b = v.into_bigint();
        let limbs = b.as_ref();
        (limbs.iter().skip(1).all(|&l| l == 0) && b.num_bits() < 64)
            .then(|| limbs.first().copied().unwrap_or(0) as i64)
    };
    small(x).or_else(|| small(-x).map(|v| -v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{FftField, LegendreSymbol, One, UniformRand, Zero};
    use ark_std::test_rng;

    #[test]
    fn to_i64_inverts_from_i64() {
        for x in [
            0i64,
            1,
            -1,
            127,
            -128,
            1 << 40,
            -(1 << 40),
            i64::MAX / 2,
            -(i64::MAX / 2),
        ] {
            assert_eq!(to_i64(from_i64::<Goldilocks>(x)), Some(x));
            assert_eq!(to_i64(from_i64::<Bn254Fr>(x)), Some(x));
        }
        // A field element far from 0 on both sides has no i64 representative (BN254).
        let big = Bn254Fr::from(u64::MAX) * Bn254Fr::from(u64::MAX);
        assert_eq!(to_i64(big), None);
    }

    /// Edge values and random ones, against u128 arithmetic mod p.
    #[test]
    fn goldilocks_arithmetic_matches_u128() {
        let p = GOLDILOCKS_MODULUS as u128;
        let mut rng = test_rng();
        let mut vals: Vec<u64> = vec![
            0,
            1,
            2,
            EPSILON,
            EPSILON + 1,
            1 << 32,
            1 << 63,
            GOLDILOCKS_MODULUS - 1,
            GOLDILOCKS_MODULUS - 2,
            GOLDILOCKS_MODULUS - EPSILON,
        ];
        vals.extend(
            (0..200).map(|_| ark_std::rand::Rng::gen_range(&mut rng, 0..GOLDILOCKS_MODULUS)),
        );
        for &a in &vals {
            for &b in &vals {
                let (fa, fb) = (Goldilocks::from(a), Goldilocks::from(b));
                let (a, b) = (a as u128, b as u128);
                assert_eq!((fa * fb).into_bigint().0[0] as u128, a * b % p);
                assert_eq!((fa + fb).into_bigint().0[0] as u128, (a + b) % p);
                assert_eq!((fa - fb).into_bigint().0[0] as u128, (a + p - b) % p);
                assert_eq!((-fa).into_bigint().0[0] as u128, (p - a) % p);
            }
        }
        for x in [
            u128::MAX,
            (p - 1) * (p - 1),
            p * p,
            (1u128 << 96) + 5,
            1u128 << 127,
        ] {
            assert_eq!(GoldilocksConfig::reduce128(x) as u128, x % p);
        }
        for _ in 0..100 {
            let a = Goldilocks::rand(&mut rng);
            if !a.is_zero() {
                assert_eq!(a * a.inverse().unwrap(), Goldilocks::one());
            }
            let sq = a.square();
            let r = sq.sqrt().unwrap();
            assert!(r == a || r == -a);
        }
        assert_eq!(Goldilocks::from(GOLDILOCKS_MODULUS), Goldilocks::zero());
        assert_eq!(Goldilocks::from(u64::MAX), Goldilocks::from(EPSILON - 1));
    }

    #[test]
    fn goldilocks_parameters() {
        assert_eq!(Goldilocks::MODULUS.0[0], 0xFFFF_FFFF_0000_0001);
        assert_eq!(<Goldilocks as FftField>::TWO_ADICITY, 32);
        let w = <Goldilocks as FftField>::TWO_ADIC_ROOT_OF_UNITY;
        assert_eq!(w.pow([1u64 << 32]), Goldilocks::one());
        assert_ne!(w.pow([1u64 << 31]), Goldilocks::one());
        // The generator has full order: 7^((p-1)/q) != 1 for each prime q | p − 1.
        for q in [2u64, 3, 5, 17, 257, 65537] {
            assert_ne!(
                Goldilocks::from(7u64).pow([(GOLDILOCKS_MODULUS - 1) / q]),
                Goldilocks::one()
            );
        }
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

    fn check_mul_acc<T: MulAcc + UniformRand>() {
        let mut rng = test_rng();
        for n in [0usize, 1, 2, 7, 1000] {
            let a: Vec<T> = (0..n).map(|_| T::rand(&mut rng)).collect();
            let b: Vec<T> = (0..n).map(|_| T::rand(&mut rng)).collect();
            let f: Vec<T::BasePrimeField> =
                (0..n).map(|_| T::BasePrimeField::rand(&mut rng)).collect();
            let (mut acc, mut acc_base) = (T::Acc::default(), T::Acc::default());
            for i in 0..n {
                T::mul_acc(&mut acc, &a[i], &b[i]);
                T::mul_base_acc(&mut acc_base, &a[i], &f[i]);
                assert_eq!(T::mul_fast(&a[i], &b[i]), a[i] * b[i]);
                assert_eq!(T::add_mul_fast(&b[i], &a[i], &b[i]), b[i] + a[i] * b[i]);
                let lifted = T::from_base_prime_field(f[i]);
                assert_eq!(
                    T::add_base_mul_base(&f[i], &a[i], &f[i]),
                    lifted + a[i] * lifted
                );
            }
            let expected: T = a.iter().zip(&b).map(|(x, y)| *x * y).sum();
            assert_eq!(T::reduce(acc), expected);
            let half = T::merge(acc, acc);
            assert_eq!(T::reduce(half), expected.double());
            let expected: T = a
                .iter()
                .zip(&f)
                .map(|(x, y)| x.mul_by_base_prime_field(y))
                .sum();
            assert_eq!(T::reduce(acc_base), expected);
        }
        // Extreme values: every coordinate p − 1.
        let m = -T::one();
        let mut acc = T::Acc::default();
        for _ in 0..10_000 {
            T::mul_acc(&mut acc, &m, &m);
        }
        assert_eq!(T::reduce(acc), T::from(10_000u64) * m * m);
    }

    #[test]
    fn mul_acc_matches_plain_arithmetic() {
        check_mul_acc::<Goldilocks>();
        check_mul_acc::<GoldilocksExt2>();
        check_mul_acc::<Bn254Fr>();
        let m = GoldilocksExt2::new(-Goldilocks::one(), -Goldilocks::one());
        assert_eq!(MulAcc::mul_fast(&m, &m), m * m);
        assert_eq!(MulAcc::add_mul_fast(&m, &m, &m), m + m * m);
        let f = -Goldilocks::one();
        assert_eq!(
            GoldilocksExt2::add_base_mul_base(&f, &m, &f),
            lift::<GoldilocksExt2>(f) + m * lift::<GoldilocksExt2>(f)
        );
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
