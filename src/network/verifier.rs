//! The network verifier. It reads only the proof, the model's architecture, the commitment and
//! the public input and output; it never panics on proof data (indexing, `unwrap`, `expect` and
//! `panic!` are denied).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::columns::TableColumns;
use super::commitment::CheckedCommitment;
use super::op::{dispatch, NetworkOp, Requantized};
use super::plan::{Bias, ConvPolicy, Operand, Plan, Requant, Source, Step, View};
use super::prover::{bias_value, embed, window_low};
use super::{absorb_statement, Proof, VerifyError};
use crate::field::{from_i64, lift, BaseField, ExtField};
use crate::layers::conv::ConvProof;
use crate::layers::maxpool::{self, ViewClaim};
use crate::layers::{zero_check, LayerError, ProductProof};
use crate::model::Model;
use crate::pcs::basefold;
use crate::pcs::packing::Packing;
use crate::pcs::Claim;
use crate::poly::evaluate_base;
use crate::transcript::TranscriptExt;
use ark_ff::FftField;
use merlin::Transcript;

pub(crate) struct Ctx<'a, F: BaseField, E: ExtField<F>> {
    pub(crate) plan: &'a Plan,
    input: Vec<F>,
    proof: &'a Proof<F, E>,
    next_value: usize,
    next_product: usize,
    next_conv: usize,
    pub(super) advice_claims: Vec<(usize, Vec<E>, E)>,
    pub(crate) model_claims: Vec<(usize, Vec<E>, E)>,
    pub(crate) pending: Vec<Vec<(Vec<E>, E)>>,
    /// Claims on each window max-pool's views, by layer.
    pub(crate) views: Vec<Vec<ViewClaim<E>>>,
    /// The last window max-pool layer and point whose padding indicators were computed, and
    /// them.
    pads: Option<(usize, Vec<E>, Vec<E>)>,
    pub(crate) layer: usize,
    pub(crate) t: &'a mut Transcript,
}

fn k<F: BaseField, E: ExtField<F>>(x: i64) -> E {
    lift::<E>(from_i64::<F>(x))
}

impl<'a, F: BaseField, E: ExtField<F>> Ctx<'a, F, E> {
    pub(crate) fn err(&self, source: LayerError) -> VerifyError {
        VerifyError::Layer {
            layer: self.layer,
            source,
        }
    }

    fn read(&mut self) -> Result<E, VerifyError> {
        let v = *self
            .proof
            .values
            .get(self.next_value)
            .ok_or(VerifyError::Exhausted { what: "values" })?;
        self.next_value += 1;
        self.t.append_field(b"value", &v);
        Ok(v)
    }

