//! The pure rules of §4 and §8: wildcard filters, which rule applies to a repository, which
//! frequencies a scan type allows, the 24-hour quota.

use ecr_generated::types::{
    ScanningRepositoryFilterType, SigningConfiguration, SigningProfileArn, SigningRepositoryFilter,
    SigningRepositoryFilterType, SigningRule,
};

use super::*;

fn filter(pattern: &str) -> ScanningRepositoryFilter {
    ScanningRepositoryFilter {
        filter: pattern.try_into().expect("a valid filter"),
        filter_type: ScanningRepositoryFilterType::Wildcard,
    }
}

fn rule(frequency: ScanFrequency, patterns: &[&str]) -> RegistryScanningRule {
    RegistryScanningRule {
        scan_frequency: frequency,
        repository_filters: patterns.iter().map(|pattern| filter(pattern)).collect(),
    }
}

fn configuration(rules: Vec<RegistryScanningRule>) -> RegistryScanningConfiguration {
    RegistryScanningConfiguration {
        scan_type: Some(ScanType::Enhanced),
        rules: Some(rules),
    }
}

#[test]
fn a_filter_wildcard_matches_the_whole_repository_name() {
    for (pattern, name) in [
        ("*", "app"),
        ("*", ""),
        ("app", "app"),
        ("prod*", "prod"),
        ("prod*", "production-team1"),
        ("*prod*", "repo-production"),
        ("*prod*", "prod-team"),
        ("myapp/*", "myapp/web"),
        ("*/production", "team/production"),
        ("a*b*c", "abc"),
        ("a*b*c", "a-b-b-c"),
        ("**", "x"),
    ] {
        assert!(
            wildcard_match(pattern, name),
            "{pattern} should match {name}"
        );
    }
    for (pattern, name) in [
        ("app", "app2"),
        ("app", "my-app"),
        ("prod*", "preprod"),
        ("*prod", "production"),
        ("myapp/*", "myapp"),
        ("a*b*c", "acb"),
        ("a*a", "a"),
        ("Prod*", "prod"),
    ] {
        assert!(
            !wildcard_match(pattern, name),
            "{pattern} should not match {name}"
        );
    }
}

#[test]
fn a_repository_gets_the_matching_rule_continuous_first() {
    let rules = configuration(vec![
        rule(ScanFrequency::ScanOnPush, &["team/*", "*"]),
        rule(ScanFrequency::ContinuousScan, &["team/prod*"]),
    ]);
    assert_eq!(
        applied_rule(&rules, "team/prod-api"),
        Some((ScanFrequency::ContinuousScan, filter("team/prod*")))
    );
    assert_eq!(
        applied_rule(&rules, "team/dev"),
        Some((ScanFrequency::ScanOnPush, filter("team/*")))
    );
    assert_eq!(
        applied_rule(&rules, "other"),
        Some((ScanFrequency::ScanOnPush, filter("*")))
    );
    let narrow = configuration(vec![rule(ScanFrequency::ScanOnPush, &["team/*"])]);
    assert_eq!(applied_rule(&narrow, "other"), None);
    assert_eq!(applied_rule(&default_configuration(), "team/x"), None);
}

#[test]
fn scan_on_push_follows_the_flag_or_a_rule() {
    let narrow = configuration(vec![rule(ScanFrequency::ScanOnPush, &["team/*"])]);
    assert!(scans_on_push(&narrow, "team/x", false));
    assert!(scans_on_push(&narrow, "other", true));
    assert!(!scans_on_push(&narrow, "other", false));
    assert!(!scans_on_push(&default_configuration(), "other", false));
}

#[test]
fn each_scan_type_allows_its_frequencies() {
    let on_push = rule(ScanFrequency::ScanOnPush, &["*"]);
    let continuous = rule(ScanFrequency::ContinuousScan, &["*"]);
    let manual = rule(ScanFrequency::Manual, &["*"]);
    assert_eq!(
        first_disallowed_rule(ScanType::Basic, std::slice::from_ref(&on_push)),
        None
    );
    assert_eq!(
        first_disallowed_rule(ScanType::Basic, &[on_push.clone(), continuous.clone()]),
        Some(2)
    );
    assert_eq!(
        first_disallowed_rule(ScanType::Enhanced, &[on_push.clone(), continuous]),
        None
    );
    assert_eq!(
        first_disallowed_rule(ScanType::Enhanced, std::slice::from_ref(&manual)),
        Some(1)
    );
    assert_eq!(
        first_disallowed_rule(ScanType::Basic, &[manual, on_push]),
        Some(1)
    );
}

#[test]
fn the_quota_allows_one_scan_per_24_hours() {
    let at = |millis| Timestamp::from_epoch_millis(millis);
    let day = 24 * 60 * 60 * 1000;
    let scanned = Scan {
        version: DOCUMENT_VERSION,
        started_at_millis: 1_000_000,
    };
    assert!(quota_allows(None, at(0)));
    assert!(!quota_allows(Some(scanned), at(1_000_000)));
    assert!(!quota_allows(Some(scanned), at(1_000_000 + day - 1)));
    assert!(quota_allows(Some(scanned), at(1_000_000 + day)));
}

#[test]
fn a_scan_always_ends_failed_without_findings() {
    let scan = Scan {
        version: DOCUMENT_VERSION,
        started_at_millis: 0,
    };
    let status = scan.status();
    assert_eq!(status.status, Some(ScanStatus::Failed));
    assert_eq!(
        status.description.as_deref(),
        Some(
            "UnsupportedImageError: The operating system and/or package manager are not supported."
        )
    );
}

#[test]
fn signing_rules_without_filters_match_every_repository() {
    let profile = |name: &str| {
        SigningProfileArn::try_from(
            format!("arn:aws:signer:us-east-1:123456789012:/signing-profiles/{name}").as_str(),
        )
        .expect("a valid profile ARN")
    };
    let signing_filter = |pattern: &str| SigningRepositoryFilter {
        filter: pattern.try_into().expect("a valid filter"),
        filter_type: SigningRepositoryFilterType::WildcardMatch,
    };
    let configuration = SigningConfiguration {
        rules: vec![
            SigningRule {
                signing_profile_arn: profile("all"),
                repository_filters: None,
            },
            SigningRule {
                signing_profile_arn: profile("prod"),
                repository_filters: Some(vec![signing_filter("*prod*"), signing_filter("x")]),
            },
        ],
    };
    assert_eq!(
        crate::signing::matching_profiles(&configuration, "team/production"),
        [profile("all"), profile("prod")]
    );
    assert_eq!(
        crate::signing::matching_profiles(&configuration, "team/dev"),
        [profile("all")]
    );
}
