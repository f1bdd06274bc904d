//! `kube-credential`: kubectl's exec credential plugin, for the target named on the command
//! line; kubectl's description of the call comes from `KUBERNETES_EXEC_INFO`.

use crate::cli::KubeArgs;
use crate::context::Context;
use crate::error::{Reply, Result};
use crate::protocol::kube::{self, ExecInfo};

pub fn run(ctx: &Context, args: KubeArgs) -> Result<Reply> {
    let target = super::which(ctx, &args.which)?;
    let info = ExecInfo::parse(std::env::var_os(kube::EXEC_INFO_ENV).as_deref())?;
    kube::exchange(ctx, &target, &info)
}
