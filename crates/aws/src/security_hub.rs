//! The guard's findings in Security Hub: BatchImportFindings in each
//! finding's account and region, at most 100 findings a call (the API's
//! limit), each converted from nacl-drift's ASFF to the SDK's. A finding is
//! imported with the credentials of its own account (the role assumed
//! there, for many accounts): the default product takes only findings of
//! the caller's account, and Security Hub's aggregation brings them to the
//! administrator. A region where Security Hub is not enabled is one clear
//! error naming it: the SDK does not retry it.
//!
//! A finding whose drift is gone, whoever fixed it, is resolved at the
//! first reconcile that read its NACL whole: GetFindings (nacl-drift's own,
//! open, filtered by Security Hub and again here), a re-import with
//! Compliance PASSED, and BatchUpdateFindings for Workflow RESOLVED (a
//! re-import does not change a workflow).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_securityhub::config::Region as SdkRegion;
use aws_sdk_securityhub::primitives::{DateTime, DateTimeFormat};
use aws_sdk_securityhub::types::{
    AwsEc2NetworkAclDetails, AwsSecurityFinding, AwsSecurityFindingFilters,
    AwsSecurityFindingIdentifier, Compliance, ComplianceStatus, Note, NoteUpdate, RecordState,
    Resource, ResourceDetails, Severity, SeverityLabel, StringFilter, StringFilterComparison,
    Workflow, WorkflowStatus, WorkflowUpdate,
};
use nacl_drift_findings::{BATCH, Finding};
use nacl_drift_guard::{Hub, ReadNacl};
use nacl_drift_model::{AccountId, Place};
use nacl_drift_reconcile::SourceError;

use crate::{ApiError, AwsSource};

/// Security Hub, in each account of a live source, with its credentials.
#[derive(Clone)]
pub struct SecurityHub {
    accounts: AwsSource,
}

impl SecurityHub {
    /// Security Hub in the accounts of `accounts`, each with the
    /// credentials that act as it.
    pub fn new(accounts: AwsSource) -> SecurityHub {
        SecurityHub { accounts }
    }

    fn client(&self, account: &str, region: &str) -> Result<aws_sdk_securityhub::Client, String> {
        let config = AccountId::parse(account)
            .ok()
            .and_then(|account| self.accounts.config_of(&account))
            .ok_or_else(|| format!("no credentials act as account {account:?} for Security Hub"))?;
        let hub_config = aws_sdk_securityhub::config::Builder::from(config)
            .region(SdkRegion::new(region.to_owned()))
            .build();
        Ok(aws_sdk_securityhub::Client::from_conf(hub_config))
    }

    /// Whether Security Hub is enabled in `place`'s account and region
    /// (DescribeHub), for `doctor`.
    pub async fn check(&self, place: &Place) -> Result<(), ApiError> {
        let client = self
            .client(place.account.as_str(), place.region.as_str())
            .map_err(|message| ApiError {
                operation: "DescribeHub",
                code: None,
                message,
            })?;
        client
            .describe_hub()
            .send()
            .await
            .map_err(|error| ApiError::new("DescribeHub", error))?;
        Ok(())
    }
}

