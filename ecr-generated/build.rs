//! Generates ECR's API layer into `OUT_DIR` from the model that `aws-models/ecr.pin` names
//! (see `codegen::config`): `BERTH_ECR_MODEL` if set, else `aws-models/ecr.json`, else a
//! download of the pinned URL, checked against its sha256 and kept as `aws-models/ecr.json`.
//!
//! A failure is reported as an error naming the model and what is wrong, not as a panic.

use std::path::PathBuf;

use codegen::config::Config;

fn main() {
    match generate() {
        Ok(directives) => {
            for directive in directives {
                println!("cargo:{directive}");
            }
        }
        Err(message) => {
            // Only the message: cargo shows it under "failed to run custom build command".
            // The rerun directives are left out, as a failed build script always reruns.
            eprintln!("error: {message}");
            std::process::exit(1);
        }
    }
}

/// Generates the code; on success, the directives for cargo.
fn generate() -> Result<Vec<String>, String> {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?,
    );
    let config = Config::load(&manifest_dir.join("../aws-models/ecr.pin"))?;
    let mut directives: Vec<String> = config
        .watched_files()
        .iter()
        .map(|file| format!("rerun-if-changed={}", file.display()))
        .collect();
    if let Some(name) = &config.model_env {
        directives.push(format!("rerun-if-env-changed={name}"));
    }
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("ecr.rs");
    let model = config.build(&out)?;
    directives.push(format!("rerun-if-changed={}", model.path.display()));
    if let Some(warning) = model.pin_mismatch(&config) {
        directives.push(format!("warning={warning}"));
    }
    Ok(directives)
}
