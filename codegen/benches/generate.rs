//! Generating the whole ECR model (target: under 200 ms), beside a baseline measured in
//! the same run: parsing the same JSON into `serde_json::Value`, the floor of any generator
//! that reads the model.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;

fn ecr_model() -> (String, codegen::Settings) {
    let pin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../aws-models/ecr.pin");
    let config = codegen::config::Config::load(&pin).expect("the ECR config");
    let model = config.locate(None).expect("the ECR model");
    (model.json, config.settings().expect("settings"))
}

fn generate(c: &mut Criterion) {
    let (model, settings) = ecr_model();
    let mut group = c.benchmark_group("ecr_model");
    group.sample_size(20);
    group.bench_function("baseline_parse_json_value", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&model)).expect("json"))
    });
    group.bench_function("generate_whole_service", |b| {
        b.iter(|| codegen::generate(black_box(&model), &settings, "ecr.json").expect("generates"))
    });
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
