//! SigV4 against AWS's published test suite (aws-sig-v4-test-suite: credentials
//! AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service "service"), then `verify` on
//! ECR-shaped requests: every refusal, and the identity of an accepted one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use super::*;

const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_DATE: &str = "20150830T123600Z";
const SUITE_SCOPE: &str = "20150830/us-east-1/service/aws4_request";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn header_map(headers: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

/// The canonical request, string to sign and signature of one test-suite request.
fn sign_suite(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(&str, &str)],
    signed: &[&str],
    body: &[u8],
) -> (String, String, String) {
    let headers = header_map(headers);
    let request = SignedRequest {
        method,
        path,
        query,
        headers: &headers,
        body,
    };
    let creq = canonical::request(&request, signed, &signing::sha256_hex(body));
    let sts = signing::string_to_sign(SUITE_DATE, SUITE_SCOPE, &creq);
    let key = signing::signing_key(SUITE_SECRET, "20150830", "us-east-1", "service");
    let signature = signing::signature(&key, &sts);
    (creq, sts, signature)
}

const HOST: (&str, &str) = ("host", "example.amazonaws.com");
const DATE: (&str, &str) = ("x-amz-date", SUITE_DATE);

#[test]
fn get_vanilla() {
    let (creq, sts, signature) = sign_suite(
        "GET",
        "/",
        None,
        &[HOST, DATE],
        &["host", "x-amz-date"],
        b"",
    );
    assert_eq!(
        creq,
        format!(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{EMPTY_SHA256}"
        )
    );
    assert_eq!(
        sts,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    assert_eq!(
        signature,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn post_vanilla() {
    let (_, _, signature) = sign_suite(
        "POST",
        "/",
        None,
        &[HOST, DATE],
        &["host", "x-amz-date"],
        b"",
    );
    assert_eq!(
        signature,
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
    );
}

#[test]
fn post_x_www_form_urlencoded() {
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        HOST,
        DATE,
    ];
    let (creq, _, signature) = sign_suite(
        "POST",
        "/",
        None,
        &headers,
        &["content-type", "host", "x-amz-date"],
        b"Param1=value1",
    );
    assert!(creq.ends_with("\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"));
    assert_eq!(
        signature,
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
    );
}

#[test]
fn get_vanilla_query_order_key_case() {
    let (creq, _, signature) = sign_suite(
        "GET",
        "/",
        Some("Param2=value2&Param1=value1"),
        &[HOST, DATE],
        &["host", "x-amz-date"],
        b"",
    );
    assert!(
        creq.starts_with("GET\n/\nParam1=value1&Param2=value2\n"),
        "{creq}"
    );
    assert_eq!(
        signature,
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    );
}

#[test]
fn get_header_value_trim() {
    let headers = [
        HOST,
        ("my-header1", " value1"),
        ("my-header2", " \"a   b   c\""),
        DATE,
    ];
    let (creq, _, signature) = sign_suite(
        "GET",
        "/",
        None,
        &headers,
        &["host", "my-header1", "my-header2", "x-amz-date"],
        b"",
    );
    assert!(
        creq.contains("\nmy-header1:value1\nmy-header2:\"a b c\"\n"),
        "{creq}"
    );
    assert_eq!(
        signature,
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
    );
}

// ---- verify: ECR-shaped requests ------------------------------------------------------

const AKID: &str = "AKIDBERTHTEST";
const SECRET: &str = "berth/test+secret";
const ACCOUNT: &str = "444455556666";
const TARGET: &str = "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories";
const BODY: &[u8] = b"{}";
/// 2024-05-01T10:00:00Z.
const SIGNED_AT: u64 = 1_714_557_600;

fn credentials() -> Credentials {
    format!("{AKID}:{SECRET}:{ACCOUNT},OTHER:other-secret:777788889999")
        .parse()
        .unwrap()
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

/// A request as an SDK would sign it, changed by `tamper` after signing.
struct Signed {
    headers: HeaderMap,
    body: Vec<u8>,
}

fn signed_request(
    akid: &str,
    secret: &str,
    region: &str,
    signed_at: u64,
    extra: &[(&str, &str)],
) -> Signed {
    let date = time::format_amz_date(signed_at as i64);
    let mut headers = vec![
        ("content-type", "application/x-amz-json-1.1"),
        ("host", "127.0.0.1:4566"),
        ("x-amz-date", date.as_str()),
        ("x-amz-target", TARGET),
    ];
    headers.extend_from_slice(extra);
    headers.sort();
    let names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
    let map = header_map(&headers);
    let request = SignedRequest {
        method: "POST",
        path: "/",
        query: None,
        headers: &map,
        body: BODY,
    };
    let creq = canonical::request(&request, &names, &signing::sha256_hex(BODY));
    let scope = format!("{}/{region}/ecr/aws4_request", &date[..8]);
    let sts = signing::string_to_sign(&date, &scope, &creq);
    let key = signing::signing_key(secret, &date[..8], region, "ecr");
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={akid}/{scope}, SignedHeaders={}, Signature={}",
        names.join(";"),
        signing::signature(&key, &sts)
    );
    let mut map = map;
    map.insert(
        "authorization",
        HeaderValue::from_str(&authorization).unwrap(),
    );
    Signed {
        headers: map,
        body: BODY.to_vec(),
    }
}

fn check(signed: &Signed, now: SystemTime) -> Result<Scope, AuthError> {
    verify(
        &credentials(),
        &SignedRequest {
            method: "POST",
            path: "/",
            query: None,
            headers: &signed.headers,
            body: &signed.body,
        },
        now,
    )
}

fn good() -> Signed {
    signed_request(AKID, SECRET, "eu-west-1", SIGNED_AT, &[])
}

#[test]
fn a_valid_signature_makes_the_key_account_the_caller() {
    assert_eq!(
        check(&good(), at(SIGNED_AT + 60)),
        Ok(Scope {
            account_id: ACCOUNT.parse().unwrap(),
            region: "eu-west-1".parse().unwrap(),
        })
    );
}

#[test]
fn a_declared_payload_hash_must_be_the_body_hash() {
    let hash = signing::sha256_hex(BODY);
    let signed = signed_request(
        AKID,
        SECRET,
        "eu-west-1",
        SIGNED_AT,
        &[("x-amz-content-sha256", &hash)],
    );
    assert!(check(&signed, at(SIGNED_AT)).is_ok());
    let lying = signed_request(
        AKID,
        SECRET,
        "eu-west-1",
        SIGNED_AT,
        &[("x-amz-content-sha256", EMPTY_SHA256)],
    );
    assert_eq!(
        check(&lying, at(SIGNED_AT)),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn unsigned_requests_miss_the_token() {
    let mut signed = good();
    signed.headers.remove("authorization");
    assert_eq!(check(&signed, at(SIGNED_AT)), Err(AuthError::MissingToken));
}

#[test]
fn unknown_keys_are_unrecognized() {
    let signed = signed_request("AKIDNOBODY", SECRET, "eu-west-1", SIGNED_AT, &[]);
    assert_eq!(
        check(&signed, at(SIGNED_AT)),
        Err(AuthError::UnrecognizedClient)
    );
}

#[test]
fn tampering_breaks_the_signature() {
    let now = at(SIGNED_AT);
    let mut body = good();
    body.body = b"{\"maxResults\": 1}".to_vec();
    assert_eq!(check(&body, now), Err(AuthError::SignatureMismatch));

    let mut target = good();
    target.headers.insert(
        "x-amz-target",
        HeaderValue::from_static("AmazonEC2ContainerRegistry_V20150921.DeleteRepository"),
    );
    assert_eq!(check(&target, now), Err(AuthError::SignatureMismatch));

    let wrong_secret = signed_request(AKID, "not the secret", "eu-west-1", SIGNED_AT, &[]);
    assert_eq!(check(&wrong_secret, now), Err(AuthError::SignatureMismatch));

    // Another known key's id on this key's signature.
    let mut swapped = good();
    let header = swapped.headers["authorization"]
        .to_str()
        .unwrap()
        .replace(AKID, "OTHER");
    swapped
        .headers
        .insert("authorization", HeaderValue::from_str(&header).unwrap());
    assert_eq!(check(&swapped, now), Err(AuthError::SignatureMismatch));
}

#[test]
fn signatures_are_fresh_for_fifteen_minutes_either_way() {
    let signed = good();
    assert!(check(&signed, at(SIGNED_AT + 15 * 60)).is_ok());
    assert!(check(&signed, at(SIGNED_AT - 15 * 60)).is_ok());
    for now in [SIGNED_AT + 15 * 60 + 1, SIGNED_AT - 15 * 60 - 1] {
        match check(&signed, at(now)) {
            Err(error @ AuthError::InvalidSignature { .. }) => {
                assert!(error.to_string().contains("Signature"), "{error}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn scope_and_required_headers_are_checked() {
    let now = at(SIGNED_AT);
    let invalid = |signed: &Signed| match check(signed, now) {
        Err(AuthError::InvalidSignature { message }) => message,
        other => panic!("{other:?}"),
    };
    let bad_region = signed_request(AKID, SECRET, "Not_A_Region", SIGNED_AT, &[]);
    assert!(invalid(&bad_region).contains("valid region"));

    let mut other_service = good();
    let header = other_service.headers["authorization"]
        .to_str()
        .unwrap()
        .replace("/ecr/", "/s3/");
    other_service
        .headers
        .insert("authorization", HeaderValue::from_str(&header).unwrap());
    assert!(invalid(&other_service).contains("'ecr'"));

    let mut stale_scope = good();
    let header = stale_scope.headers["authorization"]
        .to_str()
        .unwrap()
        .replace("/20240501/", "/20240430/");
    stale_scope
        .headers
        .insert("authorization", HeaderValue::from_str(&header).unwrap());
    assert!(invalid(&stale_scope).contains("'20240430' != '20240501'"));

    let mut unsigned_target = good();
    let header = unsigned_target.headers["authorization"]
        .to_str()
        .unwrap()
        .replace(";x-amz-target", "");
    unsigned_target
        .headers
        .insert("authorization", HeaderValue::from_str(&header).unwrap());
    assert!(invalid(&unsigned_target).contains("'x-amz-target' must be a 'SignedHeader'"));
}

#[test]
fn unreadable_headers_and_dates_are_incomplete_signatures() {
    let now = at(SIGNED_AT);
    let mut no_date = good();
    no_date.headers.remove("x-amz-date");
    assert!(matches!(
        check(&no_date, now),
        Err(AuthError::IncompleteSignature { .. })
    ));
    let mut bad_date = good();
    bad_date
        .headers
        .insert("x-amz-date", HeaderValue::from_static("yesterday"));
    assert!(matches!(
        check(&bad_date, now),
        Err(AuthError::IncompleteSignature { .. })
    ));
    let mut garbage = good();
    garbage
        .headers
        .insert("authorization", HeaderValue::from_static("Bearer abc"));
    assert!(matches!(
        check(&garbage, now),
        Err(AuthError::IncompleteSignature { .. })
    ));
}
