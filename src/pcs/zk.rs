//! A hiding commitment and a zero-knowledge opening over Basefold (`spec/zk.md`, "Hiding
//! commitment and zero-knowledge opening"; the simulator and the count of what an opening
//! reveals are there).
//!
//! **Commit.** A table `f` of `2^n` entries is committed as the `(n + 1)`-variable polynomial
//! `f̂(x, x_n) = f̃(x) + x_n·m̃(x_0, …, x_{ℓ−1})` with [`basefold::commit`], where `m` is
//! uniformly random (`2^ℓ` entries, `ℓ` = [`ZkCommitment::mask_vars`]). `m`'s monomial
//! coefficients sit in the top block of `f̂`'s, so an entry of the committed codeword is
//! `p_f(x) + x^{2^n}·p_m(x)`: up to `2^ℓ` opened entries are uniform whatever `f` is (a
//! Vandermonde system in `m`). A claim on `f` at `z` is made on `f̂` at `(z, β)`, `β ≠ 0`; its
//! value `f̃(z) + β·m̃(z_{<ℓ})` is masked too.
//!
//! **Open.** Before anything else the prover commits a fresh uniformly random `ω` over the
//! `n + 1 − s` variables that are left after `s = k − 1` folds (`k` = the first tree's leaf
//! bits). The opening is Basefold's sum-check `Σ G·f̂` in lock-step with the folding, except
//! that after `s` rounds the prover sends `σ = Σ_x G(r_{<s}, x)·ω(x)`, the verifier draws
//! `w ≠ 0`, and from there on the sum-check and the folding run on `fold_s(f̂) + w·ω` (the claim
//! becomes `claim + w·σ`; `ω`'s codeword is added inside the first tree's leaves, as a joining
//! commitment is, [`super::code::Join`]). Every folded tree, every later round and the final
//! constant are then those of a polynomial masked by `ω`; the first `s` rounds, the claimed
//! values and the first tree's leaves are masked by `m`.
//!
//! **Several tables.** [`commit_columns`] commits tables of one size together, each with its own
//! mask. Claims on several of them at several points are first reduced to one point by a
//! sum-check masked the same way (the tables' masks for the first `s` rounds, then a fresh `ω_i`
//! per table), [`ZkReduction`]; the opening then runs on the tables' combination at that point,
//! each `ω_i` joining beside `ω` with the running weight.
//!
//! **Several commitments.** [`open_parts`] opens claims on several hiding commitments at once
//! (the model, reused, and a proof's advice): the reduction runs over the largest one's
//! variables with the others' terms entering where their variables start, and the batched
//! opening joins each at its fold (`spec/zk.md`).
//!
//! **Budget.** `m` is reused by every opening of the commitment: each opening reveals up to
//! [`revealed_per_opening`] linear functionals of it (base-field units), and the prover data
//! refuses an opening that would take the total beyond `2^ℓ` less one leaf
//! ([`ZkProverData::budget`]).

use super::basefold::{
    self, block_start, borrowed_round, check_layer, check_pow, check_queries, claim_offsets, g_at,
    leaf_tree, leaf_values, product_instance, sorted_distinct, BorrowedFirstRound, Commitment,
    LayerOpening, Layout, Params, PartLeaves, PcsError, Prover, ProverData, MAX_BATCH,
};
use super::code::{
    fold_base_codeword_k, fold_codeword_k, fold_combined_codeword_k, FoldTwiddles, Join,
};
use super::merkle::{Digest, MerkleError, MerkleTree};
use super::Claim;
use crate::field::{lift, uniform_vec, BaseField, ExtField};
use crate::parallel::collect_indexed;
use crate::poly::{add_scaled_eq_pair, eq_eval, evaluate_base, Mle};
use crate::sumcheck::{self, Instance, RoundProver, Term};
use crate::transcript::{StatementHasher, TranscriptExt};
use ark_ff::{FftField, Field};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use rand::{CryptoRng, RngCore};

/// A hiding commitment: the Basefold commitment to the masked polynomials `f̂_i` (`n + 1`
/// variables each, one per committed table) and the masks' variables `ℓ`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkCommitment {
    /// The commitment to `f̂_i(x, x_n) = f̃_i(x) + x_n·m̃_i(x_{<ℓ})`.
    pub inner: Commitment,
    /// `ℓ`: each mask `m_i` has `2^ℓ` entries.
    pub mask_vars: u32,
}

impl ZkCommitment {
    /// `n`: the committed tables' variables (one fewer than `f̂`'s).
    pub fn table_vars(&self) -> usize {
        (self.inner.num_vars as usize).saturating_sub(1)
    }
}

/// What the prover keeps: the `f̂_i`'s Basefold data and the count of mask functionals revealed
/// so far.
#[derive(Clone, Debug)]
pub struct ZkProverData<F> {
    inner: ProverData<F>,
    /// Each table's mask `m_i` (`2^ℓ` entries).
    masks: Vec<Vec<F>>,
    mask_vars: usize,
    revealed: u64,
    /// A tighter budget a caller set ([`Self::limit_budget`]).
    cap: u64,
}

impl<F: BaseField + FftField> ZkProverData<F> {
    /// Writes the committed polynomials' codewords and the commitment tree's leaf digests
    /// ([`basefold::ProverData::write_stored`]), which [`rebuild_stored`] reads back instead of
    /// encoding and hashing. Not secret beyond the tables' own secrecy: the codeword encodes
    /// the masked tables — keep it as private as the prover file.
    pub fn write_stored(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        self.inner.write_stored(w)
    }
}

impl<F: BaseField> ZkProverData<F> {
    /// `m̃_poly(point_{<ℓ})`: table `poly`'s mask at (the first `ℓ` coordinates of) `point`, the
    /// scalar by which a claim at `(point, β)` masks the table's value
    /// (`f̂(point, β) = f̃(point) + β·m̃(point_{<ℓ})`). `None` for a table that is not committed.
    pub fn mask_at<E: ExtField<F>>(&self, poly: usize, point: &[E]) -> Option<E> {
        let m = self.masks.get(poly)?;
        let ell = self.mask_vars.min(point.len());
        Some(evaluate_base(&m[..1 << ell], &point[..ell]))
    }
}

impl<F> ZkProverData<F> {
    /// Table `poly` as committed (`2^n` entries: the first half of `f̂`'s), `None` for a table
    /// that is not committed.
    pub(crate) fn table(&self, poly: usize) -> Option<&[F]> {
        self.inner
            .evals()
            .get(poly)
            .map(|f| f.get(..f.len() / 2).unwrap_or(&[]))
    }

    /// Mask functionals (base-field units, per table) revealed by the openings made so far.
    pub fn revealed(&self) -> u64 {
        self.revealed
    }

    /// Raises the count of revealed mask functionals to `total` (openings made elsewhere with
    /// the same masks); never lowers it.
    pub(crate) fn raise_revealed(&mut self, total: u64) {
        self.revealed = self.revealed.max(total);
    }

    /// Each table's mask `m_i` (`2^ℓ` entries): with the tables and [`Self::revealed`], what
    /// [`rebuild`] needs to make this prover data again (the model owner's secret).
    pub fn masks(&self) -> &[Vec<F>] {
        &self.masks
    }

    /// The most mask functionals all openings together may reveal of each table's mask: `2^ℓ`
    /// less one first-tree leaf (so that every unopened leaf keeps fresh entries).
    /// At most `cap` if [`Self::limit_budget`] set it.
    pub fn budget(&self, params: &Params) -> u64 {
        let leaf = 1u64 << params.fold_bits.max(1);
        (1u64 << self.mask_vars).saturating_sub(leaf).min(self.cap)
    }

    /// Limits [`Self::budget`] to `cap` functionals: a caller whose claims read parts of the mask
    /// more often than the whole (a model commitment's small segments, `spec/zk.md`) bounds the
    /// number of openings through it.
    pub fn limit_budget(&mut self, cap: u64) {
        self.cap = self.cap.min(cap);
    }
}

/// The reduction of claims on several tables at several points to one point `r''`: a sum-check
/// masked like the opening's (the tables' masks for the first `s` rounds, then a fresh `ω_i` per
/// table).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkReduction<E: Field> {
    /// The messages `g(0), g(2)`, one per variable of `f̂`.
    pub rounds: Vec<Vec<E>>,
    /// `σ_i = Σ_x G_i(r_{<s}, x)·ω_i(x)` per claimed table, sent after `s` rounds.
    pub mask_sums: Vec<E>,
    /// `f̂_i(r'')` per claimed table.
    pub values: Vec<E>,
    /// `ω_i(r''_{≥s})` per claimed table.
    pub mask_values: Vec<E>,
}

/// A zero-knowledge opening.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkProof<F: Field, E: Field> {
    /// Roots of the masks' commitments (per part that has masks: `ω` and the first part's
    /// reduction masks, then each later part's), committed before the opening starts.
    pub mask_roots: Vec<Digest>,
    /// Present when the claims are on several tables at several points, or on several
    /// commitments.
    pub reduction: Option<ZkReduction<E>>,
    /// The sum-check messages `g(0), g(2)`, one per variable of the first part's `f̂`.
    pub rounds: Vec<Vec<E>>,
    /// `σ = Σ_x G(r_{<s}, x)·ω(x)`, sent after `s` rounds.
    pub mask_sum: E,
    /// Roots of the folded trees.
    pub roots: Vec<Digest>,
    /// The constant the masked word folds to.
    pub last: E,
    /// The grinding nonce.
    pub pow_nonce: u64,
    /// Per part, the opened leaves of its tree.
    pub base: Vec<LayerOpening<F>>,
    /// Per masks' commitment, its opened blocks.
    pub masks: Vec<LayerOpening<F>>,
    /// The opened leaves of each folded tree.
    pub folded: Vec<LayerOpening<E>>,
}

/// Why a hiding commitment or a zero-knowledge opening failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZkError {
    /// A Basefold error (shapes, Merkle proofs of `f̂`'s and the folded trees, folds, the final
    /// constant, grinding).
    #[error(transparent)]
    Pcs(#[from] PcsError),
    /// The masks' variables are out of range for the tables.
    #[error("a mask of 2^{mask_vars} entries is out of range for tables of 2^{table_vars}: it needs at least 2^{min} (the first tree's leaf) and at most the tables' size")]
    MaskVars {
        /// `ℓ` asked for.
        mask_vars: usize,
        /// The tables' variables.
        table_vars: usize,
        /// The fewest `ℓ` (the first tree's leaf bits).
        min: usize,
    },
    /// The parameters' arity is too small for the masks' join (`fold_bits ≥ 2`).
    #[error("zero-knowledge openings need fold_bits >= 2; got {0}")]
    FoldBits(usize),
    /// A claim's last coordinate is 0: its value would be the table's, unmasked.
    #[error("claim {claim} has x_n = 0: its value would reveal the table's")]
    Unmasked {
        /// The claim.
        claim: usize,
    },
    /// Two claims on one table agree on the mask's variables but not elsewhere: their values
    /// read the mask at the same point, and a combination of them would be the table's alone.
    #[error("claims {first} and {second} agree on the first {mask_vars} coordinates (the mask's) but not on the rest: together they would reveal the table")]
    SharedMask {
        /// The earlier claim.
        first: usize,
        /// The later one.
        second: usize,
        /// `ℓ`.
        mask_vars: usize,
    },
    /// A stored codeword ([`rebuild_stored`]) that cannot be read or does not match the
    /// commitment.
    #[error(transparent)]
    Stored(basefold::StoredError),
    /// The opening would reveal more mask functionals than the commitment's budget.
    #[error("the commitment's budget is spent: {revealed} of {budget} mask functionals revealed, and this opening needs {needed}; commit again")]
    Budget {
        /// Revealed so far.
        revealed: u64,
        /// This opening's count.
        needed: u64,
        /// The budget.
        budget: u64,
    },
    /// A later commitment of a joint opening would join the folding before the masks do (its
    /// revealed leaves would show the unmasked word beside its block): pad it to the first's size
    /// or to fewer variables.
    #[error("commitment {part} would join after {fold} folds, before the masks join after {masks}: pad it")]
    JoinBeforeMasks {
        /// Which commitment.
        part: usize,
        /// The fold at which it would join.
        fold: usize,
        /// The fold at which the masks join.
        masks: usize,
    },
    /// A commitment of a joint opening has too few variables for its masks to join.
    #[error(
        "commitment {part} has {vars} variables; a zero-knowledge opening needs at least {min}"
    )]
    PartTooSmall {
        /// Which commitment.
        part: usize,
        /// Its variables (the table's and the mask's).
        vars: usize,
        /// The fewest.
        min: usize,
    },
    /// A Merkle proof of the masks' tree was rejected.
    #[error("the masks' tree: {0}")]
    MaskMerkle(MerkleError),
    /// Rebuilt prover data was given masks of the wrong number or length.
    #[error("{masks} masks of 2^{mask_vars} entries are needed; got {got} (lengths {lengths:?})")]
    MaskShape {
        /// Masks needed (one per table).
        masks: usize,
        /// `ℓ`.
        mask_vars: usize,
        /// Masks given.
        got: usize,
        /// Their lengths.
        lengths: Vec<usize>,
    },
    /// The tables and masks given to [`rebuild`] commit to another root than the commitment's:
    /// other tables, or other masks.
    #[error("the tables and masks do not give the commitment (other tables, or other masks)")]
    Mismatch,
    /// The reduction's values do not match its sum-check.
    #[error("the values at the reduction's point do not match its sum-check")]
    ReducedValues,
    /// A part's groups do not fit its claims (one weight per claim, ends increasing to the
    /// number of claims).
    #[error("commitment {part}'s claim groups do not fit its claims")]
    Groups {
        /// Which commitment.
        part: usize,
    },
}

/// `s`: the fold after which the masks join (the last of the first tree's leaf folds).
fn join_step(layout: &Layout) -> usize {
    layout.arity_bits(0) - 1
}

/// `t̃(point)` computed as `(1 − b)·t̃_lo(z) + b·t̃_hi(z)` over the halves of `t` (`point = (z,
/// b)`): a claim at a segment's point (a boolean suffix of `z`) with the mask's coordinate `b`
/// costs twice the segment, not the whole table.
fn evaluate_split<F: BaseField, E: ExtField<F>>(t: &[F], point: &[E]) -> E {
    match point.split_last() {
        Some((&b, z)) if t.len() >= 2 => {
            let (lo, hi) = t.split_at(t.len() / 2);
            (E::ONE - b) * evaluate_base(lo, z) + b * evaluate_base(hi, z)
        }
        _ => evaluate_base(t, point),
    }
}

/// The fewest variables, at least `vars`, that a later part of a joint opening whose first
/// part's polynomial has `first` variables may have (its `f̂`'s, like `first`): the same as the
/// first, or few enough to join the folding after the masks do and more than the fold at which
/// they join ([`ZkError::JoinBeforeMasks`], [`ZkError::PartTooSmall`]). `None` if no size up to
/// `first` fits.
pub fn later_part_vars(params: &Params, first: usize, vars: usize) -> Option<usize> {
    let s = join_step(&Layout::new(first, params));
    (vars..=first).find(|&v| {
        let d = first - v;
        (d == 0 || d >= s) && v > s
    })
}

/// Checks the parameters against tables of `2^n` entries and masks of `2^ℓ`.
fn check_setup(params: &Params, n: usize, mask_vars: usize) -> Result<(), ZkError> {
    if params.fold_bits < 2 {
        return Err(ZkError::FoldBits(params.fold_bits));
    }
    let min = params.fold_bits.min(n + 1);
    if mask_vars < min || mask_vars > n {
        return Err(ZkError::MaskVars {
            mask_vars,
            table_vars: n,
            min,
        });
    }
    Ok(())
}

