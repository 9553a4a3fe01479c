//! [`SsmStore`]: AWS Systems Manager Parameter Store through aws-sdk-ssm.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ssm::Client;
use aws_sdk_ssm::config::Credentials;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssm::types::{ParameterTier, ParameterType, ResourceTypeForTagging, Tag};

use super::{ParamType, Parameter, ParameterPage, ParameterStore, ParameterVersion, PutRequest};
use crate::error::{StoreError, StoreErrorKind};
use crate::schema::split_selector;

mod fork;
mod http;

use fork::PerProcessClient;

/// Deadline of one attempt of one SSM request.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// Attempts per request (the first and up to two retries).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Values longer than this need SSM's Advanced tier.
const STANDARD_TIER_MAX: usize = 4096;

/// Parameter Store through the AWS SDK.
///
/// Region, credentials and endpoint come from the standard AWS chain
/// (environment, profile, container or instance role; `AWS_ENDPOINT_URL_SSM`
/// or `AWS_ENDPOINT_URL` for the endpoint), or are given to the
/// [builder](SsmStore::builder). Each request has a 3 second deadline per
/// attempt and up to 3 attempts, with exponential backoff and jitter on
/// throttling and transient errors; access denied and other client errors
/// are not retried.
///
/// ```no_run
/// # async fn run() {
/// use ssmconf::SsmStore;
/// let from_env = SsmStore::from_env().await;
/// let local = SsmStore::builder()
///     .region("us-east-1")
///     .endpoint_url("http://127.0.0.1:5000")
///     .build()
///     .await;
/// # }
/// ```
///
/// After `fork()`, the child's first request makes a client of its own
/// (connections, credentials), from the same settings: see
/// [`crate::fork`].
#[derive(Debug, Clone)]
pub struct SsmStore {
    client: Client,
    /// The client of a fork child.
    per_process: Arc<PerProcessClient>,
    /// The endpoint given or found in the environment (for the scope).
    endpoint: Option<String>,
    /// The credentials, asked once for the account (for the scope).
    credentials: Option<aws_sdk_ssm::config::SharedCredentialsProvider>,
}

impl SsmStore {
    /// A store configured from the standard AWS environment, with
    /// ssmconf's deadline and retry defaults.
    pub async fn from_env() -> Self {
        Self::builder().build().await
    }

    /// A builder to set region, endpoint, profile or credentials.
    pub fn builder() -> SsmStoreBuilder {
        SsmStoreBuilder::default()
    }

    /// A store on a client you built. Its retry and timeout settings are
    /// used as they are.
    ///
    /// In a fork child, requests go through a client made from this one's
    /// configuration with a fresh credentials cache (and a fresh default
    /// HTTP client, unless the configuration names one: then that one is
    /// kept, and must cope with a fork itself).
    #[must_use]
    pub fn from_client(client: Client) -> Self {
        SsmStore { client, per_process: Arc::new(PerProcessClient::new(None)), endpoint: None, credentials: None }
    }

    /// The SDK client the store was made with (in a fork child, requests
    /// use one made there).
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The client for a request from this process.
    async fn here(&self) -> Client {
        self.per_process.get(&self.client).await
    }

