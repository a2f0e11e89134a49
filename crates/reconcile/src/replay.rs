//! An incident's timeline, pure: each NACL's history replayed from its
//! baseline through the NACL calls CloudTrail recorded, with the exact
//! traffic effect of each moment (`diff`'s analysis against the baseline),
//! as windows: each effect that held for a time, when it opened and who
//! opened it, and when it closed and who closed it, or that it is open
//! still.
//!
//! - [`replay`]: the windows of the baselines' NACLs through the events,
//!   and the calls it could not apply ([`Unreplayed`]): a record it cannot
//!   read, a subnet moved whose subnet cannot be told or onto a NACL no
//!   baseline holds.
//! - A move (ReplaceNetworkAclAssociation) names an association, not a
//!   subnet: each move's `newAssociationId` is the association the next
//!   move of that subnet replaces, so the subnets are found backwards from
//!   the associations read now.
//! - [`Timeline::differences`]: where the replay does not end in the live
//!   state read now (the trail lacks a call, or a baseline was not the
//!   state at the start): windows on those NACLs are not backed by the
//!   trail.

mod call;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use nacl_drift_analysis::Severity;
use nacl_drift_attribution::NaclEvent;
use nacl_drift_diff::{Attribution, Change, TrafficEffect, diff};
use nacl_drift_model::{
    AccountId, AssociationId, Baseline, Entry, EntryKey, LiveAcl, NetworkAclId, ObservedAcl,
    SubnetId,
};

use call::{Call, call_of};

/// What the replay found.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// Each traffic effect that held for a time, in the order they opened.
    pub windows: Vec<Window>,
    /// The calls on the baselines' NACLs that the replay did not apply.
    pub unreplayed: Vec<Unreplayed>,
    /// The NACLs as the replay left them: each baseline file's.
    pub end: Vec<(PathBuf, Baseline)>,
}

/// A traffic effect that held for a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// The effect, in `diff`'s words: against the baseline.
    pub effect: TrafficEffect,
    /// The call that opened it.
    pub opened: Moment,
    /// The call that closed it; `None` while it is open still.
    pub closed: Option<Moment>,
    /// The entries of the NACL that decides its traffic (the one its
    /// subnets moved to, else its own) when it opened: the reply path of
    /// the interfaces it reached.
    pub entries: BTreeMap<EntryKey, Entry>,
}

impl Window {
    /// How bad the effect is.
    pub fn severity(&self) -> Severity {
        self.effect.effect.severity()
    }

    /// How long it held, in seconds: until it closed, else until `now`.
    pub fn duration(&self, now: i64) -> i64 {
        self.closed.as_ref().map_or(now, |closed| closed.at) - self.opened.at
    }
}

/// A call: when, and who made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moment {
    /// Seconds since the epoch.
    pub at: i64,
    /// Who made the call, from where, as CloudTrail recorded it.
    pub by: Attribution,
}

/// A call on a baseline's NACL that the replay did not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreplayed {
    /// The call: when, and who made it.
    pub call: Moment,
    /// Why it was not applied.
    pub why: String,
}

/// A baseline file's VPC as the replay goes: its NACLs now, and the
/// effects that hold.
struct Vpc<'a> {
    file: &'a (PathBuf, Baseline),
    now: Baseline,
    open: Vec<Window>,
}

