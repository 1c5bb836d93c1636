//! Flatten: `v[(c·h + y)·w + x] = X[c][y][x]`, a re-indexing between two padded layouts.
//!
//! A claim `ṽ(r) = val` is `Σ_q X̃(q)·F(r, q)` over the input's padded positions `q`, with
//! `F(r, q) = eq(r, flat(q))` for valid positions and 0 on padding. The verifier evaluates
//! `F̃(r, ρ) = Σ_{valid q} eq(r, flat(q))·eq(ρ, q)` in `O(c·h·w)`: linear in the flattened
//! tensor, which in a CNN is small (the input of the first dense layer).
//!
//! In zero-knowledge mode ([`prove_zk`], [`verify_zk`]) the output is committed as an advice
//! copy and the relation `Σ_q F(r, q)·x(q) − copy(r) = 0` is checked at a fresh point `r` by one
//! masked sum-check: the dense step's ([`super::dense::prove_zk`]) with the public index map `F`
//! in place of the weights and the copy as the one output-side table, of weight `−1`.

use super::dense::{self, MatVec, MatVecNames};
use super::{ceil_log2, get, prove_product, verify_product, Dims, LayerError, ProductProof};
use crate::field::{BaseField, ExtField, MulAcc};
use crate::network::op::{MaskStep, NetworkOp, Requantized, WitnessStep, Witnessed};
use crate::network::plan::{Plan, PlanStep, Planned, Source, Step};
use crate::network::prover::Ctx as ProverCtx;
use crate::network::verifier::Ctx as VerifierCtx;
use crate::network::zk::{placed, ZkStepProver, ZkStepVerifier};
use crate::network::{NetworkError, VerifyError};
use crate::poly::{eq_table, Mle};
use crate::sumcheck::zk::{Mask, MaskedProof};
use crate::transcript::TranscriptExt;
use crate::zk::{Deferred, TableMasks};
use ark_ff::Field;
use merlin::Transcript;

/// The output's padded index of logical position `flat` of a batch of `2^batch_vars` inputs
/// laid out as `input` (its first dimension the batch when `batch_vars > 0`): the batch index
/// over the top variables, `flat` within one input below (`flat` itself for one input).
fn out_index(input: &Dims, batch_vars: usize, flat: usize) -> usize {
    if batch_vars == 0 {
        return flat;
    }
    let one = (input.logical_len() >> batch_vars).max(1);
    ((flat / one) << ceil_log2(one)) | (flat % one)
}

/// The table `q ↦ F(r, q)` over the input's padded positions.
fn table<E: MulAcc>(input: &Dims, batch_vars: usize, r: &[E]) -> Vec<E> {
    let er = eq_table(r);
    let mut t = vec![E::ZERO; input.len()];
    for flat in 0..input.logical_len() {
        let o = out_index(input, batch_vars, flat);
        if let (Some(ti), Some(&e)) = (t.get_mut(input.padded_index(flat)), er.get(o)) {
            *ti = e;
        }
    }
    t
}

/// `F̃(r, ρ) = Σ_{valid q} eq(r, flat(q))·eq(ρ, q)`, the index map's extension.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
fn map_at<E: MulAcc + Field>(input: &Dims, batch_vars: usize, r: &[E], rho: &[E]) -> E {
    let er = eq_table(r);
    let ep = eq_table(rho);
    (0..input.logical_len())
        .map(|flat| {
            er.get(out_index(input, batch_vars, flat))
                .copied()
                .unwrap_or(E::ZERO)
                * ep.get(input.padded_index(flat)).copied().unwrap_or(E::ZERO)
        })
        .sum()
}

/// Proves `target = ṽ(r)`; returns the proof, the input point and the input's value there.
pub fn prove<F: BaseField, E: ExtField<F>>(
    input: &Dims,
    x: &[F],
    r: &[E],
    target: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>, E) {
    prove_batched(input, 0, x, r, target, transcript)
}

