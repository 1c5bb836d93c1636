//! Max-pooling of any window (`k × k`, stride `s`, padding `p`, floor or ceil mode): the pieces
//! the network composes ([`crate::network`], `spec/pooling.md` "Max pool (any window)").
//!
//! For each kernel offset `d = (dy, dx)` (row-major, `d = dy·k + dx`), the *view*
//! `V_d[c][y][x] = X[c][y·s+dy−p][x·s+dx−p]` where that position is inside the input, else 0,
//! is a linear map of the input `X` through the index maps of [`super::window`]:
//!
//! ```text
//!   Ṽ_d(r_x, r_y, r_c) = Σ_{ix, iy} X̃(ix, iy, r_c) · M̃_x(dx, r_x, ix) · M̃_y(dy, r_y, iy).
//! ```
//!
//! The max runs over the *extended* views `V'_d = V_d − L·P_d`, where `L = 2^{B−1} − 1` and
//! `P_d(y, x) = 1` exactly when output `(y, x)` is real and the offset `d` falls in the padding
//! there (`P̃_d = lt(r_y, h_out)·lt(r_x, w_out) − R̃_y(dy, r_y)·R̃_x(dx, r_x)`, `R(d, o) = 1` when
//! `(d, o)` reads a real input position): a padded position reads as `−L`, the smallest
//! activation, so it never exceeds a real one, and every window holds a real position.
//!
//! This module provides the views (prover tables), the verifier's `P̃_d`, and the reduction of claims on the views at several points to one claim on `X` (one product
//! sum-check against `T = Σ_j γ_j·eq(r_{j,c}, ·)·M̃_y(dy_j, r_{j,y}, ·)·M̃_x(dx_j, r_{j,x}, ·)`,
//! which the verifier evaluates in `O(k·out)` per point). The chain of two-way maxima is checked
//! by the batched zero-check `Σ_x eq(r', x)·Σ_i λ_i·(z_i − u_i)(x)·(z_i − v_i)(x) = 0`
//! ([`super::zero_check::prove_batched`]).
//!
//! In zero-knowledge mode ([`prove_views_zk`], [`verify_views_zk`]) the extended views are
//! committed and one masked sum-check against the same map `T` (all claims at one fresh point,
//! one `γ_d` per offset) shows that each is the input's view; the chain is the zero-knowledge
//! zero-check over advice combinations.

use super::conv::ConvShape;
use super::{prove_product, verify_product, Dims, LayerError, ProductProof};
use crate::field::{from_i64, lift};
use crate::field::{BaseField, ExtField, MulAcc};
use crate::network::op::{MaskStep, NetworkOp, Requantized, WitnessStep, Witnessed};
use crate::network::plan::{
    window_chain, window_segments, Operand, PlanStep, Planned, Source, Step, View, MAX_KERNEL_AREA,
};
use crate::network::prover::{sub_grid, window_low, Ctx as ProverCtx};
use crate::network::verifier::Ctx as VerifierCtx;
use crate::network::zk::{ZkPlan, ZkStepProver, ZkStepVerifier};
use crate::network::{NetworkError, VerifyError};
use crate::poly::{eq_eval, eq_table, lt_eval, Mle};
use crate::transcript::TranscriptExt;
use crate::zk::Placed;
use merlin::Transcript;

/// The kernel offsets `(dy, dx)`, row-major (`d = dy·k + dx`).
pub fn offsets(shape: &ConvShape) -> impl Iterator<Item = (usize, usize)> + '_ {
    (0..shape.wy.k).flat_map(move |dy| (0..shape.wx.k).map(move |dx| (dy, dx)))
}

/// The number of offsets `k_h·k_w`.
pub fn offset_count(shape: &ConvShape) -> usize {
    shape.wy.k.saturating_mul(shape.wx.k)
}

/// The view of offset `(dy, dx)` of the padded input `x` in the padded output layout: `x` at
/// the offset's input position, `low` where the output is real and the position is padding, and
/// `zero` where the output is padding. `low = zero` gives the plain view `V_d`; `low = −L` the
/// extended view `V'_d`.
///
/// `x` may hold a batch of `2^b` inputs (`2^b` times `shape.input`'s entries, the batch index
/// over the top variables): the view is then the batch's, `2^b` times `shape.output`'s
/// entries, the batch bits riding above the channel bits.
pub fn view<T: Copy>(
    shape: &ConvShape,
    x: &[T],
    (dy, dx): (usize, usize),
    low: T,
    zero: T,
) -> Vec<T> {
    let (vh, vw) = (shape.input.vars[1], shape.input.vars[2]);
    let (voh, vow) = (shape.output.vars[1], shape.output.vars[2]);
    let at = |w: &super::window::Window, o: usize, d: usize| {
        (o * w.stride + d)
            .checked_sub(w.pad)
            .filter(|&i| i < w.input)
    };
    let slots = (x.len() / shape.input.len().max(1)).max(1);
    (0..shape.output.len() * slots)
        .map(|q| {
            let ox = q & ((1 << vow) - 1);
            let oy = (q >> vow) & ((1 << voh) - 1);
            let c = q >> (vow + voh);
            if oy >= shape.wy.output || ox >= shape.wx.output {
                return zero;
            }
            match (at(&shape.wy, oy, dy), at(&shape.wx, ox, dx)) {
                (Some(iy), Some(ix)) => x[(((c << vh) | iy) << vw) | ix],
                _ => low,
            }
        })
        .collect()
}

/// `P̃_d(r)` for every offset `d` (row-major) at a point `r` of the output: the multilinear
/// extension of "output `(y, x)` is real and offset `d` reads padding there".
pub fn padding_indicators<E: MulAcc>(shape: &ConvShape, r: &[E]) -> Vec<E> {
    let parts = shape.output.split(r);
    let (Some(r_y), Some(r_x)) = (parts.get(1), parts.get(2)) else {
        return vec![E::ZERO; offset_count(shape)];
    };
    let real = lt_eval(r_y, shape.wy.output) * lt_eval(r_x, shape.wx.output);
    let ry = shape.wy.real_offsets(r_y);
    let rx = shape.wx.real_offsets(r_x);
    ry.iter()
        .flat_map(|&a| rx.iter().map(move |&b| real - a * b))
        .collect()
}

/// A claim `Ṽ_d(point) = value` on the plain view of offset `d` (row-major).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewClaim<E> {
    /// A point of the output.
    pub point: Vec<E>,
    /// The offset `d = dy·k + dx`.
    pub offset: usize,
    /// The claimed value.
    pub value: E,
}

/// Claims at one point: the point and each claim's `(index, offset)`.
type Group<'a, E> = (&'a [E], Vec<(usize, usize)>);

/// The claims grouped by point, in order of first appearance.
fn groups<E: PartialEq>(claims: &[ViewClaim<E>]) -> Vec<Group<'_, E>> {
    let mut out: Vec<Group<'_, E>> = Vec::new();
    for (j, c) in claims.iter().enumerate() {
        match out.iter_mut().find(|(p, _)| *p == c.point.as_slice()) {
            Some((_, g)) => g.push((j, c.offset)),
            None => out.push((&c.point, vec![(j, c.offset)])),
        }
    }
    out
}