impl Hub for SecurityHub {
    async fn import(&self, findings: &[Finding]) -> Result<(), SourceError> {
        let mut by_place: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
        for finding in findings {
            let region = finding
                .resources
                .first()
                .map_or("", |resource| resource.region.as_str());
            by_place
                .entry((finding.aws_account_id.as_str(), region))
                .or_default()
                .push(finding);
        }
        // Each place apart: one that refuses stops none of the others.
        let mut refused = Vec::new();
        for ((account, region), findings) in by_place {
            if let Err(error) = self.import_in(account, region, &findings).await {
                refused.push(nacl_drift_model::with_causes(error.as_ref()));
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(refused.join("; ").into())
        }
    }

    async fn resolve_gone(
        &self,
        read: &BTreeSet<ReadNacl>,
        standing: &BTreeSet<String>,
    ) -> Result<Vec<String>, SourceError> {
        let mut by_place: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
        for (account, region, acl) in read {
            by_place
                .entry((account.as_str(), region.as_str()))
                .or_default()
                .insert(acl.as_str());
        }
        let mut resolved = Vec::new();
        let mut refused = Vec::new();
        for ((account, region), acls) in by_place {
            match self.resolve_in(account, region, &acls, standing).await {
                Ok(mut ids) => resolved.append(&mut ids),
                Err(error) => refused.push(nacl_drift_model::with_causes(error.as_ref())),
            }
        }
        if refused.is_empty() {
            Ok(resolved)
        } else {
            Err(refused.join("; ").into())
        }
    }
}

impl SecurityHub {
    /// Imports `findings` in `account`'s `region`, a batch at a time.
    async fn import_in(
        &self,
        account: &str,
        region: &str,
        findings: &[&Finding],
    ) -> Result<(), SourceError> {
        let client = self.client(account, region)?;
        for batch in findings.chunks(BATCH) {
            let converted = batch.iter().map(|finding| convert(finding)).collect();
            import_batch(&client, converted, account, region).await?;
        }
        Ok(())
    }
}

/// One BatchImportFindings call in `account`'s `region`; an error when it
/// fails, or refuses any finding (naming the first and why).
async fn import_batch(
    client: &aws_sdk_securityhub::Client,
    findings: Vec<AwsSecurityFinding>,
    account: &str,
    region: &str,
) -> Result<(), SourceError> {
    let count = findings.len();
    let answer = client
        .batch_import_findings()
        .set_findings(Some(findings))
        .send()
        .await
        .map_err(|error| {
            let error = ApiError::new("BatchImportFindings", error);
            format!("{error} (in {account}/{region})")
        })?;
    if let Some(failed) = answer.failed_findings().first() {
        return Err(format!(
            "BatchImportFindings refused {} of {count} findings in {account}/{region}: {}: {} {}",
            answer.failed_count().unwrap_or_default(),
            failed.id().unwrap_or_default(),
            failed.error_code().unwrap_or_default(),
            failed.error_message().unwrap_or_default()
        )
        .into());
    }
    Ok(())
}

impl SecurityHub {
    /// Resolves nacl-drift's open findings on `acls` of `account`'s
    /// `region` that are not `standing`; returns their ids.
    async fn resolve_in(
        &self,
        account: &str,
        region: &str,
        acls: &BTreeSet<&str>,
        standing: &BTreeSet<String>,
    ) -> Result<Vec<String>, SourceError> {
        let client = self.client(account, region)?;
        let in_place =
            |error: String| -> SourceError { format!("{error} (in {account}/{region})").into() };
        let text = |value: &str, comparison| {
            StringFilter::builder()
                .value(value)
                .comparison(comparison)
                .build()
        };
        let filters = AwsSecurityFindingFilters::builder()
            .generator_id(text("nacl-drift/", StringFilterComparison::Prefix))
            .aws_account_id(text(account, StringFilterComparison::Equals))
            .resource_region(text(region, StringFilterComparison::Equals))
            .workflow_status(text("NEW", StringFilterComparison::Equals))
            .workflow_status(text("NOTIFIED", StringFilterComparison::Equals))
            .record_state(text("ACTIVE", StringFilterComparison::Equals))
            .build();
        let mut pages = client
            .get_findings()
            .filters(filters)
            .max_results(100)
            .into_paginator()
            .send();
        let mut gone: Vec<AwsSecurityFinding> = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|error| in_place(ApiError::new("GetFindings", error).to_string()))?;
            // Again here: the filters are Security Hub's word alone.
            gone.extend(
                page.findings()
                    .iter()
                    .filter(|finding| is_gone(finding, account, region, acls, standing))
                    .cloned(),
            );
        }
        let now = DateTime::from(std::time::SystemTime::now())
            .fmt(DateTimeFormat::DateTime)
            .unwrap_or_default();
        for batch in gone.chunks(BATCH) {
            let passed = batch.iter().map(|finding| passed(finding, &now)).collect();
            import_batch(&client, passed, account, region).await?;
            let identifiers = batch.iter().map(|finding| {
                AwsSecurityFindingIdentifier::builder()
                    .set_id(finding.id().map(str::to_owned))
                    .set_product_arn(finding.product_arn().map(str::to_owned))
                    .build()
            });
            let answer = client
                .batch_update_findings()
                .set_finding_identifiers(Some(identifiers.collect()))
                .workflow(
                    WorkflowUpdate::builder()
                        .status(WorkflowStatus::Resolved)
                        .build(),
                )
                .note(
                    NoteUpdate::builder()
                        .text("nacl-drift read the NACL in sync: the drift is gone")
                        .updated_by("nacl-drift")
                        .build(),
                )
                .send()
                .await
                .map_err(|error| {
                    in_place(ApiError::new("BatchUpdateFindings", error).to_string())
                })?;
            if !answer.unprocessed_findings().is_empty() {
                return Err(in_place(format!(
                    "BatchUpdateFindings left {} findings unresolved",
                    answer.unprocessed_findings().len()
                )));
            }
        }
        Ok(gone
            .iter()
            .filter_map(|finding| finding.id().map(str::to_owned))
            .collect())
    }
}

