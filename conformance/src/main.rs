//! `conformance --endpoint URL [--model PATH] [--operation NAME]... [--verbose]
//! [--golden DIR] [--botocore PATH]`: runs every generated variant of every implemented
//! operation against a running Berth, prints the table and exits non-zero unless every
//! variant passed. The model and its codegen settings are found as the build finds them
//! (`aws-models/ecr.pin`); the server must have been built from the same model. With
//! `--golden DIR` and/or `--botocore PATH` it also runs the independent checks below and
//! reports both passes.
//!
//! `conformance crosscheck --botocore PATH [--explained FILE] [--model PATH]`: the
//! generated constraints against botocore's description of ECR (no server needed).
//!
//! `conformance golden --endpoint URL [--golden DIR]`: the golden request → response pairs.

use std::path::PathBuf;
use std::process::ExitCode;

use conformance::crosscheck::{self, Explanation};
use conformance::fixture;
use conformance::generate::Generator;
use conformance::golden::{self, Suite};
use conformance::http::Client;
use conformance::model::Model;
use conformance::report::{self, OperationReport};
use conformance::run;

const USAGE: &str = "usage: conformance --endpoint http://HOST:PORT [--model PATH] [--operation NAME]... [--verbose] [--golden DIR] [--botocore PATH]
       conformance crosscheck --botocore PATH [--explained FILE] [--model PATH]
       conformance golden --endpoint http://HOST:PORT [--golden DIR]";
const HEALTH_PATH: &str = "/_berth/health";
/// The disagreements with botocore that have a known reason.
const DEFAULT_EXPLAINED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crosscheck-explained.json");
/// The golden request → response pairs.
const DEFAULT_GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/golden");

struct Args {
    endpoint: String,
    /// A model other than the one the build finds.
    model: Option<PathBuf>,
    operations: Vec<String>,
    verbose: bool,
    golden: Option<PathBuf>,
    botocore: Option<PathBuf>,
    explained: PathBuf,
    /// `crosscheck` or `golden`; `None` for the model-derived run.
    command: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut endpoint = None;
    let mut model = None;
    let mut operations = Vec::new();
    let mut verbose = false;
    let mut golden = None;
    let mut botocore = None;
    let mut explained = PathBuf::from(DEFAULT_EXPLAINED);
    let mut args = std::env::args().skip(1);
    let command = match std::env::args().nth(1).as_deref() {
        Some(command @ ("crosscheck" | "golden")) => {
            args.next();
            Some(command.to_owned())
        }
        _ => None,
    };
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--endpoint" => endpoint = Some(value("--endpoint")?),
            "--model" => model = Some(PathBuf::from(value("--model")?)),
            "--operation" => operations.push(value("--operation")?),
            "--verbose" | "-v" => verbose = true,
            "--golden" => golden = Some(PathBuf::from(value("--golden")?)),
            "--botocore" => botocore = Some(PathBuf::from(value("--botocore")?)),
            "--explained" => explained = PathBuf::from(value("--explained")?),
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let mut endpoint = endpoint.ok_or_else(|| format!("--endpoint is required\n{USAGE}"));
    match command.as_deref() {
        Some("crosscheck") => {
            if botocore.is_none() {
                return Err(format!("crosscheck needs --botocore PATH\n{USAGE}"));
            }
            endpoint = Ok(String::new());
        }
        Some("golden") => golden = golden.or_else(|| Some(PathBuf::from(DEFAULT_GOLDEN))),
        _ => {}
    }
    Ok(Args {
        endpoint: endpoint?,
        model,
        operations,
        verbose,
        golden,
        botocore,
        explained,
        command,
    })
}

fn main() -> ExitCode {
    match run_all() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("conformance: {message}");
            ExitCode::from(2)
        }
    }
}

