//! `inspect`'s cost estimate, and its `--measure` run.
//!
//! The estimate is a cost model, not a measurement: the prover's time is dominated by the two
//! Basefold openings (linear in the committed model's and the advice's table sizes), the
//! advice commitment (linear in the advice) and the layer protocols (about linear in the
//! multiply-adds); a Basefold opening grows by a roughly constant number of bytes per
//! variable. The constants were fitted to `inspect --measure` runs of the zoo's LeNet-5, small
//! VGG and VGG-16 on this project's machine type (2 cores, release build, mimalloc); see the
//! README's CLI section for how close the estimate came.

use super::ui::Progress;
use std::time::Duration;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::model::{zoo, Model};
use zkcnn::network;

/// How the estimate is derived, for people.
pub const HOW: &str = "an estimate: linear in the committed model's and the advice's table \
    sizes and in the multiply-adds, with constants fitted to measured runs of LeNet-5, a small \
    VGG and VGG-16 on 2 cores; `inspect --measure` measures instead";

/// Prover nanoseconds per committed-model element (its opening).
const PROVE_NS_PER_MODEL_ELEMENT: f64 = 75.0;
/// Prover nanoseconds per advice element (its commitment and opening).
const PROVE_NS_PER_ADVICE_ELEMENT: f64 = 250.0;
/// Prover nanoseconds per multiply-add (inference, witness and layer sum-checks).
const PROVE_NS_PER_MAC: f64 = 0.5;
/// Bytes of one Basefold opening at 16 variables, and per variable more.
const OPENING_BYTES_AT_16: f64 = 107.0 * 1024.0;
const OPENING_BYTES_PER_VAR: f64 = 23.0 * 1024.0;
/// Bytes of the layer sum-checks, the values and the range check, per layer.
const BYTES_PER_LAYER: f64 = 3.0 * 1024.0;
/// Verifier time: a fixed part (two Basefold verifications) and a part per multiply-add.
const VERIFY_FIXED_MS: f64 = 3.0;
const VERIFY_NS_PER_MAC: f64 = 0.03;

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
    pub fn new(model_vars: usize, advice_vars: usize, layers: usize, macs: usize) -> Self {
        let opening = |vars: usize| {
            (OPENING_BYTES_AT_16 + OPENING_BYTES_PER_VAR * (vars as f64 - 16.0))
                .max(OPENING_BYTES_AT_16 / 4.0)
        };
        let proof = opening(model_vars) + opening(advice_vars) + BYTES_PER_LAYER * layers as f64;
        let prove_ns = PROVE_NS_PER_MODEL_ELEMENT * 2f64.powi(model_vars as i32)
            + PROVE_NS_PER_ADVICE_ELEMENT * 2f64.powi(advice_vars as i32)
            + PROVE_NS_PER_MAC * macs as f64;
        let verify_ms = VERIFY_FIXED_MS + VERIFY_NS_PER_MAC * macs as f64 * 1e-6;
        Estimate {
            proof_bytes: proof as usize,
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
    let digest = network::statement_digest(model, &committed.commitment, &x, &y);
    let bytes = proof.to_bytes(digest);
    let (verified, verify) = progress.step("verifying", || {
        network::Proof::<F, E>::from_bytes(&bytes, digest)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                network::verify(model, &committed.commitment, &x, &y, &p).map_err(|e| e.to_string())
            })
    });
    verified.map_err(|e| format!("the proof does not verify: {e}"))?;
    Ok(Measured {
        commit,
        prove,
        verify,
        proof_bytes: bytes.len(),
    })
}
