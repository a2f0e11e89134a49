//! What apply needs from EC2, as a small trait: one method per call, each
//! answering with model types or a classified error. The AWS edge
//! implements it for EC2; the executor, and anything that restores
//! (`apply`, and the guard to come), drives it.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use nacl_drift_model::{AssociationId, Entry, EntryKey, NetworkAclId, SubnetId, VpcId};

/// A call EC2 refused, or that got no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CallError {
    /// Which failure it is, for the executor.
    pub kind: CallErrorKind,
    /// For people: the operation, AWS's error code and its message.
    pub message: String,
}

/// The failures apply treats differently from any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallErrorKind {
    /// A DryRun call that would have been permitted (`DryRunOperation`).
    DryRunPermitted,
    /// `NetworkAclEntryAlreadyExists`.
    EntryAlreadyExists,
    /// `InvalidNetworkAclEntry.NotFound`.
    EntryNotFound,
    /// Anything else: permission, throttling past the retries, no answer.
    Other,
}

/// The EC2 calls of a restore, in one region. `dry_run` asks EC2 whether the
/// call would be permitted, without making it.
pub trait NaclApi: Clone + Send + Sync + 'static {
    /// Creates an empty NACL in `vpc`, and answers its id.
    fn create_network_acl(
        &self,
        vpc: &VpcId,
        dry_run: bool,
    ) -> impl Future<Output = Result<NetworkAclId, CallError>> + Send;

    /// Creates an entry.
    fn create_entry(
        &self,
        acl: &NetworkAclId,
        key: EntryKey,
        entry: Entry,
        dry_run: bool,
    ) -> impl Future<Output = Result<(), CallError>> + Send;

    /// Replaces an entry atomically.
    fn replace_entry(
        &self,
        acl: &NetworkAclId,
        key: EntryKey,
        entry: Entry,
        dry_run: bool,
    ) -> impl Future<Output = Result<(), CallError>> + Send;

    /// Deletes an entry.
    fn delete_entry(
        &self,
        acl: &NetworkAclId,
        key: EntryKey,
        dry_run: bool,
    ) -> impl Future<Output = Result<(), CallError>> + Send;

    /// The entry `key` of `acl` as it is now, if there is one.
    fn entry(
        &self,
        acl: &NetworkAclId,
        key: EntryKey,
    ) -> impl Future<Output = Result<Option<Entry>, CallError>> + Send;

    /// The subnet's current association and the NACL it is on; `None` when
    /// the subnet has none (it is gone).
    fn association_of(
        &self,
        subnet: &SubnetId,
    ) -> impl Future<Output = Result<Option<(AssociationId, NetworkAclId)>, CallError>> + Send;

    /// Moves the subnet of `association` onto `acl`.
    fn replace_association(
        &self,
        association: &AssociationId,
        acl: &NetworkAclId,
        dry_run: bool,
    ) -> impl Future<Output = Result<(), CallError>> + Send;

    /// Sets tags on the NACL (adding or overwriting).
    fn create_tags(
        &self,
        acl: &NetworkAclId,
        tags: &BTreeMap<String, String>,
        dry_run: bool,
    ) -> impl Future<Output = Result<(), CallError>> + Send;

    /// Removes tags from the NACL.
    fn delete_tags(
        &self,
        acl: &NetworkAclId,
        keys: &BTreeSet<String>,
        dry_run: bool,
    ) -> impl Future<Output = Result<(), CallError>> + Send;
}
