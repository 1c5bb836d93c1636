//! External data: tensors whose bytes live in a side file next to the model
//! (`data_location = EXTERNAL`), as torch's exporter writes them (`model.onnx.data`) and
//! `onnx.save(..., save_as_external_data=True)` does.
//!
//! A tensor's `external_data` entries say where: `location` (a file name relative to the
//! model's directory), `offset` and `length` (bytes, decimal strings; `offset` defaults to 0
//! and `length` to the tensor's size), `checksum` and `basepath` (ignored, as the `onnx`
//! package does). [`resolve`] reads every external tensor of the model (initializers and the
//! tensors of node attributes) into its `raw_data`, so the rest of the import sees embedded
//! tensors. Before anything is allocated or read:
//!
//! - the location must be relative and stay in the directory: no absolute path, no `..`
//!   component, and after symbolic links are followed the file must still lie in the model's
//!   directory and be a regular file;
//! - `length` must be the size that the tensor's `dims` and `data_type` need, and
//!   `offset + length` must lie within the file;
//! - all external tensors together take at most [`MAX_EXTERNAL_BYTES`].
//!
//! Each file is opened once (one at a time: tensors are read grouped by file) and each tensor's
//! bytes are read once, through a reader bounded to the tensor's length.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use super::proto::{data_location, data_type, ModelProto, TensorProto};
use super::OnnxError;

/// The most bytes that all external tensors of a model may take together: 1 GiB, checked on
/// the declarations before anything is read or allocated. The file's weights are float and
/// may be far more than what is proven: VGG-11's 515 MB (a 25088 × 4096 Gemm of 411 MB) import
/// at a 64 × 64 input as 34 M proven weights, since the Gemm absorbs the adaptive average pool
/// before it (`graph/absorb.rs`); 1 GiB leaves twice that margin and keeps the import's peak
/// (these bytes, their `f32` copy and the float layers) a few GiB. What is proven stays under
/// the commitment's own limits (`network::MAX_VARS` per tensor, `MAX_TABLE_VARS` for the model
/// table), checked on the imported architecture before calibration (`OnnxError::Unprovable`).
pub const MAX_EXTERNAL_BYTES: u64 = 1 << 30;

/// What is wrong with a tensor's external data ([`OnnxError::ExternalData`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExternalDataError {
    /// The model came as bytes without a directory to look its side files up in.
    #[error(
        "the model was given as bytes without its directory, so its side files cannot be \
         found; import it with its directory (import_with_external_data, or `zkcnn import` \
         on the file)"
    )]
    NoDirectory,
    /// No `location` entry, or an empty one.
    #[error("it has no `location` entry naming its file")]
    NoLocation,
    /// The location is an absolute path.
    #[error("the location is an absolute path; only a path relative to the model's directory is accepted")]
    AbsolutePath,
    /// The location has a `..` component (or a Windows prefix).
    #[error("the location leaves the model's directory (`..`); only files inside it are accepted")]
    EscapesDirectory,
    /// The location, with symbolic links followed, lies outside the model's directory.
    #[error("the location resolves to {resolved:?}, outside the model's directory (a symbolic link?); only files inside it are accepted")]
    LinkEscapes {
        /// Where it resolves to.
        resolved: String,
    },
    /// An `external_data` key other than location, offset, length, checksum and basepath.
    #[error("unknown external_data key {key:?}; location, offset, length, checksum and basepath are understood")]
    UnknownKey {
        /// The key.
        key: String,
    },
    /// A key given twice.
    #[error("external_data key {key:?} appears twice")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// `offset` or `length` is not a non-negative decimal integer.
    #[error("{key} {value:?} is not a non-negative integer")]
    BadNumber {
        /// `offset` or `length`.
        key: &'static str,
        /// The value as written.
        value: String,
    },
    /// The tensor also holds embedded data, or is segmented.
    #[error("it holds embedded data (or segments) as well as external data")]
    AlsoEmbedded,
    /// The element type has no fixed size (STRING, UNDEFINED, unknown).
    #[error("element type {data_type} cannot be stored as external data (no fixed size)")]
    ElementType {
        /// The type's name.
        data_type: String,
    },
    /// The declared shape has a negative dimension or its byte size overflows.
    #[error("its shape {dims:?} is invalid or too large")]
    BadShape {
        /// The declared dims.
        dims: Vec<i64>,
    },
    /// `length` differs from what the shape and element type need.
    #[error("length {length} bytes, but shape {dims:?} of {data_type} needs {expected}")]
    LengthMismatch {
        /// The declared length.
        length: u64,
        /// What the shape needs.
        expected: u64,
        /// The declared dims.
        dims: Vec<i64>,
        /// The element type's name.
        data_type: String,
    },
    /// The file could not be opened or its size read.
    #[error("cannot open the file: {reason}")]
    Open {
        /// The operating system's reason, in words.
        reason: String,
    },
    /// The location is not a regular file.
    #[error("the location is not a regular file")]
    NotAFile,
    /// `offset` lies past the end of the file.
    #[error("offset {offset} lies at or past the end of the {file_len}-byte file")]
    OffsetPastEnd {
        /// The declared offset.
        offset: u64,
        /// The file's size.
        file_len: u64,
    },
    /// `offset + length` lies past the end of the file.
    #[error("bytes {offset}..{end} lie past the end of the {file_len}-byte file (too short)")]
    FileTooShort {
        /// The declared offset.
        offset: u64,
        /// `offset + length`.
        end: u64,
        /// The file's size.
        file_len: u64,
    },
    /// All external tensors together exceed [`MAX_EXTERNAL_BYTES`].
    #[error(
        "the model's external tensors take {total} bytes up to this one; at most {limit} are read"
    )]
    TooLarge {
        /// Bytes of the external tensors up to and including this one.
        total: u64,
        /// The limit.
        limit: u64,
    },
    /// Reading failed (the file shrank, an I/O error).
    #[error("reading failed: {reason}")]
    Read {
        /// The reason, in words.
        reason: String,
    },
}

