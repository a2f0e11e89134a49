//! Reads the live network ACLs of an account from EC2 into the nacl-drift
//! model.
//!
//! [`fetch_network_acls`] takes an EC2 client that is already configured
//! for one region, follows DescribeNetworkAcls' pagination, and converts each
//! NACL with [`convert_network_acl`], which is pure and also serves
//! recorded responses in tests. [`baselines_for_region`] groups the result
//! into one [`Baseline`] per VPC. [`parse_export`] reads the same data from
//! an `aws ec2 describe-network-acls` export instead, and
//! [`caller_account`] asks STS whose credentials are in use.

mod api_error;
mod convert;
mod export;
mod identity;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Filter;
use nacl_drift_model::{Baseline, NetworkAcl, ObservedAcl, Scope};

pub use api_error::ApiError;
pub use convert::{ConvertError, convert_network_acl};
pub use export::{ExportError, parse_export};
pub use identity::caller_account;

/// Why a snapshot failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("DescribeNetworkAcls returned a network ACL nacl-drift cannot represent")]
    Convert(#[from] ConvertError),
}

/// The largest page DescribeNetworkAcls allows.
const PAGE_SIZE: i32 = 1000;

/// Every network ACL visible to `client` in its region, or only those of
/// `vpc_ids` when that is not empty, sorted by id.
pub async fn fetch_network_acls(
    client: &Client,
    vpc_ids: &BTreeSet<String>,
) -> Result<Vec<ObservedAcl>, SnapshotError> {
    let mut request = client.describe_network_acls().max_results(PAGE_SIZE);
    if !vpc_ids.is_empty() {
        request = request.filters(
            Filter::builder()
                .name("vpc-id")
                .set_values(Some(vpc_ids.iter().cloned().collect()))
                .build(),
        );
    }
    let mut pages = request.into_paginator().send();
    let mut observed = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ApiError::new("DescribeNetworkAcls", error))?;
        for acl in page.network_acls() {
            observed.push(convert_network_acl(acl)?);
        }
    }
    observed.sort_by(|a, b| a.acl.id.cmp(&b.acl.id));
    tracing::debug!(count = observed.len(), "described network ACLs");
    Ok(observed)
}

/// Groups one region's observed NACLs into a baseline per (account, VPC).
pub fn baselines_for_region(
    region: &str,
    scope: &Scope,
    observed: Vec<ObservedAcl>,
) -> Vec<Baseline> {
    let mut by_vpc: BTreeMap<(String, String), Vec<NetworkAcl>> = BTreeMap::new();
    for ObservedAcl {
        account,
        vpc_id,
        acl,
        ..
    } in observed
    {
        by_vpc.entry((account, vpc_id)).or_default().push(acl);
    }
    by_vpc
        .into_iter()
        .map(|((account, vpc_id), acls)| {
            Baseline::new(account, region.to_owned(), vpc_id, scope.clone(), acls)
        })
        .collect()
}
