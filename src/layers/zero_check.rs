//! The batched zero-check: that products of pairs of tables vanish everywhere on the hypercube.
//!
//! Statement: tables `t_0, …, t_{T−1}` over `{0,1}^n` and pairs `(a_k, b_k)` of them (a table
//! may appear in several pairs) with `a_k(x)·b_k(x) = 0` for every `x` and `k`. At a point `r`
//! drawn after the tables are bound, with public coefficients `c_k`,
//!
//! ```text
//!     Σ_{x ∈ {0,1}^n}  eq(r, x) · Σ_k c_k · a_k(x) · b_k(x)  =  0,
//! ```
//!
//! one degree-3 sum-check over `n` variables. The left-hand side is the multilinear extension
//! of `h(x) = Σ_k c_k·a_k(x)·b_k(x)` at `r`; if some `a_k·b_k` is not zero, `h ≠ 0` for all but
//! a fraction `(K − 1)/|E|` of batching coefficients drawn at random (or never, for one pair),
//! and then `h̃(r) ≠ 0` except with probability `n/|E|`. Its users: the max-pool's chain of
//! two-way maxima (`(z − u)(z − v) = 0`, [`super::maxpool`]), requantization's `y·n = 0`
//! ([`crate::network`]) and the model commitment's unused entries `Z·T = 0`
//! ([`crate::network::commitment`], coefficients `eq(ρ_hi, c)` over its columns).
//!
//! Transparent ([`prove_at`], [`verify_at`]): after the sum-check the prover sends
//! `eq(r, ρ)` and every table's value at its point `ρ` (`product-values`), and the verifier checks
//! `eq` and `Σ_k c_k·eq·a_k(ρ)·b_k(ρ)` against the final value; the tables' values are claims
//! for the caller. Zero knowledge ([`prove_zk`], [`verify_zk`], `spec/zk.md`, "Zero-checks and
//! flatten, in zero-knowledge mode"): the same sum as one masked sum-check
//! ([`crate::sumcheck::zk::prove_masked_with`]) whose private tables are the `t_i`; nothing is
//! sent in the clear, every value is a [`Deferred`] claim. A saturating requantization's
//! batched zero-check ([`prove_saturating`], transparent) has its zero-knowledge version
//! ([`prove_saturating_zk`], [`verify_saturating_zk`]): the same masked sum-check on its
//! polynomial (`spec/zk.md`, "Saturating requantization, in zero-knowledge mode").

use super::{LayerError, ProductProof};
use crate::field::{BaseField, ExtField};
use crate::poly::{eq_eval, eq_table, Mle};
use crate::sumcheck::zk::{masked_degree, prove_masked_with, verify_masked};
use crate::sumcheck::zk::{Mask, MaskedProof};
use crate::sumcheck::{self, Instance, Term};
use crate::transcript::TranscriptExt;
use crate::zk::{Deferred, TableMasks};
use ark_ff::Field;
use merlin::Transcript;

/// Label of the zero-check's point `r` (the max-pool's and requantization's).
pub const POINT: &[u8] = b"zero-check-point";
/// Label of the max-pool's batching coefficients.
pub const BATCH: &[u8] = b"max-pool-batch";
/// Label of the zero-knowledge zero-check's point `r`.
pub const ZK_POINT: &[u8] = b"zk-zero-check-point";
/// Label of the zero-knowledge zero-check's batching challenge `γ`.
pub const ZK_BATCH: &[u8] = b"zk-zero-check-batch";

/// The names a verifier's errors carry: the sum-check's step, and the `eq` value's check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Names {
    /// The step (`LayerError::Sumcheck`, `Count`, `FinalProduct`).
    pub step: &'static str,
    /// The check of the sent `eq(r, ρ)` (`LayerError::PublicValue`).
    pub eq: &'static str,
}

/// The instance `Σ_x eq(r, x)·Σ_k c_k·t_{a_k}(x)·t_{b_k}(x)` over tables `[eq(r, ·), t_0, …]`.
fn terms<E: Field>(coeffs: &[E], pairs: &[(usize, usize)]) -> Vec<Term<E>> {
    pairs
        .iter()
        .zip(coeffs)
        .map(|(&(a, b), &c)| Term {
            coeff: c,
            factors: vec![0, 1 + a, 1 + b],
        })
        .collect()
}

/// Proves `Σ_x eq(r, x)·Σ_k coeffs[k]·t_{a_k}(x)·t_{b_k}(x) = 0` (`pairs[k] = (a_k, b_k)`,
/// indices into `tables`, each of `2^{r.len()}` entries) at the caller's `r`. The proof's values
/// are `eq(r, ρ)`, then each table's value at `ρ` in table order. Returns the proof and `ρ`.
///
/// # Panics
/// If the tables do not fit (a caller's bug).
pub fn prove_at<F: BaseField, E: ExtField<F>>(
    r: &[E],
    coeffs: &[E],
    tables: Vec<Vec<F>>,
    pairs: &[(usize, usize)],
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>) {
    let mut all = Vec::with_capacity(1 + tables.len());
    all.push(Mle::Ext(eq_table(r)));
    all.extend(tables.into_iter().map(Mle::Base));
    let instance = Instance::new(all, terms(coeffs, pairs))
        .unwrap_or_else(|e| unreachable!("the zero-check's tables are well formed: {e}"));
    prove_zero(instance, transcript)
}

/// Proves `instance` sums to zero and sends the tables' values at the sum-check's point: the
/// zero-checks' common tail. Returns the proof and the point.
fn prove_zero<F: BaseField, E: ExtField<F>>(
    instance: Instance<F, E>,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>) {
    let out = sumcheck::prove(instance, E::ZERO, transcript);
    transcript.append_fields(b"product-values", &out.table_values);
    (
        ProductProof {
            sumcheck: out.proof,
            values: out.table_values,
        },
        out.point,
    )
}

/// Verifies [`prove_at`] at `r` over `tables` tables; returns `ρ` and the tables' sent values
/// there (claims for the caller). Checks, in order: the sum-check, the number of values, the sent
/// `eq(r, ρ)` (`PublicValue { what: names.eq }`), and the final value.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_at<E: Field>(
    names: Names,
    r: &[E],
    coeffs: &[E],
    tables: usize,
    pairs: &[(usize, usize)],
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, Vec<E>), LayerError> {
    let ev =
        sumcheck::verify(r.len(), 3, E::ZERO, &proof.sumcheck, transcript).map_err(|source| {
            LayerError::Sumcheck {
                step: names.step,
                source,
            }
        })?;
    let expected = 1 + tables;
    let count = LayerError::Count {
        what: names.step,
        expected,
        got: proof.values.len(),
    };
    if proof.values.len() != expected {
        return Err(count);
    }
    transcript.append_fields(b"product-values", &proof.values);
    let Some((&e, values)) = proof.values.split_first() else {
        return Err(count);
    };
    if e != eq_eval(r, &ev.point) {
        return Err(LayerError::PublicValue { what: names.eq });
    }
    let mut sum = E::ZERO;
    for (&(a, b), &c) in pairs.iter().zip(coeffs) {
        let (Some(&va), Some(&vb)) = (values.get(a), values.get(b)) else {
            return Err(LayerError::Count {
                what: names.step,
                expected: a.max(b) + 1,
                got: values.len(),
            });
        };
        sum += c * e * va * vb;
    }
    if sum != ev.value {
        return Err(LayerError::FinalProduct { step: names.step });
    }
    Ok((ev.point, values.to_vec()))
}

/// The pairs `(a_k, b_k)` as tables `[a_0, b_0, a_1, b_1, …]` and their indices.
fn pairwise<F>(pairs: Vec<(Vec<F>, Vec<F>)>) -> (Vec<Vec<F>>, Vec<(usize, usize)>) {
    let ids = (0..pairs.len()).map(|k| (2 * k, 2 * k + 1)).collect();
    let tables = pairs.into_iter().flat_map(|(a, b)| [a, b]).collect();
    (tables, ids)
}

