//! Berth's code generator: a Smithy 2.0 JSON AST model of an awsJson1_0/awsJson1_1 service
//! in, Rust out: the service's types, request validators, error types and a service builder
//! with its router. Nothing here is specific to one service.
//!
//! The pipeline: [`model`] parses the AST, [`resolve`] turns it into the [`ir`] (names,
//! optionality, constraints), `emit` writes tokens and formats them.

pub mod docs;
mod emit;
pub mod ir;
pub mod model;
pub mod names;
pub mod pattern;
pub mod pin;
pub mod resolve;
pub mod settings;

use std::path::Path;

pub use settings::Settings;

/// Generates the Rust source for the model's service. `source` names the model in the
/// `@generated` header (a file name, not a path, so output does not depend on checkouts).
pub fn generate(model_json: &str, settings: &Settings, source: &str) -> Result<String, String> {
    let model = model::parse(model_json)?;
    let service = resolve::resolve(&model, settings)?;
    check_patterns(&service)?;
    emit::file(&service, source)
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

/// The settings file conventionally kept beside a model: `ecr.json` → `ecr.codegen.json`.
pub fn settings_path_for(model: &Path) -> std::path::PathBuf {
    let stem = model
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("model");
    model.with_file_name(format!("{stem}.codegen.json"))
}

/// Reads the settings beside `model`, or the defaults when there is no such file.
pub fn settings_for(model: &Path) -> Result<Settings, String> {
    let path = settings_path_for(model);
    match std::fs::read_to_string(&path) {
        Ok(json) => Settings::from_json(&json).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
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
