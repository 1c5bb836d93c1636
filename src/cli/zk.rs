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
    architecture_digest, CommitmentFileError, ZkCommitmentFile, ZkDatasetCommitmentFile,
    ZkInputCommitmentFile, ZkShardedDatasetFile, BATCH_MAGIC, DATASET_MAGIC, INPUT_MAGIC,
    SHARDED_MAGIC,
};
use super::error::CliError;
use super::files::{self, argmax};
use super::ui::{self, Progress};
use super::{CommitDatasetArgs, CommitInputArgs, ProveArgs, Report, VerifyArgs};
use rand::rngs::OsRng;
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::model::Model;
use zkcnn::network::counts::{Count, CountError};
use zkcnn::network::zk::{
    ZkProverInput, CODEWORD_FILE, INPUT_PROOFS, MODEL_PROOFS, PRIVATE_REVEALED_AT as REVEALED_AT,
};
use zkcnn::network::{
    self, NetworkError, ProofKind, ZkBatchInputs, ZkCommittedDataset, ZkCommittedInput,
    ZkCommittedModel, ZkInput, ZkNetworkProof,
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

/// Commits to an input, or a batch of inputs, for `model`'s architecture with a hiding
/// commitment (`commit-input`); writes the private file (first, atomically) and the public
/// input commitment file (which says one input, or a batch of `N`).
pub fn commit_input(a: &CommitInputArgs, progress: &Progress) -> Result<Report, CliError> {
    let model = files::read_architecture(&a.model)?;
    plan(&model, &a.model)?;
    let inputs = files::read_inputs(&a.input, &model, a.input_divisor)?;
    let action = || format!("commit input '{}' for '{}'", show(&a.input), show(&a.model));
    let (committed, took) = progress.step("committing the input (hiding)", || match &inputs {
        files::Inputs::One(x) => network::commit_input_zk::<F, E, _>(&model, x, &mut OsRng),
        files::Inputs::Batch(xs) => network::commit_batch_zk::<F, E, _>(&model, xs, &mut OsRng),
    });
    let committed = committed.map_err(|e| failed(action(), e))?;
    let count = match &inputs {
        files::Inputs::One(_) => None,
        files::Inputs::Batch(xs) => Some(xs.len() as u64),
    };
    files::write_atomic(
        "input prover file",
        &a.prover_data,
        &input_private_bytes(&committed, &a.prover_data)?,
    )?;
    let file = ZkInputCommitmentFile {
        architecture: architecture_digest(&model),
        count,
        commitment: committed.commitment.clone(),
    };
    let bytes = file.to_bytes();
    files::write("input commitment", &a.output, &bytes)?;
    let root = hex(&committed.commitment.inner.root);
    // One input: how many proofs it serves at least; a batch: its budget, which `prove`
    // checks before each proof.
    let (min_proofs, serves) = match count {
        None => {
            let min = network::zk::input_proofs_at_least::<F, E>(&model)
                .map_err(|e| failed(action(), e))?;
            (
                Some(min),
                format!(
                    "it serves at least {min} zero-knowledge proofs (`prove \
                     --input-commitment`; fewer if more than its first layer reads it, and at \
                     most {INPUT_PROOFS} guaranteed: `prove` says when it is spent)"
                ),
            )
        }
        Some(n) => (
            None,
            format!(
                "it serves zero-knowledge batch and accuracy proofs on these {n} inputs, in \
                 this order (`prove --input-commitment`, with the same batch; `prove` says when \
                 its budget is spent)"
            ),
        ),
    };
    Ok(Report {
        text: format!(
            "committed {} '{}' for '{}' with a hiding commitment: root {root}, a table of \
             2^{} field elements, in {}\n\
             wrote {} ({}, public: give it to verifiers instead of the input) and the prover \
             file {} (secret: keep it with the input)\n{serves}\n",
            match count {
                None => "input".to_string(),
                Some(n) => format!("the batch of {n} inputs"),
            },
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
            "count": count,
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

/// A committed dataset's prover file's bytes.
fn dataset_private_bytes(
    dataset: &ZkCommittedDataset<F>,
    path: &Path,
) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    dataset
        .write_private(&mut bytes)
        .map_err(|e| CliError::write("dataset prover file", path, &e))?;
    Ok(bytes)
}

/// `commit-dataset --shard-size`: commits the dataset in shards of `size` inputs, each a
/// labelled dataset of its own; writes one prover file per shard into the prover folder
/// (`shard-START-END.private`, atomically), then the public sharded dataset commitment.
fn commit_sharded(
    a: &CommitDatasetArgs,
    model: &Model,
    (inputs, labels): (&[ndarray::ArrayD<i64>], &[usize]),
    size: usize,
    progress: &Progress,
) -> Result<Report, CliError> {
    let n = inputs.len();
    let (committed, took) = progress.step("committing the dataset in shards (hiding)", || {
        network::commit_dataset_zk_sharded::<F, E, _>(model, inputs, labels, size, &mut OsRng)
    });
    let (public, parts) = committed.map_err(|e| {
        failed(
            format!(
                "commit the dataset '{}' in shards of {size} for '{}'",
                show(&a.inputs),
                show(&a.model)
            ),
            e,
        )
    })?;
    let folder = &a.prover_data;
    std::fs::create_dir_all(folder)
        .map_err(|e| CliError::write("dataset prover folder", folder, &e))?;
    let mut shards = Vec::with_capacity(parts.len());
    for (s, part) in public.shards.iter().zip(&parts) {
        let path = folder.join(format!("shard-{}-{}.private", s.start, s.end));
        files::write_atomic(
            "dataset prover file",
            &path,
            &dataset_private_bytes(part, &path)?,
        )?;
        shards.push(json!({"start": s.start, "end": s.end, "prover_file": show(&path)}));
    }
    let digest = hex(&public.digest());
    let count = public.shards.len();
    let file = ZkShardedDatasetFile {
        architecture: architecture_digest(model),
        dataset: public,
    };
    let bytes = file.to_bytes();
    files::write("sharded dataset commitment", &a.output, &bytes)?;
    Ok(Report {
        text: format!(
            "committed the dataset of {n} inputs '{}' and their labels '{}' for '{}' in {count} \
             shards of up to {size} (each with hiding commitments), in {}: dataset {digest}\n\
             wrote {} ({}, public: give it to verifiers instead of the inputs and the labels) \
             and {count} prover files in {} (secret: shard-START-END.private, each to the \
             prover of its shard: `prove --labels --shard START..END --input-commitment {} \
             --input-prover-data` it)\n",
            show(&a.inputs),
            show(&a.labels),
            show(&a.model),
            ui::duration(took),
            show(&a.output),
            ui::bytes(bytes.len()),
            show(folder),
            show(&a.output),
        ),
        json: json!({
            "model": model.name,
            "inputs": show(&a.inputs),
            "labels": show(&a.labels),
            "count": n,
            "dataset_commitment": show(&a.output),
            "dataset": digest,
            "shard_size": size,
            "shards": shards,
            "commit_ms": ui::ms(took),
        }),
    })
}

/// Reads a commitment-like file (`parse` on at most [`files::MAX_COMMITMENT_BYTES`]) and checks
/// that it was made for `model`'s architecture.
fn read_for_model<T>(
    what: &'static str,
    path: &Path,
    (model, model_path): (&Model, &Path),
    hint: &'static str,
    parse: impl FnOnce(&[u8]) -> Result<T, CommitmentFileError>,
    architecture: impl FnOnce(&T) -> [u8; 32],
) -> Result<T, CliError> {
    let bytes = files::read_at_most(what, path, files::MAX_COMMITMENT_BYTES, hint)?;
    let file = parse(&bytes).map_err(|e| CliError::invalid(what, path, e))?;
    if architecture(&file) != architecture_digest(model) {
        return Err(CliError::Mismatch(format!(
            "{what} '{}' was made for another model architecture than '{}'",
            show(path),
            show(model_path)
        )));
    }
    Ok(file)
}

/// Reads a committed input's file and checks that it is for `model`'s architecture; a
/// dataset's commitment is refused by name.
fn read_input_commitment(
    path: &Path,
    model: &Model,
    model_path: &Path,
) -> Result<ZkInputCommitmentFile, CliError> {
    if is_dataset_commitment(path) || is_sharded_dataset(path) {
        return Err(CliError::Mismatch(format!(
            "'{}' is a labelled dataset's commitment (from `commit-dataset`): it serves \
             zero-knowledge accuracy proofs on its inputs and labels only (`prove --labels`, \
             and `verify` with it in the inputs' and the labels' places)",
            show(path)
        )));
    }
    read_for_model(
        "input commitment",
        path,
        (model, model_path),
        "an input commitment is under 100 bytes",
        ZkInputCommitmentFile::from_bytes,
        |f| f.architecture,
    )
}

/// The first 8 bytes of the file at `path`, if it has them.
fn magic(path: &Path) -> Option<[u8; 8]> {
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .ok()
        .map(|()| head)
}

/// Whether the file at `path` is a committed input's, batch's or dataset's (its first bytes),
/// not an input.
pub fn is_input_commitment(path: &Path) -> bool {
    magic(path)
        .is_some_and(|m| [INPUT_MAGIC, BATCH_MAGIC, DATASET_MAGIC, SHARDED_MAGIC].contains(&&m))
}

/// Whether the file at `path` is a dataset's committed in shards (`commit-dataset
/// --shard-size`).
pub fn is_sharded_dataset(path: &Path) -> bool {
    magic(path).is_some_and(|m| &m == SHARDED_MAGIC)
}

/// Reads a sharded dataset's file, checks that it is for `model`'s architecture and that its
/// shards cover it once, each counting its range.
fn read_sharded_dataset(
    path: &Path,
    model: &Model,
    model_path: &Path,
) -> Result<ZkShardedDatasetFile, CliError> {
    let what = "sharded dataset commitment";
    let file = read_for_model(
        what,
        path,
        (model, model_path),
        "about 170 bytes per shard",
        ZkShardedDatasetFile::from_bytes,
        |f| f.architecture,
    )?;
    file.dataset
        .check()
        .map_err(|e| CliError::invalid(what, path, e))?;
    Ok(file)
}

/// Whether the file at `path` is a committed dataset's (`commit-dataset`).
fn is_dataset_commitment(path: &Path) -> bool {
    magic(path).is_some_and(|m| &m == DATASET_MAGIC)
}

/// Reads a committed dataset's file and checks that it is for `model`'s architecture.
fn read_dataset_commitment(
    what: &'static str,
    path: &Path,
    model: &Model,
    model_path: &Path,
) -> Result<ZkDatasetCommitmentFile, CliError> {
    read_for_model(
        what,
        path,
        (model, model_path),
        "a dataset commitment is under 200 bytes",
        ZkDatasetCommitmentFile::from_bytes,
        |f| f.architecture,
    )
}

/// Commits to a labelled dataset for `model`'s architecture with hiding commitments
/// (`commit-dataset`); writes the private file (first, atomically) and the public dataset
/// commitment file.
pub fn commit_dataset(a: &CommitDatasetArgs, progress: &Progress) -> Result<Report, CliError> {
    let model = files::read_architecture(&a.model)?;
    plan(&model, &a.model)?;
    let inputs = files::read_inputs(&a.inputs, &model, a.input_divisor)?.into_vec();
    let n = inputs.len();
    let labels = super::commands::read_labels(&a.labels, n)?;
    let action = || {
        format!(
            "commit the dataset '{}' with labels '{}' for '{}'",
            show(&a.inputs),
            show(&a.labels),
            show(&a.model)
        )
    };
    if let Some(size) = a.shard_size {
        return commit_sharded(a, &model, (&inputs, &labels), size, progress);
    }
    let (committed, took) = progress.step("committing the dataset (hiding)", || {
        network::commit_dataset_zk::<F, E, _>(&model, &inputs, &labels, &mut OsRng)
    });
    let committed = committed.map_err(|e| failed(action(), e))?;
    let mut private = Vec::new();
    committed
        .write_private(&mut private)
        .map_err(|e| CliError::write("dataset prover file", &a.prover_data, &e))?;
    files::write_atomic("dataset prover file", &a.prover_data, &private)?;
    let file = ZkDatasetCommitmentFile {
        architecture: architecture_digest(&model),
        commitment: committed.commitment(),
    };
    let bytes = file.to_bytes();
    files::write("dataset commitment", &a.output, &bytes)?;
    let c = &file.commitment;
    let (inputs_root, labels_root) = (hex(&c.inputs.inner.root), hex(&c.labels.inner.root));
    Ok(Report {
        text: format!(
            "committed the dataset of {n} inputs '{}' and their labels '{}' for '{}' with hiding \
             commitments: inputs root {inputs_root} (a table of 2^{} field elements), labels \
             root {labels_root} (2^{}), in {}\n\
             wrote {} ({}, public: give it to verifiers instead of the inputs and the labels) \
             and the prover file {} (secret: keep it with the dataset)\n\
             it serves zero-knowledge accuracy proofs on these inputs and labels (`prove \
             --labels --input-commitment`, with the same files; `prove` says when its budget \
             is spent)\n",
            show(&a.inputs),
            show(&a.labels),
            show(&a.model),
            c.inputs.table_vars(),
            c.labels.table_vars(),
            ui::duration(took),
            show(&a.output),
            ui::bytes(bytes.len()),
            show(&a.prover_data),
        ),
        json: json!({
            "model": model.name,
            "inputs": show(&a.inputs),
            "labels": show(&a.labels),
            "count": n,
            "dataset_commitment": show(&a.output),
            "prover_file": show(&a.prover_data),
            "inputs_root": inputs_root,
            "labels_root": labels_root,
            "commit_ms": ui::ms(took),
        }),
    })
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

/// Loads the hiding model commitment for `prove`: the commitment file checked against the
/// model, the prover file (and the codeword file, if given).
fn load_model(
    a: &ProveArgs,
    model: &Model,
    progress: &Progress,
) -> Result<(ZkCommittedModel<F>, std::time::Duration), CliError> {
    let (commitment_path, private) = model_files(a)?;
    let file = read_commitment(commitment_path, model, &a.model)?;
    let reader = files::open("prover file", private)?;
    let stored = match &a.codeword {
        Some(path) => Some(files::open("codeword file", path)?),
        None => None,
    };
    let (loaded, load_took) = progress.step("loading the hiding commitment", || {
        let mut private = std::io::BufReader::new(reader);
        match stored {
            Some(stored) => ZkCommittedModel::<F>::load_stored::<E>(
                model,
                file.commitment.clone(),
                &mut private,
                &mut std::io::BufReader::new(stored),
            ),
            None => ZkCommittedModel::<F>::load::<E>(model, file.commitment.clone(), &mut private),
        }
    });
    let committed = loaded.map_err(|e| match e {
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
        e => failed(
            format!(
                "prove '{}' on '{}' in zero knowledge",
                show(&a.model),
                show(&a.input)
            ),
            e,
        ),
    })?;
    Ok((committed, load_took))
}

/// "one input" or "a batch of N inputs": what an input commitment file commits.
fn commits(count: Option<u64>) -> String {
    match count {
        None => "one input".into(),
        Some(n) => format!("a batch of {n} inputs"),
    }
}

/// The input commitment's count checked against the inputs given: a single input's commitment
/// for one input, a batch's of `N` for a batch of `N`.
fn check_count(
    file: &ZkInputCommitmentFile,
    path: &Path,
    inputs: &files::Inputs,
    input_path: &Path,
) -> Result<(), CliError> {
    let given = match inputs {
        files::Inputs::One(_) => None,
        files::Inputs::Batch(xs) => Some(xs.len() as u64),
    };
    // A batch file of one input (not written by `commit-input`, but well formed) takes one.
    let agree = match (file.count, given) {
        (None, None) => true,
        (Some(n), None) => n == 1,
        (c, g) => c == g,
    };
    if agree {
        return Ok(());
    }
    Err(CliError::Mismatch(format!(
        "input commitment '{}' commits {}, but '{}' is {}",
        show(path),
        commits(file.count),
        show(input_path),
        commits(given)
    )))
}

/// The committed input or batch of `prove --input-commitment`: its private file checked
/// against the inputs (one input's commitment, or a batch's: `file.count`).
fn load_input<'a>(
    a: &'a ProveArgs,
    model: &Model,
    inputs: &files::Inputs,
    (path, file): (&Path, ZkInputCommitmentFile),
) -> Result<(ZkCommittedInput<F>, &'a Path), CliError> {
    let Some(private_x) = &a.input_prover_data else {
        return Err(input_flags());
    };
    let reader = files::open("input prover file", private_x)?;
    let mut reader = std::io::BufReader::new(reader);
    let loaded = match (file.count, inputs) {
        (None, files::Inputs::One(x)) => {
            ZkCommittedInput::<F>::load::<E>(model, x, file.commitment, &mut reader)
        }
        (_, files::Inputs::One(x)) => ZkCommittedInput::<F>::load_batch::<E>(
            model,
            std::slice::from_ref(x),
            file.commitment,
            &mut reader,
        ),
        (_, files::Inputs::Batch(xs)) => {
            ZkCommittedInput::<F>::load_batch::<E>(model, xs, file.commitment, &mut reader)
        }
    };
    let loaded = loaded.map_err(|e| match e {
        NetworkError::InputCommitmentMismatch => CliError::Mismatch(format!(
            "input commitment '{}' does not match input '{}' with prover file '{}'",
            show(path),
            show(&a.input),
            show(private_x)
        )),
        NetworkError::ProverData(why) => CliError::invalid("input prover file", private_x, why),
        e => failed(
            format!(
                "load the input commitment '{}' of '{}'",
                show(path),
                show(&a.input)
            ),
            e,
        ),
    })?;
    Ok((loaded, private_x))
}

/// The usage error of one of `--input-commitment`, `--input-prover-data` without the other.
fn input_flags() -> CliError {
    CliError::Usage(
        "--input-commitment and --input-prover-data go together (from `commit-input`)".into(),
    )
}

/// The model commitment's files of a zero-knowledge `prove`, or the usage error.
fn model_files(a: &ProveArgs) -> Result<(&Path, &Path), CliError> {
    match (&a.commitment, &a.prover_data) {
        (Some(c), Some(p)) => Ok((c, p)),
        _ => Err(CliError::Usage(
            "a zero-knowledge proof (the default) needs --commitment and --prover-data: the \
             files of `zkcnn commit MODEL -o COMMITMENT --prover-data FILE` (or --transparent \
             for a transparent proof, which reveals information about the weights)"
                .into(),
        )),
    }
}

/// A prover's error in words; a spent budget names its commitment (the input's when the count
/// is the input's).
fn prove_failed(
    action: String,
    e: NetworkError,
    committed: &ZkCommittedModel<F>,
    hidden: &Option<(ZkCommittedInput<F>, &Path)>,
) -> CliError {
    match (&e, hidden) {
        (
            NetworkError::Deferred(DischargeError::Opening(ZkError::Budget { revealed, .. })),
            Some((c, _)),
        ) if *revealed == c.revealed() && *revealed != committed.revealed() => {
            failed_with(action, e, "the input", "`zkcnn commit-input`")
        }
        (NetworkError::InputSpent { .. }, _) => {
            failed_with(action, e, "the input", "`zkcnn commit-input`")
        }
        _ => failed(action, e),
    }
}

/// Writes a prover file's revealed counts back after a proof, before the proof is written (a
/// proof that was written always counts against the budgets), in place under an exclusive lock
/// ([`network::counts::write_counts`]: provers running at once with one model commitment
/// neither lose each other's counts nor pass the budget together). Refused, and then the proof
/// is not written: a merged count past its budget, an exclusive count that changed, a file
/// replaced meanwhile. Returns the counts written, in order.
fn write_counts(
    what: &'static str,
    path: &Path,
    ours: &[u8],
    counts: &[(usize, u64, Count)],
) -> Result<Vec<u64>, CliError> {
    network::counts::write_counts(path, ours, counts).map_err(|e| match e {
        CountError::Read(e) => CliError::read(what, path, &e),
        CountError::Write(e) => CliError::write(what, path, &e),
        CountError::Replaced => CliError::Mismatch(format!(
            "{what} '{}' was replaced during the proof (it no longer holds the masks this \
             proof used): the proof is not written",
            show(path)
        )),
        CountError::Budget { now, spent, budget } => CliError::Failed {
            action: format!("write the proof's count to {what} '{}'", show(path)),
            reason: format!(
                "{BUDGET_SPENT} (proofs made meanwhile with the same file spent it: {now} of \
                 {budget} mask values revealed, and this proof reveals {spent}); the proof is \
                 not written"
            ),
        },
        CountError::Changed => CliError::Mismatch(format!(
            "{what} '{}' served another proof during this one (its count of revealed mask \
             values changed): the proof is not written; prove again",
            show(path)
        )),
    })
}

/// Writes the model's prover file's new revealed count (merged with proofs made meanwhile,
/// within the budget: [`write_counts`]), and the hidden input's (exclusive): before the proof
/// is written.
fn spend(
    committed: &ZkCommittedModel<F>,
    private: &Path,
    hidden: &Option<(ZkCommittedInput<F>, &Path)>,
    loaded: Loaded,
) -> Result<u64, CliError> {
    let budget = committed.budget::<E>().1;
    let written = write_counts(
        "prover file",
        private,
        &private_bytes(committed, private)?,
        &[(REVEALED_AT, loaded.model, Count::Merge { budget })],
    )?;
    if let (Some((c, path)), Some(input)) = (hidden, loaded.input) {
        write_counts(
            "input prover file",
            path,
            &input_private_bytes(c, path)?,
            &[(REVEALED_AT, input, Count::Exclusive)],
        )?;
    }
    Ok(written.first().copied().unwrap_or(0))
}

/// The revealed counts of the prover files as loaded, before the proof.
#[derive(Clone, Copy, Debug)]
struct Loaded {
    /// The model commitment's.
    model: u64,
    /// The hidden input's or batch's.
    input: Option<u64>,
}

/// The model commitment's budget after a proof: a line for people, and its JSON fields.
fn budget_report(
    committed: &ZkCommittedModel<F>,
    (before, written): (u64, Option<u64>),
    private: &Path,
) -> (String, serde_json::Value) {
    let (revealed, budget) = committed.budget::<E>();
    let per_proof = revealed.checked_sub(before);
    // The count the file holds now (with proofs made at the same time), once written.
    let revealed = written.unwrap_or(revealed);
    let left = proofs_left(revealed, budget, per_proof);
    (
        format!(
            "the commitment's budget: {revealed} of {budget} mask values revealed{}; {} updated\n",
            left.map_or(String::new(), |n| format!(" (about {n} more proofs)")),
            show(private)
        ),
        json!({"revealed": revealed, "budget": budget, "proofs_left": left}),
    )
}

/// `report`'s JSON object with `more`'s fields added.
fn with_fields(mut report: serde_json::Value, more: serde_json::Value) -> serde_json::Value {
    if let (Some(obj), serde_json::Value::Object(more)) = (report.as_object_mut(), more) {
        obj.extend(more);
    }
    report
}

/// What a zero-knowledge prover holds: the model's hiding commitment, the hidden input's or
/// batch's (with its private file's path), and how long loading them took.
struct Proving<'a> {
    committed: ZkCommittedModel<F>,
    hidden: Option<(ZkCommittedInput<F>, &'a Path)>,
    load_took: std::time::Duration,
    loaded: Loaded,
    /// The model's prover file's count once the proof's share is written.
    written: Option<u64>,
}

/// Proves the model in zero knowledge: on one input, on a batch (one zero-knowledge batch
/// proof), or with `--labels` its accuracy on the inputs (one zero-knowledge accuracy proof);
/// the inputs public, or hidden behind their commitment (`--input-commitment`). Writes the
/// prover files' new revealed counts (before the proof leaves), the proof and, if asked, the
/// output file.
pub fn prove(a: &ProveArgs, progress: &Progress) -> Result<Report, CliError> {
    let sharded = a
        .input_commitment
        .as_deref()
        .is_some_and(is_sharded_dataset);
    if a.shard.is_some() && !sharded {
        return Err(CliError::Usage(
            "--shard makes one shard of a transparent accuracy proof (pass --transparent), or \
             of a zero-knowledge one on a dataset committed in shards (--input-commitment of \
             `commit-dataset --shard-size`)"
                .into(),
        ));
    }
    let model = files::read_model(&a.model)?;
    plan(&model, &a.model)?;
    let inputs = files::read_inputs(&a.input, &model, a.input_divisor)?;
    let count = match &inputs {
        files::Inputs::One(_) => 1,
        files::Inputs::Batch(xs) => xs.len(),
    };
    let labels = match &a.labels {
        Some(path) => Some((path, super::commands::read_labels(path, count)?)),
        None => None,
    };
    let (_, private) = model_files(a)?;
    if let (Some(path), Some(private_x)) = (&a.input_commitment, &a.input_prover_data) {
        if is_dataset_commitment(path) || sharded {
            let dataset = (path.as_path(), private_x.as_path());
            return prove_dataset(a, &model, &inputs.into_vec(), labels, dataset, progress);
        }
    }
    // The input commitment's file first (cheap), then the model's commitment.
    let input_file = match (&a.input_commitment, &a.input_prover_data) {
        (Some(path), Some(_)) => Some((
            path.as_path(),
            read_input_commitment(path, &model, &a.model)?,
        )),
        (None, None) => None,
        _ => return Err(input_flags()),
    };
    if let Some((path, file)) = &input_file {
        check_count(file, path, &inputs, &a.input)?;
        if labels.is_some() && file.count.is_none() {
            return Err(CliError::Mismatch(format!(
                "input commitment '{}' commits one input: a zero-knowledge accuracy proof on \
                 hidden inputs takes them committed as a batch (`commit-input` on a batch of \
                 N >= 2 inputs)",
                show(path)
            )));
        }
    }
    let batch_file = input_file.as_ref().is_some_and(|(_, f)| f.count.is_some());
    let (committed, load_took) = load_model(a, &model, progress)?;
    let hidden = match input_file {
        Some(f) => Some(load_input(a, &model, &inputs, f)?),
        None => None,
    };
    let before = committed.revealed();
    let loaded = Loaded {
        model: before,
        input: hidden.as_ref().map(|(c, _)| c.revealed()),
    };
    let mut proving = Proving {
        committed,
        hidden,
        load_took,
        loaded,
        written: None,
    };
    let p = &mut proving;
    let report = match (inputs, labels) {
        (inputs, Some((labels_path, labels))) => prove_accuracy(
            a,
            &model,
            p,
            &inputs.into_vec(),
            (labels_path, &labels),
            progress,
        )?,
        (files::Inputs::One(x), None) if !batch_file => prove_one(a, &model, p, &x, progress)?,
        (inputs, None) => prove_batch(a, &model, p, &inputs.into_vec(), progress)?,
    };
    let (line, budget) = budget_report(&proving.committed, (before, proving.written), private);
    let mut text = report.text;
    text.push_str(&line);
    if let Some(path) = &a.output {
        let _ = writeln!(text, "output written to {}", show(path));
    }
    let json = with_fields(
        with_fields(report.json, budget),
        json!({
            "input_hidden": proving.hidden.is_some(),
            "load_ms": ui::ms(load_took),
            "output_file": a.output.as_deref().map(show),
        }),
    );
    Ok(Report { text, json })
}

/// A zero-knowledge proof on one input (kind: zero-knowledge).
fn prove_one(
    a: &ProveArgs,
    model: &Model,
    proving: &mut Proving<'_>,
    input: &ndarray::ArrayD<i64>,
    progress: &Progress,
) -> Result<Report, CliError> {
    let Proving {
        committed,
        hidden,
        load_took,
        loaded,
        written,
    } = proving;
    let action = || {
        format!(
            "prove '{}' on '{}' in zero knowledge",
            show(&a.model),
            show(&a.input)
        )
    };
    let (proved, prove_took) = progress.step("proving in zero knowledge", || {
        let x = match hidden {
            Some((c, _)) => ZkProverInput::Committed(c),
            None => ZkProverInput::Public(input),
        };
        network::zk::prove_zk_timed::<F, E, _>(model, committed, x, &mut OsRng, &mut vec![])
    });
    let (output, proof) = proved.map_err(|e| prove_failed(action(), e, committed, hidden))?;
    *written = Some(spend(committed, model_files(a)?.1, hidden, *loaded)?);
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    let statement_input = match hidden {
        Some((c, _)) => ZkInput::Committed(&c.commitment),
        None => ZkInput::Public(&x),
    };
    let digest = network::zk_statement_digest(model, &committed.commitment, statement_input, &y);
    let bytes = proof.to_bytes(digest);
    files::write("proof", &a.proof, &bytes)?;
    let out_json = files::output_json(model, &output);
    if let Some(path) = &a.output {
        files::write_output(path, model, std::slice::from_ref(&output), false)?;
    }
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
        ui::duration(*load_took),
        ui::bytes(bytes.len()),
        show(&a.proof)
    );
    Ok(Report {
        text,
        json: json!({
            "model": model.name,
            "kind": ProofKind::ZeroKnowledge.name(),
            "output": out_json,
            "proof": show(&a.proof),
            "proof_bytes": bytes.len(),
            "prove_ms": ui::ms(prove_took),
        }),
    })
}

/// The statement's inputs for the digest: their values, or the batch's commitment.
fn batch_inputs<'a>(
    hidden: &'a Option<(ZkCommittedInput<F>, &Path)>,
    xr: &'a [&'a [i64]],
) -> ZkBatchInputs<'a> {
    match hidden {
        Some((c, _)) => ZkBatchInputs::Committed {
            commitment: &c.commitment,
            count: xr.len(),
        },
        None => ZkBatchInputs::Public(xr),
    }
}

