//! Convolution by the direct path, and window sums (average pooling).
//!
//! Statement: `acc[o][y][x] = Σ_{i,dy,dx} K[dy][dx][o][i] · X[i][y·s+dy−p][x·s+dx−p]` (zero
//! outside the input). The kernel is committed as `k_h·k_w` matrices `K[dy][dx]` of
//! `2^{n_o} × 2^{n_i}` entries; `X` is `[channels][height][width]` in the padded layout. With
//! `M = M_y ⊗ M_x` the index maps of [`super::window`], a claim `ãcc(r_x, r_y, r_o) = v` is
//!
//! ```text
//!   stage 1:  v   = Σ_{i, dx, dy}  K̃(i, dx, dy; r_o) · X_c(i, dx, dy)
//!   stage 2:  X_c(ρ_i, ρ_dx, ρ_dy) = Σ_{ix, iy}  X̃(ix, iy, ρ_i) · M̃_x(ρ_dx, r_x, ix) · M̃_y(ρ_dy, r_y, iy)
//! ```
//!
//! where `X_c(i, dx, dy) = Σ_{y,x} eq(r_y, y)·eq(r_x, x)·X[i][y·s+dy−p][x·s+dx−p]` is the
//! im2col matrix folded by the output point. After stage 1 the prover sends the `k_h·k_w`
//! values `K̃[dy][dx](ρ_i, r_o)` (claims on the committed kernel), which the verifier checks
//! against `K̃(ρ_i, ρ_dx, ρ_dy; r_o) = Σ eq(ρ_dx, dx)·eq(ρ_dy, dy)·K̃[dy][dx](ρ_i, r_o)`. Stage 2's
//! wiring factor is evaluated by the verifier in `O(k·out)`; it ends in one claim on `X`.
//!
//! Prover cost: `O(|K| + channels·k·(h·w_out + h_out))`; the verifier's is independent of the
//! channel counts. Average pooling is stage 2 alone, per channel, with the offsets summed out.

use super::window::Window;
use super::{get, prove_product, verify_product, Dims, LayerError, ProductProof};
use crate::field::{mul_base, BaseField, ExtField, MulAcc};
use crate::parallel::collect_indexed;
use crate::poly::{eq_table, Mle};
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

use super::dense::fold_rows;

/// A convolution's geometry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvShape {
    /// Input layout `[channels, h, w]`.
    pub input: Dims,
    /// Output layout `[channels, h_out, w_out]`.
    pub output: Dims,
    /// Vertical index map.
    pub wy: Window,
    /// Horizontal index map.
    pub wx: Window,
}

impl ConvShape {
    /// Variables of the kernel offsets: `(dx, dy)`.
    pub fn offset_vars(&self) -> (usize, usize) {
        (super::ceil_log2(self.wx.k), super::ceil_log2(self.wy.k))
    }

    fn stage1_vars(&self) -> usize {
        let (vx, vy) = self.offset_vars();
        self.input.vars.first().copied().unwrap_or(0) + vx + vy
    }

    fn stage2_vars(&self) -> usize {
        self.input.vars.iter().skip(1).sum()
    }
}

/// A convolution proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ConvProof<E: Field> {
    /// Stage 1: over input channels and kernel offsets.
    pub stage1: ProductProof<E>,
    /// `K̃[dy][dx](ρ_i, r_o)`, row-major over `(dy, dx)`.
    pub kernel: Vec<E>,
    /// Stage 2: over input positions.
    pub stage2: ProductProof<E>,
}

/// What a verified convolution leaves to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvClaims<E> {
    /// Point `(ρ_i, r_o)` for every kernel matrix.
    pub kernel_point: Vec<E>,
    /// `K̃[dy][dx]` there, row-major.
    pub kernel_values: Vec<E>,
    /// Point on the input.
    pub input_point: Vec<E>,
    /// The input's claimed value there.
    pub input_value: E,
}

