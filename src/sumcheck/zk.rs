//! Zero-knowledge sum-check: Libra's masking polynomial (Xie et al., eprint 2019/317, §4.1).
//!
//! The prover holds a random mask `g(x) = a_0 + Σ_j g_j(x_j)`, each `g_j` a univariate of degree
//! `d` with `g_j(0) = 0`, which the caller has committed (and bound to the transcript) before
//! calling [`prove`]. It sends `G = Σ_{x ∈ {0,1}^n} g(x)`, draws `ρ ≠ 0`, and runs the plain
//! sum-check of `f + ρ·g` on the claim `H + ρ·G`. At the end the verifier holds
//! `f(r) + ρ·g(r) = value` ([`ZkClaim`]): the caller discharges `f(r)` as usual and `g(r)` as a
//! claim on the committed mask (a linear form on its entries, [`Mask::weights`]).
//!
//! Why it hides `f`: the round polynomials' `d` free coefficients in round `j` are those of
//! `f`'s round polynomial plus `ρ·2^{n−j−1}` times `g_j`'s, and `G` fixes `a_0`; the map from
//! the mask's `1 + n·d` entries to (`G`, the rounds' free coefficients) is a bijection for every
//! `f`. So, given the claim `H` and `f(r)`, `G` and the rounds are uniform over the values that
//! pass the verifier's checks, whatever `f` is, and `g(r)` is then fixed by the final check
//! (`spec/zk.md`, "Sum-check"). The test `zk_sumcheck_explains_any_witness` makes this concrete:
//! for a second witness with the same sum and the same value at `r` it solves for the mask that
//! gives the *identical* proof.
//!
//! Soundness: the mask sum is absorbed before `ρ` is drawn, so a false `G` or `H` survives only
//! if `Σ f − H = ρ·(G − Σ g)` for the drawn `ρ` (probability `1/|E|`), then the plain sum-check's
//! `n·d/|E|`.
//!
//! Mask entries, in commitment order ([`Mask::entries`]): `a_0`, then `g_0(1), …, g_0(d)`,
//! `g_1(1), …`: values at the nodes `1..=d` rather than coefficients (a uniform choice of either
//! is a uniform choice of the other), so that round messages need no interpolation.

use super::verifier::verify_up_to;
use super::{
    absorb_header, combine, full_evals, interpolate, EvaluationClaim, Instance, Proof,
    RoundMessage, RoundProver, SumcheckError, Term, MAX_DEGREE,
};
use crate::field::{BaseField, ExtField};
use crate::transcript::TranscriptExt;
use crate::zk::Deferred;
use ark_ff::Field;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;
use rand::{CryptoRng, RngCore};

/// Largest mask degree: one more than a plain sum-check's, for the masked round of
/// [`prove_masked`] (`1 + #private factors` with up to [`MAX_DEGREE`] factors).
pub const MAX_ZK_DEGREE: usize = MAX_DEGREE + 1;

/// Libra's mask `g(x) = a_0 + Σ_j g_j(x_j)`, each `g_j` of degree `d` with `g_j(0) = 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mask<E> {
    constant: E,
    /// `values[j][t − 1] = g_j(t)` for `t = 1..=d`.
    values: Vec<Vec<E>>,
}

/// A zero-knowledge sum-check proof: the mask's sum, then the plain sum-check of `f + ρ·g`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ZkProof<E: Field> {
    /// `G = Σ_x g(x)`.
    pub mask_sum: E,
    /// The rounds of the sum-check of `f + ρ·g` on `H + ρ·G`.
    pub sumcheck: Proof<E>,
}

/// What the verifier holds after a zero-knowledge sum-check: `f(point) + weight·g(point) = value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkClaim<E> {
    /// The challenges `r`.
    pub point: Vec<E>,
    /// `ρ`, the mask's weight.
    pub weight: E,
    /// The value the last round left.
    pub value: E,
}

/// What the prover holds at the end.
#[derive(Clone, Debug)]
pub struct ZkProverOutput<E: Field> {
    /// The proof to send.
    pub proof: ZkProof<E>,
    /// The challenges `r`.
    pub point: Vec<E>,
    /// `ρ`.
    pub weight: E,
    /// Each of `f`'s tables at `r`, in instance order.
    pub table_values: Vec<E>,
    /// `g(r)`.
    pub mask_value: E,
}

impl<E: Field> Mask<E> {
    /// A uniformly random mask over `num_vars` variables of degree `degree` (1 to
    /// [`MAX_ZK_DEGREE`]), from `rng` (the operating system's generator in production; a seeded one
    /// in tests).
    pub fn random<R: RngCore + CryptoRng>(num_vars: usize, degree: usize, rng: &mut R) -> Self {
        let degree = degree.clamp(1, MAX_ZK_DEGREE);
        Self {
            constant: E::rand(rng),
            values: (0..num_vars)
                .map(|_| (0..degree).map(|_| E::rand(rng)).collect())
                .collect(),
        }
    }

    /// The mask with the given entries (in [`Mask::entries`] order), or `None` if their number
    /// is not `1 + num_vars·degree` for a degree in `1..=MAX_ZK_DEGREE`.
    pub fn from_entries(num_vars: usize, entries: &[E]) -> Option<Self> {
        let (&constant, rest) = entries.split_first()?;
        if num_vars == 0 {
            return rest.is_empty().then(|| Self {
                constant,
                values: Vec::new(),
            });
        }
        let degree = rest.len() / num_vars;
        if degree == 0 || degree > MAX_ZK_DEGREE || degree * num_vars != rest.len() {
            return None;
        }
        Some(Self {
            constant,
            values: rest.chunks(degree).map(<[E]>::to_vec).collect(),
        })
    }

    /// Number of variables `n`.
    pub fn num_vars(&self) -> usize {
        self.values.len()
    }

    /// Degree `d` of each `g_j` (1 for a mask over no variables).
    pub fn degree(&self) -> usize {
        self.values.first().map_or(1, Vec::len)
    }

    /// The entries the caller commits: `a_0`, then `g_j(1), …, g_j(d)` for each `j`.
    pub fn entries(&self) -> Vec<E> {
        std::iter::once(self.constant)
            .chain(self.values.iter().flatten().copied())
            .collect()
    }

    /// `g_j(x)` by interpolation through `g_j(0) = 0` and the stored values.
    pub(crate) fn univariate(&self, j: usize, x: E) -> E {
        let mut nodes = Vec::with_capacity(self.degree() + 1);
        nodes.push(E::ZERO);
        nodes.extend_from_slice(&self.values[j]);
        interpolate(&nodes, x)
    }

