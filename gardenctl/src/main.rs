//! gardenctl: target gardens, projects, seeds and shoots; get their kubeconfigs; set up the shell; follow and
//! operate shoots. See docs/usage/gardenctl.md.
//!
//! Exit codes: 0 ok, 1 error, 2 wrong usage (clap's parse errors, and commands that need something the command
//! line did not give, like a confirmation).
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod complete;
mod config;
mod files;
mod garden;
mod kubeconfig;
mod ls;
mod ops;
mod output;
mod picker;
mod provider_env;
mod session;
mod shell;
mod target;
mod wait;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

/// An error in how gardenctl was called (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    clap_complete::CompleteEnv::with_factory(cli::Cli::command).complete();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let usage = e.chain().any(|c| c.downcast_ref::<UsageError>().is_some());
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}