/// Reduces claims on the views of the padded input `x` to one claim on `x`: draws one
/// `view-combination` coefficient `γ_j` per claim, and proves `Σ_j γ_j·v_j = Σ_i x(i)·T(i)` by a
/// product sum-check. Returns the proof, the point `ρ` on `x` and `x̃(ρ)` (the proof's first
/// value; the second is `T̃(ρ)`, which the verifier computes).
pub fn prove_views<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    x: &[F],
    claims: &[ViewClaim<E>],
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>, E) {
    let gamma: Vec<E> = transcript.challenge_fields(b"view-combination", claims.len());
    let target: E = claims.iter().zip(&gamma).map(|(c, &g)| g * c.value).sum();
    let t = map_table(shape, claims, &gamma, x.len());
    let (proof, point) =
        prove_product(vec![Mle::Base(x.to_vec()), Mle::Ext(t)], target, transcript);
    let value = proof.values[0];
    (proof, point, value)
}

/// The table `T(i) = Σ_j γ_j·eq(r_{j,c}, i_c)·M̃_y(dy_j, r_{j,y}, i_y)·M̃_x(dx_j, r_{j,x}, i_x)`
/// over the input's `len` padded positions, for claims at points `r_j` on offsets `d_j` (their
/// values unused): `Σ_j γ_j·Ṽ_{d_j}(r_j) = Σ_i x(i)·T(i)`.
fn map_table<E: MulAcc>(
    shape: &ConvShape,
    claims: &[ViewClaim<E>],
    gamma: &[E],
    len: usize,
) -> Vec<E> {
    let (vh, vw) = (shape.input.vars[1], shape.input.vars[2]);
    let (h_len, w_len) = (1usize << vh, 1usize << vw);
    let kx = shape.wx.k;
    let mut t = vec![E::ZERO; len];
    for (point, members) in groups(claims) {
        let parts = shape.output.split(point);
        let (r_y, r_x) = (parts[1], parts[2]);
        // The rows: the channel coordinates, then a batch's.
        let r_c = &point[(r_y.len() + r_x.len()).min(point.len())..];
        let (ey, ex) = (eq_table(r_y), eq_table(r_x));
        // C[dy][ix] = Σ_{claims (dy, dx)} γ·M_x(dx, ·, ix) folded by eq(r_x).
        let mut cx = vec![vec![E::ZERO; w_len]; shape.wy.k];
        let bx: Vec<Vec<E>> = (0..kx)
            .map(|dx| shape.wx.table_at(dx, &ex, w_len))
            .collect();
        for &(j, d) in &members {
            let (dy, dx) = (d / kx, d % kx);
            for (c, &b) in cx[dy].iter_mut().zip(&bx[dx]) {
                *c += gamma[j] * b;
            }
        }
        // S[iy][ix] = Σ_dy A[dy][iy]·C[dy][ix].
        let mut s = vec![E::ZERO; h_len * w_len];
        for (dy, c) in cx.iter().enumerate() {
            if c.iter().all(|v| v.is_zero()) {
                continue;
            }
            let a = shape.wy.table_at(dy, &ey, h_len);
            for (iy, &av) in a.iter().enumerate() {
                if av.is_zero() {
                    continue;
                }
                for (sv, &cv) in s[iy * w_len..(iy + 1) * w_len].iter_mut().zip(c) {
                    *sv += av * cv;
                }
            }
        }
        for (block, &e) in t.chunks_exact_mut(h_len * w_len).zip(&eq_table(r_c)) {
            for (tv, &sv) in block.iter_mut().zip(&s) {
                *tv += e * sv;
            }
        }
    }
    t
}

/// Verifies [`prove_views`]: returns the point `ρ` on the input and the input's claimed value
/// there, after checking the sent `T̃(ρ)` against the verifier's own.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_views<E: MulAcc>(
    shape: &ConvShape,
    claims: &[ViewClaim<E>],
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, E), LayerError> {
    verify_views_batched(shape, 0, claims, proof, transcript)
}

/// [`verify_views`] for a batch of `2^batch_vars` inputs: the input has `batch_vars` more
/// variables (the top ones), and every claim's point `batch_vars` more coordinates (the
/// last), which the index map passes through like the channel's.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_views_batched<E: MulAcc>(
    shape: &ConvShape,
    batch_vars: usize,
    claims: &[ViewClaim<E>],
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, E), LayerError> {
    let gamma: Vec<E> = transcript.challenge_fields(b"view-combination", claims.len());
    let target: E = claims.iter().zip(&gamma).map(|(c, &g)| g * c.value).sum();
    let vars = shape.input.num_vars() + batch_vars;
    let (rho, values) = verify_product("max-pool views", vars, 2, target, proof, transcript)?;
    let (Some(&xv), Some(&tv)) = (values.first(), values.get(1)) else {
        return Err(LayerError::Count {
            what: "max-pool views",
            expected: 2,
            got: values.len(),
        });
    };
    let expected = map_eval(shape, claims, &gamma, &rho)?;
    if tv != expected {
        return Err(LayerError::PublicValue {
            what: "max-pool view map",
        });
    }
    Ok((rho, xv))
}

/// `T̃(ρ)` of [`map_table`] at a point `ρ` on the input: `O(k·out)` per claimed point.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
fn map_eval<E: MulAcc>(
    shape: &ConvShape,
    claims: &[ViewClaim<E>],
    gamma: &[E],
    rho: &[E],
) -> Result<E, LayerError> {
    let input = shape.input.split(rho);
    let (Some(i_y), Some(i_x)) = (input.get(1), input.get(2)) else {
        return Err(LayerError::Count {
            what: "max-pool view point",
            expected: 3,
            got: input.len(),
        });
    };
    // The rows: the channel coordinates, then a batch's (the index map passes them through).
    let i_c = rho.get(i_y.len() + i_x.len()..).unwrap_or(&[]);
    let kx = shape.wx.k;
    let mut expected = E::ZERO;
    for (point, members) in groups(claims) {
        let parts = shape.output.split(point);
        let (Some(r_y), Some(r_x)) = (parts.get(1), parts.get(2)) else {
            return Err(LayerError::Count {
                what: "max-pool view claim point",
                expected: 3,
                got: parts.len(),
            });
        };
        let r_c = point.get(r_y.len() + r_x.len()..).unwrap_or(&[]);
        if r_c.len() != i_c.len() {
            return Err(LayerError::Count {
                what: "max-pool view claim point",
                expected: i_c.len(),
                got: r_c.len(),
            });
        }
        let ay = shape.wy.evaluate_offsets(r_y, i_y);
        let bx = shape.wx.evaluate_offsets(r_x, i_x);
        let mut s = E::ZERO;
        for (j, d) in members {
            let (Some(&g), Some(&a), Some(&b)) = (gamma.get(j), ay.get(d / kx), bx.get(d % kx))
            else {
                return Err(LayerError::Count {
                    what: "max-pool view offsets",
                    expected: offset_count(shape),
                    got: d,
                });
            };
            s += g * a * b;
        }
        expected += eq_eval(r_c, i_c) * s;
    }
    Ok(expected)
}

/// Label of the zero-knowledge views step's point `r` on the output.
pub const ZK_POINT: &[u8] = b"zk-max-pool-views-point";
/// Label of its batching coefficients `γ_d`, one per offset.
pub const ZK_BATCH: &[u8] = b"zk-max-pool-views-batch";

