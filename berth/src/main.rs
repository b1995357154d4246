//! `berth`: parse flags, start the server, announce the endpoint, stop on a signal.

use std::io::Write;
use std::process::ExitCode;

use berth::cli::{Cli, Command, ENDPOINT_PREFIX};
use berth::signals::StopSignals;
use clap::Parser;

/// Allocation-heavy paths (JSON pages of repositories) run markedly faster on mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Healthcheck { .. }) = cli.command {
        return healthcheck(&cli.health_url());
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(&cli.log)
        .init();

    let mut signals = match StopSignals::listen() {
        Ok(signals) => signals,
        Err(e) => return fail(format_args!("cannot listen for stop signals: {e}")),
    };
    let running = match berth::start(cli.config()).await {
        Ok(running) => running,
        // The error names what failed: the data directory, or the address.
        Err(e) => return fail(format_args!("{e}")),
    };
    // stdout carries this one line and nothing else.
    let mut stdout = std::io::stdout().lock();
    if let Err(e) =
        writeln!(stdout, "{ENDPOINT_PREFIX}{}", running.endpoint()).and_then(|()| stdout.flush())
    {
        return fail(format_args!("cannot announce the endpoint on stdout: {e}"));
    }
    drop(stdout);

    let signal = signals.recv().await;
    tracing::info!(signal, "stopping");
    running.shutdown().await;
    ExitCode::SUCCESS
}

/// `berth healthcheck`: the health document on stdout when healthy (Docker keeps a probe's
/// output in `docker inspect`), the reason on stderr and exit 1 when not.
fn healthcheck(url: &str) -> ExitCode {
    match berth::healthcheck::probe(url, berth::healthcheck::PROBE_TIMEOUT) {
        Ok(document) => {
            println!("{document}");
            ExitCode::SUCCESS
        }
        Err(why) => fail(format_args!("{url}: {why}")),
    }
}

/// Reports a startup failure on stderr (even with logging off) and exits non-zero.
fn fail(message: std::fmt::Arguments<'_>) -> ExitCode {
    eprintln!("berth: {message}");
    ExitCode::FAILURE
}
