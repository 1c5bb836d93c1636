//! The subset of ONNX's protobuf schema that the import reads, as `prost` derives.
//!
//! Field numbers are those of the official `onnx/onnx.proto` (ONNX 1.23). Fields the import
//! never looks at (doc strings, metadata, functions, training info, sparse tensors, sub-graphs)
//! are left out: protobuf decoding skips unknown fields, so models that carry them still parse,
//! and an operator that would need them (`If`, `Loop`, …) is rejected by name later.

#![allow(missing_docs)]

/// `ModelProto`: the file's top-level message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ModelProto {
    #[prost(int64, optional, tag = "1")]
    pub ir_version: Option<i64>,
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
    #[prost(string, optional, tag = "2")]
    pub producer_name: Option<String>,
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
}

/// `OperatorSetIdProto`: an operator set (domain and version) the model uses.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OperatorSetIdProto {
    #[prost(string, optional, tag = "1")]
    pub domain: Option<String>,
    #[prost(int64, optional, tag = "2")]
    pub version: Option<i64>,
}

/// `GraphProto`: nodes in topological order, initializers, inputs and outputs.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphProto {
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    #[prost(string, optional, tag = "2")]
    pub name: Option<String>,
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
}

/// `NodeProto`: one operator application.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeProto {
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    #[prost(string, optional, tag = "3")]
    pub name: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub op_type: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub domain: Option<String>,
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
}

/// `AttributeProto`: a named attribute of a node (the import reads ints, floats and tensors).
#[derive(Clone, PartialEq, prost::Message)]
pub struct AttributeProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// `AttributeType`: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS, …
    #[prost(int32, optional, tag = "20")]
    pub r#type: Option<i32>,
    #[prost(float, optional, tag = "2")]
    pub f: Option<f32>,
    #[prost(int64, optional, tag = "3")]
    pub i: Option<i64>,
    #[prost(bytes = "vec", optional, tag = "4")]
    pub s: Option<Vec<u8>>,
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
    #[prost(float, repeated, tag = "7")]
    pub floats: Vec<f32>,
    #[prost(int64, repeated, tag = "8")]
    pub ints: Vec<i64>,
}

/// `AttributeProto.AttributeType` values the import distinguishes.
pub mod attribute_type {
    pub const FLOAT: i32 = 1;
    pub const INT: i32 = 2;
    pub const STRING: i32 = 3;
    pub const TENSOR: i32 = 4;
    pub const FLOATS: i32 = 6;
    pub const INTS: i32 = 7;
}

/// `TensorProto`: a constant tensor (initializer or `Constant` value).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    /// `TensorProto.DataType`: 1 FLOAT, 7 INT64, …
    #[prost(int32, optional, tag = "2")]
    pub data_type: Option<i32>,
    #[prost(message, optional, tag = "3")]
    pub segment: Option<Segment>,
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    #[prost(int64, repeated, tag = "7")]
    pub int64_data: Vec<i64>,
    #[prost(string, optional, tag = "8")]
    pub name: Option<String>,
    #[prost(bytes = "vec", optional, tag = "9")]
    pub raw_data: Option<Vec<u8>>,
    #[prost(double, repeated, tag = "10")]
    pub double_data: Vec<f64>,
    /// Where the data lives when `data_location` is EXTERNAL: `location` (a file relative to
    /// the model's directory), `offset` and `length` (bytes, as decimal strings), `checksum`.
    #[prost(message, repeated, tag = "13")]
    pub external_data: Vec<StringStringEntryProto>,
    /// `DataLocation`: 0 DEFAULT, 1 EXTERNAL.
    #[prost(int32, optional, tag = "14")]
    pub data_location: Option<i32>,
}

/// `StringStringEntryProto`: a key-value pair (a tensor's `external_data` entries).
#[derive(Clone, PartialEq, prost::Message)]
pub struct StringStringEntryProto {
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// `TensorProto.DataLocation` values.
pub mod data_location {
    pub const DEFAULT: i32 = 0;
    pub const EXTERNAL: i32 = 1;
}

/// `TensorProto.Segment`: present when a tensor is split over several protos (unsupported).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Segment {
    #[prost(int64, optional, tag = "1")]
    pub begin: Option<i64>,
    #[prost(int64, optional, tag = "2")]
    pub end: Option<i64>,
}

