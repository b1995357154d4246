//! The real `berth` binary as an open registry (`--registry-auth none`) on a data directory,
//! driven over `/v2` with raw HTTP: a SIGKILL in the middle of 8 concurrent pushes loses no
//! acknowledged manifest, never serves a partial blob, and an upload the kill interrupted
//! can be continued (its status says where it is) or restarted; and 10,000 upload sessions
//! opened and abandoned leave the registry answering and healthy.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use support::process::{BerthProcess, berth_command};
use support::{HttpResponse, TIMEOUT, call, get, try_request};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// Clients pushing at once during a storm (issue 11: "8 concurrent pushes").
const CLIENTS: usize = 8;
/// Storms (kill, restart, check) one after another on the same directory.
const ROUNDS: usize = 2;
/// Each storm is killed once this many manifests were acknowledged...
const KILL_AFTER_MANIFESTS: usize = 40;
/// ...or after this long, whichever comes first.
const STORM_LIMIT: Duration = Duration::from_secs(15);
/// The smallest chunk other than an upload's last (ECR's smallest layer part).
const MIN_CHUNK: usize = ecr_impl::layers::MIN_CHUNK_LENGTH as usize;
/// Upload sessions opened and abandoned (issue 11's hostile input).
const ABANDONED_SESSIONS: usize = 10_000;
/// Bytes sent of a chunk the kill interrupts (half of what its head announces).
const UNFINISHED_CHUNK: usize = 1024 * 1024;
/// Connections opening them at once.
const SESSION_WORKERS: usize = 8;

