//! Requantization, one home (`spec/requant-relu.md`): `acc + 2^{s−1} = 2^s·(y − n) + rem` with
//! `y·n = 0`, `y, n` and the limbs of `rem ∈ [0, 2^s)` committed (for a saturating layer also the
//! overflow `o_hi, o_lo`). Here: the plan's description of one ([`Requant`], [`Overflow`]), its
//! witness, the accumulator's value from the segments' values (transparent prover and verifier),
//! the segments' weights in the relation (zero-knowledge steps), and the `y·n = 0` zero-check in
//! zero knowledge. The network's steps call these; the range check of the limbs is the
//! network's (one check over every column).

use super::{zero_check, LayerError};
use crate::field::{from_i64, lift, BaseField, ExtField};
use crate::model::round_shift;
use crate::zk::{Deferred, TableMasks};
use merlin::Transcript;

/// A requantization `acc + 2^{s−1} = 2^s·(y − n) + rem`, `y·n = 0`, with `y, n` and the limbs of
/// `rem` committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requant {
    /// The shift `s`.
    pub shift: u32,
    /// Segment of `y = max(q, 0)`.
    pub y: usize,
    /// Segment of `n = max(−q, 0)`.
    pub n: usize,
    /// Segments of the limbs of `rem` (little-endian, `table_bits` each, the top one narrower)
    /// and their widths.
    pub limbs: Vec<(usize, u32)>,
    /// A saturating requantization's overflow (`spec/requant-relu.md`), when the model
    /// saturates and the layer's accumulator bound lets `q` leave `[−L, L]`.
    pub overflow: Option<Overflow>,
}

/// The overflow of a saturating requantization: `acc + 2^{s−1} = 2^s·(y − n + o_hi − o_lo) +
/// rem` with `o_hi·(L − y) = 0` and `o_lo·(L − n) = 0`, `o_hi, o_lo ∈ [0, 2^bits)` committed in
/// limbs of `table_bits` (the top one `bits − (k − 1)·table_bits` wide).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overflow {
    /// `L = 2^{B−1} − 1`.
    pub limit: i64,
    /// `K`: `o_hi, o_lo < 2^K`.
    pub bits: u32,
    /// The limbs' width `T` (`table_bits`; the top limb may be narrower): limb `j` weighs
    /// `2^{jT}`.
    pub limb_bits: u32,
    /// Segments of `o_hi`'s limbs, little-endian.
    pub hi: Vec<usize>,
    /// Segments of `o_lo`'s limbs, little-endian.
    pub lo: Vec<usize>,
}

/// A requantization's advice: `y`, `n`, the remainder's limbs and, for a saturating layer, the
/// limbs of `o_hi` and of `o_lo`.
pub(crate) struct RequantAdvice {
    pub(crate) y: Vec<i64>,
    pub(crate) n: Vec<i64>,
    pub(crate) limbs: Vec<Vec<i64>>,
    pub(crate) hi: Vec<Vec<i64>>,
    pub(crate) lo: Vec<Vec<i64>>,
}

/// Splits non-negative `values` into little-endian limbs of widths `widths`.
fn split_limbs(values: &[i64], widths: impl IntoIterator<Item = u32>) -> Vec<Vec<i64>> {
    let mut at = 0;
    widths
        .into_iter()
        .map(|w| {
            let limb = values.iter().map(|&v| (v >> at) & ((1 << w) - 1)).collect();
            at += w;
            limb
        })
        .collect()
}

/// The limb widths of a value below `2^bits`, `t` bits each (the top one narrower).
fn limb_widths(bits: u32, t: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut left = bits;
    while left > 0 {
        out.push(left.min(t));
        left -= left.min(t);
    }
    out
}

/// The requantization witness of padded accumulators. Refuses (`Err` with the value) a
/// requantized value outside the activation range (for a saturating layer: an overflow beyond
/// `2^K`) unless `cheating` (then the range check rejects it).
pub(crate) fn witness(
    r: &Requant,
    acc: &[i64],
    bits: u32,
    cheating: bool,
) -> Result<RequantAdvice, i64> {
    let bound = 1i64 << (bits - 1);
    let s = r.shift;
    let q: Vec<i64> = acc.iter().map(|&a| round_shift(a, s)).collect();
    let half = if s > 0 { 1 << (s - 1) } else { 0 };
    let rem: Vec<i64> = acc
        .iter()
        .zip(&q)
        .map(|(&a, &q)| a + half - (q << s))
        .collect();
    let limbs = split_limbs(&rem, r.limbs.iter().map(|&(_, w)| w));
    let Some(o) = &r.overflow else {
        if let Some(&value) = q.iter().find(|&&v| v.abs() >= bound) {
            if !cheating {
                return Err(value);
            }
        }
        let y = q.iter().map(|&v| v.max(0)).collect();
        let n = q.iter().map(|&v| (-v).max(0)).collect();
        return Ok(RequantAdvice {
            y,
            n,
            limbs,
            hi: Vec::new(),
            lo: Vec::new(),
        });
    };
    let l = o.limit;
    if let Some(&value) = q
        .iter()
        .find(|&&v| v.abs() > l && v.unsigned_abs() - l as u64 >= 1u64 << o.bits)
    {
        if !cheating {
            return Err(value);
        }
    }
    let y = q.iter().map(|&v| v.clamp(0, l)).collect();
    let n = q.iter().map(|&v| (-v).clamp(0, l)).collect();
    let hi: Vec<i64> = q.iter().map(|&v| (v - l).max(0)).collect();
    let lo: Vec<i64> = q.iter().map(|&v| (-v - l).max(0)).collect();
    let widths = limb_widths(o.bits, o.limb_bits);
    Ok(RequantAdvice {
        y,
        n,
        limbs,
        hi: split_limbs(&hi, widths.clone()),
        lo: split_limbs(&lo, widths),
    })
}

