//! The model commitment and its check: a Basefold commitment to the model's packed table, and a
//! proof, made once by [`commit_model`], that the committed table holds a model of the
//! architecture — every weight in `[−(2^{W−1} − 1), 2^{W−1} − 1]`, every bias limb in its
//! range, and every other entry (padded rows and columns, unused space) zero.
//!
//! **Statement.** The commitment `C` (root, `n` variables) is to a table `T` of `2^n` entries
//! with, for public bounds derived from the architecture alone (`L = H = 0` off the entries in
//! use, [`super::plan::ModelSeg`]),
//!
//! ```text
//!     L(x) ≤ T(x) ≤ H(x)   for every x ∈ {0,1}^n.
//! ```
//!
//! **Protocol.** Two columns `c₁ = T − L` and `c₂ = H − T` are range-checked against
//! `[0, 2^W)` by one logUp-GKR ([`crate::range`]). As integers, `c₁ = T − L` and `c₂ = H − T`
//! both in `[0, 2^W)` give `T ∈ [L, L + 2^W) ∩ (H − 2^W, H] = [L, H]` whenever `H − L < 2^W`
//! (no sum wraps modulo `p`); with `L = H = 0`, `T = 0`. The prover commits the range
//! multiplicities (a small Basefold commitment of `2^W` entries), runs the range check, and
//! the columns' claims `c̃_i(r)` become claims on `T̃`: `T̃(r) = c̃₁(r) + L̃(r)` and
//! `T̃(r) = H̃(r) − c̃₂(r)`, where the verifier evaluates `L̃` and `H̃` itself in
//! `O(segments · n)` (a segment's in-use indicator is a product of two prefix indicators,
//! [`crate::poly::lt_eval`]). Both commitments are opened, each on its own fork of the
//! transcript.
//!
//! **Use.** The verifier checks the proof once per model ([`ModelCommitment::check`]) and gets a
//! [`CheckedCommitment`], the only way to call [`super::verify`]. See `spec/model-commitment.md`.

use super::plan::Plan;
use super::{pcs, NetworkError};
use crate::field::{from_i64, BaseField, ExtField};
use crate::model::{Layer, Model};
use crate::pcs::basefold::{self, Commitment, ProverData};
use crate::pcs::packing::{block_selector, Packing};
use crate::pcs::{Claim, MultilinearPcs, PcsError};
use crate::poly::lt_eval;
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
    /// The range check of `T − L` and `H − T`.
    pub range: crate::range::Proof<E>,
    /// The opening of the model commitment at the range check's point.
    pub model_opening: basefold::Proof<F, E>,
    /// The opening of the multiplicities.
    pub multiplicities_opening: basefold::Proof<F, E>,
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
    /// The two columns' values disagree on the table's value at their common point.
    #[error("the range columns' values disagree on the committed table")]
    Bounds,
    /// The model opening failed.
    #[error("model opening: {0}")]
    ModelOpening(PcsError),
    /// The multiplicities opening failed.
    #[error("multiplicities opening: {0}")]
    MultiplicitiesOpening(PcsError),
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
    model.validate().map_err(NetworkError::Model)?;
    let plan = Plan::new(model)?;
    let packed = plan.model_packing.pack(&model_tables::<F>(model, &plan));
    commit_packed(model, &plan, packed, false)
}

