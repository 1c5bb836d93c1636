//! Zero-knowledge accuracy proofs (`spec/accuracy.md`, "Zero knowledge"): one proof that the
//! model committed with a hiding commitment has its first maximal logit at the public label on
//! exactly `k` of `N` public inputs, hiding the weights, every intermediate value and the
//! logits.
//!
//! The zero-knowledge batch proof ([`super::zk_batch`]) with the accuracy relations of
//! [`super::accuracy`] in place of the output claim: `P`, `S`, `M` are hidden advice (after the
//! views, before the fresh masks), their two range columns join the range check, and the
//! relations' two sum-checks become **one masked sum-check** whose left-hand side is public:
//!
//! ```text
//!   Σ_x [ P·T − λ·eq(r, ·)·S + μ·eq(r_i, ·)·P·Y − μ·eq(r, ·)·M ](x) = 1 + λ²·k − μ·H
//! ```
//!
//! (`T` the count's public table, `accuracy::count_table`): sum-check A's
//! `Σ P·T = 1 + λ·S̃(r) + λ²·k` and B's `Σ eq(r_i, ·)·P·Y = M̃(r) − H` with the hidden values
//! `S̃(r)`, `M̃(r)` moved inside the sum (`Σ_x eq(r, x)·S(x) = S̃(r)`), so nothing but masked
//! values is sent.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::accuracy::{
    check_labels, count_table, count_table_eval, slot_eq_table, weight_eval, AccuracyPlan,
    AccuracyWitness, Relations,
};
use super::batch::{batch_vars, batch_witness, MAX_BATCH};
use super::prover::Cheat;
use super::zk::{
    absorb_statement_as, checked_for, prove_zk_core, verify_zk_core, Masks, StepMasks, Table,
    ZkCommittedInput, ZkCommittedModel, ZkInput, ZkNetworkProof, ZkPlan,
};
use super::zk_batch::BatchInput;
use super::zk_check::CheckedZkCommitment;
use super::{NetworkError, VerifyError};
use crate::field::{from_i64, lift, BaseField, ExtField};
use crate::layers::zero_check::zk_mask_len;
use crate::model::Model;
use crate::pcs::zk::ZkCommitment;
use crate::poly::{eq_eval, eq_table, Mle};
use crate::sumcheck::zk::{prove_masked_with, verify_masked, Mask, MaskedProof};
use crate::sumcheck::{Instance, Term};
use crate::transcript::TranscriptExt;
use crate::zk::{Ledger, Placed, TableMasks};
use ark_ff::{FftField, Field, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use ndarray::ArrayD;
use rand::{CryptoRng, RngCore};

/// A zero-knowledge proof that the committed model classifies exactly `correct` of `count`
/// public inputs as their public labels.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkAccuracyProof<F: Field, E: Field> {
    /// The inputs' count `N`.
    pub count: u64,
    /// The count `k` of inputs whose first maximal logit is at their label.
    pub correct: u64,
    /// The zero-knowledge batch proof with the accuracy relations in place of the output
    /// claim.
    pub proof: ZkNetworkProof<F, E>,
}

/// Label of the accuracy relations' point `r = (r_j, r_i)`.
const POINT: &[u8] = b"accuracy-point";
/// Label of `λ`, combining relations (1), (4) and (2).
const COMBINATION: &[u8] = b"accuracy-combination";
/// Label of `μ`, adding relation (3) (the maximum).
const MAXIMUM: &[u8] = b"accuracy-maximum";
/// Label of `ν`, adding the committed labels' relations (hidden labels only).
const LABELS: &[u8] = b"accuracy-labels";
/// The masked sum-check's degree (`μ·eq·P·Y`, and `ν²·eq·L·L` with hidden labels: two
/// private factors and a public one).
const DEGREE: usize = 3;

/// The relations' terms over the instance's tables, the private ones first (the claims'
/// numbering): `[P, S, M, Y, T, eq(r, ·), eq(r_i, ·)]`, or with hidden labels (`ν` given)
/// `[P, S, M, Y, L, T, eq(r, ·), eq(r_i, ·), W]` with `T` the count's table without its
/// labels' part, which becomes `λ²·P·L`, and the labels' well-formedness `ν·W·L` (`W(k, i) =
/// eq(r_i, i)·w_k`: `Σ_k w_k·L(k, i) = [i < N]`) and `ν²·eq(r, ·)·L·(L − 1)` (`L` Boolean).
fn terms<E: Field>(lambda: E, mu: E, nu: Option<E>) -> Vec<Term<E>> {
    let private = if nu.is_some() { 5 } else { 4 };
    let (t, eq, slot) = (private, private + 1, private + 2);
    let term = |coeff: E, factors: Vec<usize>| Term { coeff, factors };
    let mut terms = vec![
        term(E::ONE, vec![0, t]),
        term(-lambda, vec![1, eq]),
        term(mu, vec![0, 3, slot]),
        term(-mu, vec![2, eq]),
    ];
    if let Some(nu) = nu {
        let w = private + 3;
        terms.extend([
            term(lambda * lambda, vec![0, 4]),
            term(nu, vec![4, w]),
            term(nu * nu, vec![4, 4, eq]),
            term(-nu * nu, vec![4, eq]),
        ]);
    }
    terms
}

