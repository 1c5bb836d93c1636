//! Basefold (Zeilberger–Chen–Fisch, eprint 2023/1705) for several multilinear polynomials over
//! the base field, committed together, and any evaluation claims `f̃_i(z) = y` on them,
//! `z ∈ E^n`.
//!
//! **Commit.** Each polynomial's monomial coefficients → Reed–Solomon codeword at rate
//! `2^-rate_bits` (stored in bit-reversed order, [`super::code`]) → one blake3 Merkle tree whose
//! leaf `q` holds, for every polynomial, the block of `2^k` entries (`k = fold_bits`) that `k`
//! folds combine.
//!
//! **Open.** The claims become one sum-check `Σ_x f(x)·G(x)` with `f = Σ_i w_i·f_i`:
//! * one polynomial: `G = Σ_c α^c·eq(z_c, ·)` (HyperPlonk §3.8);
//! * one point: `G = eq(z, ·)`, `w_i = Σ_{c on i} α^c`;
//! * otherwise a first sum-check `Σ_x Σ_i f_i(x)·G_i(x)` reduces every claim to one point `r'`,
//!   the prover sends `f̃_i(r')`, and the single-point case follows with `w_i = γ^i`.
//!
//! The sum-check runs in lock-step with the folding of `Σ_i w_i·c_i`: after each challenge the
//! codeword is folded; every `k` folds the folded codeword is committed (leaves of `2^k`
//! entries) and its root absorbed. After `n` folds it is the constant `f̃(r)`, checked against
//! the sum-check's last claim. Then `queries` leaves of the first tree are drawn; the prover
//! opens them and the leaves they lead to in every later tree (one deduplicated Merkle proof
//! per tree); the verifier checks every proof and recomputes every fold. See `spec/pcs.md` for
//! the transcript and the security accounting ([`Params::security_bits`]).

use super::code::DomainTooLarge;
use super::code::{
    bit_reverse, encode_evals, fold_base_codeword_k, fold_codeword_k, fold_combined_codeword_k,
    fold_leaf, leaf_twiddles, root, FoldTwiddles, Join,
};
use super::merkle::{hash_leaf, Digest, LeafHasher, MerkleError, MerkleTree, MultiProof};
use super::Claim;
use crate::codec::DecodeError;
use crate::field::{lift, BaseField, ExtField};
use crate::parallel::collect_indexed;
use crate::poly::{combined_eq, eq_eval, eq_sum, evaluate_base, Mle};
use crate::sumcheck::{self, Instance, RoundProver, SumcheckError, Term};
use crate::transcript::TranscriptExt;
use ark_ff::{BigInteger, FftField, Field, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

/// The most claims one opening takes, and the most polynomials one commitment holds: the
/// security statement counts them ([`Params::security_bits`]).
pub const MAX_BATCH: usize = 1 << 16;

/// The code rate, the folding arity and the number of queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// The rate is `2^-rate_bits`.
    pub rate_bits: usize,
    /// Each Merkle tree after the first holds the codeword `fold_bits` folds after the previous
    /// one; a leaf holds the `2^fold_bits` entries that those folds combine.
    pub fold_bits: usize,
    /// Leaves of the first tree queried.
    pub queries: usize,
    /// Proof-of-work bits before the queries are drawn (grinding): the prover must find a nonce
    /// whose hash with a transcript challenge starts with this many zero bits. Each bit stands
    /// for one bit of the security level that queries need not provide. At most
    /// [`MAX_POW_BITS`].
    pub pow_bits: usize,
}

/// The largest grinding parameter [`Params::pow_bits`] accepted.
pub const MAX_POW_BITS: usize = 32;

/// `log2 |E|`.
pub fn field_bits<E: Field>() -> f64 {
    let limbs = <E::BasePrimeField as PrimeField>::MODULUS;
    let log_p = limbs
        .as_ref()
        .iter()
        .rev()
        .fold(0f64, |acc, &l| acc * 2f64.powi(64) + l as f64)
        .log2();
    log_p * E::extension_degree() as f64
}

impl Params {
    /// The default rate (1/4) and arity (16).
    pub const DEFAULT_RATE_BITS: usize = 2;
    /// See [`Self::DEFAULT_RATE_BITS`].
    pub const DEFAULT_FOLD_BITS: usize = 4;

    /// The proven soundness, in bits, of an opening of polynomials with `num_vars` variables,
    /// for a challenge field of `ext_bits` bits (at most [`MAX_BATCH`] claims and polynomials):
    /// `−log2 ε` with
    ///
    /// ```text
    /// ε = 2^−pow_bits·((1 + ρ)/2)^q  +  3·2^{n + rate_bits}/|E|  +  (n² + 3n + 2·MAX_BATCH)/|E|
    /// ```
    ///
    /// — queries against a word beyond the unique-decoding radius `(1 − ρ)/2` (each attempt at
    /// them costing a cheating prover `2^pow_bits` hashes), the proximity gaps of the batching,
    /// of the commitments that join later ([`open_parts`]) and of the folds (unique decoding,
    /// BCIKS20), and the sum-checks (degree 2: the main one and the start's reduction over `n`
    /// variables, the joins' reductions over at most `n(n − 1)/2` rounds in all) and random
    /// combinations.
    /// `spec/pcs.md` derives it.
    pub fn security_bits(&self, num_vars: usize, ext_bits: f64) -> f64 {
        let rho = 2f64.powi(-(self.rate_bits as i32));
        let query = ((1.0 + rho) / 2.0).log2() * self.queries as f64
            - self.pow_bits.min(MAX_POW_BITS) as f64;
        let rest = Self::non_query_error_log2(num_vars, self.rate_bits, ext_bits);
        -log2_add(query, rest)
    }

    /// `log2` of the error terms that no number of queries removes.
    fn non_query_error_log2(num_vars: usize, rate_bits: usize, ext_bits: f64) -> f64 {
        let fold = 3f64.log2() + (num_vars + rate_bits) as f64 - ext_bits;
        let other = ((num_vars * num_vars + 3 * num_vars + 2 * MAX_BATCH) as f64).log2() - ext_bits;
        log2_add(fold, other)
    }

    /// The fewest queries that give `security_bits` proven bits for polynomials of up to
    /// `max_vars` variables at this rate and arity, without grinding; an error when no query
    /// count can.
    pub fn for_security<E: Field>(
        max_vars: usize,
        security_bits: usize,
        rate_bits: usize,
        fold_bits: usize,
    ) -> Result<Self, PcsError> {
        Self::for_security_with_pow::<E>(max_vars, security_bits, rate_bits, fold_bits, 0)
    }

    /// [`Self::for_security`] with `pow_bits` of grinding, which the queries need not cover.
    pub fn for_security_with_pow<E: Field>(
        max_vars: usize,
        security_bits: usize,
        rate_bits: usize,
        fold_bits: usize,
        pow_bits: usize,
    ) -> Result<Self, PcsError> {
        let ext_bits = field_bits::<E>();
        let rest = Self::non_query_error_log2(max_vars, rate_bits, ext_bits);
        let target = -(security_bits as f64);
        let unreachable = PcsError::SecurityUnreachable {
            bits: security_bits,
            max_vars,
            cap: (-rest).ceil() as u32,
        };
        if rate_bits == 0 || fold_bits == 0 || rest >= target || pow_bits > MAX_POW_BITS {
            return Err(unreachable);
        }
        // 2^−pow·((1+ρ)/2)^q ≤ 2^target − 2^rest.
        let budget = target + (1.0 - 2f64.powf(rest - target)).log2() + pow_bits as f64;
        let rho = 2f64.powi(-(rate_bits as i32));
        let per_query = -((1.0 + rho) / 2.0).log2();
        let queries = (-budget / per_query).ceil() as usize;
        let p = Self {
            rate_bits,
            fold_bits,
            queries: queries.max(1),
            pow_bits,
        };
        debug_assert!(p.security_bits(max_vars, ext_bits) >= security_bits as f64);
        Ok(p)
    }
}

/// `log2(2^a + 2^b)`.
fn log2_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (1.0 + 2f64.powf(lo - hi)).log2()
}

/// A commitment: the Merkle root, the number of variables and of polynomials.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Commitment {
    /// Root of the first tree.
    pub root: Digest,
    /// Variables of each committed polynomial.
    pub num_vars: u32,
    /// Polynomials committed together.
    pub num_polys: u32,
}

impl<F> ProverData<F> {
    /// The committed tables (evaluations), in commit order.
    pub fn evals(&self) -> &[Vec<F>] {
        &self.evals
    }
}

/// What the prover keeps from the commitment.
#[derive(Clone, Debug)]
pub struct ProverData<F> {
    pub(super) evals: Vec<Vec<F>>,
    pub(super) codewords: Vec<Vec<F>>,
    pub(super) tree: MerkleTree,
}

/// The opened leaves of one tree (in increasing leaf order, each leaf's entries in a row) and
/// their Merkle proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LayerOpening<G: Field> {
    /// The entries of the opened leaves.
    pub values: Vec<G>,
    /// The siblings that tie them to the tree's root.
    pub proof: MultiProof,
}

/// The reduction of claims at several points on several polynomials to one point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Reduction<E: Field> {
    /// The sum-check for `Σ_x Σ_i f_i(x)·G_i(x)`.
    pub sumcheck: sumcheck::Proof<E>,
    /// `f̃_i(r')` for each claimed polynomial, in increasing index order.
    pub values: Vec<E>,
}

/// An evaluation proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof<F: Field, E: Field> {
    /// Present when the claims on the commitments there from the start are at several points
    /// on several polynomials, or there are several such commitments.
    pub reduction: Option<Reduction<E>>,
    /// One per fold at which later commitments join ([`open_parts`]): the sum-check that reduces
    /// the running sum and the joining claims to one point over the variables left, and the
    /// values there (the running word's first, then the joining polynomials').
    pub joins: Vec<Reduction<E>>,
    /// The sum-check messages `g(0), g(2)`, one per variable.
    pub rounds: Vec<Vec<E>>,
    /// Roots of the folded trees.
    pub roots: Vec<Digest>,
    /// The constant the codeword folds to: `f̃(r)`.
    pub last: E,
    /// The grinding nonce ([`Params::pow_bits`]; 0 without grinding).
    pub pow_nonce: u64,
    /// The opened leaves of the (first) commitment's tree.
    pub base: LayerOpening<F>,
    /// The opened leaves of the other commitments' trees, in order ([`open_parts`]).
    pub joined: Vec<LayerOpening<F>>,
    /// The opened leaves of each folded tree.
    pub folded: Vec<LayerOpening<E>>,
}

