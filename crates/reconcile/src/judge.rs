//! The project's config applied to a comparison: accepted drift and
//! monitor-only NACLs are marked, so that reports count them apart and
//! plans leave them alone.

use nacl_drift_config::{Config, Date, Exemption, Subject};

use crate::compare::Comparison;

impl Comparison {
    /// Marks the drift that `config` accepts on `today`, and the drift of
    /// its monitor-only NACLs.
    pub fn judge(&mut self, config: &Config, today: Date) {
        self.report.judge(
            |change| {
                config
                    .accepting(&Subject::of_change(change), today)
                    .map(Exemption::accepted)
            },
            |change| {
                config
                    .monitor_only(&Subject::of_change(change))
                    .map(|rule| rule.reason.clone())
            },
        );
    }
}
