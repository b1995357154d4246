//! The OCI `/v2` registry over real HTTP (raw sockets, every byte the test's): the push and
//! pull workflows of the OCI distribution specification as ECR answers them, login with
//! GetAuthorizationToken passwords, one state with the JSON API, and hostile input (each
//! the registry error ECR gives, never a 5xx, nothing stored).

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use berth::{Config, RegistryAuth, Running};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use support::{HttpResponse, TIMEOUT, authorization, call, call_as, send_raw};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// ECR's smallest part other than the last (`MIN_LAYER_PART_SIZE`), which `/v2` chunks
/// follow too.
const MIN_PART: usize = 5 * 1024 * 1024;

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// A registry client: where Berth is, the Host it sends and the credentials it has.
#[derive(Clone)]
struct Client {
    addr: SocketAddr,
    host: String,
    auth: Option<String>,
}

impl Client {
    fn new(berth: &Running) -> Client {
        Client {
            addr: berth.local_addr(),
            host: berth.local_addr().to_string(),
            auth: None,
        }
    }

    fn with_auth(&self, auth: Option<String>) -> Client {
        Client {
            auth,
            ..self.clone()
        }
    }

    fn with_host(&self, host: &str) -> Client {
        Client {
            host: host.to_owned(),
            ..self.clone()
        }
    }

    /// One request on its own connection; every registry answer is checked for the API
    /// version header and for never being a 5xx.
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        let mut all = vec![("Connection", "close")];
        if let Some(auth) = &self.auth {
            all.push(("Authorization", auth.as_str()));
        }
        all.extend_from_slice(headers);
        let mut raw = support::head(&self.host, method, path, &all, body.len()).into_bytes();
        raw.extend_from_slice(body);
        let response = if method == "HEAD" {
            send_head(self.addr, &raw).await
        } else {
            send_raw(self.addr, &raw).await
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert!(
            response.status < 500,
            "{method} {path}: {} {}",
            response.status,
            response.text()
        );
        assert_eq!(
            response.header("docker-distribution-api-version"),
            Some("registry/2.0"),
            "{method} {path}"
        );
        response
    }

    async fn get(&self, path: &str) -> HttpResponse {
        self.send("GET", path, &[], b"").await
    }

    /// Pushes `data` as one blob of `repository` (monolithic POST); its digest.
    async fn push_blob(&self, repository: &str, data: &[u8]) -> String {
        let digest = sha256(data);
        let response = self
            .send(
                "POST",
                &format!("/v2/{repository}/blobs/uploads/?digest={digest}"),
                &[("Content-Type", "application/octet-stream")],
                data,
            )
            .await;
        assert_eq!(response.status, 201, "{}", response.text());
        assert_eq!(
            response.header("docker-content-digest"),
            Some(digest.as_str())
        );
        assert_eq!(
            response.header("location"),
            Some(format!("/v2/{repository}/blobs/{digest}").as_str())
        );
        digest
    }

    async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> HttpResponse {
        self.send(
            "PUT",
            &format!("/v2/{repository}/manifests/{reference}"),
            &[("Content-Type", media_type)],
            body,
        )
        .await
    }
}

/// Sends a HEAD request and reads its answer: a head whose `Content-Length` describes a
/// body that does not follow (which the shared reader would wait for).
async fn send_head(addr: SocketAddr, raw: &[u8]) -> std::io::Result<HttpResponse> {
    let bytes = tokio::time::timeout(TIMEOUT, async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(raw).await?;
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await?;
        Ok::<_, std::io::Error>(bytes)
    })
    .await
    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in time"))??;
    let text = String::from_utf8_lossy(&bytes);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    assert_eq!(
        head.len() + 4,
        bytes.len(),
        "a HEAD answer has no body: {text}"
    );
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_default();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Ok(HttpResponse::from_response(conformance::http::Response {
        status,
        headers,
        body: Vec::new(),
    }))
}

