//! The flags of a run over many accounts, which `snapshot`, `diff`,
//! `apply` and `lint` take: an accounts file (`--accounts`) or an
//! organization (`--org --role-name`), a subset of it (`--account`,
//! `--account-tag`), and how many calls run at once (`--concurrency`).
//! Without them, a command covers the account of the credentials in use.
//! The accounts' flags also come from the environment (`NACL_DRIFT_ORG`,
//! `NACL_DRIFT_ROLE_NAME`, ...), as the organization's Lambda guard takes
//! no arguments.

use std::path::PathBuf;

use anyhow::{Result, bail};
use nacl_drift_aws::list_accounts;
use nacl_drift_config::{AccountSettings, AccountSource, Config};
use nacl_drift_model::{AccountId, Region, RoleName};

use crate::aws::AwsArgs;
use crate::exit_status::ExitStatus;
use nacl_drift_printer::Printer;

/// The options that choose the accounts of a run.
#[derive(clap::Args, Debug, Default)]
pub struct AccountArgs {
    /// An accounts file (c7n-org's format): the accounts to cover, the role
    /// to assume in each, and their regions.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "org",
        env = "NACL_DRIFT_ACCOUNTS"
    )]
    pub accounts: Option<PathBuf>,

    /// Cover every active account of the organization (Organizations
    /// ListAccounts, from its management or delegated-administrator
    /// account), assuming --role-name in each.
    #[arg(long, requires = "role_name", env = "NACL_DRIFT_ORG")]
    pub org: bool,

    /// With --org: the role to assume in every account (an accounts file
    /// names each account's own).
    #[arg(
        long,
        value_name = "NAME",
        requires = "org",
        conflicts_with = "accounts",
        env = "NACL_DRIFT_ROLE_NAME"
    )]
    pub role_name: Option<RoleName>,

    /// With --org: the external id the roles' trust policies ask for.
    #[arg(
        long,
        value_name = "ID",
        requires = "org",
        env = "NACL_DRIFT_EXTERNAL_ID"
    )]
    pub external_id: Option<String>,

    /// Only this account; repeat for several. With --live-file, the account
    /// of exports that carry no OwnerId; alone, the account the
    /// credentials must be of.
    #[arg(long = "account", value_name = "ACCOUNT")]
    pub account_ids: Vec<AccountId>,

    /// With --accounts: only accounts with this tag (as the file writes
    /// it, e.g. env:prod); repeat to require several.
    #[arg(long = "account-tag", value_name = "KEY:VALUE", requires = "accounts")]
    pub account_tags: Vec<String>,

    /// How many account-regions are read at once.
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

impl AccountArgs {
    /// The settings these flags give; without `--accounts` or `--org`, the
    /// config file's `accounts`.
    pub fn resolve(self, config: &Config) -> AccountSettings {
        let file = self
            .accounts
            .or_else(|| config.accounts.clone().filter(|_| !self.org));
        let source = match (file, self.role_name.filter(|_| self.org)) {
            (Some(file), _) => AccountSource::File(file),
            (None, Some(role_name)) => AccountSource::Organization {
                role_name,
                external_id: self.external_id,
            },
            (None, None) if !self.account_ids.is_empty() => AccountSource::Listed,
            (None, None) => AccountSource::Caller,
        };
        AccountSettings {
            source,
            only: self.account_ids,
            tags: self.account_tags,
            concurrency: usize::from(self.concurrency),
            quiet: self.quiet,
        }
    }
}

/// `nacl-drift accounts`: the accounts of a run, as an accounts file to
/// review and commit.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    accounts: AccountArgs,

    /// A region to write for every account that lists none; repeat for
    /// several.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<Region>,

    #[command(flatten)]
    aws: AwsArgs,
}

/// Prints the selected accounts of the file or the organization.
pub async fn run(args: ListArgs, printer: &mut Printer) -> Result<ExitStatus> {
    let selection = args.accounts.resolve(&Config::none());
    let aws = args.aws.resolve();
    if !matches!(
        selection.source,
        AccountSource::File(_) | AccountSource::Organization { .. }
    ) {
        bail!("accounts needs --accounts FILE, or --org --role-name NAME");
    }
    let config = aws.load().await?;
    let mut accounts = list_accounts(&config, &selection).await?;
    for account in &mut accounts.accounts {
        if account.regions.is_empty() {
            account.regions = args.regions.clone();
        }
    }
    printer.text(&accounts.to_yaml());
    Ok(ExitStatus::Success)
}
