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
//! **Budget.** `m` is reused by every opening of the commitment: each opening reveals up to
//! [`revealed_per_opening`] linear functionals of it (base-field units), and the prover data
//! refuses an opening that would take the total beyond `2^ℓ` less one leaf
//! ([`ZkProverData::budget`]).

use super::basefold::{
    self, block_start, check_layer, check_pow, check_queries, leaf_tree, leaf_values,
    product_instance, sorted_distinct, BorrowedFirstRound, Commitment, LayerOpening, Layout,
    Params, PartLeaves, PcsError, Prover, ProverData, MAX_BATCH,
};
use super::code::{fold_base_codeword_k, fold_codeword_k, FoldTwiddles, Join};
use super::merkle::{Digest, MerkleError, MerkleTree};
use super::Claim;
use crate::field::{lift, BaseField, ExtField};
use crate::parallel::collect_indexed;
use crate::poly::{combined_eq, eq_eval, evaluate_base, Mle};
use crate::sumcheck::{self, Instance, RoundProver, Term};
use crate::transcript::TranscriptExt;
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
    mask_vars: usize,
    revealed: u64,
}

impl<F> ZkProverData<F> {
    /// Mask functionals (base-field units, per table) revealed by the openings made so far.
    pub fn revealed(&self) -> u64 {
        self.revealed
    }

