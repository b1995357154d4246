//! Deserializing and validating a typical CreateRepository request (target: under 5 µs),
//! beside a baseline measured in the same run: parsing the same body into
//! `serde_json::Value`, which does no typing and no validation at all.

use berth_runtime::protocol::read_json;
use berth_runtime::validation::{Path, Violations};
use criterion::{Criterion, criterion_group, criterion_main};
use ecr_generated::wire;
use std::hint::black_box;

const CREATE_REPOSITORY: &[u8] = br#"{
    "repositoryName": "team-a/service_web",
    "registryId": "123456789012",
    "imageTagMutability": "IMMUTABLE",
    "imageScanningConfiguration": {"scanOnPush": true},
    "encryptionConfiguration": {"encryptionType": "AES256"},
    "tags": [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}]
}"#;

fn create_repository(c: &mut Criterion) {
    let mut group = c.benchmark_group("create_repository_request");
    group.bench_function("baseline_parse_json_value", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde_json::Value>(black_box(CREATE_REPOSITORY)).expect("json")
        })
    });
    group.bench_function("deserialize_and_validate", |b| {
        b.iter(|| {
            let input: wire::CreateRepositoryRequest =
                read_json(black_box(CREATE_REPOSITORY)).expect("json");
            let mut violations = Violations::default();
            let validated = input.validate(&Path::Root, &mut violations).expect("valid");
            assert!(violations.is_empty());
            validated
        })
    });
    group.finish();
}

criterion_group!(benches, create_repository);
criterion_main!(benches);
