//! The model commitment and its check: a Basefold commitment to the model's packed table, and a
//! proof, made once by [`commit_model`], that the committed table holds a model of the
//! architecture — every weight in `[−2^{W−1}, 2^{W−1})`, every bias limb in its range, and
//! every other entry (padded rows and columns, unused space) zero.
//!
//! **Statement.** The commitment `C` (root, `n` variables) is to a table `T` of `2^n` entries
//! with, for public data derived from the architecture alone — the in-use indicator `U` and a
//! range `[lo_j, hi_j]` per segment ([`super::plan::ModelSeg`]) —
//!
//! ```text
//!     lo_j ≤ T(x) ≤ hi_j   where U(x) = 1 (x in segment j),      T(x) = 0   where U(x) = 0.
//! ```
//!
//! **Protocol.** One column `c₀ = T − L` over the whole table (`L = lo_j` on entries in use, 0
//! elsewhere) is range-checked against `[0, 2^W)` by logUp-GKR ([`crate::range`]), with, for each
//! segment whose range is narrower than `2^W` (`hi − lo + 1 = 2^w`, a bias's top limb when
//! `W ∤ 32`), a column `2^{W−w}·(T_j − lo_j·U_j)` over that segment. A zero-check
//! `Σ_x eq(ρ, x)·(1 − U(x))·T(x) = 0` at a fresh `ρ` makes every entry not in use zero. As
//! integers (no sum wraps modulo `p`): `T − lo ∈ [0, 2^W)` is the weights' exact range
//! (`hi − lo + 1 = 2^W`) and the full limbs'; the scaled column bounds a narrow limb by `2^w`.
//! The columns' claims and the zero-check's become claims on `T̃`; the verifier evaluates `Ũ`
//! and `L̃` itself in `O(segments · n)` (a segment's in-use indicator is a product of two
//! prefix indicators, [`crate::poly::lt_eval`]). The model commitment and the commitment to the
//! range multiplicities are opened together (one Basefold opening of both).
//!
//! **Columns.** A table beyond `2^COLUMN_VARS` entries is committed as its columns
//! ([`super::columns`]); the range column `T − L` is then range-checked per column (and a narrow
//! segment in pieces of at most a column), and the zero-check runs over the columns' variables,
//! `Σ_x eq(ρ_lo, x)·Σ_c eq(ρ_hi, c)·Z_c(x)·T_c(x) = 0` (the same sum), so every claim of the
//! check is on one column. With one column every step is what it was before columns existed.
//!
//! **Use.** The verifier checks the proof once per model ([`ModelCommitment::check`]) and gets a
//! [`CheckedCommitment`], the only way to call [`super::verify`]. See `spec/model-commitment.md`.

use super::columns::TableColumns;
use super::plan::Plan;
use super::{pcs, NetworkError, COLUMN_VARS};
use crate::field::{from_i64, BaseField, ExtField};
use crate::layers::{zero_check, LayerError, ProductProof};
use crate::model::{Layer, Model};
use crate::pcs::basefold::{self, Commitment, ProverData};
use crate::pcs::packing::Packing;
use crate::pcs::split::into_columns;
use crate::pcs::{Claim, MultilinearPcs, PcsError};
use crate::poly::{eq_table, lt_eval};
use crate::range::RangeError;
use crate::transcript::TranscriptExt;
use ark_ff::{FftField, Field};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use std::borrow::Cow;

/// The proof that a model commitment holds a model of its architecture.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct CheckProof<F: Field, E: Field> {
    /// The commitment to the range check's multiplicities (`2^W` entries).
    pub multiplicities: Commitment,
    /// The range check of `T − L` (and of the narrow segments' scaled columns).
    pub range: crate::range::Proof<E>,
    /// The zero-check `Σ eq(ρ, x)·Z(x)·T(x) = 0` (`Z` = 1 on entries not in use).
    pub zero_check: ProductProof<E>,
    /// One opening of the model commitment (at the range check's and the zero-check's points)
    /// and of the multiplicities, the one with more variables first.
    pub opening: basefold::Proof<F, E>,
}

/// What a model's owner publishes: the commitment and the proof that it holds a model of the
/// architecture. Many inference proofs reuse it.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ModelCommitment<F: Field, E: Field> {
    /// The Basefold commitment to the packed model table.
    pub commitment: Commitment,
    /// The check.
    pub check: CheckProof<F, E>,
}

/// A model commitment whose check passed against an architecture: what [`super::verify`]
/// takes. Only [`ModelCommitment::check`] makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedCommitment {
    commitment: Commitment,
    architecture: [u8; 32],
    column_vars: usize,
}

impl CheckedCommitment {
    /// The commitment.
    pub fn commitment(&self) -> &Commitment {
        &self.commitment
    }

    /// The column size it was checked with ([`super::COLUMN_VARS`] unless a test lowered it):
    /// the proofs against it commit their advice in columns of the same size.
    pub fn column_vars(&self) -> usize {
        self.column_vars
    }

    /// blake3 of the architecture JSON it was checked against.
    pub fn architecture_digest(&self) -> [u8; 32] {
        self.architecture
    }
}

