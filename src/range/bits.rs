//! Range checks by bit decomposition, for comparison with logUp-GKR.
//!
//! Statement: a column `c` of `2^n` entries and bit columns `b_0, …, b_{B−1}` (`B` = `bits`),
//! all committed by the caller: every `b_j(x) ∈ {0, 1}` and `c(x) = Σ_j 2^j·b_j(x)`, so
//! `c(x) ∈ [0, 2^B)`. The prover's advice is the `B` bit columns, each as long as `c`.
//!
//! Protocol: draw `r ∈ E^n` and `γ ∈ E`; a zero-check, the degree-3 sum-check of
//!
//! ```text
//!     0 = Σ_x eq(r, x) · Σ_j γ^j · b_j(x)·(b_j(x) − 1),
//! ```
//!
//! ending at a point `ρ`; the prover sends `v_j = b̃_j(ρ)`, the verifier checks the sum-check's
//! final value against `eq(r, ρ)·Σ_j γ^j v_j(v_j − 1)` and returns the claims `b̃_j(ρ) = v_j`
//! and `c̃(ρ) = Σ_j 2^j v_j` (the decomposition is linear, so it is checked at the same random
//! point). Soundness error `(5n + B − 1)/|E|`: the zero-check's `r` (`n/|E|`), `γ`
//! (`(B − 1)/|E|`), the sum-check (`3n/|E|`), and the decomposition at `ρ` (`n/|E|`: the
//! multilinear `c − Σ_j 2^j b_j` is fixed before the sum-check's challenges).
//!
//! The prover is specialized like `range::layer`: `eq` factored out with split weights, and
//! a first round that uses booleanity (`h(0) = 0`, and the `X²` coefficient of
//! `b(b − 1)` is `(b_1 − b_0)² ∈ {0, 1}`, so it adds `γ^j` where the pair differs) and folds
//! without multiplications (a boolean pair folds to `b_0`, `ρ` or `1 − ρ`). Later rounds hold the
//! `B` folded columns side by side (`B` entries per `x`).

use super::layer::{chunk_size, merge2, Rounds, Weights};
use super::MAX_BITS;
use crate::field::{BaseField, ExtField, MulAcc};
use crate::parallel::{collect_indexed, map_reduce, map_reduce_chunks_mut};
use crate::sumcheck::{self, EvaluationClaim, SumcheckError};
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

/// A bit-decomposition proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BitsProof<E: Field> {
    /// The zero-check's sum-check (`n` rounds of degree 3).
    pub sumcheck: sumcheck::Proof<E>,
    /// `b̃_j(ρ)` for each bit column.
    pub bit_values: Vec<E>,
}

/// The claims left for the caller: all at the sum-check's point `ρ`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitsClaims<E> {
    /// `c̃(ρ) = Σ_j 2^j·b̃_j(ρ)`.
    pub column: EvaluationClaim<E>,
    /// `b̃_j(ρ)` for each bit column.
    pub bits: Vec<EvaluationClaim<E>>,
}

