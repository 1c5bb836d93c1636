//! NumPy `.npy` arrays: how model inputs, calibration sets and fixtures travel between Python
//! and zkcnn.
//!
//! Reads format versions 1.0–3.0 with C (row-major) order and the dtypes `f4`, `f8`, `i1`, `u1`,
//! `i2`, `u2`, `i4`, `u4`, `i8`, `u8` in either byte order; writes version 1.0, little-endian `f4`
//! and `i8`. Every malformed file is an [`NpyError`], never a panic.

use thiserror::Error;

/// What is wrong with a `.npy` file.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NpyError {
    /// The file does not start with `\x93NUMPY`.
    #[error("not a .npy file (the magic string \\x93NUMPY is missing)")]
    Magic,
    /// A format version other than 1.0, 2.0 or 3.0.
    #[error("unsupported .npy format version {0}.{1}")]
    Version(u8, u8),
    /// The file ends before its header or data does.
    #[error("truncated .npy file: {0}")]
    Truncated(&'static str),
    /// The header dictionary cannot be read.
    #[error("bad .npy header: {0}")]
    Header(String),
    /// A dtype this reader does not handle.
    #[error("unsupported .npy dtype '{0}' (supported: f4, f8, i1, u1, i2, u2, i4, u4, i8, u8)")]
    Dtype(String),
    /// Fortran (column-major) order.
    #[error("Fortran-order .npy arrays are not supported; save with np.ascontiguousarray")]
    FortranOrder,
    /// The data is not as long as the shape says.
    #[error(".npy data has {actual} bytes but shape {shape:?} of {dtype} needs {expected}")]
    Length {
        /// The header's shape.
        shape: Vec<usize>,
        /// The header's dtype.
        dtype: String,
        /// Bytes the shape needs.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// A float dtype where an integer dtype is needed ([`read_integers`]).
    #[error("dtype '{0}' is a float type; integers are needed (int64, or any integer dtype)")]
    FloatDtype(String),
    /// A float array where integers are needed, or an integer that does not fit.
    #[error("element {index} ({value}) is not an integer that fits in i64")]
    NotInteger {
        /// Flat index of the element.
        index: usize,
        /// The element, printed.
        value: String,
    },
}

/// An n-dimensional array in row-major order.
#[derive(Clone, Debug, PartialEq)]
pub struct Array<T> {
    /// The shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// The elements, row-major; `data.len()` is the product of `shape`.
    pub data: Vec<T>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
    Uint,
}

struct Parsed<'a> {
    descr: &'a str,
    kind: Kind,
    width: usize,
    little: bool,
    shape: Vec<usize>,
    data: &'a [u8],
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads an array of any supported dtype as `f32` (wider values are rounded to nearest).
pub fn read_f32(bytes: &[u8]) -> Result<Array<f32>, NpyError> {
    let p = parse(bytes)?;
    let data = p.values().map(|v| v.as_f64() as f32).collect();
    Ok(Array {
        shape: p.shape,
        data,
    })
}

/// Reads an array of integers as `i64`. A float array is accepted only if every element is an
/// integer in `i64`'s range.
pub fn read_i64(bytes: &[u8]) -> Result<Array<i64>, NpyError> {
    integers(parse(bytes)?)
}

/// The elements of `p` as `i64`, each an integer that fits.
fn integers(p: Parsed<'_>) -> Result<Array<i64>, NpyError> {
    let mut data = Vec::with_capacity(p.len());
    for (index, v) in p.values().enumerate() {
        data.push(v.as_i64().ok_or_else(|| NpyError::NotInteger {
            index,
            value: v.to_string(),
        })?);
    }
    Ok(Array {
        shape: p.shape,
        data,
    })
}

/// Reads an array of an integer dtype as `i64`: a float dtype is refused whatever its values
/// ([`NpyError::FloatDtype`]), and a `u8` element beyond `i64::MAX` is [`NpyError::NotInteger`].
pub fn read_integers(bytes: &[u8]) -> Result<Array<i64>, NpyError> {
    let p = parse(bytes)?;
    if p.kind == Kind::Float {
        return Err(NpyError::FloatDtype(p.descr.to_string()));
    }
    integers(p)
}

/// Writes a little-endian `f4` array.
pub fn write_f32(shape: &[usize], data: &[f32]) -> Vec<u8> {
    write(shape, "<f4", data.iter().flat_map(|x| x.to_le_bytes()))
}

/// Writes a little-endian `i8` (64-bit integer) array.
pub fn write_i64(shape: &[usize], data: &[i64]) -> Vec<u8> {
    write(shape, "<i8", data.iter().flat_map(|x| x.to_le_bytes()))
}

fn write(shape: &[usize], descr: &str, data: impl Iterator<Item = u8>) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(data);
    out
}