/// Which of [`terms`]' tables are private.
fn private(hidden_labels: bool) -> Vec<bool> {
    let private = if hidden_labels { 5 } else { 4 };
    let public = if hidden_labels { 4 } else { 3 };
    [vec![true; private], vec![false; public]].concat()
}

/// The relations' left-hand side `1 + λ²·k − μ·H`, plus `ν·Σ_{i < N} eq(r_i, i)` with hidden
/// labels (`N` inputs).
fn lhs<F: BaseField, E: ExtField<F>>(
    rel: &Relations<'_>,
    r: &[E],
    (lambda, mu, nu): (E, E, Option<E>),
) -> E {
    let ap = rel.plan;
    let base = E::ONE + lambda * lambda * lift::<E>(F::from(rel.correct))
        - mu * lift::<E>(from_i64::<F>(ap.shift));
    match nu {
        Some(nu) => {
            let r_i = r.get(ap.class_vars..).unwrap_or(&[]);
            let eq_i = eq_table(r_i);
            base + nu * eq_i.iter().take(rel.inputs).copied().sum::<E>()
        }
        None => base,
    }
}

/// The placements of the relations' private tables `P, S, M, Y` (and `L` with hidden labels).
fn placed<E: Field>(zp: &ZkPlan, ap: &AccuracyPlan) -> Result<Vec<Placed<E>>, NetworkError> {
    let y = zp.tensor::<E>(ap.last)?.ok_or(NetworkError::Unsupported {
        layer: ap.last.saturating_sub(1),
        what: "an accuracy proof whose logits are the input".into(),
    })?;
    let mut placed = vec![
        zp.table(Table::Advice(ap.p)),
        zp.table(Table::Advice(ap.s)),
        zp.table(Table::Advice(ap.m)),
        y,
    ];
    if zp.hides_labels() {
        placed.push(zp.labels_placed());
    }
    Ok(placed)
}

/// The labels' one-hot table `L(k, i) = [i < N and k = ℓ_i]` over `(k, i)` (`v` class and `b`
/// slot variables, the class index the low bits), as committed ([`commit_dataset_zk`]).
pub(crate) fn labels_table<T: Clone + From<u8>>(ap: &AccuracyPlan, labels: &[usize]) -> Vec<T> {
    let width = 1usize << ap.class_vars;
    let mut table = vec![T::from(0); width << ap.batch_vars];
    for (i, &l) in labels.iter().enumerate() {
        if let Some(x) = table.get_mut(i * width + l).filter(|_| l < width) {
            *x = T::from(1);
        }
    }
    table
}

/// `W(k, i) = eq(r_i, i)·w_k` (`w_k` 1 on real classes, 2 on padded ones) over `(k, i)`.
fn weighted_slot_table<E: Field + crate::field::MulAcc>(ap: &AccuracyPlan, r: &[E]) -> Vec<E> {
    let width = 1usize << ap.class_vars;
    let two = E::ONE + E::ONE;
    slot_eq_table(ap, r)
        .into_iter()
        .enumerate()
        .map(|(x, e)| if x % width < ap.classes { e } else { e * two })
        .collect()
}

