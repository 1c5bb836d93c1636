//! Zero-knowledge batch proofs (`spec/batch.md`, "Zero knowledge"): one proof that the model
//! committed with a hiding commitment maps each of `N` public inputs to its public output,
//! hiding the weights and every intermediate value.
//!
//! The batch plan of [`super::batch`] (the batch padded to `2^b` slots with copies of input 0,
//! the batch index over every tensor's top `b` variables) in zero-knowledge mode
//! (`ZkPlan::batched`): the element-wise steps are the single proof's on tables `2^b` times
//! larger, a dense layer's masked sum-check runs on its tables folded at the claim's batch
//! coordinates (`layers::dense::prove_zk_batched`), and the model is opened once for the
//! batch. Steps whose zero-knowledge protocol does not take a batch yet are refused by name.

use super::batch::{batch_vars, batch_witness, padded_statement, MAX_BATCH};
use super::prover::Cheat;
use super::zk::{
    absorb_statement_as, checked_for, prove_zk_core, verify_zk_core, ZkCommittedInput,
    ZkCommittedModel, ZkInput, ZkNetworkProof, ZkPlan,
};
use super::zk_check::CheckedZkCommitment;
use super::{NetworkError, VerifyError};
use crate::field::{BaseField, ExtField};
use crate::model::Model;
use ark_ff::{FftField, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use ndarray::ArrayD;
use rand::{CryptoRng, RngCore};

/// A zero-knowledge proof of a batch of inferences.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkBatchProof<F: ark_ff::Field, E: ark_ff::Field> {
    /// The batch's count `N`.
    pub count: u64,
    /// The proof over the padded batch of `2^⌈log2 N⌉` inputs.
    pub proof: ZkNetworkProof<F, E>,
}

/// A zero-knowledge batch prover's result: the outputs, in the inputs' order, and the proof.
pub type ZkProven<F, E> = (Vec<ArrayD<i64>>, ZkBatchProof<F, E>);

/// Absorbs a zero-knowledge batch statement: the count, the architecture, the hiding model
/// commitment, every input (concatenated in order) and every output.
fn absorb_batch<F: PrimeField>(
    t: &mut Transcript,
    model: &Model,
    commitment: &crate::pcs::zk::ZkCommitment,
    count: usize,
    inputs: ZkInput<'_>,
    outputs: &[i64],
) {
    // A committed batch's inputs count 0 values here (its commitment is absorbed instead).
    let input_len = match inputs {
        ZkInput::Public(x) => x.len() as u64,
        ZkInput::Committed(_) => 0,
    };
    absorb_statement_as::<F>(
        t,
        b"zkcnn-network-zk-batch",
        &[1, count as u64, input_len, outputs.len() as u64],
        model,
        commitment,
        inputs,
        outputs,
    );
}

/// Proves the model committed as `committed` on every input of `inputs` in one
/// zero-knowledge proof: returns the outputs, in order, and the proof. The prover's randomness
/// comes from `rng`.
pub fn prove_batch_zk<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    inputs: &[ArrayD<i64>],
    rng: &mut R,
) -> Result<ZkProven<F, E>, NetworkError> {
    prove_batch_zk_inner(model, committed, BatchInput::Public(inputs), rng, None)
}

/// Proves the model committed as `committed` on every input of the batch committed as `batch`
/// ([`commit_batch_zk`]) in one zero-knowledge proof, the inputs hidden: returns the outputs,
/// in order, and the proof.
pub fn prove_batch_zk_committed<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    batch: &mut ZkCommittedInput<F>,
    rng: &mut R,
) -> Result<ZkProven<F, E>, NetworkError> {
    prove_batch_zk_inner(model, committed, BatchInput::Committed(batch), rng, None)
}

