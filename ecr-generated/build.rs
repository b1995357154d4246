//! Generates ECR's API layer from the pinned Smithy model into `OUT_DIR`.
//!
//! The model comes from, in order: `BERTH_ECR_MODEL` (a path); `aws-models/ecr.json`; a
//! download of the pinned URL with `curl`, checked against the pinned sha256 and saved as
//! `aws-models/ecr.json`. A model whose hash differs from the pin is used (that is how a
//! model bump starts), with a warning naming both hashes.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const MODEL_ENV: &str = "BERTH_ECR_MODEL";

fn main() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let models_dir = manifest_dir.join("../aws-models");
    let pin_path = models_dir.join("ecr.pin");
    let settings_path = models_dir.join("ecr.codegen.json");
    println!("cargo:rerun-if-env-changed={MODEL_ENV}");
    println!("cargo:rerun-if-changed={}", pin_path.display());
    println!("cargo:rerun-if-changed={}", settings_path.display());

    let pin = Pin::read(&pin_path).unwrap_or_else(|e| fail(&e));
    let model_path = find_model(&models_dir, &pin).unwrap_or_else(|e| fail(&e));
    println!("cargo:rerun-if-changed={}", model_path.display());

    let model = std::fs::read(&model_path)
        .unwrap_or_else(|e| fail(&format!("{}: {e}", model_path.display())));
    let hash = sha256_hex(&model);
    if hash != pin.sha256 {
        println!(
            "cargo:warning=the ECR model at {} has sha256 {hash}, not the pinned {}: generating from it anyway (update aws-models/ecr.pin once the bump is reviewed)",
            model_path.display(),
            pin.sha256
        );
    }
    let model =
        String::from_utf8(model).unwrap_or_else(|_| fail("the ECR model is not UTF-8 text"));
    let settings = std::fs::read_to_string(&settings_path)
        .map_err(|e| format!("{}: {e}", settings_path.display()))
        .and_then(|json| codegen::Settings::from_json(&json))
        .unwrap_or_else(|e| fail(&e));
    let code = codegen::generate(&model, &settings, "ecr.json")
        .unwrap_or_else(|e| fail(&format!("codegen: {e}")));
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("ecr.rs");
    codegen::write_if_changed(&out, &code)
        .unwrap_or_else(|e| fail(&format!("{}: {e}", out.display())));
}

/// `aws-models/ecr.pin`: where the model comes from and its expected hash.
struct Pin {
    url: String,
    sha256: String,
}

impl Pin {
    fn read(path: &Path) -> Result<Pin, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let value = |key: &str| {
            text.lines()
                .filter_map(|line| line.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_owned())
                .ok_or_else(|| format!("{} has no `{key} = ...` line", path.display()))
        };
        Ok(Pin {
            url: value("url")?,
            sha256: value("sha256")?,
        })
    }
}

fn find_model(models_dir: &Path, pin: &Pin) -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(MODEL_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{MODEL_ENV} is set to {}, which is not a file",
                path.display()
            ))
        };
    }
    let local = models_dir.join("ecr.json");
    if local.is_file() {
        return Ok(local);
    }
    download(&pin.url, &pin.sha256, &local).map_err(|why| {
        format!(
            "the ECR Smithy model was not found.\n  Put it at {} (e.g. `cp ../shared/aws-models/ecr.json aws-models/`),\n  or set {MODEL_ENV}=/path/to/ecr.json.\n  Downloading the pinned copy failed: {why}",
            local.display()
        )
    })?;
    Ok(local)
}

/// Downloads the pinned model with curl, keeping it only when its hash matches the pin.
fn download(url: &str, sha256: &str, destination: &Path) -> Result<(), String> {
    let partial = destination.with_extension("json.download");
    let status = Command::new("curl")
        .args([
            "--fail",
            "--silent",
            "--show-error",
            "--location",
            "--max-time",
            "120",
            "--output",
        ])
        .arg(&partial)
        .arg(url)
        .status()
        .map_err(|e| format!("could not run curl: {e}"))?;
    if !status.success() {
        let _ = std::fs::remove_file(&partial);
        return Err(format!("curl {url} exited with {status}"));
    }
    let bytes = std::fs::read(&partial).map_err(|e| e.to_string())?;
    let hash = sha256_hex(&bytes);
    if hash != sha256 {
        let _ = std::fs::remove_file(&partial);
        return Err(format!(
            "the download has sha256 {hash}, the pin says {sha256}"
        ));
    }
    std::fs::rename(&partial, destination).map_err(|e| e.to_string())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    panic!("ecr-generated build failed: {message}");
}
