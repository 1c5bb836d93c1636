//! Batch and accuracy proofs (transparent or zero-knowledge, the commitment's kind), and
//! sharded accuracy (transparent), as the CLI's `prove` with a `[N, ...]` batch, `--labels` and
//! `--shard`, and its `verify` of a batch or accuracy proof and `verify --shards` make and
//! check them (`src/cli/commands.rs`, `src/cli/zk.rs`): the same checks, the same proof bytes
//! and header kinds (`TransparentBatch`, `TransparentAccuracy`, `ZeroKnowledgeBatch`,
//! `ZeroKnowledgeAccuracy`), the same manifest. The protocols are the library's
//! (`zkcnn::network::{batch, accuracy, shards, zk_batch, zk_accuracy}`).
//!
//! * [`prove_batch`] → the outputs `[N, ...]` and one proof; `N = 1` is one input, a single
//!   proof, as the CLI proves a `[1, ...]` input file;
//! * [`prove_accuracy`] → the proven count of inputs whose first maximal logit is their label,
//!   and the proof; with `shard=(start, end)` the proof of that slice and its manifest entry;
//! * [`verify_accuracy`] → the proven count (`verify` takes the same proof and returns `None`);
//! * [`shard_manifest`] → the manifest (the CLI's JSON, as a dict) of a set of shard entries;
//! * [`verify_shards`] → the summed count, the covered inputs and the gaps.

use crate::commitment::CommitmentFile;
use crate::errors::{self, InputError};
use crate::zk::{lock, Whose};
use crate::{
    architecture_arg, arrays, bytes_arg, check_architecture, commitment_error, Progress, State,
};
use crate::{CommittedModel, F};
use crate::{ProofKind, E};
use ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use rand::rngs::OsRng;
use std::time::Instant;
use zkcnn::network::{self, shards, FormatError, ZkBatchInputs};

/// Rows of values, one per tensor.
fn rows(tensors: &[ArrayD<i64>]) -> Vec<Vec<i64>> {
    tensors
        .iter()
        .map(|t| t.iter().copied().collect())
        .collect()
}

/// Borrowed rows.
fn slices(rows: &[Vec<i64>]) -> Vec<&[i64]> {
    rows.iter().map(Vec::as_slice).collect()
}