/// The mask degree of the zero-knowledge views step ([`prove_views_zk`]).
fn views_zk_degree(shape: &ConvShape, input_public: bool) -> usize {
    super::dense::matvec_mask_degree(true, input_public, offset_count(shape))
}

/// The sum-check variables of the zero-knowledge views step: the larger side's, and a batch's.
fn views_zk_vars(shape: &ConvShape, batch_vars: usize) -> usize {
    shape.input.num_vars().max(shape.output.num_vars()) + batch_vars
}

/// The number of fresh `E` mask entries [`prove_views_zk`] needs: its Libra mask.
pub fn views_zk_mask_len(shape: &ConvShape, input_public: bool) -> usize {
    views_zk_mask_len_batched(shape, 0, input_public)
}

/// [`views_zk_mask_len`] for a batch of `2^batch_vars` inputs ([`prove_views_zk_batched`]).
pub fn views_zk_mask_len_batched(
    shape: &ConvShape,
    batch_vars: usize,
    input_public: bool,
) -> usize {
    1 + (views_zk_vars(shape, batch_vars) + 1) * views_zk_degree(shape, input_public)
}

/// The claims at `r` on every offset (values unused) and `Σ_d γ_d·P̃_d(r)`.
fn views_at<E: MulAcc>(shape: &ConvShape, r: &[E], gamma: &[E]) -> (Vec<ViewClaim<E>>, E) {
    let claims = (0..offset_count(shape))
        .map(|d| ViewClaim {
            point: r.to_vec(),
            offset: d,
            value: E::ZERO,
        })
        .collect();
    let pad = padding_indicators(shape, r)
        .iter()
        .zip(gamma)
        .map(|(&p, &g)| p * g)
        .sum();
    (claims, pad)
}

/// The core's numbering (`1` = the input, `2 + d` = view `d`) as this step's (`0` = the input,
/// `1 + d` = view `d`).
struct Renumber<'a, T>(&'a T);

impl<E, T: crate::zk::TableMasks<E>> crate::zk::TableMasks<E> for Renumber<'_, T> {
    fn mask_at(&self, table: usize, point: &[E]) -> E {
        self.0.mask_at(table.saturating_sub(1), point)
    }
}

fn renumber<E>(claims: Vec<crate::zk::Deferred<E>>) -> Vec<crate::zk::Deferred<E>> {
    claims
        .into_iter()
        .map(|c| match c {
            crate::zk::Deferred::Masked {
                table,
                point,
                beta,
                value,
            } => crate::zk::Deferred::Masked {
                table: table.saturating_sub(1),
                point,
                beta,
                value,
            },
            other => other,
        })
        .collect()
}

/// The window max-pool's extended views against committed copies, in zero knowledge
/// (`spec/zk.md`, "Window max-pooling, in zero-knowledge mode"): at a fresh point `r` on the
/// output ([`ZK_POINT`]) with one fresh `γ_d` per offset ([`ZK_BATCH`]), one masked sum-check of
///
/// ```text
///     Σ_i T(i)·x̃(i) − Σ_o eq(r, o)·Σ_d γ_d·V'_d(o) = L·Σ_d γ_d·P̃_d(r),
///     T(i) = Σ_d γ_d·eq(r_c, i_c)·M̃_y(dy, r_y, i_y)·M̃_x(dx, r_x, i_x)
/// ```
///
/// over `max(n_in, n_out)` variables — [`super::dense::prove_zk`]'s matrix–vector step with the
/// public map `T` (the transparent view reduction's, all claims at `r`) as its matrix, the
/// input `x` (private unless `input_public`) and the committed extended views `V'_d = V_d −
/// L·P_d` (`views[d]`, `L = low`) as its output-side tables of weights `−γ_d`: the relation
/// says that each committed view is the input's view. Tables numbered `0` = `x` (at
/// `ρ_{<n_in}`), `1 + d` = view `d` (at `ρ_{<n_out}`) for `scalars` and the claims; `fresh` is
/// the Libra mask ([`views_zk_mask_len`] entries). Returns the proof and the claims, then the
/// mask's form — [`verify_views_zk`]'s list.
///
/// Refuses (`LayerError::Count`) tables or fresh masks of the wrong length.
#[allow(clippy::too_many_arguments)]
pub fn prove_views_zk<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    x: &[F],
    input_public: bool,
    views: &[&[F]],
    low: E,
    fresh: &[E],
    scalars: &impl crate::zk::TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<
    (
        crate::sumcheck::zk::MaskedProof<E>,
        Vec<crate::zk::Deferred<E>>,
    ),
    LayerError,
> {
    prove_views_zk_batched(
        shape,
        0,
        x,
        input_public,
        views,
        low,
        fresh,
        scalars,
        transcript,
    )
}

/// [`prove_views_zk`] for a batch of `2^batch_vars` inputs (`spec/batch.md`, "Zero
/// knowledge"): the input and the views are the batch's (`batch_vars` more variables, the top
/// ones), the point `r` has `batch_vars` more coordinates, which the map `T` passes through
/// like the channel's (the transparent [`verify_views_batched`]'s map), and the one masked
/// sum-check runs over `max(n_in, n_out) + batch_vars` variables. With `batch_vars = 0`,
/// [`prove_views_zk`].
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn prove_views_zk_batched<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    batch_vars: usize,
    x: &[F],
    input_public: bool,
    views: &[&[F]],
    low: E,
    fresh: &[E],
    scalars: &impl crate::zk::TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<
    (
        crate::sumcheck::zk::MaskedProof<E>,
        Vec<crate::zk::Deferred<E>>,
    ),
    LayerError,
> {
    let count = |what, expected: usize, got: usize| {
        (expected != got)
            .then_some(LayerError::Count {
                what,
                expected,
                got,
            })
            .map_or(Ok(()), Err)
    };
    let k = offset_count(shape);
    count(
        "max-pool views (zero knowledge) input",
        shape.input.len() << batch_vars,
        x.len(),
    )?;
    count("max-pool views (zero knowledge) views", k, views.len())?;
    for v in views {
        count(
            "max-pool views (zero knowledge) view",
            shape.output.len() << batch_vars,
            v.len(),
        )?;
    }
    let len = views_zk_mask_len_batched(shape, batch_vars, input_public);
    count(
        "max-pool views (zero knowledge) fresh masks",
        len,
        fresh.len(),
    )?;
    let mask = crate::sumcheck::zk::Mask::from_entries(views_zk_vars(shape, batch_vars) + 1, fresh)
        .ok_or(LayerError::Count {
            what: "max-pool views (zero knowledge) fresh masks",
            expected: len,
            got: fresh.len(),
        })?;
    let r: Vec<E> = transcript.challenge_fields(ZK_POINT, shape.output.num_vars() + batch_vars);
    let gamma: Vec<E> = transcript.challenge_fields(ZK_BATCH, k);
    let (claims, pad) = views_at(shape, &r, &gamma);
    let outputs: Vec<(E, &[F])> = gamma.iter().zip(views).map(|(&g, v)| (-g, *v)).collect();
    let (proof, deferred) = super::dense::prove_matvec_zk(
        super::dense::MatVec {
            matrix: map_table(shape, &claims, &gamma, x.len()),
            matrix_public: true,
            x,
            input_public,
        },
        &outputs,
        &r,
        low * pad,
        &mask,
        &Renumber(scalars),
        transcript,
    );
    Ok((proof, renumber(deferred)))
}

