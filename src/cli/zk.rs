//! `commit`, `prove` (zero knowledge is their default) and `verify` of a zero-knowledge proof:
//! the hiding commitment's
//! files (the public commitment, the private prover file), the library's zero-knowledge calls
//! ([`zkcnn::network::zk`]), the report out.
//!
//! A zero-knowledge proof hides the weights, every activation and the prover's advice; the
//! architecture, the output and the proof's shape are public, and so is the input unless it
//! was committed (`commit-input`: the verifier then receives the input's commitment file in
//! its place). Each proof spends part of the hiding commitments' budgets: the private files'
//! counts of revealed mask values are written back (atomically) after every proof, and a spent
//! commitment is refused.

use super::commands::{hex, plan, proof_format, show};
use super::commitment::{
    architecture_digest, ZkCommitmentFile, ZkInputCommitmentFile, INPUT_MAGIC,
};
use super::error::CliError;
use super::files::{self, argmax};
use super::ui::{self, Progress};
use super::{CommitInputArgs, ProveArgs, Report, VerifyArgs};
use rand::rngs::OsRng;
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::model::Model;
use zkcnn::network::zk::{ZkProverInput, CODEWORD_FILE, INPUT_PROOFS, MODEL_PROOFS};
use zkcnn::network::{
    self, NetworkError, ProofKind, ZkCommittedInput, ZkCommittedModel, ZkInput, ZkNetworkProof,
};
use zkcnn::pcs::zk::ZkError;
use zkcnn::zk::DischargeError;

/// What the user reads when the commitment's budget is spent.
pub const BUDGET_SPENT: &str = "the commitment's budget is spent: commit again";

/// A library error of a zero-knowledge command, in words: a spent budget (the model's
/// commitment's) says what to do.
fn failed(action: String, e: NetworkError) -> CliError {
    failed_with(action, e, "the model", "`zkcnn commit`")
}

/// [`failed`], a spent budget being `whose` (`recommit` makes a new commitment).
fn failed_with(action: String, e: NetworkError, whose: &str, recommit: &str) -> CliError {
    let reason = match e {
        NetworkError::Deferred(DischargeError::Opening(ZkError::Budget {
            revealed,
            needed,
            budget,
        })) => format!(
            "{BUDGET_SPENT} ({whose}'s: {recommit}; its proofs revealed {revealed} of the \
             {budget} mask values it may reveal, and one more proof needs {needed})"
        ),
        NetworkError::InputSpent {
            entries,
            proofs,
            reads,
        } => format!(
            "{BUDGET_SPENT} ({whose}'s: {recommit}; it has {entries} entries, read {reads} times \
             by each proof, and has served {proofs} proofs: one more would reveal combinations \
             of it)"
        ),
        e => e.to_string(),
    };
    CliError::Failed { action, reason }
}

/// The private prover file's bytes.
fn private_bytes(committed: &ZkCommittedModel<F>, path: &Path) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    committed
        .write_private(&mut bytes)
        .map_err(|e| CliError::write("prover file", path, &e))?;
    Ok(bytes)
}

/// A committed input's private file's bytes.
fn input_private_bytes(committed: &ZkCommittedInput<F>, path: &Path) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    committed
        .write_private(&mut bytes)
        .map_err(|e| CliError::write("input prover file", path, &e))?;
    Ok(bytes)
}

