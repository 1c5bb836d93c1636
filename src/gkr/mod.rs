//! GKR for layered arithmetic circuits, with Libra's linear-time two-phase prover
//! (Xie–Zhang–Zhang–Papamanthou–Song, eprint 2019/317).
//!
//! A circuit has an input layer `V_0` and layers `1..=L`; gate `z` of layer `i` computes
//! `V_i(z) = W_i(l) ∘ W_i(r)` with `∘ ∈ {+, ×}`, where `W_i` is the *source* of layer `i`: the
//! previous layer `V_{i-1}`, or — when the layer also reads the circuit's input directly, as zkCNN
//! needs for weights and advice — the concatenation of both behind a selector variable:
//!
//! ```text
//!     W_i(x, s) = (1 − s) · V_{i-1}(x) + s · V_0(x)        (each zero-padded to 2^m entries)
//! ```
//!
//! Claims `Ṽ_i(g_k) = y_k` (one on the output, two on every other layer) merge into
//! `Σ_k α_k Ṽ_i(g_k)` with `α_0 = 1` and fresh challenges `α_k`. With `G(z) = Σ_k α_k eq(g_k, z)`,
//!
//! ```text
//!  Σ_k α_k y_k = Σ_{u,v} add_G(u,v)·(W(u) + W(v)) + mul_G(u,v)·W(u)·W(v),
//!      add_G(u,v) = Σ_z G(z)·add(z,u,v),   mul_G likewise,
//! ```
//!
//! proven by two sum-checks of degree 2: over `u` (phase 1), then over `v` with `u = u*` fixed
//! (phase 2). The prover sends `W(u*)` and `W(v*)` split into their `V_{i-1}` and `V_0` parts; the
//! verifier evaluates `add_G(u*, v*)` and `mul_G(u*, v*)` from the wiring itself and checks the
//! phase-2 claim. Claims on `V_0` are returned to the caller, who discharges them (by evaluating a
//! public input, or through a polynomial commitment). See `spec/gkr.md`.

use crate::codec::{self, DecodeError};
use crate::field::MulAcc;
use crate::parallel::for_each_chunk_mut;
use crate::poly::combined_eq;
use crate::sumcheck::{self, EvaluationClaim, SumcheckError};
use crate::transcript::TranscriptExt;
use ark_ff::{Field, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

mod prover;
mod verifier;

pub use prover::prove;
pub use verifier::{check_input_claims, verify};

/// A gate's operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `left + right`.
    Add,
    /// `left · right`.
    Mul,
}

/// Where a gate's input comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    /// Entry of the previous layer's output (of the circuit input, for the first layer).
    Prev(usize),
    /// Entry of the circuit's input layer `V_0` (not allowed in the first layer: use `Prev`).
    Input(usize),
}

/// One gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    /// The operation.
    pub op: Op,
    /// Left input.
    pub left: Wire,
    /// Right input.
    pub right: Wire,
}

/// One layer: gate `z` produces output entry `z`; the output is zero-padded to a power of two.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// The gates.
    pub gates: Vec<Gate>,
}

/// A layered circuit: `layers[0]` reads the input, the last layer is the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Circuit {
    /// Number of input entries (zero-padded to a power of two).
    pub input_len: usize,
    /// The layers, from the input side to the output.
    pub layers: Vec<Layer>,
}

/// A circuit that cannot be evaluated or proven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CircuitError {
    /// The circuit has no layers.
    #[error("the circuit has no layers")]
    NoLayers,
    /// A layer has no gates.
    #[error("layer {layer} has no gates")]
    EmptyLayer {
        /// Which layer (0 = first after the input).
        layer: usize,
    },
    /// A wire points past the end of the layer it reads.
    #[error(
        "layer {layer}, gate {gate}: wire {wire:?} is out of range (source has {len} entries)"
    )]
    WireOutOfRange {
        /// Which layer.
        layer: usize,
        /// Which gate.
        gate: usize,
        /// The wire.
        wire: Wire,
        /// Entries in the source it names.
        len: usize,
    },
    /// The first layer uses `Wire::Input`; its previous layer is the input, so `Prev` is meant.
    #[error("layer 0, gate {gate}: the first layer reads the input through Wire::Prev")]
    InputWireInFirstLayer {
        /// Which gate.
        gate: usize,
    },
    /// The input has the wrong length.
    #[error("the circuit takes {expected} inputs; got {got}")]
    InputLength {
        /// Inputs expected.
        expected: usize,
        /// Inputs given.
        got: usize,
    },
}

