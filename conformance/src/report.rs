//! The per-operation table, the totals and the failures, as text.

use std::fmt::Write;

use crate::crosscheck;
use crate::golden;
use crate::run::Verdict;

/// What happened to one operation's variants.
#[derive(Debug, Default)]
pub struct OperationReport {
    pub operation: String,
    /// Variant label and verdict, in the order run.
    pub results: Vec<(String, Verdict)>,
    /// Variants the model makes impossible, with the reason.
    pub impossible: Vec<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Counts {
    pub variants: usize,
    pub succeeded: usize,
    pub semantic: usize,
    pub rejected: usize,
    pub failed: usize,
}

impl Counts {
    fn add(&mut self, verdict: &Verdict) {
        self.variants += 1;
        match verdict {
            Verdict::Succeeded => self.succeeded += 1,
            Verdict::SemanticError(_) => self.semantic += 1,
            Verdict::Rejected => self.rejected += 1,
            Verdict::Failed(_) => self.failed += 1,
        }
    }

    fn plus(mut self, other: Counts) -> Counts {
        self.variants += other.variants;
        self.succeeded += other.succeeded;
        self.semantic += other.semantic;
        self.rejected += other.rejected;
        self.failed += other.failed;
        self
    }

    /// Share of variants that passed, in percent (100 for none).
    pub fn pass_percent(&self) -> f64 {
        if self.variants == 0 {
            return 100.0;
        }
        100.0 * (self.variants - self.failed) as f64 / self.variants as f64
    }
}

impl OperationReport {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for (_, verdict) in &self.results {
            counts.add(verdict);
        }
        counts
    }
}

/// Totals over every operation.
pub fn totals(reports: &[OperationReport]) -> Counts {
    reports
        .iter()
        .map(OperationReport::counts)
        .fold(Counts::default(), Counts::plus)
}

/// The table, one row per operation and a totals row, then every failure.
pub fn render(reports: &[OperationReport], verbose: bool) -> String {
    let width = reports
        .iter()
        .map(|r| r.operation.len())
        .max()
        .unwrap_or(0)
        .max("operation".len());
    let mut out = String::new();
    let header = ["variants", "200", "semantic", "rejected", "failed", "pass"];
    let _ = write!(out, "{:<width$}", "operation");
    for column in header {
        let _ = write!(out, " {column:>9}");
    }
    out.push('\n');
    let row = |out: &mut String, name: &str, c: Counts| {
        let _ = writeln!(
            out,
            "{name:<width$} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8.1}%",
            c.variants,
            c.succeeded,
            c.semantic,
            c.rejected,
            c.failed,
            c.pass_percent()
        );
    };
    for report in reports {
        row(&mut out, &report.operation, report.counts());
    }
    let _ = writeln!(out, "{}", "-".repeat(width + 10 * header.len()));
    row(&mut out, "total", totals(reports));
    out.push_str(
        "\n200: positives answered 200 with a conforming output; semantic: positives answered with a\n\
         declared error right for the state (no model constraint claimed); rejected: negatives\n\
         answered 400 with a declared error naming the broken member.\n",
    );
    for report in reports {
        for (label, verdict) in &report.results {
            match verdict {
                Verdict::Failed(reason) => {
                    let _ = writeln!(out, "\nFAIL {} / {label}\n      {reason}", report.operation);
                }
                Verdict::SemanticError(code) if verbose => {
                    let _ = writeln!(out, "  {} / {label}: {code}", report.operation);
                }
                other if verbose => {
                    let _ = writeln!(out, "  {} / {label}: {other:?}", report.operation);
                }
                _ => {}
            }
        }
        if verbose {
            for reason in &report.impossible {
                let _ = writeln!(out, "  {} / not generated: {reason}", report.operation);
            }
        }
    }
    out
}

/// The line that sums up the checks whose expectations do not come from the model:
/// `independent: botocore cross-check …; golden K/N (…)`, or `None` when neither ran.
pub fn independent(
    crosscheck: Option<&crosscheck::Outcome>,
    golden: Option<&golden::Totals>,
) -> Option<String> {
    let parts: Vec<String> = crosscheck
        .map(crosscheck::Outcome::summary)
        .into_iter()
        .chain(golden.map(golden::Totals::summary))
        .collect();
    (!parts.is_empty()).then(|| format!("independent: {}", parts.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lower_the_pass_rate_and_are_listed() {
        let report = OperationReport {
            operation: "Op".to_owned(),
            results: vec![
                ("minimal".to_owned(), Verdict::Succeeded),
                ("x: missing".to_owned(), Verdict::Rejected),
                ("full".to_owned(), Verdict::SemanticError("E".to_owned())),
                (
                    "y: max+1".to_owned(),
                    Verdict::Failed("expected 400, got 200".to_owned()),
                ),
            ],
            impossible: Vec::new(),
        };
        let counts = totals(std::slice::from_ref(&report));
        assert_eq!(
            counts,
            Counts {
                variants: 4,
                succeeded: 1,
                semantic: 1,
                rejected: 1,
                failed: 1
            }
        );
        assert_eq!(counts.pass_percent(), 75.0);
        let text = render(&[report], false);
        assert!(text.contains("75.0%"), "{text}");
        assert!(text.contains("FAIL Op / y: max+1"), "{text}");
    }

    #[test]
    fn the_independent_line_names_each_check_that_ran() {
        assert_eq!(independent(None, None), None);
        let golden = golden::Totals {
            cases: 3,
            passed: 2,
            pending: 1,
            failed: 0,
        };
        assert_eq!(
            independent(None, Some(&golden)).unwrap(),
            "independent: golden 2/3 (1 pending, 0 failed)"
        );
        let crosscheck = crosscheck::Outcome {
            members: 7,
            operations: 2,
            ..Default::default()
        };
        let line = independent(Some(&crosscheck), Some(&golden)).unwrap();
        assert!(
            line.starts_with("independent: botocore cross-check 7 members of 2 operations"),
            "{line}"
        );
        assert!(
            line.ends_with("; golden 2/3 (1 pending, 0 failed)"),
            "{line}"
        );
    }
}
