use berth_runtime::Timestamp;
use ecr_generated::types::{EncryptionType, ImageTagMutability, RctAppliedFor, Tag};

use super::*;
use crate::store::memory::MemoryMeta;
use crate::store::meta;

fn scope() -> Scope {
    Scope {
        account_id: "123456789012".parse().unwrap(),
        region: "us-east-1".parse().unwrap(),
    }
}

fn settings(applied_for: &[RctAppliedFor], tag_value: &str) -> Settings {
    Settings {
        description: None,
        encryption: default_encryption(),
        resource_tags: vec![Tag {
            key: "from".into(),
            value: tag_value.into(),
        }],
        tag_mutability: TagMutability {
            mode: ImageTagMutability::Immutable,
            exclusion_filters: Vec::new(),
        },
        repository_policy: None,
        lifecycle_policy: None,
        applied_for: applied_for.to_vec(),
        custom_role_arn: None,
    }
}

async fn store_templates(store: &MemoryMeta, templates: Vec<Template>) {
    meta::write(store, move |tx| {
        templates
            .iter()
            .try_for_each(|template| put(tx, &scope(), template))
    })
    .await
    .unwrap();
}

async fn created(store: &MemoryMeta, name: &str, applied_for: RctAppliedFor) -> RepositoryRow {
    let name: RepositoryName = name.parse().unwrap();
    meta::write(store, move |tx| {
        create_repository(
            tx,
            &scope(),
            &name,
            applied_for,
            Timestamp::from_epoch_millis(5_000),
        )
    })
    .await
    .unwrap()
}

#[test]
fn a_name_is_covered_by_each_namespace_it_is_in_then_root() {
    assert_eq!(
        candidate_keys("a/b/c").collect::<Vec<_>>(),
        ["a/b", "a", "ROOT"]
    );
    assert_eq!(candidate_keys("app").collect::<Vec<_>>(), ["ROOT"]);
    assert_eq!(key("prod/"), "prod");
    assert_eq!(key("prod"), "prod");
    assert_eq!(key("ROOT"), "ROOT");
}

#[tokio::test]
async fn without_a_template_a_repository_gets_ecrs_defaults() {
    let store = MemoryMeta::new();
    let row = created(&store, "team/app", RctAppliedFor::Replication).await;
    let record = row.record;
    assert_eq!(record.tag_mutability.mode, ImageTagMutability::Mutable);
    assert!(record.tag_mutability.exclusion_filters.is_empty());
    assert_eq!(record.encryption.encryption_type, EncryptionType::Aes256);
    assert_eq!(record.encryption.kms_key, None);
    assert!(record.tags.is_empty());
    assert_eq!(record.policy_text, None);
    assert!(!record.scan_on_push);
    assert_eq!(record.created_at, Timestamp::from_epoch_millis(5_000));
}

#[tokio::test]
async fn the_longest_prefix_applied_for_the_action_wins() {
    let store = MemoryMeta::new();
    let now = Timestamp::from_epoch_millis(1_000);
    store_templates(
        &store,
        vec![
            Template::new(
                "ROOT".parse().unwrap(),
                settings(&[RctAppliedFor::Replication], "root"),
                now,
            ),
            Template::new(
                "a/".parse().unwrap(),
                settings(&[RctAppliedFor::Replication], "a"),
                now,
            ),
            Template::new(
                "a/b".parse().unwrap(),
                settings(&[RctAppliedFor::PullThroughCache], "a/b"),
                now,
            ),
        ],
    )
    .await;
    let tag_of = |row: &RepositoryRow| row.record.tags.first().map(|t| t.value.clone());
    for (name, action, expected) in [
        ("a/b/c", RctAppliedFor::PullThroughCache, Some("a/b")),
        ("a/b/d", RctAppliedFor::Replication, Some("a")),
        ("a/bc", RctAppliedFor::PullThroughCache, None),
        ("a/bd", RctAppliedFor::Replication, Some("a")),
        ("ab", RctAppliedFor::Replication, Some("root")),
        ("zz", RctAppliedFor::CreateOnPush, None),
    ] {
        let row = created(&store, name, action).await;
        // Each name once: a second call would only find the first repository.
        assert_eq!(tag_of(&row).as_deref(), expected, "{name} for {action:?}");
        if expected.is_some() {
            assert_eq!(
                row.record.tag_mutability.mode,
                ImageTagMutability::Immutable
            );
        }
    }
}