/// [`prove`] for a batch: `input` is the batch's layout, its first dimension the batch of
/// `2^batch_vars` inputs, and the output `[batch, c·h·w]` (each input flattened, the batch
/// index over the top variables). The same one product sum-check over the batch's positions.
pub fn prove_batched<F: BaseField, E: ExtField<F>>(
    input: &Dims,
    batch_vars: usize,
    x: &[F],
    r: &[E],
    target: E,
    transcript: &mut Transcript,
) -> (ProductProof<E>, Vec<E>, E) {
    let (proof, point) = prove_product(
        vec![Mle::Base(x.to_vec()), Mle::Ext(table(input, batch_vars, r))],
        target,
        transcript,
    );
    let value = proof.values[0];
    (proof, point, value)
}

/// Verifies; returns the input point and the input's claimed value there.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify<E: MulAcc + Field>(
    input: &Dims,
    r: &[E],
    target: E,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, E), LayerError> {
    verify_batched(input, 0, r, target, proof, transcript)
}

/// Verifies [`prove_batched`].
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_batched<E: MulAcc + Field>(
    input: &Dims,
    batch_vars: usize,
    r: &[E],
    target: E,
    proof: &ProductProof<E>,
    transcript: &mut Transcript,
) -> Result<(Vec<E>, E), LayerError> {
    let (rho, v) = verify_product("flatten", input.num_vars(), 2, target, proof, transcript)?;
    let value = get(&v, 0, "flatten values", 2)?;
    let wiring = get(&v, 1, "flatten values", 2)?;
    if wiring != map_at(input, batch_vars, r, &rho) {
        return Err(LayerError::PublicValue {
            what: "flatten index map",
        });
    }
    Ok((rho, value))
}

/// Label of the zero-knowledge flatten's point `r` on the output.
pub const ZK_POINT: &[u8] = b"zk-flatten-point";

/// The zero-knowledge copy's variables: the flattened tensor `[c·h·w]`, padded, and at least
/// one (a zero-knowledge plan pads a single-entry tensor to two entries, so that a committed
/// table has a variable to mask).
pub fn output_vars(input: &Dims) -> usize {
    ceil_log2(input.logical_len()).max(1)
}

/// [`output_vars`] of a batch of `2^batch_vars` inputs laid out as `input` (its first dimension
/// the batch when `batch_vars > 0`): one input's flattened variables, then the batch's.
fn batch_output_vars(input: &Dims, batch_vars: usize) -> usize {
    if batch_vars == 0 {
        return output_vars(input);
    }
    ceil_log2((input.logical_len() >> batch_vars).max(1)).max(1) + batch_vars
}

/// The zero-knowledge flatten's sum-check variables: the larger side's.
fn zk_vars(input: &Dims, batch_vars: usize) -> usize {
    input.num_vars().max(batch_output_vars(input, batch_vars))
}

/// The mask degree: one private factor per term, `1 + 1`.
fn zk_degree() -> usize {
    dense::matvec_mask_degree(true, false, 1)
}

/// The number of fresh `E` mask entries [`prove_zk`] needs: its Libra mask over the sum-check's
/// variables and `b`, of degree 2. The masked values' scalars are the committed tables' masks.
pub fn zk_mask_len(input: &Dims) -> usize {
    zk_mask_len_batched(input, 0)
}

/// [`zk_mask_len`] for a batch of `2^batch_vars` inputs laid out as `input` ([`prove_zk_batched`]).
pub fn zk_mask_len_batched(input: &Dims, batch_vars: usize) -> usize {
    1 + (zk_vars(input, batch_vars) + 1) * zk_degree()
}

/// The core's numbering (`1` = `x`, `2` = the copy) as this step's (`0` = `x`, `1` = the copy).
struct Renumber<'a, T>(&'a T);

impl<E, T: TableMasks<E>> TableMasks<E> for Renumber<'_, T> {
    fn mask_at(&self, table: usize, point: &[E]) -> E {
        self.0.mask_at(table.saturating_sub(1), point)
    }
}

