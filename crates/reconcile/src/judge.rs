//! The project's config applied to a comparison: its verdicts on accepted
//! drift and monitor-only NACLs, so that reports count them apart and plans
//! leave them alone.

use nacl_drift_config::{Config, Date, Exemption, Subject};

use crate::compare::Comparison;

impl Comparison {
    /// Marks the drift that `config` accepts on `today`, and the drift of
    /// its monitor-only NACLs.
    pub fn judge(&mut self, config: &Config, today: Date) {
        for (change, verdict) in self.report.changes.iter().zip(self.verdicts.iter_mut()) {
            let subject = Subject::of_change(change);
            verdict.accepted = config.accepting(&subject, today).map(Exemption::accepted);
            verdict.monitor_only = config
                .monitor_only(&subject)
                .map(|rule| rule.reason.clone());
        }
    }
}
