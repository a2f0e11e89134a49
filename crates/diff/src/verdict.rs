//! The verdicts on a report's changes: what was decided of each after the
//! comparison, and by whom, held with the change in an [`AssessedChange`]
//! (the [`Report`](crate::Report) never changes once made). The config
//! file accepts drift or marks a NACL monitored only, the guard's flapping
//! brake holds a NACL, CloudTrail says who made a change.

use crate::report::{Accepted, Attributed, Change, Report};

/// Who set a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetBy {
    /// The project's config file (`[[accept]]`, `[[monitor_only]]`).
    Config,
    /// The guard's flapping brake.
    Brake,
    /// Attribution, from CloudTrail.
    CloudTrail,
}

/// The verdicts on one change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Set by CloudTrail (when attribution was asked for): who made the
    /// change.
    pub attribution: Attributed,
    /// Set by the config file's `[[accept]]`: why, and until when. An
    /// accepted change counts for no severity and no exit code, and
    /// nothing restores it.
    pub accepted: Option<Accepted>,
    /// Set by the config file's `[[monitor_only]]`: why. Its drift is
    /// reported, and never restored.
    pub monitor_only: Option<String>,
    /// Set by the guard's flapping brake: why. Its drift is reported, and
    /// not restored while the brake holds the NACL.
    pub held: Option<String>,
}

impl Verdict {
    /// Why nothing may restore the change, and who said so; `None` when a
    /// restore may.
    pub fn leaves_alone(&self) -> Option<(SetBy, &'static str)> {
        if self.accepted.is_some() {
            Some((SetBy::Config, "the config accepts this drift"))
        } else if self.monitor_only.is_some() {
            Some((SetBy::Config, "the config says this NACL is monitored only"))
        } else if self.held.is_some() {
            Some((SetBy::Brake, "the flapping brake holds this NACL"))
        } else {
            None
        }
    }
}

/// A change with what was decided of it since the comparison: the
/// record that plans, attribution and the assessment work on, so that no
/// list of verdicts is kept beside the changes in step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssessedChange {
    /// The change, as compared.
    pub change: Change,
    /// What was decided of it.
    pub verdict: Verdict,
    /// Where its intent is declared, when a Terraform state holds it: the
    /// address of the rule resource of its entry, else of its ACL
    /// (`module.vpc.aws_network_acl_rule.public_inbound[2]`).
    pub address: Option<String>,
}

impl From<Change> for AssessedChange {
    /// A change nothing was decided of yet.
    fn from(change: Change) -> AssessedChange {
        AssessedChange {
            change,
            verdict: Verdict::default(),
            address: None,
        }
    }
}

impl Report {
    /// Its changes, nothing decided of them yet: what a plan of the drift
    /// alone takes.
    pub fn unassessed_changes(&self) -> Vec<AssessedChange> {
        self.changes
            .iter()
            .cloned()
            .map(AssessedChange::from)
            .collect()
    }
}

impl AsRef<Change> for AssessedChange {
    fn as_ref(&self) -> &Change {
        &self.change
    }
}
