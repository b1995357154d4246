//! Golden request → response pairs: what real ECR answered (its exact texts, as quoted in
//! `ecr-behaviour.md` and marked [real] there), written down by hand in data files, never
//! derived from the model or the generator. Each case runs against a freshly reset server.
//!
//! A file of cases is a JSON object: `targetPrefix`, `contentType`, and `cases`, each
//!
//! ```json
//! { "name": "…", "source": "where the expected text comes from",
//!   "setup": [ { "target": "CreateRepository", "body": {…}, "status": 200 } ],
//!   "request": { "target": "CreateRepository", "body": {…} },
//!   "expect": { "status": 400, "type": "InvalidParameterException", "message": "…" },
//!   "pending": "why this case is known to fail for now (optional)" }
//! ```
//!
//! `expect` may instead hold `"body"`: a JSON value the response must contain (objects
//! compare key by key, recursively, other values exactly; `null` means the key is absent;
//! `{"$matches": "REGEX"}` stands for a string the regular expression matches whole, for
//! values real ECR makes up, such as a key id).
//! A `pending` case that fails is reported but does not fail the run; one that passes fails
//! it, so the mark is removed as soon as it is no longer true.

use std::path::Path;

use serde_json::Value;

use crate::http::Client;
use crate::model::error_code;
use crate::run;

/// One call: `X-Amz-Target` suffix and JSON body.
#[derive(Debug, Clone)]
pub struct Call {
    pub target: String,
    pub body: Value,
}

/// What the answer must be.
#[derive(Debug, Clone)]
pub struct Expect {
    pub status: u16,
    /// Error code (`__type`, as SDKs read it) and exact message, for errors.
    pub error: Option<(String, String)>,
    /// A value the response body must contain, for successes.
    pub body: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub source: String,
    /// Calls made first, each with the status it must get.
    pub setup: Vec<(Call, u16)>,
    pub request: Call,
    pub expect: Expect,
    /// Known to fail until the change named here lands.
    pub pending: Option<String>,
}

/// A file of cases and the protocol headers they are sent with.
#[derive(Debug, Clone)]
pub struct Suite {
    pub target_prefix: String,
    pub content_type: String,
    pub cases: Vec<Case>,
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Passed,
    Failed(String),
    /// A pending case failed, as its mark (`why`) says it would.
    StillPending {
        why: String,
        failure: String,
    },
    /// A pending case passed: its mark (given here) is stale.
    NoLongerPending(String),
}

impl Verdict {
    pub fn fails_the_run(&self) -> bool {
        matches!(self, Verdict::Failed(_) | Verdict::NoLongerPending(_))
    }
}

fn field<'a>(value: &'a Value, key: &str, context: &str) -> Result<&'a Value, String> {
    value
        .get(key)
        .ok_or_else(|| format!("{context}: `{key}` is missing"))
}

fn text(value: &Value, key: &str, context: &str) -> Result<String, String> {
    field(value, key, context)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{context}: `{key}` must be a string"))
}

fn status(value: &Value, context: &str) -> Result<u16, String> {
    field(value, "status", context)?
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| format!("{context}: `status` must be an HTTP status"))
}

fn call(value: &Value, context: &str) -> Result<Call, String> {
    Ok(Call {
        target: text(value, "target", context)?,
        body: value
            .get("body")
            .cloned()
            .unwrap_or(Value::Object(Default::default())),
    })
}

