//! `timeline --format markdown`: the windows as a table for a ticket, then
//! the calls not replayed, where the replay does not end in the live
//! state, and what the flow logs held. Every value goes through the
//! sanitiser's markdown rules.

use nacl_drift_model::sanitize::markdown as md;
use nacl_drift_reconcile::{Moment, Replayed};

use super::{duration, flows_cell, sections, summary};

/// The report of the windows that opened in its period.
pub(super) fn markdown(replayed: &Replayed) -> String {
    let now = replayed.period.now;
    let windows = &replayed.timeline.windows;
    let mut out = format!("## nacl-drift timeline\n\n{}\n", summary(replayed));
    if !windows.is_empty() {
        out.push_str("\n| NACL | severity | traffic | opened | closed | held | flows |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
    }
    for (index, window) in windows.iter().enumerate() {
        let effect = &window.effect;
        let name = replayed
            .name_of(&effect.network_acl_id)
            .map(|name| format!(" ({})", md(name)))
            .unwrap_or_default();
        let closed = window
            .closed
            .as_ref()
            .map_or_else(|| "open still".to_owned(), said);
        let flows = flows_cell(replayed, index, window.duration(now));
        let flows = flows.map_or_else(|| "-".to_owned(), |flows| md(&flows));
        out.push_str(&format!(
            "| {}{name} | {} | {} | {} | {closed} | {} | {flows} |\n",
            md(effect.network_acl_id.as_str()),
            window.severity().label(),
            md(&effect.effect.to_string()),
            said(&window.opened),
            duration(window.duration(now)),
        ));
    }
    for (heading, note, lines) in sections(replayed) {
        out.push_str(&format!("\n### {heading}\n\n"));
        if let Some(note) = note {
            out.push_str(&format!("{note}\n\n"));
        }
        for line in lines {
            out.push_str(&format!("- {}\n", md(&line)));
        }
    }
    out
}

/// `2026-12-06T10:00:00Z by arn:... (event id, from 198.51.100.7)`, escaped.
fn said(moment: &Moment) -> String {
    md(&super::moment_in_words(moment))
}
