//! Lookups into a public table given by its values: the range check's logUp-GKR argument with
//! the table tree's denominators `α − T(t)` instead of `α − t` (`spec/activation.md`).
//!
//! The table has `2^bits` entries `T(0), …, T(2^bits − 1)` with `T(0) = 0` (the packing's
//! padding zeros are counted as lookups of entry 0, as in the range check); entries may repeat
//! (a value's lookups are counted at its first index). The verifier evaluates `T̃(r_t)` itself,
//! in `O(2^bits)`. The transcript's domain separator is `lookup` (instead of `range`) with the
//! same parameters; everything else — trees, labels, claims, errors — is the range check's.
//!
//! ```
//! use ark_ff::{AdditiveGroup, Field};
//! use merlin::Transcript;
//! use zkcnn::field::{GoldilocksExt2 as Ext, Goldilocks as F};
//! use zkcnn::range::lookup;
//! // Squares of 0..8 (entry 0 is 0, as required).
//! let table: Vec<F> = (0..8u64).map(|t| F::from(t * t)).collect();
//! let column: Vec<F> = [9u64, 49, 0, 9].map(F::from).to_vec();
//! let m = lookup::multiplicities(&[&column], &table).unwrap();
//! let mut t = Transcript::new(b"doc");
//! let (proof, claims) = lookup::prove::<F, Ext>(&[&column], &table, &m, &mut t).unwrap();
//! let mut t = Transcript::new(b"doc");
//! assert_eq!(lookup::verify::<F, Ext>(&[2], &table, &proof, &mut t).unwrap(), claims);
//! // 5 is not a square of 0..8.
//! let bad: Vec<F> = [9u64, 5, 0, 9].map(F::from).to_vec();
//! assert!(lookup::multiplicities(&[&bad], &table).is_err());
//! ```

use super::prover::{check_multiplicities_len, prove_layout};
use super::verifier::verify_layout;
use super::zk::ZkRangeProof;
use super::{Layout, Proof, RangeClaims, RangeError, MAX_BITS};
use crate::field::{BaseField, ExtField};
use crate::zk::{Deferred, TableMasks};
use ark_ff::PrimeField;
use merlin::Transcript;
use std::collections::HashMap;

/// The table's `bits` after checking its shape: `2^bits` entries, `1 ≤ bits ≤ MAX_BITS`, the
/// first 0.
pub fn table_bits<F: BaseField>(table: &[F]) -> Result<usize, RangeError> {
    let bits = table.len().trailing_zeros() as usize;
    let ok = table.len().is_power_of_two()
        && (1..=MAX_BITS).contains(&bits)
        && table.first().is_some_and(|t| t.is_zero());
    if !ok {
        return Err(RangeError::LookupTable {
            len: table.len(),
            first: table.first().map(|t| t.to_string()).unwrap_or_default(),
        });
    }
    Ok(bits)
}

/// The layout of a lookup of columns of `2^{column_vars[i]}` entries into `table`.
fn layout<F: BaseField>(column_vars: &[usize], table: &[F]) -> Result<Layout, RangeError> {
    let bits = table_bits(table)?;
    let mut layout = Layout::new(column_vars, bits)?;
    layout.lookup = true;
    Ok(layout)
}

/// A value as a `u64` key, when it is one (table values and honest entries are small).
fn key<F: PrimeField>(v: &F) -> Option<u64> {
    let b = v.into_bigint();
    let (&lo, hi) = b.as_ref().split_first()?;
    hi.iter().all(|&l| l == 0).then_some(lo)
}

/// The multiplicities `m(t)`: how often `T(t)` occurs over all columns, counted at the first
/// index holding that value. Names the first entry (in column order) not in the table.
pub fn multiplicities<F: BaseField>(columns: &[&[F]], table: &[F]) -> Result<Vec<F>, RangeError> {
    table_bits(table)?;
    let counts = count(columns, table).map_err(|(column, index)| RangeError::NotInTable {
        column,
        index,
        value: columns[column][index].to_string(),
    })?;
    Ok(counts.into_iter().map(F::from).collect())
}

/// Occurrences per table index, or the first entry not in the table (`(column, index)`).
fn count<F: BaseField>(columns: &[&[F]], table: &[F]) -> Result<Vec<u64>, (usize, usize)> {
    let mut index: HashMap<u64, usize> = HashMap::with_capacity(table.len());
    for (i, t) in table.iter().enumerate().rev() {
        if let Some(k) = key(t) {
            index.insert(k, i);
        }
    }
    let mut counts = vec![0u64; table.len()];
    for (c, column) in columns.iter().enumerate() {
        for (i, v) in column.iter().enumerate() {
            match key(v).and_then(|k| index.get(&k)) {
                Some(&t) => counts[t] += 1,
                None => return Err((c, i)),
            }
        }
    }
    Ok(counts)
}