impl<F: Field, E: Field> Proof<F, E> {
    /// Compressed bytes of each part, for size breakdowns: the sum-checks with the roots, the
    /// final constant and the nonce; the committed trees' opened leaves; each folded tree's.
    pub fn part_sizes(&self) -> Vec<(String, usize)> {
        let sumchecks = self.reduction.compressed_size()
            + self.joins.compressed_size()
            + self.rounds.compressed_size()
            + self.roots.compressed_size()
            + self.last.compressed_size()
            + self.pow_nonce.compressed_size();
        let mut parts = vec![
            ("sum-checks".to_string(), sumchecks),
            (
                "committed trees".to_string(),
                self.base.compressed_size() + self.joined.compressed_size(),
            ),
        ];
        for (i, o) in self.folded.iter().enumerate() {
            parts.push((format!("folded tree {}", i + 1), o.compressed_size()));
        }
        parts
    }
}

/// Why committing, opening or verifying failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcsError {
    /// A committed polynomial has no evaluations (polynomial `index`), or a commitment claims
    /// no variables.
    #[error("polynomial {index} has no evaluations")]
    Empty {
        /// The polynomial.
        index: usize,
    },
    /// More polynomials or claims than the security statement covers.
    #[error("{got} {what}; at most {MAX_BATCH} are supported")]
    TooMany {
        /// Polynomials or claims.
        what: &'static str,
        /// How many were given.
        got: usize,
    },
    /// No polynomial was given to commit.
    #[error("a commitment needs at least one polynomial")]
    NoPolynomials,
    /// The codeword's domain is too large for the field.
    #[error(transparent)]
    Domain(#[from] DomainTooLarge),
    /// A commitment is larger than the parameters were set up for.
    #[error("a commitment of 2^{num_vars} entries is beyond the 2^{max_vars} that the parameters are set up for at the stated security level")]
    BeyondSetup {
        /// Variables of the commitment.
        num_vars: usize,
        /// The most the parameters cover.
        max_vars: usize,
    },
    /// No parameters reach the security level asked for.
    #[error("{bits}-bit security is out of reach for 2^{max_vars} entries: the proximity-gap and sum-check terms cap it below {cap} bits")]
    SecurityUnreachable {
        /// Bits asked for.
        bits: usize,
        /// Variables asked for.
        max_vars: usize,
        /// The most bits any query count gives, rounded up.
        cap: u32,
    },
    /// A claim names a polynomial the commitment does not hold.
    #[error("claim {claim} is on polynomial {poly}; the commitment holds {polys}")]
    NoSuchPolynomial {
        /// The claim.
        claim: usize,
        /// The polynomial it names.
        poly: usize,
        /// Polynomials committed.
        polys: usize,
    },
    /// An evaluation point has the wrong number of coordinates.
    #[error("the point has {got} coordinates; the polynomial has {expected} variables")]
    PointLength {
        /// Variables.
        expected: usize,
        /// Coordinates given.
        got: usize,
    },
    /// No evaluation claim was given.
    #[error("an opening needs at least one evaluation claim")]
    NoClaims,
    /// A joint opening's commitment has more variables than the first.
    #[error("commitment {part} of a joint opening has more variables than the first")]
    PartOrder {
        /// Which commitment.
        part: usize,
    },
    /// A part of the proof has the wrong number of entries.
    #[error("malformed proof: {what} has {got} entries; expected {expected}")]
    Shape {
        /// Which part.
        what: &'static str,
        /// Entries expected.
        expected: usize,
        /// Entries found.
        got: usize,
    },
    /// The reduction's sum-check proof is malformed.
    #[error("the reduction to one point: {0}")]
    Reduction(#[from] SumcheckError),
    /// The values at the reduction's point do not match its sum-check.
    #[error("the values at the common point do not match the reduction's sum-check")]
    ReducedValues,
    /// The values at a join's common point do not match its reduction's sum-check.
    #[error("the values where commitments join after {fold} folds do not match their sum-check")]
    JoinValues {
        /// The fold at which they join.
        fold: usize,
    },
    /// A split claim's value is not the combination of its columns' values ([`super::split`]).
    #[error("claim {claim}: the value is not the combination of its columns' values")]
    SplitValues {
        /// The claim.
        claim: usize,
    },
    /// The sum-check's last claim does not match the constant the codeword folds to.
    #[error("the folded constant does not match the sum-check's final claim")]
    FinalEvaluation,
    /// The grinding nonce does not give the required zero bits (or is nonzero without
    /// grinding).
    #[error("the proof-of-work nonce is wrong")]
    ProofOfWork,
    /// A Merkle proof was rejected.
    #[error("layer {layer}: {source}")]
    Merkle {
        /// Which tree (0 = the commitment).
        layer: usize,
        /// The proof's error.
        source: MerkleError,
    },
    /// A Merkle proof of a later commitment's tree in a joint opening was rejected.
    #[error("commitment {part}: {source}")]
    JoinedMerkle {
        /// Which commitment (1 = the second).
        part: usize,
        /// The proof's error.
        source: MerkleError,
    },
    /// An opened value is not the fold of the layer below.
    #[error("query {query}: layer {layer} does not hold the fold of layer {}", layer - 1)]
    FoldMismatch {
        /// Which query.
        query: usize,
        /// The tree whose value disagrees (the number of trees = the final constant).
        layer: usize,
    },
    /// The proof bytes do not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Basefold with fixed parameters, as a [`super::MultilinearPcs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Basefold {
    /// Rate, arity and query count.
    pub params: Params,
}

impl Basefold {
    /// Parameters for polynomials of up to `max_vars` variables at `security_bits` proven bits,
    /// with the default rate and arity ([`Params::for_security`]); checks that the field holds
    /// the codeword's domain.
    pub fn setup<F: FftField, E: Field>(
        max_vars: usize,
        security_bits: usize,
    ) -> Result<Self, PcsError> {
        root::<F>(max_vars + Params::DEFAULT_RATE_BITS)?;
        let params = Params::for_security::<E>(
            max_vars,
            security_bits,
            Params::DEFAULT_RATE_BITS,
            Params::DEFAULT_FOLD_BITS,
        )?;
        Ok(Self { params })
    }
}

impl<F: BaseField + FftField, E: ExtField<F>> super::MultilinearPcs<F, E> for Basefold {
    type Commitment = Commitment;
    type ProverData = ProverData<F>;
    type Proof = Proof<F, E>;

    fn setup(max_vars: usize, security_bits: usize) -> Result<Self, PcsError> {
        Basefold::setup::<F, E>(max_vars, security_bits)
    }

    fn commit(&self, polys: Vec<Vec<F>>) -> Result<(Commitment, ProverData<F>), PcsError> {
        commit(&self.params, polys)
    }

    fn open(
        &self,
        commitment: &Commitment,
        data: &ProverData<F>,
        claims: &[Claim<E>],
        transcript: &mut Transcript,
    ) -> Result<(Vec<E>, Proof<F, E>), PcsError> {
        open(&self.params, commitment, data, claims, transcript)
    }

    fn verify(
        &self,
        commitment: &Commitment,
        claims: &[Claim<E>],
        values: &[E],
        proof: &Proof<F, E>,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        verify(&self.params, commitment, claims, values, proof, transcript)
    }
}

/// The trees of an opening: tree `l` holds the codeword after `l·k` folds, in leaves of
/// `2^{arity(l)}` entries.
#[derive(Clone, Copy, Debug)]
pub(super) struct Layout {
    pub(super) n: usize,
    pub(super) log_size: usize,
    pub(super) k: usize,
}

impl Layout {
    pub(super) fn new(n: usize, p: &Params) -> Self {
        Self {
            n,
            log_size: n + p.rate_bits,
            k: p.fold_bits.max(1),
        }
    }
    /// Number of trees (the commitment's included).
    pub(super) fn trees(&self) -> usize {
        self.n.div_ceil(self.k)
    }
    /// Folds that tree `l`'s leaves take.
    pub(super) fn arity_bits(&self, l: usize) -> usize {
        self.k.min(self.n - l * self.k)
    }
    /// log2 of the number of leaves of tree `l`.
    pub(super) fn depth(&self, l: usize) -> usize {
        self.log_size - l * self.k - self.arity_bits(l)
    }
}

/// The number of variables of a table of `len` entries: `max(1, ⌈log2 len⌉)`.
pub fn num_vars_for(len: usize) -> usize {
    len.next_power_of_two().trailing_zeros().max(1) as usize
}

/// Commits to polynomials with these evaluations on the hypercube (index order of
/// [`crate::poly`]). Tables of any nonzero length are zero-padded to `2^n` entries with
/// `n = num_vars_for(longest)`: each is the multilinear polynomial of its padded table, and
/// claims on it are over `n` variables.
pub fn commit<F: BaseField + FftField>(
    params: &Params,
    mut polys: Vec<Vec<F>>,
) -> Result<(Commitment, ProverData<F>), PcsError> {
    if polys.is_empty() {
        return Err(PcsError::NoPolynomials);
    }
    if let Some(index) = polys.iter().position(Vec::is_empty) {
        return Err(PcsError::Empty { index });
    }
    if polys.len() > MAX_BATCH {
        return Err(PcsError::TooMany {
            what: "polynomials",
            got: polys.len(),
        });
    }
    let n = num_vars_for(polys.iter().map(Vec::len).max().unwrap_or(1));
    root::<F>(n + params.rate_bits)?;
    for p in polys.iter_mut() {
        p.resize(1 << n, F::ZERO);
    }
    let layout = Layout::new(n, params);
    let codewords = polys
        .iter()
        .map(|e| encode_evals(e, params.rate_bits))
        .collect::<Result<Vec<_>, _>>()?;
    let tree = leaf_tree(&codewords, layout.depth(0));
    let commitment = Commitment {
        root: tree.root(),
        num_vars: n as u32,
        num_polys: polys.len() as u32,
    };
    Ok((
        commitment,
        ProverData {
            evals: polys,
            codewords,
            tree,
        },
    ))
}

/// Why stored prover data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoredError {
    /// Reading failed (or the data ends early).
    #[error("reading the prover data: {0}")]
    Io(String),
    /// The data does not belong to this commitment: its root differs, an entry is not a field
    /// element, or a sampled leaf or codeword entry disagrees with the tables.
    #[error("the prover data does not match the commitment ({0})")]
    Mismatch(&'static str),
}

/// Elements per chunk when streaming codewords.
const CHUNK: usize = 1 << 16;

impl<F: BaseField + FftField> ProverData<F> {
    /// Writes what an opening needs besides the committed tables, which the caller can
    /// recompute cheaply: each codeword (every element as its canonical little-endian limbs) and
    /// the commitment tree's leaf digests. Encoding and hashing them is most of a commitment's
    /// cost; [`Self::read_stored`] reads them back.
    pub fn write_stored(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        let limbs = F::BigInt::NUM_LIMBS;
        let mut buf = Vec::with_capacity(CHUNK * limbs * 8);
        for c in &self.codewords {
            for chunk in c.chunks(CHUNK) {
                buf.clear();
                for x in chunk {
                    for l in x.into_bigint().as_ref() {
                        buf.extend_from_slice(&l.to_le_bytes());
                    }
                }
                w.write_all(&buf)?;
            }
        }
        for d in self.tree.leaf_digests() {
            w.write_all(d)?;
        }
        Ok(())
    }

    /// Reads what [`Self::write_stored`] wrote, for `commitment` under `params`, given the
    /// committed tables `evals` (recomputed by the caller). Checks, before trusting it: every
    /// entry is a canonical field element, the leaf digests lead to the commitment's root,
    /// `samples` random leaves hash to their digests, and `samples` random codeword entries
    /// are the tables' encodings there (each an `O(2^n)` evaluation).
    pub fn read_stored(
        params: &Params,
        commitment: &Commitment,
        mut evals: Vec<Vec<F>>,
        r: &mut impl std::io::Read,
        samples: usize,
        seed: u64,
    ) -> Result<Self, StoredError> {
        let n = commitment.num_vars as usize;
        if evals.len() != commitment.num_polys as usize
            || evals.iter().any(|e| e.len() > 1 << n)
            || n + params.rate_bits >= usize::BITS as usize
        {
            return Err(StoredError::Mismatch("the tables' shape"));
        }
        for e in evals.iter_mut() {
            e.resize(1 << n, F::ZERO);
        }
        let io = |e: std::io::Error| {
            StoredError::Io(match e.kind() {
                std::io::ErrorKind::UnexpectedEof => "the data ends early (truncated)".into(),
                _ => e.to_string(),
            })
        };
        let limbs = F::BigInt::NUM_LIMBS;
        let len = 1usize << (n + params.rate_bits);
        let mut codewords = Vec::with_capacity(evals.len());
        let mut bytes = vec![0u8; CHUNK * limbs * 8];
        for _ in 0..evals.len() {
            let mut c: Vec<F> = Vec::with_capacity(len);
            while c.len() < len {
                let k = CHUNK.min(len - c.len());
                let b = &mut bytes[..k * limbs * 8];
                r.read_exact(b).map_err(io)?;
                for e in b.chunks_exact(limbs * 8) {
                    let mut big = F::BigInt::default();
                    for (l, w) in big.as_mut().iter_mut().zip(e.chunks_exact(8)) {
                        let mut le = [0u8; 8];
                        le.copy_from_slice(w);
                        *l = u64::from_le_bytes(le);
                    }
                    c.push(
                        F::from_bigint(big)
                            .ok_or(StoredError::Mismatch("an entry is not a field element"))?,
                    );
                }
            }
            codewords.push(c);
        }
        let depth = Layout::new(n, params).depth(0);
        let mut leaves = vec![[0u8; crate::pcs::merkle::DIGEST_BYTES]; 1 << depth];
        for d in leaves.iter_mut() {
            r.read_exact(d).map_err(io)?;
        }
        let mut rest = [0u8; 1];
        if r.read(&mut rest).map_err(io)? != 0 {
            return Err(StoredError::Mismatch("bytes left over"));
        }
        let tree = MerkleTree::from_leaf_digests(&leaves);
        if tree.root() != commitment.root {
            return Err(StoredError::Mismatch("the root"));
        }
        // Spot checks: leaves against their digests, codeword entries against the tables.
        let mut state = seed | 1;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        for _ in 0..samples {
            let q = next(1 << depth);
            let mut h = LeafHasher::new();
            for v in leaf(&codewords, depth, q) {
                h.push(v);
            }
            if h.finish() != leaves[q] {
                return Err(StoredError::Mismatch("a sampled leaf"));
            }
        }
        let log_len = n + params.rate_bits;
        let omega = root::<F>(log_len).map_err(|_| StoredError::Mismatch("the domain"))?;
        for (e, c) in evals.iter().zip(&codewords) {
            let mut coeffs = e.clone();
            super::code::evals_to_coeffs(&mut coeffs);
            for _ in 0..samples.min(4) {
                let j = next(len);
                let x = omega.pow([j as u64]);
                let value = coeffs.iter().rev().fold(F::ZERO, |acc, &a| acc * x + a);
                if c[super::code::bit_reverse(j, log_len)] != value {
                    return Err(StoredError::Mismatch("a sampled codeword entry"));
                }
            }
        }
        Ok(ProverData {
            evals,
            codewords,
            tree,
        })
    }
}

/// Leaf `q` of the tree with `2^depth` leaves over these codewords (storage order): block `q`
/// of each codeword, codeword by codeword.
fn leaf<G: Field, C: AsRef<[G]>>(
    codewords: &[C],
    depth: usize,
    q: usize,
) -> impl Iterator<Item = &G> {
    codewords.iter().flat_map(move |c| {
        let c = c.as_ref();
        let w = c.len() >> depth;
        &c[q * w..(q + 1) * w]
    })
}

/// The tree over `2^depth` leaves ([`leaf`]).
pub(super) fn leaf_tree<G: Field, C: AsRef<[G]> + Sync>(
    codewords: &[C],
    depth: usize,
) -> MerkleTree {
    MerkleTree::new(1 << depth, |q| {
        let mut h = LeafHasher::new();
        for v in leaf(codewords, depth, q) {
            h.push(v);
        }
        h.finish()
    })
}

/// The entries of leaves `idx` (increasing) of the tree over `codewords` with `2^depth` leaves.
pub(super) fn leaf_values<G: Field, C: AsRef<[G]>>(
    codewords: &[C],
    depth: usize,
    idx: &[usize],
) -> Vec<G> {
    idx.iter()
        .flat_map(|&q| leaf(codewords, depth, q).copied())
        .collect()
}

/// One commitment's share of an opening: the commitment, the prover's data, and the claims on
/// its polynomials (points over its own number of variables).
#[derive(Clone, Copy, Debug)]
pub struct Part<'a, F, E> {
    /// The commitment.
    pub commitment: &'a Commitment,
    /// What the prover kept from it.
    pub data: &'a ProverData<F>,
    /// Claims on its polynomials.
    pub claims: &'a [Claim<E>],
}