    /// `Σ_{x ∈ {0,1}^n} g(x) = 2^n·a_0 + 2^{n−1}·Σ_j g_j(1)`.
    pub fn sum(&self) -> E {
        let n = self.num_vars();
        let ones: E = self.values.iter().map(|v| v[0]).sum();
        let mut total = self.constant * pow2::<E>(n);
        if n > 0 {
            total += ones * pow2::<E>(n - 1);
        }
        total
    }

    /// `g(point)` (`point.len()` must be `num_vars`; extra coordinates are ignored).
    pub fn evaluate(&self, point: &[E]) -> E {
        self.constant
            + point
                .iter()
                .enumerate()
                .take(self.num_vars())
                .map(|(j, &x)| self.univariate(j, x))
                .sum::<E>()
    }

    /// The linear form `w` with `g(point) = Σ_i w_i·entries_i`: what the caller proves about the
    /// committed entries. Computed from the point alone (`O(n·d²)`), so the verifier builds it
    /// without the mask.
    pub fn weights(num_vars: usize, degree: usize, point: &[E]) -> Vec<E> {
        let mut w = Vec::with_capacity(1 + num_vars * degree);
        w.push(E::ONE);
        // Lagrange basis over the nodes 0..=d at x, L_t(x) = Π_{j≠t}(x − j) / Π_{j≠t}(t − j)
        // (what `interpolate` gives on the unit vector e_t), with the denominators inverted
        // once; node 0's value is g_j(0) = 0, so t runs from 1.
        let node = |j: usize| E::from(j as u64);
        let inv_den: Vec<E> = (0..=degree)
            .map(|t| {
                (0..=degree)
                    .filter(|&j| j != t)
                    .map(|j| node(t) - node(j))
                    .product::<E>()
                    .inverse()
                    .unwrap_or(E::ZERO)
            })
            .collect();
        for &x in point.iter().take(num_vars) {
            for (t, inv) in inv_den.iter().enumerate().skip(1) {
                let num: E = (0..=degree)
                    .filter(|&j| j != t)
                    .map(|j| x - node(j))
                    .product();
                w.push(num * inv);
            }
        }
        w
    }

    /// This mask's part of round `j`'s polynomial at the message nodes `0, 2, …, d`, with
    /// `prefix = Σ_{i<j} g_i(r_i)`:
    /// `Σ_{b ∈ {0,1}^{n−j−1}} g(r_{<j}, X, b) = 2^{n−j−1}·(a_0 + prefix + g_j(X)) + 2^{n−j−2}·Σ_{i>j} g_i(1)`.
    pub(crate) fn round(&self, j: usize, prefix: E, d: usize) -> Vec<E> {
        let n = self.num_vars();
        let scale = pow2::<E>(n - j - 1);
        let tail: E = self.values[j + 1..].iter().map(|v| v[0]).sum();
        let tail_part = if j + 2 <= n {
            tail * pow2::<E>(n - j - 2)
        } else {
            E::ZERO
        };
        let at = |t: usize| {
            let gj = if t == 0 {
                E::ZERO
            } else if t <= self.degree() {
                self.values[j][t - 1]
            } else {
                self.univariate(j, E::from(t as u64))
            };
            scale * (self.constant + prefix + gj) + tail_part
        };
        std::iter::once(0).chain(2..=d).map(at).collect()
    }
}

fn pow2<E: Field>(k: usize) -> E {
    E::from(2u64).pow([k as u64])
}

/// Absorbs the zero-knowledge header and the mask sum, and draws `ρ ≠ 0` (redrawn on the
/// negligible event `ρ = 0`, which would switch the mask off).
pub(crate) fn mask_weight<E: Field>(t: &mut Transcript, n: usize, d: usize, mask_sum: &E) -> E {
    t.domain_separator(b"zk-sumcheck", &[n as u64, d as u64]);
    t.append_field(b"zk-mask-sum", mask_sum);
    loop {
        let rho: E = t.challenge_field(b"zk-mask-weight");
        if !rho.is_zero() {
            return rho;
        }
    }
}

/// The masked rounds over the instance's variables: round `j` sends `f`'s round polynomial plus
/// `ρ` times the mask's part, at `0, 2, …, d`. Returns the messages and `Σ_j g_j(r_j)`.
fn run_rounds<F: BaseField, E: ExtField<F>>(
    prover: &mut RoundProver<F, E>,
    mask: &Mask<E>,
    rho: E,
    d: usize,
    transcript: &mut Transcript,
) -> (Vec<RoundMessage<E>>, E) {
    let n = prover.num_vars();
    let mut rounds = Vec::with_capacity(n);
    let mut prefix = E::ZERO;
    for j in 0..n {
        let own = prover.message();
        let own_full = full_evals(&own, prover.claim());
        // f's round polynomial at 0, 2, …, d (its own degree may be lower than d).
        let f_at = |t: usize| interpolate(&own_full, E::from(t as u64));
        let evals: Vec<E> = std::iter::once(0)
            .chain(2..=d)
            .zip(mask.round(j, prefix, d))
            .map(|(t, g)| f_at(t) + rho * g)
            .collect();
        transcript.append_fields(b"sumcheck-round", &evals);
        let r: E = transcript.challenge_field(b"sumcheck-challenge");
        prover.bind(&own, r);
        prefix += mask.univariate(j, r);
        rounds.push(RoundMessage { evals });
    }
    (rounds, prefix)
}

/// Proves `claim = Σ_x instance(x)` in zero knowledge with `mask` (over the instance's
/// variables, of at least its degree; committed by the caller beforehand). The claim must be the
/// true sum, as for [`super::prove`].
///
/// # Panics
/// If the mask's variables or degree do not fit the instance (a caller's bug).
pub fn prove<F: BaseField, E: ExtField<F>>(
    instance: Instance<F, E>,
    claim: E,
    mask: &Mask<E>,
    transcript: &mut Transcript,
) -> ZkProverOutput<E> {
    let n = instance.num_vars();
    let d = instance.degree().max(mask.degree());
    assert_eq!(
        mask.num_vars(),
        n,
        "the mask must have the instance's variables"
    );
    assert!(
        n == 0 || mask.degree() >= instance.degree(),
        "the mask's degree must be at least the instance's"
    );
    let mask_sum = mask.sum();
    let rho = mask_weight(transcript, n, d, &mask_sum);
    absorb_header(transcript, n, d, &(claim + rho * mask_sum));
    let mut prover = RoundProver::new(instance, claim);
    let (rounds, _) = run_rounds(&mut prover, mask, rho, d, transcript);
    let (point, table_values) = prover.finish();
    let mask_value = mask.evaluate(&point);
    ZkProverOutput {
        proof: ZkProof {
            mask_sum,
            sumcheck: Proof { rounds },
        },
        point,
        weight: rho,
        table_values,
        mask_value,
    }
}

