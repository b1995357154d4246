//! The issue-10 section of BENCHMARKS.md: each figure beside its same-run baseline, each
//! target with its verdict (printed, never asserted), between its own markers.

use std::fmt::Write;
use std::time::Duration;

use super::Results;
use super::pages::{Call, Pages};
use super::scale::{PAGES, Sized};
use super::upload::{LAYER_SIZE, Uploads};
use crate::report::{Context, count, duration, rate, verdict};
use crate::stats;

pub const BEGIN: &str = "<!-- berth-bench issue-10: begin (written by scripts/bench --images) -->";
pub const END: &str = "<!-- berth-bench issue-10: end -->";

/// The targets of issue 10.
pub const UPLOAD_TIME_TARGET: Duration = Duration::from_secs(1);
pub const UPLOAD_RSS_TARGET_KIB: u64 = 64 * 1024;
pub const IMAGE_PAGE_RATE_TARGET: f64 = 0.8;
pub const SCALE_FACTOR_TARGET: f64 = 1.5;
pub const CPU_PER_PAGE_TARGET: Duration = Duration::from_micros(60);

pub fn section(context: &Context, results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(
        out,
        "## Images and layers: uploads, image pages, server CPU per page (issue 10)\n\n\
         Measured {} on {}; {}.\n\n\
         One command: `scripts/bench --images` (about a minute and a half; `--quick` for a quarter-minute version; it builds \
         the release binaries, runs everything below and rewrites this section; \
         `--berth-before PATH` adds an older build to the page and CPU figures). Berth runs \
         as `berth --port 0` (plus `--data-dir DIR` where said), its log going to a file. \
         The machine is shared and noisy, so every figure sits beside a baseline measured in \
         the same run: compare ratios, not absolute numbers across runs.\n",
        context.date, context.machine, context.versions
    );
    if !results.uploads.is_empty() {
        uploads_table(&mut out, &results.uploads);
    }
    if !results.pages.is_empty() {
        pages_table(&mut out, &results.pages, results.pages_plan);
        cpu_table(&mut out, &results.pages);
    }
    if !results.scale.is_empty() {
        scale_table(&mut out, &results.scale, results.scale_plan);
    }
    let _ = writeln!(out, "{END}");
    out
}

fn uploads_table(out: &mut String, uploads: &[Uploads]) {
    let rounds = uploads.first().map_or(0, |u| u.runs.len());
    let _ = writeln!(
        out,
        "### A {} MiB layer through the layer API\n\n\
         InitiateLayerUpload, then 10 UploadLayerPart calls of 10 MiB (base64 in the JSON \
         body, as SDKs send them), then CompleteLayerUpload with the layer's digest, on one \
         connection; {} per row (a new layer and repository each time), median and slowest. \
         The request bodies are built before the clock starts. RSS growth: the server's \
         peak resident memory during the upload (VmRSS read every millisecond, and VmHWM \
         reset just before) minus its RSS just before, the largest over the rounds.\n\n\
         Baseline (the floor): the same ten bodies sent over loopback TCP to a thread of the \
         harness, which parses each as JSON, base64-decodes the part, hashes it (sha256), \
         appends it to a file in the same temporary file system and fsyncs it at the end, \
         acknowledging each body with one byte: the work any server must do with these \
         bytes, without HTTP or state.\n\n\
         | Berth state | upload (median) | slowest | server RSS growth | floor (median) | Berth ÷ floor |\n\
         |---|---:|---:|---:|---:|---:|",
        LAYER_SIZE / (1024 * 1024),
        match rounds {
            1 => "one round".to_owned(),
            n => format!("{n} rounds"),
        }
    );
    let mut verdicts = Vec::new();
    for upload in uploads {
        let times: Vec<Duration> = upload.runs.iter().map(|r| r.elapsed).collect();
        let floors: Vec<Duration> = upload.runs.iter().map(|r| r.floor).collect();
        let growth = upload
            .runs
            .iter()
            .map(|r| r.rss_growth_kib)
            .max()
            .unwrap_or(0);
        let median = stats::median(&times);
        let slowest = times.iter().max().copied().unwrap_or_default();
        let floor = stats::median(&floors);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.1}× |",
            upload.mode.title(),
            duration(median),
            duration(slowest),
            mebibytes(growth),
            duration(floor),
            median.as_secs_f64() / floor.as_secs_f64().max(f64::MIN_POSITIVE)
        );
        verdicts.push((upload.mode.title(), median, growth));
    }
    let _ = writeln!(out);
    for (mode, median, growth) in verdicts {
        let _ = writeln!(
            out,
            "- Target, {mode}: ≤ {} per 100 MiB layer: **{}** ({}); RSS growth < {}: **{}** ({}).",
            duration(UPLOAD_TIME_TARGET),
            duration(median),
            verdict(median <= UPLOAD_TIME_TARGET),
            mebibytes(UPLOAD_RSS_TARGET_KIB),
            mebibytes(growth),
            verdict(growth < UPLOAD_RSS_TARGET_KIB)
        );
    }
    let _ = writeln!(out);
}

