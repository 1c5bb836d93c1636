//! The binary weights file of a split model: the integer weights and biases of every Conv2d
//! and Dense layer, little-endian, next to a JSON architecture (`spec/model-format.md`).
//!
//! ```text
//!   offset  bytes
//!   0       8      magic "ZKCNNWTS"
//!   8       2      format version (u16), VERSION
//!   10      1      weight width in bytes: 1, 2, 4 or 8
//!   11      1      bias width in bytes: 1, 2, 4 or 8
//!   12      4      L: entries, one per Conv2d or Dense layer, in layer order (u32)
//!   16      8      numbers: the weights and biases of every entry (u64)
//!   24      32     blake3 of the architecture JSON (Model::architecture_json)
//!   56      16·L   per entry: layer index (u32), weight count (u64), bias count (u32)
//!   …              per entry: its weights (count × weight width), then its biases (count ×
//!                  bias width), each a two's-complement little-endian integer
//!   end − 32  32   blake3 of every byte before it
//! ```
//!
//! [`write()`] picks the narrowest widths the IR allows: one byte for weights when
//! `weight_bits ≤ 8`, two up to 16 ([`MAX_BITS`](super::validate::MAX_BITS)); four bytes for
//! biases (32-bit by the IR). [`read`] checks the header against the architecture — entry count,
//! each entry's layer and counts, the total, the file's length — before it allocates anything,
//! then streams the values (hashing them as it goes), checks the checksum, and validates the
//! assembled model ([`Model::validate`]: value ranges). Every failure is a [`WeightsError`];
//! no input makes it panic or allocate more than the architecture's parameters.

use super::ir::{Layer, LayerKind, Model};
use super::validate::{ModelError, MAX_LAYERS};
use std::io::{self, Read, Write};
use std::path::Path;

/// The first bytes of every weights file.
pub const MAGIC: [u8; 8] = *b"ZKCNNWTS";
/// The weights file's format version.
pub const VERSION: u16 = 1;
/// The most weights and biases a weights file may hold: `2^28`, the largest model table the
/// network commits (`network::MAX_TABLE_VARS`); 2 GiB once read as `i64`.
pub const MAX_NUMBERS: u64 = 1 << 28;
/// Bytes of the fixed header (before the entries).
pub const HEADER_BYTES: u64 = 56;
/// Bytes of one entry of the layer table.
pub const ENTRY_BYTES: u64 = 16;
/// Bytes of the trailing checksum.
pub const CHECKSUM_BYTES: u64 = 32;

/// Why a weights file was refused (the caller names the file).
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file could not be read or written.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The first bytes are not [`MAGIC`].
    #[error("not a zkcnn weights file (it does not start with \"ZKCNNWTS\")")]
    NotWeights,
    /// Another format version.
    #[error("weights format version {found}; this build reads version {VERSION}")]
    Version {
        /// The file's version.
        found: u16,
    },
    /// A width other than 1, 2, 4 or 8 bytes.
    #[error("{what} width is {width} bytes; it must be 1, 2, 4 or 8")]
    Width {
        /// "weight" or "bias".
        what: &'static str,
        /// The width in the header.
        width: u8,
    },
    /// The model (or the header) holds more numbers than [`MAX_NUMBERS`].
    #[error("{what} {numbers} weights and biases; the limit is {MAX_NUMBERS}")]
    TooLarge {
        /// "the header claims" or "the architecture has".
        what: &'static str,
        /// The count.
        numbers: u64,
    },
    /// The file's entry count differs from the architecture's Conv2d and Dense layers.
    #[error("the file has weights for {file} layers; the architecture has {architecture} layers with weights (Conv2d, Dense)")]
    Layers {
        /// Entries in the file.
        file: u64,
        /// Layers with weights in the architecture.
        architecture: usize,
    },
    /// An entry disagrees with the architecture's layer.
    #[error("entry {entry} of the file is {field} {file}; the architecture's layer {layer} ({kind}) needs {architecture}")]
    Entry {
        /// The entry's position in the file's table.
        entry: usize,
        /// The architecture's layer it should describe.
        layer: usize,
        /// That layer's kind.
        kind: LayerKind,
        /// "for layer", "weights" or "biases".
        field: &'static str,
        /// The file's value.
        file: u64,
        /// The architecture's value.
        architecture: u64,
    },
    /// The header's total differs from the sum of its entries.
    #[error("the header counts {header} numbers; its entries hold {entries}")]
    Total {
        /// The header's count.
        header: u64,
        /// The entries' sum.
        entries: u64,
    },
    /// The file is shorter than its header says.
    #[error("the file is truncated: {len} bytes; its header and the architecture need {expected}")]
    Truncated {
        /// The file's length (or the bytes read before it ended).
        len: u64,
        /// The length needed.
        expected: u64,
    },
    /// The file is longer than its header says.
    #[error("the file has {len} bytes; its header and the architecture need {expected} (bytes after the checksum)")]
    TrailingBytes {
        /// The file's length.
        len: u64,
        /// The length needed.
        expected: u64,
    },
    /// The weights were written for an architecture with the same layer sizes but other
    /// parameters (name, shifts, bit widths, quantization, pooling).
    #[error("the weights were written for another architecture (the layer sizes agree, but the architecture's digest differs: name, shifts, bit widths, pooling or quantization)")]
    Architecture,
    /// The checksum does not match the bytes: the file is corrupt.
    #[error(
        "checksum mismatch: the file is corrupt (stored blake3 {stored}…, computed {computed}…)"
    )]
    Checksum {
        /// The first bytes of the stored checksum, in hex.
        stored: String,
        /// The first bytes of the computed one, in hex.
        computed: String,
    },
    /// The weights and biases read make an invalid model (a value outside its range), or the
    /// model to write is invalid.
    #[error("{0}")]
    Model(#[from] ModelError),
}

