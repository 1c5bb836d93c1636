//! Element-wise product of two tensors (`spec/mul.md`).
//!
//! Statement: `acc(x) = a(x)·b(x ≫ k)` over the `n` variables of `a`'s padded layout, where `b`
//! has `n − k` variables: `k = 0` for two tensors of one layout, `k` the rows' and columns'
//! variables for a per-channel `b` (its index is `a`'s with the low `k` bits dropped, so the
//! broadcast `b` is a function of `a`'s top `n − k` coordinates). A claim `ãcc(r) = v` is
//!
//! ```text
//!     v = Σ_{x ∈ {0,1}^n}  eq(r, x) · ã(x) · b̃(x_{k..n}),
//! ```
//!
//! one product sum-check of degree 3 over `n` variables (the broadcast `b` is a multilinear
//! table over `x` that ignores its low `k` coordinates, so its extension at `ρ` is `b̃(ρ_{k..})`).
//! It ends in the values `eq(r, ρ)`, which the verifier computes, `ã(ρ)` and `b̃(ρ_{k..n})`,
//! claims the caller discharges on the two tensors.

use super::requant::{self, Requant};
use super::{get, prove_product, verify_product, LayerError, ProductProof};
use crate::field::{BaseField, ExtField};
use crate::network::op::{MaskStep, NetworkOp, Requantized, WitnessStep, Witnessed};
use crate::network::plan::{yn, Plan, PlanStep, Planned, Step};
use crate::network::prover::Ctx as ProverCtx;
use crate::network::verifier::Ctx as VerifierCtx;
use crate::network::zk::{requant_tables, ZkStepProver, ZkStepVerifier};
use crate::network::{NetworkError, VerifyError};
use crate::poly::{eq_eval, eq_table, Mle};
use crate::sumcheck::zk::Mask;
use ark_ff::Field;
use merlin::Transcript;

/// `b` spread over `a`'s layout: entry `i` is `b[i ≫ k]` (`b` itself for `k = 0`).
pub fn spread<T: Copy + Default>(b: &[T], len: usize, k: usize) -> Vec<T> {
    (0..len)
        .map(|i| b.get(i >> k).copied().unwrap_or_default())
        .collect()
}

/// The products `a(i)·b(i ≫ k)` (the accumulator), in integers.
pub fn products(a: &[i64], b: &[i64], k: usize) -> Vec<i64> {
    a.iter()
        .enumerate()
        .map(|(i, &x)| x * b.get(i >> k).copied().unwrap_or(0))
        .collect()
}

/// What the sum-check ends in: the point `ρ` and the operands' values, `ã(ρ)` and
/// `b̃(ρ_{k..n})` at `b_point = ρ_{k..n}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MulClaims<E> {
    /// `ρ`, the point of `a`'s claim.
    pub point: Vec<E>,
    /// `ã(ρ)`.
    pub a: E,
    /// `ρ_{k..n}`, the point of `b`'s claim.
    pub b_point: Vec<E>,
    /// `b̃(ρ_{k..n})`.
    pub b: E,
}

/// Proves `claim = Σ_x eq(r, x)·a(x)·b(x ≫ k)` (`a` of `2^{|r|}` entries, `b` of `2^{|r|−k}`).
pub fn prove<F: BaseField, E: ExtField<F>>(
    a: &[F],
    b: &[F],
    k: usize,
    r: &[E],
    claim: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, MulClaims<E>) {
    let tables = vec![
        Mle::Ext(eq_table(r)),
        Mle::Base(a.to_vec()),
        Mle::Base(spread(b, a.len(), k)),
    ];
    let (proof, point) = prove_product(tables, claim, transcript);
    let claims = MulClaims {
        a: proof.values[1],
        b: proof.values[2],
        b_point: point[k.min(point.len())..].to_vec(),
        point,
    };
    (proof, claims)
}

