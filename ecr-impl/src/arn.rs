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
    format!("{ARN_PREFIX}{region}:{account_id}:{REPOSITORY_RESOURCE_PREFIX}{name}")
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

/// A repository's URI, what `docker push` and Terraform use:
/// `<account>.dkr.ecr.<region>.amazonaws.com/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryUri<'a> {
    pub scope: &'a Scope,
    pub name: &'a RepositoryName,
}

impl fmt::Display for RepositoryUri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", RegistryHost(self.scope), self.name)
    }
}

/// A registry's host name, where `docker login` and `docker push` go:
/// `<account>.dkr.ecr.<region>.amazonaws.com`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistryHost<'a>(pub &'a Scope);

impl fmt::Display for RegistryHost<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Scope { account_id, region } = self.0;
        write!(f, "{account_id}.dkr.ecr.{region}.amazonaws.com")
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
        let uri = RepositoryUri {
            scope: &arn.scope,
            name: &arn.name,
        };
        assert_eq!(
            uri.to_string(),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app"
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
