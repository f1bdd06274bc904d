//! Environment variables that override what `setup` writes into a client's config: set, they
//! make the client use another index or no keyring while setup says "now: pip install" and the
//! file looks right. One table for setup (a warning) and doctor (a FAIL). Their values are
//! never shown: an index URL in the environment may carry a password.

use crate::cli::SetupClient;
use crate::request::Request;

/// One variable that overrides a key setup writes for `client`.
struct Override {
    client: SetupClient,
    /// The variable, or its prefix and suffix around the registry's name (cargo).
    var: Var,
    /// What it overrides, for the message.
    overrides: &'static str,
    /// When it does harm, given its value and the URL setup wires.
    harms: fn(value: &str, url: &str) -> bool,
    /// Whether setup wrote what it overrides, this time.
    applies: fn(&Wrote<'_>) -> bool,
}

/// What setup wrote besides the client's URL, which decides what a variable overrides.
#[derive(Default)]
pub struct Wrote<'a> {
    /// cargo's name for the registry.
    pub registry: Option<&'a str>,
    /// npm: only a scope's registry (`@scope:registry=`), which `npm_config_registry` leaves be.
    pub npm_scope_only: bool,
    /// go: GOPROXY as well (`--proxy`).
    pub go_proxy: bool,
    /// pip, uv, pdm: an extra index, not the default one (`--extra`).
    pub extra: bool,
}

fn any(_: &Wrote<'_>) -> bool {
    true
}

enum Var {
    Exact(&'static str),
    /// `PREFIX{NAME}SUFFIX`, NAME the cargo registry's name as cargo spells it in a variable.
    Registry(&'static str, &'static str),
}

/// Another URL than the one setup wires (userinfo, a trailing slash and `sparse+` aside).
fn other_url(value: &str, url: &str) -> bool {
    let same = |a: &str| Request::url(a).ok().map(|r| r.written());
    value
        .split_whitespace()
        .next()
        .is_none_or(|v| same(v) != same(url))
}

/// pip's index: another URL, or the same without the user pip up to 26.1 needs to ask the
/// keyring (setup writes one).
fn other_index(value: &str, url: &str) -> bool {
    other_url(value, url) || !super::pip::names_user(value)
}

/// A GOPROXY list without the URL.
fn not_listed(value: &str, url: &str) -> bool {
    !value.split([',', '|']).any(|v| !other_url(v, url))
}

/// A GOAUTH that does not run ecluse-cred.
fn not_ours(value: &str, _: &str) -> bool {
    !value.contains("ecluse-cred")
}

fn not_subprocess(value: &str, _: &str) -> bool {
    value.trim() != "subprocess"
}

fn always(_: &str, _: &str) -> bool {
    true
}

/// A keyring backend other than the chainer, which asks ecluse-cred's among the others.
fn not_chainer(value: &str, _: &str) -> bool {
    value.trim() != super::pykeyring::CHAINER
}

/// A value Poetry reads as false.
fn falsy(value: &str, _: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "false" | "0" | "no" | "off"
    )
}

