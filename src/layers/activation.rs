//! Element-wise activations by lookup (`spec/activation.md`): the output `y` of an `Activation`
//! layer is committed and range-checked, and the pair `(x, y)` joins the plan's one lookup
//! argument (after the range check), which proves `y = T_tag(x)` for every entry. The step
//! itself proves nothing, in any pass.

use crate::field::{BaseField, ExtField};
use crate::network::op::{MaskStep, NetworkOp, Requantized, WitnessStep, Witnessed};
use crate::network::plan::Source;
use crate::network::prover::Ctx as ProverCtx;
use crate::network::verifier::Ctx as VerifierCtx;
use crate::network::zk::{ZkStepProver, ZkStepVerifier};
use crate::network::{NetworkError, VerifyError};

/// An activation `y = T_tag(x)` by lookup: `y` is committed, range-checked as
/// `y + 2^{B−1} ∈ [0, 2^B)`, and the pair `(x, y)` looked up in the plan's table as function
/// `tag`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activation {
    /// Segment of `y`.
    pub y: usize,
    /// The function's index in the plan's lookup table ([`crate::network::plan::Lookup`]).
    pub tag: usize,
}

impl NetworkOp for Activation {
    const KIND: &'static str = "layers: other";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        let t = w.padded_output();
        w.set(self.y, &t);
        Witnessed::Output(t)
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        // Its lookup column combines `x` and `y`, which must lie on one commitment: the advice
        // (a public input's `x̃` is computed by the verifier; a committed input's would be on
        // its own commitment).
        if m.hidden_input && m.plan.sources[m.tin()] == Source::Input {
            return Err(m.unsupported("an activation of the committed input"));
        }
        Ok(Vec::new())
    }

    fn prove<F: BaseField, E: ExtField<F>>(
        &self,
        _: &mut ProverCtx<'_, F, E>,
        _: usize,
        _: Option<Requantized<'_, E>>,
    ) {
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        _: &mut VerifierCtx<'_, F, E>,
        _: usize,
        _: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        Ok(())
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        _: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        Ok(())
    }

    fn verify_zk<F: BaseField, E: ExtField<F>>(
        &self,
        _: &mut ZkStepVerifier<'_, '_, F, E>,
    ) -> Result<(), VerifyError> {
        Ok(())
    }
}