/// The prover's accuracy relations in zero knowledge, in place of the output claim: draws
/// `r`, `λ`, `μ`, runs the masked sum-check on the hidden `P, S, M, Y` with the fresh masks at
/// `offset`, defers its claims. Returns its proof.
#[allow(clippy::too_many_arguments)]
pub(super) fn prove_head<F: BaseField, E: ExtField<F>>(
    zp: &ZkPlan,
    ap: &AccuracyPlan,
    rel: &Relations<'_>,
    tensors: &[Vec<F>],
    advice: &[Vec<F>],
    (fresh, offset): (&[E], usize),
    masks: &Masks<'_, F>,
    ledger: &mut Ledger<E>,
    t: &mut Transcript,
) -> Result<MaskedProof<E>, NetworkError> {
    let vars = ap.class_vars + ap.batch_vars;
    let table = |s: usize| -> Result<Vec<F>, NetworkError> {
        advice
            .get(s)
            .filter(|t| t.len() == 1 << vars)
            .cloned()
            .ok_or(NetworkError::Unsupported {
                layer: ap.last.saturating_sub(1),
                what: "an accuracy witness of another shape".into(),
            })
    };
    let y = tensors
        .get(ap.last)
        .filter(|t| t.len() == 1 << vars)
        .cloned()
        .ok_or(NetworkError::Unsupported {
            layer: ap.last.saturating_sub(1),
            what: "logits of another shape".into(),
        })?;
    let mask = Mask::from_entries(vars + 1, fresh)
        .filter(|_| fresh.len() == zk_mask_len(vars))
        .ok_or(NetworkError::Unsupported {
            layer: ap.last.saturating_sub(1),
            what: "an accuracy proof's fresh masks of another size".into(),
        })?;
    let hidden = zp.hides_labels();
    let r: Vec<E> = t.challenge_fields(POINT, vars);
    let lambda: E = t.challenge_field(COMBINATION);
    let mu: E = t.challenge_field(MAXIMUM);
    let nu: Option<E> = hidden.then(|| t.challenge_field(LABELS));
    // Hidden labels: `L` is a private table, and the count's table has no labels' part.
    let public_labels = if hidden { &[][..] } else { rel.labels };
    let mut tables = vec![
        Mle::Base(table(ap.p)?),
        Mle::Base(table(ap.s)?),
        Mle::Base(table(ap.m)?),
        Mle::Base(y),
    ];
    if hidden {
        // The committed table (not one rebuilt from the labels: a data owner's table that is
        // not one-hot is what the relations must refuse).
        let l =
            rel.label_table
                .filter(|l| l.len() == 1 << vars)
                .ok_or(NetworkError::Unsupported {
                    layer: ap.last.saturating_sub(1),
                    what: "committed labels of another shape".into(),
                })?;
        tables.push(Mle::Base(l.iter().map(|&x| from_i64::<F>(x)).collect()));
    }
    tables.extend([
        Mle::Ext(count_table(ap, public_labels, &r, lambda)),
        Mle::Ext(eq_table(&r)),
        Mle::Ext(slot_eq_table(ap, &r)),
    ]);
    if hidden {
        tables.push(Mle::Ext(weighted_slot_table(ap, &r)));
    }
    let instance =
        Instance::new(tables, terms(lambda, mu, nu)).map_err(|_| NetworkError::Unsupported {
            layer: ap.last.saturating_sub(1),
            what: "an accuracy instance of another shape".into(),
        })?;
    let placed = placed::<E>(zp, ap)?;
    let scalars = StepMasks {
        masks,
        tables: &placed,
    };
    let scalar = |i: usize, rho: &[E]| scalars.mask_at(i, rho);
    let claim = lhs::<F, E>(rel, &r, (lambda, mu, nu));
    let out = prove_masked_with(instance, claim, &private(hidden), &scalar, &mask, t);
    let deferred = out.claims(DEGREE);
    ledger
        .defer(deferred, &placed, offset)
        .map_err(NetworkError::Deferred)?;
    Ok(out.proof)
}

/// The verifier's accuracy relations in zero knowledge ([`prove_head`]).
pub(super) fn verify_head<F: BaseField, E: ExtField<F>>(
    zp: &ZkPlan,
    ap: &AccuracyPlan,
    rel: &Relations<'_>,
    offset: usize,
    proof: &MaskedProof<E>,
    ledger: &mut Ledger<E>,
    t: &mut Transcript,
) -> Result<(), VerifyError> {
    let vars = ap.class_vars + ap.batch_vars;
    let hidden = zp.hides_labels();
    let r: Vec<E> = t.challenge_fields(POINT, vars);
    let lambda: E = t.challenge_field(COMBINATION);
    let mu: E = t.challenge_field(MAXIMUM);
    let nu: Option<E> = hidden.then(|| t.challenge_field(LABELS));
    let claim = lhs::<F, E>(rel, &r, (lambda, mu, nu));
    let step = "accuracy relations (zero knowledge)";
    let sumcheck = |source| VerifyError::AccuracySumcheck {
        what: "relations (zero knowledge)",
        source: crate::layers::LayerError::Sumcheck { step, source },
    };
    let private = private(hidden);
    let count = private.iter().filter(|&&p| p).count();
    let masked = verify_masked(vars, DEGREE, claim, count, proof, t).map_err(sumcheck)?;
    let sigma = &masked.point;
    let v = ap.class_vars;
    let public_labels = if hidden { &[][..] } else { rel.labels };
    let slot = eq_eval(r.get(v..).unwrap_or(&[]), sigma.get(v..).unwrap_or(&[]));
    let mut public = vec![
        count_table_eval(ap, public_labels, &r, lambda, sigma),
        eq_eval(&r, sigma),
        slot,
    ];
    if hidden {
        public.push(slot * weight_eval(sigma.get(..v).unwrap_or(&[]), ap.classes));
    }
    let indices: Vec<usize> = (0..count).collect();
    let claims = masked
        .deferred(&terms(lambda, mu, nu), &private, &public, &indices, DEGREE)
        .map_err(sumcheck)?;
    let placed = placed::<E>(zp, ap).map_err(VerifyError::Model)?;
    ledger
        .defer(claims, &placed, offset)
        .map_err(VerifyError::Deferred)
}

