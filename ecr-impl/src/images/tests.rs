//! The image input patterns and manifest rules of `ecr-behaviour-images.md` §1, §2, §4 and §8.
//! Expected texts are written out here, never taken from `messages`; expected digests come
//! from `sha256sum` of the fixture files (or from `sha2` directly on the same bytes).

use ecr_generated::ErrorResponse;
use ecr_generated::errors::{
    ImageDigestDoesNotMatchException, InvalidParameterException, PutImageError,
};
use ecr_generated::types::ImageManifest;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::manifest::{self, Content, Descriptor, Manifest, MediaType, Platform};
use super::{check_image_digest, check_image_tag, is_image_digest, is_image_tag};

const INVALID_JSON: &str =
    "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'";
const UNSUPPORTED: &str = "Invalid parameter at 'imageManifestMediaType' failed to satisfy \
                           constraint: 'Unsupported manifest media type'";

const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

// The fixtures, and their digests as `sha256sum ecr-impl/src/images/testdata/*.json` prints them.
const DOCKER_IMAGE: &str = include_str!("testdata/docker-image.json");
const DOCKER_IMAGE_SHA256: &str =
    "5ecb960959e5c327aa07289a2b199b4e707d9dd5e50dbb82fe890734355bc871";
const DOCKER_LIST_JSON: &str = include_str!("testdata/docker-list.json");
const DOCKER_LIST_SHA256: &str = "3b43a3f4a107d73692b7da9cce625076dc874255e4e41c9a73b486bb56bfb908";
const OCI_IMAGE: &str = include_str!("testdata/oci-image.json");
const OCI_IMAGE_SHA256: &str = "b38df530488ef85e898df5545045f7ae3fa630480f96b56a63d73f6c2e509711";
const OCI_INDEX_JSON: &str = include_str!("testdata/oci-index.json");
const OCI_INDEX_SHA256: &str = "7c33f14a03280fd21e37ccb4688ed2aaa0bdff8695074837e5f2889bd543d55c";
const OCI_ARTIFACT: &str = include_str!("testdata/oci-artifact.json");
const OCI_ARTIFACT_SHA256: &str =
    "6b5b6458fc1eeb8c868e56617612f74fa4ecad2ccbcb0adcb1b9642a23b71818";
const HELM_CHART: &str = include_str!("testdata/helm-chart.json");
const HELM_CHART_SHA256: &str = "6fa4494f3f035edf7889b1f927f69e0e4af756b1fb0df94d8d694974d6842be8";

/// The OCI empty descriptor's blob, `{}`.
const EMPTY_CONFIG: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const SUBJECT: &str = "sha256:4a7c1e0b2d9f8e6a5c3b1d0f9e8a7c6b5d4f3e2a1c0b9d8e7f6a5c4b3d2e1f0a";

fn image_manifest(text: &str) -> ImageManifest {
    ImageManifest::try_from(text).expect("within the model's length")
}

fn parse(text: &str, declared: Option<&str>) -> Result<Manifest, InvalidParameterException> {
    manifest::parse(&image_manifest(text), declared)
}

fn accepted(text: &str, declared: Option<&str>) -> Manifest {
    parse(text, declared).unwrap_or_else(|error| panic!("{error}: {text}"))
}

fn message_of(error: &dyn ErrorResponse) -> &str {
    error.message().unwrap_or_default()
}

fn assert_invalid_json(text: &str, declared: Option<&str>) {
    let error = parse(text, declared).expect_err(text);
    assert_eq!(message_of(&error), INVALID_JSON, "{text}");
}

fn assert_unsupported(text: &str, declared: Option<&str>) {
    let error = parse(text, declared).expect_err(text);
    assert_eq!(message_of(&error), UNSUPPORTED, "{declared:?} {text}");
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn digests<'a>(descriptors: impl IntoIterator<Item = &'a Descriptor>) -> Vec<&'a str> {
    descriptors.into_iter().map(|d| d.digest.as_str()).collect()
}

/// A fixture changed at one place, written compactly.
fn edited(fixture: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut json: Value = serde_json::from_str(fixture).expect("fixtures are JSON");
    edit(&mut json);
    json.to_string()
}

