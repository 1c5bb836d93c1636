//! Tables committed as columns (`zkcnn::network::columns`): a model's and a proof's packed tables
//! beyond the column size are committed as their columns, claims inside one column go to it, and
//! a claim spanning several columns sends their values, which the verifier combines by
//! `eq(z_hi, j)`. The column size is lowered here (`2^10` entries, against `2^24` in use) so that
//! a small VGG's model table (2^13 entries) and advice table (2^15) are each split, with
//! claims spanning columns on both (the dense matrix, 2^12 entries, and the activations, 2^11).

use ark_ff::Field;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkcnn::field::{from_i64, BaseField, Bn254Fr, ExtField, Goldilocks, GoldilocksExt2};
use zkcnn::model::{zoo, Model};
use zkcnn::network::plan::{ConvPolicy, Plan};
use zkcnn::network::{self, cheat, CheckError, NetworkError, VerifyError};
use zkcnn::pcs::PcsError;

type G = Goldilocks;
type G2 = GoldilocksExt2;

/// The lowered column size of these tests.
const COLUMNS: usize = 10;

struct Setup<F: ark_ff::Field, E: ark_ff::Field> {
    model: Model,
    committed: network::CommittedModel<F, E>,
    checked: network::CheckedCommitment,
    input: ndarray::ArrayD<i64>,
    x: Vec<i64>,
    y: Vec<i64>,
    proof: network::Proof<F, E>,
}

fn setup<F: BaseField + ark_ff::FftField, E: ExtField<F>>(seed: u64) -> Setup<F, E> {
    let model = zoo::small_vgg(seed);
    let committed = network::commit_model_with_columns::<F, E>(&model, COLUMNS).unwrap();
    let checked = committed
        .public
        .check_with_columns(&model.architecture(), COLUMNS)
        .unwrap();
    let input = zoo::random_input(&model.input_shape, model.activation_bits, seed + 10);
    let (output, proof) = network::prove::<F, E>(&model, &committed, &input).unwrap();
    let x: Vec<i64> = input.iter().copied().collect();
    let y: Vec<i64> = output.iter().copied().collect();
    network::verify(&model, &checked, &x, &y, &proof).unwrap();
    Setup {
        model,
        committed,
        checked,
        input,
        x,
        y,
        proof,
    }
}

/// The claims that span columns, as the prover sends their values: (table, claim, columns).
fn spanning_claims<F: BaseField + ark_ff::FftField, E: ExtField<F>>(
    s: &Setup<F, E>,
) -> Vec<(&'static str, usize, usize)> {
    let mut seen = Vec::new();
    let (_, proof) =
        cheat::prove_with_column_edit::<F, E>(&s.model, &s.committed, &s.input, |t, c, live, _| {
            seen.push((t, c, live.len()))
        })
        .unwrap();
    assert_eq!(proof, s.proof, "recording the claims changes nothing");
    seen
}

#[test]
fn both_tables_are_split_with_spanning_claims() {
    let s = setup::<G, G2>(2);
    let plan = Plan::with_columns(&s.model, ConvPolicy::CostModel, COLUMNS).unwrap();
    assert_eq!(plan.model_columns().count(), 1 << (13 - COLUMNS));
    assert_eq!(plan.advice_columns().count(), 1 << (15 - COLUMNS));
    assert_eq!(
        s.committed.commitment().num_polys as usize,
        plan.model_columns().count()
    );
    // The advice commits the columns its segments reach, the zero ones after them left out.
    let used = plan.advice_packing.used_entries();
    assert_eq!(
        s.proof.advice.num_polys as usize,
        used.div_ceil(1 << COLUMNS)
    );
    assert_eq!(
        plan.advice_columns().committed(),
        used.div_ceil(1 << COLUMNS)
    );
    let claims = spanning_claims(&s);
    for table in ["model", "advice"] {
        assert!(claims.iter().any(|&(t, _, _)| t == table), "{table}");
    }
    // The column values are the proof's last values, model claims first.
    let sent: usize = claims.iter().map(|&(_, _, n)| n).sum();
    assert!(sent > 0 && sent < s.proof.values.len());
}

