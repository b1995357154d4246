//! Page tokens: a token names the last item of the page it ends, so the next page starts
//! right after that item whatever was created or deleted meanwhile (an offset would skip
//! or repeat items). Opaque to callers: versioned and base64url-encoded.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Marks Berth's tokens, and their format version.
const TOKEN_PREFIX: &str = "berth-page-v1:";

/// The token for a page that ends with `last`.
pub fn token_after(last: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{last}"))
}

/// The item a token says to continue after; `None` when no page of Berth's made it.
pub fn decode_token(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let last = text.strip_prefix(TOKEN_PREFIX)?;
    (!last.is_empty()).then(|| last.to_owned())
}

/// Cuts `items`, fetched as up to `page_size + 1` items in order, to one page; returns the
/// token for the next page, or `None` when this is the last one.
pub fn finish_page<T>(
    items: &mut Vec<T>,
    page_size: usize,
    key: impl Fn(&T) -> &str,
) -> Option<String> {
    if items.len() <= page_size {
        return None;
    }
    items.truncate(page_size);
    items.last().map(|last| token_after(key(last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_names() {
        for name in ["a", "team/app", "x".repeat(256).as_str()] {
            assert_eq!(decode_token(&token_after(name)).as_deref(), Some(name));
        }
    }

    #[test]
    fn foreign_tokens_are_refused() {
        let unprefixed = URL_SAFE_NO_PAD.encode("app");
        let empty_name = URL_SAFE_NO_PAD.encode(TOKEN_PREFIX);
        let not_utf8 = URL_SAFE_NO_PAD.encode([0xff, 0xfe]);
        for token in [
            "",
            "not a token",
            "***",
            "abc=",
            unprefixed.as_str(),
            empty_name.as_str(),
            not_utf8.as_str(),
        ] {
            assert_eq!(decode_token(token), None, "{token}");
        }
    }

    #[test]
    fn pages_end_with_a_token_only_when_more_follow() {
        let mut items = vec!["a", "b", "c"];
        let token = finish_page(&mut items, 2, |s| s);
        assert_eq!(items, ["a", "b"]);
        assert_eq!(token.and_then(|t| decode_token(&t)).as_deref(), Some("b"));

        let mut items = vec!["a", "b"];
        assert_eq!(finish_page(&mut items, 2, |s| s), None);
        assert_eq!(items, ["a", "b"]);
    }
}
