//! What the guard tells people who are not watching its log: for each
//! reconcile that found drift nobody accepted, one message per account for
//! a topic (SNS fans it out to email, chat and paging), with a subject of
//! at most 100 characters, a body in a fixed order (where, each change,
//! most severe first, who made it, what the guard did) that never passes
//! SNS's 256 KiB (the changes that do not fit are counted), and attributes
//! that subscriptions filter on.
//! Every value from AWS or an event goes through the sanitiser.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use nacl_drift_analysis::EffectKind;
use nacl_drift_assets::in_words;
use nacl_drift_diff::{AssessedChange, Attributed, Change, Severity, effects_of};
use nacl_drift_model::sanitize::{self, Shown};
use nacl_drift_model::{AccountId, NetworkAclId};
use nacl_drift_reconcile::AssessedEffect;
use serde::Serialize;

use crate::line::{CallStatus, Line};

/// SNS's limit on a subject.
const SUBJECT_CHARS: usize = 100;

/// The most a body holds: SNS takes a message of at most 256 KiB, subject
/// and attributes included, and drops a longer one.
const BODY_BYTES: usize = 240 * 1024;

/// The most one change takes of a body (a NACL's tags can be 50 values of
/// 256 characters, on both sides), so that one cannot crowd out the rest.
const CHANGE_BYTES: usize = 16 * 1024;

/// Room kept for the line that counts the changes left out.
const LEFT_OUT_BYTES: usize = 256;

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
pub enum Response {
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

impl Response {
    /// Its name, as the attribute has it.
    pub fn name(self) -> &'static str {
        match self {
            Response::Restored => "restored",
            Response::Failed => "failed",
            Response::Held => "held",
            Response::Reported => "reported",
        }
    }
}

impl Line {
    /// What the guard did about this reconcile's drift; `None` when it
    /// found none that the config does not accept.
    pub fn response(&self) -> Option<Response> {
        if !self
            .changes
            .iter()
            .any(|assessed| assessed.verdict.accepted.is_none())
        {
            return None;
        }
        Some(if !self.restored.is_empty() {
            let all_done = self
                .restored
                .iter()
                .all(|call| call.status != CallStatus::Failed);
            if self.in_sync && all_done {
                Response::Restored
            } else {
                Response::Failed
            }
        } else if !self.flapping.is_empty() {
            Response::Held
        } else {
            Response::Reported
        })
    }

    /// The messages for a topic about this reconcile, one for each account
    /// with drift that the config does not accept (subscriptions filter on
    /// the account); none when there is no such drift.
    pub fn alerts(&self) -> Vec<Alert> {
        let Some(action) = self.response() else {
            return Vec::new();
        };
        let mut by_account: BTreeMap<&AccountId, Vec<&AssessedChange>> = BTreeMap::new();
        for assessed in &self.changes {
            if assessed.verdict.accepted.is_none() {
                by_account
                    .entry(&assessed.change.account)
                    .or_default()
                    .push(assessed);
            }
        }
        by_account
            .into_iter()
            .map(|(account, changes)| self.alert_of(action, account, &changes))
            .collect()
    }

    /// The message about `account`'s unaccepted `changes`.
    fn alert_of(
        &self,
        action: Response,
        account: &AccountId,
        changes: &[&AssessedChange],
    ) -> Alert {
        let severity = changes
            .iter()
            .map(|assessed| assessed.change.severity)
            .max()
            .unwrap_or(Severity::Low);
        let region = changes
            .first()
            .map(|assessed| assessed.change.region.to_string())
            .unwrap_or_default();
        let acls: BTreeSet<_> = changes
            .iter()
            .map(|assessed| &assessed.change.network_acl_id)
            .collect();
        let place = match acls.iter().next() {
            Some(acl) if acls.len() == 1 => self
                .names
                .get(*acl)
                .cloned()
                .unwrap_or_else(|| acl.to_string()),
            _ => changes
                .first()
                .map(|assessed| assessed.change.vpc_id.to_string())
                .unwrap_or_default(),
        };
        let count = changes.len();
        let verb = match action {
            Response::Restored => "restored",
            Response::Failed => "could not restore",
            Response::Held => "held",
            Response::Reported => "found",
        };
        let subject = ascii_line(
            &format!(
                "nacl-drift: {verb} {count} {} ({}) in {place}, {account}/{region}",
                if count == 1 { "change" } else { "changes" },
                severity.label()
            ),
            SUBJECT_CHARS,
        );
        Alert {
            subject,
            body: self.alert_body(action, changes),
            attributes: BTreeMap::from([
                ("severity", severity.label().to_owned()),
                ("account", account.to_string()),
                ("action", action.name().to_owned()),
            ]),
        }
    }