/// A cheating prover that moves value between two columns of a claim, keeping
/// `Σ_j eq(z_hi, j)·v_j` equal to the claimed value, passes the combination but not the opening;
/// one that changes a single column value fails the combination, at that claim.
#[test]
fn column_values_shifted_between_columns_are_rejected() {
    fn run<F: BaseField + ark_ff::FftField, E: ExtField<F>>(seed: u64) {
        let s = setup::<F, E>(seed);
        for table in ["model", "advice"] {
            // Shift δ from column a to column b: v_a + e_b·δ, v_b − e_a·δ.
            let mut shifted = None;
            let (_, proof) = cheat::prove_with_column_edit::<F, E>(
                &s.model,
                &s.committed,
                &s.input,
                |t, claim, live, values| {
                    if t == table && shifted.is_none() {
                        let (ea, eb) = (live[0].1, live[1].1);
                        let delta = E::from(7u64);
                        values[0] += eb * delta;
                        values[1] -= ea * delta;
                        shifted = Some(claim);
                    }
                },
            )
            .unwrap();
            assert!(shifted.is_some(), "{table}: a claim spans columns");
            let err = network::verify(&s.model, &s.checked, &s.x, &s.y, &proof).unwrap_err();
            assert_eq!(
                err,
                VerifyError::Opening(PcsError::ReducedValues),
                "{table}: {err}"
            );
            // One column value changed: the combination fails at that claim.
            let mut at = None;
            let (_, proof) = cheat::prove_with_column_edit::<F, E>(
                &s.model,
                &s.committed,
                &s.input,
                |t, claim, _, values| {
                    if t == table && at.is_none() {
                        values[1] += E::ONE;
                        at = Some(claim);
                    }
                },
            )
            .unwrap();
            let claim = at.unwrap();
            assert_eq!(
                network::verify(&s.model, &s.checked, &s.x, &s.y, &proof),
                Err(VerifyError::ColumnValues { table, claim })
            );
        }
    }
    run::<G, G2>(2);
    run::<Bn254Fr, Bn254Fr>(3);
}

/// Tampering with the column values and the advice commitment's shape: each gives its exact
/// error.
#[test]
fn tampered_column_values_give_exact_errors() {
    let s = setup::<G, G2>(4);
    let check = |p: &network::Proof<G, G2>| network::verify(&s.model, &s.checked, &s.x, &s.y, p);
    let claims = spanning_claims(&s);
    let sent: usize = claims.iter().map(|&(_, _, n)| n).sum();
    let first = s.proof.values.len() - sent;
    let (table, claim, _) = claims[0];
    assert_eq!(table, "model");
    // A wrong value: the first model claim's, the last advice claim's.
    let mut p = s.proof.clone();
    p.values[first] += G2::ONE;
    assert_eq!(check(&p), Err(VerifyError::ColumnValues { table, claim }));
    let (table, claim, _) = *claims.last().unwrap();
    assert_eq!(table, "advice");
    let mut p = s.proof.clone();
    *p.values.last_mut().unwrap() -= G2::ONE;
    assert_eq!(check(&p), Err(VerifyError::ColumnValues { table, claim }));
    // A wrong count: one value short, one too many, the first claim's values missing.
    let mut p = s.proof.clone();
    p.values.pop();
    assert_eq!(
        check(&p),
        Err(VerifyError::Exhausted {
            what: "column values"
        })
    );
    let mut p = s.proof.clone();
    p.values.push(G2::ONE);
    assert_eq!(check(&p), Err(VerifyError::Leftover { what: "values" }));
    let mut p = s.proof.clone();
    p.values.drain(first..first + claims[0].2);
    assert_eq!(
        check(&p),
        Err(VerifyError::ColumnValues {
            table: "model",
            claim: claims[0].1
        })
    );
    // The advice commitment in another shape: fewer columns of more entries, or one column.
    for (vars, polys) in [(COLUMNS as u32 + 1, s.proof.advice.num_polys / 2), (15, 1)] {
        let mut p = s.proof.clone();
        p.advice.num_vars = vars;
        p.advice.num_polys = polys;
        assert_eq!(check(&p), Err(VerifyError::AdviceShape));
    }
    // The checked commitment's column size is the verifier's: a split proof does not verify
    // against the same commitment checked without columns (its check fails first).
    assert!(matches!(
        s.committed.public.check(&s.model.architecture()),
        Err(CheckError::Shape { what: "model", .. })
    ));
}

