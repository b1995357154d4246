//! The runner's generators over two models: ECR's (what CI runs against) and the made-up
//! Weather service (maps, unions, int enums, floats, blobs, recursion), so nothing here
//! holds only because of ECR's particular shapes.

use std::collections::BTreeSet;

use codegen::ir::{Member, Presence, ShapeKind};
use conformance::check::{self, Violation};
use conformance::ecr::EcrFixture;
use conformance::fixture::{Fixture, NoFixture};
use conformance::generate::{Expect, Generator, Plan, Variant};
use conformance::model::Model;
use conformance::path::{self, Step};
use serde_json::{Value, json};

const WEATHER_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../codegen/tests/fixtures/weather.json"
);
/// The operations Berth implements today: every one must get a full plan.
const ECR_OPERATIONS: &[&str] = &[
    "CreateRepository",
    "DeleteRepository",
    "DescribeRepositories",
    "PutImageTagMutability",
    "PutImageScanningConfiguration",
    "SetRepositoryPolicy",
    "GetRepositoryPolicy",
    "DeleteRepositoryPolicy",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

fn ecr() -> Model {
    Model::load(&conformance::ecr_config().expect("the ECR config"), None)
        .expect("the ECR model loads")
        .0
}

fn weather() -> Model {
    // The made-up service has no settings of its own: the generator's defaults.
    let json = std::fs::read_to_string(WEATHER_MODEL).expect("the Weather model");
    Model::from_json(&json, &codegen::Settings::default()).expect("the Weather model loads")
}

fn ecr_fixture() -> EcrFixture {
    EcrFixture {
        account_id: "123456789012".to_owned(),
        region: "eu-west-1".to_owned(),
    }
}

fn plan(model: &Model, fixture: &dyn Fixture, operation: &str) -> Plan {
    let operation = model.operation(operation).expect("operation in the model");
    Generator::new(model, fixture)
        .plan(operation)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn input_of<'m>(model: &'m Model, operation: &str) -> &'m str {
    model
        .operation(operation)
        .unwrap()
        .input
        .as_deref()
        .unwrap()
}

fn negatives(plan: &Plan) -> impl Iterator<Item = (&Variant, &[Violation])> {
    plan.variants.iter().filter_map(|v| match &v.expect {
        Expect::Rejected(violations) => Some((v, violations.as_slice())),
        _ => None,
    })
}

fn positives(plan: &Plan) -> impl Iterator<Item = &Variant> {
    plan.variants
        .iter()
        .filter(|v| !matches!(v.expect, Expect::Rejected(_)))
}

/// Every `(path, reason)` a negative must exist for, found by walking the IR directly:
/// required members, length and range bounds, enums and patterns, nested ones included
/// (lists through their first item, recursion cut at a shape already on the path).
fn constraints(model: &Model, shape_id: &str) -> BTreeSet<(String, String)> {
    fn walk(
        model: &Model,
        shape_id: &str,
        steps: &mut Vec<Step>,
        seen: &mut Vec<String>,
        out: &mut BTreeSet<(String, String)>,
    ) {
        let members: Vec<(Step, &Member, bool)> = match &model.shape(shape_id).kind {
            ShapeKind::Structure { members } | ShapeKind::Union { members } => members
                .iter()
                .map(|m| (Step::Member(m.name.clone()), m, true))
                .collect(),
            ShapeKind::List { item } => vec![(Step::item(item, 0), item.as_ref(), false)],
            _ => Vec::new(),
        };
        for (step, member, can_be_missing) in members {
            steps.push(step);
            let at = path::render(steps);
            let mut add = |reason: &str| out.insert((at.clone(), reason.to_owned()));
            if can_be_missing && member.presence == Presence::Required {
                add(&model.service.required_reason);
            }
            let c = &member.constraints;
            for bounds in [&c.length, &c.range].into_iter().flatten() {
                for bound in [&bounds.min, &bounds.max].into_iter().flatten() {
                    add(&bound.reason);
                }
            }
            if let Some(pattern) = &c.pattern {
                add(&pattern.reason);
            }
            if let Some(reason) = &c.unique_items {
                add(reason);
            }
            if let ShapeKind::Enum { reason, .. } | ShapeKind::IntEnum { reason, .. } =
                &model.shape(&member.target).kind
            {
                add(reason);
            }
            if !seen.contains(&member.target) {
                seen.push(member.target.clone());
                walk(model, &member.target, steps, seen, out);
                seen.pop();
            }
            steps.pop();
        }
    }
    let mut out = BTreeSet::new();
    walk(
        model,
        shape_id,
        &mut Vec::new(),
        &mut vec![shape_id.to_owned()],
        &mut out,
    );
    out
}

