//! The lifecycle policy grammar (§1.1), its canonical text (§1.2) and the evaluation
//! algorithm with AWS's worked examples (§1.3). Expected texts are written out here, never
//! taken from `messages`.

use serde_json::{Value, json};

use super::evaluate::{Decision, ImageFacts, evaluate, wildcard_match};
use super::parse_policy;
use super::policy::{ActionType, StorageClass};

const PREFIX: &str = "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: \
                      'Lifecycle policy validation failure: ";

fn rule(priority: i64, selection: Value) -> Value {
    json!({"rulePriority": priority, "selection": selection, "action": {"type": "expire"}})
}

fn keep(priority: i64, tag_status: &str, list: Option<(&str, &[&str])>, n: i64) -> Value {
    let mut selection =
        json!({"tagStatus": tag_status, "countType": "imageCountMoreThan", "countNumber": n});
    if let Some((member, values)) = list {
        selection[member] = json!(values);
    }
    rule(priority, selection)
}

fn policy(rules: Vec<Value>) -> String {
    json!({ "rules": rules }).to_string()
}

/// The message `text` is rejected with.
fn rejected(text: &str) -> String {
    match parse_policy(text) {
        Ok(policy) => panic!("accepted: {text} as {policy:?}"),
        Err(error) => error.message.unwrap_or_default(),
    }
}

/// A rule sentence: prefix, reason, closing quote.
fn sentence(reason: &str) -> String {
    format!("{PREFIX}{reason}'")
}

/// Schema lines: prefix, the lines, no closing quote.
fn schema(lines: &[&str]) -> String {
    format!("{PREFIX}{}", lines.join("\n"))
}

fn valid_selection() -> Value {
    json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14})
}

#[test]
fn the_documented_policies_are_accepted() {
    let texts = [
        // "Filtering on all images": untagged and any together.
        policy(vec![
            rule(1, valid_selection()),
            keep(2, "any", None, 1),
        ]),
        // Archive after 30 days, expire 365 days after archiving: two `any` rules, one per
        // storage class.
        json!({"rules": [
            {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30},
             "action": {"type": "transition", "targetStorageClass": "archive"}},
            {"rulePriority": 2, "selection": {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 365},
             "action": {"type": "expire"}}
        ]})
        .to_string(),
        policy(vec![keep(1, "tagged", Some(("tagPatternList", &["*test*1*2*3"])), 1)]),
        policy(vec![
            keep(5, "tagged", Some(("tagPrefixList", &["prod"])), 1),
            keep(9, "tagged", Some(("tagPrefixList", &["beta"])), 1),
        ]),
    ];
    for text in texts {
        parse_policy(&text).unwrap_or_else(|error| panic!("{error:?}: {text}"));
    }
}

#[test]
fn the_canonical_text_is_compact_sorted_by_priority_in_template_key_order() {
    let text = r#"{
      "rules": [
        {"action": {"type": "expire"}, "selection": {"countNumber": 1, "countType": "imageCountMoreThan",
          "tagPrefixList": ["b", "a"], "tagStatus": "tagged"}, "description": "second", "rulePriority": 20},
        {"selection": {"countNumber": 14, "countUnit": "days", "countType": "sinceImagePushed", "tagStatus": "untagged"},
         "rulePriority": 3, "action": {"type": "expire"}}
      ]
    }"#;
    let policy = parse_policy(text).expect("valid");
    assert_eq!(
        policy.canonical_text(),
        r#"{"rules":[{"rulePriority":3,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}},{"rulePriority":20,"description":"second","selection":{"tagStatus":"tagged","tagPrefixList":["b","a"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#
    );
    // Re-parsing the canonical text gives it back unchanged.
    assert_eq!(parse_policy(&policy.canonical_text()).unwrap(), policy);
}

#[test]
fn text_that_is_not_a_json_object_cannot_be_mapped() {
    for text in [
        "not json",
        "[1,2]",
        "\"rules\"",
        "42",
        "{\"rules\": [",
        "null",
    ] {
        assert_eq!(
            rejected(text),
            sentence("Could not map policyString into LifecyclePolicy."),
            "{text}"
        );
    }
}