    /// Where, each change with its severity, traffic and author (the most
    /// severe NACLs and changes first), then what the guard did; at most
    /// [`BODY_BYTES`], the changes that do not fit counted by severity.
    fn alert_body(&self, action: Response, changes: &[&AssessedChange]) -> String {
        let mut ordered = changes.to_vec();
        let worst_of = |acl: &NetworkAclId| {
            changes
                .iter()
                .filter(|assessed| &assessed.change.network_acl_id == acl)
                .map(|assessed| assessed.change.severity)
                .max()
        };
        ordered.sort_by_cached_key(|AssessedChange { change, .. }| {
            (
                std::cmp::Reverse(worst_of(&change.network_acl_id)),
                change.region.clone(),
                change.network_acl_id.clone(),
                std::cmp::Reverse(change.severity),
            )
        });
        let footer = sanitize::lines(&format!(
            "\nWhat nacl-drift did: {}",
            self.what_was_done(action)
        ))
        .into_owned();
        let mut body = String::new();
        let mut previous_acl = None;
        let mut left_out: BTreeMap<std::cmp::Reverse<Severity>, usize> = BTreeMap::new();
        for assessed in ordered {
            let change = &assessed.change;
            let header =
                (previous_acl != Some(&change.network_acl_id)).then(|| self.nacl_header(change));
            let mut block = sanitize::lines(&format!(
                "{}{}",
                header.unwrap_or_default(),
                self.change_in_words(assessed)
            ))
            .into_owned();
            cut_to(&mut block, CHANGE_BYTES);
            let fits = body.len() + block.len() + footer.len() + LEFT_OUT_BYTES <= BODY_BYTES;
            if !left_out.is_empty() || !fits {
                *left_out
                    .entry(std::cmp::Reverse(change.severity))
                    .or_default() += 1;
                continue;
            }
            previous_acl = Some(&change.network_acl_id);
            body.push_str(&block);
        }
        if !left_out.is_empty() {
            let total: usize = left_out.values().sum();
            let counts: Vec<String> = left_out
                .iter()
                .map(|(severity, count)| format!("{count} {}", severity.0.label()))
                .collect();
            body.push_str(&format!(
                "- and {total} more {} not shown here ({}): the guard's log line lists every one.\n",
                if total == 1 { "change" } else { "changes" },
                counts.join(", ")
            ));
        }
        body.push_str(&footer);
        body
    }

    /// `Account ..., region ..., VPC ..., NACL ... (Name):`, a line.
    fn nacl_header(&self, change: &Change) -> String {
        let name = self
            .names
            .get(&change.network_acl_id)
            .map(|name| format!(" ({})", Shown(name)))
            .unwrap_or_default();
        format!(
            "Account {}, region {}, VPC {}, NACL {}{name}:\n",
            change.account, change.region, change.vpc_id, change.network_acl_id
        )
    }

    /// One change: its severity and sides, its effects on traffic and what
    /// they reach, who made it, and whether it is monitored only.
    fn change_in_words(
        &self,
        AssessedChange {
            change,
            verdict,
            address,
        }: &AssessedChange,
    ) -> String {
        let mut words = String::new();
        let position = change.position();
        let at = if position.is_empty() {
            String::new()
        } else {
            format!(", {position}")
        };
        words.push_str(&format!(
            "- [{}] {}{at}: the baseline has {}; live is {}.\n",
            change.severity.label(),
            change.kind().label(),
            change.baseline_in_words(),
            change.live_in_words()
        ));
        // The effects that follow from the change, as every report reads them.
        for AssessedEffect { effect, assets, .. } in effects_of(change, &self.effects) {
            let verb = match effect.effect.kind {
                EffectKind::NewlyAllowed => "newly allowed",
                EffectKind::NewlyDenied => "newly denied",
            };
            words.push_str(&format!("  {verb}: {}\n", effect.effect));
            if let Some(found) = assets.as_ref().and_then(|assets| in_words(&[assets])) {
                // Instances' names are tags: untrusted.
                words.push_str(&format!("    {}\n", Shown(&found)));
            }
        }
        if let Attributed::To(by) = &verdict.attribution {
            words.push_str(&format!("  made by {}", Shown(&by.who())));
            if let Some(ip) = &by.source_ip {
                words.push_str(&format!(" from {}", Shown(ip)));
            }
            words.push_str(&format!(" at {}", Shown(&by.event_time)));
            if by.unverified {
                words.push_str(" (unverified: from the event alone)");
            }
            words.push('\n');
        }
        if let Some(reason) = &verdict.monitor_only {
            words.push_str(&format!("  monitored only: {}\n", Shown(reason)));
        }
        let closed = self.closed.iter().find(|closed| {
            closed.change.network_acl_id == change.network_acl_id
                && closed.change.position() == position
        });
        if let Some(closed) = closed {
            words.push_str(&format!(
                "  closed: {}\n",
                crate::line::closed_in_words(closed)
            ));
        }
        if let Some(address) = address {
            words.push_str(&format!("  declared in Terraform as {}\n", Shown(address)));
        }
        words
    }

    /// The guard's deed, in words.
    fn what_was_done(&self, action: Response) -> String {
        let waited = match &self.terraform_lock {
            Some(wait) if wait.released => format!(
                "waited {}s for {} to be released, then judged against the state it left; ",
                wait.waited_seconds, wait.lock
            ),
            Some(wait) => format!(
                "restored nothing: {} was still held after {}s; ",
                wait.lock, wait.waited_seconds
            ),
            None => String::new(),
        };
        waited + &self.deed(action)
    }

    /// What the guard did about the drift itself.
    fn deed(&self, action: Response) -> String {
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
            Response::Restored => format!(
                "restored with {done} of {} calls, verified in sync{after}.",
                self.restored.len()
            ),
            Response::Failed => format!(
                "made {done} of {} calls; drift remains, see the guard's log.",
                self.restored.len()
            ),
            Response::Held => {
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
            Response::Reported => "reported; the guard does not restore this drift.".to_owned(),
        }
    }
}

/// `text` cut to at most `bytes`, on a character boundary, ending with a
/// line that says so.
fn cut_to(text: &mut String, bytes: usize) {
    const CUT: &str = "  (cut: too long for an alert)\n";
    if text.len() <= bytes {
        return;
    }
    let mut end = bytes - CUT.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push('\n');
    text.push_str(CUT);
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
