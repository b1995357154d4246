//! Events as ECR sends them to EventBridge (AWS's "Amazon ECR events and EventBridge"):
//! the documents, built here and nowhere else, and the [`Events`] hub every emitter hands
//! them to. The hub keeps the most recent ones (newest last), wakes live subscribers
//! (`GET /_berth/events` as server-sent events) and hands each event to the taps the
//! server adds (delivery to an EventBridge endpoint). Emitters call it after their state
//! change is committed, never inside a store job (a job may rerun).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use berth_runtime::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, watch};

use crate::arn;
use crate::limits::{EVENTS_LIVE_BACKLOG, EVENTS_RECENT};
use crate::store::Scope;
use crate::store::blobs::Sha256Digest;

/// `source` of every ECR event.
pub const SOURCE: &str = "aws.ecr";
/// [real] A push or a delete.
pub const IMAGE_ACTION: &str = "ECR Image Action";
/// [real] A basic scan that ended.
pub const IMAGE_SCAN: &str = "ECR Image Scan";
/// [real] A copy made by replication (sent in the destination's account and region).
pub const REPLICATION_ACTION: &str = "ECR Replication Action";
/// [real] An image pulled through a cache rule.
pub const PULL_THROUGH_CACHE_ACTION: &str = "ECR Pull Through Cache Action";
/// [real] How lifecycle expiry reaches EventBridge: ECR sends no event of its own for it,
/// only CloudTrail's `PolicyExecutionEvent` service event, which EventBridge carries with
/// this detail-type (source `aws.ecr`).
pub const SERVICE_EVENT_VIA_CLOUDTRAIL: &str = "AWS Service Event via CloudTrail";

/// One event, as EventBridge shows it to a rule's targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    version: &'static str,
    id: String,
    #[serde(rename = "detail-type")]
    detail_type: &'static str,
    source: &'static str,
    account: String,
    time: String,
    region: String,
    resources: Vec<String>,
    detail: Value,
    /// `time`, as a timestamp (PutEvents' `Time` is epoch seconds on the wire).
    #[serde(skip)]
    at: Timestamp,
}

impl Event {
    fn new(
        detail_type: &'static str,
        scope: &Scope,
        time: Timestamp,
        resources: Vec<String>,
        detail: Value,
    ) -> Event {
        Event {
            version: "0",
            id: uuid::Uuid::new_v4().to_string(),
            detail_type,
            source: SOURCE,
            account: scope.account_id.to_string(),
            time: iso_time(time),
            region: scope.region.to_string(),
            resources,
            detail,
            at: time,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn detail_type(&self) -> &str {
        self.detail_type
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    /// The region it happened in (where EventBridge would receive it).
    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn source(&self) -> &str {
        self.source
    }

    /// When it happened, ISO-8601 in UTC to the second (`2019-11-16T01:54:34Z`).
    pub fn time(&self) -> &str {
        &self.time
    }

    /// `time` in seconds since the Unix epoch.
    pub fn epoch_seconds(&self) -> i64 {
        self.at.epoch_millis().div_euclid(1000)
    }

    pub fn resources(&self) -> &[String] {
        &self.resources
    }

    pub fn detail(&self) -> &Value {
        &self.detail
    }

    /// The whole document as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `PUSH` or `DELETE` (`action-type` of an [`IMAGE_ACTION`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageActionType {
    Push,
    Delete,
}

/// `result` of an image or replication action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    fn text(self) -> &'static str {
        match self {
            Outcome::Success => "SUCCESS",
            Outcome::Failure => "FAILURE",
        }
    }
}

/// What an image event names: the repository, the digest, and the tag the action used.
#[derive(Debug, Clone, Copy)]
pub struct ImageRef<'a> {
    pub scope: &'a Scope,
    pub repository: &'a str,
    pub digest: &'a Sha256Digest,
    pub tag: Option<&'a str>,
}

impl ImageRef<'_> {
    fn arn(&self) -> String {
        arn::repository_arn_text(&self.scope.region, &self.scope.account_id, self.repository)
    }
}

