//! Fully connected layers by Thaler's matrix–vector sum-check.
//!
//! Statement: `acc = W·x` for a committed matrix `W` (`2^{n_o} × 2^{n_i}`, column index in the
//! low bits) and an input vector `x`. A claim `ãcc(r_o) = v` is the sum
//!
//! ```text
//!     v = Σ_{i ∈ {0,1}^{n_i}}  W̃(i, r_o) · x̃(i),
//! ```
//!
//! one product sum-check over `n_i` variables whose table `W̃(·, r_o)` the prover folds from `W`
//! in `O(|W|)`. It ends in two claims the caller discharges: `W̃(ρ, r_o)` on the weights and
//! `x̃(ρ)` on the input. See `spec/layers.md`.

use super::requant::{self, Requant};
use super::Dims;
use super::{prove_product, verify_product, LayerError, ProductProof};
use crate::field::{mul_base, BaseField, ExtField};
use crate::network::op::{MaskStep, NetworkOp, Requantized, WitnessStep, Witnessed};
use crate::network::plan::{yn, Bias, PlanStep, Planned, Step};
use crate::network::prover::Ctx as ProverCtx;
use crate::network::verifier::Ctx as VerifierCtx;
use crate::network::zk::{dense_outputs, Table, ZkStepProver, ZkStepVerifier};
use crate::network::{NetworkError, VerifyError};
use crate::parallel::map_reduce;
use crate::poly::{eq_table, Mle};
use crate::sumcheck::zk::Mask;
use ark_ff::Field;
use merlin::Transcript;

/// `Σ_o weights[o]·M[o][·]` for a row-major matrix with `2^{col_vars}` columns: the matrix's
/// multilinear extension with the row variables fixed (`weights = eq(r_o, ·)`).
pub fn fold_rows<F: BaseField, E: ExtField<F>>(m: &[F], col_vars: usize, weights: &[E]) -> Vec<E> {
    let cols = 1usize << col_vars;
    let rows = (m.len() >> col_vars).min(weights.len());
    map_reduce(
        rows,
        |range| {
            let mut acc = vec![E::ZERO; cols];
            for o in range {
                let (Some(&w), Some(row)) = (weights.get(o), m.get(o * cols..(o + 1) * cols))
                else {
                    continue;
                };
                if w.is_zero() {
                    continue;
                }
                for (a, &x) in acc.iter_mut().zip(row) {
                    *a += mul_base(w, x);
                }
            }
            acc
        },
        |mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
            a
        },
    )
}

/// Proves `target = Σ_i W̃(i, r_o)·x̃(i)`; returns the proof and the point `ρ` (the weights'
/// claim is at `(ρ, r_o)`, the input's at `ρ`).
pub fn prove<F: BaseField, E: ExtField<F>>(
    w: &[F],
    x: &[F],
    r_o: &[E],
    target: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>) {
    prove_batched(w, x, r_o, &[], target, transcript)
}

/// [`prove`] for a batch of `2^b` input vectors (`x[batch·2^{n_i} + i]`, the batch index the
/// top variables) at the output point `(r_o, r_b)`, `b = |r_b|`:
/// `target = Σ_{i, β} W̃(i, r_o)·x̃(i, β)·eq(r_b, β)`, one product sum-check of three tables
/// over `n_i + b` variables (the weights' table repeated over the batch). Returns the point
/// `ρ = (ρ_i, ρ_b)`: the weights' claim is at `(ρ_i, r_o)`, the input's at `ρ`. With `r_b`
/// empty it is [`prove`] (two tables).
pub fn prove_batched<F: BaseField, E: ExtField<F>>(
    w: &[F],
    x: &[F],
    r_o: &[E],
    r_b: &[E],
    target: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>) {
    let col_vars = (x.len().trailing_zeros() as usize).saturating_sub(r_b.len());
    let wr = fold_rows(w, col_vars, &eq_table(r_o));
    if r_b.is_empty() {
        return prove_product(
            vec![Mle::Ext(wr), Mle::Base(x.to_vec())],
            target,
            transcript,
        );
    }
    let cols = wr.len();
    let eq_b = eq_table(r_b);
    let e: Vec<E> = (0..x.len()).map(|j| eq_b[j / cols]).collect();
    prove_product(
        vec![
            Mle::Ext(wr.repeat(eq_b.len())),
            Mle::Base(x.to_vec()),
            Mle::Ext(e),
        ],
        target,
        transcript,
    )
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies; returns `(ρ, W̃(ρ, r_o), x̃(ρ))` for the caller to discharge.
pub fn verify<E: Field>(
    in_vars: usize,
    target: E,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, E, E), LayerError> {
    verify_batched(in_vars, &[], target, proof, transcript)
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies [`prove_batched`] at batch point `r_b`; returns `(ρ, W̃(ρ_i, r_o), x̃(ρ))`,
/// `ρ = (ρ_i, ρ_b)`, having checked the third value against `eq(r_b, ρ_b)`.
pub fn verify_batched<E: Field>(
    in_vars: usize,
    r_b: &[E],
    target: E,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, E, E), LayerError> {
    let nb = r_b.len();
    let factors = if nb == 0 { 2 } else { 3 };
    let (rho, v) = verify_product("dense", in_vars + nb, factors, target, proof, transcript)?;
    let w = super::get(&v, 0, "dense values", factors)?;
    let x = super::get(&v, 1, "dense values", factors)?;
    if nb > 0 {
        let rho_b = rho.get(in_vars..).unwrap_or(&[]);
        if rho_b.len() != nb
            || super::get(&v, 2, "dense values", factors)? != crate::poly::eq_eval(r_b, rho_b)
        {
            return Err(LayerError::PublicValue {
                what: "dense batch selector",
            });
        }
    }
    Ok((rho, w, x))
}

/// The tables a requantizing dense layer's relation reads on its output side, each over the
/// output's `n_o` variables with a public weight: the bias (limbs), `y`, `n` and the remainder
/// (limbs), as `Σ_k weight_k·t_k(o)` enters `acc(o) = Σ_k …`.
pub type OutputTables<'a, F, E> = [(E, &'a [F])];

/// The variables of a zero-knowledge dense step's sum-check: the larger side's.
fn zk_vars(in_vars: usize, out_vars: usize) -> usize {
    in_vars.max(out_vars)
}

/// `2^{−k}` in `E`.
pub(crate) fn inv_pow2<E: Field>(k: usize) -> E {
    E::from(2u64).pow([k as u64]).inverse().unwrap_or(E::ZERO)
}

