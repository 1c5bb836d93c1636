//! Accuracy proofs (`spec/accuracy.md`): one transparent proof that the committed model's
//! first maximal logit equals the public label on exactly `k` of `N` public inputs, with the
//! logits (the batch's last tensor) committed in the advice and never sent.
//!
//! Built on the batch proof ([`super::batch`]): the batch plan gains three advice segments
//! over the last tensor's `(class, slot)` table — the one-hot prediction `P`, the indicator
//! `S(j, i) = [j < a_i]` of the classes before the prediction, and the shifted maximum
//! `M(j, i) = 2^{B−1} + Y(a_i, i)` — and two range columns, `P` and `M − 2^{B−1}·V − Y − S`
//! (`V` the classes' validity indicator). In place of the batch's output claim, two sum-checks
//! at a fresh point prove `Σ_j w_j·P(j, i) = 1` (`w_j = 2` on padded classes), the count
//! `Σ L'·P = k`, the suffix sums `S` and the maximum `M`.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::batch::{batch_vars, concat_witness, slot, MAX_BATCH};
use super::commitment::{CheckedCommitment, CommittedModel};
use super::plan::{Column, Operand, Plan, Source, View};
use super::prover::{prove_witness, witness_with, Cheat, Phases, Witness, WitnessMut};
use super::verifier::{public_io, verify_statement};
use super::{absorb_statement_as, NetworkError, Proof, VerifyError};
use crate::field::{from_i64, lift, BaseField, ExtField};
use crate::layers::{get, prove_product, verify_product};
use crate::model::infer::Engine;
use crate::model::Model;
use crate::pcs::packing::Packing;
use crate::poly::{eq_eval, eq_table, lt_eval, Mle};
use crate::transcript::TranscriptExt;
use ark_ff::{FftField, Field};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use ndarray::ArrayD;
use std::time::Instant;

/// A proof that the committed model classifies exactly `correct` of `count` inputs as their
/// labels.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct AccuracyProof<F: Field, E: Field> {
    /// The inputs' count `N`.
    pub count: u64,
    /// The count `k` of inputs whose first maximal logit is at their label.
    pub correct: u64,
    /// The batch proof with the accuracy relations in place of the output claim.
    pub proof: Proof<F, E>,
}

/// Labels that do not fit the statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// Not one label per input.
    #[error("{labels} labels for {inputs} inputs")]
    Count {
        /// Labels given.
        labels: usize,
        /// Inputs given.
        inputs: usize,
    },
    /// A label that is not a class of the model.
    #[error("label {label} at {index} is not one of the model's {classes} classes")]
    OutOfRange {
        /// The label's position.
        index: usize,
        /// The label.
        label: usize,
        /// The model's classes.
        classes: usize,
    },
}

/// Where the accuracy relations live in the plan.
#[derive(Clone, Debug)]
pub(crate) struct AccuracyPlan {
    /// The one-hot prediction `P`.
    pub(crate) p: usize,
    /// `S(j, i) = [j < a_i]`.
    pub(crate) s: usize,
    /// `M(j, i) = H + Y(a_i, i)`.
    pub(crate) m: usize,
    /// The last tensor (the logits).
    pub(crate) last: usize,
    /// The model's classes `C`.
    pub(crate) classes: usize,
    /// The class variables `v` (`C` padded to `2^v`).
    pub(crate) class_vars: usize,
    /// The batch variables `b`.
    pub(crate) batch_vars: usize,
    /// `H = 2^{B−1}`.
    pub(crate) shift: i64,
    /// The range column of `P` (that of `D` follows it).
    pub(crate) column: usize,
}

/// The accuracy relations' public part, for the prover and the verifier.
pub(crate) struct Relations<'a> {
    pub(crate) plan: &'a AccuracyPlan,
    /// One label per input (`N` of them; the padded slots have none).
    pub(crate) labels: &'a [usize],
    /// The claimed count `k`.
    pub(crate) correct: u64,
    /// The inputs' count `N` (the labels', when they are public).
    pub(crate) inputs: usize,
    /// Committed labels' one-hot table, as committed (the zero-knowledge prover's, with hidden
    /// labels; `None` otherwise).
    pub(crate) label_table: Option<&'a [i64]>,
}

