//! The hiding logUp-GKR range check (`spec/zk.md`, "Range check (logUp-GKR), hiding").
//!
//! **Statement**: the same as [`super::prove`] / [`super::verify`] — columns `c_0, …, c_{k−1}`
//! over `F` (`2^{n_i}` entries each) with every entry in `[0, 2^bits)`, multiplicities `m`
//! committed by the caller — but the proof sends no value of the columns, of `m`, or of any
//! fraction-tree layer in the clear: no root, no layer value, no column value.
//!
//! **Construction.** The two fraction trees of [`super`] (columns: leaves `(1, α − c(x))` over
//! the packed columns; table: leaves `(m'(t), α − t)`) are joined by one top node whose
//! numerator `P_c·Q_t − P_t·Q_c` must be 0 (public); no denominator is ever sent. Every step is
//! a masked zero-knowledge sum-check ([`crate::sumcheck::zk::prove_masked_with`]) over the
//! step's variables and the extra variable `b`, with its own Libra mask `g` of degree 3:
//!
//! 1. **join**: `0 = Σ_b (1 − b)·(P̂_c·Q̂_t − P̂_t·Q̂_c)(b)` (no other variable); the four roots
//!    are sent masked by fresh scalars.
//! 2. **each tree, layer `d = 0 … n − 1`** (the root is layer 0, the leaves layer `n`): the
//!    claim `(p̃_d(r), q̃_d(r))` is known to the verifier as `(A_p − ℓ_p(s), A_q − ℓ_q(s))` with
//!    public `A` and linear forms `ℓ` on fresh masks `s` (a *hidden left-hand side*). With `λ`
//!    drawn, the prover shows
//!
//!    ```text
//!    A_p + λ·A_q = Σ_{x ∈ {0,1}^d} eq(r, x)·[p0·q1 + p1·q0 + λ·q0·q1 + ℓ(s)](x),   ℓ = ℓ_p + λ·ℓ_q
//!    ```
//!
//!    (the halves `p_b(x) = p_{d+1}(x, b)`, `q_b` as in [`super`]; `Σ_x eq(r, x) = 1` carries
//!    the constant), with the halves sent masked: `v = t̃(r') + β·c` (fresh scalars `c`) at the
//!    sum-check's point `(r', β)`. The verifier's last-round value must equal
//!    `(1 − β)·eq(r, r')·[F(v) + ℓ(s)] + ρ·g(r', β)`; it computes `F(v)` and defers
//!    `ρ·g(r', β) + (1 − β)·eq(r, r')·ℓ(s) = value − (1 − β)·eq(r, r')·F(v)` as a
//!    [`Deferred::Masks`] claim. It draws `μ`; the next claim at `(μ, r')` is the halves' lines,
//!    `(1 − μ)·v_0 + μ·v_1` minus `β·((1 − μ)·c_0 + μ·c_1)`.
//! 3. **the leaves.** The last layer's private halves are the committed tables themselves: the
//!    packed columns `c(x, b)` (its table of halves stays in `F`) and the multiplicities'
//!    `m'(x, b)`. Their scalars are `σ_b = M(b, r') + u_b`, `M` the packed commitment masks
//!    (`M(y) = Σ_i eq(o_i/2^{n_i}, y[n_i..])·m_i(y[..n_i])`, multilinear, from
//!    [`TableMasks::mask_at`]) and `u_b` fresh, so after `μ` the line through the masked halves is
//!    `ĉ(z, β) + β·((1 − μ)u_0 + μ·u_1)` at `z = (μ, r')`, `ĉ(z, β) = Σ_i eq(o_i/2^{n_i},
//!    z[n_i..])·ĉ_i(z[..n_i], β)`. The prover sends `w_i = ĉ_i(z[..n_i], β)` per column
//!    ([`Deferred::Masked`] on table `i`) and `w_m = m̂(z, β)` (table `k`), and the verifier defers
//!    the fresh-mask remainder as a [`Deferred::Masks`] claim.
//!
//! **Fresh masks** ([`mask_slots`], [`mask_len`]): one slot per step — join, the columns tree's
//! layers `0 … n − 1`, the table tree's layers `0 … bits − 1` — each holding the step's Libra mask
//! (`1 + 3·(d + 1)` entries, [`Mask::entries`] order) followed by its scalars (4 for the join
//! and internal layers: `p0, p1, q0, q1` — for the join `P_c, P_t, Q_c, Q_t`; 2 for a leaf
//! layer: `u_0, u_1`).
//!
//! **Prover.** The trees are the transparent ones ([`super`]); each layer over `d ≥ 1`
//! variables runs its rounds over `x` with the specialized layer prover (`layer::prove_rounds`
//! with a `ZkHook`: `ℓ` added to the summand, `ρ` times the mask's part to each message) and
//! the round over `b` with [`crate::sumcheck::zk`]'s `masked_finish`; the join and the roots'
//! steps (one entry each) use [`prove_masked_with`]. The messages are the generic prover's.
//!
//! **Returned claims** (prover and verifier alike, in this order): the join's
//! [`Deferred::Masks`], the columns tree's per layer, its leaves', the table tree's per layer,
//! its leaves', then [`Deferred::Masked`] per column (tables `0 … k − 1`, caller's order) and
//! for the multiplicities (table `k`). The range statement holds (up to the soundness error of
//! `spec/zk.md`) only if the caller proves them all. Each committed table is read at one point
//! per proof; the columns' points are prefixes of one point `z` with one `β`, so columns that
//! share a commitment mask (segments of one committed table, masked over the same low
//! variables) must not be given as separate tables here: their masked values would differ by
//! the tables' values alone.

use super::layer::{self, Child, Padded, ZkHook};
#[cfg(test)]
use super::prover::leaves;
use super::prover::{build_layers, check_witness, leaves_with, root, Leaves};
use super::{bits_eq, table_value, Layout, ProofPart, RangeError, Tree, ZkStep};
use crate::field::{BaseField, ExtField};
use crate::poly::evaluate_split as evaluate;
use crate::poly::{eq_table, Mle};
use crate::sumcheck::zk::{
    mask_terms, masked_finish, masked_start, prove_masked_with, verify_masked, Mask, MaskedClaim,
    MaskedProof, MaskedProverOutput, MaskedRounds,
};
use crate::sumcheck::{Instance, Term};
use crate::transcript::TranscriptExt;
use crate::zk::{Deferred, TableMasks};
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

/// The degree of every step's sum-check and mask (`1 +` two private factors in a term).
pub const DEGREE: usize = 3;

/// A hiding range-check proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkRangeProof<E: Field> {
    /// The join: one round over `b`, the four roots masked (`P_c, P_t, Q_c, Q_t`).
    pub join: MaskedProof<E>,
    /// The columns tree's layers `0 … n − 1`: layer `d` has `d + 1` rounds and 4 masked values
    /// (`p0, p1, q0, q1`), the last 2 (the packed columns' halves `c0, c1`).
    pub columns: Vec<MaskedProof<E>>,
    /// `ĉ_i(z[..n_i], β)` per column, in the caller's order.
    pub column_values: Vec<E>,
    /// The table tree's layers `0 … bits − 1`, the last with 2 masked values (`m'0, m'1`).
    pub table: Vec<MaskedProof<E>>,
    /// `m̂(z, β)` at the table tree's leaf point.
    pub multiplicities_value: E,
}

/// Where one step's fresh masks are in the caller's slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaskSlot {
    /// The step.
    pub step: ZkStep,
    /// The step's variables before `b` (the sum-check has `vars + 1`).
    pub vars: usize,
    /// Offset of the Libra mask's `1 + 3·(vars + 1)` entries.
    pub mask: usize,
    /// Offset of the scalars, right after the mask.
    pub scalars: usize,
    /// Number of scalars (4, or 2 for a leaf layer).
    pub num_scalars: usize,
}

impl MaskSlot {
    fn end(&self) -> usize {
        self.scalars + self.num_scalars
    }

    fn mask_entries(vars: usize) -> usize {
        1 + DEGREE * (vars + 1)
    }

    fn scalar<E: Copy>(&self, masks: &[E], i: usize) -> E {
        masks[self.scalars + i]
    }

    /// The step's Libra mask among the prover's fresh masks (their length checked beforehand).
    fn libra_mask<E: Field>(&self, masks: &[E]) -> Mask<E> {
        Mask::from_entries(self.vars + 1, &masks[self.mask..self.scalars])
            .expect("the slot holds one mask of degree 3")
    }
}

/// The slots for trees of `cols` and `bits` variables (join, columns layers, table layers).
fn slots(cols: usize, bits: usize) -> Vec<MaskSlot> {
    let mut out = Vec::with_capacity(1 + cols + bits);
    let mut next = 0;
    let mut push = |step, vars, num_scalars| {
        let mask = next;
        let scalars = mask + MaskSlot::mask_entries(vars);
        next = scalars + num_scalars;
        out.push(MaskSlot {
            step,
            vars,
            mask,
            scalars,
            num_scalars,
        });
    };
    push(ZkStep::Join, 0, 4);
    for (tree, n) in [(Tree::Columns, cols), (Tree::Table, bits)] {
        for layer in 0..n {
            push(
                ZkStep::Layer { tree, layer },
                layer,
                if layer + 1 < n { 4 } else { 2 },
            );
        }
    }
    out
}

/// The fresh masks' layout for columns of `2^{column_vars[i]}` entries and `bits`: one slot per
/// step, in order (join, the columns tree's layers, the table tree's layers).
pub fn mask_slots(column_vars: &[usize], bits: usize) -> Result<Vec<MaskSlot>, RangeError> {
    let layout = Layout::new(column_vars, bits)?;
    Ok(slots(layout.vars, bits))
}

/// How many fresh mask entries (in `E`) the statement needs: a function of its shape only.
/// For a columns tree of `n` variables: `8 + Σ_{tree} (t + 3t(t + 1)/2 + 4t − 2)` over
/// `t ∈ {n, bits}`.
pub fn mask_len(column_vars: &[usize], bits: usize) -> Result<usize, RangeError> {
    let layout = Layout::new(column_vars, bits)?;
    Ok(slots(layout.vars, bits).last().map_or(0, MaskSlot::end))
}

/// A value the verifier knows only as `public − Σ coeff·masks[index]`.
#[derive(Clone, Debug)]
struct Hidden<E> {
    public: E,
    terms: Vec<(usize, E)>,
}