/// A bit-decomposition statement that cannot be proven, or a proof the verifier rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BitsError {
    /// The number of bit columns is outside `1..=MAX_BITS`.
    #[error("{bits} bit columns; 1 to {MAX_BITS} are supported")]
    Bits {
        /// Bit columns.
        bits: usize,
    },
    /// The column's length is zero or not a power of two (or more than 2^32 entries).
    #[error("the column has {len} entries; a nonzero power of two up to 2^32 is required")]
    ColumnLength {
        /// Its length.
        len: usize,
    },
    /// A bit column's length differs from the column's.
    #[error("bit column {bit} has {len} entries; the column has {expected}")]
    BitColumnLength {
        /// Which bit.
        bit: usize,
        /// Its length.
        len: usize,
        /// The column's length.
        expected: usize,
    },
    /// An entry is out of range (from [`decompose`]).
    #[error("index {index}: {value} is not in [0, 2^{bits})")]
    ValueOutOfRange {
        /// Which entry.
        index: usize,
        /// The entry, in decimal.
        value: String,
        /// Bits.
        bits: usize,
    },
    /// A bit column has an entry other than 0 or 1 (prover precondition).
    #[error("bit column {bit}, index {index}: not 0 or 1")]
    NotBoolean {
        /// Which bit.
        bit: usize,
        /// Which entry.
        index: usize,
    },
    /// The bits do not add up to the column's entry (prover precondition).
    #[error("index {index}: the bits do not add up to the column's entry")]
    Decomposition {
        /// Which entry.
        index: usize,
    },
    /// The verifier was given more than 2^32 entries.
    #[error("2^{num_vars} entries; at most 2^32 are supported")]
    NumVars {
        /// Variables given.
        num_vars: usize,
    },
    /// The proof has the wrong number of bit values.
    #[error("the proof has {got} bit values; expected {expected}")]
    BitValues {
        /// Bits.
        expected: usize,
        /// Values in the proof.
        got: usize,
    },
    /// The zero-check's sum-check proof is malformed.
    #[error("zero-check: {0}")]
    Sumcheck(#[from] SumcheckError),
    /// The bit values do not match the zero-check's final claim.
    #[error("the bit values do not match the zero-check's final claim")]
    ZeroCheck,
}

/// The bit columns of `column` (least significant first), or the first entry not in
/// `[0, 2^bits)`.
pub fn decompose<F: BaseField>(column: &[F], bits: usize) -> Result<Vec<Vec<F>>, BitsError> {
    if bits == 0 || bits > MAX_BITS {
        return Err(BitsError::Bits { bits });
    }
    let values = column
        .iter()
        .enumerate()
        .map(|(index, v)| {
            let b = v.into_bigint();
            let limbs = b.as_ref();
            match limbs.split_first() {
                Some((&lo, hi)) if hi.iter().all(|&l| l == 0) && lo < 1 << bits => Ok(lo),
                _ => Err(BitsError::ValueOutOfRange {
                    index,
                    value: v.to_string(),
                    bits,
                }),
            }
        })
        .collect::<Result<Vec<u64>, _>>()?;
    Ok((0..bits)
        .map(|j| collect_indexed(values.len(), |x| F::from((values[x] >> j) & 1)))
        .collect())
}

fn num_vars(len: usize) -> Result<usize, BitsError> {
    if !len.is_power_of_two() || len > 1 << super::MAX_TREE_VARS {
        return Err(BitsError::ColumnLength { len });
    }
    Ok(len.trailing_zeros() as usize)
}

fn begin<E: Field>(t: &mut Transcript, n: usize, bits: usize) -> (Vec<E>, Vec<E>) {
    t.domain_separator(b"range-bits", &[n as u64, bits as u64]);
    let r = t.challenge_fields(b"range-bits-point", n);
    let gamma: E = t.challenge_field(b"range-bits-gamma");
    let mut powers = Vec::with_capacity(bits);
    let mut g = E::ONE;
    for _ in 0..bits {
        powers.push(g);
        g *= gamma;
    }
    (r, powers)
}

fn claims<E: Field>(point: Vec<E>, values: &[E]) -> BitsClaims<E> {
    let mut pow = E::ONE;
    let mut c = E::ZERO;
    for &v in values {
        c += pow * v;
        pow.double_in_place();
    }
    BitsClaims {
        bits: values
            .iter()
            .map(|&value| EvaluationClaim {
                point: point.clone(),
                value,
            })
            .collect(),
        column: EvaluationClaim { point, value: c },
    }
}