/// The accuracy plan of a batch of `2^batch_vars` slots: the batch plan with `P`, `S`, `M`
/// before the range multiplicities and the two range columns. Refuses a model whose last
/// tensor is not a committed vector of logits.
pub(crate) fn accuracy_plan(
    model: &Model,
    column_vars: usize,
    batch_vars: usize,
) -> Result<(Plan, AccuracyPlan), NetworkError> {
    let mut plan = Plan::batched(model, column_vars, batch_vars)?;
    let ap = add_accuracy(&mut plan, batch_vars)?;
    if plan.advice_packing.num_vars() > super::MAX_TABLE_VARS {
        return Err(NetworkError::TooLarge {
            layer: None,
            what: "the advice's packed table",
            size: 1 << plan.advice_packing.num_vars(),
            limit: 1 << super::MAX_TABLE_VARS,
        });
    }
    Ok((plan, ap))
}

/// Adds the accuracy relations' advice to a batch plan of `2^batch_vars` slots whose last
/// advice segment is the range multiplicities: `P`, `S`, `M` before it (no layer's), the two
/// range columns after the plan's, the advice repacked. Refuses a model whose last tensor is
/// not a committed vector of logits. The transparent and the zero-knowledge accuracy plans'
/// one home.
pub(crate) fn add_accuracy(
    plan: &mut Plan,
    batch_vars: usize,
) -> Result<AccuracyPlan, NetworkError> {
    let last = plan.dims.len() - 1;
    let layer = plan.steps.len().saturating_sub(1);
    let unsupported = |what: &str| NetworkError::Unsupported {
        layer,
        what: format!("{what} in an accuracy proof"),
    };
    let (Some(d), Some(source)) = (plan.dims.get(last), plan.sources.get(last)) else {
        return Err(unsupported("a model without layers"));
    };
    if !matches!(source, Source::Committed(_)) || last == 0 {
        return Err(unsupported(
            "a last layer whose output is not committed (a flatten or a concatenation)",
        ));
    }
    let single_dims = d.shape.len() - usize::from(batch_vars > 0);
    let (Some(&classes), 1) = (d.shape.last(), single_dims) else {
        return Err(unsupported("an output that is not one vector of logits"));
    };
    let class_vars = d.num_vars() - batch_vars;
    let vars = class_vars + batch_vars;
    let layers_kept = plan.advice_layers.len() == plan.advice_vars.len();
    let Some(mult) = plan.advice_vars.pop() else {
        return Err(unsupported("a plan without multiplicities"));
    };
    let base = plan.advice_vars.len();
    let (p, s, m) = (base, base + 1, base + 2);
    plan.advice_vars.extend([vars, vars, vars, mult]);
    if layers_kept {
        let mult_layer = plan.advice_layers.pop().flatten();
        plan.advice_layers.extend([None, None, None, mult_layer]);
    }
    let shift = 1i64 << (plan.range_bits - 1);
    let column = plan.columns.len();
    plan.columns.push(Column {
        terms: vec![(Operand::Seg(p), 1)],
        vars,
    });
    let logits = Operand::View(View {
        tensor: last,
        offset: None,
    });
    plan.columns.push(Column {
        terms: vec![
            (Operand::Seg(m), 1),
            (Operand::Valid(last), -shift),
            (logits, -1),
            (Operand::Seg(s), -1),
        ],
        vars,
    });
    plan.advice_packing = Packing::new(&plan.advice_vars);
    Ok(AccuracyPlan {
        p,
        s,
        m,
        last,
        classes,
        class_vars,
        batch_vars,
        shift,
        column,
    })
}

/// The accuracy witness of a batch (every table over `(class, slot)`, index
/// `slot·2^v + class`), exposed for the cheating-prover tests, which edit it before the rest
/// of the proof is computed from it.
#[derive(Clone, Debug)]
pub struct AccuracyWitness {
    /// The model's classes `C`.
    pub classes: usize,
    /// Padded classes per slot, `2^v`.
    pub width: usize,
    /// The logits `Y`, padded, every slot's (read-only: the edits go to the other tables).
    pub logits: Vec<i64>,
    /// The one-hot prediction `P`.
    pub p: Vec<i64>,
    /// `S(j, i) = [j < a_i]`.
    pub s: Vec<i64>,
    /// `M(j, i) = 2^{B−1} + Y(a_i, i)`.
    pub m: Vec<i64>,
    /// The labels the prover's relations use (the statement's, unless edited).
    pub labels: Vec<usize>,
    /// The count the prover claims.
    pub correct: u64,
    shift: i64,
}

