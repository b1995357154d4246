//! The BENCHMARKS.md section: every figure beside its same-run baseline, each target with
//! its verdict, the machine, the date and the exact commands. It replaces only its own
//! section (between its markers), so other sections of the file are kept.

use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use crate::memory::Footprint;
use crate::scale::Pages;
use crate::startup::ColdStart;
use crate::stats;
use crate::throughput::{Throughput, Workload};
use crate::wrk::Run;

pub const BEGIN: &str = "<!-- berth-bench issue-5: begin (written by scripts/bench) -->";
pub const END: &str = "<!-- berth-bench issue-5: end -->";

/// The targets of issue 5.
pub const CEILING_SHARE_TARGET: f64 = 0.60;
pub const MOTO_FACTOR_TARGET: f64 = 100.0;
pub const COLD_START_TARGET: Duration = Duration::from_millis(20);
pub const IDLE_RSS_TARGET_KIB: u64 = 15 * 1000 * 1000 / 1024; // 15 MB
pub const SCALE_FACTOR_TARGET: f64 = 1.5;

/// What the run was, for the section's preamble.
#[derive(Debug, Default)]
pub struct Context {
    pub date: String,
    pub machine: String,
    pub versions: String,
    pub load: String,
    pub rounds: usize,
}

#[derive(Debug, Default)]
pub struct Results {
    pub throughput: Option<Throughput>,
    pub cold_start: Option<ColdStart>,
    pub berth_memory: Option<Footprint>,
    pub moto_memory: Option<Footprint>,
    pub memory_repositories: usize,
    pub scale: Vec<Pages>,
}

pub fn section(context: &Context, results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(
        out,
        "## Server: throughput, latency, start-up, memory, scale (issue 5)\n\n\
         Measured {} on {}; {}.\n\n\
         One command: `scripts/bench` (it installs wrk and moto if missing, builds the release \
         binaries, runs everything below and rewrites this section). Load: {}; {} alternate \
         the ceiling, Berth and moto, and each figure is the median of its rounds. \
         Berth runs with its default flags (as users start it), its log going to a file. \
         The machine is shared and noisy (other builds run on the same 2 cores), which is \
         why every figure sits beside a baseline measured in the same run: compare ratios, \
         not absolute numbers across runs.\n",
        context.date,
        context.machine,
        context.versions,
        context.load,
        match context.rounds {
            1 => "one round".to_owned(),
            n => format!("{n} rounds"),
        }
    );
    if let Some(throughput) = &results.throughput {
        throughput_table(&mut out, throughput);
    }
    if let Some(cold) = &results.cold_start {
        cold_start_table(&mut out, cold);
    }
    if let Some(berth) = &results.berth_memory {
        memory_table(
            &mut out,
            berth,
            results.moto_memory.as_ref(),
            results.memory_repositories,
        );
    }
    if !results.scale.is_empty() {
        scale_table(&mut out, &results.scale);
    }
    let _ = writeln!(out, "{END}");
    out
}

fn median_rate(runs: &[Run]) -> f64 {
    stats::median_f64(
        &runs
            .iter()
            .map(|r| r.requests_per_second)
            .collect::<Vec<_>>(),
    )
}

fn median_p99(runs: &[Run]) -> Duration {
    stats::median(&runs.iter().map(|r| r.p99).collect::<Vec<_>>())
}

