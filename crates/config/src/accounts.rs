//! The accounts file (`--accounts`): the accounts one run covers, the role
//! to assume in each, and their regions. Its field names are c7n-org's, so
//! that a team's existing file works as it is; `defaults` gives the role
//! and regions of every account that names none, and `{account_id}` in a
//! role is replaced by the account's id. [`AccountSettings`] is which
//! accounts a run covers, as its flags chose them (a file, an
//! organization, `--account`), before any call.
//!
//! ```yaml
//! defaults:
//!   role: arn:aws:iam::{account_id}:role/NaclDriftReadOnly
//!   regions: [us-east-1, eu-central-1]
//! accounts:
//!   - account_id: "111122223333"
//!     name: prod-network
//!     tags: [env:prod]
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use nacl_drift_model::{
    AccountId, AccountNames, MAX_YAML_BYTES, Region, RoleArn, RoleName, check_yaml, read_bounded,
    sanitize,
};
use serde::Deserialize;
use serde::de::IgnoredAny;

/// An accounts file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The file could not be read.
    #[error("cannot read the accounts file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid accounts file.
    #[error("{place}: {message}")]
    Invalid {
        /// The file, with the line and column when the YAML parser knows them.
        place: String,
        /// What is wrong.
        message: String,
    },
}

/// An error of selection: an account or tag that selects nothing.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// `--account` names an account that is not in the list.
    #[error("account {0} is not among the accounts of this run")]
    UnknownAccount(AccountId),
    /// Nothing is left to run on.
    #[error("no account is selected: {0}")]
    NothingSelected(String),
}

/// Why the accounts of a run that never calls AWS could not be chosen.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    /// The accounts file could not be used.
    #[error(transparent)]
    File(#[from] AccountsError),
    /// The selection selects nothing.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// An organization's accounts come from AWS alone.
    #[error(
        "--org asks AWS for the accounts, and this command never calls AWS: use --accounts FILE"
    )]
    NeedsAws,
}

/// Where the accounts of a run come from.
#[derive(Clone, Debug, Default)]
pub enum AccountSource {
    /// The account of the credentials in use.
    #[default]
    Caller,
    /// An accounts file (`--accounts`).
    File(PathBuf),
    /// Every active account of the organization (`--org`), with the role
    /// to assume in each.
    Organization {
        /// The role to assume in each member account.
        role_name: RoleName,
        /// The external id the roles' trust policies ask for.
        external_id: Option<String>,
    },
    /// The accounts `--account` names, with the credentials in use.
    Listed,
}

/// The accounts of a run, as its flags chose them: no call is made yet
/// (the AWS edge lists them, `nacl_drift_aws::list_accounts`).
#[derive(Clone, Debug, Default)]
pub struct AccountSettings {
    /// Where they come from.
    pub source: AccountSource,
    /// `--account`: only these (with exports: the exports' account).
    pub only: Vec<AccountId>,
    /// `--account-tag`: only accounts with all these tags.
    pub tags: Vec<String>,
    /// How many account-regions are read at once.
    pub concurrency: usize,
    /// No progress bar.
    pub quiet: bool,
}

impl AccountSettings {
    /// Whether the run covers a list of accounts rather than the caller's.
    pub fn many(&self) -> bool {
        !matches!(self.source, AccountSource::Caller)
    }

    /// Whether the run names its accounts on purpose (`--account`, an
    /// accounts file): baselines of other accounts are then left out, not
    /// missed.
    pub fn narrowed(&self) -> bool {
        !self.only.is_empty() || matches!(self.source, AccountSource::File(_))
    }

    /// For commands that never call AWS (`lint`): the accounts selected by
    /// the file and `--account`/`--account-tag`; `None` for every account.
    pub fn offline_selection(&self) -> Result<Option<Accounts>, SelectionError> {
        let selected = match &self.source {
            AccountSource::Organization { .. } => return Err(SelectionError::NeedsAws),
            AccountSource::File(path) => Accounts::read(path)?.select(&self.only, &self.tags)?,
            AccountSource::Caller => return Ok(None),
            AccountSource::Listed => Accounts {
                accounts: self.only.iter().cloned().map(Account::new).collect(),
            },
        };
        Ok(Some(selected))
    }
}

