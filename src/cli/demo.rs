//! `zkcnn demo`: commit LeNet-5 and a digit with hiding commitments, prove the inference in
//! zero knowledge (weights and digit hidden), verify the proof from its bytes, and print the
//! digit, the prediction and the figures.

use super::error::CliError;
use super::files::{self, argmax};
use super::ui::{self, Progress};
use super::Report;
use rand::rngs::OsRng;
use serde_json::json;
use std::fmt::Write as _;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::model::Model;
use zkcnn::network::{self, ZkInput, ZkNetworkProof};

/// The demo's model: LeNet-5 trained on MNIST, imported from `fixtures/mnist-lenet5/model.onnx`.
const MODEL: &str = include_str!("../../fixtures/mnist-lenet5/model.json");
/// The demo's digit: the first held-out MNIST image of the fixture, pixels / 255.
const DIGIT: &str = include_str!("../../fixtures/mnist-lenet5/demo-digit.json");
/// The fixture's report, which holds the digit's label.
const REPORT: &str = include_str!("../../fixtures/mnist-lenet5/report.json");

/// The demo's model, its digit (real values in `[0, 1]`, shape `[1, 28, 28]`), and a
/// description of both.
fn model_and_digit() -> Result<(Model, Vec<f32>, String), CliError> {
    let model = Model::from_json(MODEL).map_err(failed)?;
    let numbers = model.input_shape.iter().product();
    let (shape, digit) = files::real_tensor(DIGIT, numbers).map_err(failed)?;
    if shape != model.input_shape {
        return Err(failed(format!("the demo digit has shape {shape:?}")));
    }
    let label = serde_json::from_str::<serde_json::Value>(REPORT)
        .ok()
        .and_then(|r| r["demo_digit_label"].as_u64())
        .map_or("an unlabelled digit".into(), |l| format!("a {l}"));
    let about = format!(
        "LeNet-5 trained on MNIST (fixtures/mnist-lenet5, quantized to 8 bits) on a handwritten \
         digit held out from training, labelled {label}"
    );
    Ok((model, digit, about))
}

/// The image as text, two pixel rows per line.
fn ascii_art(pixels: &[f32], width: usize) -> String {
    const RAMP: &[u8] = b" .:-=+*#%@";
    let rows: Vec<&[f32]> = pixels.chunks(width).collect();
    let mut out = String::new();
    for pair in rows.chunks(2) {
        out.push_str("    ");
        for x in 0..width {
            let sum: f32 = pair.iter().filter_map(|r| r.get(x)).sum();
            let v = (sum / pair.len() as f32).clamp(0.0, 1.0);
            let i = ((v * (RAMP.len() - 1) as f32).round() as usize).min(RAMP.len() - 1);
            out.push(char::from(RAMP.get(i).copied().unwrap_or(b'?')));
        }
        out.push('\n');
    }
    out
}

fn failed(reason: impl std::fmt::Display) -> CliError {
    CliError::Failed {
        action: "run the demo".into(),
        reason: reason.to_string(),
    }
}

/// Runs the demo.
pub fn run(progress: &Progress) -> Result<Report, CliError> {
    let (model, digit, about) = model_and_digit()?;
    let quantization = model
        .quantization
        .clone()
        .ok_or_else(|| failed("no quantization"))?;
    let q = quantization.quantize_input(&digit, model.activation_bits);
    let input =
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&model.input_shape), q).map_err(failed)?;
    // The model's owner commits to the weights (hiding), with the proof that the commitment
    // holds a model of the architecture; the digit's owner commits to the digit.
    let (committed, commit) = progress.step("committing the model (hiding)", || {
        let mut c = network::commit_model_zk::<F, E, _>(&model, &mut OsRng)?;
        let check = network::prove_model_check_zk::<F, E, _>(&model, &mut c, &mut OsRng)?;
        Ok::<_, network::NetworkError>((c, check))
    });
    let (mut committed, check) = committed.map_err(failed)?;
    let (committed_input, commit_input) = progress.step("committing the digit (hiding)", || {
        network::commit_input_zk::<F, E, _>(&model, &input, &mut OsRng)
    });
    let mut committed_input = committed_input.map_err(failed)?;
    let (proved, prove) = progress.step("proving in zero knowledge", || {
        network::prove_zk_committed_input::<F, E, _>(
            &model,
            &mut committed,
            &mut committed_input,
            &mut OsRng,
        )
    });
    let (output, proof) = proved.map_err(failed)?;
    let y: Vec<i64> = output.iter().copied().collect();
    let digest = network::zk_statement_digest(
        &model,
        &committed.commitment,
        ZkInput::Committed(&committed_input.commitment),
        &y,
    );
    let bytes = proof.to_bytes(digest);
    // The verifier holds the architecture, the two commitments, the output and the bytes.
    let architecture = model.architecture();
    let (model_c, input_c) = (&committed.commitment, &committed_input.commitment);
    let (verified, verify) = progress.step("verifying", || {
        let checked = network::verify_model_check_zk::<F, E>(&architecture, model_c, &check)
            .map_err(|e| format!("the model commitment's check failed: {e}"))?;
        let p = ZkNetworkProof::<F, E>::from_bytes(&bytes, digest).map_err(|e| e.to_string())?;
        network::verify_zk_committed_input(&architecture, &checked, input_c, &y, &p)
            .map_err(|e| e.to_string())
    });
    verified.map_err(|e| failed(format!("the proof does not verify: {e}")))?;
    let class = argmax(&y);
    let scores = quantization.dequantize_output(&y);

    let mut text = format!("zkcnn demo: {about}\n\n");
    text.push_str(&ascii_art(&digit, 28));
    let _ = writeln!(text);
    let _ = writeln!(text, "proven output (integer logits): {y:?}");
    let _ = writeln!(
        text,
        "dequantized logits: {scores:?} (y · 2^-{}, computed outside the proof)",
        quantization.output_frac_bits
    );
    if let Some(c) = class {
        let _ = writeln!(
            text,
            "predicted class: {c} (argmax of the proven logits, computed outside the proof)"
        );
    }
    let _ = writeln!(
        text,
        "commit model {} (once per model) · commit digit {} · prove {} · verify {} · proof {}",
        ui::duration(commit),
        ui::duration(commit_input),
        ui::duration(prove),
        ui::duration(verify),
        ui::bytes(bytes.len())
    );
    let _ = writeln!(
        text,
        "verified in zero knowledge: the committed model, on the committed digit, outputs these \
         logits; the proof reveals neither the weights nor the digit ({} thread(s))",
        zkcnn::parallel::num_threads()
    );
    Ok(Report {
        text,
        json: json!({
            "about": about,
            "output": y,
            "dequantized": scores,
            "class": class,
            "valid": true,
            "kind": network::ProofKind::ZeroKnowledge.name(),
            "input_hidden": true,
            "commit_ms": ui::ms(commit),
            "commit_input_ms": ui::ms(commit_input),
            "prove_ms": ui::ms(prove),
            "verify_ms": ui::ms(verify),
            "proof_bytes": bytes.len(),
            "threads": zkcnn::parallel::num_threads(),
        }),
    })
}