    /// One page of `GetParametersByPath`, with or without decryption.
    async fn path_page(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
        decrypt: bool,
    ) -> Result<ParameterPage, StoreError> {
        let out = self
            .here()
            .await
            .get_parameters_by_path()
            .path(path)
            .recursive(recursive)
            .with_decryption(decrypt)
            .max_results(crate::store::PATH_PAGE_SIZE as i32)
            .set_next_token(next_token.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify(e, None))?;
        Ok(ParameterPage {
            parameters: out
                .parameters()
                .iter()
                .map(|p| Parameter {
                    name: p.name().unwrap_or_default().to_string(),
                    value: p.value().unwrap_or_default().to_string(),
                    version: p.version(),
                    param_type: from_sdk_type(p.r#type()),
                    last_modified: p.last_modified_date().and_then(|d| SystemTime::try_from(*d).ok()),
                })
                .collect(),
            next_token: out.next_token().filter(|t| !t.is_empty()).map(str::to_string),
        })
    }

    /// `GetParameters` with or without decryption.
    async fn get_parameters_decrypting(
        &self,
        names: &[String],
        decrypt: bool,
    ) -> Result<Vec<Option<Parameter>>, StoreError> {
        let out = self
            .here()
            .await
            .get_parameters()
            .set_names(Some(names.to_vec()))
            .with_decryption(decrypt)
            .send()
            .await
            .map_err(|e| classify(e, None))?;
        // SSM answers under the plain name, with the selector in its own
        // field (moto leaves that field out); `InvalidParameters` lists
        // the names that do not exist.
        Ok(names
            .iter()
            .map(|asked| {
                let (plain, selector) = split_selector(asked);
                let found = out.parameters().iter().find(|p| {
                    p.name() == Some(plain)
                        && match (selector, p.selector()) {
                            (Some(want), Some(got)) => got.trim_start_matches(':') == want,
                            (None, Some(_)) => false,
                            (_, None) => true,
                        }
                })?;
                Some(Parameter {
                    name: asked.clone(),
                    value: found.value().unwrap_or_default().to_string(),
                    version: found.version(),
                    param_type: from_sdk_type(found.r#type()),
                    last_modified: found.last_modified_date().and_then(|d| SystemTime::try_from(*d).ok()),
                })
            })
            .collect())
    }
}

/// Builds an [`SsmStore`]; anything left unset comes from the AWS chain.
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct SsmStoreBuilder {
    region: Option<String>,
    endpoint_url: Option<String>,
    profile: Option<String>,
    credentials: Option<Credentials>,
    attempt_timeout: Option<Duration>,
    max_attempts: Option<u32>,
}

impl SsmStoreBuilder {
    /// The AWS region (`us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The endpoint (a local SSM-compatible server, a VPC endpoint).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// The profile of `~/.aws/config` to use.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Static credentials (tests, local servers).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Deadline of one attempt (default 3 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Attempts per request, the first included (default 3).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// Loads the AWS configuration and builds the store.
    pub async fn build(self) -> SsmStore {
        let per_process = Arc::new(PerProcessClient::new(Some(self.clone())));
        let endpoint = endpoint_url(self.endpoint_url.clone());
        let (client, credentials) = self.load().await;
        SsmStore { client, per_process, endpoint, credentials }
    }

    /// Loads the AWS configuration and builds the client.
    pub(super) async fn build_client(self) -> Client {
        self.load().await.0
    }

    /// Loads the AWS configuration with ssmconf's deadline and retry
    /// policy: the client, and the credentials it signs with.
    async fn load(self) -> (Client, Option<aws_sdk_ssm::config::SharedCredentialsProvider>) {
        let attempt_timeout = self.attempt_timeout.unwrap_or(DEFAULT_ATTEMPT_TIMEOUT);
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(self.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS))
                    .with_initial_backoff(Duration::from_millis(100))
                    .with_max_backoff(Duration::from_secs(2)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(attempt_timeout)
                    .operation_attempt_timeout(attempt_timeout)
                    .build(),
            );
        if let Some(region) = self.region {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(profile) = self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(credentials) = self.credentials {
            loader = loader.credentials_provider(credentials);
        }
        let plain_http = endpoint_url(self.endpoint_url.clone()).is_some_and(|url| url.starts_with("http://"));
        // With a plain-HTTP endpoint, TLS serves only credential providers
        // that call AWS, if any: no eager set-up for them.
        let shared = loader.http_client(http::https(!plain_http)).load().await;
        let mut config = aws_sdk_ssm::config::Builder::from(&shared);
        if plain_http {
            // No TLS to set up for a plain-HTTP endpoint (a local server).
            config = config.http_client(http::plain());
        }
        (Client::from_conf(config.build()), shared.credentials_provider())
    }
}

/// The endpoint given, else the one the environment names for SSM.
fn endpoint_url(given: Option<String>) -> Option<String> {
    given
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_SSM").ok())
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
        .filter(|e| !e.is_empty())
}

#[async_trait]
impl ParameterStore for SsmStore {
    /// `ssm:REGION:ACCOUNT:ENDPOINT`: the account when the credentials
    /// name it (`AWS_ACCOUNT_ID`, a profile's `aws_account_id`, SSO), else
    /// `-`; the endpoint when one was given, else `-`. `None` without a
    /// Region.
    async fn cache_scope(&self) -> Option<String> {
        use aws_sdk_ssm::config::ProvideCredentials;
        let config = self.client.config();
        let region = config.region()?.to_string();
        let account = match &self.credentials {
            Some(provider) => {
                let found = tokio::time::timeout(Duration::from_secs(3), provider.provide_credentials()).await;
                found.ok().and_then(Result::ok).and_then(|c| c.account_id().map(|a| a.as_str().to_string()))
            }
            None => None,
        };
        let account = account.unwrap_or_else(|| "-".into());
        Some(format!("ssm:{region}:{account}:{}", self.endpoint.as_deref().unwrap_or("-")))
    }

    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        self.get_parameters_decrypting(names, true).await
    }

    async fn get_parameters_encrypted(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        self.get_parameters_decrypting(names, false).await
    }

    async fn get_parameter(&self, name: &str) -> Result<Option<Parameter>, StoreError> {
        let result = self.here().await.get_parameter().name(name).with_decryption(true).send().await;
        let out = match result {
            Ok(out) => out,
            // A missing parameter, version, label or secret (Secrets
            // Manager's "not found" arrives as `ParameterNotFound`).
            Err(SdkError::ServiceError(e))
                if e.err().is_parameter_not_found() || e.err().is_parameter_version_not_found() =>
            {
                return Ok(None);
            }
            Err(e) => return Err(classify(e, None)),
        };
        // The answer is this request's, whatever name it carries: AWS names
        // a secret `/aws/reference/secretsmanager/NAME`, moto names it
        // `NAME`; neither is matched against the name asked for.
        Ok(out.parameter().map(|p| Parameter {
            name: name.to_string(),
            value: p.value().unwrap_or_default().to_string(),
            version: p.version(),
            param_type: from_sdk_type(p.r#type()),
            last_modified: p.last_modified_date().and_then(|d| SystemTime::try_from(*d).ok()),
        }))
    }

    async fn put_parameter(&self, request: &PutRequest) -> Result<i64, StoreError> {
        let secret = (request.param_type == ParamType::SecureString).then_some(request.value.as_str());
        let tags: Vec<Tag> = request
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::new(StoreErrorKind::Rejected, format!("bad tag: {e}")))?;
        let mut put = self
            .here()
            .await
            .put_parameter()
            .name(&request.name)
            .value(&request.value)
            .r#type(to_sdk_type(request.param_type))
            .overwrite(request.overwrite)
            .set_description(request.description.clone());
        if request.value.len() > STANDARD_TIER_MAX {
            put = put.tier(ParameterTier::Advanced);
        }
        // SSM refuses tags together with Overwrite; those are added after.
        if !request.overwrite && !tags.is_empty() {
            put = put.set_tags(Some(tags.clone()));
        }
        let out = put.send().await.map_err(|e| classify(e, secret))?;
        if request.overwrite && !tags.is_empty() {
            self.here()
                .await
                .add_tags_to_resource()
                .resource_type(ResourceTypeForTagging::Parameter)
                .resource_id(&request.name)
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| classify(e, secret))?;
        }
        Ok(out.version())
    }

