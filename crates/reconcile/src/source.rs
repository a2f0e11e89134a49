//! Where live state comes from: EC2 (the AWS edge), or exports.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use nacl_drift_model::{AccountId, LiveAcl, ObservedAcl, ReadError, Region, VpcId};

/// Why live state could not be read; its message and causes are the
/// source's own.
pub type SourceError = Box<dyn std::error::Error + Send + Sync>;

/// What to read: for each account, its regions, each with its VPC filter
/// (empty: every VPC).
pub type ReadScope = BTreeMap<AccountId, BTreeMap<Region, BTreeSet<VpcId>>>;

/// The live state read, and the account-regions that could not be.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveRead {
    /// The live NACLs of every account-region that was read.
    pub acls: Vec<LiveAcl>,
    /// The account-regions that failed; the others are complete.
    pub errors: Vec<ReadError>,
}

/// A source of live state. It is asked whose state it holds, then read
/// once for exactly the scope the baselines of those accounts cover.
pub trait LiveSource: Send {
    /// The accounts the live state is of: only their baselines are compared.
    /// `region` is one the baselines name, for services that need one.
    fn accounts(
        &self,
        region: &Region,
    ) -> impl Future<Output = Result<BTreeSet<AccountId>, SourceError>> + Send;

    /// The live NACLs of each account-region of `scope`. A source that
    /// reads many accounts reports an account-region it cannot read in
    /// [`LiveRead::errors`] and goes on; one that cannot go on fails.
    fn read(self, scope: ReadScope) -> impl Future<Output = Result<LiveRead, SourceError>> + Send;

    /// What the read says of a NACL or subnet it does not hold.
    fn completeness(&self) -> Completeness {
        Completeness::AccountRegions
    }
}

/// What a source's read says of what it does not hold: only a complete
/// read may conclude that a NACL, a subnet or a VPC is gone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Completeness {
    /// Every account-region asked was read whole (EC2): what is not there
    /// is gone. What a source is unless it says otherwise.
    #[default]
    AccountRegions,
    /// Exports said to be complete (`--export-is-complete`): each
    /// account-region they hold a NACL of is whole. Exports carry no
    /// region, so one they hold nothing of is still unread.
    ExportedRegions,
    /// Exports: they answer only for what they hold. A VPC, NACL or subnet
    /// they lack is unread, never gone (an export may be filtered by VPC,
    /// NACL or subnet).
    HeldOnly,
}

/// The NACLs of `aws ec2 describe-network-acls` exports. An export carries
/// no region: its NACLs match baselines by id and VPC, and its owners are
/// the accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exports {
    /// Their NACLs.
    pub acls: Vec<ObservedAcl>,
    /// [`Completeness::ExportedRegions`] when the user says the exports
    /// are whole, else [`Completeness::HeldOnly`].
    pub completeness: Completeness,
}

impl LiveSource for Exports {
    async fn accounts(&self, _region: &Region) -> Result<BTreeSet<AccountId>, SourceError> {
        let accounts: BTreeSet<AccountId> =
            self.acls.iter().map(|acl| acl.account.clone()).collect();
        if accounts.is_empty() {
            return Err("the live files hold no network ACLs".into());
        }
        Ok(accounts)
    }

    async fn read(self, _scope: ReadScope) -> Result<LiveRead, SourceError> {
        let acls = self
            .acls
            .into_iter()
            .map(|observed| LiveAcl {
                region: None,
                observed,
            })
            .collect();
        Ok(LiveRead {
            acls,
            errors: Vec::new(),
        })
    }

    fn completeness(&self) -> Completeness {
        self.completeness
    }
}