#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
/// Verifies [`prove`] for the claim `ãcc(r) = claim` with `b` spread over `k` low variables;
/// checks the first value against `eq(r, ρ)` and returns the claims on `a` and `b`.
pub fn verify<E: Field>(
    r: &[E],
    k: usize,
    claim: E,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<MulClaims<E>, LayerError> {
    let (point, v) = verify_product("mul", r.len(), 3, claim, proof, transcript)?;
    let e = get(&v, 0, "mul values", 3)?;
    if point.len() != r.len() || k > point.len() || e != eq_eval(r, &point) {
        return Err(LayerError::PublicValue { what: "mul eq" });
    }
    Ok(MulClaims {
        a: get(&v, 1, "mul values", 3)?,
        b: get(&v, 2, "mul values", 3)?,
        b_point: point.get(k..).unwrap_or(&[]).to_vec(),
        point,
    })
}

/// The zero-knowledge product's terms over the tables `[eq(r, ·), a, B, t_0, …]`:
/// `eq·a·B + Σ_k w_k·eq·t_k`.
fn zk_terms<E: Field>(weights: impl Iterator<Item = E>) -> Vec<crate::sumcheck::Term<E>> {
    let mut terms = vec![crate::sumcheck::Term {
        coeff: E::ONE,
        factors: vec![0, 1, 2],
    }];
    for (k, w) in weights.enumerate() {
        terms.push(crate::sumcheck::Term {
            coeff: w,
            factors: vec![0, 3 + k],
        });
    }
    terms
}

/// Which of the zero-knowledge product's tables are private: all but `eq(r, ·)`.
fn zk_private(outputs: usize) -> Vec<bool> {
    let mut p = vec![false, true, true];
    p.extend(std::iter::repeat_n(true, outputs));
    p
}

/// The degree of the zero-knowledge product's Libra mask
/// ([`crate::sumcheck::zk::masked_degree`]): 3 (`eq·a·B`, two private factors) whatever the
/// number of output-side tables.
pub fn zk_mask_degree(outputs: usize) -> usize {
    let terms = zk_terms(std::iter::repeat_n(crate::field::Goldilocks::ONE, outputs));
    crate::sumcheck::zk::masked_degree(&terms, &zk_private(outputs))
}

/// The private tables of a zero-knowledge product ([`prove_zk`]): the operands and the
/// output-side tables with their public weights.
pub struct ZkMulTables<'a, F, E> {
    /// `a`, `2^n` entries.
    pub a: &'a [F],
    /// `b`, `2^{n−k}` entries (`k = 0`: `a`'s layout).
    pub b: &'a [F],
    /// `k`, the low variables `b` is broadcast over.
    pub k: usize,
    /// `(w_k, t_k)`, each `t_k` of `2^n` entries: the requantization's `y`, `n`, limbs.
    pub outputs: &'a [(E, &'a [F])],
}

/// A requantizing product's relation at its layer point `r`, in zero knowledge
/// (`spec/mul.md`, "Zero knowledge"): one masked sum-check
/// ([`crate::sumcheck::zk::prove_masked_with`]) of
///
/// ```text
///     Σ_x eq(r, x)·ã(x)·B(x) + Σ_x eq(r, x)·Σ_k w_k·t_k(x) = lhs,   B(x) = b(x ≫ k),
/// ```
///
/// over the `n = |r|` variables, with `a`, `b` and every `t_k` private and committed; `mask`
/// over `n + 1` variables of degree [`zk_mask_degree`], committed beforehand; `scalars` the
/// committed tables' masks ([`crate::zk::TableMasks`], tables numbered `0` = `a` at `ρ`, `1` =
/// `b` at `ρ_{k..n}`, `2 + k` = `t_k` at `ρ`). `B̃(ρ) = b̃(ρ_{k..n})`, so `b`'s masked value
/// is a claim on `b`'s own table at the shorter point: no spread table is committed. Returns the
/// proof and the deferred claims (numbered as above; the Libra mask is the caller's fresh masks
/// `0 ..`).
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
pub fn prove_zk<F: BaseField, E: ExtField<F>>(
    tables: &ZkMulTables<'_, F, E>,
    r: &[E],
    lhs: E,
    mask: &crate::sumcheck::zk::Mask<E>,
    scalars: &impl crate::zk::TableMasks<E>,
    transcript: &mut Transcript,
) -> (
    crate::sumcheck::zk::MaskedProof<E>,
    Vec<crate::zk::Deferred<E>>,
) {
    let ZkMulTables { a, b, k, outputs } = *tables;
    let mut mles = vec![
        Mle::Ext(eq_table(r)),
        Mle::Base(a.to_vec()),
        Mle::Base(spread(b, a.len(), k)),
    ];
    mles.extend(outputs.iter().map(|(_, t)| Mle::Base(t.to_vec())));
    let terms = zk_terms(outputs.iter().map(|(w, _)| *w));
    let private = zk_private(outputs.len());
    let instance = crate::sumcheck::Instance::new(mles, terms).expect("tables of 2^n entries");
    // Instance tables `[eq, a, B, t_0, …]`; the claims' numbering `[a, b, t_0, …]`.
    let scalar = |i: usize, rho: &[E]| match i {
        2 => scalars.mask_at(1, &rho[k..]),
        _ => scalars.mask_at(i - 1, rho),
    };
    let out =
        crate::sumcheck::zk::prove_masked_with(instance, lhs, &private, &scalar, mask, transcript);
    let mut deferred = zk_deferred(k, &out.point, out.beta, &out.proof.values);
    // The mask's form: ρ·g(ρ, β), the value the final check leaves.
    deferred.push(crate::zk::Deferred::Masks {
        terms: crate::sumcheck::zk::mask_terms(&out.point, out.beta, out.weight, mask.degree(), 0),
        value: out.weight * out.mask_value,
    });
    (out.proof, deferred)
}