/// A split proof's bytes: they round-trip; truncated, extended, random or flipped bytes are
/// refused (an error, never a panic, never a pass).
#[test]
fn split_proof_bytes_are_refused_when_altered() {
    let s = setup::<G, G2>(5);
    let digest = network::statement_digest(&s.model, s.committed.commitment(), &s.x, &s.y);
    let bytes = s.proof.to_bytes(digest);
    let back = network::Proof::<G, G2>::from_bytes(&bytes, digest).unwrap();
    assert_eq!(back, s.proof);
    for cut in [
        0,
        11,
        43,
        44,
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 1,
    ] {
        assert!(network::Proof::<G, G2>::from_bytes(&bytes[..cut], digest).is_err());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(network::Proof::<G, G2>::from_bytes(&longer, digest).is_err());
    let mut rng = StdRng::seed_from_u64(21);
    // Random bodies behind a valid header.
    let header = network::proof::HEADER_BYTES;
    for len in [0usize, 8, 100, 4096, bytes.len() - header] {
        let mut b = bytes[..header].to_vec();
        b.extend((0..len).map(|_| rng.gen::<u8>()));
        let res = network::Proof::<G, G2>::from_bytes(&b, digest)
            .ok()
            .map(|p| network::verify(&s.model, &s.checked, &s.x, &s.y, &p));
        assert!(!matches!(res, Some(Ok(()))), "random body of {len} bytes");
    }
    // Flips, sampled, with the column values (the last values) among them.
    let positions: Vec<usize> = (0..48)
        .chain((0..150).map(|_| rng.gen_range(0..bytes.len())))
        .collect();
    for pos in positions {
        let mut b = bytes.clone();
        b[pos] ^= 1 << rng.gen_range(0..8);
        let res = network::Proof::<G, G2>::from_bytes(&b, digest)
            .ok()
            .map(|p| network::verify(&s.model, &s.checked, &s.x, &s.y, &p));
        assert!(!matches!(res, Some(Ok(()))), "flip at byte {pos} accepted");
    }
}

/// The commitment's check on a split table: it passes with the column size it was made with and
/// names the shape otherwise; out-of-range and nonzero padded entries in any column fail it;
/// its zero-check's values are counted and checked; altered bytes never pass.
#[test]
fn split_commitment_check_rejects_what_it_must() {
    let model = zoo::small_vgg(6);
    let arch = model.architecture();
    let public = network::commit_model_with_columns::<G, G2>(&model, COLUMNS)
        .unwrap()
        .public;
    public.check_with_columns(&arch, COLUMNS).unwrap();
    let plan = Plan::with_columns(&model, ConvPolicy::CostModel, COLUMNS).unwrap();
    let layout = plan.model_columns();
    assert_eq!(
        public.check(&arch),
        Err(CheckError::Shape {
            what: "model",
            expected: 13,
            got: COLUMNS as u32,
            expected_polys: 1,
            polys: layout.count() as u32,
        })
    );
    assert!(matches!(
        public.check_with_columns(&arch, COLUMNS + 1),
        Err(CheckError::Shape { what: "model", .. })
    ));
    // Edits past the first column: out-of-range entries (of a weight segment in each column,
    // and of a bias limb), a nonzero unused entry.
    let mut columns_seen = std::collections::BTreeSet::new();
    for (j, seg) in plan.model_segs.iter().enumerate() {
        let at = plan.model_packing.offset(j);
        let column = at >> COLUMNS;
        if column == 0 || !(columns_seen.insert(column) || seg.col_vars == 0) {
            continue;
        }
        let forged = cheat::commit_edited_with_columns::<G, G2>(&model, COLUMNS, |_, t| {
            t[at] = from_i64(seg.hi + 1)
        })
        .unwrap();
        let err = forged
            .public
            .check_with_columns(&arch, COLUMNS)
            .unwrap_err();
        assert!(matches!(err, CheckError::Range(_)), "segment {j}: {err:?}");
    }
    let (o, v) = plan.model_packing.free_blocks()[0];
    assert!(
        o >> COLUMNS > 0,
        "the unused space is past the first column"
    );
    let forged = cheat::commit_edited_with_columns::<G, G2>(&model, COLUMNS, |_, t| {
        t[o + (1 << v) - 1] = from_i64(1)
    })
    .unwrap();
    assert!(matches!(
        forged.public.check_with_columns(&arch, COLUMNS),
        Err(CheckError::ZeroCheck(_))
    ));
    // The zero-check's values: eq, then Z_c and T_c per column.
    let factors = 1 + 2 * layout.count();
    assert_eq!(public.check.zero_check.values.len(), factors);
    let mut bad = public.clone();
    bad.check.zero_check.values.pop();
    assert_eq!(
        bad.check_with_columns(&arch, COLUMNS),
        Err(CheckError::ZeroCheck(zkcnn::layers::LayerError::Count {
            what: "model zero-check",
            expected: factors,
            got: factors - 1,
        }))
    );
    // The last column's T raised (it holds unused entries, so its Z is not zero): the
    // sum-check's final value no longer matches. (A column all in use has Z = 0: a wrong T there
    // leaves the sum and is caught by the opening.)
    let mut bad = public.clone();
    bad.check.zero_check.values[factors - 1] += G2::ONE;
    assert_eq!(
        bad.check_with_columns(&arch, COLUMNS),
        Err(CheckError::ZeroCheck(
            zkcnn::layers::LayerError::FinalProduct {
                step: "model zero-check"
            }
        ))
    );
    let mut bad = public.clone();
    bad.check.zero_check.values[4] += G2::ONE;
    assert_eq!(
        bad.check_with_columns(&arch, COLUMNS),
        Err(CheckError::Opening(PcsError::ReducedValues))
    );
    let bytes = zkcnn::codec::to_bytes(&public);
    let mut rng = StdRng::seed_from_u64(23);
    for _ in 0..120 {
        let pos = rng.gen_range(0..bytes.len());
        let mut b = bytes.clone();
        b[pos] ^= 1 << rng.gen_range(0..8);
        if let Ok(c) = zkcnn::codec::from_bytes::<network::ModelCommitment<G, G2>>(&b) {
            assert!(
                c.check_with_columns(&arch, COLUMNS).is_err(),
                "flip at {pos}"
            );
        }
    }
}

/// Stored prover data of a split commitment reloads and proves the same bytes; refused for the
/// other column size and when truncated. Reusing the published commitment recomputes it.
#[test]
fn split_prover_data_reloads() {
    let s = setup::<G, G2>(7);
    let mut stored = Vec::new();
    s.committed.write_prover_data(&mut stored).unwrap();
    let loaded = network::CommittedModel::load_with_columns(
        &s.model,
        s.committed.public.clone(),
        &mut &stored[..],
        COLUMNS,
    )
    .unwrap();
    assert_eq!(loaded.column_vars(), COLUMNS);
    let (_, again) = network::prove::<G, G2>(&s.model, &loaded, &s.input).unwrap();
    assert_eq!(again, s.proof);
    let reused =
        network::CommittedModel::reuse_with_columns(&s.model, s.committed.public.clone(), COLUMNS)
            .unwrap();
    let (_, again) = network::prove::<G, G2>(&s.model, &reused, &s.input).unwrap();
    assert_eq!(again, s.proof);
    assert!(matches!(
        network::CommittedModel::load(&s.model, s.committed.public.clone(), &mut &stored[..]),
        Err(NetworkError::CommitmentMismatch)
    ));
    assert!(matches!(
        network::CommittedModel::reuse(&s.model, s.committed.public.clone()),
        Err(NetworkError::CommitmentMismatch)
    ));
    assert!(matches!(
        network::CommittedModel::load_with_columns(
            &s.model,
            s.committed.public.clone(),
            &mut &stored[..stored.len() - 7],
            COLUMNS
        ),
        Err(NetworkError::ProverData(_))
    ));
}

/// The zoo's wide VGG-16 (the model of `zkcnn bench --only network-large`): more than 2^24
/// parameters, its model table planned as four columns of 2^24, none of its weight matrices
/// beyond a column (its proofs send no column values), its advice one column.
#[test]
fn the_wide_vgg_is_planned_in_columns_of_2_pow_24() {
    let model = zoo::vgg16_wide(1);
    let plan = Plan::new(&model.architecture()).unwrap();
    let params = model.parameters();
    assert!(params > 1 << 24, "{params}");
    let (m, a) = (plan.model_columns(), plan.advice_columns());
    assert_eq!((m.vars, m.column_vars, m.count()), (26, 24, 4));
    assert!(!a.is_split());
    assert!(plan.model_segs.iter().all(|s| s.vars <= 24));
}