/// One zero-knowledge proof of a batch of inputs (kind: zero-knowledge batch); writes the
/// proof and, if asked, the outputs.
fn prove_batch(
    a: &ProveArgs,
    model: &Model,
    proving: &mut Proving<'_>,
    inputs: &[ndarray::ArrayD<i64>],
    progress: &Progress,
) -> Result<Report, CliError> {
    let Proving {
        committed,
        hidden,
        load_took,
        loaded,
        written,
    } = proving;
    let n = inputs.len();
    let action = || {
        format!(
            "prove '{}' on the batch of {n} inputs '{}' in zero knowledge",
            show(&a.model),
            show(&a.input)
        )
    };
    let (proved, prove_took) =
        progress.step("proving the batch in zero knowledge", || match hidden {
            Some((c, _)) => {
                network::prove_batch_zk_committed::<F, E, _>(model, committed, c, &mut OsRng)
            }
            None => network::prove_batch_zk::<F, E, _>(model, committed, inputs, &mut OsRng),
        });
    let (outputs, proof) = proved.map_err(|e| prove_failed(action(), e, committed, hidden))?;
    *written = Some(spend(committed, model_files(a)?.1, hidden, *loaded)?);
    let flat = |t: &ndarray::ArrayD<i64>| -> Vec<i64> { t.iter().copied().collect() };
    let xs: Vec<Vec<i64>> = match hidden {
        Some(_) => vec![Vec::new(); n],
        None => inputs.iter().map(flat).collect(),
    };
    let ys: Vec<Vec<i64>> = outputs.iter().map(flat).collect();
    let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
    let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
    let digest = network::zk_batch_statement_digest(
        model,
        &committed.commitment,
        batch_inputs(hidden, &xr),
        &yr,
    );
    let bytes = proof.to_bytes(digest);
    files::write("proof", &a.proof, &bytes)?;
    let out_json: Vec<serde_json::Value> = outputs
        .iter()
        .map(|y| files::output_json(model, y))
        .collect();
    if let Some(path) = &a.output {
        files::write_output(path, model, &outputs, true)?;
    }
    let mut text = format!(
        "proved '{}' on the batch of {n} inputs '{}'{} (one zero-knowledge batch proof)\n",
        show(&a.model),
        show(&a.input),
        if hidden.is_some() {
            " (hidden: committed)"
        } else {
            ""
        }
    );
    for (i, y) in ys.iter().enumerate() {
        let class = argmax(y).map_or(String::new(), |c| format!(", class {c}"));
        let _ = writeln!(text, "  input {i}: output {y:?}{class}");
    }
    let _ = writeln!(
        text,
        "(classes: argmax of the proven outputs, computed outside the proof)\nprove {} (loading \
         the commitment {} before it), proof {} written to {}",
        ui::duration(prove_took),
        ui::duration(*load_took),
        ui::bytes(bytes.len()),
        show(&a.proof)
    );
    Ok(Report {
        text,
        json: json!({
            "model": model.name,
            "kind": ProofKind::ZeroKnowledgeBatch.name(),
            "count": n,
            "outputs": out_json,
            "proof": show(&a.proof),
            "proof_bytes": bytes.len(),
            "prove_ms": ui::ms(prove_took),
        }),
    })
}

