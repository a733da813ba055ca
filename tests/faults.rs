//! Fault tests of `tenpoint serve` as a process: what it does when the world misbehaves.
#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

/// A flood of connections, more than the process may open files, against a server started
/// with a lowered open-file limit: silent connections, and slow bodies that hold memory. The
/// server must keep answering, refuse the excess at once instead of running out of
/// descriptors, keep its memory bounded and give it back once the clients are gone.
mod connection_flood {
    use serde_json::json;
    use std::io::{BufRead, BufReader};
    use std::net::{Ipv4Addr, SocketAddr};
    use std::process::{Child, Command, Stdio};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, mpsc};
    use std::time::{Duration, Instant};
    use tenpoint_e2e::collector::widget_answer;
    use tenpoint_e2e::{tenpoint_bin, workspace_root};
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpSocket, TcpStream};

    const FD_LIMIT: u64 = 384;
    /// The server's default cap under that limit: the limit less 64 for its own files.
    const CAP: u64 = FD_LIMIT - 64;
    /// Silent connections, from 20 addresses (25 each, under the per-address cap of 32).
    const SILENT: usize = 500;
    /// Slow bodies, from 8 other addresses (31 each), each sending 56 KiB and then stalling.
    const SLOW: usize = 248;
    const SLOW_BYTES: usize = 56 * 1024;
    const TOKEN: &str = "flood-admin-token-0123456789";

    struct Server {
        child: Child,
        addr: SocketAddr,
        log: mpsc::Receiver<String>,
    }

    impl Server {
        /// `tenpoint serve` with its open-file limit lowered by the shell before it starts.
        fn start(dir: &std::path::Path) -> Server {
            let sites = dir.join("sites");
            std::fs::create_dir(&sites).unwrap();
            std::fs::copy(
                workspace_root().join("examples/sites/demo-shop.json"),
                sites.join("demo-shop.json"),
            )
            .unwrap();
            let mut child = Command::new("sh")
                .arg("-c")
                .arg(format!("ulimit -n {FD_LIMIT} && exec \"$@\""))
                .arg("sh")
                .arg(tenpoint_bin())
                .args(["serve", "--listen", "127.0.0.1:0", "--no-watch"])
                .args([
                    "--admin-token",
                    TOKEN,
                    "--rate-per-ip",
                    "0",
                    "--rate-per-site",
                    "0",
                ])
                .arg("--database")
                .arg(format!("sqlite:{}", dir.join("flood.db").display()))
                .arg("--sites")
                .arg(&sites)
                .current_dir(workspace_root())
                .env_remove("TENPOINT_DATABASE_URL")
                .env_remove("TENPOINT_MAX_CONNECTIONS")
                .env_remove("TENPOINT_MAX_CONNECTIONS_PER_ADDRESS")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let (tx, log) = mpsc::channel();
            let err = child.stderr.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
            let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
            let mut addr = None;
            for line in out.by_ref().map_while(Result::ok) {
                if let Some(a) = line.strip_prefix("Tenpoint is listening on http://") {
                    addr = Some(a.trim().parse().unwrap());
                }
                if line.trim_start().starts_with("API:") {
                    break;
                }
            }
            std::thread::spawn(move || for _ in out {});
            Server {
                addr: addr.expect("a banner with the address"),
                child,
                log,
            }
        }

        fn url(&self, path: &str) -> String {
            format!("http://{}{path}", self.addr)
        }

        fn pid(&self) -> u32 {
            self.child.id()
        }

        fn logs(&self) -> Vec<String> {
            self.log.try_iter().collect()
        }
    }

    /// VmRSS of `pid` in KiB.
    fn rss_kib(pid: u32) -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    fn open_fds(pid: u32) -> usize {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .count()
    }

    fn own_fd_limit() -> u64 {
        std::fs::read_to_string("/proc/self/limits")
            .unwrap()
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
            .unwrap_or(u64::MAX)
    }

    async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> Option<TcpStream> {
        let socket = TcpSocket::new_v4().ok()?;
        socket.bind(SocketAddr::from((from, 0))).ok()?;
        tokio::time::timeout(Duration::from_secs(2), socket.connect(to))
            .await
            .ok()?
            .ok()
    }

    /// The sum of a metric's samples whose line starts with `name`.
    async fn metric(client: &reqwest::Client, server: &Server, name: &str) -> f64 {
        let text = client
            .get(server.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Asks until a 2xx comes, for at most 2 s; every attempt must be answered within 1 s
    /// (a refusal is an answer too). Returns the status and how long it took.
    async fn served_within_2s(
        what: &str,
        send: impl Fn() -> reqwest::RequestBuilder,
    ) -> (u16, Duration) {
        let start = Instant::now();
        loop {
            let attempt = tokio::time::timeout(Duration::from_secs(1), send().send())
                .await
                .unwrap_or_else(|_| panic!("{what} hung during the flood"));
            if let Ok(res) = attempt {
                if res.status().is_success() {
                    return (res.status().as_u16(), start.elapsed());
                }
                assert!(
                    matches!(res.status().as_u16(), 429 | 503),
                    "{what}: {}",
                    res.status()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(2),
                "{what} was not served within 2 s of the flood"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connection_flood_past_the_fd_limit_is_refused_while_health_and_posts_are_served() {
        let test_start = Instant::now();
        assert!(
            own_fd_limit() >= 1024,
            "this test opens about 800 sockets; raise the open-file limit (ulimit -n 1024)"
        );
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(dir.path());
        let pid = server.pid();
        // A connection of its own for every request: under the flood the server closes idle
        // keep-alive connections to make room, and a pooled one may be gone when reused.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        assert_eq!(
            client
                .get(server.url("/healthz"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let rss_before = rss_kib(pid);

        // Peak memory, sampled all along.
        let peak = Arc::new(AtomicU64::new(rss_before));
        let sampling = Arc::new(AtomicBool::new(true));
        let sampler = {
            let (peak, sampling) = (peak.clone(), sampling.clone());
            std::thread::spawn(move || {
                while sampling.load(Ordering::Relaxed) {
                    if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                        && s.contains("VmRSS")
                    {
                        peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };

        // Slow bodies first: each handler starts reading and holds what arrived.
        let head = format!(
            "POST /v1/sites/demo-shop/responses HTTP/1.1\r\nhost: flood\r\n\
             origin: http://localhost:8080\r\ncontent-type: text/plain\r\n\
             content-length: {}\r\n\r\n",
            SLOW_BYTES + 1024
        );
        let mut slow = Vec::new();
        for i in 0..SLOW {
            let from = Ipv4Addr::new(127, 0, 0, 100 + (i % 8) as u8);
            if let Some(mut c) = connect_from(from, server.addr).await
                && c.write_all(head.as_bytes()).await.is_ok()
            {
                slow.push(c);
            }
        }
        let chunk = vec![b' '; 8 * 1024];
        for _ in 0..SLOW_BYTES / chunk.len() {
            for c in &mut slow {
                let _ = tokio::time::timeout(Duration::from_millis(50), c.write_all(&chunk)).await;
            }
        }

        // Then silent connections, far past the limit.
        let mut silent = Vec::new();
        for i in 0..SILENT {
            let from = Ipv4Addr::new(127, 0, 0, 2 + (i % 20) as u8);
            if let Some(c) = connect_from(from, server.addr).await {
                silent.push(c);
            }
        }
        let fds_during = open_fds(pid);

        // The server answers: health, a submission, its metrics.
        let (health, health_took) =
            served_within_2s("/healthz", || client.get(server.url("/healthz"))).await;
        let [(_, shown), (_, answer)] = widget_answer("flood-0000000001", json!({"nps": 9}));
        let post = |what: &'static str, body: String| {
            let client = client.clone();
            let url = server.url(&format!("/v1/sites/demo-shop/{what}"));
            move || {
                client
                    .post(&url)
                    .header("content-type", "text/plain")
                    .header("origin", "http://localhost:8080")
                    .body(body.clone())
            }
        };
        let (display, _) =
            served_within_2s("POST a display", post("displays", shown.to_string())).await;
        let (post, post_took) =
            served_within_2s("POST a response", post("responses", answer.to_string())).await;
        assert_eq!((health, display, post), (200, 201, 201));

        let opened = (slow.len() + silent.len()) as f64;
        let refused = metric(&client, &server, "tenpoint_connections_refused_total").await;
        let closed = metric(&client, &server, "tenpoint_connections_closed_total").await;
        let open = metric(&client, &server, "tenpoint_connections_open").await;
        assert!(open <= CAP as f64, "{open} open, over the cap of {CAP}");
        assert!(refused > 0.0, "nothing was refused");
        // Every connection past the cap was refused, or made room by closing one that had
        // waited for a request head for over a second (or timed out).
        assert!(
            refused + closed >= opened - CAP as f64,
            "opened {opened}, refused {refused}, closed {closed}"
        );
        assert!(fds_during <= FD_LIMIT as usize, "{fds_during} descriptors");

        // The clients go; memory goes back.
        drop(slow);
        drop(silent);
        let rss_peak = peak.load(Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut rss_after = rss_kib(pid);
        // jemalloc's background thread returns freed pages over about ten seconds; glibc's
        // malloc kept nearly all of the rise.
        let back = |rss: u64| rss <= rss_before + 4 * 1024 + (rss_peak - rss_before) / 3;
        while !back(rss_after) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(250)).await;
            rss_after = rss_kib(pid);
        }
        sampling.store(false, Ordering::Relaxed);
        sampler.join().unwrap();
        eprintln!(
            "connection flood: fd limit {FD_LIMIT}, {} opened ({SLOW} slow bodies, {SILENT} silent), \
             {refused} refused, {closed} closed by the server, {fds_during} descriptors open; \
             /healthz {health_took:?}, POST {post_took:?}; RSS before {} KiB, peak {} KiB, after {} KiB",
            opened, rss_before, rss_peak, rss_after
        );
        assert!(
            rss_peak - rss_before < 100 * 1024,
            "memory grew by {} KiB",
            rss_peak - rss_before
        );
        assert!(
            back(rss_after),
            "memory not given back: before {rss_before} KiB, peak {rss_peak} KiB, after {rss_after} KiB"
        );

        let logs = server.logs();
        assert!(
            logs.iter().filter(|l| l.contains("cannot accept")).count() <= 1,
            "{logs:#?}"
        );
        assert!(!logs.iter().any(|l| l.contains("panicked")), "{logs:#?}");
        stop(server);
        assert!(test_start.elapsed() < Duration::from_secs(60));
    }

    /// SIGTERM ends it promptly once the flood is gone.
    fn stop(mut server: Server) {
        let ok = Command::new("kill")
            .arg("-TERM")
            .arg(server.pid().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                assert_eq!(status.code(), Some(0));
                return;
            }
            assert!(Instant::now() < deadline, "did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
