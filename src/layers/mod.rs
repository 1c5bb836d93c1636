//! The layer protocols: each maps a claim on a layer's output to claims on its inputs.
//!
//! Tensors live in a padded layout ([`Dims`]): every dimension is padded to a power of two and
//! the last dimension takes the least significant index bits, so a point on a `[c, h, w]`
//! tensor is `(x-coordinates, y-coordinates, channel coordinates)` in that order.
//!
//! Every protocol here reduces to one shape, the product sum-check [`prove_product`]: a claim
//! `Σ_x Π_i t_i(x) = v` over two or three tables, after which the prover sends each table's
//! value at the challenge point and the verifier checks that their product is the sum-check's
//! final value. Which of those values the verifier can compute itself (a wiring predicate, an
//! `eq` table) and which become claims on committed or earlier tensors is the layer's business:
//!
//! * [`dense`] — `acc = W·x`: Thaler's matrix–vector sum-check;
//! * [`conv`] — direct convolution in two product sum-checks (over input channels and kernel
//!   offsets, then over input positions against the convolution's index map), and window sums
//!   for average pooling;
//! * [`fft_conv`] — the same convolution statement by zkCNN's FFT method: one degree-3
//!   sum-check over frequencies and input channels (output selection, inverse FFT and the
//!   frequency-domain matmul in one), the kernel's sparse transform, and one sum-check for the
//!   input's FFT against the Fourier matrix's multilinear extension;
//! * [`maxpool`] — max-pooling of any window: the views of the input through the index maps,
//!   the padding indicators, and the reduction of view claims to one claim on the input;
//! * [`zero_check`] — the batched zero-check `Σ_x eq(r, x)·Σ_k c_k·a_k(x)·b_k(x) = 0` (the
//!   max-pool's chain of two-way maxima, requantization's `y·n = 0`, the model commitment's
//!   unused entries), transparent and in zero knowledge;
//! * [`mul`] — element-wise product `acc = a·b` (or `b` one value per channel), one degree-3
//!   product sum-check against `eq(r, ·)`;
//! * [`concat`](mod@concat) — channel concatenation: a claim on the (uncommitted) output split into one
//!   product sum-check per input over its channel variables;
//! * [`flatten`] — re-indexing `[c, h, w] → [c·h·w]` by one product sum-check;
//! * [`window`] — the one-dimensional index maps `i = o·s + d − p` that conv and pooling use,
//!   as prover tables and as multilinear extensions the verifier evaluates in `O(k·out)`.
//!
//! Requantization, ReLU and max-pooling are relations between committed tensors (zero-checks
//! and range checks) composed by [`crate::network`].
//!
//! Verifier functions deny indexing, `unwrap`, `expect` and `panic!`: they never panic on
//! proof data.

pub mod activation;
pub mod add;
pub mod avgpool;
pub mod concat;
pub mod conv;
pub mod dense;
pub mod fft_conv;
pub mod flatten;
pub mod maxpool;
pub mod mul;
pub mod requant;
pub mod window;
pub mod zero_check;

use crate::field::{BaseField, ExtField};
use crate::poly::Mle;
use crate::sumcheck::{self, Instance, SumcheckError, Term};
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

/// Why a layer protocol rejected a proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayerError {
    /// A sum-check failed.
    #[error("sum-check {step}: {source}")]
    Sumcheck {
        /// Which of the layer's sum-checks.
        step: &'static str,
        /// The failure.
        source: SumcheckError,
    },
    /// A message has the wrong number of values.
    #[error("{what}: {got} values; expected {expected}")]
    Count {
        /// Which message.
        what: &'static str,
        /// Values expected.
        expected: usize,
        /// Values present.
        got: usize,
    },
    /// The sent values' product is not the sum-check's final value.
    #[error("sum-check {step}: the sent values do not multiply to the final claim")]
    FinalProduct {
        /// Which of the layer's sum-checks.
        step: &'static str,
    },
    /// A value the verifier computes itself differs from the one sent.
    #[error("{what}: the sent value differs from the verifier's")]
    PublicValue {
        /// Which value.
        what: &'static str,
    },
    /// Sent values do not satisfy the layer's linear relation.
    #[error("{what}: the sent values do not satisfy the relation")]
    Relation {
        /// Which relation.
        what: &'static str,
    },
    /// The FFT path takes ordinary convolutions only; a grouped one takes the direct path.
    #[error("the FFT path does not take a convolution in {groups} channel groups")]
    GroupedFft {
        /// The convolution's group count.
        groups: usize,
    },
    /// A convolution's FFT layout needs more points than the field has roots of unity for.
    #[error("the FFT needs 2^{log_len} points; the field supports at most 2^{two_adicity}")]
    FftTooLarge {
        /// `log2` of the points needed (`usize::MAX` if the size overflows).
        log_len: usize,
        /// The field's two-adicity.
        two_adicity: u32,
    },
}

/// A tensor's padded layout: logical dimensions, outermost first, each padded to `2^{vars[d]}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Logical sizes.
    pub shape: Vec<usize>,
    /// Variables per dimension (`2^{vars[d]} ≥ shape[d]`).
    pub vars: Vec<usize>,
}

impl Dims {
    /// The tightest padding of `shape`.
    pub fn new(shape: &[usize]) -> Self {
        Self {
            shape: shape.to_vec(),
            vars: shape.iter().map(|&s| ceil_log2(s)).collect(),
        }
    }

