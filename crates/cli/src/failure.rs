//! What ends a command early, and the exit code it maps to.

use std::fmt;

/// Exit codes, as SPEC.md fixes them.
pub mod code {
    /// Done.
    pub const OK: u8 = 0;
    /// A problem found: `check` failed, or a value is missing.
    pub const PROBLEM: u8 = 1;
    /// Bad usage or a schema error.
    pub const USAGE: u8 = 2;
    /// The store failed.
    pub const STORE: u8 = 3;
}

/// A command's failure: a message for stderr and an exit code.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// The message, without the `error: ` prefix.
    pub message: String,
}

impl Failure {
    /// A failure with an explicit code.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure { code, message: message.into() }
    }

    /// Bad usage (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(code::USAGE, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<ssmconf::Error> for Failure {
    /// Schema, unknown-key and validation errors are the caller's to fix
    /// (exit 2); a missing value is a problem found (exit 1); a store
    /// failure is exit 3. The message carries the whole cause chain, and
    /// never a secure value (the core's errors hold none).
    fn from(error: ssmconf::Error) -> Self {
        use ssmconf::Error;
        let code = match &error {
            Error::NotFound { .. } => code::PROBLEM,
            Error::Store { .. } => code::STORE,
            _ => code::USAGE,
        };
        let mut message = error.to_string();
        let mut cause = std::error::Error::source(&error);
        while let Some(c) = cause {
            message.push_str(": ");
            message.push_str(&c.to_string());
            cause = c.source();
        }
        if let Error::Store { source, .. } = &error
            && let Some(hint) = store_hint(source.kind())
        {
            message.push_str("\nhint: ");
            message.push_str(hint);
        }
        Failure { code, message }
    }
}

fn store_hint(kind: ssmconf::StoreErrorKind) -> Option<&'static str> {
    use ssmconf::StoreErrorKind as K;
    match kind {
        K::Config => Some(
            "set a region (--region or AWS_REGION) and credentials, or use --store file:PATH for local work without AWS",
        ),
        K::AccessDenied => Some(
            "the credentials in use may not read or write these parameters (IAM: ssm:GetParameters, ssm:PutParameter, kms:Decrypt)",
        ),
        K::Network | K::Timeout => Some("is the endpoint reachable? (--endpoint-url, AWS_ENDPOINT_URL_SSM)"),
        _ => None,
    }
}

impl From<std::io::Error> for Failure {
    /// A closed pipe (`ssmconf export | head`) ends the command quietly.
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Failure::new(code::OK, "");
        }
        Failure::new(code::PROBLEM, format!("cannot write the output: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_the_spec_exit_codes() {
        let store = ssmconf::Error::Store {
            what: "`a`".into(),
            source: ssmconf::StoreError::new(ssmconf::StoreErrorKind::Network, "refused"),
        };
        let f = Failure::from(store);
        assert_eq!(f.code, 3);
        assert!(f.message.starts_with("parameter store failed for `a`: network: refused\nhint: "), "{}", f.message);
        let unknown = ssmconf::Error::UnknownKey { key: "x".into(), suggestion: ssmconf::Suggestion(None) };
        assert_eq!(Failure::from(unknown).code, 2);
        let missing = ssmconf::Error::NotFound { key: "x".into(), ssm_param: None, steps: Vec::new() };
        assert_eq!(Failure::from(missing).code, 1);
    }
}
