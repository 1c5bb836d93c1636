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

use super::{get, prove_product, verify_product, LayerError, ProductProof};
use crate::field::{lift, BaseField, ExtField, MulAcc};
use crate::poly::{eq_table, fold_base, fold_ext, Mle};
use crate::transcript::TranscriptExt;
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
#[allow(clippy::type_complexity)]
pub fn prove<F: BaseField, E: ExtField<F>>(
    shape: &Shape,
    xs: &[&[F]],
    r: &[E],
    transcript: &mut Transcript,
) -> (Vec<E>, Vec<ProductProof<E>>, Vec<(Vec<E>, E)>) {
    let (r_hw, r_c) = r.split_at(shape.hw_vars.min(r.len()));
    let er = eq_table(r_c);
    let folded: Vec<Vec<E>> = xs.iter().map(|x| fold_low(x, r_hw)).collect();
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
            claims.push((point, v));
            continue;
        }
        let (proof, rho) = prove_product(vec![Mle::Ext(s), Mle::Ext(x)], v, transcript);
        let xv = proof.values[1];
        proofs.push(proof);
        point.extend_from_slice(&rho);
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
    mut next: impl FnMut() -> Option<&'p ProductProof<E>>,
    transcript: &mut Transcript,
) -> Result<Vec<(Vec<E>, E)>, LayerError> {
    if sent.len() != shape.parts.len() || r.len() != shape.hw_vars + shape.out_vars {
        return Err(LayerError::Count {
            what: "concat values",
            expected: shape.parts.len(),
            got: sent.len(),
        });
    }
    transcript.append_fields(b"concat-values", sent);
    let (r_hw, r_c) = r.split_at(shape.hw_vars);
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
        claims.push((point, xv));
    }
    Ok(claims)
}