#[test]
fn schema_violations_read_as_the_validator_writes_them() {
    let cases: Vec<(String, String)> = vec![
        (
            json!({}).to_string(),
            schema(&["object has missing required properties ([\"rules\"])"]),
        ),
        (
            json!({"rules": null}).to_string(),
            schema(&[
                "instance type (null) does not match any allowed primitive type (allowed: [\"array\"])",
            ]),
        ),
        (
            json!({"rules": [], "extra": 1}).to_string(),
            schema(&[
                "object instance has properties which are not allowed by the schema: ([\"extra\"])",
                "array is too short: must have at least 1 elements but instance has 0 elements",
            ]),
        ),
        (
            policy(vec![json!({"rulePriority": 1})]),
            schema(&["object has missing required properties ([\"selection\",\"action\"])"]),
        ),
        (
            policy(vec![
                json!({"rulePriority": "1", "selection": valid_selection(), "action": {"type": "expire"}}),
            ]),
            schema(&[
                "instance type (string) does not match any allowed primitive type (allowed: [\"integer\"])",
            ]),
        ),
        (
            policy(vec![
                json!({"rulePriority": 1.5, "selection": valid_selection(), "action": {"type": "expire"}}),
            ]),
            schema(&[
                "instance type (number) does not match any allowed primitive type (allowed: [\"integer\"])",
            ]),
        ),
        (
            policy(vec![rule(0, valid_selection())]),
            schema(&["numeric instance is lower than the required minimum (minimum: 1, found: 0)"]),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 0}),
            )]),
            schema(&["numeric instance is lower than the required minimum (minimum: 1, found: 0)"]),
        ),
        (
            policy(vec![rule(2147483648, valid_selection())]),
            schema(&[
                "numeric instance is greater than the required maximum (maximum: 2147483647, found: 2147483648)",
            ]),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "TAGGED", "tagPrefixList": ["a"], "countType": "imageCountMoreThan", "countNumber": 1}),
            )]),
            schema(&[
                "instance value (\"TAGGED\") not found in enum :(possible values: [\"tagged\",\"untagged\",\"any\"])",
            ]),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": null, "countNumber": 1}),
            )]),
            schema(&["instance failed to match exactly one schema (matched 0 out of 2)"]),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "tagged", "tagPrefixList": null, "countType": "imageCountMoreThan", "countNumber": 1}),
            )]),
            schema(&[
                "instance type (null) does not match any allowed primitive type (allowed: [\"array\"])",
            ]),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "tagged", "tagPrefixList": [], "countType": "imageCountMoreThan", "countNumber": 1}),
            )]),
            schema(&[
                "array is too short: must have at least 1 elements but instance has 0 elements",
            ]),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "tagged", "tagPatternList": [7], "countType": "imageCountMoreThan", "countNumber": 1}),
            )]),
            schema(&[
                "instance type (integer) does not match any allowed primitive type (allowed: [\"string\"])",
            ]),
        ),
        (
            policy(vec![
                json!({"rulePriority": 1, "selection": valid_selection(), "action": {"type": "transition", "targetStorageClass": null}}),
            ]),
            schema(&["instance failed to match exactly one schema (matched 0 out of 2)"]),
        ),
        (
            policy(vec![
                json!({"rulePriority": 1, "selection": valid_selection(), "action": {"type": "delete"}}),
            ]),
            schema(&[
                "instance value (\"delete\") not found in enum :(possible values: [\"expire\",\"transition\"])",
            ]),
        ),
        (
            policy(vec![
                json!({"rulePriority": 1, "description": 3, "selection": valid_selection(), "action": {"type": "expire"}, "other": true}),
            ]),
            schema(&[
                "object instance has properties which are not allowed by the schema: ([\"other\"])",
                "instance type (integer) does not match any allowed primitive type (allowed: [\"string\"])",
            ]),
        ),
        (
            policy(vec![
                json!({"rulePriority": 1, "selection": "x", "action": []}),
            ]),
            schema(&[
                "instance type (string) does not match any allowed primitive type (allowed: [\"object\"])",
                "instance type (array) does not match any allowed primitive type (allowed: [\"object\"])",
            ]),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(rejected(&text), expected, "{text}");
    }
}

