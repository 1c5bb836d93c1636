//! The direct convolution and the window sum, requantized, in zero knowledge (`spec/zk.md`,
//! "Convolution and window sum, in zero-knowledge mode").
//!
//! **Convolution.** At the layer point `r = (r_x, r_y, r_o)` the relation, requantization folded
//! in (no value at `r` is read or sent), is
//!
//! ```text
//!   Σ_{i,d} K̃(i, d; r_o)·X_c(i, d) + valid(r_y, r_x)·Σ_j a_j·b̃_j(r_o) + Σ_k a'_k·t̃_k(r) = lhs
//! ```
//!
//! (bias limbs `b_j` with `a_j = 2^{at_j}`; `t = (y, n, remainder limbs)` with `a' = (−2^s, 2^s,
//! −2^{B_k})`; `lhs = −2^{s−1}` plus the bias's public part). Stage 1 is one masked sum-check of
//! it over `n = max(n_1, n_out)` variables (`n_1` those of `(i, dx, dy)`; every table replicated
//! over the variables it lacks, its term scaled by `2^{−missing}`; the bias and `t` ride on
//! `eq(r_o, ·)` and `eq(r, ·)`), with the kernel, `X_c`, the bias limbs and `t` private. The
//! kernel's masked value is one claim on the combination `Σ_d w_d·K_d` at the kernel point
//! (`w_d = eq(ρ_dx, dx)·eq(ρ_dy, dy)`); `X_c` is virtual, masked by a fresh scalar `c`:
//! `v = X_c(ρ) + β·c`. Stage 2 proves `Σ_pos X̃(pos, ρ_i)·M(pos) = v − β·c`, a hidden left-hand
//! side: the secret `β·c` rides on the all-ones table with coefficient `2^{−n_2}` (as
//! `range::zk` rides it on `eq`), and its final check's form includes `c`.
//!
//! **Window sum.** `Σ_pos X̃(pos, r_c)·M(pos) + Σ_k a'_k·t̃_k(r) = lhs`: one masked sum-check, a
//! public left-hand side, as the dense step.

use super::{ConvShape, LayerError};
use crate::field::{BaseField, ExtField, MulAcc};
use crate::layers::dense::{fold_batch, fold_rows, inv_pow2, replicate, OutputTables};
use crate::poly::{eq_table, lt_eval, Mle};
use crate::sumcheck::zk::{
    mask_terms, masked_degree, prove_masked_with, verify_masked, Mask, MaskedClaim, MaskedProof,
};
use crate::sumcheck::{Instance, Term};
use crate::transcript::TranscriptExt;
use crate::zk::{Deferred, Placed, TableMasks};
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

/// A zero-knowledge convolution step's proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkConvProof<E: Field> {
    /// Stage 1 with the requantization: over `max(n_1, n_out)` variables and `b`.
    pub stage1: MaskedProof<E>,
    /// Stage 2 (hidden left-hand side): over the input's positions and `b`.
    pub stage2: MaskedProof<E>,
}

/// What a zero-knowledge convolution step leaves for the proof's opening.
///
/// Tables: `0` = the kernel's combination `Σ_d w_d·K_d` (`d = dy·k_w + dx`) at the kernel point
/// ([`ConvShape::kernel_point`]); `1` = the input `X` at `(ρ_2, ρ_i)` (no claim when public);
/// `2 + j` = bias limb `j` at the output channels' part of stage 1's point; `2 + #bias + k` =
/// output table `k` at the output's part. The fresh masks are the step's slice
/// ([`zk_mask_len`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkConvClaims<E> {
    /// In order: stage 1's masked values (kernel, bias limbs, output tables), its final check's
    /// form, stage 2's masked value of `X` (private input only), its final check's form.
    pub deferred: Vec<Deferred<E>>,
    /// `w_d = eq(ρ_dx, dx)·eq(ρ_dy, dy)`, row-major over `(dy, dx)`: table 0's weights.
    pub kernel_weights: Vec<E>,
}

impl<E: Field> ZkConvClaims<E> {
    /// Table 0's placement: the kernel matrices' segments (`segments[d]`, `d = dy·k_w + dx`) of
    /// commitment `part`, weighted by [`ZkConvClaims::kernel_weights`].
    pub fn kernel_placed(&self, part: usize, segments: &[usize]) -> Placed<E> {
        Placed::combination(
            part,
            segments
                .iter()
                .copied()
                .zip(self.kernel_weights.iter().copied())
                .collect(),
        )
    }
}

/// The private tables of a zero-knowledge convolution step.
#[derive(Clone, Copy, Debug)]
pub struct ZkConvTables<'a, F, E> {
    /// The kernel matrices, `kernel[dy·k_w + dx]`.
    pub kernel: &'a [&'a [F]],
    /// The input tensor (padded layout).
    pub input: &'a [F],
    /// Whether the input is public (the verifier evaluates it; no claim on it).
    pub input_public: bool,
    /// Tables over the output channels with their weights (the bias limbs, `2^{at_j}`): they
    /// enter as `valid(r_y, r_x)·Σ_j a_j·b̃_j(r_o)`.
    pub bias: &'a OutputTables<'a, F, E>,
    /// Tables over the output tensor with their weights (`y, n`, the remainder limbs).
    pub outputs: &'a OutputTables<'a, F, E>,
}

impl ConvShape {
    /// `w_d = eq(ρ_dx, dx)·eq(ρ_dy, dy)` for `d = dy·k_w + dx`: the kernel matrices' weights in
    /// the kernel's value at stage 1's offsets `(ρ_dx, ρ_dy)`.
    pub fn kernel_weights<E: MulAcc>(&self, rho_dx: &[E], rho_dy: &[E]) -> Vec<E> {
        let (ex, ey) = (eq_table(rho_dx), eq_table(rho_dy));
        (0..self.wy.k * self.wx.k)
            .map(|d| {
                ey.get(d / self.wx.k.max(1)).copied().unwrap_or(E::ZERO)
                    * ex.get(d % self.wx.k.max(1)).copied().unwrap_or(E::ZERO)
            })
            .collect()
    }

    /// The kernel as one table, the stack `K(z, dx, dy) = K_{dy·k_w + dx}(z)`: a point of it,
    /// `(z, ρ_dx, ρ_dy)`, split into the matrices' point `z` and their weights
    /// ([`ConvShape::kernel_weights`]). The zero-knowledge step reads the kernel's mask through
    /// [`TableMasks::mask_at`]`(0, ·)` at such a point: the caller answers `Σ_d w_d·m_d(z)`.
    pub fn unstack_kernel<'p, E: MulAcc>(&self, point: &'p [E]) -> (&'p [E], Vec<E>) {
        let (vx, vy) = self.offset_vars();
        let (z, offsets) = point.split_at(point.len().saturating_sub(vx + vy));
        let (rho_dx, rho_dy) = offsets.split_at(vx.min(offsets.len()));
        (z, self.kernel_weights(rho_dx, rho_dy))
    }
}

/// Stage 1's variables: `max(n_1, n_out)`.
fn stage1_vars(shape: &ConvShape) -> usize {
    shape.stage1_vars().max(shape.output.num_vars())
}

/// Stage 1's tables are `[K, X_c, eq(r_o, ·), eq(r, ·), (eq(r_g, g) if grouped), bias…,
/// outputs…]`; its terms, with the bias weights already times `valid(r_y, r_x)`.
fn stage1_terms<E: Field>(shape: &ConvShape, bias: &[E], outputs: &[E]) -> Vec<Term<E>> {
    let n = stage1_vars(shape);
    let (n1, no, vo) = (
        shape.stage1_vars(),
        shape.output.num_vars(),
        shape.output.vars.first().copied().unwrap_or(0),
    );
    let grouped = shape.group_vars() > 0;
    let base = 4 + usize::from(grouped);
    let mut main = vec![0, 1];
    if grouped {
        main.push(4);
    }
    let mut terms = vec![Term {
        coeff: inv_pow2::<E>(n - n1),
        factors: main,
    }];
    let (so, sr) = (inv_pow2::<E>(n - vo), inv_pow2::<E>(n - no));
    for (j, &a) in bias.iter().enumerate() {
        terms.push(Term {
            coeff: so * a,
            factors: vec![2, base + j],
        });
    }
    for (k, &a) in outputs.iter().enumerate() {
        terms.push(Term {
            coeff: sr * a,
            factors: vec![3, base + bias.len() + k],
        });
    }
    terms
}

/// Which of stage 1's tables are private.
fn stage1_private(shape: &ConvShape, bias: usize, outputs: usize) -> Vec<bool> {
    let mut p = vec![true, true, false, false];
    if shape.group_vars() > 0 {
        p.push(false);
    }
    p.extend(std::iter::repeat_n(true, bias + outputs));
    p
}

/// Stage 2's terms over `[X(·, ρ_i), M, 1]`: `X·M + 2^{−n_2}·ℓ·1`, `ℓ` the hidden part.
fn stage2_terms<E: Field>(shape: &ConvShape, ell: E) -> Vec<Term<E>> {
    vec![
        Term {
            coeff: E::ONE,
            factors: vec![0, 1],
        },
        Term {
            coeff: ell * inv_pow2::<E>(shape.stage2_vars()),
            factors: vec![2],
        },
    ]
}

/// The degrees of the two stages' Libra masks.
fn conv_degrees(shape: &ConvShape, input_public: bool) -> (usize, usize) {
    let one = [crate::field::Goldilocks::ONE];
    let d1 = masked_degree(
        &stage1_terms(shape, &one, &one),
        &stage1_private(shape, 1, 1),
    );
    let d2 = masked_degree(
        &stage2_terms(shape, crate::field::Goldilocks::ONE),
        &[!input_public, false, false],
    );
    (d1, d2)
}

/// The step's fresh masks, in order: stage 1's Libra mask, stage 2's, the scalar `c` of `X_c`.
#[derive(Clone, Copy, Debug)]
struct ConvMasks {
    d1: usize,
    d2: usize,
    len1: usize,
    len2: usize,
}

impl ConvMasks {
    fn of(shape: &ConvShape, input_public: bool) -> Self {
        let (d1, d2) = conv_degrees(shape, input_public);
        Self {
            d1,
            d2,
            len1: 1 + (stage1_vars(shape) + 1) * d1,
            len2: 1 + (shape.stage2_vars() + 1) * d2,
        }
    }

    fn scalar(&self) -> usize {
        self.len1 + self.len2
    }

    fn len(&self) -> usize {
        self.len1 + self.len2 + 1
    }
}

