//! The model commitment's check, in zero knowledge (`spec/zk.md`, "The model commitment's
//! check, in zero knowledge"): a proof, made once per hiding model commitment
//! ([`super::commit_model_zk`]), that the committed packed table `T` holds a model of the
//! architecture — the statement of the transparent check ([`super::commitment`]) — revealing
//! nothing else about the weights.
//!
//! **Statement.** For the hiding commitment `C` to `T` (`2^n` entries, committed as `H = 2^{n−m}`
//! columns `T_c` of `2^m`) and public data derived from the architecture alone (the in-use
//! indicator `U`, the lower bounds `L = lo_j` on segment `j`'s entries in use):
//!
//! ```text
//!     T − L ∈ [0, 2^W) where U = 1,    T = 0 where U = 0,    T_j − lo_j < 2^w on a narrow segment.
//! ```
//!
//! **Construction** (the transparent check's columns and zero-check, each step replaced by its
//! zero-knowledge counterpart):
//!
//! 1. the check's own hiding commitment `K` (mask over all its variables) holds the range
//!    multiplicities (`2^W` entries) and every fresh mask of the check — the hiding range
//!    check's ([`crate::range::zk::mask_len`]) then the zero-check's Libra mask
//!    ([`zero_check::zk_mask_len`]) — padded so that its mask's budget covers one opening and
//!    that it joins the model commitment in one joint opening ([`pzk::later_part_vars`]);
//! 2. the hiding range check ([`crate::range::zk`]) of the columns `T_c − L_c` (one per column
//!    of `T`) and `2^{W−w}·(T_j − lo_j·U_j)` (each narrow segment, in pieces of at most a column)
//!    against `[0, 2^W)`. A column's masked value is `T̂_c(z, β) − L̃(z, c)` (the scalar is `T`'s
//!    mask, the public `L` has none), so its `Deferred::Masked` claim becomes a claim on `T̂` at
//!    the packed point with the value shifted by the public `L̃` (a narrow piece's: on `k·T̂`,
//!    shifted by `k·lo·Ũ_j`);
//! 3. the zero-check `Σ_x eq(ρ_lo, x)·Σ_c eq(ρ_hi, c)·Z_c(x)·T_c(x) = 0` (`Z = 1 − U`, `ρ` fresh)
//!    as one masked sum-check ([`crate::sumcheck::zk::prove_masked_with`]) with `eq` and the
//!    `Z_c` public (the verifier evaluates them) and the `T_c` private;
//! 4. every claim in one [`Ledger`], proven by one zero-knowledge joint opening of `C` and `K`
//!    (the model commitment's budget is spent by it as by a proof).
//!
//! A narrow piece that fills a whole column of `T` would be read at the range check's point on
//! the same column as that column's `T − L` with the same mask scalar: the difference of the two
//! masked values would reveal `T̃_c` there. Such a plan (only when a test lowers the column size
//! to a narrow segment's) is refused (`NetworkError::Unsupported`).

use super::commitment::{
    columns, narrow_pieces, segment_used, used_at, with_bits, CheckError, Narrow,
};
use super::plan::Plan;
use super::zk::{
    column_vars_of, min_table_vars, params_for, Masks, StepMasks, ZkCommittedModel, ZkPlan,
    ADVICE_CLAIMS,
};
use super::NetworkError;
use crate::field::{from_i64, lift, BaseField, ExtField};
use crate::layers::{ceil_log2, zero_check, LayerError};
use crate::model::Model;
use crate::pcs::packing::Packing;
use crate::pcs::zk::{self as pzk, ZkCommitment};
use crate::poly::{eq_eval, eq_table, Mle};
use crate::range::zk::ZkRangeProof;
use crate::sumcheck::zk::{prove_masked_with, verify_masked, Mask, MaskedProof};
use crate::sumcheck::{Instance, Term};
use crate::transcript::TranscriptExt;
use crate::zk::{mask_entries, Deferred, DeferredOpening, Inserted, Layout, Ledger, Placed};
use ark_ff::{FftField, Field};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use rand::{CryptoRng, RngCore};

/// The zero-knowledge proof that a hiding model commitment holds a model of its architecture.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkModelCheck<F: Field, E: Field> {
    /// The check's hiding commitment: the range multiplicities and the check's fresh masks.
    pub commitment: ZkCommitment,
    /// The hiding range check of `T − L` and the narrow segments' scaled columns.
    pub range: ZkRangeProof<E>,
    /// The masked zero-check `Σ eq(ρ, x)·(1 − U(x))·T(x) = 0`.
    pub zero_check: MaskedProof<E>,
    /// `μ` and the one zero-knowledge opening of the model commitment and the check's.
    pub opening: DeferredOpening<F, E>,
}

