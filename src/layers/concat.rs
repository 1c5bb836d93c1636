//! Channel concatenation: `out[o_k + c][y][x] = X_k[c][y][x]` for inputs `X_k` of shapes
//! `[c_k, h, w]` (one `h`, `w`), `o_k = Σ_{j<k} c_j` (spec/concat.md).
//!
//! The output is not committed: its multilinear extension is *defined* by the inputs'. In the
//! padded layout a point on the output is `(r_hw, r_c)` (the `h·w` coordinates first, then the
//! channel's), the inputs share `r_hw`'s layout, and for every point
//!
//! `õut(r_hw, r_c) = Σ_k Σ_{j < c_k} eq(r_c, o_k + j) · X̃_k(r_hw, j)`
//!
//! (both sides are multilinear and agree on the hypercube, padding included: a padded output
//! channel `≥ Σ c_k` is in no input's range). The channel counts need not be powers of two, so
//! an input's channels need not be a sub-cube of the output's: each input's term is reduced by
//! its own product sum-check over its channel variables `v_k = ⌈log2 c_k⌉`,
//! `s_k = Σ_{j ∈ {0,1}^{v_k}} S_k(j) · X̃_k(r_hw, j)` with `S_k(j) = eq(r_c, o_k + j)·[j < c_k]`,
//! which the verifier evaluates at the sum-check's point `ρ_k` in `O(c_k)`. An input of one
//! channel (`v_k = 0`) needs no sum-check: its value `X̃_k(r_hw)` is sent instead of `s_k` and
//! its term is `eq(r_c, o_k)·X̃_k(r_hw)`.
//!
//! A claim `õut(r) = val` thus becomes: the prover sends one value per input (`concat-values`),
//! the verifier checks that the terms add up to `val` (`Relation { "concat sum" }`), then one
//! sum-check per input of two or more channels, each ending in a claim `X̃_k(r_hw, ρ_k)` on the
//! input (and the public value `S̃_k(ρ_k)`, `PublicValue { "concat selector" }`).

use super::dense::MatTable;
use super::{get, prove_product, verify_product, Dims, LayerError, ProductProof};
use crate::field::{lift, BaseField, ExtField, MulAcc};
use crate::network::op::{MaskStep, NetworkOp, Requantized, WitnessStep, Witnessed};
use crate::network::plan::{PlanStep, Planned, Source, Step};
use crate::network::prover::Ctx as ProverCtx;
use crate::network::verifier::Ctx as VerifierCtx;
use crate::network::zk::{placed, ZkStepProver, ZkStepVerifier};
use crate::network::{NetworkError, VerifyError};
use crate::poly::{eq_table, fold_base, fold_ext, Mle};
use crate::sumcheck::zk::{Mask, MaskedProof};
use crate::transcript::TranscriptExt;
use crate::zk::{Deferred, TableMasks};
use ark_ff::Field;
use merlin::Transcript;

/// One input of a concatenation: its channels `c_k`, its channel variables `v_k` and its first
/// output channel `o_k`; `hw_vars` (the output's and every input's `h·w` variables) is the
/// [`Shape`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// Channels `c_k`.
    pub channels: usize,
    /// `⌈log2 c_k⌉`.
    pub vars: usize,
    /// First output channel `o_k`.
    pub offset: usize,
}

/// A concatenation's layout, from the architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The inputs, in order.
    pub parts: Vec<Part>,
    /// Variables of the height and width (the low ones of every point).
    pub hw_vars: usize,
    /// The output's channel variables.
    pub out_vars: usize,
}

impl Shape {
    /// The layout of the concatenation of inputs of `channels` channels each, over `hw_vars`
    /// height and width variables.
    pub fn new(channels: &[usize], hw_vars: usize) -> Self {
        let mut offset = 0usize;
        let parts = channels
            .iter()
            .map(|&c| {
                let p = Part {
                    channels: c,
                    vars: super::ceil_log2(c),
                    offset,
                };
                offset = offset.saturating_add(c);
                p
            })
            .collect();
        Shape {
            parts,
            hw_vars,
            out_vars: super::ceil_log2(offset),
        }
    }
}

/// `X̃_k(r_hw, ·)`: the input's padded table with its low `r_hw.len()` variables fixed.
fn fold_low<F: BaseField, E: ExtField<F>>(x: &[F], r_hw: &[E]) -> Vec<E> {
    match r_hw.split_first() {
        None => x.iter().map(|&v| lift(v)).collect(),
        Some((&r, rest)) => {
            let mut t = fold_base(x, r);
            for &r in rest {
                fold_ext(&mut t, r);
            }
            t
        }
    }
}

/// `t(j) = Σ_β eq(r_b, β)·t(j, β)`: a table's top `|r_b|` variables (a batch's) fixed at `r_b`.
fn fold_high<E: MulAcc + Field>(t: Vec<E>, r_b: &[E]) -> Vec<E> {
    if r_b.is_empty() {
        return t;
    }
    let eb = eq_table(r_b);
    let len = t.len() / eb.len();
    let mut out = vec![E::ZERO; len];
    for (chunk, &e) in t.chunks_exact(len).zip(&eb) {
        for (o, &v) in out.iter_mut().zip(chunk) {
            *o += e * v;
        }
    }
    out
}

/// `S_k(j) = eq(r_c, o_k + j)·[j < c_k]` over `j ∈ {0,1}^{v_k}`, from `eq(r_c, ·)`.
fn selector<E: Field>(part: &Part, er: &[E]) -> Vec<E> {
    (0..1usize << part.vars)
        .map(|j| {
            if j < part.channels {
                er.get(part.offset + j).copied().unwrap_or(E::ZERO)
            } else {
                E::ZERO
            }
        })
        .collect()
}

