//! `zkcnn import`: an ONNX model becomes our JSON model IR through `zkcnn::onnx`, calibrated on
//! sample inputs, with a report of what became of every node and how closely the quantized
//! model agrees with the float one.
//!
//! Tensors stored as external data are read from their side files, relative to the model's
//! directory. Every error the import finds in the model prints as `cannot import '<model>':
//! <why>`, naming the ONNX node (name, op type, first output) or tensor it is about.

use super::error::CliError;
use super::files;
use super::ui::{self, Progress};
use super::{ImportArgs, Report};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;
use zkcnn::onnx::{self, ImportOptions};

/// Float samples from a `.npy` array of shape `[N, ...input_shape]` (or one sample of
/// `input_shape`).
fn samples(path: &Path, shape: &[usize]) -> Result<Vec<Vec<f32>>, CliError> {
    let bytes = files::read_at_most(
        "samples",
        path,
        files::MAX_SAMPLES_BYTES,
        "calibration and evaluation sets",
    )?;
    let a = zkcnn::npy::read_f32(&bytes).map_err(|e| CliError::invalid("samples", path, e))?;
    let per: usize = shape.iter().product();
    let batched = a.shape.get(1..) == Some(shape);
    if !(batched || a.shape == shape) || per == 0 {
        return Err(CliError::invalid(
            "samples",
            path,
            format!(
                "shape {:?}; expected [N, {}] for the model's input shape {shape:?}",
                a.shape,
                shape
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(a.data.chunks(per).map(<[f32]>::to_vec).collect())
}

/// Class labels from an integer `.npy` array.
fn labels(path: &Path, count: usize) -> Result<Vec<usize>, CliError> {
    let bytes = files::read_at_most(
        "labels",
        path,
        files::MAX_SAMPLES_BYTES,
        "calibration and evaluation sets",
    )?;
    let a = zkcnn::npy::read_i64(&bytes).map_err(|e| CliError::invalid("labels", path, e))?;
    if a.data.len() != count {
        return Err(CliError::invalid(
            "labels",
            path,
            format!("{} labels for {count} evaluation inputs", a.data.len()),
        ));
    }
    a.data
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            usize::try_from(l)
                .map_err(|_| CliError::invalid("labels", path, format!("label {i} is {l}")))
        })
        .collect()
}

/// An import error: the model cannot be imported (whatever step found it).
fn cannot_import(path: &Path, e: onnx::OnnxError) -> CliError {
    CliError::Failed {
        action: format!("import '{}'", path.display()),
        reason: e.to_string(),
    }
}

fn percent(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// Runs the import.
pub fn run(a: &ImportArgs, progress: &Progress) -> Result<Report, CliError> {
    let bytes = files::read_at_most(
        "ONNX model",
        &a.model,
        files::MAX_ONNX_BYTES,
        "a model file's limit of 2^24 weights",
    )?;
    let shape = onnx::input_shape(&bytes).map_err(|e| cannot_import(&a.model, e))?;
    // Side files (external data) are named relative to the model's directory.
    let dir = match a.model.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let evaluation = match a.eval.as_deref() {
        Some([x, y]) => {
            let d = a.eval_divisor;
            if !(d.is_finite() && d > 0.0) {
                return Err(CliError::Usage(format!(
                    "--eval-divisor must be a positive number; it is {d}"
                )));
            }
            let xs: Vec<Vec<f32>> = samples(x, &shape)?
                .into_iter()
                .map(|s| s.into_iter().map(|v| v / d).collect())
                .collect();
            let ys = labels(y, xs.len())?;
            Some((xs, ys))
        }
        Some(_) => {
            return Err(CliError::Usage(
                "--eval takes two files: X.npy LABELS.npy".into(),
            ))
        }
        None => None,
    };
    let calibration = match (&a.calibration, &evaluation) {
        (Some(path), _) => samples(path, &shape)?,
        (None, Some((xs, _))) => xs.clone(),
        (None, None) => {
            return Err(CliError::Usage(
                "import needs sample inputs to choose the scales: give --calibration X.npy \
                 (or --eval X.npy LABELS.npy)"
                    .into(),
            ))
        }
    };
    let options = ImportOptions {
        calibration,
        evaluation,
        activation_bits: a.activation_bits,
        weight_bits: a.weight_bits,
        name: a.name.clone(),
        saturate: a.saturate,
    };
    let (imported, took) = progress.step("importing", || {
        onnx::import_with_external_data(&bytes, dir, &options)
    });
    let imported = imported.map_err(|e| cannot_import(&a.model, e))?;
    let weights = files::save_model(&a.output, &imported.model, a.weights.into())?;
    let report = serde_json::to_value(&imported.report).unwrap_or_default();
    if let Some(path) = &a.report {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        files::write("report", path, text.as_bytes())?;
    }
    let r = &imported.report;
    let g = &r.agreement;
    let m = &imported.model;
    let mut text = format!(
        "imported '{}' as '{}' ({}): input {:?}, {} layers, {}-bit activations, {}-bit weights, in {}\n",
        a.model.display(),
        a.output.display(),
        m.name,
        m.input_shape,
        m.layers.len(),
        m.activation_bits,
        m.weight_bits,
        ui::duration(took)
    );
    if let Some((path, len)) = &weights {
        let _ = writeln!(
            text,
            "weights ({} parameters) written to '{}' ({}), named by '{}'",
            m.parameters(),
            path.display(),
            ui::bytes(*len as usize),
            a.output.display()
        );
    }
    let _ = writeln!(
        text,
        "scales: input × 2^{}, output × 2^-{}; calibrated on {} inputs",
        r.input_frac_bits, r.output_frac_bits, r.calibration_samples
    );
    let _ = write!(
        text,
        "float vs quantized on the {} set ({} inputs): top-1 agreement {}, max logit error {:.4}",
        r.agreement_set,
        g.samples,
        percent(g.top1_match_rate),
        g.max_logit_error
    );
    if let (Some(f), Some(q)) = (g.float_accuracy, g.quantized_accuracy) {
        let _ = write!(
            text,
            ", accuracy {} (float) vs {} (quantized)",
            percent(f),
            percent(q)
        );
    }
    let _ = writeln!(text);
    if g.overflows > 0 {
        let _ = writeln!(
            text,
            "warning: quantized inference overflowed on {} inputs (no proof possible on them)",
            g.overflows
        );
    }
    if !r.outside.is_empty() {
        let _ = writeln!(
            text,
            "outside the proof (applied to the proven output): {}",
            r.outside.join(", ")
        );
    }
    if let Some(path) = &a.report {
        let _ = writeln!(text, "report written to {}", path.display());
    }
    Ok(Report {
        text,
        json: json!({
            "model": a.output.display().to_string(),
            "weights": weights.as_ref().map(|(path, _)| path.display().to_string()),
            "name": m.name,
            "report": report,
            "import_ms": ui::ms(took),
        }),
    })
}
