//! The drift that the CloudTrail fixtures in `tests/fixtures/cloudtrail` record.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use nacl_drift_attribution::{NaclEvent, attribute};
use nacl_drift_diff::{AssessedChange, Verdict, diff};
use nacl_drift_fixtures::{baseline_of, live_of, recorded_trail_vpc};
use nacl_drift_model::{AccountId, AssociationId, SubnetId};

pub const ACCOUNT: &str = "111122223333";

/// The baseline after the recorded calls.
fn live_state() -> String {
    recorded_trail_vpc()
        .replace("  - {rule_number: 120, direction: egress, action: allow, protocol: udp, ports: 53, cidr: 10.0.0.2/32}\n", "")
        .replace("  - {rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0}\n", "")
        .replace("ports: 5432, cidr: 10.0.16.0/20", "ports: 0-65535, cidr: 0.0.0.0/0")
        .replace("tags: {Name: db-tier, Tier: db}", "tags: {Name: db-tier, Tier: database}")
        .replace("subnets: [subnet-0dba, subnet-0dbb]", "subnets: [subnet-0dba]")
        .replace("is_default: true\n", "is_default: true\n  subnets: [subnet-0dbb]\n")
}

/// A report's changes, each with the verdict attribution sets, and the
/// live association ids.
pub struct Drift {
    pub changes: Vec<AssessedChange>,
    pub subnets: HashMap<AssociationId, SubnetId>,
}

impl Drift {
    /// Attributes the changes to `events` of `accounts` no older than
    /// `since`; how many only an older event matches.
    pub fn attribute(
        &mut self,
        events: &[NaclEvent],
        accounts: &BTreeSet<AccountId>,
        since: i64,
    ) -> usize {
        attribute(&mut self.changes, events, accounts, &self.subnets, since)
    }

    /// Each change's verdict.
    pub fn verdicts(&self) -> impl Iterator<Item = &Verdict> {
        self.changes.iter().map(|assessed| &assessed.verdict)
    }
}

/// The changes to attribute, with the live association ids.
pub fn changes() -> Drift {
    let baseline = baseline_of(&recorded_trail_vpc());
    let mut live = live_of(&live_state(), Some("us-east-1"));
    for acl in &mut live {
        if acl.observed.acl.id == "acl-0default" {
            acl.observed.association_ids = [(
                "aclassoc-0new".parse().expect("association id"),
                "subnet-0dbb".parse().expect("subnet id"),
            )]
            .into();
        }
    }
    let report = diff(&accounts(), &[("b.yaml".into(), baseline)], &live);
    let subnets = live
        .iter()
        .flat_map(|acl| acl.observed.association_ids.clone())
        .collect();
    Drift {
        changes: report
            .changes
            .into_iter()
            .map(AssessedChange::from)
            .collect(),
        subnets,
    }
}

pub fn accounts() -> BTreeSet<AccountId> {
    BTreeSet::from([ACCOUNT.parse().expect("account")])
}

pub fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/cloudtrail")
}
