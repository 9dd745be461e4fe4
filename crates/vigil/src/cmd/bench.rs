pub async fn run(_c: crate::args::BenchCommand) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("not yet")
}