/// Verifies [`prove_views_zk`]; `input` is the public input's table, or `None` for a committed
/// one. Returns the claims for the proof's opening (numbered as there).
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_views_zk<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    input: Option<&[F]>,
    low: E,
    proof: &crate::sumcheck::zk::MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<crate::zk::Deferred<E>>, LayerError> {
    verify_views_zk_batched::<F, E>(shape, 0, input, low, proof, transcript)
}

/// Verifies [`prove_views_zk_batched`]; a public input is the padded batch's.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_views_zk_batched<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    batch_vars: usize,
    input: Option<&[F]>,
    low: E,
    proof: &crate::sumcheck::zk::MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<crate::zk::Deferred<E>>, LayerError> {
    let k = offset_count(shape);
    let r: Vec<E> = transcript.challenge_fields(ZK_POINT, shape.output.num_vars() + batch_vars);
    let gamma: Vec<E> = transcript.challenge_fields(ZK_BATCH, k);
    let (claims, pad) = views_at(shape, &r, &gamma);
    let matrix = |rho: &[E]| map_eval(shape, &claims, &gamma, rho).unwrap_or(E::ZERO);
    let weights: Vec<E> = gamma.iter().map(|&g| -g).collect();
    let deferred = super::dense::verify_matvec_zk::<F, E>(
        super::dense::MatVecNames {
            step: "max-pool views (zero knowledge)",
            point: "max-pool views (zero knowledge) point",
            input: "max-pool views (zero knowledge) public input",
        },
        shape.input.num_vars() + batch_vars,
        &weights,
        Some(&matrix),
        input,
        &r,
        low * pad,
        views_zk_degree(shape, input.is_some()),
        proof,
        transcript,
    )?;
    Ok(renumber(deferred))
}

#[cfg(test)]
mod zk_tests {
    //! The zero-knowledge views step, discharged by one opening of a hiding commitment that
    //! holds the input, the committed extended views and the step's Libra mask.
    use super::*;
    use crate::field::{from_i64, lift, Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::layers::window::Window;
    use crate::layers::Dims;
    use crate::pcs::basefold::Params;
    use crate::pcs::packing::Packing;
    use crate::pcs::zk::{self as pzk, ZkProverData};
    use crate::sumcheck::zk::MaskedProof;
    use crate::zk::{mask_entries, DischargeError, Layout, Ledger, Placed, TableMasks};
    use ark_ff::{AdditiveGroup, FftField, Field, PrimeField};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const L: i64 = 127;

    fn params() -> Params {
        Params {
            rate_bits: 2,
            fold_bits: 2,
            queries: 8,
            pow_bits: 0,
        }
    }

    /// A `k × k` max-pool of stride `s`, padding `p` over `[c, h, w]` (floor mode).
    fn pool(c: usize, h: usize, w: usize, k: usize, s: usize, p: usize) -> ConvShape {
        let out = |n: usize| (n + 2 * p - k) / s + 1;
        let window = |n: usize| Window {
            k,
            stride: s,
            pad: p,
            input: n,
            output: out(n),
        };
        ConvShape {
            input: Dims::new(&[c, h, w]),
            output: Dims::new(&[c, out(h), out(w)]),
            wy: window(h),
            wx: window(w),
            groups: 1,
        }
    }

    /// Pools: ResNet's 3×3 stride 2 with padding 1 on uneven sides, a 2×2 stride 1, a 3×3
    /// stride 2 without padding.
    fn shapes() -> [ConvShape; 3] {
        [
            pool(3, 7, 6, 3, 2, 1),
            pool(2, 4, 4, 2, 1, 0),
            pool(1, 5, 5, 3, 2, 0),
        ]
    }

    /// The committed tables' masks: table `t` is segment `t`.
    struct Segments<'a, F> {
        data: &'a ZkProverData<F>,
        packing: &'a Packing,
    }

