//! Reading live network ACLs: from EC2, region by region, or from
//! `aws ec2 describe-network-acls` exports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use nacl_drift_model::ObservedAcl;
use nacl_drift_snapshot::{SnapshotError, fetch_network_acls, parse_export};
use tokio::task::JoinSet;

use crate::aws::ec2_client;

/// Reads every region of `plan` concurrently; each region is read with its
/// VPC filter (empty: every VPC). Fails when any region fails.
pub async fn fetch_regions(
    config: &SdkConfig,
    plan: BTreeMap<String, BTreeSet<String>>,
) -> Result<BTreeMap<String, Vec<ObservedAcl>>> {
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

/// The NACLs of every export, each file read and checked in turn.
pub fn read_exports(paths: &[PathBuf]) -> Result<Vec<ObservedAcl>> {
    let mut observed = Vec::new();
    for path in paths {
        observed.extend(read_export(path)?);
    }
    Ok(observed)
}

fn read_export(path: &Path) -> Result<Vec<ObservedAcl>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the live file {}", path.display()))?;
    parse_export(&text).with_context(|| format!("{}: unusable live file", path.display()))
}