/// Replays `events` (any order: they are taken by time) over the NACLs of
/// `files`, the baselines as they stood before the first; `live`, the
/// NACLs read now, tells the subnet of each association moved.
pub fn replay(files: &[(PathBuf, Baseline)], events: &[NaclEvent], live: &[LiveAcl]) -> Timeline {
    let mut vpcs: Vec<Vpc> = files
        .iter()
        .map(|file| Vpc {
            file,
            now: file.1.clone(),
            open: Vec::new(),
        })
        .collect();
    let mut events: Vec<(&NaclEvent, Result<Call, String>)> =
        events.iter().map(|event| (event, call_of(event))).collect();
    events.sort_by_key(|(event, _)| event.time);
    let subnet_of = subnets_moved(&events, live);
    let mut windows = Vec::new();
    let mut unreplayed = Vec::new();
    for (event, call) in events {
        let moment = Moment {
            at: event.time,
            by: event.record.attribution(),
        };
        let mut said = |why: String| {
            unreplayed.push(Unreplayed {
                call: moment.clone(),
                why,
            })
        };
        let call = match call {
            Ok(call) => call,
            Err(why) => {
                said(format!("its record cannot be replayed: {why}"));
                continue;
            }
        };
        let acl = match &call {
            Call::NoTraffic => continue,
            Call::PutEntry { acl, .. }
            | Call::DeleteEntry { acl, .. }
            | Call::DeleteAcl(acl)
            | Call::Move { acl, .. } => acl,
        };
        let held = vpcs.iter_mut().find(|vpc| vpc.holds(acl, event));
        let vpc = match (held, &call) {
            (Some(vpc), _) => vpc,
            (None, Call::Move { association, .. }) => {
                // A subnet of a baseline moved onto a NACL none holds.
                if let Some(subnet) = subnet_of.get(association)
                    && vpcs.iter().any(|vpc| vpc.has_subnet(subnet, event))
                {
                    said(format!(
                        "{subnet} moved onto {acl}, which no baseline holds: its entries then are not known, and the windows of {subnet} after it are not backed by the trail"
                    ));
                }
                continue;
            }
            // Another VPC's NACL, or one made since.
            (None, _) => continue,
        };
        match call {
            Call::PutEntry { acl, key, entry } => vpc
                .entries_of(&acl)
                .map(|entries| entries.insert(key, entry))
                .map(drop),
            Call::DeleteEntry { acl, key } => vpc
                .entries_of(&acl)
                .map(|entries| entries.remove(&key))
                .map(drop),
            Call::DeleteAcl(acl) => {
                vpc.now.network_acls.retain(|held| held.id != acl);
                Some(())
            }
            Call::Move {
                acl, association, ..
            } => match subnet_of.get(&association) {
                Some(subnet) => {
                    for held in &mut vpc.now.network_acls {
                        held.subnets.remove(subnet);
                        if held.id == acl {
                            held.subnets.insert(subnet.clone());
                        }
                    }
                    Some(())
                }
                None => {
                    said(format!(
                        "the subnet of {association}, moved onto {acl}, cannot be told: no later move or association read now follows from it; the windows of {acl} after it are not backed by the trail"
                    ));
                    None
                }
            },
            Call::NoTraffic => None,
        };
        windows.extend(vpc.moved_to(&moment));
    }
    for vpc in &mut vpcs {
        windows.append(&mut vpc.open);
    }
    windows.sort_by_key(|window| window.opened.at);
    Timeline {
        windows,
        unreplayed,
        end: vpcs
            .into_iter()
            .map(|vpc| (vpc.file.0.clone(), vpc.now))
            .collect(),
    }
}

/// The subnet of each association a move replaced or made, found
/// backwards from the associations read now: a move's new association is
/// the one the subnet's next move replaces, or the one it holds now.
fn subnets_moved(
    events: &[(&NaclEvent, Result<Call, String>)],
    live: &[LiveAcl],
) -> HashMap<AssociationId, SubnetId> {
    let mut subnet_of: HashMap<AssociationId, SubnetId> = live
        .iter()
        .flat_map(|acl| acl.observed.association_ids.clone())
        .collect();
    for (_, call) in events.iter().rev() {
        if let Ok(Call::Move {
            association,
            new_association: Some(new),
            ..
        }) = call
            && let Some(subnet) = subnet_of.get(new).cloned()
        {
            subnet_of.insert(association.clone(), subnet);
        }
    }
    subnet_of
}

