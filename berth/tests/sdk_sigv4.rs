//! `--verify-sigv4` against requests signed by the real AWS SDK for Rust (`aws-sdk-ecr`),
//! and tampered copies of them: a changed body or header (altered after signing, by an
//! interceptor), a wrong secret, an unknown key, a stale clock, no signature at all. Each
//! test starts its own in-process server on 127.0.0.1 and an ephemeral port.

mod support;

use std::time::{Duration, SystemTime};

use aws_sdk_ecr::Client;
use aws_sdk_ecr::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_ecr::config::retry::RetryConfig;
use aws_sdk_ecr::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_async::time::StaticTimeSource;
use berth::sigv4::Credentials as Keys;
use support::{call, get, request};

const KEY_A: &str = "AKIDBERTHA";
const SECRET_A: &str = "secret/for+A";
const ACCOUNT_A: &str = "111111111111";
const KEY_B: &str = "AKIDBERTHB";
const SECRET_B: &str = "secret-for-B";
const ACCOUNT_B: &str = "222222222222";

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const UNRECOGNIZED: &str = "The security token included in the request is invalid.";

async fn start_verifying() -> berth::Running {
    let credentials: Keys =
        format!("{KEY_A}:{SECRET_A}:{ACCOUNT_A},{KEY_B}:{SECRET_B}:{ACCOUNT_B}")
            .parse()
            .expect("valid credentials");
    berth::start(berth::Config {
        verify_sigv4: true,
        credentials,
        ..berth::Config::ephemeral()
    })
    .await
    .expect("Berth starts")
}

/// What a client does to its request after signing it.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    None,
    /// Replace the body with another valid request body.
    Body,
    /// Point the signed target header at another operation.
    Target,
    /// Claim a different payload hash than the body's.
    ContentSha256,
}

#[derive(Debug)]
struct AfterSigning(Tamper);

impl Intercept for AfterSigning {
    fn name(&self) -> &'static str {
        "tamper after signing"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request_mut();
        match self.0 {
            Tamper::None => {}
            Tamper::Body => {
                *request.body_mut() = r#"{"repositoryName":"other-name"}"#.into();
                let length = request.body().bytes().map_or(0, <[u8]>::len).to_string();
                request.headers_mut().insert("content-length", length);
            }
            Tamper::Target => {
                request.headers_mut().insert(
                    "x-amz-target",
                    "AmazonEC2ContainerRegistry_V20150921.DeleteRepository",
                );
            }
            Tamper::ContentSha256 => {
                request.headers_mut().insert(
                    "x-amz-content-sha256",
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                );
            }
        }
        Ok(())
    }
}

/// A client of `endpoint` signing with `key`/`secret` in `region`, whose clock reads
/// `clock` (the real time when `None`) and which tampers as told.
fn client(
    endpoint: &str,
    key: &str,
    secret: &str,
    region: &str,
    clock: Option<SystemTime>,
    tamper: Tamper,
) -> Client {
    let mut config = aws_sdk_ecr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key, secret, None, None, "berth-tests"))
        .retry_config(RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .interceptor(AfterSigning(tamper));
    if let Some(clock) = clock {
        config = config.time_source(StaticTimeSource::new(clock));
    }
    Client::from_conf(config.build())
}

fn endpoint(running: &berth::Running) -> String {
    running.endpoint()
}

/// `(status, code, message)` of a call that must fail with a service error.
fn refusal<T: std::fmt::Debug, E>(
    result: Result<T, SdkError<E, aws_sdk_ecr::config::http::HttpResponse>>,
) -> (u16, String, String)
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(output) => panic!("expected a refusal, got {output:?}"),
        Err(SdkError::ServiceError(context)) => (
            context.raw().status().as_u16(),
            context.err().code().unwrap_or_default().to_owned(),
            context.err().message().unwrap_or_default().to_owned(),
        ),
        Err(other) => panic!(
            "expected a service error, got {}",
            aws_sdk_ecr::error::DisplayErrorContext(&other)
        ),
    }
}

#[tokio::test]
async fn signed_requests_act_as_the_key_account_in_the_scope_region() {
    let berth = start_verifying().await;
    let a = client(
        &endpoint(&berth),
        KEY_A,
        SECRET_A,
        "eu-west-1",
        None,
        Tamper::None,
    );
    let created = a
        .create_repository()
        .repository_name("signed/app")
        .send()
        .await
        .expect("a signed request is served");
    let repository = created.repository().expect("the repository");
    assert_eq!(repository.registry_id(), Some(ACCOUNT_A));
    assert_eq!(
        repository.repository_arn(),
        Some(format!("arn:aws:ecr:eu-west-1:{ACCOUNT_A}:repository/signed/app").as_str())
    );
    // Key B is another account: it does not see A's repository.
    let b = client(
        &endpoint(&berth),
        KEY_B,
        SECRET_B,
        "eu-west-1",
        None,
        Tamper::None,
    );
    let listed = b.describe_repositories().send().await.expect("served");
    assert!(listed.repositories().is_empty(), "{listed:?}");
    let (status, code, _) = refusal(
        b.describe_repositories()
            .repository_names("signed/app")
            .send()
            .await,
    );
    assert_eq!(
        (status, code.as_str()),
        (400, "RepositoryNotFoundException")
    );
    berth.shutdown().await;
}

