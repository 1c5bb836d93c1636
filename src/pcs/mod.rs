//! Multilinear polynomial commitments (issue 3, in progress).
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
//! * [`basefold`] — commit, open and verify for one polynomial and any number of evaluation
//!   claims on it (merged into one sum-check), behind the [`MultilinearPcs`] trait.
//!
//! Polynomials committed together (shared queries), setup from a security level, and the
//! proof-size work come next (see `spec/pcs.md`).

pub mod basefold;
pub mod code;
pub mod merkle;

pub use basefold::{Basefold, PcsError};

use crate::field::{BaseField, ExtField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

/// A commitment scheme for multilinear polynomials given by their evaluations over `F` on the
/// hypercube (index order of [`crate::poly`]), opened at points over `E`.
///
/// Call order: `commit` once per polynomial (the commitment can be reused by many proofs);
/// `open` with the caller's transcript, after the caller has absorbed whatever its statement
/// binds; `verify` with a transcript in the same state.
pub trait MultilinearPcs<F: BaseField, E: ExtField<F>> {
    /// What the verifier keeps.
    type Commitment: Clone + PartialEq + CanonicalSerialize + CanonicalDeserialize;
    /// What the prover keeps.
    type ProverData;
    /// An evaluation proof.
    type Proof: Clone + PartialEq + CanonicalSerialize + CanonicalDeserialize;

    /// Commits to the polynomial with these evaluations.
    fn commit(&self, evals: Vec<F>) -> Result<(Self::Commitment, Self::ProverData), PcsError>;

    /// Opens the committed polynomial at every point: the values and one proof for all.
    fn open(
        &self,
        commitment: &Self::Commitment,
        data: &Self::ProverData,
        points: &[Vec<E>],
        transcript: &mut Transcript,
    ) -> Result<(Vec<E>, Self::Proof), PcsError>;

    /// Checks that the committed polynomial takes `values[i]` at `points[i]`.
    fn verify(
        &self,
        commitment: &Self::Commitment,
        points: &[Vec<E>],
        values: &[E],
        proof: &Self::Proof,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError>;
}
