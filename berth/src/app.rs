//! The router: which path and method go where, with the request-id middleware around
//! everything and AWS-shaped answers for whatever matches nothing.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware;
use axum::response::Response;
use axum::routing::{MethodRouter, any, get, post};
use ecr_impl::Ecr;

use crate::config::{AccountId, Region, RegistryAuth};
use crate::errors::HttpError;
use crate::sigv4::Credentials;
use crate::{access, admin, api, console, events, head, layer_download, oci, reply};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub ecr: Arc<Ecr>,
    /// Account of callers whose access key id is not an account id.
    pub account_id: AccountId,
    /// Region of callers without a credential scope.
    pub region: Region,
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    pub request_body_timeout: Duration,
    /// The keys requests must be signed with; `None` when signatures are not verified.
    pub verifier: Option<Arc<Credentials>>,
    /// Who may use the OCI registry.
    pub registry_auth: RegistryAuth,
    /// Whether the console may delete (`--console-writes`).
    pub console_writes: bool,
    /// Where pull through cache rules' upstreams are reached (`--upstream`).
    pub upstreams: Arc<crate::upstream::Upstreams>,
    /// What event delivery (`--eventbridge-endpoint`) did.
    pub event_delivery: Arc<crate::eventbridge::Counters>,
}

/// The path AWS clients post API requests to.
pub const API_PATH: &str = "/";

/// Every route of Berth.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(API_PATH, only(post(api::handle), "POST"))
        .route(admin::HEALTH, only(get(admin::health), "GET"))
        .route(admin::RESET, only(post(admin::reset), "POST"))
        .route(admin::OPERATIONS, only(get(admin::operations), "GET"))
        .route(admin::REPOSITORIES, only(get(admin::repositories), "GET"))
        .route(events::PATH, only(get(events::events), "GET"))
        .route(
            admin::CLOCK,
            only(get(admin::clock).post(admin::set_clock), "GET, POST"),
        )
        // ---- The console (`/_berth/ui/`) ----
        .route(console::ROOT, only(get(console::root), "GET"))
        .route(console::INDEX, only(get(console::index), "GET"))
        .route(console::SCRIPT, only(get(console::script), "GET"))
        .route(console::STYLE, only(get(console::style), "GET"))
        .route(console::API, only(post(console::api), "POST"))
        .route(console::OVERVIEW, only(get(console::overview), "GET"))
        .route(console::MANIFEST, only(get(console::manifest), "GET"))
        .route(console::BLOB, only(get(console::blob), "GET"))
        .route(
            console::LIFECYCLE_PREVIEW,
            only(get(console::lifecycle_preview), "GET"),
        )
        // ----
        .route(
            admin::LIFECYCLE_RUN,
            only(post(admin::run_lifecycle), "POST"),
        )
        .route(
            &layer_download::route(),
            only(get(layer_download::get), "GET"),
        )
        // ---- The OCI registry (`/v2/…`): its own routing, fallbacks and errors ----
        .route(oci::ROUTES[0], any(oci::handle))
        .route(oci::ROUTES[1], any(oci::handle))
        .route(oci::ROUTES[2], any(oci::handle))
        // ----
        .fallback(unknown_path)
        // Outermost last: every answer gets a request id, oversized heads are refused
        // before anything else, then admin access is checked.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            access::guard_admin,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            head::limit_size,
        ))
        .layer(middleware::from_fn(reply::request_id))
        .with_state(state)
}

/// `route` answering any other method with an AWS-shaped 405 naming the `allowed` one.
fn only(route: MethodRouter<AppState>, allowed: &'static str) -> MethodRouter<AppState> {
    route.fallback(move |method: Method, request: Request| async move {
        let path = request.uri().path().to_owned();
        reply::to_http(
            HttpError::MethodNotAllowed {
                method: method.to_string(),
                path,
                allowed,
            }
            .response(),
        )
    })
}

async fn unknown_path(method: Method, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    reply::to_http(
        HttpError::UnknownPath {
            method: method.to_string(),
            path,
        }
        .response(),
    )
}
