//! Model files, in two forms (`spec/model-format.md`):
//!
//! * **inline**: one JSON file, the [`Model`] with its weights (what [`Model::from_json`]
//!   reads);
//! * **split**: a JSON file `{"weights_file": "model.weights", "architecture": {…}}` — the
//!   architecture ([`Model::architecture`], no weights) naming a binary weights file
//!   ([`weights`]) by a path relative to the JSON's directory.
//!
//! [`load`] reads either form; [`load_architecture`] reads either without the weights (a
//! split model's weights file is not opened); [`save`] writes either ([`WeightsForm`]). The
//! split form's weights take 1 byte per int8 weight where JSON takes 4 to 5, and are read
//! without parsing text (`inspect` on a split model reads only the architecture).

use super::ir::{Layer, Model};
use super::validate::{json_error, scan_json, ModelError};
use super::weights::{self, WeightsError};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The most bytes of a model's JSON that [`load`] reads: `2^24` weights (the inline form's
/// limit, [`MAX_MODEL_NUMBERS`](super::validate::MAX_MODEL_NUMBERS)) written one per line,
/// indented, take about 240 MiB.
pub const MAX_JSON_BYTES: u64 = 512 << 20;

/// Up to this many weights and biases, [`WeightsForm::Auto`] writes one JSON file: about 4 MiB
/// of JSON, read in a fraction of a second.
pub const INLINE_LIMIT: usize = 1 << 20;

/// What a model's JSON holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelJson {
    /// A model with its weights, or an architecture without them (not yet validated).
    Inline(Model),
    /// A split model: its architecture (validated, without weights) and its weights file's
    /// path, relative to the JSON's directory (checked: relative, no `..`).
    Split {
        /// The architecture.
        architecture: Model,
        /// The weights file, as written in the JSON.
        weights_file: String,
    },
}

/// The split form's JSON.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitJson<M> {
    weights_file: String,
    architecture: M,
}

impl ModelJson {
    /// Parses a model's JSON in either form. A text of more than
    /// [`MAX_MODEL_NUMBERS`](super::validate::MAX_MODEL_NUMBERS) numbers is refused before
    /// parsing; the split form's architecture is validated
    /// ([`Model::validate_architecture`]) and must hold no weights.
    pub fn parse(json: &str) -> Result<ModelJson, ModelError> {
        if !scan_json(json)? {
            return serde_json::from_str(json)
                .map(ModelJson::Inline)
                .map_err(json_error);
        }
        let split: SplitJson<Model> = serde_json::from_str(json).map_err(json_error)?;
        check_weights_file(&split.weights_file)?;
        let architecture = split.architecture;
        architecture.validate_architecture()?;
        if let Some((layer, l)) = architecture
            .layers
            .iter()
            .enumerate()
            .find(|(_, l)| match l {
                Layer::Conv2d(c) => !c.weights.is_empty() || !c.bias.is_empty(),
                Layer::Dense(d) => !d.weights.is_empty() || !d.bias.is_empty(),
                _ => false,
            })
        {
            return Err(ModelError::WeightsInArchitecture {
                layer,
                kind: l.kind(),
            });
        }
        Ok(ModelJson::Split {
            architecture,
            weights_file: split.weights_file,
        })
    }
}

/// A weights file's path as a split model names it: relative, inside the model's directory.
fn check_weights_file(weights_file: &str) -> Result<(), ModelError> {
    let path = Path::new(weights_file);
    let inside = path.components().all(|c| matches!(c, Component::Normal(_)));
    if weights_file.is_empty() || !inside {
        return Err(ModelError::WeightsFile {
            weights_file: weights_file.to_string(),
        });
    }
    Ok(())
}

/// The split form's JSON of `model`: its architecture naming `weights_file` (compact, one
/// line).
pub fn split_json(model: &Model, weights_file: &str) -> String {
    serde_json::to_string(&SplitJson {
        weights_file: weights_file.to_string(),
        architecture: model.architecture(),
    })
    .expect("a Model always serializes")
}

/// The weights file a split model's JSON at `json` names: `weights_file` in the JSON's
/// directory.
pub fn resolve(json: &Path, weights_file: &str) -> PathBuf {
    match json.parent() {
        Some(dir) => dir.join(weights_file),
        None => PathBuf::from(weights_file),
    }
}

/// The weights file [`save`] writes next to `json`: its name with the extension `weights`
/// (`model.json` → `model.weights`).
pub fn weights_path_for(json: &Path) -> PathBuf {
    json.with_extension("weights")
}

/// Which form [`save`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WeightsForm {
    /// Inline up to [`INLINE_LIMIT`] weights and biases, split beyond.
    #[default]
    Auto,
    /// One JSON file, weights inline (refused beyond the inline form's limit of `2^24`
    /// numbers, which no reader would accept).
    Inline,
    /// Split: the architecture's JSON and a weights file.
    File,
}

impl WeightsForm {
    /// Whether `model` is written split.
    pub fn splits(self, model: &Model) -> bool {
        match self {
            WeightsForm::Auto => model.parameters() > INLINE_LIMIT,
            WeightsForm::Inline => false,
            WeightsForm::File => true,
        }
    }
}

