//! The awsJson1.1 protocol over raw HTTP, against Berth embedded in-process
//! (behaviour doc §1 and §2): routing, parsing, errors, headers, limits, admin endpoints,
//! and accounts and regions taken from the Authorization header.

mod support;

use std::collections::HashSet;
use std::net::SocketAddr;

use berth::{Config, Running};
use serde_json::{Value, json};
use support::*;

async fn berth() -> Running {
    berth::start(Config::ephemeral())
        .await
        .expect("berth starts on 127.0.0.1:0")
}

async fn berth_with(config: Config) -> Running {
    berth::start(config).await.expect("berth starts")
}

/// The model file, read by the tests' own oracles (not through the server's code).
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../aws-models/ecr.json");

/// Every operation's name, read straight from the model: the shapes of type `operation`,
/// in name order.
fn model_operation_names() -> Vec<String> {
    let text = std::fs::read_to_string(MODEL).expect("the model is in aws-models/");
    let model: Value = serde_json::from_str(&text).expect("the model is JSON");
    let mut names: Vec<String> = model["shapes"]
        .as_object()
        .expect("the model has shapes")
        .iter()
        .filter(|(_, shape)| shape["type"] == "operation")
        .map(|(id, _)| {
            id.rsplit_once('#')
                .expect("an absolute shape id")
                .1
                .to_owned()
        })
        .collect();
    names.sort();
    names
}