/// One account of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Its name, for people.
    pub name: Option<String>,
    /// The role to assume in it; `None`: the current credentials, which
    /// must then be this account's.
    pub role: Option<RoleArn>,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
    /// Its regions; empty: those of `--region`, or the configured one.
    pub regions: Vec<Region>,
    /// Its tags, as c7n-org writes them: `key:value` or a bare word.
    pub tags: Vec<String>,
}

impl Account {
    /// The account `id`, with no name, role, regions or tags: read with
    /// the credentials in use.
    pub fn new(id: AccountId) -> Account {
        Account {
            id,
            name: None,
            role: None,
            external_id: None,
            regions: Vec::new(),
            tags: Vec::new(),
        }
    }
}

/// The accounts of a run, each once, in the file's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accounts {
    /// The accounts.
    pub accounts: Vec<Account>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    defaults: RawDefaults,
    accounts: Vec<RawAccount>,
    /// c7n-org's policy variables: nothing for nacl-drift.
    #[serde(default)]
    #[allow(dead_code)]
    vars: Option<IgnoredAny>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    role: Option<String>,
    external_id: Option<String>,
    regions: Option<Vec<Region>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    account_id: AccountId,
    name: Option<String>,
    role: Option<String>,
    external_id: Option<String>,
    regions: Option<Vec<Region>>,
    #[serde(default)]
    tags: Vec<String>,
    /// c7n-org's fields that mean nothing to nacl-drift.
    #[serde(default)]
    #[allow(dead_code)]
    email: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    display_name: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    org_path: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    vars: Option<IgnoredAny>,
}

impl Accounts {
    /// Gives the regions `default` makes, asked once with the first such
    /// account, to every account that lists none (to all of them when
    /// `every`).
    pub fn give_regions<E>(
        &mut self,
        every: bool,
        default: impl FnOnce(&AccountId) -> Result<Vec<Region>, E>,
    ) -> Result<(), E> {
        let takes = |account: &Account| every || account.regions.is_empty();
        let Some(first) = self.accounts.iter().find(|account| takes(account)) else {
            return Ok(());
        };
        let regions = default(&first.id)?;
        for account in self.accounts.iter_mut().filter(|account| takes(account)) {
            account.regions = regions.clone();
        }
        Ok(())
    }

    /// The accounts' names, for people.
    pub fn names(&self) -> AccountNames {
        AccountNames(
            self.accounts
                .iter()
                .filter_map(|account| Some((account.id.clone(), account.name.clone()?)))
                .collect(),
        )
    }

    /// Reads and checks the accounts file at `path`.
    pub fn read(path: &Path) -> Result<Accounts, AccountsError> {
        let text = read_bounded(path, MAX_YAML_BYTES).map_err(|source| AccountsError::Read {
            path: path.to_owned(),
            source,
        })?;
        Accounts::parse(path, &text)
    }

