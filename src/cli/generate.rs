//! `flowscope generate`: writes generated flow log trees (not built yet).

/// Arguments of `flowscope generate`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GenerateArgs {}

pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let _ = args;
    anyhow::bail!("generate: not built yet")
}