    /// The layout of a batch of `2^batch_vars` tensors of this layout: a leading batch
    /// dimension of `2^batch_vars` entries (the top variables: `index = batch·2^n + position`);
    /// this layout itself for `batch_vars = 0`.
    pub fn batched(&self, batch_vars: usize) -> Self {
        if batch_vars == 0 {
            return self.clone();
        }
        let mut shape = vec![1usize << batch_vars];
        shape.extend_from_slice(&self.shape);
        let mut vars = vec![batch_vars];
        vars.extend_from_slice(&self.vars);
        Self { shape, vars }
    }

    /// The inverse of [`Dims::batched`]: one input's layout (the dimensions after the first
    /// when `batch_vars > 0` and the first is the batch's `2^batch_vars`; else unchanged).
    pub fn unbatched(&self, batch_vars: usize) -> Self {
        if batch_vars == 0 || self.vars.first() != Some(&batch_vars) {
            return self.clone();
        }
        Self {
            shape: self.shape[1..].to_vec(),
            vars: self.vars[1..].to_vec(),
        }
    }

    /// Total variables.
    pub fn num_vars(&self) -> usize {
        self.vars.iter().sum()
    }

    /// Padded length `2^{num_vars}`.
    pub fn len(&self) -> usize {
        1 << self.num_vars()
    }

    /// Whether the tensor has no entries (never, for a valid shape).
    pub fn is_empty(&self) -> bool {
        self.shape.contains(&0)
    }

    /// The padded index of a logical multi-index.
    pub fn index(&self, at: &[usize]) -> usize {
        at.iter()
            .zip(&self.vars)
            .fold(0, |acc, (&i, &v)| (acc << v) | i)
    }

    /// Number of logical entries.
    pub fn logical_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// The padded index of logical (row-major) position `flat`.
    pub fn padded_index(&self, flat: usize) -> usize {
        let mut rest = flat;
        let mut idx = 0;
        let mut shift = 0;
        for (&s, &v) in self.shape.iter().zip(&self.vars).rev() {
            idx |= (rest % s) << shift;
            rest /= s;
            shift += v;
        }
        idx
    }

    /// The multilinear extension of the indicator of the logical entries (1 there, 0 on the
    /// padding) at `point`: `Π_d lt(point_d, shape[d])`.
    pub fn valid_eval<E: ark_ff::Field>(&self, point: &[E]) -> E {
        self.split(point)
            .iter()
            .zip(&self.shape)
            .map(|(p, &s)| crate::poly::lt_eval(p, s))
            .product()
    }

    /// Splits a point into per-dimension parts, outermost dimension first.
    pub fn split<'a, E>(&self, point: &'a [E]) -> Vec<&'a [E]> {
        let mut parts = Vec::with_capacity(self.vars.len());
        let mut rest = point;
        for &v in self.vars.iter().rev() {
            let (a, b) = rest.split_at(v.min(rest.len()));
            parts.push(a);
            rest = b;
        }
        parts.reverse();
        parts
    }
}

/// `⌈log2 n⌉` (0 for `n ≤ 1`).
pub fn ceil_log2(n: usize) -> usize {
    n.max(1).next_power_of_two().trailing_zeros() as usize
}

/// A product sum-check and the tables' values at its point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ProductProof<E: Field> {
    /// The sum-check.
    pub sumcheck: sumcheck::Proof<E>,
    /// Each table's value at the sum-check's point.
    pub values: Vec<E>,
}

/// Proves `claim = Σ_x Π_i tables[i](x)` (2 or 3 tables of equal power-of-two length) and
/// sends the tables' values at the point. Returns the proof and the point.
pub fn prove_product<F: BaseField, E: ExtField<F>>(
    tables: Vec<Mle<F, E>>,
    claim: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>) {
    let k = tables.len();
    let instance = Instance::new(
        tables,
        vec![Term {
            coeff: E::ONE,
            factors: (0..k).collect(),
        }],
    )
    .unwrap_or_else(|e| unreachable!("product tables are well formed: {e}"));
    let out = sumcheck::prove(instance, claim, transcript);
    transcript.append_fields(b"product-values", &out.table_values);
    (
        ProductProof {
            sumcheck: out.proof,
            values: out.table_values,
        },
        out.point,
    )
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies a product sum-check over `num_vars` variables and `factors` tables; returns the
/// point and the tables' sent values, whose product has been checked.
pub fn verify_product<E: Field>(
    step: &'static str,
    num_vars: usize,
    factors: usize,
    claim: E,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, Vec<E>), LayerError> {
    let ev = sumcheck::verify(num_vars, factors, claim, &proof.sumcheck, transcript)
        .map_err(|source| LayerError::Sumcheck { step, source })?;
    if proof.values.len() != factors {
        return Err(LayerError::Count {
            what: step,
            expected: factors,
            got: proof.values.len(),
        });
    }
    transcript.append_fields(b"product-values", &proof.values);
    if proof.values.iter().product::<E>() != ev.value {
        return Err(LayerError::FinalProduct { step });
    }
    Ok((ev.point, proof.values.clone()))
}

/// `values[i]`, or a count error (for verifier code that may not index).
pub fn get<E: Copy>(values: &[E], i: usize, what: &'static str, n: usize) -> Result<E, LayerError> {
    if values.len() != n {
        return Err(LayerError::Count {
            what,
            expected: n,
            got: values.len(),
        });
    }
    values.get(i).copied().ok_or(LayerError::Count {
        what,
        expected: n,
        got: values.len(),
    })
}