/// The OCI error code and message of an answer.
fn oci_error(response: &HttpResponse) -> (String, String) {
    let body = response.json();
    let error = &body["errors"][0];
    (
        error["code"].as_str().unwrap_or_default().to_owned(),
        error["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[track_caller]
fn assert_oci(response: &HttpResponse, status: u16, code: &str) -> String {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "{}",
        response.text()
    );
    let (got, message) = oci_error(response);
    assert_eq!(got, code, "{}", response.text());
    message
}

async fn api_ok(addr: SocketAddr, auth: Option<&str>, operation: &str, input: Value) -> Value {
    let response = call_as(addr, auth, operation, &input.to_string()).await;
    assert_eq!(response.status, 200, "{operation}: {}", response.text());
    response.json()
}

async fn create_repository(addr: SocketAddr, name: &str) {
    api_ok(
        addr,
        None,
        "CreateRepository",
        json!({ "repositoryName": name }),
    )
    .await;
}

/// `Basic …` for a GetAuthorizationToken password of the account and region `auth` names.
async fn login(addr: SocketAddr, auth: Option<&str>) -> String {
    let answer = api_ok(addr, auth, "GetAuthorizationToken", json!({})).await;
    let token = answer["authorizationData"][0]["authorizationToken"]
        .as_str()
        .unwrap();
    let decoded = String::from_utf8(STANDARD.decode(token).unwrap()).unwrap();
    assert!(decoded.starts_with("AWS:"), "{decoded}");
    format!("Basic {token}")
}

/// A started Berth with a client logged in to its default registry.
async fn logged_in() -> (Running, Client) {
    let berth = berth::start(Config::ephemeral()).await.unwrap();
    let auth = login(berth.local_addr(), None).await;
    let client = Client::new(&berth).with_auth(Some(auth));
    (berth, client)
}

fn config_bytes(tag: &str) -> Vec<u8> {
    format!(r#"{{"architecture":"amd64","os":"linux","created_by":"{tag}"}}"#).into_bytes()
}

/// An OCI image manifest of a config and layers, as pushed.
fn image_manifest(config: (&str, usize), layers: &[(&str, usize)]) -> Vec<u8> {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": config.0, "size": config.1 },
        "layers": layers.iter().map(|(digest, size)| json!({
            "mediaType": OCI_LAYER, "digest": digest, "size": size,
        })).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

/// Pushes a small one-layer image (`tag` makes it unique); its manifest and digest.
async fn push_image(client: &Client, repository: &str, tag: &str) -> (Vec<u8>, String) {
    let config = config_bytes(tag);
    let layer = format!("layer of {tag}").into_bytes();
    let config_digest = client.push_blob(repository, &config).await;
    let layer_digest = client.push_blob(repository, &layer).await;
    let manifest = image_manifest(
        (&config_digest, config.len()),
        &[(&layer_digest, layer.len())],
    );
    let response = client
        .put_manifest(repository, tag, OCI_MANIFEST, &manifest)
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let digest = sha256(&manifest);
    assert_eq!(
        response.header("docker-content-digest"),
        Some(digest.as_str())
    );
    (manifest, digest)
}

#[tokio::test]
async fn base_answers_the_challenge_then_the_api_version() {
    let berth = berth::start(Config::ephemeral()).await.unwrap();
    let anonymous = Client::new(&berth);
    let response = anonymous.get("/v2/").await;
    assert_oci(&response, 401, "UNAUTHORIZED");
    assert_eq!(
        response.header("www-authenticate"),
        Some(
            "Basic realm=\"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/\",service=\"ecr.amazonaws.com\""
        )
    );
    // The Host names the registry the challenge is for.
    let named = anonymous
        .with_host("111122223333.dkr.ecr.eu-west-1.localhost:4566")
        .get("/v2/")
        .await;
    assert_eq!(
        named.header("www-authenticate"),
        Some(
            "Basic realm=\"https://111122223333.dkr.ecr.eu-west-1.amazonaws.com/\",service=\"ecr.amazonaws.com\""
        )
    );
    // Every registry path asks for credentials first.
    let manifest = anonymous.get("/v2/team/app/manifests/v1").await;
    assert_oci(&manifest, 401, "UNAUTHORIZED");

    let auth = login(berth.local_addr(), None).await;
    let client = anonymous.with_auth(Some(auth));
    let base = client.get("/v2/").await;
    assert_eq!(base.status, 200, "{}", base.text());
    assert_eq!(base.json(), json!({}));
    assert_eq!(client.send("HEAD", "/v2/", &[], b"").await.status, 200);
    // The JSON API is untouched by the registry's routes.
    let listed = call(berth.local_addr(), "DescribeRepositories", "{}").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
}

#[tokio::test]
async fn bad_expired_forged_and_foreign_passwords_are_refused() {
    let dir = std::env::temp_dir().join(format!("berth-registry-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = berth::token_key::create(&dir).unwrap();
    let berth = berth::start(Config {
        data_dir: Some(dir.clone()),
        ..Config::ephemeral()
    })
    .await
    .unwrap();
    let client = Client::new(&berth);
    let basic = |password: &str| format!("Basic {}", STANDARD.encode(format!("AWS:{password}")));

    // Expired: minted by this Berth's key 13 hours ago (passwords last 12).
    let scope = ecr_impl::store::Scope {
        account_id: "123456789012".try_into().unwrap(),
        region: "us-east-1".try_into().unwrap(),
    };
    let past = berth_runtime::Timestamp::from_epoch_millis(
        berth_runtime::Timestamp::now().epoch_millis() - 13 * 3600 * 1000,
    );
    let expired = key.mint(&scope, past).password;
    let response = client.with_auth(Some(basic(&expired))).get("/v2/").await;
    let message = assert_oci(&response, 403, "DENIED");
    assert_eq!(
        message,
        "Your authorization token has expired. Reauthenticate and try again."
    );

    // Forged: a valid password with one character changed; another key's; not base64;
    // another user; another scheme.
    let valid = key.mint(&scope, berth_runtime::Timestamp::now()).password;
    let mut forged = valid.clone().into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let foreign = ecr_impl::auth::TokenKey::from_bytes([7; 32])
        .mint(&scope, berth_runtime::Timestamp::now())
        .password;
    for auth in [
        basic(&forged),
        basic(&foreign),
        basic("not-a-password"),
        "Basic %%%".to_owned(),
        format!("Basic {}", STANDARD.encode(format!("root:{valid}"))),
        format!("Bearer {valid}"),
    ] {
        let response = client.with_auth(Some(auth.clone())).get("/v2/").await;
        assert_oci(&response, 401, "UNAUTHORIZED");
        assert!(response.header("www-authenticate").is_some(), "{auth}");
    }
    let ok = client.with_auth(Some(basic(&valid))).get("/v2/").await;
    assert_eq!(ok.status, 200, "{}", ok.text());

    // Host agreement: the default registry's password sent to eu-west-1's host.
    let other_region = client
        .with_auth(Some(basic(&valid)))
        .with_host("123456789012.dkr.ecr.eu-west-1.localhost")
        .get("/v2/")
        .await;
    assert_oci(&other_region, 403, "DENIED");
    let same = client
        .with_auth(Some(basic(&valid)))
        .with_host("123456789012.dkr.ecr.us-east-1.localhost:4566")
        .get("/v2/")
        .await;
    assert_eq!(same.status, 200, "{}", same.text());
    berth.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_password_pushes_into_its_own_account_and_region() {
    let berth = berth::start(Config::ephemeral()).await.unwrap();
    let addr = berth.local_addr();
    let eu = authorization("222233334444", "eu-west-1");
    api_ok(
        addr,
        Some(&eu),
        "CreateRepository",
        json!({ "repositoryName": "app" }),
    )
    .await;
    let client = Client::new(&berth).with_auth(Some(login(addr, Some(&eu)).await));
    let (manifest, digest) = push_image(&client, "app", "v1").await;
    let described = api_ok(
        addr,
        Some(&eu),
        "DescribeImages",
        json!({ "repositoryName": "app" }),
    )
    .await;
    assert_eq!(described["imageDetails"][0]["imageDigest"], json!(digest));
    assert_eq!(
        described["imageDetails"][0]["registryId"],
        json!("222233334444")
    );
    let pulled = client.get("/v2/app/manifests/v1").await;
    assert_eq!(pulled.body, manifest);

    // The default registry has no such repository: isolated.
    let default = Client::new(&berth).with_auth(Some(login(addr, None).await));
    let missing = default.get("/v2/app/manifests/v1").await;
    let message = assert_oci(&missing, 404, "NAME_UNKNOWN");
    assert_eq!(
        message,
        "The repository with name 'app' does not exist in the registry with id '123456789012'"
    );
}

#[tokio::test]
async fn an_open_registry_takes_anyone_into_the_default_registry() {
    let berth = berth::start(Config {
        registry_auth: RegistryAuth::None,
        ..Config::ephemeral()
    })
    .await
    .unwrap();
    create_repository(berth.local_addr(), "open").await;
    let client = Client::new(&berth);
    let base = client.get("/v2/").await;
    assert_eq!(base.status, 200, "{}", base.text());
    let (_, digest) = push_image(&client, "open", "v1").await;
    let listed = api_ok(
        berth.local_addr(),
        None,
        "ListImages",
        json!({ "repositoryName": "open" }),
    )
    .await;
    assert_eq!(listed["imageIds"][0]["imageDigest"], json!(digest));
    // A Host in ECR's form still names the registry.
    let eu = authorization("222233334444", "eu-west-1");
    api_ok(
        berth.local_addr(),
        Some(&eu),
        "CreateRepository",
        json!({ "repositoryName": "open" }),
    )
    .await;
    let named = client.with_host("222233334444.dkr.ecr.eu-west-1.localhost:4566");
    let (_, eu_digest) = push_image(&named, "open", "eu").await;
    let described = api_ok(
        berth.local_addr(),
        Some(&eu),
        "DescribeImages",
        json!({ "repositoryName": "open" }),
    )
    .await;
    assert_eq!(
        described["imageDetails"][0]["imageDigest"],
        json!(eu_digest)
    );
    let default = client.get("/v2/open/manifests/eu").await;
    assert_oci(&default, 404, "MANIFEST_UNKNOWN");
}

/// Writes `raw` on one connection and reads until the server closes it (a write cut short
/// by the server closing is fine: what it answered is still read).
async fn exchange(addr: SocketAddr, raw: &[u8]) -> String {
    let answers = tokio::time::timeout(TIMEOUT, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let _ = stream.write_all(raw).await;
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes).await;
        bytes
    })
    .await
    .expect("the server neither answered nor closed the connection");
    String::from_utf8_lossy(&answers).into_owned()
}

#[tokio::test]
async fn an_early_401_to_a_request_with_a_body_drains_it_or_closes_the_connection() {
    let berth = berth::start(Config::ephemeral()).await.unwrap();
    let addr = berth.local_addr();
    let patch = |length: usize| {
        support::head(
            &addr.to_string(),
            "PATCH",
            "/v2/team/app/blobs/uploads/0b8e3f4e-6a1c-4f1e-9a59-3f1c1f2a0b11",
            &[("Content-Type", "application/octet-stream")],
            length,
        )
        .into_bytes()
    };
    let retry = format!("GET /v2/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");

    // A body of 100 kB is drained: the next request on the connection is answered (a
    // 401 too, never a 400 for the body's bytes read as a request).
    let mut raw = patch(100_000);
    raw.extend_from_slice(&[b'x'; 100_000]);
    raw.extend_from_slice(retry.as_bytes());
    let text = exchange(addr, &raw).await;
    assert_eq!(text.matches("HTTP/1.1 401").count(), 2, "{text}");
    assert_eq!(text.matches("HTTP/1.1 ").count(), 2, "{text}");

    // A body declared past what is drained (1 GiB, of which only a little is sent) gets
    // its 401 and the connection closed, at once.
    let mut raw = patch(1 << 30);
    raw.extend_from_slice(&[b'x'; 1000]);
    let text = exchange(addr, &raw).await;
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );

    // A client waiting for `100 Continue` is answered without being asked for its body.
    let raw = support::head(
        &addr.to_string(),
        "PATCH",
        "/v2/team/app/blobs/uploads/0b8e3f4e-6a1c-4f1e-9a59-3f1c1f2a0b11",
        &[("Expect", "100-continue")],
        5000,
    );
    let text = exchange(addr, raw.as_bytes()).await;
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(!text.contains("100 Continue"), "{text}");
}

#[tokio::test]
async fn push_and_pull_monolithic_and_chunked_with_one_state() {
    let (berth, client) = logged_in().await;
    let addr = berth.local_addr();
    create_repository(addr, "team/app").await;

    // Monolithic: the config.
    let config = config_bytes("chunked");
    let config_digest = client.push_blob("team/app", &config).await;

    // Chunked: a session, two chunks (the first one ECR's minimum part), then a PUT with
    // the last bytes.
    let layer: Vec<u8> = (0..2 * MIN_PART + 300_000)
        .map(|i| (i % 253) as u8)
        .collect();
    let layer_digest = sha256(&layer);
    let started = client
        .send("POST", "/v2/team/app/blobs/uploads/", &[], b"")
        .await;
    assert_eq!(started.status, 202, "{}", started.text());
    assert_eq!(started.header("range"), Some("0-0"));
    assert_eq!(
        started.header("oci-chunk-min-length"),
        Some(MIN_PART.to_string().as_str())
    );
    let location = started.header("location").unwrap().to_owned();
    let uuid = started.header("docker-upload-uuid").unwrap().to_owned();
    assert_eq!(location, format!("/v2/team/app/blobs/uploads/{uuid}"));

    let first = &layer[..MIN_PART];
    let range = format!("0-{}", MIN_PART - 1);
    let patched = client
        .send(
            "PATCH",
            &location,
            &[
                ("Content-Range", &range),
                ("Content-Type", "application/octet-stream"),
            ],
            first,
        )
        .await;
    assert_eq!(patched.status, 202, "{}", patched.text());
    assert_eq!(patched.header("range"), Some(range.as_str()));
    assert_eq!(patched.header("location"), Some(location.as_str()));

    // Out of order: 416 with where the upload is, and nothing changes.
    let lie = client
        .send("PATCH", &location, &[("Content-Range", "10-19")], &[0; 10])
        .await;
    assert_oci(&lie, 416, "RANGE_INVALID");
    assert_eq!(lie.header("range"), Some(range.as_str()));
    // A chunk shorter than its Content-Range says.
    let end = MIN_PART + 99;
    let short = client
        .send(
            "PATCH",
            &location,
            &[("Content-Range", &format!("{MIN_PART}-{end}"))],
            &layer[MIN_PART..MIN_PART + 50],
        )
        .await;
    assert_oci(&short, 400, "SIZE_INVALID");

    // Without Content-Range: wherever the upload is.
    let second = &layer[MIN_PART..2 * MIN_PART];
    let patched = client.send("PATCH", &location, &[], second).await;
    assert_eq!(patched.status, 202, "{}", patched.text());
    let progress = format!("0-{}", 2 * MIN_PART - 1);
    assert_eq!(patched.header("range"), Some(progress.as_str()));
    let status = client.get(&location).await;
    assert_eq!(status.status, 204, "{}", status.text());
    assert_eq!(status.header("range"), Some(progress.as_str()));

    let finished = client
        .send(
            "PUT",
            &format!("{location}?digest={}", layer_digest.replace(':', "%3A")),
            &[],
            &layer[2 * MIN_PART..],
        )
        .await;
    assert_eq!(finished.status, 201, "{}", finished.text());
    assert_eq!(
        finished.header("location"),
        Some(format!("/v2/team/app/blobs/{layer_digest}").as_str())
    );
    assert_eq!(
        finished.header("docker-content-digest"),
        Some(layer_digest.as_str())
    );
    // The session is over.
    let gone = client.get(&location).await;
    assert_oci(&gone, 404, "BLOB_UPLOAD_UNKNOWN");

    // Blob reads: HEAD, GET, one Range, past the end.
    let blob_path = format!("/v2/team/app/blobs/{layer_digest}");
    let head = client.send("HEAD", &blob_path, &[], b"").await;
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(layer.len().to_string().as_str())
    );
    assert_eq!(
        head.header("docker-content-digest"),
        Some(layer_digest.as_str())
    );
    let whole = client.get(&blob_path).await;
    assert!(whole.body == layer, "the layer's bytes differ");
    let part = client
        .send("GET", &blob_path, &[("Range", "bytes=10-19")], b"")
        .await;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &layer[10..20]);
    let past = client
        .send("GET", &blob_path, &[("Range", "bytes=99999999-")], b"")
        .await;
    assert_oci(&past, 416, "RANGE_INVALID");
    let unknown = client
        .send(
            "HEAD",
            &format!("/v2/team/app/blobs/{}", sha256(b"nothing")),
            &[],
            b"",
        )
        .await;
    assert_eq!(unknown.status, 404);
    let delete = client.send("DELETE", &blob_path, &[], b"").await;
    assert_oci(&delete, 405, "UNSUPPORTED");

    // The manifest, by tag; the same again is success.
    let manifest = image_manifest(
        (&config_digest, config.len()),
        &[(&layer_digest, layer.len())],
    );
    let digest = sha256(&manifest);
    for _ in 0..2 {
        let put = client
            .put_manifest("team/app", "v1", OCI_MANIFEST, &manifest)
            .await;
        assert_eq!(put.status, 201, "{}", put.text());
        assert_eq!(put.header("docker-content-digest"), Some(digest.as_str()));
        assert_eq!(
            put.header("location"),
            Some(format!("/v2/team/app/manifests/{digest}").as_str())
        );
    }
    for reference in ["v1", digest.as_str()] {
        let pulled = client
            .send(
                "GET",
                &format!("/v2/team/app/manifests/{reference}"),
                &[("Accept", OCI_MANIFEST)],
                b"",
            )
            .await;
        assert_eq!(pulled.status, 200, "{}", pulled.text());
        assert_eq!(pulled.body, manifest);
        assert_eq!(pulled.header("content-type"), Some(OCI_MANIFEST));
        assert_eq!(
            pulled.header("docker-content-digest"),
            Some(digest.as_str())
        );
        let head = client
            .send(
                "HEAD",
                &format!("/v2/team/app/manifests/{reference}"),
                &[],
                b"",
            )
            .await;
        assert_eq!(head.status, 200);
        assert_eq!(
            head.header("content-length"),
            Some(manifest.len().to_string().as_str())
        );
    }

    // One state: the JSON API sees the push with its digest, size, media type and tag.
    let described = api_ok(
        addr,
        None,
        "DescribeImages",
        json!({ "repositoryName": "team/app" }),
    )
    .await;
    let detail = &described["imageDetails"][0];
    assert_eq!(detail["imageDigest"], json!(digest));
    assert_eq!(detail["imageTags"], json!(["v1"]));
    assert_eq!(detail["imageManifestMediaType"], json!(OCI_MANIFEST));
    assert_eq!(
        detail["imageSizeInBytes"],
        json!(config.len() + layer.len())
    );
    assert!(detail["lastRecordedPullTime"].is_number(), "{detail}");
    let got = api_ok(
        addr,
        None,
        "BatchGetImage",
        json!({ "repositoryName": "team/app", "imageIds": [{ "imageTag": "v1" }] }),
    )
    .await;
    assert_eq!(
        got["images"][0]["imageManifest"]
            .as_str()
            .unwrap()
            .as_bytes(),
        manifest.as_slice()
    );

    // And a PutImage through the JSON API is pullable.
    let retagged = api_ok(
        addr,
        None,
        "PutImage",
        json!({ "repositoryName": "team/app", "imageTag": "from-api",
                "imageManifest": String::from_utf8(manifest.clone()).unwrap() }),
    )
    .await;
    assert_eq!(retagged["image"]["imageId"]["imageDigest"], json!(digest));
    let pulled = client.get("/v2/team/app/manifests/from-api").await;
    assert_eq!(pulled.body, manifest);

    // DELETE by tag is ECR's 405; by digest deletes the image and its tags.
    let by_tag = client
        .send("DELETE", "/v2/team/app/manifests/v1", &[], b"")
        .await;
    assert_oci(&by_tag, 405, "UNSUPPORTED");
    let deleted = client
        .send(
            "DELETE",
            &format!("/v2/team/app/manifests/{digest}"),
            &[],
            b"",
        )
        .await;
    assert_eq!(deleted.status, 202, "{}", deleted.text());
    let missing = client.get("/v2/team/app/manifests/v1").await;
    assert_oci(&missing, 404, "MANIFEST_UNKNOWN");
    let again = client
        .send(
            "DELETE",
            &format!("/v2/team/app/manifests/{digest}"),
            &[],
            b"",
        )
        .await;
    assert_oci(&again, 404, "MANIFEST_UNKNOWN");
}

#[tokio::test]
async fn a_cross_repository_mount_links_the_blob_once_enabled_or_falls_back_to_an_upload() {
    let (berth, client) = logged_in().await;
    let addr = berth.local_addr();
    for name in ["base", "app", "empty"] {
        create_repository(addr, name).await;
    }
    let layer = b"shared base layer".to_vec();
    let digest = client.push_blob("base", &layer).await;
    let mount = format!("/v2/app/blobs/uploads/?mount={digest}&from=base");

    // BLOB_MOUNTING is opt-in (DISABLED by default): the client is told to upload.
    let declined = client.send("POST", &mount, &[], b"").await;
    assert_eq!(declined.status, 202, "{}", declined.text());
    assert!(declined.header("docker-upload-uuid").is_some());
    let unmounted = client.get(&format!("/v2/app/blobs/{digest}")).await;
    assert_oci(&unmounted, 404, "BLOB_UNKNOWN");

    let setting = json!({ "name": "BLOB_MOUNTING", "value": "ENABLED" });
    api_ok(addr, None, "PutAccountSetting", setting).await;
    let mounted = client.send("POST", &mount, &[], b"").await;
    assert_eq!(mounted.status, 201, "{}", mounted.text());
    assert_eq!(
        mounted.header("location"),
        Some(format!("/v2/app/blobs/{digest}").as_str())
    );
    assert_eq!(
        mounted.header("docker-content-digest"),
        Some(digest.as_str())
    );
    let read = client.get(&format!("/v2/app/blobs/{digest}")).await;
    assert_eq!(read.body, layer);

    // From a repository without it, or one that does not exist: an upload session.
    for from in ["empty", "nowhere"] {
        let fallback = client
            .send(
                "POST",
                &format!("/v2/app/blobs/uploads/?mount={}&from={from}", sha256(b"x")),
                &[],
                b"",
            )
            .await;
        assert_eq!(fallback.status, 202, "{from}: {}", fallback.text());
        assert!(fallback.header("docker-upload-uuid").is_some());
    }
    // Into a repository that does not exist: NAME_UNKNOWN.
    let nowhere = client
        .send(
            "POST",
            &format!("/v2/nowhere/blobs/uploads/?mount={digest}&from=base"),
            &[],
            b"",
        )
        .await;
    assert_oci(&nowhere, 404, "NAME_UNKNOWN");
}

#[tokio::test]
async fn an_index_an_artifact_with_a_subject_referrers_and_tag_pages() {
    let (berth, client) = logged_in().await;
    create_repository(berth.local_addr(), "multi").await;
    let (amd, amd_digest) = push_image(&client, "multi", "amd64").await;
    let (arm, arm_digest) = push_image(&client, "multi", "arm64").await;
    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            { "mediaType": OCI_MANIFEST, "digest": amd_digest, "size": amd.len(),
              "platform": { "architecture": "amd64", "os": "linux" } },
            { "mediaType": OCI_MANIFEST, "digest": arm_digest, "size": arm.len(),
              "platform": { "architecture": "arm64", "os": "linux" } },
        ],
    })
    .to_string()
    .into_bytes();
    let put = client
        .put_manifest("multi", "latest", OCI_INDEX, &index)
        .await;
    assert_eq!(put.status, 201, "{}", put.text());
    let pulled = client.get("/v2/multi/manifests/latest").await;
    assert_eq!(pulled.body, index);
    assert_eq!(pulled.header("content-type"), Some(OCI_INDEX));
    // A child the index keeps cannot be deleted (ECR's text).
    let child = client
        .send(
            "DELETE",
            &format!("/v2/multi/manifests/{amd_digest}"),
            &[],
            b"",
        )
        .await;
    let message = assert_oci(&child, 405, "UNSUPPORTED");
    assert!(
        message.starts_with("Requested image referenced by manifest list: ["),
        "{message}"
    );

    // An artifact whose subject is the amd64 image, pushed by digest.
    let empty_config = b"{}".to_vec();
    let config_digest = client.push_blob("multi", &empty_config).await;
    let artifact = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.sbom",
        "config": { "mediaType": "application/vnd.oci.empty.v1+json",
                    "digest": config_digest, "size": 2 },
        "layers": [{ "mediaType": "application/vnd.oci.empty.v1+json",
                     "digest": config_digest, "size": 2 }],
        "subject": { "mediaType": OCI_MANIFEST, "digest": amd_digest, "size": amd.len() },
        "annotations": { "org.example": "sbom" },
    })
    .to_string()
    .into_bytes();
    let artifact_digest = sha256(&artifact);
    let put = client
        .put_manifest("multi", &artifact_digest, OCI_MANIFEST, &artifact)
        .await;
    assert_eq!(put.status, 201, "{}", put.text());
    assert_eq!(put.header("oci-subject"), Some(amd_digest.as_str()));

    let referrers = client
        .get(&format!("/v2/multi/referrers/{amd_digest}"))
        .await;
    assert_eq!(referrers.status, 200, "{}", referrers.text());
    assert_eq!(referrers.header("content-type"), Some(OCI_INDEX));
    let body = referrers.json();
    assert_eq!(body["schemaVersion"], json!(2));
    assert_eq!(body["mediaType"], json!(OCI_INDEX));
    assert_eq!(
        body["manifests"],
        json!([{
            "mediaType": OCI_MANIFEST, "digest": artifact_digest, "size": artifact.len(),
            "artifactType": "application/vnd.example.sbom",
            "annotations": { "org.example": "sbom" },
        }])
    );
    assert_eq!(referrers.header("oci-filters-applied"), None);
    let filtered = client
        .get(&format!(
            "/v2/multi/referrers/{amd_digest}?artifactType=application/vnd.other"
        ))
        .await;
    assert_eq!(filtered.header("oci-filters-applied"), Some("artifactType"));
    assert_eq!(filtered.json()["manifests"], json!([]));
    let matching = client
        .get(&format!(
            "/v2/multi/referrers/{amd_digest}?artifactType=application%2Fvnd.example.sbom"
        ))
        .await;
    assert_eq!(
        matching.json()["manifests"][0]["digest"],
        json!(artifact_digest)
    );
    // A subject nothing refers to: an empty index.
    let none = client
        .get(&format!("/v2/multi/referrers/{arm_digest}"))
        .await;
    assert_eq!(none.status, 200);
    assert_eq!(none.json()["manifests"], json!([]));

    // Tags, paged: amd64, arm64, latest, plus three more.
    for tag in ["t1", "t2", "t3"] {
        let put = client.put_manifest("multi", tag, OCI_INDEX, &index).await;
        assert_eq!(put.status, 201, "{}", put.text());
    }
    let all = client.get("/v2/multi/tags/list").await;
    assert_eq!(
        all.json(),
        json!({ "name": "multi", "tags": ["amd64", "arm64", "latest", "t1", "t2", "t3"] })
    );
    assert_eq!(all.header("link"), None);
    let mut path = "/v2/multi/tags/list?n=4".to_owned();
    let mut pages = Vec::new();
    loop {
        let page = client.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.text());
        pages.push(page.json()["tags"].clone());
        match page.header("link") {
            Some(link) => {
                assert!(link.ends_with(">; rel=\"next\""), "{link}");
                path = link[1..link.find('>').unwrap()].to_owned();
            }
            None => break,
        }
    }
    assert_eq!(
        pages,
        vec![
            json!(["amd64", "arm64", "latest", "t1"]),
            json!(["t2", "t3"])
        ]
    );
    let after = client.get("/v2/multi/tags/list?last=t2").await;
    assert_eq!(after.json()["tags"], json!(["t3"]));
}

