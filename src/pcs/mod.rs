//! Multilinear polynomial commitments (issue 3, in progress).
//!
//! The target is Basefold (Zeilberger–Chen–Fisch, eprint 2023/1705) over Goldilocks: the
//! multilinear polynomial's coefficients (monomial basis) are encoded with a Reed–Solomon code,
//! the codeword is committed in a blake3 Merkle tree, and an evaluation proof interleaves the
//! sum-check for `Σ_x f(x)·eq(z, x)` with FRI-style folding of the codeword under the same
//! challenges. This module holds the building blocks that are done and tested:
//!
//! * [`merkle`] — blake3 Merkle trees with parallel leaf hashing and typed path errors;
//! * [`code`] — evaluations → monomial coefficients, Reed–Solomon encoding with ark-poly's FFT,
//!   and folding, with the identity Basefold rests on: folding the codeword of `f` with
//!   `r_0, …, r_{n−1}` leaves the constant `f̃(r_0, …, r_{n−1})`.
//!
//! * [`basefold`] — commit, open and verify for one polynomial and one evaluation claim.
//!
//! The `MultilinearPcs` trait, claim batching, polynomials committed together, the security
//! analysis and the proof-size work come next (see `spec/pcs.md`).

pub mod basefold;
pub mod code;
pub mod merkle;
