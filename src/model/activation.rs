//! Element-wise activations given by a public table over the activation range
//! (`spec/activation.md`).
//!
//! A [`Function`] maps an integer activation `x ∈ [−L, L]` (`L = 2^{B−1} − 1`) to
//! `T(x) ∈ [−L, L]`. [`table`] computes `T` over the whole range, once, and is the only
//! definition: the inference, the prover and the verifier all call it.
//!
//! **Determinism.** The piecewise-linear functions ([`Function::Clip`],
//! [`Function::LeakyRelu`], [`Function::HardSigmoid`], [`Function::HardSwish`]) are exact
//! integer arithmetic. The smooth ones ([`Function::Sigmoid`], [`Function::Tanh`],
//! [`Function::Silu`], [`Function::Gelu`], [`Function::GeluTanh`]) are evaluated in `f64` with only `+`, `−`, `×`, `÷`, comparisons and
//! `round` (halves away from zero): IEEE 754 specifies each of them exactly (correctly rounded),
//! and Rust never contracts them into fused multiply-adds, so every platform with IEEE `f64`
//! arithmetic gets the same bits. `exp` and `erf` are built from those operations ([`exp`],
//! [`erf`]), never the platform's `libm`.
//!
//! ```
//! use zkcnn::model::activation::{table, Function};
//! // ReLU6 on activations with 4 fractional bits: 6.0 is 96.
//! let t = table(&Function::Clip { min: 0, max: 96 }, 8);
//! assert_eq!(t.len(), 255); // x = −127 … 127
//! assert_eq!((t[0], t[127], t[127 + 50], t[254]), (0, 0, 50, 96));
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest fractional bits of a smooth function's input or output scale.
pub const MAX_FRAC_BITS: u32 = 30;

/// The fixed-point unit of a piecewise-linear function's real parameters (`alpha`, `beta`):
/// they are integers in units of `2^−PARAM_FRAC_BITS`.
pub const PARAM_FRAC_BITS: u32 = 16;

/// The largest magnitude of a real parameter, in units of `2^−PARAM_FRAC_BITS` (so `|α| ≤ 2^8`).
pub const MAX_PARAM: i64 = 1 << 24;

/// An element-wise function of integer activations. `in_frac_bits = a` and `out_frac_bits = b`
/// are the fixed-point scales: the integer `x` stands for the real `x·2^−a`, and the output is
/// `round(f(x·2^−a)·2^b)` (halves away from zero), clamped to `[−L, L]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "name", deny_unknown_fields)]
pub enum Function {
    /// `clamp(x, min, max)` on the integers (ONNX `Clip`; ReLU6 is `min = 0`,
    /// `max = 6·2^a`); the output keeps the input's scale.
    Clip {
        /// Lower bound (an integer activation).
        min: i64,
        /// Upper bound, at least `min`.
        max: i64,
    },
    /// `x` for `x ≥ 0`, else `round(alpha·x / 2^16)` (ONNX `LeakyRelu`, slope
    /// `alpha·2^−16`); the output keeps the input's scale.
    LeakyRelu {
        /// The slope in units of `2^−16`.
        alpha: i64,
    },
    /// `max(0, min(1, α·v + β))` (ONNX `HardSigmoid`; defaults `α = 0.2`, `β = 0.5`), with
    /// `α = alpha·2^−16` and `β = beta·2^−16`, exact.
    HardSigmoid {
        /// `α` in units of `2^−16`.
        alpha: i64,
        /// `β` in units of `2^−16`.
        beta: i64,
        /// Input scale `a`.
        in_frac_bits: u32,
        /// Output scale `b`.
        out_frac_bits: u32,
    },
    /// `v · max(0, min(1, v/6 + 1/2))` (ONNX `HardSwish`), exact.
    HardSwish {
        /// Input scale `a`.
        in_frac_bits: u32,
        /// Output scale `b`.
        out_frac_bits: u32,
    },
    /// `1 / (1 + e^{−v})`.
    Sigmoid {
        /// Input scale `a`.
        in_frac_bits: u32,
        /// Output scale `b`.
        out_frac_bits: u32,
    },
    /// `tanh(v)`.
    Tanh {
        /// Input scale `a`.
        in_frac_bits: u32,
        /// Output scale `b`.
        out_frac_bits: u32,
    },
    /// `v · sigmoid(v)` (SiLU, Swish; ONNX `Mul(x, Sigmoid(x))`).
    Silu {
        /// Input scale `a`.
        in_frac_bits: u32,
        /// Output scale `b`.
        out_frac_bits: u32,
    },
    /// `v · Φ(v) = v·(1 + erf(v/√2))/2` (GELU; ONNX `Gelu` with `approximate = "none"`), by
    /// [`erf`].
    Gelu {
        /// Input scale `a`.
        in_frac_bits: u32,
        /// Output scale `b`.
        out_frac_bits: u32,
    },
    /// `v·(1 + tanh(√(2/π)·(v + 0.044715·v³)))/2` (GELU's tanh approximation; ONNX `Gelu` with
    /// `approximate = "tanh"`), by [`tanh`].
    GeluTanh {
        /// Input scale `a`.
        in_frac_bits: u32,
        /// Output scale `b`.
        out_frac_bits: u32,
    },
}

