//! The service as the generator sees it: the Smithy model through `codegen`'s own parser and
//! resolver (the same IR the server's validators are generated from), with its patterns
//! compiled once. Everything the runner knows about constraints comes from here.

use std::collections::HashMap;
use std::path::Path;

use codegen::ir::{Operation, Pattern, Service, Shape, ShapeKind};
use codegen::settings::fill;

use crate::strings::PatternStrings;

/// The resolved service and its compiled patterns.
#[derive(Debug)]
pub struct Model {
    pub service: Service,
    /// By `regex` crate source.
    patterns: HashMap<String, PatternStrings>,
}

impl Model {
    /// The model `config` locates (`explicit` if given, else as the build finds it),
    /// resolved with the settings `config` names, as the build resolves it.
    pub fn load(
        config: &codegen::config::Config,
        explicit: Option<&Path>,
    ) -> Result<(Model, codegen::config::LocatedModel), String> {
        let located = config.locate(explicit)?;
        let model = Model::from_service(config.resolve(&located)?)?;
        Ok((model, located))
    }

    pub fn from_json(json: &str, settings: &codegen::Settings) -> Result<Model, String> {
        let parsed = codegen::model::parse(json)?;
        Model::from_service(codegen::resolve::resolve(&parsed, settings)?)
    }

    fn from_service(service: Service) -> Result<Model, String> {
        let mut patterns = HashMap::new();
        for shape in service.shapes.values() {
            for member in shape.kind.members() {
                if let Some(pattern) = &member.constraints.pattern {
                    if !patterns.contains_key(&pattern.regex) {
                        patterns
                            .insert(pattern.regex.clone(), PatternStrings::new(&pattern.regex)?);
                    }
                }
            }
        }
        Ok(Model { service, patterns })
    }

    pub fn shape(&self, id: &str) -> &Shape {
        // The resolver includes every shape reachable from an operation.
        self.service
            .shapes
            .get(id)
            .unwrap_or_else(|| panic!("shape {id} is not in the resolved service"))
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.service.operations.iter().find(|op| op.name == name)
    }

    pub fn pattern(&self, pattern: &Pattern) -> &PatternStrings {
        &self.patterns[&pattern.regex]
    }

    /// The validation message the service sends for `reason` at `path`.
    pub fn violation_message(&self, path: &str, reason: &str) -> String {
        fill(
            &self.service.validation.message,
            &[("path", path), ("reason", reason)],
        )
    }

    /// Whether `message` is the validation message for one of the model's own constraint
    /// reasons (at any path): what a server must never answer to an input the model allows.
    pub fn is_constraint_message(&self, message: &str) -> bool {
        self.reasons().any(|reason| {
            let template = fill(&self.service.validation.message, &[("reason", &reason)]);
            match template.split_once("{path}") {
                Some((before, after)) => {
                    message.len() >= before.len() + after.len()
                        && message.starts_with(before)
                        && message.ends_with(after)
                }
                None => message == template,
            }
        })
    }

    /// Every violation reason the model can produce.
    fn reasons(&self) -> impl Iterator<Item = String> + '_ {
        let required = std::iter::once(self.service.required_reason.clone());
        let enums = self
            .service
            .shapes
            .values()
            .filter_map(|shape| match &shape.kind {
                ShapeKind::Enum { reason, .. } | ShapeKind::IntEnum { reason, .. } => {
                    Some(reason.clone())
                }
                _ => None,
            });
        let constraints = self
            .service
            .shapes
            .values()
            .flat_map(|shape| shape.kind.members())
            .flat_map(|member| {
                let c = &member.constraints;
                let bounds = [&c.length, &c.range]
                    .into_iter()
                    .flatten()
                    .flat_map(|b| [&b.min, &b.max])
                    .flatten()
                    .map(|bound| bound.reason.clone());
                bounds
                    .chain(c.pattern.iter().map(|p| p.reason.clone()))
                    .chain(c.unique_items.clone())
            });
        required.chain(enums).chain(constraints)
    }

    /// The short name of each error `operation` declares.
    pub fn declared_errors<'a>(&self, operation: &'a Operation) -> impl Iterator<Item = &'a str> {
        operation.errors.iter().map(|id| short_name(id))
    }
}

/// `ns#Name` → `Name`.
pub fn short_name(id: &str) -> &str {
    id.rsplit_once('#').map_or(id, |(_, name)| name)
}

/// The error code in a `__type`, as SDKs read it: without a namespace before `#` and
/// without anything after `:`.
pub fn error_code(type_field: &str) -> &str {
    let code = type_field.split(':').next().unwrap_or(type_field);
    short_name(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_as_sdks_read_them() {
        assert_eq!(
            error_code("RepositoryNotFoundException"),
            "RepositoryNotFoundException"
        );
        assert_eq!(
            error_code("com.amazonaws.ecr#ServerException"),
            "ServerException"
        );
        assert_eq!(
            error_code("ValidationException:http://internal.amazon.com/coral/"),
            "ValidationException"
        );
    }
}