/// A hiding model commitment whose zero-knowledge check verified against an architecture: what
/// [`super::verify_zk`] and [`super::verify_zk_committed_input`] take, so that no proof is
/// verified against a commitment nobody checked holds a model of the architecture (the layer
/// protocols' range arguments rely on it). Only [`verify_model_check_zk`] makes one (and, for
/// the soundness tests of the proofs themselves, the `cheat` feature's `assume_checked`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedZkCommitment {
    commitment: ZkCommitment,
    architecture: [u8; 32],
}

impl CheckedZkCommitment {
    /// The commitment.
    pub fn commitment(&self) -> &ZkCommitment {
        &self.commitment
    }

    /// blake3 of the architecture JSON it was checked against.
    pub fn architecture_digest(&self) -> [u8; 32] {
        self.architecture
    }

    /// `commitment` taken as checked against `architecture` without its check: for tests of
    /// the inference proofs (the `cheat` feature, never in a release build).
    #[cfg(any(test, feature = "cheat"))]
    pub fn assume_checked(architecture: &Model, commitment: &ZkCommitment) -> Self {
        Self {
            commitment: commitment.clone(),
            architecture: architecture_digest(architecture),
        }
    }
}

/// blake3 of `model`'s architecture JSON (weights removed).
pub(crate) fn architecture_digest(model: &Model) -> [u8; 32] {
    *blake3::hash(model.architecture_json().as_bytes()).as_bytes()
}

/// Transcript label of the zero-check's point (the transparent check's).
const ZERO_POINT: &[u8] = b"check-zero-point";
/// Error name of the check's zero-check.
const ZERO_CHECK: &str = "model zero-check (zero knowledge)";
/// The zero-check's degree: `eq·Z_c` (public) times `T_c` (private), `1 + 1` in the round over
/// `b`.
const ZERO_DEGREE: usize = 3;

/// The check's shape: a function of the architecture and the model commitment's column size.
struct CheckPlan {
    /// The zero-knowledge plan's (the model packing padded for the mask's budget), with its
    /// column size.
    plan: Plan,
    /// Variables of the packed model table.
    n: usize,
    /// Variables of the model commitment's tables (columns).
    tm: usize,
    /// The narrow segments, in pieces of at most a column.
    narrow: Vec<Narrow>,
    /// The range columns' variables: `tm` per column of `T`, then the narrow pieces'.
    range_vars: Vec<usize>,
    /// `W`.
    bits: usize,
    /// Fresh masks of the range check (`E` entries), first among the check's.
    range_len: usize,
    /// All fresh masks (the zero-check's Libra mask after the range check's).
    total: usize,
    /// The check commitment's packing: `[multiplicities, fresh masks]`, padded.
    packing: Packing,
    /// Variables of the check commitment's table.
    nc: usize,
}

// The verifier runs every method: no indexing or unwrapping on what a proof or a commitment
// says.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
impl CheckPlan {
    fn new<F: BaseField + FftField, E: ExtField<F>>(
        model: &Model,
        column_vars: usize,
    ) -> Result<Self, NetworkError> {
        let zp = ZkPlan::for_commitment::<F, E>(model, column_vars)?;
        let tm = zp.table_vars().0;
        let mut plan = zp.plan;
        plan.column_vars = tm;
        let n = plan.model_packing.num_vars();
        let count = plan.model_columns().count();
        let narrow = narrow_pieces(&plan);
        if narrow.iter().any(|p| p.piece_vars >= tm) {
            return Err(NetworkError::Unsupported {
                layer: 0,
                what: "a zero-knowledge model check whose narrow segment fills a column".into(),
            });
        }
        let range_vars: Vec<usize> = std::iter::repeat_n(tm, count)
            .chain(
                narrow
                    .iter()
                    .flat_map(|p| std::iter::repeat_n(p.piece_vars, p.pieces)),
            )
            .collect();
        let bits = plan.weight_bits as usize;
        let range_len =
            crate::range::zk::mask_len(&range_vars, bits).map_err(NetworkError::Range)?;
        let total = range_len + zero_check::zk_mask_len(tm);
        let degree = E::extension_degree() as usize;
        let fresh_vars = ceil_log2((total * degree).max(2));
        let segs = [bits, fresh_vars];
        let own = Packing::new(&segs)
            .num_vars()
            .max(min_table_vars::<F, E>(1, ADVICE_CLAIMS)?);
        // One joint opening: the part with fewer variables must join the other's folding
        // (`later_part_vars`); the check's table is padded until it does.
        let nc = if own <= tm {
            let first = tm + 1;
            let params = params_for::<F, E>(first as u32)?;
            pzk::later_part_vars(&params, first, own + 1).map_or(tm, |v| v - 1)
        } else {
            let mut found = None;
            for nc in own..super::MAX_VARS {
                let params = params_for::<F, E>(nc as u32 + 1)?;
                if pzk::later_part_vars(&params, nc + 1, tm + 1) == Some(tm + 1) {
                    found = Some(nc);
                    break;
                }
            }
            found.ok_or(NetworkError::TooLarge {
                layer: None,
                what: "the zero-knowledge model check's commitment",
                size: 1u128 << own.min(127),
                limit: 1u128 << super::MAX_VARS,
            })?
        };
        Ok(Self {
            plan,
            n,
            tm,
            narrow,
            range_vars,
            bits,
            range_len,
            total,
            packing: Packing::with_min_vars(&segs, nc),
            nc,
        })
    }