    impl<F: BaseField, E: ExtField<F>> TableMasks<E> for Segments<'_, F> {
        fn mask_at(&self, table: usize, point: &[E]) -> E {
            let z = self.packing.point(table, point);
            self.data.mask_at(0, &z).expect("one committed table")
        }
    }

    /// A random padded input and its extended views: `[x, V'_0, …]`.
    fn witness<F: PrimeField>(rng: &mut StdRng, shape: &ConvShape) -> Vec<Vec<F>> {
        let mut x = vec![0i64; shape.input.len()];
        for q in 0..shape.input.logical_len() {
            x[shape.input.padded_index(q)] = rng.gen_range(-L..=L);
        }
        let f = |v: &[i64]| -> Vec<F> { v.iter().map(|&a| from_i64::<F>(a)).collect() };
        let mut out = vec![f(&x)];
        out.extend(offsets(shape).map(|d| f(&view(shape, &x, d, -L, 0))));
        out
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Cheat {
        None,
        /// A committed view wrong in one real entry, proven as committed.
        View,
        /// A committed view holding 0 instead of `−L` where its offset reads padding (the
        /// plain view), proven as committed.
        Plain,
        /// A masked value changed in the proof.
        Value,
    }

    fn run<F: BaseField + FftField, E: ExtField<F>>(
        seed: u64,
        shape: &ConvShape,
        input_public: bool,
        cheat: Cheat,
    ) -> Result<(), DischargeError> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut t = witness::<F>(&mut rng, shape);
        match cheat {
            Cheat::View => t[2][0] += F::ONE,
            Cheat::Plain => {
                // Offset 0 reads padding at output (0, 0) when the pool pads.
                assert_eq!(t[1][0], from_i64::<F>(-L));
                t[1][0] = F::ZERO;
            }
            _ => {}
        }
        let k = offset_count(shape);
        let low = lift::<E>(from_i64::<F>(L));
        let fresh: Vec<E> = (0..views_zk_mask_len(shape, input_public))
            .map(|_| E::rand(&mut rng))
            .collect();
        let mut masks = mask_entries::<F, E>(&fresh);
        let mask_vars = (masks.len().next_power_of_two().trailing_zeros() as usize).max(7);
        masks.resize(1 << mask_vars, F::ZERO);
        let mut vars = vec![shape.input.num_vars()];
        vars.extend(std::iter::repeat_n(shape.output.num_vars(), k));
        vars.push(mask_vars);
        let packing = Packing::new(&vars);
        let mut segs = t.clone();
        segs.push(masks);
        let (commitment, mut data) =
            pzk::commit(&params(), packing.pack(&segs), packing.num_vars(), &mut rng).unwrap();
        let layout = Layout {
            packings: vec![packing.clone()],
            masks: Some((0, k + 1)),
        };
        let placed: Vec<Placed<E>> = (0..=k).map(|s| Placed::segment(0, s)).collect();
        let start = || {
            let mut t = Transcript::new(b"max-pool-views-zk");
            t.append_message(b"root", &commitment.inner.root);
            t
        };
        let scalars = Segments {
            data: &data,
            packing: &packing,
        };
        let views: Vec<&[F]> = t[1..].iter().map(Vec::as_slice).collect();
        let mut tp = start();
        let (mut proof, deferred) = prove_views_zk(
            shape,
            &t[0],
            input_public,
            &views,
            low,
            &fresh,
            &scalars,
            &mut tp,
        )
        .unwrap();
        let public = input_public.then_some(&t[0][..]);
        let expected = verify_views_zk::<F, E>(shape, public, low, &proof, &mut start()).unwrap();
        assert_eq!(
            expected == deferred,
            matches!(cheat, Cheat::None | Cheat::Value),
            "the prover's claims are the verifier's unless the sum is false"
        );
        let mut ledger = Ledger::new();
        ledger.defer(expected, &placed, 0).unwrap();
        let opening = ledger
            .open(
                &params(),
                &layout,
                &mut [(&commitment, &mut data.clone())],
                &mut rng,
                &mut tp.clone(),
            )
            .or_else(|e| match (cheat, e) {
                (Cheat::View | Cheat::Plain, DischargeError::Unsatisfied { .. }) => ledger
                    .open_checked(
                        &params(),
                        &layout,
                        &mut [(&commitment, &mut data)],
                        &mut rng,
                        &mut tp,
                        false,
                    ),
                (_, e) => Err(e),
            })
            .unwrap();
        if cheat == Cheat::Value {
            proof.values[0] += E::ONE;
        }
        let mut tv = start();
        let claims = verify_views_zk::<F, E>(shape, public, low, &proof, &mut tv)
            .expect("the sum-check's shape is right");
        let mut ledger = Ledger::new();
        ledger.defer(claims, &placed, 0)?;
        ledger
            .verify(&params(), &layout, &[&commitment], &opening, &mut tv)
            .map(|_| ())
    }

    #[test]
    fn the_zero_knowledge_views_round_trip_on_both_fields() {
        for (i, shape) in shapes().iter().enumerate() {
            for public in [false, true] {
                assert_eq!(
                    run::<Goldilocks, GoldilocksExt2>(1, shape, public, Cheat::None),
                    Ok(()),
                    "{i} {public}"
                );
                assert_eq!(
                    run::<Bn254Fr, Bn254Fr>(2, shape, public, Cheat::None),
                    Ok(()),
                    "{i} {public}"
                );
            }
        }
    }

    #[test]
    fn a_cheating_views_prover_is_caught() {
        let shape = &shapes()[0];
        for public in [false, true] {
            for cheat in [Cheat::View, Cheat::Plain, Cheat::Value] {
                let got = run::<Goldilocks, GoldilocksExt2>(3, shape, public, cheat);
                assert!(
                    matches!(got, Err(DischargeError::Opening(_))),
                    "{public} {cheat:?}: {got:?}"
                );
            }
        }
        assert!(matches!(
            run::<Bn254Fr, Bn254Fr>(4, shape, false, Cheat::View),
            Err(DischargeError::Opening(_))
        ));
    }

    #[test]
    fn the_views_prover_refuses_wrong_shapes() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let shape = &shapes()[1];
        let x = vec![F::ZERO; shape.input.len()];
        let v = vec![F::ZERO; shape.output.len()];
        let fresh = vec![E::ZERO; views_zk_mask_len(shape, false)];
        let scalars = crate::zk::ExplicitMasks::<E>(vec![vec![E::ZERO; 64]; 5]);
        let mut t = Transcript::new(b"t");
        let refused = |x: &[F], views: &[&[F]], fresh: &[E], t: &mut Transcript| {
            prove_views_zk(shape, x, false, views, E::ONE, fresh, &scalars, t).map(|_| ())
        };
        assert_eq!(
            refused(&x, &[&v, &v, &v], &fresh, &mut t),
            Err(LayerError::Count {
                what: "max-pool views (zero knowledge) views",
                expected: 4,
                got: 3
            })
        );
        assert_eq!(
            refused(&x[1..], &[&v, &v, &v, &v], &fresh, &mut t),
            Err(LayerError::Count {
                what: "max-pool views (zero knowledge) input",
                expected: x.len(),
                got: x.len() - 1
            })
        );
        assert_eq!(
            refused(&x, &[&v, &v, &v, &v], &fresh[1..], &mut t),
            Err(LayerError::Count {
                what: "max-pool views (zero knowledge) fresh masks",
                expected: fresh.len(),
                got: fresh.len() - 1
            })
        );
        assert_eq!(refused(&x, &[&v, &v, &v, &v], &fresh, &mut t), Ok(()));
    }

    // The simulator's argument (`zk::explain`).

    use crate::zk::explain::{self, mask_sizes, table_stages, Proven, Randomness, Witnesses};

    const LABEL: &[u8] = b"max-pool-views-zk-simulator";

    /// Zero knowledge of the views step as code (`zk::explain`, `check_explained`): two inputs
    /// of the same shape with their views give the identical proof under solved masks, the
    /// claims hold on each one's tables, solving back returns the first masks; unmasked, the
    /// proofs differ and the masked values are the tables' values. Then the spread over 64
    /// runs.
    fn views_witnesses<F: BaseField, E: ExtField<F>>(seed: u64, shape: &ConvShape) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (ta, tb) = (witness::<F>(&mut rng, shape), witness::<F>(&mut rng, shape));
        let fresh = views_zk_mask_len(shape, false);
        let low = lift::<E>(from_i64::<F>(L));
        let prover = |t: &Vec<Vec<F>>| {
            let (t, shape) = (t.clone(), shape.clone());
            move |rnd: &Randomness<E>| -> Proven<E> {
                let views: Vec<&[F]> = t[1..].iter().map(Vec::as_slice).collect();
                let (proof, claims) = prove_views_zk(
                    &shape,
                    &t[0],
                    false,
                    &views,
                    low,
                    &rnd.fresh,
                    &rnd.masks(),
                    &mut Transcript::new(LABEL),
                )
                .unwrap();
                Proven {
                    proofs: vec![proof],
                    claims,
                    context: Vec::new(),
                }
            }
        };
        let (pa, pb) = (prover(&ta), prover(&tb));
        let value = |t: &Vec<Vec<F>>| {
            let t = t.clone();
            move |_: &[E], i: usize, z: &[E]| crate::poly::evaluate_base(&t[i], z)
        };
        let (va, vb) = (value(&ta), value(&tb));
        let verify = |p: &[MaskedProof<E>]| {
            let claims =
                verify_views_zk::<F, E>(shape, None, low, &p[0], &mut Transcript::new(LABEL))
                    .unwrap();
            (claims, Vec::new())
        };
        let w = Witnesses {
            prove: [&pa, &pb],
            value: [&va, &vb],
            mask: &explain::explicit_mask,
            verify: &verify,
            stages: &table_stages,
        };
        let vars: Vec<usize> = ta
            .iter()
            .map(|t| t.len().trailing_zeros() as usize)
            .collect();
        let sizes = mask_sizes(&vars);
        explain::check_explained(&w, Randomness::random(&mut rng, fresh, &sizes));
        explain::check_spread(&w, &mut || Randomness::random(&mut rng, fresh, &sizes), 64);
    }

    #[test]
    fn the_zero_knowledge_views_are_simulated_for_any_witness() {
        for shape in shapes() {
            views_witnesses::<Goldilocks, GoldilocksExt2>(30, &shape);
            views_witnesses::<Bn254Fr, Bn254Fr>(31, &shape);
        }
    }
}