impl Suite {
    pub fn parse(json: &str) -> Result<Suite, String> {
        let root: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let cases = field(&root, "cases", "file")?
            .as_array()
            .ok_or("file: `cases` must be an array")?
            .iter()
            .enumerate()
            .map(|(index, case)| {
                let name = text(case, "name", &format!("case {index}"))?;
                let context = format!("case `{name}`");
                let setup = match case.get("setup") {
                    None => Vec::new(),
                    Some(steps) => steps
                        .as_array()
                        .ok_or_else(|| format!("{context}: `setup` must be an array"))?
                        .iter()
                        .map(|step| Ok((call(step, &context)?, status(step, &context)?)))
                        .collect::<Result<_, String>>()?,
                };
                let expect = field(case, "expect", &context)?;
                let error = match (expect.get("type"), expect.get("message")) {
                    (None, None) => None,
                    _ => Some((
                        text(expect, "type", &context)?,
                        text(expect, "message", &context)?,
                    )),
                };
                let body = expect.get("body").cloned();
                if error.is_none() && body.is_none() {
                    return Err(format!(
                        "{context}: `expect` needs `type` and `message`, or `body`"
                    ));
                }
                Ok(Case {
                    source: text(case, "source", &context)?,
                    setup,
                    request: call(field(case, "request", &context)?, &context)?,
                    expect: Expect {
                        status: status(expect, &context)?,
                        error,
                        body,
                    },
                    pending: case
                        .get("pending")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    name,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Suite {
            target_prefix: text(&root, "targetPrefix", "file")?,
            content_type: text(&root, "contentType", "file")?,
            cases,
        })
    }

    /// Every `*.json` file of `dir`, in name order.
    pub fn load_dir(dir: &Path) -> Result<Vec<(String, Suite)>, String> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format!("{}: no golden case file (*.json)", dir.display()));
        }
        files
            .iter()
            .map(|path| {
                let json = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let suite = Suite::parse(&json).map_err(|e| format!("{}: {e}", path.display()))?;
                Ok((path.display().to_string(), suite))
            })
            .collect()
    }

    fn send(&self, client: &mut Client, call: &Call) -> Result<(u16, Value), String> {
        let target = format!("{}.{}", self.target_prefix, call.target);
        let body = serde_json::to_vec(&call.body).expect("JSON values serialize");
        let response = client
            .post(
                "/",
                &[
                    ("X-Amz-Target", &target),
                    ("Content-Type", &self.content_type),
                ],
                &body,
            )
            .map_err(|e| format!("{}: {e}", call.target))?;
        let json = serde_json::from_slice(&response.body).map_err(|e| {
            format!(
                "{}: answer is not JSON ({e}): {}",
                call.target,
                response.text()
            )
        })?;
        Ok((response.status, json))
    }

    /// Runs one case from a reset server.
    pub fn run_case(&self, client: &mut Client, case: &Case) -> Verdict {
        let outcome = self.try_case(client, case);
        match (case.pending.clone(), outcome) {
            (None, Ok(())) => Verdict::Passed,
            (None, Err(reason)) => Verdict::Failed(reason),
            (Some(why), Ok(())) => Verdict::NoLongerPending(why),
            (Some(why), Err(failure)) => Verdict::StillPending { why, failure },
        }
    }

    fn try_case(&self, client: &mut Client, case: &Case) -> Result<(), String> {
        run::reset(client)?;
        for (call, want) in &case.setup {
            let (got, body) = self.send(client, call)?;
            if got != *want {
                return Err(format!(
                    "setup {} answered {got}, not {want}: {body}",
                    call.target
                ));
            }
        }
        let (got, body) = self.send(client, &case.request)?;
        judge(&case.expect, got, &body)
    }
}

/// Holds one answer to what the case expects.
pub fn judge(expect: &Expect, status: u16, body: &Value) -> Result<(), String> {
    if status != expect.status {
        return Err(format!(
            "status {status}, expected {}: {body}",
            expect.status
        ));
    }
    if let Some((code, message)) = &expect.error {
        let got_code = body["__type"].as_str().map(error_code);
        if got_code != Some(code.as_str()) {
            return Err(format!("__type {}, expected {code}", body["__type"]));
        }
        let got_message = body["message"].as_str().or(body["Message"].as_str());
        if got_message != Some(message.as_str()) {
            return Err(format!(
                "message {}\n        expected {message:?}",
                got_message.map_or_else(|| "(none)".to_owned(), |m| format!("{m:?}"))
            ));
        }
    }
    if let Some(want) = &expect.body {
        contains(body, want, "")?;
    }
    Ok(())
}

