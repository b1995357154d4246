//! `conformance --endpoint URL [--model PATH] [--operation NAME]... [--verbose]`: runs
//! every generated variant of every implemented operation against a running Berth, prints
//! the table and exits non-zero unless every variant passed. The model and its codegen
//! settings are found as the build finds them (`aws-models/ecr.pin`); the server must have
//! been built from the same model.

use std::path::PathBuf;
use std::process::ExitCode;

use conformance::fixture;
use conformance::generate::Generator;
use conformance::http::Client;
use conformance::model::Model;
use conformance::report::{self, OperationReport};
use conformance::run;

const USAGE: &str = "usage: conformance --endpoint http://HOST:PORT [--model PATH] [--operation NAME]... [--verbose]";
const HEALTH_PATH: &str = "/_berth/health";

struct Args {
    endpoint: String,
    /// A model other than the one the build finds.
    model: Option<PathBuf>,
    operations: Vec<String>,
    verbose: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut endpoint = None;
    let mut model = None;
    let mut operations = Vec::new();
    let mut verbose = false;
    let mut args = std::env::args().skip(1);
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
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(Args {
        endpoint: endpoint.ok_or_else(|| format!("--endpoint is required\n{USAGE}"))?,
        model,
        operations,
        verbose,
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
    println!(
        "\n{} of {} model operations implemented and tested; {} variants, {} failed: {:.1}% conformance",
        reports.len(),
        model.service.operations.len(),
        totals.variants,
        totals.failed,
        totals.pass_percent()
    );
    Ok(totals.failed == 0)
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
