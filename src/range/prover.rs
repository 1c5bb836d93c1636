//! The range-check prover: multiplicities, the two fraction trees (built bottom-up in one pass
//! each), and one degree-3 sum-check per layer from the root halves down to the leaves.

use super::layer::{self, dense_count, Child, Padded};
use super::{
    absorb_values, begin, claims, Halves, LayerProof, Layout, Proof, RangeClaims, RangeError, Tree,
    TreeProof,
};
use crate::field::{lift, BaseField, ExtField};
use crate::parallel::{collect_indexed, map_reduce, map_reduce_per_thread};
use crate::transcript::TranscriptExt;
use ark_ff::PrimeField;
use merlin::Transcript;
use std::borrow::Cow;

/// The entry as a table index, if it lies in `[0, 2^bits)`.
#[inline]
fn table_index<F: PrimeField>(v: &F, bits: usize) -> Option<usize> {
    let b = v.into_bigint();
    let (&lo, hi) = b.as_ref().split_first()?;
    (hi.iter().all(|&l| l == 0) && lo < (1u64 << bits)).then_some(lo as usize)
}

/// Occurrences of each table entry over all columns, or the first entry out of range
/// (`(column, index)`).
fn count<F: PrimeField>(columns: &[&[F]], bits: usize) -> Result<Vec<u64>, (usize, usize)> {
    let mut starts = Vec::with_capacity(columns.len());
    let mut total = 0usize;
    for c in columns {
        starts.push(total);
        total += c.len();
    }
    let size = 1usize << bits;
    map_reduce_per_thread(
        total,
        |range| {
            let mut hist = vec![0u64; size];
            for (column, (&start, c)) in starts.iter().zip(columns).enumerate() {
                let (lo, hi) = (range.start.max(start), range.end.min(start + c.len()));
                for index in lo.saturating_sub(start)..hi.saturating_sub(start) {
                    match table_index(&c[index], bits) {
                        Some(t) => hist[t] += 1,
                        None => return Err((column, index)),
                    }
                }
            }
            Ok(hist)
        },
        |a, b| match (a, b) {
            (Ok(mut a), Ok(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                Ok(a)
            }
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        },
    )
}

fn out_of_range<F: PrimeField>(
    columns: &[&[F]],
    bits: usize,
    (column, index): (usize, usize),
) -> RangeError {
    RangeError::ValueOutOfRange {
        column,
        index,
        value: columns[column][index].to_string(),
        bits,
    }
}

/// The multiplicities `m(t)`, `t < 2^bits`: how often `t` occurs over all columns. Names the
/// first entry (in column order) that is not in `[0, 2^bits)`.
pub fn multiplicities<F: BaseField>(columns: &[&[F]], bits: usize) -> Result<Vec<F>, RangeError> {
    if bits == 0 || bits > super::MAX_BITS {
        return Err(RangeError::Bits { bits });
    }
    let counts = count(columns, bits).map_err(|e| out_of_range(columns, bits, e))?;
    Ok(collect_indexed(counts.len(), |t| F::from(counts[t])))
}

/// Proves that every entry of every column lies in `[0, 2^bits)`, given the multiplicities.
///
/// **Precondition**: the caller has bound the columns and the multiplicities to `transcript`
/// (committed to them) before this call; `α` is drawn here, after them. The returned claims
/// (the same as [`super::verify`] returns) must be discharged against those commitments.
///
/// Refuses (before touching the transcript) a bad `bits`, no columns, a column whose length is
/// not a nonzero power of two, multiplicities of the wrong length, an entry out of range, or a
/// multiplicity that is not the number of occurrences.
pub fn prove<F: BaseField, E: ExtField<F>>(
    columns: &[&[F]],
    bits: usize,
    multiplicities: &[F],
    transcript: &mut Transcript,
) -> Result<(Proof<E>, RangeClaims<E>), RangeError> {
    let layout = check_witness(columns, bits, multiplicities)?;
    Ok(prove_layout(
        &layout,
        columns,
        multiplicities,
        None,
        transcript,
    ))
}

/// The layout of the statement, after the prover's preconditions: shapes, every entry in
/// range, and `multiplicities` the number of occurrences (shared with [`super::zk::prove`]).
pub(crate) fn check_witness<F: BaseField>(
    columns: &[&[F]],
    bits: usize,
    multiplicities: &[F],
) -> Result<Layout, RangeError> {
    let layout = Layout::of_columns(columns, bits)?;
    check_multiplicities_len(multiplicities, bits)?;
    let counts = count(columns, bits).map_err(|e| out_of_range(columns, bits, e))?;
    let first_wrong = map_reduce(
        counts.len(),
        |r| {
            r.into_iter()
                .find(|&t| F::from(counts[t]) != multiplicities[t])
        },
        |a, b| a.or(b),
    );
    if let Some(value) = first_wrong {
        return Err(RangeError::WrongMultiplicity {
            value,
            expected: counts[value],
            got: multiplicities[value].to_string(),
        });
    }
    Ok(layout)
}

/// [`prove`] without the checks on the entries and the multiplicities: a cheating prover for
/// tests (its proofs of false statements must be rejected). Shapes are still checked. Only with
/// the `cheat` feature, which the tests enable.
#[cfg(feature = "cheat")]
pub fn prove_unchecked<F: BaseField, E: ExtField<F>>(
    columns: &[&[F]],
    bits: usize,
    multiplicities: &[F],
    transcript: &mut Transcript,
) -> Result<(Proof<E>, RangeClaims<E>), RangeError> {
    prove_trusting(columns, bits, multiplicities, transcript)
}

/// The multiplicities of the entries in `[0, 2^bits)`, ignoring the others: what a cheating
/// prover commits (for the cheating-prover paths of the tests).
pub(crate) fn count_in_range<F: BaseField>(columns: &[&[F]], bits: usize) -> Vec<F> {
    let mut counts = vec![0u64; 1 << bits];
    for c in columns {
        for x in c.iter() {
            let v = x.into_bigint();
            let limbs = v.as_ref();
            if limbs.iter().skip(1).all(|&l| l == 0) {
                if let Some(n) = limbs.first().and_then(|&l| counts.get_mut(l as usize)) {
                    *n += 1;
                }
            }
        }
    }
    counts.into_iter().map(F::from).collect()
}

/// [`prove`] without the checks on the entries and the multiplicities (the caller computed them
/// or is a test's cheating prover).
pub(crate) fn prove_trusting<F: BaseField, E: ExtField<F>>(
    columns: &[&[F]],
    bits: usize,
    multiplicities: &[F],
    transcript: &mut Transcript,
) -> Result<(Proof<E>, RangeClaims<E>), RangeError> {
    let layout = Layout::of_columns(columns, bits)?;
    check_multiplicities_len(multiplicities, bits)?;
    Ok(prove_layout(
        &layout,
        columns,
        multiplicities,
        None,
        transcript,
    ))
}

pub(crate) fn check_multiplicities_len<F>(m: &[F], bits: usize) -> Result<(), RangeError> {
    if m.len() != 1 << bits {
        return Err(RangeError::MultiplicitiesLength {
            expected: 1 << bits,
            got: m.len(),
        });
    }
    Ok(())
}

/// A tree's `2^vars` leaves over `F`: numerators `num` (all ones when `None`) and denominators
/// `α − den`. Without numerators `den` may stop early: the leaves after it are the padding
/// `(1, α − 0)`, never stored (their subtrees are constants, [`padding_node`]). `den` holds
/// `2^vars` entries, or a multiple of 8 of them (so that every pair of entries of the leaves'
/// parents, whose sums and folds the prover computes from the leaves, is stored or padding).
pub(crate) struct Leaves<'a, F: Clone> {
    pub(crate) num: Option<Cow<'a, [F]>>,
    pub(crate) den: Cow<'a, [F]>,
    pub(crate) vars: usize,
}