/// Whether `got` holds `want`: objects key by key (`null`: the key is absent), a
/// `{"$matches": …}` string by its regular expression, anything else equal.
fn contains(got: &Value, want: &Value, path: &str) -> Result<(), String> {
    if let Some(pattern) = matcher(want) {
        let regex = regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| format!("{path}: bad $matches pattern: {e}"))?;
        return match got.as_str() {
            Some(text) if regex.is_match(text) => Ok(()),
            _ => Err(format!("{path}: {got} does not match /{pattern}/")),
        };
    }
    match (got, want) {
        (Value::Object(got), Value::Object(want)) => {
            for (key, want) in want {
                let here = format!("{path}.{key}");
                match (got.get(key), want) {
                    (None, Value::Null) => {}
                    (Some(value), Value::Null) => {
                        return Err(format!("{here} should be absent, is {value}"));
                    }
                    (None, _) => return Err(format!("{here} is missing, expected {want}")),
                    (Some(got), want) => contains(got, want, &here)?,
                }
            }
            Ok(())
        }
        _ if got == want => Ok(()),
        _ => Err(format!("{path}: {got}, expected {want}")),
    }
}

/// The pattern of a `{"$matches": "REGEX"}` expectation.
fn matcher(want: &Value) -> Option<&str> {
    match want.as_object() {
        Some(object) if object.len() == 1 => object.get("$matches")?.as_str(),
        _ => None,
    }
}

/// Totals of a golden run.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Totals {
    pub cases: usize,
    pub passed: usize,
    pub pending: usize,
    pub failed: usize,
}

impl Totals {
    pub fn of(verdicts: &[(String, Verdict)]) -> Totals {
        let mut totals = Totals {
            cases: verdicts.len(),
            ..Totals::default()
        };
        for (_, verdict) in verdicts {
            match verdict {
                Verdict::Passed => totals.passed += 1,
                Verdict::StillPending { .. } => totals.pending += 1,
                Verdict::Failed(_) | Verdict::NoLongerPending(_) => totals.failed += 1,
            }
        }
        totals
    }

    /// `golden 12/14 (2 pending, 0 failed)`.
    pub fn summary(&self) -> String {
        format!(
            "golden {}/{} ({} pending, {} failed)",
            self.passed, self.cases, self.pending, self.failed
        )
    }
}

/// Runs every case of every suite, each from a reset server.
pub fn run_all(client: &mut Client, suites: &[(String, Suite)]) -> Vec<(String, Verdict)> {
    suites
        .iter()
        .flat_map(|(_, suite)| suite.cases.iter().map(move |case| (suite, case)))
        .map(|(suite, case)| (case.name.clone(), suite.run_case(client, case)))
        .collect()
}

