//! Batch proofs (`spec/batch.md`): one
//! transparent proof that the committed model maps each of `N` public inputs to its output.
//!
//! The batch is padded to `2^b` inputs, `b = ⌈log2 N⌉`, with copies of input 0 (whose outputs
//! are output 0's, so the verifier builds the padded inputs and outputs itself), and every
//! tensor, advice segment and range column of the proof holds the `2^b` inputs' tables, the
//! batch index over the top `b` variables ([`Plan::batched`]). Element-wise relations
//! (requantization, `y·n = 0`, max-pool differences, range columns) are the single proof's on
//! tables `2^b` times larger; the weight layers' sum-checks take `b` more variables and claim
//! the weights at a single input's points; the model is opened once, the advice committed
//! once, one range check covers every column. A batch of one is the single plan (`b = 0`)
//! under the batch statement.

use super::commitment::{CheckedCommitment, CommittedModel};
use super::plan::Plan;
use super::prover::{prove_witness, witness_with, Cheat, Phases, Witness};
use super::verifier::{public_io, verify_statement};
use super::{absorb_statement_as, NetworkError, Proof, VerifyError};
use crate::field::{BaseField, ExtField};
use crate::layers::ceil_log2;
use crate::model::infer::Engine;
use crate::model::Model;
use crate::parallel::collect_indexed;
use ark_ff::FftField;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use ndarray::ArrayD;
use std::time::Instant;

/// The most inputs of one batch proof (`2^16`); the plan's tensor and table limits
/// ([`super::MAX_VARS`], [`super::MAX_TABLE_VARS`]) usually bind first.
pub const MAX_BATCH: usize = 1 << 16;

/// A proof of a batch of inferences.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BatchProof<F: ark_ff::Field, E: ark_ff::Field> {
    /// The batch's count `N` (the statement's inputs and outputs must count as many).
    pub count: u64,
    /// The proof over the padded batch of `2^⌈log2 N⌉` inputs.
    pub proof: Proof<F, E>,
}

/// A batch prover's result: the outputs, in the inputs' order, and the proof.
pub type Proven<F, E> = (Vec<ArrayD<i64>>, BatchProof<F, E>);

/// The batch variables `b = ⌈log2 N⌉` of a batch of `n` inputs.
pub fn batch_vars(n: usize) -> usize {
    ceil_log2(n)
}

/// The input of slot `j` of the padded batch: input `j`, or input 0 beyond the batch.
pub(super) fn slot(j: usize, n: usize) -> usize {
    if j < n {
        j
    } else {
        0
    }
}

/// Absorbs a batch statement: the architecture, the model commitment, the count, every input
/// (concatenated in order) and every output.
fn absorb_batch<F: ark_ff::PrimeField>(
    t: &mut Transcript,
    model: &Model,
    commitment: &crate::pcs::basefold::Commitment,
    count: usize,
    inputs: &[i64],
    outputs: &[i64],
) {
    absorb_statement_as::<F>(
        t,
        b"zkcnn-network-batch",
        &[1, count as u64, inputs.len() as u64, outputs.len() as u64],
        model,
        commitment,
        inputs,
        outputs,
    );
}

/// Proves the model on every input of `inputs` in one proof: returns the outputs, in order,
/// and the proof.
pub fn prove_batch<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    inputs: &[ArrayD<i64>],
) -> Result<Proven<F, E>, NetworkError> {
    prove_batch_timed(model, committed, inputs, &mut Vec::new())
}

/// [`prove_batch`], also recording how long each phase took.
pub fn prove_batch_timed<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    inputs: &[ArrayD<i64>],
    phases: &mut Phases,
) -> Result<Proven<F, E>, NetworkError> {
    prove_batch_inner(model, committed, inputs, phases, None)
}

/// The batch prover; with `cheat = Some((k, c))`, slot `k`'s witness takes `c`'s edits (and
/// the batch's range multiplicities too): input `k`'s for `k < n`, else only padded slot `k`'s
/// copy of input 0.
pub(crate) fn prove_batch_inner<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    inputs: &[ArrayD<i64>],
    phases: &mut Phases,
    mut cheat: Option<(usize, &mut dyn Cheat<F, E>)>,
) -> Result<Proven<F, E>, NetworkError> {
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
    let plan = Plan::batched(model, cv, b)?;
    let single = Plan::batched(model, cv, 0)?;
    if committed.architecture != model.architecture_json() {
        return Err(NetworkError::CommitmentMismatch);
    }
    let (w, outputs) = batch_witness(
        model,
        &single,
        &plan,
        inputs,
        cheat.as_mut().map(|(k, c)| (*k, &mut **c)),
    )?;
    lap("inference and witness");
    let flat =
        |xs: &[ArrayD<i64>]| -> Vec<i64> { xs.iter().flat_map(|x| x.iter().copied()).collect() };
    let mut t = Transcript::new(b"zkcnn");
    absorb_batch::<F>(
        &mut t,
        model,
        committed.commitment(),
        n,
        &flat(inputs),
        &flat(&outputs),
    );
    let proof = prove_witness(
        &plan,
        committed,
        w,
        &mut t,
        cheat.map(|(_, c)| c),
        &mut lap,
        None,
    )?;
    Ok((
        outputs,
        BatchProof {
            count: n as u64,
            proof,
        },
    ))
}