/// Why a model commitment's check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The architecture cannot be planned (invalid, unsupported or too large).
    #[error("{0}")]
    Model(NetworkError),
    /// A commitment has the wrong number of variables or polynomials for the architecture.
    #[error("the {what} commitment has {got} variables and {polys} polynomials; the architecture needs {expected} variables and {expected_polys} polynomial(s)")]
    Shape {
        /// "model" or "multiplicities".
        what: &'static str,
        /// Variables expected (of each column of a table committed as columns).
        expected: usize,
        /// Variables in the commitment.
        got: u32,
        /// Polynomials expected (the columns of a table committed as columns).
        expected_polys: usize,
        /// Polynomials in the commitment.
        polys: u32,
    },
    /// The range check failed.
    #[error("range check: {0}")]
    Range(RangeError),
    /// The zero-check of the entries not in use failed.
    #[error("zero-check: {0}")]
    ZeroCheck(LayerError),
    /// A narrow segment's range claim is malformed.
    #[error("a narrow segment's range claim is malformed")]
    Bounds,
    /// The opening of the model commitment and the multiplicities failed: the table is not the
    /// committed one.
    #[error("opening of the model commitment and the multiplicities: {0}")]
    Opening(PcsError),
    /// A hiding commitment's mask has the wrong number of variables for the architecture (the
    /// zero-knowledge check, [`super::zk_check`]).
    #[error("the {what} commitment's mask has {got} variables; the architecture needs {expected}")]
    MaskVars {
        /// "model" or "check".
        what: &'static str,
        /// Variables expected.
        expected: usize,
        /// Variables in the commitment.
        got: u32,
    },
    /// The zero-knowledge check's deferred claims were refused or their opening failed: the
    /// committed tables do not satisfy them ([`super::zk_check`]).
    #[error("the zero-knowledge check's claims: {0}")]
    Deferred(crate::zk::DischargeError),
}

/// A model committed once, reusable by many proofs: what the model's owner publishes and the
/// prover's data.
pub struct CommittedModel<F: Field, E: Field> {
    /// What the verifier receives.
    pub public: ModelCommitment<F, E>,
    pub(crate) data: ProverData<F>,
    pub(crate) packing: Packing,
    pub(crate) architecture: String,
    /// The column size the model was committed with.
    pub(crate) column_vars: usize,
}

impl<F: Field, E: Field> CommittedModel<F, E> {
    /// The Basefold commitment.
    pub fn commitment(&self) -> &Commitment {
        &self.public.commitment
    }

    /// The column size the model was committed with ([`COLUMN_VARS`] unless a test lowered
    /// it): proofs commit their advice in columns of the same size.
    pub fn column_vars(&self) -> usize {
        self.column_vars
    }

    /// How the model's packed table is committed.
    pub(crate) fn columns(&self) -> TableColumns {
        TableColumns::new(self.packing.num_vars(), self.column_vars)
    }

    /// The committed columns.
    pub(crate) fn column_tables(&self) -> &[Vec<F>] {
        self.data.evals()
    }

    /// The committed segment tables: borrowed from their column, or (a segment of more than
    /// one column) the concatenation of its columns.
    pub(crate) fn segments(&self) -> Vec<Cow<'_, [F]>> {
        segments(&self.packing, self.columns(), self.data.evals())
    }
}

/// The segments of a packed table committed as `columns`: each borrowed from its column, or
/// the concatenation of its columns when it spans several.
pub(crate) fn segments<'a, F: Clone>(
    packing: &Packing,
    layout: TableColumns,
    columns: &'a [Vec<F>],
) -> Vec<Cow<'a, [F]>> {
    let m = layout.column_vars;
    (0..packing.len())
        .map(|j| {
            let (offset, v) = (packing.offset(j), packing.vars(j));
            let first = offset >> m;
            if v <= m {
                let at = offset & ((1 << m) - 1);
                let column = columns.get(first).map_or(&[][..], Vec::as_slice);
                Cow::Borrowed(column.get(at..at + (1 << v)).unwrap_or(&[]))
            } else {
                let spans = columns.get(first..first + (1 << (v - m))).unwrap_or(&[]);
                Cow::Owned(spans.concat())
            }
        })
        .collect()
}

