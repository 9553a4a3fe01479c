//! What one Redis value of the shared tier holds, and how it is
//! authenticated and encrypted.
//!
//! A stored value is `ssmconf1.TAG.BODY`: `BODY` is a JSON [`Record`] and
//! `TAG` is the base64 of an HMAC-SHA256 over the Redis key name, a zero
//! byte and `BODY` (`-` without a key), so a value can neither be changed
//! nor moved to another key by anyone without the key. With a key, the SSM
//! text of a secure entry is sealed with AES-256-GCM (a random 96-bit nonce
//! per write, the Redis key name as associated data) and only the sealed
//! bytes are stored. The HMAC and AES keys are derived from the user's key
//! (HMAC-SHA256 of it over two fixed labels), never used as they are. Every
//! primitive is aws-lc-rs, which the AWS SDK builds anyway.

use aws_lc_rs::{aead, hmac, rand};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

/// The first part of every stored value: the format's name and version.
const MAGIC: &str = "ssmconf1";
/// The most bytes a stored value may have (SSM's advanced tier: 8 KB).
const MAX_STORED: usize = 64 * 1024;

/// What a fetch came to, as the fleet shares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    /// SSM gave a value.
    Found,
    /// SSM said the parameter does not exist.
    Missing,
    /// The fetch failed; the others should not ask SSM again now.
    Failed,
}

/// One shared outcome. Holds a secure value only sealed.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Record {
    #[serde(rename = "k")]
    pub(crate) kind: Kind,
    /// The SSM text, for a non-secure entry.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub(crate) raw: Option<String>,
    /// The sealed SSM text (base64 of nonce and ciphertext), for a secure one.
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    pub(crate) sealed: Option<String>,
    /// The parameter's version (0 unless found).
    #[serde(rename = "v", default)]
    pub(crate) version: i64,
    /// When it was fetched, in milliseconds since the epoch.
    #[serde(rename = "t")]
    pub(crate) fetched_ms: u64,
    /// Who fetched it: `host/pid`.
    #[serde(rename = "b", default)]
    pub(crate) by: String,
    /// Why a fetch failed (never a value).
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No raw value: it may be secure once opened.
        f.debug_struct("Record")
            .field("kind", &self.kind)
            .field("version", &self.version)
            .field("fetched_ms", &self.fetched_ms)
            .field("by", &self.by)
            .finish_non_exhaustive()
    }
}

/// One key of the user's list: derived HMAC and AES keys.
struct Key {
    mac: hmac::Key,
    seal: aead::LessSafeKey,
}

/// The user's keys: the first signs and seals, any verifies and opens.
pub(crate) struct Keys(Vec<Key>);

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({} ** redacted **)", self.0.len())
    }
}

impl Keys {
    /// Parses a list of keys: each 32 bytes as hex (64 digits) or base64
    /// (standard or URL-safe, padded or not), separated by commas or white
    /// space. The error names the position of a bad key, never its text.
    pub(crate) fn parse(text: &str) -> Result<Keys, String> {
        let parts: Vec<&str> = text.split(|c: char| c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            return Err("no key given: expected 32 bytes as 64 hex digits or base64".into());
        }
        let mut keys = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let bytes = decode_key(part).ok_or_else(|| {
                format!(
                    "key {} of {} is not 32 bytes as 64 hex digits or base64 (it has {} characters)",
                    i + 1,
                    parts.len(),
                    part.len()
                )
            })?;
            keys.push(Key::derive(&bytes));
        }
        Ok(Keys(keys))
    }

    fn signer(&self) -> &Key {
        &self.0[0]
    }
}

impl Key {
    fn derive(secret: &[u8; 32]) -> Key {
        let root = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let mac = hmac::sign(&root, b"ssmconf shared cache 1: authenticate");
        let seal = hmac::sign(&root, b"ssmconf shared cache 1: encrypt");
        let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, seal.as_ref()).expect("32 bytes make an AES-256 key");
        Key { mac: hmac::Key::new(hmac::HMAC_SHA256, mac.as_ref()), seal: aead::LessSafeKey::new(unbound) }
    }
}

fn decode_key(text: &str) -> Option<[u8; 32]> {
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()).collect::<Option<Vec<u8>>>()?
    } else {
        [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD].iter().find_map(|e| e.decode(text).ok())?
    };
    bytes.try_into().ok()
}

