//! The real `berth` binary: flags and environment, the one stdout line, signals, exit codes.

mod support;

use berth::cli;
use serde_json::json;
use support::process::{BerthProcess, berth_command};
use support::*;

async fn stops_cleanly_on(signal_name: &str) {
    let berth = BerthProcess::start(berth_command(["--port", "0"])).await;
    let addr = berth.addr;
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0, "the real port is announced");
    let health = get(addr, "/_berth/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");

    berth.signal(signal_name);
    let (status, rest, stderr) = berth.finish().await;
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
    let mut command = berth_command::<_, &str>([]);
    command
        .env("BERTH_PORT", "0")
        .env("BERTH_REGION", "eu-central-1")
        .env("BERTH_ACCOUNT_ID", "210987654321")
        .env("BERTH_LOG", "warn");
    let berth = BerthProcess::start(command).await;
    let addr = berth.addr;

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

    berth.signal("TERM");
    let (status, rest, stderr) = berth.finish().await;
    assert!(status.success(), "{status}\n{stderr}");
    assert_eq!(rest, "");
    // BERTH_LOG=warn silences the info lines.
    assert!(!stderr.contains("listening"), "{stderr}");
}

#[tokio::test]
async fn flags_win_over_the_environment() {
    let mut command = berth_command(["--port", "0", "--account-id", "111122223333"]);
    command
        .env("BERTH_PORT", "1")
        .env("BERTH_ACCOUNT_ID", "not-an-account");
    let berth = BerthProcess::start(command).await;
    let addr = berth.addr;
    let created = call(
        addr,
        "CreateRepository",
        r#"{"repositoryName": "from-flags"}"#,
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(created.json()["repository"]["registryId"], "111122223333");
    berth.stop().await;
}

/// Runs `berth` to completion with `args`; it must fail at startup.
async fn startup_failure(args: &[&str]) -> String {
    let output = tokio::time::timeout(TIMEOUT, berth_command(args).output())
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
    let output = berth_command(["--help"]).output().await.unwrap();
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

/// What a developer's shell might export: each would change what the tests see (another
/// account or region, signatures required, a bad log filter or data directory that stops
/// startup) if it reached the server.
const HOSTILE_ENVIRONMENT: [(&str, &str); 6] = [
    (cli::ENV_ACCOUNT_ID, "999999999999"),
    (cli::ENV_REGION, "eu-north-1"),
    (cli::ENV_VERIFY_SIGV4, "true"),
    (cli::ENV_CREDENTIALS, "AKIDLEAKED:secret:111111111111"),
    (cli::ENV_LOG, "berth=loud"),
    (cli::ENV_DATA_DIR, "/proc/berth-leaked"),
];

#[tokio::test]
async fn inherited_berth_settings_never_reach_the_server() {
    if std::env::var_os(cli::ENV_ACCOUNT_ID).is_none() {
        // Runs this very test again in a copy of this binary whose environment is hostile.
        let this_test = "inherited_berth_settings_never_reach_the_server";
        let output = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", this_test, "--nocapture"])
            .envs(HOSTILE_ENVIRONMENT)
            .output();
        let output = tokio::time::timeout(TIMEOUT, output)
            .await
            .expect("the copy finishes in time")
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stdout}\n{stderr}");
        assert!(
            stdout.contains("1 passed"),
            "the copy ran no test: {stdout}"
        );
        return;
    }
    let berth = BerthProcess::start(berth_command(["--port", "0"])).await;
    let created = call(
        berth.addr,
        "CreateRepository",
        r#"{"repositoryName": "clean"}"#,
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(
        created.json()["repository"]["repositoryArn"],
        json!("arn:aws:ecr:us-east-1:123456789012:repository/clean")
    );
    berth.stop().await;
}