/// The terms of the zero-knowledge dense step over tables `[W̃(·, r_o), x, eq(r_o, ·), t_0, …]`
/// (each replicated over the variables it lacks, hence the `2^{−missing}` scales).
fn zk_terms<E: Field>(
    in_vars: usize,
    out_vars: usize,
    weights: impl Iterator<Item = E>,
) -> Vec<crate::sumcheck::Term<E>> {
    let n = zk_vars(in_vars, out_vars);
    let (si, so) = (inv_pow2::<E>(n - in_vars), inv_pow2::<E>(n - out_vars));
    let mut terms = vec![crate::sumcheck::Term {
        coeff: si,
        factors: vec![0, 1],
    }];
    for (k, w) in weights.enumerate() {
        terms.push(crate::sumcheck::Term {
            coeff: so * w,
            factors: vec![2, 3 + k],
        });
    }
    terms
}

/// Which tables of a zero-knowledge matrix–vector step are private: the matrix and `x` unless
/// public, never `eq`, every output-side table.
fn zk_private(matrix_public: bool, input_public: bool, outputs: usize) -> Vec<bool> {
    let mut p = vec![!matrix_public, !input_public, false];
    p.extend(std::iter::repeat_n(true, outputs));
    p
}

/// The degree of the zero-knowledge dense step's mask ([`crate::sumcheck::zk::masked_degree`]).
pub fn zk_mask_degree(input_public: bool, outputs: usize) -> usize {
    matvec_mask_degree(false, input_public, outputs)
}

/// The mask degree of a zero-knowledge matrix–vector step ([`prove_matvec_zk`]).
pub(crate) fn matvec_mask_degree(matrix_public: bool, input_public: bool, outputs: usize) -> usize {
    let terms = zk_terms::<crate::field::Goldilocks>(
        1,
        1,
        std::iter::repeat_n(crate::field::Goldilocks::ONE, outputs),
    );
    crate::sumcheck::zk::masked_degree(&terms, &zk_private(matrix_public, input_public, outputs))
}

/// `t` (`2^v` entries) repeated to `2^n` entries: its extension, constant in the top `n − v`
/// variables.
pub(crate) fn replicate<T: Clone>(t: &[T], n: usize) -> Vec<T> {
    let reps = (1usize << n) / t.len().max(1);
    let mut out = Vec::with_capacity(t.len() * reps);
    for _ in 0..reps {
        out.extend_from_slice(t);
    }
    out
}

/// A requantizing dense layer's relation at its layer point `r_o`, in zero knowledge
/// (`spec/zk.md`, "Layers, in zero-knowledge mode"): one masked sum-check of
///
/// ```text
///     Σ_i W̃(i, r_o)·x̃(i) + Σ_o eq(r_o, o)·Σ_k a_k·t_k(o) = lhs
/// ```
///
/// over `max(n_i, n_o)` variables (the smaller side's tables replicated, their terms scaled
/// back), with `W`, the output-side tables `t_k` and — unless `input_public` — `x` private and
/// committed; `mask` over the sum-check's variables and `b`, of degree [`zk_mask_degree`],
/// committed beforehand; `scalars` the committed tables' masks at a point
/// ([`crate::zk::TableMasks`], tables numbered `0` = `W` at `(ρ_{<n_i}, r_o)`, `1` = `x` at
/// `ρ_{<n_i}`, `2 + k` = `t_k` at `ρ_{<n_o}`). For a requantizing layer `t = (bias limbs, y, n,
/// remainder limbs)` with weights `(2^{Wj}, −2^s, 2^s, −2^{Bj})` and `lhs = −2^{s−1}`: no value
/// at `r_o` is ever read. Returns the proof and the deferred claims (table numbering as above;
/// the Libra mask is the caller's fresh masks `0 ..`).
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
#[allow(clippy::too_many_arguments)]
pub fn prove_zk<F: BaseField, E: ExtField<F>>(
    w: &[F],
    x: &[F],
    input_public: bool,
    outputs: &OutputTables<'_, F, E>,
    r_o: &[E],
    lhs: E,
    mask: &crate::sumcheck::zk::Mask<E>,
    scalars: &impl crate::zk::TableMasks<E>,
    transcript: &mut Transcript,
) -> (
    crate::sumcheck::zk::MaskedProof<E>,
    Vec<crate::zk::Deferred<E>>,
) {
    let outputs: Vec<(E, MatTable<'_, F, E>)> = outputs
        .iter()
        .map(|(a, t)| (*a, MatTable::Base(t)))
        .collect();
    prove_zk_batched(
        w,
        MatTable::Base(x),
        input_public,
        &outputs,
        r_o,
        &[],
        lhs,
        mask,
        scalars,
        transcript,
    )
}

/// A table of a zero-knowledge matrix–vector step: as committed, or — a batch's table, the
/// batch index over its top variables — folded at the batch's point `r_b`
/// (`t'(x) = Σ_β eq(r_b, β)·t(x, β)`, [`fold_batch`]), whose claim is then on the committed
/// table at `(ρ, r_b)`.
pub(crate) enum MatTable<'a, F, E> {
    /// The table itself.
    Base(&'a [F]),
    /// The table folded at the batch point.
    Folded(Vec<E>),
}

impl<F: Clone, E: Clone> MatTable<'_, F, E> {
    fn len(&self) -> usize {
        match self {
            MatTable::Base(t) => t.len(),
            MatTable::Folded(t) => t.len(),
        }
    }

    fn folded(&self) -> bool {
        matches!(self, MatTable::Folded(_))
    }

    /// The table repeated to `2^n` entries ([`replicate`]), as the sum-check's table.
    fn replicated(&self, n: usize) -> Mle<F, E> {
        match self {
            MatTable::Base(t) => Mle::Base(replicate(t, n)),
            MatTable::Folded(t) => Mle::Ext(replicate(t, n)),
        }
    }
}

impl<'a, F: BaseField, E: ExtField<F>> MatTable<'a, F, E> {
    /// `t` as a step of a batch at `r_b` reads it: folded at `r_b` ([`fold_batch`]), or as it
    /// is when `r_b` is empty (one input, or a table the batch does not extend).
    pub(crate) fn at_batch(t: &'a [F], r_b: &[E]) -> Self {
        if r_b.is_empty() {
            MatTable::Base(t)
        } else {
            MatTable::Folded(fold_batch(t, r_b))
        }
    }
}