/// The verifier's view of one commitment's share of an opening.
#[derive(Clone, Copy, Debug)]
pub struct Statement<'a, E> {
    /// The commitment.
    pub commitment: &'a Commitment,
    /// Claims on its polynomials.
    pub claims: &'a [Claim<E>],
    /// The claimed values, one per claim.
    pub values: &'a [E],
}

/// The shape of an opening, derived the same way by prover and verifier from the statement.
struct Shape {
    /// Variables of the first (largest) commitment: the opening's sum-check and folds run over
    /// them.
    n: usize,
    /// Per part: `n − n_j`, the fold after which its polynomials join the folded word.
    join_at: Vec<usize>,
    /// Per part: its claimed polynomials, increasing.
    polys: Vec<Vec<usize>>,
    /// Whether the claims on the commitments there from the start (`n_j = n`) go through the
    /// reduction to one point (several such commitments, or several polynomials at several
    /// points). Later commitments are reduced where they join.
    reduce: bool,
}

/// The claims' shape, checked the same way by prover and verifier.
fn check_claims<E>(c: &Commitment, claims: &[Claim<E>]) -> Result<(), PcsError> {
    let n = c.num_vars as usize;
    if n == 0 {
        return Err(PcsError::Empty { index: 0 });
    }
    if c.num_polys == 0 || c.num_polys as usize > MAX_BATCH {
        return Err(PcsError::TooMany {
            what: "committed polynomials",
            got: c.num_polys as usize,
        });
    }
    if claims.is_empty() {
        return Err(PcsError::NoClaims);
    }
    if claims.len() > MAX_BATCH {
        return Err(PcsError::TooMany {
            what: "claims",
            got: claims.len(),
        });
    }
    for (i, cl) in claims.iter().enumerate() {
        if cl.poly >= c.num_polys as usize {
            return Err(PcsError::NoSuchPolynomial {
                claim: i,
                poly: cl.poly,
                polys: c.num_polys as usize,
            });
        }
        if cl.point.len() != n {
            return Err(PcsError::PointLength {
                expected: n,
                got: cl.point.len(),
            });
        }
    }
    Ok(())
}

/// Checks every part's claims and the parts' order (the first has the most variables), and
/// derives the opening's shape.
fn shape<'a, E: 'a + PartialEq>(
    parts: impl ExactSizeIterator<Item = (&'a Commitment, &'a [Claim<E>])> + Clone,
) -> Result<Shape, PcsError> {
    if parts.len() == 0 {
        return Err(PcsError::NoClaims);
    }
    if parts.len() > MAX_BATCH {
        return Err(PcsError::TooMany {
            what: "commitments",
            got: parts.len(),
        });
    }
    let (mut polys_total, mut claims_total) = (0usize, 0usize);
    for (c, claims) in parts.clone() {
        check_claims(c, claims)?;
        polys_total += c.num_polys as usize;
        claims_total += claims.len();
    }
    if polys_total > MAX_BATCH {
        return Err(PcsError::TooMany {
            what: "committed polynomials",
            got: polys_total,
        });
    }
    if claims_total > MAX_BATCH {
        return Err(PcsError::TooMany {
            what: "claims",
            got: claims_total,
        });
    }
    let n = parts.clone().next().map_or(0, |(c, _)| c.num_vars as usize);
    let mut join_at = Vec::with_capacity(parts.len());
    let mut polys = Vec::with_capacity(parts.len());
    let (mut several, mut start) = (false, 0);
    for (part, (c, claims)) in parts.clone().enumerate() {
        let nj = c.num_vars as usize;
        if nj > n {
            return Err(PcsError::PartOrder { part });
        }
        join_at.push(n - nj);
        let (p, reduce) = claimed_polys(claims);
        if nj == n {
            several |= reduce;
            start += 1;
        }
        polys.push(p);
    }
    Ok(Shape {
        n,
        reduce: several || start > 1,
        join_at,
        polys,
    })
}

/// Absorbs the statement; returns one independent combination coefficient per claim (all parts'
/// claims, in order).
fn absorb_statement<'a, E: Field>(
    t: &mut Transcript,
    params: &Params,
    parts: impl Iterator<Item = (&'a Commitment, &'a [Claim<E>], &'a [E])>,
    num_parts: usize,
) -> Vec<E> {
    let header = [
        params.rate_bits as u64,
        params.fold_bits as u64,
        params.queries as u64,
        params.pow_bits as u64,
        num_parts as u64,
    ];
    t.domain_separator(b"basefold", &header);
    let mut count = 0;
    for (c, claims, values) in parts {
        t.append_u64(b"basefold-vars", c.num_vars as u64);
        t.append_u64(b"basefold-polys", c.num_polys as u64);
        t.append_u64(b"basefold-claims", claims.len() as u64);
        t.append_message(b"basefold-root", &c.root);
        for (cl, y) in claims.iter().zip(values) {
            t.append_u64(b"basefold-poly", cl.poly as u64);
            t.append_fields(b"basefold-point", &cl.point);
            t.append_field(b"basefold-value", y);
        }
        count += claims.len();
    }
    challenges(t, b"basefold-combine", count)
}