/// The max-pool's zero-check: `Σ_x eq(r', x)·Σ_i λ_i·a_i(x)·b_i(x) = 0` for the pairs
/// `(a_i, b_i)` (tables of `2^vars` entries), `r'` drawn as [`POINT`], the `λ_i` as [`BATCH`].
/// The proof's values are `eq(r', ρ)`, then `a_i(ρ), b_i(ρ)` pair after pair. Returns the proof
/// and `ρ`.
pub fn prove_batched<F: BaseField, E: ExtField<F>>(
    vars: usize,
    pairs: Vec<(Vec<F>, Vec<F>)>,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>) {
    let r: Vec<E> = transcript.challenge_fields(POINT, vars);
    let lambda: Vec<E> = transcript.challenge_fields(BATCH, pairs.len());
    let (tables, ids) = pairwise(pairs);
    prove_at(&r, &lambda, tables, &ids, transcript)
}

/// A pair's sent values `(a_i(ρ), b_i(ρ))`.
pub type PairValues<E> = (E, E);

/// Verifies [`prove_batched`] over `vars` variables and `pairs` pairs; returns `ρ` and each
/// pair's sent values, which the caller must check against the operands.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_batched<E: Field>(
    vars: usize,
    pairs: usize,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, Vec<PairValues<E>>), LayerError> {
    let r: Vec<E> = transcript.challenge_fields(POINT, vars);
    let lambda: Vec<E> = transcript.challenge_fields(BATCH, pairs);
    let ids: Vec<(usize, usize)> = (0..pairs).map(|k| (2 * k, 2 * k + 1)).collect();
    let names = Names {
        step: "max-pool zero-check",
        eq: "max-pool zero-check eq",
    };
    let (rho, values) = verify_at(names, &r, &lambda, 2 * pairs, &ids, proof, transcript)?;
    let values = values
        .chunks_exact(2)
        .filter_map(|p| match p {
            [a, b] => Some((*a, *b)),
            _ => None,
        })
        .collect();
    Ok((rho, values))
}

/// One pair (requantization's `y·n = 0`): `Σ_x eq(r', x)·a(x)·b(x) = 0`, `r'` drawn as
/// [`POINT`], no batching. Returns the proof (values `eq, a, b` at `ρ`) and `ρ`.
pub fn prove_pair<F: BaseField, E: ExtField<F>>(
    vars: usize,
    a: Vec<F>,
    b: Vec<F>,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>) {
    let r: Vec<E> = transcript.challenge_fields(POINT, vars);
    prove_at(&r, &[E::ONE], vec![a, b], &[(0, 1)], transcript)
}

/// Verifies [`prove_pair`]; returns `ρ`, `a(ρ)` and `b(ρ)`.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_pair<E: Field>(
    vars: usize,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, E, E), LayerError> {
    const NAMES: Names = Names {
        step: "zero-check",
        eq: "zero-check eq",
    };
    let r: Vec<E> = transcript.challenge_fields(POINT, vars);
    let (rho, values) = verify_at(NAMES, &r, &[E::ONE], 2, &[(0, 1)], proof, transcript)?;
    match values.as_slice() {
        [a, b] => Ok((rho, *a, *b)),
        _ => Err(LayerError::Count {
            what: NAMES.step,
            expected: 3,
            got: 1 + values.len(),
        }),
    }
}

/// Label of a saturating requantization's two batching coefficients `λ_hi, λ_lo`.
pub const SATURATE_BATCH: &[u8] = b"saturate-batch";

/// A saturating requantization's tables at `ρ` ([`prove_saturating`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaturatingValues<E> {
    /// `ỹ(ρ)`.
    pub y: E,
    /// `ñ(ρ)`.
    pub n: E,
    /// Each limb of `o_hi` at `ρ`, little-endian.
    pub hi: Vec<E>,
    /// Each limb of `o_lo` at `ρ`, little-endian.
    pub lo: Vec<E>,
}

/// The terms of `eq·(y·n + λ_hi·o_hi·(L − y) + λ_lo·o_lo·(L − n))` over tables
/// `[eq, y, n, hi_0, …, hi_{k−1}, lo_0, …, lo_{k−1}]`, `o = Σ_j 2^{j·bits}·limb_j`.
fn saturating_terms<F: BaseField, E: ExtField<F>>(
    lambda: &[E],
    limit: i64,
    limbs: usize,
    bits: u32,
) -> Vec<Term<E>> {
    let lift = |v: i64| E::from_base_prime_field(crate::field::from_i64::<F>(v));
    let mut terms = vec![Term {
        coeff: E::ONE,
        factors: vec![0, 1, 2],
    }];
    for (side, (&l, partner)) in lambda.iter().zip([1usize, 2]).enumerate() {
        let mut weight = E::ONE;
        for j in 0..limbs {
            let t = 3 + side * limbs + j;
            terms.push(Term {
                coeff: l * weight * lift(limit),
                factors: vec![0, t],
            });
            terms.push(Term {
                coeff: -(l * weight),
                factors: vec![0, t, partner],
            });
            weight *= lift(1i64 << bits);
        }
    }
    terms
}

/// A saturating requantization's zero-check (`spec/requant-relu.md`): at `r'` drawn as
/// [`POINT`] and `λ_hi, λ_lo` as [`SATURATE_BATCH`],
/// `Σ_x eq(r', x)·(y·n + λ_hi·o_hi·(L − y) + λ_lo·o_lo·(L − n)) = 0`, where
/// `o_hi = Σ_j 2^{j·bits}·hi_j` and `o_lo` likewise (`hi`, `lo` the limbs, as many of each), one
/// degree-3 sum-check. The proof's values are `eq(r', ρ)`, then `y, n`, the `hi` limbs and the
/// `lo` limbs at `ρ`. Returns the proof and `ρ`.
pub fn prove_saturating<F: BaseField, E: ExtField<F>>(
    vars: usize,
    limit: i64,
    bits: u32,
    (y, n): (Vec<F>, Vec<F>),
    hi: Vec<Vec<F>>,
    lo: Vec<Vec<F>>,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>) {
    let r: Vec<E> = transcript.challenge_fields(POINT, vars);
    let lambda: Vec<E> = transcript.challenge_fields(SATURATE_BATCH, 2);
    let limbs = hi.len();
    let mut all = Vec::with_capacity(3 + 2 * limbs);
    all.push(Mle::Ext(eq_table(&r)));
    all.extend([y, n].into_iter().chain(hi).chain(lo).map(Mle::Base));
    let instance = Instance::new(all, saturating_terms::<F, E>(&lambda, limit, limbs, bits))
        .unwrap_or_else(|e| unreachable!("the zero-check's tables are well formed: {e}"));
    prove_zero(instance, transcript)
}

