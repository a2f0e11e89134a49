//! EC2 for the caller's account or many, as one live source that also
//! makes the restore's calls (the reconcile core's `LiveSource`), and with
//! the SNS topic of the guard's alerts, the guard's `Edge`.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;
use nacl_drift_config::AccountSettings;
use nacl_drift_guard::Edge;
use nacl_drift_model::{AccountId, AccountNames, Identity, Place, Region};
use nacl_drift_reconcile::{LiveRead, LiveSource, ReadScope, SourceError};

use crate::{
    ApiError, Ec2, Ec2Live, ListAccountsError, OnRead, OrgLive, SecurityHub, SnsTopic,
    account_names, account_sessions, caller_identity, ec2_client, home_region, list_accounts,
    sessions_identity,
};

/// EC2, for the caller's account or many: one live source for both.
#[derive(Clone)]
pub enum AwsSource {
    /// The account of the credentials in use.
    Caller(Box<Ec2Live>),
    /// Many accounts, through their sessions.
    Accounts(OrgLive),
}

impl AwsSource {
    /// EC2 for the accounts `settings` choose, with the credentials of
    /// `config`: the caller's account, or each account listed (the
    /// organization is asked now; each role is assumed at its first read).
    pub async fn for_target(
        config: SdkConfig,
        settings: &AccountSettings,
    ) -> Result<AwsSource, ListAccountsError> {
        if !settings.many() {
            return Ok(AwsSource::Caller(Box::new(Ec2Live::new(config))));
        }
        let listed = list_accounts(&config, settings).await?;
        let sessions = account_sessions(&config, &listed, &home_region(&config)).await;
        let source = OrgLive::new(sessions, settings.concurrency, None);
        Ok(AwsSource::Accounts(source))
    }

    /// Whether it reads a list of accounts rather than the caller's.
    pub fn many(&self) -> bool {
        matches!(self, AwsSource::Accounts(_))
    }

    /// The same source, telling `on_read` as each account-region is read
    /// (the caller's account alone tells nothing).
    pub fn telling(self, on_read: OnRead) -> AwsSource {
        match self {
            AwsSource::Accounts(source) => AwsSource::Accounts(source.telling(on_read)),
            caller => caller,
        }
    }

    /// The accounts it reads, and the principals CloudTrail names for its
    /// own calls: the caller's (STS GetCallerIdentity), or each assumed
    /// role's session.
    pub async fn identity(&self) -> Result<Identity, ApiError> {
        match self {
            AwsSource::Caller(source) => caller_identity(source.config()).await,
            AwsSource::Accounts(source) => sessions_identity(source.sessions()).await,
        }
    }

    /// The names of the accounts it reads (the file's, the organization's).
    pub fn account_names(&self) -> AccountNames {
        match self {
            AwsSource::Caller(_) => AccountNames::default(),
            AwsSource::Accounts(source) => account_names(source.sessions()),
        }
    }

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