/// An accuracy statement's labels, as the verifier has them: public, or committed with the
/// inputs ([`commit_dataset_zk`]): `N` and the labels' hiding commitment.
#[derive(Clone, Copy)]
enum StatementLabels<'a> {
    Public(&'a [usize]),
    Committed(usize, &'a ZkCommitment),
}

impl StatementLabels<'_> {
    /// The inputs' count `N`.
    fn inputs(&self) -> usize {
        match self {
            StatementLabels::Public(l) => l.len(),
            StatementLabels::Committed(n, _) => *n,
        }
    }
}

/// Absorbs a zero-knowledge accuracy statement: the count, the architecture, the hiding model
/// commitment, every input (or their commitment), then the labels (public: their values, then
/// the claimed count `k`; committed: `k`, then their commitment).
fn absorb<F: PrimeField>(
    t: &mut Transcript,
    model: &Model,
    commitment: &ZkCommitment,
    inputs: ZkInput<'_>,
    labels: StatementLabels<'_>,
    correct: u64,
) {
    let (mut out, version): (Vec<i64>, u64) = match labels {
        StatementLabels::Public(l) => (l.iter().map(|&l| l as i64).collect(), 1),
        StatementLabels::Committed(..) => (Vec::new(), 2),
    };
    out.push(correct as i64);
    // A committed batch's inputs count 0 values here (its commitment is absorbed instead).
    let input_len = match inputs {
        ZkInput::Public(x) => x.len() as u64,
        ZkInput::Committed(_) => 0,
    };
    let n = labels.inputs() as u64;
    absorb_statement_as::<F>(
        t,
        b"zkcnn-network-zk-accuracy",
        &[version, n, correct, input_len],
        model,
        commitment,
        inputs,
        &out,
    );
    if let StatementLabels::Committed(_, c) = labels {
        t.append_message(b"labels-commitment", &c.inner.root);
        t.append_u64(b"labels-vars", u64::from(c.inner.num_vars));
        t.append_u64(b"labels-mask-vars", u64::from(c.mask_vars));
    }
}

/// Proves, in zero knowledge, how many of `inputs` the model committed as `committed`
/// classifies as their `labels` (the first maximal logit, `spec/accuracy.md`): the proof's
/// `correct` is that count. The prover's randomness comes from `rng`.
pub fn prove_accuracy_zk<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
    rng: &mut R,
) -> Result<ZkAccuracyProof<F, E>, NetworkError> {
    let input = BatchInput::Public(inputs);
    prove_accuracy_zk_inner(
        model,
        committed,
        input,
        ProverLabels::Public(labels),
        rng,
        None,
    )
}

/// [`prove_accuracy_zk`] on the inputs committed as `batch` ([`super::commit_batch_zk`]),
/// hidden; the labels public.
pub fn prove_accuracy_zk_committed<
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    batch: &mut ZkCommittedInput<F>,
    labels: &[usize],
    rng: &mut R,
) -> Result<ZkAccuracyProof<F, E>, NetworkError> {
    let input = BatchInput::Committed(batch);
    prove_accuracy_zk_inner(
        model,
        committed,
        input,
        ProverLabels::Public(labels),
        rng,
        None,
    )
}

/// A labelled dataset committed with two hiding commitments ([`commit_dataset_zk`]): the
/// padded batch's inputs (as [`super::commit_batch_zk`]) and the labels' one-hot table. What
/// the data owner gives the prover (the verifier receives [`Self::commitment`]).
pub struct ZkCommittedDataset<F: Field> {
    pub(crate) inputs: ZkCommittedInput<F>,
    pub(crate) labels: ZkCommittedInput<F>,
    values: Vec<usize>,
}

/// The public commitment of a labelled dataset ([`ZkCommittedDataset::commitment`]): what an
/// accuracy proof's verifier receives in place of the inputs and the labels.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkDatasetCommitment {
    /// The inputs' count `N` (public: the statement is "`k` of `N`").
    pub count: u64,
    /// The padded batch's inputs.
    pub inputs: ZkCommitment,
    /// The labels' one-hot table.
    pub labels: ZkCommitment,
}

impl<F: Field> ZkCommittedDataset<F> {
    /// The public commitment.
    pub fn commitment(&self) -> ZkDatasetCommitment {
        ZkDatasetCommitment {
            count: self.values.len() as u64,
            inputs: self.inputs.commitment.clone(),
            labels: self.labels.commitment.clone(),
        }
    }

    /// The committed inputs, stacked (`[N, ...input shape]`).
    pub fn inputs(&self) -> &ArrayD<i64> {
        self.inputs.input()
    }

    /// The committed labels.
    pub fn labels(&self) -> &[usize] {
        &self.values
    }
}

/// The first bytes of a committed dataset's labels' private file, which follows the inputs' in
/// [`ZkCommittedDataset::write_private`].
pub const LABELS_PRIVATE_MAGIC: &[u8; 8] = b"ZKCNNZXL";