/// One zero-knowledge proof of how many of the inputs the model classifies as their labels
/// (kind: zero-knowledge accuracy); writes the proof.
fn prove_accuracy(
    a: &ProveArgs,
    model: &Model,
    proving: &mut Proving<'_>,
    inputs: &[ndarray::ArrayD<i64>],
    (labels_path, labels): (&Path, &[usize]),
    progress: &Progress,
) -> Result<Report, CliError> {
    let Proving {
        committed,
        hidden,
        load_took,
        loaded,
        written,
    } = proving;
    let n = inputs.len();
    let action = || {
        format!(
            "prove the accuracy of '{}' on the {n} inputs '{}' in zero knowledge",
            show(&a.model),
            show(&a.input)
        )
    };
    let (proved, prove_took) =
        progress.step("proving the accuracy in zero knowledge", || match hidden {
            Some((c, _)) => network::prove_accuracy_zk_committed::<F, E, _>(
                model, committed, c, labels, &mut OsRng,
            ),
            None => {
                network::prove_accuracy_zk::<F, E, _>(model, committed, inputs, labels, &mut OsRng)
            }
        });
    let proof = proved.map_err(|e| prove_failed(action(), e, committed, hidden))?;
    *written = Some(spend(committed, model_files(a)?.1, hidden, *loaded)?);
    let xs: Vec<Vec<i64>> = match hidden {
        Some(_) => vec![Vec::new(); n],
        None => inputs.iter().map(|x| x.iter().copied().collect()).collect(),
    };
    let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
    let digest = network::zk_accuracy_statement_digest(
        model,
        &committed.commitment,
        batch_inputs(hidden, &xr),
        labels,
    );
    let bytes = proof.to_bytes(digest);
    files::write("proof", &a.proof, &bytes)?;
    let text = format!(
        "proved: '{}' classifies {} of the {n} inputs '{}'{} as their labels '{}' (one \
         zero-knowledge accuracy proof; the weights and the logits are not in it)\nprove {} \
         (loading the commitment {} before it), proof {} written to {}\n",
        show(&a.model),
        proof.correct,
        show(&a.input),
        if hidden.is_some() {
            " (hidden: committed)"
        } else {
            ""
        },
        show(labels_path),
        ui::duration(prove_took),
        ui::duration(*load_took),
        ui::bytes(bytes.len()),
        show(&a.proof)
    );
    Ok(Report {
        text,
        json: json!({
            "model": model.name,
            "kind": ProofKind::ZeroKnowledgeAccuracy.name(),
            "count": n,
            "correct": proof.correct,
            "proof": show(&a.proof),
            "proof_bytes": bytes.len(),
            "prove_ms": ui::ms(prove_took),
        }),
    })
}