    /// Columns of the model table.
    fn count(&self) -> usize {
        1 << (self.n - self.tm)
    }

    /// `(model, check)`: the commitments' indices in the opening's order (more variables first,
    /// the model on a tie).
    fn parts(&self) -> (usize, usize) {
        if self.tm >= self.nc {
            (0, 1)
        } else {
            (1, 0)
        }
    }

    /// The opening's layout: the model table as one segment of `n` variables (every claim on it
    /// is at a packed point), the check's packing with the fresh masks in its segment 1.
    fn layout(&self) -> Layout {
        let (mp, kp) = self.parts();
        let mut packings = vec![self.packing.clone(); 2];
        if let Some(p) = packings.get_mut(mp) {
            *p = Packing::new(&[self.n]);
        }
        Layout {
            packings,
            masks: Some((kp, 1)),
        }
    }

    /// The model table read from packed index `start` on `vars` variables (a column, a narrow
    /// piece), with weight `w`: the point's remaining coordinates are `start`'s bits.
    fn view<E: Field>(&self, start: usize, vars: usize, w: E) -> Placed<E> {
        let (mp, _) = self.parts();
        let inserted: Inserted = (vars..self.n).map(|k| (k, (start >> k) & 1 == 1)).collect();
        Placed {
            part: mp,
            segments: Vec::new(),
            views: vec![(0, w, inserted)],
        }
    }

    /// The range check's tables: each column `T_c − L_c` (placed as `T_c`), each narrow piece
    /// (placed as `k·T` on it), the multiplicities.
    fn range_tables<E: Field>(&self) -> Vec<Placed<E>> {
        let (_, kp) = self.parts();
        let mut out: Vec<Placed<E>> = (0..self.count())
            .map(|c| self.view(c << self.tm, self.tm, E::ONE))
            .collect();
        for p in &self.narrow {
            let k = E::from(p.scale.unsigned_abs());
            let offset = self.plan.model_packing.offset(p.seg);
            out.extend(
                (0..p.pieces).map(|i| self.view(offset + (i << p.piece_vars), p.piece_vars, k)),
            );
        }
        out.push(Placed::segment(kp, 0));
        out
    }

    /// The zero-check's private tables: the columns `T_c`.
    fn zero_tables<E: Field>(&self) -> Vec<Placed<E>> {
        (0..self.count())
            .map(|c| self.view(c << self.tm, self.tm, E::ONE))
            .collect()
    }

    /// The range check's claims on its columns made claims on `T`: a column's value plus
    /// `L̃(z, c)`, a narrow piece's plus `k·lo·Ũ_j(q)` (the multiplicities' and the fresh masks'
    /// unchanged).
    fn shift_range_claims<F: BaseField, E: ExtField<F>>(
        &self,
        claims: Vec<Deferred<E>>,
    ) -> Vec<Deferred<E>> {
        let count = self.count();
        let h = self.n - self.tm;
        // Per range table beyond the columns: (narrow piece, its index).
        let pieces: Vec<(&Narrow, usize)> = self
            .narrow
            .iter()
            .flat_map(|p| (0..p.pieces).map(move |i| (p, i)))
            .collect();
        Deferred::shift_masked(claims, |table, point| {
            if table < count {
                used_at::<F, E>(&self.plan, &with_bits(point, table, h)).1
            } else if let Some((p, i)) = pieces.get(table - count) {
                let q = with_bits(point, *i, p.pieces.trailing_zeros() as usize);
                self.plan.model_segs.get(p.seg).map_or(E::ZERO, |s| {
                    lift::<E>(from_i64::<F>(p.scale) * from_i64::<F>(s.lo)) * segment_used(s, &q)
                })
            } else {
                E::ZERO
            }
        })
    }

    /// The zero-check's terms over `[eq, Z_0, T_0, Z_1, T_1, …]` (`eq(ρ_hi, c)·eq·Z_c·T_c`) and
    /// which tables are private (the `T_c`).
    fn zero_terms<E: crate::field::MulAcc>(&self, rho_hi: &[E]) -> (Vec<Term<E>>, Vec<bool>) {
        let beta = eq_table(rho_hi);
        let terms = beta
            .iter()
            .take(self.count())
            .enumerate()
            .map(|(c, &b)| Term {
                coeff: b,
                factors: vec![0, 1 + 2 * c, 2 + 2 * c],
            })
            .collect();
        let private = std::iter::once(false)
            .chain((0..self.count()).flat_map(|_| [false, true]))
            .collect();
        (terms, private)
    }

