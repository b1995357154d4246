//! Pull through cache rules through the AWS SDK for Rust (the happy path and the typed
//! errors), and a pull through an upstream that speaks the Docker token flow (a fake
//! registry served here: a 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, a
//! token service that wants the mapping's Basic credentials, blobs redirected to storage),
//! for Docker Hub's `library/` names too. Expected values: `ecr-behaviour-registry.md` §5.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use aws_sdk_ecr::operation::create_pull_through_cache_rule::CreatePullThroughCacheRuleError;
use aws_sdk_ecr::operation::describe_pull_through_cache_rules::DescribePullThroughCacheRulesError;
use aws_sdk_ecr::types::UpstreamRegistry;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use sha2::{Digest, Sha256};
use support::sdk::*;

const CREDENTIAL_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/hub";
const TOKEN: &str = "fake-upstream-token";
const USER: &str = "hub-user";
const PASSWORD: &str = "hub-password";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// The fake upstream: blobs by digest, manifests by `repository:reference`, and what
/// it was asked (to show the token flow happened).
#[derive(Default)]
struct Upstream {
    blobs: HashMap<String, Vec<u8>>,
    manifests: HashMap<String, Vec<u8>>,
    token_requests: Mutex<Vec<String>>,
    addr: Mutex<Option<SocketAddr>>,
}

type Shared = Arc<Upstream>;

fn challenge(state: &Upstream, repository: &str) -> Response {
    let addr = state.addr.lock().unwrap().expect("bound");
    let value = format!(
        r#"Bearer realm="http://{addr}/token",service="fake-registry",scope="repository:{repository}:pull""#
    );
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, value)],
    )
        .into_response()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"))
}

async fn token(State(state): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    // Query values as the client escaped them (the test compares them escaped).
    let query: HashMap<String, String> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.replace("%2C", ",")))
        .collect();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    let scope = query.get("scope").cloned().unwrap_or_default();
    state.token_requests.lock().unwrap().push(format!(
        "{} {scope}",
        query.get("service").cloned().unwrap_or_default()
    ));
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&basic)
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let body = serde_json::to_vec(&serde_json::json!({ "token": TOKEN })).unwrap();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `/v2/<repository>/manifests/<reference>` and `/v2/<repository>/blobs/<digest>`.
async fn v2(State(state): State<Shared>, Path(rest): Path<String>, headers: HeaderMap) -> Response {
    let (repository, kind, reference) =
        if let Some((repo, reference)) = rest.rsplit_once("/manifests/") {
            (repo.to_owned(), "manifests", reference.to_owned())
        } else if let Some((repo, digest)) = rest.rsplit_once("/blobs/") {
            (repo.to_owned(), "blobs", digest.to_owned())
        } else {
            return StatusCode::NOT_FOUND.into_response();
        };
    if !authorized(&headers) {
        return challenge(&state, &repository);
    }
    match kind {
        "manifests" => match state.manifests.get(&format!("{repository}:{reference}")) {
            Some(bytes) => ([(header::CONTENT_TYPE, OCI_MANIFEST)], bytes.clone()).into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        // Blobs are redirected to storage, as real registries do.
        _ => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, format!("/storage/{reference}"))],
        )
            .into_response(),
    }
}

async fn storage(State(state): State<Shared>, Path(digest): Path<String>) -> Response {
    match state.blobs.get(&digest) {
        Some(bytes) => Body::from(bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// An image of `layers`; its manifest bytes, stored in `upstream` under each of `names`.
fn add_image(upstream: &mut Upstream, names: &[&str], tag: &str, layers: &[&[u8]]) -> Vec<u8> {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    upstream.blobs.insert(sha256(config), config.to_vec());
    let layers: Vec<serde_json::Value> = layers
        .iter()
        .map(|layer| {
            upstream.blobs.insert(sha256(layer), layer.to_vec());
            serde_json::json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": sha256(layer),
                "size": layer.len(),
            })
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256(config),
            "size": config.len(),
        },
        "layers": layers,
    }))
    .unwrap();
    for name in names {
        upstream
            .manifests
            .insert(format!("{name}:{tag}"), manifest.clone());
        upstream
            .manifests
            .insert(format!("{name}:{}", sha256(&manifest)), manifest.clone());
    }
    manifest
}

async fn serve_upstream(mut upstream: Upstream) -> (Shared, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    upstream.addr = Mutex::new(Some(addr));
    let shared: Shared = Arc::new(upstream);
    let router = axum::Router::new()
        .route("/token", get(token))
        .route("/v2/{*rest}", get(v2))
        .route("/storage/{digest}", get(storage))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (shared, addr)
}

async fn start_berth(mapping: &str) -> Berth {
    let config = berth::Config {
        registry_auth: berth::RegistryAuth::None,
        upstreams: vec![mapping.parse().unwrap()],
        ..berth::Config::ephemeral()
    };
    let running = berth::start(config).await.unwrap();
    Berth {
        endpoint: format!("http://{}", running.local_addr()),
        running,
    }
}

