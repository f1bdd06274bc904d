//! The host names of the cloud registries ecluse-cred derives targets from, and nothing looser:
//! CodeArtifact's `DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com` (`.amazonaws.com.cn` in the
//! China partition, and only there), Amazon ECR's `ACCOUNT.dkr.ecr.REGION.amazonaws.com` (and
//! its FIPS, dual-stack, China and European Sovereign Cloud forms: [`ecr_host`]) and Artifact
//! Registry's `LOCATION-FORMAT.pkg.dev`. The
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
    codeartifact_host(&host)
        .or_else(|| ecr_host(&host))
        .or_else(|| artifact_registry_host(&host))
}

/// An Amazon ECR registry host, for that account and region only:
///
/// | host | partition |
/// | --- | --- |
/// | `ACCOUNT.dkr.ecr.REGION.amazonaws.com`, `ACCOUNT.dkr.ecr-fips.REGION.amazonaws.com` | aws (GovCloud too) |
/// | `ACCOUNT.dkr-ecr.REGION.on.aws`, `ACCOUNT.dkr-ecr-fips.REGION.on.aws` | dual-stack |
/// | `ACCOUNT.dkr.ecr.REGION.amazonaws.com.cn`, `ACCOUNT.dkr-ecr.REGION.on.amazonwebservices.com.cn` | aws-cn (`cn-*` regions only) |
/// | `ACCOUNT.dkr.ecr.REGION.amazonaws.eu` | European Sovereign Cloud (`eusc-*` regions only) |
///
/// The ISO partitions' hosts are not derived: configure a target with `backend = "ecr"`.
fn ecr_host(host: &str) -> Option<Backend> {
    let labels: Vec<&str> = host.split('.').collect();
    let (account, service, region, suffix) = match labels.as_slice() {
        [account, "dkr", service, region, suffix @ ..] => (*account, *service, *region, suffix),
        [account, service, region, suffix @ ..] => (*account, *service, *region, suffix),
        _ => return None,
    };
    let dotted = labels.get(1) == Some(&"dkr");
    // A region of another partition (China, the European Sovereign Cloud, the ISO ones, whose
    // hosts have suffixes of their own) never matches `amazonaws.com`.
    let region_ok = |prefix: Option<&str>| {
        is_region(region)
            && match prefix {
                Some(p) => region.starts_with(p),
                None => !["cn-", "eusc-", "us-iso", "eu-iso"]
                    .iter()
                    .any(|p| region.starts_with(p)),
            }
    };
    let ok = match (dotted, service, suffix) {
        (true, "ecr" | "ecr-fips", ["amazonaws", "com"]) => region_ok(None),
        (true, "ecr", ["amazonaws", "com", "cn"]) => region_ok(Some("cn-")),
        (true, "ecr", ["amazonaws", "eu"]) => region_ok(Some("eusc-")),
        (false, "dkr-ecr" | "dkr-ecr-fips", ["on", "aws"]) => region_ok(None),
        (false, "dkr-ecr", ["on", "amazonwebservices", "com", "cn"]) => region_ok(Some("cn-")),
        _ => false,
    };
    // The token comes from the endpoint of the same kind as the host: FIPS, dual-stack.
    let flag = |on: bool| on.then_some(true);
    (ok && is_account_id(account)).then(|| Backend::Ecr {
        registry_id: Some(account.to_owned()),
        region: Some(region.to_owned()),
        profile: None,
        fips: flag(service.ends_with("-fips")),
        dual_stack: flag(!dotted),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ecr(account: &str, region: &str, fips: bool, dual_stack: bool) -> Option<Backend> {
        Some(Backend::Ecr {
            registry_id: Some(account.to_owned()),
            region: Some(region.to_owned()),
            profile: None,
            fips: fips.then_some(true),
            dual_stack: dual_stack.then_some(true),
        })
    }

    #[test]
    fn every_ecr_host_form_derives_its_account_and_region_and_look_alikes_do_not() {
        for (host, region, fips, dual_stack) in [
            (
                "111122223333.dkr.ecr.us-east-1.amazonaws.com",
                "us-east-1",
                false,
                false,
            ),
            (
                "111122223333.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
                "us-gov-west-1",
                true,
                false,
            ),
            (
                "111122223333.dkr-ecr.eu-west-3.on.aws",
                "eu-west-3",
                false,
                true,
            ),
            (
                "111122223333.dkr-ecr-fips.us-east-2.on.aws",
                "us-east-2",
                true,
                true,
            ),
            (
                "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn",
                "cn-north-1",
                false,
                false,
            ),
            (
                "111122223333.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn",
                "cn-northwest-1",
                false,
                true,
            ),
            (
                "111122223333.dkr.ecr.eusc-de-east-1.amazonaws.eu",
                "eusc-de-east-1",
                false,
                false,
            ),
            (
                "111122223333.DKR.ECR.US-EAST-1.AMAZONAWS.COM",
                "us-east-1",
                false,
                false,
            ),
        ] {
            assert_eq!(
                for_cloud_host(host),
                ecr("111122223333", region, fips, dual_stack),
                "{host}"
            );
        }
        for host in [
            // Not 12 digits; not a region; a partition's suffix with another's region.
            "11112222333.dkr.ecr.us-east-1.amazonaws.com",
            "111122223333.dkr.ecr.useast1.amazonaws.com",
            "111122223333.dkr.ecr.cn-north-1.amazonaws.com",
            "111122223333.dkr.ecr.us-east-1.amazonaws.com.cn",
            "111122223333.dkr.ecr.us-east-1.amazonaws.eu",
            // The ISO partitions' regions have hosts of their own.
            "111122223333.dkr.ecr.us-iso-east-1.amazonaws.com",
            "111122223333.dkr.ecr.eu-isoe-west-1.amazonaws.com",
            "111122223333.dkr-ecr.us-east-1.amazonaws.com",
            "111122223333.dkr.ecr.us-east-1.on.aws",
            // Look-alikes: another domain after the shape, or labels added.
            "111122223333.dkr.ecr.us-east-1.amazonaws.com.evil.example",
            "x.111122223333.dkr.ecr.us-east-1.amazonaws.com",
            "111122223333.dkr.ecr.us-east-1.amazonaws.co",
            "public.ecr.aws",
        ] {
            assert_eq!(for_cloud_host(host), None, "{host}");
        }
    }
}
