//! `timeline`'s report, for people: each window (its NACL, severity and
//! traffic in `diff`'s words, who opened it and when, who closed it and
//! when, how long it held), the calls the replay did not apply, and where
//! it does not end in the live state. Every value from AWS is escaped.

use nacl_drift_model::sanitize::Shown;
use nacl_drift_reconcile::{Moment, Replayed, rfc3339};

use crate::Printer;

/// Prints `replayed`, the windows still open lasting until `now` (seconds
/// since the epoch).
pub fn print_timeline(printer: &mut Printer, replayed: &Replayed, now: i64) {
    let windows = &replayed.timeline.windows;
    if windows.is_empty() {
        printer.line("No window: no call in the trail changed what a NACL lets through.");
    }
    for window in windows {
        let effect = &window.effect;
        printer.line(format!(
            "{} {} ({} {} {}): {}",
            window.severity().label(),
            effect.network_acl_id,
            effect.vpc_id,
            effect.account,
            effect.region,
            effect.effect
        ));
        printer.line(format!("  opened {}", said(&window.opened)));
        let held = duration(window.duration(now));
        printer.line(match &window.closed {
            Some(closed) => format!("  closed {}, after {held}", said(closed)),
            None => format!("  open still, for {held} now"),
        });
    }
    for unreplayed in &replayed.timeline.unreplayed {
        printer.warning(&format!(
            "{} ({}): {}",
            unreplayed.call.by.event_name,
            said(&unreplayed.call),
            unreplayed.why
        ));
    }
    for change in &replayed.differences {
        printer.warning(&format!(
            "the replay does not end in the live state: {} {}: replayed {}, live {}; its windows are not backed by the trail",
            change.network_acl_id,
            change.position(),
            change.baseline_in_words(),
            change.live_in_words()
        ));
    }
    if !replayed.errors.is_empty() {
        crate::accounts::print_read_errors(printer, &replayed.errors);
    }
}

/// `2026-12-06T10:00:00Z by arn:... (event id, from 198.51.100.7)`.
fn said(moment: &Moment) -> String {
    let by = &moment.by;
    let mut from = vec![Shown(&by.event_id).to_string()];
    if let Some(ip) = &by.source_ip {
        from.push(format!("from {}", Shown(ip)));
    }
    format!(
        "{} by {} ({})",
        rfc3339(moment.at),
        Shown(&by.who()),
        from.join(", ")
    )
}

/// `10m`, `2h 5m`, `3days 4h`: to the minute past an hour.
fn duration(seconds: i64) -> String {
    let seconds = u64::try_from(seconds).unwrap_or_default();
    let rounded = if seconds >= 3_600 {
        seconds / 60 * 60
    } else {
        seconds
    };
    humantime::format_duration(std::time::Duration::from_secs(rounded)).to_string()
}