pub(crate) fn log2_ceil(n: usize) -> usize {
    n.max(1).next_power_of_two().trailing_zeros() as usize
}

/// The shape of one layer's source `W`, derived from the circuit alone.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Source {
    /// Variables of the previous layer, `V_{i-1}`.
    pub(crate) prev_vars: usize,
    /// Variables of the input layer, `V_0`, when the layer reads it.
    pub(crate) input_vars: Option<usize>,
}

impl Source {
    /// Variables of `W` without the selector.
    pub(crate) fn inner_vars(&self) -> usize {
        self.prev_vars.max(self.input_vars.unwrap_or(0))
    }

    /// Variables of `W`.
    pub(crate) fn vars(&self) -> usize {
        self.inner_vars() + usize::from(self.input_vars.is_some())
    }

    /// Index of a wire in `W`'s table.
    pub(crate) fn index(&self, w: Wire) -> usize {
        match w {
            Wire::Prev(j) => j,
            Wire::Input(j) => (1 << self.inner_vars()) + j,
        }
    }

    /// Builds `W`'s table from the previous layer and the input.
    pub(crate) fn table<F: PrimeField>(&self, prev: &[F], input: &[F]) -> Vec<F> {
        if self.input_vars.is_none() {
            return prev.to_vec();
        }
        let half = 1 << self.inner_vars();
        let mut w = vec![F::ZERO; 2 * half];
        w[..prev.len()].copy_from_slice(prev);
        w[half..half + input.len()].copy_from_slice(input);
        w
    }

    /// `W(point)` from `V_{i-1}(point[..prev_vars])` and `V_0(point[..input_vars])`.
    /// `None` when the values do not fit the source's shape (or the point is too short).
    pub(crate) fn combine<E: Field>(&self, point: &[E], values: &SourceValues<E>) -> Option<E> {
        let m = self.inner_vars();
        // Zero padding from `k` to `m` variables multiplies by Π_{k ≤ j < m} (1 − x_j).
        let pad = |k: usize| {
            point
                .get(k..m)
                .map(|p| p.iter().map(|&x| E::ONE - x).product::<E>())
        };
        match (self.input_vars, values.input) {
            (None, None) => Some(values.prev),
            (Some(k), Some(input)) => {
                let s = *point.get(m)?;
                Some((E::ONE - s) * pad(self.prev_vars)? * values.prev + s * pad(k)? * input)
            }
            _ => None,
        }
    }
}

impl Circuit {
    /// Checks that every wire is in range and the first layer reads no `Input` wire.
    pub fn validate(&self) -> Result<(), CircuitError> {
        if self.layers.is_empty() {
            return Err(CircuitError::NoLayers);
        }
        let mut prev_len = self.input_len;
        for (layer, l) in self.layers.iter().enumerate() {
            if l.gates.is_empty() {
                return Err(CircuitError::EmptyLayer { layer });
            }
            for (gate, g) in l.gates.iter().enumerate() {
                for wire in [g.left, g.right] {
                    let len = match wire {
                        Wire::Prev(_) => prev_len,
                        Wire::Input(_) if layer == 0 => {
                            return Err(CircuitError::InputWireInFirstLayer { gate })
                        }
                        Wire::Input(_) => self.input_len,
                    };
                    let (Wire::Prev(j) | Wire::Input(j)) = wire;
                    if j >= len {
                        return Err(CircuitError::WireOutOfRange {
                            layer,
                            gate,
                            wire,
                            len,
                        });
                    }
                }
            }
            prev_len = l.gates.len();
        }
        Ok(())
    }