/// Commits to an input for `model`'s architecture with a hiding commitment (`commit-input`);
/// writes the private file (first, atomically) and the public input commitment file.
pub fn commit_input(a: &CommitInputArgs, progress: &Progress) -> Result<Report, CliError> {
    let model = files::read_architecture(&a.model)?;
    plan(&model, &a.model)?;
    let input = files::read_input(&a.input, &model, a.input_divisor)?;
    let (committed, took) = progress.step("committing the input (hiding)", || {
        network::commit_input_zk::<F, E, _>(&model, &input, &mut OsRng)
    });
    let committed = committed.map_err(|e| {
        failed(
            format!("commit input '{}' for '{}'", show(&a.input), show(&a.model)),
            e,
        )
    })?;
    files::write_atomic(
        "input prover file",
        &a.prover_data,
        &input_private_bytes(&committed, &a.prover_data)?,
    )?;
    let file = ZkInputCommitmentFile {
        architecture: architecture_digest(&model),
        commitment: committed.commitment.clone(),
    };
    let bytes = file.to_bytes();
    files::write("input commitment", &a.output, &bytes)?;
    let root = hex(&committed.commitment.inner.root);
    let min_proofs = network::zk::input_proofs_at_least::<F, E>(&model).map_err(|e| {
        failed(
            format!("commit input '{}' for '{}'", show(&a.input), show(&a.model)),
            e,
        )
    })?;
    Ok(Report {
        text: format!(
            "committed input '{}' for '{}' with a hiding commitment: root {root}, a table of \
             2^{} field elements, in {}\n\
             wrote {} ({}, public: give it to verifiers instead of the input) and the prover \
             file {} (secret: keep it with the input)\n\
             it serves at least {min_proofs} zero-knowledge proofs (`prove \
             --input-commitment`; fewer if more than its first layer reads it, and at most \
             {INPUT_PROOFS} guaranteed: `prove` says when it is spent)\n",
            show(&a.input),
            show(&a.model),
            committed.commitment.table_vars(),
            ui::duration(took),
            show(&a.output),
            ui::bytes(bytes.len()),
            show(&a.prover_data),
        ),
        json: json!({
            "model": model.name,
            "input": show(&a.input),
            "input_commitment": show(&a.output),
            "prover_file": show(&a.prover_data),
            "root": root,
            "num_vars": committed.commitment.inner.num_vars,
            "mask_vars": committed.commitment.mask_vars,
            "min_proofs": min_proofs,
            "commit_ms": ui::ms(took),
        }),
    })
}

/// Reads a committed input's file and checks that it is for `model`'s architecture.
fn read_input_commitment(
    path: &Path,
    model: &Model,
    model_path: &Path,
) -> Result<ZkInputCommitmentFile, CliError> {
    let bytes = files::read_at_most(
        "input commitment",
        path,
        files::MAX_COMMITMENT_BYTES,
        "an input commitment is under 100 bytes",
    )?;
    let file = ZkInputCommitmentFile::from_bytes(&bytes)
        .map_err(|e| CliError::invalid("input commitment", path, e))?;
    if file.architecture != architecture_digest(model) {
        return Err(CliError::Mismatch(format!(
            "input commitment '{}' was made for another model architecture than '{}'",
            show(path),
            show(model_path)
        )));
    }
    Ok(file)
}

/// Whether the file at `path` is a committed input's (its first bytes), not an input.
pub fn is_input_commitment(path: &Path) -> bool {
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head == INPUT_MAGIC)
}

/// How many more proofs the budget covers, from one proof's count (`None` before any proof).
fn proofs_left(revealed: u64, budget: u64, per_proof: Option<u64>) -> Option<u64> {
    per_proof
        .filter(|&n| n > 0)
        .map(|n| budget.saturating_sub(revealed) / n)
}

