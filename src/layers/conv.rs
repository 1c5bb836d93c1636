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
//!
//! Grouped and depthwise convolutions ([`ConvShape::groups`] `= G > 1`, powers of two channels
//! per group): the group is the high `n_g` bits of both channel indices, `i = (j, g)` and
//! `o = (k, g)`, and the kernel matrices are `[o][j]`. With `r_o = (r_k, r_g)`, stage 1 becomes
//!
//! ```text
//!   v = Σ_{i = (j, g), dx, dy}  K̃(j, dx, dy; r_k, g) · X_c(i, dx, dy) · eq(r_g, g)
//! ```
//!
//! a degree-3 sum-check whose third value the verifier recomputes (`conv group selector`); the
//! kernel claims are at `(ρ_j, r_k, ρ_g)` ([`ConvShape::kernel_point`]), stage 2 is unchanged.
//! No `c_in × c_out` table is formed: a depthwise layer costs `O(c·k_h·k_w)` for its kernel.
//! `spec/conv.md` has the protocol, its soundness and cost.

use super::window::Window;
use super::{get, prove_product, verify_product, Dims, LayerError, ProductProof};
use crate::field::{mul_base, BaseField, ExtField, MulAcc};
use crate::parallel::collect_indexed;
use crate::poly::{eq_eval, eq_table, Mle};
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

use super::dense::fold_rows;
use super::fft_conv::ConvPath;
use super::requant::Requant;
use crate::network::op::{MaskStep, NetworkOp, Requantized, WitnessStep, Witnessed};
use crate::network::plan::{yn, Bias, PlanStep, Planned, Step, MAX_KERNEL_AREA};
use crate::network::prover::Ctx as ProverCtx;
use crate::network::verifier::Ctx as VerifierCtx;
use crate::network::zk::{
    bias_public, bias_tables, requant_tables, StepMasks, Table, ZkStepProver, ZkStepVerifier,
};
use crate::network::{NetworkError, VerifyError};
use crate::zk::{Placed, TableMasks};

#[path = "conv_zk.rs"]
mod zk;
pub use zk::{
    prove_window_sum_zk, prove_window_sum_zk_batched, prove_zk, prove_zk_batched,
    verify_window_sum_zk, verify_window_sum_zk_batched, verify_zk, verify_zk_batched,
    window_sum_zk_mask_len, zk_mask_len, ZkConvClaims, ZkConvProof, ZkConvTables,
};

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
    /// Channel groups `G` (1: an ordinary convolution). With `G > 1`, the channels per group
    /// on each side, `c_in/G` and `c_out/G`, must be powers of two (the plan checks it), so
    /// that a padded channel index splits into (channel within the group: low bits, group:
    /// high bits); the kernel matrices are `2^{n_o} × (c_in/G)`.
    pub groups: usize,
}

impl ConvShape {
    /// Variables of the kernel offsets: `(dx, dy)`.
    pub fn offset_vars(&self) -> (usize, usize) {
        (super::ceil_log2(self.wx.k), super::ceil_log2(self.wy.k))
    }

    /// Variables of the group index, `n_g = ⌈log2 G⌉` (0 for an ordinary convolution): the
    /// high bits of both channel indices.
    pub fn group_vars(&self) -> usize {
        super::ceil_log2(self.groups.max(1))
    }

    /// Variables of the input channel within its group (the kernel matrices' columns):
    /// `n_i − n_g`.
    pub fn group_in_vars(&self) -> usize {
        self.input
            .vars
            .first()
            .copied()
            .unwrap_or(0)
            .saturating_sub(self.group_vars())
    }

