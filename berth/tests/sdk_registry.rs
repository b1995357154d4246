//! Registry-level operations through the AWS SDK for Rust (ecr-behaviour-registry.md §2, §3,
//! §7): account settings, the registry policy, the replication configuration, and a push
//! replicated into another account and region, with the SDK's typed errors.

mod support;

use aws_sdk_ecr::types::{
    ImageIdentifier, ReplicationConfiguration, ReplicationDestination, ReplicationRule,
    ReplicationStatus, RepositoryFilter, RepositoryFilterType,
};
use support::sdk::*;

const A: &str = "111111111111";
const B: &str = "222222222222";

fn destination(region: &str, account: &str) -> ReplicationDestination {
    ReplicationDestination::builder()
        .region(region)
        .registry_id(account)
        .build()
        .unwrap()
}

fn configuration(
    destinations: Vec<ReplicationDestination>,
    prefix: Option<&str>,
) -> ReplicationConfiguration {
    let mut rule = ReplicationRule::builder().set_destinations(Some(destinations));
    if let Some(prefix) = prefix {
        rule = rule.repository_filters(
            RepositoryFilter::builder()
                .filter(prefix)
                .filter_type(RepositoryFilterType::PrefixMatch)
                .build()
                .unwrap(),
        );
    }
    ReplicationConfiguration::builder()
        .rules(rule.build().unwrap())
        .build()
        .unwrap()
}

fn b_allows(account: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": format!("arn:aws:iam::{account}:root") },
            "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
        }],
    })
    .to_string()
}

#[tokio::test]
async fn account_settings_and_their_typed_errors() {
    let berth = Berth::start().await;
    let client = berth.client();
    let got = client
        .get_account_setting()
        .name("BLOB_MOUNTING")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (got.name(), got.value()),
        (Some("BLOB_MOUNTING"), Some("DISABLED"))
    );
    let put = client
        .put_account_setting()
        .name("REGISTRY_POLICY_SCOPE")
        .value("V1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (put.name(), put.value()),
        (Some("REGISTRY_POLICY_SCOPE"), Some("V1"))
    );
    let got = client
        .get_account_setting()
        .name("REGISTRY_POLICY_SCOPE")
        .send()
        .await
        .unwrap();
    assert_eq!(got.value(), Some("V1"));
    let wrong = client
        .put_account_setting()
        .name("BASIC_SCAN_TYPE_VERSION")
        .value("CLAIR")
        .send()
        .await;
    assert!(modeled(&wrong).is_invalid_parameter_exception());
    assert_eq!(
        service_error(wrong),
        ServiceError::new(
            "InvalidParameterException",
            "Invalid parameter at 'value' failed to satisfy constraint: 'Member must satisfy enum value set: [AWS_NATIVE]'"
        )
    );
    berth.stop().await;
}

#[tokio::test]
async fn registry_policy_round_trip_and_not_found() {
    let berth = Berth::start().await;
    let client = berth.client();
    let missing = client.get_registry_policy().send().await;
    assert!(modeled(&missing).is_registry_policy_not_found_exception());
    let text = b_allows(A);
    let put = client
        .put_registry_policy()
        .policy_text(&text)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (put.registry_id(), put.policy_text()),
        (Some("123456789012"), Some(text.as_str()))
    );
    assert_eq!(
        client
            .get_registry_policy()
            .send()
            .await
            .unwrap()
            .policy_text(),
        Some(text.as_str())
    );
    let refused = client
        .put_registry_policy()
        .policy_text(r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*"}]}"#)
        .send()
        .await;
    assert!(modeled(&refused).is_invalid_parameter_exception());
    let deleted = client.delete_registry_policy().send().await.unwrap();
    assert_eq!(deleted.policy_text(), Some(text.as_str()));
    let gone = client.delete_registry_policy().send().await;
    assert_eq!(
        service_error(gone),
        ServiceError::new(
            "RegistryPolicyNotFoundException",
            "Registry policy does not exist in the registry with id '123456789012'"
        )
    );
    berth.stop().await;
}

#[tokio::test]
async fn a_put_image_is_replicated_into_another_account_and_region() {
    let berth = Berth::start().await;
    let (a, a_eu, b) = (
        berth.client_as(A, "us-east-1"),
        berth.client_as(A, "eu-west-1"),
        berth.client_as(B, "us-east-1"),
    );
    let to_source = a
        .put_replication_configuration()
        .replication_configuration(configuration(vec![destination("us-east-1", A)], None))
        .send()
        .await;
    assert!(modeled(&to_source).is_invalid_parameter_exception());
    b.put_registry_policy()
        .policy_text(b_allows(A))
        .send()
        .await
        .unwrap();
    let wanted = configuration(
        vec![destination("eu-west-1", A), destination("us-east-1", B)],
        Some("app"),
    );
    let echoed = a
        .put_replication_configuration()
        .replication_configuration(wanted.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.replication_configuration(), Some(&wanted));
    let described = a.describe_registry().send().await.unwrap();
    assert_eq!(described.registry_id(), Some(A));
    assert_eq!(described.replication_configuration(), Some(&wanted));

    a.create_repository()
        .repository_name("app")
        .send()
        .await
        .unwrap();
    let (config, layer) = (
        br#"{"architecture":"amd64","os":"linux"}"#.as_slice(),
        b"sdk layer".as_slice(),
    );
    upload_blob(&a, "app", config).await;
    upload_blob(&a, "app", layer).await;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "size": config.len(), "digest": sha256(config) },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": layer.len(), "digest": sha256(layer) }],
    })
    .to_string();
    a.put_image()
        .repository_name("app")
        .image_manifest(&manifest)
        .image_tag("v1")
        .send()
        .await
        .unwrap();

    let status = a
        .describe_image_replication_status()
        .repository_name("app")
        .image_id(ImageIdentifier::builder().image_tag("v1").build())
        .send()
        .await
        .unwrap();
    assert_eq!(
        status.image_id().and_then(|id| id.image_digest()),
        Some(sha256(manifest.as_bytes()).as_str())
    );
    let statuses: Vec<_> = status
        .replication_statuses()
        .iter()
        .map(|s| {
            (
                s.region(),
                s.registry_id(),
                s.status().cloned(),
                s.failure_code(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (
                Some("eu-west-1"),
                Some(A),
                Some(ReplicationStatus::Complete),
                None
            ),
            (
                Some("us-east-1"),
                Some(B),
                Some(ReplicationStatus::Complete),
                None
            ),
        ]
    );
    for client in [&a_eu, &b] {
        let images = client
            .batch_get_image()
            .repository_name("app")
            .image_ids(ImageIdentifier::builder().image_tag("v1").build())
            .send()
            .await
            .unwrap();
        assert_eq!(images.images()[0].image_manifest(), Some(manifest.as_str()));
        let layers = client
            .batch_check_layer_availability()
            .repository_name("app")
            .layer_digests(sha256(layer))
            .layer_digests(sha256(config))
            .send()
            .await
            .unwrap();
        assert!(layers.failures().is_empty(), "{layers:?}");
    }
    let unknown = a
        .describe_image_replication_status()
        .repository_name("app")
        .image_id(ImageIdentifier::builder().image_tag("nope").build())
        .send()
        .await;
    assert!(modeled(&unknown).is_image_not_found_exception());
    berth.stop().await;
}
