//! The HTTP limits over real connections: oversized heads, clients that trickle or stall,
//! idle keep-alive connections. Each test starts its own server with short timeouts, so
//! a test waits for the server's answer (or for it to close the connection) as an event;
//! no assertion is about how long anything took.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use berth::Config;
use berth::config::{MAX_REQUEST_HEAD_BUFFER_BYTES, MAX_REQUEST_HEADER_BYTES, Timeouts};
use support::{JSON_11, TARGET_PREFIX, TIMEOUT, get, head, request, send_raw};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longer than any test runs: a timeout that must not be the one that fires.
const LONG: Duration = Duration::from_secs(600);
/// Short enough for a test to wait for.
const SHORT: Duration = Duration::from_millis(300);

/// Every timeout long but the one under test.
fn only(short: fn(&mut Timeouts)) -> Timeouts {
    let mut timeouts = Timeouts {
        request_head: LONG,
        request_body: LONG,
        idle_connection: LONG,
    };
    short(&mut timeouts);
    timeouts
}

async fn berth_with(timeouts: Timeouts) -> berth::Running {
    berth::start(Config {
        timeouts,
        ..Config::ephemeral()
    })
    .await
    .expect("Berth starts")
}

/// Reads until the server closes the connection; the bytes it sent. Fails the test if the
/// server keeps the connection open past the suite's overall request timeout.
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(TIMEOUT, async {
        loop {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept a stalled connection open");
    bytes
}

/// A DescribeRepositories head announcing `content_length` body bytes, with `extra` headers.
fn describe_head(extra: &[(&str, &str)], content_length: usize) -> String {
    let target = format!("{TARGET_PREFIX}.DescribeRepositories");
    let mut headers = vec![("X-Amz-Target", target.as_str()), ("Content-Type", JSON_11)];
    headers.extend_from_slice(extra);
    head("berth", "POST", "/", &headers, content_length)
}

async fn healthy(addr: SocketAddr) {
    assert_eq!(get(addr, "/_berth/health").await.status, 200);
}

#[tokio::test]
async fn oversized_headers_get_an_aws_shaped_431() {
    let berth = berth::start(Config::ephemeral()).await.unwrap();
    let addr = berth.local_addr();
    let big = "x".repeat(MAX_REQUEST_HEADER_BYTES);
    let target = format!("{TARGET_PREFIX}.DescribeRepositories");
    let response = request(
        addr,
        "POST",
        "/",
        &[
            ("X-Amz-Target", &target),
            ("Content-Type", JSON_11),
            ("X-Padding", &big),
        ],
        b"{}",
    )
    .await;
    response.assert_error(431, "RequestHeaderFieldsTooLargeException");
    assert!(
        response
            .message()
            .contains(&format!("{MAX_REQUEST_HEADER_BYTES} bytes")),
        "{}",
        response.text()
    );
    // Just under the limit is served.
    let fits = "x".repeat(MAX_REQUEST_HEADER_BYTES / 2);
    let response = request(
        addr,
        "POST",
        "/",
        &[
            ("X-Amz-Target", &target),
            ("Content-Type", JSON_11),
            ("X-Padding", &fits),
        ],
        b"{}",
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    berth.shutdown().await;
}

#[tokio::test]
async fn heads_past_the_parser_cap_are_refused_and_closed_without_harm() {
    let berth = berth::start(Config::ephemeral()).await.unwrap();
    let addr = berth.local_addr();
    let huge = "x".repeat(MAX_REQUEST_HEAD_BUFFER_BYTES * 2);
    let raw = describe_head(&[("X-Padding", &huge)], 2) + "{}";
    // The parser answers a bare 431 and closes (or resets while the client still writes).
    if let Ok(response) = send_raw(addr, raw.as_bytes()).await {
        assert_eq!(response.status, 431);
    }
    // Too many header fields are refused the same way.
    let names: Vec<String> = (0..500).map(|i| format!("X-H{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|name| (name.as_str(), "v")).collect();
    if let Ok(response) = send_raw(addr, (describe_head(&many, 2) + "{}").as_bytes()).await {
        assert_eq!(response.status, 431);
    }
    healthy(addr).await;
    berth.shutdown().await;
}

#[tokio::test]
async fn a_client_trickling_its_head_is_disconnected() {
    let berth = berth_with(only(|t| t.request_head = SHORT)).await;
    let addr = berth.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nX-Slow: ")
        .await
        .unwrap();
    // A byte now and then keeps the connection from being idle, but the head never
    // completes: the head timeout ends it, and the next write or read sees that.
    let closed = tokio::time::timeout(TIMEOUT, async {
        let mut byte = [0u8; 1];
        loop {
            if stream.write_all(b"x").await.is_err() {
                return;
            }
            match tokio::time::timeout(Duration::from_millis(50), stream.read(&mut byte)).await {
                Ok(Ok(0) | Err(_)) => return,
                Ok(Ok(_)) => panic!("the server answered a head that never ended"),
                Err(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server kept a trickling client");
    healthy(addr).await;
    berth.shutdown().await;
}

#[tokio::test]
async fn a_client_stalling_its_body_gets_an_aws_shaped_408() {
    let berth = berth_with(only(|t| t.request_body = SHORT)).await;
    let addr = berth.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // Promises 100 bytes, sends 2.
    stream
        .write_all((describe_head(&[], 100) + "{ ").as_bytes())
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&until_closed(&mut stream).await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("RequestTimeoutException"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("x-amzn-requestid"),
        "{answer}"
    );
    healthy(addr).await;
    berth.shutdown().await;
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let berth = berth_with(only(|t| t.idle_connection = SHORT)).await;
    let addr = berth.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all((describe_head(&[], 2) + "{}").as_bytes())
        .await
        .unwrap();
    // The answer arrives, then the idle connection is closed by the server.
    let answer = String::from_utf8_lossy(&until_closed(&mut stream).await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{answer}");
    berth.shutdown().await;
}

#[tokio::test]
async fn silent_connections_do_not_keep_others_from_being_served() {
    let berth = berth::start(Config::ephemeral()).await.unwrap();
    let addr = berth.local_addr();
    // Many clients connect and say nothing (with the default, long timeouts).
    let mut silent = Vec::new();
    for _ in 0..64 {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    let mut trickling = TcpStream::connect(addr).await.unwrap();
    trickling
        .write_all(&describe_head(&[], 100).into_bytes())
        .await
        .unwrap();
    // Everyone else is still served.
    for _ in 0..5 {
        healthy(addr).await;
    }
    drop(silent);
    drop(trickling);
    berth.shutdown().await;
}