    async fn parameter_history(&self, name: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        let mut versions = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let result = self
                .here()
                .await
                .get_parameter_history()
                .name(name)
                .with_decryption(true)
                .set_next_token(token.take())
                .send()
                .await;
            let out = match result {
                Ok(out) => out,
                Err(SdkError::ServiceError(e)) if e.err().is_parameter_not_found() => return Ok(Vec::new()),
                Err(e) => return Err(classify(e, None)),
            };
            versions.extend(out.parameters().iter().map(|p| ParameterVersion {
                version: p.version(),
                value: p.value().unwrap_or_default().to_string(),
                param_type: from_sdk_type(p.r#type()),
                last_modified: p.last_modified_date().and_then(|d| SystemTime::try_from(*d).ok()),
                modified_by: p.last_modified_user().map(str::to_string),
                description: p.description().map(str::to_string),
                labels: p.labels().to_vec(),
            }));
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(versions),
            }
        }
    }

    async fn parameters_by_path_page(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
    ) -> Result<ParameterPage, StoreError> {
        self.path_page(path, recursive, next_token, true).await
    }

    async fn parameters_by_path_page_encrypted(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
    ) -> Result<ParameterPage, StoreError> {
        self.path_page(path, recursive, next_token, false).await
    }
}

fn from_sdk_type(t: Option<&ParameterType>) -> ParamType {
    match t {
        Some(ParameterType::SecureString) => ParamType::SecureString,
        Some(ParameterType::StringList) => ParamType::StringList,
        _ => ParamType::String,
    }
}

