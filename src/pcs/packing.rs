//! Many tables in one committed polynomial.
//!
//! Segments of `2^{v_j}` entries are placed, largest first, at offsets that are multiples of
//! their own size, in one table of `2^n` entries (zero elsewhere). Segment `j`'s multilinear
//! extension is then the packed polynomial with its top `n − v_j` variables fixed to the bits of
//! `offset_j / 2^{v_j}`: a claim `s̃_j(z) = y` is the claim `P̃(z, bits) = y` on the packed
//! polynomial. Because those coordinates are 0 or 1, opening it costs `2^{v_j}`, not `2^n`
//! (see [`crate::poly::boolean_suffix`]).
//!
//! A segment may sit in a larger zero-padded block ([`Packing::with_blocks`]): its entries are
//! the block's first `2^{v_j}`, the rest of the block zero, so that the block's extension at
//! `(z, s, bits)` is `eq(0, s)·s̃_j(z)` for any `s`. A hiding commitment claims a small segment
//! at such points with random `s` so that its claims read the commitment's mask on the whole
//! block ([`crate::zk::packed_term`]); that the padding is zero must be proven (the model
//! commitment's check does, `spec/model-commitment.md`).

use ark_ff::Field;

/// Where each segment lives in the packed table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packing {
    /// Variables of each segment's table.
    vars: Vec<usize>,
    /// Variables of each segment's block (at least its table's).
    blocks: Vec<usize>,
    offsets: Vec<usize>,
    num_vars: usize,
}

impl Packing {
    /// Places segments of `2^{vars[j]}` entries (at least one entry overall).
    pub fn new(vars: &[usize]) -> Self {
        Self::with_blocks(vars, 0)
    }

    /// Places each segment of `2^{vars[j]}` entries at the start of a zero-padded block of
    /// `2^{max(vars[j], min_block)}` entries (blocks placed as [`Packing::new`] places segments).
    pub fn with_blocks(vars: &[usize], min_block: usize) -> Self {
        let blocks: Vec<usize> = vars.iter().map(|&v| v.max(min_block)).collect();
        let mut order: Vec<usize> = (0..vars.len()).collect();
        order.sort_by_key(|&j| std::cmp::Reverse(blocks[j]));
        let mut offsets = vec![0; vars.len()];
        let mut next = 0usize;
        for j in order {
            offsets[j] = next;
            next += 1 << blocks[j];
        }
        let num_vars = next.max(2).next_power_of_two().trailing_zeros() as usize;
        Self {
            vars: vars.to_vec(),
            blocks,
            offsets,
            num_vars,
        }
    }

    /// [`Packing::new`] over at least `min_vars` variables (the rest of the table zero): a
    /// commitment padded to the size a joint opening needs.
    pub fn with_min_vars(vars: &[usize], min_vars: usize) -> Self {
        Self::new(vars).at_least(min_vars)
    }

    /// This packing over at least `min_vars` variables (the rest of the table zero).
    pub fn at_least(mut self, min_vars: usize) -> Self {
        self.num_vars = self.num_vars.max(min_vars);
        self
    }

    /// Variables of the packed polynomial.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether there are no segments.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// Variables of segment `j`.
    pub fn vars(&self, j: usize) -> usize {
        self.vars[j]
    }

    /// Segment `j`'s offset in the packed table (a multiple of its size).
    pub fn offset(&self, j: usize) -> usize {
        self.offsets[j]
    }

    /// Variables of segment `j`'s block (its own, unless [`Packing::with_blocks`] padded it).
    pub fn block_vars(&self, j: usize) -> usize {
        self.blocks[j]
    }

    /// For a point `z` on the packed polynomial, `eq(bits of offset_j / 2^{b_j}, z[b_j..])`
    /// (`b_j` the block's variables): the factor that selects segment `j`'s block, so that
    /// `P̃(z) = Σ_j selector_j(z)·B̃_j(z[..b_j])` (plus the free blocks' terms), `B_j` the block.
    pub fn selector<E: Field>(&self, j: usize, z: &[E]) -> E {
        block_selector(self.offsets[j], self.blocks[j], z)
    }

