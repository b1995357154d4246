//! Replays every saved fuzz input through the same entry points the fuzz targets use:
//! `fuzz/regressions/<target>/*` (inputs that once found a bug, and the hostile `edge-*`
//! inputs `fuzz/seeds/generate.py` writes) and `fuzz/seeds/<target>/*` (the starting
//! corpora). A regression file that panics again fails this test, and so does a folder with
//! nothing to replay: a replay of zero files proves nothing.

use std::fs;
use std::path::{Path, PathBuf};

use fuzz_harness::inputs::{self, Verdict};
use fuzz_harness::requests;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every file of `fuzz/<kind>/<target>/`, sorted (README files excepted); panics if there is
/// none.
fn files(kind: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file() && path.extension().is_none_or(|ext| ext != "md"))
        .collect();
    assert!(
        !files.is_empty(),
        "{} holds no input to replay (run fuzz/seeds/generate.py)",
        dir.display()
    );
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, bytes)
        })
        .collect()
}

/// Runs `check` on each file, naming the file whose replay panics.
fn replay<T>(kind: &str, target: &str, check: impl Fn(&[u8]) -> T) -> Vec<(PathBuf, T)> {
    files(kind, target)
        .into_iter()
        .map(|(path, bytes)| {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)))
                .unwrap_or_else(|_| {
                    panic!("replaying {} failed (see the panic above)", path.display())
                });
            (path, outcome)
        })
        .collect()
}

#[test]
fn request_regressions_hold() {
    replay("regressions", "requests", requests::run);
}

#[test]
fn input_regressions_hold() {
    replay("regressions", "inputs", inputs::run);
}

#[test]
fn request_seeds_reach_the_operations() {
    let outcomes = replay("seeds", "requests", requests::run);
    // Seeds are worth fuzzing from only if they get past the protocol: each has a success.
    for (path, statuses) in outcomes {
        assert!(statuses.contains(&200), "{}: {statuses:?}", path.display());
    }
}

#[test]
fn input_seeds_are_valid_requests() {
    let outcomes = replay("seeds", "inputs", inputs::run);
    for (path, verdict) in outcomes {
        assert_eq!(verdict, Verdict::Valid, "{}", path.display());
    }
}

#[test]
fn the_harness_sees_each_kind_of_answer() {
    // The oracle distinguishes the three outcomes, so it can notice a change in any.
    let index = ecr_generated::operations::Operation::ALL
        .iter()
        .position(|op| op.name() == "CreateRepository")
        .expect("CreateRepository is an operation");
    let selector = |body: &[u8]| [&[index as u8][..], body].concat();
    assert_eq!(inputs::run(&selector(b"{")), Verdict::Unparsable);
    assert_eq!(inputs::run(&selector(b"{}")), Verdict::Invalid);
    assert_eq!(
        inputs::run(&selector(br#"{"repositoryName": "ok"}"#)),
        Verdict::Valid
    );
}

#[test]
fn a_request_sequence_changes_exactly_what_it_says() {
    let statuses = requests::run(
        b"CreateRepository\n{\"repositoryName\":\"ab\"}\0\
          CreateRepository\n{\"repositoryName\":\"ab\"}\0\
          DeleteRepository\n{\"repositoryName\":\"ab\"}\0\
          DeleteRepository\n{\"repositoryName\":\"ab\"}\0\
          \n{}",
    );
    assert_eq!(statuses, [200, 400, 200, 400, 400]);
}

#[test]
fn callers_see_only_their_own_repositories() {
    let arn = "arn:aws:ecr:us-east-1:123456789012:repository/ab";
    let tag = format!(r#"{{"resourceArn":"{arn}","tags":[{{"Key":"k","Value":"v"}}]}}"#);
    let input = [
        "CreateRepository\n{\"repositoryName\":\"ab\"}".to_owned(),
        // Same name, other region and other account: separate repositories.
        "@1 CreateRepository\n{\"repositoryName\":\"ab\"}".to_owned(),
        "@2 CreateRepository\n{\"repositoryName\":\"ab\"}".to_owned(),
        // Another account's ARN is denied; another region's is not found.
        format!("@2 TagResource\n{tag}"),
        format!("@1 TagResource\n{tag}"),
        format!("@0 TagResource\n{tag}"),
    ]
    .join("\0");
    assert_eq!(
        requests::run(input.as_bytes()),
        [200, 200, 200, 400, 400, 200]
    );
}