impl<'a, F: BaseField> Leaves<'a, F> {
    /// Leaves stored whole (`den` of a power-of-two length).
    #[cfg(test)]
    pub(crate) fn full(num: Option<Cow<'a, [F]>>, den: Cow<'a, [F]>) -> Self {
        let vars = den.len().trailing_zeros() as usize;
        Self { num, den, vars }
    }

    pub(crate) fn vars(&self) -> usize {
        self.vars
    }

    pub(crate) fn num(&self, i: usize) -> F {
        self.num.as_ref().map_or(F::ONE, |n| n[i])
    }

    /// Leaf `i`'s `c` (`q = α − c`): 0 in the padding.
    pub(crate) fn den_at(&self, i: usize) -> F {
        self.den.get(i).copied().unwrap_or(F::ZERO)
    }
}

/// The node at `height` above the leaves whose subtree is all padding: from the leaf
/// `(1, α)`, `(p, q) ← (p·q + p·q, q·q)`, so `(2^h·α^{2^h − 1}, α^{2^h})`.
pub(crate) fn padding_node<E: ExtField<F>, F: BaseField>(alpha: E, height: usize) -> (E, E) {
    let (mut p, mut q) = (E::ONE, alpha);
    for _ in 0..height {
        (p, q) = ((p * q).double(), q.square());
    }
    (p, q)
}