/// Proves `target = Σ K·X·M` at the output point `r` (`kernel[dy·k_w + dx]` the matrices).
pub fn prove<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    kernel: &[&[F]],
    x: &[F],
    r: &[E],
    target: E,
    transcript: &mut Transcript,
) -> (ConvProof<E>, ConvClaims<E>) {
    let parts = shape.output.split(r);
    let (r_o, r_y, r_x) = (parts[0], parts[1], parts[2]);
    let (vx, _) = shape.offset_vars();
    let vi = shape.input.vars[0];
    let (kh, kw) = (shape.wy.k, shape.wx.k);
    let (ci_len, xw) = (1usize << vi, 1usize << vx);
    let (h_len, w_len) = (1usize << shape.input.vars[1], 1usize << shape.input.vars[2]);

    // Stage 1 tables.
    let eq_o = eq_table(r_o);
    let folded: Vec<Vec<E>> = kernel.iter().map(|k| fold_rows(k, vi, &eq_o)).collect();
    let mut a1 = vec![E::ZERO; 1 << shape.stage1_vars()];
    for dy in 0..kh {
        for dx in 0..kw {
            let base = ci_len * (dx + xw * dy);
            a1[base..base + ci_len].copy_from_slice(&folded[dy * kw + dx]);
        }
    }
    let (eq_y, eq_x) = (eq_table(r_y), eq_table(r_x));
    let (tx, ty): (Vec<_>, Vec<_>) = (shape.wx.triples().collect(), shape.wy.triples().collect());
    let per_channel: Vec<Vec<E>> = collect_indexed(shape.input.shape[0], |ci| {
        let xc = &x[ci * h_len * w_len..(ci + 1) * h_len * w_len];
        // rows[iy][dx] = Σ_{ox} eq_x[ox]·X[ci][iy][ox·s + dx − p]
        let mut rows = vec![E::ZERO; shape.wy.input * kw];
        for iy in 0..shape.wy.input {
            let row = &xc[iy * w_len..(iy + 1) * w_len];
            for &(dx, ox, ix) in &tx {
                rows[iy * kw + dx] += mul_base(eq_x[ox], row[ix]);
            }
        }
        let mut out = vec![E::ZERO; kh * kw];
        for &(dy, oy, iy) in &ty {
            for dx in 0..kw {
                out[dy * kw + dx] += eq_y[oy] * rows[iy * kw + dx];
            }
        }
        out
    });
    let mut b1 = vec![E::ZERO; 1 << shape.stage1_vars()];
    for (ci, v) in per_channel.iter().enumerate() {
        for dy in 0..kh {
            for dx in 0..kw {
                b1[ci + ci_len * (dx + xw * dy)] = v[dy * kw + dx];
            }
        }
    }
    let (stage1, rho1) = prove_product(vec![Mle::Ext(a1), Mle::Ext(b1)], target, transcript);
    let (rho_i, rest) = rho1.split_at(vi);
    let (rho_dx, rho_dy) = rest.split_at(vx);
    let eq_i = eq_table(rho_i);
    let kernel_values: Vec<E> = folded
        .iter()
        .map(|f| f.iter().zip(&eq_i).map(|(&a, &b)| a * b).sum())
        .collect();
    transcript.append_fields(b"conv-kernel", &kernel_values);

    // Stage 2 tables.
    let a2 = fold_rows(x, shape.stage2_vars(), &eq_i);
    let (mx, my) = (
        shape.wx.table(Some(&eq_table(rho_dx)), &eq_x, w_len),
        shape.wy.table(Some(&eq_table(rho_dy)), &eq_y, h_len),
    );
    let b2: Vec<E> = collect_indexed(h_len * w_len, |j| my[j / w_len] * mx[j % w_len]);
    let (stage2, rho2) = prove_product(
        vec![Mle::Ext(a2), Mle::Ext(b2)],
        stage1.values[1],
        transcript,
    );
    finish(stage1, kernel_values, stage2, rho2, rho_i, r_o)
}

/// A convolution proof from its parts, and its claims: the kernel matrices at `(ρ_i, r_o)`, the
/// input at `(ρ_2, ρ_i)` with stage 2's first value (both paths end this way).
pub(crate) fn finish<E: Field>(
    stage1: ProductProof<E>,
    kernel_values: Vec<E>,
    stage2: ProductProof<E>,
    rho2: Vec<E>,
    rho_i: &[E],
    r_o: &[E],
) -> (ConvProof<E>, ConvClaims<E>) {
    let input_value = stage2.values.first().copied().unwrap_or(E::ZERO);
    let claims = ConvClaims::at(&rho2, rho_i, r_o, kernel_values.clone(), input_value);
    (
        ConvProof {
            stage1,
            kernel: kernel_values,
            stage2,
        },
        claims,
    )
}

impl<E: Field> ConvClaims<E> {
    /// The claims both paths end in: the kernel matrices at `(ρ_i, r_o)`, the input at
    /// `(ρ, ρ_i)` (`ρ` over the input's positions, `ρ_i` over its channels).
    pub(crate) fn at(
        rho: &[E],
        rho_i: &[E],
        r_o: &[E],
        kernel_values: Vec<E>,
        input_value: E,
    ) -> Self {
        let mut input_point = rho.to_vec();
        input_point.extend_from_slice(rho_i);
        let mut kernel_point = rho_i.to_vec();
        kernel_point.extend_from_slice(r_o);
        Self {
            kernel_point,
            kernel_values,
            input_point,
            input_value,
        }
    }
}

/// The verifier's reading of the `k_h·k_w` kernel values: their count (`Count { what }`
/// otherwise), then absorbed under `label`.
pub(crate) fn absorb_kernel<E: Field>(
    shape: &ConvShape,
    kernel: &[E],
    label: &'static [u8],
    what: &'static str,
    transcript: &mut Transcript,
) -> Result<(), LayerError> {
    let expected = shape.wy.k * shape.wx.k;
    if kernel.len() != expected {
        return Err(LayerError::Count {
            what,
            expected,
            got: kernel.len(),
        });
    }
    transcript.append_fields(label, kernel);
    Ok(())
}