/// [real] `ECR Image Action`: a push (with the manifest's and the artifact's media types,
/// as ECR adds them to push events) or a delete. `resources` is empty, as AWS's samples.
pub fn image_action(
    action: ImageActionType,
    outcome: Outcome,
    image: ImageRef<'_>,
    manifest_media_type: Option<&str>,
    artifact_media_type: Option<&str>,
    time: Timestamp,
) -> Event {
    let mut detail = Map::new();
    detail.insert("result".into(), outcome.text().into());
    detail.insert("repository-name".into(), image.repository.into());
    detail.insert("image-digest".into(), image.digest.to_string().into());
    let action_type = match action {
        ImageActionType::Push => "PUSH",
        ImageActionType::Delete => "DELETE",
    };
    detail.insert("action-type".into(), action_type.into());
    if let Some(tag) = image.tag {
        detail.insert("image-tag".into(), tag.into());
    }
    if let Some(media_type) = manifest_media_type {
        detail.insert("manifest-media-type".into(), media_type.into());
    }
    if let Some(media_type) = artifact_media_type {
        detail.insert("artifact-media-type".into(), media_type.into());
    }
    Event::new(
        IMAGE_ACTION,
        image.scope,
        time,
        Vec::new(),
        Value::Object(detail),
    )
}

/// [real] `ECR Image Scan` of a basic scan that ended with `scan_status`: the image's tags
/// at the time, and a count per severity that has findings (none has, in Berth).
pub fn image_scan(
    image: ImageRef<'_>,
    scan_status: &str,
    tags: &[String],
    time: Timestamp,
) -> Event {
    Event::new(
        IMAGE_SCAN,
        image.scope,
        time,
        vec![image.arn()],
        json!({
            "scan-status": scan_status,
            "repository-name": image.repository,
            "finding-severity-counts": {},
            "image-digest": image.digest.to_string(),
            "image-tags": tags,
        }),
    )
}

/// [real] `ECR Replication Action`: a copy of `image` (named in the destination, where the
/// event is sent) from `source`.
pub fn replication_action(
    image: ImageRef<'_>,
    source: &Scope,
    outcome: Outcome,
    time: Timestamp,
) -> Event {
    let mut detail = Map::new();
    detail.insert("result".into(), outcome.text().into());
    detail.insert("repository-name".into(), image.repository.into());
    detail.insert("image-digest".into(), image.digest.to_string().into());
    detail.insert(
        "source-account".into(),
        source.account_id.to_string().into(),
    );
    detail.insert("action-type".into(), "REPLICATE".into());
    detail.insert("source-region".into(), source.region.to_string().into());
    if let Some(tag) = image.tag {
        detail.insert("image-tag".into(), tag.into());
    }
    Event::new(
        REPLICATION_ACTION,
        image.scope,
        time,
        vec![image.arn()],
        Value::Object(detail),
    )
}

/// [choice] `failure-code` of a pull through that did not store the image: AWS documents no
/// list of codes, and Berth's only failure is the upstream not giving the image.
pub const PULL_THROUGH_FAILURE_CODE: &str = "UPSTREAM_UNAVAILABLE";

/// What a pull through a cache rule names beyond the image.
#[derive(Debug, Clone, Copy)]
pub struct PullThrough<'a> {
    pub ecr_repository_prefix: &'a str,
    pub upstream_registry_url: &'a str,
    /// `failure-code` and `failure-reason` of a failed sync.
    pub failure: Option<(&'a str, &'a str)>,
}

/// [real] `ECR Pull Through Cache Action`: an image of `repository` synced (or not) from
/// upstream; the digest when known (a failed pull may not have got as far).
pub fn pull_through_cache_action(
    scope: &Scope,
    repository: &str,
    tag: Option<&str>,
    digest: Option<&Sha256Digest>,
    rule: PullThrough<'_>,
    time: Timestamp,
) -> Event {
    let mut detail = Map::new();
    detail.insert("rule-version".into(), "1".into());
    let status = if rule.failure.is_some() {
        "FAILED"
    } else {
        "SUCCESS"
    };
    detail.insert("sync-status".into(), status.into());
    detail.insert(
        "ecr-repository-prefix".into(),
        rule.ecr_repository_prefix.into(),
    );
    detail.insert("repository-name".into(), repository.into());
    detail.insert(
        "upstream-registry-url".into(),
        rule.upstream_registry_url.into(),
    );
    if let Some(tag) = tag {
        detail.insert("image-tag".into(), tag.into());
    }
    if let Some(digest) = digest {
        detail.insert("image-digest".into(), digest.to_string().into());
    }
    if let Some((code, reason)) = rule.failure {
        detail.insert("failure-code".into(), code.into());
        detail.insert("failure-reason".into(), reason.into());
    }
    let arn = arn::repository_arn_text(&scope.region, &scope.account_id, repository);
    Event::new(
        PULL_THROUGH_CACHE_ACTION,
        scope,
        time,
        vec![arn],
        Value::Object(detail),
    )
}

/// One image a lifecycle run expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredImage {
    pub digest: Sha256Digest,
    pub tags: Vec<String>,
    pub pushed_at: Timestamp,
    /// The rule that expired it (none for a referrer that went with its subject).
    pub rule_priority: Option<i32>,
}