/// `count` independent challenges under one label.
pub(super) fn challenges<E: Field>(
    t: &mut Transcript,
    label: &'static [u8],
    count: usize,
) -> Vec<E> {
    (0..count).map(|_| t.challenge_field(label)).collect()
}

/// The claimed polynomials in increasing order, and whether the claims need the reduction to
/// one point (several polynomials and several points).
fn claimed_polys<E: PartialEq>(claims: &[Claim<E>]) -> (Vec<usize>, bool) {
    let mut polys: Vec<usize> = claims.iter().map(|c| c.poly).collect();
    polys.sort_unstable();
    polys.dedup();
    let one_point = claims
        .iter()
        .all(|c| claims.first().map(|f| &f.point) == Some(&c.point));
    (polys.clone(), polys.len() > 1 && !one_point)
}

/// The combination coefficients of the claims on polynomial `p` (for the reduction's `G_p`):
/// the points and coefficients of the claims on `p`.
fn claims_on<E: Field>(claims: &[Claim<E>], coeffs: &[E], p: usize) -> (Vec<Vec<E>>, Vec<E>) {
    claims
        .iter()
        .zip(coeffs)
        .filter(|(c, _)| c.poly == p)
        .map(|(c, &a)| (c.point.clone(), a))
        .unzip()
}

/// What the main sum-check proves, `Σ_x F(x)·G(x) = claim`, with `G = Σ_c coeffs[c]·eq(points[c],
/// ·)` and `F` the weighted sum of the polynomials of the parts that take part from the start
/// (`weights[j][i]`, zero for the others; the later parts join with weights drawn when they
/// join).
struct Merged<E> {
    weights: Vec<Vec<E>>,
    points: Vec<Vec<E>>,
    coeffs: Vec<E>,
    claim: E,
}

/// The merge without the reduction (one commitment): one polynomial at several points, or one
/// point.
fn merge_direct<E: Field>(
    num_polys: &[usize],
    claims: &[Claim<E>],
    values: &[E],
    coeffs: &[E],
) -> Merged<E> {
    let coeffs = coeffs.get(..claims.len()).unwrap_or(coeffs);
    let claim = claimed_sum(coeffs, values);
    let (polys, _) = claimed_polys(claims);
    let mut all: Vec<Vec<E>> = num_polys.iter().map(|&t| vec![E::ZERO; t]).collect();
    let mut weights = vec![E::ZERO; num_polys.first().copied().unwrap_or(0)];
    if let [p] = polys.as_slice() {
        if let Some(w) = weights.get_mut(*p) {
            *w = E::ONE;
        }
        if let Some(first) = all.first_mut() {
            *first = weights;
        }
        Merged {
            weights: all,
            points: claims.iter().map(|c| c.point.clone()).collect(),
            coeffs: coeffs.to_vec(),
            claim,
        }
    } else {
        for (c, &a) in claims.iter().zip(coeffs) {
            if let Some(w) = weights.get_mut(c.poly) {
                *w += a;
            }
        }
        if let Some(first) = all.first_mut() {
            *first = weights;
        }
        Merged {
            weights: all,
            points: claims
                .first()
                .map(|c| vec![c.point.clone()])
                .unwrap_or_default(),
            coeffs: vec![E::ONE],
            claim,
        }
    }
}

/// After the reduction: the values at `r'` of the parts there from the start (`join_at = 0`;
/// `reduced` is empty for the others) are absorbed and their polynomials batched with weight 1
/// for the first and independent challenges for the others; `F` is claimed at `r'`.
fn merge_reduced<E: Field>(
    t: &mut Transcript,
    shape: &Shape,
    num_polys: &[usize],
    point: Vec<E>,
    reduced: Vec<Vec<E>>,
) -> Merged<E> {
    for (v, _) in reduced.iter().zip(&shape.join_at).filter(|(_, &d)| d == 0) {
        t.append_fields(b"basefold-reduced", v);
    }
    let first: usize = shape
        .join_at
        .iter()
        .zip(&shape.polys)
        .filter(|(&d, _)| d == 0)
        .map(|(_, p)| p.len())
        .sum();
    let drawn: Vec<E> = challenges(t, b"basefold-batch", first.saturating_sub(1));
    let mut batch = std::iter::once(E::ONE).chain(drawn);
    let mut weights: Vec<Vec<E>> = num_polys.iter().map(|&t| vec![E::ZERO; t]).collect();
    let mut claim = E::ZERO;
    for (j, (polys, &d)) in shape.polys.iter().zip(&shape.join_at).enumerate() {
        if d != 0 {
            continue;
        }
        for (k, &p) in polys.iter().enumerate() {
            let w = batch.next().unwrap_or(E::ONE);
            if let Some(x) = weights.get_mut(j).and_then(|ws| ws.get_mut(p)) {
                *x = w;
            }
            if let Some(v) = reduced.get(j).and_then(|vs| vs.get(k)) {
                claim += w * *v;
            }
        }
    }
    Merged {
        weights,
        points: vec![point],
        coeffs: vec![E::ONE],
        claim,
    }
}

/// The combination coefficients' offsets: part `j`'s claims use `coeffs[offsets[j]..]`.
pub(super) fn claim_offsets(counts: impl Iterator<Item = usize>) -> Vec<usize> {
    counts
        .scan(0, |o, c| {
            let at = *o;
            *o += c;
            Some(at)
        })
        .collect()
}

/// A part's claimed sum `S_j = Σ_c coeff_c·y_c`.
fn claimed_sum<E: Field>(coeffs: &[E], values: &[E]) -> E {
    values.iter().zip(coeffs).map(|(&y, &a)| a * y).sum()
}

/// `Σ_c coeff_c·eq(z_c, point)` over the claims on polynomial `poly`: its `G_poly` at `point`.
pub(super) fn g_at<E: Field>(claims: &[Claim<E>], coeffs: &[E], poly: usize, point: &[E]) -> E {
    let terms: Vec<(&[E], E)> = claims
        .iter()
        .zip(coeffs)
        .filter(|(c, _)| c.poly == poly)
        .map(|(c, &a)| (c.point.as_slice(), a))
        .collect();
    eq_sum(&terms, point)
}

/// `Σ_c coeff_c·eq(points_c, (bound, free))`: a weight `Σ_c coeff_c·eq(points_c, ·)` whose first
/// `bound.len()` variables are bound, at `free`.
fn weight_at<E: Field>(points: &[Vec<E>], coeffs: &[E], bound: &[E], free: &[E]) -> E {
    points
        .iter()
        .zip(coeffs)
        .map(|(z, &a)| {
            let (lo, hi) = z.split_at(bound.len().min(z.len()));
            a * eq_eval(lo, bound) * eq_eval(hi, free)
        })
        .sum()
}

/// Where the block that a query follows starts in the word after `s` folds: the query's leaf
/// `q0` of the first tree spans positions `q0·2^{a_0} ..` of the first word; the tree whose folds
/// include `s` reads it in leaves of `2^{b − s}` entries after `s` folds, `b` the fold at which
/// that tree's leaves end.
pub(super) fn block_start(layout: &Layout, q0: usize, s: usize) -> usize {
    let wide = q0 << layout.arity_bits(0);
    let l = s / layout.k;
    let end = ((l + 1) * layout.k).min(layout.n);
    (wide >> end) << (end - s)
}

/// A joint opening's values (per part, per claim) and its proof.
pub type Opened<F, E> = (Vec<Vec<E>>, Proof<F, E>);

/// Opens the committed polynomials at the claims: returns the values `f̃_{poly}(point)` and one
/// proof for all of them.
pub fn open<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    commitment: &Commitment,
    data: &ProverData<F>,
    claims: &[Claim<E>],
    transcript: &mut Transcript,
) -> Result<(Vec<E>, Proof<F, E>), PcsError> {
    let (mut values, proof) = open_parts(
        params,
        &[Part {
            commitment,
            data,
            claims,
        }],
        transcript,
    )?;
    Ok((values.pop().unwrap_or_default(), proof))
}

/// One opening for claims on several commitments (one [`Part`] each, the first with the most
/// variables): the values per part, and one proof. A commitment of `n_j < n` variables joins
/// the folding after `n − n_j` folds (its polynomials stand on the last `n_j` of the first
/// commitment's variables), so the proof holds one chain of folded trees and, per commitment,
/// only its opened first-tree leaves. See `spec/pcs.md`.
pub fn open_parts<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    parts: &[Part<'_, F, E>],
    transcript: &mut Transcript,
) -> Result<Opened<F, E>, PcsError> {
    open_inner(params, parts, transcript, None)
}

