//! Each subnet's Name and CIDRs (DescribeSubnets), for the labels a
//! snapshot writes beside the subnet ids of a baseline.

use std::collections::BTreeSet;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Subnet;
use nacl_drift_model::{AccountId, Region, SubnetId, SubnetLabels, VpcId, subnet_label};
use nacl_drift_reconcile::SourceError;
use nacl_drift_snapshot::SubnetLabelSource;

use crate::{ApiError, AwsSource, PAGE_SIZE, ec2_client, vpc_filter};

/// The label of every subnet of `vpc_ids` (of every VPC when it is empty)
/// in the client's region: `prod-db-a (10.20.2.0/24)`.
pub async fn subnet_labels(
    client: &Client,
    vpc_ids: &BTreeSet<VpcId>,
) -> Result<SubnetLabels, ApiError> {
    let mut pages = client
        .describe_subnets()
        .max_results(PAGE_SIZE)
        .set_filters(vpc_filter(vpc_ids))
        .into_paginator()
        .send();
    let mut labels = SubnetLabels::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ApiError::new("DescribeSubnets", error))?;
        for subnet in page.subnets() {
            if let Some((id, label)) = label(subnet) {
                labels.insert(id, label);
            }
        }
    }
    Ok(labels)
}

fn label(subnet: &Subnet) -> Option<(SubnetId, String)> {
    let id = SubnetId::parse(subnet.subnet_id()?).ok()?;
    let name = subnet
        .tags()
        .iter()
        .find(|tag| tag.key() == Some("Name"))
        .and_then(|tag| tag.value());
    let mut cidrs: Vec<String> = subnet.cidr_block().map(str::to_owned).into_iter().collect();
    cidrs.extend(
        subnet
            .ipv6_cidr_block_association_set()
            .iter()
            .filter_map(|association| association.ipv6_cidr_block().map(str::to_owned)),
    );
    Some((id, subnet_label(name, &cidrs)))
}

impl SubnetLabelSource for AwsSource {
    async fn subnet_labels(
        &self,
        account: &AccountId,
        region: &Region,
        vpc_ids: &BTreeSet<VpcId>,
    ) -> Result<SubnetLabels, SourceError> {
        let config = self
            .config_of(account)
            .ok_or_else(|| format!("no session for account {account}"))?;
        Ok(subnet_labels(&ec2_client(config, region), vpc_ids).await?)
    }
}