#[tokio::test]
async fn ecr_rules_answer_as_ecr_does_on_the_registry() {
    let (berth, client) = logged_in().await;
    let addr = berth.local_addr();
    api_ok(
        addr,
        None,
        "CreateRepository",
        json!({ "repositoryName": "locked", "imageTagMutability": "IMMUTABLE" }),
    )
    .await;
    push_image(&client, "locked", "v1").await;
    // The same tag for another image: TAG_INVALID with ECR's text.
    let config = config_bytes("other");
    let config_digest = client.push_blob("locked", &config).await;
    let other = image_manifest((&config_digest, config.len()), &[]);
    let refused = client
        .put_manifest("locked", "v1", OCI_MANIFEST, &other)
        .await;
    let message = assert_oci(&refused, 400, "TAG_INVALID");
    assert_eq!(
        message,
        "The image tag 'v1' already exists in the 'locked' repository and cannot be overwritten \
         because the tag is immutable."
    );
    // A push into a repository that does not exist: NAME_UNKNOWN, for blobs and manifests.
    let blob = client
        .send(
            "POST",
            &format!("/v2/missing/blobs/uploads/?digest={}", sha256(b"x")),
            &[],
            b"x",
        )
        .await;
    let message = assert_oci(&blob, 404, "NAME_UNKNOWN");
    assert_eq!(
        message,
        "The repository with name 'missing' does not exist in the registry with id '123456789012'"
    );
    let manifest = client
        .put_manifest("missing", "v1", OCI_MANIFEST, &other)
        .await;
    assert_oci(&manifest, 404, "NAME_UNKNOWN");
    // tags/list with n over 1,000: 405 UNSUPPORTED with the maxResults text.
    let huge = client.get("/v2/locked/tags/list?n=1001").await;
    let message = assert_oci(&huge, 405, "UNSUPPORTED");
    assert_eq!(
        message,
        "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'"
    );
    let enormous = client.get("/v2/locked/tags/list?n=99999999999999").await;
    assert_oci(&enormous, 405, "UNSUPPORTED");
    // DeleteRepository applies to the registry at once.
    api_ok(
        addr,
        None,
        "DeleteRepository",
        json!({ "repositoryName": "locked", "force": true }),
    )
    .await;
    let deleted = client.get("/v2/locked/manifests/v1").await;
    assert_oci(&deleted, 404, "NAME_UNKNOWN");
    let blob = client
        .send(
            "HEAD",
            &format!("/v2/locked/blobs/{config_digest}"),
            &[],
            b"",
        )
        .await;
    assert_eq!(blob.status, 404);
    api_ok(
        addr,
        None,
        "CreateRepository",
        json!({ "repositoryName": "locked" }),
    )
    .await;
    // A bad tag in a manifest PUT is PutImage's input error: UNSUPPORTED.
    let bad_tag = client
        .put_manifest("locked", "bad!tag", OCI_MANIFEST, &other)
        .await;
    let message = assert_oci(&bad_tag, 405, "UNSUPPORTED");
    assert!(message.contains("imageTag"), "{message}");
}