/// Verifies a zero-knowledge sum-check of a `num_vars`-variable polynomial of degree `degree`
/// (the mask's degree) summing to `claim`; returns the claim `f(r) + ρ·g(r) = value` that the
/// caller must discharge ([`ZkClaim::check`]).
pub fn verify<E: Field>(
    num_vars: usize,
    degree: usize,
    claim: E,
    proof: &ZkProof<E>,
    transcript: &mut Transcript,
) -> Result<ZkClaim<E>, SumcheckError> {
    if degree == 0 || degree > MAX_ZK_DEGREE {
        return Err(SumcheckError::UnsupportedDegree { degree });
    }
    let rho = mask_weight(transcript, num_vars, degree, &proof.mask_sum);
    let EvaluationClaim { point, value } = verify_up_to(
        MAX_ZK_DEGREE,
        num_vars,
        degree,
        claim + rho * proof.mask_sum,
        &proof.sumcheck,
        transcript,
    )?;
    Ok(ZkClaim {
        point,
        weight: rho,
        value,
    })
}

impl<E: Field> ZkClaim<E> {
    /// Discharges the claim given `f(r)` and `g(r)` (each proven or computed by the caller).
    pub fn check(&self, f_value: E, mask_value: E) -> Result<(), SumcheckError> {
        if f_value + self.weight * mask_value == self.value {
            Ok(())
        } else {
            Err(SumcheckError::FinalEvaluation)
        }
    }
}

/// A zero-knowledge product sum-check whose private tables' values at the final point are sent
/// masked (`spec/zk.md`, "Masked values"): the sum runs over one more variable `b`, bound last,
/// of `(1 − b)·instance(x)` with each private table `t_i` replaced by `t̃_i(x) + b·c_i`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MaskedProof<E: Field> {
    /// The zero-knowledge sum-check over `(x, b)`.
    pub zk: ZkProof<E>,
    /// `v_i = t̃_i(r) + β·c_i` for each private table, in table order.
    pub values: Vec<E>,
}

/// What the prover of a masked sum-check holds at the end.
#[derive(Clone, Debug)]
pub struct MaskedProverOutput<E: Field> {
    /// The proof to send.
    pub proof: MaskedProof<E>,
    /// `r`, the point over the instance's variables.
    pub point: Vec<E>,
    /// `β`, the challenge of `b`.
    pub beta: E,
    /// `ρ`.
    pub weight: E,
    /// Each table's true value `t̃_i(r)`, in instance order.
    pub table_values: Vec<E>,
    /// `g(r, β)`.
    pub mask_value: E,
}

/// What the verifier of a masked sum-check holds: the last round's value must equal
/// `(1 − β)·instance(values) + ρ·g(r, β)` ([`MaskedClaim::check`]), and the caller defers
/// `t̃_i(r) + β·c_i = v_i` for each private table (a linear claim on committed data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedClaim<E> {
    /// `r`, over the instance's variables.
    pub point: Vec<E>,
    /// `β`.
    pub beta: E,
    /// `ρ`.
    pub weight: E,
    /// The value the last round left.
    pub value: E,
    /// The masked values `v_i` of the private tables, in table order.
    pub values: Vec<E>,
}

/// The degree a masked sum-check's mask needs: one more than the largest number of private
/// factors in a term, at least the instance's degree.
pub fn masked_degree<E>(terms: &[Term<E>], private: &[bool]) -> usize {
    let own = terms.iter().map(|t| t.factors.len()).max().unwrap_or(1);
    let masked = terms
        .iter()
        .map(|t| {
            1 + t
                .factors
                .iter()
                .filter(|&&i| private.get(i).copied().unwrap_or(false))
                .count()
        })
        .max()
        .unwrap_or(1);
    own.max(masked)
}

/// Proves `claim = Σ_x instance(x)` in zero knowledge, sending the private tables' final values
/// masked by the scalars `c_i` (`scalars[i]`, read for private tables only). `mask` has the
/// instance's variables plus one and degree [`masked_degree`]; the mask and the scalars are
/// committed by the caller beforehand.
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
pub fn prove_masked<F: BaseField, E: ExtField<F>>(
    instance: Instance<F, E>,
    claim: E,
    private: &[bool],
    scalars: &[E],
    mask: &Mask<E>,
    transcript: &mut Transcript,
) -> MaskedProverOutput<E> {
    assert_eq!(
        scalars.len(),
        instance.tables().len(),
        "one scalar per table"
    );
    prove_masked_with(
        instance,
        claim,
        private,
        &|i, _| scalars[i],
        mask,
        transcript,
    )
}

/// [`prove_masked`] with each private table's scalar `c_i` given as a function of the table's
/// index and the final point `r`: for a committed table, the scalar is its commitment's mask at
/// `r` ([`crate::zk::TableMasks`]), known only once `r` is drawn.
///
/// # Panics
/// If the shapes do not fit (a caller's bug).
pub fn prove_masked_with<F: BaseField, E: ExtField<F>>(
    instance: Instance<F, E>,
    claim: E,
    private: &[bool],
    scalar: &dyn Fn(usize, &[E]) -> E,
    mask: &Mask<E>,
    transcript: &mut Transcript,
) -> MaskedProverOutput<E> {
    let n = instance.num_vars();
    let tables = instance.tables().len();
    assert!(private.len() == tables, "one flag per table");
    let d = mask.degree();
    assert_eq!(
        mask.num_vars(),
        n + 1,
        "the mask covers the instance's variables and b"
    );
    assert!(
        d >= masked_degree(instance.terms(), private),
        "the mask's degree must cover the masked round"
    );
    let terms = instance.terms().to_vec();
    let (mask_sum, rho) = masked_start(n, d, claim, mask, transcript);
    let mut prover = RoundProver::new(instance, claim);
    let (rounds, prefix) = run_rounds(&mut prover, mask, rho, d, transcript);
    let (point, table_values) = prover.finish();
    masked_finish(
        MaskedRounds {
            terms: &terms,
            private,
            table_values,
            point,
            rounds,
            prefix,
            mask_sum,
            rho,
        },
        scalar,
        mask,
        transcript,
    )
}

