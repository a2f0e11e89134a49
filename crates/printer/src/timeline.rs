//! `timeline`'s report, for people: each window (its NACL, severity and
//! traffic in `diff`'s words, who opened it and when, who closed it and
//! when, how long it held), the calls the replay did not apply, and where
//! it does not end in the live state. Every value from AWS is escaped.

mod html;
mod markdown;

use nacl_drift_assets::in_words;
use nacl_drift_model::sanitize::Shown;
use nacl_drift_reconcile::{Evidence, Flows, Moment, NOT_LOOKED_UP, Replayed, rfc3339};

use crate::Printer;

/// How a timeline is printed (`timeline --format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Text for people.
    Text,
    /// The documented JSON.
    Json,
    /// A report for a ticket.
    Markdown,
    /// One self-contained HTML file with an SVG timeline.
    Html,
}

/// Prints `replayed` in `format`: the windows still open last until its
/// period's now.
pub fn print_timeline(
    printer: &mut Printer,
    replayed: &Replayed,
    format: Format,
) -> Result<(), serde_json::Error> {
    match format {
        Format::Text => print_text(printer, replayed, replayed.period.now),
        Format::Json => printer.record(replayed.json()?.to_string()),
        Format::Markdown => printer.text(&markdown::markdown(replayed)),
        Format::Html => printer.text(&html::html(replayed)),
    }
    Ok(())
}