    /// The commitments' shapes: the model's `H` tables of `m + 1` variables with masks over
    /// `m`, the check's one table of `nc + 1` with its mask over `nc`.
    fn check_shapes(&self, model: &ZkCommitment, check: &ZkCommitment) -> Result<(), CheckError> {
        shape("model", model, self.tm, self.count())?;
        shape("check", check, self.nc, 1)
    }

    /// Starts the check's transcript: the architecture, both commitments.
    fn transcript(
        &self,
        architecture: &Model,
        model: &ZkCommitment,
        check: &ZkCommitment,
    ) -> Transcript {
        let mut t = Transcript::new(b"zkcnn");
        t.domain_separator(
            b"zkcnn-model-check-zk",
            &[self.bits as u64, self.n as u64, self.tm as u64],
        );
        let arch = blake3::hash(architecture.architecture_json().as_bytes());
        t.append_message(b"model-architecture", arch.as_bytes());
        for (label, c) in [
            (b"model-commitment" as &[u8], model),
            (b"check-commitment", check),
        ] {
            t.append_message(label, &c.inner.root);
            t.append_u64(b"zk-commitment-vars", u64::from(c.inner.num_vars));
            t.append_u64(b"zk-commitment-polys", u64::from(c.inner.num_polys));
            t.append_u64(b"zk-commitment-mask-vars", u64::from(c.mask_vars));
        }
        t
    }

    /// `[x_model, x_check]` in the opening's order.
    fn ordered<T>(&self, model: T, check: T) -> [T; 2] {
        if self.parts().0 == 0 {
            [model, check]
        } else {
            [check, model]
        }
    }
}

/// A hiding commitment's shape: `polys` tables of `vars + 1` variables, masks over `vars`.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
fn shape(
    what: &'static str,
    c: &ZkCommitment,
    vars: usize,
    polys: usize,
) -> Result<(), CheckError> {
    if c.inner.num_vars as usize != vars + 1 || c.inner.num_polys as usize != polys {
        return Err(CheckError::Shape {
            what,
            expected: vars + 1,
            got: c.inner.num_vars,
            expected_polys: polys,
            polys: c.inner.num_polys,
        });
    }
    if c.mask_vars as usize != vars {
        return Err(CheckError::MaskVars {
            what,
            expected: vars,
            got: c.mask_vars,
        });
    }
    Ok(())
}

/// Proves in zero knowledge that `committed` holds `model` as a model of its architecture
/// (module docs). The check's commitment, its fresh masks and its opening's randomness come
/// from `rng`; the opening counts against the model commitment's budget as a proof's does.
/// Refuses an invalid model (`NetworkError::Model`) and a commitment that is not `model`'s
/// (`CommitmentMismatch`: another architecture or shape, or a committed table other than the
/// model's packed table).
pub fn prove_model_check_zk<F, E, R>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    rng: &mut R,
) -> Result<ZkModelCheck<F, E>, NetworkError>
where
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
{
    prove_inner(model, committed, rng, false)
}

