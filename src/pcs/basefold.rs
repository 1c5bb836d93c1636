//! Basefold (Zeilberger–Chen–Fisch, eprint 2023/1705) for one multilinear polynomial over the
//! base field and evaluation claims `f̃(z_i) = y_i`, `z_i ∈ E^n`, merged into one sum-check
//! `Σ_x f(x)·G(x) = Σ_i α^i·y_i` with `G = Σ_i α^i·eq(z_i, ·)` (HyperPlonk §3.8's reduction of
//! several claims on one polynomial to one).
//!
//! Commit: monomial coefficients → Reed–Solomon codeword (rate `2^-rate_bits`) → blake3 Merkle
//! root over the pairs `(c[j], c[j + N/2])`. Open: the sum-check for `Σ_x f(x)·eq(z, x) = y`
//! (here `Σ_x f(x)·G(x)`) runs in lock-step with the folding of the codeword: after the challenge `r_k` of round `k`
//! the prover folds the codeword with `r_k` ([`super::code`]) and commits the folded codeword
//! (its root is absorbed before round `k + 1`). After `n` rounds the folded codeword is the
//! constant `f̃(r)`; the prover sends it, and the verifier checks the sum-check's last claim
//! against `last · G(r)`. Then `queries` positions are drawn; at each the prover opens the
//! pair at every layer and the verifier checks every Merkle path and recomputes every fold.
//! See `spec/pcs.md`.

use super::code::DomainTooLarge;
use super::code::{
    domain, encode, evals_to_coeffs, fold_base_codeword, fold_ext_codeword, fold_pair,
    fold_twiddles, half,
};
use super::merkle::{hash_leaf, Digest, MerkleError, MerklePath, MerkleTree};
use crate::codec::DecodeError;
use crate::field::{lift, BaseField, ExtField};
use crate::poly::{combined_eq, eq_eval, evaluate_base, Mle};
use crate::sumcheck::{self, Instance, RoundProver, Term};
use crate::transcript::TranscriptExt;
use ark_ff::{FftField, Field};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

/// The code rate and the number of queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// The rate is `2^-rate_bits`.
    pub rate_bits: usize,
    /// Positions queried.
    pub queries: usize,
}

/// A commitment: the Merkle root of the codeword and the number of variables.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Commitment {
    /// Root of the tree over the codeword's pairs.
    pub root: Digest,
    /// Variables of the committed polynomial.
    pub num_vars: u32,
}

/// What the prover keeps from the commitment.
#[derive(Clone, Debug)]
pub struct ProverData<F> {
    evals: Vec<F>,
    codeword: Vec<F>,
    tree: MerkleTree,
}

/// One opened pair `(c[j], c[j + N/2])` and its Merkle path.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Opening<G: Field> {
    /// `c[j]`.
    pub a: G,
    /// `c[j + N/2]`.
    pub b: G,
    /// The path of leaf `j`.
    pub path: MerklePath,
}

/// One query: the pair in the committed codeword, then one per folded layer.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Query<F: Field, E: Field> {
    /// Layer 0 (the committed base-field codeword).
    pub base: Opening<F>,
    /// Layers `1..n`.
    pub folded: Vec<Opening<E>>,
}

/// An evaluation proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof<F: Field, E: Field> {
    /// The sum-check messages `g(0), g(2)`, one per variable.
    pub rounds: Vec<Vec<E>>,
    /// Roots of the folded codewords of layers `1..n`.
    pub roots: Vec<Digest>,
    /// The constant the codeword folds to: `f̃(r)`.
    pub last: E,
    /// The queries.
    pub queries: Vec<Query<F, E>>,
}