/// The start of a masked sum-check over `n` variables and `b`: absorbs the mask sum, draws
/// `ρ`, absorbs the sum-check's header with `claim + ρ·G`; returns `(G, ρ)`. For a caller that
/// runs the rounds over the `n` variables with its own prover (adding `ρ` times
/// [`Mask::round`]), then calls [`masked_finish`].
pub(crate) fn masked_start<E: Field>(
    n: usize,
    d: usize,
    claim: E,
    mask: &Mask<E>,
    transcript: &mut Transcript,
) -> (E, E) {
    let mask_sum = mask.sum();
    let rho = mask_weight(transcript, n + 1, d, &mask_sum);
    absorb_header(transcript, n + 1, d, &(claim + rho * mask_sum));
    (mask_sum, rho)
}

/// A masked sum-check after its rounds over the instance's variables.
pub(crate) struct MaskedRounds<'a, E: Field> {
    /// The instance's terms.
    pub(crate) terms: &'a [Term<E>],
    /// Which tables are private.
    pub(crate) private: &'a [bool],
    /// Each table's value at `point`.
    pub(crate) table_values: Vec<E>,
    /// The challenges so far, `r`.
    pub(crate) point: Vec<E>,
    /// The messages so far.
    pub(crate) rounds: Vec<RoundMessage<E>>,
    /// `Σ_j g_j(r_j)`.
    pub(crate) prefix: E,
    /// `G`.
    pub(crate) mask_sum: E,
    /// `ρ`.
    pub(crate) rho: E,
}

/// The end of a masked sum-check: the round over `b`, `β`, the masked values.
pub(crate) fn masked_finish<E: Field>(
    state: MaskedRounds<'_, E>,
    scalar: &dyn Fn(usize, &[E]) -> E,
    mask: &Mask<E>,
    transcript: &mut Transcript,
) -> MaskedProverOutput<E> {
    let MaskedRounds {
        terms,
        private,
        table_values,
        mut point,
        mut rounds,
        prefix,
        mask_sum,
        rho,
    } = state;
    let (n, d, tables) = (point.len(), mask.degree(), table_values.len());
    let scalars: Vec<E> = (0..tables)
        .map(|i| {
            if private[i] {
                scalar(i, &point)
            } else {
                E::ZERO
            }
        })
        .collect();
    // The round of b: (1 − B)·Σ_j c_j Π_i (t̃_i(r) + B·c_i [i private]).
    let at = |b: E| {
        let values: Vec<E> = table_values
            .iter()
            .zip(private.iter().zip(&scalars))
            .map(|(&v, (&p, &c))| if p { v + b * c } else { v })
            .collect();
        (E::ONE - b) * combine(terms, &values)
    };
    let evals: Vec<E> = std::iter::once(0)
        .chain(2..=d)
        .zip(mask.round(n, prefix, d))
        .map(|(t, g)| at(E::from(t as u64)) + rho * g)
        .collect();
    transcript.append_fields(b"sumcheck-round", &evals);
    let beta: E = transcript.challenge_field(b"sumcheck-challenge");
    rounds.push(RoundMessage { evals });
    let values: Vec<E> = (0..tables)
        .filter(|&i| private[i])
        .map(|i| table_values[i] + beta * scalars[i])
        .collect();
    transcript.append_fields(b"masked-values", &values);
    point.push(beta);
    let mask_value = mask.evaluate(&point);
    point.pop();
    MaskedProverOutput {
        proof: MaskedProof {
            zk: ZkProof {
                mask_sum,
                sumcheck: Proof { rounds },
            },
            values,
        },
        point,
        beta,
        weight: rho,
        table_values,
        mask_value,
    }
}

/// Verifies a masked sum-check of an `num_vars`-variable instance with `num_private` private
/// tables and mask degree `degree`, summing to `claim`.
pub fn verify_masked<E: Field>(
    num_vars: usize,
    degree: usize,
    claim: E,
    num_private: usize,
    proof: &MaskedProof<E>,
    transcript: &mut Transcript,
) -> Result<MaskedClaim<E>, SumcheckError> {
    if proof.values.len() != num_private {
        return Err(SumcheckError::MaskedValues {
            expected: num_private,
            got: proof.values.len(),
        });
    }
    let ZkClaim {
        mut point,
        weight,
        value,
    } = verify(num_vars + 1, degree, claim, &proof.zk, transcript)?;
    let beta = point.pop().ok_or(SumcheckError::RoundCount {
        expected: num_vars + 1,
        got: 0,
    })?;
    transcript.append_fields(b"masked-values", &proof.values);
    Ok(MaskedClaim {
        point,
        beta,
        weight,
        value,
        values: proof.values.clone(),
    })
}

/// `ρ·g(r, β)` as a linear form on a masked sum-check's Libra mask (degree `degree`, over `r`'s
/// variables and `b`) whose entries start at `offset` among the caller's fresh masks: the terms
/// of the [`Deferred::Masks`] claim its final check leaves.
pub fn mask_terms<E: Field>(
    point: &[E],
    beta: E,
    weight: E,
    degree: usize,
    offset: usize,
) -> Vec<(usize, E)> {
    let mut full = point.to_vec();
    full.push(beta);
    Mask::weights(full.len(), degree, &full)
        .into_iter()
        .enumerate()
        .map(|(i, w)| (offset + i, weight * w))
        .collect()
}

impl<E: Field> MaskedProverOutput<E> {
    /// The claims the prover leaves for the proof's opening when the private tables are
    /// committed and the mask (`mask_degree`) is the caller's fresh masks from entry 0: one
    /// `Masked` per private table at the point, in table order, then the mask's form — exactly
    /// [`MaskedClaim::deferred`]'s list for an honest proof.
    pub fn claims(&self, mask_degree: usize) -> Vec<Deferred<E>> {
        let mut out: Vec<Deferred<E>> = self
            .proof
            .values
            .iter()
            .enumerate()
            .map(|(table, &value)| Deferred::Masked {
                table,
                point: self.point.clone(),
                beta: self.beta,
                value,
            })
            .collect();
        out.push(Deferred::Masks {
            terms: mask_terms(&self.point, self.beta, self.weight, mask_degree, 0),
            value: self.weight * self.mask_value,
        });
        out
    }
}

impl<E: Field> MaskedClaim<E> {
    /// Checks the last round's value given the public tables' values at `r` (in table order,
    /// public tables only) and `g(r, β)`.
    pub fn check(
        &self,
        terms: &[Term<E>],
        private: &[bool],
        public_values: &[E],
        mask_value: E,
    ) -> Result<(), SumcheckError> {
        let f = self.instance_value(terms, private, public_values)?;
        if f + self.weight * mask_value == self.value {
            Ok(())
        } else {
            Err(SumcheckError::FinalEvaluation)
        }
    }