/// A zero-knowledge batch's inputs, as the prover has them: public, or committed together
/// ([`commit_batch_zk`]).
pub(crate) enum BatchInput<'a, F: ark_ff::Field> {
    /// The inputs, public.
    Public(&'a [ArrayD<i64>]),
    /// The batch's hiding commitment and its inputs.
    Committed(&'a mut ZkCommittedInput<F>),
}

impl<'a, F: ark_ff::Field> BatchInput<'a, F> {
    /// The inputs (a committed batch's split from its stacked array) and the batch's
    /// commitment, when committed.
    pub(crate) fn split(
        self,
    ) -> (
        std::borrow::Cow<'a, [ArrayD<i64>]>,
        Option<&'a mut ZkCommittedInput<F>>,
    ) {
        match self {
            BatchInput::Public(xs) => (std::borrow::Cow::Borrowed(xs), None),
            BatchInput::Committed(c) => {
                let xs = c
                    .input()
                    .outer_iter()
                    .map(|x| x.to_owned().into_dyn())
                    .collect();
                (std::borrow::Cow::Owned(xs), Some(c))
            }
        }
    }
}

/// Commits to a batch of inputs of `model`'s architecture with one hiding commitment, for
/// zero-knowledge batch proofs with hidden inputs ([`prove_batch_zk_committed`]): the padded
/// batch's input tensor (`2^⌈log2 N⌉` slots, slot `j ≥ N` a copy of input 0, as the batch
/// proofs lay it out). `model` may be the architecture alone: no weight is read. Each input is
/// checked against the model's input shape and activation range; the proofs range-check them
/// again. Randomness from `rng`.
pub fn commit_batch_zk<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    model: &Model,
    inputs: &[ArrayD<i64>],
    rng: &mut R,
) -> Result<ZkCommittedInput<F>, NetworkError> {
    commit_batch_checked::<F, E, R>(model, inputs, true, rng)
}

/// [`commit_batch_zk`], the inputs' range checked or (a cheating prover's test) not; their
/// shapes always.
pub(crate) fn commit_batch_checked<
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
>(
    model: &Model,
    inputs: &[ArrayD<i64>],
    check: bool,
    rng: &mut R,
) -> Result<ZkCommittedInput<F>, NetworkError> {
    let n = inputs.len();
    if n == 0 || n > MAX_BATCH {
        return Err(NetworkError::BatchSize(n));
    }
    model.validate_architecture().map_err(NetworkError::Model)?;
    for (i, x) in inputs.iter().enumerate() {
        if x.shape() != model.input_shape.as_slice() {
            return Err(NetworkError::Inference(format!(
                "input {i}: shape {:?}, the model takes {:?}",
                x.shape(),
                model.input_shape
            )));
        }
        if check {
            crate::model::infer::check_input(model, x)
                .map_err(|e| NetworkError::Inference(format!("input {i}: {e}")))?;
        }
    }
    let b = batch_vars(n);
    let zp = ZkPlan::batched_hidden::<F, E>(model, super::zk::COLUMN_VARS, b)?;
    let (flat, stacked) = padded_batch(inputs)?;
    super::zk::commit_input_table::<F, E, R>(model, &zp, &flat, stacked, rng)
}

/// A committed batch's values: the padded batch's slots in order (slot `j ≥ N` a copy of input
/// 0), as committed, and the inputs stacked (`[N, ...input shape]`), as the prover keeps them.
pub(super) fn padded_batch(
    inputs: &[ArrayD<i64>],
) -> Result<(Vec<i64>, ArrayD<i64>), NetworkError> {
    let n = inputs.len();
    let flat: Vec<i64> = (0..1usize << batch_vars(n))
        .flat_map(|j| {
            inputs
                .get(super::batch::slot(j, n))
                .into_iter()
                .flat_map(|x| x.iter().copied())
        })
        .collect();
    let views: Vec<_> = inputs.iter().map(|x| x.view()).collect();
    let stacked = ndarray::stack(ndarray::Axis(0), &views)
        .map_err(|e| NetworkError::Inference(format!("the batch's inputs: {e}")))?;
    Ok((flat, stacked))
}

