//! The drift as Security Hub findings, in the AWS Security Finding Format
//! (ASFF), as BatchImportFindings takes them: one finding a change, with a
//! stable `Id` per NACL and drift (a re-import updates it), on the
//! account's default product. Accepted drift is `SUPPRESSED`; the rest is
//! `NEW` and `FAILED`, until a restore is verified: then `RESOLVED` and
//! `PASSED` ([`Finding::resolve`]).
//!
//! For `diff --format asff` (the printer) and the guard's import (the AWS
//! edge converts each [`Finding`] to the SDK's).
//!
//! Depends on: model, analysis, assets, diff, reconcile; no AWS SDK.

#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::time::SystemTime;

use nacl_drift_analysis::EffectKind;
use nacl_drift_assets::{EffectAssets, in_words};
use nacl_drift_diff::{AssessedChange, Attributed, Change, Drift, Severity, TrafficEffect};
use nacl_drift_model::Region;
use nacl_drift_model::sanitize::Shown;
use nacl_drift_reconcile::Comparison;
use serde::Serialize;

/// The ASFF version Security Hub takes.
const SCHEMA_VERSION: &str = "2018-10-08";
/// The most findings one BatchImportFindings takes (and the fewest, 1).
pub const BATCH: usize = 100;
/// Security Hub's limits on a finding's title and description.
const TITLE_CHARS: usize = 256;
const DESCRIPTION_CHARS: usize = 1024;

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Finding {
    /// The ASFF version.
    pub schema_version: &'static str,
    /// Stable per NACL and drift: `nacl-drift/ACCOUNT/REGION/ACL/KIND[/WHERE]`.
    pub id: String,
    /// The account's default product.
    pub product_arn: String,
    /// `nacl-drift/KIND`.
    pub generator_id: String,
    /// The NACL's account.
    pub aws_account_id: String,
    /// The finding's types.
    pub types: Vec<&'static str>,
    /// When it was first seen: the event's time when attributed.
    pub created_at: String,
    /// Now.
    pub updated_at: String,
    /// When the drift was first observed: the event's time when
    /// attributed, else now.
    pub first_observed_at: String,
    /// Now: the drift stands.
    pub last_observed_at: String,
    /// Its severity.
    pub severity: FindingSeverity,
    /// At most 256 characters.
    pub title: String,
    /// At most 1,024 characters.
    pub description: String,
    /// The NACL.
    pub resources: Vec<Resource>,
    /// `FAILED`, or `PASSED` once resolved.
    pub compliance: Status,
    /// `NEW`, `SUPPRESSED` (accepted), or `RESOLVED`.
    pub workflow: Status,
    /// `ACTIVE`.
    pub record_state: &'static str,
    /// The acceptance, for accepted drift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
    /// The drift's kind and severity, as nacl-drift names them.
    pub product_fields: BTreeMap<&'static str, String>,
}

impl Finding {
    /// The same finding, once a restore has been verified: `RESOLVED` and
    /// `PASSED`.
    pub fn resolve(&mut self) {
        self.workflow.status = "RESOLVED";
        self.compliance.status = "PASSED";
    }
}

/// A finding's severity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FindingSeverity {
    /// `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`.
    pub label: &'static str,
    /// nacl-drift's.
    pub original: &'static str,
}

/// The NACL, as a Security Hub resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    /// `AwsEc2NetworkAcl`.
    #[serde(rename = "Type")]
    pub kind: &'static str,
    /// The NACL's ARN.
    pub id: String,
    /// Its partition.
    pub partition: &'static str,
    /// Its region.
    pub region: String,
    /// Its tags.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// What Security Hub knows of NACLs.
    pub details: Details,
}

/// A resource's details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Details {
    /// The NACL's.
    pub aws_ec2_network_acl: NetworkAclDetails,
}

/// A NACL's details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAclDetails {
    /// Whether it is its VPC's default, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    /// Its id.
    pub network_acl_id: String,
    /// Its account.
    pub owner_id: String,
    /// Its VPC.
    pub vpc_id: String,
}

