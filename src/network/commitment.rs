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
//! **Use.** The verifier checks the proof once per model ([`ModelCommitment::check`]) and gets a
//! [`CheckedCommitment`], the only way to call [`super::verify`]. See `spec/model-commitment.md`.

use super::plan::Plan;
use super::{pcs, NetworkError};
use crate::field::{from_i64, BaseField, ExtField};
use crate::layers::{verify_product, LayerError, ProductProof};
use crate::model::{Layer, Model};
use crate::pcs::basefold::{self, Commitment, ProverData};
use crate::pcs::packing::{block_selector, Packing};
use crate::pcs::{Claim, MultilinearPcs, PcsError};
use crate::poly::{eq_eval, eq_table, lt_eval, Mle};
use crate::range::RangeError;
use crate::transcript::TranscriptExt;
use ark_ff::{FftField, Field};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

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
}

impl CheckedCommitment {
    /// The commitment.
    pub fn commitment(&self) -> &Commitment {
        &self.commitment
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
    #[error("the {what} commitment has {got} variables and {polys} polynomials; the architecture needs {expected} variables and 1 polynomial")]
    Shape {
        /// "model" or "multiplicities".
        what: &'static str,
        /// Variables expected.
        expected: usize,
        /// Variables in the commitment.
        got: u32,
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
}

/// A model committed once, reusable by many proofs: what the model's owner publishes and the
/// prover's data.
pub struct CommittedModel<F: Field, E: Field> {
    /// What the verifier receives.
    pub public: ModelCommitment<F, E>,
    pub(crate) data: ProverData<F>,
    pub(crate) packing: Packing,
    pub(crate) architecture: String,
}

impl<F: Field, E: Field> CommittedModel<F, E> {
    /// The Basefold commitment.
    pub fn commitment(&self) -> &Commitment {
        &self.public.commitment
    }

    /// The committed segment tables, borrowed from the packed table.
    pub(crate) fn segments(&self) -> Vec<&[F]> {
        let packed = self.data.evals().first().map_or(&[][..], Vec::as_slice);
        (0..self.packing.len())
            .map(|j| self.packing.segment(packed, j))
            .collect()
    }
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
                Step::Conv {
                    shape,
                    kernel,
                    bias,
                    ..
                },
            ) => {
                let vi = shape.input.vars[0];
                let (kh, kw) = (c.kernel[0], c.kernel[1]);
                for o in 0..c.out_channels {
                    for i in 0..c.in_channels {
                        for dy in 0..kh {
                            for dx in 0..kw {
                                let w = c.weights[((o * c.in_channels + i) * kh + dy) * kw + dx];
                                out[kernel[dy * kw + dx]][(o << vi) | i] = from_i64(w);
                            }
                        }
                    }
                }
                put_bias(&mut out, bias, &c.bias);
            }
            (Layer::Dense(d), Step::Dense { weights, bias, .. }) => {
                let vi = plan.dims[l].vars[0];
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
/// proofs reuse it).
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
    model.validate().map_err(NetworkError::Model)?;
    let plan = Plan::new(model)?;
    let packed = plan.model_packing.pack(&model_tables::<F>(model, &plan));
    commit_packed(model, &plan, packed, false, phases)
}

impl<F: BaseField + FftField, E: ExtField<F>> CommittedModel<F, E> {
    /// The prover's side of a published commitment: recomputes the Basefold commitment of
    /// `model`'s table (not the check, which `public` carries) and refuses a `public` that commits
    /// to other weights or another architecture (`NetworkError::CommitmentMismatch`).
    pub fn reuse(model: &Model, public: ModelCommitment<F, E>) -> Result<Self, NetworkError> {
        model.validate().map_err(NetworkError::Model)?;
        let plan = Plan::new(model)?;
        let packed = plan.model_packing.pack(&model_tables::<F>(model, &plan));
        let pcs = pcs::<F, E>().map_err(NetworkError::Pcs)?;
        let (commitment, data) =
            MultilinearPcs::<F, E>::commit(&pcs, vec![packed]).map_err(NetworkError::Pcs)?;
        if commitment != public.commitment {
            return Err(NetworkError::CommitmentMismatch);
        }
        Ok(CommittedModel {
            public,
            data,
            packing: plan.model_packing.clone(),
            architecture: model.architecture_json(),
        })
    }
}

/// The first bytes of a stored prover data file.
pub const PROVER_DATA_MAGIC: &[u8; 8] = b"ZKCNNPRV";
/// The stored prover data's format version.
pub const PROVER_DATA_VERSION: u16 = 1;

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
        model.validate().map_err(NetworkError::Model)?;
        let plan = Plan::new(model)?;
        let bad = |what: &'static str| NetworkError::ProverData(what.to_string());
        let mut head = [0u8; 8 + 2 + 32 + 32 + 4];
        r.read_exact(&mut head).map_err(|e| {
            NetworkError::ProverData(match e.kind() {
                std::io::ErrorKind::UnexpectedEof => "truncated inside its header".into(),
                _ => format!("reading its header: {e}"),
            })
        })?;
        let (magic, rest) = head.split_at(8);
        let (version, rest) = rest.split_at(2);
        let (arch, rest) = rest.split_at(32);
        let (root, vars) = rest.split_at(32);
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
            || public.commitment.num_vars as usize != plan.model_packing.num_vars()
        {
            return Err(NetworkError::CommitmentMismatch);
        }
        let packed = plan.model_packing.pack(&model_tables::<F>(model, &plan));
        let params = pcs::<F, E>().map_err(NetworkError::Pcs)?.params;
        let data = ProverData::read_stored(&params, &public.commitment, vec![packed], r, 16, 1)
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
        })
    }
}

