//! EC2 for the caller's account or many, as one live source that also
//! makes the restore's calls (the reconcile core's `LiveSource`), and with
//! the SNS topic of the guard's alerts, the guard's `Edge`.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;
use nacl_drift_guard::Edge;
use nacl_drift_model::{AccountId, Place, Region};
use nacl_drift_reconcile::{LiveRead, LiveSource, ReadScope, SourceError};

use crate::{Ec2, Ec2Live, OrgLive, SecurityHub, SnsTopic, ec2_client};

/// EC2, for the caller's account or many: one live source for both.
#[derive(Clone)]
pub enum AwsSource {
    /// The account of the credentials in use.
    Caller(Box<Ec2Live>),
    /// Many accounts, through their sessions.
    Accounts(OrgLive),
}

impl AwsSource {
    /// The configuration whose credentials act as `account`.
    pub fn config_of(&self, account: &AccountId) -> Option<&SdkConfig> {
        match self {
            AwsSource::Caller(source) => Some(source.config()),
            AwsSource::Accounts(source) => source.config_of(account),
        }
    }

    /// An EC2 client for each place of `places` whose account it can act
    /// as.
    pub fn clients(&self, places: impl IntoIterator<Item = Place>) -> BTreeMap<Place, Ec2> {
        places
            .into_iter()
            .filter_map(|place| {
                let config = self.config_of(&place.account)?;
                let client = Ec2::new(ec2_client(config, &place.region));
                Some((place, client))
            })
            .collect()
    }
}

impl LiveSource for AwsSource {
    async fn accounts(&self, region: &Region) -> Result<BTreeSet<AccountId>, SourceError> {
        match self {
            AwsSource::Caller(source) => source.accounts(region).await,
            AwsSource::Accounts(source) => source.accounts(region).await,
        }
    }

    async fn read(self, scope: ReadScope) -> Result<LiveRead, SourceError> {
        match self {
            AwsSource::Caller(source) => (*source).read(scope).await,
            AwsSource::Accounts(source) => source.read(scope).await,
        }
    }
}

/// The guard's edge on AWS: EC2 for the caller's account or many, the SNS
/// topic of its alerts and the Security Hub of its findings, when it has
/// them.
pub struct AwsEdge {
    /// Where live state is read and restores are made.
    pub source: AwsSource,
    /// Where alerts go.
    pub topic: Option<SnsTopic>,
    /// Where findings go.
    pub hub: Option<SecurityHub>,
}

impl Edge for AwsEdge {
    type Source = AwsSource;
    type Api = Ec2;
    type Topic = SnsTopic;
    type Hub = SecurityHub;

    fn source(&self) -> AwsSource {
        self.source.clone()
    }

    fn clients(&self, places: BTreeSet<Place>) -> BTreeMap<Place, Ec2> {
        self.source.clients(places)
    }

    fn topic(&self) -> Option<SnsTopic> {
        self.topic.clone()
    }

    fn hub(&self) -> Option<SecurityHub> {
        self.hub.clone()
    }
}
