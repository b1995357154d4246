//! The registry console: a web page at `/_berth/ui/` (HTML, CSS and JavaScript embedded in
//! the binary; no build step, no network) and the few endpoints under `/_berth/ui/api` it
//! calls. It is an admin endpoint like the rest of `/_berth/`: with `--verify-sigv4` only
//! loopback peers (and signed requests) reach it (`access::guard_admin`).
//!
//! The page names the account and region it looks at explicitly (`X-Berth-Account`,
//! `X-Berth-Region`) instead of in a SigV4 credential, so it works the same whether Berth
//! verifies signatures or not. It calls the ECR API itself, paginated, through
//! [`API`], which passes on only the operations a viewer needs (and the two deletes with
//! `--console-writes`). Viewing changes nothing: manifests and blobs are read through
//! [`MANIFEST`] and [`BLOB`] (BatchGetImage would record a pull), and the lifecycle preview
//! through [`LIFECYCLE_PREVIEW`] (StartLifecyclePolicyPreview would replace the stored one).

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use berth_runtime::RequestContext;
use berth_runtime::error::CommonError;
use berth_runtime::protocol::{self, Request};
use ecr_generated::errors::{
    InvalidParameterException, LayersNotFoundException, RepositoryNotFoundException,
    ServerException,
};
use ecr_generated::operations::SERVICE;
use ecr_generated::types::{Region, RegistryId, RepositoryName};
use ecr_impl::layers::{self, LayerError};
use ecr_impl::store::Scope;
use ecr_impl::store::blobs::Sha256Digest;
use serde::Serialize;

use crate::app::AppState;
use crate::reply::{self, RequestId};

#[cfg(test)]
mod tests;

/// The page.
pub const INDEX: &str = "/_berth/ui/";
/// The page without its slash redirects to it (relative asset paths need the slash).
pub const ROOT: &str = "/_berth/ui";
pub const SCRIPT: &str = "/_berth/ui/app.js";
pub const STYLE: &str = "/_berth/ui/style.css";
/// `POST`: one ECR API call (awsJson1.1 body, `X-Amz-Target`) for the account and region
/// the `X-Berth-Account` and `X-Berth-Region` headers name.
pub const API: &str = "/_berth/ui/api";
/// `GET`: the registries (account and region) that hold repositories, and the settings
/// the page needs.
pub const OVERVIEW: &str = "/_berth/ui/api/overview";
/// `GET ?account=&region=&repository=&digest=`: an image's manifest, as stored, with its
/// media type; no pull is recorded.
pub const MANIFEST: &str = "/_berth/ui/api/manifest";
/// `GET ?account=&region=&repository=&digest=`: a blob (layer or config) the repository
/// holds.
pub const BLOB: &str = "/_berth/ui/api/blob";
/// `GET ?account=&region=&repository=`: what the repository's lifecycle policy would act on
/// now, computed and not stored.
pub const LIFECYCLE_PREVIEW: &str = "/_berth/ui/api/lifecycle-preview";

/// The headers naming the registry an [`API`] call acts on.
pub const ACCOUNT_HEADER: &str = "x-berth-account";
pub const REGION_HEADER: &str = "x-berth-region";

const INDEX_HTML: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const STYLE_CSS: &str = include_str!("style.css");

/// [choice] The operations the console calls: what a viewer reads. Nothing that records a
/// pull (BatchGetImage), issues credentials (GetAuthorizationToken) or changes state.
pub const READ_OPERATIONS: &[&str] = &[
    "DescribeRegistry",
    "DescribeRepositories",
    "DescribeImages",
    "ListImages",
    "ListImageReferrers",
    "ListTagsForResource",
    "GetRepositoryPolicy",
    "GetLifecyclePolicy",
    "GetLifecyclePolicyPreview",
];

/// [choice] The operations the console may call with `--console-writes` (each behind a
/// confirmation in the page): deletes ECR's own console offers.
pub const WRITE_OPERATIONS: &[&str] = &["BatchDeleteImage", "DeleteRepository"];

/// Why an operation was refused (AccessDeniedException).
pub fn operation_not_offered(operation: &str) -> String {
    format!("The Berth console does not call {operation}.")
}

/// Why a delete was refused without `--console-writes` (AccessDeniedException).
pub fn writes_disabled(operation: &str) -> String {
    format!(
        "The Berth console is read-only: start Berth with --console-writes (BERTH_CONSOLE_WRITES=true) to allow {operation}."
    )
}

/// A missing or malformed registry header or query parameter (InvalidParameterException).
pub fn bad_parameter(name: &str, value: Option<&str>) -> String {
    match value {
        None => format!("The console request needs {name}."),
        Some(value) => format!("The value '{value}' of {name} is not valid."),
    }
}

