//! The real `berth` binary with `--data-dir`: state survives a clean restart and a SIGKILL
//! in the middle of a concurrent write storm (nothing acknowledged lost, nothing half
//! applied); a locked, newer or damaged data directory stops startup with a clear error and
//! is left as it was.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use support::process::{BerthProcess, berth_command};
use support::*;
use tokio::process::Command;
use tokio::sync::Mutex;

/// Clients writing at once during the storm.
const CLIENTS: usize = 16;
/// Each storm is killed once this many creates were acknowledged...
const KILL_AFTER_CREATES: usize = 150;
/// ...or after this long, whichever comes first.
const STORM_LIMIT: Duration = Duration::from_secs(30);
/// Where the database's schema version sits in its header (SQLite file format).
const USER_VERSION_OFFSET: usize = 60;

/// A scratch directory under cargo's space for integration tests, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(purpose: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("durable")
            .join(format!("{purpose}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn database(&self) -> PathBuf {
        self.0.join("berth.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `berth --port 0 --data-dir DIR` (quiet).
fn berth_on(dir: &Path) -> Command {
    let mut command = berth_command(["--port", "0", "--log", "warn", "--data-dir"]);
    command.arg(dir);
    command
}

/// A running `berth` on `dir`.
async fn start_on(dir: &TempDir) -> BerthProcess {
    BerthProcess::start(berth_on(dir.path())).await
}

/// An API call that may fail at the connection (the server is being killed).
async fn try_call(addr: SocketAddr, operation: &str, body: &Value) -> io::Result<HttpResponse> {
    try_call_as(addr, None, operation, &body.to_string()).await
}

/// A call that must succeed.
async fn ok(addr: SocketAddr, operation: &str, body: Value) -> Value {
    let response = try_call(addr, operation, &body).await.unwrap();
    assert_eq!(response.status, 200, "{operation}: {}", response.text());
    response.json()
}

fn arn(name: &str) -> String {
    format!("arn:aws:ecr:us-east-1:123456789012:repository/{name}")
}

/// Every repository (admin view), by name.
async fn repositories(addr: SocketAddr) -> BTreeMap<String, Value> {
    let response = get(addr, "/_berth/ecr/repositories").await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["repositoryName"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

/// A repository's tags, as key → value.
async fn tags(addr: SocketAddr, name: &str) -> BTreeMap<String, String> {
    let listed = ok(
        addr,
        "ListTagsForResource",
        json!({ "resourceArn": arn(name) }),
    )
    .await;
    listed["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["Key"].as_str().unwrap().to_owned(),
                t["Value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// What the storm's clients were told.
#[derive(Default)]
struct Acknowledged {
    /// Repositories whose create (with its tags) was answered 200.
    creates: BTreeSet<String>,
    /// Repositories whose TagResource (`after` = their sequence number) was answered 200.
    tags: BTreeSet<String>,
}

/// One client: create `storm/r{round}-c{client}-{i}` with tags, then tag it again, until
/// the server dies.
async fn storm_client(
    addr: SocketAddr,
    round: usize,
    client: usize,
    acknowledged: Arc<Mutex<Acknowledged>>,
    created: Arc<AtomicUsize>,
) {
    for i in 0.. {
        let name = format!("storm/r{round}-c{client}-{i}");
        let create = json!({
            "repositoryName": name,
            "tags": [
                { "Key": "client", "Value": client.to_string() },
                { "Key": "seq", "Value": i.to_string() },
            ],
        });
        match try_call(addr, "CreateRepository", &create).await {
            Ok(response) if response.status == 200 => {
                acknowledged.lock().await.creates.insert(name.clone());
                created.fetch_add(1, Ordering::Relaxed);
            }
            Ok(response) => panic!("create {name}: {}", response.text()),
            Err(_) => return, // killed
        }
        let tag = json!({
            "resourceArn": arn(&name),
            "tags": [{ "Key": "after", "Value": i.to_string() }],
        });
        match try_call(addr, "TagResource", &tag).await {
            Ok(response) if response.status == 200 => {
                acknowledged.lock().await.tags.insert(name);
            }
            Ok(response) => panic!("tag {name}: {}", response.text()),
            Err(_) => return,
        }
    }
}

/// Storms `server` with [`CLIENTS`] clients and SIGKILLs it mid-storm; returns what the
/// clients were told.
async fn storm_and_kill(server: BerthProcess, round: usize) -> Acknowledged {
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let created = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let task = storm_client(
                server.addr,
                round,
                client,
                acknowledged.clone(),
                created.clone(),
            );
            tokio::spawn(task)
        })
        .collect();
    let deadline = tokio::time::Instant::now() + STORM_LIMIT;
    while created.load(Ordering::Relaxed) < KILL_AFTER_CREATES
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let status = server.kill().await;
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "killed by SIGKILL: {status}"
    );
    for client in clients {
        tokio::time::timeout(TIMEOUT, client)
            .await
            .expect("clients stop once the server is gone")
            .expect("no client saw an error answer");
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().await);
    assert!(
        acknowledged.creates.len() >= KILL_AFTER_CREATES / 2,
        "the storm wrote little: {}",
        acknowledged.creates.len()
    );
    acknowledged
}

/// Checks a restarted server against everything acknowledged so far; returns how many
/// repositories it holds.
async fn check_nothing_lost_or_half_done(
    addr: SocketAddr,
    acknowledged: &Acknowledged,
    rounds: usize,
) -> usize {
    let found = repositories(addr).await;
    let missing: Vec<_> = acknowledged
        .creates
        .iter()
        .filter(|name| !found.contains_key(*name))
        .collect();
    assert!(missing.is_empty(), "acknowledged creates lost: {missing:?}");
    let lost_tags: Vec<_> = acknowledged
        .tags
        .iter()
        .filter(|name| !found.contains_key(*name))
        .collect();
    assert!(
        lost_tags.is_empty(),
        "acknowledged tags lost: {lost_tags:?}"
    );
    let mut unacknowledged_but_kept = 0;
    for name in found.keys() {
        let parts: Vec<_> = name
            .strip_prefix("storm/r")
            .map(|rest| rest.split('-').collect())
            .unwrap_or_default();
        let [_round, client, seq] = parts[..] else {
            panic!("a repository no client asked for: {name}");
        };
        let client = client.strip_prefix('c').unwrap();
        let tags = tags(addr, name).await;
        // All or nothing: a repository that exists has the tags it was created with.
        assert_eq!(
            tags.get("client").map(String::as_str),
            Some(client),
            "{name}: {tags:?}"
        );
        assert_eq!(
            tags.get("seq").map(String::as_str),
            Some(seq),
            "{name}: {tags:?}"
        );
        if acknowledged.tags.contains(name) {
            assert_eq!(
                tags.get("after").map(String::as_str),
                Some(seq),
                "{name}: {tags:?}"
            );
        }
        unacknowledged_but_kept += usize::from(!acknowledged.creates.contains(name));
    }
    // Committed, but killed before the answer went out: at most one per client and kill.
    assert!(
        unacknowledged_but_kept <= CLIENTS * rounds,
        "{unacknowledged_but_kept}"
    );
    found.len()
}

/// Kill-restart rounds: the kill lands at a different point of the commit cycle each time.
const ROUNDS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sigkill_mid_storm_loses_no_acknowledged_write_and_leaves_nothing_half_done() {
    let dir = TempDir::new("storm");
    let mut acknowledged = Acknowledged::default();
    let mut server = start_on(&dir).await;
    for round in 0..ROUNDS {
        let told = storm_and_kill(server, round).await;
        acknowledged.creates.extend(told.creates);
        acknowledged.tags.extend(told.tags);
        // The restart recovers from the log the kill left behind.
        server = start_on(&dir).await;
        let kept = check_nothing_lost_or_half_done(server.addr, &acknowledged, round + 1).await;
        eprintln!(
            "round {round}: {} creates and {} tags acknowledged so far, {kept} repositories kept",
            acknowledged.creates.len(),
            acknowledged.tags.len(),
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_the_state_and_a_reset_clears_it_for_good() {
    let dir = TempDir::new("restart");
    let server = start_on(&dir).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}"#;
    ok(
        server.addr,
        "CreateRepository",
        json!({
            "repositoryName": "kept",
            "tags": [{ "Key": "b", "Value": "2" }, { "Key": "a", "Value": "1" }],
            "imageTagMutability": "IMMUTABLE",
            "imageScanningConfiguration": { "scanOnPush": true },
        }),
    )
    .await;
    ok(
        server.addr,
        "CreateRepository",
        json!({ "repositoryName": "another" }),
    )
    .await;
    ok(
        server.addr,
        "SetRepositoryPolicy",
        json!({ "repositoryName": "kept", "policyText": policy }),
    )
    .await;
    let described = ok(server.addr, "DescribeRepositories", json!({})).await;
    let listed = ok(
        server.addr,
        "ListTagsForResource",
        json!({ "resourceArn": arn("kept") }),
    )
    .await;
    server.stop().await;
    // A clean stop closes the database: its log is checkpointed into it and removed.
    assert!(!dir.path().join("berth.db-wal").exists());

    let server = start_on(&dir).await;
    // createdAt included, to the millisecond; page order too.
    assert_eq!(
        ok(server.addr, "DescribeRepositories", json!({})).await,
        described
    );
    assert_eq!(
        ok(
            server.addr,
            "ListTagsForResource",
            json!({ "resourceArn": arn("kept") })
        )
        .await,
        listed
    );
    let got = ok(
        server.addr,
        "GetRepositoryPolicy",
        json!({ "repositoryName": "kept" }),
    )
    .await;
    assert!(
        got["policyText"]
            .as_str()
            .unwrap()
            .contains("ecr:BatchGetImage")
    );

    let reset = request(server.addr, "POST", "/_berth/reset", &[], b"").await;
    assert_eq!(reset.status, 200, "{}", reset.text());
    server.stop().await;

    let server = start_on(&dir).await;
    assert!(repositories(server.addr).await.is_empty());
    server.stop().await;
}

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
        } else {
            found.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    found
}

/// Starting `berth` on `dir` fails: non-zero exit, nothing on stdout, every file of `dir`
/// as it was. Returns stderr.
async fn refuses_to_start(dir: &TempDir) -> String {
    refuses_to_start_beside(dir, None).await
}

/// [`refuses_to_start`] while `running` serves `dir`: SQLite's shared-memory index
/// (`berth.db-shm`) is that server's to change, so it is not compared.
async fn refuses_to_start_beside(dir: &TempDir, running: Option<&BerthProcess>) -> String {
    let shared_memory = dir.path().join("berth.db-shm");
    let compared = |mut files: BTreeMap<PathBuf, Vec<u8>>| {
        if running.is_some() {
            files.remove(&shared_memory);
        }
        files
    };
    let before = compared(files(dir.path()));
    let output = tokio::time::timeout(TIMEOUT, berth_on(dir.path()).output())
        .await
        .expect("exits in time")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "started: {stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "", "{stderr}");
    let after = compared(files(dir.path()));
    let changed: Vec<_> = before
        .keys()
        .chain(after.keys())
        .filter(|path| before.get(*path) != after.get(*path))
        .collect();
    assert!(
        changed.is_empty(),
        "files changed by a refused start: {changed:?}"
    );
    stderr
}

/// A data directory that a cleanly stopped Berth left with one repository.
async fn used_directory(purpose: &str) -> TempDir {
    let dir = TempDir::new(purpose);
    let server = start_on(&dir).await;
    ok(
        server.addr,
        "CreateRepository",
        json!({ "repositoryName": "app" }),
    )
    .await;
    server.stop().await;
    dir
}

#[tokio::test]
async fn a_second_berth_on_the_same_directory_refuses_to_start() {
    let dir = TempDir::new("lock");
    let first = start_on(&dir).await;
    let stderr = refuses_to_start_beside(&dir, Some(&first)).await;
    assert!(
        stderr.contains("cannot use the data directory")
            && stderr.contains("another Berth is already using this data directory"),
        "{stderr}"
    );
    // The first one is unharmed.
    ok(
        first.addr,
        "CreateRepository",
        json!({ "repositoryName": "still-here" }),
    )
    .await;
    first.stop().await;
    // And once it is gone, the directory is free.
    let next = start_on(&dir).await;
    assert!(repositories(next.addr).await.contains_key("still-here"));
    next.stop().await;
}

#[tokio::test]
async fn a_newer_schema_version_stops_startup_and_leaves_the_files_untouched() {
    let dir = used_directory("newer").await;
    // Bump the schema version by hand, in the header where SQLite keeps it.
    let mut bytes = std::fs::read(dir.database()).unwrap();
    bytes[USER_VERSION_OFFSET..USER_VERSION_OFFSET + 4].copy_from_slice(&999u32.to_be_bytes());
    std::fs::write(dir.database(), bytes).unwrap();

    let stderr = refuses_to_start(&dir).await;
    assert!(
        stderr.contains("written by a newer Berth") && stderr.contains("schema version 999"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_damaged_database_stops_startup_and_leaves_the_files_untouched() {
    let dir = used_directory("damaged").await;
    let mut bytes = std::fs::read(dir.database()).unwrap();
    // Garbage over everything after the header page.
    for (i, byte) in bytes.iter_mut().enumerate().skip(4096) {
        *byte = (i % 251) as u8;
    }
    std::fs::write(dir.database(), &bytes).unwrap();
    let stderr = refuses_to_start(&dir).await;
    assert!(stderr.contains("is damaged"), "{stderr}");

    // Garbage from the first byte.
    std::fs::write(dir.database(), vec![0xa5; bytes.len()]).unwrap();
    let stderr = refuses_to_start(&dir).await;
    assert!(
        stderr.contains("is damaged") && stderr.contains("left untouched"),
        "{stderr}"
    );
}

/// The key file that signs login passwords (GetAuthorizationToken).
fn token_key_file(dir: &TempDir) -> PathBuf {
    dir.path().join(berth::token_key::TOKEN_KEY_FILE)
}

/// A fresh login password from `addr`, for the default account in us-east-1.
async fn login_password(addr: SocketAddr) -> String {
    use base64::Engine;
    let answer = ok(addr, "GetAuthorizationToken", json!({})).await;
    let token = answer["authorizationData"][0]["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .unwrap();
    let login = String::from_utf8(decoded).unwrap();
    login.strip_prefix("AWS:").unwrap().to_owned()
}

/// Berth, in this process, on `dir`.
async fn embedded_on(dir: Option<&TempDir>) -> berth::Running {
    berth::start(berth::Config {
        data_dir: dir.map(|dir| dir.path().to_owned()),
        ..berth::Config::ephemeral()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_login_password_survives_a_restart_with_the_data_directory() {
    let dir = TempDir::new("token-key");
    let server = start_on(&dir).await;
    let password = login_password(server.addr).await;
    server.stop().await;
    let key_file = std::fs::read(token_key_file(&dir)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(token_key_file(&dir))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner may read the key");
    }

    // A second start keeps the key as it was.
    let server = start_on(&dir).await;
    let second = login_password(server.addr).await;
    server.stop().await;
    assert_eq!(std::fs::read(token_key_file(&dir)).unwrap(), key_file);

    let restarted = embedded_on(Some(&dir)).await;
    let now = berth_runtime::Timestamp::now();
    for password in [&password, &second] {
        let grant = restarted
            .ecr()
            .verify_login_password(password, now)
            .expect("a password issued before the restart is still accepted");
        assert_eq!(grant.registry.account_id.as_str(), "123456789012");
        assert_eq!(grant.registry.region.as_str(), "us-east-1");
    }
    restarted.shutdown().await;

    // The key is the directory's: another directory, or none, refuses the password.
    let elsewhere = TempDir::new("token-key-elsewhere");
    for other in [embedded_on(Some(&elsewhere)).await, embedded_on(None).await] {
        assert_eq!(
            other.ecr().verify_login_password(&password, now),
            Err(ecr_impl::auth::TokenError::BadSignature)
        );
        other.shutdown().await;
    }
}

#[tokio::test]
async fn a_damaged_token_key_file_stops_startup_and_is_left_untouched() {
    let dir = used_directory("damaged-key").await;
    let original = std::fs::read_to_string(token_key_file(&dir)).unwrap();
    for damaged in [
        String::new(),
        "not a key\n".to_owned(),
        // One character short.
        format!(
            "{}\n",
            &original.trim_end()[..original.trim_end().len() - 1]
        ),
    ] {
        std::fs::write(token_key_file(&dir), &damaged).unwrap();
        let stderr = refuses_to_start(&dir).await;
        assert!(
            stderr.contains("token key file")
                && stderr.contains("is damaged")
                && stderr.contains("left it untouched"),
            "{stderr}"
        );
    }
    // Restored, the directory starts again with its repository.
    std::fs::write(token_key_file(&dir), &original).unwrap();
    let server = start_on(&dir).await;
    assert!(repositories(server.addr).await.contains_key("app"));
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// Images: uploads and PutImage from 16 clients, killed mid-storm
// ---------------------------------------------------------------------------------------

/// Each image storm is killed once this many images were acknowledged (or after
/// [`STORM_LIMIT`]).
const KILL_AFTER_IMAGES: usize = 120;

/// An image a client was told is stored: its tag, exact manifest and the blobs it names.
#[derive(Debug, Clone)]
struct PushedImage {
    tag: String,
    digest: String,
    manifest: String,
    blobs: Vec<(String, Vec<u8>)>,
}

fn sha256_of(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{:x}", sha2::Sha256::digest(bytes))
}

/// Uploads `data` as one layer part; `None` once the server is gone.
async fn try_push_blob(addr: SocketAddr, repository: &str, data: &[u8]) -> Option<String> {
    use base64::Engine as _;
    let started = try_call(
        addr,
        "InitiateLayerUpload",
        &json!({ "repositoryName": repository }),
    )
    .await
    .ok()?;
    assert_eq!(started.status, 200, "{}", started.text());
    let upload_id = started.json()["uploadId"].as_str().unwrap().to_owned();
    let part = json!({
        "repositoryName": repository,
        "uploadId": upload_id,
        "partFirstByte": 0,
        "partLastByte": data.len() - 1,
        "layerPartBlob": base64::engine::general_purpose::STANDARD.encode(data),
    });
    let sent = try_call(addr, "UploadLayerPart", &part).await.ok()?;
    assert_eq!(sent.status, 200, "{}", sent.text());
    let digest = sha256_of(data);
    let complete = json!({
        "repositoryName": repository,
        "uploadId": upload_id,
        "layerDigests": [digest],
    });
    let done = try_call(addr, "CompleteLayerUpload", &complete)
        .await
        .ok()?;
    // Another client may have pushed the same bytes first: still there, as one blob.
    match done.status {
        200 => assert_eq!(done.json()["layerDigest"], json!(digest)),
        _ => assert_eq!(
            done.error_type(),
            "LayerAlreadyExistsException",
            "{}",
            done.text()
        ),
    }
    Some(digest)
}

/// One client: layers, a config and PutImage, image after image, until the server dies.
async fn image_client(
    addr: SocketAddr,
    round: usize,
    client: usize,
    pushed: Arc<Mutex<Vec<PushedImage>>>,
    count: Arc<AtomicUsize>,
) {
    for i in 0.. {
        // Sizes vary so that some writes straddle the moment of the kill.
        let layer: Vec<u8> = (0..(16 * 1024 + (client * 7919 + i * 104_729) % (384 * 1024)))
            .map(|n| (n * 31 + client + i) as u8)
            .collect();
        let config = format!(r#"{{"os":"linux","round":{round},"client":{client},"i":{i}}}"#);
        let Some(layer_digest) = try_push_blob(addr, "images", &layer).await else {
            return;
        };
        let Some(config_digest) = try_push_blob(addr, "images", config.as_bytes()).await else {
            return;
        };
        let manifest = format!(
            "{{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n  \"config\": {{\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"size\": {}, \"digest\": \"{config_digest}\"}},\n  \"layers\": [{{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar\", \"size\": {}, \"digest\": \"{layer_digest}\"}}]\n}}\n",
            config.len(),
            layer.len(),
        );
        let tag = format!("r{round}-c{client}-{i}");
        let put = json!({ "repositoryName": "images", "imageManifest": manifest, "imageTag": tag });
        match try_call(addr, "PutImage", &put).await {
            Ok(response) if response.status == 200 => {
                let digest = response.json()["image"]["imageId"]["imageDigest"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                assert_eq!(digest, sha256_of(manifest.as_bytes()));
                pushed.lock().await.push(PushedImage {
                    tag,
                    digest,
                    manifest,
                    blobs: vec![(layer_digest, layer), (config_digest, config.into_bytes())],
                });
                count.fetch_add(1, Ordering::Relaxed);
            }
            Ok(response) => panic!("put {tag}: {}", response.text()),
            Err(_) => return,
        }
    }
}

/// Every file under `DIR/blobs/sha256/` is whole: its content hashes to its name.
fn check_blob_files(dir: &Path) -> usize {
    let root = dir.join("blobs").join("sha256");
    let mut checked = 0;
    for prefix in std::fs::read_dir(&root).unwrap() {
        let prefix = prefix.unwrap().path();
        for blob in std::fs::read_dir(&prefix).unwrap() {
            let path = blob.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(
                sha256_of(&bytes),
                format!("sha256:{name}"),
                "a visible blob file is not whole: {}",
                path.display()
            );
            checked += 1;
        }
    }
    checked
}

/// Every acknowledged image reads back exactly after the restart, with its tag and blobs.
async fn check_images(addr: SocketAddr, pushed: &[PushedImage]) {
    for image in pushed {
        let got = ok(
            addr,
            "BatchGetImage",
            json!({ "repositoryName": "images", "imageIds": [{ "imageTag": image.tag }] }),
        )
        .await;
        assert_eq!(got["failures"], json!([]), "{}: lost", image.tag);
        assert_eq!(
            got["images"][0]["imageId"]["imageDigest"],
            json!(image.digest)
        );
        assert_eq!(
            got["images"][0]["imageManifest"].as_str(),
            Some(image.manifest.as_str()),
            "{}: the manifest changed",
            image.tag
        );
        for (digest, bytes) in &image.blobs {
            let checked = ok(
                addr,
                "BatchCheckLayerAvailability",
                json!({ "repositoryName": "images", "layerDigests": [digest] }),
            )
            .await;
            assert_eq!(
                checked["layers"][0]["layerSize"],
                json!(bytes.len()),
                "{digest}"
            );
        }
    }
    // Downloading a sample proves the bytes behind the metadata are the right ones.
    for image in pushed.iter().step_by(17) {
        let (digest, bytes) = &image.blobs[0];
        let url = ok(
            addr,
            "GetDownloadUrlForLayer",
            json!({ "repositoryName": "images", "layerDigest": digest }),
        )
        .await;
        let url = url["downloadUrl"].as_str().unwrap();
        let path = &url[url.find("/_berth/").expect("a URL on Berth itself")..];
        let response = get(addr, path).await;
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(&response.body[..], &bytes[..], "{digest}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sigkill_mid_push_storm_keeps_every_acknowledged_image_and_whole_blobs() {
    let dir = TempDir::new("image-storm");
    let mut server = start_on(&dir).await;
    ok(
        server.addr,
        "CreateRepository",
        json!({ "repositoryName": "images" }),
    )
    .await;
    let mut all: Vec<PushedImage> = Vec::new();
    for round in 0..2 {
        let pushed = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let task = image_client(server.addr, round, client, pushed.clone(), count.clone());
                tokio::spawn(task)
            })
            .collect();
        let deadline = tokio::time::Instant::now() + STORM_LIMIT;
        while count.load(Ordering::Relaxed) < KILL_AFTER_IMAGES
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill().await;
        for client in clients {
            tokio::time::timeout(TIMEOUT, client)
                .await
                .expect("clients stop once the server is gone")
                .expect("no client saw an error answer");
        }
        all.extend(std::mem::take(&mut *pushed.lock().await));
        assert!(
            all.len() >= KILL_AFTER_IMAGES / 2,
            "the storm pushed little: {}",
            all.len()
        );

        server = start_on(&dir).await;
        let blobs = check_blob_files(dir.path());
        check_images(server.addr, &all).await;
        eprintln!(
            "round {round}: {} images acknowledged so far, {blobs} whole blob files",
            all.len()
        );
    }
    server.stop().await;
}
