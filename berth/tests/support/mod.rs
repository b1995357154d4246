//! What the server's test binaries share: an HTTP/1.1 client over a raw TCP stream, so
//! protocol tests control every byte they send (headers, framing, malformed input), and the
//! `berth` binary as a child process ([`process`]). Answers are parsed by the conformance
//! runner's HTTP client (`conformance::http`), the project's one HTTP/1.1 response reader.

#![allow(dead_code)] // Each test binary uses its own subset.

pub mod process;
pub mod sdk;

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::time::Duration;

use conformance::http::{self, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `X-Amz-Target` prefix of ECR.
pub const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921";
/// The awsJson1.1 media type.
pub const JSON_11: &str = "application/x-amz-json-1.1";
/// No test request takes longer than this; a hang is a failure, not a stuck suite.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A SigV4-style Authorization header whose credential names `access_key_id` and `region`.
pub fn authorization(access_key_id: &str, region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key_id}/20240101/{region}/ecr/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00ff"
    )
}

/// A response as `conformance::http` parses it (`status`, `headers`, `body`, `header()`,
/// `text()`), with what the API tests ask of it.
#[derive(Debug, Clone)]
pub struct HttpResponse(Response);

impl Deref for HttpResponse {
    type Target = Response;

    fn deref(&self) -> &Response {
        &self.0
    }
}

impl HttpResponse {
    /// A response parsed elsewhere (a HEAD's, whose head announces a body it has not).
    pub fn from_response(response: Response) -> HttpResponse {
        HttpResponse(response)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// `__type` of an error body.
    pub fn error_type(&self) -> String {
        self.json()["__type"]
            .as_str()
            .unwrap_or_else(|| panic!("no __type in {}", self.text()))
            .to_owned()
    }

    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message in {}", self.text()))
            .to_owned()
    }

    /// Asserts an AWS-shaped error: status, `__type`, content type, request id.
    #[track_caller]
    pub fn assert_error(&self, status: u16, type_name: &str) {
        assert_eq!(self.status, status, "status of {}", self.text());
        assert_eq!(self.error_type(), type_name, "{}", self.text());
        assert!(!self.message().is_empty(), "empty message: {}", self.text());
        self.assert_aws_headers();
    }

    /// Asserts the headers every API answer carries: the awsJson1.1 content type and a
    /// uuid request id.
    #[track_caller]
    pub fn assert_aws_headers(&self) {
        assert_eq!(self.header("content-type"), Some(JSON_11), "{self:?}");
        self.request_id();
    }

    /// The `x-amzn-RequestId` header, checked to be a uuid.
    #[track_caller]
    pub fn request_id(&self) -> uuid::Uuid {
        let id = self
            .header("x-amzn-RequestId")
            .unwrap_or_else(|| panic!("no x-amzn-RequestId in {self:?}"));
        uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("request id {id:?} is not a uuid: {e}"))
    }
}

/// Sends `raw` bytes as they are and reads the answer until the server closes.
pub async fn send_raw(addr: SocketAddr, raw: &[u8]) -> io::Result<HttpResponse> {
    tokio::time::timeout(TIMEOUT, async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(raw).await?;
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await?;
        http::parse_response(&bytes).map(HttpResponse)
    })
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no complete answer in time"))?
}

/// A request head with `Content-Length` framing; the body follows it.
pub fn head(
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_length: usize,
) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {content_length}\r\n\r\n"));
    head
}

/// Sends one request with `Content-Length` framing and `Connection: close`; fails only
/// where the connection does.
pub async fn try_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<HttpResponse> {
    let headers = [&[("Connection", "close")], headers].concat();
    let mut raw = head(&addr.to_string(), method, path, &headers, body.len()).into_bytes();
    raw.extend_from_slice(body);
    send_raw(addr, &raw).await
}

/// [`try_request`], which must get an answer.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    try_request(addr, method, path, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// An ECR API call as SDKs send it, from the default account and region.
pub async fn call(addr: SocketAddr, operation: &str, body: &str) -> HttpResponse {
    call_as(addr, None, operation, body).await
}

/// An ECR API call with an optional Authorization header.
pub async fn call_as(
    addr: SocketAddr,
    auth: Option<&str>,
    operation: &str,
    body: &str,
) -> HttpResponse {
    try_call_as(addr, auth, operation, body)
        .await
        .unwrap_or_else(|e| panic!("{operation}: {e}"))
}

/// [`call_as`], failing only where the connection does (a server being killed).
pub async fn try_call_as(
    addr: SocketAddr,
    auth: Option<&str>,
    operation: &str,
    body: &str,
) -> io::Result<HttpResponse> {
    let target = format!("{TARGET_PREFIX}.{operation}");
    let mut headers = vec![("X-Amz-Target", target.as_str()), ("Content-Type", JSON_11)];
    if let Some(auth) = auth {
        headers.push(("Authorization", auth));
    }
    try_request(addr, "POST", "/", &headers, body.as_bytes()).await
}

/// A GET, as the admin endpoints are read.
pub async fn get(addr: SocketAddr, path: &str) -> HttpResponse {
    request(addr, "GET", path, &[], b"").await
}

/// A chunked request: the body is sent as the given chunks, without `Content-Length`.
pub fn chunked_request(path: &str, headers: &[(&str, &str)], chunks: &[&[u8]]) -> Vec<u8> {
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: berth\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
    );
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    let mut raw = raw.into_bytes();
    for chunk in chunks {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    raw
}