/// The core's claims renumbered as this step's.
fn renumber<E>(claims: Vec<Deferred<E>>) -> Vec<Deferred<E>> {
    claims
        .into_iter()
        .map(|c| match c {
            Deferred::Masked {
                table,
                point,
                beta,
                value,
            } => Deferred::Masked {
                table: table.saturating_sub(1),
                point,
                beta,
                value,
            },
            other => other,
        })
        .collect()
}

/// The flatten's relation in zero knowledge (`spec/zk.md`, "Zero-checks and flatten, in
/// zero-knowledge mode"): at a fresh point `r` on the output ([`ZK_POINT`], [`output_vars`]
/// coordinates), one masked sum-check of
///
/// ```text
///     Σ_q F̃(r, q)·x̃(q) − copỹ(r) = 0
/// ```
///
/// over `max(n_in, n_out)` variables — [`dense::prove_zk`]'s step with the public index map `F`
/// as its matrix and the copy as its one output-side table, of weight `−1`. `x` (the input,
/// `input.len()` entries) and `copy` (the committed output, `2^{output_vars}` entries) are
/// private committed tables numbered `0` and `1`; `scalars.mask_at(0, ρ_{<n_in})` and
/// `mask_at(1, ρ_{<n_out})` their masks at their claims' points. `fresh` is the Libra mask
/// ([`zk_mask_len`] entries, committed beforehand). Returns the proof and the claims:
/// `Masked` on `x` at `ρ_{<n_in}`, on the copy at `ρ_{<n_out}`, then the mask's form on
/// `fresh` — [`verify_zk`]'s list.
///
/// Refuses (`LayerError::Count`) tables or fresh masks of the wrong length.
pub fn prove_zk<F: BaseField, E: ExtField<F>>(
    input: &Dims,
    x: &[F],
    copy: &[F],
    fresh: &[E],
    scalars: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<(MaskedProof<E>, Vec<Deferred<E>>), LayerError> {
    prove_zk_batched(input, 0, x, copy, fresh, scalars, transcript)
}

/// [`prove_zk`] for a batch (`spec/batch.md`, "Zero knowledge"): `input` is the batch's layout,
/// its first dimension the batch of `2^batch_vars` inputs, the copy `[batch, c·h·w]` (each
/// input flattened, the batch index over the top variables) — the transparent batch's index map
/// ([`prove_batched`]), the same one masked sum-check over the batch's positions, at a fresh
/// point with `batch_vars` more coordinates. With `batch_vars = 0`, [`prove_zk`].
pub fn prove_zk_batched<F: BaseField, E: ExtField<F>>(
    input: &Dims,
    batch_vars: usize,
    x: &[F],
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
    let out_vars = batch_output_vars(input, batch_vars);
    let len = zk_mask_len_batched(input, batch_vars);
    count("flatten (zero knowledge) input", input.len(), x.len())?;
    count("flatten (zero knowledge) copy", 1 << out_vars, copy.len())?;
    count("flatten (zero knowledge) fresh masks", len, fresh.len())?;
    let mask =
        Mask::from_entries(zk_vars(input, batch_vars) + 1, fresh).ok_or(LayerError::Count {
            what: "flatten (zero knowledge) fresh masks",
            expected: len,
            got: fresh.len(),
        })?;
    let r: Vec<E> = transcript.challenge_fields(ZK_POINT, out_vars);
    let (proof, claims) = dense::prove_matvec_zk(
        MatVec {
            matrix: table(input, batch_vars, &r),
            matrix_public: true,
            x,
            input_public: false,
        },
        &[(-E::ONE, copy)],
        &r,
        E::ZERO,
        &mask,
        &Renumber(scalars),
        transcript,
    );
    Ok((proof, renumber(claims)))
}

/// Verifies [`prove_zk`]; returns the claims for the proof's opening (numbered as there), the
/// prover's list for an honest proof.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_zk<F: BaseField, E: ExtField<F>>(
    input: &Dims,
    proof: &MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, LayerError> {
    verify_zk_batched::<F, E>(input, 0, proof, transcript)
}

/// Verifies [`prove_zk_batched`].
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_zk_batched<F: BaseField, E: ExtField<F>>(
    input: &Dims,
    batch_vars: usize,
    proof: &MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, LayerError> {
    let r: Vec<E> = transcript.challenge_fields(ZK_POINT, batch_output_vars(input, batch_vars));
    let matrix = |rho: &[E]| map_at(input, batch_vars, &r, rho);
    let claims = dense::verify_matvec_zk::<F, E>(
        MatVecNames {
            step: "flatten (zero knowledge)",
            point: "flatten (zero knowledge) point",
            input: "flatten (zero knowledge) public input",
        },
        input.num_vars(),
        &[-E::ONE],
        Some(&matrix),
        None,
        &r,
        E::ZERO,
        zk_degree(),
        proof,
        transcript,
    )?;
    Ok(renumber(claims))
}

#[cfg(test)]
mod zk_tests {
    //! The zero-knowledge flatten, discharged by one opening of a hiding commitment that holds
    //! the input, the committed copy of the output and the step's Libra mask.
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

    /// The committed tables' masks: table `t` is segment `t`.
    struct Segments<'a, F> {
        data: &'a ZkProverData<F>,
        packing: &'a Packing,
    }

    impl<F: BaseField, E: ExtField<F>> TableMasks<E> for Segments<'_, F> {
        fn mask_at(&self, table: usize, point: &[E]) -> E {
            let z = self.packing.point(table, point);
            self.data.mask_at(0, &z).expect("one committed table")
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Cheat {
        None,
        /// A committed copy that differs from the flattened input in one entry, proven as it is.
        Copy,
        /// The same committed copy, proven with the true one (edited after the commitment).
        Edited,
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

    fn run<F: BaseField + FftField, E: ExtField<F>>(
        seed: u64,
        shape: &[usize],
        cheat: Cheat,
    ) -> Result<(), Failure> {
        let mut rng = StdRng::seed_from_u64(seed);
        let input = Dims::new(shape);
        let out_vars = output_vars(&input);
        let flat: Vec<i64> = (0..input.logical_len())
            .map(|_| rng.gen_range(-50..50))
            .collect();
        let f = |v: i64| -> F {
            if v < 0 {
                -F::from(v.unsigned_abs())
            } else {
                F::from(v as u64)
            }
        };
        let mut x = vec![F::ZERO; input.len()];
        for (q, &v) in flat.iter().enumerate() {
            x[input.padded_index(q)] = f(v);
        }
        let mut copy = vec![F::ZERO; 1 << out_vars];
        for (c, &v) in copy.iter_mut().zip(&flat) {
            *c = f(v);
        }
        let mut committed = copy.clone();
        if matches!(cheat, Cheat::Copy | Cheat::Edited) {
            committed[flat.len() / 2] += F::ONE;
        }
        if cheat == Cheat::Copy {
            copy = committed.clone();
        }
        let fresh: Vec<E> = (0..zk_mask_len(&input))
            .map(|_| E::rand(&mut rng))
            .collect();
        let mut masks = mask_entries::<F, E>(&fresh);
        let mask_vars = (masks.len().next_power_of_two().trailing_zeros() as usize).max(7);
        masks.resize(1 << mask_vars, F::ZERO);
        let packing = Packing::new(&[input.num_vars(), out_vars, mask_vars]);
        let (commitment, mut data) = pzk::commit(
            &params(),
            packing.pack(&[x.clone(), committed, masks]),
            packing.num_vars(),
            &mut rng,
        )
        .unwrap();
        let layout = Layout {
            packings: vec![packing.clone()],
            masks: Some((0, 2)),
        };
        let placed: Vec<Placed<E>> = vec![Placed::segment(0, 0), Placed::segment(0, 1)];
        let start = || {
            let mut t = Transcript::new(b"flatten-zk");
            t.append_message(b"root", &commitment.inner.root);
            t
        };

        // The prover.
        let scalars = Segments {
            data: &data,
            packing: &packing,
        };
        let mut tp = start();
        let (mut proof, deferred) = prove_zk(&input, &x, &copy, &fresh, &scalars, &mut tp).unwrap();
        let expected = verify_zk::<F, E>(&input, &proof, &mut start()).unwrap();
        if cheat == Cheat::Copy {
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
                (Cheat::Copy | Cheat::Edited, DischargeError::Unsatisfied { .. }) => ledger
                    .open_checked(
                        &params(),
                        &layout,
                        &mut [(&commitment, &mut data)],
                        &mut rng,
                        &mut tp,
                        false,
                    ),
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
        let claims = verify_zk::<F, E>(&input, &proof, &mut tv).map_err(Failure::Layer)?;
        let mut ledger = Ledger::new();
        ledger
            .defer(claims, &placed, 0)
            .map_err(Failure::Discharge)?;
        ledger
            .verify(&params(), &layout, &[&commitment], &opening, &mut tv)
            .map(|_| ())
            .map_err(Failure::Discharge)
    }

    /// Shapes whose paddings differ: 27 entries padded to 32 from `[4, 4, 4]`, no padding, a
    /// one-dimensional input, uneven sides.
    const SHAPES: [&[usize]; 4] = [&[3, 3, 3], &[4, 4, 4], &[5], &[2, 3, 5]];

    #[test]
    fn the_zero_knowledge_flatten_round_trips_on_both_fields() {
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
    fn a_cheating_flatten_prover_is_caught() {
        for shape in [&[3, 3, 3][..], &[2, 3, 5]] {
            for cheat in [Cheat::Copy, Cheat::Edited, Cheat::Value] {
                let got = run::<Goldilocks, GoldilocksExt2>(3, shape, cheat);
                assert!(
                    matches!(got, Err(Failure::Discharge(DischargeError::Opening(_)))),
                    "{shape:?} {cheat:?}: {got:?}"
                );
            }
        }
        assert!(matches!(
            run::<Bn254Fr, Bn254Fr>(4, &[3, 3, 3], Cheat::Copy),
            Err(Failure::Discharge(DischargeError::Opening(_)))
        ));
        assert_eq!(
            run::<Goldilocks, GoldilocksExt2>(5, &[3, 3, 3], Cheat::Count),
            Err(Failure::Layer(LayerError::Sumcheck {
                step: "flatten (zero knowledge)",
                source: SumcheckError::MaskedValues {
                    expected: 2,
                    got: 1
                }
            }))
        );
    }

    #[test]
    fn the_prover_refuses_wrong_shapes() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let input = Dims::new(&[3, 3, 3]);
        let (x, copy) = (vec![F::ZERO; 64], vec![F::ZERO; 32]);
        let fresh = vec![E::ZERO; zk_mask_len(&input)];
        assert_eq!(fresh.len(), 1 + 7 * 2);
        let scalars = crate::zk::ExplicitMasks::<E>(vec![vec![E::ZERO; 64]; 2]);
        let mut t = Transcript::new(b"t");
        let refused = |x: &[F], copy: &[F], fresh: &[E], t: &mut Transcript| {
            prove_zk(&input, x, copy, fresh, &scalars, t).map(|_| ())
        };
        assert_eq!(
            refused(&x, &copy[..16], &fresh, &mut t),
            Err(LayerError::Count {
                what: "flatten (zero knowledge) copy",
                expected: 32,
                got: 16
            })
        );
        assert_eq!(
            refused(&x[..32], &copy, &fresh, &mut t),
            Err(LayerError::Count {
                what: "flatten (zero knowledge) input",
                expected: 64,
                got: 32
            })
        );
        assert_eq!(
            refused(&x, &copy, &fresh[1..], &mut t),
            Err(LayerError::Count {
                what: "flatten (zero knowledge) fresh masks",
                expected: 15,
                got: 14
            })
        );
        assert_eq!(refused(&x, &copy, &fresh, &mut t), Ok(()));
    }

    // The simulator's argument (`zk::explain`).

    use crate::zk::explain::{self, mask_sizes, table_stages, Proven, Randomness, Witnesses};

    const LABEL: &[u8] = b"flatten-zk-simulator";

    /// The padded input and its copy of a random flattened tensor.
    fn flattened<F: Field>(rng: &mut StdRng, input: &Dims) -> Vec<Vec<F>> {
        let mut x = vec![F::ZERO; input.len()];
        let mut copy = vec![F::ZERO; 1 << output_vars(input)];
        for q in 0..input.logical_len() {
            let v = F::from(rng.gen_range(0..100u64)) - F::from(50u64);
            x[input.padded_index(q)] = v;
            copy[q] = v;
        }
        vec![x, copy]
    }

    /// Zero knowledge of the flatten as code (`zk::explain`, `check_explained`): two inputs of
    /// the same shape with their copies give the identical proof under solved masks, the claims
    /// hold on each one's tables, solving back returns the first masks; unmasked, the proofs
    /// differ and the masked values are the tables' values. Then the spread over 64 runs.
    fn flatten_witnesses<F: BaseField, E: ExtField<F>>(seed: u64, shape: &[usize]) {
        let mut rng = StdRng::seed_from_u64(seed);
        let input = Dims::new(shape);
        let (ta, tb) = (
            flattened::<F>(&mut rng, &input),
            flattened::<F>(&mut rng, &input),
        );
        let fresh = zk_mask_len(&input);
        let prover = |t: &Vec<Vec<F>>| {
            let (t, input) = (t.clone(), input.clone());
            move |rnd: &Randomness<E>| -> Proven<E> {
                let (proof, claims) = prove_zk(
                    &input,
                    &t[0],
                    &t[1],
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
            let claims = verify_zk::<F, E>(&input, &p[0], &mut Transcript::new(LABEL)).unwrap();
            (claims, Vec::new())
        };
        let w = Witnesses {
            prove: [&pa, &pb],
            value: [&va, &vb],
            mask: &explain::explicit_mask,
            verify: &verify,
            stages: &table_stages,
        };
        let sizes = mask_sizes(&[input.num_vars(), output_vars(&input)]);
        explain::check_explained(&w, Randomness::random(&mut rng, fresh, &sizes));
        explain::check_spread(&w, &mut || Randomness::random(&mut rng, fresh, &sizes), 64);
    }

    #[test]
    fn the_zero_knowledge_flatten_is_simulated_for_any_witness() {
        for shape in SHAPES {
            flatten_witnesses::<Goldilocks, GoldilocksExt2>(30, shape);
            flatten_witnesses::<Bn254Fr, Bn254Fr>(31, shape);
        }
    }
}

/// The flatten layer of a network: `v[(c·h + y)·w + x] = X[c][y][x]` (a re-indexing; see the
/// module's documentation). Transparent: each claim a reader left on the output becomes one on
/// the input ([`prove_batched`]). Zero knowledge: the output is a committed copy, checked at a
/// fresh point ([`prove_zk`]); a flatten of the network's input is the input itself, laid out
/// flat, with nothing to prove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flatten;

/// Whether layer `l`'s flatten is the network's input itself (a zero-knowledge plan lays a
/// flattened input out flat).
fn is_input(plan: &Plan, l: usize) -> bool {
    plan.sources.get(l + 1) == Some(&Source::Input)
}

impl NetworkOp for Flatten {
    const KIND: &'static str = "layers: flatten";

    fn witness<F: BaseField>(&self, w: &mut WitnessStep<'_, F>) -> Witnessed {
        let t = w.padded_output();
        // A zero-knowledge plan commits a flatten's output as a copy.
        if let Source::Committed(terms) = &w.plan.sources[w.l + 1] {
            if let [(seg, 1)] = terms.as_slice() {
                w.set(*seg, &t);
            }
        }
        Witnessed::Output(t)
    }

    fn zk_masks(&self, m: &MaskStep<'_>) -> Result<Vec<usize>, NetworkError> {
        if is_input(m.plan, m.l) {
            return Ok(Vec::new());
        }
        if m.public(m.tin()) {
            return Err(m.unsupported("flattening the public input"));
        }
        Ok(vec![zk_mask_len_batched(
            &m.plan.dims[m.tin()],
            m.plan.batch_vars,
        )])
    }

    fn prove<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ProverCtx<'_, F, E>,
        l: usize,
        _: Option<Requantized<'_, E>>,
    ) {
        let plan = cx.plan;
        let tin = plan.input(l);
        for (r, v) in std::mem::take(&mut cx.pending[l + 1]) {
            let (proof, rho, xv) = prove_batched(
                &plan.dims[tin],
                plan.batch_vars,
                &cx.tensors[tin],
                &r,
                v,
                cx.t,
            );
            cx.products.push(proof);
            cx.claim_tensor(tin, &rho, xv);
        }
    }

    fn verify<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut VerifierCtx<'_, F, E>,
        l: usize,
        _: Option<Requantized<'_, E>>,
    ) -> Result<(), VerifyError> {
        let plan = cx.plan;
        let tin = plan.input(l);
        let dims_in = plan.dims.get(tin).ok_or(VerifyError::AdviceShape)?;
        let claims = cx
            .pending
            .get_mut(l + 1)
            .map(std::mem::take)
            .unwrap_or_default();
        for (r, v) in claims {
            let proof = cx.product()?;
            let (rho, xv) = verify_batched(dims_in, plan.batch_vars, &r, v, proof, cx.t)
                .map_err(|e| cx.err(e))?;
            cx.claim_tensor(tin, &rho, xv)?;
        }
        Ok(())
    }

    fn prove_zk<F: BaseField, E: ExtField<F>>(
        &self,
        cx: &mut ZkStepProver<'_, '_, F, E>,
    ) -> Result<(), NetworkError> {
        let plan = &cx.zp.plan;
        if is_input(plan, cx.l) {
            return Ok(());
        }
        let Some(Source::Committed(copy)) = plan.sources.get(cx.l + 1) else {
            unreachable!("a zero-knowledge plan commits a flatten's output")
        };
        let tables = vec![cx.x_table.clone(), placed(cx.zp.parts().1, copy)];
        let (fresh, off) = cx.fresh(0);
        let (proof, deferred) = prove_zk_batched(
            &plan.dims[cx.tin],
            plan.batch_vars,
            &cx.tensors[cx.tin],
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
        if is_input(plan, cx.l) {
            return Ok(());
        }
        let Some(Source::Committed(copy)) = plan.sources.get(cx.l + 1) else {
            return Err(VerifyError::AdviceShape);
        };
        let dims_in = plan.dims.get(cx.tin).ok_or(VerifyError::AdviceShape)?;
        let tables = vec![cx.x_table.clone(), placed(cx.zp.parts().1, copy)];
        let proof = cx.next()?;
        let claims = verify_zk_batched::<F, E>(dims_in, plan.batch_vars, proof, cx.t)
            .map_err(|e| cx.layer_err(e))?;
        cx.finish(claims, &tables, 0)
    }
}

/// The plan of a flatten: a derived output in the flat layout.
pub(crate) fn plan(cx: &mut PlanStep<'_>) -> Result<Planned, NetworkError> {
    let out_shape = cx.out_shape;
    let step = Step::Flatten(Flatten);
    Ok((step, cx.padded(Dims::new(out_shape)), Source::Derived))
}
