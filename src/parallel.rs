//! The one place that knows about rayon. With the `parallel` feature (on by default) loops over
//! at least [`PAR_THRESHOLD`] items are split across threads; below it, and without the feature,
//! they run serially. Callers never `use rayon` directly.

use std::ops::Range;

/// Below this many items a loop stays serial: splitting costs more than it saves.
pub const PAR_THRESHOLD: usize = 1 << 12;

/// Threads that parallel loops use (1 without the `parallel` feature).
pub fn num_threads() -> usize {
    #[cfg(feature = "parallel")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "parallel"))]
    1
}

/// Calls `f` on consecutive chunks of `len` items of `t` (the last may be shorter), in parallel
/// when the feature is on.
pub fn for_each_fixed_chunk_mut<T: Send>(
    t: &mut [T],
    len: usize,
    f: impl Fn(&mut [T]) + Sync + Send,
) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        t.par_chunks_mut(len).for_each(f);
    }
    #[cfg(not(feature = "parallel"))]
    t.chunks_mut(len).for_each(f);
}

/// Calls `f(index, chunk)` on consecutive chunks of `len` items of `t` (the last may be
/// shorter; `index` counts chunks), in parallel when the feature is on. No size threshold: the
/// caller picks `len` so that each chunk is worth a task.
pub fn for_each_indexed_chunk_mut<T: Send>(
    t: &mut [T],
    len: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        t.par_chunks_mut(len).enumerate().for_each(|(i, c)| f(i, c));
    }
    #[cfg(not(feature = "parallel"))]
    t.chunks_mut(len).enumerate().for_each(|(i, c)| f(i, c));
}

/// Calls `f(start, a_chunk, b_chunk)` on matching chunks of two equally long slices (`start`
/// is the chunks' first index), in parallel above the threshold.
pub fn join_chunks<T: Send>(
    a: &mut [T],
    b: &mut [T],
    f: impl Fn(usize, &mut [T], &mut [T]) + Sync + Send,
) {
    #[cfg(feature = "parallel")]
    if a.len() >= PAR_THRESHOLD {
        use rayon::prelude::*;
        let size = a
            .len()
            .div_ceil(rayon::current_num_threads() * 4)
            .max(PAR_THRESHOLD / 4);
        a.par_chunks_mut(size)
            .zip(b.par_chunks_mut(size))
            .enumerate()
            .for_each(|(c, (x, y))| f(c * size, x, y));
        return;
    }
    f(0, a, b)
}

/// Runs `a` and `b`, in parallel when the feature is on.
pub fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    #[cfg(feature = "parallel")]
    return rayon::join(a, b);
    #[cfg(not(feature = "parallel"))]
    (a(), b())
}

/// The first item of `range` (in order) that satisfies `pred`, searched in parallel when the
/// feature is on; the same answer either way.
pub fn find_first(
    range: std::ops::Range<u64>,
    pred: impl Fn(&u64) -> bool + Sync + Send,
) -> Option<u64> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        range.into_par_iter().find_first(pred)
    }
    #[cfg(not(feature = "parallel"))]
    range.into_iter().find(pred)
}

/// `(0..n).map(f).collect()`, in parallel above the threshold; writes each entry once (no
/// zero-fill pass first).
pub fn collect_indexed<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    #[cfg(feature = "parallel")]
    if n >= PAR_THRESHOLD {
        use rayon::prelude::*;
        return (0..n).into_par_iter().map(f).collect();
    }
    (0..n).map(f).collect()
}

/// Scatter-adds into two zeroed tables of `len` entries: `f(range, a, b)` adds the
/// contributions of the items in `range`. With the `parallel` feature and several threads,
/// each thread fills private tables for its share of `0..n` and the copies are summed after.
pub fn scatter_add2<T>(
    len: usize,
    n: usize,
    f: impl Fn(Range<usize>, &mut [T], &mut [T]) + Sync + Send,
) -> (Vec<T>, Vec<T>)
where
    T: Copy + Send + Sync + Default + std::ops::AddAssign,
{
    #[cfg(feature = "parallel")]
    if n >= PAR_THRESHOLD && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        let parts = rayon::current_num_threads();
        let size = n.div_ceil(parts);
        let partial: Vec<(Vec<T>, Vec<T>)> = (0..parts)
            .into_par_iter()
            .map(|p| {
                let (mut a, mut b) = (vec![T::default(); len], vec![T::default(); len]);
                f(p * size..((p + 1) * size).min(n), &mut a, &mut b);
                (a, b)
            })
            .collect();
        let mut it = partial.into_iter();
        let (mut a, mut b) = it
            .next()
            .unwrap_or_else(|| (vec![T::default(); len], vec![T::default(); len]));
        for (pa, pb) in it {
            for (acc, part) in [(&mut a, pa), (&mut b, pb)] {
                acc.par_iter_mut()
                    .zip(part.par_iter())
                    .with_min_len(PAR_THRESHOLD)
                    .for_each(|(x, y)| *x += *y);
            }
        }
        return (a, b);
    }
    let (mut a, mut b) = (vec![T::default(); len], vec![T::default(); len]);
    f(0..n, &mut a, &mut b);
    (a, b)
}