    /// [`Packing::selector`] times `eq(0, z[v_j..b_j])`: the factor that selects segment `j`'s
    /// own entries (its block but the padding), so that a packed table whose padding is zero
    /// has `P̃(z) = Σ_j entries_selector_j(z)·s̃_j(z[..v_j])` (plus the free blocks' terms).
    pub fn entries_selector<E: Field>(&self, j: usize, z: &[E]) -> E {
        let pad: E = z
            .iter()
            .take(self.blocks[j])
            .skip(self.vars[j])
            .map(|&c| E::ONE - c)
            .product();
        self.selector(j, z) * pad
    }

    /// The entries the segments' blocks take: they are placed from offset 0 without gaps, so
    /// every entry from here on is zero.
    pub fn used_entries(&self) -> usize {
        self.blocks.iter().map(|&v| 1usize << v).sum()
    }

    /// The entries no segment uses, as aligned blocks `(offset, vars)` of `2^vars` entries
    /// (largest first, at most `num_vars` of them).
    pub fn free_blocks(&self) -> Vec<(usize, usize)> {
        let used = self.used_entries();
        let end = 1usize << self.num_vars;
        let mut blocks = Vec::new();
        let mut at = used;
        while at < end {
            // The largest aligned block that starts at `at` and fits.
            let mut v = at.trailing_zeros().min(self.num_vars as u32) as usize;
            while at + (1 << v) > end {
                v -= 1;
            }
            blocks.push((at, v));
            at += 1 << v;
        }
        blocks
    }

    /// Segment `j`'s entries within a packed table.
    pub fn segment<'a, T>(&self, packed: &'a [T], j: usize) -> &'a [T] {
        &packed[self.offsets[j]..self.offsets[j] + (1 << self.vars[j])]
    }

    /// The packed table. `tables[j]` must have `2^{vars[j]}` entries.
    pub fn pack<F: Field>(&self, tables: &[Vec<F>]) -> Vec<F> {
        assert_eq!(tables.len(), self.vars.len(), "one table per segment");
        let mut out = crate::poly::zeros(1 << self.num_vars);
        for (j, t) in tables.iter().enumerate() {
            assert_eq!(
                t.len(),
                1 << self.vars[j],
                "segment {j} has the wrong length"
            );
            out[self.offsets[j]..self.offsets[j] + t.len()].copy_from_slice(t);
        }
        out
    }

    /// The packed table as its columns of `2^min(n, column_vars)` entries (column `c` holds
    /// entries `c·2^m .. (c + 1)·2^m`, [`crate::pcs::split::into_columns`]'s layout), without
    /// building the whole table first. `tables[j]` must have `2^{vars[j]}` entries.
    pub fn pack_columns<F: Field>(&self, tables: &[Vec<F>], column_vars: usize) -> Vec<Vec<F>> {
        assert_eq!(tables.len(), self.vars.len(), "one table per segment");
        let m = self.num_vars.min(column_vars);
        let mut out: Vec<Vec<F>> = (0..1usize << (self.num_vars - m))
            .map(|_| crate::poly::zeros(1 << m))
            .collect();
        for (j, t) in tables.iter().enumerate() {
            assert_eq!(
                t.len(),
                1 << self.vars[j],
                "segment {j} has the wrong length"
            );
            // A segment is aligned to its size: it lies in one column or fills whole columns.
            let piece = 1 << self.vars[j].min(m);
            for (p, chunk) in t.chunks(piece).enumerate() {
                let at = self.offsets[j] + p * piece;
                let column = &mut out[at >> m];
                let start = at & ((1 << m) - 1);
                column[start..start + chunk.len()].copy_from_slice(chunk);
            }
        }
        out
    }

    /// The packed polynomial's point for a point `z` on segment `j` (`z.len() = vars[j]`; the
    /// block's padding coordinates, if any, zero).
    pub fn point<E: Field>(&self, j: usize, z: &[E]) -> Vec<E> {
        let pad = vec![E::ZERO; self.blocks[j] - self.vars[j]];
        self.block_point(j, &[z, &pad].concat())
    }

    /// The packed polynomial's point for a point `z` on segment `j`'s block
    /// (`z.len() = block_vars(j)`).
    pub fn block_point<E: Field>(&self, j: usize, z: &[E]) -> Vec<E> {
        let v = self.blocks[j];
        debug_assert_eq!(z.len(), v);
        let block = self.offsets[j] >> v;
        let mut p = z.to_vec();
        p.extend((0..self.num_vars - v).map(|k| {
            if (block >> k) & 1 == 1 {
                E::ONE
            } else {
                E::ZERO
            }
        }));
        p
    }
}