/// Verifies [`prove_saturating`] with `limbs` limbs for each of `o_hi`, `o_lo`; returns `ρ`
/// and the sent values (claims for the caller). Checks, in order: the sum-check
/// (`Sumcheck { step: "saturating zero-check" }`), the number of values (`Count`), the sent
/// `eq(r', ρ)` (`PublicValue { what: "saturating zero-check eq" }`), and the final value
/// (`FinalProduct`).
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_saturating<F: BaseField, E: ExtField<F>>(
    vars: usize,
    limit: i64,
    bits: u32,
    limbs: usize,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, SaturatingValues<E>), LayerError> {
    const STEP: &str = "saturating zero-check";
    let r: Vec<E> = transcript.challenge_fields(POINT, vars);
    let lambda: Vec<E> = transcript.challenge_fields(SATURATE_BATCH, 2);
    let ev = sumcheck::verify(vars, 3, E::ZERO, &proof.sumcheck, transcript)
        .map_err(|source| LayerError::Sumcheck { step: STEP, source })?;
    let expected = 3 + 2 * limbs;
    if proof.values.len() != expected {
        return Err(LayerError::Count {
            what: STEP,
            expected,
            got: proof.values.len(),
        });
    }
    transcript.append_fields(b"product-values", &proof.values);
    if proof.values.first() != Some(&eq_eval(&r, &ev.point)) {
        return Err(LayerError::PublicValue {
            what: "saturating zero-check eq",
        });
    }
    let mut sum = E::ZERO;
    for term in saturating_terms::<F, E>(&lambda, limit, limbs, bits) {
        let mut v = term.coeff;
        for f in term.factors {
            v *= proof.values.get(f).copied().unwrap_or(E::ZERO);
        }
        sum += v;
    }
    if sum != ev.value {
        return Err(LayerError::FinalProduct { step: STEP });
    }
    let v = |i: usize| proof.values.get(i).copied().unwrap_or(E::ZERO);
    let values = SaturatingValues {
        y: v(1),
        n: v(2),
        hi: (0..limbs).map(|j| v(3 + j)).collect(),
        lo: (0..limbs).map(|j| v(3 + limbs + j)).collect(),
    };
    Ok((ev.point, values))
}

// ---------------------------------------------------------------------------------------------
// Zero knowledge.

/// The masked sum-check's degree: `eq` (public) times two private tables, `1 + 2` in the round
/// over `b` ([`masked_degree`]).
const ZK_DEGREE: usize = 3;

/// The number of fresh `E` mask entries [`prove_zk`] needs over `vars` variables: its Libra mask
/// over `vars + 1` variables (the masked values' `b`) of degree 3. The tables' masked values need
/// none: their scalars are the committed tables' own masks.
pub fn zk_mask_len(vars: usize) -> usize {
    1 + (vars + 1) * ZK_DEGREE
}

/// The zero-knowledge zero-check's proof: the masked sum-check, whose masked values are the
/// tables' `t̂_i(ρ, β)` in table order.
pub type ZkZeroCheckProof<E> = MaskedProof<E>;

/// The instance's terms with `γ^k` for pair `k` over `[eq, t_0, …]`.
fn zk_terms<E: Field>(gamma: E, pairs: &[(usize, usize)]) -> Vec<Term<E>> {
    let coeffs: Vec<E> = std::iter::successors(Some(E::ONE), |&c| Some(c * gamma))
        .take(pairs.len())
        .collect();
    terms(&coeffs, pairs)
}

/// Which of `[eq, t_0, …, t_{T−1}]` are private: all but `eq`.
fn zk_private(tables: usize) -> Vec<bool> {
    let mut private = vec![true; 1 + tables];
    if let Some(p) = private.first_mut() {
        *p = false;
    }
    private
}

/// Checks that every pair names one of `tables` tables and that there is a pair.
fn check_pairs(tables: usize, pairs: &[(usize, usize)]) -> Result<(), LayerError> {
    if pairs.is_empty() {
        return Err(LayerError::Count {
            what: "zero-check (zero knowledge) pairs",
            expected: 1,
            got: 0,
        });
    }
    match pairs.iter().map(|&(a, b)| a.max(b)).max() {
        Some(m) if m >= tables => Err(LayerError::Count {
            what: "zero-check (zero knowledge) tables",
            expected: m + 1,
            got: tables,
        }),
        _ => Ok(()),
    }
}

/// The names of a zero-knowledge zero-check's errors: the step and the prover's refusals.
struct ZkNames {
    /// The step (`LayerError::Sumcheck`).
    step: &'static str,
    /// A table of the wrong size (`LayerError::Count`).
    entries: &'static str,
    /// The wrong number of fresh masks (`LayerError::Count`).
    fresh: &'static str,
}

const ZK_NAMES: ZkNames = ZkNames {
    step: "zero-check (zero knowledge)",
    entries: "zero-check (zero knowledge) table entries",
    fresh: "zero-check (zero knowledge) fresh masks",
};

/// Checks a zero-knowledge zero-check's shapes before any challenge is drawn: every table of
/// `2^vars` entries and [`zk_mask_len`] fresh masks; returns the Libra mask.
fn zk_mask<F, E: Field>(
    names: &ZkNames,
    vars: usize,
    tables: &[&[F]],
    fresh: &[E],
) -> Result<Mask<E>, LayerError> {
    if let Some(t) = tables.iter().find(|t| t.len() != 1 << vars) {
        return Err(LayerError::Count {
            what: names.entries,
            expected: 1 << vars,
            got: t.len(),
        });
    }
    Mask::from_entries(vars + 1, fresh)
        .filter(|_| fresh.len() == zk_mask_len(vars))
        .ok_or(LayerError::Count {
            what: names.fresh,
            expected: zk_mask_len(vars),
            got: fresh.len(),
        })
}