impl<F: BaseField + FftField> ZkCommittedDataset<F> {
    /// Writes what the prover keeps besides the inputs and the labels to make proofs with this
    /// dataset later ([`Self::load`]): the length (`u64`, little-endian) of the inputs' private
    /// file (a committed batch's, [`ZkCommittedInput::write_private`]), that file, then the
    /// labels' in the same layout with magic [`LABELS_PRIVATE_MAGIC`]: the masks and how much of
    /// them proofs have revealed. Secret; write it again after every proof.
    pub fn write_private(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut inputs = Vec::new();
        self.inputs.write_private(&mut inputs)?;
        w.write_all(&(inputs.len() as u64).to_le_bytes())?;
        w.write_all(&inputs)?;
        self.labels.write_private_as(w, LABELS_PRIVATE_MAGIC)
    }

    /// The committed dataset again, from its inputs and labels, its public commitment and the
    /// private file [`Self::write_private`] wrote. Refuses a count, inputs or labels that are
    /// not the committed ones, or a commitment of another shape
    /// ([`NetworkError::InputCommitmentMismatch`]); a private file for another architecture,
    /// field or commitment, truncated or with bytes left over ([`NetworkError::ProverData`]).
    pub fn load<E: ExtField<F>>(
        model: &Model,
        inputs: &[ArrayD<i64>],
        labels: &[usize],
        public: &ZkDatasetCommitment,
        r: &mut impl std::io::Read,
    ) -> Result<Self, NetworkError> {
        let n = inputs.len();
        if public.count != n as u64 {
            return Err(NetworkError::InputCommitmentMismatch);
        }
        let zp =
            ZkPlan::accuracy::<F, E>(model, super::zk::COLUMN_VARS, batch_vars(n), true, true)?;
        let (Some((ap, _)), Some((packing, vars))) = (&zp.accuracy, zp.labels_packing()) else {
            return Err(NetworkError::InputCommitmentMismatch);
        };
        check_labels(labels, n, ap.classes).map_err(NetworkError::Labels)?;
        let mut len = [0u8; 8];
        std::io::Read::read_exact(r, &mut len)
            .map_err(|_| NetworkError::ProverData("truncated".into()))?;
        // The inputs' part, read to its end (its reader refuses bytes left over).
        let mut part = std::io::Read::take(&mut *r, u64::from_le_bytes(len));
        let committed_inputs =
            ZkCommittedInput::load_batch::<E>(model, inputs, public.inputs.clone(), &mut part)?;
        let table = labels_table::<i64>(ap, labels);
        let kept = ndarray::Array1::from_vec(table.clone()).into_dyn();
        let committed_labels = super::zk::reload_part::<F, E>(
            model,
            (packing, vars, LABELS_PRIVATE_MAGIC),
            table.iter().map(|&x| from_i64::<F>(x)).collect(),
            kept,
            public.labels.clone(),
            r,
        )?;
        Ok(ZkCommittedDataset {
            inputs: committed_inputs,
            labels: committed_labels,
            values: labels.to_vec(),
        })
    }

    /// Mask functionals revealed so far by the proofs made with this dataset: the inputs'
    /// commitment's and the labels'.
    pub fn revealed(&self) -> (u64, u64) {
        (self.inputs.revealed(), self.labels.revealed())
    }
}

/// Commits to a labelled dataset for zero-knowledge accuracy proofs that hide the inputs and
/// the labels ([`prove_accuracy_zk_dataset`]): the inputs as [`super::commit_batch_zk`] does,
/// and the labels' one-hot table `L(k, i) = [i < N and k = ℓ_i]` (classes padded to `2^v`,
/// slots to `2^b`) with a second hiding commitment. `model` may be the architecture alone.
/// Randomness from `rng`.
pub fn commit_dataset_zk<F: BaseField + FftField, E: ExtField<F>, R: RngCore + CryptoRng>(
    model: &Model,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
    rng: &mut R,
) -> Result<ZkCommittedDataset<F>, NetworkError> {
    commit_dataset_checked::<F, E, R>(model, inputs, labels, |_| {}, rng)
}