/// One zero-knowledge proof of how many inputs of a committed labelled dataset
/// (`--input-commitment` of `commit-dataset`, given its inputs and `--labels`) the model
/// classifies as their labels (kind: zero-knowledge accuracy; the statement names the dataset's
/// commitment, neither inputs nor labels); on a dataset committed in shards, of one shard
/// (`--shard`, with that shard's prover file). Writes the prover files' new revealed counts,
/// then the proof.
fn prove_dataset(
    a: &ProveArgs,
    model: &Model,
    inputs: &[ndarray::ArrayD<i64>],
    labels: Option<(&std::path::PathBuf, Vec<usize>)>,
    (path, private_x): (&Path, &Path),
    progress: &Progress,
) -> Result<Report, CliError> {
    let Some((labels_path, labels)) = labels else {
        return Err(CliError::Usage(format!(
            "'{}' is a labelled dataset's commitment (from `commit-dataset`): it serves accuracy \
             proofs; give its labels with --labels",
            show(path)
        )));
    };
    let n = inputs.len() as u64;
    let miscounted = |count: u64| {
        CliError::Mismatch(format!(
            "dataset commitment '{}' commits {count} inputs, but '{}' has {n}",
            show(path),
            show(&a.input)
        ))
    };
    if !is_sharded_dataset(path) {
        let file = read_dataset_commitment("dataset commitment", path, model, &a.model)?;
        if file.commitment.count != n {
            return Err(miscounted(file.commitment.count));
        }
        let dataset = (path, &file.commitment, private_x);
        return prove_part(
            a,
            model,
            (inputs, (labels_path, &labels)),
            dataset,
            None,
            progress,
        );
    }
    let file = read_sharded_dataset(path, model, &a.model)?;
    let shards: Vec<String> = file
        .dataset
        .shards
        .iter()
        .map(|s| format!("{}..{}", s.start, s.end))
        .collect();
    let Some((start, end)) = a.shard else {
        return Err(CliError::Usage(format!(
            "'{}' commits a dataset in shards: prove one with --shard START..END (one of {}) and \
             that shard's prover file",
            show(path),
            shards.join(", ")
        )));
    };
    if file.dataset.count != n {
        return Err(miscounted(file.dataset.count));
    }
    let part = file.dataset.shard(start, end).ok_or_else(|| {
        CliError::Mismatch(format!(
            "--shard {start}..{end} is not one of the shards of '{}' ({})",
            show(path),
            shards.join(", ")
        ))
    })?;
    // In range: the file's shards cover its count, which is the inputs'.
    let range = start as usize..end as usize;
    let (Some(xs), Some(ls)) = (inputs.get(range.clone()), labels.get(range)) else {
        return Err(miscounted(file.dataset.count));
    };
    let shard = Shard {
        start,
        end,
        dataset: hex(&file.dataset.digest()),
        count: file.dataset.count,
    };
    prove_part(
        a,
        model,
        (xs, (labels_path, ls)),
        (path, part, private_x),
        Some(shard),
        progress,
    )
}