/// The first index of the largest value (the tie rule of `spec/accuracy.md`).
pub fn first_argmax(values: &[i64]) -> usize {
    let mut best = 0;
    for (j, &v) in values.iter().enumerate() {
        if values.get(best).is_some_and(|&b| v > b) {
            best = j;
        }
    }
    best
}

impl AccuracyWitness {
    pub(crate) fn new(
        logits: Vec<i64>,
        classes: usize,
        width: usize,
        labels: &[usize],
        shift: i64,
    ) -> Self {
        let slots = logits.len() / width;
        let mut w = AccuracyWitness {
            classes,
            width,
            p: vec![0; logits.len()],
            s: vec![0; logits.len()],
            m: vec![0; logits.len()],
            logits,
            labels: labels.to_vec(),
            correct: 0,
            shift,
        };
        for i in 0..slots {
            let row = w.logits.get(i * width..i * width + classes).unwrap_or(&[]);
            let a = first_argmax(row);
            w.predict(i, a);
        }
        w.recount();
        w
    }

    /// The slots (`2^b`).
    pub fn slots(&self) -> usize {
        self.logits.len() / self.width
    }

    /// The class slot `i`'s `P` row predicts (its first 1), if any.
    pub fn predicted(&self, i: usize) -> Option<usize> {
        let row = self.p.get(i * self.width..(i + 1) * self.width)?;
        row.iter().position(|&x| x == 1)
    }

    /// Sets slot `i`'s prediction to `class`: its `P` row one-hot there, `S` and `M` rows
    /// derived from it ([`AccuracyWitness::derive`]).
    pub fn predict(&mut self, i: usize, class: usize) {
        let at = i * self.width;
        for j in 0..self.width {
            if let Some(p) = self.p.get_mut(at + j) {
                *p = i64::from(j == class);
            }
        }
        self.derive(i);
    }

    /// Slot `i`'s `S` and `M` rows computed from its `P` row, as the relations define them:
    /// `S(j, i) = Σ_{k > j} P(k, i)`, `M(j, i) = 2^{B−1} + Σ_k P(k, i)·Y(k, i)`.
    pub fn derive(&mut self, i: usize) {
        let at = i * self.width;
        let (Some(p), Some(y)) = (
            self.p.get(at..at + self.width),
            self.logits.get(at..at + self.width),
        ) else {
            return;
        };
        let max: i64 = self.shift + p.iter().zip(y).map(|(p, y)| p * y).sum::<i64>();
        let suffix: Vec<i64> = (0..self.width)
            .map(|j| p.iter().skip(j + 1).sum())
            .collect();
        for (j, sj) in suffix.into_iter().enumerate() {
            if let (Some(s), Some(m)) = (self.s.get_mut(at + j), self.m.get_mut(at + j)) {
                *s = sj;
                *m = max;
            }
        }
    }

    /// The count as relation (2) defines it: `Σ_{i < N} P(ℓ_i, i)` (the padded slots do not
    /// count); for a one-hot `P`, the inputs predicted as their labels.
    pub fn recount(&mut self) {
        let w = self.width;
        let sum: i64 = self
            .labels
            .iter()
            .enumerate()
            .map(|(i, &l)| self.p.get(i * w + l).copied().unwrap_or(0))
            .sum();
        self.correct = sum.max(0) as u64;
    }
}

/// The labels checked against the inputs and the classes.
pub(crate) fn check_labels(
    labels: &[usize],
    inputs: usize,
    classes: usize,
) -> Result<(), LabelError> {
    if labels.len() != inputs {
        return Err(LabelError::Count {
            labels: labels.len(),
            inputs,
        });
    }
    if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= classes) {
        return Err(LabelError::OutOfRange {
            index,
            label,
            classes,
        });
    }
    Ok(())
}

/// Absorbs an accuracy statement: the architecture, the commitment, the count, every input,
/// then the labels and the claimed count `k` (as the statement's "output").
fn absorb_accuracy<F: ark_ff::PrimeField>(
    t: &mut Transcript,
    model: &Model,
    commitment: &crate::pcs::basefold::Commitment,
    inputs: &[i64],
    labels: &[usize],
    correct: u64,
) {
    let mut out: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    out.push(correct as i64);
    absorb_statement_as::<F>(
        t,
        b"zkcnn-network-accuracy",
        &[1, labels.len() as u64, correct, inputs.len() as u64],
        model,
        commitment,
        inputs,
        &out,
    );
}