fn pages_table(out: &mut String, pages: &[Pages], plan: Option<super::pages::Plan>) {
    let calls = plan.map_or(0, |p| p.batch * p.rounds);
    let _ = writeln!(
        out,
        "### Pages of 100: images beside repositories\n\n\
         One server holding 101 repositories, one of which holds 100 images (one config and \
         one layer blob, 100 OCI manifests differing in an annotation, one tag each); one \
         client, one call after another: {} calls per figure (after a warm-up), in batches \
         of {} alternating between the calls{}. Rate = calls ÷ their total time.\n\n\
         | build | call | p50 | p99 | calls/s | rate ÷ DescribeRepositories |\n\
         |---|---|---:|---:|---:|---:|",
        count(calls as f64),
        plan.map_or(0, |p| p.batch),
        if pages.len() > 1 {
            " and between the builds, each served by its own Berth running at the same time"
        } else {
            ""
        }
    );
    for build in pages {
        let base = build.cost(Call::DescribeRepositories).rate;
        for (call, cost) in &build.costs {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                build.label,
                call.title(),
                duration(cost.latency.p50),
                duration(cost.latency.p99),
                rate(cost.rate),
                match call {
                    Call::Health => "–".to_owned(),
                    _ => format!("{:.2}×", cost.rate / base),
                }
            );
        }
    }
    let _ = writeln!(out);
    if let Some(build) = pages.last() {
        let base = build.cost(Call::DescribeRepositories).rate;
        for call in [Call::ListImages, Call::DescribeImages] {
            let share = build.cost(call).rate / base;
            let _ = writeln!(
                out,
                "- Target ({}): {} at ≥ {IMAGE_PAGE_RATE_TARGET}× the rate of the \
                 DescribeRepositories page: **{share:.2}×** ({}).",
                build.label,
                call.title(),
                verdict(share >= IMAGE_PAGE_RATE_TARGET)
            );
        }
        let _ = writeln!(out);
    }
}

fn cpu_table(out: &mut String, pages: &[Pages]) {
    let _ = writeln!(
        out,
        "### Server CPU per call\n\n\
         The server's user + system CPU time (`/proc/PID/stat`, all threads) read before and \
         after each batch of the calls above, summed, divided by the calls. The baseline is \
         `GET /_berth/health` on the same server: the HTTP stack's floor (connection, \
         parsing, routing, writing the response).\n\n\
         | build | call | server CPU per call | above the floor |\n|---|---|---:|---:|"
    );
    for build in pages {
        let floor = build.cost(Call::Health).cpu;
        for (call, cost) in &build.costs {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                build.label,
                call.title(),
                milliseconds(cost.cpu),
                match call {
                    Call::Health => "–".to_owned(),
                    _ => milliseconds(cost.cpu.saturating_sub(floor)),
                }
            );
        }
    }
    let _ = writeln!(out);
    for build in pages {
        let cpu = build.cost(Call::DescribeRepositories).cpu;
        let _ = writeln!(
            out,
            "- Target ({}): server CPU per DescribeRepositories page of 100 < {}: **{}** ({}).",
            build.label,
            milliseconds(CPU_PER_PAGE_TARGET),
            milliseconds(cpu),
            verdict(cpu < CPU_PER_PAGE_TARGET)
        );
    }
    let _ = writeln!(out);
}