    /// Checks `text`, the content of the accounts file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Accounts, AccountsError> {
        check_yaml(text).map_err(|message| AccountsError::Invalid {
            place: path.display().to_string(),
            message,
        })?;
        let raw: RawFile = serde_yaml::from_str(text).map_err(|error| {
            let place = match error.location() {
                Some(at) => format!("{}:{}:{}", path.display(), at.line(), at.column()),
                None => path.display().to_string(),
            };
            AccountsError::Invalid {
                place,
                message: error.to_string(),
            }
        })?;
        let invalid = |message: String| AccountsError::Invalid {
            place: path.display().to_string(),
            message,
        };
        let mut seen = BTreeSet::new();
        let mut accounts = Vec::new();
        for raw_account in raw.accounts {
            let id = raw_account.account_id;
            if !seen.insert(id.clone()) {
                return Err(invalid(format!("account {id} is listed twice")));
            }
            let role = match raw_account.role.or_else(|| raw.defaults.role.clone()) {
                Some(template) => Some(role_for(&id, &template).map_err(invalid)?),
                None => None,
            };
            let regions = raw_account
                .regions
                .or_else(|| raw.defaults.regions.clone())
                .unwrap_or_default();
            accounts.push(Account {
                id,
                name: raw_account.name,
                role,
                external_id: raw_account
                    .external_id
                    .or_else(|| raw.defaults.external_id.clone()),
                regions,
                tags: raw_account.tags,
            });
        }
        if accounts.is_empty() {
            return Err(invalid("lists no accounts".to_owned()));
        }
        Ok(Accounts { accounts })
    }

    /// The accounts that `ids` name (all when empty) and that carry every
    /// tag of `tags`; an error when an id is not in the list, or when
    /// nothing is left.
    pub fn select(self, ids: &[AccountId], tags: &[String]) -> Result<Accounts, SelectError> {
        if let Some(unknown) = ids
            .iter()
            .find(|id| !self.accounts.iter().any(|account| &account.id == *id))
        {
            return Err(SelectError::UnknownAccount(unknown.clone()));
        }
        let accounts: Vec<Account> = self
            .accounts
            .into_iter()
            .filter(|account| ids.is_empty() || ids.contains(&account.id))
            .filter(|account| tags.iter().all(|tag| account.tags.contains(tag)))
            .collect();
        if accounts.is_empty() {
            return Err(SelectError::NothingSelected(format!(
                "no account carries the tags {}",
                tags.join(", ")
            )));
        }
        Ok(Accounts { accounts })
    }

    /// The accounts as an accounts file, to review and commit.
    pub fn to_yaml(&self) -> String {
        let mut out = String::from("accounts:\n");
        for account in &self.accounts {
            let _ = writeln!(out, "  - account_id: \"{}\"", account.id);
            if let Some(name) = &account.name {
                let _ = writeln!(out, "    name: {}", yaml_string(name));
            }
            if let Some(role) = &account.role {
                let _ = writeln!(out, "    role: {role}");
            }
            if let Some(external_id) = &account.external_id {
                let _ = writeln!(out, "    external_id: {}", yaml_string(external_id));
            }
            if !account.regions.is_empty() {
                let regions: Vec<&str> = account.regions.iter().map(Region::as_str).collect();
                let _ = writeln!(out, "    regions: [{}]", regions.join(", "));
            }
            if !account.tags.is_empty() {
                let tags: Vec<String> = account.tags.iter().map(|t| yaml_string(t)).collect();
                let _ = writeln!(out, "    tags: [{}]", tags.join(", "));
            }
        }
        out
    }
}

/// The role of `template` for `account`: `{account_id}` replaced, the ARN
/// checked, and its account required to be `account` (a role in another
/// account would read that account's NACLs under this one's name).
fn role_for(account: &AccountId, template: &str) -> Result<RoleArn, String> {
    let arn = template.replace("{account_id}", account.as_str());
    let role = RoleArn::parse(&arn).map_err(|error| format!("account {account}: {error}"))?;
    if role.account() != *account {
        return Err(format!(
            "account {account}: the role {role} is in account {}, not {account}",
            role.account()
        ));
    }
    Ok(role)
}

