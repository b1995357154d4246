//! The rules of `ecr-behaviour-registry.md` §2, §3 and §7 that need no server: the registry
//! policy's checks and evaluator, the replication configuration's checks and matching, and
//! a replication through the operations on the in-memory store (children first, layers
//! linked, the same bytes, nothing onward, nothing half-written).

use berth_runtime::RequestContext;
use bytes::Bytes;
use ecr_generated::ErrorResponse;
use ecr_generated::types::{
    ImageReplicationStatus, PutImageRequest, ReplicationConfiguration, ReplicationStatus,
};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::account_settings::Setting;
use super::policy::{acceptable, allows, wildcard_match};
use super::replication::{self, check, destinations};
use crate::Ecr;
use crate::store::Scope;
use crate::store::blobs::Sha256Digest;
use crate::store::meta::{self, LayerRow};

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn policy(statements: Value) -> String {
    json!({ "Version": "2012-10-17", "Statement": statements }).to_string()
}

fn allow(principal: Value, action: Value) -> Value {
    json!({ "Effect": "Allow", "Principal": principal, "Action": action })
}

const ARN: &str = "arn:aws:ecr:us-east-1:222222222222:repository/app/web";

#[test]
fn iam_wildcards() {
    for (pattern, text) in [
        ("*", ""),
        ("*", "anything"),
        ("ecr:*", "ecr:ReplicateImage"),
        ("ecr:Replicate*", "ecr:ReplicateImage"),
        ("ecr:?eplicateImage", "ecr:ReplicateImage"),
        ("a*b*c", "abc"),
        ("a*b*c", "aXXbYYc"),
        ("arn:aws:ecr:*:222222222222:repository/*", ARN),
    ] {
        assert!(wildcard_match(pattern, text), "{pattern} ~ {text}");
    }
    for (pattern, text) in [
        ("ecr:Replicate", "ecr:ReplicateImage"),
        ("?", ""),
        ("a*b*c", "abcd"),
        ("arn:aws:ecr:*:111111111111:repository/*", ARN),
    ] {
        assert!(!wildcard_match(pattern, text), "{pattern} !~ {text}");
    }
}

#[test]
fn registry_policy_actions_must_be_ecr_actions_and_v1_limits_them() {
    let with = |action: Value| policy(json!([allow(json!({ "AWS": A }), action)]));
    for action in [
        json!("ecr:ReplicateImage"),
        json!(["ecr:CreateRepository", "ECR:replicateimage"]),
        json!("ecr:BatchImportUpstreamImage"),
    ] {
        assert!(acceptable(&with(action.clone()), "V1"), "{action}");
        assert!(acceptable(&with(action.clone()), "V2"), "{action}");
    }
    for action in [
        json!("ecr:BatchGetImage"),
        json!("ecr:*"),
        json!("ecr:Replicate*"),
    ] {
        assert!(!acceptable(&with(action.clone()), "V1"), "{action}");
        assert!(acceptable(&with(action.clone()), "V2"), "{action}");
    }
    for action in [
        json!("s3:GetObject"),
        json!("*"),
        json!("ecr:"),
        json!(["ecr:ReplicateImage", "iam:PassRole"]),
    ] {
        assert!(!acceptable(&with(action.clone()), "V2"), "{action}");
    }
    // NotAction holds ECR actions too; the IAM grammar still applies (Effect).
    let not_action = policy(json!([{ "Effect": "Deny", "Principal": "*", "NotAction": "s3:*" }]));
    assert!(!acceptable(&not_action, "V2"));
    let bad_effect = policy(json!([{ "Effect": "Maybe", "Principal": "*", "Action": "ecr:*" }]));
    assert!(!acceptable(&bad_effect, "V2"));
    assert!(!acceptable("not json", "V2"));
}

