//! Generates ECR's API layer from the pinned Smithy model into `OUT_DIR`.
//!
//! The model comes from, in order: `BERTH_ECR_MODEL` (a path); `aws-models/ecr.json`; a
//! download of the URL pinned in `aws-models/ecr.pin`, checked against its sha256 and saved
//! as `aws-models/ecr.json` (see `codegen::pin`).

use std::path::PathBuf;

const MODEL_ENV: &str = "BERTH_ECR_MODEL";

fn main() {
    if let Err(message) = generate() {
        // A build script's panic message is what cargo shows: make it the explanation.
        panic!("\n\necr-generated: {message}\n\n");
    }
}

fn generate() -> Result<(), String> {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?,
    );
    let models_dir = manifest_dir.join("../aws-models");
    let pin_path = models_dir.join("ecr.pin");
    let settings_path = models_dir.join("ecr.codegen.json");
    let local_model = models_dir.join("ecr.json");
    println!("cargo:rerun-if-env-changed={MODEL_ENV}");
    println!("cargo:rerun-if-changed={}", pin_path.display());
    println!("cargo:rerun-if-changed={}", settings_path.display());
    // Watching the local path also notices it appearing when it was missing.
    println!("cargo:rerun-if-changed={}", local_model.display());

    let pin = codegen::pin::Pin::read(&pin_path)?;
    let explicit = std::env::var_os(MODEL_ENV).map(PathBuf::from);
    let model = codegen::pin::locate(explicit.as_deref(), &local_model, &pin, MODEL_ENV)?;
    println!("cargo:rerun-if-changed={}", model.path.display());
    if let Some(warning) = model.mismatch(&pin) {
        println!("cargo:warning={warning}");
    }

    let json = std::fs::read_to_string(&model.path)
        .map_err(|e| format!("{}: {e}", model.path.display()))?;
    let settings_json = std::fs::read_to_string(&settings_path)
        .map_err(|e| format!("{}: {e}", settings_path.display()))?;
    let settings = codegen::Settings::from_json(&settings_json)?;
    let code =
        codegen::generate(&json, &settings, "ecr.json").map_err(|e| format!("codegen: {e}"))?;
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("ecr.rs");
    codegen::write_if_changed(&out, &code).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(())
}
