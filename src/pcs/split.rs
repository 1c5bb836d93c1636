//! Tables beyond the size one Basefold polynomial proves at the stated level: a polynomial of
//! `n > m` variables is committed as its `2^{n−m}` **columns** of `m` variables,
//! `f_j(x) = f(x, j)` (`x` the low `m` variables, `j` the high `n − m` as an index), one Basefold
//! commitment holding all columns of all polynomials. A claim `f̃(z) = y`, `z = (z_lo, z_hi)`,
//! becomes the claims `f̃_j(z_lo) = v_j` for the columns `j` where `eq(z_hi, j) ≠ 0` (those that
//! agree with `z_hi`'s 0/1 coordinates: one column for a point inside a column), with
//! `y = Σ_j eq(z_hi, j)·v_j` checked by the verifier; one Basefold opening proves them all.
//!
//! The identity is exact, so the split costs no soundness: the bound is Basefold's at `m`
//! variables with `t·2^{n−m}` polynomials ([`basefold::Params::security_bits`], independent
//! batching coefficients: `N/|E|` with `N = 2^{m + rate_bits}`). Over Goldilocks² that reaches
//! 100 proven bits for any `n` with `m = 24`, where one polynomial of `n ≥ 25` variables
//! cannot. See `spec/pcs.md`.

use super::basefold::{self, Commitment, Params, PcsError, ProverData};
use super::{Claim, MultilinearPcs};
use crate::field::{BaseField, ExtField};
use crate::transcript::TranscriptExt;
use ark_ff::{FftField, Field};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use merlin::Transcript;

/// The most variables a split commitment takes (`2^32` entries).
pub const MAX_SPLIT_VARS: usize = 32;

/// Basefold over columns of at most `column_vars` variables, as a [`MultilinearPcs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    /// The columns' Basefold parameters.
    pub params: Params,
    /// Variables of a column (`m`).
    pub column_vars: usize,
}

/// A split commitment: the columns' commitment and the polynomials' variables.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct SplitCommitment {
    /// The Basefold commitment to every column of every polynomial (polynomial `i`'s columns
    /// are `i·2^{n−m} ..`).
    pub columns: Commitment,
    /// Variables of each committed polynomial (`n`).
    pub num_vars: u32,
    /// Polynomials committed.
    pub num_polys: u32,
}

/// An evaluation proof: per claim, the columns' values at `z_lo`, and one opening of them.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct SplitProof<F: Field, E: Field> {
    /// Per claim, `f̃_j(z_lo)` for the columns `j` with `eq(z_hi, j) ≠ 0`, increasing.
    pub columns: Vec<Vec<E>>,
    /// The opening of those column claims.
    pub opening: basefold::Proof<F, E>,
}

impl Split {
    /// The columns' variables for polynomials of `n` variables: `min(n, column_vars)`.
    fn split_vars(&self, n: usize) -> (usize, usize) {
        let m = n.min(self.column_vars);
        (m, n - m)
    }

