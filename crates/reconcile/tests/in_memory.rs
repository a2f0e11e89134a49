//! The reconcile core end to end on an in-memory EC2, the way an unattended
//! front-end drives it: compare, plan, restore, and verify with a fresh read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use nacl_drift_apply::{CallError, CallErrorKind, NaclApi, Outcome, Place};
use nacl_drift_config::Config;
use nacl_drift_diff::LiveAcl;
use nacl_drift_model::{
    AccountId, AssociationId, Baseline, Entry, EntryKey, NetworkAclId, ObservedAcl, Region,
    SubnetId, VpcId,
};
use nacl_drift_reconcile::{
    Baselines, LiveRead, LiveSource, Policy, ReadScope, SourceError, reconcile,
};

const BASELINE: &str = "schema_version: 1
account: '111122223333'
region: us-east-1
vpc_id: vpc-0prod
scope: {regions: [us-east-1]}
network_acls:
- id: acl-0db
  is_default: false
  entries:
  - {rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0}
  - {rule_number: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}
";

/// One region of EC2, in memory: its NACLs, shared by every clone.
#[derive(Clone, Default)]
struct Cloud(Arc<Mutex<BTreeMap<NetworkAclId, ObservedAcl>>>);

impl Cloud {
    fn entries(&self, acl: &str) -> BTreeMap<EntryKey, Entry> {
        self.0.lock().expect("lock")[acl].acl.entries.clone()
    }

    fn edit(&self, acl: &NetworkAclId, change: impl FnOnce(&mut BTreeMap<EntryKey, Entry>)) {
        let mut nacls = self.0.lock().expect("lock");
        let observed = nacls.get_mut(acl).expect("a NACL of the cloud");
        change(&mut observed.acl.entries);
    }
}

fn unsupported(what: &str) -> CallError {
    CallError {
        kind: CallErrorKind::Other,
        message: format!("{what} is not part of this test"),
    }
}

impl LiveSource for Cloud {
    async fn accounts(&self, _region: &Region) -> Result<BTreeSet<AccountId>, SourceError> {
        let nacls = self.0.lock().expect("lock");
        Ok(nacls
            .values()
            .map(|observed| observed.account.clone())
            .collect())
    }

    async fn read(self, _scope: ReadScope) -> Result<LiveRead, SourceError> {
        let region: Region = "us-east-1".parse()?;
        let nacls = self.0.lock().expect("lock");
        let acls = nacls
            .values()
            .map(|observed| LiveAcl {
                region: Some(region.clone()),
                observed: observed.clone(),
            })
            .collect();
        Ok(LiveRead {
            acls,
            errors: Vec::new(),
        })
    }
}

impl NaclApi for Cloud {
    async fn create_network_acl(&self, _: &VpcId, _: bool) -> Result<NetworkAclId, CallError> {
        Err(unsupported("CreateNetworkAcl"))
    }

    async fn create_entry(
        &self,
        acl: &NetworkAclId,
        key: EntryKey,
        entry: Entry,
        _dry_run: bool,
    ) -> Result<(), CallError> {
        self.edit(acl, |entries| {
            entries.insert(key, entry);
        });
        Ok(())
    }

    async fn replace_entry(
        &self,
        acl: &NetworkAclId,
        key: EntryKey,
        entry: Entry,
        dry_run: bool,
    ) -> Result<(), CallError> {
        self.create_entry(acl, key, entry, dry_run).await
    }

    async fn delete_entry(
        &self,
        acl: &NetworkAclId,
        key: EntryKey,
        _: bool,
    ) -> Result<(), CallError> {
        self.edit(acl, |entries| {
            entries.remove(&key);
        });
        Ok(())
    }

    async fn entry(&self, acl: &NetworkAclId, key: EntryKey) -> Result<Option<Entry>, CallError> {
        Ok(self.entries(acl).get(&key).copied())
    }

    async fn association_of(
        &self,
        _: &SubnetId,
    ) -> Result<Option<(AssociationId, NetworkAclId)>, CallError> {
        Err(unsupported("DescribeNetworkAcls by subnet"))
    }

    async fn replace_association(
        &self,
        _: &AssociationId,
        _: &NetworkAclId,
        _: bool,
    ) -> Result<(), CallError> {
        Err(unsupported("ReplaceNetworkAclAssociation"))
    }

    async fn create_tags(
        &self,
        _: &NetworkAclId,
        _: &BTreeMap<String, String>,
        _: bool,
    ) -> Result<(), CallError> {
        Err(unsupported("CreateTags"))
    }

    async fn delete_tags(
        &self,
        _: &NetworkAclId,
        _: &BTreeSet<String>,
        _: bool,
    ) -> Result<(), CallError> {
        Err(unsupported("DeleteTags"))
    }
}

/// The baseline on disk, and a cloud where someone deleted the SSH deny.
fn incident() -> (tempfile::TempDir, Baselines, Cloud) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("111122223333/us-east-1/vpc-0prod.yaml");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, BASELINE).expect("write");
    let baseline = Baseline::from_yaml(Path::new("b.yaml"), BASELINE).expect("valid");
    let cloud = Cloud::default();
    for acl in baseline.network_acls {
        let observed = ObservedAcl {
            account: baseline.account.clone(),
            vpc_id: baseline.vpc_id.clone(),
            association_ids: BTreeMap::new(),
            acl,
        };
        cloud
            .0
            .lock()
            .expect("lock")
            .insert(observed.acl.id.clone(), observed);
    }
    let acl: NetworkAclId = "acl-0db".parse().expect("id");
    let ssh_deny = *cloud.entries("acl-0db").keys().next().expect("rule 80");
    cloud.edit(&acl, |entries| {
        entries.remove(&ssh_deny);
    });
    let baselines = Baselines::read(dir.path()).expect("baselines");
    (dir, baselines, cloud)
}

