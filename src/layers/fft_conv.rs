//! Convolution by zkCNN's FFT method (Liu–Xie–Zhang, CCS 2021, §3–4), next to the direct path
//! of [`super::conv`]: the same statement, the same claim interface, another proof.
//!
//! Statement (as in [`super::conv`]): `acc[o][y][x] = Σ_{i,dy,dx} K[dy][dx][o][i] ·
//! X[i][y·s+dy−p][x·s+dx−p]`, zero outside the input. A claim `ãcc(r_x, r_y, r_o) = v` becomes
//! claims on the committed kernel matrices `K̃[dy][dx](σ_i, r_o)` and one claim on `X̃`.
//!
//! **Layout.** Each input channel is laid out as the coefficient vector `u_i` of a polynomial,
//! row `a` and column `b` at exponent `a·N + b`, and each kernel `(o, i)` as `k_{o,i}` with
//! `K[dy][dx][o][i]` at exponent `e(dy, dx) = (K_y−1−dy)·N + (K_x−1−dx)`, where
//! `K_y = max(k_h, p_y + 1)` (so every output exponent is non-negative) and likewise `K_x`. With
//! the row width `N ≥ w + K_x − 1` no product term carries into the next row, and with
//! `L = 2^ℓ ≥ R·N` (`R ≥ h + K_y − 1` rows) no term wraps around, so the `L`-point cyclic
//! product `c_o = Σ_i u_i ⊛ k_{o,i}` is the 2-D correlation, and
//! `acc[o][y][x] = c_o[t(y, x)]` with `t(y, x) = (y·s_y + K_y−1−p_y)·N + (x·s_x + K_x−1−p_x)`.
//! `N` need not be a power of two: only `L` is.
//!
//! **Protocol.** With `ω` a primitive `L`-th root of unity, `X̂[i] = DFT(u_i)`,
//! `Ŵ[i] = DFT(Σ_o eq(r_o, o)·k_{o,i})` and `S[e] = Σ_{t(y,x) = e} eq(r_y, y)·eq(r_x, x)`,
//! `Ŝ = DFT⁻¹(S)` (with the factor `L⁻¹`), the claim is
//!
//! ```text
//!   stage 1 (degree 3, ℓ + n_i variables):  v = Σ_{f, i}  Ŝ(f) · X̂(f, i) · Ŵ(f, i)
//!   kernel:   Ŵ(σ_f, σ_i) = Σ_{dy,dx} H_σ[e(dy,dx)] · K̃[dy][dx](σ_i, r_o)
//!   stage 2 (degree 2, input variables):    X̂(σ_f, σ_i) = Σ_{row,col} X̃(col, row, σ_i) · H_σ[row·N + col]·[row < h, col < w]
//! ```
//!
//! where `H_σ[e] = Σ_f eq(σ_f, f)·ω^{f·e} = Π_a (1 − σ_a + σ_a·ω^{2^a·e})` is the row of the
//! Fourier matrix's multilinear extension at `σ_f` (see [`fourier_row`]), and
//! `Ŝ(σ_f) = L⁻¹·Σ_{y,x} eq(r_y, y)·eq(r_x, x)·H_σ[−t(y, x) mod L]`. Stage 1 merges the output
//! selection and the inverse FFT into the frequency-domain matmul, so the inverse FFT needs no
//! sum-check of its own; the kernel is sparse in this layout, so its transform at a point is a
//! `k_h·k_w`-term sum of the values sent, and the input's FFT is stage 2, a product against the
//! Fourier row (masked to the logical input, so padding entries of `X` never enter, exactly as
//! in the direct path).
//!
//! **Costs.** The prover runs `2^{n_i}` base-field FFTs of the input channels, `2^{n_i}` FFTs of
//! the folded kernels in `E` (one base-field FFT per coordinate), one inverse FFT of `S`
//! (`O(2^{n_i}·L·ℓ)` in all), a degree-3 sum-check over `2^{n_i}·L` entries and a degree-2 one
//! over the input's `h·w` positions, plus `O(|K|)` to fold the kernel. The verifier builds
//! `H_σ` in `O(L)` (about `2L` multiplications in `E`), then spends `O(h_out·w_out + h·w +
//! k_h·k_w)` on the three checks: its cost is `O(L)`, linear in the layer's spatial size but
//! independent of the channel counts. `L ≤ 2^{two-adicity}`: 2^32 for Goldilocks, 2^28 for
//! BN254's scalar field ([`LayerError::FftTooLarge`] otherwise).
//!
//! **Which path.** [`choose`] compares [`direct_cost`] and [`fft_cost`], estimates from the
//! [`ConvShape`] alone, so prover and verifier derive the same choice from the architecture.
//! Because both paths start from a claim at a random output point, the direct path never builds
//! the full im2col product, and it is the cheaper one on every LeNet-5 and VGG-16 layer
//! (measured: `tests/suite/conv_paths.rs`). See `spec/conv-fft.md`.