/// Proves `õut(r) = target` (the prover does not check it: a false target fails the verifier's
/// sum). `xs[k]` is input `k`'s padded table. Returns the values sent (one per input, also
/// absorbed as `concat-values`), the sum-check proofs (one per input of two or more channels)
/// and each input's claim `(point, value)`.
///
/// **Batches.** The coordinates of `r` beyond the output's (`hw_vars + out_vars`) are a
/// batch's `r_b` (the top variables of the output and of every input): each input's table is
/// also folded at `r_b` over its top variables, and every input claim ends with `r_b`. With
/// no batch coordinates the proof is unchanged.
#[allow(clippy::type_complexity)]
pub fn prove<F: BaseField, E: ExtField<F>>(
    shape: &Shape,
    xs: &[&[F]],
    r: &[E],
    transcript: &mut Transcript,
) -> (Vec<E>, Vec<ProductProof<E>>, Vec<(Vec<E>, E)>) {
    let (r_hw, rest) = r.split_at(shape.hw_vars.min(r.len()));
    let (r_c, r_b) = rest.split_at(shape.out_vars.min(rest.len()));
    let er = eq_table(r_c);
    let folded: Vec<Vec<E>> = xs
        .iter()
        .map(|x| fold_high(fold_low(x, r_hw), r_b))
        .collect();
    let sels: Vec<Vec<E>> = shape.parts.iter().map(|p| selector(p, &er)).collect();
    let sent: Vec<E> = shape
        .parts
        .iter()
        .zip(folded.iter().zip(&sels))
        .map(|(p, (x, s))| match p.vars {
            0 => x[0],
            _ => x.iter().zip(s).map(|(&a, &b)| a * b).sum(),
        })
        .collect();
    transcript.append_fields(b"concat-values", &sent);
    let mut proofs = Vec::new();
    let mut claims = Vec::with_capacity(shape.parts.len());
    for ((p, (x, s)), &v) in shape
        .parts
        .iter()
        .zip(folded.into_iter().zip(sels))
        .zip(&sent)
    {
        let mut point = r_hw.to_vec();
        if p.vars == 0 {
            point.extend_from_slice(r_b);
            claims.push((point, v));
            continue;
        }
        let (proof, rho) = prove_product(vec![Mle::Ext(s), Mle::Ext(x)], v, transcript);
        let xv = proof.values[1];
        proofs.push(proof);
        point.extend_from_slice(&rho);
        point.extend_from_slice(r_b);
        claims.push((point, xv));
    }
    (sent, proofs, claims)
}

/// Verifies a claim `õut(r) = target` from the values sent (`sent`, one per input) and the
/// sum-check proofs (`next()` gives the next one, one per input of two or more channels);
/// returns each input's claim `(point, value)`.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify<'p, E: MulAcc + Field>(
    shape: &Shape,
    r: &[E],
    target: E,
    sent: &[E],
    next: impl FnMut() -> Option<&'p ProductProof<E>>,
    transcript: &mut Transcript,
) -> Result<Vec<(Vec<E>, E)>, LayerError> {
    verify_batched(shape, 0, r, target, sent, next, transcript)
}

/// [`verify`] for a batch of `2^batch_vars` inputs: `r` has `batch_vars` more coordinates
/// (the last, `r_b`), and every input claim ends with `r_b` (see [`prove`]).
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_batched<'p, E: MulAcc + Field>(
    shape: &Shape,
    batch_vars: usize,
    r: &[E],
    target: E,
    sent: &[E],
    mut next: impl FnMut() -> Option<&'p ProductProof<E>>,
    transcript: &mut Transcript,
) -> Result<Vec<(Vec<E>, E)>, LayerError> {
    if sent.len() != shape.parts.len() || r.len() != shape.hw_vars + shape.out_vars + batch_vars {
        return Err(LayerError::Count {
            what: "concat values",
            expected: shape.parts.len(),
            got: sent.len(),
        });
    }
    transcript.append_fields(b"concat-values", sent);
    let (r_hw, rest) = r.split_at(shape.hw_vars);
    let (r_c, r_b) = rest.split_at(shape.out_vars);
    let er = eq_table(r_c);
    let total: E = shape
        .parts
        .iter()
        .zip(sent)
        .map(|(p, &v)| match p.vars {
            0 => er.get(p.offset).copied().unwrap_or(E::ZERO) * v,
            _ => v,
        })
        .sum();
    if total != target {
        return Err(LayerError::Relation { what: "concat sum" });
    }
    let mut claims = Vec::with_capacity(shape.parts.len());
    for (p, &v) in shape.parts.iter().zip(sent) {
        let mut point = r_hw.to_vec();
        if p.vars == 0 {
            point.extend_from_slice(r_b);
            claims.push((point, v));
            continue;
        }
        let proof = next().ok_or(LayerError::Count {
            what: "concat sum-checks",
            expected: 1,
            got: 0,
        })?;
        let (rho, values) = verify_product("concat", p.vars, 2, v, proof, transcript)?;
        let sel = get(&values, 0, "concat values", 2)?;
        let xv = get(&values, 1, "concat values", 2)?;
        let ep = eq_table(&rho);
        let expect: E = selector(p, &er).iter().zip(&ep).map(|(&a, &b)| a * b).sum();
        if sel != expect {
            return Err(LayerError::PublicValue {
                what: "concat selector",
            });
        }
        point.extend_from_slice(&rho);
        point.extend_from_slice(r_b);
        claims.push((point, xv));
    }
    Ok(claims)
}

/// Label of the zero-knowledge concatenation's point `r` on the output.
pub const ZK_POINT: &[u8] = b"zk-concat-point";
/// Label of the zero-knowledge concatenation's batching coefficients `γ_0, …, γ_m`.
pub const ZK_BATCH: &[u8] = b"zk-concat-batch";