fn clients(cloud: &Cloud) -> BTreeMap<Place, Cloud> {
    let place = Place {
        account: "111122223333".parse().expect("account"),
        region: "us-east-1".parse().expect("region"),
    };
    BTreeMap::from([(place, cloud.clone())])
}

#[tokio::test]
async fn a_restoring_policy_closes_the_exposure_and_verifies_it() {
    let (_dir, baselines, cloud) = incident();
    let policy = Policy {
        restore: true,
        ..Policy::default()
    };
    let reconciled = reconcile(
        baselines,
        cloud.clone(),
        &clients(&cloud),
        policy,
        &Config::none(),
    )
    .await
    .expect("reconciles");
    assert!(!reconciled.before.report.in_sync);
    assert_eq!(reconciled.plan.steps.len(), 1);
    let restored = reconciled.restored.expect("a restore");
    assert_eq!(restored.executed.outcomes, [Outcome::Done]);
    assert!(restored.recreated.is_empty());
    let after = reconciled.after.expect("a verification");
    assert!(after.report.in_sync, "{:?}", after.report.changes);
    assert_eq!(cloud.entries("acl-0db").len(), 2);
}

#[tokio::test]
async fn a_reporting_policy_changes_nothing() {
    let (_dir, baselines, cloud) = incident();
    let reconciled = reconcile(
        baselines,
        cloud.clone(),
        &clients(&cloud),
        Policy::default(),
        &Config::none(),
    )
    .await
    .expect("reconciles");
    assert_eq!(reconciled.plan.steps.len(), 1, "the plan is there to show");
    assert!(reconciled.restored.is_none() && reconciled.after.is_none());
    assert_eq!(cloud.entries("acl-0db").len(), 1, "nothing was called");
}

/// A restoring policy with a config that marks the NACL monitor-only, or
/// accepts the deleted deny (until `expires`).
async fn restore_under(config: &str) -> (nacl_drift_reconcile::Reconciled, Cloud) {
    let (_dir, baselines, cloud) = incident();
    let config = Config::parse(Path::new("nacl-drift.toml"), config).expect("a valid config");
    let policy = Policy {
        restore: true,
        ..Policy::default()
    };
    let reconciled = reconcile(baselines, cloud.clone(), &clients(&cloud), policy, &config)
        .await
        .expect("reconciles");
    (reconciled, cloud)
}

#[tokio::test]
async fn a_monitor_only_nacl_is_reported_and_never_changed() {
    let (reconciled, cloud) = restore_under(
        "[[monitor_only]]\nnetwork_acl = \"acl-0d*\"\nreason = \"Managed by Firewall Manager\"\n",
    )
    .await;
    let change = &reconciled.before.report.changes[0];
    assert_eq!(
        change.monitor_only.as_deref(),
        Some("Managed by Firewall Manager")
    );
    assert!(reconciled.plan.is_empty() && reconciled.restored.is_none());
    assert_eq!(reconciled.plan.untouched.len(), 1);
    assert_eq!(cloud.entries("acl-0db").len(), 1, "nothing was called");
}

#[tokio::test]
async fn a_nacl_the_brake_holds_is_reported_as_held_not_as_monitor_only() {
    let (_dir, baselines, cloud) = incident();
    let reason = "flapping: restored 3 times in 600s".to_owned();
    let policy = Policy {
        restore: true,
        held: BTreeMap::from([("acl-0db".parse().expect("id"), reason.clone())]),
        ..Policy::default()
    };
    let config = Config::parse(Path::new("nacl-drift.toml"), "").expect("a valid config");
    let reconciled = reconcile(baselines, cloud.clone(), &clients(&cloud), policy, &config)
        .await
        .expect("reconciles");
    let change = &reconciled.before.report.changes[0];
    assert_eq!(change.held.as_deref(), Some(reason.as_str()));
    assert_eq!(change.monitor_only, None, "the config says nothing of it");
    assert_eq!(
        reconciled.plan.untouched[0].1,
        "the flapping brake holds this NACL"
    );
    assert!(reconciled.restored.is_none());
    assert_eq!(cloud.entries("acl-0db").len(), 1, "nothing was called");
}

#[tokio::test]
async fn accepted_drift_is_never_restored_until_the_acceptance_expires() {
    let accept = |expires: &str| {
        format!(
            "[[accept]]\nnetwork_acl = \"acl-0db\"\nkind = \"entry_deleted\"\nrule_number = 80\nreason = \"Bastion migration\"\nexpires = {expires}\n"
        )
    };
    let (reconciled, cloud) = restore_under(&accept("2999-12-31")).await;
    assert_eq!(
        reconciled.before.report.severity, None,
        "accepted drift rates nothing"
    );
    assert!(reconciled.plan.is_empty());
    assert_eq!(cloud.entries("acl-0db").len(), 1, "nothing was called");

    let (reconciled, cloud) = restore_under(&accept("2020-01-31")).await;
    assert!(reconciled.before.report.changes[0].accepted.is_none());
    assert_eq!(reconciled.plan.steps.len(), 1, "expired: restored again");
    assert_eq!(cloud.entries("acl-0db").len(), 2);
}