/// Packed entries stored: the columns' `N` rounded up to a multiple of 8 (at most `2^n`); the
/// rest of the table is zeros that the trees take as padding in closed form.
fn stored_leaves(layout: &Layout) -> usize {
    layout.total.next_multiple_of(8).min(1 << layout.vars)
}

/// The packed columns table up to [`stored_leaves`]: each column at its offset, zeros after
/// the last.
pub(crate) fn pack<F: BaseField>(layout: &Layout, columns: &[&[F]]) -> Vec<F> {
    let mut packed = crate::poly::zeros(stored_leaves(layout));
    for (c, &o) in columns.iter().zip(&layout.offsets) {
        packed[o..o + c.len()].copy_from_slice(c);
    }
    #[cfg(test)]
    if tests::FULL_PADDING.with(|f| f.get()) {
        packed.resize(1 << layout.vars, F::ZERO);
    }
    packed
}

/// `0, 1, …, 2^bits − 1` in `F` (by additions, in parallel chunks).
pub(crate) fn table<F: BaseField>(bits: usize) -> Vec<F> {
    let mut t = vec![F::ZERO; 1 << bits];
    crate::parallel::for_each_chunk_mut(&mut t, |start, chunk| {
        let mut x = F::from(start as u64);
        for v in chunk {
            *v = x;
            x += F::ONE;
        }
    });
    t
}

/// The two trees' leaves: the packed columns `(1, α − c(x))` (one column filling the tree is
/// its own packed table) and the table `(m'(t), α − t)`, `m'` counting the padding as lookups of 0.
#[cfg(test)]
pub(crate) fn leaves<'a, F: BaseField>(
    layout: &Layout,
    columns: &[&'a [F]],
    m: &'a [F],
) -> (Leaves<'a, F>, Leaves<'a, F>) {
    leaves_with(layout, columns, m, None)
}

/// `leaves` with the table's values given (a lookup; its entry 0 is 0), or the range
/// `0, …, 2^bits − 1` when `None`.
pub(crate) fn leaves_with<'a, F: BaseField>(
    layout: &Layout,
    columns: &[&'a [F]],
    m: &'a [F],
    values: Option<&'a [F]>,
) -> (Leaves<'a, F>, Leaves<'a, F>) {
    let pad = layout.pad();
    let column_leaves = Leaves {
        num: None,
        den: match columns {
            [c] if pad == 0 => Cow::Borrowed(*c),
            _ => Cow::Owned(pack(layout, columns)),
        },
        vars: layout.vars,
    };
    let table_num = if pad == 0 {
        Cow::Borrowed(m)
    } else {
        let mut m = m.to_vec();
        m[0] += F::from(pad as u64);
        Cow::Owned(m)
    };
    let table_leaves = Leaves {
        num: Some(table_num),
        den: match values {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(table(layout.bits)),
        },
        vars: layout.bits,
    };
    (column_leaves, table_leaves)
}

pub(crate) fn prove_layout<F: BaseField, E: ExtField<F>>(
    layout: &Layout,
    columns: &[&[F]],
    m: &[F],
    values: Option<&[F]>,
    transcript: &mut Transcript,
) -> (Proof<E>, RangeClaims<E>) {
    let alpha: E = begin(transcript, layout);
    let (column_leaves, table_leaves) = leaves_with(layout, columns, m, values);
    let column_layers = build_upper_layers(&column_leaves, alpha);
    let table_layers = build_upper_layers(&table_leaves, alpha);
    let column_root = root(&column_leaves, &column_layers, alpha);
    let table_root = root(&table_leaves, &table_layers, alpha);
    column_root.absorb(transcript, b"range-root");
    table_root.absorb(transcript, b"range-root");

    let (columns_proof, columns_point, _) = prove_tree(
        Tree::Columns,
        &column_leaves,
        column_layers,
        column_root,
        alpha,
        transcript,
    );
    let (table_proof, table_point, (p_leaf, _)) = prove_tree(
        Tree::Table,
        &table_leaves,
        table_layers,
        table_root,
        alpha,
        transcript,
    );
    let column_values = column_values(layout, columns, &columns_point);
    // The table tree's numerator is m + pad·[t = 0]: m̃(r) = p̃(r) − pad·eq(0, r).
    let m_value = p_leaf - super::bits_eq(0, &table_point) * E::from(layout.pad() as u64);
    absorb_values(transcript, &column_values, &m_value);
    let claims = claims(
        layout,
        &columns_point,
        &table_point,
        &column_values,
        m_value,
    );
    let proof = Proof {
        columns: columns_proof,
        table: table_proof,
        column_values,
        multiplicities_value: m_value,
    };
    (proof, claims)
}