/// A shard of a dataset committed in shards, as a prover's report names it for the manifest.
struct Shard {
    start: u64,
    end: u64,
    /// The sharded dataset's digest, hex.
    dataset: String,
    /// The whole dataset's inputs.
    count: u64,
}

/// [`prove_dataset`] on one committed dataset (the whole, or a shard): `inputs` and `labels`
/// are its own; `dataset` the commitment's file, the commitment and the prover file.
fn prove_part(
    a: &ProveArgs,
    model: &Model,
    (inputs, (labels_path, labels)): (&[ndarray::ArrayD<i64>], (&Path, &[usize])),
    (path, public, private_x): (&Path, &network::ZkDatasetCommitment, &Path),
    shard: Option<Shard>,
    progress: &Progress,
) -> Result<Report, CliError> {
    let n = inputs.len();
    let (_, private) = model_files(a)?;
    let (mut committed, load_took) = load_model(a, model, progress)?;
    let reader = files::open("dataset prover file", private_x)?;
    let mut reader = std::io::BufReader::new(reader);
    let mut dataset =
        ZkCommittedDataset::<F>::load::<E>(model, inputs, labels, public, &mut reader).map_err(
            |e| match e {
                NetworkError::InputCommitmentMismatch => CliError::Mismatch(format!(
                    "dataset commitment '{}'{} does not match inputs '{}' and labels '{}' with \
                     prover file '{}'",
                    show(path),
                    shard.as_ref().map_or(String::new(), |s| format!(
                        " (shard {}..{})",
                        s.start, s.end
                    )),
                    show(&a.input),
                    show(labels_path),
                    show(private_x)
                )),
                NetworkError::ProverData(why) => {
                    CliError::invalid("dataset prover file", private_x, why)
                }
                e => failed(format!("load the dataset commitment '{}'", show(path)), e),
            },
        )?;
    let which = match &shard {
        Some(s) => format!(
            "the inputs {}..{} (a shard) of the dataset committed in '{}'",
            s.start,
            s.end,
            show(path)
        ),
        None => format!("the {n} inputs of the committed dataset '{}'", show(path)),
    };
    let action = || {
        format!(
            "prove the accuracy of '{}' on {which} in zero knowledge",
            show(&a.model)
        )
    };
    let before = committed.revealed();
    let dataset_loaded = dataset.revealed();
    let (proved, prove_took) = progress.step("proving the accuracy in zero knowledge", || {
        network::prove_accuracy_zk_dataset::<F, E, _>(
            model,
            &mut committed,
            &mut dataset,
            &mut OsRng,
        )
    });
    let proof = proved.map_err(|e| match e {
        NetworkError::InputSpent { .. } => {
            failed_with(action(), e, "the dataset", "`zkcnn commit-dataset`")
        }
        e => failed(action(), e),
    })?;
    // The budgets first, so that a proof that was written always counts against them.
    let loaded = Loaded {
        model: before,
        input: None,
    };
    let written = spend(&committed, private, &None, loaded)?;
    let dataset_bytes = dataset_private_bytes(&dataset, private_x)?;
    // The inputs' part after its length, then the labels'.
    let inputs_len = dataset_bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes) as usize;
    let (inputs_spent, labels_spent) = dataset_loaded;
    write_counts(
        "dataset prover file",
        private_x,
        &dataset_bytes,
        &[
            (8 + REVEALED_AT, inputs_spent, Count::Exclusive),
            (8 + inputs_len + REVEALED_AT, labels_spent, Count::Exclusive),
        ],
    )?;
    let digest = network::zk_dataset_statement_digest(model, &committed.commitment, public);
    let bytes = proof.to_bytes(digest);
    files::write("proof", &a.proof, &bytes)?;
    let (line, budget) = budget_report(&committed, (before, Some(written)), private);
    let text = format!(
        "proved: '{}' classifies {} of {which} as their labels (one zero-knowledge accuracy \
         proof; the weights, the inputs, the labels and the logits are not in it)\nprove {} \
         (loading the commitment {} before it), proof {} written to {}\n{line}",
        show(&a.model),
        proof.correct,
        ui::duration(prove_took),
        ui::duration(load_took),
        ui::bytes(bytes.len()),
        show(&a.proof)
    );
    let mut json = with_fields(
        json!({
            "model": model.name,
            "kind": ProofKind::ZeroKnowledgeAccuracy.name(),
            "count": n,
            "correct": proof.correct,
            "proof": show(&a.proof),
            "proof_bytes": bytes.len(),
            "prove_ms": ui::ms(prove_took),
            "input_hidden": true,
            "labels_hidden": true,
            "load_ms": ui::ms(load_took),
        }),
        budget,
    );
    if let Some(s) = shard {
        json = with_fields(
            json,
            json!({
                "shard": {"start": s.start, "end": s.end, "correct": proof.correct,
                          "proof": show(&a.proof)},
                "model_commitment": hex(&committed.commitment.inner.root),
                "dataset": s.dataset,
                "dataset_count": s.count,
            }),
        );
    }
    Ok(Report { text, json })
}