/// Whether a tensor's data is external.
pub(crate) fn is_external(t: &TensorProto) -> bool {
    t.data_location == Some(data_location::EXTERNAL)
}

/// Where one external tensor's bytes are, checked against its declaration.
struct Slot {
    location: String,
    offset: u64,
    length: u64,
}

/// Reads the bytes of every external tensor of `model` (initializers and node attributes) from
/// the files next to it in `dir` into its `raw_data`. With `dir` `None`, an external tensor is
/// an error ([`ExternalDataError::NoDirectory`]).
pub(crate) fn resolve(model: &mut ModelProto, dir: Option<&Path>) -> Result<(), OnnxError> {
    let Some(graph) = model.graph.as_mut() else {
        return Ok(());
    };
    // Every external tensor, with the label errors give it.
    let mut tensors: Vec<(String, &mut TensorProto)> = Vec::new();
    for t in graph.initializer.iter_mut() {
        let label = t.name.clone().unwrap_or_default();
        tensors.push((label, t));
    }
    for (i, node) in graph.node.iter_mut().enumerate() {
        let node_name = match node.name.as_deref() {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => format!("#{i}"),
        };
        for a in node.attribute.iter_mut() {
            let attr = a.name.clone().unwrap_or_default();
            if let Some(t) = a.t.as_mut() {
                let label = format!("attribute {attr} of node {node_name}");
                tensors.push((label, t));
            }
        }
    }
    tensors.retain(|(_, t)| is_external(t));
    if tensors.is_empty() {
        return Ok(());
    }
    let error = |tensor: &str, location: &str, problem| OnnxError::ExternalData {
        tensor: tensor.to_string(),
        location: location.to_string(),
        problem,
    };
    let Some(dir) = dir else {
        let (label, t) = &tensors[0];
        return Err(error(
            label,
            &location_of(t),
            ExternalDataError::NoDirectory,
        ));
    };
    // Check every declaration, and the total, before opening or allocating anything.
    let mut slots = Vec::with_capacity(tensors.len());
    let mut total = 0u64;
    for (label, t) in &tensors {
        let slot = slot(t).map_err(|p| error(label, &location_of(t), p))?;
        total = total.saturating_add(slot.length);
        if total > MAX_EXTERNAL_BYTES {
            return Err(error(
                label,
                &slot.location,
                ExternalDataError::TooLarge {
                    total,
                    limit: MAX_EXTERNAL_BYTES,
                },
            ));
        }
        slots.push(slot);
    }
    // Tensors grouped by file (in file order within a file): each file is opened, and its size
    // read, once, and closed before the next is opened.
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by(|&a, &b| slots[a].location.cmp(&slots[b].location).then(a.cmp(&b)));
    let mut current: Option<(&str, File, u64)> = None;
    for k in order {
        let slot = &slots[k];
        let (label, t) = &mut tensors[k];
        let err = |p| error(label, &slot.location, p);
        if current.as_ref().is_none_or(|(l, _, _)| *l != slot.location) {
            let (file, len) = open(dir, &slot.location).map_err(err)?;
            current = Some((&slot.location, file, len));
        }
        let Some((_, file, file_len)) = current.as_mut() else {
            continue;
        };
        let file_len = *file_len;
        if slot.offset > file_len || (slot.offset == file_len && slot.length > 0) {
            return Err(err(ExternalDataError::OffsetPastEnd {
                offset: slot.offset,
                file_len,
            }));
        }
        let end = slot.offset.saturating_add(slot.length);
        if end > file_len {
            return Err(err(ExternalDataError::FileTooShort {
                offset: slot.offset,
                end,
                file_len,
            }));
        }
        let bytes = read_range(file, slot.offset, slot.length).map_err(|e| {
            err(ExternalDataError::Read {
                reason: io_reason(&e),
            })
        })?;
        t.raw_data = Some(bytes);
        t.data_location = Some(data_location::DEFAULT);
        t.external_data.clear();
    }
    Ok(())
}