/// What names the registry: headers on [`API`], query parameters on the reads.
#[derive(Debug, Clone, Copy)]
struct RegistryNames {
    account: &'static str,
    region: &'static str,
}

const HEADER_NAMES: RegistryNames = RegistryNames {
    account: "the X-Berth-Account header",
    region: "the X-Berth-Region header",
};

const QUERY_NAMES: RegistryNames = RegistryNames {
    account: "the account parameter",
    region: "the region parameter",
};

/// `GET /_berth/ui/`, `/app.js`, `/style.css`: the embedded files.
pub async fn index() -> Response {
    asset(INDEX_HTML, "text/html; charset=utf-8")
}

pub async fn script() -> Response {
    asset(APP_JS, "text/javascript; charset=utf-8")
}

pub async fn style() -> Response {
    asset(STYLE_CSS, "text/css; charset=utf-8")
}

/// `GET /_berth/ui`: to the page.
pub async fn root() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    response
        .headers_mut()
        .insert("location", HeaderValue::from_static(INDEX));
    response
}

fn asset(text: &'static str, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The files change with the binary; a browser must not keep an old page.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `POST /_berth/ui/api`: one allowed ECR call for the named registry.
pub async fn api(
    State(state): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // The API's body limits and timeout, and its answers past them.
    let body = match crate::api::read_body(&state, &headers, body).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let target = header(&headers, crate::api::TARGET_HEADER).unwrap_or_default();
    let operation = target.rsplit_once('.').map_or("", |(_, name)| name);
    if let Err(message) = allowed(operation, state.console_writes) {
        return error(&CommonError::access_denied(message));
    }
    let scope = match registry(
        header(&headers, ACCOUNT_HEADER).as_deref(),
        header(&headers, REGION_HEADER).as_deref(),
        HEADER_NAMES,
    ) {
        Ok(scope) => scope,
        Err(invalid) => return error(&invalid),
    };
    let mut ctx = RequestContext {
        account_id: scope.account_id.into_inner(),
        region: scope.region.into_inner(),
        request_id,
        operation: "",
        endpoint: crate::api::endpoint(&headers),
    };
    let request = Request {
        target: Some(&target),
        content_type: Some(SERVICE.content_type),
        body: &body,
    };
    reply::to_http(state.ecr.handle(&mut ctx, request).await)
}

/// Whether the console passes `operation` on.
fn allowed(operation: &str, writes: bool) -> Result<(), String> {
    if READ_OPERATIONS.contains(&operation) {
        Ok(())
    } else if WRITE_OPERATIONS.contains(&operation) {
        if writes {
            Ok(())
        } else {
            Err(writes_disabled(operation))
        }
    } else {
        Err(operation_not_offered(operation))
    }
}

/// The registry the page names.
fn registry(
    account: Option<&str>,
    region: Option<&str>,
    names: RegistryNames,
) -> Result<Scope, InvalidParameterException> {
    let invalid = |name: &str, value: Option<&str>| {
        InvalidParameterException::new(bad_parameter(name, value))
    };
    let account_id = account
        .ok_or_else(|| invalid(names.account, None))
        .and_then(|text| {
            RegistryId::try_from(text).map_err(|_| invalid(names.account, Some(text)))
        })?;
    let region = region
        .ok_or_else(|| invalid(names.region, None))
        .and_then(|text| Region::try_from(text).map_err(|_| invalid(names.region, Some(text))))?;
    Ok(Scope { account_id, region })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Overview {
    registries: Vec<RegistrySummary>,
    default_account_id: String,
    default_region: String,
    console_writes: bool,
}

#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
struct RegistrySummary {
    account_id: String,
    region: String,
    repository_count: usize,
}

/// `GET /_berth/ui/api/overview`: every registry holding a repository (and the default
/// one, even empty), with its repository count; whether deletes are allowed.
pub async fn overview(State(state): State<AppState>) -> Response {
    let repositories = match state.ecr.all_repositories().await {
        Ok(repositories) => repositories,
        Err(failure) => return error(&failure),
    };
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    counts.insert((state.account_id.to_string(), state.region.to_string()), 0);
    for repository in &repositories {
        // arn:aws:ecr:<region>:<account>:repository/<name>
        let arn = repository.repository_arn.as_deref().unwrap_or_default();
        let mut parts = arn.split(':').skip(3);
        if let (Some(region), Some(account)) = (parts.next(), parts.next()) {
            *counts
                .entry((account.to_owned(), region.to_owned()))
                .or_default() += 1;
        }
    }
    reply::admin_json(&Overview {
        registries: counts
            .into_iter()
            .map(|((account_id, region), repository_count)| RegistrySummary {
                account_id,
                region,
                repository_count,
            })
            .collect(),
        default_account_id: state.account_id.to_string(),
        default_region: state.region.to_string(),
        console_writes: state.console_writes,
    })
}

/// The query of the image, blob and preview reads.
#[derive(Debug)]
struct ImageQuery {
    account: Option<String>,
    region: Option<String>,
    repository: Option<String>,
    digest: Option<String>,
}

impl ImageQuery {
    fn of(uri: &Uri) -> ImageQuery {
        let query = crate::oci::Query::parse(uri.query().unwrap_or_default());
        let get = |name: &str| query.get(name).map(str::to_owned);
        ImageQuery {
            account: get("account"),
            region: get("region"),
            repository: get("repository"),
            digest: get("digest"),
        }
    }

    fn image(&self) -> Result<(Scope, RepositoryName, Sha256Digest), InvalidParameterException> {
        let (scope, name) = self.repository()?;
        Ok((scope, name, self.digest()?))
    }

    fn repository(&self) -> Result<(Scope, RepositoryName), InvalidParameterException> {
        let scope = registry(self.account.as_deref(), self.region.as_deref(), QUERY_NAMES)?;
        let text = self.repository.as_deref();
        let name = text
            .ok_or_else(|| {
                InvalidParameterException::new(bad_parameter("the repository parameter", None))
            })
            .and_then(|text| {
                RepositoryName::try_from(text).map_err(|_| {
                    InvalidParameterException::new(bad_parameter(
                        "the repository parameter",
                        Some(text),
                    ))
                })
            })?;
        Ok((scope, name))
    }

    fn digest(&self) -> Result<Sha256Digest, InvalidParameterException> {
        let text = self.digest.as_deref().ok_or_else(|| {
            InvalidParameterException::new(bad_parameter("the digest parameter", None))
        })?;
        text.parse().map_err(|_| {
            InvalidParameterException::new(bad_parameter("the digest parameter", Some(text)))
        })
    }
}

/// `GET /_berth/ui/api/manifest`: the stored manifest bytes, with their media type.
pub async fn manifest(State(state): State<AppState>, uri: Uri) -> Response {
    let (scope, name, digest) = match ImageQuery::of(&uri).image() {
        Ok(parts) => parts,
        Err(invalid) => return error(&invalid),
    };
    let meta = state.ecr.layer_stores().meta;
    match ecr_impl::console::manifest(meta, &scope, &name, digest).await {
        Ok(stored) => bytes_response(stored.bytes, &stored.media_type),
        Err(failure) => error(failure.as_response()),
    }
}

/// `GET /_berth/ui/api/blob`: the blob's bytes, streamed; GetDownloadUrlForLayer's errors
/// and texts when the repository or the blob is missing.
pub async fn blob(State(state): State<AppState>, uri: Uri) -> Response {
    let (scope, name, digest) = match ImageQuery::of(&uri).image() {
        Ok(parts) => parts,
        Err(invalid) => return error(&invalid),
    };
    let stores = state.ecr.layer_stores();
    let opened = match layers::linked_blob(stores, &scope, &name, digest).await {
        Ok(linked) => layers::open_blob(stores, &linked, 0..linked.size).await,
        Err(failure) => Err(failure),
    };
    match opened {
        Ok(stream) => {
            let mut response = Response::new(Body::from_stream(stream));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            response
        }
        Err(failure) => {
            let message = failure.ecr_message(&scope, name.as_str(), "", &digest.to_string());
            match failure {
                LayerError::RepositoryNotFound => error(&RepositoryNotFoundException::new(message)),
                LayerError::LayerNotFound => error(&LayersNotFoundException::new(message)),
                _ => error(&ServerException::new(message)),
            }
        }
    }
}

/// `GET /_berth/ui/api/lifecycle-preview`: `{"results": [...]}`.
pub async fn lifecycle_preview(State(state): State<AppState>, uri: Uri) -> Response {
    let (scope, name) = match ImageQuery::of(&uri).repository() {
        Ok(parts) => parts,
        Err(invalid) => return error(&invalid),
    };
    let meta = state.ecr.layer_stores().meta;
    let now = state.ecr.clock().now();
    match ecr_impl::console::lifecycle_preview(meta, &scope, &name, now).await {
        Ok(results) => reply::admin_json(&serde_json::json!({ "results": results })),
        Err(failure) => error(failure.as_response()),
    }
}

fn bytes_response(bytes: Bytes, content_type: &str) -> Response {
    let mut response = Response::new(Body::from(bytes));
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

fn error(error: &dyn berth_runtime::error::ErrorResponse) -> Response {
    reply::to_http(protocol::Response::error(&SERVICE, error))
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}
