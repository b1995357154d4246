//! The upstream registries a rule may name, by URL (`ecr-behaviour-registry.md` §5 table,
//! [real: docs]): a host, no scheme, no path.

use ecr_generated::types::UpstreamRegistry;

/// The fixed hosts and the upstream each is.
const FIXED_HOSTS: [(&str, UpstreamRegistry); 7] = [
    ("public.ecr.aws", UpstreamRegistry::EcrPublic),
    ("registry.k8s.io", UpstreamRegistry::K8s),
    ("quay.io", UpstreamRegistry::Quay),
    ("registry-1.docker.io", UpstreamRegistry::DockerHub),
    ("ghcr.io", UpstreamRegistry::GitHubContainerRegistry),
    (
        "registry.gitlab.com",
        UpstreamRegistry::GitLabContainerRegistry,
    ),
    ("cgr.dev", UpstreamRegistry::Chainguard),
];

/// The upstream `url` names, with the account of an Amazon ECR upstream; `None` for a URL
/// ECR does not support.
pub(crate) fn upstream_of(url: &str) -> Option<(UpstreamRegistry, Option<&str>)> {
    if let Some((_, upstream)) = FIXED_HOSTS.iter().find(|(host, _)| *host == url) {
        return Some((*upstream, None));
    }
    if let Some(name) = url.strip_suffix(".azurecr.io")
        && !name.is_empty()
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric())
    {
        return Some((UpstreamRegistry::AzureContainerRegistry, None));
    }
    // `<account>.dkr.ecr.<region>.amazonaws.com`
    let rest = url.strip_suffix(".amazonaws.com")?;
    let (account, rest) = rest.split_once(".dkr.ecr.")?;
    let account_ok = account.len() == 12 && account.bytes().all(|byte| byte.is_ascii_digit());
    let region_ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    (account_ok && region_ok).then_some((UpstreamRegistry::Ecr, Some(account)))
}

/// Whether ECR requires a Secrets Manager secret (`credentialArn`) for `upstream`.
pub(crate) fn needs_credentials(upstream: UpstreamRegistry) -> bool {
    matches!(
        upstream,
        UpstreamRegistry::DockerHub
            | UpstreamRegistry::GitHubContainerRegistry
            | UpstreamRegistry::GitLabContainerRegistry
            | UpstreamRegistry::AzureContainerRegistry
            | UpstreamRegistry::Chainguard
    )
}
