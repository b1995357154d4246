//! Stage 2's output: the intermediate representation the emitters read. Every name,
//! optionality and constraint is decided here; the IR holds no token types.

use std::collections::BTreeMap;

/// The service: its operations and every shape reachable from them.
#[derive(Debug, Clone)]
pub struct Service {
    /// Absolute shape id of the service.
    pub id: String,
    /// Short name of the service shape: the `X-Amz-Target` prefix for awsJson.
    pub target_prefix: String,
    /// Name of the generated service type (its builder adds `Builder`).
    pub type_name: String,
    pub protocol: Protocol,
    pub version: String,
    /// Sorted by name.
    pub operations: Vec<Operation>,
    /// Reachable shapes by absolute id (sorted, so output order is deterministic).
    pub shapes: BTreeMap<String, Shape>,
    pub validation: ValidationError,
    /// The violation reason for a missing required member.
    pub required_reason: String,
}

/// The awsJson protocol flavour, which decides the content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    AwsJson1_0,
    AwsJson1_1,
}

impl Protocol {
    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::AwsJson1_0 => "application/x-amz-json-1.0",
            Protocol::AwsJson1_1 => "application/x-amz-json-1.1",
        }
    }
}

/// How the service reports a constraint violation.
#[derive(Debug, Clone)]
pub struct ValidationError {
    /// `__type` of the error sent for a violation.
    pub type_name: String,
    /// Message template with `{path}` and `{reason}`.
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub name: String,
    /// Trait method name.
    pub method: String,
    /// Input structure id; `None` for `smithy.api#Unit`.
    pub input: Option<String>,
    pub output: Option<String>,
    /// Declared error shape ids, sorted by short name.
    pub errors: Vec<String>,
    /// Name of the generated per-operation error enum.
    pub error_enum: String,
    pub docs: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Shape {
    pub id: String,
    pub rust_name: String,
    pub kind: ShapeKind,
    pub docs: Vec<String>,
    /// Reachable from some operation input: needs an unvalidated wire mirror and a validator.
    pub in_input: bool,
    /// Set for `@error` structures.
    pub error: Option<ErrorInfo>,
    /// For a string shape with length or pattern constraints: the shape as a member that
    /// adds no trait of its own sees it (its constraints and their check).
    pub constrained: Option<Member>,
}

impl Shape {
    /// The constraints of a string shape that gets a validated newtype in `types`: one
    /// reachable from an input (so its check is generated) that has constraints. Members
    /// whose effective constraints are exactly these hold the newtype; a member that
    /// overrides them holds a plain `String`.
    pub fn newtype(&self) -> Option<&Member> {
        self.constrained.as_ref().filter(|_| self.in_input)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ErrorInfo {
    pub status: u16,
}

#[derive(Debug, Clone)]
pub enum ShapeKind {
    Structure {
        members: Vec<Member>,
    },
    Union {
        members: Vec<Member>,
    },
    List {
        item: Box<Member>,
    },
    Map {
        key: Box<Member>,
        value: Box<Member>,
    },
    /// `reason`: the violation reason for a value outside the set.
    Enum {
        variants: Vec<EnumVariant>,
        reason: String,
    },
    IntEnum {
        variants: Vec<IntEnumVariant>,
        reason: String,
    },
    Simple(Primitive),
}

impl ShapeKind {
    /// The members of a structure or union, the item of a list, the key and value of a map;
    /// nothing for the other kinds.
    pub fn members(&self) -> Vec<&Member> {
        match self {
            ShapeKind::Structure { members } | ShapeKind::Union { members } => {
                members.iter().collect()
            }
            ShapeKind::List { item } => vec![item],
            ShapeKind::Map { key, value } => vec![key, value],
            ShapeKind::Enum { .. } | ShapeKind::IntEnum { .. } | ShapeKind::Simple(_) => Vec::new(),
        }
    }

    /// [`ShapeKind::members`], to change.
    pub fn members_mut(&mut self) -> Vec<&mut Member> {
        match self {
            ShapeKind::Structure { members } | ShapeKind::Union { members } => {
                members.iter_mut().collect()
            }
            ShapeKind::List { item } => vec![item],
            ShapeKind::Map { key, value } => vec![key, value],
            ShapeKind::Enum { .. } | ShapeKind::IntEnum { .. } | ShapeKind::Simple(_) => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    String,
    Boolean,
    Byte,
    Short,
    Integer,
    Long,
    Float,
    Double,
    Timestamp,
    Blob,
    Document,
}

impl Primitive {
    /// The Smithy type, as the JSON AST spells it.
    pub fn smithy_name(self) -> &'static str {
        match self {
            Primitive::String => "string",
            Primitive::Boolean => "boolean",
            Primitive::Byte => "byte",
            Primitive::Short => "short",
            Primitive::Integer => "integer",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Timestamp => "timestamp",
            Primitive::Blob => "blob",
            Primitive::Document => "document",
        }
    }

    pub fn is_number(self) -> bool {
        matches!(
            self,
            Primitive::Byte
                | Primitive::Short
                | Primitive::Integer
                | Primitive::Long
                | Primitive::Float
                | Primitive::Double
        )
    }

    pub fn is_float(self) -> bool {
        matches!(self, Primitive::Float | Primitive::Double)
    }
}

#[derive(Debug, Clone)]
pub struct EnumVariant {
    pub rust_name: String,
    pub value: String,
    pub docs: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct IntEnumVariant {
    pub rust_name: String,
    pub value: i32,
}

/// A structure or union member, or the item/key/value of a list or map.
#[derive(Debug, Clone)]
pub struct Member {
    /// Name on the wire (the model's member name).
    pub name: String,
    /// Rust field (or variant) name, before raw-identifier escaping.
    pub field: String,
    pub target: String,
    pub presence: Presence,
    /// Effective constraints: the member's traits over its target's.
    pub constraints: Constraints,
    /// Where `constraints` are written, which identifies their generated check: the target's
    /// shape id when they are the target's own, the member's id (`Container$member`) when the
    /// member sets any of its own.
    pub check_id: String,
    /// Name of the generated check of `constraints`, unique per `check_id`: derived from the
    /// target's name or `<container>_member_<name>`, suffixed where two ids would share it.
    pub check_name: String,
    /// For a list item, the member name its violations are reported at, in place of the
    /// list's own `<list>.<n>.member` (a per-target setting, see
    /// [`crate::settings::Settings::items_reported_as`]).
    pub reported_as: Option<String>,
    /// Boxed to break a recursive cycle.
    pub boxed: bool,
    pub docs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Presence {
    Required,
    Default(DefaultValue),
    Optional,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    Bool(bool),
    /// The number as written in the model.
    Number(String),
    String(String),
    EmptyList,
    EmptyMap,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    pub length: Option<Bounds>,
    pub range: Option<Bounds>,
    pub pattern: Option<Pattern>,
    /// `@uniqueItems` on a list: the violation reason for a list holding an item twice.
    pub unique_items: Option<String>,
}

impl Constraints {
    pub fn is_empty(&self) -> bool {
        self.length.is_none()
            && self.range.is_none()
            && self.pattern.is_none()
            && self.unique_items.is_none()
    }
}

/// Inclusive bounds, numbers as written in the model, each with its violation reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    pub min: Option<Bound>,
    pub max: Option<Bound>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub value: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The pattern as written in the model (ECMA-262).
    pub source: String,
    /// The same language for the `regex` crate.
    pub regex: String,
    pub reason: String,
    /// Where the pattern is written: a shape id, or a member id (`Container$member`).
    pub origin: String,
    /// Name of the compiled-once static holding it, unique per `origin`.
    pub static_name: String,
}