/// Commits to a packed model table and proves the check; `tolerant` (for the cheating tests)
/// counts the multiplicities of out-of-range entries as nothing instead of refusing.
pub(crate) fn commit_packed<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    plan: &Plan,
    packed: Vec<F>,
    tolerant: bool,
    phases: &mut super::Phases,
) -> Result<CommittedModel<F, E>, NetworkError> {
    let clock = std::time::Instant::now();
    let pcs = pcs::<F, E>().map_err(NetworkError::Pcs)?;
    let (commitment, data) =
        MultilinearPcs::<F, E>::commit(&pcs, vec![packed]).map_err(NetworkError::Pcs)?;
    phases.push(("commitment", clock.elapsed()));
    let table = data.evals().first().map_or(&[][..], Vec::as_slice);
    let check = prove_check::<F, E>(model, plan, &commitment, &data, table, tolerant, phases)?;
    Ok(CommittedModel {
        public: ModelCommitment { commitment, check },
        data,
        packing: plan.model_packing.clone(),
        architecture: model.architecture_json(),
    })
}

/// Starts the check's transcript: the architecture, the commitment, the multiplicities'.
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
fn for_each_used(plan: &Plan, mut f: impl FnMut(usize, usize)) {
    for (j, s) in plan.model_segs.iter().enumerate() {
        let base = plan.model_packing.offset(j);
        for row in 0..s.rows {
            for col in 0..s.cols {
                f(base + ((row << s.col_vars) | col), j);
            }
        }
    }
}

/// The range columns: `T − L` over the whole table (`L = lo` on entries in use, 0 elsewhere),
/// then `2^{W−w}·(T_j − lo_j·U_j)` for each narrow segment `j`; and the zero-check's `Z`
/// (1 on entries not in use).
fn columns<F: BaseField>(plan: &Plan, table: &[F]) -> (Vec<Vec<F>>, Vec<F>) {
    let mut c0 = table.to_vec();
    let mut z = vec![F::ONE; table.len()];
    for_each_used(plan, |x, j| {
        c0[x] -= from_i64::<F>(plan.model_segs[j].lo);
        z[x] = F::ZERO;
    });
    let mut cols = vec![c0];
    for (j, scale) in narrow(plan) {
        let seg = plan.model_packing.segment(table, j);
        let s = &plan.model_segs[j];
        let (k, lo) = (from_i64::<F>(scale), from_i64::<F>(s.lo));
        let mut c: Vec<F> = seg.iter().map(|&t| k * t).collect();
        for row in 0..s.rows {
            for col in 0..s.cols {
                c[(row << s.col_vars) | col] -= k * lo;
            }
        }
        cols.push(c);
    }
    (cols, z)
}

/// `(Ũ(z), L̃(z))` at a point `z` on the packed table: the in-use indicator and the lower
/// bounds.
fn used_at<F: BaseField, E: ExtField<F>>(plan: &Plan, z: &[E]) -> (E, E) {
    let (mut used, mut lo) = (E::ZERO, E::ZERO);
    for (j, s) in plan.model_segs.iter().enumerate() {
        let u = block_selector(plan.model_packing.offset(j), s.vars, z) * segment_used(s, z);
        used += u;
        lo += u * crate::field::lift::<E>(from_i64::<F>(s.lo));
    }
    (used, lo)
}