/// Verifies a zero-knowledge proof against a hiding commitment; `Ok` only when it is valid.
pub fn verify(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    let model = files::read_architecture(&a.model)?;
    let plan = plan(&model, &a.model)?;
    let file = read_commitment(&a.commitment, &model, &a.model)?;
    // The input, or (a hidden input) its commitment file in its place.
    let committed_input = if is_input_commitment(&a.input) {
        let file = read_input_commitment(&a.input, &model, &a.model)?;
        if let Some(n) = file.count {
            return Err(CliError::Mismatch(format!(
                "input commitment '{}' commits a batch of {n} inputs, but proof '{}' is a \
                 zero-knowledge proof of one input (its header says so)",
                show(&a.input),
                show(&a.proof)
            )));
        }
        Some(file.commitment)
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

/// The inputs of a zero-knowledge batch or accuracy verification: their rows, or the batch's
/// commitment (from its file, which must commit a batch) and its count.
enum VerifierInputs {
    /// The inputs' values, each row-major.
    Public(Vec<Vec<i64>>),
    /// The batch's hiding commitment and its count.
    Committed(zkcnn::pcs::zk::ZkCommitment, usize),
}

impl VerifierInputs {
    /// The count of inputs.
    fn count(&self) -> usize {
        match self {
            VerifierInputs::Public(xs) => xs.len(),
            VerifierInputs::Committed(_, n) => *n,
        }
    }

    /// The rows as slices (none for a committed batch), and a committed batch's commitment
    /// and count.
    #[allow(clippy::type_complexity)]
    fn split(&self) -> (Vec<&[i64]>, Option<(&zkcnn::pcs::zk::ZkCommitment, usize)>) {
        match self {
            VerifierInputs::Public(xs) => (xs.iter().map(Vec::as_slice).collect(), None),
            VerifierInputs::Committed(c, n) => (Vec::new(), Some((c, *n))),
        }
    }
}

/// The inputs of a statement's digest, from [`VerifierInputs::split`].
fn digest_inputs<'a>(
    xr: &'a [&'a [i64]],
    committed: Option<(&'a zkcnn::pcs::zk::ZkCommitment, usize)>,
) -> ZkBatchInputs<'a> {
    match committed {
        Some((commitment, count)) => ZkBatchInputs::Committed { commitment, count },
        None => ZkBatchInputs::Public(xr),
    }
}