/// Proves that the committed model maps each input of the batch `xs` (an array
/// `[N, *input_shape]`, `1 <= N <= 65536`, read as `prove` reads one input) to its output;
/// returns `(ys, proof)`: the proven outputs (`int64`, `[N, *output_shape]`) and one proof's
/// bytes (the file `zkcnn prove` writes for a `.npy` batch). The proof's kind is the
/// commitment's: with a hiding commitment (`Model.commit()`), one zero-knowledge batch proof
/// (header kind `zk batch`; it spends part of the commitment's budget, as one proof does, and
/// raises `ZkcnnError` of kind `budget` when that is spent), with a transparent one a
/// transparent batch proof (`transparent batch`). As in the CLI, `N = 1` is one input: a
/// single proof (the bytes `prove` makes on `xs[0]`), verified by `verify` with the same `xs`
/// and `ys`. A batch takes every layer kind a single proof takes.
/// `progress` sees `prove` and the prover's phases; the GIL is released while proving.
#[pyfunction]
#[pyo3(signature = (committed, xs, progress=None))]
pub fn prove_batch<'py>(
    committed: &Bound<'py, CommittedModel>,
    xs: &Bound<'py, PyAny>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyArrayDyn<i64>>, Bound<'py, PyBytes>)> {
    let py = committed.py();
    let c = committed.get();
    let model = &c.model.get().inner;
    let inputs = arrays::model_inputs("xs", xs, model)?;
    let n = inputs.len();
    let progress = Progress(progress);
    progress.start("prove")?;
    let clock = Instant::now();
    let proved = py.detach(|| {
        let mut phases = network::Phases::new();
        let proved = match (&c.state, inputs.as_slice()) {
            (state, [x]) => {
                crate::prove_bytes(model, state, crate::ProveInput::Public(x), &mut phases)
                    .map(|(y, bytes)| (vec![y], bytes))
            }
            (State::Transparent(t), _) => {
                network::batch::prove_batch_timed::<F, E>(model, t, &inputs, &mut phases)
                    .map(|(ys, proof)| {
                        let (xs, yr) = (rows(&inputs), rows(&ys));
                        let digest = network::proof::batch_statement_digest(
                            model,
                            t.commitment(),
                            &slices(&xs),
                            &slices(&yr),
                        );
                        (ys, proof.to_bytes(digest))
                    })
                    .map_err(|e| (e, Whose::Model))
            }
            (State::Zk(m), _) => {
                let mut committed = lock(m);
                let clock = Instant::now();
                let proved =
                    network::prove_batch_zk::<F, E, _>(model, &mut committed, &inputs, &mut OsRng);
                phases.push(("zero-knowledge batch", clock.elapsed()));
                proved
                    .map(|(ys, proof)| {
                        let (xs, yr) = (rows(&inputs), rows(&ys));
                        let digest = network::zk_batch_statement_digest(
                            model,
                            &committed.commitment,
                            ZkBatchInputs::Public(&slices(&xs)),
                            &slices(&yr),
                        );
                        (ys, proof.to_bytes(digest))
                    })
                    .map_err(|e| (e, Whose::Model))
            }
        };
        proved.map(|(ys, bytes)| (ys, bytes, phases))
    });
    let took = clock.elapsed();
    let (outputs, bytes, phases) = proved.map_err(|(e, whose)| {
        crate::proof_failed(
            py,
            &c.state,
            &format!("prove the model on the batch of {n} inputs"),
            &e,
            whose,
        )
    })?;
    for (name, d) in &phases {
        progress.done(&format!("prove: {name}"), *d)?;
    }
    progress.done("prove", took)?;
    let mut shape = vec![n];
    shape.extend_from_slice(outputs.first().map_or(&[][..], |y| y.shape()));
    let values: Vec<i64> = outputs.iter().flat_map(|y| y.iter().copied()).collect();
    let ys = ArrayD::from_shape_vec(IxDyn(&shape), values).map_err(|e| {
        errors::new::<errors::ZkcnnError>(py, "shape", format!("cannot shape the outputs: {e}"))
    })?;
    Ok((ys.into_pyarray(py), PyBytes::new(py, &bytes)))
}

/// The file name a shard's manifest entry gives its proof.
fn shard_proof_name(start: u64, end: u64) -> String {
    format!("shard-{start}-{end}.proof")
}

