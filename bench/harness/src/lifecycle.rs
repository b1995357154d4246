//! Issue 12's lifecycle benchmarks: one repository of N tagged images (1,000, 10,000 and,
//! unless quick, 100,000) with a 10-rule policy; per size, the time of
//! `POST /_berth/lifecycle/run` (a full evaluation that acts on nothing, so it repeats
//! alike), of a preview (StartLifecyclePolicyPreview of a 10-rule policy that expires most
//! images, then the first GetLifecyclePolicyPreview page), beside the baseline of the same
//! run: paging the whole repository with ListImages (1,000 per page). At the largest size
//! below 100,000, one real run that expires most images is timed once at the end.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use conformance::http::Client;
use serde_json::{Value, json};

use crate::images::api;
use crate::process::Server;
use crate::report::{Context, duration, verdict};
use crate::{ecr, stats};

pub const BEGIN: &str =
    "<!-- berth-bench issue-12: begin (written by scripts/bench --lifecycle) -->";
pub const END: &str = "<!-- berth-bench issue-12: end -->";

/// The target of issue 12: one evaluation of 10,000 images and 10 rules.
pub const EVALUATION_TARGET: Duration = Duration::from_millis(100);
const REPOSITORY: &str = "bench/lifecycle";
const SAMPLES: usize = 7;

pub struct Options {
    pub berth: PathBuf,
    pub logs: PathBuf,
    pub quick: bool,
}

/// The figures of one repository size (medians of [`SAMPLES`]).
pub struct Sized {
    pub images: usize,
    pub list_all: Duration,
    pub run: Duration,
    pub preview: Duration,
    pub preview_results: usize,
}

pub struct Results {
    pub sizes: Vec<Sized>,
    /// (images, images expired, time) of the one real expiring run.
    pub expiring_run: Option<(usize, u64, Duration)>,
}

