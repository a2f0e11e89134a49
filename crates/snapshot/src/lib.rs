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
use nacl_drift_model::{
    AccountId, Baseline, NetworkAcl, NetworkAclId, ObservedAcl, Region, Scope, VpcId,
};

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
    #[error("DescribeNetworkAcls returned inconsistent network ACLs")]
    Duplicate(#[from] DuplicateAcl),
}

/// The same network ACL twice, with different content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "network ACL {acl} appears in {} with different content: the live state is inconsistent",
    if first == second { format!("{first} twice") } else { format!("both {first} and {second}") }
)]
pub struct DuplicateAcl {
    pub acl: NetworkAclId,
    /// Where each copy came from: a file, or an API call.
    pub first: String,
    pub second: String,
}

/// The NACLs of several sources (files, pages), each named for errors,
/// sorted by id. A NACL found twice with the same content is kept once;
/// found twice with different content, it is an error, since either copy
/// could be the wrong one.
pub fn merge_sources(
    sources: Vec<(String, Vec<ObservedAcl>)>,
) -> Result<Vec<ObservedAcl>, DuplicateAcl> {
    let mut merged: BTreeMap<NetworkAclId, (String, ObservedAcl)> = BTreeMap::new();
    for (source, observed) in sources {
        for acl in observed {
            match merged.get(&acl.acl.id) {
                Some((_, kept)) if *kept == acl => {}
                Some((first, _)) => {
                    return Err(DuplicateAcl {
                        acl: acl.acl.id,
                        first: first.clone(),
                        second: source,
                    });
                }
                None => {
                    merged.insert(acl.acl.id.clone(), (source.clone(), acl));
                }
            }
        }
    }
    Ok(merged.into_values().map(|(_, acl)| acl).collect())
}

/// The largest page DescribeNetworkAcls allows.
const PAGE_SIZE: i32 = 1000;

/// Every network ACL visible to `client` in its region, or only those of
/// `vpc_ids` when that is not empty, sorted by id.
pub async fn fetch_network_acls(
    client: &Client,
    vpc_ids: &BTreeSet<VpcId>,
) -> Result<Vec<ObservedAcl>, SnapshotError> {
    let mut request = client.describe_network_acls().max_results(PAGE_SIZE);
    if !vpc_ids.is_empty() {
        request = request.filters(
            Filter::builder()
                .name("vpc-id")
                .set_values(Some(vpc_ids.iter().map(VpcId::to_string).collect()))
                .build(),
        );
    }
    let mut pages = request.into_paginator().send();
    let mut observed = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ApiError::new("DescribeNetworkAcls", error))?;
        for acl in page.network_acls() {
            observed.push(convert_network_acl(acl, None)?);
        }
    }
    let source = "DescribeNetworkAcls".to_owned();
    let observed = merge_sources(vec![(source, observed)])?;
    tracing::debug!(count = observed.len(), "described network ACLs");
    Ok(observed)
}

/// Groups one region's observed NACLs into a baseline per (account, VPC).
pub fn baselines_for_region(
    region: &Region,
    scope: &Scope,
    observed: Vec<ObservedAcl>,
) -> Vec<Baseline> {
    let mut by_vpc: BTreeMap<(AccountId, VpcId), Vec<NetworkAcl>> = BTreeMap::new();
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
            Baseline::new(account, region.clone(), vpc_id, scope.clone(), acls)
        })
        .collect()
}