/// The prover; `cheating` (tests) proves what the committed table holds even when it is no
/// model: the multiplicities count the entries in range only, the range check is unchecked and
/// the opening sends what the tables hold.
fn prove_inner<F, E, R>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    rng: &mut R,
    cheating: bool,
) -> Result<ZkModelCheck<F, E>, NetworkError>
where
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
{
    model.validate().map_err(NetworkError::Model)?;
    if committed.architecture_json() != model.architecture_json() {
        return Err(NetworkError::CommitmentMismatch);
    }
    let cp = CheckPlan::new::<F, E>(model, column_vars_of(&committed.commitment))?;
    shape("model", &committed.commitment, cp.tm, cp.count())
        .map_err(|_| NetworkError::CommitmentMismatch)?;
    let table: Vec<Vec<F>> = (0..cp.count())
        .map(|c| committed.data().table(c).map(<[F]>::to_vec))
        .collect::<Option<_>>()
        .ok_or(NetworkError::CommitmentMismatch)?;
    // The honest prover proves its own model only: the committed table is the model's.
    if !cheating {
        let segments = super::commitment::model_tables::<F>(model, &cp.plan);
        if cp.plan.model_packing.pack_columns(&segments, cp.tm) != table {
            return Err(NetworkError::CommitmentMismatch);
        }
    }
    let (cols, z) = columns(&cp.plan, &table);
    let refs: Vec<&[F]> = cols.iter().map(Vec::as_slice).collect();
    let m = if cheating {
        crate::range::count_in_range(&refs, cp.bits)
    } else {
        crate::range::multiplicities(&refs, cp.bits).map_err(NetworkError::Range)?
    };
    // The check's commitment: the multiplicities and the fresh masks.
    let fresh: Vec<E> = crate::field::uniform_vec(rng, cp.total);
    let mut entries = mask_entries::<F, E>(&fresh);
    entries.resize(1 << cp.packing.vars(1), F::ZERO);
    let packed = cp.packing.pack(&[m.clone(), entries]);
    let check_params = params_for::<F, E>(cp.nc as u32 + 1)?;
    let (commitment, mut data) =
        pzk::commit(&check_params, packed, cp.nc, rng).map_err(NetworkError::ZkCommit)?;
    let mut t = cp.transcript(model, &committed.commitment, &commitment);
    let layout = cp.layout();
    let mut ledger: Ledger<E> = Ledger::new();
    let (range, zero) = {
        let masks = Masks {
            data: cp.ordered(committed.data(), &data).to_vec(),
            packings: &layout.packings,
            table_vars: cp.ordered(cp.tm, cp.nc).to_vec(),
        };
        // The range check of `T − L` and the narrow pieces.
        let tables = cp.range_tables::<E>();
        let (range, deferred) = crate::range::zk::prove_as::<F, E>(
            cheating,
            &refs,
            cp.bits,
            &m,
            &fresh[..cp.range_len],
            &StepMasks {
                masks: &masks,
                tables: &tables,
            },
            &mut t,
        )
        .map_err(NetworkError::Range)?;
        ledger
            .defer(cp.shift_range_claims::<F, E>(deferred), &tables, 0)
            .map_err(NetworkError::Deferred)?;
        // The zero-check Σ eq(ρ, x)·Z(x)·T(x) = 0 over the columns.
        let rho: Vec<E> = t.challenge_fields(ZERO_POINT, cp.n);
        let (lo, hi) = rho.split_at(cp.tm);
        let (terms, private) = cp.zero_terms(hi);
        let mut all: Vec<Mle<F, E>> = vec![Mle::Ext(eq_table(lo))];
        for (zc, tc) in z.into_iter().zip(&table) {
            all.push(Mle::Base(zc));
            all.push(Mle::Base(tc.clone()));
        }
        let instance = Instance::new(all, terms).map_err(|_| NetworkError::Unsupported {
            layer: 0,
            what: "a model check's zero-check tables of unequal sizes".into(),
        })?;
        let mask = Mask::from_entries(cp.tm + 1, &fresh[cp.range_len..]).ok_or(
            NetworkError::Unsupported {
                layer: 0,
                what: "a model check's zero-check mask of the wrong size".into(),
            },
        )?;
        let ztables = cp.zero_tables::<E>();
        // Instance table `2 + 2c` is `T_c`.
        let scalar = |i: usize, r: &[E]| {
            ztables
                .get(i.saturating_sub(2) / 2)
                .map_or(E::ZERO, |p| masks.at(p, r))
        };
        let out = prove_masked_with(instance, E::ZERO, &private, &scalar, &mask, &mut t);
        let deferred = out.claims(ZERO_DEGREE);
        ledger
            .defer(deferred, &ztables, cp.range_len)
            .map_err(NetworkError::Deferred)?;
        (range, out.proof)
    };
    // The one opening of the model commitment and the check's.
    let params = params_for::<F, E>((cp.tm.max(cp.nc) + 1) as u32)?;
    let (model_commitment, model_data) = committed.parts_mut();
    let mut parts = cp.ordered((model_commitment, model_data), (&commitment, &mut data));
    let opening = ledger
        .open_checked(&params, &layout, &mut parts, rng, &mut t, !cheating)
        .map_err(NetworkError::Deferred)?;
    Ok(ZkModelCheck {
        commitment,
        range,
        zero_check: zero,
        opening,
    })
}