    /// The next `n` values of the proof, not absorbed here (a concatenation's parts' values,
    /// which its protocol absorbs).
    pub(crate) fn read_values(&mut self, n: usize) -> Result<&'a [E], VerifyError> {
        let sent = self
            .proof
            .values
            .get(self.next_value..self.next_value.saturating_add(n))
            .ok_or(VerifyError::Exhausted { what: "values" })?;
        self.next_value += n;
        Ok(sent)
    }

    /// The proof's product sum-checks still to read, one at a time, and the transcript.
    pub(crate) fn products_and_transcript(
        &mut self,
    ) -> (
        impl FnMut() -> Option<&'a ProductProof<E>> + '_,
        &mut Transcript,
    ) {
        let (products, next_product) = (&self.proof.products, &mut self.next_product);
        let next = move || {
            let p = products.get(*next_product);
            *next_product += 1;
            p
        };
        (next, &mut *self.t)
    }

    pub(crate) fn product(&mut self) -> Result<&'a ProductProof<E>, VerifyError> {
        let p = self
            .proof
            .products
            .get(self.next_product)
            .ok_or(VerifyError::Exhausted {
                what: "product sum-checks",
            })?;
        self.next_product += 1;
        Ok(p)
    }

    pub(crate) fn conv(&mut self) -> Result<&'a ConvProof<E>, VerifyError> {
        let p = self
            .proof
            .convs
            .get(self.next_conv)
            .ok_or(VerifyError::Exhausted {
                what: "convolution proofs",
            })?;
        self.next_conv += 1;
        Ok(p)
    }

    pub(crate) fn eval_seg(&mut self, seg: usize, point: &[E]) -> Result<E, VerifyError> {
        let v = self.read()?;
        self.advice_claims.push((seg, point.to_vec(), v));
        Ok(v)
    }

    fn eval_model(&mut self, seg: usize, point: &[E]) -> Result<E, VerifyError> {
        let v = self.read()?;
        self.model_claims.push((seg, point.to_vec(), v));
        Ok(v)
    }

    /// The bias at `r_o` from its limbs' values (read and claimed).
    pub(crate) fn eval_bias(&mut self, bias: &Bias, r_o: &[E]) -> Result<E, VerifyError> {
        let mut limbs = Vec::with_capacity(bias.limbs.len());
        for &(seg, _) in &bias.limbs {
            limbs.push(self.eval_model(seg, r_o)?);
        }
        Ok(bias_value::<F, E>(bias, &limbs, r_o))
    }

    fn source(&self, t: usize) -> Source {
        self.plan.sources.get(t).cloned().unwrap_or(Source::Derived)
    }

    pub(crate) fn claim_tensor(
        &mut self,
        t: usize,
        point: &[E],
        value: E,
    ) -> Result<(), VerifyError> {
        match self.source(t) {
            Source::Input => {
                if evaluate_base(&self.input, point) != value {
                    return Err(self.err(LayerError::PublicValue { what: "input" }));
                }
            }
            Source::Committed(terms) => match terms.as_slice() {
                [(seg, 1)] => self.advice_claims.push((*seg, point.to_vec(), value)),
                _ => {
                    let mut sum = E::ZERO;
                    for (seg, c) in terms {
                        sum += self.eval_seg(seg, point)? * k::<F, E>(c);
                    }
                    if sum != value {
                        return Err(self.err(LayerError::Relation {
                            what: "tensor value",
                        }));
                    }
                }
            },
            Source::Derived => {
                if let Some(p) = self.pending.get_mut(t) {
                    p.push((point.to_vec(), value));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn eval_tensor(&mut self, t: usize, point: &[E]) -> Result<E, VerifyError> {
        match self.source(t) {
            Source::Input => Ok(evaluate_base(&self.input, point)),
            Source::Committed(terms) => {
                let mut v = E::ZERO;
                for (seg, c) in terms {
                    v += self.eval_seg(seg, point)? * k::<F, E>(c);
                }
                Ok(v)
            }
            Source::Derived => {
                let v = self.read()?;
                if let Some(p) = self.pending.get_mut(t) {
                    p.push((point.to_vec(), v));
                }
                Ok(v)
            }
        }
    }

    pub(crate) fn eval_operand(&mut self, op: Operand, point: &[E]) -> Result<E, VerifyError> {
        match op {
            Operand::Valid(t) => self
                .plan
                .dims
                .get(t)
                .map(|d| d.valid_eval(point))
                .ok_or(VerifyError::AdviceShape),
            Operand::Seg(s) => self.eval_seg(s, point),
            Operand::View(View { tensor, offset }) => match offset {
                None => self.eval_tensor(tensor, point),
                Some((dy, dx)) => {
                    let dims = self.plan.dims.get(tensor).ok_or(VerifyError::AdviceShape)?;
                    let p = embed(dims, point, dy, dx);
                    self.eval_tensor(tensor, &p)
                }
            },
            Operand::Window { layer, offset } => {
                // The plain view's value is read and claimed; the extended view is
                // `v − L·P̃_d(point)`.
                let Some(Step::MaxPoolWindow(crate::layers::maxpool::MaxPoolWindow {
                    shape, ..
                })) = self.plan.steps.get(layer)
                else {
                    return Err(VerifyError::AdviceShape);
                };
                // `P̃_d` of every offset at this point, computed once per point (a layer reads
                // all its views at the zero-check's point, and at the range check's).
                let cached = matches!(&self.pads, Some((l, p, _)) if *l == layer && p == point);
                if !cached {
                    let all = maxpool::padding_indicators(shape, point);
                    self.pads = Some((layer, point.to_vec(), all));
                }
                let pad = self
                    .pads
                    .as_ref()
                    .and_then(|(_, _, all)| all.get(offset).copied())
                    .ok_or(VerifyError::AdviceShape)?;
                let value = self.read()?;
                if let Some(v) = self.views.get_mut(layer) {
                    v.push(ViewClaim {
                        point: point.to_vec(),
                        offset,
                        value,
                    });
                }
                Ok(value - k::<F, E>(window_low(self.plan.range_bits)) * pad)
            }
        }
    }

    fn requant(&mut self, r: &Requant, point: &[E]) -> Result<E, VerifyError> {
        crate::layers::requant::accumulator::<F, E, _>(r, |seg| self.eval_seg(seg, point))
    }

    pub(crate) fn zero_check(&mut self, vars: usize) -> Result<(Vec<E>, E, E), VerifyError> {
        let proof = self.product()?;
        zero_check::verify_pair(vars, proof, self.t).map_err(|e| self.err(e))
    }

    /// The claims `(segment, point, value)` on a packed table committed as `layout`, as claims
    /// on its columns and their values: a claim inside one column is that column's claim; for a
    /// claim spanning several, their values are read (`column-values`) and must combine to the
    /// claim's value, `Σ_j eq(z_hi, j)·v_j` ([`super::columns`]).
    fn column_claims(
        &mut self,
        table: &'static str,
        packing: &Packing,
        layout: TableColumns,
        claims: Vec<(usize, Vec<E>, E)>,
    ) -> Result<(Vec<Claim<E>>, Vec<E>), VerifyError> {
        let mut out = Vec::with_capacity(claims.len());
        let mut values = Vec::with_capacity(claims.len());
        for (claim, (s, p, y)) in claims.into_iter().enumerate() {
            if s >= packing.len() || p.len() != packing.vars(s) {
                return Err(VerifyError::AdviceShape);
            }
            let packed = packing.point(s, &p);
            let (live, lo) = layout.split_point(&packed);
            // A segment lies in the committed columns; an uncommitted one is no claim's.
            if live.iter().any(|&(c, _)| c >= layout.committed()) {
                return Err(VerifyError::AdviceShape);
            }
            if let [(c, e)] = live.as_slice() {
                if *e != E::ONE {
                    return Err(VerifyError::ColumnValues { table, claim });
                }
                out.push(Claim::new(*c, lo.to_vec()));
                values.push(y);
                continue;
            }
            let v = self
                .proof
                .values
                .get(self.next_value..self.next_value.saturating_add(live.len()))
                .ok_or(VerifyError::Exhausted {
                    what: "column values",
                })?;
            self.next_value += live.len();
            self.t.append_fields(b"column-values", v);
            if live.iter().zip(v).map(|(&(_, e), &x)| e * x).sum::<E>() != y {
                return Err(VerifyError::ColumnValues { table, claim });
            }
            out.extend(live.iter().map(|&(c, _)| Claim::new(c, lo.to_vec())));
            values.extend_from_slice(v);
        }
        Ok((out, values))
    }

    /// Layer `l`'s step of the backward pass (see the prover's).
    fn step(&mut self, l: usize) -> Result<(), VerifyError> {
        self.layer = l;
        let plan = self.plan;
        let step = plan.steps.get(l).ok_or(VerifyError::AdviceShape)?;
        let Some(rq) = plan.requant_of(l).cloned() else {
            return dispatch!(step, op => op.verify(self, l, None));
        };
        // A point drawn here, never a consumer's (see the prover).
        let vars_out = plan.dims.get(l + 1).map_or(0, |d| d.num_vars());
        let r: Vec<E> = self.t.challenge_fields(b"layer-point", vars_out);
        let acc = self.requant(&rq, &r)?;
        let at = Requantized { r: &r, acc };
        dispatch!(step, op => op.verify(self, l, Some(at)))?;
        let Some(o) = &rq.overflow else {
            let (rho, yv, nv) = self.zero_check(vars_out)?;
            self.advice_claims.push((rq.y, rho.clone(), yv));
            self.advice_claims.push((rq.n, rho, nv));
            return Ok(());
        };
        let proof = self.product()?;
        let (rho, v) = zero_check::verify_saturating::<F, E>(
            vars_out,
            o.limit,
            o.limb_bits,
            o.hi.len(),
            proof,
            self.t,
        )
        .map_err(|e| self.err(e))?;
        self.advice_claims.push((rq.y, rho.clone(), v.y));
        self.advice_claims.push((rq.n, rho.clone(), v.n));
        for (&seg, value) in o.hi.iter().chain(&o.lo).zip(v.hi.into_iter().chain(v.lo)) {
            self.advice_claims.push((seg, rho.clone(), value));
        }
        Ok(())
    }
}

/// Verifies that the model committed as `commitment` (with `model`'s architecture, against
/// which the commitment was checked), on `input`, outputs `output`. Only the architecture is
/// read: pass [`Model::architecture`] (weights removed) or the full model.
pub fn verify<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    commitment: &CheckedCommitment,
    input: &[i64],
    output: &[i64],
    proof: &Proof<F, E>,
) -> Result<(), VerifyError> {
    verify_with_policy(
        model,
        commitment,
        input,
        output,
        proof,
        ConvPolicy::CostModel,
    )
}

/// [`verify`] with the convolution paths chosen by `policy` (the prover's:
/// [`super::prove_with_policy`]).
pub fn verify_with_policy<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedCommitment,
    input: &[i64],
    output: &[i64],
    proof: &Proof<F, E>,
    policy: ConvPolicy,
) -> Result<(), VerifyError> {
    verify_opened(model, checked, input, output, proof, policy).map(|_| ())
}

/// The model commitment's codeword entries a proof reveals: the opened leaves of its first tree
/// (`leaves`, increasing; `2^leaf_bits` entries per committed polynomial — one per column —
/// each, polynomial `i`'s at `i·2^leaf_bits ..`) and their entries (`values`, leaf after leaf),
/// in the codeword's stored (bit-reversed) order. Public information — any verifier computes
/// it — gathered for audits of what a transparent proof leaks (`spec/zk.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevealedModelLeaves<F> {
    /// Opened leaf indices.
    pub leaves: Vec<usize>,
    /// log2 of a leaf's entries per polynomial.
    pub leaf_bits: usize,
    /// The opened entries.
    pub values: Vec<F>,
}

