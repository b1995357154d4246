//! The harness of the tests with the AWS SDK for Rust (`aws-sdk-ecr`, retries disabled):
//! Berth started in-process on 127.0.0.1 and an ephemeral port, clients for any account and
//! region, and service errors checked to be AWS-shaped.

use std::fmt::Debug;

use aws_sdk_ecr::Client;
use aws_sdk_ecr::config::http::HttpResponse;
use aws_sdk_ecr::config::retry::RetryConfig;
use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ecr::primitives::Blob;
use sha2::{Digest, Sha256};

pub const DEFAULT_ACCOUNT: &str = "123456789012";
pub const ACCOUNT_A: &str = "111111111111";
pub const ACCOUNT_B: &str = "222222222222";
/// An access key id that is not 12 digits: the caller is the default account.
pub const PLAIN_KEY: &str = "AKIAIOSFODNN7EXAMPLE";

/// The repository-name pattern as real ECR words it in messages (the model's, without
/// `^`/`$`, with `\/` written as `/`).
pub const NAME_PATTERN: &str =
    r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*";

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

/// A Berth server embedded in the test, stopped by [`Berth::stop`] (or, if the test panics,
/// when the test's runtime is dropped).
pub struct Berth {
    pub running: berth::Running,
    pub endpoint: String,
}

impl Berth {
    pub async fn start() -> Berth {
        let running = berth::start(berth::Config::ephemeral())
            .await
            .expect("Berth starts on an ephemeral port");
        let addr = running.local_addr();
        assert!(
            addr.ip().is_loopback(),
            "tests bind loopback only, got {addr}"
        );
        assert_ne!(addr.port(), 0);
        Berth {
            endpoint: format!("http://{addr}"),
            running,
        }
    }

    /// A client whose caller is the default account in us-east-1.
    pub fn client(&self) -> Client {
        self.client_as(PLAIN_KEY, "us-east-1")
    }

    /// A client signing with `access_key_id` (12 digits = that account) in `region`.
    pub fn client_as(&self, access_key_id: &str, region: &str) -> Client {
        let config = aws_sdk_ecr::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(
                access_key_id,
                "berth-test-secret",
                None,
                None,
                "berth-tests",
            ))
            .retry_config(RetryConfig::disabled())
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build();
        Client::from_conf(config)
    }

    pub async fn stop(self) {
        self.running.shutdown().await;
    }
}

/// A service error: its code and exact message.
#[derive(Debug, PartialEq, Eq)]
pub struct ServiceError {
    pub code: String,
    pub message: String,
}

impl ServiceError {
    pub fn new(code: &str, message: impl Into<String>) -> ServiceError {
        ServiceError {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// The service error of a call that must fail, checked to be an AWS-shaped client error:
/// HTTP 400 with a request id.
#[track_caller]
pub fn service_error<T: Debug, E>(result: Result<T, SdkError<E, HttpResponse>>) -> ServiceError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(output) => panic!("expected an error, got success: {output:?}"),
        Err(SdkError::ServiceError(context)) => {
            let raw = context.raw();
            let status = raw.status().as_u16();
            let request_id = raw.headers().get("x-amzn-RequestId").map(str::to_owned);
            let error = context.err();
            let error = ServiceError::new(
                error.code().unwrap_or_default(),
                error.message().unwrap_or_default(),
            );
            assert_eq!(status, 400, "a client mistake is a 400: {error:?}");
            assert!(
                request_id.as_deref().is_some_and(|id| !id.is_empty()),
                "every error carries x-amzn-RequestId: {error:?}"
            );
            error
        }
        Err(other) => panic!(
            "expected a service error, got {}",
            aws_sdk_ecr::error::DisplayErrorContext(&other)
        ),
    }
}

/// The code of a call that must fail (as [`service_error`]), whose message is not empty.
#[track_caller]
pub fn error_code<T: Debug, E>(result: Result<T, SdkError<E, HttpResponse>>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let error = service_error(result);
    assert!(
        !error.message.is_empty(),
        "an error explains itself: {error:?}"
    );
    error.code
}

/// The SDK's modeled error of a call that failed with a service error, to check which
/// variant the SDK mapped it to.
#[track_caller]
pub fn modeled<T, E>(result: &Result<T, SdkError<E, HttpResponse>>) -> &E {
    result
        .as_ref()
        .err()
        .and_then(|e| e.as_service_error())
        .expect("a service error")
}

/// `bytes`' digest as ECR writes digests.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Uploads a small blob through the layer API in one part, into existing `repository`.
pub async fn upload_blob(client: &Client, repository: &str, data: &[u8]) {
    let upload = client
        .initiate_layer_upload()
        .repository_name(repository)
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    client
        .upload_layer_part()
        .repository_name(repository)
        .upload_id(id)
        .part_first_byte(0)
        .part_last_byte(data.len() as i64 - 1)
        .layer_part_blob(Blob::new(data))
        .send()
        .await
        .unwrap();
    client
        .complete_layer_upload()
        .repository_name(repository)
        .upload_id(id)
        .layer_digests(sha256(data))
        .send()
        .await
        .unwrap();
}
