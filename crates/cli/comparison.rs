//! The first steps of `diff` and `apply`: the baselines and the live state,
//! from EC2 (the caller's account, or many accounts) or from exports,
//! compared by the reconcile core and judged by the project's config.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use nacl_drift_aws::{
    AccountSession, AwsSource, Ec2Live, OrgLive, SdkConfig, caller, configured_region, sts_client,
};
use nacl_drift_config::{Config, today};
use nacl_drift_model::{AccountId, Region};
use nacl_drift_reconcile::{Baselines, Exports};

pub use nacl_drift_guard::Identity;
pub use nacl_drift_reconcile::Comparison;

use crate::accounts::AccountSettings;
use crate::aws::Target;
use crate::live::LiveFiles;

/// Where this run's live state comes from.
pub enum Live<'a> {
    /// `--live-file` exports, read alongside the baselines.
    Exports {
        files: &'a LiveFiles,
        accounts: &'a [AccountId],
    },
    /// EC2, for the account of the credentials in use.
    Caller(Box<SdkConfig>),
    /// EC2, for many accounts (`--accounts`, `--org`, `--account`).
    Accounts {
        sessions: Vec<AccountSession>,
        settings: &'a AccountSettings,
    },
}

impl<'a> Live<'a> {
    /// The source the flags name. For many accounts, the accounts are
    /// listed (and the organization asked) now; roles are assumed at the
    /// first read.
    pub async fn choose(files: &'a LiveFiles, target: &'a Target) -> Result<Live<'a>> {
        let Target { accounts, aws } = target;
        if files.any() {
            return Ok(Live::Exports {
                files,
                accounts: &accounts.only,
            });
        }
        let config = aws.load().await?;
        if !accounts.many() {
            return Ok(Live::Caller(Box::new(config)));
        }
        let listed = accounts.list(&config).await?;
        let sessions = accounts
            .sessions(&config, &listed, &region_or_us_east_1(&config))
            .await;
        Ok(Live::Accounts {
            sessions,
            settings: accounts,
        })
    }

    /// EC2 as the reconcile core's live source, for front-ends that run the
    /// whole sequence (`watch`); `None` for exports.
    pub fn source(&self) -> Option<AwsSource> {
        match self {
            Live::Exports { .. } => None,
            Live::Caller(config) => Some(AwsSource::Caller(Box::new(Ec2Live::new(
                (**config).clone(),
            )))),
            Live::Accounts { sessions, settings } => Some(AwsSource::Accounts(OrgLive::new(
                sessions.clone(),
                settings.concurrency,
                None,
            ))),
        }
    }

    /// The accounts this run reads, and the principals CloudTrail names for
    /// its own calls: the caller's (STS GetCallerIdentity), and each role
    /// assumed's session.
    pub async fn identity(&self) -> Result<Identity> {
        let caller_of = |config: &SdkConfig| {
            let client = sts_client(config, &region_or_us_east_1(config));
            async move {
                caller(&client)
                    .await
                    .context("cannot tell who the credentials in use are")
            }
        };
        match self {
            Live::Exports { .. } => anyhow::bail!("exports have no identity"),
            Live::Caller(config) => {
                let caller = caller_of(config).await?;
                Ok(Identity {
                    accounts: BTreeSet::from([caller.account]),
                    principals: BTreeSet::from([caller.arn]),
                })
            }
            Live::Accounts { sessions, .. } => {
                let mut principals: BTreeSet<String> = sessions
                    .iter()
                    .filter_map(AccountSession::assumed_role_principal)
                    .collect();
                if let Some(own) = sessions.iter().find(|session| session.role.is_none()) {
                    principals.insert(caller_of(&own.config).await?.arn);
                }
                Ok(Identity {
                    accounts: sessions.iter().map(|s| s.account.clone()).collect(),
                    principals,
                })
            }
        }
    }

    /// Reads the baselines of `regions` (all when empty) and the live
    /// state, compares them, and marks the drift `config` accepts today or
    /// leaves to be monitored only.
    pub async fn compare(
        &self,
        baseline_dir: &Path,
        regions: &[Region],
        config: &Config,
    ) -> Result<Comparison> {
        let read = || Baselines::read(baseline_dir)?.in_regions(regions);
        let mut comparison = match self {
            Live::Exports { files, accounts } => {
                // Exports and baselines are independent: parse them side by side.
                let (baselines, exports) = rayon::join(read, || files.read(accounts));
                nacl_drift_reconcile::compare(baselines?, Exports(exports?)).await?
            }
            Live::Caller(sdk_config) => {
                let baselines = read()?;
                nacl_drift_reconcile::compare(baselines, Ec2Live::new((**sdk_config).clone()))
                    .await?
            }
            Live::Accounts { sessions, settings } => {
                let baselines = read()?;
                let (bar, on_read) = settings.progress(None);
                let source = OrgLive::new(sessions.clone(), settings.concurrency, Some(on_read));
                let comparison = nacl_drift_reconcile::compare(baselines, source).await;
                bar.finish_and_clear();
                comparison?
            }
        };
        comparison.judge(config, today());
        Ok(comparison)
    }
}

impl Live<'_> {
    /// Where `--assets` reads the interfaces, security groups and route
    /// tables: EC2. Asked before anything is read, so that a run that
    /// cannot have them fails first.
    pub fn asset_source(&self) -> Result<AwsSource> {
        self.source().ok_or_else(|| {
            anyhow::anyhow!(
                "--assets reads network interfaces, security groups and route tables from EC2; with --live-file it needs their exports too"
            )
        })
    }
}

/// The configuration's region, else us-east-1: where STS and Organizations
/// are asked when no region is configured.
fn region_or_us_east_1(config: &SdkConfig) -> Region {
    configured_region(config)
        .and_then(|region| Region::parse(region).ok())
        .unwrap_or_else(|| Region::parse("us-east-1").expect("a valid region"))
}