/// The masked values' claims of a zero-knowledge product at `(ρ, β)`: `a` at `ρ`, `b` at
/// `ρ_{k..n}`, the output-side tables at `ρ` (numbered `0`, `1`, `2 + k`).
fn zk_deferred<E: Field>(
    k: usize,
    rho: &[E],
    beta: E,
    values: &[E],
) -> Vec<crate::zk::Deferred<E>> {
    values
        .iter()
        .enumerate()
        .map(|(table, &value)| crate::zk::Deferred::Masked {
            table,
            point: if table == 1 {
                rho.get(k..).unwrap_or(&[]).to_vec()
            } else {
                rho.to_vec()
            },
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
/// Verifies [`prove_zk`] at the layer point `r` with `b` broadcast over `k` low variables and
/// the output-side tables' `weights`; returns the claims for the proof's opening (numbered as
/// in [`prove_zk`], the mask's form last).
pub fn verify_zk<E: Field>(
    r: &[E],
    k: usize,
    weights: &[E],
    lhs: E,
    proof: &crate::sumcheck::zk::MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<crate::zk::Deferred<E>>, LayerError> {
    let step = "mul (zero knowledge)";
    let n = r.len();
    if k > n {
        return Err(LayerError::Count {
            what: "mul (zero knowledge) broadcast",
            expected: n,
            got: k,
        });
    }
    let private = zk_private(weights.len());
    let count = private.iter().filter(|&&p| p).count();
    let degree = zk_mask_degree(weights.len());
    let claim = crate::sumcheck::zk::verify_masked(n, degree, lhs, count, proof, transcript)
        .map_err(|source| LayerError::Sumcheck { step, source })?;
    if claim.point.len() != n {
        return Err(LayerError::Count {
            what: "mul (zero knowledge) point",
            expected: n,
            got: claim.point.len(),
        });
    }
    let public = [eq_eval(r, &claim.point)];
    let terms = zk_terms(weights.iter().copied());
    // The final check's form on the mask (its last claim); the masked values' claims are made
    // at each table's own point.
    let ids: Vec<usize> = (0..count).collect();
    let masks = claim
        .deferred(&terms, &private, &public, &ids, degree)
        .map_err(|source| LayerError::Sumcheck { step, source })?
        .pop();
    let mut out = zk_deferred(k, &claim.point, claim.beta, &claim.values);
    out.extend(masks);
    Ok(out)
}

#[cfg(test)]
mod zk_tests {
    //! The zero-knowledge product's simulator argument as code (`zk::explain`).
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::sumcheck::zk::{Mask, MaskedProof};
    use crate::zk::explain::{self, mask_sizes, table_stages, Proven, Randomness, Witnesses};
    use crate::zk::Deferred;
    use ark_ff::UniformRand;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const SHIFT: u32 = 4;
    const LABEL: &[u8] = b"mul-zk-simulator";

    fn f<F: Field>(v: i64) -> F {
        if v < 0 {
            -F::from(v.unsigned_abs())
        } else {
            F::from(v as u64)
        }
    }

    /// A requantizing product over `n` variables, `b` over `n − k`: `[a, b, y, n, rem]`.
    fn witness(rng: &mut StdRng, n: usize, k: usize) -> [Vec<i64>; 5] {
        let a: Vec<i64> = (0..1usize << n).map(|_| rng.gen_range(-60..60)).collect();
        let b: Vec<i64> = (0..1usize << (n - k))
            .map(|_| rng.gen_range(-60..60))
            .collect();
        let acc = products(&a, &b, k);
        let (mut y, mut m, mut rem) = (Vec::new(), Vec::new(), Vec::new());
        for v in acc {
            let q = (v + (1 << (SHIFT - 1))).div_euclid(1 << SHIFT);
            rem.push(v + (1 << (SHIFT - 1)) - (q << SHIFT));
            y.push(q.max(0));
            m.push((-q).max(0));
        }
        [a, b, y, m, rem]
    }

    /// Two products with the same shape and layer point, everything else independent: the
    /// second's honest prover sends the first's proof byte for byte under solved randomness
    /// (`zk::explain::check_explained`); with `spread`, 64 proofs' elements are distinct.
    fn mul_witnesses<F: BaseField, E: ExtField<F>>(seed: u64, n: usize, k: usize, spread: bool) {
        let mut rng = StdRng::seed_from_u64(seed);
        let to_f = |t: &[Vec<i64>; 5]| -> Vec<Vec<F>> {
            t.iter()
                .map(|v| v.iter().map(|&e| f::<F>(e)).collect())
                .collect()
        };
        let (ta, tb) = (
            to_f(&witness(&mut rng, n, k)),
            to_f(&witness(&mut rng, n, k)),
        );
        assert_ne!(ta[0], tb[0]);
        let s = f::<E>(1 << SHIFT);
        let weights: Vec<E> = vec![-s, s, -E::ONE];
        let lhs = -f::<E>(1 << (SHIFT - 1));
        let degree = zk_mask_degree(weights.len());
        let fresh = 1 + (n + 1) * degree;
        let r: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
        let prover = |t: &Vec<Vec<F>>| {
            let (t, weights, r) = (t.clone(), weights.clone(), r.clone());
            move |rnd: &Randomness<E>| -> Proven<E> {
                let outputs: Vec<(E, &[F])> = (0..3).map(|j| (weights[j], &t[2 + j][..])).collect();
                let mask = Mask::from_entries(n + 1, &rnd.fresh).unwrap();
                let (proof, claims) = prove_zk(
                    &ZkMulTables {
                        a: &t[0],
                        b: &t[1],
                        k,
                        outputs: &outputs,
                    },
                    &r,
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
            let claims =
                verify_zk(&r, k, &weights, lhs, &p[0], &mut Transcript::new(LABEL)).unwrap();
            (claims, Vec::new())
        };
        let w = Witnesses {
            prove: [&pa, &pb],
            value: [&va, &vb],
            mask: &explain::explicit_mask,
            verify: &verify,
            stages: &table_stages,
        };
        let sizes = mask_sizes(&[n, n - k, n, n, n]);
        explain::check_explained(&w, Randomness::random(&mut rng, fresh, &sizes));
        if spread {
            explain::check_spread(&w, &mut || Randomness::random(&mut rng, fresh, &sizes), 64);
        }
    }

    /// Zero knowledge of the product step as code, element-wise (`k = 0`) and per channel
    /// (`b` over the top `n − k` variables), on both fields.
    #[test]
    fn the_product_step_is_simulated_for_any_witness() {
        for (n, k) in [(3, 0), (4, 2), (3, 3)] {
            mul_witnesses::<Goldilocks, GoldilocksExt2>(30 + n as u64, n, k, false);
            mul_witnesses::<Bn254Fr, Bn254Fr>(40 + n as u64, n, k, false);
        }
    }

    /// Over 64 proofs with fresh masks every element of the product's proof takes distinct
    /// values and no masked value is in the clear; unmasked, the proofs repeat.
    #[test]
    fn the_product_steps_messages_spread() {
        mul_witnesses::<Goldilocks, GoldilocksExt2>(50, 4, 2, true);
        mul_witnesses::<Bn254Fr, Bn254Fr>(51, 3, 0, true);
    }

    /// The prover's claims are the verifier's; `b`'s is at `ρ_{k..n}` and holds on `b`'s own
    /// table (masks zero: the masked value is `b̃(ρ_{k..n})`), `a`'s at `ρ`.
    #[test]
    fn the_claims_name_each_operand_at_its_own_point() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(60);
        let (n, k) = (4, 2);
        let t: Vec<Vec<F>> = witness(&mut rng, n, k)
            .iter()
            .map(|v| v.iter().map(|&e| f::<F>(e)).collect())
            .collect();
        let s = f::<E>(1 << SHIFT);
        let weights: Vec<E> = vec![-s, s, -E::ONE];
        let outputs: Vec<(E, &[F])> = (0..3).map(|j| (weights[j], &t[2 + j][..])).collect();
        let r: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
        let lhs = -f::<E>(1 << (SHIFT - 1));
        let rnd =
            Randomness::<E>::random(&mut rng, 1 + (n + 1) * 3, &mask_sizes(&[n, n - k, n, n, n]));
        let zero = rnd.zero();
        let mask = Mask::from_entries(n + 1, &rnd.fresh).unwrap();
        let tables = ZkMulTables {
            a: &t[0],
            b: &t[1],
            k,
            outputs: &outputs,
        };
        let (proof, claims) = prove_zk(
            &tables,
            &r,
            lhs,
            &mask,
            &zero.masks(),
            &mut Transcript::new(LABEL),
        );
        let verified =
            verify_zk(&r, k, &weights, lhs, &proof, &mut Transcript::new(LABEL)).unwrap();
        assert_eq!(verified, claims);
        let Deferred::Masked { point, value, .. } = &claims[0] else {
            panic!("a's claim first")
        };
        assert_eq!(point.len(), n);
        assert_eq!(*value, crate::poly::evaluate_base(&t[0], point));
        let Deferred::Masked {
            point: pb, value, ..
        } = &claims[1]
        else {
            panic!("b's claim second")
        };
        assert_eq!(&pb[..], &point[k..]);
        assert_eq!(*value, crate::poly::evaluate_base(&t[1], pb));
        assert!(matches!(claims.last(), Some(Deferred::Masks { .. })));
        assert_eq!(claims.len(), 2 + 3 + 1);
    }
}

/// The element-wise product of a network, then requantization: `acc(x) = a(x)·b(x)`, or with
/// `broadcast` `acc(x) = a(x)·b(x_c)` (`x_c` the channel, and batch, coordinates of `x`: the top
/// variables above the rows' and columns'). Transparent: the product sum-check at the step's
/// point ([`prove`]); zero knowledge: the same as one masked sum-check with the
/// requantization's tables on the output side ([`prove_zk`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mul {
    /// The second operand `b`.
    pub from: usize,
    /// Whether `b` holds one value per channel of `a` (`[c]` or `[c, 1, 1]`).
    pub broadcast: bool,
    /// Requantization.
    pub requant: Requant,
}

impl Mul {
    /// `k`: the variables of `a` beyond `b`'s (0 unless broadcast).
    fn spread_vars(&self, plan: &Plan, tin: usize) -> Option<usize> {
        let b = plan.dims.get(self.from)?.num_vars();
        plan.dims.get(tin)?.num_vars().checked_sub(b)
    }
}

impl NetworkOp for Mul {
    const KIND: &'static str = "layers: mul";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        // From the padded tensors (a cheating prover's edits included).
        let tin = w.tin();
        let k = self
            .spread_vars(w.plan, tin)
            .unwrap_or_else(|| unreachable!("the plan sizes b within a"));
        Witnessed::Requantize {
            acc: products(&w.ints[tin], &w.ints[self.from], k),
            relu: false,
        }
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        if m.public(m.tin()) || m.public(self.from) {
            return Err(m.unsupported("an element-wise product of the public input"));
        }
        let degree = zk_mask_degree(requant::table_count(&self.requant));
        Ok(vec![crate::network::zk::libra_len(m.out_vars(), degree)])
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
        let tin = cx.plan.input(l);
        let k = self
            .spread_vars(cx.plan, tin)
            .unwrap_or_else(|| unreachable!("the plan sizes b within a"));
        let (proof, claims) = prove(
            &cx.tensors[tin],
            &cx.tensors[self.from],
            k,
            rq.r,
            rq.acc,
            cx.t,
        );
        cx.products.push(proof);
        cx.claim_tensor(tin, &claims.point, claims.a);
        cx.claim_tensor(self.from, &claims.b_point, claims.b);
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        rq: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        let rq = rq.ok_or(VerifyError::AdviceShape)?;
        let tin = cx.plan.input(l);
        let k = self
            .spread_vars(cx.plan, tin)
            .ok_or(VerifyError::AdviceShape)?;
        let proof = cx.product()?;
        let claims = verify(rq.r, k, rq.acc, proof, cx.t).map_err(|e| cx.err(e))?;
        cx.claim_tensor(tin, &claims.point, claims.a)?;
        cx.claim_tensor(self.from, &claims.b_point, claims.b)
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        let (outs, lhs) = requant_tables::<F, E>(&self.requant);
        let b = cx
            .zp
            .tensor::<E>(self.from)?
            .ok_or(NetworkError::Unsupported {
                layer: cx.l,
                what: "an element-wise product of the public input".into(),
            })?;
        let mut tables = vec![cx.x_table.clone(), b];
        tables.extend(outs.iter().map(|(_, t)| cx.zp.table::<E>(*t)));
        let outputs: Vec<(E, &[F])> = outs.iter().map(|(k, t)| (*k, cx.segment(t))).collect();
        let k = self
            .spread_vars(&cx.zp.plan, cx.tin)
            .unwrap_or_else(|| unreachable!("the plan sizes b within a"));
        let (fresh, off) = cx.fresh(0);
        let mask = Mask::from_entries(cx.out_vars + 1, fresh)
            .unwrap_or_else(|| unreachable!("the slot holds the step's mask"));
        let (proof, deferred) = prove_zk(
            &ZkMulTables {
                a: &cx.tensors[cx.tin],
                b: &cx.tensors[self.from],
                k,
                outputs: &outputs,
            },
            cx.r,
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
        let (outs, lhs) = requant_tables::<F, E>(&self.requant);
        let b = cx
            .zp
            .tensor::<E>(self.from)
            .ok()
            .flatten()
            .ok_or(VerifyError::AdviceShape)?;
        if cx.x_public {
            return Err(VerifyError::AdviceShape);
        }
        let mut tables = vec![cx.x_table.clone(), b];
        tables.extend(outs.iter().map(|(_, t)| cx.zp.table::<E>(*t)));
        let weights: Vec<E> = outs.iter().map(|(k, _)| *k).collect();
        let k = self
            .spread_vars(&cx.zp.plan, cx.tin)
            .ok_or(VerifyError::AdviceShape)?;
        let proof = cx.next()?;
        let claims = verify_zk(cx.r, k, &weights, lhs, proof, cx.t).map_err(|e| cx.layer_err(e))?;
        cx.finish(claims, &tables, 0)
    }
}

/// The plan of an element-wise product: its requantization; `b` per channel of `a` when their layouts differ.
pub(crate) fn plan(m: &crate::model::Mul, cx: &mut PlanStep<'_>) -> Result<Planned, NetworkError> {
    let tin = cx.tin;
    let input = cx.input.clone();
    let reads = cx.reads;
    let from = reads.get(1).copied().unwrap_or(tin);
    let other = &cx.p.dims[from];
    // Per channel: `b`'s index is `a`'s with the rows' and columns' bits
    // dropped, so its variables are exactly `a`'s channel variables.
    let broadcast = *other != input;
    if broadcast
        && !(input.shape.len() == 3
            && other.logical_len() == input.shape[0]
            && other.num_vars() == input.vars[0])
    {
        return Err(cx.unsupported("a product of tensors with different padded layouts".into()));
    }
    let requant =
        cx.p.requant(m.shift, input.num_vars(), cx.overflow(m.shift)?);
    let src = yn(&requant);
    let step = Step::Mul(Mul {
        from,
        broadcast,
        requant,
    });
    Ok((step, input, src))
}