/// Verifies the proof as [`verify`] does and returns what it revealed of the model
/// commitment's codeword (`None` for a model without weights, which has no model opening).
pub fn revealed_model_leaves<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedCommitment,
    input: &[i64],
    output: &[i64],
    proof: &Proof<F, E>,
) -> Result<Option<RevealedModelLeaves<F>>, VerifyError> {
    let (opened, at) = verify_opened(model, checked, input, output, proof, ConvPolicy::CostModel)?;
    let Some(at) = at else { return Ok(None) };
    let opening = if at == 0 {
        Some(&proof.opening.base)
    } else {
        proof.opening.joined.get(at - 1)
    };
    match (opened.leaves.get(at), opened.leaf_bits.get(at), opening) {
        (Some(leaves), Some(&leaf_bits), Some(o)) => Ok(Some(RevealedModelLeaves {
            leaves: leaves.clone(),
            leaf_bits,
            values: o.values.clone(),
        })),
        _ => Ok(None),
    }
}

/// The public input (when there is one) and output checked against the plan (their lengths, every value in the
/// activation range) and padded to their tensors' layouts, as field elements.
pub(super) fn public_io<F: BaseField>(
    model: &Model,
    plan: &Plan,
    input: Option<&[i64]>,
    output: &[i64],
) -> Result<(Vec<F>, Vec<F>), VerifyError> {
    let bound = 1i64 << (model.activation_bits - 1);
    let public = [
        input.map(|x| ("input", x, plan.dims.first())),
        Some(("output", output, plan.dims.last())),
    ];
    for (what, xs, dims) in public.into_iter().flatten() {
        let expected = dims.map_or(0, |d| d.logical_len());
        if xs.len() != expected {
            return Err(VerifyError::Shape {
                what,
                expected,
                got: xs.len(),
            });
        }
        if let Some((index, &value)) = xs.iter().enumerate().find(|(_, v)| v.abs() >= bound) {
            return Err(VerifyError::OutOfRange { what, index, value });
        }
    }
    let padded = |dims: &crate::layers::Dims, xs: &[i64]| -> Vec<F> {
        let mut out = vec![F::ZERO; dims.len()];
        for (flat, &v) in xs.iter().enumerate() {
            if let Some(o) = out.get_mut(dims.padded_index(flat)) {
                *o = from_i64(v);
            }
        }
        out
    };
    let (Some(d_in), Some(d_out)) = (plan.dims.first(), plan.dims.last()) else {
        return Err(VerifyError::AdviceShape);
    };
    Ok((
        padded(d_in, input.unwrap_or_default()),
        padded(d_out, output),
    ))
}