/// The mask degree of the zero-knowledge concatenation: one private factor per term
/// (the public map times the copy; `eq` times each input), `1 + 1`.
fn zk_degree(shape: &Shape) -> usize {
    super::dense::matvec_mask_degree(true, false, shape.parts.len())
}

/// The number of fresh `E` mask entries [`prove_zk`] needs: its Libra mask over the output's
/// variables and `b`. The masked values' scalars are the committed tables' masks.
pub fn zk_mask_len(shape: &Shape) -> usize {
    1 + (shape.hw_vars + shape.out_vars + 1) * zk_degree(shape)
}

/// `Σ_{i < len} eq(a, i)·eq(b, i)`: the extension of the indicator of `[0, len)` on the
/// diagonal, at `(a, b)`.
fn diagonal<E: MulAcc + Field>(a: &[E], b: &[E], len: usize) -> E {
    let (ea, eb) = (eq_table(a), eq_table(b));
    ea.iter().zip(&eb).take(len).map(|(&x, &y)| x * y).sum()
}

/// The public map's extension at `(r, ρ)`, given `γ` (`m + 1` coefficients):
/// `T̃(ρ) = Σ_k γ_k·S̃_k((r_hw, r_c[..v_k]), ρ) + γ_m·Ĩ(r, ρ)` with `S_k` the selection of
/// input `k`'s real entries in the output and `I` the indicator of the output's padding
/// (`O(C + h + w)`).
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
fn map_at<E: MulAcc + Field>(shape: &Shape, output: &Dims, gamma: &[E], r: &[E], rho: &[E]) -> E {
    let (rs, ps) = (output.split(r), output.split(rho));
    let (Some(&[c, h, w]), [rc, ry, rx], [pc, py, px]) =
        (output.shape.get(..3), rs.as_slice(), ps.as_slice())
    else {
        return E::ZERO;
    };
    let hw = diagonal(ry, py, h) * diagonal(rx, px, w);
    let epc = eq_table(pc);
    let mut sel = E::ZERO;
    for (p, &g) in shape.parts.iter().zip(gamma) {
        let erk = eq_table(rc.get(..p.vars).unwrap_or(rc));
        let s: E = (0..p.channels)
            .map(|j| {
                erk.get(j).copied().unwrap_or(E::ZERO)
                    * epc.get(p.offset + j).copied().unwrap_or(E::ZERO)
            })
            .sum();
        sel += g * s;
    }
    let pad = gamma.get(shape.parts.len()).copied().unwrap_or(E::ZERO);
    hw * sel + pad * (crate::poly::eq_eval(r, rho) - hw * diagonal(rc, pc, c))
}

/// The public map `T(q)` over the output's padded positions (the prover's table of
/// [`map_at`]).
fn map_table<E: MulAcc + Field>(shape: &Shape, output: &Dims, gamma: &[E], r: &[E]) -> Vec<E> {
    let n = output.num_vars();
    let pad = gamma[shape.parts.len()];
    let mut t: Vec<E> = eq_table(r).into_iter().map(|e| pad * e).collect();
    let (c, h, w) = (output.shape[0], output.shape[1], output.shape[2]);
    let (vy, vx) = (output.vars[1], output.vars[2]);
    let hw = shape.hw_vars;
    let erh = eq_table(&r[..hw]);
    let mut owner = Vec::with_capacity(c);
    let mut erk = Vec::with_capacity(shape.parts.len());
    for (k, p) in shape.parts.iter().enumerate() {
        owner.extend((0..p.channels).map(|j| (k, j)));
        erk.push(eq_table(&r[hw..hw + p.vars]));
    }
    for (q, tq) in t.iter_mut().enumerate().take(1 << n) {
        let (ch, pos) = (q >> hw, q & ((1 << hw) - 1));
        let (y, x) = (pos >> vx, pos & ((1 << vx) - 1));
        debug_assert!(y < 1 << vy);
        if ch < c && y < h && x < w {
            let (k, j) = owner[ch];
            *tq = gamma[k] * erh[pos] * erk[k][j];
        }
    }
    t
}

/// The core's numbering (`1` = the copy, `2 + k` = input `k`, replicated over the output's
/// variables) as this step's (`0` = the copy, `1 + k` = input `k` at its own point).
struct Renumber<'a, T> {
    inner: &'a T,
    /// Each input's variables `hw_vars + v_k`.
    vars: &'a [usize],
    /// A batch's variables: the last `batch_vars` coordinates of every point are `r_b`.
    batch_vars: usize,
}

/// Input `k`'s point from the core's `(ρ, r_b)`: `(ρ[..hw_vars + v_k], r_b)`.
fn input_point<E: Clone>(point: &[E], v: usize, batch_vars: usize) -> Vec<E> {
    let (rho, r_b) = point.split_at(point.len().saturating_sub(batch_vars));
    [&rho[..v.min(rho.len())], r_b].concat()
}

impl<E: Clone, T: TableMasks<E>> TableMasks<E> for Renumber<'_, T> {
    fn mask_at(&self, table: usize, point: &[E]) -> E {
        match table.checked_sub(2) {
            None => self.inner.mask_at(0, point),
            Some(k) => {
                let v = self.vars.get(k).copied().unwrap_or(point.len());
                self.inner
                    .mask_at(1 + k, &input_point(point, v, self.batch_vars))
            }
        }
    }
}