#[test]
fn rule_sentences_name_what_is_wrong() {
    let transition = |selection: Value| json!({"rulePriority": 1, "selection": selection, "action": {"type": "transition", "targetStorageClass": "archive"}});
    let cases: Vec<(String, String)> = vec![
        (
            policy(vec![rule(3, valid_selection()), keep(3, "any", None, 1)]),
            sentence("Duplicate rulePriority 3."),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "untagged", "countType": "imageCountMoreThan", "countUnit": "days", "countNumber": 1}),
            )]),
            sentence(
                "countUnit can only be used with countType sinceImagePushed, sinceImagePulled or sinceImageTransitioned.",
            ),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countNumber": 1}),
            )]),
            schema(&["object has missing required properties ([\"countUnit\"])"]),
        ),
        (
            policy(vec![keep(1, "tagged", None, 1)]),
            sentence("Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED."),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "tagged", "tagPrefixList": ["a"], "tagPatternList": ["a*"], "countType": "imageCountMoreThan", "countNumber": 1}),
            )]),
            sentence("tagPrefixList and tagPatternList cannot both be specified."),
        ),
        (
            policy(vec![keep(
                1,
                "untagged",
                Some(("tagPrefixList", &["a"])),
                1,
            )]),
            sentence("tagPrefixList and tagPatternList can only be used with tagStatus=TAGGED."),
        ),
        (
            policy(vec![keep(
                1,
                "tagged",
                Some(("tagPatternList", &["test*1*2*3*4*5*6"])),
                1,
            )]),
            sentence("Tag patterns may contain at most 4 wildcards."),
        ),
        (
            policy(vec![
                json!({"rulePriority": 1, "selection": valid_selection(), "action": {"type": "transition"}}),
            ]),
            schema(&["object has missing required properties ([\"targetStorageClass\"])"]),
        ),
        (
            policy(vec![
                json!({"rulePriority": 1, "selection": valid_selection(), "action": {"type": "expire", "targetStorageClass": "archive"}}),
            ]),
            sentence("targetStorageClass can only be used with the transition action."),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 5}),
            )]),
            sentence("sinceImagePulled can only be used with the transition action."),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 89}),
            )]),
            sentence(
                "sinceImageTransitioned requires storageClass archive, the expire action and countNumber of at least 90.",
            ),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "any", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90}),
            )]),
            sentence(
                "sinceImageTransitioned requires storageClass archive, the expire action and countNumber of at least 90.",
            ),
        ),
        (
            policy(vec![transition(
                json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90}),
            )]),
            sentence(
                "sinceImageTransitioned requires storageClass archive, the expire action and countNumber of at least 90.",
            ),
        ),
        (
            policy(vec![rule(
                1,
                json!({"tagStatus": "any", "storageClass": "archive", "countType": "imageCountMoreThan", "countNumber": 1}),
            )]),
            sentence(
                "storageClass archive can only be used with countType sinceImageTransitioned.",
            ),
        ),
        (
            policy(vec![
                rule(1, valid_selection()),
                keep(2, "untagged", None, 3),
            ]),
            sentence("Only one rule can select Untagged images per storage class."),
        ),
        (
            policy(vec![keep(1, "any", None, 3), rule(2, valid_selection())]),
            sentence("Rule for tagStatus=ANY must have the lowest priority per storage class."),
        ),
        (
            policy(vec![
                keep(1, "tagged", Some(("tagPrefixList", &["a", "b"])), 1),
                keep(2, "tagged", Some(("tagPrefixList", &["b", "a"])), 5),
            ]),
            sentence(
                "The set of rules must contain a unique set of tag prefixes per storage class.",
            ),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(rejected(&text), expected, "{text}");
    }
}

#[test]
fn a_hundred_rules_that_fit_the_length_are_accepted() {
    // The model's 30,720 characters are the only limit on the rule count.
    let mut rules: Vec<Value> = (1..=99)
        .map(|n| {
            keep(
                n,
                "tagged",
                Some(("tagPrefixList", &[format!("p{n}").as_str()])),
                1,
            )
        })
        .collect();
    rules.push(keep(100, "any", None, 1));
    let text = policy(rules);
    assert!(text.len() <= 30_720, "{}", text.len());
    assert_eq!(parse_policy(&text).expect("valid").rules.len(), 100);
}

// ---- evaluation ----

const DAY: i64 = 24 * 60 * 60 * 1000;

fn image(tags: &[&str], pushed_at: i64) -> ImageFacts {
    ImageFacts {
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        pushed_at,
        storage_class: StorageClass::Standard,
        last_pulled_at: None,
        last_archived_at: None,
        last_activated_at: None,
    }
}

fn rules_of(rules: Vec<Value>) -> Vec<super::policy::Rule> {
    parse_policy(&policy(rules)).expect("valid").rules
}

/// (image index, action, rule) for each decision.
fn acted(decisions: &[Decision]) -> Vec<(usize, ActionType, i32)> {
    decisions
        .iter()
        .map(|d| (d.image, d.action, d.rule_priority))
        .collect()
}

const EXPIRE: ActionType = ActionType::Expire;

