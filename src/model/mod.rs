//! The model IR (serde JSON), its validation and exact integer inference.
//!
//! A model is a DAG of layers over integer tensors: tensor 0 is the input, tensor `ℓ + 1` layer
//! `ℓ`'s output, and a layer reads the previous output unless its `input` names an earlier
//! tensor (an Add or a Mul also reads layer `from`'s output, a Concat its `inputs`). Every value is an `i64`; the proof
//! embeds them in the field as `p − |x|` for negative `x`.
//!
//! Quantization: activations lie in `(−2^{B−1}, 2^{B−1})` with `B = activation_bits` (the
//! symmetric range: −128 is excluded at 8 bits). Weights lie in `(−2^{W−1}, 2^{W−1})` with
//! `W = weight_bits`; biases are at the accumulator's scale and satisfy `|b| < 2^{31}`.
//! A *requantizing* layer (Conv2d, Dense, AvgPool2d, Add, Mul) computes an exact integer
//! accumulator `acc` and outputs `round_shift(acc, shift) = ⌊(acc + 2^{shift−1}) / 2^{shift}⌋`
//! (`acc` itself when `shift = 0`), which must lie in the activation range: inference reports
//! the layer and position otherwise (the calibration chose too small a shift).
//!
//! * [`ir`] — the types a JSON model deserializes into (unknown fields are rejected);
//! * [`validate`] — [`Model::validate`] (shapes, lengths, ranges; errors name the layer),
//!   [`Model::from_json`], [`Model::to_json`], [`Model::architecture_json`];
//! * [`infer`](mod@infer) — [`infer()`](fn@infer::infer) returns every layer's output and accumulator
//!   ([`Trace`]); [`check_trace`] names the first layer and position where a trace departs
//!   from it;
//! * [`file`](mod@file) — model files in two forms: one JSON file, or the architecture's JSON and a
//!   binary [`weights`] file next to it ([`file::load`], [`file::save`]);
//! * [`zoo`] — seeded LeNet-5, a small VGG and VGG-16 (CIFAR), and the DAGs a small ResNet and
//!   Fire modules, with random int8 weights and calibrated shifts.

pub mod activation;
pub mod file;
pub mod infer;
pub mod ir;
pub mod validate;
pub mod weights;
pub mod zoo;

pub use infer::{
    check_trace, infer, infer_output, round_shift, InferenceError, Trace, TraceTensor, WitnessError,
};
pub use ir::*;
pub use validate::{BitsField, ModelError};
