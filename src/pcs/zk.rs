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
use crate::field::{lift, BaseField, ExtField};
use crate::parallel::collect_indexed;
use crate::poly::{combined_eq, eq_eval, evaluate_base, Mle};
use crate::sumcheck::{self, RoundProver};
use crate::transcript::TranscriptExt;
use ark_ff::{FftField, Field};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use rand::{CryptoRng, RngCore};

/// A hiding commitment: the Basefold commitment to `f̂` (`n + 1` variables, one polynomial) and
/// the mask's variables `ℓ`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkCommitment {
    /// The commitment to `f̂(x, x_n) = f̃(x) + x_n·m̃(x_{<ℓ})`.
    pub inner: Commitment,
    /// `ℓ`: the mask `m` has `2^ℓ` entries.
    pub mask_vars: u32,
}

impl ZkCommitment {
    /// `n`: the committed table's variables (one fewer than `f̂`'s).
    pub fn table_vars(&self) -> usize {
        (self.inner.num_vars as usize).saturating_sub(1)
    }
}

/// What the prover keeps: `f̂`'s Basefold data and the count of mask functionals revealed so far.
#[derive(Clone, Debug)]
pub struct ZkProverData<F> {
    inner: ProverData<F>,
    mask_vars: usize,
    revealed: u64,
}

impl<F> ZkProverData<F> {
    /// Mask functionals (base-field units) revealed by the openings made so far.
    pub fn revealed(&self) -> u64 {
        self.revealed
    }

    /// The most mask functionals all openings together may reveal: `2^ℓ` less one first-tree
    /// leaf (so that every unopened leaf keeps fresh entries).
    pub fn budget(&self, params: &Params) -> u64 {
        let leaf = 1u64 << params.fold_bits.max(1);
        (1u64 << self.mask_vars).saturating_sub(leaf)
    }
}

/// A zero-knowledge opening.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkProof<F: Field, E: Field> {
    /// Root of the commitment to the mask `ω`, committed before the opening starts.
    pub mask_root: Digest,
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
    /// The opened leaves of `f̂`'s tree.
    pub base: LayerOpening<F>,
    /// The opened leaves of `ω`'s tree.
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
    /// The mask's variables are out of range for the table.
    #[error("a mask of 2^{mask_vars} entries does not fit a table of 2^{table_vars}: it needs between 2^{min} and 2^{table_vars}")]
    MaskVars {
        /// `ℓ` asked for.
        mask_vars: usize,
        /// The table's variables.
        table_vars: usize,
        /// The fewest `ℓ` (the first tree's leaf bits).
        min: usize,
    },
    /// The parameters' arity is too small for the mask's join (`fold_bits ≥ 2`).
    #[error("zero-knowledge openings need fold_bits >= 2; got {0}")]
    FoldBits(usize),
    /// A claim's last coordinate is 0: its value would be the table's, unmasked.
    #[error("claim {claim} has x_n = 0: its value would reveal the table's")]
    Unmasked {
        /// The claim.
        claim: usize,
    },
    /// Two claims agree on the mask's variables but not elsewhere: their values read the mask at
    /// the same point, and a combination of them would be the table's alone.
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
    /// A Merkle proof of the mask `ω`'s tree was rejected.
    #[error("the mask's tree: {0}")]
    MaskMerkle(MerkleError),
}

/// `s`: the fold after which `ω` joins (the last of the first tree's leaf folds).
fn join_step(layout: &Layout) -> usize {
    layout.arity_bits(0) - 1
}

/// The mask `ω`'s commitment parameters: leaves of `2^{k − s}` entries, exactly the block that
/// a query reads where `ω` joins. Wider leaves would reveal `ω` beside other blocks of the first
/// folded tree's leaf, and with it `f̂`'s folded word there (`spec/zk.md`).
fn mask_params(params: &Params, layout: &Layout) -> Params {
    Params {
        fold_bits: layout.arity_bits(0) - join_step(layout),
        ..*params
    }
}

/// Checks the parameters against a table of `2^n` entries and a mask of `2^ℓ`.
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

