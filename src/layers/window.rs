//! One-dimensional index maps of convolution and pooling.
//!
//! `M(d, o, i) = 1` when `i = o·s + d − p` with `d < k`, `o < out`, `0 ≤ i < in`, else 0: the
//! input position that kernel offset `d` reads for output position `o`. A 2-D map is the
//! product of a vertical and a horizontal one. The verifier evaluates `M̃(r_d, r_o, r_i)` as
//! `Σ_{valid (d, o)} eq(r_d, d)·eq(r_o, o)·eq(r_i, i)`: `O(k·out)` work after three small `eq`
//! tables. With the offset summed out (`d` not a variable), the same holds for window sums.

use crate::field::MulAcc;
use crate::poly::eq_table;

/// The map `i = o·stride + d − pad` on `[0, k) × [0, out) → [0, input)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Kernel (window) size.
    pub k: usize,
    /// Stride.
    pub stride: usize,
    /// Padding before the first input position.
    pub pad: usize,
    /// Input length.
    pub input: usize,
    /// Output length.
    pub output: usize,
}

impl Window {
    /// The valid `(d, o, i)` triples, output position outermost.
    pub fn triples(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.output).flat_map(move |o| {
            (0..self.k).filter_map(move |d| {
                let i = (o * self.stride + d).checked_sub(self.pad)?;
                (i < self.input).then_some((d, o, i))
            })
        })
    }

    /// The table `i ↦ Σ_{d,o} wd[d]·wo[o]·M(d, o, i)` over `in_len` entries; `wd = None` sums
    /// the offsets with weight 1.
    pub fn table<E: MulAcc>(&self, wd: Option<&[E]>, wo: &[E], in_len: usize) -> Vec<E> {
        let mut t = vec![E::ZERO; in_len];
        for (d, o, i) in self.triples() {
            let w = match wd {
                Some(wd) => wd.get(d).copied().unwrap_or(E::ZERO),
                None => E::ONE,
            };
            if let (Some(ti), Some(&wo)) = (t.get_mut(i), wo.get(o)) {
                *ti += w * wo;
            }
        }
        t
    }

    /// The table `i ↦ Σ_o wo[o]·M(d, o, i)` over `in_len` entries, for one offset `d`.
    pub fn table_at<E: MulAcc>(&self, d: usize, wo: &[E], in_len: usize) -> Vec<E> {
        let mut t = vec![E::ZERO; in_len];
        for (_, o, i) in self.triples().filter(|&(e, _, _)| e == d) {
            if let (Some(ti), Some(&wo)) = (t.get_mut(i), wo.get(o)) {
                *ti += wo;
            }
        }
        t
    }

    /// `M̃(d, ro, ri)` for every offset `d < k` (at the boolean `d`): `O(k·out)` after two `eq`
    /// tables.
    pub fn evaluate_offsets<E: MulAcc>(&self, ro: &[E], ri: &[E]) -> Vec<E> {
        let (eo, ei) = (eq_table(ro), eq_table(ri));
        let mut out = vec![E::ZERO; self.k];
        for (d, o, i) in self.triples() {
            if let (Some(v), Some(&a), Some(&b)) = (out.get_mut(d), eo.get(o), ei.get(i)) {
                *v += a * b;
            }
        }
        out
    }

    /// `Σ_o eq(ro, o)·[(d, o) reads a real input position]` for every offset `d < k`: the
    /// multilinear extension in `o` of "offset `d` of output `o` is inside the input".
    pub fn real_offsets<E: MulAcc>(&self, ro: &[E]) -> Vec<E> {
        let eo = eq_table(ro);
        let mut out = vec![E::ZERO; self.k];
        for (d, o, _) in self.triples() {
            if let (Some(v), Some(&a)) = (out.get_mut(d), eo.get(o)) {
                *v += a;
            }
        }
        out
    }

    /// `M̃(rd, ro, ri)` (`rd = None`: the offsets summed out).
    pub fn evaluate<E: MulAcc>(&self, rd: Option<&[E]>, ro: &[E], ri: &[E]) -> E {
        let ed = rd.map(eq_table);
        let eo = eq_table(ro);
        let ei = eq_table(ri);
        self.triples()
            .map(|(d, o, i)| {
                let wd = match &ed {
                    Some(ed) => ed.get(d).copied().unwrap_or(E::ZERO),
                    None => E::ONE,
                };
                wd * eo.get(o).copied().unwrap_or(E::ZERO) * ei.get(i).copied().unwrap_or(E::ZERO)
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::GoldilocksExt2 as E;
    use crate::layers::ceil_log2;
    use ark_ff::{One, Zero};
    use ark_std::UniformRand;

    fn bits(x: usize, n: usize) -> Vec<E> {
        (0..n)
            .map(|k| {
                if (x >> k) & 1 == 1 {
                    E::one()
                } else {
                    E::zero()
                }
            })
            .collect()
    }

    #[test]
    fn evaluation_matches_the_table_and_the_map() {
        let mut rng = ark_std::test_rng();
        for w in [
            Window {
                k: 3,
                stride: 1,
                pad: 1,
                input: 8,
                output: 8,
            },
            Window {
                k: 5,
                stride: 1,
                pad: 0,
                input: 14,
                output: 10,
            },
            Window {
                k: 2,
                stride: 2,
                pad: 0,
                input: 5,
                output: 2,
            },
            Window {
                k: 3,
                stride: 2,
                pad: 1,
                input: 7,
                output: 4,
            },
        ] {
            let (vd, vo, vi) = (ceil_log2(w.k), ceil_log2(w.output), ceil_log2(w.input));
            let rd: Vec<E> = (0..vd).map(|_| E::rand(&mut rng)).collect();
            let ro: Vec<E> = (0..vo).map(|_| E::rand(&mut rng)).collect();
            let ri: Vec<E> = (0..vi).map(|_| E::rand(&mut rng)).collect();
            for rd in [Some(rd.as_slice()), None] {
                let ed = rd.map(eq_table);
                let t = w.table(ed.as_deref(), &eq_table(&ro), 1 << vi);
                let direct: E = t.iter().zip(eq_table(&ri)).map(|(a, b)| *a * b).sum();
                assert_eq!(direct, w.evaluate(rd, &ro, &ri));
            }
            // At boolean points the extension is the map itself.
            for d in 0..1 << vd {
                for o in 0..1 << vo {
                    for i in 0..1 << vi {
                        let hit =
                            d < w.k && o < w.output && i < w.input && o * w.stride + d == i + w.pad;
                        let want = if hit { E::one() } else { E::zero() };
                        let got = w.evaluate(Some(&bits(d, vd)), &bits(o, vo), &bits(i, vi));
                        assert_eq!(got, want, "{w:?} d={d} o={o} i={i}");
                    }
                }
            }
        }
    }
}