/// [`commit_dataset_zk`], the labels' one-hot table edited before it is committed (a cheating
/// data owner's test: a label table that is not one-hot).
pub(crate) fn commit_dataset_checked<
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
>(
    model: &Model,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
    edit: impl FnOnce(&mut [i64]),
    rng: &mut R,
) -> Result<ZkCommittedDataset<F>, NetworkError> {
    let n = inputs.len();
    let b = batch_vars(n);
    let zp = ZkPlan::accuracy::<F, E>(model, super::zk::COLUMN_VARS, b, true, true)?;
    let (Some((ap, _)), Some(packing)) = (&zp.accuracy, zp.labels_packing()) else {
        return Err(NetworkError::Unsupported {
            layer: 0,
            what: "an accuracy plan without committed labels".into(),
        });
    };
    check_labels(labels, n, ap.classes).map_err(NetworkError::Labels)?;
    let inputs = super::zk_batch::commit_batch_checked::<F, E, R>(model, inputs, true, rng)?;
    // The one-hot table, kept as the prover's (edited: a cheating data owner's).
    let mut table = labels_table::<i64>(ap, labels);
    edit(&mut table);
    let kept = ndarray::Array1::from_vec(table.clone()).into_dyn();
    let table = table.iter().map(|&x| from_i64::<F>(x)).collect();
    let committed = super::zk::commit_hidden_part::<F, E, R>(model, packing, table, kept, rng)?;
    Ok(ZkCommittedDataset {
        inputs,
        labels: committed,
        values: labels.to_vec(),
    })
}

/// Proves, in zero knowledge, how many of the inputs of the dataset committed as `dataset`
/// ([`commit_dataset_zk`]) the model committed as `committed` classifies as their labels:
/// the inputs, the labels, the weights and every intermediate value stay hidden; the statement
/// is the architecture, the two commitments, `N` and the count `k`.
pub fn prove_accuracy_zk_dataset<
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    dataset: &mut ZkCommittedDataset<F>,
    rng: &mut R,
) -> Result<ZkAccuracyProof<F, E>, NetworkError> {
    prove_dataset_inner(model, committed, dataset, rng, None)
}

/// [`prove_accuracy_zk_dataset`]; with `edit`, the accuracy witness edited (a cheating test).
pub(crate) fn prove_dataset_inner<
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    dataset: &mut ZkCommittedDataset<F>,
    rng: &mut R,
    edit: Option<&mut dyn FnMut(&mut AccuracyWitness)>,
) -> Result<ZkAccuracyProof<F, E>, NetworkError> {
    let ZkCommittedDataset {
        inputs,
        labels,
        values,
    } = dataset;
    let input = BatchInput::Committed(inputs);
    let labels = ProverLabels::Committed(values, labels);
    prove_accuracy_zk_inner(model, committed, input, labels, rng, edit)
}

/// An accuracy proof's labels, as the prover has them: public, or committed (their values and
/// their hiding commitment).
pub(crate) enum ProverLabels<'a, F: Field> {
    Public(&'a [usize]),
    Committed(&'a [usize], &'a mut ZkCommittedInput<F>),
}

/// No witness edits: makes the prover trust its range columns (a cheating test's).
struct Trusting;