/// Why committing, opening or verifying failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcsError {
    /// Basefold needs at least one variable and a power-of-two number of evaluations.
    #[error("a committed polynomial needs 2^n evaluations with n ≥ 1; got {len}")]
    BadLength {
        /// Evaluations given.
        len: usize,
    },
    /// The codeword's domain is too large for the field.
    #[error(transparent)]
    Domain(#[from] DomainTooLarge),
    /// The evaluation point has the wrong number of coordinates.
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
    /// The sum-check's last claim does not match the constant the codeword folds to.
    #[error("the folded constant does not match the sum-check's final claim")]
    FinalEvaluation,
    /// A Merkle path was rejected.
    #[error("query {query}, layer {layer}: {source}")]
    Merkle {
        /// Which query.
        query: usize,
        /// Which layer (0 = the commitment).
        layer: usize,
        /// The path's error.
        source: MerkleError,
    },
    /// An opened value is not the fold of the layer below.
    #[error("query {query}: layer {layer} does not hold the fold of layer {}", layer - 1)]
    FoldMismatch {
        /// Which query.
        query: usize,
        /// The layer whose value disagrees (`n` = the final constant).
        layer: usize,
    },
    /// The proof bytes do not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Basefold with fixed parameters, as a [`super::MultilinearPcs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Basefold {
    /// Rate and query count.
    pub params: Params,
}

impl<F: BaseField + FftField, E: ExtField<F>> super::MultilinearPcs<F, E> for Basefold {
    type Commitment = Commitment;
    type ProverData = ProverData<F>;
    type Proof = Proof<F, E>;

    fn commit(&self, evals: Vec<F>) -> Result<(Commitment, ProverData<F>), PcsError> {
        commit(&self.params, evals)
    }

    fn open(
        &self,
        commitment: &Commitment,
        data: &ProverData<F>,
        points: &[Vec<E>],
        transcript: &mut Transcript,
    ) -> Result<(Vec<E>, Proof<F, E>), PcsError> {
        open(&self.params, commitment, data, points, transcript)
    }

    fn verify(
        &self,
        commitment: &Commitment,
        points: &[Vec<E>],
        values: &[E],
        proof: &Proof<F, E>,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        verify(&self.params, commitment, points, values, proof, transcript)
    }
}

fn pair_tree<G: Field>(c: &[G]) -> MerkleTree {
    let h = c.len() / 2;
    MerkleTree::new(h, |j| [c[j], c[j + h]])
}

/// Commits to the polynomial with these evaluations on `{0,1}^n` (index order of [`crate::poly`]).
pub fn commit<F: BaseField + FftField>(
    params: &Params,
    evals: Vec<F>,
) -> Result<(Commitment, ProverData<F>), PcsError> {
    if evals.len() < 2 || !evals.len().is_power_of_two() {
        return Err(PcsError::BadLength { len: evals.len() });
    }
    let mut coeffs = evals.clone();
    evals_to_coeffs(&mut coeffs);
    let codeword = encode(&coeffs, params.rate_bits)?;
    let tree = pair_tree(&codeword);
    let commitment = Commitment {
        root: tree.root(),
        num_vars: evals.len().trailing_zeros(),
    };
    Ok((
        commitment,
        ProverData {
            evals,
            codeword,
            tree,
        },
    ))
}

/// Absorbs the statement and draws the claims' combination coefficients `1, α, α², …`.
fn absorb_header<E: Field>(
    t: &mut Transcript,
    params: &Params,
    c: &Commitment,
    points: &[Vec<E>],
    values: &[E],
) -> Vec<E> {
    let params = [
        c.num_vars as u64,
        params.rate_bits as u64,
        params.queries as u64,
        points.len() as u64,
    ];
    t.domain_separator(b"basefold", &params);
    t.append_message(b"basefold-root", &c.root);
    for (z, y) in points.iter().zip(values) {
        t.append_fields(b"basefold-point", z);
        t.append_field(b"basefold-value", y);
    }
    let alpha: E = t.challenge_field(b"basefold-combine");
    std::iter::successors(Some(E::ONE), |a| Some(*a * alpha))
        .take(points.len())
        .collect()
}

/// Opens the committed polynomial at each of `points`: returns the values `f̃(z_i)` and one proof
/// for all of them (the claims are merged with powers of a challenge `α` into the single
/// sum-check `Σ_x f(x)·G(x)`, `G = Σ_i α^i·eq(z_i, ·)`).
pub fn open<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    commitment: &Commitment,
    data: &ProverData<F>,
    points: &[Vec<E>],
    transcript: &mut Transcript,
) -> Result<(Vec<E>, Proof<F, E>), PcsError> {
    open_inner(params, commitment, data, points, transcript, None)
}