/// `TensorProto.DataType` values (the import converts FLOAT, DOUBLE, INT64, INT32 and BOOL;
/// the others are named for messages and external data sizes).
pub mod data_type {
    pub const FLOAT: i32 = 1;
    pub const UINT8: i32 = 2;
    pub const INT8: i32 = 3;
    pub const UINT16: i32 = 4;
    pub const INT16: i32 = 5;
    pub const INT32: i32 = 6;
    pub const INT64: i32 = 7;
    pub const STRING: i32 = 8;
    pub const BOOL: i32 = 9;
    pub const FLOAT16: i32 = 10;
    pub const DOUBLE: i32 = 11;
    pub const UINT32: i32 = 12;
    pub const UINT64: i32 = 13;
    pub const COMPLEX64: i32 = 14;
    pub const COMPLEX128: i32 = 15;
    pub const BFLOAT16: i32 = 16;

    /// The type's name in `onnx.proto` (`"type 99"` for unknown values).
    pub fn name(t: i32) -> String {
        let known = [
            "UNDEFINED",
            "FLOAT",
            "UINT8",
            "INT8",
            "UINT16",
            "INT16",
            "INT32",
            "INT64",
            "STRING",
            "BOOL",
            "FLOAT16",
            "DOUBLE",
            "UINT32",
            "UINT64",
            "COMPLEX64",
            "COMPLEX128",
            "BFLOAT16",
            "FLOAT8E4M3FN",
            "FLOAT8E4M3FNUZ",
            "FLOAT8E5M2",
            "FLOAT8E5M2FNUZ",
            "UINT4",
            "INT4",
            "FLOAT4E2M1",
        ];
        usize::try_from(t)
            .ok()
            .and_then(|i| known.get(i))
            .map_or_else(|| format!("type {t}"), |n| n.to_string())
    }

    /// Bits per element of a fixed-size type (`None` for STRING, UNDEFINED and unknown types).
    pub fn bits(t: i32) -> Option<u64> {
        match t {
            UINT8 | INT8 | BOOL | 17..=20 => Some(8),
            UINT16 | INT16 | FLOAT16 | BFLOAT16 => Some(16),
            FLOAT | INT32 | UINT32 => Some(32),
            INT64 | DOUBLE | UINT64 | COMPLEX64 => Some(64),
            COMPLEX128 => Some(128),
            21..=23 => Some(4),
            _ => None,
        }
    }
}

/// `ValueInfoProto`: a graph input's or output's name and type.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueInfoProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
}

/// `TypeProto`, with only the tensor case of its `oneof`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TypeProto {
    #[prost(message, optional, tag = "1")]
    pub tensor_type: Option<TypeProtoTensor>,
}

/// `TypeProto.Tensor`: element type and shape.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TypeProtoTensor {
    #[prost(int32, optional, tag = "1")]
    pub elem_type: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub shape: Option<TensorShapeProto>,
}

/// `TensorShapeProto`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<Dimension>,
}

/// `TensorShapeProto.Dimension`: a fixed size or a symbolic name.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dimension {
    #[prost(int64, optional, tag = "1")]
    pub dim_value: Option<i64>,
    #[prost(string, optional, tag = "2")]
    pub dim_param: Option<String>,
}

/// The message types of this schema, for [`decoded_bytes`].
#[derive(Clone, Copy)]
enum Ty {
    Model,
    Opset,
    Graph,
    Node,
    Attribute,
    Tensor,
    Segment,
    Entry,
    ValueInfo,
    Type,
    TypeTensor,
    Shape,
    Dim,
}

/// What a field of a message holds.
enum Field {
    /// A message (`usize`: its struct's size).
    Message(Ty, usize),
    /// A string or bytes.
    Bytes,
    /// Fixed-width scalars (`float`, `double`) of this many bytes, packed when length-delimited.
    Fixed(usize),
    /// Varint scalars (`int32`, `int64`) taking this many bytes decoded, packed when
    /// length-delimited.
    Varint(usize),
    /// A field this schema does not keep (prost skips it).
    Skipped,
}

