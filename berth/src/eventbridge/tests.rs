use std::net::TcpListener;

use berth_runtime::Timestamp;
use ecr_impl::events::{self, ImageActionType, ImageRef, Outcome};
use ecr_impl::store::Scope;
use ecr_impl::store::blobs::Sha256Digest;

use super::*;
use crate::sigv4::{Credential, Credentials};

fn push_event(region: &str) -> Event {
    let scope = Scope {
        account_id: "123456789012".parse().unwrap(),
        region: region.parse().unwrap(),
    };
    let digest = Sha256Digest::of(b"m");
    events::image_action(
        ImageActionType::Push,
        Outcome::Success,
        ImageRef {
            scope: &scope,
            repository: "app",
            digest: &digest,
            tag: Some("v1"),
        },
        None,
        None,
        Timestamp::from_epoch_millis(1_573_869_274_000),
    )
}

fn target(endpoint: &str) -> Target {
    Target {
        endpoint: endpoint.parse().unwrap(),
        bus: "ecr-bus".to_owned(),
        access_key_id: "AKIDEVENTS".to_owned(),
        secret_access_key: "events-secret".to_owned(),
    }
}

#[test]
fn an_event_is_one_put_events_entry_with_its_detail_as_text() {
    let event = push_event("us-west-2");
    let body: serde_json::Value =
        serde_json::from_slice(&put_events_body(&event, "ecr-bus")).unwrap();
    assert_eq!(
        body,
        json!({"Entries": [{
            "Source": "aws.ecr",
            "DetailType": "ECR Image Action",
            "Detail": event.detail().to_string(),
            "Resources": [],
            "Time": 1_573_869_274,
            "EventBusName": "ecr-bus",
        }]})
    );
}

#[test]
fn the_request_is_signed_for_eventbridge_in_the_events_region() {
    let event = push_event("eu-west-1");
    let body = put_events_body(&event, "ecr-bus");
    let now = SystemTime::now();
    let amz_date = sigv4::testing::amz_date(now);
    let request =
        signed_request(&target("http://127.0.0.1:4010"), &event, &body, &amz_date).unwrap();
    let headers = request.headers();
    assert_eq!(headers["x-amz-target"], "AWSEvents.PutEvents");
    assert_eq!(headers["content-type"], "application/x-amz-json-1.1");
    assert_eq!(headers["host"], "127.0.0.1:4010");
    let credentials = Credentials::new(vec![Credential::new(
        "AKIDEVENTS",
        "events-secret",
        "123456789012".parse().unwrap(),
    )]);
    let signed = sigv4::SignedRequest {
        method: "POST",
        path: "/",
        query: None,
        headers,
        body: &body,
    };
    let scope = sigv4::verify_for_service(&credentials, &signed, now, "events").unwrap();
    assert_eq!(scope.region.to_string(), "eu-west-1");
    // Signed for EventBridge, not for ECR.
    assert!(sigv4::verify(&credentials, &signed, now).is_err());
}

#[test]
fn only_plain_http_endpoints_are_accepted() {
    assert!(Target::new("http://127.0.0.1:4566", "default").is_ok());
    for bad in [
        "https://events.us-east-1.amazonaws.com",
        "127.0.0.1:4566",
        "http://",
    ] {
        let error = Target::new(bad, "default").unwrap_err();
        assert!(error.contains("--eventbridge-endpoint"), "{error}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_full_queue_drops_and_counts_and_the_emitter_never_waits() {
    // A port nothing listens on: every send fails.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ecr = Ecr::in_memory();
    let counters = Arc::new(Counters::default());
    start(
        &ecr,
        target(&format!("http://127.0.0.1:{port}")),
        counters.clone(),
    );
    // The delivery task cannot run before this test yields: the queue fills, the rest drop.
    for _ in 0..QUEUE + 7 {
        ecr.events().emit(push_event("us-east-1"));
    }
    assert_eq!(
        counters.counts(),
        Counts {
            delivered: 0,
            dropped: 7,
            failed: 0
        }
    );
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_failed_send_is_retried_with_backoff_then_counted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let ecr = Ecr::in_memory();
    let counters = Arc::new(Counters::default());
    start(
        &ecr,
        target(&format!("http://127.0.0.1:{port}")),
        counters.clone(),
    );
    ecr.events().emit(push_event("us-east-1"));
    // Paused time advances as the task sleeps: the backoffs pass without waiting.
    for _ in 0..200 {
        if counters.counts().failed == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        counters.counts(),
        Counts {
            delivered: 0,
            dropped: 0,
            failed: 1
        }
    );
}
