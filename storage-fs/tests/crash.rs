//! A real crash: a child process publishes blobs in a loop and is killed with SIGKILL
//! mid-stream; reopening the directory finds every acknowledged blob, and every file under
//! `blobs/` whole and matching its digest.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ecr_impl::store::blobs::{BlobStore, Sha256Digest, Sha256Hasher, Sha256Writer, UploadId};
use storage_fs::FsBlobStore;
use support::{collect, files_under, oracle_digest, pattern};

/// Set (to the data directory) in the child process only.
const CHILD_DIR_VAR: &str = "STORAGE_FS_CRASH_CHILD_DIR";
const BLOB_BYTES: usize = 2 * 1024 * 1024;
const FRAME_BYTES: usize = 64 * 1024;
/// Blobs the child acknowledges before the parent kills it.
const ACKNOWLEDGED_BEFORE_KILL: usize = 4;
/// The child stops by itself after this long, should the parent never kill it.
const CHILD_DEADLINE: Duration = Duration::from_secs(60);

/// The child: publishes distinct blobs until killed, printing each digest once published.
#[tokio::test]
#[ignore = "run by killed_mid_stream_no_blob_is_partial_and_every_acknowledged_one_is_there"]
async fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR_VAR) else {
        return;
    };
    let store = FsBlobStore::open(Path::new(&dir)).unwrap();
    let started = Instant::now();
    // Each run its own blobs, so a restarted child does not just publish duplicates.
    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    while started.elapsed() < CHILD_DEADLINE {
        seed += 1;
        let bytes = pattern(seed, BLOB_BYTES);
        let upload = UploadId::random();
        let staged = store.stage(&upload, 0).await.unwrap();
        let mut writer = Sha256Writer::new(staged, Sha256Hasher::new());
        for frame in bytes.chunks(FRAME_BYTES) {
            writer.append(Bytes::copy_from_slice(frame)).await.unwrap();
        }
        let digest = writer.sync().await.unwrap().digest();
        println!("publishing {digest}");
        store.publish(&upload, &digest).await.unwrap();
        store.discard(&upload).await.unwrap();
        println!("published {digest}");
    }
}

/// Runs the child on `dir` until it has acknowledged `ACKNOWLEDGED_BEFORE_KILL` more blobs
/// and begun publishing the next, waits `delay`, kills it; returns what it acknowledged.
fn run_and_kill(dir: &Path, delay: Duration) -> Vec<Sha256Digest> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR_VAR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acknowledged = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("the child publishes").unwrap();
        if let Some(digest) = line.strip_prefix("published ") {
            acknowledged.push(digest.parse().unwrap());
        } else if line.starts_with("publishing ") && acknowledged.len() >= ACKNOWLEDGED_BEFORE_KILL
        {
            break;
        }
    }
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    acknowledged
}

#[tokio::test]
async fn killed_mid_stream_no_blob_is_partial_and_every_acknowledged_one_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged = Vec::new();
    // Killed at several moments of a publish (its fsync, its rename, the next upload), each
    // time restarting on the same directory.
    for delay_ms in [0, 1, 2, 3, 5, 8, 13] {
        acknowledged.extend(run_and_kill(dir.path(), Duration::from_millis(delay_ms)));

        let store = FsBlobStore::open(dir.path()).unwrap();
        let listed = store.blobs_after(None, 1000).await.unwrap();
        for digest in &acknowledged {
            assert!(listed.contains(digest), "acknowledged {digest} is missing");
        }
        for digest in &listed {
            let bytes = collect(store.open(digest, 0..BLOB_BYTES as u64).await.unwrap())
                .await
                .unwrap();
            assert_eq!(oracle_digest(&bytes), *digest, "a blob matches its name");
        }
        // Under blobs/ nothing but those whole blobs.
        assert_eq!(files_under(&dir.path().join("blobs")).len(), listed.len());
        println!(
            "killed {delay_ms} ms into a publish: {} acknowledged, {} blobs, {} uploads staged",
            acknowledged.len(),
            listed.len(),
            store.uploads_after(None, 1000).await.unwrap().len()
        );
    }
}