/// The tensor's `location` entry, for messages (empty when absent).
fn location_of(t: &TensorProto) -> String {
    t.external_data
        .iter()
        .find(|e| e.key.as_deref() == Some("location"))
        .and_then(|e| e.value.clone())
        .unwrap_or_default()
}

/// Reads and checks the tensor's `external_data` entries against its `dims` and `data_type`.
fn slot(t: &TensorProto) -> Result<Slot, ExternalDataError> {
    if t.raw_data.is_some()
        || t.segment.is_some()
        || !t.float_data.is_empty()
        || !t.int32_data.is_empty()
        || !t.int64_data.is_empty()
        || !t.double_data.is_empty()
    {
        return Err(ExternalDataError::AlsoEmbedded);
    }
    let (mut location, mut offset, mut length) = (None, None, None);
    let mut seen: Vec<&str> = Vec::new();
    for entry in &t.external_data {
        let key = entry.key.as_deref().unwrap_or("");
        let value = entry.value.as_deref().unwrap_or("");
        if seen.contains(&key) {
            return Err(ExternalDataError::DuplicateKey { key: key.into() });
        }
        seen.push(key);
        match key {
            "location" => location = Some(value),
            "offset" => offset = Some(number("offset", value)?),
            "length" => length = Some(number("length", value)?),
            "checksum" | "basepath" => {}
            _ => return Err(ExternalDataError::UnknownKey { key: key.into() }),
        }
    }
    let location = location.filter(|l| !l.is_empty());
    let location = location.ok_or(ExternalDataError::NoLocation)?;
    check_location(location)?;
    let dt = t.data_type.unwrap_or(0);
    let bits = data_type::bits(dt).ok_or_else(|| ExternalDataError::ElementType {
        data_type: data_type::name(dt),
    })?;
    let bad_shape = || ExternalDataError::BadShape {
        dims: t.dims.clone(),
    };
    let numel = t.dims.iter().try_fold(1u64, |acc, &d| {
        u64::try_from(d).ok().and_then(|d| acc.checked_mul(d))
    });
    let expected = numel
        .and_then(|n| n.checked_mul(bits))
        .map(|b| b.div_ceil(8))
        .ok_or_else(bad_shape)?;
    let length = length.unwrap_or(expected);
    if length != expected {
        return Err(ExternalDataError::LengthMismatch {
            length,
            expected,
            dims: t.dims.clone(),
            data_type: data_type::name(dt),
        });
    }
    Ok(Slot {
        location: location.to_string(),
        offset: offset.unwrap_or(0),
        length,
    })
}

fn number(key: &'static str, value: &str) -> Result<u64, ExternalDataError> {
    let bad = || ExternalDataError::BadNumber {
        key,
        value: value.to_string(),
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    value.parse().map_err(|_| bad())
}

/// A location must be a relative path that stays in the model's directory.
fn check_location(location: &str) -> Result<(), ExternalDataError> {
    let path = Path::new(location);
    // `\` and drive letters are Windows roots; on Unix they would be file names, but a model
    // written on Windows means them as paths.
    let windows_root = location.starts_with('\\')
        || location
            .as_bytes()
            .get(1..3)
            .is_some_and(|s| s[0] == b':' && matches!(s.get(1), Some(b'\\' | b'/')));
    if path.is_absolute() || path.has_root() || windows_root {
        return Err(ExternalDataError::AbsolutePath);
    }
    let escapes = path.components().any(|c| {
        matches!(
            c,
            Component::ParentDir | Component::Prefix(_) | Component::RootDir
        )
    }) || location.split(['/', '\\']).any(|part| part == "..");
    if escapes {
        return Err(ExternalDataError::EscapesDirectory);
    }
    Ok(())
}

/// Opens `dir/location` (checked by [`check_location`]): it must resolve inside `dir` and be a
/// regular file. Returns the file and its size.
fn open(dir: &Path, location: &str) -> Result<(File, u64), ExternalDataError> {
    let open_err = |e: std::io::Error| ExternalDataError::Open {
        reason: io_reason(&e),
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let path = dir.join(location);
    let real_dir = dir.canonicalize().map_err(open_err)?;
    let real: PathBuf = path.canonicalize().map_err(open_err)?;
    if !real.starts_with(&real_dir) {
        return Err(ExternalDataError::LinkEscapes {
            resolved: real.display().to_string(),
        });
    }
    let file = File::open(&real).map_err(open_err)?;
    let meta = file.metadata().map_err(open_err)?;
    if !meta.is_file() {
        return Err(ExternalDataError::NotAFile);
    }
    Ok((file, meta.len()))
}

/// Reads `length` bytes at `offset` (checked against the file's size by the caller).
fn read_range(file: &mut File, offset: u64, length: u64) -> std::io::Result<Vec<u8>> {
    let capacity = usize::try_from(length).map_err(std::io::Error::other)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::with_capacity(capacity);
    file.take(length).read_to_end(&mut bytes)?;
    if bytes.len() != capacity {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the file ended after {} of {length} bytes", bytes.len()),
        ));
    }
    Ok(bytes)
}