/// Commits to `table` (zero-padded to `2^n` entries, `n` the larger of its variables and
/// `mask_vars`) with a fresh mask of `2^mask_vars` entries from `rng`.
pub fn commit<F: BaseField + FftField, R: RngCore + CryptoRng>(
    params: &Params,
    table: Vec<F>,
    mask_vars: usize,
    rng: &mut R,
) -> Result<(ZkCommitment, ZkProverData<F>), ZkError> {
    commit_columns(params, vec![table], mask_vars, rng)
}

/// Commits to several tables together (columns of one large table, for instance), each
/// zero-padded to `2^n` entries (`n` from the longest, at least `mask_vars`) with its own fresh
/// mask.
pub fn commit_columns<F: BaseField + FftField, R: RngCore + CryptoRng>(
    params: &Params,
    tables: Vec<Vec<F>>,
    mask_vars: usize,
    rng: &mut R,
) -> Result<(ZkCommitment, ZkProverData<F>), ZkError> {
    setup_vars(params, &tables, mask_vars)?;
    let low = (1usize << mask_vars) - 1;
    let masks = tables.iter().map(|_| uniform_vec(rng, low + 1)).collect();
    commit_masked(params, tables, masks, mask_vars, 0)
}

/// Makes a hiding commitment's prover data again from its tables, its masks (as
/// [`ZkProverData::masks`] gave them) and the mask functionals its openings revealed so far,
/// and refuses it ([`ZkError::Mismatch`]) unless it commits to `expected`'s root and shape:
/// other tables (other weights) or other masks (a changed file) give another root.
pub fn rebuild<F: BaseField + FftField>(
    params: &Params,
    tables: Vec<Vec<F>>,
    masks: Vec<Vec<F>>,
    revealed: u64,
    expected: &ZkCommitment,
) -> Result<ZkProverData<F>, ZkError> {
    let mask_vars = mask_shape(&tables, &masks, expected)?;
    let (commitment, data) = commit_masked(params, tables, masks, mask_vars, revealed)?;
    if commitment != *expected {
        return Err(ZkError::Mismatch);
    }
    Ok(data)
}

/// `n`, the tables' variables, with the tables and the masks' variables checked.
fn setup_vars<F>(params: &Params, tables: &[Vec<F>], mask_vars: usize) -> Result<usize, ZkError> {
    if tables.is_empty() {
        return Err(PcsError::NoPolynomials.into());
    }
    if let Some(index) = tables.iter().position(Vec::is_empty) {
        return Err(PcsError::Empty { index }.into());
    }
    // A table smaller than its mask is padded to the mask's size: the mask, not the table,
    // decides how many entries the openings may reveal.
    let n = basefold::num_vars_for(tables.iter().map(Vec::len).max().unwrap_or(1)).max(mask_vars);
    check_setup(params, n, mask_vars)?;
    Ok(n)
}

/// Commits to the tables with the given masks (`2^mask_vars` entries each, one per table).
/// The committed polynomials `f̂_i = (f_i, f_i + m_i)` over `n + 1` variables: each table
/// padded to `2^n` entries, then the table plus its mask (repeated over the high variables).
fn masked_tables<F: BaseField>(
    params: &Params,
    tables: Vec<Vec<F>>,
    masks: &[Vec<F>],
    mask_vars: usize,
) -> Result<Vec<Vec<F>>, ZkError> {
    let n = setup_vars(params, &tables, mask_vars)?;
    let low = (1usize << mask_vars) - 1;
    Ok(tables
        .into_iter()
        .zip(masks)
        .map(|(mut table, m)| {
            table.resize(1 << n, F::ZERO);
            let top: Vec<F> = collect_indexed(1 << n, |x| table[x] + m[x & low]);
            table.extend(top);
            table
        })
        .collect())
}

/// `ℓ`, the masks' variables of `expected`, once `masks` are one per table of `2^ℓ` entries.
fn mask_shape<F>(
    tables: &[Vec<F>],
    masks: &[Vec<F>],
    expected: &ZkCommitment,
) -> Result<usize, ZkError> {
    let mask_vars = expected.mask_vars as usize;
    if masks.len() != tables.len()
        || mask_vars >= usize::BITS as usize
        || masks.iter().any(|m| m.len() != 1 << mask_vars)
    {
        return Err(ZkError::MaskShape {
            masks: tables.len(),
            mask_vars,
            got: masks.len(),
            lengths: masks.iter().map(Vec::len).collect(),
        });
    }
    Ok(mask_vars)
}

/// [`rebuild`] from a stored codeword ([`ZkProverData::write_stored`]) instead of a new
/// encoding: the committed polynomials are recomputed from the tables and the masks (no
/// transform), and the stored codewords and leaf digests are read and checked against
/// `expected` as [`basefold::ProverData::read_stored`] does (the digests lead to its root;
/// `samples` random leaves and codeword entries, drawn from `seed`, are recomputed). A stored
/// codeword that does not match is `ZkError::Stored`.
#[allow(clippy::too_many_arguments)]
pub fn rebuild_stored<F: BaseField + FftField>(
    params: &Params,
    tables: Vec<Vec<F>>,
    masks: Vec<Vec<F>>,
    revealed: u64,
    expected: &ZkCommitment,
    stored: &mut impl std::io::Read,
    samples: usize,
    seed: u64,
) -> Result<ZkProverData<F>, ZkError> {
    let mask_vars = mask_shape(&tables, &masks, expected)?;
    let fhats = masked_tables(params, tables, &masks, mask_vars)?;
    let inner = ProverData::read_stored(params, &expected.inner, fhats, stored, samples, seed)
        .map_err(ZkError::Stored)?;
    Ok(ZkProverData {
        inner,
        masks,
        mask_vars,
        revealed,
        cap: u64::MAX,
    })
}

fn commit_masked<F: BaseField + FftField>(
    params: &Params,
    tables: Vec<Vec<F>>,
    masks: Vec<Vec<F>>,
    mask_vars: usize,
    revealed: u64,
) -> Result<(ZkCommitment, ZkProverData<F>), ZkError> {
    let fhats = masked_tables(params, tables, &masks, mask_vars)?;
    let (inner, data) = basefold::commit(params, fhats)?;
    Ok((
        ZkCommitment {
            inner,
            mask_vars: mask_vars as u32,
        },
        ZkProverData {
            inner: data,
            masks,
            mask_vars,
            revealed,
            cap: u64::MAX,
        },
    ))
}

/// The mask functionals (base-field units) of each table that one opening with `claims` claims
/// reveals at most: the first tree's opened entries, the claimed values, the first `s` rounds'
/// messages, and with a reduction (`reduced`: whether the claims are on several tables at
/// several points) its first `s` rounds and its value per table.
pub fn revealed_per_opening<E: Field>(
    params: &Params,
    table_vars: usize,
    claims: usize,
    reduced: bool,
) -> u64 {
    let layout = Layout::new(table_vars + 1, params);
    let s = join_step(&layout) as u64;
    let degree = E::extension_degree();
    let values = claims as u64 + 2 * s + if reduced { 1 + 2 * s } else { 0 };
    ((params.queries as u64) << layout.arity_bits(0)) + values * degree
}

/// Where the prover's messages go and its challenges come from: the Fiat–Shamir transcript, or
/// (tests) a replay of recorded challenges.
trait Channel<E> {
    fn absorb(&mut self, label: &'static [u8], xs: &[E]);
    fn absorb_digest(&mut self, label: &'static [u8], d: &Digest);
    fn challenge(&mut self, label: &'static [u8]) -> E;
    fn index(&mut self, label: &'static [u8], bound: usize) -> usize;
    fn grind(&mut self, bits: usize) -> u64;
}

/// The challenges a proof drew, in order (the claims' combination coefficients first).
#[derive(Clone, Debug, Default)]
struct Log<E> {
    fields: Vec<E>,
    indices: Vec<usize>,
}

/// The Fiat–Shamir channel, logging what it draws.
struct Live<'a, E> {
    t: &'a mut Transcript,
    log: Log<E>,
}

impl<E: Field> Channel<E> for Live<'_, E> {
    fn absorb(&mut self, label: &'static [u8], xs: &[E]) {
        self.t.append_fields(label, xs);
    }
    fn absorb_digest(&mut self, label: &'static [u8], d: &Digest) {
        self.t.append_message(label, d);
    }
    fn challenge(&mut self, label: &'static [u8]) -> E {
        let x = self.t.challenge_field(label);
        self.log.fields.push(x);
        x
    }
    fn index(&mut self, label: &'static [u8], bound: usize) -> usize {
        let i = self.t.challenge_index(label, bound);
        self.log.indices.push(i);
        i
    }
    fn grind(&mut self, bits: usize) -> u64 {
        basefold::grind(self.t, bits)
    }
}

/// A nonzero challenge (redrawn on 0).
fn nonzero<E: Field>(ch: &mut impl Channel<E>, label: &'static [u8]) -> E {
    loop {
        let x = ch.challenge(label);
        if !x.is_zero() {
            return x;
        }
    }
}

/// One commitment's share of a joint opening: the commitment, the prover's data (its budget is
/// counted) and the claims on its tables (points over its own `n_j + 1` variables).
#[derive(Debug)]
pub struct ZkPart<'a, F, E> {
    /// The commitment.
    pub commitment: &'a ZkCommitment,
    /// What the prover kept from it.
    pub data: &'a mut ZkProverData<F>,
    /// Claims on its tables.
    pub claims: &'a [Claim<E>],
    /// How the claims combine into revealed values (`None`: one value per claim).
    pub groups: Option<Groups<'a, E>>,
}

/// The verifier's view of one commitment's share of a joint opening.
#[derive(Clone, Copy, Debug)]
pub struct ZkStatement<'a, E> {
    /// The commitment.
    pub commitment: &'a ZkCommitment,
    /// Claims on its tables.
    pub claims: &'a [Claim<E>],
    /// How the claims combine into values (`None`: one value per claim).
    pub groups: Option<Groups<'a, E>>,
    /// The claimed values: one per claim, or one per group.
    pub values: &'a [E],
}

/// Claims combined into linear claims: group `g` is the claims `ends[g − 1]..ends[g]` (from 0),
/// and its one value is `Σ_k weights[k]·f̂_{poly_k}(z_k)` over them. A linear claim on committed
/// data (`spec/zk.md`, "Deferred claims") is one group; only the groups' values are revealed,
/// and the budget counts one functional per group.
#[derive(Clone, Copy, Debug)]
pub struct Groups<'a, E> {
    /// One public weight per claim.
    pub weights: &'a [E],
    /// The groups' ends, increasing, the last the number of claims.
    pub ends: &'a [usize],
}

impl<E: Field> Groups<'_, E> {
    /// Whether the groups fit `claims` claims: one weight per claim, ends increasing from above
    /// 0 to `claims`.
    fn fits(&self, claims: usize) -> bool {
        self.weights.len() == claims
            && self.ends.last() == Some(&claims)
            && self
                .ends
                .iter()
                .try_fold(0usize, |prev, &e| (e > prev).then_some(e))
                .is_some()
    }
}

/// Per claim, its group and weight (`None`: its own group, weight 1); never panics.
fn group_of<E: Field>(groups: Option<&Groups<'_, E>>, claims: usize) -> Vec<(usize, E)> {
    match groups {
        None => (0..claims).map(|k| (k, E::ONE)).collect(),
        Some(g) => {
            let mut out = Vec::with_capacity(claims);
            let mut group = 0;
            for k in 0..claims {
                while g.ends.get(group).is_some_and(|&e| e <= k) {
                    group += 1;
                }
                out.push((group, g.weights.get(k).copied().unwrap_or(E::ZERO)));
            }
            out
        }
    }
}

/// How many values a part reveals: one per group.
fn value_count<E: Field>(groups: Option<&Groups<'_, E>>, claims: usize) -> usize {
    groups.map_or(claims, |g| g.ends.len())
}

/// The shape of a joint opening, derived the same way by prover and verifier.
struct Shape {
    /// Variables of the first (largest) commitment's `f̂`.
    n1: usize,
    /// The fold after which the masks join.
    s: usize,
    /// Per part: the fold at which it joins (`n1 − n1_j`).
    join_at: Vec<usize>,
    /// Per part: its claimed tables, increasing.
    claimed: Vec<Vec<usize>>,
    /// Whether the claims go through the reduction to one point.
    reduce: bool,
}

impl Shape {
    /// Per part: how many masks its masks' commitment holds (`ω` for the first, then one per
    /// claimed table with the reduction).
    fn masks(&self, j: usize) -> usize {
        usize::from(j == 0)
            + if self.reduce {
                self.claimed[j].len()
            } else {
                0
            }
    }

    /// Per part: the fold at which its masks join.
    fn masks_at(&self, j: usize) -> usize {
        self.join_at[j] + self.s
    }

    /// The parameters of part `j`'s masks' commitment: narrow leaves (the block a query reads)
    /// for the masks that join at `s`, where the running word is masked by the tables' masks
    /// only; the usual leaves after.
    fn mask_params(&self, params: &Params, j: usize) -> Params {
        if self.join_at[j] == 0 {
            Params {
                fold_bits: params.fold_bits.min(self.n1) - self.s,
                ..*params
            }
        } else {
            *params
        }
    }
}

/// The claims' shape, checked by prover and verifier alike.
fn shape<'a, E: Field + 'a>(
    params: &Params,
    parts: impl ExactSizeIterator<Item = (&'a ZkCommitment, &'a [Claim<E>], Option<&'a Groups<'a, E>>)>
        + Clone,
) -> Result<Shape, ZkError> {
    if parts.len() == 0 {
        return Err(PcsError::NoClaims.into());
    }
    if parts.len() > MAX_BATCH {
        return Err(PcsError::TooMany {
            what: "commitments",
            got: parts.len(),
        }
        .into());
    }
    let n1 = parts
        .clone()
        .next()
        .map_or(0, |(c, _, _)| c.inner.num_vars as usize);
    let (mut join_at, mut claimed) = (Vec::new(), Vec::new());
    let (mut one_point, mut first_point, mut total) = (true, None, 0usize);
    for (part, (c, claims, groups)) in parts.enumerate() {
        if groups.is_some_and(|g| !g.fits(claims.len())) {
            return Err(ZkError::Groups { part });
        }
        let nj = c.inner.num_vars as usize;
        if nj > n1 {
            return Err(PcsError::PartOrder { part }.into());
        }
        check_setup(params, nj.saturating_sub(1), c.mask_vars as usize)?;
        let d = n1 - nj;
        let polys = c.inner.num_polys as usize;
        if polys == 0 || polys > MAX_BATCH {
            return Err(PcsError::TooMany {
                what: "committed polynomials",
                got: polys,
            }
            .into());
        }
        if claims.is_empty() {
            return Err(PcsError::NoClaims.into());
        }
        total += claims.len();
        if total > MAX_BATCH {
            return Err(PcsError::TooMany {
                what: "claims",
                got: total,
            }
            .into());
        }
        for (i, cl) in claims.iter().enumerate() {
            if cl.poly >= polys {
                return Err(PcsError::NoSuchPolynomial {
                    claim: i,
                    poly: cl.poly,
                    polys,
                }
                .into());
            }
            if cl.point.len() != nj {
                return Err(PcsError::PointLength {
                    expected: nj,
                    got: cl.point.len(),
                }
                .into());
            }
            match first_point {
                None => first_point = Some(cl.point.clone()),
                Some(ref z) => one_point &= *z == cl.point,
            }
        }
        let mut tables: Vec<usize> = claims.iter().map(|c| c.poly).collect();
        tables.sort_unstable();
        tables.dedup();
        join_at.push(d);
        claimed.push(tables);
    }
    // Part 0 passed `check_setup`: n1 ≥ 3 and fold_bits ≥ 2, so the first leaf folds at least
    // twice and `s ≥ 1`.
    let s = join_step(&Layout::new(n1, params));
    for (part, &d) in join_at.iter().enumerate() {
        if d > 0 && d < s {
            return Err(ZkError::JoinBeforeMasks {
                part,
                fold: d,
                masks: s,
            });
        }
        if n1 - d <= s {
            return Err(ZkError::PartTooSmall {
                part,
                vars: n1 - d,
                min: s + 1,
            });
        }
    }
    let reduce = claimed.len() > 1 || (claimed[0].len() > 1 && !one_point);
    Ok(Shape {
        n1,
        s,
        join_at,
        claimed,
        reduce,
    })
}

