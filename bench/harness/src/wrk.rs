//! Runs wrk and reads its report: requests per second, latency percentiles, and the
//! requests that failed (non-2xx answers, socket errors), which void a figure.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// How wrk is run: the same for every workload and both servers.
#[derive(Debug, Clone)]
pub struct Load {
    pub threads: u32,
    pub connections: u32,
    pub duration: Duration,
    /// How long a request may take before wrk counts it as failed: long enough for moto's
    /// slowest pages, so they count in its latency rather than as errors.
    pub timeout: Duration,
}

/// One wrk run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    /// The command line, as a person would type it.
    pub command: String,
    pub requests_per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub requests: u64,
    /// Non-2xx answers plus socket errors.
    pub failed: u64,
}

/// Runs wrk against `url`, with `script` (a path) if any and extra environment.
pub fn run(
    load: &Load,
    url: &str,
    script: Option<&Path>,
    env: &[(&str, String)],
) -> Result<Run, String> {
    let mut args = vec![
        format!("-t{}", load.threads),
        format!("-c{}", load.connections),
        format!("-d{}s", load.duration.as_secs()),
        format!("--timeout={}s", load.timeout.as_secs()),
        "--latency".to_owned(),
    ];
    if let Some(script) = script {
        args.push("-s".to_owned());
        args.push(script.display().to_string());
    }
    args.push(url.to_owned());
    let output = Command::new("wrk")
        .args(&args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .map_err(|e| format!("wrk: {e} (apt-get install wrk)"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "wrk {} failed: {}{}",
            args.join(" "),
            text,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let env_text: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    let mut run = parse(&text)?;
    run.command = format!("{env_text}wrk {}", args.join(" "));
    Ok(run)
}

/// Reads wrk's `--latency` report.
pub fn parse(text: &str) -> Result<Run, String> {
    let mut run = Run::default();
    let mut found_rate = false;
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", rate] => {
                run.requests_per_second = rate.parse().map_err(|_| format!("bad rate {rate}"))?;
                found_rate = true;
            }
            ["50%", value] => run.p50 = duration(value)?,
            ["99%", value] => run.p99 = duration(value)?,
            [count, "requests", "in", ..] => run.requests = count.parse().unwrap_or(0),
            ["Non-2xx", "or", "3xx", "responses:", count] => {
                run.failed += count.parse::<u64>().unwrap_or(0);
            }
            ["Socket", "errors:", rest @ ..] => {
                // connect N, read N, write N, timeout N
                run.failed += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    if !found_rate {
        return Err(format!("no Requests/sec in wrk's output:\n{text}"));
    }
    Ok(run)
}

/// `812.00us`, `1.23ms`, `2.00s`, `1.5m`.
fn duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or_else(|| format!("no unit in {text}"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("bad number in {text}"))?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("unknown unit in {text}")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 5s test @ http://127.0.0.1:46237/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   271.19us  400.00us   9.20ms   90.00%
    Req/Sec    29.57k     2.10k   33.00k    70.00%
  Latency Distribution
     50%  210.00us
     75%  300.00us
     90%  500.00us
     99%    2.58ms
  294237 requests in 5.00s, 61.31MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:  58847.30
Transfer/sec:     12.26MB
";

    #[test]
    fn reports_are_read_with_their_units_and_failures() {
        let run = parse(REPORT).unwrap();
        assert_eq!(run.requests_per_second, 58847.30);
        assert_eq!(run.p50, Duration::from_micros(210));
        assert_eq!(run.p99, Duration::from_micros(2580));
        assert_eq!(run.requests, 294237);
        assert_eq!(run.failed, 15);
    }

    #[test]
    fn a_report_without_a_rate_is_an_error() {
        assert!(parse("unable to connect to 127.0.0.1:1 Connection refused").is_err());
        assert!(duration("12").is_err());
        assert_eq!(duration("1.5m").unwrap(), Duration::from_secs(90));
    }
}
