//! `tenpoint seed` and the first start of `serve --demo`: demo answers for a site
//! ([`crate::seed`]), written once per database and site (a setting records it).

use crate::registry::Registry;
use crate::seed::{self, Plan};
use crate::storage::{self, Store, now_ms};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use tenpoint_shared::config::SiteConfig;

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The site to write answers for; its config decides the surveys and questions.
    #[arg(long)]
    pub site: String,
    /// Site config files or folders (as for `tenpoint serve`).
    #[arg(long, env = "TENPOINT_SITES", default_value = "sites")]
    pub sites: PathBuf,
    /// The collector's database (as for `tenpoint serve`).
    #[arg(long, env = "TENPOINT_DATABASE_URL", default_value = "tenpoint.db")]
    pub database: String,
    /// How far back the answers go.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=36))]
    pub months: u32,
    /// How many answers.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=2_000_000))]
    pub answers: u32,
    /// The same seed writes the same answers, so seeding twice with it adds nothing.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// The setting that says a site has its demo data.
fn seeded_key(site: &str) -> String {
    format!("demo_seeded:{site}")
}

pub async fn run(args: SeedArgs) -> ExitCode {
    let registry = match Registry::load(vec![args.sites.clone()]) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tenpoint seed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(site) = registry.get(&args.site) else {
        eprintln!(
            "tenpoint seed: no site \"{}\" in {}",
            args.site,
            args.sites.display()
        );
        return ExitCode::FAILURE;
    };
    let store = match storage::connect(&args.database).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tenpoint seed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let plan = Plan {
        months: args.months,
        answers: args.answers,
        seed: args.seed,
    };
    let code = match write(store.as_ref(), &site.config, &plan).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tenpoint seed: {e}");
            ExitCode::FAILURE
        }
    };
    store.close().await;
    code
}

async fn write(store: &dyn Store, config: &SiteConfig, plan: &Plan) -> Result<(), seed::SeedError> {
    let started = Instant::now();
    println!(
        "writing {} demo answers over {} months for site \"{}\"…",
        plan.answers, plan.months, config.site
    );
    let done = seed::seed(store, config, plan, now_ms()).await?;
    store
        .put_setting_if_absent(&seeded_key(&config.site), "1")
        .await?;
    println!(
        "wrote {} responses and {} displays in {:.1} s",
        done.responses,
        done.displays,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `serve --demo`: seeds each of `sites` once per database, before the collector listens.
pub async fn seed_demo_once(
    store: &dyn Store,
    registry: &Registry,
    sites: impl IntoIterator<Item = String>,
    plan: &Plan,
) -> Result<(), seed::SeedError> {
    for id in sites {
        let Some(site) = registry.get(&id) else {
            continue;
        };
        if store.setting(&seeded_key(&id)).await?.is_some() {
            continue;
        }
        write(store, &site.config, plan).await?;
    }
    Ok(())
}