/// One line per case that did not simply pass.
pub fn render(verdicts: &[(String, Verdict)]) -> String {
    let mut out = String::new();
    for (name, verdict) in verdicts {
        match verdict {
            Verdict::Passed => {}
            Verdict::Failed(reason) => {
                out.push_str(&format!("FAIL golden / {name}\n      {reason}\n"));
            }
            Verdict::StillPending { why, failure } => out.push_str(&format!(
                "pending golden / {name} ({why})\n      {failure}\n"
            )),
            Verdict::NoLongerPending(why) => out.push_str(&format!(
                "FAIL golden / {name}: passes, but is marked pending ({why}): remove the mark\n"
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SUITE: &str = r#"{
        "targetPrefix": "Svc_V1", "contentType": "application/x-amz-json-1.1",
        "cases": [
            { "name": "dup", "source": "doc",
              "setup": [ { "target": "Create", "body": { "name": "a" }, "status": 200 } ],
              "request": { "target": "Create", "body": { "name": "a" } },
              "expect": { "status": 400, "type": "Exists", "message": "a exists" } },
            { "name": "made", "source": "doc", "pending": "later",
              "request": { "target": "Create" },
              "expect": { "status": 200, "body": { "thing": { "name": "a", "key": null } } } }
        ] }"#;

    #[test]
    fn a_suite_reads_its_cases() {
        let suite = Suite::parse(SUITE).unwrap();
        assert_eq!(suite.target_prefix, "Svc_V1");
        let [dup, made] = &suite.cases[..] else {
            panic!("{:?}", suite.cases)
        };
        assert_eq!(dup.setup.len(), 1);
        assert_eq!(dup.setup[0].1, 200);
        assert_eq!(
            dup.expect.error,
            Some(("Exists".to_owned(), "a exists".to_owned()))
        );
        assert_eq!(made.pending.as_deref(), Some("later"));
        assert_eq!(made.request.body, json!({}));
        let no_expectation =
            SUITE.replace(r#""type": "Exists", "message": "a exists""#, r#""x": 1"#);
        assert!(
            Suite::parse(&no_expectation)
                .unwrap_err()
                .contains("case `dup`")
        );
    }

    #[test]
    fn errors_must_match_status_code_and_exact_message() {
        let expect = Expect {
            status: 400,
            error: Some(("Exists".to_owned(), "a exists".to_owned())),
            body: None,
        };
        let body = json!({"__type": "Exists", "message": "a exists"});
        assert_eq!(judge(&expect, 400, &body), Ok(()));
        // SDKs read the code without a namespace or a suffix.
        let qualified = json!({"__type": "ns#Exists:http://x/", "message": "a exists"});
        assert_eq!(judge(&expect, 400, &qualified), Ok(()));
        assert!(judge(&expect, 500, &body).is_err());
        assert!(
            judge(
                &expect,
                400,
                &json!({"__type": "Other", "message": "a exists"})
            )
            .is_err()
        );
        assert!(
            judge(
                &expect,
                400,
                &json!({"__type": "Exists", "message": "a exists."})
            )
            .is_err()
        );
        assert!(judge(&expect, 400, &json!({"__type": "Exists"})).is_err());
    }

    #[test]
    fn bodies_must_contain_what_is_expected_and_lack_what_is_null() {
        let expect = Expect {
            status: 200,
            error: None,
            body: Some(json!({"thing": {"name": "a", "flags": [1, 2], "key": null}})),
        };
        let good = json!({"thing": {"name": "a", "flags": [1, 2], "extra": true}});
        assert_eq!(judge(&expect, 200, &good), Ok(()));
        for bad in [
            json!({"thing": {"name": "b", "flags": [1, 2]}}),
            json!({"thing": {"name": "a", "flags": [1]}}),
            json!({"thing": {"name": "a", "flags": [1, 2], "key": "k"}}),
            json!({"thing": {"flags": [1, 2]}}),
            json!({}),
        ] {
            assert!(judge(&expect, 200, &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn made_up_values_are_matched_whole_by_their_pattern() {
        let expect = Expect {
            status: 200,
            error: None,
            body: Some(json!({"key": {"$matches": "key/[0-9a-f]{4}"}})),
        };
        assert_eq!(judge(&expect, 200, &json!({"key": "key/0a1b"})), Ok(()));
        for bad in [
            json!({"key": "key/0a1bc"}),
            json!({"key": "xkey/0a1b"}),
            json!({"key": 1}),
            json!({}),
        ] {
            assert!(judge(&expect, 200, &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pending_cases_fail_the_run_only_once_they_pass() {
        let verdicts = [
            ("a".to_owned(), Verdict::Passed),
            (
                "b".to_owned(),
                Verdict::StillPending {
                    why: "later".to_owned(),
                    failure: "message".to_owned(),
                },
            ),
            ("c".to_owned(), Verdict::NoLongerPending("later".to_owned())),
            ("d".to_owned(), Verdict::Failed("status".to_owned())),
        ];
        let totals = Totals::of(&verdicts);
        assert_eq!(
            totals,
            Totals {
                cases: 4,
                passed: 1,
                pending: 1,
                failed: 2
            }
        );
        assert_eq!(totals.summary(), "golden 1/4 (1 pending, 2 failed)");
        let text = render(&verdicts);
        assert!(text.contains("pending golden / b (later)"), "{text}");
        assert!(
            text.contains("FAIL golden / c: passes, but is marked pending"),
            "{text}"
        );
        assert!(text.contains("FAIL golden / d"), "{text}");
        assert!(!text.contains("/ a"), "{text}");
    }

    #[test]
    fn the_committed_cases_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
        let suites = Suite::load_dir(&dir).unwrap();
        let cases: usize = suites.iter().map(|(_, s)| s.cases.len()).sum();
        assert!(cases > 0);
    }
}
