//! A run over many accounts: its progress on stderr, and the
//! account-regions it could not read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nacl_drift_model::sanitize::Shown;
use nacl_drift_model::{AccountId, ReadError, Region};

use crate::Printer;

/// What advances the bar: the AWS edge's `OnRead`.
type Advance = Arc<dyn Fn(&AccountId, &Region, bool) + Send + Sync>;

/// A progress bar on stderr over `total` account-regions (counting up when
/// the total is not known), drawn only on a terminal and unless `quiet`,
/// and the callback that advances it (the AWS edge's `OnRead`: the account,
/// the region, and whether its read failed).
pub fn progress(total: Option<usize>, quiet: bool) -> (ProgressBar, Advance) {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        // indicatif draws nothing when stderr is not a terminal.
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(total.map(|total| total as u64), target);
    let template = if total.is_some() {
        "{bar:30} {pos}/{len} account-regions read {msg}"
    } else {
        "{spinner} {pos} account-regions read {msg}"
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let failures = Arc::new(AtomicUsize::new(0));
    let on_read_bar = bar.clone();
    let on_read = Arc::new(move |_: &AccountId, _: &Region, failed: bool| {
        if failed {
            let failed = failures.fetch_add(1, Ordering::Relaxed) + 1;
            on_read_bar.set_message(format!("({failed} failed)"));
        }
        on_read_bar.inc(1);
    });
    (bar, on_read)
}

/// The account-regions that could not be read, one line each.
pub fn print_read_errors(printer: &mut Printer, errors: &[ReadError]) {
    printer.line(format!(
        "Could not read {} account-{}; their baselines are untouched:",
        errors.len(),
        if errors.len() == 1 {
            "region"
        } else {
            "regions"
        }
    ));
    for error in errors {
        // It quotes the endpoint's message: one line, escaped.
        printer.line(format!("  {}", Shown(&error.to_string())));
    }
}
