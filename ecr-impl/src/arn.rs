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

/// `<account>.dkr.ecr.<region>.amazonaws.com/`, what every repository URI of a registry
/// starts with (the [`RegistryHost`], then the name): the URI `docker push` and Terraform
/// use.
pub fn repository_uri_prefix(scope: &Scope) -> String {
    concat(&[
        &scope.account_id,
        REGISTRY_HOST_INFIX,
        &scope.region,
        REGISTRY_HOST_SUFFIX,
        "/",
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

/// A registry's host name, where `docker login` and `docker push` go:
/// `<account>.dkr.ecr.<region>.amazonaws.com`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistryHost<'a>(pub &'a Scope);

const REGISTRY_HOST_INFIX: &str = ".dkr.ecr.";
const REGISTRY_HOST_SUFFIX: &str = ".amazonaws.com";

impl fmt::Display for RegistryHost<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Scope { account_id, region } = self.0;
        write!(
            f,
            "{account_id}{REGISTRY_HOST_INFIX}{region}{REGISTRY_HOST_SUFFIX}"
        )
    }
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
        assert_eq!(
            repository_uri_prefix(&arn.scope) + &arn.name,
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app"
        );
        assert_eq!(
            RegistryHost(&arn.scope).to_string() + "/",
            repository_uri_prefix(&arn.scope)
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
}