#[test]
fn every_constraint_of_every_ecr_operation_has_a_negative() {
    let model = ecr();
    let fixture = ecr_fixture();
    for operation in ECR_OPERATIONS {
        let plan = plan(&model, &fixture, operation);
        let covered: BTreeSet<(String, String)> = negatives(&plan)
            .flat_map(|(_, violations)| violations.iter())
            .map(|v| (v.path.clone(), v.reason.clone()))
            .collect();
        let expected = constraints(&model, input_of(&model, operation));
        assert!(!expected.is_empty(), "{operation} has constraints");
        let missing: Vec<_> = expected.difference(&covered).collect();
        assert!(
            missing.is_empty(),
            "{operation}: no negative for {missing:?}"
        );
    }
}

#[test]
fn each_negative_breaks_exactly_one_constraint_unless_the_model_ties_two() {
    for (model, fixture) in [
        (ecr(), Box::new(ecr_fixture()) as Box<dyn Fixture>),
        (weather(), Box::new(NoFixture)),
    ] {
        for operation in &model.service.operations {
            let Some(input) = operation.input.as_deref() else {
                continue;
            };
            let plan = plan(&model, fixture.as_ref(), &operation.name);
            for (variant, expected) in negatives(&plan) {
                // The variant's own claim matches an independent check of its input.
                let found = check::input(&model, input, &variant.input);
                assert!(found.problems.is_empty(), "{}: {found:?}", variant.label);
                assert_eq!(found.violations, expected, "{}", variant.label);
                match expected {
                    [_] => {}
                    // Two only when a pattern admits no string of the probed length, so
                    // a length bound cannot be broken alone.
                    [first, second] => {
                        assert_eq!(first.path, second.path, "{}", variant.label);
                        assert!(
                            variant.label.contains(": length "),
                            "{}: {expected:?}",
                            variant.label
                        );
                    }
                    other => panic!("{}: breaks {other:?}", variant.label),
                }
            }
            for variant in positives(&plan) {
                let found = check::input(&model, input, &variant.input);
                assert!(found.is_clean(), "{}: {found:?}", variant.label);
            }
        }
    }
}

#[test]
fn ecr_negatives_tie_two_constraints_only_where_the_pattern_bounds_the_length() {
    let model = ecr();
    let plan = plan(&model, &ecr_fixture(), "CreateRepository");
    let tied: Vec<&str> = negatives(&plan)
        .filter(|(_, violations)| violations.len() > 1)
        .map(|(variant, _)| variant.label.as_str())
        .collect();
    // `^[0-9a-zA-Z._*-]{1,128}$` matches no string of length 0 or 129.
    assert_eq!(
        tied,
        [
            "imageTagMutabilityExclusionFilters[0].filter: length 0 (min-1)",
            "imageTagMutabilityExclusionFilters[0].filter: length 129 (max+1)",
        ]
    );
    // Repository names of 1 and 257 characters match the pattern: only the length breaks.
    for label in [
        "repositoryName: length 1 (min-1)",
        "repositoryName: length 257 (max+1)",
    ] {
        let (variant, violations) = negatives(&plan).find(|(v, _)| v.label == label).unwrap();
        assert_eq!(violations.len(), 1, "{label}");
        assert!(violations[0].reason.contains("length"), "{label}");
        let name = variant.input["repositoryName"].as_str().unwrap();
        assert!(name.len() == 1 || name.len() == 257);
    }
}