/// The batch prover; with `cheat = Some((k, c))`, slot `k`'s witness takes `c`'s edits (input
/// `k`'s for `k < N`, else only padded slot `k`'s copy of input 0), as [`super::batch`]'s.
pub(crate) fn prove_batch_zk_inner<
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    input: BatchInput<'_, F>,
    rng: &mut R,
    mut cheat: Option<(usize, &mut dyn Cheat<F, E>)>,
) -> Result<ZkProven<F, E>, NetworkError> {
    let (inputs, batch) = input.split();
    let inputs = &inputs[..];
    let n = inputs.len();
    if n == 0 || n > MAX_BATCH {
        return Err(NetworkError::BatchSize(n));
    }
    if committed.architecture != model.architecture_json() {
        return Err(NetworkError::CommitmentMismatch);
    }
    let b = batch_vars(n);
    let cv = super::zk::column_vars_of(&committed.commitment);
    let hidden = batch.is_some();
    let zp = if hidden {
        ZkPlan::batched_hidden::<F, E>(model, cv, b)?
    } else {
        ZkPlan::batched::<F, E>(model, cv, b)?
    };
    if let Some(c) = &batch {
        if !c.matches(model, &zp) {
            return Err(NetworkError::InputCommitmentMismatch);
        }
    }
    let single = ZkPlan::new::<F, E>(model, cv, hidden)?;
    let (w, outputs) = batch_witness(
        model,
        &single.plan,
        &zp.plan,
        inputs,
        cheat.as_mut().map(|(k, c)| (*k, &mut **c)),
    )?;
    let flat =
        |xs: &[ArrayD<i64>]| -> Vec<i64> { xs.iter().flat_map(|x| x.iter().copied()).collect() };
    let mut t = Transcript::new(b"zkcnn");
    let statement_input = flat(inputs);
    absorb_batch::<F>(
        &mut t,
        model,
        &committed.commitment,
        n,
        match &batch {
            Some(c) => ZkInput::Committed(&c.commitment),
            None => ZkInput::Public(&statement_input),
        },
        &flat(&outputs),
    );
    let proof = prove_zk_core(
        &zp,
        committed,
        w,
        batch,
        None,
        &mut t,
        rng,
        cheat.map(|(_, c)| c),
        &mut |_| {},
        None,
    )?;
    Ok((
        outputs,
        ZkBatchProof {
            count: n as u64,
            proof,
        },
    ))
}

/// Verifies a zero-knowledge batch proof that the model committed as `checked` (checked
/// against `model`'s architecture) maps each input of `inputs` to the output of `outputs` at
/// the same position. Only the architecture is read.
pub fn verify_batch_zk<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedZkCommitment,
    inputs: &[&[i64]],
    outputs: &[&[i64]],
    proof: &ZkBatchProof<F, E>,
) -> Result<(), VerifyError> {
    let architecture = model.architecture();
    let commitment = checked_for(&architecture, checked)?;
    verify_opened(&architecture, commitment, inputs, outputs, proof).map(|_| ())
}

/// Verifies a zero-knowledge batch proof that the model committed as `checked` (checked
/// against `model`'s architecture) maps each of the `outputs.len()` inputs committed as `batch`
/// ([`commit_batch_zk`]) to the output of `outputs` at the same position. Only the
/// architecture is read; neither the weights nor the inputs.
pub fn verify_batch_zk_committed<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedZkCommitment,
    batch: &crate::pcs::zk::ZkCommitment,
    outputs: &[&[i64]],
    proof: &ZkBatchProof<F, E>,
) -> Result<(), VerifyError> {
    let architecture = model.architecture();
    let commitment = checked_for(&architecture, checked)?;
    verify_statement(
        &architecture,
        commitment,
        ZkBatchInput::Committed {
            commitment: batch,
            count: outputs.len(),
        },
        outputs,
        proof,
    )
    .map(|_| ())
}

/// A zero-knowledge batch's inputs, as the verifier has them.
#[derive(Clone, Copy)]
enum ZkBatchInput<'a> {
    /// The inputs' values.
    Public(&'a [&'a [i64]]),
    /// The batch's hiding commitment and its count.
    Committed {
        commitment: &'a crate::pcs::zk::ZkCommitment,
        count: usize,
    },
}

/// The verifier against `commitment` (its check done, or a test's).
fn verify_opened<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    commitment: &crate::pcs::zk::ZkCommitment,
    inputs: &[&[i64]],
    outputs: &[&[i64]],
    proof: &ZkBatchProof<F, E>,
) -> Result<super::zk::Opened<E>, VerifyError> {
    verify_statement(
        model,
        commitment,
        ZkBatchInput::Public(inputs),
        outputs,
        proof,
    )
}

