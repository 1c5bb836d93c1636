//! What the command line shows people: sizes and durations in readable units, and a spinner on
//! stderr during long steps (only when stderr is a terminal and the output is not `--json`).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// `1536` → `1.5 KiB`.
pub fn bytes(n: usize) -> String {
    bytes_f64(n as f64)
}

/// [`bytes`] for sizes that may not fit a `usize`.
pub fn bytes_f64(n: f64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024.0 {
        return format!("{n} B");
    }
    let mut v = n / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// `0.0123 s` → `12.3 ms`; `2.5 s` → `2.50 s`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// Milliseconds, for JSON output.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Shows progress on stderr, if wanted and stderr is a terminal.
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// A progress display, hidden when `quiet` (for `--json`) or when stderr is not a terminal.
    pub fn new(quiet: bool) -> Self {
        Progress {
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Runs `f` under a spinner labelled `label`, and returns its result and how long it took.
    pub fn step<T>(&self, label: &str, f: impl FnOnce() -> T) -> (T, Duration) {
        let bar = if self.enabled {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
                bar.set_style(style);
            }
            bar.set_message(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            Some(bar)
        } else {
            None
        };
        let start = Instant::now();
        let out = f();
        let took = start.elapsed();
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        (out, took)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
        assert_eq!(duration(Duration::from_micros(250)), "250 µs");
        assert_eq!(duration(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(duration(Duration::from_millis(2_500)), "2.50 s");
    }
}
