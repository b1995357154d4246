//! Throughput and tail latency under wrk, for each workload on Berth and on moto, beside
//! the ceiling of Berth's HTTP stack (`GET /_berth/health`). Rounds alternate the servers
//! and the ceiling, so a burst of noise from other work on the machine hits all of them.

use std::path::{Path, PathBuf};

use crate::ecr;
use crate::process::{Kind, Server};
use crate::wrk::{self, Load, Run};

/// Berth's cheapest endpoint: the HTTP stack's ceiling.
pub const HEALTH_PATH: &str = "/_berth/health";
/// The repository TagResource tags.
const TAGGED: &str = "bench/tagged";

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Workload {
    DescribeOne,
    DescribeHundred,
    Create,
    Tag,
}

impl Workload {
    pub const ALL: [Workload; 4] = [
        Workload::DescribeOne,
        Workload::DescribeHundred,
        Workload::Create,
        Workload::Tag,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Workload::DescribeOne => "DescribeRepositories, 1 repository",
            Workload::DescribeHundred => "DescribeRepositories, 100 repositories (one page)",
            Workload::Create => "CreateRepository, a new name each request",
            Workload::Tag => "TagResource, one repository",
        }
    }

    fn script(self) -> &'static str {
        match self {
            Workload::DescribeOne | Workload::DescribeHundred => "ecr-describe.lua",
            Workload::Create => "ecr-create.lua",
            Workload::Tag => "ecr-tag.lua",
        }
    }

    /// Resets the server and creates what the workload reads.
    fn prepare(self, server: &Server) -> Result<(), String> {
        let mut client = server.client()?;
        server.reset(&mut client)?;
        match self {
            Workload::DescribeOne => ecr::seed(&mut client, 0..1),
            Workload::DescribeHundred => ecr::seed(&mut client, 0..100),
            Workload::Create => Ok(()),
            Workload::Tag => ecr::create(&mut client, TAGGED),
        }
    }
}

/// Every run of every round.
#[derive(Debug, Default)]
pub struct Throughput {
    pub ceiling: Vec<Run>,
    /// Per workload: Berth's runs and moto's runs.
    pub runs: Vec<(Workload, Vec<Run>, Vec<Run>)>,
}

pub fn measure(
    berth: &Server,
    moto: Option<&Server>,
    load: &Load,
    lua_dir: &Path,
    rounds: usize,
) -> Result<Throughput, String> {
    let mut result = Throughput {
        ceiling: Vec::new(),
        runs: Workload::ALL
            .iter()
            .map(|&w| (w, Vec::new(), Vec::new()))
            .collect(),
    };
    for round in 0..rounds {
        eprintln!("throughput: round {} of {rounds}", round + 1);
        let health = format!("{}{HEALTH_PATH}", berth.endpoint);
        result
            .ceiling
            .push(checked(wrk::run(load, &health, None, &[])?, "ceiling")?);
        for (workload, berth_runs, moto_runs) in &mut result.runs {
            for server in std::iter::once(berth).chain(moto) {
                let run = run_workload(*workload, server, load, lua_dir, round)?;
                match server.kind {
                    Kind::Berth => berth_runs.push(run),
                    Kind::Moto => moto_runs.push(run),
                }
            }
        }
    }
    Ok(result)
}

fn run_workload(
    workload: Workload,
    server: &Server,
    load: &Load,
    lua_dir: &Path,
    round: usize,
) -> Result<Run, String> {
    workload.prepare(server)?;
    let script: PathBuf = lua_dir.join(workload.script());
    let env = match workload {
        Workload::Tag => vec![("BENCH_ARN", ecr::repository_arn(TAGGED))],
        Workload::Create => vec![("BENCH_RUN", format!("r{round}"))],
        _ => Vec::new(),
    };
    let url = format!("{}/", server.endpoint);
    let run = wrk::run(load, &url, Some(&script), &env)?;
    checked(
        run,
        &format!("{} on {}", workload.title(), server.kind.name()),
    )
}

/// A figure with failed requests measures errors, not the workload.
fn checked(run: Run, what: &str) -> Result<Run, String> {
    if run.failed > 0 {
        return Err(format!(
            "{what}: {} of {} requests failed ({})",
            run.failed, run.requests, run.command
        ));
    }
    Ok(run)
}