#[derive(Clone, Copy)]
enum Value {
    F(f64),
    I(i64),
    U(u64),
}

impl Value {
    fn as_f64(self) -> f64 {
        match self {
            Value::F(x) => x,
            Value::I(x) => x as f64,
            Value::U(x) => x as f64,
        }
    }

    fn as_i64(self) -> Option<i64> {
        match self {
            Value::I(x) => Some(x),
            Value::U(x) => i64::try_from(x).ok(),
            // 2^63 is exactly representable; anything at or beyond it does not fit.
            Value::F(x) if x.fract() == 0.0 && x.abs() < 9.223_372_036_854_776e18 => Some(x as i64),
            Value::F(_) => None,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::F(x) => write!(f, "{x}"),
            Value::I(x) => write!(f, "{x}"),
            Value::U(x) => write!(f, "{x}"),
        }
    }
}

impl Parsed<'_> {
    fn len(&self) -> usize {
        self.data.len() / self.width
    }

    fn values(&self) -> impl Iterator<Item = Value> + '_ {
        self.data.chunks_exact(self.width).map(move |c| {
            let mut b = [0u8; 8];
            if self.little {
                b[..self.width].copy_from_slice(c);
            } else {
                for (dst, src) in b[..self.width].iter_mut().zip(c.iter().rev()) {
                    *dst = *src;
                }
            }
            let raw = u64::from_le_bytes(b);
            let bits = 8 * self.width as u32;
            match self.kind {
                Kind::Float if self.width == 4 => Value::F(f32::from_bits(raw as u32) as f64),
                Kind::Float => Value::F(f64::from_bits(raw)),
                // Sign-extend from the element's width.
                Kind::Int => Value::I(((raw << (64 - bits)) as i64) >> (64 - bits)),
                Kind::Uint => Value::U(raw),
            }
        })
    }
}