impl<F, E> Cheat<F, E> for Trusting {
    fn after_layer(&mut self, _: usize, _: super::prover::WitnessMut<'_, F>) {}
    fn multiplicities(&mut self, _: &mut [F]) {}
}

/// The zero-knowledge accuracy prover; with `edit`, the accuracy witness is edited before the
/// rest of the proof is computed from it (and the range check trusts its columns).
pub(crate) fn prove_accuracy_zk_inner<
    F: BaseField + FftField,
    E: ExtField<F>,
    R: RngCore + CryptoRng,
>(
    model: &Model,
    committed: &mut ZkCommittedModel<F>,
    input: BatchInput<'_, F>,
    labels: ProverLabels<'_, F>,
    rng: &mut R,
    edit: Option<&mut dyn FnMut(&mut AccuracyWitness)>,
) -> Result<ZkAccuracyProof<F, E>, NetworkError> {
    let (inputs, batch) = input.split();
    let inputs = &inputs[..];
    let hidden = batch.is_some();
    let (labels, committed_labels) = match labels {
        ProverLabels::Public(l) => (l, None),
        ProverLabels::Committed(l, c) => (l, Some(c)),
    };
    let n = inputs.len();
    if n == 0 || n > MAX_BATCH {
        return Err(NetworkError::BatchSize(n));
    }
    if committed.architecture != model.architecture_json() {
        return Err(NetworkError::CommitmentMismatch);
    }
    let b = batch_vars(n);
    let cv = super::zk::column_vars_of(&committed.commitment);
    let hidden_labels = committed_labels.is_some();
    let zp = ZkPlan::accuracy::<F, E>(model, cv, b, hidden, hidden_labels)?;
    let Some((ap, _)) = zp.accuracy.clone() else {
        return Err(NetworkError::Unsupported {
            layer: 0,
            what: "an accuracy plan without its relations".into(),
        });
    };
    check_labels(labels, n, ap.classes).map_err(NetworkError::Labels)?;
    // The batch's witness on the batch plan (the same segments but `P`, `S`, `M`), then the
    // accuracy's: `P`, `S`, `M` at `ap.p ..`, its two columns, the multiplicities recounted.
    if let Some(c) = &batch {
        if !c.matches(model, &zp) {
            return Err(NetworkError::InputCommitmentMismatch);
        }
    }
    if let Some(c) = &committed_labels {
        if c.architecture_json() != model.architecture_json()
            || !zp.labels_shape_matches(&c.commitment)
        {
            return Err(NetworkError::InputCommitmentMismatch);
        }
    }
    let base = if hidden {
        ZkPlan::batched_hidden::<F, E>(model, cv, b)?
    } else {
        ZkPlan::batched::<F, E>(model, cv, b)?
    };
    let single = ZkPlan::new::<F, E>(model, cv, hidden)?;
    let (mut w, _) = batch_witness::<F, E>(model, &single.plan, &base.plan, inputs, None)?;
    let logits = w.ints.get(ap.last).cloned().unwrap_or_default();
    let mut aw = AccuracyWitness::new(logits, ap.classes, 1 << ap.class_vars, labels, ap.shift);
    let cheating = edit.is_some();
    if let Some(edit) = edit {
        edit(&mut aw);
    }
    let to_f = |t: &[i64]| -> Vec<F> { t.iter().map(|&x| from_i64::<F>(x)).collect() };
    if ap.p > w.advice.len() {
        return Err(NetworkError::Unsupported {
            layer: 0,
            what: "an accuracy plan of another layout".into(),
        });
    }
    for (k, t) in [&aw.p, &aw.s, &aw.m].into_iter().enumerate() {
        w.advice.insert(ap.p + k, to_f(t));
    }
    if ap.column > w.columns.len() {
        return Err(NetworkError::Unsupported {
            layer: 0,
            what: "an accuracy plan of another layout".into(),
        });
    }
    let [p_col, d_col] = super::accuracy::accuracy_columns::<F>(&zp.plan, &ap, &aw);
    w.columns.insert(ap.column, d_col);
    w.columns.insert(ap.column, p_col);
    let refs: Vec<&[F]> = w.columns.iter().map(Vec::as_slice).collect();
    let bits = zp.plan.table_bits as usize;
    let mseg = zp.plan.multiplicities_segment();
    let counts = if cheating {
        crate::range::count_in_range(&refs, bits)
    } else {
        crate::range::multiplicities(&refs, bits).map_err(NetworkError::Range)?
    };
    match w.advice.get_mut(mseg) {
        Some(m) => *m = counts,
        None => {
            return Err(NetworkError::Unsupported {
                layer: 0,
                what: "an accuracy plan of another layout".into(),
            })
        }
    }
    let flat: Vec<i64> = inputs.iter().flat_map(|x| x.iter().copied()).collect();
    let mut t = Transcript::new(b"zkcnn");
    // The statement's labels; the relations use the witness's (a cheating test edits them).
    absorb::<F>(
        &mut t,
        model,
        &committed.commitment,
        match &batch {
            Some(c) => ZkInput::Committed(&c.commitment),
            None => ZkInput::Public(&flat),
        },
        match &committed_labels {
            Some(c) => StatementLabels::Committed(n, &c.commitment),
            None => StatementLabels::Public(labels),
        },
        aw.correct,
    );
    // Committed labels: their table as committed (a copy: the opening updates the commitment).
    let label_table: Option<Vec<i64>> = committed_labels
        .as_ref()
        .and_then(|c| c.input().as_slice().map(<[i64]>::to_vec));
    let rel = Relations {
        plan: &ap,
        labels: &aw.labels,
        correct: aw.correct,
        inputs: n,
        label_table: label_table.as_deref(),
    };
    let mut trusting = Trusting;
    let cheat: Option<&mut dyn Cheat<F, E>> = if cheating { Some(&mut trusting) } else { None };
    let proof = prove_zk_core(
        &zp,
        committed,
        w,
        batch,
        committed_labels,
        &mut t,
        rng,
        cheat,
        &mut |_| {},
        Some(&rel),
    )?;
    Ok(ZkAccuracyProof {
        count: n as u64,
        correct: aw.correct,
        proof,
    })
}

/// Verifies a zero-knowledge proof that the model committed as `checked` (checked against
/// `model`'s architecture) classifies exactly `proof.correct` of `inputs` as their `labels`.
/// Only the architecture is read.
pub fn verify_accuracy_zk<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedZkCommitment,
    inputs: &[&[i64]],
    labels: &[usize],
    proof: &ZkAccuracyProof<F, E>,
) -> Result<(), VerifyError> {
    let labels = StatementLabels::Public(labels);
    verify_statement(model, checked, Inputs::Public(inputs), labels, proof).map(|_| ())
}

/// Verifies a zero-knowledge proof that the model committed as `checked` classifies exactly
/// `proof.correct` of the `labels.len()` inputs committed as `batch`
/// ([`super::commit_batch_zk`]) as their `labels`. Neither the weights nor the inputs are read.
pub fn verify_accuracy_zk_committed<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedZkCommitment,
    batch: &ZkCommitment,
    labels: &[usize],
    proof: &ZkAccuracyProof<F, E>,
) -> Result<(), VerifyError> {
    let labels = StatementLabels::Public(labels);
    verify_statement(model, checked, Inputs::Committed(batch), labels, proof).map(|_| ())
}

