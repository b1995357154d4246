//! `berth-bench`: runs Berth's benchmarks and writes their BENCHMARKS.md section. Run it
//! through `scripts/bench`, which provides wrk, moto and the release binary.
//!
//! ```text
//! berth-bench --berth target/release/berth --moto target/bench-venv/bin/moto_server \
//!     --lua-dir bench --out BENCHMARKS.md --machine "..." --date "..." --versions "..." \
//!     [--duration 10] [--rounds 3] [--cold-starts 10] [--quick]
//! berth-bench --suite images --berth target/release/berth [--berth-before OLD_BINARY] \
//!     --out BENCHMARKS.md --machine "..." --date "..." --versions "..." [--quick] \
//!     [--parts uploads,pages,scale]
//! berth-bench --suite registry --berth target/release/berth --out BENCHMARKS.md \
//!     --machine "..." --date "..." --versions "..." [--quick]
//! berth-bench --suite lifecycle --berth target/release/berth --out BENCHMARKS.md \
//!     --machine "..." --date "..." --versions "..." [--quick]
//! ```
//!
//! The default suite is issue 5's (server throughput, start-up, memory, scale); `--suite
//! images` runs issue 10's (layer uploads, image pages, server CPU per page) and writes its
//! own section; `--suite registry` runs issue 11's (skopeo push and pull against Berth's
//! `/v2` beside the CNCF registry, concurrent pushes, RSS during a big push), into its own.

mod ecr;
mod images;
mod lifecycle;
mod memory;
mod process;
mod registry;
mod report;
mod scale;
mod startup;
mod stats;
mod throughput;
mod wrk;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use process::Server;
use report::{Context, Results};

/// Repositories held for the memory figure.
const MEMORY_REPOSITORIES: usize = 10_000;
/// Registry sizes of the scale figure; the first is the baseline.
const SCALE_SIZES: [usize; 2] = [1_000, 100_000];
const QUICK_SCALE_SIZES: [usize; 2] = [1_000, 10_000];

/// Which benchmarks run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Suite {
    /// Issue 5: throughput, cold start, memory, repository scale.
    Server,
    /// Issue 10: layer uploads, image pages, server CPU per page.
    Images,
    /// Issue 11: skopeo pushes and pulls beside the CNCF registry, server RSS.
    Registry,
    /// Issue 12: lifecycle evaluation and previews beside paging the same repository.
    Lifecycle,
}

#[derive(Debug)]
struct Args {
    suite: Suite,
    berth: PathBuf,
    berth_before: Option<PathBuf>,
    /// The parts of the images suite to run (all when empty).
    parts: Vec<String>,
    moto: Option<PathBuf>,
    lua_dir: PathBuf,
    out: Option<PathBuf>,
    logs: PathBuf,
    context: Context,
    load: wrk::Load,
    rounds: usize,
    cold_starts: usize,
    quick: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        suite: Suite::Server,
        berth: PathBuf::from("target/release/berth"),
        berth_before: None,
        parts: Vec::new(),
        moto: None,
        lua_dir: PathBuf::from("bench"),
        out: None,
        logs: std::env::temp_dir(),
        context: Context::default(),
        load: wrk::Load {
            threads: 2,
            connections: 16,
            duration: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
        },
        rounds: 3,
        cold_starts: 10,
        quick: false,
    };
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        let mut value = || argv.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--suite" => {
                args.suite = match value()?.as_str() {
                    "server" => Suite::Server,
                    "images" => Suite::Images,
                    "registry" => Suite::Registry,
                    "lifecycle" => Suite::Lifecycle,
                    other => {
                        return Err(format!(
                            "unknown suite `{other}` (server, images, registry, lifecycle)"
                        ));
                    }
                }
            }
            "--berth" => args.berth = value()?.into(),
            "--berth-before" => args.berth_before = Some(value()?.into()),
            "--parts" => {
                args.parts = value()?.split(',').map(str::to_owned).collect();
                if let Some(unknown) = args
                    .parts
                    .iter()
                    .find(|part| !["uploads", "pages", "scale"].contains(&part.as_str()))
                {
                    return Err(format!("unknown part `{unknown}` (uploads, pages, scale)"));
                }
            }
            "--moto" => args.moto = Some(value()?.into()),
            "--lua-dir" => args.lua_dir = value()?.into(),
            "--out" => args.out = Some(value()?.into()),
            "--logs" => args.logs = value()?.into(),
            "--machine" => args.context.machine = value()?,
            "--date" => args.context.date = value()?,
            "--versions" => args.context.versions = value()?,
            "--duration" => args.load.duration = Duration::from_secs(number(&value()?)?),
            "--rounds" => args.rounds = number(&value()?)? as usize,
            "--cold-starts" => args.cold_starts = number(&value()?)? as usize,
            "--quick" => args.quick = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if args.quick {
        args.load.duration = Duration::from_secs(3);
        args.rounds = 1;
        args.cold_starts = 3;
    }
    args.context.rounds = args.rounds;
    args.context.load = format!(
        "wrk with {} threads and {} connections, {} s per run",
        args.load.threads,
        args.load.connections,
        args.load.duration.as_secs()
    );
    Ok(args)
}

