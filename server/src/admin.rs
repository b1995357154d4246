//! Berth's own endpoints under `/_berth/`: health, reset (test isolation) and views of
//! the state. They answer plain JSON and are not part of any AWS protocol.

use axum::extract::State;
use axum::response::Response;
use berth_runtime::protocol::OperationStatus;
use ecr_generated::operations;
use ecr_generated::types::Repository;
use ecr_impl::Ecr;
use serde::Serialize;

use crate::app::AppState;
use crate::reply;

/// Paths of the admin endpoints.
pub const HEALTH: &str = "/_berth/health";
pub const RESET: &str = "/_berth/reset";
pub const OPERATIONS: &str = "/_berth/ecr/operations";
pub const REPOSITORIES: &str = "/_berth/ecr/repositories";

/// `status` of a healthy server, and of a completed reset.
const OK: &str = "ok";

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    operations: OperationCounts,
}

#[derive(Debug, Serialize)]
struct OperationCounts {
    implemented: usize,
    total: usize,
}

#[derive(Debug, Serialize)]
struct Reset {
    status: &'static str,
}

#[derive(Debug, Serialize)]
struct Operations {
    operations: Vec<OperationStatus>,
}

#[derive(Debug, Serialize)]
struct Repositories {
    repositories: Vec<Repository>,
}

/// `GET /_berth/health`: alive, which version, how much of ECR it implements.
pub async fn health() -> Response {
    let catalog = operations::catalog::<Ecr>();
    let implemented = catalog
        .iter()
        .filter(|operation| operation.implemented)
        .count();
    reply::admin_json(&Health {
        status: OK,
        version: env!("CARGO_PKG_VERSION"),
        operations: OperationCounts {
            implemented,
            total: catalog.len(),
        },
    })
}

/// `POST /_berth/reset`: drops every account's and region's state.
pub async fn reset(State(state): State<AppState>) -> Response {
    state.ecr.reset();
    tracing::info!("state reset");
    reply::admin_json(&Reset { status: OK })
}

/// `GET /_berth/ecr/operations`: every operation of the model and whether Berth has it.
pub async fn operations() -> Response {
    reply::admin_json(&Operations {
        operations: operations::catalog::<Ecr>(),
    })
}

/// `GET /_berth/ecr/repositories`: every repository of every account and region.
pub async fn repositories(State(state): State<AppState>) -> Response {
    reply::admin_json(&Repositories {
        repositories: state.ecr.all_repositories(),
    })
}
