//! The canonical request SigV4 signs:
//! `METHOD\nURI\nQUERY\nHEADERS\n\nSIGNED_HEADERS\nPAYLOAD_HASH`, built from the request as
//! received, the way AWS SDKs build it for services other than S3 (whose paths are encoded
//! once more, and whose dot segments are left as sent).

use super::SignedRequest;

/// The header in which clients may state the body's SHA-256.
pub const CONTENT_SHA256_HEADER: &str = "x-amz-content-sha256";

/// The canonical request for `request`, covering `signed_headers`.
pub fn request(request: &SignedRequest<'_>, signed_headers: &[&str], payload_hash: &str) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        uri(request.path),
        query(request.query.unwrap_or_default()),
        headers(request, signed_headers),
        signed_headers.join(";"),
        payload_hash
    )
}

/// The path, each byte outside RFC 3986's unreserved set percent-encoded (so an encoded
/// path is encoded again, as SDKs do), `/` kept; an empty path is `/`.
fn uri(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    encode(path.as_bytes(), false)
}

/// Parameters decoded, re-encoded strictly, sorted by name then value, joined with `&`.
fn query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (encode(&decode(name), true), encode(&decode(value), true))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `name:value\n` for each signed header, values trimmed with inner runs of spaces
/// collapsed, repeated headers joined with `,`. A signed header the request lacks is
/// signed as empty (and so will not match what the client signed).
fn headers(request: &SignedRequest<'_>, signed_headers: &[&str]) -> String {
    let mut out = String::new();
    for name in signed_headers {
        let values: Vec<String> = request
            .headers
            .get_all(*name)
            .iter()
            .map(|value| collapse_spaces(&String::from_utf8_lossy(value.as_bytes())))
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Percent-encodes every byte but `A-Z a-z 0-9 - _ . ~` (and `/` unless `slash`).
fn encode(bytes: &[u8], slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'_' | b'.' | b'~')
            || (byte == b'/' && !slash);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Percent-decodes (`+` stays a `+`, as in SigV4); malformed escapes are kept as sent.
fn decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded_again_except_unreserved_characters_and_slashes() {
        assert_eq!(uri(""), "/");
        assert_eq!(uri("/"), "/");
        assert_eq!(uri("/_berth/health"), "/_berth/health");
        assert_eq!(uri("/a b/%41"), "/a%20b/%2541");
    }

    #[test]
    fn queries_are_sorted_and_strictly_encoded() {
        assert_eq!(query(""), "");
        assert_eq!(
            query("Param2=value2&Param1=value1"),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(query("b=2&a&a=1"), "a=&a=1&b=2");
        assert_eq!(query("k=a%20b+c/%7e"), "k=a%20b%2Bc%2F~");
        assert_eq!(query("k=%zz"), "k=%25zz");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(collapse_spaces("  value1 "), "value1");
        assert_eq!(collapse_spaces("\"a   b   c\""), "\"a b c\"");
    }
}