/// `c̃_i(r[..n_i])` for each column.
fn column_values<F: BaseField, E: ExtField<F>>(
    layout: &Layout,
    columns: &[&[F]],
    point: &[E],
) -> Vec<E> {
    columns
        .iter()
        .zip(&layout.column_vars)
        .map(|(c, &n)| crate::poly::evaluate_split(c, &point[..n]))
        .collect()
}

/// Layers `1 … n − 1` of a tree, `layers[d − 1]` = layer `d` as `2^{d−1}` entries
/// `[p(2i), q(2i), p(2i + 1), q(2i + 1)]` (the layout [`layer`] works on): the entries that
/// touch a stored leaf, then the padding's constant.
pub(crate) fn build_layers<F: BaseField, E: ExtField<F>>(
    leaves: &Leaves<F>,
    alpha: E,
) -> Vec<Padded<[E; 4]>> {
    let mut layers = build_upper_layers(leaves, alpha);
    if leaves.vars() >= 2 {
        let parents = Parents::new(leaves, alpha);
        let len = parents.len();
        layers.push(Padded {
            dense: collect_indexed(dense_count(parents.dense_len(), len), |i| parents.get(i)),
            tail: parents.tail(),
            len,
        });
    }
    layers
}

/// The entry `[p0, q0, p1, q1]` of two nodes' parents from the four nodes' entries
/// `[p, q, p', q']` (each a pair of siblings).
#[inline(always)]
fn parent_entry<E: ExtField<F>, F: BaseField>(a: [E; 4], b: [E; 4]) -> [E; 4] {
    let node = |[p0, q0, p1, q1]: [E; 4]| {
        (
            E::add_mul_fast(&E::mul_fast(&p0, &q1), &p1, &q0),
            E::mul_fast(&q0, &q1),
        )
    };
    let ((p0, q0), (p1, q1)) = (node(a), node(b));
    [p0, q0, p1, q1]
}

/// Layers `1 … n − 2` of a tree, as [`build_layers`] gives them: every layer but the leaves'
/// parents, which the prover recomputes from the leaves when it needs them
/// ([`Child::Parents`]); they would be half of the tree's memory. Entries over the padding
/// only are not computed: each layer's are one constant.
pub(crate) fn build_upper_layers<F: BaseField, E: ExtField<F>>(
    leaves: &Leaves<F>,
    alpha: E,
) -> Vec<Padded<[E; 4]>> {
    let n = leaves.vars();
    let mut layers: Vec<Padded<[E; 4]>> = Vec::with_capacity(n.saturating_sub(2));
    if n < 3 {
        return layers;
    }
    let parents = Parents::new(leaves, alpha);
    // Layer n − 2 from the leaves' parents, computed on the fly (their dense part is even).
    let tail = parents.tail();
    let len = parents.len() / 2;
    layers.push(Padded {
        dense: collect_indexed(dense_count(parents.dense_len() / 2, len), |i| {
            parent_entry::<E, F>(parents.get(2 * i), parents.get(2 * i + 1))
        }),
        tail: parent_entry::<E, F>(tail, tail),
        len,
    });
    while let Some(child) = layers.last().filter(|l| l.len > 1) {
        // The child's entries past its dense part are its tail; the parent's dense part
        // covers the child's.
        let len = child.len / 2;
        let parent = Padded {
            dense: collect_indexed(dense_count(child.dense.len().div_ceil(2), len), |i| {
                parent_entry::<E, F>(child.get(2 * i), child.get(2 * i + 1))
            }),
            tail: parent_entry::<E, F>(child.tail, child.tail),
            len,
        };
        layers.push(parent);
    }
    layers.reverse();
    layers
}