/// The verifier of a batch's statement, its inputs public or committed.
fn verify_statement<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    commitment: &crate::pcs::zk::ZkCommitment,
    inputs: ZkBatchInput<'_>,
    outputs: &[&[i64]],
    proof: &ZkBatchProof<F, E>,
) -> Result<super::zk::Opened<E>, VerifyError> {
    let n = match inputs {
        ZkBatchInput::Public(xs) => xs.len(),
        ZkBatchInput::Committed { count, .. } => count,
    };
    if n == 0 || n > MAX_BATCH || outputs.len() != n || proof.count != n as u64 {
        return Err(VerifyError::BatchCount {
            inputs: n,
            outputs: outputs.len(),
            proof: proof.count,
        });
    }
    let b = batch_vars(n);
    let cv = super::zk::column_vars_of(commitment);
    let flat = |xs: &[&[i64]]| -> Vec<i64> { xs.iter().flat_map(|x| x.iter().copied()).collect() };
    let mut t = Transcript::new(b"zkcnn");
    match inputs {
        ZkBatchInput::Public(xs) => {
            let zp = ZkPlan::batched::<F, E>(model, cv, b).map_err(VerifyError::Model)?;
            let plan = &zp.plan;
            let (xp, ys) = padded_statement(plan, b, xs, outputs)?;
            let (input_f, output_f) = super::verifier::public_io::<F>(model, plan, Some(&xp), &ys)?;
            absorb_batch::<F>(
                &mut t,
                model,
                commitment,
                n,
                ZkInput::Public(&flat(xs)),
                &flat(outputs),
            );
            verify_zk_core(
                &zp,
                commitment,
                None,
                None,
                &input_f,
                &output_f,
                &proof.proof,
                &mut t,
                None,
            )
        }
        ZkBatchInput::Committed { commitment: c, .. } => {
            let zp = ZkPlan::batched_hidden::<F, E>(model, cv, b).map_err(VerifyError::Model)?;
            if !zp.input_shape_matches(c) {
                return Err(VerifyError::InputCommitmentShape);
            }
            let plan = &zp.plan;
            let ys = super::batch::padded_outputs(plan, b, outputs)?;
            let (_, output_f) = super::verifier::public_io::<F>(model, plan, None, &ys)?;
            absorb_batch::<F>(
                &mut t,
                model,
                commitment,
                n,
                ZkInput::Committed(c),
                &flat(outputs),
            );
            verify_zk_core(
                &zp,
                commitment,
                Some(c),
                None,
                &[],
                &output_f,
                &proof.proof,
                &mut t,
                None,
            )
        }
    }
}