/// Commits to the model's weights with a hiding commitment; writes the private prover file
/// (first, atomically) and the public commitment file (and the architecture).
pub fn commit(
    model_path: &Path,
    out: &Path,
    architecture: Option<&Path>,
    prover_data: Option<&Path>,
    codeword: Option<&Path>,
    progress: &Progress,
) -> Result<Report, CliError> {
    let model = files::read_model(model_path)?;
    plan(&model, model_path)?;
    let private = prover_data.ok_or_else(|| {
        CliError::Usage(
            "a hiding commitment (the default) needs --prover-data FILE: the private prover \
             file that `prove` reads (or --transparent for a transparent commitment, whose \
             proofs reveal information about the weights)"
                .into(),
        )
    })?;
    let (committed, took) = progress.step("committing the model (hiding)", || {
        network::commit_model_zk::<F, E, _>(&model, &mut OsRng)
    });
    let mut committed = committed.map_err(|e| {
        failed(
            format!("commit '{}' for zero-knowledge proofs", show(model_path)),
            e,
        )
    })?;
    // The proof that the commitment holds a model of the architecture (its opening spends
    // part of the budget, so the prover file is written after it).
    let (check, check_took) = progress.step("proving the commitment well formed", || {
        network::prove_model_check_zk::<F, E, _>(&model, &mut committed, &mut OsRng)
    });
    let check = check.map_err(|e| {
        failed(
            format!("check the hiding commitment of '{}'", show(model_path)),
            e,
        )
    })?;
    files::write_atomic("prover file", private, &private_bytes(&committed, private)?)?;
    if let Some(path) = codeword {
        let written = std::fs::File::create(path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            committed.write_stored(&mut w)?;
            std::io::Write::flush(&mut w)
        });
        written.map_err(|e| CliError::write("codeword file", path, &e))?;
    }
    let file = ZkCommitmentFile {
        architecture: architecture_digest(&model),
        commitment: committed.commitment.clone(),
        check,
    };
    let bytes = file.to_bytes();
    files::write("commitment", out, &bytes)?;
    if let Some(path) = architecture {
        files::write_model(path, &model.architecture())?;
    }
    let (_, budget) = committed.budget::<E>();
    let root = hex(&committed.commitment.inner.root);
    let (vars, polys) = (
        committed.commitment.inner.num_vars,
        committed.commitment.inner.num_polys,
    );
    let tv = committed.commitment.table_vars();
    let table = if polys > 1 {
        format!("a table of {polys} columns of 2^{tv} field elements (each 2^{vars} with its mask)")
    } else {
        format!("a table of 2^{tv} field elements (2^{vars} with its mask)")
    };
    let mut text = format!(
        "committed '{}' ({}) with a hiding commitment: root {root}, {table}, in {}\n\
         wrote {} ({}, public) and the prover file {} (secret: keep it with the weights)\n\
         it serves at least {MODEL_PROOFS} zero-knowledge proofs (a budget of {budget} mask \
         values)\n",
        show(model_path),
        model.name,
        ui::duration(took),
        show(out),
        ui::bytes(bytes.len()),
        show(private),
    );
    if let Some(path) = architecture {
        let _ = writeln!(text, "wrote the architecture to {}", show(path));
    }
    if let Some(path) = codeword {
        let _ = writeln!(
            text,
            "wrote the codeword to {} (secret as the prover file; `prove --codeword` reads it)",
            show(path)
        );
    }
    Ok(Report {
        text,
        json: json!({
            "model": model.name,
            "kind": ProofKind::ZeroKnowledge.name(),
            "commitment": show(out),
            "prover_file": show(private),
            "codeword": codeword.map(show),
            "root": root,
            "num_vars": vars,
            "mask_vars": committed.commitment.mask_vars,
            "budget": budget,
            "min_proofs": MODEL_PROOFS,
            "architecture": architecture.map(show),
            "commit_ms": ui::ms(took),
            "check_ms": ui::ms(check_took),
        }),
    })
}

/// Reads a hiding commitment file and checks that it is for `model`'s architecture.
fn read_commitment(
    path: &Path,
    model: &Model,
    model_path: &Path,
) -> Result<ZkCommitmentFile, CliError> {
    let bytes = files::read_at_most(
        "commitment",
        path,
        files::MAX_COMMITMENT_BYTES,
        "a hiding commitment with its check is well under 1 MiB",
    )?;
    let file = ZkCommitmentFile::from_bytes(&bytes)
        .map_err(|e| CliError::invalid("commitment", path, e))?;
    if file.architecture != architecture_digest(model) {
        return Err(CliError::Mismatch(format!(
            "commitment '{}' is for another model architecture than '{}'",
            show(path),
            show(model_path)
        )));
    }
    Ok(file)
}