/// The multiplicities of the entries in the table, ignoring the others: what a cheating prover
/// commits (for the cheating-prover paths of the tests).
pub(crate) fn count_in_table<F: BaseField>(columns: &[&[F]], table: &[F]) -> Vec<F> {
    let filtered: Vec<Vec<F>> = columns
        .iter()
        .map(|c| {
            c.iter()
                .map(|v| {
                    if count(&[&[*v][..]], table).is_ok() {
                        *v
                    } else {
                        F::ZERO
                    }
                })
                .collect()
        })
        .collect();
    let refs: Vec<&[F]> = filtered.iter().map(Vec::as_slice).collect();
    let mut m = count(&refs, table).unwrap_or_else(|_| vec![0; table.len()]);
    // The replaced entries were not lookups of entry 0.
    let replaced: u64 = columns
        .iter()
        .zip(&filtered)
        .map(|(c, f)| c.iter().zip(f).filter(|(a, b)| a != b).count() as u64)
        .sum();
    if let Some(z) = m.first_mut() {
        *z -= replaced;
    }
    m.into_iter().map(F::from).collect()
}

/// Proves that every entry of every column is a value of `table`, given the multiplicities.
/// The precondition and the claims are those of [`super::prove`]; refuses a bad table
/// ([`table_bits`]), an entry not in the table or a multiplicity that is not the count.
pub fn prove<F: BaseField, E: ExtField<F>>(
    columns: &[&[F]],
    table: &[F],
    multiplicities: &[F],
    transcript: &mut Transcript,
) -> Result<(Proof<E>, RangeClaims<E>), RangeError> {
    check(columns, table, multiplicities)?;
    prove_trusting(columns, table, multiplicities, transcript)
}

/// The honest prover's precondition: a good table, every entry in it, the multiplicities the
/// counts.
fn check<F: BaseField>(
    columns: &[&[F]],
    table: &[F],
    multiplicities: &[F],
) -> Result<(), RangeError> {
    let expected = self::multiplicities(columns, table)?;
    check_multiplicities_len(multiplicities, expected.len().trailing_zeros() as usize)?;
    if let Some(value) = expected
        .iter()
        .zip(multiplicities)
        .position(|(a, b)| a != b)
    {
        return Err(RangeError::WrongMultiplicity {
            value,
            expected: key(&expected[value]).unwrap_or(0),
            got: multiplicities[value].to_string(),
        });
    }
    Ok(())
}

/// [`prove`] without the checks on the entries and the multiplicities (the caller computed
/// them, or a test's cheating prover). Shapes are still checked.
pub(crate) fn prove_trusting<F: BaseField, E: ExtField<F>>(
    columns: &[&[F]],
    table: &[F],
    multiplicities: &[F],
    transcript: &mut Transcript,
) -> Result<(Proof<E>, RangeClaims<E>), RangeError> {
    let mut layout = Layout::of_columns(columns, table_bits(table)?)?;
    layout.lookup = true;
    check_multiplicities_len(multiplicities, layout.bits)?;
    Ok(prove_layout(
        &layout,
        columns,
        multiplicities,
        Some(table),
        transcript,
    ))
}

/// Verifies a lookup proof for columns of `2^{column_vars[i]}` entries into `table`; returns
/// the claims on the columns and the multiplicities (as [`super::verify`]).
pub fn verify<F: BaseField, E: ExtField<F>>(
    column_vars: &[usize],
    table: &[F],
    proof: &Proof<E>,
    transcript: &mut Transcript,
) -> Result<RangeClaims<E>, RangeError> {
    let layout = layout(column_vars, table)?;
    verify_layout::<F, E>(&layout, Some(table), proof, transcript)
}

