//! Connection caps and timeouts, over raw sockets: what a client that sends nothing, sends
//! slowly, or opens too many connections gets. Connection handling does not depend on the
//! database, so these run on SQLite only.

use crate::support::{Backend, ORIGIN, Options, TestApp, display, new_id, response, shown_id};
use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tenpoint_collector::connections::ConnLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Long enough to never fire in a test that is not about it.
const LONG: Duration = Duration::from_secs(60);

async fn spawn(connections: ConnLimits) -> TestApp {
    TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            connections,
            ..Options::default()
        },
    )
    .await
    .expect("SQLite always runs")
}

/// A connection from `from` (any 127.0.0.0/8 address is this host on Linux).
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse::<IpAddr>().unwrap(), 0))
        .unwrap();
    socket.connect(to).await.unwrap()
}

/// Reads until the server closes the connection, or `within` passes (then `None`).
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    match tokio::time::timeout(within, stream.read_to_end(&mut out)).await {
        Ok(Ok(_)) => Some(String::from_utf8_lossy(&out).into_owned()),
        // A reset is a close too; what was read before it is lost to read_to_end.
        Ok(Err(_)) => Some(String::new()),
        Err(_) => None,
    }
}

/// Reads one response with a `content-length` (the connection stays open).
async fn read_response(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(head_end) = text.find("\r\n\r\n") {
            let len = text[..head_end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= head_end + 4 + len {
                return text;
            }
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline.into(), stream.read(&mut chunk))
            .await
            .expect("a response in time")
            .unwrap();
        assert!(n > 0, "closed before a whole response: {text:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n")
}

fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {response:?}"))
}

