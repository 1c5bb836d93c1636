//! Cheating provers for the soundness tests, only with the `cheat` feature (which the test
//! suite enables through a dev-dependency on this crate; a release build has none of this).
//!
//! A cheating prover edits the witness — a layer's output, a requantization's `y`, `n` or
//! remainder limbs, a max-pool's maxima, the range multiplicities, a committed weight — and
//! then computes everything else honestly: later layers from the edited values, the advice
//! commitment, every sum-check and the openings. Its proof of the resulting statement must be
//! rejected; which check catches it is what the tests assert.

use super::commitment::{commit_packed, model_tables, CommittedModel, ModelCommitment};
use super::plan::{ConvPolicy, Plan};
use super::prover::{prove_inner, Cheat};
use super::zk::{ZkPlan, ZkProverInput};
use super::{NetworkError, Proof, ZkCommittedModel, ZkNetworkProof};
use crate::field::{BaseField, ExtField};
use crate::model::Model;
use crate::pcs::split::into_columns;
use ark_ff::FftField;
use ndarray::ArrayD;
use rand::{CryptoRng, RngCore};

pub use super::prover::WitnessMut;

struct Edits<A, M> {
    after_layer: A,
    multiplicities: M,
}

impl<F, E, A: FnMut(usize, WitnessMut<'_, F>), M: FnMut(&mut [F])> Cheat<F, E> for Edits<A, M> {
    fn after_layer(&mut self, layer: usize, witness: WitnessMut<'_, F>) {
        (self.after_layer)(layer, witness)
    }

    fn multiplicities(&mut self, m: &mut [F]) {
        (self.multiplicities)(m)
    }
}

/// [`Edits`] with the activations' lookup multiplicities edited too.
struct LookupEdits<A, M, L> {
    edits: Edits<A, M>,
    lookup: L,
}

