//! What a service's generated code may need beyond its model: how it names its validation
//! error and words its violation messages. Every message template has one home: here (the
//! defaults) or the service's settings file (its overrides).

use std::collections::BTreeMap;

use serde::Deserialize;

/// Settings for one service, read from JSON (all fields optional).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    /// Shape id (or short name) of the error sent for a constraint violation.
    pub validation_error: String,
    /// The violation message, with `{path}` (the member path) and `{reason}`.
    pub validation_message: String,
    pub reasons: Reasons,
    /// Pattern reasons for particular target shapes (by absolute shape id), for services
    /// that word some patterns their own way. Placeholders: `{pattern}`, `{bare_pattern}`.
    pub pattern_reasons: BTreeMap<String, String>,
    /// Length reasons for particular target shapes (by absolute shape id), like
    /// `pattern_reasons`; a bound left out keeps the common reason.
    pub length_reasons: BTreeMap<String, LengthReasons>,
    /// For list items targeting a shape (by absolute shape id): the member name their
    /// violations are reported at, as if the item were that member of the list's container,
    /// instead of `<list>.<n>.member`.
    pub items_reported_as: BTreeMap<String, String>,
}

/// Per-shape length reasons.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LengthReasons {
    /// `{min}`
    pub min: Option<String>,
    /// `{max}`
    pub max: Option<String>,
}

/// Reason templates, the part of a violation message that says what is wrong.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Reasons {
    pub required: String,
    /// `{min}`
    pub min_length: String,
    /// `{max}`
    pub max_length: String,
    /// `{min}`
    pub min_value: String,
    /// `{max}`
    pub max_value: String,
    /// `{values}`: the allowed values, comma separated.
    pub enum_values: String,
    /// `{pattern}` (as in the model) or `{bare_pattern}` (without anchors, `\/` as `/`).
    pub pattern: String,
    /// A `@uniqueItems` list holding an item more than once.
    pub unique_items: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            validation_error: "ValidationException".to_owned(),
            validation_message: "1 validation error detected: Value at '{path}' failed to satisfy constraint: {reason}"
                .to_owned(),
            reasons: Reasons::default(),
            pattern_reasons: BTreeMap::new(),
            length_reasons: BTreeMap::new(),
            items_reported_as: BTreeMap::new(),
        }
    }
}

impl Default for Reasons {
    fn default() -> Self {
        Reasons {
            required: "Member must not be null".to_owned(),
            min_length: "Member must have length greater than or equal to {min}".to_owned(),
            max_length: "Member must have length less than or equal to {max}".to_owned(),
            min_value: "Member must have value greater than or equal to {min}".to_owned(),
            max_value: "Member must have value less than or equal to {max}".to_owned(),
            enum_values: "Member must satisfy enum value set: [{values}]".to_owned(),
            pattern: "Member must satisfy regular expression pattern: {pattern}".to_owned(),
            unique_items: "Member must not contain duplicate items".to_owned(),
        }
    }
}

impl Settings {
    /// Parses a settings file's JSON.
    pub fn from_json(json: &str) -> Result<Settings, String> {
        serde_json::from_str(json).map_err(|e| format!("invalid codegen settings: {e}"))
    }
}

/// Replaces each `{name}` in `template` by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}
