//! `codegen diff` and `codegen check-pin` on fixture models (`tests/fixtures/diff/`):
//! `base.json`, a small Weather-like service, and `bumped.json`, a copy with one change of
//! each kind the report covers. The reports are compared whole.

use std::path::PathBuf;
use std::process::{Command, Output};

const PIN: &str = "tests/fixtures/diff/weather.pin";
const BASE: &str = "tests/fixtures/diff/base.json";
const BUMPED: &str = "tests/fixtures/diff/bumped.json";
const IMPLEMENTED: &str = "tests/fixtures/diff/implemented.json";

fn codegen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codegen"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("codegen runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn sha256(path: &str) -> String {
    let bytes = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    codegen::config::sha256_hex(&bytes)
}

/// The report's body, with each operation marked `marks[i]` for the operations in order:
/// GetAlerts (added), GetHistory (removed), GetForecast, ListCities.
fn expected_changes(marks: [&str; 4]) -> String {
    let [alerts, history, forecast, cities] = marks;
    format!(
        "\
Operations added (1):
  + GetAlerts [{alerts}]
Operations removed (1):
  - GetHistory [{history}]
Operations changed (2):
  GetForecast [{forecast}]
    errors added: Throttled
    errors removed: InvalidInput
    input.city: pattern `^[A-Za-z ]+$` → `^[A-Za-z .-]+$`
    input.days: range min 1, max 7 → min 1, max 14
    input.language: added (optional)
    input.legacyFlag: removed
    input.note: length max 256 → max 512
    input.region: made required
    input.units: enum values added: KELVIN
    input.units: enum values removed: RANKINE
    output.temperatures: uniqueItems added: true
    output.temperatures[].feelsLike: added (optional)
    output.temperatures[].hour: type integer → long
  ListCities [{cities}]
    input.country: made optional
    input.maxResults: optional, default 10 → optional, default 20
Operations unchanged: 1
"
    )
}

#[test]
fn a_bump_is_reported_change_by_change_with_what_is_implemented() {
    let output = codegen(&[
        "diff",
        "--pin",
        PIN,
        "--implemented",
        IMPLEMENTED,
        BASE,
        BUMPED,
    ]);
    let expected = format!(
        "old: diff/base.json (sha256 {})\nnew: diff/bumped.json (sha256 {})\n{}",
        sha256(BASE),
        sha256(BUMPED),
        expected_changes([
            "not implemented",
            "implemented",
            "implemented",
            "not implemented"
        ])
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn without_the_implemented_set_the_report_says_unknown() {
    let output = codegen(&["diff", "--pin", PIN, BASE, BUMPED]);
    let unknown = "implemented: unknown";
    let expected = format!(
        "old: diff/base.json (sha256 {})\nnew: diff/bumped.json (sha256 {})\n{unknown} (pass --implemented URL|FILE)\n{}",
        sha256(BASE),
        sha256(BUMPED),
        expected_changes([unknown; 4])
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn the_same_model_has_no_changes() {
    let output = codegen(&[
        "diff",
        "--pin",
        PIN,
        "--implemented",
        IMPLEMENTED,
        BASE,
        BASE,
    ]);
    let hash = sha256(BASE);
    assert_eq!(
        stdout(&output),
        format!(
            "old: diff/base.json (sha256 {hash})\nnew: diff/base.json (sha256 {hash})\nNo changes for users.\nOperations unchanged: 4\n"
        )
    );
}

#[test]
fn check_pin_compares_the_kept_model_with_the_pin() {
    let output = codegen(&["check-pin", "--pin", PIN]);
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diff")
        .canonicalize()
        .unwrap();
    assert_eq!(
        stdout(&output),
        format!(
            "{} matches the pin in {} (sha256 {})\n",
            fixtures.join("base.json").display(),
            fixtures.join("weather.pin").display(),
            sha256(BASE)
        )
    );

    // The same config pinned to another model: the kept base.json no longer matches.
    let dir = std::env::temp_dir().join(format!("berth-check-pin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pin = dir.join("other.pin");
    std::fs::write(
        &pin,
        format!(
            "url = https://example.invalid/x\nsha256 = {}\nmodel = {}\nsettings = {}\n",
            sha256(BUMPED),
            fixtures.join("base.json").display(),
            fixtures.join("weather.codegen.json").display()
        ),
    )
    .unwrap();
    let output = codegen(&["check-pin", "--pin", pin.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "has sha256 {}, not the {} pinned",
            sha256(BASE),
            sha256(BUMPED)
        )),
        "{text}"
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    let output = codegen(&["diff", "--pin", PIN, BASE]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage:"));
}