#[test]
fn filtering_on_multiple_rules_as_the_docs_show() {
    // A[beta-1, prod-1] (oldest), B[beta-2, prod-2], C[beta-3].
    let images = [
        image(&["beta-1", "prod-1"], 1000),
        image(&["beta-2", "prod-2"], 2000),
        image(&["beta-3"], 3000),
    ];
    let prod = |p| keep(p, "tagged", Some(("tagPrefixList", &["prod"])), 1);
    let beta = |p| keep(p, "tagged", Some(("tagPrefixList", &["beta"])), 1);
    // Rule 1 prod keep 1, rule 2 beta keep 1: only A expires, by rule 1.
    let decisions = evaluate(&images, &rules_of(vec![prod(1), beta(2)]), 10 * DAY);
    assert_eq!(acted(&decisions), [(0, EXPIRE, 1)]);
    // Swapped: A and B expire, both by rule 1 (beta keep 1 keeps C).
    let decisions = evaluate(&images, &rules_of(vec![beta(1), prod(2)]), 10 * DAY);
    assert_eq!(acted(&decisions), [(0, EXPIRE, 1), (1, EXPIRE, 1)]);
}

#[test]
fn filtering_on_all_images_as_the_docs_show() {
    // A[alpha-1, beta-1], B[], C[alpha-2], D[githash], E[] (oldest → newest), all older
    // than a day.
    let images = [
        image(&["alpha-1", "beta-1"], 1000),
        image(&[], 2000),
        image(&["alpha-2"], 3000),
        image(&["githash"], 4000),
        image(&[], 5000),
    ];
    let rules = rules_of(vec![
        keep(1, "tagged", Some(("tagPrefixList", &["alpha"])), 1),
        rule(
            2,
            json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1}),
        ),
        keep(3, "any", None, 1),
    ]);
    // E was pushed less than a day ago, B more: A by rule 1, B by rule 2, D by rule 3.
    let decisions = evaluate(&images, &rules, DAY + 4500);
    assert_eq!(
        acted(&decisions),
        [(0, EXPIRE, 1), (1, EXPIRE, 2), (3, EXPIRE, 3)]
    );
    // Later, E is older than a day too, and goes by rule 2.
    let decisions = evaluate(&images, &rules, 10 * DAY);
    assert_eq!(
        acted(&decisions),
        [
            (0, EXPIRE, 1),
            (1, EXPIRE, 2),
            (4, EXPIRE, 2),
            (3, EXPIRE, 3)
        ]
    );

    // The docs' stated outcome, with rule 2 as "keep 1 untagged": A (1), B (2), D (3).
    let rules = rules_of(vec![
        keep(1, "tagged", Some(("tagPrefixList", &["alpha"])), 1),
        keep(2, "untagged", None, 1),
        keep(3, "any", None, 1),
    ]);
    let decisions = evaluate(&images, &rules, 10 * DAY);
    assert_eq!(
        acted(&decisions),
        [(0, EXPIRE, 1), (1, EXPIRE, 2), (3, EXPIRE, 3)]
    );
}

#[test]
fn every_prefix_must_prefix_some_tag() {
    let images = [
        image(&["alpha-2", "beta-2"], 1000),
        image(&["alpha-1"], 2000),
    ];
    let rules = rules_of(vec![keep(
        1,
        "tagged",
        Some(("tagPrefixList", &["alpha", "beta"])),
        1,
    )]);
    // Only the first matches, and it is the one kept.
    assert!(evaluate(&images, &rules, DAY).is_empty());
    let images = [
        image(&["alpha-2", "beta-2"], 1000),
        image(&["beta-9", "alpha-1"], 2000),
    ];
    assert_eq!(acted(&evaluate(&images, &rules, DAY)), [(0, EXPIRE, 1)]);
}

#[test]
fn patterns_match_whole_tags_with_any_run_for_each_star() {
    for (pattern, tag, expected) in [
        ("prod*", "prod", true),
        ("prod*", "prod1", true),
        ("prod*", "production-team1", true),
        ("prod*", "xprod", false),
        ("*prod*", "repo-production", true),
        ("*prod*", "prod-team", true),
        ("prod", "prod", true),
        ("prod", "prod1", false),
        ("*", "anything", true),
        ("Prod*", "prod", false),
        ("*test*1*2*3", "my-test-1-2-3", true),
        ("*test*1*2*3", "my-test-1-2-3-4", false),
        ("a*a", "a", false),
        ("a*a", "aa", true),
        ("*-*", "x-y-z", true),
    ] {
        assert_eq!(wildcard_match(pattern, tag), expected, "{pattern} {tag}");
    }
}

#[test]
fn since_image_pushed_counts_whole_days_strictly() {
    let images = [image(&[], 0), image(&[], DAY)];
    let rules = rules_of(vec![rule(1, valid_selection())]); // untagged, 14 days
    assert!(evaluate(&images, &rules, 14 * DAY).is_empty());
    assert_eq!(
        acted(&evaluate(&images, &rules, 14 * DAY + 1)),
        [(0, EXPIRE, 1)]
    );
    assert_eq!(
        acted(&evaluate(&images, &rules, 16 * DAY)),
        [(0, EXPIRE, 1), (1, EXPIRE, 1)]
    );
}

