//! One-time sign-in links: `serve --demo` prints one, so that a newcomer opens a full dashboard
//! without copying a token. A link signs in as the admin once, within an hour of its issue, on
//! the collector that issued it (it lives in memory: a restart prints a new one). Only the
//! code's SHA-256 is kept and it is compared in constant time; the request log shows paths
//! only, never the query that carries the code.
//!
//! Opening the link shows a page with one button, and the button signs in (a POST, under the
//! dashboard's same-origin check): a GET that signed in would let any page sign a visitor into
//! this dashboard behind their back, and would be used up by link previews.

use super::{SignInPage, next_path, page_error, render, sessions};
use crate::error::ApiError;
use crate::http::AppState;
use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

/// How long a printed link works.
pub const LINK_LIFETIME: Duration = Duration::from_secs(3600);

/// Links not yet used.
#[derive(Default)]
pub struct SignInLinks {
    pending: Mutex<Vec<([u8; 32], Instant)>>,
}

impl std::fmt::Debug for SignInLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignInLinks(<redacted>)")
    }
}

fn sha256(code: &str) -> [u8; 32] {
    Sha256::digest(code.as_bytes()).into()
}

impl SignInLinks {
    /// A new code (32 random bytes, hex) good for one sign-in within [`LINK_LIFETIME`].
    pub fn issue(&self) -> Result<String, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        let code = hex::encode(bytes);
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        pending.retain(|(_, expires)| *expires > now);
        pending.push((sha256(&code), now + LINK_LIFETIME));
        Ok(code)
    }

    /// Whether `code` is a pending link; it is used up either way it matched.
    fn redeem(&self, code: &str, now: Instant) -> bool {
        let hash = sha256(code);
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        // Every entry is compared, so the time taken says nothing about which one matched.
        let found = pending.iter().position(|(h, _)| bool::from(h.ct_eq(&hash)));
        match found {
            Some(i) => pending.swap_remove(i).1 > now,
            None => false,
        }
    }
}

#[derive(Deserialize)]
pub struct CodeParam {
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/link.html")]
struct LinkPage {
    signed_in: bool,
    code: String,
}

/// `GET /dashboard/sign-in/link?code=…`: the page with the button.
pub async fn page(q: Result<Query<CodeParam>, QueryRejection>) -> Response {
    let code = q.ok().and_then(|Query(q)| q.code).unwrap_or_default();
    if code.is_empty() || code.len() > 128 {
        return used_up();
    }
    render(
        StatusCode::OK,
        &LinkPage {
            signed_in: false,
            code,
        },
    )
}

/// `POST /dashboard/sign-in/link`: signs in as the admin if the code is pending.
pub async fn redeem(
    State(state): State<Arc<AppState>>,
    session: Session,
    form: Result<Form<CodeParam>, FormRejection>,
) -> Response {
    let code = form.ok().and_then(|Form(f)| f.code).unwrap_or_default();
    if code.len() > 128 || !state.sign_in_links.redeem(code.trim(), Instant::now()) {
        return used_up();
    }
    let started = async {
        session.cycle_id().await?;
        session
            .insert(sessions::TOKEN_KEY, &state.admin.sha256_hex())
            .await
    };
    if let Err(e) = started.await {
        tracing::error!(error = %e, "dashboard session not stored");
        return page_error(ApiError::Unavailable);
    }
    Redirect::to(&next_path(None)).into_response()
}

fn used_up() -> Response {
    render(
        StatusCode::UNAUTHORIZED,
        &SignInPage {
            signed_in: false,
            next: next_path(None),
            message: Some(
                "This sign-in link was used already or has expired (links work once, for an hour, \
                 on the collector that printed them). Sign in with the admin token instead."
                    .into(),
            ),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_once_and_not_after_its_hour() {
        let links = SignInLinks::default();
        let a = links.issue().unwrap();
        let b = links.issue().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        let now = Instant::now();
        assert!(!links.redeem("not a code", now));
        assert!(links.redeem(&a, now));
        assert!(!links.redeem(&a, now), "used twice");
        assert!(!links.redeem(&b, now + LINK_LIFETIME + Duration::from_secs(1)));
        assert!(!links.redeem(&b, now), "an expired link is gone");
    }
}
