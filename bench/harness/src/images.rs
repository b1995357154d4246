//! The images suite (issue 10; `berth-bench --suite images`, `scripts/bench --images`):
//! a 100 MiB layer through the layer API in memory and with `--data-dir` (time and server
//! RSS growth, beside the floor of the same bytes' work), ListImages and DescribeImages
//! pages beside a DescribeRepositories page on the same server (latency, rate and server
//! CPU per call, beside `GET /_berth/health`), and image pages as a repository grows.
//! With `--berth-before`, the page figures are also taken of an older build in the same
//! run. Every figure is printed; none is asserted.

pub mod api;
pub mod pages;
pub mod report;
pub mod scale;
pub mod upload;

use std::path::PathBuf;

use crate::report::Context;

/// Repository sizes of the scale figure; the first is the baseline.
const SCALE_SIZES: [usize; 2] = [1_000, 100_000];
const QUICK_SCALE_SIZES: [usize; 2] = [1_000, 10_000];

#[derive(Debug)]
pub struct Options {
    pub berth: PathBuf,
    /// A build to compare the page figures with (kept as `target/bench-before/berth`).
    pub before: Option<PathBuf>,
    pub logs: PathBuf,
    pub quick: bool,
    /// Which parts run (all by default): `uploads`, `pages`, `scale`.
    pub parts: Vec<String>,
}

impl Options {
    fn runs(&self, part: &str) -> bool {
        self.parts.is_empty() || self.parts.iter().any(|p| p == part)
    }
}

#[derive(Debug, Default)]
pub struct Results {
    pub uploads: Vec<upload::Uploads>,
    pub pages: Vec<pages::Pages>,
    pub pages_plan: Option<pages::Plan>,
    pub scale: Vec<scale::Sized>,
    pub scale_plan: Option<scale::Plan>,
}

pub fn run(options: &Options) -> Result<Results, String> {
    let mut results = Results::default();
    let upload_rounds = if options.quick { 1 } else { 5 };
    let modes = if options.runs("uploads") {
        &[upload::Mode::Memory, upload::Mode::DataDir][..]
    } else {
        &[]
    };
    for &mode in modes {
        results.uploads.push(upload::measure(
            &options.berth,
            &options.logs,
            mode,
            upload_rounds,
        )?);
    }

    let mut binaries = vec![("this build".to_owned(), options.berth.as_path())];
    if let Some(before) = &options.before {
        binaries.insert(
            0,
            (format!("before (`{}`)", before.display()), before.as_path()),
        );
    }
    let pages_plan = if options.quick {
        pages::Plan {
            warm_up: 100,
            batch: 1000,
            rounds: 5,
        }
    } else {
        pages::Plan {
            warm_up: 300,
            batch: 1000,
            rounds: 40,
        }
    };
    if options.runs("pages") {
        results.pages = pages::measure(&binaries, &options.logs, pages_plan)?;
        results.pages_plan = Some(pages_plan);
    }

    let (sizes, scale_plan): (&[usize], _) = if options.quick {
        (
            &QUICK_SCALE_SIZES,
            scale::Plan {
                warm_up: 50,
                batch: 100,
                samples: 500,
            },
        )
    } else {
        (
            &SCALE_SIZES,
            scale::Plan {
                warm_up: 200,
                batch: 100,
                samples: 2000,
            },
        )
    };
    if options.runs("scale") {
        results.scale = scale::measure(&options.berth, &options.logs, sizes, scale_plan)?;
        results.scale_plan = Some(scale_plan);
    }
    Ok(results)
}

/// The BENCHMARKS.md section of `results`.
pub fn section(context: &Context, results: &Results) -> String {
    report::section(context, results)
}