/// Proves how many of the inputs `xs` (`[N, *input_shape]`, read as `prove_batch` reads them)
/// the committed model classifies as their `labels` (1-D integers, one per input; the class is
/// the first maximal logit); returns `(count, proof)`: the proven count and the proof's bytes
/// (the file `zkcnn prove --labels` writes). The proof's kind is the commitment's: with a
/// hiding commitment a zero-knowledge accuracy proof (header kind `zk accuracy`: neither the
/// weights nor the logits leak; it spends part of the commitment's budget), with a transparent
/// one a transparent accuracy proof (`transparent accuracy`; the logits are not in it). `N = 1`
/// is an accuracy proof of one input.
///
/// With `shard=(start, end)`, the proof is of the slice `start..end` of the inputs and labels
/// only (the CLI's `--shard START..END`: `start < end <= N`, at most 65536 inputs, else
/// `InputError` of kind `shard`), and the result is `(count, proof, entry)`: `entry` the
/// shard's manifest entry, a dict `{"start", "end", "correct", "proof"}`, `"proof"` the name
/// under which the manifest finds the proof (`shard-START-END.proof`: the file to write it to
/// for `zkcnn verify --shards`, the key of `verify_shards`'s `proofs` dict).
///
/// `shard` needs a transparent commitment (with a hiding one it raises `InputError`, kind
/// `shard`: zero-knowledge shards are proven by the CLI over a dataset committed in shards). A
/// label that is not a class of the model raises `InputError` (kind `labels`). `progress` sees
/// `prove` and the prover's phases; the GIL is released.
#[pyfunction]
#[pyo3(signature = (committed, xs, labels, shard=None, progress=None))]
pub fn prove_accuracy<'py>(
    committed: &Bound<'py, CommittedModel>,
    xs: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
    shard: Option<Bound<'py, PyAny>>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = committed.py();
    let shard = shard
        .map(|s| {
            s.extract::<(u64, u64)>().map_err(|_| {
                errors::new::<InputError>(
                    py,
                    "shard",
                    "shard must be a pair (start, end) of non-negative integers",
                )
            })
        })
        .transpose()?;
    let c = committed.get();
    let model = &c.model.get().inner;
    if let (State::Zk(_), Some(_)) = (&c.state, shard) {
        return Err(errors::new::<InputError>(
            py,
            "shard",
            "zero-knowledge accuracy shards are proven over a dataset committed in shards \
             (`zkcnn commit-dataset --shard-size`, then `zkcnn prove --shard`); here, prove the \
             whole set, or a transparent shard (Model.commit(transparent=True))",
        ));
    }
    let all_inputs = arrays::model_inputs("xs", xs, model)?;
    let all = all_inputs.len();
    let all_labels = arrays::class_labels("labels", labels, all)?;
    let (inputs, labels) = match shard {
        None => (&all_inputs[..], &all_labels[..]),
        Some((start, end)) => {
            let slice = usize::try_from(start).unwrap_or(usize::MAX)
                ..usize::try_from(end).unwrap_or(usize::MAX);
            match (
                all_inputs.get(slice.clone()),
                all_labels.get(slice),
                start < end && end - start <= network::batch::MAX_BATCH as u64,
            ) {
                (Some(x), Some(l), true) => (x, l),
                _ => {
                    return Err(errors::new::<InputError>(
                        py,
                        "shard",
                        format!(
                            "shard {start}..{end} is not a slice of 1 to {} of the {all} inputs",
                            network::batch::MAX_BATCH
                        ),
                    ))
                }
            }
        }
    };
    let n = inputs.len();
    let progress = Progress(progress);
    progress.start("prove")?;
    let clock = Instant::now();
    let proved = py.detach(|| {
        let mut phases = network::Phases::new();
        let xs = rows(inputs);
        match &c.state {
            State::Transparent(t) => network::accuracy::prove_accuracy_timed::<F, E>(
                model,
                t,
                inputs,
                labels,
                &mut phases,
            )
            .map(|proof| {
                let digest = network::accuracy::accuracy_statement_digest(
                    model,
                    t.commitment(),
                    &slices(&xs),
                    labels,
                );
                (proof.correct, proof.to_bytes(digest))
            }),
            State::Zk(m) => {
                let mut committed = lock(m);
                let clock = Instant::now();
                let proved = network::prove_accuracy_zk::<F, E, _>(
                    model,
                    &mut committed,
                    inputs,
                    labels,
                    &mut OsRng,
                );
                phases.push(("zero-knowledge accuracy", clock.elapsed()));
                proved.map(|proof| {
                    let digest = network::zk_accuracy_statement_digest(
                        model,
                        &committed.commitment,
                        ZkBatchInputs::Public(&slices(&xs)),
                        labels,
                    );
                    (proof.correct, proof.to_bytes(digest))
                })
            }
        }
        .map(|(correct, bytes)| (correct, bytes, phases))
    });
    let took = clock.elapsed();
    let (correct, bytes, phases) = proved.map_err(|e| match &e {
        network::NetworkError::Labels(l) => errors::new::<InputError>(py, "labels", l),
        _ => crate::proof_failed(
            py,
            &c.state,
            &format!("prove the accuracy on the {n} inputs"),
            &e,
            Whose::Model,
        ),
    })?;
    for (name, d) in &phases {
        progress.done(&format!("prove: {name}"), *d)?;
    }
    progress.done("prove", took)?;
    let proof = PyBytes::new(py, &bytes);
    Ok(match shard {
        None => (correct, proof).into_pyobject(py)?.into_any(),
        Some((start, end)) => {
            let entry = PyDict::new(py);
            entry.set_item("start", start)?;
            entry.set_item("end", end)?;
            entry.set_item("correct", correct)?;
            entry.set_item("proof", shard_proof_name(start, end))?;
            (correct, proof, entry).into_pyobject(py)?.into_any()
        }
    })
}