/// Why a function's parameters are refused ([`Function::check`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FunctionError {
    /// `min > max` in a clip.
    #[error("Clip with min {min} > max {max}")]
    ClipBounds {
        /// `min`.
        min: i64,
        /// `max`.
        max: i64,
    },
    /// A fractional-bits scale beyond [`MAX_FRAC_BITS`].
    #[error("{name}: {which} = {bits} is beyond {MAX_FRAC_BITS}")]
    FracBits {
        /// The function.
        name: &'static str,
        /// `in_frac_bits` or `out_frac_bits`.
        which: &'static str,
        /// The value.
        bits: u32,
    },
    /// A real parameter beyond [`MAX_PARAM`] in magnitude.
    #[error("{name}: |{which}| = {value} is beyond {MAX_PARAM} (units of 2^-16)")]
    Param {
        /// The function.
        name: &'static str,
        /// The parameter.
        which: &'static str,
        /// Its value.
        value: i64,
    },
}

impl Function {
    /// The function's name, as in the JSON `name` tag.
    pub fn name(&self) -> &'static str {
        match self {
            Function::Clip { .. } => "Clip",
            Function::LeakyRelu { .. } => "LeakyRelu",
            Function::HardSigmoid { .. } => "HardSigmoid",
            Function::HardSwish { .. } => "HardSwish",
            Function::Sigmoid { .. } => "Sigmoid",
            Function::Tanh { .. } => "Tanh",
            Function::Silu { .. } => "Silu",
            Function::Gelu { .. } => "Gelu",
            Function::GeluTanh { .. } => "GeluTanh",
        }
    }

    /// The input and output scales `(a, b)`; `None` for the functions that keep the input's.
    pub fn scales(&self) -> Option<(u32, u32)> {
        match *self {
            Function::Clip { .. } | Function::LeakyRelu { .. } => None,
            Function::HardSigmoid {
                in_frac_bits,
                out_frac_bits,
                ..
            }
            | Function::HardSwish {
                in_frac_bits,
                out_frac_bits,
            }
            | Function::Sigmoid {
                in_frac_bits,
                out_frac_bits,
            }
            | Function::Tanh {
                in_frac_bits,
                out_frac_bits,
            }
            | Function::Silu {
                in_frac_bits,
                out_frac_bits,
            }
            | Function::Gelu {
                in_frac_bits,
                out_frac_bits,
            }
            | Function::GeluTanh {
                in_frac_bits,
                out_frac_bits,
            } => Some((in_frac_bits, out_frac_bits)),
        }
    }

    /// Checks the parameters: `min ≤ max`, scales at most [`MAX_FRAC_BITS`], real parameters
    /// at most [`MAX_PARAM`] in magnitude.
    pub fn check(&self) -> Result<(), FunctionError> {
        let name = self.name();
        let param = |which, value: i64| {
            if value.unsigned_abs() > MAX_PARAM as u64 {
                Err(FunctionError::Param { name, which, value })
            } else {
                Ok(())
            }
        };
        match *self {
            Function::Clip { min, max } if min > max => {
                return Err(FunctionError::ClipBounds { min, max })
            }
            Function::LeakyRelu { alpha } => param("alpha", alpha)?,
            Function::HardSigmoid { alpha, beta, .. } => {
                param("alpha", alpha)?;
                param("beta", beta)?;
            }
            _ => {}
        }
        if let Some((a, b)) = self.scales() {
            for (which, bits) in [("in_frac_bits", a), ("out_frac_bits", b)] {
                if bits > MAX_FRAC_BITS {
                    return Err(FunctionError::FracBits { name, which, bits });
                }
            }
        }
        Ok(())
    }

    /// `T(x)` for one activation `x`, clamped to `[−L, L]` with `L = 2^{B−1} − 1`, `B = bits`
    /// (2 to 16). [`table`] is this over the whole range.
    pub fn apply(&self, x: i64, bits: u32) -> i64 {
        let l = (1i64 << (bits.clamp(2, 16) - 1)) - 1;
        let v = match *self {
            Function::Clip { min, max } => x.max(min).min(max),
            Function::LeakyRelu { alpha } => {
                if x >= 0 {
                    x
                } else {
                    div_round(alpha as i128 * x as i128, 1i128 << PARAM_FRAC_BITS)
                }
            }
            Function::HardSigmoid {
                alpha,
                beta,
                in_frac_bits: a,
                out_frac_bits: b,
            } => {
                // α·v + β = (alpha·x + beta·2^a) / 2^{16+a}, clamped to [0, 1], times 2^b.
                let den = 1i128 << (PARAM_FRAC_BITS + a);
                let num = (alpha as i128 * x as i128 + ((beta as i128) << a)).clamp(0, den);
                div_round(num << b, den)
            }
            Function::HardSwish {
                in_frac_bits: a,
                out_frac_bits: b,
            } => {
                // v·clamp(v/6 + 1/2, 0, 1) = x·clamp(x + 3·2^a, 0, 6·2^a) / (6·2^{2a}).
                let s = 6i128 << a;
                let g = (x as i128 + (3i128 << a)).clamp(0, s);
                div_round((x as i128 * g) << b, s << a)
            }
            Function::Sigmoid {
                in_frac_bits: a,
                out_frac_bits: b,
            } => round_real(sigmoid(real(x, a)), b, l),
            Function::Tanh {
                in_frac_bits: a,
                out_frac_bits: b,
            } => round_real(tanh(real(x, a)), b, l),
            Function::Silu {
                in_frac_bits: a,
                out_frac_bits: b,
            } => {
                let v = real(x, a);
                round_real(v * sigmoid(v), b, l)
            }
            Function::Gelu {
                in_frac_bits: a,
                out_frac_bits: b,
            } => round_real(gelu(real(x, a)), b, l),
            Function::GeluTanh {
                in_frac_bits: a,
                out_frac_bits: b,
            } => round_real(gelu_tanh(real(x, a)), b, l),
        };
        v.clamp(-l, l)
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `T(x)` for `x = −L … L` (`2^B − 1` entries, `L = 2^{B−1} − 1`): entry `i` is `T(i − L)`.
pub fn table(function: &Function, bits: u32) -> Vec<i64> {
    let l = (1i64 << (bits.clamp(2, 16) - 1)) - 1;
    (-l..=l).map(|x| function.apply(x, bits)).collect()
}

/// `n / d` rounded to the nearest integer, halves away from zero (`d > 0`), saturated to `i64`.
fn div_round(n: i128, d: i128) -> i64 {
    let q = (2 * n.unsigned_abs() + d.unsigned_abs()) / (2 * d.unsigned_abs());
    let q = i128::try_from(q).unwrap_or(i128::MAX);
    let q = if n < 0 { -q } else { q };
    q.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// `x·2^−a`, exact (a power-of-two scaling of an integer below `2^53`).
fn real(x: i64, a: u32) -> f64 {
    x as f64 / pow2(a as i32)
}

/// `round(v·2^b)` (halves away from zero), clamped to `[−l, l]`; NaN is 0.
fn round_real(v: f64, b: u32, l: i64) -> i64 {
    let q = (v * pow2(b as i32)).round();
    if q.is_nan() {
        0
    } else {
        q.clamp(-(l as f64), l as f64) as i64
    }
}

/// `2^k` exactly, for `−1022 ≤ k ≤ 1023` (0 below, infinity above).
fn pow2(k: i32) -> f64 {
    if k < -1022 {
        0.0
    } else if k > 1023 {
        f64::INFINITY
    } else {
        f64::from_bits(((k + 1023) as u64) << 52)
    }
}

/// `e^x` from correctly rounded operations only: `x = k·ln 2 + r` (Cody–Waite, `|r| ≤ 0.35`),
/// `e^r` by its Taylor series to 18 terms (the remainder is below `2^−60`), times `2^k`.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -744.0 {
        return 0.0;
    }
    // ln 2 = LN2_HI + LN2_LO, LN2_HI with its low 32 bits zero (so k·LN2_HI is exact).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    const INV_LN2: f64 = std::f64::consts::LOG2_E;
    let k = (x * INV_LN2).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut sum = 1.0;
    for n in (1..=18).rev() {
        sum = 1.0 + sum * r / n as f64;
    }
    // 2^k in two steps, so that results near the subnormal range stay exact powers of two.
    let k = k as i32;
    let (k1, k2) = (k / 2, k - k / 2);
    sum * pow2(k1) * pow2(k2)
}

