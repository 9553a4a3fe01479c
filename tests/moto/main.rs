//! Integration tests: the real aws-sdk-ssm client, through ssmconf, against
//! a real SSM-compatible server (moto_server on 127.0.0.1). One binary, one
//! module per behaviour.

mod harness;
#[cfg(all(feature = "figment", feature = "config-rs"))]
mod integrations;
#[path = "../support/logs.rs"]
mod logs;
mod open;
#[path = "../faults/proxy.rs"]
#[allow(dead_code)]
mod proxy;
mod resolve;
mod secrets;
mod secrets_manager;
#[path = "../support/secretsmanager.rs"]
mod sm;
mod write;