#[tokio::test]
async fn hostile_input_gets_registry_errors_and_stores_nothing() {
    let (berth, client) = logged_in().await;
    let addr = berth.local_addr();
    create_repository(addr, "safe").await;

    // A monolithic upload whose digest is wrong: nothing is stored under either digest.
    let data = b"some bytes".to_vec();
    let claimed = sha256(b"other bytes");
    let wrong = client
        .send(
            "POST",
            &format!("/v2/safe/blobs/uploads/?digest={claimed}"),
            &[],
            &data,
        )
        .await;
    assert_oci(&wrong, 400, "DIGEST_INVALID");
    for digest in [claimed.clone(), sha256(&data)] {
        let head = client
            .send("HEAD", &format!("/v2/safe/blobs/{digest}"), &[], b"")
            .await;
        assert_eq!(head.status, 404, "{digest}");
    }
    // Digests that are not sha256 digests.
    for digest in ["sha512:abcd", "sha256:xyz", "nothing"] {
        let response = client
            .send(
                "POST",
                &format!("/v2/safe/blobs/uploads/?digest={digest}"),
                &[],
                b"x",
            )
            .await;
        assert_oci(&response, 400, "DIGEST_INVALID");
        let response = client.get(&format!("/v2/safe/blobs/{digest}")).await;
        assert_oci(&response, 400, "DIGEST_INVALID");
    }
    // A PUT completing a session with a wrong digest ends it, storing nothing.
    let started = client
        .send("POST", "/v2/safe/blobs/uploads/", &[], b"")
        .await;
    let location = started.header("location").unwrap().to_owned();
    let finished = client
        .send("PUT", &format!("{location}?digest={claimed}"), &[], &data)
        .await;
    assert_oci(&finished, 400, "DIGEST_INVALID");
    let after = client.get(&location).await;
    assert_oci(&after, 404, "BLOB_UPLOAD_UNKNOWN");
    // Unknown and malformed upload ids.
    for id in ["0b8e3f4e-6a1c-4f1e-9a59-3f1c1f2a0b11", "not-an-id"] {
        let response = client
            .send(
                "PATCH",
                &format!("/v2/safe/blobs/uploads/{id}"),
                &[],
                b"abc",
            )
            .await;
        assert_oci(&response, 404, "BLOB_UPLOAD_UNKNOWN");
    }
    // A malformed Content-Range.
    let started = client
        .send("POST", "/v2/safe/blobs/uploads/", &[], b"")
        .await;
    let location = started.header("location").unwrap().to_owned();
    let malformed = client
        .send(
            "PATCH",
            &location,
            &[("Content-Range", "bytes=a-b")],
            b"abc",
        )
        .await;
    assert_oci(&malformed, 400, "BLOB_UPLOAD_INVALID");

    // A chunk shorter than OCI-Chunk-Min-Length that was not the last: the completion is
    // refused (ECR's part rule) and the upload stays as it was.
    let started = client
        .send("POST", "/v2/safe/blobs/uploads/", &[], b"")
        .await;
    let location = started.header("location").unwrap().to_owned();
    for chunk in [&data[..4], &data[4..]] {
        let patched = client.send("PATCH", &location, &[], chunk).await;
        assert_eq!(patched.status, 202, "{}", patched.text());
    }
    let small = client
        .send(
            "PUT",
            &format!("{location}?digest={}", sha256(&data)),
            &[],
            b"",
        )
        .await;
    let message = assert_oci(&small, 400, "BLOB_UPLOAD_INVALID");
    assert!(message.contains("5242880"), "{message}");
    assert_eq!(client.get(&location).await.status, 204);

    // A chunk cut short by the client (1,000 bytes declared, 500 sent, then the write
    // side closed): nothing of it counts, and the upload goes on from where it was.
    let started = client
        .send("POST", "/v2/safe/blobs/uploads/", &[], b"")
        .await;
    let location = started.header("location").unwrap().to_owned();
    let auth = client.auth.clone().unwrap();
    let mut raw = support::head(
        &addr.to_string(),
        "PATCH",
        &location,
        &[("Authorization", auth.as_str())],
        1000,
    )
    .into_bytes();
    raw.extend_from_slice(&[b'y'; 500]);
    tokio::time::timeout(TIMEOUT, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(&raw).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(!text.starts_with("HTTP/1.1 5"), "{text}");
    })
    .await
    .expect("a cut-short chunk hung the connection");
    let status = client.get(&location).await;
    assert_eq!(status.status, 204, "{}", status.text());
    assert_eq!(status.header("range"), Some("0-0"));
    let resumed = client.send("PATCH", &location, &[], &data).await;
    assert_eq!(resumed.status, 202, "{}", resumed.text());
    let done = client
        .send(
            "PUT",
            &format!("{location}?digest={}", sha256(&data)),
            &[],
            b"",
        )
        .await;
    assert_eq!(done.status, 201, "{}", done.text());

    // Traversal and encodings in names and references.
    for path in [
        "/v2/../safe/manifests/v1",
        "/v2/safe/../other/manifests/v1",
        "/v2/%2e%2e/safe/manifests/v1",
        "/v2/safe%2Fx/manifests/v1",
        "/v2/safe/manifests/%2e%2e",
        "/v2/safe/manifests/..",
        "/v2/safe/blobs/uploads/../../x",
    ] {
        let response = client.get(path).await;
        assert_oci(&response, 400, "NAME_INVALID");
    }
    let upper = client.get("/v2/Safe/manifests/v1").await;
    assert_oci(&upper, 400, "NAME_INVALID");
    let unknown_route = client.get("/v2/_catalog").await;
    assert_oci(&unknown_route, 405, "UNSUPPORTED");

    // Manifests naming blobs or images the repository lacks.
    let missing_blob = image_manifest((&sha256(b"no config"), 9), &[(&sha256(b"no layer"), 8)]);
    let response = client
        .put_manifest("safe", "v1", OCI_MANIFEST, &missing_blob)
        .await;
    assert_oci(&response, 400, "MANIFEST_BLOB_UNKNOWN");
    let missing_child = json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{ "mediaType": OCI_MANIFEST, "digest": sha256(b"no image"), "size": 3 }],
    })
    .to_string()
    .into_bytes();
    let response = client
        .put_manifest("safe", "v1", OCI_INDEX, &missing_child)
        .await;
    assert_oci(&response, 400, "MANIFEST_BLOB_UNKNOWN");
    // An image manifest declared as an index.
    let config = config_bytes("mismatch");
    let config_digest = client.push_blob("safe", &config).await;
    let manifest = image_manifest((&config_digest, config.len()), &[]);
    let response = client
        .put_manifest("safe", "v1", OCI_INDEX, &manifest)
        .await;
    assert_oci(&response, 405, "UNSUPPORTED");
    // Not JSON.
    let response = client
        .put_manifest("safe", "v1", OCI_MANIFEST, b"{not json")
        .await;
    assert_oci(&response, 405, "UNSUPPORTED");
    // A PUT by a digest that is not the manifest's.
    let response = client
        .put_manifest("safe", &sha256(b"x"), OCI_MANIFEST, &manifest)
        .await;
    assert_oci(&response, 400, "DIGEST_INVALID");
    // A reference shaped like no digest.
    let response = client
        .put_manifest("safe", "sha256:baddigeststring", OCI_MANIFEST, &manifest)
        .await;
    assert_oci(&response, 400, "DIGEST_INVALID");
    // Over 4 MiB (declared, then streamed without a length).
    let huge = vec![b' '; 4 * 1024 * 1024 + 1];
    let response = client.put_manifest("safe", "v1", OCI_MANIFEST, &huge).await;
    assert_oci(&response, 400, "MANIFEST_INVALID");
    let mut raw = format!(
        "PUT /v2/safe/manifests/v1 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: {}\r\nContent-Type: {OCI_MANIFEST}\r\nTransfer-Encoding: chunked\r\n\r\n",
        client.auth.as_deref().unwrap()
    )
    .into_bytes();
    for chunk in huge.chunks(1024 * 1024) {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let response = send_raw(addr, &raw).await.unwrap();
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(oci_error(&response).0, "MANIFEST_INVALID");

    // Nothing of all that became an image.
    let listed = api_ok(
        addr,
        None,
        "ListImages",
        json!({ "repositoryName": "safe" }),
    )
    .await;
    assert_eq!(listed["imageIds"], json!([]));
}

