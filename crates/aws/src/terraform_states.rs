//! The S3 backend of Terraform and OpenTofu, as the core's `StateStore`: a
//! state object read again only once its ETag changed, its `.tflock`, and
//! its item in a DynamoDB lock table.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_ec2::config::Region;
use aws_sdk_s3::config::http::HttpResponse;
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

/// The clients of the S3 backend: of the configuration's region, or of a
/// bucket's own once S3 named another.
#[derive(Debug)]
struct Clients {
    config: SdkConfig,
    /// Each bucket that S3 said is in another region, and that region.
    bucket_regions: Mutex<BTreeMap<String, Region>>,
    /// The clients of each region used, built once: the guard reads its
    /// states and their locks at every reconcile.
    by_region: Mutex<BTreeMap<String, RegionClients>>,
}

/// The S3 and DynamoDB clients of one region.
#[derive(Clone, Debug)]
struct RegionClients {
    s3: aws_sdk_s3::Client,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl Clients {
    /// The clients of `config`: in its region (AWS_REGION or the
    /// profile's), else us-east-1, until S3 names a bucket's.
    fn new(config: &SdkConfig) -> Self {
        Clients {
            config: config.clone(),
            bucket_regions: Mutex::new(BTreeMap::new()),
            by_region: Mutex::new(BTreeMap::new()),
        }
    }

    /// The region of `bucket`, as far as is known: the backend's `region`,
    /// where its lock table is too.
    fn region_of(&self, bucket: &str) -> Region {
        let known = self
            .bucket_regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        known
            .get(bucket)
            .or(self.config.region())
            .cloned()
            .unwrap_or_else(|| Region::from_static("us-east-1"))
    }

    /// The clients of `region`, built at its first use. With an endpoint
    /// URL (an S3-compatible store, or an emulator) S3 is addressed by
    /// path, not by host name.
    fn in_region(&self, region: Region) -> RegionClients {
        let mut built = self
            .by_region
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        built
            .entry(region.to_string())
            .or_insert_with(|| {
                let s3 = aws_sdk_s3::config::Builder::from(&self.config)
                    .region(region.clone())
                    .force_path_style(self.config.endpoint_url().is_some())
                    .build();
                let dynamodb = aws_sdk_dynamodb::config::Builder::from(&self.config)
                    .region(region)
                    .build();
                RegionClients {
                    s3: aws_sdk_s3::Client::from_conf(s3),
                    dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb),
                }
            })
            .clone()
    }

    /// GetObject of `object`, unless its ETag is still `etag`; once more in
    /// the bucket's region when S3 answers that it is in another.
    async fn get_object(&self, object: &S3Object, etag: Option<&str>) -> Result<Fetched, ApiError> {
        let region = self.region_of(&object.bucket);
        match self.get_object_in(region.clone(), object, etag).await {
            Err((_, Some(elsewhere))) if elsewhere != region => {
                self.bucket_regions
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(object.bucket.clone(), elsewhere.clone());
                self.get_object_in(elsewhere, object, etag)
                    .await
                    .map_err(|(error, _)| error)
            }
            answer => answer.map_err(|(error, _)| error),
        }
    }

    /// GetObject in `region`; on failure, with the bucket's region when S3
    /// names it (`x-amz-bucket-region`).
    async fn get_object_in(
        &self,
        region: Region,
        object: &S3Object,
        etag: Option<&str>,
    ) -> Result<Fetched, (ApiError, Option<Region>)> {
        let answer = self
            .in_region(region)
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
            Err(error) => {
                let elsewhere = bucket_region(&error);
                return Err((ApiError::new("GetObject", error), elsewhere));
            }
        };
        let etag = output.e_tag().map(str::to_owned);
        let body = output.body.collect().await.map_err(|error| {
            let message = format!("the body of {object} was cut off: {error}");
            let cut = ApiError {
                operation: "GetObject",
                code: None,
                message,
            };
            (cut, None)
        })?;
        Ok(Fetched::Object {
            etag,
            body: body.into_bytes().to_vec(),
        })
    }

    /// The `Info` of the item `lock_id` in `table`, read consistently, in
    /// the region of the state's bucket.
    async fn get_lock_item(&self, table: &str, lock_id: &str) -> Result<Option<Vec<u8>>, ApiError> {
        let bucket = lock_id
            .split_once('/')
            .map_or(lock_id, |(bucket, _)| bucket);
        let output = self
            .in_region(self.region_of(bucket))
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
fn status<E>(error: &SdkError<E, HttpResponse>) -> Option<u16> {
    error
        .raw_response()
        .map(|response| response.status().as_u16())
}

/// The region S3 says a bucket is in (`x-amz-bucket-region`), on an
/// answer sent to another region's endpoint (301 PermanentRedirect, 400
/// AuthorizationHeaderMalformed).
fn bucket_region<E>(error: &SdkError<E, HttpResponse>) -> Option<Region> {
    let region = error.raw_response()?.headers().get("x-amz-bucket-region")?;
    // Only a region's name is believed: it becomes part of a host name.
    let plausible = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    plausible.then(|| Region::new(region.to_owned()))
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::error::SdkError;
    use aws_sdk_s3::operation::get_object::GetObjectError;
    use aws_sdk_s3::primitives::SdkBody;

    use super::{HttpResponse, bucket_region};

    fn redirect(region: &str) -> SdkError<GetObjectError, HttpResponse> {
        let mut response = HttpResponse::new(301.try_into().expect("a status"), SdkBody::empty());
        response
            .headers_mut()
            .insert("x-amz-bucket-region", region.to_owned());
        let error = GetObjectError::generic(
            aws_sdk_s3::error::ErrorMetadata::builder()
                .code("PermanentRedirect")
                .build(),
        );
        SdkError::service_error(error, response)
    }

    #[test]
    fn s3_names_the_region_of_a_bucket_elsewhere_and_only_a_name_is_believed() {
        let region = bucket_region(&redirect("eu-west-1")).map(|r| r.to_string());
        assert_eq!(region.as_deref(), Some("eu-west-1"));
        assert_eq!(bucket_region(&redirect("evil.example/")), None);
    }
}
