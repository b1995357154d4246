//! Berth's code generator: a Smithy 2.0 JSON AST model of an awsJson1_0/awsJson1_1 service
//! in, Rust out: the service's types, request validators, error types and a service builder
//! with its router. Nothing here is specific to one service.
//!
//! The pipeline: [`model`] parses the AST, [`resolve`] turns it into the [`ir`] (names,
//! optionality, constraints), `emit` writes tokens and formats them.

pub mod config;
pub mod diff;
pub mod docs;
mod emit;
pub mod ir;
pub mod model;
pub mod names;
pub mod pattern;
pub mod resolve;
pub mod settings;

use std::path::Path;

pub use settings::Settings;

/// Generates the Rust source for the model's service. `source` names the model in the
/// `@generated` header, beside the sha256 of `model_json`, which the generated code also
/// exposes as `MODEL_SHA256`. [`config::Config::generate`] names the model the same way
/// for every tool.
pub fn generate(model_json: &str, settings: &Settings, source: &str) -> Result<String, String> {
    let model = model::parse(model_json)?;
    let sha256 = config::sha256_hex(model_json.as_bytes());
    generate_parsed(&model, settings, source, &sha256)
}

/// [`generate`] for a model already parsed, whose file's sha256 is known.
pub fn generate_parsed(
    model: &model::Model,
    settings: &Settings,
    source: &str,
    sha256: &str,
) -> Result<String, String> {
    let service = resolve::resolve(model, settings)?;
    check_patterns(&service)?;
    emit::file(
        &service,
        &emit::Source {
            name: source,
            sha256,
        },
    )
}

/// Writes `contents` to `path` only when they differ, so an unchanged model causes no
/// rebuild of the crates that include it.
pub fn write_if_changed(path: &Path, contents: &str) -> std::io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    std::fs::write(path, contents)?;
    Ok(true)
}

/// Every translated pattern must compile, so the generated `expect` can never fire.
fn check_patterns(service: &ir::Service) -> Result<(), String> {
    for shape in service.shapes.values() {
        let members = shape.kind.members();
        for pattern in members
            .iter()
            .filter_map(|m| m.constraints.pattern.as_ref())
        {
            regex::Regex::new(&pattern.regex).map_err(|e| {
                format!(
                    "pattern `{}` (as `{}`) does not compile: {e}",
                    pattern.source, pattern.regex
                )
            })?;
        }
    }
    Ok(())
}
