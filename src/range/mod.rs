//! Range checks by a logUp lookup argument proven with a GKR over fractions (logUp-GKR,
//! Papini–Haböck, eprint 2023/1284, §3 and §4).
//!
//! **Statement.** Columns `c_0, …, c_{k−1}` over `F` (column `i` has `2^{n_i}` entries) and
//! `bits`: every entry lies in `T = {0, …, 2^bits − 1}`. The prover also holds the
//! multiplicities `m(t)` = the number of occurrences of `t` over all columns.
//!
//! **logUp** (§3). For `α ∈ E` drawn after the columns and `m` are bound to the transcript,
//!
//! ```text
//!     Σ_i Σ_x 1 / (α − c_i(x))  =  Σ_t m(t) / (α − t).
//! ```
//!
//! **Packing.** The columns are laid out in one table `c` of `2^n` entries: sorted by size,
//! largest first (ties in the caller's order), each at the next free offset `o_i` — a multiple
//! of its own size, so `c̃(r) = Σ_i eq(o_i / 2^{n_i}, r[n_i..]) · c̃_i(r[..n_i])`. The `pad`
//! entries after the last column are zeros and are counted as lookups of `0 ∈ T`: the table
//! side uses `m'(t) = m(t) + pad·[t = 0]`. Two fraction trees:
//!
//! ```text
//!     columns tree: 2^n leaves       (1,    α − c(x))
//!     table tree:   2^bits leaves    (m'(t), α − t)
//! ```
//!
//! **Fraction trees** (§4). Layer `d` of a tree over `n` variables has `2^d` entries
//! `(p_d(x), q_d(x))`, the leaves are layer `n`, and with `(x, b)` the index `2x + b`
//! (`b` is the child's variable `x_0`, the least significant bit, as in [`crate::poly`]):
//!
//! ```text
//!     p_d(x) = p_{d+1}(x,0)·q_{d+1}(x,1) + p_{d+1}(x,1)·q_{d+1}(x,0)
//!     q_d(x) = q_{d+1}(x,0)·q_{d+1}(x,1)
//! ```
//!
//! so the root `(P, Q)` is `Σ p/q` as one fraction. The prover sends layer 1 (the *root
//! halves*); the verifier computes both roots, checks `Q ≠ 0` for both and
//! `P_cols·Q_table = P_table·Q_cols`. A claim `(p̃_d(r), q̃_d(r)) = (a, b)` is reduced to
//! layer `d + 1` by drawing `λ` and a sum-check of degree 3 over `d` variables of
//!
//! ```text
//!     a + λ·b = Σ_x eq(r, x)·[p_{d+1}(x,0)q_{d+1}(x,1) + p_{d+1}(x,1)q_{d+1}(x,0) + λ·q_{d+1}(x,0)q_{d+1}(x,1)],
//! ```
//!
//! after which the prover sends the four *halves* `p̃_{d+1}(b, r')`, `q̃_{d+1}(b, r')` for
//! `b ∈ {0, 1}` at the sum-check's point `r'`, the verifier checks the sum-check's final claim
//! against them, draws `μ` and continues at `(μ, r')` with the halves' lines at `μ`. At the
//! leaves the verifier checks `p̃ = 1` and `q̃ = α − c̃(r)` for the columns tree (with the
//! prover's values `c̃_i(r[..n_i])`), and `p̃ = m̃(r) + pad·Π_j(1 − r_j)` and
//! `q̃ = α − Σ_j 2^j r_j` for the table tree; it returns the claims on `c̃_i` and `m̃`, which the
//! caller discharges (the columns and `m` are committed by the caller before [`prove`]).
//!
//! ```
//! use merlin::Transcript;
//! use zkcnn::field::{Goldilocks as F, GoldilocksExt2 as E};
//! use zkcnn::poly::evaluate_base;
//! use zkcnn::range;
//! use zkcnn::transcript::TranscriptExt;
//!
//! let a: Vec<F> = [3u64, 0, 7, 7].map(F::from).to_vec(); // 2^2 entries
//! let b: Vec<F> = vec![F::from(5u64)]; // 2^0 entries
//! let m = range::multiplicities(&[&a, &b], 3)?; // m[7] = 2, m[0] = m[3] = m[5] = 1
//! // The caller binds the columns and m first: here in the clear, normally their commitments.
//! let bind = |t: &mut Transcript| {
//!     t.append_fields(b"columns", &[a.as_slice(), b.as_slice()].concat());
//!     t.append_fields(b"multiplicities", &m);
//! };
//! let mut tp = Transcript::new(b"example");
//! bind(&mut tp);
//! let (proof, _) = range::prove::<F, E>(&[&a, &b], 3, &m, &mut tp)?;
//!
//! let mut tv = Transcript::new(b"example");
//! bind(&mut tv);
//! let claims = range::verify::<F, E>(&[2, 0], 3, &proof, &mut tv)?;
//! // The caller discharges the claims (here by evaluating the tables it holds).
//! assert_eq!(evaluate_base(&a, &claims.columns[0].point), claims.columns[0].value);
//! assert_eq!(evaluate_base(&b, &claims.columns[1].point), claims.columns[1].value);
//! let mc = &claims.multiplicities;
//! assert_eq!(evaluate_base(&m, &mc.point), mc.value);
//!
//! // 8 is out of range for bits = 3: the prover cannot even count it.
//! let bad = [F::from(8u64)];
//! assert!(matches!(
//!     range::multiplicities(&[&bad], 3),
//!     Err(range::RangeError::ValueOutOfRange { column: 0, index: 0, .. })
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See `spec/range.md` for the design choices (two trees, padding counted as lookups of 0), the
//! transcript, the soundness accounting and the costs. [`bits`] holds the bit-decomposition
//! range check that the spec compares against, and [`zk`] the hiding variant (`spec/zk.md`).

