//! The network prover.

use super::columns::TableColumns;
use super::commitment::CommittedModel;
use super::op::{dispatch, NetworkOp, Requantized, WitnessStep, Witnessed};
use super::plan::{Bias, ConvPolicy, Operand, Plan, Requant, Source, Step, View};
use super::{absorb_statement, pcs, NetworkError, Proof};
use crate::field::{from_i64, lift, BaseField, ExtField};
use crate::layers::conv::ConvProof;
use crate::layers::fft_conv::{self, ConvPath};
use crate::layers::maxpool::{self, ViewClaim};
use crate::layers::{conv, requant, zero_check, Dims, ProductProof};
use crate::model::infer::{Computed, Engine};
use crate::model::Model;
use crate::pcs::basefold;
use crate::pcs::packing::Packing;
use crate::pcs::{Claim, MultilinearPcs};
use crate::poly::{evaluate_base, lt_eval};
use crate::transcript::TranscriptExt;
use ark_ff::FftField;
use merlin::Transcript;
use ndarray::ArrayD;
use std::borrow::Cow;
use std::time::{Duration, Instant};

/// `t` in the padded layout.
pub(crate) fn pad(dims: &Dims, values: &[i64]) -> Vec<i64> {
    let mut out = vec![0; dims.len()];
    for (flat, &v) in values.iter().enumerate() {
        out[dims.padded_index(flat)] = v;
    }
    out
}

pub(crate) fn to_field<F: BaseField>(v: &[i64]) -> Vec<F> {
    v.iter().map(|&x| from_i64(x)).collect()
}

/// The variables of a padded `[…, h, w]` tensor's last two dimensions (its rows and columns;
/// the dimensions before them — channels, and a batch — are the high bits).
fn hw_vars(input: &Dims) -> (usize, usize) {
    let n = input.vars.len();
    (input.vars[n - 2], input.vars[n - 1])
}

/// The sub-grid `t[…][2y + dy][2x + dx]` of a padded `[c, h, w]` tensor (or a batch of them,
/// `[batch, c, h, w]`).
pub(crate) fn sub_grid<T: Copy>(input: &Dims, t: &[T], dy: usize, dx: usize) -> Vec<T> {
    let (vh, vw) = hw_vars(input);
    let out_len = t.len() >> 2;
    (0..out_len)
        .map(|q| {
            let ox = q & ((1 << (vw - 1)) - 1);
            let oy = (q >> (vw - 1)) & ((1 << (vh - 1)) - 1);
            let c = q >> (vw - 1 + vh - 1);
            t[(((c << vh) | (2 * oy + dy)) << vw) | (2 * ox + dx)]
        })
        .collect()
}

/// The point on a `[c, h, w]` tensor (or a batch of them) of point `z` on its `(dy, dx)`
/// sub-grid.
pub(crate) fn embed<E: ark_ff::Field>(input: &Dims, z: &[E], dy: usize, dx: usize) -> Vec<E> {
    let (vh, vw) = hw_vars(input);
    let bit = |b: usize| if b == 1 { E::ONE } else { E::ZERO };
    let mut p = Vec::with_capacity(z.len() + 2);
    p.push(bit(dx));
    p.extend_from_slice(&z[..vw - 1]);
    p.push(bit(dy));
    p.extend_from_slice(&z[vw - 1..vw - 1 + vh - 1]);
    p.extend_from_slice(&z[vw - 1 + vh - 1..]);
    p
}

/// A test's view of the witness after layer `layer` is computed, before the next one is: it may
/// change that layer's advice segments (found through `plan`) or, for an output that is not
/// committed (a flatten's), the output tensor. A committed output is then re-derived from its
/// advice, and the layers after it are computed from the changed values.
#[cfg_attr(not(feature = "cheat"), allow(dead_code))]
pub struct WitnessMut<'a, F> {
    /// The plan (segments, sources, steps).
    pub plan: &'a Plan,
    /// Every tensor so far, padded: tensor `layer + 1` is this layer's output.
    pub tensors: &'a mut [Vec<i64>],
    /// Every advice segment (those of later layers are still empty).
    pub advice: &'a mut [Vec<F>],
}