/// The hiding lookup (`spec/zk.md`, "Activations by lookup, hiding"): [`super::zk::prove`]
/// with the table tree's denominators `α − T(t)` and the domain separator `zk-lookup`; the
/// fresh masks' length is [`super::zk::mask_len`] of the columns and `bits = log2 |table|`,
/// and the returned claims are in [`super::zk::prove`]'s order (tables `0 … k − 1` the
/// columns, `k` the multiplicities). Refuses what [`prove`] refuses, and fresh masks of the
/// wrong length (`MasksLength`). With `unchecked` (tests and the `cheat` feature only: a
/// cheating prover), the entries and the multiplicities are not checked.
pub(crate) fn prove_zk<F: BaseField, E: ExtField<F>>(
    unchecked: bool,
    columns: &[&[F]],
    table: &[F],
    multiplicities: &[F],
    masks: &[E],
    tables: &impl TableMasks<E>,
    transcript: &mut Transcript,
) -> Result<(ZkRangeProof<E>, Vec<Deferred<E>>), RangeError> {
    let checked = !(unchecked && cfg!(any(test, feature = "cheat")));
    if checked {
        check(columns, table, multiplicities)?;
    }
    let mut layout = Layout::of_columns(columns, table_bits(table)?)?;
    layout.lookup = true;
    check_multiplicities_len(multiplicities, layout.bits)?;
    super::zk::prove_layout(
        &layout,
        columns,
        multiplicities,
        Some(table),
        masks,
        tables,
        transcript,
    )
}

