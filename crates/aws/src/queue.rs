//! The guard's queue: SQS messages that carry EventBridge events,
//! long-polled, and deleted once the reconcile they asked for is done.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::config::Region as SdkRegion;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, QueueAttributeName};

use nacl_drift_guard::queue::{Message, MessageQueue, QueueError as GuardQueueError};

use crate::ApiError;

/// The most messages one ReceiveMessage or DeleteMessageBatch takes.
const BATCH: usize = 10;

/// The longest long poll SQS allows.
pub const LONG_POLL: Duration = Duration::from_secs(20);

/// An SQS queue, by URL.
#[derive(Clone, Debug)]
pub struct Queue {
    client: aws_sdk_sqs::Client,
    url: String,
}

/// Why a queue URL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Not an http(s) URL.
    #[error("`{0}` is not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)")]
    NotAUrl(String),
    /// Neither the URL nor the configuration names a region.
    #[error("cannot tell the region of the queue {0}: its URL names none, so set AWS_REGION")]
    NoRegion(String),
}

/// The receipt handle of a message received: deleting takes the latest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt(String);

impl Queue {
    /// The queue at `url`, called in the region its URL names
    /// (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`), else in the
    /// configuration's region (an emulator's URL names none).
    pub fn new(config: &SdkConfig, url: &str) -> Result<Queue, QueueError> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(QueueError::NotAUrl(url.to_owned()));
        }
        let mut builder = aws_sdk_sqs::config::Builder::from(config);
        match queue_region(url) {
            Some(region) => builder = builder.region(SdkRegion::new(region.to_owned())),
            None if config.region().is_none() => {
                return Err(QueueError::NoRegion(url.to_owned()));
            }
            None => {}
        }
        Ok(Queue {
            client: aws_sdk_sqs::Client::from_conf(builder.build()),
            url: url.to_owned(),
        })
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Up to ten messages, waiting at most `wait` (at most [`LONG_POLL`])
    /// for the first; empty when none came.
    pub async fn receive(&self, wait: Duration) -> Result<Vec<Message<Receipt>>, ApiError> {
        let wait = wait.min(LONG_POLL).as_secs();
        let answer = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(BATCH as i32)
            .wait_time_seconds(i32::try_from(wait).unwrap_or(20))
            .send()
            .await
            .map_err(|error| ApiError::new("ReceiveMessage", error))?;
        Ok(answer
            .messages()
            .iter()
            .filter_map(|message| {
                Some(Message {
                    id: message.message_id()?.to_owned(),
                    body: message.body().unwrap_or_default().to_owned(),
                    receipt: Receipt(message.receipt_handle()?.to_owned()),
                })
            })
            .collect())
    }

    /// How many messages the queue holds that no one has received
    /// (`ApproximateNumberOfMessages`).
    pub async fn queued(&self) -> Result<usize, ApiError> {
        let answer = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|error| ApiError::new("GetQueueAttributes", error))?;
        Ok(answer
            .attributes()
            .and_then(|all| all.get(&QueueAttributeName::ApproximateNumberOfMessages))
            .and_then(|count| count.parse().ok())
            .unwrap_or(0))
    }

    /// The queue's ARN, and its access policy (JSON) when it has one.
    pub async fn arn_and_policy(&self) -> Result<(String, Option<String>), ApiError> {
        let answer = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::QueueArn)
            .attribute_names(QueueAttributeName::Policy)
            .send()
            .await
            .map_err(|error| ApiError::new("GetQueueAttributes", error))?;
        let attributes = answer.attributes();
        let get = |name| attributes.and_then(|all| all.get(&name)).cloned();
        let arn = get(QueueAttributeName::QueueArn).ok_or_else(|| ApiError {
            operation: "GetQueueAttributes",
            code: None,
            message: "the answer has no QueueArn".to_owned(),
        })?;
        Ok((arn, get(QueueAttributeName::Policy)))
    }

    /// Deletes the messages of `receipts`, ten at a time. An error names
    /// how many could not be deleted (they will be received again).
    pub async fn delete(&self, receipts: &[Receipt]) -> Result<(), ApiError> {
        for chunk in receipts.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(index, receipt)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .receipt_handle(&receipt.0)
                        .build()
                        .expect("id and receipt handle are set")
                })
                .collect();
            let answer = self
                .client
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|error| ApiError::new("DeleteMessageBatch", error))?;
            if let Some(failed) = answer.failed().first() {
                return Err(ApiError {
                    operation: "DeleteMessageBatch",
                    code: Some(failed.code().to_owned()),
                    message: format!(
                        "{} of {} messages were not deleted: {}",
                        answer.failed().len(),
                        chunk.len(),
                        failed.message().unwrap_or_default()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The region of an SQS queue URL on AWS: `sqs.REGION.amazonaws.com` or
/// the legacy `REGION.queue.amazonaws.com`.
pub fn queue_region(url: &str) -> Option<&str> {
    let host = url.split("://").nth(1)?.split('/').next()?;
    let mut labels = host.split('.');
    match (labels.next()?, labels.next()?) {
        ("sqs", region) => Some(region),
        (region, "queue") => Some(region),
        _ => None,
    }
    .filter(|region| region.contains('-'))
}

/// SQS as the guard's queue.
impl MessageQueue for Queue {
    type Receipt = Receipt;
    const LONG_POLL: Duration = LONG_POLL;

    fn url(&self) -> &str {
        Queue::url(self)
    }

    async fn queued(&self) -> Result<usize, GuardQueueError> {
        Ok(Queue::queued(self).await?)
    }

    async fn receive(&self, wait: Duration) -> Result<Vec<Message<Receipt>>, GuardQueueError> {
        Ok(Queue::receive(self, wait).await?)
    }

    async fn delete(&self, receipts: &[Receipt]) -> Result<(), GuardQueueError> {
        Ok(Queue::delete(self, receipts).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_url_names_its_region() {
        let region = |url| queue_region(url);
        assert_eq!(
            region("https://sqs.eu-west-1.amazonaws.com/111122223333/nacl-drift"),
            Some("eu-west-1")
        );
        assert_eq!(
            region("https://us-east-2.queue.amazonaws.com/111122223333/q"),
            Some("us-east-2")
        );
        assert_eq!(
            region("https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q"),
            Some("cn-north-1")
        );
        assert_eq!(region("http://127.0.0.1:5000/123456789012/q"), None);
        assert_eq!(region("not a url"), None);
    }
}