/// Verifies a zero-knowledge batch proof against `commitment` and returns what its opening
/// revealed of the model commitment's codeword (tests: the extraction attack).
#[doc(hidden)]
pub fn revealed_model_leaves_batch_zk<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    commitment: &crate::pcs::zk::ZkCommitment,
    inputs: &[&[i64]],
    outputs: &[&[i64]],
    proof: &ZkBatchProof<F, E>,
) -> Result<super::RevealedModelLeaves<F>, VerifyError> {
    let opened = verify_opened(&model.architecture(), commitment, inputs, outputs, proof)?;
    Ok(super::zk::revealed_part(
        &opened.leaves,
        opened.model_part,
        &proof.proof,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::model::zoo;
    use crate::network::zk::commit_model_zk;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn round_trip<F: BaseField + FftField, E: ExtField<F>>(model: &Model, n: usize, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut committed = commit_model_zk::<F, E, _>(model, &mut rng).unwrap();
        let inputs: Vec<ArrayD<i64>> = (0..n)
            .map(|i| zoo::random_input(&model.input_shape, model.activation_bits, seed + i as u64))
            .collect();
        let (outputs, proof) =
            prove_batch_zk::<F, E, _>(model, &mut committed, &inputs, &mut rng).unwrap();
        // The outputs are plain inference's.
        for (x, y) in inputs.iter().zip(&outputs) {
            let trace = crate::model::infer(model, x).unwrap();
            assert_eq!(Some(y), trace.outputs.last(), "{n}");
        }
        let checked = CheckedZkCommitment::assume_checked(model, &committed.commitment);
        let xs: Vec<Vec<i64>> = inputs.iter().map(|x| x.iter().copied().collect()).collect();
        let mut ys: Vec<Vec<i64>> = outputs
            .iter()
            .map(|y| y.iter().copied().collect())
            .collect();
        let refs = |v: &[Vec<i64>]| -> Vec<Vec<i64>> { v.to_vec() };
        let check = |xs: &[Vec<i64>], ys: &[Vec<i64>], p: &ZkBatchProof<F, E>| {
            let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
            let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
            verify_batch_zk(model, &checked, &xr, &yr, p)
        };
        assert_eq!(check(&xs, &ys, &proof), Ok(()), "batch of {n}");
        // A false output, in the last slot.
        let mut bad = refs(&ys);
        bad[n - 1][0] += 1;
        assert!(check(&xs, &bad, &proof).is_err(), "{n}: a false output");
        // Another count.
        let mut p = proof.clone();
        p.count += 1;
        assert!(matches!(
            check(&xs, &ys, &p),
            Err(VerifyError::BatchCount { .. })
        ));
        if n > 1 {
            // Two outputs swapped.
            ys.swap(0, n - 1);
            if ys[0] != ys[n - 1] {
                assert!(check(&xs, &ys, &proof).is_err(), "{n}: swapped outputs");
            }
        }
    }

    /// A batch whose advice outgrows the model's table (committed in columns of `2^14`): the
    /// advice is split into columns the model's table can join, and the proof round trips.
    #[test]
    fn a_batch_advice_larger_than_the_model_table_is_split_and_proves() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let model = zoo::mlp(5);
        let mut rng = StdRng::seed_from_u64(6);
        let mut committed =
            crate::network::zk::commit_model_zk_with_columns::<F, E, _>(&model, 14, &mut rng)
                .unwrap();
        let n = 200;
        let zp = ZkPlan::batched::<F, E>(&model, 14, batch_vars(n)).unwrap();
        let (tm, ta) = zp.table_vars();
        assert_eq!(tm, 14, "the model's table in columns of 2^14");
        assert!(
            zp.plan.advice_packing.num_vars() > ta,
            "the advice ({} variables) is split into columns of {ta}",
            zp.plan.advice_packing.num_vars()
        );
        let inputs: Vec<ArrayD<i64>> = (0..n)
            .map(|i| zoo::random_input(&model.input_shape, model.activation_bits, i as u64))
            .collect();
        let (outputs, proof) =
            prove_batch_zk::<F, E, _>(&model, &mut committed, &inputs, &mut rng).unwrap();
        assert_eq!(
            proof.proof.advice.inner.num_polys as usize,
            zp.advice_columns()
        );
        let checked = CheckedZkCommitment::assume_checked(&model, &committed.commitment);
        let xs: Vec<Vec<i64>> = inputs.iter().map(|x| x.iter().copied().collect()).collect();
        let mut ys: Vec<Vec<i64>> = outputs
            .iter()
            .map(|y| y.iter().copied().collect())
            .collect();
        let xr: Vec<&[i64]> = xs.iter().map(Vec::as_slice).collect();
        let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
        assert_eq!(verify_batch_zk(&model, &checked, &xr, &yr, &proof), Ok(()));
        ys[117][3] += 1;
        let yr: Vec<&[i64]> = ys.iter().map(Vec::as_slice).collect();
        assert!(verify_batch_zk(&model, &checked, &xr, &yr, &proof).is_err());
    }

    #[test]
    fn mlp_batches_round_trip_on_both_fields() {
        for n in [1, 2, 3, 4, 5] {
            round_trip::<Goldilocks, GoldilocksExt2>(&zoo::mlp(1), n, 10 + n as u64);
        }
        round_trip::<Bn254Fr, Bn254Fr>(&zoo::mlp(2), 3, 40);
    }
}
