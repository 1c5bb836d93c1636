//! Element-wise activations by lookup (`spec/activation.md`): the output `y` of an `Activation`
//! layer is committed and range-checked, and the pair `(x, y)` joins the plan's one lookup
//! argument (after the range check), which proves `y = T_tag(x)` for every entry. The step
//! itself proves nothing, in any pass.

use crate::field::BaseField;
use crate::network::op::{nothing_to_prove, MaskStep, NetworkOp, WitnessStep, Witnessed};
use crate::network::plan::{Column, Operand, PlanStep, Planned, Source, Step, View};
use crate::network::NetworkError;

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

    nothing_to_prove!();
}

/// The plan of an activation by lookup: its output segment, range columns and lookup column, the function's tag in the plan's table.
pub(crate) fn plan(
    a: &crate::model::Activation,
    cx: &mut PlanStep<'_>,
) -> Result<Planned, NetworkError> {
    let l = cx.l;
    let tin = cx.tin;
    let input = cx.input.clone();
    let bits = cx.bits;
    let batch_vars = cx.batch_vars;
    // The lookup's claim on `x` comes after the backward pass: `x` must be
    // committed or the input, never derived.
    if cx.p.sources[tin] == Source::Derived {
        return Err(cx.unsupported(format!(
            "an activation ({}) of a tensor that is not committed (a flatten's \
             or a concatenation's output)",
            a.function
        )));
    }
    let tag = match cx.functions.iter().position(|f| *f == a.function) {
        Some(t) => t,
        None => {
            cx.functions.push(a.function.clone());
            cx.functions.len() - 1
        }
    };
    let tag_bits = cx.functions.len().next_power_of_two().trailing_zeros();
    if bits + tag_bits > crate::range::MAX_BITS as u32 {
        return Err(cx.unsupported(format!(
            "a {}th distinct activation function at {bits} activation bits \
             (the lookup table would exceed 2^{} entries)",
            cx.functions.len(),
            crate::range::MAX_BITS
        )));
    }
    let nv = input.num_vars();
    let y = cx.p.advice_seg(nv);
    let off = 1i64 << (bits - 1);
    let valid = Operand::Valid(l + 1);
    cx.p.column(vec![(Operand::Seg(y), 1), (valid, off)], nv);
    // With a wider table, also `2^{T−B}·(y + 2^{B−1})`: `y` in the activation
    // range, so that the lookup's encoding `x + 2^B·y + …` is one-to-one.
    if cx.p.table_bits > bits {
        let c = 1i64 << (cx.p.table_bits - bits);
        cx.p.column(vec![(Operand::Seg(y), c), (valid, off * c)], nv);
    }
    let view = Operand::View(View {
        tensor: tin,
        offset: None,
    });
    let c = off * (1 + (1i64 << bits)) + ((tag as i64) << (2 * bits));
    // In a batch, the slots' lookup columns are one column `2^b` times longer.
    cx.lookup_columns.push(Column {
        terms: vec![(view, 1), (Operand::Seg(y), 1i64 << bits), (valid, c)],
        vars: nv + batch_vars,
    });
    let src = Source::Committed(vec![(y, 1)]);
    let step = Step::Activation(Activation { y, tag });
    Ok((step, input, src))
}