/// The layer above the leaves (layer `n − 2`'s children, `n − 1`), computed from the leaves
/// entry by entry: node `j` is `p = α(n0 + n1) − (n0·c1 + n1·c0)`, `q = α² − α(c0 + c1) +
/// c0·c1` over leaves `2j, 2j + 1` (numerators 1: `p = 2α − (c0 + c1)`), in `F` as far as
/// possible. Entries from [`Parents::dense_len`] on are over the padding: [`Parents::tail`].
pub(crate) struct Parents<'a, F: Clone, E> {
    leaves: &'a Leaves<'a, F>,
    alpha: E,
    alpha2: E,
}

impl<'a, F: BaseField, E: ExtField<F>> Parents<'a, F, E> {
    pub(crate) fn new(leaves: &'a Leaves<'a, F>, alpha: E) -> Self {
        Self {
            leaves,
            alpha,
            alpha2: alpha.square(),
        }
    }

    /// Entries (`2^{n−2}`).
    pub(crate) fn len(&self) -> usize {
        (1 << self.leaves.vars()) / 4
    }

    /// Entries over stored leaves (even when `n ≥ 3`: the stored leaves are a multiple of 8).
    pub(crate) fn dense_len(&self) -> usize {
        self.leaves.den.len() / 4
    }

    /// Every entry from [`Parents::dense_len`] on: `[2α, α², 2α, α²]`.
    pub(crate) fn tail(&self) -> [E; 4] {
        let (p, q) = padding_node::<E, F>(self.alpha, 1);
        [p, q, p, q]
    }

    /// Node `j`'s `(p, q)`.
    #[inline(always)]
    fn node(&self, j: usize) -> (E, E) {
        let den = &self.leaves.den;
        let (c0, c1) = (den[2 * j], den[2 * j + 1]);
        let q = self.alpha2 + E::add_base_mul_base(&(c0 * c1), &self.alpha, &-(c0 + c1));
        let p = match &self.leaves.num {
            None => E::add_base_mul_base(&-(c0 + c1), &self.alpha, &F::from(2u64)),
            Some(num) => {
                let (n0, n1) = (num[2 * j], num[2 * j + 1]);
                E::add_base_mul_base(&-(n0 * c1 + n1 * c0), &self.alpha, &(n0 + n1))
            }
        };
        (p, q)
    }

    /// Entry `i < dense_len()`: `[p(2i), q(2i), p(2i + 1), q(2i + 1)]`.
    #[inline(always)]
    pub(crate) fn entry(&self, i: usize) -> [E; 4] {
        let ((p0, q0), (p1, q1)) = (self.node(2 * i), self.node(2 * i + 1));
        [p0, q0, p1, q1]
    }

    /// Entry `i < len()`.
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> [E; 4] {
        if i < self.dense_len() {
            self.entry(i)
        } else {
            self.tail()
        }
    }
}

/// Layer 1's two entries.
pub(crate) fn root<F: BaseField, E: ExtField<F>>(
    leaves: &Leaves<F>,
    layers: &[Padded<[E; 4]>],
    alpha: E,
) -> Halves<E> {
    let first = match layers.first() {
        Some(l) => Some(l.get(0)),
        None => (leaves.vars() == 2).then(|| Parents::new(leaves, alpha).entry(0)),
    };
    match first {
        Some([p0, q0, p1, q1]) => Halves { p0, p1, q0, q1 },
        None => Halves {
            p0: lift(leaves.num(0)),
            p1: lift(leaves.num(1)),
            q0: alpha - lift::<E>(leaves.den_at(0)),
            q1: alpha - lift::<E>(leaves.den_at(1)),
        },
    }
}

