//! Where a value sits in an input or output, and how the service names that place in its
//! messages: members joined by `.`, list items as `<list>.<n>.member` (1-based), map values
//! by their key, map keys at the map itself.

use std::fmt::Write;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Member(String),
    /// A list item, 0-based.
    Item(usize),
    /// The value under a map key.
    Value(String),
    /// A map key itself.
    Key(String),
}

/// The path as the service's messages render it.
pub fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        let segment = match step {
            Step::Member(name) | Step::Value(name) => name.clone(),
            Step::Item(index) => format!("{}.member", index + 1),
            Step::Key(_) => continue,
        };
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&segment);
    }
    out
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
            Step::Item(index) => {
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
    }
}