/// Verifies that the hiding model commitment `commitment` holds a model of `architecture`
/// (weights, if any, are dropped unread); never panics on the proof's contents.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_model_check_zk<F: BaseField + FftField, E: ExtField<F>>(
    architecture: &Model,
    commitment: &ZkCommitment,
    proof: &ZkModelCheck<F, E>,
) -> Result<CheckedZkCommitment, CheckError> {
    let architecture = &architecture.architecture();
    let cp = CheckPlan::new::<F, E>(architecture, column_vars_of(commitment))
        .map_err(CheckError::Model)?;
    cp.check_shapes(commitment, &proof.commitment)?;
    let mut t = cp.transcript(architecture, commitment, &proof.commitment);
    let layout = cp.layout();
    let mut ledger: Ledger<E> = Ledger::new();
    // The range check.
    let deferred = crate::range::zk::verify::<F, E>(&cp.range_vars, cp.bits, &proof.range, &mut t)
        .map_err(CheckError::Range)?;
    ledger
        .defer(
            cp.shift_range_claims::<F, E>(deferred),
            &cp.range_tables(),
            0,
        )
        .map_err(CheckError::Deferred)?;
    // The zero-check: eq and Z_c = 1 − U(·, c) are the verifier's own.
    let rho: Vec<E> = t.challenge_fields(ZERO_POINT, cp.n);
    let (lo, hi) = rho.split_at(cp.tm.min(rho.len()));
    let (terms, private) = cp.zero_terms(hi);
    let claim = verify_masked(
        cp.tm,
        ZERO_DEGREE,
        E::ZERO,
        cp.count(),
        &proof.zero_check,
        &mut t,
    )
    .map_err(|source| {
        CheckError::ZeroCheck(LayerError::Sumcheck {
            step: ZERO_CHECK,
            source,
        })
    })?;
    let h = cp.n - cp.tm;
    let mut public = vec![eq_eval(lo, &claim.point)];
    public.extend(
        (0..cp.count())
            .map(|c| E::ONE - used_at::<F, E>(&cp.plan, &with_bits(&claim.point, c, h)).0),
    );
    let ids: Vec<usize> = (0..cp.count()).collect();
    let deferred = claim
        .deferred(&terms, &private, &public, &ids, ZERO_DEGREE)
        .map_err(|source| {
            CheckError::ZeroCheck(LayerError::Sumcheck {
                step: ZERO_CHECK,
                source,
            })
        })?;
    ledger
        .defer(deferred, &cp.zero_tables(), cp.range_len)
        .map_err(CheckError::Deferred)?;
    // The one opening.
    let params = params_for::<F, E>((cp.tm.max(cp.nc) + 1) as u32).map_err(CheckError::Model)?;
    ledger
        .verify(
            &params,
            &layout,
            &cp.ordered(commitment, &proof.commitment),
            &proof.opening,
            &mut t,
        )
        .map_err(CheckError::Deferred)?;
    Ok(CheckedZkCommitment {
        commitment: commitment.clone(),
        architecture: architecture_digest(architecture),
    })
}

#[cfg(test)]
mod tests {
    //! Honest checks on both fields, cheating commitments (a weight out of range, a nonzero
    //! padded entry, a bias limb out of its narrow range), another commitment, tampered and
    //! garbage proofs.
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::model::{zoo, Layer};
    use crate::network::commitment::for_each_used;
    use crate::network::zk::{commit_model_zk, commit_model_zk_edited, COLUMN_VARS};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// An honest check verifies, counts against the model commitment's budget, round-trips as
    /// bytes, and is refused against another commitment of the same architecture.
    fn honest<F: BaseField + FftField, E: ExtField<F>>(model: &Model, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut committed = commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
        let before = committed.budget::<E>().0;
        let proof = prove_model_check_zk::<F, E, _>(model, &mut committed, &mut rng).unwrap();
        assert!(committed.budget::<E>().0 > before);
        let architecture = model.architecture();
        verify_model_check_zk(&architecture, &committed.commitment, &proof).unwrap();
        let mut bytes = Vec::new();
        proof.serialize_compressed(&mut bytes).unwrap();
        let back = ZkModelCheck::<F, E>::deserialize_compressed(&bytes[..]).unwrap();
        assert_eq!(back, proof);
        let other = commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
        assert!(verify_model_check_zk(&architecture, &other.commitment, &proof).is_err());
    }

    #[test]
    fn honest_checks_verify_on_both_fields() {
        honest::<Goldilocks, GoldilocksExt2>(&zoo::mlp(1), 1);
        honest::<Bn254Fr, Bn254Fr>(&zoo::mlp(2), 2);
        honest::<Goldilocks, GoldilocksExt2>(&zoo::lenet5(3), 3);
        honest::<Bn254Fr, Bn254Fr>(&zoo::lenet5(4), 4);
    }

    /// LeNet-5 with `W = 5` (weights clamped), so that every bias has a narrow top limb.
    fn narrow_lenet() -> Model {
        let mut model = zoo::lenet5(5);
        model.weight_bits = 5;
        for layer in &mut model.layers {
            match layer {
                Layer::Conv2d(c) => c.weights.iter_mut().for_each(|w| *w = (*w).clamp(-16, 15)),
                Layer::Dense(d) => d.weights.iter_mut().for_each(|w| *w = (*w).clamp(-16, 15)),
                _ => {}
            }
        }
        model
    }

    /// The check of a commitment to `model`'s packed table edited by `edit` (given the plan and
    /// the table's columns), proven by the cheating prover; the honest prover refuses it.
    fn cheat<F: BaseField + FftField, E: ExtField<F>>(
        model: &Model,
        edit: impl Fn(&Plan, &mut [Vec<F>]),
    ) -> Result<(), CheckError> {
        let mut rng = StdRng::seed_from_u64(7);
        let mut committed =
            commit_model_zk_edited::<F, E, _>(model, COLUMN_VARS, &edit, &mut rng).unwrap();
        assert!(prove_model_check_zk::<F, E, _>(model, &mut committed, &mut rng).is_err());
        let proof = prove_inner::<F, E, _>(model, &mut committed, &mut rng, true).unwrap();
        verify_model_check_zk(&model.architecture(), &committed.commitment, &proof).map(|_| ())
    }