    /// The claims the final check leaves for the proof's opening, when the private tables are
    /// committed (`tables[k]`: the caller's number of the `k`-th private table) and the mask `g`
    /// (`mask_degree`, over the instance's variables and `b`) is the caller's fresh masks
    /// `0 .. 1 + (n + 1)·d`: each masked value `v_k = t̂_k(r, β)`, and
    /// `ρ·g(r, β) = value − (1 − β)·instance(values)` as a linear form on the mask's entries.
    pub fn deferred(
        &self,
        terms: &[Term<E>],
        private: &[bool],
        public_values: &[E],
        tables: &[usize],
        mask_degree: usize,
    ) -> Result<Vec<Deferred<E>>, SumcheckError> {
        if tables.len() != self.values.len() {
            return Err(SumcheckError::MaskedValues {
                expected: self.values.len(),
                got: tables.len(),
            });
        }
        let f = self.instance_value(terms, private, public_values)?;
        let mut out: Vec<Deferred<E>> = tables
            .iter()
            .zip(&self.values)
            .map(|(&table, &value)| Deferred::Masked {
                table,
                point: self.point.clone(),
                beta: self.beta,
                value,
            })
            .collect();
        out.push(Deferred::Masks {
            terms: mask_terms(&self.point, self.beta, self.weight, mask_degree, 0),
            value: self.value - f,
        });
        Ok(out)
    }

