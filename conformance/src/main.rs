//! `conformance --endpoint URL [--model PATH] [--settings PATH] [--operation NAME]...
//! [--verbose]`: runs every generated variant of every implemented operation against a running Berth, prints the
//! table and exits non-zero unless every variant passed.

use std::path::PathBuf;
use std::process::ExitCode;

use conformance::fixture;
use conformance::generate::Generator;
use conformance::http::Client;
use conformance::model::Model;
use conformance::report::{self, OperationReport};
use conformance::run;

/// Where the build finds the model when `BERTH_ECR_MODEL` does not say.
const DEFAULT_MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../aws-models/ecr.json");
/// The codegen settings the build generates ECR's validators with, wherever the model is.
const DEFAULT_SETTINGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../aws-models/ecr.codegen.json"
);
const MODEL_ENV: &str = "BERTH_ECR_MODEL";
const USAGE: &str = "usage: conformance --endpoint http://HOST:PORT [--model PATH] [--settings PATH] [--operation NAME]... [--verbose]";

struct Args {
    endpoint: String,
    model: PathBuf,
    settings: PathBuf,
    operations: Vec<String>,
    verbose: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut endpoint = None;
    let mut model =
        std::env::var_os(MODEL_ENV).map_or_else(|| PathBuf::from(DEFAULT_MODEL), PathBuf::from);
    let mut settings = PathBuf::from(DEFAULT_SETTINGS);
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
            "--model" => model = PathBuf::from(value("--model")?),
            "--settings" => settings = PathBuf::from(value("--settings")?),
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
        settings,
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
    let model = Model::load(&args.model, Some(&args.settings))?;
    let mut client = Client::new(&args.endpoint)?;
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