fn field(ty: Ty, tag: u64) -> Field {
    use std::mem::size_of;
    use Field::*;
    match (ty, tag) {
        (Ty::Model, 8) => Message(Ty::Opset, size_of::<OperatorSetIdProto>()),
        (Ty::Model, 7) => Message(Ty::Graph, size_of::<GraphProto>()),
        (Ty::Graph, 1) => Message(Ty::Node, size_of::<NodeProto>()),
        (Ty::Graph, 5) | (Ty::Attribute, 5) => Message(Ty::Tensor, size_of::<TensorProto>()),
        (Ty::Graph, 11 | 12) => Message(Ty::ValueInfo, size_of::<ValueInfoProto>()),
        (Ty::Node, 5) => Message(Ty::Attribute, size_of::<AttributeProto>()),
        (Ty::Tensor, 3) => Message(Ty::Segment, size_of::<Segment>()),
        (Ty::Tensor, 13) => Message(Ty::Entry, size_of::<StringStringEntryProto>()),
        (Ty::ValueInfo, 2) => Message(Ty::Type, size_of::<TypeProto>()),
        (Ty::Type, 1) => Message(Ty::TypeTensor, size_of::<TypeProtoTensor>()),
        (Ty::TypeTensor, 2) => Message(Ty::Shape, size_of::<TensorShapeProto>()),
        (Ty::Shape, 1) => Message(Ty::Dim, size_of::<Dimension>()),
        (Ty::Model, 2)
        | (Ty::Opset, 1)
        | (Ty::Graph, 2)
        | (Ty::Node, 1 | 2 | 3 | 4 | 7)
        | (Ty::Attribute, 1 | 4)
        | (Ty::Tensor, 8 | 9)
        | (Ty::Entry, 1 | 2)
        | (Ty::ValueInfo, 1)
        | (Ty::Dim, 2) => Bytes,
        (Ty::Attribute, 2 | 7) | (Ty::Tensor, 4) => Fixed(4),
        (Ty::Tensor, 10) => Fixed(8),
        (Ty::Attribute, 20) | (Ty::Tensor, 2 | 5 | 14) | (Ty::TypeTensor, 1) => Varint(4),
        (Ty::Model, 1)
        | (Ty::Opset, 2)
        | (Ty::Segment, 1 | 2)
        | (Ty::Dim, 1)
        | (Ty::Attribute, 3 | 8)
        | (Ty::Tensor, 1 | 7) => Varint(8),
        _ => Skipped,
    }
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The memory, in bytes, that decoding `bytes` as a [`ModelProto`] takes (structs, strings
/// and repeated values; `Vec` growth aside), from the wire format alone, without decoding.
/// A protobuf can be far smaller than its decoded form (an empty `NodeProto` is 2 bytes on the
/// wire and over 100 in memory), so the import checks this before decoding. Parsing stops at
/// the first malformed field (decoding then reports it).
pub fn decoded_bytes(bytes: &[u8]) -> u64 {
    std::mem::size_of::<ModelProto>() as u64 + message_bytes(Ty::Model, bytes)
}

fn message_bytes(ty: Ty, mut bytes: &[u8]) -> u64 {
    let mut total = 0u64;
    while !bytes.is_empty() {
        let Some(key) = varint(&mut bytes) else {
            break;
        };
        let (tag, wire) = (key >> 3, key & 7);
        let payload = match wire {
            0 => varint(&mut bytes).map(|_| &[][..]),
            1 | 5 => {
                let n = if wire == 1 { 8 } else { 4 };
                bytes.split_at_checked(n).map(|(_, rest)| {
                    bytes = rest;
                    &[][..]
                })
            }
            2 => varint(&mut bytes)
                .and_then(|len| usize::try_from(len).ok())
                .and_then(|len| bytes.split_at_checked(len))
                .map(|(payload, rest)| {
                    bytes = rest;
                    payload
                }),
            _ => None,
        };
        let Some(payload) = payload else {
            break;
        };
        let cost = match (field(ty, tag), wire) {
            (Field::Message(sub, size), 2) => size as u64 + message_bytes(sub, payload),
            (Field::Bytes, 2) => 24 + payload.len() as u64,
            // Packed: the payload's elements.
            (Field::Fixed(_), 2) => payload.len() as u64,
            (Field::Varint(size), 2) => {
                payload.iter().filter(|&&b| b & 0x80 == 0).count() as u64 * size as u64
            }
            (Field::Fixed(size) | Field::Varint(size), _) => size as u64,
            _ => 0,
        };
        total = total.saturating_add(cost);
    }
    total
}
