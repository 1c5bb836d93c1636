//! A node's attributes, read with typed getters whose errors name the node, the attribute and
//! what is supported.

use super::graph::Ctx;
use super::proto::{attribute_type, AttributeProto, TensorProto};
use super::OnnxError;

/// A node's attributes, with typed getters that name the node in errors.
pub(crate) struct Attrs<'c, 'a> {
    pub ctx: &'c Ctx,
    pub list: &'a [AttributeProto],
}

impl<'a> Attrs<'_, 'a> {
    /// Rejects attributes outside `known`.
    pub(crate) fn known(&self, known: &[&str]) -> Result<(), OnnxError> {
        for a in self.list {
            let name = a.name.as_deref().unwrap_or("");
            if !known.contains(&name) {
                let supported = if known.is_empty() {
                    "this operator takes no attributes".to_string()
                } else {
                    format!("known attributes: {}", known.join(", "))
                };
                return Err(self.ctx.attribute(name, describe(a), &supported));
            }
        }
        Ok(())
    }

    fn get(&self, name: &str) -> Option<&'a AttributeProto> {
        self.list
            .iter()
            .rev()
            .find(|a| a.name.as_deref() == Some(name))
    }

    fn wrong_type(&self, a: &AttributeProto, want: &str) -> OnnxError {
        self.ctx.attribute(
            a.name.as_deref().unwrap_or(""),
            describe(a),
            &format!("it must be {want}"),
        )
    }

    pub(crate) fn int(&self, name: &str, default: i64) -> Result<i64, OnnxError> {
        match self.get(name) {
            None => Ok(default),
            Some(a)
                if a.r#type == Some(attribute_type::INT)
                    || (a.r#type.is_none() && a.i.is_some()) =>
            {
                Ok(a.i.unwrap_or(0))
            }
            Some(a) => Err(self.wrong_type(a, "an int")),
        }
    }

    /// An int attribute, `None` when absent.
    pub(crate) fn opt_int(&self, name: &str) -> Result<Option<i64>, OnnxError> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.int(name, 0).map(Some),
        }
    }

    pub(crate) fn floats(&self, name: &str) -> Result<Option<Vec<f32>>, OnnxError> {
        match self.get(name) {
            None => Ok(None),
            Some(a) if matches!(a.r#type, None | Some(attribute_type::FLOATS)) => {
                Ok(Some(a.floats.clone()))
            }
            Some(a) => Err(self.wrong_type(a, "a list of floats")),
        }
    }

    /// A tensor attribute, `None` when absent.
    pub(crate) fn opt_tensor(&self, name: &str) -> Result<Option<&'a TensorProto>, OnnxError> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.tensor(name).map(Some),
        }
    }

    pub(crate) fn float(&self, name: &str, default: f32) -> Result<f32, OnnxError> {
        match self.get(name) {
            None => Ok(default),
            Some(a)
                if a.r#type == Some(attribute_type::FLOAT)
                    || (a.r#type.is_none() && a.f.is_some()) =>
            {
                Ok(a.f.unwrap_or(0.0))
            }
            Some(a) => Err(self.wrong_type(a, "a float")),
        }
    }

    pub(crate) fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, OnnxError> {
        match self.get(name) {
            None => Ok(None),
            Some(a) if matches!(a.r#type, None | Some(attribute_type::INTS)) => {
                Ok(Some(a.ints.clone()))
            }
            Some(a) => Err(self.wrong_type(a, "a list of ints")),
        }
    }

    pub(crate) fn tensor(&self, name: &str) -> Result<&'a TensorProto, OnnxError> {
        match self.get(name) {
            Some(AttributeProto { t: Some(t), .. }) => Ok(t),
            Some(a) => Err(self.wrong_type(a, "a tensor")),
            None => Err(self.ctx.attribute(
                name,
                "absent".into(),
                "a Constant with a tensor `value` is supported",
            )),
        }
    }

    /// A string attribute (UTF-8, lossily), `default` when absent.
    pub(crate) fn string(&self, name: &str, default: &str) -> Result<String, OnnxError> {
        match self.get(name) {
            None => Ok(default.to_string()),
            Some(a)
                if a.r#type == Some(attribute_type::STRING)
                    || (a.r#type.is_none() && a.s.is_some()) =>
            {
                Ok(String::from_utf8_lossy(a.s.as_deref().unwrap_or_default()).into_owned())
            }
            Some(a) => Err(self.wrong_type(a, "a string")),
        }
    }

    /// `auto_pad` absent or `NOTSET`.
    pub(crate) fn auto_pad(&self) -> Result<(), OnnxError> {
        match self.get("auto_pad") {
            None => Ok(()),
            Some(a) if a.s.as_deref().unwrap_or(b"NOTSET") == b"NOTSET" => Ok(()),
            Some(a) => Err(self.ctx.attribute(
                "auto_pad",
                describe(a),
                "auto_pad = NOTSET (explicit pads) is supported",
            )),
        }
    }

    /// A list attribute that must be all ones (dilations).
    pub(crate) fn all_ones(&self, name: &str) -> Result<(), OnnxError> {
        match self.ints(name)? {
            Some(v) if v.iter().any(|&d| d != 1) => Err(self.ctx.attribute(
                name,
                format!("{v:?}"),
                &format!("{name} of 1 are supported"),
            )),
            _ => Ok(()),
        }
    }

    /// `strides`: absent (1) or `[s, s]` with `s ≥ 1`.
    pub(crate) fn stride(&self) -> Result<usize, OnnxError> {
        match self.ints("strides")?.as_deref() {
            None => Ok(1),
            Some([a, b]) if a == b && *a >= 1 && *a <= u32::MAX as i64 => Ok(*a as usize),
            Some(v) => Err(self.ctx.attribute(
                "strides",
                format!("{v:?}"),
                "equal strides [s, s] with s ≥ 1 are supported",
            )),
        }
    }

    /// `pads`: absent (0) or `[p, p, p, p]`.
    /// `pads` as `[top, left, bottom, right]` (ONNX's `[x1_begin, x2_begin, x1_end, x2_end]`
    /// of a 2-D window), each non-negative; absent: no padding.
    pub(crate) fn pads(&self) -> Result<[usize; 4], OnnxError> {
        match self.ints("pads")?.as_deref() {
            None => Ok([0; 4]),
            Some(&[t, l, b, r])
                if [t, l, b, r]
                    .iter()
                    .all(|&p| (0..=u32::MAX as i64).contains(&p)) =>
            {
                Ok([t as usize, l as usize, b as usize, r as usize])
            }
            Some(v) => Err(self.ctx.attribute(
                "pads",
                format!("{v:?}"),
                "four non-negative pads [top, left, bottom, right] are supported",
            )),
        }
    }
}

/// An attribute's value, for messages.
fn describe(a: &AttributeProto) -> String {
    if let Some(i) = a.i {
        i.to_string()
    } else if let Some(f) = a.f {
        f.to_string()
    } else if let Some(s) = &a.s {
        format!("{:?}", String::from_utf8_lossy(s))
    } else if !a.ints.is_empty() {
        format!("{:?}", a.ints)
    } else if !a.floats.is_empty() {
        format!("{:?}", a.floats)
    } else if a.t.is_some() {
        "a tensor".into()
    } else {
        "(empty)".into()
    }
}
