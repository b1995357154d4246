//! The generator's output for a small made-up service (`tests/fixtures/weather.json`) is
//! committed beside it (`weather.rs`) and compared here, so every change to the output is
//! seen in review. `BERTH_UPDATE_GOLDEN=1 cargo test -p codegen --test golden` rewrites it.
//! The `codegen-fixture` crate compiles and exercises that same file.

use std::path::PathBuf;

const UPDATE_ENV: &str = "BERTH_UPDATE_GOLDEN";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn generate_weather() -> String {
    let model = std::fs::read_to_string(fixtures().join("weather.json")).expect("fixture model");
    codegen::generate(&model, &codegen::Settings::default(), "weather.json")
        .expect("the fixture generates")
}

#[test]
fn weather_output_matches_the_golden_file() {
    let generated = generate_weather();
    let golden_path = fixtures().join("weather.rs");
    if std::env::var_os(UPDATE_ENV).is_some() {
        std::fs::write(&golden_path, &generated).expect("write golden");
        return;
    }
    let golden = std::fs::read_to_string(&golden_path)
        .expect("golden file exists (run with BERTH_UPDATE_GOLDEN=1)");
    assert!(
        golden == generated,
        "generated code differs from {}; review and run with {UPDATE_ENV}=1 to accept",
        golden_path.display()
    );
}

#[test]
fn output_is_deterministic() {
    assert_eq!(generate_weather(), generate_weather());
}

#[test]
fn ecr_output_is_deterministic_and_has_no_inner_attributes() {
    let pin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../aws-models/ecr.pin");
    let config = codegen::config::Config::load(&pin).expect("the ECR config");
    let model = config.locate(None).expect("the ECR model");
    let first = config.generate(&model).expect("ECR generates");
    let second = config.generate(&model).expect("ECR generates");
    assert_eq!(first, second);
    assert!(first.starts_with("// @generated"));
    assert!(
        !first.contains("#!["),
        "inner attributes break include! inside a module"
    );
}