/// Whether `finding` is nacl-drift's, open, on one of `acls` of `account`'s
/// `region`, and not among the drift that stands.
fn is_gone(
    finding: &AwsSecurityFinding,
    account: &str,
    region: &str,
    acls: &BTreeSet<&str>,
    standing: &BTreeSet<String>,
) -> bool {
    let open = finding
        .workflow()
        .and_then(|workflow| workflow.status())
        .is_none_or(|status| [WorkflowStatus::New, WorkflowStatus::Notified].contains(status));
    let on_read = finding.resources().iter().any(|resource| {
        resource.region() == Some(region)
            && resource
                .details()
                .and_then(|details| details.aws_ec2_network_acl())
                .and_then(|acl| acl.network_acl_id())
                .is_some_and(|acl| acls.contains(acl))
    });
    finding
        .generator_id()
        .is_some_and(|id| id.starts_with("nacl-drift/"))
        && finding.aws_account_id() == Some(account)
        && finding.record_state() != Some(&RecordState::Archived)
        && open
        && on_read
        && finding.id().is_some_and(|id| !standing.contains(id))
}

/// `finding` again, as the provider re-imports it once its drift is gone:
/// Compliance PASSED, updated and last observed `now`.
fn passed(finding: &AwsSecurityFinding, now: &str) -> AwsSecurityFinding {
    AwsSecurityFinding::builder()
        .set_schema_version(finding.schema_version().map(str::to_owned))
        .set_id(finding.id().map(str::to_owned))
        .set_product_arn(finding.product_arn().map(str::to_owned))
        .set_generator_id(finding.generator_id().map(str::to_owned))
        .set_aws_account_id(finding.aws_account_id().map(str::to_owned))
        .set_types(Some(finding.types().to_vec()))
        .set_created_at(finding.created_at().map(str::to_owned))
        .updated_at(now)
        .set_first_observed_at(finding.first_observed_at().map(str::to_owned))
        .last_observed_at(now)
        .set_severity(finding.severity().cloned())
        .set_title(finding.title().map(str::to_owned))
        .set_description(finding.description().map(str::to_owned))
        .set_resources(Some(finding.resources().to_vec()))
        .set_product_fields(finding.product_fields().cloned())
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::Passed)
                .build(),
        )
        .record_state(RecordState::Active)
        .build()
}

/// `finding` as the SDK has it.
fn convert(finding: &Finding) -> AwsSecurityFinding {
    let resources = finding
        .resources
        .iter()
        .map(|resource| {
            let details = &resource.details.aws_ec2_network_acl;
            let mut acl = AwsEc2NetworkAclDetails::builder()
                .network_acl_id(&details.network_acl_id)
                .owner_id(&details.owner_id)
                .vpc_id(&details.vpc_id);
            if let Some(is_default) = details.is_default {
                acl = acl.is_default(is_default);
            }
            Resource::builder()
                .r#type(resource.kind)
                .id(&resource.id)
                .partition(resource.partition.into())
                .region(&resource.region)
                // An empty Tags map is refused: none at all then.
                .set_tags(
                    (!resource.tags.is_empty())
                        .then(|| resource.tags.clone().into_iter().collect()),
                )
                .details(
                    ResourceDetails::builder()
                        .aws_ec2_network_acl(acl.build())
                        .build(),
                )
                .build()
        })
        .collect();
    let note = finding.note.as_ref().map(|note| {
        Note::builder()
            .text(&note.text)
            .updated_by(note.updated_by)
            .updated_at(&note.updated_at)
            .build()
    });
    AwsSecurityFinding::builder()
        .schema_version(finding.schema_version)
        .id(&finding.id)
        .product_arn(&finding.product_arn)
        .generator_id(&finding.generator_id)
        .aws_account_id(&finding.aws_account_id)
        .set_types(Some(
            finding.types.iter().map(|t| (*t).to_owned()).collect(),
        ))
        .created_at(&finding.created_at)
        .updated_at(&finding.updated_at)
        .first_observed_at(&finding.first_observed_at)
        .last_observed_at(&finding.last_observed_at)
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(finding.severity.label))
                .original(finding.severity.original)
                .build(),
        )
        .title(&finding.title)
        .description(&finding.description)
        .set_resources(Some(resources))
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::from(finding.compliance.status))
                .build(),
        )
        .workflow(
            Workflow::builder()
                .status(WorkflowStatus::from(finding.workflow.status))
                .build(),
        )
        .record_state(RecordState::from(finding.record_state))
        .set_note(note)
        .set_product_fields(Some(
            finding
                .product_fields
                .iter()
                .map(|(key, value)| ((*key).to_owned(), value.clone()))
                .collect(),
        ))
        .build()
}