    /// Number of variables of `V_i` (`i = 0` is the input).
    pub fn layer_vars(&self, i: usize) -> usize {
        match i {
            0 => log2_ceil(self.input_len),
            i => log2_ceil(self.layers[i - 1].gates.len()),
        }
    }

    /// The number of gates, over all layers.
    pub fn num_gates(&self) -> usize {
        self.layers.iter().map(|l| l.gates.len()).sum()
    }

    pub(crate) fn source(&self, layer: usize) -> Source {
        let reads_input = self.layers[layer]
            .gates
            .iter()
            .any(|g| matches!(g.left, Wire::Input(_)) || matches!(g.right, Wire::Input(_)));
        Source {
            prev_vars: self.layer_vars(layer),
            input_vars: reads_input.then(|| self.layer_vars(0)),
        }
    }

    /// Evaluates the circuit: `V_0, V_1, …, V_L`, each zero-padded to a power of two.
    pub fn evaluate<F: PrimeField>(&self, input: &[F]) -> Result<Vec<Vec<F>>, CircuitError> {
        self.validate()?;
        if input.len() != self.input_len {
            return Err(CircuitError::InputLength {
                expected: self.input_len,
                got: input.len(),
            });
        }
        let mut v0 = input.to_vec();
        v0.resize(1 << self.layer_vars(0), F::ZERO);
        let mut values = vec![v0];
        for (i, layer) in self.layers.iter().enumerate() {
            let (prev, input) = (&values[i], &values[0]);
            let read = |w: Wire| match w {
                Wire::Prev(j) => prev[j],
                Wire::Input(j) => input[j],
            };
            let mut out = vec![F::ZERO; layer.gates.len()];
            for_each_chunk_mut(&mut out, |start, chunk| {
                for (o, g) in chunk.iter_mut().zip(&layer.gates[start..]) {
                    *o = match g.op {
                        Op::Add => read(g.left) + read(g.right),
                        Op::Mul => read(g.left) * read(g.right),
                    };
                }
            });
            out.resize(1 << self.layer_vars(i + 1), F::ZERO);
            values.push(out);
        }
        Ok(values)
    }
}

/// `W(u)` split into its parts: `V_{i-1}` at the point's first variables, and `V_0` when read.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct SourceValues<E: Field> {
    /// `Ṽ_{i-1}` at the point restricted to its variables.
    pub prev: E,
    /// `Ṽ_0` at the point restricted to its variables, for layers that read the input.
    pub input: Option<E>,
}

/// The proof for one layer.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LayerProof<E: Field> {
    /// Sum-check over `u`.
    pub phase1: sumcheck::Proof<E>,
    /// `W(u*)`, split.
    pub at_u: SourceValues<E>,
    /// Sum-check over `v`.
    pub phase2: sumcheck::Proof<E>,
    /// `W(v*)`, split.
    pub at_v: SourceValues<E>,
}

/// A GKR proof: one layer proof per circuit layer, from the output down to the first layer.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof<E: Field> {
    /// Layer proofs, output layer first.
    pub layers: Vec<LayerProof<E>>,
}