/// Number of fresh masks (`E` entries) of a zero-knowledge convolution step: both stages' Libra
/// masks and the scalar of the virtual value `X_c`. A function of the shape alone.
pub fn zk_mask_len(shape: &ConvShape, input_public: bool) -> usize {
    ConvMasks::of(shape, input_public).len()
}

/// `valid(r_y, r_x)`: the extension of "output position `(y, x)` is real".
fn valid<E: Field>(shape: &ConvShape, r_y: &[E], r_x: &[E]) -> E {
    lt_eval(r_y, shape.wy.output) * lt_eval(r_x, shape.wx.output)
}

/// `eq(a, b)` over the common coordinates (no length assertion: the verifier calls it).
fn eq<E: Field>(a: &[E], b: &[E]) -> E {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x * y + (E::ONE - x) * (E::ONE - y))
        .product()
}

/// A requantizing direct convolution's relation at its layer point `r`, in zero knowledge (see
/// the module docs): returns the proof and the claims for the proof's opening
/// ([`ZkConvClaims`], tables numbered there). `fresh` is the step's fresh masks
/// ([`zk_mask_len`] entries, committed beforehand, [`ZkConvClaims`]' forms index them from 0);
/// `scalars` gives the committed tables' masks in the same numbering, table 0 (the kernel) at
/// the stack point `(kernel point, ρ_dx, ρ_dy)` ([`ConvShape::unstack_kernel`]). Grouped and
/// depthwise convolutions are supported (the kernel point is [`ConvShape::kernel_point`]).
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
pub fn prove_zk<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    tables: &ZkConvTables<'_, F, E>,
    r: &[E],
    lhs: E,
    fresh: &[E],
    scalars: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> (ZkConvProof<E>, ZkConvClaims<E>) {
    prove_zk_batched(shape, tables, r, &[], lhs, fresh, scalars, transcript)
}

/// [`prove_zk`] for a batch of `2^b` inputs (`spec/batch.md`, "Zero knowledge"): `r` is the
/// output's point, `r_b` the batch's (`b` coordinates); the input and the output tables are the
/// batch's (`2^b` times longer, the batch index over the top variables), the bias one input's.
/// The input's im2col and the output tables are folded at `r_b`
/// (`t'(x) = Σ_β eq(r_b, β)·t(x, β)`) and the single step runs on the folded tables: the output
/// tables' claims are at `(ρ_out, r_b)`, the input's at `(ρ_2, ρ_i, r_b)`, each mask read there.
/// With `r_b` empty, [`prove_zk`] (the same bytes).
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
#[allow(clippy::too_many_arguments)]
pub fn prove_zk_batched<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    tables: &ZkConvTables<'_, F, E>,
    r: &[E],
    r_b: &[E],
    lhs: E,
    fresh: &[E],
    scalars: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> (ZkConvProof<E>, ZkConvClaims<E>) {
    let lay = ConvMasks::of(shape, tables.input_public);
    assert_eq!(fresh.len(), lay.len(), "the step's fresh masks");
    assert_eq!(r.len(), shape.output.num_vars(), "the output's point");
    let (nb, no) = (tables.bias.len(), tables.outputs.len());
    absorb_conv_header(shape, tables.input_public, nb, no, transcript);
    let parts = shape.output.split(r);
    let (r_o, r_y, r_x) = (parts[0], parts[1], parts[2]);
    let (n, n1, nout) = (
        stage1_vars(shape),
        shape.stage1_vars(),
        shape.output.num_vars(),
    );
    let (vi, vo) = (shape.input.vars[0], shape.output.vars[0]);
    let ng = shape.group_vars();

    // Stage 1.
    let (k1, xc, group) = stage1_own(shape, tables.kernel, tables.input, r_o, r_y, r_x, r_b);
    let mut t1 = vec![
        Mle::Ext(replicate(&k1, n)),
        Mle::Ext(replicate(&xc, n)),
        Mle::Ext(replicate(&eq_table(r_o), n)),
        Mle::Ext(replicate(&eq_table(r), n)),
    ];
    if let Some(g) = group {
        t1.push(Mle::Ext(replicate(&g, n)));
    }
    t1.extend(tables.bias.iter().map(|(_, t)| Mle::Base(replicate(t, n))));
    t1.extend(tables.outputs.iter().map(|(_, t)| folded(t, r_b, n)));
    let v = valid(shape, r_y, r_x);
    let bias_w: Vec<E> = tables.bias.iter().map(|(a, _)| *a * v).collect();
    let out_w: Vec<E> = tables.outputs.iter().map(|(a, _)| *a).collect();
    let terms1 = stage1_terms(shape, &bias_w, &out_w);
    let private1 = stage1_private(shape, nb, no);
    let mask1 = Mask::from_entries(n + 1, &fresh[..lay.len1]).expect("stage 1's mask");
    let c = fresh[lay.scalar()];
    let base = 4 + usize::from(ng > 0);
    let scalar1 = |i: usize, rho: &[E]| -> E {
        match i {
            0 => {
                let kp = shape.kernel_point(&rho[..vi], r_o);
                scalars.mask_at(0, &[&kp[..], &rho[vi..n1]].concat())
            }
            1 => c,
            i if i < base + nb => scalars.mask_at(2 + i - base, &rho[..vo]),
            i => scalars.mask_at(2 + i - base, &[&rho[..nout], r_b].concat()),
        }
    };
    let instance = Instance::new(t1, terms1).expect("tables of 2^n entries");
    let out1 = prove_masked_with(instance, lhs, &private1, &scalar1, &mask1, transcript);
    let rho1 = &out1.point;
    let (rho_i, rho_d) = rho1[..n1].split_at(vi);
    let (rho_dx, rho_dy) = rho_d.split_at(shape.offset_vars().0);
    let kernel_weights = shape.kernel_weights(rho_dx, rho_dy);
    let mut deferred = stage1_deferred(shape, r_o, r_b, rho1, out1.beta, &out1.proof.values, nb);
    deferred.push(Deferred::Masks {
        terms: mask_terms(rho1, out1.beta, out1.weight, lay.d1, 0),
        value: out1.weight * out1.mask_value,
    });

    // Stage 2: `Σ_pos X̃(pos, ρ_i)·M(pos) + β·c = v` (the hidden `β·c` on the all-ones table).
    let ell = out1.beta * c;
    // The input's rows `(channel, slot)` folded at `(ρ_i, r_b)`.
    let rows = [rho_i, r_b].concat();
    let (a2, b2) = super::stage2_tables(
        shape,
        tables.input,
        &eq_table(&rows),
        rho_dx,
        rho_dy,
        r_y,
        r_x,
    );
    let n2 = shape.stage2_vars();
    let t2 = vec![Mle::Ext(a2), Mle::Ext(b2), Mle::Base(vec![F::ONE; 1 << n2])];
    let private2 = [!tables.input_public, false, false];
    let mask2 = Mask::from_entries(n2 + 1, &fresh[lay.len1..lay.scalar()]).expect("stage 2's mask");
    let scalar2 = |_: usize, rho: &[E]| scalars.mask_at(1, &[rho, &rows].concat());
    let instance = Instance::new(t2, stage2_terms(shape, ell)).expect("tables of 2^n2 entries");
    let claim2 = out1.proof.values[1];
    let out2 = prove_masked_with(instance, claim2, &private2, &scalar2, &mask2, transcript);
    if !tables.input_public {
        deferred.push(Deferred::Masked {
            table: 1,
            point: [&out2.point[..], &rows].concat(),
            beta: out2.beta,
            value: out2.proof.values[0],
        });
    }
    let hidden = (E::ONE - out2.beta) * inv_pow2::<E>(n2) * out1.beta;
    let mut terms = mask_terms(&out2.point, out2.beta, out2.weight, lay.d2, lay.len1);
    terms.push((lay.scalar(), hidden));
    deferred.push(Deferred::Masks {
        terms,
        value: out2.weight * out2.mask_value + hidden * c,
    });
    (
        ZkConvProof {
            stage1: out1.proof,
            stage2: out2.proof,
        },
        ZkConvClaims {
            deferred,
            kernel_weights,
        },
    )
}

/// A batch's table (`2^{n + b}` entries) folded at `r_b` and repeated to `2^n` entries; with
/// `r_b` empty, the table itself (base field).
fn folded<F: BaseField, E: ExtField<F>>(t: &[F], r_b: &[E], n: usize) -> Mle<F, E> {
    if r_b.is_empty() {
        Mle::Base(replicate(t, n))
    } else {
        Mle::Ext(replicate(&fold_batch(t, r_b), n))
    }
}

/// Stage 1's own tables: the kernel folded at `r_o`, the input's im2col folded at `(r_y, r_x)`
/// — a batch's, slot by slot, then at `r_b` — and for a grouped convolution the selector
/// `eq(r_g, g)`, each over stage 1's `n_1` variables.
#[allow(clippy::type_complexity)]
fn stage1_own<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    kernel: &[&[F]],
    x: &[F],
    r_o: &[E],
    r_y: &[E],
    r_x: &[E],
    r_b: &[E],
) -> (Vec<E>, Vec<E>, Option<Vec<E>>) {
    let ext = |t: Option<Mle<F, E>>| match t {
        Some(Mle::Ext(t)) => t,
        _ => unreachable!("stage 1's tables are in E"),
    };
    if r_b.is_empty() {
        let (_, own) = super::stage1_tables(shape, kernel, x, r_o, r_y, r_x);
        let mut own = own.into_iter();
        let (k1, xc) = (ext(own.next()), ext(own.next()));
        let group = (shape.group_vars() > 0).then(|| ext(own.next()));
        return (k1, xc, group);
    }
    // The batched tables are over `(i, dx, dy, slot)`: the kernel repeated, each slot's
    // im2col, the slot's `eq(r_b, ·)` (times the group selector).
    let (_, own) = super::stage1_tables_batched(shape, kernel, x, r_o, r_y, r_x, r_b);
    let mut own = own.into_iter();
    let s1 = 1usize << shape.stage1_vars();
    let mut k1 = ext(own.next());
    k1.truncate(s1);
    let per_slot = ext(own.next());
    let eq_b = eq_table(r_b);
    let mut xc = vec![E::ZERO; s1];
    for (slot, &e) in per_slot.chunks_exact(s1).zip(&eq_b) {
        for (acc, &v) in xc.iter_mut().zip(slot) {
            *acc += e * v;
        }
    }
    let ng = shape.group_vars();
    let group = (ng > 0).then(|| {
        let eq_g = eq_table(&r_o[r_o.len() - ng..]);
        let (ci_len, nj) = (1usize << shape.input.vars[0], shape.group_in_vars());
        (0..s1).map(|j| eq_g[(j & (ci_len - 1)) >> nj]).collect()
    });
    (k1, xc, group)
}

