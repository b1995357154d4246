use serde_json::json;

use super::*;

fn scope() -> Scope {
    Scope {
        account_id: "123456789012".parse().unwrap(),
        region: "us-west-2".parse().unwrap(),
    }
}

fn digest() -> Sha256Digest {
    Sha256Digest::of(b"manifest")
}

/// 2019-11-16T01:54:34Z, AWS's sample push time.
fn sample_time() -> Timestamp {
    Timestamp::from_epoch_millis(1_573_869_274_123)
}

/// The document as JSON, with its random id checked and replaced by a fixed one.
fn document(event: &Event) -> Value {
    let mut value = serde_json::to_value(event).unwrap();
    let id = value["id"].as_str().unwrap();
    assert!(uuid::Uuid::try_parse(id).is_ok(), "{id}");
    value["id"] = json!("ID");
    value
}

fn envelope(detail_type: &str, resources: Value, detail: Value) -> Value {
    json!({
        "version": "0",
        "id": "ID",
        "detail-type": detail_type,
        "source": "aws.ecr",
        "account": "123456789012",
        "time": "2019-11-16T01:54:34Z",
        "region": "us-west-2",
        "resources": resources,
        "detail": detail,
    })
}

#[test]
fn a_push_is_an_image_action_with_its_tag_and_media_types() {
    let scope = scope();
    let digest = digest();
    let image = ImageRef {
        scope: &scope,
        repository: "my-repository-name",
        digest: &digest,
        tag: Some("latest"),
    };
    let event = image_action(
        ImageActionType::Push,
        Outcome::Success,
        image,
        Some("application/vnd.oci.image.manifest.v1+json"),
        Some("application/vnd.oci.image.config.v1+json"),
        sample_time(),
    );
    assert_eq!(
        document(&event),
        envelope(
            "ECR Image Action",
            json!([]),
            json!({
                "result": "SUCCESS",
                "repository-name": "my-repository-name",
                "image-digest": digest.to_string(),
                "action-type": "PUSH",
                "image-tag": "latest",
                "manifest-media-type": "application/vnd.oci.image.manifest.v1+json",
                "artifact-media-type": "application/vnd.oci.image.config.v1+json",
            })
        )
    );
}

#[test]
fn a_delete_by_digest_names_no_tag_and_a_refused_push_is_a_failure() {
    let scope = scope();
    let digest = digest();
    let image = ImageRef {
        scope: &scope,
        repository: "repo",
        digest: &digest,
        tag: None,
    };
    let deleted = image_action(
        ImageActionType::Delete,
        Outcome::Success,
        image,
        None,
        None,
        sample_time(),
    );
    assert_eq!(
        document(&deleted)["detail"],
        json!({"result": "SUCCESS", "repository-name": "repo",
               "image-digest": digest.to_string(), "action-type": "DELETE"})
    );
    let refused = image_action(
        ImageActionType::Push,
        Outcome::Failure,
        ImageRef {
            tag: Some("v1"),
            ..image
        },
        None,
        None,
        sample_time(),
    );
    assert_eq!(document(&refused)["detail"]["result"], "FAILURE");
    assert_eq!(document(&refused)["detail"]["image-tag"], "v1");
}

#[test]
fn a_scan_names_the_repository_arn_and_the_images_tags() {
    let scope = scope();
    let digest = digest();
    let image = ImageRef {
        scope: &scope,
        repository: "my-repository-name",
        digest: &digest,
        tag: None,
    };
    let event = image_scan(
        image,
        "FAILED",
        &["a".to_owned(), "b".to_owned()],
        sample_time(),
    );
    assert_eq!(
        document(&event),
        envelope(
            "ECR Image Scan",
            json!(["arn:aws:ecr:us-west-2:123456789012:repository/my-repository-name"]),
            json!({
                "scan-status": "FAILED",
                "repository-name": "my-repository-name",
                "finding-severity-counts": {},
                "image-digest": digest.to_string(),
                "image-tags": ["a", "b"],
            })
        )
    );
}

#[test]
fn a_replication_names_its_source_and_is_sent_in_the_destination() {
    let destination = scope();
    let source = Scope {
        account_id: "111111111111".parse().unwrap(),
        region: "us-east-1".parse().unwrap(),
    };
    let digest = digest();
    let image = ImageRef {
        scope: &destination,
        repository: "docker-hub/alpine",
        digest: &digest,
        tag: Some("3.17.2"),
    };
    let event = replication_action(image, &source, Outcome::Success, sample_time());
    assert_eq!(
        document(&event),
        envelope(
            "ECR Replication Action",
            json!(["arn:aws:ecr:us-west-2:123456789012:repository/docker-hub/alpine"]),
            json!({
                "result": "SUCCESS",
                "repository-name": "docker-hub/alpine",
                "image-digest": digest.to_string(),
                "source-account": "111111111111",
                "action-type": "REPLICATE",
                "source-region": "us-east-1",
                "image-tag": "3.17.2",
            })
        )
    );
    let failed = replication_action(image, &source, Outcome::Failure, sample_time());
    assert_eq!(document(&failed)["detail"]["result"], "FAILURE");
}

