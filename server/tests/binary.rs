//! The real `berth` binary: flags and environment, the one stdout line, signals, exit codes.

mod support;

use std::net::SocketAddr;
use std::process::{ExitStatus, Stdio};

use serde_json::json;
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

const BERTH: &str = env!("CARGO_BIN_EXE_berth");

/// `berth` with `args`, no inherited BERTH_* settings, and piped stdout and stderr.
fn berth(args: &[&str]) -> Command {
    let mut command = Command::new(BERTH);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for variable in [
        "BERTH_HOST",
        "BERTH_PORT",
        "BERTH_REGION",
        "BERTH_ACCOUNT_ID",
        "BERTH_LOG",
        "BERTH_DATA_DIR",
    ] {
        command.env_remove(variable);
    }
    command
}

/// Reads the announcement line and returns the address it names.
async fn endpoint(stdout: &mut BufReader<ChildStdout>) -> SocketAddr {
    let mut line = String::new();
    tokio::time::timeout(TIMEOUT, stdout.read_line(&mut line))
        .await
        .expect("announced in time")
        .unwrap();
    let url = line
        .strip_suffix('\n')
        .and_then(|l| l.strip_prefix("BERTH_ENDPOINT="))
        .unwrap_or_else(|| panic!("first line: {line:?}"));
    let addr = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not an http URL: {url}"));
    addr.parse().unwrap_or_else(|e| panic!("{addr}: {e}"))
}

fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("still running").to_string();
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} {pid}");
}

/// Waits for the exit; returns it with everything left on stdout and stderr.
async fn finish(
    mut child: Child,
    mut stdout: BufReader<ChildStdout>,
) -> (ExitStatus, String, String) {
    let mut rest = String::new();
    let mut stderr = String::new();
    let mut child_stderr = child.stderr.take().unwrap();
    let wait = async {
        let (out, err, status) = tokio::join!(
            stdout.read_to_string(&mut rest),
            child_stderr.read_to_string(&mut stderr),
            child.wait()
        );
        out.unwrap();
        err.unwrap();
        status.unwrap()
    };
    let status = tokio::time::timeout(TIMEOUT, wait)
        .await
        .expect("berth exits in time");
    (status, rest, stderr)
}

async fn stops_cleanly_on(signal_name: &str) {
    let mut child = berth(&["--port", "0"]).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let addr = endpoint(&mut stdout).await;
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0, "the real port is announced");
    let health = get(addr, "/_berth/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");

    signal(&child, signal_name);
    let (status, rest, stderr) = finish(child, stdout).await;
    assert!(status.success(), "{signal_name}: {status}\n{stderr}");
    assert_eq!(rest, "", "stdout carries only the endpoint line");
    assert!(stderr.contains("listening"), "logs go to stderr: {stderr}");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after exit"
    );
}

#[tokio::test]
async fn announces_its_endpoint_serves_and_stops_on_sigterm() {
    stops_cleanly_on("TERM").await;
}

#[tokio::test]
async fn stops_on_sigint() {
    stops_cleanly_on("INT").await;
}

#[tokio::test]
async fn settings_come_from_the_environment() {
    let mut command = berth(&[]);
    command
        .env("BERTH_PORT", "0")
        .env("BERTH_REGION", "eu-central-1")
        .env("BERTH_ACCOUNT_ID", "210987654321")
        .env("BERTH_LOG", "warn");
    let mut child = command.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let addr = endpoint(&mut stdout).await;

    let created = call(
        addr,
        "CreateRepository",
        r#"{"repositoryName": "from-env"}"#,
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(
        created.json()["repository"]["repositoryArn"],
        json!("arn:aws:ecr:eu-central-1:210987654321:repository/from-env")
    );

    signal(&child, "TERM");
    let (status, rest, stderr) = finish(child, stdout).await;
    assert!(status.success(), "{status}\n{stderr}");
    assert_eq!(rest, "");
    // BERTH_LOG=warn silences the info lines.
    assert!(!stderr.contains("listening"), "{stderr}");
}

#[tokio::test]
async fn flags_win_over_the_environment() {
    let mut command = berth(&["--port", "0", "--account-id", "111122223333"]);
    command
        .env("BERTH_PORT", "1")
        .env("BERTH_ACCOUNT_ID", "not-an-account");
    let mut child = command.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let addr = endpoint(&mut stdout).await;
    let created = call(
        addr,
        "CreateRepository",
        r#"{"repositoryName": "from-flags"}"#,
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(created.json()["repository"]["registryId"], "111122223333");
    signal(&child, "TERM");
    assert!(finish(child, stdout).await.0.success());
}

/// Runs `berth` to completion with `args`; it must fail at startup.
async fn startup_failure(args: &[&str]) -> String {
    let output = tokio::time::timeout(TIMEOUT, berth(args).output())
        .await
        .expect("exits in time")
        .unwrap();
    assert!(!output.status.success(), "{args:?} started");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "",
        "{args:?}: nothing on stdout"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn bad_settings_are_clear_startup_errors() {
    let stderr = startup_failure(&["--port", "0", "--account-id", "12345"]).await;
    assert!(
        stderr.contains("--account-id") && stderr.contains("12 digits"),
        "{stderr}"
    );
    let stderr = startup_failure(&["--port", "0", "--region", "Mars"]).await;
    assert!(stderr.contains("--region"), "{stderr}");
    let stderr = startup_failure(&["--port", "0", "--log", "berth=loud"]).await;
    assert!(stderr.contains("--log"), "{stderr}");
}

#[tokio::test]
async fn a_taken_port_is_a_clear_startup_error() {
    let taken = berth::start(berth::Config::ephemeral()).await.unwrap();
    let port = taken.local_addr().port().to_string();
    let stderr = startup_failure(&["--port", &port]).await;
    assert!(
        stderr.contains("cannot listen on 127.0.0.1:") && stderr.contains(&port),
        "{stderr}"
    );
    taken.shutdown().await;
}

#[tokio::test]
async fn help_explains_every_flag() {
    let output = berth(&["--help"]).output().await.unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for text in [
        "--host",
        "--port",
        "--region",
        "--account-id",
        "--log",
        "BERTH_PORT",
        "BERTH_ACCOUNT_ID",
        "4566",
        "us-east-1",
        "123456789012",
    ] {
        assert!(help.contains(text), "{text} missing from --help:\n{help}");
    }
}