/// blake3 of an accuracy proof's statement (the proof header's digest): the architecture, the
/// model commitment, every input and every label — not the count `k`, which the verifier reads
/// from the proof (and the transcript binds).
pub fn accuracy_statement_digest(
    model: &Model,
    commitment: &crate::pcs::basefold::Commitment,
    inputs: &[&[i64]],
    labels: &[usize],
) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"zkcnn-accuracy-statement-v1");
    h.update(model.architecture_json().as_bytes());
    h.update(&commitment.root);
    h.update(&commitment.num_vars.to_le_bytes());
    hash_dataset(&mut h, inputs, labels);
    *h.finalize().as_bytes()
}

/// Proves how many of `inputs` the committed model classifies as their `labels` (the first
/// maximal logit, `spec/accuracy.md`): returns the proof, whose `correct` is that count.
pub fn prove_accuracy<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
) -> Result<AccuracyProof<F, E>, NetworkError> {
    prove_accuracy_timed(model, committed, inputs, labels, &mut Vec::new())
}

/// [`prove_accuracy`], also recording how long each phase took.
pub fn prove_accuracy_timed<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
    phases: &mut Phases,
) -> Result<AccuracyProof<F, E>, NetworkError> {
    prove_accuracy_inner(model, committed, inputs, labels, phases, None)
}

/// No witness edits: makes the prover trust its range columns (a cheating test's).
struct Trusting;

impl<F, E> Cheat<F, E> for Trusting {
    fn after_layer(&mut self, _: usize, _: WitnessMut<'_, F>) {}
    fn multiplicities(&mut self, _: &mut [F]) {}
}

/// The accuracy prover; with `edit`, the accuracy witness is edited before the rest of the
/// proof is computed from it (and the range check trusts its columns).
pub(crate) fn prove_accuracy_inner<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    inputs: &[ArrayD<i64>],
    labels: &[usize],
    phases: &mut Phases,
    edit: Option<&mut dyn FnMut(&mut AccuracyWitness)>,
) -> Result<AccuracyProof<F, E>, NetworkError> {
    let mut clock = Instant::now();
    let mut lap = |name: &'static str| {
        phases.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let n = inputs.len();
    if n == 0 || n > MAX_BATCH {
        return Err(NetworkError::BatchSize(n));
    }
    let b = batch_vars(n);
    let cv = committed.column_vars();
    let (plan, ap) = accuracy_plan(model, cv, b)?;
    check_labels(labels, n, ap.classes).map_err(NetworkError::Labels)?;
    let base = Plan::batched(model, cv, b)?;
    let single = Plan::batched(model, cv, 0)?;
    if committed.architecture != model.architecture_json() {
        return Err(NetworkError::CommitmentMismatch);
    }
    let engine = Engine::new(model).map_err(NetworkError::Model)?;
    let mut singles: Vec<Witness<F>> = Vec::with_capacity(n);
    for (i, input) in inputs.iter().enumerate() {
        // An input the quantized inference cannot run (an overflow) is named by its position.
        let (w, _) =
            witness_with::<F, E>(&engine, &single, input, None).map_err(|e| e.at_input(i))?;
        singles.push(w);
    }
    let mut w = concat_witness::<F, E>(&base, &singles, |j| slot(j, n), None)?;
    drop(singles);
    let logits = w.ints.get(ap.last).cloned().unwrap_or_default();
    let mut aw = AccuracyWitness::new(logits, ap.classes, 1 << ap.class_vars, labels, ap.shift);
    let cheating = edit.is_some();
    if let Some(edit) = edit {
        edit(&mut aw);
    }
    // The three segments before the multiplicities, the two columns, the multiplicities of
    // every column.
    w.advice.pop();
    for t in [&aw.p, &aw.s, &aw.m] {
        w.advice.push(t.iter().map(|&x| from_i64::<F>(x)).collect());
    }
    w.columns.extend(accuracy_columns::<F>(&plan, &ap, &aw));
    let refs: Vec<&[F]> = w.columns.iter().map(Vec::as_slice).collect();
    let bits = plan.table_bits as usize;
    w.advice.push(if cheating {
        crate::range::count_in_range(&refs, bits)
    } else {
        crate::range::multiplicities(&refs, bits).map_err(NetworkError::Range)?
    });
    lap("inference and witness");
    let flat: Vec<i64> = inputs.iter().flat_map(|x| x.iter().copied()).collect();
    let mut t = Transcript::new(b"zkcnn");
    absorb_accuracy::<F>(
        &mut t,
        model,
        committed.commitment(),
        &flat,
        labels,
        aw.correct,
    );
    let rel = Relations {
        plan: &ap,
        labels: &aw.labels,
        correct: aw.correct,
        inputs: n,
        label_table: None,
    };
    let mut trusting = Trusting;
    let cheat: Option<&mut dyn Cheat<F, E>> = if cheating { Some(&mut trusting) } else { None };
    let proof = prove_witness(&plan, committed, w, &mut t, cheat, &mut lap, Some(&rel))?;
    Ok(AccuracyProof {
        count: n as u64,
        correct: aw.correct,
        proof,
    })
}