#[test]
fn the_evaluator_names_the_account_matches_actions_and_resources_and_deny_wins() {
    let replicate = "ecr:ReplicateImage";
    for principal in [
        json!("*"),
        json!({ "AWS": "*" }),
        json!({ "AWS": A }),
        json!({ "AWS": format!("arn:aws:iam::{A}:root") }),
        json!({ "AWS": [format!("arn:aws:iam::{C}:root"), format!("arn:aws:iam::{A}:role/replicator")] }),
    ] {
        let text = policy(json!([allow(principal.clone(), json!("ecr:*"))]));
        assert!(allows(&text, A, replicate, ARN), "{principal}");
    }
    for principal in [
        json!({ "AWS": C }),
        json!({ "AWS": format!("arn:aws:iam::{C}:root") }),
        json!({ "Service": "ecr.amazonaws.com" }),
    ] {
        let text = policy(json!([allow(principal.clone(), json!("ecr:*"))]));
        assert!(!allows(&text, A, replicate, ARN), "{principal}");
    }
    let only_create = policy(json!([allow(
        json!({ "AWS": A }),
        json!("ecr:CreateRepository")
    )]));
    assert!(!allows(&only_create, A, replicate, ARN));
    assert!(allows(&only_create, A, "ecr:CreateRepository", ARN));

    let mut scoped = allow(json!({ "AWS": A }), json!(replicate));
    scoped["Resource"] = json!("arn:aws:ecr:us-east-1:222222222222:repository/app/*");
    assert!(allows(&policy(json!([scoped.clone()])), A, replicate, ARN));
    scoped["Resource"] = json!("arn:aws:ecr:us-east-1:222222222222:repository/other");
    assert!(!allows(&policy(json!([scoped])), A, replicate, ARN));

    let deny = json!({ "Effect": "Deny", "Principal": { "AWS": A }, "Action": "ecr:Replicate*" });
    let denied = policy(json!([allow(json!("*"), json!("ecr:*")), deny]));
    assert!(!allows(&denied, A, replicate, ARN));
    assert!(allows(&denied, A, "ecr:CreateRepository", ARN));
    let not_action = policy(
        json!([{ "Effect": "Allow", "Principal": "*", "NotAction": "ecr:DeleteRepository" }]),
    );
    assert!(allows(&not_action, A, replicate, ARN));
    assert!(!allows(&not_action, A, "ecr:DeleteRepository", ARN));
    assert!(!allows("", A, replicate, ARN));
}

fn configuration(value: Value) -> ReplicationConfiguration {
    serde_json::from_value(value).expect("a valid configuration")
}

fn scope(account: &str, region: &str) -> Scope {
    Scope {
        account_id: account.try_into().unwrap(),
        region: region.try_into().unwrap(),
    }
}

fn destination(account: &str, region: &str) -> Value {
    json!({ "region": region, "registryId": account })
}

#[test]
fn configuration_checks_and_matching() {
    let source = scope(A, "us-east-1");
    let to_source = configuration(json!({ "rules": [
        { "destinations": [destination(B, "us-east-1")] },
        { "destinations": [destination(A, "eu-west-1"), destination(A, "us-east-1")] },
    ]}));
    let message = check(&source, &to_source)
        .expect_err("the source itself")
        .to_string();
    assert!(
        message.contains(
            "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: \
             'Replication destination cannot be the same as the source registry'"
        ),
        "{message}"
    );
    let many = |count: u64| {
        let list: Vec<Value> = (0..count)
            .map(|i| destination(&format!("{}", 100_000_000_000 + i), "eu-west-1"))
            .collect();
        configuration(
            json!({ "rules": [{ "destinations": list.clone() }, { "destinations": list }] }),
        )
    };
    assert!(check(&source, &many(25)).is_ok());
    let error = check(&source, &many(26)).expect_err("26 destinations");
    assert_eq!(
        error.message(),
        Some(
            "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: \
             'Replication configuration cannot have more than 25 unique destinations'"
        )
    );

    let rules = configuration(json!({ "rules": [
        { "destinations": [destination(B, "us-east-1")],
          "repositoryFilters": [{ "filter": "prod", "filterType": "PREFIX_MATCH" },
                                { "filter": "team/", "filterType": "PREFIX_MATCH" }] },
        { "destinations": [destination(A, "eu-west-1"), destination(B, "us-east-1")] },
    ]}));
    let found = |name: &str| destinations(&rules, name);
    assert_eq!(
        found("production"),
        [scope(B, "us-east-1"), scope(A, "eu-west-1")]
    );
    assert_eq!(
        found("team/api"),
        [scope(B, "us-east-1"), scope(A, "eu-west-1")]
    );
    assert_eq!(
        found("teams"),
        [scope(A, "eu-west-1"), scope(B, "us-east-1")]
    );
    assert!(destinations(&configuration(json!({ "rules": [] })), "any").is_empty());
}

