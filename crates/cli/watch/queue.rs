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
//! baseline, an event seen before, another account, an event of a source
//! that is not AWS's, an oversized body) are deleted at once, with a note
//! on stderr.
//!
//! Whoever may send to the queue can send anything, so what a message may
//! cost is bounded: the due VPCs of one account and region are reconciled
//! together (one read), a schedule sweeps at most once per half
//! `--sweep-interval`, a call that could have changed every VPC of its
//! account and region is reconciled at most once per
//! [`WHOLE_PLACE_GAP`] there, and `--once` takes at most what was queued
//! when it started.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nacl_drift_attribution::{NaclEvent, read_delivery};
use nacl_drift_aws::{LONG_POLL, Message, Queue, Receipt};
use nacl_drift_model::{AccountId, Region};
use nacl_drift_reconcile::{Baselines, Vpc};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{Args, Stop, print_line};
use crate::exit_status::ExitStatus;
use crate::guard::{Ask, Done, Guard, Scope, Trigger};
use crate::printer::{Printer, print_error};

/// How long a queue that cannot be read rests before the next try.
const RECEIVE_RETRY: Duration = Duration::from_secs(5);

/// The shortest time between two reconciles of every VPC of an account
/// and region that calls (not sweeps) asked for: later calls wait, and
/// share the next one.
const WHOLE_PLACE_GAP: Duration = Duration::from_secs(10);

/// Receives from `queue` and reconciles what it asks, until a signal (or,
/// with `--once`, until the queue is drained and its reconciles are done).
pub async fn run(
    guard: &mut Guard<'_>,
    queue: Queue,
    args: &Args,
    printer: &mut Printer,
    stop: &mut Stop,
) -> Result<ExitStatus> {
    let mut inbox = Inbox::new(args.sweep_interval / 2);
    let mut tasks = JoinSet::new();
    if args.once {
        // What was queued when it started, at least one long poll's worth:
        // a trickle of new messages cannot keep it running.
        let queued = queue
            .queued()
            .await
            .with_context(|| format!("cannot receive from {}", queue.url()))?;
        let mut left = queued.max(1);
        let mut wait = LONG_POLL;
        while left > 0 {
            let batch = tokio::select! {
                batch = queue.receive(wait) => batch
                    .with_context(|| format!("cannot receive from {}", queue.url()))?,
                () = stop.signalled() => return Ok(ExitStatus::Success),
            };
            if batch.is_empty() {
                break;
            }
            left = left.saturating_sub(batch.len());
            let handled = inbox.take(guard, batch, Duration::ZERO, printer);
            delete(&queue, &handled).await;
            wait = Duration::from_secs(1);
        }
        let mut status = ExitStatus::Success;
        loop {
            inbox.start_due(guard, &mut tasks, Instant::now());
            let joined = tokio::select! {
                joined = tasks.join_next() => joined,
                () = stop.signalled() => {
                    tasks.abort_all();
                    return Ok(status);
                }
            };
            let Some(joined) = joined else {
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
struct Inbox {
    pending: BTreeMap<Vpc, Pending>,
    running: BTreeMap<Vpc, Vec<String>>,
    sweeping: bool,
    sweep_due: bool,
    /// When the last sweep started, and how long after it a schedule's
    /// sweep is passed over.
    last_sweep: Option<Instant>,
    sweep_gap: Duration,
    /// When the last reconcile of every VPC of an account and region that
    /// a call asked for started.
    last_whole_place: HashMap<Place, Instant>,
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
    /// Whether an event asked for every VPC of the account and region.
    whole_place: bool,
}

/// An account and region: the VPCs of one are read together.
type Place = (AccountId, Region);

fn place_of(vpc: &Vpc) -> Place {
    (vpc.account.clone(), vpc.region.clone())
}

/// A message whose reconciles are not all done.
struct Waiting {
    receipt: Receipt,
    reconciles_left: usize,
    failed: bool,
    event_id: String,
}

impl Inbox {
    fn new(sweep_gap: Duration) -> Self {
        Inbox {
            pending: BTreeMap::new(),
            running: BTreeMap::new(),
            sweeping: false,
            sweep_due: false,
            last_sweep: None,
            sweep_gap,
            last_whole_place: HashMap::new(),
            messages: HashMap::new(),
            baselines: None,
        }
    }

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
        let now = Instant::now();
        for message in batch {
            match guard.ask(&baselines, read_delivery(&message.body)) {
                Ask::Sweep => {
                    match self.last_sweep.map(|at| now.duration_since(at)) {
                        Some(since) if since < self.sweep_gap => printer.note(&format!(
                            "message {} asks for a sweep {}s after the last one: at most one per half --sweep-interval",
                            message.id,
                            since.as_secs()
                        )),
                        _ => self.sweep_due = true,
                    }
                    handled.push(message.receipt);
                }
                Ask::Nothing(why) => {
                    printer.note(&format!("message {} asks nothing: {why}", message.id));
                    handled.push(message.receipt);
                }
                Ask::Reconcile {
                    event,
                    vpcs,
                    whole_place,
                } => {
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
                        // The first event of a VPC starts its debounce; a
                        // later one joins it, and never puts it off.
                        let held_until = self
                            .last_whole_place
                            .get(&place_of(&vpc))
                            .filter(|_| whole_place)
                            .map(|last| *last + WHOLE_PLACE_GAP);
                        let pending = self.pending.entry(vpc).or_insert_with(|| Pending {
                            events: Vec::new(),
                            messages: Vec::new(),
                            due: now + debounce,
                            whole_place: false,
                        });
                        if let Some(held_until) = held_until {
                            pending.due = pending.due.max(held_until);
                        }
                        pending.whole_place |= whole_place;
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
    /// runs, else, for each account and region, one reconcile of its due
    /// VPCs that are not being reconciled (one read of them all).
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
                        self.last_sweep = Some(now);
                        tasks.spawn(job.run());
                    }
                    Err(error) => print_error(&error.context("cannot sweep")),
                }
            }
            return;
        }
        let mut due: BTreeMap<Place, Vec<Vpc>> = BTreeMap::new();
        for (vpc, pending) in &self.pending {
            if pending.due <= now && !self.running.contains_key(vpc) {
                due.entry(place_of(vpc)).or_default().push(vpc.clone());
            }
        }
        let Some(baselines) = self.baselines.take() else {
            return; // Nothing is pending before a batch was read.
        };
        for (place, vpcs) in due {
            let mut events: Vec<NaclEvent> = Vec::new();
            let mut messages = Vec::new();
            let mut whole_place = false;
            for vpc in &vpcs {
                let pending = self.pending.remove(vpc).expect("a due VPC is pending");
                whole_place |= pending.whole_place;
                for event in pending.events {
                    let id = event.attribution().event_id;
                    if !events.iter().any(|seen| seen.attribution().event_id == id) {
                        events.push(event);
                    }
                }
                messages.push((vpc.clone(), pending.messages));
            }
            if whole_place {
                self.last_whole_place.insert(place.clone(), now);
            }
            let scope = Scope::Vpcs(vpcs.iter().cloned().collect());
            match guard.job(&baselines, scope, Trigger::Event, events) {
                Ok(job) => {
                    self.running.extend(messages);
                    tasks.spawn(job.run());
                }
                Err(error) => {
                    print_error(
                        &error.context(format!("cannot reconcile {}/{}", place.0, place.1)),
                    );
                    let messages: Vec<String> =
                        messages.into_iter().flat_map(|(_, ids)| ids).collect();
                    self.settle(guard, &messages, false);
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
