//! `verify` and `verify_accuracy` of zero-knowledge batch and accuracy proofs (proof kinds 4
//! and 5, made by the CLI's `zkcnn prove` on a batch or with `--labels`): the inputs public
//! (`[N, *input_shape]`), a committed batch's input commitment (bytes, `zkcnn commit-input` on
//! a batch), or for an accuracy proof a committed labelled dataset's commitment (bytes, `zkcnn
//! commit-dataset`; given again in the labels' place, since it commits them).

use crate::commitment::{ZkCommitmentFile, ZkDatasetCommitmentFile, DATASET_MAGIC};
use crate::errors::{self, CommitmentError, InputError};
use crate::{arrays, bytes_arg, check_architecture, commitment_error, Progress};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};
use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
use zkcnn::model::Model;
use zkcnn::network::{self, CheckedZkCommitment, ZkBatchInputs};
use zkcnn::pcs::zk::ZkCommitment;

/// The inputs of a zero-knowledge batch or accuracy statement: their rows, or a committed
/// batch's commitment and count.
enum Inputs {
    Public(Vec<Vec<i64>>),
    Committed(ZkCommitment, usize),
}

impl Inputs {
    fn count(&self) -> usize {
        match self {
            Inputs::Public(xs) => xs.len(),
            Inputs::Committed(_, n) => *n,
        }
    }

    /// The public inputs' rows (none for a committed batch).
    fn rows(&self) -> Vec<&[i64]> {
        match self {
            Inputs::Public(xs) => xs.iter().map(Vec::as_slice).collect(),
            Inputs::Committed(..) => Vec::new(),
        }
    }
}

fn is_bytes(obj: &Bound<'_, PyAny>) -> bool {
    obj.cast::<PyBytes>().is_ok() || obj.cast::<PyByteArray>().is_ok()
}

/// `x` as a batch: an array `[N, *input_shape]`, or a committed batch's input commitment.
fn inputs(py: Python<'_>, x: &Bound<'_, PyAny>, arch: &Model) -> PyResult<Inputs> {
    if !is_bytes(x) {
        let xs = arrays::model_inputs("x", x, arch)?;
        return Ok(Inputs::Public(
            xs.iter().map(|t| t.iter().copied().collect()).collect(),
        ));
    }
    let file = crate::zk::input_or_batch_commitment_file(py, &bytes_arg("x", x)?, arch)?;
    let n = file
        .count
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0 && n <= network::batch::MAX_BATCH)
        .ok_or_else(|| {
            errors::new::<CommitmentError>(
                py,
                "batch",
                "a batch or accuracy proof is verified against the commitment of the batch it \
                 was made on (`zkcnn commit-input` on a batch of 1 to 65536 inputs)",
            )
        })?;
    Ok(Inputs::Committed(file.commitment, n))
}

fn digest_inputs<'a>(inputs: &'a Inputs, rows: &'a [&'a [i64]]) -> ZkBatchInputs<'a> {
    match inputs {
        Inputs::Public(_) => ZkBatchInputs::Public(rows),
        Inputs::Committed(commitment, count) => ZkBatchInputs::Committed {
            commitment,
            count: *count,
        },
    }
}

/// The hiding commitment's file, checked to be for `arch`.
fn commitment_file(py: Python<'_>, arch: &Model, commitment: &[u8]) -> PyResult<ZkCommitmentFile> {
    let file = ZkCommitmentFile::from_bytes(commitment).map_err(|e| commitment_error(py, &e))?;
    check_architecture(py, file.architecture, arch)?;
    Ok(file)
}

/// The hiding commitment's check (it holds a model of `arch`).
fn check(
    py: Python<'_>,
    arch: &Model,
    file: &ZkCommitmentFile,
    progress: &Progress<'_>,
) -> PyResult<CheckedZkCommitment> {
    progress
        .run(py, "check commitment", || {
            network::verify_model_check_zk::<F, E>(arch, &file.commitment, &file.check)
        })?
        .map_err(|e| errors::check(py, &e))
}