use crate::sumcheck::{self, EvaluationClaim, SumcheckError};
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

pub mod bits;
mod layer;
pub mod lookup;
mod prover;
mod verifier;
pub mod zk;

#[cfg(feature = "cheat")]
pub use prover::prove_unchecked;
pub(crate) use prover::{count_in_range, prove_trusting};
pub use prover::{multiplicities, prove};
pub use verifier::verify;

/// The largest `bits`: tables of up to 2^20 entries.
pub const MAX_BITS: usize = 20;

/// The largest packed columns table: 2^32 entries.
pub const MAX_TREE_VARS: usize = 32;

/// Which fraction tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    /// Leaves `(1, α − c(x))` over the packed columns.
    Columns,
    /// Leaves `(m'(t), α − t)` over the table.
    Table,
}

impl Tree {
    fn id(self) -> u64 {
        match self {
            Tree::Columns => 0,
            Tree::Table => 1,
        }
    }
}

/// The part of a proof whose length is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofPart {
    /// A tree's layer proofs (one per layer below the root halves).
    Layers {
        /// Which tree.
        tree: Tree,
    },
    /// The rounds of a layer's sum-check.
    Rounds {
        /// Which tree.
        tree: Tree,
        /// Which layer proof.
        layer: usize,
    },
    /// One round message of a layer's sum-check.
    Message {
        /// Which tree.
        tree: Tree,
        /// Which layer proof.
        layer: usize,
        /// Which round.
        round: usize,
    },
    /// The column evaluations (one per column).
    ColumnValues,
    /// The rounds of a zero-knowledge step's masked sum-check ([`zk`]).
    ZkRounds {
        /// Which step.
        step: ZkStep,
    },
    /// One round message of a zero-knowledge step's masked sum-check.
    ZkMessage {
        /// Which step.
        step: ZkStep,
        /// Which round.
        round: usize,
    },
    /// The masked values at the end of a zero-knowledge step.
    ZkValues {
        /// Which step.
        step: ZkStep,
    },
}

/// A step of the zero-knowledge range check ([`zk`]): one masked sum-check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZkStep {
    /// The top node joining the two trees' roots: its numerator must be 0.
    Join,
    /// The reduction of a tree's layer `layer` (`0` = its root) to layer `layer + 1`.
    Layer {
        /// Which tree.
        tree: Tree,
        /// The parent layer.
        layer: usize,
    },
}