fn to_sdk_type(t: ParamType) -> ParameterType {
    match t {
        ParamType::String => ParameterType::String,
        ParamType::StringList => ParameterType::StringList,
        ParamType::SecureString => ParameterType::SecureString,
    }
}

const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ThrottledException",
    "TooManyUpdates",
    "RequestThrottled",
    "RequestThrottledException",
];

const ACCESS_CODES: &[&str] = &[
    "AccessDeniedException",
    "AccessDenied",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignature",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "InvalidKeyId",
];

/// Transient or permanent: the one place an SDK error becomes a
/// [`StoreError`]. Timeouts, I/O failures, 5xx and throttling are
/// transient; everything else is permanent. `secret`, when given, is
/// scrubbed from the message.
fn classify<E, R>(err: SdkError<E, R>, secret: Option<&str>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let (kind, message) = match &err {
        SdkError::TimeoutError(_) => (StoreErrorKind::Timeout, "the request timed out".to_string()),
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            (StoreErrorKind::Timeout, "the request timed out".to_string())
        }
        SdkError::DispatchFailure(d) if d.is_user() => {
            (StoreErrorKind::Config, format!("the request could not be sent: {}", source_text(&err)))
        }
        SdkError::DispatchFailure(_) => {
            (StoreErrorKind::Network, format!("could not reach Parameter Store: {}", source_text(&err)))
        }
        SdkError::ResponseError(_) => (StoreErrorKind::Network, format!("unreadable response: {}", source_text(&err))),
        SdkError::ConstructionFailure(_) => {
            (StoreErrorKind::Config, format!("the request could not be built: {}", source_text(&err)))
        }
        SdkError::ServiceError(s) => {
            let code = s.err().code().unwrap_or("Unknown");
            let text = format!("{code}: {}", s.err().message().unwrap_or("no message"));
            let kind = if THROTTLING_CODES.contains(&code) {
                StoreErrorKind::Throttled
            } else if ACCESS_CODES.contains(&code) || code.starts_with("KMS") {
                StoreErrorKind::AccessDenied
            } else if code == "InternalServerError" || code == "ServiceUnavailable" || code.ends_with("Unavailable") {
                StoreErrorKind::Service
            } else {
                StoreErrorKind::Rejected
            };
            (kind, text)
        }
        _ => (StoreErrorKind::Other, source_text(&err)),
    };
    match secret {
        // Never risk echoing a secure value that a service message quoted.
        Some(s) if !s.is_empty() => StoreError::new(kind, message.replace(s, "***")),
        _ => StoreError::new(kind, message).with_source(err),
    }
}

/// The innermost cause of an SDK error, in words.
fn source_text(err: &dyn std::error::Error) -> String {
    let mut last = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        last = e.to_string();
        cur = e.source();
    }
    last
}
