//! The first steps of `diff` and `apply`: the baselines and the live state,
//! from EC2 (the caller's account, or many accounts) or from exports,
//! compared by the reconcile core and judged by the project's config.

use anyhow::{Context, Result};
use nacl_drift_aws::AwsSource;
use nacl_drift_config::{Config, today};
use nacl_drift_model::{AccountId, AccountNames, Region};
use nacl_drift_reconcile::{
    Assessing, AssetSource, Enrichers, Events, ExportedAssets, Exports, IntentSource,
};

pub use nacl_drift_model::Identity;
pub use nacl_drift_reconcile::Comparison;

use crate::aws::RunTarget;
use crate::live::LiveFiles;
use nacl_drift_printer::accounts::progress;

/// Where this run's live state comes from.
pub enum Live<'a> {
    /// `--live-file` exports, read alongside the baselines.
    Exports {
        files: &'a LiveFiles,
        accounts: &'a [AccountId],
    },
    /// EC2: the caller's account, or many (`--accounts`, `--org`,
    /// `--account`), with a progress bar unless `quiet`.
    Aws { source: AwsSource, quiet: bool },
}

impl<'a> Live<'a> {
    /// The source the flags name. For many accounts, the accounts are
    /// listed (and the organization asked) now; roles are assumed at the
    /// first read.
    pub async fn choose(files: &'a LiveFiles, target: &'a RunTarget) -> Result<Live<'a>> {
        let RunTarget { accounts, aws } = target;
        if files.any() {
            return Ok(Live::Exports {
                files,
                accounts: &accounts.only,
            });
        }
        let source = AwsSource::for_target(aws.load().await?, accounts).await?;
        let quiet = accounts.quiet;
        Ok(Live::Aws { source, quiet })
    }

    /// The names of the accounts it reads (the file's, the organization's).
    pub fn account_names(&self) -> AccountNames {
        match self {
            Live::Aws { source, .. } => source.account_names(),
            Live::Exports { .. } => AccountNames::default(),
        }
    }

    /// EC2 as the reconcile core's live source, for front-ends that run the
    /// whole sequence (`watch`); `None` for exports.
    pub fn source(&self) -> Option<AwsSource> {
        match self {
            Live::Exports { .. } => None,
            Live::Aws { source, .. } => Some(source.clone()),
        }
    }

    /// The accounts this run reads, and the principals CloudTrail names for
    /// its own calls: the caller's (STS GetCallerIdentity), and each role
    /// assumed's session.
    pub async fn identity(&self) -> Result<Identity> {
        let identity = match self {
            Live::Exports { .. } => anyhow::bail!("exports have no identity"),
            Live::Aws { source, .. } => source.identity().await,
        };
        identity.context("cannot tell who the credentials in use are")
    }

    /// Reads the intent of `regions` (all when empty) and the live state,
    /// compares them, and assesses the drift: what `config` accepts today
    /// or leaves to be monitored only, who made each change from `events`,
    /// and with `assets` the interfaces behind each effect (in EC2, or in
    /// the exports).
    pub async fn compare(
        &self,
        intent: &dyn IntentSource,
        regions: &[Region],
        config: &Config,
        assets: bool,
        events: Events<'_>,
    ) -> Result<(Comparison, Assessing)> {
        let mut exported_assets = None;
        let mut comparison = match self {
            Live::Exports { files, accounts } => {
                // Exports and baselines are independent: parse them side by side.
                let (read, only) = ((*files).clone(), accounts.to_vec());
                let exports = tokio::task::spawn_blocking(move || read.read(&only));
                let baselines = intent.intent(regions).await;
                let (acls, asset_exports) = exports.await??;
                if assets && !asset_exports.has_interfaces() {
                    anyhow::bail!(
                        "--assets with --live-file needs the exports of describe-network-interfaces, describe-security-groups and describe-route-tables too; none of the live files holds network interfaces"
                    );
                }
                let by_account = asset_exports.into_accounts(accounts.first(), &acls);
                exported_assets = Some(ExportedAssets(by_account));
                let completeness = files.completeness;
                nacl_drift_reconcile::compare(baselines?, Exports { acls, completeness }).await?
            }
            Live::Aws { source, quiet } => {
                let baselines = intent.intent(regions).await?;
                let (bar, on_read) = progress(None, *quiet || !source.many());
                let source = source.clone().telling(on_read);
                let comparison = nacl_drift_reconcile::compare(baselines, source).await;
                bar.finish_and_clear();
                comparison?
            }
        };
        let ec2 = self.source();
        let asset_source: Option<&dyn AssetSource> = match (&exported_assets, &ec2) {
            _ if !assets => None,
            (Some(exported), _) => Some(exported),
            (None, ec2) => ec2.as_ref().map(|ec2| ec2 as &dyn AssetSource),
        };
        let with = Enrichers {
            events,
            assets: asset_source,
            ..Enrichers::judging(config, today())
        };
        let assessing = comparison.assess(&with).await?;
        Ok((comparison, assessing))
    }
}