#[tokio::test]
async fn an_existing_repository_is_returned_unchanged() {
    let store = MemoryMeta::new();
    let first = created(&store, "kept", RctAppliedFor::CreateOnPush).await;
    store_templates(
        &store,
        vec![Template::new(
            "ROOT".parse().unwrap(),
            settings(&[RctAppliedFor::CreateOnPush], "root"),
            Timestamp::from_epoch_millis(1),
        )],
    )
    .await;
    let again = created(&store, "kept", RctAppliedFor::CreateOnPush).await;
    assert_eq!(again, first);
}

#[tokio::test]
async fn kms_without_a_key_gets_a_managed_key_per_repository() {
    let store = MemoryMeta::new();
    let mut kms = settings(&[RctAppliedFor::Replication], "kms");
    kms.encryption = EncryptionConfigurationForRepositoryCreationTemplate {
        encryption_type: EncryptionType::KmsDsse,
        kms_key: Some("".parse().unwrap()),
    };
    store_templates(
        &store,
        vec![Template::new(
            "ROOT".parse().unwrap(),
            kms,
            Timestamp::from_epoch_millis(1),
        )],
    )
    .await;
    let one = created(&store, "one", RctAppliedFor::Replication).await;
    let two = created(&store, "two", RctAppliedFor::Replication).await;
    let key_of = |row: &RepositoryRow| row.record.encryption.kms_key.clone().unwrap();
    assert_eq!(
        one.record.encryption.encryption_type,
        EncryptionType::KmsDsse
    );
    assert!(
        key_of(&one).starts_with("arn:aws:kms:us-east-1:123456789012:key/"),
        "{}",
        key_of(&one).as_str()
    );
    assert_ne!(key_of(&one), key_of(&two));
}

#[tokio::test]
async fn templates_survive_their_stored_form_and_damage_is_a_store_failure() {
    let store = MemoryMeta::new();
    let template = Template::new(
        "svc/".parse().unwrap(),
        settings(&[RctAppliedFor::CreateOnPush], "svc"),
        Timestamp::from_epoch_millis(1_234),
    );
    store_templates(&store, vec![template.clone()]).await;
    let found = meta::read(&store, |tx| find(tx, &scope(), "svc"))
        .await
        .unwrap();
    assert_eq!(found, Some(template));

    meta::write(&store, |tx| {
        tx.put_registry_document(&scope(), KIND, "broken", &Bytes::from_static(b"{\"v\""))
    })
    .await
    .unwrap();
    let damaged = meta::read(&store, |tx| find(tx, &scope(), "broken")).await;
    assert!(
        matches!(damaged, Err(StoreError::Unavailable(_))),
        "{damaged:?}"
    );
}

#[tokio::test]
async fn a_templates_lifecycle_policy_becomes_the_repositorys() {
    let store = MemoryMeta::new();
    let text = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}]}"#;
    let mut with_lifecycle = settings(&[RctAppliedFor::CreateOnPush], "lc");
    with_lifecycle.lifecycle_policy = Some(text.parse().unwrap());
    store_templates(
        &store,
        vec![Template::new(
            "ROOT".parse().unwrap(),
            with_lifecycle,
            Timestamp::from_epoch_millis(1),
        )],
    )
    .await;
    let with = created(&store, "with", RctAppliedFor::CreateOnPush).await;
    let without = created(&store, "without", RctAppliedFor::Replication).await;
    let stored = meta::read(&store, move |tx| {
        Ok::<_, StoreError>((
            tx.repository_document(with.id, crate::lifecycle::POLICY_KIND)?,
            tx.repository_document(without.id, crate::lifecycle::POLICY_KIND)?,
        ))
    })
    .await
    .unwrap();
    let document: serde_json::Value = serde_json::from_slice(&stored.0.unwrap()).unwrap();
    let expected = crate::lifecycle::parse_policy(text)
        .unwrap()
        .canonical_text();
    assert_eq!(document["text"], expected);
    assert_eq!(document["last_evaluated_at"], 0);
    assert_eq!(stored.1, None);
}