/// Each operation of the model, and whether Berth implements it, found by behaviour: called
/// with a valid input (the conformance generator's minimal one), an unimplemented operation
/// answers NotImplementedException naming it, an implemented one never does.
async fn implemented_by_behaviour(addr: SocketAddr) -> Vec<(String, bool)> {
    let config = conformance::ecr_config().expect("the ECR config");
    let (model, _) = conformance::model::Model::load(&config, None).expect("the model resolves");
    let generator = conformance::generate::Generator::new(&model, &conformance::fixture::NoFixture);
    let mut found = Vec::new();
    for name in model_operation_names() {
        let operation = model
            .service
            .operations
            .iter()
            .find(|operation| operation.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the resolved service"));
        let plan = generator.plan(operation).expect("inputs generate");
        let input = plan.variants[0].input.to_string();
        let response = call(addr, &name, &input).await;
        assert!(
            response.status < 500,
            "{name} with {input}: {} {}",
            response.status,
            response.text()
        );
        response.assert_aws_headers();
        let implemented =
            response.status == 200 || response.error_type() != "NotImplementedException";
        if !implemented {
            assert_eq!(response.status, 400, "{name}: {}", response.text());
            assert!(
                response.message().contains(&name),
                "{name}: {}",
                response.message()
            );
        }
        found.push((name, implemented));
    }
    found
}

fn target(operation: &str) -> String {
    format!("{TARGET_PREFIX}.{operation}")
}

/// Names of the repositories a DescribeRepositories answer lists.
fn names(response: &HttpResponse) -> Vec<String> {
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["repositories"]
        .as_array()
        .unwrap_or_else(|| panic!("no repositories in {}", response.text()))
        .iter()
        .map(|r| r["repositoryName"].as_str().unwrap().to_owned())
        .collect()
}

async fn create(addr: SocketAddr, auth: Option<&str>, name: &str) -> Value {
    let response = call_as(
        addr,
        auth,
        "CreateRepository",
        &json!({ "repositoryName": name }).to_string(),
    )
    .await;
    assert_eq!(
        response.status,
        200,
        "CreateRepository {name}: {}",
        response.text()
    );
    response.json()["repository"].clone()
}

#[tokio::test]
async fn unknown_targets_are_unknown_operations() {
    let berth = berth().await;
    let addr = berth.local_addr();
    for operation in [
        "NoSuchOperation",
        "createRepository",
        "CreateRepository2",
        "",
    ] {
        let response = call(addr, operation, "{}").await;
        response.assert_error(400, "UnknownOperationException");
    }
    for other in [
        "DynamoDB_20120810.ListTables",
        "CreateRepository",
        "",
        "AmazonEC2ContainerRegistry_V20150921",
    ] {
        let headers = [("X-Amz-Target", other), ("Content-Type", JSON_11)];
        request(addr, "POST", "/", &headers, b"{}")
            .await
            .assert_error(400, "UnknownOperationException");
    }
    let missing = request(addr, "POST", "/", &[("Content-Type", JSON_11)], b"{}").await;
    missing.assert_error(400, "UnknownOperationException");
    assert!(
        missing.message().contains("X-Amz-Target"),
        "{}",
        missing.message()
    );
    berth.shutdown().await;
}

#[tokio::test]
async fn malformed_json_is_a_serialization_exception() {
    let berth = berth().await;
    for body in [
        "{",
        "not json",
        "{\"repositoryName\": }",
        "{\"maxResults\": 1} trailing",
        "{'a': 1}",
        "[]",
        "\"text\"",
        "7",
    ] {
        let response = call(berth.local_addr(), "DescribeRepositories", body).await;
        response.assert_error(400, "SerializationException");
    }
    berth.shutdown().await;
}

#[tokio::test]
async fn wrong_json_types_are_serialization_exceptions_naming_the_member() {
    let berth = berth().await;
    let cases = [
        (
            "CreateRepository",
            json!({ "repositoryName": 5 }),
            "repositoryName",
        ),
        (
            "CreateRepository",
            json!({ "repositoryName": "typed", "tags": "x" }),
            "tags",
        ),
        (
            "CreateRepository",
            json!({ "repositoryName": "typed", "tags": [{ "Key": 5, "Value": "v" }] }),
            "tags.1.member.Key",
        ),
        (
            "CreateRepository",
            json!({ "repositoryName": "typed", "imageScanningConfiguration": { "scanOnPush": "yes" } }),
            "imageScanningConfiguration.scanOnPush",
        ),
        (
            "DescribeRepositories",
            json!({ "maxResults": "1" }),
            "maxResults",
        ),
        (
            "DescribeRepositories",
            json!({ "maxResults": 1.5 }),
            "maxResults",
        ),
        (
            "DescribeRepositories",
            json!({ "repositoryNames": "typed" }),
            "repositoryNames",
        ),
    ];
    for (operation, body, member) in cases {
        let response = call(berth.local_addr(), operation, &body.to_string()).await;
        response.assert_error(400, "SerializationException");
        assert!(
            response.message().contains(member),
            "{operation} {body}: message {:?} does not name {member}",
            response.message()
        );
    }
    // Nothing was created by the rejected CreateRepository calls.
    assert_eq!(
        get(berth.local_addr(), "/_berth/ecr/repositories")
            .await
            .json()["repositories"],
        json!([])
    );
    berth.shutdown().await;
}

#[tokio::test]
async fn content_types_with_parameters_are_accepted_and_others_refused() {
    let berth = berth().await;
    let addr = berth.local_addr();
    let describe = target("DescribeRepositories");
    for content_type in [
        "application/x-amz-json-1.1; charset=utf-8",
        "application/x-amz-json-1.1;charset=UTF-8",
        "Application/X-Amz-Json-1.1",
    ] {
        let response = request(
            addr,
            "POST",
            "/",
            &[("X-Amz-Target", &describe), ("Content-Type", content_type)],
            b"{}",
        )
        .await;
        assert_eq!(response.status, 200, "{content_type}: {}", response.text());
        response.assert_aws_headers();
        assert_eq!(response.json()["repositories"], json!([]));
    }
    for content_type in [
        "application/json",
        "text/plain",
        "application/x-amz-json-1.0",
        "application/x-amz-json-1.1x",
        "",
    ] {
        let response = request(
            addr,
            "POST",
            "/",
            &[("X-Amz-Target", &describe), ("Content-Type", content_type)],
            b"{}",
        )
        .await;
        assert!(
            (400..500).contains(&response.status),
            "{content_type}: {}",
            response.status
        );
        response.assert_aws_headers();
        assert!(
            response.message().contains("Content-Type"),
            "{content_type}: {}",
            response.message()
        );
    }
    berth.shutdown().await;
}

#[tokio::test]
async fn an_empty_body_means_an_empty_object() {
    let berth = berth().await;
    for body in ["", "  \n", "{}"] {
        let response = call(berth.local_addr(), "DescribeRepositories", body).await;
        assert_eq!(names(&response), Vec::<String>::new(), "body {body:?}");
        response.assert_aws_headers();
    }
    // An empty body is `{}`, so a required member is reported missing, not the body.
    let response = call(berth.local_addr(), "CreateRepository", "").await;
    response.assert_error(400, "InvalidParameterException");
    assert!(
        response.message().contains("'repositoryName'"),
        "{}",
        response.message()
    );
    berth.shutdown().await;
}

#[tokio::test]
async fn explicit_nulls_are_absent_members() {
    let berth = berth().await;
    let addr = berth.local_addr();
    let body = json!({ "registryId": null, "repositoryNames": null, "nextToken": null, "maxResults": null });
    assert_eq!(
        names(&call(addr, "DescribeRepositories", &body.to_string()).await),
        Vec::<String>::new()
    );

    let required = call(addr, "CreateRepository", r#"{"repositoryName": null}"#).await;
    required.assert_error(400, "InvalidParameterException");
    assert_eq!(
        required.message(),
        "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be null'"
    );

    let body = json!({
        "repositoryName": "nulls",
        "tags": null,
        "imageTagMutability": null,
        "imageScanningConfiguration": null,
        "encryptionConfiguration": null,
    });
    let created = call(addr, "CreateRepository", &body.to_string()).await;
    assert_eq!(created.status, 200, "{}", created.text());
    // Absent members take their defaults, exactly as if they had not been sent.
    let repository = &created.json()["repository"];
    assert_eq!(repository["imageTagMutability"], "MUTABLE");
    assert_eq!(
        repository["imageScanningConfiguration"],
        json!({ "scanOnPush": false })
    );
    assert_eq!(
        repository["encryptionConfiguration"],
        json!({ "encryptionType": "AES256" })
    );
    berth.shutdown().await;
}

#[tokio::test]
async fn every_response_carries_a_fresh_request_id_and_the_content_type() {
    let berth = berth().await;
    let addr = berth.local_addr();
    let describe = target("DescribeRepositories");
    let responses = vec![
        call(addr, "DescribeRepositories", "{}").await,
        call(addr, "DescribeRepositories", r#"{"repositoryNames": ["missing"]}"#).await,
        call(addr, "CreateRepository", r#"{"repositoryName": "A"}"#).await,
        call(addr, "NoSuchOperation", "{}").await,
        call(addr, "DescribeRepositories", "{").await,
        request(addr, "POST", "/", &[("X-Amz-Target", &describe), ("Content-Type", "text/plain")], b"{}").await,
        request(addr, "GET", "/", &[], b"").await,
        request(addr, "GET", "/nowhere", &[], b"").await,
        send_raw(addr, b"POST / HTTP/1.1\r\nHost: berth\r\nConnection: close\r\nContent-Length: 99999999999\r\n\r\n").await.unwrap(),
    ];
    let mut ids = HashSet::new();
    for response in &responses {
        response.assert_aws_headers();
        assert!(
            ids.insert(response.request_id()),
            "request id repeated: {response:?}"
        );
        if response.status != 200 {
            response.error_type();
        }
    }
    // The admin endpoints answer plain JSON, with a request id too.
    for path in [
        "/_berth/health",
        "/_berth/ecr/operations",
        "/_berth/ecr/repositories",
    ] {
        let response = get(addr, path).await;
        assert_eq!(
            response.header("content-type"),
            Some("application/json"),
            "{path}"
        );
        assert!(
            ids.insert(response.request_id()),
            "request id repeated: {response:?}"
        );
    }
    berth.shutdown().await;
}

/// The bytes of the model this build was generated from: `BERTH_ECR_MODEL` when the build
/// had it, else the kept copy (read here directly, not through the generator's config).
fn model_bytes() -> Vec<u8> {
    let path = std::env::var_os("BERTH_ECR_MODEL").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../aws-models/ecr.json"),
        std::path::PathBuf::from,
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn health_reports_the_version_the_operations_and_the_model() {
    use sha2::{Digest, Sha256};
    let berth = berth().await;
    let health = get(berth.local_addr(), "/_berth/health").await;
    assert_eq!(health.status, 200);
    let operations = implemented_by_behaviour(berth.local_addr()).await;
    let implemented = operations.iter().filter(|(_, yes)| *yes).count();
    let sha256: String = Sha256::digest(model_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        health.json(),
        json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "operations": { "implemented": implemented, "total": operations.len() },
            "model": { "sha256": sha256 },
            // Delivery to --eventbridge-endpoint: none configured here.
            "events": { "delivered": 0, "dropped": 0, "failed": 0 },
        })
    );
    berth.shutdown().await;
}

#[tokio::test]
async fn errors_sent_by_the_api_are_aws_shaped() {
    let berth = berth().await;
    let response = call(
        berth.local_addr(),
        "DescribeRepositories",
        r#"{"repositoryNames": ["missing"]}"#,
    )
    .await;
    response.assert_error(400, "RepositoryNotFoundException");
    assert!(
        response.message().contains("'missing'"),
        "{}",
        response.message()
    );
    let response = call(
        berth.local_addr(),
        "CreateRepository",
        r#"{"repositoryName": "A"}"#,
    )
    .await;
    response.assert_error(400, "InvalidParameterException");
    berth.shutdown().await;
}

#[tokio::test]
async fn every_operation_of_the_model_is_implemented() {
    let berth = berth().await;
    let addr = berth.local_addr();
    // Every operation of the model, called with a valid input, answers from its own
    // behaviour: none names itself as not implemented. (After a model bump, this names the
    // new operations Berth lacks; the generated NotImplementedException of an unregistered
    // operation is tested with the generator's fixture service.)
    let found = implemented_by_behaviour(addr).await;
    let missing: Vec<&str> = found
        .iter()
        .filter(|(_, implemented)| !*implemented)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(missing, Vec::<&str>::new(), "not implemented");
    assert_eq!(found.len(), 58, "the pinned model's operations");
    berth.shutdown().await;
}

/// Requests that are wrong in every way a client can get them wrong, as raw bytes.
fn bad_requests() -> Vec<(String, Vec<u8>)> {
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    let mut api = |label: &str, target: &[u8], content_type: &[u8], body: &[u8]| {
        let mut raw =
            b"POST / HTTP/1.1\r\nHost: berth\r\nConnection: close\r\nX-Amz-Target: ".to_vec();
        raw.extend_from_slice(target);
        raw.extend_from_slice(b"\r\nContent-Type: ");
        raw.extend_from_slice(content_type);
        raw.extend_from_slice(format!("\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
        raw.extend_from_slice(body);
        cases.push((label.to_owned(), raw));
    };
    let ct = JSON_11.as_bytes();
    let create = target("CreateRepository");
    let create = create.as_bytes();
    let describe = target("DescribeRepositories");
    let describe = describe.as_bytes();
    let long_name = "a".repeat(1_000_000);
    let bodies: Vec<(&str, &[u8], Vec<u8>)> = vec![
        ("garbage", describe, b"\x00\x01\x02garbage".to_vec()),
        (
            "invalid utf-8",
            create,
            b"{\"repositoryName\": \"\xff\xfe\"}".to_vec(),
        ),
        (
            "lone surrogate",
            create,
            br#"{"repositoryName": "\ud800"}"#.to_vec(),
        ),
        (
            "nul in name",
            create,
            br#"{"repositoryName": "a\u0000b"}"#.to_vec(),
        ),
        ("byte order mark", describe, b"\xef\xbb\xbf{}".to_vec()),
        ("null body", describe, b"null".to_vec()),
        ("huge float", describe, br#"{"maxResults": 1e400}"#.to_vec()),
        (
            "huge integer",
            describe,
            br#"{"maxResults": 99999999999999999999}"#.to_vec(),
        ),
        ("negative", describe, br#"{"maxResults": -1}"#.to_vec()),
        ("zero", describe, br#"{"maxResults": 0}"#.to_vec()),
        (
            "bad token",
            describe,
            br#"{"nextToken": "not-a-token"}"#.to_vec(),
        ),
        (
            "bad registry",
            describe,
            br#"{"registryId": "abc"}"#.to_vec(),
        ),
        (
            "other account",
            describe,
            br#"{"registryId": "999999999999"}"#.to_vec(),
        ),
        (
            "long name",
            create,
            format!(r#"{{"repositoryName": "{long_name}"}}"#).into_bytes(),
        ),
        (
            "bad enum",
            create,
            br#"{"repositoryName": "e", "imageTagMutability": "SOMETIMES"}"#.to_vec(),
        ),
        (
            "object for list",
            create,
            br#"{"repositoryName": "ok-name", "tags": {"Key": "k"}}"#.to_vec(),
        ),
        (
            "duplicate member",
            create,
            br#"{"repositoryName": "dup-a", "repositoryName": "dup-b"}"#.to_vec(),
        ),
        (
            "reserved tag",
            create,
            br#"{"repositoryName": "tagged", "tags": [{"Key": "aws:x", "Value": "v"}]}"#.to_vec(),
        ),
    ];
    for (label, target, body) in bodies {
        api(label, target, ct, &body);
    }
    let long_target = format!("{TARGET_PREFIX}.{}", "X".repeat(10_000));
    for (label, target) in [
        ("empty target", &b""[..]),
        ("dot target", b"."),
        ("prefix only", format!("{TARGET_PREFIX}.").as_bytes()),
        (
            "non-utf-8 target",
            b"AmazonEC2ContainerRegistry_V20150921.\xff\xfe",
        ),
        ("long target", long_target.as_bytes()),
    ] {
        api(label, target, ct, b"{}");
    }
    for (label, content_type) in [
        ("json content type", &b"application/json"[..]),
        ("non-utf-8 content type", b"\xff"),
        ("empty content type", b""),
    ] {
        api(label, describe, content_type, b"{}");
    }
    for method in ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        cases.push((
            format!("{method} /"),
            format!("{method} / HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n").into_bytes(),
        ));
    }
    for path in [
        "/nope",
        "/_berth",
        "/_berth/",
        "/_berth/unknown",
        "//",
        "/%ff",
        "/_berth/ecr/repositories/x",
    ] {
        cases.push((
            format!("GET {path}"),
            format!("GET {path} HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n").into_bytes(),
        ));
    }
    cases.push((
        "POST reset with GET".into(),
        b"GET /_berth/reset HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n\r\n".to_vec(),
    ));
    cases.push((
        "declared body over the limit".into(),
        format!(
            "POST / HTTP/1.1\r\nHost: berth\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            berth::config::MAX_REQUEST_BODY_BYTES + 1
        )
        .into_bytes(),
    ));
    cases
}

#[tokio::test]
async fn no_client_mistake_gets_a_server_error() {
    let berth = berth().await;
    for (label, raw) in bad_requests() {
        let response = send_raw(berth.local_addr(), &raw)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(
            (400..500).contains(&response.status),
            "{label}: {} {}",
            response.status,
            response.text()
        );
        response.assert_aws_headers();
        assert!(!response.error_type().is_empty(), "{label}");
    }
    // The server is still there, and none of the bad requests created anything.
    let health = get(berth.local_addr(), "/_berth/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(
        get(berth.local_addr(), "/_berth/ecr/repositories")
            .await
            .json()["repositories"],
        json!([])
    );
    berth.shutdown().await;
}

#[tokio::test]
async fn deeply_nested_json_never_crashes() {
    let berth = berth().await;
    let addr = berth.local_addr();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    // Where the nesting must be parsed, the parser's depth limit answers.
    for body in [format!(r#"{{"repositoryNames": {deep}}}"#), deep.clone()] {
        call(addr, "DescribeRepositories", &body)
            .await
            .assert_error(400, "SerializationException");
    }
    // Nesting inside an unknown member is bounded too (serde_json would skip it without
    // a limit): refused with a message naming the limit.
    let limit = berth_runtime::nesting::MAX_JSON_NESTING_DEPTH;
    let refused = call(
        addr,
        "DescribeRepositories",
        &format!(r#"{{"unknown": {deep}}}"#),
    )
    .await;
    refused.assert_error(400, "SerializationException");
    assert!(
        refused
            .text()
            .contains(&format!("more than {limit} levels")),
        "{}",
        refused.text()
    );
    // Within the limit, an unknown member is ignored, as unknown members are.
    let shallow = format!("{}{}", "[".repeat(limit - 1), "]".repeat(limit - 1));
    let ignored = call(
        addr,
        "DescribeRepositories",
        &format!(r#"{{"unknown": {shallow}}}"#),
    )
    .await;
    assert_eq!(names(&ignored), Vec::<String>::new());
    assert_eq!(get(addr, "/_berth/health").await.status, 200);
    berth.shutdown().await;
}

#[tokio::test]
async fn broken_http_never_gets_a_server_error() {
    let berth = berth().await;
    let broken: [&[u8]; 4] = [
        b"POST / HTTP/1.1\r\nHost: berth\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: berth\r\nConnection: close\r\nContent-Length: nope\r\n\r\n{}",
        b"POST / HTTP/1.1\r\nBad Header Without Colon\r\nConnection: close\r\n\r\n",
    ];
    for raw in broken {
        let label = String::from_utf8_lossy(raw);
        // The HTTP layer may answer 400 or just close; it must never answer 5xx.
        if let Ok(response) = send_raw(berth.local_addr(), raw).await {
            assert!(response.status < 500, "{label}: {}", response.status);
        }
    }
    assert_eq!(get(berth.local_addr(), "/_berth/health").await.status, 200);
    berth.shutdown().await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413() {
    let limit = 1024;
    let berth = berth_with(Config {
        max_body_bytes: limit,
        ..Config::ephemeral()
    })
    .await;
    let addr = berth.local_addr();
    let describe = target("DescribeRepositories");
    let headers = [
        ("X-Amz-Target", describe.as_str()),
        ("Content-Type", JSON_11),
    ];

    // Exactly at the limit is fine (padding is JSON whitespace).
    let at_limit = format!("{{}}{}", " ".repeat(limit - 2));
    assert_eq!(
        request(addr, "POST", "/", &headers, at_limit.as_bytes())
            .await
            .status,
        200
    );

    let over = format!("{{}}{}", " ".repeat(limit - 1));
    let response = request(addr, "POST", "/", &headers, over.as_bytes()).await;
    response.assert_error(413, "RequestEntityTooLargeException");
    assert!(
        response.message().contains(&format!("{limit} bytes")),
        "{}",
        response.message()
    );

    // Without Content-Length the limit holds while streaming.
    let chunks: [&[u8]; 3] = [b"{}", &[b' '; 600], &[b' '; 600]];
    let raw = chunked_request("/", &headers, &chunks);
    send_raw(addr, &raw)
        .await
        .unwrap()
        .assert_error(413, "RequestEntityTooLargeException");
    let raw = chunked_request("/", &headers, &chunks[..2]);
    assert_eq!(send_raw(addr, &raw).await.unwrap().status, 200);
    berth.shutdown().await;
}

#[tokio::test]
async fn non_api_requests_get_clear_errors() {
    let berth = berth().await;
    let addr = berth.local_addr();
    let root = get(addr, "/").await;
    root.assert_error(405, "MethodNotAllowedException");
    assert_eq!(root.header("allow"), Some("POST"));
    assert!(
        root.message().contains("X-Amz-Target"),
        "{}",
        root.message()
    );

    // (`/v2/` is the registry's: `tests/registry.rs`.)
    let unknown = get(addr, "/v1/").await;
    unknown.assert_error(404, "UnknownOperationException");
    assert!(
        unknown.message().contains("GET /v1/"),
        "{}",
        unknown.message()
    );

    for (method, path, allowed) in [
        ("POST", "/_berth/health", "GET"),
        ("GET", "/_berth/reset", "POST"),
        ("DELETE", "/_berth/ecr/repositories", "GET"),
    ] {
        let response = request(addr, method, path, &[], b"").await;
        response.assert_error(405, "MethodNotAllowedException");
        assert_eq!(response.header("allow"), Some(allowed), "{method} {path}");
    }
    berth.shutdown().await;
}

#[tokio::test]
async fn health_and_operations_describe_the_catalog() {
    let berth = berth().await;
    let addr = berth.local_addr();
    let health = get(addr, "/_berth/health").await;
    assert_eq!(health.status, 200);
    let health = health.json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    // The oracle: names from the model file, implemented-ness from behaviour.
    let expected = implemented_by_behaviour(addr).await;
    let expected_implemented = expected.iter().filter(|(_, yes)| *yes).count();
    assert_eq!(health["operations"]["total"], expected.len());
    assert_eq!(health["operations"]["implemented"], expected_implemented);

    let listed = get(addr, "/_berth/ecr/operations").await;
    assert_eq!(listed.status, 200);
    let listed: Vec<(String, bool)> = listed.json()["operations"]
        .as_array()
        .expect("operations array")
        .iter()
        .map(|o| {
            let name = o["name"].as_str().expect("name").to_owned();
            (
                name,
                o["implemented"].as_bool().expect("implemented is a bool"),
            )
        })
        .collect();
    assert_eq!(listed, expected);
    berth.shutdown().await;
}

#[tokio::test]
async fn reset_drops_every_account_and_region() {
    let berth = berth().await;
    let addr = berth.local_addr();
    create(addr, None, "first").await;
    create(
        addr,
        Some(&authorization("111122223333", "eu-west-1")),
        "second",
    )
    .await;
    let listed = get(addr, "/_berth/ecr/repositories").await.json();
    assert_eq!(
        listed["repositories"].as_array().unwrap().len(),
        2,
        "{listed}"
    );

    let reset = request(addr, "POST", "/_berth/reset", &[], b"").await;
    assert_eq!(reset.status, 200, "{}", reset.text());
    assert_eq!(reset.json()["status"], "ok");

    assert_eq!(
        get(addr, "/_berth/ecr/repositories").await.json(),
        json!({ "repositories": [] })
    );
    assert_eq!(
        names(&call(addr, "DescribeRepositories", "{}").await),
        Vec::<String>::new()
    );
    let other = call_as(
        addr,
        Some(&authorization("111122223333", "eu-west-1")),
        "DescribeRepositories",
        "{}",
    )
    .await;
    assert_eq!(names(&other), Vec::<String>::new());
    // The name is free again.
    create(addr, None, "first").await;
    berth.shutdown().await;
}

#[tokio::test]
async fn account_and_region_come_from_the_authorization_header() {
    let config = Config {
        account_id: "210987654321".parse().unwrap(),
        region: "ap-south-1".parse().unwrap(),
        ..Config::ephemeral()
    };
    let berth = berth_with(config).await;
    let addr = berth.local_addr();
    let alice_eu = authorization("111122223333", "eu-west-1");
    let alice_us = authorization("111122223333", "us-west-2");
    let bob_eu = authorization("444455556666", "eu-west-1");
    let named_key = authorization("AKIAIOSFODNN7EXAMPLE", "ap-south-1");

    let repository = create(addr, Some(&alice_eu), "shared/name").await;
    assert_eq!(repository["registryId"], "111122223333");
    assert_eq!(
        repository["repositoryArn"],
        "arn:aws:ecr:eu-west-1:111122223333:repository/shared/name"
    );
    assert_eq!(
        repository["repositoryUri"],
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shared/name"
    );

    let describe = |auth: Option<String>| async move {
        names(&call_as(addr, auth.as_deref(), "DescribeRepositories", "{}").await)
    };
    assert_eq!(describe(Some(alice_eu.clone())).await, ["shared/name"]);
    assert!(
        describe(Some(alice_us.clone())).await.is_empty(),
        "visible from another region"
    );
    assert!(
        describe(Some(bob_eu.clone())).await.is_empty(),
        "visible from another account"
    );
    assert!(describe(None).await.is_empty(), "visible from the defaults");

    // The same name is free in every other account and region.
    create(addr, Some(&alice_us), "shared/name").await;
    create(addr, Some(&bob_eu), "shared/name").await;
    // Without a credential, or with a key that is not an account id: the configured defaults.
    let default = create(addr, None, "shared/name").await;
    assert_eq!(
        default["repositoryArn"],
        "arn:aws:ecr:ap-south-1:210987654321:repository/shared/name"
    );
    let duplicate = call_as(
        addr,
        Some(&named_key),
        "CreateRepository",
        r#"{"repositoryName": "shared/name"}"#,
    )
    .await;
    duplicate.assert_error(400, "RepositoryAlreadyExistsException");
    assert!(
        duplicate.message().contains("210987654321"),
        "{}",
        duplicate.message()
    );

    let all = get(addr, "/_berth/ecr/repositories").await.json();
    let mut arns: Vec<&str> = all["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repositoryArn"].as_str().unwrap())
        .collect();
    arns.sort_unstable();
    assert_eq!(
        arns,
        [
            "arn:aws:ecr:ap-south-1:210987654321:repository/shared/name",
            "arn:aws:ecr:eu-west-1:111122223333:repository/shared/name",
            "arn:aws:ecr:eu-west-1:444455556666:repository/shared/name",
            "arn:aws:ecr:us-west-2:111122223333:repository/shared/name",
        ]
    );
    berth.shutdown().await;
}

#[tokio::test]
async fn keep_alive_connections_serve_several_requests() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let berth = berth().await;
    let mut stream = tokio::net::TcpStream::connect(berth.local_addr())
        .await
        .unwrap();
    let describe = target("DescribeRepositories");
    let headers = [
        ("X-Amz-Target", describe.as_str()),
        ("Content-Type", JSON_11),
    ];
    let one = head("berth", "POST", "/", &headers, 2) + "{}";
    let closing = [&headers[..], &[("Connection", "close")]].concat();
    let last = head("berth", "POST", "/", &closing, 2) + "{}";
    stream
        .write_all(format!("{one}{one}{last}").as_bytes())
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(TIMEOUT, stream.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 3, "{answer}");
    berth.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_serving_and_frees_the_port() {
    let berth = berth().await;
    let addr = berth.local_addr();
    assert_eq!(get(addr, "/_berth/health").await.status, 200);
    berth.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
    // The port can be bound again at once.
    let again = berth_with(Config {
        port: addr.port(),
        ..Config::ephemeral()
    })
    .await;
    assert_eq!(get(addr, "/_berth/health").await.status, 200);
    again.shutdown().await;
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let berth = berth().await;
    let addr = berth.local_addr();
    drop(berth);
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still accepting after the handle was dropped"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