/// [`open_parts`], optionally committing a corrupted codeword at one folded tree while still
/// sending the honest final constant (for the tests of the verifier's fold checks).
fn open_inner<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    parts: &[Part<'_, F, E>],
    transcript: &mut Transcript,
    corrupt_tree: Option<usize>,
) -> Result<Opened<F, E>, PcsError> {
    let shape = shape(parts.iter().map(|p| (p.commitment, p.claims)))?;
    for p in parts {
        if p.data.evals.len() != p.commitment.num_polys as usize
            || p.data.evals.first().map(Vec::len) != Some(1 << p.commitment.num_vars)
        {
            return Err(PcsError::Shape {
                what: "the prover data",
                expected: p.commitment.num_polys as usize,
                got: p.data.evals.len(),
            });
        }
    }
    let n = shape.n;
    let values: Vec<Vec<E>> = parts
        .iter()
        .map(|p| {
            p.claims
                .iter()
                .map(|c| evaluate_base(&p.data.evals[c.poly], &c.point))
                .collect()
        })
        .collect();
    let coeffs = absorb_statement(
        transcript,
        params,
        parts
            .iter()
            .zip(&values)
            .map(|(p, v)| (p.commitment, p.claims, v.as_slice())),
        parts.len(),
    );
    let num_polys: Vec<usize> = parts.iter().map(|p| p.data.evals.len()).collect();

    // The reduction to one point, when needed.
    let (merged, reduction) = if shape.reduce {
        let (proof, point, reduced) = reduce_prove(parts, &shape, &coeffs, &values, transcript);
        let flat = reduced.concat();
        let merged = merge_reduced(transcript, &shape, &num_polys, point, reduced);
        (
            merged,
            Some(Reduction {
                sumcheck: proof,
                values: flat,
            }),
        )
    } else {
        (
            merge_direct(&num_polys, parts[0].claims, &values[0], &coeffs),
            None,
        )
    };

    // The first word: Σ w·c over the parts that take part from the start; kept in the base
    // field when it is one polynomial with weight 1.
    let start: Vec<(usize, usize, E)> = merged
        .weights
        .iter()
        .enumerate()
        .flat_map(|(j, ws)| {
            ws.iter()
                .enumerate()
                .filter(|(_, w)| !w.is_zero())
                .map(move |(i, &w)| (j, i, w))
        })
        .collect();
    let single = match start.as_slice() {
        [(j, i, w)] if *w == E::ONE => Some((*j, *i)),
        _ => None,
    };
    // The committed tables are read in place (no copy, and no combination of their own size):
    // the first round runs on them and on `G` directly ([`BorrowedFirstRound`]), and its fold
    // writes their combination at half the size, where the sum-check prover starts.
    let g = combined_eq(&merged.points, &merged.coeffs, n);
    let mut sc = Prover::Borrowed(BorrowedFirstRound {
        fs: start
            .iter()
            .map(|&(j, i, w)| (parts[j].data.evals[i].as_slice(), w))
            .collect(),
        g,
        claim: merged.claim,
    });
    let layout = Layout::new(n, params);
    let twiddles = FoldTwiddles::<F>::new(layout.log_size)?;
    let mut rounds = Vec::with_capacity(n);
    let mut roots = Vec::new();
    // The committed folded codewords and their trees. Between two trees the codeword is
    // folded in one leaf-wise pass (`fold_codeword_k`): the intermediate codewords are never
    // materialized, except where a later commitment joins. `word` is what folding continues
    // from: the first word (combined on the fly), a committed tree's word, or a word of its
    // own (a joined word, or the honest word when the committed one was corrupted on purpose).
    let mut layers: Vec<(Vec<E>, MerkleTree)> = Vec::new();
    let mut word: Word<E> = Word::Start;
    let mut pending: Vec<E> = Vec::with_capacity(layout.k);
    let mut len = 1usize << layout.log_size;
    let start_at = |x: usize| -> E {
        match single {
            Some((j, i)) => lift(parts[j].data.codewords[i][x]),
            None => start
                .iter()
                .map(|&(j, i, w)| w * lift::<E>(parts[j].data.codewords[i][x]))
                .sum(),
        }
    };
    // The first word's codewords and weights, combined by the first fold on the fly.
    let start_words: Vec<(&[F], E)> = start
        .iter()
        .map(|&(j, i, w)| (parts[j].data.codewords[i].as_slice(), w))
        .collect();
    // `mid`: the commitments joining after some of the folds `rs` (added leaf by leaf).
    let fold = |word: &Word<E>,
                layers: &[(Vec<E>, MerkleTree)],
                rs: &[E],
                count: usize,
                mid: &[Join<'_, F, E>]| match word {
        Word::Start => match single {
            Some((j, i)) => {
                let c = &parts[j].data.codewords[i];
                fold_base_codeword_k(|x| c[x], rs, &twiddles, count, mid)
            }
            None => fold_combined_codeword_k(&start_words, rs, &twiddles, count, mid),
        },
        Word::Tree(l) => {
            let c = &layers[*l].0;
            fold_codeword_k(|x| c[x], rs, &twiddles, count, mid)
        }
        Word::Own(c) => fold_codeword_k(|x| c[x], rs, &twiddles, count, mid),
    };
    let mut mid: Vec<Join<'_, F, E>> = Vec::new();
    let offsets = claim_offsets(parts.iter().map(|p| p.claims.len()));
    let mut joins = Vec::new();
    for s in 0..n {
        // Later commitments joining after `s` folds: the running sum and their claims are
        // reduced to one point over the variables left, and their polynomials join the word
        // and the sum-check with weights drawn after the values there.
        let joining: Vec<usize> = (0..parts.len())
            .filter(|&j| s > 0 && shape.join_at[j] == s)
            .collect();
        if !joining.is_empty() {
            let claim = sc.claim();
            let (f_cur, g_cur) = sc.into_tables();
            let mut tables = vec![f_cur.clone(), g_cur];
            let mut terms = vec![Term {
                coeff: E::ONE,
                factors: vec![0, 1],
            }];
            let mut total = claim;
            for &j in &joining {
                let cf = &coeffs[offsets[j]..offsets[j] + parts[j].claims.len()];
                total += claimed_sum(cf, &values[j]);
                let (tb, tm) = claim_tables(&parts[j], cf, &shape.polys[j], tables.len());
                tables.extend(tb);
                terms.extend(tm);
            }
            let instance = Instance::new(tables, terms).expect("tables of 2^(n - s) entries");
            let out = sumcheck::prove(instance, total, transcript);
            let reduced: Vec<E> = out.table_values.iter().step_by(2).copied().collect();
            transcript.append_fields(b"basefold-join-values", &reduced);
            let w: Vec<E> = challenges(transcript, b"basefold-join", reduced.len() - 1);
            let claim = reduced[0] + w.iter().zip(&reduced[1..]).map(|(&w, &v)| w * v).sum::<E>();
            let mut wi = w.iter();
            let adds: Vec<(usize, usize, E)> = joining
                .iter()
                .flat_map(|&j| shape.polys[j].iter().map(move |&p| (j, p)))
                .map(|(j, p)| (j, p, wi.next().copied().unwrap_or(E::ZERO)))
                .collect();
            if pending.is_empty() {
                // At a tree's first fold: the word joined, materialized.
                let mut here = match std::mem::replace(&mut word, Word::Start) {
                    Word::Start => collect_indexed(len, start_at),
                    Word::Tree(l) => layers[l].0.clone(),
                    Word::Own(c) => c,
                };
                const CHUNK: usize = 1 << 12;
                crate::parallel::for_each_indexed_chunk_mut(&mut here, CHUNK, |c, block| {
                    for (u, v) in block.iter_mut().enumerate() {
                        let x = c * CHUNK + u;
                        *v += adds
                            .iter()
                            .map(|&(j, i, w)| w * lift::<E>(parts[j].data.codewords[i][x]))
                            .sum::<E>();
                    }
                });
                word = Word::Own(here);
            } else {
                // Inside a tree's leaves: added by the next leaf-wise fold.
                mid.push(Join {
                    step: pending.len(),
                    words: adds
                        .iter()
                        .map(|&(j, i, w)| (parts[j].data.codewords[i].as_slice(), w))
                        .collect(),
                });
            }
            let f = collect_indexed(f_cur.len(), |x| {
                f_cur.get(x)
                    + adds
                        .iter()
                        .map(|&(j, i, w)| w * lift::<E>(parts[j].data.evals[i][x]))
                        .sum::<E>()
            });
            drop(f_cur);
            sc = Prover::Running(RoundProver::new(
                product_instance(Mle::Ext(f), crate::poly::eq_table(&out.point)),
                claim,
            ));
            joins.push(Reduction {
                sumcheck: out.proof,
                values: reduced,
            });
        }
        let msg = sc.message();
        transcript.append_fields(b"basefold-round", &msg);
        let r: E = transcript.challenge_field(b"basefold-challenge");
        sc = sc.bind(&msg, r);
        rounds.push(msg);
        pending.push(r);
        if (s + 1) % layout.k == 0 && s + 1 < n {
            len >>= pending.len();
            let next = fold(&word, &layers, &pending, len, &mid);
            pending.clear();
            mid.clear();
            let l = (s + 1) / layout.k;
            let (committed, own) = if corrupt_tree == Some(l) {
                let bad = next.iter().map(|&x| x + E::ONE).collect();
                (bad, Some(next))
            } else {
                (next, None)
            };
            let tree = leaf_tree(&[&committed], layout.depth(l));
            transcript.append_message(b"basefold-fold-root", &tree.root());
            roots.push(tree.root());
            layers.push((committed, tree));
            word = match own {
                Some(c) => Word::Own(c),
                None => Word::Tree(layers.len() - 1),
            };
        }
    }
    // After all `n` folds the codeword is constant: fold one leaf for its value.
    let last = fold(&word, &layers, &pending, 1, &mid)
        .first()
        .copied()
        .unwrap_or(E::ZERO);
    transcript.append_field(b"basefold-last", &last);
    let pow_nonce = grind(transcript, params.pow_bits);

    // Queries: leaves of the first tree, the leaves they lead to in each later tree, and in
    // each part's first tree the leaf holding the block that joins there.
    let queries = draw_queries(transcript, params.queries, layout.depth(0));
    let mut openings = parts.iter().zip(&shape.join_at).map(|(p, &d)| {
        let pl = Layout::new(p.commitment.num_vars as usize, params);
        let a = pl.arity_bits(0);
        let idx = sorted_distinct(queries.iter().map(|&q| block_start(&layout, q, d) >> a));
        LayerOpening {
            values: leaf_values(&p.data.codewords, pl.depth(0), &idx),
            proof: p.data.tree.open(&idx),
        }
    });
    let base = openings.next().ok_or(PcsError::NoClaims)?;
    let joined = openings.collect();
    let mut idx = sorted_distinct(queries.iter().copied());
    let folded = layers
        .iter()
        .enumerate()
        .map(|(i, (cw, tree))| {
            let l = i + 1;
            let depth = layout.depth(l);
            idx = sorted_distinct(idx.iter().map(|q| q >> layout.arity_bits(l)));
            LayerOpening {
                values: leaf_values(&[cw], depth, &idx),
                proof: tree.open(&idx),
            }
        })
        .collect();
    Ok((
        values,
        Proof {
            reduction,
            joins,
            rounds,
            roots,
            last,
            pow_nonce,
            base,
            joined,
            folded,
        },
    ))
}

/// What the opening's folding continues from.
enum Word<E> {
    /// The first word, `Σ w·c` over the parts there from the start (never materialized).
    Start,
    /// A committed folded tree's word.
    Tree(usize),
    /// A word of its own.
    Own(Vec<E>),
}

/// Per claimed polynomial `p` of a part (increasing): its table and `G_p = Σ_{c on p}
/// coeff_c·eq(z_c, ·)`, and the term `f_p·G_p` (factors counted from `offset`).
fn claim_tables<F: BaseField, E: ExtField<F>>(
    part: &Part<'_, F, E>,
    coeffs: &[E],
    polys: &[usize],
    offset: usize,
) -> (Vec<Mle<F, E>>, Vec<Term<E>>) {
    let n = part.commitment.num_vars as usize;
    let mut tables = Vec::with_capacity(2 * polys.len());
    let mut terms = Vec::with_capacity(polys.len());
    for &poly in polys {
        let (points, c) = claims_on(part.claims, coeffs, poly);
        terms.push(Term {
            coeff: E::ONE,
            factors: vec![offset + tables.len(), offset + tables.len() + 1],
        });
        tables.push(Mle::Base(part.data.evals[poly].clone()));
        tables.push(Mle::Ext(combined_eq(&points, &c, n)));
    }
    (tables, terms)
}

