//! The sum-check verifier. It reads only the proof and the transcript, checks every length before
//! it loops, and never panics: indexing, `unwrap`, `expect` and `panic!` are denied here.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::{
    absorb_header, full_evals, interpolate, EvaluationClaim, Proof, SumcheckError, MAX_DEGREE,
};
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use merlin::Transcript;

/// Verifies a proof that `claim` is the sum of a `num_vars`-variable polynomial of degree
/// `degree`; returns the evaluation claim the caller must discharge.
pub fn verify<E: Field>(
    num_vars: usize,
    degree: usize,
    claim: E,
    proof: &Proof<E>,
    transcript: &mut Transcript,
) -> Result<EvaluationClaim<E>, SumcheckError> {
    verify_up_to(MAX_DEGREE, num_vars, degree, claim, proof, transcript)
}

/// [`verify`] with another degree limit (the zero-knowledge variants' masked round reaches
/// `MAX_DEGREE + 1`).
pub(crate) fn verify_up_to<E: Field>(
    max_degree: usize,
    num_vars: usize,
    degree: usize,
    claim: E,
    proof: &Proof<E>,
    transcript: &mut Transcript,
) -> Result<EvaluationClaim<E>, SumcheckError> {
    if degree == 0 || degree > max_degree {
        return Err(SumcheckError::UnsupportedDegree { degree });
    }
    if proof.rounds.len() != num_vars {
        return Err(SumcheckError::RoundCount {
            expected: num_vars,
            got: proof.rounds.len(),
        });
    }
    if let Some((round, m)) = proof
        .rounds
        .iter()
        .enumerate()
        .find(|(_, m)| m.evals.len() != degree)
    {
        return Err(SumcheckError::MessageLength {
            round,
            expected: degree,
            got: m.evals.len(),
        });
    }
    absorb_header(transcript, num_vars, degree, &claim);
    let mut claim = claim;
    let mut point = Vec::with_capacity(num_vars);
    for m in &proof.rounds {
        transcript.append_fields(b"sumcheck-round", &m.evals);
        let r: E = transcript.challenge_field(b"sumcheck-challenge");
        claim = interpolate(&full_evals(&m.evals, claim), r);
        point.push(r);
    }
    Ok(EvaluationClaim {
        point,
        value: claim,
    })
}