/// `value` as a YAML double-quoted string: backslashes and quotes
/// escaped, and every character YAML may not hold raw (controls, bidi
/// controls, the line separators, U+FFFE and U+FFFF) as a YAML escape.
fn yaml_string(value: &str) -> String {
    let escaped = value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\u{FFFE}', "\\uFFFE")
        .replace('\u{FFFF}', "\\uFFFF");
    format!("\"{}\"", sanitize::shown(&escaped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_yaml_string_reads_back_as_itself() {
        for value in [
            "plain",
            "quote \" and \\ backslash",
            "esc \u{1b}]0;title\u{7} cr \r lf \n tab \t del \u{7f} c1 \u{9b}",
            "bidi \u{202e} sep \u{2028} nonchar \u{fffe}\u{ffff} emoji 🦀",
        ] {
            let text = format!("value: {}\n", yaml_string(value));
            let read: std::collections::BTreeMap<String, String> =
                serde_yaml::from_str(&text).expect(&text);
            assert_eq!(read["value"], value, "{text}");
            assert!(
                !text.trim_end().contains(['\u{1b}', '\r', '\u{202e}']),
                "{text}"
            );
        }
    }

    fn parse(text: &str) -> Result<Accounts, AccountsError> {
        Accounts::parse(Path::new("accounts.yaml"), text)
    }

    fn account(id: &str) -> AccountId {
        AccountId::parse(id).expect("an account id")
    }

    const FILE: &str = r#"
defaults:
  role: arn:aws:iam::{account_id}:role/NaclDriftReadOnly
  regions: [us-east-1, eu-central-1]
accounts:
  - account_id: "111122223333"
    name: prod-network
    regions: [us-east-1]
    tags: [env:prod, network]
  - account_id: "444455556666"
    name: dev
    role: arn:aws:iam::444455556666:role/Other
    external_id: "ext-1"
    email: dev@example.com
    tags: [env:dev]
vars:
  anything: at all
"#;

    #[test]
    fn defaults_fill_in_and_account_ids_are_substituted() {
        let accounts = parse(FILE).expect("a valid file").accounts;
        assert_eq!(accounts.len(), 2);
        assert_eq!(
            accounts[0].role.as_ref().map(RoleArn::as_str),
            Some("arn:aws:iam::111122223333:role/NaclDriftReadOnly")
        );
        assert_eq!(
            accounts[0].regions,
            vec![Region::parse("us-east-1").expect("region")]
        );
        assert_eq!(accounts[1].regions.len(), 2, "the defaults' regions");
        assert_eq!(
            accounts[1].role.as_ref().map(RoleArn::as_str),
            Some("arn:aws:iam::444455556666:role/Other")
        );
        assert_eq!(accounts[1].external_id.as_deref(), Some("ext-1"));
    }

    #[test]
    fn the_printed_file_reads_back_the_same() {
        let accounts = parse(FILE).expect("a valid file");
        assert_eq!(parse(&accounts.to_yaml()).expect("reads back"), accounts);
    }

    #[test]
    fn selection_by_id_and_tag() {
        let accounts = parse(FILE).expect("a valid file");
        let prod = accounts
            .clone()
            .select(&[], &["env:prod".to_owned()])
            .expect("one account");
        assert_eq!(prod.accounts.len(), 1);
        assert_eq!(prod.accounts[0].id, "111122223333");
        let dev = accounts
            .clone()
            .select(&[account("444455556666")], &[])
            .expect("one account");
        assert_eq!(dev.accounts[0].id, "444455556666");
        assert_eq!(
            accounts.clone().select(&[account("999999999999")], &[]),
            Err(SelectError::UnknownAccount(account("999999999999")))
        );
        assert_eq!(
            accounts
                .select(&[], &["env:qa".to_owned()])
                .expect_err("nothing")
                .to_string(),
            "no account is selected: no account carries the tags env:qa"
        );
    }

    #[test]
    fn bad_files_name_the_problem() {
        let cases = [
            (
                "accounts:\n  - account_id: \"../etc\"\n",
                "accounts.yaml:2:17: accounts[0].account_id: \"../etc\" is not an AWS account id",
            ),
            (
                "accounts:\n  - account_id: \"111122223333\"\n    role: arn:aws:iam::444455556666:role/R\n",
                "accounts.yaml: account 111122223333: the role arn:aws:iam::444455556666:role/R is in account 444455556666, not 111122223333",
            ),
            (
                "accounts:\n  - account_id: \"111122223333\"\n    role: NaclDrift\n",
                "accounts.yaml: account 111122223333: \"NaclDrift\" is not an IAM role ARN",
            ),
            (
                "accounts:\n  - account_id: \"111122223333\"\n  - account_id: \"111122223333\"\n",
                "accounts.yaml: account 111122223333 is listed twice",
            ),
            ("accounts: []\n", "accounts.yaml: lists no accounts"),
            (
                "accounts:\n  - account_id: \"111122223333\"\n    regions: [us-east-1, Mars]\n",
                "accounts.yaml:3:26: accounts[0].regions[1]: \"Mars\" is not an AWS region",
            ),
            (
                "accounts:\n  - account_id: \"111122223333\"\n    rol: x\n",
                "accounts.yaml:3:5: accounts[0]: unknown field `rol`",
            ),
        ];
        for (text, expected) in cases {
            let error = parse(text).expect_err(text).to_string();
            assert!(error.starts_with(expected), "{error}\nexpected: {expected}");
        }
    }
}