/// The accuracy relations' two range columns from the witness: `P`, and
/// `D = M − H·V − Y − S` (`spec/accuracy.md`, "Layout").
pub(crate) fn accuracy_columns<F: BaseField>(
    plan: &Plan,
    ap: &AccuracyPlan,
    aw: &AccuracyWitness,
) -> [Vec<F>; 2] {
    let valid = plan
        .dims
        .get(ap.last)
        .map(|d| {
            let mut v = vec![0i64; d.len()];
            for flat in 0..d.logical_len() {
                if let Some(x) = v.get_mut(d.padded_index(flat)) {
                    *x = 1;
                }
            }
            v
        })
        .unwrap_or_default();
    let d: Vec<F> = (0..aw.logits.len())
        .map(|x| {
            let at = |t: &[i64]| t.get(x).copied().unwrap_or(0);
            from_i64::<F>(at(&aw.m) - ap.shift * at(&valid) - at(&aw.logits) - at(&aw.s))
        })
        .collect();
    [aw.p.iter().map(|&x| from_i64::<F>(x)).collect(), d]
}

/// The count's public table of sum-check A (`spec/accuracy.md`, step 3), over `(k, i)`:
/// `T(k, i) = eq(r_i, i)·(w_k + λ·G̃(k, r_j)) + λ²·L'(k, i)`.
pub(crate) fn count_table<E: Field + crate::field::MulAcc>(
    ap: &AccuracyPlan,
    labels: &[usize],
    r: &[E],
    lambda: E,
) -> Vec<E> {
    let (v, b) = (ap.class_vars, ap.batch_vars);
    let (r_j, r_i) = r.split_at(v.min(r.len()));
    let width = 1usize << v;
    let eq_i = eq_table(r_i);
    let g: Vec<E> = (0..width).map(|k| lt_eval(r_j, k)).collect();
    let w = |k: usize| {
        if k < ap.classes {
            E::ONE
        } else {
            E::ONE + E::ONE
        }
    };
    let mut table: Vec<E> = (0..width << b)
        .map(|x| {
            let (k, i) = (x % width, x / width);
            eq_i.get(i).copied().unwrap_or(E::ZERO)
                * (w(k) + lambda * g.get(k).copied().unwrap_or(E::ZERO))
        })
        .collect();
    for (i, &l) in labels.iter().enumerate() {
        if let Some(x) = table.get_mut(i * width + l) {
            *x += lambda * lambda;
        }
    }
    table
}

/// [`count_table`]'s extension at `σ = (σ_k, σ_i)`, in `O(v + N·(v + b))`.
pub(crate) fn count_table_eval<E: Field>(
    ap: &AccuracyPlan,
    labels: &[usize],
    r: &[E],
    lambda: E,
    sigma: &[E],
) -> E {
    let v = ap.class_vars;
    let (r_j, r_i) = r.split_at(v.min(r.len()));
    let (s_k, s_i) = sigma.split_at(v.min(sigma.len()));
    eq_eval(r_i, s_i) * (weight_eval(s_k, ap.classes) + lambda * gt_eval(s_k, r_j))
        + lambda * lambda * labels_eval(s_k, s_i, labels)
}

/// `eq(r_i, i)` over `(k, i)` (the maximum's table: the slot's coordinates alone).
pub(crate) fn slot_eq_table<E: Field + crate::field::MulAcc>(ap: &AccuracyPlan, r: &[E]) -> Vec<E> {
    let v = ap.class_vars;
    let (_, r_i) = r.split_at(v.min(r.len()));
    let width = 1usize << v;
    let eq_i = eq_table(r_i);
    (0..width << ap.batch_vars)
        .map(|x| eq_i.get(x / width).copied().unwrap_or(E::ZERO))
        .collect()
}