use super::conv::{ConvClaims, ConvProof, ConvShape};
use super::dense::fold_rows;
use super::{get, prove_product, verify_product, LayerError};
use crate::field::{mul_base, BaseField, ExtField};
use crate::parallel::{collect_indexed, for_each_indexed_chunk_mut};
use crate::poly::{eq_table, Mle};
use crate::transcript::TranscriptExt;
use ark_ff::FftField;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use merlin::Transcript;

/// Where a convolution's tensors sit in the FFT's coefficient vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FftLayout {
    /// Row width `N`.
    pub row: usize,
    /// Kernel frame height `K_y = max(k_h, p_y + 1)`.
    pub frame_y: usize,
    /// Kernel frame width `K_x = max(k_w, p_x + 1)`.
    pub frame_x: usize,
    /// `ℓ`: the FFT has `L = 2^ℓ` points.
    pub log_len: usize,
}

impl FftLayout {
    /// The smallest layout for `shape` over a field with two-adicity `two_adicity`.
    pub fn new(shape: &ConvShape, two_adicity: u32) -> Result<Self, LayerError> {
        let too_large = || LayerError::FftTooLarge {
            log_len: usize::MAX,
            two_adicity,
        };
        if shape.groups != 1 {
            return Err(LayerError::GroupedFft {
                groups: shape.groups,
            });
        }
        let (wy, wx) = (&shape.wy, &shape.wx);
        let frame_y = wy.k.max(wy.pad.checked_add(1).ok_or_else(too_large)?);
        let frame_x = wx.k.max(wx.pad.checked_add(1).ok_or_else(too_large)?);
        // The largest target coordinate plus one: (out − 1)·s + K − 1 − p + 1.
        let reach = |out: usize, s: usize, frame: usize, pad: usize| -> Option<usize> {
            out.saturating_sub(1)
                .checked_mul(s)?
                .checked_add(frame)?
                .checked_sub(pad)
        };
        let span = |input: usize, frame: usize| input.checked_add(frame - 1);
        let row = span(wx.input, frame_x)
            .zip(reach(wx.output, wx.stride, frame_x, wx.pad))
            .map(|(a, b)| a.max(b))
            .ok_or_else(too_large)?;
        let rows = span(wy.input, frame_y)
            .zip(reach(wy.output, wy.stride, frame_y, wy.pad))
            .map(|(a, b)| a.max(b))
            .ok_or_else(too_large)?;
        let len = rows
            .checked_mul(row)
            .and_then(usize::checked_next_power_of_two)
            .ok_or_else(too_large)?;
        let log_len = len.trailing_zeros() as usize;
        if log_len > two_adicity as usize {
            return Err(LayerError::FftTooLarge {
                log_len,
                two_adicity,
            });
        }
        Ok(Self {
            row,
            frame_y,
            frame_x,
            log_len,
        })
    }

    /// `L = 2^ℓ`.
    pub fn len(&self) -> usize {
        1 << self.log_len
    }

    /// Never empty (`L ≥ 1`).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The exponent of kernel entry `(dy, dx)`: `(K_y−1−dy)·N + (K_x−1−dx)`.
    pub fn kernel_exponent(&self, dy: usize, dx: usize) -> usize {
        (self.frame_y - 1 - dy) * self.row + (self.frame_x - 1 - dx)
    }