/// Verifies a zero-knowledge batch proof (`verify`'s branch for kind 4): `x` the batch or its
/// commitment, `y` the outputs `[N, ...]`.
#[allow(clippy::too_many_arguments)]
pub fn verify_batch(
    py: Python<'_>,
    arch: &Model,
    commitment: &[u8],
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    proof: &[u8],
    out_len: usize,
    progress: &Progress<'_>,
) -> PyResult<()> {
    let file = commitment_file(py, arch, commitment)?;
    let xs = inputs(py, x, arch)?;
    let ys = arrays::batch_outputs(y, arch, xs.count(), out_len)?;
    let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
    let rows = xs.rows();
    let digest =
        network::zk_batch_statement_digest(arch, &file.commitment, digest_inputs(&xs, &rows), &yr);
    let decoded = network::ZkBatchProof::<F, E>::from_bytes(proof, digest)
        .map_err(|e| errors::proof_format(py, &e, proof))?;
    let checked = check(py, arch, &file, progress)?;
    progress
        .run(py, "verify", || match &xs {
            Inputs::Committed(c, _) => {
                network::verify_batch_zk_committed(arch, &checked, c, &yr, &decoded)
            }
            Inputs::Public(_) => network::verify_batch_zk(arch, &checked, &rows, &yr, &decoded),
        })?
        .map_err(|e| errors::rejected(py, &e))
}

/// Verifies a zero-knowledge accuracy proof (kind 5); returns its proven count. `x` the inputs
/// (or a committed batch's commitment) and `labels` their labels; or `x` a committed labelled
/// dataset's commitment (`zkcnn commit-dataset`) and `labels` the same bytes.
pub fn verify_accuracy(
    py: Python<'_>,
    arch: &Model,
    commitment: &[u8],
    x: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    proof: &[u8],
    progress: &Progress<'_>,
) -> PyResult<u64> {
    let file = commitment_file(py, arch, commitment)?;
    let rejected = |e: network::VerifyError| match &e {
        network::VerifyError::Labels(l) => errors::new::<InputError>(py, "labels", l),
        _ => errors::rejected(py, &e),
    };
    if is_bytes(x) && bytes_arg("x", x)?.starts_with(DATASET_MAGIC) {
        let bytes = bytes_arg("x", x)?;
        let dataset = ZkDatasetCommitmentFile::from_bytes(&bytes).map_err(|e| {
            errors::new::<CommitmentError>(
                py,
                &errors::kind_of(&e),
                format!("invalid dataset commitment: {e}"),
            )
        })?;
        check_architecture(py, dataset.architecture, arch)?;
        let same = is_bytes(labels) && bytes_arg("labels", labels)?.as_ref() == bytes.as_ref();
        if !same {
            return Err(errors::new::<InputError>(
                py,
                "labels",
                "x is a committed dataset's commitment (`zkcnn commit-dataset`), which commits \
                 the labels too: give the same bytes as labels",
            ));
        }
        let digest =
            network::zk_dataset_statement_digest(arch, &file.commitment, &dataset.commitment);
        let decoded = network::ZkAccuracyProof::<F, E>::from_bytes(proof, digest)
            .map_err(|e| errors::proof_format(py, &e, proof))?;
        let checked = check(py, arch, &file, progress)?;
        progress
            .run(py, "verify", || {
                network::verify_accuracy_zk_dataset(arch, &checked, &dataset.commitment, &decoded)
            })?
            .map_err(rejected)?;
        return Ok(decoded.correct);
    }
    let xs = inputs(py, x, arch)?;
    let labels = arrays::class_labels("labels", labels, xs.count())?;
    let rows = xs.rows();
    let digest = network::zk_accuracy_statement_digest(
        arch,
        &file.commitment,
        digest_inputs(&xs, &rows),
        &labels,
    );
    let decoded = network::ZkAccuracyProof::<F, E>::from_bytes(proof, digest)
        .map_err(|e| errors::proof_format(py, &e, proof))?;
    let checked = check(py, arch, &file, progress)?;
    progress
        .run(py, "verify", || match &xs {
            Inputs::Committed(c, _) => {
                network::verify_accuracy_zk_committed(arch, &checked, c, &labels, &decoded)
            }
            Inputs::Public(_) => {
                network::verify_accuracy_zk(arch, &checked, &rows, &labels, &decoded)
            }
        })?
        .map_err(rejected)?;
    Ok(decoded.correct)
}