/// Commits to `table` (zero-padded to `2^n` entries, `n ≥ 1`) with a fresh mask of `2^mask_vars`
/// entries from `rng`.
pub fn commit<F: BaseField + FftField, R: RngCore + CryptoRng>(
    params: &Params,
    mut table: Vec<F>,
    mask_vars: usize,
    rng: &mut R,
) -> Result<(ZkCommitment, ZkProverData<F>), ZkError> {
    if table.is_empty() {
        return Err(PcsError::Empty { index: 0 }.into());
    }
    let n = basefold::num_vars_for(table.len());
    check_setup(params, n, mask_vars)?;
    table.resize(1 << n, F::ZERO);
    let low = (1usize << mask_vars) - 1;
    let m: Vec<F> = (0..=low).map(|_| F::rand(rng)).collect();
    let top: Vec<F> = collect_indexed(1 << n, |x| table[x] + m[x & low]);
    table.extend(top);
    let (inner, data) = basefold::commit(params, vec![table])?;
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

/// The mask functionals (base-field units) one opening with `claims` claims reveals, at most:
/// the first tree's opened entries, the claimed values and the first `s` rounds' messages.
pub fn revealed_per_opening<E: Field>(params: &Params, table_vars: usize, claims: usize) -> u64 {
    let layout = Layout::new(table_vars + 1, params);
    let s = join_step(&layout);
    let degree = E::extension_degree();
    ((params.queries as u64) << layout.arity_bits(0)) + (claims as u64 + 2 * s as u64) * degree
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

/// Absorbs the statement: the header, the commitment, the claims and their values, the mask's
/// root; returns one combination coefficient per claim.
fn absorb_statement<E: Field>(
    t: &mut Transcript,
    params: &Params,
    c: &ZkCommitment,
    points: &[Vec<E>],
    values: &[E],
    mask_root: &Digest,
) -> Vec<E> {
    let header = [
        params.rate_bits as u64,
        params.fold_bits as u64,
        params.queries as u64,
        params.pow_bits as u64,
        c.inner.num_vars as u64,
        c.mask_vars as u64,
        points.len() as u64,
    ];
    t.domain_separator(b"zk-basefold", &header);
    t.append_message(b"zk-basefold-root", &c.inner.root);
    for (z, y) in points.iter().zip(values) {
        t.append_fields(b"zk-basefold-point", z);
        t.append_field(b"zk-basefold-value", y);
    }
    t.append_message(b"zk-basefold-mask-root", mask_root);
    (0..points.len())
        .map(|_| t.challenge_field(b"zk-basefold-combine"))
        .collect()
}

/// The claims' shape, checked by prover and verifier alike.
fn check_claims<E: Field>(c: &ZkCommitment, points: &[Vec<E>]) -> Result<(), ZkError> {
    if c.inner.num_polys != 1 {
        return Err(PcsError::TooMany {
            what: "committed polynomials in a hiding commitment (one is supported)",
            got: c.inner.num_polys as usize,
        }
        .into());
    }
    if points.is_empty() {
        return Err(PcsError::NoClaims.into());
    }
    if points.len() > MAX_BATCH {
        return Err(PcsError::TooMany {
            what: "claims",
            got: points.len(),
        }
        .into());
    }
    let n1 = c.inner.num_vars as usize;
    if let Some(z) = points.iter().find(|z| z.len() != n1) {
        return Err(PcsError::PointLength {
            expected: n1,
            got: z.len(),
        }
        .into());
    }
    Ok(())
}

/// Opens `f̂` at `points` (`n + 1` coordinates each, the last nonzero) with a fresh mask from
/// `rng`: the values and the proof. Counts the opening against the commitment's budget.
pub fn open<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    params: &Params,
    c: &ZkCommitment,
    data: &mut ZkProverData<F>,
    points: &[Vec<E>],
    rng: &mut R,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, ZkProof<F, E>), ZkError> {
    open_logged(params, c, data, points, rng, transcript).map(|(v, p, _)| (v, p))
}

/// An opening's values, its proof and the challenges it drew.
type Logged<F, E> = (Vec<E>, ZkProof<F, E>, Log<E>);

/// The claims as the opening's sum-check takes them: the points, their combination
/// coefficients and the combined claimed value.
struct Combined<'a, E> {
    points: &'a [Vec<E>],
    coeffs: &'a [E],
    claim: E,
}

