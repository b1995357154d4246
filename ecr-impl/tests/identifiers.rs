//! The identifiers that reach storage are the model's validated types: they refuse what
//! the service's validation refuses, for the same reasons, and every rule comes from the
//! model file (read here with serde_json, independently of the generator).

use ecr_generated::types::{Region, RegistryId, RepositoryName};
use serde_json::Value;

/// A constraint trait of a shape, read straight from `aws-models/ecr.json`.
fn model_trait(shape: &str, name: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../aws-models/ecr.json");
    let model: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("the model"))
        .expect("the model is JSON");
    model["shapes"][format!("com.amazonaws.ecr#{shape}")]["traits"][format!("smithy.api#{name}")]
        .clone()
}

fn length_bound(shape: &str, end: &str) -> usize {
    let bound = model_trait(shape, "length")[end]
        .as_u64()
        .expect("a length bound");
    usize::try_from(bound).expect("a small bound")
}

fn pattern(shape: &str) -> String {
    model_trait(shape, "pattern")
        .as_str()
        .expect("a pattern")
        .to_owned()
}

/// The part of RepositoryName's pattern before its first `\/`, which ECR's message quotes
/// as written (the message drops the anchors and the escape of `/`).
fn repository_name_pattern_head() -> String {
    let pattern = pattern("RepositoryName");
    let head = pattern.split("(\\/").next().expect("a first part");
    head.trim_start_matches('^').to_owned()
}

#[test]
fn repository_names_follow_the_models_length_and_pattern() {
    let min = length_bound("RepositoryName", "min");
    let max = length_bound("RepositoryName", "max");
    let longest = "a".repeat(max);
    assert_eq!(
        RepositoryName::try_from(longest.as_str()).unwrap(),
        longest.as_str()
    );
    assert!(RepositoryName::try_from("a".repeat(min).as_str()).is_ok());
    for valid in ["team/app", "a.b_c__d-e", "x1/y2/z3"] {
        assert_eq!(RepositoryName::try_from(valid).unwrap().as_str(), valid);
    }

    let too_long = RepositoryName::try_from("a".repeat(max + 1)).unwrap_err();
    assert_eq!(too_long.reasons().len(), 1, "{too_long}");
    assert!(
        too_long.reasons()[0].ends_with(&format!("length less than or equal to {max}")),
        "{too_long}"
    );

    // "A" is both too short and outside the pattern: every reason, in check order.
    let short_and_upper = RepositoryName::try_from("A").unwrap_err();
    let [length, regex] = short_and_upper.reasons() else {
        panic!("two reasons expected: {short_and_upper}");
    };
    assert!(
        length.ends_with(&format!("length greater than or equal to {min}")),
        "{length}"
    );
    assert!(regex.contains(&repository_name_pattern_head()), "{regex}");

    for invalid in ["team//app", "-app", "app/", "App", "a b"] {
        let error = invalid.parse::<RepositoryName>().unwrap_err();
        assert!(
            error.reasons()[0].contains(&repository_name_pattern_head()),
            "{invalid}: {error}"
        );
    }
}

#[test]
fn accounts_and_regions_follow_the_model() {
    assert_eq!(pattern("RegistryId"), "^[0-9]{12}$");
    assert!(RegistryId::try_from("123456789012").is_ok());
    for invalid in ["12345678901", "1234567890123", "12345678901a", ""] {
        assert!(RegistryId::try_from(invalid).is_err(), "{invalid}");
    }
    let max = length_bound("Region", "max");
    for valid in ["us-east-1", "cn-north-1", "us-gov-west-1"] {
        assert!(Region::try_from(valid).is_ok(), "{valid}");
    }
    for invalid in ["US-EAST-1", "eu west", "x", "../x", &"a".repeat(max + 1)] {
        assert!(Region::try_from(invalid).is_err(), "{invalid}");
    }
}

#[test]
fn the_newtypes_are_plain_strings_on_the_wire_and_checked_coming_in() {
    let name: RepositoryName = "team/app".parse().unwrap();
    assert_eq!(
        serde_json::to_string(&name).unwrap(),
        serde_json::to_string("team/app").unwrap()
    );
    let read: RepositoryName = serde_json::from_str("\"team/app\"").unwrap();
    assert_eq!(read, name);
    assert!(serde_json::from_str::<RepositoryName>("\"Team/App\"").is_err());
}