fn remove(json: &mut Value, pointer: &str) {
    let (parent, member) = pointer.rsplit_once('/').expect("a member pointer");
    let parent = json.pointer_mut(parent).expect("the parent exists");
    match parent {
        Value::Object(map) => assert!(map.remove(member).is_some(), "{pointer} exists"),
        Value::Array(items) => {
            items.remove(member.parse::<usize>().expect("an index"));
        }
        _ => panic!("{pointer} is in no container"),
    }
}

/// Sets the member (or array item) at `pointer`, adding the member if it is new.
fn set(json: &mut Value, pointer: &str, value: Value) {
    let (parent, member) = pointer.rsplit_once('/').expect("a member pointer");
    match json.pointer_mut(parent).expect("the parent exists") {
        Value::Object(map) => {
            map.insert(member.to_owned(), value);
        }
        Value::Array(items) => items[member.parse::<usize>().expect("an index")] = value,
        _ => panic!("{pointer} is in no container"),
    }
}

fn set_member(json: &mut Value, member: &str, value: Value) {
    set(json, &format!("/{member}"), value);
}

fn hex64(fill: char) -> String {
    fill.to_string().repeat(64)
}

// ---- §2: imageTag and imageDigest patterns ----

#[test]
fn image_tags_are_letters_digits_dashes_underscores_and_dots_throughout() {
    for tag in [
        "latest",
        "v1.2.3",
        "1",
        "a_b-c.D",
        "-leading-dash",
        ".leading-dot",
        "___",
    ] {
        assert!(is_image_tag(tag), "{tag}");
        assert_eq!(check_image_tag(tag), Ok(()));
    }
    for tag in [
        "",
        "a/b",
        "a:b",
        "a b",
        "tag!",
        "caf\u{e9}",
        "latest\n",
        "\nlatest",
        "a+b",
    ] {
        assert!(!is_image_tag(tag), "{tag:?}");
        let error = check_image_tag(tag).expect_err(tag);
        assert_eq!(
            message_of(&error),
            "Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular \
             expression '[a-zA-Z0-9-_.]+''"
        );
    }
}

#[test]
fn image_digests_are_an_algorithm_a_colon_and_hex_in_either_case() {
    let upper = format!("sha256:{}", hex64('A'));
    for digest in [
        "sha256:0",
        "sha256:abcDEF0189",
        "a.b+c-d_e:ff",
        upper.as_str(),
    ] {
        assert!(is_image_digest(digest), "{digest}");
        assert_eq!(check_image_digest(digest), Ok(()));
    }
    for digest in [
        "",
        "sha256",
        "sha256:",
        ":abc",
        "sha256:xyz",
        "sha256:abc:def",
        " sha256:abc",
        "sha256:abc\n",
        "sha/256:abc",
    ] {
        assert!(!is_image_digest(digest), "{digest:?}");
        let error = check_image_digest(digest).expect_err(digest);
        assert_eq!(
            message_of(&error),
            "Invalid parameter at 'imageDigest' failed to satisfy constraint: 'must satisfy \
             regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+''"
        );
    }
}

// ---- §1: the digest is the sha256 of the exact bytes ----