#[test]
fn minimal_inputs_hold_only_required_members_and_full_ones_every_member() {
    let model = ecr();
    let fixture = ecr_fixture();
    let plan = plan(&model, &fixture, "CreateRepository");
    let find = |label: &str| {
        &plan
            .variants
            .iter()
            .find(|v| v.label == label)
            .unwrap()
            .input
    };
    assert_eq!(
        find("minimal"),
        &json!({ "repositoryName": "conformance/app" })
    );
    let full = find("full");
    for member in [
        "registryId",
        "repositoryName",
        "tags",
        "imageTagMutability",
        "imageTagMutabilityExclusionFilters",
        "imageScanningConfiguration",
        "encryptionConfiguration",
    ] {
        assert!(
            full.get(member).is_some(),
            "full input lacks {member}: {full}"
        );
    }
    assert_eq!(full["registryId"], "123456789012");
    // The fixture made the full input coherent: filters come with an exclusion mode, a KMS
    // key with KMS encryption.
    assert!(
        full["imageTagMutability"]
            .as_str()
            .unwrap()
            .ends_with("_WITH_EXCLUSION")
    );
    assert_eq!(full["encryptionConfiguration"]["encryptionType"], "KMS");
}

#[test]
fn focused_variants_change_only_the_probed_member() {
    let model = ecr();
    let plan = plan(&model, &ecr_fixture(), "CreateRepository");
    let variant = plan
        .variants
        .iter()
        .find(|v| v.label == "tags[0].Key: missing")
        .unwrap();
    assert_eq!(
        variant.input,
        json!({ "repositoryName": "conformance/app", "tags": [{ "Value": "conformance" }] })
    );
    let (_, violations) = negatives(&plan)
        .find(|(v, _)| v.label == "encryptionConfiguration.kmsKey: length 2049 (max+1)")
        .unwrap();
    assert_eq!(
        violations,
        [Violation {
            path: "encryptionConfiguration.kmsKey".to_owned(),
            reason: "Member must have length less than or equal to 2048".to_owned(),
        }]
    );
}