/// Commits to a packed model table and proves the check; `tolerant` (for the cheating tests)
/// counts the multiplicities of out-of-range entries as nothing instead of refusing.
pub(crate) fn commit_packed<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    plan: &Plan,
    packed: Vec<F>,
    tolerant: bool,
) -> Result<CommittedModel<F, E>, NetworkError> {
    let pcs = pcs::<F, E>().map_err(NetworkError::Pcs)?;
    let (commitment, data) =
        MultilinearPcs::<F, E>::commit(&pcs, vec![packed]).map_err(NetworkError::Pcs)?;
    let table = data.evals().first().map_or(&[][..], Vec::as_slice);
    let check = prove_check::<F, E>(model, plan, &commitment, &data, table, tolerant)?;
    Ok(CommittedModel {
        public: ModelCommitment { commitment, check },
        data,
        packing: plan.model_packing.clone(),
        architecture: model.architecture_json(),
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

/// The columns `T − L` and `H − T`.
fn columns<F: BaseField>(plan: &Plan, table: &[F]) -> [Vec<F>; 2] {
    let mut c1 = table.to_vec();
    let mut c2: Vec<F> = table.iter().map(|&t| -t).collect();
    for (j, s) in plan.model_segs.iter().enumerate() {
        let (lo, hi) = (from_i64::<F>(s.lo), from_i64::<F>(s.hi));
        let base = plan.model_packing.offset(j);
        for row in 0..s.rows {
            for col in 0..s.cols {
                let x = base + ((row << s.col_vars) | col);
                c1[x] -= lo;
                c2[x] += hi;
            }
        }
    }
    [c1, c2]
}

/// `(L̃(z), H̃(z))` at a point `z` on the packed table.
fn bounds_at<F: BaseField, E: ExtField<F>>(plan: &Plan, z: &[E]) -> (E, E) {
    let (mut lo, mut hi) = (E::ZERO, E::ZERO);
    for (j, s) in plan.model_segs.iter().enumerate() {
        let Some(zs) = z.get(..s.vars) else {
            continue;
        };
        let (cols, rows) = zs.split_at(s.col_vars.min(zs.len()));
        let used = block_selector(plan.model_packing.offset(j), s.vars, z)
            * lt_eval(cols, s.cols)
            * lt_eval(rows, s.rows);
        lo += used * crate::field::lift::<E>(from_i64::<F>(s.lo));
        hi += used * crate::field::lift::<E>(from_i64::<F>(s.hi));
    }
    (lo, hi)
}

fn prove_check<F: BaseField + FftField, E: ExtField<F>>(
    model: &Model,
    plan: &Plan,
    commitment: &Commitment,
    data: &ProverData<F>,
    table: &[F],
    tolerant: bool,
) -> Result<CheckProof<F, E>, NetworkError> {
    let bits = plan.weight_bits as usize;
    let [c1, c2] = columns(plan, table);
    let refs = [c1.as_slice(), c2.as_slice()];
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
    let mut t = check_transcript(plan, model, commitment, &mcom);
    let (range, claims) = prove(&refs, bits, &m, &mut t).map_err(NetworkError::Range)?;
    let model_claims: Vec<Claim<E>> = claims
        .columns
        .iter()
        .map(|c| Claim::new(0, c.point.clone()))
        .collect();
    let m_claims = [Claim::new(0, claims.multiplicities.point.clone())];
    let (mut tm, mut tk) = fork(t);
    let model_params = params::<F, E>(commitment.num_vars).map_err(NetworkError::Pcs)?;
    let m_params = params::<F, E>(mcom.num_vars).map_err(NetworkError::Pcs)?;
    let (model_opening, multiplicities_opening) = crate::parallel::join(
        || basefold::open(&model_params, commitment, data, &model_claims, &mut tm),
        || basefold::open(&m_params, &mcom, &mdata, &m_claims, &mut tk),
    );
    Ok(CheckProof {
        multiplicities: mcom,
        range,
        model_opening: model_opening.map_err(NetworkError::Pcs)?.1,
        multiplicities_opening: multiplicities_opening.map_err(NetworkError::Pcs)?.1,
    })
}

/// The two openings' transcripts: labelled copies of the transcript so far.
fn fork(t: Transcript) -> (Transcript, Transcript) {
    let mut model = t.clone();
    model.append_message(b"opening", b"model");
    let mut m = t;
    m.append_message(b"opening", b"multiplicities");
    (model, m)
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
        let claims = crate::range::verify::<F, E>(&[n, n], bits, &self.check.range, &mut t)
            .map_err(CheckError::Range)?;
        let [c1, c2] = claims.columns.as_slice() else {
            return Err(CheckError::Range(RangeError::NoColumns));
        };
        let (lo1, _) = bounds_at::<F, E>(&plan, &c1.point);
        let (_, hi2) = bounds_at::<F, E>(&plan, &c2.point);
        let (t1, t2) = (c1.value + lo1, hi2 - c2.value);
        if c1.point == c2.point && t1 != t2 {
            return Err(CheckError::Bounds);
        }
        let model_claims = [
            Claim::new(0, c1.point.clone()),
            Claim::new(0, c2.point.clone()),
        ];
        let m_claims = [Claim::new(0, claims.multiplicities.point.clone())];
        let model_params = params::<F, E>(self.commitment.num_vars)
            .map_err(|e| CheckError::Model(NetworkError::Pcs(e)))?;
        let m_params = params::<F, E>(self.check.multiplicities.num_vars)
            .map_err(|e| CheckError::Model(NetworkError::Pcs(e)))?;
        let (mut tm, mut tk) = fork(t);
        basefold::verify(
            &model_params,
            &self.commitment,
            &model_claims,
            &[t1, t2],
            &self.check.model_opening,
            &mut tm,
        )
        .map_err(CheckError::ModelOpening)?;
        basefold::verify(
            &m_params,
            &self.check.multiplicities,
            &m_claims,
            &[claims.multiplicities.value],
            &self.check.multiplicities_opening,
            &mut tk,
        )
        .map_err(CheckError::MultiplicitiesOpening)?;
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

    /// `L̃` and `H̃` at a random point equal the multilinear extensions of the bound tables.
    #[test]
    fn bounds_match_their_tables() {
        let model = zoo::lenet5(1);
        let plan = Plan::new(&model).unwrap();
        let n = plan.model_packing.num_vars();
        let zero = vec![<F as ark_ff::AdditiveGroup>::ZERO; 1 << n];
        let [neg_lo, hi] = columns::<F>(&plan, &zero);
        let lo: Vec<F> = neg_lo.iter().map(|&x| -x).collect();
        let mut rng = ark_std::test_rng();
        let z: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
        assert_eq!(
            bounds_at::<F, E>(&plan, &z),
            (evaluate_base(&lo, &z), evaluate_base(&hi, &z))
        );
        assert_eq!(selectors_sum(&plan.model_packing, &z), E::ONE);
    }
}
