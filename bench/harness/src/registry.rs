//! The registry suite (issue 11; `berth-bench --suite registry`, `scripts/bench
//! --registry`): skopeo pushes and pulls a single-layer image to and from Berth's `/v2`
//! registry and, in the same run, the CNCF registry (Debian's `docker-registry`) as the
//! baseline; 8 concurrent pushes of images sharing a base layer to each; and the servers'
//! RSS during a 1 GiB layer push. The images are OCI layouts the harness writes. Every
//! figure is printed; none is asserted.

pub mod layout;
pub mod report;
pub mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::images::upload::RssSampler;
use crate::process;
use crate::report::Context;
use layout::Layout;
use servers::{Kind, Registry};

const MIB: u64 = 1024 * 1024;
/// Images pushed at once in the concurrent figure.
pub const CONCURRENT_PUSHES: usize = 8;

#[derive(Debug)]
pub struct Options {
    pub berth: PathBuf,
    pub logs: PathBuf,
    pub quick: bool,
}

/// Sizes and rounds of a run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// The single layer of the push and pull figure.
    pub layer_mib: u64,
    pub rounds: usize,
    /// The shared base layer and each image's own layer in the concurrent figure.
    pub base_mib: u64,
    pub own_mib: u64,
    pub concurrent_rounds: usize,
    /// The layer of the RSS figure.
    pub big_mib: u64,
}

impl Plan {
    pub fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                layer_mib: 20,
                rounds: 2,
                base_mib: 10,
                own_mib: 2,
                concurrent_rounds: 1,
                big_mib: 100,
            }
        } else {
            Plan {
                layer_mib: 100,
                rounds: 5,
                base_mib: 50,
                own_mib: 10,
                concurrent_rounds: 3,
                big_mib: 1024,
            }
        }
    }
}

/// One registry's figures.
#[derive(Debug, Clone)]
pub struct Figures {
    pub kind: Kind,
    pub pushes: Vec<Duration>,
    pub pulls: Vec<Duration>,
    /// Wall time of each round of concurrent pushes.
    pub concurrent: Vec<Duration>,
    pub big: Option<BigPush>,
}

/// The push of the big layer, with the server's memory meanwhile.
#[derive(Debug, Clone, Copy, Default)]
pub struct BigPush {
    pub elapsed: Duration,
    /// RSS just before the push, the server having started and answered a login.
    pub idle_kib: u64,
    /// Peak RSS during the push minus `idle_kib`.
    pub growth_kib: u64,
}

#[derive(Debug)]
pub struct Results {
    pub plan: Plan,
    /// Berth first, then the CNCF registry.
    pub figures: Vec<Figures>,
}