impl Vpc<'_> {
    /// Whether the call `event` is of this VPC's account and region.
    fn of_place(&self, event: &NaclEvent) -> bool {
        let baseline = &self.file.1;
        baseline.region == event.region
            && event
                .account
                .as_ref()
                .is_none_or(|account| *account == baseline.account)
    }

    /// Whether `acl`, named by `event`, is one of this VPC's NACLs.
    fn holds(&self, acl: &NetworkAclId, event: &NaclEvent) -> bool {
        self.of_place(event) && self.file.1.network_acls.iter().any(|held| held.id == *acl)
    }

    /// Whether `subnet`, moved by `event`, is one of this VPC's.
    fn has_subnet(&self, subnet: &SubnetId, event: &NaclEvent) -> bool {
        self.of_place(event)
            && self
                .now
                .network_acls
                .iter()
                .any(|held| held.subnets.contains(subnet))
    }

    /// The entries of `acl` as the replay has them now; `None` once it was
    /// deleted.
    fn entries_of(&mut self, acl: &NetworkAclId) -> Option<&mut BTreeMap<EntryKey, Entry>> {
        let held = self
            .now
            .network_acls
            .iter_mut()
            .find(|held| held.id == *acl)?;
        Some(&mut held.entries)
    }

    /// The effects that hold once the NACLs are as they are now: those
    /// that no longer hold close at `moment`, and are returned; new ones
    /// open.
    fn moved_to(&mut self, moment: &Moment) -> Vec<Window> {
        let baseline = &self.file.1;
        let accounts: BTreeSet<AccountId> = [baseline.account.clone()].into();
        let live: Vec<LiveAcl> = self
            .now
            .network_acls
            .iter()
            .map(|acl| LiveAcl {
                region: Some(self.now.region.clone()),
                observed: ObservedAcl {
                    account: self.now.account.clone(),
                    vpc_id: self.now.vpc_id.clone(),
                    acl: acl.clone(),
                    association_ids: BTreeMap::new(),
                },
            })
            .collect();
        let effects = diff(&accounts, std::slice::from_ref(self.file), &live).effects;
        let (holding, closed): (Vec<_>, Vec<_>) = std::mem::take(&mut self.open)
            .into_iter()
            .partition(|window| effects.contains(&window.effect));
        self.open = holding;
        for effect in effects {
            if !self.open.iter().any(|open| open.effect == effect) {
                let decides = effect
                    .live_network_acl_id
                    .as_ref()
                    .unwrap_or(&effect.network_acl_id);
                let entries = self
                    .now
                    .network_acls
                    .iter()
                    .find(|acl| acl.id == *decides)
                    .map(|acl| acl.entries.clone())
                    .unwrap_or_default();
                self.open.push(Window {
                    effect,
                    opened: moment.clone(),
                    closed: None,
                    entries,
                });
            }
        }
        closed
            .into_iter()
            .map(|window| Window {
                closed: Some(moment.clone()),
                ..window
            })
            .collect()
    }
}

