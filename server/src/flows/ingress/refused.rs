//! The refused-calls log (issue 16 point 4): every webhook call a flow refused becomes a
//! `sluice_refused` row. The request path only hands the record to a bounded queue; one
//! background writer inserts whole batches (behind the SQLite write gate) and then keeps each
//! flow it wrote to at `FLOWS_REFUSED_MAX` rows, the oldest removed first. A flood of refused
//! calls therefore costs one insert per batch, never unbounded memory: when the queue is full
//! the record is counted as dropped and a warning says how many (the call itself is refused
//! either way).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use entity::sluice_refused;
use http::HeaderMap;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::db::WriteGate;
use crate::flows::redact::{REDACTED, Redactor, secret_name};

/// How many characters of a refused body the log keeps (after redaction).
pub const EXCERPT_CHARS: usize = 256;

/// How many records one insert takes at most, and how many may wait.
const BATCH: usize = 256;
const QUEUE: usize = 1024;

/// Reasons a call may be replayed for later: the flow was busy, not the call wrong.
pub const TRANSIENT: [&str; 2] = ["rate_limited", "concurrency"];

/// One refused call.
pub struct Refused {
    pub flow: Uuid,
    pub at: DateTime<Utc>,
    pub reason: &'static str,
    pub status: u16,
    pub message: String,
    pub ip: Option<String>,
    pub method: String,
    pub query: Option<String>,
    pub user: Option<Uuid>,
    /// Redacted already ([`redact_headers`]).
    pub headers: Value,
    pub body_size: u64,
    pub excerpt: Option<String>,
    /// Kept for replay (the flow opted in and the reason is transient).
    pub body: Option<String>,
}

enum Msg {
    Record(Box<Refused>),
    Flush(oneshot::Sender<()>),
}

/// The log's handle (cheap to clone).
#[derive(Clone)]
pub struct RefusedLog {
    tx: mpsc::Sender<Msg>,
    dropped: Arc<AtomicU64>,
}

impl RefusedLog {
    /// Starts the writer; each flow keeps at most `cap` rows.
    pub fn start(db: DatabaseConnection, gate: WriteGate, cap: u64) -> RefusedLog {
        let (tx, mut rx) = mpsc::channel::<Msg>(QUEUE);
        let gate = gate.background();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            let mut waiters = Vec::new();
            while let Some(first) = rx.recv().await {
                let mut next = Some(first);
                while let Some(msg) = next.take() {
                    match msg {
                        Msg::Record(r) => batch.push(*r),
                        Msg::Flush(done) => waiters.push(done),
                    }
                    if batch.len() < BATCH {
                        next = rx.try_recv().ok();
                    }
                }
                if !batch.is_empty() {
                    let _guard = gate.enter().await;
                    if let Err(e) = write(&db, &mut batch, cap).await {
                        tracing::warn!(error = %e, "could not write refused calls");
                    }
                    batch.clear();
                }
                for w in waiters.drain(..) {
                    let _ = w.send(());
                }
            }
        });
        RefusedLog {
            tx,
            dropped: Arc::default(),
        }
    }

    /// Queues a record without waiting; a full queue drops it (counted and logged).
    pub fn record(&self, refused: Refused) {
        if self.tx.try_send(Msg::Record(Box::new(refused))).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(
                    dropped = n,
                    "the refused-calls log is saturated; records are dropped"
                );
            }
        }
    }

    /// Records not written because the queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits until everything queued so far is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn write(db: &DatabaseConnection, batch: &mut [Refused], cap: u64) -> Result<(), DbErr> {
    let rows = batch.iter_mut().map(|r| sluice_refused::ActiveModel {
        id: NotSet,
        flow: Set(r.flow),
        timestamp: Set(r.at),
        reason: Set(r.reason.to_owned()),
        status: Set(i32::from(r.status)),
        message: Set(Some(truncate(&r.message, 255).to_owned())),
        ip: Set(r.ip.take()),
        method: Set(truncate(&r.method, 10).to_owned()),
        query: Set(r.query.take()),
        user: Set(r.user),
        headers: Set(Some(std::mem::take(&mut r.headers))),
        body_size: Set(i64::try_from(r.body_size).unwrap_or(i64::MAX)),
        excerpt: Set(r.excerpt.take()),
        replayable: Set(r.body.is_some()),
        body: Set(r.body.take()),
    });
    sluice_refused::Entity::insert_many(rows).exec(db).await?;
    let mut flows: Vec<Uuid> = batch.iter().map(|r| r.flow).collect();
    flows.sort_unstable();
    flows.dedup();
    for flow in flows {
        trim(db, flow, cap).await?;
    }
    Ok(())
}