#[tokio::test]
async fn tampered_requests_are_refused_as_signature_mismatches() {
    let berth = start_verifying().await;
    let url = endpoint(&berth);
    for tamper in [Tamper::Body, Tamper::Target, Tamper::ContentSha256] {
        let tampering = client(&url, KEY_A, SECRET_A, "us-east-1", None, tamper);
        let result = tampering
            .create_repository()
            .repository_name("tampered")
            .send()
            .await;
        assert_eq!(
            refusal(result),
            (
                400,
                "InvalidSignatureException".to_owned(),
                SIGNATURE_MISMATCH.to_owned()
            ),
            "{tamper:?}"
        );
    }
    // Nothing was created by any of them.
    let honest = client(&url, KEY_A, SECRET_A, "us-east-1", None, Tamper::None);
    let listed = honest.describe_repositories().send().await.expect("served");
    assert!(listed.repositories().is_empty(), "{listed:?}");
    berth.shutdown().await;
}

#[tokio::test]
async fn a_wrong_secret_is_a_signature_mismatch_and_an_unknown_key_is_unrecognized() {
    let berth = start_verifying().await;
    let url = endpoint(&berth);
    let wrong_secret = client(&url, KEY_A, SECRET_B, "us-east-1", None, Tamper::None);
    assert_eq!(
        refusal(wrong_secret.describe_repositories().send().await),
        (
            400,
            "InvalidSignatureException".to_owned(),
            SIGNATURE_MISMATCH.to_owned()
        )
    );
    let stranger = client(
        &url,
        "AKIDSTRANGER",
        SECRET_A,
        "us-east-1",
        None,
        Tamper::None,
    );
    assert_eq!(
        refusal(stranger.describe_repositories().send().await),
        (
            400,
            "UnrecognizedClientException".to_owned(),
            UNRECOGNIZED.to_owned()
        )
    );
    berth.shutdown().await;
}

#[tokio::test]
async fn signatures_older_or_newer_than_fifteen_minutes_are_refused() {
    let berth = start_verifying().await;
    let url = endpoint(&berth);
    let skew = Duration::from_secs(20 * 60);
    for clock in [SystemTime::now() - skew, SystemTime::now() + skew] {
        let skewed = client(
            &url,
            KEY_A,
            SECRET_A,
            "us-east-1",
            Some(clock),
            Tamper::None,
        );
        let (status, code, message) = refusal(skewed.describe_repositories().send().await);
        assert_eq!((status, code.as_str()), (400, "InvalidSignatureException"));
        assert!(message.starts_with("Signature "), "{message}");
    }
    // A few minutes of skew is fine.
    let close = SystemTime::now() - Duration::from_secs(5 * 60);
    let slightly_off = client(
        &url,
        KEY_A,
        SECRET_A,
        "us-east-1",
        Some(close),
        Tamper::None,
    );
    slightly_off
        .describe_repositories()
        .send()
        .await
        .expect("within the allowed skew");
    berth.shutdown().await;
}

#[tokio::test]
async fn unsigned_requests_miss_the_token_but_loopback_admin_stays_open() {
    let berth = start_verifying().await;
    let addr = berth.local_addr();
    let unsigned = call(addr, "DescribeRepositories", "{}").await;
    unsigned.assert_error(400, "MissingAuthenticationTokenException");
    assert!(
        unsigned.message().contains("--verify-sigv4"),
        "{}",
        unsigned.text()
    );
    // An unsigned request with a made-up Authorization is not missing a token: it is a
    // key Berth does not know.
    let made_up = support::call_as(
        addr,
        Some(&support::authorization("111122223333", "us-east-1")),
        "DescribeRepositories",
        "{}",
    )
    .await;
    made_up.assert_error(400, "UnrecognizedClientException");
    // Admin endpoints answer this test, which connects over loopback, without a signature.
    assert_eq!(get(addr, "/_berth/health").await.status, 200);
    assert_eq!(
        request(addr, "POST", "/_berth/reset", &[], b"")
            .await
            .status,
        200
    );
    berth.shutdown().await;
}

#[tokio::test]
async fn verification_is_off_by_default() {
    let berth = berth::start(berth::Config::ephemeral())
        .await
        .expect("starts");
    let anyone = client(
        &berth.endpoint(),
        "AKIDANYONE",
        "any",
        "us-east-1",
        None,
        Tamper::Body,
    );
    // Even a request whose body no longer matches its signature is served.
    anyone
        .create_repository()
        .repository_name("unverified")
        .send()
        .await
        .expect("emulators accept any credentials");
    berth.shutdown().await;
}

#[tokio::test]
async fn verification_without_keys_refuses_to_start() {
    let error = berth::start(berth::Config {
        verify_sigv4: true,
        ..berth::Config::ephemeral()
    })
    .await
    .expect_err("no key to verify against");
    assert!(error.to_string().contains("BERTH_CREDENTIALS"), "{error}");
}
