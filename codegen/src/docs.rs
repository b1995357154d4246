//! Turns a `@documentation` trait (HTML in AWS models) into doc-comment paragraphs.

/// Block-level tags: each starts a new paragraph.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "note",
    "important",
    "ul",
    "ol",
    "li",
    "br",
    "fullname",
    "dl",
    "dt",
    "dd",
    "pre",
];

/// Paragraphs of plain text (one line each, blank lines between), markdown-safe.
pub fn paragraphs(html: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    let mut current = String::new();
    // Set by `<li>` until the item's first text: a `<p>` inside the item must not lose it.
    let mut bullet = false;
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        current.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            current.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        let name = tag
            .trim_start_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if BLOCK_TAGS.contains(&name.as_str()) {
            flush(&mut blocks, &mut current, &mut bullet);
            if name == "li" && !tag.starts_with('/') {
                bullet = true;
            }
        }
        rest = &rest[start + end + 1..];
    }
    current.push_str(rest);
    flush(&mut blocks, &mut current, &mut bullet);

    let mut lines = Vec::new();
    for block in blocks {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(block);
    }
    lines
}

/// Ends the current paragraph; the first one of a list item gets its bullet.
fn flush(blocks: &mut Vec<String>, current: &mut String, bullet: &mut bool) {
    let text = decode_entities(&current.split_whitespace().collect::<Vec<_>>().join(" "));
    let text = escape_markdown(&text);
    if !text.is_empty() {
        if std::mem::take(bullet) {
            blocks.push(format!("- {text}"));
        } else {
            blocks.push(text);
        }
    }
    current.clear();
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Brackets, angle brackets and backticks would be read as links, HTML or code by rustdoc.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '[' | ']' | '<' | '>' | '`' | '*' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_paragraphs() {
        let docs =
            paragraphs("<p>The name of the <code>repository</code>.</p>\n  <p>Second\n  line.</p>");
        assert_eq!(docs, ["The name of the repository.", "", "Second line."]);
    }

    #[test]
    fn list_items_and_entities() {
        let docs = paragraphs("<ul><li><p>a &amp; b</p></li><li>c</li></ul>");
        assert_eq!(docs, ["- a & b", "", "- c"]);
    }

    #[test]
    fn every_paragraph_of_an_item_follows_its_bullet() {
        let docs = paragraphs("<ul><li><p>first</p><p>more</p></li><li><p>second</p></li></ul>");
        assert_eq!(docs, ["- first", "", "more", "", "- second"]);
        assert_eq!(paragraphs("<ul><li></li><li>b</li></ul>"), ["- b"]);
    }

    #[test]
    fn markdown_hazards_are_escaped() {
        assert_eq!(paragraphs("[a] &lt;b&gt; x_y"), [r"\[a\] \<b\> x\_y"]);
    }
}