/// The zero-knowledge zero-checks' common part, after their challenges: the masked sum-check of
/// `Σ_x eq(r, x)·terms(x) = 0` over instance tables `[eq(r, ·), t_0, …]` (`terms` index them so,
/// table 0 public, the rest private and committed), with the Libra `mask` (of degree
/// [`ZK_DEGREE`], checked by [`zk_mask`]); every table's claim at `ρ` in table order, then the
/// mask's form.
fn prove_masked_zero<F: BaseField, E: ExtField<F>>(
    r: &[E],
    terms: Vec<Term<E>>,
    tables: &[&[F]],
    mask: &Mask<E>,
    scalars: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> (ZkZeroCheckProof<E>, Vec<Deferred<E>>) {
    let private = zk_private(tables.len());
    debug_assert_eq!(masked_degree(&terms, &private), ZK_DEGREE);
    let mut all = Vec::with_capacity(1 + tables.len());
    all.push(Mle::Ext(eq_table(r)));
    all.extend(tables.iter().map(|t| Mle::Base(t.to_vec())));
    let instance = Instance::new(all, terms)
        .unwrap_or_else(|e| unreachable!("the zero-check's tables are well formed: {e}"));
    // Instance table `1 + i` is the caller's table `i`.
    let scalar = |i: usize, rho: &[E]| scalars.mask_at(i.saturating_sub(1), rho);
    let out = prove_masked_with(instance, E::ZERO, &private, &scalar, mask, transcript);
    let deferred = out.claims(ZK_DEGREE);
    (out.proof, deferred)
}

/// Verifies [`prove_masked_zero`] over `tables` private tables, after the challenges: the claims
/// (one `Masked` per table at `ρ`, then the Libra mask's form).
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
fn verify_masked_zero<E: Field>(
    step: &'static str,
    vars: usize,
    r: &[E],
    terms: &[Term<E>],
    tables: usize,
    proof: &ZkZeroCheckProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, LayerError> {
    let private = zk_private(tables);
    let claim = verify_masked(vars, ZK_DEGREE, E::ZERO, tables, proof, transcript)
        .map_err(|source| LayerError::Sumcheck { step, source })?;
    let eq = eq_eval(r, &claim.point);
    let ids: Vec<usize> = (0..tables).collect();
    claim
        .deferred(terms, &private, &[eq], &ids, ZK_DEGREE)
        .map_err(|source| LayerError::Sumcheck { step, source })
}

/// Proves `Σ_x eq(r, x)·Σ_k γ^k·t_{a_k}(x)·t_{b_k}(x) = 0` in zero knowledge (`spec/zk.md`,
/// "Zero-checks and flatten, in zero-knowledge mode"): `r` ([`ZK_POINT`], `vars` coordinates)
/// and `γ` ([`ZK_BATCH`]) drawn here, then one masked sum-check with left-hand side 0 whose
/// private tables are `tables` (each of `2^vars` entries, committed, numbered `0 .. T` in the
/// claims) and whose Libra mask is `fresh` (the caller's fresh masks, [`zk_mask_len`] of them,
/// committed beforehand). `scalars.mask_at(i, ρ)` is table `i`'s committed mask at the
/// sum-check's point `ρ`.
///
/// Every table's claim is made at `ρ` itself: `Deferred::Masked { table: i, point: ρ, β, v_i }`.
/// A table that is a combination of committed tables (a difference `z − u`) is placed by the
/// caller as that combination, and its `mask_at` is the same combination of their masks; a
/// table that reads a committed tensor through a map of points (a sub-grid view) is the
/// caller's to map — its `mask_at` and its placement are at the mapped point. Returns the proof
/// and the claims: one `Masked` per table in table order, then the Libra mask's form (entries
/// `0 ..` of `fresh`), exactly [`verify_zk`]'s list.
///
/// Refuses (`LayerError::Count`) a wrong number of fresh masks, tables not of `2^vars` entries,
/// and pairs naming tables it was not given.
pub fn prove_zk<F: BaseField, E: ExtField<F>>(
    vars: usize,
    tables: &[&[F]],
    pairs: &[(usize, usize)],
    fresh: &[E],
    scalars: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<(ZkZeroCheckProof<E>, Vec<Deferred<E>>), LayerError> {
    check_pairs(tables.len(), pairs)?;
    let mask = zk_mask(&ZK_NAMES, vars, tables, fresh)?;
    let r: Vec<E> = transcript.challenge_fields(ZK_POINT, vars);
    let gamma: E = transcript.challenge_field(ZK_BATCH);
    let terms = zk_terms(gamma, pairs);
    Ok(prove_masked_zero(
        &r, terms, tables, &mask, scalars, transcript,
    ))
}

/// Verifies [`prove_zk`] over `vars` variables, `tables` private tables and `pairs`; returns the
/// claims for the proof's opening (one `Masked` per table at `ρ`, then the Libra mask's form on
/// the fresh masks `0 .. zk_mask_len(vars)`), the prover's list for an honest proof.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_zk<E: Field>(
    vars: usize,
    tables: usize,
    pairs: &[(usize, usize)],
    proof: &ZkZeroCheckProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, LayerError> {
    check_pairs(tables, pairs)?;
    let r: Vec<E> = transcript.challenge_fields(ZK_POINT, vars);
    let gamma: E = transcript.challenge_field(ZK_BATCH);
    let terms = zk_terms(gamma, pairs);
    verify_masked_zero(ZK_NAMES.step, vars, &r, &terms, tables, proof, transcript)
}

/// Label of a zero-knowledge saturating zero-check's batching coefficients `λ_hi, λ_lo`.
pub const ZK_SATURATE_BATCH: &[u8] = b"zk-saturate-batch";

const ZK_SATURATING_NAMES: ZkNames = ZkNames {
    step: "saturating zero-check (zero knowledge)",
    entries: "saturating zero-check (zero knowledge) table entries",
    fresh: "saturating zero-check (zero knowledge) fresh masks",
};

/// The tables a saturating zero-check takes: `y, n` and `limbs` limbs each of `o_hi`, `o_lo`.
fn check_saturating_tables(tables: usize, limbs: usize) -> Result<(), LayerError> {
    let expected = 2 + 2 * limbs;
    if limbs == 0 || tables != expected {
        return Err(LayerError::Count {
            what: "saturating zero-check (zero knowledge) tables",
            expected: 2 + 2 * limbs.max(1),
            got: tables,
        });
    }
    Ok(())
}

/// A saturating requantization's zero-check in zero knowledge (`spec/zk.md`, "Saturating
/// requantization, in zero-knowledge mode"): at `r` drawn as [`ZK_POINT`] and `λ_hi, λ_lo` as
/// [`ZK_SATURATE_BATCH`], the masked sum-check with left-hand side 0 of
/// `Σ_x eq(r, x)·(y·n + λ_hi·o_hi·(L − y) + λ_lo·o_lo·(L − n))`, `o_• = Σ_j 2^{j·bits}·•_j`
/// (`L = limit`, public): [`prove_saturating`]'s polynomial, masked as [`prove_zk`]'s. `tables`
/// are `[y, n, hi_0, …, hi_{k−1}, lo_0, …, lo_{k−1}]` (`k = limbs ≥ 1`, each of `2^vars`
/// entries, committed), the claims' tables in that order; `fresh` and `scalars` as for
/// [`prove_zk`] ([`zk_mask_len`] fresh masks: the same degree 3). Returns the proof and the
/// claims, exactly [`verify_saturating_zk`]'s list.
///
/// Refuses (`LayerError::Count`) a table count other than `2 + 2k`, tables not of `2^vars`
/// entries and a wrong number of fresh masks.
#[allow(clippy::too_many_arguments)]
pub fn prove_saturating_zk<F: BaseField, E: ExtField<F>>(
    vars: usize,
    limit: i64,
    bits: u32,
    limbs: usize,
    tables: &[&[F]],
    fresh: &[E],
    scalars: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<(ZkZeroCheckProof<E>, Vec<Deferred<E>>), LayerError> {
    check_saturating_tables(tables.len(), limbs)?;
    let mask = zk_mask(&ZK_SATURATING_NAMES, vars, tables, fresh)?;
    let r: Vec<E> = transcript.challenge_fields(ZK_POINT, vars);
    let lambda: Vec<E> = transcript.challenge_fields(ZK_SATURATE_BATCH, 2);
    let terms = saturating_terms::<F, E>(&lambda, limit, limbs, bits);
    Ok(prove_masked_zero(
        &r, terms, tables, &mask, scalars, transcript,
    ))
}

/// Verifies [`prove_saturating_zk`] over `vars` variables with `limbs` limbs for each of
/// `o_hi`, `o_lo`; returns the claims for the proof's opening (one `Masked` per table —
/// `y, n`, the `hi` limbs, the `lo` limbs — at `ρ`, then the Libra mask's form on the fresh
/// masks `0 .. zk_mask_len(vars)`), the prover's list for an honest proof.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_saturating_zk<F: BaseField, E: ExtField<F>>(
    vars: usize,
    limit: i64,
    bits: u32,
    limbs: usize,
    proof: &ZkZeroCheckProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, LayerError> {
    let tables = 2 + 2 * limbs;
    check_saturating_tables(tables, limbs)?;
    let r: Vec<E> = transcript.challenge_fields(ZK_POINT, vars);
    let lambda: Vec<E> = transcript.challenge_fields(ZK_SATURATE_BATCH, 2);
    let terms = saturating_terms::<F, E>(&lambda, limit, limbs, bits);
    let step = ZK_SATURATING_NAMES.step;
    verify_masked_zero(step, vars, &r, &terms, tables, proof, transcript)
}

#[cfg(test)]
mod tests {
    //! The transparent zero-check on its own (the network's and the max-pool's suites run it in
    //! proofs): a table shared by two pairs, a nonzero product, the sent `eq` checked first.
    use super::*;
    use crate::field::{Goldilocks, GoldilocksExt2};
    use ark_ff::AdditiveGroup;

    type F = Goldilocks;
    type E = GoldilocksExt2;

    const NAMES: Names = Names {
        step: "test zero-check",
        eq: "test zero-check eq",
    };

    /// `a·b = 0` and `a·c = 0` over 3 variables; `a·b` broken at entry 5 if `broken`.
    fn tables(broken: bool) -> Vec<Vec<F>> {
        let a: Vec<F> = (0..8u64).map(|i| F::from(i % 2)).collect();
        let mut b: Vec<F> = (0..8u64).map(|i| F::from((i + 1) % 2 * (i + 3))).collect();
        let c: Vec<F> = (0..8u64).map(|i| F::from((i + 1) % 2 * 7)).collect();
        if broken {
            b[5] = F::from(2u64);
        }
        vec![a, b, c]
    }

    fn run(broken: bool, edit: impl Fn(&mut ProductProof<E>)) -> Result<(), LayerError> {
        let r: Vec<E> = (1..4u64).map(E::from).collect();
        let coeffs = [E::from(3u64), E::from(5u64)];
        let pairs = [(0, 1), (0, 2)];
        let mut t = Transcript::new(b"t");
        let (mut proof, rho) = prove_at(&r, &coeffs, tables(broken), &pairs, &mut t);
        edit(&mut proof);
        let mut t = Transcript::new(b"t");
        let (point, values) = verify_at(NAMES, &r, &coeffs, 3, &pairs, &proof, &mut t)?;
        assert_eq!(point, rho);
        assert_eq!(values.len(), 3, "one value per table, the shared one once");
        Ok(())
    }

    #[test]
    fn a_table_shared_by_two_pairs_round_trips_and_a_nonzero_product_fails() {
        assert_eq!(run(false, |_| {}), Ok(()));
        assert_eq!(
            run(true, |_| {}),
            Err(LayerError::FinalProduct {
                step: "test zero-check"
            })
        );
        assert_eq!(
            run(false, |p| p.values[0] += E::ONE),
            Err(LayerError::PublicValue {
                what: "test zero-check eq"
            })
        );
        assert_eq!(
            run(false, |p| p.values[2] += E::ONE),
            Err(LayerError::FinalProduct {
                step: "test zero-check"
            })
        );
        assert_eq!(
            run(false, |p| {
                p.values.pop();
            }),
            Err(LayerError::Count {
                what: "test zero-check",
                expected: 4,
                got: 3
            })
        );
    }

    #[test]
    fn one_pair_is_the_product_sumcheck_of_eq_a_and_b() {
        // prove_pair's proof is the product sum-check of [eq, a, b] (the network's bytes).
        let [a, b, _] = <[Vec<F>; 3]>::try_from(tables(false)).expect("three tables");
        let mut t = Transcript::new(b"t");
        let (proof, rho) = prove_pair::<F, E>(3, a.clone(), b.clone(), &mut t);
        let mut t2 = Transcript::new(b"t");
        let r: Vec<E> = t2.challenge_fields(POINT, 3);
        let (product, rho2) = super::super::prove_product(
            vec![Mle::Ext(eq_table(&r)), Mle::Base(a), Mle::Base(b)],
            E::ZERO,
            &mut t2,
        );
        assert_eq!((proof.clone(), rho.clone()), (product, rho2));
        let (rho3, _, _) = verify_pair(3, &proof, &mut Transcript::new(b"t")).unwrap();
        assert_eq!(rho3, rho);
    }
}

#[cfg(test)]
mod zk_tests {
    //! The zero-knowledge zero-check, discharged by one opening of a hiding commitment that holds
    //! the committed tensors and the step's Libra mask: requantization's `y·n = 0` (one pair),
    //! the 2×2 max-pool's chain (three pairs of differences, placed as two-segment combinations)
    //! and a table shared by two pairs.
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::pcs::basefold::Params;
    use crate::pcs::packing::Packing;
    use crate::pcs::zk::{self as pzk, ZkCommitment, ZkProverData};
    use crate::zk::{mask_entries, DeferredOpening, DischargeError, Layout, Ledger, Placed};
    use ark_ff::{AdditiveGroup, FftField};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn params() -> Params {
        Params {
            rate_bits: 2,
            fold_bits: 2,
            queries: 8,
            pow_bits: 0,
        }
    }

    fn f<F: Field>(v: i64) -> F {
        if v < 0 {
            -F::from(v.unsigned_abs())
        } else {
            F::from(v as u64)
        }
    }

    /// A table of the step as `Σ weight·segment` of the commitment.
    type Combo = Vec<(usize, i64)>;

    /// The committed tables' masks, for combinations of segments of one packed commitment.
    struct Combos<'a, F> {
        data: &'a ZkProverData<F>,
        packing: &'a Packing,
        tables: &'a [Combo],
    }

    impl<F: BaseField, E: ExtField<F>> TableMasks<E> for Combos<'_, F> {
        fn mask_at(&self, table: usize, point: &[E]) -> E {
            self.tables[table]
                .iter()
                .map(|&(s, w)| {
                    let z = self.packing.point(s, point);
                    f::<E>(w) * self.data.mask_at(0, &z).expect("one committed table")
                })
                .sum()
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Case {
        /// `y·n = 0`: segments `y, n`.
        Requant,
        /// The 2×2 max-pool: segments `a, b, c, d, m1, m2, out`, pairs of differences.
        MaxPool,
        /// `a·b = 0` and `a·c = 0` with `a` one table in both pairs.
        Shared,
        /// A saturating requantization ([`prove_saturating_zk`]): segments `y, n`, then
        /// [`SAT_LIMBS`] limbs each of `o_hi`, `o_lo` (limbs of [`SAT_BITS`] bits, `L = SAT_L`).
        Saturating,
    }

    /// The saturating case's `L = 2^{B−1} − 1`, limb width `B` and limbs per overflow.
    const SAT_L: i64 = 3;
    const SAT_BITS: u32 = 3;
    const SAT_LIMBS: usize = 2;

    /// Proves the case's zero-check: [`prove_saturating_zk`] for [`Case::Saturating`] (its
    /// pairs unused), [`prove_zk`] otherwise.
    fn prove_case<F: BaseField, E: ExtField<F>>(
        case: Case,
        vars: usize,
        tables: &[&[F]],
        pairs: &[(usize, usize)],
        fresh: &[E],
        scalars: &impl TableMasks<E>,
        transcript: &mut Transcript,
    ) -> Result<(ZkZeroCheckProof<E>, Vec<Deferred<E>>), LayerError> {
        if case == Case::Saturating {
            prove_saturating_zk(
                vars, SAT_L, SAT_BITS, SAT_LIMBS, tables, fresh, scalars, transcript,
            )
        } else {
            prove_zk(vars, tables, pairs, fresh, scalars, transcript)
        }
    }

    /// Verifies [`prove_case`].
    fn verify_case<F: BaseField, E: ExtField<F>>(
        case: Case,
        vars: usize,
        tables: usize,
        pairs: &[(usize, usize)],
        proof: &ZkZeroCheckProof<E>,
        transcript: &mut Transcript,
    ) -> Result<Vec<Deferred<E>>, LayerError> {
        if case == Case::Saturating {
            verify_saturating_zk::<F, E>(vars, SAT_L, SAT_BITS, SAT_LIMBS, proof, transcript)
        } else {
            verify_zk(vars, tables, pairs, proof, transcript)
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Cheat {
        None,
        /// A committed witness with a nonzero product at one entry, proven as it is.
        Product,
        /// The same committed witness, proven with the honest tables (edited after commit).
        Edited,
    }

    /// Committed segments (honest and as committed), the step's tables and its pairs.
    struct Witness {
        honest: Vec<Vec<i64>>,
        committed: Vec<Vec<i64>>,
        tables: Vec<Combo>,
        pairs: Vec<(usize, usize)>,
    }

    fn witness(rng: &mut StdRng, case: Case, vars: usize, cheat: Cheat) -> Witness {
        let len = 1usize << vars;
        let mut draw = || -> Vec<i64> { (0..len).map(|_| rng.gen_range(-8..8)).collect() };
        let (mut honest, tables, pairs): (Vec<Vec<i64>>, Vec<Combo>, _) = match case {
            Case::Requant => {
                let q = draw();
                let y = q.iter().map(|&v| v.max(0)).collect();
                let n = q.iter().map(|&v| (-v).max(0)).collect();
                (vec![y, n], vec![vec![(0, 1)], vec![(1, 1)]], vec![(0, 1)])
            }
            Case::MaxPool => {
                let (a, b, c, d) = (draw(), draw(), draw(), draw());
                let max = |u: &[i64], v: &[i64]| -> Vec<i64> {
                    u.iter().zip(v).map(|(&x, &y)| x.max(y)).collect()
                };
                let (m1, m2) = (max(&a, &b), max(&c, &d));
                let out = max(&m1, &m2);
                let diff = |z: usize, u: usize| vec![(z, 1), (u, -1)];
                (
                    vec![a, b, c, d, m1, m2, out],
                    vec![
                        diff(4, 0),
                        diff(4, 1),
                        diff(5, 2),
                        diff(5, 3),
                        diff(6, 4),
                        diff(6, 5),
                    ],
                    vec![(0, 1), (2, 3), (4, 5)],
                )
            }
            Case::Saturating => {
                // q beyond ±L both ways: y = clamp(q, 0, L), n = clamp(−q, 0, L), the
                // overflows max(±q − L, 0) in limbs.
                let q: Vec<i64> = draw().iter().map(|&v| 5 * v).collect();
                let y = q.iter().map(|&v| v.clamp(0, SAT_L)).collect();
                let n = q.iter().map(|&v| (-v).clamp(0, SAT_L)).collect();
                let limbs = |o: Vec<i64>| -> Vec<Vec<i64>> {
                    (0..SAT_LIMBS)
                        .map(|j| {
                            o.iter()
                                .map(|&v| (v >> (j as u32 * SAT_BITS)) & ((1 << SAT_BITS) - 1))
                                .collect()
                        })
                        .collect()
                };
                let hi = limbs(q.iter().map(|&v| (v - SAT_L).max(0)).collect());
                let lo = limbs(q.iter().map(|&v| (-v - SAT_L).max(0)).collect());
                let mut segs = vec![y, n];
                segs.extend(hi);
                segs.extend(lo);
                let tables = (0..segs.len()).map(|s| vec![(s, 1)]).collect();
                (segs, tables, Vec::new())
            }
            Case::Shared => {
                let a = draw();
                let (b, c) = (draw(), draw());
                let off = |t: Vec<i64>| -> Vec<i64> {
                    t.iter()
                        .zip(&a)
                        .map(|(&v, &x)| if x == 0 { v } else { 0 })
                        .collect()
                };
                let (b, c) = (off(b), off(c));
                (
                    vec![a, b, c],
                    vec![vec![(0, 1)], vec![(1, 1)], vec![(2, 1)]],
                    vec![(0, 1), (0, 2)],
                )
            }
        };
        // Entry 0 of the first pair is where a cheater breaks it.
        match case {
            Case::Requant => (honest[0][0], honest[1][0]) = (3, 0),
            Case::Shared => (honest[0][0], honest[1][0], honest[2][0]) = (5, 0, 0),
            Case::MaxPool => {}
            // q = 1: y = 1 < L, no overflow.
            Case::Saturating => {
                for (s, v) in honest.iter_mut().zip([1, 0, 0, 0, 0, 0]) {
                    s[0] = v;
                }
            }
        }
        let mut committed = honest.clone();
        if cheat != Cheat::None {
            match case {
                Case::Requant => committed[1][0] = 2,
                // A maximum equal to neither input.
                Case::MaxPool => committed[4][0] += 1,
                Case::Shared => committed[1][0] = 1,
                // o_hi = 1 with y < L: only o_hi·(L − y) = 0 fails.
                Case::Saturating => committed[2][0] = 1,
            }
        }
        if cheat == Cheat::Product {
            honest = committed.clone();
        }
        Witness {
            honest,
            committed,
            tables,
            pairs,
        }
    }

    /// What the verifier is given.
    #[derive(Clone)]
    struct Run<F: Field, E: Field> {
        case: Case,
        vars: usize,
        tables: usize,
        pairs: Vec<(usize, usize)>,
        placed: Vec<Placed<E>>,
        layout: Layout,
        commitment: ZkCommitment,
        proof: ZkZeroCheckProof<E>,
        opening: DeferredOpening<F, E>,
    }

    fn start(c: &ZkCommitment) -> Transcript {
        let mut t = Transcript::new(b"zero-check-zk");
        t.append_message(b"root", &c.inner.root);
        t
    }

    fn prove<F: BaseField + FftField, E: ExtField<F>>(
        seed: u64,
        case: Case,
        vars: usize,
        cheat: Cheat,
    ) -> Run<F, E> {
        let mut rng = StdRng::seed_from_u64(seed);
        let w = witness(&mut rng, case, vars, cheat);
        let fresh: Vec<E> = (0..zk_mask_len(vars)).map(|_| E::rand(&mut rng)).collect();
        let mut masks = mask_entries::<F, E>(&fresh);
        // At least 2^7 entries: the commitment's mask budget must cover the opening.
        let mask_vars = (masks.len().next_power_of_two().trailing_zeros() as usize).max(7);
        masks.resize(1 << mask_vars, F::ZERO);
        let to_f = |t: &[i64]| t.iter().map(|&v| f::<F>(v)).collect::<Vec<F>>();
        let mut sizes = vec![vars; w.committed.len()];
        sizes.push(mask_vars);
        let packing = Packing::new(&sizes);
        let mut all: Vec<Vec<F>> = w.committed.iter().map(|t| to_f(t)).collect();
        all.push(masks);
        let (commitment, mut data) =
            pzk::commit(&params(), packing.pack(&all), packing.num_vars(), &mut rng).unwrap();
        let layout = Layout {
            packings: vec![packing.clone()],
            masks: Some((0, w.committed.len())),
        };
        let placed: Vec<Placed<E>> = w
            .tables
            .iter()
            .map(|c| Placed::combination(0, c.iter().map(|&(s, k)| (s, f::<E>(k))).collect()))
            .collect();
        // The prover's tables (a cheater's, edited after the commitment, are the honest ones).
        let tables: Vec<Vec<F>> = w
            .tables
            .iter()
            .map(|c| {
                (0..1 << vars)
                    .map(|x| c.iter().map(|&(s, k)| f::<F>(k * w.honest[s][x])).sum())
                    .collect()
            })
            .collect();
        let refs: Vec<&[F]> = tables.iter().map(Vec::as_slice).collect();
        let scalars = Combos {
            data: &data,
            packing: &packing,
            tables: &w.tables,
        };
        let mut tp = start(&commitment);
        let (proof, deferred) =
            prove_case(case, vars, &refs, &w.pairs, &fresh, &scalars, &mut tp).unwrap();
        let expected = verify_case::<F, E>(
            case,
            vars,
            tables.len(),
            &w.pairs,
            &proof,
            &mut start(&commitment),
        )
        .expect("the rounds are consistent");
        if cheat == Cheat::Product {
            assert_ne!(expected, deferred, "a false sum shows in the mask's form");
        } else {
            assert_eq!(expected, deferred, "the prover's claims are the verifier's");
        }
        let mut ledger = Ledger::new();
        ledger.defer(expected, &placed, 0).unwrap();
        let opening = ledger
            .open(
                &params(),
                &layout,
                &mut [(&commitment, &mut data.clone())],
                &mut rng,
                &mut tp.clone(),
            )
            .or_else(|e| match (cheat, e) {
                // The cheater's claims do not hold; it opens what its tables hold.
                (Cheat::Product | Cheat::Edited, DischargeError::Unsatisfied { .. }) => ledger
                    .open_checked(
                        &params(),
                        &layout,
                        &mut [(&commitment, &mut data)],
                        &mut rng,
                        &mut tp,
                        false,
                    ),
                (_, e) => Err(e),
            })
            .unwrap();
        Run {
            case,
            vars,
            tables: tables.len(),
            pairs: w.pairs,
            placed,
            layout,
            commitment,
            proof,
            opening,
        }
    }

    #[derive(Debug, PartialEq, Eq)]
    enum Failure {
        Layer(LayerError),
        Discharge(DischargeError),
    }

    fn verify<F: BaseField + FftField, E: ExtField<F>>(run: &Run<F, E>) -> Result<(), Failure> {
        let mut t = start(&run.commitment);
        let claims = verify_case::<F, E>(
            run.case, run.vars, run.tables, &run.pairs, &run.proof, &mut t,
        )
        .map_err(Failure::Layer)?;
        let mut ledger = Ledger::new();
        ledger
            .defer(claims, &run.placed, 0)
            .map_err(Failure::Discharge)?;
        ledger
            .verify(
                &params(),
                &run.layout,
                &[&run.commitment],
                &run.opening,
                &mut t,
            )
            .map(|_| ())
            .map_err(Failure::Discharge)
    }

    const CASES: [Case; 4] = [Case::Requant, Case::MaxPool, Case::Shared, Case::Saturating];

    #[test]
    fn the_zero_knowledge_zero_check_round_trips_on_both_fields() {
        for case in CASES {
            for vars in [2, 5] {
                let run = prove::<Goldilocks, GoldilocksExt2>(1, case, vars, Cheat::None);
                assert_eq!(verify(&run), Ok(()), "{case:?} {vars}");
                let run = prove::<Bn254Fr, Bn254Fr>(2, case, vars, Cheat::None);
                assert_eq!(verify(&run), Ok(()), "{case:?} {vars}");
            }
        }
    }

    #[test]
    fn a_cheating_zero_check_prover_is_caught() {
        for case in CASES {
            for cheat in [Cheat::Product, Cheat::Edited] {
                let run = prove::<Goldilocks, GoldilocksExt2>(3, case, 3, cheat);
                assert!(
                    matches!(
                        verify(&run),
                        Err(Failure::Discharge(DischargeError::Opening(_)))
                    ),
                    "{case:?} {cheat:?}: {:?}",
                    verify(&run)
                );
            }
        }
        let run = prove::<Bn254Fr, Bn254Fr>(4, Case::MaxPool, 3, Cheat::Product);
        assert!(matches!(
            verify(&run),
            Err(Failure::Discharge(DischargeError::Opening(_)))
        ));
    }

    #[test]
    fn a_tampered_zero_knowledge_zero_check_is_rejected() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let honest = prove::<F, E>(5, Case::MaxPool, 3, Cheat::None);
        let edit = |change: &dyn Fn(&mut Run<F, E>)| {
            let mut run = Run {
                pairs: honest.pairs.clone(),
                placed: honest.placed.clone(),
                layout: honest.layout.clone(),
                commitment: honest.commitment.clone(),
                proof: honest.proof.clone(),
                opening: honest.opening.clone(),
                ..honest
            };
            change(&mut run);
            verify(&run)
        };
        // Every value of the proof is bound: the claims they make fail at the opening.
        let values = honest.proof.values.len();
        assert_eq!(values, 6);
        for i in 0..values {
            let got = edit(&|r| r.proof.values[i] += E::ONE);
            assert!(
                matches!(got, Err(Failure::Discharge(_))),
                "value {i}: {got:?}"
            );
        }
        let got = edit(&|r| r.proof.zk.mask_sum += E::ONE);
        assert!(matches!(got, Err(Failure::Discharge(_))), "{got:?}");
        for j in 0..honest.proof.zk.sumcheck.rounds.len() {
            let got = edit(&|r| r.proof.zk.sumcheck.rounds[j].evals[0] += E::ONE);
            assert!(got.is_err(), "round {j}");
        }
        // Shapes: exact errors.
        assert_eq!(
            edit(&|r| {
                r.proof.values.pop();
            }),
            Err(Failure::Layer(LayerError::Sumcheck {
                step: "zero-check (zero knowledge)",
                source: sumcheck::SumcheckError::MaskedValues {
                    expected: 6,
                    got: 5
                }
            }))
        );
        assert!(matches!(
            edit(&|r| {
                r.proof.zk.sumcheck.rounds.pop();
            }),
            Err(Failure::Layer(LayerError::Sumcheck {
                source: sumcheck::SumcheckError::RoundCount { .. },
                ..
            }))
        ));
        assert_eq!(
            edit(&|r| r.pairs[2] = (4, 6)),
            Err(Failure::Layer(LayerError::Count {
                what: "zero-check (zero knowledge) tables",
                expected: 7,
                got: 6
            }))
        );
        assert_eq!(
            edit(&|r| r.pairs.clear()),
            Err(Failure::Layer(LayerError::Count {
                what: "zero-check (zero knowledge) pairs",
                expected: 1,
                got: 0
            }))
        );
        assert_eq!(verify(&honest), Ok(()));
    }

    #[test]
    fn a_tampered_saturating_zero_check_is_rejected() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let honest = prove::<F, E>(6, Case::Saturating, 3, Cheat::None);
        assert_eq!(verify(&honest), Ok(()));
        let edit = |change: &dyn Fn(&mut Run<F, E>)| {
            let mut run = honest.clone();
            change(&mut run);
            verify(&run)
        };
        // y, n and every overflow limb are masked values, each bound by the opening.
        let values = honest.proof.values.len();
        assert_eq!(values, 2 + 2 * SAT_LIMBS);
        for i in 0..values {
            let got = edit(&|r| r.proof.values[i] += E::ONE);
            assert!(
                matches!(got, Err(Failure::Discharge(DischargeError::Opening(_)))),
                "value {i}: {got:?}"
            );
        }
        let got = edit(&|r| r.proof.zk.mask_sum += E::ONE);
        assert!(matches!(got, Err(Failure::Discharge(_))), "{got:?}");
        for j in 0..honest.proof.zk.sumcheck.rounds.len() {
            let got = edit(&|r| r.proof.zk.sumcheck.rounds[j].evals[1] += E::ONE);
            assert!(got.is_err(), "round {j}");
        }
        let step = "saturating zero-check (zero knowledge)";
        assert_eq!(
            edit(&|r| {
                r.proof.values.pop();
            }),
            Err(Failure::Layer(LayerError::Sumcheck {
                step,
                source: sumcheck::SumcheckError::MaskedValues {
                    expected: 6,
                    got: 5
                }
            }))
        );
        assert_eq!(
            edit(&|r| {
                r.proof.zk.sumcheck.rounds.pop();
            }),
            Err(Failure::Layer(LayerError::Sumcheck {
                step,
                source: sumcheck::SumcheckError::RoundCount {
                    expected: 4,
                    got: 3
                }
            }))
        );
        // Verified as the plain y·n zero-check (two tables): its count is refused.
        assert_eq!(
            edit(&|r| {
                r.case = Case::Requant;
                r.tables = 2;
                r.pairs = vec![(0, 1)];
            }),
            Err(Failure::Layer(LayerError::Sumcheck {
                step: "zero-check (zero knowledge)",
                source: sumcheck::SumcheckError::MaskedValues {
                    expected: 2,
                    got: 6
                }
            }))
        );
        let mut t = start(&honest.commitment);
        assert_eq!(
            verify_saturating_zk::<F, E>(3, SAT_L, SAT_BITS, 0, &honest.proof, &mut t),
            Err(LayerError::Count {
                what: "saturating zero-check (zero knowledge) tables",
                expected: 4,
                got: 2
            })
        );
    }

    #[test]
    fn the_saturating_prover_refuses_wrong_shapes() {
        type E = GoldilocksExt2;
        let t = vec![Goldilocks::ZERO; 8];
        let scalars = crate::zk::ExplicitMasks::<E>(vec![vec![E::ZERO; 8]; 6]);
        let fresh = vec![E::ZERO; zk_mask_len(3)];
        let mut tr = Transcript::new(b"t");
        let six: Vec<&[Goldilocks]> = vec![&t; 6];
        let mut prove = |limbs: usize, tables: &[&[Goldilocks]], fresh: &[E]| {
            prove_saturating_zk(3, SAT_L, SAT_BITS, limbs, tables, fresh, &scalars, &mut tr)
                .map(|_| ())
        };
        let count = |what, expected, got| {
            Err(LayerError::Count {
                what,
                expected,
                got,
            })
        };
        assert_eq!(
            prove(2, &six[..5], &fresh),
            count("saturating zero-check (zero knowledge) tables", 6, 5)
        );
        assert_eq!(
            prove(0, &six[..2], &fresh),
            count("saturating zero-check (zero knowledge) tables", 4, 2)
        );
        assert_eq!(
            prove(2, &six, &fresh[1..]),
            count("saturating zero-check (zero knowledge) fresh masks", 13, 12)
        );
        let mut short = six.clone();
        short[4] = &t[..4];
        assert_eq!(
            prove(2, &short, &fresh),
            count("saturating zero-check (zero knowledge) table entries", 8, 4)
        );
        assert_eq!(prove(2, &six, &fresh), Ok(()));
    }

    #[test]
    fn the_prover_refuses_wrong_shapes() {
        type E = GoldilocksExt2;
        let t = vec![Goldilocks::ZERO; 8];
        let scalars = crate::zk::ExplicitMasks::<E>(vec![vec![E::ZERO; 8]; 2]);
        let fresh = vec![E::ZERO; zk_mask_len(3)];
        let mut tr = Transcript::new(b"t");
        assert_eq!(
            prove_zk(3, &[&t, &t], &[(0, 1)], &fresh[1..], &scalars, &mut tr).map(|_| ()),
            Err(LayerError::Count {
                what: "zero-check (zero knowledge) fresh masks",
                expected: 13,
                got: 12
            })
        );
        assert_eq!(
            prove_zk(3, &[&t, &t[..4]], &[(0, 1)], &fresh, &scalars, &mut tr).map(|_| ()),
            Err(LayerError::Count {
                what: "zero-check (zero knowledge) table entries",
                expected: 8,
                got: 4
            })
        );
        assert!(prove_zk(3, &[&t, &t], &[(0, 1)], &fresh, &scalars, &mut tr).is_ok());
    }

    // The simulator's argument (`zk::explain`).

    use crate::zk::explain::{self, mask_sizes, Knob, Proven, Randomness, Stage, Witnesses};

    const LABEL: &[u8] = b"zero-check-zk-simulator";

    /// Shifts of the committed segments' masks (`(segment, coefficient)`) that move step table
    /// `t`'s mask (a combination of theirs) by one and every other table's by zero: each
    /// table's own knob. The max-pool's six differences over seven tensors are independent, so
    /// each has one (`spec/zk.md`: the simulator needs their masks independent).
    fn knob_shifts(case: Case, t: usize) -> Vec<(usize, i64)> {
        match (case, t) {
            (Case::MaxPool, 0..=3) => vec![(t, -1)],
            // out − m1 alone: m1 down, and a, b with it so m1 − a and m1 − b stay.
            (Case::MaxPool, 4) => vec![(4, -1), (0, -1), (1, -1)],
            (Case::MaxPool, _) => vec![(5, -1), (2, -1), (3, -1)],
            _ => vec![(t, 1)],
        }
    }

    /// Zero knowledge of the zero-check as code (`zk::explain`, `check_explained`): two
    /// witnesses of the same pairs (requantization's `y, n`; the max-pool's differences; a table
    /// shared by two pairs) give the identical proof under solved masks. The randomness is the
    /// committed *segments'* masks: a difference's mask is the difference of theirs, and the
    /// solved shifts act on the segments. Then the spread over 64 runs.
    fn zero_check_witnesses<F: BaseField, E: ExtField<F>>(seed: u64, case: Case, vars: usize) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (wa, wb) = (
            witness(&mut rng, case, vars, Cheat::None),
            witness(&mut rng, case, vars, Cheat::None),
        );
        assert_ne!(wa.honest, wb.honest);
        let step_tables = |w: &Witness| -> Vec<Vec<F>> {
            w.tables
                .iter()
                .map(|c| {
                    (0..1 << vars)
                        .map(|x| c.iter().map(|&(s, k)| f::<F>(k * w.honest[s][x])).sum())
                        .collect()
                })
                .collect()
        };
        let (ta, tb) = (step_tables(&wa), step_tables(&wb));
        let (combos, pairs) = (wa.tables.clone(), wa.pairs.clone());
        // Table t's mask: the combination of the segments' masks.
        let mask = |rnd: &Randomness<E>, _: &[E], t: usize, z: &[E]| -> E {
            let m = rnd.masks();
            combos[t]
                .iter()
                .map(|&(s, k)| f::<E>(k) * m.mask_at(s, z))
                .sum()
        };
        struct Segs<'a, E: Field>(&'a [Combo], crate::zk::ExplicitMasks<E>);
        impl<E: Field> TableMasks<E> for Segs<'_, E> {
            fn mask_at(&self, t: usize, z: &[E]) -> E {
                self.0[t]
                    .iter()
                    .map(|&(s, k)| f::<E>(k) * self.1.mask_at(s, z))
                    .sum()
            }
        }
        let prover = |t: &Vec<Vec<F>>| {
            let (t, combos, pairs) = (t.clone(), combos.clone(), pairs.clone());
            move |rnd: &Randomness<E>| -> Proven<E> {
                let refs: Vec<&[F]> = t.iter().map(Vec::as_slice).collect();
                let (proof, claims) = prove_case(
                    case,
                    vars,
                    &refs,
                    &pairs,
                    &rnd.fresh,
                    &Segs(&combos, rnd.masks()),
                    &mut Transcript::new(LABEL),
                )
                .unwrap();
                Proven {
                    proofs: vec![proof],
                    claims,
                    context: Vec::new(),
                }
            }
        };
        let (pa, pb) = (prover(&ta), prover(&tb));
        let value = |t: &Vec<Vec<F>>| {
            let t = t.clone();
            move |_: &[E], i: usize, z: &[E]| crate::poly::evaluate_base(&t[i], z)
        };
        let (va, vb) = (value(&ta), value(&tb));
        let verify = |p: &[MaskedProof<E>]| {
            let claims = verify_case::<F, E>(
                case,
                vars,
                ta.len(),
                &pairs,
                &p[0],
                &mut Transcript::new(LABEL),
            )
            .unwrap();
            (claims, Vec::new())
        };
        let stages = |claims: &[Deferred<E>], _: &[E]| -> Vec<Stage<E>> {
            let (weight, beta) = explain::weight_and_beta(claims, 0);
            let knobs: Vec<Knob<E>> = (0..ta.len())
                .map(|t| {
                    let shifts = knob_shifts(case, t);
                    Box::new(move |r: &mut Randomness<E>, d: E| {
                        for &(s, k) in &shifts {
                            r.shift_table(s, f::<E>(k) * d);
                        }
                    }) as Knob<E>
                })
                .collect();
            vec![Stage {
                offset: 0,
                weight,
                beta,
                knobs,
            }]
        };
        let w = Witnesses {
            prove: [&pa, &pb],
            value: [&va, &vb],
            mask: &mask,
            verify: &verify,
            stages: &stages,
        };
        let fresh = zk_mask_len(vars);
        let sizes = mask_sizes(&vec![vars; wa.honest.len()]);
        explain::check_explained(&w, Randomness::random(&mut rng, fresh, &sizes));
        explain::check_spread(&w, &mut || Randomness::random(&mut rng, fresh, &sizes), 64);
    }

    #[test]
    fn the_zero_knowledge_zero_check_is_simulated_for_any_witness() {
        for case in CASES {
            zero_check_witnesses::<Goldilocks, GoldilocksExt2>(40, case, 4);
            zero_check_witnesses::<Bn254Fr, Bn254Fr>(41, case, 3);
        }
    }
}