fn number(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a number"))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("berth-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.logs).map_err(|e| format!("{}: {e}", args.logs.display()))?;
    match args.suite {
        Suite::Server => run_server_suite(&args),
        Suite::Images => run_images_suite(&args),
        Suite::Registry => run_registry_suite(&args),
        Suite::Lifecycle => run_lifecycle_suite(&args),
    }
}

fn run_lifecycle_suite(args: &Args) -> Result<(), String> {
    let results = lifecycle::run(&lifecycle::Options {
        berth: args.berth.clone(),
        logs: args.logs.clone(),
        quick: args.quick,
    })?;
    let section = lifecycle::section(&args.context, &results);
    print!("{section}");
    if let Some(out) = &args.out {
        report::write_marked_section(out, &section, lifecycle::BEGIN, lifecycle::END)?;
        eprintln!("wrote the issue-12 section of {}", out.display());
    }
    Ok(())
}

fn run_registry_suite(args: &Args) -> Result<(), String> {
    let results = registry::run(&registry::Options {
        berth: args.berth.clone(),
        logs: args.logs.clone(),
        quick: args.quick,
    })?;
    let section = registry::section(&args.context, &results);
    print!("{section}");
    if let Some(out) = &args.out {
        report::write_marked_section(
            out,
            &section,
            registry::report::BEGIN,
            registry::report::END,
        )?;
        eprintln!("wrote the issue-11 section of {}", out.display());
    }
    Ok(())
}

fn run_images_suite(args: &Args) -> Result<(), String> {
    let results = images::run(&images::Options {
        berth: args.berth.clone(),
        before: args.berth_before.clone(),
        logs: args.logs.clone(),
        quick: args.quick,
        parts: args.parts.clone(),
    })?;
    let section = images::section(&args.context, &results);
    print!("{section}");
    if let Some(out) = &args.out {
        report::write_marked_section(out, &section, images::report::BEGIN, images::report::END)?;
        eprintln!("wrote the issue-10 section of {}", out.display());
    }
    Ok(())
}

fn run_server_suite(args: &Args) -> Result<(), String> {
    let moto = args.moto.as_deref();
    let mut results = Results {
        memory_repositories: MEMORY_REPOSITORIES,
        ..Results::default()
    };

    eprintln!("cold start: {} runs", args.cold_starts);
    results.cold_start = Some(startup::measure(
        &args.berth,
        moto,
        args.cold_starts,
        &args.logs,
    )?);

    eprintln!("memory: idle and with {MEMORY_REPOSITORIES} repositories");
    results.berth_memory = Some(memory::berth(&args.berth, &args.logs, MEMORY_REPOSITORIES)?);
    if let Some(moto) = moto {
        results.moto_memory = Some(memory::moto(moto, &args.logs, MEMORY_REPOSITORIES)?);
    }

    let sizes: &[usize] = if args.quick {
        &QUICK_SCALE_SIZES
    } else {
        &SCALE_SIZES
    };
    results.scale = scale::measure(&args.berth, &args.logs, sizes)?;

    let berth = Server::berth(&args.berth, &args.logs.join("berth-throughput.log"))?;
    let moto_server = moto
        .map(|m| Server::moto(m, &args.logs.join("moto-throughput.log")))
        .transpose()?;
    let mut throughput = throughput::measure(
        &berth,
        moto_server.as_ref(),
        &args.load,
        &args.lua_dir,
        args.rounds,
    )?;
    for run in throughput.ceiling.iter_mut().chain(
        throughput
            .runs
            .iter_mut()
            .flat_map(|(_, b, m)| b.iter_mut().chain(m.iter_mut())),
    ) {
        run.command = run.command.replace(&berth.endpoint, "<berth>");
        if let Some(moto) = &moto_server {
            run.command = run.command.replace(&moto.endpoint, "<moto>");
        }
    }
    results.throughput = Some(throughput);
    drop(berth);
    drop(moto_server);

    let section = report::section(&args.context, &results);
    print!("{section}");
    if let Some(out) = &args.out {
        report::write_section(out, &section)?;
        eprintln!("wrote the issue-5 section of {}", out.display());
    }
    Ok(())
}
