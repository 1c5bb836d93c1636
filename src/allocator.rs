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

/// The purge delay's defaults (milliseconds): mimalloc v2's and v3's.
const PURGE_DELAY_DEFAULTS: [std::ffi::c_long; 2] = [10, 1000];

/// Turns mimalloc's purging off (`-1`: never). Call first thing in `main`, before any thread
/// is spawned (mimalloc's option setters are not thread-safe). Does nothing unless the linked
/// mimalloc is v2 or v3 and the option still holds its default: a later mimalloc whose enum
/// moved is left alone, and so is a delay the user set (`MIMALLOC_PURGE_DELAY`).
#[allow(dead_code)] // not every root that includes this file calls it
pub fn keep_freed_memory() {
    // SAFETY: `mi_version` and `mi_option_get` read the allocator's version and one integer
    // option (initializing it from the environment), `mi_option_set` writes it; the index is
    // the purge delay's in mimalloc v2 and v3 (checked against their headers, and guarded by the
    // version and the default above), and no other thread exists yet to race on it.
    unsafe {
        let major = libmimalloc_sys::mi_version() / 10_000;
        if matches!(major, 2 | 3)
            && PURGE_DELAY_DEFAULTS.contains(&libmimalloc_sys::mi_option_get(PURGE_DELAY))
        {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
        }
    }
}