impl Timeline {
    /// Where the replay does not end in `live`, the live state read now:
    /// each change between the NACLs as the replay left them and `live`.
    pub fn differences(&self, live: &[LiveAcl]) -> Vec<Change> {
        let accounts: BTreeSet<AccountId> = self
            .end
            .iter()
            .map(|(_, baseline)| baseline.account.clone())
            .collect();
        diff(&accounts, &self.end, live).changes
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use nacl_drift_analysis::Severity;
    use nacl_drift_attribution::{NaclEvent, Record};
    use nacl_drift_fixtures::{cloudtrail_record, one_vpc};
    use nacl_drift_model::{Baseline, LiveAcl, ObservedAcl};
    use serde_json::{Value, json};

    use super::{Window, replay};

    /// 2026-12-06T10:00:00Z.
    const T0: i64 = 1_796_551_200;

    fn baselines() -> Vec<(PathBuf, Baseline)> {
        let path = PathBuf::from("baselines/prod.yaml");
        let baseline = Baseline::from_yaml(&path, &one_vpc()).expect("a baseline");
        vec![(path, baseline)]
    }

    /// The CloudTrail event of `name` with `request`, made by `principal`
    /// `seconds` after T0.
    fn event(name: &str, seconds: i64, principal: &str, request: Value) -> NaclEvent {
        let at = u64::try_from(T0 + seconds).expect("after the epoch");
        let record: Record =
            serde_json::from_value(cloudtrail_record(name, at, principal, request))
                .expect("a record");
        record
            .into_event()
            .expect("readable")
            .expect("a NACL event")
    }

    fn deleted_ssh_deny(seconds: i64, principal: &str) -> NaclEvent {
        let request = json!({"networkAclId": "acl-0db", "ruleNumber": 80, "egress": false});
        event("DeleteNetworkAclEntry", seconds, principal, request)
    }

    fn restored_ssh_deny(seconds: i64, principal: &str) -> NaclEvent {
        let request = json!({
            "networkAclId": "acl-0db", "ruleNumber": 80, "egress": false,
            "ruleAction": "deny", "aclProtocol": "6", "cidrBlock": "0.0.0.0/0",
            "portRange": {"from": 22, "to": 22},
        });
        event("CreateNetworkAclEntry", seconds, principal, request)
    }

    const MALLORY: &str = "arn:aws:iam::111122223333:user/mallory";
    const GUARD: &str = "arn:aws:sts::111122223333:assumed-role/nacl-drift-guard/guard";

    #[test]
    fn a_deleted_deny_is_a_window_from_its_deletion_to_its_restore_with_both_principals() {
        let events = [restored_ssh_deny(600, GUARD), deleted_ssh_deny(0, MALLORY)];
        let timeline = replay(&baselines(), &events, &[]);
        assert!(timeline.unreplayed.is_empty(), "{:?}", timeline.unreplayed);
        let [window] = timeline.windows.as_slice() else {
            panic!("one window: {:?}", timeline.windows);
        };
        assert_eq!(
            window.effect.effect.traffic(),
            "ingress tcp 22 from 0.0.0.0/0"
        );
        assert_eq!(window.severity(), Severity::Critical);
        assert_eq!(window.opened.at, T0);
        assert_eq!(window.opened.by.principal_arn.as_deref(), Some(MALLORY));
        let closed = window.closed.as_ref().expect("closed");
        assert_eq!(closed.by.principal_arn.as_deref(), Some(GUARD));
        assert_eq!(window.duration(T0 + 10_000), 600);
        assert_eq!(timeline.end, baselines(), "restored: as it began");
    }

    #[test]
    fn a_window_not_closed_is_open_still_and_lasts_until_now() {
        let timeline = replay(&baselines(), &[deleted_ssh_deny(0, MALLORY)], &[]);
        let [window] = timeline.windows.as_slice() else {
            panic!("one window: {:?}", timeline.windows);
        };
        assert_eq!(window.closed, None);
        assert_eq!(window.duration(T0 + 3_600), 3_600);
    }

    #[test]
    fn a_replay_that_does_not_reach_the_live_state_says_which_nacl_differs() {
        // The trail lacks the deletion: the live NACL has no SSH deny.
        let timeline = replay(&baselines(), &[], &[]);
        let (_, baseline) = &baselines()[0];
        let mut acl = baseline.network_acls[0].clone();
        acl.entries.retain(|key, _| key.rule_number.get() != 80);
        let live = [LiveAcl {
            region: Some(baseline.region.clone()),
            observed: ObservedAcl {
                account: baseline.account.clone(),
                vpc_id: baseline.vpc_id.clone(),
                acl,
                association_ids: Default::default(),
            },
        }];
        let differences = timeline.differences(&live);
        let [difference] = differences.as_slice() else {
            panic!("one difference: {differences:?}");
        };
        assert_eq!(difference.network_acl_id.as_str(), "acl-0db");
        assert_eq!(difference.position(), "ingress 80");
    }

    /// A move of the subnet of `from` onto `acl`, answered `new`.
    fn moved(seconds: i64, from: &str, acl: &str, new: &str) -> NaclEvent {
        let request = json!({"associationId": from, "networkAclId": acl});
        let at = u64::try_from(T0 + seconds).expect("after the epoch");
        let mut record = cloudtrail_record("ReplaceNetworkAclAssociation", at, MALLORY, request);
        record["responseElements"] = json!({"newAssociationId": new});
        let record: Record = serde_json::from_value(record).expect("a record");
        record
            .into_event()
            .expect("readable")
            .expect("a NACL event")
    }

    #[test]
    fn a_subnet_moved_onto_an_open_nacl_and_back_is_a_window_found_backwards_from_its_association()
    {
        let yaml = nacl_drift_fixtures::vpc_baseline(
            "vpc-0prod",
            "- id: acl-0db\n  is_default: false\n  subnets: [subnet-0a]\n  entries:\n  - {rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0}\n  - {rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0}\n- id: acl-0open\n  is_default: false\n  subnets: []\n  entries:\n  - {rule_number: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}\n",
        );
        let path = PathBuf::from("baselines/prod.yaml");
        let files = vec![(
            path.clone(),
            Baseline::from_yaml(&path, &yaml).expect("a baseline"),
        )];
        let events = [
            moved(0, "aclassoc-0old", "acl-0open", "aclassoc-0mid"),
            moved(900, "aclassoc-0mid", "acl-0db", "aclassoc-0now"),
        ];
        // Read now: the subnet back on acl-0db, by the last move's association.
        let live: Vec<LiveAcl> = files[0]
            .1
            .network_acls
            .iter()
            .map(|acl| LiveAcl {
                region: Some(files[0].1.region.clone()),
                observed: ObservedAcl {
                    account: files[0].1.account.clone(),
                    vpc_id: files[0].1.vpc_id.clone(),
                    acl: acl.clone(),
                    association_ids: acl
                        .subnets
                        .iter()
                        .map(|subnet| ("aclassoc-0now".parse().expect("an id"), subnet.clone()))
                        .collect(),
                },
            })
            .collect();
        let timeline = replay(&files, &events, &live);
        assert!(timeline.unreplayed.is_empty(), "{:?}", timeline.unreplayed);
        let exposures: Vec<&Window> = timeline
            .windows
            .iter()
            .filter(|window| window.effect.effect.traffic().starts_with("ingress tcp 22"))
            .collect();
        let [window] = exposures.as_slice() else {
            panic!("SSH exposed while moved: {:?}", timeline.windows);
        };
        assert_eq!(window.effect.subnet_ids, ["subnet-0a"]);
        assert_eq!((window.opened.at, window.duration(0)), (T0, 900));
        assert!(
            timeline.differences(&live).is_empty(),
            "ends in the live state"
        );
    }

    #[test]
    fn a_call_the_replay_cannot_apply_is_said_never_skipped() {
        let moved = event(
            "ReplaceNetworkAclAssociation",
            60,
            MALLORY,
            json!({"associationId": "aclassoc-0a1b2c3d", "networkAclId": "acl-0db"}),
        );
        let bad = event(
            "CreateNetworkAclEntry",
            120,
            MALLORY,
            json!({"networkAclId": "acl-0db", "ruleNumber": 90, "egress": false, "ruleAction": "allow"}),
        );
        let portless = event(
            "CreateNetworkAclEntry",
            180,
            MALLORY,
            json!({"networkAclId": "acl-0db", "ruleNumber": 90, "egress": false,
                "ruleAction": "allow", "aclProtocol": "6", "cidrBlock": "0.0.0.0/0"}),
        );
        let timeline = replay(&baselines(), &[moved, bad, portless], &[]);
        let why: Vec<&str> = timeline.unreplayed.iter().map(|u| u.why.as_str()).collect();
        assert_eq!(
            why,
            [
                "the subnet of aclassoc-0a1b2c3d, moved onto acl-0db, cannot be told: no later move or association read now follows from it; the windows of acl-0db after it are not backed by the trail",
                "its record cannot be replayed: it names no aclProtocol",
                "its record cannot be replayed: its portRange is missing for tcp",
            ]
        );
        assert!(
            timeline.windows.is_empty(),
            "a tcp entry of no ports is no window"
        );
    }
}