/// Proves that `bit_columns` are boolean and decompose `column`. **Precondition**: the caller
/// has bound the column and the bit columns to `transcript` (committed to them) first.
pub fn prove<F: BaseField, E: ExtField<F>>(
    column: &[F],
    bit_columns: &[&[F]],
    transcript: &mut Transcript,
) -> Result<(BitsProof<E>, BitsClaims<E>), BitsError> {
    let bits = bit_columns.len();
    if bits == 0 || bits > MAX_BITS {
        return Err(BitsError::Bits { bits });
    }
    let n = num_vars(column.len())?;
    for (bit, b) in bit_columns.iter().enumerate() {
        if b.len() != column.len() {
            return Err(BitsError::BitColumnLength {
                bit,
                len: b.len(),
                expected: column.len(),
            });
        }
    }
    // The preconditions, which the first round relies on.
    let first_bad = map_reduce(
        column.len(),
        |range| {
            for x in range {
                let mut sum = F::ZERO;
                let mut pow = F::ONE;
                for (bit, b) in bit_columns.iter().enumerate() {
                    if !(b[x].is_zero() || b[x].is_one()) {
                        return Some(BitsError::NotBoolean { bit, index: x });
                    }
                    sum += pow * b[x];
                    pow.double_in_place();
                }
                if sum != column[x] {
                    return Some(BitsError::Decomposition { index: x });
                }
            }
            None
        },
        |a, b| a.or(b),
    );
    if let Some(e) = first_bad {
        return Err(e);
    }

    let (r, gammas) = begin::<E>(transcript, n, bits);
    sumcheck::absorb_header(transcript, n, 3, &E::ZERO);
    if n == 0 {
        let values: Vec<E> = bit_columns
            .iter()
            .map(|b| E::from_base_prime_field(b[0]))
            .collect();
        transcript.append_fields(b"range-bits-values", &values);
        let proof = BitsProof {
            sumcheck: sumcheck::Proof { rounds: vec![] },
            bit_values: values,
        };
        let claims = claims(vec![], &proof.bit_values);
        return Ok((proof, claims));
    }
    let weights = Weights::for_rounds(&r);
    let mut rounds = Rounds::new(&r, E::ZERO, E::ZERO);

    // Round 0 on the boolean columns: h(0) = h(1) = 0, and the X² coefficient adds γ^j where
    // the pair differs.
    let w = &weights[0];
    let acc = map_reduce(
        w.len(),
        |range| {
            w.sum::<1>(
                range,
                |acc, e, i| {
                    let mut d = E::ZERO;
                    for (b, g) in bit_columns.iter().zip(&gammas) {
                        if b[2 * i] != b[2 * i + 1] {
                            d += g;
                        }
                    }
                    E::mul_acc(&mut acc[0], e, &d);
                },
                |[v]| [E::ZERO, v],
            )
        },
        merge2::<E>,
    );
    let at_one = rounds.needs_at_one(0).then_some(E::ZERO);
    let rho = rounds.round(0, acc.map(E::reduce), at_one, transcript);
    // Fold without multiplications: b0 + ρ(b1 − b0) ∈ {b0, ρ, 1 − ρ}.
    let one_minus_rho = E::ONE - rho;
    let mut table: Vec<E> = collect_indexed((column.len() / 2) * bits, |k| {
        let (i, j) = (k / bits, k % bits);
        let b = bit_columns[j];
        match (b[2 * i].is_zero(), b[2 * i + 1].is_zero()) {
            (true, true) => E::ZERO,
            (false, false) => E::ONE,
            (true, false) => rho,
            (false, true) => one_minus_rho,
        }
    });

    let mut sums = weights
        .get(1)
        .map(|w| strided_sums(&table, bits, w, &gammas));
    for j in 1..n {
        let s = sums
            .take()
            .unwrap_or_else(|| strided_sums(&table, bits, &weights[j], &gammas));
        let at_one = rounds.needs_at_one(j).then(|| {
            let w = &weights[j];
            (0..w.len())
                .map(|i| {
                    let e = &table[(2 * i + 1) * bits..(2 * i + 2) * bits];
                    w.get(i)
                        * e.iter()
                            .zip(&gammas)
                            .map(|(&v, &g)| g * v * (v - E::ONE))
                            .sum::<E>()
                })
                .sum()
        });
        let rho = rounds.round(j, s, at_one, transcript);
        sums = fold_and_sum(&mut table, bits, rho, weights.get(j + 1), &gammas);
    }
    let values = table;
    transcript.append_fields(b"range-bits-values", &values);
    let (sumcheck, point) = rounds.finish();
    let claims = claims(point, &values);
    Ok((
        BitsProof {
            sumcheck,
            bit_values: values,
        },
        claims,
    ))
}