    /// The exponent of output `(y, x)`: `(y·s_y + K_y−1−p_y)·N + (x·s_x + K_x−1−p_x)`.
    pub fn output_exponent(&self, shape: &ConvShape, y: usize, x: usize) -> usize {
        let (wy, wx) = (&shape.wy, &shape.wx);
        (y * wy.stride + self.frame_y - 1 - wy.pad) * self.row
            + (x * wx.stride + self.frame_x - 1 - wx.pad)
    }

    /// The domain separator's parameters: every size of the shape and of the layout.
    fn params(&self, shape: &ConvShape) -> Vec<u64> {
        let mut p: Vec<u64> = shape
            .input
            .shape
            .iter()
            .chain(&shape.output.shape)
            .chain(&shape.input.vars)
            .chain(&shape.output.vars)
            .map(|&v| v as u64)
            .collect();
        for w in [&shape.wy, &shape.wx] {
            p.extend([w.k, w.stride, w.pad, w.input, w.output].map(|v| v as u64));
        }
        p.extend([self.row, self.frame_y, self.frame_x, self.log_len].map(|v| v as u64));
        p
    }
}

/// `H_σ[e] = Σ_{f ∈ {0,1}^ℓ} eq(σ, f)·ω^{f·e}` for every `e < 2^ℓ` (`ℓ = σ.len()`, `ω` a
/// primitive `2^ℓ`-th root of unity): the row of the Fourier matrix's multilinear extension,
/// in `O(2^ℓ)`.
///
/// `ω^{f·e} = Π_a (ω^{2^a·e})^{f_a}` is a product over the bits of `f`, so its extension is
/// `Π_a (1 − σ_a + σ_a·ω^{2^a·e})`; factor `a` has period `2^{ℓ−a}` in `e`, and the table is
/// built from the longest period down: `2^1 + 2^2 + … + 2^ℓ < 2·2^ℓ` products.
pub fn fourier_row<F: BaseField, E: ExtField<F>>(omega: F, sigma: &[E]) -> Vec<E> {
    let len = 1usize << sigma.len();
    let mut powers = Vec::with_capacity(len);
    let mut p = F::ONE;
    for _ in 0..len {
        powers.push(p);
        p *= omega;
    }
    let mut h = vec![E::ONE];
    for (a, &s) in sigma.iter().enumerate().rev() {
        let m = len >> a;
        let c = E::ONE - s;
        let prev = &h;
        let mask = m / 2 - 1;
        h = collect_indexed(m, |t| {
            E::mul_fast(&prev[t & mask], &(c + mul_base(s, powers[t << a])))
        });
    }
    h
}

/// `DFT` (or, with `inverse`, `L⁻¹·DFT⁻¹`) of a vector over `E`, one base-field FFT per
/// coordinate (`ω` lies in the base field).
fn fft_ext<F: BaseField, E: ExtField<F>>(
    domain: &Radix2EvaluationDomain<F>,
    v: &[E],
    inverse: bool,
) -> Vec<E> {
    let d = E::extension_degree() as usize;
    let mut coords: Vec<Vec<F>> = vec![Vec::with_capacity(v.len()); d];
    for x in v {
        for (c, b) in coords.iter_mut().zip(x.to_base_prime_field_elements()) {
            c.push(b);
        }
    }
    for c in coords.iter_mut() {
        if inverse {
            domain.ifft_in_place(c);
        } else {
            domain.fft_in_place(c);
        }
    }
    collect_indexed(v.len(), |j| {
        E::from_base_prime_field_elems(coords.iter().map(|c| c[j]))
            .unwrap_or_else(|| unreachable!("one coordinate per degree"))
    })
}

/// The base field's FFT domain of `L` points for `layout`.
fn domain<F: FftField>(layout: &FftLayout) -> Result<Radix2EvaluationDomain<F>, LayerError> {
    Radix2EvaluationDomain::new(layout.len()).ok_or(LayerError::FftTooLarge {
        log_len: layout.log_len,
        two_adicity: F::TWO_ADICITY,
    })
}

