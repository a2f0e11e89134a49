//! Poll mode (`watch` without a queue): everything, every interval.

use std::time::Duration;

use crate::queue::Stop;
use crate::{Coverage, Edge, Guard, Said, Standing, Trigger};

/// Reconciles everything every `interval` until `stop`; with `once`, once,
/// and returns that line's standing (else in sync, on stop).
pub async fn run<E: Edge>(
    guard: &mut Guard<E>,
    interval: Duration,
    once: bool,
    stop: &mut impl Stop,
    say: &mut impl FnMut(Said),
) -> Standing {
    loop {
        let reconciled = match guard.baselines().await {
            Ok(baselines) => {
                guard
                    .reconcile(&baselines, Coverage::Everything, Trigger::Poll, Vec::new())
                    .await
            }
            Err(error) => Err(error.into()),
        };
        let standing = match reconciled {
            Ok(line) => {
                let standing = line.standing();
                say(Said::Line(Box::new(line)));
                standing
            }
            Err(error) => {
                say(Said::Error {
                    context: String::new(),
                    error,
                });
                Standing::Failed
            }
        };
        if once {
            return standing;
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = stop.signalled() => return Standing::InSync,
        }
    }
}
