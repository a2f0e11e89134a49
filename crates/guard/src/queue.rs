//! Event mode (`watch --sqs-queue-url`): each message is an EventBridge
//! event. A NACL call names the VPCs to reconcile; the events of one VPC
//! gather for the debounce, then one reconcile of that VPC reads it
//! afresh. Reconciles of one VPC never overlap, and a sweep of everything
//! (on start, every sweep interval, or on a scheduled event) runs alone. A
//! message is deleted once every reconcile it asked for is done; when one
//! fails (an account-region unread, or its alert or findings unsent after
//! retries), it is left to come back (SQS delivers it again after its
//! visibility timeout, and a redrive policy moves it to a dead-letter
//! queue in the end).
//!
//! Messages that ask nothing (a failed call, a NACL outside every
//! baseline, an event seen before, another account, an event of a source
//! that is not AWS's, an oversized body) are deleted at once, with a note.
//!
//! Whoever may send to the queue can send anything, so what a message may
//! cost is bounded: the due VPCs of one account and region are reconciled
//! together (one read), a schedule sweeps at most once per half sweep
//! interval, a call that could have changed every VPC of its account and
//! region is reconciled at most once per [`WHOLE_PLACE_GAP`] there, and
//! `once` takes at most what was queued when it started.
//!
//! Time is tokio's: the tests run it on a paused clock.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

use nacl_drift_attribution::{NaclEvent, read_delivery};
use nacl_drift_model::{AccountId, Region, Vpc};
use nacl_drift_reconcile::Baselines;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::{Ask, Coverage, Done, Edge, Guard, GuardError, Said, Standing, Trigger};

/// How long a queue that cannot be read rests before the next try.
pub const RECEIVE_RETRY: Duration = Duration::from_secs(5);

/// The shortest time between two reconciles of every VPC of an account
/// and region that calls (not sweeps) asked for: later calls wait, and
/// share the next one.
pub const WHOLE_PLACE_GAP: Duration = Duration::from_secs(10);

/// Why a queue could not be read or written; its message is the queue's.
pub type QueueError = Box<dyn std::error::Error + Send + Sync>;

/// One message of the queue.
#[derive(Clone, Debug)]
pub struct Message<R> {
    /// Its id, for notes.
    pub id: String,
    /// The EventBridge event it carries.
    pub body: String,
    /// What deletes it.
    pub receipt: R,
}

/// The queue the guard takes its events from (SQS at the edge).
pub trait MessageQueue: Clone + Send + Sync + 'static {
    /// What deletes a received message.
    type Receipt: Send + 'static;
    /// The longest wait of one receive.
    const LONG_POLL: Duration;

    /// The queue's address, for errors.
    fn url(&self) -> &str;

    /// About how many messages it holds now.
    fn queued(&self) -> impl Future<Output = Result<usize, QueueError>> + Send;

    /// Up to a batch of messages, waiting at most `wait` for the first.
    fn receive(
        &self,
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<Message<Self::Receipt>>, QueueError>> + Send;

    /// Deletes handled messages.
    fn delete(
        &self,
        receipts: &[Self::Receipt],
    ) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// What ends a long-running guard between reconciles (SIGINT, SIGTERM).
pub trait Stop {
    /// Returns when it is time to stop.
    fn signalled(&mut self) -> impl Future<Output = ()> + Send;
}

/// How event mode runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    /// The time between full sweeps; the first is on start.
    pub sweep_interval: Duration,
    /// How long the events of one VPC gather before its reconcile.
    pub debounce: Duration,
    /// Drain what the queue holds (waiting at most one long poll), then
    /// end.
    pub once: bool,
}

