//! Residual add and standalone ReLU (`spec/add.md`, `spec/requant-relu.md`): both requantize an
//! accumulator that is a sum of tensors — `acc = a + b` for an add, `acc = x` for a ReLU of a
//! tensor that is not a fresh requantization (shift 0, output `y`). At the step's fresh point
//! `r` the transparent proof sends the addends' values and the verifier checks
//! `ã(r) + b̃(r) = ãcc(r)`; in zero knowledge the same relation is one masked sum-check, the
//! dense step's with the public matrix `eq(r, ·)` (`dense::prove_matvec_zk`).

use super::requant::{self, Requant};
use super::{dense, LayerError};
use crate::field::{BaseField, ExtField};
use crate::network::op::{
    nothing_to_prove, MaskStep, NetworkOp, Requantized, WitnessStep, Witnessed,
};
use crate::network::plan::{yn, PlanStep, Planned, Source, Step};
use crate::network::prover::Ctx as ProverCtx;
use crate::network::verifier::Ctx as VerifierCtx;
use crate::network::zk::{requant_tables, Table, ZkStepProver, ZkStepVerifier};
use crate::network::{NetworkError, VerifyError};
use crate::sumcheck::zk::Mask;
use crate::zk::Placed;

/// A residual sum `acc = a + b` of the layer's input `a` and tensor `from`, then requantization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Add {
    /// The other tensor `b`.
    pub from: usize,
    /// Requantization.
    pub requant: Requant,
}

/// The ReLU of a tensor `x` that is not a fresh requantization: a requantization of
/// `acc = x` with shift 0, whose output is `y = max(x, 0)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relu {
    /// Requantization with shift 0.
    pub requant: Requant,
}

/// The zero-knowledge masks of an add (`other`: its second addend) or a ReLU: the relation's
/// masked sum-check over the output's variables and the `y·n = 0` zero-check.
fn masks(
    m: &MaskStep<'_>,
    requant: &Requant,
    other: Option<usize>,
) -> Result<Vec<usize>, NetworkError> {
    if m.public(m.tin()) {
        return Err(m.unsupported("a residual add or ReLU of the public input"));
    }
    if other.is_some_and(|t| m.public(t)) {
        return Err(m.unsupported("a residual add of the public input"));
    }
    let extra = usize::from(other.is_some());
    let degree = dense::matvec_mask_degree(true, false, extra + requant::table_count(requant));
    Ok(vec![crate::network::zk::libra_len(m.out_vars(), degree)])
}

/// The zero-knowledge step of an add (`other`: its second addend) or a ReLU:
/// `Σ_x eq(r, x)·(a(x) [+ b(x)]) − Σ_j k_j·seg_j(r) = lhs`, one masked sum-check with the
/// public matrix `eq(r, ·)`.
fn prove_zk<F: BaseField, E: ExtField<F>>(
    cx: &mut ZkStepProver<'_, '_, F, E>,
    requant: &Requant,
    other: Option<usize>,
) -> Result<(), NetworkError> {
    let (outs, lhs) = requant_tables::<F, E>(requant);
    // Tables: `eq(r, ·)` as a public matrix, the input, then the other addend (an add) and
    // the requantization's.
    let mut out_tables: Vec<(E, Placed<E>, &[F])> = Vec::new();
    if let Some(from) = other {
        let z = cx.zp.tensor::<E>(from)?.ok_or(NetworkError::Unsupported {
            layer: cx.l,
            what: "a residual add of the public input".into(),
        })?;
        out_tables.push((E::ONE, z, &cx.tensors[from]));
    }
    for (k, t) in &outs {
        out_tables.push((*k, cx.zp.table::<E>(*t), cx.segment(t)));
    }
    let mut tables = vec![cx.zp.table::<E>(Table::Advice(0)), cx.x_table.clone()];
    tables.extend(out_tables.iter().map(|(_, p, _)| p.clone()));
    let outputs: Vec<(E, &[F])> = out_tables.iter().map(|(k, _, t)| (*k, *t)).collect();
    let (fresh, off) = cx.fresh(0);
    let mask = Mask::from_entries(cx.out_vars + 1, fresh)
        .unwrap_or_else(|| unreachable!("the slot holds the step's mask"));
    let (proof, deferred) = dense::prove_matvec_zk(
        dense::MatVec {
            matrix: crate::poly::eq_table(cx.r),
            matrix_public: true,
            x: &cx.tensors[cx.tin],
            input_public: false,
        },
        &outputs,
        cx.r,
        lhs,
        &mask,
        &cx.masks(&tables),
        cx.t,
    );
    cx.finish(proof, deferred, &tables, off)
}

/// The verifier's side of [`prove_zk`].
fn verify_zk<F: BaseField, E: ExtField<F>>(
    cx: &mut ZkStepVerifier<'_, '_, F, E>,
    requant: &Requant,
    other: Option<usize>,
) -> Result<(), VerifyError> {
    let (outs, lhs) = requant_tables::<F, E>(requant);
    let mut weights = Vec::new();
    let mut tables = vec![cx.zp.table::<E>(Table::Advice(0)), cx.x_table.clone()];
    if let Some(from) = other {
        let z = cx
            .zp
            .tensor::<E>(from)
            .ok()
            .flatten()
            .ok_or(VerifyError::AdviceShape)?;
        weights.push(E::ONE);
        tables.push(z);
    }
    for (k, t) in &outs {
        weights.push(*k);
        tables.push(cx.zp.table::<E>(*t));
    }
    let r = cx.r;
    let eq_r = |rho: &[E]| crate::poly::eq_eval(r, rho);
    let proof = cx.next()?;
    let claims = dense::verify_matvec_zk::<F, E>(
        dense::MatVecNames {
            step: "add or ReLU (zero knowledge)",
            point: "add or ReLU (zero knowledge) point",
            input: "add or ReLU (zero knowledge) public input",
        },
        cx.out_vars,
        &weights,
        Some(&eq_r),
        None,
        r,
        lhs,
        dense::matvec_mask_degree(true, false, weights.len()),
        proof,
        cx.t,
    )
    .map_err(|e| cx.layer_err(e))?;
    cx.finish(claims, &tables, 0)
}