/// A segment's in-use indicator at the first `vars` coordinates of `z`.
fn segment_used<E: Field>(s: &super::plan::ModelSeg, z: &[E]) -> E {
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
    table: &[F],
    tolerant: bool,
    phases: &mut super::Phases,
) -> Result<CheckProof<F, E>, NetworkError> {
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        phases.push((name, clock.elapsed()));
        clock = std::time::Instant::now();
    };
    let bits = plan.weight_bits as usize;
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
    let (zero_check, point) = crate::layers::prove_product(
        vec![
            Mle::Ext(eq_table(&rho)),
            Mle::Base(z),
            Mle::Base(table.to_vec()),
        ],
        E::ZERO,
        &mut t,
    );
    lap("check: zero-check");
    let mut model_claims = vec![Claim::new(0, point)];
    let mut points = claims.columns.iter();
    if let Some(c0) = points.next() {
        model_claims.push(Claim::new(0, c0.point.clone()));
    }
    for ((j, _), c) in narrow(plan).into_iter().zip(points) {
        model_claims.push(Claim::new(0, plan.model_packing.point(j, &c.point)));
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
        // Weights passed along are dropped, not scanned.
        let architecture = &architecture.architecture();
        let plan = Plan::new(architecture).map_err(CheckError::Model)?;
        let n = plan.model_packing.num_vars();
        let bits = plan.weight_bits as usize;
        for (what, c, expected) in [
            ("model", &self.commitment, n),
            ("multiplicities", &self.check.multiplicities, bits),
        ] {
            if c.num_vars as usize != expected || c.num_polys != 1 {
                return Err(CheckError::Shape {
                    what,
                    expected,
                    got: c.num_vars,
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
        let narrow = narrow(&plan);
        let column_vars: Vec<usize> = std::iter::once(n)
            .chain(
                narrow
                    .iter()
                    .filter_map(|&(j, _)| plan.model_segs.get(j))
                    .map(|s| s.vars),
            )
            .collect();
        let claims = crate::range::verify::<F, E>(&column_vars, bits, &self.check.range, &mut t)
            .map_err(CheckError::Range)?;
        if claims.columns.len() != column_vars.len() {
            return Err(CheckError::Range(RangeError::NoColumns));
        }
        // The zero-check: Σ eq(ρ, x)·Z(x)·T(x) = 0 with Z = 1 − U.
        let rho: Vec<E> = t.challenge_fields(b"check-zero-point", n);
        let (point, values) = verify_product(
            "model zero-check",
            n,
            3,
            E::ZERO,
            &self.check.zero_check,
            &mut t,
        )
        .map_err(CheckError::ZeroCheck)?;
        let [eq, zv, tv] = values.as_slice() else {
            return Err(CheckError::ZeroCheck(LayerError::Count {
                what: "model zero-check values",
                expected: 3,
                got: values.len(),
            }));
        };
        let (used, _) = used_at::<F, E>(&plan, &point);
        if *eq != eq_eval(&rho, &point) || *zv != E::ONE - used {
            return Err(CheckError::ZeroCheck(LayerError::PublicValue {
                what: "model zero-check eq or in-use indicator",
            }));
        }
        let mut model_claims = vec![Claim::new(0, point)];
        let mut values = vec![*tv];
        let mut cols = claims.columns.iter();
        if let Some(c0) = cols.next() {
            let (_, lo) = used_at::<F, E>(&plan, &c0.point);
            model_claims.push(Claim::new(0, c0.point.clone()));
            values.push(c0.value + lo);
        }
        for (&(j, scale), c) in narrow.iter().zip(cols) {
            let s = plan.model_segs.get(j).ok_or(CheckError::Bounds)?;
            if c.point.len() != s.vars {
                return Err(CheckError::Bounds);
            }
            let k = crate::field::lift::<E>(from_i64::<F>(scale));
            let lo = crate::field::lift::<E>(from_i64::<F>(s.lo)) * segment_used(s, &c.point);
            let inv = k.inverse().ok_or(CheckError::Bounds)?;
            model_claims.push(Claim::new(0, plan.model_packing.point(j, &c.point)));
            values.push(c.value * inv + lo);
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use crate::model::zoo;
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
        let plan = Plan::new(&model).unwrap();
        assert!(!narrow(&plan).is_empty());
        let n = plan.model_packing.num_vars();
        let zero = vec![<F as ark_ff::AdditiveGroup>::ZERO; 1 << n];
        let (cols, z) = columns::<F>(&plan, &zero);
        let lo: Vec<F> = cols[0].iter().map(|&x| -x).collect();
        let used: Vec<F> = z.iter().map(|&x| F::ONE - x).collect();
        let mut rng = ark_std::test_rng();
        let p: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
        assert_eq!(
            used_at::<F, E>(&plan, &p),
            (evaluate_base(&used, &p), evaluate_base(&lo, &p))
        );
        assert_eq!(selectors_sum(&plan.model_packing, &p), E::ONE);
    }
}