/// The text, for people.
fn print_text(printer: &mut Printer, replayed: &Replayed, now: i64) {
    let windows = &replayed.timeline.windows;
    if windows.is_empty() {
        printer.line("No window: no call in the trail changed what a NACL lets through.");
    }
    for (index, window) in windows.iter().enumerate() {
        let effect = &window.effect;
        let name = replayed
            .name_of(&effect.network_acl_id)
            .map(|name| format!(" {}", Shown(name)))
            .unwrap_or_default();
        printer.line(format!(
            "{} {}{name} ({} {} {}): {}",
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
        let evidence = replayed
            .flows
            .as_ref()
            .and_then(|flows| flows.windows.get(index)?.as_ref());
        if let Some(evidence) = evidence {
            printer.line(format!("  flows: {}", flows_in_words(evidence)));
            printer.line(format!(
                "  logs: {}",
                coverage_in_words(evidence, window.duration(now))
            ));
        }
        if let Some(reached) = replayed.reached.get(index).and_then(Option::as_ref) {
            // Instances' names are tags: untrusted.
            let found = in_words(&[reached]).unwrap_or_else(|| "no interface".to_owned());
            printer.line(format!("  assets, as they are now: {}", Shown(&found)));
        }
        for made in replayed.lifecycle.get(index).into_iter().flatten() {
            let verb = if made.made { "made" } else { "deleted" };
            printer.line(format!(
                "  {} {verb} in {} while it held: {}",
                made.interface,
                made.subnet,
                said(&made.call)
            ));
        }
    }
    if !replayed.reached.is_empty() && replayed.interface_events.is_none() {
        printer.note(&format!(
            "interfaces made or deleted in the windows: {NOT_LOOKED_UP}"
        ));
    }
    for line in unreplayed_lines(replayed) {
        printer.warning(&Shown(&line).to_string());
    }
    for line in difference_lines(replayed) {
        printer.warning(&format!(
            "the replay does not end in the live state: {}; its windows are not backed by the trail",
            Shown(&line)
        ));
    }
    if let Some(flows) = &replayed.flows {
        print_flow_logs(printer, flows);
    }
    if !replayed.asset_errors.is_empty() {
        crate::accounts::print_read_errors(printer, &replayed.asset_errors);
    }
    if !replayed.errors.is_empty() {
        crate::accounts::print_read_errors(printer, &replayed.errors);
    }
}

/// What the flow logs read held, and what could not be read or placed.
fn print_flow_logs(printer: &mut Printer, flows: &Flows) {
    let read = &flows.read;
    printer.line(format!(
        "Flow logs: {} files read ({} passed over by their names), {} records ({} NODATA, {} SKIPDATA, {} malformed).",
        read.files, read.files_passed_over, read.records, read.nodata, read.skipdata, read.malformed
    ));
    for example in &read.malformed_examples {
        printer.warning(&format!("malformed flow log line: {}", Shown(example)));
    }
    if read.skipdata > 0 {
        printer.warning(&format!(
            "{} SKIPDATA records: flows in their intervals were not captured, and are not counted",
            read.skipdata
        ));
    }
    for unreadable in &read.unreadable {
        printer.warning(&format!(
            "flow log {} not read: {}",
            Shown(&unreadable.path.display().to_string()),
            unreadable.why
        ));
    }
    if read.unplaced > 0 {
        printer.warning(&format!(
            "{} ACCEPT records on interfaces that are not there now, in files without subnet-id: not placed in any subnet, not counted",
            read.unplaced
        ));
    }
    if read.direction_unknown > 0 {
        printer.warning(&format!(
            "{} ACCEPT records in a window's subnets whose direction cannot be told (no flow-direction, interface not read): not counted",
            read.direction_unknown
        ));
    }
}

/// `3 records (30 packets, 2520 bytes) from 2 sources: 203.0.113.9 (2),
/// 198.51.100.7 (1); first seen ..., last seen ...`.
fn flows_in_words(evidence: &Evidence) -> String {
    match (evidence.records, evidence.covered_seconds) {
        // No record of its subnets at all: nothing is known of its flows.
        (0, 0) => return "unknown: no log covers it".to_owned(),
        (0, _) => return "none of the logs read was let in by it".to_owned(),
        _ => {}
    }
    let sources: Vec<String> = evidence
        .top_sources
        .iter()
        .map(|source| format!("{} ({})", source.address, source.records))
        .collect();
    let more = evidence.distinct_sources - evidence.top_sources.len();
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let seen = |at: Option<i64>| at.map_or_else(|| "-".to_owned(), rfc3339);
    format!(
        "{} ACCEPT records ({} packets, {} bytes) from {} sources: {}{more}; first seen {}, last seen {}",
        evidence.records,
        evidence.packets,
        evidence.bytes,
        evidence.distinct_sources,
        sources.join(", "),
        seen(evidence.first_seen),
        seen(evidence.last_seen)
    )
}

/// `cover all of it`, or `cover 5m of 1h; unknown (no log) ...`.
fn coverage_in_words(evidence: &Evidence, window_seconds: i64) -> String {
    if evidence.unknown.is_empty() {
        return "cover all of it".to_owned();
    }
    let spans: Vec<String> = evidence
        .unknown
        .iter()
        .map(|span| format!("{} to {}", rfc3339(span.from), rfc3339(span.until)))
        .collect();
    format!(
        "cover {} of {}; unknown, no log: {}",
        duration(evidence.covered_seconds),
        duration(window_seconds),
        spans.join(", ")
    )
}

/// `From 2026-11-30T00:00:00Z to 2026-12-07T00:00:00Z: 3 windows, 1 open
/// still.`: the reports' first line (nacl-drift's words alone).
fn summary(replayed: &Replayed) -> String {
    let windows = &replayed.timeline.windows;
    let open = windows
        .iter()
        .filter(|window| window.closed.is_none())
        .count();
    format!(
        "From {} to {}: {}, {open} open still.",
        rfc3339(replayed.period.since),
        rfc3339(replayed.period.until),
        crate::counted(windows.len(), "window", "windows")
    )
}

/// The report's closing sections, those with lines: a heading, a note (or
/// none), and its lines, raw.
fn sections(replayed: &Replayed) -> Vec<(&'static str, Option<&'static str>, Vec<String>)> {
    let sections = [
        ("Calls not replayed", None, unreplayed_lines(replayed)),
        (
            "Where the replay does not end in the live state",
            Some("The windows of these NACLs are not backed by the trail."),
            difference_lines(replayed),
        ),
    ];
    sections
        .into_iter()
        .filter(|(_, _, lines)| !lines.is_empty())
        .collect()
}

/// Each call the replay did not apply, and why, raw.
fn unreplayed_lines(replayed: &Replayed) -> Vec<String> {
    let unreplayed = &replayed.timeline.unreplayed;
    unreplayed
        .iter()
        .map(|unreplayed| {
            let call = &unreplayed.call;
            let moment = moment_in_words(call);
            format!("{} ({moment}): {}", call.by.event_name, unreplayed.why)
        })
        .collect()
}

/// Each place where the replay does not end in the live state, raw.
fn difference_lines(replayed: &Replayed) -> Vec<String> {
    let differences = &replayed.differences;
    differences
        .iter()
        .map(|change| {
            format!(
                "{} {}: replayed {}, live {}",
                change.network_acl_id,
                change.position(),
                change.baseline_in_words(),
                change.live_in_words()
            )
        })
        .collect()
}

/// The `index`th window's flows and the logs' coverage, raw; `None` when
/// no flow log was read for it.
fn flows_cell(replayed: &Replayed, index: usize, window_seconds: i64) -> Option<String> {
    let evidence = replayed.flows.as_ref()?.windows.get(index)?.as_ref()?;
    let logs = coverage_in_words(evidence, window_seconds);
    Some(format!("{}; logs {logs}", flows_in_words(evidence)))
}

/// `2026-12-06T10:00:00Z by arn:... (event id, from 198.51.100.7)`,
/// escaped for a terminal.
fn said(moment: &Moment) -> String {
    Shown(&moment_in_words(moment)).to_string()
}

/// `2026-12-06T10:00:00Z by arn:... (event id, from 198.51.100.7)`, raw:
/// each format escapes it by its own rules.
fn moment_in_words(moment: &Moment) -> String {
    let by = &moment.by;
    let from = match &by.source_ip {
        Some(ip) => format!("{}, from {ip}", by.event_id),
        None => by.event_id.clone(),
    };
    format!("{} by {} ({from})", rfc3339(moment.at), by.who())
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

#[cfg(test)]
mod tests {
    use nacl_drift_reconcile::Evidence;

    use super::flows_in_words;

    #[test]
    fn no_flow_counted_reads_as_unknown_when_no_log_covers_the_window() {
        let uncovered = Evidence::default();
        assert_eq!(flows_in_words(&uncovered), "unknown: no log covers it");
        let covered = Evidence {
            covered_seconds: 600,
            ..Evidence::default()
        };
        assert_eq!(
            flows_in_words(&covered),
            "none of the logs read was let in by it"
        );
    }
}