/// Each input's witness on the `single` plan (the same segments, steps and columns as
/// `plan`'s, one input's sizes), joined into the batch's ([`concat_witness`]); with
/// `cheat = Some((k, c))`, slot `k`'s witness takes `c`'s edits (input `k`'s for `k < n`,
/// else only padded slot `k`'s own copy of input 0) and the batch's multiplicities too.
/// Returns the witness and the outputs, in the inputs' order.
pub(super) fn batch_witness<'d, F: BaseField, E>(
    model: &Model,
    single: &Plan,
    plan: &Plan,
    inputs: &[ArrayD<i64>],
    mut cheat: Option<(usize, &mut (dyn Cheat<F, E> + 'd))>,
) -> Result<(Witness<F>, Vec<ArrayD<i64>>), NetworkError> {
    let n = inputs.len();
    let engine = Engine::new(model).map_err(NetworkError::Model)?;
    let mut singles: Vec<Witness<F>> = Vec::with_capacity(n + 1);
    let mut outputs = Vec::with_capacity(n);
    for (i, input) in inputs.iter().enumerate() {
        let edit = match &mut cheat {
            Some((k, c)) if *k == i => Some(&mut **c),
            _ => None,
        };
        // An input the quantized inference cannot run (an overflow) is named by its position.
        let (w, out) =
            witness_with::<F, E>(&engine, single, input, edit).map_err(|e| e.at_input(i))?;
        singles.push(w);
        outputs.push(out);
    }
    // A padded slot's edit: its own copy of input 0's witness, at `singles[n]`.
    let mut edited_pad = None;
    if let Some((k, c)) = &mut cheat {
        if *k >= n {
            let (w, _) = witness_with::<F, E>(&engine, single, &inputs[0], Some(&mut **c))?;
            singles.push(w);
            edited_pad = Some(*k);
        }
    }
    let source = |j: usize| {
        if Some(j) == edited_pad {
            n
        } else {
            slot(j, n)
        }
    };
    let w = concat_witness(plan, &singles, source, cheat.map(|(_, c)| c))?;
    Ok((w, outputs))
}

/// The padded batch's inputs and outputs as the verifier builds them (slot `j ≥ N` input and
/// output 0 again), each input and output checked against one input's size in `plan` (a
/// batch's plan of `b` batch variables).
pub(super) fn padded_statement(
    plan: &Plan,
    b: usize,
    inputs: &[&[i64]],
    outputs: &[&[i64]],
) -> Result<(Vec<i64>, Vec<i64>), VerifyError> {
    Ok((
        padded_inputs(plan, b, inputs)?,
        padded_outputs(plan, b, outputs)?,
    ))
}

/// [`padded_statement`]'s inputs alone (an accuracy proof's, whose outputs are not sent).
pub(super) fn padded_inputs(
    plan: &Plan,
    b: usize,
    inputs: &[&[i64]],
) -> Result<Vec<i64>, VerifyError> {
    let Some(d_in) = plan.dims.first() else {
        return Err(VerifyError::AdviceShape);
    };
    let expected = d_in.logical_len() >> b;
    if let Some(x) = inputs.iter().find(|x| x.len() != expected) {
        return Err(VerifyError::Shape {
            what: "input",
            expected,
            got: x.len(),
        });
    }
    Ok(padded(b, inputs))
}

/// The padded batch of `2^b` slots of `xs` (slot `j ≥ N` is `xs[0]` again).
fn padded(b: usize, xs: &[&[i64]]) -> Vec<i64> {
    (0..1usize << b)
        .flat_map(|j| {
            xs.get(slot(j, xs.len()))
                .copied()
                .unwrap_or_default()
                .iter()
                .copied()
        })
        .collect()
}

/// [`padded_statement`]'s outputs alone (a batch whose inputs are committed).
pub(super) fn padded_outputs(
    plan: &Plan,
    b: usize,
    outputs: &[&[i64]],
) -> Result<Vec<i64>, VerifyError> {
    let Some(d_out) = plan.dims.last() else {
        return Err(VerifyError::AdviceShape);
    };
    let expected = d_out.logical_len() >> b;
    if let Some(y) = outputs.iter().find(|y| y.len() != expected) {
        return Err(VerifyError::Shape {
            what: "output",
            expected,
            got: y.len(),
        });
    }
    Ok(padded(b, outputs))
}

/// The batch's witness: every tensor, advice segment and range column the `2^b` slots'
/// tables one after the other (slot `j`'s from `singles[source(j)]`: [`slot`] — a padded slot
/// `j ≥ n` input 0's — except for a cheating prover's edited padded slot), and the range
/// multiplicities of the batch's columns.
pub(super) fn concat_witness<F: BaseField, E>(
    plan: &Plan,
    singles: &[Witness<F>],
    source: impl Fn(usize) -> usize,
    cheat: Option<&mut (dyn Cheat<F, E> + '_)>,
) -> Result<Witness<F>, NetworkError> {
    let slots = 1usize << plan.batch_vars;
    let join = |part: &dyn Fn(&Witness<F>) -> &[F]| -> Vec<F> {
        let parts: Vec<&[F]> = (0..slots).map(|j| part(&singles[source(j)])).collect();
        concat(&parts)
    };
    let ints = (0..plan.dims.len())
        .map(|t| {
            let parts: Vec<&[i64]> = (0..slots)
                .map(|j| singles[source(j)].ints[t].as_slice())
                .collect();
            concat(&parts)
        })
        .collect();
    let mseg = plan.multiplicities_segment();
    let lseg = plan.lookup.as_ref().map(|lk| lk.multiplicities);
    let mut advice: Vec<Vec<F>> = (0..plan.advice_vars.len())
        .map(|s| {
            if s == mseg || Some(s) == lseg {
                Vec::new()
            } else {
                join(&|w| &w.advice[s])
            }
        })
        .collect();
    let columns: Vec<Vec<F>> = (0..plan.columns.len())
        .map(|c| join(&|w| &w.columns[c]))
        .collect();
    let refs: Vec<&[F]> = columns.iter().map(Vec::as_slice).collect();
    let bits = plan.table_bits as usize;
    let mut cheat = cheat;
    advice[mseg] = match cheat.as_deref_mut() {
        Some(cheat) => {
            let mut m = crate::range::count_in_range(&refs, bits);
            cheat.multiplicities(&mut m);
            m
        }
        None => crate::range::multiplicities(&refs, bits).map_err(NetworkError::Range)?,
    };
    // The activations' lookup: each column the slots' columns one after the other, against
    // the same public table; the multiplicities the batch's counts.
    let (lookup_columns, lookup_table) = match &plan.lookup {
        None => (Vec::new(), Vec::new()),
        Some(lk) => {
            let cols: Vec<Vec<F>> = (0..lk.columns.len())
                .map(|c| join(&|w| &w.lookup_columns[c]))
                .collect();
            let table: Vec<F> = lk.table(plan.range_bits);
            let lrefs: Vec<&[F]> = cols.iter().map(Vec::as_slice).collect();
            advice[lk.multiplicities] = match cheat {
                Some(cheat) => {
                    let mut m = crate::range::lookup::count_in_table(&lrefs, &table);
                    cheat.lookup_multiplicities(&mut m);
                    m
                }
                None => crate::range::lookup::multiplicities(&lrefs, &table)
                    .map_err(NetworkError::Range)?,
            };
            (cols, table)
        }
    };
    Ok(Witness {
        ints,
        advice,
        columns,
        lookup_columns,
        lookup_table,
    })
}

/// The slices one after the other; written in parallel when they have one length (first
/// touches of fresh memory are slow on virtual machines, and a batch's tables are large).
fn concat<T: Copy + Send + Sync>(parts: &[&[T]]) -> Vec<T> {
    let len = parts.first().map_or(0, |p| p.len());
    if len == 0 || parts.iter().any(|p| p.len() != len) {
        return parts.concat();
    }
    collect_indexed(parts.len() * len, |i| parts[i / len][i % len])
}

/// Verifies that the model committed as `commitment` (checked against `model`'s architecture)
/// maps each input of `inputs` to the output of `outputs` at the same position. Only the
/// architecture is read.
pub fn verify_batch<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedCommitment,
    inputs: &[&[i64]],
    outputs: &[&[i64]],
    proof: &BatchProof<F, E>,
) -> Result<(), VerifyError> {
    let architecture = model.architecture();
    let model = &architecture;
    if checked.architecture_digest()
        != *blake3::hash(model.architecture_json().as_bytes()).as_bytes()
    {
        return Err(VerifyError::Architecture);
    }
    let n = inputs.len();
    if n == 0 || n > MAX_BATCH || outputs.len() != n || proof.count != n as u64 {
        return Err(VerifyError::BatchCount {
            inputs: n,
            outputs: outputs.len(),
            proof: proof.count,
        });
    }
    let b = batch_vars(n);
    let plan = Plan::batched(model, checked.column_vars(), b).map_err(VerifyError::Model)?;
    // Each input and output of a single input's size; then the padded batch.
    let (xs, ys) = padded_statement(&plan, b, inputs, outputs)?;
    let (input_f, output_f) = public_io::<F>(model, &plan, Some(&xs), &ys)?;
    let flat = |xs: &[&[i64]]| -> Vec<i64> { xs.iter().flat_map(|x| x.iter().copied()).collect() };
    let commitment = checked.commitment();
    let mut t = Transcript::new(b"zkcnn");
    absorb_batch::<F>(&mut t, model, commitment, n, &flat(inputs), &flat(outputs));
    verify_statement(
        &plan,
        commitment,
        input_f,
        &output_f,
        &proof.proof,
        &mut t,
        None,
    )
    .map(|_| ())
}