/// Absorbs the step's header: `zk-conv` with its shape's variables and table counts.
fn absorb_conv_header(
    shape: &ConvShape,
    input_public: bool,
    bias: usize,
    outputs: usize,
    transcript: &mut Transcript,
) {
    let (vx, vy) = shape.offset_vars();
    transcript.domain_separator(
        b"zk-conv",
        &[
            shape.input.num_vars() as u64,
            shape.output.num_vars() as u64,
            vx as u64,
            vy as u64,
            shape.groups as u64,
            u64::from(input_public),
            bias as u64,
            outputs as u64,
        ],
    );
}

/// Stage 1's masked values' claims (the kernel, the bias limbs, the output tables; `X_c`'s is
/// stage 2's business), at `(ρ, β)`. `values` are the masked values in instance order; a
/// shorter list gives fewer claims (the verifier has checked the count).
fn stage1_deferred<E: Field>(
    shape: &ConvShape,
    r_o: &[E],
    r_b: &[E],
    rho: &[E],
    beta: E,
    values: &[E],
    bias: usize,
) -> Vec<Deferred<E>> {
    let vi = shape.input.vars.first().copied().unwrap_or(0);
    let vo = shape.output.vars.first().copied().unwrap_or(0);
    let nout = shape.output.num_vars();
    let at = |k: usize| rho.get(..k).unwrap_or(rho).to_vec();
    let mut out = Vec::with_capacity(values.len());
    if let Some(&value) = values.first() {
        out.push(Deferred::Masked {
            table: 0,
            point: shape.kernel_point(rho.get(..vi).unwrap_or(rho), r_o),
            beta,
            value,
        });
    }
    for (k, &value) in values.iter().enumerate().skip(2) {
        let point = if k - 2 < bias {
            at(vo)
        } else {
            [&at(nout)[..], r_b].concat()
        };
        out.push(Deferred::Masked {
            table: k,
            point,
            beta,
            value,
        });
    }
    out
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies a zero-knowledge convolution step ([`prove_zk`]) at the layer point `r` for the
/// tables' weights (`bias`: before the factor `valid(r_y, r_x)`, which is applied here) and
/// `lhs`; `input` is the public input, or `None` for a committed one. Returns the claims the
/// prover returned ([`ZkConvClaims`]).
#[allow(clippy::too_many_arguments)]
pub fn verify_zk<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    bias: &[E],
    outputs: &[E],
    input: Option<&[F]>,
    r: &[E],
    lhs: E,
    proof: &ZkConvProof<E>,
    transcript: &mut Transcript,
) -> Result<ZkConvClaims<E>, LayerError> {
    verify_zk_batched(shape, bias, outputs, input, r, &[], lhs, proof, transcript)
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies [`prove_zk_batched`]: as [`verify_zk`], at the output's point `r` and the batch's
/// `r_b`; a public input is the padded batch's (`2^{n_in + b}` entries), evaluated at
/// `(ρ_2, ρ_i, r_b)`. The output tables' claims are at `(ρ_out, r_b)`, the input's at
/// `(ρ_2, ρ_i, r_b)`.
#[allow(clippy::too_many_arguments)]
pub fn verify_zk_batched<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    bias: &[E],
    outputs: &[E],
    input: Option<&[F]>,
    r: &[E],
    r_b: &[E],
    lhs: E,
    proof: &ZkConvProof<E>,
    transcript: &mut Transcript,
) -> Result<ZkConvClaims<E>, LayerError> {
    let lay = ConvMasks::of(shape, input.is_some());
    let (nb, no) = (bias.len(), outputs.len());
    absorb_conv_header(shape, input.is_some(), nb, no, transcript);
    let parts = shape.output.split(r);
    let (r_o, r_y, r_x) = match parts.as_slice() {
        [a, b, c] if r.len() == shape.output.num_vars() => (*a, *b, *c),
        _ => {
            return Err(LayerError::Count {
                what: "conv (zero knowledge) output point",
                expected: shape.output.num_vars(),
                got: r.len(),
            })
        }
    };
    let (n, n1, nout) = (
        stage1_vars(shape),
        shape.stage1_vars(),
        shape.output.num_vars(),
    );
    let vi = shape.input.vars.first().copied().unwrap_or(0);
    let vo = shape.output.vars.first().copied().unwrap_or(0);
    let ng = shape.group_vars();

    // Stage 1.
    let private1 = stage1_private(shape, nb, no);
    let count1 = private1.iter().filter(|&&p| p).count();
    let c1 =
        verify_masked(n, lay.d1, lhs, count1, &proof.stage1, transcript).map_err(|source| {
            LayerError::Sumcheck {
                step: "conv stage 1 (zero knowledge)",
                source,
            }
        })?;
    let rho1 = &c1.point;
    let short = || LayerError::Count {
        what: "conv (zero knowledge) stage 1 point",
        expected: n,
        got: rho1.len(),
    };
    let (Some(rho_i), Some(rho_d), Some(rho_o), Some(rho_out)) = (
        rho1.get(..vi),
        rho1.get(vi..n1),
        rho1.get(..vo),
        rho1.get(..nout),
    ) else {
        return Err(short());
    };
    let (rho_dx, rho_dy) = rho_d.split_at(shape.offset_vars().0.min(rho_d.len()));
    let mut public = vec![eq(r_o, rho_o), eq(r, rho_out)];
    if ng > 0 {
        let (rho_g, r_g) = (
            rho_i.get(vi.saturating_sub(ng)..).unwrap_or(&[]),
            r_o.get(r_o.len().saturating_sub(ng)..).unwrap_or(&[]),
        );
        public.push(eq(r_g, rho_g));
    }
    let v = valid(shape, r_y, r_x);
    let bias_w: Vec<E> = bias.iter().map(|&a| a * v).collect();
    let terms1 = stage1_terms(shape, &bias_w, outputs);
    let form1 = final_form(&c1, &terms1, &private1, &public, lay.d1)?;
    let mut deferred = stage1_deferred(shape, r_o, r_b, rho1, c1.beta, &c1.values, nb);
    deferred.push(form1);
    let xc = super::get(
        &c1.values,
        1,
        "conv (zero knowledge) stage 1 values",
        count1,
    )?;

    // Stage 2 on the public claim `v`; the hidden `β·c` joins the final check's form.
    let n2 = shape.stage2_vars();
    let private2 = [input.is_none(), false, false];
    let count2 = usize::from(input.is_none());
    let c2 =
        verify_masked(n2, lay.d2, xc, count2, &proof.stage2, transcript).map_err(|source| {
            LayerError::Sumcheck {
                step: "conv stage 2 (zero knowledge)",
                source,
            }
        })?;
    let rho2 = &c2.point;
    let (p_x, p_y) = rho2.split_at(
        shape
            .input
            .vars
            .get(2)
            .copied()
            .unwrap_or(0)
            .min(rho2.len()),
    );
    let wiring =
        shape.wx.evaluate(Some(rho_dx), r_x, p_x) * shape.wy.evaluate(Some(rho_dy), r_y, p_y);
    let input_point = [rho2.as_slice(), rho_i, r_b].concat();
    let mut public2 = Vec::with_capacity(3);
    if let Some(x) = input {
        public2.push(public_input(x, &input_point)?);
    }
    public2.extend([wiring, E::ONE]);
    // The public part of the summand at (ρ_2, β_2): the hidden term's coefficient is 0 here.
    let mut form2 = final_form(
        &c2,
        &stage2_terms(shape, E::ZERO),
        &private2,
        &public2,
        lay.d2,
    )?;
    if let Deferred::Masks { terms, .. } = &mut form2 {
        for t in terms.iter_mut() {
            t.0 += lay.len1;
        }
        terms.push((
            lay.scalar(),
            (E::ONE - c2.beta) * inv_pow2::<E>(n2) * c1.beta,
        ));
    }
    if input.is_none() {
        let value = super::get(&c2.values, 0, "conv (zero knowledge) stage 2 values", 1)?;
        deferred.push(Deferred::Masked {
            table: 1,
            point: input_point,
            beta: c2.beta,
            value,
        });
    }
    deferred.push(form2);
    Ok(ZkConvClaims {
        deferred,
        kernel_weights: shape.kernel_weights(rho_dx, rho_dy),
    })
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// The final check's form on the sum-check's Libra mask (fresh masks from 0): `ρ·g(r, β) =
/// value − (1 − β)·instance(values)`.
fn final_form<E: Field>(
    claim: &MaskedClaim<E>,
    terms: &[Term<E>],
    private: &[bool],
    public: &[E],
    degree: usize,
) -> Result<Deferred<E>, LayerError> {
    let ids: Vec<usize> = (0..claim.values.len()).collect();
    claim
        .deferred(terms, private, public, &ids, degree)
        .map_err(|source| LayerError::Sumcheck {
            step: "conv (zero knowledge) final check",
            source,
        })?
        .pop()
        .ok_or(LayerError::Count {
            what: "conv (zero knowledge) final check",
            expected: 1,
            got: 0,
        })
}

/// The public input's value at `point`, its size checked first.
fn public_input<F: BaseField, E: ExtField<F>>(x: &[F], point: &[E]) -> Result<E, LayerError> {
    if point.len() >= usize::BITS as usize || x.len() != 1 << point.len() {
        return Err(LayerError::Count {
            what: "public input (zero knowledge)",
            expected: 1usize.checked_shl(point.len() as u32).unwrap_or(0),
            got: x.len(),
        });
    }
    Ok(crate::poly::evaluate_base(x, point))
}

/// The window sum's tables are `[X(·, r_c), M, eq(r, ·), outputs…]`; its terms.
fn window_terms<E: Field>(shape: &ConvShape, outputs: &[E]) -> Vec<Term<E>> {
    let (n2, nout) = (shape.stage2_vars(), shape.output.num_vars());
    let n = n2.max(nout);
    let mut terms = vec![Term {
        coeff: inv_pow2::<E>(n - n2),
        factors: vec![0, 1],
    }];
    let s = inv_pow2::<E>(n - nout);
    for (k, &a) in outputs.iter().enumerate() {
        terms.push(Term {
            coeff: s * a,
            factors: vec![2, 3 + k],
        });
    }
    terms
}

fn window_private(input_public: bool, outputs: usize) -> Vec<bool> {
    let mut p = vec![!input_public, false, false];
    p.extend(std::iter::repeat_n(true, outputs));
    p
}

fn window_degree(shape: &ConvShape, input_public: bool) -> usize {
    masked_degree(
        &window_terms(shape, &[crate::field::Goldilocks::ONE]),
        &window_private(input_public, 1),
    )
}

/// Number of fresh masks (`E` entries) of a zero-knowledge window sum: its Libra mask.
pub fn window_sum_zk_mask_len(shape: &ConvShape, input_public: bool) -> usize {
    let n = shape.stage2_vars().max(shape.output.num_vars());
    1 + (n + 1) * window_degree(shape, input_public)
}

/// Absorbs the window sum's header: `zk-window-sum` with its variables and table count.
fn absorb_window_header(
    shape: &ConvShape,
    input_public: bool,
    outputs: usize,
    transcript: &mut Transcript,
) {
    transcript.domain_separator(
        b"zk-window-sum",
        &[
            shape.input.num_vars() as u64,
            shape.output.num_vars() as u64,
            shape.wx.k as u64,
            shape.wy.k as u64,
            u64::from(input_public),
            outputs as u64,
        ],
    );
}

/// The window sum's masked values' claims at `(ρ, β)`: `X` (table 0, at `(ρ_pos, r_c)`, unless
/// public) and the output tables (`1 + k`, at the output's part of `ρ`).
fn window_deferred<E: Field>(
    shape: &ConvShape,
    input_public: bool,
    (r_c, r_b): (&[E], &[E]),
    rho: &[E],
    beta: E,
    values: &[E],
) -> Vec<Deferred<E>> {
    let (n2, nout) = (shape.stage2_vars(), shape.output.num_vars());
    let at = |k: usize| rho.get(..k).unwrap_or(rho).to_vec();
    let mut tables = Vec::with_capacity(values.len());
    if !input_public {
        tables.push((0, [&at(n2)[..], r_c, r_b].concat()));
    }
    for k in 0..values.len().saturating_sub(tables.len()) {
        tables.push((1 + k, [&at(nout)[..], r_b].concat()));
    }
    tables
        .into_iter()
        .zip(values)
        .map(|((table, point), &value)| Deferred::Masked {
            table,
            point,
            beta,
            value,
        })
        .collect()
}

/// A requantizing window sum (average pooling) at its layer point `r = (r_x, r_y, r_c)`, in zero
/// knowledge: one masked sum-check of `Σ_pos X̃(pos, r_c)·M(pos) + Σ_k a_k·t̃_k(r) = lhs` over
/// `max(n_pos, n_out)` variables (public left-hand side). Tables: `0` = the input `X` (unless
/// `input_public`), `1 + k` = output table `k`; `fresh` is the step's Libra mask
/// ([`window_sum_zk_mask_len`]). Returns the proof and the claims (masked values, then the final
/// check's form).
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
#[allow(clippy::too_many_arguments)]
pub fn prove_window_sum_zk<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    x: &[F],
    input_public: bool,
    outputs: &OutputTables<'_, F, E>,
    r: &[E],
    lhs: E,
    fresh: &[E],
    scalars: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> (MaskedProof<E>, Vec<Deferred<E>>) {
    prove_window_sum_zk_batched(
        shape,
        x,
        input_public,
        outputs,
        (r, &[]),
        lhs,
        fresh,
        scalars,
        transcript,
    )
}

/// [`prove_window_sum_zk`] for a batch of `2^b` inputs (`spec/batch.md`, "Zero knowledge"): `r`
/// is the output's point, `r_b` the batch's; the input and the output tables are the batch's.
/// The input's rows `(channel, slot)` are folded at `(r_c, r_b)` (the transparent window sum's
/// fold) and the output tables at `r_b`; the single step runs on the folded tables, its claims
/// at `(ρ_pos, r_c, r_b)` on the input and `(ρ_out, r_b)` on the outputs. With `r_b` empty,
/// [`prove_window_sum_zk`] (the same bytes).
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
#[allow(clippy::too_many_arguments)]
pub fn prove_window_sum_zk_batched<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    x: &[F],
    input_public: bool,
    outputs: &OutputTables<'_, F, E>,
    (r, r_b): (&[E], &[E]),
    lhs: E,
    fresh: &[E],
    scalars: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> (MaskedProof<E>, Vec<Deferred<E>>) {
    assert_eq!(r.len(), shape.output.num_vars(), "the output's point");
    absorb_window_header(shape, input_public, outputs.len(), transcript);
    let parts = shape.output.split(r);
    let (r_c, r_y, r_x) = (parts[0], parts[1], parts[2]);
    let (n2, nout) = (shape.stage2_vars(), shape.output.num_vars());
    let n = n2.max(nout);
    let (h_len, w_len) = (1usize << shape.input.vars[1], 1usize << shape.input.vars[2]);
    let a = fold_rows(x, n2, &eq_table(&[r_c, r_b].concat()));
    let (mx, my) = (
        shape.wx.table(None, &eq_table(r_x), w_len),
        shape.wy.table(None, &eq_table(r_y), h_len),
    );
    let b: Vec<E> = (0..h_len * w_len)
        .map(|j| my[j / w_len] * mx[j % w_len])
        .collect();
    let mut tables = vec![
        Mle::Ext(replicate(&a, n)),
        Mle::Ext(replicate(&b, n)),
        Mle::Ext(replicate(&eq_table(r), n)),
    ];
    tables.extend(outputs.iter().map(|(_, t)| folded(t, r_b, n)));
    let weights: Vec<E> = outputs.iter().map(|(a, _)| *a).collect();
    let private = window_private(input_public, outputs.len());
    let degree = window_degree(shape, input_public);
    let mask = Mask::from_entries(n + 1, fresh).expect("the step's Libra mask");
    assert_eq!(mask.degree(), degree, "the step's Libra mask");
    let scalar = |i: usize, rho: &[E]| match i {
        0 => scalars.mask_at(0, &[&rho[..n2], r_c, r_b].concat()),
        i => scalars.mask_at(i - 2, &[&rho[..nout], r_b].concat()),
    };
    let instance =
        Instance::new(tables, window_terms(shape, &weights)).expect("tables of 2^n entries");
    let out = prove_masked_with(instance, lhs, &private, &scalar, &mask, transcript);
    let mut deferred = window_deferred(
        shape,
        input_public,
        (r_c, r_b),
        &out.point,
        out.beta,
        &out.proof.values,
    );
    deferred.push(Deferred::Masks {
        terms: mask_terms(&out.point, out.beta, out.weight, degree, 0),
        value: out.weight * out.mask_value,
    });
    (out.proof, deferred)
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies a zero-knowledge window sum ([`prove_window_sum_zk`]) for the output tables'
/// weights; `input` is the public input, or `None` for a committed one. Returns the prover's
/// claims.
#[allow(clippy::too_many_arguments)]
pub fn verify_window_sum_zk<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    outputs: &[E],
    input: Option<&[F]>,
    r: &[E],
    lhs: E,
    proof: &MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, LayerError> {
    verify_window_sum_zk_batched(shape, outputs, input, (r, &[]), lhs, proof, transcript)
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies [`prove_window_sum_zk_batched`]: as [`verify_window_sum_zk`] at the output's point
/// `r` and the batch's `r_b`; a public input is the padded batch's, evaluated at
/// `(ρ_pos, r_c, r_b)`.
pub fn verify_window_sum_zk_batched<F: BaseField, E: ExtField<F>>(
    shape: &ConvShape,
    outputs: &[E],
    input: Option<&[F]>,
    (r, r_b): (&[E], &[E]),
    lhs: E,
    proof: &MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, LayerError> {
    absorb_window_header(shape, input.is_some(), outputs.len(), transcript);
    let parts = shape.output.split(r);
    let (r_c, r_y, r_x) = match parts.as_slice() {
        [a, b, c] if r.len() == shape.output.num_vars() => (*a, *b, *c),
        _ => {
            return Err(LayerError::Count {
                what: "window sum (zero knowledge) output point",
                expected: shape.output.num_vars(),
                got: r.len(),
            })
        }
    };
    let (n2, nout) = (shape.stage2_vars(), shape.output.num_vars());
    let n = n2.max(nout);
    let private = window_private(input.is_some(), outputs.len());
    let count = private.iter().filter(|&&p| p).count();
    let degree = window_degree(shape, input.is_some());
    let claim = verify_masked(n, degree, lhs, count, proof, transcript).map_err(|source| {
        LayerError::Sumcheck {
            step: "window sum (zero knowledge)",
            source,
        }
    })?;
    let rho = &claim.point;
    let (Some(rho_pos), Some(rho_out)) = (rho.get(..n2), rho.get(..nout)) else {
        return Err(LayerError::Count {
            what: "window sum (zero knowledge) point",
            expected: n,
            got: rho.len(),
        });
    };
    let (p_x, p_y) = rho_pos.split_at(
        shape
            .input
            .vars
            .get(2)
            .copied()
            .unwrap_or(0)
            .min(rho_pos.len()),
    );
    let mut public = Vec::with_capacity(3);
    if let Some(x) = input {
        public.push(public_input(x, &[rho_pos, r_c, r_b].concat())?);
    }
    public.push(shape.wx.evaluate(None, r_x, p_x) * shape.wy.evaluate(None, r_y, p_y));
    public.push(eq(r, rho_out));
    let form = final_form(
        &claim,
        &window_terms(shape, outputs),
        &private,
        &public,
        degree,
    )?;
    let mut out = window_deferred(
        shape,
        input.is_some(),
        (r_c, r_b),
        rho,
        claim.beta,
        &claim.values,
    );
    out.push(form);
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! The zero-knowledge convolution and window sum, discharged by one opening of a hiding
    //! commitment that holds the layer's tables (kernel matrices, input, bias, `y`, `n`,
    //! remainder) and the step's fresh masks.
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::layers::window::Window;
    use crate::layers::Dims;
    use crate::pcs::basefold::Params;
    use crate::pcs::packing::Packing;
    use crate::pcs::zk::{self as pzk, ZkCommitment, ZkProverData};
    use crate::sumcheck::SumcheckError;
    use crate::zk::{mask_entries, DeferredOpening, DischargeError, Layout, Ledger};
    use ark_ff::FftField;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const SHIFT: u32 = 4;

    fn params() -> Params {
        Params {
            rate_bits: 2,
            fold_bits: 2,
            queries: 8,
            pow_bits: 0,
        }
    }

    fn f<F: Field>(v: i64) -> F {
        if v < 0 {
            -F::from(v.unsigned_abs())
        } else {
            F::from(v as u64)
        }
    }

    fn to_f<F: Field>(t: &[i64]) -> Vec<F> {
        t.iter().map(|&v| f(v)).collect()
    }

    /// What a cheating prover changes.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Cheat {
        None,
        /// `y` and the remainder edited after the commitment so that the relation still holds.
        Witness,
        /// A kernel entry edited after the commitment (`y, n`, remainder recomputed from it).
        Kernel,
        /// An input entry edited after the commitment (`y, n`, remainder recomputed from it).
        Input,
        /// `y` edited before the commitment: the relation fails.
        Relation,
    }

    /// Why a run was rejected.
    #[derive(Debug)]
    enum Rejected {
        Step(LayerError),
        Opening(DischargeError),
    }

    /// The committed tables' masks, for segments of one packed commitment: `segment[t]` for the
    /// step's table `t ≥ 1`, the kernel's matrices `kernel[d]` for table 0 (read at the stack
    /// point).
    struct Segments<'a, F> {
        data: &'a ZkProverData<F>,
        packing: &'a Packing,
        shape: Option<&'a ConvShape>,
        kernel: Vec<usize>,
        segment: Vec<usize>,
    }

    impl<F: BaseField, E: ExtField<F>> TableMasks<E> for Segments<'_, F> {
        fn mask_at(&self, table: usize, point: &[E]) -> E {
            let at = |seg: usize, z: &[E]| {
                let z = self.packing.point(seg, z);
                self.data.mask_at(0, &z).expect("one committed table")
            };
            match (table, self.shape) {
                (0, Some(shape)) => {
                    let (z, w) = shape.unstack_kernel(point);
                    self.kernel.iter().zip(w).map(|(&s, w)| w * at(s, z)).sum()
                }
                (t, _) => at(self.segment[t], point),
            }
        }
    }

    /// `2^vars[0] × 2^vars[1] × 2^vars[2]` zeros with `v` at the real positions.
    fn pad(d: &Dims, v: &[i64]) -> Vec<i64> {
        let (h, w) = (1usize << d.vars[1], 1usize << d.vars[2]);
        let mut out = vec![0; d.len()];
        for c in 0..d.shape[0] {
            for y in 0..d.shape[1] {
                for x in 0..d.shape[2] {
                    out[(c * h + y) * w + x] = v[(c * d.shape[1] + y) * d.shape[2] + x];
                }
            }
        }
        out
    }

    /// `(y, n, remainder)` of `acc` (every padded position: the relation holds on the cube).
    fn requantize(acc: &[i64]) -> [Vec<i64>; 3] {
        let (mut y, mut n, mut rem) = (vec![0; acc.len()], vec![0; acc.len()], vec![0; acc.len()]);
        for (o, &a) in acc.iter().enumerate() {
            let q = (a + (1 << (SHIFT - 1))).div_euclid(1 << SHIFT);
            rem[o] = a + (1 << (SHIFT - 1)) - (q << SHIFT);
            y[o] = q.max(0);
            n[o] = (-q).max(0);
        }
        [y, n, rem]
    }

    /// A convolution in `g` groups: its shape and random kernel matrices (`[o][j]`, padded),
    /// input (padded) and bias (over the padded output channels).
    fn conv_case(
        rng: &mut StdRng,
        g: usize,
        (ci, co): (usize, usize),
        (h, w): (usize, usize),
        (k, s, p): (usize, usize, usize),
    ) -> (ConvShape, Vec<Vec<i64>>, Vec<i64>, Vec<i64>) {
        let (oh, ow) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
        let win = |input, output| Window {
            k,
            stride: s,
            pad: p,
            input,
            output,
        };
        let shape = ConvShape {
            input: Dims::new(&[ci, h, w]),
            output: Dims::new(&[co, oh, ow]),
            wy: win(h, oh),
            wx: win(w, ow),
            groups: g,
        };
        let (vj, vo) = (shape.group_in_vars(), shape.output.vars[0]);
        let mut kernel = vec![vec![0i64; 1 << (vo + vj)]; k * k];
        for m in &mut kernel {
            for o in 0..co {
                for j in 0..ci / g {
                    m[(o << vj) | j] = rng.gen_range(-8..8);
                }
            }
        }
        let x: Vec<i64> = (0..ci * h * w).map(|_| rng.gen_range(-8..8)).collect();
        let mut bias = vec![0i64; 1 << vo];
        for b in bias.iter_mut().take(co) {
            *b = rng.gen_range(-50..50);
        }
        let x = pad(&shape.input, &x);
        (shape, kernel, x, bias)
    }

    /// The accumulator over the padded output: the convolution plus the bias at real positions.
    fn conv_acc(shape: &ConvShape, kernel: &[Vec<i64>], x: &[i64], bias: &[i64]) -> Vec<i64> {
        let (ci, co) = (shape.input.shape[0], shape.output.shape[0]);
        let (g, k) = (shape.groups, shape.wx.k);
        let (cg, og, vj) = (ci / g, co / g, shape.group_in_vars());
        let (ih, iw) = (1usize << shape.input.vars[1], 1usize << shape.input.vars[2]);
        let (oh, ow) = (
            1usize << shape.output.vars[1],
            1usize << shape.output.vars[2],
        );
        let mut acc = vec![0i64; shape.output.len()];
        for o in 0..co {
            for y in 0..shape.wy.output {
                for xo in 0..shape.wx.output {
                    let mut a = bias[o];
                    for j in 0..cg {
                        let i = (o / og) * cg + j;
                        for dy in 0..k {
                            for dx in 0..k {
                                let iy = (y * shape.wy.stride + dy) as i64 - shape.wy.pad as i64;
                                let ix = (xo * shape.wx.stride + dx) as i64 - shape.wx.pad as i64;
                                if iy >= 0
                                    && ix >= 0
                                    && (iy as usize) < shape.wy.input
                                    && (ix as usize) < shape.wx.input
                                {
                                    a += kernel[dy * k + dx][(o << vj) | j]
                                        * x[(i * ih + iy as usize) * iw + ix as usize];
                                }
                            }
                        }
                    }
                    acc[(o * oh + y) * ow + xo] = a;
                }
            }
        }
        acc
    }

    /// Groups, channels in and out, input size, and kernel size, stride, padding.
    type Geometry = (usize, (usize, usize), (usize, usize), (usize, usize, usize));

    /// A proven convolution step, as the verifier receives it.
    struct Run<F: Field, E: Field> {
        shape: ConvShape,
        commitment: ZkCommitment,
        layout: Layout,
        /// Segments of X, bias, y, n, rem (tables 1 …).
        rest: Vec<usize>,
        kernel: Vec<usize>,
        x: Vec<F>,
        input_public: bool,
        r: Vec<E>,
        proof: ZkConvProof<E>,
        opening: DeferredOpening<F, E>,
    }

    fn weights<E: Field>() -> (Vec<E>, Vec<E>, E) {
        (
            vec![E::ONE],
            vec![-f::<E>(1 << SHIFT), f(1 << SHIFT), -E::ONE],
            -f::<E>(1 << (SHIFT - 1)),
        )
    }

    fn start(c: &ZkCommitment) -> Transcript {
        let mut t = Transcript::new(b"conv-zk");
        t.append_message(b"root", &c.inner.root);
        t
    }

    fn prove_conv<F: BaseField + FftField, E: ExtField<F>>(
        seed: u64,
        (g, chans, size, kernel_shape): Geometry,
        input_public: bool,
        cheat: Cheat,
    ) -> Run<F, E> {
        let mut rng = StdRng::seed_from_u64(seed);
        let (shape, kernel, x, bias) = conv_case(&mut rng, g, chans, size, kernel_shape);
        let [mut y, n, rem] = requantize(&conv_acc(&shape, &kernel, &x, &bias));
        if cheat == Cheat::Relation {
            y[0] += 1;
        }
        let (bias_w, out_w, lhs) = weights::<E>();
        let fresh: Vec<E> = (0..zk_mask_len(&shape, input_public))
            .map(|_| E::rand(&mut rng))
            .collect();
        let mut masks = mask_entries::<F, E>(&fresh);
        let mask_vars = masks.len().next_power_of_two().trailing_zeros() as usize;
        masks.resize(1 << mask_vars, F::ZERO);
        let k2 = kernel.len();
        let kvars = kernel[0].len().trailing_zeros() as usize;
        let (nin, nout, vo) = (
            shape.input.num_vars(),
            shape.output.num_vars(),
            shape.output.vars[0],
        );
        let mut vars = vec![kvars; k2];
        vars.extend([nin, vo, nout, nout, nout, mask_vars]);
        let packing = Packing::new(&vars);
        let mut all: Vec<Vec<F>> = kernel.iter().map(|m| to_f(m)).collect();
        all.extend([&x, &bias, &y, &n, &rem].map(|t| to_f::<F>(t)));
        all.push(masks);
        let (commitment, mut data) =
            pzk::commit(&params(), packing.pack(&all), packing.num_vars(), &mut rng).unwrap();
        let layout = Layout {
            packings: vec![packing.clone()],
            masks: Some((0, k2 + 5)),
        };
        let kernel_segs: Vec<usize> = (0..k2).collect();
        let rest: Vec<usize> = (k2..k2 + 5).collect();
        let r: Vec<E> = (0..nout).map(|_| E::rand(&mut rng)).collect();

        // The prover (a cheating one edits its tables after committing, the rest recomputed).
        let (mut kernel2, mut x2) = (kernel.clone(), x.clone());
        match cheat {
            Cheat::Kernel => kernel2[k2 / 2][0] += 1,
            Cheat::Input => {
                let w = 1usize << shape.input.vars[2];
                x2[w + 1] += 1;
            }
            _ => {}
        }
        let [mut y2, n2, mut rem2] = requantize(&conv_acc(&shape, &kernel2, &x2, &bias));
        if cheat == Cheat::Witness {
            y2[0] += 1;
            rem2[0] -= 1 << SHIFT;
        }
        if cheat == Cheat::Relation {
            y2 = y.clone();
        }
        let kf: Vec<Vec<F>> = kernel2.iter().map(|m| to_f(m)).collect();
        let krefs: Vec<&[F]> = kf.iter().map(Vec::as_slice).collect();
        let (xf, bf, yf, nf, rf) = (
            to_f::<F>(&x2),
            to_f::<F>(&bias),
            to_f::<F>(&y2),
            to_f::<F>(&n2),
            to_f::<F>(&rem2),
        );
        let bias_t: Vec<(E, &[F])> = vec![(bias_w[0], &bf[..])];
        let outputs: Vec<(E, &[F])> = vec![(out_w[0], &yf[..]), (out_w[1], &nf), (out_w[2], &rf)];
        let scalars = Segments {
            data: &data,
            packing: &packing,
            shape: Some(&shape),
            kernel: kernel_segs.clone(),
            segment: [vec![usize::MAX], rest.clone()].concat(),
        };
        let tables = ZkConvTables {
            kernel: &krefs,
            input: &xf,
            input_public,
            bias: &bias_t,
            outputs: &outputs,
        };
        let mut tp = start(&commitment);
        let (proof, claims) = prove_zk(&shape, &tables, &r, lhs, &fresh, &scalars, &mut tp);
        let public_x = to_f::<F>(&x);
        let expected = verify_zk::<F, E>(
            &shape,
            &bias_w,
            &out_w,
            input_public.then_some(&public_x[..]),
            &r,
            lhs,
            &proof,
            &mut start(&commitment),
        )
        .expect("the sum-checks' rounds are consistent");
        if cheat == Cheat::Relation {
            assert_ne!(
                expected, claims,
                "a false sum shows in a final check's form"
            );
        } else {
            assert_eq!(expected, claims, "the prover's claims are the verifier's");
        }
        let mut ledger = Ledger::new();
        let mut placed = vec![expected.kernel_placed(0, &kernel_segs)];
        placed.extend(rest.iter().map(|&s| Placed::segment(0, s)));
        ledger.defer(expected.deferred, &placed, 0).unwrap();
        let honest = ledger.open(
            &params(),
            &layout,
            &mut [(&commitment, &mut data.clone())],
            &mut rng,
            &mut tp.clone(),
        );
        assert_eq!(
            matches!(honest, Err(DischargeError::Unsatisfied { .. })),
            cheat != Cheat::None,
            "{cheat:?}: {honest:?}"
        );
        // A cheater's claims do not hold: it opens what its tables hold.
        let opening = ledger
            .open_checked(
                &params(),
                &layout,
                &mut [(&commitment, &mut data)],
                &mut rng,
                &mut tp,
                false,
            )
            .unwrap();
        Run {
            shape,
            commitment,
            layout,
            rest,
            kernel: kernel_segs,
            x: public_x,
            input_public,
            r,
            proof,
            opening,
        }
    }

    fn verify_conv<F: BaseField + FftField, E: ExtField<F>>(
        run: &Run<F, E>,
        proof: &ZkConvProof<E>,
    ) -> Result<(), Rejected> {
        let (bias_w, out_w, lhs) = weights::<E>();
        let mut t = start(&run.commitment);
        let claims = verify_zk::<F, E>(
            &run.shape,
            &bias_w,
            &out_w,
            run.input_public.then_some(&run.x[..]),
            &run.r,
            lhs,
            proof,
            &mut t,
        )
        .map_err(Rejected::Step)?;
        let mut placed = vec![claims.kernel_placed(0, &run.kernel)];
        placed.extend(run.rest.iter().map(|&s| Placed::segment(0, s)));
        let mut ledger = Ledger::new();
        ledger
            .defer(claims.deferred, &placed, 0)
            .map_err(Rejected::Opening)?;
        ledger
            .verify(
                &params(),
                &run.layout,
                &[&run.commitment],
                &run.opening,
                &mut t,
            )
            .map(|_| ())
            .map_err(Rejected::Opening)
    }

    /// 2→4 channels, 3×3: padding 1 on 4×4, stride 2 without padding on 5×5, stride 2 with
    /// padding on 6×6; two groups; depthwise.
    const CONVS: [Geometry; 5] = [
        (1, (2, 4), (4, 4), (3, 1, 1)),
        (1, (2, 4), (5, 5), (3, 2, 0)),
        (1, (2, 4), (6, 6), (3, 2, 1)),
        (2, (4, 4), (4, 4), (3, 1, 1)),
        (4, (4, 4), (5, 5), (3, 1, 1)),
    ];

    #[test]
    fn the_zero_knowledge_conv_step_round_trips_on_both_fields() {
        for (i, geometry) in CONVS.into_iter().enumerate() {
            let run =
                prove_conv::<Goldilocks, GoldilocksExt2>(i as u64, geometry, false, Cheat::None);
            verify_conv(&run, &run.proof).unwrap();
            let run = prove_conv::<Bn254Fr, Bn254Fr>(i as u64, geometry, false, Cheat::None);
            verify_conv(&run, &run.proof).unwrap();
        }
        // A public input: no claim on it, the verifier evaluates it.
        let run = prove_conv::<Goldilocks, GoldilocksExt2>(9, CONVS[1], true, Cheat::None);
        assert_eq!(run.proof.stage2.values.len(), 0);
        verify_conv(&run, &run.proof).unwrap();
    }

    #[test]
    fn a_cheating_conv_prover_is_caught() {
        for cheat in [Cheat::Witness, Cheat::Kernel, Cheat::Input, Cheat::Relation] {
            for geometry in [CONVS[0], CONVS[1], CONVS[3]] {
                let run = prove_conv::<Goldilocks, GoldilocksExt2>(3, geometry, false, cheat);
                let got = verify_conv(&run, &run.proof);
                assert!(
                    matches!(got, Err(Rejected::Opening(DischargeError::Opening(_)))),
                    "{cheat:?} {geometry:?}: {got:?}"
                );
            }
            let run = prove_conv::<Bn254Fr, Bn254Fr>(4, CONVS[2], false, cheat);
            let got = verify_conv(&run, &run.proof);
            assert!(
                matches!(got, Err(Rejected::Opening(DischargeError::Opening(_)))),
                "{cheat:?} (BN254): {got:?}"
            );
        }
    }

    /// Every value of the proof is checked: each tampered one is rejected, at the step or at the
    /// opening; wrong counts are exact errors.
    #[test]
    fn a_tampered_conv_proof_is_rejected() {
        let run = prove_conv::<Goldilocks, GoldilocksExt2>(5, CONVS[1], false, Cheat::None);
        let one = GoldilocksExt2::ONE;
        let mut tampered: Vec<ZkConvProof<GoldilocksExt2>> = Vec::new();
        for stage in 0..2 {
            let get = |p: &mut ZkConvProof<GoldilocksExt2>, f: &dyn Fn(&mut MaskedProof<_>)| {
                if stage == 0 {
                    f(&mut p.stage1)
                } else {
                    f(&mut p.stage2)
                }
            };
            let stage_proof = if stage == 0 {
                &run.proof.stage1
            } else {
                &run.proof.stage2
            };
            let mut p = run.proof.clone();
            get(&mut p, &|m| m.zk.mask_sum += one);
            tampered.push(p);
            for (j, round) in stage_proof.zk.sumcheck.rounds.iter().enumerate() {
                for e in 0..round.evals.len() {
                    let mut p = run.proof.clone();
                    get(&mut p, &|m| m.zk.sumcheck.rounds[j].evals[e] += one);
                    tampered.push(p);
                }
            }
            for i in 0..stage_proof.values.len() {
                let mut p = run.proof.clone();
                get(&mut p, &|m| m.values[i] += one);
                tampered.push(p);
            }
        }
        for (k, p) in tampered.iter().enumerate() {
            assert!(verify_conv(&run, p).is_err(), "tampered value {k}");
        }
        // Counts.
        let mut p = run.proof.clone();
        p.stage1.values.pop();
        assert!(matches!(
            verify_conv(&run, &p),
            Err(Rejected::Step(LayerError::Sumcheck {
                step: "conv stage 1 (zero knowledge)",
                source: SumcheckError::MaskedValues {
                    expected: 6,
                    got: 5
                }
            }))
        ));
        let mut p = run.proof.clone();
        p.stage2.values.push(one);
        assert!(matches!(
            verify_conv(&run, &p),
            Err(Rejected::Step(LayerError::Sumcheck {
                step: "conv stage 2 (zero knowledge)",
                source: SumcheckError::MaskedValues {
                    expected: 1,
                    got: 2
                }
            }))
        ));
        let mut p = run.proof.clone();
        p.stage2.zk.sumcheck.rounds.pop();
        assert!(matches!(
            verify_conv(&run, &p),
            Err(Rejected::Step(LayerError::Sumcheck {
                step: "conv stage 2 (zero knowledge)",
                ..
            }))
        ));
        let short = Run {
            r: run.r[1..].to_vec(),
            proof: run.proof.clone(),
            opening: run.opening.clone(),
            commitment: run.commitment.clone(),
            layout: run.layout.clone(),
            rest: run.rest.clone(),
            kernel: run.kernel.clone(),
            x: run.x.clone(),
            shape: run.shape.clone(),
            input_public: false,
        };
        assert!(matches!(
            verify_conv(&short, &run.proof),
            Err(Rejected::Step(LayerError::Count { .. }))
        ));
    }

    /// A random masked sum-check proof of up to `rounds` rounds, values and evaluations.
    fn garbage(rng: &mut StdRng, rounds: usize) -> MaskedProof<GoldilocksExt2> {
        use crate::sumcheck::{Proof, RoundMessage};
        use ark_ff::UniformRand;
        let mut e = || GoldilocksExt2::rand(rng);
        let evals = (0..rounds).map(|i| i % 5).collect::<Vec<_>>();
        MaskedProof {
            zk: crate::sumcheck::zk::ZkProof {
                mask_sum: e(),
                sumcheck: Proof {
                    rounds: evals
                        .iter()
                        .map(|&k| RoundMessage {
                            evals: (0..k).map(|_| e()).collect(),
                        })
                        .collect(),
                },
            },
            values: (0..rounds % 8).map(|_| e()).collect(),
        }
    }

    /// The verifiers never panic: random proofs of every size are rejected with an error.
    #[test]
    fn the_zero_knowledge_verifiers_never_panic() {
        use ark_ff::UniformRand;
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(11);
        let (bias_w, out_w, lhs) = weights::<E>();
        for (i, geometry) in CONVS.into_iter().enumerate() {
            let (shape, _, x, _) =
                conv_case(&mut rng, geometry.0, geometry.1, geometry.2, geometry.3);
            let x = to_f::<F>(&x);
            for rounds in 0..12 {
                let r: Vec<E> = (0..shape.output.num_vars() + rounds % 2)
                    .map(|_| E::rand(&mut rng))
                    .collect();
                let proof = ZkConvProof {
                    stage1: garbage(&mut rng, rounds + i),
                    stage2: garbage(&mut rng, rounds),
                };
                for input in [None, Some(&x[..])] {
                    let got = verify_zk::<F, E>(
                        &shape,
                        &bias_w,
                        &out_w,
                        input,
                        &r,
                        lhs,
                        &proof,
                        &mut Transcript::new(b"t"),
                    );
                    assert!(got.is_err());
                    let got = verify_window_sum_zk::<F, E>(
                        &shape,
                        &out_w,
                        input,
                        &r,
                        lhs,
                        &proof.stage1,
                        &mut Transcript::new(b"t"),
                    );
                    assert!(got.is_err());
                }
            }
        }
    }

    /// A proven window sum, as the verifier receives it.
    struct WindowRun<F: Field, E: Field> {
        shape: ConvShape,
        commitment: ZkCommitment,
        layout: Layout,
        x: Vec<F>,
        input_public: bool,
        r: Vec<E>,
        proof: MaskedProof<E>,
        opening: DeferredOpening<F, E>,
    }

    /// Channels, input size, and window size, stride, padding.
    type Pool = (usize, (usize, usize), (usize, usize, usize));

    /// Average pooling over `c` channels: 2×2 windows of stride 2 on 4×4, 3×3 of stride 2 on
    /// 5×5 and 6×6 (padding 1).
    const POOLS: [Pool; 3] = [
        (2, (4, 4), (2, 2, 0)),
        (2, (5, 5), (3, 2, 0)),
        (3, (6, 6), (3, 2, 1)),
    ];

    /// An average pooling's shape.
    fn pool_shape((c, (h, w), (k, s, p)): Pool) -> ConvShape {
        let (oh, ow) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
        let win = |input, output| Window {
            k,
            stride: s,
            pad: p,
            input,
            output,
        };
        ConvShape {
            input: Dims::new(&[c, h, w]),
            output: Dims::new(&[c, oh, ow]),
            wy: win(h, oh),
            wx: win(w, ow),
            groups: 1,
        }
    }

    /// The window sums of a padded input, over the padded output.
    fn pool_acc(shape: &ConvShape, x: &[i64]) -> Vec<i64> {
        let (ih, iw) = (1usize << shape.input.vars[1], 1usize << shape.input.vars[2]);
        let (ph, pw) = (
            1usize << shape.output.vars[1],
            1usize << shape.output.vars[2],
        );
        let mut acc = vec![0i64; shape.output.len()];
        for ch in 0..shape.input.shape[0] {
            for (_, oy, iy) in shape.wy.triples() {
                for (_, ox, ix) in shape.wx.triples() {
                    acc[(ch * ph + oy) * pw + ox] += x[(ch * ih + iy) * iw + ix];
                }
            }
        }
        acc
    }

    fn prove_pool<F: BaseField + FftField, E: ExtField<F>>(
        seed: u64,
        (c, (h, w), (k, s, p)): Pool,
        input_public: bool,
        cheat: Cheat,
    ) -> WindowRun<F, E> {
        let mut rng = StdRng::seed_from_u64(seed);
        let shape = pool_shape((c, (h, w), (k, s, p)));
        let x: Vec<i64> = (0..c * h * w).map(|_| rng.gen_range(-20..20)).collect();
        let x = pad(&shape.input, &x);
        let acc = |x: &[i64]| pool_acc(&shape, x);
        let [mut y, n, rem] = requantize(&acc(&x));
        if cheat == Cheat::Relation {
            y[0] += 1;
        }
        let (_, out_w, lhs) = weights::<E>();
        let fresh: Vec<E> = (0..window_sum_zk_mask_len(&shape, input_public))
            .map(|_| E::rand(&mut rng))
            .collect();
        let mut masks = mask_entries::<F, E>(&fresh);
        let mask_vars = masks.len().next_power_of_two().trailing_zeros() as usize;
        masks.resize(1 << mask_vars, F::ZERO);
        let (nin, nout) = (shape.input.num_vars(), shape.output.num_vars());
        let packing = Packing::new(&[nin, nout, nout, nout, mask_vars]);
        let mut all: Vec<Vec<F>> = [&x, &y, &n, &rem].map(|t| to_f::<F>(t)).to_vec();
        all.push(masks);
        let (commitment, mut data) =
            pzk::commit(&params(), packing.pack(&all), packing.num_vars(), &mut rng).unwrap();
        let layout = Layout {
            packings: vec![packing.clone()],
            masks: Some((0, 4)),
        };
        let r: Vec<E> = (0..nout).map(|_| E::rand(&mut rng)).collect();
        let mut x2 = x.clone();
        if cheat == Cheat::Input {
            x2[1] += 1;
        }
        let [mut y2, n2, mut rem2] = requantize(&acc(&x2));
        if cheat == Cheat::Witness {
            y2[0] += 1;
            rem2[0] -= 1 << SHIFT;
        }
        if cheat == Cheat::Relation {
            y2 = y.clone();
        }
        let (xf, yf, nf, rf) = (
            to_f::<F>(&x2),
            to_f::<F>(&y2),
            to_f::<F>(&n2),
            to_f::<F>(&rem2),
        );
        let outputs: Vec<(E, &[F])> = vec![(out_w[0], &yf[..]), (out_w[1], &nf), (out_w[2], &rf)];
        let scalars = Segments {
            data: &data,
            packing: &packing,
            shape: None,
            kernel: Vec::new(),
            segment: vec![0, 1, 2, 3],
        };
        let mut tp = start(&commitment);
        let (proof, claims) = prove_window_sum_zk(
            &shape,
            &xf,
            input_public,
            &outputs,
            &r,
            lhs,
            &fresh,
            &scalars,
            &mut tp,
        );
        let public_x = to_f::<F>(&x);
        let expected = verify_window_sum_zk::<F, E>(
            &shape,
            &out_w,
            input_public.then_some(&public_x[..]),
            &r,
            lhs,
            &proof,
            &mut start(&commitment),
        )
        .expect("the sum-check's rounds are consistent");
        if cheat == Cheat::Relation {
            assert_ne!(expected, claims);
        } else {
            assert_eq!(expected, claims);
        }
        let placed: Vec<Placed<E>> = (0..4).map(|s| Placed::segment(0, s)).collect();
        let mut ledger = Ledger::new();
        ledger.defer(expected, &placed, 0).unwrap();
        let honest = ledger.open(
            &params(),
            &layout,
            &mut [(&commitment, &mut data.clone())],
            &mut rng,
            &mut tp.clone(),
        );
        assert_eq!(
            matches!(honest, Err(DischargeError::Unsatisfied { .. })),
            cheat != Cheat::None,
            "{cheat:?}: {honest:?}"
        );
        let opening = ledger
            .open_checked(
                &params(),
                &layout,
                &mut [(&commitment, &mut data)],
                &mut rng,
                &mut tp,
                false,
            )
            .unwrap();
        WindowRun {
            shape,
            commitment,
            layout,
            x: public_x,
            input_public,
            r,
            proof,
            opening,
        }
    }

    fn verify_pool<F: BaseField + FftField, E: ExtField<F>>(
        run: &WindowRun<F, E>,
        proof: &MaskedProof<E>,
    ) -> Result<(), Rejected> {
        let (_, out_w, lhs) = weights::<E>();
        let mut t = start(&run.commitment);
        let claims = verify_window_sum_zk::<F, E>(
            &run.shape,
            &out_w,
            run.input_public.then_some(&run.x[..]),
            &run.r,
            lhs,
            proof,
            &mut t,
        )
        .map_err(Rejected::Step)?;
        let placed: Vec<Placed<E>> = (0..4).map(|s| Placed::segment(0, s)).collect();
        let mut ledger = Ledger::new();
        ledger
            .defer(claims, &placed, 0)
            .map_err(Rejected::Opening)?;
        ledger
            .verify(
                &params(),
                &run.layout,
                &[&run.commitment],
                &run.opening,
                &mut t,
            )
            .map(|_| ())
            .map_err(Rejected::Opening)
    }

    #[test]
    fn the_zero_knowledge_window_sum_round_trips_on_both_fields() {
        for (i, pool) in POOLS.into_iter().enumerate() {
            let run = prove_pool::<Goldilocks, GoldilocksExt2>(i as u64, pool, false, Cheat::None);
            verify_pool(&run, &run.proof).unwrap();
            let run = prove_pool::<Bn254Fr, Bn254Fr>(i as u64, pool, false, Cheat::None);
            verify_pool(&run, &run.proof).unwrap();
        }
        let run = prove_pool::<Goldilocks, GoldilocksExt2>(7, POOLS[0], true, Cheat::None);
        assert_eq!(run.proof.values.len(), 3);
        verify_pool(&run, &run.proof).unwrap();
    }

    #[test]
    fn a_cheating_window_sum_prover_is_caught() {
        for cheat in [Cheat::Witness, Cheat::Input, Cheat::Relation] {
            for pool in POOLS {
                let run = prove_pool::<Goldilocks, GoldilocksExt2>(3, pool, false, cheat);
                let got = verify_pool(&run, &run.proof);
                assert!(
                    matches!(got, Err(Rejected::Opening(DischargeError::Opening(_)))),
                    "{cheat:?} {pool:?}: {got:?}"
                );
            }
            let run = prove_pool::<Bn254Fr, Bn254Fr>(4, POOLS[2], false, cheat);
            let got = verify_pool(&run, &run.proof);
            assert!(
                matches!(got, Err(Rejected::Opening(DischargeError::Opening(_)))),
                "{cheat:?} (BN254): {got:?}"
            );
        }
    }

    #[test]
    fn a_tampered_window_sum_proof_is_rejected() {
        let run = prove_pool::<Goldilocks, GoldilocksExt2>(5, POOLS[1], false, Cheat::None);
        let one = GoldilocksExt2::ONE;
        let mut tampered = Vec::new();
        let mut p = run.proof.clone();
        p.zk.mask_sum += one;
        tampered.push(p);
        for (j, round) in run.proof.zk.sumcheck.rounds.iter().enumerate() {
            for e in 0..round.evals.len() {
                let mut p = run.proof.clone();
                p.zk.sumcheck.rounds[j].evals[e] += one;
                tampered.push(p);
            }
        }
        for i in 0..run.proof.values.len() {
            let mut p = run.proof.clone();
            p.values[i] += one;
            tampered.push(p);
        }
        for (k, p) in tampered.iter().enumerate() {
            assert!(verify_pool(&run, p).is_err(), "tampered value {k}");
        }
        let mut p = run.proof.clone();
        p.values.pop();
        assert!(matches!(
            verify_pool(&run, &p),
            Err(Rejected::Step(LayerError::Sumcheck {
                step: "window sum (zero knowledge)",
                source: SumcheckError::MaskedValues {
                    expected: 4,
                    got: 3
                }
            }))
        ));
    }

    // The simulator's argument (`zk::explain`).

    use crate::zk::explain::{
        self, mask_sizes, table_stages, Knob, Proven, Randomness, Stage, Witnesses,
    };
    use crate::zk::ExplicitMasks;

    const LABEL: &[u8] = b"conv-zk-simulator";

    /// The convolution's committed masks as the prover reads them: the kernel matrices' masks
    /// `m_d` (randomness tables `0 .. k²`; table 0 at the stack point answers `Σ_d w_d·m_d(z)`),
    /// then `X`, the bias and `y, n`, the remainder (tables `k² ..`, the step's `1 ..`).
    struct StackedMasks<'a, E> {
        shape: &'a ConvShape,
        masks: ExplicitMasks<E>,
        k2: usize,
    }

    impl<E: Field + MulAcc> TableMasks<E> for StackedMasks<'_, E> {
        fn mask_at(&self, table: usize, point: &[E]) -> E {
            if table == 0 {
                let (z, w) = self.shape.unstack_kernel(point);
                (0..self.k2).map(|d| w[d] * self.masks.mask_at(d, z)).sum()
            } else {
                self.masks.mask_at(self.k2 + table - 1, point)
            }
        }
    }

    /// A convolution witness in the field: kernel matrices, then `X`, bias, `y`, `n`, remainder.
    fn conv_witness<F: Field>(
        shape: &ConvShape,
        kernel: &[Vec<i64>],
        x: &[i64],
        bias: &[i64],
    ) -> Vec<Vec<F>> {
        let [y, n, rem] = requantize(&conv_acc(shape, kernel, x, bias));
        let mut t: Vec<Vec<F>> = kernel.iter().map(|m| to_f(m)).collect();
        t.extend([x, bias, &y[..], &n, &rem].map(|v| to_f::<F>(v)));
        t
    }

    /// Zero knowledge of the convolution step as code (`zk::explain`, `check_explained`): two
    /// convolutions of one shape (different kernels, inputs — unless public — and biases, each
    /// requantized) at the same layer point give the identical proof, both stages, under solved
    /// randomness: stage 1's Libra mask, its masked values' scalars (the kernel matrices' masks,
    /// moved through `m_0`; `X_c`'s fresh scalar `c`; the bias's and outputs' masks), then stage
    /// 2's Libra mask and `X`'s mask. Then the spread over 64 runs.
    fn conv_witnesses<F: BaseField, E: ExtField<F>>(
        seed: u64,
        (g, chans, size, kernel_shape): Geometry,
        input_public: bool,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (shape, ka, xa, ba) = conv_case(&mut rng, g, chans, size, kernel_shape);
        let (_, kb, xb, bb) = conv_case(&mut rng, g, chans, size, kernel_shape);
        let xb = if input_public { xa.clone() } else { xb };
        let ta = conv_witness::<F>(&shape, &ka, &xa, &ba);
        let tb = conv_witness::<F>(&shape, &kb, &xb, &bb);
        let k2 = ka.len();
        let (bias_w, out_w, lhs) = weights::<E>();
        let r: Vec<E> = (0..shape.output.num_vars())
            .map(|_| E::rand(&mut rng))
            .collect();
        let lay = ConvMasks::of(&shape, input_public);
        let prover = |t: &Vec<Vec<F>>| {
            let (t, shape, r, bias_w, out_w) = (
                t.clone(),
                shape.clone(),
                r.clone(),
                bias_w.clone(),
                out_w.clone(),
            );
            move |rnd: &Randomness<E>| -> Proven<E> {
                let krefs: Vec<&[F]> = t[..k2].iter().map(Vec::as_slice).collect();
                let bias: Vec<(E, &[F])> = vec![(bias_w[0], &t[k2 + 1][..])];
                let outputs: Vec<(E, &[F])> =
                    (0..3).map(|k| (out_w[k], &t[k2 + 2 + k][..])).collect();
                let tables = ZkConvTables {
                    kernel: &krefs,
                    input: &t[k2],
                    input_public,
                    bias: &bias,
                    outputs: &outputs,
                };
                let masks = StackedMasks {
                    shape: &shape,
                    masks: rnd.masks(),
                    k2,
                };
                let (proof, claims) = prove_zk(
                    &shape,
                    &tables,
                    &r,
                    lhs,
                    &rnd.fresh,
                    &masks,
                    &mut Transcript::new(LABEL),
                );
                Proven {
                    proofs: vec![proof.stage1, proof.stage2],
                    claims: claims.deferred,
                    context: claims.kernel_weights,
                }
            }
        };
        let (pa, pb) = (prover(&ta), prover(&tb));
        // Table 0 is the kernel's combination at its point, with the context's weights.
        let value = |t: &Vec<Vec<F>>| {
            let t = t.clone();
            move |w: &[E], i: usize, z: &[E]| -> E {
                if i == 0 {
                    (0..k2)
                        .map(|d| w[d] * crate::poly::evaluate_base(&t[d], z))
                        .sum()
                } else {
                    crate::poly::evaluate_base(&t[k2 + i - 1], z)
                }
            }
        };
        let (va, vb) = (value(&ta), value(&tb));
        let mask = |rnd: &Randomness<E>, w: &[E], i: usize, z: &[E]| -> E {
            let m = rnd.masks();
            if i == 0 {
                (0..k2).map(|d| w[d] * m.mask_at(d, z)).sum()
            } else {
                m.mask_at(k2 + i - 1, z)
            }
        };
        let public_x = ta[k2].clone();
        let verify = |p: &[MaskedProof<E>]| {
            let claims = verify_zk::<F, E>(
                &shape,
                &bias_w,
                &out_w,
                input_public.then_some(&public_x[..]),
                &r,
                lhs,
                &ZkConvProof {
                    stage1: p[0].clone(),
                    stage2: p[1].clone(),
                },
                &mut Transcript::new(LABEL),
            )
            .unwrap();
            (claims.deferred, claims.kernel_weights)
        };
        let stages = |claims: &[Deferred<E>], w: &[E]| -> Vec<Stage<E>> {
            let (weight1, beta1) = explain::weight_and_beta(claims, 0);
            let (weight2, _) = explain::weight_and_beta(claims, lay.len1);
            let beta2 = claims
                .iter()
                .find_map(|c| match c {
                    Deferred::Masked { table: 1, beta, .. } => Some(*beta),
                    _ => None,
                })
                .unwrap_or(E::ONE);
            // The kernel's scalar Σ_d w_d·m_d(z) moves by Δ when m_0 moves by Δ/w_0.
            let w0_inv = w[0].inverse().expect("w_0 ≠ 0");
            let mut knobs1: Vec<Knob<E>> = vec![
                Box::new(move |r: &mut Randomness<E>, d: E| r.shift_table(0, d * w0_inv)),
                explain::fresh(lay.scalar()),
            ];
            knobs1.extend((k2 + 1..k2 + 5).map(explain::table));
            let knobs2: Vec<Knob<E>> = if input_public {
                Vec::new()
            } else {
                vec![explain::table(k2)]
            };
            vec![
                Stage {
                    offset: 0,
                    weight: weight1,
                    beta: beta1,
                    knobs: knobs1,
                },
                Stage {
                    offset: lay.len1,
                    weight: weight2,
                    beta: beta2,
                    knobs: knobs2,
                },
            ]
        };
        let w = Witnesses {
            prove: [&pa, &pb],
            value: [&va, &vb],
            mask: &mask,
            verify: &verify,
            stages: &stages,
        };
        let vars: Vec<usize> = ta
            .iter()
            .map(|t| t.len().trailing_zeros() as usize)
            .collect();
        let sizes = mask_sizes(&vars);
        let fresh = lay.len();
        explain::check_explained(&w, Randomness::random(&mut rng, fresh, &sizes));
        explain::check_spread(&w, &mut || Randomness::random(&mut rng, fresh, &sizes), 64);
    }

    #[test]
    fn the_zero_knowledge_conv_step_is_simulated_for_any_witness() {
        for (i, geometry) in CONVS.into_iter().enumerate() {
            conv_witnesses::<Goldilocks, GoldilocksExt2>(50 + i as u64, geometry, false);
        }
        conv_witnesses::<Bn254Fr, Bn254Fr>(56, CONVS[0], false);
        conv_witnesses::<Bn254Fr, Bn254Fr>(57, CONVS[3], false);
        // A public input, the same for both: the kernels and biases differ.
        conv_witnesses::<Goldilocks, GoldilocksExt2>(58, CONVS[1], true);
        conv_witnesses::<Bn254Fr, Bn254Fr>(59, CONVS[2], true);
    }

    /// Zero knowledge of the window sum as code: two inputs of one pooling shape with their
    /// requantized outputs give the identical proof under solved masks (`check_explained`);
    /// then the spread over 64 runs. (With a public input the outputs are determined by it:
    /// nothing is private, so only the committed input is tested.)
    fn window_witnesses<F: BaseField, E: ExtField<F>>(seed: u64, pool: Pool) {
        let mut rng = StdRng::seed_from_u64(seed);
        let shape = pool_shape(pool);
        let mut witness = || -> Vec<Vec<F>> {
            let (c, (h, w), _) = pool;
            let x: Vec<i64> = (0..c * h * w).map(|_| rng.gen_range(-20..20)).collect();
            let x = pad(&shape.input, &x);
            let [y, n, rem] = requantize(&pool_acc(&shape, &x));
            [&x, &y, &n, &rem].map(|t| to_f::<F>(t)).to_vec()
        };
        let (ta, tb) = (witness(), witness());
        let (_, out_w, lhs) = weights::<E>();
        let r: Vec<E> = (0..shape.output.num_vars())
            .map(|_| E::rand(&mut rng))
            .collect();
        let prover = |t: &Vec<Vec<F>>| {
            let (t, shape, r, out_w) = (t.clone(), shape.clone(), r.clone(), out_w.clone());
            move |rnd: &Randomness<E>| -> Proven<E> {
                let outputs: Vec<(E, &[F])> = (0..3).map(|k| (out_w[k], &t[1 + k][..])).collect();
                let (proof, claims) = prove_window_sum_zk(
                    &shape,
                    &t[0],
                    false,
                    &outputs,
                    &r,
                    lhs,
                    &rnd.fresh,
                    &rnd.masks(),
                    &mut Transcript::new(LABEL),
                );
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
            let claims = verify_window_sum_zk::<F, E>(
                &shape,
                &out_w,
                None,
                &r,
                lhs,
                &p[0],
                &mut Transcript::new(LABEL),
            )
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
        let fresh = window_sum_zk_mask_len(&shape, false);
        explain::check_explained(&w, Randomness::random(&mut rng, fresh, &sizes));
        explain::check_spread(&w, &mut || Randomness::random(&mut rng, fresh, &sizes), 64);
    }

    #[test]
    fn the_zero_knowledge_window_sum_is_simulated_for_any_witness() {
        for (i, pool) in POOLS.into_iter().enumerate() {
            window_witnesses::<Goldilocks, GoldilocksExt2>(60 + i as u64, pool);
            window_witnesses::<Bn254Fr, Bn254Fr>(63 + i as u64, pool);
        }
    }
}