/// An I/O error in words, without the `(os error N)` suffix.
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "it is a directory".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::proto::StringStringEntryProto;

    fn tensor(dims: &[i64], entries: &[(&str, &str)]) -> TensorProto {
        TensorProto {
            name: Some("w".into()),
            dims: dims.to_vec(),
            data_type: Some(data_type::FLOAT),
            data_location: Some(data_location::EXTERNAL),
            external_data: entries
                .iter()
                .map(|(k, v)| StringStringEntryProto {
                    key: Some(k.to_string()),
                    value: Some(v.to_string()),
                })
                .collect(),
            ..TensorProto::default()
        }
    }

    #[test]
    fn declarations_are_checked_before_any_file_is_opened() {
        let ok = slot(&tensor(&[2, 3], &[("location", "m.data"), ("offset", "8")])).unwrap();
        assert_eq!((ok.offset, ok.length), (8, 24));
        let err = |dims: &[i64], entries: &[(&str, &str)]| slot(&tensor(dims, entries)).err();
        use ExternalDataError::*;
        assert_eq!(err(&[2], &[("offset", "0")]), Some(NoLocation));
        assert_eq!(
            err(&[2], &[("location", "/etc/passwd")]),
            Some(AbsolutePath)
        );
        assert_eq!(err(&[2], &[("location", "C:\\w.bin")]), Some(AbsolutePath));
        assert_eq!(
            err(&[2], &[("location", "../w.bin")]),
            Some(EscapesDirectory)
        );
        assert_eq!(
            err(&[2], &[("location", "a/../../w.bin")]),
            Some(EscapesDirectory)
        );
        assert_eq!(
            err(&[2], &[("location", "a\\..\\w.bin")]),
            Some(EscapesDirectory)
        );
        assert_eq!(
            err(&[2], &[("location", "w"), ("offset", "-1")]),
            Some(BadNumber {
                key: "offset",
                value: "-1".into()
            })
        );
        assert_eq!(
            err(&[2], &[("location", "w"), ("length", "7")]),
            Some(LengthMismatch {
                length: 7,
                expected: 8,
                dims: vec![2],
                data_type: "FLOAT".into()
            })
        );
        assert_eq!(
            err(&[2], &[("location", "w"), ("location", "v")]),
            Some(DuplicateKey {
                key: "location".into()
            })
        );
        assert_eq!(
            err(&[2], &[("location", "w"), ("mystery", "1")]),
            Some(UnknownKey {
                key: "mystery".into()
            })
        );
        assert_eq!(
            err(&[i64::MAX, 4], &[("location", "w")]),
            Some(BadShape {
                dims: vec![i64::MAX, 4]
            })
        );
        assert_eq!(
            err(&[-1], &[("location", "w")]),
            Some(BadShape { dims: vec![-1] })
        );
        // checksum and basepath are ignored, as the onnx package does.
        assert!(err(
            &[2],
            &[("location", "w"), ("checksum", "x"), ("basepath", "y")]
        )
        .is_none());
        let mut embedded = tensor(&[2], &[("location", "w")]);
        embedded.float_data = vec![1.0, 2.0];
        assert_eq!(slot(&embedded).err(), Some(AlsoEmbedded));
        let mut text = tensor(&[2], &[("location", "w")]);
        text.data_type = Some(data_type::STRING);
        assert_eq!(
            slot(&text).err(),
            Some(ElementType {
                data_type: "STRING".into()
            })
        );
    }

    #[test]
    fn sub_byte_types_round_up() {
        let mut t = tensor(&[3], &[("location", "w")]);
        t.data_type = Some(22); // INT4: 3 × 4 bits = 2 bytes
        assert_eq!(slot(&t).unwrap().length, 2);
    }
}