/// A 2×2 stride-2 max-pool of a network (`spec/pooling.md`): three two-way maxima over the
/// input's sub-grids `a, b, c, d` (`x[2y + dy][2x + dx]`), `m1 = max(a, b)`, `m2 = max(c, d)`,
/// `out = max(m1, m2)`, each `z = max(u, v)` proven by the zero-check `(z − u)·(z − v) = 0`
/// and the range check of `z − u`, `z − v` (the plan's range columns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaxPool2x2 {
    /// Advice segments of `m1`, `m2`, `out`.
    pub segs: [usize; 3],
}

impl MaxPool2x2 {
    /// The three maxima `(z, u, v)` as the plan's operands: the segments and the input's
    /// sub-grids.
    fn maxima(&self, tin: usize) -> [(Operand, Operand, Operand); 3] {
        let v = |dy, dx| {
            Operand::View(View {
                tensor: tin,
                offset: Some((dy, dx)),
            })
        };
        let [m1, m2, out] = self.segs.map(Operand::Seg);
        [
            (m1, v(0, 0), v(0, 1)),
            (m2, v(1, 0), v(1, 1)),
            (out, m1, m2),
        ]
    }

    /// The six differences `m1 − a, m1 − b, m2 − c, m2 − d, out − m1, out − m2` as base-field
    /// tables (the zero-knowledge zero-check's).
    fn differences<F: BaseField>(&self, d: &Dims, x: &[F], advice: &[Vec<F>]) -> Vec<Vec<F>> {
        let view = |dy, dx| sub_grid(d, x, dy, dx);
        let diff = |z: &[F], u: &[F]| -> Vec<F> { z.iter().zip(u).map(|(&a, &b)| a - b).collect() };
        let [m1, m2, out] = self.segs.map(|s| &advice[s]);
        vec![
            diff(m1, &view(0, 0)),
            diff(m1, &view(0, 1)),
            diff(m2, &view(1, 0)),
            diff(m2, &view(1, 1)),
            diff(out, m1),
            diff(out, m2),
        ]
    }
}

impl NetworkOp for MaxPool2x2 {
    const KIND: &'static str = "layers: max-pool";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        let tin = w.tin();
        let (x, d) = (&w.ints[tin], &w.plan.dims[tin]);
        let max = |a: Vec<i64>, b: Vec<i64>| -> Vec<i64> {
            a.iter().zip(&b).map(|(&a, &b)| a.max(b)).collect()
        };
        let m1 = max(sub_grid(d, x, 0, 0), sub_grid(d, x, 0, 1));
        let m2 = max(sub_grid(d, x, 1, 0), sub_grid(d, x, 1, 1));
        let out = max(m1.clone(), m2.clone());
        w.set(self.segs[0], &m1);
        w.set(self.segs[1], &m2);
        w.set(self.segs[2], &out);
        Witnessed::Output(out)
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        // Its difference tables combine the maxima (advice) with sub-grids of the input in one
        // placement: the input must be on the advice, not its own commitment. (The
        // zero-knowledge plan gives a max-pool of the input the window protocol; this guards
        // the sub-grid step.)
        if m.plan.sources[m.tin()] == Source::Input {
            return Err(m.unsupported("max-pooling the input (public or committed)"));
        }
        Ok(vec![super::zero_check::zk_mask_len(m.out_vars())])
    }

    fn prove<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ProverCtx<'_, F, E>,
        l: usize,
        _: Option<Requantized<'_, E>>,
    ) {
        let vars = cx.plan.dims[l + 1].num_vars();
        for (z, a, b) in self.maxima(cx.plan.input(l)) {
            let zt = cx.operand_table(z);
            let (at, bt) = (cx.operand_table(a), cx.operand_table(b));
            let da: Vec<F> = zt.iter().zip(&at).map(|(&z, &a)| z - a).collect();
            let db: Vec<F> = zt.iter().zip(&bt).map(|(&z, &b)| z - b).collect();
            let rho = cx.zero_check(vars, da, db);
            cx.eval_operand(z, &rho);
            cx.eval_operand(a, &rho);
            cx.eval_operand(b, &rho);
        }
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        _: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        let vars = cx.plan.dims.get(l + 1).map_or(0, |d| d.num_vars());
        for (z, a, b) in self.maxima(cx.plan.input(l)) {
            let (rho, da, db) = cx.zero_check(vars)?;
            let zv = cx.eval_operand(z, &rho)?;
            let av = cx.eval_operand(a, &rho)?;
            let bv = cx.eval_operand(b, &rho)?;
            if zv - av != da || zv - bv != db {
                return Err(cx.err(LayerError::Relation {
                    what: "max-pool differences",
                }));
            }
        }
        Ok(())
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        let (tables, pairs) = zk_tables::<E>(cx.zp, cx.l, &self.segs)?;
        let d = &cx.zp.plan.dims[cx.tin];
        let values = self.differences(d, &cx.tensors[cx.tin], cx.advice);
        prove_differences_zk(cx, &tables, &pairs, &values, 0)
    }

    fn verify_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepVerifier<'_, '_, F, E>,
    ) -> Result<(), VerifyError> {
        let (tables, pairs) =
            zk_tables::<E>(cx.zp, cx.l, &self.segs).map_err(VerifyError::Model)?;
        verify_differences_zk(cx, &tables, &pairs, 0)
    }
}

/// Max-pooling of any window, stride and padding (`spec/pooling.md`, "Max pool (any window)"):
/// a chain of two-way maxima over the window's extended views `V'_d` (offsets row-major;
/// padded positions read as `−L`), `m_1 = max(V'_0, V'_1)`, `m_i = max(m_{i−1}, V'_i)`, the
/// last `m` the output (one segment `m_1 = max(V'_0, V'_0)` for a 1×1 window), by one batched
/// zero-check and range columns; the views' claims are reduced to one claim on the input
/// after the range check ([`prove_views`]; in zero knowledge the views are committed and
/// [`prove_views_zk`] proves them from the input at the step).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaxPoolWindow {
    /// Geometry (the index maps with the pooling's padding; the output's rows and columns).
    pub shape: ConvShape,
    /// Segments of `m_1, …`; the last is the output.
    pub segs: Vec<usize>,
}

impl MaxPoolWindow {
    /// The window's extended views `V'_d` of the input `x` (padded positions read as `−L`),
    /// one per offset: the maxima's operands, and what a zero-knowledge proof commits.
    pub(crate) fn extended_views(&self, x: &[i64], bits: u32) -> Vec<Vec<i64>> {
        let low = -window_low(bits);
        offsets(&self.shape)
            .map(|d| view(&self.shape, x, d, low, 0))
            .collect()
    }

    /// The transparent prover's second part of the step, after the range check (whose columns
    /// read the views too): every claim on the views becomes one claim on the input
    /// ([`prove_views`]).
    pub(crate) fn reduce_views<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ProverCtx<'_, F, E>,
        l: usize,
    ) {
        let claims = std::mem::take(&mut cx.views[l]);
        let tin = cx.plan.input(l);
        let (proof, point, xv) = prove_views(&self.shape, &cx.tensors[tin], &claims, cx.t);
        cx.products.push(proof);
        cx.claim_tensor(tin, &point, xv);
    }

    /// The transparent verifier's side of [`MaxPoolWindow::reduce_views`].
    pub(crate) fn check_views<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
    ) -> Result<(), VerifyError> {
        cx.layer = l;
        let claims = cx.views.get_mut(l).map(std::mem::take).unwrap_or_default();
        let proof = cx.product()?;
        let (point, xv) =
            verify_views_batched(&self.shape, cx.plan.batch_vars, &claims, proof, cx.t)
                .map_err(|e| cx.err(e))?;
        cx.claim_tensor(cx.plan.input(l), &point, xv)
    }
}