/// `G̃(k, j)`: the multilinear extension of `[j < k]` over two points of `v` coordinates each
/// (little-endian bits): `Σ_t k_t·(1 − j_t)·Π_{s > t} eq(k_s, j_s)`, in `O(v)`.
pub fn gt_eval<E: Field>(k: &[E], j: &[E]) -> E {
    let mut above = E::ONE;
    let mut sum = E::ZERO;
    for (&kt, &jt) in k.iter().zip(j).rev() {
        sum += above * kt * (E::ONE - jt);
        above *= kt * jt + (E::ONE - kt) * (E::ONE - jt);
    }
    sum
}

/// `w̃(σ)`: 1 on real classes, 2 on padded ones.
pub(crate) fn weight_eval<E: Field>(sigma: &[E], classes: usize) -> E {
    E::ONE + E::ONE - lt_eval(sigma, classes)
}

/// `L̃'(σ_k, σ_i) = Σ_{i < N} eq(σ_i, i)·eq(σ_k, ℓ_i)`.
fn labels_eval<E: Field>(sigma_k: &[E], sigma_i: &[E], labels: &[usize]) -> E {
    let bits = |x: usize, n: usize| -> Vec<E> {
        (0..n)
            .map(|t| if (x >> t) & 1 == 1 { E::ONE } else { E::ZERO })
            .collect()
    };
    labels
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            eq_eval(sigma_i, &bits(i, sigma_i.len())) * eq_eval(sigma_k, &bits(l, sigma_k.len()))
        })
        .sum()
}

/// The prover's accuracy relations (steps 2–4 of `spec/accuracy.md`), in place of the output
/// claim.
pub(super) fn prove_relations<F: BaseField, E: ExtField<F>>(
    ctx: &mut super::prover::Ctx<'_, F, E>,
    rel: &Relations<'_>,
) {
    let ap = rel.plan;
    let (v, b) = (ap.class_vars, ap.batch_vars);
    let r: Vec<E> = ctx.t.challenge_fields(b"accuracy-point", v + b);
    let lambda: E = ctx.t.challenge_field(b"accuracy-combination");
    let m_r = ctx.eval_seg(ap.m, &r);
    let s_r = ctx.eval_seg(ap.s, &r);
    let lambda2 = lambda * lambda;
    let table = count_table(ap, rel.labels, &r, lambda);
    let p_table = ctx.advice.get(ap.p).cloned().unwrap_or_default();
    let k_e = lift::<E>(F::from(rel.correct));
    let claim = E::ONE + lambda * s_r + lambda2 * k_e;
    let (proof, sigma) = prove_product(
        vec![Mle::Base(p_table.clone()), Mle::Ext(table)],
        claim,
        ctx.t,
    );
    ctx.products.push(proof);
    ctx.advice_claims.push((ap.p, sigma));
    // The maximum.
    let eq_b = slot_eq_table(ap, &r);
    let y = ctx.tensors.get(ap.last).cloned().unwrap_or_default();
    let claim = m_r - lift::<E>(from_i64::<F>(ap.shift));
    let (proof, sigma) = prove_product(
        vec![Mle::Ext(eq_b), Mle::Base(p_table), Mle::Base(y)],
        claim,
        ctx.t,
    );
    let y_value = proof.values.get(2).copied().unwrap_or(E::ZERO);
    ctx.products.push(proof);
    ctx.advice_claims.push((ap.p, sigma.clone()));
    ctx.claim_tensor(ap.last, &sigma, y_value);
}

