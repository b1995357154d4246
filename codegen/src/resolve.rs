//! Stage 2: the parsed model → the IR. Finds the service and its closure, applies trait
//! precedence (a member's trait overrides its target's), decides optionality, names and
//! typed constraints.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value;

use crate::ir::{
    Bound, Bounds, Constraints, DefaultValue, EnumVariant, ErrorInfo, IntEnumVariant, Member,
    Operation, Pattern, Presence, Primitive, Protocol, Service, Shape, ShapeKind, ValidationError,
};
use crate::model::{MemberRef, Model, Shape as AstShape};
use crate::settings::{Settings, fill};
use crate::{docs, names, pattern};

const UNIT: &str = "smithy.api#Unit";

mod traits {
    pub const REQUIRED: &str = "smithy.api#required";
    pub const DEFAULT: &str = "smithy.api#default";
    pub const LENGTH: &str = "smithy.api#length";
    pub const RANGE: &str = "smithy.api#range";
    pub const PATTERN: &str = "smithy.api#pattern";
    pub const ENUM_VALUE: &str = "smithy.api#enumValue";
    pub const LEGACY_ENUM: &str = "smithy.api#enum";
    pub const ERROR: &str = "smithy.api#error";
    pub const HTTP_ERROR: &str = "smithy.api#httpError";
    pub const DOCUMENTATION: &str = "smithy.api#documentation";
    pub const AWS_JSON_1_0: &str = "aws.protocols#awsJson1_0";
    pub const AWS_JSON_1_1: &str = "aws.protocols#awsJson1_1";
    pub const AWS_SERVICE: &str = "aws.api#service";
}

/// Resolves the model's one service into the IR.
pub fn resolve(model: &Model, settings: &Settings) -> Result<Service, String> {
    Resolver { model, settings }.service()
}

struct Resolver<'a> {
    model: &'a Model,
    settings: &'a Settings,
}

