//! The `zkcnn` command line; see `zkcnn --help` and the `cli` module.

mod cli;

#[cfg(feature = "mimalloc")]
mod allocator;

fn main() -> std::process::ExitCode {
    #[cfg(feature = "mimalloc")]
    allocator::keep_freed_memory();
    cli::run()
}