/// The reduction's sum-check over `n` variables of `Σ_{j: n_j = n} Σ_p f_{j,p}(x)·G_{j,p}(x)`
/// for the parts there from the start. Returns the proof, the point `r'` and, per part,
/// `f̃_{j,p}(r')` for its claimed polynomials (empty for the parts that join later). The
/// committed tables `f_{j,p}` are read in place: the first round runs on them and on the
/// `G_{j,p}` ([`borrowed_round`]), and the sum-check continues on their folds.
fn reduce_prove<F: BaseField + FftField, E: ExtField<F>>(
    parts: &[Part<'_, F, E>],
    shape: &Shape,
    coeffs: &[E],
    values: &[Vec<E>],
    t: &mut Transcript,
) -> (sumcheck::Proof<E>, Vec<E>, Vec<Vec<E>>) {
    let offsets = claim_offsets(parts.iter().map(|p| p.claims.len()));
    let start: Vec<usize> = (0..parts.len())
        .filter(|&j| shape.join_at[j] == 0)
        .collect();
    // Per claimed polynomial: its committed table and `G = Σ_{c on it} coeff_c·eq(z_c, ·)`.
    let mut pairs: Vec<(&[F], Vec<E>)> = Vec::new();
    let mut total = E::ZERO;
    for &j in &start {
        let cf = &coeffs[offsets[j]..offsets[j] + parts[j].claims.len()];
        total += claimed_sum(cf, &values[j]);
        let n = parts[j].commitment.num_vars as usize;
        for &poly in &shape.polys[j] {
            let (points, c) = claims_on(parts[j].claims, cf, poly);
            pairs.push((
                parts[j].data.evals[poly].as_slice(),
                combined_eq(&points, &c, n),
            ));
        }
    }
    let first = pairs.iter().fold(vec![E::ZERO; 2], |mut m, (f, g)| {
        let (at0, at2) = borrowed_round(f, g);
        m[0] += at0;
        m[1] += at2;
        m
    });
    let rest = |r: E| {
        let mut tables = Vec::with_capacity(2 * pairs.len());
        let mut terms = Vec::with_capacity(pairs.len());
        for (f, mut g) in pairs {
            terms.push(Term {
                coeff: E::ONE,
                factors: vec![tables.len(), tables.len() + 1],
            });
            tables.push(Mle::Ext(crate::poly::fold_base(f, r)));
            crate::poly::fold_ext(&mut g, r);
            tables.push(Mle::Ext(g));
        }
        Instance::new(tables, terms).expect("tables of 2^(n - 1) entries, degree 2")
    };
    let out = sumcheck::prove_after_first_round(shape.n, 2, total, first, rest, t);
    let mut reduced: Vec<Vec<E>> = vec![Vec::new(); parts.len()];
    let mut at = out.table_values.iter().step_by(2);
    for &j in &start {
        reduced[j] = at.by_ref().take(shape.polys[j].len()).copied().collect();
    }
    (out.proof, out.point, reduced)
}

/// The grinding seed: a challenge drawn after the last prover message before the queries.
fn pow_seed(t: &mut Transcript) -> [u8; 32] {
    let mut seed = [0u8; 32];
    t.challenge_bytes(b"basefold-pow-seed", &mut seed);
    seed
}

/// Whether `blake3(seed ‖ nonce)` starts with `bits` zero bits.
fn pow_ok(seed: &[u8; 32], nonce: u64, bits: usize) -> bool {
    let mut h = blake3::Hasher::new();
    h.update(seed);
    h.update(&nonce.to_le_bytes());
    let head = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&head.as_bytes()[..8]);
    u64::from_be_bytes(first).leading_zeros() as usize >= bits.min(64)
}

/// Grinding: the smallest nonce that passes [`pow_ok`] (so the proof is deterministic whatever
/// the thread count), absorbed into the transcript. Nothing is drawn or absorbed when
/// `bits == 0`.
pub(super) fn grind(t: &mut Transcript, bits: usize) -> u64 {
    if bits == 0 {
        return 0;
    }
    let seed = pow_seed(t);
    const CHUNK: u64 = 1 << 14;
    let nonce = (0..)
        .find_map(|c: u64| {
            let start = c * CHUNK;
            crate::parallel::find_first(start..start + CHUNK, |&n| pow_ok(&seed, n, bits))
        })
        .unwrap_or(0);
    t.append_u64(b"basefold-pow-nonce", nonce);
    nonce
}

/// The verifier's side of [`grind`].
pub(super) fn check_pow(t: &mut Transcript, bits: usize, nonce: u64) -> Result<(), PcsError> {
    if bits == 0 {
        return if nonce == 0 {
            Ok(())
        } else {
            Err(PcsError::ProofOfWork)
        };
    }
    let seed = pow_seed(t);
    if !pow_ok(&seed, nonce, bits) {
        return Err(PcsError::ProofOfWork);
    }
    t.append_u64(b"basefold-pow-nonce", nonce);
    Ok(())
}

/// The instance `Σ_x f(x)·g(x)`.
pub(super) fn product_instance<F: BaseField, E: ExtField<F>>(
    f: Mle<F, E>,
    g: Vec<E>,
) -> Instance<F, E> {
    Instance::new(
        vec![f, Mle::Ext(g)],
        vec![Term {
            coeff: E::ONE,
            factors: vec![0, 1],
        }],
    )
    .expect("two tables of 2^n entries")
}

/// The first round of the opening's sum-check `Σ_x f(x)·g(x)` on borrowed base-field tables:
/// `f = Σ_i w_i·fs_i` (the committed evaluations, never copied or combined into a table of
/// their own size; the first round's fold writes the combination at half the size).
pub(super) struct BorrowedFirstRound<'a, F, E> {
    pub(super) fs: Vec<(&'a [F], E)>,
    pub(super) g: Vec<E>,
    pub(super) claim: E,
}

/// `(Σ_j g_{2j}·f_{2j}, Σ_j (2g_{2j+1} − g_{2j})·(2f_{2j+1} − f_{2j}))`: a base-field table's
/// share of a product sum-check round's `g(0), g(2)` over the pairs `(x_0 = 0, x_0 = 1)`.
pub(super) fn borrowed_round<F: BaseField, E: ExtField<F>>(f: &[F], g: &[E]) -> (E, E) {
    crate::parallel::map_reduce(
        f.len() / 2,
        |range| {
            let mut acc = (E::ZERO, E::ZERO);
            for j in range {
                let (f0, f1) = (f[2 * j], f[2 * j + 1]);
                let (g0, g1) = (g[2 * j], g[2 * j + 1]);
                acc.0 += crate::field::mul_base(g0, f0);
                acc.1 += crate::field::mul_base(g1.double() - g0, f1.double() - f0);
            }
            acc
        },
        |a, c| (a.0 + c.0, a.1 + c.1),
    )
}

/// `Σ_i w_i·fs_i` (tables of `2·len` entries; zero without tables) with its first variable
/// fixed to `r`: entry `j < len` is `Σ_i w_i·(fs_i[2j] + r·(fs_i[2j+1] − fs_i[2j]))`.
pub(super) fn fold_combined<F: BaseField, E: ExtField<F>>(
    fs: &[(&[F], E)],
    r: E,
    len: usize,
) -> Vec<E> {
    match fs {
        [(f, w)] if w.is_one() => crate::poly::fold_base(f, r),
        _ => {
            let wr: Vec<E> = fs.iter().map(|&(_, w)| w * r).collect();
            crate::parallel::collect_indexed(len, |j| {
                fs.iter()
                    .zip(&wr)
                    .map(|(&(f, w), &wr)| {
                        let (a, b) = (f[2 * j], f[2 * j + 1]);
                        crate::field::mul_base(w, a) + crate::field::mul_base(wr, b - a)
                    })
                    .sum()
            })
        }
    }
}

/// The opening's sum-check prover: before its first round on borrowed tables, or running.
pub(super) enum Prover<'a, F, E> {
    Borrowed(BorrowedFirstRound<'a, F, E>),
    Running(RoundProver<F, E>),
}

impl<F: BaseField, E: ExtField<F>> Prover<'_, F, E> {
    /// This round's message `g(0), g(2)`.
    pub(super) fn message(&self) -> Vec<E> {
        match self {
            Prover::Running(sc) => sc.message(),
            Prover::Borrowed(b) => {
                let (mut at0, mut at2) = (E::ZERO, E::ZERO);
                for &(f, w) in &b.fs {
                    let (a0, a2) = borrowed_round(f, &b.g);
                    at0 += w * a0;
                    at2 += w * a2;
                }
                vec![at0, at2]
            }
        }
    }

    /// The running claim.
    pub(super) fn claim(&self) -> E {
        match self {
            Prover::Running(sc) => sc.claim(),
            Prover::Borrowed(b) => b.claim,
        }
    }

    /// The tables `f` and `G` over the variables left.
    pub(super) fn into_tables(self) -> (Mle<F, E>, Mle<F, E>) {
        match self {
            Prover::Running(sc) => {
                let mut t = sc.into_tables().into_iter();
                let f = t.next().unwrap_or(Mle::Ext(Vec::new()));
                let g = t.next().unwrap_or(Mle::Ext(Vec::new()));
                (f, g)
            }
            Prover::Borrowed(b) => {
                let f = crate::parallel::collect_indexed(b.g.len(), |x| {
                    b.fs.iter()
                        .map(|&(f, w)| crate::field::mul_base(w, f[x]))
                        .sum()
                });
                (Mle::Ext(f), Mle::Ext(b.g))
            }
        }
    }

    /// Binds this round's variable to `r`.
    pub(super) fn bind(self, message: &[E], r: E) -> Self {
        match self {
            Prover::Running(mut sc) => {
                sc.bind(message, r);
                Prover::Running(sc)
            }
            Prover::Borrowed(BorrowedFirstRound { fs, mut g, claim }) => {
                let folded = fold_combined(&fs, r, g.len() / 2);
                crate::poly::fold_ext(&mut g, r);
                let next = sumcheck::next_claim(message, claim, r);
                Prover::Running(RoundProver::new(
                    product_instance(Mle::Ext(folded), g),
                    next,
                ))
            }
        }
    }
}

/// The `q` query positions: leaves of the first tree (`2^depth` of them).
pub(super) fn draw_queries(t: &mut Transcript, q: usize, depth: usize) -> Vec<usize> {
    (0..q)
        .map(|_| t.challenge_index(b"basefold-query", 1 << depth))
        .collect()
}

/// Verifies that the committed polynomials take `values[c]` at the claims `claims[c]`.
pub fn verify<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    commitment: &Commitment,
    claims: &[Claim<E>],
    values: &[E],
    proof: &Proof<F, E>,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    verify_parts(
        params,
        &[Statement {
            commitment,
            claims,
            values,
        }],
        proof,
        transcript,
    )
}

/// Verifies one opening of claims on several commitments ([`open_parts`]). Never panics on
/// proof data.
pub fn verify_parts<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    parts: &[Statement<'_, E>],
    proof: &Proof<F, E>,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    verify_parts_opened(params, parts, proof, transcript).map(|_| ())
}

