//! A prover file's revealed counts written back in place (`spec/zk.md`, "Budget"): under an
//! exclusive lock on the file, so that provers running at once with one hiding commitment
//! (shards on a cluster, the CLI beside a Python process) neither lose each other's counts nor
//! pass the budget together. The CLI's `prove` and Python's `save_private` both write through
//! [`write_counts`].

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// How a revealed count is written back ([`write_counts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// A model commitment's, which provers running at once may share: this prover's share
    /// (its count less the count it loaded) is added to the count the file holds now (at least
    /// this prover's own count), refused past `budget`.
    Merge {
        /// The most all proofs together may reveal.
        budget: u64,
    },
    /// An input's or a dataset's: refused if the file's count changed since it was loaded
    /// (another proof on the same input meanwhile, whose spent check this one did not see).
    Exclusive,
}

/// Why [`write_counts`] wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CountError {
    /// The file could not be opened, locked or read.
    #[error("cannot read it: {0}")]
    Read(std::io::Error),
    /// The file could not be written.
    #[error("cannot write it: {0}")]
    Write(std::io::Error),
    /// The file does not hold this prover's bytes outside the counts: it was replaced (another
    /// commitment's, or not a prover file).
    #[error("it no longer holds the masks this prover used")]
    Replaced,
    /// A merged count would pass its budget.
    #[error("the budget is spent: {now} of {budget} mask values revealed, and this prover reveals {spent} more")]
    Budget {
        /// The count the file holds.
        now: u64,
        /// This prover's share.
        spent: u64,
        /// The budget.
        budget: u64,
    },
    /// An exclusive count changed since it was loaded.
    #[error("its count of revealed mask values changed since it was loaded")]
    Changed,
}

/// Writes a prover file's revealed counts back: `ours` is the file as this prover would write
/// it, `counts` each count's offset in it (8 bytes, little-endian), the count this prover
/// loaded, and how it is written back ([`Count`]). The file must hold `ours` but for its counts
/// (else [`CountError::Replaced`]). Nothing is written when any count is refused. Returns the
/// counts written, in order.
pub fn write_counts(
    path: &Path,
    ours: &[u8],
    counts: &[(usize, u64, Count)],
) -> Result<Vec<u64>, CountError> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(CountError::Read)?;
    // Released when `file` is dropped.
    file.lock().map_err(CountError::Read)?;
    let mut disk = Vec::with_capacity(ours.len());
    file.read_to_end(&mut disk).map_err(CountError::Read)?;
    let count_at = |bytes: &[u8], at: usize| -> Option<u64> {
        let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(u64::from_le_bytes(b))
    };
    let mut same = disk.len() == ours.len();
    let mut from = 0;
    for &(at, _, _) in counts {
        same &= disk.get(from..at) == ours.get(from..at);
        from = at.saturating_add(8);
    }
    same &= disk.get(from..) == ours.get(from..);
    if !same {
        return Err(CountError::Replaced);
    }
    let mut values = Vec::with_capacity(counts.len());
    for &(at, loaded, rule) in counts {
        let (Some(now), Some(mine)) = (count_at(&disk, at), count_at(ours, at)) else {
            return Err(CountError::Replaced);
        };
        let spent = mine.saturating_sub(loaded);
        let value = match rule {
            Count::Merge { budget } => {
                // Never below this prover's own count (a file restored from an older copy
                // meanwhile would otherwise lose proofs this prover knows of).
                let value = now.saturating_add(spent).max(mine);
                if value > budget {
                    return Err(CountError::Budget { now, spent, budget });
                }
                value
            }
            Count::Exclusive if now != loaded => return Err(CountError::Changed),
            Count::Exclusive => mine,
        };
        values.push((at, value));
    }
    for &(at, value) in &values {
        file.seek(SeekFrom::Start(at as u64))
            .and_then(|_| file.write_all(&value.to_le_bytes()))
            .map_err(CountError::Write)?;
    }
    file.sync_data().map_err(CountError::Write)?;
    Ok(values.into_iter().map(|(_, v)| v).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// `head ‖ count ‖ tail`.
    fn bytes(count: u64) -> Vec<u8> {
        let mut b = b"head....".to_vec();
        b.extend(count.to_le_bytes());
        b.extend(b"tail");
        b
    }

    #[test]
    fn merged_counts_add_shares_and_stop_at_the_budget() {
        let dir = std::env::temp_dir().join(format!("zkcnn-counts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Loaded at 10; another prover brought the file to 25; this one is at 14: 29.
        let p = file_with(&dir, "m", &bytes(25));
        let merge = |budget| [(8, 10, Count::Merge { budget })];
        assert_eq!(write_counts(&p, &bytes(14), &merge(100)).unwrap(), vec![29]);
        assert_eq!(std::fs::read(&p).unwrap(), bytes(29));
        // Past the budget: refused, nothing written.
        assert!(matches!(
            write_counts(&p, &bytes(14), &merge(30)),
            Err(CountError::Budget {
                now: 29,
                spent: 4,
                budget: 30
            })
        ));
        assert_eq!(std::fs::read(&p).unwrap(), bytes(29));
        // A file below the count it was loaded with (an older copy put back): this prover's
        // own count, not less.
        std::fs::write(&p, bytes(5)).unwrap();
        assert_eq!(write_counts(&p, &bytes(29), &merge(100)).unwrap(), vec![29]);
        // Other bytes outside the count: replaced.
        let mut other = bytes(14);
        other[0] = b'H';
        assert!(matches!(
            write_counts(&p, &other, &merge(100)),
            Err(CountError::Replaced)
        ));
        assert!(matches!(
            write_counts(&p, &bytes(14)[..10], &merge(100)),
            Err(CountError::Replaced)
        ));
        // Exclusive: written only if unchanged since loaded.
        let e = |loaded| [(8, loaded, Count::Exclusive)];
        assert!(matches!(
            write_counts(&p, &bytes(31), &e(20)),
            Err(CountError::Changed)
        ));
        assert_eq!(write_counts(&p, &bytes(31), &e(29)).unwrap(), vec![31]);
        assert!(matches!(
            write_counts(&dir.join("absent"), &bytes(1), &e(0)),
            Err(CountError::Read(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