/// A range-check statement that cannot be proven, or a proof the verifier rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// `bits` is outside `1..=MAX_BITS`.
    #[error("bits = {bits} is not supported (1 to {MAX_BITS})")]
    Bits {
        /// The value given.
        bits: usize,
    },
    /// There are no columns.
    #[error("a range check needs at least one column")]
    NoColumns,
    /// A column's length is zero or not a power of two.
    #[error("column {column} has {len} entries; a nonzero power of two is required")]
    ColumnLength {
        /// Which column.
        column: usize,
        /// Its length.
        len: usize,
    },
    /// A column (given by its number of variables) is larger than supported.
    #[error("column {column} has 2^{vars} entries; at most 2^{MAX_TREE_VARS} are supported")]
    ColumnVars {
        /// Which column.
        column: usize,
        /// Its number of variables.
        vars: usize,
    },
    /// The columns hold more entries in all than supported.
    #[error("the columns hold {total} entries; at most 2^{MAX_TREE_VARS} are supported")]
    TooManyEntries {
        /// Entries over all columns.
        total: u128,
    },
    /// The multiplicities do not have `2^bits` entries.
    #[error("{got} multiplicities were given; the table has {expected} entries")]
    MultiplicitiesLength {
        /// `2^bits`.
        expected: usize,
        /// Entries given.
        got: usize,
    },
    /// A column entry is not in `[0, 2^bits)` (prover precondition; [`multiplicities`]).
    #[error("column {column}, index {index}: {value} is not in [0, 2^{bits})")]
    ValueOutOfRange {
        /// Which column.
        column: usize,
        /// Which entry.
        index: usize,
        /// The entry, in decimal.
        value: String,
        /// The table's `bits`.
        bits: usize,
    },
    /// A lookup table ([`lookup`]) is not `2^bits` values, `1 ≤ bits ≤ MAX_BITS`, with
    /// entry 0 equal to 0 (the padding's entry).
    #[error("a lookup table of {len} entries (first {first}): 2^bits entries, 1 <= bits <= {MAX_BITS}, the first 0, are required")]
    LookupTable {
        /// Its length.
        len: usize,
        /// Its first entry, in decimal (empty if none).
        first: String,
    },
    /// A column entry is not in the lookup table (prover precondition;
    /// [`lookup::multiplicities`]).
    #[error("column {column}, index {index}: {value} is not in the lookup table")]
    NotInTable {
        /// Which column.
        column: usize,
        /// Which entry.
        index: usize,
        /// The entry, in decimal.
        value: String,
    },
    /// A multiplicity is not the number of occurrences (prover precondition).
    #[error("multiplicity of {value} is {got}; the columns hold {value} {expected} times")]
    WrongMultiplicity {
        /// The table entry.
        value: usize,
        /// Its number of occurrences.
        expected: u64,
        /// The multiplicity given, in decimal.
        got: String,
    },
    /// A part of the proof has the wrong length.
    #[error("malformed proof: {part:?} has {got} entries; expected {expected}")]
    ProofShape {
        /// Which part.
        part: ProofPart,
        /// Entries expected.
        expected: usize,
        /// Entries found.
        got: usize,
    },
    /// A tree's root denominator is zero.
    #[error("the {tree:?} tree's root denominator is zero")]
    ZeroDenominator {
        /// Which tree.
        tree: Tree,
    },
    /// The two roots are different fractions: the logUp identity fails.
    #[error("the columns' and the table's fraction sums differ")]
    RootMismatch,
    /// A layer's sum-check proof was rejected.
    #[error("{tree:?} tree, layer {layer}: {source}")]
    Sumcheck {
        /// Which tree.
        tree: Tree,
        /// Which layer proof.
        layer: usize,
        /// The sum-check's error.
        source: SumcheckError,
    },
    /// A layer's sum-check final claim does not match the halves sent after it.
    #[error("{tree:?} tree, layer {layer}: the halves do not match the sum-check's final claim")]
    LayerCheck {
        /// Which tree.
        tree: Tree,
        /// Which layer proof.
        layer: usize,
    },
    /// The leaves' numerator claim does not hold.
    #[error("the {tree:?} tree's leaf numerators do not match")]
    LeafNumerator {
        /// Which tree.
        tree: Tree,
    },
    /// The leaves' denominator claim does not hold.
    #[error("the {tree:?} tree's leaf denominators do not match")]
    LeafDenominator {
        /// Which tree.
        tree: Tree,
    },
    /// The zero-knowledge prover was given the wrong number of fresh masks
    /// ([`zk::mask_len`]; prover precondition).
    #[error("{got} fresh masks were given; the statement needs {expected}")]
    MasksLength {
        /// [`zk::mask_len`] of the statement.
        expected: usize,
        /// Entries given.
        got: usize,
    },
    /// A zero-knowledge step's masked sum-check was rejected (its shape is checked first, so
    /// this is not reached by proofs that decode).
    #[error("{step:?}: {source}")]
    ZkSumcheck {
        /// Which step.
        step: ZkStep,
        /// The sum-check's error.
        source: SumcheckError,
    },
}