/// `eq(bits of offset / 2^vars, z[vars..])` for an aligned block of `2^vars` entries.
pub fn block_selector<E: Field>(offset: usize, vars: usize, z: &[E]) -> E {
    let block = offset >> vars;
    z.iter()
        .skip(vars)
        .enumerate()
        .map(|(k, &zk)| {
            if (block >> k) & 1 == 1 {
                zk
            } else {
                E::ONE - zk
            }
        })
        .product()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Goldilocks as F, GoldilocksExt2 as E};
    use crate::poly::{combined_eq, eq_eval, evaluate_base};
    use ark_std::UniformRand;

    #[test]
    fn segment_claims_are_packed_claims() {
        let mut rng = ark_std::test_rng();
        for vars in [
            vec![3],
            vec![0, 0, 0],
            vec![2, 5, 0, 3, 3, 1],
            vec![4, 4, 4, 4],
        ] {
            let p = Packing::new(&vars);
            let tables: Vec<Vec<F>> = vars
                .iter()
                .map(|&v| (0..1 << v).map(|_| F::rand(&mut rng)).collect())
                .collect();
            let packed = p.pack(&tables);
            let total: usize = vars.iter().map(|&v| 1 << v).sum();
            assert!(packed.len() >= total && packed.len() < 2 * total.max(2));
            for m in [1, 2, 3, 6] {
                assert_eq!(
                    p.pack_columns(&tables, m),
                    crate::pcs::split::into_columns(packed.clone(), m.min(p.num_vars())),
                    "{vars:?} in columns of 2^{m}"
                );
            }
            for (j, t) in tables.iter().enumerate() {
                let z: Vec<E> = (0..vars[j]).map(|_| E::rand(&mut rng)).collect();
                assert_eq!(
                    evaluate_base::<F, E>(&packed, &p.point(j, &z)),
                    evaluate_base::<F, E>(t, &z)
                );
            }
        }
    }

    /// Segments and free blocks tile the table, and the selectors split the packed polynomial.
    #[test]
    fn selectors_and_free_blocks_split_the_packed_polynomial() {
        let mut rng = ark_std::test_rng();
        for vars in [
            vec![3],
            vec![0, 0, 0],
            vec![2, 5, 0, 3, 3, 1],
            vec![4, 1],
            vec![],
        ] {
            let p = Packing::new(&vars);
            let n = p.num_vars();
            let mut covered = vec![0u8; 1 << n];
            for j in 0..vars.len() {
                covered[p.offset(j)..p.offset(j) + (1 << vars[j])]
                    .iter_mut()
                    .for_each(|c| *c += 1);
            }
            let free = p.free_blocks();
            for &(o, v) in &free {
                assert_eq!(o % (1 << v), 0, "aligned");
                covered[o..o + (1 << v)].iter_mut().for_each(|c| *c += 1);
            }
            assert!(covered.iter().all(|&c| c == 1), "{vars:?}: {covered:?}");
            let packed: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
            let z: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
            let mut sum = E::from(0u64);
            for j in 0..vars.len() {
                let seg = p.segment(&packed, j);
                sum += p.selector(j, &z) * evaluate_base::<F, E>(seg, &z[..vars[j]]);
            }
            for &(o, v) in &free {
                let block = &packed[o..o + (1 << v)];
                sum += block_selector(o, v, &z) * evaluate_base::<F, E>(block, &z[..v]);
            }
            assert_eq!(sum, evaluate_base::<F, E>(&packed, &z));
        }
    }

    /// Segments in zero-padded blocks: each segment's entries start its block, the rest of the
    /// block is zero, so the block's extension at `(z, s)` is `eq(0, s)·t̃(z)` for any `s`;
    /// `point` reads the segment with the padding coordinates zero; the entries' selectors and
    /// the free blocks split a table packed so.
    #[test]
    fn blocks_pad_segments_with_zeros() {
        let mut rng = ark_std::test_rng();
        for (vars, min_block) in [
            (vec![3], 5),
            (vec![0, 0, 0], 2),
            (vec![2, 5, 0, 3, 3, 1], 3),
            (vec![6, 1], 4),
        ] {
            let p = Packing::with_blocks(&vars, min_block);
            let n = p.num_vars();
            let tables: Vec<Vec<F>> = vars
                .iter()
                .map(|&v| (0..1 << v).map(|_| F::rand(&mut rng)).collect())
                .collect();
            let packed = p.pack(&tables);
            assert_eq!(p.pack_columns(&tables, n), vec![packed.clone()]);
            let mut covered = vec![0u8; 1 << n];
            for (j, t) in tables.iter().enumerate() {
                let b = p.block_vars(j);
                assert_eq!(b, vars[j].max(min_block));
                assert_eq!(p.offset(j) % (1 << b), 0, "aligned to its block");
                assert_eq!(p.segment(&packed, j), &t[..]);
                let block = &packed[p.offset(j)..p.offset(j) + (1 << b)];
                assert!(block[t.len()..].iter().all(|x| *x == F::from(0u64)));
                covered[p.offset(j)..p.offset(j) + (1 << b)]
                    .iter_mut()
                    .for_each(|c| *c += 1);
                let z: Vec<E> = (0..vars[j]).map(|_| E::rand(&mut rng)).collect();
                let s: Vec<E> = (vars[j]..b).map(|_| E::rand(&mut rng)).collect();
                let eq0: E = s.iter().map(|&c| E::from(1u64) - c).product();
                let whole = [&z[..], &s[..]].concat();
                assert_eq!(
                    evaluate_base::<F, E>(&packed, &p.block_point(j, &whole)),
                    eq0 * evaluate_base::<F, E>(t, &z)
                );
                assert_eq!(
                    evaluate_base::<F, E>(&packed, &p.point(j, &z)),
                    evaluate_base::<F, E>(t, &z)
                );
            }
            for &(o, v) in &p.free_blocks() {
                covered[o..o + (1 << v)].iter_mut().for_each(|c| *c += 1);
            }
            assert!(covered.iter().all(|&c| c == 1), "{vars:?}: {covered:?}");
            let z: Vec<E> = (0..n).map(|_| E::rand(&mut rng)).collect();
            let sum: E = (0..vars.len())
                .map(|j| {
                    p.entries_selector(j, &z) * evaluate_base::<F, E>(&tables[j], &z[..vars[j]])
                })
                .sum();
            assert_eq!(sum, evaluate_base::<F, E>(&packed, &z));
        }
    }

    #[test]
    fn combined_eq_of_segment_points_matches_the_dense_table() {
        let mut rng = ark_std::test_rng();
        let p = Packing::new(&[3, 1, 2, 0]);
        let n = p.num_vars();
        let mut points: Vec<Vec<E>> = (0..4)
            .map(|j| {
                let z: Vec<E> = (0..p.vars(j)).map(|_| E::rand(&mut rng)).collect();
                p.point(j, &z)
            })
            .collect();
        points.push((0..n).map(|_| E::rand(&mut rng)).collect());
        for first in 0..points.len() {
            let mut pts = points.clone();
            pts.swap(0, first);
            let coeffs: Vec<E> = (0..pts.len()).map(|_| E::rand(&mut rng)).collect();
            let g = combined_eq(&pts, &coeffs, n);
            for (x, &gx) in g.iter().enumerate() {
                let xb: Vec<E> = (0..n).map(|k| E::from(((x >> k) & 1) as u64)).collect();
                let want: E = pts
                    .iter()
                    .zip(&coeffs)
                    .map(|(z, &c)| c * eq_eval(z, &xb))
                    .sum();
                assert_eq!(gx, want);
            }
        }
    }
}