#[test]
fn the_digest_is_sha256_and_lowercase_hex_of_the_bytes() {
    // FIPS 180-2 test vectors.
    assert_eq!(
        manifest::digest_of(b""),
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        manifest::digest_of(b"abc"),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn each_fixture_digest_is_its_sha256sum() {
    for (text, sha256sum) in [
        (DOCKER_IMAGE, DOCKER_IMAGE_SHA256),
        (DOCKER_LIST_JSON, DOCKER_LIST_SHA256),
        (OCI_IMAGE, OCI_IMAGE_SHA256),
        (OCI_INDEX_JSON, OCI_INDEX_SHA256),
        (OCI_ARTIFACT, OCI_ARTIFACT_SHA256),
    ] {
        assert_eq!(accepted(text, None).digest(), format!("sha256:{sha256sum}"));
    }
    let helm = accepted(HELM_CHART, Some(OCI_MANIFEST));
    assert_eq!(helm.digest(), format!("sha256:{HELM_CHART_SHA256}"));
}

#[test]
fn whitespace_is_part_of_the_digest() {
    let value: Value = serde_json::from_str(OCI_IMAGE).expect("JSON");
    let compact = value.to_string();
    let pretty = serde_json::to_string_pretty(&value).expect("JSON");
    let with_newline = format!("{compact}\n");
    let mut seen = Vec::new();
    for text in [&compact, &pretty, &with_newline, &OCI_IMAGE.to_owned()] {
        let parsed = accepted(text, None);
        assert_eq!(
            parsed.digest(),
            format!("sha256:{}", sha256_hex(text.as_bytes()))
        );
        assert_eq!(serde_json::from_str::<Value>(text).expect("JSON"), value);
        assert!(!seen.contains(&parsed.digest().to_owned()), "{text}");
        seen.push(parsed.digest().to_owned());
    }
}

#[test]
fn non_ascii_text_is_digested_as_utf8() {
    let text = edited(OCI_IMAGE, |json| {
        set(
            json,
            "/annotations/org.opencontainers.image.source",
            json!("caf\u{e9} \u{1f40b}"),
        )
    });
    assert!(text.contains('\u{1f40b}'), "serde_json keeps it unescaped");
    assert_eq!(
        accepted(&text, None).digest(),
        format!("sha256:{}", sha256_hex(text.as_bytes()))
    );
}

// ---- the 4 MiB boundary: the model's limit, in characters ----

/// A compact OCI manifest padded with spaces inside its object to `chars` characters.
fn padded_to(chars: usize, filler: char) -> String {
    let compact = edited(OCI_IMAGE, |_| {});
    let body = compact.strip_suffix('}').expect("an object");
    let fill = chars - compact.chars().count();
    let mut text = String::with_capacity(chars * 4);
    text.push_str(body);
    if filler == ' ' {
        text.extend(std::iter::repeat_n(' ', fill));
    } else {
        // `,"p":"` and `"` are 7 characters around the filler.
        text.push_str(",\"p\":\"");
        text.extend(std::iter::repeat_n(filler, fill - 7));
        text.push('"');
    }
    text.push('}');
    assert_eq!(text.chars().count(), chars);
    text
}

#[test]
fn a_manifest_of_exactly_4_mib_characters_is_read_one_more_is_refused_by_the_model() {
    let limit = 4 * 1024 * 1024;
    let at_limit = padded_to(limit, ' ');
    let parsed = manifest::parse(&image_manifest(&at_limit), None).expect("4194304 characters");
    assert_eq!(
        parsed.digest(),
        format!("sha256:{}", sha256_hex(at_limit.as_bytes()))
    );

    let over = padded_to(limit + 1, ' ');
    let refused = ImageManifest::try_from(over.as_str()).expect_err("4194305 characters");
    assert_eq!(
        refused.reasons(),
        ["Member must have length less than or equal to 4194304"]
    );

    // Characters, not bytes: 4194304 characters of which many take two bytes.
    let wide = padded_to(limit, '\u{e9}');
    assert!(wide.len() > limit);
    let parsed = manifest::parse(&image_manifest(&wide), None).expect("characters count");
    assert_eq!(
        parsed.digest(),
        format!("sha256:{}", sha256_hex(wide.as_bytes()))
    );
}

// ---- §4 step 3: JSON ----

#[test]
fn text_that_is_not_json_is_invalid_json_syntax_whatever_the_media_type() {
    let trailing_comma = DOCKER_IMAGE.replacen("   ]\n}", "   ],\n}", 1);
    assert_ne!(trailing_comma, DOCKER_IMAGE);
    let truncated = &DOCKER_IMAGE[..DOCKER_IMAGE.len() / 2];
    let cases = [
        "not json",
        "{",
        "}",
        "{'schemaVersion': 2}",
        "{\"schemaVersion\": 2,}",
        "{\"schemaVersion\": NaN}",
        "{} {}",
        "{}x",
        "\u{feff}{}",
        "\"unterminated",
        truncated,
        trailing_comma.as_str(),
    ];
    for text in cases {
        assert_invalid_json(text, None);
        assert_invalid_json(text, Some(OCI_MANIFEST));
        // Step 3 comes before step 4: an unsupported type does not change the answer.
        assert_invalid_json(text, Some("text/plain"));
    }
}

#[test]
fn deeply_nested_json_is_invalid_json_syntax_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_invalid_json(&deep, Some(OCI_MANIFEST));
    let deep_member = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"{OCI_MANIFEST}\",\"x\":{}{}}}",
        "{\"a\":".repeat(10_000),
        "}".repeat(10_000)
    );
    assert_invalid_json(&deep_member, None);
}

#[test]
fn json_that_is_not_an_object_is_invalid_json_syntax() {
    for text in ["[]", "[{}]", "\"manifest\"", "2", "null", "true"] {
        assert_invalid_json(text, None);
        assert_invalid_json(text, Some(DOCKER_MANIFEST));
    }
}