/// [`open`], also returning the challenges drawn.
fn open_logged<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    params: &Params,
    c: &ZkCommitment,
    data: &mut ZkProverData<F>,
    points: &[Vec<E>],
    rng: &mut R,
    transcript: &mut Transcript,
) -> Result<Logged<F, E>, ZkError> {
    check_claims(c, points)?;
    let n1 = c.inner.num_vars as usize;
    check_setup(params, n1 - 1, c.mask_vars as usize)?;
    let layout = Layout::new(n1, params);
    let s = join_step(&layout);
    let omega: Vec<F> = (0..1usize << (n1 - s)).map(|_| F::rand(rng)).collect();
    let (mask_c, mask_data) = basefold::commit(&mask_params(params, &layout), vec![omega])?;
    open_with(
        params,
        c,
        data,
        points,
        (&mask_c, &mask_data),
        transcript,
        false,
    )
}

/// The opening with a given mask commitment (honest: a fresh uniform `ω`; the tests also pass
/// dishonest ones).
fn open_with<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    c: &ZkCommitment,
    data: &mut ZkProverData<F>,
    points: &[Vec<E>],
    (mask_c, mask_data): (&Commitment, &ProverData<F>),
    transcript: &mut Transcript,
    cheat_last: bool,
) -> Result<Logged<F, E>, ZkError> {
    check_claims(c, points)?;
    let n1 = c.inner.num_vars as usize;
    check_setup(params, n1 - 1, c.mask_vars as usize)?;
    if let Some(claim) = points
        .iter()
        .position(|z| z.last().is_none_or(|b| b.is_zero()))
    {
        return Err(ZkError::Unmasked { claim });
    }
    let ell = c.mask_vars as usize;
    let mut seen: std::collections::HashMap<&[E], usize> = std::collections::HashMap::new();
    for (i, z) in points.iter().enumerate() {
        if let Some(&j) = seen.get(&z[..ell]) {
            if points[j] != *z {
                return Err(ZkError::SharedMask {
                    first: j,
                    second: i,
                    mask_vars: ell,
                });
            }
        }
        seen.entry(&z[..ell]).or_insert(i);
    }
    let needed = revealed_per_opening::<E>(params, n1 - 1, points.len());
    let budget = data.budget(params);
    if data.revealed + needed > budget {
        return Err(ZkError::Budget {
            revealed: data.revealed,
            needed,
            budget,
        });
    }
    let fhat = data.inner.evals().first().ok_or(PcsError::NoClaims)?;
    let values: Vec<E> = points.iter().map(|z| evaluate_base(fhat, z)).collect();
    let coeffs = absorb_statement(transcript, params, c, points, &values, &mask_c.root);
    let claim: E = coeffs.iter().zip(&values).map(|(&a, &v)| a * v).sum();
    let mut ch = Live {
        t: transcript,
        log: Log {
            fields: coeffs.clone(),
            indices: Vec::new(),
        },
    };
    let combined = Combined {
        points,
        coeffs: &coeffs,
        claim,
    };
    let mut proof = prove_core(
        params,
        &data.inner,
        mask_data,
        &combined,
        &mut ch,
        cheat_last,
    )?;
    proof.mask_root = mask_c.root;
    data.revealed += needed;
    Ok((values, proof, ch.log))
}

