//! `tenpoint serve` as a process: the banner, the generated admin token, SIGHUP reloads,
//! SIGTERM drains, bad configs refuse to start, `tenpoint export` reads what was stored, a
//! sites folder removed and restored under load.
#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tenpoint_e2e::collector::widget_answer;
use tenpoint_e2e::{tenpoint, workspace_root};

struct Server {
    child: Child,
    base: String,
    banner: Vec<String>,
    stderr: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `tenpoint serve` on a free port and reads its banner.
    fn start(db: &Path, sites: &Path, extra: &[&str]) -> Server {
        Server::launch(db, sites, &["--no-watch"], extra)
    }

    /// As `start`, with the config files watched (the default of `tenpoint serve`).
    fn start_watching(db: &Path, sites: &Path, extra: &[&str]) -> Server {
        Server::launch(db, sites, &[], extra)
    }

    fn launch(db: &Path, sites: &Path, watch: &[&str], extra: &[&str]) -> Server {
        let mut child = tenpoint()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(watch)
            .arg("--database")
            .arg(format!("sqlite:{}", db.display()))
            .arg("--sites")
            .arg(sites)
            .args(extra)
            .env_remove("TENPOINT_ADMIN_TOKEN")
            .env_remove("TENPOINT_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, stderr) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut banner = Vec::new();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        while let Some(Ok(line)) = out.next() {
            let done = line.trim_start().starts_with("API:");
            banner.push(line);
            if done {
                break;
            }
        }
        std::thread::spawn(move || for _ in out {});
        let base = banner
            .iter()
            .find_map(|l| l.strip_prefix("Tenpoint is listening on "))
            .unwrap_or_else(|| panic!("no banner: {banner:?}"))
            .trim()
            .to_owned();
        Server {
            child,
            base,
            banner,
            stderr,
        }
    }

    fn token(&self) -> Option<String> {
        self.banner
            .iter()
            .find_map(|l| l.trim().strip_prefix("admin token:"))
            .map(str::trim)
            .filter(|t| t.len() == 64)
            .map(str::to_owned)
    }

    fn signal(&self, sig: &str) {
        let ok = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for a log line containing `text`.
    fn wait_log(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(100))
                && line.contains(text)
            {
                return line;
            }
        }
        panic!("no log line with {text:?}");
    }

    /// SIGTERM; returns the exit code and the rest of the log.
    fn stop(mut self) -> (i32, Vec<String>) {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The log reader ends with the process; collect what it read.
                let mut logs = Vec::new();
                while let Ok(l) = self.stderr.recv_timeout(Duration::from_millis(500)) {
                    logs.push(l);
                }
                return (status.code().unwrap_or(-1), logs);
            }
            assert!(Instant::now() < deadline, "did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn demo_config() -> String {
    std::fs::read_to_string(workspace_root().join("examples/sites/demo-shop.json")).unwrap()
}

/// Posts an answer as the widget does (its display, then the response); the response's status.
fn post_response(base: &str, id: &str, nps: i64) -> u16 {
    let client = reqwest::blocking::Client::new();
    let mut status = 0;
    for (what, body) in widget_answer(id, json!({"nps": nps, "why": "=cmd"})) {
        status = client
            .post(format!("{base}/v1/sites/demo-shop/{what}"))
            .header("content-type", "text/plain")
            .header("origin", "http://localhost:8080")
            .body(body.to_string())
            .send()
            .unwrap()
            .status()
            .as_u16();
    }
    status
}

