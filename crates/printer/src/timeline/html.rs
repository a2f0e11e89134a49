//! `timeline --format html`: one self-contained file (no script, no
//! network: its Content-Security-Policy forbids both) with an SVG
//! timeline, one lane per NACL, each window a bar coloured by severity,
//! each restore marked with who made it, flow evidence as ticks at the
//! first and last flow seen; then the windows as a table. Every value goes
//! through the sanitiser's HTML rules.

use std::collections::BTreeMap;

use nacl_drift_analysis::Severity;
use nacl_drift_model::NetworkAclId;
use nacl_drift_model::sanitize::html as h;
use nacl_drift_reconcile::{Period, Replayed, Window, rfc3339};

use super::{duration, flows_cell, flows_in_words, moment_in_words, sections, summary};

const WIDTH: f64 = 1000.0;
const PLOT_FROM: f64 = 240.0;
const PLOT_TO: f64 = 980.0;
const LANE: f64 = 44.0;
const TOP: f64 = 40.0;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1d1d1d}\
table{border-collapse:collapse;margin-top:1em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f2f2f2}.critical{color:#a51d2d}.high{color:#c64600}.medium{color:#9c6d00}.low{color:#1a5fb4}\
svg text{font:12px system-ui,sans-serif}";

/// The report of the windows that opened in its period.
pub(super) fn html(replayed: &Replayed) -> String {
    let Period { since, now, .. } = replayed.period;
    let windows = &replayed.timeline.windows;
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    out.push_str(&format!(
        "<title>nacl-drift timeline</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>nacl-drift timeline</h1>\n<p>{}</p>\n",
        summary(replayed)
    ));
    // The axis starts a little before the first window, not at --since:
    // an hour's window is not a sliver of a week.
    let first = windows
        .iter()
        .map(|window| window.opened.at)
        .min()
        .unwrap_or(since);
    let start = since.max(first - (now - first) / 10);
    out.push_str(&svg(replayed, (start, now)));
    out.push_str(&table(replayed, now));
    for (heading, note, lines) in sections(replayed) {
        out.push_str(&format!("<h2>{heading}</h2>\n"));
        if let Some(note) = note {
            out.push_str(&format!("<p>{note}</p>\n"));
        }
        out.push_str("<ul>\n");
        for line in lines {
            out.push_str(&format!("<li>{}</li>\n", h(&line)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The SVG: a lane per NACL, the windows as bars.
fn svg(replayed: &Replayed, (since, now): (i64, i64)) -> String {
    let windows = &replayed.timeline.windows;
    let mut lanes: BTreeMap<&NetworkAclId, usize> = BTreeMap::new();
    for window in windows {
        let next = lanes.len();
        lanes.entry(&window.effect.network_acl_id).or_insert(next);
    }
    let height = TOP + LANE * lanes.len().max(1) as f64 + 30.0;
    let span = (now - since).max(1) as f64;
    let x =
        |at: i64| PLOT_FROM + (at.clamp(since, now) - since) as f64 / span * (PLOT_TO - PLOT_FROM);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"windows by NACL\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\">\n"
    );
    out.push_str(&format!(
        "<text x=\"{PLOT_FROM}\" y=\"20\">{}</text><text x=\"{PLOT_TO}\" y=\"20\" text-anchor=\"end\">{}</text>\n",
        rfc3339(since),
        rfc3339(now)
    ));
    for (acl, lane) in &lanes {
        let y = TOP + LANE * *lane as f64;
        let name = replayed
            .name_of(acl)
            .map(|name| format!(" {}", h(name)))
            .unwrap_or_default();
        out.push_str(&format!(
            "<text x=\"8\" y=\"{}\">{}{name}</text><line x1=\"{PLOT_FROM}\" x2=\"{PLOT_TO}\" y1=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>\n",
            y + 14.0,
            h(acl.as_str()),
            y + 10.0,
            y + 10.0
        ));
    }
    for (index, window) in windows.iter().enumerate() {
        let y = TOP + LANE * lanes[&window.effect.network_acl_id] as f64;
        let (from, until) = (
            x(window.opened.at),
            x(window.closed.as_ref().map_or(now, |closed| closed.at)),
        );
        out.push_str(&format!(
            "<rect class=\"window\" x=\"{from:.1}\" y=\"{y}\" width=\"{:.1}\" height=\"20\" fill=\"{}\"><title>{}</title></rect>\n",
            (until - from).max(2.0),
            colour(window.severity()),
            h(&bar_title(window, now))
        ));
        if let Some(closed) = &window.closed {
            out.push_str(&format!(
                "<line class=\"restore\" x1=\"{until:.1}\" x2=\"{until:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#26a269\" stroke-width=\"2\"/><text x=\"{until:.1}\" y=\"{}\">closed by {}</text>\n",
                y - 2.0,
                y + 22.0,
                y + 34.0,
                h(&closed.by.who())
            ));
        }
        let evidence = replayed
            .flows
            .as_ref()
            .and_then(|flows| flows.windows.get(index)?.as_ref());
        if let Some(evidence) = evidence.filter(|evidence| evidence.records > 0) {
            for seen in [evidence.first_seen, evidence.last_seen]
                .into_iter()
                .flatten()
            {
                out.push_str(&format!(
                    "<line class=\"flow\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#000\" stroke-width=\"2\"><title>{3}</title></line>\n",
                    x(seen),
                    y - 6.0,
                    y + 2.0,
                    h(&format!("{}: {}", rfc3339(seen), flows_in_words(evidence)))
                ));
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

/// The windows as a table.
fn table(replayed: &Replayed, now: i64) -> String {
    let mut out = String::from(
        "<table>\n<tr><th>NACL</th><th>severity</th><th>traffic</th><th>opened</th><th>closed</th><th>held</th><th>flows</th></tr>\n",
    );
    for (index, window) in replayed.timeline.windows.iter().enumerate() {
        let effect = &window.effect;
        let name = replayed
            .name_of(&effect.network_acl_id)
            .map(|name| format!(" ({})", h(name)))
            .unwrap_or_default();
        let closed = window.closed.as_ref().map_or_else(
            || "open still".to_owned(),
            |closed| h(&moment_in_words(closed)),
        );
        let flows = flows_cell(replayed, index, window.duration(now));
        let flows = flows.map_or_else(|| "-".to_owned(), |flows| h(&flows));
        let severity = window.severity().label();
        out.push_str(&format!(
            "<tr><td>{}{name}</td><td class=\"{severity}\">{severity}</td><td>{}</td><td>{}</td><td>{closed}</td><td>{}</td><td>{flows}</td></tr>\n",
            h(effect.network_acl_id.as_str()),
            h(&effect.effect.to_string()),
            h(&moment_in_words(&window.opened)),
            duration(window.duration(now)),
        ));
    }
    out.push_str("</table>\n");
    out
}

/// A bar's tooltip: the severity, the traffic, who opened and closed it.
fn bar_title(window: &Window, now: i64) -> String {
    let closed = window.closed.as_ref().map_or_else(
        || "open still".to_owned(),
        |closed| format!("closed {}", moment_in_words(closed)),
    );
    format!(
        "{} {}: opened {}; {closed}; held {}",
        window.severity().label(),
        window.effect.effect,
        moment_in_words(&window.opened),
        duration(window.duration(now))
    )
}

fn colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#c01c28",
        Severity::High => "#e66100",
        Severity::Medium => "#f5c211",
        Severity::Low => "#3584e4",
    }
}
