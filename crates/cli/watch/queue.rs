//! `watch --sqs-queue-url`: the guard's event mode.
//!
//! Each message is an EventBridge event. A NACL call names the VPCs to
//! reconcile; the events of one VPC gather for `--debounce`, then one
//! reconcile of that VPC reads it afresh. Reconciles of one VPC never
//! overlap, and a sweep of everything (on start, every `--sweep-interval`,
//! or on a scheduled event) runs alone. A message is deleted once every
//! reconcile it asked for is done; when one fails, it is left to come back
//! (SQS delivers it again after its visibility timeout, and a redrive
//! policy moves it to a dead-letter queue in the end).
//!
//! Messages that ask nothing (a failed call, a NACL outside every
//! baseline, an event seen before, another account) are deleted at once,
//! with a note on stderr.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nacl_drift_attribution::{NaclEvent, read_delivery};
use nacl_drift_aws::{LONG_POLL, Message, Queue, Receipt};
use nacl_drift_reconcile::{Baselines, Vpc};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{Args, Stop, print_line};
use crate::exit_status::ExitStatus;
use crate::guard::{Ask, Done, Guard, Scope, Trigger};
use crate::printer::{Printer, print_error};

/// How long a queue that cannot be read rests before the next try.
const RECEIVE_RETRY: Duration = Duration::from_secs(5);

/// Receives from `queue` and reconciles what it asks, until a signal (or,
/// with `--once`, until the queue is drained and its reconciles are done).
pub async fn run(
    guard: &mut Guard<'_>,
    queue: Queue,
    args: &Args,
    printer: &mut Printer,
    stop: &mut Stop,
) -> Result<ExitStatus> {
    let mut inbox = Inbox::default();
    let mut tasks = JoinSet::new();
    if args.once {
        let mut wait = LONG_POLL;
        loop {
            let batch = queue
                .receive(wait)
                .await
                .with_context(|| format!("cannot receive from {}", queue.url()))?;
            if batch.is_empty() {
                break;
            }
            let handled = inbox.take(guard, batch, Duration::ZERO, printer);
            delete(&queue, &handled).await;
            wait = Duration::from_secs(1);
        }
        let mut status = ExitStatus::Success;
        loop {
            inbox.start_due(guard, &mut tasks, Instant::now());
            let Some(joined) = tasks.join_next().await else {
                return Ok(status);
            };
            let (handled, line_status) =
                inbox.finish(guard, joined.context("a reconcile failed")?, args, printer);
            delete(&queue, &handled).await;
            status = worse(status, line_status);
        }
    }

    let (sender, mut batches) = mpsc::channel(1);
    let receiver = tokio::spawn(receive_forever(queue.clone(), sender));
    let mut received_once = false;
    let mut next_sweep = Instant::now();
    loop {
        let now = Instant::now();
        if now >= next_sweep {
            inbox.sweep_due = true;
            next_sweep = now + args.sweep_interval;
        }
        inbox.start_due(guard, &mut tasks, now);
        let wake = inbox
            .next_due()
            .map_or(next_sweep, |due| due.min(next_sweep));
        tokio::select! {
            Some(batch) = batches.recv() => match batch {
                Ok(batch) => {
                    received_once = true;
                    let handled = inbox.take(guard, batch, args.debounce, printer);
                    delete(&queue, &handled).await;
                }
                Err(error) if !received_once => {
                    receiver.abort();
                    return Err(error).with_context(|| format!("cannot receive from {}", queue.url()));
                }
                Err(error) => printer.warning(&format!(
                    "cannot receive from {} (trying again in {}s): {error}",
                    queue.url(),
                    RECEIVE_RETRY.as_secs()
                )),
            },
            Some(joined) = tasks.join_next() => {
                let (handled, _) = inbox.finish(guard, joined.context("a reconcile failed")?, args, printer);
                delete(&queue, &handled).await;
            }
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {}
            () = stop.signalled() => break,
        }
    }
    receiver.abort();
    while let Some(joined) = tasks.join_next().await {
        let (handled, _) =
            inbox.finish(guard, joined.context("a reconcile failed")?, args, printer);
        delete(&queue, &handled).await;
    }
    Ok(ExitStatus::Success)
}

