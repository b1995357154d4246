//! Pages of 100 beside each other on one server: DescribeRepositories (100 repositories),
//! ListImages and DescribeImages (100 images of one repository), and `GET /_berth/health`
//! (the HTTP stack's floor). For each: latency (one client, calls one after another), the
//! rate that makes, and the server's CPU time per call (user + system, from /proc, around
//! batches of calls). With a second binary (the build before a change), both servers run
//! at once and batches alternate between them, so noise falls on both alike.

use std::path::Path;
use std::time::{Duration, Instant};

use conformance::http::Client;

use super::api;
use crate::ecr;
use crate::process::Server;
use crate::scale::Latency;
use crate::stats;

/// The repository the image pages read.
pub const IMAGES_REPOSITORY: &str = "bench/images";
/// Entries per page (the default page of all three operations).
pub const PAGE: usize = 100;
const HEALTH_PATH: &str = "/_berth/health";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Health,
    DescribeRepositories,
    ListImages,
    DescribeImages,
}

impl Call {
    pub const ALL: [Call; 4] = [
        Call::Health,
        Call::DescribeRepositories,
        Call::ListImages,
        Call::DescribeImages,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Call::Health => "baseline: `GET /_berth/health` (the HTTP stack's floor)",
            Call::DescribeRepositories => "DescribeRepositories, a page of 100 repositories",
            Call::ListImages => "ListImages, a page of 100 images",
            Call::DescribeImages => "DescribeImages, a page of 100 images",
        }
    }

    /// Sends the call once; checks the answer is a full page.
    fn send(self, client: &mut Client, check: bool) -> Result<(), String> {
        let (operation, body, member) = match self {
            Call::Health => {
                let response = client
                    .get(HEALTH_PATH)
                    .map_err(|e| format!("{HEALTH_PATH}: {e}"))?;
                return match response.status {
                    200 => Ok(()),
                    status => Err(format!("{HEALTH_PATH} answered {status}")),
                };
            }
            Call::DescribeRepositories => ("DescribeRepositories", "{}".to_owned(), "repositories"),
            Call::ListImages => (
                "ListImages",
                api::page_body(IMAGES_REPOSITORY, None),
                "imageIds",
            ),
            Call::DescribeImages => (
                "DescribeImages",
                api::page_body(IMAGES_REPOSITORY, None),
                "imageDetails",
            ),
        };
        let response = ecr::call(client, operation, &body)?;
        if check {
            let answer: serde_json::Value =
                serde_json::from_slice(&response.body).map_err(|e| format!("{operation}: {e}"))?;
            let entries = answer[member].as_array().map_or(0, Vec::len);
            if entries != PAGE {
                return Err(format!(
                    "{operation} answered {entries} {member}, not {PAGE}"
                ));
            }
        }
        Ok(())
    }
}

/// What one call costs on one server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    pub latency: Latency,
    /// Calls per second, one client calling sequentially: calls ÷ their total time.
    pub rate: f64,
    /// The server's CPU time (user + system) per call.
    pub cpu: Duration,
}

/// One binary's figures, in [`Call::ALL`] order.
#[derive(Debug, Clone)]
pub struct Pages {
    pub label: String,
    pub costs: Vec<(Call, Cost)>,
}

impl Pages {
    pub fn cost(&self, call: Call) -> Cost {
        self.costs
            .iter()
            .find(|(c, _)| *c == call)
            .map(|(_, cost)| *cost)
            .unwrap_or_default()
    }
}

/// How many calls, and in what batches.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub warm_up: usize,
    pub batch: usize,
    pub rounds: usize,
}

struct Measured {
    label: String,
    server: Server,
    client: Client,
    samples: Vec<Vec<Duration>>,
    cpu: Vec<Duration>,
}

/// The figures of each `(label, binary)`, measured in alternating batches.
pub fn measure(
    binaries: &[(String, &Path)],
    logs: &Path,
    plan: Plan,
) -> Result<Vec<Pages>, String> {
    let mut servers = Vec::new();
    for (index, (label, binary)) in binaries.iter().enumerate() {
        eprintln!("images: pages on {label}: creating {PAGE} repositories and {PAGE} images");
        let server = Server::berth(binary, &logs.join(format!("berth-pages-{index}.log")))?;
        let mut client = server.client()?;
        ecr::seed(&mut client, 0..PAGE)?;
        api::seed_images(&mut client, IMAGES_REPOSITORY, PAGE)?;
        for call in Call::ALL {
            call.send(&mut client, true)?;
            for _ in 0..plan.warm_up {
                call.send(&mut client, false)?;
            }
        }
        servers.push(Measured {
            label: label.clone(),
            server,
            client,
            samples: vec![Vec::new(); Call::ALL.len()],
            cpu: vec![Duration::ZERO; Call::ALL.len()],
        });
    }
    for _ in 0..plan.rounds {
        for measured in &mut servers {
            for (index, call) in Call::ALL.into_iter().enumerate() {
                let cpu_before = measured.server.cpu_time()?;
                for _ in 0..plan.batch {
                    let started = Instant::now();
                    call.send(&mut measured.client, false)?;
                    measured.samples[index].push(started.elapsed());
                }
                measured.cpu[index] += measured.server.cpu_time()?.saturating_sub(cpu_before);
            }
        }
    }
    Ok(servers
        .into_iter()
        .map(|measured| Pages {
            label: measured.label,
            costs: Call::ALL
                .into_iter()
                .enumerate()
                .map(|(index, call)| {
                    let samples = &measured.samples[index];
                    let total: Duration = samples.iter().sum();
                    let calls = samples.len().max(1) as u32;
                    let cost = Cost {
                        latency: Latency {
                            p50: stats::median(samples),
                            p99: stats::percentile(samples, 99.0),
                        },
                        rate: samples.len() as f64 / total.as_secs_f64().max(f64::MIN_POSITIVE),
                        cpu: measured.cpu[index] / calls,
                    };
                    (call, cost)
                })
                .collect(),
        })
        .collect())
}
