//! The issue-11 section of BENCHMARKS.md: Berth beside the CNCF registry measured in the
//! same run, each target with its verdict (printed, never asserted), between its markers.

use std::fmt::Write;
use std::time::Duration;

use super::servers::{CNCF_REGISTRY, Kind};
use super::{BigPush, CONCURRENT_PUSHES, Figures, Results};
use crate::report::{Context, duration, verdict};
use crate::stats;

pub const BEGIN: &str =
    "<!-- berth-bench issue-11: begin (written by scripts/bench --registry) -->";
pub const END: &str = "<!-- berth-bench issue-11: end -->";

/// The targets of issue 11: Berth ÷ the CNCF registry, and RSS growth during the big push.
pub const RATIO_TARGET: f64 = 1.0;
pub const BIG_PUSH_RSS_TARGET_KIB: u64 = 64 * 1024;

pub fn section(context: &Context, results: &Results) -> String {
    let plan = results.plan;
    let berth = results.figures.iter().find(|f| f.kind == Kind::Berth);
    let cncf = results.figures.iter().find(|f| f.kind == Kind::Cncf);
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(
        out,
        "## The `/v2` registry: skopeo push and pull beside the CNCF registry (issue 11)\n\n\
         Measured {} on {}; {}.\n\n\
         One command: `scripts/bench --registry` (about a minute; `--quick` for a 20-second \
         version with smaller images; it builds the release binaries, runs everything below \
         and rewrites this section). Berth runs as `berth --port 0` (its defaults: no \
         `--data-dir`, `--registry-auth ecr`), skopeo logging in with `--creds AWS:<password>` \
         from GetAuthorizationToken. The baseline is the CNCF registry, Debian's \
         `{CNCF_REGISTRY}` (`serve` with a config file the harness writes: filesystem storage \
         in a temporary directory, no authentication, access log off), started in the same \
         run. The images are OCI layouts the harness writes (random, uncompressed layer \
         bytes, new for every round so neither registry nor skopeo's blob cache knows them), \
         pushed with `skopeo copy --preserve-digests --dest-tls-verify=false \
         oci:LAYOUT:v1 docker://127.0.0.1:PORT/REPO:v1` (`--preserve-digests` sends the \
         layer as it is; without it skopeo would gzip it for any registry and the figures \
         would time gzip) and pulled with `skopeo copy --preserve-digests --src-tls-verify=false \
         docker://… oci:OUT:v1` (for the same reason: skopeo gzips layers written to a \
         layout too). Each round uses a new repository; the registry that goes \
         first alternates. Times are skopeo's whole run (process start to exit). The machine \
         is shared and noisy: compare the ratios, not absolute numbers across runs.\n",
        context.date, context.machine, context.versions
    );
    if let (Some(berth), Some(cncf)) = (berth, cncf) {
        transfer_table(&mut out, plan.layer_mib, plan.rounds, berth, cncf);
        concurrent_table(&mut out, results, berth, cncf);
        big_table(&mut out, plan.big_mib, berth, cncf);
    }
    let _ = writeln!(out, "{END}");
    out
}

fn ratio(berth: Duration, cncf: Duration) -> f64 {
    berth.as_secs_f64() / cncf.as_secs_f64().max(f64::MIN_POSITIVE)
}

fn slowest(samples: &[Duration]) -> Duration {
    samples.iter().max().copied().unwrap_or_default()
}

fn transfer_table(out: &mut String, mib: u64, rounds: usize, berth: &Figures, cncf: &Figures) {
    let _ = writeln!(
        out,
        "### Push and pull of a {mib} MiB single-layer image\n\n\
         {rounds} rounds per registry (a new image each round, pushed, then pulled into an \
         empty layout whose layer the harness checks), median and slowest.\n\n\
         | registry | push (median) | slowest | pull (median) | slowest |\n\
         |---|---:|---:|---:|---:|"
    );
    for figures in [berth, cncf] {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            figures.kind.name(),
            duration(stats::median(&figures.pushes)),
            duration(slowest(&figures.pushes)),
            duration(stats::median(&figures.pulls)),
            duration(slowest(&figures.pulls)),
        );
    }
    let _ = writeln!(out);
    for (what, b, c) in [
        ("push", &berth.pushes, &cncf.pushes),
        ("pull", &berth.pulls, &cncf.pulls),
    ] {
        let share = ratio(stats::median(b), stats::median(c));
        let _ = writeln!(
            out,
            "- Target: a {mib} MiB {what} within {RATIO_TARGET:.1}× the CNCF registry's time \
             (medians): **{share:.2}×** ({}).",
            verdict(share <= RATIO_TARGET)
        );
    }
    let _ = writeln!(out);
}

