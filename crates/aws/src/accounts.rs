//! Many accounts in one run: the accounts its settings choose
//! ([`list_accounts`]: a file, an organization, or `--account`), a role
//! assumed in each ([`account_sessions`]), the accounts of an organization
//! ([`organization_accounts`]), and their live state read concurrently
//! ([`read_accounts`], and [`OrgLive`], the reconcile core's source for
//! them).
//!
//! An account-region that cannot be read (the role cannot be assumed, the
//! region is not enabled, access is denied, throttling outlasts the
//! retries) is reported as a [`ReadError`] and never stops the others. It
//! is never read as empty: its NACLs are not "deleted", and its baselines
//! are not touched.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ec2::config::Region as SdkRegion;
use aws_sdk_organizations::types::AccountState;
use nacl_drift_config::{
    Account, AccountSettings, AccountSource, Accounts, AccountsError, SelectError,
};
use nacl_drift_model::{AccountId, AccountNames, ObservedAcl, ReadError, Region, RoleArn, VpcId};
use nacl_drift_reconcile::{LiveRead, LiveSource, ReadScope, SourceError};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::live::{LiveReadError, account_of, live_acls};
use crate::{
    ApiError, DescribeAclsError, caller_account, ec2_client, fetch_network_acls, home_region,
    sts_client,
};

/// The session name of every role nacl-drift assumes, as CloudTrail shows it.
pub const SESSION_NAME: &str = "nacl-drift";

/// One account of a run and the configuration whose credentials act as it.
#[derive(Clone, Debug)]
pub struct AccountSession {
    /// The account.
    pub account: AccountId,
    /// Its name, for people (the accounts file's, the organization's).
    pub name: Option<String>,
    /// Its configuration: the loaded one with the role's credentials, or
    /// the loaded one as it is for an account with no role.
    pub config: SdkConfig,
    /// The role assumed in the account, whose credentials act as it; `None`:
    /// the caller's own credentials, to be checked against the account.
    pub role: Option<RoleArn>,
}

/// The names of `sessions`' accounts, for people.
pub fn account_names(sessions: &[AccountSession]) -> AccountNames {
    AccountNames(
        sessions
            .iter()
            .filter_map(|session| Some((session.account.clone(), session.name.clone()?)))
            .collect(),
    )
}

impl AccountSession {
    /// The principal CloudTrail names for the calls made through the
    /// assumed role: `arn:aws:sts::ACCOUNT:assumed-role/NAME/nacl-drift`.
    pub fn assumed_role_principal(&self) -> Option<String> {
        let role = self.role.as_ref()?;
        // arn:PARTITION:iam::ACCOUNT:role/PATH/NAME
        let partition = role.as_str().split(':').nth(1)?;
        let name = role.as_str().rsplit('/').next()?;
        Some(format!(
            "arn:{partition}:sts::{}:assumed-role/{name}/{SESSION_NAME}",
            self.account
        ))
    }
}

/// The session of `account`: `base` with credentials from assuming its
/// role (session name [`SESSION_NAME`], with its external id when given),
/// or `base` itself when it has no role. Nothing is called yet: the role is
/// assumed at the first call, once, and again when its credentials expire.
async fn session(base: &SdkConfig, account: &Account, sts_region: &Region) -> AccountSession {
    let Account {
        id,
        name,
        role,
        external_id,
        ..
    } = account;
    let (account, name) = (id, name.as_deref());
    let Some(role) = role else {
        return AccountSession {
            account: account.clone(),
            name: name.map(str::to_owned),
            config: base.clone(),
            role: None,
        };
    };
    let mut provider = AssumeRoleProvider::builder(role.as_str())
        .configure(base)
        .region(SdkRegion::new(sts_region.to_string()))
        .session_name(SESSION_NAME);
    if let Some(external_id) = external_id {
        provider = provider.external_id(external_id);
    }
    let provider = provider.build().await;
    AccountSession {
        account: account.clone(),
        name: name.map(str::to_owned),
        config: base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build(),
        role: Some(role.clone()),
    }
}

/// A session for each of `accounts`: its role assumed (lazily, at its
/// first call), STS asked in the account's first region, else `fallback`.
pub async fn account_sessions(
    base: &SdkConfig,
    accounts: &Accounts,
    fallback: &Region,
) -> Vec<AccountSession> {
    let mut sessions = Vec::new();
    for account in &accounts.accounts {
        let sts_region = account.regions.first().unwrap_or(fallback);
        sessions.push(session(base, account, sts_region).await);
    }
    sessions
}