/// Absorbs the statement: the header, per part its commitment, the digest of its claims and
/// values ([`StatementHasher`]), then the masks' roots; returns one combination coefficient per
/// claim (all parts', in order).
fn absorb_statement<'a, E: Field + 'a>(
    t: &mut Transcript,
    params: &Params,
    parts: impl ExactSizeIterator<
        Item = (
            &'a ZkCommitment,
            &'a [Claim<E>],
            Option<&'a Groups<'a, E>>,
            &'a [E],
        ),
    >,
    mask_roots: &[Digest],
) -> (Vec<E>, Vec<E>) {
    let header = [
        params.rate_bits as u64,
        params.fold_bits as u64,
        params.queries as u64,
        params.pow_bits as u64,
        parts.len() as u64,
    ];
    t.domain_separator(b"zk-basefold", &header);
    let mut shapes = Vec::with_capacity(parts.len());
    for (c, claims, groups, values) in parts {
        t.append_u64(b"zk-basefold-vars", c.inner.num_vars as u64);
        t.append_u64(b"zk-basefold-polys", c.inner.num_polys as u64);
        t.append_u64(b"zk-basefold-mask-vars", c.mask_vars as u64);
        t.append_u64(b"zk-basefold-claims", claims.len() as u64);
        t.append_message(b"zk-basefold-root", &c.inner.root);
        // The claims (thousands in a network's proof) as one blake3 digest: absorbing each
        // point into the transcript was 40% of a LeNet-5 verification.
        let mut h = StatementHasher::new(b"zk-basefold-claims");
        match groups {
            None => {
                h.u64(0);
                h.u64(claims.len() as u64);
                for (cl, y) in claims.iter().zip(values) {
                    h.u64(cl.poly as u64);
                    h.fields(&cl.point);
                    h.field(y);
                }
            }
            Some(g) => {
                h.u64(1);
                h.u64(g.ends.len() as u64);
                h.u64(claims.len() as u64);
                for (cl, w) in claims.iter().zip(g.weights) {
                    h.u64(cl.poly as u64);
                    h.fields(&cl.point);
                    h.field(w);
                }
                h.fields(values);
            }
        }
        h.absorb_into(t, b"zk-basefold-claims-digest");
        shapes.push((group_of(groups, claims.len()), values));
    }
    for root in mask_roots {
        t.append_message(b"zk-basefold-mask-root", root);
    }
    // One challenge per revealed value; a claim's coefficient is its group's times its weight.
    let (mut coeffs, mut sums) = (Vec::new(), Vec::with_capacity(shapes.len()));
    for (of, values) in shapes {
        let lambdas: Vec<E> = (0..values.len())
            .map(|_| t.challenge_field(b"zk-basefold-combine"))
            .collect();
        coeffs.extend(
            of.iter()
                .map(|&(g, w)| lambdas.get(g).map_or(E::ZERO, |&l| l * w)),
        );
        sums.push(lambdas.iter().zip(values).map(|(&l, &v)| l * v).sum());
    }
    (coeffs, sums)
}

/// Opens the committed tables' `f̂_i` at `claims` (points of `n + 1` coordinates, the last
/// nonzero) with fresh masks from `rng`: the values and the proof. Counts the opening against
/// the commitment's budget.
pub fn open<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    params: &Params,
    c: &ZkCommitment,
    data: &mut ZkProverData<F>,
    claims: &[Claim<E>],
    rng: &mut R,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, ZkProof<F, E>), ZkError> {
    let mut parts = [ZkPart {
        commitment: c,
        data,
        claims,
        groups: None,
    }];
    let (mut values, proof) = open_parts(params, &mut parts, rng, transcript)?;
    Ok((values.pop().unwrap_or_default(), proof))
}

/// One opening for claims on several hiding commitments (one [`ZkPart`] each, the first with the
/// most variables; a later one either as large or joining at least `s` folds in): the values per
/// part and one proof. Counts the opening against every commitment's budget.
pub fn open_parts<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    params: &Params,
    parts: &mut [ZkPart<'_, F, E>],
    rng: &mut R,
    transcript: &mut Transcript,
) -> Result<Opened<F, E>, ZkError> {
    let sh = shape(
        params,
        parts
            .iter()
            .map(|p| (p.commitment, p.claims, p.groups.as_ref())),
    )?;
    let masks = (0..parts.len())
        .map(|j| {
            let vars = parts[j].commitment.inner.num_vars as usize - sh.s;
            let tables: Vec<Vec<F>> = (0..sh.masks(j))
                .map(|_| uniform_vec(rng, 1usize << vars))
                .collect();
            if tables.is_empty() {
                return Ok(None);
            }
            basefold::commit(&sh.mask_params(params, j), tables).map(Some)
        })
        .collect::<Result<Vec<_>, _>>()?;
    open_with(params, parts, &masks, transcript, false).map(|(v, p, _)| (v, p))
}

/// A joint opening's values (per part, per claim) and its proof.
pub type Opened<F, E> = (Vec<Vec<E>>, ZkProof<F, E>);

/// An opening's values, its proof and the challenges it drew.
type Logged<F, E> = (Vec<Vec<E>>, ZkProof<F, E>, Log<E>);

/// Per part, its masks' commitment (none for a part without masks).
type Masks<F> = [Option<(Commitment, ProverData<F>)>];

/// The opening with given masks' commitments (honest: fresh uniform masks; the tests also pass
/// dishonest ones).
fn open_with<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    parts: &mut [ZkPart<'_, F, E>],
    masks: &Masks<F>,
    transcript: &mut Transcript,
    cheat_last: bool,
) -> Result<Logged<F, E>, ZkError> {
    let sh = shape(
        params,
        parts
            .iter()
            .map(|p| (p.commitment, p.claims, p.groups.as_ref())),
    )?;
    let mut needed = Vec::with_capacity(parts.len());
    let mut offset = 0;
    for p in parts.iter() {
        let ell = p.commitment.mask_vars as usize;
        if let Some(i) = p
            .claims
            .iter()
            .position(|cl| cl.point.last().is_none_or(|b| b.is_zero()))
        {
            return Err(ZkError::Unmasked { claim: offset + i });
        }
        let mut seen: std::collections::HashMap<(usize, &[E]), usize> =
            std::collections::HashMap::new();
        for (i, cl) in p.claims.iter().enumerate() {
            let key = (cl.poly, &cl.point[..ell]);
            if let Some(&k) = seen.get(&key) {
                if p.claims[k].point != cl.point {
                    return Err(ZkError::SharedMask {
                        first: offset + k,
                        second: offset + i,
                        mask_vars: ell,
                    });
                }
            }
            seen.entry(key).or_insert(i);
        }
        let n = p.commitment.table_vars();
        let count = revealed_per_opening::<E>(
            params,
            n,
            value_count(p.groups.as_ref(), p.claims.len()),
            sh.reduce,
        );
        let budget = p.data.budget(params);
        if p.data.revealed.saturating_add(count) > budget {
            return Err(ZkError::Budget {
                revealed: p.data.revealed,
                needed: count,
                budget,
            });
        }
        needed.push(count);
        offset += p.claims.len();
    }
    let values: Vec<Vec<E>> = parts
        .iter()
        .map(|p| {
            let evals = p.data.inner.evals();
            let mut out = vec![E::ZERO; value_count(p.groups.as_ref(), p.claims.len())];
            for (cl, (g, w)) in p
                .claims
                .iter()
                .zip(group_of(p.groups.as_ref(), p.claims.len()))
            {
                out[g] += w * evaluate_split(&evals[cl.poly], &cl.point);
            }
            out
        })
        .collect();
    let mask_roots: Vec<Digest> = masks
        .iter()
        .filter_map(|m| m.as_ref().map(|(c, _)| c.root))
        .collect();
    let (coeffs, sums) = absorb_statement(
        transcript,
        params,
        parts
            .iter()
            .zip(&values)
            .map(|(p, v)| (p.commitment, p.claims, p.groups.as_ref(), v.as_slice())),
        &mask_roots,
    );
    let mut ch = Live {
        t: transcript,
        log: Log {
            fields: coeffs.clone(),
            indices: Vec::new(),
        },
    };
    let datas: Vec<&ProverData<F>> = parts.iter().map(|p| &p.data.inner).collect();
    let claims: Vec<&[Claim<E>]> = parts.iter().map(|p| p.claims).collect();
    let mask_datas: Vec<Option<&ProverData<F>>> =
        masks.iter().map(|m| m.as_ref().map(|(_, d)| d)).collect();
    let mut proof = prove_all(
        params,
        &sh,
        (&datas, &mask_datas),
        (&claims, &sums),
        &coeffs,
        &mut ch,
        cheat_last,
    )?;
    proof.mask_roots = mask_roots;
    for (p, n) in parts.iter_mut().zip(needed) {
        p.data.revealed = p.data.revealed.saturating_add(n);
    }
    Ok((values, proof, ch.log))
}

/// What the batched opening starts from and adds: per part its tables' weights (`γ`) and the
/// fold at which they join, the claim, the point `G = Σ coeffs·eq(points, ·)`, and per part the
/// reduction's mask values with their weights.
struct Batch<E> {
    weights: Vec<Vec<E>>,
    points: Vec<Vec<E>>,
    coeffs: Vec<E>,
    claim: E,
    /// Per part: the values `v''` of its claimed tables (joining parts' claims at `r''`).
    values: Vec<Vec<E>>,
    /// Per part: its reduction masks' values at `r''_{≥d_j+s}` and weights.
    mask_values: Vec<Vec<E>>,
    mask_weights: Vec<Vec<E>>,
}

/// The reduction (when needed) and the opening after the statement.
fn prove_all<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    sh: &Shape,
    (datas, masks): (&[&ProverData<F>], &[Option<&ProverData<F>>]),
    (claims, sums): (&[&[Claim<E>]], &[E]),
    coeffs: &[E],
    ch: &mut impl Channel<E>,
    cheat_last: bool,
) -> Result<ZkProof<F, E>, PcsError> {
    let offs = claim_offsets(claims.iter().map(|c| c.len()));
    let own = |j: usize| &coeffs[offs[j]..offs[j] + claims[j].len()];
    let parts = datas.len();
    let (batch, reduction) = if sh.reduce {
        let (red, point) = prove_reduction(sh, datas, masks, claims, sums, coeffs, ch);
        ch.absorb(b"zk-reduce-values", &red.values);
        ch.absorb(b"zk-reduce-values", &red.mask_values);
        let num_polys: Vec<usize> = datas.iter().map(|d| d.evals.len()).collect();
        let batch = batch_weights(sh, &num_polys, &red, point, ch);
        (batch, Some(red))
    } else {
        let batch = direct_batch(sh, datas[0].evals.len(), claims[0], own(0), sums[0], parts);
        (batch, None)
    };
    let mut proof = prove_core(params, sh, datas, masks, &batch, ch, cheat_last)?;
    proof.reduction = reduction;
    Ok(proof)
}

/// The batched opening's start without the reduction (prover and verifier alike): one part,
/// claims on one table at any points (`G = Σ a_c·eq(z_c, ·)`), or on several tables at one point
/// (`G = eq(z, ·)`, table `i` weighted by the sum of its claims' coefficients). Never panics.
fn direct_batch<E: Field>(
    sh: &Shape,
    num_polys: usize,
    claims: &[Claim<E>],
    coeffs: &[E],
    claim: E,
    parts: usize,
) -> Batch<E> {
    let mut weights = vec![E::ZERO; num_polys];
    let (points, pcoeffs) = if let Some([p]) = sh.claimed.first().map(Vec::as_slice) {
        if let Some(x) = weights.get_mut(*p) {
            *x = E::ONE;
        }
        (
            claims.iter().map(|c| c.point.clone()).collect(),
            coeffs.to_vec(),
        )
    } else {
        for (cl, &a) in claims.iter().zip(coeffs) {
            if let Some(x) = weights.get_mut(cl.poly) {
                *x += a;
            }
        }
        let point = claims.first().map(|c| c.point.clone()).unwrap_or_default();
        (vec![point], vec![E::ONE])
    };
    Batch {
        weights: vec![weights],
        points,
        coeffs: pcoeffs,
        claim,
        values: vec![Vec::new(); parts],
        mask_values: vec![Vec::new(); parts],
        mask_weights: vec![Vec::new(); parts],
    }
}

/// The batching weights and claim after the reduction (prover and verifier alike).
fn batch_weights<E: Field>(
    sh: &Shape,
    num_polys: &[usize],
    red: &ZkReduction<E>,
    point: Vec<E>,
    ch: &mut impl Channel<E>,
) -> Batch<E> {
    let mut weights = Vec::with_capacity(num_polys.len());
    let mut values = Vec::with_capacity(num_polys.len());
    let mut mask_values = Vec::with_capacity(num_polys.len());
    let mut mask_weights = Vec::with_capacity(num_polys.len());
    let mut at = 0;
    let mut first = true;
    let mut claim = E::ZERO;
    for (j, tables) in sh.claimed.iter().enumerate() {
        let mut w = vec![E::ZERO; num_polys.get(j).copied().unwrap_or(0)];
        let vs: Vec<E> = red
            .values
            .get(at..at + tables.len())
            .unwrap_or(&[])
            .to_vec();
        let us: Vec<E> = red
            .mask_values
            .get(at..at + tables.len())
            .unwrap_or(&[])
            .to_vec();
        for (&p, &v) in tables.iter().zip(&vs) {
            let g = if first {
                E::ONE
            } else {
                ch.challenge(b"zk-basefold-batch")
            };
            first = false;
            if let Some(x) = w.get_mut(p) {
                *x = g;
            }
            if sh.join_at[j] == 0 {
                claim += g * v;
            }
        }
        let mw: Vec<E> = (0..tables.len())
            .map(|_| ch.challenge(b"zk-basefold-join"))
            .collect();
        weights.push(w);
        values.push(vs);
        mask_values.push(us);
        mask_weights.push(mw);
        at += tables.len();
    }
    Batch {
        weights,
        points: vec![point],
        coeffs: vec![E::ONE],
        claim,
        values,
        mask_values,
        mask_weights,
    }
}

