//! DescribeNetworkAcls: every NACL of a region (or of some VPCs), through
//! its pagination, converted to the model.

use std::collections::BTreeSet;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Filter;
use nacl_drift_model::{DuplicateAcl, ObservedAcl, VpcId, merge_sources};

use crate::{ApiError, ConvertError, convert_network_acl};

/// Why a region's NACLs could not be described.
#[derive(Debug, thiserror::Error)]
pub enum DescribeAclsError {
    /// DescribeNetworkAcls failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A NACL cannot be held by the model.
    #[error("DescribeNetworkAcls returned a network ACL nacl-drift cannot represent")]
    Convert(#[from] ConvertError),
    /// One NACL twice, with different content.
    #[error("DescribeNetworkAcls returned inconsistent network ACLs")]
    Duplicate(#[from] DuplicateAcl),
}

/// A describe call's filter to the VPCs of `vpc_ids`; none when it is
/// empty (every VPC).
pub(crate) fn vpc_filter(vpc_ids: &BTreeSet<VpcId>) -> Option<Vec<Filter>> {
    (!vpc_ids.is_empty()).then(|| {
        vec![
            Filter::builder()
                .name("vpc-id")
                .set_values(Some(vpc_ids.iter().map(VpcId::to_string).collect()))
                .build(),
        ]
    })
}

/// The largest page DescribeNetworkAcls and DescribeSubnets allow.
pub(crate) const PAGE_SIZE: i32 = 1000;

/// Every network ACL visible to `client` in its region, or only those of
/// `vpc_ids` when that is not empty, sorted by id.
pub async fn fetch_network_acls(
    client: &Client,
    vpc_ids: &BTreeSet<VpcId>,
) -> Result<Vec<ObservedAcl>, DescribeAclsError> {
    let mut pages = client
        .describe_network_acls()
        .max_results(PAGE_SIZE)
        .set_filters(vpc_filter(vpc_ids))
        .into_paginator()
        .send();
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