/// Long-polls `queue` for as long as the batches are taken.
async fn receive_forever(
    queue: Queue,
    batches: mpsc::Sender<Result<Vec<Message>, nacl_drift_aws::ApiError>>,
) {
    loop {
        let batch = queue.receive(LONG_POLL).await;
        let failed = batch.is_err();
        let empty = batch.as_ref().is_ok_and(Vec::is_empty);
        if !empty && batches.send(batch).await.is_err() {
            return;
        }
        if failed {
            tokio::time::sleep(RECEIVE_RETRY).await;
        }
    }
}

/// Deletes the messages handled; one that cannot be deleted comes back,
/// and is then recognised as seen.
async fn delete(queue: &Queue, handled: &[Receipt]) {
    if handled.is_empty() {
        return;
    }
    if let Err(error) = queue.delete(handled).await {
        tracing::warn!(
            "cannot delete handled messages from {}: {error}",
            queue.url()
        );
    }
}

fn worse(a: ExitStatus, b: ExitStatus) -> ExitStatus {
    let rank = |status| match status {
        ExitStatus::Success => 0,
        ExitStatus::Drift => 1,
        ExitStatus::Failure => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// The events waiting for their VPC's reconcile, the reconciles running,
/// and the messages whose deletion waits on them.
#[derive(Default)]
struct Inbox {
    pending: BTreeMap<Vpc, Pending>,
    running: BTreeMap<Vpc, Vec<String>>,
    sweeping: bool,
    sweep_due: bool,
    messages: HashMap<String, Waiting>,
    /// The baselines the latest batch was read against: its events'
    /// reconciles use them, rather than read them again.
    baselines: Option<Baselines>,
}

/// One VPC's events, gathering until `due`.
struct Pending {
    events: Vec<NaclEvent>,
    messages: Vec<String>,
    due: Instant,
}

/// A message whose reconciles are not all done.
struct Waiting {
    receipt: Receipt,
    reconciles_left: usize,
    failed: bool,
    event_id: String,
}

impl Inbox {
    /// Reads a batch of messages: each NACL call joins its VPCs' pending
    /// events. Returns the messages handled already (nothing to do).
    fn take(
        &mut self,
        guard: &mut Guard<'_>,
        batch: Vec<Message>,
        debounce: Duration,
        printer: &Printer,
    ) -> Vec<Receipt> {
        let baselines = match guard.baselines() {
            Ok(baselines) => baselines,
            Err(error) => {
                print_error(&anyhow::Error::new(error).context("cannot act on events"));
                return Vec::new();
            }
        };
        let mut handled = Vec::new();
        for message in batch {
            match guard.ask(&baselines, read_delivery(&message.body)) {
                Ask::Sweep => {
                    self.sweep_due = true;
                    handled.push(message.receipt);
                }
                Ask::Nothing(why) => {
                    printer.note(&format!("message {} asks nothing: {why}", message.id));
                    handled.push(message.receipt);
                }
                Ask::Reconcile { event, vpcs } => {
                    self.messages.insert(
                        message.id.clone(),
                        Waiting {
                            receipt: message.receipt,
                            reconciles_left: vpcs.len(),
                            failed: false,
                            event_id: event.attribution().event_id,
                        },
                    );
                    for vpc in vpcs {
                        let pending = self.pending.entry(vpc).or_insert_with(|| Pending {
                            events: Vec::new(),
                            messages: Vec::new(),
                            due: Instant::now() + debounce,
                        });
                        pending.events.push((*event).clone());
                        pending.messages.push(message.id.clone());
                    }
                }
            }
        }
        self.baselines = Some(baselines);
        handled
    }

    /// When the next pending VPC is due.
    fn next_due(&self) -> Option<Instant> {
        self.pending.values().map(|pending| pending.due).min()
    }

    /// Starts the reconciles that are due: a sweep alone once nothing else
    /// runs, else each due VPC that is not being reconciled.
    fn start_due(&mut self, guard: &mut Guard<'_>, tasks: &mut JoinSet<Done>, now: Instant) {
        if self.sweeping {
            return;
        }
        if self.sweep_due {
            if self.running.is_empty() {
                self.sweep_due = false;
                let job = guard
                    .baselines()
                    .map_err(anyhow::Error::new)
                    .and_then(|baselines| {
                        guard.job(&baselines, Scope::Everything, Trigger::Sweep, Vec::new())
                    });
                match job {
                    Ok(job) => {
                        self.sweeping = true;
                        tasks.spawn(job.run());
                    }
                    Err(error) => print_error(&error.context("cannot sweep")),
                }
            }
            return;
        }
        let due: Vec<Vpc> = self
            .pending
            .iter()
            .filter(|(vpc, pending)| pending.due <= now && !self.running.contains_key(*vpc))
            .map(|(vpc, _)| vpc.clone())
            .collect();
        let Some(baselines) = self.baselines.take() else {
            return; // Nothing is pending before a batch was read.
        };
        for vpc in due {
            let pending = self.pending.remove(&vpc).expect("a due VPC is pending");
            let scope = Scope::Vpcs(BTreeSet::from([vpc.clone()]));
            match guard.job(&baselines, scope, Trigger::Event, pending.events) {
                Ok(job) => {
                    self.running.insert(vpc, pending.messages);
                    tasks.spawn(job.run());
                }
                Err(error) => {
                    print_error(&error.context(format!("cannot reconcile {}", vpc.vpc_id)));
                    self.settle(guard, &pending.messages, false);
                }
            }
        }
        self.baselines = Some(baselines);
    }

    /// Prints a finished reconcile's line (or its error). Returns the
    /// messages now handled, and how `--once` would end on it.
    fn finish(
        &mut self,
        guard: &mut Guard<'_>,
        done: Done,
        args: &Args,
        printer: &mut Printer,
    ) -> (Vec<Receipt>, ExitStatus) {
        let messages = match done.job.scope() {
            Scope::Vpcs(vpcs) => vpcs
                .iter()
                .flat_map(|vpc| self.running.remove(vpc).unwrap_or_default())
                .collect(),
            Scope::Everything => {
                self.sweeping = false;
                Vec::new()
            }
        };
        let (succeeded, status) = match guard.finish(done) {
            Ok(line) => {
                print_line(printer, args.format, &line);
                // An account-region that could not be read was not
                // checked: its messages come back.
                (line.read_everything(), line.status())
            }
            Err(error) => {
                print_error(&error);
                (false, ExitStatus::Failure)
            }
        };
        (self.settle(guard, &messages, succeeded), status)
    }

    /// One reconcile of `messages` is over; returns those whose every
    /// reconcile is over and succeeded (read all it covers). A message with a failed reconcile
    /// is not deleted, and its event is forgotten, so that it is acted on
    /// when it comes back.
    fn settle(
        &mut self,
        guard: &mut Guard<'_>,
        messages: &[String],
        succeeded: bool,
    ) -> Vec<Receipt> {
        let mut handled = Vec::new();
        for id in messages {
            let Some(waiting) = self.messages.get_mut(id) else {
                continue;
            };
            waiting.reconciles_left -= 1;
            waiting.failed |= !succeeded;
            if waiting.reconciles_left > 0 {
                continue;
            }
            let waiting = self.messages.remove(id).expect("present");
            if waiting.failed {
                guard.forget(&waiting.event_id);
            } else {
                handled.push(waiting.receipt);
            }
        }
        handled
    }
}
