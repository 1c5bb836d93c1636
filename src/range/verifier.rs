//! The range-check verifier. It reads only the proof and the transcript, checks every length
//! before it loops, and never panics: indexing, `unwrap`, `expect` and `panic!` are denied here.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::{
    absorb_values, begin, bits_eq, claims, table_value, Layout, Proof, ProofPart, RangeClaims,
    RangeError, Tree, TreeProof,
};
use crate::field::{BaseField, ExtField};
use crate::sumcheck;
use crate::transcript::TranscriptExt;
use ark_ff::Field;
use merlin::Transcript;

/// Verifies a range-check proof for columns of `2^{column_vars[i]}` entries and the table
/// `[0, 2^bits)`; returns the claims on the columns and the multiplicities, which the caller
/// must discharge (against the commitments it bound to the transcript before the prover ran).
pub fn verify<F: BaseField, E: ExtField<F>>(
    column_vars: &[usize],
    bits: usize,
    proof: &Proof<E>,
    transcript: &mut Transcript,
) -> Result<RangeClaims<E>, RangeError> {
    let layout = Layout::new(column_vars, bits)?;
    verify_layout::<F, E>(&layout, None, proof, transcript)
}

/// [`verify`] on a layout, with the table's values given (a lookup, [`super::lookup`]) or the
/// range `[0, 2^bits)` when `None`.
pub(crate) fn verify_layout<F: BaseField, E: ExtField<F>>(
    layout: &Layout,
    values: Option<&[F]>,
    proof: &Proof<E>,
    transcript: &mut Transcript,
) -> Result<RangeClaims<E>, RangeError> {
    let (column_vars, bits) = (&layout.column_vars[..], layout.bits);
    check_shape(Tree::Columns, layout.vars, &proof.columns)?;
    check_shape(Tree::Table, bits, &proof.table)?;
    if proof.column_values.len() != column_vars.len() {
        return Err(RangeError::ProofShape {
            part: ProofPart::ColumnValues,
            expected: column_vars.len(),
            got: proof.column_values.len(),
        });
    }

    let alpha: E = begin(transcript, layout);
    proof.columns.root.absorb(transcript, b"range-root");
    proof.table.root.absorb(transcript, b"range-root");
    let (p_cols, q_cols) = proof.columns.root.fraction();
    let (p_table, q_table) = proof.table.root.fraction();
    for (tree, q) in [(Tree::Columns, q_cols), (Tree::Table, q_table)] {
        if q.is_zero() {
            return Err(RangeError::ZeroDenominator { tree });
        }
    }
    if p_cols * q_table != p_table * q_cols {
        return Err(RangeError::RootMismatch);
    }

    let (columns_point, (p, q)) =
        verify_tree(Tree::Columns, layout.vars, &proof.columns, transcript)?;
    let (table_point, (p_t, q_t)) = verify_tree(Tree::Table, bits, &proof.table, transcript)?;
    absorb_values(
        transcript,
        &proof.column_values,
        &proof.multiplicities_value,
    );

    // Columns tree: numerators 1, denominators α − c̃(r) with c̃ the packed columns.
    if p != E::ONE {
        return Err(RangeError::LeafNumerator {
            tree: Tree::Columns,
        });
    }
    let packed = layout
        .packed_value(&columns_point, &proof.column_values)
        .ok_or(RangeError::LeafDenominator {
            tree: Tree::Columns,
        })?;
    if q != alpha - packed {
        return Err(RangeError::LeafDenominator {
            tree: Tree::Columns,
        });
    }
    // Table tree: numerators m + pad·[t = 0], denominators α − t.
    let pad = E::from(layout.pad() as u64);
    if p_t != proof.multiplicities_value + pad * bits_eq(0, &table_point) {
        return Err(RangeError::LeafNumerator { tree: Tree::Table });
    }
    let t_value = match values {
        Some(v) => crate::poly::evaluate_base(v, &table_point),
        None => table_value(&table_point),
    };
    if q_t != alpha - t_value {
        return Err(RangeError::LeafDenominator { tree: Tree::Table });
    }
    Ok(claims(
        layout,
        &columns_point,
        &table_point,
        &proof.column_values,
        proof.multiplicities_value,
    ))
}

/// A tree over `n` variables has `n − 1` layer proofs; layer `j`'s sum-check has `j + 1`
/// rounds of 3 values.
fn check_shape<E: Field>(tree: Tree, n: usize, proof: &TreeProof<E>) -> Result<(), RangeError> {
    let expected = n.saturating_sub(1);
    if proof.layers.len() != expected {
        return Err(RangeError::ProofShape {
            part: ProofPart::Layers { tree },
            expected,
            got: proof.layers.len(),
        });
    }
    for (layer, lp) in proof.layers.iter().enumerate() {
        let rounds = &lp.sumcheck.rounds;
        if rounds.len() != layer + 1 {
            return Err(RangeError::ProofShape {
                part: ProofPart::Rounds { tree, layer },
                expected: layer + 1,
                got: rounds.len(),
            });
        }
        if let Some((round, m)) = rounds.iter().enumerate().find(|(_, m)| m.evals.len() != 3) {
            return Err(RangeError::ProofShape {
                part: ProofPart::Message { tree, layer, round },
                expected: 3,
                got: m.evals.len(),
            });
        }
    }
    Ok(())
}

/// Walks one tree from its root halves to its leaves: the leaf point and the claimed
/// `(p̃, q̃)` there.
fn verify_tree<E: Field>(
    tree: Tree,
    n: usize,
    proof: &TreeProof<E>,
    t: &mut Transcript,
) -> Result<(Vec<E>, (E, E)), RangeError> {
    t.domain_separator(b"range-tree", &[tree.id(), n as u64]);
    let mu: E = t.challenge_field(b"range-mu");
    let mut values = proof.root.at(mu);
    let mut point = vec![mu];
    for (layer, lp) in proof.layers.iter().enumerate() {
        let lambda: E = t.challenge_field(b"range-lambda");
        let claim = values.0 + lambda * values.1;
        let c = sumcheck::verify(point.len(), 3, claim, &lp.sumcheck, t).map_err(|source| {
            RangeError::Sumcheck {
                tree,
                layer,
                source,
            }
        })?;
        if c.value != eq(&point, &c.point) * lp.halves.layer_value(lambda) {
            return Err(RangeError::LayerCheck { tree, layer });
        }
        lp.halves.absorb(t, b"range-halves");
        let mu: E = t.challenge_field(b"range-mu");
        values = lp.halves.at(mu);
        point = std::iter::once(mu).chain(c.point).collect();
    }
    Ok((point, values))
}

/// `eq(a, b)` over the common coordinates.
fn eq<E: Field>(a: &[E], b: &[E]) -> E {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x * y + (E::ONE - x) * (E::ONE - y))
        .product()
}