fn parse(bytes: &[u8]) -> Result<Parsed<'_>, NpyError> {
    if bytes.len() < 8 || &bytes[..6] != MAGIC {
        return Err(if bytes.len() < 8 && MAGIC.starts_with(bytes) {
            NpyError::Truncated("before the version")
        } else {
            NpyError::Magic
        });
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len_bytes, utf8) = match (major, minor) {
        (1, 0) => (2, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        _ => return Err(NpyError::Version(major, minor)),
    };
    let len_end = 8 + len_bytes;
    let len_field = bytes
        .get(8..len_end)
        .ok_or(NpyError::Truncated("in the header length"))?;
    let mut l = [0u8; 4];
    l[..len_bytes].copy_from_slice(len_field);
    let header_len = u32::from_le_bytes(l) as usize;
    let header_end = len_end
        .checked_add(header_len)
        .ok_or(NpyError::Truncated("in the header"))?;
    let header = bytes
        .get(len_end..header_end)
        .ok_or(NpyError::Truncated("in the header"))?;
    let header = if utf8 {
        std::str::from_utf8(header).map_err(|_| NpyError::Header("not UTF-8".into()))?
    } else if header.is_ascii() {
        std::str::from_utf8(header).map_err(|_| NpyError::Header("not ASCII".into()))?
    } else {
        return Err(NpyError::Header("not ASCII".into()));
    };
    let descr = dict_value(header, "descr")?;
    let descr = descr
        .strip_prefix('\'')
        .and_then(|d| d.strip_suffix('\''))
        .or_else(|| descr.strip_prefix('"').and_then(|d| d.strip_suffix('"')))
        .ok_or_else(|| NpyError::Header(format!("descr {descr} is not a string")))?;
    match dict_value(header, "fortran_order")? {
        "False" => {}
        "True" => return Err(NpyError::FortranOrder),
        other => {
            return Err(NpyError::Header(format!(
                "fortran_order is {other}, not True or False"
            )))
        }
    }
    let shape = parse_shape(dict_value(header, "shape")?)?;
    let (little, code) = match descr.as_bytes().first() {
        Some(b'<') => (true, &descr[1..]),
        Some(b'>') => (false, &descr[1..]),
        Some(b'|') | Some(b'=') => (true, &descr[1..]),
        _ => (true, descr),
    };
    let (kind, width) = match code {
        "f4" => (Kind::Float, 4),
        "f8" => (Kind::Float, 8),
        "i1" => (Kind::Int, 1),
        "u1" => (Kind::Uint, 1),
        "i2" => (Kind::Int, 2),
        "u2" => (Kind::Uint, 2),
        "i4" => (Kind::Int, 4),
        "u4" => (Kind::Uint, 4),
        "i8" => (Kind::Int, 8),
        "u8" => (Kind::Uint, 8),
        _ => return Err(NpyError::Dtype(descr.to_string())),
    };
    let data = &bytes[header_end..];
    let expected = shape
        .iter()
        .try_fold(width, |acc: usize, &d| acc.checked_mul(d))
        .unwrap_or(usize::MAX);
    if data.len() != expected {
        return Err(NpyError::Length {
            shape,
            dtype: descr.to_string(),
            expected,
            actual: data.len(),
        });
    }
    Ok(Parsed {
        descr,
        kind,
        width,
        little,
        shape,
        data,
    })
}

/// The text of `key`'s value in the header's Python dict literal, up to the next top-level
/// comma or the closing brace.
fn dict_value<'a>(header: &'a str, key: &str) -> Result<&'a str, NpyError> {
    let missing = || NpyError::Header(format!("no '{key}' entry"));
    let start = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))
        .ok_or_else(missing)?;
    let rest = &header[start + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':').ok_or_else(missing)?;
    let rest = rest.trim_start();
    let mut depth = 0usize;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            ',' | '}' if depth == 0 => return Ok(rest[..i].trim()),
            _ => {}
        }
    }
    Err(NpyError::Header(format!("'{key}' entry is not terminated")))
}

