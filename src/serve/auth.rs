//! API keys and roles. Keys are held only as SHA-256 digests and compared in constant time
//! (`subtle`); a key never reaches a log line. Health, readiness, the OpenAPI document and the
//! docs page are open; everything else needs `Authorization: Bearer <key>` with a role that
//! grants the route (admin grants all).

use super::error::ApiError;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Lead and opportunity scoring, talk-track recommendations and feedback.
    Scorer,
    /// Forecasts, quota plans, analytics and the dashboard.
    Planner,
    /// Everything, including reload and metrics.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "scorer" => Some(Role::Scorer),
            "planner" => Some(Role::Planner),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn grants(self, needed: Role) -> bool {
        self == Role::Admin || self == needed
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Scorer => "scorer",
            Role::Planner => "planner",
            Role::Admin => "admin",
        }
    }
}

/// A configured key: its name (for logs), role and digest.
#[derive(Debug, Clone)]
pub struct Key {
    pub name: String,
    pub role: Role,
    pub digest: [u8; 32],
}

pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Parses a hex SHA-256 digest (64 hex digits).
pub fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random key: `lc_` and 40 hex digits from the OS's entropy.
pub fn generate() -> String {
    format!("lc_{}", to_hex(&random_bytes::<20>()))
}

/// Random bytes from `/dev/urandom`; where that cannot be read, a SHA-256 of the time, the
/// process ID and a counter (unpredictable enough for IDs, and the server logs the fallback).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use std::io::Read;
    let mut b = [0u8; N];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).is_ok() {
        return b;
    }
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = Sha256::new();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    h.update(now.as_nanos().to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.update(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_le_bytes());
    let d = h.finalize();
    for (i, x) in b.iter_mut().enumerate() {
        *x = d[i % d.len()];
    }
    b
}

/// The request's `Authorization` header, for handlers on the hot path: taking the whole
/// `HeaderMap` as an extractor copies every header.
pub struct Authorization(pub Option<HeaderValue>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Authorization {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Authorization(parts.headers.get(axum::http::header::AUTHORIZATION).cloned()))
    }
}

/// The keys the server accepts; `None` when authentication is off (`--no-auth`).
#[derive(Debug, Clone, Default)]
pub struct Keys {
    pub keys: Option<Vec<Key>>,
}

impl Keys {
    /// Checks the request's bearer key for `needed`: 401 without a (valid) key, 403 when the
    /// key's role does not grant it. Returns the key's name for the log.
    pub fn check(&self, headers: &HeaderMap, needed: Role) -> Result<&str, ApiError> {
        self.check_header(headers.get(axum::http::header::AUTHORIZATION), needed)
    }

    /// [`Keys::check`] on the `Authorization` header alone.
    pub fn check_header(&self, authorization: Option<&HeaderValue>, needed: Role) -> Result<&str, ApiError> {
        let Some(keys) = &self.keys else { return Ok("anonymous") };
        let presented = authorization
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let Some(presented) = presented.filter(|p| !p.is_empty()) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this endpoint needs an API key: send `Authorization: Bearer <key>`",
            ));
        };
        let d = digest(presented);
        // Compare against every key so timing does not tell which one matched.
        let mut found: Option<&Key> = None;
        for k in keys {
            if bool::from(k.digest.ct_eq(&d)) {
                found = Some(k);
            }
        }
        match found {
            None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "the API key is not valid")),
            Some(k) if !k.role.grants(needed) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("this endpoint needs the {} role; the key has {}", needed.as_str(), k.role.as_str()),
            )),
            Some(k) => Ok(&k.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn roles_missing_and_wrong_keys() {
        let keys = Keys {
            keys: Some(vec![
                Key { name: "crm".into(), role: Role::Scorer, digest: digest("s3cret") },
                Key { name: "ops".into(), role: Role::Admin, digest: digest("adm1n") },
            ]),
        };
        assert_eq!(keys.check(&headers("Bearer s3cret"), Role::Scorer).unwrap(), "crm");
        assert_eq!(keys.check(&headers("Bearer s3cret"), Role::Planner).unwrap_err().status, StatusCode::FORBIDDEN);
        assert_eq!(keys.check(&headers("Bearer adm1n"), Role::Planner).unwrap(), "ops");
        assert_eq!(keys.check(&headers("Bearer nope"), Role::Scorer).unwrap_err().status, StatusCode::UNAUTHORIZED);
        assert_eq!(keys.check(&HeaderMap::new(), Role::Scorer).unwrap_err().status, StatusCode::UNAUTHORIZED);
        assert!(Keys { keys: None }.check(&HeaderMap::new(), Role::Admin).is_ok());
    }

    #[test]
    fn digests_round_trip_through_hex() {
        let d = digest("k");
        assert_eq!(parse_digest(&to_hex(&d)), Some(d));
        assert_eq!(parse_digest("zz"), None);
        assert!(generate().starts_with("lc_") && generate() != generate());
    }
}