// ---- §4 step 4: the media type ----

#[test]
fn the_media_type_is_the_declared_one_or_the_manifests_own() {
    // Its own only.
    assert_eq!(
        accepted(DOCKER_IMAGE, None).media_type(),
        MediaType::DockerManifest
    );
    // Both, agreeing.
    let both = accepted(DOCKER_IMAGE, Some(DOCKER_MANIFEST));
    assert_eq!(both.media_type(), MediaType::DockerManifest);
    // Declared only: a manifest without `mediaType` (a Helm chart as `helm push` writes it).
    assert_eq!(
        accepted(HELM_CHART, Some(OCI_MANIFEST)).media_type(),
        MediaType::OciManifest
    );
    assert_eq!(
        accepted(HELM_CHART, Some(DOCKER_MANIFEST)).media_type(),
        MediaType::DockerManifest
    );
    // A null `mediaType` is no media type.
    let null = edited(HELM_CHART, |json| {
        set_member(json, "mediaType", Value::Null)
    });
    assert_eq!(
        accepted(&null, Some(OCI_MANIFEST)).media_type(),
        MediaType::OciManifest
    );
}

#[test]
fn no_media_type_at_all_is_invalid_json_syntax() {
    // [real] aws/containers-roadmap#1873, boto/boto3#3295: a manifest without `mediaType`
    // and no `imageManifestMediaType`.
    assert_invalid_json(HELM_CHART, None);
    let null = edited(HELM_CHART, |json| {
        set_member(json, "mediaType", Value::Null)
    });
    assert_invalid_json(&null, None);
}

#[test]
fn a_media_type_that_is_not_a_string_is_invalid_json_syntax() {
    for value in [
        json!(2),
        json!(true),
        json!([OCI_MANIFEST]),
        json!({"type": OCI_MANIFEST}),
    ] {
        let text = edited(HELM_CHART, |json| set_member(json, "mediaType", value));
        assert_invalid_json(&text, None);
        assert_invalid_json(&text, Some(OCI_MANIFEST));
    }
}

#[test]
fn media_types_other_than_the_four_are_unsupported() {
    let others = [
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.oci.artifact.manifest.v1+json",
        "application/vnd.docker.container.image.v1+json",
        "application/json",
        "APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON",
        "application/vnd.oci.image.manifest.v1+json ",
        "application/vnd.oci.image.manifest.v1+json; charset=utf-8",
        "",
    ];
    for other in others {
        // Declared, on a manifest without its own type.
        assert_unsupported(HELM_CHART, Some(other));
        // The manifest's own.
        let own = edited(HELM_CHART, |json| {
            set_member(json, "mediaType", json!(other))
        });
        assert_unsupported(&own, None);
        // Both, agreeing on an unsupported type.
        assert_unsupported(&own, Some(other));
    }
}

#[test]
fn a_declared_media_type_that_contradicts_the_manifests_own_is_unsupported() {
    for declared in [DOCKER_LIST, OCI_MANIFEST, OCI_INDEX, "application/json"] {
        assert_unsupported(DOCKER_IMAGE, Some(declared));
    }
    assert_unsupported(OCI_INDEX_JSON, Some(DOCKER_LIST));
    // An unsupported own type is not rescued by a supported declared one.
    let own = edited(HELM_CHART, |json| {
        set_member(
            json,
            "mediaType",
            json!("application/vnd.cncf.helm.config.v1+json"),
        )
    });
    assert_unsupported(&own, Some(OCI_MANIFEST));
}

#[test]
fn media_types_print_and_parse_as_written() {
    let written = [DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX];
    for (kind, text) in MediaType::ALL.into_iter().zip(written) {
        assert_eq!(kind.as_str(), text);
        assert_eq!(kind.to_string(), text);
        assert_eq!(MediaType::parse(text), Some(kind));
    }
    assert_eq!(
        MediaType::ALL.map(MediaType::is_index),
        [false, true, false, true]
    );
}

// ---- the five kinds, accepted and understood ----