/// Why the accounts of a run could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListAccountsError {
    /// The accounts file could not be used.
    #[error(transparent)]
    File(#[from] AccountsError),
    /// `--account` or `--account-tag` selects nothing of the list.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// Organizations did not list the accounts.
    #[error("cannot list the accounts of the organization")]
    Organization(#[source] ApiError),
    /// Organizations listed none.
    #[error("the organization has no active account")]
    NoActiveAccount,
    /// The caller's own account could not be told (STS).
    #[error(transparent)]
    Caller(#[from] LiveReadError),
}

/// The accounts of a run, selected: from the file, the organization, or
/// `--account` alone (the caller's own credentials, checked at the read).
/// In an organization, the caller's own account (management or delegated
/// administrator), where a service-managed StackSet deploys no role, is
/// read with the caller's own credentials.
pub async fn list_accounts(
    base: &SdkConfig,
    settings: &AccountSettings,
) -> Result<Accounts, ListAccountsError> {
    let listed = match &settings.source {
        AccountSource::File(path) => Accounts::read(path)?,
        AccountSource::Organization {
            role_name,
            external_id,
        } => {
            let found = organization_accounts(base)
                .await
                .map_err(ListAccountsError::Organization)?;
            if found.is_empty() {
                return Err(ListAccountsError::NoActiveAccount);
            }
            let caller = account_of(base, &home_region(base)).await?;
            let accounts = found
                .into_iter()
                .map(|account| Account {
                    role: (account.id != caller)
                        .then(|| RoleArn::in_account(&account.id, role_name)),
                    external_id: external_id.clone(),
                    name: account.name,
                    ..Account::new(account.id)
                })
                .collect();
            Accounts { accounts }
        }
        AccountSource::Caller | AccountSource::Listed => {
            let accounts = settings.only.iter().cloned().map(Account::new).collect();
            return Ok(Accounts { accounts });
        }
    };
    Ok(listed.select(&settings.only, &settings.tags)?)
}

/// An account of an organization, as Organizations lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgAccount {
    /// Its id.
    pub id: AccountId,
    /// Its name.
    pub name: Option<String>,
}

/// The active accounts of the organization of `config`'s credentials (its
/// management or delegated-administrator account), from every page of
/// Organizations' ListAccounts; suspended and closing accounts are left out.
pub async fn organization_accounts(config: &SdkConfig) -> Result<Vec<OrgAccount>, ApiError> {
    let client = organizations_client(config);
    let mut pages = client.list_accounts().into_paginator().send();
    let mut accounts = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ApiError::new("ListAccounts", error))?;
        for account in page.accounts() {
            if account.state() != Some(&AccountState::Active) {
                continue;
            }
            let id = account.id().unwrap_or_default();
            let id = AccountId::parse(id).map_err(|error| ApiError {
                operation: "ListAccounts",
                code: None,
                message: format!("an account's Id: {error}"),
            })?;
            accounts.push(OrgAccount {
                id,
                name: account.name().map(str::to_owned),
            });
        }
    }
    Ok(accounts)
}

/// The id of the organization of `config`'s account (Organizations
/// DescribeOrganization, which any member may call): `o-...`.
pub async fn organization_id(config: &SdkConfig) -> Result<String, ApiError> {
    let described = organizations_client(config)
        .describe_organization()
        .send()
        .await
        .map_err(|error| ApiError::new("DescribeOrganization", error))?;
    described
        .organization()
        .and_then(|organization| organization.id())
        .map(str::to_owned)
        .ok_or_else(|| ApiError {
            operation: "DescribeOrganization",
            code: None,
            message: "the answer names no organization".to_owned(),
        })
}

/// Organizations, which is global: its endpoint is in us-east-1 when no
/// region is configured.
fn organizations_client(config: &SdkConfig) -> aws_sdk_organizations::Client {
    let mut organizations = aws_sdk_organizations::config::Builder::from(config);
    if config.region().is_none() {
        organizations = organizations.region(SdkRegion::from_static("us-east-1"));
    }
    aws_sdk_organizations::Client::from_conf(organizations.build())
}