    /// `(1 − β)·instance(values)`, the private tables' values masked, the public ones given.
    fn instance_value(
        &self,
        terms: &[Term<E>],
        private: &[bool],
        public_values: &[E],
    ) -> Result<E, SumcheckError> {
        let (mut masked, mut public) = (self.values.iter(), public_values.iter());
        let mut all = Vec::with_capacity(private.len());
        for &p in private {
            let next = if p { masked.next() } else { public.next() };
            all.push(*next.ok_or(SumcheckError::MaskedValues {
                expected: private.len(),
                got: self.values.len() + public_values.len(),
            })?);
        }
        if masked.next().is_some() || public.next().is_some() {
            return Err(SumcheckError::MaskedValues {
                expected: private.len(),
                got: self.values.len() + public_values.len(),
            });
        }
        if terms
            .iter()
            .flat_map(|t| &t.factors)
            .any(|&i| i >= all.len())
        {
            return Err(SumcheckError::MaskedValues {
                expected: terms
                    .iter()
                    .flat_map(|t| &t.factors)
                    .map(|&i| i + 1)
                    .max()
                    .unwrap_or(0),
                got: all.len(),
            });
        }
        Ok((E::ONE - self.beta) * combine(terms, &all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2};
    use crate::poly::Mle;
    use crate::sumcheck::Term;
    use ark_ff::{AdditiveGroup, PrimeField, UniformRand};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn instance<F: BaseField, E: ExtField<F>>(
        tables: &[Vec<F>],
        terms: &[(u64, Vec<usize>)],
    ) -> Instance<F, E> {
        Instance::new(
            tables.iter().cloned().map(Mle::Base).collect(),
            terms
                .iter()
                .map(|(c, f)| Term {
                    coeff: E::from(*c),
                    factors: f.clone(),
                })
                .collect(),
        )
        .expect("well-formed")
    }

    fn random_tables<F: BaseField>(k: usize, n: usize, rng: &mut StdRng) -> Vec<Vec<F>> {
        (0..k)
            .map(|_| (0..1usize << n).map(|_| F::rand(rng)).collect())
            .collect()
    }

    fn naive_value<F: BaseField, E: ExtField<F>>(
        tables: &[Vec<F>],
        terms: &[(u64, Vec<usize>)],
        r: &[E],
    ) -> E {
        let values: Vec<E> = tables
            .iter()
            .map(|t| Mle::<F, E>::Base(t.clone()).evaluate(r))
            .collect();
        terms
            .iter()
            .map(|(c, f)| E::from(*c) * f.iter().map(|&i| values[i]).product::<E>())
            .sum()
    }

    fn round_trip<F: BaseField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for n in [0usize, 1, 2, 5] {
            for (k, terms) in [
                (1, vec![(3u64, vec![0])]),
                (2, vec![(1, vec![0, 1]), (5, vec![1])]),
                (3, vec![(1, vec![0, 1, 2]), (2, vec![2, 2])]),
            ] {
                let tables = random_tables::<F>(k, n, &mut rng);
                let inst = instance::<F, E>(&tables, &terms);
                let d = inst.degree();
                let claim = inst.sum();
                let mask = Mask::<E>::random(n, d, &mut rng);
                let out = prove(inst, claim, &mask, &mut Transcript::new(b"zk"));
                let vc = verify(n, d, claim, &out.proof, &mut Transcript::new(b"zk"))
                    .expect("honest proof verifies");
                assert_eq!(vc.point, out.point);
                assert_eq!(vc.weight, out.weight);
                let f_r = naive_value::<F, E>(&tables, &terms, &vc.point);
                assert_eq!(out.mask_value, mask.evaluate(&vc.point));
                vc.check(f_r, mask.evaluate(&vc.point))
                    .expect("final check");
                // The linear form the verifier builds gives g(r) from the committed entries.
                let w = Mask::<E>::weights(n, mask.degree(), &vc.point);
                let lin: E = w.iter().zip(mask.entries()).map(|(a, b)| *a * b).sum();
                assert_eq!(lin, mask.evaluate(&vc.point));
                // A wrong g(r) or f(r) is caught.
                assert_eq!(
                    vc.check(f_r, mask.evaluate(&vc.point) + E::ONE),
                    Err(SumcheckError::FinalEvaluation)
                );
                assert_eq!(
                    vc.check(f_r + E::ONE, mask.evaluate(&vc.point)),
                    Err(SumcheckError::FinalEvaluation)
                );
            }
        }
    }

    #[test]
    fn zk_sumcheck_round_trip() {
        round_trip::<Goldilocks, GoldilocksExt2>(1);
        round_trip::<Bn254Fr, Bn254Fr>(2);
    }

    /// `Mask::weights` is the Lagrange basis of `interpolate` on unit vectors, and gives `g(r)`.
    #[test]
    fn mask_weights_are_the_lagrange_basis() {
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(14);
        for d in 1..=MAX_ZK_DEGREE {
            let point: Vec<E> = (0..3).map(|_| E::rand(&mut rng)).collect();
            let w = Mask::<E>::weights(3, d, &point);
            let mut k = 1;
            for &x in &point {
                for t in 1..=d {
                    let mut unit = vec![E::ZERO; d + 1];
                    unit[t] = E::ONE;
                    assert_eq!(w[k], interpolate(&unit, x));
                    k += 1;
                }
            }
            let mask = Mask::<E>::random(3, d, &mut rng);
            let lin: E = w.iter().zip(mask.entries()).map(|(a, b)| *a * b).sum();
            assert_eq!(lin, mask.evaluate(&point));
        }
    }

    #[test]
    fn mask_sum_matches_hypercube() {
        let mut rng = StdRng::seed_from_u64(3);
        for n in 0..6 {
            for d in 1..=3 {
                let m = Mask::<GoldilocksExt2>::random(n, d, &mut rng);
                let brute: GoldilocksExt2 = (0..1usize << n)
                    .map(|x| {
                        let p: Vec<GoldilocksExt2> = (0..n)
                            .map(|j| GoldilocksExt2::from(((x >> j) & 1) as u64))
                            .collect();
                        m.evaluate(&p)
                    })
                    .sum();
                assert_eq!(m.sum(), brute);
                assert_eq!(Mask::from_entries(n, &m.entries()), Some(m));
            }
        }
        assert_eq!(Mask::<GoldilocksExt2>::from_entries(3, &[]), None);
        assert_eq!(
            Mask::<GoldilocksExt2>::from_entries(3, &[GoldilocksExt2::ONE; 5]),
            None
        );
    }

    /// A lie about the sum, or about the mask's sum, is caught; so is every tampered round.
    #[test]
    fn zk_sumcheck_rejects_lies() {
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(4);
        let n = 4;
        let tables = random_tables::<Goldilocks>(2, n, &mut rng);
        let terms = vec![(1u64, vec![0, 1])];
        let inst = instance::<Goldilocks, E>(&tables, &terms);
        let claim = inst.sum();
        let mask = Mask::<E>::random(n, 2, &mut rng);
        let out = prove(inst.clone(), claim, &mask, &mut Transcript::new(b"zk"));
        let check = |proof: &ZkProof<E>, claim: E| -> Result<(), SumcheckError> {
            let vc = verify(n, 2, claim, proof, &mut Transcript::new(b"zk"))?;
            let f_r = naive_value::<Goldilocks, E>(&tables, &terms, &vc.point);
            vc.check(f_r, mask.evaluate(&vc.point))
        };
        check(&out.proof, claim).expect("honest");
        // A false claim with an otherwise honest prover.
        let lie = prove(
            inst.clone(),
            claim + E::ONE,
            &mask,
            &mut Transcript::new(b"zk"),
        );
        assert_eq!(
            check(&lie.proof, claim + E::ONE),
            Err(SumcheckError::FinalEvaluation)
        );
        // A false mask sum (the prover proves the rest honestly for the sum it sent).
        let mut bad = out.proof.clone();
        bad.mask_sum += E::ONE;
        assert_eq!(check(&bad, claim), Err(SumcheckError::FinalEvaluation));
        // Every round message, every value.
        for round in 0..n {
            for i in 0..2 {
                let mut bad = out.proof.clone();
                bad.sumcheck.rounds[round].evals[i] += E::ONE;
                assert_eq!(check(&bad, claim), Err(SumcheckError::FinalEvaluation));
            }
        }
        let mut short = out.proof.clone();
        short.sumcheck.rounds.pop();
        assert_eq!(
            check(&short, claim),
            Err(SumcheckError::RoundCount {
                expected: n,
                got: n - 1
            })
        );
    }

    /// The f-part of each round at the nodes `0..=d` for a witness, bound along `r`.
    fn f_parts<F: BaseField, E: ExtField<F>>(
        inst: Instance<F, E>,
        claim: E,
        r: &[E],
        d: usize,
    ) -> (Vec<Vec<E>>, Vec<E>) {
        let mut own = RoundProver::new(inst, claim);
        let mut parts = Vec::new();
        for &rj in r {
            let msg = own.message();
            let full = full_evals(&msg, own.claim());
            parts.push(
                (0..=d)
                    .map(|t| interpolate(&full, E::from(t as u64)))
                    .collect(),
            );
            own.bind(&msg, rj);
        }
        let (_, values) = own.finish();
        (parts, values)
    }

    /// The simulator's step, run backwards: the mask under which a witness whose rounds have
    /// the f-parts `parts` gives exactly `proof` (round `j`'s message minus the f-part is `ρ`
    /// times the mask's part, whose node values give `g_j(t)`; then `a_0` from the mask sum).
    fn solve_mask<E: Field>(
        proof: &ZkProof<E>,
        claim: E,
        rho: E,
        r: &[E],
        parts: &[Vec<E>],
    ) -> Mask<E> {
        let n = r.len();
        let rho_inv = rho.inverse().expect("ρ ≠ 0");
        let mut running = claim + rho * proof.mask_sum;
        let mut values: Vec<Vec<E>> = Vec::with_capacity(n);
        for (j, (&rj, part)) in r.iter().zip(parts).enumerate() {
            let full = full_evals(&proof.sumcheck.rounds[j].evals, running);
            let d = full.len() - 1;
            let dd: Vec<E> = (0..=d).map(|t| (full[t] - part[t]) * rho_inv).collect();
            let scale_inv = pow2::<E>(n - j - 1).inverse().expect("invertible");
            values.push((1..=d).map(|t| (dd[t] - dd[0]) * scale_inv).collect());
            running = interpolate(&full, rj);
        }
        let ones: E = values.iter().map(|v| v[0]).sum();
        let a0 = (proof.mask_sum - ones * pow2::<E>(n - 1)) * pow2::<E>(n).inverse().expect("2^n");
        let mut entries = vec![a0];
        entries.extend(values.into_iter().flatten());
        Mask::from_entries(n, &entries).expect("shape")
    }

    fn lift<F: BaseField, E: ExtField<F>>(t: &[F]) -> Vec<E> {
        t.iter().map(|&x| E::from_base_prime_field(x)).collect()
    }

    /// The zero-knowledge claim made concrete: for a *second* witness with the same sum and the
    /// same value at the proof's point, there is a mask (solved from the first proof) under which
    /// the second witness gives the byte-identical proof. So the proof carries nothing about the
    /// witness beyond `H` and `f(r)`; and the mask that explains it is uniform when the first one
    /// is (the solution is an affine bijection of the first mask).
    #[test]
    fn zk_sumcheck_explains_any_witness() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(5);
        let n = 5;
        for terms in [vec![(1u64, vec![0])], vec![(1u64, vec![0, 1])]] {
            let tables = random_tables::<F>(2, n, &mut rng);
            let inst = instance::<F, E>(&tables, &terms);
            let d = inst.degree();
            let claim = inst.sum();
            let mask = Mask::<E>::random(n, d, &mut rng);
            let out = prove(inst, claim, &mask, &mut Transcript::new(b"zk"));
            let r = out.point.clone();

            // A second witness: table 0 changed by Δ with Σ_x Δ(x)·t1(x) = 0 and Δ̃(r) = 0
            // (t1 = 1 for the degree-1 instance), so the sum and f(r) stay the same. Δ is
            // random, with two entries solved from those two linear conditions — in E, so the
            // second witness's table 0 is an extension-field table.
            let t1: Vec<E> = if d == 1 {
                vec![E::ONE; 1 << n]
            } else {
                lift::<F, E>(&tables[1])
            };
            let eq_r = crate::poly::eq_table(&r);
            let mut delta: Vec<E> = (0..1usize << n).map(|_| E::rand(&mut rng)).collect();
            delta[0] = E::ZERO;
            delta[1] = E::ZERO;
            let s1: E = delta.iter().zip(&t1).map(|(a, b)| *a * b).sum();
            let s2: E = delta.iter().zip(&eq_r).map(|(a, b)| *a * b).sum();
            let det = t1[0] * eq_r[1] - t1[1] * eq_r[0];
            let inv = det.inverse().expect("nonsingular for random data");
            delta[0] = (-s1 * eq_r[1] + s2 * t1[1]) * inv;
            delta[1] = (-s2 * t1[0] + s1 * eq_r[0]) * inv;
            let t0b: Vec<E> = lift::<F, E>(&tables[0])
                .iter()
                .zip(&delta)
                .map(|(&x, &dl)| x + dl)
                .collect();
            assert_ne!(t0b, lift::<F, E>(&tables[0]));
            let term_list: Vec<Term<E>> = terms
                .iter()
                .map(|(c, f)| Term {
                    coeff: E::from(*c),
                    factors: f.clone(),
                })
                .collect();
            let inst2 = Instance::new(vec![Mle::Ext(t0b), Mle::Base(tables[1].clone())], term_list)
                .expect("well-formed");
            assert_eq!(inst2.sum(), claim, "same sum");

            let (parts, _) = f_parts(inst2.clone(), claim, &r, d);
            let mask2 = solve_mask(&out.proof, claim, out.weight, &r, &parts);
            assert_ne!(mask2, mask);
            let out2 = prove(inst2, claim, &mask2, &mut Transcript::new(b"zk"));
            assert_eq!(
                out2.proof, out.proof,
                "identical proof from another witness"
            );
            assert_eq!(out2.point, r);
        }
    }