#[test]
fn a_docker_image_manifest_needs_its_config_and_layers() {
    let image = accepted(DOCKER_IMAGE, None);
    assert_eq!(
        digests(image.required_layers()),
        [
            "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7",
            "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f",
            "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b",
            "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736",
        ]
    );
    let config = image.required_layers()[0];
    assert_eq!(
        config.media_type.as_deref(),
        Some("application/vnd.docker.container.image.v1+json")
    );
    assert_eq!(config.size, 7023);
    assert!(image.required_images().is_empty());
    assert_eq!(image.subject(), None);
    // 7023 + 32654 + 16724 + 73109, as the manifest declares them.
    assert_eq!(
        image.image_size_in_bytes(|_| panic!("no children")),
        129_510
    );
    assert_eq!(
        image.artifact_type(),
        Some("application/vnd.docker.container.image.v1+json")
    );
    assert!(image.platforms().is_empty());
    assert!(image.annotations().is_empty());
}

#[test]
fn a_docker_manifest_list_needs_its_images_and_names_their_platforms() {
    let list = accepted(DOCKER_LIST_JSON, None);
    assert_eq!(list.media_type(), MediaType::DockerManifestList);
    let children = [
        "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
        "sha256:1a4f04b3f4dbd7a1a8b0e0b7d3e66a9ed1b67e4ba43c96a6dc4d0d0c9ed1a7c2",
        "sha256:77b0d2b6e0c96a3bfe6a33c8d54d6a8e3b5f0d0a1a0ddc4e0e4bd2cf8f3a0e11",
    ];
    assert_eq!(digests(list.required_images()), children);
    assert!(list.required_layers().is_empty());
    let platform = |architecture: &str, variant: Option<&str>| Platform {
        architecture: Some(architecture.to_owned()),
        os: Some("linux".to_owned()),
        variant: variant.map(str::to_owned),
    };
    let expected = [
        platform("amd64", None),
        platform("arm64", Some("v8")),
        platform("arm", Some("v7")),
    ];
    let platforms = list.platforms();
    assert_eq!(platforms.len(), 3);
    for ((digest, platform), (child, expected)) in
        platforms.into_iter().zip(children.iter().zip(&expected))
    {
        assert_eq!(digest, *child);
        assert_eq!(platform, expected);
    }
    // An index has no artifact type of its own, and no config.
    assert_eq!(list.artifact_type(), None);
}

#[test]
fn an_index_is_as_large_as_its_largest_image() {
    let list = accepted(DOCKER_LIST_JSON, None);
    let sizes = |digest: &str| match &digest[7..9] {
        "5b" => Some(30_000_000),
        "1a" => Some(41_500_000),
        "77" => Some(29_000_000),
        _ => None,
    };
    assert_eq!(list.image_size_in_bytes(sizes), 41_500_000);
    // Children the caller cannot size are left out; none known is 0.
    assert_eq!(
        list.image_size_in_bytes(|d| (d.as_bytes()[7] == b'7').then_some(5)),
        5
    );
    assert_eq!(list.image_size_in_bytes(|_| None), 0);
    let empty = edited(OCI_INDEX_JSON, |json| set(json, "/manifests", json!([])));
    let empty = accepted(&empty, None);
    assert!(empty.required_images().is_empty());
    assert_eq!(empty.image_size_in_bytes(|_| Some(1)), 0);
}

#[test]
fn an_oci_image_manifest_with_annotations() {
    let image = accepted(OCI_IMAGE, None);
    assert_eq!(image.media_type(), MediaType::OciManifest);
    assert_eq!(image.required_layers().len(), 3);
    // 1469 + 3623807 + 1048576.
    assert_eq!(image.image_size_in_bytes(|_| None), 4_673_852);
    assert_eq!(
        image.artifact_type(),
        Some("application/vnd.oci.image.config.v1+json")
    );
    let annotations: Vec<(&str, &str)> = image
        .annotations()
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    assert_eq!(
        annotations,
        [
            ("org.opencontainers.image.created", "2026-11-30T09:12:44Z"),
            (
                "org.opencontainers.image.source",
                "https://example.com/berth/app"
            ),
        ]
    );
}

#[test]
fn an_oci_image_index_with_an_attestation_entry() {
    let index = accepted(OCI_INDEX_JSON, None);
    assert_eq!(index.media_type(), MediaType::OciIndex);
    assert_eq!(index.required_images().len(), 3);
    assert_eq!(index.required_images()[0].digest, SUBJECT);
    let Content::Index { manifests } = index.content() else {
        panic!("an index")
    };
    assert_eq!(manifests[2].descriptor.size, 566);
    let unknown = Platform {
        architecture: Some("unknown".to_owned()),
        os: Some("unknown".to_owned()),
        variant: None,
    };
    assert_eq!(index.platforms()[2].1, &unknown);
    assert_eq!(index.artifact_type(), None);
}

