//! The OCI distribution registry (`/v2/…`, OCI Distribution Specification v1.1 as ECR
//! answers it, `ecr-behaviour-images.md` §14), on the same port and the same state as the
//! JSON API: a manifest PUT is PutImage (`images::put`), a manifest GET is BatchGetImage
//! (`images::get`), blob uploads are the layer upload functions (`layers::`). This module
//! only reads requests, calls ecr-impl and sets headers; every rule lives in ecr-impl.
//!
//! - [`path`]: which route a raw path is (split from the right; traversal refused);
//! - [`auth`]: which registry a request is for (ECR's Basic login or anonymous);
//! - [`error`]: the OCI error body, code → status, ECR error → code;
//! - [`blobs`], [`uploads`], [`manifests`], [`tags`], [`referrers`]: the routes;
//! - [`body`]: streaming bodies in, reading manifests within their limit, byte ranges.
//!
//! Every answer carries `Docker-Distribution-API-Version: registry/2.0`. An error answered
//! to a request with a body (a 401 before the client sent credentials, a refused chunk)
//! closes the connection: the unread rest of the body never reaches the next request.

mod auth;
mod blobs;
mod body;
mod create_on_push;
mod error;
mod manifests;
mod path;
mod pull_through;
mod referrers;
mod tags;
mod uploads;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use ecr_generated::types::RepositoryName;

pub use auth::RegistryCaller;
use error::{Code, OciError};
use path::{PathError, Route};

use crate::app::AppState;

/// The routes of the registry, for `app.rs`.
pub const ROUTES: [&str; 3] = ["/v2", "/v2/", "/v2/{*rest}"];

/// The header every registry answer carries, and its value.
const API_VERSION_HEADER: HeaderName = HeaderName::from_static("docker-distribution-api-version");
const API_VERSION: &str = "registry/2.0";

/// Headers of registry answers.
pub(crate) const DOCKER_CONTENT_DIGEST: HeaderName =
    HeaderName::from_static("docker-content-digest");
pub(crate) const DOCKER_UPLOAD_UUID: HeaderName = HeaderName::from_static("docker-upload-uuid");
pub(crate) const OCI_SUBJECT: HeaderName = HeaderName::from_static("oci-subject");
pub(crate) const OCI_CHUNK_MIN_LENGTH: HeaderName = HeaderName::from_static("oci-chunk-min-length");
pub(crate) const OCI_FILTERS_APPLIED: HeaderName = HeaderName::from_static("oci-filters-applied");

