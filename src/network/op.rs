//! The operator interface (`spec/network.md`, "Operators"): every layer kind of a plan is one
//! type in its own module of [`crate::layers`] that implements [`NetworkOp`] — its witness, its
//! zero-knowledge masks, and its step in each of the four backward passes (transparent prover
//! and verifier, zero-knowledge prover and verifier). The passes are loops over the plan's
//! steps that call the operator through the registry, [`dispatch!`]: a new operator is a new
//! type, its `Step` variant, and one line there.
//!
//! A requantizing operator's step is given its fresh `layer-point` and the accumulator's value
//! there ([`Requantized`]); the requantization itself (the segments' values, the `y·n = 0`
//! zero-check) is the passes' common part ([`crate::layers::requant`]).
//!

use super::plan::{Plan, Source};
use super::prover::Ctx as ProverCtx;
use super::verifier::Ctx as VerifierCtx;
use super::zk::{ZkStepProver, ZkStepVerifier};
use super::{NetworkError, VerifyError};
use crate::field::{BaseField, ExtField};
use ndarray::ArrayD;

/// A requantizing step's fresh point `r` and its accumulator's value there.
#[derive(Clone, Copy)]
pub(crate) struct Requantized<'r, E> {
    /// The step's `layer-point`.
    pub(crate) r: &'r [E],
    /// `ãcc(r)`, from the requantization's segments.
    pub(crate) acc: E,
}

/// What an operator's witness step gives.
pub(crate) enum Witnessed {
    /// The accumulator (padded layout), which the step's requantization turns into its output:
    /// `y − n`, or `y` alone when `relu`.
    Requantize {
        /// The accumulator.
        acc: Vec<i64>,
        /// Whether the output is `y` (a ReLU) rather than `y − n`.
        relu: bool,
    },
    /// The output (padded layout), the operator's advice written.
    Output(Vec<i64>),
}

/// One layer of the witness: the tensors before it, the advice to fill, and the inference
/// engine's output of the layer.
pub(crate) struct WitnessStep<'w, F> {
    /// The plan.
    pub(crate) plan: &'w Plan,
    /// The layer.
    pub(crate) l: usize,
    /// The tensors so far (padded layout), the input first.
    pub(crate) ints: &'w [Vec<i64>],
    /// The advice segments.
    pub(crate) advice: &'w mut [Vec<F>],
    /// The engine's output of the layer (logical layout).
    pub(crate) out: &'w ArrayD<i64>,
    /// The engine's accumulator of a requantizing layer (logical layout).
    pub(crate) acc: Option<&'w [i64]>,
}

impl<F: BaseField> WitnessStep<'_, F> {
    /// The layer's input tensor.
    pub(crate) fn tin(&self) -> usize {
        self.plan.input(self.l)
    }

    /// The engine's output in the output's padded layout.
    pub(crate) fn padded_output(&self) -> Vec<i64> {
        let flat: Vec<i64> = self.out.iter().copied().collect();
        self.pad_output(&flat)
    }

    /// `values` (logical layout) in the output's padded layout.
    pub(crate) fn pad_output(&self, values: &[i64]) -> Vec<i64> {
        super::prover::pad(&self.plan.dims[self.l + 1], values)
    }

    /// The engine's accumulator of a requantizing layer (logical layout).
    pub(crate) fn accumulator(&self) -> Option<&[i64]> {
        self.acc
    }

    /// Writes `values` as advice segment `seg`.
    pub(crate) fn set(&mut self, seg: usize, values: &[i64]) {
        self.advice[seg] = super::prover::to_field(values);
    }
}

/// A layer's place in a zero-knowledge plan, for its masks.
pub(crate) struct MaskStep<'m> {
    /// The plan.
    pub(crate) plan: &'m Plan,
    /// The layer.
    pub(crate) l: usize,
    /// Whether the network's input is committed (hidden) rather than public.
    pub(crate) hidden_input: bool,
}

