//! zkcnn: proofs of convolutional-neural-network inference with GKR and sum-check, in the style
//! of zkCNN (Liu–Xie–Zhang, CCS 2021).
//!
//! Modules, bottom-up:
//!
//! * [`field`] — Goldilocks `F`, its quadratic extension `E`, and BN254's scalar field;
//! * [`transcript`] — typed Fiat–Shamir on Merlin;
//! * [`poly`] — dense multilinear tables, `eq` tables, folding, evaluation;
//! * [`sumcheck`] — sum-check for sums of products of up to three multilinear polynomials;
//! * [`gkr`] — layered arithmetic circuits and Libra's linear-time GKR prover and verifier;
//! * [`pcs`] — multilinear commitments: Basefold, and packing many tables into one;
//! * [`range`] — range checks by logUp with a GKR over fractions (logUp-GKR);
//! * [`model`] — the CNN model IR (JSON), its validation, exact integer inference with a
//!   witness checker, and seeded example models;
//! * [`layers`] — the layer protocols (dense, convolution, window sums, flatten);
//! * [`network`] — whole-network proofs: commit a model once, prove and verify inferences;
//! * [`onnx`] — ONNX import: a float model calibrated and quantized into the IR;
//! * [`zk`] — what zero-knowledge sub-protocols share: deferred claims, table masks.
//!
//! Every verifier returns `Err` (never panics) on malformed proofs. The specification of each
//! protocol is in the repository's `spec/` folder.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
pub mod field;
pub mod gkr;
pub mod layers;
pub mod model;
pub mod network;
pub mod npy;
pub mod onnx;
pub mod parallel;
pub mod pcs;
pub mod poly;
pub mod range;
pub mod sumcheck;
pub mod testing;
pub mod transcript;
pub mod zk;

/// The README's examples, run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