#[test]
fn a_pull_through_names_its_rule_and_a_failed_one_its_reason() {
    let scope = scope();
    let digest = digest();
    let rule = PullThrough {
        ecr_repository_prefix: "docker-hub",
        upstream_registry_url: "registry-1.docker.io",
        failure: None,
    };
    let event = pull_through_cache_action(
        &scope,
        "docker-hub/alpine",
        Some("3.17.2"),
        Some(&digest),
        rule,
        sample_time(),
    );
    assert_eq!(
        document(&event),
        envelope(
            "ECR Pull Through Cache Action",
            json!(["arn:aws:ecr:us-west-2:123456789012:repository/docker-hub/alpine"]),
            json!({
                "rule-version": "1",
                "sync-status": "SUCCESS",
                "ecr-repository-prefix": "docker-hub",
                "repository-name": "docker-hub/alpine",
                "upstream-registry-url": "registry-1.docker.io",
                "image-tag": "3.17.2",
                "image-digest": digest.to_string(),
            })
        )
    );
    let failed = pull_through_cache_action(
        &scope,
        "docker-hub/alpine",
        Some("3.17.2"),
        None,
        PullThrough {
            failure: Some(("UPSTREAM_UNAVAILABLE", "connection refused")),
            ..rule
        },
        sample_time(),
    );
    let detail = &document(&failed)["detail"];
    assert_eq!(detail["sync-status"], "FAILED");
    assert_eq!(detail["failure-code"], "UPSTREAM_UNAVAILABLE");
    assert_eq!(detail["failure-reason"], "connection refused");
    assert!(detail.get("image-digest").is_none());
}

#[test]
fn lifecycle_expiry_is_cloudtrails_policy_execution_event() {
    let scope = scope();
    let digest = digest();
    let expired = [ExpiredImage {
        digest,
        tags: vec!["alpine".to_owned()],
        pushed_at: Timestamp::from_epoch_millis(1_584_042_813_000),
        rule_priority: Some(1),
    }];
    let event = lifecycle_expiry(&scope, "testrepo", &expired, sample_time());
    let value = document(&event);
    assert_eq!(value["detail-type"], "AWS Service Event via CloudTrail");
    assert_eq!(value["source"], "aws.ecr");
    assert_eq!(value["resources"], json!([]));
    let detail = &value["detail"];
    assert!(uuid::Uuid::try_parse(detail["eventID"].as_str().unwrap()).is_ok());
    assert_eq!(detail["eventName"], "PolicyExecutionEvent");
    assert_eq!(detail["eventType"], "AwsServiceEvent");
    assert_eq!(detail["eventSource"], "ecr.amazonaws.com");
    assert_eq!(detail["eventTime"], "2019-11-16T01:54:34Z");
    assert_eq!(detail["awsRegion"], "us-west-2");
    assert_eq!(
        detail["resources"],
        json!([{"ARN": "arn:aws:ecr:us-west-2:123456789012:repository/testrepo",
                "accountId": "123456789012", "type": "AWS::ECR::Repository"}])
    );
    assert_eq!(
        detail["serviceEventDetails"],
        json!({
            "repositoryName": "testrepo",
            "lifecycleEventImageActions": [{
                "lifecycleEventImage": {
                    "digest": digest.to_string(),
                    "tagStatus": "Tagged",
                    "tagList": ["alpine"],
                    "pushedAt": 1_584_042_813_000_i64,
                },
                "rulePriority": 1,
            }],
        })
    );
}

#[test]
fn times_are_utc_to_the_second() {
    assert_eq!(
        iso_time(Timestamp::from_epoch_millis(0)),
        "1970-01-01T00:00:00Z"
    );
    assert_eq!(
        iso_time(Timestamp::from_epoch_millis(951_782_400_000)),
        "2000-02-29T00:00:00Z"
    );
    assert_eq!(
        iso_time(Timestamp::from_epoch_millis(4_102_444_799_999)),
        "2099-12-31T23:59:59Z"
    );
}

fn numbered(n: usize) -> Event {
    let scope = scope();
    let digest = digest();
    let name = format!("repo-{n}");
    image_action(
        ImageActionType::Push,
        Outcome::Success,
        ImageRef {
            scope: &scope,
            repository: &name,
            digest: &digest,
            tag: None,
        },
        None,
        None,
        sample_time(),
    )
}

fn names(events: &[Arc<Event>]) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            event.detail()["repository-name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn the_hub_keeps_the_most_recent_events_newest_last() {
    let hub = Events::default();
    for n in 0..EVENTS_RECENT + 2 {
        hub.emit(numbered(n));
    }
    let recent = names(&hub.recent());
    assert_eq!(recent.len(), EVENTS_RECENT);
    assert_eq!(recent[0], "repo-2");
    assert_eq!(
        recent[EVENTS_RECENT - 1],
        format!("repo-{}", EVENTS_RECENT + 1)
    );
    hub.clear();
    assert!(hub.recent().is_empty());
}

#[test]
fn a_subscriber_sees_each_event_once_and_taps_see_every_one() {
    let hub = Events::default();
    let tapped = Arc::new(Mutex::new(Vec::new()));
    let seen = tapped.clone();
    hub.add_tap(Box::new(move |event| {
        seen.lock().unwrap().push(event.id().to_owned());
    }));
    hub.emit(numbered(0));
    let (recent, mut live) = hub.subscribe();
    hub.emit(numbered(1));
    assert_eq!(names(&recent), ["repo-0"]);
    let next = live.try_recv().unwrap();
    assert_eq!(next.detail()["repository-name"], "repo-1");
    assert!(live.try_recv().is_err(), "nothing else is live");
    let ids: Vec<String> = hub.recent().iter().map(|e| e.id().to_owned()).collect();
    assert_eq!(*tapped.lock().unwrap(), ids);
}

#[test]
fn closing_is_seen_by_every_subscriber_even_a_late_one() {
    let hub = Events::default();
    let early = hub.closing();
    assert!(!*early.borrow());
    hub.close();
    assert!(*early.borrow());
    assert!(*hub.closing().borrow());
}
