//! `--baseline-dir`, which every command takes, and `--region`, which
//! narrows the commands that work on the baselines to some of their
//! regions.

use std::path::PathBuf;

use nacl_drift_config::Config;
use nacl_drift_model::Region;

/// The folder of baseline files: `<account>/<region>/<vpc-id>.yaml` below it.
#[derive(clap::Args, Debug)]
pub struct BaselineDir {
    /// The folder that holds the baselines [default: the config file's
    /// `baseline_dir`, else baselines].
    #[arg(
        long = "baseline-dir",
        value_name = "DIR",
        env = "NACL_DRIFT_BASELINE_DIR"
    )]
    path: Option<PathBuf>,
}

impl BaselineDir {
    /// The flag's folder, else the config file's (relative to the config
    /// file), else `baselines`.
    pub fn resolve(&self, config: &Config) -> PathBuf {
        self.resolve_or(config, PathBuf::from("baselines"))
    }

    /// The flag's folder, else the config file's, else `default`.
    pub fn resolve_or(&self, config: &Config, default: PathBuf) -> PathBuf {
        self.path
            .clone()
            .or_else(|| config.baseline_dir.clone())
            .unwrap_or(default)
    }
}

/// `--region` of the commands that work on existing baselines (diff,
/// apply, lint, watch, doctor).
#[derive(clap::Args, Debug, Default)]
pub struct RegionFilter {
    /// Only the baselines of this region; repeat for several [default:
    /// every region of the baselines].
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<Region>,
}