/// [`open`], optionally committing a corrupted codeword at one folded layer while still
/// sending the honest final constant (for the tests of the verifier's fold checks).
fn open_inner<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    commitment: &Commitment,
    data: &ProverData<F>,
    points: &[Vec<E>],
    transcript: &mut Transcript,
    corrupt_layer: Option<usize>,
) -> Result<(Vec<E>, Proof<F, E>), PcsError> {
    let n = commitment.num_vars as usize;
    if points.is_empty() {
        return Err(PcsError::NoClaims);
    }
    if let Some(z) = points.iter().find(|z| z.len() != n) {
        return Err(PcsError::PointLength {
            expected: n,
            got: z.len(),
        });
    }
    let values: Vec<E> = points
        .iter()
        .map(|z| evaluate_base(&data.evals, z))
        .collect();
    let alpha = absorb_header(transcript, params, commitment, points, &values);
    let g = combined_eq(points, &alpha, n);
    let claim = values.iter().zip(&alpha).map(|(&y, &a)| a * y).sum();
    let instance = Instance::new(
        vec![Mle::Base(data.evals.clone()), Mle::Ext(g)],
        vec![Term {
            coeff: E::ONE,
            factors: vec![0, 1],
        }],
    )
    .expect("two tables of 2^n entries");
    let mut sc = RoundProver::new(instance, claim);
    let twiddles = fold_twiddles::<F>(n + params.rate_bits)?;
    let (mut rounds, mut roots) = (Vec::with_capacity(n), Vec::with_capacity(n));
    // Committed folded codewords (layers 1..n) and their trees; `honest` is the codeword the next
    // fold starts from (it differs from the committed one only under `corrupt_layer`).
    let (mut codewords, mut trees): (Vec<Vec<E>>, Vec<MerkleTree>) = (Vec::new(), Vec::new());
    let mut honest: Option<Vec<E>> = None;
    let mut last = E::ZERO;
    for k in 0..n {
        let msg = sc.message();
        transcript.append_fields(b"basefold-round", &msg);
        let r: E = transcript.challenge_field(b"basefold-challenge");
        sc.bind(&msg, r);
        rounds.push(msg);
        let folded = match (k, honest.take(), codewords.last()) {
            (0, _, _) => fold_base_codeword(&data.codeword, r, &twiddles, 1),
            (_, Some(h), _) => fold_ext_codeword(&h, r, &twiddles, 1 << k),
            (_, None, Some(prev)) => fold_ext_codeword(prev, r, &twiddles, 1 << k),
            (_, None, None) => unreachable!("layer k - 1 was stored"),
        };
        if k + 1 == n {
            last = folded[0];
            break;
        }
        let committed = if corrupt_layer == Some(k + 1) {
            let c = folded.iter().map(|&x| x + E::ONE).collect();
            honest = Some(folded);
            c
        } else {
            folded
        };
        let tree = pair_tree(&committed);
        transcript.append_message(b"basefold-fold-root", &tree.root());
        roots.push(tree.root());
        trees.push(tree);
        codewords.push(committed);
    }
    transcript.append_field(b"basefold-last", &last);

    let half0 = data.codeword.len() / 2;
    let queries = (0..params.queries)
        .map(|_| {
            let mut j = transcript.challenge_index(b"basefold-query", half0);
            let c = &data.codeword;
            let base = Opening {
                a: c[j],
                b: c[j + half0],
                path: data.tree.open(j),
            };
            let folded = codewords
                .iter()
                .zip(&trees)
                .map(|(cw, tree)| {
                    let h = cw.len() / 2;
                    j %= h;
                    Opening {
                        a: cw[j],
                        b: cw[j + h],
                        path: tree.open(j),
                    }
                })
                .collect();
            Query { base, folded }
        })
        .collect();
    Ok((
        values,
        Proof {
            rounds,
            roots,
            last,
            queries,
        },
    ))
}

