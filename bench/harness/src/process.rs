//! The servers under test, as child processes: Berth (ready when it prints its endpoint)
//! and moto (ready when it answers). Killed when dropped, so no run leaves one behind.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use conformance::http::Client;

/// The line Berth prints once it accepts connections.
const ENDPOINT_PREFIX: &str = "BERTH_ENDPOINT=";
/// How long a server may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(5);

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Berth,
    Moto,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Berth => "Berth",
            Kind::Moto => "moto",
        }
    }

    /// The admin path that drops all state.
    fn reset_path(self) -> &'static str {
        match self {
            Kind::Berth => "/_berth/reset",
            Kind::Moto => "/moto-api/reset",
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    pub kind: Kind,
    pub endpoint: String,
    child: Child,
}

impl Server {
    /// Starts `berth --port 0` with its default settings (as users run it), its log in
    /// `log`; returns once it printed its endpoint.
    pub fn berth(binary: &Path, log: &Path) -> Result<Server, String> {
        Server::berth_with(binary, &[], log)
    }

    /// Starts `berth --port 0` with `args` added (such as `--data-dir DIR`).
    pub fn berth_with(binary: &Path, args: &[&str], log: &Path) -> Result<Server, String> {
        let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = Command::new(binary)
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let endpoint = read_endpoint(&mut child)?;
        Ok(Server {
            kind: Kind::Berth,
            endpoint,
            child,
        })
    }

    /// Starts `moto_server` on a free port; returns once it answers.
    pub fn moto(binary: &Path, log: &Path) -> Result<Server, String> {
        let port = free_port()?;
        let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let mut server = Server {
            kind: Kind::Moto,
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        server.wait_until_answering()?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn client(&self) -> Result<Client, String> {
        Client::new(&self.endpoint)
    }

    /// Drops every repository.
    pub fn reset(&self, client: &mut Client) -> Result<(), String> {
        let path = self.kind.reset_path();
        let response = client
            .post(path, &[], b"")
            .map_err(|e| format!("{} {path}: {e}", self.kind.name()))?;
        if response.status != 200 {
            return Err(format!(
                "{} {path} answered {}",
                self.kind.name(),
                response.status
            ));
        }
        Ok(())
    }

    /// Resident memory, from /proc.
    pub fn rss_kib(&self) -> Result<u64, String> {
        rss_kib(self.pid())
    }

    /// CPU time the server has used so far, user and system, all threads.
    pub fn cpu_time(&self) -> Result<Duration, String> {
        cpu_time(self.pid())
    }

    fn wait_until_answering(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let mut client = self.client()?;
        loop {
            if let Ok(response) = client.post(self.kind.reset_path(), &[], b"") {
                if response.status == 200 {
                    return Ok(());
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited while starting: {status}",
                    self.kind.name()
                ));
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(format!(
                    "{} did not answer within {READY_TIMEOUT:?}",
                    self.kind.name()
                ));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads Berth's `BERTH_ENDPOINT=` line from its stdout.
pub fn read_endpoint(child: &mut Child) -> Result<String, String> {
    let stdout = child.stdout.take().ok_or("berth's stdout is not piped")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("reading berth's stdout: {e}"))?;
    line.trim()
        .strip_prefix(ENDPOINT_PREFIX)
        .map(str::to_owned)
        .ok_or_else(|| format!("berth printed {line:?} instead of its endpoint"))
}

/// A port nothing listens on right now (for servers that cannot be given port 0).
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// `VmRSS` of a process, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64, String> {
    status_kib(pid, "VmRSS:")
}

/// A `kB` line of `/proc/PID/status`.
fn status_kib(pid: u32, field: &str) -> Result<u64, String> {
    let path = PathBuf::from(format!("/proc/{pid}/status"));
    let status = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in {}", path.display()))
}

/// `VmHWM` (peak resident memory) of a process, in KiB.
pub fn peak_rss_kib(pid: u32) -> Result<u64, String> {
    status_kib(pid, "VmHWM:")
}

/// Restarts a process's `VmHWM` from its current RSS (Linux 4.0+; our own child may be
/// reset by us). An error when the kernel refuses.
pub fn reset_peak_rss(pid: u32) -> Result<(), String> {
    let path = format!("/proc/{pid}/clear_refs");
    std::fs::write(&path, "5").map_err(|e| format!("{path}: {e}"))
}

/// User plus system CPU time of a process (all its threads), from `/proc/PID/stat`.
pub fn cpu_time(pid: u32) -> Result<Duration, String> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let ticks = stat_ticks(&stat).ok_or_else(|| format!("no utime and stime in {path}"))?;
    Ok(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second()? as f64,
    ))
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line. The command name (field
/// 2) may hold spaces and parentheses, so fields are counted after its last `)`.
fn stat_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name come field 3 (state) onwards: utime is the 12th of them.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The kernel's USER_HZ, the unit of `/proc/PID/stat` times (asked once of `getconf`).
fn clock_ticks_per_second() -> Result<u64, String> {
    static TICKS: std::sync::OnceLock<Result<u64, String>> = std::sync::OnceLock::new();
    TICKS
        .get_or_init(|| {
            let output = Command::new("getconf")
                .arg("CLK_TCK")
                .output()
                .map_err(|e| format!("getconf CLK_TCK: {e}"))?;
            String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .map_err(|_| "getconf CLK_TCK printed no number".to_owned())
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_times_are_read_after_the_command_name() {
        let stat = "4242 (berth (x) y) S 1 4242 4242 0 -1 4194304 120 0 0 0 37 5 0 0 20 0 9 0";
        assert_eq!(stat_ticks(stat), Some(42));
        assert_eq!(stat_ticks("4242 (berth) S 1"), None);
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let pid = std::process::id();
        let spent = cpu_time(pid).unwrap();
        // Busy until the figure grows (a tick is 10 ms), for at most a few seconds.
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while cpu_time(pid).unwrap() <= spent && started.elapsed() < Duration::from_secs(5) {
            for i in 0..1_000_000u64 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
            }
        }
        assert!(cpu_time(pid).unwrap() > spent);
        assert!(peak_rss_kib(pid).unwrap() >= rss_kib(pid).unwrap() / 2);
    }
}