#[test]
fn setting_names_values_and_defaults() {
    assert_eq!(
        super::account_settings::names(),
        [
            "BASIC_SCAN_TYPE_VERSION",
            "REGISTRY_POLICY_SCOPE",
            "BLOB_MOUNTING"
        ]
    );
    assert_eq!(Setting::named("BLOB_MOUNTING"), Some(Setting::BlobMounting));
    assert_eq!(Setting::named("blob_mounting"), None);
    assert_eq!(Setting::BlobMounting.default_value(), "DISABLED");
    assert_eq!(Setting::RegistryPolicyScope.default_value(), "V2");
    assert_eq!(Setting::BasicScanTypeVersion.value("CLAIR"), None);
}

// --- replication through the operations, on the in-memory store ---

fn ctx(account: &str, region: &str) -> RequestContext {
    RequestContext {
        account_id: account.into(),
        region: region.into(),
        request_id: "r".into(),
        operation: "",
        endpoint: String::new(),
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Links blobs `data` into repository `name` of `scope` as layers (their bytes are not
/// needed by PutImage's checks, nor by replication, which links, never copies).
async fn link_layers(ecr: &Ecr, scope: &Scope, name: &str, data: &[&[u8]]) {
    let digests: Vec<(Sha256Digest, u64)> = data
        .iter()
        .map(|bytes| (sha256(bytes).parse().unwrap(), bytes.len() as u64))
        .collect();
    let (scope, name) = (scope.clone(), name.try_into().unwrap());
    let now = ecr.clock().now();
    meta::write::<_, crate::store::StoreError, _>(ecr.meta(), move |tx| {
        let repo = tx.repository(&scope, &name)?.expect("created").id;
        for (digest, size) in &digests {
            let row = LayerRow {
                digest: *digest,
                size: *size,
                media_type: None,
                linked_at: now,
            };
            tx.put_layer(repo, &row)?;
        }
        Ok(())
    })
    .await
    .unwrap();
}

fn image(config: &[u8], layer: &[u8]) -> String {
    json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(config), "size": config.len() },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(layer), "size": layer.len() }],
    })
    .to_string()
}

async fn put_image(ecr: &Ecr, ctx: &RequestContext, name: &str, manifest: &str, tag: Option<&str>) {
    let mut input = json!({ "repositoryName": name, "imageManifest": manifest });
    if let Some(tag) = tag {
        input["imageTag"] = json!(tag);
    }
    let input: PutImageRequest = serde_json::from_value(input).unwrap();
    ecr.put_image(ctx, input).await.expect("the push is stored");
}

async fn call(ecr: &Ecr, ctx: &RequestContext, operation: &str, input: Value) -> Value {
    use berth_runtime::protocol::Request;
    let target = format!(
        "{}.{operation}",
        ecr_generated::operations::SERVICE.target_prefix
    );
    let body = input.to_string();
    let mut ctx = ctx.clone();
    let response = ecr
        .handle(
            &mut ctx,
            Request {
                target: Some(&target),
                content_type: Some(ecr_generated::operations::SERVICE.content_type),
                body: body.as_bytes(),
            },
        )
        .await;
    serde_json::from_slice(&response.body).unwrap()
}