/// The reduction's sum-check `Σ_j Σ_i G_{j,i}·f̂_{j,i}` over the first part's variables: part
/// `j`'s terms enter after `d_j` rounds (its claimed sum added to the claim), its masks `ω_{j,i}`
/// join `s` rounds later. Returns it and its point `r''`.
fn prove_reduction<'a, F: BaseField + FftField, E: ExtField<F>>(
    sh: &Shape,
    datas: &[&'a ProverData<F>],
    masks: &[Option<&ProverData<F>>],
    claims: &[&[Claim<E>]],
    sums: &[E],
    coeffs: &[E],
    ch: &mut impl Channel<E>,
) -> (ZkReduction<E>, Vec<E>) {
    let n1 = sh.n1;
    let offs = claim_offsets(claims.iter().map(|c| c.len()));
    // Part j's terms in the instance: tables `start[j] ..`, (f̂, G) per claimed table.
    let mut start = vec![0usize; datas.len()];
    let mut tables: Vec<Mle<F, E>> = Vec::new();
    let mut terms: Vec<Term<E>> = Vec::new();
    let mut claim = E::ZERO;
    // The parts in from the start are read in place for round 0 (`borrowed`: the slot of each
    // table's `f̂`, filled by its fold after the round); later parts are copied when they enter.
    let mut borrowed: Vec<(usize, &[F])> = Vec::new();
    let enter = |j: usize,
                 tables: &mut Vec<Mle<F, E>>,
                 terms: &mut Vec<Term<E>>,
                 mut borrowed: Option<&mut Vec<(usize, &'a [F])>>|
     -> E {
        let nj = n1 - sh.join_at[j];
        let own = &coeffs[offs[j]..offs[j] + claims[j].len()];
        for &p in &sh.claimed[j] {
            let (points, cs): (Vec<Vec<E>>, Vec<E>) = claims[j]
                .iter()
                .zip(own)
                .filter(|(c, _)| c.poly == p)
                .map(|(c, &a)| (c.point.clone(), a))
                .unzip();
            terms.push(Term {
                coeff: E::ONE,
                factors: vec![tables.len(), tables.len() + 1],
            });
            match borrowed.as_deref_mut() {
                Some(b) => {
                    b.push((tables.len(), datas[j].evals[p].as_slice()));
                    tables.push(Mle::Ext(Vec::new()));
                }
                None => tables.push(Mle::Base(datas[j].evals[p].clone())),
            }
            tables.push(Mle::Ext(combined_eq_masked(&points, &cs, nj)));
        }
        sums[j]
    };
    for (j, at) in start.iter_mut().enumerate() {
        if sh.join_at[j] == 0 {
            *at = tables.len();
            claim += enter(j, &mut tables, &mut terms, Some(&mut borrowed));
        }
    }
    let mut rounds = Vec::with_capacity(n1);
    let mut mask_sums = vec![Vec::new(); datas.len()];
    // Per part, the weight `w_i` of each claimed table's `ω_i` in its running table.
    let mut mask_weights = vec![Vec::new(); datas.len()];
    let mut point = Vec::with_capacity(n1);
    // Round 0 (no part enters and no mask joins there: `s ≥ 1`) on the borrowed tables, then
    // the sum-check prover on their folds.
    let (mut at0, mut at2) = (E::ZERO, E::ZERO);
    for &(t, f) in &borrowed {
        if let Some(Mle::Ext(g)) = tables.get(t + 1) {
            let (a0, a2) = borrowed_round(f, g);
            at0 += a0;
            at2 += a2;
        }
    }
    let msg = vec![at0, at2];
    ch.absorb(b"zk-reduce-round", &msg);
    let r: E = ch.challenge(b"zk-reduce-challenge");
    for &(t, f) in &borrowed {
        tables[t] = Mle::Ext(crate::poly::fold_base(f, r));
        tables[t + 1].fold(r);
    }
    let claim = sumcheck::next_claim(&msg, claim, r);
    rounds.push(msg);
    point.push(r);
    let mut sc = RoundProver::new(
        Instance::new(tables, terms.clone()).expect("tables of 2^n entries"),
        claim,
    );
    for step in 1..n1 {
        let entering: Vec<usize> = (0..datas.len())
            .filter(|&j| step > 0 && sh.join_at[j] == step)
            .collect();
        let masking: Vec<usize> = (0..datas.len())
            .filter(|&j| sh.masks_at(j) == step)
            .collect();
        if !entering.is_empty() || !masking.is_empty() {
            let mut claim = sc.claim();
            let mut tables = sc.into_tables();
            for &j in &entering {
                start[j] = tables.len();
                claim += enter(j, &mut tables, &mut terms, None);
            }
            for &j in &masking {
                let first = usize::from(j == 0);
                let omegas = masks[j].map_or(&[][..], |m| m.evals.as_slice());
                let sums: Vec<E> = (0..sh.claimed[j].len())
                    .map(|k| {
                        let g = &tables[start[j] + 2 * k + 1];
                        let w = &omegas[first + k];
                        (0..w.len())
                            .map(|x| crate::field::mul_base(g.get(x), w[x]))
                            .sum::<E>()
                    })
                    .collect();
                ch.absorb(b"zk-reduce-mask-sums", &sums);
                for (k, &sum) in sums.iter().enumerate() {
                    let w: E = nonzero(ch, b"zk-reduce-mask-weight");
                    mask_weights[j].push(w);
                    let omega = &omegas[first + k];
                    let f = &tables[start[j] + 2 * k];
                    tables[start[j] + 2 * k] = Mle::Ext(collect_indexed(omega.len(), |x| {
                        f.get(x) + crate::field::mul_base(w, omega[x])
                    }));
                    claim += w * sum;
                }
                mask_sums[j] = sums;
            }
            sc = RoundProver::new(
                Instance::new(tables, terms.clone()).expect("tables of equal size"),
                claim,
            );
        }
        let msg = sc.message();
        ch.absorb(b"zk-reduce-round", &msg);
        let r: E = ch.challenge(b"zk-reduce-challenge");
        sc.bind(&msg, r);
        rounds.push(msg);
        point.push(r);
    }
    // Each claimed table's running table ends at `f̂_i(r'') + w_i·ω_i(r'')` (every part's
    // masks join before the last round: `n1 − d_j > s`), so `f̂_i(r'')` is read off it rather
    // than evaluated again over the whole table.
    let (_, finals) = sc.finish();
    let mut values_out = Vec::new();
    let mut mask_values = Vec::new();
    for j in 0..datas.len() {
        let (d, first) = (sh.join_at[j], usize::from(j == 0));
        for k in 0..sh.claimed[j].len() {
            let omega = masks[j].map_or(&[][..], |m| m.evals.as_slice());
            let u = evaluate_base(&omega[first + k], &point[d + sh.s..]);
            let w = mask_weights[j].get(k).copied().unwrap_or(E::ZERO);
            values_out.push(finals.get(start[j] + 2 * k).copied().unwrap_or(E::ZERO) - w * u);
            mask_values.push(u);
        }
    }
    (
        ZkReduction {
            rounds,
            mask_sums: mask_sums.concat(),
            values: values_out,
            mask_values,
        },
        point,
    )
}

/// `Σ_k c_k·eq(z_k, ·)` over `n` variables whose last is the mask's `x_n`: built as its two
/// halves `Σ c_k (1 − β_k)·eq(z'_k, ·)` and `Σ c_k β_k·eq(z'_k, ·)` over the other `n − 1`, so a
/// claim on a segment (a boolean suffix of `z'_k`) costs the segment's size, not the table's.
/// Both halves are filled in place, in one pass per claim ([`add_scaled_eq_pair`]).
fn combined_eq_masked<E: Field + crate::field::MulAcc>(
    points: &[Vec<E>],
    coeffs: &[E],
    n: usize,
) -> Vec<E> {
    let low = n.saturating_sub(1);
    let mut g = crate::poly::zeros(2 << low);
    let (lo, hi) = g.split_at_mut(1 << low);
    for (z, &c) in points.iter().zip(coeffs) {
        let (rest, beta) = z.split_at(z.len().min(low));
        let b = beta.first().copied().unwrap_or(E::ZERO);
        add_scaled_eq_pair(lo, hi, rest, c * (E::ONE - b), c * b);
    }
    g
}

/// What the batched opening adds at a fold: part `j`'s tables (`Tables`) or its masks (`Masks`).
#[derive(Clone, Copy)]
enum Joining {
    Tables(usize),
    Masks(usize),
}

/// The joins of the batched opening at fold `step`.
fn joining_at(sh: &Shape, step: usize) -> Vec<Joining> {
    let mut out = Vec::new();
    for j in 0..sh.join_at.len() {
        if step > 0 && sh.join_at[j] == step {
            out.push(Joining::Tables(j));
        }
    }
    for j in 0..sh.join_at.len() {
        if sh.masks_at(j) == step {
            out.push(Joining::Masks(j));
        }
    }
    out
}

/// The opening after the statement (and the reduction): the sum-check and folds with the later
/// parts and the masks joining, the last constant, grinding, the queries and the opened leaves
/// (`mask_roots` and `reduction` left empty).
fn prove_core<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    sh: &Shape,
    datas: &[&ProverData<F>],
    masks: &[Option<&ProverData<F>>],
    batch: &Batch<E>,
    ch: &mut impl Channel<E>,
    last_from_sumcheck: bool,
) -> Result<ZkProof<F, E>, PcsError> {
    let n1 = sh.n1;
    let layout = Layout::new(n1, params);
    let s = sh.s;
    let g = combined_eq_masked(&batch.points, &batch.coeffs, n1);
    let active: Vec<(usize, usize, E)> = batch
        .weights
        .iter()
        .enumerate()
        .filter(|(j, _)| sh.join_at[*j] == 0)
        .flat_map(|(j, ws)| {
            ws.iter()
                .enumerate()
                .filter(|(_, w)| !w.is_zero())
                .map(move |(i, &w)| (j, i, w))
        })
        .collect();
    let single = match active.as_slice() {
        [(j, i, w)] if *w == E::ONE => Some((*j, *i)),
        _ => None,
    };
    // The committed tables are read in place: the first round runs on them and `G` directly,
    // and its fold writes their combination at half the size ([`BorrowedFirstRound`]).
    let mut sc = Prover::Borrowed(BorrowedFirstRound {
        fs: active
            .iter()
            .map(|&(j, i, w)| (datas[j].evals[i].as_slice(), w))
            .collect(),
        g,
        claim: batch.claim,
    });
    // The first word, `Σ w·c` over the active tables' codewords, is combined on the fly.
    let start: Vec<(&[F], E)> = active
        .iter()
        .map(|&(j, i, w)| (datas[j].codewords[i].as_slice(), w))
        .collect();
    let twiddles = FoldTwiddles::<F>::new(layout.log_size)?;
    let mut rounds = Vec::with_capacity(n1);
    let mut roots = Vec::new();
    let mut layers: Vec<(Vec<E>, MerkleTree)> = Vec::new();
    // The word folding continues from, when a join at a tree's first fold materialized it.
    let mut own: Option<Vec<E>> = None;
    let mut pending: Vec<E> = Vec::with_capacity(layout.k);
    let mut mid: Vec<Join<'_, F, E>> = Vec::new();
    let mut len = 1usize << layout.log_size;
    let mut mask_sum = E::ZERO;
    let mut r: Vec<E> = Vec::with_capacity(n1);
    for step in 0..n1 {
        let joins = joining_at(sh, step);
        if !joins.is_empty() {
            let mut claim = sc.claim();
            let (f_cur, g_cur) = sc.into_tables();
            let g_cur = match g_cur {
                Mle::Ext(g) => g,
                Mle::Base(g) => g.iter().map(|&x| lift(x)).collect(),
            };
            let scale = eq_eval(&batch.points[0][..step], &r);
            // (codeword, evals, weight) of everything joining here.
            let mut words: Vec<(&[F], &[F], E)> = Vec::new();
            for join in joins {
                match join {
                    Joining::Tables(j) => {
                        for (i, &w) in batch.weights[j].iter().enumerate() {
                            if !w.is_zero() {
                                words.push((&datas[j].codewords[i], &datas[j].evals[i], w));
                            }
                        }
                        let vs = &batch.values[j];
                        let ws = sh.claimed[j].iter().map(|&p| batch.weights[j][p]);
                        claim += scale * ws.zip(vs).map(|(w, &v)| w * v).sum::<E>();
                    }
                    Joining::Masks(j) => {
                        let m = masks[j].ok_or(PcsError::NoClaims)?;
                        let first = usize::from(j == 0);
                        if j == 0 {
                            let omega = &m.evals[0];
                            mask_sum = g_cur
                                .iter()
                                .zip(omega)
                                .map(|(&g, &w)| crate::field::mul_base(g, w))
                                .sum();
                            ch.absorb(b"zk-basefold-mask-sum", &[mask_sum]);
                            let w = nonzero(ch, b"zk-basefold-mask-weight");
                            claim += w * mask_sum;
                            words.push((&m.codewords[0], &m.evals[0], w));
                        }
                        for (k, (&w, &u)) in batch.mask_weights[j]
                            .iter()
                            .zip(&batch.mask_values[j])
                            .enumerate()
                        {
                            claim += w * scale * u;
                            words.push((&m.codewords[first + k], &m.evals[first + k], w));
                        }
                    }
                }
            }
            let f = collect_indexed(f_cur.len(), |x| {
                f_cur.get(x)
                    + words
                        .iter()
                        .map(|&(_, e, w)| crate::field::mul_base(w, e[x]))
                        .sum::<E>()
            });
            sc = Prover::Running(RoundProver::new(
                product_instance(Mle::Ext(f), g_cur),
                claim,
            ));
            if pending.is_empty() {
                // At a tree's first fold: the word joined, materialized.
                let mut here = match (own.take(), layers.last(), single) {
                    (Some(c), _, _) => c,
                    (None, Some((c, _)), _) => c.clone(),
                    (None, None, Some((j, i))) => {
                        datas[j].codewords[i].iter().map(|&x| lift(x)).collect()
                    }
                    (None, None, None) => {
                        fold_combined_codeword_k(&start, &[], &twiddles, len, &[])
                    }
                };
                for (x, v) in here.iter_mut().enumerate() {
                    *v += words
                        .iter()
                        .map(|&(c, _, w)| crate::field::mul_base(w, c[x]))
                        .sum::<E>();
                }
                own = Some(here);
            } else {
                mid.push(Join {
                    step: pending.len(),
                    words: words.iter().map(|&(c, _, w)| (c, w)).collect(),
                });
            }
        }
        let msg = sc.message();
        ch.absorb(b"basefold-round", &msg);
        let ri: E = ch.challenge(b"basefold-challenge");
        sc = sc.bind(&msg, ri);
        rounds.push(msg);
        pending.push(ri);
        r.push(ri);
        if (step + 1) % layout.k == 0 && step + 1 < n1 {
            len >>= pending.len();
            let next = fold_word(
                &own, &layers, single, datas, &start, &pending, &twiddles, len, &mid,
            );
            own = None;
            pending.clear();
            mid.clear();
            let l = (step + 1) / layout.k;
            let tree = leaf_tree(&[&next], layout.depth(l));
            ch.absorb_digest(b"basefold-fold-root", &tree.root());
            roots.push(tree.root());
            layers.push((next, tree));
        }
    }
    let mut last = fold_word(
        &own, &layers, single, datas, &start, &pending, &twiddles, 1, &mid,
    )
    .first()
    .copied()
    .unwrap_or(E::ZERO);
    if last_from_sumcheck {
        // A cheating prover's final constant: the one the sum-check's last claim needs, whatever
        // the committed words fold to (the tests' dishonest masks).
        let g: E = batch
            .points
            .iter()
            .zip(&batch.coeffs)
            .map(|(z, &a)| a * eq_eval(z, &r))
            .sum();
        last = sc.claim() * g.inverse().unwrap_or(E::ZERO);
    }
    ch.absorb(b"basefold-last", &[last]);
    let pow_nonce = ch.grind(params.pow_bits);

    let queries: Vec<usize> = (0..params.queries)
        .map(|_| ch.index(b"basefold-query", 1 << layout.depth(0)))
        .collect();
    let opening = |data: &ProverData<F>, p: &Params, vars: usize, d: usize| {
        let pl = Layout::new(vars, p);
        let a = pl.arity_bits(0);
        let idx = sorted_distinct(queries.iter().map(|&q| block_start(&layout, q, d) >> a));
        LayerOpening {
            values: leaf_values(&data.codewords, pl.depth(0), &idx),
            proof: data.tree.open(&idx),
        }
    };
    let mut base = Vec::with_capacity(datas.len());
    let mut mask_openings = Vec::new();
    for (j, data) in datas.iter().enumerate() {
        let nj = n1 - sh.join_at[j];
        base.push(opening(data, params, nj, sh.join_at[j]));
        if let Some(m) = masks[j] {
            mask_openings.push(opening(
                m,
                &sh.mask_params(params, j),
                nj - s,
                sh.masks_at(j),
            ));
        }
    }
    let mut idx = sorted_distinct(queries.iter().copied());
    let folded = layers
        .iter()
        .enumerate()
        .map(|(i, (cw, tree))| {
            let l = i + 1;
            idx = sorted_distinct(idx.iter().map(|q| q >> layout.arity_bits(l)));
            LayerOpening {
                values: leaf_values(&[cw], layout.depth(l), &idx),
                proof: tree.open(&idx),
            }
        })
        .collect();
    Ok(ZkProof {
        mask_roots: Vec::new(),
        reduction: None,
        rounds,
        mask_sum,
        roots,
        last,
        pow_nonce,
        base,
        masks: mask_openings,
        folded,
    })
}