#[test]
fn index_entries_without_a_platform_have_none_to_show() {
    let text = edited(OCI_INDEX_JSON, |json| remove(json, "/manifests/0/platform"));
    let index = accepted(&text, None);
    let platforms = index.platforms();
    let shown: Vec<&str> = platforms.iter().map(|(digest, _)| *digest).collect();
    let entries = digests(index.required_images());
    assert_eq!(shown, entries[1..]);
    assert_eq!(platforms[0].1.architecture.as_deref(), Some("arm64"));
    assert_eq!(platforms[0].1.variant.as_deref(), Some("v8"));
}

#[test]
fn an_oci_artifact_names_its_type_and_its_subject() {
    let artifact = accepted(OCI_ARTIFACT, None);
    assert_eq!(artifact.media_type(), MediaType::OciManifest);
    assert_eq!(artifact.artifact_type(), Some("application/spdx+json"));
    let subject = artifact.subject().expect("a subject");
    assert_eq!(subject.digest, SUBJECT);
    assert_eq!(subject.media_type.as_deref(), Some(OCI_MANIFEST));
    assert_eq!(subject.size, 1035);
    // The subject is not something the artifact needs; the empty config is.
    assert_eq!(
        digests(artifact.required_layers()),
        [
            EMPTY_CONFIG,
            "sha256:f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2"
        ]
    );
    assert!(artifact.required_images().is_empty());
    assert_eq!(artifact.image_size_in_bytes(|_| None), 2 + 24_117);
}

#[test]
fn an_oci_artifact_index_names_its_type_and_subject() {
    let text = edited(OCI_INDEX_JSON, |json| {
        set_member(
            json,
            "artifactType",
            json!("application/vnd.example.bundle.v1"),
        );
        set_member(
            json,
            "subject",
            json!({"mediaType": OCI_MANIFEST, "digest": EMPTY_CONFIG, "size": 2}),
        );
    });
    let index = accepted(&text, None);
    assert_eq!(
        index.artifact_type(),
        Some("application/vnd.example.bundle.v1")
    );
    assert_eq!(
        index.subject().map(|s| s.digest.as_str()),
        Some(EMPTY_CONFIG)
    );
    assert!(!digests(index.required_images()).contains(&EMPTY_CONFIG));
}

#[test]
fn members_berth_does_not_read_are_ignored() {
    let text = edited(DOCKER_IMAGE, |json| {
        set_member(json, "x-vendor", json!({"anything": [1, 2, null]}));
        // A member of another kind, even of the wrong type, is not read.
        set_member(json, "manifests", json!("not a list"));
        set(json, "/layers/0/urls", json!(["https://example.com/layer"]));
        set(json, "/config/annotations", json!({"a": "b"}));
        remove(json, "/layers/1/mediaType");
    });
    let image = accepted(&text, None);
    assert_eq!(image.required_layers().len(), 4);
    assert_eq!(image.required_layers()[2].media_type, None);
}

// ---- structure: missing members and wrong JSON types ----

#[test]
fn an_image_manifest_missing_a_member_berth_needs_is_invalid_json_syntax() {
    for pointer in [
        "/schemaVersion",
        "/config",
        "/layers",
        "/config/digest",
        "/config/size",
        "/layers/1/digest",
        "/layers/2/size",
    ] {
        let text = edited(DOCKER_IMAGE, |json| remove(json, pointer));
        assert_invalid_json(&text, None);
    }
    let text = edited(OCI_ARTIFACT, |json| remove(json, "/subject/digest"));
    assert_invalid_json(&text, None);
}

#[test]
fn an_index_missing_a_member_berth_needs_is_invalid_json_syntax() {
    for pointer in [
        "/schemaVersion",
        "/manifests",
        "/manifests/0/digest",
        "/manifests/1/size",
    ] {
        let text = edited(OCI_INDEX_JSON, |json| remove(json, pointer));
        assert_invalid_json(&text, None);
    }
    // An image manifest declared as an index, and the reverse.
    assert_invalid_json(HELM_CHART, Some(OCI_INDEX));
    let no_type = edited(OCI_INDEX_JSON, |json| remove(json, "/mediaType"));
    assert_invalid_json(&no_type, Some(OCI_MANIFEST));
}

