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
    check_labels, count_table, count_table_eval, slot_eq_table, AccuracyPlan, AccuracyWitness,
    Relations,
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
/// The masked sum-check's degree (`μ·eq·P·Y`: two private factors and a public one).
const DEGREE: usize = 3;

/// The relations' terms over the instance's tables `[P, S, M, Y, T, eq(r, ·), eq(r_i, ·)]`
/// (the private ones first: the claims' numbering).
fn terms<E: Field>(lambda: E, mu: E) -> Vec<Term<E>> {
    vec![
        Term {
            coeff: E::ONE,
            factors: vec![0, 4],
        },
        Term {
            coeff: -lambda,
            factors: vec![1, 5],
        },
        Term {
            coeff: mu,
            factors: vec![0, 3, 6],
        },
        Term {
            coeff: -mu,
            factors: vec![2, 5],
        },
    ]
}

const PRIVATE: [bool; 7] = [true, true, true, true, false, false, false];

/// The relations' left-hand side `1 + λ²·k − μ·H`.
fn lhs<F: BaseField, E: ExtField<F>>(ap: &AccuracyPlan, correct: u64, lambda: E, mu: E) -> E {
    E::ONE + lambda * lambda * lift::<E>(F::from(correct)) - mu * lift::<E>(from_i64::<F>(ap.shift))
}

/// The placements of the relations' private tables `P, S, M, Y`.
fn placed<E: Field>(zp: &ZkPlan, ap: &AccuracyPlan) -> Result<Vec<Placed<E>>, NetworkError> {
    let y = zp.tensor::<E>(ap.last)?.ok_or(NetworkError::Unsupported {
        layer: ap.last.saturating_sub(1),
        what: "an accuracy proof whose logits are the input".into(),
    })?;
    Ok(vec![
        zp.table(Table::Advice(ap.p)),
        zp.table(Table::Advice(ap.s)),
        zp.table(Table::Advice(ap.m)),
        y,
    ])
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
    let r: Vec<E> = t.challenge_fields(POINT, vars);
    let lambda: E = t.challenge_field(COMBINATION);
    let mu: E = t.challenge_field(MAXIMUM);
    let tables = vec![
        Mle::Base(table(ap.p)?),
        Mle::Base(table(ap.s)?),
        Mle::Base(table(ap.m)?),
        Mle::Base(y),
        Mle::Ext(count_table(ap, rel.labels, &r, lambda)),
        Mle::Ext(eq_table(&r)),
        Mle::Ext(slot_eq_table(ap, &r)),
    ];
    let instance =
        Instance::new(tables, terms(lambda, mu)).map_err(|_| NetworkError::Unsupported {
            layer: ap.last.saturating_sub(1),
            what: "an accuracy instance of another shape".into(),
        })?;
    let placed = placed::<E>(zp, ap)?;
    let scalars = StepMasks {
        masks,
        tables: &placed,
    };
    let scalar = |i: usize, rho: &[E]| scalars.mask_at(i, rho);
    let claim = lhs::<F, E>(ap, rel.correct, lambda, mu);
    let out = prove_masked_with(instance, claim, &PRIVATE, &scalar, &mask, t);
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
    let r: Vec<E> = t.challenge_fields(POINT, vars);
    let lambda: E = t.challenge_field(COMBINATION);
    let mu: E = t.challenge_field(MAXIMUM);
    let claim = lhs::<F, E>(ap, rel.correct, lambda, mu);
    let step = "accuracy relations (zero knowledge)";
    let sumcheck = |source| VerifyError::AccuracySumcheck {
        what: "relations (zero knowledge)",
        source: crate::layers::LayerError::Sumcheck { step, source },
    };
    let masked = verify_masked(vars, DEGREE, claim, 4, proof, t).map_err(sumcheck)?;
    let sigma = &masked.point;
    let v = ap.class_vars;
    let public = [
        count_table_eval(ap, rel.labels, &r, lambda, sigma),
        eq_eval(&r, sigma),
        eq_eval(r.get(v..).unwrap_or(&[]), sigma.get(v..).unwrap_or(&[])),
    ];
    let claims = masked
        .deferred(&terms(lambda, mu), &PRIVATE, &public, &[0, 1, 2, 3], DEGREE)
        .map_err(sumcheck)?;
    let placed = placed::<E>(zp, ap).map_err(VerifyError::Model)?;
    ledger
        .defer(claims, &placed, offset)
        .map_err(VerifyError::Deferred)
}

