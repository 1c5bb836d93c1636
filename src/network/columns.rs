//! Packed tables beyond one column: a packed table of `2^n` entries is committed as its
//! `2^{n−m}` columns of `2^m` entries (`m = min(n, column_vars)`, [`crate::pcs::split`]'s
//! layout: column `j` holds the entries `j·2^m .. (j + 1)·2^m`, `f_j(x) = f(x, j)`), all in one
//! Basefold commitment of `2^{n−m}` polynomials over `m` variables. A claim `f̃(z) = y` on the
//! packed table, `z = (z_lo, z_hi)`, is a claim `f̃_j(z_lo) = y` on one column when `z_hi` is
//! boolean (every claim on a segment of at most `2^m` entries: its offset bits fix `z_hi`);
//! otherwise the prover sends the values `v_j = f̃_j(z_lo)` of the columns with
//! `eq(z_hi, j) ≠ 0`, the verifier checks `y = Σ_j eq(z_hi, j)·v_j` — an identity of
//! multilinear polynomials, so it costs no soundness — and the column claims `f̃_j(z_lo) = v_j`
//! go into the proof's one opening. A table of at most `2^m` entries is its one column, and its
//! claims are the packed table's claims unchanged. Columns past the last one a segment uses are
//! zero and not committed ([`TableColumns::trimmed`]): no claim reaches them. See
//! `spec/network.md`.

use crate::pcs::basefold::Commitment;
use crate::pcs::split::live_columns;
use ark_ff::Field;

/// How a packed table is committed: `2^{vars − column_vars}` columns of `column_vars`
/// variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableColumns {
    /// Variables of the packed table (`n`).
    pub vars: usize,
    /// Variables of each column (`min(n, m)`).
    pub column_vars: usize,
    /// Columns committed: the first ones, every later column all zero (at most [`Self::count`]).
    committed: usize,
}

impl TableColumns {
    /// A table of `2^vars` entries in columns of at most `2^max_column_vars`.
    pub fn new(vars: usize, max_column_vars: usize) -> Self {
        let column_vars = vars.min(max_column_vars);
        Self {
            vars,
            column_vars,
            committed: 1 << (vars - column_vars),
        }
    }

    /// [`TableColumns::new`] for a table whose entries from `used` on are all zero (a packing's
    /// [`crate::pcs::packing::Packing::used_entries`]): only the columns holding an entry below
    /// `used` are committed (at least one).
    pub fn trimmed(vars: usize, max_column_vars: usize, used: usize) -> Self {
        let mut t = Self::new(vars, max_column_vars);
        t.committed = used.div_ceil(1 << t.column_vars).clamp(1, t.count());
        t
    }

    /// Variables that index the columns (`n − m`).
    pub fn high_vars(&self) -> usize {
        self.vars - self.column_vars
    }

    /// Number of columns.
    pub fn count(&self) -> usize {
        1 << self.high_vars()
    }

    /// Whether the table has more than one column.
    pub fn is_split(&self) -> bool {
        self.vars > self.column_vars
    }

    /// Columns committed (the first ones; the rest are zero).
    pub fn committed(&self) -> usize {
        self.committed
    }

    /// Whether a commitment has this shape: `committed()` polynomials of `column_vars`
    /// variables.
    pub fn matches(&self, c: &Commitment) -> bool {
        c.num_vars as usize == self.column_vars && c.num_polys as usize == self.committed
    }

    /// A point on the packed table (`vars` coordinates) as the columns with `eq(z_hi, j) ≠ 0`
    /// (increasing, with `eq(z_hi, j)`) and the point `z_lo` on them.
    pub fn split_point<'a, E: Field>(&self, point: &'a [E]) -> (Vec<(usize, E)>, &'a [E]) {
        let (lo, hi) = point.split_at(self.column_vars.min(point.len()));
        (live_columns(hi), lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use crate::pcs::split::into_columns;
    use crate::poly::evaluate_base;
    use crate::testing::random_base;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;

    /// Only the columns holding an entry below `used` are committed: at least one, at most all.
    #[test]
    fn trimmed_tables_commit_the_columns_their_entries_reach() {
        for (n, m, used, committed) in [
            (26usize, 24usize, 49_200_000usize, 3usize),
            (26, 24, 3 << 24, 3),
            (26, 24, (3 << 24) + 1, 4),
            (26, 24, 1 << 26, 4),
            (26, 24, 0, 1),
            (20, 24, 5, 1),
            (7, 3, 9, 2),
        ] {
            let t = TableColumns::trimmed(n, m, used);
            assert_eq!(t.committed(), committed, "2^{n} in 2^{m}, {used} used");
            assert_eq!(t.count(), TableColumns::new(n, m).count());
        }
        assert_eq!(TableColumns::new(26, 24).committed(), 4);
    }

    /// A packed table's value is the columns' values combined by `eq(z_hi, j)`, at a random point
    /// and at a point whose high coordinates are boolean (one column, `eq = 1`).
    #[test]
    fn column_values_combine_to_the_table_value() {
        let mut rng = StdRng::seed_from_u64(5);
        for (n, m) in [(7usize, 3usize), (5, 5), (4, 9), (6, 1)] {
            let cols = TableColumns::new(n, m);
            assert_eq!(cols.count() << cols.column_vars, 1 << n);
            let table: Vec<F> = random_base(&mut rng, 1 << n);
            let columns = into_columns(table.clone(), cols.column_vars);
            assert_eq!(columns.len(), cols.count());
            let mut z: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
            let (live, lo) = cols.split_point(&z);
            assert_eq!(live.len(), cols.count());
            let sum: E = live
                .iter()
                .map(|&(j, e)| e * evaluate_base(&columns[j], lo))
                .sum();
            assert_eq!(sum, evaluate_base(&table, &z));
            for (k, c) in z.iter_mut().enumerate().skip(cols.column_vars) {
                *c = E::from((k % 2) as u64);
            }
            let (live, lo) = cols.split_point(&z);
            assert_eq!(live.len(), 1);
            let (j, e) = live[0];
            assert_eq!(e, E::ONE);
            assert_eq!(evaluate_base(&columns[j], lo), evaluate_base(&table, &z));
        }
    }
}
