//! Repository tags: the rules ECR applies to keys and values, and how a tag set changes.

use berth_runtime::validation::Path;
use ecr_generated::errors::InvalidTagParameterException;
use ecr_generated::types::Tag;

use crate::limits::{
    MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS, MAX_TAGS_PER_REPOSITORY, RESERVED_TAG_KEY_PREFIX,
};
use crate::messages;

/// Checks each tag of a `tags` list (TagResource, CreateRepository): the first bad one is
/// reported with its position, as `tags.<n>.member.Key`.
pub fn check_tags(tags: &[Tag]) -> Result<(), InvalidTagParameterException> {
    check_tags_at("tags", tags)
}

/// [`check_tags`] for a tag list held in the member `member` (a template's `resourceTags`).
pub fn check_tags_at(
    member: &'static str,
    tags: &[Tag],
) -> Result<(), InvalidTagParameterException> {
    let root = Path::Root;
    let list = root.member(member);
    for (index, tag) in tags.iter().enumerate() {
        let item = list.index(index);
        check_key(&tag.key, &item.member("Key"))?;
        if tag.value.chars().count() > MAX_TAG_VALUE_CHARS {
            let path = item.member("Value").render();
            return Err(InvalidTagParameterException::new(
                messages::tag_value_length(&path, MAX_TAG_VALUE_CHARS),
            ));
        }
    }
    Ok(())
}

/// Checks each key of UntagResource's `tagKeys`, reported as `tagKeys.<n>.member`.
pub fn check_tag_keys(keys: &[String]) -> Result<(), InvalidTagParameterException> {
    let root = Path::Root;
    let list = root.member("tagKeys");
    keys.iter()
        .enumerate()
        .try_for_each(|(index, key)| check_key(key, &list.index(index)))
}

fn check_key(key: &str, path: &Path<'_>) -> Result<(), InvalidTagParameterException> {
    let chars = key.chars().count();
    if chars == 0 || chars > MAX_TAG_KEY_CHARS {
        return Err(InvalidTagParameterException::new(messages::tag_key_length(
            &path.render(),
            MAX_TAG_KEY_CHARS,
        )));
    }
    if has_reserved_prefix(key) {
        return Err(InvalidTagParameterException::new(
            messages::reserved_tag_key(&path.render(), RESERVED_TAG_KEY_PREFIX),
        ));
    }
    Ok(())
}

/// AWS reserves `aws:` in any letter case (`AWS:`, `Aws:` ...).
fn has_reserved_prefix(key: &str) -> bool {
    key.get(..RESERVED_TAG_KEY_PREFIX.len())
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(RESERVED_TAG_KEY_PREFIX))
}

/// `tags` with `added` applied: a known key gets the new value in place, a new key is
/// appended. Fails with the resulting count when that exceeds the per-repository limit.
pub fn with_added(tags: &[Tag], added: Vec<Tag>) -> Result<Vec<Tag>, usize> {
    let mut result = tags.to_vec();
    for tag in added {
        match result.iter_mut().find(|existing| existing.key == tag.key) {
            Some(existing) => existing.value = tag.value,
            None => result.push(tag),
        }
    }
    match result.len() {
        count if count > MAX_TAGS_PER_REPOSITORY => Err(count),
        _ => Ok(result),
    }
}

/// Removes the tags with the given keys; keys that are not there are ignored.
pub fn remove(tags: &mut Vec<Tag>, keys: &[String]) {
    tags.retain(|tag| !keys.contains(&tag.key));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    fn message(error: InvalidTagParameterException) -> String {
        error.message.unwrap_or_default()
    }

    #[test]
    fn key_and_value_lengths_are_bounded() {
        let longest_key = "k".repeat(MAX_TAG_KEY_CHARS);
        let longest_value = "v".repeat(MAX_TAG_VALUE_CHARS);
        assert!(check_tags(&[tag(&longest_key, &longest_value), tag("empty", "")]).is_ok());
        // Characters, not bytes: 128 two-byte characters are fine.
        assert!(check_tags(&[tag(&"é".repeat(MAX_TAG_KEY_CHARS), "")]).is_ok());

        let error = check_tags(&[tag("ok", ""), tag(&format!("{longest_key}k"), "")]).unwrap_err();
        assert_eq!(
            message(error),
            "Invalid parameter at 'tags.2.member.Key' failed to satisfy constraint: 'Tag keys must be between 1 and 128 characters long'"
        );
        let error = check_tags(&[tag("", "")]).unwrap_err();
        assert!(message(error).starts_with("Invalid parameter at 'tags.1.member.Key'"));
        let error = check_tags(&[tag("k", &format!("{longest_value}v"))]).unwrap_err();
        assert_eq!(
            message(error),
            "Invalid parameter at 'tags.1.member.Value' failed to satisfy constraint: 'Tag values must be at most 256 characters long'"
        );
    }

    #[test]
    fn aws_prefix_is_reserved_in_any_case() {
        for key in ["aws:createdBy", "AWS:x", "Aws:"] {
            let error = check_tags(&[tag(key, "v")]).unwrap_err();
            assert!(
                message(error).contains("must not start with 'aws:'"),
                "{key}"
            );
        }
        assert!(
            check_tags(&[
                tag("aws", "v"),
                tag("awsx:y", "v"),
                tag("my:aws:key", "aws:value")
            ])
            .is_ok()
        );
        assert!(check_tag_keys(&["team".into(), "aws:cloudformation:stack-name".into()]).is_err());
        let error = check_tag_keys(&["team".into(), String::new()]).unwrap_err();
        assert!(message(error).starts_with("Invalid parameter at 'tagKeys.2.member'"));
    }

    #[test]
    fn adding_overwrites_in_place_and_counts_the_result() {
        let tags = vec![tag("a", "1"), tag("b", "2")];
        let result = with_added(&tags, vec![tag("b", "3"), tag("c", "4"), tag("c", "5")]).unwrap();
        assert_eq!(result, vec![tag("a", "1"), tag("b", "3"), tag("c", "5")]);

        let full: Vec<Tag> = (0..MAX_TAGS_PER_REPOSITORY)
            .map(|i| tag(&format!("k{i}"), ""))
            .collect();
        assert_eq!(
            with_added(&[], full.clone()).map(|tags| tags.len()),
            Ok(MAX_TAGS_PER_REPOSITORY)
        );
        assert_eq!(
            with_added(&full, vec![tag("k0", "again")]).map(|tags| tags.len()),
            Ok(MAX_TAGS_PER_REPOSITORY)
        );
        assert_eq!(
            with_added(&full, vec![tag("new", "")]),
            Err(MAX_TAGS_PER_REPOSITORY + 1)
        );
    }

    #[test]
    fn removing_ignores_absent_keys() {
        let mut tags = vec![tag("a", "1"), tag("b", "2")];
        remove(&mut tags, &["b".into(), "zzz".into()]);
        assert_eq!(tags, vec![tag("a", "1")]);
    }
}