impl<E: Field> Hidden<E> {
    /// The line through two masked halves at `μ`: `(1 − μ)·v_0 + μ·v_1` minus
    /// `β·((1 − μ)·s_0 + μ·s_1)`.
    fn line(v: [E; 2], beta: E, mu: E, s: [usize; 2]) -> Self {
        Self {
            public: v[0] + mu * (v[1] - v[0]),
            terms: vec![(s[0], beta * (E::ONE - mu)), (s[1], beta * mu)],
        }
    }
}

/// `p + λ·q` as (public part, the hidden form `ℓ`).
fn combine_claim<E: Field>(p: &Hidden<E>, q: &Hidden<E>, lambda: E) -> (E, Vec<(usize, E)>) {
    let mut ell = p.terms.clone();
    ell.extend(q.terms.iter().map(|&(i, a)| (i, lambda * a)));
    (p.public + lambda * q.public, ell)
}

fn linear<E: Field>(terms: &[(usize, E)], masks: &[E]) -> E {
    terms.iter().map(|&(i, a)| a * masks[i]).sum()
}

/// `eq(a, b)` over the common coordinates (no length assertion: the verifier calls it).
fn eq<E: Field>(a: &[E], b: &[E]) -> E {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x * y + (E::ONE - x) * (E::ONE - y))
        .product()
}

/// The step's [`Deferred::Masks`] terms: `ρ·g(r', β)` on the slot's mask and
/// `(1 − β)·eq(r, r')·ℓ` on the incoming hidden form.
fn step_terms<E: Field>(
    slot: &MaskSlot,
    rho: E,
    point: &[E],
    beta: E,
    weight: E,
    ell: &[(usize, E)],
) -> Vec<(usize, E)> {
    let mut terms = mask_terms(point, beta, rho, DEGREE, slot.mask);
    let scale = (E::ONE - beta) * weight;
    terms.extend(ell.iter().map(|&(i, a)| (i, scale * a)));
    terms
}

/// What the four kinds of steps sum, at the masked values `v` (private tables, in order).
#[derive(Clone, Copy)]
enum Kind {
    /// `P_c·Q_t − P_t·Q_c` on `[P_c, P_t, Q_c, Q_t]`.
    Join,
    /// `p0·q1 + p1·q0 + λ·q0·q1` on `[p0, p1, q0, q1]`.
    Internal,
    /// The columns tree's leaf layer on `[c0, c1]`: `(α − c0) + (α − c1) + λ(α − c0)(α − c1)`.
    ColumnLeaves,
    /// The table tree's leaf layer on `[p0, p1]` with public `q_b = α − t̃(b, r')`.
    TableLeaves,
}

impl Kind {
    fn num_private(self) -> usize {
        match self {
            Kind::Join | Kind::Internal => 4,
            Kind::ColumnLeaves | Kind::TableLeaves => 2,
        }
    }

    /// `F(v)` (without `eq` and `ℓ`); `None` on a wrong count (the verifier checked it).
    /// `table` gives `(t̃(0, r'), t̃(1, r'))` at the table tree's leaf point `r'`.
    fn value<E: Field>(
        self,
        v: &[E],
        lambda: E,
        alpha: E,
        point: &[E],
        table: &TableAt<'_, E>,
    ) -> Option<E> {
        match (self, v) {
            (Kind::Join, &[pc, pt, qc, qt]) => Some(pc * qt - pt * qc),
            (Kind::Internal, &[p0, p1, q0, q1]) => Some(p0 * q1 + p1 * q0 + lambda * q0 * q1),
            (Kind::ColumnLeaves, &[c0, c1]) => {
                let (q0, q1) = (alpha - c0, alpha - c1);
                Some(q0 + q1 + lambda * q0 * q1)
            }
            (Kind::TableLeaves, &[p0, p1]) => {
                let (t0, t1) = table(point);
                let (q0, q1) = (alpha - t0, alpha - t1);
                Some(p0 * q1 + p1 * q0 + lambda * q0 * q1)
            }
            _ => None,
        }
    }
}

/// The table's extension at the table tree's leaf halves: `r' ↦ (t̃(0, r'), t̃(1, r'))`
/// (`b`, the low index bit, first).
pub(crate) type TableAt<'a, E> = dyn Fn(&[E]) -> (E, E) + 'a;

/// `t̃(b, r')` of the range table `t(x) = x`, for `b = 0, 1`.
fn range_halves<E: Field>(point: &[E]) -> (E, E) {
    let rest = table_value(point).double();
    (rest, rest + E::ONE)
}

/// `T̃(b, r')` of a table given by its values, for `b = 0, 1` (`O(2^bits)`; zeros for a point
/// of the wrong length, which the verifier's tree walk never gives).
pub(crate) fn value_halves<F: BaseField, E: ExtField<F>>(values: &[F], point: &[E]) -> (E, E) {
    if values.len() != 2 << point.len() {
        return (E::ZERO, E::ZERO);
    }
    let half = |b: usize| -> Vec<F> { values.iter().skip(b).step_by(2).copied().collect() };
    (
        crate::poly::evaluate_base(&half(0), point),
        crate::poly::evaluate_base(&half(1), point),
    )
}

/// The statement, then `α`: domain separator `zk-range`, or `zk-lookup` for a lookup into a
/// table given by its values ([`super::lookup`]), with the same parameters.
fn begin<E: Field>(t: &mut Transcript, layout: &Layout) -> E {
    let mut params = vec![layout.bits as u64, layout.column_vars.len() as u64];
    params.extend(layout.column_vars.iter().map(|&v| v as u64));
    let label: &[u8] = if layout.lookup {
        b"zk-lookup"
    } else {
        b"zk-range"
    };
    t.domain_separator(label, &params);
    t.challenge_field(b"zk-range-alpha")
}

