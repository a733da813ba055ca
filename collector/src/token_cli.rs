//! `tenpoint token`: the owner shares a site's reports with a team without sharing the admin
//! token. A token is shown once, when added; the database keeps its hash, its site, a name
//! for people and a role, and a revoked token stays listed (who had access, until when).

use crate::auth::SiteTokenSecret;
use crate::report::rfc3339;
use crate::storage::{self, NewToken, Role, Store, now_ms};
use clap::{Args, Subcommand};
use std::process::ExitCode;
use tenpoint_shared::config::syntax::check_site_id;

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The collector's database (as for `tenpoint serve`).
    #[arg(
        long,
        env = "TENPOINT_DATABASE_URL",
        default_value = "tenpoint.db",
        global = true
    )]
    pub database: String,
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Add a token for one site and print it (the only time it is shown).
    Add {
        #[arg(long)]
        site: String,
        /// Who holds it, for `token list` ("Support team").
        #[arg(long)]
        name: String,
        /// viewer: the site's reports, responses and exports; admin: also erasing visitors.
        #[arg(long, value_enum, default_value = "viewer")]
        role: Role,
    },
    /// List the tokens (never their secrets), of one site or of all.
    List {
        #[arg(long)]
        site: Option<String>,
    },
    /// Revoke a token by the id `token list` shows; it stops working at once.
    Revoke { id: String },
}

/// Longest `--name`: a label for people, not a document.
const MAX_NAME_CHARS: usize = 100;

pub async fn run(args: TokenArgs) -> ExitCode {
    let store = match storage::connect(&args.database).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tenpoint token: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.command {
        TokenCommand::Add { site, name, role } => add(&*store, &site, &name, role).await,
        TokenCommand::List { site } => list(&*store, site.as_deref()).await,
        TokenCommand::Revoke { id } => revoke(&*store, &id).await,
    };
    store.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tenpoint token: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn add(store: &dyn Store, site: &str, name: &str, role: Role) -> Result<(), String> {
    check_site_id(site).map_err(|e| format!("--site: {e}"))?;
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(format!(
            "--name: 1–{MAX_NAME_CHARS} characters, no control characters"
        ));
    }
    let secret = SiteTokenSecret::generate().map_err(|e| e.to_string())?;
    store
        .add_token(&NewToken {
            id: &secret.id,
            site,
            name,
            role,
            sha256_hex: &secret.sha256_hex,
            created_at: now_ms(),
        })
        .await
        .map_err(|e| e.to_string())?;
    eprintln!(
        "Added {} token {} for site \"{site}\" ({name}). It is shown only now; keep it secret:",
        role.as_str(),
        secret.id
    );
    println!("{}", secret.token);
    Ok(())
}

async fn list(store: &dyn Store, site: Option<&str>) -> Result<(), String> {
    let tokens = store.tokens(site).await.map_err(|e| e.to_string())?;
    if tokens.is_empty() {
        eprintln!("no tokens");
        return Ok(());
    }
    println!("id\tsite\trole\tcreated\trevoked\tname");
    for t in tokens {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            t.id,
            t.site,
            t.role.as_str(),
            rfc3339(t.created_at),
            t.revoked_at.map(rfc3339).unwrap_or_else(|| "-".into()),
            t.name
        );
    }
    Ok(())
}

async fn revoke(store: &dyn Store, id: &str) -> Result<(), String> {
    if store
        .revoke_token(id, now_ms())
        .await
        .map_err(|e| e.to_string())?
    {
        eprintln!("Revoked token {id}.");
        Ok(())
    } else {
        Err(format!(
            "no live token {id:?} (`tenpoint token list` shows the ids)"
        ))
    }
}