/// Receives from `queue` and reconciles what it asks, until `stop` (or,
/// with `once`, until the queue is drained and its reconciles are done).
/// Returns the worst standing of its lines (with `once`; else in sync).
pub async fn run<E: Edge, Q: MessageQueue>(
    guard: &mut Guard<E>,
    queue: Q,
    settings: QueueSettings,
    stop: &mut impl Stop,
    say: &mut impl FnMut(Said),
) -> Result<Standing, GuardError> {
    let receive_error = |source| GuardError::Queue {
        url: queue.url().to_owned(),
        source,
    };
    let mut inbox = Inbox::new(settings.sweep_interval / 2);
    let mut tasks = JoinSet::new();
    if settings.once {
        // What was queued when it started, at least one long poll's worth:
        // a trickle of new messages cannot keep it running.
        let queued = queue.queued().await.map_err(receive_error)?;
        let mut left = queued.max(1);
        let mut wait = Q::LONG_POLL;
        while left > 0 {
            let batch = tokio::select! {
                batch = queue.receive(wait) => batch.map_err(receive_error)?,
                () = stop.signalled() => return Ok(Standing::InSync),
            };
            if batch.is_empty() {
                break;
            }
            left = left.saturating_sub(batch.len());
            let handled = inbox.take(guard, batch, Duration::ZERO, say).await;
            delete(&queue, handled, say).await;
            wait = Duration::from_secs(1);
        }
        let (handled, standing) = inbox.drain(guard, &mut tasks, stop, say).await?;
        delete(&queue, handled, say).await;
        return Ok(standing);
    }

    let (sender, mut batches) = mpsc::channel(1);
    let receiver = tokio::spawn(receive_forever(queue.clone(), sender));
    let mut received_once = false;
    let mut next_sweep = Instant::now();
    loop {
        let now = Instant::now();
        if now >= next_sweep {
            inbox.sweep_due = true;
            next_sweep = now + settings.sweep_interval;
        }
        inbox.start_due(guard, &mut tasks, now, say).await;
        let wake = inbox
            .next_due()
            .map_or(next_sweep, |due| due.min(next_sweep));
        tokio::select! {
            Some(batch) = batches.recv() => match batch {
                Ok(batch) => {
                    received_once = true;
                    let handled = inbox.take(guard, batch, settings.debounce, say).await;
                    delete(&queue, handled, say).await;
                }
                Err(error) if !received_once => {
                    receiver.abort();
                    return Err(receive_error(error));
                }
                Err(error) => say(Said::Warning(format!(
                    "cannot receive from {} (trying again in {}s): {error}",
                    queue.url(),
                    RECEIVE_RETRY.as_secs()
                ))),
            },
            Some(joined) = tasks.join_next() => {
                let (handled, _) = inbox.finish(guard, joined?, say);
                delete(&queue, handled, say).await;
            }
            () = tokio::time::sleep_until(wake) => {}
            () = stop.signalled() => break,
        }
    }
    receiver.abort();
    while let Some(joined) = tasks.join_next().await {
        let (handled, _) = inbox.finish(guard, joined?, say);
        delete(&queue, handled, say).await;
    }
    Ok(Standing::InSync)
}

/// What one batch of messages came to, in [`handle_batch`].
#[derive(Debug)]
pub struct Handled {
    /// The ids of the messages done with: those not here come again.
    pub done: Vec<String>,
    /// Why each message that asked nothing was passed over, by its id.
    pub ignored: Vec<(String, String)>,
    /// The ids of the messages held by [`WHOLE_PLACE_GAP`]: not done.
    pub held: Vec<String>,
}

/// One batch of messages (a Lambda invocation's), handled as event mode
/// handles what it receives, with no debounce: the VPCs of one account and
/// region are reconciled together, a schedule sweeps at most once per
/// `sweep_gap`, and a call that could have changed every VPC of its account
/// and region at most once per [`WHOLE_PLACE_GAP`] there, whatever the
/// batch or the invocation (the [`Guard`] keeps the times). A message whose
/// reconcile failed or waits for that gap is not done: its event is
/// forgotten, so that it is acted on when it comes again.
pub async fn handle_batch<E: Edge>(
    guard: &mut Guard<E>,
    batch: Vec<Message<String>>,
    sweep_gap: Duration,
    say: &mut impl FnMut(Said),
) -> Result<Handled, GuardError> {
    let mut inbox = Inbox::new(sweep_gap);
    let mut tasks = JoinSet::new();
    let mut done = inbox.take(guard, batch, Duration::ZERO, say).await;
    let (finished, _) = inbox.drain(guard, &mut tasks, &mut Never, say).await?;
    done.extend(finished);
    let held = inbox.held(guard);
    for id in &held {
        say(Said::Note(format!(
            "message {id} waits: {}",
            GuardError::Held
        )));
    }
    Ok(Handled {
        done,
        ignored: std::mem::take(&mut inbox.ignored),
        held,
    })
}

/// A [`Stop`] that never comes.
struct Never;

impl Stop for Never {
    async fn signalled(&mut self) {
        std::future::pending::<()>().await;
    }
}

/// Batches of `queue`, for as long as they are taken.
type Batches<Q> = mpsc::Sender<Result<Vec<Message<<Q as MessageQueue>::Receipt>>, QueueError>>;