    /// The most mask functionals all openings together may reveal of each table's mask: `2^ℓ`
    /// less one first-tree leaf (so that every unopened leaf keeps fresh entries).
    pub fn budget(&self, params: &Params) -> u64 {
        let leaf = 1u64 << params.fold_bits.max(1);
        (1u64 << self.mask_vars).saturating_sub(leaf)
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
    /// Root of the commitment to the masks (`ω`, then the reduction's `ω_i`), committed before
    /// the opening starts.
    pub mask_root: Digest,
    /// Present when the claims are on several tables at several points.
    pub reduction: Option<ZkReduction<E>>,
    /// The sum-check messages `g(0), g(2)`, one per variable of `f̂`.
    pub rounds: Vec<Vec<E>>,
    /// `σ = Σ_x G(r_{<s}, x)·ω(x)`, sent after `s` rounds.
    pub mask_sum: E,
    /// Roots of the folded trees.
    pub roots: Vec<Digest>,
    /// The constant the masked word folds to.
    pub last: E,
    /// The grinding nonce.
    pub pow_nonce: u64,
    /// The opened leaves of the `f̂_i`'s tree.
    pub base: LayerOpening<F>,
    /// The opened blocks of the masks' tree.
    pub mask: LayerOpening<F>,
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
    /// A Merkle proof of the masks' tree was rejected.
    #[error("the masks' tree: {0}")]
    MaskMerkle(MerkleError),
    /// The reduction's values do not match its sum-check.
    #[error("the values at the reduction's point do not match its sum-check")]
    ReducedValues,
}

/// `s`: the fold after which the masks join (the last of the first tree's leaf folds).
fn join_step(layout: &Layout) -> usize {
    layout.arity_bits(0) - 1
}

/// The masks' commitment parameters: leaves of `2^{k − s}` entries per mask, exactly the block
/// that a query reads where the masks join. Wider leaves would reveal `ω` beside other blocks of
/// the first folded tree's leaf, and with it `f̂`'s folded word there (`spec/zk.md`).
fn mask_params(params: &Params, layout: &Layout) -> Params {
    Params {
        fold_bits: layout.arity_bits(0) - join_step(layout),
        ..*params
    }
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
    let low = (1usize << mask_vars) - 1;
    let fhats: Vec<Vec<F>> = tables
        .into_iter()
        .map(|mut table| {
            table.resize(1 << n, F::ZERO);
            let m: Vec<F> = (0..=low).map(|_| F::rand(rng)).collect();
            let top: Vec<F> = collect_indexed(1 << n, |x| table[x] + m[x & low]);
            table.extend(top);
            table
        })
        .collect();
    let (inner, data) = basefold::commit(params, fhats)?;
    Ok((
        ZkCommitment {
            inner,
            mask_vars: mask_vars as u32,
        },
        ZkProverData {
            inner: data,
            mask_vars,
            revealed: 0,
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

/// Absorbs the statement: the header, the commitment, the claims and their values, the masks'
/// root; returns one combination coefficient per claim.
fn absorb_statement<E: Field>(
    t: &mut Transcript,
    params: &Params,
    c: &ZkCommitment,
    claims: &[Claim<E>],
    values: &[E],
    mask_root: &Digest,
) -> Vec<E> {
    let header = [
        params.rate_bits as u64,
        params.fold_bits as u64,
        params.queries as u64,
        params.pow_bits as u64,
        c.inner.num_vars as u64,
        c.inner.num_polys as u64,
        c.mask_vars as u64,
        claims.len() as u64,
    ];
    t.domain_separator(b"zk-basefold", &header);
    t.append_message(b"zk-basefold-root", &c.inner.root);
    for (cl, y) in claims.iter().zip(values) {
        t.append_u64(b"zk-basefold-poly", cl.poly as u64);
        t.append_fields(b"zk-basefold-point", &cl.point);
        t.append_field(b"zk-basefold-value", y);
    }
    t.append_message(b"zk-basefold-mask-root", mask_root);
    (0..claims.len())
        .map(|_| t.challenge_field(b"zk-basefold-combine"))
        .collect()
}

/// The claims' shape, checked by prover and verifier alike: the claimed tables (increasing) and
/// whether the claims need the reduction (several tables at several points).
fn check_claims<E: Field>(
    c: &ZkCommitment,
    claims: &[Claim<E>],
) -> Result<(Vec<usize>, bool), ZkError> {
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
    if claims.len() > MAX_BATCH {
        return Err(PcsError::TooMany {
            what: "claims",
            got: claims.len(),
        }
        .into());
    }
    let n1 = c.inner.num_vars as usize;
    for (i, cl) in claims.iter().enumerate() {
        if cl.poly >= polys {
            return Err(PcsError::NoSuchPolynomial {
                claim: i,
                poly: cl.poly,
                polys,
            }
            .into());
        }
        if cl.point.len() != n1 {
            return Err(PcsError::PointLength {
                expected: n1,
                got: cl.point.len(),
            }
            .into());
        }
    }
    let mut claimed: Vec<usize> = claims.iter().map(|c| c.poly).collect();
    claimed.sort_unstable();
    claimed.dedup();
    let one_point = claims.iter().all(|c| c.point == claims[0].point);
    let reduce = claimed.len() > 1 && !one_point;
    Ok((claimed, reduce))
}

/// `Σ_{c on poly} coeff_c·eq(z_c, point)`.
fn weight_at<E: Field>(claims: &[Claim<E>], coeffs: &[E], poly: usize, point: &[E]) -> E {
    claims
        .iter()
        .zip(coeffs)
        .filter(|(c, _)| c.poly == poly)
        .map(|(c, &a)| a * eq_eval(&c.point, point))
        .sum()
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
    open_logged(params, c, data, claims, rng, transcript).map(|(v, p, _)| (v, p))
}

/// An opening's values, its proof and the challenges it drew.
type Logged<F, E> = (Vec<E>, ZkProof<F, E>, Log<E>);

/// [`open`], also returning the challenges drawn.
fn open_logged<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    params: &Params,
    c: &ZkCommitment,
    data: &mut ZkProverData<F>,
    claims: &[Claim<E>],
    rng: &mut R,
    transcript: &mut Transcript,
) -> Result<Logged<F, E>, ZkError> {
    let (claimed, reduce) = check_claims(c, claims)?;
    let n1 = c.inner.num_vars as usize;
    check_setup(params, n1 - 1, c.mask_vars as usize)?;
    let layout = Layout::new(n1, params);
    let s = join_step(&layout);
    let count = 1 + if reduce { claimed.len() } else { 0 };
    let masks: Vec<Vec<F>> = (0..count)
        .map(|_| (0..1usize << (n1 - s)).map(|_| F::rand(rng)).collect())
        .collect();
    let (mask_c, mask_data) = basefold::commit(&mask_params(params, &layout), masks)?;
    open_with(
        params,
        c,
        data,
        claims,
        (&mask_c, &mask_data),
        transcript,
        false,
    )
}

/// The opening with a given masks' commitment (honest: fresh uniform masks; the tests also pass
/// dishonest ones): `ω` first, then one `ω_i` per claimed table when the claims need the
/// reduction.
fn open_with<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    c: &ZkCommitment,
    data: &mut ZkProverData<F>,
    claims: &[Claim<E>],
    (mask_c, mask_data): (&Commitment, &ProverData<F>),
    transcript: &mut Transcript,
    cheat_last: bool,
) -> Result<Logged<F, E>, ZkError> {
    let (claimed, reduce) = check_claims(c, claims)?;
    let n1 = c.inner.num_vars as usize;
    check_setup(params, n1 - 1, c.mask_vars as usize)?;
    if let Some(claim) = claims
        .iter()
        .position(|cl| cl.point.last().is_none_or(|b| b.is_zero()))
    {
        return Err(ZkError::Unmasked { claim });
    }
    let ell = c.mask_vars as usize;
    let mut seen: std::collections::HashMap<(usize, &[E]), usize> =
        std::collections::HashMap::new();
    for (i, cl) in claims.iter().enumerate() {
        let key = (cl.poly, &cl.point[..ell]);
        if let Some(&j) = seen.get(&key) {
            if claims[j].point != cl.point {
                return Err(ZkError::SharedMask {
                    first: j,
                    second: i,
                    mask_vars: ell,
                });
            }
        }
        seen.entry(key).or_insert(i);
    }
    let needed = revealed_per_opening::<E>(params, n1 - 1, claims.len(), reduce);
    let budget = data.budget(params);
    if data.revealed + needed > budget {
        return Err(ZkError::Budget {
            revealed: data.revealed,
            needed,
            budget,
        });
    }
    let evals = data.inner.evals();
    let values: Vec<E> = claims
        .iter()
        .map(|cl| evaluate_base(&evals[cl.poly], &cl.point))
        .collect();
    let coeffs = absorb_statement(transcript, params, c, claims, &values, &mask_c.root);
    let mut ch = Live {
        t: transcript,
        log: Log {
            fields: coeffs.clone(),
            indices: Vec::new(),
        },
    };
    let mut proof = prove_all(
        params,
        (&data.inner, mask_data),
        (claims, &claimed, reduce),
        &values,
        &coeffs,
        &mut ch,
        cheat_last,
    )?;
    proof.mask_root = mask_c.root;
    data.revealed += needed;
    Ok((values, proof, ch.log))
}

/// The opening's start, as its sum-check and folding take it: each committed table's weight in
/// the first word, the weight `G = Σ coeffs·eq(points, ·)`, the claim, and the reduction's masks
/// joining with `ω` (their values at `r''_{≥s}`).
struct Start<E> {
    weights: Vec<E>,
    points: Vec<Vec<E>>,
    coeffs: Vec<E>,
    claim: E,
    mask_values: Vec<E>,
}

/// The reduction (when needed) and the opening after the statement.
fn prove_all<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    (fhat, masks): (&ProverData<F>, &ProverData<F>),
    (claims, claimed, reduce): (&[Claim<E>], &[usize], bool),
    values: &[E],
    coeffs: &[E],
    ch: &mut impl Channel<E>,
    cheat_last: bool,
) -> Result<ZkProof<F, E>, PcsError> {
    let num_polys = fhat.evals.len();
    let claim: E = coeffs.iter().zip(values).map(|(&a, &v)| a * v).sum();
    let (start, reduction) = if reduce {
        let (red, point) = prove_reduction(params, fhat, masks, claims, claimed, coeffs, claim, ch);
        ch.absorb(b"zk-reduce-values", &red.values);
        ch.absorb(b"zk-reduce-values", &red.mask_values);
        let mut weights = vec![E::ZERO; num_polys];
        let mut claim = E::ZERO;
        for (k, &p) in claimed.iter().enumerate() {
            let g = if k == 0 {
                E::ONE
            } else {
                ch.challenge(b"zk-basefold-batch")
            };
            weights[p] = g;
            claim += g * red.values[k];
        }
        let start = Start {
            weights,
            points: vec![point],
            coeffs: vec![E::ONE],
            claim,
            mask_values: red.mask_values.clone(),
        };
        (start, Some(red))
    } else {
        let mut weights = vec![E::ZERO; num_polys];
        let (points, pcoeffs) = if let [p] = claimed {
            weights[*p] = E::ONE;
            (
                claims.iter().map(|c| c.point.clone()).collect(),
                coeffs.to_vec(),
            )
        } else {
            for (cl, &a) in claims.iter().zip(coeffs) {
                weights[cl.poly] += a;
            }
            (vec![claims[0].point.clone()], vec![E::ONE])
        };
        let start = Start {
            weights,
            points,
            coeffs: pcoeffs,
            claim,
            mask_values: Vec::new(),
        };
        (start, None)
    };
    let mut proof = prove_core(params, fhat, masks, &start, ch, cheat_last)?;
    proof.reduction = reduction;
    Ok(proof)
}

/// The reduction's sum-check `Σ_i Σ_x G_i(x)·f̂_i(x)` over the claimed tables, the `ω_i` (masks
/// `1 …` of `masks`) joining after `s` rounds; returns it and its point `r''`.
#[allow(clippy::too_many_arguments)]
fn prove_reduction<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    fhat: &ProverData<F>,
    masks: &ProverData<F>,
    claims: &[Claim<E>],
    claimed: &[usize],
    coeffs: &[E],
    claim: E,
    ch: &mut impl Channel<E>,
) -> (ZkReduction<E>, Vec<E>) {
    let n1 = fhat.evals[0].len().trailing_zeros() as usize;
    let s = join_step(&Layout::new(n1, params));
    let mut tables = Vec::with_capacity(2 * claimed.len());
    let mut terms = Vec::with_capacity(claimed.len());
    for &p in claimed {
        let (points, cs): (Vec<Vec<E>>, Vec<E>) = claims
            .iter()
            .zip(coeffs)
            .filter(|(c, _)| c.poly == p)
            .map(|(c, &a)| (c.point.clone(), a))
            .unzip();
        terms.push(Term {
            coeff: E::ONE,
            factors: vec![tables.len(), tables.len() + 1],
        });
        tables.push(Mle::Base(fhat.evals[p].clone()));
        tables.push(Mle::Ext(combined_eq(&points, &cs, n1)));
    }
    let instance = Instance::new(tables, terms.clone()).expect("tables of 2^(n+1) entries");
    let mut sc = RoundProver::new(instance, claim);
    let mut rounds = Vec::with_capacity(n1);
    let mut mask_sums = Vec::new();
    let mut ws = Vec::new();
    let mut point = Vec::with_capacity(n1);
    for step in 0..n1 {
        if step == s {
            let claim = sc.claim();
            let mut tables = sc.into_tables();
            for k in 0..claimed.len() {
                let omega = &masks.evals[1 + k];
                let g = &tables[2 * k + 1];
                mask_sums.push(
                    (0..omega.len())
                        .map(|x| crate::field::mul_base(g.get(x), omega[x]))
                        .sum::<E>(),
                );
            }
            ch.absorb(b"zk-reduce-mask-sums", &mask_sums);
            ws = (0..claimed.len())
                .map(|_| nonzero(ch, b"zk-reduce-mask-weight"))
                .collect::<Vec<E>>();
            for (k, &w) in ws.iter().enumerate() {
                let omega = &masks.evals[1 + k];
                let f = &tables[2 * k];
                tables[2 * k] = Mle::Ext(collect_indexed(omega.len(), |x| {
                    f.get(x) + crate::field::mul_base(w, omega[x])
                }));
            }
            let total = claim + ws.iter().zip(&mask_sums).map(|(&w, &m)| w * m).sum::<E>();
            let instance = Instance::new(tables, terms.clone()).expect("tables of equal size");
            sc = RoundProver::new(instance, total);
        }
        let msg = sc.message();
        ch.absorb(b"zk-reduce-round", &msg);
        let r: E = ch.challenge(b"zk-reduce-challenge");
        sc.bind(&msg, r);
        rounds.push(msg);
        point.push(r);
    }
    let values = claimed
        .iter()
        .map(|&p| evaluate_base(&fhat.evals[p], &point))
        .collect();
    let mask_values = (0..claimed.len())
        .map(|k| evaluate_base(&masks.evals[1 + k], &point[s..]))
        .collect();
    let _ = ws;
    (
        ZkReduction {
            rounds,
            mask_sums,
            values,
            mask_values,
        },
        point,
    )
}

/// The opening after the statement (and the reduction): the sum-check and folds with the masks
/// joining after `s` rounds, the last constant, grinding, the queries and the opened leaves
/// (`mask_root` left zero, `reduction` empty).
fn prove_core<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    fhat: &ProverData<F>,
    masks: &ProverData<F>,
    start: &Start<E>,
    ch: &mut impl Channel<E>,
    last_from_sumcheck: bool,
) -> Result<ZkProof<F, E>, PcsError> {
    let n1 = fhat
        .evals
        .first()
        .map_or(0, |e| e.len().trailing_zeros() as usize);
    let layout = Layout::new(n1, params);
    let s = join_step(&layout);
    let g = combined_eq(&start.points, &start.coeffs, n1);
    let active: Vec<(usize, E)> = start
        .weights
        .iter()
        .enumerate()
        .filter(|(_, w)| !w.is_zero())
        .map(|(i, &w)| (i, w))
        .collect();
    let single = match active.as_slice() {
        [(i, w)] if *w == E::ONE => Some(*i),
        _ => None,
    };
    let mut sc = match single {
        Some(i) => Prover::Borrowed(BorrowedFirstRound {
            f: &fhat.evals[i],
            g,
            claim: start.claim,
        }),
        None => {
            let f = collect_indexed(1 << n1, |x| {
                active
                    .iter()
                    .map(|&(i, w)| crate::field::mul_base(w, fhat.evals[i][x]))
                    .sum()
            });
            Prover::Running(RoundProver::new(
                product_instance(Mle::Ext(f), g),
                start.claim,
            ))
        }
    };
    let start_at = |x: usize| -> E {
        active
            .iter()
            .map(|&(i, w)| crate::field::mul_base(w, fhat.codewords[i][x]))
            .sum()
    };
    let twiddles = FoldTwiddles::<F>::new(layout.log_size)?;
    let mut rounds = Vec::with_capacity(n1);
    let mut roots = Vec::new();
    let mut layers: Vec<(Vec<E>, MerkleTree)> = Vec::new();
    let mut pending: Vec<E> = Vec::with_capacity(layout.k);
    let mut mid: Vec<Join<'_, F, E>> = Vec::new();
    let mut len = 1usize << layout.log_size;
    let mut mask_sum = E::ZERO;
    let mut r: Vec<E> = Vec::with_capacity(n1);
    let fold =
        |layers: &[(Vec<E>, MerkleTree)], rs: &[E], count: usize, mid: &[Join<'_, F, E>]| match (
            layers.last(),
            single,
        ) {
            (None, Some(i)) => {
                let c = &fhat.codewords[i];
                fold_base_codeword_k(|x| c[x], rs, &twiddles, count, mid)
            }
            (None, None) => fold_codeword_k(start_at, rs, &twiddles, count, mid),
            (Some((c, _)), _) => fold_codeword_k(|x| c[x], rs, &twiddles, count, mid),
        };
    for step in 0..n1 {
        if step == s {
            let claim = sc.claim();
            let (f_cur, g_cur) = sc.into_tables();
            let g_cur = match g_cur {
                Mle::Ext(g) => g,
                Mle::Base(g) => g.iter().map(|&x| lift(x)).collect(),
            };
            let omega = &masks.evals[0];
            mask_sum = g_cur
                .iter()
                .zip(omega)
                .map(|(&g, &w)| crate::field::mul_base(g, w))
                .sum();
            ch.absorb(b"zk-basefold-mask-sum", &[mask_sum]);
            let mut ws = vec![nonzero(ch, b"zk-basefold-mask-weight")];
            ws.extend((0..start.mask_values.len()).map(|_| ch.challenge(b"zk-basefold-join")));
            // The reduction's masks, claimed at r''_{≥s}: their sum against the running weight
            // is eq(r''_{<s}, r_{<s}) times their values.
            let scale = start
                .points
                .first()
                .map_or(E::ONE, |p| eq_eval(&p[..s], &r));
            let added: E = ws[1..]
                .iter()
                .zip(&start.mask_values)
                .map(|(&w, &u)| w * scale * u)
                .sum();
            let f = collect_indexed(f_cur.len(), |x| {
                f_cur.get(x)
                    + ws.iter()
                        .enumerate()
                        .map(|(i, &w)| crate::field::mul_base(w, masks.evals[i][x]))
                        .sum::<E>()
            });
            sc = Prover::Running(RoundProver::new(
                product_instance(Mle::Ext(f), g_cur),
                claim + ws[0] * mask_sum + added,
            ));
            mid.push(Join {
                step: pending.len(),
                words: masks
                    .codewords
                    .iter()
                    .zip(&ws)
                    .map(|(c, &w)| (c.as_slice(), w))
                    .collect(),
            });
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
            let next = fold(&layers, &pending, len, &mid);
            pending.clear();
            mid.clear();
            let l = (step + 1) / layout.k;
            let tree = leaf_tree(&[&next], layout.depth(l));
            ch.absorb_digest(b"basefold-fold-root", &tree.root());
            roots.push(tree.root());
            layers.push((next, tree));
        }
    }
    let mut last = fold(&layers, &pending, 1, &mid)
        .first()
        .copied()
        .unwrap_or(E::ZERO);
    if last_from_sumcheck {
        // A cheating prover's final constant: the one the sum-check's last claim needs, whatever
        // the committed words fold to (the tests' dishonest masks).
        let g: E = start
            .points
            .iter()
            .zip(&start.coeffs)
            .map(|(z, &a)| a * eq_eval(z, &r))
            .sum();
        last = sc.claim() * g.inverse().unwrap_or(E::ZERO);
    }
    ch.absorb(b"basefold-last", &[last]);
    let pow_nonce = ch.grind(params.pow_bits);

    let queries: Vec<usize> = (0..params.queries)
        .map(|_| ch.index(b"basefold-query", 1 << layout.depth(0)))
        .collect();
    let idx = sorted_distinct(queries.iter().copied());
    let base = LayerOpening {
        values: leaf_values(&fhat.codewords, layout.depth(0), &idx),
        proof: fhat.tree.open(&idx),
    };
    let ml = Layout::new(n1 - s, &mask_params(params, &layout));
    let a = ml.arity_bits(0);
    let midx = sorted_distinct(queries.iter().map(|&q| block_start(&layout, q, s) >> a));
    let mask_opening = LayerOpening {
        values: leaf_values(&masks.codewords, ml.depth(0), &midx),
        proof: masks.tree.open(&midx),
    };
    let mut idx = idx;
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
        mask_root: [0u8; super::merkle::DIGEST_BYTES],
        reduction: None,
        rounds,
        mask_sum,
        roots,
        last,
        pow_nonce,
        base,
        mask: mask_opening,
        folded,
    })
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
/// codeword's stored order): what an auditor needs to count what openings tell
/// (`tests/suite/leakage.rs`).
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_opened<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    c: &ZkCommitment,
    claims: &[Claim<E>],
    values: &[E],
    proof: &ZkProof<F, E>,
    transcript: &mut Transcript,
) -> Result<Vec<usize>, ZkError> {
    let (claimed, reduce) = check_claims(c, claims)?;
    let n1 = c.inner.num_vars as usize;
    check_setup(params, n1.saturating_sub(1), c.mask_vars as usize)?;
    let shape = |what, expected: usize, got: usize| {
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
    shape("the values", claims.len(), values.len())?;
    let layout = Layout::new(n1, params);
    // A commitment beyond the field's FFT domains is refused before any size is used.
    super::code::root::<F>(layout.log_size).map_err(PcsError::from)?;
    let s = join_step(&layout);
    shape(
        "the reduction",
        usize::from(reduce),
        usize::from(proof.reduction.is_some()),
    )?;
    if let Some(red) = &proof.reduction {
        shape("the reduction's rounds", n1, red.rounds.len())?;
        for m in &red.rounds {
            shape("a reduction round", 2, m.len())?;
        }
        shape(
            "the reduction's mask sums",
            claimed.len(),
            red.mask_sums.len(),
        )?;
        shape("the reduction's values", claimed.len(), red.values.len())?;
        shape(
            "the reduction's mask values",
            claimed.len(),
            red.mask_values.len(),
        )?;
    }
    shape("the round messages", n1, proof.rounds.len())?;
    for m in &proof.rounds {
        shape("a round message", 2, m.len())?;
    }
    shape("the folded roots", layout.trees() - 1, proof.roots.len())?;
    shape(
        "the folded openings",
        layout.trees() - 1,
        proof.folded.len(),
    )?;

    let coeffs = absorb_statement(transcript, params, c, claims, values, &proof.mask_root);
    let mut ch = Live {
        t: transcript,
        log: Log::default(),
    };
    let mut claim: E = coeffs.iter().zip(values).map(|(&a, &v)| a * v).sum();
    let num_polys = c.inner.num_polys as usize;
    let mut weights = vec![E::ZERO; num_polys];
    let (points, pcoeffs, mask_values) = match &proof.reduction {
        Some(red) => {
            let mut ws: Vec<E> = Vec::new();
            let mut point = Vec::with_capacity(n1);
            for (step, msg) in red.rounds.iter().enumerate() {
                if step == s {
                    ch.absorb(b"zk-reduce-mask-sums", &red.mask_sums);
                    ws = (0..claimed.len())
                        .map(|_| nonzero(&mut ch, b"zk-reduce-mask-weight"))
                        .collect();
                    claim += ws
                        .iter()
                        .zip(&red.mask_sums)
                        .map(|(&w, &m)| w * m)
                        .sum::<E>();
                }
                ch.absorb(b"zk-reduce-round", msg);
                let r: E = ch.challenge(b"zk-reduce-challenge");
                claim = sumcheck::next_claim(msg, claim, r);
                point.push(r);
            }
            let expected: E = claimed
                .iter()
                .zip(red.values.iter().zip(&red.mask_values))
                .zip(&ws)
                .map(|((&p, (&v, &u)), &w)| weight_at(claims, &coeffs, p, &point) * (v + w * u))
                .sum();
            if expected != claim {
                return Err(ZkError::ReducedValues);
            }
            ch.absorb(b"zk-reduce-values", &red.values);
            ch.absorb(b"zk-reduce-values", &red.mask_values);
            claim = E::ZERO;
            for (k, (&p, &v)) in claimed.iter().zip(&red.values).enumerate() {
                let g = if k == 0 {
                    E::ONE
                } else {
                    ch.challenge(b"zk-basefold-batch")
                };
                if let Some(x) = weights.get_mut(p) {
                    *x = g;
                }
                claim += g * v;
            }
            (vec![point], vec![E::ONE], red.mask_values.clone())
        }
        None => {
            if let [p] = claimed.as_slice() {
                if let Some(x) = weights.get_mut(*p) {
                    *x = E::ONE;
                }
                (
                    claims.iter().map(|c| c.point.clone()).collect(),
                    coeffs.clone(),
                    Vec::new(),
                )
            } else {
                for (cl, &a) in claims.iter().zip(&coeffs) {
                    if let Some(x) = weights.get_mut(cl.poly) {
                        *x += a;
                    }
                }
                let point = claims.first().map(|c| c.point.clone()).unwrap_or_default();
                (vec![point], vec![E::ONE], Vec::new())
            }
        }
    };
    let mut mask_weights = vec![E::ONE];
    let mut r: Vec<E> = Vec::with_capacity(n1);
    let mut roots = proof.roots.iter();
    for (step, msg) in proof.rounds.iter().enumerate() {
        if step == s {
            ch.absorb(b"zk-basefold-mask-sum", &[proof.mask_sum]);
            let w = nonzero(&mut ch, b"zk-basefold-mask-weight");
            mask_weights = vec![w];
            mask_weights.extend((0..mask_values.len()).map(|_| ch.challenge(b"zk-basefold-join")));
            let scale = points
                .first()
                .and_then(|p| p.get(..s))
                .map_or(E::ONE, |p| eq_eval(p, &r));
            claim += w * proof.mask_sum
                + mask_weights
                    .iter()
                    .skip(1)
                    .zip(&mask_values)
                    .map(|(&w, &u)| w * scale * u)
                    .sum::<E>();
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
    let g_at_r: E = points
        .iter()
        .zip(&pcoeffs)
        .map(|(z, &a)| a * eq_eval(z, &r))
        .sum();
    if claim != proof.last * g_at_r {
        return Err(PcsError::FinalEvaluation.into());
    }
    check_pow(transcript, params.pow_bits, proof.pow_nonce)?;

    let queries: Vec<usize> = (0..params.queries)
        .map(|_| transcript.challenge_index(b"basefold-query", 1 << layout.depth(0)))
        .collect();
    let a0 = layout.arity_bits(0);
    let idx = sorted_distinct(queries.iter().copied());
    let base = check_layer(
        &proof.base,
        &c.inner.root,
        0,
        layout.depth(0),
        &idx,
        num_polys << a0,
    )?;
    let ml = Layout::new(n1 - s, &mask_params(params, &layout));
    let a = ml.arity_bits(0);
    let midx = sorted_distinct(queries.iter().map(|&q| block_start(&layout, q, s) >> a));
    let mask = check_layer(
        &proof.mask,
        &proof.mask_root,
        0,
        ml.depth(0),
        &midx,
        mask_weights.len() << a,
    )
    .map_err(|e| match e {
        PcsError::Merkle { source, .. } => ZkError::MaskMerkle(source),
        PcsError::Shape { expected, got, .. } => PcsError::Shape {
            what: "the masks' opened values",
            expected,
            got,
        }
        .into(),
        e => e.into(),
    })?;
    let mut layer_leaves = Vec::with_capacity(proof.folded.len());
    let mut idx = idx;
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
    let opened: Vec<usize> = base.iter().map(|&(j, _)| j).collect();
    let parts: [PartLeaves<'_, F>; 2] = [(base, a0, 0), (mask, a, s)];
    check_queries(
        &layout,
        &queries,
        &parts,
        &[weights, mask_weights],
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
            assert_eq!(tampered(&|q| q.mask_root[0] ^= 1), first);
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
                tampered(&|q| q.base.values[2] += F::ONE),
                Err(ZkError::Pcs(PcsError::Merkle { layer: 0, .. }))
            ));
            assert!(matches!(
                tampered(&|q| q.mask.values[1] += F::ONE),
                Err(ZkError::MaskMerkle(_))
            ));
            assert!(matches!(
                tampered(&|q| q.folded[1].values[0] += E::ONE),
                Err(ZkError::Pcs(PcsError::Merkle { layer: 2, .. }))
            ));
            assert!(matches!(
                tampered(&|q| {
                    q.mask.values.pop();
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
        let s = join_step(&Layout::new(n1, &p));
        let mp = mask_params(&p, &Layout::new(n1, &p));

        // A committed entry edited after the commitment (the codeword stays the committed one):
        // the claimed values and the sum-check follow the edited table, the folds the committed
        // codeword.
        let mut edited = data.clone();
        edited.inner.evals[0][17] += F::ONE;
        edited.inner.evals[0][256 + 17] += F::ONE;
        let omega: Vec<F> = (0..1usize << (n1 - s)).map(|_| F::rand(&mut rng)).collect();
        let (mc, md) = basefold::commit(&mp, vec![omega.clone()]).unwrap();
        let t = &mut Transcript::new(b"t");
        let (values, proof, _) = open_with(&p, &c, &mut edited, &cl, (&mc, &md), t, false).unwrap();
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
        let t = &mut Transcript::new(b"t");
        let (values, proof, _) =
            open_with(&p, &c, &mut data.clone(), &cl, (&mc, &md), t, false).unwrap();
        assert_eq!(
            check(&p, &c, &cl, &values, &proof),
            Err(ZkError::Pcs(PcsError::FinalEvaluation))
        );
        // … and with the final constant the sum-check needs, the queries catch the word.
        let t = &mut Transcript::new(b"t");
        let (values, proof, _) =
            open_with(&p, &c, &mut data.clone(), &cl, (&mc, &md), t, true).unwrap();
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
        let (mc, md) = basefold::commit(&mp, masks).unwrap();
        let t = &mut Transcript::new(b"t");
        let (values, proof, _) = open_with(&p, &c, &mut edited, &cl, (&mc, &md), t, false).unwrap();
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
        out.extend(proof.base.values.iter().copied());
        out.extend(proof.mask.values.iter().copied());
        out.extend(
            proof
                .folded
                .iter()
                .flat_map(|o| o.values.iter().flat_map(ext)),
        );
        out
    }

    /// The view of proof `log` for tables `f̂_i` and masks, with its challenges replayed.
    fn replayed_view(
        p: &Params,
        fhats: Vec<Vec<F>>,
        masks: Vec<Vec<F>>,
        cl: &[Claim<E>],
        log: &Log<E>,
    ) -> Vec<F> {
        let n1 = fhats[0].len().trailing_zeros() as usize;
        let (_, fd) = basefold::commit(p, fhats.clone()).unwrap();
        let (_, md) = basefold::commit(&mask_params(p, &Layout::new(n1, p)), masks).unwrap();
        let mut claimed: Vec<usize> = cl.iter().map(|c| c.poly).collect();
        claimed.sort_unstable();
        claimed.dedup();
        let reduce = claimed.len() > 1 && cl.iter().any(|c| c.point != cl[0].point);
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
            (&fd, &md),
            (cl, &claimed, reduce),
            &values,
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
        } = *case;
        let mut rng = StdRng::seed_from_u64(41 + proofs as u64);
        let p = params(fold_bits, 2);
        let tabs: Vec<Vec<F>> = (0..tables)
            .map(|_| (0..1usize << n).map(|_| F::rand(&mut rng)).collect())
            .collect();
        let (c, mut data) = commit_columns(&p, tabs, ell, &mut rng).unwrap();
        let n1 = n + 1;
        let s = join_step(&Layout::new(n1, &p));
        let mp = mask_params(&p, &Layout::new(n1, &p));
        let wsize = 1usize << (n1 - s);
        let nmasks = 1 + if tables > 1 { tables } else { 0 };
        let runs: Vec<(Vec<Claim<E>>, Log<E>)> = (0..proofs)
            .map(|_| {
                data.revealed = 0; // beyond the budget on purpose: the test measures it
                let cl = spread::<E>(&mut rng, n, tables, per);
                let masks: Vec<Vec<F>> = (0..nmasks)
                    .map(|_| (0..wsize).map(|_| F::rand(&mut rng)).collect())
                    .collect();
                let (mc, md) = basefold::commit(&mp, masks.clone()).unwrap();
                let t = &mut Transcript::new(b"t");
                let (values, proof, log) =
                    open_with(&p, &c, &mut data, &cl, (&mc, &md), t, false).unwrap();
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
        };
        assert!(!leaks(&case, true));
        assert!(leaks(&case, false));
    }
}
