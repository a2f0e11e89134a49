//! The guard's alerts on an SNS topic: one Publish a reconcile that found
//! drift, with the attributes subscriptions filter on. The SDK retries a
//! throttled or failed call; what still fails is the guard's to report.

use aws_config::SdkConfig;
use aws_sdk_sns::config::Region as SdkRegion;
use aws_sdk_sns::types::MessageAttributeValue;
use nacl_drift_guard::{Alert, Topic};
use nacl_drift_model::TopicArn;
use nacl_drift_reconcile::SourceError;

use crate::ApiError;

/// An SNS topic, published to in its own region.
#[derive(Clone, Debug)]
pub struct SnsTopic {
    client: aws_sdk_sns::Client,
    arn: TopicArn,
}

impl SnsTopic {
    /// The topic `arn`, with the credentials of `config`.
    pub fn new(config: &SdkConfig, arn: TopicArn) -> SnsTopic {
        let sns_config = aws_sdk_sns::config::Builder::from(config)
            .region(SdkRegion::new(arn.region().to_string()))
            .build();
        SnsTopic {
            client: aws_sdk_sns::Client::from_conf(sns_config),
            arn,
        }
    }

    /// The topic's attributes: whether it exists and the caller may read
    /// it (GetTopicAttributes), for `doctor`.
    pub async fn check(&self) -> Result<(), ApiError> {
        self.client
            .get_topic_attributes()
            .topic_arn(self.arn.as_str())
            .send()
            .await
            .map_err(|error| ApiError::new("GetTopicAttributes", error))?;
        Ok(())
    }
}

impl Topic for SnsTopic {
    fn name(&self) -> String {
        self.arn.to_string()
    }

    async fn publish(&self, alert: &Alert) -> Result<(), SourceError> {
        let mut publish = self
            .client
            .publish()
            .topic_arn(self.arn.as_str())
            .subject(&alert.subject)
            .message(&alert.body);
        for (name, value) in &alert.attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|error| format!("Publish: {error}"))?;
            publish = publish.message_attributes(*name, value);
        }
        publish
            .send()
            .await
            .map_err(|error| ApiError::new("Publish", error))?;
        Ok(())
    }
}