const REPOSITORY: &str = "storm";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// A scratch directory under cargo's space for integration tests, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(purpose: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("registry-durable")
            .join(format!("{purpose}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `berth --port 0 --data-dir DIR --registry-auth none` (quiet), started.
async fn start_on(dir: &TempDir) -> BerthProcess {
    let mut command = berth_command([
        "--port",
        "0",
        "--log",
        "warn",
        "--registry-auth",
        "none",
        "--data-dir",
    ]);
    command.arg(dir.path());
    BerthProcess::start(command).await
}

async fn create_repository(addr: SocketAddr, name: &str) {
    let created = call(
        addr,
        "CreateRepository",
        &format!(r#"{{"repositoryName":"{name}"}}"#),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text());
}

/// An answer from a server that is up: a registry answer, never a 5xx.
#[track_caller]
fn registry_answer(what: &str, response: &HttpResponse) {
    assert!(
        response.status < 500,
        "{what}: {} {}",
        response.status,
        response.text()
    );
    assert_eq!(
        response.header("docker-distribution-api-version"),
        Some("registry/2.0"),
        "{what}"
    );
}

/// One `/v2` request on its own connection; fails only where the connection does (the
/// server being killed).
async fn try_send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<HttpResponse> {
    let response = try_request(addr, method, path, headers, body).await?;
    registry_answer(&format!("{method} {path}"), &response);
    Ok(response)
}

/// [`try_send`], which must get an answer.
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    try_send(addr, method, path, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// A HEAD on its own connection: the answer's head only (its `Content-Length` describes a
/// body that does not follow, which the shared reader would wait for).
async fn try_head(addr: SocketAddr, path: &str) -> io::Result<HttpResponse> {
    let raw = support::head(
        &addr.to_string(),
        "HEAD",
        path,
        &[("Connection", "close")],
        0,
    );
    let bytes = tokio::time::timeout(TIMEOUT, async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(raw.as_bytes()).await?;
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await?;
        Ok::<_, io::Error>(bytes)
    })
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer in time"))??;
    let text = String::from_utf8_lossy(&bytes);
    let Some((head, rest)) = text.split_once("\r\n\r\n") else {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("no whole head: {text:?}"),
        ));
    };
    assert!(rest.is_empty(), "a HEAD answer has a body: {text}");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_default();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let response = HttpResponse::from_response(conformance::http::Response {
        status,
        headers,
        body: Vec::new(),
    });
    registry_answer(&format!("HEAD {path}"), &response);
    Ok(response)
}

/// The number of bytes an upload's `Range: 0-<last>` says it has (`0-0` is none: no chunk
/// this test sends is one byte long).
fn received(response: &HttpResponse) -> usize {
    let range = response
        .header("range")
        .unwrap_or_else(|| panic!("no Range in {response:?}"));
    let last: usize = range
        .strip_prefix("0-")
        .and_then(|last| last.parse().ok())
        .unwrap_or_else(|| panic!("Range {range:?}"));
    if last == 0 { 0 } else { last + 1 }
}

/// A blob upload the server went away in the middle of.
#[derive(Debug)]
struct Interrupted {
    /// The session, once its POST was answered.
    location: Option<String>,
    /// The bytes an acknowledged PATCH said the session has.
    acknowledged: usize,
    data: Arc<Vec<u8>>,
}

/// Uploads `data` as one blob: POST a session, PATCH chunks (all but the last at least
/// [`MIN_CHUNK`] long), PUT `?digest=` (with the last chunk as its body when
/// `last_in_put`). `Err` with what was done when the connection fails.
async fn upload(
    addr: SocketAddr,
    data: &Arc<Vec<u8>>,
    last_in_put: bool,
) -> Result<(), Interrupted> {
    let mut progress = Interrupted {
        location: None,
        acknowledged: 0,
        data: data.clone(),
    };
    let path = format!("/v2/{REPOSITORY}/blobs/uploads/");
    let Ok(started) = try_send(addr, "POST", &path, &[], b"").await else {
        return Err(progress);
    };
    assert_eq!(started.status, 202, "{}", started.text());
    let location = started.header("location").unwrap().to_owned();
    progress.location = Some(location.clone());
    let chunks: Vec<&[u8]> = data.chunks(MIN_CHUNK).collect();
    let patched = if last_in_put {
        chunks.len() - 1
    } else {
        chunks.len()
    };
    for chunk in &chunks[..patched] {
        let range = format!(
            "{}-{}",
            progress.acknowledged,
            progress.acknowledged + chunk.len() - 1
        );
        let headers = [
            ("Content-Range", range.as_str()),
            ("Content-Type", "application/octet-stream"),
        ];
        let Ok(answer) = try_send(addr, "PATCH", &location, &headers, chunk).await else {
            return Err(progress);
        };
        assert_eq!(answer.status, 202, "PATCH {range}: {}", answer.text());
        assert_eq!(
            answer.header("range"),
            Some(format!("0-{}", range.split_once('-').unwrap().1).as_str())
        );
        progress.acknowledged += chunk.len();
    }
    match finish(addr, &location, data, progress.acknowledged).await {
        Ok(()) => Ok(()),
        Err(_) => Err(progress),
    }
}

/// PUT `location?digest=` with the bytes of `data` from `from` on as the last chunk.
async fn put_rest(
    addr: SocketAddr,
    location: &str,
    data: &[u8],
    from: usize,
) -> io::Result<HttpResponse> {
    let path = format!("{location}?digest={}", sha256(data));
    let rest = &data[from..];
    let range = format!("{from}-{}", data.len().saturating_sub(1));
    let headers: Vec<(&str, &str)> = if rest.is_empty() {
        vec![]
    } else {
        vec![
            ("Content-Range", range.as_str()),
            ("Content-Type", "application/octet-stream"),
        ]
    };
    try_send(addr, "PUT", &path, &headers, rest).await
}

/// [`put_rest`], which must complete the upload.
async fn finish(addr: SocketAddr, location: &str, data: &[u8], from: usize) -> io::Result<()> {
    let done = put_rest(addr, location, data, from).await?;
    assert_eq!(done.status, 201, "PUT {location}: {}", done.text());
    assert_eq!(
        done.header("docker-content-digest"),
        Some(sha256(data).as_str())
    );
    Ok(())
}

/// How an interrupted upload was brought to an end after the restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Resumed {
    /// Its session said where it was, and the rest completed it.
    Continued,
    /// The session was gone and the blob was there (its completion was stored, or another
    /// client pushed the same bytes).
    AlreadyThere,
    /// The session was gone (or never answered): a new one uploaded the blob.
    Restarted,
    /// The session had every byte but its completion was cut off halfway: a new one
    /// uploaded the blob.
    CompletionCut,
}

/// Brings `interrupted` to an end on a restarted server, then checks the blob reads back.
async fn resume(addr: SocketAddr, interrupted: &Interrupted) -> Resumed {
    let data = &interrupted.data;
    let digest = sha256(data);
    let mut how = Resumed::Restarted;
    if let Some(location) = &interrupted.location {
        let status = send(addr, "GET", location, &[], b"").await;
        match status.status {
            204 => {
                let at = received(&status);
                // What was acknowledged is kept; a chunk whose answer the kill cut off may
                // be counted too, but only whole.
                let boundaries = [0, MIN_CHUNK.min(data.len()), data.len()];
                assert!(
                    at >= interrupted.acknowledged && boundaries.contains(&at),
                    "{location}: at {at}, acknowledged {} of {}",
                    interrupted.acknowledged,
                    data.len()
                );
                let done = put_rest(addr, location, data, at).await.unwrap();
                if done.status == 404 && at == data.len() {
                    // Its bytes were published as a blob, and the kill came before the
                    // commit that ends the upload: it is over, and a new one starts.
                    assert_eq!(oci_code(&done), "BLOB_UPLOAD_UNKNOWN", "{}", done.text());
                    how = Resumed::CompletionCut;
                } else {
                    assert_eq!(done.status, 201, "PUT {location}: {}", done.text());
                    assert_eq!(done.header("docker-content-digest"), Some(digest.as_str()));
                    how = Resumed::Continued;
                }
            }
            404 => {
                let code = oci_code(&status);
                assert_eq!(code, "BLOB_UPLOAD_UNKNOWN", "{}", status.text());
                if interrupted.acknowledged > 0 {
                    // A session that had acknowledged bytes ends only by completing (its
                    // answer cut off by the kill): the blob must be there.
                    let blob = format!("/v2/{REPOSITORY}/blobs/{digest}");
                    let head = try_head(addr, &blob).await.unwrap();
                    assert_eq!(head.status, 200, "{location}: acknowledged bytes lost");
                }
            }
            other => panic!("GET {location}: {other} {}", status.text()),
        }
    }
    if matches!(how, Resumed::Restarted | Resumed::CompletionCut) {
        let blob = format!("/v2/{REPOSITORY}/blobs/{digest}");
        if try_head(addr, &blob).await.unwrap().status == 200 {
            how = Resumed::AlreadyThere;
        } else {
            upload(addr, data, data.len() % 2 == 0)
                .await
                .unwrap_or_else(|e| panic!("a new session for {digest}: {e:?}"));
        }
    }
    check_blob(addr, &digest, data).await;
    how
}

fn oci_code(response: &HttpResponse) -> String {
    response.json()["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Blob `digest` is in the repository: HEAD gives its size and digest, GET its exact bytes.
async fn check_blob(addr: SocketAddr, digest: &str, data: &[u8]) {
    let path = format!("/v2/{REPOSITORY}/blobs/{digest}");
    let head = try_head(addr, &path).await.unwrap();
    assert_eq!(head.status, 200, "HEAD {path}");
    assert_eq!(
        head.header("content-length"),
        Some(data.len().to_string().as_str()),
        "HEAD {path}"
    );
    assert_eq!(head.header("docker-content-digest"), Some(digest));
    let got = send(addr, "GET", &path, &[], b"").await;
    assert_eq!(got.status, 200, "GET {path}: {}", got.text());
    assert_eq!(sha256(&got.body), digest, "GET {path}: other bytes");
    assert_eq!(got.body.len(), data.len());
}

/// A blob the client may or may not have completed: absent (BLOB_UNKNOWN), or whole.
async fn check_never_partial(addr: SocketAddr, digest: &str, data: &[u8]) -> bool {
    let path = format!("/v2/{REPOSITORY}/blobs/{digest}");
    let got = send(addr, "GET", &path, &[], b"").await;
    match got.status {
        200 => {
            assert_eq!(sha256(&got.body), digest, "GET {path}: a partial blob");
            assert_eq!(got.body.len(), data.len());
            true
        }
        404 => {
            assert_eq!(oci_code(&got), "BLOB_UNKNOWN", "{}", got.text());
            false
        }
        other => panic!("GET {path}: {other} {}", got.text()),
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
                sha256(&bytes),
                format!("sha256:{name}"),
                "a visible blob file is not whole: {}",
                path.display()
            );
            checked += 1;
        }
    }
    checked
}

/// An image the registry acknowledged (201 to its manifest PUT by tag).
#[derive(Debug, Clone)]
struct Pushed {
    tag: String,
    manifest: Vec<u8>,
    blobs: Vec<String>,
}

/// What the clients of a storm share: the acknowledged images, every blob they meant to
/// push (by digest), and how many images were acknowledged.
#[derive(Default)]
struct Storm {
    pushed: Mutex<Vec<Pushed>>,
    blobs: Mutex<BTreeMap<String, Arc<Vec<u8>>>>,
    count: AtomicUsize,
}

/// `len` bytes that differ for every `seed` (the seed leads, so no two blobs collide).
fn bytes_of(seed: &str, len: usize) -> Vec<u8> {
    let mut bytes = seed.as_bytes().to_vec();
    let mix = sha256(seed.as_bytes()).as_bytes()[7] as usize;
    let start = bytes.len();
    bytes.extend((start..len).map(|n| (n * 31 + mix + n / 251) as u8));
    bytes.truncate(len.max(seed.len()));
    bytes
}

fn manifest_of(config: (&str, usize), layers: &[(&str, usize)]) -> Vec<u8> {
    let layers: Vec<String> = layers
        .iter()
        .map(|(digest, size)| {
            format!(r#"{{"mediaType":"{OCI_LAYER}","digest":"{digest}","size":{size}}}"#)
        })
        .collect();
    format!(
        "{{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"{OCI_MANIFEST}\",\n  \"config\": {{\"mediaType\": \"{OCI_CONFIG}\", \"digest\": \"{}\", \"size\": {}}},\n  \"layers\": [{}]\n}}\n",
        config.0,
        config.1,
        layers.join(", ")
    )
    .into_bytes()
}

/// One client: images of a shared base layer (pushed once it is missing), a layer of its
/// own (every fourth longer than a chunk, so in two) and a config, each pushed in chunks,
/// then the manifest by tag; until the server goes away. Returns the upload it was in.
async fn storm_client(
    addr: SocketAddr,
    round: usize,
    client: usize,
    base: Arc<Vec<u8>>,
    storm: Arc<Storm>,
) -> Option<Interrupted> {
    let base_digest = sha256(&base);
    for i in 0.. {
        let tag = format!("r{round}-c{client}-{i}");
        // Sizes vary so that some writes straddle the moment of the kill.
        let mut own_len = 1024 + (client * 7919 + i * 104_729 + round * 31) % (768 * 1024);
        if (client + i) % 4 == 3 {
            own_len += MIN_CHUNK;
        }
        let own = Arc::new(bytes_of(&format!("layer {tag}"), own_len));
        let config = Arc::new(
            format!(r#"{{"os":"linux","architecture":"amd64","tag":"{tag}"}}"#).into_bytes(),
        );
        let mut blobs = vec![(base.clone(), false)];
        blobs.push((own.clone(), i % 2 == 0));
        blobs.push((config.clone(), true));
        for (data, last_in_put) in blobs {
            let digest = sha256(&data);
            storm
                .blobs
                .lock()
                .await
                .insert(digest.clone(), data.clone());
            if digest == base_digest {
                // As docker does: a blob the repository has is not pushed again.
                let blob = format!("/v2/{REPOSITORY}/blobs/{digest}");
                match try_head(addr, &blob).await {
                    Ok(answer) if answer.status == 200 => continue,
                    Ok(answer) => assert_eq!(answer.status, 404, "HEAD {blob}"),
                    Err(_) => return None,
                }
            }
            if let Err(interrupted) = upload(addr, &data, last_in_put).await {
                return Some(interrupted);
            }
        }
        let manifest = manifest_of(
            (&sha256(&config), config.len()),
            &[(&base_digest, base.len()), (&sha256(&own), own.len())],
        );
        let path = format!("/v2/{REPOSITORY}/manifests/{tag}");
        let headers = [("Content-Type", OCI_MANIFEST)];
        let Ok(put) = try_send(addr, "PUT", &path, &headers, &manifest).await else {
            return None;
        };
        assert_eq!(put.status, 201, "PUT {path}: {}", put.text());
        assert_eq!(
            put.header("docker-content-digest"),
            Some(sha256(&manifest).as_str())
        );
        storm.pushed.lock().await.push(Pushed {
            tag,
            blobs: vec![base_digest.clone(), sha256(&own), sha256(&config)],
            manifest,
        });
        storm.count.fetch_add(1, Ordering::Relaxed);
    }
    unreachable!("a client pushes until the server is gone")
}

/// After a restart: every acknowledged image pulls by tag, exactly; every blob it names is
/// whole; any other blob a client sent is absent or whole, never partial.
async fn check_storm(addr: SocketAddr, pushed: &[Pushed], blobs: &BTreeMap<String, Arc<Vec<u8>>>) {
    let mut named = BTreeSet::new();
    for image in pushed {
        let path = format!("/v2/{REPOSITORY}/manifests/{}", image.tag);
        let got = send(addr, "GET", &path, &[("Accept", OCI_MANIFEST)], b"").await;
        assert_eq!(got.status, 200, "GET {path}: lost: {}", got.text());
        assert!(got.body == image.manifest, "GET {path}: other bytes");
        assert_eq!(
            got.header("docker-content-digest"),
            Some(sha256(&image.manifest).as_str())
        );
        assert_eq!(got.header("content-type"), Some(OCI_MANIFEST));
        named.extend(image.blobs.iter().cloned());
    }
    for digest in &named {
        check_blob(addr, digest, &blobs[digest]).await;
    }
    for (digest, data) in blobs {
        if !named.contains(digest) {
            check_never_partial(addr, digest, data).await;
        }
    }
}

/// Opens a session and has one chunk of [`MIN_CHUNK`] bytes acknowledged, then starts a
/// second chunk (other bytes than the blob's, longer than its rest) that never ends: the
/// kill is sure to interrupt it with unacknowledged bytes staged. Returns the upload and
/// the connection of the unfinished chunk, to hold open until the kill.
async fn half_upload(addr: SocketAddr, round: usize) -> (Interrupted, TcpStream) {
    let data = Arc::new(bytes_of(
        &format!("held open in round {round}"),
        MIN_CHUNK + 600_000,
    ));
    let path = format!("/v2/{REPOSITORY}/blobs/uploads/");
    let started = send(addr, "POST", &path, &[], b"").await;
    assert_eq!(started.status, 202, "{}", started.text());
    let location = started.header("location").unwrap().to_owned();
    let range = format!("0-{}", MIN_CHUNK - 1);
    let patched = send(
        addr,
        "PATCH",
        &location,
        &[("Content-Range", &range)],
        &data[..MIN_CHUNK],
    )
    .await;
    assert_eq!(patched.status, 202, "{}", patched.text());
    assert_eq!(patched.header("range"), Some(range.as_str()));

    let garbage = vec![0x5a; 2 * UNFINISHED_CHUNK];
    let head = support::head(&addr.to_string(), "PATCH", &location, &[], garbage.len());
    let mut unfinished = TcpStream::connect(addr).await.unwrap();
    unfinished.write_all(head.as_bytes()).await.unwrap();
    unfinished
        .write_all(&garbage[..UNFINISHED_CHUNK])
        .await
        .unwrap();
    let upload = Interrupted {
        location: Some(location),
        acknowledged: MIN_CHUNK,
        data,
    };
    (upload, unfinished)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sigkill_mid_registry_push_storm_keeps_every_acknowledged_manifest_and_whole_blobs() {
    let dir = TempDir::new("storm");
    let mut server = start_on(&dir).await;
    create_repository(server.addr, REPOSITORY).await;
    let mut pushed: Vec<Pushed> = Vec::new();
    let mut blobs: BTreeMap<String, Arc<Vec<u8>>> = BTreeMap::new();
    for round in 0..ROUNDS {
        let (held, unfinished) = half_upload(server.addr, round).await;
        let base = Arc::new(bytes_of(&format!("base of round {round}"), 1_500_000));
        let storm = Arc::new(Storm::default());
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let task = storm_client(server.addr, round, client, base.clone(), storm.clone());
                tokio::spawn(task)
            })
            .collect();
        let deadline = tokio::time::Instant::now() + STORM_LIMIT;
        while storm.count.load(Ordering::Relaxed) < KILL_AFTER_MANIFESTS
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill().await;
        drop(unfinished);
        let mut interrupted = vec![held];
        for client in clients {
            let stopped = tokio::time::timeout(TIMEOUT, client)
                .await
                .expect("clients stop once the server is gone")
                .expect("no client saw a wrong answer");
            interrupted.extend(stopped);
        }
        let storm = Arc::into_inner(storm).expect("the clients are done");
        let acknowledged = storm.count.into_inner();
        assert!(
            acknowledged >= KILL_AFTER_MANIFESTS / 2,
            "the storm pushed little: {acknowledged}"
        );
        pushed.extend(storm.pushed.into_inner());
        blobs.extend(storm.blobs.into_inner());

        server = start_on(&dir).await;
        let files = check_blob_files(dir.path());
        check_storm(server.addr, &pushed, &blobs).await;
        // The upload held open was acknowledged up to its first chunk: it continues from
        // there, without the bytes of the chunk the kill cut off.
        let mut resumed = vec![resume(server.addr, &interrupted[0]).await];
        assert_eq!(resumed[0], Resumed::Continued);
        for upload in &interrupted[1..] {
            resumed.push(resume(server.addr, upload).await);
        }
        eprintln!(
            "round {round}: {acknowledged} manifests acknowledged ({} in all), {files} whole \
             blob files, interrupted uploads: {resumed:?}",
            pushed.len()
        );
    }
    server.stop().await;
}

/// The file named `name` somewhere under `dir`.
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|file| file == name) {
            return Some(path);
        }
    }
    None
}