/// Splits `0..n` into ranges, maps each with `map` and combines the results with `reduce`.
/// `reduce` must be associative; the split depends on the thread count, so results that are not
/// exactly associative (none in a field) could differ between builds.
pub fn map_reduce<T, M, R>(n: usize, map: M, reduce: R) -> T
where
    T: Send,
    M: Fn(Range<usize>) -> T + Sync + Send,
    R: Fn(T, T) -> T + Sync + Send,
{
    #[cfg(feature = "parallel")]
    if n >= PAR_THRESHOLD {
        use rayon::prelude::*;
        let chunks = (rayon::current_num_threads() * 4)
            .min(n / (PAR_THRESHOLD / 4))
            .max(1);
        let size = n.div_ceil(chunks);
        return (0..chunks)
            .into_par_iter()
            .map(|c| map(c * size..((c + 1) * size).min(n)))
            .reduce_with(&reduce)
            .unwrap_or_else(|| map(0..0));
    }
    let _ = &reduce;
    map(0..n)
}

/// Splits `0..n` into one range per thread (a single range below [`PAR_THRESHOLD`] or without
/// the feature), maps each with `map` and combines the results in order with `reduce`. For maps
/// whose result is large (a histogram), where [`map_reduce`]'s finer split would build one per
/// chunk.
pub fn map_reduce_per_thread<T, M, R>(n: usize, map: M, reduce: R) -> T
where
    T: Send,
    M: Fn(Range<usize>) -> T + Sync + Send,
    R: Fn(T, T) -> T + Sync + Send,
{
    #[cfg(feature = "parallel")]
    if n >= PAR_THRESHOLD && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        let parts = rayon::current_num_threads();
        let size = n.div_ceil(parts);
        return (0..parts)
            .into_par_iter()
            .map(|c| map((c * size).min(n)..((c + 1) * size).min(n)))
            .reduce_with(&reduce)
            .unwrap_or_else(|| map(0..0));
    }
    let _ = &reduce;
    map(0..n)
}

/// Calls `map(c, chunk)` on consecutive chunks of `len` items of `t` (chunk `c` starts at item
/// `c·len`; the last may be shorter) and combines the results in order with `reduce`; in
/// parallel when the feature is on. `None` when `t` is empty.
pub fn map_reduce_chunks_mut<T, R, M, Red>(
    t: &mut [T],
    len: usize,
    map: M,
    reduce: Red,
) -> Option<R>
where
    T: Send,
    R: Send,
    M: Fn(usize, &mut [T]) -> R + Sync + Send,
    Red: Fn(R, R) -> R + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        t.par_chunks_mut(len.max(1))
            .enumerate()
            .map(|(c, chunk)| map(c, chunk))
            .reduce_with(reduce)
    }
    #[cfg(not(feature = "parallel"))]
    t.chunks_mut(len.max(1))
        .enumerate()
        .map(|(c, chunk)| map(c, chunk))
        .reduce(reduce)
}

/// Calls `f(start, chunk)` on consecutive chunks of `out`, where `start` is the index of the
/// chunk's first element; in parallel above the threshold.
pub fn for_each_chunk_mut<T, G>(out: &mut [T], f: G)
where
    T: Send,
    G: Fn(usize, &mut [T]) + Sync + Send,
{
    #[cfg(feature = "parallel")]
    if out.len() >= PAR_THRESHOLD {
        use rayon::prelude::*;
        let chunks = rayon::current_num_threads() * 4;
        let size = out.len().div_ceil(chunks).max(PAR_THRESHOLD / 4);
        out.par_chunks_mut(size)
            .enumerate()
            .for_each(|(c, chunk)| f(c * size, chunk));
        return;
    }
    f(0, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_reduce_covers_every_index_once() {
        for n in [0usize, 1, 7, PAR_THRESHOLD - 1, PAR_THRESHOLD, 100_003] {
            let s = map_reduce(n, |r| r.map(|i| i as u64).sum::<u64>(), |a, b| a + b);
            assert_eq!(s, (n as u64) * (n as u64).saturating_sub(1) / 2);
        }
    }

    #[test]
    fn chunks_cover_every_index_once() {
        for n in [0usize, 5, PAR_THRESHOLD, 70_001] {
            let mut v = vec![0usize; n];
            for_each_chunk_mut(&mut v, |start, c| {
                for (i, x) in c.iter_mut().enumerate() {
                    *x += start + i;
                }
            });
            assert!(v.iter().enumerate().all(|(i, &x)| x == i));
        }
    }
}