impl MaskStep<'_> {
    /// The layer's input tensor.
    pub(crate) fn tin(&self) -> usize {
        self.plan.input(self.l)
    }

    /// Its output's variables.
    pub(crate) fn out_vars(&self) -> usize {
        self.plan.dims[self.l + 1].num_vars()
    }

    /// Whether tensor `t` is the public input.
    pub(crate) fn public(&self, t: usize) -> bool {
        !self.hidden_input && self.plan.sources[t] == Source::Input
    }

    /// The refusal of what a zero-knowledge proof does not take.
    pub(crate) fn unsupported(&self, what: &str) -> NetworkError {
        NetworkError::Unsupported {
            layer: self.l,
            what: format!("{what} in a zero-knowledge proof (not yet)"),
        }
    }
}

/// A layer kind of the network: its witness, its zero-knowledge masks, and its step in each
/// backward pass. Every step reduces the claims on the layer's output (its fresh point for a
/// requantizing layer, the claims its readers left otherwise) to claims on its inputs and its
/// advice, adding to the proof through the pass's context.
pub(crate) trait NetworkOp {
    /// The prover phase its zero-knowledge step is timed under.
    const KIND: &'static str;

    /// Computes the layer's advice and output (or accumulator) from the tensors before it.
    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed;

    /// The lengths of the fresh masks of its zero-knowledge step, in slot order (the pass adds
    /// a requantizing step's `y·n = 0` zero-check's slot after them); refuses a layer the
    /// zero-knowledge proof does not take.
    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError>;

    /// The transparent prover's step (`rq` for a requantizing layer).
    fn prove<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ProverCtx<'_, F, E>,
        l: usize,
        rq: Option<Requantized<'_, E>>,
    );

    /// The transparent verifier's step.
    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        rq: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError>;

    /// The zero-knowledge prover's step.
    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError>;

    /// The zero-knowledge verifier's step.
    fn verify_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepVerifier<'_, '_, F, E>,
    ) -> Result<(), VerifyError>;
}

/// The registry: runs `$body` with `$op` bound to the step's operator, whatever its kind (every
/// kind of [`super::plan::Step`] implements [`NetworkOp`]). A new operator is one line here.
macro_rules! dispatch {
    ($step:expr, $op:ident => $body:expr) => {{
        use $crate::network::plan::Step;
        match $step {
            Step::Conv($op) => $body,
            Step::Dense($op) => $body,
            Step::AvgPool($op) => $body,
            Step::Add($op) => $body,
            Step::Mul($op) => $body,
            Step::Relu($op) => $body,
            Step::FusedRelu($op) => $body,
            Step::MaxPool($op) => $body,
            Step::MaxPoolWindow($op) => $body,
            Step::Activation($op) => $body,
            Step::Flatten($op) => $body,
            Step::Concat($op) => $body,
        }
    }};
}
pub(crate) use dispatch;

/// The prover phase operator `O`'s zero-knowledge step is timed under.
pub(crate) fn kind_of<O: NetworkOp>(_: &O) -> &'static str {
    O::KIND
}

/// The four backward-pass steps of an operator that proves nothing at its step (its relation
/// is proven elsewhere: a fused ReLU's by the requantization before it, an activation's by the
/// lookup after the range check), inside its `impl NetworkOp`.
macro_rules! nothing_to_prove {
    () => {
        fn prove<F: $crate::field::BaseField, E: $crate::field::ExtField<F>>(
            &self,
            _: &mut $crate::network::prover::Ctx<'_, F, E>,
            _: usize,
            _: Option<$crate::network::op::Requantized<'_, E>>,
        ) {
        }

        fn verify<F: $crate::field::BaseField, E: $crate::field::ExtField<F>>(
            &self,
            _: &mut $crate::network::verifier::Ctx<'_, F, E>,
            _: usize,
            _: Option<$crate::network::op::Requantized<'_, E>>,
        ) -> Result<(), $crate::network::VerifyError> {
            Ok(())
        }

        fn prove_zk<F: $crate::field::BaseField, E: $crate::field::ExtField<F>>(
            &self,
            _: &mut $crate::network::zk::ZkStepProver<'_, '_, F, E>,
        ) -> Result<(), $crate::network::NetworkError> {
            Ok(())
        }

        fn verify_zk<F: $crate::field::BaseField, E: $crate::field::ExtField<F>>(
            &self,
            _: &mut $crate::network::zk::ZkStepVerifier<'_, '_, F, E>,
        ) -> Result<(), $crate::network::VerifyError> {
            Ok(())
        }
    };
}
pub(crate) use nothing_to_prove;