impl<F, E, A, M, L> Cheat<F, E> for LookupEdits<A, M, L>
where
    A: FnMut(usize, WitnessMut<'_, F>),
    M: FnMut(&mut [F]),
    L: FnMut(&mut [F]),
{
    fn after_layer(&mut self, layer: usize, witness: WitnessMut<'_, F>) {
        (self.edits.after_layer)(layer, witness)
    }

    fn multiplicities(&mut self, m: &mut [F]) {
        (self.edits.multiplicities)(m)
    }

    fn lookup_multiplicities(&mut self, m: &mut [F]) {
        (self.lookup)(m)
    }
}

/// A column-value edit: table ("model" or "advice"), claim, the columns with their
/// `eq(z_hi, j)`, and the values to edit.
struct ColumnEdit<C>(C);

impl<F, E, C: FnMut(&'static str, usize, &[(usize, E)], &mut [E])> Cheat<F, E> for ColumnEdit<C> {
    fn after_layer(&mut self, _: usize, _: WitnessMut<'_, F>) {}

    fn multiplicities(&mut self, _: &mut [F]) {}

    fn column_values(
        &mut self,
        table: &'static str,
        claim: usize,
        live: &[(usize, E)],
        values: &mut [E],
    ) {
        (self.0)(table, claim, live, values)
    }
}

/// Proves `model` on `input` with `after_layer(l, witness)` called once each layer's witness is
/// computed and `multiplicities` on the range multiplicities, everything else honest. Returns
/// the output the edited witness leads to, and the proof.
pub fn prove_edited<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    input: &ArrayD<i64>,
    policy: ConvPolicy,
    after_layer: impl FnMut(usize, WitnessMut<'_, F>),
    multiplicities: impl FnMut(&mut [F]),
) -> Result<(ArrayD<i64>, Proof<F, E>), NetworkError> {
    prove_edited_lookup(
        model,
        committed,
        input,
        policy,
        after_layer,
        multiplicities,
        |_| {},
    )
}

/// The batch prover's [`prove_edited`]: proves `model` on the batch `inputs` with
/// `after_layer(l, witness)` called on slot `edited`'s witness (input `edited`'s; for
/// `edited ≥ inputs.len()`, only padded slot `edited`'s copy of input 0; a single input's plan:
/// `Plan::batched(model, column_vars, 0)`) once each layer's is computed, and `multiplicities`
/// on the batch's range multiplicities; everything else honest. Returns the outputs the edited
/// witness leads to, and the proof.
pub fn prove_batch_edited<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    inputs: &[ArrayD<i64>],
    edited: usize,
    after_layer: impl FnMut(usize, WitnessMut<'_, F>),
    multiplicities: impl FnMut(&mut [F]),
) -> Result<super::batch::Proven<F, E>, NetworkError> {
    let mut edits = Edits {
        after_layer,
        multiplicities,
    };
    super::batch::prove_batch_inner(
        model,
        committed,
        inputs,
        &mut Vec::new(),
        Some((edited, &mut edits)),
    )
}

/// The zero-knowledge batch prover's [`prove_batch_edited`]: proves `model` on the batch
/// `inputs` against the hiding commitment with `after_layer(l, witness)` called on slot
/// `edited`'s witness (input `edited`'s; for `edited ≥ inputs.len()`, only padded slot
/// `edited`'s copy of input 0; the witness's indices are the single zero-knowledge plan's,
/// [`zk_plan`]) and `multiplicities` on the batch's range multiplicities; everything else
/// honest. Returns the outputs the edited witness leads to, and the proof.
pub fn prove_batch_zk_edited<F, E, R>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    inputs: &[ArrayD<i64>],
    edited: usize,
    after_layer: impl FnMut(usize, WitnessMut<'_, F>),
    multiplicities: impl FnMut(&mut [F]),
    rng: &mut R,
) -> Result<super::zk_batch::ZkProven<F, E>, NetworkError>
where
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
{
    let mut edits = Edits {
        after_layer,
        multiplicities,
    };
    super::zk_batch::prove_batch_zk_inner(
        model,
        committed,
        super::zk_batch::BatchInput::Public(inputs),
        rng,
        Some((edited, &mut edits)),
    )
}

/// [`prove_batch_zk_edited`] on a batch whose inputs are committed
/// ([`super::commit_batch_zk`]).
pub fn prove_batch_zk_committed_edited<F, E, R>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    batch: &mut super::ZkCommittedInput<F>,
    edited: usize,
    after_layer: impl FnMut(usize, WitnessMut<'_, F>),
    multiplicities: impl FnMut(&mut [F]),
    rng: &mut R,
) -> Result<super::zk_batch::ZkProven<F, E>, NetworkError>
where
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
{
    let mut edits = Edits {
        after_layer,
        multiplicities,
    };
    super::zk_batch::prove_batch_zk_inner(
        model,
        committed,
        super::zk_batch::BatchInput::Committed(batch),
        rng,
        Some((edited, &mut edits)),
    )
}

/// A batch committed as [`super::commit_batch_zk`] does, its inputs' range not checked (a
/// cheating data owner: the proofs' range check must catch an input out of range).
pub fn commit_batch_zk_unchecked<F, E, R>(
    model: &Model,
    inputs: &[ArrayD<i64>],
    rng: &mut R,
) -> Result<super::ZkCommittedInput<F>, NetworkError>
where
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
{
    super::zk_batch::commit_batch_checked::<F, E, R>(model, inputs, false, rng)
}

/// [`prove_edited`] with `lookup` called on the activations' lookup multiplicities (computed
/// from the edited witness, counting only the entries in the table) before they are committed.
pub fn prove_edited_lookup<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    input: &ArrayD<i64>,
    policy: ConvPolicy,
    after_layer: impl FnMut(usize, WitnessMut<'_, F>),
    multiplicities: impl FnMut(&mut [F]),
    lookup: impl FnMut(&mut [F]),
) -> Result<(ArrayD<i64>, Proof<F, E>), NetworkError> {
    let mut edits = LookupEdits {
        edits: Edits {
            after_layer,
            multiplicities,
        },
        lookup,
    };
    prove_inner(
        model,
        committed,
        input,
        policy,
        &mut Vec::new(),
        Some(&mut edits),
    )
}

/// The zero-knowledge prover's [`prove_edited`]: proves `model` on `input` (public or committed)
/// against the hiding commitment with `after_layer(l, witness)` called once each layer's witness is
/// computed and `multiplicities` on the range multiplicities; the masks, the range check and the
/// opening are the honest prover's on the edited tables. The witness's indices are those of
/// [`zk_plan`]'s plan.
pub fn prove_zk_edited<F, E, R>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    input: ZkProverInput<'_, F>,
    after_layer: impl FnMut(usize, WitnessMut<'_, F>),
    multiplicities: impl FnMut(&mut [F]),
    rng: &mut R,
) -> Result<(ArrayD<i64>, ZkNetworkProof<F, E>), NetworkError>
where
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
{
    prove_zk_edited_lookup(
        model,
        committed,
        input,
        after_layer,
        multiplicities,
        |_| {},
        rng,
    )
}

/// [`prove_zk_edited`] with `lookup` called on the activations' lookup multiplicities
/// (computed from the edited witness, counting only the entries in the table) before they are
/// committed: the zero-knowledge [`prove_edited_lookup`]. The hiding lookup is the honest
/// prover's on the edited columns and multiplicities.
#[allow(clippy::too_many_arguments)]
pub fn prove_zk_edited_lookup<F, E, R>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    input: ZkProverInput<'_, F>,
    after_layer: impl FnMut(usize, WitnessMut<'_, F>),
    multiplicities: impl FnMut(&mut [F]),
    lookup: impl FnMut(&mut [F]),
    rng: &mut R,
) -> Result<(ArrayD<i64>, ZkNetworkProof<F, E>), NetworkError>
where
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
{
    let mut edits = LookupEdits {
        edits: Edits {
            after_layer,
            multiplicities,
        },
        lookup,
    };
    super::zk::prove_zk_inner(
        model,
        committed,
        input,
        rng,
        Some(&mut edits),
        &mut Vec::new(),
    )
}

/// The network plan the zero-knowledge prover uses for `model` with a public or (`hidden`)
/// committed input (every tensor committed, a flatten's output as a copy): the indices of
/// [`prove_zk_edited`]'s witness.
pub fn zk_plan<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    hidden: bool,
) -> Result<Plan, NetworkError> {
    Ok(ZkPlan::new::<F, E>(model, super::COLUMN_VARS, hidden)?.plan)
}

/// Proves `model` on `input` honestly, except that `edit(table, claim, live, values)` may change
/// the column values sent for a claim that spans several columns of a table committed as
/// columns ([`super::columns`]; `live` lists those columns with their `eq(z_hi, j)`), before they
/// are sent. The opening is the honest prover's.
pub fn prove_with_column_edit<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    input: &ArrayD<i64>,
    edit: impl FnMut(&'static str, usize, &[(usize, E)], &mut [E]),
) -> Result<(ArrayD<i64>, Proof<F, E>), NetworkError> {
    let mut edits = ColumnEdit(edit);
    prove_inner(
        model,
        committed,
        input,
        ConvPolicy::CostModel,
        &mut Vec::new(),
        Some(&mut edits),
    )
}

/// Commits to `model`'s packed table after `edit(plan, table)` changed it, with the check proven
/// by the honest check prover on the edited table (multiplicities counting only in-range
/// entries). Its check must fail when an edit leaves the architecture's bounds.
pub fn commit_edited<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    edit: impl FnOnce(&Plan, &mut [F]),
) -> Result<CommittedModel<F, E>, NetworkError> {
    commit_edited_with_columns(model, super::COLUMN_VARS, edit)
}

