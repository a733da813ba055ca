//! Access tokens for a site's team (migration `000N_access_tokens.sql`): added, listed and
//! revoked by `tenpoint token`, looked up by the hash of what a request presents. The token
//! itself is never stored: a random 256-bit secret needs no slow hash, and a lookup by its
//! SHA-256 tells nothing about other tokens.

use super::backend::Backend;
use super::{Millis, StoreError};
use sqlx::Pool;
use std::marker::PhantomData;

/// What a site token may do. A viewer reads one site's reports, listings and exports; an
/// admin may also erase its visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    Viewer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        use clap::ValueEnum;
        Role::value_variants()
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
    }
}

/// A token as listed: everything but the secret (which is not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub id: String,
    pub site: String,
    pub name: String,
    pub role: Role,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// A new token's row: its hash in place of the secret.
pub struct NewToken<'a> {
    pub id: &'a str,
    pub site: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub sha256_hex: &'a str,
    pub created_at: Millis,
}

/// What a live token opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub site: String,
    pub role: Role,
}

#[derive(sqlx::FromRow)]
pub(super) struct TokenRow {
    id: String,
    site: String,
    name: String,
    role: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TokenRow {
    fn token(self) -> Result<AccessToken, StoreError> {
        Ok(AccessToken {
            role: role(&self.role)?,
            id: self.id,
            site: self.site,
            name: self.name,
            created_at: self.created_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// The table's CHECK allows only the two roles; anything else is a database changed by hand.
fn role(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| StoreError::Database(format!("unknown token role {s:?}")))
}

#[derive(sqlx::FromRow)]
pub(super) struct GrantRow {
    site: String,
    role: String,
}

pub(super) struct Tokens<DB>(PhantomData<DB>);

impl<DB: Backend> Tokens<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> TokenRow: sqlx::FromRow<'r, DB::Row>,
    for<'r> GrantRow: sqlx::FromRow<'r, DB::Row>,
{
    pub(super) async fn add(pool: &Pool<DB>, t: &NewToken<'_>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO access_tokens (id, site, name, role, token_sha256, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(t.id)
        .bind(t.site)
        .bind(t.name)
        .bind(t.role.as_str())
        .bind(t.sha256_hex)
        .bind(t.created_at)
        .execute(pool)
        .await?;
        Ok(())
    }

    pub(super) async fn list(
        pool: &Pool<DB>,
        site: Option<&str>,
    ) -> Result<Vec<AccessToken>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, site, name, role, created_at, revoked_at FROM access_tokens
             WHERE $1 = '' OR site = $1 ORDER BY site, created_at, id",
        )
        .bind(site.unwrap_or(""))
        .fetch_all(pool)
        .await?;
        rows.into_iter().map(TokenRow::token).collect()
    }

    /// Whether a live token had that id (a revoked one stays revoked at its first time).
    pub(super) async fn revoke(pool: &Pool<DB>, id: &str, at: Millis) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE access_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(at)
        .execute(pool)
        .await?;
        Ok(DB::rows_affected(&done) == 1)
    }

    pub(super) async fn grant(
        pool: &Pool<DB>,
        sha256_hex: &str,
    ) -> Result<Option<Grant>, StoreError> {
        let row: Option<GrantRow> = sqlx::query_as(
            "SELECT site, role FROM access_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL",
        )
        .bind(sha256_hex)
        .fetch_optional(pool)
        .await?;
        row.map(|r| {
            Ok(Grant {
                role: role(&r.role)?,
                site: r.site,
            })
        })
        .transpose()
    }
}