/// Runs everything; `Ok(true)` when every variant passed.
fn run_all() -> Result<bool, String> {
    let args = parse_args()?;
    match args.command.as_deref() {
        Some("crosscheck") => {
            let outcome = run_crosscheck(&args)?;
            println!(
                "{}",
                report::independent(Some(&outcome), None).unwrap_or_default()
            );
            return Ok(outcome.passed());
        }
        Some("golden") => {
            let totals = run_golden(&args)?;
            println!(
                "{}",
                report::independent(None, Some(&totals)).unwrap_or_default()
            );
            return Ok(totals.failed == 0);
        }
        _ => {}
    }
    let (model, located) = Model::load(&conformance::ecr_config()?, args.model.as_deref())?;
    let mut client = Client::new(&args.endpoint)?;
    let served = served_model_sha256(&mut client)?;
    if served != located.sha256 {
        return Err(format!(
            "the server was built from the model with sha256 {served}, not {} ({}): the expected answers would be another model's",
            located.path.display(),
            located.sha256
        ));
    }
    let implemented = run::implemented_operations(&mut client)?;
    let mut selected = Vec::new();
    for name in &implemented {
        if !args.operations.is_empty() && !args.operations.contains(name) {
            continue;
        }
        let operation = model.operation(name).ok_or_else(|| {
            format!("the server implements `{name}`, which the model does not have")
        })?;
        selected.push(operation);
    }
    if selected.is_empty() {
        return Err("no implemented operation to test".to_owned());
    }
    let fixture = fixture::for_service(&model, &mut client)?;
    let generator = Generator::new(&model, fixture.as_ref());
    let mut reports = Vec::new();
    for operation in selected {
        let plan = generator.plan(operation)?;
        let results = plan
            .variants
            .iter()
            .map(|variant| {
                let verdict =
                    run::run_variant(&mut client, &model, fixture.as_ref(), operation, variant);
                (variant.label.clone(), verdict)
            })
            .collect();
        reports.push(OperationReport {
            operation: operation.name.clone(),
            results,
            impossible: plan.impossible,
        });
    }
    run::reset(&mut client)?;
    print!("{}", report::render(&reports, args.verbose));
    let totals = report::totals(&reports);
    let crosscheck = args
        .botocore
        .is_some()
        .then(|| run_crosscheck(&args))
        .transpose()?;
    let golden = args
        .golden
        .is_some()
        .then(|| run_golden(&args))
        .transpose()?;
    // The two kinds of evidence, apart: expectations taken from the model, and not.
    println!(
        "\nmodel-derived: {} of {} model operations implemented and tested; {} variants, {} failed: {:.1}% conformance",
        reports.len(),
        model.service.operations.len(),
        totals.variants,
        totals.failed,
        totals.pass_percent()
    );
    if let Some(line) = report::independent(crosscheck.as_ref(), golden.as_ref()) {
        println!("{line}");
    }
    Ok(totals.failed == 0
        && crosscheck.is_none_or(|outcome| outcome.passed())
        && golden.is_none_or(|golden| golden.failed == 0))
}

/// The generated constraints against botocore's, every disagreement printed.
fn run_crosscheck(args: &Args) -> Result<crosscheck::Outcome, String> {
    let botocore_path = args.botocore.as_deref().expect("checked by parse_args");
    let (model, _) = Model::load(&conformance::ecr_config()?, args.model.as_deref())?;
    let botocore = crosscheck::read_botocore(botocore_path)?;
    let explained = std::fs::read_to_string(&args.explained)
        .map_err(|e| format!("{}: {e}", args.explained.display()))
        .and_then(|json| Explanation::parse_list(&json))
        .map_err(|e| format!("{}: {e}", args.explained.display()))?;
    let outcome = crosscheck::crosscheck(&model.service, &botocore, &explained);
    print!("{}", outcome.render());
    Ok(outcome)
}

/// The golden pairs against the server at `--endpoint`.
fn run_golden(args: &Args) -> Result<golden::Totals, String> {
    let dir = args.golden.as_deref().expect("checked by parse_args");
    let suites = Suite::load_dir(dir)?;
    let mut client = Client::new(&args.endpoint)?;
    let verdicts = golden::run_all(&mut client, &suites);
    run::reset(&mut client)?;
    print!("{}", golden::render(&verdicts));
    Ok(golden::Totals::of(&verdicts))
}

/// The sha256 of the model the server was built from, as its health endpoint reports it.
fn served_model_sha256(client: &mut Client) -> Result<String, String> {
    let response = client
        .get(HEALTH_PATH)
        .map_err(|e| format!("GET {HEALTH_PATH}: {e}"))?;
    let body: serde_json::Value = serde_json::from_slice(&response.body)
        .map_err(|e| format!("GET {HEALTH_PATH}: not JSON ({e}): {}", response.text()))?;
    body["model"]["sha256"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("GET {HEALTH_PATH}: no model.sha256 in {body}"))
}