/// The storm's rarest moment, made on purpose: the kill lands after an upload's bytes were
/// published as a blob (the staged file renamed into `blobs/`) and before the commit that
/// links the blob and ends the upload. The session still says it has every byte; its
/// completion is refused as an unknown upload (no 5xx), and a new session pushes the blob.
#[tokio::test]
async fn a_kill_between_publishing_a_blob_and_ending_its_upload_lets_a_new_upload_push_it() {
    let dir = TempDir::new("publish-cut");
    let server = start_on(&dir).await;
    create_repository(server.addr, REPOSITORY).await;
    let data = Arc::new(bytes_of("published, never linked", 300_000));
    let path = format!("/v2/{REPOSITORY}/blobs/uploads/");
    let started = send(server.addr, "POST", &path, &[], b"").await;
    assert_eq!(started.status, 202, "{}", started.text());
    let location = started.header("location").unwrap().to_owned();
    let id = started.header("docker-upload-uuid").unwrap().to_owned();
    let patched = send(server.addr, "PATCH", &location, &[], &data).await;
    assert_eq!(patched.status, 202, "{}", patched.text());
    server.kill().await;

    // What publishing does first: the staged bytes become the blob, by a rename.
    let staged = find_file(dir.path(), &id).expect("the upload's bytes are staged");
    let hex = sha256(&data)["sha256:".len()..].to_owned();
    let blob = dir.path().join("blobs").join("sha256").join(&hex[..2]);
    std::fs::create_dir_all(&blob).unwrap();
    std::fs::rename(&staged, blob.join(&hex)).unwrap();

    let server = start_on(&dir).await;
    let interrupted = Interrupted {
        location: Some(location.clone()),
        acknowledged: data.len(),
        data: data.clone(),
    };
    assert_eq!(
        resume(server.addr, &interrupted).await,
        Resumed::CompletionCut
    );
    let gone = send(server.addr, "GET", &location, &[], b"").await;
    assert_eq!(gone.status, 404, "{}", gone.text());
    assert_eq!(oci_code(&gone), "BLOB_UPLOAD_UNKNOWN");
    server.stop().await;
}

