//! `vigil bench startup`.

use std::process::ExitCode;

pub async fn run(args: crate::args::BenchStartupArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("not written yet")
}