/// Proves the model on the input in zero knowledge; writes the prover file's new revealed
/// count (before the proof leaves), the proof and, if asked, the output file.
pub fn prove(a: &ProveArgs, progress: &Progress) -> Result<Report, CliError> {
    let model = files::read_model(&a.model)?;
    plan(&model, &a.model)?;
    let input = match files::read_inputs(&a.input, &model, a.input_divisor)? {
        files::Inputs::One(x) => x,
        files::Inputs::Batch(_) => {
            return Err(CliError::Usage(
                "batch proofs are transparent only for now: pass --transparent".into(),
            ))
        }
    };
    let (Some(commitment_path), Some(private)) = (&a.commitment, &a.prover_data) else {
        return Err(CliError::Usage(
            "a zero-knowledge proof (the default) needs --commitment and --prover-data: the \
             files of `zkcnn commit MODEL -o COMMITMENT --prover-data FILE` (or --transparent \
             for a transparent proof, which reveals information about the weights)"
                .into(),
        ));
    };
    let file = read_commitment(commitment_path, &model, &a.model)?;
    let action = || {
        format!(
            "prove '{}' on '{}' in zero knowledge",
            show(&a.model),
            show(&a.input)
        )
    };
    let reader = files::open("prover file", private)?;
    let stored = match &a.codeword {
        Some(path) => Some(files::open("codeword file", path)?),
        None => None,
    };
    let (loaded, load_took) = progress.step("loading the hiding commitment", || {
        let mut private = std::io::BufReader::new(reader);
        match stored {
            Some(stored) => ZkCommittedModel::<F>::load_stored::<E>(
                &model,
                file.commitment.clone(),
                &mut private,
                &mut std::io::BufReader::new(stored),
            ),
            None => ZkCommittedModel::<F>::load::<E>(&model, file.commitment.clone(), &mut private),
        }
    });
    let mut committed = loaded.map_err(|e| match e {
        NetworkError::CommitmentMismatch => CliError::Mismatch(format!(
            "commitment '{}' does not match model '{}' with prover file '{}': other weights, \
             or a changed prover file",
            show(commitment_path),
            show(&a.model),
            show(private)
        )),
        NetworkError::ProverData(why) => match (&a.codeword, why.strip_prefix(CODEWORD_FILE)) {
            (Some(path), Some(why)) => CliError::invalid("codeword file", path, why.to_string()),
            _ => CliError::invalid("prover file", private, why),
        },
        e => failed(action(), e),
    })?;
    // A committed input: its file, and its private file checked against the input.
    let mut hidden = match (&a.input_commitment, &a.input_prover_data) {
        (Some(path), Some(private_x)) => {
            let file = read_input_commitment(path, &model, &a.model)?;
            let reader = files::open("input prover file", private_x)?;
            let loaded = ZkCommittedInput::<F>::load::<E>(
                &model,
                &input,
                file.commitment,
                &mut std::io::BufReader::new(reader),
            )
            .map_err(|e| match e {
                NetworkError::InputCommitmentMismatch => CliError::Mismatch(format!(
                    "input commitment '{}' does not match input '{}' with prover file '{}'",
                    show(path),
                    show(&a.input),
                    show(private_x)
                )),
                NetworkError::ProverData(why) => {
                    CliError::invalid("input prover file", private_x, why)
                }
                e => failed(action(), e),
            })?;
            Some((loaded, private_x))
        }
        (None, None) => None,
        _ => {
            return Err(CliError::Usage(
                "--input-commitment and --input-prover-data go together (from `commit-input`)"
                    .into(),
            ))
        }
    };
    let before = committed.revealed();
    let (proved, prove_took) = progress.step("proving in zero knowledge", || {
        let x = match &mut hidden {
            Some((c, _)) => ZkProverInput::Committed(c),
            None => ZkProverInput::Public(&input),
        };
        network::zk::prove_zk_timed::<F, E, _>(&model, &mut committed, x, &mut OsRng, &mut vec![])
    });
    // A spent budget names its commitment: the input's when the count is the input's.
    let (output, proof) = proved.map_err(|e| match (&e, &hidden) {
        (
            NetworkError::Deferred(DischargeError::Opening(ZkError::Budget { revealed, .. })),
            Some((c, _)),
        ) if *revealed == c.revealed() && *revealed != committed.revealed() => {
            failed_with(action(), e, "the input", "`zkcnn commit-input`")
        }
        (NetworkError::InputSpent { .. }, _) => {
            failed_with(action(), e, "the input", "`zkcnn commit-input`")
        }
        _ => failed(action(), e),
    })?;
    // The revealed counts are on disk before the proof is: a proof that was written always
    // counts against the budgets.
    files::write_atomic("prover file", private, &private_bytes(&committed, private)?)?;
    if let Some((c, path)) = &hidden {
        files::write_atomic("input prover file", path, &input_private_bytes(c, path)?)?;
    }
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let statement_input = match &hidden {
        Some((c, _)) => ZkInput::Committed(&c.commitment),
        None => ZkInput::Public(&x),
    };
    let digest = network::zk_statement_digest(&model, &committed.commitment, statement_input, &y);
    let bytes = proof.to_bytes(digest);
    files::write("proof", &a.proof, &bytes)?;
    let out_json = files::output_json(&model, &output);
    if let Some(path) = &a.output {
        files::write_output(path, &model, std::slice::from_ref(&output), false)?;
    }
    let (revealed, budget) = committed.budget::<E>();
    let left = proofs_left(revealed, budget, revealed.checked_sub(before));
    let mut text = format!(
        "proved '{}' on '{}'{} in zero knowledge: output {y:?}\n",
        show(&a.model),
        show(&a.input),
        if hidden.is_some() {
            " (hidden: committed)"
        } else {
            ""
        }
    );
    if let Some(c) = argmax(&y) {
        let _ = writeln!(
            text,
            "class {c} (argmax of the proven output, computed outside the proof)"
        );
    }
    let _ = writeln!(
        text,
        "prove {} (loading the commitment {} before it), proof {} written to {}",
        ui::duration(prove_took),
        ui::duration(load_took),
        ui::bytes(bytes.len()),
        show(&a.proof)
    );
    let _ = writeln!(
        text,
        "the commitment's budget: {revealed} of {budget} mask values revealed{}; {} updated",
        left.map_or(String::new(), |n| format!(" (about {n} more proofs)")),
        show(private)
    );
    if let Some(path) = &a.output {
        let _ = writeln!(text, "output written to {}", show(path));
    }
    Ok(Report {
        text,
        json: json!({
            "model": model.name,
            "kind": ProofKind::ZeroKnowledge.name(),
            "output": out_json,
            "proof": show(&a.proof),
            "proof_bytes": bytes.len(),
            "output_file": a.output.as_deref().map(show),
            "input_hidden": hidden.is_some(),
            "revealed": revealed,
            "budget": budget,
            "proofs_left": left,
            "load_ms": ui::ms(load_took),
            "prove_ms": ui::ms(prove_took),
        }),
    })
}