/// Absorbs a zero-knowledge accuracy statement: the count, the architecture, the hiding model
/// commitment, every input, then the labels and the claimed count `k`.
fn absorb<F: PrimeField>(
    t: &mut Transcript,
    model: &Model,
    commitment: &crate::pcs::zk::ZkCommitment,
    inputs: ZkInput<'_>,
    labels: &[usize],
    correct: u64,
) {
    let mut out: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    out.push(correct as i64);
    // A committed batch's inputs count 0 values here (its commitment is absorbed instead).
    let input_len = match inputs {
        ZkInput::Public(x) => x.len() as u64,
        ZkInput::Committed(_) => 0,
    };
    absorb_statement_as::<F>(
        t,
        b"zkcnn-network-zk-accuracy",
        &[1, labels.len() as u64, correct, input_len],
        model,
        commitment,
        inputs,
        &out,
    );
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
    prove_accuracy_zk_inner(
        model,
        committed,
        BatchInput::Public(inputs),
        labels,
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
    prove_accuracy_zk_inner(
        model,
        committed,
        BatchInput::Committed(batch),
        labels,
        rng,
        None,
    )
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
    labels: &[usize],
    rng: &mut R,
    edit: Option<&mut dyn FnMut(&mut AccuracyWitness)>,
) -> Result<ZkAccuracyProof<F, E>, NetworkError> {
    let (inputs, batch) = input.split();
    let inputs = &inputs[..];
    let hidden = batch.is_some();
    let n = inputs.len();
    if n == 0 || n > MAX_BATCH {
        return Err(NetworkError::BatchSize(n));
    }
    if committed.architecture != model.architecture_json() {
        return Err(NetworkError::CommitmentMismatch);
    }
    let b = batch_vars(n);
    let cv = super::zk::column_vars_of(&committed.commitment);
    let zp = ZkPlan::accuracy::<F, E>(model, cv, b, hidden)?;
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
        labels,
        aw.correct,
    );
    let rel = Relations {
        plan: &ap,
        labels: &aw.labels,
        correct: aw.correct,
    };
    let mut trusting = Trusting;
    let cheat: Option<&mut dyn Cheat<F, E>> = if cheating { Some(&mut trusting) } else { None };
    let proof = prove_zk_core(
        &zp,
        committed,
        w,
        batch,
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
    verify_statement(model, checked, Inputs::Public(inputs), labels, proof)
}

/// Verifies a zero-knowledge proof that the model committed as `checked` classifies exactly
/// `proof.correct` of the `labels.len()` inputs committed as `batch`
/// ([`super::commit_batch_zk`]) as their `labels`. Neither the weights nor the inputs are read.
pub fn verify_accuracy_zk_committed<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedZkCommitment,
    batch: &crate::pcs::zk::ZkCommitment,
    labels: &[usize],
    proof: &ZkAccuracyProof<F, E>,
) -> Result<(), VerifyError> {
    verify_statement(model, checked, Inputs::Committed(batch), labels, proof)
}

/// The inputs of an accuracy statement, as the verifier has them.
#[derive(Clone, Copy)]
enum Inputs<'a> {
    /// Their values.
    Public(&'a [&'a [i64]]),
    /// Their hiding commitment (one per label).
    Committed(&'a crate::pcs::zk::ZkCommitment),
}

fn verify_statement<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedZkCommitment,
    inputs: Inputs<'_>,
    labels: &[usize],
    proof: &ZkAccuracyProof<F, E>,
) -> Result<(), VerifyError> {
    let architecture = model.architecture();
    let model = &architecture;
    let commitment = checked_for(model, checked)?;
    let n = match inputs {
        Inputs::Public(xs) => xs.len(),
        Inputs::Committed(_) => labels.len(),
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
    let zp = ZkPlan::accuracy::<F, E>(model, cv, b, hidden).map_err(VerifyError::Model)?;
    let Some((ap, _)) = &zp.accuracy else {
        return Err(VerifyError::AdviceShape);
    };
    check_labels(labels, n, ap.classes).map_err(VerifyError::Labels)?;
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
        labels,
        correct: proof.correct,
    };
    verify_zk_core(
        &zp,
        commitment,
        committed_input,
        &input_f,
        &[],
        &proof.proof,
        &mut t,
        Some(&rel),
    )
    .map(|_| ())
}