impl Resolver<'_> {
    fn service(&self) -> Result<Service, String> {
        let services: Vec<_> = self
            .model
            .shapes
            .iter()
            .filter(|(_, s)| s.kind == "service")
            .collect();
        let [(service_id, service)] = services.as_slice() else {
            return Err(format!(
                "the model must define exactly one service, it defines {}",
                services.len()
            ));
        };
        let protocol = if service.traits.contains_key(traits::AWS_JSON_1_1) {
            Protocol::AwsJson1_1
        } else if service.traits.contains_key(traits::AWS_JSON_1_0) {
            Protocol::AwsJson1_0
        } else {
            let found: Vec<&str> = service
                .traits
                .keys()
                .filter(|t| t.starts_with("aws.protocols#") || t.starts_with("smithy.protocols#"))
                .map(String::as_str)
                .collect();
            let found = match found.as_slice() {
                [] => "no protocol trait".to_owned(),
                traits => format!("the protocol {}", traits.join(", ")),
            };
            return Err(format!(
                "service {service_id} uses {found}; the generator supports {} and {}",
                traits::AWS_JSON_1_0,
                traits::AWS_JSON_1_1
            ));
        };
        let target_prefix = names::short_name(service_id).to_owned();
        let sdk_id = service
            .traits
            .get(traits::AWS_SERVICE)
            .and_then(|t| t.get("sdkId"))
            .and_then(Value::as_str)
            .unwrap_or(&target_prefix);
        let trait_name = format!("{}Api", names::type_name(sdk_id));

        let mut operations = self
            .operation_ids(service)?
            .into_iter()
            .map(|id| self.operation(&id))
            .collect::<Result<Vec<_>, _>>()?;
        operations.sort_by(|a, b| a.name.cmp(&b.name));

        let shapes = self.closure(&operations)?;
        let validation = ValidationError {
            type_name: names::short_name(&self.settings.validation_error).to_owned(),
            message: self.settings.validation_message.clone(),
        };
        let service = Service {
            id: (*service_id).clone(),
            target_prefix,
            trait_name,
            protocol,
            version: service.version.clone().unwrap_or_default(),
            operations,
            shapes,
            validation,
            required_reason: self.settings.reasons.required.clone(),
        };
        check_unique_type_names(&service)?;
        Ok(service)
    }

    /// Operations bound to the service directly or through its resources.
    fn operation_ids(&self, service: &AstShape) -> Result<BTreeSet<String>, String> {
        let mut ids = BTreeSet::new();
        let mut resources: VecDeque<String> =
            service.resources.iter().map(|t| t.target.clone()).collect();
        ids.extend(service.operations.iter().map(|t| t.target.clone()));
        while let Some(resource_id) = resources.pop_front() {
            let resource = self.shape(&resource_id)?;
            let lifecycle = [
                &resource.create,
                &resource.put,
                &resource.read,
                &resource.update,
                &resource.delete,
                &resource.list,
            ];
            ids.extend(lifecycle.into_iter().flatten().map(|t| t.target.clone()));
            ids.extend(
                resource
                    .operations
                    .iter()
                    .chain(&resource.collection_operations)
                    .map(|t| t.target.clone()),
            );
            resources.extend(resource.resources.iter().map(|t| t.target.clone()));
        }
        Ok(ids)
    }

    fn operation(&self, id: &str) -> Result<Operation, String> {
        let shape = self.shape(id)?;
        if shape.kind != "operation" {
            return Err(format!(
                "{id} is bound as an operation but is a {}",
                shape.kind
            ));
        }
        let io = |target: &Option<crate::model::Target>| {
            target
                .as_ref()
                .map(|t| t.target.clone())
                .filter(|t| t != UNIT)
        };
        let mut errors: Vec<String> = shape.errors.iter().map(|t| t.target.clone()).collect();
        errors.sort_by(|a, b| names::short_name(a).cmp(names::short_name(b)));
        errors.dedup();
        let name = names::short_name(id).to_owned();
        Ok(Operation {
            method: names::field(&name),
            error_enum: format!("{}Error", names::type_name(&name)),
            input: io(&shape.input),
            output: io(&shape.output),
            errors,
            docs: self.docs(&shape.traits),
            name,
        })
    }

    /// Every shape reachable from the operations, with `in_input` marked.
    fn closure(&self, operations: &[Operation]) -> Result<BTreeMap<String, Shape>, String> {
        let mut shapes: BTreeMap<String, Shape> = BTreeMap::new();
        let mut input_ids = BTreeSet::new();
        let mut queue: VecDeque<(String, bool)> = VecDeque::new();
        for op in operations {
            queue.extend(op.input.iter().map(|id| (id.clone(), true)));
            queue.extend(
                op.output
                    .iter()
                    .chain(&op.errors)
                    .map(|id| (id.clone(), false)),
            );
        }
        while let Some((id, in_input)) = queue.pop_front() {
            if in_input && !input_ids.insert(id.clone()) {
                continue;
            }
            if !in_input && shapes.contains_key(&id) {
                continue;
            }
            let shape = match shapes.get(&id) {
                Some(shape) => shape.clone(),
                None => self.ir_shape(&id)?,
            };
            for target in targets(&shape.kind) {
                queue.push_back((target.to_owned(), in_input));
            }
            shapes.insert(id, shape);
        }
        for id in &input_ids {
            if let Some(shape) = shapes.get_mut(id) {
                shape.in_input = true;
            }
        }
        mark_recursive_members(&mut shapes);
        Ok(shapes)
    }

    fn ir_shape(&self, id: &str) -> Result<Shape, String> {
        if let Some(primitive) = prelude(id) {
            return Ok(Shape {
                id: id.to_owned(),
                rust_name: names::type_name(names::short_name(id)),
                kind: ShapeKind::Simple(primitive),
                docs: Vec::new(),
                in_input: false,
                error: None,
            });
        }
        let shape = self.shape(id)?;
        let short = names::short_name(id);
        let kind = match shape.kind.as_str() {
            "structure" => ShapeKind::Structure {
                members: self.members(id, shape)?,
            },
            "union" => ShapeKind::Union {
                members: self.members(id, shape)?,
            },
            "list" | "set" => ShapeKind::List {
                item: Box::new(self.collection_member(id, "member", &shape.member)?),
            },
            "map" => ShapeKind::Map {
                key: Box::new(self.collection_member(id, "key", &shape.key)?),
                value: Box::new(self.collection_member(id, "value", &shape.value)?),
            },
            "enum" => self.enum_kind(shape)?,
            "intEnum" => self.int_enum_kind(id, shape)?,
            "string" if shape.traits.contains_key(traits::LEGACY_ENUM) => {
                self.legacy_enum_kind(id, shape)?
            }
            "string" => ShapeKind::Simple(Primitive::String),
            "boolean" => ShapeKind::Simple(Primitive::Boolean),
            "byte" => ShapeKind::Simple(Primitive::Byte),
            "short" => ShapeKind::Simple(Primitive::Short),
            "integer" => ShapeKind::Simple(Primitive::Integer),
            "long" => ShapeKind::Simple(Primitive::Long),
            "float" => ShapeKind::Simple(Primitive::Float),
            "double" => ShapeKind::Simple(Primitive::Double),
            "timestamp" => ShapeKind::Simple(Primitive::Timestamp),
            "blob" => ShapeKind::Simple(Primitive::Blob),
            "document" => ShapeKind::Simple(Primitive::Document),
            other => return Err(format!("{id}: shapes of type `{other}` are not supported")),
        };
        let error = match shape.traits.get(traits::ERROR).and_then(Value::as_str) {
            None => None,
            Some(fault) => {
                let fallback = if fault == "server" { 500 } else { 400 };
                let status = shape
                    .traits
                    .get(traits::HTTP_ERROR)
                    .and_then(Value::as_u64)
                    .map_or(fallback, |s| s as u16);
                Some(ErrorInfo { status })
            }
        };
        Ok(Shape {
            id: id.to_owned(),
            rust_name: names::type_name(short),
            kind,
            docs: self.docs(&shape.traits),
            in_input: false,
            error,
        })
    }

    fn members(&self, container: &str, shape: &AstShape) -> Result<Vec<Member>, String> {
        let mut members = shape
            .members
            .0
            .iter()
            .map(|(name, member)| self.member(container, name, member))
            .collect::<Result<Vec<_>, _>>()?;
        let mut fields: Vec<String> = members.iter().map(|m| m.field.clone()).collect();
        names::dedupe(&mut fields);
        for (member, field) in members.iter_mut().zip(fields) {
            member.field = field;
        }
        Ok(members)
    }

    fn collection_member(
        &self,
        container: &str,
        role: &str,
        member: &Option<MemberRef>,
    ) -> Result<Member, String> {
        let member = member
            .as_ref()
            .ok_or_else(|| format!("{container} has no `{role}`"))?;
        let mut resolved = self.member(container, role, member)?;
        // Items, keys and values are always present when their collection is.
        resolved.presence = Presence::Required;
        Ok(resolved)
    }

    fn member(&self, container: &str, name: &str, member: &MemberRef) -> Result<Member, String> {
        let target_traits = match prelude(&member.target) {
            Some(_) => BTreeMap::new(),
            None => self.shape(&member.target)?.traits.clone(),
        };
        let effective = |trait_id: &str| {
            member
                .traits
                .get(trait_id)
                .or_else(|| target_traits.get(trait_id))
        };
        let presence = match member.traits.get(traits::DEFAULT) {
            Some(value) if !value.is_null() => {
                Presence::Default(default_value(container, name, value)?)
            }
            _ if member.traits.contains_key(traits::REQUIRED) => Presence::Required,
            _ => Presence::Optional,
        };
        let reasons = &self.settings.reasons;
        let bounds = |trait_value: Option<&Value>| -> Option<Bounds> {
            let value = trait_value?;
            let bound = |key: &str, template: &str, placeholder: &str| {
                value.get(key).filter(|v| v.is_number()).map(|v| Bound {
                    value: v.to_string(),
                    reason: fill(template, &[(placeholder, &v.to_string())]),
                })
            };
            Some(Bounds {
                min: bound("min", &reasons.min_length, "min"),
                max: bound("max", &reasons.max_length, "max"),
            })
        };
        // A minimum length of 0 constrains nothing.
        let length = bounds(effective(traits::LENGTH))
            .map(|mut length| {
                length.min = length.min.filter(|min| min.value != "0");
                length
            })
            .filter(|length| length.min.is_some() || length.max.is_some());
        let mut range = bounds(effective(traits::RANGE));
        if let Some(range) = &mut range {
            // Same numbers, value wording.
            for (bound, template, placeholder) in [
                (&mut range.min, &reasons.min_value, "min"),
                (&mut range.max, &reasons.max_value, "max"),
            ] {
                if let Some(bound) = bound {
                    bound.reason = fill(template, &[(placeholder, &bound.value)]);
                }
            }
        }
        let pattern = match effective(traits::PATTERN).and_then(Value::as_str) {
            None => None,
            Some(source) => {
                let (origin, static_name) = if member.traits.contains_key(traits::PATTERN) {
                    let origin = format!("{container}${name}");
                    let static_name = format!(
                        "{}_{}_PATTERN",
                        names::constant(names::short_name(container)),
                        names::constant(name)
                    );
                    (origin, static_name)
                } else {
                    (
                        member.target.clone(),
                        format!(
                            "{}_PATTERN",
                            names::constant(names::short_name(&member.target))
                        ),
                    )
                };
                let template = self
                    .settings
                    .pattern_reasons
                    .get(&origin)
                    .unwrap_or(&reasons.pattern);
                Some(Pattern {
                    source: source.to_owned(),
                    regex: pattern::to_rust_regex(source)
                        .map_err(|e| format!("{container}${name}: {e}"))?,
                    reason: fill(
                        template,
                        &[
                            ("pattern", source),
                            ("bare_pattern", &pattern::bare(source)),
                        ],
                    ),
                    static_name,
                })
            }
        };
        let own_constraints = [traits::LENGTH, traits::RANGE, traits::PATTERN]
            .iter()
            .any(|t| member.traits.contains_key(*t));
        let check_name = if own_constraints {
            format!(
                "{}_member_{}",
                names::field(names::short_name(container)),
                names::field(name)
            )
        } else {
            names::field(names::short_name(&member.target))
        };
        Ok(Member {
            check_name,
            name: name.to_owned(),
            field: names::field(name),
            target: member.target.clone(),
            presence,
            constraints: Constraints {
                length,
                range,
                pattern,
            },
            boxed: false,
            docs: self.docs(&member.traits),
        })
    }

    fn enum_kind(&self, shape: &AstShape) -> Result<ShapeKind, String> {
        let mut variants: Vec<EnumVariant> = shape
            .members
            .0
            .iter()
            .map(|(name, member)| EnumVariant {
                rust_name: names::type_name(name),
                value: member
                    .traits
                    .get(traits::ENUM_VALUE)
                    .and_then(Value::as_str)
                    .unwrap_or(name)
                    .to_owned(),
                docs: self.docs(&member.traits),
            })
            .collect();
        dedupe_variants(&mut variants);
        let reason = self.enum_reason(variants.iter().map(|v| v.value.clone()));
        Ok(ShapeKind::Enum { variants, reason })
    }

    fn legacy_enum_kind(&self, id: &str, shape: &AstShape) -> Result<ShapeKind, String> {
        let definitions = shape.traits[traits::LEGACY_ENUM]
            .as_array()
            .ok_or_else(|| format!("{id}: malformed @enum"))?;
        let mut variants = definitions
            .iter()
            .map(|definition| {
                let value = definition
                    .get("value")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{id}: @enum value"))?;
                let name = definition
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(value);
                let docs = definition
                    .get("documentation")
                    .and_then(Value::as_str)
                    .map(docs::paragraphs)
                    .unwrap_or_default();
                Ok(EnumVariant {
                    rust_name: names::type_name(name),
                    value: value.to_owned(),
                    docs,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        dedupe_variants(&mut variants);
        let reason = self.enum_reason(variants.iter().map(|v| v.value.clone()));
        Ok(ShapeKind::Enum { variants, reason })
    }

    fn int_enum_kind(&self, id: &str, shape: &AstShape) -> Result<ShapeKind, String> {
        let variants = shape
            .members
            .0
            .iter()
            .map(|(name, member)| {
                let value = member
                    .traits
                    .get(traits::ENUM_VALUE)
                    .and_then(Value::as_i64)
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(|| {
                        format!("{id}${name}: intEnum members need an integer @enumValue")
                    })?;
                Ok(IntEnumVariant {
                    rust_name: names::type_name(name),
                    value,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let reason = self.enum_reason(variants.iter().map(|v| v.value.to_string()));
        Ok(ShapeKind::IntEnum { variants, reason })
    }

    fn enum_reason(&self, values: impl Iterator<Item = String>) -> String {
        let values: Vec<String> = values.collect();
        fill(
            &self.settings.reasons.enum_values,
            &[("values", &values.join(", "))],
        )
    }

    fn docs(&self, traits: &BTreeMap<String, Value>) -> Vec<String> {
        traits
            .get(traits::DOCUMENTATION)
            .and_then(Value::as_str)
            .map(docs::paragraphs)
            .unwrap_or_default()
    }

    fn shape(&self, id: &str) -> Result<&AstShape, String> {
        self.model
            .shapes
            .get(id)
            .ok_or_else(|| format!("shape {id} is referenced but not defined"))
    }
}

/// Shapes of the Smithy prelude that models target without defining.
fn prelude(id: &str) -> Option<Primitive> {
    let name = id.strip_prefix("smithy.api#")?;
    Some(match name.strip_prefix("Primitive").unwrap_or(name) {
        "String" => Primitive::String,
        "Boolean" => Primitive::Boolean,
        "Byte" => Primitive::Byte,
        "Short" => Primitive::Short,
        "Integer" => Primitive::Integer,
        "Long" => Primitive::Long,
        "Float" => Primitive::Float,
        "Double" => Primitive::Double,
        "Timestamp" => Primitive::Timestamp,
        "Blob" => Primitive::Blob,
        "Document" => Primitive::Document,
        _ => return None,
    })
}

fn default_value(container: &str, member: &str, value: &Value) -> Result<DefaultValue, String> {
    Ok(match value {
        Value::Bool(b) => DefaultValue::Bool(*b),
        Value::Number(n) => DefaultValue::Number(n.to_string()),
        Value::String(s) => DefaultValue::String(s.clone()),
        Value::Array(items) if items.is_empty() => DefaultValue::EmptyList,
        Value::Object(entries) if entries.is_empty() => DefaultValue::EmptyMap,
        other => {
            return Err(format!(
                "{container}${member}: unsupported @default value {other}"
            ));
        }
    })
}

fn dedupe_variants(variants: &mut [EnumVariant]) {
    let mut names: Vec<String> = variants.iter().map(|v| v.rust_name.clone()).collect();
    names::dedupe(&mut names);
    for (variant, name) in variants.iter_mut().zip(names) {
        if variant.rust_name != name {
            // `Foo_2` → `Foo2`: suffixed duplicates stay upper camel case.
            variant.rust_name = names::type_name(&name);
        }
    }
}

/// The shapes a shape refers to.
pub fn targets(kind: &ShapeKind) -> Vec<&str> {
    match kind {
        ShapeKind::Structure { members } | ShapeKind::Union { members } => {
            members.iter().map(|m| m.target.as_str()).collect()
        }
        ShapeKind::List { item } => vec![item.target.as_str()],
        ShapeKind::Map { key, value } => vec![key.target.as_str(), value.target.as_str()],
        _ => Vec::new(),
    }
}

/// Boxes every structure/union member through which its own container can be reached
/// without passing a list or map (those already allocate), so recursive types have a size.
fn mark_recursive_members(shapes: &mut BTreeMap<String, Shape>) {
    let direct = |shapes: &BTreeMap<String, Shape>, id: &str| -> Vec<String> {
        match shapes.get(id).map(|s| &s.kind) {
            Some(ShapeKind::Structure { members } | ShapeKind::Union { members }) => members
                .iter()
                .filter(|m| {
                    matches!(
                        shapes.get(&m.target).map(|s| &s.kind),
                        Some(ShapeKind::Structure { .. } | ShapeKind::Union { .. })
                    )
                })
                .map(|m| m.target.clone())
                .collect(),
            _ => Vec::new(),
        }
    };
    let reaches = |shapes: &BTreeMap<String, Shape>, from: &str, to: &str| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(id) = stack.pop() {
            if id == to {
                return true;
            }
            if seen.insert(id.clone()) {
                stack.extend(direct(shapes, &id));
            }
        }
        false
    };
    let ids: Vec<String> = shapes.keys().cloned().collect();
    for id in ids {
        let boxed: Vec<bool> = match &shapes[&id].kind {
            ShapeKind::Structure { members } | ShapeKind::Union { members } => members
                .iter()
                .map(|m| direct(shapes, &id).contains(&m.target) && reaches(shapes, &m.target, &id))
                .collect(),
            _ => continue,
        };
        if let Some(Shape {
            kind: ShapeKind::Structure { members } | ShapeKind::Union { members },
            ..
        }) = shapes.get_mut(&id)
        {
            for (member, boxed) in members.iter_mut().zip(boxed) {
                member.boxed = boxed;
            }
        }
    }
}

/// Named types live in two modules (`types`, `errors`): names must be unique in each.
fn check_unique_type_names(service: &Service) -> Result<(), String> {
    let mut seen: BTreeMap<(bool, &str), &str> = BTreeMap::new();
    let named = service.shapes.values().filter(|s| {
        !matches!(
            s.kind,
            ShapeKind::Simple(_) | ShapeKind::List { .. } | ShapeKind::Map { .. }
        )
    });
    for shape in named {
        if let Some(other) = seen.insert((shape.error.is_some(), &shape.rust_name), &shape.id) {
            return Err(format!(
                "shapes {other} and {} would both be named {}",
                shape.id, shape.rust_name
            ));
        }
    }
    for op in &service.operations {
        if let Some(other) = seen.insert((true, &op.error_enum), &op.name) {
            return Err(format!(
                "operation {} error enum {} collides with {other}",
                op.name, op.error_enum
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-operation awsJson1_1 service whose input has `members`, plus `extra` shapes.
    /// JSON text, not `json!`: member order matters and `serde_json::Map` would sort it.
    fn service_with(members: &str, extra: &str) -> Service {
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(", {extra}")
        };
        let model = format!(
            r#"{{"smithy": "2.0", "shapes": {{
                "t#Svc": {{ "type": "service", "operations": [{{ "target": "t#Op" }}], "traits": {{ "aws.protocols#awsJson1_1": {{}} }} }},
                "t#Op": {{ "type": "operation", "input": {{ "target": "t#Input" }}, "output": {{ "target": "smithy.api#Unit" }} }},
                "t#Input": {{ "type": "structure", "members": {{ {members} }} }}{extra}
            }}}}"#
        );
        resolve(&crate::model::parse(&model).unwrap(), &Settings::default()).unwrap()
    }

    fn input_members(service: &Service) -> &[Member] {
        match &service.shapes["t#Input"].kind {
            ShapeKind::Structure { members } => members,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn member_traits_override_target_traits() {
        let service = service_with(
            r#""plain": { "target": "t#Name" },
                "shorter": { "target": "t#Name", "traits": { "smithy.api#length": { "max": 3 } } }"#,
            r#""t#Name": { "type": "string", "traits": { "smithy.api#length": { "min": 2, "max": 8 }, "smithy.api#pattern": "^[a-z]+$" } }"#,
        );
        let [plain, shorter] = input_members(&service) else {
            panic!()
        };
        let length = plain.constraints.length.as_ref().unwrap();
        assert_eq!(
            (
                length.min.as_ref().unwrap().value.as_str(),
                length.max.as_ref().unwrap().value.as_str()
            ),
            ("2", "8")
        );
        assert_eq!(plain.check_name, "name");
        let length = shorter.constraints.length.as_ref().unwrap();
        assert!(
            length.min.is_none(),
            "the member's @length replaces the target's whole trait"
        );
        assert_eq!(length.max.as_ref().unwrap().value, "3");
        assert_eq!(
            shorter.constraints.pattern.as_ref().unwrap().source,
            "^[a-z]+$",
            "traits the member does not set still come from the target"
        );
        assert_eq!(shorter.check_name, "input_member_shorter");
    }

    #[test]
    fn optionality_follows_required_and_default() {
        let service = service_with(
            r#""a": { "target": "smithy.api#String", "traits": { "smithy.api#required": {} } },
                "b": { "target": "smithy.api#Boolean", "traits": { "smithy.api#default": false } },
                "c": { "target": "smithy.api#Integer" },
                "d": { "target": "smithy.api#Integer", "traits": { "smithy.api#default": null } },
                "e": { "target": "smithy.api#String", "traits": { "smithy.api#required": {}, "smithy.api#default": "x" } }"#,
            "",
        );
        let presences: Vec<_> = input_members(&service)
            .iter()
            .map(|m| m.presence.clone())
            .collect();
        assert_eq!(
            presences,
            [
                Presence::Required,
                Presence::Default(DefaultValue::Bool(false)),
                Presence::Optional,
                Presence::Optional,
                Presence::Default(DefaultValue::String("x".into())),
            ]
        );
    }

    #[test]
    fn names_handle_keywords_and_collisions() {
        let service = service_with(
            r#""type": { "target": "smithy.api#String" },
                "fooBar": { "target": "smithy.api#String" },
                "foo_bar": { "target": "smithy.api#String" },
                "self": { "target": "smithy.api#String" }"#,
            "",
        );
        let fields: Vec<_> = input_members(&service)
            .iter()
            .map(|m| names::ident_source(&m.field))
            .collect();
        assert_eq!(fields, ["r#type", "foo_bar", "foo_bar_2", "self_"]);
    }

    #[test]
    fn constraints_of_each_kind_are_typed_with_their_reasons() {
        let service = service_with(
            r#""count": { "target": "t#Count" },
                "items": { "target": "t#Items" },
                "code": { "target": "t#Code" }"#,
            r#""t#Count": { "type": "integer", "traits": { "smithy.api#range": { "min": 1, "max": 1000 } } },
                "t#Items": { "type": "list", "member": { "target": "smithy.api#String" }, "traits": { "smithy.api#length": { "min": 0, "max": 5 } } },
                "t#Code": { "type": "enum", "members": { "A": { "target": "smithy.api#Unit", "traits": { "smithy.api#enumValue": "a" } }, "B": { "target": "smithy.api#Unit" } } }"#,
        );
        let [count, items, _] = input_members(&service) else {
            panic!()
        };
        let range = count.constraints.range.as_ref().unwrap();
        assert_eq!(
            range.min.as_ref().unwrap().reason,
            "Member must have value greater than or equal to 1"
        );
        assert_eq!(
            range.max.as_ref().unwrap().reason,
            "Member must have value less than or equal to 1000"
        );
        let length = items.constraints.length.as_ref().unwrap();
        assert!(
            length.min.is_none(),
            "a minimum length of 0 constrains nothing"
        );
        assert_eq!(
            length.max.as_ref().unwrap().reason,
            "Member must have length less than or equal to 5"
        );
        let ShapeKind::Enum { variants, reason } = &service.shapes["t#Code"].kind else {
            panic!()
        };
        assert_eq!(
            variants
                .iter()
                .map(|v| v.value.as_str())
                .collect::<Vec<_>>(),
            ["a", "B"]
        );
        assert_eq!(reason, "Member must satisfy enum value set: [a, B]");
    }

    #[test]
    fn input_reachability_and_recursion() {
        let service = service_with(
            r#""node": { "target": "t#Node" }"#,
            r#""t#Node": { "type": "structure", "members": { "child": { "target": "t#Node" }, "children": { "target": "t#Nodes" } } },
                    "t#Nodes": { "type": "list", "member": { "target": "t#Node" } }"#,
        );
        assert!(service.shapes["t#Node"].in_input && service.shapes["t#Nodes"].in_input);
        let ShapeKind::Structure { members } = &service.shapes["t#Node"].kind else {
            panic!()
        };
        assert!(members[0].boxed, "a direct self reference needs a Box");
        assert!(!members[1].boxed, "a list already allocates");
    }

    #[test]
    fn services_without_an_aws_json_protocol_are_refused() {
        let model = crate::model::parse(r#"{"shapes": {"t#S": {"type": "service"}}}"#).unwrap();
        assert!(
            resolve(&model, &Settings::default())
                .unwrap_err()
                .contains("awsJson")
        );
    }
}
