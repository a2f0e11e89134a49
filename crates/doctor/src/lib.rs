//! What `nacl-drift doctor` checks, for the accounts and regions of the
//! baselines, and how to fix what fails: each check is `ok`, `warn` or
//! `fail`, with the commands that need it.
//!
//! It reads with the same live source as `diff`, asks for the restore's
//! calls with EC2's `DryRun` (arguments that would change nothing even where
//! DryRun is ignored), calls LookupEvents for one event, and reads each
//! region's trails; for the guard, each region's EventBridge rules and the
//! queue's policy. Nothing is written or changed. The binary resolves the
//! config, the credentials and the accounts, and prints.
//!
//! Depends on: model, apply, attribution, reconcile, terraform, aws; no AWS SDK of its own (it
//! calls AWS through `aws`).

#![deny(missing_docs)]

mod policy;

use std::collections::BTreeSet;

use nacl_drift_apply::{Permission, check_restore_permissions};
use nacl_drift_attribution::{PatternGap, pattern_gaps};
use nacl_drift_aws::{
    AwsSource, Queue, Rule, SdkConfig, SecurityHub, SnsTopic, check_lookup_events,
    cloudtrail_client, configured_region, ec2_client, event_bus_policy, event_rules,
    eventbridge_client, organization_id, queue_region, region_trails, subnet_labels,
};
use nacl_drift_model::{
    AccountId, CacheRefused, EventBusArn, Identity, LiveAcl, ParseCache, Place, Region, TopicArn,
    sanitize, with_causes,
};
use nacl_drift_reconcile::{
    AssetSource, BaselineFolder, Baselines, LiveRead, LiveSource, ReadScope, TerraformStates,
};
use nacl_drift_terraform::StateLocation;
use serde::Serialize;

use crate::policy::{BusSenders, Senders, bus_senders, queue_senders};

/// How a check came out; ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Fine.
    Ok,
    /// Works, but something is missing.
    Warn,
    /// Does not work.
    Fail,
}

/// One check: what, where, how it came out, and how to fix it.
#[derive(Serialize)]
pub struct Check {
    check: &'static str,
    /// The commands that need what it checks.
    commands: &'static str,
    account: Option<AccountId>,
    region: Option<Region>,
    status: CheckStatus,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

/// The checks made so far.
#[derive(Default)]
pub struct Checks(Vec<Check>);

impl Checks {
    /// Adds a check of no particular place.
    pub fn add(
        &mut self,
        check: &'static str,
        commands: &'static str,
        status: CheckStatus,
        detail: String,
    ) {
        self.0.push(Check {
            check,
            commands,
            account: None,
            region: None,
            status,
            detail,
            fix: None,
        });
    }

    fn add_at(
        &mut self,
        place: &Place,
        check: &'static str,
        commands: &'static str,
        status: CheckStatus,
        detail: String,
        fix: Option<&str>,
    ) {
        self.0.push(Check {
            check,
            commands,
            account: Some(place.account.clone()),
            region: Some(place.region.clone()),
            status,
            detail,
            fix: fix.map(str::to_owned),
        });
    }

