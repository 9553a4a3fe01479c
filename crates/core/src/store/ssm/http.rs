//! The HTTP clients of [`SsmStore`](super::SsmStore): the SDK's own, with
//! its TLS set-up moved off the caller's path.
//!
//! The SDK's default HTTPS client reads and parses the system's root
//! certificates when a client is built (`validate_base_client_config`), so
//! that building an `SsmStore` waits for them: the largest part of its cost
//! (BENCHMARKS.md, "Cold start"). [`https`] is that client with the
//! set-up on a thread of its own, once per process; the first HTTPS
//! connection waits for it only if it is still under way. TLS verification
//! is the SDK's, unchanged. A plain-HTTP endpoint (a local server) gets a
//! client without TLS at all ([`plain`]).

use std::sync::Once;

use aws_sdk_ssm::config::{ConfigBag, HttpClient, RuntimeComponents, RuntimeComponentsBuilder, SharedHttpClient};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::Provider;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector};

/// The SDK's default HTTPS client (rustls on aws-lc, the proxy from the
/// environment), its eager TLS set-up on a thread aside, or skipped when
/// `!eager` (then done at the first HTTPS connection, if any). The same
/// client serves the credential providers that call AWS (STS, SSO), which
/// the configuration loader builds whether they are used or not.
pub(super) fn https(eager: bool) -> SharedHttpClient {
    let sdk_default = Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    SharedHttpClient::new(RootsAside { inner: sdk_default, eager })
}

/// An HTTP client whose eager TLS set-up runs on a thread aside.
#[derive(Debug)]
struct RootsAside {
    inner: SharedHttpClient,
    eager: bool,
}

/// The certificates land in the SDK's process-wide cache: once is enough.
static ASIDE: Once = Once::new();

impl HttpClient for RootsAside {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        self.inner.http_connector(settings, components)
    }

    fn validate_base_client_config(&self, _: &RuntimeComponentsBuilder, _: &ConfigBag) -> Result<(), BoxError> {
        if !self.eager {
            return Ok(());
        }
        ASIDE.call_once(|| {
            let inner = self.inner.clone();
            // The SDK's check builds a connector without settings, which
            // loads the roots; it reads neither of its arguments.
            let warm = move || {
                let _ =
                    inner.validate_base_client_config(&RuntimeComponentsBuilder::new("ssmconf"), &ConfigBag::base());
            };
            let spawned = std::thread::Builder::new().name("ssmconf-tls-roots".into()).spawn(warm.clone());
            if spawned.is_err() {
                warm();
            }
        });
        Ok(())
    }

    fn validate_final_config(&self, components: &RuntimeComponents, cfg: &ConfigBag) -> Result<(), BoxError> {
        self.inner.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

/// A client for `http://` endpoints: the SDK's connector (timeouts, proxy
/// from the environment, as its default client) without TLS.
pub(super) fn plain() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().proxy_config(ProxyConfig::from_env());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.build_http()
    })
}
