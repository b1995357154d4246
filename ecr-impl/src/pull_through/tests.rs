use ecr_generated::types::{ImageTag, RepositoryName, UpstreamRegistry};

use super::*;

fn rule(prefix: &str, url: &str, upstream_prefix: &str) -> StoredRule {
    let (upstream, _) = upstream_of(url).expect("supported");
    StoredRule {
        v: 1,
        prefix: prefix.to_owned(),
        upstream_registry_url: url.to_owned(),
        upstream_registry: upstream.as_str().to_owned(),
        credential_arn: None,
        custom_role_arn: None,
        upstream_repository_prefix: upstream_prefix.to_owned(),
        created_at_millis: 0,
        updated_at_millis: 0,
    }
}

#[test]
fn every_supported_url_names_its_upstream() {
    let cases = [
        ("public.ecr.aws", UpstreamRegistry::EcrPublic),
        ("registry.k8s.io", UpstreamRegistry::K8s),
        ("quay.io", UpstreamRegistry::Quay),
        ("registry-1.docker.io", UpstreamRegistry::DockerHub),
        ("ghcr.io", UpstreamRegistry::GitHubContainerRegistry),
        (
            "registry.gitlab.com",
            UpstreamRegistry::GitLabContainerRegistry,
        ),
        (
            "myregistry.azurecr.io",
            UpstreamRegistry::AzureContainerRegistry,
        ),
        ("cgr.dev", UpstreamRegistry::Chainguard),
        (
            "123456789012.dkr.ecr.us-west-2.amazonaws.com",
            UpstreamRegistry::Ecr,
        ),
    ];
    for (url, upstream) in cases {
        assert_eq!(
            upstream_of(url).map(|(found, _)| found),
            Some(upstream),
            "{url}"
        );
    }
    assert_eq!(
        upstream_of("123456789012.dkr.ecr.us-west-2.amazonaws.com").and_then(|(_, a)| a),
        Some("123456789012")
    );
}

#[test]
fn other_urls_are_unsupported() {
    for url in [
        "",
        "docker.io",
        "https://quay.io",
        "quay.io/",
        "QUAY.IO",
        "example.com",
        ".azurecr.io",
        "my-reg.azurecr.io",
        "12345.dkr.ecr.us-west-2.amazonaws.com",
        "123456789012.dkr.ecr..amazonaws.com",
    ] {
        assert_eq!(upstream_of(url), None, "{url}");
    }
}

#[test]
fn secrets_are_required_exactly_where_ecr_requires_them() {
    let required: Vec<_> = UpstreamRegistry::VALUES
        .into_iter()
        .filter(|upstream| needs_credentials(*upstream))
        .map(|upstream| upstream.as_str())
        .collect();
    assert_eq!(
        required,
        [
            "docker-hub",
            "github-container-registry",
            "azure-container-registry",
            "gitlab-container-registry",
            "chainguard"
        ]
    );
}

#[test]
fn a_trailing_slash_is_implied() {
    assert_eq!(normalised("abc/"), "abc");
    assert_eq!(normalised("abc"), "abc");
    assert_eq!(normalised("team/cache"), "team/cache");
}

#[test]
fn upstream_repositories_follow_the_rule() {
    let quay = rule("quay/", "quay.io", ROOT);
    assert_eq!(
        upstream_repository(&quay, "quay/coreos/etcd").as_deref(),
        Some("coreos/etcd")
    );
    assert_eq!(
        upstream_repository(&quay, "quay/etcd").as_deref(),
        Some("etcd")
    );
    assert_eq!(upstream_repository(&quay, "quay"), None);
    assert_eq!(upstream_repository(&quay, "quayx/etcd"), None);

    let hub = rule("hub", "registry-1.docker.io", ROOT);
    assert_eq!(
        upstream_repository(&hub, "hub/nginx").as_deref(),
        Some("library/nginx")
    );
    assert_eq!(
        upstream_repository(&hub, "hub/bitnami/nginx").as_deref(),
        Some("bitnami/nginx")
    );

    let ecr = rule(
        "mirror",
        "123456789012.dkr.ecr.us-west-2.amazonaws.com",
        "team",
    );
    assert_eq!(
        upstream_repository(&ecr, "mirror/app").as_deref(),
        Some("team/app")
    );

    let root = rule("ROOT", "123456789012.dkr.ecr.us-west-2.amazonaws.com", ROOT);
    assert_eq!(upstream_repository(&root, "app").as_deref(), Some("app"));
    assert_eq!(
        upstream_repository(&root, "team/app").as_deref(),
        Some("team/app")
    );
}

#[test]
fn stored_rules_round_trip() {
    let mut stored = rule("team/cache-a1b2c3", "quay.io", ROOT);
    stored.credential_arn =
        Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/x".into());
    let bytes = stored.encode().expect("encodes");
    assert_eq!(StoredRule::decode(&bytes).expect("decodes"), stored);
    let view = stored.view("123456789012");
    assert_eq!(view.upstream_registry, Some(UpstreamRegistry::Quay));
    assert_eq!(
        view.upstream_repository_prefix
            .map(|p| p.to_string())
            .as_deref(),
        Some("ROOT")
    );
    assert!(view.custom_role_arn.is_none());
}

