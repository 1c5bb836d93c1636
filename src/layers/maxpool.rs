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

use super::conv::ConvShape;
use super::{prove_product, verify_product, LayerError, ProductProof};
use crate::field::{BaseField, ExtField, MulAcc};
use crate::poly::{eq_eval, eq_table, lt_eval, Mle};
use crate::transcript::TranscriptExt;
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
    (0..shape.output.len())
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
    let (vh, vw) = (shape.input.vars[1], shape.input.vars[2]);
    let (h_len, w_len) = (1usize << vh, 1usize << vw);
    let kx = shape.wx.k;
    let mut t = vec![E::ZERO; x.len()];
    for (point, members) in groups(claims) {
        let parts = shape.output.split(point);
        let (r_c, r_y, r_x) = (parts[0], parts[1], parts[2]);
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
    let (proof, point) =
        prove_product(vec![Mle::Base(x.to_vec()), Mle::Ext(t)], target, transcript);
    let value = proof.values[0];
    (proof, point, value)
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
    let gamma: Vec<E> = transcript.challenge_fields(b"view-combination", claims.len());
    let target: E = claims.iter().zip(&gamma).map(|(c, &g)| g * c.value).sum();
    let vars = shape.input.num_vars();
    let (rho, values) = verify_product("max-pool views", vars, 2, target, proof, transcript)?;
    let (Some(&xv), Some(&tv)) = (values.first(), values.get(1)) else {
        return Err(LayerError::Count {
            what: "max-pool views",
            expected: 2,
            got: values.len(),
        });
    };
    let input = shape.input.split(&rho);
    let (Some(i_c), Some(i_y), Some(i_x)) = (input.first(), input.get(1), input.get(2)) else {
        return Err(LayerError::Count {
            what: "max-pool view point",
            expected: 3,
            got: input.len(),
        });
    };
    let kx = shape.wx.k;
    let mut expected = E::ZERO;
    for (point, members) in groups(claims) {
        let parts = shape.output.split(point);
        let (Some(r_c), Some(r_y), Some(r_x)) = (parts.first(), parts.get(1), parts.get(2)) else {
            return Err(LayerError::Count {
                what: "max-pool view claim point",
                expected: 3,
                got: parts.len(),
            });
        };
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
    if tv != expected {
        return Err(LayerError::PublicValue {
            what: "max-pool view map",
        });
    }
    Ok((rho, xv))
}
