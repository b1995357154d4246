//! A bound on how deeply a request body nests arrays and objects.
//!
//! serde_json stops typed data at 128 levels, but values it ignores (unknown members) are
//! skipped without a depth limit, with memory growing with the depth. One linear pass
//! before parsing refuses any body nested deeper than [`MAX_JSON_NESTING_DEPTH`], wherever
//! the nesting is, so every body costs work proportional to its size and no more.

/// Deepest nesting of arrays and objects a request body may have. ECR's deepest input
/// nests far less (a structure in a list in a structure); 64 leaves generous room.
pub const MAX_JSON_NESTING_DEPTH: usize = 64;

/// Whether `body` opens more than `max` arrays or objects inside one another. Brackets
/// inside strings do not count; malformed JSON is left for the parser to report.
pub fn nests_deeper_than(body: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn nesting_up_to_the_bound_is_accepted() {
        assert!(!nests_deeper_than(b"{}", 1));
        assert!(!nests_deeper_than(nested(64).as_bytes(), 64));
        assert!(!nests_deeper_than(b"", 0));
        // Siblings do not add up: depth is how far in, not how many.
        assert!(!nests_deeper_than(b"[[],[],{},[{}]]", 3));
    }

    #[test]
    fn nesting_past_the_bound_is_refused_wherever_it_is() {
        assert!(nests_deeper_than(nested(65).as_bytes(), 64));
        assert!(nests_deeper_than(b"{\"a\":{\"b\":[1]}}", 2));
        // Unterminated nesting counts too: it is refused before the parser sees it.
        assert!(nests_deeper_than("[".repeat(1_000_000).as_bytes(), 64));
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let body = br#"{"policyText": "[[[[[{{{{{\"]]]]", "x": ["\\", "[["]}"#;
        assert!(!nests_deeper_than(body, 2));
        assert!(nests_deeper_than(body, 1));
    }
}
