//! What the guard tells people who are not watching its log: for each
//! reconcile that found drift nobody accepted, one message for a topic
//! (SNS fans it out to email, chat and paging), with a subject of at most
//! 100 characters, a body in a fixed order (where, each change, who made
//! it, what the guard did) and attributes that subscriptions filter on.
//! Every value from AWS or an event goes through the sanitiser.

use std::collections::BTreeMap;
use std::time::Duration;

use nacl_drift_analysis::EffectKind;
use nacl_drift_assets::in_words;
use nacl_drift_diff::{Attributed, Severity};
use nacl_drift_model::sanitize::{self, Shown};
use serde::Serialize;

use crate::line::{CallStatus, Line};

/// SNS's limit on a subject.
const SUBJECT_CHARS: usize = 100;

/// One message for a topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// One line, printable ASCII, at most 100 characters.
    pub subject: String,
    /// The message, for people.
    pub body: String,
    /// `severity`, `account` and `action`, for subscriptions' filters.
    pub attributes: BTreeMap<&'static str, String>,
}

/// What the guard did about the drift of a reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Restored, and verified in sync.
    Restored,
    /// A restore was made, and drift remains (a call failed, or someone
    /// changed it again).
    Failed,
    /// The flapping brake holds a NACL of the drift: reported, not restored.
    Held,
    /// Reported only: the guard does not restore, or the config says the
    /// NACLs are monitored only.
    Reported,
}

impl Action {
    /// Its name, as the attribute has it.
    pub fn name(self) -> &'static str {
        match self {
            Action::Restored => "restored",
            Action::Failed => "failed",
            Action::Held => "held",
            Action::Reported => "reported",
        }
    }
}

impl Line {
    /// What the guard did about this reconcile's drift; `None` when it
    /// found none that the config does not accept.
    pub fn action(&self) -> Option<Action> {
        if !self
            .changes
            .iter()
            .any(|(_, verdict)| verdict.accepted.is_none())
        {
            return None;
        }
        Some(if !self.restored.is_empty() {
            let all_done = self
                .restored
                .iter()
                .all(|call| call.status != CallStatus::Failed);
            if self.in_sync && all_done {
                Action::Restored
            } else {
                Action::Failed
            }
        } else if !self.flapping.is_empty() {
            Action::Held
        } else {
            Action::Reported
        })
    }

    /// The message for a topic about this reconcile; `None` when it found
    /// no drift that the config does not accept.
    pub fn alert(&self) -> Option<Alert> {
        let action = self.action()?;
        let unaccepted: Vec<_> = self
            .changes
            .iter()
            .filter(|(_, verdict)| verdict.accepted.is_none())
            .collect();
        let severity = unaccepted
            .iter()
            .map(|(change, _)| change.severity)
            .max()
            .unwrap_or(Severity::Low);
        let account = unaccepted
            .first()
            .map(|(change, _)| change.account.to_string())
            .unwrap_or_default();
        let region = unaccepted
            .first()
            .map(|(change, _)| change.region.to_string())
            .unwrap_or_default();
        let acls: std::collections::BTreeSet<_> = unaccepted
            .iter()
            .map(|(change, _)| &change.network_acl_id)
            .collect();
        let place = match acls.iter().next() {
            Some(acl) if acls.len() == 1 => self
                .names
                .get(*acl)
                .cloned()
                .unwrap_or_else(|| acl.to_string()),
            _ => unaccepted
                .first()
                .map(|(change, _)| change.vpc_id.to_string())
                .unwrap_or_default(),
        };
        let count = unaccepted.len();
        let verb = match action {
            Action::Restored => "restored",
            Action::Failed => "could not restore",
            Action::Held => "held",
            Action::Reported => "found",
        };
        let subject = ascii_line(
            &format!(
                "nacl-drift: {verb} {count} {} ({}) in {place}, {account}/{region}",
                if count == 1 { "change" } else { "changes" },
                severity.label()
            ),
            SUBJECT_CHARS,
        );
        Some(Alert {
            subject,
            body: self.alert_body(action),
            attributes: BTreeMap::from([
                ("severity", severity.label().to_owned()),
                ("account", account),
                ("action", action.name().to_owned()),
            ]),
        })
    }

