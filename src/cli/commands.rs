//! `commit`, `prove`, `verify` and `inspect`: the files in, the library's calls, the report out.
//! Proofs are over Goldilocks with challenges in its quadratic extension.

use super::commitment::{architecture_digest, CommitmentFile};
use super::error::CliError;
use super::files::{self, argmax};
use super::ui::{self, Progress};
use super::{ProveArgs, Report, VerifyArgs};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::layers::Dims;
use zkcnn::model::{Layer, Model};
use zkcnn::network::plan::Plan;
use zkcnn::network::{self, shards, FormatError, NetworkError, ProofKind};

/// The proof's field, for messages.
const FIELD: &str = "Goldilocks, challenges in its quadratic extension";

pub(super) fn show(path: &Path) -> String {
    path.display().to_string()
}

/// The model's plan: every limit of the proof system checked from the architecture alone,
/// before anything proportional to the model is allocated or read.
pub(super) fn plan(model: &Model, path: &Path) -> Result<Plan, CliError> {
    Plan::new(model).map_err(|e| {
        let input = Dims::new(&model.input_shape).num_vars() > network::MAX_VARS;
        match e {
            // The plan's message for the input reads as a layer's ("its output tensor").
            NetworkError::TooLarge {
                layer: None,
                size,
                limit,
                ..
            } if input => CliError::invalid(
                "model",
                path,
                format!(
                    "the input tensor (padded to powers of two) has {size} entries; the limit \
                     is {limit}"
                ),
            ),
            e => CliError::invalid("model", path, e),
        }
    })
}

/// Commits to the model's weights and writes the commitment file (and the architecture).
pub fn commit(
    model_path: &Path,
    out: &Path,
    architecture: Option<&Path>,
    prover_data: Option<&Path>,
    progress: &Progress,
) -> Result<Report, CliError> {
    let model = files::read_model(model_path)?;
    let (committed, took) = progress.step("committing the model", || {
        network::commit_model::<F, E>(&model)
    });
    let committed = committed.map_err(|e| CliError::Failed {
        action: format!("commit '{}'", show(model_path)),
        reason: e.to_string(),
    })?;
    let file = CommitmentFile {
        architecture: architecture_digest(&model),
        commitment: committed.public.clone(),
    };
    let bytes = file.to_bytes();
    files::write("commitment", out, &bytes)?;
    if let Some(path) = architecture {
        files::write_model(path, &model.architecture())?;
    }
    if let Some(path) = prover_data {
        let written = std::fs::File::create(path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            committed.write_prover_data(&mut w)?;
            std::io::Write::flush(&mut w)
        });
        written.map_err(|e| CliError::write("prover data", path, &e))?;
    }
    let root = hex(&committed.commitment().root);
    let mut text = format!(
        "committed '{}' ({}) with a transparent commitment: root {root}, 2^{} field elements, \
         in {}\nwrote {} ({})\n",
        show(model_path),
        model.name,
        committed.commitment().num_vars,
        ui::duration(took),
        show(out),
        ui::bytes(bytes.len()),
    );
    if let Some(path) = architecture {
        let _ = writeln!(text, "wrote the architecture to {}", show(path));
    }
    if let Some(path) = prover_data {
        let _ = writeln!(text, "wrote the prover data to {}", show(path));
    }
    Ok(Report {
        text,
        json: json!({
            "model": model.name,
            "kind": ProofKind::Transparent.name(),
            "commitment": show(out),
            "root": root,
            "num_vars": committed.commitment().num_vars,
            "architecture": architecture.map(show),
            "commit_ms": ui::ms(took),
        }),
    })
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Proves the model on the input; writes the proof and, if asked, the output file.
pub fn prove(a: &ProveArgs, progress: &Progress) -> Result<Report, CliError> {
    if a.prover_data.is_some() && a.commitment.is_none() {
        return Err(CliError::Usage(
            "prove --transparent --prover-data needs --commitment: the commitment file that \
             `commit --transparent --prover-data` wrote with it"
                .into(),
        ));
    }
    let model = files::read_model(&a.model)?;
    plan(&model, &a.model)?;
    let inputs = files::read_inputs(&a.input, &model, a.input_divisor)?;
    let expected = match &a.commitment {
        Some(path) => Some((path, read_commitment(path, &model, &a.model)?)),
        None => None,
    };
    let action = || format!("prove '{}' on '{}'", show(&a.model), show(&a.input));
    // With the commitment file, only its Basefold commitment is recomputed (its check is in the
    // file); without it, the whole commitment.
    let stored = match &a.prover_data {
        Some(path) => Some((path, files::open("prover data", path)?)),
        None => None,
    };
    let (committed, commit_took) =
        progress.step("committing the model", || match (&expected, stored) {
            (Some((_, file)), Some((_, f))) => network::CommittedModel::load(
                &model,
                file.commitment.clone(),
                &mut std::io::BufReader::new(f),
            ),
            (Some((_, file)), None) => {
                network::CommittedModel::reuse(&model, file.commitment.clone())
            }
            _ => network::commit_model::<F, E>(&model),
        });
    let committed = committed.map_err(|e| match (e, &expected) {
        (network::NetworkError::CommitmentMismatch, Some((path, _))) => {
            CliError::Mismatch(format!(
                "commitment '{}' does not match model '{}': it commits to other weights",
                show(path),
                show(&a.model)
            ))
        }
        (network::NetworkError::ProverData(why), _) => CliError::invalid(
            "prover data",
            a.prover_data.as_deref().unwrap_or(Path::new("")),
            why,
        ),
        (e, _) => CliError::Failed {
            action: action(),
            reason: e.to_string(),
        },
    })?;
    let input = match inputs {
        files::Inputs::One(_) if a.shard.is_some() => {
            return Err(CliError::Usage(format!(
                "prove --shard takes a batch of inputs (a .npy or JSON array [N, ...input \
                 shape], or an @LIST of input files); '{}' is one input",
                show(&a.input)
            )))
        }
        // One labelled input: an accuracy proof of one (never a plain proof that drops the
        // labels).
        files::Inputs::One(x) => match &a.labels {
            Some(l) => {
                let xs = std::slice::from_ref(&x);
                return prove_accuracy(a, l, &model, &committed, xs, commit_took, progress);
            }
            None => x,
        },
        files::Inputs::Batch(xs) => {
            return match &a.labels {
                Some(l) => prove_accuracy(a, l, &model, &committed, &xs, commit_took, progress),
                None => prove_batch(a, &model, &committed, &xs, commit_took, progress),
            };
        }
    };
    let mut phases = network::Phases::new();
    let (proved, prove_took) = progress.step("proving", || {
        network::prove_timed::<F, E>(&model, &committed, &input, &mut phases)
    });
    let (output, proof) = proved.map_err(|e| CliError::Failed {
        action: action(),
        reason: e.to_string(),
    })?;
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let digest = network::statement_digest(&model, committed.commitment(), &x, &y);
    let bytes = proof.to_bytes(digest);
    files::write("proof", &a.proof, &bytes)?;
    let out_json = files::output_json(&model, &output);
    if let Some(path) = &a.output {
        files::write_output(path, &model, std::slice::from_ref(&output), false)?;
    }
    let class = argmax(&y);
    let mut text = format!(
        "proved '{}' on '{}' (a transparent proof): output {y:?}\n",
        show(&a.model),
        show(&a.input)
    );
    if let Some(c) = class {
        let _ = writeln!(
            text,
            "class {c} (argmax of the proven output, computed outside the proof)"
        );
    }
    let _ = writeln!(
        text,
        "prove {} (model commitment {} before it), proof {} written to {}",
        ui::duration(prove_took),
        ui::duration(commit_took),
        ui::bytes(bytes.len()),
        show(&a.proof)
    );
    if let Some(path) = &a.output {
        let _ = writeln!(text, "output written to {}", show(path));
    }
    let phase_json: serde_json::Map<String, serde_json::Value> = phases
        .iter()
        .map(|(n, d)| (n.to_string(), json!(ui::ms(*d))))
        .collect();
    Ok(Report {
        text,
        json: json!({
            "model": model.name,
            "kind": ProofKind::Transparent.name(),
            "output": out_json,
            "proof": show(&a.proof),
            "proof_bytes": bytes.len(),
            "output_file": a.output.as_deref().map(show),
            "commit_ms": ui::ms(commit_took),
            "prove_ms": ui::ms(prove_took),
            "phases_ms": phase_json,
        }),
    })
}

