//! The windows a verified restore closed: each change it undid, when the
//! change was made (its CloudTrail event, when attributed) and by whom, and
//! when the restore's fresh read found it gone. The guard's line and
//! alert, and `apply`, say them.

use std::collections::BTreeSet;
use std::time::UNIX_EPOCH;

use nacl_drift_diff::{Attributed, Change};
use nacl_drift_model::NetworkAclId;
use serde::{Serialize, Serializer};

use crate::replay::Moment;
use crate::timeline::{MomentJson, rfc3339};
use crate::{Comparison, Json, Reconciled};

/// A drift a verified restore undid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closed {
    /// The change undone.
    pub change: Change,
    /// The call that made it, when attributed (an unverified one says so:
    /// its time is the event's own).
    pub opened: Option<Moment>,
    /// When the restore's fresh read found it gone, in seconds since the
    /// epoch.
    pub closed_at: i64,
}

impl Closed {
    /// How long it held, in seconds, when its opening is known.
    pub fn duration(&self) -> Option<i64> {
        self.opened
            .as_ref()
            .map(|opened| self.closed_at - opened.at)
    }
}

impl Reconciled {
    /// The changes the restore undid, verified gone at `verified` (seconds
    /// since the epoch): gone from a fresh read that read their NACL whole
    /// (a change of an account-region or baseline not read again is not
    /// known to be closed); none without a verified restore.
    pub fn closed(&self, verified: i64) -> Vec<Closed> {
        let (Some(_), Some(after)) = (&self.restored, &self.after) else {
            return Vec::new();
        };
        let read = after.read_whole();
        let remaining: BTreeSet<(&NetworkAclId, String)> = after
            .changes
            .iter()
            .map(|assessed| (&assessed.change.network_acl_id, assessed.change.position()))
            .collect();
        self.before
            .changes
            .iter()
            .filter(|assessed| {
                let change = &assessed.change;
                let place = (
                    change.account.clone(),
                    change.region.clone(),
                    change.network_acl_id.clone(),
                );
                read.contains(&place)
                    && !remaining.contains(&(&change.network_acl_id, change.position()))
            })
            .map(|assessed| Closed {
                change: assessed.change.clone(),
                opened: match &assessed.verdict.attribution {
                    Attributed::To(by) => humantime::parse_rfc3339(&by.event_time)
                        .ok()
                        .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
                        .and_then(|at| i64::try_from(at.as_secs()).ok())
                        .map(|at| Moment {
                            at,
                            by: (**by).clone(),
                        }),
                    _ => None,
                },
                closed_at: verified,
            })
            .collect()
    }
}

impl Reconciled {
    /// `apply --format json`: the drift found (`diff`'s JSON), each call
    /// of the plan and what became of it (`null` when none was made), the
    /// windows the restore closed, verified at `verified`, and the drift
    /// after (`null` without a restore).
    pub fn json(&self, verified: i64) -> serde_json::Result<serde_json::Value> {
        #[derive(Serialize)]
        struct Call<'a> {
            call: &'static str,
            network_acl_id: &'a NetworkAclId,
            outcome: Option<String>,
        }
        let outcomes = self
            .restored
            .as_ref()
            .map(|restored| &restored.executed.outcomes);
        let calls: Vec<Call> = self
            .plan
            .steps
            .iter()
            .enumerate()
            .map(|(index, step)| Call {
                call: step.operation().name(),
                network_acl_id: &step.network_acl_id,
                outcome: outcomes
                    .and_then(|outcomes| outcomes.get(index))
                    .map(ToString::to_string),
            })
            .collect();
        #[derive(Serialize)]
        struct Record<'a> {
            before: Json<'a>,
            calls: Vec<Call<'a>>,
            closed: Vec<Closed>,
            after: Option<Json<'a>>,
        }
        serde_json::to_value(Record {
            before: self.before.json(),
            calls,
            closed: self.closed(verified),
            after: self.after.as_ref().map(Comparison::json),
        })
    }
}

/// `{network_acl_id, position, kind, severity, opened: {at, by} | null,
/// closed_at, duration_seconds}`.
impl Serialize for Closed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct ClosedJson<'a> {
            network_acl_id: &'a NetworkAclId,
            position: String,
            kind: &'static str,
            severity: &'static str,
            opened: Option<MomentJson<'a>>,
            closed_at: String,
            duration_seconds: Option<i64>,
        }
        ClosedJson {
            network_acl_id: &self.change.network_acl_id,
            position: self.change.position(),
            kind: self.change.kind().label(),
            severity: self.change.severity.label(),
            opened: self.opened.as_ref().map(MomentJson::from),
            closed_at: rfc3339(self.closed_at),
            duration_seconds: self.duration(),
        }
        .serialize(serializer)
    }
}