    /// Sets packed entry `x` (one column: the models here are below a column) to `v`.
    fn set<F: BaseField>(columns: &mut [Vec<F>], x: usize, v: i64) {
        columns[0][x] = from_i64(v);
    }

    /// The first entry in use of the first segment whose range is `[lo, lo + 2^w)` with `w`
    /// chosen by `pick` (`w = W` for a weight segment), with its `lo` and `2^w`.
    fn entry(plan: &Plan, pick: impl Fn(i64) -> bool) -> (usize, i64, i64) {
        let (j, s) = plan
            .model_segs
            .iter()
            .enumerate()
            .find(|(_, s)| pick(s.hi - s.lo + 1))
            .unwrap();
        (plan.model_packing.offset(j), s.lo, s.hi - s.lo + 1)
    }

    fn cheats_rejected<F: BaseField + FftField, E: ExtField<F>>() {
        let model = zoo::mlp(6);
        let full = 1i64 << model.weight_bits;
        // A weight one beyond its range's top.
        let got = cheat::<F, E>(&model, |plan, cols| {
            let (x, lo, size) = entry(plan, |size| size == full);
            set(cols, x, lo + size);
        });
        assert!(matches!(got, Err(CheckError::Deferred(_))), "{got:?}");
        // A weight one below its range's bottom.
        let got = cheat::<F, E>(&model, |plan, cols| {
            let (x, lo, _) = entry(plan, |size| size == full);
            set(cols, x, lo - 1);
        });
        assert!(matches!(got, Err(CheckError::Deferred(_))), "{got:?}");
        // A nonzero entry not in use (in range: only the zero-check catches it, at the opening:
        // its last-round value is a deferred claim on the Libra mask and the masked values).
        let got = cheat::<F, E>(&model, |plan, cols| {
            let mut used = vec![false; 1 << plan.model_packing.num_vars()];
            for_each_used(plan, |x, _| used[x] = true);
            let free = used.iter().rposition(|&u| !u).unwrap();
            set(cols, free, 1);
        });
        assert!(matches!(got, Err(CheckError::Deferred(_))), "{got:?}");
        // An entry of a block's zero padding (the spread claims rely on it being zero: a small
        // segment's claim is made over its whole block), in range: the zero-check catches it.
        let got = cheat::<F, E>(&model, |plan, cols| {
            let packing = &plan.model_packing;
            let j = (0..plan.model_segs.len())
                .find(|&j| packing.block_vars(j) > packing.vars(j))
                .expect("a segment smaller than its block");
            let padding = packing.offset(j) + (1 << packing.vars(j));
            let mut used = vec![false; 1 << packing.num_vars()];
            for_each_used(plan, |x, _| used[x] = true);
            assert!(!used[padding]);
            set(cols, padding, 1);
        });
        assert!(matches!(got, Err(CheckError::Deferred(_))), "{got:?}");
        // A bias's top limb beyond its narrow range (within [lo, lo + 2^W)).
        let model = narrow_lenet();
        let full = 1i64 << model.weight_bits;
        let got = cheat::<F, E>(&model, |plan, cols| {
            let (x, lo, size) = entry(plan, |size| size < full);
            set(cols, x, lo + size);
        });
        assert!(matches!(got, Err(CheckError::Deferred(_))), "{got:?}");
    }

    #[test]
    fn cheating_commitments_are_rejected_on_both_fields() {
        cheats_rejected::<Goldilocks, GoldilocksExt2>();
        cheats_rejected::<Bn254Fr, Bn254Fr>();
    }

    /// A model with narrow segments checks honestly.
    #[test]
    fn narrow_limbs_check() {
        honest::<Goldilocks, GoldilocksExt2>(&narrow_lenet(), 8);
    }