/// Adds the pair `(a, b)` (`bits` entries each) to the per-bit accumulators:
/// `w·a(a − 1)` and `w·(b − a)²`.
#[inline(always)]
fn pair_sums<E: MulAcc>(acc: &mut [[E::Acc; 2]], w: &E, a: &[E], b: &[E]) {
    for ((acc, &x), &y) in acc.iter_mut().zip(a).zip(b) {
        E::mul_acc(&mut acc[0], w, &E::mul_fast(&x, &(x - E::ONE)));
        let s = y - x;
        E::mul_acc(&mut acc[1], w, &E::mul_fast(&s, &s));
    }
}

/// `Σ_j γ^j · (reduced per-bit sums)`.
fn combine<E: MulAcc>(acc: &[[E::Acc; 2]], gammas: &[E]) -> [E; 2] {
    let mut out = [E::ZERO; 2];
    for (a, g) in acc.iter().zip(gammas) {
        out[0] += E::reduce(a[0]) * g;
        out[1] += E::reduce(a[1]) * g;
    }
    out
}

/// The pairs `[lo, hi)` of `pair(i)` (each a pair of `bits`-entry slices), weighted by `w`.
fn weighted_sums<E: MulAcc>(
    w: &Weights<E>,
    range: std::ops::Range<usize>,
    bits: usize,
    gammas: &[E],
    mut pair: impl FnMut(usize, &mut [[E::Acc; 2]], &E),
) -> [E::Acc; 2] {
    let l = w.lo.len();
    let mut out = [E::Acc::default(); 2];
    let mut acc = vec![[E::Acc::default(); 2]; bits];
    let mut i = range.start;
    while i < range.end {
        let h = i / l;
        let end = range.end.min((h + 1) * l);
        acc.iter_mut().for_each(|a| *a = [E::Acc::default(); 2]);
        for k in i..end {
            pair(k, &mut acc, &w.lo[k - h * l]);
        }
        let v = combine(&acc, gammas);
        E::mul_acc(&mut out[0], &w.hi[h], &v[0]);
        E::mul_acc(&mut out[1], &w.hi[h], &v[1]);
        i = end;
    }
    out
}

/// `[h(0), X² coefficient]` over a table of `bits` entries per `x`.
fn strided_sums<E: MulAcc>(t: &[E], bits: usize, w: &Weights<E>, gammas: &[E]) -> [E; 2] {
    let acc = map_reduce(
        w.len(),
        |range| {
            weighted_sums(w, range, bits, gammas, |i, acc, e| {
                let (a, b) = t[2 * i * bits..(2 * i + 2) * bits].split_at(bits);
                pair_sums(acc, e, a, b);
            })
        },
        merge2::<E>,
    );
    acc.map(E::reduce)
}

/// Folds a table of `bits` entries per `x` in place at `r` and, when the next round's weights
/// are given, returns its sums computed on the folded pairs.
fn fold_and_sum<E: MulAcc>(
    t: &mut Vec<E>,
    bits: usize,
    r: E,
    next: Option<&Weights<E>>,
    gammas: &[E],
) -> Option<[E; 2]> {
    let half = t.len() / bits / 2;
    let size = chunk_size(half);
    let fold = |chunk: &mut [E], out: usize, src: usize| {
        for j in 0..bits {
            let (a, b) = (chunk[src * bits + j], chunk[(src + 1) * bits + j]);
            chunk[out * bits + j] = E::add_mul_fast(&a, &r, &(b - a));
        }
    };
    let acc = map_reduce_chunks_mut(
        t,
        2 * size * bits,
        |c, chunk| {
            let outs = chunk.len() / bits / 2;
            match next {
                Some(w) => {
                    let base = c * size / 2;
                    weighted_sums(w, base..base + outs / 2, bits, gammas, |i, acc, e| {
                        let m = i - base;
                        fold(chunk, 2 * m, 4 * m);
                        fold(chunk, 2 * m + 1, 4 * m + 2);
                        let (a, b) = chunk[2 * m * bits..(2 * m + 2) * bits].split_at(bits);
                        pair_sums(acc, e, a, b);
                    })
                }
                None => {
                    for m in 0..outs {
                        fold(chunk, m, 2 * m);
                    }
                    [E::Acc::default(); 2]
                }
            }
        },
        merge2::<E>,
    );
    for c in 1..half.div_ceil(size) {
        let len = size.min(half - c * size);
        t.copy_within(
            2 * c * size * bits..(2 * c * size + len) * bits,
            c * size * bits,
        );
    }
    t.truncate(half * bits);
    next.and(acc).map(|a| a.map(E::reduce))
}