fn throughput_table(out: &mut String, t: &Throughput) {
    let _ = writeln!(
        out,
        "### Throughput and p99 latency\n\n\
         | workload | Berth req/s | Berth p99 | moto req/s | moto p99 | Berth ÷ moto |\n\
         |---|---:|---:|---:|---:|---:|"
    );
    let ceiling = median_rate(&t.ceiling);
    let _ = writeln!(
        out,
        "| baseline: `GET /_berth/health` (ceiling of Berth's HTTP stack) | {} | {} | – | – | – |",
        rate(ceiling),
        duration(median_p99(&t.ceiling))
    );
    let mut describe_one_share = None;
    let mut describe_hundred_factor = None;
    for (workload, berth, moto) in &t.runs {
        let berth_rate = median_rate(berth);
        let (moto_rate, moto_p99, factor) = if moto.is_empty() {
            ("–".to_owned(), "–".to_owned(), None)
        } else {
            let moto_rate = median_rate(moto);
            (
                rate(moto_rate),
                duration(median_p99(moto)),
                Some(berth_rate / moto_rate),
            )
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {moto_rate} | {moto_p99} | {} |",
            workload.title(),
            rate(berth_rate),
            duration(median_p99(berth)),
            factor.map_or("–".to_owned(), |f| format!("{f:.0}×"))
        );
        match workload {
            Workload::DescribeOne => describe_one_share = Some(berth_rate / ceiling),
            Workload::DescribeHundred => describe_hundred_factor = factor,
            _ => {}
        }
    }
    let _ = writeln!(out);
    if let Some(share) = describe_one_share {
        let _ = writeln!(
            out,
            "- Target: DescribeRepositories (1 repository) at ≥ {:.0}% of the ceiling: **{:.0}%** ({}).",
            CEILING_SHARE_TARGET * 100.0,
            share * 100.0,
            verdict(share >= CEILING_SHARE_TARGET)
        );
    }
    if let Some(factor) = describe_hundred_factor {
        let _ = writeln!(
            out,
            "- Target: ≥ {MOTO_FACTOR_TARGET:.0}× moto on the 100-repository page: **{factor:.0}×** ({}).",
            verdict(factor >= MOTO_FACTOR_TARGET)
        );
    }
    let _ = writeln!(
        out,
        "\nCommands (first round), with the servers started as `berth --port 0` (`<berth>`) \
         and `moto_server -H 127.0.0.1 -p PORT` (`<moto>`):\n"
    );
    let mut commands = vec![t.ceiling.first().map(|r| r.command.clone())];
    for (_, berth, moto) in &t.runs {
        commands.push(berth.first().map(|r| r.command.clone()));
        commands.push(moto.first().map(|r| r.command.clone()));
    }
    for command in commands.into_iter().flatten() {
        let _ = writeln!(out, "    {command}");
    }
    let _ = writeln!(out);
}

fn cold_start_table(out: &mut String, cold: &ColdStart) {
    let row = |out: &mut String, name: &str, samples: &[Duration]| {
        if samples.is_empty() {
            return;
        }
        let min = samples.iter().min().copied().unwrap_or_default();
        let max = samples.iter().max().copied().unwrap_or_default();
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} |",
            duration(stats::median(samples)),
            duration(min),
            duration(max)
        );
    };
    let _ = writeln!(
        out,
        "### Cold start: process spawn → first successful API call (median of {})\n\n\
         | process | median | min | max |\n|---|---:|---:|---:|",
        cold.berth.len()
    );
    row(
        out,
        "Berth (`berth --port 0`, then `DescribeRepositories`)",
        &cold.berth,
    );
    row(out, "baseline: spawn and exit of `true`", &cold.spawn_floor);
    row(
        out,
        "baseline: moto (`moto_server`, polled until it answers)",
        &cold.moto,
    );
    let median = stats::median(&cold.berth);
    let _ = writeln!(
        out,
        "\n- Target: cold start ≤ {}: **{}** ({}).\n",
        duration(COLD_START_TARGET),
        duration(median),
        verdict(median <= COLD_START_TARGET)
    );
}

fn memory_table(
    out: &mut String,
    berth: &Footprint,
    moto: Option<&Footprint>,
    repositories: usize,
) {
    let _ = writeln!(
        out,
        "### Memory (resident set size)\n\n\
         | process | idle (started, one call answered) | with {} repositories |\n|---|---:|---:|",
        count(repositories as f64)
    );
    let _ = writeln!(
        out,
        "| Berth | {} | {} |",
        mib(berth.idle_kib),
        mib(berth.loaded_kib)
    );
    if let Some(moto) = moto {
        let _ = writeln!(
            out,
            "| baseline: moto | {} | {} |",
            mib(moto.idle_kib),
            mib(moto.loaded_kib)
        );
    }
    let _ = writeln!(
        out,
        "\n- Target: idle RSS ≤ 15 MB: **{}** ({}).\n",
        mib(berth.idle_kib),
        verdict(berth.idle_kib <= IDLE_RSS_TARGET_KIB)
    );
}

