//! A tiny blocking HTTP/1.1 client: one keep-alive connection to one `http://` endpoint,
//! bodies framed by `Content-Length` or chunked encoding. Enough to talk to Berth (and to
//! time it) without a TLS stack or an async runtime.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long one read or write may block before the request fails.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest status or header line accepted from the server.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// A response: status, headers (names lowercased) and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A client for one endpoint, reusing its connection between requests.
#[derive(Debug)]
pub struct Client {
    /// `host:port`, as connected to and sent in `Host`.
    authority: String,
    connection: Option<BufReader<TcpStream>>,
}

impl Client {
    /// A client for `http://HOST:PORT` (a trailing `/` is allowed; no path, no TLS).
    pub fn new(endpoint: &str) -> Result<Client, String> {
        let authority = endpoint
            .strip_prefix("http://")
            .ok_or_else(|| format!("endpoint `{endpoint}` must start with http://"))?
            .trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(format!(
                "endpoint `{endpoint}` must be http://HOST:PORT, without a path"
            ));
        }
        Ok(Client {
            authority: authority.to_owned(),
            connection: None,
        })
    }

    /// Sends one request and reads its response. A reused connection the server closed
    /// meanwhile is replaced once; a fresh connection's failure is the caller's error.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let head = self.head(method, path, headers, body.len());
        if self.connection.is_some() {
            match self.exchange(&head, body) {
                Ok(response) => return Ok(response),
                Err(_) => self.connection = None,
            }
        }
        self.exchange(&head, body)
    }

    /// `POST path` with a body.
    pub fn post(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        self.request("POST", path, headers, body)
    }

    /// `GET path`.
    pub fn get(&mut self, path: &str) -> io::Result<Response> {
        self.request("GET", path, &[], &[])
    }

    fn head(&self, method: &str, path: &str, headers: &[(&str, &str)], length: usize) -> Vec<u8> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {length}\r\n",
            self.authority
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    fn exchange(&mut self, head: &[u8], body: &[u8]) -> io::Result<Response> {
        if self.connection.is_none() {
            let stream = TcpStream::connect(&self.authority)?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(IO_TIMEOUT))?;
            stream.set_write_timeout(Some(IO_TIMEOUT))?;
            self.connection = Some(BufReader::new(stream));
        }
        let connection = self.connection.as_mut().expect("connected above");
        // One write: a separate small body write would meet Nagle and delayed ACKs.
        let mut message = Vec::with_capacity(head.len() + body.len());
        message.extend_from_slice(head);
        message.extend_from_slice(body);
        connection.get_mut().write_all(&message)?;
        let (response, keep_alive) = read_response(connection)?;
        if !keep_alive {
            self.connection = None;
        }
        Ok(response)
    }
}

/// Parses one whole response, as read up to the end of a connection (a client that sent
/// `Connection: close`).
pub fn parse_response(bytes: &[u8]) -> io::Result<Response> {
    read_response(&mut &bytes[..]).map(|(response, _)| response)
}

/// Reads one response; also says whether the connection may be reused.
fn read_response(reader: &mut impl BufRead) -> io::Result<(Response, bool)> {
    let status_line = read_line(reader)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| invalid(format!("not an HTTP/1.x status line: {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("malformed header line: {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let chunked = find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let length = find("content-length")
        .map(|v| {
            v.parse::<usize>()
                .map_err(|_| invalid(format!("bad Content-Length {v:?}")))
        })
        .transpose()?;
    let mut keep_alive = version == "HTTP/1.1"
        && !find("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let body = if chunked {
        read_chunked(reader)?
    } else if let Some(length) = length {
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    } else if status == 204 || status == 304 || (100..200).contains(&status) {
        Vec::new()
    } else {
        // Framed by the end of the connection.
        keep_alive = false;
        let mut body = Vec::new();
        reader.read_to_end(&mut body)?;
        body
    };
    Ok((
        Response {
            status,
            headers,
            body,
        },
        keep_alive,
    ))
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| invalid(format!("bad chunk size {line:?}")))?;
        if size == 0 {
            // Trailers, then the empty line.
            while !read_line(reader)?.is_empty() {}
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        if !read_line(reader)?.is_empty() {
            return Err(invalid("chunk not followed by CRLF".to_owned()));
        }
    }
}

/// One CRLF-terminated line, without its terminator.
fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64)
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    if line.last() != Some(&b'\n') {
        return Err(invalid("line too long or cut short".to_owned()));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| invalid("a header line is not UTF-8".to_owned()))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> (Response, bool) {
        read_response(&mut raw.as_bytes()).unwrap()
    }

    #[test]
    fn content_length_bodies_keep_the_connection() {
        let (response, keep_alive) = parse(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}extra",
        );
        assert_eq!(response.status, 200);
        assert_eq!(response.body, b"{}");
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert!(keep_alive);
    }

    #[test]
    fn chunked_bodies_are_joined() {
        let (response, _) = parse(
            "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        );
        assert_eq!(response.status, 400);
        assert_eq!(response.body, b"abcde");
    }

    #[test]
    fn close_and_unframed_bodies_end_the_connection() {
        let (_, keep_alive) =
            parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        assert!(!keep_alive);
        let (response, keep_alive) = parse("HTTP/1.1 200 OK\r\n\r\nto the end");
        assert_eq!(response.body, b"to the end");
        assert!(!keep_alive);
    }

    #[test]
    fn a_whole_connection_parses_as_one_response() {
        let raw = b"HTTP/1.1 431 Too Large\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}";
        let response = parse_response(raw).unwrap();
        assert_eq!((response.status, response.text()), (431, "{}".to_owned()));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for raw in [
            "",
            "SSH-2.0\r\n\r\n",
            "HTTP/1.1 abc\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        ] {
            assert!(read_response(&mut raw.as_bytes()).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn endpoints_must_be_plain_http() {
        assert!(Client::new("http://127.0.0.1:4566/").is_ok());
        assert!(Client::new("https://127.0.0.1:4566").is_err());
        assert!(Client::new("http://127.0.0.1:4566/path").is_err());
        assert!(Client::new("http://").is_err());
    }
}