/// Proves `target = ãcc(r)` for `acc = conv(K, X)` by the FFT method (`kernel[dy·k_w + dx]` the
/// matrices). Fails only when the layout needs a larger FFT than the field supports.
pub fn prove<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    kernel: &[&[F]],
    x: &[F],
    r: &[E],
    target: E,
    transcript: &mut Transcript,
) -> Result<(ConvProof<E>, ConvClaims<E>), LayerError> {
    let layout = FftLayout::new(shape, F::TWO_ADICITY)?;
    let domain = domain::<F>(&layout)?;
    transcript.domain_separator(b"conv-fft", &layout.params(shape));
    let len = layout.len();
    let parts = shape.output.split(r);
    let (r_o, r_y, r_x) = (parts[0], parts[1], parts[2]);
    let vi = shape.input.vars[0];
    let ci_len = 1usize << vi;
    let (h_len, w_len) = (1usize << shape.input.vars[1], 1usize << shape.input.vars[2]);
    let (h, w) = (shape.wy.input, shape.wx.input);
    let (kh, kw) = (shape.wy.k, shape.wx.k);

    // X̂[i] = DFT(u_i), in F.
    let mut xhat = vec![F::ZERO; ci_len * len];
    for_each_indexed_chunk_mut(&mut xhat, len, |i, out| {
        let xc = &x[i * h_len * w_len..(i + 1) * h_len * w_len];
        for row in 0..h {
            let src = &xc[row * w_len..row * w_len + w];
            out[row * layout.row..row * layout.row + w].copy_from_slice(src);
        }
        let mut u = out.to_vec();
        domain.fft_in_place(&mut u);
        out.copy_from_slice(&u);
    });

    // Ŵ[i] = DFT(Σ_o eq(r_o, o)·k_{o,i}), in E.
    let eq_o = eq_table(r_o);
    let folded: Vec<Vec<E>> = kernel.iter().map(|k| fold_rows(k, vi, &eq_o)).collect();
    let mut what = vec![E::ZERO; ci_len * len];
    for_each_indexed_chunk_mut(&mut what, len, |i, out| {
        for dy in 0..kh {
            for dx in 0..kw {
                out[layout.kernel_exponent(dy, dx)] = folded[dy * kw + dx][i];
            }
        }
        let t = fft_ext(&domain, out, false);
        out.copy_from_slice(&t);
    });

    // Ŝ = L⁻¹·DFT⁻¹(S), replicated over the input channels.
    let (eq_y, eq_x) = (eq_table(r_y), eq_table(r_x));
    let mut s = vec![E::ZERO; len];
    for y in 0..shape.wy.output {
        for xo in 0..shape.wx.output {
            s[layout.output_exponent(shape, y, xo)] = eq_y[y] * eq_x[xo];
        }
    }
    let s = fft_ext(&domain, &s, true);
    let shat: Vec<E> = collect_indexed(ci_len * len, |j| s[j % len]);

    let (stage1, sigma) = prove_product(
        vec![Mle::Ext(shat), Mle::Base(xhat), Mle::Ext(what)],
        target,
        transcript,
    );
    let (sigma_f, sigma_i) = sigma.split_at(layout.log_len);
    let eq_i = eq_table(sigma_i);
    let kernel_values: Vec<E> = folded
        .iter()
        .map(|f| f.iter().zip(&eq_i).map(|(&a, &b)| a * b).sum())
        .collect();
    transcript.append_fields(b"conv-fft-kernel", &kernel_values);

    // Stage 2: X̂(σ_f, σ_i) against the Fourier row, masked to the logical input.
    let hrow = fourier_row(domain.group_gen, sigma_f);
    let a2 = fold_rows(x, shape.input.vars[1] + shape.input.vars[2], &eq_i);
    let b2: Vec<E> = collect_indexed(h_len * w_len, |j| {
        let (row, col) = (j / w_len, j % w_len);
        if row < h && col < w {
            hrow[row * layout.row + col]
        } else {
            E::ZERO
        }
    });
    let (stage2, rho) = prove_product(
        vec![Mle::Ext(a2), Mle::Ext(b2)],
        stage1.values[1],
        transcript,
    );
    Ok(super::conv::finish(
        stage1,
        kernel_values,
        stage2,
        rho,
        sigma_i,
        shape.kernel_point(sigma_i, r_o),
    ))
}