/// `p̃`, `q̃` of a layer at `(0, r')` and `(1, r')`: the two children's halves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Halves<E: Field> {
    /// `p̃(0, r')`.
    pub p0: E,
    /// `p̃(1, r')`.
    pub p1: E,
    /// `q̃(0, r')`.
    pub q0: E,
    /// `q̃(1, r')`.
    pub q1: E,
}

impl<E: Field> Halves<E> {
    /// The parent fraction `(p0·q1 + p1·q0, q0·q1)`.
    pub fn fraction(&self) -> (E, E) {
        (self.p0 * self.q1 + self.p1 * self.q0, self.q0 * self.q1)
    }

    /// The summand of a layer's sum-check at these halves: `p0·q1 + p1·q0 + λ·q0·q1`.
    pub fn layer_value(&self, lambda: E) -> E {
        let (p, q) = self.fraction();
        p + lambda * q
    }

    /// The lines through the halves at `μ`: `(p̃(μ, r'), q̃(μ, r'))`.
    pub fn at(&self, mu: E) -> (E, E) {
        (
            self.p0 + mu * (self.p1 - self.p0),
            self.q0 + mu * (self.q1 - self.q0),
        )
    }

    fn absorb(&self, t: &mut Transcript, label: &'static [u8]) {
        t.append_fields(label, &[self.p0, self.p1, self.q0, self.q1]);
    }
}

/// One layer's reduction: the sum-check, then the halves at its point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LayerProof<E: Field> {
    /// The degree-3 sum-check over the parent layer's variables.
    pub sumcheck: sumcheck::Proof<E>,
    /// The child layer's halves at the sum-check's point.
    pub halves: Halves<E>,
}

/// The proof for one fraction tree over `n` variables.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct TreeProof<E: Field> {
    /// Layer 1 (two entries): the root's halves.
    pub root: Halves<E>,
    /// `layers[j]` reduces the claim on layer `j + 1` to layer `j + 2` (`n − 1` of them; the
    /// last reaches the leaves). Its sum-check has `j + 1` rounds.
    pub layers: Vec<LayerProof<E>>,
}

/// A range-check proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof<E: Field> {
    /// The columns tree.
    pub columns: TreeProof<E>,
    /// The table tree.
    pub table: TreeProof<E>,
    /// `c̃_i(r[..n_i])` for each column, in the caller's order (`r` the columns tree's leaf point).
    pub column_values: Vec<E>,
    /// `m̃(r)` at the table tree's leaf point.
    pub multiplicities_value: E,
}

/// The evaluation claims a range check leaves for the caller to discharge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeClaims<E> {
    /// One claim per column, in the caller's order; column `i`'s point has `n_i` coordinates.
    pub columns: Vec<EvaluationClaim<E>>,
    /// The claim on the multiplicities; its point has `bits` coordinates.
    pub multiplicities: EvaluationClaim<E>,
}

/// Where each column goes in the packed table.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// Each column's number of variables, in the caller's order.
    pub(crate) column_vars: Vec<usize>,
    /// Each column's offset in the packed table, in the caller's order.
    pub(crate) offsets: Vec<usize>,
    /// Entries over all columns.
    pub(crate) total: usize,
    /// Variables of the packed table: `max(1, ⌈log2 total⌉)`.
    pub(crate) vars: usize,
    /// The table's `bits`.
    pub(crate) bits: usize,
    /// A lookup into a table given by its values ([`lookup`]) rather than the range
    /// `[0, 2^bits)`: only the domain separator differs.
    pub(crate) lookup: bool,
}

