//! The generator's command line. Every command finds the model's config (`--pin FILE`, else
//! the one `aws-models/*.pin` of the current folder or the nearest parent that has that
//! folder) and takes the generator settings from it, exactly as the build does.
//!
//! - `codegen [MODEL.json]`: prints the Rust generated from the model (default: the one the
//!   build uses);
//! - `codegen diff OLD.json NEW.json [--implemented URL|FILE]`: what changed for users;
//! - `codegen check-pin`: whether the model the build uses is the pinned one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use codegen::config::Config;
use codegen::diff::{self, Implemented};

const USAGE: &str = "usage:
  codegen [--pin FILE] [MODEL.json]
      print the Rust generated from MODEL.json (default: the model the build uses)
  codegen diff [--pin FILE] [--implemented URL|FILE] OLD.json NEW.json
      what changed for users between two models; --implemented takes a running Berth's
      http://HOST:PORT/_berth/ecr/operations, or a file holding that endpoint's JSON
  codegen check-pin [--pin FILE]
      exit 1 unless the model the build uses is the pinned one";

/// What the command line asks for.
struct Args {
    command: Command,
    pin: Option<PathBuf>,
    implemented: Option<String>,
    models: Vec<PathBuf>,
}

#[derive(PartialEq)]
enum Command {
    Generate,
    Diff,
    CheckPin,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("codegen: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok((output, success)) => {
            // A reader that stops early (`| head`) is not an error.
            let _ = std::io::stdout().write_all(output.as_bytes());
            if success {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(message) => {
            eprintln!("codegen: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `None` for `--help`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        command: Command::Generate,
        pin: None,
        implemented: None,
        models: Vec::new(),
    };
    let mut first = true;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "diff" if first => parsed.command = Command::Diff,
            "check-pin" if first => parsed.command = Command::CheckPin,
            "--pin" => parsed.pin = Some(args.next().ok_or("--pin needs a file")?.into()),
            "--implemented" if parsed.command == Command::Diff => {
                parsed.implemented = Some(args.next().ok_or("--implemented needs a URL or file")?)
            }
            "-h" | "--help" => return Ok(None),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            model => parsed.models.push(model.into()),
        }
        first = false;
    }
    let expected = match parsed.command {
        Command::Generate => 0..=1,
        Command::Diff => 2..=2,
        Command::CheckPin => 0..=0,
    };
    if !expected.contains(&parsed.models.len()) {
        return Err(format!("{} model files given", parsed.models.len()));
    }
    Ok(Some(parsed))
}

/// The output, and whether the command succeeded.
fn run(args: &Args) -> Result<(String, bool), String> {
    let config = match &args.pin {
        Some(file) => Config::load(file)?,
        None => {
            let here = std::env::current_dir().map_err(|e| format!("current folder: {e}"))?;
            Config::find(&here)?
        }
    };
    match args.command {
        Command::Generate => {
            let model = config.locate(args.models.first().map(PathBuf::as_path))?;
            Ok((config.generate(&model)?, true))
        }
        Command::Diff => {
            let implemented = match &args.implemented {
                Some(source) => Implemented::load(source)?,
                None => Implemented::Unknown,
            };
            let report = diff_report(&config, &args.models[0], &args.models[1], &implemented)?;
            Ok((report, true))
        }
        Command::CheckPin => {
            let model = config.locate(None)?;
            Ok(match model.pin_mismatch(&config) {
                Some(warning) => (format!("{warning}\n"), false),
                None => (
                    format!(
                        "{} matches the pin in {} (sha256 {})\n",
                        model.path.display(),
                        config.file.display(),
                        model.sha256
                    ),
                    true,
                ),
            })
        }
    }
}

fn diff_report(
    config: &Config,
    old: &Path,
    new: &Path,
    implemented: &Implemented,
) -> Result<String, String> {
    let old = config.locate(Some(old))?;
    let new = config.locate(Some(new))?;
    let mut header = format!(
        "old: {} (sha256 {})\nnew: {} (sha256 {})\n",
        old.name, old.sha256, new.name, new.sha256
    );
    if *implemented == Implemented::Unknown {
        header += "implemented: unknown (pass --implemented URL|FILE)\n";
    }
    let report = diff::report(&config.resolve(&old)?, &config.resolve(&new)?, implemented);
    Ok(header + &report)
}