/// Which leaves of each part's first tree a verified opening revealed: for part `j`, the
/// indices `leaves[j]` (increasing) of leaves of `2^leaf_bits[j]` entries per committed
/// polynomial, whose entries are that part's opened values ([`Proof::base`] for part 0,
/// [`Proof::joined`] after), leaf after leaf, polynomial `i`'s at `i·2^leaf_bits ..`. Every
/// entry is the committed codeword's in stored (bit-reversed) order: what an auditor needs to
/// count what an opening tells about the committed tables (the extraction test in
/// `tests/suite/leakage.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedLeaves {
    /// Opened leaf indices per part.
    pub leaves: Vec<Vec<usize>>,
    /// log2 of the entries per polynomial in a leaf, per part.
    pub leaf_bits: Vec<usize>,
}

/// [`verify_parts`], returning which committed leaves the opening revealed. Never panics on
/// proof data: indexing, `unwrap`, `expect` and `panic!` are denied in this function.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_parts_opened<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    parts: &[Statement<'_, E>],
    proof: &Proof<F, E>,
    transcript: &mut Transcript,
) -> Result<OpenedLeaves, PcsError> {
    let sh = shape(parts.iter().map(|p| (p.commitment, p.claims)))?;
    let check = |what, expected, got| {
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
        check("the values", p.claims.len(), p.values.len())?;
    }
    let n = sh.n;
    let layout = Layout::new(n, params);
    check(
        "the reduction",
        usize::from(sh.reduce),
        usize::from(proof.reduction.is_some()),
    )?;
    let start_polys: usize = sh
        .polys
        .iter()
        .zip(&sh.join_at)
        .filter(|(_, &d)| d == 0)
        .map(|(p, _)| p.len())
        .sum();
    if let Some(red) = &proof.reduction {
        check("the reduced values", start_polys, red.values.len())?;
    }
    // The folds at which later commitments join, and how many values each join's reduction
    // gives (the running word's and the joining polynomials').
    let mut join_folds: Vec<(usize, usize)> = Vec::new();
    for (&d, p) in sh.join_at.iter().zip(&sh.polys).filter(|(&d, _)| d > 0) {
        match join_folds.iter_mut().find(|(s, _)| *s == d) {
            Some((_, count)) => *count += p.len(),
            None => join_folds.push((d, 1 + p.len())),
        }
    }
    join_folds.sort_unstable();
    check("the joins", join_folds.len(), proof.joins.len())?;
    for (&(_, count), red) in join_folds.iter().zip(&proof.joins) {
        check("a join's values", count, red.values.len())?;
    }
    check("the round messages", n, proof.rounds.len())?;
    for m in &proof.rounds {
        check("a round message", 2, m.len())?;
    }
    check("the folded roots", layout.trees() - 1, proof.roots.len())?;
    check(
        "the folded openings",
        layout.trees() - 1,
        proof.folded.len(),
    )?;
    check("the joined openings", parts.len() - 1, proof.joined.len())?;
    let num_polys: Vec<usize> = parts
        .iter()
        .map(|p| p.commitment.num_polys as usize)
        .collect();

    let coeffs = absorb_statement(
        transcript,
        params,
        parts.iter().map(|p| (p.commitment, p.claims, p.values)),
        parts.len(),
    );
    let offsets = claim_offsets(parts.iter().map(|p| p.claims.len()));
    let own_coeffs = |j: usize| -> &[E] {
        let (o, c) = (
            offsets.get(j).copied().unwrap_or(0),
            parts.get(j).map_or(0, |p| p.claims.len()),
        );
        coeffs.get(o..o + c).unwrap_or(&[])
    };
    let merged = match &proof.reduction {
        Some(red) => {
            let mut total = E::ZERO;
            for (j, p) in parts
                .iter()
                .enumerate()
                .filter(|(j, _)| sh.join_at.get(*j) == Some(&0))
            {
                total += claimed_sum(own_coeffs(j), p.values);
            }
            let out = sumcheck::verify(n, 2, total, &red.sumcheck, transcript)?;
            let mut expected = E::ZERO;
            let mut reduced = vec![Vec::new(); parts.len()];
            let mut vals = red.values.iter();
            for (j, (p, polys)) in parts.iter().zip(&sh.polys).enumerate() {
                if sh.join_at.get(j) != Some(&0) {
                    continue;
                }
                let mut vs = Vec::with_capacity(polys.len());
                for &poly in polys {
                    let v = *vals.next().ok_or(PcsError::ReducedValues)?;
                    expected += v * g_at(p.claims, own_coeffs(j), poly, &out.point);
                    vs.push(v);
                }
                if let Some(x) = reduced.get_mut(j) {
                    *x = vs;
                }
            }
            if expected != out.value {
                return Err(PcsError::ReducedValues);
            }
            merge_reduced(transcript, &sh, &num_polys, out.point, reduced)
        }
        None => {
            let first = parts.first().ok_or(PcsError::NoClaims)?;
            merge_direct(&num_polys, first.claims, first.values, &coeffs)
        }
    };

    // The main sum-check. Its weight is `Σ_c g_coeffs[c]·eq(g_points[c], ·)` over the variables
    // from fold `g_from` on; a join replaces it by `eq(r'', ·)` from the join's fold.
    let mut weights = merged.weights.clone();
    let mut claim = merged.claim;
    let (mut g_points, mut g_coeffs, mut g_from) = (merged.points, merged.coeffs, 0usize);
    let mut r: Vec<E> = Vec::with_capacity(n);
    let mut roots = proof.roots.iter();
    let mut joins = proof.joins.iter();
    for (s, msg) in proof.rounds.iter().enumerate() {
        if join_folds.iter().any(|&(d, _)| d == s) {
            let red = joins.next().ok_or(PcsError::JoinValues { fold: s })?;
            let joining: Vec<usize> = (0..parts.len())
                .filter(|&j| sh.join_at.get(j) == Some(&s))
                .collect();
            let mut total = claim;
            for &j in &joining {
                total += parts
                    .get(j)
                    .map_or(E::ZERO, |p| claimed_sum(own_coeffs(j), p.values));
            }
            let out = sumcheck::verify(n - s, 2, total, &red.sumcheck, transcript)?;
            let (&v_cur, v_new) = red
                .values
                .split_first()
                .ok_or(PcsError::JoinValues { fold: s })?;
            let bound = r.get(g_from..s).unwrap_or(&[]);
            let mut expected = v_cur * weight_at(&g_points, &g_coeffs, bound, &out.point);
            let mut vals = v_new.iter();
            for &j in &joining {
                let (p, polys) = match (parts.get(j), sh.polys.get(j)) {
                    (Some(p), Some(polys)) => (p, polys),
                    _ => return Err(PcsError::JoinValues { fold: s }),
                };
                for &poly in polys {
                    let v = *vals.next().ok_or(PcsError::JoinValues { fold: s })?;
                    expected += v * g_at(p.claims, own_coeffs(j), poly, &out.point);
                }
            }
            if expected != out.value {
                return Err(PcsError::JoinValues { fold: s });
            }
            transcript.append_fields(b"basefold-join-values", &red.values);
            let w: Vec<E> = challenges(transcript, b"basefold-join", v_new.len());
            claim = v_cur + w.iter().zip(v_new).map(|(&w, &v)| w * v).sum::<E>();
            let mut wi = w.iter();
            for &j in &joining {
                let mut ws = vec![E::ZERO; num_polys.get(j).copied().unwrap_or(0)];
                for &poly in sh.polys.get(j).map_or(&[][..], Vec::as_slice) {
                    if let (Some(x), Some(&w)) = (ws.get_mut(poly), wi.next()) {
                        *x = w;
                    }
                }
                if let Some(x) = weights.get_mut(j) {
                    *x = ws;
                }
            }
            (g_points, g_coeffs, g_from) = (vec![out.point], vec![E::ONE], s);
        }
        transcript.append_fields(b"basefold-round", msg);
        let rk: E = transcript.challenge_field(b"basefold-challenge");
        claim = sumcheck::next_claim(msg, claim, rk);
        r.push(rk);
        if (s + 1) % layout.k == 0 && s + 1 < n {
            if let Some(root) = roots.next() {
                transcript.append_message(b"basefold-fold-root", root);
            }
        }
    }
    transcript.append_field(b"basefold-last", &proof.last);
    let g_at_r = weight_at(&g_points, &g_coeffs, r.get(g_from..).unwrap_or(&[]), &[]);
    if claim != proof.last * g_at_r {
        return Err(PcsError::FinalEvaluation);
    }
    check_pow(transcript, params.pow_bits, proof.pow_nonce)?;

    // The queries, then each part's first-tree leaves and each folded tree's, with their Merkle
    // proofs.
    let queries = draw_queries(transcript, params.queries, layout.depth(0));
    let mut part_leaves = Vec::with_capacity(parts.len());
    for (j, (p, &d)) in parts.iter().zip(&sh.join_at).enumerate() {
        let pl = Layout::new(p.commitment.num_vars as usize, params);
        let a = pl.arity_bits(0);
        let idx = sorted_distinct(queries.iter().map(|&q| block_start(&layout, q, d) >> a));
        let opening = if j == 0 {
            Some(&proof.base)
        } else {
            proof.joined.get(j - 1)
        };
        let opening = opening.ok_or(PcsError::NoClaims)?;
        let leaves = check_layer(
            opening,
            &p.commitment.root,
            0,
            pl.depth(0),
            &idx,
            (p.commitment.num_polys as usize) << a,
        )
        .map_err(|e| match e {
            PcsError::Merkle { source, .. } if j > 0 => PcsError::JoinedMerkle { part: j, source },
            PcsError::Shape { expected, got, .. } if j > 0 => PcsError::Shape {
                what: "a joined tree's opened values",
                expected,
                got,
            },
            e => e,
        })?;
        part_leaves.push((leaves, a, d));
    }
    let opened = OpenedLeaves {
        leaves: part_leaves
            .iter()
            .map(|(l, _, _)| l.iter().map(|&(j, _)| j).collect())
            .collect(),
        leaf_bits: part_leaves.iter().map(|&(_, a, _)| a).collect(),
    };
    let mut layer_leaves = Vec::with_capacity(proof.folded.len());
    let mut idx = sorted_distinct(queries.iter().copied());
    for (i, (o, root)) in proof.folded.iter().zip(&proof.roots).enumerate() {
        let l = i + 1;
        let depth = layout.depth(l);
        idx = sorted_distinct(idx.iter().map(|q| q >> layout.arity_bits(l)));
        layer_leaves.push(check_layer(
            o,
            root,
            l,
            depth,
            &idx,
            1 << layout.arity_bits(l),
        )?);
    }

    check_queries(
        &layout,
        &queries,
        &part_leaves,
        &weights,
        &layer_leaves,
        &r,
        proof.last,
    )?;
    Ok(opened)
}

/// One commitment's opened first-tree leaves in an opening's query checks: the leaves (index,
/// entries), their arity bits, and the fold at which the commitment joins.
pub(super) type PartLeaves<'a, F> = (Vec<(usize, &'a [F])>, usize, usize);