/// [real] Lifecycle expiry of `images` in `repository`: CloudTrail's `PolicyExecutionEvent`
/// (an `AwsServiceEvent`) as EventBridge carries it, `serviceEventDetails` listing each
/// expired image as `lifecycleEventImageActions`.
pub fn lifecycle_expiry(
    scope: &Scope,
    repository: &str,
    images: &[ExpiredImage],
    time: Timestamp,
) -> Event {
    let arn = arn::repository_arn_text(&scope.region, &scope.account_id, repository);
    let actions: Vec<Value> = images
        .iter()
        .map(|image| {
            let mut action = Map::new();
            action.insert(
                "lifecycleEventImage".into(),
                json!({
                    "digest": image.digest.to_string(),
                    "tagStatus": if image.tags.is_empty() { "Untagged" } else { "Tagged" },
                    "tagList": image.tags,
                    "pushedAt": image.pushed_at.epoch_millis(),
                }),
            );
            if let Some(priority) = image.rule_priority {
                action.insert("rulePriority".into(), priority.into());
            }
            Value::Object(action)
        })
        .collect();
    let account = scope.account_id.to_string();
    Event::new(
        SERVICE_EVENT_VIA_CLOUDTRAIL,
        scope,
        time,
        Vec::new(),
        json!({
            "eventVersion": "1.05",
            "userIdentity": {"accountId": account, "invokedBy": "AWS Internal"},
            "eventTime": iso_time(time),
            "eventSource": "ecr.amazonaws.com",
            "eventName": "PolicyExecutionEvent",
            "awsRegion": scope.region.to_string(),
            "sourceIPAddress": "AWS Internal",
            "userAgent": "AWS Internal",
            "requestParameters": null,
            "responseElements": null,
            "eventID": uuid::Uuid::new_v4().to_string(),
            "readOnly": true,
            "resources": [{"ARN": arn, "accountId": account, "type": "AWS::ECR::Repository"}],
            "eventType": "AwsServiceEvent",
            "recipientAccountId": account,
            "serviceEventDetails": {
                "repositoryName": repository,
                "lifecycleEventImageActions": actions,
            },
        }),
    )
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC) of `time`.
fn iso_time(time: Timestamp) -> String {
    let seconds = time.epoch_millis().div_euclid(1000);
    let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Something the server adds to see every event as it is emitted (delivery's queue); it
/// must not block.
pub type Tap = Box<dyn Fn(&Arc<Event>) + Send + Sync>;

/// Where every event goes: the recent ones (at most [`EVENTS_RECENT`], newest last), the
/// live subscribers, and the taps.
pub struct Events {
    recent: Mutex<VecDeque<Arc<Event>>>,
    live: broadcast::Sender<Arc<Event>>,
    taps: Mutex<Vec<Tap>>,
    /// Set when the server stops: live subscribers end (their streams would hold up a
    /// graceful shutdown).
    closing: watch::Sender<bool>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl Default for Events {
    fn default() -> Events {
        Events {
            recent: Mutex::new(VecDeque::with_capacity(EVENTS_RECENT)),
            live: broadcast::channel(EVENTS_LIVE_BACKLOG).0,
            taps: Mutex::new(Vec::new()),
            closing: watch::Sender::new(false),
        }
    }
}

impl Events {
    /// Records `event` and hands it to every subscriber and tap.
    pub fn emit(&self, event: Event) {
        let event = Arc::new(event);
        {
            // Under the lock, so a subscriber sees each event once: in its snapshot or live.
            let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
            if recent.len() == EVENTS_RECENT {
                recent.pop_front();
            }
            recent.push_back(Arc::clone(&event));
            // No receiver is not a failure: nobody is listening.
            let _ = self.live.send(Arc::clone(&event));
        }
        for tap in self
            .taps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            tap(&event);
        }
    }

    /// The recent events, oldest first.
    pub fn recent(&self) -> Vec<Arc<Event>> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent.iter().cloned().collect()
    }

    /// The recent events and a receiver of every later one (none missed, none twice).
    pub fn subscribe(&self) -> (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>) {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        (recent.iter().cloned().collect(), self.live.subscribe())
    }

    /// Adds `tap`: it sees every event emitted from now on.
    pub fn add_tap(&self, tap: Tap) {
        self.taps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(tap);
    }

    /// Tells live subscribers to end: the server is stopping.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Whether (and when) [`Events::close`] was called.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Forgets the recent events (`POST /_berth/reset`).
    pub fn clear(&self) {
        self.recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests;