fn scale_table(out: &mut String, sizes: &[Sized], plan: Option<super::scale::Plan>) {
    let _ = writeln!(
        out,
        "### Image page latency as a repository grows\n\n\
         One repository of N images (put as above), one client per repository, one call \
         after another: {} calls per figure (after {} to warm up), in batches of {} \
         alternating between the pages and the repositories, each served by its own Berth \
         running at the same time. A page is the default 100; the middle page is reached \
         with its `nextToken`. The repository of {} images is the baseline.\n",
        count(plan.map_or(0, |p| p.samples) as f64),
        count(plan.map_or(0, |p| p.warm_up) as f64),
        plan.map_or(0, |p| p.batch),
        count(sizes.first().map_or(0, |s| s.images) as f64),
    );
    let mut header = "| images |".to_owned();
    let mut rule = "|---:|".to_owned();
    for (operation, position) in PAGES {
        let _ = write!(header, " {operation} {} p50 / p99 |", position.title());
        rule.push_str("---:|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for size in sizes {
        let mut row = format!("| {} |", count(size.images as f64));
        for latency in &size.pages {
            let _ = write!(
                row,
                " {} / {} |",
                duration(latency.p50),
                duration(latency.p99)
            );
        }
        let _ = writeln!(out, "{row}");
    }
    if let (Some(base), Some(top)) = (sizes.first(), sizes.last()) {
        let ratios: Vec<String> = PAGES
            .iter()
            .zip(base.pages.iter().zip(&top.pages))
            .map(|((operation, position), (base, top))| {
                let ratio = top.p50.as_secs_f64() / base.p50.as_secs_f64().max(f64::MIN_POSITIVE);
                format!("**{ratio:.2}×** ({operation}, {})", position.title())
            })
            .collect();
        let worst = base
            .pages
            .iter()
            .zip(&top.pages)
            .map(|(base, top)| {
                top.p50.as_secs_f64() / base.p50.as_secs_f64().max(f64::MIN_POSITIVE)
            })
            .fold(0.0, f64::max);
        let _ = writeln!(
            out,
            "\n- Target: a page at {} images within {SCALE_FACTOR_TARGET}× of a page at {} \
             (p50): {} ({}).\n",
            count(top.images as f64),
            count(base.images as f64),
            ratios.join(", "),
            verdict(worst <= SCALE_FACTOR_TARGET)
        );
    }
}

/// `45.7 MiB`: the unit the issue states the RSS target in.
fn mebibytes(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// `0.062 ms`: CPU per call, in the unit the issue states its target in.
fn milliseconds(value: Duration) -> String {
    format!("{:.3} ms", value.as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::pages::Cost;
    use crate::images::upload::{Mode, Run};
    use crate::scale::Latency;

    fn latency(micros: u64) -> Latency {
        Latency {
            p50: Duration::from_micros(micros),
            p99: Duration::from_micros(micros * 2),
        }
    }

    #[test]
    fn the_section_gives_each_verdict_from_its_figures() {
        let cost = |micros: u64, rate: f64, cpu: u64| Cost {
            latency: latency(micros),
            rate,
            cpu: Duration::from_micros(cpu),
        };
        let results = Results {
            uploads: vec![Uploads {
                mode: Mode::Memory,
                runs: vec![Run {
                    elapsed: Duration::from_millis(700),
                    rss_growth_kib: 80 * 1024,
                    floor: Duration::from_millis(350),
                }],
            }],
            pages: vec![Pages {
                label: "this build".to_owned(),
                costs: vec![
                    (Call::Health, cost(20, 50_000.0, 10)),
                    (Call::DescribeRepositories, cost(100, 10_000.0, 50)),
                    (Call::ListImages, cost(90, 9_000.0, 40)),
                    (Call::DescribeImages, cost(150, 7_000.0, 70)),
                ],
            }],
            pages_plan: None,
            scale: vec![
                Sized {
                    images: 1000,
                    pages: vec![latency(100); 4],
                },
                Sized {
                    images: 100_000,
                    pages: vec![latency(110), latency(120), latency(100), latency(300)],
                },
            ],
            scale_plan: None,
        };
        let text = section(&Context::default(), &results);
        assert!(text.starts_with(BEGIN) && text.trim_end().ends_with(END));
        assert!(
            text.contains("≤ 1.00 s per 100 MiB layer: **700.00 ms** (met)"),
            "{text}"
        );
        assert!(
            text.contains("RSS growth < 64.0 MiB: **80.0 MiB** (**missed**)"),
            "{text}"
        );
        assert!(text.contains("| 2.0× |"), "{text}");
        assert!(text.contains("ListImages, a page of 100 images at ≥ 0.8× the rate of the DescribeRepositories page: **0.90×** (met)"), "{text}");
        assert!(text.contains("**0.70×** (**missed**)"), "{text}");
        assert!(text.contains("< 0.060 ms: **0.050 ms** (met)"), "{text}");
        assert!(text.contains("| 0.040 ms |"), "{text}");
        assert!(
            text.contains("**3.00×** (DescribeImages, middle page)"),
            "{text}"
        );
        assert!(
            text.contains("(DescribeImages, middle page) (**missed**)"),
            "{text}"
        );
    }
}