/// The query checks of an opening: for each query, per tree, its leaf (zero for the first: the
/// parts join into it), the parts that join at each of the leaf's folds added in with their
/// `weights`, folded one challenge of `r` at a time; the value must sit in the next tree's leaf,
/// and the last must be `last`.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub(super) fn check_queries<F: BaseField + FftField, E: ExtField<F>>(
    layout: &Layout,
    queries: &[usize],
    part_leaves: &[PartLeaves<'_, F>],
    weights: &[Vec<E>],
    layer_leaves: &[Vec<(usize, &[E])>],
    r: &[E],
    last: E,
) -> Result<(), PcsError> {
    let omega_inv = root::<F>(layout.log_size)?.inverse().unwrap_or(F::ONE);
    let zetas = (0..layout.trees())
        .map(|l| leaf_twiddles::<F>(layout.log_size, layout.arity_bits(l)))
        .collect::<Result<Vec<_>, _>>()?;
    let short = |what| PcsError::Shape {
        what,
        expected: queries.len(),
        got: 0,
    };
    for (query, &q) in queries.iter().enumerate() {
        let wide = q << layout.arity_bits(0);
        let mut carried = E::ZERO;
        for l in 0..layout.trees() {
            let a = layout.arity_bits(l);
            let b = l * layout.k;
            let ql = wide >> (b + a);
            let mut vals: Vec<E> = if l == 0 {
                vec![E::ZERO; 1 << a]
            } else {
                let leaves = layer_leaves.get(l - 1).ok_or(short("the folded trees"))?;
                let leaf = find_leaf(leaves, ql).ok_or(short("a folded tree's leaves"))?;
                if leaf.get((wide >> b) & ((1 << a) - 1)) != Some(&carried) {
                    return Err(PcsError::FoldMismatch { query, layer: l });
                }
                leaf.to_vec()
            };
            let mut base = omega_inv.pow([(bit_reverse(ql, layout.depth(l)) as u64) << b]);
            let zeta = zetas.get(l).map_or(&[][..], Vec::as_slice);
            for e in 0..a {
                let s = b + e;
                let len = 1usize << (a - e);
                for (j, (leaves, aj, d)) in part_leaves.iter().enumerate() {
                    if *d != s {
                        continue;
                    }
                    let start = (ql << a) >> e;
                    let leaf =
                        find_leaf(leaves, start >> aj).ok_or(short("a committed tree's leaves"))?;
                    let off = start & ((1 << aj) - 1);
                    let ws = weights.get(j).map_or(&[][..], Vec::as_slice);
                    for (i, w) in ws.iter().enumerate().filter(|(_, w)| !w.is_zero()) {
                        let column = leaf
                            .get((i << aj) + off..(i << aj) + off + len)
                            .ok_or(short("a committed tree's leaf"))?;
                        for (v, &x) in vals.iter_mut().zip(column) {
                            *v += *w * lift::<E>(x);
                        }
                    }
                }
                let rs = r.get(s..=s).unwrap_or(&[]);
                fold_leaf(vals.get_mut(..len).unwrap_or(&mut []), rs, base, zeta);
                base.square_in_place();
            }
            carried = vals.first().copied().unwrap_or(E::ZERO);
        }
        if carried != last {
            return Err(PcsError::FoldMismatch {
                query,
                layer: layout.trees(),
            });
        }
    }
    Ok(())
}

/// Sorted, deduplicated.
pub(super) fn sorted_distinct(it: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut v: Vec<usize> = it.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Checks one tree's opening: `width` entries per leaf at `idx`; returns each leaf's entries.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub(super) fn check_layer<'a, G: Field>(
    o: &'a LayerOpening<G>,
    root: &Digest,
    layer: usize,
    depth: usize,
    idx: &[usize],
    width: usize,
) -> Result<Vec<(usize, &'a [G])>, PcsError> {
    if o.values.len() != idx.len() * width {
        return Err(PcsError::Shape {
            what: if layer == 0 {
                "the first tree's opened values"
            } else {
                "a folded tree's opened values"
            },
            expected: idx.len() * width,
            got: o.values.len(),
        });
    }
    let leaves: Vec<(usize, &[G])> = idx.iter().copied().zip(o.values.chunks(width)).collect();
    let hashes: Vec<(usize, Digest)> = leaves
        .iter()
        .map(|&(j, vals)| (j, hash_leaf(vals)))
        .collect();
    o.proof
        .verify(root, depth, &hashes)
        .map_err(|source| PcsError::Merkle { layer, source })?;
    Ok(leaves)
}

/// The entries of leaf `j` among the opened leaves (sorted by index).
pub(super) fn find_leaf<'a, G>(leaves: &[(usize, &'a [G])], j: usize) -> Option<&'a [G]> {
    leaves
        .binary_search_by_key(&j, |&(i, _)| i)
        .ok()
        .and_then(|k| leaves.get(k))
        .map(|&(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use crate::testing::random_base;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;

    /// The verifier's statement of these parts with the opened values.
    fn statements<'a>(parts: &[Part<'a, F, E>], ys: &'a [Vec<E>]) -> Vec<Statement<'a, E>> {
        parts
            .iter()
            .zip(ys)
            .map(|(pt, v)| Statement {
                commitment: pt.commitment,
                claims: pt.claims,
                values: v,
            })
            .collect()
    }

    /// A corrupted folded tree is caught at that tree, alone and in joint openings with a
    /// smaller commitment joining before, at, or after it.
    #[test]
    fn corrupted_folds_are_caught_at_their_tree() {
        let mut rng = StdRng::seed_from_u64(5);
        let n = 9;
        for k in [1usize, 2, 4] {
            let p = Params {
                rate_bits: 1,
                fold_bits: k,
                queries: 8,
                pow_bits: 0,
            };
            let (c, data) = commit(&p, vec![random_base::<F>(&mut rng, 1 << n)]).unwrap();
            let z = vec![Claim {
                poly: 0,
                point: (0..n).map(|_| E::rand(&mut rng)).collect(),
            }];
            for n2 in [None, Some(n), Some(7), Some(5), Some(2)] {
                let second = n2.map(|m| {
                    let (c2, d2) = commit(&p, vec![random_base::<F>(&mut rng, 1 << m)]).unwrap();
                    let z2 = vec![Claim {
                        poly: 0,
                        point: (0..m).map(|_| E::rand(&mut rng)).collect(),
                    }];
                    (c2, d2, z2)
                });
                let mut parts = vec![Part {
                    commitment: &c,
                    data: &data,
                    claims: &z,
                }];
                if let Some((c2, d2, z2)) = &second {
                    parts.push(Part {
                        commitment: c2,
                        data: d2,
                        claims: z2,
                    });
                }
                for tree in 1..Layout::new(n, &p).trees() {
                    let (y, proof) =
                        open_inner(&p, &parts, &mut Transcript::new(b"t"), Some(tree)).unwrap();
                    let err = verify_parts(
                        &p,
                        &statements(&parts, &y),
                        &proof,
                        &mut Transcript::new(b"t"),
                    )
                    .unwrap_err();
                    assert_eq!(
                        err,
                        PcsError::FoldMismatch {
                            query: 0,
                            layer: tree
                        },
                        "k {k} tree {tree} second {n2:?}"
                    );
                }
                let (y, proof) = open_inner(&p, &parts, &mut Transcript::new(b"t"), None).unwrap();
                verify_parts(
                    &p,
                    &statements(&parts, &y),
                    &proof,
                    &mut Transcript::new(b"t"),
                )
                .unwrap_or_else(|e| panic!("k {k} second {n2:?}: {e}"));
            }
        }
    }

    #[test]
    fn security_accounting() {
        let bits = field_bits::<E>();
        assert!((bits - 128.0).abs() < 1e-6, "{bits}");
        // 2^24 entries at rate 1/4: the non-query terms allow 100 bits; the query count is the
        // smallest that reaches them.
        let p = Params::for_security::<E>(24, 100, 2, 4).unwrap();
        assert!(p.security_bits(24, bits) >= 100.0);
        let fewer = Params {
            queries: p.queries - 1,
            ..p
        };
        assert!(fewer.security_bits(24, bits) < 100.0);
        // Smaller polynomials are at least as secure under the same parameters.
        assert!(p.security_bits(10, bits) >= p.security_bits(24, bits));
        // Grinding: 20 bits of proof of work replace about 20/0.678 queries.
        let g = Params::for_security_with_pow::<E>(24, 100, 2, 4, 20).unwrap();
        assert!(g.security_bits(24, bits) >= 100.0);
        assert!(
            Params {
                queries: g.queries - 1,
                ..g
            }
            .security_bits(24, bits)
                < 100.0
        );
        // 151 and 121 since the joined commitments' term (3N/|E| where 2N/|E| was).
        assert_eq!((p.queries, g.queries), (151, 121));
        assert!(Params::for_security_with_pow::<E>(24, 100, 2, 4, MAX_POW_BITS + 1).is_err());
        // 2^30 entries over Goldilocks² cannot reach 100 proven bits at this rate.
        assert!(matches!(
            Params::for_security::<E>(30, 100, 2, 4),
            Err(PcsError::SecurityUnreachable { .. })
        ));
    }

    /// Stored prover data reads back as the commitment's own, and is refused when it does not
    /// belong to it (other tables, a flipped byte, a truncation, bytes left over).
    #[test]
    fn stored_prover_data_round_trips_and_is_checked() {
        let params = Params {
            rate_bits: 2,
            fold_bits: 3,
            queries: 8,
            pow_bits: 0,
        };
        let mut rng = ark_std::test_rng();
        let polys: Vec<Vec<F>> = (0..2)
            .map(|_| (0..1 << 7).map(|_| F::rand(&mut rng)).collect())
            .collect();
        let (c, data) = commit(&params, polys.clone()).unwrap();
        let mut bytes = Vec::new();
        data.write_stored(&mut bytes).unwrap();
        let back =
            ProverData::read_stored(&params, &c, polys.clone(), &mut &bytes[..], 8, 1).unwrap();
        assert_eq!(back.codewords, data.codewords);
        assert_eq!(back.tree.root(), c.root);
        let mut other = polys.clone();
        other[1][5] += F::ONE;
        assert_eq!(
            ProverData::read_stored(&params, &c, other, &mut &bytes[..], 8, 1).err(),
            Some(StoredError::Mismatch("a sampled codeword entry"))
        );
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(
            ProverData::read_stored(&params, &c, polys.clone(), &mut &flipped[..], 8, 1).err(),
            Some(StoredError::Mismatch("the root"))
        );
        assert!(matches!(
            ProverData::read_stored(&params, &c, polys.clone(), &mut &bytes[..100], 8, 1),
            Err(StoredError::Io(_))
        ));
        bytes.push(0);
        assert_eq!(
            ProverData::read_stored(&params, &c, polys, &mut &bytes[..], 8, 1).err(),
            Some(StoredError::Mismatch("bytes left over"))
        );
    }
}
