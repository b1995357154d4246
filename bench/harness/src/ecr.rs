//! ECR calls as the wrk scripts (bench/ecr.lua) send them, for seeding and timing: same
//! headers, so Berth and moto see the same requests from both.

use conformance::http::{Client, Response};

pub const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// A SigV4 credential scope (us-east-1, ecr) with a dummy signature, as in bench/ecr.lua.
const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/ecr/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000";
/// The account both servers use for unsigned-looking callers.
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// One API call; an error unless it answered 200.
pub fn call(client: &mut Client, operation: &str, body: &str) -> Result<Response, String> {
    let target = format!("{TARGET_PREFIX}{operation}");
    let response = client
        .post(
            "/",
            &[
                ("X-Amz-Target", &target),
                ("Content-Type", CONTENT_TYPE),
                ("X-Amz-Date", "20240101T000000Z"),
                ("Authorization", AUTHORIZATION),
            ],
            body.as_bytes(),
        )
        .map_err(|e| format!("{operation}: {e}"))?;
    if response.status != 200 {
        return Err(format!(
            "{operation} answered {}: {}",
            response.status,
            response.text()
        ));
    }
    Ok(response)
}

/// Creates repositories `bench/seed-<n>` for `n` in `range` (zero-padded, so name order is
/// number order).
pub fn seed(client: &mut Client, range: std::ops::Range<usize>) -> Result<(), String> {
    for n in range {
        create(client, &seed_name(n))?;
    }
    Ok(())
}

pub fn seed_name(n: usize) -> String {
    format!("bench/seed-{n:06}")
}

pub fn create(client: &mut Client, name: &str) -> Result<(), String> {
    call(
        client,
        "CreateRepository",
        &format!(r#"{{"repositoryName":"{name}"}}"#),
    )
    .map(drop)
}

pub fn repository_arn(name: &str) -> String {
    format!("arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository/{name}")
}

/// The token that starts the page after the first `skip` repositories.
pub fn token_after(client: &mut Client, skip: usize) -> Result<String, String> {
    /// The largest page DescribeRepositories allows.
    const MAX_PAGE: usize = 1000;
    let mut token: Option<String> = None;
    let mut skipped = 0;
    while skipped < skip {
        let page = (skip - skipped).min(MAX_PAGE);
        let body = match &token {
            Some(token) => format!(r#"{{"maxResults":{page},"nextToken":"{token}"}}"#),
            None => format!(r#"{{"maxResults":{page}}}"#),
        };
        let response = call(client, "DescribeRepositories", &body)?;
        let json: serde_json::Value = serde_json::from_slice(&response.body)
            .map_err(|e| format!("DescribeRepositories: {e}"))?;
        token = json["nextToken"].as_str().map(str::to_owned);
        skipped += page;
        if token.is_none() {
            return Err(format!("only {skipped} repositories to page through"));
        }
    }
    token.ok_or_else(|| "nothing to skip".to_owned())
}