/// Verifies an FFT convolution proof for the claim `target` at output point `r`.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    r: &[E],
    target: E,
    proof: &ConvProof<E>,
    transcript: &mut Transcript,
) -> Result<ConvClaims<E>, LayerError> {
    let layout = FftLayout::new(shape, F::TWO_ADICITY)?;
    let domain = domain::<F>(&layout)?;
    transcript.domain_separator(b"conv-fft", &layout.params(shape));
    let parts = shape.output.split(r);
    let (r_o, r_y, r_x) = match parts.as_slice() {
        [a, b, c] => (*a, *b, *c),
        _ => {
            return Err(LayerError::Count {
                what: "conv fft output point",
                expected: 3,
                got: parts.len(),
            })
        }
    };
    let vi = shape.input.vars.first().copied().unwrap_or(0);
    let (sigma, v1) = verify_product(
        "conv fft frequency",
        layout.log_len + vi,
        3,
        target,
        &proof.stage1,
        transcript,
    )?;
    let shat_value = get(&v1, 0, "conv fft frequency values", 3)?;
    let xhat_value = get(&v1, 1, "conv fft frequency values", 3)?;
    let what_value = get(&v1, 2, "conv fft frequency values", 3)?;
    super::conv::absorb_kernel(
        shape,
        &proof.kernel,
        b"conv-fft-kernel",
        "conv fft kernel values",
        transcript,
    )?;
    let kw = shape.wx.k;
    let (sigma_f, sigma_i) = sigma.split_at(layout.log_len.min(sigma.len()));
    let hrow = fourier_row(domain.group_gen, sigma_f);
    let at = |e: usize| hrow.get(e).copied().unwrap_or(E::ZERO);

    // The output selection and inverse FFT: Ŝ(σ_f) = L⁻¹·Σ eq·eq·H[−t mod L].
    let (eq_y, eq_x) = (eq_table(r_y), eq_table(r_x));
    let len = layout.len();
    let mut selected = E::ZERO;
    for (y, &ey) in eq_y.iter().enumerate().take(shape.wy.output) {
        let mut row = E::ZERO;
        for (xo, &ex) in eq_x.iter().enumerate().take(shape.wx.output) {
            let t = layout.output_exponent(shape, y, xo);
            row += ex * at((len - t % len) % len);
        }
        selected += ey * row;
    }
    if mul_base(selected, domain.size_inv) != shat_value {
        return Err(LayerError::PublicValue {
            what: "conv fft output selection",
        });
    }

    // The kernel's transform: a k_h·k_w-term sum of the values sent.
    let transformed: E = proof
        .kernel
        .iter()
        .enumerate()
        .map(|(j, &k)| at(layout.kernel_exponent(j / kw, j % kw)) * k)
        .sum();
    if transformed != what_value {
        return Err(LayerError::Relation {
            what: "conv fft kernel transform",
        });
    }

    // Stage 2: the input's transform.
    let (wv, hv) = (
        shape.input.vars.get(2).copied().unwrap_or(0),
        shape.input.vars.get(1).copied().unwrap_or(0),
    );
    let (rho, v2) = verify_product(
        "conv fft input",
        hv + wv,
        2,
        xhat_value,
        &proof.stage2,
        transcript,
    )?;
    let input_value = get(&v2, 0, "conv fft input values", 2)?;
    let fourier = get(&v2, 1, "conv fft input values", 2)?;
    let (rho_x, rho_y) = rho.split_at(wv.min(rho.len()));
    let (ey, ex) = (eq_table(rho_y), eq_table(rho_x));
    let mut expect = E::ZERO;
    for (row, &a) in ey.iter().enumerate().take(shape.wy.input) {
        let mut acc = E::ZERO;
        for (col, &b) in ex.iter().enumerate().take(shape.wx.input) {
            acc += b * at(row * layout.row + col);
        }
        expect += a * acc;
    }
    if fourier != expect {
        return Err(LayerError::PublicValue {
            what: "conv fft input transform",
        });
    }
    Ok(ConvClaims::at(
        &rho,
        sigma_i,
        shape.kernel_point(sigma_i, r_o),
        proof.kernel.clone(),
        input_value,
    ))
}