#[test]
fn serve_token_reload_shutdown_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites");
    std::fs::create_dir(&sites).unwrap();
    std::fs::write(sites.join("demo-shop.json"), demo_config()).unwrap();
    let db = dir.path().join("t.db");

    let server = Server::start(&db, &sites, &[]);
    assert!(
        server
            .banner
            .iter()
            .any(|l| l.contains("data-site=\"demo-shop\"")),
        "{:?}",
        server.banner
    );
    let token = server
        .token()
        .expect("a generated token is printed on first start");
    assert_eq!(post_response(&server.base, "0000000000000001", 9), 201);

    let client = reqwest::blocking::Client::new();
    let report = |base: &str, token: &str| {
        client
            .get(format!(
                "{base}/v1/sites/demo-shop/report?survey=post-purchase"
            ))
            .bearer_auth(token)
            .send()
            .unwrap()
    };
    assert_eq!(report(&server.base, &token).status(), 200);
    server.wait_log("site configs loaded");

    // SIGHUP reloads: pause the survey, and it leaves the public config.
    std::fs::write(
        sites.join("demo-shop.json"),
        demo_config().replacen(
            "\"priority\": 10,",
            "\"priority\": 10, \"enabled\": false,",
            1,
        ),
    )
    .unwrap();
    server.signal("HUP");
    server.wait_log("site configs reloaded");
    let config: Value = client
        .get(format!("{}/v1/sites/demo-shop/config", server.base))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        config["surveys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != "post-purchase")
    );

    // A broken config on SIGHUP is refused with its problems in the log; the site stays up.
    std::fs::write(
        sites.join("demo-shop.json"),
        demo_config().replacen("\"site\": \"demo-shop\"", "\"site\": \"Demo Shop\"", 1),
    )
    .unwrap();
    server.signal("HUP");
    server.wait_log("refusing an invalid site config");
    assert_eq!(
        client
            .get(format!("{}/v1/sites/demo-shop/config", server.base))
            .send()
            .unwrap()
            .status(),
        200
    );

    let base = server.base.clone();
    let (code, logs) = server.stop();
    assert_eq!(code, 0, "SIGTERM is a clean stop");
    assert!(
        logs.iter()
            .any(|l| l.contains("every acknowledged write is committed")),
        "{logs:?}"
    );
    // The token never reaches the log.
    assert!(!logs.iter().any(|l| l.contains(&token)));
    assert!(
        client.get(format!("{base}/healthz")).send().is_err(),
        "stopped"
    );

    // A second start keeps the token (only its hash is stored) and does not print it.
    std::fs::write(sites.join("demo-shop.json"), demo_config()).unwrap();
    let server = Server::start(&db, &sites, &["--log-format", "json"]);
    assert_eq!(server.token(), None, "{:?}", server.banner);
    assert_eq!(report(&server.base, &token).status(), 200);
    assert_eq!(report(&server.base, "not-the-token-at-all").status(), 401);
    let json_line = server.wait_log("\"message\"");
    serde_json::from_str::<Value>(&json_line).expect("--log-format json writes JSON lines");
    assert_eq!(server.stop().0, 0);

    // Export what was stored.
    let out = tenpoint()
        .args([
            "export",
            "--site",
            "demo-shop",
            "--format",
            "jsonl",
            "--database",
        ])
        .arg(format!("sqlite:{}", db.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["answers"]["nps"], 9);
    let out = tenpoint()
        .args(["export", "--site", "demo-shop", "--database"])
        .arg(format!("sqlite:{}", db.display()))
        .arg("--sites")
        .arg(&sites)
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("id,survey,created_at"), "{csv}");
    assert!(csv.contains("'=cmd"), "formulas are neutralized: {csv}");
}

#[test]
fn an_invalid_config_refuses_to_start_with_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = tenpoint()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-token",
            "a-long-enough-admin-token",
            "--database",
        ])
        .arg(format!("sqlite:{}", dir.path().join("x.db").display()))
        .arg("--sites")
        .arg(workspace_root().join("examples/broken"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("site configs are invalid"), "{err}");
    assert!(err.contains("$.surveys[0].trigger.delay_secs"), "{err}");

    let out = tenpoint()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--admin-token",
            "short",
            "--sites",
        ])
        .arg(workspace_root().join("examples/sites"))
        .arg("--database")
        .arg(format!("sqlite:{}", dir.path().join("y.db").display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 16 characters"));
}

/// The demo pages are served by the collector itself; on a port the demo site's `origins` do
/// not list, the banner says that their surveys will be refused instead of failing silently.
/// The first start writes demo answers for the demo pages' site, and only the first.
#[test]
fn demo_on_another_port_warns_about_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let demo = ["--demo", "--demo-answers", "300"];
    let server = Server::start(&db, &workspace_root().join("examples/sites"), &demo);
    let banner = server.banner.join("\n");
    assert!(
        banner.contains("for site \"demo-shop\"") && !banner.contains("for site \"minimal\""),
        "{banner}"
    );
    let wrote = server
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("wrote "))
        .unwrap_or_else(|| panic!("no demo data in {banner}"));
    let responses: u64 = wrote.split(' ').next().unwrap().parse().unwrap();
    assert!(responses > 250, "{wrote}");
    // The printed dashboard link signs in by itself, once, onto a dashboard with data.
    let link = server
        .banner
        .iter()
        .find_map(|l| l.trim_start().strip_prefix("dashboard:    "))
        .unwrap_or_else(|| panic!("no dashboard link in {banner}"));
    let code = link
        .strip_prefix(&format!("{}/dashboard/sign-in/link?code=", server.base))
        .unwrap_or_else(|| panic!("not a sign-in link: {link}"));
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(link).send().unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().unwrap().contains(r#"name="code""#));
    let redeem = || {
        client
            .post(format!("{}/dashboard/sign-in/link", server.base))
            .header("sec-fetch-site", "same-origin")
            .form(&[("code", code)])
            .send()
            .unwrap()
    };
    let signed = redeem();
    assert_eq!(signed.status(), 303);
    let cookie = signed
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let overview = client
        .get(format!("{}/dashboard/demo-shop", server.base))
        .header("cookie", &cookie)
        .send()
        .unwrap();
    assert_eq!(overview.status(), 200);
    let html = overview.text().unwrap();
    assert!(html.contains("Detractors most often chose:"), "{html}");
    assert_eq!(redeem().status(), 401, "a link works once");
    assert!(
        banner.contains(&format!("demo shop:    {}/", server.base)),
        "{banner}"
    );
    let warning = server
        .banner
        .iter()
        .find(|l| l.trim_start().starts_with("warning:"))
        .unwrap_or_else(|| panic!("no warning in {banner}"));
    assert!(
        warning.contains(&server.base) && warning.contains("demo-shop"),
        "{warning}"
    );
    // Only the site the demo pages use: `minimal` is not served from here.
    assert!(!warning.contains("minimal"), "{warning}");
    let (code, _) = server.stop();
    assert_eq!(code, 0);
    // Started again on the same database: nothing more is written.
    let server = Server::start(&db, &workspace_root().join("examples/sites"), &demo);
    assert!(
        !server.banner.iter().any(|l| l.starts_with("wrote ")),
        "{:?}",
        server.banner
    );
    let (code, _) = server.stop();
    assert_eq!(code, 0);
}