#[test]
fn members_of_the_wrong_json_type_are_invalid_json_syntax() {
    let image_cases = [
        ("/schemaVersion", json!("2")),
        ("/schemaVersion", json!(2.0)),
        ("/schemaVersion", json!(-2)),
        ("/schemaVersion", json!(null)),
        ("/config", json!([])),
        ("/config", json!(null)),
        ("/layers", json!({})),
        ("/layers", json!(null)),
        ("/layers/0", json!("sha256:00")),
        ("/layers/0/size", json!("32654")),
        ("/layers/0/size", json!(-1)),
        ("/layers/0/size", json!(1.5)),
        ("/layers/0/size", json!(1e30)),
        ("/layers/0/digest", json!(12)),
        ("/layers/0/mediaType", json!(7)),
        ("/config/digest", json!(null)),
    ];
    for (pointer, value) in image_cases {
        let text = edited(DOCKER_IMAGE, |json| set(json, pointer, value.clone()));
        assert_invalid_json(&text, None);
    }
    let artifact_cases = [
        ("/artifactType", json!(3)),
        ("/annotations", json!([])),
        (
            "/annotations/org.opencontainers.image.created",
            json!(20261130),
        ),
        ("/subject", json!("sha256:00")),
        ("/subject/size", json!("1035")),
    ];
    for (pointer, value) in artifact_cases {
        let text = edited(OCI_ARTIFACT, |json| set(json, pointer, value.clone()));
        assert_invalid_json(&text, None);
    }
    let index_cases = [
        ("/manifests", json!({})),
        ("/manifests/0/platform", json!("linux/amd64")),
        ("/manifests/0/platform/os", json!(["linux"])),
        ("/manifests/1/platform/variant", json!(8)),
    ];
    for (pointer, value) in index_cases {
        let text = edited(OCI_INDEX_JSON, |json| set(json, pointer, value.clone()));
        assert_invalid_json(&text, None);
    }
}

#[test]
fn a_schema_version_other_than_2_is_invalid_json_syntax() {
    for version in [0, 1, 3] {
        let text = edited(OCI_IMAGE, |json| {
            set(json, "/schemaVersion", json!(version))
        });
        assert_invalid_json(&text, None);
        let text = edited(OCI_INDEX_JSON, |json| {
            set(json, "/schemaVersion", json!(version))
        });
        assert_invalid_json(&text, None);
    }
}

#[test]
fn a_descriptor_digest_that_is_not_a_digest_is_invalid_json_syntax() {
    for digest in [
        "",
        "sha256",
        "sha256:",
        "sha256:xyz",
        "sha256:ab cd",
        ":00",
        "sha256:0:1",
    ] {
        let text = edited(DOCKER_IMAGE, |json| {
            set(json, "/layers/1/digest", json!(digest))
        });
        assert_invalid_json(&text, None);
        let text = edited(OCI_INDEX_JSON, |json| {
            set(json, "/manifests/0/digest", json!(digest))
        });
        assert_invalid_json(&text, None);
        let text = edited(OCI_ARTIFACT, |json| {
            set(json, "/subject/digest", json!(digest))
        });
        assert_invalid_json(&text, None);
    }
    // Another algorithm is a digest: the layer is simply not in the repository (step 6).
    let sha512 = format!("sha512:{}{}", hex64('a'), hex64('b'));
    let text = edited(DOCKER_IMAGE, |json| {
        set(json, "/layers/1/digest", json!(sha512))
    });
    assert_eq!(accepted(&text, None).required_layers()[2].digest, sha512);
}

// ---- references: uppercase hex, repeats ----

#[test]
fn uppercase_hex_in_references_names_the_same_content() {
    let upper = format!("sha256:{}", hex64('C'));
    let lower = format!("sha256:{}", hex64('c'));
    let mixed = format!("sha256:{}{}", "D".repeat(32), "d".repeat(32));
    let text = edited(DOCKER_IMAGE, |json| {
        set(json, "/config/digest", json!(upper));
        set(json, "/layers/0/digest", json!(lower));
        set(json, "/layers/1/digest", json!(mixed));
        set(json, "/layers/2/digest", json!(upper));
    });
    let image = accepted(&text, None);
    assert_eq!(
        digests(image.required_layers()),
        [lower.as_str(), &format!("sha256:{}", hex64('d'))]
    );
    // Repeated layers count once as references, every time in the size (§8 sums them all).
    assert_eq!(image.image_size_in_bytes(|_| None), 129_510);

    let index = edited(OCI_INDEX_JSON, |json| {
        set(json, "/manifests/0/digest", json!(upper));
        set(json, "/manifests/1/digest", json!(lower));
    });
    assert_eq!(
        digests(accepted(&index, None).required_images())[..1],
        [lower.as_str()]
    );
    assert_eq!(accepted(&index, None).required_images().len(), 2);
}