fn scope() -> Scope {
    Scope {
        account_id: "123456789012".try_into().unwrap(),
        region: "us-east-1".try_into().unwrap(),
    }
}

fn name(text: &str) -> RepositoryName {
    RepositoryName::try_from(text).unwrap()
}

#[tokio::test]
async fn the_longest_prefix_a_name_is_under_wins() {
    let ecr = crate::Ecr::in_memory();
    let store = ecr.service.state().meta();
    create(store, &scope(), rule("aa", "quay.io", ROOT))
        .await
        .unwrap();
    create(store, &scope(), rule("aa/bb/", "registry.k8s.io", ROOT))
        .await
        .unwrap();
    let source = |text: &str| {
        let ecr = &ecr;
        let text = text.to_owned();
        async move {
            ecr.pull_through_source(&scope(), &name(&text))
                .await
                .unwrap()
        }
    };
    let deep = source("aa/bb/cc").await.expect("under aa/bb");
    assert_eq!(deep.upstream_registry_url, "registry.k8s.io");
    assert_eq!(deep.upstream_repository, "cc");
    let shallow = source("aa/bbc/dd").await.expect("under aa");
    assert_eq!(shallow.upstream_registry_url, "quay.io");
    assert_eq!(shallow.upstream_repository, "bbc/dd");
    assert_eq!(source("aa").await, None);
    assert_eq!(source("aab/cc").await, None);
    assert_eq!(source("zz/aa/bb").await, None);
    // A ROOT rule covers what no other rule does.
    let upstream = "123456789012.dkr.ecr.us-west-2.amazonaws.com";
    create(store, &scope(), rule("ROOT", upstream, ROOT))
        .await
        .unwrap();
    let covered = source("zz/aa/bb").await.expect("under ROOT");
    assert_eq!(covered.upstream_registry_url, upstream);
    assert_eq!(covered.upstream_repository, "zz/aa/bb");
    assert_eq!(
        source("solo")
            .await
            .map(|s| s.upstream_repository)
            .as_deref(),
        Some("solo")
    );
    let deep = source("aa/bb/cc").await.expect("under aa/bb");
    assert_eq!(deep.upstream_registry_url, "registry.k8s.io");
    // Another region has no rules.
    let elsewhere = Scope {
        region: "eu-west-1".try_into().unwrap(),
        ..scope()
    };
    assert_eq!(
        ecr.pull_through_source(&elsewhere, &name("aa/bb/cc"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn duplicates_and_the_limit_are_refused_without_writing() {
    let ecr = crate::Ecr::in_memory();
    let store = ecr.service.state().meta();
    create(store, &scope(), rule("abc", "quay.io", ROOT))
        .await
        .unwrap();
    assert!(matches!(
        create(store, &scope(), rule("abc/", "registry.k8s.io", ROOT)).await,
        Err(RuleError::AlreadyExists)
    ));
    for i in 1..MAX_PULL_THROUGH_CACHE_RULES {
        create(store, &scope(), rule(&format!("c{i:02}"), "quay.io", ROOT))
            .await
            .unwrap();
    }
    assert!(matches!(
        create(store, &scope(), rule("over", "quay.io", ROOT)).await,
        Err(RuleError::LimitExceeded)
    ));
    let all = page(store, &scope(), None, 100).await.unwrap();
    assert_eq!(all.len(), MAX_PULL_THROUGH_CACHE_RULES);
    assert_eq!(
        get(store, &scope(), "abc/")
            .await
            .unwrap()
            .upstream_registry_url,
        "quay.io"
    );
    assert!(
        matches!(get(store, &scope(), "over").await, Err(RuleError::NotFound(p)) if p == "over")
    );
}

#[tokio::test]
async fn a_failed_pulls_empty_repository_is_abandoned() {
    let ecr = crate::Ecr::in_memory();
    let tag = PullReference::Tag(ImageTag::try_from("v1").unwrap());
    let cache = name("quay/team/app");
    assert!(ecr.pull_through_due(&scope(), &cache, &tag).await.unwrap());
    assert!(
        ecr.create_pull_through_repository(&scope(), &cache)
            .await
            .unwrap()
    );
    assert!(
        !ecr.create_pull_through_repository(&scope(), &cache)
            .await
            .unwrap()
    );
    // The repository lacks the tag: still due.
    assert!(ecr.pull_through_due(&scope(), &cache, &tag).await.unwrap());
    ecr.abandon_pull_through_repository(&scope(), &cache)
        .await
        .unwrap();
    let store = ecr.service.state().meta();
    assert!(
        crate::repositories::find(store, &scope(), &cache)
            .await
            .is_err()
    );
}

#[test]
fn tags_are_rechecked_after_24_hours() {
    assert_eq!(PULL_THROUGH_TAG_RECHECK.as_secs(), 24 * 60 * 60);
}
