//! `GET /_berth/events`: the recent events ECR emitted (newest last) as JSON, or, asked
//! with `Accept: text/event-stream`, those and then every new one as server-sent events
//! (`data: <event JSON>`), with a comment line now and then so proxies keep the stream.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use ecr_impl::events::Event;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch};

use crate::app::AppState;
use crate::reply;

pub const PATH: &str = "/_berth/events";
/// [choice] How often an idle stream gets a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
const EVENT_STREAM: &str = "text/event-stream";
/// Frames written ahead of a slow reader.
const STREAM_BUFFER: usize = 64;

#[derive(Serialize)]
struct Recent<'a> {
    events: Vec<&'a Event>,
}

pub async fn events(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let streamed = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains(EVENT_STREAM));
    if !streamed {
        let recent = state.ecr.events().recent();
        return reply::admin_json(&Recent {
            events: recent.iter().map(Arc::as_ref).collect(),
        });
    }
    let (recent, live) = state.ecr.events().subscribe();
    let closing = state.ecr.events().closing();
    let (frames, written) = mpsc::channel(STREAM_BUFFER);
    tokio::spawn(write_stream(recent, live, closing, frames));
    let mut response = Response::new(Body::from_stream(Frames(written)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(EVENT_STREAM));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Writes `recent`, then what `live` receives, as frames, until the reader goes or the
/// server stops (`closing`).
async fn write_stream(
    recent: Vec<Arc<Event>>,
    mut live: broadcast::Receiver<Arc<Event>>,
    mut closing: watch::Receiver<bool>,
    frames: mpsc::Sender<Bytes>,
) {
    // A first comment, so a reader sees the stream open before any event.
    if frames.send(comment("stream open")).await.is_err() {
        return;
    }
    for event in recent {
        if frames.send(frame(&event)).await.is_err() {
            return;
        }
    }
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    keep_alive.tick().await;
    loop {
        let next = tokio::select! {
            received = live.recv() => match received {
                Ok(event) => frame(&event),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    comment(&format!("{missed} events missed"))
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = keep_alive.tick() => comment("keep-alive"),
            () = frames.closed() => return,
            _ = closing.wait_for(|closed| *closed) => return,
        };
        if frames.send(next).await.is_err() {
            return;
        }
    }
}

fn frame(event: &Event) -> Bytes {
    Bytes::from(format!("data: {}\n\n", event.to_json()))
}

fn comment(text: &str) -> Bytes {
    Bytes::from(format!(": {text}\n\n"))
}

/// The frames as a body stream.
struct Frames(mpsc::Receiver<Bytes>);

impl futures_core::Stream for Frames {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|frame| frame.map(Ok))
    }
}
