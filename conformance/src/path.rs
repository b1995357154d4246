//! Where a value sits in an input or output, and how the service names that place in its
//! messages: members joined by `.`, list items as `<list>.<n>.member` (1-based), map values
//! by their key, map keys at the map itself.

use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Member(String),
    /// A list item, 0-based.
    Item(usize),
    /// A list item the service reports as this member of the list's container, in place
    /// of the list itself (the IR's `reported_as`).
    ItemReportedAs(usize, String),
    /// The value under a map key.
    Value(String),
    /// A map key itself.
    Key(String),
}

impl Step {
    /// The step to item `index` of a list whose item member is `item`.
    pub fn item(item: &codegen::ir::Member, index: usize) -> Step {
        match &item.reported_as {
            Some(name) => Step::ItemReportedAs(index, name.clone()),
            None => Step::Item(index),
        }
    }
}

/// The path as the service's messages render it.
pub fn render(steps: &[Step]) -> String {
    let mut segments: Vec<String> = Vec::new();
    for step in steps {
        match step {
            Step::Member(name) | Step::Value(name) => segments.push(name.clone()),
            Step::Item(index) => segments.push(format!("{}.member", index + 1)),
            Step::ItemReportedAs(_, name) => {
                segments.pop();
                segments.push(name.clone());
            }
            Step::Key(_) => {}
        }
    }
    segments.join(".")
}

/// The path for people reading a report: `tags[0].Key`, `labels{env}`, `labels<key>`.
pub fn describe(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Member(name) if out.is_empty() => out.push_str(name),
            Step::Member(name) => {
                let _ = write!(out, ".{name}");
            }
            Step::Item(index) | Step::ItemReportedAs(index, _) => {
                let _ = write!(out, "[{index}]");
            }
            Step::Value(key) => {
                let _ = write!(out, "{{{key}}}");
            }
            Step::Key(key) => {
                let _ = write!(out, "<{key}>");
            }
        }
    }
    if out.is_empty() {
        out.push_str("(input)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str) -> Step {
        Step::Member(name.to_owned())
    }

    #[test]
    fn paths_render_as_the_service_names_them() {
        let steps = [member("tags"), Step::Item(1), member("Key")];
        assert_eq!(render(&steps), "tags.2.member.Key");
        assert_eq!(describe(&steps), "tags[1].Key");
        assert_eq!(
            render(&[member("repositoryNames"), Step::Item(0)]),
            "repositoryNames.1.member"
        );
        let key = [member("labels"), Step::Key("env".to_owned())];
        assert_eq!(render(&key), "labels");
        let value = [member("labels"), Step::Value("env".to_owned())];
        assert_eq!(render(&value), "labels.env");
        let reported = [
            member("repositoryNames"),
            Step::ItemReportedAs(1, "repositoryName".to_owned()),
        ];
        assert_eq!(render(&reported), "repositoryName");
        assert_eq!(describe(&reported), "repositoryNames[1]");
    }
}
