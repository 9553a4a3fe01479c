//! Secrets Manager on the moto server, through its HTTP API: a small JSON
//! POST per call (the AWS JSON 1.1 protocol), so that the tests need no
//! Secrets Manager SDK. What they create is then read through the real
//! aws-sdk-ssm, as `/aws/reference/secretsmanager/NAME`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

/// Secrets Manager at `endpoint` (`http://127.0.0.1:PORT`).
#[derive(Debug, Clone)]
pub struct SecretsManager {
    addr: String,
}

impl SecretsManager {
    pub fn new(endpoint: &str) -> Self {
        SecretsManager { addr: endpoint.trim_start_matches("http://").trim_end_matches('/').to_string() }
    }

    /// One call: `action` (`CreateSecret`, ...) with a JSON body; answers the
    /// JSON reply, or panics with moto's error.
    pub fn call(&self, action: &str, body: &Value) -> Value {
        let body = body.to_string();
        // moto routes an unsigned-looking request by the service in the
        // credential scope; it does not check the signature.
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\n\
             X-Amz-Target: secretsmanager.{action}\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/secretsmanager/aws4_request, \
             SignedHeaders=host, Signature=0\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{body}",
            addr = self.addr,
            len = body.len()
        );
        let mut stream = TcpStream::connect(&self.addr).expect("connect to moto");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read the answer");
        let (head, reply) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head.split_whitespace().nth(1).unwrap_or("?");
        assert_eq!(status, "200", "secretsmanager.{action} failed: {head}\n{reply}");
        serde_json::from_str(reply).unwrap_or(Value::Null)
    }

    /// Creates a secret holding `value`; answers its version id.
    pub fn create(&self, name: &str, value: &str) -> String {
        let out = self.call("CreateSecret", &json!({ "Name": name, "SecretString": value }));
        out["VersionId"].as_str().expect("a version id").to_string()
    }

    /// Rotates: a new `AWSCURRENT` version (the last one becomes
    /// `AWSPREVIOUS`); answers its version id.
    pub fn put_value(&self, name: &str, value: &str) -> String {
        let out = self.call("PutSecretValue", &json!({ "SecretId": name, "SecretString": value }));
        out["VersionId"].as_str().expect("a version id").to_string()
    }

    /// Deletes a secret at once.
    pub fn delete(&self, name: &str) {
        self.call("DeleteSecret", &json!({ "SecretId": name, "ForceDeleteWithoutRecovery": true }));
    }
}