/// Verifies a bit-decomposition proof for a column of `2^num_vars` entries and `bits` bit
/// columns; returns the claims (all at one point) for the caller to discharge.
pub fn verify<F: BaseField, E: ExtField<F>>(
    num_vars: usize,
    bits: usize,
    proof: &BitsProof<E>,
    transcript: &mut Transcript,
) -> Result<BitsClaims<E>, BitsError> {
    if bits == 0 || bits > MAX_BITS {
        return Err(BitsError::Bits { bits });
    }
    if num_vars > super::MAX_TREE_VARS {
        return Err(BitsError::NumVars { num_vars });
    }
    if proof.bit_values.len() != bits {
        return Err(BitsError::BitValues {
            expected: bits,
            got: proof.bit_values.len(),
        });
    }
    let (r, gammas) = begin::<E>(transcript, num_vars, bits);
    let c = sumcheck::verify(num_vars, 3, E::ZERO, &proof.sumcheck, transcript)?;
    transcript.append_fields(b"range-bits-values", &proof.bit_values);
    let eq: E = r
        .iter()
        .zip(&c.point)
        .map(|(&a, &b)| a * b + (E::ONE - a) * (E::ONE - b))
        .product();
    let sum: E = proof
        .bit_values
        .iter()
        .zip(&gammas)
        .map(|(&v, &g)| g * v * (v - E::ONE))
        .sum();
    if c.value != eq * sum {
        return Err(BitsError::ZeroCheck);
    }
    Ok(claims(c.point, &proof.bit_values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::poly::{eq_table, evaluate_base, Mle};
    use crate::sumcheck::{Instance, Term};
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};

    fn check<F: BaseField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for n in [0usize, 1, 2, 5, 13] {
            for bits in [1usize, 3, 8] {
                let column: Vec<F> = (0..1 << n)
                    .map(|_| F::from(rng.gen_range(0..1u64 << bits)))
                    .collect();
                let b = decompose(&column, bits).unwrap();
                let refs: Vec<&[F]> = b.iter().map(Vec::as_slice).collect();
                let mut tp = Transcript::new(b"bits");
                let (proof, claims) = prove::<F, E>(&column, &refs, &mut tp).unwrap();
                // The same messages as the generic prover on eq(r, ·) and the bit columns.
                let mut tg = Transcript::new(b"bits");
                let (r, gammas) = begin::<E>(&mut tg, n, bits);
                let mut tables = vec![Mle::Ext(eq_table(&r))];
                tables.extend(b.iter().cloned().map(Mle::Base));
                let mut terms = Vec::new();
                for (j, &g) in gammas.iter().enumerate() {
                    terms.push(Term {
                        coeff: g,
                        factors: vec![0, j + 1, j + 1],
                    });
                    terms.push(Term {
                        coeff: -g,
                        factors: vec![0, j + 1],
                    });
                }
                let inst = Instance::new(tables, terms).unwrap();
                let generic = sumcheck::prove(inst, E::ZERO, &mut tg);
                assert_eq!(proof.sumcheck, generic.proof, "n = {n}, bits = {bits}");
                assert_eq!(&proof.bit_values[..], &generic.table_values[1..]);
                let mut tv = Transcript::new(b"bits");
                let verified = verify::<F, E>(n, bits, &proof, &mut tv).unwrap();
                assert_eq!(verified, claims);
                assert_eq!(
                    evaluate_base(&column, &claims.column.point),
                    claims.column.value
                );
                for (bj, cl) in b.iter().zip(&claims.bits) {
                    assert_eq!(evaluate_base(bj, &cl.point), cl.value);
                }
                assert_eq!(
                    tp.challenge_field::<E>(b"after"),
                    tv.challenge_field::<E>(b"after")
                );
                // Tampering: any round value or bit value.
                for round in 0..n {
                    let mut p = proof.clone();
                    p.sumcheck.rounds[round].evals[1] += E::ONE;
                    let res = verify::<F, E>(n, bits, &p, &mut Transcript::new(b"bits"));
                    assert_eq!(res, Err(BitsError::ZeroCheck));
                }
                // A bit value changed by 2 changes v(v − 1) (unless v = −1/2).
                let mut p = proof.clone();
                p.bit_values[0] += E::from(2u64);
                let res = verify::<F, E>(n, bits, &p, &mut Transcript::new(b"bits"));
                assert_eq!(res, Err(BitsError::ZeroCheck));
                // 0 ↔ 1 keeps v(v − 1): the final check passes, but the claim on the bit column
                // is false, which the caller's opening rejects.
                if n == 0 {
                    let mut p = proof.clone();
                    p.bit_values[0] = E::ONE - p.bit_values[0];
                    let c = verify::<F, E>(n, bits, &p, &mut Transcript::new(b"bits")).unwrap();
                    assert_ne!(evaluate_base(&b[0], &c.bits[0].point), c.bits[0].value);
                }
            }
        }
    }

    #[test]
    fn bits_round_trip_and_match_the_generic_prover() {
        check::<Goldilocks, GoldilocksExt2>(1);
        check::<Bn254Fr, Bn254Fr>(2);
    }

    #[test]
    fn bits_preconditions() {
        type F = Goldilocks;
        let column: Vec<F> = [1u64, 2, 3, 0].map(F::from).to_vec();
        assert!(matches!(
            decompose(&column, 1),
            Err(BitsError::ValueOutOfRange { index: 1, .. })
        ));
        let b = decompose(&column, 2).unwrap();
        let mut bad = b.clone();
        bad[1][2] = F::from(2u64);
        let refs: Vec<&[F]> = bad.iter().map(Vec::as_slice).collect();
        assert_eq!(
            prove::<F, GoldilocksExt2>(&column, &refs, &mut Transcript::new(b"b")).err(),
            Some(BitsError::NotBoolean { bit: 1, index: 2 })
        );
        let mut bad = b.clone();
        bad[0][0] = F::from(0u64);
        let refs: Vec<&[F]> = bad.iter().map(Vec::as_slice).collect();
        assert_eq!(
            prove::<F, GoldilocksExt2>(&column, &refs, &mut Transcript::new(b"b")).err(),
            Some(BitsError::Decomposition { index: 0 })
        );
        let refs: Vec<&[F]> = b.iter().map(Vec::as_slice).collect();
        assert_eq!(
            prove::<F, GoldilocksExt2>(&column[..3], &refs, &mut Transcript::new(b"b")).err(),
            Some(BitsError::ColumnLength { len: 3 })
        );
        let (proof, _) =
            prove::<F, GoldilocksExt2>(&column, &refs, &mut Transcript::new(b"b")).unwrap();
        assert_eq!(
            verify::<F, GoldilocksExt2>(2, 3, &proof, &mut Transcript::new(b"b")),
            Err(BitsError::BitValues {
                expected: 3,
                got: 2
            })
        );
        assert_eq!(
            verify::<F, GoldilocksExt2>(3, 2, &proof, &mut Transcript::new(b"b")),
            Err(BitsError::Sumcheck(SumcheckError::RoundCount {
                expected: 3,
                got: 2
            }))
        );
    }
}