/// Which proof a convolution layer takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvPath {
    /// [`super::conv`]: two product sum-checks over channels and kernel offsets, then input
    /// positions.
    Direct,
    /// This module: zkCNN's FFT method.
    Fft,
}

/// The direct path's prover cost in rough base-field multiplications (weights fitted to
/// measured times; see `spec/conv-fft.md`): folding the kernel, the im2col fold, and the two
/// sum-checks.
pub fn direct_cost(shape: &ConvShape) -> u64 {
    let (vi, vo) = (shape.input.vars[0], shape.output.vars[0]);
    let (kh, kw) = (shape.wy.k as u64, shape.wx.k as u64);
    let kernel = (kh * kw) << (vi + vo);
    let ci = shape.input.shape[0] as u64;
    let im2col =
        ci * kw * (shape.wx.output * shape.wy.input) as u64 + ci * kh * kw * shape.wy.output as u64;
    let spatial = 1u64 << (shape.input.vars[1] + shape.input.vars[2]);
    let stage1 = 1u64 << (vi + super::ceil_log2(shape.wx.k) + super::ceil_log2(shape.wy.k));
    2 * kernel + 2 * im2col + (2u64 << vi) * spatial + 8 * stage1 + 8 * spatial
}

/// The FFT path's prover cost in the same units: folding the kernel, `2^{n_i}` FFTs of the
/// input and of the folded kernel (two coordinates for the extension), the inverse FFT of the
/// selection, the degree-3 sum-check over `2^{n_i}·L` entries, the Fourier row (`2L`
/// multiplications in `E`) and the input's sum-check.
/// `u64::MAX` when the layout does not fit the field.
pub fn fft_cost(shape: &ConvShape, two_adicity: u32) -> u64 {
    let Ok(layout) = FftLayout::new(shape, two_adicity) else {
        return u64::MAX;
    };
    let (vi, vo) = (shape.input.vars[0], shape.output.vars[0]);
    let (kh, kw) = (shape.wy.k as u64, shape.wx.k as u64);
    let kernel = (kh * kw) << (vi + vo);
    let len = layout.len() as u64;
    let l = layout.log_len as u64;
    let ffts = (3u64 << vi) * len * l / 2 + len * l;
    let spatial = 1u64 << (shape.input.vars[1] + shape.input.vars[2]);
    2 * kernel + 2 * ffts + (20u64 << vi) * len + 12 * len + (2u64 << vi) * spatial + 8 * spatial
}

/// The cheaper path for `shape` by [`direct_cost`] and [`fft_cost`] (on Goldilocks' two-adicity,
/// 32, for both fields, so that a model's plan does not depend on the field): a function of the
/// architecture alone, so prover and verifier derive the same choice.
pub fn choose(shape: &ConvShape) -> ConvPath {
    if fft_cost(shape, 32) < direct_cost(shape) {
        ConvPath::Fft
    } else {
        ConvPath::Direct
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::poly::eq_eval;
    use ark_std::test_rng;

    /// The Fourier row against its definition `Σ_f eq(σ, f)·ω^{f·e}`.
    fn row_matches<F: BaseField, E: ExtField<F>>() {
        let mut rng = test_rng();
        for l in 0..7 {
            let sigma: Vec<E> = (0..l).map(|_| E::rand(&mut rng)).collect();
            let omega = F::get_root_of_unity(1 << l).unwrap();
            let h = fourier_row(omega, &sigma);
            for (e, &he) in h.iter().enumerate() {
                let want: E = (0..1usize << l)
                    .map(|f| {
                        let bits: Vec<E> = (0..l).map(|k| E::from(((f >> k) & 1) as u64)).collect();
                        mul_base(eq_eval(&sigma, &bits), omega.pow([(f * e) as u64]))
                    })
                    .sum();
                assert_eq!(he, want, "l={l} e={e}");
            }
        }
    }

    #[test]
    fn fourier_row_matches_the_definition() {
        row_matches::<Goldilocks, GoldilocksExt2>();
        row_matches::<Bn254Fr, Bn254Fr>();
    }
}