/// Every registry request: authorize, route, answer; then the headers every answer has.
pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let with_body = body::has_body(request.headers());
    let mut response = match dispatch(state, request).await {
        Ok(response) => response,
        Err(error) => error.response(),
    };
    let drained = response.extensions().get::<Drained>().is_some();
    let headers = response.headers_mut();
    headers.insert(API_VERSION_HEADER, HeaderValue::from_static(API_VERSION));
    if with_body && !drained && !response.status().is_success() {
        // The body may be unread: closing keeps its rest from being read as a request.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Marks an answer whose request body was read to its end (the connection may stay open).
#[derive(Debug, Clone, Copy)]
struct Drained;

/// An answer given before the request's body was needed (no credentials, no route): the
/// body is drained first when it is small, so a client that sent it before reading (as
/// docker does before it has credentials) reads this answer and retries on the same
/// connection; a larger one closes the connection (`handle`).
async fn early(
    error: OciError,
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
) -> Response {
    let mut response = error.response();
    if body::drain(headers, body).await {
        response.extensions_mut().insert(Drained);
    }
    response
}

async fn dispatch(state: AppState, request: Request) -> Result<Response, OciError> {
    let (mut parts, body) = request.into_parts();
    let scope = match RegistryCaller::from_request_parts(&mut parts, &state).await {
        Ok(RegistryCaller(scope)) => scope,
        Err(error) => return Ok(early(error, &parts.headers, body).await),
    };
    let route = match path::parse(parts.uri.path()) {
        Ok(route) => route,
        Err(refused) => {
            let error = match refused {
                PathError::Refused => OciError::new(Code::NameInvalid, error::PATH_REFUSED),
                PathError::Unknown => OciError::new(Code::Unsupported, error::ROUTE_UNKNOWN),
            };
            return Ok(early(error, &parts.headers, body).await);
        }
    };
    let query = Query::parse(parts.uri.query().unwrap_or_default());
    let method = parts.method.clone();
    let ctx = Ctx {
        state: &state,
        scope: &scope,
    };
    match route {
        Route::Base => match method {
            Method::GET | Method::HEAD => Ok(json_ok(b"{}".to_vec(), "application/json")),
            _ => Err(unsupported()),
        },
        Route::Blob { name, digest } => {
            let name = repository(&name)?;
            match method {
                Method::GET => blobs::get(ctx, name, &digest, &parts.headers, true).await,
                Method::HEAD => blobs::get(ctx, name, &digest, &parts.headers, false).await,
                // (real) ECR does not delete blobs through the registry.
                _ => Err(unsupported()),
            }
        }
        Route::Uploads { name, id } => {
            let name = repository(&name)?;
            match (method, id) {
                (Method::POST, None) => {
                    uploads::start(ctx, name, &query, &parts.headers, body).await
                }
                (Method::PATCH, Some(id)) => {
                    uploads::patch(ctx, name, &id, &parts.headers, body).await
                }
                (Method::PUT, Some(id)) => {
                    uploads::finish(ctx, name, &id, &query, &parts.headers, body).await
                }
                (Method::GET, Some(id)) => uploads::status(ctx, name, &id).await,
                (Method::DELETE, Some(id)) => uploads::cancel(ctx, name, &id).await,
                _ => Err(unsupported()),
            }
        }
        Route::Manifest { name, reference } => {
            let name = repository(&name)?;
            match method {
                Method::GET => manifests::get(ctx, name, &reference, true).await,
                Method::HEAD => manifests::get(ctx, name, &reference, false).await,
                Method::PUT => manifests::put(ctx, name, &reference, &parts.headers, body).await,
                Method::DELETE => manifests::delete(ctx, name, &reference).await,
                _ => Err(unsupported()),
            }
        }
        Route::TagsList { name } => {
            let name = repository(&name)?;
            match method {
                Method::GET | Method::HEAD => tags::list(ctx, name, &query).await,
                _ => Err(unsupported()),
            }
        }
        Route::Referrers { name, digest } => {
            let name = repository(&name)?;
            match method {
                Method::GET | Method::HEAD => referrers::list(ctx, name, &digest, &query).await,
                _ => Err(unsupported()),
            }
        }
    }
}

/// What every route works with: the server's state and the caller's registry.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub state: &'a AppState,
    pub scope: &'a ecr_impl::store::Scope,
}

/// A repository name from a path, validated as the model's `repositoryName` (the
/// generated check and its text); NAME_INVALID otherwise.
fn repository(name: &str) -> Result<RepositoryName, OciError> {
    RepositoryName::try_from(name).map_err(|invalid| {
        let reason = invalid.reasons().first().copied().unwrap_or_default();
        OciError::new(
            Code::NameInvalid,
            ecr_generated::wire::violation_message("repositoryName", reason),
        )
    })
}

fn unsupported() -> OciError {
    OciError::new(Code::Unsupported, error::METHOD_UNSUPPORTED)
}

/// A 200 with `body` of `content_type`.
fn json_ok(body: Vec<u8>, content_type: &'static str) -> Response {
    let length = body.len();
    let mut response = Response::new(axum::body::Body::from(body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// An empty answer with `status`.
fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(0));
    response
}

/// Sets a header from text (registry header values are ASCII we build: digests, paths
/// of validated names, numbers).
fn set(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// A request's query parameters, percent-decoded (the last of a repeated name wins).
#[derive(Debug, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(query: &str) -> Query {
        Query(
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (percent_decode(name), percent_decode(value))
                })
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// `%XX` escapes decoded; a malformed escape is kept as it is; bytes that are not UTF-8
/// are replaced (no value the registry takes has any).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|digit| digit as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_percent_decoded() {
        let query = Query::parse("digest=sha256%3Aab&n=2&last=&x=%zz&digest=sha256%3acd");
        assert_eq!(query.get("digest"), Some("sha256:cd"));
        assert_eq!(query.get("n"), Some("2"));
        assert_eq!(query.get("last"), Some(""));
        assert_eq!(query.get("x"), Some("%zz"));
        assert_eq!(query.get("y"), None);
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%41%42"), "AB");
    }
}