    fn masked_instance<F: BaseField, E: ExtField<F>>(
        tables: Vec<Mle<F, E>>,
        terms: &[(u64, Vec<usize>)],
    ) -> Instance<F, E> {
        let terms = terms
            .iter()
            .map(|(c, f)| Term {
                coeff: E::from(*c),
                factors: f.clone(),
            })
            .collect();
        Instance::new(tables, terms).expect("well-formed")
    }

    fn masked_round_trip<F: BaseField, E: ExtField<F>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for n in [0usize, 1, 4] {
            for (private, terms) in [
                (
                    vec![true, false, true],
                    vec![(1u64, vec![0, 1]), (2, vec![2])],
                ),
                (vec![true, false, true], vec![(1u64, vec![0, 1, 2])]),
                (
                    vec![true, true, true],
                    vec![(3u64, vec![0, 1, 2]), (1, vec![1])],
                ),
            ] {
                let tables = random_tables::<F>(3, n, &mut rng);
                let inst = masked_instance::<F, E>(
                    tables.iter().cloned().map(Mle::Base).collect(),
                    &terms,
                );
                let claim = inst.sum();
                let d = masked_degree(inst.terms(), &private);
                let mask = Mask::<E>::random(n + 1, d, &mut rng);
                let scalars: Vec<E> = (0..3).map(|_| E::rand(&mut rng)).collect();
                let terms_e = inst.terms().to_vec();
                let out = prove_masked(
                    inst,
                    claim,
                    &private,
                    &scalars,
                    &mask,
                    &mut Transcript::new(b"zk"),
                );
                let num_private = private.iter().filter(|&&p| p).count();
                let vc = verify_masked(
                    n,
                    d,
                    claim,
                    num_private,
                    &out.proof,
                    &mut Transcript::new(b"zk"),
                )
                .expect("honest");
                assert_eq!((vc.point.clone(), vc.beta), (out.point.clone(), out.beta));
                // Each table at a claim's r (naively), the public ones among them, and g(r, β).
                let oracle = |c: &MaskedClaim<E>| {
                    let naive: Vec<E> = tables
                        .iter()
                        .map(|t| Mle::<F, E>::Base(t.clone()).evaluate(&c.point))
                        .collect();
                    let public: Vec<E> =
                        (0..3).filter(|&i| !private[i]).map(|i| naive[i]).collect();
                    let mut full = c.point.clone();
                    full.push(c.beta);
                    (naive, public, mask.evaluate(&full))
                };
                let (naive, public, g) = oracle(&vc);
                assert_eq!(naive, out.table_values);
                assert_eq!(g, out.mask_value);
                vc.check(&terms_e, &private, &public, g)
                    .expect("final check");
                // The deferred claims: t̃_i(r) + β·c_i = v_i.
                let mut v = vc.values.iter();
                for i in (0..3).filter(|&i| private[i]) {
                    assert_eq!(naive[i] + vc.beta * scalars[i], *v.next().expect("value"));
                }
                // A masked value off by one, a wrong public value, a wrong g: caught.
                let mut bad = vc.clone();
                bad.values[0] += E::ONE;
                assert_eq!(
                    bad.check(&terms_e, &private, &public, g),
                    Err(SumcheckError::FinalEvaluation)
                );
                assert_eq!(
                    vc.check(&terms_e, &private, &public, g + E::ONE),
                    Err(SumcheckError::FinalEvaluation)
                );
                if let Some(p0) = public.first() {
                    let mut wrong = public.clone();
                    wrong[0] = *p0 + E::ONE;
                    assert_eq!(
                        vc.check(&terms_e, &private, &wrong, g),
                        Err(SumcheckError::FinalEvaluation)
                    );
                }
                // Counts.
                let mut short = out.proof.clone();
                short.values.pop();
                assert_eq!(
                    verify_masked(
                        n,
                        d,
                        claim,
                        num_private,
                        &short,
                        &mut Transcript::new(b"zk")
                    ),
                    Err(SumcheckError::MaskedValues {
                        expected: num_private,
                        got: num_private - 1
                    })
                );
                assert!(
                    matches!(
                        vc.check(&terms_e, &private, &[], g),
                        Err(SumcheckError::MaskedValues { .. })
                    ) || public.is_empty()
                );
                // A false claim with an otherwise honest prover, and a tampered round.
                let inst = masked_instance::<F, E>(
                    tables.iter().cloned().map(Mle::Base).collect(),
                    &terms,
                );
                let lie = prove_masked(
                    inst,
                    claim + E::ONE,
                    &private,
                    &scalars,
                    &mask,
                    &mut Transcript::new(b"zk"),
                );
                let lc = verify_masked(
                    n,
                    d,
                    claim + E::ONE,
                    num_private,
                    &lie.proof,
                    &mut Transcript::new(b"zk"),
                )
                .expect("rounds are consistent");
                let (_, lpublic, lg) = oracle(&lc);
                assert_eq!(
                    lc.check(&terms_e, &private, &lpublic, lg),
                    Err(SumcheckError::FinalEvaluation)
                );
                let mut tampered = out.proof.clone();
                tampered.zk.sumcheck.rounds[n].evals[0] += E::ONE;
                let tc = verify_masked(
                    n,
                    d,
                    claim,
                    num_private,
                    &tampered,
                    &mut Transcript::new(b"zk"),
                )
                .expect("shape");
                let (_, tpublic, tg) = oracle(&tc);
                assert_eq!(
                    tc.check(&terms_e, &private, &tpublic, tg),
                    Err(SumcheckError::FinalEvaluation)
                );
            }
        }
    }

    #[test]
    fn masked_sumcheck_round_trip() {
        masked_round_trip::<Goldilocks, GoldilocksExt2>(7);
        masked_round_trip::<Bn254Fr, Bn254Fr>(8);
    }

    /// Masked values hide the witness completely: a second witness with only the same *sum*
    /// (not the same values at `r`) gives the byte-identical proof, masked values included, under
    /// solved scalars `c'_i = c_i + (t̃_i(r) − t̃'_i(r))/β` and a solved mask.
    #[test]
    fn masked_sumcheck_explains_any_witness() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(9);
        let n = 4;
        let private = vec![true, false, true];
        let terms = vec![(1u64, vec![0, 1]), (5, vec![2])];
        let tables = random_tables::<F>(3, n, &mut rng);
        let inst = masked_instance::<F, E>(tables.iter().cloned().map(Mle::Base).collect(), &terms);
        let claim = inst.sum();
        let d = masked_degree(inst.terms(), &private);
        let mask = Mask::<E>::random(n + 1, d, &mut rng);
        let scalars: Vec<E> = (0..3).map(|_| E::rand(&mut rng)).collect();
        let out = prove_masked(
            inst,
            claim,
            &private,
            &scalars,
            &mask,
            &mut Transcript::new(b"zk"),
        );

        // Witness two: tables 0 and 2 random, table 2's first entry set so the sum is the same.
        let t1 = lift::<F, E>(&tables[1]);
        let t0b: Vec<E> = (0..1usize << n).map(|_| E::rand(&mut rng)).collect();
        let mut t2b: Vec<E> = (0..1usize << n).map(|_| E::rand(&mut rng)).collect();
        let partial: E = t0b.iter().zip(&t1).map(|(a, b)| *a * b).sum::<E>()
            + E::from(5u64) * t2b[1..].iter().copied().sum::<E>();
        t2b[0] = (claim - partial) * E::from(5u64).inverse().expect("5");
        let tables2 = vec![Mle::Ext(t0b), Mle::Base(tables[1].clone()), Mle::Ext(t2b)];
        let inst2 = masked_instance::<F, E>(tables2, &terms);
        assert_eq!(inst2.sum(), claim);
        let terms_e = inst2.terms().to_vec();

        let mut r_full = out.point.clone();
        r_full.push(out.beta);
        let (mut parts, values2) = f_parts(inst2.clone(), claim, &out.point, d);
        let beta_inv = out.beta.inverse().expect("β ≠ 0");
        let scalars2: Vec<E> = (0..3)
            .map(|i| scalars[i] + (out.table_values[i] - values2[i]) * beta_inv)
            .collect();
        let last = |b: E| {
            let vals: Vec<E> = (0..3)
                .map(|i| {
                    if private[i] {
                        values2[i] + b * scalars2[i]
                    } else {
                        values2[i]
                    }
                })
                .collect();
            (E::ONE - b) * combine(&terms_e, &vals)
        };
        parts.push((0..=d).map(|t| last(E::from(t as u64))).collect());
        let mask2 = solve_mask(&out.proof.zk, claim, out.weight, &r_full, &parts);
        assert_ne!(mask2, mask);
        let out2 = prove_masked(
            inst2,
            claim,
            &private,
            &scalars2,
            &mask2,
            &mut Transcript::new(b"zk"),
        );
        assert_eq!(
            out2.proof, out.proof,
            "identical proof, masked values included"
        );
    }

    /// Masked messages look uniform: with the all-zero witness (whose plain sum-check messages
    /// are all zero), the low byte of every round value over 2,000 proofs passes a χ² test
    /// against uniform (255 degrees of freedom; the bound 400 is exceeded by a uniform sample
    /// with probability below 10^-8).
    #[test]
    fn zk_sumcheck_messages_are_uniform() {
        type F = Goldilocks;
        type E = GoldilocksExt2;
        let mut rng = StdRng::seed_from_u64(6);
        let n = 3;
        let tables = vec![vec![F::ZERO; 1 << n]; 2];
        let terms = vec![(1u64, vec![0, 1])];
        let mut counts = vec![[0u32; 256]; 2 * n + 1];
        let runs = 2000;
        for _ in 0..runs {
            let inst = instance::<F, E>(&tables, &terms);
            let mask = Mask::<E>::random(n, 2, &mut rng);
            let out = prove(inst, E::ZERO, &mask, &mut Transcript::new(b"zk"));
            let mut vals = vec![out.proof.mask_sum];
            for m in &out.proof.sumcheck.rounds {
                vals.extend_from_slice(&m.evals);
            }
            for (c, v) in counts.iter_mut().zip(vals) {
                let low = v.c0.into_bigint().0[0] as u8;
                c[low as usize] += 1;
            }
        }
        let expected = runs as f64 / 256.0;
        for c in counts {
            let chi2: f64 = c
                .iter()
                .map(|&o| (o as f64 - expected).powi(2) / expected)
                .sum();
            assert!(chi2 < 400.0, "χ² = {chi2}");
        }
    }
}
