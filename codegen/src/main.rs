//! `codegen MODEL.json [--settings FILE]`: prints the Rust generated for the model's service.
//! Without `--settings`, the settings file beside the model (`NAME.codegen.json`) is used
//! when present, so the output is exactly what the build generates.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut model = None;
    let mut settings_file = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--settings" => settings_file = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("usage: codegen MODEL.json [--settings SETTINGS.json]");
                return ExitCode::SUCCESS;
            }
            _ => model = Some(PathBuf::from(arg)),
        }
    }
    let Some(model) = model else {
        eprintln!("usage: codegen MODEL.json [--settings SETTINGS.json]");
        return ExitCode::from(2);
    };
    match run(&model, settings_file) {
        Ok(code) => {
            print!("{code}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("codegen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(model: &std::path::Path, settings_file: Option<PathBuf>) -> Result<String, String> {
    let json = std::fs::read_to_string(model).map_err(|e| format!("{}: {e}", model.display()))?;
    let settings = match settings_file {
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            codegen::Settings::from_json(&text)?
        }
        None => codegen::settings_for(model)?,
    };
    let source = model
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("model");
    codegen::generate(&json, &settings, source)
}