    /// The point `(ρ_j, r_k, ρ_g)` of the kernel matrices `[o][j]` after stage 1 at `ρ_i =
    /// (ρ_j, ρ_g)`, for the output channel point `r_o = (r_k, r_g)`: the group coordinates of
    /// `r_o` replaced by stage 1's. For `G = 1`, `(ρ_i, r_o)`.
    pub fn kernel_point<E: Copy>(&self, rho_i: &[E], r_o: &[E]) -> Vec<E> {
        let (nj, ng) = (self.group_in_vars(), self.group_vars());
        let (rho_j, rho_g) = rho_i.split_at(nj.min(rho_i.len()));
        let r_k = &r_o[..r_o.len().saturating_sub(ng)];
        let mut point = rho_j.to_vec();
        point.extend_from_slice(r_k);
        point.extend_from_slice(rho_g);
        point
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
///
/// **Batches.** A point with `b` coordinates beyond the output's variables is a point
/// `(r, r_b)` on a batch of `2^b` outputs (the batch index the top variables of `x` and of the
/// output: `index = batch·2^n + position`). Stage 1 then also sums over the batch, with a third
/// table `eq(r_b, ·)` (times the group selector for a grouped convolution), and stage 2 folds
/// the input's rows (batch, channel) by `eq((ρ_i, ρ_b), ·)`: the kernel claims are a single
/// input's, the input claim is at `(ρ_2, ρ_i, ρ_b)`. With `b = 0` the proof is unchanged.
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
    let r_b = &r[shape.output.num_vars().min(r.len())..];
    let (vx, vy) = shape.offset_vars();
    let vi = shape.input.vars[0];
    let (folded, tables) = stage1_tables_batched(shape, kernel, x, r_o, r_y, r_x, r_b);
    let (stage1, rho1) = prove_product(tables, target, transcript);
    let (rho_i, rest) = rho1.split_at(vi);
    let (rho_dx, rest) = rest.split_at(vx);
    let (rho_dy, rho_b) = rest.split_at(vy);
    let eq_i = eq_table(rho_i);
    let kernel_values: Vec<E> = folded
        .iter()
        .map(|f| f.iter().zip(&eq_i).map(|(&a, &b)| a * b).sum())
        .collect();
    transcript.append_fields(b"conv-kernel", &kernel_values);

    // Stage 2 tables: the input's rows (batch, channel) folded by `eq((ρ_i, ρ_b), ·)`.
    let mut rho_ib = rho_i.to_vec();
    rho_ib.extend_from_slice(rho_b);
    let (a2, b2) = stage2_tables(shape, x, &eq_table(&rho_ib), rho_dx, rho_dy, r_y, r_x);
    let (stage2, rho2) = prove_product(
        vec![Mle::Ext(a2), Mle::Ext(b2)],
        stage1.values[1],
        transcript,
    );
    let kernel_point = shape.kernel_point(rho_i, r_o);
    finish(stage1, kernel_values, stage2, rho2, &rho_ib, kernel_point)
}

/// Stage 1's tables at the output point `(r_o, r_y, r_x)`: the kernel matrices folded by the
/// output channel point (one per offset, row-major over `(dy, dx)`), and the sum-check's tables
/// over `(i, dx, dy)`: the folded kernel `K̃(i, dx, dy; r_o)`, the folded im2col `X_c`, and for a
/// grouped convolution `eq(r_g, g)`.
#[allow(clippy::type_complexity)]
pub(crate) fn stage1_tables<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    kernel: &[&[F]],
    x: &[F],
    r_o: &[E],
    r_y: &[E],
    r_x: &[E],
) -> (Vec<Vec<E>>, Vec<Mle<F, E>>) {
    stage1_tables_batched(shape, kernel, x, r_o, r_y, r_x, &[])
}