fn parse_shape(text: &str) -> Result<Vec<usize>, NpyError> {
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| NpyError::Header(format!("shape {text} is not a tuple")))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.strip_suffix('L')
                .unwrap_or(d)
                .parse::<usize>()
                .map_err(|_| NpyError::Header(format!("shape entry {d} is not a size")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes of a file NumPy 1.26 wrote: `np.save(f, np.arange(6, dtype='<i2').reshape(2, 3))`.
    fn numpy_i2() -> Vec<u8> {
        let header = "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }";
        let mut h = header.to_string();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        for v in 0i16..6 {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    #[test]
    fn round_trips() {
        let f = write_f32(&[2, 2], &[1.5, -2.0, 0.25, 3.0]);
        assert_eq!(f.len() % 16, 0);
        let a = read_f32(&f).unwrap();
        assert_eq!(a.shape, vec![2, 2]);
        assert_eq!(a.data, vec![1.5, -2.0, 0.25, 3.0]);
        let i = write_i64(&[3], &[-1, i64::MAX, 7]);
        let b = read_i64(&i).unwrap();
        assert_eq!(b.shape, vec![3]);
        assert_eq!(b.data, vec![-1, i64::MAX, 7]);
        let s = read_i64(&write_i64(&[], &[42])).unwrap();
        assert_eq!((s.shape, s.data), (vec![], vec![42]));
    }

    #[test]
    fn reads_other_dtypes() {
        let a = read_i64(&numpy_i2()).unwrap();
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.data, vec![0, 1, 2, 3, 4, 5]);
        let f = read_f32(&numpy_i2()).unwrap();
        assert_eq!(f.data, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        // Big-endian signed bytes sign-extend.
        let mut be = numpy_i2();
        let at = be.len() - 12;
        be[at..].copy_from_slice(&[0xff, 0xfe, 0, 1, 0, 2, 0, 3, 0, 4, 0x80, 0]);
        let hdr = String::from_utf8(be[10..at].to_vec())
            .unwrap()
            .replace("<i2", ">i2");
        be.splice(10..at, hdr.bytes());
        let a = read_i64(&be).unwrap();
        assert_eq!(a.data, vec![-2, 1, 2, 3, 4, -32768]);
    }

    #[test]
    fn rejects_bad_files() {
        let good = write_f32(&[2], &[1.0, 2.0]);
        assert_eq!(read_f32(b"hello world").unwrap_err(), NpyError::Magic);
        assert!(matches!(
            read_f32(&good[..good.len() - 1]).unwrap_err(),
            NpyError::Length {
                expected: 8,
                actual: 7,
                ..
            }
        ));
        assert_eq!(
            read_f32(&good[..20]).unwrap_err(),
            NpyError::Truncated("in the header")
        );
        let mut v = good.clone();
        v[6] = 4;
        assert_eq!(read_f32(&v).unwrap_err(), NpyError::Version(4, 0));
        let swap = |from: &str, to: &str| {
            let s = String::from_utf8_lossy(&good[10..]).replace(from, to);
            let mut out = good[..10].to_vec();
            out.extend_from_slice(&s.as_bytes()[..good.len() - 10]);
            out
        };
        assert_eq!(
            read_f32(&swap("'<f4'", "'<c8'")).unwrap_err(),
            NpyError::Dtype("<c8".into())
        );
        assert_eq!(
            read_f32(&swap("False", "True ")).unwrap_err(),
            NpyError::FortranOrder
        );
        assert!(matches!(
            read_f32(&swap("(2,)", "(x,)")).unwrap_err(),
            NpyError::Header(_)
        ));
        assert!(matches!(
            read_i64(&write_f32(&[1], &[0.5])).unwrap_err(),
            NpyError::NotInteger { index: 0, .. }
        ));
        // A shape whose byte count overflows is a length error, not a panic.
        assert!(read_f32(&swap("(2,)", "(99999999999999999,9999)")).is_err());
    }

    #[test]
    fn integer_dtypes_only() {
        let a = read_integers(&numpy_i2()).unwrap();
        assert_eq!((a.shape, a.data), (vec![2, 3], vec![0, 1, 2, 3, 4, 5]));
        let i = read_integers(&write_i64(&[2], &[-3, 4])).unwrap();
        assert_eq!(i.data, vec![-3, 4]);
        // Integer-valued floats are refused by their dtype (read_i64 takes them).
        let f = write_f32(&[2], &[1.0, 2.0]);
        assert_eq!(read_i64(&f).unwrap().data, vec![1, 2]);
        assert_eq!(
            read_integers(&f).unwrap_err(),
            NpyError::FloatDtype("<f4".into())
        );
        assert_eq!(read_integers(b"junk").unwrap_err(), NpyError::Magic);
    }

    #[test]
    fn never_panics_on_prefixes_and_flips() {
        let good = write_i64(&[2, 2], &[1, 2, 3, 4]);
        for n in 0..good.len() {
            let _ = read_i64(&good[..n]);
        }
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0xa5;
            let _ = read_f32(&b);
            let _ = read_i64(&b);
            let _ = read_integers(&b);
        }
    }
}