/// Folds the word the opening continues from (`own`, else the last tree's, else the first
/// word, `start`'s combination) `rs.len()` times with the joins `mid`; the first `count`
/// entries.
#[allow(clippy::too_many_arguments)]
fn fold_word<F: BaseField + FftField, E: ExtField<F>>(
    own: &Option<Vec<E>>,
    layers: &[(Vec<E>, MerkleTree)],
    single: Option<(usize, usize)>,
    datas: &[&ProverData<F>],
    start: &[(&[F], E)],
    rs: &[E],
    twiddles: &FoldTwiddles<F>,
    count: usize,
    mid: &[Join<'_, F, E>],
) -> Vec<E> {
    match (own, layers.last(), single) {
        (Some(c), _, _) => fold_codeword_k(|x| c[x], rs, twiddles, count, mid),
        (None, Some((c, _)), _) => fold_codeword_k(|x| c[x], rs, twiddles, count, mid),
        (None, None, Some((j, i))) => {
            let c = &datas[j].codewords[i];
            fold_base_codeword_k(|x| c[x], rs, twiddles, count, mid)
        }
        (None, None, None) => fold_combined_codeword_k(start, rs, twiddles, count, mid),
    }
}

/// Verifies that the committed tables' `f̂_i` take `values[c]` at `claims[c]`. Never panics on
/// proof data.
pub fn verify<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    c: &ZkCommitment,
    claims: &[Claim<E>],
    values: &[E],
    proof: &ZkProof<F, E>,
    transcript: &mut Transcript,
) -> Result<(), ZkError> {
    verify_opened(params, c, claims, values, proof, transcript).map(|_| ())
}

/// [`verify`], returning which leaves of the commitment's tree the opening revealed (increasing;
/// [`ZkProof::base`] holds their entries, leaf after leaf, table `i`'s `2^k` at `i·2^k ..`, in the
/// codeword's stored order): what an auditor needs to count what openings tell.
pub fn verify_opened<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    c: &ZkCommitment,
    claims: &[Claim<E>],
    values: &[E],
    proof: &ZkProof<F, E>,
    transcript: &mut Transcript,
) -> Result<Vec<usize>, ZkError> {
    let parts = [ZkStatement {
        commitment: c,
        claims,
        groups: None,
        values,
    }];
    verify_parts(params, &parts, proof, transcript).map(|mut v| v.pop().unwrap_or_default())
}

