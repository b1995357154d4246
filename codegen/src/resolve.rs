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
    pub const UNIQUE_ITEMS: &str = "smithy.api#uniqueItems";
    pub const ENUM_VALUE: &str = "smithy.api#enumValue";
    pub const LEGACY_ENUM: &str = "smithy.api#enum";
    pub const ERROR: &str = "smithy.api#error";
    pub const HTTP_ERROR: &str = "smithy.api#httpError";
    pub const DOCUMENTATION: &str = "smithy.api#documentation";
    pub const AWS_JSON_1_0: &str = "aws.protocols#awsJson1_0";
    pub const AWS_JSON_1_1: &str = "aws.protocols#awsJson1_1";
    pub const AWS_SERVICE: &str = "aws.api#service";

    /// Traits the resolver reads.
    pub const HANDLED: &[&str] = &[
        REQUIRED,
        DEFAULT,
        LENGTH,
        RANGE,
        PATTERN,
        UNIQUE_ITEMS,
        ENUM_VALUE,
        LEGACY_ENUM,
        ERROR,
        HTTP_ERROR,
        DOCUMENTATION,
        AWS_JSON_1_0,
        AWS_JSON_1_1,
        AWS_SERVICE,
    ];

    /// The reviewed list of traits that carry no rule for an input, each with the reason
    /// Berth may ignore it. A trait neither here nor in [`HANDLED`] stops generation, so a
    /// model bump can never weaken validation without a word. An entry ending in `#` covers
    /// its whole namespace.
    pub const NO_INPUT_RULE: &[(&str, &str)] = &[
        ("smithy.api#examples", "sample calls, for documentation"),
        ("smithy.api#paginated", "tells clients how to page"),
        ("smithy.api#input", "marks an operation's input structure"),
        ("smithy.api#output", "marks an operation's output structure"),
        ("smithy.api#title", "the service's human name"),
        ("smithy.api#xmlNamespace", "XML protocols only"),
        (
            "smithy.api#deprecated",
            "a deprecated member is still accepted",
        ),
        ("smithy.api#sensitive", "a logging hint"),
        ("smithy.api#since", "documentation"),
        ("smithy.api#unstable", "documentation"),
        ("smithy.api#internal", "documentation"),
        ("smithy.api#tags", "documentation"),
        ("smithy.api#externalDocumentation", "documentation"),
        ("smithy.api#recommended", "advice to callers, not a rule"),
        ("smithy.api#private", "visibility inside the model"),
        ("smithy.api#suppress", "silences model validators"),
        ("smithy.api#idempotencyToken", "clients fill it in"),
        ("smithy.api#idempotent", "operation semantics for retries"),
        ("smithy.api#readonly", "operation semantics for retries"),
        ("smithy.api#retryable", "on errors: advice to clients"),
        (
            "smithy.api#addedDefault",
            "history of a @default, which is read",
        ),
        (
            "smithy.api#clientOptional",
            "client optionality; the server still requires it",
        ),
        (
            "smithy.api#auth",
            "authentication, checked before validation",
        ),
        (
            "smithy.api#optionalAuth",
            "authentication, checked before validation",
        ),
        (
            "aws.auth#sigv4",
            "authentication, checked before validation",
        ),
        ("aws.api#", "AWS metadata: SDK ids, ARN templates, planes"),
        ("smithy.rules#", "endpoint resolution for clients"),
        ("smithy.test#", "test cases for clients"),
        ("smithy.waiters#", "client-side waiters"),
    ];

    /// Whether generation may go on with `trait_id` on a shape or member.
    pub fn is_known(trait_id: &str) -> bool {
        HANDLED.contains(&trait_id)
            || NO_INPUT_RULE
                .iter()
                .any(|(entry, _)| match entry.strip_suffix('#') {
                    Some(namespace) => trait_id
                        .split_once('#')
                        .is_some_and(|(ns, _)| ns == namespace),
                    None => *entry == trait_id,
                })
    }
}

/// Refuses a trait the generator does not know, naming where it is.
fn check_traits(
    shape_id: &str,
    member: Option<&str>,
    traits: &BTreeMap<String, Value>,
) -> Result<(), String> {
    match traits.keys().find(|t| !traits::is_known(t)) {
        None => Ok(()),
        Some(unknown) => Err(format!(
            "{}: trait `{unknown}` is not supported: it may carry a rule the generated \
             validators would not check (add support for it, or add it to the reviewed \
             list of traits without input rules in codegen/src/resolve.rs)",
            at(shape_id, member)
        )),
    }
}