impl NetworkOp for Add {
    const KIND: &'static str = "layers: add";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        let (a, b) = (&w.ints[w.tin()], &w.ints[self.from]);
        Witnessed::Requantize {
            acc: a.iter().zip(b).map(|(a, b)| a + b).collect(),
            relu: false,
        }
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        masks(m, &self.requant, Some(self.from))
    }

    fn prove<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ProverCtx<'_, F, E>,
        l: usize,
        rq: Option<Requantized<'_, E>>,
    ) {
        let Some(rq) = rq else {
            unreachable!("the prover gives a requantizing step its point")
        };
        let tin = cx.plan.input(l);
        cx.eval_tensor(tin, rq.r);
        cx.eval_tensor(self.from, rq.r);
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        rq: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        let rq = rq.ok_or(VerifyError::AdviceShape)?;
        let tin = cx.plan.input(l);
        let a = cx.eval_tensor(tin, rq.r)?;
        let b = cx.eval_tensor(self.from, rq.r)?;
        if a + b != rq.acc {
            return Err(cx.err(LayerError::Relation {
                what: "residual sum",
            }));
        }
        Ok(())
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        prove_zk(cx, &self.requant, Some(self.from))
    }

    fn verify_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepVerifier<'_, '_, F, E>,
    ) -> Result<(), VerifyError> {
        verify_zk(cx, &self.requant, Some(self.from))
    }
}

impl NetworkOp for Relu {
    const KIND: &'static str = "layers: relu";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        Witnessed::Requantize {
            acc: w.ints[w.tin()].clone(),
            relu: true,
        }
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        masks(m, &self.requant, None)
    }

    fn prove<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ProverCtx<'_, F, E>,
        l: usize,
        rq: Option<Requantized<'_, E>>,
    ) {
        let Some(rq) = rq else {
            unreachable!("the prover gives a requantizing step its point")
        };
        let tin = cx.plan.input(l);
        cx.eval_tensor(tin, rq.r);
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        rq: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        let rq = rq.ok_or(VerifyError::AdviceShape)?;
        let tin = cx.plan.input(l);
        if cx.eval_tensor(tin, rq.r)? != rq.acc {
            return Err(cx.err(LayerError::Relation { what: "relu input" }));
        }
        Ok(())
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        prove_zk(cx, &self.requant, None)
    }

    fn verify_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepVerifier<'_, '_, F, E>,
    ) -> Result<(), VerifyError> {
        verify_zk(cx, &self.requant, None)
    }
}

/// The ReLU of a requantizing layer's output `y − n`: its `y`, committed by the layer before
/// (the requantization's range check and `y·n = 0` make it `max(q, 0)`); nothing to prove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FusedRelu;

impl NetworkOp for FusedRelu {
    const KIND: &'static str = "layers: other";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        Witnessed::Output(w.ints[w.tin()].iter().map(|&v| v.max(0)).collect())
    }

    fn zk_masks(&self, _: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        Ok(Vec::new())
    }

    nothing_to_prove!();
}

/// The plan of a residual add: its requantization (the addends' padded layouts must agree).
pub(crate) fn plan_add(
    a: &crate::model::Add,
    cx: &mut PlanStep<'_>,
) -> Result<Planned, NetworkError> {
    let tin = cx.tin;
    let input = cx.input.clone();
    let reads = cx.reads;
    let from = reads.get(1).copied().unwrap_or(tin);
    if cx.p.dims[from] != input {
        return Err(
            cx.unsupported("a residual add of tensors with different padded layouts".into())
        );
    }
    let requant =
        cx.p.requant(a.shift, input.num_vars(), cx.overflow(a.shift)?);
    let src = yn(&requant);
    Ok((Step::Add(Add { from, requant }), input, src))
}

/// The plan of a ReLU layer: free ([`FusedRelu`]) on a requantizing layer's output, else a requantization with shift 0 ([`Relu`]).
pub(crate) fn plan_relu(cx: &mut PlanStep<'_>) -> Result<Planned, NetworkError> {
    let tin = cx.tin;
    let input = cx.input.clone();
    // The ReLU of a requantizing layer's output `y − n` is its `y`, whichever
    // layer reads that output and however many do.
    let fused = tin > 0
        && cx.p.requant_of(tin - 1).is_some()
        && matches!(&cx.p.sources[tin], Source::Committed(t) if t.len() == 2);
    Ok(match (fused, cx.p.requant_of(tin.wrapping_sub(1))) {
        (true, Some(r)) => {
            let src = Source::Committed(vec![(r.y, 1)]);
            (Step::FusedRelu(FusedRelu), input, src)
        }
        _ => {
            let requant = cx.p.requant(0, input.num_vars(), 0);
            let src = Source::Committed(vec![(requant.y, 1)]);
            (Step::Relu(Relu { requant }), input, src)
        }
    })
}
