//! A 100 MiB layer through InitiateLayerUpload, UploadLayerPart (10 parts of 10 MiB, base64
//! in the JSON body) and CompleteLayerUpload: its time and the server's RSS growth, beside
//! the floor of the same bytes' unavoidable work done by the harness in the same run.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::api;
use crate::process::{self, Server};

/// The layer: 100 MiB, in ten parts.
pub const LAYER_SIZE: usize = 100 * 1024 * 1024;
/// How often the server's RSS is read during an upload.
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(1);

/// Where Berth keeps state for a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// No `--data-dir`: metadata in memory, blobs in a temporary directory.
    Memory,
    /// `--data-dir DIR`.
    DataDir,
}

impl Mode {
    pub fn title(self) -> &'static str {
        match self {
            Mode::Memory => "in memory (no `--data-dir`)",
            Mode::DataDir => "`--data-dir`",
        }
    }
}

/// One upload of the layer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Run {
    /// From sending InitiateLayerUpload to CompleteLayerUpload's answer.
    pub elapsed: Duration,
    /// Peak RSS during the upload minus RSS just before it.
    pub rss_growth_kib: u64,
    /// The floor: the same bodies' unavoidable work, done by the harness (see [`floor`]).
    pub floor: Duration,
}

#[derive(Debug, Clone)]
pub struct Uploads {
    pub mode: Mode,
    pub runs: Vec<Run>,
}

/// `rounds` uploads of a new 100 MiB layer to one Berth started in `mode`.
pub fn measure(binary: &Path, logs: &Path, mode: Mode, rounds: usize) -> Result<Uploads, String> {
    let scratch = Scratch::new(mode)?;
    let args: Vec<&str> = match mode {
        Mode::Memory => Vec::new(),
        Mode::DataDir => vec!["--data-dir", scratch.data_dir()],
    };
    let log = logs.join(format!("berth-upload-{mode:?}.log").to_lowercase());
    let server = Server::berth_with(binary, &args, &log)?;
    let mut client = server.client()?;
    let mut runs = Vec::new();
    for round in 0..rounds {
        // A new repository and new bytes each round: nothing is already there.
        let repository = format!("bench/upload-{round}");
        crate::ecr::create(&mut client, &repository)?;
        let layer = api::random_bytes(LAYER_SIZE, 1000 + round as u64);
        let digest = api::digest(&layer);
        let mut bodies = api::part_bodies(&repository, &layer);
        drop(layer);
        eprintln!(
            "images: uploading 100 MiB, {}, round {}",
            mode.title(),
            round + 1
        );
        let (elapsed, rss_growth_kib) =
            upload(&server, &mut client, &repository, &mut bodies, &digest)?;
        let floor = floor(&bodies, &scratch.floor_file(round), &digest)?;
        runs.push(Run {
            elapsed,
            rss_growth_kib,
            floor,
        });
    }
    Ok(Uploads { mode, runs })
}

/// The timed upload, with the server's RSS sampled meanwhile.
fn upload(
    server: &Server,
    client: &mut conformance::http::Client,
    repository: &str,
    bodies: &mut [String],
    digest: &str,
) -> Result<(Duration, u64), String> {
    let pid = server.pid();
    let before = server.rss_kib()?;
    // Where the kernel allows it, VmHWM catches a peak between two samples too.
    let peak_tracked = process::reset_peak_rss(pid).is_ok();
    let sampler = RssSampler::start(pid);
    let started = Instant::now();
    let result = (|| {
        let upload_id = api::initiate(client, repository)?;
        for (index, body) in bodies.iter_mut().enumerate() {
            api::set_upload_id(body, &upload_id)?;
            api::upload_part(client, body, api::part_last_byte(index, LAYER_SIZE))?;
        }
        api::complete(client, repository, &upload_id, digest)
    })();
    let elapsed = started.elapsed();
    let mut peak = sampler.stop();
    if peak_tracked {
        peak = peak.max(process::peak_rss_kib(pid)?);
    }
    result?;
    Ok((elapsed, peak.saturating_sub(before)))
}