/// Ten rules over the seeded tags `v000000`…: five prefix rules, four pattern rules, one
/// `any` rule, each keeping `keep` images (or judging by a push age of `days`).
fn policy(keep: usize, days: usize) -> String {
    let mut rules = Vec::new();
    for (n, prefix) in ["v00", "v01", "v02", "v03", "v04"].iter().enumerate() {
        rules.push(json!({"rulePriority": n + 1,
            "selection": {"tagStatus": "tagged", "tagPrefixList": [prefix], "countType": "imageCountMoreThan", "countNumber": keep},
            "action": {"type": "expire"}}));
    }
    for (n, pattern) in ["v*5", "v*6*", "*7", "v0*8*"].iter().enumerate() {
        rules.push(json!({"rulePriority": n + 6,
            "selection": {"tagStatus": "tagged", "tagPatternList": [pattern], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": days},
            "action": {"type": "expire"}}));
    }
    rules.push(json!({"rulePriority": 10,
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
        "action": {"type": "expire"}}));
    json!({ "rules": rules }).to_string()
}

fn admin_run(client: &mut Client) -> Result<Value, String> {
    let response = client
        .post("/_berth/lifecycle/run", &[], b"")
        .map_err(|e| format!("POST /_berth/lifecycle/run: {e}"))?;
    if response.status != 200 {
        return Err(format!(
            "POST /_berth/lifecycle/run answered {}",
            response.status
        ));
    }
    serde_json::from_slice(&response.body).map_err(|e| e.to_string())
}

fn set_clock(client: &mut Client, offset_seconds: i64) -> Result<(), String> {
    let body = json!({ "offsetSeconds": offset_seconds }).to_string();
    let response = client
        .post(
            "/_berth/clock",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .map_err(|e| format!("POST /_berth/clock: {e}"))?;
    if response.status != 200 {
        return Err(format!("POST /_berth/clock answered {}", response.status));
    }
    Ok(())
}

fn timed<T>(mut f: impl FnMut() -> Result<T, String>) -> Result<(Duration, T), String> {
    let started = Instant::now();
    let value = f()?;
    Ok((started.elapsed(), value))
}

fn list_all(client: &mut Client) -> Result<usize, String> {
    let mut token: Option<String> = None;
    let mut seen = 0;
    loop {
        let mut body = json!({ "repositoryName": REPOSITORY, "maxResults": 1000 });
        if let Some(token) = &token {
            body["nextToken"] = json!(token);
        }
        let response = ecr::call(client, "ListImages", &body.to_string())?;
        let answer: Value = serde_json::from_slice(&response.body).map_err(|e| e.to_string())?;
        seen += answer["imageIds"].as_array().map_or(0, Vec::len);
        match answer["nextToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => return Ok(seen),
        }
    }
}

fn median_of(
    samples: usize,
    mut f: impl FnMut() -> Result<(), String>,
) -> Result<Duration, String> {
    f()?; // warm-up
    let mut times = Vec::new();
    for _ in 0..samples {
        times.push(timed(&mut f)?.0);
    }
    Ok(stats::median(&times))
}

pub fn run(options: &Options) -> Result<Results, String> {
    let sizes: &[usize] = if options.quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    let mut results = Results {
        sizes: Vec::new(),
        expiring_run: None,
    };
    for &size in sizes {
        eprintln!("lifecycle: putting {size} images into one repository");
        let server = Server::berth(
            &options.berth,
            &options.logs.join(format!("berth-lifecycle-{size}.log")),
        )?;
        let mut client = server.client()?;
        api::seed_images(&mut client, REPOSITORY, size)?;
        let keep_all = policy(size * 10, 36_500);
        let put = json!({"repositoryName": REPOSITORY, "lifecyclePolicyText": keep_all});
        ecr::call(&mut client, "PutLifecyclePolicy", &put.to_string())?;

        let listed = list_all(&mut client)?;
        if listed != size {
            return Err(format!("ListImages listed {listed} of {size} images"));
        }
        let list_time = median_of(SAMPLES, || list_all(&mut client).map(drop))?;
        let run_time = median_of(SAMPLES, || {
            let run = admin_run(&mut client)?;
            (run["evaluated"] == 1 && run["expired"] == 0)
                .then_some(())
                .ok_or_else(|| format!("a keep-everything run answered {run}"))
        })?;
        // A preview that acts: keep 10 per rule, pattern rules on images over a day old
        // (Berth's clock moved two days on).
        set_clock(&mut client, 2 * 24 * 60 * 60)?;
        let acting = policy(10, 1);
        let start =
            json!({"repositoryName": REPOSITORY, "lifecyclePolicyText": acting}).to_string();
        let get = json!({"repositoryName": REPOSITORY}).to_string();
        let mut preview_results = 0;
        let preview_time = median_of(SAMPLES, || {
            ecr::call(&mut client, "StartLifecyclePolicyPreview", &start)?;
            let response = ecr::call(&mut client, "GetLifecyclePolicyPreview", &get)?;
            let answer: Value =
                serde_json::from_slice(&response.body).map_err(|e| e.to_string())?;
            preview_results = answer["summary"]["expiringImageTotalCount"]
                .as_u64()
                .unwrap_or(0) as usize;
            Ok(())
        })?;
        eprintln!(
            "lifecycle: {size} images: list all {list_time:?}, run {run_time:?}, preview {preview_time:?} ({preview_results} expiring)"
        );
        results.sizes.push(Sized {
            images: size,
            list_all: list_time,
            run: run_time,
            preview: preview_time,
            preview_results,
        });
        if size == 10_000 {
            let put = json!({"repositoryName": REPOSITORY, "lifecyclePolicyText": acting});
            ecr::call(&mut client, "PutLifecyclePolicy", &put.to_string())?;
            let (time, run) = timed(|| admin_run(&mut client))?;
            let expired = run["expired"].as_u64().unwrap_or(0);
            if expired as usize != preview_results {
                return Err(format!(
                    "the run expired {expired}, the preview said {preview_results}"
                ));
            }
            results.expiring_run = Some((size, expired, time));
        }
    }
    Ok(results)
}

pub fn section(context: &Context, results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(
        out,
        "## Lifecycle policies: evaluation and previews (issue 12)\n\n\
         Measured {} on {}; {}.\n\n\
         One command: `scripts/bench --lifecycle` (`--quick` skips 100,000 images). One \
         repository of N images, each with its own tag (`v000000`…), one server per size, \
         one client. A policy of 10 rules (5 `tagPrefixList`, 4 `tagPatternList` with \
         `sinceImagePushed`, 1 `any`): **run** is `POST /_berth/lifecycle/run` with a \
         policy that keeps everything (a full evaluation: every image read with its tags, \
         matched and ranked by every rule; repeatable); **preview** is \
         StartLifecyclePolicyPreview of the same rules keeping 10 each and expiring pattern \
         matches over a day old, judged two days after the pushes (Berth's clock moved; most \
         images expire, each checked for an index that keeps it) plus the first \
         GetLifecyclePolicyPreview page. Baseline, same server: **list all**, every image \
         paged with ListImages at 1,000 per page. Medians of {SAMPLES} after a warm-up.\n",
        context.date, context.machine, context.versions
    );
    let _ = writeln!(
        out,
        "| images | list all (baseline) | run | run ÷ list all | run per image | preview | expiring in the preview |\n|---:|---:|---:|---:|---:|---:|---:|"
    );
    for sized in &results.sizes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} | {:.2} µs | {} | {} |",
            sized.images,
            duration(sized.list_all),
            duration(sized.run),
            sized.run.as_secs_f64() / sized.list_all.as_secs_f64(),
            sized.run.as_secs_f64() * 1e6 / sized.images as f64,
            duration(sized.preview),
            sized.preview_results,
        );
    }
    if let Some(ten) = results.sizes.iter().find(|s| s.images == 10_000) {
        let _ = writeln!(
            out,
            "\nTarget: an evaluation of 10,000 images and 10 rules in < {} ms: run {} — {}; preview {} — {}.",
            EVALUATION_TARGET.as_millis(),
            duration(ten.run),
            verdict(ten.run < EVALUATION_TARGET),
            duration(ten.preview),
            verdict(ten.preview < EVALUATION_TARGET),
        );
    }
    if let Some((images, expired, time)) = results.expiring_run {
        let _ = writeln!(
            out,
            "\nOne real run of the acting policy over {images} images, once: {expired} images expired (deleted with their tags) in {}.",
            duration(time)
        );
    }
    let _ = writeln!(out, "{END}");
    out
}