/// The regions enabled in the account of `config` (EC2 DescribeRegions,
/// which lists only those unless asked for all), asked in `region`.
pub async fn enabled_regions(config: &SdkConfig, region: &Region) -> Result<Vec<Region>, ApiError> {
    let described = ec2_client(config, region)
        .describe_regions()
        .send()
        .await
        .map_err(|error| ApiError::new("DescribeRegions", error))?;
    let mut regions = Vec::new();
    for described in described.regions() {
        let name = described.region_name().unwrap_or_default();
        regions.push(Region::parse(name).map_err(|error| ApiError {
            operation: "DescribeRegions",
            code: None,
            message: format!("a region's RegionName: {error}"),
        })?);
    }
    regions.sort();
    Ok(regions)
}

/// Each account's enabled regions, through its session, asked in the first
/// region it was given; an account whose regions cannot be listed is an
/// error, not read.
pub async fn enabled_regions_of(
    sessions: &[AccountSession],
    targets: Vec<(AccountId, Vec<Region>)>,
) -> (Vec<(AccountId, Vec<Region>)>, Vec<ReadError>) {
    let mut asked = JoinSet::new();
    for ((account, regions), session) in targets.into_iter().zip(sessions) {
        let config = session.config.clone();
        asked.spawn(async move {
            let region = regions[0].clone();
            let enabled = enabled_regions(&config, &region).await;
            (account, region, enabled)
        });
    }
    let (mut targets, mut errors) = (Vec::new(), Vec::new());
    for (account, region, enabled) in asked.join_all().await {
        match enabled {
            Ok(regions) => targets.push((account, regions)),
            Err(error) => errors.push(ReadError {
                account,
                region,
                operation: error.operation.to_owned(),
                code: error.code,
                message: error.message,
            }),
        }
    }
    targets.sort();
    (targets, errors)
}

/// Called as each account-region is done: the account, the region, and
/// whether it failed.
pub type OnRead = Arc<dyn Fn(&AccountId, &Region, bool) + Send + Sync>;

/// What [`read_accounts`] read, by account and region, and what failed.
#[derive(Debug, Default)]
pub struct AccountsRead {
    /// The NACLs of every account-region that was read.
    pub observed: BTreeMap<(AccountId, Region), Vec<ObservedAcl>>,
    /// Every account-region that failed, sorted.
    pub errors: Vec<ReadError>,
}

/// Reads the account-regions of `scope`, each with its VPC filter, at most
/// `concurrency` calls at a time, through the session of each account.
/// An account with no role must be the caller's own: STS is asked once.
///
/// Each account's first region is read alone, then the others at once:
/// the first call assumes the role, and the others find its credentials
/// cached instead of each waiting on (or repeating) the AssumeRole.
pub async fn read_accounts(
    sessions: &[AccountSession],
    scope: &ReadScope,
    concurrency: usize,
    on_read: Option<OnRead>,
) -> AccountsRead {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut result = AccountsRead::default();
    let caller = caller_if_needed(sessions, scope).await;
    let mut accounts = JoinSet::new();
    for session in sessions {
        let Some(regions) = scope.get(&session.account) else {
            continue;
        };
        if session.role.is_none()
            && let Some((operation, code, message)) = refusal(&caller, &session.account)
        {
            for region in regions.keys() {
                if let Some(on_read) = &on_read {
                    on_read(&session.account, region, true);
                }
                result.errors.push(ReadError {
                    account: session.account.clone(),
                    region: region.clone(),
                    operation: operation.clone(),
                    code: code.clone(),
                    message: message.clone(),
                });
            }
            continue;
        }
        let read = RegionRead {
            account: session.account.clone(),
            config: session.config.clone(),
            permits: Arc::clone(&permits),
            on_read: on_read.clone(),
        };
        let mut regions: Vec<(Region, BTreeSet<VpcId>)> = regions
            .iter()
            .map(|(r, f)| (r.clone(), f.clone()))
            .collect();
        accounts.spawn(async move {
            let rest = regions.split_off(1.min(regions.len()));
            let mut reads = Vec::new();
            for (region, filter) in regions {
                reads.push(read.clone().read(region, filter).await);
            }
            let mut others = JoinSet::new();
            for (region, filter) in rest {
                others.spawn(read.clone().read(region, filter));
            }
            reads.extend(others.join_all().await);
            (read.account, reads)
        });
    }
    while let Some(joined) = accounts.join_next().await {
        let Ok((account, reads)) = joined else {
            continue; // A panicked read is neither read nor reported empty.
        };
        for (region, read) in reads {
            match read {
                Ok(acls) => {
                    result.observed.insert((account.clone(), region), acls);
                }
                Err(error) => result
                    .errors
                    .push(read_error(account.clone(), region, error)),
            }
        }
    }
    result
        .errors
        .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    result
}

