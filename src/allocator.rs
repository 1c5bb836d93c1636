//! The global allocator of the `zkcnn` binary, its benches and its examples (not part of the
//! library, which sets none and forbids `unsafe`): mimalloc, told to keep the memory a program
//! frees instead of returning it to the operating system.
//!
//! A prover frees and reallocates tables of hundreds of MiB from one phase to the next. By
//! default mimalloc purges freed memory after a delay (`madvise`), and the next allocation
//! faults the pages in again, zeroed by the kernel: on this project's virtual machines that was
//! half of a zero-knowledge VGG-16 run's samples (`clear_page_erms` under
//! `do_huge_pmd_anonymous_page`, perf, 2026-12-05) and 50,176 page faults over a commitment and
//! three proofs, against 2,056 with purging off. The cost: the process keeps its peak memory
//! until it exits.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`: its index in the option enums of mimalloc v2 and v3
/// (`mimalloc.h`; `libmimalloc-sys` names no constant for it).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Turns mimalloc's purging off (`-1`: never). Call first thing in `main`, before any thread
/// is spawned (mimalloc's option setters are not thread-safe).
#[allow(dead_code)] // not every root that includes this file calls it
pub fn keep_freed_memory() {
    // SAFETY: `mi_option_set` writes one integer option of the allocator; the index is the
    // purge delay's in the mimalloc this crate links (checked against its headers), and no
    // other thread exists yet to race on it.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}
