//! `local-node`: the local provider's node agent (a VM plus kubelet stand-in). See
//! [`provider_local::node_agent`].

use clap::Parser;
use provider_local::node_agent::{run, Args};

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if std::env::var_os("RUST_LOG").is_none() {
        // kube's client logs every failed connection as an error; the agent's own warning says it once, with
        // the retry. Set before any thread exists.
        std::env::set_var("RUST_LOG", "info,kube_client::client::builder=off");
    }
    component_base::init_logging(args.log_format);
    // One thread: a hundred agents must fit on a small machine.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the runtime");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "local node agent failed");
            std::process::ExitCode::FAILURE
        }
    }
}