/// One account's reads: its credentials, the run's bound on calls at once,
/// and whom to tell as each region is done.
#[derive(Clone)]
struct RegionRead {
    account: AccountId,
    config: SdkConfig,
    permits: Arc<Semaphore>,
    on_read: Option<OnRead>,
}

impl RegionRead {
    async fn read(
        self,
        region: Region,
        vpc_filter: BTreeSet<VpcId>,
    ) -> (Region, Result<Vec<ObservedAcl>, DescribeAclsError>) {
        let _permit = self.permits.acquire_owned().await;
        let read = fetch_network_acls(&ec2_client(&self.config, &region), &vpc_filter).await;
        if let Some(on_read) = &self.on_read {
            on_read(&self.account, &region, read.is_err());
        }
        (region, read)
    }
}

/// Why an account without a role cannot be read with the caller's
/// credentials: STS failed, or they are another account's.
fn refusal(
    caller: &Option<Result<AccountId, ApiError>>,
    account: &AccountId,
) -> Option<(String, Option<String>, String)> {
    match caller {
        Some(Ok(caller)) if caller == account => None,
        Some(Ok(caller)) => Some((
            "GetCallerIdentity".to_owned(),
            None,
            format!(
                "the credentials are of account {caller}: give account {account} a role to assume"
            ),
        )),
        Some(Err(error)) => Some((
            error.operation.to_owned(),
            error.code.clone(),
            error.message.clone(),
        )),
        None => None,
    }
}

/// A failed read of an account-region, for the report.
fn read_error(account: AccountId, region: Region, error: DescribeAclsError) -> ReadError {
    let (operation, code, message) = match error {
        DescribeAclsError::Api(api) => (api.operation, api.code, api.message),
        other => ("DescribeNetworkAcls", None, other.to_string()),
    };
    ReadError {
        account,
        region,
        operation: operation.to_owned(),
        code,
        message,
    }
}

/// The caller's account, when some account to read has no role.
async fn caller_if_needed(
    sessions: &[AccountSession],
    scope: &ReadScope,
) -> Option<Result<AccountId, ApiError>> {
    let unassumed = sessions
        .iter()
        .find(|session| session.role.is_none() && scope.contains_key(&session.account))?;
    let region = scope[&unassumed.account].keys().next()?;
    Some(caller_account(&sts_client(&unassumed.config, region)).await)
}

/// Live state from many accounts: the reconcile core's source for a run
/// over an accounts file or an organization.
#[derive(Clone)]
pub struct OrgLive {
    sessions: Vec<AccountSession>,
    concurrency: usize,
    on_read: Option<OnRead>,
}

impl OrgLive {
    /// Reads through `sessions`, at most `concurrency` calls at a time,
    /// telling `on_read` as each account-region is done.
    pub fn new(sessions: Vec<AccountSession>, concurrency: usize, on_read: Option<OnRead>) -> Self {
        OrgLive {
            sessions,
            concurrency,
            on_read,
        }
    }

    /// The configuration whose credentials act as `account`.
    pub fn config_of(&self, account: &AccountId) -> Option<&SdkConfig> {
        self.sessions
            .iter()
            .find(|session| &session.account == account)
            .map(|session| &session.config)
    }

    /// The sessions it reads through.
    pub fn sessions(&self) -> &[AccountSession] {
        &self.sessions
    }

    /// The same, telling `on_read` as each account-region is done.
    pub fn telling(self, on_read: OnRead) -> OrgLive {
        OrgLive {
            on_read: Some(on_read),
            ..self
        }
    }
}

impl LiveSource for OrgLive {
    async fn accounts(&self, _region: &Region) -> Result<BTreeSet<AccountId>, SourceError> {
        Ok(self.sessions.iter().map(|s| s.account.clone()).collect())
    }

    async fn read(self, scope: ReadScope) -> Result<LiveRead, SourceError> {
        let read = read_accounts(&self.sessions, &scope, self.concurrency, self.on_read).await;
        let by_region = read
            .observed
            .into_iter()
            .map(|((_, region), acls)| (region, acls));
        Ok(LiveRead {
            acls: live_acls(by_region),
            errors: read.errors,
        })
    }
}
