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
async fn bad_registry_settings_stop_startup_like_any_bad_flag() {
    for (args, why) in [
        (["--registry-auth", "basic"], "ecr"),
        (["--registry-host", "http://localhost:4566"], "scheme"),
        (["--registry-host", "berth"], "Docker Hub"),
        (
            ["--registry-host", "localhost:{port}/v2"],
            "elsewhere than as its port",
        ),
    ] {
        let flag = args[0];
        let output = tokio::time::timeout(TIMEOUT, berth_command(args).output())
            .await
            .expect("exits in time")
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains(why),
            "{args:?}: {stderr}"
        );
        assert_eq!(String::from_utf8_lossy(&output.stdout), "", "{args:?}");
    }
    // From the environment too, naming the variable's flag.
    let mut command = berth_command(["--port", "0"]);
    command.env(cli::ENV_REGISTRY_HOST, "under_score.test");
    let output = tokio::time::timeout(TIMEOUT, command.output())
        .await
        .expect("exits in time")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--registry-host") && stderr.contains("'_'"),
        "{stderr}"
    );
}

/// The repositoryUri and proxyEndpoint a running berth answers to `account` in `region`
/// (named by the SigV4 credential scope; signatures are not checked by default).
async fn uri_and_endpoint(
    addr: std::net::SocketAddr,
    account: &str,
    region: &str,
    name: &str,
) -> (String, String) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={account}/20260101/{region}/ecr/aws4_request, \
         SignedHeaders=host, Signature=0000"
    );
    let body = format!(r#"{{"repositoryName": "{name}"}}"#);
    let created = call_as(addr, Some(&auth), "CreateRepository", &body).await;
    assert_eq!(created.status, 200, "{}", created.text());
    let named = format!(r#"{{"repositoryNames": ["{name}"]}}"#);
    let described = call_as(addr, Some(&auth), "DescribeRepositories", &named).await;
    assert_eq!(described.status, 200, "{}", described.text());
    let uri = created.json()["repository"]["repositoryUri"].clone();
    assert_eq!(described.json()["repositories"][0]["repositoryUri"], uri);
    let token = call_as(addr, Some(&auth), "GetAuthorizationToken", "{}").await;
    assert_eq!(token.status, 200, "{}", token.text());
    let endpoint = token.json()["authorizationData"][0]["proxyEndpoint"].clone();
    (
        uri.as_str().unwrap().to_owned(),
        endpoint.as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_registry_host_makes_uris_point_at_berth() {
    // {port}: the port berth listens on, here any free one.
    let berth = BerthProcess::start(berth_command([
        "--port",
        "0",
        "--registry-host",
        "localhost:{port}",
    ]))
    .await;
    let port = berth.addr.port();
    assert_eq!(
        uri_and_endpoint(berth.addr, "123456789012", "us-east-1", "team/web").await,
        (
            format!("localhost:{port}/team/web"),
            format!("http://localhost:{port}")
        )
    );
    berth.stop().await;

    // From the environment, with the registry in the host.
    let mut command = berth_command(["--port", "0"]);
    command.env(
        cli::ENV_REGISTRY_HOST,
        "{account}.dkr.ecr.{region}.localhost:4566",
    );
    let berth = BerthProcess::start(command).await;
    assert_eq!(
        uri_and_endpoint(berth.addr, "111122223333", "eu-west-1", "app").await,
        (
            "111122223333.dkr.ecr.eu-west-1.localhost:4566/app".to_owned(),
            "http://111122223333.dkr.ecr.eu-west-1.localhost:4566".to_owned()
        )
    );
    berth.stop().await;

    // Without it, AWS's forms.
    let berth = BerthProcess::start(berth_command(["--port", "0"])).await;
    assert_eq!(
        uri_and_endpoint(berth.addr, "111122223333", "eu-west-1", "app").await,
        (
            "111122223333.dkr.ecr.eu-west-1.amazonaws.com/app".to_owned(),
            "https://111122223333.dkr.ecr.eu-west-1.amazonaws.com".to_owned()
        )
    );
    berth.stop().await;
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
        "--registry-auth",
        "--registry-host",
        "BERTH_REGISTRY_AUTH",
        "BERTH_REGISTRY_HOST",
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
const HOSTILE_ENVIRONMENT: [(&str, &str); 8] = [
    (cli::ENV_ACCOUNT_ID, "999999999999"),
    (cli::ENV_REGION, "eu-north-1"),
    (cli::ENV_VERIFY_SIGV4, "true"),
    (cli::ENV_CREDENTIALS, "AKIDLEAKED:secret:111111111111"),
    (cli::ENV_LOG, "berth=loud"),
    (cli::ENV_DATA_DIR, "/proc/berth-leaked"),
    (cli::ENV_REGISTRY_AUTH, "none"),
    (cli::ENV_REGISTRY_HOST, "leaked.example:1"),
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
    assert_eq!(
        created.json()["repository"]["repositoryUri"],
        json!("123456789012.dkr.ecr.us-east-1.amazonaws.com/clean")
    );
    berth.stop().await;
}

/// `berth healthcheck` (the container image's HEALTHCHECK): exit 0 and the health document
/// when the Berth of its settings answers, 1 and why on stderr when nothing does.
#[tokio::test]
async fn healthcheck_probes_the_server_of_its_settings() {
    let berth = BerthProcess::start(berth_command(["--port", "0"])).await;
    let port = berth.addr.port().to_string();

    // The port from the variable the server also reads, a wildcard host probed on loopback.
    let mut probe = berth_command(["healthcheck"]);
    probe.env("BERTH_PORT", &port).env("BERTH_HOST", "0.0.0.0");
    let output = probe.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(document["status"], "ok");
    assert_eq!(document["version"], env!("CARGO_PKG_VERSION"));

    let url = format!("http://localhost:{port}/_berth/health");
    let output = berth_command(["healthcheck", "--url", &url])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");

    berth.stop().await;
    let output = berth_command(["--port", &port, "healthcheck"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "berth: http://127.0.0.1:{port}/_berth/health: cannot connect"
        )),
        "{stderr}"
    );
}