/// A Conv2d or Dense layer's index, weights and biases.
fn parameters(model: &Model) -> impl Iterator<Item = (usize, LayerKind, &[i64], &[i64])> {
    model
        .layers
        .iter()
        .enumerate()
        .filter_map(|(i, layer)| match layer {
            Layer::Conv2d(c) => Some((i, layer.kind(), &c.weights[..], &c.bias[..])),
            Layer::Dense(d) => Some((i, layer.kind(), &d.weights[..], &d.bias[..])),
            _ => None,
        })
}

/// The counts the architecture needs: `(layer, kind, weights, biases)` per Conv2d or Dense
/// layer. The architecture must be valid (its products then fit in `usize`).
fn needed(architecture: &Model) -> Vec<(usize, LayerKind, u64, u64)> {
    architecture
        .layers
        .iter()
        .enumerate()
        .filter_map(|(i, layer)| match layer {
            Layer::Conv2d(c) => Some((
                i,
                layer.kind(),
                (c.out_channels as u64)
                    .saturating_mul(c.group_in() as u64)
                    .saturating_mul(c.kernel[0] as u64)
                    .saturating_mul(c.kernel[1] as u64),
                c.out_channels as u64,
            )),
            Layer::Dense(d) => Some((
                i,
                layer.kind(),
                (d.out_features as u64).saturating_mul(d.in_features as u64),
                d.out_features as u64,
            )),
            _ => None,
        })
        .collect()
}

/// The narrowest width (1, 2, 4 or 8 bytes) of a `bits`-bit two's-complement integer.
fn width_for(bits: u32) -> u8 {
    match bits {
        0..=8 => 1,
        9..=16 => 2,
        17..=32 => 4,
        _ => 8,
    }
}

/// blake3 of the architecture JSON, as the header holds it.
fn architecture_digest(model: &Model) -> [u8; 32] {
    *blake3::hash(model.architecture_json().as_bytes()).as_bytes()
}

/// A writer that hashes what it writes.
struct Hashing<W> {
    inner: W,
    hasher: blake3::Hasher,
    written: u64,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.written += bytes.len() as u64;
        self.inner.write_all(bytes)
    }
}

/// Values as `width`-byte little-endian integers, in chunks.
fn put_values<W: Write>(out: &mut Hashing<W>, values: &[i64], width: u8) -> io::Result<()> {
    let w = usize::from(width);
    let mut buf = Vec::with_capacity(w * values.len().min(1 << 16));
    for chunk in values.chunks(1 << 16) {
        buf.clear();
        for v in chunk {
            buf.extend_from_slice(&v.to_le_bytes()[..w]);
        }
        out.put(&buf)?;
    }
    Ok(())
}