/// The verifier; returns the opening's revealed leaves and the model part's index in it.
fn verify_opened<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    checked: &CheckedCommitment,
    input: &[i64],
    output: &[i64],
    proof: &Proof<F, E>,
    policy: ConvPolicy,
) -> Result<(basefold::OpenedLeaves, Option<usize>), VerifyError> {
    // Only the architecture is read: weights passed along are dropped, not scanned.
    let architecture = model.architecture();
    let model = &architecture;
    if checked.architecture_digest()
        != *blake3::hash(model.architecture_json().as_bytes()).as_bytes()
    {
        return Err(VerifyError::Architecture);
    }
    let commitment = checked.commitment();
    let plan =
        Plan::with_columns(model, policy, checked.column_vars()).map_err(VerifyError::Model)?;
    let (input_f, output_f) = public_io::<F>(model, &plan, Some(input), output)?;
    let mut t = Transcript::new(b"zkcnn");
    absorb_statement::<F>(&mut t, model, commitment, input, output);
    verify_statement(&plan, commitment, input_f, &output_f, proof, &mut t, None)
}

/// The verifier once the statement is absorbed, with the public input and output padded to the
/// plan's layouts (one input's, or a batch's: [`super::batch`]); returns the opening's revealed
/// leaves and the model part's index in it.
pub(super) fn verify_statement<F: BaseField + FftField, E: ExtField<F>>(
    plan: &Plan,
    commitment: &crate::pcs::basefold::Commitment,
    input_f: Vec<F>,
    output_f: &[F],
    proof: &Proof<F, E>,
    t: &mut Transcript,
    accuracy: Option<&super::accuracy::Relations<'_>>,
) -> Result<(basefold::OpenedLeaves, Option<usize>), VerifyError> {
    let Some(d_out) = plan.dims.last() else {
        return Err(VerifyError::AdviceShape);
    };
    if !plan.advice_columns().matches(&proof.advice) {
        return Err(VerifyError::AdviceShape);
    }
    t.append_message(b"advice-commitment", &proof.advice.root);
    let n_t = plan.dims.len();
    let mut ctx = Ctx {
        plan,
        input: input_f,
        proof,
        next_value: 0,
        next_product: 0,
        next_conv: 0,
        advice_claims: Vec::new(),
        model_claims: Vec::new(),
        pending: vec![Vec::new(); n_t],
        views: vec![Vec::new(); plan.steps.len()],
        pads: None,
        layer: plan.steps.len(),
        t,
    };
    let last = n_t - 1;
    match accuracy {
        None => {
            let r: Vec<E> = ctx.t.challenge_fields(b"output-point", d_out.num_vars());
            if ctx.eval_tensor(last, &r)? != evaluate_base(output_f, &r) {
                return Err(VerifyError::Output);
            }
        }
        Some(rel) => super::accuracy::verify_relations(&mut ctx, rel)?,
    }
    for l in (0..plan.steps.len()).rev() {
        ctx.step(l)?;
    }
    let column_vars: Vec<usize> = plan.columns.iter().map(|c| c.vars).collect();
    let claims =
        crate::range::verify::<F, E>(&column_vars, plan.table_bits as usize, &proof.range, ctx.t)
            .map_err(VerifyError::Range)?;
    if claims.columns.len() != plan.columns.len() {
        return Err(VerifyError::AdviceShape);
    }
    for (i, (c, claim)) in plan.columns.iter().zip(&claims.columns).enumerate() {
        let mut sum = E::ZERO;
        for &(op, coeff) in &c.terms {
            sum += ctx.eval_operand(op, &claim.point)? * k::<F, E>(coeff);
        }
        if sum != claim.value {
            return Err(VerifyError::RangeColumn { column: i });
        }
    }
    let mseg = plan.multiplicities_segment();
    ctx.advice_claims.push((
        mseg,
        claims.multiplicities.point.clone(),
        claims.multiplicities.value,
    ));
    // The activations' lookup: present exactly when the model has activations.
    match (&plan.lookup, &proof.lookup.0) {
        (None, None) => {}
        (Some(lk), Some(lookup)) => {
            let table: Vec<F> = lk.table(plan.range_bits);
            let vars: Vec<usize> = lk.columns.iter().map(|c| c.vars).collect();
            let claims = crate::range::lookup::verify::<F, E>(&vars, &table, lookup, ctx.t)
                .map_err(VerifyError::Lookup)?;
            if claims.columns.len() != lk.columns.len() {
                return Err(VerifyError::AdviceShape);
            }
            for (i, (c, claim)) in lk.columns.iter().zip(&claims.columns).enumerate() {
                let mut sum = E::ZERO;
                for &(op, coeff) in &c.terms {
                    sum += ctx.eval_operand(op, &claim.point)? * k::<F, E>(coeff);
                }
                if sum != claim.value {
                    return Err(VerifyError::LookupColumn { column: i });
                }
            }
            ctx.advice_claims.push((
                lk.multiplicities,
                claims.multiplicities.point.clone(),
                claims.multiplicities.value,
            ));
        }
        (lk, _) => {
            return Err(VerifyError::LookupPresence {
                model_has: lk.is_some(),
            })
        }
    }
    for (l, step) in plan.steps.iter().enumerate() {
        if let Step::MaxPoolWindow(op) = step {
            op.check_views(&mut ctx, l)?;
        }
    }
    // Claims on the packed tables become claims on their columns (the same claims when a table
    // is one column), with the column values read where a claim spans several columns.
    let model_claims = std::mem::take(&mut ctx.model_claims);
    let (mc, mv) = ctx.column_claims(
        "model",
        &plan.model_packing,
        plan.model_columns(),
        model_claims,
    )?;
    let advice_claims = std::mem::take(&mut ctx.advice_claims);
    let (ac, av) = ctx.column_claims(
        "advice",
        &plan.advice_packing,
        plan.advice_columns(),
        advice_claims,
    )?;
    for (what, n, total) in [
        ("values", ctx.next_value, proof.values.len()),
        ("product sum-checks", ctx.next_product, proof.products.len()),
        ("convolution proofs", ctx.next_conv, proof.convs.len()),
    ] {
        if n != total {
            return Err(VerifyError::Leftover { what });
        }
    }
    let model = (!mc.is_empty()).then(|| basefold::Statement {
        commitment,
        claims: &mc,
        values: &mv,
    });
    let advice = basefold::Statement {
        commitment: &proof.advice,
        claims: &ac,
        values: &av,
    };
    let model_at = model
        .as_ref()
        .map(|m| usize::from(m.commitment.num_vars < advice.commitment.num_vars));
    let parts = super::opening_parts(model, advice, |p| p.commitment.num_vars);
    let params = super::opening_params::<F, E>(parts.first().map_or(0, |p| p.commitment.num_vars))
        .map_err(|e| VerifyError::Model(super::NetworkError::Pcs(e)))?;
    let opened = basefold::verify_parts_opened(&params, &parts, &proof.opening, t)
        .map_err(VerifyError::Opening)?;
    Ok((opened, model_at))
}
