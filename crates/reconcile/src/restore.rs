//! The last steps: plan, execute, verify, for front-ends that restore by
//! themselves (and for `apply`, which asks first).

use std::collections::BTreeMap;

use nacl_drift_apply::{NaclApi, Pace, Plan, PlanOptions, StepResult, execute, plan};
use nacl_drift_config::{Config, today};
use nacl_drift_model::{Baseline, NetworkAclId, Place};

use crate::compare::{Baselines, Comparison, ReconcileError, compare};
use crate::recreated::with_recreated_ids;
use crate::source::LiveSource;

/// What a restore made, and what it means for the baselines.
pub struct Restored {
    /// The outcome of every call of the plan.
    pub executed: StepResult,
    /// The baselines that hold NACLs the restore recreated, with their new
    /// ids: for the caller to write, and the user to commit.
    pub recreated: Vec<Baseline>,
}

/// Makes the calls of `plan` (drawn from `before`) through the client of
/// each account and region, at `pace`, closing everywhere before opening
/// anywhere.
pub async fn restore<C: NaclApi>(
    before: &Comparison,
    plan: &Plan,
    clients: &BTreeMap<Place, C>,
    pace: Pace,
) -> Restored {
    let executed = execute(plan, clients, pace).await;
    let recreated = with_recreated_ids(&before.files, &executed.recreated);
    Restored {
        executed,
        recreated,
    }
}

/// What reconcile may do beyond comparing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Make the calls of the plan (otherwise report only).
    pub restore: bool,
    /// What the plan may undo: added entries, deleted NACLs.
    pub plan: PlanOptions,
    /// How fast the calls are made.
    pub pace: Pace,
    /// NACLs never to restore now, and why (the flapping brake holds
    /// them): their drift is reported, marked `held`.
    pub held: BTreeMap<NetworkAclId, String>,
}

/// Everything reconcile found and did.
pub struct Reconciled {
    /// The comparison before anything was done.
    pub before: Comparison,
    /// The calls that undo the drift, under the policy's options.
    pub plan: Plan,
    /// When the policy restores and the plan is not empty: what was made.
    pub restored: Option<Restored>,
    /// After a restore: the comparison again, with a fresh read of live
    /// state, against the baselines with any recreated NACL's new id.
    pub after: Option<Comparison>,
}

/// The whole sequence, for a front-end with nobody at the keyboard: load
/// nothing (the caller read `baselines`), read live state from `source`,
/// compare, analyse, judge by `config` (accepted drift and monitor-only
/// NACLs are never restored), plan, and under a restoring policy execute
/// through `clients` and verify with a fresh read from `source`.
pub async fn reconcile<S, C>(
    baselines: Baselines,
    source: S,
    clients: &BTreeMap<Place, C>,
    policy: Policy,
    config: &Config,
) -> Result<Reconciled, ReconcileError>
where
    S: LiveSource + Clone,
    C: NaclApi,
{
    let restore = policy.restore;
    reconcile_deciding(baselines, source, clients, policy, config, async |_, _| {
        Ok::<_, ReconcileError>(restore)
    })
    .await
}

/// The same sequence with someone deciding (`apply`): once the comparison
/// is judged and the plan made, `decide` sees them (and may add to the
/// comparison what it learns, as attribution does), then says whether to
/// restore. A restoring policy restores a plan that is not empty when
/// `decide` says yes; `decide` is asked even of an empty plan.
pub async fn reconcile_deciding<S, C, E>(
    baselines: Baselines,
    source: S,
    clients: &BTreeMap<Place, C>,
    policy: Policy,
    config: &Config,
    decide: impl AsyncFnOnce(&mut Comparison, &Plan) -> Result<bool, E>,
) -> Result<Reconciled, E>
where
    S: LiveSource + Clone,
    C: NaclApi,
    E: From<ReconcileError>,
{
    let mut before = compare(baselines.clone(), source.clone()).await?;
    before.judge(config, today());
    for (change, verdict) in before.report.changes.iter().zip(before.verdicts.iter_mut()) {
        verdict.held = policy.held.get(&change.network_acl_id).cloned();
    }
    let plan = plan(&before.report, &before.verdicts, policy.plan);
    let restores = decide(&mut before, &plan).await?;
    if !policy.restore || !restores || plan.is_empty() {
        return Ok(Reconciled {
            before,
            plan,
            restored: None,
            after: None,
        });
    }
    let restored = restore(&before, &plan, clients, policy.pace).await;
    let mut after = compare(baselines.with_updated(&restored.recreated), source)
        .await
        .map_err(|error| ReconcileError::Verify(Box::new(error)))?;
    after.judge(config, today());
    Ok(Reconciled {
        before,
        plan,
        restored: Some(restored),
        after: Some(after),
    })
}
