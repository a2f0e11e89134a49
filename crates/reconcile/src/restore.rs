//! The last steps: plan, execute, verify, for front-ends that restore by
//! themselves (and for `apply`, which asks first).

use std::collections::BTreeMap;

use nacl_drift_apply::{NaclApi, Pace, Plan, PlanOptions, StepResult, execute, plan};
use nacl_drift_diff::Drift;
use nacl_drift_model::{Baseline, Place};

use crate::assess::{Assessing, Enrichers};
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
}

/// Everything reconcile found and did.
pub struct Reconciled {
    /// The comparison before anything was done, assessed.
    pub before: Comparison,
    /// What assessing it said besides (log files passed over, changes an
    /// older event would attribute).
    pub assessing: Assessing,
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
/// compare, assess `with` (accepted drift, monitor-only and held NACLs are
/// never restored), plan, and under a restoring policy execute through
/// `clients` and verify with a fresh read from `source`. The steps of the
/// assessment that read (events, assets) come after the restore, which
/// they never delay.
pub async fn reconcile<S, C>(
    baselines: Baselines,
    source: S,
    clients: &BTreeMap<Place, C>,
    policy: Policy,
    with: &Enrichers<'_>,
) -> Result<Reconciled, ReconcileError>
where
    S: LiveSource + Clone,
    C: NaclApi,
{
    let mut before = compare(baselines.clone(), source.clone()).await?;
    before.judge(with);
    let plan = plan(&before.changes, policy.plan);
    let restored = if policy.restore && !plan.is_empty() {
        Some(restore(&before, &plan, clients, policy.pace).await)
    } else {
        None
    };
    let after = match &restored {
        Some(restored) => Some(verify(&baselines, restored, source, with).await?),
        None => None,
    };
    // After any restore: what the drift reached meanwhile.
    let assessing = before.enrich(with).await?;
    Ok(Reconciled {
        before,
        assessing,
        plan,
        restored,
        after,
    })
}

/// The same sequence with someone deciding (`apply`): once the comparison
/// is assessed `with` and the plan made, `decide` sees them, then says
/// whether to restore. A restoring policy restores a plan that is not
/// empty when `decide` says yes; `decide` is asked even of an empty plan.
pub async fn reconcile_deciding<S, C, E>(
    baselines: Baselines,
    source: S,
    clients: &BTreeMap<Place, C>,
    policy: Policy,
    with: &Enrichers<'_>,
    decide: impl AsyncFnOnce(&Comparison, &Assessing, &Plan) -> Result<bool, E>,
) -> Result<Reconciled, E>
where
    S: LiveSource + Clone,
    C: NaclApi,
    E: From<ReconcileError>,
{
    let mut before = compare(baselines.clone(), source.clone()).await?;
    let assessing = before.assess(with).await.map_err(ReconcileError::from)?;
    if policy.plan.recreate_missing {
        refuse_recreating_declared(&before)?;
    }
    let plan = plan(&before.changes, policy.plan);
    let restores = decide(&before, &assessing, &plan).await?;
    if !policy.restore || !restores || plan.is_empty() {
        return Ok(Reconciled {
            before,
            assessing,
            plan,
            restored: None,
            after: None,
        });
    }
    let restored = restore(&before, &plan, clients, policy.pace).await;
    let after = verify(&baselines, &restored, source, with).await?;
    Ok(Reconciled {
        before,
        assessing,
        plan,
        restored: Some(restored),
        after: Some(after),
    })
}

/// The comparison again after `restored`, with a fresh read of live state,
/// against the baselines with any recreated NACL's new id, judged `with`.
async fn verify<S: LiveSource>(
    baselines: &Baselines,
    restored: &Restored,
    source: S,
    with: &Enrichers<'_>,
) -> Result<Comparison, ReconcileError> {
    let baselines = baselines.clone().with_updated(&restored.recreated);
    let mut after = compare(baselines, source)
        .await
        .map_err(|error| ReconcileError::Verify(Box::new(error)))?;
    after.judge(with);
    Ok(after)
}

/// Refuses to recreate a deleted NACL that a Terraform state declares:
/// Terraform recreates it, with an id its state then knows.
fn refuse_recreating_declared(before: &Comparison) -> Result<(), ReconcileError> {
    let declared = before.changes.iter().find_map(|assessed| {
        match (&assessed.change.drift, &assessed.address) {
            (Drift::NetworkAclDeleted { .. }, Some(address)) => {
                Some(ReconcileError::RecreateDeclared {
                    network_acl_id: assessed.change.network_acl_id.clone(),
                    address: address.clone(),
                })
            }
            _ => None,
        }
    });
    declared.map_or(Ok(()), Err)
}