/// Verifies a convolution proof for the claim `target` at output point `r`.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify<E: MulAcc>(
    shape: &ConvShape,
    r: &[E],
    target: E,
    proof: &ConvProof<E>,
    transcript: &mut Transcript,
) -> Result<ConvClaims<E>, LayerError> {
    let parts = shape.output.split(r);
    let (r_o, r_y, r_x) = match parts.as_slice() {
        [a, b, c] => (*a, *b, *c),
        _ => {
            return Err(LayerError::Count {
                what: "conv output point",
                expected: 3,
                got: parts.len(),
            })
        }
    };
    let (vx, vy) = shape.offset_vars();
    let vi = shape.input.vars.first().copied().unwrap_or(0);
    let (rho1, v1) = verify_product(
        "conv stage 1",
        shape.stage1_vars(),
        2,
        target,
        &proof.stage1,
        transcript,
    )?;
    let k_value = get(&v1, 0, "conv stage 1 values", 2)?;
    let xc_value = get(&v1, 1, "conv stage 1 values", 2)?;
    absorb_kernel(
        shape,
        &proof.kernel,
        b"conv-kernel",
        "conv kernel values",
        transcript,
    )?;
    let kw = shape.wx.k;
    let (rho_i, rest) = rho1.split_at(vi.min(rho1.len()));
    let (rho_dx, rho_dy) = rest.split_at(vx.min(rest.len()));
    if rho_dy.len() != vy {
        return Err(LayerError::Count {
            what: "conv stage 1 point",
            expected: vi + vx + vy,
            got: rho1.len(),
        });
    }
    let (ex, ey) = (eq_table(rho_dx), eq_table(rho_dy));
    let combined: E = proof
        .kernel
        .iter()
        .enumerate()
        .map(|(j, &k)| {
            ey.get(j / kw).copied().unwrap_or(E::ZERO)
                * ex.get(j % kw).copied().unwrap_or(E::ZERO)
                * k
        })
        .sum();
    if combined != k_value {
        return Err(LayerError::Relation {
            what: "conv kernel offsets",
        });
    }
    let (rho2, v2) = verify_product(
        "conv stage 2",
        shape.stage2_vars(),
        2,
        xc_value,
        &proof.stage2,
        transcript,
    )?;
    let input_value = get(&v2, 0, "conv stage 2 values", 2)?;
    let wiring = get(&v2, 1, "conv stage 2 values", 2)?;
    let (p_x, p_y) = rho2.split_at(
        shape
            .input
            .vars
            .get(2)
            .copied()
            .unwrap_or(0)
            .min(rho2.len()),
    );
    let expect =
        shape.wx.evaluate(Some(rho_dx), r_x, p_x) * shape.wy.evaluate(Some(rho_dy), r_y, p_y);
    if wiring != expect {
        return Err(LayerError::PublicValue {
            what: "conv index map",
        });
    }
    Ok(ConvClaims::at(
        &rho2,
        rho_i,
        r_o,
        proof.kernel.clone(),
        input_value,
    ))
}

/// Proves a window sum `acc[c][y][x] = Σ_{dy,dx} X[c][y·s+dy][x·s+dx]` at output point `r`;
/// returns the proof, the input point and the input's value there.
pub fn prove_window_sum<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    x: &[F],
    r: &[E],
    target: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>, E) {
    let parts = shape.output.split(r);
    let (r_c, r_y, r_x) = (parts[0], parts[1], parts[2]);
    let (h_len, w_len) = (1usize << shape.input.vars[1], 1usize << shape.input.vars[2]);
    let a = fold_rows(x, shape.stage2_vars(), &eq_table(r_c));
    let (mx, my) = (
        shape.wx.table(None, &eq_table(r_x), w_len),
        shape.wy.table(None, &eq_table(r_y), h_len),
    );
    let b: Vec<E> = collect_indexed(h_len * w_len, |j| my[j / w_len] * mx[j % w_len]);
    let (proof, mut point) = prove_product(vec![Mle::Ext(a), Mle::Ext(b)], target, transcript);
    let value = proof.values[0];
    point.extend_from_slice(r_c);
    (proof, point, value)
}

/// Verifies a window sum; returns the input point and the input's claimed value there.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_window_sum<E: MulAcc>(
    shape: &ConvShape,
    r: &[E],
    target: E,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, E), LayerError> {
    let parts = shape.output.split(r);
    let (r_c, r_y, r_x) = match parts.as_slice() {
        [a, b, c] => (*a, *b, *c),
        _ => {
            return Err(LayerError::Count {
                what: "pool output point",
                expected: 3,
                got: parts.len(),
            })
        }
    };
    let (rho, v) = verify_product(
        "window sum",
        shape.stage2_vars(),
        2,
        target,
        proof,
        transcript,
    )?;
    let value = get(&v, 0, "window sum values", 2)?;
    let wiring = get(&v, 1, "window sum values", 2)?;
    let (p_x, p_y) = rho.split_at(shape.input.vars.get(2).copied().unwrap_or(0).min(rho.len()));
    if wiring != shape.wx.evaluate(None, r_x, p_x) * shape.wy.evaluate(None, r_y, p_y) {
        return Err(LayerError::PublicValue {
            what: "window sum index map",
        });
    }
    let mut point = rho.clone();
    point.extend_from_slice(r_c);
    Ok((point, value))
}