/// Writes the weights file of `model` (which must be valid, weights included) and returns its
/// length in bytes.
pub fn write<W: Write>(model: &Model, out: W) -> Result<u64, WeightsError> {
    model.validate()?;
    let layers: Vec<_> = parameters(model).collect();
    let numbers: u64 = layers
        .iter()
        .map(|(_, _, w, b)| (w.len() + b.len()) as u64)
        .sum();
    if numbers > MAX_NUMBERS {
        return Err(WeightsError::TooLarge {
            what: "the model has",
            numbers,
        });
    }
    let (ww, bw) = (width_for(model.weight_bits), 4);
    let mut out = Hashing {
        inner: out,
        hasher: blake3::Hasher::new(),
        written: 0,
    };
    let mut head = Vec::with_capacity(HEADER_BYTES as usize + layers.len() * 16);
    head.extend_from_slice(&MAGIC);
    head.extend_from_slice(&VERSION.to_le_bytes());
    head.extend_from_slice(&[ww, bw]);
    // The layer count is at most MAX_LAYERS (validated).
    head.extend_from_slice(&(layers.len() as u32).to_le_bytes());
    head.extend_from_slice(&numbers.to_le_bytes());
    head.extend_from_slice(&architecture_digest(model));
    for (i, _, w, b) in &layers {
        head.extend_from_slice(&(*i as u32).to_le_bytes());
        head.extend_from_slice(&(w.len() as u64).to_le_bytes());
        // Biases are one per output channel or feature, below 2^32 in any model that fits
        // MAX_NUMBERS.
        head.extend_from_slice(&(b.len() as u32).to_le_bytes());
    }
    out.put(&head)?;
    for (_, _, w, b) in &layers {
        put_values(&mut out, w, ww)?;
        put_values(&mut out, b, bw)?;
    }
    let digest = *out.hasher.finalize().as_bytes();
    out.inner.write_all(&digest)?;
    out.inner.flush()?;
    Ok(out.written + CHECKSUM_BYTES)
}

/// Writes the weights file of `model` to `path` (buffered), returning its length.
pub fn write_file(model: &Model, path: &Path) -> Result<u64, WeightsError> {
    let file = std::fs::File::create(path)?;
    write(model, io::BufWriter::with_capacity(1 << 20, file))
}

/// A reader that hashes what it reads and counts it.
struct Hashed<R> {
    inner: R,
    hasher: blake3::Hasher,
    read: u64,
    /// The length the header and the architecture need (for the truncation message).
    expected: u64,
}

impl<R: Read> Hashed<R> {
    /// Exactly `buf.len()` bytes, hashed unless `hash` is false; an early end is
    /// [`WeightsError::Truncated`].
    fn take(&mut self, buf: &mut [u8], hash: bool) -> Result<(), WeightsError> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => {
                    return Err(WeightsError::Truncated {
                        len: self.read + filled as u64,
                        expected: self.expected,
                    })
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        if hash {
            self.hasher.update(buf);
        }
        self.read += buf.len() as u64;
        Ok(())
    }

    /// `count` values of `width` bytes each, sign-extended.
    fn values(&mut self, count: u64, width: u8) -> Result<Vec<i64>, WeightsError> {
        let w = usize::from(width);
        // `count` was checked against the architecture (at most MAX_NUMBERS in all) and the
        // file's length before this allocation.
        let count = usize::try_from(count).map_err(|_| WeightsError::TooLarge {
            what: "the architecture has",
            numbers: count,
        })?;
        let mut values = Vec::with_capacity(count);
        let mut buf = vec![0u8; w * count.min(1 << 16)];
        let mut left = count;
        while left > 0 {
            let n = left.min(1 << 16);
            let chunk = &mut buf[..n * w];
            self.take(chunk, true)?;
            values.extend(chunk.chunks_exact(w).map(sign_extend));
            left -= n;
        }
        Ok(values)
    }
}

