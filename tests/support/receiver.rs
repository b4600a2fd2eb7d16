//! A local HTTP receiver standing in for external services (`api.example.com`): records every
//! request and answers with a configurable status and JSON body, optionally after a delay
//! (counting how many requests it held at once).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// One recorded request.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Clone)]
struct Shared {
    log: Arc<Mutex<Vec<Received>>>,
    notify: Arc<Notify>,
    status: StatusCode,
    reply: Value,
    delay: Duration,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

/// A running receiver.
pub struct Receiver {
    pub url: String,
    shared: Shared,
}

async fn record(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    if !s.delay.is_zero() {
        let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        s.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(s.delay).await;
        s.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
    s.log.lock().unwrap().push(Received {
        method: method.to_string(),
        path: uri.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    s.notify.notify_waiters();
    (s.status, axum::Json(s.reply.clone()))
}

impl Receiver {
    /// Starts a receiver answering `status` with `reply`.
    pub async fn start(status: u16, reply: Value) -> Receiver {
        Receiver::start_slow(status, reply, Duration::ZERO).await
    }

    /// A receiver that holds each request for `delay` before answering (and recording it).
    pub async fn start_slow(status: u16, reply: Value, delay: Duration) -> Receiver {
        let shared = Shared {
            log: Arc::default(),
            notify: Arc::new(Notify::new()),
            status: StatusCode::from_u16(status).expect("status"),
            reply,
            delay,
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
        };
        let app = Router::new().fallback(record).with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, shared }
    }

    /// The most requests a slow receiver held at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let notified = self.shared.notify.notified();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("receiver got {} of {n} requests", self.received().len());
            }
        }
    }
}
