//! The ARN and URI formats ECR hands out, and the parsing of repository ARNs given back.
//! Every part is a validated model type ([`Scope`], [`RepositoryName`]), so what is
//! formatted here always parses back, and what parses is always a repository Berth could
//! hold. Image ARNs and URIs (by `ImageDigest` or `ImageTag`) go here too when they come.

use std::fmt;

use ecr_generated::types::{Region, RegistryId, RepositoryName};

use crate::store::Scope;

const ARN_PREFIX: &str = "arn:aws:ecr:";
const REPOSITORY_RESOURCE_PREFIX: &str = "repository/";

/// `arn:aws:ecr:<region>:<account>:repository/<name>`. `name` is a repository name, or `*`
/// (every repository, as access-denied messages for list calls say).
pub fn repository_arn_text(region: &Region, account_id: &RegistryId, name: &str) -> String {
    let mut arn = repository_arn_prefix(region, account_id);
    arn.push_str(name);
    arn
}

/// `arn:aws:ecr:<region>:<account>:repository/`, what every repository ARN of a registry
/// starts with. Built by concatenation, not `format!`: pages build 100 of these.
pub fn repository_arn_prefix(region: &Region, account_id: &RegistryId) -> String {
    concat(&[
        ARN_PREFIX,
        region,
        ":",
        account_id,
        ":",
        REPOSITORY_RESOURCE_PREFIX,
    ])
}

/// The parts, joined, in a string allocated once.
fn concat(parts: &[&str]) -> String {
    let mut text = String::with_capacity(parts.iter().map(|part| part.len()).sum());
    for part in parts {
        text.push_str(part);
    }
    text
}

/// The ARN of a KMS key: ECR's AWS-managed key when a repository asks for KMS without one.
pub fn kms_key_arn(scope: &Scope, key_id: &str) -> String {
    format!(
        "arn:aws:kms:{}:{}:key/{key_id}",
        scope.region, scope.account_id
    )
}

/// Who the caller is, as AWS names it in access-denied messages.
pub fn caller_arn(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:root")
}

/// A repository's ARN: `arn:aws:ecr:<region>:<account>:repository/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryArn {
    pub scope: Scope,
    pub name: RepositoryName,
}

/// Why a string given as a repository ARN names no repository Berth could hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnError {
    /// Not an ECR repository ARN at all (ECR's "Invalid ARN").
    Malformed,
    /// A well-formed ARN of a real registry whose name breaks the naming rules: no
    /// repository can have it, so it is simply not found.
    ImpossibleName { scope: Scope, name: String },
}

impl RepositoryArn {
    /// Parses `arn:aws:ecr:<region>:<account>:repository/<name>`, each part checked by the
    /// model's rules (`Region`, `RegistryId`, `RepositoryName`).
    pub fn parse(text: &str) -> Result<RepositoryArn, ArnError> {
        let parts = || -> Option<(&str, &str, &str)> {
            let rest = text.strip_prefix(ARN_PREFIX)?;
            let (region, rest) = rest.split_once(':')?;
            let (account_id, resource) = rest.split_once(':')?;
            let name = resource.strip_prefix(REPOSITORY_RESOURCE_PREFIX)?;
            Some((region, account_id, name))
        };
        let (region, account_id, name) = parts().ok_or(ArnError::Malformed)?;
        let scope = Scope {
            account_id: RegistryId::try_from(account_id).map_err(|_| ArnError::Malformed)?,
            region: Region::try_from(region).map_err(|_| ArnError::Malformed)?,
        };
        if name.is_empty() {
            return Err(ArnError::Malformed);
        }
        match RepositoryName::try_from(name) {
            Ok(name) => Ok(RepositoryArn { scope, name }),
            Err(_) => Err(ArnError::ImpossibleName {
                scope,
                name: name.to_owned(),
            }),
        }
    }
}

impl fmt::Display for RepositoryArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&repository_arn_text(
            &self.scope.region,
            &self.scope.account_id,
            &self.name,
        ))
    }
}

/// Where clients are told a registry is: the host of every `repositoryUri` and
/// `proxyEndpoint`. By default AWS's, `<account>.dkr.ecr.<region>.amazonaws.com` over
/// HTTPS, as ECR answers; set to where Berth's own `/v2` registry is reached
/// (`--registry-host`), over plain HTTP, so the URI Berth answers is one `docker push`
/// takes as it is. The host may carry `{account}` and `{region}`, filled per registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryHost {
    host: Vec<Piece>,
    port: Option<u16>,
    scheme: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Account,
    Region,
}