/// The core's claims renumbered as this step's, each input's at its own point.
fn renumber<E: Clone>(
    claims: Vec<Deferred<E>>,
    vars: &[usize],
    batch_vars: usize,
) -> Vec<Deferred<E>> {
    claims
        .into_iter()
        .map(|c| match c {
            Deferred::Masked {
                table,
                mut point,
                beta,
                value,
            } => {
                let table = table.saturating_sub(1);
                if let Some(&v) = table.checked_sub(1).and_then(|k| vars.get(k)) {
                    point = input_point(&point, v, batch_vars);
                }
                Deferred::Masked {
                    table,
                    point,
                    beta,
                    value,
                }
            }
            other => other,
        })
        .collect()
}

/// Each input's variables `hw_vars + v_k`.
fn input_vars(shape: &Shape) -> Vec<usize> {
    shape.parts.iter().map(|p| shape.hw_vars + p.vars).collect()
}

/// The concatenation's relation in zero knowledge (`spec/zk.md`, "Concatenation, in
/// zero-knowledge mode"): the output is committed as a copy, and at a fresh point `r` on it
/// ([`ZK_POINT`]) with fresh `γ_0, …, γ_m` ([`ZK_BATCH`]) one masked sum-check proves
///
/// ```text
///     Σ_q T(q)·copy(q) − Σ_k γ_k·X̃_k(r_hw, r_c[..v_k]) = 0,
///     T(q) = Σ_k γ_k·S_k((r_hw, r_c[..v_k]), q) + γ_m·I(r, q)
/// ```
///
/// over the output's variables: [`super::dense::prove_zk`]'s matrix–vector step with the
/// public map `T` as its matrix, the copy as its input and the inputs (replicated over the
/// output's channel variables) as its output-side tables of weights `−γ_k`. `S_k` selects input
/// `k`'s real entries in the output (`S_k(p, q) = 1` iff `q = (p_hw, o_k + p_c)`, `p` real),
/// `I(r, q) = eq(r, q)·[q is padding]`: the relation says that the copy holds each input at
/// its channels and zeros on its padding. `inputs[k]` is input `k`'s padded table, `copy` the
/// committed output's (`output.len()` entries), all private and committed, numbered `0` (the
/// copy) and `1 + k`; `scalars.mask_at(0, ρ)` and `mask_at(1 + k, ρ[..hw_vars + v_k])` their
/// masks at their claims' points. `fresh` is the Libra mask ([`zk_mask_len`] entries). Returns
/// the proof and the claims — `Masked` on the copy at `ρ`, on each input at `ρ[..hw_vars + v_k]`,
/// then the mask's form on `fresh` — [`verify_zk`]'s list.
///
/// **Batches** (`spec/batch.md`, "Zero knowledge"): with `batch_vars = b > 0` every table holds
/// `2^b` inputs' (the batch index over its top variables; `output` stays one input's layout),
/// the fresh point has `b` more coordinates `r_b`, and the copy and the inputs are folded at
/// `r_b` (`t'(x) = Σ_β eq(r_b, β)·t(x, β)`): the relation above on the folded tables, the same
/// sum-check and mask, every claim and mask read at its point followed by `r_b`. With `b = 0`
/// the proof is one input's.
///
/// Refuses (`LayerError::Count`) tables or fresh masks of the wrong length, or an output that
/// is not `[Σ c_k, h, w]` of the shape's variables.
#[allow(clippy::too_many_arguments)]
pub fn prove_zk<F: BaseField, E: ExtField<F>>(
    shape: &Shape,
    output: &Dims,
    batch_vars: usize,
    inputs: &[&[F]],
    copy: &[F],
    fresh: &[E],
    scalars: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<(MaskedProof<E>, Vec<Deferred<E>>), LayerError> {
    let count = |what, expected: usize, got: usize| {
        (expected != got)
            .then_some(LayerError::Count {
                what,
                expected,
                got,
            })
            .map_or(Ok(()), Err)
    };
    check_output(shape, output)?;
    let n = output.num_vars();
    let vars = input_vars(shape);
    count(
        "concat (zero knowledge) inputs",
        shape.parts.len(),
        inputs.len(),
    )?;
    for (x, &v) in inputs.iter().zip(&vars) {
        count(
            "concat (zero knowledge) input",
            1 << (v + batch_vars),
            x.len(),
        )?;
    }
    count(
        "concat (zero knowledge) copy",
        1 << (n + batch_vars),
        copy.len(),
    )?;
    count(
        "concat (zero knowledge) fresh masks",
        zk_mask_len(shape),
        fresh.len(),
    )?;
    let mask = Mask::from_entries(n + 1, fresh).ok_or(LayerError::Count {
        what: "concat (zero knowledge) fresh masks",
        expected: zk_mask_len(shape),
        got: fresh.len(),
    })?;
    let point: Vec<E> = transcript.challenge_fields(ZK_POINT, n + batch_vars);
    let (r, r_b) = point.split_at(n);
    let gamma: Vec<E> = transcript.challenge_fields(ZK_BATCH, shape.parts.len() + 1);
    // A batch's tables folded at `r_b`; one input's as they are.
    let outputs: Vec<(E, MatTable<'_, F, E>)> = gamma
        .iter()
        .zip(inputs)
        .map(|(&g, x)| (-g, MatTable::at_batch(x, r_b)))
        .collect();
    let (proof, claims) = super::dense::prove_matvec_folded(
        super::dense::MatVecFolded {
            matrix: map_table(shape, output, &gamma, r),
            matrix_public: true,
            x: MatTable::at_batch(copy, r_b),
            input_public: false,
        },
        &outputs,
        r,
        r_b,
        E::ZERO,
        &mask,
        &Renumber {
            inner: scalars,
            vars: &vars,
            batch_vars,
        },
        transcript,
    );
    Ok((proof, renumber(claims, &vars, batch_vars)))
}

/// The output's layout is the shape's: `[Σ c_k, h, w]` over `out_vars` channel and `hw_vars`
/// height and width variables, at least one input.
fn check_output(shape: &Shape, output: &Dims) -> Result<(), LayerError> {
    let channels: usize = shape.parts.iter().map(|p| p.channels).sum();
    let fits = output.shape.len() == 3
        && !shape.parts.is_empty()
        && output.shape.first() == Some(&channels)
        && output.vars.first() == Some(&shape.out_vars)
        && output.num_vars() == shape.hw_vars + shape.out_vars;
    if fits {
        Ok(())
    } else {
        Err(LayerError::Count {
            what: "concat (zero knowledge) output channels",
            expected: channels,
            got: output.shape.first().copied().unwrap_or(0),
        })
    }
}

/// Verifies [`prove_zk`] (a batch's of `2^batch_vars` inputs when `batch_vars > 0`); returns
/// the claims for the proof's opening (numbered as there), the prover's list for an honest
/// proof.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_zk<F: BaseField, E: ExtField<F>>(
    shape: &Shape,
    output: &Dims,
    batch_vars: usize,
    proof: &MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, LayerError> {
    check_output(shape, output)?;
    let n = output.num_vars();
    let point: Vec<E> = transcript.challenge_fields(ZK_POINT, n + batch_vars);
    let (r, r_b) = point.split_at(n.min(point.len()));
    let gamma: Vec<E> = transcript.challenge_fields(ZK_BATCH, shape.parts.len() + 1);
    let matrix = |rho: &[E]| map_at(shape, output, &gamma, r, rho);
    let weights: Vec<E> = gamma.iter().take(shape.parts.len()).map(|&g| -g).collect();
    let folded = batch_vars > 0;
    let claims = super::dense::verify_matvec_folded::<F, E>(
        super::dense::MatVecNames {
            step: "concat (zero knowledge)",
            point: "concat (zero knowledge) point",
            input: "concat (zero knowledge) public input",
        },
        n,
        &weights,
        Some(&matrix),
        None,
        r,
        &super::dense::Folds {
            r_b,
            input: folded,
            outputs: vec![folded; weights.len()],
        },
        E::ZERO,
        zk_degree(shape),
        proof,
        transcript,
    )?;
    Ok(renumber(claims, &input_vars(shape), batch_vars))
}

#[cfg(test)]
mod zk_tests {
    //! The zero-knowledge concatenation, discharged by one opening of a hiding commitment that
    //! holds the inputs, the committed copy of the output and the step's Libra mask.
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::pcs::basefold::Params;
    use crate::pcs::packing::Packing;
    use crate::pcs::zk::{self as pzk, ZkProverData};
    use crate::sumcheck::SumcheckError;
    use crate::zk::{mask_entries, DischargeError, Layout, Ledger, Placed};
    use ark_ff::{AdditiveGroup, FftField};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn params() -> Params {
        Params {
            rate_bits: 2,
            fold_bits: 2,
            queries: 8,
            pow_bits: 0,
        }
    }

    /// The committed tables' masks: table `0` (the copy) is segment `m`, table `1 + k` segment
    /// `k`.
    struct Segments<'a, F> {
        data: &'a ZkProverData<F>,
        packing: &'a Packing,
        m: usize,
    }

    impl<F: BaseField, E: ExtField<F>> TableMasks<E> for Segments<'_, F> {
        fn mask_at(&self, table: usize, point: &[E]) -> E {
            let seg = table.checked_sub(1).unwrap_or(self.m);
            let z = self.packing.point(seg, point);
            self.data.mask_at(0, &z).expect("one committed table")
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Cheat {
        None,
        /// A committed copy that differs from the inputs in one real entry, proven as it is.
        Copy,
        /// A committed copy with a nonzero entry on a padded channel, proven as it is.
        Padding,
        /// A committed copy with a nonzero entry on a padded row, proven as it is.
        Row,
        /// A masked value changed in the proof.
        Value,
        /// A masked value dropped from the proof.
        Count,
    }

    #[derive(Debug, PartialEq, Eq)]
    enum Failure {
        Layer(LayerError),
        Discharge(DischargeError),
    }

    /// Random inputs of `channels` channels each over `h × w`, and their concatenation: the
    /// padded tables `[copy, x_0, …]`.
    fn tables<F: Field>(rng: &mut StdRng, channels: &[usize], h: usize, w: usize) -> Vec<Vec<F>> {
        let total: usize = channels.iter().sum();
        let out = Dims::new(&[total, h, w]);
        let mut copy = vec![F::ZERO; out.len()];
        let mut xs = Vec::new();
        let mut offset = 0;
        for &c in channels {
            let d = Dims::new(&[c, h, w]);
            let mut x = vec![F::ZERO; d.len()];
            for j in 0..c {
                for y in 0..h {
                    for i in 0..w {
                        let v = F::from(rng.gen_range(0..100u64)) - F::from(50u64);
                        x[d.index(&[j, y, i])] = v;
                        copy[out.index(&[offset + j, y, i])] = v;
                    }
                }
            }
            offset += c;
            xs.push(x);
        }
        let mut all = vec![copy];
        all.extend(xs);
        all
    }

    fn shape_of(channels: &[usize], h: usize, w: usize) -> (Shape, Dims) {
        let out = Dims::new(&[channels.iter().sum(), h, w]);
        let hw = out.vars[1] + out.vars[2];
        (Shape::new(channels, hw), out)
    }

    fn run<F: BaseField + FftField, E: ExtField<F>>(
        seed: u64,
        (channels, h, w): (&[usize], usize, usize),
        cheat: Cheat,
    ) -> Result<(), Failure> {
        let mut rng = StdRng::seed_from_u64(seed);
        let (shape, out) = shape_of(channels, h, w);
        let m = channels.len();
        let t = tables::<F>(&mut rng, channels, h, w);
        let mut committed = t[0].clone();
        let total: usize = channels.iter().sum();
        match cheat {
            Cheat::Copy => committed[out.index(&[total - 1, h - 1, 0])] += F::ONE,
            Cheat::Padding => committed[out.index(&[total, 0, 0])] += F::ONE,
            Cheat::Row => committed[out.index(&[0, h, 0])] += F::ONE,
            _ => {}
        }
        let copy = committed.clone();
        let fresh: Vec<E> = (0..zk_mask_len(&shape))
            .map(|_| E::rand(&mut rng))
            .collect();
        let mut masks = mask_entries::<F, E>(&fresh);
        let mask_vars = (masks.len().next_power_of_two().trailing_zeros() as usize).max(7);
        masks.resize(1 << mask_vars, F::ZERO);
        let mut vars: Vec<usize> = t[1..]
            .iter()
            .map(|x| x.len().trailing_zeros() as usize)
            .collect();
        vars.extend([out.num_vars(), mask_vars]);
        let packing = Packing::new(&vars);
        let mut segs: Vec<Vec<F>> = t[1..].to_vec();
        segs.extend([committed, masks]);
        let (commitment, mut data) =
            pzk::commit(&params(), packing.pack(&segs), packing.num_vars(), &mut rng).unwrap();
        let layout = Layout {
            packings: vec![packing.clone()],
            masks: Some((0, m + 1)),
        };
        let mut placed: Vec<Placed<E>> = vec![Placed::segment(0, m)];
        placed.extend((0..m).map(|k| Placed::segment(0, k)));
        let start = || {
            let mut t = Transcript::new(b"concat-zk");
            t.append_message(b"root", &commitment.inner.root);
            t
        };

        // The prover.
        let scalars = Segments {
            data: &data,
            packing: &packing,
            m,
        };
        let xs: Vec<&[F]> = t[1..].iter().map(Vec::as_slice).collect();
        let mut tp = start();
        let (mut proof, deferred) =
            prove_zk(&shape, &out, 0, &xs, &copy, &fresh, &scalars, &mut tp).unwrap();
        let expected = verify_zk::<F, E>(&shape, &out, 0, &proof, &mut start()).unwrap();
        if matches!(cheat, Cheat::Copy | Cheat::Padding | Cheat::Row) {
            assert_ne!(expected, deferred, "a false sum shows in the mask's form");
        } else {
            assert_eq!(expected, deferred, "the prover's claims are the verifier's");
        }
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
                (Cheat::Copy | Cheat::Padding | Cheat::Row, DischargeError::Unsatisfied { .. }) => {
                    ledger.open_checked(
                        &params(),
                        &layout,
                        &mut [(&commitment, &mut data)],
                        &mut rng,
                        &mut tp,
                        false,
                    )
                }
                (_, e) => Err(e),
            })
            .unwrap();
        match cheat {
            Cheat::Value => proof.values[1] += E::ONE,
            Cheat::Count => {
                proof.values.pop();
            }
            _ => {}
        }

        // The verifier.
        let mut tv = start();
        let claims = verify_zk::<F, E>(&shape, &out, 0, &proof, &mut tv).map_err(Failure::Layer)?;
        let mut ledger = Ledger::new();
        ledger
            .defer(claims, &placed, 0)
            .map_err(Failure::Discharge)?;
        ledger
            .verify(&params(), &layout, &[&commitment], &opening, &mut tv)
            .map(|_| ())
            .map_err(Failure::Discharge)
    }

    /// Channel counts with and without powers of two, one-channel inputs, an input twice the
    /// size of the others; sides with and without padding.
    const SHAPES: [(&[usize], usize, usize); 4] = [
        (&[2, 2], 2, 2),
        (&[3, 5], 3, 2),
        (&[1, 4, 3], 2, 3),
        (&[6, 5, 16], 3, 3),
    ];

    #[test]
    fn the_zero_knowledge_concat_round_trips_on_both_fields() {
        for shape in SHAPES {
            assert_eq!(
                run::<Goldilocks, GoldilocksExt2>(1, shape, Cheat::None),
                Ok(()),
                "{shape:?}"
            );
            assert_eq!(
                run::<Bn254Fr, Bn254Fr>(2, shape, Cheat::None),
                Ok(()),
                "{shape:?}"
            );
        }
    }

    #[test]
    fn a_cheating_concat_prover_is_caught() {
        // `SHAPES[1]` has a padded row, `SHAPES[3]` a padded row and padded channels.
        for (shape, cheats) in [
            (SHAPES[1], &[Cheat::Copy, Cheat::Row, Cheat::Value][..]),
            (
                SHAPES[3],
                &[Cheat::Copy, Cheat::Padding, Cheat::Row, Cheat::Value],
            ),
        ] {
            for &cheat in cheats {
                let got = run::<Goldilocks, GoldilocksExt2>(3, shape, cheat);
                assert!(
                    matches!(got, Err(Failure::Discharge(DischargeError::Opening(_)))),
                    "{shape:?} {cheat:?}: {got:?}"
                );
            }
        }
        assert!(matches!(
            run::<Bn254Fr, Bn254Fr>(4, SHAPES[1], Cheat::Copy),
            Err(Failure::Discharge(DischargeError::Opening(_)))
        ));
        assert_eq!(
            run::<Goldilocks, GoldilocksExt2>(5, SHAPES[1], Cheat::Count),
            Err(Failure::Layer(LayerError::Sumcheck {
                step: "concat (zero knowledge)",
                source: SumcheckError::MaskedValues {
                    expected: 3,
                    got: 2
                }
            }))
        );
    }

    #[test]
    fn the_prover_refuses_wrong_shapes() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let (shape, out) = shape_of(&[3, 5], 3, 2);
        let (x0, x1, copy) = (vec![F::ZERO; 32], vec![F::ZERO; 64], vec![F::ZERO; 64]);
        let fresh = vec![E::ZERO; zk_mask_len(&shape)];
        assert_eq!(fresh.len(), 1 + 7 * 2);
        let scalars = crate::zk::ExplicitMasks::<E>(vec![vec![E::ZERO; 64]; 3]);
        let mut t = Transcript::new(b"t");
        let refused = |xs: &[&[F]], copy: &[F], fresh: &[E], out: &Dims, t: &mut Transcript| {
            prove_zk(&shape, out, 0, xs, copy, fresh, &scalars, t).map(|_| ())
        };
        assert_eq!(
            refused(&[&x0, &x1], &copy[..32], &fresh, &out, &mut t),
            Err(LayerError::Count {
                what: "concat (zero knowledge) copy",
                expected: 64,
                got: 32
            })
        );
        assert_eq!(
            refused(&[&x0, &x0], &copy, &fresh, &out, &mut t),
            Err(LayerError::Count {
                what: "concat (zero knowledge) input",
                expected: 64,
                got: 32
            })
        );
        assert_eq!(
            refused(&[&x0], &copy, &fresh, &out, &mut t),
            Err(LayerError::Count {
                what: "concat (zero knowledge) inputs",
                expected: 2,
                got: 1
            })
        );
        assert_eq!(
            refused(&[&x0, &x1], &copy, &fresh[1..], &out, &mut t),
            Err(LayerError::Count {
                what: "concat (zero knowledge) fresh masks",
                expected: 15,
                got: 14
            })
        );
        assert_eq!(
            refused(&[&x0, &x1], &copy, &fresh, &Dims::new(&[9, 3, 2]), &mut t),
            Err(LayerError::Count {
                what: "concat (zero knowledge) output channels",
                expected: 8,
                got: 9
            })
        );
        assert_eq!(refused(&[&x0, &x1], &copy, &fresh, &out, &mut t), Ok(()));
    }

    /// The public map's extension (the verifier's, `O(C + h + w)`) is the prover's table's.
    #[test]
    fn the_public_map_is_its_table_extension() {
        use ark_ff::UniformRand;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(9);
        for (channels, h, w) in SHAPES {
            let (shape, out) = shape_of(channels, h, w);
            let n = out.num_vars();
            let r: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
            let rho: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
            let gamma: Vec<E> = (0..=channels.len()).map(|_| E::rand(&mut rng)).collect();
            let table = map_table(&shape, &out, &gamma, &r);
            assert_eq!(
                Mle::<Goldilocks, GoldilocksExt2>::Ext(table).evaluate(&rho),
                map_at(&shape, &out, &gamma, &r, &rho),
                "{channels:?} {h}×{w}"
            );
        }
    }

    // The simulator's argument (`zk::explain`).

    use crate::zk::explain::{self, mask_sizes, table_stages, Proven, Randomness, Witnesses};

    const LABEL: &[u8] = b"concat-zk-simulator";

    /// Zero knowledge of the concatenation as code (`zk::explain`, `check_explained`): two
    /// witnesses of the same shape (inputs and their copy) give the identical proof under
    /// solved masks, the claims hold on each one's tables, solving back returns the first
    /// masks; unmasked, the proofs differ and the masked values are the tables' values. Then
    /// the spread over 64 runs.
    fn concat_witnesses<F: BaseField, E: ExtField<F>>(
        seed: u64,
        (channels, h, w): (&[usize], usize, usize),
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (shape, out) = shape_of(channels, h, w);
        let (ta, tb) = (
            tables::<F>(&mut rng, channels, h, w),
            tables::<F>(&mut rng, channels, h, w),
        );
        let fresh = zk_mask_len(&shape);
        let prover = |t: &Vec<Vec<F>>| {
            let (t, shape, out) = (t.clone(), shape.clone(), out.clone());
            move |rnd: &Randomness<E>| -> Proven<E> {
                let xs: Vec<&[F]> = t[1..].iter().map(Vec::as_slice).collect();
                let (proof, claims) = prove_zk(
                    &shape,
                    &out,
                    0,
                    &xs,
                    &t[0],
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
                verify_zk::<F, E>(&shape, &out, 0, &p[0], &mut Transcript::new(LABEL)).unwrap();
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
    fn the_zero_knowledge_concat_is_simulated_for_any_witness() {
        for shape in SHAPES {
            concat_witnesses::<Goldilocks, GoldilocksExt2>(30, shape);
            concat_witnesses::<Bn254Fr, Bn254Fr>(31, shape);
        }
    }
}

/// A channel concatenation of a network: each claim on the output becomes one claim per input
/// ([`prove`]). The output is derived, unless a max-pool reads it (or the proof is zero
/// knowledge): then it is committed as `copy`, and the one claim the step proves is the copy's
/// value at a fresh `layer-point` (the relation `copy = concat(inputs)`; in zero knowledge one
/// masked sum-check, [`prove_zk`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Concat {
    /// Geometry.
    pub shape: Shape,
    /// The advice segment holding the output, when it is committed.
    pub copy: Option<usize>,
}

impl NetworkOp for Concat {
    const KIND: &'static str = "layers: concat";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        let t = w.padded_output();
        if let Some(seg) = self.copy {
            w.set(seg, &t);
        }
        Witnessed::Output(t)
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        if m.plan.inputs[m.l].iter().any(|&t| m.public(t)) {
            return Err(m.unsupported("a concatenation of the public input"));
        }
        Ok(vec![zk_mask_len(&self.shape)])
    }

    fn prove<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ProverCtx<'_, F, E>,
        l: usize,
        _: Option<Requantized<'_, E>>,
    ) {
        let plan = cx.plan;
        // Every claim on the output, from each of its readers, in the order made; for a
        // committed copy, its value at a fresh point (its readers' claims are claims on the
        // copy, for the opening).
        let claims = match self.copy {
            None => std::mem::take(&mut cx.pending[l + 1]),
            Some(seg) => {
                let vars = plan.dims[l + 1].num_vars();
                let r: Vec<E> = cx.t.challenge_fields(b"layer-point", vars);
                let v = cx.eval_seg(seg, &r);
                vec![(r, v)]
            }
        };
        let reads = &plan.inputs[l];
        for (r, _) in claims {
            let xs: Vec<&[F]> = reads.iter().map(|&t| &*cx.tensors[t]).collect();
            let (sent, proofs, input_claims) = prove(&self.shape, &xs, &r, cx.t);
            cx.values.extend_from_slice(&sent);
            cx.products.extend(proofs);
            for (&t, (point, value)) in reads.iter().zip(input_claims) {
                cx.claim_tensor(t, &point, value);
            }
        }
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        _: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        let plan = cx.plan;
        // As the prover: every claim left on the output, or the copy's value at a fresh point.
        let claims = match self.copy {
            None => cx
                .pending
                .get_mut(l + 1)
                .map(std::mem::take)
                .unwrap_or_default(),
            Some(seg) => {
                let vars = plan.dims.get(l + 1).map_or(0, |d| d.num_vars());
                let r: Vec<E> = cx.t.challenge_fields(b"layer-point", vars);
                let v = cx.eval_seg(seg, &r)?;
                vec![(r, v)]
            }
        };
        let reads = plan.inputs.get(l).ok_or(VerifyError::AdviceShape)?;
        for (r, v) in claims {
            let sent = cx.read_values(self.shape.parts.len())?;
            let (next, t) = cx.products_and_transcript();
            let input_claims = verify_batched(&self.shape, plan.batch_vars, &r, v, sent, next, t)
                .map_err(|e| cx.err(e))?;
            for (&t, (point, value)) in reads.iter().zip(input_claims) {
                cx.claim_tensor(t, &point, value)?;
            }
        }
        Ok(())
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        let plan = &cx.zp.plan;
        let Some(Source::Committed(copy)) = plan.sources.get(cx.l + 1) else {
            unreachable!("a zero-knowledge plan commits a concatenation's output")
        };
        let mut tables = vec![placed(cx.zp.parts().1, copy)];
        for &x in &plan.inputs[cx.l] {
            tables.push(cx.zp.tensor::<E>(x)?.ok_or(NetworkError::Unsupported {
                layer: cx.l,
                what: "a concatenation of the public input".into(),
            })?);
        }
        let xs: Vec<&[F]> = plan.inputs[cx.l]
            .iter()
            .map(|&x| &cx.tensors[x][..])
            .collect();
        let (fresh, off) = cx.fresh(0);
        // A batch's output is one input's layout under the batch's variables.
        let (proof, deferred) = prove_zk(
            &self.shape,
            &plan.dims[cx.l + 1].unbatched(plan.batch_vars),
            plan.batch_vars,
            &xs,
            &cx.tensors[cx.l + 1],
            fresh,
            &cx.masks(&tables),
            cx.t,
        )
        .map_err(|e| cx.layer_err(e))?;
        cx.finish(proof, deferred, &tables, off)
    }

    fn verify_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepVerifier<'_, '_, F, E>,
    ) -> Result<(), VerifyError> {
        let plan = &cx.zp.plan;
        let Some(Source::Committed(copy)) = plan.sources.get(cx.l + 1) else {
            return Err(VerifyError::AdviceShape);
        };
        let mut tables = vec![placed(cx.zp.parts().1, copy)];
        for &x in plan.inputs.get(cx.l).map_or(&[][..], Vec::as_slice) {
            tables.push(
                cx.zp
                    .tensor::<E>(x)
                    .ok()
                    .flatten()
                    .ok_or(VerifyError::AdviceShape)?,
            );
        }
        let out = plan
            .dims
            .get(cx.l + 1)
            .ok_or(VerifyError::AdviceShape)?
            .unbatched(plan.batch_vars);
        let proof = cx.next()?;
        let claims = verify_zk::<F, E>(&self.shape, &out, plan.batch_vars, proof, cx.t)
            .map_err(|e| cx.layer_err(e))?;
        cx.finish(claims, &tables, 0)
    }
}

/// The plan of a channel concatenation: the channels' layout; a committed copy of the output when a max-pool reads it.
pub(crate) fn plan(cx: &mut PlanStep<'_>) -> Result<Planned, NetworkError> {
    let l = cx.l;
    let reads = cx.reads;
    let out_shape = cx.out_shape;
    let output = cx.padded(Dims::new(out_shape));
    let mut channels = Vec::with_capacity(reads.len());
    for &t in reads {
        let d = &cx.p.dims[t];
        // Validated: 3-D inputs of the output's height and width.
        if d.vars.get(1..) != output.vars.get(1..) {
            return Err(
                cx.unsupported("a concatenation of tensors of different padded layouts".into())
            );
        }
        channels.push(d.shape[0]);
    }
    let hw_vars = output.vars[1] + output.vars[2];
    let shape = Shape::new(&channels, hw_vars);
    Ok(if cx.pooled[l + 1] {
        let copy = cx.p.advice_seg(output.num_vars());
        let src = Source::Committed(vec![(copy, 1)]);
        let copy = Some(copy);
        (Step::Concat(Concat { shape, copy }), output, src)
    } else {
        let step = Step::Concat(Concat { shape, copy: None });
        (step, output, Source::Derived)
    })
}