    /// The worst status of all.
    pub fn worst(&self) -> CheckStatus {
        self.0
            .iter()
            .map(|check| check.status)
            .max()
            .unwrap_or(CheckStatus::Ok)
    }
}

const READ_FIX: &str = "allow ec2:DescribeNetworkAcls: examples/iam/diff-policy.json";
const SUBNETS_FIX: &str = "allow ec2:DescribeSubnets: examples/iam/snapshot-policy.json";
const RESTORE_FIX: &str = "allow the restore's calls: examples/iam/restore-policy.json";
const LOOKUP_FIX: &str =
    "allow cloudtrail:LookupEvents (examples/iam/diff-policy.json), or use --cloudtrail-logs";
const TRAIL_FIX: &str = "create a trail that logs management events (write or all) in this region, and start its logging: an organization trail covers every account";

/// Each Terraform state of the intent: readable (how many NACLs it
/// declares), and whether a terraform run holds its lock now (then nothing
/// would be restored to it).
pub async fn check_terraform_states(
    checks: &mut Checks,
    states: &TerraformStates,
    regions: &[Region],
) {
    const COMMANDS: &str = "diff, apply, watch, lambda";
    for location in &states.locations {
        let read = match states.intent_of(location, regions).await {
            Ok(intent) => states.lock_of(location).await.map(|lock| (intent, lock)),
            Err(error) => Err(error),
        };
        let (status, detail) = match read {
            Ok((intent, None)) => (
                CheckStatus::Ok,
                format!(
                    "{location} declares {}; {}",
                    match intent.acls.len() {
                        1 => "1 NACL".to_owned(),
                        count => format!("{count} NACLs"),
                    },
                    free_lock(location, states.lock_table.as_deref())
                ),
            ),
            Ok((_, Some(lock))) => (
                CheckStatus::Warn,
                format!("{lock} is held now: nothing is restored to it until the run ends"),
            ),
            Err(error) => (CheckStatus::Fail, with_causes(&error)),
        };
        checks.add("terraform state", COMMANDS, status, detail);
    }
}

/// Which locks of the state at `location` were seen free.
fn free_lock(location: &StateLocation, lock_table: Option<&str>) -> String {
    match (location, lock_table) {
        (StateLocation::Local(_), _) => "its lock is free".to_owned(),
        (StateLocation::S3(object), None) => {
            format!("its lock file {} is absent: free", object.lock_file())
        }
        (StateLocation::S3(object), Some(table)) => format!(
            "its lock file {} is absent and the DynamoDB table {} holds no lock on it: free",
            object.lock_file(),
            sanitize::Shown(table)
        ),
    }
}

/// The intent as `read` (the baselines under `dir`, and any Terraform
/// states): valid, and how many files; the baselines when they are.
pub fn check_baselines(
    checks: &mut Checks,
    folder: &BaselineFolder,
    read: Result<Baselines, nacl_drift_reconcile::ReconcileError>,
) -> Option<Baselines> {
    const COMMANDS: &str = "diff, apply, watch, lambda";
    let dir = &folder.path;
    let read = match read {
        Ok(baselines) => {
            let detail = match baselines.vpcs().len() {
                1 => format!("1 baseline file in {} is valid", dir.display()),
                files => format!("{files} baseline files in {} are valid", dir.display()),
            };
            checks.add("baselines", COMMANDS, CheckStatus::Ok, detail);
            Some(baselines)
        }
        Err(error) => {
            checks.add("baselines", COMMANDS, CheckStatus::Fail, error.to_string());
            None
        }
    };
    check_parse_cache(checks, folder);
    read
}

/// The cache of the baselines' parses: in use, off, or refused and why.
fn check_parse_cache(checks: &mut Checks, folder: &BaselineFolder) {
    const COMMANDS: &str = "diff, apply, watch, lambda, timeline";
    let (status, detail) = match (&folder.cache, ParseCache::default_root()) {
        (Some(cache), _) => (
            CheckStatus::Ok,
            format!(
                "the parses of unchanged baselines are kept in {}",
                cache.root().display()
            ),
        ),
        (None, None) => (CheckStatus::Warn, CacheRefused::NoFolder.to_string()),
        (None, Some(root)) => match ParseCache::refusal(&root) {
            Some(refused) => (
                CheckStatus::Warn,
                format!(
                    "{refused}: every baseline is parsed afresh; set NACL_DRIFT_CACHE_DIR to a folder of your own"
                ),
            ),
            None => (
                CheckStatus::Ok,
                format!(
                    "not used (--no-cache, or {} cannot be made or used): every baseline is parsed afresh",
                    root.display()
                ),
            ),
        },
    };
    checks.add("parse cache", COMMANDS, status, detail);
}

/// Whose credentials act: the principals of `identity`, and its accounts.
pub fn check_identity(checks: &mut Checks, identity: &Identity) {
    let principals: Vec<&str> = identity.principals.iter().map(String::as_str).collect();
    let accounts: Vec<&str> = identity.accounts.iter().map(AccountId::as_str).collect();
    let detail = format!(
        "{} (account {})",
        principals.join(", "),
        accounts.join(", ")
    );
    checks.add("credentials", AWS_COMMANDS, CheckStatus::Ok, detail);
}

/// The commands that need credentials and a region.
pub const AWS_COMMANDS: &str = "every command that calls AWS";

/// The regions in scope: the baselines', else the configured one.
pub fn check_regions(checks: &mut Checks, baselines: Option<&Baselines>, configured: Option<&str>) {
    let of_baselines: BTreeSet<Region> = baselines
        .map(|b| b.places().into_iter().map(|place| place.region).collect())
        .unwrap_or_default();
    if !of_baselines.is_empty() {
        let names: Vec<&str> = of_baselines.iter().map(Region::as_str).collect();
        let detail = format!("{} (the baselines')", names.join(", "));
        checks.add("regions", AWS_COMMANDS, CheckStatus::Ok, detail);
        return;
    }
    match configured {
        Some(region) => checks.add(
            "regions",
            AWS_COMMANDS,
            CheckStatus::Ok,
            format!("{region} (configured)"),
        ),
        None => checks.0.push(Check {
            check: "regions",
            commands: AWS_COMMANDS,
            account: None,
            region: None,
            status: CheckStatus::Warn,
            detail: "no baselines and no configured region: snapshot would not know where to look"
                .to_owned(),
            fix: Some(
                "pass --region to snapshot, or set AWS_REGION or a region in your profile"
                    .to_owned(),
            ),
        }),
    }
}

/// The baselines must be of the accounts the credentials read.
pub fn check_accounts(checks: &mut Checks, baselines: &Baselines, identity: &Identity) {
    let theirs: BTreeSet<AccountId> = baselines
        .places()
        .into_iter()
        .map(|place| place.account)
        .collect();
    let readable: BTreeSet<&AccountId> = theirs
        .iter()
        .filter(|a| identity.accounts.contains(*a))
        .collect();
    let join = |ids: &mut dyn Iterator<Item = &AccountId>| {
        ids.map(AccountId::as_str).collect::<Vec<_>>().join(", ")
    };
    if readable.is_empty() {
        checks.add(
            "accounts",
            "diff, apply, watch, lambda",
            CheckStatus::Fail,
            format!(
                "the baselines are of account {}, the credentials of {}: diff would compare nothing (use the account's credentials, or --accounts)",
                join(&mut theirs.iter()),
                join(&mut identity.accounts.iter())
            ),
        );
    } else if readable.len() < theirs.len() {
        checks.add(
            "accounts",
            "diff, apply, watch, lambda",
            CheckStatus::Warn,
            format!(
                "the baselines of account {} are not read with these credentials (add them to --accounts)",
                join(&mut theirs.iter().filter(|a| !identity.accounts.contains(*a)))
            ),
        );
    } else {
        checks.add(
            "accounts",
            "diff, apply, watch, lambda",
            CheckStatus::Ok,
            format!(
                "the credentials read every account of the baselines: {}",
                join(&mut theirs.iter())
            ),
        );
    }
}

/// Per account and region of the baselines: the read, the restore's
/// calls, LookupEvents, and the trails.
pub async fn check_places(
    checks: &mut Checks,
    source: &AwsSource,
    baselines: &Baselines,
    identity: &Identity,
    guard: Option<&GuardSetup>,
) {
    let places: BTreeSet<Place> = baselines
        .places()
        .into_iter()
        .filter(|place| identity.accounts.contains(&place.account))
        .collect();
    // One read per place: the caller's source fails a read as a whole
    // when one region fails, and each region is to be told apart.
    let mut read = LiveRead::default();
    for place in &places {
        let scope = ReadScope::from([(
            place.account.clone(),
            [(place.region.clone(), BTreeSet::new())].into(),
        )]);
        match source.clone().read(scope).await {
            Ok(LiveRead { acls, errors }) => {
                read.acls.extend(acls);
                read.errors.extend(errors);
            }
            Err(error) => read.errors.push(nacl_drift_model::ReadError {
                account: place.account.clone(),
                region: place.region.clone(),
                operation: "DescribeNetworkAcls".to_owned(),
                code: None,
                message: with_causes(error.as_ref()),
            }),
        }
    }
    let clients = source.clients(places.iter().cloned());
    for place in &places {
        const READERS: &str = "snapshot, diff, watch, lambda";
        if let Some(error) = read
            .errors
            .iter()
            .find(|e| e.account == place.account && e.region == place.region)
        {
            checks.add_at(
                place,
                "read",
                READERS,
                CheckStatus::Fail,
                error.to_string(),
                Some(READ_FIX),
            );
            continue;
        }
        checks.add_at(
            place,
            "read",
            READERS,
            CheckStatus::Ok,
            "ec2:DescribeNetworkAcls is permitted".to_owned(),
            None,
        );
        if let (Some(client), Some(observed)) =
            (clients.get(place), a_nacl_of(&read.acls, place, baselines))
        {
            let answers = check_restore_permissions(client, &observed.observed).await;
            restore_check(checks, place, &answers);
        }
        let Some(config) = source.config_of(&place.account) else {
            continue;
        };
        let ec2 = ec2_client(config, &place.region);
        // One VPC of the place is enough to ask.
        let vpcs = baselines
            .vpcs()
            .into_iter()
            .filter(|vpc| vpc.account == place.account && vpc.region == place.region)
            .map(|vpc| vpc.vpc_id)
            .take(1)
            .collect();
        match subnet_labels(&ec2, &vpcs).await {
            Ok(_) => checks.add_at(
                place,
                "subnet labels",
                "snapshot",
                CheckStatus::Ok,
                "ec2:DescribeSubnets is permitted".to_owned(),
                None,
            ),
            Err(error) => checks.add_at(
                place,
                "subnet labels",
                "snapshot",
                CheckStatus::Warn,
                format!("{error}: snapshot writes no subnet names and CIDRs beside their ids"),
                Some(SUBNETS_FIX),
            ),
        }
        let cloudtrail = cloudtrail_client(config, &place.region);
        match check_lookup_events(&cloudtrail).await {
            Ok(()) => checks.add_at(
                place,
                "attribution",
                "diff --attribute, apply --attribute",
                CheckStatus::Ok,
                "cloudtrail:LookupEvents is permitted".to_owned(),
                None,
            ),
            Err(error) => checks.add_at(
                place,
                "attribution",
                "diff --attribute, apply --attribute",
                CheckStatus::Warn,
                error.to_string(),
                Some(LOOKUP_FIX),
            ),
        }
        let missing = if guard.is_some() {
            CheckStatus::Fail
        } else {
            CheckStatus::Warn
        };
        const TRAIL_USERS: &str = "watch --sqs-queue-url, lambda, diff --attribute";
        match region_trails(&cloudtrail).await {
            Ok(trails) => match trails.iter().find(|trail| trail.records_nacl_calls()) {
                Some(trail) => checks.add_at(place, "cloudtrail", TRAIL_USERS, CheckStatus::Ok, format!("trail {} records NACL calls", trail.name), None),
                None => {
                    let seen: Vec<String> = trails
                        .iter()
                        .map(|t| format!("{} ({})", t.name, if t.logging { "management writes not selected" } else { "not logging" }))
                        .collect();
                    let detail = if seen.is_empty() {
                        "no trail: EventBridge gets no NACL call, so the guard's event mode would never fire".to_owned()
                    } else {
                        format!("no trail records NACL calls: {}; the guard's event mode would never fire", seen.join(", "))
                    };
                    checks.add_at(place, "cloudtrail", TRAIL_USERS, missing, detail, Some(TRAIL_FIX));
                }
            },
            Err(error) => checks.add_at(place, "cloudtrail", TRAIL_USERS, missing, error.to_string(), Some("allow cloudtrail:DescribeTrails, GetTrailStatus and GetEventSelectors to check")),
        }
        if let Some(guard) = guard {
            match event_rules(&eventbridge_client(config, &place.region)).await {
                Ok(rules) => rule_check(checks, place, &rules, guard.queue_in(&place.region)),
                Err(error) => checks.add_at(
                    place,
                    "eventbridge",
                    GUARD_USERS,
                    CheckStatus::Fail,
                    error.to_string(),
                    Some("allow events:ListRules and events:ListTargetsByRule to check"),
                ),
            }
        }
    }
}

const GUARD_USERS: &str = "watch --sqs-queue-url, lambda";
const RULE_FIX: &str = "deploy examples/lambda/template.yaml, or make a rule with its pattern (source aws.ec2, detail-type \"AWS API Call via CloudTrail\", every NACL call, errorCode: [{\"exists\": false}]) that targets the guard";

/// What the guard's checks need to know: its queue, when it has one.
pub struct GuardSetup {
    /// The queue the guard reads, when it reads one.
    pub queue: Option<GuardQueue>,
}

/// The guard's queue: its region and ARN.
pub struct GuardQueue {
    region: String,
    arn: String,
}

impl GuardSetup {
    /// The queue's ARN, when the queue is in `region`.
    fn queue_in(&self, region: &Region) -> Option<&str> {
        self.queue
            .as_ref()
            .filter(|queue| queue.region == region.as_str())
            .map(|queue| queue.arn.as_str())
    }
}

/// The rule that sends the region's NACL calls to the guard (to `queue`,
/// when given).
fn rule_check(checks: &mut Checks, place: &Place, rules: &[Rule], queue: Option<&str>) {
    let judged: Vec<(&Rule, Vec<PatternGap>)> = rules
        .iter()
        .filter_map(|rule| {
            let pattern: serde_json::Value = serde_json::from_str(rule.pattern.as_deref()?).ok()?;
            Some((rule, pattern_gaps(&pattern)))
        })
        .collect();
    let sending: Vec<&(&Rule, Vec<PatternGap>)> = judged
        .iter()
        .filter(|(_, gaps)| !gaps.iter().any(PatternGap::misses_calls))
        .collect();
    let Some((rule, gaps)) = sending
        .iter()
        .find(|(rule, _)| queue.is_none_or(|arn| rule.targets.iter().any(|target| target == arn)))
        .copied()
    else {
        let detail = match (sending.first(), queue) {
            (Some((rule, _)), Some(arn)) => format!(
                "rule {} sends NACL calls to {}, not to the queue {arn}",
                rule.name,
                rule.targets.join(", ")
            ),
            _ => {
                let closest = judged
                    .iter()
                    .filter(|(_, gaps)| {
                        !gaps.iter().any(|gap| {
                            matches!(gap, PatternGap::NotEc2 | PatternGap::NotCloudTrailCalls)
                        })
                    })
                    .map(|(rule, gaps)| {
                        let why: Vec<String> = gaps.iter().map(ToString::to_string).collect();
                        format!("rule {}: {}", rule.name, why.join("; "))
                    })
                    .collect::<Vec<_>>();
                if closest.is_empty() {
                    "no EventBridge rule sends CloudTrail's NACL calls: the guard would never hear of a change".to_owned()
                } else {
                    format!(
                        "no EventBridge rule sends every NACL call ({})",
                        closest.join("; ")
                    )
                }
            }
        };
        checks.add_at(
            place,
            "eventbridge",
            GUARD_USERS,
            CheckStatus::Fail,
            detail,
            Some(RULE_FIX),
        );
        return;
    };
    let (status, note) = if gaps.is_empty() {
        (CheckStatus::Ok, String::new())
    } else {
        let why: Vec<String> = gaps.iter().map(ToString::to_string).collect();
        (CheckStatus::Warn, format!("; {}", why.join("; ")))
    };
    checks.add_at(
        place,
        "eventbridge",
        GUARD_USERS,
        status,
        format!(
            "rule {} sends NACL calls to {}{note}",
            rule.name,
            rule.targets.join(", ")
        ),
        None,
    );
}

/// The guard's queue: its ARN, and a policy that lets EventBridge send to it.
pub async fn check_queue(checks: &mut Checks, config: &SdkConfig, url: &str) -> Option<GuardQueue> {
    const QUEUE_USERS: &str = "watch --sqs-queue-url";
    let queue = match Queue::new(config, url) {
        Ok(queue) => queue,
        Err(error) => {
            checks.add("queue", QUEUE_USERS, CheckStatus::Fail, error.to_string());
            return None;
        }
    };
    let region = queue_region(url)
        .map(str::to_owned)
        .or_else(|| configured_region(config).map(str::to_owned))?;
    match queue.arn_and_policy().await {
        Ok((arn, policy)) => {
            let fail = |detail: String, fix: &str| Check {
                check: "queue",
                commands: QUEUE_USERS,
                account: None,
                region: None,
                status: CheckStatus::Fail,
                detail,
                fix: Some(fix.to_owned()),
            };
            const RULE_ONLY: &str = "give the queue one statement: Effect Allow, Principal {\"Service\": \"events.amazonaws.com\"}, Action sqs:SendMessage, Condition {\"ArnEquals\": {\"aws:SourceArn\": the rule's ARN}}";
            let account = arn.split(':').nth(4).unwrap_or_default();
            match policy.as_deref().map(|policy| queue_senders(policy, account)) {
                Some(Senders::RuleOnly) => checks.add(
                    "queue",
                    QUEUE_USERS,
                    CheckStatus::Ok,
                    format!("{arn}: its policy lets EventBridge rules alone send to it (aws:SourceArn)"),
                ),
                Some(Senders::Others(who)) => checks.0.push(fail(
                    format!("{arn}: its policy lets {who} send to it: whoever may send can make the guard act, and what it does costs API calls"),
                    RULE_ONLY,
                )),
                None | Some(Senders::Nobody) => checks.0.push(fail(
                    format!("{arn}: its policy does not let EventBridge send to it, so every event is dropped"),
                    RULE_ONLY,
                )),
            }
            Some(GuardQueue { region, arn })
        }
        Err(error) => {
            checks.add("queue", QUEUE_USERS, CheckStatus::Fail, error.to_string());
            None
        }
    }
}

/// The topic of the guard's alerts: it exists, and the credentials reach
/// it (GetTopicAttributes; Publish itself cannot be asked without
/// publishing).
pub async fn check_topic(checks: &mut Checks, config: &SdkConfig, arn: &TopicArn) {
    const TOPIC_USERS: &str = "watch --sns-topic-arn, lambda";
    match SnsTopic::new(config, arn.clone()).check().await {
        Ok(()) => checks.add(
            "topic",
            TOPIC_USERS,
            CheckStatus::Ok,
            format!("{arn} exists and can be read"),
        ),
        Err(error) => checks.0.push(Check {
            check: "topic",
            commands: TOPIC_USERS,
            account: None,
            region: None,
            status: CheckStatus::Fail,
            detail: format!("{arn}: {error}: no alert would reach anyone"),
            fix: Some(
                "create the topic, or name one that exists; allow sns:Publish and sns:GetTopicAttributes on it (examples/lambda/template.yaml grants both with AlertTopicArn)"
                    .to_owned(),
            ),
        }),
    }
}

/// Security Hub, enabled in each account-region of `places` (DescribeHub,
/// with the account's credentials, as the guard imports), for the guard's
/// `--security-hub`.
pub async fn check_security_hub(checks: &mut Checks, source: &AwsSource, places: &[Place]) {
    const HUB_USERS: &str = "watch --security-hub, lambda";
    let hub = SecurityHub::new(source.clone());
    for place in places {
        match hub.check(place).await {
            Ok(()) => checks.add_at(
                place,
                "security hub",
                HUB_USERS,
                CheckStatus::Ok,
                "Security Hub is enabled".to_owned(),
                None,
            ),
            Err(error) => checks.add_at(
                place,
                "security hub",
                HUB_USERS,
                CheckStatus::Fail,
                format!("{error}: the guard's findings would be refused"),
                Some("enable Security Hub in this region (securityhub:EnableSecurityHub), or leave --security-hub off"),
            ),
        }
    }
}

/// The reads of `--assets` in each account-region of `places`, for real:
/// DescribeNetworkInterfaces, DescribeSecurityGroups, DescribeRouteTables
/// (a prefix list or instance name that cannot be read only leaves a gap,
/// which the report names).
pub async fn check_assets(checks: &mut Checks, source: &AwsSource, places: &[Place]) {
    const ASSET_USERS: &str = "diff --assets, --fail-on-exposed";
    for place in places {
        match source.assets(place).await {
            Ok(assets) => checks.add_at(
                place,
                "assets",
                ASSET_USERS,
                CheckStatus::Ok,
                format!(
                    "{} network interfaces, {} security groups and {} route tables can be read",
                    assets.interfaces.len(),
                    assets.security_groups.len(),
                    assets.route_tables.len()
                ),
                None,
            ),
            Err(error) => checks.add_at(
                place,
                "assets",
                ASSET_USERS,
                CheckStatus::Fail,
                with_causes(error.as_ref()),
                Some("allow ec2:DescribeNetworkInterfaces, DescribeSecurityGroups, DescribeRouteTables, GetManagedPrefixListEntries and DescribeInstances (examples/iam/diff-policy.json's NaclDriftAssets)"),
            ),
        }
    }
}

/// The organization guard's central event bus: its policy must admit the
/// organization of the credentials in use (`aws:PrincipalOrgID`) and
/// nobody else, as whoever may put events on it can make the guard act.
pub async fn check_event_bus(checks: &mut Checks, config: &SdkConfig, arn: &EventBusArn) {
    const BUS_USERS: &str = "the organization guard (examples/org-guard)";
    const FIX: &str = "let only the organization put events: one Allow statement with Condition StringEquals aws:PrincipalOrgID (examples/org-guard/central.yaml's GuardBusPolicy)";
    let client = eventbridge_client(config, &arn.region());
    let answers = match organization_id(config).await {
        Ok(organization) => event_bus_policy(&client, arn.as_str())
            .await
            .map(|policy| (organization, policy)),
        Err(error) => Err(error),
    };
    let (organization, policy) = match answers {
        Ok(answers) => answers,
        Err(error) => {
            checks.add(
                "event bus",
                BUS_USERS,
                CheckStatus::Fail,
                format!("{arn}: {error}"),
            );
            return;
        }
    };
    let (status, detail) = match bus_senders(policy.as_deref(), &organization) {
        BusSenders::Organization => (
            CheckStatus::Ok,
            format!("{arn} admits the organization {organization} and nobody else"),
        ),
        BusSenders::Others(who) => (
            CheckStatus::Fail,
            format!(
                "{arn}: its policy lets {who} put events on it, beyond the organization {organization}: whoever may put events can make the guard act"
            ),
        ),
        BusSenders::Nobody => (
            CheckStatus::Fail,
            format!(
                "{arn}: its policy admits no account of the organization {organization}, so no member's NACL calls reach the guard"
            ),
        ),
    };
    checks.0.push(Check {
        check: "event bus",
        commands: BUS_USERS,
        account: None,
        region: Some(arn.region()),
        fix: (status != CheckStatus::Ok).then(|| FIX.to_owned()),
        status,
        detail,
    });
}

/// A live NACL of `place` that a baseline holds (one with subnets and tags
/// first: more of the calls can be asked on it).
fn a_nacl_of<'a>(acls: &'a [LiveAcl], place: &Place, baselines: &Baselines) -> Option<&'a LiveAcl> {
    let known: BTreeSet<_> = baselines.vpcs().into_iter().map(|vpc| vpc.vpc_id).collect();
    acls.iter()
        .filter(|acl| {
            acl.observed.account == place.account && acl.region.as_ref() == Some(&place.region)
        })
        .filter(|acl| known.contains(&acl.observed.vpc_id))
        .max_by_key(|acl| {
            (
                !acl.observed.association_ids.is_empty(),
                !acl.observed.acl.tags.is_empty(),
            )
        })
}