/// Long-polls `queue` for as long as the batches are taken.
async fn receive_forever<Q: MessageQueue>(queue: Q, batches: Batches<Q>) {
    loop {
        let batch = queue.receive(Q::LONG_POLL).await;
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
/// and is then recognised as seen (said as a warning).
async fn delete<Q: MessageQueue>(queue: &Q, handled: Vec<Q::Receipt>, say: &mut impl FnMut(Said)) {
    if handled.is_empty() {
        return;
    }
    if let Err(error) = queue.delete(&handled).await {
        say(Said::Warning(format!(
            "cannot delete handled messages from {} (they come back, and are recognised as seen): {error}",
            queue.url()
        )));
    }
}

/// When sweeps and whole-place reconciles last started, kept by the
/// [`Guard`] across batches (and a Lambda function's invocations).
#[derive(Debug, Default)]
pub(crate) struct Rates {
    /// When the last sweep started.
    last_sweep: Option<Instant>,
    /// When the last reconcile of every VPC of an account and region that
    /// a call asked for started.
    last_whole_place: HashMap<AccountRegion, Instant>,
}

/// The events waiting for their VPC's reconcile, the reconciles running,
/// and the messages whose deletion waits on them.
struct Inbox<R> {
    pending: BTreeMap<Vpc, Pending>,
    running: BTreeMap<Vpc, Vec<String>>,
    sweeping: bool,
    sweep_due: bool,
    /// How long after the last sweep a schedule's sweep is passed over.
    sweep_gap: Duration,
    messages: HashMap<String, Waiting<R>>,
    /// The baselines the latest batch was read against: its events'
    /// reconciles use them, rather than read them again.
    baselines: Option<Baselines>,
    /// Why each message that asked nothing was passed over, by its id.
    ignored: Vec<(String, String)>,
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
type AccountRegion = (AccountId, Region);

fn account_region(vpc: &Vpc) -> AccountRegion {
    (vpc.account.clone(), vpc.region.clone())
}

/// A message whose reconciles are not all done.
struct Waiting<R> {
    receipt: R,
    reconciles_left: usize,
    failed: bool,
    event_id: String,
}

impl<R> Inbox<R> {
    fn new(sweep_gap: Duration) -> Self {
        Inbox {
            pending: BTreeMap::new(),
            running: BTreeMap::new(),
            sweeping: false,
            sweep_due: false,
            sweep_gap,
            messages: HashMap::new(),
            baselines: None,
            ignored: Vec::new(),
        }
    }

    /// Reads a batch of messages: each NACL call joins its VPCs' pending
    /// events. Returns the messages handled already (nothing to do).
    async fn take<E: Edge>(
        &mut self,
        guard: &mut Guard<E>,
        batch: Vec<Message<R>>,
        debounce: Duration,
        say: &mut impl FnMut(Said),
    ) -> Vec<R> {
        let baselines = match guard.baselines().await {
            Ok(baselines) => baselines,
            Err(error) => {
                say(Said::Error {
                    context: "cannot act on events".to_owned(),
                    error: error.into(),
                });
                return Vec::new();
            }
        };
        let mut handled = Vec::new();
        let now = Instant::now();
        for message in batch {
            match guard.ask(&baselines, read_delivery(&message.body)) {
                Ask::Sweep => {
                    let since = guard.rates.last_sweep.map(|at| now.duration_since(at));
                    let passed_over = if self.sweep_due {
                        Some("a sweep, already due".to_owned())
                    } else {
                        since.filter(|since| *since < self.sweep_gap).map(|since| {
                            format!(
                                "a sweep {}s after the last one: at most one per {}s",
                                since.as_secs(),
                                self.sweep_gap.as_secs()
                            )
                        })
                    };
                    match passed_over {
                        Some(why) => {
                            say(Said::Note(format!("message {} asks for {why}", message.id)));
                            self.ignored.push((message.id, why));
                        }
                        None => self.sweep_due = true,
                    }
                    handled.push(message.receipt);
                }
                Ask::Nothing(why) => {
                    say(Said::Note(format!(
                        "message {} asks nothing: {why}",
                        message.id
                    )));
                    self.ignored.push((message.id, why));
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
                        let held_until = guard
                            .rates
                            .last_whole_place
                            .get(&account_region(&vpc))
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

    /// Runs what is due, and each reconcile to its end, until nothing runs
    /// (or `stop`). Returns the messages handled, and the worst standing of
    /// the lines.
    async fn drain<E: Edge>(
        &mut self,
        guard: &mut Guard<E>,
        tasks: &mut JoinSet<Done<E>>,
        stop: &mut impl Stop,
        say: &mut impl FnMut(Said),
    ) -> Result<(Vec<R>, Standing), GuardError> {
        let mut handled = Vec::new();
        let mut standing = Standing::InSync;
        loop {
            self.start_due(guard, tasks, Instant::now(), say).await;
            let joined = tokio::select! {
                joined = tasks.join_next() => joined,
                () = stop.signalled() => {
                    tasks.abort_all();
                    return Ok((handled, standing));
                }
            };
            let Some(joined) = joined else {
                return Ok((handled, standing));
            };
            let (done, line_standing) = self.finish(guard, joined?, say);
            handled.extend(done);
            standing = standing.max(line_standing);
        }
    }

    /// The messages still waiting (held by [`WHOLE_PLACE_GAP`]), their
    /// events forgotten so that they are acted on when they come again.
    fn held<E: Edge>(&mut self, guard: &mut Guard<E>) -> Vec<String> {
        self.pending.clear();
        let mut held = Vec::new();
        for (id, waiting) in self.messages.drain() {
            guard.forget(&waiting.event_id);
            held.push(id);
        }
        held.sort();
        held
    }

    /// When the next pending VPC is due.
    fn next_due(&self) -> Option<Instant> {
        self.pending.values().map(|pending| pending.due).min()
    }

    /// Starts the reconciles that are due: a sweep alone once nothing else
    /// runs, else, for each account and region, one reconcile of its due
    /// VPCs that are not being reconciled (one read of them all).
    async fn start_due<E: Edge>(
        &mut self,
        guard: &mut Guard<E>,
        tasks: &mut JoinSet<Done<E>>,
        now: Instant,
        say: &mut impl FnMut(Said),
    ) {
        if self.sweeping {
            return;
        }
        if self.sweep_due {
            if self.running.is_empty() {
                self.sweep_due = false;
                let job = guard
                    .baselines()
                    .await
                    .map_err(GuardError::from)
                    .and_then(|baselines| {
                        guard.job(&baselines, Coverage::Everything, Trigger::Sweep, Vec::new())
                    });
                match job {
                    Ok(job) => {
                        self.sweeping = true;
                        guard.rates.last_sweep = Some(now);
                        tasks.spawn(job.run());
                    }
                    Err(error) => say(Said::Error {
                        context: "cannot sweep".to_owned(),
                        error,
                    }),
                }
            }
            return;
        }
        let mut due: BTreeMap<AccountRegion, Vec<Vpc>> = BTreeMap::new();
        for (vpc, pending) in &self.pending {
            if pending.due <= now && !self.running.contains_key(vpc) {
                due.entry(account_region(vpc))
                    .or_default()
                    .push(vpc.clone());
            }
        }
        let Some(baselines) = self.baselines.take() else {
            return; // Nothing is pending before a batch was read.
        };
        for ((account, region), vpcs) in due {
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
                guard
                    .rates
                    .last_whole_place
                    .insert((account.clone(), region.clone()), now);
            }
            let coverage = Coverage::Vpcs(vpcs.iter().cloned().collect());
            match guard.job(&baselines, coverage, Trigger::Event, events) {
                Ok(job) => {
                    self.running.extend(messages);
                    tasks.spawn(job.run());
                }
                Err(error) => {
                    say(Said::Error {
                        context: format!("cannot reconcile {account}/{region}"),
                        error,
                    });
                    let messages: Vec<String> =
                        messages.into_iter().flat_map(|(_, ids)| ids).collect();
                    self.settle(guard, &messages, false);
                }
            }
        }
        self.baselines = Some(baselines);
    }

    /// Says a finished reconcile's line (or its error). Returns the
    /// messages now handled, and the line's standing.
    fn finish<E: Edge>(
        &mut self,
        guard: &mut Guard<E>,
        done: Done<E>,
        say: &mut impl FnMut(Said),
    ) -> (Vec<R>, Standing) {
        let messages: Vec<String> = match done.job.coverage() {
            Coverage::Vpcs(vpcs) => vpcs
                .iter()
                .flat_map(|vpc| self.running.remove(vpc).unwrap_or_default())
                .collect(),
            Coverage::Everything => {
                self.sweeping = false;
                Vec::new()
            }
        };
        let (succeeded, standing) = match guard.finish(done) {
            Ok(line) => {
                // An account-region that could not be read was not
                // checked, an alert or a finding that could not be sent
                // is lost: its messages come back.
                let standing = line.standing();
                let outcome = (standing != Standing::Failed, standing);
                say(Said::Line(Box::new(line)));
                outcome
            }
            Err(error) => {
                say(Said::Error {
                    context: String::new(),
                    error,
                });
                (false, Standing::Failed)
            }
        };
        (self.settle(guard, &messages, succeeded), standing)
    }

    /// One reconcile of `messages` is over; returns those whose every
    /// reconcile is over and succeeded (read all it covers). A message
    /// with a failed reconcile is not deleted, and its event is forgotten,
    /// so that it is acted on when it comes back.
    fn settle<E: Edge>(
        &mut self,
        guard: &mut Guard<E>,
        messages: &[String],
        succeeded: bool,
    ) -> Vec<R> {
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