/// Proves the model on a batch of inputs in one transparent proof (kind: transparent batch);
/// writes the proof and, if asked, the outputs (a JSON array of output files' objects, in the
/// batch's order).
fn prove_batch(
    a: &ProveArgs,
    model: &Model,
    committed: &network::CommittedModel<F, E>,
    inputs: &[ndarray::ArrayD<i64>],
    commit_took: std::time::Duration,
    progress: &Progress,
) -> Result<Report, CliError> {
    let n = inputs.len();
    let mut phases = network::Phases::new();
    let (proved, prove_took) = progress.step("proving the batch", || {
        network::batch::prove_batch_timed::<F, E>(model, committed, inputs, &mut phases)
    });
    let (outputs, proof) = proved.map_err(|e| CliError::Failed {
        action: format!(
            "prove '{}' on the batch of {n} inputs '{}'",
            show(&a.model),
            show(&a.input)
        ),
        reason: e.to_string(),
    })?;
    let flat = |t: &ndarray::ArrayD<i64>| -> Vec<i64> { t.iter().copied().collect() };
    let xs: Vec<Vec<i64>> = inputs.iter().map(flat).collect();
    let ys: Vec<Vec<i64>> = outputs.iter().map(flat).collect();
    let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
    let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
    let digest = network::proof::batch_statement_digest(model, committed.commitment(), &xr, &yr);
    let bytes = proof.to_bytes(digest);
    files::write("proof", &a.proof, &bytes)?;
    let out_json: Vec<serde_json::Value> = outputs
        .iter()
        .map(|y| files::output_json(model, y))
        .collect();
    if let Some(path) = &a.output {
        files::write_output(path, model, &outputs, true)?;
    }
    let classes: Vec<Option<usize>> = ys.iter().map(|y| argmax(y)).collect();
    let mut text = format!(
        "proved '{}' on the batch of {n} inputs '{}' (one transparent batch proof)\n",
        show(&a.model),
        show(&a.input)
    );
    for (i, (y, c)) in ys.iter().zip(&classes).enumerate() {
        let class = c.map_or(String::new(), |c| format!(", class {c}"));
        let _ = writeln!(text, "  input {i}: output {y:?}{class}");
    }
    let _ = writeln!(
        text,
        "(classes: argmax of the proven outputs, computed outside the proof)\nprove {} (model \
         commitment {} before it), proof {} written to {}",
        ui::duration(prove_took),
        ui::duration(commit_took),
        ui::bytes(bytes.len()),
        show(&a.proof)
    );
    if let Some(path) = &a.output {
        let _ = writeln!(text, "outputs written to {}", show(path));
    }
    let phase_json: serde_json::Map<String, serde_json::Value> = phases
        .iter()
        .map(|(n, d)| (n.to_string(), json!(ui::ms(*d))))
        .collect();
    Ok(Report {
        text,
        json: json!({
            "model": model.name,
            "kind": ProofKind::TransparentBatch.name(),
            "count": n,
            "outputs": out_json,
            "proof": show(&a.proof),
            "proof_bytes": bytes.len(),
            "output_file": a.output.as_deref().map(show),
            "commit_ms": ui::ms(commit_took),
            "prove_ms": ui::ms(prove_took),
            "phases_ms": phase_json,
        }),
    })
}