#[tokio::test]
async fn a_thousand_abandoned_upload_sessions_leave_the_registry_working() {
    let (berth, client) = logged_in().await;
    create_repository(berth.local_addr(), "busy").await;
    let mut ids = std::collections::HashSet::new();
    for _ in 0..1000 {
        let started = client
            .send("POST", "/v2/busy/blobs/uploads/", &[], b"")
            .await;
        assert_eq!(started.status, 202, "{}", started.text());
        ids.insert(started.header("docker-upload-uuid").unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1000, "every session has its own id");
    // Cancelling one works, twice is unknown.
    let id = ids.iter().next().unwrap();
    let path = format!("/v2/busy/blobs/uploads/{id}");
    assert_eq!(client.send("DELETE", &path, &[], b"").await.status, 204);
    let again = client.send("DELETE", &path, &[], b"").await;
    assert_oci(&again, 404, "BLOB_UPLOAD_UNKNOWN");
    push_image(&client, "busy", "v1").await;
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test]
async fn eight_concurrent_pushes_sharing_a_base_layer_all_land() {
    let (berth, client) = logged_in().await;
    create_repository(berth.local_addr(), "shared").await;
    let base: Vec<u8> = (0..2_000_000u32).map(|i| (i % 241) as u8).collect();
    let pushes = (0..8).map(|n| {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            // Every push uploads the same base layer (a blob the repository may already
            // have is success), then its own config and manifest.
            let base_digest = client.push_blob("shared", &base).await;
            let config = config_bytes(&format!("push-{n}"));
            let config_digest = client.push_blob("shared", &config).await;
            let manifest = image_manifest(
                (&config_digest, config.len()),
                &[(&base_digest, base.len())],
            );
            let put = client
                .put_manifest("shared", &format!("v{n}"), OCI_MANIFEST, &manifest)
                .await;
            assert_eq!(put.status, 201, "{}", put.text());
            sha256(&manifest)
        })
    });
    let mut digests = Vec::new();
    for push in pushes.collect::<Vec<_>>() {
        digests.push(push.await.unwrap());
    }
    for (n, digest) in digests.iter().enumerate() {
        let pulled = client.get(&format!("/v2/shared/manifests/v{n}")).await;
        assert_eq!(pulled.status, 200, "{}", pulled.text());
        assert_eq!(&sha256(&pulled.body), digest);
    }
    let blob = client
        .get(&format!("/v2/shared/blobs/{}", sha256(&base)))
        .await;
    assert!(blob.body == base, "the shared layer's bytes differ");
}
