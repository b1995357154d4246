//! Many clients at once, over HTTP, on the same repositories: creating, deleting, tagging,
//! untagging, setting and deleting policies. Afterwards the state must be exactly what the
//! successful calls imply: exact counts, no tag set half applied, no policy half written,
//! every listed repository describable. Each scenario runs against both state backends
//! (memory, and a data directory).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use berth::Config;
use serde_json::{Value, json};
use support::{HttpResponse, call, get};
use tokio::sync::Barrier;

const ACCOUNT: &str = "123456789012";
const MAX_TAGS: usize = 50;

/// A server per backend; the data directory is removed when the guard drops.
struct Backend {
    running: berth::Running,
    data_dir: Option<PathBuf>,
}

impl Backend {
    async fn start(durable: bool) -> Backend {
        let data_dir = durable
            .then(|| std::env::temp_dir().join(format!("berth-races-{}", uuid::Uuid::new_v4())));
        let running = berth::start(Config {
            data_dir: data_dir.clone(),
            ..Config::ephemeral()
        })
        .await
        .expect("Berth starts");
        Backend { running, data_dir }
    }

    fn addr(&self) -> SocketAddr {
        self.running.local_addr()
    }

    async fn stop(self) {
        self.running.shutdown().await;
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs `scenario` once per backend.
async fn on_every_backend<F, Fut>(scenario: F)
where
    F: Fn(SocketAddr) -> Fut,
    Fut: Future<Output = ()>,
{
    for durable in [false, true] {
        let backend = Backend::start(durable).await;
        scenario(backend.addr()).await;
        backend.stop().await;
    }
}

/// Starts `count` clients together (behind a barrier) and collects what each returned.
async fn all_at_once<T, F, Fut>(count: usize, client: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let start = Arc::new(Barrier::new(count));
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let start = start.clone();
            let work = client(i);
            tokio::spawn(async move {
                start.wait().await;
                work.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(count);
    for task in tasks {
        results.push(task.await.expect("a client task finishes"));
    }
    results
}

fn arn(name: &str) -> String {
    format!("arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{name}")
}

/// The outcome of a call: `Ok(body)` for a 200, else `Err(__type)` (checked AWS-shaped).
fn outcome(response: HttpResponse) -> Result<Value, String> {
    if response.status == 200 {
        Ok(response.json())
    } else {
        assert_eq!(response.status, 400, "{}", response.text());
        Err(response.error_type())
    }
}

async fn api(addr: SocketAddr, operation: &str, body: Value) -> Result<Value, String> {
    outcome(call(addr, operation, &body.to_string()).await)
}

/// Every repository name DescribeRepositories lists, across pages.
async fn listed(addr: SocketAddr) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({ "maxResults": 7 });
        if let Some(token) = &token {
            body["nextToken"] = json!(token);
        }
        let page = api(addr, "DescribeRepositories", body)
            .await
            .expect("listing works");
        for repository in page["repositories"].as_array().expect("a list") {
            let name = repository["repositoryName"].as_str().unwrap().to_owned();
            assert!(names.insert(name.clone()), "{name} listed twice");
        }
        token = page["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            return names;
        }
    }
}

/// Asserts the listing is exactly `expected` and every listed repository answers by name,
/// as the admin view also shows it.
async fn assert_repositories(addr: SocketAddr, expected: &BTreeSet<String>) {
    let names = listed(addr).await;
    assert_eq!(&names, expected);
    for name in &names {
        let described = api(
            addr,
            "DescribeRepositories",
            json!({ "repositoryNames": [name] }),
        )
        .await
        .unwrap_or_else(|e| panic!("{name} is listed but answers {e}"));
        assert_eq!(described["repositories"][0]["repositoryName"], json!(name));
    }
    let admin = get(addr, "/_berth/ecr/repositories").await.json();
    let admin_names: BTreeSet<String> = admin["repositories"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["repositoryName"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(&admin_names, expected);
}

async fn tags(addr: SocketAddr, name: &str) -> BTreeMap<String, String> {
    let listed = api(
        addr,
        "ListTagsForResource",
        json!({ "resourceArn": arn(name) }),
    )
    .await
    .expect("tags list");
    let tags = listed["tags"].as_array().expect("a list");
    let map: BTreeMap<String, String> = tags
        .iter()
        .map(|t| {
            (
                t["Key"].as_str().unwrap().to_owned(),
                t["Value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(map.len(), tags.len(), "a key listed twice: {tags:?}");
    assert!(map.len() <= MAX_TAGS, "{} tags", map.len());
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creates_and_deletes_leave_exactly_the_difference() {
    const CREATED: usize = 40;
    const DELETED: usize = 15;
    const DUPLICATES: usize = 2;
    on_every_backend(|addr| async move {
        let name = |i: usize| format!("race/repo-{i:02}");
        // Every name is created by two clients at once: exactly one wins.
        let created = all_at_once(CREATED * DUPLICATES, |i| {
            let name = name(i % CREATED);
            async move { api(addr, "CreateRepository", json!({ "repositoryName": name })).await }
        })
        .await;
        let wins = created.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, CREATED);
        for lost in created.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(lost, "RepositoryAlreadyExistsException");
        }
        // The first DELETED names are deleted, each by two clients at once, while other
        // clients keep listing.
        let deleted = all_at_once(DELETED * DUPLICATES + 10, |i| {
            let target = name(i % DELETED);
            async move {
                if i >= DELETED * DUPLICATES {
                    listed(addr).await;
                    return Ok(Value::Null);
                }
                api(
                    addr,
                    "DeleteRepository",
                    json!({ "repositoryName": target }),
                )
                .await
            }
        })
        .await;
        let deletions = deleted[..DELETED * DUPLICATES]
            .iter()
            .filter(|r| r.is_ok())
            .count();
        assert_eq!(deletions, DELETED);
        for lost in deleted.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(lost, "RepositoryNotFoundException");
        }
        let expected: BTreeSet<String> = (DELETED..CREATED).map(name).collect();
        assert_eq!(expected.len(), CREATED - DELETED);
        assert_repositories(addr, &expected).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contested_names_exist_exactly_when_creates_outnumber_deletes() {
    const CLIENTS: usize = 48;
    on_every_backend(|addr| async move {
        // Half the clients create, half delete, the same name, all at once, twice over.
        let mut balance = 0i64;
        for _round in 0..2 {
            let results = all_at_once(CLIENTS, |i| async move {
                let operation = if i % 2 == 0 {
                    "CreateRepository"
                } else {
                    "DeleteRepository"
                };
                (
                    operation,
                    api(addr, operation, json!({ "repositoryName": "contested" })).await,
                )
            })
            .await;
            for (operation, result) in results {
                match (operation, result) {
                    ("CreateRepository", Ok(_)) => balance += 1,
                    ("CreateRepository", Err(e)) => {
                        assert_eq!(e, "RepositoryAlreadyExistsException")
                    }
                    (_, Ok(_)) => balance -= 1,
                    (_, Err(e)) => assert_eq!(e, "RepositoryNotFoundException"),
                }
            }
        }
        assert!(balance == 0 || balance == 1, "{balance}");
        let expected: BTreeSet<String> = (balance == 1)
            .then(|| "contested".to_owned())
            .into_iter()
            .collect();
        assert_repositories(addr, &expected).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tag_sets_apply_whole_and_never_pass_fifty() {
    const CLIENTS: usize = 20;
    const TAGS_EACH: usize = 5;
    on_every_backend(|addr| async move {
        api(
            addr,
            "CreateRepository",
            json!({ "repositoryName": "tagged" }),
        )
        .await
        .unwrap();
        let keys = |client: usize| (0..TAGS_EACH).map(move |t| format!("c{client:02}-{t}"));
        let tag_set = |client: usize| {
            let tags: Vec<Value> = keys(client)
                .map(|k| json!({ "Key": k, "Value": "v" }))
                .collect();
            json!({ "resourceArn": arn("tagged"), "tags": tags })
        };
        // 20 clients × 5 new keys = 100 > 50: exactly 10 sets fit.
        let results = all_at_once(CLIENTS, |c| {
            let body = tag_set(c);
            async move { api(addr, "TagResource", body).await }
        })
        .await;
        let winners: Vec<usize> = (0..CLIENTS).filter(|c| results[*c].is_ok()).collect();
        assert_eq!(winners.len(), MAX_TAGS / TAGS_EACH);
        for lost in results.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(lost, "TooManyTagsException");
        }
        let expected: BTreeSet<String> = winners.iter().flat_map(|c| keys(*c)).collect();
        assert_eq!(
            tags(addr, "tagged")
                .await
                .keys()
                .cloned()
                .collect::<BTreeSet<_>>(),
            expected
        );

        // Winners untag their sets while the others tag theirs again, all at once: every
        // set ends wholly present or wholly absent, and the total stays within 50.
        let results = all_at_once(CLIENTS, |c| {
            let winner = winners.contains(&c);
            let body = if winner {
                json!({ "resourceArn": arn("tagged"), "tagKeys": keys(c).collect::<Vec<_>>() })
            } else {
                tag_set(c)
            };
            async move {
                let operation = if winner {
                    "UntagResource"
                } else {
                    "TagResource"
                };
                (winner, api(addr, operation, body).await)
            }
        })
        .await;
        let present = tags(addr, "tagged").await;
        let mut sets_present = 0;
        for (client, (winner, result)) in results.into_iter().enumerate() {
            let have = keys(client).filter(|k| present.contains_key(k)).count();
            assert!(
                have == 0 || have == TAGS_EACH,
                "client {client}'s set is half there"
            );
            match (winner, result) {
                (true, result) => {
                    result.expect("untagging never fails");
                    assert_eq!(have, 0, "an untagged set is back");
                }
                (false, Ok(_)) => assert_eq!(have, TAGS_EACH, "a tagged set is missing"),
                (false, Err(e)) => {
                    assert_eq!(e, "TooManyTagsException");
                    assert_eq!(have, 0);
                }
            }
            sets_present += usize::from(have == TAGS_EACH);
        }
        assert_eq!(present.len(), sets_present * TAGS_EACH);
    })
    .await;
}

fn policy(sid: usize) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": format!("client{sid}"),
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        }],
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_policies_are_whole_or_absent() {
    const CLIENTS: usize = 30;
    on_every_backend(|addr| async move {
        api(
            addr,
            "CreateRepository",
            json!({ "repositoryName": "guarded" }),
        )
        .await
        .unwrap();
        let written: Vec<Value> = (0..CLIENTS)
            .map(|c| serde_json::from_str(&policy(c)).unwrap())
            .collect();
        // A third set a policy, a third delete it, a third read it, all at once.
        let results = all_at_once(CLIENTS, |c| async move {
            let body = json!({ "repositoryName": "guarded" });
            match c % 3 {
                0 => {
                    let mut body = body;
                    body["policyText"] = json!(policy(c));
                    api(addr, "SetRepositoryPolicy", body).await
                }
                1 => api(addr, "DeleteRepositoryPolicy", body).await,
                _ => api(addr, "GetRepositoryPolicy", body).await,
            }
        })
        .await;
        for (c, result) in results.into_iter().enumerate() {
            match result {
                // Whatever a read or a delete saw was one of the policies, whole.
                Ok(answer) if c % 3 != 0 => {
                    let text = answer["policyText"].as_str().expect("policyText");
                    let seen: Value = serde_json::from_str(text).expect("a whole policy");
                    assert!(written.contains(&seen), "{text}");
                }
                Ok(_) => {}
                Err(e) => assert_eq!(e, "RepositoryPolicyNotFoundException", "client {c}"),
            }
        }
        match api(
            addr,
            "GetRepositoryPolicy",
            json!({ "repositoryName": "guarded" }),
        )
        .await
        {
            Ok(answer) => {
                let seen: Value =
                    serde_json::from_str(answer["policyText"].as_str().unwrap()).unwrap();
                assert!(written.contains(&seen));
            }
            Err(e) => assert_eq!(e, "RepositoryPolicyNotFoundException"),
        }
        // Deleting the repository while policies are being set leaves nothing behind.
        let results = all_at_once(CLIENTS, |c| async move {
            if c == 0 {
                api(
                    addr,
                    "DeleteRepository",
                    json!({ "repositoryName": "guarded", "force": true }),
                )
                .await
            } else {
                api(
                    addr,
                    "SetRepositoryPolicy",
                    json!({ "repositoryName": "guarded", "policyText": policy(c) }),
                )
                .await
            }
        })
        .await;
        results[0].as_ref().expect("the delete succeeds");
        for result in &results[1..] {
            if let Err(e) = result {
                assert_eq!(e, "RepositoryNotFoundException");
            }
        }
        assert_repositories(addr, &BTreeSet::new()).await;
        api(
            addr,
            "CreateRepository",
            json!({ "repositoryName": "guarded" }),
        )
        .await
        .unwrap();
        assert_eq!(
            api(
                addr,
                "GetRepositoryPolicy",
                json!({ "repositoryName": "guarded" })
            )
            .await,
            Err("RepositoryPolicyNotFoundException".to_owned()),
            "a recreated repository inherits no policy"
        );
        assert!(tags(addr, "guarded").await.is_empty());
    })
    .await;
}
