//! The S3 backend of Terraform and OpenTofu, as the core's `StateStore`: a
//! state object read again only once its ETag changed, its `.tflock`, and
//! its item in a DynamoDB lock table.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_ec2::config::Region;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::GetObjectError;
use nacl_drift_reconcile::{Fetched, StateStore, StoreCall};
use nacl_drift_terraform::S3Object;
use tokio::sync::OnceCell;

use crate::{ApiError, SdkConfigError, load_config};

/// The S3 backend's bucket and lock table, read with a profile's
/// credentials (else the default chain's): the configuration is loaded at
/// the first read, so that a run whose states are all local loads nothing.
#[derive(Debug)]
pub struct S3States {
    profile: Option<String>,
    endpoint_url: Option<String>,
    clients: OnceCell<Clients>,
}

/// The clients of the S3 backend.
#[derive(Debug)]
struct Clients {
    s3: aws_sdk_s3::Client,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl S3States {
    /// The backend as `profile` reaches it, at `endpoint_url` instead of
    /// AWS's when given.
    pub fn new(profile: Option<String>, endpoint_url: Option<String>) -> Self {
        S3States {
            profile,
            endpoint_url,
            clients: OnceCell::new(),
        }
    }

    /// The clients, built at the first call.
    async fn clients(&self) -> Result<&Clients, SdkConfigError> {
        self.clients
            .get_or_try_init(|| async {
                let config =
                    load_config(self.profile.as_deref(), self.endpoint_url.as_deref()).await?;
                Ok(Clients::new(&config))
            })
            .await
    }
}

impl Clients {
    /// Clients of `config`, in its region (the backend's: AWS_REGION or the
    /// profile's), else us-east-1. With an endpoint URL (an S3-compatible
    /// store, or an emulator) S3 is addressed by path, not by host name.
    fn new(config: &SdkConfig) -> Self {
        let region = config
            .region()
            .cloned()
            .unwrap_or_else(|| Region::from_static("us-east-1"));
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .region(region.clone())
            .force_path_style(config.endpoint_url().is_some())
            .build();
        let dynamodb = aws_sdk_dynamodb::config::Builder::from(config)
            .region(region)
            .build();
        Clients {
            s3: aws_sdk_s3::Client::from_conf(s3),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb),
        }
    }

    /// GetObject of `object`, unless its ETag is still `etag`.
    async fn get_object(&self, object: &S3Object, etag: Option<&str>) -> Result<Fetched, ApiError> {
        let answer = self
            .s3
            .get_object()
            .bucket(&object.bucket)
            .key(&object.key)
            .set_if_none_match(etag.map(str::to_owned))
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(SdkError::ServiceError(error))
                if matches!(error.err(), GetObjectError::NoSuchKey(_)) =>
            {
                return Ok(Fetched::Missing);
            }
            Err(error) if status(&error) == Some(304) => return Ok(Fetched::Unchanged),
            Err(error) => return Err(with_bucket_region(error)),
        };
        let etag = output.e_tag().map(str::to_owned);
        let body = output.body.collect().await.map_err(|error| ApiError {
            operation: "GetObject",
            code: None,
            message: format!("the body of {object} was cut off: {error}"),
        })?;
        Ok(Fetched::Object {
            etag,
            body: body.into_bytes().to_vec(),
        })
    }

    /// The `Info` of the item `lock_id` in `table`, read consistently.
    async fn get_lock_item(&self, table: &str, lock_id: &str) -> Result<Option<Vec<u8>>, ApiError> {
        let output = self
            .dynamodb
            .get_item()
            .table_name(table)
            .key("LockID", AttributeValue::S(lock_id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| ApiError::new("GetItem", error))?;
        Ok(output.item.map(|item| {
            // An item without its info is held all the same.
            item.get("Info")
                .and_then(|info| info.as_s().ok())
                .map(|info| info.as_bytes().to_vec())
                .unwrap_or_default()
        }))
    }
}

impl StateStore for S3States {
    fn get<'a>(&'a self, object: &'a S3Object, etag: Option<&'a str>) -> StoreCall<'a, Fetched> {
        Box::pin(async move { Ok(self.clients().await?.get_object(object, etag).await?) })
    }

    fn lock_item<'a>(&'a self, table: &'a str, lock_id: &'a str) -> StoreCall<'a, Option<Vec<u8>>> {
        Box::pin(async move { Ok(self.clients().await?.get_lock_item(table, lock_id).await?) })
    }
}

/// The HTTP status of a call's answer, if it got one.
fn status<E>(error: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> Option<u16> {
    error
        .raw_response()
        .map(|response| response.status().as_u16())
}

/// GetObject's error; when the bucket is in another region than the
/// client's, which region, and what to set.
fn with_bucket_region(
    error: SdkError<GetObjectError, aws_sdk_s3::config::http::HttpResponse>,
) -> ApiError {
    let region = error
        .raw_response()
        .and_then(|response| response.headers().get("x-amz-bucket-region"))
        .map(nacl_drift_model::sanitize::cut);
    let mut error = ApiError::new("GetObject", error);
    if let Some(region) = region {
        error.message = format!(
            "{} (the bucket is in {region}: set AWS_REGION={region}, the backend's region)",
            error.message
        );
    }
    error
}
