//! A write's transaction: `begin_write` (behind the SQLite write gate, `BEGIN IMMEDIATE`) and
//! `TxnScope`, the transaction lent to filter listeners, opened lazily at the first write and,
//! on SQLite, held by them only for a bounded time.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::{Notify, OnceCell};
use tokio::time::Instant;

use crate::db::WriteGate;
use crate::error::{ApiError, ErrorCode, Result};

/// A connection or transaction the service can run on and open (nested) transactions from.
pub trait Conn: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction> {
    /// The same connection, as where a write's transaction is opened from.
    fn outer(&self) -> Outer<'_>;
}

impl Conn for DatabaseConnection {
    fn outer(&self) -> Outer<'_> {
        Outer::Pool(self)
    }
}

impl Conn for DatabaseTransaction {
    fn outer(&self) -> Outer<'_> {
        Outer::Txn(self)
    }
}

pub use crate::db::GateGuard;

/// Begins a write transaction behind the write gate (SQLite: `BEGIN IMMEDIATE`, so a
/// read-then-write transaction never fails to upgrade its lock).
pub async fn begin_write(
    conn: &impl Conn,
    gate: &crate::db::WriteGate,
) -> Result<(DatabaseTransaction, GateGuard)> {
    let guard = gate.enter().await;
    let txn = conn
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
        .map_err(ApiError::from)?;
    Ok((txn, guard))
}

/// Where a write's transaction is opened from: the pool, or an enclosing transaction (a
/// filter flow's own write with `emitEvents`).
#[derive(Clone, Copy)]
pub enum Outer<'c> {
    Pool(&'c DatabaseConnection),
    Txn(&'c DatabaseTransaction),
}

/// Where a filter listener's reads go: the outer connection until the write's transaction is
/// open (nothing is written yet, so both see the same data), the transaction afterwards.
pub enum Reader<'c> {
    Pool(&'c DatabaseConnection),
    Txn(&'c DatabaseTransaction),
}

/// The write's transaction and, on SQLite, the write gate it holds.
struct Opened {
    txn: DatabaseTransaction,
    _gate: GateGuard,
    at: Instant,
}

/// The transaction of a write, lent to filter listeners so their own reads and writes see it
/// and commit or roll back with it. It is opened lazily, at the first write: a filter flow that
/// validates, calls an API or sleeps before writing holds no lock meanwhile. On SQLite, once
/// it is open (the write gate held), what still runs under it is bounded by
/// `FLOWS_FILTER_LOCK_TIMEOUT`, so a slow flow can make only its own write fail, never stall
/// the other writers for longer.
pub struct TxnScope<'c> {
    outer: Outer<'c>,
    gate: WriteGate,
    /// The hold bound (SQLite only: PostgreSQL has no write gate).
    hold_limit: Option<Duration>,
    opened: OnceCell<Opened>,
    /// Wakes the hold watch when the transaction opens.
    opened_now: Notify,
    /// Collections written inside the transaction by listeners.
    touched: Mutex<Vec<String>>,
}

impl<'c> TxnScope<'c> {
    pub fn new(outer: Outer<'c>, gate: WriteGate, hold_limit: Duration) -> Self {
        TxnScope {
            outer,
            hold_limit: gate.is_active().then_some(hold_limit),
            gate,
            opened: OnceCell::new(),
            opened_now: Notify::new(),
            touched: Mutex::new(Vec::new()),
        }
    }

    /// The write's transaction, opened (behind the write gate) on first use.
    pub async fn txn(&self) -> Result<&DatabaseTransaction> {
        let opened = self
            .opened
            .get_or_try_init(|| async {
                let (txn, gate) = match self.outer {
                    Outer::Pool(db) => begin_write(db, &self.gate).await?,
                    Outer::Txn(t) => begin_write(t, &self.gate).await?,
                };
                self.opened_now.notify_one();
                Ok::<_, ApiError>(Opened {
                    txn,
                    _gate: gate,
                    at: Instant::now(),
                })
            })
            .await?;
        Ok(&opened.txn)
    }

    /// Where reads go now.
    pub fn reader(&self) -> Reader<'_> {
        match (self.opened.get(), self.outer) {
            (Some(o), _) => Reader::Txn(&o.txn),
            (None, Outer::Pool(db)) => Reader::Pool(db),
            (None, Outer::Txn(t)) => Reader::Txn(t),
        }
    }

    /// Runs the filter listeners' part of a write: on SQLite it may hold the open transaction
    /// for at most the hold bound, after which the write fails with 503 (and rolls back).
    pub async fn bounded<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        let Some(limit) = self.hold_limit else {
            return work.await;
        };
        tokio::pin!(work);
        loop {
            if let Some(opened) = self.opened.get() {
                return tokio::select! {
                    out = &mut work => out,
                    () = tokio::time::sleep_until(opened.at + limit) => Err(held_too_long(limit)),
                };
            }
            tokio::select! {
                out = &mut work => return out,
                () = self.opened_now.notified() => {}
            }
        }
    }

    /// Notes a collection a listener wrote to.
    pub fn touch(&self, collection: &str) {
        let mut t = self.touched.lock().unwrap_or_else(|e| e.into_inner());
        if !t.iter().any(|c| c == collection) {
            t.push(collection.to_owned());
        }
    }

    /// Commits the transaction (if anything opened it) and releases the gate; returns the
    /// collections listeners wrote to.
    pub async fn commit(self) -> Result<Vec<String>> {
        if let Some(opened) = self.opened.into_inner() {
            opened.txn.commit().await?;
        }
        Ok(self.touched.into_inner().unwrap_or_else(|e| e.into_inner()))
    }
}

fn held_too_long(limit: Duration) -> ApiError {
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        format!(
            "A filter flow held the database's write lock for more than {} s (FLOWS_FILTER_LOCK_TIMEOUT); nothing was written.",
            limit.as_secs_f64()
        ),
    )
}