/// Reads a process's RSS every [`RSS_SAMPLE_EVERY`] until stopped; keeps the largest
/// (the registry suite samples its pushes with it too).
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !stopped.load(Ordering::Relaxed) {
                peak = peak.max(process::rss_kib(pid).unwrap_or(0));
                std::thread::sleep(RSS_SAMPLE_EVERY);
            }
            peak.max(process::rss_kib(pid).unwrap_or(0))
        });
        RssSampler { stop, thread }
    }

    pub fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

/// The floor of the same upload: the ten request bodies go over loopback TCP to a thread
/// of the harness, which parses each as JSON (the part borrowed, not copied),
/// base64-decodes the part, hashes it (sha256) and appends it to `file`, fsyncs the file at
/// the end, and acknowledges each body with one byte, as a response would. No HTTP, no
/// state, buffers reused: what any server must do with these bytes at the least. The
/// digest is checked, so the work is not skipped.
pub fn floor(bodies: &[String], file: &Path, digest: &str) -> Result<Duration, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let count = bodies.len();
    let file = file.to_owned();
    let receiver = std::thread::spawn(move || receive(listener, count, &file));
    let started = Instant::now();
    let mut stream = TcpStream::connect(address).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut ack = [0u8; 1];
    for body in bodies {
        let mut message = Vec::with_capacity(8 + body.len());
        message.extend_from_slice(&(body.len() as u64).to_le_bytes());
        message.extend_from_slice(body.as_bytes());
        stream.write_all(&message).map_err(|e| e.to_string())?;
        stream.read_exact(&mut ack).map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed();
    let received = receiver
        .join()
        .map_err(|_| "the floor's receiver panicked".to_owned())??;
    if received != digest {
        return Err(format!("the floor computed {received}, expected {digest}"));
    }
    Ok(elapsed)
}

/// The member of an UploadLayerPart body the floor reads, borrowed from the body (base64
/// has nothing to unescape).
#[derive(serde::Deserialize)]
struct Part<'a> {
    #[serde(rename = "layerPartBlob", borrow)]
    blob: &'a str,
}

fn receive(listener: TcpListener, count: usize, file: &Path) -> Result<String, String> {
    let (mut stream, _) = listener.accept().map_err(|e| e.to_string())?;
    let mut out = std::fs::File::create(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut hasher = Sha256::new();
    // Buffers reused across parts, as a server's would be.
    let mut body = Vec::new();
    let mut part = Vec::new();
    for index in 0..count {
        let mut length = [0u8; 8];
        stream.read_exact(&mut length).map_err(|e| e.to_string())?;
        let length = u64::from_le_bytes(length) as usize;
        if body.len() < length {
            body.resize(length, 0);
        }
        stream
            .read_exact(&mut body[..length])
            .map_err(|e| e.to_string())?;
        let json: Part =
            serde_json::from_slice(&body[..length]).map_err(|e| format!("floor: {e}"))?;
        part.clear();
        STANDARD
            .decode_vec(json.blob, &mut part)
            .map_err(|e| format!("floor: {e}"))?;
        hasher.update(&part);
        out.write_all(&part).map_err(|e| e.to_string())?;
        if index + 1 == count {
            out.sync_all().map_err(|e| e.to_string())?;
        }
        stream.write_all(&[1]).map_err(|e| e.to_string())?;
    }
    drop(out);
    let _ = std::fs::remove_file(file);
    let hash = hasher.finalize();
    Ok(format!(
        "sha256:{}",
        hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// A directory under the system's temporary directory (where Berth without `--data-dir`
/// keeps its blobs too, so the floor writes to the same file system): Berth's data
/// directory in [`Mode::DataDir`], and the floor's files. Removed when dropped.
struct Scratch {
    root: PathBuf,
    /// `root/data`, as the argument of `--data-dir`.
    data: String,
}

impl Scratch {
    fn new(mode: Mode) -> Result<Scratch, String> {
        let root =
            std::env::temp_dir().join(format!("berth-bench-{}-{mode:?}", std::process::id()));
        let data = root.join("data");
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        let data = data
            .to_str()
            .ok_or_else(|| format!("{} is not UTF-8", data.display()))?
            .to_owned();
        Ok(Scratch { root, data })
    }

    fn data_dir(&self) -> &str {
        &self.data
    }

    fn floor_file(&self, round: usize) -> PathBuf {
        self.root.join(format!("floor-{round}"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