/// A workflow or compliance status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Status {
    /// The status.
    pub status: &'static str,
}

/// A note on a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Note {
    /// What it says.
    pub text: String,
    /// `nacl-drift`.
    pub updated_by: &'static str,
    /// When.
    pub updated_at: String,
}

/// The findings of `comparison`'s changes, each with its verdict, at `now`.
pub fn findings(comparison: &Comparison, now: SystemTime) -> Vec<Finding> {
    let now = humantime::format_rfc3339_seconds(now).to_string();
    let names = comparison.nacl_names();
    comparison
        .changes
        .iter()
        .map(|assessed| {
            let AssessedChange {
                change, verdict, ..
            } = assessed;
            let acl = comparison.nacl(&change.network_acl_id);
            let position = change.position();
            let at = if position.is_empty() {
                String::new()
            } else {
                format!(" at {position}")
            };
            let effects: Vec<&TrafficEffect> = comparison
                .effects_of(change)
                .into_iter()
                .map(|assessed| &assessed.effect)
                .collect();
            let created_at = match &verdict.attribution {
                // CloudTrail's time, when it is one, and CloudTrail's own
                // (a log file, LookupEvents): an event's text is not
                // trusted, and a delivered event anyone could have sent.
                Attributed::To(by)
                    if !by.unverified && humantime::parse_rfc3339(&by.event_time).is_ok() =>
                {
                    by.event_time.clone()
                }
                _ => now.clone(),
            };
            Finding {
                schema_version: SCHEMA_VERSION,
                id: finding_id(change),
                product_arn: format!(
                    "arn:{}:securityhub:{}:{}:product/{}/default",
                    partition(&change.region),
                    change.region,
                    change.account,
                    change.account
                ),
                generator_id: format!("nacl-drift/{}", kind_name(change)),
                aws_account_id: change.account.to_string(),
                types: types(&effects),
                first_observed_at: created_at.clone(),
                created_at,
                updated_at: now.clone(),
                last_observed_at: now.clone(),
                severity: FindingSeverity {
                    label: label(change.severity),
                    original: change.severity.label(),
                },
                title: cut(
                    &format!(
                        "NACL drift: {} on {}{at}",
                        change.kind().label(),
                        match names.get(change.network_acl_id.as_str()) {
                            Some(name) => format!("{} ({})", change.network_acl_id, Shown(name)),
                            None => change.network_acl_id.to_string(),
                        }
                    ),
                    TITLE_CHARS,
                ),
                description: cut(
                    &description(assessed, &effects, &comparison.change_assets(change)),
                    DESCRIPTION_CHARS,
                ),
                resources: vec![Resource {
                    kind: "AwsEc2NetworkAcl",
                    id: format!(
                        "arn:{}:ec2:{}:{}:network-acl/{}",
                        partition(&change.region),
                        change.region,
                        change.account,
                        change.network_acl_id
                    ),
                    partition: partition(&change.region),
                    region: change.region.to_string(),
                    tags: acl.map(|acl| resource_tags(&acl.tags)).unwrap_or_default(),
                    details: Details {
                        aws_ec2_network_acl: NetworkAclDetails {
                            is_default: acl.map(|acl| acl.is_default),
                            network_acl_id: change.network_acl_id.to_string(),
                            owner_id: change.account.to_string(),
                            vpc_id: change.vpc_id.to_string(),
                        },
                    },
                }],
                compliance: Status { status: "FAILED" },
                workflow: Status {
                    status: if verdict.accepted.is_some() {
                        "SUPPRESSED"
                    } else {
                        "NEW"
                    },
                },
                record_state: "ACTIVE",
                note: verdict.accepted.as_ref().map(|accepted| Note {
                    text: cut(
                        &format!(
                            "Accepted until {}: {}",
                            accepted.expires,
                            Shown(&accepted.reason)
                        ),
                        512,
                    ),
                    updated_by: "nacl-drift",
                    updated_at: now.clone(),
                }),
                product_fields: BTreeMap::from([
                    ("nacl-drift/Kind", kind_name(change)),
                    ("nacl-drift/Severity", change.severity.label().to_owned()),
                ]),
            }
        })
        .collect()
}