const ACCOUNT_PLACEHOLDER: &str = "{account}";
const REGION_PLACEHOLDER: &str = "{region}";
/// Longest DNS name and label (RFC 1035): a longer host cannot be looked up.
const MAX_HOST_NAME_BYTES: usize = 253;
const MAX_HOST_LABEL_BYTES: usize = 63;

impl Default for RegistryHost {
    fn default() -> RegistryHost {
        RegistryHost::aws()
    }
}

impl RegistryHost {
    /// AWS's hosts, `<account>.dkr.ecr.<region>.amazonaws.com`, over HTTPS: what ECR answers.
    pub fn aws() -> RegistryHost {
        RegistryHost {
            host: vec![
                Piece::Account,
                Piece::Text(".dkr.ecr.".into()),
                Piece::Region,
                Piece::Text(".amazonaws.com".into()),
            ],
            port: None,
            scheme: "https",
        }
    }

    /// Whether this is AWS's form (the default), not a host of Berth's.
    pub fn is_aws(&self) -> bool {
        *self == RegistryHost::aws()
    }

    /// The registry's `host[:port]`, where `docker login` and `docker push` go.
    pub fn host(&self, scope: &Scope) -> String {
        let mut text = String::new();
        for piece in &self.host {
            text.push_str(match piece {
                Piece::Text(text) => text,
                Piece::Account => &scope.account_id,
                Piece::Region => &scope.region,
            });
        }
        if let Some(port) = self.port {
            text.push(':');
            text.push_str(&port.to_string());
        }
        text
    }

    /// GetAuthorizationToken's `proxyEndpoint`: `https://` for AWS's hosts, `http://` for
    /// Berth's (its registry speaks plain HTTP).
    pub fn proxy_endpoint(&self, scope: &Scope) -> String {
        format!("{}://{}", self.scheme, self.host(scope))
    }

    /// What every repository URI of a registry starts with: its host, then `/`.
    pub fn repository_uri_prefix(&self, scope: &Scope) -> String {
        let mut prefix = self.host(scope);
        prefix.push('/');
        prefix
    }

    /// A repository's URI, what `docker push` and Terraform use: `<host>/<name>`.
    pub fn repository_uri(&self, scope: &Scope, name: &RepositoryName) -> String {
        self.repository_uri_prefix(scope) + name
    }
}

/// The host as it was given (placeholders unfilled), e.g. for logs.
impl fmt::Display for RegistryHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in &self.host {
            f.write_str(match piece {
                Piece::Text(text) => text,
                Piece::Account => ACCOUNT_PLACEHOLDER,
                Piece::Region => REGION_PLACEHOLDER,
            })?;
        }
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

/// Why a registry host was refused, in a sentence for whoever set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRegistryHost(String);

impl fmt::Display for InvalidRegistryHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidRegistryHost {}

/// `HOST[:PORT]`: a DNS name or IPv4 address (which may hold `{account}` and `{region}`), or
/// an IPv6 address in brackets. Refused: a scheme or path (a registry is named by its host
/// alone), an empty or malformed name or port, an unknown placeholder, and a bare name with
/// neither a dot nor a port other than `localhost`: docker and podman read `name/repo` as a
/// Docker Hub repository, so such a URI would never reach Berth.
impl std::str::FromStr for RegistryHost {
    type Err = InvalidRegistryHost;

    fn from_str(text: &str) -> Result<RegistryHost, InvalidRegistryHost> {
        let refuse = |why: String| Err(InvalidRegistryHost(format!("'{text}' {why}")));
        if text.is_empty() {
            return Err(InvalidRegistryHost(
                "the registry host is empty: give HOST[:PORT], like localhost:4566".into(),
            ));
        }
        if text.contains("://") {
            return refuse(
                "has a scheme: give the host alone, like localhost:4566 (Berth's registry speaks plain HTTP)"
                    .into(),
            );
        }
        if text.contains('/') {
            return refuse("has a path: give the host alone, HOST[:PORT]".into());
        }
        let (host, port) = match text.strip_prefix('[') {
            Some(bracketed) => {
                let Some((address, rest)) = bracketed.split_once(']') else {
                    return refuse("opens '[' without closing it".into());
                };
                if address.parse::<std::net::Ipv6Addr>().is_err() {
                    return refuse(format!("has '{address}' in brackets, not an IPv6 address"));
                }
                let port = match rest {
                    "" => None,
                    _ => match rest.strip_prefix(':') {
                        Some(port) => Some(port),
                        None => return refuse("has text after the IPv6 address's ']'".into()),
                    },
                };
                (vec![Piece::Text(format!("[{address}]"))], port)
            }
            None => {
                let (name, port) = match text.split_once(':') {
                    Some((name, port)) => (name, Some(port)),
                    None => (text, None),
                };
                if name.is_empty() {
                    return refuse("has no host name before its port".into());
                }
                let host = match host_pieces(name) {
                    Ok(host) => host,
                    Err(why) => return refuse(why),
                };
                if let Err(why) = check_host_name(&host) {
                    return refuse(why);
                }
                if port.is_none() && !name.contains('.') && name != "localhost" {
                    return refuse(format!(
                        "is a bare name: docker and podman would read '{name}/NAME' as a Docker Hub \
                         repository; add the port ({name}:4566) or a domain"
                    ));
                }
                (host, port)
            }
        };
        let port = match port {
            None => None,
            Some(port) => match port.parse::<u16>() {
                // `parse` alone would take "+80".
                Ok(number) if number != 0 && number.to_string() == port => Some(number),
                _ => return refuse(format!("has '{port}' as its port: use 1 to 65535")),
            },
        };
        Ok(RegistryHost {
            host,
            port,
            scheme: "http",
        })
    }
}