/// Witness edits, for the cheating-prover tests (`super::cheat`).
pub(crate) trait Cheat<F, E> {
    /// Called after each layer's witness is computed.
    fn after_layer(&mut self, layer: usize, witness: WitnessMut<'_, F>);
    /// Called on the range multiplicities before they are committed.
    fn multiplicities(&mut self, m: &mut [F]);
    /// Called (zero-knowledge prover) on a window max-pool's committed extended views, one
    /// table per offset, after they are filled and before the advice is committed.
    fn window_views(&mut self, _layer: usize, _views: &mut [Vec<F>]) {}
    /// Called on the activations' lookup multiplicities before they are committed.
    fn lookup_multiplicities(&mut self, _m: &mut [F]) {}
    /// Called on the column values of claim `claim` on `table` ("model" or "advice") before
    /// they are sent, with the columns they are of and their `eq(z_hi, j)`
    /// ([`super::columns`]).
    fn column_values(
        &mut self,
        _table: &'static str,
        _claim: usize,
        _live: &[(usize, E)],
        _values: &mut [E],
    ) {
    }
}

pub(super) struct Witness<F> {
    /// Padded integer values of every tensor.
    pub(super) ints: Vec<Vec<i64>>,
    /// Advice segment tables.
    pub(super) advice: Vec<Vec<F>>,
    /// The range columns' tables (computed once: for the multiplicities, then the range check).
    pub(super) columns: Vec<Vec<F>>,
    /// The activations' lookup columns' tables and the lookup table (empty without
    /// activations).
    pub(super) lookup_columns: Vec<Vec<F>>,
    /// The lookup table's values.
    pub(super) lookup_table: Vec<F>,
}

/// The logical (row-major) values of a padded tensor.
fn unpad(dims: &Dims, padded: &[i64]) -> Vec<i64> {
    (0..dims.logical_len())
        .map(|flat| padded[dims.padded_index(flat)])
        .collect()
}

/// Runs the model layer by layer and builds the witness. With `cheat`, each layer's witness may
/// be edited and the rest is computed from the edited values.
pub(super) fn witness<F: BaseField, E>(
    model: &Model,
    plan: &Plan,
    input: &ArrayD<i64>,
    cheat: Option<&mut (dyn Cheat<F, E> + '_)>,
) -> Result<(Witness<F>, ArrayD<i64>), NetworkError> {
    let engine = Engine::new(model).map_err(NetworkError::Model)?;
    witness_with(&engine, plan, input, cheat)
}

/// [`witness`] on a model's inference engine, built once for many inputs (it checks the model
/// and converts its weights).
pub(super) fn witness_with<F: BaseField, E>(
    engine: &Engine<'_>,
    plan: &Plan,
    input: &ArrayD<i64>,
    mut cheat: Option<&mut (dyn Cheat<F, E> + '_)>,
) -> Result<(Witness<F>, ArrayD<i64>), NetworkError> {
    let inference = |e: crate::model::InferenceError| NetworkError::Inference(e.to_string());
    let cheating = cheat.is_some();
    // A cheating prover's test may prove an input outside the activation range (a committed
    // input's range check must catch it).
    if !cheating {
        engine.check_input(input).map_err(inference)?;
    }
    let bits = plan.range_bits;
    // Row-major logical order whatever the array's memory layout.
    let flat: Vec<i64> = input.iter().copied().collect();
    let mut ints = vec![pad(&plan.dims[0], &flat)];
    let mut outs: Vec<ArrayD<i64>> = Vec::with_capacity(plan.steps.len());
    let mut advice: Vec<Vec<F>> = plan.advice_vars.iter().map(|_| Vec::new()).collect();
    for (l, step) in plan.steps.iter().enumerate() {
        let (acc, out) = match engine.compute(l, input, &outs) {
            Computed::Accumulator { acc, shift } => {
                let q = engine.requantize(&acc, shift);
                (Some(acc), q)
            }
            Computed::Output(out) => (None, out),
        };
        let out = if cheating {
            engine.array(l, out)
        } else {
            engine.finish(l, out).map_err(inference)?
        };
        let witnessed = dispatch!(step, op => op.witness(&mut WitnessStep {
            plan,
            l,
            ints: &ints,
            advice: &mut advice,
            out: &out,
            acc: acc.as_deref(),
        }));
        let requantized = |acc: Vec<i64>, relu: bool, advice: &mut [Vec<F>]| {
            let Some(r) = plan.requant_of(l) else {
                unreachable!("every requantizing step has a requantization in the plan")
            };
            let requant::RequantAdvice {
                y,
                n,
                limbs,
                hi,
                lo,
            } = requant::witness(r, &acc, bits, cheating)
                .map_err(|value| NetworkError::PaddingOverflow { layer: l, value })?;
            advice[r.y] = to_field(&y);
            advice[r.n] = to_field(&n);
            for (&(seg, _), limb) in r.limbs.iter().zip(&limbs) {
                advice[seg] = to_field(limb);
            }
            if let Some(o) = &r.overflow {
                for (&seg, limb) in o.hi.iter().chain(&o.lo).zip(hi.iter().chain(&lo)) {
                    advice[seg] = to_field(limb);
                }
            }
            Ok::<_, NetworkError>(if relu {
                y
            } else {
                y.iter().zip(&n).map(|(y, n)| y - n).collect()
            })
        };
        let out_ints: Vec<i64> = match witnessed {
            Witnessed::Output(t) => t,
            Witnessed::Requantize { acc, relu } => requantized(acc, relu, &mut advice)?,
        };
        ints.push(out_ints);
        let Some(cheat) = cheat.as_deref_mut() else {
            outs.push(out);
            continue;
        };
        cheat.after_layer(
            l,
            WitnessMut {
                plan,
                tensors: &mut ints,
                advice: &mut advice,
            },
        );
        // A committed output is what its advice says; the rest is computed from it, with the
        // values clamped to the activation range as the engine expects.
        if let Source::Committed(terms) = &plan.sources[l + 1] {
            let t = &mut ints[l + 1];
            t.iter_mut().for_each(|v| *v = 0);
            for &(seg, c) in terms {
                for (v, &a) in t.iter_mut().zip(&advice[seg]) {
                    *v += c * crate::field::to_i64(a).unwrap_or(i64::MAX / 4);
                }
            }
        }
        let amax = engine.amax;
        let logical: Vec<i64> = unpad(&plan.dims[l + 1], &ints[l + 1])
            .into_iter()
            .map(|v| v.clamp(-amax, amax))
            .collect();
        outs.push(engine.array(l, logical));
    }
    // Multiplicities of every range column.
    let columns = column_tables::<F>(plan, &plan.columns, &ints, &advice);
    let refs: Vec<&[F]> = columns.iter().map(Vec::as_slice).collect();
    // The activations' lookup columns and their multiplicities.
    let (lookup_columns, lookup_table) = match &plan.lookup {
        None => (Vec::new(), Vec::new()),
        Some(lk) => {
            let cols = column_tables::<F>(plan, &lk.columns, &ints, &advice);
            let table: Vec<F> = lk.table(bits);
            let lrefs: Vec<&[F]> = cols.iter().map(Vec::as_slice).collect();
            advice[lk.multiplicities] = match cheat.as_deref_mut() {
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
    let mseg = plan.multiplicities_segment();
    advice[mseg] = match cheat {
        Some(cheat) => {
            let mut m = crate::range::count_in_range(&refs, plan.table_bits as usize);
            cheat.multiplicities(&mut m);
            m
        }
        None => crate::range::multiplicities(&refs, plan.table_bits as usize)
            .map_err(NetworkError::Range)?,
    };
    // The proven output: the last tensor's logical values.
    let last = plan.dims.len() - 1;
    let output = ArrayD::from_shape_vec(
        plan.dims[last].shape.clone(),
        unpad(&plan.dims[last], &ints[last]),
    )
    .unwrap_or_else(|_| unreachable!("the last tensor has the output's shape"));
    Ok((
        Witness {
            ints,
            advice,
            columns,
            lookup_columns,
            lookup_table,
        },
        output,
    ))
}

/// The tables of range (or lookup) columns `columns` of `plan`.
fn column_tables<F: BaseField>(
    plan: &Plan,
    columns: &[super::plan::Column],
    ints: &[Vec<i64>],
    advice: &[Vec<F>],
) -> Vec<Vec<F>> {
    columns
        .iter()
        .map(|c| {
            let mut t = vec![F::ZERO; 1 << c.vars];
            for &(op, coeff) in &c.terms {
                let k: F = from_i64(coeff);
                match op {
                    Operand::Seg(s) => {
                        for (a, &b) in t.iter_mut().zip(&advice[s]) {
                            *a += k * b;
                        }
                    }
                    Operand::View(v) => {
                        let vals = view_ints(plan, ints, v);
                        for (a, &b) in t.iter_mut().zip(&vals) {
                            *a += k * from_i64::<F>(b);
                        }
                    }
                    Operand::Window { layer, offset } => {
                        let vals = window_ints(plan, ints, layer, offset);
                        for (a, &b) in t.iter_mut().zip(&vals) {
                            *a += k * from_i64::<F>(b);
                        }
                    }
                    Operand::Valid(v) => {
                        let d = &plan.dims[v];
                        for flat in 0..d.logical_len() {
                            if let Some(a) = t.get_mut(d.padded_index(flat)) {
                                *a += k;
                            }
                        }
                    }
                }
            }
            t
        })
        .collect()
}

/// `L = 2^{B−1} − 1`: a window max-pool's padded positions read as `−L`, the smallest
/// activation.
pub(crate) fn window_low(bits: u32) -> i64 {
    (1i64 << (bits - 1)) - 1
}

/// The extended view `V'_offset` of window max-pool `layer`'s input, as integers.
fn window_ints(plan: &Plan, ints: &[Vec<i64>], layer: usize, offset: usize) -> Vec<i64> {
    let (shape, d) = window_operand(plan, layer, offset);
    maxpool::view(
        shape,
        &ints[plan.input(layer)],
        d,
        -window_low(plan.range_bits),
        0,
    )
}

/// A window operand's max-pool shape and kernel offset `(dy, dx)` (the plan's own operands).
fn window_operand(plan: &Plan, layer: usize, offset: usize) -> (&conv::ConvShape, (usize, usize)) {
    let Some(Step::MaxPoolWindow(crate::layers::maxpool::MaxPoolWindow { shape, .. })) =
        plan.steps.get(layer)
    else {
        unreachable!("a window operand names a window max-pool")
    };
    let d = maxpool::offsets(shape)
        .nth(offset)
        .unwrap_or_else(|| unreachable!("the offset is the window's"));
    (shape, d)
}

fn view_ints(plan: &Plan, ints: &[Vec<i64>], v: View) -> Vec<i64> {
    match v.offset {
        None => ints[v.tensor].clone(),
        Some((dy, dx)) => sub_grid(&plan.dims[v.tensor], &ints[v.tensor], dy, dx),
    }
}

/// A bias's value at `r_o` from its limbs' values: `Σ_j 2^{at_j}·limb_j − 2^{β−1}·[o in use]`.
pub(crate) fn bias_value<F: BaseField, E: ExtField<F>>(bias: &Bias, limbs: &[E], r_o: &[E]) -> E {
    let k = |x: i64| lift::<E>(from_i64::<F>(x));
    let mut b = k(-bias.offset()) * lt_eval(r_o, bias.outputs);
    for (&(_, at), &v) in bias.limbs.iter().zip(limbs) {
        b += k(1 << at) * v;
    }
    b
}

/// Prover state for the backward pass.
pub(crate) struct Ctx<'a, F: BaseField, E: ExtField<F>> {
    pub(crate) plan: &'a Plan,
    pub(crate) tensors: Vec<Vec<F>>,
    pub(super) advice: &'a [Vec<F>],
    pub(crate) model: Vec<Cow<'a, [F]>>,
    pub(crate) values: Vec<E>,
    pub(crate) products: Vec<ProductProof<E>>,
    pub(crate) convs: Vec<ConvProof<E>>,
    pub(super) advice_claims: Vec<(usize, Vec<E>)>,
    pub(crate) model_claims: Vec<(usize, Vec<E>)>,
    pub(crate) pending: Vec<Vec<(Vec<E>, E)>>,
    /// Claims on each window max-pool's views, by layer.
    pub(crate) views: Vec<Vec<ViewClaim<E>>>,
    pub(crate) t: &'a mut Transcript,
}

impl<F: BaseField, E: ExtField<F>> Ctx<'_, F, E> {
    fn send(&mut self, v: E) {
        self.t.append_field(b"value", &v);
        self.values.push(v);
    }

    pub(crate) fn eval_seg(&mut self, seg: usize, point: &[E]) -> E {
        let v = evaluate_base(&self.advice[seg], point);
        self.send(v);
        self.advice_claims.push((seg, point.to_vec()));
        v
    }

    fn eval_model(&mut self, seg: usize, point: &[E]) -> E {
        let v = evaluate_base(&self.model[seg], point);
        self.send(v);
        self.model_claims.push((seg, point.to_vec()));
        v
    }

    /// The bias at `r_o`: its limbs' values sent and claimed.
    pub(crate) fn eval_bias(&mut self, bias: &Bias, r_o: &[E]) -> E {
        let limbs: Vec<E> = bias
            .limbs
            .iter()
            .map(|&(seg, _)| self.eval_model(seg, r_o))
            .collect();
        bias_value::<F, E>(bias, &limbs, r_o)
    }

    /// A claim that tensor `t` is `value` at `point` (the value already known to the verifier).
    pub(crate) fn claim_tensor(&mut self, t: usize, point: &[E], value: E) {
        match &self.plan.sources[t] {
            Source::Input => {}
            Source::Committed(terms) => match terms.as_slice() {
                [(seg, 1)] => self.advice_claims.push((*seg, point.to_vec())),
                _ => {
                    for (seg, _) in terms.clone() {
                        self.eval_seg(seg, point);
                    }
                }
            },
            Source::Derived => self.pending[t].push((point.to_vec(), value)),
        }
    }

    /// Sends what the verifier needs to learn tensor `t` at `point`; returns the value.
    pub(crate) fn eval_tensor(&mut self, t: usize, point: &[E]) -> E {
        match &self.plan.sources[t] {
            Source::Input => evaluate_base(&self.tensors[t], point),
            Source::Committed(terms) => {
                let mut v = E::ZERO;
                for (seg, c) in terms.clone() {
                    v += self.eval_seg(seg, point) * lift::<E>(from_i64::<F>(c));
                }
                v
            }
            Source::Derived => {
                let v = evaluate_base(&self.tensors[t], point);
                self.send(v);
                self.pending[t].push((point.to_vec(), v));
                v
            }
        }
    }

    pub(crate) fn eval_operand(&mut self, op: Operand, point: &[E]) -> E {
        match op {
            Operand::Valid(t) => self.plan.dims[t].valid_eval(point),
            Operand::Seg(s) => self.eval_seg(s, point),
            Operand::View(v) => match v.offset {
                None => self.eval_tensor(v.tensor, point),
                Some((dy, dx)) => {
                    let p = embed(&self.plan.dims[v.tensor], point, dy, dx);
                    self.eval_tensor(v.tensor, &p)
                }
            },
            Operand::Window { layer, offset } => {
                // The plain view's value is sent and claimed (returned, unlike the other
                // operands' values: the extended view's is `v − L·P̃_d(point)`, which only the
                // verifier needs).
                let (shape, d) = window_operand(self.plan, layer, offset);
                let x = &self.tensors[self.plan.input(layer)];
                let plain = maxpool::view(shape, x, d, F::ZERO, F::ZERO);
                let value = evaluate_base(&plain, point);
                self.send(value);
                self.views[layer].push(ViewClaim {
                    point: point.to_vec(),
                    offset,
                    value,
                });
                // The callers read the value only through the transcript; the extended
                // view's value is the verifier's to compute.
                value
            }
        }
    }

    /// The requantization's values at `r`; returns the accumulator's value there.
    fn requant(&mut self, r: &Requant, point: &[E]) -> E {
        let value = |seg| Ok::<E, std::convert::Infallible>(self.eval_seg(seg, point));
        match requant::accumulator::<F, E, _>(r, value) {
            Ok(acc) => acc,
            Err(never) => match never {},
        }
    }

    /// Zero-check `Σ eq(r', x)·a(x)·b(x) = 0` for two tables; returns `ρ`.
    pub(crate) fn zero_check(&mut self, vars: usize, a: Vec<F>, b: Vec<F>) -> Vec<E> {
        let (proof, rho) = zero_check::prove_pair(vars, a, b, self.t);
        self.products.push(proof);
        rho
    }

    /// Layer `l`'s step of the backward pass: its operator's, and for a requantizing layer
    /// first the requantization's values at a fresh point and after it its zero-check.
    fn step(&mut self, l: usize) {
        let plan = self.plan;
        let Some(rq) = plan.requant_of(l).cloned() else {
            dispatch!(&plan.steps[l], op => op.prove(self, l, None));
            return;
        };
        // Every requantization is checked at a point drawn here, after everything it depends
        // on is bound: never at a consumer's point, whose coordinates a consumer (a max-pool's
        // sub-grid) may have fixed.
        let vars = plan.dims[l + 1].num_vars();
        let r: Vec<E> = self.t.challenge_fields(b"layer-point", vars);
        let acc = self.requant(&rq, &r);
        let at = Requantized { r: &r, acc };
        dispatch!(&plan.steps[l], op => op.prove(self, l, Some(at)));
        let (y, n) = (self.advice[rq.y].clone(), self.advice[rq.n].clone());
        let Some(o) = &rq.overflow else {
            let rho = self.zero_check(vars, y, n);
            self.advice_claims.push((rq.y, rho.clone()));
            self.advice_claims.push((rq.n, rho));
            return;
        };
        let tables = |segs: &[usize]| segs.iter().map(|&s| self.advice[s].clone()).collect();
        let (proof, rho) = zero_check::prove_saturating(
            vars,
            o.limit,
            o.limb_bits,
            (y, n),
            tables(&o.hi),
            tables(&o.lo),
            self.t,
        );
        self.products.push(proof);
        for seg in [rq.y, rq.n]
            .into_iter()
            .chain(o.hi.iter().chain(&o.lo).copied())
        {
            self.advice_claims.push((seg, rho.clone()));
        }
    }

    /// The claims `(segment, point)` on a packed table committed as `layout`'s `columns`, as
    /// claims on the columns: a claim inside one column is that column's claim at the low
    /// coordinates; a claim spanning several sends their values `f̃_j(z_lo)` (`column-values`),
    /// which the verifier combines by `eq(z_hi, j)` into the claim's value ([`super::columns`]).
    fn column_claims(
        &mut self,
        table: &'static str,
        packing: &Packing,
        layout: TableColumns,
        columns: &[Vec<F>],
        claims: &[(usize, Vec<E>)],
        mut cheat: Option<&mut (dyn Cheat<F, E> + '_)>,
    ) -> Vec<Claim<E>> {
        let mut out = Vec::with_capacity(claims.len());
        for (i, (seg, p)) in claims.iter().enumerate() {
            let packed = packing.point(*seg, p);
            let (live, lo) = layout.split_point(&packed);
            if let [(c, _)] = live.as_slice() {
                out.push(Claim::new(*c, lo.to_vec()));
                continue;
            }
            let mut values: Vec<E> = live
                .iter()
                .map(|&(c, _)| evaluate_base(&columns[c], lo))
                .collect();
            if let Some(cheat) = cheat.as_deref_mut() {
                cheat.column_values(table, i, &live, &mut values);
            }
            self.t.append_fields(b"column-values", &values);
            self.values.extend_from_slice(&values);
            out.extend(live.iter().map(|&(c, _)| Claim::new(c, lo.to_vec())));
        }
        out
    }

    pub(crate) fn operand_table(&self, op: Operand) -> Vec<F> {
        match op {
            Operand::Valid(_) => unreachable!("a max-pool's operands are segments and views"),
            Operand::Seg(s) => self.advice[s].clone(),
            Operand::View(v) => match v.offset {
                None => self.tensors[v.tensor].clone(),
                Some((dy, dx)) => {
                    sub_grid(&self.plan.dims[v.tensor], &self.tensors[v.tensor], dy, dx)
                }
            },
            Operand::Window { layer, offset } => {
                let (shape, d) = window_operand(self.plan, layer, offset);
                let low = -from_i64::<F>(window_low(self.plan.range_bits));
                maxpool::view(
                    shape,
                    &self.tensors[self.plan.input(layer)],
                    d,
                    low,
                    F::ZERO,
                )
            }
        }
    }
}

/// An average pool's window sum at a point from its accumulator's value there: `acc = m·S + c`
/// on every entry (padding included), so `S̃(r) = (ãcc(r) − c)·m^{−1}` (`m ≥ 1` is below
/// `2^62 < p`: invertible in both fields). `acc` itself for `m = 1`, `c = 0`.
pub(crate) fn window_sum_of<F: BaseField, E: ExtField<F>>(
    acc: E,
    multiplier: i64,
    offset: i64,
) -> E {
    if multiplier == 1 && offset == 0 {
        return acc;
    }
    let m = lift::<E>(from_i64::<F>(multiplier));
    let inv = m
        .inverse()
        .unwrap_or_else(|| unreachable!("1 ≤ m < 2^62 < p is invertible"));
    (acc - lift::<E>(from_i64::<F>(offset))) * inv
}

/// `Σ_{o < out} eq(r, o)`: the multilinear extension of "position `o` is a real output".
pub(crate) fn valid<E: ark_ff::Field>(w: &crate::layers::window::Window, r: &[E]) -> E {
    lt_eval(r, w.output)
}

/// Proves one inference: returns the model's output and the proof.
pub fn prove<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    input: &ArrayD<i64>,
) -> Result<(ArrayD<i64>, Proof<F, E>), NetworkError> {
    prove_timed(model, committed, input, &mut Vec::new())
}

/// How long each prover phase took, in order.
pub type Phases = Vec<(&'static str, Duration)>;

/// [`prove`], also recording how long each phase took (for benchmarks and progress reports).
pub fn prove_timed<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    input: &ArrayD<i64>,
    phases: &mut Phases,
) -> Result<(ArrayD<i64>, Proof<F, E>), NetworkError> {
    prove_with_policy(model, committed, input, ConvPolicy::CostModel, phases)
}

/// [`prove_timed`] with the convolution paths chosen by `policy` (the verifier must use the
/// same: [`super::verify_with_policy`]).
pub fn prove_with_policy<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    input: &ArrayD<i64>,
    policy: ConvPolicy,
    phases: &mut Phases,
) -> Result<(ArrayD<i64>, Proof<F, E>), NetworkError> {
    prove_inner(model, committed, input, policy, phases, None)
}

/// The prover, with the cheating tests' witness edits when `cheat` is given.
pub(crate) fn prove_inner<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    committed: &CommittedModel<F, E>,
    input: &ArrayD<i64>,
    policy: ConvPolicy,
    phases: &mut Phases,
    mut cheat: Option<&mut dyn Cheat<F, E>>,
) -> Result<(ArrayD<i64>, Proof<F, E>), NetworkError> {
    let mut clock = Instant::now();
    let mut lap = |name: &'static str| {
        phases.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let plan = Plan::with_columns(model, policy, committed.column_vars())?;
    for (layer, step) in plan.steps.iter().enumerate() {
        if let Step::Conv(conv::Conv {
            shape,
            path: ConvPath::Fft,
            ..
        }) = step
        {
            fft_conv::FftLayout::new(shape, F::TWO_ADICITY).map_err(|e| {
                NetworkError::Unsupported {
                    layer,
                    what: format!("this convolution's FFT path: {e}"),
                }
            })?;
        }
    }
    if committed.architecture != model.architecture_json() {
        return Err(NetworkError::CommitmentMismatch);
    }
    let (w, output) = witness::<F, E>(model, &plan, input, cheat.as_deref_mut())?;
    lap("inference and witness");
    let input_flat: Vec<i64> = input.iter().copied().collect();
    let output_flat: Vec<i64> = output.iter().copied().collect();
    let mut t = Transcript::new(b"zkcnn");
    absorb_statement::<F>(
        &mut t,
        model,
        committed.commitment(),
        &input_flat,
        &output_flat,
    );
    let proof = prove_witness(&plan, committed, w, &mut t, cheat, &mut lap, None)?;
    Ok((output, proof))
}

/// The proof of a witness once the statement is absorbed: the advice commitment, the backward
/// pass, the range check and the joint opening (one input's, or a batch's: [`super::batch`]).
/// With `accuracy`, the accuracy relations ([`super::accuracy`]) take the output claim's place.
pub(super) fn prove_witness<F: BaseField + FftField, E: ExtField<F>>(
    plan: &Plan,
    committed: &CommittedModel<F, E>,
    mut w: Witness<F>,
    t: &mut Transcript,
    mut cheat: Option<&mut dyn Cheat<F, E>>,
    lap: &mut dyn FnMut(&'static str),
    accuracy: Option<&super::accuracy::Relations<'_>>,
) -> Result<Proof<F, E>, NetworkError> {
    let cheating = cheat.is_some();
    let pcs = pcs::<F, E>().map_err(NetworkError::Pcs)?;
    let mut advice_columns = plan
        .advice_packing
        .pack_columns(&w.advice, plan.column_vars);
    // The columns past the segments' last are zero and not committed.
    advice_columns.truncate(plan.advice_columns().committed());
    let (advice_commitment, advice_data) =
        MultilinearPcs::<F, E>::commit(&pcs, advice_columns).map_err(NetworkError::Pcs)?;
    t.append_message(b"advice-commitment", &advice_commitment.root);
    lap("advice commitment");

    // Taken out of the witness so that each is freed once used (peak memory): the integer
    // tensors once in the field, the range and lookup columns after their arguments.
    let tensors: Vec<Vec<F>> = std::mem::take(&mut w.ints)
        .into_iter()
        .map(|v| to_field(&v))
        .collect();
    let columns = std::mem::take(&mut w.columns);
    let lookup_columns = std::mem::take(&mut w.lookup_columns);
    let n_t = plan.dims.len();
    let mut ctx = Ctx {
        plan,
        tensors,
        advice: &w.advice,
        model: committed.segments(),
        values: Vec::new(),
        products: Vec::new(),
        convs: Vec::new(),
        advice_claims: Vec::new(),
        model_claims: Vec::new(),
        pending: vec![Vec::new(); n_t],
        views: vec![Vec::new(); plan.steps.len()],
        t,
    };
    // The output claim, or the accuracy relations on the (committed) output.
    let last = n_t - 1;
    match accuracy {
        None => {
            let r: Vec<E> = ctx
                .t
                .challenge_fields(b"output-point", plan.dims[last].num_vars());
            ctx.eval_tensor(last, &r);
        }
        Some(rel) => super::accuracy::prove_relations(&mut ctx, rel),
    }
    for l in (0..plan.steps.len()).rev() {
        ctx.step(l);
    }
    lap("layer protocols");
    // Range check.
    let refs: Vec<&[F]> = columns.iter().map(Vec::as_slice).collect();
    let mseg = plan.multiplicities_segment();
    // The multiplicities are the witness's: counted from these columns by
    // `range::multiplicities` (which refuses an entry out of range), or a cheating prover's.
    let (range, claims) = crate::range::prove_trusting::<F, E>(
        &refs,
        plan.table_bits as usize,
        &w.advice[mseg],
        ctx.t,
    )
    .map_err(NetworkError::Range)?;
    drop(refs);
    drop(columns);
    for (c, claim) in plan.columns.iter().zip(&claims.columns) {
        for &(op, _) in &c.terms {
            ctx.eval_operand(op, &claim.point);
        }
    }
    ctx.advice_claims
        .push((mseg, claims.multiplicities.point.clone()));
    // The activations' lookup.
    let lookup = match &plan.lookup {
        None => None,
        Some(lk) => {
            let refs: Vec<&[F]> = lookup_columns.iter().map(Vec::as_slice).collect();
            let m = &w.advice[lk.multiplicities];
            let (proof, claims) = if cheating {
                crate::range::lookup::prove_trusting::<F, E>(&refs, &w.lookup_table, m, ctx.t)
            } else {
                crate::range::lookup::prove::<F, E>(&refs, &w.lookup_table, m, ctx.t)
            }
            .map_err(NetworkError::Range)?;
            for (c, claim) in lk.columns.iter().zip(&claims.columns) {
                for &(op, _) in &c.terms {
                    ctx.eval_operand(op, &claim.point);
                }
            }
            ctx.advice_claims
                .push((lk.multiplicities, claims.multiplicities.point.clone()));
            Some(proof)
        }
    };
    // Each window max-pool's view claims (at its zero-check's and the range check's points)
    // become one claim on its input.
    for (l, step) in plan.steps.iter().enumerate() {
        if let Step::MaxPoolWindow(op) = step {
            op.reduce_views(&mut ctx, l);
        }
    }
    lap("range check");
    drop(lookup_columns);
    ctx.tensors = Vec::new();
    // Claims on the packed tables become claims on their columns (the same claims when a table
    // is one column), with the column values sent where a claim spans several columns.
    let model_claims = std::mem::take(&mut ctx.model_claims);
    let model_claims = ctx.column_claims(
        "model",
        &plan.model_packing,
        plan.model_columns(),
        committed.column_tables(),
        &model_claims,
        cheat.as_deref_mut(),
    );
    let advice_claims = std::mem::take(&mut ctx.advice_claims);
    let advice_claims = ctx.column_claims(
        "advice",
        &plan.advice_packing,
        plan.advice_columns(),
        advice_data.evals(),
        &advice_claims,
        cheat,
    );

    let Ctx {
        values,
        products,
        convs,
        ..
    } = ctx;
    // The advice is in the commitment's data from here on.
    drop(w);
    // One joint opening of the model (when it has weights) and the advice commitment: the one
    // with more variables first.
    let model_part = (!model_claims.is_empty()).then(|| basefold::Part {
        commitment: committed.commitment(),
        data: &committed.data,
        claims: &model_claims,
    });
    let advice_part = basefold::Part {
        commitment: &advice_commitment,
        data: &advice_data,
        claims: &advice_claims,
    };
    let parts = super::opening_parts(model_part, advice_part, |p| p.commitment.num_vars);
    let params =
        super::opening_params::<F, E>(parts[0].commitment.num_vars).map_err(NetworkError::Pcs)?;
    let (_, opening) = basefold::open_parts(&params, &parts, t).map_err(NetworkError::Pcs)?;
    lap("openings");
    Ok(Proof {
        advice: advice_commitment,
        values,
        products,
        convs,
        range,
        opening,
        lookup: crate::codec::Trailing(lookup),
    })
}