/// The model's segment tables, in the plan's order.
pub(crate) fn model_tables<F: BaseField>(model: &Model, plan: &Plan) -> Vec<Vec<F>> {
    use super::plan::Step;
    let mut out: Vec<Vec<F>> = plan
        .model_segs
        .iter()
        .map(|s| vec![F::ZERO; 1 << s.vars])
        .collect();
    let put_bias = |out: &mut Vec<Vec<F>>, bias: &super::plan::Bias, values: &[i64]| {
        for (o, &b) in values.iter().enumerate() {
            for (&(seg, _), limb) in bias.limbs.iter().zip(bias.limbs_of(b)) {
                out[seg][o] = from_i64(limb);
            }
        }
    };
    for (l, layer) in model.layers.iter().enumerate() {
        match (layer, &plan.steps[l]) {
            (
                Layer::Conv2d(c),
                Step::Conv(crate::layers::conv::Conv {
                    shape,
                    kernel,
                    bias,
                    ..
                }),
            ) => {
                // Matrices `[o][j]`, `j` the input channel within o's group (`j = i` when
                // ungrouped).
                let (vj, gi) = (shape.group_in_vars(), c.group_in());
                let (kh, kw) = (c.kernel[0], c.kernel[1]);
                for o in 0..c.out_channels {
                    for j in 0..gi {
                        for dy in 0..kh {
                            for dx in 0..kw {
                                let w = c.weights[((o * gi + j) * kh + dy) * kw + dx];
                                out[kernel[dy * kw + dx]][(o << vj) | j] = from_i64(w);
                            }
                        }
                    }
                }
                put_bias(&mut out, bias, &c.bias);
            }
            (Layer::Dense(d), Step::Dense(crate::layers::dense::Dense { weights, bias, .. })) => {
                let vi = plan.dims[plan.input(l)].vars[0];
                for o in 0..d.out_features {
                    for i in 0..d.in_features {
                        out[*weights][(o << vi) | i] = from_i64(d.weights[o * d.in_features + i]);
                    }
                }
                put_bias(&mut out, bias, &d.bias);
            }
            _ => {}
        }
    }
    out
}

/// Commits to a model's weights and biases and proves the commitment well formed (once; many
/// proofs reuse it). A packed table beyond `2^COLUMN_VARS` entries is committed as its columns
/// ([`super::columns`]).
pub fn commit_model<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
) -> Result<CommittedModel<F, E>, NetworkError> {
    commit_model_timed(model, &mut Vec::new())
}

/// [`commit_model`], also recording how long each phase took.
pub fn commit_model_timed<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    phases: &mut super::Phases,
) -> Result<CommittedModel<F, E>, NetworkError> {
    commit_model_inner(model, COLUMN_VARS, phases)
}

/// [`commit_model`] with the packed table committed in columns of at most `2^column_vars`
/// entries (for tests, which split small models into several columns; `Plan::with_columns`).
/// Proofs against it commit their advice in columns of the same size, and its check must be
/// made with it ([`ModelCommitment::check_with_columns`]).
#[doc(hidden)]
pub fn commit_model_with_columns<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    column_vars: usize,
) -> Result<CommittedModel<F, E>, NetworkError> {
    commit_model_inner(model, column_vars, &mut Vec::new())
}

fn commit_model_inner<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    column_vars: usize,
    phases: &mut super::Phases,
) -> Result<CommittedModel<F, E>, NetworkError> {
    model.validate().map_err(NetworkError::Model)?;
    let plan = Plan::with_columns(model, super::ConvPolicy::CostModel, column_vars)?;
    let columns = model_columns::<F>(model, &plan);
    commit_packed(model, &plan, columns, false, phases)
}

/// The model's packed table, as the columns it is committed as.
pub(crate) fn model_columns<F: BaseField>(model: &Model, plan: &Plan) -> Vec<Vec<F>> {
    plan.model_packing
        .pack_columns(&model_tables::<F>(model, plan), plan.column_vars)
}

impl<F: BaseField + FftField, E: ExtField<F>> CommittedModel<F, E> {
    /// The prover's side of a published commitment: recomputes the Basefold commitment of
    /// `model`'s table (not the check, which `public` carries) and refuses a `public` that commits
    /// to other weights or another architecture (`NetworkError::CommitmentMismatch`).
    pub fn reuse(model: &Model, public: ModelCommitment<F, E>) -> Result<Self, NetworkError> {
        Self::reuse_with_columns(model, public, COLUMN_VARS)
    }

    /// [`Self::reuse`] for a commitment made in columns of at most `2^column_vars` entries
    /// ([`commit_model_with_columns`]).
    #[doc(hidden)]
    pub fn reuse_with_columns(
        model: &Model,
        public: ModelCommitment<F, E>,
        column_vars: usize,
    ) -> Result<Self, NetworkError> {
        model.validate().map_err(NetworkError::Model)?;
        let plan = Plan::with_columns(model, super::ConvPolicy::CostModel, column_vars)?;
        let columns = model_columns::<F>(model, &plan);
        let pcs = pcs::<F, E>().map_err(NetworkError::Pcs)?;
        let (commitment, data) =
            MultilinearPcs::<F, E>::commit(&pcs, columns).map_err(NetworkError::Pcs)?;
        if commitment != public.commitment {
            return Err(NetworkError::CommitmentMismatch);
        }
        Ok(CommittedModel {
            public,
            data,
            packing: plan.model_packing.clone(),
            architecture: model.architecture_json(),
            column_vars,
        })
    }
}

/// The first bytes of a stored prover data file.
pub const PROVER_DATA_MAGIC: &[u8; 8] = b"ZKCNNPRV";
/// The stored prover data's format version (2: 25-byte Merkle digests).
pub const PROVER_DATA_VERSION: u16 = 2;

