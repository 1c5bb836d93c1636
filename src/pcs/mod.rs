//! Multilinear polynomial commitments.
//!
//! The scheme is Basefold (Zeilberger–Chen–Fisch, eprint 2023/1705) over Goldilocks: the
//! multilinear polynomial's coefficients (monomial basis) are encoded with a Reed–Solomon code,
//! the codeword is committed in a blake3 Merkle tree, and an evaluation proof interleaves the
//! sum-check for `Σ_x f(x)·G(x)` (`G` a combination of `eq(z_i, ·)`) with FRI-style folding of
//! the codeword under the same challenges.
//!
//! * [`merkle`] — blake3 Merkle trees with parallel leaf hashing and typed path errors;
//! * [`code`] — evaluations → monomial coefficients, Reed–Solomon encoding with ark-poly's FFT,
//!   and folding, with the identity Basefold rests on: folding the codeword of `f` with
//!   `r_0, …, r_{n−1}` leaves the constant `f̃(r_0, …, r_{n−1})`;
//! * [`basefold`] — setup from a security level, commit (several polynomials together), open
//!   and verify any evaluation claims on them with one proof, behind the [`MultilinearPcs`]
//!   trait. Trees after the first hold `2^fold_bits`-entry leaves, and each tree's openings
//!   share one deduplicated Merkle proof;
//! * [`split`] — tables beyond one polynomial's proven size, committed as columns of at most
//!   2^24 entries (100 proven bits up to 2^32 entries over Goldilocks²);
//! * [`zk`] — a hiding commitment (a random mask in an extra variable) and a zero-knowledge
//!   opening (a fresh mask joining the folding), for a budget of openings.

pub mod basefold;
pub mod code;
pub mod merkle;
pub mod packing;
pub mod split;
pub mod zk;

pub use basefold::{Basefold, PcsError};

use crate::field::{BaseField, ExtField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

/// An evaluation claim: polynomial `poly` of a commitment at `point`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim<E> {
    /// Which of the polynomials committed together (0 when there is one).
    pub poly: usize,
    /// The point, `point[k]` for variable `x_k`.
    pub point: Vec<E>,
}

impl<E> Claim<E> {
    /// A claim on polynomial `poly` at `point`.
    pub fn new(poly: usize, point: Vec<E>) -> Self {
        Self { poly, point }
    }
}

/// A commitment scheme for multilinear polynomials given by their evaluations over `F` on the
/// hypercube (index order of [`crate::poly`]), opened at points over `E`. Several polynomials
/// of the same size can be committed together and opened together.
///
/// Call order: `commit` once (the commitment can be reused by many proofs); `open` with the
/// caller's transcript, after the caller has absorbed whatever its statement binds; `verify`
/// with a transcript in the same state.
pub trait MultilinearPcs<F: BaseField, E: ExtField<F>> {
    /// What the verifier keeps.
    type Commitment: Clone + PartialEq + CanonicalSerialize + CanonicalDeserialize;
    /// What the prover keeps.
    type ProverData;
    /// An evaluation proof.
    type Proof: Clone + PartialEq + CanonicalSerialize + CanonicalDeserialize;

    /// Parameters for polynomials of up to `max_vars` variables at `security_bits` bits.
    fn setup(max_vars: usize, security_bits: usize) -> Result<Self, PcsError>
    where
        Self: Sized;

    /// Commits to the polynomials with these evaluations, together.
    fn commit(&self, polys: Vec<Vec<F>>) -> Result<(Self::Commitment, Self::ProverData), PcsError>;

    /// Opens the committed polynomials at the claims: their values and one proof for all.
    fn open(
        &self,
        commitment: &Self::Commitment,
        data: &Self::ProverData,
        claims: &[Claim<E>],
        transcript: &mut Transcript,
    ) -> Result<(Vec<E>, Self::Proof), PcsError>;

    /// Checks that the committed polynomials take `values[c]` at `claims[c]`.
    fn verify(
        &self,
        commitment: &Self::Commitment,
        claims: &[Claim<E>],
        values: &[E],
        proof: &Self::Proof,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError>;
}