/// Verifies a zero-knowledge proof that the model committed as `checked` classifies exactly
/// `proof.correct` of the `dataset.count` inputs of the labelled dataset committed as
/// `dataset` ([`commit_dataset_zk`]) as their labels. Neither the weights, the inputs nor the
/// labels are read.
pub fn verify_accuracy_zk_dataset<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedZkCommitment,
    dataset: &ZkDatasetCommitment,
    proof: &ZkAccuracyProof<F, E>,
) -> Result<(), VerifyError> {
    let n = usize::try_from(dataset.count).unwrap_or(usize::MAX);
    let labels = StatementLabels::Committed(n, &dataset.labels);
    verify_statement(
        model,
        checked,
        Inputs::Committed(&dataset.inputs),
        labels,
        proof,
    )
    .map(|_| ())
}

/// Verifies as [`verify_accuracy_zk_dataset`] and returns what the opening revealed of the
/// labels' commitment's codeword (tests: the extraction attack on hidden labels).
#[doc(hidden)]
pub fn revealed_labels_leaves_zk<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedZkCommitment,
    dataset: &ZkDatasetCommitment,
    proof: &ZkAccuracyProof<F, E>,
) -> Result<super::RevealedModelLeaves<F>, VerifyError> {
    let n = usize::try_from(dataset.count).unwrap_or(usize::MAX);
    let labels = StatementLabels::Committed(n, &dataset.labels);
    let o = verify_statement(
        model,
        checked,
        Inputs::Committed(&dataset.inputs),
        labels,
        proof,
    )?;
    Ok(super::zk::revealed_part(
        &o.leaves,
        ZkPlan::LABELS_PART,
        &proof.proof,
    ))
}

/// The inputs of an accuracy statement, as the verifier has them.
#[derive(Clone, Copy)]
enum Inputs<'a> {
    /// Their values.
    Public(&'a [&'a [i64]]),
    /// Their hiding commitment (one per label).
    Committed(&'a ZkCommitment),
}

fn verify_statement<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedZkCommitment,
    inputs: Inputs<'_>,
    labels: StatementLabels<'_>,
    proof: &ZkAccuracyProof<F, E>,
) -> Result<super::zk::Opened<E>, VerifyError> {
    let architecture = model.architecture();
    let model = &architecture;
    let commitment = checked_for(model, checked)?;
    let n = match inputs {
        Inputs::Public(xs) => xs.len(),
        Inputs::Committed(_) => labels.inputs(),
    };
    if n == 0 || n > MAX_BATCH || proof.count != n as u64 || proof.correct > proof.count {
        return Err(VerifyError::AccuracyCount {
            inputs: n,
            count: proof.count,
            correct: proof.correct,
        });
    }
    let b = batch_vars(n);
    let cv = super::zk::column_vars_of(commitment);
    let hidden = matches!(inputs, Inputs::Committed(_));
    let (public_labels, committed_labels) = match labels {
        StatementLabels::Public(l) => (l, None),
        StatementLabels::Committed(_, c) => (&[][..], Some(c)),
    };
    let zp = ZkPlan::accuracy::<F, E>(model, cv, b, hidden, committed_labels.is_some())
        .map_err(VerifyError::Model)?;
    let Some((ap, _)) = &zp.accuracy else {
        return Err(VerifyError::AdviceShape);
    };
    if committed_labels.is_none() {
        check_labels(public_labels, n, ap.classes).map_err(VerifyError::Labels)?;
    }
    let zeros = vec![0i64; zp.plan.dims.last().map_or(0, |d| d.logical_len())];
    let mut t = Transcript::new(b"zkcnn");
    let (input_f, committed_input) = match inputs {
        Inputs::Public(xs) => {
            let padded = super::batch::padded_inputs(&zp.plan, b, xs)?;
            let (input_f, _) =
                super::verifier::public_io::<F>(model, &zp.plan, Some(&padded), &zeros)?;
            let flat: Vec<i64> = xs.iter().flat_map(|x| x.iter().copied()).collect();
            let statement = ZkInput::Public(&flat);
            absorb::<F>(&mut t, model, commitment, statement, labels, proof.correct);
            (input_f, None)
        }
        Inputs::Committed(c) => {
            if !zp.input_shape_matches(c) {
                return Err(VerifyError::InputCommitmentShape);
            }
            let statement = ZkInput::Committed(c);
            absorb::<F>(&mut t, model, commitment, statement, labels, proof.correct);
            (Vec::new(), Some(c))
        }
    };
    let rel = Relations {
        plan: ap,
        labels: public_labels,
        correct: proof.correct,
        inputs: n,
        label_table: None,
    };
    verify_zk_core(
        &zp,
        commitment,
        committed_input,
        committed_labels,
        &input_f,
        &[],
        &proof.proof,
        &mut t,
        Some(&rel),
    )
}