// ---- §4 step 5: the caller's digest ----

#[test]
fn a_given_digest_must_be_the_manifests_digest() {
    let manifest = image_manifest(OCI_IMAGE);
    let computed = format!("sha256:{OCI_IMAGE_SHA256}");
    let read = manifest::read(&manifest, None, Some(&computed)).expect("the same digest");
    assert_eq!(read.digest(), computed);
    // Either case of hex names the same bytes.
    let upper = format!("sha256:{}", OCI_IMAGE_SHA256.to_uppercase());
    assert!(manifest::read(&manifest, None, Some(&upper)).is_ok());
    assert!(manifest::read(&manifest, None, None).is_ok());

    let other = format!("sha256:{}", hex64('0'));
    let sha512 = format!("sha512:{OCI_IMAGE_SHA256}{OCI_IMAGE_SHA256}");
    let prefix = format!("sha256:{}", &OCI_IMAGE_SHA256[..63]);
    let upper_algorithm = format!("SHA256:{OCI_IMAGE_SHA256}");
    for given in [
        other.as_str(),
        &sha512,
        &prefix,
        &upper_algorithm,
        "garbage",
    ] {
        let error = manifest::read(&manifest, None, Some(given)).expect_err(given);
        let expected = ImageDigestDoesNotMatchException::new(format!(
            "The image digest '{given}' does not match the digest '{computed}' of the manifest"
        ));
        assert_eq!(
            error,
            PutImageError::ImageDigestDoesNotMatchException(expected)
        );
        assert_eq!(error.type_name(), "ImageDigestDoesNotMatchException");
    }
}

#[test]
fn a_manifest_berth_cannot_read_is_reported_before_a_digest_mismatch() {
    let other = format!("sha256:{}", hex64('0'));
    let error = manifest::read(&image_manifest("{"), None, Some(&other)).expect_err("not JSON");
    assert_eq!(error.type_name(), "InvalidParameterException");
    assert_eq!(message_of(&error), INVALID_JSON);
    let error = manifest::read(
        &image_manifest(HELM_CHART),
        Some("text/plain"),
        Some(&other),
    )
    .expect_err("unsupported");
    assert_eq!(message_of(&error), UNSUPPORTED);
}

// ---- §4 step 6: the errors for missing references ----

#[test]
fn missing_layers_and_images_are_named_in_ecrs_words() {
    let a = format!("sha256:{}", hex64('a'));
    let b = format!("sha256:{}", hex64('b'));
    let layers = manifest::layers_not_found(&[&a, &b], "team/app", "123456789012");
    assert_eq!(layers.type_name(), "LayersNotFoundException");
    assert_eq!(
        message_of(&layers),
        format!(
            "Layers with digests '[{a}, {b}]' required for pushing image into repository with \
             name 'team/app' in the registry with id '123456789012' do not exist"
        )
    );
    let images = manifest::referenced_images_not_found(&[&a], "app", "210987654321");
    assert_eq!(images.type_name(), "ReferencedImagesNotFoundException");
    assert_eq!(
        message_of(&images),
        format!(
            "Images with digests '[{a}]' required for pushing image into repository with name \
             'app' in the registry with id '210987654321' do not exist"
        )
    );
}

#[test]
fn the_image_size_saturates_at_the_models_long() {
    let huge = i64::MAX as u64;
    let text = edited(DOCKER_IMAGE, |json| {
        set(json, "/config/size", json!(huge));
        set(json, "/layers/0/size", json!(huge));
        set(json, "/layers/1/size", json!(u64::MAX));
    });
    assert_eq!(
        accepted(&text, None).image_size_in_bytes(|_| None),
        i64::MAX
    );
    let text = edited(DOCKER_IMAGE, |json| set(json, "/config/size", json!(0)));
    assert_eq!(
        accepted(&text, None).image_size_in_bytes(|_| None),
        129_510 - 7023
    );
}