/// What an accuracy or shards verification reads beside its proofs.
struct Labelled {
    architecture: zkcnn::model::Model,
    file: CommitmentFile,
    xs: Vec<Vec<i64>>,
    labels: Vec<usize>,
}

/// Reads [`Labelled`] from the arguments, as `verify` reads its first arguments.
fn read_labelled(
    py: Python<'_>,
    architecture: &Bound<'_, PyAny>,
    commitment: &Bound<'_, PyAny>,
    xs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
) -> PyResult<Labelled> {
    let arch = architecture_arg(py, architecture)?;
    network::plan::Plan::new(&arch).map_err(|e| errors::network(py, "verify", &e))?;
    let commitment = bytes_arg("commitment", commitment)?;
    let file = CommitmentFile::from_bytes(&commitment).map_err(|e| commitment_error(py, &e))?;
    check_architecture(py, file.architecture, &arch)?;
    let inputs = arrays::model_inputs("xs", xs, &arch)?;
    let labels = arrays::class_labels("labels", labels, inputs.len())?;
    Ok(Labelled {
        architecture: arch,
        file,
        xs: rows(&inputs),
        labels,
    })
}

/// Verifies an accuracy proof; returns its proven count (`verify` and [`verify_accuracy`]).
pub(crate) fn verify_accuracy_bytes(
    py: Python<'_>,
    architecture: &Bound<'_, PyAny>,
    commitment: &Bound<'_, PyAny>,
    xs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    proof: &[u8],
    progress: &Progress<'_>,
) -> PyResult<u64> {
    let Labelled {
        architecture: arch,
        file,
        xs,
        labels,
    } = read_labelled(py, architecture, commitment, xs, labels)?;
    let xr = slices(&xs);
    let digest = network::accuracy::accuracy_statement_digest(
        &arch,
        &file.commitment.commitment,
        &xr,
        &labels,
    );
    let decoded = network::AccuracyProof::<F, E>::from_bytes(proof, digest)
        .map_err(|e| errors::proof_format(py, &e, proof))?;
    let checked = progress
        .run(py, "check commitment", || file.commitment.check(&arch))?
        .map_err(|e| errors::check(py, &e))?;
    progress
        .run(py, "verify", || {
            network::verify_accuracy(&arch, &checked, &xr, &labels, &decoded)
        })?
        .map_err(|e| match &e {
            network::VerifyError::Labels(l) => errors::new::<InputError>(py, "labels", l),
            _ => errors::rejected(py, &e),
        })?;
    Ok(decoded.correct)
}

/// Verifies an accuracy proof (from `prove_accuracy`, or `zkcnn prove --transparent
/// --labels`): that the model committed in `commitment` classifies exactly the returned count
/// of the inputs `xs` (`[N, *input_shape]`, read as `prove_batch` reads them) as their
/// `labels` (1-D integers, one per input; the first maximal logit). Returns that count, read
/// from the proof, which binds it; raises as `verify` does otherwise (a proof of another kind:
/// `ProofFormatError`, kind `kind`). `zkcnn.verify(architecture, commitment, xs, labels,
/// proof)` verifies the same proof and returns `None`.
#[pyfunction]
#[pyo3(signature = (architecture, commitment, xs, labels, proof, progress=None))]
pub fn verify_accuracy(
    py: Python<'_>,
    architecture: &Bound<'_, PyAny>,
    commitment: &Bound<'_, PyAny>,
    xs: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    proof: &Bound<'_, PyAny>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<u64> {
    let proof = bytes_arg("proof", proof)?;
    match network::proof::kind_of(&proof) {
        Ok(ProofKind::TransparentAccuracy) | Err(FormatError::NotAProof) => {}
        Ok(ProofKind::ZeroKnowledgeAccuracy) => {
            let arch = architecture_arg(py, architecture)?;
            network::plan::Plan::new(&arch).map_err(|e| errors::network(py, "verify", &e))?;
            let commitment = bytes_arg("commitment", commitment)?;
            return crate::zk_batch::verify_accuracy(
                py,
                &arch,
                &commitment,
                xs,
                labels,
                &proof,
                &Progress(progress),
            );
        }
        Ok(got) => {
            return Err(errors::proof_format(
                py,
                &FormatError::Kind {
                    expected: ProofKind::TransparentAccuracy,
                    got,
                },
                &proof,
            ))
        }
        Err(e) => return Err(errors::proof_format(py, &e, &proof)),
    }
    verify_accuracy_bytes(
        py,
        architecture,
        commitment,
        xs,
        labels,
        &proof,
        &Progress(progress),
    )
}