fn signed_bytes(name: &str, body: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(name.len() + 1 + body.len());
    data.extend_from_slice(name.as_bytes());
    data.push(0);
    data.extend_from_slice(body.as_bytes());
    data
}

/// Why a stored value was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not a value this format writes.
    Garbled(&'static str),
    /// With a key: no tag, or a tag no key verifies.
    Unauthenticated,
    /// A secure entry's value that is not sealed, or does not open.
    NotSealed,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Garbled(why) => write!(f, "not a shared cache value ({why})"),
            Refused::Unauthenticated => f.write_str("its tag does not verify with any shared cache key"),
            Refused::NotSealed => f.write_str("a secure entry's value that is not sealed with a shared cache key"),
        }
    }
}

/// Encodes `record` for the Redis key `name`. `secret` is the SSM text of
/// a secure entry, sealed into the record (only with keys: a secure entry
/// without keys never reaches this).
pub(crate) fn encode(keys: Option<&Keys>, name: &str, mut record: Record, secret: Option<&str>) -> Vec<u8> {
    if let (Some(keys), Some(secret)) = (keys, secret) {
        let mut nonce = [0u8; aead::NONCE_LEN];
        rand::fill(&mut nonce).expect("the system's random source works");
        let mut in_out = secret.as_bytes().to_vec();
        keys.signer()
            .seal
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(name.as_bytes()),
                &mut in_out,
            )
            .expect("AES-GCM seals any length a parameter has");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&in_out);
        record.sealed = Some(STANDARD.encode(sealed));
        record.raw = None;
    }
    let body = serde_json::to_string(&record).expect("a record serializes");
    let tag = match keys {
        Some(keys) => STANDARD.encode(hmac::sign(&keys.signer().mac, &signed_bytes(name, &body))),
        None => "-".to_string(),
    };
    format!("{MAGIC}.{tag}.{body}").into_bytes()
}

/// Decodes the value stored at the Redis key `name`: checks the tag with
/// `keys` (any of them), and opens a sealed value. Answers the record and,
/// for a found value, its SSM text. `secure`: the entry is secure, so its
/// value must be sealed (and there must be keys).
pub(crate) fn decode(
    keys: Option<&Keys>,
    name: &str,
    stored: &[u8],
    secure: bool,
) -> Result<(Record, Option<String>), Refused> {
    if stored.len() > MAX_STORED {
        return Err(Refused::Garbled("too long"));
    }
    let text = std::str::from_utf8(stored).map_err(|_| Refused::Garbled("not UTF-8"))?;
    let mut parts = text.splitn(3, '.');
    let (Some(MAGIC), Some(tag), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Refused::Garbled("no `ssmconf1.` prefix"));
    };
    let key = match keys {
        None => None,
        Some(keys) => {
            let tag = STANDARD.decode(tag).map_err(|_| Refused::Unauthenticated)?;
            let data = signed_bytes(name, body);
            Some(keys.0.iter().find(|k| hmac::verify(&k.mac, &data, &tag).is_ok()).ok_or(Refused::Unauthenticated)?)
        }
    };
    let record: Record = serde_json::from_str(body).map_err(|_| Refused::Garbled("not a record"))?;
    if record.kind != Kind::Found {
        return Ok((record, None));
    }
    let raw = match (secure, key, &record.sealed, &record.raw) {
        (false, _, None, Some(raw)) => raw.clone(),
        (true, Some(key), Some(sealed), None) => open(key, name, sealed).ok_or(Refused::NotSealed)?,
        (true, _, _, _) => return Err(Refused::NotSealed),
        (false, _, _, _) => return Err(Refused::Garbled("a found value without its text")),
    };
    Ok((record, Some(raw)))
}