/// Polls `/readyz` until `cond` holds; config problems must never make it answer other than 200.
fn wait_readyz(base: &str, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let res = client.get(format!("{base}/readyz")).send().unwrap();
        assert_eq!(res.status(), 200, "{what}");
        let v: Value = res.json().unwrap();
        if cond(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for: {what}; /readyz says {v}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The fault as an operator makes it: the sites folder deleted under a running collector
/// (file watching on, as by default) while a widget keeps posting, then put back. Nothing may
/// answer 404 (a widget drops its queued answers on one); the log says so once, not per poll.
#[test]
fn a_sites_folder_removed_and_restored_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites");
    std::fs::create_dir(&sites).unwrap();
    std::fs::write(sites.join("demo-shop.json"), demo_config()).unwrap();
    let server = Server::start_watching(
        &dir.path().join("t.db"),
        &sites,
        &["--rate-per-ip", "0", "--rate-per-site", "0"],
    );
    server.wait_log("site configs loaded");

    let stop = Arc::new(AtomicBool::new(false));
    let poster = {
        let (base, stop) = (server.base.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut statuses = Vec::new();
            let mut n = 1u64;
            while !stop.load(Ordering::Relaxed) {
                statuses.push(post_response(&base, &format!("{n:016x}"), 9));
                n += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            statuses
        })
    };

    std::fs::remove_dir_all(&sites).unwrap();
    let line = server.wait_log("site config path is missing, unreadable or empty");
    assert!(line.contains(&sites.display().to_string()), "{line}");
    let ready = wait_readyz(&server.base, "the missing folder reported", |v| {
        v["status"] == "degraded"
    });
    assert!(
        ready["problems"][0]
            .as_str()
            .is_some_and(|p| p.contains(&sites.display().to_string())),
        "{ready}"
    );
    // Long enough for several polls, which must not log the same problem again.
    std::thread::sleep(Duration::from_millis(2500));

    // Put back as a restore does it: the folder first, then its files.
    std::fs::create_dir(&sites).unwrap();
    std::fs::write(sites.join("demo-shop.json"), demo_config()).unwrap();
    server.wait_log("site config path is back");
    wait_readyz(&server.base, "ready again", |v| v["status"] == "ready");

    // The restored folder is watched: a site added to it goes live.
    let second = demo_config().replace("\"site\": \"demo-shop\"", "\"site\": \"second-shop\"");
    std::fs::write(sites.join("second.json"), second).unwrap();
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while client
        .get(format!("{}/v1/sites/second-shop/config", server.base))
        .send()
        .unwrap()
        .status()
        != 200
    {
        assert!(
            Instant::now() < deadline,
            "a site added to the restored folder never went live"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    stop.store(true, Ordering::Relaxed);
    let statuses = poster.join().unwrap();
    assert!(statuses.len() > 50, "{} posts", statuses.len());
    assert!(statuses.iter().all(|&s| s == 201), "{statuses:?}");
    let (code, logs) = server.stop();
    assert_eq!(code, 0);
    let repeated: Vec<&String> = logs
        .iter()
        .filter(|l| l.contains("missing, unreadable or empty"))
        .collect();
    // The empty folder is one more state, logged once; nothing repeats.
    assert!(repeated.len() <= 1, "{repeated:#?}");
}
