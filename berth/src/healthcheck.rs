//! `berth healthcheck`: GETs `/_berth/health` of a running Berth and exits 0 when it
//! answers `200` with `"status": "ok"`, 1 otherwise. A container image built `FROM scratch`
//! has no shell or curl, so its `HEALTHCHECK` runs the binary itself.
//!
//! Plain HTTP/1.0 over a `TcpStream` on purpose: the probe needs no client stack, and an
//! HTTP/1.0 request gets a close-delimited body (no chunked encoding to decode).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::admin::HEALTH;

/// How long the probe waits to connect, and then for each read or write: well within
/// Docker's default HEALTHCHECK timeout (30 s), so a hung server fails the probe rather
/// than the probe being killed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The most of the answer the probe reads (the health document is a few hundred bytes).
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// The health URL of a Berth listening on `host:port` (its `--host`/`--port`), as seen from
/// the same machine: a wildcard address (`0.0.0.0`, `::`) is reached on loopback.
pub fn local_health_url(host: &str, port: u16) -> String {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) if ip.is_unspecified() => Ipv4Addr::LOCALHOST.to_string(),
        Ok(IpAddr::V6(ip)) if ip.is_unspecified() => format!("[{}]", Ipv6Addr::LOCALHOST),
        Ok(IpAddr::V6(ip)) => format!("[{ip}]"),
        _ => host.to_owned(),
    };
    format!("http://{host}:{port}{HEALTH}")
}

/// GETs `url` (`http://HOST[:PORT][/PATH]`) and answers the health document's text when it
/// says the server is healthy, else why not.
pub fn probe(url: &str, timeout: Duration) -> Result<String, String> {
    let (authority, path) = split_url(url)?;
    let address = resolve(authority)?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| format!("cannot set timeouts: {e}"))?;
    let request =
        format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: application/json\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send the request to {authority}: {e}"))?;
    let mut response = Vec::new();
    stream
        .take(MAX_RESPONSE_BYTES)
        .read_to_end(&mut response)
        .map_err(|e| format!("no answer from {authority}: {e}"))?;
    healthy(&response)
}

/// Judges a raw HTTP response: status 200 and a JSON body whose `status` is `ok`.
fn healthy(response: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("not an HTTP response: {:?}", clip(&text)))?;
    let status_line = head.lines().next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status != "200" {
        return Err(format!("answered {status_line:?}: {}", clip(body)));
    }
    let document: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| format!("the health document is not JSON ({e}): {}", clip(body)))?;
    match document.get("status").and_then(|s| s.as_str()) {
        Some("ok") => Ok(body.trim().to_owned()),
        _ => Err(format!("not healthy: {}", clip(body))),
    }
}

/// `http://HOST[:PORT][/PATH]` → (`HOST:PORT`, `/PATH`); port 80 when absent, `/_berth/health`
/// when there is no path.
fn split_url(url: &str) -> Result<(&str, &str), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url:?} is not an http:// URL"))?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, HEALTH),
    };
    if authority.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    Ok((authority, path))
}

fn resolve(authority: &str) -> Result<SocketAddr, String> {
    // A port is present when the text after the last ':' is outside IPv6 brackets.
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, port)| !port.contains(']'));
    let with_port = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority} resolves to no address"))
}

/// The start of a body, for a one-line failure message.
fn clip(text: &str) -> &str {
    let end = text
        .char_indices()
        .nth(200)
        .map_or(text.len(), |(index, _)| index);
    text[..end].trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    #[test]
    fn wildcard_hosts_are_probed_on_loopback() {
        assert_eq!(
            local_health_url("0.0.0.0", 4566),
            "http://127.0.0.1:4566/_berth/health"
        );
        assert_eq!(
            local_health_url("::", 5000),
            "http://[::1]:5000/_berth/health"
        );
        assert_eq!(
            local_health_url("localhost", 4566),
            "http://localhost:4566/_berth/health"
        );
        assert_eq!(local_health_url("::1", 1), "http://[::1]:1/_berth/health");
    }

    #[test]
    fn urls_split_into_authority_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:4566/_berth/health"),
            Ok(("127.0.0.1:4566", "/_berth/health"))
        );
        assert_eq!(
            split_url("http://localhost:9"),
            Ok(("localhost:9", "/_berth/health"))
        );
        assert!(split_url("https://localhost:9/").is_err());
        assert!(split_url("http:///x").is_err());
        assert_eq!(
            resolve("[::1]").unwrap(),
            "[::1]:80".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            resolve("127.0.0.1:7").unwrap(),
            "127.0.0.1:7".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn only_a_200_with_status_ok_is_healthy() {
        let ok = b"HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{\"status\":\"ok\"}";
        assert_eq!(healthy(ok), Ok("{\"status\":\"ok\"}".to_owned()));
        let error =
            healthy(b"HTTP/1.0 503 Service Unavailable\r\n\r\n{\"status\":\"ok\"}").unwrap_err();
        assert!(error.contains("503"), "{error}");
        let error = healthy(b"HTTP/1.0 200 OK\r\n\r\n{\"status\":\"starting\"}").unwrap_err();
        assert!(error.contains("not healthy"), "{error}");
        let error = healthy(b"HTTP/1.0 200 OK\r\n\r\n<html>").unwrap_err();
        assert!(error.contains("not JSON"), "{error}");
        assert!(healthy(b"garbage").is_err());
    }

    /// One request answered by a stand-in server with `answer`; returns what the probe said
    /// and the request it sent.
    fn probe_against(answer: &'static [u8]) -> (Result<String, String>, String) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buffer = [0; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let n = stream.read(&mut buffer).unwrap();
                assert!(n > 0, "the probe closed before ending its request");
                request.extend_from_slice(&buffer[..n]);
            }
            stream.write_all(answer).unwrap();
            String::from_utf8(request).unwrap()
        });
        let outcome = probe(&local_health_url("0.0.0.0", port), PROBE_TIMEOUT);
        (outcome, server.join().unwrap())
    }

    #[test]
    fn the_probe_gets_the_health_endpoint() {
        let (outcome, request) =
            probe_against(b"HTTP/1.0 200 OK\r\n\r\n{\"status\":\"ok\",\"version\":\"1\"}");
        assert_eq!(
            outcome,
            Ok("{\"status\":\"ok\",\"version\":\"1\"}".to_owned())
        );
        assert!(
            request.starts_with("GET /_berth/health HTTP/1.0\r\n"),
            "{request}"
        );
        let (outcome, _) = probe_against(b"HTTP/1.0 500 Internal Server Error\r\n\r\n{}");
        assert!(outcome.unwrap_err().contains("500"));
    }

    #[test]
    fn nothing_listening_is_unhealthy() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let error = probe(&local_health_url("127.0.0.1", port), PROBE_TIMEOUT).unwrap_err();
        assert!(error.contains("cannot connect"), "{error}");
    }
}