/// [`commit_edited`] with the table committed in columns of at most `2^column_vars` entries
/// ([`super::commit_model_with_columns`]); `edit` sees the whole packed table.
pub fn commit_edited_with_columns<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    column_vars: usize,
    edit: impl FnOnce(&Plan, &mut [F]),
) -> Result<CommittedModel<F, E>, NetworkError> {
    model.validate().map_err(NetworkError::Model)?;
    let plan = Plan::with_columns(model, ConvPolicy::CostModel, column_vars)?;
    let mut packed = plan.model_packing.pack(&model_tables::<F>(model, &plan));
    edit(&plan, &mut packed);
    let columns = into_columns(packed, plan.model_columns().column_vars);
    commit_packed(model, &plan, columns, true, &mut Vec::new())
}

/// The prover's data of `committed` presented with another public commitment, as a prover
/// that changed the weights after committing would: its proofs must fail the model opening.
pub fn with_public<F: BaseField, E: ExtField<F>>(
    mut committed: CommittedModel<F, E>,
    public: ModelCommitment<F, E>,
) -> CommittedModel<F, E> {
    committed.public = public;
    committed
}

pub use super::accuracy::AccuracyWitness;

/// The accuracy prover's [`prove_edited`]: proves the accuracy of `model` on `inputs` and
/// `labels` with `edit` called on the accuracy witness (the prediction `P`, `S`, `M`, the
/// labels the relations use, the claimed count) once it is computed; everything after it —
/// the range columns, their multiplicities, the commitment, every sum-check and opening — is
/// computed honestly from the edited witness, and the statement keeps the given `labels`.
pub fn prove_accuracy_edited<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
    mut edit: impl FnMut(&mut AccuracyWitness),
) -> Result<super::AccuracyProof<F, E>, NetworkError> {
    super::accuracy::prove_accuracy_inner(
        model,
        committed,
        inputs,
        labels,
        &mut Vec::new(),
        Some(&mut edit),
    )
}