/// The opening after the statement: the sum-check and folds with `ω` joining after `s` rounds,
/// the last constant, grinding, the queries and the opened leaves (`mask_root` left zero).
fn prove_core<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    fhat: &ProverData<F>,
    mask: &ProverData<F>,
    combined: &Combined<'_, E>,
    ch: &mut impl Channel<E>,
    last_from_sumcheck: bool,
) -> Result<ZkProof<F, E>, PcsError> {
    let Combined {
        points,
        coeffs,
        claim,
    } = *combined;
    let (f_evals, f_cw) = match (fhat.evals.first(), fhat.codewords.first()) {
        (Some(e), Some(c)) => (e, c),
        _ => return Err(PcsError::NoClaims),
    };
    let (w_evals, w_cw) = match (mask.evals.first(), mask.codewords.first()) {
        (Some(e), Some(c)) => (e, c),
        _ => return Err(PcsError::NoClaims),
    };
    let n1 = f_evals.len().trailing_zeros() as usize;
    let layout = Layout::new(n1, params);
    let s = join_step(&layout);
    let g = combined_eq(points, coeffs, n1);
    let mut sc = Prover::Borrowed(BorrowedFirstRound {
        f: f_evals,
        g,
        claim,
    });
    let twiddles = FoldTwiddles::<F>::new(layout.log_size)?;
    let mut rounds = Vec::with_capacity(n1);
    let mut roots = Vec::new();
    let mut layers: Vec<(Vec<E>, MerkleTree)> = Vec::new();
    let mut pending: Vec<E> = Vec::with_capacity(layout.k);
    let mut mid: Vec<Join<'_, F, E>> = Vec::new();
    let mut len = 1usize << layout.log_size;
    let mut mask_sum = E::ZERO;
    let mut rounds_challenges: Vec<E> = Vec::with_capacity(n1);
    let fold = |layers: &[(Vec<E>, MerkleTree)], rs: &[E], count: usize, mid: &[Join<'_, F, E>]| {
        match layers.last() {
            None => fold_base_codeword_k(|x| f_cw[x], rs, &twiddles, count, mid),
            Some((c, _)) => fold_codeword_k(|x| c[x], rs, &twiddles, count, mid),
        }
    };
    for step in 0..n1 {
        if step == s {
            let claim = sc.claim();
            let (f_cur, g_cur) = sc.into_tables();
            let g_cur = match g_cur {
                Mle::Ext(g) => g,
                Mle::Base(g) => g.iter().map(|&x| lift(x)).collect(),
            };
            mask_sum = g_cur
                .iter()
                .zip(w_evals)
                .map(|(&g, &w)| crate::field::mul_base(g, w))
                .sum();
            ch.absorb(b"zk-basefold-mask-sum", &[mask_sum]);
            let w: E = nonzero(ch, b"zk-basefold-mask-weight");
            let f = collect_indexed(f_cur.len(), |x| {
                f_cur.get(x) + crate::field::mul_base(w, w_evals[x])
            });
            sc = Prover::Running(RoundProver::new(
                product_instance(Mle::Ext(f), g_cur),
                claim + w * mask_sum,
            ));
            mid.push(Join {
                step: pending.len(),
                words: vec![(w_cw.as_slice(), w)],
            });
        }
        let msg = sc.message();
        ch.absorb(b"basefold-round", &msg);
        let r: E = ch.challenge(b"basefold-challenge");
        sc = sc.bind(&msg, r);
        rounds.push(msg);
        pending.push(r);
        rounds_challenges.push(r);
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
        let r: Vec<E> = rounds_challenges.clone();
        let g: E = points
            .iter()
            .zip(coeffs)
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
        values: leaf_values(&mask.codewords, ml.depth(0), &midx),
        proof: mask.tree.open(&midx),
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

/// Verifies that `f̂` takes `values[c]` at `points[c]`. Never panics on proof data.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    c: &ZkCommitment,
    points: &[Vec<E>],
    values: &[E],
    proof: &ZkProof<F, E>,
    transcript: &mut Transcript,
) -> Result<(), ZkError> {
    check_claims(c, points)?;
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
    shape("the values", points.len(), values.len())?;
    let layout = Layout::new(n1, params);
    // A commitment beyond the field's FFT domains is refused before any size is used.
    super::code::root::<F>(layout.log_size).map_err(PcsError::from)?;
    let s = join_step(&layout);
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

    let coeffs = absorb_statement(transcript, params, c, points, values, &proof.mask_root);
    let mut ch = Live {
        t: transcript,
        log: Log::default(),
    };
    let mut claim: E = coeffs.iter().zip(values).map(|(&a, &v)| a * v).sum();
    let mut w = E::ONE;
    let mut r: Vec<E> = Vec::with_capacity(n1);
    let mut roots = proof.roots.iter();
    for (step, msg) in proof.rounds.iter().enumerate() {
        if step == s {
            ch.absorb(b"zk-basefold-mask-sum", &[proof.mask_sum]);
            w = nonzero(&mut ch, b"zk-basefold-mask-weight");
            claim += w * proof.mask_sum;
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
        .zip(&coeffs)
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
        1 << a0,
    )?;
    let ml = Layout::new(n1 - s, &mask_params(params, &layout));
    let a = ml.arity_bits(0);
    let midx = sorted_distinct(queries.iter().map(|&q| block_start(&layout, q, s) >> a));
    let mask =
        check_layer(&proof.mask, &proof.mask_root, 0, ml.depth(0), &midx, 1 << a).map_err(|e| {
            match e {
                PcsError::Merkle { source, .. } => ZkError::MaskMerkle(source),
                PcsError::Shape { expected, got, .. } => PcsError::Shape {
                    what: "the mask's opened values",
                    expected,
                    got,
                }
                .into(),
                e => e.into(),
            }
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
    let parts: [PartLeaves<'_, F>; 2] = [(base, a0, 0), (mask, a, s)];
    check_queries(
        &layout,
        &queries,
        &parts,
        &[vec![E::ONE], vec![w]],
        &layer_leaves,
        &r,
        proof.last,
    )?;
    Ok(())
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

    /// `count` random points of `n + 1` coordinates (the last nonzero).
    fn points<G: Field>(rng: &mut StdRng, n: usize, count: usize) -> Vec<Vec<G>> {
        (0..count)
            .map(|_| (0..=n).map(|_| G::rand(rng)).collect())
            .collect()
    }

    fn round_trip<Fb: BaseField + FftField, Ex: ExtField<Fb>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for (n, ell, k, claims) in [(7, 7, 2, 1), (8, 7, 2, 2), (9, 8, 4, 3), (10, 9, 4, 1)] {
            let p = params(k, 6);
            let table: Vec<Fb> = (0..(1usize << n) - 3).map(|_| Fb::rand(&mut rng)).collect();
            let (c, mut data) = commit(&p, table.clone(), ell, &mut rng).unwrap();
            assert_eq!(c.table_vars(), n);
            let zs = points::<Ex>(&mut rng, n, claims);
            let (values, proof) =
                open(&p, &c, &mut data, &zs, &mut rng, &mut Transcript::new(b"t")).unwrap();
            // The values are f̂'s: the table's plus β times the mask's.
            for (z, v) in zs.iter().zip(&values) {
                let (low, beta) = z.split_at(n);
                let mut padded = table.clone();
                padded.resize(1 << n, Fb::ZERO);
                let top: Vec<Fb> = data.inner.evals()[0][1 << n..]
                    .iter()
                    .zip(&padded)
                    .map(|(&a, &b)| a - b)
                    .collect();
                let m = evaluate_base::<Fb, Ex>(&top, low);
                assert_eq!(*v, evaluate_base::<Fb, Ex>(&padded, low) + beta[0] * m);
            }
            verify(&p, &c, &zs, &values, &proof, &mut Transcript::new(b"t")).unwrap();
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

    /// A fixture: a commitment over 2^7 entries, an honest opening at two claims.
    #[allow(clippy::type_complexity)]
    fn fixture() -> (
        Params,
        ZkCommitment,
        ZkProverData<F>,
        Vec<Vec<E>>,
        Vec<E>,
        ZkProof<F, E>,
    ) {
        let mut rng = StdRng::seed_from_u64(7);
        let p = params(2, 5);
        let table: Vec<F> = (0..128).map(|_| F::rand(&mut rng)).collect();
        let (c, mut data) = commit(&p, table, 6, &mut rng).unwrap();
        let zs = points::<E>(&mut rng, 7, 2);
        let (values, proof) =
            open(&p, &c, &mut data, &zs, &mut rng, &mut Transcript::new(b"t")).unwrap();
        (p, c, data, zs, values, proof)
    }

    fn check(
        p: &Params,
        c: &ZkCommitment,
        zs: &[Vec<E>],
        values: &[E],
        proof: &ZkProof<F, E>,
    ) -> Result<(), ZkError> {
        verify(p, c, zs, values, proof, &mut Transcript::new(b"t"))
    }

    #[test]
    fn every_part_of_the_proof_is_checked_with_its_error() {
        let (p, c, _, zs, values, proof) = fixture();
        check(&p, &c, &zs, &values, &proof).unwrap();
        let fin = Err(ZkError::Pcs(PcsError::FinalEvaluation));
        let mut v = values.clone();
        v[1] += E::ONE;
        assert_eq!(check(&p, &c, &zs, &v, &proof), fin);
        let mut z = zs.clone();
        z[0][3] += E::ONE;
        assert_eq!(check(&p, &c, &z, &values, &proof), fin);
        let tampered = |f: &dyn Fn(&mut ZkProof<F, E>)| {
            let mut q = proof.clone();
            f(&mut q);
            check(&p, &c, &zs, &values, &q)
        };
        assert_eq!(tampered(&|q| q.mask_root[0] ^= 1), fin);
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
                what: "the mask's opened values",
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
    }

    #[test]
    fn any_bytes_give_an_error_never_a_panic() {
        let (p, c, _, zs, values, proof) = fixture();
        // A commitment claiming more variables than any domain holds.
        for vars in [40u32, 63, u32::MAX] {
            let mut big = c.clone();
            big.inner.num_vars = vars;
            big.mask_vars = 8;
            let zs: Vec<Vec<E>> = vec![vec![E::ONE; (vars as usize).min(70)]];
            assert!(check(&p, &big, &zs, &values[..1], &proof).is_err());
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
                    assert!(check(&p, &c, &zs, &values, &q).is_err());
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
        let zs = points::<E>(&mut rng, 8, 2);
        let n1 = 9;
        let s = join_step(&Layout::new(n1, &p));

        // A committed entry edited after the commitment (the codeword stays the committed one):
        // the claimed values and the sum-check follow the edited table, the folds the committed
        // codeword.
        let mut edited = data.clone();
        edited.inner.evals[0][17] += F::ONE;
        edited.inner.evals[0][256 + 17] += F::ONE;
        let omega: Vec<F> = (0..1usize << (n1 - s)).map(|_| F::rand(&mut rng)).collect();
        let mp = mask_params(&p, &Layout::new(n1, &p));
        let (mc, md) = basefold::commit(&mp, vec![omega.clone()]).unwrap();
        let (values, proof, _) = open_with(
            &p,
            &c,
            &mut edited,
            &zs,
            (&mc, &md),
            &mut Transcript::new(b"t"),
            false,
        )
        .unwrap();
        assert_eq!(
            check(&p, &c, &zs, &values, &proof),
            Err(ZkError::Pcs(PcsError::FinalEvaluation))
        );

        // A mask whose committed word is no codeword: its sum is ω's, its word random.
        let (mc, mut md) = basefold::commit(&mp, vec![omega]).unwrap();
        for x in md.codewords[0].iter_mut() {
            *x = F::rand(&mut rng);
        }
        let depth = Layout::new(n1 - s, &mp).depth(0);
        md.tree = leaf_tree(&md.codewords, depth);
        let mc = Commitment {
            root: md.tree.root(),
            ..mc
        };
        let mut honest = data.clone();
        let (values, proof, _) = open_with(
            &p,
            &c,
            &mut honest.clone(),
            &zs,
            (&mc, &md),
            &mut Transcript::new(b"t"),
            false,
        )
        .unwrap();
        assert_eq!(
            check(&p, &c, &zs, &values, &proof),
            Err(ZkError::Pcs(PcsError::FinalEvaluation))
        );
        // … and with the final constant the sum-check needs, the queries catch the word.
        let (values, proof, _) = open_with(
            &p,
            &c,
            &mut honest,
            &zs,
            (&mc, &md),
            &mut Transcript::new(b"t"),
            true,
        )
        .unwrap();
        assert!(matches!(
            check(&p, &c, &zs, &values, &proof),
            Err(ZkError::Pcs(PcsError::FoldMismatch { .. }))
        ));

        // A mask sum off by one, everything else recomputed honestly from it, is what the
        // tamper test's `mask_sum` case checks; a value of the wrong table is the `values` case.
    }

    #[test]
    fn claims_without_a_mask_and_spent_budgets_are_refused() {
        let mut rng = StdRng::seed_from_u64(31);
        let p = params(2, 4);
        let table: Vec<F> = (0..64).map(|_| F::rand(&mut rng)).collect();
        let (c, mut data) = commit(&p, table, 6, &mut rng).unwrap();
        let mut zs = points::<E>(&mut rng, 6, 1);
        zs[0][6] = E::ZERO;
        assert_eq!(
            open(&p, &c, &mut data, &zs, &mut rng, &mut Transcript::new(b"t")).map(|_| ()),
            Err(ZkError::Unmasked { claim: 0 })
        );
        let mut zs = points::<E>(&mut rng, 6, 3);
        zs[2] = zs[0].clone();
        zs[2][6] += E::ONE;
        assert_eq!(
            open(&p, &c, &mut data, &zs, &mut rng, &mut Transcript::new(b"t")).map(|_| ()),
            Err(ZkError::SharedMask {
                first: 0,
                second: 2,
                mask_vars: 6
            })
        );
        // 2^6 − 4 = 60 functionals; each opening at one claim reveals 4·4 + (1 + 2)·2 = 22.
        assert_eq!(data.budget(&p), 60);
        assert_eq!(revealed_per_opening::<E>(&p, 6, 1), 22);
        for _ in 0..2 {
            let zs = points::<E>(&mut rng, 6, 1);
            open(&p, &c, &mut data, &zs, &mut rng, &mut Transcript::new(b"t")).unwrap();
        }
        let zs = points::<E>(&mut rng, 6, 1);
        assert_eq!(
            open(&p, &c, &mut data, &zs, &mut rng, &mut Transcript::new(b"t")).map(|_| ()),
            Err(ZkError::Budget {
                revealed: 44,
                needed: 22,
                budget: 60
            })
        );
        assert_eq!(
            commit(&p, vec![F::ONE; 64], 7, &mut rng).map(|_| ()),
            Err(ZkError::MaskVars {
                mask_vars: 7,
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
    /// in base-field coordinates: the claimed values, the round messages, `σ`, the final
    /// constant, and every opened leaf.
    fn view(values: &[E], proof: &ZkProof<F, E>) -> Vec<F> {
        let ext = |v: &E| v.to_base_prime_field_elements().collect::<Vec<F>>();
        let mut out: Vec<F> = values.iter().flat_map(ext).collect();
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

    /// The view of proof `log` for tables `f̂` and `ω`, with its challenges replayed.
    fn replayed_view(
        p: &Params,
        fhat: Vec<F>,
        omega: Vec<F>,
        zs: &[Vec<E>],
        log: &Log<E>,
    ) -> Vec<F> {
        let (_, fd) = basefold::commit(p, vec![fhat.clone()]).unwrap();
        let n1 = fhat.len().trailing_zeros() as usize;
        let (_, md) = basefold::commit(&mask_params(p, &Layout::new(n1, p)), vec![omega]).unwrap();
        let coeffs = log.fields[..zs.len()].to_vec();
        let values: Vec<E> = zs.iter().map(|z| evaluate_base(&fhat, z)).collect();
        let claim = coeffs.iter().zip(&values).map(|(&a, &v)| a * v).sum();
        let mut ch = Replay {
            log: log.clone(),
            at: zs.len(),
            at_index: 0,
        };
        let combined = Combined {
            points: zs,
            coeffs: &coeffs,
            claim,
        };
        let proof = prove_core(p, &fd, &md, &combined, &mut ch, false).unwrap();
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

    /// `proofs` openings of one hiding commitment of a `2^n` table (mask of `2^ell`), each at
    /// one claim: whether their views tell anything about the table, i.e. whether some linear
    /// combination of the revealed values depends on the table and on no mask. The views are
    /// linear in `(f, m, ω_1, …)` for the proofs' challenges: each unknown's column is the view
    /// of its unit vector, replayed; the views tell nothing iff the table's columns lie in the
    /// span of the masks' (`rank [M] = rank [T | M]`).
    fn leaks(n: usize, ell: usize, fold_bits: usize, proofs: usize, masked: bool) -> bool {
        let mut rng = StdRng::seed_from_u64(41 + proofs as u64);
        let p = params(fold_bits, 2);
        let table: Vec<F> = (0..1usize << n).map(|_| F::rand(&mut rng)).collect();
        let (c, mut data) = commit(&p, table, ell, &mut rng).unwrap();
        let n1 = n + 1;
        let s = join_step(&Layout::new(n1, &p));
        let runs: Vec<(Vec<Vec<E>>, Log<E>)> = (0..proofs)
            .map(|_| {
                data.revealed = 0; // beyond the budget on purpose: the test measures it
                let zs = points::<E>(&mut rng, n, 1);
                let omega: Vec<F> = (0..1usize << (n1 - s)).map(|_| F::rand(&mut rng)).collect();
                let mp = mask_params(&p, &Layout::new(n1, &p));
                let (mc, md) = basefold::commit(&mp, vec![omega.clone()]).unwrap();
                let (values, proof, log) = open_with(
                    &p,
                    &c,
                    &mut data,
                    &zs,
                    (&mc, &md),
                    &mut Transcript::new(b"t"),
                    false,
                )
                .unwrap();
                // The replayed view of the true tables is the proof's own: the columns below
                // are the real prover's.
                let fhat = data.inner.evals()[0].clone();
                assert_eq!(
                    replayed_view(&p, fhat, omega, &zs, &log),
                    view(&values, &proof)
                );
                (zs, log)
            })
            .collect();
        let size = 1usize << n;
        let low = (1usize << ell) - 1;
        let wsize = 1usize << (n1 - s);
        // Columns: the table's entries, then the mask m's, then each proof's ω.
        let mut table_cols = Vec::new();
        let mut mask_cols = Vec::new();
        let column = |fhat: Vec<F>, omega_of: &dyn Fn(usize) -> Vec<F>| -> Vec<F> {
            runs.iter()
                .enumerate()
                .flat_map(|(i, (zs, log))| replayed_view(&p, fhat.clone(), omega_of(i), zs, log))
                .collect()
        };
        let zero_omega = |_: usize| vec![F::ZERO; wsize];
        for i in 0..size {
            let mut fhat = vec![F::ZERO; 2 * size];
            fhat[i] = F::ONE;
            fhat[size + i] = F::ONE;
            table_cols.push(column(fhat, &zero_omega));
        }
        if masked {
            for j in 0..=low {
                let fhat: Vec<F> = (0..2 * size)
                    .map(|x| {
                        if x >= size && (x & low) == j {
                            F::ONE
                        } else {
                            F::ZERO
                        }
                    })
                    .collect();
                mask_cols.push(column(fhat, &zero_omega));
            }
            for proof in 0..proofs {
                for j in 0..wsize {
                    let unit = |i: usize| {
                        let mut w = vec![F::ZERO; wsize];
                        if i == proof {
                            w[j] = F::ONE;
                        }
                        w
                    };
                    mask_cols.push(column(vec![F::ZERO; 2 * size], &unit));
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
        assert!(!leaks(8, 5, 2, 1, true));
        assert!(!leaks(8, 5, 2, 2, true));
        // The same views without the masks determine table values: the test can fail.
        assert!(leaks(8, 5, 2, 1, false));
        // Beyond the budget (3 openings: 42 functionals of a 32-entry mask) the views leak.
        assert!(leaks(8, 5, 2, 3, true));
    }

    #[test]
    fn an_opening_at_the_default_arity_reveals_nothing_about_the_table() {
        // Leaves of 16 entries, ω joining after 3 folds: 2^11 entries, a mask of 2^6 (one
        // opening reveals 2·16 + (1 + 6)·2 = 46 of its functionals, budget 48), ω of 2^9.
        assert!(!leaks(11, 6, 4, 1, true));
        assert!(leaks(11, 6, 4, 1, false));
    }
}
