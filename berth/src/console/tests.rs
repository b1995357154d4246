//! The console's routes through the whole router: the embedded files with their content
//! types, the API proxy's allowlist and registry headers, `--console-writes`, and access
//! when signatures are verified. Expected texts are written out here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::app::{self, AppState};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn state(verify: bool, writes: bool) -> AppState {
    AppState {
        ecr: Arc::new(ecr_impl::Ecr::in_memory()),
        account_id: ACCOUNT.parse().unwrap(),
        region: REGION.parse().unwrap(),
        max_body_bytes: 1 << 20,
        max_header_bytes: 1 << 14,
        request_body_timeout: Duration::from_secs(60),
        verifier: verify.then(|| Arc::new("AKIDADMIN:admin-secret:111122223333".parse().unwrap())),
        registry_auth: crate::config::RegistryAuth::default(),
        console_writes: writes,
        upstreams: Arc::new(crate::upstream::Upstreams::new(Vec::new())),
        event_delivery: Arc::default(),
    }
}

struct Answer {
    status: StatusCode,
    content_type: String,
    location: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

async fn send(state: &AppState, mut request: Request, peer: &str) -> Answer {
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = app::router(state.clone()).oneshot(request).await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, content_type, location) = (
        response.status(),
        header("content-type"),
        header("location"),
    );
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    Answer {
        status,
        content_type,
        location,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get(state: &AppState, path: &str) -> Answer {
    let request = Request::get(path).body(Body::empty()).unwrap();
    send(state, request, "127.0.0.1:40000").await
}

/// An ECR call through the console's API, for `account` and `region` (omitted when `None`).
fn api_call(operation: &str, body: Value, account: Option<&str>, region: Option<&str>) -> Request {
    let mut builder = Request::post(super::API).header(
        "x-amz-target",
        format!("AmazonEC2ContainerRegistry_V20150921.{operation}"),
    );
    if let Some(account) = account {
        builder = builder.header("x-berth-account", account);
    }
    if let Some(region) = region {
        builder = builder.header("x-berth-region", region);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

async fn api(state: &AppState, operation: &str, body: Value) -> Answer {
    let request = api_call(operation, body, Some(ACCOUNT), Some(REGION));
    send(state, request, "127.0.0.1:40000").await
}

fn assert_error(answer: &Answer, kind: &str, message: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.json(), json!({"__type": kind, "message": message}));
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_their_content_types() {
    let state = state(false, false);
    let page = get(&state, "/_berth/ui/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.content_type, "text/html; charset=utf-8");
    assert!(page.body.contains(r#"<script src="app.js"></script>"#));
    assert!(page.body.contains(r#"href="style.css""#));
    // No external network: nothing is loaded from another origin.
    for asset in ["/_berth/ui/", "/_berth/ui/app.js", "/_berth/ui/style.css"] {
        let body = get(&state, asset).await.body;
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{asset}"
        );
    }
    let script = get(&state, "/_berth/ui/app.js").await;
    assert_eq!(script.content_type, "text/javascript; charset=utf-8");
    assert!(
        script
            .body
            .contains("AmazonEC2ContainerRegistry_V20150921.")
    );
    assert_eq!(
        get(&state, "/_berth/ui/style.css").await.content_type,
        "text/css; charset=utf-8"
    );
    let root = get(&state, "/_berth/ui").await;
    assert_eq!(root.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(root.location, "/_berth/ui/");
}

#[tokio::test]
async fn the_api_acts_on_the_registry_the_headers_name() {
    let state = state(false, false);
    let other = Registry::new("111122223333", "eu-west-1");
    other.create(&state, "elsewhere/app").await;
    let mine = api(&state, "DescribeRepositories", json!({})).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert_eq!(mine.json(), json!({"repositories": []}));
    let theirs = send(
        &state,
        api_call(
            "DescribeRepositories",
            json!({"maxResults": 1}),
            Some(other.account),
            Some(other.region),
        ),
        "127.0.0.1:40000",
    )
    .await;
    let repositories = theirs.json()["repositories"].clone();
    assert_eq!(repositories[0]["repositoryName"], "elsewhere/app");
    assert_eq!(
        repositories[0]["repositoryArn"],
        "arn:aws:ecr:eu-west-1:111122223333:repository/elsewhere/app"
    );

    let overview = get(&state, super::OVERVIEW).await.json();
    assert_eq!(
        overview,
        json!({
            "registries": [
                {"accountId": "111122223333", "region": "eu-west-1", "repositoryCount": 1},
                {"accountId": ACCOUNT, "region": REGION, "repositoryCount": 0},
            ],
            "defaultAccountId": ACCOUNT,
            "defaultRegion": REGION,
            "consoleWrites": false,
        })
    );
}

/// A registry other than the default one.
struct Registry {
    account: &'static str,
    region: &'static str,
}

impl Registry {
    fn new(account: &'static str, region: &'static str) -> Registry {
        Registry { account, region }
    }

    async fn create(&self, state: &AppState, name: &str) {
        let mut ctx = berth_runtime::RequestContext {
            account_id: self.account.into(),
            region: self.region.into(),
            request_id: "r".into(),
            operation: "",
            endpoint: String::new(),
        };
        let body = json!({"repositoryName": name}).to_string();
        let request = berth_runtime::protocol::Request {
            target: Some("AmazonEC2ContainerRegistry_V20150921.CreateRepository"),
            content_type: Some(ecr_generated::operations::SERVICE.content_type),
            body: body.as_bytes(),
        };
        assert_eq!(state.ecr.handle(&mut ctx, request).await.status, 200);
    }
}

#[tokio::test]
async fn the_registry_headers_are_required_and_checked() {
    let state = state(false, false);
    let call = |account, region| api_call("DescribeRepositories", json!({}), account, region);
    let peer = "127.0.0.1:40000";
    assert_error(
        &send(&state, call(None, Some(REGION)), peer).await,
        "InvalidParameterException",
        "The console request needs the X-Berth-Account header.",
    );
    assert_error(
        &send(&state, call(Some("12345"), Some(REGION)), peer).await,
        "InvalidParameterException",
        "The value '12345' of the X-Berth-Account header is not valid.",
    );
    assert_error(
        &send(&state, call(Some(ACCOUNT), None), peer).await,
        "InvalidParameterException",
        "The console request needs the X-Berth-Region header.",
    );
}

#[tokio::test]
async fn the_api_passes_on_reads_only() {
    let state = state(false, false);
    for operation in [
        "CreateRepository",
        "BatchGetImage",
        "GetAuthorizationToken",
        "PutImage",
        "",
    ] {
        let answer = api(&state, operation, json!({"repositoryName": "team/web"})).await;
        assert_error(
            &answer,
            "AccessDeniedException",
            &format!("The Berth console does not call {operation}."),
        );
    }
    for operation in ["BatchDeleteImage", "DeleteRepository"] {
        let answer = api(&state, operation, json!({"repositoryName": "team/web"})).await;
        assert_error(
            &answer,
            "AccessDeniedException",
            &format!(
                "The Berth console is read-only: start Berth with --console-writes \
                 (BERTH_CONSOLE_WRITES=true) to allow {operation}."
            ),
        );
    }
}

#[tokio::test]
async fn with_console_writes_the_deletes_go_through() {
    let state = state(false, true);
    Registry::new(ACCOUNT, REGION)
        .create(&state, "team/web")
        .await;
    let deleted = api(
        &state,
        "DeleteRepository",
        json!({"repositoryName": "team/web"}),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(deleted.json()["repository"]["repositoryName"], "team/web");
    let missing = api(
        &state,
        "BatchDeleteImage",
        json!({"repositoryName": "team/web", "imageIds": [{"imageTag": "1"}]}),
    )
    .await;
    assert_error(
        &missing,
        "RepositoryNotFoundException",
        "The repository with name 'team/web' does not exist in the registry with id '123456789012'",
    );
    assert_eq!(
        get(&state, super::OVERVIEW).await.json()["consoleWrites"],
        true
    );
}

#[tokio::test]
async fn when_verifying_signatures_the_console_answers_loopback_only() {
    let state = state(true, false);
    let local = send(
        &state,
        api_call(
            "DescribeRepositories",
            json!({}),
            Some(ACCOUNT),
            Some(REGION),
        ),
        "127.0.0.1:40000",
    )
    .await;
    assert_eq!(local.status, StatusCode::OK, "{}", local.body);
    for path in ["/_berth/ui/", super::OVERVIEW] {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let remote = send(&state, request, "10.1.2.3:5000").await;
        assert_eq!(remote.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            remote.body.contains("MissingAuthenticationTokenException"),
            "{path}"
        );
    }
    let remote = send(
        &state,
        api_call(
            "DescribeRepositories",
            json!({}),
            Some(ACCOUNT),
            Some(REGION),
        ),
        "10.1.2.3:5000",
    )
    .await;
    assert!(remote.body.contains("MissingAuthenticationTokenException"));
}

#[tokio::test]
async fn the_reads_check_their_parameters_and_answer_ecrs_errors() {
    let state = state(false, false);
    Registry::new(ACCOUNT, REGION)
        .create(&state, "team/web")
        .await;
    let zeros = format!("sha256:{}", "0".repeat(64));
    let query = |path: &str, repository: &str, digest: &str| {
        format!("{path}?account={ACCOUNT}&region={REGION}&repository={repository}&digest={digest}")
    };
    assert_error(
        &get(&state, &query(super::MANIFEST, "team%2Fweb", "sha256:zz")).await,
        "InvalidParameterException",
        "The value 'sha256:zz' of the digest parameter is not valid.",
    );
    assert_error(
        &get(&state, &format!("{}?region={REGION}", super::MANIFEST)).await,
        "InvalidParameterException",
        "The console request needs the account parameter.",
    );
    assert_error(
        &get(&state, &query(super::MANIFEST, "team/none", &zeros)).await,
        "RepositoryNotFoundException",
        "The repository with name 'team/none' does not exist in the registry with id '123456789012'",
    );
    assert_error(
        &get(&state, &query(super::MANIFEST, "team/web", &zeros)).await,
        "ImageNotFoundException",
        &format!(
            "The image with imageId {{imageDigest:'{zeros}', imageTag:'null'}} does not exist \
             within the repository with name 'team/web' in the registry with id '123456789012'"
        ),
    );
    assert_error(
        &get(&state, &query(super::BLOB, "team/web", &zeros)).await,
        "LayersNotFoundException",
        &format!(
            "The layer with digest '{zeros}' does not exist in the repository with name \
             'team/web' in the registry with id '123456789012'"
        ),
    );
    assert_error(
        &get(&state, &query(super::BLOB, "team/none", &zeros)).await,
        "RepositoryNotFoundException",
        "The repository with name 'team/none' does not exist in the registry with id '123456789012'",
    );
    assert_error(
        &get(&state, &query(super::LIFECYCLE_PREVIEW, "team/web", "")).await,
        "LifecyclePolicyNotFoundException",
        "Lifecycle policy does not exist for the repository with name 'team/web' in the \
         registry with id '123456789012'",
    );
}

#[tokio::test]
async fn the_api_holds_to_the_request_body_limit() {
    let mut state = state(false, false);
    state.max_body_bytes = 64;
    let body = json!({"repositoryNames": ["x".repeat(100)]});
    let answer = send(
        &state,
        api_call("DescribeRepositories", body, Some(ACCOUNT), Some(REGION)),
        "127.0.0.1:40000",
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    assert_eq!(answer.json()["__type"], "RequestEntityTooLargeException");
}
