//! The access key a bucket is reached with: from `AWS_ACCESS_KEY_ID` and
//! `AWS_SECRET_ACCESS_KEY`, or from a credentials file in the AWS shared format
//! (`[default]`, `aws_access_key_id = …`, `aws_secret_access_key = …`).
//!
//! The secret never leaves this module but through the signature: `Debug` hides
//! it, errors name the file and the line, never a value.

use std::fmt;
use std::path::Path;

use super::error::S3Error;

/// The largest credentials file read.
const MAX_FILE: u64 = 64 * 1024;

/// An access key id and its secret.
#[derive(Clone)]
pub struct Credentials {
    pub(super) access_key_id: String,
    pub(super) secret_access_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials { .. }")
    }
}

impl Credentials {
    pub fn new(access_key_id: String, secret_access_key: String) -> Credentials {
        Credentials {
            access_key_id,
            secret_access_key,
        }
    }

    /// From a credentials file when one is given, else from the environment.
    pub fn load(file: Option<&Path>) -> Result<Credentials, S3Error> {
        match file {
            Some(path) => Credentials::from_file(path, "default"),
            None => Credentials::from_env(),
        }
    }

    /// From `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
    pub fn from_env() -> Result<Credentials, S3Error> {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or(S3Error::NoCredentials { missing: name })
        };
        Ok(Credentials::new(
            var("AWS_ACCESS_KEY_ID")?.trim().to_string(),
            var("AWS_SECRET_ACCESS_KEY")?.trim().to_string(),
        ))
    }

    /// From the `profile` section of a credentials file (keys before any section
    /// count as `default`).
    pub fn from_file(path: &Path, profile: &str) -> Result<Credentials, S3Error> {
        let bad = |reason: String| S3Error::CredentialsFile {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = crate::util::fs::read_bounded(path, MAX_FILE)
            .map_err(|e| bad(format!("cannot read it: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|_| bad("it is not UTF-8".into()))?;
        parse(&text, profile).map_err(bad)
    }
}

fn parse(text: &str, profile: &str) -> Result<Credentials, String> {
    let mut section = "default".to_string();
    let (mut id, mut secret) = (None, None);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!(
                "line {}: expected `name = value` or `[profile]`",
                n + 1
            ));
        };
        if section != profile {
            continue;
        }
        match key.trim() {
            "aws_access_key_id" => id = Some(value.trim().to_string()),
            "aws_secret_access_key" => secret = Some(value.trim().to_string()),
            _ => {}
        }
    }
    match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            Ok(Credentials::new(id, secret))
        }
        _ => Err(format!(
            "expected `aws_access_key_id` and `aws_secret_access_key` under `[{profile}]`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shared_file_format() {
        let text = "# keys\n[other]\naws_access_key_id = X\n[default]\naws_access_key_id = AKID\naws_secret_access_key=s3cr3t/+=\n";
        let c = parse(text, "default").unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.as_str()),
            ("AKID", "s3cr3t/+=")
        );
        assert_eq!(
            parse(text, "other").unwrap_err(),
            "expected `aws_access_key_id` and `aws_secret_access_key` under `[other]`"
        );
        assert_eq!(
            parse("junk\n", "default").unwrap_err(),
            "line 1: expected `name = value` or `[profile]`"
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let c = Credentials::new("AKID".into(), "s3cr3t".into());
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