/// Proves one tree from its root halves to its leaves; returns the proof, the leaf point and
/// the claimed `(p̃, q̃)` there.
fn prove_tree<F: BaseField, E: ExtField<F>>(
    tree: Tree,
    leaves: &Leaves<F>,
    layers: Vec<Padded<[E; 4]>>,
    root: Halves<E>,
    alpha: E,
    t: &mut Transcript,
) -> (TreeProof<E>, Vec<E>, (E, E)) {
    let n = leaves.vars();
    t.domain_separator(b"range-tree", &[tree.id(), n as u64]);
    let mu: E = t.challenge_field(b"range-mu");
    let mut values = root.at(mu);
    let mut point = vec![mu];
    let mut proofs = Vec::with_capacity(n.saturating_sub(1));
    // Layer d + 1 (the child of the layer-d claim) for d = 1 … n − 1; each stored layer is
    // consumed (folded in place) by its reduction; the leaves' parents (layer n − 1) are
    // recomputed from the leaves.
    let mut children = layers.into_iter().skip(1);
    for d in 1..n {
        let lambda: E = t.challenge_field(b"range-lambda");
        let claim = values.0 + lambda * values.1;
        let child = match children.next() {
            Some(l) => Child::Layer(l),
            None if d + 1 < n => Child::Parents(Parents::new(leaves, alpha)),
            None => Child::Leaves(leaves),
        };
        let (sumcheck, r, halves) = layer::prove(child, &point, lambda, claim, alpha, t);
        halves.absorb(t, b"range-halves");
        let mu: E = t.challenge_field(b"range-mu");
        values = halves.at(mu);
        point = std::iter::once(mu).chain(r).collect();
        proofs.push(LayerProof { sumcheck, halves });
    }
    (
        TreeProof {
            root,
            layers: proofs,
        },
        point,
        values,
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::codec::to_bytes;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
    use proptest::prelude::*;
    use std::cell::Cell;

    thread_local! {
        /// [`pack`] stores the padding as data: the full computation of every padded node,
        /// as the prover did before the padding's closed form (the equality oracle's old path).
        pub(crate) static FULL_PADDING: Cell<bool> = const { Cell::new(false) };
    }

    /// Runs `f` with the columns' padding stored as data ([`FULL_PADDING`]) on this thread.
    pub(crate) fn with_full_padding<T>(f: impl FnOnce() -> T) -> T {
        FULL_PADDING.with(|p| p.set(true));
        let out = f();
        FULL_PADDING.with(|p| p.set(false));
        out
    }

    fn leaves_of<F: BaseField>(rng: &mut StdRng, n: usize, ones: bool) -> Leaves<'static, F> {
        let den: Vec<F> = (0..1 << n)
            .map(|_| F::from(rng.gen_range(0..100u64)))
            .collect();
        let num = (!ones).then(|| {
            Cow::Owned(
                (0..1 << n)
                    .map(|_| F::from(rng.gen_range(0..5u64)))
                    .collect(),
            )
        });
        Leaves::full(num, Cow::Owned(den))
    }

    /// The tree's root by plain fraction sums, against the layers.
    fn check_tree<F: BaseField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for n in 1..7 {
            for ones in [false, true] {
                let leaves = leaves_of::<F>(&mut rng, n, ones);
                let alpha = E::from(1000u64) + E::rand(&mut rng);
                let layers = build_layers(&leaves, alpha);
                assert_eq!(layers.len(), n - 1);
                for (d, l) in layers.iter().enumerate() {
                    assert_eq!(l.len, 1 << d);
                    assert_eq!(l.dense.len(), 1 << d, "no padding");
                }
                // The prover's tree lacks the leaves' parents and has the same root.
                let upper = build_upper_layers(&leaves, alpha);
                assert_eq!(upper[..], layers[..n.saturating_sub(2)]);
                assert_eq!(root(&leaves, &upper, alpha), root(&leaves, &layers, alpha));
                let (p, q) = root(&leaves, &layers, alpha).fraction();
                let sum: E = (0..1 << n)
                    .map(|i| {
                        lift::<E>(leaves.num(i))
                            * (alpha - lift::<E>(leaves.den[i])).inverse().unwrap()
                    })
                    .sum();
                assert_eq!(p * q.inverse().unwrap(), sum);
                // Without numerators, the same leaves with a zero tail not stored: the same
                // layers entry by entry, and only the entries over stored leaves computed.
                if ones && n >= 3 {
                    let mut den = leaves.den.to_vec();
                    let stored = 8 * rng.gen_range(1..=(1usize << n) / 8);
                    den[stored..].fill(F::ZERO);
                    let full = Leaves::full(None, Cow::Owned(den.clone()));
                    den.truncate(stored);
                    let trimmed = Leaves {
                        num: None,
                        den: Cow::Owned(den),
                        vars: n,
                    };
                    let (a, b) = (build_layers(&full, alpha), build_layers(&trimmed, alpha));
                    assert_eq!(a.len(), b.len());
                    for (d, (x, y)) in a.iter().zip(&b).enumerate() {
                        assert_eq!(
                            x.to_vec(),
                            y.to_vec(),
                            "n = {n}, stored {stored}, layer {}",
                            d + 1
                        );
                        // Layer d + 1's entries cover 2^{n − d} leaves each.
                        let cover = 1usize << (n - d);
                        assert_eq!(
                            y.dense.len(),
                            dense_count(stored.div_ceil(cover), 1 << d),
                            "n = {n}, stored {stored}"
                        );
                    }
                    assert_eq!(root(&full, &a, alpha), root(&trimmed, &b, alpha));
                }
            }
        }
    }

    #[test]
    fn padding_node_is_the_closed_form() {
        use ark_ff::Field;
        use ark_std::UniformRand;
        let alpha =
            GoldilocksExt2::from(7u64) + GoldilocksExt2::rand(&mut StdRng::seed_from_u64(5));
        for h in 0..6u32 {
            let (p, q) = padding_node::<GoldilocksExt2, Goldilocks>(alpha, h as usize);
            let e = 1u64 << h;
            assert_eq!(q, alpha.pow([e]));
            assert_eq!(p, GoldilocksExt2::from(e) * alpha.pow([e - 1]));
        }
    }

    /// Random columns of `2^vars[i]` entries in `[0, 2^bits)`.
    fn columns_of<F: BaseField>(rng: &mut StdRng, vars: &[usize], bits: usize) -> Vec<Vec<F>> {
        vars.iter()
            .map(|&v| {
                (0..1usize << v)
                    .map(|_| F::from(rng.gen_range(0..1u64 << bits)))
                    .collect()
            })
            .collect()
    }

    /// The prover's proof, claims and transcript state equal the full computation's (the
    /// padding stored as data and every node of it computed), byte for byte.
    fn same_as_full<F: BaseField, E: ExtField<F>>(seed: u64, vars: &[usize], bits: usize) {
        let mut rng = StdRng::seed_from_u64(seed);
        let columns = columns_of::<F>(&mut rng, vars, bits);
        let refs: Vec<&[F]> = columns.iter().map(Vec::as_slice).collect();
        let m = multiplicities(&refs, bits).unwrap();
        let run = || {
            let mut t = Transcript::new(b"padding");
            let (proof, claims) = prove::<F, E>(&refs, bits, &m, &mut t).unwrap();
            (to_bytes(&proof), claims, t.challenge_field::<E>(b"after"))
        };
        let new = run();
        let old = with_full_padding(run);
        assert!(new == old, "vars {vars:?}, bits {bits}");
    }

    #[test]
    fn padding_in_closed_form_changes_no_byte() {
        // Padded tails from none to most of the tree, sizes across the parallel threshold.
        let mut cases: Vec<(Vec<usize>, usize)> = vec![(vec![3], 4), (vec![13], 8), (vec![0], 1)];
        for k in [1usize, 2, 3, 4, 7, 11, 12, 13, 14] {
            // 2^k + 1 entries: a tree of 2^{k+1} leaves, almost half padding.
            cases.push((vec![k, 0], 5));
            // 2^k − 1 entries: one padded leaf.
            cases.push(((0..k).rev().collect(), 6));
            // 2^k + 2^{k−2}: most of the tree padding.
            if k >= 2 {
                cases.push((vec![k - 2, k], 3));
            }
        }
        cases.push((vec![13, 12, 11], 10));
        cases.push((vec![12, 12, 12, 3, 3, 0], 7));
        for (i, (vars, bits)) in cases.iter().enumerate() {
            same_as_full::<Goldilocks, GoldilocksExt2>(i as u64, vars, *bits);
        }
        for (vars, bits) in [(vec![5, 0], 3), (vec![12, 10, 0], 4), (vec![4, 3, 2], 2)] {
            same_as_full::<Bn254Fr, Bn254Fr>(9, &vars, bits);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn padding_in_closed_form_changes_no_byte_random(
            vars in proptest::collection::vec(0usize..14, 1..6),
            bits in 1usize..10,
            seed: u64,
        ) {
            same_as_full::<Goldilocks, GoldilocksExt2>(seed, &vars, bits);
        }
    }

    #[test]
    fn tree_root_is_the_fraction_sum() {
        check_tree::<Goldilocks, GoldilocksExt2>(1);
        check_tree::<Bn254Fr, Bn254Fr>(2);
    }
}
