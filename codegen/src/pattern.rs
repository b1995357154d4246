//! `@pattern` values are ECMA-262 regular expressions; the generated code matches them with
//! the `regex` crate. This translates the handful of places where the two languages differ,
//! and refuses the features `regex` lacks instead of silently changing their meaning.

const ASCII_DIGIT: &str = "[0-9]";
const NOT_ASCII_DIGIT: &str = "[^0-9]";
const ASCII_WORD: &str = "[0-9A-Za-z_]";
const NOT_ASCII_WORD: &str = "[^0-9A-Za-z_]";
/// ECMA's `.` excludes every line terminator, not only `\n`.
const ANY_BUT_LINE_TERMINATOR: &str = r"[^\n\r\x{2028}\x{2029}]";

/// Translates an ECMA-262 pattern into `regex` crate syntax with the same meaning:
/// `\d`/`\w` (and their negations) stay ASCII-only, `.` excludes all line terminators,
/// `\b` is an ASCII word boundary, `\uXXXX` becomes `\x{XXXX}`, and escaped punctuation is
/// re-escaped only where `regex` needs it.
pub fn to_rust_regex(ecma: &str) -> Result<String, String> {
    let mut out = String::with_capacity(ecma.len() + 16);
    let mut chars = ecma.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    return Err(format!("pattern `{ecma}` ends with a lone backslash"));
                };
                match escaped {
                    'd' => out.push_str(ASCII_DIGIT),
                    'D' => out.push_str(NOT_ASCII_DIGIT),
                    'w' => out.push_str(ASCII_WORD),
                    'W' => out.push_str(NOT_ASCII_WORD),
                    's' | 'S' | 'n' | 'r' | 't' | 'f' | 'v' => {
                        out.push('\\');
                        out.push(escaped);
                    }
                    'b' if in_class => out.push_str(r"\x08"),
                    'b' => out.push_str(r"(?-u:\b)"),
                    'B' => out.push_str(r"(?-u:\B)"),
                    '0' => out.push_str(r"\x00"),
                    'u' => {
                        let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                        if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                            return Err(format!("pattern `{ecma}` has a malformed \\u escape"));
                        }
                        out.push_str(&format!(r"\x{{{hex}}}"));
                    }
                    'x' => out.push_str(r"\x"),
                    '1'..='9' | 'k' => {
                        return Err(format!(
                            "pattern `{ecma}` uses a backreference, which the regex crate cannot match"
                        ));
                    }
                    c if c.is_ascii_alphanumeric() => {
                        return Err(format!(
                            "pattern `{ecma}` uses the unsupported escape \\{c}"
                        ));
                    }
                    c => push_literal(&mut out, c, in_class),
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `^` negates, a leading `]` is... in ECMA an empty class; keep both.
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().expect("peeked"));
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '[' | '&' | '~' if in_class => {
                // Characters that are plain in an ECMA class but set operators in `regex`.
                out.push('\\');
                out.push(c);
            }
            '.' if !in_class => out.push_str(ANY_BUT_LINE_TERMINATOR),
            '(' if !in_class && chars.peek() == Some(&'?') => {
                out.push('(');
                let mut lookahead = chars.clone();
                lookahead.next();
                match lookahead.next() {
                    Some('=') | Some('!') => {
                        return Err(format!(
                            "pattern `{ecma}` uses a lookahead, which the regex crate cannot match"
                        ));
                    }
                    Some('<') if matches!(lookahead.next(), Some('=') | Some('!')) => {
                        return Err(format!(
                            "pattern `{ecma}` uses a lookbehind, which the regex crate cannot match"
                        ));
                    }
                    _ => {}
                }
            }
            c => out.push(c),
        }
    }
    if in_class {
        return Err(format!("pattern `{ecma}` has an unclosed character class"));
    }
    Ok(out)
}

/// The model pattern as ECR prints it in some messages: without its `^`/`$` anchors and
/// with `\/` written as `/`.
pub fn bare(ecma: &str) -> String {
    let inner = ecma.strip_prefix('^').unwrap_or(ecma);
    let inner = inner.strip_suffix('$').unwrap_or(inner);
    inner.replace(r"\/", "/")
}

fn push_literal(out: &mut String, c: char, in_class: bool) {
    let needs_escape = if in_class {
        matches!(c, '\\' | ']' | '[' | '^' | '-' | '&' | '~')
    } else {
        regex_syntax_meta(c)
    };
    if needs_escape {
        out.push('\\');
    }
    out.push(c);
}

fn regex_syntax_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_classes_replace_unicode_ones() {
        assert_eq!(to_rust_regex(r"^\d+$").unwrap(), "^[0-9]+$");
        assert_eq!(
            to_rust_regex(r"[\w+=,.@-]+").unwrap(),
            "[[0-9A-Za-z_]+=,.@-]+"
        );
        assert_eq!(to_rust_regex(r"\W").unwrap(), "[^0-9A-Za-z_]");
    }

    #[test]
    fn escaped_punctuation_stays_literal() {
        assert_eq!(to_rust_regex(r"key\/[a-z]").unwrap(), "key/[a-z]");
        assert_eq!(to_rust_regex(r"a\-b").unwrap(), r"a\-b");
        assert_eq!(to_rust_regex(r"[._\-/a-z]").unwrap(), r"[._\-/a-z]");
        assert_eq!(to_rust_regex(r"(\.|_)").unwrap(), r"(\.|_)");
    }

    #[test]
    fn dot_excludes_every_line_terminator() {
        assert_eq!(
            to_rust_regex("^a.b$").unwrap(),
            r"^a[^\n\r\x{2028}\x{2029}]b$"
        );
        assert_eq!(to_rust_regex("[.]").unwrap(), "[.]");
    }

    #[test]
    fn class_set_operators_are_escaped() {
        assert_eq!(to_rust_regex("[a&&b~[]").unwrap(), r"[a\&\&b\~\[]");
    }

    #[test]
    fn unsupported_features_are_refused() {
        assert!(to_rust_regex("(?=a)").unwrap_err().contains("lookahead"));
        assert!(to_rust_regex("(?<!a)b").unwrap_err().contains("lookbehind"));
        assert!(
            to_rust_regex(r"(a)\1")
                .unwrap_err()
                .contains("backreference")
        );
        assert!(to_rust_regex("[abc").unwrap_err().contains("unclosed"));
    }

    #[test]
    fn non_capturing_and_named_groups_pass() {
        assert_eq!(to_rust_regex("(?:ab)+").unwrap(), "(?:ab)+");
        assert_eq!(to_rust_regex(r"\u00e9").unwrap(), r"\x{00e9}");
    }

    #[test]
    fn bare_strips_anchors_and_slash_escapes() {
        assert_eq!(bare(r"^[a-z0-9]+(\/[a-z0-9]+)*$"), "[a-z0-9]+(/[a-z0-9]+)*");
        assert_eq!(bare("^[0-9]{12}$"), "[0-9]{12}");
    }
}