/// [`stage1_tables`] for a batch of `2^{|r_b|}` inputs at batch point `r_b` (see [`prove`]):
/// the tables over `(i, dx, dy, batch)`, the folded kernel repeated over the batch, each
/// input's folded im2col, and `eq(r_b, ·)` (times `eq(r_g, ·)` for a grouped convolution).
/// With `r_b` empty, exactly [`stage1_tables`]' tables.
#[allow(clippy::type_complexity)]
pub(crate) fn stage1_tables_batched<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    kernel: &[&[F]],
    x: &[F],
    r_o: &[E],
    r_y: &[E],
    r_x: &[E],
    r_b: &[E],
) -> (Vec<Vec<E>>, Vec<Mle<F, E>>) {
    let (vx, _) = shape.offset_vars();
    let vi = shape.input.vars[0];
    let (kh, kw) = (shape.wy.k, shape.wx.k);
    let (ci_len, xw) = (1usize << vi, 1usize << vx);
    let (h_len, w_len) = (1usize << shape.input.vars[1], 1usize << shape.input.vars[2]);

    // A grouped convolution folds each group's rows by `eq(r_k, ·)` alone:
    // `A[(g, j)] = Σ_k eq(r_k, k)·K[(g, k)][j]`, and its third table is `eq(r_g, g)`.
    let ng = shape.group_vars();
    let (r_k, r_g) = r_o.split_at(r_o.len() - ng);
    let folded: Vec<Vec<E>> = if ng == 0 {
        let eq_o = eq_table(r_o);
        kernel.iter().map(|k| fold_rows(k, vi, &eq_o)).collect()
    } else {
        let eq_k = eq_table(r_k);
        kernel
            .iter()
            .map(|k| fold_groups(k, shape.group_in_vars(), &eq_k))
            .collect()
    };
    let mut a1 = vec![E::ZERO; 1 << shape.stage1_vars()];
    for dy in 0..kh {
        for dx in 0..kw {
            let base = ci_len * (dx + xw * dy);
            a1[base..base + ci_len].copy_from_slice(&folded[dy * kw + dx]);
        }
    }
    let (eq_y, eq_x) = (eq_table(r_y), eq_table(r_x));
    let (tx, ty): (Vec<_>, Vec<_>) = (shape.wx.triples().collect(), shape.wy.triples().collect());
    // One item per (batch, channel) pair, channels in use only.
    let (channels, batch) = (shape.input.shape[0], 1usize << r_b.len());
    let per_channel: Vec<Vec<E>> = collect_indexed(batch * channels, |item| {
        let (b, ci) = (item / channels, item % channels);
        let row = b * ci_len + ci;
        let xc = &x[row * h_len * w_len..(row + 1) * h_len * w_len];
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
    let s1 = 1usize << shape.stage1_vars();
    let mut b1 = vec![E::ZERO; s1 * batch];
    for (item, v) in per_channel.iter().enumerate() {
        let (b, ci) = (item / channels, item % channels);
        for dy in 0..kh {
            for dx in 0..kw {
                b1[b * s1 + ci + ci_len * (dx + xw * dy)] = v[dy * kw + dx];
            }
        }
    }
    let a1 = if batch > 1 { a1.repeat(batch) } else { a1 };
    let mut tables = vec![Mle::Ext(a1), Mle::Ext(b1)];
    if ng > 0 || batch > 1 {
        let eq_g = (ng > 0).then(|| eq_table(r_g));
        let nj = shape.group_in_vars();
        let eq_b = eq_table(r_b);
        let e1 = collect_indexed(s1 * batch, |j| {
            let g = eq_g
                .as_ref()
                .map_or(E::ONE, |eq_g| eq_g[((j % s1) & (ci_len - 1)) >> nj]);
            g * eq_b[j / s1]
        });
        tables.push(Mle::Ext(e1));
    }
    (folded, tables)
}

/// Stage 2's tables: the input folded by `eq(ρ_i, ·)` over its channels, and the index maps'
/// product `M̃_x(ρ_dx, r_x, ·)·M̃_y(ρ_dy, r_y, ·)` over the input's positions.
pub(crate) fn stage2_tables<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    x: &[F],
    eq_i: &[E],
    rho_dx: &[E],
    rho_dy: &[E],
    r_y: &[E],
    r_x: &[E],
) -> (Vec<E>, Vec<E>) {
    let (h_len, w_len) = (1usize << shape.input.vars[1], 1usize << shape.input.vars[2]);
    let a2 = fold_rows(x, shape.stage2_vars(), eq_i);
    let (mx, my) = (
        shape
            .wx
            .table(Some(&eq_table(rho_dx)), &eq_table(r_x), w_len),
        shape
            .wy
            .table(Some(&eq_table(rho_dy)), &eq_table(r_y), h_len),
    );
    let b2: Vec<E> = collect_indexed(h_len * w_len, |j| my[j / w_len] * mx[j % w_len]);
    (a2, b2)
}

/// `A[(g << n_j) | j] = Σ_k eq_k[k]·K[(((g << n_k) | k) << n_j) | j]`: a grouped kernel matrix
/// (`2^{n_g + n_k}` rows of `2^{n_j}`) folded by `eq(r_k, ·)` within each group. `O(|K|)`.
fn fold_groups<F: BaseField, E: ExtField<F>>(k: &[F], nj: usize, eq_k: &[E]) -> Vec<E> {
    let (cols, nk) = (1usize << nj, eq_k.len());
    let groups = k.len() / (cols * nk).max(1);
    collect_indexed(groups * cols, |idx| {
        let (g, j) = (idx / cols, idx % cols);
        eq_k.iter()
            .enumerate()
            .map(|(kk, &e)| mul_base(e, k[((g * nk + kk) * cols) + j]))
            .sum()
    })
}

/// A convolution proof from its parts, and its claims: the kernel matrices at `kernel_point`
/// (`(ρ_i, r_o)` for an ordinary convolution), the input at `(ρ_2, ρ_i)` with stage 2's first
/// value (both paths end this way).
pub(crate) fn finish<E: Field>(
    stage1: ProductProof<E>,
    kernel_values: Vec<E>,
    stage2: ProductProof<E>,
    rho2: Vec<E>,
    rho_i: &[E],
    kernel_point: Vec<E>,
) -> (ConvProof<E>, ConvClaims<E>) {
    let input_value = stage2.values.first().copied().unwrap_or(E::ZERO);
    let claims = ConvClaims::at(
        &rho2,
        rho_i,
        kernel_point,
        kernel_values.clone(),
        input_value,
    );
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
    /// The claims both paths end in: the kernel matrices at `kernel_point`
    /// ([`ConvShape::kernel_point`]), the input at `(ρ, ρ_i)` (`ρ` over the input's positions,
    /// `ρ_i` over its channels).
    pub(crate) fn at(
        rho: &[E],
        rho_i: &[E],
        kernel_point: Vec<E>,
        kernel_values: Vec<E>,
        input_value: E,
    ) -> Self {
        let mut input_point = rho.to_vec();
        input_point.extend_from_slice(rho_i);
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
    // The batch coordinates: the point's beyond the output's (none for one input).
    let r_b = r.get(shape.output.num_vars()..).unwrap_or(&[]);
    let nb = r_b.len();
    // A grouped convolution's or a batch's stage 1 has a third factor, `eq(r_g, ρ_g)` times
    // `eq(r_b, ρ_b)`.
    let ng = shape.group_vars();
    let factors = if ng == 0 && nb == 0 { 2 } else { 3 };
    let (rho1, v1) = verify_product(
        "conv stage 1",
        shape.stage1_vars() + nb,
        factors,
        target,
        &proof.stage1,
        transcript,
    )?;
    let k_value = get(&v1, 0, "conv stage 1 values", factors)?;
    let xc_value = get(&v1, 1, "conv stage 1 values", factors)?;
    absorb_kernel(
        shape,
        &proof.kernel,
        b"conv-kernel",
        "conv kernel values",
        transcript,
    )?;
    let kw = shape.wx.k;
    let (rho_i, rest) = rho1.split_at(vi.min(rho1.len()));
    let (rho_dx, rest) = rest.split_at(vx.min(rest.len()));
    let (rho_dy, rho_b) = rest.split_at(vy.min(rest.len()));
    if rho_dy.len() != vy || rho_b.len() != nb {
        return Err(LayerError::Count {
            what: "conv stage 1 point",
            expected: vi + vx + vy + nb,
            got: rho1.len(),
        });
    }
    let mut selector = eq_eval(r_b, rho_b);
    if ng > 0 {
        let (rho_g, r_g) = (
            rho_i.get(vi.saturating_sub(ng)..).unwrap_or(&[]),
            r_o.get(r_o.len().saturating_sub(ng)..).unwrap_or(&[]),
        );
        if rho_g.len() != ng || r_g.len() != ng {
            return Err(LayerError::Count {
                what: "conv group variables",
                expected: ng,
                got: rho_g.len().min(r_g.len()),
            });
        }
        selector *= eq_eval(r_g, rho_g);
    }
    if factors == 3 && get(&v1, 2, "conv stage 1 values", factors)? != selector {
        return Err(LayerError::PublicValue {
            what: "conv group selector",
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
    let mut rho_ib = rho_i.to_vec();
    rho_ib.extend_from_slice(rho_b);
    Ok(ConvClaims::at(
        &rho2,
        &rho_ib,
        shape.kernel_point(rho_i, r_o),
        proof.kernel.clone(),
        input_value,
    ))
}

/// Proves a window sum `acc[c][y][x] = Σ_{dy,dx} X[c][y·s+dy][x·s+dx]` at output point `r`;
/// returns the proof, the input point and the input's value there.
///
/// **Batches.** The coordinates of `r` beyond the output's rows and columns are the rows'
/// (`x`'s channel, then batch, bits: a batch of `2^b` inputs has `b` more, as a convolution's
/// point does): the input's rows are folded by `eq` at all of them, and the input claim is at
/// `(ρ, r_c, r_b)`. With `b = 0` the proof is unchanged.
pub fn prove_window_sum<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    x: &[F],
    r: &[E],
    target: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>, E) {
    let parts = shape.output.split(r);
    let (r_y, r_x) = (parts[1], parts[2]);
    // The rows: the channel coordinates and, in a batch, the batch's beyond them.
    let r_c = &r[(r_y.len() + r_x.len()).min(r.len())..];
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
    let (r_y, r_x) = match parts.as_slice() {
        [_, b, c] => (*b, *c),
        _ => {
            return Err(LayerError::Count {
                what: "pool output point",
                expected: 3,
                got: parts.len(),
            })
        }
    };
    // The rows: the channel coordinates and, in a batch, the batch's beyond them.
    let r_c = r.get(r_y.len() + r_x.len()..).unwrap_or(&[]);
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

/// A convolution of a network (any groups, stride and padding), then requantization.
/// Transparent: the bias's limbs at the output-channel part of the step's point, then the
/// direct or FFT convolution proof of `acc − b·valid` ([`prove`], [`super::fft_conv::prove`]),
/// which claims every kernel matrix at one point and the input at another. Zero knowledge:
/// one masked two-stage proof with the bias limbs and the requantization's tables on the
/// output side ([`prove_zk`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conv {
    /// Geometry.
    pub shape: ConvShape,
    /// Model segments of the kernel matrices, row-major over `(dy, dx)`.
    pub kernel: Vec<usize>,
    /// The bias.
    pub bias: Bias,
    /// Requantization.
    pub requant: Requant,
    /// Which proof the convolution takes.
    pub path: ConvPath,
}

impl Conv {
    /// The bias's weight at `r`: `valid_y(r_y)·valid_x(r_x)` (no bias on the padded rows and
    /// columns), and `r_o`.
    fn split<'r, E: Field>(&self, r: &'r [E]) -> Option<(&'r [E], E)> {
        let parts = self.shape.output.split(r);
        let (r_o, r_y, r_x) = (parts.first()?, parts.get(1)?, parts.get(2)?);
        let valid = crate::network::prover::valid(&self.shape.wy, r_y)
            * crate::network::prover::valid(&self.shape.wx, r_x);
        Some((r_o, valid))
    }
}

impl NetworkOp for Conv {
    const KIND: &'static str = "layers: conv";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        let acc = w
            .accumulator()
            .unwrap_or_else(|| unreachable!("a convolution accumulates"));
        Witnessed::Requantize {
            acc: w.pad_output(acc),
            relu: false,
        }
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        Ok(vec![zk_mask_len(&self.shape, m.public(m.tin()))])
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
        let Some((r_o, valid)) = self.split(rq.r) else {
            unreachable!("the point is the output's")
        };
        let b = cx.eval_bias(&self.bias, r_o);
        let target = rq.acc - b * valid;
        let tin = cx.plan.input(l);
        let ks: Vec<&[F]> = self.kernel.iter().map(|&k| &*cx.model[k]).collect();
        let x = &cx.tensors[tin];
        let (proof, claims) = match self.path {
            ConvPath::Direct => prove(&self.shape, &ks, x, rq.r, target, cx.t),
            ConvPath::Fft => super::fft_conv::prove(&self.shape, &ks, x, rq.r, target, cx.t)
                .unwrap_or_else(|e| unreachable!("layouts checked first: {e}")),
        };
        cx.convs.push(proof);
        for &k in &self.kernel {
            cx.model_claims.push((k, claims.kernel_point.clone()));
        }
        cx.claim_tensor(tin, &claims.input_point, claims.input_value);
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        rq: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        let rq = rq.ok_or(VerifyError::AdviceShape)?;
        let (r_o, valid) = self.split(rq.r).ok_or(VerifyError::AdviceShape)?;
        let b = cx.eval_bias(&self.bias, r_o)?;
        let target = rq.acc - b * valid;
        let proof = cx.conv()?;
        let claims = match self.path {
            ConvPath::Direct => verify(&self.shape, rq.r, target, proof, cx.t),
            ConvPath::Fft => {
                super::fft_conv::verify::<F, E>(&self.shape, rq.r, target, proof, cx.t)
            }
        }
        .map_err(|e| cx.err(e))?;
        if claims.kernel_values.len() != self.kernel.len() {
            return Err(cx.err(LayerError::Count {
                what: "kernel values",
                expected: self.kernel.len(),
                got: claims.kernel_values.len(),
            }));
        }
        for (&kseg, &kv) in self.kernel.iter().zip(&claims.kernel_values) {
            cx.model_claims
                .push((kseg, claims.kernel_point.clone(), kv));
        }
        cx.claim_tensor(cx.plan.input(l), &claims.input_point, claims.input_value)
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        let Some((r_o, valid)) = self.split(cx.r) else {
            unreachable!("the point is the output's")
        };
        let bias_t = bias_tables::<F, E>(&self.bias);
        let (outs, c) = requant_tables::<F, E>(&self.requant);
        let lhs = c + bias_public::<F, E>(&self.bias, r_o) * valid;
        let ks: Vec<&[F]> = self.kernel.iter().map(|&k| &cx.model[k][..]).collect();
        let bias_w: Vec<(E, &[F])> = bias_t.iter().map(|(k, t)| (*k, cx.segment(t))).collect();
        let out_w: Vec<(E, &[F])> = outs.iter().map(|(k, t)| (*k, cx.segment(t))).collect();
        // Table 0 (the kernel's combination) is placed once its weights are known; its mask
        // is read at the stack point.
        let mut tables = vec![cx.zp.table::<E>(Table::Model(0)), cx.x_table.clone()];
        tables.extend(bias_t.iter().map(|(_, t)| cx.zp.table::<E>(*t)));
        tables.extend(outs.iter().map(|(_, t)| cx.zp.table::<E>(*t)));
        let (fresh, off) = cx.fresh(0);
        let model = cx.zp.table::<E>(Table::Model(0));
        let scalars = KernelMasks {
            shape: &self.shape,
            kernel: &self.kernel,
            model: &model,
            step: cx.masks(&tables),
        };
        // `r = (r_out, r_b)`: a batch's tables are folded at `r_b` (the model's are one input's).
        let (r, r_b) = cx.r.split_at(cx.r.len() - cx.zp.plan.batch_vars);
        let (proof, claims) = prove_zk_batched(
            &self.shape,
            &ZkConvTables {
                kernel: &ks,
                input: &cx.tensors[cx.tin],
                input_public: cx.x_public,
                bias: &bias_w,
                outputs: &out_w,
            },
            r,
            r_b,
            lhs,
            fresh,
            &scalars,
            cx.t,
        );
        cx.convs.push(proof);
        tables[0] = claims.kernel_placed(cx.zp.parts().0, &self.kernel);
        cx.ledger
            .defer(claims.deferred, &tables, off)
            .map_err(NetworkError::Deferred)
    }

    fn verify_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepVerifier<'_, '_, F, E>,
    ) -> Result<(), VerifyError> {
        let (r_o, valid) = self.split(cx.r).ok_or(VerifyError::AdviceShape)?;
        let bias_t = bias_tables::<F, E>(&self.bias);
        let (outs, c) = requant_tables::<F, E>(&self.requant);
        let lhs = c + bias_public::<F, E>(&self.bias, r_o) * valid;
        let bias_w: Vec<E> = bias_t.iter().map(|(k, _)| *k).collect();
        let out_w: Vec<E> = outs.iter().map(|(k, _)| *k).collect();
        let proof = cx.convs.next().ok_or(VerifyError::Exhausted {
            what: "convolution steps",
        })?;
        // `r = (r_out, r_b)`: a batch's tables were folded at `r_b`.
        let (r, r_b) =
            cx.r.split_at_checked(cx.r.len().wrapping_sub(cx.zp.plan.batch_vars))
                .ok_or(VerifyError::AdviceShape)?;
        let claims = verify_zk_batched::<F, E>(
            &self.shape,
            &bias_w,
            &out_w,
            cx.input_table,
            r,
            r_b,
            lhs,
            proof,
            cx.t,
        )
        .map_err(|e| cx.layer_err(e))?;
        let mut tables = vec![
            claims.kernel_placed(cx.zp.parts().0, &self.kernel),
            cx.x_table.clone(),
        ];
        tables.extend(bias_t.iter().map(|(_, t)| cx.zp.table::<E>(*t)));
        tables.extend(outs.iter().map(|(_, t)| cx.zp.table::<E>(*t)));
        cx.finish(claims.deferred, &tables, 0)
    }
}

/// [`TableMasks`] for a convolution step: table 0, the kernel's combination, is read at the
/// stack point `(kernel point, ρ_dx, ρ_dy)` as `Σ_d w_d·m_d(kernel point)`
/// ([`ConvShape::unstack_kernel`]); the others as placed.
struct KernelMasks<'a, 'b, F, E> {
    shape: &'a ConvShape,
    kernel: &'a [usize],
    /// Any model segment's placement (its part is the model's).
    model: &'a Placed<E>,
    step: StepMasks<'a, 'b, F, E>,
}

impl<F: BaseField, E: ExtField<F>> TableMasks<E> for KernelMasks<'_, '_, F, E> {
    fn mask_at(&self, table: usize, point: &[E]) -> E {
        if table != 0 {
            return self.step.mask_at(table, point);
        }
        let (z, weights) = self.shape.unstack_kernel(point);
        self.kernel
            .iter()
            .zip(weights)
            .map(|(&seg, w)| {
                w * self
                    .step
                    .masks
                    .at(&Placed::segment(self.model.part, seg), z)
            })
            .sum()
    }
}

/// The plan of a convolution layer: its kernel matrices' and bias's model segments, its requantization, its path.
pub(crate) fn plan(
    c: &crate::model::Conv2d,
    cx: &mut PlanStep<'_>,
) -> Result<Planned, NetworkError> {
    let l = cx.l;
    let input = cx.input.clone();
    let out_shape = cx.out_shape;
    // A grouped convolution's channel index splits into (channel within the
    // group, group) bits only when both widths are powers of two.
    let (gi, go) = (c.group_in(), c.group_out());
    if c.groups != 1 && !(gi.is_power_of_two() && go.is_power_of_two()) {
        return Err(cx.unsupported(format!(
            "a convolution in {} channel groups of {gi} input and {go} output \
             channels; grouped convolutions need powers of two channels per group",
            c.groups
        )));
    }
    let area = c.kernel[0].saturating_mul(c.kernel[1]);
    if area > MAX_KERNEL_AREA {
        return Err(NetworkError::TooLarge {
            layer: Some(l),
            what: "its kernel positions (height × width)",
            size: area as u128,
            limit: MAX_KERNEL_AREA as u128,
        });
    }
    let output = if c.groups == 1 {
        cx.weighted_padded(Dims::new(out_shape))
    } else {
        cx.padded(Dims::new(out_shape))
    };
    let shape = ConvShape {
        input: input.clone(),
        output: output.clone(),
        wy: cx.window(c.kernel[0], c.stride, c.padding, 1),
        wx: cx.window(c.kernel[1], c.stride, c.padding, 2),
        groups: c.groups,
    };
    // Kernel matrices `[o][j]`, `j` the input channel within o's group.
    let (vo, vj) = (output.vars[0], shape.group_in_vars());
    let kernel = (0..area)
        .map(|_| cx.p.weight_seg(c.out_channels, vo, gi, vj))
        .collect();
    let bias = cx.p.bias(c.out_channels, vo);
    let requant =
        cx.p.requant(c.shift, output.num_vars(), cx.overflow(c.shift)?);
    let src = yn(&requant);
    // The FFT path takes ordinary convolutions only.
    let path = if c.groups == 1 {
        cx.policy.path(&shape)
    } else {
        ConvPath::Direct
    };
    let step = Step::Conv(Conv {
        shape,
        kernel,
        bias,
        requant,
        path,
    });
    Ok((step, output, src))
}
