//! The ARN and URI formats ECR hands out, and the parsing of repository ARNs given back.

/// `arn:aws:ecr:<region>:<account>:repository/<name>`; `name` may contain `/`, or be `*`
/// (every repository, as access-denied messages for list calls say).
pub fn repository_arn(region: &str, account_id: &str, name: &str) -> String {
    format!("arn:aws:ecr:{region}:{account_id}:repository/{name}")
}

/// `<account>.dkr.ecr.<region>.amazonaws.com/<name>`: what `docker push` and Terraform use.
pub fn repository_uri(account_id: &str, region: &str, name: &str) -> String {
    format!("{account_id}.dkr.ecr.{region}.amazonaws.com/{name}")
}

/// The ARN of a KMS key: ECR's AWS-managed key when a repository asks for KMS without one.
pub fn kms_key_arn(region: &str, account_id: &str, key_id: &str) -> String {
    format!("arn:aws:kms:{region}:{account_id}:key/{key_id}")
}

/// Who the caller is, as AWS names it in access-denied messages.
pub fn caller_arn(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:root")
}

/// The parts of an ECR repository ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryArn {
    pub region: String,
    pub account_id: String,
    pub name: String,
}

const ARN_PREFIX: &str = "arn:aws:ecr:";
const REPOSITORY_RESOURCE_PREFIX: &str = "repository/";
const ACCOUNT_ID_DIGITS: usize = 12;

impl RepositoryArn {
    /// Parses `arn:aws:ecr:<region>:<12-digit account>:repository/<name>`; `None` for
    /// anything else. The name is not checked against the naming rules: a name no
    /// repository can have is simply not found.
    pub fn parse(text: &str) -> Option<RepositoryArn> {
        let rest = text.strip_prefix(ARN_PREFIX)?;
        let (region, rest) = rest.split_once(':')?;
        let (account_id, resource) = rest.split_once(':')?;
        let name = resource.strip_prefix(REPOSITORY_RESOURCE_PREFIX)?;
        let region_is_valid = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let account_is_valid =
            account_id.len() == ACCOUNT_ID_DIGITS && account_id.bytes().all(|b| b.is_ascii_digit());
        if !region_is_valid || !account_is_valid || name.is_empty() {
            return None;
        }
        Some(RepositoryArn {
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_aws() {
        assert_eq!(
            repository_arn("eu-west-1", "123456789012", "team/app"),
            "arn:aws:ecr:eu-west-1:123456789012:repository/team/app"
        );
        assert_eq!(
            repository_uri("123456789012", "eu-west-1", "team/app"),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app"
        );
        assert_eq!(caller_arn("123456789012"), "arn:aws:iam::123456789012:root");
    }

    #[test]
    fn parses_what_it_formats() {
        let text = repository_arn("us-east-1", "123456789012", "a/b/c");
        assert_eq!(
            RepositoryArn::parse(&text),
            Some(RepositoryArn {
                region: "us-east-1".into(),
                account_id: "123456789012".into(),
                name: "a/b/c".into()
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
            assert_eq!(RepositoryArn::parse(text), None, "{text}");
        }
    }
}