/// A little-endian two's-complement integer of 1 to 8 bytes.
fn sign_extend(bytes: &[u8]) -> i64 {
    let mut full = [0u8; 8];
    let negative = bytes.last().is_some_and(|b| b & 0x80 != 0);
    if negative {
        full = [0xff; 8];
    }
    full[..bytes.len()].copy_from_slice(bytes);
    i64::from_le_bytes(full)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a weights file of `len` bytes for `architecture` (a valid architecture: see
/// [`Model::validate_architecture`]; its own weights, if any, are replaced) and returns the
/// model with its weights, validated.
pub fn read<R: Read>(architecture: &Model, input: R, len: u64) -> Result<Model, WeightsError> {
    let needed = needed(architecture);
    let numbers = needed.iter().fold(0u64, |n, &(_, _, w, b)| {
        n.saturating_add(w).saturating_add(b)
    });
    if numbers > MAX_NUMBERS {
        return Err(WeightsError::TooLarge {
            what: "the architecture has",
            numbers,
        });
    }
    let mut input = Hashed {
        inner: input,
        hasher: blake3::Hasher::new(),
        read: 0,
        expected: HEADER_BYTES,
    };
    let mut head = [0u8; HEADER_BYTES as usize];
    // The magic bytes first, so that another kind of file is named as such even when short.
    let magic_len = MAGIC.len().min(usize::try_from(len).unwrap_or(usize::MAX));
    input.take(&mut head[..magic_len], true)?;
    if head[..magic_len] != MAGIC[..magic_len] {
        return Err(WeightsError::NotWeights);
    }
    input.take(&mut head[magic_len..], true)?;
    let version = u16_at(&head, 8);
    if version != VERSION {
        return Err(WeightsError::Version { found: version });
    }
    let (ww, bw) = (head[10], head[11]);
    for (what, width) in [("weight", ww), ("bias", bw)] {
        if !matches!(width, 1 | 2 | 4 | 8) {
            return Err(WeightsError::Width { what, width });
        }
    }
    let entries = u32_at(&head, 12);
    let total = u64_at(&head, 16);
    if total > MAX_NUMBERS {
        return Err(WeightsError::TooLarge {
            what: "the header claims",
            numbers: total,
        });
    }
    if entries as usize != needed.len() || entries as usize > MAX_LAYERS {
        return Err(WeightsError::Layers {
            file: entries.into(),
            architecture: needed.len(),
        });
    }
    // Every count below is at most MAX_NUMBERS and the widths at most 8: no overflow.
    let body: u64 = needed
        .iter()
        .map(|&(_, _, w, b)| w * u64::from(ww) + b * u64::from(bw))
        .sum();
    let expected = HEADER_BYTES + ENTRY_BYTES * u64::from(entries) + body + CHECKSUM_BYTES;
    input.expected = expected;
    let mut table = vec![0u8; (ENTRY_BYTES as usize) * needed.len()];
    input.take(&mut table, true)?;
    for (entry, (&(layer, kind, w, b), bytes)) in needed
        .iter()
        .zip(table.chunks_exact(ENTRY_BYTES as usize))
        .enumerate()
    {
        let fields = [
            ("for layer", u64::from(u32_at(bytes, 0)), layer as u64),
            ("weights", u64_at(bytes, 4), w),
            ("biases", u64::from(u32_at(bytes, 12)), b),
        ];
        if let Some(&(field, file, architecture)) = fields.iter().find(|(_, f, a)| f != a) {
            return Err(WeightsError::Entry {
                entry,
                layer,
                kind,
                field,
                file,
                architecture,
            });
        }
    }
    if total != numbers {
        return Err(WeightsError::Total {
            header: total,
            entries: numbers,
        });
    }
    if head[24..56] != architecture_digest(architecture) {
        return Err(WeightsError::Architecture);
    }
    if len < expected {
        return Err(WeightsError::Truncated { len, expected });
    }
    if len > expected {
        return Err(WeightsError::TrailingBytes { len, expected });
    }
    let mut values = Vec::with_capacity(needed.len());
    for &(_, _, w, b) in &needed {
        let weights = input.values(w, ww)?;
        let bias = input.values(b, bw)?;
        values.push((weights, bias));
    }
    let computed = *input.hasher.finalize().as_bytes();
    let mut stored = [0u8; CHECKSUM_BYTES as usize];
    input.take(&mut stored, false)?;
    if stored != computed {
        return Err(WeightsError::Checksum {
            stored: hex(&stored[..8]),
            computed: hex(&computed[..8]),
        });
    }
    let mut extra = [0u8; 1];
    if input.inner.read(&mut extra).map_err(WeightsError::Io)? != 0 {
        return Err(WeightsError::TrailingBytes {
            len: expected + 1,
            expected,
        });
    }
    let mut model = architecture.clone();
    let mut values = values.into_iter();
    for layer in &mut model.layers {
        let (weights, bias) = match layer {
            Layer::Conv2d(c) => (&mut c.weights, &mut c.bias),
            Layer::Dense(d) => (&mut d.weights, &mut d.bias),
            _ => continue,
        };
        if let Some((w, b)) = values.next() {
            *weights = w;
            *bias = b;
        }
    }
    model.validate()?;
    Ok(model)
}

/// Reads the weights file at `path` for `architecture` ([`read`]).
pub fn read_file(architecture: &Model, path: &Path) -> Result<Model, WeightsError> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    read(
        architecture,
        io::BufReader::with_capacity(1 << 20, file),
        len,
    )
}