/// Why the verifier rejected a GKR proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GkrError {
    /// The circuit itself is malformed.
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    /// The claimed output has the wrong length.
    #[error("the circuit has {expected} outputs; {got} were claimed")]
    OutputLength {
        /// Outputs of the circuit.
        expected: usize,
        /// Outputs claimed.
        got: usize,
    },
    /// The proof has the wrong number of layer proofs.
    #[error("the proof has {got} layer proofs; the circuit has {expected} layers")]
    LayerCount {
        /// Layers in the circuit.
        expected: usize,
        /// Layer proofs in the proof.
        got: usize,
    },
    /// A layer's sum-check was rejected.
    #[error("layer {layer}, phase {phase}: {source}")]
    Sumcheck {
        /// Which layer (0 = first after the input).
        layer: usize,
        /// 1 (over u) or 2 (over v).
        phase: u8,
        /// The sum-check's error.
        source: SumcheckError,
    },
    /// A layer's source values do not fit its shape (an input value where none is read, or the
    /// reverse).
    #[error("layer {layer}: the proof's source values do not match the layer's shape")]
    SourceShape {
        /// Which layer.
        layer: usize,
    },
    /// The phase-2 claim does not match the wiring applied to the claimed source values.
    #[error("layer {layer}: the final check failed")]
    LayerCheck {
        /// Which layer.
        layer: usize,
    },
    /// A claim on the input does not hold.
    #[error("input claim {index} does not hold")]
    InputClaim {
        /// Which claim, in the order [`verify`] returned them.
        index: usize,
    },
    /// The proof bytes do not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl<E: Field> Proof<E> {
    /// The proof as bytes (ark-serialize, compressed).
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::to_bytes(self)
    }

    /// Decodes a proof; any malformed, non-canonical or over-long input is an error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GkrError> {
        Ok(codec::from_bytes(bytes)?)
    }
}

/// What the prover returns: the output, the proof, and the claims on the input it leaves.
#[derive(Clone, Debug)]
pub struct ProverOutput<F, E: Field> {
    /// The circuit's output (unpadded).
    pub output: Vec<F>,
    /// The proof.
    pub proof: Proof<E>,
    /// Claims on `Ṽ_0`, in the order the verifier returns them.
    pub input_claims: Vec<EvaluationClaim<E>>,
}

pub(crate) fn absorb_statement<F: PrimeField>(t: &mut Transcript, circuit: &Circuit, output: &[F]) {
    let mut params = vec![circuit.input_len as u64, circuit.layers.len() as u64];
    params.extend(circuit.layers.iter().map(|l| l.gates.len() as u64));
    t.domain_separator(b"gkr", &params);
    t.append_fields(b"gkr-output", output);
}

pub(crate) fn merge_coefficients<E: Field>(t: &mut Transcript, claims: usize) -> Vec<E> {
    let mut alpha = vec![E::ONE];
    alpha.extend(t.challenge_fields::<E>(b"gkr-merge", claims - 1));
    alpha
}

pub(crate) fn absorb_values<E: Field>(t: &mut Transcript, v: &SourceValues<E>) {
    t.append_field(b"gkr-prev", &v.prev);
    if let Some(x) = &v.input {
        t.append_field(b"gkr-input", x);
    }
}

/// `G(z) = Σ_k α_k eq(g_k, z)` over the layer's `2^n` outputs.
pub(crate) fn merged_eq<E: MulAcc>(claims: &[EvaluationClaim<E>], alpha: &[E], n: usize) -> Vec<E> {
    let points: Vec<Vec<E>> = claims.iter().map(|c| c.point.clone()).collect();
    combined_eq(&points, alpha, n)
}

/// Claims for the next layer down; claims on the input are pushed to `input_claims`.
pub(crate) fn next_claims<E: Field>(
    src: &Source,
    u: &[E],
    at_u: &SourceValues<E>,
    v: &[E],
    at_v: &SourceValues<E>,
    input_claims: &mut Vec<EvaluationClaim<E>>,
) -> Vec<EvaluationClaim<E>> {
    let prefix = |p: &[E], k: usize| p.iter().take(k).copied().collect::<Vec<E>>();
    if let Some(k) = src.input_vars {
        for (p, vals) in [(u, at_u), (v, at_v)] {
            if let Some(x) = vals.input {
                input_claims.push(EvaluationClaim {
                    point: prefix(p, k),
                    value: x,
                });
            }
        }
    }
    let n = src.prev_vars;
    vec![
        EvaluationClaim {
            point: prefix(u, n),
            value: at_u.prev,
        },
        EvaluationClaim {
            point: prefix(v, n),
            value: at_v.prev,
        },
    ]
}