#[test]
fn pulls_transitions_and_archived_images() {
    let mut pulled = image(&["a"], 0);
    pulled.last_pulled_at = Some(20 * DAY);
    let never_pulled = image(&["b"], 0);
    let mut archived = image(&["c"], 0);
    archived.storage_class = StorageClass::Archive;
    archived.last_archived_at = Some(DAY);
    let images = [pulled, never_pulled, archived];
    let rules = rules_of(vec![
        json!({"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 10},
               "action": {"type": "transition", "targetStorageClass": "archive"}}),
        rule(
            2,
            json!({"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90}),
        ),
    ]);
    // At day 25: the image pulled on day 20 stays, the other standard one transitions; the
    // archived one (archived on day 1) is not 90 days in archive yet.
    let decisions = evaluate(&images, &rules, 25 * DAY);
    assert_eq!(acted(&decisions), [(1, ActionType::Transition, 1)]);
    // At day 92 the archived image expires; the standard rule never sees it.
    let decisions = evaluate(&images, &rules, 92 * DAY);
    assert_eq!(
        acted(&decisions),
        [
            (0, ActionType::Transition, 1),
            (1, ActionType::Transition, 1),
            (2, EXPIRE, 2)
        ]
    );
}

#[test]
fn ties_in_push_time_go_to_the_later_push() {
    let images = [image(&[], 5), image(&[], 5), image(&[], 5)];
    let rules = rules_of(vec![keep(1, "untagged", None, 1)]);
    assert_eq!(
        acted(&evaluate(&images, &rules, DAY)),
        [(0, EXPIRE, 1), (1, EXPIRE, 1)]
    );
}

/// What a same-millisecond burst of pushes looks like to the store: one time, digests in
/// any order. The evaluation must see them in the order they were pushed.
#[tokio::test]
async fn images_pushed_in_one_millisecond_load_in_push_order() {
    use crate::store::Scope;
    use crate::store::blobs::Sha256Digest;
    use crate::store::meta::{self, ImageRow, ImageStatus, Tx};
    use berth_runtime::Timestamp;
    use bytes::Bytes;

    let ecr = crate::Ecr::in_memory();
    let store = ecr.service.state().meta();
    let scope = Scope {
        account_id: "123456789012".try_into().unwrap(),
        region: "us-east-1".try_into().unwrap(),
    };
    let at = Timestamp::from_epoch_millis(1_700_000_000_000);
    // Pushed in falling digest order: the page order is the reverse of the push order.
    let mut manifests: Vec<Bytes> = ["a", "b", "c", "d"]
        .iter()
        .map(|seed| Bytes::from(format!("{{\"seed\":\"{seed}\"}}")))
        .collect();
    manifests.sort_by_key(|manifest| std::cmp::Reverse(Sha256Digest::of(manifest)));
    let pushed: Vec<_> = manifests.iter().map(|m| Sha256Digest::of(m)).collect();
    let loaded = meta::write(store, move |tx: &mut dyn Tx| {
        let name = "burst".try_into().unwrap();
        let repository = crate::templates::create_repository(
            tx,
            &scope,
            &name,
            ecr_generated::types::RctAppliedFor::CreateOnPush,
            at,
        )?;
        for manifest in &manifests {
            let row = ImageRow {
                digest: Sha256Digest::of(manifest),
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                artifact_media_type: None,
                size_in_bytes: 0,
                pushed_at: at,
                last_pulled_at: None,
                status: ImageStatus::Active,
                last_archived_at: None,
                last_activated_at: None,
                subject: None,
                push_sequence: 0,
            };
            tx.insert_image(repository.id, &row, manifest, &[])?;
        }
        super::load_images(tx, repository.id)
    })
    .await
    .unwrap();
    let order: Vec<_> = loaded.iter().map(|image| image.row.digest).collect();
    assert_eq!(order, pushed);
    // And so keep-1 keeps the last push, whatever its digest.
    let rules = rules_of(vec![keep(1, "untagged", None, 1)]);
    let facts: Vec<ImageFacts> = loaded.iter().map(super::facts).collect();
    let expired: Vec<_> = evaluate(&facts, &rules, at.epoch_millis())
        .iter()
        .map(|decision| loaded[decision.image].row.digest)
        .collect();
    assert_eq!(expired, pushed[..3]);
}
