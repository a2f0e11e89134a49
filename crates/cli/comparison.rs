//! The first steps of `diff` and `apply`: the baselines and the live state,
//! from EC2 or from exports, compared by the reconcile core.

use std::path::Path;

use anyhow::Result;
use nacl_drift_aws::Ec2Live;
use nacl_drift_reconcile::{Baselines, Exports};

pub use nacl_drift_reconcile::Comparison;

use crate::aws::AwsArgs;
use crate::live::LiveFileArgs;

/// Reads the baselines and the live state, and compares them.
pub async fn compare(
    baseline_dir: &Path,
    live_files: &LiveFileArgs,
    aws: &AwsArgs,
) -> Result<Comparison> {
    // Exports and baselines are independent: parse them side by side.
    let (baselines, exports) = rayon::join(|| Baselines::read(baseline_dir), || live_files.read());
    let baselines = baselines?;
    let comparison = if live_files.live_files.is_empty() {
        nacl_drift_reconcile::compare(baselines, Ec2Live::new(aws.load().await)).await?
    } else {
        nacl_drift_reconcile::compare(baselines, Exports(exports?)).await?
    };
    Ok(comparison)
}