fn open(key: &Key, name: &str, sealed: &str) -> Option<String> {
    let bytes = STANDARD.decode(sealed).ok()?;
    if bytes.len() < aead::NONCE_LEN {
        return None;
    }
    let (nonce, rest) = bytes.split_at(aead::NONCE_LEN);
    let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut in_out = rest.to_vec();
    let plain = key.seal.open_in_place(nonce, aead::Aad::from(name.as_bytes()), &mut in_out).ok()?;
    String::from_utf8(plain.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn found(raw: &str) -> Record {
        Record {
            kind: Kind::Found,
            raw: Some(raw.into()),
            sealed: None,
            version: 3,
            fetched_ms: 1,
            by: "h/1".into(),
            message: None,
        }
    }

    fn k2() -> String {
        STANDARD.encode([7u8; 32])
    }

    #[test]
    fn keys_parse_as_hex_or_base64_and_errors_never_show_the_key() {
        assert_eq!(Keys::parse(K1).unwrap().0.len(), 1);
        assert_eq!(Keys::parse(&format!("{}, {}", k2(), K1)).unwrap().0.len(), 2);
        assert_eq!(Keys::parse(&URL_SAFE_NO_PAD.encode([9u8; 32])).unwrap().0.len(), 1);
        let err = Keys::parse("tooshortsecret").unwrap_err();
        assert_eq!(err, "key 1 of 1 is not 32 bytes as 64 hex digits or base64 (it has 14 characters)");
        assert!(!err.contains("tooshort"));
        assert!(Keys::parse(" , ").is_err());
        assert!(Keys::parse(&STANDARD.encode([1u8; 31])).is_err(), "31 bytes");
        assert!(format!("{:?}", Keys::parse(K1).unwrap()).contains("redacted"));
    }

    #[test]
    fn without_keys_a_value_round_trips_unsigned() {
        let stored = encode(None, "n", found("x"), None);
        assert!(stored.starts_with(b"ssmconf1.-.{"));
        let (record, raw) = decode(None, "n", &stored, false).unwrap();
        assert_eq!((record.version, raw.as_deref()), (3, Some("x")));
        assert_eq!(decode(None, "n", &stored, true).unwrap_err(), Refused::NotSealed, "secure needs sealing");
        assert!(matches!(decode(None, "n", b"garbage", false), Err(Refused::Garbled(_))));
        assert!(matches!(decode(None, "n", &[0xff, 0xfe], false), Err(Refused::Garbled(_))));
    }

    #[test]
    fn with_keys_a_changed_or_moved_value_does_not_verify() {
        let keys = Keys::parse(K1).unwrap();
        let stored = encode(Some(&keys), "a", found("GPT_4O"), None);
        assert_eq!(decode(Some(&keys), "a", &stored, false).unwrap().1.as_deref(), Some("GPT_4O"));
        assert_eq!(decode(Some(&keys), "b", &stored, false).unwrap_err(), Refused::Unauthenticated, "moved");
        let forged = String::from_utf8(stored.clone()).unwrap().replace("GPT_4O", "GPT_5X");
        assert_eq!(decode(Some(&keys), "a", forged.as_bytes(), false).unwrap_err(), Refused::Unauthenticated);
        let unsigned = encode(None, "a", found("GPT_4O"), None);
        assert_eq!(decode(Some(&keys), "a", &unsigned, false).unwrap_err(), Refused::Unauthenticated);
    }

    #[test]
    fn rotation_first_key_signs_any_verifies() {
        let old = Keys::parse(K1).unwrap();
        let both = Keys::parse(&format!("{},{K1}", k2())).unwrap();
        let new_only = Keys::parse(&k2()).unwrap();
        let by_old = encode(Some(&old), "n", found("v"), None);
        assert!(decode(Some(&both), "n", &by_old, false).is_ok(), "the old key still verifies");
        let by_both = encode(Some(&both), "n", found("v"), None);
        assert!(decode(Some(&new_only), "n", &by_both, false).is_ok(), "signed by the first (new) key");
        assert!(decode(Some(&old), "n", &by_both, false).is_err());
    }

    #[test]
    fn sealed_secrets_never_appear_and_open_only_at_their_key() {
        let keys = Keys::parse(K1).unwrap();
        let secret = "hf_s3cr3t_value_123";
        let a = encode(Some(&keys), "a", found(secret), Some(secret));
        let b = encode(Some(&keys), "a", found(secret), Some(secret));
        assert_ne!(a, b, "a random nonce per write");
        for stored in [&a, &b] {
            assert!(!String::from_utf8_lossy(stored).contains(secret));
        }
        assert_eq!(decode(Some(&keys), "a", &a, true).unwrap().1.as_deref(), Some(secret));
        assert!(decode(Some(&keys), "b", &a, true).is_err(), "another key name");
        let plain = encode(Some(&keys), "a", found(secret), None);
        assert_eq!(decode(Some(&keys), "a", &plain, true).unwrap_err(), Refused::NotSealed);
    }
}