/// The tags Security Hub takes of a resource: no blank key or value (it
/// refuses the whole finding for one), keys of at most 128 characters and
/// values of at most 256, at most 50; escaped, as tags are anyone's text.
fn resource_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(key, value)| !key.trim().is_empty() && !value.trim().is_empty())
        .take(50)
        .map(|(key, value)| {
            (
                cut(&Shown(key).to_string(), 128),
                cut(&Shown(value).to_string(), 256),
            )
        })
        .collect()
}

/// `nacl-drift/ACCOUNT/REGION/ACL/KIND`, and where in the NACL: the same
/// for the same drift from run to run.
fn finding_id(change: &Change) -> String {
    let mut id = format!(
        "nacl-drift/{}/{}/{}/{}",
        change.account,
        change.region,
        change.network_acl_id,
        kind_name(change)
    );
    match (change.drift.entry_key(), change.drift.subnet()) {
        (Some(key), _) => id.push_str(&format!("/{}/{}", key.direction, key.rule_number)),
        (_, Some(subnet)) => id.push_str(&format!("/{subnet}")),
        _ => {}
    }
    id
}

/// The change's kind, as the JSON names it: `entry_deleted`.
fn kind_name(change: &Change) -> String {
    serde_json::to_value(change.kind())
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Security Hub's label of a severity.
fn label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
    }
}

/// The partition of `region`'s ARNs.
fn partition(region: &Region) -> &'static str {
    let region = region.as_str();
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The finding's types: a configuration check, and what its traffic
/// effects are.
fn types(effects: &[&TrafficEffect]) -> Vec<&'static str> {
    let mut types =
        vec!["Software and Configuration Checks/AWS Security Best Practices/NACL Drift"];
    if effects
        .iter()
        .any(|effect| effect.effect.kind == EffectKind::NewlyAllowed)
    {
        types.push("Effects/Data Exposure");
    }
    if effects
        .iter()
        .any(|effect| effect.effect.kind == EffectKind::NewlyDenied)
    {
        types.push("Effects/Denial of Service");
    }
    types
}

/// What the baseline has and what is live, what it does to traffic, and
/// who made it.
fn description(
    AssessedChange {
        change,
        verdict,
        address,
    }: &AssessedChange,
    effects: &[&TrafficEffect],
    assets: &[&EffectAssets],
) -> String {
    let mut text = format!(
        "The baseline has {}; live is {}.",
        change.baseline_in_words(),
        change.live_in_words()
    );
    if matches!(change.drift, Drift::NetworkAclAdded { .. }) {
        text = "A NACL that no baseline holds, in a baseline's scope.".to_owned();
    }
    for effect in effects {
        let verb = match effect.effect.kind {
            EffectKind::NewlyAllowed => "Newly allowed",
            EffectKind::NewlyDenied => "Newly denied",
        };
        text.push_str(&format!(" {verb}: {}.", effect.effect));
    }
    if let Some(words) = in_words(assets) {
        // Instances' names are tags: untrusted.
        text.push_str(&format!(" It {}.", Shown(&words)));
    }
    if let Attributed::To(by) = &verdict.attribution {
        text.push_str(&format!(
            " Made by {} at {}",
            Shown(&by.who()),
            Shown(&by.event_time)
        ));
        if let Some(ip) = &by.source_ip {
            text.push_str(&format!(" from {}", Shown(ip)));
        }
        if by.unverified {
            text.push_str(" (unverified: from the event alone)");
        }
        text.push('.');
    }
    if let Some(reason) = &verdict.monitor_only {
        text.push_str(&format!(" Monitored only: {}.", Shown(reason)));
    }
    if let Some(address) = address {
        // A state's text, written by whoever can write the state.
        text.push_str(&format!(" Declared in Terraform as {}.", Shown(address)));
    }
    text
}

/// `text`, at most `chars` characters: cut with an ellipsis.
fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(chars - 1).collect();
    cut.push('…');
    cut
}
