//! EC2 and CloudTrail clients that answer from recorded responses, for unit
//! tests of the crates that call AWS.
//!
//! The recorded bodies are EC2's own XML, so the SDK's real deserialisers
//! run on them: the tests exercise AWS's response shapes (pagination,
//! `icmpTypeCode`, error codes) that the local emulator does not produce.
//! Every request the client sends is kept, so tests can check what was
//! asked for, and in which order.
//!
//! A dev-dependency only: no crate may depend on it for its own build.
//!
//! Depends on: nothing of ours; the AWS SDK.

#![deny(missing_docs)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_types::SdkConfig;
use aws_types::region::Region;

/// One recorded HTTP answer.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The HTTP status.
    pub status: u16,
    /// The body, as AWS sends it.
    pub body: String,
}

impl Recorded {
    /// A successful response with an EC2 XML body.
    pub fn ok(body: impl Into<String>) -> Self {
        Recorded {
            status: 200,
            body: body.into(),
        }
    }

    /// A CloudTrail (JSON protocol) error response.
    pub fn json_error(status: u16, code: &str, message: &str) -> Self {
        Recorded {
            status,
            body: format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}"),
        }
    }

    /// An EC2 error response, shaped as EC2 sends them.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Recorded {
            status,
            body: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>\
                 <Code>{code}</Code><Message>{message}</Message></Error></Errors>\
                 <RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>"
            ),
        }
    }
}

/// Replays responses in order and records the requests.
#[derive(Clone, Debug, Default)]
pub struct Replay {
    responses: Arc<Mutex<VecDeque<Recorded>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Replay {
    /// A replay that answers with `responses`, in order.
    pub fn new(responses: impl IntoIterator<Item = Recorded>) -> Self {
        Replay {
            responses: Arc::new(Mutex::new(responses.into_iter().collect())),
            requests: Arc::default(),
        }
    }

    /// The shared configuration of clients that talk only to this replay,
    /// in us-east-1, with dummy credentials.
    pub fn sdk_config(&self) -> SdkConfig {
        let connector = SharedHttpConnector::new(self.clone());
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            )))
            .http_client(http_client_fn(move |_, _| connector.clone()))
            .build()
    }

    /// An EC2 client that talks only to this replay.
    pub fn client(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config())
    }

    /// A CloudTrail client that talks only to this replay.
    pub fn cloudtrail_client(&self) -> aws_sdk_cloudtrail::Client {
        aws_sdk_cloudtrail::Client::new(&self.sdk_config())
    }

    /// The bodies of the requests sent so far, in order (form-encoded for
    /// EC2, JSON for CloudTrail).
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Responses not yet used.
    pub fn remaining(&self) -> usize {
        self.responses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl HttpConnector for Replay {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request
            .body()
            .bytes()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default();
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(body);
        let next = self
            .responses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        let recorded = next.unwrap_or_else(|| {
            Recorded::error(
                500,
                "ReplayExhausted",
                "the test recorded no more responses",
            )
        });
        let status = StatusCode::try_from(recorded.status)
            .unwrap_or_else(|_| StatusCode::try_from(500).expect("500 is a valid status code"));
        HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from(recorded.body))))
    }
}