/// Proves in zero knowledge that every entry of every column lies in `[0, 2^bits)`, given the
/// multiplicities, the fresh masks (`mask_len` entries, uniform from a CSPRNG, committed by the
/// caller with the advice) and the prover's access to the committed tables' masks (tables
/// `0 … k − 1` the columns, `k` the multiplicities).
///
/// **Precondition**: the caller has bound the columns, the multiplicities and the fresh masks
/// to `transcript` (committed to them) before this call. The returned claims are those
/// [`verify`] returns; the caller proves them with the zero-knowledge opening.
///
/// Refuses (before touching the transcript) what [`super::prove`] refuses, and fresh masks of
/// the wrong length (`MasksLength`).
pub fn prove<F: BaseField, E: ExtField<F>>(
    columns: &[&[F]],
    bits: usize,
    multiplicities: &[F],
    masks: &[E],
    tables: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<(ZkRangeProof<E>, Vec<Deferred<E>>), RangeError> {
    let layout = check_witness(columns, bits, multiplicities)?;
    prove_layout(
        &layout,
        columns,
        multiplicities,
        None,
        masks,
        tables,
        transcript,
    )
}

/// [`prove`], or — when `unchecked`, for a cheating prover's test — `prove_unchecked` (in a
/// build without tests or the `cheat` feature, always [`prove`]): the one place callers choose.
pub(crate) fn prove_as<F: BaseField, E: ExtField<F>>(
    unchecked: bool,
    columns: &[&[F]],
    bits: usize,
    multiplicities: &[F],
    masks: &[E],
    tables: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<(ZkRangeProof<E>, Vec<Deferred<E>>), RangeError> {
    #[cfg(any(test, feature = "cheat"))]
    if unchecked {
        return prove_unchecked(columns, bits, multiplicities, masks, tables, transcript);
    }
    let _ = unchecked;
    prove(columns, bits, multiplicities, masks, tables, transcript)
}

/// [`prove`] without the checks on the entries and the multiplicities: a cheating prover for
/// tests (its proofs of false statements must be rejected, or leave a claim that does not hold).
#[cfg(any(test, feature = "cheat"))]
pub fn prove_unchecked<F: BaseField, E: ExtField<F>>(
    columns: &[&[F]],
    bits: usize,
    multiplicities: &[F],
    masks: &[E],
    tables: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<(ZkRangeProof<E>, Vec<Deferred<E>>), RangeError> {
    let layout = Layout::of_columns(columns, bits)?;
    super::prover::check_multiplicities_len(multiplicities, bits)?;
    prove_layout(
        &layout,
        columns,
        multiplicities,
        None,
        masks,
        tables,
        transcript,
    )
}

/// The prover's state entering a tree: the leaves, the layers, the root claim, its slots.
struct TreeInput<'a, F: Clone, E> {
    tree: Tree,
    leaves: &'a Leaves<'a, F>,
    layers: Vec<Padded<[E; 4]>>,
    claim: (Hidden<E>, Hidden<E>),
    slots: &'a [MaskSlot],
}

/// What a tree walk leaves: the layer proofs, the leaf point `z`, the leaf layer's `β`, and
/// the line through its masked halves at `μ`, as a hidden value over the `u` scalars.
struct TreeOutput<E: Field> {
    proofs: Vec<MaskedProof<E>>,
    point: Vec<E>,
    beta: E,
    leaf: Hidden<E>,
}

/// The prover on a layout, with the table's values given (a lookup, [`super::lookup`]) or the
/// range `0, …, 2^bits − 1` when `None`; the layout's shapes and `m`'s length checked.
pub(crate) fn prove_layout<F: BaseField, E: ExtField<F>>(
    layout: &Layout,
    columns: &[&[F]],
    m: &[F],
    values: Option<&[F]>,
    masks: &[E],
    tables: &impl TableMasks<E>,
    t: &mut Transcript,
) -> Result<(ZkRangeProof<E>, Vec<Deferred<E>>), RangeError> {
    let slots = slots(layout.vars, layout.bits);
    let expected = slots.last().map_or(0, MaskSlot::end);
    if masks.len() != expected {
        return Err(RangeError::MasksLength {
            expected,
            got: masks.len(),
        });
    }
    let k = columns.len();
    let alpha: E = begin(t, layout);
    let (column_leaves, table_leaves) = leaves_with(layout, columns, m, values);
    let column_layers = build_layers(&column_leaves, alpha);
    let table_layers = build_layers(&table_leaves, alpha);
    let (pc, qc) = root(&column_leaves, &column_layers, alpha).fraction();
    let (pt, qt) = root(&table_leaves, &table_layers, alpha).fraction();

    let mut deferred = Vec::new();
    // The join.
    t.domain_separator(b"zk-range-join", &[]);
    let join_slot = slots[0];
    let join = prove_step(
        &join_slot,
        Kind::Join,
        vec![
            Mle::Ext(vec![pc]),
            Mle::Ext(vec![pt]),
            Mle::Ext(vec![qc]),
            Mle::Ext(vec![qt]),
        ],
        E::ZERO,
        (E::ZERO, alpha),
        &[],
        &[],
        &|i, _| join_slot.scalar(masks, i),
        masks,
        t,
        &mut deferred,
    );
    let (jv, jb) = (&join.proof.values, join.beta);
    let s = join_slot.scalars;
    let hidden = |v: E, i: usize| Hidden {
        public: v,
        terms: vec![(s + i, jb)],
    };
    let columns_claim = (hidden(jv[0], 0), hidden(jv[2], 2));
    let table_claim = (hidden(jv[1], 1), hidden(jv[3], 3));

    // The columns tree; its leaves are the packed columns, masked by the columns' masks.
    let column_slots = &slots[1..1 + layout.vars];
    let packed_mask = |y: &[E]| {
        let values: Vec<E> = layout
            .column_vars
            .iter()
            .enumerate()
            .map(|(i, &n)| tables.mask_at(i, &y[..n]))
            .collect();
        layout.packed_value(y, &values).unwrap_or(E::ZERO)
    };
    let cols = prove_tree(
        TreeInput {
            tree: Tree::Columns,
            leaves: &column_leaves,
            layers: column_layers,
            claim: columns_claim,
            slots: column_slots,
        },
        alpha,
        &packed_mask,
        masks,
        t,
        &mut deferred,
    );
    let (z, beta) = (&cols.point, cols.beta);
    let column_values: Vec<E> = columns
        .iter()
        .zip(&layout.column_vars)
        .enumerate()
        .map(|(i, (c, &n))| evaluate(c, &z[..n]) + beta * tables.mask_at(i, &z[..n]))
        .collect();
    t.append_fields(b"zk-range-column-values", &column_values);
    deferred.push(Deferred::Masks {
        value: linear(&cols.leaf.terms, masks),
        terms: cols.leaf.terms.clone(),
    });

    // The table tree; its leaves' numerators are m', masked by m's commitment mask.
    let table_slots = &slots[1 + layout.vars..];
    let m_mask = |y: &[E]| tables.mask_at(k, y);
    let tab = prove_tree(
        TreeInput {
            tree: Tree::Table,
            leaves: &table_leaves,
            layers: table_layers,
            claim: table_claim,
            slots: table_slots,
        },
        alpha,
        &m_mask,
        masks,
        t,
        &mut deferred,
    );
    let (zt, beta_t) = (&tab.point, tab.beta);
    let m_value = evaluate(m, zt) + beta_t * tables.mask_at(k, zt);
    t.append_field(b"zk-range-multiplicities-value", &m_value);
    deferred.push(Deferred::Masks {
        value: linear(&tab.leaf.terms, masks),
        terms: tab.leaf.terms.clone(),
    });

    deferred.extend(masked_claims(
        layout,
        &cols.point,
        cols.beta,
        &column_values,
        &tab.point,
        tab.beta,
        m_value,
    ));
    Ok((
        ZkRangeProof {
            join: join.proof,
            columns: cols.proofs,
            column_values,
            table: tab.proofs,
            multiplicities_value: m_value,
        },
        deferred,
    ))
}

/// The [`Deferred::Masked`] claims on the columns (tables `0 … k − 1`) and on `m` (table `k`).
fn masked_claims<E: Field>(
    layout: &Layout,
    z: &[E],
    beta: E,
    column_values: &[E],
    zt: &[E],
    beta_t: E,
    m_value: E,
) -> Vec<Deferred<E>> {
    let mut out: Vec<Deferred<E>> = layout
        .column_vars
        .iter()
        .zip(column_values)
        .enumerate()
        .map(|(table, (&n, &value))| Deferred::Masked {
            table,
            point: z.iter().take(n).copied().collect(),
            beta,
            value,
        })
        .collect();
    out.push(Deferred::Masked {
        table: layout.column_vars.len(),
        point: zt.to_vec(),
        beta: beta_t,
        value: m_value,
    });
    out
}

/// The step's terms over its tables (table 0 is `eq(r, ·)` except for the join) and which
/// tables are private; `ell` is the hidden form's value, carried by `eq` (`Σ_x eq(r, x) = 1`).
fn step_terms_of<E: Field>(kind: Kind, lambda: E, alpha: E, ell: E) -> (Vec<Term<E>>, Vec<bool>) {
    let term = |coeff: E, factors: &[usize]| Term {
        coeff,
        factors: factors.to_vec(),
    };
    match kind {
        // [P_c, P_t, Q_c, Q_t]
        Kind::Join => (
            vec![term(E::ONE, &[0, 3]), term(-E::ONE, &[1, 2])],
            vec![true; 4],
        ),
        // [eq, p0, p1, q0, q1]
        Kind::Internal | Kind::TableLeaves => (
            vec![
                term(E::ONE, &[0, 1, 4]),
                term(E::ONE, &[0, 2, 3]),
                term(lambda, &[0, 3, 4]),
                term(ell, &[0]),
            ],
            match kind {
                Kind::Internal => vec![false, true, true, true, true],
                _ => vec![false, true, true, false, false],
            },
        ),
        // [eq, c0, c1]: (α − c0) + (α − c1) + λ(α − c0)(α − c1), expanded so the halves stay in F.
        Kind::ColumnLeaves => {
            let a = E::ONE + lambda * alpha;
            (
                vec![
                    term(alpha.double() + lambda * alpha.square() + ell, &[0]),
                    term(-a, &[0, 1]),
                    term(-a, &[0, 2]),
                    term(lambda, &[0, 1, 2]),
                ],
                vec![false, true, true],
            )
        }
    }
}

/// One step: the masked sum-check of `claim` on `tables` and its [`Deferred::Masks`] claim,
/// pushed to `deferred`.
#[allow(clippy::too_many_arguments)]
fn prove_step<F: BaseField, E: ExtField<F>>(
    slot: &MaskSlot,
    kind: Kind,
    tables: Vec<Mle<F, E>>,
    claim: E,
    (lambda, alpha): (E, E),
    r: &[E],
    ell: &[(usize, E)],
    scalar: &dyn Fn(usize, &[E]) -> E,
    masks: &[E],
    t: &mut Transcript,
    deferred: &mut Vec<Deferred<E>>,
) -> MaskedProverOutput<E> {
    let ell_value = linear(ell, masks);
    let (terms, private) = step_terms_of(kind, lambda, alpha, ell_value);
    let instance = Instance::new(tables, terms).expect("the step's tables have one length");
    let mask = slot.libra_mask(masks);
    let out = prove_masked_with(instance, claim, &private, scalar, &mask, t);
    push_step_claim(slot, &out, r, ell, ell_value, deferred);
    out
}

/// The step's [`Deferred::Masks`] claim, with the value the prover's masks give.
fn push_step_claim<E: Field>(
    slot: &MaskSlot,
    out: &MaskedProverOutput<E>,
    r: &[E],
    ell: &[(usize, E)],
    ell_value: E,
    deferred: &mut Vec<Deferred<E>>,
) {
    let weight = eq(r, &out.point);
    deferred.push(Deferred::Masks {
        terms: step_terms(slot, out.weight, &out.point, out.beta, weight, ell),
        value: out.weight * out.mask_value + (E::ONE - out.beta) * weight * ell_value,
    });
}

/// [`prove_step`] for a tree layer over `d ≥ 1` variables with the range check's specialized
/// layer prover ([`super::layer`]: split `eq`, Gruen's factor, base-field leaves, fused folds)
/// running the rounds over `x`, plus the mask's part and `ℓ`; the same messages as the generic
/// prover's (the tests compare them through the second-witness test's f-parts).
#[allow(clippy::too_many_arguments)]
fn prove_layer_step<F: BaseField, E: ExtField<F>>(
    slot: &MaskSlot,
    kind: Kind,
    child: Child<'_, F, E>,
    claim: E,
    (lambda, alpha): (E, E),
    r: &[E],
    ell: &[(usize, E)],
    scalar: &dyn Fn(usize, &[E]) -> E,
    masks: &[E],
    t: &mut Transcript,
    deferred: &mut Vec<Deferred<E>>,
) -> MaskedProverOutput<E> {
    let ell_value = linear(ell, masks);
    let (terms, private) = step_terms_of(kind, lambda, alpha, ell_value);
    let mask = slot.libra_mask(masks);
    let (mask_sum, rho) = masked_start(r.len(), DEGREE, claim, &mask, t);
    let hook = ZkHook {
        mask: &mask,
        rho,
        ell: ell_value,
        prefix: E::ZERO,
    };
    let (proof, point, h, prefix) =
        layer::prove_rounds(child, r, lambda, claim, alpha, Some(hook), t);
    let eq_value = eq(r, &point);
    let table_values = match kind {
        Kind::ColumnLeaves => vec![eq_value, alpha - h.q0, alpha - h.q1],
        _ => vec![eq_value, h.p0, h.p1, h.q0, h.q1],
    };
    let out = masked_finish(
        MaskedRounds {
            terms: &terms,
            private: &private,
            table_values,
            point,
            rounds: proof.rounds,
            prefix,
            mask_sum,
            rho,
        },
        scalar,
        &mask,
        t,
    );
    push_step_claim(slot, &out, r, ell, ell_value, deferred);
    out
}

/// A tree step's tables over its `d` variables: `eq(r, ·)` then the halves — from the child
/// layer's entries `[p0, q0, p1, q1]` (`[eq, p0, p1, q0, q1]`), or from the leaves (the columns
/// tree: `[eq, c0, c1]` in `F`; the table tree: `[eq, m'0, m'1, α − t0, α − t1]`).
fn step_tables<F: BaseField, E: ExtField<F>>(
    kind: Kind,
    layer: Option<Padded<[E; 4]>>,
    leaves: &Leaves<'_, F>,
    r: &[E],
    alpha: E,
) -> Vec<Mle<F, E>> {
    let eq_r = Mle::Ext(eq_table(r));
    let half_len = (1usize << leaves.vars()) / 2;
    match (kind, layer) {
        (Kind::Internal, Some(layer)) => {
            let layer = layer.to_vec();
            let half = |j: usize| Mle::Ext(layer.iter().map(|e| e[j]).collect());
            vec![eq_r, half(0), half(2), half(1), half(3)]
        }
        (Kind::ColumnLeaves, _) => {
            let half =
                |b: usize| Mle::Base((0..half_len).map(|x| leaves.den_at(2 * x + b)).collect());
            vec![eq_r, half(0), half(1)]
        }
        (Kind::TableLeaves, _) => {
            let num = |b: usize| Mle::Base((0..half_len).map(|x| leaves.num(2 * x + b)).collect());
            let den = |b: usize| {
                Mle::Ext(
                    (0..half_len)
                        .map(|x| alpha - E::from_base_prime_field(leaves.den_at(2 * x + b)))
                        .collect(),
                )
            };
            vec![eq_r, num(0), num(1), den(0), den(1)]
        }
        _ => panic!("an internal step needs its child layer"),
    }
}

/// Walks one tree from its root claim to its leaves (layer `d` reduced by `slots[d]`).
fn prove_tree<F: BaseField, E: ExtField<F>>(
    input: TreeInput<'_, F, E>,
    alpha: E,
    leaf_mask: &dyn Fn(&[E]) -> E,
    masks: &[E],
    t: &mut Transcript,
    deferred: &mut Vec<Deferred<E>>,
) -> TreeOutput<E> {
    let TreeInput {
        tree,
        leaves,
        layers,
        claim: (mut p, mut q),
        slots,
    } = input;
    let n = leaves.vars();
    t.domain_separator(b"zk-range-tree", &[tree.id(), n as u64]);
    let mut point: Vec<E> = Vec::new();
    let mut proofs = Vec::with_capacity(n);
    // layers[d] is layer d + 1: the halves of the reduction of layer d.
    let mut children = layers.into_iter();
    let mut leaf = None;
    for (d, slot) in slots.iter().enumerate() {
        let lambda: E = t.challenge_field(b"zk-range-lambda");
        let (claim, ell) = combine_claim(&p, &q, lambda);
        let s = slot.scalars;
        let kind = kind_of(tree, d, n);
        let layer = if d + 1 < n { children.next() } else { None };
        // The leaves' private halves are a committed table's: scalars M(b, r') + u_b.
        let leaf_scalar = |i: usize, r: &[E]| {
            let b = if i == 1 { E::ZERO } else { E::ONE };
            let y: Vec<E> = std::iter::once(b).chain(r.iter().copied()).collect();
            leaf_mask(&y) + masks[s + i - 1]
        };
        let internal_scalar = |i: usize, _: &[E]| masks[s + i - 1];
        let scalar: &dyn Fn(usize, &[E]) -> E = match kind {
            Kind::Internal => &internal_scalar,
            _ => &leaf_scalar,
        };
        let out = if d == 0 {
            // One entry: the generic prover.
            let tables = step_tables(kind, layer, leaves, &point, alpha);
            prove_step(
                slot,
                kind,
                tables,
                claim,
                (lambda, alpha),
                &point,
                &ell,
                scalar,
                masks,
                t,
                deferred,
            )
        } else {
            let child = match layer {
                Some(l) => Child::Layer(l),
                None => Child::Leaves(leaves),
            };
            prove_layer_step(
                slot,
                kind,
                child,
                claim,
                (lambda, alpha),
                &point,
                &ell,
                scalar,
                masks,
                t,
                deferred,
            )
        };
        let mu: E = t.challenge_field(b"zk-range-mu");
        let v = &out.proof.values;
        let beta = out.beta;
        point = std::iter::once(mu)
            .chain(out.point.iter().copied())
            .collect();
        if d + 1 < n {
            p = Hidden::line([v[0], v[1]], beta, mu, [s, s + 1]);
            q = Hidden::line([v[2], v[3]], beta, mu, [s + 2, s + 3]);
        } else {
            leaf = Some((beta, Hidden::line([v[0], v[1]], beta, mu, [s, s + 1])));
        }
        proofs.push(out.proof);
    }
    let (beta, leaf) = leaf.expect("a tree has at least one layer");
    TreeOutput {
        proofs,
        point,
        beta,
        leaf,
    }
}

/// Verifies a hiding range-check proof for columns of `2^{column_vars[i]}` entries and the
/// table `[0, 2^bits)`; returns the claims the caller must prove (module docs: the order), on
/// the committed tables (columns `0 … k − 1`, multiplicities `k`) and on the fresh masks (the
/// [`mask_slots`] layout) it bound to the transcript before the prover ran.
///
/// Checks only shapes and the sum-checks' rounds: every value check is a returned claim.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify<F: BaseField, E: ExtField<F>>(
    column_vars: &[usize],
    bits: usize,
    proof: &ZkRangeProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, RangeError> {
    verify_traced(column_vars, bits, proof, transcript).map(|(deferred, _)| deferred)
}

/// What the verifier saw at one step: the public claim, `λ`, the hidden form `ℓ`, the masked
/// sum-check's claim (its point, `β`, `ρ`, value, masked values) and the `μ` drawn after it
/// (none for the join). The tests' simulator replays proofs from it.
#[derive(Clone, Debug)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct StepTrace<E> {
    pub(crate) claim: E,
    pub(crate) lambda: E,
    pub(crate) ell: Vec<(usize, E)>,
    pub(crate) masked: MaskedClaim<E>,
    pub(crate) mu: Option<E>,
}

/// The claims and each step's trace.
pub(crate) type Traced<E> = (Vec<Deferred<E>>, Vec<StepTrace<E>>);

/// [`verify`], also returning each step's [`StepTrace`] (join, columns layers, table layers).
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub(crate) fn verify_traced<E: Field>(
    column_vars: &[usize],
    bits: usize,
    proof: &ZkRangeProof<E>,
    transcript: &mut Transcript,
) -> Result<Traced<E>, RangeError> {
    let layout = Layout::new(column_vars, bits)?;
    verify_layout(&layout, &range_halves, proof, transcript)
}

/// [`verify_traced`] on a layout, with the table's halves given by `table` (a lookup:
/// [`value_halves`]; the range: `t(x) = x`).
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub(crate) fn verify_layout<E: Field>(
    layout: &Layout,
    table: &TableAt<'_, E>,
    proof: &ZkRangeProof<E>,
    transcript: &mut Transcript,
) -> Result<Traced<E>, RangeError> {
    let (column_vars, bits) = (&layout.column_vars[..], layout.bits);
    let mut trace = Vec::new();
    let slots = slots(layout.vars, bits);
    let (join_slot, rest) = slots.split_first().ok_or(RangeError::NoColumns)?;
    let (column_slots, table_slots) = rest.split_at(layout.vars.min(rest.len()));
    check_step(join_slot, Kind::Join, &proof.join)?;
    check_tree(Tree::Columns, column_slots, &proof.columns)?;
    check_tree(Tree::Table, table_slots, &proof.table)?;
    if proof.column_values.len() != column_vars.len() {
        return Err(RangeError::ProofShape {
            part: ProofPart::ColumnValues,
            expected: column_vars.len(),
            got: proof.column_values.len(),
        });
    }

    let t = transcript;
    let alpha: E = begin(t, layout);
    let mut deferred = Vec::new();
    t.domain_separator(b"zk-range-join", &[]);
    let join = verify_step(
        join_slot,
        Kind::Join,
        &proof.join,
        (E::ZERO, Vec::new()),
        (E::ZERO, alpha),
        table,
        &[],
        t,
        &mut deferred,
        &mut trace,
    )?;
    let (jv, jb, s) = (&join.values, join.beta, join_slot.scalars);
    let hidden = |i: usize| -> Result<Hidden<E>, RangeError> {
        Ok(Hidden {
            public: *jv.get(i).ok_or(RangeError::ProofShape {
                part: ProofPart::ZkValues { step: ZkStep::Join },
                expected: 4,
                got: jv.len(),
            })?,
            terms: vec![(s + i, jb)],
        })
    };
    let columns_claim = (hidden(0)?, hidden(2)?);
    let table_claim = (hidden(1)?, hidden(3)?);

    let (z, beta, leaf) = verify_tree(
        Tree::Columns,
        column_slots,
        &proof.columns,
        columns_claim,
        alpha,
        table,
        t,
        &mut deferred,
        &mut trace,
    )?;
    t.append_fields(b"zk-range-column-values", &proof.column_values);
    let packed = layout
        .packed_value(&z, &proof.column_values)
        .ok_or(RangeError::ProofShape {
            part: ProofPart::ColumnValues,
            expected: column_vars.len(),
            got: proof.column_values.len(),
        })?;
    deferred.push(Deferred::Masks {
        terms: leaf.terms,
        value: leaf.public - packed,
    });

    let (zt, beta_t, leaf_t) = verify_tree(
        Tree::Table,
        table_slots,
        &proof.table,
        table_claim,
        alpha,
        table,
        t,
        &mut deferred,
        &mut trace,
    )?;
    t.append_field(
        b"zk-range-multiplicities-value",
        &proof.multiplicities_value,
    );
    let pad = E::from(layout.pad() as u64);
    deferred.push(Deferred::Masks {
        terms: leaf_t.terms,
        value: leaf_t.public - pad * bits_eq(0, &zt) - proof.multiplicities_value,
    });
    deferred.extend(masked_claims(
        layout,
        &z,
        beta,
        &proof.column_values,
        &zt,
        beta_t,
        proof.multiplicities_value,
    ));
    Ok((deferred, trace))
}

/// A step's sum-check has `vars + 1` rounds of 3 values and its kind's number of masked values.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
fn check_step<E: Field>(
    slot: &MaskSlot,
    kind: Kind,
    proof: &MaskedProof<E>,
) -> Result<(), RangeError> {
    let step = slot.step;
    let rounds = &proof.zk.sumcheck.rounds;
    if rounds.len() != slot.vars + 1 {
        return Err(RangeError::ProofShape {
            part: ProofPart::ZkRounds { step },
            expected: slot.vars + 1,
            got: rounds.len(),
        });
    }
    if let Some((round, m)) = rounds
        .iter()
        .enumerate()
        .find(|(_, m)| m.evals.len() != DEGREE)
    {
        return Err(RangeError::ProofShape {
            part: ProofPart::ZkMessage { step, round },
            expected: DEGREE,
            got: m.evals.len(),
        });
    }
    if proof.values.len() != kind.num_private() {
        return Err(RangeError::ProofShape {
            part: ProofPart::ZkValues { step },
            expected: kind.num_private(),
            got: proof.values.len(),
        });
    }
    Ok(())
}

fn kind_of(tree: Tree, layer: usize, n: usize) -> Kind {
    match (layer + 1 < n, tree) {
        (true, _) => Kind::Internal,
        (false, Tree::Columns) => Kind::ColumnLeaves,
        (false, Tree::Table) => Kind::TableLeaves,
    }
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
fn check_tree<E: Field>(
    tree: Tree,
    slots: &[MaskSlot],
    proofs: &[MaskedProof<E>],
) -> Result<(), RangeError> {
    if proofs.len() != slots.len() {
        return Err(RangeError::ProofShape {
            part: ProofPart::Layers { tree },
            expected: slots.len(),
            got: proofs.len(),
        });
    }
    for (layer, (slot, proof)) in slots.iter().zip(proofs).enumerate() {
        check_step(slot, kind_of(tree, layer, slots.len()), proof)?;
    }
    Ok(())
}

/// One step on the verifier's side: the masked sum-check on the public claim, then the
/// step's [`Deferred::Masks`] claim (pushed) from the masked values.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#[allow(clippy::too_many_arguments)]
fn verify_step<E: Field>(
    slot: &MaskSlot,
    kind: Kind,
    proof: &MaskedProof<E>,
    (claim, ell): (E, Vec<(usize, E)>),
    (lambda, alpha): (E, E),
    table: &TableAt<'_, E>,
    r: &[E],
    t: &mut Transcript,
    deferred: &mut Vec<Deferred<E>>,
    trace: &mut Vec<StepTrace<E>>,
) -> Result<MaskedClaim<E>, RangeError> {
    let step = slot.step;
    let c = verify_masked(slot.vars, DEGREE, claim, kind.num_private(), proof, t)
        .map_err(|source| RangeError::ZkSumcheck { step, source })?;
    let value = kind
        .value(&c.values, lambda, alpha, &c.point, table)
        .ok_or(RangeError::ProofShape {
            part: ProofPart::ZkValues { step },
            expected: kind.num_private(),
            got: c.values.len(),
        })?;
    let weight = eq(r, &c.point);
    deferred.push(Deferred::Masks {
        terms: step_terms(slot, c.weight, &c.point, c.beta, weight, &ell),
        value: c.value - (E::ONE - c.beta) * weight * value,
    });
    trace.push(StepTrace {
        claim,
        lambda,
        ell,
        masked: c.clone(),
        mu: None,
    });
    Ok(c)
}

/// Walks one tree: the leaf point `z`, the leaf layer's `β`, and the line through its masked
/// halves at `μ` (a hidden value over the leaf layer's `u`).
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#[allow(clippy::too_many_arguments)]
fn verify_tree<E: Field>(
    tree: Tree,
    slots: &[MaskSlot],
    proofs: &[MaskedProof<E>],
    (mut p, mut q): (Hidden<E>, Hidden<E>),
    alpha: E,
    table: &TableAt<'_, E>,
    t: &mut Transcript,
    deferred: &mut Vec<Deferred<E>>,
    trace: &mut Vec<StepTrace<E>>,
) -> Result<(Vec<E>, E, Hidden<E>), RangeError> {
    let n = slots.len();
    t.domain_separator(b"zk-range-tree", &[tree.id(), n as u64]);
    let mut point: Vec<E> = Vec::new();
    let mut beta = E::ZERO;
    for (layer, (slot, proof)) in slots.iter().zip(proofs).enumerate() {
        let kind = kind_of(tree, layer, n);
        let lambda: E = t.challenge_field(b"zk-range-lambda");
        let (claim, ell) = combine_claim(&p, &q, lambda);
        let c = verify_step(
            slot,
            kind,
            proof,
            (claim, ell),
            (lambda, alpha),
            table,
            &point,
            t,
            deferred,
            trace,
        )?;
        let mu: E = t.challenge_field(b"zk-range-mu");
        if let Some(last) = trace.last_mut() {
            last.mu = Some(mu);
        }
        let s = slot.scalars;
        let shape = RangeError::ProofShape {
            part: ProofPart::ZkValues { step: slot.step },
            expected: kind.num_private(),
            got: c.values.len(),
        };
        match (kind, c.values.as_slice()) {
            (Kind::Internal, &[p0, p1, q0, q1]) => {
                p = Hidden::line([p0, p1], c.beta, mu, [s, s + 1]);
                q = Hidden::line([q0, q1], c.beta, mu, [s + 2, s + 3]);
            }
            (Kind::ColumnLeaves | Kind::TableLeaves, &[v0, v1]) => {
                p = Hidden::line([v0, v1], c.beta, mu, [s, s + 1]);
            }
            _ => return Err(shape),
        }
        beta = c.beta;
        point = std::iter::once(mu).chain(c.point).collect();
    }
    Ok((point, beta, p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::poly::evaluate_base;
    use crate::range::count_in_range;
    use crate::zk::ExplicitMasks;
    use ark_ff::PrimeField;
    use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const LABEL: &[u8] = b"zk-range-test";

    /// A statement's witness and the prover's randomness.
    struct Setup<F, E> {
        columns: Vec<Vec<F>>,
        m: Vec<F>,
        masks: Vec<E>,
        tables: ExplicitMasks<E>,
    }

    impl<F: BaseField, E: ExtField<F>> Setup<F, E> {
        fn random(rng: &mut StdRng, vars: &[usize], bits: usize) -> Self {
            let columns: Vec<Vec<F>> = vars
                .iter()
                .map(|&v| {
                    (0..1usize << v)
                        .map(|_| F::from(rng.gen_range(0..1u64 << bits)))
                        .collect()
                })
                .collect();
            Self::with_columns(rng, columns, bits)
        }

        fn with_columns(rng: &mut StdRng, columns: Vec<Vec<F>>, bits: usize) -> Self {
            let refs: Vec<&[F]> = columns.iter().map(Vec::as_slice).collect();
            let m = count_in_range(&refs, bits);
            let vars: Vec<usize> = columns
                .iter()
                .map(|c| c.len().trailing_zeros() as usize)
                .collect();
            let masks = (0..mask_len(&vars, bits).unwrap())
                .map(|_| E::rand(rng))
                .collect();
            // Commitment masks over up to 3 low variables (as pcs::zk masks the low `ℓ`).
            let mut mask_tables: Vec<Vec<E>> = vars
                .iter()
                .map(|&v| (0..1usize << v.min(3)).map(|_| E::rand(rng)).collect())
                .collect();
            mask_tables.push((0..1usize << bits.min(3)).map(|_| E::rand(rng)).collect());
            Self {
                columns,
                m,
                masks,
                tables: ExplicitMasks(mask_tables),
            }
        }

        fn vars(&self) -> Vec<usize> {
            self.columns
                .iter()
                .map(|c| c.len().trailing_zeros() as usize)
                .collect()
        }

        fn refs(&self) -> Vec<&[F]> {
            self.columns.iter().map(Vec::as_slice).collect()
        }

        /// The caller's commitment to the masks (and, in the network, to the tables), here
        /// absorbed in the clear.
        fn transcript(&self) -> Transcript {
            let mut t = Transcript::new(LABEL);
            t.append_fields(b"fresh-masks", &self.masks);
            t
        }

        fn prove(&self, bits: usize) -> (ZkRangeProof<E>, Vec<Deferred<E>>) {
            prove::<F, E>(
                &self.refs(),
                bits,
                &self.m,
                &self.masks,
                &self.tables,
                &mut self.transcript(),
            )
            .unwrap()
        }

        fn prove_unchecked(&self, bits: usize) -> (ZkRangeProof<E>, Vec<Deferred<E>>) {
            prove_unchecked::<F, E>(
                &self.refs(),
                bits,
                &self.m,
                &self.masks,
                &self.tables,
                &mut self.transcript(),
            )
            .unwrap()
        }

        fn verify(
            &self,
            bits: usize,
            proof: &ZkRangeProof<E>,
        ) -> Result<Vec<Deferred<E>>, RangeError> {
            verify::<F, E>(&self.vars(), bits, proof, &mut self.transcript())
        }

        /// `t̂(z, β) = t̃(z) + β·m_t(z)` of the true tables.
        fn hiding(&self, table: usize, z: &[E], beta: E) -> E {
            let t = self.columns.get(table).unwrap_or(&self.m);
            evaluate_base(t, z) + beta * self.tables.mask_at(table, z)
        }

        /// Index of the first claim that does not hold.
        fn first_false(&self, deferred: &[Deferred<E>]) -> Option<usize> {
            deferred
                .iter()
                .position(|d| !d.holds(|t, z, b| self.hiding(t, z, b), &self.masks))
        }
    }

    fn round_trip<F: BaseField, E: ExtField<F>>(rng: &mut StdRng, vars: &[usize], bits: usize) {
        let s = Setup::<F, E>::random(rng, vars, bits);
        let mut tp = s.transcript();
        let (proof, claims) =
            prove::<F, E>(&s.refs(), bits, &s.m, &s.masks, &s.tables, &mut tp).unwrap();
        let mut tv = s.transcript();
        let checked = verify::<F, E>(vars, bits, &proof, &mut tv).unwrap();
        assert_eq!(checked, claims, "the verifier's claims are the prover's");
        assert_eq!(s.first_false(&claims), None, "{vars:?}, bits {bits}");
        let layout = Layout::new(vars, bits).unwrap();
        assert_eq!(claims.len(), 1 + layout.vars + bits + 2 + vars.len() + 1);
        // Transcripts agree afterwards.
        let (a, b): (E, E) = (tp.challenge_field(b"after"), tv.challenge_field(b"after"));
        assert_eq!(a, b);
        // Bytes.
        let mut bytes = Vec::new();
        proof.serialize_compressed(&mut bytes).unwrap();
        let back = ZkRangeProof::<E>::deserialize_compressed(&bytes[..]).unwrap();
        assert_eq!(back, proof);
    }

    const SHAPES: &[(&[usize], usize)] = &[
        (&[0], 1),
        (&[1], 1),
        (&[0, 0, 0], 2),
        (&[3], 2),
        (&[2, 0], 3),
        (&[4, 2, 2, 0], 5),
        (&[1, 3], 6),
    ];

    /// The hiding prover's proof, claims and transcript equal the full computation's (the
    /// columns' padding stored as data), byte for byte.
    #[test]
    fn zk_range_padding_in_closed_form_changes_no_byte() {
        let mut rng = StdRng::seed_from_u64(11);
        let shapes: [(&[usize], usize); 5] = [
            (&[5, 0], 3),
            (&[3, 3, 3], 2),
            (&[12, 10, 0], 4),
            (&[13, 0], 5),
            (&[2, 1, 0], 2),
        ];
        for (vars, bits) in shapes {
            let s = Setup::<Goldilocks, GoldilocksExt2>::random(&mut rng, vars, bits);
            let run = || {
                let mut t = s.transcript();
                let (proof, deferred) = prove::<Goldilocks, GoldilocksExt2>(
                    &s.refs(),
                    bits,
                    &s.m,
                    &s.masks,
                    &s.tables,
                    &mut t,
                )
                .unwrap();
                let mut bytes = Vec::new();
                proof.serialize_compressed(&mut bytes).unwrap();
                (
                    bytes,
                    deferred,
                    t.challenge_field::<GoldilocksExt2>(b"after"),
                )
            };
            let new = run();
            let old = crate::range::prover::tests::with_full_padding(run);
            assert!(new == old, "vars {vars:?}, bits {bits}");
        }
    }

    #[test]
    fn zk_range_round_trips() {
        let mut rng = StdRng::seed_from_u64(1);
        for &(vars, bits) in SHAPES {
            round_trip::<Goldilocks, GoldilocksExt2>(&mut rng, vars, bits);
            round_trip::<Bn254Fr, Bn254Fr>(&mut rng, vars, bits);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn zk_range_round_trips_random(
            vars in proptest::collection::vec(0usize..7, 1..5),
            bits in 1usize..7,
            seed in any::<u64>(),
        ) {
            let mut rng = StdRng::seed_from_u64(seed);
            round_trip::<Goldilocks, GoldilocksExt2>(&mut rng, &vars, bits);
        }
    }

    #[test]
    fn mask_len_matches_the_formula() {
        for &(vars, bits) in SHAPES {
            let n = Layout::new(vars, bits).unwrap().vars;
            let per = |t: usize| t + 3 * t * (t + 1) / 2 + 4 * t - 2;
            assert_eq!(mask_len(vars, bits).unwrap(), 8 + per(n) + per(bits));
            let slots = mask_slots(vars, bits).unwrap();
            assert_eq!(slots.len(), 1 + n + bits);
            for w in slots.windows(2) {
                assert_eq!(w[0].end(), w[1].mask, "contiguous");
            }
        }
        assert_eq!(mask_len(&[], 3), Err(RangeError::NoColumns));
        assert_eq!(mask_len(&[2], 0), Err(RangeError::Bits { bits: 0 }));
    }

    /// A cheating prover: an entry out of range (with the in-range counts, or those plus a
    /// fudge), or a wrong multiplicity. The honest code computes the rest; the proof verifies
    /// (the verifier checks shapes only) but a returned claim is false.
    fn cheats<F: BaseField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for &(vars, bits) in SHAPES {
            for strategy in 0..4 {
                let mut s = Setup::<F, E>::random(&mut rng, vars, bits);
                let big = F::from(1u64 << bits);
                match strategy {
                    // An entry just out of range, counts of the rest.
                    0 => {
                        s.columns[0][0] = big;
                        s.m = count_in_range(&s.refs(), bits);
                    }
                    // An entry out of range counted as 0 (the multiset's size kept).
                    1 => {
                        s.columns[0][0] = -F::ONE;
                        s.m = count_in_range(&s.refs(), bits);
                        s.m[0] += F::ONE;
                    }
                    // One multiplicity moved.
                    2 => {
                        s.m[0] -= F::ONE;
                        let last = s.m.len() - 1;
                        s.m[last] += F::ONE;
                    }
                    // One multiplicity off by one.
                    _ => s.m[(1 << bits) - 1] += F::ONE,
                }
                assert!(matches!(
                    prove::<F, E>(
                        &s.refs(),
                        bits,
                        &s.m,
                        &s.masks,
                        &s.tables,
                        &mut s.transcript()
                    ),
                    Err(RangeError::ValueOutOfRange { .. } | RangeError::WrongMultiplicity { .. })
                ));
                let (proof, _) = s.prove_unchecked(bits);
                let checked = s.verify(bits, &proof).expect("shapes are honest");
                // The join's numerator is not 0: its sum-check's claim is false.
                assert_eq!(
                    s.first_false(&checked),
                    Some(0),
                    "{vars:?}, bits {bits}, strategy {strategy}"
                );
            }
        }
    }

    #[test]
    fn zk_range_cheating_provers_leave_a_false_claim() {
        cheats::<Goldilocks, GoldilocksExt2>(2);
        cheats::<Bn254Fr, Bn254Fr>(3);
    }

    /// Every field element of a proof, in a fixed order, with the index of the claim that
    /// must fail when it is changed.
    fn elements<E: Field>(proof: &mut ZkRangeProof<E>) -> Vec<(&mut E, usize)> {
        let n = proof.columns.len();
        let bits = proof.table.len();
        let mut out: Vec<(&mut E, usize)> = Vec::new();
        fn step<'a, E: Field>(
            p: &'a mut MaskedProof<E>,
            claim: usize,
            out: &mut Vec<(&'a mut E, usize)>,
        ) {
            out.push((&mut p.zk.mask_sum, claim));
            for r in &mut p.zk.sumcheck.rounds {
                for e in &mut r.evals {
                    out.push((e, claim));
                }
            }
            for v in &mut p.values {
                out.push((v, claim));
            }
        }
        step(&mut proof.join, 0, &mut out);
        for (d, p) in proof.columns.iter_mut().enumerate() {
            step(p, 1 + d, &mut out);
        }
        for v in &mut proof.column_values {
            out.push((v, 1 + n));
        }
        for (d, p) in proof.table.iter_mut().enumerate() {
            step(p, 2 + n + d, &mut out);
        }
        out.push((&mut proof.multiplicities_value, 2 + n + bits));
        out
    }

    /// Each proof value changed: the proof still verifies (the verifier checks shapes and
    /// round counts only) and the claim of that value's step is the first false one.
    fn tampering<F: BaseField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for &(vars, bits) in &SHAPES[1..6] {
            let s = Setup::<F, E>::random(&mut rng, vars, bits);
            let (proof, _) = s.prove(bits);
            let count = elements(&mut proof.clone()).len();
            for i in 0..count {
                let mut bad = proof.clone();
                let (e, claim) = elements(&mut bad).swap_remove(i);
                *e += E::ONE;
                let checked = s.verify(bits, &bad).expect("shapes unchanged");
                assert_eq!(s.first_false(&checked), Some(claim), "{vars:?} element {i}");
            }
        }
    }

    #[test]
    fn zk_range_tampered_values_leave_a_false_claim() {
        tampering::<Goldilocks, GoldilocksExt2>(4);
        tampering::<Bn254Fr, Bn254Fr>(5);
    }

    fn layers_of<E: Field>(p: &mut ZkRangeProof<E>, tree: Tree) -> &mut Vec<MaskedProof<E>> {
        match tree {
            Tree::Columns => &mut p.columns,
            Tree::Table => &mut p.table,
        }
    }

    #[test]
    fn zk_range_shape_errors_are_exact() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(6);
        let (vars, bits): (&[usize], usize) = (&[2, 1], 2);
        let s = Setup::<F, E>::random(&mut rng, vars, bits);
        let (proof, _) = s.prove(bits);
        let shape = |part, expected, got| {
            Err(RangeError::ProofShape {
                part,
                expected,
                got,
            })
        };
        let check = |edit: &dyn Fn(&mut ZkRangeProof<E>),
                     want: Result<Vec<Deferred<E>>, RangeError>| {
            let mut bad = proof.clone();
            edit(&mut bad);
            assert_eq!(s.verify(bits, &bad), want);
        };
        let join = ZkStep::Join;
        check(
            &|p| {
                p.join.zk.sumcheck.rounds.pop();
            },
            shape(ProofPart::ZkRounds { step: join }, 1, 0),
        );
        check(
            &|p| {
                p.join.zk.sumcheck.rounds[0].evals.pop();
            },
            shape(
                ProofPart::ZkMessage {
                    step: join,
                    round: 0,
                },
                3,
                2,
            ),
        );
        check(
            &|p| {
                p.join.values.push(E::ONE);
            },
            shape(ProofPart::ZkValues { step: join }, 4, 5),
        );
        for (tree, n) in [(Tree::Columns, 3usize), (Tree::Table, bits)] {
            check(
                &|p| {
                    layers_of(p, tree).pop();
                },
                shape(ProofPart::Layers { tree }, n, n - 1),
            );
            for layer in 0..n {
                let step = ZkStep::Layer { tree, layer };
                let values = if layer + 1 < n { 4 } else { 2 };
                check(
                    &|p| {
                        layers_of(p, tree)[layer].zk.sumcheck.rounds.pop();
                    },
                    shape(ProofPart::ZkRounds { step }, layer + 1, layer),
                );
                check(
                    &|p| {
                        layers_of(p, tree)[layer].zk.sumcheck.rounds[layer]
                            .evals
                            .push(E::ONE);
                    },
                    shape(ProofPart::ZkMessage { step, round: layer }, 3, 4),
                );
                check(
                    &|p| {
                        layers_of(p, tree)[layer].values.pop();
                    },
                    shape(ProofPart::ZkValues { step }, values, values - 1),
                );
            }
        }
        check(
            &|p| {
                p.column_values.pop();
            },
            shape(ProofPart::ColumnValues, 2, 1),
        );
        // Other statements.
        assert!(matches!(
            verify::<F, E>(&[3, 2], bits, &proof, &mut s.transcript()),
            Err(RangeError::ProofShape { .. })
        ));
        assert!(matches!(
            verify::<F, E>(vars, bits + 1, &proof, &mut s.transcript()),
            Err(RangeError::ProofShape { .. })
        ));
        assert_eq!(
            verify::<F, E>(&[], bits, &proof, &mut s.transcript()),
            Err(RangeError::NoColumns)
        );
        assert_eq!(
            verify::<F, E>(vars, 0, &proof, &mut s.transcript()),
            Err(RangeError::Bits { bits: 0 })
        );
        // Another transcript: the proof "verifies" but its claims are false.
        let other =
            verify::<F, E>(vars, bits, &proof, &mut Transcript::new(b"other")).expect("shapes");
        assert!(s.first_false(&other).is_some());
        // The prover's precondition on the masks.
        let short = &s.masks[1..];
        assert_eq!(
            prove::<F, E>(&s.refs(), bits, &s.m, short, &s.tables, &mut s.transcript()).map(|_| ()),
            Err(RangeError::MasksLength {
                expected: s.masks.len(),
                got: s.masks.len() - 1
            })
        );
    }

    /// Decoding: every truncation fails, an extra byte is left over, and random bytes or random
    /// edits never panic the verifier.
    #[test]
    fn zk_range_bytes_never_panic() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(7);
        let (vars, bits): (&[usize], usize) = (&[2, 0], 2);
        let s = Setup::<F, E>::random(&mut rng, vars, bits);
        let (proof, _) = s.prove(bits);
        let mut bytes = Vec::new();
        proof.serialize_compressed(&mut bytes).unwrap();
        for len in 0..bytes.len() {
            assert!(ZkRangeProof::<E>::deserialize_compressed(&bytes[..len]).is_err());
        }
        for _ in 0..300 {
            let mut b = bytes.clone();
            let i = rng.gen_range(0..b.len());
            b[i] ^= 1 << rng.gen_range(0..8);
            if let Ok(p) = ZkRangeProof::<E>::deserialize_compressed(&b[..]) {
                let _ = s.verify(bits, &p);
            }
            let random: Vec<u8> = (0..rng.gen_range(0..600)).map(|_| rng.gen()).collect();
            if let Ok(p) = ZkRangeProof::<E>::deserialize_compressed(&random[..]) {
                let _ = s.verify(bits, &p);
            }
        }
        // Random shapes.
        for _ in 0..200 {
            let mut p = proof.clone();
            match rng.gen_range(0..4) {
                0 => p.columns.truncate(rng.gen_range(0..3)),
                1 => p.table.push(proof.join.clone()),
                2 => p.join = proof.columns[2].clone(),
                _ => p.columns.swap(0, 2),
            }
            assert!(s.verify(bits, &p).is_err());
        }
    }

    /// `α` as the verifier draws it, and the two roots of the true trees.
    fn true_roots<F: BaseField, E: ExtField<F>>(s: &Setup<F, E>, bits: usize) -> [E; 4] {
        let layout = Layout::new(&s.vars(), bits).unwrap();
        let alpha: E = begin(&mut s.transcript(), &layout);
        let refs = s.refs();
        let (cl, tl) = leaves(&layout, &refs, &s.m);
        let (pc, qc) = root(&cl, &build_layers(&cl, alpha), alpha).fraction();
        let (pt, qt) = root(&tl, &build_layers(&tl, alpha), alpha).fraction();
        [pc, pt, qc, qt]
    }

    /// No message is a transparent-protocol value (the roots, the column values, m's value at
    /// the leaf point); with the masks switched off the same test sees them (it can tell).
    fn reveals_nothing_in_the_clear<F: BaseField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for &(vars, bits) in &SHAPES[2..] {
            let s = Setup::<F, E>::random(&mut rng, vars, bits);
            let roots = true_roots(&s, bits);
            let (mut proof, claims) = s.prove(bits);
            let mut secrets: Vec<E> = roots.to_vec();
            for c in &claims {
                if let Deferred::Masked { table, point, .. } = c {
                    let t = s.columns.get(*table).unwrap_or(&s.m);
                    secrets.push(evaluate_base(t, point));
                }
            }
            for (e, _) in elements(&mut proof) {
                assert!(!secrets.contains(e), "{vars:?}: a secret in the clear");
            }
            // Unmasked: all fresh masks and commitment masks zero.
            let mut z = s;
            z.masks.iter_mut().for_each(|x| *x = E::ZERO);
            z.tables.0.iter_mut().flatten().for_each(|x| *x = E::ZERO);
            let (proof, claims) = z.prove(bits);
            assert_eq!(proof.join.values, true_roots(&z, bits).to_vec());
            assert_eq!(z.first_false(&claims), None);
        }
    }

    #[test]
    fn zk_range_sends_no_secret_in_the_clear() {
        reveals_nothing_in_the_clear::<Goldilocks, GoldilocksExt2>(8);
        reveals_nothing_in_the_clear::<Bn254Fr, Bn254Fr>(9);
    }

    /// Two witnesses of the same shape — all zeros, and uniform entries — give messages whose
    /// low bytes pass a χ² test against uniform at every position of the proof (255 degrees of
    /// freedom; 400 is exceeded by a uniform sample with probability below 10^-8 per position).
    #[test]
    fn zk_range_messages_are_uniform_for_two_witnesses() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(10);
        let (vars, bits): (&[usize], usize) = (&[2, 1], 2);
        let runs = 1200;
        let zeros: Vec<Vec<F>> = vars.iter().map(|&v| vec![F::from(0u64); 1 << v]).collect();
        for witness in 0..2 {
            let mut counts: Vec<[u32; 256]> = Vec::new();
            for _ in 0..runs {
                let s = if witness == 0 {
                    Setup::<F, E>::with_columns(&mut rng, zeros.clone(), bits)
                } else {
                    Setup::<F, E>::random(&mut rng, vars, bits)
                };
                let (mut proof, _) = s.prove(bits);
                let els = elements(&mut proof);
                counts.resize(els.len(), [0; 256]);
                for ((e, _), c) in els.into_iter().zip(counts.iter_mut()) {
                    let low = e.c0.into_bigint().0[0] as u8;
                    c[low as usize] += 1;
                }
            }
            let expected = runs as f64 / 256.0;
            for (i, c) in counts.iter().enumerate() {
                let chi2: f64 = c
                    .iter()
                    .map(|&o| (o as f64 - expected).powi(2) / expected)
                    .sum();
                assert!(chi2 < 400.0, "witness {witness}, position {i}: χ² = {chi2}");
            }
        }
    }

    /// The f-part of each round (values at `0..=d`) of a plain sum-check of `inst` on `claim`
    /// at the challenges `r`, and the tables' values at `r` (as `sumcheck::zk`'s tests).
    fn f_parts<F: BaseField, E: ExtField<F>>(
        inst: Instance<F, E>,
        claim: E,
        r: &[E],
    ) -> (Vec<Vec<E>>, Vec<E>) {
        use crate::sumcheck::{full_evals, interpolate, RoundProver};
        let mut own = RoundProver::new(inst, claim);
        let mut parts = Vec::new();
        for &rj in r {
            let msg = own.message();
            let full = full_evals(&msg, own.claim());
            parts.push(
                (0..=DEGREE)
                    .map(|t| interpolate(&full, E::from(t as u64)))
                    .collect(),
            );
            own.bind(&msg, rj);
        }
        (parts, own.finish().1)
    }

    /// The simulator's step run backwards (as `sumcheck::zk`'s tests): the Libra mask under
    /// which rounds with these f-parts give exactly `proof`.
    fn solve_mask<E: Field>(
        proof: &crate::sumcheck::zk::ZkProof<E>,
        claim: E,
        rho: E,
        r: &[E],
        parts: &[Vec<E>],
    ) -> Vec<E> {
        use crate::sumcheck::{full_evals, interpolate};
        let pow2 = |k: usize| E::from(2u64).pow([k as u64]);
        let n = r.len();
        let rho_inv = rho.inverse().unwrap();
        let mut running = claim + rho * proof.mask_sum;
        let mut values: Vec<Vec<E>> = Vec::new();
        for (j, (&rj, part)) in r.iter().zip(parts).enumerate() {
            let full = full_evals(&proof.sumcheck.rounds[j].evals, running);
            let dd: Vec<E> = (0..=DEGREE)
                .map(|t| (full[t] - part[t]) * rho_inv)
                .collect();
            let scale_inv = pow2(n - j - 1).inverse().unwrap();
            values.push((1..=DEGREE).map(|t| (dd[t] - dd[0]) * scale_inv).collect());
            running = interpolate(&full, rj);
        }
        let ones: E = values.iter().map(|v| v[0]).sum();
        let a0 = (proof.mask_sum - ones * pow2(n - 1)) * pow2(n).inverse().unwrap();
        std::iter::once(a0)
            .chain(values.into_iter().flatten())
            .collect()
    }

    /// Puts the solved scalar of a step's private table `j` (given the step's point) into the masks.
    type Store<'a, E> = dyn Fn(&mut Vec<E>, usize, E, &[E]) + 'a;

    /// The simulator's argument as code: from a proof of witness `s` and a *second* witness
    /// (other columns of the same shape, in range), solve fresh masks and commitment masks under
    /// which the second witness's honest prover outputs the byte-identical proof. Returns the
    /// second witness's setup. (Challenges are the same because the transcript is: the masks'
    /// commitment is the simulator's, here left out of the transcript.)
    ///
    /// `table`: the lookup's table values (a hiding lookup, `super::super::lookup`), or `None`
    /// for the range check.
    fn explain<F: BaseField, E: ExtField<F>>(
        s: &Setup<F, E>,
        proof: &ZkRangeProof<E>,
        bits: usize,
        columns2: Vec<Vec<F>>,
        table: Option<&[F]>,
    ) -> Setup<F, E> {
        let vars = s.vars();
        let mut layout = Layout::new(&vars, bits).unwrap();
        layout.lookup = table.is_some();
        let slots = slots(layout.vars, bits);
        let plain = || Transcript::new(LABEL);
        let halves = |point: &[E]| match table {
            Some(t) => value_halves::<F, E>(t, point),
            None => range_halves(point),
        };
        let (_, trace) = verify_layout(&layout, &halves, proof, &mut plain()).unwrap();
        let refs2: Vec<&[F]> = columns2.iter().map(Vec::as_slice).collect();
        let m2 = match table {
            Some(t) => crate::range::lookup::count_in_table(&refs2, t),
            None => count_in_range(&refs2, bits),
        };
        let alpha: E = begin(&mut plain(), &layout);
        let (cl, tl) = leaves_with(&layout, &refs2, &m2, table);
        let (cl_layers, tl_layers) = (build_layers(&cl, alpha), build_layers(&tl, alpha));
        let (pc, qc) = root(&cl, &cl_layers, alpha).fraction();
        let (pt, qt) = root(&tl, &tl_layers, alpha).fraction();

        // The commitment masks: each table's mask shifted by a constant δ so that the sent
        // w = t̃'(z) + β·(m + δ)(z) is the proof's.
        let k = vars.len();
        let (col_trace, tab_trace) = (&trace[layout.vars], &trace[layout.vars + bits]);
        let leaf_point = |t: &StepTrace<E>| -> Vec<E> {
            std::iter::once(t.mu.unwrap())
                .chain(t.masked.point.iter().copied())
                .collect()
        };
        let (z, zt) = (leaf_point(col_trace), leaf_point(tab_trace));
        let (beta, beta_t) = (col_trace.masked.beta, tab_trace.masked.beta);
        let mut delta: Vec<E> = (0..k)
            .map(|i| {
                let zi = &z[..vars[i]];
                (proof.column_values[i] - evaluate_base(&columns2[i], zi)) / beta
                    - s.tables.mask_at(i, zi)
            })
            .collect();
        delta.push(
            (proof.multiplicities_value - evaluate_base(&m2, &zt)) / beta_t
                - s.tables.mask_at(k, &zt),
        );
        let tables2 = ExplicitMasks(
            s.tables
                .0
                .iter()
                .zip(&delta)
                .map(|(t, &dl)| t.iter().map(|&x| x + dl).collect())
                .collect(),
        );

        let mut masks2 = vec![E::ZERO; s.masks.len()];
        // One step: its f-parts on the second witness, the scalars that give the proof's masked
        // values (`store` puts the scalar of private table `j` where it belongs), the mask.
        let mut solve = |slot: &MaskSlot,
                         tr: &StepTrace<E>,
                         step: &MaskedProof<E>,
                         kind: Kind,
                         tables: Vec<Mle<F, E>>,
                         store: &Store<'_, E>| {
            let ell = linear(&tr.ell, &masks2);
            let (terms, private) = step_terms_of(kind, tr.lambda, alpha, ell);
            let inst = Instance::new(tables, terms.clone()).unwrap();
            let (mut parts, values) = f_parts(inst, tr.claim, &tr.masked.point);
            let beta = tr.masked.beta;
            let mut sigma = vec![E::ZERO; values.len()];
            let mut v = tr.masked.values.iter();
            for (j, _) in private.iter().enumerate().filter(|(_, &p)| p) {
                sigma[j] = (*v.next().unwrap() - values[j]) / beta;
                store(&mut masks2, j, sigma[j], &tr.masked.point);
            }
            parts.push(
                (0..=DEGREE)
                    .map(|t| {
                        let b = E::from(t as u64);
                        let at: Vec<E> = values
                            .iter()
                            .zip(&sigma)
                            .map(|(&x, &c)| x + b * c)
                            .collect();
                        (E::ONE - b) * Instance::<F, E>::combine(&terms, &at)
                    })
                    .collect(),
            );
            let mut full = tr.masked.point.clone();
            full.push(beta);
            let g = solve_mask(&step.zk, tr.claim, tr.masked.weight, &full, &parts);
            masks2[slot.mask..slot.scalars].copy_from_slice(&g);
        };
        let join = slots[0];
        solve(
            &join,
            &trace[0],
            &proof.join,
            Kind::Join,
            vec![
                Mle::Ext(vec![pc]),
                Mle::Ext(vec![pt]),
                Mle::Ext(vec![qc]),
                Mle::Ext(vec![qt]),
            ],
            &|m, j, c, _| m[join.scalars + j] = c,
        );
        for (tree, leaves, layers, offset, n) in [
            (Tree::Columns, &cl, cl_layers, 1, layout.vars),
            (Tree::Table, &tl, tl_layers, 1 + layout.vars, bits),
        ] {
            let mut point: Vec<E> = Vec::new();
            let mut layers = layers.into_iter();
            for d in 0..n {
                let (slot, tr) = (&slots[offset + d], &trace[offset + d]);
                let kind = kind_of(tree, d, n);
                let layer = if d + 1 < n { layers.next() } else { None };
                let tables = step_tables(kind, layer, leaves, &point, alpha);
                let step = match tree {
                    Tree::Columns => &proof.columns[d],
                    Tree::Table => &proof.table[d],
                };
                let sc = slot.scalars;
                // The leaves' scalar is M'(b, r') + u_b: store u_b.
                let packed_mask = |y: &[E]| -> E {
                    match tree {
                        Tree::Columns => {
                            let m: Vec<E> =
                                (0..k).map(|i| tables2.mask_at(i, &y[..vars[i]])).collect();
                            layout.packed_value(y, &m).unwrap()
                        }
                        Tree::Table => tables2.mask_at(k, y),
                    }
                };
                let store = |m: &mut Vec<E>, j: usize, c: E, r: &[E]| match kind {
                    Kind::Internal => m[sc + j - 1] = c,
                    _ => {
                        let b = if j == 1 { E::ZERO } else { E::ONE };
                        let y: Vec<E> = std::iter::once(b).chain(r.iter().copied()).collect();
                        m[sc + j - 1] = c - packed_mask(&y);
                    }
                };
                solve(slot, tr, step, kind, tables, &store);
                point = std::iter::once(tr.mu.unwrap())
                    .chain(tr.masked.point.iter().copied())
                    .collect();
            }
        }
        Setup {
            columns: columns2,
            m: m2,
            masks: masks2,
            tables: tables2,
        }
    }

    /// Zero knowledge as code: a second witness with the same shape (here all zeros, and
    /// uniformly random columns) is explained by solved masks — the second witness's honest
    /// prover gives the byte-identical proof. The solved masks are an affine image of the first
    /// (uniform) ones, so the proof's distribution does not depend on the witness.
    fn explains_any_witness<F: BaseField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for &(vars, bits) in SHAPES {
            let s = Setup::<F, E>::random(&mut rng, vars, bits);
            let plain = || Transcript::new(LABEL);
            let (proof, _) =
                prove::<F, E>(&s.refs(), bits, &s.m, &s.masks, &s.tables, &mut plain()).unwrap();
            let zeros: Vec<Vec<F>> = vars.iter().map(|&v| vec![F::from(0u64); 1 << v]).collect();
            let other = Setup::<F, E>::random(&mut rng, vars, bits).columns;
            for columns2 in [zeros, other] {
                if columns2 == s.columns {
                    continue;
                }
                let s2 = explain(&s, &proof, bits, columns2, None);
                assert_ne!(s2.masks, s.masks);
                let (proof2, claims2) =
                    prove::<F, E>(&s2.refs(), bits, &s2.m, &s2.masks, &s2.tables, &mut plain())
                        .unwrap();
                assert_eq!(proof2, proof, "{vars:?}, bits {bits}: the same proof");
                assert_eq!(s2.first_false(&claims2), None, "and its claims hold");
            }
        }
    }

    #[test]
    fn zk_range_explains_any_witness() {
        explains_any_witness::<Goldilocks, GoldilocksExt2>(12);
        explains_any_witness::<Bn254Fr, Bn254Fr>(13);
    }

    /// The same for the hiding lookup (`range::lookup::prove_zk`): columns of entries of a
    /// public table with repeated values (`T(t) = t² mod 2^bits + t`, `T(0) = 0`), and second
    /// witnesses of all zeros and of other table entries, explained by solved masks into the
    /// byte-identical proof.
    fn lookup_explains_any_witness<F: BaseField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for &(vars, bits) in SHAPES {
            let table: Vec<F> = (0..1u64 << bits)
                .map(|t| F::from((t * t) % (1 << bits) + t))
                .collect();
            let entries = |rng: &mut StdRng| -> Vec<Vec<F>> {
                vars.iter()
                    .map(|&v| {
                        (0..1usize << v)
                            .map(|_| table[rng.gen_range(0..table.len())])
                            .collect()
                    })
                    .collect()
            };
            let first = entries(&mut rng);
            let mut s = Setup::<F, E>::with_columns(&mut rng, first, bits);
            let refs: Vec<&[F]> = s.columns.iter().map(Vec::as_slice).collect();
            s.m = crate::range::lookup::count_in_table(&refs, &table);
            let plain = || Transcript::new(LABEL);
            let (proof, _) = crate::range::lookup::prove_zk::<F, E>(
                false,
                &s.refs(),
                &table,
                &s.m,
                &s.masks,
                &s.tables,
                &mut plain(),
            )
            .unwrap();
            let zeros: Vec<Vec<F>> = vars.iter().map(|&v| vec![F::from(0u64); 1 << v]).collect();
            for columns2 in [zeros, entries(&mut rng)] {
                if columns2 == s.columns {
                    continue;
                }
                let s2 = explain(&s, &proof, bits, columns2, Some(&table));
                assert_ne!(s2.masks, s.masks);
                let (proof2, claims2) = crate::range::lookup::prove_zk::<F, E>(
                    false,
                    &s2.refs(),
                    &table,
                    &s2.m,
                    &s2.masks,
                    &s2.tables,
                    &mut plain(),
                )
                .unwrap();
                assert_eq!(proof2, proof, "{vars:?}, bits {bits}: the same proof");
                assert_eq!(s2.first_false(&claims2), None, "and its claims hold");
            }
        }
    }

    #[test]
    fn zk_lookup_explains_any_witness() {
        lookup_explains_any_witness::<Goldilocks, GoldilocksExt2>(14);
        lookup_explains_any_witness::<Bn254Fr, Bn254Fr>(15);
    }

    /// Cost against the transparent range check, same run (`cargo test --lib
    /// range::zk::tests::zk_range_cost -- --ignored --nocapture`; the test profile is
    /// opt-level 3). Four columns of 1/2, 1/4, 1/8, 1/8 of the entries, as `benches/range.rs`.
    #[test]
    #[ignore]
    fn zk_range_cost() {
        use std::time::Instant;
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(11);
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        for (log, bits) in [(16usize, 8usize), (16, 16), (20, 8), (20, 16)] {
            let vars = [log - 1, log - 2, log - 3, log - 3];
            let s = Setup::<F, E>::random(&mut rng, &vars, bits);
            let (mut tp, mut tv, mut zp, mut zv) = (vec![], vec![], vec![], vec![]);
            let (mut t_size, mut z_size) = (0, 0);
            for _ in 0..3 {
                let now = Instant::now();
                let (proof, _) =
                    crate::range::prove::<F, E>(&s.refs(), bits, &s.m, &mut s.transcript())
                        .unwrap();
                tp.push(now.elapsed().as_secs_f64() * 1e3);
                let now = Instant::now();
                crate::range::verify::<F, E>(&vars, bits, &proof, &mut s.transcript()).unwrap();
                tv.push(now.elapsed().as_secs_f64() * 1e3);
                t_size = proof.compressed_size();
                let now = Instant::now();
                let (proof, _) = s.prove(bits);
                zp.push(now.elapsed().as_secs_f64() * 1e3);
                let now = Instant::now();
                s.verify(bits, &proof).unwrap();
                zv.push(now.elapsed().as_secs_f64() * 1e3);
                z_size = proof.compressed_size();
            }
            let (tp, tv, zp, zv) = (median(tp), median(tv), median(zp), median(zv));
            println!(
                "2^{log} entries, bits {bits}: transparent prove {tp:.2} ms, verify {tv:.2} ms, proof {t_size} B | zk prove {zp:.2} ms, verify {zv:.2} ms, proof {z_size} B | ×{:.2} ×{:.2} ×{:.2} | masks {}",
                zp / tp,
                zv / tv,
                z_size as f64 / t_size as f64,
                s.masks.len(),
            );
        }
    }
}