fn concurrent_table(out: &mut String, results: &Results, berth: &Figures, cncf: &Figures) {
    let plan = results.plan;
    let _ = writeln!(
        out,
        "### {CONCURRENT_PUSHES} concurrent pushes of images sharing a base layer\n\n\
         {CONCURRENT_PUSHES} skopeo processes started at once, each pushing one image \
         (a {} MiB base layer common to all, plus a {} MiB layer of its own) to the same \
         new repository under its own tag; wall time from the first start to the last exit, \
         {} per registry, median and slowest.\n\n\
         | registry | wall time (median) | slowest |\n|---|---:|---:|",
        plan.base_mib,
        plan.own_mib,
        match plan.concurrent_rounds {
            1 => "one round".to_owned(),
            n => format!("{n} rounds"),
        }
    );
    for figures in [berth, cncf] {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            figures.kind.name(),
            duration(stats::median(&figures.concurrent)),
            duration(slowest(&figures.concurrent)),
        );
    }
    let share = ratio(
        stats::median(&berth.concurrent),
        stats::median(&cncf.concurrent),
    );
    let _ = writeln!(
        out,
        "\n- Target: within {RATIO_TARGET:.1}× the CNCF registry's wall time (medians): \
         **{share:.2}×** ({}).\n",
        verdict(share <= RATIO_TARGET)
    );
}

fn big_table(out: &mut String, mib: u64, berth: &Figures, cncf: &Figures) {
    let _ = writeln!(
        out,
        "### Server memory during a {mib} MiB single-layer push\n\n\
         Each registry freshly started (Berth having answered GetAuthorizationToken and \
         CreateRepository), then one push. Idle: the server's VmRSS just before the push; \
         growth: its peak VmRSS during the push (read every millisecond, and VmHWM reset \
         just before) minus idle.\n\n\
         | registry | push | idle RSS | peak RSS growth |\n|---|---:|---:|---:|"
    );
    for figures in [berth, cncf] {
        let big = figures.big.unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            figures.kind.name(),
            duration(big.elapsed),
            mebibytes(big.idle_kib),
            mebibytes(big.growth_kib),
        );
    }
    let big: BigPush = berth.big.unwrap_or_default();
    let _ = writeln!(
        out,
        "\n- Target: Berth's RSS growth during a {mib} MiB layer push < {}: **{}** ({}).\n",
        mebibytes(BIG_PUSH_RSS_TARGET_KIB),
        mebibytes(big.growth_kib),
        verdict(big.growth_kib < BIG_PUSH_RSS_TARGET_KIB)
    );
}

/// `45.7 MiB`: the unit the issue states the RSS target in.
fn mebibytes(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Plan;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn the_section_gives_each_verdict_from_its_figures() {
        let results = Results {
            plan: Plan::new(false),
            figures: vec![
                Figures {
                    kind: Kind::Berth,
                    pushes: ms(&[900, 800, 1000]),
                    pulls: ms(&[600, 700, 650]),
                    concurrent: ms(&[3000]),
                    big: Some(BigPush {
                        elapsed: Duration::from_secs(9),
                        idle_kib: 10 * 1024,
                        growth_kib: 70 * 1024,
                    }),
                },
                Figures {
                    kind: Kind::Cncf,
                    pushes: ms(&[1000, 1000, 1000]),
                    pulls: ms(&[500, 500, 500]),
                    concurrent: ms(&[4000]),
                    big: Some(BigPush::default()),
                },
            ],
        };
        let text = section(&Context::default(), &results);
        assert!(text.starts_with(BEGIN) && text.trim_end().ends_with(END));
        assert!(
            text.contains(
                "100 MiB push within 1.0× the CNCF registry's time (medians): **0.90×** (met)"
            ),
            "{text}"
        );
        assert!(text.contains("100 MiB pull within 1.0× the CNCF registry's time (medians): **1.30×** (**missed**)"), "{text}");
        assert!(
            text.contains("| Berth | 900.00 ms | 1.00 s | 650.00 ms | 700.00 ms |"),
            "{text}"
        );
        assert!(
            text.contains("wall time (medians): **0.75×** (met)"),
            "{text}"
        );
        assert!(
            text.contains("1024 MiB layer push < 64.0 MiB: **70.0 MiB** (**missed**)"),
            "{text}"
        );
    }
}
