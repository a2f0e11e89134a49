//! Live state from EC2: every region read concurrently, and the caller's
//! account from STS; the reconcile core's [`LiveSource`] for AWS.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;
use nacl_drift_model::{AccountId, LiveAcl, ObservedAcl, Region, VpcId};
use nacl_drift_reconcile::{LiveRead, LiveSource, ReadScope, SourceError};
use tokio::task::JoinSet;

use crate::{
    ApiError, DescribeAclsError, caller_account, ec2_client, fetch_network_acls, sts_client,
};

/// Why live state could not be read from AWS.
#[derive(Debug, thiserror::Error)]
pub enum LiveReadError {
    /// STS could not say.
    #[error("cannot tell which account the credentials belong to")]
    Account(#[source] ApiError),
    /// A region could not be read.
    #[error(
        "cannot read the network ACLs of {region}{}",
        if *.access_denied { " (the credentials need ec2:DescribeNetworkAcls: see examples/iam/)" } else { "" }
    )]
    Region {
        /// The region.
        region: Region,
        /// Whether AWS refused for want of permission.
        access_denied: bool,
        /// Why.
        #[source]
        source: DescribeAclsError,
    },
    /// A region's reading task panicked.
    #[error("a region's read failed")]
    Task(#[source] tokio::task::JoinError),
}

/// Reads every region of `plan` concurrently; each region is read with its
/// VPC filter (empty: every VPC). Fails when any region fails: a region
/// that could not be read never looks empty.
pub async fn read_regions(
    config: &SdkConfig,
    plan: BTreeMap<Region, BTreeSet<VpcId>>,
) -> Result<BTreeMap<Region, Vec<ObservedAcl>>, LiveReadError> {
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
        let (region, acls) = joined.map_err(LiveReadError::Task)?;
        let acls = acls.map_err(|source| LiveReadError::Region {
            access_denied: matches!(&source, DescribeAclsError::Api(api) if api.is_access_denied()),
            region: region.clone(),
            source,
        })?;
        observed.insert(region, acls);
    }
    Ok(observed)
}

/// The account whose credentials `config` holds, from STS in `region`.
pub async fn account_of(config: &SdkConfig, region: &Region) -> Result<AccountId, LiveReadError> {
    caller_account(&sts_client(config, region))
        .await
        .map_err(LiveReadError::Account)
}

/// Live state from EC2, for the credentials of a loaded configuration.
#[derive(Clone, Debug)]
pub struct Ec2Live {
    config: SdkConfig,
}

impl Ec2Live {
    /// Live state for the credentials of `config`.
    pub fn new(config: SdkConfig) -> Self {
        Ec2Live { config }
    }

    /// The configuration it reads with.
    pub fn config(&self) -> &SdkConfig {
        &self.config
    }
}

impl LiveSource for Ec2Live {
    async fn accounts(&self, region: &Region) -> Result<BTreeSet<AccountId>, SourceError> {
        Ok(BTreeSet::from([account_of(&self.config, region).await?]))
    }

    /// Every region of the caller's account; any region that fails fails
    /// the read.
    async fn read(self, scope: ReadScope) -> Result<LiveRead, SourceError> {
        let regions = scope.into_values().flatten().collect();
        let observed = read_regions(&self.config, regions).await?;
        Ok(LiveRead {
            acls: live_acls(observed),
            errors: Vec::new(),
        })
    }
}

/// The NACLs read in each region, each marked with its region.
pub(crate) fn live_acls(
    observed: impl IntoIterator<Item = (Region, Vec<ObservedAcl>)>,
) -> Vec<LiveAcl> {
    observed
        .into_iter()
        .flat_map(|(region, acls)| {
            acls.into_iter().map(move |observed| LiveAcl {
                region: Some(region.clone()),
                observed,
            })
        })
        .collect()
}
