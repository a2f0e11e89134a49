//! The guard's findings in Security Hub: BatchImportFindings in each
//! finding's account and region, at most 100 findings a call (the API's
//! limit), each converted from nacl-drift's ASFF to the SDK's. A finding is
//! imported with the credentials of its own account (the role assumed
//! there, for many accounts): the default product takes only findings of
//! the caller's account, and Security Hub's aggregation brings them to the
//! administrator. A region where Security Hub is not enabled is one clear
//! error naming it: the SDK does not retry it.

use std::collections::BTreeMap;

use aws_sdk_securityhub::config::Region as SdkRegion;
use aws_sdk_securityhub::types::{
    AwsEc2NetworkAclDetails, AwsSecurityFinding, Compliance, ComplianceStatus, Note, RecordState,
    Resource, ResourceDetails, Severity, SeverityLabel, Workflow, WorkflowStatus,
};
use nacl_drift_findings::{BATCH, Finding};
use nacl_drift_guard::Hub;
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
            let answer = client
                .batch_import_findings()
                .set_findings(Some(converted))
                .send()
                .await
                .map_err(|error| {
                    let error = ApiError::new("BatchImportFindings", error);
                    format!("{error} (in {account}/{region})")
                })?;
            if let Some(failed) = answer.failed_findings().first() {
                return Err(format!(
                    "BatchImportFindings refused {} of {} findings in {account}/{region}: {}: {} {}",
                    answer.failed_count().unwrap_or_default(),
                    batch.len(),
                    failed.id().unwrap_or_default(),
                    failed.error_code().unwrap_or_default(),
                    failed.error_message().unwrap_or_default()
                )
                .into());
            }
        }
        Ok(())
    }
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