/// Verifies that the committed polynomial takes `values[i]` at `points[i]` for every `i`. Never
/// panics on proof data: indexing, `unwrap`, `expect` and `panic!` are denied in this function.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify<F: BaseField + FftField, E: ExtField<F>>(
    params: &Params,
    commitment: &Commitment,
    points: &[Vec<E>],
    values: &[E],
    proof: &Proof<F, E>,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    let n = commitment.num_vars as usize;
    let shape = |what, expected, got| {
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
    if n == 0 {
        return Err(PcsError::BadLength { len: 1 });
    }
    if points.is_empty() {
        return Err(PcsError::NoClaims);
    }
    shape("the values", points.len(), values.len())?;
    if let Some(z) = points.iter().find(|z| z.len() != n) {
        return Err(PcsError::PointLength {
            expected: n,
            got: z.len(),
        });
    }
    shape("the round messages", n, proof.rounds.len())?;
    for m in &proof.rounds {
        shape("a round message", 2, m.len())?;
    }
    shape("the folded roots", n - 1, proof.roots.len())?;
    shape("the queries", params.queries, proof.queries.len())?;
    for q in &proof.queries {
        shape("a query's folded layers", n - 1, q.folded.len())?;
    }
    let log_size = n + params.rate_bits;
    let d = domain::<F>(log_size)?;

    let alpha = absorb_header(transcript, params, commitment, points, values);
    let mut claim: E = values.iter().zip(&alpha).map(|(&y, &a)| a * y).sum();
    let mut r = Vec::with_capacity(n);
    let mut roots = proof.roots.iter();
    for msg in &proof.rounds {
        transcript.append_fields(b"basefold-round", msg);
        let rk: E = transcript.challenge_field(b"basefold-challenge");
        claim = sumcheck::next_claim(msg, claim, rk);
        r.push(rk);
        if let Some(root) = roots.next() {
            transcript.append_message(b"basefold-fold-root", root);
        }
    }
    transcript.append_field(b"basefold-last", &proof.last);
    let g_at_r: E = points
        .iter()
        .zip(&alpha)
        .map(|(z, &a)| a * eq_eval(z, &r))
        .sum();
    if claim != proof.last * g_at_r {
        return Err(PcsError::FinalEvaluation);
    }

    let h = half::<F>();
    // 1/(2·ω^{2^l·j}) for the pair `j` of layer `l`.
    let twiddle = |l: usize, j: usize| h * d.group_gen_inv.pow([(j as u64) << l]);
    let half0 = 1usize << (log_size - 1);
    for (query, q) in proof.queries.iter().enumerate() {
        let j = transcript.challenge_index(b"basefold-query", half0);
        let merkle = |layer| {
            move |source| PcsError::Merkle {
                query,
                layer,
                source,
            }
        };
        q.base
            .path
            .verify(
                &commitment.root,
                log_size - 1,
                j,
                hash_leaf(&[q.base.a, q.base.b]),
            )
            .map_err(merkle(0))?;
        let mut folds = r.iter();
        let r0 = folds.next().copied().unwrap_or(E::ZERO);
        let mut v = fold_pair(lift(q.base.a), lift(q.base.b), twiddle(0, j), r0, h);
        let mut pos = j;
        for (((layer, o), root), &rl) in (1..).zip(&q.folded).zip(&proof.roots).zip(folds) {
            let hl = 1usize << (log_size - layer - 1);
            let jl = pos % hl;
            o.path
                .verify(root, log_size - layer - 1, jl, hash_leaf(&[o.a, o.b]))
                .map_err(merkle(layer))?;
            if v != if pos >= hl { o.b } else { o.a } {
                return Err(PcsError::FoldMismatch { query, layer });
            }
            v = fold_pair(o.a, o.b, twiddle(layer, jl), rl, h);
            pos = jl;
        }
        if v != proof.last {
            return Err(PcsError::FoldMismatch { query, layer: n });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use crate::testing::random_base;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;

    const P: Params = Params {
        rate_bits: 1,
        queries: 8,
    };

    #[test]
    fn corrupted_folds_are_caught_at_their_layer() {
        let mut rng = StdRng::seed_from_u64(5);
        let n = 6;
        let (c, data) = commit(&P, random_base::<F>(&mut rng, 1 << n)).unwrap();
        let z: Vec<Vec<E>> = vec![(0..n).map(|_| E::rand(&mut rng)).collect()];
        for layer in 1..n {
            let (y, proof) =
                open_inner(&P, &c, &data, &z, &mut Transcript::new(b"t"), Some(layer)).unwrap();
            let err = verify(&P, &c, &z, &y, &proof, &mut Transcript::new(b"t")).unwrap_err();
            assert_eq!(
                err,
                PcsError::FoldMismatch { query: 0, layer },
                "layer {layer}"
            );
        }
    }
}