/// Verifies a hiding lookup proof (made by the crate's `prove_zk`) for columns of `2^{column_vars[i]}` entries
/// into `table`; returns the claims the caller must prove, as [`super::zk::verify`]. The
/// verifier evaluates `T̃` at the table tree's leaf point itself (`O(|table|)`).
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn verify_zk<F: BaseField, E: ExtField<F>>(
    column_vars: &[usize],
    table: &[F],
    proof: &ZkRangeProof<E>,
    transcript: &mut Transcript,
) -> Result<Vec<Deferred<E>>, RangeError> {
    let layout = layout(column_vars, table)?;
    let halves = |point: &[E]| super::zk::value_halves::<F, E>(table, point);
    super::zk::verify_layout(&layout, &halves, proof, transcript).map(|(claims, _)| claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Bn254Fr, Goldilocks, GoldilocksExt2 as Ext};
    use crate::poly::evaluate_base;
    use ark_ff::{AdditiveGroup, Field};
    use proptest::prelude::*;

    fn squares<F: BaseField>(bits: usize) -> Vec<F> {
        (0..1u64 << bits).map(|t| F::from(t * t + 3 * t)).collect()
    }

    fn round_trip<F: BaseField, E: ExtField<F>>(bits: usize, sizes: &[usize], seed: u64) {
        let table = squares::<F>(bits);
        let mut x = seed;
        let columns: Vec<Vec<F>> = sizes
            .iter()
            .map(|&n| {
                (0..1usize << n)
                    .map(|_| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        table[(x >> 33) as usize % table.len()]
                    })
                    .collect()
            })
            .collect();
        let refs: Vec<&[F]> = columns.iter().map(Vec::as_slice).collect();
        let m = multiplicities(&refs, &table).unwrap();
        let mut t = Transcript::new(b"test");
        let (proof, claims) = prove::<F, E>(&refs, &table, &m, &mut t).unwrap();
        let mut t = Transcript::new(b"test");
        let got = verify::<F, E>(sizes, &table, &proof, &mut t).unwrap();
        assert_eq!(got, claims);
        // The naive oracle: the claims are the columns' and the multiplicities' evaluations.
        for (c, claim) in columns.iter().zip(&claims.columns) {
            assert_eq!(evaluate_base::<F, E>(c, &claim.point), claim.value);
        }
        let mc = &claims.multiplicities;
        assert_eq!(evaluate_base::<F, E>(&m, &mc.point), mc.value);
        // The same proof is not a range check, nor a lookup into another table.
        let mut t = Transcript::new(b"test");
        assert!(super::super::verify::<F, E>(sizes, bits, &proof, &mut t).is_err());
        let mut other = table.clone();
        other[1] += F::ONE;
        let mut t = Transcript::new(b"test");
        assert_eq!(
            verify::<F, E>(sizes, &other, &proof, &mut t),
            Err(RangeError::LeafDenominator {
                tree: super::super::Tree::Table
            })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn round_trips(bits in 1usize..7, sizes in proptest::collection::vec(0usize..6, 1..4), seed: u64) {
            round_trip::<Goldilocks, Ext>(bits, &sizes, seed);
        }
    }

    #[test]
    fn round_trips_bn254() {
        round_trip::<Bn254Fr, Bn254Fr>(4, &[3, 0, 2], 7);
    }

    /// A hiding lookup's witness, masks and committed-table masks; its claims checked by the
    /// naive oracle `t̂(z, β) = t̃(z) + β·m_t(z)`.
    struct ZkSetup<F, E> {
        table: Vec<F>,
        columns: Vec<Vec<F>>,
        m: Vec<F>,
        masks: Vec<E>,
        tables: crate::zk::ExplicitMasks<E>,
    }

    impl<F: BaseField, E: ExtField<F>> ZkSetup<F, E> {
        fn new(bits: usize, sizes: &[usize], seed: u64) -> Self {
            use rand::{Rng, SeedableRng};
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let table = squares::<F>(bits);
            let columns: Vec<Vec<F>> = sizes
                .iter()
                .map(|&n| {
                    (0..1usize << n)
                        .map(|_| table[rng.gen_range(0..table.len())])
                        .collect()
                })
                .collect();
            let refs: Vec<&[F]> = columns.iter().map(Vec::as_slice).collect();
            let m = multiplicities(&refs, &table).unwrap();
            let masks = (0..crate::range::zk::mask_len(sizes, bits).unwrap())
                .map(|_| E::rand(&mut rng))
                .collect();
            let mut mt: Vec<Vec<E>> = sizes
                .iter()
                .map(|&v| (0..1usize << v.min(3)).map(|_| E::rand(&mut rng)).collect())
                .collect();
            mt.push(
                (0..1usize << bits.min(3))
                    .map(|_| E::rand(&mut rng))
                    .collect(),
            );
            Self {
                table,
                columns,
                m,
                masks,
                tables: crate::zk::ExplicitMasks(mt),
            }
        }

        fn refs(&self) -> Vec<&[F]> {
            self.columns.iter().map(Vec::as_slice).collect()
        }

        fn vars(&self) -> Vec<usize> {
            self.columns
                .iter()
                .map(|c| c.len().trailing_zeros() as usize)
                .collect()
        }

        fn transcript(&self) -> Transcript {
            use crate::transcript::TranscriptExt;
            let mut t = Transcript::new(b"zk-lookup-test");
            t.append_fields(b"fresh-masks", &self.masks);
            t
        }

        fn prove(
            &self,
            unchecked: bool,
        ) -> Result<(ZkRangeProof<E>, Vec<Deferred<E>>), RangeError> {
            prove_zk::<F, E>(
                unchecked,
                &self.refs(),
                &self.table,
                &self.m,
                &self.masks,
                &self.tables,
                &mut self.transcript(),
            )
        }

        fn first_false(&self, claims: &[Deferred<E>]) -> Option<usize> {
            use crate::zk::TableMasks;
            let hiding = |t: usize, z: &[E], b: E| {
                let v = self.columns.get(t).unwrap_or(&self.m);
                evaluate_base::<F, E>(v, z) + b * self.tables.mask_at(t, z)
            };
            claims.iter().position(|d| !d.holds(hiding, &self.masks))
        }
    }

    fn zk_round_trip<F: BaseField, E: ExtField<F>>(bits: usize, sizes: &[usize], seed: u64) {
        let s = ZkSetup::<F, E>::new(bits, sizes, seed);
        let (proof, claims) = s.prove(false).unwrap();
        let got = verify_zk::<F, E>(sizes, &s.table, &proof, &mut s.transcript()).unwrap();
        assert_eq!(got, claims, "the verifier's claims are the prover's");
        assert_eq!(s.first_false(&claims), None);
        // No value sent is a column's or the multiplicities' value at the leaf points.
        // Another table (one entry changed): the table tree's leaf claim fails.
        let mut other = s.table.clone();
        other[1] += F::ONE;
        let got = verify_zk::<F, E>(sizes, &other, &proof, &mut s.transcript()).unwrap();
        assert!(s.first_false(&got).is_some());
        // Not a hiding range check (another domain separator, so other challenges).
        let got =
            crate::range::zk::verify::<F, E>(sizes, bits, &proof, &mut s.transcript()).unwrap();
        assert!(s.first_false(&got).is_some());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10))]
        #[test]
        fn zk_round_trips(bits in 1usize..7, sizes in proptest::collection::vec(0usize..6, 1..4), seed: u64) {
            zk_round_trip::<Goldilocks, Ext>(bits, &sizes, seed);
        }
    }

    #[test]
    fn zk_round_trips_bn254() {
        zk_round_trip::<Bn254Fr, Bn254Fr>(4, &[3, 0, 2], 7);
        zk_round_trip::<Bn254Fr, Bn254Fr>(1, &[0], 8);
    }

    /// A cheating hiding prover: an entry not in the table, the multiplicities of the rest;
    /// every check passes but a returned claim is false (the opening rejects it). With the
    /// entry in the table the same prover's claims all hold.
    #[test]
    fn zk_cheating_entries_leave_a_false_claim() {
        type F = Goldilocks;
        for seed in 0..4 {
            let mut s = ZkSetup::<F, Ext>::new(4, &[4, 2], seed);
            let (_, claims) = s.prove(true).unwrap();
            assert_eq!(s.first_false(&claims), None);
            s.columns[0][5] = F::from(5u64);
            s.m = count_in_table(&s.refs(), &s.table);
            assert!(matches!(
                s.prove(false),
                Err(RangeError::NotInTable { index: 5, .. })
            ));
            let (proof, _) = s.prove(true).unwrap();
            let got =
                verify_zk::<F, Ext>(&s.vars(), &s.table, &proof, &mut s.transcript()).unwrap();
            // The join's claim (the two fraction sums differ) is false.
            assert_eq!(s.first_false(&got), Some(0));
        }
    }

    /// The hiding lookup sends no column's or multiplicities' value in the clear: each value
    /// it sends differs from the true table's value at the claim's point — and with every mask
    /// zeroed the same prover sends exactly those values, so the test can tell.
    #[test]
    fn zk_lookup_sends_no_column_value_in_the_clear() {
        type F = Goldilocks;
        for seed in 0..3 {
            let mut s = ZkSetup::<F, Ext>::new(4, &[3, 2], seed);
            let truth = |s: &ZkSetup<F, Ext>, claims: &[Deferred<Ext>]| -> Vec<bool> {
                claims
                    .iter()
                    .filter_map(|c| match c {
                        Deferred::Masked {
                            table,
                            point,
                            value,
                            ..
                        } => {
                            let t = s.columns.get(*table).unwrap_or(&s.m);
                            Some(evaluate_base::<F, Ext>(t, point) == *value)
                        }
                        _ => None,
                    })
                    .collect()
            };
            let (_, claims) = s.prove(false).unwrap();
            assert_eq!(truth(&s, &claims), vec![false; 3]);
            s.masks.iter_mut().for_each(|m| *m = Ext::ZERO);
            s.tables.0.iter_mut().flatten().for_each(|m| *m = Ext::ZERO);
            let (_, claims) = s.prove(false).unwrap();
            assert_eq!(truth(&s, &claims), vec![true; 3]);
        }
    }

    /// Wrong fresh masks' length and bad tables are refused before any proof.
    #[test]
    fn zk_refusals() {
        type F = Goldilocks;
        let mut s = ZkSetup::<F, Ext>::new(3, &[2], 1);
        s.masks.pop();
        assert!(matches!(
            s.prove(false),
            Err(RangeError::MasksLength { .. })
        ));
        let mut s = ZkSetup::<F, Ext>::new(3, &[2], 1);
        s.m[0] += F::ONE;
        assert!(matches!(
            s.prove(false),
            Err(RangeError::WrongMultiplicity { value: 0, .. })
        ));
        let bad = vec![F::ONE; 8];
        let p = s.prove(true);
        assert!(p.is_ok());
        let (proof, _) = p.unwrap();
        assert!(matches!(
            verify_zk::<F, Ext>(&[2], &bad, &proof, &mut s.transcript()),
            Err(RangeError::LookupTable { len: 8, .. })
        ));
    }

    #[test]
    fn refuses_bad_tables_and_entries() {
        type F = Goldilocks;
        let mut table = squares::<F>(3);
        let column = vec![F::from(5u64); 2];
        assert_eq!(
            multiplicities(&[&column], &table),
            Err(RangeError::NotInTable {
                column: 0,
                index: 0,
                value: "5".into()
            })
        );
        table[0] = F::ONE;
        assert!(matches!(
            table_bits(&table),
            Err(RangeError::LookupTable { len: 8, .. })
        ));
        assert!(table_bits(&[F::ZERO; 3]).is_err());
        assert!(table_bits::<F>(&[]).is_err());
    }

    /// A cheating prover: an entry not in the table, the multiplicities of the rest; the
    /// verifier rejects at the roots.
    #[test]
    fn cheating_entries_are_rejected() {
        type F = Goldilocks;
        let table = squares::<F>(4);
        let mut column: Vec<F> = table.iter().rev().copied().collect();
        column[5] = F::from(5u64);
        let m = count_in_table(&[&column], &table);
        assert_eq!(m.iter().copied().sum::<F>(), F::from(15u64));
        let mut t = Transcript::new(b"test");
        let (proof, _) = prove_trusting::<F, Ext>(&[&column], &table, &m, &mut t).unwrap();
        let mut t = Transcript::new(b"test");
        assert_eq!(
            verify::<F, Ext>(&[4], &table, &proof, &mut t),
            Err(RangeError::RootMismatch)
        );
        // Honest prover refuses it before any proof.
        let mut t = Transcript::new(b"test");
        assert!(matches!(
            prove::<F, Ext>(&[&column], &table, &m, &mut t),
            Err(RangeError::NotInTable { index: 5, .. })
        ));
    }
}