/// The manifest bytes and tags of image `digest` in repository `name` of `scope`, if there.
async fn stored(
    ecr: &Ecr,
    scope: &Scope,
    name: &str,
    digest: &str,
) -> Option<(Bytes, Vec<String>)> {
    let (scope, name) = (scope.clone(), name.try_into().unwrap());
    let digest: Sha256Digest = digest.parse().unwrap();
    meta::read::<_, crate::store::StoreError, _>(ecr.meta(), move |tx| {
        let Some(repo) = tx.repository(&scope, &name)? else {
            return Ok(None);
        };
        let Some(bytes) = tx.manifest(repo.id, &digest)? else {
            return Ok(None);
        };
        let tags = tx.tags_of(repo.id, &digest)?;
        Ok(Some((bytes, tags.into_iter().map(String::from).collect())))
    })
    .await
    .unwrap()
}

fn status(account: &str, region: &str, code: Option<&str>) -> ImageReplicationStatus {
    ImageReplicationStatus {
        region: Some(region.try_into().unwrap()),
        registry_id: Some(account.try_into().unwrap()),
        status: Some(match code {
            None => ReplicationStatus::Complete,
            Some(_) => ReplicationStatus::Failed,
        }),
        failure_code: code.map(str::to_owned),
    }
}

#[tokio::test]
async fn an_index_is_copied_children_first_with_its_layers_and_never_onward() {
    let ecr = Ecr::in_memory();
    let (a, b) = (ctx(A, "us-east-1"), ctx(B, "us-east-1"));
    let (source, dest) = (scope(A, "us-east-1"), scope(B, "us-east-1"));
    call(
        &ecr,
        &a,
        "CreateRepository",
        json!({ "repositoryName": "app" }),
    )
    .await;
    let allow_a = policy(json!([allow(
        json!({ "AWS": A }),
        json!(["ecr:ReplicateImage", "ecr:CreateRepository"])
    )]));
    call(
        &ecr,
        &b,
        "PutRegistryPolicy",
        json!({ "policyText": allow_a }),
    )
    .await;
    // B replicates everything to C: a copy arriving in B must not go on to C.
    let to_c = json!({ "rules": [{ "destinations": [destination(C, "us-east-1")] }] });
    call(
        &ecr,
        &b,
        "PutReplicationConfiguration",
        json!({ "replicationConfiguration": to_c }),
    )
    .await;
    let to_b = json!({ "rules": [{ "destinations": [destination(B, "us-east-1")] }] });
    call(
        &ecr,
        &a,
        "PutReplicationConfiguration",
        json!({ "replicationConfiguration": to_b }),
    )
    .await;

    let (config, amd, arm) = (
        b"{}".as_slice(),
        b"amd64 layer".as_slice(),
        b"arm64 layer".as_slice(),
    );
    link_layers(&ecr, &source, "app", &[config, amd, arm]).await;
    let (amd_manifest, arm_manifest) = (image(config, amd), image(config, arm));
    let index = json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [
            { "mediaType": OCI_MANIFEST, "digest": sha256(amd_manifest.as_bytes()), "size": amd_manifest.len() },
            { "mediaType": OCI_MANIFEST, "digest": sha256(arm_manifest.as_bytes()), "size": arm_manifest.len() },
        ],
    })
    .to_string();
    // The children are pushed by digest with replication off, so only the index's push
    // copies them: children first, else the index could not be stored in B.
    let off = json!({ "rules": [] });
    call(
        &ecr,
        &a,
        "PutReplicationConfiguration",
        json!({ "replicationConfiguration": off }),
    )
    .await;
    put_image(&ecr, &a, "app", &amd_manifest, None).await;
    put_image(&ecr, &a, "app", &arm_manifest, None).await;
    call(
        &ecr,
        &a,
        "PutReplicationConfiguration",
        json!({ "replicationConfiguration": to_b }),
    )
    .await;
    put_image(&ecr, &a, "app", &index, Some("v1")).await;

    let (bytes, tags) = stored(&ecr, &dest, "app", &sha256(index.as_bytes()))
        .await
        .expect("copied");
    assert_eq!(
        (bytes.as_ref(), tags),
        (index.as_bytes(), vec!["v1".to_owned()])
    );
    for child in [&amd_manifest, &arm_manifest] {
        let (bytes, tags) = stored(&ecr, &dest, "app", &sha256(child.as_bytes()))
            .await
            .expect("child copied");
        assert_eq!((bytes.as_ref(), tags.len()), (child.as_bytes(), 0));
    }
    let answer = call(
        &ecr,
        &a,
        "DescribeImageReplicationStatus",
        json!({ "repositoryName": "app", "imageId": { "imageTag": "v1" } }),
    )
    .await;
    let statuses: Vec<ImageReplicationStatus> =
        serde_json::from_value(answer["replicationStatuses"].clone()).unwrap();
    assert_eq!(statuses, [status(B, "us-east-1", None)]);
    // Nothing went on to C, and the copy reports no replication of its own.
    assert!(
        stored(
            &ecr,
            &scope(C, "us-east-1"),
            "app",
            &sha256(index.as_bytes())
        )
        .await
        .is_none()
    );
    let copy = call(
        &ecr,
        &b,
        "DescribeImageReplicationStatus",
        json!({ "repositoryName": "app", "imageId": { "imageTag": "v1" } }),
    )
    .await;
    assert_eq!(copy["replicationStatuses"], json!([]));
    // The layers are linked in B: BatchCheckLayerAvailability finds them.
    let layers = call(&ecr, &b, "BatchCheckLayerAvailability", json!({ "repositoryName": "app", "layerDigests": [sha256(amd), sha256(arm), sha256(config)] })).await;
    assert_eq!(layers["failures"], json!([]), "{layers}");
    let statuses =
        replication_statuses_of_child(&ecr, &source, &sha256(amd_manifest.as_bytes())).await;
    assert!(statuses.is_empty(), "pushed while replication was off");
}