    /// The largest column size (at most `max_vars` variables) at which Basefold's default rate
    /// and arity reach `security_bits` proven bits, with `pow_bits` of grinding; an error when
    /// none does.
    pub fn setup_with_pow<F: FftField, E: Field>(
        max_vars: usize,
        security_bits: usize,
        pow_bits: usize,
    ) -> Result<Self, PcsError> {
        if max_vars > MAX_SPLIT_VARS {
            return Err(PcsError::BeyondSetup {
                num_vars: max_vars,
                max_vars: MAX_SPLIT_VARS,
            });
        }
        let mut last = None;
        for m in (1..=max_vars).rev() {
            match Params::for_security_with_pow::<E>(
                m,
                security_bits,
                Params::DEFAULT_RATE_BITS,
                Params::DEFAULT_FOLD_BITS,
                pow_bits,
            ) {
                Ok(params) => {
                    crate::pcs::code::root::<F>(m + params.rate_bits)?;
                    return Ok(Self {
                        params,
                        column_vars: m,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(PcsError::NoPolynomials))
    }
}

/// The columns `j < 2^h` with `eq(z_hi, j) ≠ 0`: those agreeing with every 0/1 coordinate of
/// `z_hi`, increasing; with their `eq(z_hi, j)`. One column, with `eq = 1`, when every
/// coordinate of `z_hi` is 0 or 1.
pub fn live_columns<E: Field>(z_hi: &[E]) -> Vec<(usize, E)> {
    let mut out = vec![(0usize, E::ONE)];
    for (k, &z) in z_hi.iter().enumerate() {
        let (zero, one) = (z.is_zero(), z.is_one());
        let mut next = Vec::with_capacity(out.len() * 2);
        for &(j, e) in &out {
            if !one {
                next.push((j, e * (E::ONE - z)));
            }
            if !zero {
                next.push((j | (1 << k), e * z));
            }
        }
        out = next;
    }
    out.sort_unstable_by_key(|&(j, _)| j);
    out
}

/// A table of `2^n` entries as its columns of `2^m` entries (`m ≤ n`): column `j` holds the
/// entries `j·2^m .. (j + 1)·2^m`, so that the high `n − m` variables index it and
/// `f_j(x) = f(x, j)`. With `m ≥ n` the table is its one column.
pub fn into_columns<T>(mut table: Vec<T>, m: usize) -> Vec<Vec<T>> {
    let count = (table.len() >> m.min(usize::BITS as usize - 1)).max(1);
    let mut columns = Vec::with_capacity(count);
    for j in (1..count).rev() {
        columns.push(table.split_off(j << m));
    }
    // `split_off` leaves the whole table's capacity with column 0.
    table.shrink_to_fit();
    columns.push(table);
    columns.reverse();
    columns
}

/// A split claim's live columns (index, `eq(z_hi, j)`) and its claims on them.
type ColumnClaims<E> = (Vec<(usize, E)>, Vec<Claim<E>>);

/// The column claims of the split claims, and per claim its live columns.
fn column_claims<E: Field>(
    claims: &[Claim<E>],
    m: usize,
    h: usize,
    n: usize,
) -> Result<Vec<ColumnClaims<E>>, PcsError> {
    claims
        .iter()
        .map(|c| {
            if c.point.len() != n {
                return Err(PcsError::PointLength {
                    expected: n,
                    got: c.point.len(),
                });
            }
            let (lo, hi) = c.point.split_at(m);
            let live = live_columns(hi);
            let cols = live
                .iter()
                .map(|&(j, _)| Claim::new((c.poly << h) | j, lo.to_vec()))
                .collect();
            Ok((live, cols))
        })
        .collect()
}

impl<F: BaseField + FftField, E: ExtField<F>> MultilinearPcs<F, E> for Split {
    type Commitment = SplitCommitment;
    type ProverData = ProverData<F>;
    type Proof = SplitProof<F, E>;

    fn setup(max_vars: usize, security_bits: usize) -> Result<Self, PcsError> {
        Self::setup_with_pow::<F, E>(max_vars, security_bits, 0)
    }

    fn commit(&self, polys: Vec<Vec<F>>) -> Result<(SplitCommitment, ProverData<F>), PcsError> {
        if polys.is_empty() {
            return Err(PcsError::NoPolynomials);
        }
        if let Some(index) = polys.iter().position(Vec::is_empty) {
            return Err(PcsError::Empty { index });
        }
        let n = basefold::num_vars_for(polys.iter().map(Vec::len).max().unwrap_or(1));
        if n > MAX_SPLIT_VARS {
            return Err(PcsError::BeyondSetup {
                num_vars: n,
                max_vars: MAX_SPLIT_VARS,
            });
        }
        let (m, h) = self.split_vars(n);
        if polys.len() << h > basefold::MAX_BATCH {
            return Err(PcsError::TooMany {
                what: "columns",
                got: polys.len() << h,
            });
        }
        let num_polys = polys.len() as u32;
        let mut columns = Vec::with_capacity(polys.len() << h);
        for mut p in polys {
            p.resize(1 << n, F::ZERO);
            columns.extend(into_columns(p, m));
        }
        let (c, data) = basefold::commit(&self.params, columns)?;
        Ok((
            SplitCommitment {
                columns: c,
                num_vars: n as u32,
                num_polys,
            },
            data,
        ))
    }

    fn open(
        &self,
        commitment: &SplitCommitment,
        data: &ProverData<F>,
        claims: &[Claim<E>],
        transcript: &mut Transcript,
    ) -> Result<(Vec<E>, SplitProof<F, E>), PcsError> {
        let n = commitment.num_vars as usize;
        let (m, h) = self.split_vars(n);
        if let Some((i, c)) = claims
            .iter()
            .enumerate()
            .find(|(_, c)| c.poly >= commitment.num_polys as usize)
        {
            return Err(PcsError::NoSuchPolynomial {
                claim: i,
                poly: c.poly,
                polys: commitment.num_polys as usize,
            });
        }
        let split = column_claims(claims, m, h, n)?;
        let flat: Vec<Claim<E>> = split.iter().flat_map(|(_, c)| c.clone()).collect();
        absorb(transcript, commitment, claims);
        let (values, opening) =
            basefold::open(&self.params, &commitment.columns, data, &flat, transcript)?;
        let mut at = values.into_iter();
        let columns: Vec<Vec<E>> = split
            .iter()
            .map(|(live, _)| at.by_ref().take(live.len()).collect())
            .collect();
        let ys = split
            .iter()
            .zip(&columns)
            .map(|((live, _), v)| live.iter().zip(v).map(|(&(_, e), &x)| e * x).sum())
            .collect();
        Ok((ys, SplitProof { columns, opening }))
    }

    fn verify(
        &self,
        commitment: &SplitCommitment,
        claims: &[Claim<E>],
        values: &[E],
        proof: &SplitProof<F, E>,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        let n = commitment.num_vars as usize;
        if n > MAX_SPLIT_VARS {
            return Err(PcsError::BeyondSetup {
                num_vars: n,
                max_vars: MAX_SPLIT_VARS,
            });
        }
        let (m, h) = self.split_vars(n);
        let polys = commitment.num_polys as usize;
        if commitment.columns.num_vars as usize != m
            || commitment.columns.num_polys as usize != polys << h
        {
            return Err(PcsError::Shape {
                what: "the columns' commitment",
                expected: polys << h,
                got: commitment.columns.num_polys as usize,
            });
        }
        if let Some((i, c)) = claims.iter().enumerate().find(|(_, c)| c.poly >= polys) {
            return Err(PcsError::NoSuchPolynomial {
                claim: i,
                poly: c.poly,
                polys,
            });
        }
        if values.len() != claims.len() || proof.columns.len() != claims.len() {
            return Err(PcsError::Shape {
                what: "the values",
                expected: claims.len(),
                got: values.len().min(proof.columns.len()),
            });
        }
        let split = column_claims(claims, m, h, n)?;
        for (claim, (((live, _), v), &y)) in
            split.iter().zip(&proof.columns).zip(values).enumerate()
        {
            if v.len() != live.len() {
                return Err(PcsError::Shape {
                    what: "a claim's column values",
                    expected: live.len(),
                    got: v.len(),
                });
            }
            let sum: E = live.iter().zip(v).map(|(&(_, e), &x)| e * x).sum();
            if sum != y {
                return Err(PcsError::SplitValues { claim });
            }
        }
        let flat: Vec<Claim<E>> = split.into_iter().flat_map(|(_, c)| c).collect();
        let flat_values: Vec<E> = proof.columns.iter().flatten().copied().collect();
        absorb(transcript, commitment, claims);
        basefold::verify(
            &self.params,
            &commitment.columns,
            &flat,
            &flat_values,
            &proof.opening,
            transcript,
        )
    }
}

/// Binds the split statement: the polynomials' size and the claims' high coordinates (the low
/// ones and the columns' values are the opening's statement).
fn absorb<E: Field>(t: &mut Transcript, c: &SplitCommitment, claims: &[Claim<E>]) {
    t.domain_separator(b"basefold-split", &[c.num_vars as u64, c.num_polys as u64]);
    for cl in claims {
        let hi = cl.point.get(c.columns.num_vars as usize..).unwrap_or(&[]);
        t.append_fields(b"split-point-high", hi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use crate::poly::Mle;
    use crate::testing::random_base;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;

    /// Split commitments round-trip (points at random, and inside one column), the values are
    /// the tables' evaluations, and a wrong value, column value or column is caught.
    #[test]
    fn split_round_trips_and_catches_wrong_values() {
        let mut rng = StdRng::seed_from_u64(3);
        let params = Params {
            rate_bits: 1,
            fold_bits: 2,
            queries: 8,
            pow_bits: 0,
        };
        for (n, m, t) in [(9usize, 6usize, 2usize), (7, 7, 1), (6, 3, 1), (5, 9, 2)] {
            let pcs = Split {
                params,
                column_vars: m,
            };
            let polys: Vec<Vec<F>> = (0..t).map(|_| random_base(&mut rng, 1 << n)).collect();
            let (c, data) = MultilinearPcs::<F, E>::commit(&pcs, polys.clone()).unwrap();
            let mut claims: Vec<Claim<E>> = (0..3)
                .map(|i| Claim::new(i % t, (0..n).map(|_| E::rand(&mut rng)).collect()))
                .collect();
            // A point inside one column: its high coordinates boolean.
            let mut inside: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
            for (k, z) in inside.iter_mut().enumerate().skip(m.min(n)) {
                *z = if k % 2 == 0 { E::ONE } else { E::from(0u64) };
            }
            claims.push(Claim::new(0, inside));
            let (ys, proof) = pcs
                .open(&c, &data, &claims, &mut Transcript::new(b"s"))
                .unwrap();
            for (cl, y) in claims.iter().zip(&ys) {
                assert_eq!(
                    *y,
                    Mle::<F, E>::Base(polys[cl.poly].clone()).evaluate(&cl.point)
                );
            }
            let h = n - m.min(n);
            assert_eq!(proof.columns[3].len(), 1, "one live column");
            assert_eq!(proof.columns[0].len(), 1 << h);
            let check = |ys: &[E], pr: &SplitProof<F, E>| {
                pcs.verify(&c, &claims, ys, pr, &mut Transcript::new(b"s"))
            };
            assert_eq!(check(&ys, &proof), Ok(()));
            let mut bad = ys.clone();
            bad[1] += E::ONE;
            assert_eq!(check(&bad, &proof), Err(PcsError::SplitValues { claim: 1 }));
            // Column values that still sum to the claimed value: the opening catches them.
            if h > 0 {
                let mut pr = proof.clone();
                let (a, b) = (pr.columns[0][0], pr.columns[0][1]);
                let live = live_columns(&claims[0].point[m..]);
                let (e0, e1) = (live[0].1, live[1].1);
                // Shift mass between two columns keeping Σ eq·v fixed.
                pr.columns[0][0] = a + e1;
                pr.columns[0][1] = b - e0;
                assert_eq!(check(&ys, &pr), Err(PcsError::ReducedValues));
            }
            let mut pr = proof.clone();
            pr.columns[2].pop();
            assert!(matches!(check(&ys, &pr), Err(PcsError::Shape { .. })));
        }
    }

    #[test]
    fn setup_reaches_100_bits_beyond_two_to_the_24() {
        let s = Split::setup_with_pow::<F, E>(28, 100, 20).unwrap();
        assert_eq!(s.column_vars, 24);
        let bits = basefold::field_bits::<E>();
        assert!(s.params.security_bits(24, bits) >= 100.0);
        assert!(basefold::Params::for_security_with_pow::<E>(25, 100, 2, 4, 20).is_err());
    }
}
