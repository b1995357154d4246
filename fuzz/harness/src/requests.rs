//! The request entry point: raw requests through the generated router against a fresh
//! in-memory ECR, checking every response and the state each one leaves.
//!
//! Input format (what a file under `fuzz/regressions/requests/` holds): up to
//! [`MAX_REQUESTS`] requests separated by NUL bytes (JSON bodies cannot contain a raw NUL,
//! so no well-formed body is cut). Each request is `TARGET\nBODY`: the first line is the
//! `X-Amz-Target` header (an empty line sends none; a line without `.` is shorthand for
//! `AmazonEC2ContainerRegistry_V20150921.<line>`), the rest is the body. A line starting
//! `@N ` (N a digit) is sent as caller `N % 3` of [`crate::CALLERS`], else as caller 0.
//!
//! Invariants: every response is well formed (see `check`); a request changes no other
//! caller's state; a request that fails changes nothing; a successful CreateRepository
//! adds exactly its repository, DeleteRepository removes exactly its own, read-only
//! operations change nothing; and afterwards every listed repository can be described by
//! name, carries at most 50 distinct tags, and has either a whole, parseable policy or none.

use std::collections::BTreeMap;

use berth_runtime::protocol::{Request, Response};
use ecr_generated::operations::SERVICE;
use ecr_impl::Ecr;
use serde_json::{Value, json};

use crate::{CALLERS, block_on, check, context};

/// Requests run per input, at most: enough for create/tag/policy/delete sequences while
/// keeping one input's work bounded.
pub const MAX_REQUESTS: usize = 16;
/// Separates the requests of one input.
pub const SEPARATOR: u8 = 0;
/// Most tags a repository may carry (ECR's limit; Berth's own lives in ecr-impl).
const MAX_TAGS: usize = 50;

/// Runs one fuzz input; panics if an invariant breaks. Returns each request's status, so
/// tests can check a seed does what it is meant to.
pub fn run(data: &[u8]) -> Vec<u16> {
    let ecr = Ecr::in_memory();
    let mut statuses = Vec::new();
    let mut before = world(&ecr);
    for raw in data.split(|&b| b == SEPARATOR).take(MAX_REQUESTS) {
        let (caller, target, body) = split_request(raw);
        let response = send(&ecr, caller, target.as_deref(), body);
        let parsed = check::well_formed(&response);
        let after = world(&ecr);
        let operation = target
            .as_deref()
            .and_then(|t| t.strip_prefix(SERVICE.target_prefix))
            .and_then(|t| t.strip_prefix('.'));
        for (other, (was, is)) in before.iter().zip(&after).enumerate() {
            if other == caller {
                check_change(operation, &parsed, was, is);
            } else {
                assert_eq!(
                    was, is,
                    "caller {caller}'s {operation:?} changed caller {other}'s state"
                );
            }
        }
        statuses.push(response.status);
        before = after;
    }
    for (caller, state) in before.iter().enumerate() {
        check_state(&ecr, caller, state);
    }
    statuses
}

/// Every caller's repositories, by caller index.
fn world(ecr: &Ecr) -> Vec<BTreeMap<String, Observed>> {
    (0..CALLERS.len())
        .map(|caller| snapshot(ecr, caller))
        .collect()
}

/// The caller, target header (lossy UTF-8, as the server passes it on) and body of one
/// request.
fn split_request(raw: &[u8]) -> (usize, Option<String>, &[u8]) {
    let (line, body) = match raw.iter().position(|&b| b == b'\n') {
        Some(end) => (&raw[..end], &raw[end + 1..]),
        None => (raw, &[][..]),
    };
    let (caller, line) = match line {
        [b'@', digit, rest @ ..] if digit.is_ascii_digit() => (
            usize::from(digit - b'0') % CALLERS.len(),
            rest.strip_prefix(b" ").unwrap_or(rest),
        ),
        _ => (0, line),
    };
    let line = String::from_utf8_lossy(line).into_owned();
    let target = if line.is_empty() {
        None
    } else if line.contains('.') {
        Some(line)
    } else {
        Some(format!("{}.{line}", SERVICE.target_prefix))
    };
    (caller, target, body)
}

fn send(ecr: &Ecr, caller: usize, target: Option<&str>, body: &[u8]) -> Response {
    let request = Request {
        target,
        content_type: Some(SERVICE.content_type),
        body,
    };
    block_on(ecr.handle(&mut context(caller), request))
}

/// Calls `operation` as `caller` with a JSON body; the status and checked body.
fn call(
    ecr: &Ecr,
    caller: usize,
    operation: &str,
    body: Value,
) -> (u16, serde_json::Map<String, Value>) {
    let target = format!("{}.{operation}", SERVICE.target_prefix);
    let body = body.to_string();
    let response = send(ecr, caller, Some(&target), body.as_bytes());
    let parsed = check::well_formed(&response);
    (response.status, parsed)
}