const OVERRIDES: [Override; 23] = [
    Override {
        client: SetupClient::Pip,
        var: Var::Exact("PIP_INDEX_URL"),
        overrides: "pip.conf's index-url",
        harms: other_index,
        applies: any,
    },
    Override {
        client: SetupClient::Pip,
        var: Var::Exact("PIP_KEYRING_PROVIDER"),
        overrides: "pip.conf's keyring-provider = subprocess",
        harms: not_subprocess,
        applies: any,
    },
    Override {
        client: SetupClient::Pip,
        var: Var::Exact("PIP_NO_INDEX"),
        overrides: "every index",
        harms: always,
        applies: any,
    },
    Override {
        client: SetupClient::Uv,
        var: Var::Exact("UV_INDEX_URL"),
        overrides: "uv.toml's default index",
        harms: other_url,
        applies: any,
    },
    Override {
        client: SetupClient::Uv,
        var: Var::Exact("UV_DEFAULT_INDEX"),
        overrides: "uv.toml's default index",
        harms: other_url,
        applies: any,
    },
    Override {
        client: SetupClient::Uv,
        var: Var::Exact("UV_KEYRING_PROVIDER"),
        overrides: "uv.toml's keyring-provider = \"subprocess\"",
        harms: not_subprocess,
        applies: any,
    },
    Override {
        client: SetupClient::Uv,
        var: Var::Exact("UV_NO_CONFIG"),
        overrides: "the whole uv.toml",
        harms: always,
        applies: any,
    },
    Override {
        client: SetupClient::Npm,
        var: Var::Exact("NPM_CONFIG_REGISTRY"),
        overrides: "the .npmrc's registry",
        harms: other_url,
        applies: |w| !w.npm_scope_only,
    },
    Override {
        client: SetupClient::Npm,
        var: Var::Exact("npm_config_registry"),
        overrides: "the .npmrc's registry",
        harms: other_url,
        applies: |w| !w.npm_scope_only,
    },
    Override {
        client: SetupClient::Cargo,
        var: Var::Registry("CARGO_REGISTRIES_", "_INDEX"),
        overrides: "the registry's index in cargo's config",
        harms: other_url,
        applies: any,
    },
    Override {
        client: SetupClient::Cargo,
        var: Var::Registry("CARGO_REGISTRIES_", "_CREDENTIAL_PROVIDER"),
        overrides: "the registry's credential-provider in cargo's config",
        harms: always,
        applies: any,
    },
    Override {
        client: SetupClient::Go,
        var: Var::Exact("GOAUTH"),
        overrides: "GOAUTH in go's env file",
        harms: not_ours,
        applies: any,
    },
    Override {
        client: SetupClient::Go,
        var: Var::Exact("GOPROXY"),
        overrides: "GOPROXY in go's env file",
        harms: not_listed,
        applies: |w| w.go_proxy,
    },
    Override {
        client: SetupClient::Docker,
        var: Var::Exact("REGISTRY_AUTH_FILE"),
        overrides: "docker's config.json for podman, skopeo and buildah",
        harms: always,
        applies: any,
    },
    Override {
        client: SetupClient::Poetry,
        var: Var::Exact("PYTHON_KEYRING_BACKEND"),
        overrides: "keyringrc.cfg's backend, so keyring never asks ecluse-cred's",
        harms: not_chainer,
        applies: any,
    },
    Override {
        client: SetupClient::Twine,
        var: Var::Exact("PYTHON_KEYRING_BACKEND"),
        overrides: "keyringrc.cfg's backend, so keyring never asks ecluse-cred's",
        harms: not_chainer,
        applies: any,
    },
    Override {
        client: SetupClient::Pdm,
        var: Var::Exact("PYTHON_KEYRING_BACKEND"),
        overrides: "keyringrc.cfg's backend, so keyring never asks ecluse-cred's",
        harms: not_chainer,
        applies: any,
    },
    Override {
        client: SetupClient::Hatch,
        var: Var::Exact("PYTHON_KEYRING_BACKEND"),
        overrides: "keyringrc.cfg's backend, so keyring never asks ecluse-cred's",
        harms: not_chainer,
        applies: any,
    },
    Override {
        client: SetupClient::Poetry,
        var: Var::Exact("POETRY_KEYRING_ENABLED"),
        overrides: "Poetry's use of keyring",
        harms: falsy,
        applies: any,
    },
    Override {
        client: SetupClient::Pdm,
        var: Var::Exact("PDM_PYPI_URL"),
        overrides: "the index in PDM's config",
        harms: other_url,
        applies: |w| !w.extra,
    },
    Override {
        client: SetupClient::Maven,
        var: Var::Exact("MAVEN_SKIP_RC"),
        overrides: "~/.mavenrc, which exports the token",
        harms: always,
        applies: any,
    },
    Override {
        client: SetupClient::Yarn,
        var: Var::Exact("YARN_NPM_REGISTRY_SERVER"),
        overrides: "the .yarnrc.yml's npmRegistryServer",
        harms: other_url,
        applies: |w| !w.npm_scope_only,
    },
    Override {
        client: SetupClient::Yarn,
        var: Var::Exact("YARN_PLUGINS"),
        overrides: "the .yarnrc.yml's plugins, ecluse-cred's among them",
        harms: always,
        applies: any,
    },
];

/// What overrides `client`'s wiring of `url` (and what else setup `wrote`) in this process's
/// environment: one message per variable, naming it and what it overrides.
pub fn found(client: SetupClient, url: &str, wrote: &Wrote<'_>) -> Vec<String> {
    // pnpm reads npm's configuration.
    let reads = |o: &Override| {
        o.client == client || (o.client == SetupClient::Npm && client == SetupClient::Pnpm)
    };
    let registry = wrote.registry;
    OVERRIDES
        .iter()
        .filter(|o| reads(o) && (o.applies)(wrote))
        .filter_map(|o| {
            let var = match o.var {
                Var::Exact(name) => name.to_owned(),
                Var::Registry(prefix, suffix) => format!(
                    "{prefix}{}{suffix}",
                    registry?.to_ascii_uppercase().replace('-', "_")
                ),
            };
            let value = std::env::var(&var).ok().filter(|v| !v.is_empty())?;
            (o.harms)(&value, url).then(|| {
                format!(
                    "{var} is set in your environment and overrides {}, which setup wrote: unset it (`unset {var}`)",
                    o.overrides
                )
            })
        })
        .chain(terraform_token(client, url))
        .collect()
}

/// Terraform takes a host's token from `TF_TOKEN_<host>` (dots as `_`) before any helper.
fn terraform_token(client: SetupClient, url: &str) -> Option<String> {
    if client != SetupClient::Terraform {
        return None;
    }
    let host = Request::url(url).ok()?.host;
    let var = format!("TF_TOKEN_{}", host.replace('.', "_").replace('-', "__"));
    std::env::var_os(&var).filter(|v| !v.is_empty()).map(|_| {
        format!("{var} is set in your environment, and Terraform sends it to {host} instead of asking the credentials helper: unset it")
    })
}