/// The literal text and placeholders of a host name.
fn host_pieces(name: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = name;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            pieces.push(Piece::Text(rest[..open].to_owned()));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err("opens '{' without closing it".into());
        };
        let placeholder = &rest[open..open + close + 1];
        pieces.push(match placeholder {
            ACCOUNT_PLACEHOLDER => Piece::Account,
            REGION_PLACEHOLDER => Piece::Region,
            other => {
                return Err(format!(
                    "has the placeholder {other}: only {ACCOUNT_PLACEHOLDER} and {REGION_PLACEHOLDER} are filled"
                ));
            }
        });
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Ok(pieces)
}

/// Checks the host name every registry gets: letters, digits, '-' and '.', in labels of 1 to
/// 63 characters that neither start nor end with '-', at most 253 in all. Placeholders are
/// checked at their longest (an account id is 12 digits, a region at most 25 of
/// `[0-9a-z-]`), so no registry's host breaks a rule the template passed.
fn check_host_name(pieces: &[Piece]) -> Result<(), String> {
    let widest = RegistryHost {
        host: pieces.to_vec(),
        port: None,
        scheme: "http",
    }
    .host(&Scope {
        account_id: "123456789012".parse().expect("a valid account id"),
        region: "a".repeat(25).parse().expect("a valid region"),
    });
    let literal: String = pieces
        .iter()
        .filter_map(|piece| match piece {
            Piece::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    if let Some(bad) = literal
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(format!(
            "has '{bad}': a host name holds only letters, digits, '-' and '.'"
        ));
    }
    if widest.len() > MAX_HOST_NAME_BYTES {
        return Err(format!(
            "is too long: a host name has at most {MAX_HOST_NAME_BYTES} characters"
        ));
    }
    for label in widest.split('.') {
        if label.is_empty() {
            return Err("has an empty part between dots".into());
        }
        if label.len() > MAX_HOST_LABEL_BYTES {
            return Err(format!(
                "has a part longer than {MAX_HOST_LABEL_BYTES} characters between dots"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("has a part that starts or ends with '-'".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(account_id: &str, region: &str) -> Scope {
        Scope {
            account_id: account_id.parse().unwrap(),
            region: region.parse().unwrap(),
        }
    }

    #[test]
    fn formats_match_aws() {
        let arn = RepositoryArn {
            scope: scope("123456789012", "eu-west-1"),
            name: "team/app".parse().unwrap(),
        };
        assert_eq!(
            arn.to_string(),
            "arn:aws:ecr:eu-west-1:123456789012:repository/team/app"
        );
        let aws = RegistryHost::default();
        assert!(aws.is_aws());
        assert_eq!(
            aws.repository_uri(&arn.scope, &arn.name),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app"
        );
        assert_eq!(
            aws.proxy_endpoint(&arn.scope),
            "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"
        );
        assert_eq!(caller_arn("123456789012"), "arn:aws:iam::123456789012:root");
    }

    #[test]
    fn parses_what_it_formats() {
        let arn = RepositoryArn {
            scope: scope("123456789012", "us-east-1"),
            name: "a/b/c".parse().unwrap(),
        };
        assert_eq!(RepositoryArn::parse(&arn.to_string()), Ok(arn));
    }

    #[test]
    fn a_name_no_repository_can_have_is_told_apart() {
        assert_eq!(
            RepositoryArn::parse("arn:aws:ecr:us-east-1:123456789012:repository/App"),
            Err(ArnError::ImpossibleName {
                scope: scope("123456789012", "us-east-1"),
                name: "App".into()
            })
        );
    }

    #[test]
    fn rejects_everything_else() {
        for text in [
            "",
            "invalid",
            "arn:aws:ecr:us-east-1:123456789012:repository/",
            "arn:aws:ecr:us-east-1:123456789012:repository",
            "arn:aws:ecr:us-east-1:123456789012:image/app",
            "arn:aws:ecr:us-east-1:12345678901:repository/app",
            "arn:aws:ecr:us-east-1:1234567890123:repository/app",
            "arn:aws:ecr:us-east-1:12345678901x:repository/app",
            "arn:aws:ecr::123456789012:repository/app",
            "arn:aws:ecr:US-EAST-1:123456789012:repository/app",
            "arn:aws:s3:us-east-1:123456789012:repository/app",
            "arn:aws:ecr-public::123456789012:repository/app",
            "arn:aws:ecr:us-east-1:123456789012",
        ] {
            assert_eq!(
                RepositoryArn::parse(text),
                Err(ArnError::Malformed),
                "{text}"
            );
        }
    }

    #[test]
    fn a_berth_host_is_plain_http_and_fills_its_placeholders() {
        let registry = scope("111122223333", "eu-west-1");
        let name: RepositoryName = "team/app".parse().unwrap();
        let local: RegistryHost = "localhost:4566".parse().unwrap();
        assert!(!local.is_aws());
        assert_eq!(
            local.repository_uri(&registry, &name),
            "localhost:4566/team/app"
        );
        assert_eq!(local.proxy_endpoint(&registry), "http://localhost:4566");

        let template = "{account}.dkr.ecr.{region}.localhost:4566";
        let per_registry: RegistryHost = template.parse().unwrap();
        assert_eq!(
            per_registry.repository_uri(&registry, &name),
            "111122223333.dkr.ecr.eu-west-1.localhost:4566/team/app"
        );
        assert_eq!(
            per_registry.proxy_endpoint(&scope("123456789012", "us-east-1")),
            "http://123456789012.dkr.ecr.us-east-1.localhost:4566"
        );
        // Berth's own spelling of AWS's host is still Berth's: plain HTTP.
        let lookalike: RegistryHost = "{account}.dkr.ecr.{region}.amazonaws.com".parse().unwrap();
        assert!(!lookalike.is_aws());
        assert_eq!(
            lookalike.proxy_endpoint(&registry),
            "http://111122223333.dkr.ecr.eu-west-1.amazonaws.com"
        );

        for (text, host) in [
            ("localhost", "localhost"),
            ("registry.test", "registry.test"),
            ("127.0.0.1:5000", "127.0.0.1:5000"),
            ("[::1]:4566", "[::1]:4566"),
            ("[::1]", "[::1]"),
            ("Berth.Example:65535", "Berth.Example:65535"),
            ("ecr-{region}.internal", "ecr-eu-west-1.internal"),
            ("my-host:1", "my-host:1"),
        ] {
            let parsed: RegistryHost = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed.host(&registry), host, "{text}");
            assert_eq!(parsed.to_string(), text, "shown as given");
        }
        assert_eq!(per_registry.to_string(), template);
    }

    #[test]
    fn a_host_no_client_could_reach_is_refused_saying_why() {
        for (text, why) in [
            ("", "empty"),
            ("http://localhost:4566", "scheme"),
            ("localhost:4566/v2", "path"),
            ("localhost:0", "port"),
            ("localhost:65536", "port"),
            ("localhost:+80", "port"),
            ("localhost:", "port"),
            ("localhost:45a", "port"),
            ("a:b:c", "port"),
            (":4566", "no host name"),
            ("::1", "no host name"),
            ("[::1", "'['"),
            ("[nope]:1", "IPv6"),
            ("[::1]x", "after"),
            ("berth", "Docker Hub"),
            ("{account}", "Docker Hub"),
            ("under_score.test", "'_'"),
            ("spa ce.test", "' '"),
            ("caf\u{e9}.test", "'\u{e9}'"),
            ("a..b", "empty part"),
            (".a", "empty part"),
            ("-a.test", "'-'"),
            ("a-.test", "'-'"),
            ("{acount}.test", "{acount}"),
            ("{account.test", "'{'"),
            ("x}.test", "'}'"),
            ("{region}{region}{region}.test", "longer than 63"),
            (&format!("{}.test", "a".repeat(64)), "longer than 63"),
            (&vec!["a".repeat(60); 5].join("."), "at most 253"),
        ] {
            let error = text.parse::<RegistryHost>().unwrap_err().to_string();
            assert!(error.contains(why), "{text:?}: {error}");
            if !text.is_empty() {
                assert!(error.contains(&format!("'{text}'")), "{text:?}: {error}");
            }
        }
    }
}