/// Why a model file could not be loaded or saved; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file could not be read.
    #[error("cannot read {what} '{path}': {source}")]
    Read {
        /// "model" or "weights".
        what: &'static str,
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {what} '{path}': {source}")]
    Write {
        /// "model" or "weights".
        what: &'static str,
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The model's JSON is too long to read ([`MAX_JSON_BYTES`]), or not UTF-8.
    #[error("invalid model '{path}': {reason}")]
    Text {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The model's JSON is malformed or the model invalid.
    #[error("invalid model '{path}': {source}")]
    Model {
        /// The file.
        path: String,
        /// What is wrong.
        source: Box<ModelError>,
    },
    /// The weights file is malformed or does not fit the architecture.
    #[error("invalid weights '{path}' (of the model '{model}'): {source}")]
    Weights {
        /// The weights file.
        path: String,
        /// The model's JSON that names it.
        model: String,
        /// What is wrong.
        source: Box<WeightsError>,
    },
    /// The model is too large for one JSON file.
    #[error("cannot save the model as '{path}' in one JSON file: it has {parameters} weights and biases, more than the {limit} that a model's JSON may hold; save it split (weights in a file of their own)")]
    InlineTooLarge {
        /// The model's JSON.
        path: String,
        /// The model's weights and biases.
        parameters: usize,
        /// The inline form's limit.
        limit: usize,
    },
    /// The model cannot be saved in the form asked (invalid, or beyond a limit).
    #[error("cannot save the model as '{path}': {source}")]
    Save {
        /// The model's JSON.
        path: String,
        /// What is wrong.
        source: Box<WeightsError>,
    },
}

fn show(path: &Path) -> String {
    path.display().to_string()
}

/// A model's JSON text, refused beyond [`MAX_JSON_BYTES`] before it is read.
fn read_text(path: &Path) -> Result<String, LoadError> {
    let io = |source| LoadError::Read {
        what: "model",
        path: show(path),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let too_long = || LoadError::Text {
        path: show(path),
        reason: format!("the file has more than {MAX_JSON_BYTES} bytes, the most that are read"),
    };
    if len > MAX_JSON_BYTES {
        return Err(too_long());
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_JSON_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_JSON_BYTES {
        return Err(too_long());
    }
    String::from_utf8(bytes).map_err(|e| LoadError::Text {
        path: show(path),
        reason: format!("not UTF-8 text ({e})"),
    })
}

/// The JSON at `path`, parsed.
fn read_json(path: &Path) -> Result<ModelJson, LoadError> {
    ModelJson::parse(&read_text(path)?).map_err(|source| LoadError::Model {
        path: show(path),
        source: Box::new(source),
    })
}

/// Reads the weights file named by the split model at `json` for `architecture`.
pub fn load_weights(
    json: &Path,
    architecture: &Model,
    weights_file: &str,
) -> Result<Model, LoadError> {
    let path = resolve(json, weights_file);
    weights::read_file(architecture, &path).map_err(|e| match e {
        WeightsError::Io(source) => LoadError::Read {
            what: "weights",
            path: show(&path),
            source,
        },
        source => LoadError::Weights {
            path: show(&path),
            model: show(json),
            source: Box::new(source),
        },
    })
}

/// The model at `path`, in either form, with its weights, validated.
pub fn load(path: &Path) -> Result<Model, LoadError> {
    match read_json(path)? {
        ModelJson::Inline(model) => {
            model.validate().map_err(|source| LoadError::Model {
                path: show(path),
                source: Box::new(source),
            })?;
            Ok(model)
        }
        ModelJson::Split {
            architecture,
            weights_file,
        } => load_weights(path, &architecture, &weights_file),
    }
}

/// The model at `path`, in either form, validated as an architecture: an inline model's
/// weights are kept if present; a split model's weights file is not read.
pub fn load_architecture(path: &Path) -> Result<Model, LoadError> {
    match read_json(path)? {
        ModelJson::Inline(model) => {
            model
                .validate_architecture()
                .map_err(|source| LoadError::Model {
                    path: show(path),
                    source: Box::new(source),
                })?;
            Ok(model)
        }
        ModelJson::Split { architecture, .. } => Ok(architecture),
    }
}

/// Writes `model` (valid, weights included) to `path` in the `form` asked; a split model's
/// weights go to [`weights_path_for`]`(path)`. Returns the weights file and its length when
/// it split.
pub fn save(
    model: &Model,
    path: &Path,
    form: WeightsForm,
) -> Result<Option<(PathBuf, u64)>, LoadError> {
    let write_err = |what, path: &Path, source| LoadError::Write {
        what,
        path: show(path),
        source,
    };
    if !form.splits(model) {
        let limit = 1 << 24;
        if model.parameters() > limit {
            return Err(LoadError::InlineTooLarge {
                path: show(path),
                parameters: model.parameters(),
                limit,
            });
        }
        let json = serde_json::to_string(model).expect("a Model always serializes");
        std::fs::write(path, json).map_err(|e| write_err("model", path, e))?;
        return Ok(None);
    }
    let weights_path = weights_path_for(path);
    let name = weights_path
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|_| weights_path != path)
        .ok_or_else(|| {
            write_err(
                "weights",
                &weights_path,
                std::io::Error::other(
                    "the weights file would be the model's JSON itself, or its name is not \
                     UTF-8: name the model file '….json'",
                ),
            )
        })?;
    let len = weights::write_file(model, &weights_path).map_err(|e| match e {
        WeightsError::Io(source) => write_err("weights", &weights_path, source),
        source => LoadError::Save {
            path: show(path),
            source: Box::new(source),
        },
    })?;
    std::fs::write(path, split_json(model, name)).map_err(|e| write_err("model", path, e))?;
    Ok(Some((weights_path, len)))
}