/// `json.dumps(obj)`, or an `InputError` (kind `type`) naming `what` when `obj` is not JSON.
fn json_dumps(py: Python<'_>, what: &str, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    py.import("json")?
        .call_method1("dumps", (obj,))
        .and_then(|t| t.extract::<String>())
        .map_err(|e| errors::new::<InputError>(py, "type", format!("{what} is not JSON data: {e}")))
}

/// The manifest's text: JSON (`str` or bytes) as given, a dict as `json.dumps` writes it.
fn manifest_text(py: Python<'_>, manifest: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if manifest.cast::<PyDict>().is_ok() {
        return json_dumps(py, "manifest", manifest).map(String::into_bytes);
    }
    if let Ok(s) = manifest.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes().to_vec());
    }
    bytes_arg("manifest", manifest)
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| {
            errors::new::<InputError>(
                py,
                "type",
                "manifest must be a dict or its JSON (str or bytes)",
            )
        })
}

/// The manifest (the CLI's `verify --shards` file, as a dict) of shard proofs over the
/// dataset `xs`, `labels` (all of it, as given to `prove_accuracy` with `shard`) for the
/// model committed in `commitment` (bytes; `architecture` as `verify` takes it): the model
/// commitment's id (its root), the dataset's digest and count, and `entries`, the shards'
/// entries (`prove_accuracy`'s third result), in any order. Written out with `json.dump`, it
/// is the file `zkcnn verify --shards` reads (the proofs saved next to it under their entries'
/// names). Raises `ProofFormatError` for entries that are not entries (kind `manifest`), no
/// entries or more than 65536 (kind `shard_count`), a proof name outside the manifest's folder
/// (kind `proof_path`).
#[pyfunction]
pub fn shard_manifest<'py>(
    py: Python<'py>,
    architecture: &Bound<'py, PyAny>,
    commitment: &Bound<'py, PyAny>,
    xs: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
    entries: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let Labelled {
        file, xs, labels, ..
    } = read_labelled(py, architecture, commitment, xs, labels)?;
    let entries = json_dumps(py, "entries", entries)?;
    let shards: Vec<shards::ShardEntry> = serde_json::from_str(&entries)
        .map_err(|e| errors::shard(py, &shards::ShardError::Manifest(e.to_string())))?;
    let manifest = shards::Manifest {
        format: shards::MANIFEST_FORMAT.to_string(),
        version: shards::MANIFEST_VERSION,
        model_commitment: shards::commitment_id(&file.commitment.commitment),
        dataset: crate::hex(&shards::dataset_digest(&slices(&xs), &labels)),
        count: xs.len() as u64,
        shards,
    };
    // Its own reader's checks (shard count, proof paths).
    let text = manifest.to_json();
    shards::Manifest::from_json(text.as_bytes()).map_err(|e| errors::shard(py, &e))?;
    crate::json_loads(py, &text)
}