/// The zero-knowledge accuracy prover's [`prove_accuracy_edited`]: `edit` is called on the
/// accuracy witness once it is computed; everything after it (the range columns, their
/// multiplicities, the advice commitment, the masked sum-checks, the opening) is computed
/// honestly from the edited witness, and the statement keeps the given `labels`.
pub fn prove_accuracy_zk_edited<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    model: &Model,
    committed: &mut super::zk::ZkCommittedModel<F>,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
    rng: &mut R,
    mut edit: impl FnMut(&mut AccuracyWitness),
) -> Result<super::ZkAccuracyProof<F, E>, NetworkError> {
    super::zk_accuracy::prove_accuracy_zk_inner(
        model,
        committed,
        super::zk_batch::BatchInput::Public(inputs),
        super::zk_accuracy::ProverLabels::Public(labels),
        rng,
        Some(&mut edit),
    )
}

/// [`super::prove_accuracy_zk_dataset`] with the prover's copy of the labels' one-hot table
/// edited by `table` (the commitment kept: the prover's relations read another table than the
/// committed one) and the accuracy witness by `edit` (as [`prove_accuracy_zk_edited`]: a
/// prediction or the count changed, the rest recomputed honestly). The dataset's copy stays
/// edited.
pub fn prove_accuracy_zk_dataset_edited<
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
>(
    model: &Model,
    committed: &mut super::ZkCommittedModel<F>,
    dataset: &mut super::ZkCommittedDataset<F>,
    rng: &mut R,
    table: impl FnOnce(&mut [i64]),
    mut edit: impl FnMut(&mut AccuracyWitness),
) -> Result<super::ZkAccuracyProof<F, E>, NetworkError> {
    if let Some(t) = dataset.labels.input_mut().as_slice_mut() {
        table(t);
    }
    super::zk_accuracy::prove_dataset_inner(model, committed, dataset, rng, Some(&mut edit))
}

/// [`super::commit_dataset_zk`] with the labels' one-hot table edited before it is committed
/// (a cheating data owner: a table that is not the one-hot of any labels), the listed labels
/// kept as the prover's.
pub fn commit_dataset_zk_edited<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    model: &Model,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
    edit: impl FnOnce(&mut [i64]),
    rng: &mut R,
) -> Result<super::ZkCommittedDataset<F>, NetworkError> {
    super::zk_accuracy::commit_dataset_checked::<F, E, R>(model, inputs, labels, edit, rng)
}
