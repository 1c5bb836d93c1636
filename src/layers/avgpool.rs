//! Average pooling (`spec/pooling.md`): the window sum `S` of each output position (a
//! convolution of one all-ones kernel per channel, [`super::conv::prove_window_sum`]), then the
//! requantization of `acc = m·S + c` — an exact division by the pool's divisor when it is not a
//! power of two ([`crate::model::Division`]), `m = 1`, `c = 0` otherwise. At the step's point
//! `r` the window sum's claim is `S̃(r) = (ãcc(r) − c)·m^{−1}`.

use super::conv::{self, ConvShape};
use super::requant::Requant;
use super::Dims;
use crate::field::{BaseField, ExtField};
use crate::network::op::{MaskStep, NetworkOp, Requantized, WitnessStep, Witnessed};
use crate::network::plan::{yn, PlanStep, Planned, Step};
use crate::network::prover::{window_sum_of, Ctx as ProverCtx};
use crate::network::verifier::Ctx as VerifierCtx;
use crate::network::zk::{window_requant_tables, ZkStepProver, ZkStepVerifier};
use crate::network::{NetworkError, VerifyError};

/// An average pool: window sums `S`, then the requantization of `acc = multiplier·S + offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvgPool {
    /// Geometry.
    pub shape: ConvShape,
    /// Requantization.
    pub requant: Requant,
    /// `m` (1 for a power-of-two divisor).
    pub multiplier: i64,
    /// `c` (0 for a power-of-two divisor), added on every entry, padding included.
    pub offset: i64,
}

impl NetworkOp for AvgPool {
    const KIND: &'static str = "layers: avg-pool";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        let acc = w
            .accumulator()
            .unwrap_or_else(|| unreachable!("a pool has an accumulator"));
        // An exact division's offset is on every entry, the padding's too.
        let sums: Vec<i64> = acc.iter().map(|a| a - self.offset).collect();
        let acc = w
            .pad_output(&sums)
            .into_iter()
            .map(|s| s + self.offset)
            .collect();
        Witnessed::Requantize { acc, relu: false }
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        Ok(vec![conv::window_sum_zk_mask_len(
            &self.shape,
            m.public(m.tin()),
        )])
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
        let sum = window_sum_of::<F, E>(rq.acc, self.multiplier, self.offset);
        let (proof, point, xv) =
            conv::prove_window_sum(&self.shape, &cx.tensors[tin], rq.r, sum, cx.t);
        cx.products.push(proof);
        cx.claim_tensor(tin, &point, xv);
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        rq: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        let rq = rq.ok_or(VerifyError::AdviceShape)?;
        let proof = cx.product()?;
        let sum = window_sum_of::<F, E>(rq.acc, self.multiplier, self.offset);
        let (point, xv) =
            conv::verify_window_sum(&self.shape, rq.r, sum, proof, cx.t).map_err(|e| cx.err(e))?;
        cx.claim_tensor(cx.plan.input(l), &point, xv)
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        let (outs, lhs) =
            window_requant_tables::<F, E>(&self.requant, self.multiplier, self.offset);
        let mut tables = vec![cx.x_table.clone()];
        tables.extend(outs.iter().map(|(_, t)| cx.zp.table::<E>(*t)));
        let out_w: Vec<(E, &[F])> = outs.iter().map(|(k, t)| (*k, cx.segment(t))).collect();
        let (fresh, off) = cx.fresh(0);
        // `r = (r_out, r_b)`: a batch's tables are folded at `r_b`.
        let (r, r_b) = cx.r.split_at(cx.r.len() - cx.zp.plan.batch_vars);
        let (proof, deferred) = conv::prove_window_sum_zk_batched(
            &self.shape,
            &cx.tensors[cx.tin],
            cx.x_public,
            &out_w,
            (r, r_b),
            lhs,
            fresh,
            &cx.masks(&tables),
            cx.t,
        );
        cx.finish(proof, deferred, &tables, off)
    }

    fn verify_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepVerifier<'_, '_, F, E>,
    ) -> Result<(), VerifyError> {
        let (outs, lhs) =
            window_requant_tables::<F, E>(&self.requant, self.multiplier, self.offset);
        let mut tables = vec![cx.x_table.clone()];
        tables.extend(outs.iter().map(|(_, t)| cx.zp.table::<E>(*t)));
        let out_w: Vec<E> = outs.iter().map(|(k, _)| *k).collect();
        let proof = cx.next()?;
        // `r = (r_out, r_b)`: a batch's tables were folded at `r_b`.
        let (r, r_b) =
            cx.r.split_at_checked(cx.r.len().wrapping_sub(cx.zp.plan.batch_vars))
                .ok_or(VerifyError::AdviceShape)?;
        let claims = conv::verify_window_sum_zk_batched::<F, E>(
            &self.shape,
            &out_w,
            cx.input_table,
            (r, r_b),
            lhs,
            proof,
            cx.t,
        )
        .map_err(|e| cx.layer_err(e))?;
        cx.finish(claims, &tables, 0)
    }
}

/// The plan of an average pool: its window sums' geometry and the requantization of its exact division.
pub(crate) fn plan(
    a: &crate::model::AvgPool2d,
    cx: &mut PlanStep<'_>,
) -> Result<Planned, NetworkError> {
    let input = cx.input.clone();
    let out_shape = cx.out_shape;
    let bits = cx.bits;
    let output = cx.padded(Dims::new(out_shape));
    let shape = ConvShape {
        input: input.clone(),
        output: output.clone(),
        wy: cx.window(a.size, a.stride, 0, 1),
        wx: cx.window(a.size, a.stride, 0, 2),
        groups: 1,
    };
    let amax = crate::model::validate::max_abs(bits);
    let Some(d) = a.division(amax) else {
        unreachable!("validated: the model's divisions are in range")
    };
    let requant =
        cx.p.requant(d.shift, output.num_vars(), cx.overflow(d.shift)?);
    let src = yn(&requant);
    let step = Step::AvgPool(AvgPool {
        shape,
        requant,
        multiplier: d.multiplier,
        offset: d.offset,
    });
    Ok((step, output, src))
}