impl NetworkOp for MaxPoolWindow {
    const KIND: &'static str = "layers: max-pool";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        let views = self.extended_views(&w.ints[w.tin()], w.plan.range_bits);
        let mut prev: Option<Vec<i64>> = None;
        for (i, &seg) in self.segs.iter().enumerate() {
            let (u, v) = match &prev {
                None => (&views[0], &views[1.min(views.len() - 1)]),
                Some(m) => (m, &views[i + 1]),
            };
            let m: Vec<i64> = u.iter().zip(v).map(|(&a, &b)| a.max(b)).collect();
            w.set(seg, &m);
            prev = Some(m);
        }
        Witnessed::Output(prev.unwrap_or_else(|| unreachable!("a window max-pool has a segment")))
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        Ok(vec![
            views_zk_mask_len_batched(&self.shape, m.plan.batch_vars, m.public(m.tin())),
            super::zero_check::zk_mask_len(m.out_vars()),
        ])
    }

    fn prove<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ProverCtx<'_, F, E>,
        l: usize,
        _: Option<Requantized<'_, E>>,
    ) {
        let vars = cx.plan.dims[l + 1].num_vars();
        let k2 = offset_count(&self.shape);
        let pairs: Vec<(Vec<F>, Vec<F>)> = window_chain(l, &self.segs, k2)
            .into_iter()
            .map(|(z, u, v)| {
                let zt = cx.operand_table(z);
                let (ut, vt) = (cx.operand_table(u), cx.operand_table(v));
                let du = zt.iter().zip(&ut).map(|(&z, &u)| z - u).collect();
                let dv = zt.iter().zip(&vt).map(|(&z, &v)| z - v).collect();
                (du, dv)
            })
            .collect();
        let (proof, rho) = super::zero_check::prove_batched(vars, pairs, cx.t);
        cx.products.push(proof);
        // Every operand once: the maxima, then the views.
        for &seg in &self.segs {
            cx.eval_seg(seg, &rho);
        }
        for offset in 0..k2 {
            cx.eval_operand(Operand::Window { layer: l, offset }, &rho);
        }
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        _: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        let vars = cx.plan.dims.get(l + 1).map_or(0, |d| d.num_vars());
        let k2 = offset_count(&self.shape);
        let chain = window_chain(l, &self.segs, k2);
        let proof = cx.product()?;
        let (rho, diffs) = super::zero_check::verify_batched(vars, chain.len(), proof, cx.t)
            .map_err(|e| cx.err(e))?;
        // Every operand once: the maxima, then the views.
        let mut seg_values = Vec::with_capacity(self.segs.len());
        for &seg in &self.segs {
            seg_values.push((seg, cx.eval_seg(seg, &rho)?));
        }
        let mut view_values = Vec::with_capacity(k2);
        for offset in 0..k2 {
            view_values.push(cx.eval_operand(Operand::Window { layer: l, offset }, &rho)?);
        }
        let value = |op: Operand| match op {
            Operand::Seg(s) => seg_values.iter().find(|(t, _)| *t == s).map(|&(_, v)| v),
            Operand::Window { offset, .. } => view_values.get(offset).copied(),
            Operand::View(_) | Operand::Valid(_) => None,
        };
        for ((z, u, v), (du, dv)) in chain.into_iter().zip(diffs) {
            let (Some(z), Some(u), Some(v)) = (value(z), value(u), value(v)) else {
                return Err(VerifyError::AdviceShape);
            };
            if z - u != du || z - v != dv {
                return Err(cx.err(LayerError::Relation {
                    what: "max-pool differences",
                }));
            }
        }
        Ok(())
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        let (zp, l) = (cx.zp, cx.l);
        let ap = zp.parts().1;
        let mut tables = vec![cx.x_table.clone()];
        tables.extend(zp.views[l].iter().map(|&s| Placed::segment(ap, s)));
        let views: Vec<&[F]> = zp.views[l].iter().map(|&s| &cx.advice[s][..]).collect();
        let low = lift::<E>(from_i64::<F>(window_low(zp.plan.range_bits)));
        let (fresh, off) = cx.fresh(0);
        let (proof, deferred) = prove_views_zk_batched(
            &self.shape,
            zp.plan.batch_vars,
            &cx.tensors[cx.tin],
            cx.x_public,
            &views,
            low,
            fresh,
            &cx.masks(&tables),
            cx.t,
        )
        .map_err(|e| cx.layer_err(e))?;
        cx.finish(proof, deferred, &tables, off)?;
        let (tables, pairs, diffs) = window_zk_tables::<E>(zp, l, &self.segs)?;
        let values: Vec<Vec<F>> = diffs
            .iter()
            .map(|&(z, u)| {
                cx.advice[z]
                    .iter()
                    .zip(&cx.advice[u])
                    .map(|(&a, &b)| a - b)
                    .collect()
            })
            .collect();
        prove_differences_zk(cx, &tables, &pairs, &values, 1)
    }

    fn verify_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepVerifier<'_, '_, F, E>,
    ) -> Result<(), VerifyError> {
        let (zp, l) = (cx.zp, cx.l);
        let ap = zp.parts().1;
        let views = zp.views.get(l).map_or(&[][..], Vec::as_slice);
        let mut tables = vec![cx.x_table.clone()];
        tables.extend(views.iter().map(|&s| Placed::segment(ap, s)));
        let low = lift::<E>(from_i64::<F>(window_low(zp.plan.range_bits)));
        let proof = cx.next()?;
        let claims = verify_views_zk_batched::<F, E>(
            &self.shape,
            zp.plan.batch_vars,
            cx.input_table,
            low,
            proof,
            cx.t,
        )
        .map_err(|e| cx.layer_err(e))?;
        cx.finish(claims, &tables, 0)?;
        let (tables, pairs, _) =
            window_zk_tables::<E>(zp, l, &self.segs).map_err(VerifyError::Model)?;
        verify_differences_zk(cx, &tables, &pairs, 1)
    }
}

