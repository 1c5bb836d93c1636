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
    absorb_statement_as, checked_for, prove_zk_core, verify_zk_core, ZkCommittedModel, ZkInput,
    ZkNetworkProof, ZkPlan,
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
    inputs: &[i64],
    outputs: &[i64],
) {
    absorb_statement_as::<F>(
        t,
        b"zkcnn-network-zk-batch",
        &[1, count as u64, inputs.len() as u64, outputs.len() as u64],
        model,
        commitment,
        ZkInput::Public(inputs),
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
    prove_batch_zk_inner(model, committed, inputs, rng, None)
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
    inputs: &[ArrayD<i64>],
    rng: &mut R,
    mut cheat: Option<(usize, &mut dyn Cheat<F, E>)>,
) -> Result<ZkProven<F, E>, NetworkError> {
    let n = inputs.len();
    if n == 0 || n > MAX_BATCH {
        return Err(NetworkError::BatchSize(n));
    }
    if committed.architecture != model.architecture_json() {
        return Err(NetworkError::CommitmentMismatch);
    }
    let b = batch_vars(n);
    let cv = super::zk::column_vars_of(&committed.commitment);
    let zp = ZkPlan::batched::<F, E>(model, cv, b)?;
    let single = ZkPlan::new::<F, E>(model, cv, false)?;
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
    absorb_batch::<F>(
        &mut t,
        model,
        &committed.commitment,
        n,
        &flat(inputs),
        &flat(&outputs),
    );
    let proof = prove_zk_core(
        &zp,
        committed,
        w,
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

/// The verifier against `commitment` (its check done, or a test's).
fn verify_opened<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    commitment: &crate::pcs::zk::ZkCommitment,
    inputs: &[&[i64]],
    outputs: &[&[i64]],
    proof: &ZkBatchProof<F, E>,
) -> Result<super::zk::Opened<E>, VerifyError> {
    let n = inputs.len();
    if n == 0 || n > MAX_BATCH || outputs.len() != n || proof.count != n as u64 {
        return Err(VerifyError::BatchCount {
            inputs: n,
            outputs: outputs.len(),
            proof: proof.count,
        });
    }
    let b = batch_vars(n);
    let cv = super::zk::column_vars_of(commitment);
    let zp = ZkPlan::batched::<F, E>(model, cv, b).map_err(VerifyError::Model)?;
    let plan = &zp.plan;
    let (xs, ys) = padded_statement(plan, b, inputs, outputs)?;
    let (input_f, output_f) = super::verifier::public_io::<F>(model, plan, Some(&xs), &ys)?;
    let flat = |xs: &[&[i64]]| -> Vec<i64> { xs.iter().flat_map(|x| x.iter().copied()).collect() };
    let mut t = Transcript::new(b"zkcnn");
    absorb_batch::<F>(&mut t, model, commitment, n, &flat(inputs), &flat(outputs));
    verify_zk_core(
        &zp,
        commitment,
        None,
        &input_f,
        &output_f,
        &proof.proof,
        &mut t,
        None,
    )
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
