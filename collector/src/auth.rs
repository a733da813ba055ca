//! The admin token. Only its SHA-256 is kept (in memory, and in the database when Tenpoint
//! generated it), requests are compared in constant time, and the token itself is printed once,
//! when generated, and never logged.

use crate::error::ApiError;
use crate::storage::{Store, StoreError};
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const SETTING: &str = "admin_token_sha256";
/// Shorter tokens are refused at startup: they could be guessed.
pub const MIN_TOKEN_CHARS: usize = 16;

#[derive(Clone)]
pub struct AdminToken {
    hash: [u8; 32],
}

/// How the token was set up, for the startup message.
pub enum TokenSource {
    /// Given on the command line or in the environment.
    Given,
    /// Generated now; this is the only time it can be shown.
    Generated(String),
    /// Generated on an earlier start; only its hash is stored.
    Stored,
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

fn sha256(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

impl AdminToken {
    pub fn from_token(token: &str) -> Self {
        AdminToken {
            hash: sha256(token),
        }
    }

    /// Uses `given` when set; otherwise the token stored by an earlier start; otherwise
    /// generates one and stores its hash (several collectors starting together agree on one).
    pub async fn setup(
        given: Option<&str>,
        store: &dyn Store,
    ) -> Result<(AdminToken, TokenSource), SetupError> {
        if let Some(t) = given {
            if t.chars().count() < MIN_TOKEN_CHARS {
                return Err(SetupError::TooShort);
            }
            return Ok((AdminToken::from_token(t), TokenSource::Given));
        }
        if let Some(stored) = Self::stored(store).await? {
            return Ok((stored, TokenSource::Stored));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| SetupError::Random(e.to_string()))?;
        let token = hex::encode(bytes);
        let hash = hex::encode(sha256(&token));
        if store.put_setting_if_absent(SETTING, &hash).await? {
            Ok((
                AdminToken::from_token(&token),
                TokenSource::Generated(token),
            ))
        } else {
            // Another collector won the race; its token is the one.
            Self::stored(store)
                .await?
                .map(|t| (t, TokenSource::Stored))
                .ok_or(SetupError::Lost)
        }
    }

    async fn stored(store: &dyn Store) -> Result<Option<AdminToken>, SetupError> {
        let Some(hex_hash) = store.setting(SETTING).await? else {
            return Ok(None);
        };
        let mut hash = [0u8; 32];
        hex::decode_to_slice(hex_hash.trim(), &mut hash).map_err(|_| SetupError::Corrupt)?;
        Ok(Some(AdminToken { hash }))
    }

    /// Forgets the stored token so the next start generates a new one.
    pub async fn reset(store: &dyn Store) -> Result<(), StoreError> {
        store.delete_setting(SETTING).await
    }

    /// The token's SHA-256 in hex, as a dashboard session keeps it (a one-time sign-in link
    /// starts an admin session without the token).
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.hash)
    }

    /// Whether `sha256_hex` is this token's SHA-256 (a dashboard session keeps the hash of
    /// the token it was signed in with, never the token).
    pub fn matches_sha256_hex(&self, sha256_hex: &str) -> bool {
        let mut hash = [0u8; 32];
        hex::decode_to_slice(sha256_hex, &mut hash).is_ok() && bool::from(hash.ct_eq(&self.hash))
    }

    pub fn verify(&self, presented: &str) -> bool {
        sha256(presented).ct_eq(&self.hash).into()
    }

    /// Checks `Authorization: Bearer <token>` against the admin token.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        match bearer(headers) {
            Some(t) if self.verify(t) => Ok(()),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

/// The token of `Authorization: Bearer <token>`; the scheme in any case, as RFC 7235 has it.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.trim())
}

/// A site token's secret and what is stored of it: 256 random bits, so its SHA-256 (hex) is
/// enough to find it by and a leaked table cannot be turned back into tokens.
pub struct SiteTokenSecret {
    /// Shown once, to whoever ran `tenpoint token add`.
    pub token: String,
    pub sha256_hex: String,
    /// The public handle for `token list` and `token revoke`.
    pub id: String,
}

impl SiteTokenSecret {
    pub fn generate() -> Result<Self, SetupError> {
        let mut secret = [0u8; 32];
        let mut id = [0u8; 6];
        getrandom::fill(&mut secret).map_err(|e| SetupError::Random(e.to_string()))?;
        getrandom::fill(&mut id).map_err(|e| SetupError::Random(e.to_string()))?;
        let token = format!("tp_{}", hex::encode(secret));
        Ok(SiteTokenSecret {
            sha256_hex: token_sha256_hex(&token),
            token,
            id: hex::encode(id),
        })
    }
}

/// How a presented token is looked up among the site tokens.
pub fn token_sha256_hex(token: &str) -> String {
    hex::encode(sha256(token))
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the admin token must be at least {MIN_TOKEN_CHARS} characters")]
    TooShort,
    #[error("cannot generate a token: {0}")]
    Random(String),
    #[error(
        "the stored admin token hash is corrupt; reset it with `tenpoint serve --reset-admin-token`"
    )]
    Corrupt,
    #[error("another collector set up the admin token, but it cannot be read back")]
    Lost,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn verifies_only_the_right_token() {
        let t = AdminToken::from_token("correct horse battery staple");
        assert!(t.verify("correct horse battery staple"));
        assert!(!t.verify("correct horse battery stapl"));
        assert!(!t.verify(""));
        let mut h = HeaderMap::new();
        assert!(t.check(&h).is_err());
        h.insert(
            "authorization",
            HeaderValue::from_static("Bearer correct horse battery staple"),
        );
        assert!(t.check(&h).is_ok());
        h.insert(
            "authorization",
            HeaderValue::from_static("Basic Y29ycmVjdA=="),
        );
        assert!(t.check(&h).is_err());
        assert_eq!(format!("{t:?}"), "AdminToken(<redacted>)");
    }

    #[test]
    fn the_scheme_is_case_insensitive() {
        let t = AdminToken::from_token("correct horse battery staple");
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let mut h = HeaderMap::new();
            let value = format!("{scheme} correct horse battery staple");
            h.insert("authorization", HeaderValue::from_str(&value).unwrap());
            assert!(t.check(&h).is_ok(), "{scheme}");
        }
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_static("Bearercorrect horse battery staple"),
        );
        assert!(t.check(&h).is_err());
    }
}