#[test]
fn every_enum_value_and_every_boundary_is_a_positive() {
    let model = ecr();
    let plan = plan(&model, &ecr_fixture(), "CreateRepository");
    let labels: BTreeSet<&str> = positives(&plan).map(|v| v.label.as_str()).collect();
    let ShapeKind::Enum { variants, .. } =
        &model.shape("com.amazonaws.ecr#ImageTagMutability").kind
    else {
        panic!("ImageTagMutability is an enum")
    };
    assert_eq!(variants.len(), 4);
    for value in variants {
        let label = format!("imageTagMutability = {}", value.value);
        assert!(labels.contains(label.as_str()), "{label} in {labels:?}");
    }
    for label in [
        "repositoryName: length 2 (min)",
        "repositoryName: length 256 (max)",
        "imageTagMutabilityExclusionFilters: length 5 (max)",
    ] {
        assert!(labels.contains(label), "{label}");
    }
    let longest = positives(&plan)
        .find(|v| v.label == "repositoryName: length 256 (max)")
        .unwrap();
    assert_eq!(
        longest.input["repositoryName"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        256
    );
}

#[test]
fn list_items_are_distinct_so_named_things_can_all_exist() {
    let model = ecr();
    let plan = plan(&model, &ecr_fixture(), "DescribeRepositories");
    let variant = positives(&plan)
        .find(|v| v.label == "repositoryNames: length 100 (max)")
        .unwrap();
    let names: BTreeSet<&str> = variant.input["repositoryNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 100);
}

#[test]
fn weather_covers_maps_unions_int_enums_floats_blobs_and_recursion() {
    let model = weather();
    let plan = plan(&model, &NoFixture, "RecordReading");
    let labels: Vec<&str> = plan.variants.iter().map(|v| v.label.as_str()).collect();
    for wanted in [
        "readings[0].degrees: -91.5 (min-1)",
        "readings[0].degrees: 60.0 (max)",
        "readings: length 4 (max+1)",
        "priority: not an enum value",
        "priority = 10",
        "readings[0].sky: not an enum value",
        "labels: length 4 (max+1)",
        "payload: length 5 (max+1)",
    ] {
        assert!(labels.contains(&wanted), "{wanted} not in {labels:#?}");
    }
    // The map key is reported at the map itself.
    let (_, violations) = negatives(&plan)
        .find(|(v, _)| v.label.starts_with("labels<") && v.label.ends_with("(min-1)"))
        .unwrap();
    assert_eq!(violations[0].path, "labels");
    // Recursion stops at a shape already on the path: `Reading` is probed at
    // `readings[0]`, and its recursive `next` is not entered again.
    assert!(labels.iter().any(|l| l.starts_with("readings[0].degrees")));
    assert!(!labels.iter().any(|l| l.contains(".next.")));
}

#[test]
fn ecr_fixture_values_keep_every_constraint() {
    let model = ecr();
    let fixture = ecr_fixture();
    let mut checked = 0;
    for shape in model.service.shapes.values() {
        for member in shape.kind.members() {
            if let Some(value) = fixture.preferred(&member.target) {
                let found = check::member_value(&model, member, &value);
                assert!(found.is_clean(), "{} = {value}: {found:?}", member.target);
                checked += 1;
            }
        }
    }
    assert!(checked > 0);
    let padded = fixture
        .sized("com.amazonaws.ecr#RepositoryPolicyText", 10240)
        .unwrap();
    let text = padded.as_str().unwrap();
    assert_eq!(text.chars().count(), 10240);
    serde_json::from_str::<Value>(text).expect("a padded policy is still JSON");
}

#[test]
fn ecr_setup_creates_the_named_repositories_and_their_policies() {
    let model = ecr();
    let fixture = ecr_fixture();
    let operation = model.operation("GetRepositoryPolicy").unwrap();
    let calls = fixture.setup(&model, operation, &json!({ "repositoryName": "team/app" }));
    let names: Vec<(&str, &str)> = calls
        .iter()
        .map(|c| {
            (
                c.operation.as_str(),
                c.input["repositoryName"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("CreateRepository", "team/app"),
            ("SetRepositoryPolicy", "team/app")
        ]
    );
    // A name the model refuses cannot exist, so nothing is prepared for it.
    let calls = fixture.setup(&model, operation, &json!({ "repositoryName": "A" }));
    assert!(calls.is_empty(), "{calls:?}");
    // Tagging operations name their repository by ARN.
    let operation = model.operation("TagResource").unwrap();
    let arn = fixture.repository_arn("team/app");
    let calls = fixture.setup(
        &model,
        operation,
        &json!({ "resourceArn": arn, "tags": [] }),
    );
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].input, json!({ "repositoryName": "team/app" }));
    // Creating needs nothing first.
    let operation = model.operation("CreateRepository").unwrap();
    assert!(
        fixture
            .setup(&model, operation, &json!({ "repositoryName": "team/app" }))
            .is_empty()
    );
}

#[test]
fn repeated_items_and_items_reported_as_a_member() {
    let model = weather();
    let cities = plan(&model, &NoFixture, "ListCities");
    let (variant, violations) = negatives(&cities)
        .find(|(v, _)| v.label == "ids: an item repeated")
        .expect("a @uniqueItems list gets a negative");
    assert_eq!(variant.input["ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(violations[0].path, "ids");

    // ECR reports a bad name inside a list at `repositoryName`, not at the item.
    let model = ecr();
    let describe = plan(&model, &ecr_fixture(), "DescribeRepositories");
    let (_, violations) = negatives(&describe)
        .find(|(v, _)| v.label.starts_with("repositoryNames[0]: not matching"))
        .expect("a negative for a name in the list");
    assert_eq!(violations[0].path, "repositoryName");
}