/// The proofs named by a manifest: from a dict of its entries' names, or a sequence in the
/// manifest's order.
fn shard_proofs(
    py: Python<'_>,
    manifest: &shards::Manifest,
    proofs: &Bound<'_, PyAny>,
) -> PyResult<Vec<Vec<u8>>> {
    if let Ok(d) = proofs.cast::<PyDict>() {
        return manifest
            .shards
            .iter()
            .enumerate()
            .map(|(i, s)| match d.get_item(&s.proof)? {
                Some(b) => Ok(bytes_arg("proofs", &b)?.into_owned()),
                None => Err(errors::new::<InputError>(
                    py,
                    "proofs",
                    format!(
                        "proofs has no proof '{}' (shard {i} of the manifest)",
                        s.proof
                    ),
                )),
            })
            .collect();
    }
    let want = manifest.shards.len();
    let mut out = Vec::with_capacity(want);
    let items = proofs.try_iter().map_err(|_| {
        errors::new::<InputError>(
            py,
            "type",
            "proofs must be a dict from the manifest's proof names to bytes, or a list of \
             bytes in the manifest's order",
        )
    })?;
    for (i, item) in items.enumerate() {
        if i == want {
            return Err(errors::new::<InputError>(
                py,
                "proofs",
                format!("the manifest has {want} shards; proofs gives more"),
            ));
        }
        out.push(bytes_arg("proofs", &item?)?.into_owned());
    }
    if out.len() != want {
        return Err(errors::new::<InputError>(
            py,
            "proofs",
            format!("the manifest has {want} shards; proofs gives {}", out.len()),
        ));
    }
    Ok(out)
}

/// Verifies a set of shard accuracy proofs as `zkcnn verify --shards` does: `manifest` (a
/// dict, or its JSON as `str` or bytes: the CLI's file, or `shard_manifest`'s result) must be
/// for the model committed in `commitment` and for the dataset `xs`, `labels` (all of it); the
/// shards' slices must be disjoint and cover every input (with `allow_gaps`, uncovered inputs
/// are reported instead, counted as not proven; overlaps are refused either way); every
/// shard's proof must verify on its own slice, with the count the manifest claims. `proofs`:
/// a dict from the entries' proof names to bytes, or a list of bytes in the manifest's order.
///
/// Returns `{"count": N, "covered": inputs covered, "correct": the summed proven count,
/// "gaps": [(start, end), ...], "shards": shards}`. Raises `ProofFormatError` for a
/// manifest that does not parse (kinds `manifest`, `version`, `shard_count`, `proof_path`) or
/// a shard's proof bytes that do not decode, `StatementError` for a manifest of another model
/// commitment (`model_commitment`) or dataset (`dataset`) or a shard proof of another slice,
/// `RejectedError` for ranges that overlap (`overlap`, `duplicate`), leave gaps (`gap`) or
/// leave the dataset (`range`), a claimed count that is not the proof's (`claimed`) and a
/// shard proof that does not verify; every message names the shard.
#[pyfunction]
#[pyo3(signature = (architecture, commitment, xs, labels, manifest, proofs, allow_gaps=false, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn verify_shards<'py>(
    py: Python<'py>,
    architecture: &Bound<'py, PyAny>,
    commitment: &Bound<'py, PyAny>,
    xs: &Bound<'py, PyAny>,
    labels: &Bound<'py, PyAny>,
    manifest: &Bound<'py, PyAny>,
    proofs: &Bound<'py, PyAny>,
    allow_gaps: bool,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let Labelled {
        architecture: arch,
        file,
        xs,
        labels,
    } = read_labelled(py, architecture, commitment, xs, labels)?;
    let xr = slices(&xs);
    let text = manifest_text(py, manifest)?;
    let manifest = shards::Manifest::from_json(&text).map_err(|e| errors::shard(py, &e))?;
    manifest
        .check_statement(&file.commitment.commitment, &xr, &labels)
        .map_err(|e| errors::shard(py, &e))?;
    shards::check_cover(&manifest.ranges(), xr.len() as u64, allow_gaps)
        .map_err(|e| errors::shard(py, &e))?;
    let bytes = shard_proofs(py, &manifest, proofs)?;
    let set = manifest.proof_set(&bytes);
    let progress = Progress(progress);
    let checked = progress
        .run(py, "check commitment", || file.commitment.check(&arch))?
        .map_err(|e| errors::check(py, &e))?;
    let total = progress
        .run(py, "verify", || {
            network::verify_accuracy_shards::<F, E>(&arch, &checked, &xr, &labels, &set, allow_gaps)
        })?
        .map_err(|e| errors::shard(py, &e))?;
    let out = PyDict::new(py);
    out.set_item("count", total.count)?;
    out.set_item("covered", total.covered)?;
    out.set_item("correct", total.correct)?;
    out.set_item("gaps", total.gaps)?;
    out.set_item("shards", set.len())?;
    Ok(out)
}