/// Verifies a zero-knowledge proof against a hiding commitment; `Ok` only when it is valid.
pub fn verify(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    let model = files::read_architecture(&a.model)?;
    let plan = plan(&model, &a.model)?;
    let file = read_commitment(&a.commitment, &model, &a.model)?;
    // The input, or (a hidden input) its commitment file in its place.
    let committed_input = if is_input_commitment(&a.input) {
        Some(read_input_commitment(&a.input, &model, &a.model)?.commitment)
    } else {
        None
    };
    let x: Vec<i64> = match committed_input {
        Some(_) => Vec::new(),
        None => files::read_input(&a.input, &model, a.input_divisor)?
            .iter()
            .copied()
            .collect(),
    };
    let input = match &committed_input {
        Some(c) => ZkInput::Committed(c),
        None => ZkInput::Public(&x),
    };
    let out_shape = plan.dims.last().map_or(&[][..], |d| d.shape.as_slice());
    let y = files::read_output(&a.output, &model, out_shape)?;
    let bytes = files::read_at_most(
        "proof",
        &a.proof,
        files::MAX_PROOF_BYTES,
        "zero-knowledge proofs of the supported models are well under 1 MiB",
    )?;
    let digest = network::zk_statement_digest(&model, &file.commitment, input, &y);
    let proof = ZkNetworkProof::<F, E>::from_bytes(&bytes, digest)
        .map_err(|e| proof_format(e, &bytes, &a.proof))?;
    let (checked, _) = progress.step("checking the hiding commitment", || {
        network::verify_model_check_zk::<F, E>(&model, &file.commitment, &file.check)
    });
    let checked = checked.map_err(|e| CliError::Rejected {
        path: show(&a.commitment),
        reason: format!("the commitment does not hold a model of the architecture: {e}"),
    })?;
    let (verified, took) = progress.step("verifying in zero knowledge", || match input {
        ZkInput::Committed(c) => {
            network::verify_zk_committed_input(&model, &checked, c, &y, &proof)
        }
        ZkInput::Public(x) => network::verify_zk(&model, &checked, x, &y, &proof),
    });
    verified.map_err(|e| match e {
        network::VerifyError::Model(e) => CliError::Failed {
            action: format!("verify a zero-knowledge proof of '{}'", show(&a.model)),
            reason: e.to_string(),
        },
        e => CliError::Rejected {
            path: show(&a.proof),
            reason: e.to_string(),
        },
    })?;
    Ok(Report {
        text: format!(
            "valid zero-knowledge proof: the model committed in '{}' ({}), on {}'{}', \
             outputs '{}' ({} values); verified in {}\n",
            show(&a.commitment),
            model.name,
            if committed_input.is_some() {
                "the input committed in "
            } else {
                ""
            },
            show(&a.input),
            show(&a.output),
            y.len(),
            ui::duration(took),
        ),
        json: json!({
            "valid": true,
            "kind": ProofKind::ZeroKnowledge.name(),
            "model": model.name,
            "input_hidden": committed_input.is_some(),
            "output": y,
            "verify_ms": ui::ms(took),
        }),
    })
}