/// Reads a commitment file and checks that it is for `model`'s architecture.
fn read_commitment(
    path: &Path,
    model: &Model,
    model_path: &Path,
) -> Result<CommitmentFile, CliError> {
    let bytes = files::read_at_most(
        "commitment",
        path,
        files::MAX_COMMITMENT_BYTES,
        "the largest model's commitment is under 1 MiB",
    )?;
    let file =
        CommitmentFile::from_bytes(&bytes).map_err(|e| CliError::invalid("commitment", path, e))?;
    if file.architecture != architecture_digest(model) {
        return Err(CliError::Mismatch(format!(
            "commitment '{}' is for another model architecture than '{}'",
            show(path),
            show(model_path)
        )));
    }
    Ok(file)
}

/// Why proof bytes were refused, in words.
pub(super) fn proof_format(e: FormatError, bytes: &[u8], path: &Path) -> CliError {
    match e {
        FormatError::Statement => CliError::Mismatch(format!(
            "proof '{}' is for another statement: the model, commitment, input or output given \
             differ from the ones it was made for",
            show(path)
        )),
        FormatError::NotAProof if bytes.starts_with(network::proof::MAGIC) => {
            CliError::invalid("proof", path, "file is truncated (inside the header)")
        }
        FormatError::Body(zkcnn::codec::DecodeError::Malformed(m))
            if m.contains("UnexpectedEof") =>
        {
            CliError::invalid(
                "proof",
                path,
                format!(
                    "file is truncated ({} bytes; the proof body ends early)",
                    bytes.len()
                ),
            )
        }
        FormatError::Body(zkcnn::codec::DecodeError::Malformed(m)) => CliError::invalid(
            "proof",
            path,
            format!("the proof body does not decode (corrupted): {m}"),
        ),
        other => CliError::invalid("proof", path, other),
    }
}

/// The kind of proof in the file's header, if it can be read (anything else is left to the
/// verifier of the kind asked for, or the transparent one, which says what is wrong); an
/// unknown kind byte is refused here.
fn peek_kind(path: &Path) -> Result<Option<ProofKind>, CliError> {
    let Ok(head) = file_head(path, 11) else {
        return Ok(None);
    };
    match network::proof::kind_of(&head) {
        Ok(kind) => Ok(Some(kind)),
        Err(e @ FormatError::UnknownKind(_)) => Err(CliError::invalid("proof", path, e)),
        Err(_) => Ok(None),
    }
}

/// The file's first `n` bytes (fewer if it is shorter).
fn file_head(path: &Path, n: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(n as usize);
    std::fs::File::open(path)?.take(n).read_to_end(&mut head)?;
    Ok(head)
}

/// Whether the file starts as a hiding commitment does (false when it cannot be read).
fn hiding_commitment(path: &Path) -> bool {
    file_head(path, 8).is_ok_and(|head| head == super::commitment::ZK_MAGIC)
}

/// Verifies a proof of the kind its header names (or the kind asked for with `--zk` /
/// `--transparent`, refusing a proof of the other kind); `Ok` only when it is valid.
pub fn verify(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    if a.shards {
        return verify_shards(a, progress);
    }
    let asked = if a.zk {
        Some(ProofKind::ZeroKnowledge)
    } else if a.transparent {
        Some(ProofKind::Transparent)
    } else {
        None
    };
    // A proof whose header cannot be read (a missing file) goes to the verifier of the
    // commitment's kind, which names the proof's problem after checking the other files (the
    // transparent one would call a hiding commitment the wrong kind).
    let found = match peek_kind(&a.proof)? {
        None if asked.is_none() && hiding_commitment(&a.commitment) => {
            Some(ProofKind::ZeroKnowledge)
        }
        found => found,
    };
    match (asked, found) {
        // --transparent takes a transparent batch proof too.
        (Some(ProofKind::Transparent), Some(ProofKind::TransparentBatch)) => {
            verify_batch(a, progress)
        }
        (Some(ProofKind::Transparent), Some(ProofKind::TransparentAccuracy)) => {
            verify_accuracy(a, progress)
        }
        // --zk takes a zero-knowledge batch or accuracy proof too.
        (Some(ProofKind::ZeroKnowledge), Some(ProofKind::ZeroKnowledgeBatch)) => {
            super::zk::verify_batch(a, progress)
        }
        (Some(ProofKind::ZeroKnowledge), Some(ProofKind::ZeroKnowledgeAccuracy)) => {
            super::zk::verify_accuracy(a, progress)
        }
        (Some(expected), Some(got)) if expected != got => Err(CliError::invalid(
            "proof",
            &a.proof,
            FormatError::Kind { expected, got },
        )),
        _ => match asked.or(found) {
            Some(ProofKind::ZeroKnowledge) => super::zk::verify(a, progress),
            Some(ProofKind::TransparentBatch) => verify_batch(a, progress),
            Some(ProofKind::TransparentAccuracy) => verify_accuracy(a, progress),
            Some(ProofKind::ZeroKnowledgeBatch) => super::zk::verify_batch(a, progress),
            Some(ProofKind::ZeroKnowledgeAccuracy) => super::zk::verify_accuracy(a, progress),
            _ => verify_transparent(a, progress),
        },
    }
}

