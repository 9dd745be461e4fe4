//! `vigil bench workload`.

use std::process::ExitCode;

pub async fn run(args: crate::args::BenchWorkloadArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("not written yet")
}