/// The accumulator's value at a point from the requantization's segments' values there
/// (`value(segment)`, read in the order `y`, `n`, the overflow's `o_hi_j`, `o_lo_j` pairs, then
/// the remainder's limbs — the order the transparent proof sends them):
/// `ãcc = 2^s·(ỹ − ñ + Σ_j 2^{jT}·(õ_hi_j − õ_lo_j)) + Σ_k 2^{at_k}·l̃imb_k − [s > 0]·2^{s−1}`.
pub(crate) fn accumulator<F: BaseField, E: ExtField<F>, X>(
    r: &Requant,
    mut value: impl FnMut(usize) -> Result<E, X>,
) -> Result<E, X> {
    let k = |x: i64| lift::<E>(from_i64::<F>(x));
    let y = value(r.y)?;
    let n = value(r.n)?;
    let mut q = y - n;
    if let Some(o) = &r.overflow {
        let mut weight = E::ONE;
        for (&hi, &lo) in o.hi.iter().zip(&o.lo) {
            q += (value(hi)? - value(lo)?) * weight;
            weight *= k(1 << o.limb_bits);
        }
    }
    let mut acc = k(1 << r.shift) * q;
    let mut at = 0;
    for &(seg, w) in &r.limbs {
        acc += value(seg)? * k(1 << at);
        at += w;
    }
    if r.shift > 0 {
        acc -= k(1 << (r.shift - 1));
    }
    Ok(acc)
}

/// A requantization's advice segments with their weights in `acc = 2^s·(y − n) + rem − 2^{s−1}` moved to
/// the left: `(−2^s, y)`, `(2^s, n)`, `(−2^{at_k}, limb_k)` (advice segments); for a saturating
/// layer (`acc = 2^s·(y − n + o_hi − o_lo) + rem − 2^{s−1}`, `spec/zk.md`, "Saturating
/// requantization, in zero-knowledge mode") then `(−2^s·2^{jB}, hi_j)` and `(2^s·2^{jB}, lo_j)`;
/// and its constant, `−[s > 0]·2^{s−1}`, for the right-hand side.
pub(crate) fn table_weights<F: BaseField, E: ExtField<F>>(
    requant: &Requant,
) -> (Vec<(E, usize)>, E) {
    let k = |x: i64| lift::<E>(from_i64::<F>(x));
    let s = 1i64 << requant.shift;
    let mut out = vec![(-k(s), requant.y), (k(s), requant.n)];
    let mut at = 0;
    for &(seg, w) in &requant.limbs {
        out.push((-k(1 << at), seg));
        at += w;
    }
    if let Some(o) = &requant.overflow {
        let base = k(1 << o.limb_bits);
        for (sign, segs) in [(-k(s), &o.hi), (k(s), &o.lo)] {
            let mut weight = sign;
            for &seg in segs {
                out.push((weight, seg));
                weight *= base;
            }
        }
    }
    let lhs = if requant.shift > 0 {
        -k(1 << (requant.shift - 1))
    } else {
        E::ZERO
    };
    (out, lhs)
}

/// How many tables [`table_weights`] gives: `y, n`, the remainder's limbs, the overflow's.
pub(crate) fn table_count(requant: &Requant) -> usize {
    2 + requant.limbs.len()
        + requant
            .overflow
            .as_ref()
            .map_or(0, |o| o.hi.len() + o.lo.len())
}

/// A requantization's zero-check's committed tables: `y, n`, then (saturating) the limbs of
/// `o_hi` and of `o_lo`.
pub(crate) fn zero_segments(requant: &Requant) -> Vec<usize> {
    let mut segs = vec![requant.y, requant.n];
    if let Some(o) = &requant.overflow {
        segs.extend(o.hi.iter().chain(&o.lo));
    }
    segs
}

/// Proves a requantization's zero-check in zero knowledge: `y·n = 0` (`zero_check::prove_zk`,
/// one pair) or, for a saturating layer, `zero_check::prove_saturating_zk` over `y, n` and the
/// overflow's limbs ([`zero_segments`], the claims' tables in that order).
pub(crate) fn prove_zero_check_zk<F: BaseField, E: ExtField<F>>(
    requant: &Requant,
    vars: usize,
    advice: &[Vec<F>],
    fresh: &[E],
    scalars: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<(zero_check::ZkZeroCheckProof<E>, Vec<Deferred<E>>), LayerError> {
    let refs: Vec<&[F]> = zero_segments(requant)
        .into_iter()
        .map(|s| &advice[s][..])
        .collect();
    match &requant.overflow {
        None => zero_check::prove_zk(vars, &refs, &[(0, 1)], fresh, scalars, transcript),
        Some(o) => zero_check::prove_saturating_zk(
            vars,
            o.limit,
            o.limb_bits,
            o.hi.len(),
            &refs,
            fresh,
            scalars,
            transcript,
        ),
    }
}

/// Verifies [`prove_zero_check_zk`]; returns its claims.
pub(crate) fn verify_zero_check_zk<F: BaseField, E: ExtField<F>>(
    requant: &Requant,
    vars: usize,
    proof: &zero_check::ZkZeroCheckProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, LayerError> {
    match &requant.overflow {
        None => zero_check::verify_zk(vars, 2, &[(0, 1)], proof, transcript),
        Some(o) => zero_check::verify_saturating_zk::<F, E>(
            vars,
            o.limit,
            o.limb_bits,
            o.hi.len(),
            proof,
            transcript,
        ),
    }
}