/// An anonymous `/v2` manifest GET on Berth: status and body.
async fn pull_manifest(endpoint: &str, repository: &str, reference: &str) -> (u16, Vec<u8>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Body>();
    let request =
        axum::http::Request::get(format!("{endpoint}/v2/{repository}/manifests/{reference}"))
            .header(header::ACCEPT, OCI_MANIFEST)
            .body(Body::empty())
            .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_through_a_token_authenticated_upstream() {
    let mut upstream = Upstream::default();
    let layer_a = vec![7u8; 300_000];
    let layer_b = b"second layer".to_vec();
    let manifest = add_image(&mut upstream, &["team/app"], "v1", &[&layer_a, &layer_b]);
    let library = add_image(
        &mut upstream,
        &["library/nginx"],
        "stable",
        &[b"nginx layer"],
    );
    let (upstream, addr) = serve_upstream(upstream).await;
    let berth = start_berth(&format!(
        "registry-1.docker.io=http://{USER}:{PASSWORD}@{addr}"
    ))
    .await;
    let client = berth.client();

    let created = client
        .create_pull_through_cache_rule()
        .ecr_repository_prefix("hub")
        .upstream_registry_url("registry-1.docker.io")
        .credential_arn(CREDENTIAL_ARN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.upstream_registry(),
        Some(&UpstreamRegistry::DockerHub)
    );
    assert_eq!(created.upstream_repository_prefix(), Some("ROOT"));
    assert_eq!(created.registry_id(), Some(DEFAULT_ACCOUNT));

    let (status, body) = pull_manifest(&berth.endpoint, "hub/team/app", "v1").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, manifest);
    let requests = upstream.token_requests.lock().unwrap().clone();
    assert!(
        requests.contains(&"fake-registry repository:team/app:pull".to_owned()),
        "{requests:?}"
    );

    // The cached image, its layers linked byte for byte.
    let images = client
        .describe_images()
        .repository_name("hub/team/app")
        .send()
        .await
        .unwrap();
    let [image] = images.image_details() else {
        panic!("one image: {images:?}")
    };
    assert_eq!(image.image_digest(), Some(sha256(&manifest).as_str()));
    assert_eq!(image.image_tags(), ["v1"]);
    let url = client
        .get_download_url_for_layer()
        .repository_name("hub/team/app")
        .layer_digest(sha256(&layer_a))
        .send()
        .await
        .unwrap();
    assert!(url.download_url().is_some());

    // A one-segment Docker Hub name is its library/ image.
    let (status, body) = pull_manifest(&berth.endpoint, "hub/nginx", "stable").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, library);

    // What the upstream lacks is NAME_UNKNOWN, and no repository stays.
    let (status, body) = pull_manifest(&berth.endpoint, "hub/team/missing", "v1").await;
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("NAME_UNKNOWN"));
    let repositories = client.describe_repositories().send().await.unwrap();
    let mut names: Vec<_> = repositories
        .repositories()
        .iter()
        .filter_map(|r| r.repository_name())
        .collect();
    names.sort();
    assert_eq!(names, ["hub/nginx", "hub/team/app"]);
    berth.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rules_api_and_its_typed_errors() {
    let berth = Berth::start().await;
    let client = berth.client();
    client
        .create_pull_through_cache_rule()
        .ecr_repository_prefix("quay")
        .upstream_registry_url("quay.io")
        .send()
        .await
        .unwrap();

    let duplicate = client
        .create_pull_through_cache_rule()
        .ecr_repository_prefix("quay/")
        .upstream_registry_url("quay.io")
        .send()
        .await;
    assert!(matches!(
        modeled(&duplicate),
        CreatePullThroughCacheRuleError::PullThroughCacheRuleAlreadyExistsException(_)
    ));
    assert_eq!(
        service_error(duplicate).message,
        "A pull through cache rule with the prefix 'quay/' already exists in the registry with id '123456789012'"
    );

    let unsupported = client
        .create_pull_through_cache_rule()
        .ecr_repository_prefix("other")
        .upstream_registry_url("example.com")
        .send()
        .await;
    assert!(matches!(
        modeled(&unsupported),
        CreatePullThroughCacheRuleError::UnsupportedUpstreamRegistryException(_)
    ));

    let missing = client
        .describe_pull_through_cache_rules()
        .ecr_repository_prefixes("nope")
        .send()
        .await;
    assert!(matches!(
        modeled(&missing),
        DescribePullThroughCacheRulesError::PullThroughCacheRuleNotFoundException(_)
    ));

    for i in 1..50 {
        client
            .create_pull_through_cache_rule()
            .ecr_repository_prefix(format!("cache{i:02}"))
            .upstream_registry_url("quay.io")
            .send()
            .await
            .unwrap();
    }
    let over = client
        .create_pull_through_cache_rule()
        .ecr_repository_prefix("one-more")
        .upstream_registry_url("quay.io")
        .send()
        .await;
    assert!(matches!(
        modeled(&over),
        CreatePullThroughCacheRuleError::LimitExceededException(_)
    ));

    // The SDK's paginator walks every rule, by prefix.
    let pages: Vec<_> = client
        .describe_pull_through_cache_rules()
        .max_results(7)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let prefixes: Vec<_> = pages
        .iter()
        .flat_map(|page| page.pull_through_cache_rules())
        .filter_map(|rule| rule.ecr_repository_prefix())
        .collect();
    assert_eq!(prefixes.len(), 50);
    assert_eq!(prefixes.first(), Some(&"cache01"));
    assert_eq!(prefixes.last(), Some(&"quay"));

    let validated = client
        .validate_pull_through_cache_rule()
        .ecr_repository_prefix("quay")
        .send()
        .await
        .unwrap();
    assert!(validated.is_valid());
    let deleted = client
        .delete_pull_through_cache_rule()
        .ecr_repository_prefix("quay")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.upstream_registry_url(), Some("quay.io"));
    berth.stop().await;
}
