//! Sign-in sessions: tower-sessions' cookie and session handling over the collector's own
//! database (`Store::*_session`), so a session works on every collector of one PostgreSQL and
//! survives a restart, and a sign-out ends it everywhere. A session holds the SHA-256 of the
//! token it was signed in with, never the token; [`Signed`] asks what that hash opens on every
//! request, so revoking the token (or changing the admin token) ends its sessions at once.

use super::super::AppState;
use super::super::admin::Access;
use crate::error::ApiError;
use crate::storage::Store;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer, cookie::SameSite};

/// The session key of the signed-in token's SHA-256 (hex).
pub const TOKEN_KEY: &str = "token_sha256";
/// The cookie's name.
pub const COOKIE: &str = "tenpoint_session";
/// How long a session lasts from sign-in. The record is written at sign-in only (not on
/// every page view, which would be a database write per request), so this is its lifetime;
/// the cookie's `Max-Age` is renewed per response but outlives nothing the store has ended.
const LIFETIME: time::Duration = time::Duration::hours(8);

#[derive(Clone)]
pub struct DbSessions(pub Arc<dyn Store>);

impl std::fmt::Debug for DbSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessions")
    }
}

fn millis(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl SessionStore for DbSessions {
    /// A new id until one is free: ids are 128-bit random, so a second try is a formality.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let data = serde_json::to_string(&record)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            let stored = self
                .0
                .create_session(&record.id.to_string(), &data, millis(record.expiry_date))
                .await
                .map_err(backend)?;
            if stored {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(record)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        self.0
            .save_session(&record.id.to_string(), &data, millis(record.expiry_date))
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(data) = self
            .0
            .load_session(&id.to_string())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        serde_json::from_str(&data)
            .map(Some)
            .map_err(|e| session_store::Error::Decode(e.to_string()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}

/// The session layer of the dashboard's routes: `HttpOnly`, `SameSite=Strict` (a page of
/// another site cannot make the browser send it, which with [`super::same_origin`] keeps
/// every form CSRF-safe), `Secure` when told so, scoped to `/dashboard`, for [`LIFETIME`].
pub fn layer(store: Arc<dyn Store>, secure: bool) -> SessionManagerLayer<DbSessions> {
    SessionManagerLayer::new(DbSessions(store))
        .with_name(COOKIE)
        .with_path("/dashboard")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(LIFETIME))
}

/// A signed-in request: what its session's token opens now. Without a live one, the browser
/// is sent to the sign-in page and comes back here after it.
pub struct Signed {
    pub(in crate::http) access: Access,
}

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(status, msg)| (status, msg).into_response())?;
        let hash: Option<String> = session.get(TOKEN_KEY).await.map_err(|e| {
            tracing::error!(error = %e, "dashboard session unreadable");
            super::page_error(ApiError::Unavailable)
        })?;
        let access = match hash {
            Some(h) => Access::of_sha256(state, &h)
                .await
                .map_err(super::page_error)?,
            None => None,
        };
        match access {
            Some(access) => Ok(Signed { access }),
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map_or("/dashboard", |p| p.as_str());
                let to = format!("/dashboard/sign-in?next={}", super::urlencode(next));
                Err(Redirect::to(&to).into_response())
            }
        }
    }
}