/// Keeps a flow's newest `cap` rows.
async fn trim(db: &DatabaseConnection, flow: Uuid, cap: u64) -> Result<(), DbErr> {
    let oldest_kept: Option<i32> = sluice_refused::Entity::find()
        .select_only()
        .column(sluice_refused::Column::Id)
        .filter(sluice_refused::Column::Flow.eq(flow))
        .order_by_desc(sluice_refused::Column::Id)
        .offset(cap.saturating_sub(1))
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(id) = oldest_kept {
        sluice_refused::Entity::delete_many()
            .filter(sluice_refused::Column::Flow.eq(flow))
            .filter(sluice_refused::Column::Id.lt(id))
            .exec(db)
            .await?;
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Whether a header carries a credential or a signature: its value is not logged.
fn secret_header(name: &str) -> bool {
    secret_name(name) || name.contains("signature") || name.contains("hmac")
}

/// The request's headers for the log: lower-case names, repeated ones joined, credentials
/// and signatures replaced by `--redacted--`, allow-listed environment values too.
pub fn redact_headers(headers: &HeaderMap, redactor: &Redactor) -> Value {
    let mut out = Map::new();
    for (name, value) in headers {
        let name = name.as_str();
        let text = if secret_header(name) {
            REDACTED.to_owned()
        } else {
            redactor.redact_text(&String::from_utf8_lossy(value.as_bytes()))
        };
        match out.get_mut(name) {
            Some(Value::String(s)) => {
                s.push_str(", ");
                s.push_str(&text);
            }
            _ => {
                out.insert(name.to_owned(), json!(text));
            }
        }
    }
    Value::Object(out)
}

/// Words whose presence withholds the excerpt of a body that is not JSON (whose fields cannot
/// be told apart): `{"password": "hun` must not show the start of a password.
const SECRET_WORDS: [&str; 7] = [
    "password",
    "secret",
    "token",
    "authorization",
    "api_key",
    "apikey",
    "api-key",
];

/// The body's first [`EXCERPT_CHARS`] characters, redacted: a JSON body is redacted as a run
/// log is (secret-looking keys); any other body is withheld whole when it names a secret, and
/// has allow-listed environment values replaced.
pub fn excerpt(body: &[u8], redactor: &Redactor) -> String {
    let text = String::from_utf8_lossy(body);
    let redacted = match serde_json::from_str::<Value>(&text) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => redactor.redact_chain(&v).to_string(),
        _ => {
            let lower = text.to_ascii_lowercase();
            if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
                return REDACTED.to_owned();
            }
            redactor.redact_text(&text)
        }
    };
    let cut = truncate(&redacted, EXCERPT_CHARS);
    if cut.len() < redacted.len() {
        format!("{cut}…")
    } else {
        cut.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_lose_credentials_and_signatures() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer abc".parse().unwrap());
        h.insert("x-hub-signature-256", "sha256=00".parse().unwrap());
        h.insert("stripe-signature", "t=1,v1=00".parse().unwrap());
        h.insert("x-shopify-hmac-sha256", "AA==".parse().unwrap());
        h.insert("user-agent", "GitHub-Hookshot".parse().unwrap());
        let v = redact_headers(&h, &Redactor::new(&[]));
        for k in [
            "authorization",
            "x-hub-signature-256",
            "stripe-signature",
            "x-shopify-hmac-sha256",
        ] {
            assert_eq!(v[k], REDACTED, "{k}");
        }
        assert_eq!(v["user-agent"], "GitHub-Hookshot");
    }

    #[test]
    fn excerpts_are_short_and_redacted() {
        let r = Redactor::new(&[("API_KEY".into(), "sk_live_123456".into())]);
        let e = excerpt(br#"{"password": "hunter22", "note": "sk_live_123456"}"#, &r);
        assert!(
            !e.contains("hunter22") && !e.contains("sk_live_123456"),
            "{e}"
        );
        assert_eq!(excerpt(br#"{"password": "hun"#, &r), REDACTED);
        assert_eq!(excerpt(b"plain text", &r), "plain text");
        let long = "x".repeat(1000);
        let e = excerpt(long.as_bytes(), &r);
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt("é".repeat(300).as_bytes(), &r).chars().count(), 257);
    }
}