/// `1 / (1 + e^{−v})`, by [`exp`].
pub fn sigmoid(v: f64) -> f64 {
    if v >= 0.0 {
        1.0 / (1.0 + exp(-v))
    } else {
        let e = exp(v);
        e / (1.0 + e)
    }
}

/// `tanh(v) = sign(v)·(1 − 2/(e^{2|v|} + 1))`, by [`exp`].
pub fn tanh(v: f64) -> f64 {
    let t = 1.0 - 2.0 / (exp(2.0 * v.abs()) + 1.0);
    if v < 0.0 {
        -t
    } else {
        t
    }
}

/// `erf(x) = (2/√π)·∫_0^x e^{−t²} dt`, from correctly rounded operations and [`exp`]: for
/// `|x| < 6`, `erf(x) = (2/√π)·e^{−x²}·Σ_{n≥0} 2^n x^{2n+1} / (1·3·5···(2n+1))` (every term
/// positive, so no cancellation), summed until a term falls below `2^−60` of the sum (at most
/// 200 terms); `±1` beyond (`1 − erf(6) < 2.2·10^−17`, below half an ulp of 1).
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    if a >= 6.0 {
        return if x < 0.0 { -1.0 } else { 1.0 };
    }
    let a2 = a * a;
    let mut term = a;
    let mut sum = a;
    for n in 1..200 {
        term = term * 2.0 * a2 / (2 * n + 1) as f64;
        sum += term;
        if term < sum * pow2(-60) {
            break;
        }
    }
    let e = (std::f64::consts::FRAC_2_SQRT_PI * exp(-a2) * sum).min(1.0);
    if x < 0.0 {
        -e
    } else {
        e
    }
}

