//! Identifier hygiene: every Rust name the generator emits comes from here.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// Words that cannot be used as identifiers, even raw.
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Strict and reserved keywords of Rust 2024 that become raw identifiers (`r#type`).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// The shape's short name: the part of a shape id after `#`.
pub fn short_name(shape_id: &str) -> &str {
    shape_id.rsplit_once('#').map_or(shape_id, |(_, name)| name)
}

/// A field or method name: snake case, keyword-safe.
pub fn field(name: &str) -> String {
    escape(leading_digit(name.to_snake_case(), "n"))
}

/// A type or variant name: upper camel case, keyword-safe.
pub fn type_name(name: &str) -> String {
    escape(leading_digit(name.to_upper_camel_case(), "V"))
}

/// A `static` name: shouty snake case.
pub fn constant(name: &str) -> String {
    leading_digit(name.to_shouty_snake_case(), "N")
}

/// Rust source for an identifier, with `r#` where the plain word is a keyword.
pub fn ident_source(name: &str) -> String {
    if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

/// Makes every name in `names` unique by suffixing later duplicates with `_2`, `_3`, ...
/// (in order, so the result is deterministic).
pub fn dedupe(names: &mut [String]) {
    let mut seen = std::collections::BTreeSet::new();
    for name in names.iter_mut() {
        if !seen.insert(name.clone()) {
            let base = name.trim_end_matches('_').to_owned();
            let unique = (2..)
                .map(|n| format!("{base}_{n}"))
                .find(|candidate| !seen.contains(candidate))
                .expect("an unused suffix exists");
            seen.insert(unique.clone());
            *name = unique;
        }
    }
}

fn escape(name: String) -> String {
    if name.is_empty() {
        return "unnamed".to_owned();
    }
    if NON_RAW_KEYWORDS.contains(&name.as_str()) {
        return format!("{name}_");
    }
    name
}

fn leading_digit(name: String, prefix: &str) -> String {
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{prefix}{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_become_snake_case() {
        assert_eq!(field("repositoryName"), "repository_name");
        assert_eq!(field("Key"), "key");
        assert_eq!(field("kmsKey"), "kms_key");
        assert_eq!(
            field("imageTagMutabilityExclusionFilters"),
            "image_tag_mutability_exclusion_filters"
        );
    }

    #[test]
    fn keywords_become_raw_or_suffixed() {
        assert_eq!(field("type"), "type");
        assert_eq!(ident_source(&field("type")), "r#type");
        assert_eq!(ident_source(&field("async")), "r#async");
        assert_eq!(field("self"), "self_");
        assert_eq!(type_name("Self"), "Self_");
        assert_eq!(field("super"), "super_");
        assert_eq!(field("crate"), "crate_");
        assert_eq!(ident_source("repository_name"), "repository_name");
    }

    #[test]
    fn type_names_become_upper_camel_case() {
        assert_eq!(
            type_name("IMMUTABLE_WITH_EXCLUSION"),
            "ImmutableWithExclusion"
        );
        assert_eq!(type_name("KMS_DSSE"), "KmsDsse");
        assert_eq!(type_name("AES256"), "Aes256");
        assert_eq!(type_name("sha256"), "Sha256");
        assert_eq!(type_name("String"), "String");
    }

    #[test]
    fn leading_digits_get_a_prefix() {
        assert_eq!(type_name("3DES"), "V3des");
        assert_eq!(field("2fa"), "n2fa");
        assert_eq!(constant("1x"), "N1X");
    }

    #[test]
    fn collisions_get_numbered_suffixes() {
        let mut names = vec![
            "foo_bar".to_owned(),
            "foo_bar".to_owned(),
            "foo_bar_2".to_owned(),
            "foo_bar".to_owned(),
        ];
        dedupe(&mut names);
        assert_eq!(names, ["foo_bar", "foo_bar_2", "foo_bar_2_2", "foo_bar_3"]);
    }

    #[test]
    fn short_names_strip_the_namespace() {
        assert_eq!(short_name("com.amazonaws.ecr#Tag"), "Tag");
        assert_eq!(short_name("Tag"), "Tag");
    }
}
