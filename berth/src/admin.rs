//! Berth's own endpoints under `/_berth/`: health, reset (test isolation) and views of
//! the state. They answer plain JSON and are not part of any AWS protocol.

use axum::extract::State;
use axum::response::Response;
use berth_runtime::protocol::{self, OperationStatus};
use ecr_generated::errors::ServerException;
use ecr_generated::operations::{self, Operation};
use ecr_generated::types::Repository;
use serde::Serialize;

use crate::app::AppState;
use crate::reply;

/// Where every admin endpoint lives.
pub const PREFIX: &str = "/_berth/";
/// Paths of the admin endpoints.
pub const HEALTH: &str = "/_berth/health";
pub const RESET: &str = "/_berth/reset";
pub const OPERATIONS: &str = "/_berth/ecr/operations";
pub const REPOSITORIES: &str = "/_berth/ecr/repositories";
pub const CLOCK: &str = "/_berth/clock";
pub const LIFECYCLE_RUN: &str = "/_berth/lifecycle/run";

/// `status` of a healthy server, and of a completed reset.
const OK: &str = "ok";

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    operations: OperationCounts,
    model: ModelIdentity,
    /// What delivery to `--eventbridge-endpoint` did (all zero without one).
    events: crate::eventbridge::Counts,
}

/// Which model the server was generated from.
#[derive(Debug, Serialize)]
struct ModelIdentity {
    sha256: &'static str,
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

/// `GET /_berth/health`: alive, which version, how much of ECR it implements, and the
/// sha256 of the ECR model it was generated from.
pub async fn health(State(state): State<AppState>) -> Response {
    reply::admin_json(&Health {
        status: OK,
        version: env!("CARGO_PKG_VERSION"),
        operations: OperationCounts {
            implemented: state.ecr.implemented().count(),
            total: Operation::ALL.len(),
        },
        model: ModelIdentity {
            sha256: ecr_generated::MODEL_SHA256,
        },
        events: state.event_delivery.counts(),
    })
}

/// `POST /_berth/reset`: drops every account's and region's state (on disk too, with a
/// data directory), answering once that is done.
pub async fn reset(State(state): State<AppState>) -> Response {
    match state.ecr.reset().await {
        Ok(()) => {
            tracing::info!("state reset");
            reply::admin_json(&Reset { status: OK })
        }
        Err(error) => state_failure(&error),
    }
}

/// `GET /_berth/ecr/operations`: every operation of the model and whether Berth has it.
pub async fn operations(State(state): State<AppState>) -> Response {
    reply::admin_json(&Operations {
        operations: state.ecr.catalog(),
    })
}

/// `GET /_berth/ecr/repositories`: every repository of every account and region.
pub async fn repositories(State(state): State<AppState>) -> Response {
    match state.ecr.all_repositories().await {
        Ok(repositories) => reply::admin_json(&Repositories { repositories }),
        Err(error) => state_failure(&error),
    }
}

/// Berth's time (see `ecr_impl::Clock`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ClockView {
    /// Epoch seconds, as the API answers times.
    now: berth_runtime::Timestamp,
    offset_seconds: i64,
}

/// What `POST /_berth/clock` takes.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetClock {
    offset_seconds: i64,
}

fn clock_view(state: &AppState) -> Response {
    let clock = state.ecr.clock();
    reply::admin_json(&ClockView {
        now: clock.now(),
        offset_seconds: clock.offset_seconds(),
    })
}

/// `GET /_berth/clock`: the time Berth stamps and judges stored things by, and how far it
/// is from the system's.
pub async fn clock(State(state): State<AppState>) -> Response {
    clock_view(&state)
}

/// `POST /_berth/clock` with `{"offsetSeconds": N}`: sets Berth's time N seconds ahead of
/// the system's (behind, when negative), so tests of time-based rules need not wait.
pub async fn set_clock(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<SetClock>(&body) {
        Ok(SetClock { offset_seconds }) => {
            state.ecr.clock().set_offset_seconds(offset_seconds);
            tracing::info!(offset_seconds, "clock set");
            clock_view(&state)
        }
        Err(error) => reply::to_http(
            crate::errors::HttpError::UnreadableBody {
                reason: format!("expected {{\"offsetSeconds\": <integer>}}: {error}"),
            }
            .response(),
        ),
    }
}

/// `POST /_berth/lifecycle/run`: runs every lifecycle policy now, by Berth's clock, and
/// answers `{"evaluated": N, "expired": N, "transitioned": N}`.
pub async fn run_lifecycle(State(state): State<AppState>) -> Response {
    match state.ecr.run_lifecycle().await {
        Ok(run) => {
            tracing::info!(?run, "lifecycle policies run");
            reply::admin_json(&run)
        }
        Err(error) => state_failure(&error),
    }
}

/// The state backend failed (a disk error): an AWS-shaped 500, like the API's.
fn state_failure(error: &ServerException) -> Response {
    tracing::error!(%error, "the state backend failed");
    reply::to_http(protocol::Response::error(&operations::SERVICE, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failing_state_backend_is_an_aws_shaped_server_error() {
        let message = "Berth could not access its repository state: disk on fire";
        let response = state_failure(&ServerException::new(message));
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.headers()["content-type"],
            operations::SERVICE.content_type
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["__type"], "ServerException");
        assert_eq!(body["message"], message);
    }
}
