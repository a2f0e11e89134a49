//! Reading live network ACLs: from EC2, region by region, or from
//! `aws ec2 describe-network-acls` exports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use nacl_drift_aws::{SdkConfig, SnapshotError, ec2_client, fetch_network_acls, parse_export};
use nacl_drift_model::{AccountId, ObservedAcl, Region, VpcId, merge_sources};
use tokio::task::JoinSet;

/// Reads every region of `plan` concurrently; each region is read with its
/// VPC filter (empty: every VPC). Fails when any region fails.
pub async fn fetch_regions(
    config: &SdkConfig,
    plan: BTreeMap<Region, BTreeSet<VpcId>>,
) -> Result<BTreeMap<Region, Vec<ObservedAcl>>> {
    let mut reads = JoinSet::new();
    for (region, vpc_filter) in plan {
        let client = ec2_client(config, &region);
        reads.spawn(async move {
            let acls = fetch_network_acls(&client, &vpc_filter).await;
            (region, acls)
        });
    }
    let mut observed = BTreeMap::new();
    while let Some(joined) = reads.join_next().await {
        let (region, acls) = joined.context("a region's read failed")?;
        let hint = match &acls {
            Err(SnapshotError::Api(api)) if api.is_access_denied() => {
                " (the credentials need ec2:DescribeNetworkAcls: see examples/iam/)"
            }
            _ => "",
        };
        let acls =
            acls.with_context(|| format!("cannot read the network ACLs of {region}{hint}"))?;
        observed.insert(region, acls);
    }
    Ok(observed)
}

/// The options of the commands that can read exports instead of EC2.
#[derive(clap::Args, Debug, Default)]
pub struct LiveFileArgs {
    /// Read an `aws ec2 describe-network-acls --output json` export instead
    /// of calling AWS; repeat for several.
    #[arg(long = "live-file", value_name = "FILE")]
    pub live_files: Vec<PathBuf>,

    /// The account the exports belong to, for exports without `OwnerId`
    /// (older AWS CLIs); it must match any `OwnerId` that is there.
    #[arg(long, value_name = "ACCOUNT", requires = "live_files")]
    pub account: Option<AccountId>,
}

impl LiveFileArgs {
    /// The NACLs of every export, sorted by id. A NACL in two files (or
    /// twice in one) must have the same content in both.
    pub fn read(&self) -> Result<Vec<ObservedAcl>> {
        let mut sources = Vec::new();
        for path in &self.live_files {
            sources.push((path.display().to_string(), self.read_export(path)?));
        }
        merge_sources(sources).context("unusable live files")
    }

    fn read_export(&self, path: &Path) -> Result<Vec<ObservedAcl>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the live file {}", path.display()))?;
        parse_export(&text, self.account.as_ref())
            .with_context(|| format!("{}: unusable live file", path.display()))
    }
}