/// What one repository looks like from outside: its description, tags and policy.
#[derive(Debug, Clone, PartialEq)]
struct Observed {
    repository: Value,
    tags: Vec<Value>,
    policy: Option<String>,
}

/// Every repository of `caller`'s account and region, as the API shows it.
fn snapshot(ecr: &Ecr, caller: usize) -> BTreeMap<String, Observed> {
    let mut state = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({ "maxResults": 1000 });
        if let Some(token) = &token {
            body["nextToken"] = json!(token);
        }
        let (status, page) = call(ecr, caller, "DescribeRepositories", body);
        assert_eq!(status, 200, "listing repositories failed: {page:?}");
        let repositories = page
            .get("repositories")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for repository in repositories {
            let name = repository["repositoryName"]
                .as_str()
                .expect("every listed repository has a name")
                .to_owned();
            let observed = observe(ecr, caller, &name, repository);
            assert!(
                state.insert(name.clone(), observed).is_none(),
                "{name} was listed twice"
            );
        }
        token = page
            .get("nextToken")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if token.is_none() {
            return state;
        }
    }
}

fn observe(ecr: &Ecr, caller: usize, name: &str, listed: Value) -> Observed {
    let (status, described) = call(
        ecr,
        caller,
        "DescribeRepositories",
        json!({ "repositoryNames": [name] }),
    );
    assert_eq!(
        status, 200,
        "{name} is listed but cannot be described: {described:?}"
    );
    assert_eq!(
        described["repositories"],
        json!([listed.clone()]),
        "{name} is described differently by name"
    );
    let arn = listed["repositoryArn"].clone();
    let (status, tags) = call(
        ecr,
        caller,
        "ListTagsForResource",
        json!({ "resourceArn": arn }),
    );
    assert_eq!(status, 200, "{name}: tags cannot be listed: {tags:?}");
    let tags = tags
        .get("tags")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (status, policy) = call(
        ecr,
        caller,
        "GetRepositoryPolicy",
        json!({ "repositoryName": name }),
    );
    let policy = match (status, check::error_type(&policy)) {
        (200, None) => Some(
            policy["policyText"]
                .as_str()
                .expect("a policy answer has policyText")
                .to_owned(),
        ),
        (_, Some("RepositoryPolicyNotFoundException")) => None,
        other => panic!("{name}: policy neither present nor absent: {other:?} {policy:?}"),
    };
    Observed {
        repository: listed,
        tags,
        policy,
    }
}

/// The state change one request may make.
fn check_change(
    operation: Option<&str>,
    response: &serde_json::Map<String, Value>,
    before: &BTreeMap<String, Observed>,
    after: &BTreeMap<String, Observed>,
) {
    if check::error_type(response).is_some() {
        assert_eq!(
            before, after,
            "a failed {operation:?} changed the state: {response:?}"
        );
        return;
    }
    let named = || {
        response["repository"]["repositoryName"]
            .as_str()
            .expect("the answer names its repository")
            .to_owned()
    };
    match operation {
        Some("CreateRepository") => {
            let name = named();
            assert!(!before.contains_key(&name), "{name} was created twice");
            let mut expected: Vec<&String> = before.keys().collect();
            expected.push(&name);
            expected.sort();
            assert_eq!(after.keys().collect::<Vec<_>>(), expected);
        }
        Some("DeleteRepository") => {
            let name = named();
            assert!(
                before.contains_key(&name),
                "{name} was deleted without existing"
            );
            let expected: Vec<&String> = before.keys().filter(|k| **k != name).collect();
            assert_eq!(after.keys().collect::<Vec<_>>(), expected);
        }
        Some("DescribeRepositories" | "GetRepositoryPolicy" | "ListTagsForResource") => {
            assert_eq!(before, after, "a read-only {operation:?} changed the state")
        }
        _ => assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "{operation:?} added or removed repositories"
        ),
    }
}

/// Invariants of any reachable state of `caller`.
fn check_state(ecr: &Ecr, caller: usize, state: &BTreeMap<String, Observed>) {
    for (name, observed) in state {
        assert!(
            observed.tags.len() <= MAX_TAGS,
            "{name} has {} tags",
            observed.tags.len()
        );
        let mut keys: Vec<&str> = observed
            .tags
            .iter()
            .map(|tag| tag["Key"].as_str().expect("every tag has a key"))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), observed.tags.len(), "{name} has a key twice");
        if let Some(policy) = &observed.policy {
            let parsed: Value = serde_json::from_str(policy)
                .unwrap_or_else(|e| panic!("{name}'s stored policy is not JSON ({e}): {policy}"));
            assert!(parsed.is_object(), "{name}'s policy is not an object");
        }
    }
    // Listing twice gives the same answer: nothing depends on hidden state.
    assert_eq!(&snapshot(ecr, caller), state);
}