impl<F: BaseField + FftField, E: ExtField<F>> CommittedModel<F, E> {
    /// Writes the prover's data of this commitment, so that later proofs skip the encoding and
    /// hashing that make most of a commitment's cost: a header (magic `ZKCNNPRV`, version,
    /// blake3 of the architecture, the root and variables of the commitment), then the
    /// codeword and the tree's leaf digests ([`basefold::ProverData::write_stored`]).
    pub fn write_prover_data(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        w.write_all(PROVER_DATA_MAGIC)?;
        w.write_all(&PROVER_DATA_VERSION.to_le_bytes())?;
        w.write_all(blake3::hash(self.architecture.as_bytes()).as_bytes())?;
        w.write_all(&self.public.commitment.root)?;
        w.write_all(&self.public.commitment.num_vars.to_le_bytes())?;
        self.data.write_stored(w)
    }

    /// A published commitment with the prover data [`Self::write_prover_data`] stored: the
    /// model's table is recomputed (cheap), the codeword and tree are read and checked against
    /// the commitment ([`basefold::ProverData::read_stored`], with spot checks against the
    /// table), nothing is encoded or hashed in full. Refuses data for another architecture or
    /// commitment (`NetworkError::ProverData`) and a commitment to other weights
    /// (`CommitmentMismatch`).
    pub fn load(
        model: &Model,
        public: ModelCommitment<F, E>,
        r: &mut impl std::io::Read,
    ) -> Result<Self, NetworkError> {
        Self::load_with_columns(model, public, r, COLUMN_VARS)
    }

    /// [`Self::load`] for a commitment made in columns of at most `2^column_vars` entries
    /// ([`commit_model_with_columns`]).
    #[doc(hidden)]
    pub fn load_with_columns(
        model: &Model,
        public: ModelCommitment<F, E>,
        r: &mut impl std::io::Read,
        column_vars: usize,
    ) -> Result<Self, NetworkError> {
        model.validate().map_err(NetworkError::Model)?;
        let plan = Plan::with_columns(model, super::ConvPolicy::CostModel, column_vars)?;
        let bad = |what: &'static str| NetworkError::ProverData(what.to_string());
        let mut head = [0u8; 8 + 2 + 32 + crate::pcs::merkle::DIGEST_BYTES + 4];
        r.read_exact(&mut head).map_err(|e| {
            NetworkError::ProverData(match e.kind() {
                std::io::ErrorKind::UnexpectedEof => "truncated inside its header".into(),
                _ => format!("reading its header: {e}"),
            })
        })?;
        let (magic, rest) = head.split_at(8);
        let (version, rest) = rest.split_at(2);
        let (arch, rest) = rest.split_at(32);
        let (root, vars) = rest.split_at(crate::pcs::merkle::DIGEST_BYTES);
        if magic != PROVER_DATA_MAGIC {
            return Err(bad("not zkcnn prover data (bad magic bytes)"));
        }
        if version != PROVER_DATA_VERSION.to_le_bytes() {
            return Err(bad("another format version"));
        }
        if arch != blake3::hash(model.architecture_json().as_bytes()).as_bytes() {
            return Err(bad("it is for another architecture"));
        }
        if root != public.commitment.root
            || vars != public.commitment.num_vars.to_le_bytes()
            || !plan.model_columns().matches(&public.commitment)
        {
            return Err(NetworkError::CommitmentMismatch);
        }
        let columns = model_columns::<F>(model, &plan);
        let params = pcs::<F, E>().map_err(NetworkError::Pcs)?.params;
        let data = ProverData::read_stored(&params, &public.commitment, columns, r, 16, 1)
            .map_err(|e| match e {
                basefold::StoredError::Mismatch("a sampled codeword entry") => {
                    NetworkError::CommitmentMismatch
                }
                e => NetworkError::ProverData(e.to_string()),
            })?;
        Ok(CommittedModel {
            public,
            data,
            packing: plan.model_packing.clone(),
            architecture: model.architecture_json(),
            column_vars,
        })
    }
}

/// Commits to a packed model table, given as its columns (`plan.model_columns()`), and proves
/// the check; `tolerant` (for the cheating tests) counts the multiplicities of out-of-range
/// entries as nothing instead of refusing.
pub(crate) fn commit_packed<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    plan: &Plan,
    columns: Vec<Vec<F>>,
    tolerant: bool,
    phases: &mut super::Phases,
) -> Result<CommittedModel<F, E>, NetworkError> {
    let clock = std::time::Instant::now();
    let pcs = pcs::<F, E>().map_err(NetworkError::Pcs)?;
    let (commitment, data) =
        MultilinearPcs::<F, E>::commit(&pcs, columns).map_err(NetworkError::Pcs)?;
    phases.push(("commitment", clock.elapsed()));
    let check = prove_check::<F, E>(model, plan, &commitment, &data, tolerant, phases)?;
    Ok(CommittedModel {
        public: ModelCommitment { commitment, check },
        data,
        packing: plan.model_packing.clone(),
        architecture: model.architecture_json(),
        column_vars: plan.column_vars,
    })
}