async fn replication_statuses_of_child(
    ecr: &Ecr,
    scope: &Scope,
    digest: &str,
) -> Vec<ImageReplicationStatus> {
    let scope = scope.clone();
    let digest: Sha256Digest = digest.parse().unwrap();
    meta::read::<_, crate::store::StoreError, _>(ecr.meta(), move |tx| {
        let repo = tx
            .repository(&scope, &"app".try_into().unwrap())?
            .unwrap()
            .id;
        replication::statuses(tx, repo, &digest)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_denied_copy_leaves_nothing_in_the_destination() {
    let ecr = Ecr::in_memory();
    let a = ctx(A, "us-east-1");
    let source = scope(A, "us-east-1");
    call(
        &ecr,
        &a,
        "CreateRepository",
        json!({ "repositoryName": "app" }),
    )
    .await;
    let to_b = json!({ "rules": [{ "destinations": [destination(B, "us-east-1")] }] });
    call(
        &ecr,
        &a,
        "PutReplicationConfiguration",
        json!({ "replicationConfiguration": to_b }),
    )
    .await;
    let (config, layer) = (b"{}".as_slice(), b"layer".as_slice());
    link_layers(&ecr, &source, "app", &[config, layer]).await;
    let manifest = image(config, layer);
    put_image(&ecr, &a, "app", &manifest, Some("v1")).await;
    let answer = call(
        &ecr,
        &a,
        "DescribeImageReplicationStatus",
        json!({ "repositoryName": "app", "imageId": { "imageTag": "v1" } }),
    )
    .await;
    let statuses: Vec<ImageReplicationStatus> =
        serde_json::from_value(answer["replicationStatuses"].clone()).unwrap();
    assert_eq!(statuses, [status(B, "us-east-1", Some("ACCESS_DENIED"))]);
    let described = call(
        &ecr,
        &ctx(B, "us-east-1"),
        "DescribeRepositories",
        json!({}),
    )
    .await;
    assert_eq!(described["repositories"], json!([]));
}