/// A zero-knowledge batch or accuracy proof file's bytes.
fn read_batch_proof(a: &VerifyArgs) -> Result<Vec<u8>, CliError> {
    files::read_at_most(
        "proof",
        &a.proof,
        files::MAX_PROOF_BYTES,
        "zero-knowledge proofs of the supported models are well under 1 MiB",
    )
}

/// What a zero-knowledge batch or accuracy verification reads beside its proof and outputs:
/// the architecture, its plan, the hiding commitment and the inputs (or their commitment).
struct BatchStatement {
    model: Model,
    plan: zkcnn::network::plan::Plan,
    file: ZkCommitmentFile,
    inputs: VerifierInputs,
}

/// Reads [`BatchStatement`] from `verify`'s arguments for a proof of kind `kind`: a batch proof
/// takes a batch (N >= 2, or the commitment of a batch); an accuracy proof also one input.
fn read_batch_statement(a: &VerifyArgs, kind: ProofKind) -> Result<BatchStatement, CliError> {
    let model = files::read_architecture(&a.model)?;
    let plan = plan(&model, &a.model)?;
    let file = read_commitment(&a.commitment, &model, &a.model)?;
    let inputs = if is_input_commitment(&a.input) {
        let input = read_input_commitment(&a.input, &model, &a.model)?;
        let Some(n) = input.count else {
            return Err(CliError::Mismatch(format!(
                "input commitment '{}' commits one input, but proof '{}' is a {kind} proof: it \
                 is verified against the commitment of the batch it was made on (`commit-input` \
                 on the batch)",
                show(&a.input),
                show(&a.proof)
            )));
        };
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n > 0 && n <= network::batch::MAX_BATCH)
            .ok_or_else(|| {
                CliError::invalid(
                    "input commitment",
                    &a.input,
                    format!(
                        "a batch of {n} inputs; batches have 1 to {}",
                        network::batch::MAX_BATCH
                    ),
                )
            })?;
        VerifierInputs::Committed(input.commitment, n)
    } else {
        let xs = match files::read_inputs(&a.input, &model, a.input_divisor)? {
            files::Inputs::One(_) if kind == ProofKind::ZeroKnowledgeBatch => {
                return Err(CliError::Mismatch(format!(
                    "proof '{}' is a batch proof, but input '{}' is one input: give the batch \
                     of inputs it was made on (a .npy or JSON array [N, ...input shape], or the \
                     @LIST of input files)",
                    show(&a.proof),
                    show(&a.input),
                )))
            }
            inputs => inputs.into_vec(),
        };
        VerifierInputs::Public(xs.iter().map(|x| x.iter().copied().collect()).collect())
    };
    Ok(BatchStatement {
        model,
        plan,
        file,
        inputs,
    })
}

/// The hiding commitment's check (it holds a model of the architecture).
fn check_zk_commitment(
    a: &VerifyArgs,
    model: &Model,
    file: &ZkCommitmentFile,
    progress: &Progress,
) -> Result<network::CheckedZkCommitment, CliError> {
    let (checked, _) = progress.step("checking the hiding commitment", || {
        network::verify_model_check_zk::<F, E>(model, &file.commitment, &file.check)
    });
    checked.map_err(|e| CliError::Rejected {
        path: show(&a.commitment),
        reason: format!("the commitment does not hold a model of the architecture: {e}"),
    })
}

/// A verifier's error in words.
fn rejected(a: &VerifyArgs, e: network::VerifyError) -> CliError {
    match e {
        network::VerifyError::Model(e) => CliError::Failed {
            action: format!("verify a zero-knowledge proof of '{}'", show(&a.model)),
            reason: e.to_string(),
        },
        e => CliError::Rejected {
            path: show(&a.proof),
            reason: e.to_string(),
        },
    }
}

/// Verifies a zero-knowledge batch proof against the inputs (or the batch's commitment) and
/// the outputs (a JSON array or a .npy array `[N, ...output shape]`); `Ok` only when it is
/// valid.
pub fn verify_batch(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    let BatchStatement {
        model,
        plan,
        file,
        inputs,
    } = read_batch_statement(a, ProofKind::ZeroKnowledgeBatch)?;
    let n = inputs.count();
    let out_shape = plan.dims.last().map_or(&[][..], |d| d.shape.as_slice());
    let ys = files::read_outputs(&a.output, &model, out_shape, n)?;
    let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
    let bytes = read_batch_proof(a)?;
    let (xr, statement) = inputs.split();
    let statement_inputs = digest_inputs(&xr, statement);
    let digest =
        network::zk_batch_statement_digest(&model, &file.commitment, statement_inputs, &yr);
    let proof = network::ZkBatchProof::<F, E>::from_bytes(&bytes, digest)
        .map_err(|e| proof_format(e, &bytes, &a.proof))?;
    let checked = check_zk_commitment(a, &model, &file, progress)?;
    let (verified, took) = progress.step(
        "verifying the batch in zero knowledge",
        || match statement {
            Some((c, _)) => network::verify_batch_zk_committed(&model, &checked, c, &yr, &proof),
            None => network::verify_batch_zk(&model, &checked, &xr, &yr, &proof),
        },
    );
    verified.map_err(|e| rejected(a, e))?;
    let hidden = statement.is_some();
    Ok(Report {
        text: format!(
            "valid zero-knowledge batch proof: the model committed in '{}' ({}), on the batch \
             of {n} inputs {}'{}', outputs '{}'; verified in {}\n",
            show(&a.commitment),
            model.name,
            if hidden { "committed in " } else { "" },
            show(&a.input),
            show(&a.output),
            ui::duration(took),
        ),
        json: json!({
            "valid": true,
            "kind": ProofKind::ZeroKnowledgeBatch.name(),
            "model": model.name,
            "count": n,
            "input_hidden": hidden,
            "outputs": ys,
            "verify_ms": ui::ms(took),
        }),
    })
}

