//! The `tenpoint` command line. Every flag of `serve` can also come from the environment, so a
//! container needs no arguments.

use crate::auth::{AdminToken, TokenSource};
use crate::connections::ConnLimits;
use crate::export::CsvLayout;
use crate::ratelimit::Limits;
use crate::server::{Application, ServeConfig, shutdown_signal};
use crate::sites;
use crate::storage::{self, Period, ResponseFilter};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::collections::BTreeSet;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "tenpoint",
    version,
    about = "Self-hosted website feedback: NPS, CSAT, CES and GAP surveys"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the collector.
    Serve(ServeArgs),
    /// Validate site config files (or folders of them); print every problem and exit 1 if any.
    Check {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of site configs, for editors (`"$schema"` in a config).
    Schema,
    /// Write a site's responses as CSV or JSON lines.
    Export(ExportArgs),
    /// Tokens that open one site's reports and exports to a team: add, list, revoke.
    Token(crate::token_cli::TokenArgs),
    /// Write months of realistic demo answers for a site, through the same checks and
    /// write path as real ones (`serve --demo` does it once on its first start).
    Seed(crate::seed_cli::SeedArgs),
    /// Print the size of the embedded widget files (raw, gzip, brotli bytes) and, with
    /// `--sites`, of each site's public config: what a page fetches with and without a survey.
    WidgetSize {
        /// Site config files or folders (e.g. examples/sites).
        #[arg(long, value_name = "PATH")]
        sites: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TENPOINT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// `postgres://…` for PostgreSQL; otherwise an SQLite file (created if missing).
    /// Default: tenpoint.db, or tenpoint-demo.db with --demo.
    #[arg(long, env = "TENPOINT_DATABASE_URL")]
    pub database: Option<String>,
    /// A folder of site config files (*.json) or one file. Default: sites/, or examples/sites with --demo.
    #[arg(long, env = "TENPOINT_SITES")]
    pub sites: Option<PathBuf>,
    /// Token for the admin API (at least 16 characters). Without it, one is generated on first
    /// start, printed once, and only its hash is kept in the database.
    #[arg(long, env = "TENPOINT_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Serve the demo shop in examples/demo with the example sites; on the first start, write
    /// six months of demo answers for the demo pages' sites (see `tenpoint seed`).
    #[arg(long)]
    pub demo: bool,
    /// With --demo: how many demo answers the first start writes (0: none).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(0..=2_000_000))]
    pub demo_answers: u32,
    #[arg(long, env = "TENPOINT_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Requests per second from one IP address (0: no limit).
    #[arg(long, env = "TENPOINT_RATE_PER_IP", default_value_t = Limits::default().per_ip)]
    pub rate_per_ip: u32,
    /// Requests per second from one network, an IPv4 /24 or IPv6 /64 (0: no limit).
    #[arg(long, env = "TENPOINT_RATE_PER_NETWORK", default_value_t = Limits::default().per_network)]
    pub rate_per_network: u32,
    /// Valid submissions per second to one site, from everyone together (0: no limit).
    #[arg(long, env = "TENPOINT_RATE_PER_SITE", default_value_t = Limits::default().per_site)]
    pub rate_per_site: u32,
    /// Behind a reverse proxy: take the client address from the last X-Forwarded-For hop.
    #[arg(long, env = "TENPOINT_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Mark the dashboard's session cookie `Secure` (browsers then send it over HTTPS only):
    /// for a collector served over HTTPS by a reverse proxy.
    #[arg(long, env = "TENPOINT_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Forget the generated admin token so that this start generates and prints a new one.
    #[arg(long)]
    pub reset_admin_token: bool,
    /// Do not watch site config files for changes (reload with SIGHUP instead), for file
    /// systems without change events.
    #[arg(long, env = "TENPOINT_NO_WATCH")]
    pub no_watch: bool,
    /// Seconds a client has to send a request's headers, from connecting or from its first
    /// byte after the previous response (against connections that send nothing).
    #[arg(long, env = "TENPOINT_HEADER_TIMEOUT", value_name = "SECS",
          default_value_t = ConnLimits::default().header_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a submission's body has to arrive; slower ones get 408.
    #[arg(long, env = "TENPOINT_BODY_TIMEOUT", value_name = "SECS",
          default_value_t = ConnLimits::default().body_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: u64,
    /// Seconds an idle keep-alive connection stays open (and a write may make no progress).
    /// Keep it above a reverse proxy's upstream keep-alive (often 60 s).
    #[arg(long, env = "TENPOINT_IDLE_TIMEOUT", value_name = "SECS",
          default_value_t = ConnLimits::default().idle_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Open connections at most; more are answered 503 at once. Default: the open-file limit
    /// less 64, at most 1024.
    #[arg(long, env = "TENPOINT_MAX_CONNECTIONS", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: Option<u64>,
    /// Open connections from one client address (an IPv6 /64) at most; more are answered 429
    /// at once (0: no cap). Not applied with --trust-forwarded-for: every connection is the proxy's.
    #[arg(long, env = "TENPOINT_MAX_CONNECTIONS_PER_ADDRESS", value_name = "N",
          default_value_t = ConnLimits::default().max_per_address)]
    pub max_connections_per_address: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, env = "TENPOINT_DATABASE_URL", default_value = "tenpoint.db")]
    pub database: String,
    #[arg(long)]
    pub site: String,
    #[arg(long)]
    pub survey: Option<String>,
    /// Site configs, for the CSV's question columns (JSON lines need none).
    #[arg(long, env = "TENPOINT_SITES")]
    pub sites: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Only responses at or after this time (RFC 3339), and before `--to`.
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check { files } => check(&files),
        Command::Schema => {
            print!("{}", tenpoint_shared::config::schema_json_text());
            ExitCode::SUCCESS
        }
        Command::WidgetSize { sites } => {
            print!("{}", crate::widget::size_report());
            if sites.is_empty() {
                return ExitCode::SUCCESS;
            }
            // Loaded as `serve` loads them, so the config sizes are those it serves.
            match crate::registry::Registry::load(sites) {
                Ok(registry) => {
                    print!("{}", crate::widget::config_size_report(&registry.current()));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve(args) => runtime().map_or(ExitCode::FAILURE, |rt| rt.block_on(serve(args))),
        Command::Export(args) => {
            runtime().map_or(ExitCode::FAILURE, |rt| rt.block_on(export(args)))
        }
        Command::Token(args) => runtime().map_or(ExitCode::FAILURE, |rt| {
            rt.block_on(crate::token_cli::run(args))
        }),
        Command::Seed(args) => runtime().map_or(ExitCode::FAILURE, |rt| {
            rt.block_on(crate::seed_cli::run(args))
        }),
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .inspect_err(|e| eprintln!("cannot start the async runtime: {e}"))
        .ok()
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    init_logging(args.log_format);
    let database = args.database.clone().unwrap_or_else(|| {
        if args.demo {
            "sqlite:tenpoint-demo.db".into()
        } else {
            "sqlite:tenpoint.db".into()
        }
    });
    let sites = args.sites.clone().unwrap_or_else(|| {
        if args.demo {
            "examples/sites".into()
        } else {
            "sites".into()
        }
    });
    let static_dir = args
        .demo
        .then(|| PathBuf::from("examples/demo"))
        .filter(|d| d.is_dir());
    if args.reset_admin_token {
        match storage::connect(&database).await {
            Ok(store) => {
                if let Err(e) = AdminToken::reset(store.as_ref()).await {
                    eprintln!("cannot reset the admin token: {e}");
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let cfg = ServeConfig {
        listen: args.listen,
        database,
        sites: vec![sites],
        admin_token: args.admin_token.clone(),
        limits: Limits {
            per_ip: args.rate_per_ip,
            per_network: args.rate_per_network,
            per_network_burst: (4 * args.rate_per_network).max(args.rate_per_network),
            per_site: args.rate_per_site,
            ..Limits::default()
        },
        trust_forwarded_for: args.trust_forwarded_for,
        secure_cookies: args.secure_cookies,
        static_dir: static_dir.clone(),
        watch: !args.no_watch,
        connections: ConnLimits {
            header_timeout: Duration::from_secs(args.header_timeout),
            body_timeout: Duration::from_secs(args.body_timeout),
            idle_timeout: Duration::from_secs(args.idle_timeout),
            max_connections: args
                .max_connections
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            max_per_address: args.max_connections_per_address,
            ..ConnLimits::default()
        },
    };
    let app = match Application::build(cfg).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("tenpoint: {e}");
            return ExitCode::FAILURE;
        }
    };
    let demo_sites = static_dir.as_deref().map(sites_in_pages);
    if let Some(sites) = demo_sites.as_ref().filter(|_| args.demo_answers > 0) {
        let plan = crate::seed::Plan {
            months: 6,
            answers: args.demo_answers,
            seed: 1,
        };
        // The demo still serves without its data; it only says why the dashboard is empty.
        if let Err(e) = app.seed_demo(sites.iter().cloned(), &plan).await {
            eprintln!("tenpoint: no demo data: {e}");
        }
    }
    let shutdown = shutdown_signal();
    print_banner(&app, demo_sites.as_ref());
    match app.run_until(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tenpoint: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The `data-site` values of the script tags in the demo pages (`*.html`, in subfolders too).
fn sites_in_pages(dir: &std::path::Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() {
            out.extend(sites_in_pages(&path));
        } else if path.extension().is_some_and(|x| x == "html") {
            let html = std::fs::read_to_string(&path).unwrap_or_default();
            for rest in html.split("data-site=\"").skip(1) {
                if let Some(site) = rest.split('"').next() {
                    out.insert(site.to_owned());
                }
            }
        }
    }
    out
}

fn print_banner(app: &Application, demo_sites: Option<&BTreeSet<String>>) {
    let addr = app.local_addr();
    let base = format!("http://{addr}");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\nTenpoint is listening on {base}");
    if let Some(used) = demo_sites {
        let _ = writeln!(out, "  demo shop:    {base}/");
        // The demo pages come from the collector itself, so its own origin must be allowed.
        let refusing: Vec<String> = app
            .sites_refusing(&base)
            .into_iter()
            .filter(|s| used.contains(s))
            .collect();
        if !refusing.is_empty() {
            let _ = writeln!(
                out,
                "  warning:      {base} is not in the origins of {}: surveys on the demo pages will be refused; \
                 use the default --listen 127.0.0.1:8080 or add the origin to the site config",
                refusing.join(", ")
            );
        }
    }
    // The demo's newcomer gets a link that signs in by itself, once.
    match demo_sites.map(|_| app.sign_in_link()) {
        Some(Ok(link)) => {
            let _ = writeln!(out, "  dashboard:    {base}{link}");
            let _ = writeln!(
                out,
                "                (signs you in once, within the hour; later: {base}/dashboard with the admin token)"
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "  dashboard:    {base}/dashboard (sign in with the admin token or a site token)"
            );
        }
    }
    for site in app.sites() {
        let _ = writeln!(
            out,
            "  script tag:   <script async src=\"{base}/widget.js\" data-site=\"{site}\"></script>"
        );
        let _ = writeln!(
            out,
            "  results:      curl -H \"Authorization: Bearer $TOKEN\" {base}/v1/sites/{site}/report"
        );
    }
    match &app.token {
        TokenSource::Generated(t) => {
            let _ = writeln!(out, "  admin token:  {t}");
            let _ = writeln!(
                out,
                "                (shown once: only its hash is stored; --reset-admin-token makes a new one)"
            );
        }
        TokenSource::Stored => {
            let _ = writeln!(
                out,
                "  admin token:  the one printed at the first start (--reset-admin-token makes a new one)"
            );
        }
        TokenSource::Given => {
            let _ = writeln!(
                out,
                "  admin token:  as given in --admin-token / TENPOINT_ADMIN_TOKEN"
            );
        }
    }
    let _ = writeln!(out, "  API:          {base}/v1/openapi.json\n");
}

async fn export(args: ExportArgs) -> ExitCode {
    let parse = |v: &Option<String>| -> Result<Option<i64>, String> {
        v.as_deref()
            .map(|s| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                    .map_err(|_| {
                        format!("\"{s}\" is not an RFC 3339 time like 2026-11-01T00:00:00Z")
                    })
            })
            .transpose()
    };
    let (from, to) = match (parse(&args.from), parse(&args.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("tenpoint export: {e}");
            return ExitCode::FAILURE;
        }
    };
    let layout = match (&args.format, &args.sites) {
        (ExportFormat::Jsonl, _) => None,
        (ExportFormat::Csv, Some(path)) => {
            let files = sites::expand(std::slice::from_ref(path)).unwrap_or_default();
            let loaded = sites::load(&files);
            match loaded.sites.get(&args.site) {
                Some((_, cfg)) => Some(CsvLayout::new(cfg, args.survey.as_deref())),
                None => {
                    eprintln!(
                        "tenpoint export: no site \"{}\" in {}",
                        args.site,
                        path.display()
                    );
                    return ExitCode::FAILURE;
                }
            }
        }
        (ExportFormat::Csv, None) => {
            eprintln!(
                "tenpoint export: CSV needs --sites (for the question columns); or use --format jsonl"
            );
            return ExitCode::FAILURE;
        }
    };
    let store = match storage::connect(&args.database).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tenpoint export: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut filter = ResponseFilter {
        site: args.site.clone(),
        survey: args.survey.clone(),
        period: (from.is_some() || to.is_some()).then(|| Period {
            from: from.unwrap_or(0),
            to: to.unwrap_or(i64::MAX),
        }),
        limit: 1000,
        ..ResponseFilter::default()
    };
    let mut out = std::io::stdout().lock();
    let mut first = true;
    loop {
        let rows = match store.list_responses(&filter).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("tenpoint export: {e}");
                return ExitCode::FAILURE;
            }
        };
        let written = match &layout {
            Some(l) => l.write(&mut out, &rows, first).map_err(|e| e.to_string()),
            None => rows.iter().try_for_each(|r| {
                serde_json::to_writer(&mut out, r).map_err(|e| e.to_string())?;
                out.write_all(b"\n").map_err(|e| e.to_string())
            }),
        };
        if let Err(e) = written {
            eprintln!("tenpoint export: {e}");
            return ExitCode::FAILURE;
        }
        first = false;
        match rows.last() {
            Some(last) if rows.len() == filter.limit as usize => {
                filter.before = Some((last.created_at, last.id.clone()))
            }
            _ => break,
        }
    }
    ExitCode::SUCCESS
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let files = match sites::expand(paths) {
        Ok(f) => f,
        Err((p, e)) => {
            eprintln!("{}: cannot read: {e}", p.display());
            return ExitCode::FAILURE;
        }
    };
    let loaded = sites::load(&files);
    let mut out = std::io::stdout().lock();
    // A closed stdout (say, piped to `head`) must not turn a result into a panic.
    let _ = write!(out, "{}", sites::Report(&loaded.errors));
    for (site, (file, cfg)) in &loaded.sites {
        let enabled = cfg.surveys.iter().filter(|s| s.enabled).count();
        let _ = writeln!(
            out,
            "{}: ok (site \"{site}\", {enabled} of {} surveys enabled)",
            file.display(),
            cfg.surveys.len()
        );
    }
    if loaded.is_ok() {
        ExitCode::SUCCESS
    } else {
        let n: usize = loaded
            .errors
            .iter()
            .map(|(_, e)| match e {
                sites::SiteFileError::Invalid(errs) => errs.0.len(),
                _ => 1,
            })
            .sum();
        eprintln!("{n} problem{} found", if n == 1 { "" } else { "s" });
        ExitCode::FAILURE
    }
}