fn scale_table(out: &mut String, pages: &[Pages]) {
    let _ = writeln!(
        out,
        "### DescribeRepositories page latency as the registry grows\n\n\
         One client per registry, one call after another: 2,000 calls per figure (after 200 to \
         warm up), in batches of 100 alternating between the registries, each served by its \
         own Berth running at the same time. A page is the default 100 repositories; the \
         middle page is reached with its `nextToken`. The registry of 1,000 is the baseline.\n\n\
         | repositories | first page p50 | first page p99 | middle page p50 | middle page p99 |\n\
         |---:|---:|---:|---:|---:|"
    );
    for page in pages {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            count(page.repositories as f64),
            duration(page.first.p50),
            duration(page.first.p99),
            duration(page.middle.p50),
            duration(page.middle.p99)
        );
    }
    if let (Some(base), Some(top)) = (pages.first(), pages.last()) {
        let first = top.first.p50.as_secs_f64() / base.first.p50.as_secs_f64();
        let middle = top.middle.p50.as_secs_f64() / base.middle.p50.as_secs_f64();
        let worst = first.max(middle);
        let _ = writeln!(
            out,
            "\n- Target: a page at {} repositories within {SCALE_FACTOR_TARGET}× of a page at {}: \
             **{first:.2}×** (first page), **{middle:.2}×** (middle page) ({}).\n",
            count(top.repositories as f64),
            count(base.repositories as f64),
            verdict(worst <= SCALE_FACTOR_TARGET)
        );
    }
}

pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

pub fn rate(value: f64) -> String {
    count(value.round())
}

/// `12,345`.
pub fn count(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn duration(value: Duration) -> String {
    let micros = value.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1e6 {
        format!("{:.2} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 * 1024.0 / 1e6)
}

/// Replaces the issue-5 section of `path` (or appends it), keeping everything else.
pub fn write_section(path: &Path, section: &str) -> Result<(), String> {
    write_marked_section(path, section, BEGIN, END)
}

/// Replaces the section of `path` between the lines `begin` and `end` (or appends it),
/// keeping everything else.
pub fn write_marked_section(
    path: &Path,
    section: &str,
    begin: &str,
    end: &str,
) -> Result<(), String> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "# Benchmarks\n".to_owned(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let updated = splice(&existing, section, begin, end);
    std::fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))
}

fn splice(existing: &str, section: &str, begin_marker: &str, end_marker: &str) -> String {
    match (existing.find(begin_marker), existing.find(end_marker)) {
        (Some(begin), Some(end)) if begin < end => {
            let after = &existing[end + end_marker.len()..];
            let after = after.strip_prefix('\n').unwrap_or(after);
            format!("{}{section}{after}", &existing[..begin])
        }
        _ => format!(
            "{}\n{section}",
            existing.trim_end_matches('\n').to_owned() + "\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_replaces_only_itself() {
        let first = splice(
            "# Benchmarks\n\n## Other (issue 4)\ntext\n",
            &format!("{BEGIN}\nold\n{END}\n"),
            BEGIN,
            END,
        );
        assert!(first.starts_with("# Benchmarks\n\n## Other (issue 4)\ntext\n\n"));
        let second = splice(
            &(first.clone() + "\n## Later section\n"),
            &format!("{BEGIN}\nnew\n{END}\n"),
            BEGIN,
            END,
        );
        assert!(second.contains("## Other (issue 4)\ntext\n"));
        assert!(second.contains("new") && !second.contains("old"));
        assert!(second.ends_with("\n## Later section\n"));
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(count(1234567.0), "1,234,567");
        assert_eq!(count(999.0), "999");
        assert_eq!(duration(Duration::from_micros(812)), "812 µs");
        assert_eq!(duration(Duration::from_micros(2580)), "2.58 ms");
        assert_eq!(duration(Duration::from_millis(1450)), "1.45 s");
        assert_eq!(mib(15 * 1000 * 1000 / 1024), "15.0 MB");
    }
}