/// A batch's table (`2^{n + b}` entries, the batch index over the top `b` variables) folded at
/// `r_b`: `t'(x) = Σ_β eq(r_b, β)·t(x, β)`, `2^n` entries.
pub(crate) fn fold_batch<F: BaseField, E: ExtField<F>>(t: &[F], r_b: &[E]) -> Vec<E> {
    let n = (t.len() >> r_b.len()).trailing_zeros() as usize;
    fold_rows(t, n, &eq_table(r_b))
}

/// Which tables of a zero-knowledge matrix–vector step were folded at the batch point `r_b`
/// (their claims are at `(ρ, r_b)`): the input, and each output-side table. Empty `r_b`: none.
pub(crate) struct Folds<'a, E> {
    /// The batch point.
    pub(crate) r_b: &'a [E],
    /// Whether the input was folded.
    pub(crate) input: bool,
    /// Whether each output-side table was folded.
    pub(crate) outputs: Vec<bool>,
}

impl<E: Field> Folds<'_, E> {
    /// No batch.
    pub(crate) fn none() -> Self {
        Folds {
            r_b: &[],
            input: false,
            outputs: Vec::new(),
        }
    }

    /// `point`, with `r_b` after it when `folded`.
    fn at(&self, point: &[E], folded: bool) -> Vec<E> {
        if folded {
            [point, self.r_b].concat()
        } else {
            point.to_vec()
        }
    }
}