/// Starts the check's transcript: the architecture, the commitment, the multiplicities'.
fn check_transcript(
    plan: &Plan,
    architecture: &Model,
    commitment: &Commitment,
    multiplicities: &Commitment,
) -> Transcript {
    let mut t = Transcript::new(b"zkcnn");
    t.domain_separator(
        b"zkcnn-model-check",
        &[
            u64::from(plan.weight_bits),
            plan.model_packing.num_vars() as u64,
        ],
    );
    let arch = blake3::hash(architecture.architecture_json().as_bytes());
    t.append_message(b"model-architecture", arch.as_bytes());
    t.append_message(b"model-commitment", &commitment.root);
    t.append_u64(b"model-vars", u64::from(commitment.num_vars));
    t.append_message(b"check-multiplicities", &multiplicities.root);
    t
}

/// The Basefold parameters of the check's openings.
fn params<F: BaseField + FftField, E: ExtField<F>>(
    num_vars: u32,
) -> Result<basefold::Params, PcsError> {
    super::opening_params::<F, E>(num_vars)
}

/// The segments whose range is narrower than the table (`hi − lo + 1 = 2^w < 2^W`: a bias's top
/// limb when `W ∤ 32`), each with the scale `2^{W−w}` of its extra column.
fn narrow(plan: &Plan) -> Vec<(usize, i64)> {
    let full = 1i64 << plan.weight_bits;
    plan.model_segs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.hi - s.lo + 1 < full)
        .map(|(j, s)| (j, full / (s.hi - s.lo + 1)))
        .collect()
}

/// Calls `f(x, seg)` for every entry `x` of the packed table that segment `seg` uses.
pub(super) fn for_each_used(plan: &Plan, mut f: impl FnMut(usize, usize)) {
    for (j, s) in plan.model_segs.iter().enumerate() {
        let base = plan.model_packing.offset(j);
        for row in 0..s.rows {
            for col in 0..s.cols {
                f(base + ((row << s.col_vars) | col), j);
            }
        }
    }
}

/// A narrow segment's range column in pieces of at most one table column: the segment, the
/// scale `2^{W−w}`, the pieces' variables `min(v, m)` and their number `2^{v − min(v, m)}`
/// (one piece, the whole segment, unless a test lowered the column size below it).
#[derive(Clone, Copy, Debug)]
pub(super) struct Narrow {
    pub(super) seg: usize,
    pub(super) scale: i64,
    pub(super) piece_vars: usize,
    pub(super) pieces: usize,
}

/// The narrow segments ([`narrow`]) in pieces of at most one column of the model's table.
pub(super) fn narrow_pieces(plan: &Plan) -> Vec<Narrow> {
    let m = plan.model_columns().column_vars;
    narrow(plan)
        .into_iter()
        .map(|(seg, scale)| {
            let v = plan.model_segs.get(seg).map_or(0, |s| s.vars);
            let piece_vars = v.min(m);
            Narrow {
                seg,
                scale,
                piece_vars,
                pieces: 1 << (v - piece_vars),
            }
        })
        .collect()
}

/// The range columns, each within one column of the committed table: `T_c − L_c` for each
/// column `c` of the table (`L = lo` on entries in use, 0 elsewhere), then
/// `2^{W−w}·(T_j − lo_j·U_j)` for each narrow segment `j`, in pieces of at most one column
/// ([`narrow_pieces`]); and per column the zero-check's `Z_c` (1 on entries not in use). A
/// table of one column gives `T − L`, the narrow segments' columns and `Z`.
pub(super) fn columns<F: BaseField>(plan: &Plan, table: &[Vec<F>]) -> (Vec<Vec<F>>, Vec<Vec<F>>) {
    let layout = plan.model_columns();
    let m = layout.column_vars;
    let mask = (1usize << m) - 1;
    let mut cols = table.to_vec();
    let mut z = vec![vec![F::ONE; 1 << m]; table.len()];
    for_each_used(plan, |x, j| {
        let (c, i) = (x >> m, x & mask);
        cols[c][i] -= from_i64::<F>(plan.model_segs[j].lo);
        z[c][i] = F::ZERO;
    });
    let segments = segments(&plan.model_packing, layout, table);
    for n in narrow_pieces(plan) {
        let s = &plan.model_segs[n.seg];
        let (k, lo) = (from_i64::<F>(n.scale), from_i64::<F>(s.lo));
        let mut c: Vec<F> = segments[n.seg].iter().map(|&t| k * t).collect();
        for row in 0..s.rows {
            for col in 0..s.cols {
                c[(row << s.col_vars) | col] -= k * lo;
            }
        }
        cols.extend(into_columns(c, n.piece_vars));
    }
    (cols, z)
}

/// The boolean coordinates of `x`'s low `count` bits, least significant first.
fn bits<E: Field>(x: usize, count: usize) -> impl Iterator<Item = E> {
    (0..count).map(move |k| if (x >> k) & 1 == 1 { E::ONE } else { E::ZERO })
}

/// `point` followed by the bits of `x` (`count` of them): a point on a column or piece `x`.
pub(super) fn with_bits<E: Field>(point: &[E], x: usize, count: usize) -> Vec<E> {
    point.iter().copied().chain(bits(x, count)).collect()
}