/// The verifier's accuracy relations (steps 2–4 of `spec/accuracy.md`).
pub(super) fn verify_relations<F: BaseField, E: ExtField<F>>(
    ctx: &mut super::verifier::Ctx<'_, F, E>,
    rel: &Relations<'_>,
) -> Result<(), VerifyError> {
    let ap = rel.plan;
    let (v, b) = (ap.class_vars, ap.batch_vars);
    let r: Vec<E> = ctx.t.challenge_fields(b"accuracy-point", v + b);
    let lambda: E = ctx.t.challenge_field(b"accuracy-combination");
    let (_, r_i) = r.split_at(v);
    let m_r = ctx.eval_seg(ap.m, &r)?;
    let s_r = ctx.eval_seg(ap.s, &r)?;
    let lambda2 = lambda * lambda;
    let k_e = lift::<E>(F::from(rel.correct));
    let claim = E::ONE + lambda * s_r + lambda2 * k_e;
    let sumcheck =
        |what: &'static str| move |source| VerifyError::AccuracySumcheck { what, source };
    let proof = ctx.product()?;
    let (sigma, values) = verify_product("accuracy count", v + b, 2, claim, proof, ctx.t)
        .map_err(sumcheck("count"))?;
    let public = count_table_eval(ap, rel.labels, &r, lambda, &sigma);
    let value = |i: usize, n: usize| get(&values, i, "accuracy values", n);
    if value(1, 2).map_err(sumcheck("count"))? != public {
        return Err(VerifyError::Accuracy {
            what: "the count's public table",
        });
    }
    let p_value = value(0, 2).map_err(sumcheck("count"))?;
    ctx.advice_claims.push((ap.p, sigma.clone(), p_value));
    // The maximum.
    let proof = ctx.product()?;
    let claim = m_r - lift::<E>(from_i64::<F>(ap.shift));
    let (sigma, values) = verify_product("accuracy maximum", v + b, 3, claim, proof, ctx.t)
        .map_err(sumcheck("maximum"))?;
    let value = |i: usize| get(&values, i, "accuracy values", 3).map_err(sumcheck("maximum"));
    let (_, s_i) = sigma.split_at(v);
    if value(0)? != eq_eval(r_i, s_i) {
        return Err(VerifyError::Accuracy {
            what: "the maximum's eq table",
        });
    }
    ctx.advice_claims.push((ap.p, sigma.clone(), value(1)?));
    ctx.claim_tensor(ap.last, &sigma, value(2)?)
}

/// Verifies that the model committed as `checked` (checked against `model`'s architecture)
/// classifies exactly `proof.correct` of `inputs` as their `labels`. Only the architecture is
/// read.
pub fn verify_accuracy<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedCommitment,
    inputs: &[&[i64]],
    labels: &[usize],
    proof: &AccuracyProof<F, E>,
) -> Result<(), VerifyError> {
    let architecture = model.architecture();
    let model = &architecture;
    if checked.architecture_digest()
        != *blake3::hash(model.architecture_json().as_bytes()).as_bytes()
    {
        return Err(VerifyError::Architecture);
    }
    let n = inputs.len();
    if n == 0 || n > MAX_BATCH || proof.count != n as u64 || proof.correct > proof.count {
        return Err(VerifyError::AccuracyCount {
            inputs: n,
            count: proof.count,
            correct: proof.correct,
        });
    }
    let b = batch_vars(n);
    let (plan, ap) = accuracy_plan(model, checked.column_vars(), b).map_err(VerifyError::Model)?;
    check_labels(labels, n, ap.classes).map_err(VerifyError::Labels)?;
    let padded = super::batch::padded_inputs(&plan, b, inputs)?;
    let zeros = vec![0i64; plan.dims.last().map_or(0, |d| d.logical_len())];
    let (input_f, _) = public_io::<F>(model, &plan, Some(&padded), &zeros)?;
    let flat: Vec<i64> = inputs.iter().flat_map(|x| x.iter().copied()).collect();
    let commitment = checked.commitment();
    let mut t = Transcript::new(b"zkcnn");
    absorb_accuracy::<F>(&mut t, model, commitment, &flat, labels, proof.correct);
    let rel = Relations {
        plan: &ap,
        labels,
        correct: proof.correct,
        inputs: labels.len(),
        label_table: None,
    };
    verify_statement(
        &plan,
        commitment,
        input_f,
        &[],
        &proof.proof,
        &mut t,
        Some(&rel),
    )
    .map(|_| ())
}

/// Hashes a labelled dataset into `h`: its count, every input (its length and values) and every
/// label, each count and value as 8 little-endian bytes (the accuracy statement's digest and
/// the shards' dataset digest, `spec/accuracy.md`).
pub(crate) fn hash_dataset(h: &mut blake3::Hasher, inputs: &[&[i64]], labels: &[usize]) {
    h.update(&(inputs.len() as u64).to_le_bytes());
    for x in inputs {
        h.update(&(x.len() as u64).to_le_bytes());
        for v in x.iter() {
            h.update(&v.to_le_bytes());
        }
    }
    h.update(&(labels.len() as u64).to_le_bytes());
    for &l in labels {
        h.update(&(l as u64).to_le_bytes());
    }
}