/// [`prove_zk`] for a batch ([`spec/batch.md`](../../spec/batch.md), "Zero knowledge"): the
/// claim at `(r_o, r_b)`, the input and the batch's output-side tables folded at `r_b`
/// ([`MatTable::Folded`]), the relation then one input's over the folded tables; with an empty
/// `r_b`, [`prove_zk`].
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
#[allow(clippy::too_many_arguments)]
pub(crate) fn prove_zk_batched<F: BaseField, E: ExtField<F>>(
    w: &[F],
    x: MatTable<'_, F, E>,
    input_public: bool,
    outputs: &[(E, MatTable<'_, F, E>)],
    r_o: &[E],
    r_b: &[E],
    lhs: E,
    mask: &crate::sumcheck::zk::Mask<E>,
    scalars: &impl crate::zk::TableMasks<E>,
    transcript: &mut Transcript,
) -> (
    crate::sumcheck::zk::MaskedProof<E>,
    Vec<crate::zk::Deferred<E>>,
) {
    let in_vars = x.len().trailing_zeros() as usize;
    let wr = fold_rows(w, in_vars, &eq_table(r_o));
    prove_matvec_folded(
        MatVecFolded {
            matrix: wr,
            matrix_public: false,
            x,
            input_public,
        },
        outputs,
        r_o,
        r_b,
        lhs,
        mask,
        scalars,
        transcript,
    )
}

/// The input side of a zero-knowledge matrix–vector step: the matrix folded at the output point,
/// `M̃(·, r_o)` over the input's variables, and the input `x`; each private or public.
pub(crate) struct MatVec<'a, F, E> {
    /// `M̃(·, r_o)`, `2^{n_i}` entries.
    pub(crate) matrix: Vec<E>,
    /// Whether the matrix is public (an index map): then no claim is made on it.
    pub(crate) matrix_public: bool,
    /// The input, `2^{n_i}` entries.
    pub(crate) x: &'a [F],
    /// Whether the input is public.
    pub(crate) input_public: bool,
}

/// [`prove_zk`] for any matrix: the masked sum-check of
/// `Σ_i M̃(i, r_o)·x̃(i) + Σ_o eq(r_o, o)·Σ_k a_k·t_k(o) = lhs` with the matrix and the input
/// private or public (a public matrix is an index map: flatten). Claims numbered as in
/// [`prove_zk`] (`0` = the matrix, `1` = `x`, `2 + k` = `t_k`; none on a public table).
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
pub(crate) fn prove_matvec_zk<F: BaseField, E: ExtField<F>>(
    input: MatVec<'_, F, E>,
    outputs: &OutputTables<'_, F, E>,
    r_o: &[E],
    lhs: E,
    mask: &crate::sumcheck::zk::Mask<E>,
    scalars: &impl crate::zk::TableMasks<E>,
    transcript: &mut Transcript,
) -> (
    crate::sumcheck::zk::MaskedProof<E>,
    Vec<crate::zk::Deferred<E>>,
) {
    let MatVec {
        matrix,
        matrix_public,
        x,
        input_public,
    } = input;
    let outputs: Vec<(E, MatTable<'_, F, E>)> = outputs
        .iter()
        .map(|(a, t)| (*a, MatTable::Base(t)))
        .collect();
    prove_matvec_folded(
        MatVecFolded {
            matrix,
            matrix_public,
            x: MatTable::Base(x),
            input_public,
        },
        &outputs,
        r_o,
        &[],
        lhs,
        mask,
        scalars,
        transcript,
    )
}

/// [`MatVec`] with the input as committed or folded at a batch point ([`MatTable`]).
pub(crate) struct MatVecFolded<'a, F, E> {
    /// `M̃(·, r_o)`, `2^{n_i}` entries.
    pub(crate) matrix: Vec<E>,
    /// Whether the matrix is public (an index map): then no claim is made on it.
    pub(crate) matrix_public: bool,
    /// The input, `2^{n_i}` entries (folded: at the batch point).
    pub(crate) x: MatTable<'a, F, E>,
    /// Whether the input is public.
    pub(crate) input_public: bool,
}

/// [`prove_matvec_zk`] with tables folded at a batch point `r_b` ([`MatTable::Folded`]): their
/// claims and their masks are read at `(ρ, r_b)`.
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
#[allow(clippy::too_many_arguments)]
pub(crate) fn prove_matvec_folded<F: BaseField, E: ExtField<F>>(
    input: MatVecFolded<'_, F, E>,
    outputs: &[(E, MatTable<'_, F, E>)],
    r_o: &[E],
    r_b: &[E],
    lhs: E,
    mask: &crate::sumcheck::zk::Mask<E>,
    scalars: &impl crate::zk::TableMasks<E>,
    transcript: &mut Transcript,
) -> (
    crate::sumcheck::zk::MaskedProof<E>,
    Vec<crate::zk::Deferred<E>>,
) {
    let MatVecFolded {
        matrix,
        matrix_public,
        x,
        input_public,
    } = input;
    let (in_vars, out_vars) = (x.len().trailing_zeros() as usize, r_o.len());
    let n = zk_vars(in_vars, out_vars);
    let eq = eq_table(r_o);
    let folds = Folds {
        r_b,
        input: x.folded(),
        outputs: outputs.iter().map(|(_, t)| t.folded()).collect(),
    };
    let mut tables = vec![
        Mle::Ext(replicate(&matrix, n)),
        x.replicated(n),
        Mle::Ext(replicate(&eq, n)),
    ];
    tables.extend(outputs.iter().map(|(_, t)| t.replicated(n)));
    let terms = zk_terms(in_vars, out_vars, outputs.iter().map(|(a, _)| *a));
    let private = zk_private(matrix_public, input_public, outputs.len());
    let instance = crate::sumcheck::Instance::new(tables, terms).expect("tables of 2^n entries");
    let point_of = |i: usize, rho: &[E]| -> Vec<E> {
        match i {
            0 => [&rho[..in_vars], r_o].concat(),
            1 => folds.at(&rho[..in_vars], folds.input),
            2 => rho[..out_vars].to_vec(),
            k => folds.at(&rho[..out_vars], folds.outputs[k - 3]),
        }
    };
    // Instance tables `[M, x, eq, t_0, …]`; the claims' numbering `[M, x, t_0, …]`.
    let table_of = |i: usize| if i < 2 { i } else { i - 1 };
    let scalar = |i: usize, rho: &[E]| scalars.mask_at(table_of(i), &point_of(i, rho));
    let out =
        crate::sumcheck::zk::prove_masked_with(instance, lhs, &private, &scalar, mask, transcript);
    let mut deferred = zk_deferred(
        in_vars,
        out_vars,
        [matrix_public, input_public],
        r_o,
        &folds,
        &out.point,
        out.beta,
        &out.proof.values,
    );
    // The mask's form: ρ·g(ρ, β), the value the final check leaves.
    deferred.push(crate::zk::Deferred::Masks {
        terms: crate::sumcheck::zk::mask_terms(&out.point, out.beta, out.weight, mask.degree(), 0),
        value: out.weight * out.mask_value,
    });
    (out.proof, deferred)
}

/// The masked values' claims of a zero-knowledge matrix–vector step at `(ρ, β)`.
#[allow(clippy::too_many_arguments)]
fn zk_deferred<E: Field>(
    in_vars: usize,
    out_vars: usize,
    [matrix_public, input_public]: [bool; 2],
    r_o: &[E],
    folds: &Folds<'_, E>,
    rho: &[E],
    beta: E,
    values: &[E],
) -> Vec<crate::zk::Deferred<E>> {
    let mut tables: Vec<(usize, Vec<E>)> = Vec::with_capacity(values.len());
    if !matrix_public {
        tables.push((0, [&rho[..in_vars], r_o].concat()));
    }
    if !input_public {
        tables.push((1, folds.at(&rho[..in_vars], folds.input)));
    }
    for k in 0..values.len().saturating_sub(tables.len()) {
        let folded = folds.outputs.get(k).copied().unwrap_or(false);
        tables.push((2 + k, folds.at(&rho[..out_vars], folded)));
    }
    tables
        .into_iter()
        .zip(values)
        .map(|((table, point), &value)| crate::zk::Deferred::Masked {
            table,
            point,
            beta,
            value,
        })
        .collect()
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies a zero-knowledge dense step ([`prove_zk`]) over `2^{in_vars}` inputs and the
/// output-side tables' `weights`; `input` is the public input's table, or `None` for a committed
/// one. Returns the claims for the proof's opening (numbered as in [`prove_zk`]).
#[allow(clippy::too_many_arguments)]
pub fn verify_zk<F: BaseField, E: ExtField<F>>(
    in_vars: usize,
    weights: &[E],
    input: Option<&[F]>,
    r_o: &[E],
    lhs: E,
    mask_degree: usize,
    proof: &crate::sumcheck::zk::MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<crate::zk::Deferred<E>>, LayerError> {
    verify_matvec_zk(
        MatVecNames {
            step: "dense (zero knowledge)",
            point: "dense (zero knowledge) point",
            input: "dense (zero knowledge) public input",
        },
        in_vars,
        weights,
        None,
        input,
        r_o,
        lhs,
        mask_degree,
        proof,
        transcript,
    )
}

/// A public matrix's extension at `(ρ_in, r_o)`, given `ρ_in` (the verifier's own).
pub(crate) type PublicMatrix<'a, E> = &'a dyn Fn(&[E]) -> E;

/// The names a zero-knowledge matrix–vector verifier's errors carry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatVecNames {
    /// The sum-check's step.
    pub(crate) step: &'static str,
    /// The point's length.
    pub(crate) point: &'static str,
    /// A public input's length.
    pub(crate) input: &'static str,
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies [`prove_matvec_zk`]: `matrix` evaluates a public matrix at `(ρ_in, r_o)` given
/// `ρ_in` (`None`: the matrix is private and committed), `input` is a public input's table
/// (`None`: committed). Returns the claims for the proof's opening (numbered as in
/// [`prove_zk`]); errors carry `names`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_matvec_zk<F: BaseField, E: ExtField<F>>(
    names: MatVecNames,
    in_vars: usize,
    weights: &[E],
    matrix: Option<PublicMatrix<'_, E>>,
    input: Option<&[F]>,
    r_o: &[E],
    lhs: E,
    mask_degree: usize,
    proof: &crate::sumcheck::zk::MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<crate::zk::Deferred<E>>, LayerError> {
    verify_matvec_folded(
        names,
        in_vars,
        weights,
        matrix,
        input,
        r_o,
        &Folds::none(),
        lhs,
        mask_degree,
        proof,
        transcript,
    )
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies [`prove_matvec_folded`]: as [`verify_matvec_zk`], the tables `folds` names folded
/// at its batch point (their claims at `(ρ, r_b)`; a public input, `2^{in_vars + b}` entries,
/// evaluated there).
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_matvec_folded<F: BaseField, E: ExtField<F>>(
    names: MatVecNames,
    in_vars: usize,
    weights: &[E],
    matrix: Option<PublicMatrix<'_, E>>,
    input: Option<&[F]>,
    r_o: &[E],
    folds: &Folds<'_, E>,
    lhs: E,
    mask_degree: usize,
    proof: &crate::sumcheck::zk::MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<crate::zk::Deferred<E>>, LayerError> {
    let step = names.step;
    let out_vars = r_o.len();
    let n = zk_vars(in_vars, out_vars);
    let private = zk_private(matrix.is_some(), input.is_some(), weights.len());
    let count = private.iter().filter(|&&p| p).count();
    let claim = crate::sumcheck::zk::verify_masked(n, mask_degree, lhs, count, proof, transcript)
        .map_err(|source| LayerError::Sumcheck { step, source })?;
    let rho = &claim.point;
    let (Some(rho_in), Some(rho_out)) = (rho.get(..in_vars), rho.get(..out_vars)) else {
        return Err(LayerError::Count {
            what: names.point,
            expected: n,
            got: rho.len(),
        });
    };
    let mut public = Vec::with_capacity(3);
    if let Some(m) = matrix {
        public.push(m(rho_in));
    }
    if let Some(x) = input {
        let vars = in_vars + if folds.input { folds.r_b.len() } else { 0 };
        if vars >= usize::BITS as usize || x.len() != 1 << vars {
            return Err(LayerError::Count {
                what: names.input,
                expected: 1usize.checked_shl(vars as u32).unwrap_or(0),
                got: x.len(),
            });
        }
        public.push(crate::poly::evaluate_base(
            x,
            &folds.at(rho_in, folds.input),
        ));
    }
    public.push(crate::poly::eq_eval(r_o, rho_out));
    let terms = zk_terms(in_vars, out_vars, weights.iter().copied());
    // The final check's form on the mask (its last claim); the masked values' claims are made
    // at each table's own point below.
    let ids: Vec<usize> = (0..count).collect();
    let masks = claim
        .deferred(&terms, &private, &public, &ids, mask_degree)
        .map_err(|source| LayerError::Sumcheck { step, source })?
        .pop();
    let mut out = zk_deferred(
        in_vars,
        out_vars,
        [matrix.is_some(), input.is_some()],
        r_o,
        folds,
        rho,
        claim.beta,
        &claim.values,
    );
    out.extend(masks);
    Ok(out)
}

#[cfg(test)]
mod zk_tests {
    //! The zero-knowledge requantizing dense step, discharged by one opening of a hiding
    //! commitment that holds the layer's tables and the step's Libra mask.
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::pcs::basefold::Params;
    use crate::pcs::packing::Packing;
    use crate::pcs::zk::{self as pzk, ZkProverData};
    use crate::sumcheck::zk::Mask;
    use crate::zk::{mask_entries, DischargeError, Layout, Ledger, Placed, TableMasks};
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

    /// The committed tables' masks, for segments of one packed commitment.
    struct Segments<'a, F> {
        data: &'a ZkProverData<F>,
        packing: &'a Packing,
        /// Segment of each of the step's tables.
        segment: Vec<usize>,
    }

    impl<F: BaseField, E: ExtField<F>> TableMasks<E> for Segments<'_, F> {
        fn mask_at(&self, table: usize, point: &[E]) -> E {
            let z = self.packing.point(self.segment[table], point);
            self.data.mask_at(0, &z).expect("one committed table")
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Cheat {
        None,
        /// `y` and the remainder edited after the commitment so that the relation still holds.
        Witness,
        /// `y` edited before the commitment: the relation fails.
        Relation,
    }

    fn f<F: Field>(v: i64) -> F {
        if v < 0 {
            -F::from(v.unsigned_abs())
        } else {
            F::from(v as u64)
        }
    }

    /// A requantizing dense layer of `2^in_vars` inputs and `2^out_vars` outputs: its tables
    /// (W, x, bias, y, n, remainder) as integers.
    #[allow(clippy::type_complexity)]
    fn layer(rng: &mut StdRng, in_vars: usize, out_vars: usize) -> [Vec<i64>; 6] {
        layer_on(rng, in_vars, out_vars, None)
    }

    /// [`layer`] on a given input (a public one), or a random one.
    #[allow(clippy::type_complexity)]
    fn layer_on(
        rng: &mut StdRng,
        in_vars: usize,
        out_vars: usize,
        x: Option<Vec<i64>>,
    ) -> [Vec<i64>; 6] {
        let (ni, no) = (1usize << in_vars, 1usize << out_vars);
        let w: Vec<i64> = (0..ni * no).map(|_| rng.gen_range(-8..8)).collect();
        let x: Vec<i64> = x.unwrap_or_else(|| (0..ni).map(|_| rng.gen_range(-8..8)).collect());
        let b: Vec<i64> = (0..no).map(|_| rng.gen_range(-50..50)).collect();
        let (mut y, mut n, mut rem) = (vec![0; no], vec![0; no], vec![0; no]);
        for o in 0..no {
            let acc: i64 = (0..ni).map(|i| w[o * ni + i] * x[i]).sum::<i64>() + b[o];
            let q = (acc + (1 << (SHIFT - 1))).div_euclid(1 << SHIFT);
            rem[o] = acc + (1 << (SHIFT - 1)) - (q << SHIFT);
            y[o] = q.max(0);
            n[o] = (-q).max(0);
        }
        [w, x, b, y, n, rem]
    }

    fn run<F: BaseField + FftField, E: ExtField<F>>(
        seed: u64,
        in_vars: usize,
        out_vars: usize,
        input_public: bool,
        cheat: Cheat,
    ) -> Result<(), DischargeError> {
        let mut rng = StdRng::seed_from_u64(seed);
        let [w, x, b, mut y, n, rem] = layer(&mut rng, in_vars, out_vars);
        if cheat == Cheat::Relation {
            y[0] += 1;
        }
        let weights: Vec<E> = vec![E::ONE, -f::<E>(1 << SHIFT), f(1 << SHIFT), -E::ONE];
        let lhs = -f::<E>(1 << (SHIFT - 1));
        let degree = zk_mask_degree(input_public, weights.len());
        let vars = in_vars.max(out_vars);
        let mask = Mask::<E>::random(vars + 1, degree, &mut rng);
        let mut masks = mask_entries::<F, E>(&mask.entries());
        let mask_vars = masks.len().next_power_of_two().trailing_zeros() as usize;
        masks.resize(1 << mask_vars, F::ZERO);
        let to_f = |t: &[i64]| t.iter().map(|&v| f::<F>(v)).collect::<Vec<F>>();
        // Segments: W, x, b, y, n, rem, masks.
        let tables = [&w, &x, &b, &y, &n, &rem].map(|t| to_f(t));
        let packing = Packing::new(&[
            in_vars + out_vars,
            in_vars,
            out_vars,
            out_vars,
            out_vars,
            out_vars,
            mask_vars,
        ]);
        let mut all: Vec<Vec<F>> = tables.to_vec();
        all.push(masks);
        let (commitment, mut data) =
            pzk::commit(&params(), packing.pack(&all), packing.num_vars(), &mut rng).unwrap();
        let layout = Layout {
            packings: vec![packing.clone()],
            masks: Some((0, 6)),
        };
        // The step's tables: W, x, then b, y, n, rem.
        let mut placed: Vec<Placed<E>> = vec![Placed::segment(0, 0), Placed::segment(0, 1)];
        placed.extend((2..6).map(|s| Placed::segment(0, s)));
        let r_o: Vec<E> = (0..out_vars).map(|_| E::rand(&mut rng)).collect();
        let start = |c: &pzk::ZkCommitment| {
            let mut t = Transcript::new(b"dense-zk");
            t.append_message(b"root", &c.inner.root);
            t
        };

        // The prover (a cheating one edits y and the remainder after committing).
        let (mut y2, mut rem2) = (tables[3].clone(), tables[5].clone());
        if cheat == Cheat::Witness {
            y2[0] += F::ONE;
            rem2[0] -= f::<F>(1 << SHIFT);
        }
        let outputs: Vec<(E, &[F])> = vec![
            (weights[0], &tables[2][..]),
            (weights[1], &y2[..]),
            (weights[2], &tables[4][..]),
            (weights[3], &rem2[..]),
        ];
        let scalars = Segments {
            data: &data,
            packing: &packing,
            segment: vec![0, 1, 2, 3, 4, 5],
        };
        let mut tp = start(&commitment);
        let (proof, deferred) = prove_zk(
            &tables[0],
            &tables[1],
            input_public,
            &outputs,
            &r_o,
            lhs,
            &mask,
            &scalars,
            &mut tp,
        );
        // The claims the verifier will derive; an honest prover's are the same, and a cheating
        // one must open these (the transcript binds them).
        let public_x = input_public.then_some(&tables[1][..]);
        let expected = verify_zk::<F, E>(
            in_vars,
            &weights,
            public_x,
            &r_o,
            lhs,
            degree,
            &proof,
            &mut start(&commitment),
        )
        .expect("the sum-check's rounds are consistent");
        if cheat != Cheat::Relation {
            assert_eq!(expected, deferred, "the prover's claims are the verifier's");
        } else {
            assert_ne!(expected, deferred, "a false sum shows in the mask's form");
        }
        let mut ledger = Ledger::new();
        ledger.defer(expected, &placed, 0)?;
        let mut mdata = data.clone();
        let opening = ledger
            .open(
                &params(),
                &layout,
                &mut [(&commitment, &mut mdata)],
                &mut rng,
                &mut tp.clone(),
            )
            .or_else(|e| match (cheat, e) {
                (Cheat::None, e) => Err(e),
                // The cheater's claims do not hold; it opens what its tables hold.
                (_, DischargeError::Unsatisfied { .. }) => ledger.open_checked(
                    &params(),
                    &layout,
                    &mut [(&commitment, &mut data)],
                    &mut rng,
                    &mut tp,
                    false,
                ),
                (_, e) => Err(e),
            })?;

        // The verifier.
        let mut tv = start(&commitment);
        let claims = verify_zk::<F, E>(
            in_vars, &weights, public_x, &r_o, lhs, degree, &proof, &mut tv,
        )
        .expect("the sum-check's rounds are consistent");
        let mut ledger = Ledger::new();
        ledger.defer(claims, &placed, 0)?;
        ledger
            .verify(&params(), &layout, &[&commitment], &opening, &mut tv)
            .map(|_| ())
    }

    #[test]
    fn the_zero_knowledge_dense_step_round_trips_on_both_fields() {
        for (in_vars, out_vars) in [(4, 2), (2, 4), (3, 3)] {
            run::<Goldilocks, GoldilocksExt2>(1, in_vars, out_vars, false, Cheat::None).unwrap();
            run::<Bn254Fr, Bn254Fr>(2, in_vars, out_vars, false, Cheat::None).unwrap();
        }
    }

    #[test]
    fn a_cheating_dense_prover_is_caught() {
        for cheat in [Cheat::Witness, Cheat::Relation] {
            for (in_vars, out_vars) in [(4, 2), (2, 4)] {
                let got = run::<Goldilocks, GoldilocksExt2>(3, in_vars, out_vars, false, cheat);
                assert!(
                    matches!(got, Err(DischargeError::Opening(_))),
                    "{cheat:?} ({in_vars}, {out_vars}): {got:?}"
                );
            }
        }
    }

    // The simulator's argument (`zk::explain`).

    use crate::sumcheck::zk::MaskedProof;
    use crate::zk::explain::{self, mask_sizes, table_stages, Proven, Randomness, Witnesses};

    const LABEL: &[u8] = b"dense-zk-simulator";

    /// A requantizing dense layer's tables `[W, x, b, y, n, rem]` in the field.
    fn field_tables<F: Field>(t: &[Vec<i64>; 6]) -> Vec<Vec<F>> {
        t.iter()
            .map(|v| v.iter().map(|&e| f::<F>(e)).collect())
            .collect()
    }

    /// The dense step's simulator test: two requantizing layers with the same shape, layer
    /// point and public relation (and the same input when it is public), everything else
    /// independent.
    fn dense_witnesses<F: BaseField, E: ExtField<F>>(
        seed: u64,
        in_vars: usize,
        out_vars: usize,
        input_public: bool,
        spread: bool,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let a = layer(&mut rng, in_vars, out_vars);
        let x_b = input_public.then(|| a[1].clone());
        let b = layer_on(&mut rng, in_vars, out_vars, x_b);
        assert_ne!(a[0], b[0]);
        let (ta, tb) = (field_tables::<F>(&a), field_tables::<F>(&b));
        let weights: Vec<E> = vec![E::ONE, -f::<E>(1 << SHIFT), f(1 << SHIFT), -E::ONE];
        let lhs = -f::<E>(1 << (SHIFT - 1));
        let degree = zk_mask_degree(input_public, weights.len());
        let fresh = 1 + (in_vars.max(out_vars) + 1) * degree;
        let r_o: Vec<E> = (0..out_vars).map(|_| E::rand(&mut rng)).collect();
        let prover = |t: &Vec<Vec<F>>| {
            let (t, weights, r_o) = (t.clone(), weights.clone(), r_o.clone());
            move |rnd: &Randomness<E>| -> Proven<E> {
                let outputs: Vec<(E, &[F])> = (0..4).map(|k| (weights[k], &t[2 + k][..])).collect();
                let mask = Mask::from_entries(in_vars.max(out_vars) + 1, &rnd.fresh).unwrap();
                let (proof, claims) = prove_zk(
                    &t[0],
                    &t[1],
                    input_public,
                    &outputs,
                    &r_o,
                    lhs,
                    &mask,
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
            let x = input_public.then_some(&ta[1][..]);
            let claims = verify_zk::<F, E>(
                in_vars,
                &weights,
                x,
                &r_o,
                lhs,
                degree,
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
        let sizes = mask_sizes(&[
            in_vars + out_vars,
            in_vars,
            out_vars,
            out_vars,
            out_vars,
            out_vars,
        ]);
        explain::check_explained(&w, Randomness::random(&mut rng, fresh, &sizes));
        if spread {
            explain::check_spread(&w, &mut || Randomness::random(&mut rng, fresh, &sizes), 64);
        }
    }

    /// Zero knowledge of the dense step as code (`zk::explain`): for two requantizing layers
    /// with the same public statement, randomness is solved under which the second layer's
    /// honest prover sends the first's proof, byte for byte, with the same claims, which hold on
    /// its own tables; solving back returns the first randomness; with the masks zeroed the
    /// proofs differ and the masked values are the tables' values. On both fields, inputs wider,
    /// narrower and as wide as the outputs, and a public input (the same for both witnesses).
    #[test]
    fn the_dense_step_is_simulated_for_any_witness() {
        for (in_vars, out_vars) in [(4, 2), (2, 4), (3, 3)] {
            dense_witnesses::<Goldilocks, GoldilocksExt2>(20, in_vars, out_vars, false, false);
            dense_witnesses::<Bn254Fr, Bn254Fr>(21, in_vars, out_vars, false, false);
        }
        dense_witnesses::<Goldilocks, GoldilocksExt2>(22, 3, 2, true, false);
        dense_witnesses::<Bn254Fr, Bn254Fr>(23, 2, 3, true, false);
    }

    /// Over 64 proofs with fresh masks every element of the dense step's proof takes distinct
    /// values and no masked value is in the clear; unmasked, the proofs repeat.
    #[test]
    fn the_dense_steps_messages_spread() {
        dense_witnesses::<Goldilocks, GoldilocksExt2>(24, 3, 2, false, true);
        dense_witnesses::<Bn254Fr, Bn254Fr>(25, 2, 3, false, true);
    }

    /// [`prove_matvec_zk`] with a public matrix (flatten's use, here a random one): the
    /// statement is the matrix, the point and `Σ_i M(o, i)·x(i) − t_0(o) + 3·t_1(o) = 0`; the
    /// witnesses are two inputs with their output tables.
    fn matvec_witnesses<F: BaseField, E: ExtField<F>>(seed: u64, in_vars: usize, out_vars: usize) {
        let mut rng = StdRng::seed_from_u64(seed);
        let m: Vec<F> = (0..1usize << (in_vars + out_vars))
            .map(|_| f(rng.gen_range(-8..8)))
            .collect();
        let r_o: Vec<E> = (0..out_vars).map(|_| E::rand(&mut rng)).collect();
        let weights = [-E::ONE, f::<E>(3)];
        let mut witness = || -> Vec<Vec<F>> {
            let x: Vec<F> = (0..1usize << in_vars)
                .map(|_| f(rng.gen_range(-8..8)))
                .collect();
            let t1: Vec<F> = (0..1usize << out_vars)
                .map(|_| f(rng.gen_range(-8..8)))
                .collect();
            let t0: Vec<F> = (0..1usize << out_vars)
                .map(|o| {
                    let row = &m[o << in_vars..(o + 1) << in_vars];
                    row.iter().zip(&x).map(|(&a, &b)| a * b).sum::<F>() + f::<F>(3) * t1[o]
                })
                .collect();
            vec![m.clone(), x, t0, t1]
        };
        let (ta, tb) = (witness(), witness());
        let degree = matvec_mask_degree(true, false, 2);
        let n = in_vars.max(out_vars);
        let fresh = 1 + (n + 1) * degree;
        let folded = fold_rows(&m, in_vars, &eq_table(&r_o));
        let prover = |t: &Vec<Vec<F>>| {
            let (t, r_o, folded) = (t.clone(), r_o.clone(), folded.clone());
            move |rnd: &Randomness<E>| -> Proven<E> {
                let outputs: Vec<(E, &[F])> = vec![(weights[0], &t[2][..]), (weights[1], &t[3])];
                let mask = Mask::from_entries(n + 1, &rnd.fresh).unwrap();
                let (proof, claims) = prove_matvec_zk(
                    MatVec {
                        matrix: folded.clone(),
                        matrix_public: true,
                        x: &t[1],
                        input_public: false,
                    },
                    &outputs,
                    &r_o,
                    E::ZERO,
                    &mask,
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
        let matrix = |rho: &[E]| crate::poly::evaluate_base(&m, &[rho, &r_o[..]].concat());
        let verify = |p: &[MaskedProof<E>]| {
            let claims = verify_matvec_zk::<F, E>(
                MatVecNames {
                    step: "s",
                    point: "p",
                    input: "i",
                },
                in_vars,
                &weights,
                Some(&matrix),
                None,
                &r_o,
                E::ZERO,
                degree,
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
        let sizes = mask_sizes(&[in_vars + out_vars, in_vars, out_vars, out_vars]);
        explain::check_explained(&w, Randomness::random(&mut rng, fresh, &sizes));
        explain::check_spread(&w, &mut || Randomness::random(&mut rng, fresh, &sizes), 64);
    }

    /// The simulator's test and the spread of [`prove_matvec_zk`] with a public matrix, on both
    /// fields.
    #[test]
    fn the_public_matrix_step_is_simulated_for_any_witness() {
        matvec_witnesses::<Goldilocks, GoldilocksExt2>(26, 3, 2);
        matvec_witnesses::<Bn254Fr, Bn254Fr>(27, 2, 3);
    }
}

/// A dense layer of a network: `acc = W·x + b`, then requantization. Transparent: the bias's
/// limbs are read at the output's part of the step's point and the product sum-check reduces
/// `acc − b` to claims on `W` (model) and `x` ([`prove_batched`]: a batch's coordinates are the
/// point's top ones, `W` claimed at a single input's point). Zero knowledge: one masked
/// sum-check with the bias limbs and the requantization's tables on the output side
/// ([`prove_zk`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dense {
    /// Model segment of the weight matrix.
    pub weights: usize,
    /// The bias.
    pub bias: Bias,
    /// Requantization.
    pub requant: Requant,
}

impl NetworkOp for Dense {
    const KIND: &'static str = "layers: dense";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        let acc = w
            .accumulator()
            .unwrap_or_else(|| unreachable!("a dense layer accumulates"));
        Witnessed::Requantize {
            acc: w.pad_output(acc),
            relu: false,
        }
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        // A batch's tables are folded at the batch point: one input's sum-check.
        let b = m.plan.batch_vars;
        let in_vars = m.plan.dims[m.tin()].num_vars() - b;
        let outputs = self.bias.limbs.len() + requant::table_count(&self.requant);
        let degree = zk_mask_degree(m.public(m.tin()), outputs);
        Ok(vec![crate::network::zk::libra_len(
            in_vars.max(m.out_vars() - b),
            degree,
        )])
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
        let (plan, tin) = (cx.plan, cx.plan.input(l));
        // `r = (r_o, r_b)`: the batch coordinates are the top ones.
        let (r_o, r_b) = rq.r.split_at(rq.r.len() - plan.batch_vars);
        let b = cx.eval_bias(&self.bias, r_o);
        let (proof, rho) = prove_batched(
            &cx.model[self.weights],
            &cx.tensors[tin],
            r_o,
            r_b,
            rq.acc - b,
            cx.t,
        );
        let xv = proof.values[1];
        cx.products.push(proof);
        let in_vars = rho.len() - plan.batch_vars;
        let mut wp = rho[..in_vars].to_vec();
        wp.extend_from_slice(r_o);
        cx.model_claims.push((self.weights, wp));
        cx.claim_tensor(tin, &rho, xv);
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        rq: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        let rq = rq.ok_or(VerifyError::AdviceShape)?;
        let (plan, tin) = (cx.plan, cx.plan.input(l));
        let dims_in = plan.dims.get(tin).ok_or(VerifyError::AdviceShape)?;
        // `r = (r_o, r_b)`: the batch coordinates are the top ones.
        let nb = plan.batch_vars;
        let (r_o, r_b) = rq.r.split_at(rq.r.len().saturating_sub(nb));
        let b = cx.eval_bias(&self.bias, r_o)?;
        let proof = cx.product()?;
        let in_vars = dims_in.num_vars().saturating_sub(nb);
        let (rho, wv, xv) =
            verify_batched(in_vars, r_b, rq.acc - b, proof, cx.t).map_err(|e| cx.err(e))?;
        let mut wp = rho.get(..in_vars).unwrap_or(&[]).to_vec();
        wp.extend_from_slice(r_o);
        cx.model_claims.push((self.weights, wp, wv));
        cx.claim_tensor(tin, &rho, xv)
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        // `r = (r_o, r_b)`: a batch's tables are folded at `r_b` (the model's are one input's).
        let b = cx.zp.plan.batch_vars;
        let (r_o, r_b) = cx.r.split_at(cx.r.len() - b);
        let (outs, lhs) = dense_outputs::<F, E>(&self.bias, &self.requant, r_o);
        let mut tables = vec![
            cx.zp.table::<E>(Table::Model(self.weights)),
            cx.x_table.clone(),
        ];
        tables.extend(outs.iter().map(|(_, t)| cx.zp.table::<E>(*t)));
        let outputs: Vec<(E, MatTable<'_, F, E>)> = outs
            .iter()
            .map(|(k, t)| {
                // The requantization's advice tables carry the batch; the bias's (in the
                // model) is one input's.
                let r = if matches!(t, Table::Advice(_)) {
                    r_b
                } else {
                    &[]
                };
                (*k, MatTable::at_batch(cx.segment(t), r))
            })
            .collect();
        let x = MatTable::at_batch(&cx.tensors[cx.tin], r_b);
        let (fresh, off) = cx.fresh(0);
        let vars = (cx.zp.plan.dims[cx.tin].num_vars() - b).max(cx.out_vars - b);
        let mask = Mask::from_entries(vars + 1, fresh)
            .unwrap_or_else(|| unreachable!("the slot holds the step's mask"));
        let (proof, deferred) = prove_zk_batched(
            &cx.model[self.weights],
            x,
            cx.x_public,
            &outputs,
            r_o,
            r_b,
            lhs,
            &mask,
            &cx.masks(&tables),
            cx.t,
        );
        cx.finish(proof, deferred, &tables, off)
    }

    fn verify_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepVerifier<'_, '_, F, E>,
    ) -> Result<(), VerifyError> {
        // `r = (r_o, r_b)`: a batch's tables were folded at `r_b`.
        let b = cx.zp.plan.batch_vars;
        let (r_o, r_b) =
            cx.r.split_at_checked(cx.r.len().wrapping_sub(b))
                .ok_or(VerifyError::AdviceShape)?;
        let (outs, lhs) = dense_outputs::<F, E>(&self.bias, &self.requant, r_o);
        let mut tables = vec![
            cx.zp.table::<E>(Table::Model(self.weights)),
            cx.x_table.clone(),
        ];
        tables.extend(outs.iter().map(|(_, t)| cx.zp.table::<E>(*t)));
        let weights: Vec<E> = outs.iter().map(|(k, _)| *k).collect();
        let degree = zk_mask_degree(cx.x_public, outs.len());
        let in_vars = cx
            .zp
            .plan
            .dims
            .get(cx.tin)
            .ok_or(VerifyError::AdviceShape)?
            .num_vars()
            .checked_sub(b)
            .ok_or(VerifyError::AdviceShape)?;
        let folds = Folds {
            r_b,
            input: b > 0,
            outputs: outs
                .iter()
                .map(|(_, t)| b > 0 && matches!(t, Table::Advice(_)))
                .collect(),
        };
        let proof = cx.next()?;
        let claims = verify_matvec_folded::<F, E>(
            MatVecNames {
                step: "dense (zero knowledge)",
                point: "dense (zero knowledge) point",
                input: "dense (zero knowledge) public input",
            },
            in_vars,
            &weights,
            None,
            cx.input_table,
            r_o,
            &folds,
            lhs,
            degree,
            proof,
            cx.t,
        )
        .map_err(|e| cx.layer_err(e))?;
        cx.finish(claims, &tables, 0)
    }
}

/// The plan of a dense layer: its weight matrix's and bias's model segments and its requantization.
pub(crate) fn plan(
    d: &crate::model::Dense,
    cx: &mut PlanStep<'_>,
) -> Result<Planned, NetworkError> {
    let input = cx.input.clone();
    let out_shape = cx.out_shape;
    if input.shape.len() != 1 {
        return Err(cx.unsupported("a dense layer on a tensor that is not 1-D".into()));
    }
    let output = cx.weighted_padded(Dims::new(out_shape));
    let (vo, vi) = (output.vars[0], input.vars[0]);
    let weights = cx.p.weight_seg(d.out_features, vo, d.in_features, vi);
    let bias = cx.p.bias(d.out_features, vo);
    let requant =
        cx.p.requant(d.shift, output.num_vars(), cx.overflow(d.shift)?);
    let src = yn(&requant);
    let step = Step::Dense(Dense {
        weights,
        bias,
        requant,
    });
    Ok((step, output, src))
}