/// Verifies one joint opening of claims on several hiding commitments ([`open_parts`]); returns,
/// per part, the leaves of its tree that the opening revealed. Never panics on proof data.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_parts<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    parts: &[ZkStatement<'_, E>],
    proof: &ZkProof<F, E>,
    transcript: &mut Transcript,
) -> Result<Vec<Vec<usize>>, ZkError> {
    let sh = shape(
        params,
        parts
            .iter()
            .map(|p| (p.commitment, p.claims, p.groups.as_ref())),
    )?;
    let n1 = sh.n1;
    let s = sh.s;
    let check = |what, expected: usize, got: usize| {
        if expected == got {
            Ok(())
        } else {
            Err(PcsError::Shape {
                what,
                expected,
                got,
            })
        }
    };
    for p in parts {
        check(
            "the values",
            value_count(p.groups.as_ref(), p.claims.len()),
            p.values.len(),
        )?;
    }
    let layout = Layout::new(n1, params);
    // A commitment beyond the field's FFT domains is refused before any size is used.
    super::code::root::<F>(layout.log_size).map_err(PcsError::from)?;
    let with_masks: Vec<usize> = (0..parts.len()).filter(|&j| sh.masks(j) > 0).collect();
    check("the masks' roots", with_masks.len(), proof.mask_roots.len())?;
    check("the masks' openings", with_masks.len(), proof.masks.len())?;
    check("the parts' openings", parts.len(), proof.base.len())?;
    let claimed_total: usize = sh.claimed.iter().map(Vec::len).sum();
    check(
        "the reduction",
        usize::from(sh.reduce),
        usize::from(proof.reduction.is_some()),
    )?;
    if let Some(red) = &proof.reduction {
        check("the reduction's rounds", n1, red.rounds.len())?;
        for m in &red.rounds {
            check("a reduction round", 2, m.len())?;
        }
        check(
            "the reduction's mask sums",
            claimed_total,
            red.mask_sums.len(),
        )?;
        check("the reduction's values", claimed_total, red.values.len())?;
        check(
            "the reduction's mask values",
            claimed_total,
            red.mask_values.len(),
        )?;
    }
    check("the round messages", n1, proof.rounds.len())?;
    for m in &proof.rounds {
        check("a round message", 2, m.len())?;
    }
    check("the folded roots", layout.trees() - 1, proof.roots.len())?;
    check(
        "the folded openings",
        layout.trees() - 1,
        proof.folded.len(),
    )?;

    let (coeffs, sums) = absorb_statement(
        transcript,
        params,
        parts
            .iter()
            .map(|p| (p.commitment, p.claims, p.groups.as_ref(), p.values)),
        &proof.mask_roots,
    );
    let offs = claim_offsets(parts.iter().map(|p| p.claims.len()));
    let own = |j: usize| -> &[E] {
        let (o, n) = (
            offs.get(j).copied().unwrap_or(0),
            parts.get(j).map_or(0, |p| p.claims.len()),
        );
        coeffs.get(o..o + n).unwrap_or(&[])
    };
    let claimed_sum = |j: usize| -> E { sums.get(j).copied().unwrap_or(E::ZERO) };
    let mut ch = Live {
        t: transcript,
        log: Log::default(),
    };
    let num_polys: Vec<usize> = parts
        .iter()
        .map(|p| p.commitment.inner.num_polys as usize)
        .collect();
    let batch = match &proof.reduction {
        Some(red) => {
            let mut claim: E = (0..parts.len())
                .filter(|&j| sh.join_at.get(j) == Some(&0))
                .map(claimed_sum)
                .sum();
            // Per part: the weights its masks drew.
            let mut ws: Vec<Vec<E>> = vec![Vec::new(); parts.len()];
            let starts = claim_offsets(sh.claimed.iter().map(Vec::len));
            let mut point = Vec::with_capacity(n1);
            for (step, msg) in red.rounds.iter().enumerate() {
                for j in 0..parts.len() {
                    if step > 0 && sh.join_at.get(j) == Some(&step) {
                        claim += claimed_sum(j);
                    }
                }
                for j in 0..parts.len() {
                    if sh.masks_at(j) != step {
                        continue;
                    }
                    let at = starts.get(j).copied().unwrap_or(0);
                    let count = sh.claimed.get(j).map_or(0, Vec::len);
                    let sums = red.mask_sums.get(at..at + count).unwrap_or(&[]);
                    ch.absorb(b"zk-reduce-mask-sums", sums);
                    for &sum in sums {
                        let w: E = nonzero(&mut ch, b"zk-reduce-mask-weight");
                        claim += w * sum;
                        if let Some(x) = ws.get_mut(j) {
                            x.push(w);
                        }
                    }
                }
                ch.absorb(b"zk-reduce-round", msg);
                let r: E = ch.challenge(b"zk-reduce-challenge");
                claim = sumcheck::next_claim(msg, claim, r);
                point.push(r);
            }
            let mut expected = E::ZERO;
            for (j, p) in parts.iter().enumerate() {
                let d = sh.join_at.get(j).copied().unwrap_or(0);
                let at = starts.get(j).copied().unwrap_or(0);
                let here = point.get(d..).unwrap_or(&[]);
                for (k, &poly) in sh
                    .claimed
                    .get(j)
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .enumerate()
                {
                    let (v, u, w) = match (
                        red.values.get(at + k),
                        red.mask_values.get(at + k),
                        ws.get(j).and_then(|x| x.get(k)),
                    ) {
                        (Some(&v), Some(&u), Some(&w)) => (v, u, w),
                        _ => return Err(ZkError::ReducedValues),
                    };
                    expected += g_at(p.claims, own(j), poly, here) * (v + w * u);
                }
            }
            if expected != claim {
                return Err(ZkError::ReducedValues);
            }
            ch.absorb(b"zk-reduce-values", &red.values);
            ch.absorb(b"zk-reduce-values", &red.mask_values);
            batch_weights(&sh, &num_polys, red, point, &mut ch)
        }
        None => {
            let first = parts.first().ok_or(PcsError::NoClaims)?;
            let polys = num_polys.first().copied().unwrap_or(0);
            direct_batch(
                &sh,
                polys,
                first.claims,
                own(0),
                claimed_sum(0),
                parts.len(),
            )
        }
    };
    // The batched opening's sum-check, the later parts and the masks joining.
    let mut claim = batch.claim;
    let mut mask_weights: Vec<Vec<E>> = batch.mask_weights.clone();
    let mut r: Vec<E> = Vec::with_capacity(n1);
    let mut roots = proof.roots.iter();
    for (step, msg) in proof.rounds.iter().enumerate() {
        let joins = joining_at(&sh, step);
        if !joins.is_empty() {
            let scale = batch
                .points
                .first()
                .and_then(|p| p.get(..step))
                .map_or(E::ONE, |p| eq_eval(p, &r));
            for join in joins {
                match join {
                    Joining::Tables(j) => {
                        let ws = batch.weights.get(j).map_or(&[][..], Vec::as_slice);
                        let vs = batch.values.get(j).map_or(&[][..], Vec::as_slice);
                        let tables = sh.claimed.get(j).map_or(&[][..], Vec::as_slice);
                        claim += scale
                            * tables
                                .iter()
                                .zip(vs)
                                .map(|(&p, &v)| ws.get(p).copied().unwrap_or(E::ZERO) * v)
                                .sum::<E>();
                    }
                    Joining::Masks(j) => {
                        if j == 0 {
                            ch.absorb(b"zk-basefold-mask-sum", &[proof.mask_sum]);
                            let w = nonzero(&mut ch, b"zk-basefold-mask-weight");
                            claim += w * proof.mask_sum;
                            if let Some(x) = mask_weights.get_mut(0) {
                                x.insert(0, w);
                            }
                        }
                        let us = batch.mask_values.get(j).map_or(&[][..], Vec::as_slice);
                        let ws = batch.mask_weights.get(j).map_or(&[][..], Vec::as_slice);
                        claim += scale * ws.iter().zip(us).map(|(&w, &u)| w * u).sum::<E>();
                    }
                }
            }
        }
        ch.absorb(b"basefold-round", msg);
        let rk: E = ch.challenge(b"basefold-challenge");
        claim = sumcheck::next_claim(msg, claim, rk);
        r.push(rk);
        if (step + 1) % layout.k == 0 && step + 1 < n1 {
            if let Some(root) = roots.next() {
                ch.absorb_digest(b"basefold-fold-root", root);
            }
        }
    }
    ch.absorb(b"basefold-last", &[proof.last]);
    let g_at_r: E = batch
        .points
        .iter()
        .zip(&batch.coeffs)
        .map(|(z, &a)| a * eq_eval(z, &r))
        .sum();
    if claim != proof.last * g_at_r {
        return Err(PcsError::FinalEvaluation.into());
    }
    check_pow(transcript, params.pow_bits, proof.pow_nonce)?;

    let queries: Vec<usize> = (0..params.queries)
        .map(|_| transcript.challenge_index(b"basefold-query", 1 << layout.depth(0)))
        .collect();
    let mut leaves: Vec<PartLeaves<'_, F>> = Vec::new();
    let mut weights: Vec<Vec<E>> = Vec::new();
    let mut opened = Vec::with_capacity(parts.len());
    let mut mask_openings = proof.masks.iter().zip(&proof.mask_roots);
    for (j, p) in parts.iter().enumerate() {
        let nj = p.commitment.inner.num_vars as usize;
        let d = sh.join_at.get(j).copied().unwrap_or(0);
        let pl = Layout::new(nj, params);
        let a = pl.arity_bits(0);
        let idx = sorted_distinct(queries.iter().map(|&q| block_start(&layout, q, d) >> a));
        let o = proof.base.get(j).ok_or(PcsError::NoClaims)?;
        let got = check_layer(
            o,
            &p.commitment.inner.root,
            0,
            pl.depth(0),
            &idx,
            (num_polys.get(j).copied().unwrap_or(0)) << a,
        )
        .map_err(|e| match e {
            PcsError::Merkle { source, .. } if j > 0 => PcsError::JoinedMerkle { part: j, source },
            e => e,
        })?;
        opened.push(got.iter().map(|&(i, _)| i).collect());
        leaves.push((got, a, d));
        weights.push(batch.weights.get(j).cloned().unwrap_or_default());
        if sh.masks(j) > 0 {
            let (o, root) = mask_openings.next().ok_or(PcsError::NoClaims)?;
            let mp = sh.mask_params(params, j);
            let ml = Layout::new(nj - s, &mp);
            let a = ml.arity_bits(0);
            let at = sh.masks_at(j);
            let idx = sorted_distinct(queries.iter().map(|&q| block_start(&layout, q, at) >> a));
            let got = check_layer(o, root, 0, ml.depth(0), &idx, sh.masks(j) << a).map_err(
                |e| match e {
                    PcsError::Merkle { source, .. } => ZkError::MaskMerkle(source),
                    PcsError::Shape { expected, got, .. } => PcsError::Shape {
                        what: "the masks' opened values",
                        expected,
                        got,
                    }
                    .into(),
                    e => e.into(),
                },
            )?;
            leaves.push((got, a, at));
            weights.push(mask_weights.get(j).cloned().unwrap_or_default());
        }
    }
    let mut layer_leaves = Vec::with_capacity(proof.folded.len());
    let mut idx = sorted_distinct(queries.iter().copied());
    for (i, (o, root)) in proof.folded.iter().zip(&proof.roots).enumerate() {
        let l = i + 1;
        idx = sorted_distinct(idx.iter().map(|q| q >> layout.arity_bits(l)));
        layer_leaves.push(check_layer(
            o,
            root,
            l,
            layout.depth(l),
            &idx,
            1 << layout.arity_bits(l),
        )?);
    }
    check_queries(
        &layout,
        &queries,
        &leaves,
        &weights,
        &layer_leaves,
        &r,
        proof.last,
    )?;
    Ok(opened)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks as F, GoldilocksExt2 as E};
    use ark_ff::{AdditiveGroup, UniformRand, Zero};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn params(fold_bits: usize, queries: usize) -> Params {
        Params {
            rate_bits: 2,
            fold_bits,
            queries,
            pow_bits: 0,
        }
    }

    /// `count` claims on table `poly` at random points of `n + 1` coordinates.
    fn claims_on<G: Field>(rng: &mut StdRng, poly: usize, n: usize, count: usize) -> Vec<Claim<G>> {
        (0..count)
            .map(|_| Claim::new(poly, (0..=n).map(|_| G::rand(rng)).collect()))
            .collect()
    }

    /// `count` claims on table 0.
    fn points<G: Field>(rng: &mut StdRng, n: usize, count: usize) -> Vec<Claim<G>> {
        claims_on(rng, 0, n, count)
    }

    /// Claims on several tables: `per` claims on each of `tables`, at distinct points.
    fn spread<G: Field>(rng: &mut StdRng, n: usize, tables: usize, per: usize) -> Vec<Claim<G>> {
        (0..tables)
            .flat_map(|t| claims_on(rng, t, n, per))
            .collect()
    }

    /// The shape of an opening of one commitment.
    fn shape_of(p: &Params, c: &ZkCommitment, cl: &[Claim<E>]) -> Shape {
        shape(p, std::iter::once((c, cl, None))).unwrap()
    }

    /// [`open_with`] on one commitment with the masks' commitment given.
    fn open_one(
        p: &Params,
        c: &ZkCommitment,
        data: &mut ZkProverData<F>,
        cl: &[Claim<E>],
        masks: (Commitment, ProverData<F>),
        cheat_last: bool,
    ) -> (Vec<E>, ZkProof<F, E>, Log<E>) {
        let mut parts = [ZkPart {
            commitment: c,
            data,
            claims: cl,
            groups: None,
        }];
        let t = &mut Transcript::new(b"t");
        let (mut v, proof, log) = open_with(p, &mut parts, &[Some(masks)], t, cheat_last).unwrap();
        (v.pop().unwrap(), proof, log)
    }

    fn round_trip<Fb: BaseField + FftField, Ex: ExtField<Fb>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        // (n, ℓ, fold bits, tables, claims per table, claims on one point)
        for (n, ell, k, tables, per, one_point) in [
            (7, 7, 2, 1, 1, false),
            (8, 7, 2, 1, 2, false),
            (9, 8, 4, 1, 3, false),
            (10, 9, 4, 1, 1, false),
            (8, 8, 2, 3, 2, false),
            (9, 9, 4, 2, 1, false),
            (8, 8, 2, 3, 1, true),
        ] {
            let p = params(k, 6);
            let tabs: Vec<Vec<Fb>> = (0..tables)
                .map(|_| (0..(1usize << n) - 3).map(|_| Fb::rand(&mut rng)).collect())
                .collect();
            let (c, mut data) = commit_columns(&p, tabs.clone(), ell, &mut rng).unwrap();
            assert_eq!(c.table_vars(), n);
            let mut cl = spread::<Ex>(&mut rng, n, tables, per);
            if one_point {
                let z = cl[0].point.clone();
                for c in cl.iter_mut() {
                    c.point = z.clone();
                }
            }
            let (values, proof) =
                open(&p, &c, &mut data, &cl, &mut rng, &mut Transcript::new(b"t")).unwrap();
            assert_eq!(proof.reduction.is_some(), tables > 1 && !one_point);
            // The values are f̂'s: the table's plus β times the mask's.
            for (claim, v) in cl.iter().zip(&values) {
                let (low, beta) = claim.point.split_at(n);
                let mut padded = tabs[claim.poly].clone();
                padded.resize(1 << n, Fb::ZERO);
                let top: Vec<Fb> = data.inner.evals()[claim.poly][1 << n..]
                    .iter()
                    .zip(&padded)
                    .map(|(&a, &b)| a - b)
                    .collect();
                let m = evaluate_base::<Fb, Ex>(&top, low);
                assert_eq!(*v, evaluate_base::<Fb, Ex>(&padded, low) + beta[0] * m);
            }
            verify(&p, &c, &cl, &values, &proof, &mut Transcript::new(b"t")).unwrap();
            // Bytes round trip.
            let mut bytes = Vec::new();
            proof.serialize_compressed(&mut bytes).unwrap();
            let back = ZkProof::<Fb, Ex>::deserialize_compressed(&bytes[..]).unwrap();
            assert_eq!(back, proof);
        }
    }

    #[test]
    fn round_trips_on_both_fields() {
        round_trip::<F, E>(1);
        round_trip::<Bn254Fr, Bn254Fr>(2);
    }

    /// A fixture: three tables of 2^7 entries, an honest opening of five claims on them (with
    /// the reduction), or two claims on one table (without).
    #[allow(clippy::type_complexity)]
    fn fixture(
        reduce: bool,
    ) -> (
        Params,
        ZkCommitment,
        ZkProverData<F>,
        Vec<Claim<E>>,
        Vec<E>,
        ZkProof<F, E>,
    ) {
        let mut rng = StdRng::seed_from_u64(7);
        let p = params(2, 5);
        let tables: Vec<Vec<F>> = (0..3)
            .map(|_| (0..128).map(|_| F::rand(&mut rng)).collect())
            .collect();
        let (c, mut data) = commit_columns(&p, tables, 7, &mut rng).unwrap();
        let cl = if reduce {
            let mut cl = spread::<E>(&mut rng, 7, 2, 2);
            cl.extend(claims_on(&mut rng, 2, 7, 1));
            cl
        } else {
            points::<E>(&mut rng, 7, 2)
        };
        let (values, proof) =
            open(&p, &c, &mut data, &cl, &mut rng, &mut Transcript::new(b"t")).unwrap();
        (p, c, data, cl, values, proof)
    }

    fn check(
        p: &Params,
        c: &ZkCommitment,
        cl: &[Claim<E>],
        values: &[E],
        proof: &ZkProof<F, E>,
    ) -> Result<(), ZkError> {
        verify(p, c, cl, values, proof, &mut Transcript::new(b"t"))
    }

    #[test]
    fn every_part_of_the_proof_is_checked_with_its_error() {
        for reduce in [false, true] {
            let (p, c, _, cl, values, proof) = fixture(reduce);
            check(&p, &c, &cl, &values, &proof).unwrap();
            let fin = Err(ZkError::Pcs(PcsError::FinalEvaluation));
            let first = if reduce {
                Err(ZkError::ReducedValues)
            } else {
                fin.clone()
            };
            let mut v = values.clone();
            v[1] += E::ONE;
            assert_eq!(check(&p, &c, &cl, &v, &proof), first);
            let mut z = cl.clone();
            z[0].point[3] += E::ONE;
            assert_eq!(check(&p, &c, &z, &values, &proof), first);
            let tampered = |f: &dyn Fn(&mut ZkProof<F, E>)| {
                let mut q = proof.clone();
                f(&mut q);
                check(&p, &c, &cl, &values, &q)
            };
            assert_eq!(tampered(&|q| q.mask_roots[0][0] ^= 1), first);
            assert_eq!(tampered(&|q| q.rounds[0][1] += E::ONE), fin);
            assert_eq!(tampered(&|q| q.rounds[5][0] += E::ONE), fin);
            assert_eq!(tampered(&|q| q.mask_sum += E::ONE), fin);
            assert_eq!(tampered(&|q| q.roots[1][3] ^= 1), fin);
            assert_eq!(tampered(&|q| q.last += E::ONE), fin);
            assert_eq!(
                tampered(&|q| q.pow_nonce = 1),
                Err(ZkError::Pcs(PcsError::ProofOfWork))
            );
            assert!(matches!(
                tampered(&|q| q.base[0].values[2] += F::ONE),
                Err(ZkError::Pcs(PcsError::Merkle { layer: 0, .. }))
            ));
            assert!(matches!(
                tampered(&|q| q.masks[0].values[1] += F::ONE),
                Err(ZkError::MaskMerkle(_))
            ));
            assert!(matches!(
                tampered(&|q| q.folded[1].values[0] += E::ONE),
                Err(ZkError::Pcs(PcsError::Merkle { layer: 2, .. }))
            ));
            assert!(matches!(
                tampered(&|q| {
                    q.masks[0].values.pop();
                }),
                Err(ZkError::Pcs(PcsError::Shape {
                    what: "the masks' opened values",
                    ..
                }))
            ));
            assert!(matches!(
                tampered(&|q| {
                    q.rounds.pop();
                }),
                Err(ZkError::Pcs(PcsError::Shape {
                    what: "the round messages",
                    ..
                }))
            ));
            assert!(matches!(
                tampered(&|q| {
                    q.folded.pop();
                }),
                Err(ZkError::Pcs(PcsError::Shape { .. }))
            ));
            if reduce {
                let red = |f: &dyn Fn(&mut ZkReduction<E>)| {
                    tampered(&|q| f(q.reduction.as_mut().unwrap()))
                };
                let bad = Err(ZkError::ReducedValues);
                assert_eq!(red(&|r| r.rounds[0][0] += E::ONE), bad);
                assert_eq!(red(&|r| r.rounds[7][1] += E::ONE), bad);
                assert_eq!(red(&|r| r.mask_sums[1] += E::ONE), bad);
                assert_eq!(red(&|r| r.values[0] += E::ONE), bad);
                assert_eq!(red(&|r| r.mask_values[2] += E::ONE), bad);
                assert!(matches!(
                    red(&|r| {
                        r.values.pop();
                    }),
                    Err(ZkError::Pcs(PcsError::Shape {
                        what: "the reduction's values",
                        ..
                    }))
                ));
                assert!(matches!(
                    tampered(&|q| q.reduction = None),
                    Err(ZkError::Pcs(PcsError::Shape {
                        what: "the reduction",
                        ..
                    }))
                ));
            }
        }
    }

    #[test]
    fn any_bytes_give_an_error_never_a_panic() {
        let (p, c, _, cl, values, proof) = fixture(true);
        // A commitment claiming more variables than any domain holds.
        for vars in [40u32, 63, u32::MAX] {
            let mut big = c.clone();
            big.inner.num_vars = vars;
            big.mask_vars = 8;
            let cl: Vec<Claim<E>> = vec![Claim::new(0, vec![E::ONE; (vars as usize).min(70)])];
            assert!(check(&p, &big, &cl, &values[..1], &proof).is_err());
        }
        let mut bytes = Vec::new();
        proof.serialize_compressed(&mut bytes).unwrap();
        let mut rng = StdRng::seed_from_u64(11);
        for trial in 0..400 {
            let mut b = bytes.clone();
            match trial % 3 {
                0 => b.truncate(rng.next_u64() as usize % bytes.len()),
                1 => {
                    let i = rng.next_u64() as usize % b.len();
                    b[i] ^= 1 << (rng.next_u32() % 8);
                }
                _ => {
                    let len = rng.next_u64() as usize % 4096;
                    b = (0..len).map(|_| rng.next_u32() as u8).collect();
                }
            }
            if let Ok(q) = ZkProof::<F, E>::deserialize_compressed(&b[..]) {
                if q != proof {
                    assert!(check(&p, &c, &cl, &values, &q).is_err());
                }
            }
        }
    }

    #[test]
    fn a_cheating_prover_is_caught() {
        let mut rng = StdRng::seed_from_u64(21);
        let p = params(2, 8);
        let table: Vec<F> = (0..256).map(|_| F::rand(&mut rng)).collect();
        let (c, data) = commit(&p, table, 6, &mut rng).unwrap();
        let cl = points::<E>(&mut rng, 8, 2);
        let n1 = 9;
        let sh = shape_of(&p, &c, &cl);
        let s = sh.s;
        let mp = sh.mask_params(&p, 0);

        // A committed entry edited after the commitment (the codeword stays the committed one):
        // the claimed values and the sum-check follow the edited table, the folds the committed
        // codeword.
        let mut edited = data.clone();
        edited.inner.evals[0][17] += F::ONE;
        edited.inner.evals[0][256 + 17] += F::ONE;
        let omega: Vec<F> = (0..1usize << (n1 - s)).map(|_| F::rand(&mut rng)).collect();
        let masks = basefold::commit(&mp, vec![omega.clone()]).unwrap();
        let (values, proof, _) = open_one(&p, &c, &mut edited, &cl, masks, false);
        assert_eq!(
            check(&p, &c, &cl, &values, &proof),
            Err(ZkError::Pcs(PcsError::FinalEvaluation))
        );

        // A mask whose committed word is no codeword: its sum is ω's, its word random.
        let (mc, mut md) = basefold::commit(&mp, vec![omega]).unwrap();
        for x in md.codewords[0].iter_mut() {
            *x = F::rand(&mut rng);
        }
        md.tree = leaf_tree(&md.codewords, Layout::new(n1 - s, &mp).depth(0));
        let mc = Commitment {
            root: md.tree.root(),
            ..mc
        };
        let (values, proof, _) = open_one(
            &p,
            &c,
            &mut data.clone(),
            &cl,
            (mc.clone(), md.clone()),
            false,
        );
        assert_eq!(
            check(&p, &c, &cl, &values, &proof),
            Err(ZkError::Pcs(PcsError::FinalEvaluation))
        );
        // … and with the final constant the sum-check needs, the queries catch the word.
        let (values, proof, _) = open_one(&p, &c, &mut data.clone(), &cl, (mc, md), true);
        assert!(matches!(
            check(&p, &c, &cl, &values, &proof),
            Err(ZkError::Pcs(PcsError::FoldMismatch { .. }))
        ));

        // With the reduction: a table entry edited after commit is caught by the opening at the
        // reduced point.
        let tables: Vec<Vec<F>> = (0..2)
            .map(|_| (0..256).map(|_| F::rand(&mut rng)).collect())
            .collect();
        let (c, data) = commit_columns(&p, tables, 7, &mut rng).unwrap();
        let cl = spread::<E>(&mut rng, 8, 2, 2);
        let mut edited = data.clone();
        edited.inner.evals[1][40] += F::ONE;
        edited.inner.evals[1][256 + 40] += F::ONE;
        let masks: Vec<Vec<F>> = (0..3)
            .map(|_| (0..1usize << (n1 - s)).map(|_| F::rand(&mut rng)).collect())
            .collect();
        let masks = basefold::commit(&mp, masks).unwrap();
        let (values, proof, _) = open_one(&p, &c, &mut edited, &cl, masks, false);
        assert_eq!(
            check(&p, &c, &cl, &values, &proof),
            Err(ZkError::Pcs(PcsError::FinalEvaluation))
        );
    }

    #[test]
    fn claims_without_a_mask_and_spent_budgets_are_refused() {
        let mut rng = StdRng::seed_from_u64(31);
        let p = params(2, 4);
        let table: Vec<F> = (0..64).map(|_| F::rand(&mut rng)).collect();
        let (c, mut data) = commit(&p, table, 6, &mut rng).unwrap();
        let mut cl = points::<E>(&mut rng, 6, 1);
        cl[0].point[6] = E::ZERO;
        assert_eq!(
            open(&p, &c, &mut data, &cl, &mut rng, &mut Transcript::new(b"t")).map(|_| ()),
            Err(ZkError::Unmasked { claim: 0 })
        );
        let mut cl = points::<E>(&mut rng, 6, 3);
        cl[2] = cl[0].clone();
        cl[2].point[6] += E::ONE;
        assert_eq!(
            open(&p, &c, &mut data, &cl, &mut rng, &mut Transcript::new(b"t")).map(|_| ()),
            Err(ZkError::SharedMask {
                first: 0,
                second: 2,
                mask_vars: 6
            })
        );
        // 2^6 − 4 = 60 functionals; each opening at one claim reveals 4·4 + (1 + 2)·2 = 22.
        assert_eq!(data.budget(&p), 60);
        assert_eq!(revealed_per_opening::<E>(&p, 6, 1, false), 22);
        for _ in 0..2 {
            let cl = points::<E>(&mut rng, 6, 1);
            open(&p, &c, &mut data, &cl, &mut rng, &mut Transcript::new(b"t")).unwrap();
        }
        let cl = points::<E>(&mut rng, 6, 1);
        assert_eq!(
            open(&p, &c, &mut data, &cl, &mut rng, &mut Transcript::new(b"t")).map(|_| ()),
            Err(ZkError::Budget {
                revealed: 44,
                needed: 22,
                budget: 60
            })
        );
        // A table smaller than its mask is padded to the mask's size.
        let (small, _) = commit(&p, vec![F::ONE; 64], 7, &mut rng).unwrap();
        assert_eq!(small.table_vars(), 7);
        assert_eq!(
            commit(&p, vec![F::ONE; 64], 1, &mut rng).map(|_| ()),
            Err(ZkError::MaskVars {
                mask_vars: 1,
                table_vars: 6,
                min: 2
            })
        );
        assert_eq!(
            commit(&params(1, 4), vec![F::ONE; 64], 3, &mut rng).map(|_| ()),
            Err(ZkError::FoldBits(1))
        );
    }

    /// The challenges of a recorded proof, replayed: the prover's messages as a function of its
    /// tables for fixed challenges (the simulator's programmed oracle).
    struct Replay<Ex> {
        log: Log<Ex>,
        at: usize,
        at_index: usize,
    }

    impl<Ex: Field> Channel<Ex> for Replay<Ex> {
        fn absorb(&mut self, _: &'static [u8], _: &[Ex]) {}
        fn absorb_digest(&mut self, _: &'static [u8], _: &Digest) {}
        fn challenge(&mut self, _: &'static [u8]) -> Ex {
            self.at += 1;
            self.log.fields[self.at - 1]
        }
        fn index(&mut self, _: &'static [u8], _: usize) -> usize {
            self.at_index += 1;
            self.log.indices[self.at_index - 1]
        }
        fn grind(&mut self, _: usize) -> u64 {
            0
        }
    }

    /// Every value a proof reveals (Merkle digests and the nonce aside: random-oracle outputs),
    /// in base-field coordinates: the claimed values, the reduction's messages and values, the
    /// round messages, `σ`, the final constant, and every opened leaf.
    fn view(values: &[E], proof: &ZkProof<F, E>) -> Vec<F> {
        let ext = |v: &E| v.to_base_prime_field_elements().collect::<Vec<F>>();
        let mut out: Vec<F> = values.iter().flat_map(ext).collect();
        if let Some(red) = &proof.reduction {
            out.extend(red.rounds.iter().flatten().flat_map(ext));
            out.extend(red.mask_sums.iter().flat_map(ext));
            out.extend(red.values.iter().flat_map(ext));
            out.extend(red.mask_values.iter().flat_map(ext));
        }
        out.extend(proof.rounds.iter().flatten().flat_map(ext));
        out.extend(ext(&proof.mask_sum));
        out.extend(ext(&proof.last));
        out.extend(proof.base.iter().flat_map(|o| o.values.iter().copied()));
        out.extend(proof.masks.iter().flat_map(|o| o.values.iter().copied()));
        out.extend(
            proof
                .folded
                .iter()
                .flat_map(|o| o.values.iter().flat_map(ext)),
        );
        out
    }

    /// The view of proof `log` (one commitment) for tables `f̂_i` and masks, with its challenges
    /// replayed.
    fn replayed_view(
        p: &Params,
        fhats: Vec<Vec<F>>,
        masks: Vec<Vec<F>>,
        cl: &[Claim<E>],
        log: &Log<E>,
    ) -> Vec<F> {
        let (c, fd) = basefold::commit(p, fhats.clone()).unwrap();
        // The shape only needs a valid mask size; the replay reads no budget.
        let zc = ZkCommitment {
            inner: c,
            mask_vars: p.fold_bits as u32,
        };
        let sh = shape(p, std::iter::once((&zc, cl, None))).unwrap();
        let (_, md) = basefold::commit(&sh.mask_params(p, 0), masks).unwrap();
        let coeffs = log.fields[..cl.len()].to_vec();
        let values: Vec<E> = cl
            .iter()
            .map(|c| evaluate_base(&fhats[c.poly], &c.point))
            .collect();
        let mut ch = Replay {
            log: log.clone(),
            at: cl.len(),
            at_index: 0,
        };
        let proof = prove_all(
            p,
            &sh,
            (&[&fd], &[Some(&md)]),
            (
                &[cl],
                &[coeffs.iter().zip(&values).map(|(&a, &v)| a * v).sum()],
            ),
            &coeffs,
            &mut ch,
            false,
        )
        .unwrap();
        view(&values, &proof)
    }

    /// Rank over the base field (Gaussian elimination).
    fn rank(mut rows: Vec<Vec<F>>) -> usize {
        let cols = rows.first().map_or(0, Vec::len);
        let mut r = 0;
        for c in 0..cols {
            let Some(pivot) = (r..rows.len()).find(|&i| !rows[i][c].is_zero()) else {
                continue;
            };
            rows.swap(r, pivot);
            let inv = rows[r][c].inverse().unwrap();
            let pr: Vec<F> = rows[r].iter().map(|&x| x * inv).collect();
            for (i, row) in rows.iter_mut().enumerate() {
                if i != r && !row[c].is_zero() {
                    let f = row[c];
                    for (x, &y) in row.iter_mut().zip(&pr) {
                        *x -= f * y;
                    }
                }
            }
            rows[r] = pr;
            r += 1;
        }
        r
    }

    /// The shape of a hiding test: `tables` tables of `2^n` entries with masks of `2^ell`,
    /// `fold_bits`, `proofs` openings each with `per` claims on every table.
    struct Case {
        n: usize,
        ell: usize,
        fold_bits: usize,
        tables: usize,
        per: usize,
        proofs: usize,
        /// Every table's claims at table 0's points (a segment spanning columns: one claim
        /// per column at the same point, `crate::zk::column_terms`).
        shared: bool,
    }

    /// The claims of a [`Case`]: [`spread`], or with `shared` at table 0's points.
    fn case_claims(
        rng: &mut StdRng,
        n: usize,
        tables: usize,
        per: usize,
        shared: bool,
    ) -> Vec<Claim<E>> {
        let mut cl = spread::<E>(rng, n, tables, per);
        if shared {
            let first: Vec<Vec<E>> = cl[..per].iter().map(|c| c.point.clone()).collect();
            for (i, c) in cl.iter_mut().enumerate() {
                c.point = first[i % per].clone();
            }
        }
        cl
    }

    /// Whether the openings' views tell anything about the tables: whether some linear
    /// combination of the revealed values depends on the tables and on no mask. The views are
    /// linear in `(f_i, m_i, ω's)` for the proofs' challenges: each unknown's column is the view
    /// of its unit vector, replayed; the views tell nothing iff the tables' columns lie in the
    /// span of the masks' (`rank [M] = rank [T | M]`). `masked: false` drops the masks' columns.
    fn leaks(case: &Case, masked: bool) -> bool {
        let Case {
            n,
            ell,
            fold_bits,
            tables,
            per,
            proofs,
            shared,
        } = *case;
        let mut rng = StdRng::seed_from_u64(41 + proofs as u64);
        let p = params(fold_bits, 2);
        let tabs: Vec<Vec<F>> = (0..tables)
            .map(|_| (0..1usize << n).map(|_| F::rand(&mut rng)).collect())
            .collect();
        let (c, mut data) = commit_columns(&p, tabs, ell, &mut rng).unwrap();
        let n1 = n + 1;
        let probe = case_claims(&mut rng, n, tables, per, shared);
        let sh = shape(&p, std::iter::once((&c, &probe[..], None))).unwrap();
        let mp = sh.mask_params(&p, 0);
        let wsize = 1usize << (n1 - sh.s);
        let nmasks = 1 + if tables > 1 { tables } else { 0 };
        let runs: Vec<(Vec<Claim<E>>, Log<E>)> = (0..proofs)
            .map(|_| {
                data.revealed = 0; // beyond the budget on purpose: the test measures it
                let cl = case_claims(&mut rng, n, tables, per, shared);
                let masks: Vec<Vec<F>> = (0..nmasks)
                    .map(|_| (0..wsize).map(|_| F::rand(&mut rng)).collect())
                    .collect();
                let committed = basefold::commit(&mp, masks.clone()).unwrap();
                let (values, proof, log) = open_one(&p, &c, &mut data, &cl, committed, false);
                // The replayed view of the true tables is the proof's own: the columns below
                // are the real prover's.
                let fhats = data.inner.evals().to_vec();
                assert_eq!(
                    replayed_view(&p, fhats, masks, &cl, &log),
                    view(&values, &proof)
                );
                (cl, log)
            })
            .collect();
        let size = 1usize << n;
        let low = (1usize << ell) - 1;
        let zero_tables = || vec![vec![F::ZERO; 2 * size]; tables];
        let zero_masks = || vec![vec![F::ZERO; wsize]; nmasks];
        let column = |fhats: Vec<Vec<F>>, masks_of: &dyn Fn(usize) -> Vec<Vec<F>>| -> Vec<F> {
            runs.iter()
                .enumerate()
                .flat_map(|(i, (cl, log))| replayed_view(&p, fhats.clone(), masks_of(i), cl, log))
                .collect()
        };
        let mut table_cols = Vec::new();
        let mut mask_cols = Vec::new();
        for t in 0..tables {
            for i in 0..size {
                let mut fhats = zero_tables();
                fhats[t][i] = F::ONE;
                fhats[t][size + i] = F::ONE;
                table_cols.push(column(fhats, &|_| zero_masks()));
            }
        }
        if masked {
            for t in 0..tables {
                for j in 0..=low {
                    let mut fhats = zero_tables();
                    for x in (size..2 * size).filter(|x| x & low == j) {
                        fhats[t][x] = F::ONE;
                    }
                    mask_cols.push(column(fhats, &|_| zero_masks()));
                }
            }
            for proof in 0..proofs {
                for k in 0..nmasks {
                    for j in 0..wsize {
                        let unit = |i: usize| {
                            let mut w = zero_masks();
                            if i == proof {
                                w[k][j] = F::ONE;
                            }
                            w
                        };
                        mask_cols.push(column(zero_tables(), &unit));
                    }
                }
            }
        }
        let rows = table_cols.first().map_or(0, Vec::len);
        let matrix = |cols: &[Vec<F>]| -> Vec<Vec<F>> {
            (0..rows)
                .map(|r| cols.iter().map(|c| c[r]).collect())
                .collect()
        };
        let all: Vec<Vec<F>> = mask_cols.iter().chain(&table_cols).cloned().collect();
        let masks_only = if mask_cols.is_empty() {
            0
        } else {
            rank(matrix(&mask_cols))
        };
        rank(matrix(&all)) > masks_only
    }

    #[test]
    fn an_opening_within_the_budget_reveals_nothing_about_the_table() {
        // 2^8 entries, a mask of 2^5: one opening at one claim reveals 2·4 + (1 + 2)·2 = 14
        // functionals of m (budget 28); ω has 2^8 entries, more than the ≈ 130 values after the
        // join.
        let case = |proofs| Case {
            n: 8,
            ell: 5,
            fold_bits: 2,
            tables: 1,
            per: 1,
            proofs,
            shared: false,
        };
        assert!(!leaks(&case(1), true));
        assert!(!leaks(&case(2), true));
        // The same views without the masks determine table values: the test can fail.
        assert!(leaks(&case(1), false));
        // Beyond the budget (3 openings: 42 functionals of a 32-entry mask) the views leak.
        assert!(leaks(&case(3), true));
    }

    #[test]
    fn an_opening_at_the_default_arity_reveals_nothing_about_the_table() {
        // Leaves of 16 entries, ω joining after 3 folds: 2^11 entries, a mask of 2^6 (one
        // opening reveals 2·16 + (1 + 6)·2 = 46 of its functionals, budget 48), ω of 2^9.
        let case = Case {
            n: 11,
            ell: 6,
            fold_bits: 4,
            tables: 1,
            per: 1,
            proofs: 1,
            shared: false,
        };
        assert!(!leaks(&case, true));
        assert!(leaks(&case, false));
    }

    #[test]
    fn an_opening_with_the_reduction_reveals_nothing_about_the_tables() {
        // Two tables of 2^8, masks of 2^6, two claims on each (the reduction): each table's mask
        // reads 2·4 + (2 + 2 + 1 + 2)·2 = 22 of its 60 functionals; ω and ω_i have 2^8 entries.
        let case = Case {
            n: 8,
            ell: 6,
            fold_bits: 2,
            tables: 2,
            per: 2,
            proofs: 1,
            shared: false,
        };
        assert!(!leaks(&case, true));
        assert!(leaks(&case, false));
    }

    #[test]
    fn claims_at_one_point_on_two_tables_reveal_nothing_about_the_tables() {
        // A segment spanning two columns (`crate::zk::column_terms`): each claim on it is one
        // claim per column at the same point and `β`. Two tables of 2^8, masks of 2^6, two
        // such claims (the reduction runs); without the masks the views leak.
        let case = Case {
            n: 8,
            ell: 6,
            fold_bits: 2,
            tables: 2,
            per: 2,
            proofs: 1,
            shared: true,
        };
        assert!(!leaks(&case, true));
        assert!(leaks(&case, false));
    }

    /// Two commitments in one opening: a long-lived one of `2^n0` and a per-proof one of `2^n1`
    /// (joining at `n0 − n1`), claims on each.
    #[allow(clippy::type_complexity)]
    fn two_parts<Fb: BaseField + FftField, Ex: ExtField<Fb>>(
        rng: &mut StdRng,
        p: &Params,
        (n0, n1): (usize, usize),
        (ell0, ell1): (usize, usize),
    ) -> (
        [ZkCommitment; 2],
        [ZkProverData<Fb>; 2],
        [Vec<Claim<Ex>>; 2],
    ) {
        let t0: Vec<Fb> = (0..1usize << n0).map(|_| Fb::rand(rng)).collect();
        let t1: Vec<Vec<Fb>> = (0..2)
            .map(|_| (0..1usize << n1).map(|_| Fb::rand(rng)).collect())
            .collect();
        let (c0, d0) = commit(p, t0, ell0, rng).unwrap();
        let (c1, d1) = commit_columns(p, t1, ell1, rng).unwrap();
        let cl0 = claims_on(rng, 0, n0, 2);
        let mut cl1 = claims_on(rng, 0, n1, 1);
        cl1.extend(claims_on(rng, 1, n1, 2));
        ([c0, c1], [d0, d1], [cl0, cl1])
    }

    /// A joint opening's two parts.
    #[allow(clippy::type_complexity)]
    fn two_zk_parts<'a, Fb, Ex>(
        first: (&'a ZkCommitment, &'a mut ZkProverData<Fb>, &'a [Claim<Ex>]),
        second: (&'a ZkCommitment, &'a mut ZkProverData<Fb>, &'a [Claim<Ex>]),
    ) -> [ZkPart<'a, Fb, Ex>; 2] {
        [first, second].map(|(commitment, data, claims)| ZkPart {
            commitment,
            data,
            claims,
            groups: None,
        })
    }

    /// The verifier's view of a joint opening of two parts.
    fn two_statements<'a, Ex>(
        commitments: [&'a ZkCommitment; 2],
        claims: [&'a [Claim<Ex>]; 2],
        values: &'a [Vec<Ex>],
    ) -> [ZkStatement<'a, Ex>; 2] {
        [0, 1].map(|j| ZkStatement {
            commitment: commitments[j],
            claims: claims[j],
            groups: None,
            values: &values[j],
        })
    }

    fn joint_round_trip<Fb: BaseField + FftField, Ex: ExtField<Fb>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        // (fold bits, n0, n1): joining after s, later, at a tree boundary, and the same size.
        for (k, n0, n1) in [(2, 9, 8), (2, 9, 6), (4, 11, 8), (4, 12, 8), (4, 9, 9)] {
            let p = params(k, 6);
            let ([c0, c1], [mut d0, mut d1], [cl0, cl1]) =
                two_parts::<Fb, Ex>(&mut rng, &p, (n0, n1), (n0, n1));
            let mut parts = two_zk_parts((&c0, &mut d0, &cl0), (&c1, &mut d1, &cl1));
            let (values, proof) =
                open_parts(&p, &mut parts, &mut rng, &mut Transcript::new(b"t")).unwrap();
            assert!(proof.reduction.is_some());
            for (c, (d, (cl, vs))) in [&c0, &c1]
                .iter()
                .zip([&d0, &d1].iter().zip([&cl0, &cl1].iter().zip(&values)))
            {
                assert_eq!(cl.len(), vs.len());
                for (claim, v) in cl.iter().zip(vs) {
                    assert_eq!(
                        *v,
                        evaluate_base(&d.inner.evals()[claim.poly], &claim.point)
                    );
                }
                assert!(d.revealed() > 0, "{c:?}");
            }
            let statements = two_statements([&c0, &c1], [&cl0, &cl1], &values);
            let opened = verify_parts(&p, &statements, &proof, &mut Transcript::new(b"t")).unwrap();
            assert_eq!(opened.len(), 2);
            // A wrong value of the later part, and its leaves and masks tampered.
            let mut v1 = values[1].clone();
            v1[0] += Ex::ONE;
            let bad = [
                statements[0],
                ZkStatement {
                    values: &v1,
                    ..statements[1]
                },
            ];
            assert_eq!(
                verify_parts(&p, &bad, &proof, &mut Transcript::new(b"t")),
                Err(ZkError::ReducedValues)
            );
            let mut q = proof.clone();
            q.base[1].values[0] += Fb::ONE;
            assert!(matches!(
                verify_parts(&p, &statements, &q, &mut Transcript::new(b"t")),
                Err(ZkError::Pcs(PcsError::JoinedMerkle { part: 1, .. }))
            ));
            let mut q = proof.clone();
            q.masks[1].values[0] += Fb::ONE;
            assert!(matches!(
                verify_parts(&p, &statements, &q, &mut Transcript::new(b"t")),
                Err(ZkError::MaskMerkle(_))
            ));
        }
    }

    /// Linear claims: groups of claims with public weights, one value per group, on one
    /// commitment (with and without the reduction) and on two; wrong values, ill-fitting groups
    /// and the budget's count.
    fn grouped_round_trip<Fb: BaseField + FftField, Ex: ExtField<Fb>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let grouped = |rng: &mut StdRng, cl: &[Claim<Ex>]| -> (Vec<Ex>, Vec<usize>) {
            let weights: Vec<Ex> = cl.iter().map(|_| Ex::rand(rng)).collect();
            // Groups of 1, 2, 3, ... claims, the last taking the rest.
            let (mut ends, mut at, mut size) = (Vec::new(), 0, 1);
            while at + size < cl.len() {
                at += size;
                ends.push(at);
                size += 1;
            }
            ends.push(cl.len());
            (weights, ends)
        };
        let expect = |evals: &[Vec<Fb>], cl: &[Claim<Ex>], g: &Groups<'_, Ex>| -> Vec<Ex> {
            let mut out = vec![Ex::ZERO; g.ends.len()];
            for (k, (c, &w)) in cl.iter().zip(g.weights).enumerate() {
                let group = g.ends.iter().position(|&e| e > k).unwrap();
                out[group] += w * evaluate_base(&evals[c.poly], &c.point);
            }
            out
        };
        // (n, fold bits, tables, claims per table): one table (no reduction), several.
        for (n, k, tables, per) in [(8, 2, 1, 6), (9, 4, 1, 4), (8, 2, 3, 2)] {
            let p = params(k, 6);
            let tabs: Vec<Vec<Fb>> = (0..tables)
                .map(|_| (0..1usize << n).map(|_| Fb::rand(&mut rng)).collect())
                .collect();
            let (c, mut data) = commit_columns(&p, tabs, n, &mut rng).unwrap();
            let cl = spread::<Ex>(&mut rng, n, tables, per);
            let (weights, ends) = grouped(&mut rng, &cl);
            let groups = Groups {
                weights: &weights,
                ends: &ends,
            };
            let before = data.revealed();
            let mut parts = [ZkPart {
                commitment: &c,
                data: &mut data,
                claims: &cl,
                groups: Some(groups),
            }];
            let (mut values, proof) =
                open_parts(&p, &mut parts, &mut rng, &mut Transcript::new(b"t")).unwrap();
            let values = values.pop().unwrap();
            assert_eq!(values, expect(data.inner.evals(), &cl, &groups));
            assert_eq!(
                data.revealed() - before,
                revealed_per_opening::<Ex>(&p, n, ends.len(), tables > 1),
                "the budget counts one functional per group"
            );
            let statement = |values| ZkStatement {
                commitment: &c,
                claims: &cl,
                groups: Some(groups),
                values,
            };
            verify_parts(
                &p,
                &[statement(&values)],
                &proof,
                &mut Transcript::new(b"t"),
            )
            .unwrap();
            // Each group's value is checked.
            for g in 0..values.len() {
                let mut bad = values.clone();
                bad[g] += Ex::ONE;
                let wrong = ZkStatement {
                    values: &bad,
                    ..statement(&values)
                };
                assert!(
                    verify_parts(&p, &[wrong], &proof, &mut Transcript::new(b"t")).is_err(),
                    "a wrong value of group {g} passed"
                );
            }
            // The same claims read as one value each do not verify against the group values.
            let ungrouped = ZkStatement {
                groups: None,
                ..statement(&values)
            };
            assert!(matches!(
                verify_parts(&p, &[ungrouped], &proof, &mut Transcript::new(b"t")),
                Err(ZkError::Pcs(PcsError::Shape { .. }))
            ));
            // Groups that do not fit the claims.
            let short = &ends[..ends.len() - 1];
            let unsorted: Vec<usize> = ends.iter().rev().copied().collect();
            for bad_ends in [short, &unsorted[..], &[0, cl.len()][..]] {
                if bad_ends.len() < 2 && bad_ends.last() == Some(&cl.len()) {
                    continue;
                }
                let bad = ZkStatement {
                    groups: Some(Groups {
                        weights: &weights,
                        ends: bad_ends,
                    }),
                    ..statement(&values)
                };
                assert_eq!(
                    verify_parts(&p, &[bad], &proof, &mut Transcript::new(b"t")),
                    Err(ZkError::Groups { part: 0 }),
                    "{bad_ends:?}"
                );
            }
            let bad = ZkStatement {
                groups: Some(Groups {
                    weights: &weights[1..],
                    ends: &ends,
                }),
                ..statement(&values)
            };
            assert_eq!(
                verify_parts(&p, &[bad], &proof, &mut Transcript::new(b"t")),
                Err(ZkError::Groups { part: 0 })
            );
        }
        // Two commitments, the later one with groups and joining after s.
        let p = params(2, 6);
        let ([c0, c1], [mut d0, mut d1], [cl0, cl1]) =
            two_parts::<Fb, Ex>(&mut rng, &p, (9, 7), (9, 7));
        let (weights, ends) = grouped(&mut rng, &cl1);
        let groups = Groups {
            weights: &weights,
            ends: &ends,
        };
        let mut parts = two_zk_parts((&c0, &mut d0, &cl0), (&c1, &mut d1, &cl1));
        parts[1].groups = Some(groups);
        let (values, proof) =
            open_parts(&p, &mut parts, &mut rng, &mut Transcript::new(b"t")).unwrap();
        assert_eq!(values[1], expect(d1.inner.evals(), &cl1, &groups));
        let mut statements = two_statements([&c0, &c1], [&cl0, &cl1], &values);
        statements[1].groups = Some(groups);
        verify_parts(&p, &statements, &proof, &mut Transcript::new(b"t")).unwrap();
        let mut v1 = values[1].clone();
        v1[0] += Ex::ONE;
        statements[1].values = &v1;
        assert_eq!(
            verify_parts(&p, &statements, &proof, &mut Transcript::new(b"t")),
            Err(ZkError::ReducedValues)
        );
    }

    #[test]
    fn grouped_claims_round_trip_on_both_fields() {
        grouped_round_trip::<F, E>(81);
        grouped_round_trip::<Bn254Fr, Bn254Fr>(82);
    }

    #[test]
    fn joint_openings_round_trip_on_both_fields() {
        joint_round_trip::<F, E>(51);
        joint_round_trip::<Bn254Fr, Bn254Fr>(52);
    }

    #[test]
    fn a_commitment_joining_before_the_masks_is_refused_and_a_cheat_in_it_is_caught() {
        let mut rng = StdRng::seed_from_u64(61);
        let p = params(4, 6);
        // n0 = 11: the masks join after 3 folds; a part of 2^10 or 2^9 would join before.
        let ([c0, c1], [mut d0, mut d1], [cl0, cl1]) =
            two_parts::<F, E>(&mut rng, &p, (11, 9), (11, 9));
        let mut parts = two_zk_parts((&c0, &mut d0, &cl0), (&c1, &mut d1, &cl1));
        assert_eq!(
            open_parts(&p, &mut parts, &mut rng, &mut Transcript::new(b"t")).map(|_| ()),
            Err(ZkError::JoinBeforeMasks {
                part: 1,
                fold: 2,
                masks: 3
            })
        );
        // A later part's table edited after its commitment: caught.
        let ([c0, c1], [mut d0, d1], [cl0, cl1]) =
            two_parts::<F, E>(&mut rng, &p, (11, 8), (11, 8));
        let mut edited = d1.clone();
        edited.inner.evals[1][9] += F::ONE;
        edited.inner.evals[1][256 + 9] += F::ONE;
        let mut parts = two_zk_parts((&c0, &mut d0, &cl0), (&c1, &mut edited, &cl1));
        let (values, proof) =
            open_parts(&p, &mut parts, &mut rng, &mut Transcript::new(b"t")).unwrap();
        let statements = two_statements([&c0, &c1], [&cl0, &cl1], &values);
        assert_eq!(
            verify_parts(&p, &statements, &proof, &mut Transcript::new(b"t")),
            Err(ZkError::Pcs(PcsError::FinalEvaluation))
        );
    }

    /// [`replayed_view`] for two commitments.
    fn replayed_view_parts(
        p: &Params,
        fhats: [Vec<Vec<F>>; 2],
        masks: [Vec<Vec<F>>; 2],
        cl: [&[Claim<E>]; 2],
        log: &Log<E>,
    ) -> Vec<F> {
        let [f0, f1] = fhats;
        let [m0, m1] = masks;
        let (c0, fd0) = basefold::commit(p, f0.clone()).unwrap();
        let (c1, fd1) = basefold::commit(p, f1.clone()).unwrap();
        let z0 = ZkCommitment {
            inner: c0,
            mask_vars: p.fold_bits as u32,
        };
        let z1 = ZkCommitment {
            inner: c1,
            mask_vars: p.fold_bits as u32,
        };
        let sh = shape(p, [(&z0, cl[0], None), (&z1, cl[1], None)].into_iter()).unwrap();
        let (_, md0) = basefold::commit(&sh.mask_params(p, 0), m0).unwrap();
        let (_, md1) = basefold::commit(&sh.mask_params(p, 1), m1).unwrap();
        let count = cl[0].len() + cl[1].len();
        let coeffs = log.fields[..count].to_vec();
        let values: Vec<Vec<E>> = [(&f0, cl[0]), (&f1, cl[1])]
            .iter()
            .map(|(f, cs)| {
                cs.iter()
                    .map(|c| evaluate_base(&f[c.poly], &c.point))
                    .collect()
            })
            .collect();
        let mut ch = Replay {
            log: log.clone(),
            at: count,
            at_index: 0,
        };
        let proof = prove_all(
            p,
            &sh,
            (&[&fd0, &fd1], &[Some(&md0), Some(&md1)]),
            (
                &cl,
                &[
                    coeffs[..cl[0].len()]
                        .iter()
                        .zip(&values[0])
                        .map(|(&a, &v)| a * v)
                        .sum(),
                    coeffs[cl[0].len()..]
                        .iter()
                        .zip(&values[1])
                        .map(|(&a, &v)| a * v)
                        .sum(),
                ],
            ),
            &coeffs,
            &mut ch,
            false,
        )
        .unwrap();
        view(&values.concat(), &proof)
    }

    #[test]
    fn a_joint_opening_reveals_nothing_about_either_commitment() {
        // A long-lived table of 2^8 (mask 2^6) and a per-proof pair of tables of 2^6 (mask 2^6,
        // joining after 2 folds, past s = 1): replayed-rank test over every unknown.
        let mut rng = StdRng::seed_from_u64(71);
        let p = params(2, 2);
        let ([c0, c1], [mut d0, mut d1], [cl0, cl1]) =
            two_parts::<F, E>(&mut rng, &p, (8, 6), (6, 6));
        let sh = shape(
            &p,
            [(&c0, &cl0[..], None), (&c1, &cl1[..], None)].into_iter(),
        )
        .unwrap();
        let sizes = [1usize << 9, 1usize << 7];
        let msizes = [sizes[0] >> sh.s, sizes[1] >> sh.s];
        let counts = [sh.masks(0), sh.masks(1)];
        let masks: [Vec<Vec<F>>; 2] = [0, 1].map(|j| {
            (0..counts[j])
                .map(|_| (0..msizes[j]).map(|_| F::rand(&mut rng)).collect())
                .collect()
        });
        let committed: Vec<Option<(Commitment, ProverData<F>)>> = (0..2)
            .map(|j| Some(basefold::commit(&sh.mask_params(&p, j), masks[j].clone()).unwrap()))
            .collect();
        let mut parts = two_zk_parts((&c0, &mut d0, &cl0), (&c1, &mut d1, &cl1));
        let (values, proof, log) = open_with(
            &p,
            &mut parts,
            &committed,
            &mut Transcript::new(b"t"),
            false,
        )
        .unwrap();
        let fhats = [d0.inner.evals().to_vec(), d1.inner.evals().to_vec()];
        let cl = [&cl0[..], &cl1[..]];
        assert_eq!(
            replayed_view_parts(&p, fhats.clone(), masks.clone(), cl, &log),
            view(&values.concat(), &proof)
        );
        // Unknowns: each part's tables (f̂ = [f; f + m]) and masks m, and the opening's masks.
        let zero_f = || {
            [
                vec![vec![F::ZERO; sizes[0]]; 1],
                vec![vec![F::ZERO; sizes[1]]; 2],
            ]
        };
        let zero_m = || {
            [
                vec![vec![F::ZERO; msizes[0]]; counts[0]],
                vec![vec![F::ZERO; msizes[1]]; counts[1]],
            ]
        };
        let column =
            |f: [Vec<Vec<F>>; 2], m: [Vec<Vec<F>>; 2]| replayed_view_parts(&p, f, m, cl, &log);
        let mut table_cols = Vec::new();
        let mut mask_cols = Vec::new();
        for (j, tables, ell) in [(0usize, 1usize, 6usize), (1, 2, 6)] {
            let half = sizes[j] / 2;
            for t in 0..tables {
                for i in 0..half {
                    let mut f = zero_f();
                    f[j][t][i] = F::ONE;
                    f[j][t][half + i] = F::ONE;
                    table_cols.push(column(f, zero_m()));
                }
                let low = (1usize << ell) - 1;
                for b in 0..=low {
                    let mut f = zero_f();
                    for x in (half..2 * half).filter(|x| x & low == b) {
                        f[j][t][x] = F::ONE;
                    }
                    mask_cols.push(column(f, zero_m()));
                }
            }
            for k in 0..counts[j] {
                for i in 0..msizes[j] {
                    let mut m = zero_m();
                    m[j][k][i] = F::ONE;
                    mask_cols.push(column(zero_f(), m));
                }
            }
        }
        let rows = table_cols[0].len();
        let matrix = |cols: &[Vec<F>]| -> Vec<Vec<F>> {
            (0..rows)
                .map(|r| cols.iter().map(|c| c[r]).collect())
                .collect()
        };
        let all: Vec<Vec<F>> = mask_cols.iter().chain(&table_cols).cloned().collect();
        assert_eq!(
            rank(matrix(&all)),
            rank(matrix(&mask_cols)),
            "nothing about the tables"
        );
        assert!(
            rank(matrix(&table_cols)) > 0,
            "the view does read the tables"
        );
    }
}
#[cfg(test)]
mod mask_at_tests {
    use super::*;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use ark_ff::UniformRand;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    #[test]
    fn mask_at_is_the_top_half_minus_the_table() {
        let mut rng = StdRng::seed_from_u64(5);
        let p = Params {
            rate_bits: 2,
            fold_bits: 2,
            queries: 8,
            pow_bits: 0,
        };
        let t: Vec<F> = (0..256).map(|_| F::rand(&mut rng)).collect();
        let (_, data) = commit(&p, t.clone(), 8, &mut rng).unwrap();
        let z: Vec<E> = (0..8).map(|_| E::rand(&mut rng)).collect();
        let beta = E::rand(&mut rng);
        let mut zb = z.clone();
        zb.push(beta);
        let fhat = evaluate_base(&data.inner.evals()[0], &zb);
        let f = evaluate_base(&t, &z);
        assert_eq!(fhat, f + beta * data.mask_at(0, &z).unwrap());
    }
}