/// Transcript label and error name of the check's zero-check.
const ZERO_CHECK: &str = "model zero-check";

/// The zero-check `Σ_x eq(ρ, x)·Z(x)·T(x) = 0` over the columns of the table: with
/// `ρ = (ρ_lo, ρ_hi)`, `Σ_{x < 2^m} eq(ρ_lo, x)·Σ_c eq(ρ_hi, c)·Z_c(x)·T_c(x) = 0`, the same sum
/// (exactly), proven by one sum-check over the columns' `m` variables. The values sent are
/// `eq(ρ_lo, ·)`, then `Z_c` and `T_c` per column, at the sum-check's point. With one column it is
/// the product sum-check of `eq(ρ, ·)`, `Z` and `T` ([`crate::layers::prove_product`]).
fn prove_zero_check<F: BaseField, E: ExtField<F>>(
    rho: &[E],
    layout: TableColumns,
    z: Vec<Vec<F>>,
    table: &[Vec<F>],
    t: &mut Transcript,
) -> (ProductProof<E>, Vec<E>) {
    let (lo, hi) = rho.split_at(layout.column_vars);
    let beta = eq_table(hi);
    let columns = z.len().min(beta.len());
    let tables: Vec<Vec<F>> = z
        .into_iter()
        .zip(table)
        .take(columns)
        .flat_map(|(zc, tc)| [zc, tc.clone()])
        .collect();
    let pairs: Vec<(usize, usize)> = (0..columns).map(|c| (2 * c, 2 * c + 1)).collect();
    zero_check::prove_at(lo, &beta[..columns], tables, &pairs, t)
}

/// `(Ũ(z), L̃(z))` at a point `z` on the packed table: the in-use indicator and the lower
/// bounds.
pub(super) fn used_at<F: BaseField, E: ExtField<F>>(plan: &Plan, z: &[E]) -> (E, E) {
    let (mut used, mut lo) = (E::ZERO, E::ZERO);
    for (j, s) in plan.model_segs.iter().enumerate() {
        let u = plan.model_packing.entries_selector(j, z) * segment_used(s, z);
        used += u;
        lo += u * crate::field::lift::<E>(from_i64::<F>(s.lo));
    }
    (used, lo)
}

/// A segment's in-use indicator at the first `vars` coordinates of `z`.
pub(super) fn segment_used<E: Field>(s: &super::plan::ModelSeg, z: &[E]) -> E {
    let Some(zs) = z.get(..s.vars) else {
        return E::ZERO;
    };
    let (cols, rows) = zs.split_at(s.col_vars.min(zs.len()));
    lt_eval(cols, s.cols) * lt_eval(rows, s.rows)
}

#[allow(clippy::too_many_arguments)]
fn prove_check<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    plan: &Plan,
    commitment: &Commitment,
    data: &ProverData<F>,
    tolerant: bool,
    phases: &mut super::Phases,
) -> Result<CheckProof<F, E>, NetworkError> {
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        phases.push((name, clock.elapsed()));
        clock = std::time::Instant::now();
    };
    let bits = plan.weight_bits as usize;
    let table = data.evals();
    let layout = plan.model_columns();
    let (cols, z) = columns(plan, table);
    let refs: Vec<&[F]> = cols.iter().map(Vec::as_slice).collect();
    let m = if tolerant {
        crate::range::count_in_range(&refs, bits)
    } else {
        crate::range::multiplicities(&refs, bits).map_err(NetworkError::Range)?
    };
    let prove = if tolerant {
        crate::range::prove_trusting::<F, E>
    } else {
        crate::range::prove::<F, E>
    };
    let pcs = pcs::<F, E>().map_err(NetworkError::Pcs)?;
    let (mcom, mdata) =
        MultilinearPcs::<F, E>::commit(&pcs, vec![m.clone()]).map_err(NetworkError::Pcs)?;
    lap("check: columns and multiplicities");
    let mut t = check_transcript(plan, model, commitment, &mcom);
    let (range, claims) = prove(&refs, bits, &m, &mut t).map_err(NetworkError::Range)?;
    drop(cols);
    lap("check: range check");
    // Zero-check Σ eq(ρ, x)·Z(x)·T(x) = 0: every entry not in use is zero.
    let n = plan.model_packing.num_vars();
    let rho: Vec<E> = t.challenge_fields(b"check-zero-point", n);
    let (zero_check, point) = prove_zero_check(&rho, layout, z, table, &mut t);
    lap("check: zero-check");
    // Claims on the columns: each column at the zero-check's point, each column of `T − L` at
    // its range point, each narrow piece at its range point (inside one column).
    let mut model_claims: Vec<Claim<E>> = (0..layout.count())
        .map(|c| Claim::new(c, point.clone()))
        .collect();
    let mut points = claims.columns.iter();
    for (c, claim) in points.by_ref().take(layout.count()).enumerate() {
        model_claims.push(Claim::new(c, claim.point.clone()));
    }
    for n in narrow_pieces(plan) {
        for (i, claim) in points.by_ref().take(n.pieces).enumerate() {
            let q = with_bits(&claim.point, i, n.pieces.trailing_zeros() as usize);
            let packed = plan.model_packing.point(n.seg, &q);
            let (live, lo) = layout.split_point(&packed);
            let c = live.first().map_or(0, |&(c, _)| c);
            model_claims.push(Claim::new(c, lo.to_vec()));
        }
    }
    let m_claims = [Claim::new(0, claims.multiplicities.point.clone())];
    let model_part = basefold::Part {
        commitment,
        data,
        claims: &model_claims,
    };
    let m_part = basefold::Part {
        commitment: &mcom,
        data: &mdata,
        claims: &m_claims,
    };
    let parts = super::opening_parts(Some(model_part), m_part, |p| p.commitment.num_vars);
    let opening_params = params::<F, E>(parts[0].commitment.num_vars).map_err(NetworkError::Pcs)?;
    let (_, opening) =
        basefold::open_parts(&opening_params, &parts, &mut t).map_err(NetworkError::Pcs)?;
    lap("check: openings");
    Ok(CheckProof {
        multiplicities: mcom,
        range,
        zero_check,
        opening,
    })
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
impl<F: BaseField + FftField, E: ExtField<F>> ModelCommitment<F, E> {
    /// Checks that the commitment holds a model of `architecture` (weights may be absent:
    /// [`Model::architecture`]); never panics on the proof's contents.
    pub fn check(&self, architecture: &Model) -> Result<CheckedCommitment, CheckError> {
        self.check_with_columns(architecture, COLUMN_VARS)
    }

