//! `kubelet-config`: print the kubelet's `CredentialProviderConfig` for the targets' container
//! registries. The kubelet's configuration is the node administrator's file: this prints it,
//! and writes nothing.

use crate::cli::KubeletConfigArgs;
use crate::context::Context;
use crate::error::{Error, Reply, Result};
use crate::protocol::kubelet;
use crate::resolve;

pub fn run(ctx: &Context, args: KubeletConfigArgs) -> Result<Reply> {
    let config = &ctx.config;
    let mut images: Vec<String> = Vec::new();
    let mut add = |found: Vec<String>| {
        for image in found {
            if !images.contains(&image) {
                images.push(image);
            }
        }
    };
    if args.targets.is_empty() {
        for target in config.targets.values() {
            add(kubelet::match_images(config, target));
        }
        add(kubelet::derived_patterns(config)
            .into_iter()
            .map(str::to_owned)
            .collect());
    } else {
        for name in &args.targets {
            let target = resolve::target(config, name)?;
            let found = kubelet::match_images(config, &target);
            if found.is_empty() {
                return Err(Error::config(format!(
                    "target `{}` has no https `urls`: the kubelet is answered only for the https registries a target's `urls` name",
                    target.name
                )));
            }
            add(found);
        }
    }
    if images.is_empty() {
        return Err(Error::config(format!(
            "no target serves an https registry for the kubelet to match: add the registry's `https://HOST/` to a target's `urls` in {}",
            config.file_to_edit()
        )));
    }
    let config_path = match &config.path {
        Some(path) => Some(
            std::path::absolute(path)
                .map_err(|e| Error::config(format!("config {}", path.display())).with_source(e))?,
        ),
        None => None,
    };
    Ok(Reply::Stdout(kubelet::provider_config(
        &images,
        config_path.as_deref(),
        &ctx.cache_dir,
    )))
}
