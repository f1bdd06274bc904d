//! The host names of the cloud registries ecluse-cred derives targets from, and nothing looser:
//! CodeArtifact's `DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com` (`.amazonaws.com.cn` in the
//! China partition, and only there) and Artifact Registry's `LOCATION-FORMAT.pkg.dev`. The
//! derivation of a target from a request ([`crate::resolve`]) and the check that no configured
//! target is named like one ([`crate::config`]) read the same grammar.

use std::time::Duration;

use ecluse_cred_contract::backend::{Backend, Seconds};

/// Lifetime asked for on derived CodeArtifact targets: the longest the API gives.
pub const DERIVED_CODEARTIFACT_DURATION: Duration = Duration::from_secs(12 * 3600);
/// Artifact Registry repository formats that appear in `LOCATION-FORMAT.pkg.dev` hosts.
const ARTIFACT_REGISTRY_FORMATS: [&str; 8] = [
    "docker", "python", "npm", "maven", "apt", "yum", "go", "generic",
];

/// The backend settings a cloud registry host implies: a CodeArtifact host names its domain,
/// owner and region; an Artifact Registry host means Google ADC. `None` for any other host (the
/// shapes are strict: look-alikes do not match).
pub fn for_cloud_host(host: &str) -> Option<Backend> {
    let host = host.to_ascii_lowercase();
    codeartifact_host(&host).or_else(|| artifact_registry_host(&host))
}

/// `DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com` (or `.amazonaws.com.cn`).
fn codeartifact_host(host: &str) -> Option<Backend> {
    let labels: Vec<&str> = host.split('.').collect();
    // The China partition (`cn-*` regions) is `.amazonaws.com.cn`, and only it: a token of a
    // region in one partition never answers for a host in the other's namespace.
    let china = labels.get(3).is_some_and(|r| r.starts_with("cn-"));
    let suffix_ok = match labels.len() {
        6 => labels[4..] == ["amazonaws", "com"] && !china,
        7 => labels[4..] == ["amazonaws", "com", "cn"] && china,
        _ => false,
    };
    if !suffix_ok || labels[1] != "d" || labels[2] != "codeartifact" || !is_region(labels[3]) {
        return None;
    }
    let (domain, owner) = labels[0].rsplit_once('-')?;
    if !(is_account_id(owner) && is_codeartifact_domain(domain)) {
        return None;
    }
    Some(Backend::Codeartifact {
        domain: domain.to_owned(),
        domain_owner: Some(owner.to_owned()),
        region: Some(labels[3].to_owned()),
        duration: Some(Seconds(DERIVED_CODEARTIFACT_DURATION)),
        profile: None,
    })
}

/// `LOCATION-FORMAT.pkg.dev`.
fn artifact_registry_host(host: &str) -> Option<Backend> {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() != 3 || labels[1..] != ["pkg", "dev"] {
        return None;
    }
    let (location, format) = labels[0].rsplit_once('-')?;
    let location_ok = !location.is_empty()
        && location
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !location.starts_with('-');
    (location_ok && ARTIFACT_REGISTRY_FORMATS.contains(&format)).then_some(Backend::Gcp {
        scopes: None,
        lifetime: None,
    })
}

/// A CodeArtifact domain name: `[a-z][a-z0-9-]{0,48}[a-z0-9]`.
pub fn is_codeartifact_domain(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=50).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !b[b.len() - 1].is_ascii_uppercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// A 12-digit AWS account id, as a CodeArtifact domain owner is written.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An AWS region name such as `us-east-1`, `eu-central-2`, `us-gov-west-1`.
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}