/// The plan of a max-pool: the 2×2 sub-grid protocol ([`MaxPool2x2`]) where the windows tile the input, the window protocol ([`MaxPoolWindow`]) otherwise; their maxima segments and range columns.
pub(crate) fn plan(
    m: &crate::model::MaxPool2d,
    cx: &mut PlanStep<'_>,
) -> Result<Planned, NetworkError> {
    let l = cx.l;
    let tin = cx.tin;
    let input = cx.input.clone();
    let out_shape = cx.out_shape;
    if input.shape.len() != 3 {
        return Err(cx.unsupported("max-pooling a tensor that is not 3-D".into()));
    }
    // A view (sub-grid) point has fixed coordinates: only a claim may sit
    // there, so the viewed tensor must be committed or public, never derived
    // (a derived tensor's claims are relations of its producing step).
    if cx.p.sources[tin] == Source::Derived {
        return Err(cx.unsupported(
            "max-pooling a tensor that is not committed (a flatten's output)".into(),
        ));
    }
    let area = m.size.saturating_mul(m.size);
    if area > MAX_KERNEL_AREA {
        return Err(NetworkError::TooLarge {
            layer: Some(l),
            what: "its window positions (height × width)",
            size: area as u128,
            limit: MAX_KERNEL_AREA as u128,
        });
    }
    // 2×2 windows with stride 2 that tile the input exactly (even height and
    // width, no padding) keep the sub-grid protocol (format 6 and earlier):
    // each view is the input with two coordinates fixed.
    let sub_grid = m.size == 2
        && m.stride == 2
        && m.padding == 0
        && input.shape[1].is_multiple_of(2)
        && input.shape[2].is_multiple_of(2)
        && !(cx.zk && cx.p.sources[tin] == Source::Input);
    Ok(if sub_grid {
        let output = cx.padded(Dims {
            shape: out_shape.to_vec(),
            vars: vec![input.vars[0], input.vars[1] - 1, input.vars[2] - 1],
        });
        let nv = output.num_vars();
        let segs = [
            cx.p.advice_seg(nv),
            cx.p.advice_seg(nv),
            cx.p.advice_seg(nv),
        ];
        let view = |dy, dx| {
            Operand::View(View {
                tensor: tin,
                offset: Some((dy, dx)),
            })
        };
        let [m1, m2, out] = segs.map(Operand::Seg);
        for (z, a) in [
            (m1, view(0, 0)),
            (m1, view(0, 1)),
            (m2, view(1, 0)),
            (m2, view(1, 1)),
            (out, m1),
            (out, m2),
        ] {
            cx.p.column(vec![(z, 1), (a, -1)], nv);
        }
        let src = Source::Committed(vec![(segs[2], 1)]);
        let step = Step::MaxPool(MaxPool2x2 { segs });
        (step, output, src)
    } else {
        let output = cx.padded(Dims::new(out_shape));
        let shape = ConvShape {
            input: input.clone(),
            output: output.clone(),
            wy: cx.window(m.size, m.stride, m.padding, 1),
            wx: cx.window(m.size, m.stride, m.padding, 2),
            groups: 1,
        };
        let nv = output.num_vars();
        let segs: Vec<usize> = (0..window_segments(area))
            .map(|_| cx.p.advice_seg(nv))
            .collect();
        for (z, u, v) in window_chain(l, &segs, area) {
            cx.p.column(vec![(z, 1), (u, -1)], nv);
            cx.p.column(vec![(z, 1), (v, -1)], nv);
        }
        let out = *segs.last().unwrap_or_else(|| unreachable!("one segment"));
        let src = Source::Committed(vec![(out, 1)]);
        (
            Step::MaxPoolWindow(MaxPoolWindow { shape, segs }),
            output,
            src,
        )
    })
}

/// A 2×2 max-pool's six difference tables ([`MaxPool2x2::differences`]) placed on the
/// advice, and the zero-check's pairs.
#[allow(clippy::type_complexity)]
fn zk_tables<E: ark_ff::Field>(
    zp: &ZkPlan,
    l: usize,
    segs: &[usize; 3],
) -> Result<(Vec<Placed<E>>, Vec<(usize, usize)>), NetworkError> {
    let (_, a) = zp.parts();
    let tin = zp.plan.input(l);
    let x = zp
        .tensor::<E>(tin)?
        .filter(|x| x.part == a)
        .ok_or(NetworkError::Unsupported {
            layer: l,
            what: "max-pooling the input in a zero-knowledge proof".into(),
        })?;
    // The width's variables: the last dimension's (a batch's layout has the batch first).
    let vw = zp.plan.dims[tin].vars.last().copied().unwrap_or(0);
    let view_minus = |z: usize, dy: usize, dx: usize| {
        let mut p = Placed::combination(a, vec![(z, E::ONE)]);
        let inserted = vec![(0, dx == 1), (vw, dy == 1)];
        p.views = x
            .segments
            .iter()
            .map(|&(s, w)| (s, -w, inserted.clone()))
            .collect();
        p
    };
    let minus = |z: usize, u: usize| Placed::combination(a, vec![(z, E::ONE), (u, -E::ONE)]);
    let [m1, m2, out] = *segs;
    Ok((
        vec![
            view_minus(m1, 0, 0),
            view_minus(m1, 0, 1),
            view_minus(m2, 1, 0),
            view_minus(m2, 1, 1),
            minus(out, m1),
            minus(out, m2),
        ],
        vec![(0, 1), (2, 3), (4, 5)],
    ))
}

/// A window max-pool's chain `z = max(u, v)` as difference tables `z − u`, `z − v` on the
/// advice (the views as their committed segments), the zero-check's pairs, and each
/// difference's `(z, u)` segments.
#[allow(clippy::type_complexity)]
fn window_zk_tables<E: ark_ff::Field>(
    zp: &ZkPlan,
    l: usize,
    segs: &[usize],
) -> Result<(Vec<Placed<E>>, Vec<(usize, usize)>, Vec<(usize, usize)>), NetworkError> {
    let (_, a) = zp.parts();
    let views = zp.views.get(l).map_or(&[][..], Vec::as_slice);
    let seg = |op: Operand| match op {
        Operand::Seg(s) => Some(s),
        Operand::Window { offset, .. } => views.get(offset).copied(),
        _ => None,
    };
    let mut tables = Vec::new();
    let mut pairs = Vec::new();
    let mut diffs = Vec::new();
    for (z, u, v) in window_chain(l, segs, views.len()) {
        let (Some(z), Some(u), Some(v)) = (seg(z), seg(u), seg(v)) else {
            return Err(NetworkError::Unsupported {
                layer: l,
                what: "a window max-pool's chain".into(),
            });
        };
        pairs.push((tables.len(), tables.len() + 1));
        for w in [u, v] {
            tables.push(Placed::combination(a, vec![(z, E::ONE), (w, -E::ONE)]));
            diffs.push((z, w));
        }
    }
    Ok((tables, pairs, diffs))
}

/// A max-pool's zero-knowledge zero-check `Σ_i λ_i (z_i − u_i)(z_i − v_i) = 0` over the
/// difference tables `values` (placed as `tables`, multiplied in `pairs`), with the masks of
/// the step's slot `slot`.
fn prove_differences_zk<F: BaseField, E: ExtField<F>>(
    cx: &mut ZkStepProver<'_, '_, F, E>,
    tables: &[Placed<E>],
    pairs: &[(usize, usize)],
    values: &[Vec<F>],
    slot: usize,
) -> Result<(), NetworkError> {
    let refs: Vec<&[F]> = values.iter().map(Vec::as_slice).collect();
    let (fresh, off) = cx.fresh(slot);
    let (proof, deferred) =
        super::zero_check::prove_zk(cx.out_vars, &refs, pairs, fresh, &cx.masks(tables), cx.t)
            .map_err(|e| cx.layer_err(e))?;
    cx.finish(proof, deferred, tables, off)
}

/// The verifier's side of [`prove_differences_zk`].
fn verify_differences_zk<F: BaseField, E: ExtField<F>>(
    cx: &mut ZkStepVerifier<'_, '_, F, E>,
    tables: &[Placed<E>],
    pairs: &[(usize, usize)],
    slot: usize,
) -> Result<(), VerifyError> {
    let proof = cx.next()?;
    let claims = super::zero_check::verify_zk(cx.out_vars, tables.len(), pairs, proof, cx.t)
        .map_err(|e| cx.layer_err(e))?;
    cx.finish(claims, tables, slot)
}
