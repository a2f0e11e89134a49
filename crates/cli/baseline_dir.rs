//! `--baseline-dir`, which every command takes.

use std::path::PathBuf;

/// The folder of baseline files: `<account>/<region>/<vpc-id>.yaml` below it.
#[derive(clap::Args, Debug)]
pub struct BaselineDir {
    /// The folder that holds the baselines.
    #[arg(long = "baseline-dir", value_name = "DIR", default_value = "baselines")]
    pub path: PathBuf,
}
