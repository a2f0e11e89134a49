//! The verdicts on a report's changes: what was decided of each after the
//! comparison, and by whom. They sit beside the [`Report`], which never
//! changes once made: the config file accepts drift or marks a NACL
//! monitored only, the guard's flapping brake holds a NACL, CloudTrail
//! says who made a change.

use nacl_drift_assets::EffectAssets;
use serde::{Serialize, Serializer};

use crate::Severity;
use crate::report::{Accepted, Attributed, Change, Report, TrafficEffect, acceptance_of};

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

/// The verdicts on every change of one report, in its order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdicts(Vec<Verdict>);

impl Verdicts {
    /// No verdict yet on any change of `report`.
    pub fn none(report: &Report) -> Verdicts {
        Verdicts(vec![Verdict::default(); report.changes.len()])
    }

    /// The verdict on each change, in the report's order.
    pub fn iter(&self) -> std::slice::Iter<'_, Verdict> {
        self.0.iter()
    }

    /// The verdict on each change, to set.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Verdict> {
        self.0.iter_mut()
    }

    /// The changes of `report` nobody accepted.
    pub fn unaccepted<'a>(&'a self, report: &'a Report) -> impl Iterator<Item = &'a Change> {
        report
            .changes
            .iter()
            .zip(&self.0)
            .filter(|(_, verdict)| verdict.accepted.is_none())
            .map(|(change, _)| change)
    }

    /// The highest severity of a change of `report` nobody accepted.
    pub fn severity(&self, report: &Report) -> Option<Severity> {
        self.unaccepted(report).map(|change| change.severity).max()
    }

    /// The acceptance of `effect` of `report`: that of the changes it
    /// follows from, when they are all accepted.
    pub fn effect_accepted(&self, report: &Report, effect: &TrafficEffect) -> Option<Accepted> {
        acceptance_of(effect, &report.changes, self)
    }

    /// A copy of `report` without the changes the config accepts and the
    /// effects that follow from them alone, and its verdicts: what people
    /// are shown unless they ask for the accepted drift.
    pub fn without_accepted(&self, report: &Report) -> (Report, Verdicts) {
        let (changes, verdicts): (Vec<Change>, Vec<Verdict>) = report
            .changes
            .iter()
            .zip(&self.0)
            .filter(|(_, verdict)| verdict.accepted.is_none())
            .map(|(change, verdict)| (change.clone(), verdict.clone()))
            .unzip();
        let effects = report
            .effects
            .iter()
            .filter(|effect| self.effect_accepted(report, effect).is_none())
            .cloned()
            .collect();
        let shown = Report {
            in_sync: changes.is_empty(),
            severity: changes.iter().map(|change| change.severity).max(),
            changes,
            effects,
            skipped: report.skipped.clone(),
            errors: report.errors.clone(),
        };
        (shown, Verdicts(verdicts))
    }
}

/// A report with its verdicts, as the documented JSON has it: the
/// severity counts no accepted change, and each change and effect carries
/// its verdicts.
pub struct Judged<'a> {
    /// The report.
    pub report: &'a Report,
    /// The verdicts on its changes.
    pub verdicts: &'a Verdicts,
    /// The assets behind each of its effects, in their order (`--assets`);
    /// empty when not asked.
    pub assets: &'a [Option<EffectAssets>],
}

impl Judged<'_> {
    /// Each change with its verdict, serialisable as the JSON has it.
    pub fn changes(&self) -> impl Iterator<Item = JudgedChange<'_>> {
        self.report
            .changes
            .iter()
            .zip(self.verdicts.iter())
            .map(|(change, verdict)| JudgedChange { change, verdict })
    }

    /// Each traffic effect with its acceptance, serialisable as the JSON
    /// has it.
    pub fn effects(&self) -> impl Iterator<Item = JudgedEffect<'_>> {
        self.report
            .effects
            .iter()
            .enumerate()
            .map(|(index, effect)| JudgedEffect {
                effect,
                accepted: self.verdicts.effect_accepted(self.report, effect),
                assets: self.assets.get(index).and_then(Option::as_ref),
            })
    }
}

impl Serialize for Judged<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Record<'a> {
            in_sync: bool,
            severity: Option<Severity>,
            changes: Vec<JudgedChange<'a>>,
            effects: Vec<JudgedEffect<'a>>,
            skipped: &'a [crate::Skipped],
            errors: &'a [nacl_drift_model::ReadError],
        }
        Record {
            in_sync: self.report.in_sync,
            severity: self.verdicts.severity(self.report),
            changes: self.changes().collect(),
            effects: self.effects().collect(),
            skipped: &self.report.skipped,
            errors: &self.report.errors,
        }
        .serialize(serializer)
    }
}

/// A change with its verdict.
#[derive(Clone, Copy, Debug)]
pub struct JudgedChange<'a> {
    /// The change.
    pub change: &'a Change,
    /// What was decided of it.
    pub verdict: &'a Verdict,
}

impl Serialize for JudgedChange<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.change.serialize_judged(self.verdict, serializer)
    }
}

/// A traffic effect with its acceptance.
#[derive(Clone, Debug)]
pub struct JudgedEffect<'a> {
    /// The effect.
    pub effect: &'a TrafficEffect,
    /// When every change it follows from is accepted: the acceptance of
    /// the first.
    pub accepted: Option<Accepted>,
    /// The interfaces behind it, when asked (`--assets`).
    pub assets: Option<&'a EffectAssets>,
}

impl Serialize for JudgedEffect<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.effect
            .serialize_judged(self.accepted.as_ref(), self.assets, serializer)
    }
}