pub fn run(options: &Options) -> Result<Results, String> {
    let plan = Plan::new(options.quick);
    let scratch = Scratch::new()?;
    let mut figures = vec![figures(Kind::Berth), figures(Kind::Cncf)];

    let start = |name: &str| -> Result<[Registry; 2], String> {
        Ok([
            Registry::berth(
                &options.berth,
                &options.logs.join(format!("berth-{name}.log")),
            )?,
            Registry::cncf(&options.logs.join(format!("cncf-{name}.log")), name)?,
        ])
    };

    let registries = start("transfer")?;
    for round in 0..plan.rounds {
        let dir = scratch.path(&format!("single-{round}"));
        let mut layout = Layout::new(&dir)?;
        let layer = layout.layer(plan.layer_mib * MIB, 1000 + round as u64)?;
        layout.image(std::slice::from_ref(&layer), "v1")?;
        let dir = layout.finish()?;
        // Alternating which registry goes first, so neither always meets a warmer cache.
        for index in order(round) {
            let registry = &registries[index];
            let repository = format!("bench/single-{round}");
            registry.create_repository(&repository)?;
            eprintln!(
                "registry: {} MiB push and pull, {}, round {}",
                plan.layer_mib,
                registry.kind.name(),
                round + 1
            );
            figures[index].pushes.push(skopeo(&push_args(
                registry,
                &dir,
                "v1",
                &repository,
                "v1",
            ))?);
            let out = scratch.path(&format!("pulled-{round}-{index}"));
            figures[index]
                .pulls
                .push(skopeo(&pull_args(registry, &repository, "v1", &out))?);
            check_pulled(&out, &layer)?;
            let _ = std::fs::remove_dir_all(&out);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    for round in 0..plan.concurrent_rounds {
        let dir = scratch.path(&format!("shared-{round}"));
        let mut layout = Layout::new(&dir)?;
        let base = layout.layer(plan.base_mib * MIB, 2000 + round as u64)?;
        for image in 0..CONCURRENT_PUSHES {
            let own = layout.layer(plan.own_mib * MIB, 3000 + (round * 100 + image) as u64)?;
            layout.image(&[base.clone(), own], &format!("img-{image}"))?;
        }
        let dir = layout.finish()?;
        for index in order(round) {
            let registry = &registries[index];
            let repository = format!("bench/shared-{round}");
            registry.create_repository(&repository)?;
            eprintln!(
                "registry: {CONCURRENT_PUSHES} concurrent pushes, {}, round {}",
                registry.kind.name(),
                round + 1
            );
            let runs: Vec<Vec<String>> = (0..CONCURRENT_PUSHES)
                .map(|image| {
                    let tag = format!("img-{image}");
                    push_args(registry, &dir, &tag, &repository, &tag)
                })
                .collect();
            figures[index].concurrent.push(skopeo_all(&runs)?);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    drop(registries);

    // Fresh servers, so "idle" is a server that has only started and answered a login.
    let registries = start("big")?;
    let dir = scratch.path("big");
    let mut layout = Layout::new(&dir)?;
    let layer = layout.layer(plan.big_mib * MIB, 4000)?;
    layout.image(&[layer], "v1")?;
    let dir = layout.finish()?;
    for index in order(0) {
        let registry = &registries[index];
        registry.create_repository("bench/big")?;
        eprintln!(
            "registry: {} MiB push with RSS sampled, {}",
            plan.big_mib,
            registry.kind.name()
        );
        figures[index].big = Some(big_push(
            registry,
            &push_args(registry, &dir, "v1", "bench/big", "v1"),
        )?);
    }
    Ok(Results { plan, figures })
}

fn figures(kind: Kind) -> Figures {
    Figures {
        kind,
        pushes: Vec::new(),
        pulls: Vec::new(),
        concurrent: Vec::new(),
        big: None,
    }
}

/// Indexes into [Berth, CNCF] in the order round `round` uses them.
fn order(round: usize) -> [usize; 2] {
    if round % 2 == 0 { [0, 1] } else { [1, 0] }
}

fn push_args(
    registry: &Registry,
    layout: &Path,
    source_tag: &str,
    repository: &str,
    tag: &str,
) -> Vec<String> {
    let mut args = vec![
        "copy".to_owned(),
        "--quiet".to_owned(),
        // Send the layers as they are (see layout::LAYER_MEDIA_TYPE).
        "--preserve-digests".to_owned(),
        "--dest-tls-verify=false".to_owned(),
    ];
    args.extend(registry.creds_args("--dest-creds"));
    args.push(format!("oci:{}:{source_tag}", layout.display()));
    args.push(format!("docker://{}/{repository}:{tag}", registry.host));
    args
}

fn pull_args(registry: &Registry, repository: &str, tag: &str, out: &Path) -> Vec<String> {
    let mut args = vec![
        "copy".to_owned(),
        "--quiet".to_owned(),
        // An OCI layout, as a registry, would otherwise get the layer gzipped.
        "--preserve-digests".to_owned(),
        "--src-tls-verify=false".to_owned(),
    ];
    args.extend(registry.creds_args("--src-creds"));
    args.push(format!("docker://{}/{repository}:{tag}", registry.host));
    args.push(format!("oci:{}:{tag}", out.display()));
    args
}

/// Runs skopeo once; its wall time, or an error with what it printed.
fn skopeo(args: &[String]) -> Result<Duration, String> {
    skopeo_all(std::slice::from_ref(&args.to_vec()))
}

/// Starts one skopeo per argument list at once and waits for all; the wall time from the
/// first start to the last exit.
fn skopeo_all(runs: &[Vec<String>]) -> Result<Duration, String> {
    let started = Instant::now();
    let children = runs
        .iter()
        .map(|args| {
            Command::new("skopeo")
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("skopeo: {e} (apt-get install skopeo)"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut failures = Vec::new();
    for (child, args) in children.into_iter().zip(runs) {
        let output = child
            .wait_with_output()
            .map_err(|e| format!("skopeo: {e}"))?;
        if !output.status.success() {
            failures.push(format!(
                "skopeo {} ({}): {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
    }
    let elapsed = started.elapsed();
    if failures.is_empty() {
        Ok(elapsed)
    } else {
        Err(failures.join("\n"))
    }
}

/// The pull wrote the layer, whole (skopeo checked its digest on the way).
fn check_pulled(out: &Path, layer: &layout::Blob) -> Result<(), String> {
    let path = out
        .join("blobs/sha256")
        .join(layer.digest.trim_start_matches("sha256:"));
    let size = std::fs::metadata(&path)
        .map_err(|e| format!("the pulled layer {}: {e}", path.display()))?
        .len();
    if size != layer.size {
        return Err(format!(
            "the pulled layer {} has {size} bytes, not {}",
            path.display(),
            layer.size
        ));
    }
    Ok(())
}

/// A push with the server's RSS sampled (VmRSS every millisecond, and VmHWM reset before
/// where the kernel allows), as the layer-upload figure of issue 10 samples it.
fn big_push(registry: &Registry, args: &[String]) -> Result<BigPush, String> {
    let pid = registry.pid();
    std::thread::sleep(Duration::from_millis(200));
    let idle_kib = registry.rss_kib()?;
    let peak_tracked = process::reset_peak_rss(pid).is_ok();
    let sampler = RssSampler::start(pid);
    let result = skopeo(args);
    let mut peak = sampler.stop();
    if peak_tracked {
        peak = peak.max(process::peak_rss_kib(pid)?);
    }
    Ok(BigPush {
        elapsed: result?,
        idle_kib,
        growth_kib: peak.saturating_sub(idle_kib),
    })
}

/// The layouts and pulled images, under the system's temporary directory (where Berth
/// without `--data-dir` keeps its blobs); removed when dropped.
struct Scratch {
    root: PathBuf,
}

impl Scratch {
    fn new() -> Result<Scratch, String> {
        let root =
            std::env::temp_dir().join(format!("berth-bench-registry-{}", std::process::id()));
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        Ok(Scratch { root })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The BENCHMARKS.md section of `results`.
pub fn section(context: &Context, results: &Results) -> String {
    report::section(context, results)
}