    /// [`Self::check`] of a commitment made in columns of at most `2^column_vars` entries
    /// ([`commit_model_with_columns`]); the checked commitment carries the column size to
    /// [`super::verify`].
    #[doc(hidden)]
    pub fn check_with_columns(
        &self,
        architecture: &Model,
        column_vars: usize,
    ) -> Result<CheckedCommitment, CheckError> {
        // Weights passed along are dropped, not scanned.
        let architecture = &architecture.architecture();
        let plan = Plan::with_columns(architecture, super::ConvPolicy::CostModel, column_vars)
            .map_err(CheckError::Model)?;
        let layout = plan.model_columns();
        let n = plan.model_packing.num_vars();
        let m = layout.column_vars;
        let bits = plan.weight_bits as usize;
        for (what, c, expected, expected_polys) in [
            ("model", &self.commitment, m, layout.count()),
            ("multiplicities", &self.check.multiplicities, bits, 1),
        ] {
            if c.num_vars as usize != expected || c.num_polys as usize != expected_polys {
                return Err(CheckError::Shape {
                    what,
                    expected,
                    got: c.num_vars,
                    expected_polys,
                    polys: c.num_polys,
                });
            }
        }
        let mut t = check_transcript(
            &plan,
            architecture,
            &self.commitment,
            &self.check.multiplicities,
        );
        let narrow = narrow_pieces(&plan);
        let range_vars: Vec<usize> = std::iter::repeat_n(m, layout.count())
            .chain(
                narrow
                    .iter()
                    .flat_map(|p| std::iter::repeat_n(p.piece_vars, p.pieces)),
            )
            .collect();
        let claims = crate::range::verify::<F, E>(&range_vars, bits, &self.check.range, &mut t)
            .map_err(CheckError::Range)?;
        if claims.columns.len() != range_vars.len() {
            return Err(CheckError::Range(RangeError::NoColumns));
        }
        // The zero-check: Σ eq(ρ, x)·Z(x)·T(x) = 0 with Z = 1 − U, over the columns.
        let rho: Vec<E> = t.challenge_fields(b"check-zero-point", n);
        let (rho_lo, rho_hi) = rho.split_at(m.min(rho.len()));
        let beta = eq_table(rho_hi);
        let columns = layout.count();
        let names = zero_check::Names {
            step: ZERO_CHECK,
            eq: "model zero-check eq or in-use indicator",
        };
        let pairs: Vec<(usize, usize)> = (0..columns).map(|c| (2 * c, 2 * c + 1)).collect();
        let coeffs = beta.get(..columns).ok_or(CheckError::Bounds)?;
        let (point, per_column) = zero_check::verify_at(
            names,
            rho_lo,
            coeffs,
            2 * columns,
            &pairs,
            &self.check.zero_check,
            &mut t,
        )
        .map_err(CheckError::ZeroCheck)?;
        let h = layout.high_vars();
        // eq was checked with the sum; the in-use indicators are the verifier's own.
        let mut eq_ok = true;
        let mut model_claims = Vec::with_capacity(2 * layout.count() + narrow.len());
        let mut values = Vec::with_capacity(model_claims.capacity());
        for (c, zt) in per_column.chunks_exact(2).enumerate() {
            let (used, _) = used_at::<F, E>(&plan, &with_bits(&point, c, h));
            let [zv, tv] = zt else {
                return Err(CheckError::Bounds);
            };
            eq_ok &= *zv == E::ONE - used;
            model_claims.push(Claim::new(c, point.clone()));
            values.push(*tv);
        }
        if !eq_ok {
            return Err(CheckError::ZeroCheck(LayerError::PublicValue {
                what: "model zero-check eq or in-use indicator",
            }));
        }
        let mut cols = claims.columns.iter();
        for (c, claim) in cols.by_ref().take(layout.count()).enumerate() {
            let (_, lo) = used_at::<F, E>(&plan, &with_bits(&claim.point, c, h));
            model_claims.push(Claim::new(c, claim.point.clone()));
            values.push(claim.value + lo);
        }
        for p in &narrow {
            let s = plan.model_segs.get(p.seg).ok_or(CheckError::Bounds)?;
            let k = crate::field::lift::<E>(from_i64::<F>(p.scale));
            let inv = k.inverse().ok_or(CheckError::Bounds)?;
            for (i, claim) in cols.by_ref().take(p.pieces).enumerate() {
                if claim.point.len() != p.piece_vars {
                    return Err(CheckError::Bounds);
                }
                let q = with_bits(&claim.point, i, p.pieces.trailing_zeros() as usize);
                let lo = crate::field::lift::<E>(from_i64::<F>(s.lo)) * segment_used(s, &q);
                let packed = plan.model_packing.point(p.seg, &q);
                let (live, z_lo) = layout.split_point(&packed);
                let [(c, _)] = live.as_slice() else {
                    return Err(CheckError::Bounds);
                };
                model_claims.push(Claim::new(*c, z_lo.to_vec()));
                values.push(claim.value * inv + lo);
            }
        }
        let m_claims = [Claim::new(0, claims.multiplicities.point.clone())];
        let m_values = [claims.multiplicities.value];
        let model_part = basefold::Statement {
            commitment: &self.commitment,
            claims: &model_claims,
            values: &values,
        };
        let m_part = basefold::Statement {
            commitment: &self.check.multiplicities,
            claims: &m_claims,
            values: &m_values,
        };
        let parts = super::opening_parts(Some(model_part), m_part, |p| p.commitment.num_vars);
        let opening_params = params::<F, E>(parts.first().map_or(0, |p| p.commitment.num_vars))
            .map_err(|e| CheckError::Model(NetworkError::Pcs(e)))?;
        basefold::verify_parts(&opening_params, &parts, &self.check.opening, &mut t)
            .map_err(CheckError::Opening)?;
        Ok(CheckedCommitment {
            commitment: self.commitment.clone(),
            architecture: *blake3::hash(architecture.architecture_json().as_bytes()).as_bytes(),
            column_vars,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use crate::model::zoo;
    use crate::pcs::packing::block_selector;
    use crate::poly::evaluate_base;
    use ark_std::UniformRand;

    /// The segments' and free blocks' selectors at `z` sum to 1.
    fn selectors_sum<E: Field>(packing: &Packing, z: &[E]) -> E {
        let mut s: E = (0..packing.len()).map(|j| packing.selector(j, z)).sum();
        for (o, v) in packing.free_blocks() {
            s += block_selector(o, v, z);
        }
        s
    }

    /// `Ũ` and `L̃` at a random point equal the multilinear extensions of their tables, on a
    /// model whose bias limbs include narrow ones (`W = 5`).
    #[test]
    fn used_and_bounds_match_their_tables() {
        let mut model = zoo::lenet5(1);
        model.weight_bits = 5;
        for layer in &mut model.layers {
            if let crate::model::Layer::Conv2d(c) = layer {
                c.weights.iter_mut().for_each(|w| *w = (*w).clamp(-16, 15));
            }
            if let crate::model::Layer::Dense(d) = layer {
                d.weights.iter_mut().for_each(|w| *w = (*w).clamp(-16, 15));
            }
        }
        // One column, and columns of 2^6 entries (narrow segments of 2^7 in pieces).
        for column_vars in [crate::network::COLUMN_VARS, 6] {
            let plan =
                Plan::with_columns(&model, crate::network::ConvPolicy::CostModel, column_vars)
                    .unwrap();
            assert!(!narrow(&plan).is_empty());
            let layout = plan.model_columns();
            let n = plan.model_packing.num_vars();
            let zero = vec![
                vec![<F as ark_ff::AdditiveGroup>::ZERO; 1 << layout.column_vars];
                layout.count()
            ];
            let (cols, z) = columns::<F>(&plan, &zero);
            assert_eq!(z.len(), layout.count());
            let lo: Vec<F> = cols[..layout.count()]
                .concat()
                .iter()
                .map(|&x| -x)
                .collect();
            let used: Vec<F> = z.concat().iter().map(|&x| F::ONE - x).collect();
            let mut rng = ark_std::test_rng();
            let p: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
            assert_eq!(
                used_at::<F, E>(&plan, &p),
                (evaluate_base(&used, &p), evaluate_base(&lo, &p))
            );
            assert_eq!(selectors_sum(&plan.model_packing, &p), E::ONE);
            // The narrow segments' pieces tile their segments.
            let pieces: usize = narrow_pieces(&plan).iter().map(|p| p.pieces).sum();
            assert_eq!(cols.len(), layout.count() + pieces);
            if column_vars == 6 {
                assert!(layout.count() > 1 && pieces > narrow(&plan).len());
            }
        }
    }
}