/// One kept-alive connection, for many small requests without a connection each.
struct Connection {
    addr: SocketAddr,
    stream: BufReader<TcpStream>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Connection {
        let stream = TcpStream::connect(addr).await.unwrap();
        Connection {
            addr,
            stream: BufReader::new(stream),
        }
    }

    /// A request without a body; its answer must say its length.
    async fn send(&mut self, method: &str, path: &str) -> HttpResponse {
        let raw = support::head(&self.addr.to_string(), method, path, &[], 0);
        tokio::time::timeout(TIMEOUT, async {
            self.stream.get_mut().write_all(raw.as_bytes()).await?;
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                if self.stream.read_until(b'\n', &mut head).await? == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
                }
            }
            let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
            let length: usize = text
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map(|value| value.trim().parse().unwrap())
                .unwrap_or_else(|| panic!("no Content-Length: {text}"));
            let mut body = vec![0; length];
            self.stream.read_exact(&mut body).await?;
            head.extend_from_slice(&body);
            conformance::http::parse_response(&head).map(HttpResponse::from_response)
        })
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer in time"))
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_abandoned_upload_sessions_leave_the_registry_healthy() {
    let dir = TempDir::new("abandoned");
    let server = start_on(&dir).await;
    let addr = server.addr;
    create_repository(addr, REPOSITORY).await;
    let started = std::time::Instant::now();
    let workers: Vec<_> = (0..SESSION_WORKERS)
        .map(|_| {
            tokio::spawn(async move {
                let mut connection = Connection::open(addr).await;
                let path = format!("/v2/{REPOSITORY}/blobs/uploads/");
                let mut ids = Vec::new();
                for _ in 0..ABANDONED_SESSIONS / SESSION_WORKERS {
                    let answer = connection.send("POST", &path).await;
                    registry_answer(&format!("POST {path}"), &answer);
                    assert_eq!(answer.status, 202, "{}", answer.text());
                    assert_eq!(answer.header("range"), Some("0-0"));
                    ids.push(answer.header("docker-upload-uuid").unwrap().to_owned());
                }
                ids
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for worker in workers {
        ids.extend(worker.await.expect("every session was started"));
    }
    assert_eq!(
        ids.len(),
        ABANDONED_SESSIONS,
        "every session has its own id"
    );
    eprintln!(
        "{ABANDONED_SESSIONS} sessions opened in {:?}",
        started.elapsed()
    );

    // Healthy: the health endpoint, a whole push and pull, an abandoned session's status.
    let healthy = |addr| async move {
        let health = get(addr, "/_berth/health").await;
        assert_eq!(health.status, 200, "{}", health.text());
        assert_eq!(health.json()["status"], "ok");
    };
    healthy(addr).await;
    let layer = Arc::new(bytes_of("after the abandoned sessions", MIN_CHUNK + 1000));
    upload(addr, &layer, true).await.unwrap();
    let config = Arc::new(br#"{"os":"linux","architecture":"amd64"}"#.to_vec());
    upload(addr, &config, false).await.unwrap();
    let manifest = manifest_of(
        (&sha256(&config), config.len()),
        &[(&sha256(&layer), layer.len())],
    );
    let path = format!("/v2/{REPOSITORY}/manifests/after");
    let put = send(
        addr,
        "PUT",
        &path,
        &[("Content-Type", OCI_MANIFEST)],
        &manifest,
    )
    .await;
    assert_eq!(put.status, 201, "{}", put.text());
    let some = ids.iter().next().unwrap();
    let status_path = format!("/v2/{REPOSITORY}/blobs/uploads/{some}");
    let status = send(addr, "GET", &status_path, &[], b"").await;
    assert_eq!(status.status, 204, "{}", status.text());
    assert_eq!(status.header("range"), Some("0-0"));

    // And a clean stop and start with all of them still open.
    server.stop().await;
    let server = start_on(&dir).await;
    healthy(server.addr).await;
    let got = send(server.addr, "GET", &path, &[("Accept", OCI_MANIFEST)], b"").await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert!(got.body == manifest);
    check_blob(server.addr, &sha256(&layer), &layer).await;
    let status = send(server.addr, "GET", &status_path, &[], b"").await;
    assert_eq!(status.status, 204, "{}", status.text());
    server.stop().await;
}
