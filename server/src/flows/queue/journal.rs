//! A queued run's journal (issue 13 point 5): the steps it has already completed, kept in
//! `sluice_run_steps`, so a run that is resumed (after a crash or a lost lease) or retried
//! reuses their outputs and continues from the first unfinished step. An item operation's
//! record is written in the transaction of its write (the step happened and is recorded, or
//! neither); other steps are recorded once they return, so they are at-least-once.

use sea_orm::{ConnectionTrait, DbErr, Value as SqlValue};
use serde_json::Value;
use uuid::Uuid;

use crate::db::statement;

/// One completed step.
pub struct Done {
    pub key: String,
    pub resolved: bool,
    pub data: Value,
}

/// The steps a queued run completed, in the order they ran.
pub struct Journal {
    run: Uuid,
    done: Vec<Done>,
}

impl Journal {
    /// A run that has completed nothing yet.
    pub fn new(run: Uuid) -> Journal {
        Journal {
            run,
            done: Vec::new(),
        }
    }

    /// The steps `run` recorded.
    pub async fn load(db: &impl ConnectionTrait, run: Uuid) -> Result<Journal, DbErr> {
        let rows = db
            .query_all_raw(statement(
                db,
                "SELECT \"key\", resolved, data FROM sluice_run_steps WHERE run = ? ORDER BY seq",
                vec![run.to_string().into()],
            ))
            .await?;
        let mut done = Vec::with_capacity(rows.len());
        for row in rows {
            let data: String = row.try_get("", "data")?;
            done.push(Done {
                key: row.try_get("", "key")?,
                resolved: row.try_get("", "resolved")?,
                data: serde_json::from_str(&data).unwrap_or(Value::Null),
            });
        }
        Ok(Journal { run, done })
    }

    pub fn run(&self) -> Uuid {
        self.run
    }

    /// The record of the `seq`-th step (0-based) when it was operation `key`'s.
    pub fn done(&self, seq: usize, key: &str) -> Option<&Done> {
        self.done.get(seq).filter(|d| d.key == key)
    }

    /// Records the `seq`-th step on `conn` (a step's own write transaction, or the pool behind
    /// the write gate). A record left by an earlier version of the flow is replaced.
    pub async fn record(
        &self,
        conn: &impl ConnectionTrait,
        seq: usize,
        key: &str,
        resolved: bool,
        data: &Value,
    ) -> Result<(), DbErr> {
        let backend = conn.get_database_backend();
        conn.execute_raw(record(backend, self.run, seq, key, resolved, data))
            .await?;
        Ok(())
    }

    /// The record of the `seq`-th step, operation `key`, an item create that writes it in its
    /// own transaction with the created keys (its output).
    pub fn create_step(&self, seq: usize, key: &str) -> CreateStep {
        CreateStep {
            run: self.run,
            seq,
            key: key.to_owned(),
        }
    }
}

/// The journal record of an item-create step, written by the create itself.
pub struct CreateStep {
    run: Uuid,
    seq: usize,
    key: String,
}

impl crate::items::WriteRecord for CreateStep {
    fn statement(&self, backend: sea_orm::DatabaseBackend, keys: &[Value]) -> sea_orm::Statement {
        let output = Value::Array(keys.to_vec());
        record(backend, self.run, self.seq, &self.key, true, &output)
    }
}

/// The upsert of one step's record (a record left by an earlier version of the flow is
/// replaced).
fn record(
    backend: sea_orm::DatabaseBackend,
    run: Uuid,
    seq: usize,
    key: &str,
    resolved: bool,
    data: &Value,
) -> sea_orm::Statement {
    sea_orm::Statement::from_sql_and_values(
        backend,
        crate::db::placeholders(
            backend,
            "INSERT INTO sluice_run_steps (run, seq, \"key\", resolved, data) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (run, seq) DO UPDATE SET \"key\" = excluded.\"key\", \
             resolved = excluded.resolved, data = excluded.data",
        ),
        vec![
            run.to_string().into(),
            SqlValue::Int(Some(i32::try_from(seq).unwrap_or(i32::MAX))),
            key.into(),
            resolved.into(),
            data.to_string().into(),
        ],
    )
}