    /// Where, each change with its severity, traffic and author, then what
    /// the guard did.
    fn alert_body(&self, action: Action) -> String {
        let mut body = String::new();
        let mut previous_acl = None;
        for (change, verdict) in &self.changes {
            if verdict.accepted.is_some() {
                continue;
            }
            if previous_acl != Some(&change.network_acl_id) {
                previous_acl = Some(&change.network_acl_id);
                let name = self
                    .names
                    .get(&change.network_acl_id)
                    .map(|name| format!(" ({})", Shown(name)))
                    .unwrap_or_default();
                body.push_str(&format!(
                    "Account {}, region {}, VPC {}, NACL {}{name}:\n",
                    change.account, change.region, change.vpc_id, change.network_acl_id
                ));
            }
            let position = change.position();
            let at = if position.is_empty() {
                String::new()
            } else {
                format!(", {position}")
            };
            body.push_str(&format!(
                "- [{}] {}{at}: the baseline has {}; live is {}.\n",
                change.severity.label(),
                change.kind().label(),
                change.baseline_in_words(),
                change.live_in_words()
            ));
            for (effect, _, assets) in self.effects.iter().filter(|(effect, ..)| {
                effect.network_acl_id == change.network_acl_id
                    && effect.region == change.region
                    && (change
                        .drift
                        .subnet()
                        .is_some_and(|s| effect.subnet_ids.contains(s))
                        || change.drift.entry_key().is_some_and(|key| {
                            effect.subnet_ids.is_empty()
                                && [effect.effect.baseline_rule, effect.effect.live_rule]
                                    .contains(&Some(key.rule_number))
                        }))
            }) {
                let verb = match effect.effect.kind {
                    EffectKind::NewlyAllowed => "newly allowed",
                    EffectKind::NewlyDenied => "newly denied",
                };
                body.push_str(&format!("  {verb}: {}\n", effect.effect));
                if let Some(words) = assets.as_ref().and_then(|assets| in_words(&[assets])) {
                    // Instances' names are tags: untrusted.
                    body.push_str(&format!("    {}\n", Shown(&words)));
                }
            }
            if let Attributed::To(by) = &verdict.attribution {
                body.push_str(&format!("  made by {}", Shown(&by.who())));
                if let Some(ip) = &by.source_ip {
                    body.push_str(&format!(" from {}", Shown(ip)));
                }
                body.push_str(&format!(" at {}", Shown(&by.event_time)));
                if by.unverified {
                    body.push_str(" (unverified: from the event alone)");
                }
                body.push('\n');
            }
            if let Some(reason) = &verdict.monitor_only {
                body.push_str(&format!("  monitored only: {}\n", Shown(reason)));
            }
        }
        body.push_str(&format!(
            "\nWhat nacl-drift did: {}",
            self.what_was_done(action)
        ));
        sanitize::lines(&body).into_owned()
    }

    /// The guard's deed, in words.
    fn what_was_done(&self, action: Action) -> String {
        let done = self
            .restored
            .iter()
            .filter(|call| call.status == CallStatus::Done)
            .count();
        let after = self
            .latency_ms
            .map(|latency| {
                format!(
                    ", {:.1} s after the call",
                    Duration::from_millis(latency).as_secs_f64()
                )
            })
            .unwrap_or_default();
        match action {
            Action::Restored => format!(
                "restored with {done} of {} calls, verified in sync{after}.",
                self.restored.len()
            ),
            Action::Failed => format!(
                "made {done} of {} calls; drift remains, see the guard's log.",
                self.restored.len()
            ),
            Action::Held => {
                let reasons: Vec<String> = self
                    .flapping
                    .iter()
                    .map(|flapping| format!("{}: {}", flapping.network_acl_id, flapping.reason))
                    .collect();
                format!(
                    "held by the flapping brake, not restored ({}).",
                    reasons.join("; ")
                )
            }
            Action::Reported => "reported; the guard does not restore this drift.".to_owned(),
        }
    }
}

/// `text` as one line of printable ASCII (anything else a `?`), at most
/// `chars` characters (cut with `...`): what SNS takes as a subject.
fn ascii_line(text: &str, chars: usize) -> String {
    let ascii: String = text
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect();
    if ascii.len() <= chars {
        ascii
    } else {
        format!("{}...", &ascii[..chars - 3])
    }
}