impl Layout {
    /// The layout for columns of `2^{column_vars[i]}` entries; checks `bits` and the sizes.
    pub(crate) fn new(column_vars: &[usize], bits: usize) -> Result<Self, RangeError> {
        if bits == 0 || bits > MAX_BITS {
            return Err(RangeError::Bits { bits });
        }
        if column_vars.is_empty() {
            return Err(RangeError::NoColumns);
        }
        if let Some((column, &vars)) = column_vars
            .iter()
            .enumerate()
            .find(|(_, &v)| v > MAX_TREE_VARS)
        {
            return Err(RangeError::ColumnVars { column, vars });
        }
        let total: u128 = column_vars.iter().map(|&v| 1u128 << v).sum();
        if total > 1u128 << MAX_TREE_VARS {
            return Err(RangeError::TooManyEntries { total });
        }
        let mut order: Vec<usize> = (0..column_vars.len()).collect();
        // Largest first, ties in the caller's order (a stable sort).
        order.sort_by_key(|&i| std::cmp::Reverse(column_vars.get(i).copied().unwrap_or(0)));
        let mut offsets = vec![0; column_vars.len()];
        let mut next = 0usize;
        for i in order {
            if let (Some(o), Some(&v)) = (offsets.get_mut(i), column_vars.get(i)) {
                *o = next;
                next += 1 << v;
            }
        }
        let total = next;
        Ok(Self {
            column_vars: column_vars.to_vec(),
            offsets,
            total,
            vars: total.next_power_of_two().trailing_zeros().max(1) as usize,
            bits,
            lookup: false,
        })
    }

    /// The layout of these columns (lengths must be nonzero powers of two).
    pub(crate) fn of_columns<F>(columns: &[&[F]], bits: usize) -> Result<Self, RangeError> {
        let vars = columns
            .iter()
            .enumerate()
            .map(|(column, c)| {
                if c.len().is_power_of_two() {
                    Ok(c.len().trailing_zeros() as usize)
                } else {
                    Err(RangeError::ColumnLength {
                        column,
                        len: c.len(),
                    })
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(&vars, bits)
    }

    /// Zero entries after the last column.
    pub(crate) fn pad(&self) -> usize {
        (1 << self.vars) - self.total
    }

    /// `c̃(r) = Σ_i eq(o_i / 2^{n_i}, r[n_i..]) · values[i]` over the packed table's `vars`
    /// coordinates; `None` if `r` or `values` has the wrong length.
    pub(crate) fn packed_value<E: Field>(&self, r: &[E], values: &[E]) -> Option<E> {
        if r.len() != self.vars || values.len() != self.column_vars.len() {
            return None;
        }
        let mut sum = E::ZERO;
        for ((&o, &n), &v) in self.offsets.iter().zip(&self.column_vars).zip(values) {
            let high = r.get(n..)?;
            sum += bits_eq(o >> n, high) * v;
        }
        Some(sum)
    }

    fn absorb(&self, t: &mut Transcript) {
        let mut params = vec![self.bits as u64, self.column_vars.len() as u64];
        params.extend(self.column_vars.iter().map(|&v| v as u64));
        let label: &[u8] = if self.lookup { b"lookup" } else { b"range" };
        t.domain_separator(label, &params);
    }
}

/// `eq(bits of b, r) = Π_j (b_j ? r_j : 1 − r_j)`.
pub(crate) fn bits_eq<E: Field>(b: usize, r: &[E]) -> E {
    r.iter()
        .enumerate()
        .map(|(j, &x)| if (b >> j) & 1 == 1 { x } else { E::ONE - x })
        .product()
}

/// The table's multilinear extension `t̃(r) = Σ_j 2^j r_j` (`t(x) = x`).
pub(crate) fn table_value<E: Field>(r: &[E]) -> E {
    let mut pow = E::ONE;
    let mut sum = E::ZERO;
    for &x in r {
        sum += pow * x;
        pow.double_in_place();
    }
    sum
}

/// The transcript's opening steps, shared by prover and verifier: the statement, then `α`.
fn begin<E: Field>(t: &mut Transcript, layout: &Layout) -> E {
    layout.absorb(t);
    t.challenge_field(b"range-alpha")
}

/// The column values and the multiplicities' value at the end of a proof.
fn absorb_values<E: Field>(t: &mut Transcript, column_values: &[E], m: &E) {
    t.append_fields(b"range-column-values", column_values);
    t.append_field(b"range-multiplicities-value", m);
}

/// The claims returned to the caller from the leaf points and the proof's values.
fn claims<E: Field>(
    layout: &Layout,
    columns_point: &[E],
    table_point: &[E],
    column_values: &[E],
    m: E,
) -> RangeClaims<E> {
    RangeClaims {
        columns: layout
            .column_vars
            .iter()
            .zip(column_values)
            .map(|(&n, &value)| EvaluationClaim {
                point: columns_point.iter().take(n).copied().collect(),
                value,
            })
            .collect(),
        multiplicities: EvaluationClaim {
            point: table_point.to_vec(),
            value: m,
        },
    }
}
