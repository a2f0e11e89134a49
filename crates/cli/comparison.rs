//! The first steps of `diff` and `apply`: the baselines and the live state,
//! from EC2 or from exports, compared by the reconcile core and judged by
//! the project's config.

use std::path::Path;

use anyhow::Result;
use nacl_drift_aws::Ec2Live;
use nacl_drift_config::{Config, today};
use nacl_drift_reconcile::{Baselines, Exports};

pub use nacl_drift_reconcile::Comparison;

use crate::aws::AwsArgs;
use crate::live::LiveFileArgs;

/// Reads the baselines and the live state, compares them, and marks the
/// drift `config` accepts today or leaves to be monitored only.
pub async fn compare(
    baseline_dir: &Path,
    live_files: &LiveFileArgs,
    aws: &AwsArgs,
    config: &Config,
) -> Result<Comparison> {
    // Exports and baselines are independent: parse them side by side.
    let (baselines, exports) = rayon::join(|| Baselines::read(baseline_dir), || live_files.read());
    let baselines = baselines?;
    let mut comparison = if live_files.live_files.is_empty() {
        nacl_drift_reconcile::compare(baselines, Ec2Live::new(aws.load().await)).await?
    } else {
        nacl_drift_reconcile::compare(baselines, Exports(exports?)).await?
    };
    comparison.judge(config, today());
    Ok(comparison)
}