/// Verifies a transparent batch proof against the batch of inputs (a `.npy` array
/// `[N, ...input shape]`) and the batch's outputs (a JSON array of `N` outputs); `Ok` only
/// when it is valid.
fn verify_batch(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    let model = files::read_architecture(&a.model)?;
    let plan = plan(&model, &a.model)?;
    let file = read_commitment(&a.commitment, &model, &a.model)?;
    if super::zk::is_input_commitment(&a.input) {
        return Err(CliError::invalid(
            "input",
            &a.input,
            "this is an input or dataset commitment (from `commit-input` or `commit-dataset`): \
             a transparent batch proof is made on a batch of public inputs",
        ));
    }
    let inputs = match files::read_inputs(&a.input, &model, a.input_divisor)? {
        files::Inputs::Batch(xs) => xs,
        files::Inputs::One(_) => {
            return Err(CliError::Mismatch(format!(
                "proof '{}' is a batch proof, but input '{}' is one input: give the batch of \
                 inputs it was made on (a .npy or JSON array [N, {}], or the @LIST of input \
                 files)",
                show(&a.proof),
                show(&a.input),
                model
                    .input_shape
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    };
    let n = inputs.len();
    let out_shape = plan.dims.last().map_or(&[][..], |d| d.shape.as_slice());
    let ys = files::read_outputs(&a.output, &model, out_shape, n)?;
    let xs: Vec<Vec<i64>> = inputs.iter().map(|x| x.iter().copied().collect()).collect();
    let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
    let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
    let bytes = files::read_at_most(
        "proof",
        &a.proof,
        files::MAX_PROOF_BYTES,
        "the largest models' proofs are about 500 KiB",
    )?;
    let digest =
        network::proof::batch_statement_digest(&model, &file.commitment.commitment, &xr, &yr);
    let proof = network::BatchProof::<F, E>::from_bytes(&bytes, digest)
        .map_err(|e| proof_format(e, &bytes, &a.proof))?;
    let (checked, check_took) = check_commitment(&file, &model, &a.commitment, progress)?;
    let (verified, took) = progress.step("verifying the batch", || {
        network::verify_batch(&model, &checked, &xr, &yr, &proof)
    });
    verified.map_err(|e| CliError::Rejected {
        path: show(&a.proof),
        reason: e.to_string(),
    })?;
    Ok(Report {
        text: format!(
            "valid: the model committed in '{}' ({}), on the batch of {n} inputs '{}', outputs \
             '{}'; verified in {} (the commitment's check in {})\n",
            show(&a.commitment),
            model.name,
            show(&a.input),
            show(&a.output),
            ui::duration(took),
            ui::duration(check_took)
        ),
        json: json!({
            "valid": true,
            "kind": ProofKind::TransparentBatch.name(),
            "model": model.name,
            "count": n,
            "outputs": ys,
            "verify_ms": ui::ms(took),
            "check_ms": ui::ms(check_took),
        }),
    })
}

/// Verifies a transparent proof; `Ok` only when it is valid.
fn verify_transparent(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    let model = files::read_architecture(&a.model)?;
    let plan = plan(&model, &a.model)?;
    let file = read_commitment(&a.commitment, &model, &a.model)?;
    if super::zk::is_input_commitment(&a.input) {
        return Err(CliError::invalid(
            "input",
            &a.input,
            "this is an input or dataset commitment (from `commit-input` or `commit-dataset`): \
             only zero-knowledge proofs (`prove --input-commitment`) are made on a committed \
             input",
        ));
    }
    let input = match files::read_inputs(&a.input, &model, a.input_divisor)? {
        files::Inputs::One(x) => x,
        files::Inputs::Batch(xs) => {
            return Err(CliError::Mismatch(format!(
                "input '{}' is a batch of {} inputs, but proof '{}' proves one input (its header \
                 says so)",
                show(&a.input),
                xs.len(),
                show(&a.proof)
            )))
        }
    };
    let out_shape = plan.dims.last().map_or(&[][..], |d| d.shape.as_slice());
    let y = files::read_output(&a.output, &model, out_shape)?;
    let x: Vec<i64> = input.iter().copied().collect();
    let bytes = files::read_at_most(
        "proof",
        &a.proof,
        files::MAX_PROOF_BYTES,
        "the largest models' proofs are about 500 KiB",
    )?;
    let digest = network::statement_digest(&model, &file.commitment.commitment, &x, &y);
    let proof = network::Proof::<F, E>::from_bytes(&bytes, digest)
        .map_err(|e| proof_format(e, &bytes, &a.proof))?;
    let (checked, check_took) = check_commitment(&file, &model, &a.commitment, progress)?;
    let (verified, took) = progress.step("verifying", || {
        network::verify(&model, &checked, &x, &y, &proof)
    });
    verified.map_err(|e| CliError::Rejected {
        path: show(&a.proof),
        reason: e.to_string(),
    })?;
    Ok(Report {
        text: format!(
            "valid: the model committed in '{}' ({}), on '{}', outputs '{}' ({} values); \
             verified in {} (the commitment's check in {})\n",
            show(&a.commitment),
            model.name,
            show(&a.input),
            show(&a.output),
            y.len(),
            ui::duration(took),
            ui::duration(check_took)
        ),
        json: json!({
            "valid": true,
            "kind": ProofKind::Transparent.name(),
            "model": model.name,
            "output": y,
            "verify_ms": ui::ms(took),
            "check_ms": ui::ms(check_took),
        }),
    })
}

/// One layer's figures (in `u128`, saturating: they are shown, never allocated).
struct LayerInfo {
    kind: &'static str,
    /// The tensors the layer reads, when that is not the previous layer's output (and an
    /// an Add's or Mul's `from`): a DAG's branches.
    reads: Option<Vec<usize>>,
    shape: Vec<usize>,
    params: u128,
    macs: u128,
}

fn layer_infos(model: &Model, shapes: &[Vec<usize>]) -> Vec<LayerInfo> {
    let product = |xs: &[usize]| xs.iter().fold(1u128, |n, &x| n.saturating_mul(x as u128));
    model
        .layers
        .iter()
        .zip(shapes)
        .enumerate()
        .map(|(i, (layer, shape))| {
            let out = product(shape);
            let (params, macs) = match layer {
                Layer::Conv2d(c) => {
                    // Each output reads its group's input channels only.
                    let per = product(&[c.group_in(), c.kernel[0], c.kernel[1]]);
                    let weights = per.saturating_mul(c.out_channels as u128);
                    (
                        weights.saturating_add(c.out_channels as u128),
                        out.saturating_mul(per),
                    )
                }
                Layer::Dense(d) => {
                    let weights = product(&[d.out_features, d.in_features]);
                    (weights.saturating_add(d.out_features as u128), weights)
                }
                Layer::AvgPool2d(p) => (0, out.saturating_mul(product(&[p.size, p.size]))),
                _ => (0, 0),
            };
            let reads = layer.inputs(i);
            let chain = match layer {
                Layer::Add(zkcnn::model::Add { from, .. })
                | Layer::Mul(zkcnn::model::Mul { from, .. }) => {
                    reads == [i, from.saturating_add(1)]
                }
                Layer::Concat(_) => false,
                _ => reads == [i],
            };
            LayerInfo {
                kind: layer.kind().name(),
                reads: (!chain).then_some(reads),
                shape: shape.clone(),
                params,
                macs,
            }
        })
        .collect()
}

/// A figure for JSON (whose numbers stop at `u64`).
fn saturate(x: u128) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

/// Shows the model's layers, sizes and an estimate of the proof's cost.
pub fn inspect(path: &Path, measure: bool, progress: &Progress) -> Result<Report, CliError> {
    let model = if measure {
        files::read_model(path)?
    } else {
        files::read_architecture(path)?
    };
    // The plan first: it refuses what is beyond the proof system's limits before any figure
    // is computed.
    let plan = plan(&model, path)?;
    let shapes = model
        .validate_architecture()
        .map_err(|e| CliError::invalid("model", path, e))?;
    let layers = layer_infos(&model, &shapes);
    let params = layers.iter().fold(0u128, |n, l| n.saturating_add(l.params));
    let macs = layers.iter().fold(0u128, |n, l| n.saturating_add(l.macs));
    let model_vars = plan.model_packing.num_vars();
    let advice_vars = plan.advice_packing.num_vars();
    let est = super::estimate::Estimate::new(model_vars, advice_vars, model.layers.len(), macs);

    let mut text = format!(
        "model '{}': input {:?}, {}-bit activations, {}-bit weights{}\n",
        model.name,
        model.input_shape,
        model.activation_bits,
        model.weight_bits,
        if model.quantization.is_some() {
            ", with quantization (real inputs are quantized)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        text,
        "| # | layer | output shape | parameters | multiply-adds |\n| --- | --- | --- | --- | --- |"
    );
    for (i, l) in layers.iter().enumerate() {
        // A DAG's layer that reads other tensors than the previous output: which (tensor 0
        // the input, t the output of layer t − 1).
        let reads = l.reads.as_ref().map_or(String::new(), |r| {
            let ts: Vec<String> = r.iter().map(|t| format!("t{t}")).collect();
            format!(" ← {}", ts.join(", "))
        });
        let _ = writeln!(
            text,
            "| {i} | {}{reads} | {:?} | {} | {} |",
            l.kind, l.shape, l.params, l.macs
        );
    }
    let _ = writeln!(text, "| | total | | {params} | {macs} |");
    let table_bytes = |vars: usize| ui::bytes_f64(8.0 * 2f64.powi(vars as i32));
    // A table beyond one column is committed as its columns (the plan refused anything beyond
    // 2^MAX_TABLE_VARS entries).
    let (model_columns, advice_columns) = (plan.model_columns(), plan.advice_columns());
    let in_columns = |c: network::columns::TableColumns| {
        if c.is_split() {
            format!(", in {} columns of 2^{}", c.count(), c.column_vars)
        } else {
            String::new()
        }
    };
    let _ = writeln!(
        text,
        "committed model: 2^{model_vars} field elements ({} as Goldilocks elements{}), committed once",
        table_bytes(model_vars),
        in_columns(model_columns)
    );
    let _ = writeln!(
        text,
        "advice per proof: 2^{advice_vars} field elements ({}{}), {} range-checked columns of {} bits",
        table_bytes(advice_vars),
        in_columns(advice_columns),
        plan.columns.len(),
        plan.table_bits
    );
    let _ = writeln!(
        text,
        "estimate (2 threads, release build): proof ≈ {}, prove ≈ {}, verify ≈ {}",
        ui::bytes(est.proof_bytes),
        ui::duration(est.prove),
        ui::duration(est.verify)
    );
    let _ = writeln!(text, "  ({})", super::estimate::HOW);
    let mut j = json!({
        "model": model.name,
        "input_shape": model.input_shape,
        "field": FIELD,
        "layers": layers.iter().map(|l| json!({
            "kind": l.kind, "output_shape": l.shape, "parameters": saturate(l.params),
            "multiply_adds": saturate(l.macs),
        })).collect::<Vec<_>>(),
        "parameters": saturate(params),
        "multiply_adds": saturate(macs),
        "model_vars": model_vars,
        "advice_vars": advice_vars,
        "model_columns": model_columns.count(),
        "advice_columns": advice_columns.count(),
        "range_columns": plan.columns.len(),
        "max_vars": network::MAX_VARS,
        "max_table_vars": network::MAX_TABLE_VARS,
        "provable": true,
        "estimate": {
            "proof_bytes": est.proof_bytes,
            "prove_ms": ui::ms(est.prove),
            "verify_ms": ui::ms(est.verify),
            "how": super::estimate::HOW,
        },
    });
    if measure {
        let m = super::estimate::measure(&model, progress).map_err(|reason| CliError::Failed {
            action: format!("measure '{}'", show(path)),
            reason,
        })?;
        let _ = writeln!(
            text,
            "measured (seeded random input, {} thread(s)): commit model {}, prove {}, verify {}, proof {}",
            zkcnn::parallel::num_threads(),
            ui::duration(m.commit),
            ui::duration(m.prove),
            ui::duration(m.verify),
            ui::bytes(m.proof_bytes)
        );
        if let serde_json::Value::Object(map) = &mut j {
            map.insert(
                "measured".into(),
                json!({
                    "threads": zkcnn::parallel::num_threads(),
                    "commit_ms": ui::ms(m.commit),
                    "prove_ms": ui::ms(m.prove),
                    "verify_ms": ui::ms(m.verify),
                    "proof_bytes": m.proof_bytes,
                    "proof_parts": m.parts.iter().map(|(n, b)| (n.to_string(), json!(b)))
                        .collect::<serde_json::Map<_, _>>(),
                }),
            );
        }
    }
    Ok(Report { text, json: j })
}

/// The model commitment's check (the committed table holds a model of this architecture), run
/// on every verification: it costs milliseconds, and a verifier then relies on nothing it did
/// not check itself. The checked commitment and how long the check took.
fn check_commitment(
    file: &CommitmentFile,
    model: &Model,
    path: &Path,
    progress: &Progress,
) -> Result<(network::CheckedCommitment, std::time::Duration), CliError> {
    let (checked, took) = progress.step("checking the model commitment", || {
        file.commitment.check(model)
    });
    let checked = checked.map_err(|e| CliError::Rejected {
        path: show(path),
        reason: format!("the model commitment's check failed: {e}"),
    })?;
    Ok((checked, took))
}

/// What an accuracy verification reads beside its proof: the architecture, the model
/// commitment, the inputs (one or a batch) as integer rows, and one label per input.
struct Labelled {
    model: Model,
    file: CommitmentFile,
    xs: Vec<Vec<i64>>,
    labels: Vec<usize>,
}

/// Reads [`Labelled`] from `verify`'s arguments (the labels in the output's place).
fn read_labelled(a: &VerifyArgs) -> Result<Labelled, CliError> {
    let model = files::read_architecture(&a.model)?;
    plan(&model, &a.model)?;
    let file = read_commitment(&a.commitment, &model, &a.model)?;
    if super::zk::is_input_commitment(&a.input) {
        return Err(CliError::invalid(
            "input",
            &a.input,
            "this is an input or dataset commitment (from `commit-input` or `commit-dataset`): \
             a transparent accuracy proof is made on public inputs and labels",
        ));
    }
    let inputs = files::read_inputs(&a.input, &model, a.input_divisor)?.into_vec();
    let labels = read_labels(&a.output, inputs.len())?;
    let xs = inputs.iter().map(|x| x.iter().copied().collect()).collect();
    Ok(Labelled {
        model,
        file,
        xs,
        labels,
    })
}

/// The labels of an accuracy proof: a `.npy` array of `n` integers, or a JSON array of them.
pub(super) fn read_labels(path: &Path, n: usize) -> Result<Vec<usize>, CliError> {
    let bytes = files::read_at_most(
        "labels",
        path,
        files::MAX_PROOF_BYTES,
        "a label is a few bytes",
    )?;
    let values: Vec<i64> = if bytes.starts_with(b"\x93NUMPY") {
        zkcnn::npy::read_i64(&bytes)
            .map_err(|e| CliError::invalid("labels", path, e))?
            .data
    } else {
        serde_json::from_slice(&bytes).map_err(|e| CliError::invalid("labels", path, e))?
    };
    if values.len() != n {
        return Err(CliError::Mismatch(format!(
            "labels '{}' has {} labels for {n} inputs",
            show(path),
            values.len()
        )));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            usize::try_from(l).map_err(|_| {
                CliError::invalid("labels", path, format!("label {l} at {i} is negative"))
            })
        })
        .collect()
}

/// Proves how many of the inputs the model classifies as their labels (kind: transparent
/// accuracy); writes the proof.
fn prove_accuracy(
    a: &ProveArgs,
    labels_path: &Path,
    model: &Model,
    committed: &network::CommittedModel<F, E>,
    inputs: &[ndarray::ArrayD<i64>],
    commit_took: std::time::Duration,
    progress: &Progress,
) -> Result<Report, CliError> {
    let all_inputs = inputs;
    let all = inputs.len();
    let all_labels = read_labels(labels_path, all)?;
    let (inputs, labels, shard) = match a.shard {
        None => (inputs, &all_labels[..], None),
        Some((start, end)) => {
            let slice = (start as usize)..(end as usize);
            match (
                inputs.get(slice.clone()),
                all_labels.get(slice),
                end - start <= network::batch::MAX_BATCH as u64,
            ) {
                (Some(x), Some(l), true) => (x, l, Some((start, end))),
                _ => {
                    return Err(CliError::Mismatch(format!(
                        "shard {start}..{end} is not a slice of at most {} of the {all} inputs \
                         '{}'",
                        network::batch::MAX_BATCH,
                        show(&a.input)
                    )))
                }
            }
        }
    };
    let n = inputs.len();
    let mut phases = network::Phases::new();
    let (proved, prove_took) = progress.step("proving the accuracy", || {
        network::accuracy::prove_accuracy_timed::<F, E>(
            model,
            committed,
            inputs,
            labels,
            &mut phases,
        )
    });
    let proof = proved.map_err(|e| CliError::Failed {
        action: format!(
            "prove the accuracy of '{}' on the {n} inputs '{}'",
            show(&a.model),
            show(&a.input)
        ),
        reason: e.to_string(),
    })?;
    let xs: Vec<Vec<i64>> = inputs.iter().map(|x| x.iter().copied().collect()).collect();
    let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
    let digest =
        network::accuracy::accuracy_statement_digest(model, committed.commitment(), &xr, labels);
    let bytes = proof.to_bytes(digest);
    files::write("proof", &a.proof, &bytes)?;
    let which = match shard {
        Some((start, end)) => format!("inputs {start}..{end} (a shard) of the {all} inputs"),
        None => format!("{n} inputs"),
    };
    let text = format!(
        "proved: '{}' classifies {} of the {which} '{}' as their labels '{}' (one \
         transparent accuracy proof; the logits are not in it)\nprove {} (model commitment {} \
         before it), proof {} written to {}\n",
        show(&a.model),
        proof.correct,
        show(&a.input),
        show(labels_path),
        ui::duration(prove_took),
        ui::duration(commit_took),
        ui::bytes(bytes.len()),
        show(&a.proof)
    );
    let phase_json: serde_json::Map<String, serde_json::Value> = phases
        .iter()
        .map(|(n, d)| (n.to_string(), json!(ui::ms(*d))))
        .collect();
    let mut j = json!({
        "model": model.name,
        "kind": ProofKind::TransparentAccuracy.name(),
        "count": n,
        "correct": proof.correct,
        "proof": show(&a.proof),
        "proof_bytes": bytes.len(),
        "commit_ms": ui::ms(commit_took),
        "prove_ms": ui::ms(prove_took),
        "phases_ms": phase_json,
    });
    if let (Some((start, end)), Some(obj)) = (shard, j.as_object_mut()) {
        let all_x: Vec<Vec<i64>> = all_inputs
            .iter()
            .map(|x| x.iter().copied().collect())
            .collect();
        let all_r: Vec<&[i64]> = all_x.iter().map(Vec::as_slice).collect();
        obj.insert(
            "shard".into(),
            json!({"start": start, "end": end, "correct": proof.correct, "proof": show(&a.proof)}),
        );
        obj.insert(
            "model_commitment".into(),
            json!(shards::commitment_id(committed.commitment())),
        );
        obj.insert(
            "dataset".into(),
            json!(hex(&shards::dataset_digest(&all_r, &all_labels))),
        );
        obj.insert("dataset_count".into(), json!(all));
    }
    Ok(Report { text, json: j })
}

/// Verifies a transparent accuracy proof against the inputs (a `.npy` batch, or one input)
/// and their labels (the output argument); `Ok` only when it is valid.
fn verify_accuracy(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    let Labelled {
        model,
        file,
        xs,
        labels,
    } = read_labelled(a)?;
    let n = xs.len();
    let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
    let bytes = files::read_at_most(
        "proof",
        &a.proof,
        files::MAX_PROOF_BYTES,
        "the largest models' proofs are about 500 KiB",
    )?;
    let digest = network::accuracy::accuracy_statement_digest(
        &model,
        &file.commitment.commitment,
        &xr,
        &labels,
    );
    let proof = network::AccuracyProof::<F, E>::from_bytes(&bytes, digest)
        .map_err(|e| proof_format(e, &bytes, &a.proof))?;
    let (checked, check_took) = check_commitment(&file, &model, &a.commitment, progress)?;
    let (verified, took) = progress.step("verifying the accuracy", || {
        network::verify_accuracy(&model, &checked, &xr, &labels, &proof)
    });
    verified.map_err(|e| CliError::Rejected {
        path: show(&a.proof),
        reason: e.to_string(),
    })?;
    Ok(Report {
        text: format!(
            "valid: the model committed in '{}' ({}) classifies {} of the {n} inputs '{}' as \
             their labels '{}' (first maximal logit); verified in {} (the commitment's check \
             in {})\n",
            show(&a.commitment),
            model.name,
            proof.correct,
            show(&a.input),
            show(&a.output),
            ui::duration(took),
            ui::duration(check_took)
        ),
        json: json!({
            "valid": true,
            "kind": ProofKind::TransparentAccuracy.name(),
            "model": model.name,
            "count": n,
            "correct": proof.correct,
            "verify_ms": ui::ms(took),
            "check_ms": ui::ms(check_took),
        }),
    })
}

/// The shard manifest of `verify --shards` (the proof argument).
pub(super) fn read_manifest(a: &VerifyArgs) -> Result<shards::Manifest, CliError> {
    let bytes = files::read_at_most(
        "shard manifest",
        &a.proof,
        16 << 20,
        "a manifest is about 100 bytes per shard",
    )?;
    shards::Manifest::from_json(&bytes)
        .map_err(|e| CliError::invalid("shard manifest", &a.proof, e))
}

/// A refused set of shards, named by its manifest.
pub(super) fn shard_rejected(a: &VerifyArgs, e: shards::ShardError) -> CliError {
    CliError::Rejected {
        path: show(&a.proof),
        reason: e.to_string(),
    }
}

/// The bytes of every shard's proof file (beside the manifest), in the manifest's order;
/// at most [`MAX_SHARD_PROOF_BYTES`] in all.
pub(super) fn read_shard_proofs(
    a: &VerifyArgs,
    manifest: &shards::Manifest,
) -> Result<Vec<Vec<u8>>, CliError> {
    let folder = a.proof.parent().unwrap_or(Path::new(""));
    let mut proofs = Vec::with_capacity(manifest.shards.len());
    let mut total_bytes = 0u64;
    for s in &manifest.shards {
        let path = folder.join(&s.proof);
        let b = files::read_at_most(
            "proof",
            &path,
            files::MAX_PROOF_BYTES,
            "the largest models' proofs are about 500 KiB",
        )?;
        total_bytes += b.len() as u64;
        if total_bytes > MAX_SHARD_PROOF_BYTES {
            return Err(CliError::invalid(
                "shard manifest",
                &a.proof,
                format!(
                    "its proofs exceed {} in all",
                    ui::bytes(MAX_SHARD_PROOF_BYTES as usize)
                ),
            ));
        }
        proofs.push(b);
    }
    Ok(proofs)
}

/// The line that names the inputs a set of shards left unproven (empty without gaps).
pub(super) fn gaps_line(total: &shards::ShardTotal) -> String {
    if total.gaps.is_empty() {
        return String::new();
    }
    let gaps: Vec<String> = total
        .gaps
        .iter()
        .map(|(s, e)| format!("{s}..{e}"))
        .collect();
    let n = total.count;
    format!(
        "not proven: inputs {} ({} of the {n}); over all {n}, at least {} are classified as \
         their labels\n",
        gaps.join(", "),
        total.count - total.covered,
        total.correct
    )
}

/// At most this many bytes of shard proofs are read for one manifest.
const MAX_SHARD_PROOF_BYTES: u64 = 1 << 32;

/// Verifies a set of shard accuracy proofs named by a manifest (the proof argument) against
/// the inputs and labels (`network::shards`): the manifest's model commitment and dataset,
/// the cover, then every shard's proof on its slice; prints the summed count.
fn verify_shards(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    if super::zk::is_sharded_dataset(&a.input) {
        return super::zk::verify_shards(a, progress);
    }
    let Labelled {
        model,
        file,
        xs,
        labels,
    } = read_labelled(a)?;
    let n = xs.len();
    let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
    let manifest = read_manifest(a)?;
    let rejected = |e| shard_rejected(a, e);
    manifest
        .check_statement(&file.commitment.commitment, &xr, &labels)
        .map_err(rejected)?;
    shards::check_cover(&manifest.ranges(), n as u64, a.allow_gaps).map_err(rejected)?;
    let proofs = read_shard_proofs(a, &manifest)?;
    let set = manifest.proof_set(&proofs);
    let (checked, check_took) = check_commitment(&file, &model, &a.commitment, progress)?;
    let (verified, took) = progress.step("verifying the shards", || {
        network::verify_accuracy_shards::<F, E>(&model, &checked, &xr, &labels, &set, a.allow_gaps)
    });
    let total = verified.map_err(rejected)?;
    let mut text = format!(
        "valid: the model committed in '{}' ({}) classifies {} of the {} inputs '{}' as their \
         labels '{}' (first maximal logit), in {} shard proofs; verified in {} (the \
         commitment's check in {})\n",
        show(&a.commitment),
        model.name,
        total.correct,
        total.covered,
        show(&a.input),
        show(&a.output),
        set.len(),
        ui::duration(took),
        ui::duration(check_took)
    );
    text.push_str(&gaps_line(&total));
    Ok(Report {
        text,
        json: json!({
            "valid": true,
            "kind": "transparent accuracy shards",
            "model": model.name,
            "count": total.count,
            "covered": total.covered,
            "correct": total.correct,
            "gaps": total.gaps,
            "shards": manifest.shards.len(),
            "verify_ms": ui::ms(took),
            "check_ms": ui::ms(check_took),
        }),
    })
}