/// Where a trait sits, for messages: `shape a#B` or `shape a#B, member c`.
fn at(shape_id: &str, member: Option<&str>) -> String {
    match member {
        Some(member) => format!("shape {shape_id}, member {member}"),
        None => format!("shape {shape_id}"),
    }
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
        self.check_flattened()?;
        self.check_settings_ids()?;
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
        // The protocol first: an unsupported one is the clearer message than its trait.
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
        check_traits(service_id, None, &service.traits)?;
        let target_prefix = names::short_name(service_id).to_owned();
        let sdk_id = service
            .traits
            .get(traits::AWS_SERVICE)
            .and_then(|t| t.get("sdkId"))
            .and_then(Value::as_str)
            .unwrap_or(&target_prefix);
        let type_name = format!("{}Service", names::type_name(sdk_id));

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
            type_name,
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
            check_traits(&resource_id, None, &resource.traits)?;
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
        check_traits(id, None, &shape.traits)?;
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
        assign_check_names(&mut shapes);
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
                constrained: None,
            });
        }
        let shape = self.shape(id)?;
        check_traits(id, None, &shape.traits)?;
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
            "enum" => self.enum_kind(id, shape)?,
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
        let error = self.error_info(id, shape)?;
        let constrained = match &kind {
            ShapeKind::Simple(Primitive::String) => self.constraints_of_string(id)?,
            _ => None,
        };
        Ok(Shape {
            id: id.to_owned(),
            rust_name: names::type_name(short),
            kind,
            docs: self.docs(&shape.traits),
            in_input: false,
            error,
            constrained,
        })
    }

    /// A string shape's own constraints, as seen by a member that adds no trait: exactly
    /// what every member without its own constraint traits checks.
    fn constraints_of_string(&self, id: &str) -> Result<Option<Member>, String> {
        let plain = MemberRef {
            target: id.to_owned(),
            traits: BTreeMap::new(),
        };
        let member = self.member(id, names::short_name(id), &plain)?;
        Ok((!member.constraints.is_empty()).then_some(member))
    }

    /// `@error` and its `@httpError` status.
    fn error_info(&self, id: &str, shape: &AstShape) -> Result<Option<ErrorInfo>, String> {
        let Some(fault) = shape.traits.get(traits::ERROR) else {
            return Ok(None);
        };
        let fallback = match fault.as_str() {
            Some("client") => 400,
            Some("server") => 500,
            _ => {
                return Err(format!(
                    "shape {id}: @error must be \"client\" or \"server\", not {fault}"
                ));
            }
        };
        let status = match shape.traits.get(traits::HTTP_ERROR) {
            None => fallback,
            Some(status) => status
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| (100..=599).contains(s))
                .ok_or_else(|| format!("shape {id}: @httpError {status} is not an HTTP status"))?,
        };
        Ok(Some(ErrorInfo { status }))
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
            .ok_or_else(|| format!("shape {container} has no `{role}`"))?;
        let mut resolved = self.member(container, role, member)?;
        // Items, keys and values are always present when their collection is.
        resolved.presence = Presence::Required;
        if role == "member" {
            resolved.reported_as = self.settings.items_reported_as.get(&member.target).cloned();
        }
        Ok(resolved)
    }

    fn member(&self, container: &str, name: &str, member: &MemberRef) -> Result<Member, String> {
        check_traits(container, Some(name), &member.traits)?;
        let member_id = format!("{container}${name}");
        let place = at(container, Some(name));
        let (target_kind, target_traits) = match prelude(&member.target) {
            Some(primitive) => (primitive.smithy_name(), BTreeMap::new()),
            None => {
                let target = self.shape(&member.target)?;
                (ast_kind(target), target.traits.clone())
            }
        };
        // A member's trait replaces its target's; each comes with the id it is written on.
        let effective = |trait_id: &str| -> Option<(&Value, &str)> {
            member
                .traits
                .get(trait_id)
                .map(|value| (value, member_id.as_str()))
                .or_else(|| {
                    target_traits
                        .get(trait_id)
                        .map(|value| (value, member.target.as_str()))
                })
        };
        let applies_to = |trait_name: &str, kinds: &[&str]| -> Result<(), String> {
            if kinds.contains(&target_kind) {
                Ok(())
            } else {
                Err(format!(
                    "{place}: @{trait_name} on a member targeting a {target_kind} is not supported"
                ))
            }
        };

        let presence = match effective(traits::DEFAULT) {
            Some((value, _)) if !value.is_null() => Presence::Default(default_value(
                &place,
                value,
                target_kind,
                &self.enum_values(&member.target),
            )?),
            _ if member.traits.contains_key(traits::REQUIRED) => Presence::Required,
            _ => Presence::Optional,
        };

        let reasons = &self.settings.reasons;
        let length = match effective(traits::LENGTH) {
            None => None,
            Some((value, origin)) => {
                applies_to("length", &["string", "blob", "list", "set", "map"])?;
                let (min, max) = bound_values(&place, "length", value, BoundKind::Length)?;
                let custom = self.settings.length_reasons.get(origin);
                let min_template = custom
                    .and_then(|c| c.min.as_ref())
                    .unwrap_or(&reasons.min_length);
                let max_template = custom
                    .and_then(|c| c.max.as_ref())
                    .unwrap_or(&reasons.max_length);
                // A minimum length of 0 constrains nothing.
                let min = min.filter(|min| min != "0").map(|value| Bound {
                    reason: fill(min_template, &[("min", &value)]),
                    value,
                });
                let max = max.map(|value| Bound {
                    reason: fill(max_template, &[("max", &value)]),
                    value,
                });
                (min.is_some() || max.is_some()).then_some(Bounds { min, max })
            }
        };
        let range = match effective(traits::RANGE) {
            None => None,
            Some((value, _)) => {
                let kind = number_bounds(target_kind).ok_or_else(|| {
                    format!(
                        "{place}: @range on a member targeting a {target_kind} is not supported"
                    )
                })?;
                let (min, max) = bound_values(&place, "range", value, kind)?;
                Some(Bounds {
                    min: min.map(|value| Bound {
                        reason: fill(&reasons.min_value, &[("min", &value)]),
                        value,
                    }),
                    max: max.map(|value| Bound {
                        reason: fill(&reasons.max_value, &[("max", &value)]),
                        value,
                    }),
                })
            }
        };
        let pattern = match effective(traits::PATTERN) {
            None => None,
            Some((value, origin)) => {
                applies_to("pattern", &["string"])?;
                let source = value
                    .as_str()
                    .ok_or_else(|| format!("{place}: @pattern {value} is not a string"))?;
                let template = self
                    .settings
                    .pattern_reasons
                    .get(origin)
                    .unwrap_or(&reasons.pattern);
                Some(Pattern {
                    source: source.to_owned(),
                    regex: pattern::to_rust_regex(source).map_err(|e| format!("{place}: {e}"))?,
                    reason: fill(
                        template,
                        &[
                            ("pattern", source),
                            ("bare_pattern", &pattern::bare(source)),
                        ],
                    ),
                    origin: origin.to_owned(),
                    // Decided once every pattern is known (`assign_check_names`).
                    static_name: String::new(),
                })
            }
        };
        // A Smithy 1.0 `set` is a list whose items are unique.
        let unique_items = if effective(traits::UNIQUE_ITEMS).is_some() || target_kind == "set" {
            applies_to("uniqueItems", &["list", "set"])?;
            Some(reasons.unique_items.clone())
        } else {
            None
        };

        let own_constraints = [
            traits::LENGTH,
            traits::RANGE,
            traits::PATTERN,
            traits::UNIQUE_ITEMS,
        ]
        .iter()
        .any(|t| member.traits.contains_key(*t));
        Ok(Member {
            check_id: if own_constraints {
                member_id.clone()
            } else {
                member.target.clone()
            },
            // Decided once every check is known (`assign_check_names`).
            check_name: String::new(),
            reported_as: None,
            name: name.to_owned(),
            field: names::field(name),
            target: member.target.clone(),
            presence,
            constraints: Constraints {
                length,
                range,
                pattern,
                unique_items,
            },
            boxed: false,
            docs: self.docs(&member.traits),
        })
    }

    /// The values of the enum shape `id` (none for other shapes).
    fn enum_values(&self, id: &str) -> Vec<String> {
        let Some(shape) = self.model.shapes.get(id) else {
            return Vec::new();
        };
        if shape.kind == "enum" {
            return shape
                .members
                .0
                .iter()
                .map(|(name, member)| {
                    member
                        .traits
                        .get(traits::ENUM_VALUE)
                        .and_then(Value::as_str)
                        .unwrap_or(name)
                        .to_owned()
                })
                .collect();
        }
        shape
            .traits
            .get(traits::LEGACY_ENUM)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|definition| definition.get("value").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    }

    fn enum_kind(&self, id: &str, shape: &AstShape) -> Result<ShapeKind, String> {
        let mut variants = shape
            .members
            .0
            .iter()
            .map(|(name, member)| {
                check_traits(id, Some(name), &member.traits)?;
                let value = match member.traits.get(traits::ENUM_VALUE) {
                    None => name.as_str(),
                    Some(value) => value.as_str().ok_or_else(|| {
                        format!("{}: @enumValue {value} is not a string", at(id, Some(name)))
                    })?,
                };
                Ok(EnumVariant {
                    rust_name: names::type_name(name),
                    value: value.to_owned(),
                    docs: self.docs(&member.traits),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        dedupe_variants(&mut variants);
        let reason = self.enum_reason(variants.iter().map(|v| v.value.clone()));
        Ok(ShapeKind::Enum { variants, reason })
    }

    /// Refuses settings that name a shape or member the model lacks: after a model bump
    /// renamed it, its wording would otherwise be dropped without a word.
    fn check_settings_ids(&self) -> Result<(), String> {
        let settings = self.settings;
        let named = [
            (
                "patternReasons",
                settings.pattern_reasons.keys().collect::<Vec<_>>(),
            ),
            ("lengthReasons", settings.length_reasons.keys().collect()),
            (
                "itemsReportedAs",
                settings.items_reported_as.keys().collect(),
            ),
        ];
        for (setting, ids) in named {
            for id in ids {
                let defined = match id.split_once('$') {
                    Some((container, member)) => {
                        self.model.shapes.get(container).is_some_and(|shape| {
                            shape.members.0.iter().any(|(name, _)| name == member)
                                || [
                                    ("member", &shape.member),
                                    ("key", &shape.key),
                                    ("value", &shape.value),
                                ]
                                .iter()
                                .any(|(role, slot)| *role == member && slot.is_some())
                        })
                    }
                    None => self.model.shapes.contains_key(id.as_str()),
                };
                if !defined {
                    return Err(format!(
                        "codegen settings: {setting} names {id}, which the model does not define"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Refuses an AST that still has `apply` statements or mixins: resolving it would miss
    /// the traits and members they add.
    fn check_flattened(&self) -> Result<(), String> {
        for (id, shape) in &self.model.shapes {
            let what = if shape.kind == "apply" {
                "is an `apply` statement"
            } else if !shape.mixins.is_empty() {
                "uses mixins"
            } else {
                continue;
            };
            return Err(format!(
                "shape {id} {what}: give the generator a flattened JSON AST (as `smithy build` \
                 writes it), where every shape carries its own members and traits"
            ));
        }
        Ok(())
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
                check_traits(id, Some(name), &member.traits)?;
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

/// A shape's type, with a Smithy 1.0 `@enum` string counted as an enum.
fn ast_kind(shape: &AstShape) -> &str {
    if shape.kind == "string" && shape.traits.contains_key(traits::LEGACY_ENUM) {
        "enum"
    } else {
        &shape.kind
    }
}

/// What the numbers of a `@length` or `@range` must be.
#[derive(Clone, Copy)]
enum BoundKind {
    /// A count: a non-negative integer.
    Length,
    /// A value of an integer type, within the type's own limits.
    Integer(i64, i64),
    /// A finite number.
    Float,
}

fn number_bounds(target_kind: &str) -> Option<BoundKind> {
    Some(match target_kind {
        "byte" => BoundKind::Integer(i8::MIN.into(), i8::MAX.into()),
        "short" => BoundKind::Integer(i16::MIN.into(), i16::MAX.into()),
        "integer" => BoundKind::Integer(i32::MIN.into(), i32::MAX.into()),
        "long" => BoundKind::Integer(i64::MIN, i64::MAX),
        "float" | "double" => BoundKind::Float,
        _ => return None,
    })
}

/// Whether `number` is a value `kind` allows.
fn fits(number: &serde_json::Number, kind: BoundKind) -> bool {
    match kind {
        BoundKind::Length => number.as_u64().is_some(),
        BoundKind::Integer(min, max) => number.as_i64().is_some_and(|n| (min..=max).contains(&n)),
        BoundKind::Float => number.as_f64().is_some_and(f64::is_finite),
    }
}

/// The `min` and `max` of a `@length` or `@range` trait, as written, each checked to be a
/// number the generated check can compare with.
fn bound_values(
    place: &str,
    trait_name: &str,
    value: &Value,
    kind: BoundKind,
) -> Result<(Option<String>, Option<String>), String> {
    let invalid = |what: String| Err(format!("{place}: @{trait_name} {value}: {what}"));
    let Some(object) = value.as_object() else {
        return invalid("not an object".to_owned());
    };
    if let Some(key) = object.keys().find(|k| *k != "min" && *k != "max") {
        return invalid(format!("unknown key `{key}`"));
    }
    let mut bounds = [None, None];
    for (slot, key) in bounds.iter_mut().zip(["min", "max"]) {
        match object.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if fits(n, kind) => *slot = Some(n),
            Some(other) => {
                return invalid(format!("`{key}` {other} is not a bound the type can hold"));
            }
        }
    }
    let [min, max] = bounds;
    if let (Some(min), Some(max)) = (min, max) {
        let (low, high) = (min.as_f64(), max.as_f64());
        if low > high {
            return invalid("`min` is greater than `max`".to_owned());
        }
    }
    Ok((min.map(ToString::to_string), max.map(ToString::to_string)))
}

/// A `@default` value, checked against its target's type so the generated code can hold
/// exactly that value.
fn default_value(
    place: &str,
    value: &Value,
    target_kind: &str,
    enum_values: &[String],
) -> Result<DefaultValue, String> {
    let number_kind = number_bounds(target_kind);
    Ok(match (value, target_kind) {
        (Value::Bool(b), "boolean") => DefaultValue::Bool(*b),
        (Value::Number(n), _) if number_kind.is_some_and(|kind| fits(n, kind)) => {
            DefaultValue::Number(n.to_string())
        }
        (Value::String(s), "string") => DefaultValue::String(s.clone()),
        (Value::String(s), "enum") if enum_values.contains(s) => DefaultValue::String(s.clone()),
        // A blob's default is base64: only the empty one is the same as its bytes.
        (Value::String(s), "blob") if s.is_empty() => DefaultValue::String(s.clone()),
        (Value::Array(items), "list" | "set") if items.is_empty() => DefaultValue::EmptyList,
        (Value::Object(entries), "map") if entries.is_empty() => DefaultValue::EmptyMap,
        _ => {
            return Err(format!(
                "{place}: @default {value} is not supported for a {target_kind} target"
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
    kind.members()
        .into_iter()
        .map(|m| m.target.as_str())
        .collect()
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

/// Names the check of every constrained member and the static of every pattern, one per
/// id they are written on: two ids whose derived names agree (`a#Name` and `b#Name`) get
/// distinct names rather than share, or lose, a check.
fn assign_check_names(shapes: &mut BTreeMap<String, Shape>) {
    /// A unique name per id, derived from the id's shape short name and member name.
    fn unique<'a>(
        ids: impl Iterator<Item = &'a str>,
        derive: impl Fn(&str, Option<&str>) -> String,
    ) -> BTreeMap<String, String> {
        let bases: BTreeMap<&str, String> = ids
            .map(|id| {
                let name = match id.split_once('$') {
                    Some((container, member)) => derive(names::short_name(container), Some(member)),
                    None => derive(names::short_name(id), None),
                };
                (id, name)
            })
            .collect();
        let (ids, mut names): (Vec<&str>, Vec<String>) = bases.into_iter().unzip();
        names::dedupe(&mut names);
        ids.into_iter().map(str::to_owned).zip(names).collect()
    }
    // A newtype's check is its shape's: named with the members' checks.
    let members = || {
        shapes
            .values()
            .flat_map(|s| s.kind.members().into_iter().chain(s.constrained.as_ref()))
    };
    let checks = unique(
        members()
            .filter(|m| !m.constraints.is_empty())
            .map(|m| m.check_id.as_str()),
        |shape, member| match member {
            Some(member) => format!("{}_member_{}", names::field(shape), names::field(member)),
            None => names::field(shape),
        },
    );
    let statics = unique(
        members()
            .filter_map(|m| m.constraints.pattern.as_ref())
            .map(|p| p.origin.as_str()),
        |shape, member| match member {
            Some(member) => format!(
                "{}_{}_PATTERN",
                names::constant(shape),
                names::constant(member)
            ),
            None => format!("{}_PATTERN", names::constant(shape)),
        },
    );
    for shape in shapes.values_mut() {
        let newtype = shape.constrained.as_mut();
        for member in shape.kind.members_mut().into_iter().chain(newtype) {
            if let Some(name) = checks.get(&member.check_id) {
                member.check_name.clone_from(name);
            }
            if let Some(pattern) = &mut member.constraints.pattern {
                if let Some(name) = statics.get(&pattern.origin) {
                    pattern.static_name.clone_from(name);
                }
            }
        }
    }
}

/// Named types live in two modules (`types`, `errors`): names must be unique in each. The
/// validators of input lists and maps are named after their shapes too.
fn check_unique_type_names(service: &Service) -> Result<(), String> {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Namespace {
        Types,
        Errors,
        CollectionValidators,
    }
    let mut seen: BTreeMap<(Namespace, String), &str> = BTreeMap::new();
    for shape in service.shapes.values() {
        let key = match (&shape.kind, shape.error.is_some()) {
            (ShapeKind::Simple(_), _) if shape.newtype().is_some() => {
                (Namespace::Types, shape.rust_name.clone())
            }
            (ShapeKind::Simple(_), _) => continue,
            (ShapeKind::List { .. } | ShapeKind::Map { .. }, _) if shape.in_input => (
                Namespace::CollectionValidators,
                names::field(&shape.rust_name),
            ),
            (ShapeKind::List { .. } | ShapeKind::Map { .. }, _) => continue,
            (_, true) => (Namespace::Errors, shape.rust_name.clone()),
            (_, false) => (Namespace::Types, shape.rust_name.clone()),
        };
        let name = key.1.clone();
        if let Some(other) = seen.insert(key, &shape.id) {
            return Err(format!(
                "shapes {other} and {} would both be named {name}",
                shape.id
            ));
        }
    }
    for op in &service.operations {
        if let Some(other) = seen.insert((Namespace::Errors, op.error_enum.clone()), &op.name) {
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
        resolve_with(members, extra, &Settings::default()).unwrap()
    }

    fn resolve_with(members: &str, extra: &str, settings: &Settings) -> Result<Service, String> {
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
        resolve(&crate::model::parse(&model).unwrap(), settings)
    }

    /// The error resolving fails with.
    fn refusal(members: &str, extra: &str) -> String {
        resolve_with(members, extra, &Settings::default()).unwrap_err()
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

    #[test]
    fn an_unknown_trait_stops_generation_naming_shape_member_and_trait() {
        let error = refusal(
            r#""names": { "target": "t#Names", "traits": { "example.rules#noVowels": {} } }"#,
            r#""t#Names": { "type": "list", "member": { "target": "smithy.api#String" } }"#,
        );
        assert!(
            error.contains("shape t#Input, member names")
                && error.contains("`example.rules#noVowels`"),
            "{error}"
        );
        let error = refusal(
            r#""name": { "target": "t#Name" }"#,
            r#""t#Name": { "type": "string", "traits": { "smithy.api#timestampFormat": "date-time" } }"#,
        );
        assert!(
            error.contains("shape t#Name:") && error.contains("`smithy.api#timestampFormat`"),
            "{error}"
        );
        // Traits on the reviewed list, namespaces included, are fine.
        service_with(
            r#""name": { "target": "smithy.api#String", "traits": { "smithy.api#sensitive": {}, "aws.api#data": "content" } }"#,
            "",
        );
    }

    #[test]
    fn unflattened_models_are_refused() {
        let error = refusal(
            r#""name": { "target": "t#Name" }"#,
            r#""t#Name": { "type": "string", "mixins": [{ "target": "t#Mixin" }] },
                "t#Mixin": { "type": "string", "traits": { "smithy.api#length": { "max": 3 } } }"#,
        );
        assert!(error.contains("shape t#Name uses mixins"), "{error}");
        let error = refusal(
            r#""name": { "target": "smithy.api#String" }"#,
            r#""t#Input$name": { "type": "apply", "traits": { "smithy.api#length": { "max": 3 } } }"#,
        );
        assert!(
            error.contains("shape t#Input$name is an `apply` statement"),
            "{error}"
        );
    }

    #[test]
    fn defaults_and_bounds_the_generator_cannot_hold_are_refused() {
        for (member, refused) in [
            (
                r#"{ "target": "smithy.api#Integer", "traits": { "smithy.api#default": "3" } }"#,
                r#"@default "3""#,
            ),
            (
                r#"{ "target": "smithy.api#Integer", "traits": { "smithy.api#default": 1.5 } }"#,
                "@default 1.5",
            ),
            (
                r#"{ "target": "smithy.api#Byte", "traits": { "smithy.api#default": 300 } }"#,
                "@default 300",
            ),
            (
                r#"{ "target": "t#Code", "traits": { "smithy.api#default": "c" } }"#,
                r#"@default "c""#,
            ),
            (
                r#"{ "target": "smithy.api#Timestamp", "traits": { "smithy.api#default": 0 } }"#,
                "@default 0",
            ),
            (
                r#"{ "target": "smithy.api#String", "traits": { "smithy.api#length": { "max": "8" } } }"#,
                "@length",
            ),
            (
                r#"{ "target": "smithy.api#String", "traits": { "smithy.api#length": { "min": -1 } } }"#,
                "@length",
            ),
            (
                r#"{ "target": "smithy.api#String", "traits": { "smithy.api#length": { "most": 3 } } }"#,
                "unknown key `most`",
            ),
            (
                r#"{ "target": "smithy.api#Integer", "traits": { "smithy.api#range": { "max": 0.5 } } }"#,
                "@range",
            ),
            (
                r#"{ "target": "smithy.api#Integer", "traits": { "smithy.api#range": { "min": 5, "max": 1 } } }"#,
                "`min` is greater than `max`",
            ),
            (
                r#"{ "target": "smithy.api#Integer", "traits": { "smithy.api#length": { "max": 3 } } }"#,
                "@length on a member targeting a integer",
            ),
            (
                r#"{ "target": "smithy.api#String", "traits": { "smithy.api#pattern": 5 } }"#,
                "@pattern 5",
            ),
            (
                r#"{ "target": "t#Code", "traits": { "smithy.api#pattern": "^a$" } }"#,
                "@pattern on a member targeting a enum",
            ),
        ] {
            let error = refusal(
                &format!(r#""m": {member}"#),
                r#""t#Code": { "type": "enum", "members": { "A": { "target": "smithy.api#Unit" } } }"#,
            );
            assert!(
                error.contains("shape t#Input, member m") && error.contains(refused),
                "{member}: {error}"
            );
        }
    }

    #[test]
    fn checks_are_keyed_by_shape_id_even_when_derived_names_collide() {
        // The shape `t#InputMemberB` and the member `t#Input$b` (which writes its own
        // constraints) both derive the check name `input_member_b`. (Two constrained string
        // shapes named alike cannot show it: their newtypes would collide first.)
        let members = r#""a": { "target": "t#InputMemberB" },
            "b": { "target": "smithy.api#String", "traits": { "smithy.api#length": { "max": 5 }, "smithy.api#pattern": "^b+$" } },
            "c": { "target": "t#InputMemberB" }"#;
        let shapes = r#""t#InputMemberB": { "type": "string", "traits": { "smithy.api#length": { "max": 3 }, "smithy.api#pattern": "^a+$" } }"#;
        let service = service_with(members, shapes);
        let [a, b, c] = input_members(&service) else {
            panic!()
        };
        assert_eq!(
            (a.check_id.as_str(), b.check_id.as_str()),
            ("t#InputMemberB", "t#Input$b")
        );
        assert_ne!(a.check_name, b.check_name, "each id keeps its own check");
        assert_eq!(a.check_name, c.check_name, "one check per shape");
        let (a_pattern, b_pattern) = (
            a.constraints.pattern.as_ref().unwrap(),
            b.constraints.pattern.as_ref().unwrap(),
        );
        assert_ne!(a_pattern.static_name, b_pattern.static_name);
        assert_eq!(b_pattern.source, "^b+$");
        let max = |m: &Member| {
            m.constraints
                .length
                .as_ref()
                .unwrap()
                .max
                .clone()
                .unwrap()
                .value
        };
        assert_eq!((max(a), max(b)), ("3".to_owned(), "5".to_owned()));
        // And the generated code holds both checks.
        let model = format!(
            r#"{{"smithy": "2.0", "shapes": {{
            "t#Svc": {{ "type": "service", "operations": [{{ "target": "t#Op" }}], "traits": {{ "aws.protocols#awsJson1_1": {{}} }} }},
            "t#Op": {{ "type": "operation", "input": {{ "target": "t#Input" }}, "output": {{ "target": "smithy.api#Unit" }} }},
            "t#Input": {{ "type": "structure", "members": {{ {members} }} }},
            {shapes}
        }}}}"#
        );
        let code = crate::generate(&model, &Settings::default(), "t.json").unwrap();
        assert!(code.contains("^a+$") && code.contains("^b+$"), "{code}");
    }

    #[test]
    fn unique_items_and_sets_carry_their_reason() {
        let service = service_with(
            r#""list": { "target": "t#Unique" }, "set": { "target": "t#Set" }, "plain": { "target": "t#Plain" }"#,
            r#""t#Unique": { "type": "list", "member": { "target": "smithy.api#String" }, "traits": { "smithy.api#uniqueItems": {} } },
                "t#Set": { "type": "set", "member": { "target": "smithy.api#String" } },
                "t#Plain": { "type": "list", "member": { "target": "smithy.api#String" } }"#,
        );
        let reasons: Vec<_> = input_members(&service)
            .iter()
            .map(|m| m.constraints.unique_items.as_deref())
            .collect();
        let reason = Some("Member must not contain duplicate items");
        assert_eq!(reasons, [reason, reason, None]);
    }

    #[test]
    fn per_shape_length_reasons_and_item_paths_come_from_the_settings() {
        let settings = Settings::from_json(
            r#"{ "lengthReasons": { "t#Name": { "min": "at least {min}" } },
                 "itemsReportedAs": { "t#Name": "name" } }"#,
        )
        .unwrap();
        let service = resolve_with(
            r#""name": { "target": "t#Name" }, "names": { "target": "t#Names" }"#,
            r#""t#Name": { "type": "string", "traits": { "smithy.api#length": { "min": 2, "max": 9 } } },
                "t#Names": { "type": "list", "member": { "target": "t#Name" } }"#,
            &settings,
        )
        .unwrap();
        let length = input_members(&service)[0]
            .constraints
            .length
            .as_ref()
            .unwrap();
        assert_eq!(length.min.as_ref().unwrap().reason, "at least 2");
        assert_eq!(
            length.max.as_ref().unwrap().reason,
            "Member must have length less than or equal to 9",
            "a bound without its own reason keeps the common one"
        );
        let ShapeKind::List { item } = &service.shapes["t#Names"].kind else {
            panic!()
        };
        assert_eq!(item.reported_as.as_deref(), Some("name"));
    }

    #[test]
    fn settings_naming_a_shape_the_model_lacks_are_refused() {
        for settings in [
            r#"{ "patternReasons": { "t#Gone": "x" } }"#,
            r#"{ "lengthReasons": { "t#Input$gone": { "min": "x" } } }"#,
            r#"{ "itemsReportedAs": { "u#Name": "name" } }"#,
        ] {
            let settings = Settings::from_json(settings).unwrap();
            let error = resolve_with(
                r#""name": { "target": "t#Name" }"#,
                r#""t#Name": { "type": "string" }"#,
                &settings,
            )
            .unwrap_err();
            assert!(error.contains("which the model does not define"), "{error}");
        }
        let settings =
            Settings::from_json(r#"{ "lengthReasons": { "t#Input$name": { "min": "x" } } }"#)
                .unwrap();
        resolve_with(
            r#""name": { "target": "t#Name" }"#,
            r#""t#Name": { "type": "string" }"#,
            &settings,
        )
        .expect("a member id that exists is fine");
    }
}