/// Verifies a zero-knowledge accuracy proof against the inputs (or the batch's commitment)
/// and their labels (the output argument); `Ok` only when it is valid.
pub fn verify_accuracy(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    if is_dataset_commitment(&a.input) {
        return verify_dataset(a, progress);
    }
    let BatchStatement {
        model,
        file,
        inputs,
        ..
    } = read_batch_statement(a, ProofKind::ZeroKnowledgeAccuracy)?;
    let n = inputs.count();
    let labels = super::commands::read_labels(&a.output, n)?;
    let bytes = read_batch_proof(a)?;
    let (xr, statement) = inputs.split();
    let statement_inputs = digest_inputs(&xr, statement);
    let digest =
        network::zk_accuracy_statement_digest(&model, &file.commitment, statement_inputs, &labels);
    let proof = network::ZkAccuracyProof::<F, E>::from_bytes(&bytes, digest)
        .map_err(|e| proof_format(e, &bytes, &a.proof))?;
    let checked = check_zk_commitment(a, &model, &file, progress)?;
    let (verified, took) =
        progress.step(
            "verifying the accuracy in zero knowledge",
            || match statement {
                Some((c, _)) => {
                    network::verify_accuracy_zk_committed(&model, &checked, c, &labels, &proof)
                }
                None => network::verify_accuracy_zk(&model, &checked, &xr, &labels, &proof),
            },
        );
    verified.map_err(|e| rejected(a, e))?;
    let hidden = statement.is_some();
    Ok(Report {
        text: format!(
            "valid zero-knowledge accuracy proof: the model committed in '{}' ({}) classifies \
             {} of the {n} inputs {}'{}' as their labels '{}' (first maximal logit); verified \
             in {}\n",
            show(&a.commitment),
            model.name,
            proof.correct,
            if hidden { "committed in " } else { "" },
            show(&a.input),
            show(&a.output),
            ui::duration(took),
        ),
        json: json!({
            "valid": true,
            "kind": ProofKind::ZeroKnowledgeAccuracy.name(),
            "model": model.name,
            "count": n,
            "correct": proof.correct,
            "input_hidden": hidden,
            "verify_ms": ui::ms(took),
        }),
    })
}

/// The labels' place of a verification on a committed dataset (whole or in shards, its file
/// in the inputs' place, already read): the same file again, byte for byte, since the dataset
/// commits its labels.
fn labels_in_dataset(a: &VerifyArgs, proofs: &str) -> Result<(), CliError> {
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
    let same = len(&a.input).is_some_and(|n| n <= files::MAX_COMMITMENT_BYTES)
        && len(&a.input) == len(&a.output)
        && std::fs::read(&a.output).ok() == std::fs::read(&a.input).ok();
    if same {
        return Ok(());
    }
    Err(CliError::Mismatch(format!(
        "the labels of {proofs} on the dataset committed in '{}' are committed in it: give its \
         file in the labels' place too (not '{}')",
        show(&a.input),
        show(&a.output)
    )))
}

/// Verifies a zero-knowledge accuracy proof on a committed labelled dataset: the dataset
/// commitment file in the inputs' place and again in the labels'; `Ok` only when it is valid.
fn verify_dataset(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    let model = files::read_architecture(&a.model)?;
    plan(&model, &a.model)?;
    let file = read_commitment(&a.commitment, &model, &a.model)?;
    let dataset = read_dataset_commitment("dataset commitment", &a.input, &model, &a.model)?;
    // The labels are committed in the dataset's file: the labels' place names it again.
    labels_in_dataset(a, "an accuracy proof")?;
    let n = dataset.commitment.count;
    if n == 0 || n > network::batch::MAX_BATCH as u64 {
        return Err(CliError::invalid(
            "dataset commitment",
            &a.input,
            format!(
                "a dataset of {n} inputs; datasets have 1 to {}",
                network::batch::MAX_BATCH
            ),
        ));
    }
    let bytes = read_batch_proof(a)?;
    let digest =
        network::zk_dataset_statement_digest(&model, &file.commitment, &dataset.commitment);
    let proof = network::ZkAccuracyProof::<F, E>::from_bytes(&bytes, digest)
        .map_err(|e| proof_format(e, &bytes, &a.proof))?;
    let checked = check_zk_commitment(a, &model, &file, progress)?;
    let (verified, took) = progress.step("verifying the accuracy in zero knowledge", || {
        network::verify_accuracy_zk_dataset(&model, &checked, &dataset.commitment, &proof)
    });
    verified.map_err(|e| rejected(a, e))?;
    Ok(Report {
        text: format!(
            "valid zero-knowledge accuracy proof: the model committed in '{}' ({}) classifies \
             {} of the {n} inputs of the dataset committed in '{}' as their labels (first \
             maximal logit; inputs and labels hidden); verified in {}\n",
            show(&a.commitment),
            model.name,
            proof.correct,
            show(&a.input),
            ui::duration(took),
        ),
        json: json!({
            "valid": true,
            "kind": ProofKind::ZeroKnowledgeAccuracy.name(),
            "model": model.name,
            "count": n,
            "correct": proof.correct,
            "input_hidden": true,
            "labels_hidden": true,
            "verify_ms": ui::ms(took),
        }),
    })
}

/// Verifies a set of zero-knowledge shard accuracy proofs named by a manifest (the proof
/// argument) against a dataset committed in shards (its file in the inputs' and the labels'
/// places): the manifest's model commitment and dataset, then every shard's proof against its
/// own shard's commitment (`network::verify_accuracy_zk_shards`); prints the summed count.
pub fn verify_shards(a: &VerifyArgs, progress: &Progress) -> Result<Report, CliError> {
    let model = files::read_architecture(&a.model)?;
    plan(&model, &a.model)?;
    let file = read_commitment(&a.commitment, &model, &a.model)?;
    let dataset = read_sharded_dataset(&a.input, &model, &a.model)?;
    labels_in_dataset(a, "shard proofs")?;
    let manifest = super::commands::read_manifest(a)?;
    let rejected = |e| super::commands::shard_rejected(a, e);
    manifest
        .check_zk_statement(&file.commitment, &dataset.dataset)
        .map_err(rejected)?;
    let proofs = super::commands::read_shard_proofs(a, &manifest)?;
    let set = manifest.proof_set(&proofs);
    let checked = check_zk_commitment(a, &model, &file, progress)?;
    let (verified, took) = progress.step("verifying the shards in zero knowledge", || {
        network::verify_accuracy_zk_shards::<F, E>(
            &model,
            &checked,
            &dataset.dataset,
            &set,
            a.allow_gaps,
        )
    });
    let total = verified.map_err(rejected)?;
    let mut text = format!(
        "valid: the model committed in '{}' ({}) classifies {} of the {} inputs of the dataset \
         committed in '{}' as their labels (first maximal logit; inputs and labels hidden), in \
         {} zero-knowledge shard proofs; verified in {}\n",
        show(&a.commitment),
        model.name,
        total.correct,
        total.covered,
        show(&a.input),
        set.len(),
        ui::duration(took),
    );
    text.push_str(&super::commands::gaps_line(&total));
    Ok(Report {
        text,
        json: json!({
            "valid": true,
            "kind": "zero-knowledge accuracy shards",
            "model": model.name,
            "count": total.count,
            "covered": total.covered,
            "correct": total.correct,
            "gaps": total.gaps,
            "shards": manifest.shards.len(),
            "input_hidden": true,
            "labels_hidden": true,
            "verify_ms": ui::ms(took),
        }),
    })
}