fn restore_check(
    checks: &mut Checks,
    place: &Place,
    answers: &[(nacl_drift_model::Operation, Permission)],
) {
    const RESTORERS: &str = "apply, watch --restore, lambda";
    let refused: Vec<String> = answers
        .iter()
        .filter_map(|(operation, permission)| match permission {
            Permission::Refused(why) => Some(format!("{operation}: {why}")),
            _ => None,
        })
        .collect();
    if !refused.is_empty() {
        checks.add_at(
            place,
            "restore",
            RESTORERS,
            CheckStatus::Fail,
            refused.join("; "),
            Some(RESTORE_FIX),
        );
    } else if answers.iter().any(|(_, p)| *p == Permission::DryRunIgnored) {
        checks.add_at(place, "restore", RESTORERS, CheckStatus::Warn, "the endpoint ignores DryRun, so the restore's permissions cannot be told (nothing was changed)".to_owned(), None);
    } else {
        let permitted: Vec<String> = answers
            .iter()
            .map(|(operation, permission)| match permission {
                Permission::NotAsked(why) => format!("{operation} not asked ({why})"),
                _ => operation.to_string(),
            })
            .collect();
        checks.add_at(
            place,
            "restore",
            RESTORERS,
            CheckStatus::Ok,
            format!("permitted (DryRun): {}", permitted.join(", ")),
            None,
        );
    }
}

impl Checks {
    /// The report as one JSON object: its worst status and every check.
    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct Report<'a> {
            status: CheckStatus,
            checks: &'a [Check],
        }
        let report = Report {
            status: self.worst(),
            checks: &self.0,
        };
        sanitize::json(serde_json::to_string_pretty(&report).expect("a report serialises"))
    }

    /// The report as lines for people: each check, and its fix.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for check in &self.0 {
            let status = match check.status {
                CheckStatus::Ok => "ok  ",
                CheckStatus::Warn => "warn",
                CheckStatus::Fail => "fail",
            };
            let place = match (&check.account, &check.region) {
                (Some(account), Some(region)) => format!(" {account} {region}"),
                _ => String::new(),
            };
            // A detail may quote an endpoint's error: one line, escaped.
            lines.push(format!(
                "{status} {}{place}: {} [{}]",
                check.check,
                sanitize::Shown(&check.detail),
                check.commands
            ));
            if let Some(fix) = &check.fix {
                lines.push(format!("     fix: {fix}"));
            }
        }
        lines
    }
}