/// `v·(1 + erf(v/√2))/2`, by [`erf`].
pub fn gelu(v: f64) -> f64 {
    0.5 * v * (1.0 + erf(v * std::f64::consts::FRAC_1_SQRT_2))
}

/// `v·(1 + tanh(√(2/π)·(v + 0.044715·v³)))/2`, by [`tanh`].
pub fn gelu_tanh(v: f64) -> f64 {
    // √(2/π) = (2/√π)·(1/√2).
    let c = std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2;
    0.5 * v * (1.0 + tanh(c * (v + 0.044715 * v * v * v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Function> {
        vec![
            Function::Clip { min: 0, max: 96 },
            Function::LeakyRelu { alpha: 655 },
            Function::HardSigmoid {
                alpha: 13107,
                beta: 32768,
                in_frac_bits: 4,
                out_frac_bits: 7,
            },
            Function::HardSwish {
                in_frac_bits: 4,
                out_frac_bits: 4,
            },
            Function::Sigmoid {
                in_frac_bits: 4,
                out_frac_bits: 7,
            },
            Function::Tanh {
                in_frac_bits: 5,
                out_frac_bits: 7,
            },
            Function::Silu {
                in_frac_bits: 4,
                out_frac_bits: 4,
            },
            Function::Gelu {
                in_frac_bits: 4,
                out_frac_bits: 5,
            },
            Function::GeluTanh {
                in_frac_bits: 5,
                out_frac_bits: 4,
            },
        ]
    }

    /// `erf` by Abramowitz and Stegun 7.1.26 (absolute error below `1.5·10^−7`): an
    /// independent check of [`erf`] at every point.
    fn erf_approx(x: f64) -> f64 {
        let t = 1.0 / (1.0 + 0.3275911 * x.abs());
        let poly = t
            * (0.254829592
                + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        let e = 1.0 - poly * (-x * x).exp();
        if x < 0.0 {
            -e
        } else {
            e
        }
    }

    #[test]
    fn erf_matches_known_values_and_an_independent_approximation() {
        // Values to 16 digits (erf(0.5), erf(1), erf(2), erf(3), erf(−1)).
        for (x, want) in [
            (0.5, 0.5204998778130465),
            (1.0, 0.8427007929497149),
            (2.0, 0.9953222650189527),
            (3.0, 0.9999779095030014),
            (-1.0, -0.8427007929497149),
            (0.0, 0.0),
        ] {
            assert!((erf(x) - want).abs() < 1e-15, "erf({x}) = {}", erf(x));
        }
        for i in -800..=800 {
            let x = i as f64 / 100.0;
            assert!((erf(x) - erf_approx(x)).abs() < 2e-7, "erf({x})");
        }
        assert_eq!(erf(7.0), 1.0);
        assert_eq!(erf(-7.0), -1.0);
        assert!(erf(f64::NAN).is_nan());
    }

    #[test]
    fn exp_matches_std_closely() {
        for i in -2000..=2000 {
            let x = i as f64 / 37.0;
            let (a, b) = (exp(x), x.exp());
            assert!(((a - b) / b).abs() < 1e-14, "exp({x}) = {a}, std {b}");
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(-1000.0), 0.0);
    }

    /// The table against the functions' float definitions (std's `exp`, `tanh`): the two agree
    /// but at rounding ties, which the tolerance of one unit allows.
    #[test]
    fn tables_match_float_definitions() {
        let bits = 8;
        for f in all() {
            let t = table(&f, bits);
            assert_eq!(t.len(), 255);
            for (i, &y) in t.iter().enumerate() {
                let x = i as i64 - 127;
                let want = match f {
                    Function::Clip { min, max } => x.clamp(min, max) as f64,
                    Function::LeakyRelu { alpha } => {
                        if x >= 0 {
                            x as f64
                        } else {
                            x as f64 * alpha as f64 / 65536.0
                        }
                    }
                    Function::HardSigmoid {
                        alpha,
                        beta,
                        in_frac_bits: a,
                        out_frac_bits: b,
                    } => {
                        let v = x as f64 / 2f64.powi(a as i32);
                        (alpha as f64 / 65536.0 * v + beta as f64 / 65536.0).clamp(0.0, 1.0)
                            * 2f64.powi(b as i32)
                    }
                    Function::HardSwish {
                        in_frac_bits: a,
                        out_frac_bits: b,
                    } => {
                        let v = x as f64 / 2f64.powi(a as i32);
                        v * (v / 6.0 + 0.5).clamp(0.0, 1.0) * 2f64.powi(b as i32)
                    }
                    Function::Sigmoid {
                        in_frac_bits: a,
                        out_frac_bits: b,
                    } => {
                        let v = x as f64 / 2f64.powi(a as i32);
                        1.0 / (1.0 + (-v).exp()) * 2f64.powi(b as i32)
                    }
                    Function::Tanh {
                        in_frac_bits: a,
                        out_frac_bits: b,
                    } => (x as f64 / 2f64.powi(a as i32)).tanh() * 2f64.powi(b as i32),
                    Function::Silu {
                        in_frac_bits: a,
                        out_frac_bits: b,
                    } => {
                        let v = x as f64 / 2f64.powi(a as i32);
                        v / (1.0 + (-v).exp()) * 2f64.powi(b as i32)
                    }
                    Function::Gelu {
                        in_frac_bits: a,
                        out_frac_bits: b,
                    } => {
                        let v = x as f64 / 2f64.powi(a as i32);
                        0.5 * v * (1.0 + erf_approx(v / 2f64.sqrt())) * 2f64.powi(b as i32)
                    }
                    Function::GeluTanh {
                        in_frac_bits: a,
                        out_frac_bits: b,
                    } => {
                        let v = x as f64 / 2f64.powi(a as i32);
                        let c = (2.0 / std::f64::consts::PI).sqrt();
                        0.5 * v
                            * (1.0 + (c * (v + 0.044715 * v.powi(3))).tanh())
                            * 2f64.powi(b as i32)
                    }
                };
                let want = want.clamp(-127.0, 127.0);
                // GELU's reference erf is an approximation (error below 1.5·10^−7).
                let slack = if matches!(f, Function::Gelu { .. }) {
                    1e-4
                } else {
                    1e-9
                };
                assert!(
                    (y as f64 - want).abs() <= 0.5 + slack,
                    "{f:?} at {x}: {y} vs {want}"
                );
                assert!(y.abs() <= 127);
            }
        }
    }

    #[test]
    fn exact_values() {
        // HardSigmoid(0) = 0.5 → 64 at 7 fractional bits; ReLU6 saturates.
        let hs = &all()[2];
        assert_eq!(hs.apply(0, 8), 64);
        assert_eq!(Function::Clip { min: 0, max: 96 }.apply(120, 8), 96);
        // LeakyReLU(−100) with slope 0.01: −1 (−0.9999 rounds to −1).
        assert_eq!(Function::LeakyRelu { alpha: 655 }.apply(-100, 8), -1);
        assert_eq!(div_round(-3, 2), -2);
        assert_eq!(div_round(3, 2), 2);
        assert_eq!(div_round(5, 4), 1);
        // The largest activations at 16 bits stay in range.
        let t = table(&all()[5], 16);
        assert_eq!(t.len(), (1 << 16) - 1);
        assert!(t.iter().all(|y| y.abs() < 1 << 15));
    }

    #[test]
    fn checks_parameters() {
        assert_eq!(
            Function::Clip { min: 3, max: 2 }.check(),
            Err(FunctionError::ClipBounds { min: 3, max: 2 })
        );
        assert!(matches!(
            Function::Sigmoid {
                in_frac_bits: 31,
                out_frac_bits: 0
            }
            .check(),
            Err(FunctionError::FracBits { bits: 31, .. })
        ));
        assert!(matches!(
            Function::LeakyRelu { alpha: 1 << 25 }.check(),
            Err(FunctionError::Param { .. })
        ));
        for f in all() {
            assert_eq!(f.check(), Ok(()));
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(serde_json::from_str::<Function>(&json).unwrap(), f);
        }
        assert!(
            serde_json::from_str::<Function>(r#"{"name":"Clip","min":0,"max":1,"x":2}"#).is_err()
        );
    }
}