    /// A model table committed as two columns: the range check's columns and the zero-check's
    /// terms are per column, every claim on one column; a cheat in the second column is caught.
    #[test]
    fn a_table_in_columns_checks() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let model = zoo::mlp(10);
        let n = ZkPlan::for_commitment::<F, E>(&model, COLUMN_VARS)
            .unwrap()
            .plan
            .model_packing
            .num_vars();
        let mut rng = StdRng::seed_from_u64(10);
        let mut committed =
            crate::network::zk::commit_model_zk_with_columns::<F, E, _>(&model, n - 1, &mut rng)
                .unwrap();
        assert_eq!(committed.commitment.inner.num_polys, 2);
        let proof = prove_model_check_zk::<F, E, _>(&model, &mut committed, &mut rng).unwrap();
        verify_model_check_zk(&model.architecture(), &committed.commitment, &proof).unwrap();
        // An entry not in use, in the second column, set to 1.
        let mut committed = commit_model_zk_edited::<F, E, _>(
            &model,
            n - 1,
            |_, cols: &mut [Vec<F>]| {
                let last = cols[1].len() - 1;
                cols[1][last] = F::ONE;
            },
            &mut rng,
        )
        .unwrap();
        let proof = prove_inner::<F, E, _>(&model, &mut committed, &mut rng, true).unwrap();
        let got = verify_model_check_zk(&model.architecture(), &committed.commitment, &proof);
        assert!(matches!(got, Err(CheckError::Deferred(_))), "{got:?}");
    }

    #[test]
    fn tampered_and_garbage_proofs_are_rejected_without_panics() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let model = zoo::mlp(9);
        let mut rng = StdRng::seed_from_u64(9);
        let mut committed = commit_model_zk::<F, E, _>(&model, &mut rng).unwrap();
        let proof = prove_model_check_zk::<F, E, _>(&model, &mut committed, &mut rng).unwrap();
        let arch = model.architecture();
        let c = &committed.commitment;
        let run = |edit: &dyn Fn(&mut ZkModelCheck<F, E>)| {
            let mut p = proof.clone();
            edit(&mut p);
            verify_model_check_zk(&arch, c, &p)
        };
        let one = E::ONE;
        type Edit = Box<dyn Fn(&mut ZkModelCheck<F, E>)>;
        let edits: Vec<(&str, Edit)> = vec![
            (
                "column value",
                Box::new(move |p| p.range.column_values[0] += one),
            ),
            (
                "multiplicities value",
                Box::new(move |p| p.range.multiplicities_value += one),
            ),
            (
                "range join",
                Box::new(move |p| p.range.join.values[0] += one),
            ),
            (
                "range layer",
                Box::new(move |p| p.range.columns[0].values[0] += one),
            ),
            (
                "range table layer",
                Box::new(move |p| p.range.table[0].zk.mask_sum += one),
            ),
            (
                "zero-check value",
                Box::new(move |p| p.zero_check.values[0] += one),
            ),
            (
                "zero-check mask sum",
                Box::new(move |p| p.zero_check.zk.mask_sum += one),
            ),
            (
                "zero-check round",
                Box::new(move |p| p.zero_check.zk.sumcheck.rounds[0].evals[0] += one),
            ),
            (
                "mu",
                Box::new(move |p| p.opening.mu = p.opening.mu.map(|m| m + one)),
            ),
            ("no mu", Box::new(|p| p.opening.mu = None)),
            ("check root", Box::new(|p| p.commitment.inner.root[0] ^= 1)),
            // Garbage: shapes the verifier must refuse, not index.
            ("no columns", Box::new(|p| p.range.column_values.clear())),
            ("no range layers", Box::new(|p| p.range.columns.clear())),
            ("no table layers", Box::new(|p| p.range.table.clear())),
            (
                "no zero-check values",
                Box::new(|p| p.zero_check.values.clear()),
            ),
            (
                "no zero-check rounds",
                Box::new(|p| p.zero_check.zk.sumcheck.rounds.clear()),
            ),
            (
                "short round",
                Box::new(|p| p.zero_check.zk.sumcheck.rounds[0].evals.clear()),
            ),
            (
                "check vars",
                Box::new(|p| p.commitment.inner.num_vars = u32::MAX),
            ),
            (
                "check polys",
                Box::new(|p| p.commitment.inner.num_polys = 0),
            ),
            (
                "check mask vars",
                Box::new(|p| p.commitment.mask_vars = u32::MAX),
            ),
        ];
        for (what, edit) in &edits {
            assert!(run(edit.as_ref()).is_err(), "{what}");
        }
        // Another shape of the model commitment, another architecture: refused.
        let mut bad = c.clone();
        bad.inner.num_polys = 1 << 20;
        assert!(verify_model_check_zk(&arch, &bad, &proof).is_err());
        bad = c.clone();
        bad.mask_vars = 0;
        assert!(matches!(
            verify_model_check_zk(&arch, &bad, &proof),
            Err(CheckError::MaskVars { .. })
        ));
        // A model commitment claiming columns of no variables, or of more than it has.
        for (polys, vars) in [(2, 0), (2, 1), (1 << 30, 3), (2, u32::MAX)] {
            bad = c.clone();
            bad.inner.num_polys = polys;
            bad.inner.num_vars = vars;
            assert!(verify_model_check_zk(&arch, &bad, &proof).is_err());
        }
        let lenet = zoo::lenet5(9).architecture();
        assert!(verify_model_check_zk(&lenet, c, &proof).is_err());
        // Random bytes edited in the serialized proof: whatever deserializes is rejected, and
        // nothing panics.
        let mut bytes = Vec::new();
        proof.serialize_compressed(&mut bytes).unwrap();
        let mut rng = StdRng::seed_from_u64(11);
        for _ in 0..200 {
            let mut b = bytes.clone();
            let at = rng.gen_range(0..b.len());
            b[at] ^= 1 << rng.gen_range(0..8);
            if let Ok(p) = ZkModelCheck::<F, E>::deserialize_compressed(&b[..]) {
                if p != proof {
                    assert!(verify_model_check_zk(&arch, c, &p).is_err(), "byte {at}");
                }
            }
        }
    }
}
