//! Reading a `/v2/…` path: the repository name and what of it is asked for. A name may
//! itself contain `blobs`, `manifests` or `tags` as segments, so the path is split from the
//! right. The raw path is read, never a decoded one: no repository name, tag, digest or
//! upload id has a character to percent-encode, so any `%` (an encoded `/` or `.`, a
//! `%2e%2e`) is refused, as are empty and dot segments, before anything is looked up.

/// The prefix of every registry path.
pub const PREFIX: &str = "/v2/";

/// What a registry path asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/v2/`: the API version check.
    Base,
    /// `/v2/<name>/manifests/<reference>`: a tag or a digest.
    Manifest { name: String, reference: String },
    /// `/v2/<name>/blobs/<digest>`.
    Blob { name: String, digest: String },
    /// `/v2/<name>/blobs/uploads/` (start) or `/v2/<name>/blobs/uploads/<id>` (a session).
    Uploads { name: String, id: Option<String> },
    /// `/v2/<name>/tags/list`.
    TagsList { name: String },
    /// `/v2/<name>/referrers/<digest>`.
    Referrers { name: String, digest: String },
}

/// Why a path is no registry route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Percent-encoding, an empty segment, or a `.`/`..` segment.
    Refused,
    /// Well-formed, but no route has this shape.
    Unknown,
}

/// The route of `path` (the raw request path, starting `/v2`).
pub fn parse(path: &str) -> Result<Route, PathError> {
    if path == "/v2" || path == PREFIX {
        return Ok(Route::Base);
    }
    let rest = path.strip_prefix(PREFIX).ok_or(PathError::Unknown)?;
    if rest.contains('%') || rest.contains('\\') {
        return Err(PathError::Refused);
    }
    // Only the start of an upload may end with `/`.
    let (rest, trailing_slash) = match rest.strip_suffix('/') {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    let segments: Vec<&str> = rest.split('/').collect();
    if segments
        .iter()
        .any(|segment| segment.is_empty() || *segment == "." || *segment == "..")
    {
        return Err(PathError::Refused);
    }
    let name_of = |count: usize| -> Result<String, PathError> {
        if segments.len() <= count {
            return Err(PathError::Unknown);
        }
        Ok(segments[..segments.len() - count].join("/"))
    };
    let n = segments.len();
    let last = segments[n - 1];
    let before = |k: usize| n.checked_sub(k + 1).map(|i| segments[i]);
    let route = match (before(2), before(1), last) {
        (_, Some("blobs"), "uploads") => Route::Uploads {
            name: name_of(2)?,
            id: None,
        },
        (Some("blobs"), Some("uploads"), id) if !trailing_slash => Route::Uploads {
            name: name_of(3)?,
            id: Some(id.to_owned()),
        },
        _ if trailing_slash => return Err(PathError::Unknown),
        (_, Some("tags"), "list") => Route::TagsList { name: name_of(2)? },
        (_, Some("manifests"), reference) => Route::Manifest {
            name: name_of(2)?,
            reference: reference.to_owned(),
        },
        (_, Some("blobs"), digest) => Route::Blob {
            name: name_of(2)?,
            digest: digest.to_owned(),
        },
        (_, Some("referrers"), digest) => Route::Referrers {
            name: name_of(2)?,
            digest: digest.to_owned(),
        },
        _ => return Err(PathError::Unknown),
    };
    Ok(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(name: &str, reference: &str) -> Route {
        Route::Manifest {
            name: name.into(),
            reference: reference.into(),
        }
    }

    #[test]
    fn routes_are_split_from_the_right() {
        assert_eq!(parse("/v2/"), Ok(Route::Base));
        assert_eq!(parse("/v2"), Ok(Route::Base));
        assert_eq!(parse("/v2/a/b/manifests/v1"), Ok(manifest("a/b", "v1")));
        assert_eq!(
            parse("/v2/blobs/manifests/sha256:ab"),
            Ok(manifest("blobs", "sha256:ab"))
        );
        assert_eq!(
            parse("/v2/x/blobs/uploads/blobs/sha256:1"),
            Ok(Route::Blob {
                name: "x/blobs/uploads".into(),
                digest: "sha256:1".into()
            })
        );
        assert_eq!(
            parse("/v2/team/web/blobs/uploads/"),
            Ok(Route::Uploads {
                name: "team/web".into(),
                id: None
            })
        );
        assert_eq!(
            parse("/v2/team/web/blobs/uploads"),
            Ok(Route::Uploads {
                name: "team/web".into(),
                id: None
            })
        );
        assert_eq!(
            parse("/v2/w/blobs/uploads/abc"),
            Ok(Route::Uploads {
                name: "w".into(),
                id: Some("abc".into())
            })
        );
        assert_eq!(
            parse("/v2/w/tags/list"),
            Ok(Route::TagsList { name: "w".into() })
        );
        assert_eq!(
            parse("/v2/w/referrers/sha256:1"),
            Ok(Route::Referrers {
                name: "w".into(),
                digest: "sha256:1".into()
            })
        );
    }

    #[test]
    fn traversal_and_encodings_are_refused() {
        for path in [
            "/v2/../etc/manifests/v1",
            "/v2/a/../b/manifests/v1",
            "/v2/a/./manifests/v1",
            "/v2/a%2Fb/manifests/v1",
            "/v2/a%2fb/manifests/v1",
            "/v2/%2e%2e/manifests/v1",
            "/v2/a/manifests/%2e%2e",
            "/v2/a//b/manifests/v1",
            "/v2/a/manifests/..",
            "/v2/a\\b/manifests/v1",
        ] {
            assert_eq!(parse(path), Err(PathError::Refused), "{path}");
        }
    }

    #[test]
    fn other_shapes_are_unknown() {
        for path in [
            "/v2/manifests/v1",
            "/v2/a/manifests/v1/",
            "/v2/a",
            "/v2/a/tags",
            "/v2/a/blobs/sha256:1/",
            "/v2/_catalog",
        ] {
            assert_eq!(parse(path), Err(PathError::Unknown), "{path}");
        }
    }
}
