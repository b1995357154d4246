//! Where a violation is (a path of member names and list positions, rendered only when a
//! violation is recorded) and the violations of one request.

/// A position in the input: `tags.2.member.Key`. Built on the stack while validating;
/// rendered to text only for a violation, so valid requests allocate nothing for it.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    Root,
    Member(&'a Path<'a>, &'static str),
    /// A list item, 0-based here, rendered 1-based as `<list>.<n>.member`.
    Index(&'a Path<'a>, usize),
    /// A map value, rendered `<map>.<key>`.
    Key(&'a Path<'a>, &'a str),
}

impl<'a> Path<'a> {
    pub fn member(&'a self, name: &'static str) -> Path<'a> {
        Path::Member(self, name)
    }

    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    /// The path as it appears in messages.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        let mut segment = |parent: &Path<'_>, text: &str| {
            parent.render_into(out);
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(text);
        };
        match self {
            Path::Root => {}
            Path::Member(parent, name) => segment(parent, name),
            Path::Index(parent, index) => segment(parent, &format!("{}.member", index + 1)),
            Path::Key(parent, key) => segment(parent, key),
        }
    }
}

/// One broken constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub reason: &'static str,
}

/// Every violation found in one request, in the order found (model member order).
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    pub fn push(&mut self, path: &Path<'_>, reason: &'static str) {
        self.0.push(Violation {
            path: path.render(),
            reason,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn first(&self) -> Option<&Violation> {
        self.0.first()
    }

    pub fn all(&self) -> &[Violation] {
        &self.0
    }
}

/// Why a value cannot be a validated type: the reason of every constraint it breaks, in the
/// model's words (what the constructors of generated newtypes return).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidValue {
    reasons: Vec<&'static str>,
}

impl InvalidValue {
    /// Every reason, in the order the checks found them.
    pub fn reasons(&self) -> &[&'static str] {
        &self.reasons
    }
}

/// The violations of one value checked at the root path.
impl From<Violations> for InvalidValue {
    fn from(violations: Violations) -> InvalidValue {
        InvalidValue {
            reasons: violations.0.into_iter().map(|v| v.reason).collect(),
        }
    }
}

impl std::fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reasons.join("; "))
    }
}

impl std::error::Error for InvalidValue {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_members_and_one_based_items() {
        let root = Path::Root;
        let tags = root.member("tags");
        let second = tags.index(1);
        let key = second.member("Key");
        assert_eq!(key.render(), "tags.2.member.Key");
        assert_eq!(root.member("repositoryName").render(), "repositoryName");
        let labels = root.member("labels");
        assert_eq!(labels.key("env").render(), "labels.env");
    }
}
