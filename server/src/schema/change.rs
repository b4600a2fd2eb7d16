//! The transaction a schema change runs in. On PostgreSQL a plain transaction (its DDL is
//! transactional). On SQLite the connection's foreign key enforcement is switched off for it,
//! as SQLite's table-rebuild procedure requires (with enforcement on, dropping a rebuilt
//! parent table would run its children's ON DELETE actions), and switched on again however
//! the change ends: committed, failed, or dropped half-way (a cancelled request) — so no
//! pooled connection is ever left without enforcement. Rebuilds check the foreign keys they
//! touch themselves (`rebuild.rs`).

use std::ops::Deref;

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::db::{GateGuard, WriteGate};

/// An open schema change; use it as the connection of the DDL and metadata writes.
pub struct SchemaChange {
    /// Present until `commit` or drop.
    txn: Option<DatabaseTransaction>,
    gate: Option<GateGuard>,
    sqlite: bool,
}

impl SchemaChange {
    /// Takes the write gate and opens the transaction.
    pub async fn begin(db: &DatabaseConnection, gate: &WriteGate) -> Result<SchemaChange, DbErr> {
        let guard = gate.enter().await;
        let txn = db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        let sqlite = db.get_database_backend() == DatabaseBackend::Sqlite;
        let change = SchemaChange {
            txn: Some(txn),
            gate: Some(guard),
            sqlite,
        };
        if sqlite {
            // Enforcement can be switched only outside a transaction: end the one just opened
            // (nothing is written yet, and the gate keeps this process's writers out), switch,
            // and open another on the same connection. The driver still counts one open
            // transaction, which `commit` and the drop guard close.
            change.txn().execute_unprepared("COMMIT").await?;
            change
                .txn()
                .execute_unprepared("PRAGMA foreign_keys = OFF")
                .await?;
            change.txn().execute_unprepared("BEGIN IMMEDIATE").await?;
        }
        Ok(change)
    }

    fn txn(&self) -> &DatabaseTransaction {
        match &self.txn {
            Some(t) => t,
            None => unreachable!("a schema change keeps its transaction until commit or drop"),
        }
    }

    /// Commits, then (SQLite) switches enforcement back on.
    pub async fn commit(mut self) -> Result<(), DbErr> {
        if self.sqlite {
            self.txn().execute_unprepared("COMMIT").await?;
            self.txn()
                .execute_unprepared("PRAGMA foreign_keys = ON")
                .await?;
            // The driver's own commit needs a transaction to end.
            self.txn().execute_unprepared("BEGIN").await?;
        }
        if let Some(txn) = self.txn.take() {
            txn.commit().await?;
        }
        self.gate.take();
        Ok(())
    }
}

impl Deref for SchemaChange {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        self.txn()
    }
}

/// Rolls back whatever is still open and switches enforcement on again.
async fn restore(txn: DatabaseTransaction) {
    // Fails harmlessly when the change had already committed.
    let _ = txn.execute_unprepared("ROLLBACK").await;
    if let Err(e) = txn.execute_unprepared("PRAGMA foreign_keys = ON").await {
        tracing::error!(error = %e, "could not switch SQLite foreign keys back on");
    }
    let _ = txn.execute_unprepared("BEGIN").await;
    let _ = txn.rollback().await;
}

impl Drop for SchemaChange {
    fn drop(&mut self) {
        let Some(txn) = self.txn.take() else {
            return;
        };
        if !self.sqlite {
            // The transaction rolls itself back when dropped.
            return;
        }
        let gate = self.gate.take();
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    restore(txn).await;
                    // The gate is held until the connection is whole again.
                    drop(gate);
                });
            }
            Err(_) => tracing::error!("a schema change was dropped outside the runtime"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::{ConnectOptions, Database, Statement};

    use super::*;

    /// One connection, so every check below sees the connection the change used.
    async fn memory() -> DatabaseConnection {
        let mut opts = ConnectOptions::new("sqlite::memory:");
        opts.max_connections(1)
            .min_connections(1)
            .sqlx_logging(false);
        let db = Database::connect(opts).await.unwrap();
        db.execute_unprepared("PRAGMA foreign_keys = ON")
            .await
            .unwrap();
        db.execute_unprepared(
            "CREATE TABLE p (id integer PRIMARY KEY); \
             CREATE TABLE c (id integer PRIMARY KEY, p integer REFERENCES p (id) ON DELETE CASCADE); \
             INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1);",
        )
        .await
        .unwrap();
        db
    }

    async fn enforcing(db: &impl ConnectionTrait) -> i64 {
        db.query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA foreign_keys",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
    }

    async fn children(db: &DatabaseConnection) -> i64 {
        db.query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT count(*) FROM c",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
    }

    #[tokio::test]
    async fn enforcement_is_off_inside_and_on_after_commit() {
        let db = memory().await;
        let gate = WriteGate::for_backend(&db);
        let change = SchemaChange::begin(&db, &gate).await.unwrap();
        assert_eq!(enforcing(&*change).await, 0);
        // A parent dropped inside the change does not cascade to its children.
        change
            .execute_unprepared(
                "CREATE TABLE p2 (id integer PRIMARY KEY); INSERT INTO p2 SELECT id FROM p; \
                 DROP TABLE p; ALTER TABLE p2 RENAME TO p;",
            )
            .await
            .unwrap();
        change.commit().await.unwrap();
        assert_eq!(enforcing(&db).await, 1);
        assert_eq!(children(&db).await, 1);
        // Enforcement really is back: a dangling key is refused.
        assert!(
            db.execute_unprepared("INSERT INTO c VALUES (2, 99)")
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_dropped_change_rolls_back_and_restores_enforcement() {
        let db = memory().await;
        let gate = WriteGate::for_backend(&db);
        let change = SchemaChange::begin(&db, &gate).await.unwrap();
        change.execute_unprepared("DELETE FROM c").await.unwrap();
        drop(change);
        // The restore runs on a task of its own and holds the gate until it is done.
        let _held = tokio::time::timeout(Duration::from_secs(5), gate.enter())
            .await
            .unwrap();
        assert_eq!(enforcing(&db).await, 1);
        assert_eq!(children(&db).await, 1);
    }
}
