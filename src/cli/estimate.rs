//! `inspect`'s cost estimate, and its `--measure` run.
//!
//! The estimate is a cost model, not a measurement:
//!
//! * proof size: two Basefold openings, each `f(n)` bytes for a table of `2^n` elements, with
//!   `f` the quadratic least-squares fit of the eight openings measured (`inspect --measure`,
//!   proof format 2 with grinding) on the golden every-kind model, the zoo's small VGG, LeNet-5
//!   and VGG-16 (2^9 to 2^24 elements), plus 7 KiB and 1.4 KiB per layer for the layer
//!   sum-checks, values and range check. Estimated (measured): every-kind 75.7 KiB (69.8),
//!   small VGG 160.0 KiB (159.3), LeNet-5 234.1 KiB (235.3), VGG-16 482.7 KiB (483.5);
//! * prove time (model commitment excluded): the model's opening (75 ns per element), the
//!   advice's commitment (150 ns per element), the layer protocols, range check and witness
//!   (0.95 ns per multiply-add) and 10 ms of fixed work; verify time: 3 ms (the two Basefold
//!   verifications) and 0.033 ns per multiply-add. These constants come from the README's
//!   warm, median-of-3 LeNet-5 (34 ms / 3.1 ms) and VGG-16 (2.10 s / 13.6 ms, with its phase
//!   breakdown) runs on this project's machine type (2 cores, release build, mimalloc), from
//!   before the openings' grinding (up to 2^20 hashes on the largest openings); the estimate
//!   gives 30 ms / 3.0 ms and 1.88 s / 13.4 ms for them. `--measure` times one cold run in a
//!   fresh process (first touches of fresh memory included), which reads higher: 61–90 ms for
//!   LeNet-5 and 2.87 s for VGG-16 in single runs here on a shared, loaded machine.

use super::ui::Progress;
use std::time::Duration;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::model::{zoo, Model};
use zkcnn::network;

/// How the estimate is derived, for people.
pub const HOW: &str = "an estimate: Basefold opening sizes fitted to measured ones plus the \
    layers' parts; times linear in the committed model's and the advice's sizes and in the \
    multiply-adds, with constants from measured LeNet-5 and VGG-16 runs on 2 cores; \
    `inspect --measure` measures instead";

/// Prover nanoseconds per committed-model element (its opening).
const PROVE_NS_PER_MODEL_ELEMENT: f64 = 75.0;
/// Prover nanoseconds per advice element (its commitment; its opening runs alongside the
/// model's).
const PROVE_NS_PER_ADVICE_ELEMENT: f64 = 150.0;
/// Prover nanoseconds per multiply-add (witness, layer sum-checks, range check).
const PROVE_NS_PER_MAC: f64 = 0.95;
/// Prover fixed work, in milliseconds.
const PROVE_FIXED_MS: f64 = 10.0;
/// A Basefold opening's size in KiB at `2^n` elements: `c0 + c1·n + c2·n²`, least squares over
/// the openings measured at n = 9, 12, 13, 15, 16, 17, 21, 24 (14.4, 41.3, 55.9, 83.0, 95.6,
/// 116.3, 184.6, 241.2 KiB).
const OPENING_KIB: [f64; 3] = [-40.3323, 2.2878, 0.3963];
/// Below this many variables the fit is not used (its value there is the floor).
const OPENING_MIN_VARS: f64 = 8.0;
/// Bytes of the layer sum-checks, the values and the range check: fixed, and per layer.
const REST_BYTES: f64 = 7000.0;
const BYTES_PER_LAYER: f64 = 1400.0;
/// Verifier time: a fixed part (two Basefold verifications) and a part per multiply-add.
const VERIFY_FIXED_MS: f64 = 3.0;
const VERIFY_NS_PER_MAC: f64 = 0.033;

/// Estimated figures for one proof.
pub struct Estimate {
    /// Proof size.
    pub proof_bytes: usize,
    /// Prover time (model commitment excluded).
    pub prove: Duration,
    /// Verifier time.
    pub verify: Duration,
}

impl Estimate {
    /// The estimate for a model with these table sizes, layers and multiply-adds.
    pub fn new(model_vars: usize, advice_vars: usize, layers: usize, macs: u128) -> Self {
        let opening = |vars: usize| {
            let n = (vars as f64).max(OPENING_MIN_VARS);
            (OPENING_KIB[0] + OPENING_KIB[1] * n + OPENING_KIB[2] * n * n) * 1024.0
        };
        let proof = opening(model_vars)
            + opening(advice_vars)
            + REST_BYTES
            + BYTES_PER_LAYER * layers as f64;
        let prove_ns = PROVE_FIXED_MS * 1e6
            + PROVE_NS_PER_MODEL_ELEMENT * 2f64.powi(model_vars as i32)
            + PROVE_NS_PER_ADVICE_ELEMENT * 2f64.powi(advice_vars as i32)
            + PROVE_NS_PER_MAC * macs as f64;
        let verify_ms = VERIFY_FIXED_MS + VERIFY_NS_PER_MAC * macs as f64 * 1e-6;
        Estimate {
            proof_bytes: proof.min(usize::MAX as f64) as usize,
            prove: Duration::from_secs_f64(prove_ns * 1e-9),
            verify: Duration::from_secs_f64(verify_ms * 1e-3),
        }
    }
}

/// Figures of one measured run.
pub struct Measured {
    /// Model commitment.
    pub commit: Duration,
    /// Proving.
    pub prove: Duration,
    /// Verifying (from the proof's bytes).
    pub verify: Duration,
    /// Proof size.
    pub proof_bytes: usize,
    /// The proof's parts and their sizes.
    pub parts: Vec<(&'static str, usize)>,
}

/// Commits, proves and verifies once on a seeded random input.
pub fn measure(model: &Model, progress: &Progress) -> Result<Measured, String> {
    let (committed, commit) = progress.step("committing the model", || {
        network::commit_model::<F, E>(model)
    });
    let committed = committed.map_err(|e| e.to_string())?;
    let input = zoo::random_input(&model.input_shape, model.activation_bits, 1);
    let (proved, prove) = progress.step("proving", || {
        network::prove::<F, E>(model, &committed, &input)
    });
    let (output, proof) = proved.map_err(|e| e.to_string())?;
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let digest = network::statement_digest(model, committed.commitment(), &x, &y);
    let bytes = proof.to_bytes(digest);
    let (verified, verify) = progress.step("verifying", || {
        network::Proof::<F, E>::from_bytes(&bytes, digest)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                let checked = committed
                    .public
                    .check(model)
                    .map_err(|e| format!("the model commitment's check failed: {e}"))?;
                network::verify(model, &checked, &x, &y, &p).map_err(|e| e.to_string())
            })
    });
    verified.map_err(|e| format!("the proof does not verify: {e}"))?;
    Ok(Measured {
        commit,
        prove,
        verify,
        proof_bytes: bytes.len(),
        parts: proof.part_sizes(),
    })
}