/// The head of a submission whose body is `len` bytes (of which the test sends fewer).
fn submission_head(len: usize) -> String {
    format!(
        "POST /v1/sites/demo-shop/responses HTTP/1.1\r\nhost: test\r\norigin: {ORIGIN}\r\n\
         content-type: text/plain\r\ncontent-length: {len}\r\n\r\n"
    )
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_closed_after_the_header_timeout_and_an_idle_one_after_keep_alive() {
    let app = spawn(ConnLimits {
        header_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(1500),
        ..ConnLimits::default()
    })
    .await;

    let start = Instant::now();
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let closed = read_to_close(&mut silent, Duration::from_secs(10)).await;
    assert_eq!(closed.as_deref(), Some(""), "closed without an answer");
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");

    // A head sent too slowly is cut off the same way.
    let mut slow_head = TcpStream::connect(app.addr).await.unwrap();
    slow_head
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    assert!(
        read_to_close(&mut slow_head, Duration::from_secs(10))
            .await
            .is_some()
    );

    // Between requests the keep-alive timeout applies, not the header timeout.
    let mut kept = TcpStream::connect(app.addr).await.unwrap();
    kept.write_all(get("/healthz").as_bytes()).await.unwrap();
    assert_eq!(status(&read_response(&mut kept).await), 200);
    let idle_from = Instant::now();
    assert_eq!(
        read_to_close(&mut kept, Duration::from_millis(600)).await,
        None,
        "an idle keep-alive connection is closed after the header timeout"
    );
    kept.write_all(get("/healthz").as_bytes()).await.unwrap();
    assert_eq!(status(&read_response(&mut kept).await), 200, "reused");
    assert!(
        read_to_close(&mut kept, Duration::from_secs(10))
            .await
            .is_some()
    );
    assert!(idle_from.elapsed() >= Duration::from_millis(1500));

    assert_eq!(
        metric(
            &app,
            "tenpoint_connections_closed_total{reason=\"header_timeout\"}"
        )
        .await,
        2.0
    );
    assert_eq!(
        metric(
            &app,
            "tenpoint_connections_closed_total{reason=\"idle_timeout\"}"
        )
        .await,
        1.0
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_is_answered_408_and_nothing_is_stored() {
    let app = spawn(ConnLimits {
        body_timeout: Duration::from_millis(500),
        ..ConnLimits::default()
    })
    .await;
    let body = response(&new_id(), serde_json::json!({"nps": 7})).to_string();
    let mut conn = TcpStream::connect(app.addr).await.unwrap();
    conn.write_all(submission_head(body.len()).as_bytes())
        .await
        .unwrap();
    conn.write_all(&body.as_bytes()[..10]).await.unwrap();
    let answer = read_to_close(&mut conn, Duration::from_secs(10))
        .await
        .expect("cut off");
    assert_eq!(status(&answer), 408, "{answer}");
    let json: Value =
        serde_json::from_str(&answer[answer.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(json["error"]["code"], "body_timeout", "{json}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains(&format!("access-control-allow-origin: {ORIGIN}")),
        "the widget can read it: {answer}"
    );
    assert!(app.stored().await.is_empty());
    app.stop().await;
}

/// Starts a submission whose body never comes, and returns once its handler is reading it
/// (hyper sends `100 Continue` when the body is first read): a busy connection.
async fn busy(from: &str, app: &TestApp) -> TcpStream {
    let mut c = connect_from(from, app.addr).await;
    let head = submission_head(100).replace("\r\n\r\n", "\r\nexpect: 100-continue\r\n\r\n");
    c.write_all(head.as_bytes()).await.unwrap();
    let answer = read_response(&mut c).await;
    assert_eq!(status(&answer), 100, "{answer}");
    c
}

/// Connects and asks for /healthz; the status, or `None` if refused without one.
async fn healthz_from(from: &str, app: &TestApp) -> (Option<u16>, TcpStream) {
    let mut c = connect_from(from, app.addr).await;
    if c.write_all(get("/healthz").as_bytes()).await.is_err() {
        return (None, c);
    }
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), c.read(&mut buf))
        .await
        .expect("an answer or a close in time")
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    ((n > 0).then(|| status(&text)), c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_address_cap_refuses_the_excess_while_other_addresses_are_served() {
    let app = spawn(ConnLimits {
        body_timeout: LONG,
        max_per_address: 3,
        ..ConnLimits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(busy("127.0.0.1", &app).await);
    }
    let mut excess = connect_from("127.0.0.1", app.addr).await;
    let answer = read_to_close(&mut excess, Duration::from_secs(5))
        .await
        .expect("refused at once, not left waiting");
    assert!(answer.is_empty() || status(&answer) == 429, "{answer}");
    if !answer.is_empty() {
        let json: Value =
            serde_json::from_str(&answer[answer.find("\r\n\r\n").unwrap() + 4..]).unwrap();
        assert_eq!(json["error"]["code"], "too_many_connections");
    }

    // Another address is served meanwhile.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let res = other.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // Read to the end, so that the next request reuses this connection (one open for the
    // other address, counted below).
    res.bytes().await.unwrap();
    let id = new_id();
    for (what, body) in [
        ("displays", display(&shown_id(&id))),
        ("responses", response(&id, serde_json::json!({"nps": 9}))),
    ] {
        let res = other
            .post(app.url(&format!("/v1/sites/demo-shop/{what}")))
            .header("content-type", "text/plain")
            .header("origin", ORIGIN)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{what}");
        // Read to the end, so the connection goes back to the pool for the next request.
        res.bytes().await.unwrap();
    }
    let metrics = other
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tenpoint_connections_refused_total{reason=\"max_per_address\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tenpoint_connections_open 4\n"),
        "{metrics}"
    );
    drop(held);
    app.stop().await;
}

/// Behind a proxy every connection comes from the proxy: a per-address cap would cap them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_the_per_address_cap_does_not_apply() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            connections: ConnLimits {
                body_timeout: LONG,
                max_per_address: 2,
                ..ConnLimits::default()
            },
            trust_forwarded_for: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let held = [
        busy("127.0.0.1", &app).await,
        busy("127.0.0.1", &app).await,
        busy("127.0.0.1", &app).await,
    ];
    let (status, _c) = healthz_from("127.0.0.1", &app).await;
    assert_eq!(status, Some(200));
    drop(held);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_global_cap_an_idle_connection_makes_room_and_then_the_excess_gets_503() {
    let app = spawn(ConnLimits {
        body_timeout: LONG,
        max_connections: Some(3),
        max_per_address: 0,
        // Only idle connections make room here.
        evict_waiting_after: LONG,
        ..ConnLimits::default()
    })
    .await;
    let (status_idle, mut idle) = healthz_from("127.0.0.1", &app).await;
    assert_eq!(status_idle, Some(200));
    let held = [busy("127.0.0.1", &app).await, busy("127.0.0.1", &app).await];

    let (first, mut first_conn) = healthz_from("127.0.0.1", &app).await;
    assert_eq!(first, Some(200), "the idle connection made room");
    assert!(
        read_to_close(&mut idle, Duration::from_secs(5))
            .await
            .is_some(),
        "the idle connection was closed"
    );
    // The newcomer turns busy too: nothing can make room now.
    let head = submission_head(100).replace("\r\n\r\n", "\r\nexpect: 100-continue\r\n\r\n");
    first_conn.write_all(head.as_bytes()).await.unwrap();
    assert_eq!(status(&read_response(&mut first_conn).await), 100);

    let mut excess = TcpStream::connect(app.addr).await.unwrap();
    let answer = read_to_close(&mut excess, Duration::from_secs(5))
        .await
        .expect("refused at once, not left waiting");
    assert!(answer.is_empty() || status(&answer) == 503, "{answer}");

    drop(held);
    drop(first_conn);
    let metrics = until_served(&app).await;
    let metrics: String = metrics
        .lines()
        .filter(|l| l.starts_with("tenpoint_connections"))
        .map(|l| format!("{l}\n"))
        .collect();
    // At least: `until_served` may have been refused too while the held ones were closing.
    assert!(
        metrics.contains("tenpoint_connections_refused_total{reason=\"max_connections\"} "),
        "{metrics}"
    );
    assert!(
        metrics.contains("tenpoint_connections_closed_total{reason=\"evicted_idle\"} 1\n"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_global_cap_a_connection_silent_for_a_while_makes_room() {
    let app = spawn(ConnLimits {
        body_timeout: LONG,
        header_timeout: LONG,
        max_connections: Some(2),
        max_per_address: 0,
        evict_waiting_after: Duration::from_millis(300),
        ..ConnLimits::default()
    })
    .await;
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let held = busy("127.0.0.1", &app).await;
    // Refused while the silent connection is fresh, served once it has waited long enough.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _c) = healthz_from("127.0.0.1", &app).await;
        if status == Some(200) {
            break;
        }
        assert!(matches!(status, None | Some(503)), "{status:?}");
        assert!(
            Instant::now() < deadline,
            "the silent connection never made room"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        read_to_close(&mut silent, Duration::from_secs(5))
            .await
            .is_some()
    );
    drop(held);
    app.stop().await;
}

/// /metrics once the server has room again (a refusal is retried).
async fn until_served(app: &TestApp) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(res) = reqwest::get(app.url("/metrics")).await
            && res.status() == 200
        {
            return res.text().await.unwrap();
        }
        assert!(Instant::now() < deadline, "no room came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
