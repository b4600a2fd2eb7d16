//! Group commit for item creates on SQLite. sqlx runs each SQLite statement on the
//! connection's own thread, so a create (begin, insert, activity, revision, commit) costs five
//! thread hand-offs; under load those dominate. Creates arriving together are queued and
//! written by one task in one transaction: one multi-row INSERT per collection and column set,
//! one for their activity rows, one for their revisions. If anything in a batch fails, the
//! batch is rolled back and each create is retried alone, so every caller gets its own answer
//! and nothing is half-written.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::sea_query::{Alias, InsertStatement, Query as SqlQuery};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::dberr;
use super::payload::Prepared;
use crate::access::Accountability;
use crate::db::{WriteGate, rows_per_statement};
use crate::error::{ApiError, Result};
use crate::query::values::{Decode, decode, key_text};
use crate::schema::Collection;
use crate::services::activity::{self, Activity, Revision};

/// One caller's creates.
pub(crate) struct CreateJob {
    pub collection: Arc<Collection>,
    pub rows: Vec<Prepared>,
    pub acc: Arc<Accountability>,
    /// (activity, revisions)
    pub audit: (bool, bool),
    /// Written with the created keys in the batch's transaction.
    pub record: Option<Arc<dyn super::WriteRecord>>,
    pub reply: oneshot::Sender<Result<Vec<Value>>>,
}

/// The queue in front of the batch writer.
#[derive(Clone)]
pub struct Batcher {
    tx: mpsc::Sender<CreateJob>,
}

/// Rows one batch writes at most.
const MAX_ROWS: usize = 256;

impl Batcher {
    pub fn start(db: DatabaseConnection, gate: WriteGate) -> Batcher {
        let (tx, mut rx) = mpsc::channel::<CreateJob>(1024);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                let mut rows = jobs[0].rows.len();
                while rows < MAX_ROWS {
                    match rx.try_recv() {
                        Ok(job) => {
                            rows += job.rows.len();
                            jobs.push(job);
                        }
                        Err(_) => break,
                    }
                }
                let _guard = gate.enter().await;
                match write(&db, &jobs).await {
                    Ok(keys) => {
                        for (job, k) in jobs.into_iter().zip(keys) {
                            let _ = job.reply.send(Ok(k));
                        }
                    }
                    Err(_) if jobs.len() > 1 => {
                        // Find the culprit: each job alone, with its own error.
                        for job in jobs {
                            let result = write(&db, std::slice::from_ref(&job))
                                .await
                                .map(|mut k| k.pop().unwrap_or_default())
                                .map_err(|e| e.into_api(&job));
                            let _ = job.reply.send(result);
                        }
                    }
                    Err(e) => {
                        if let Some(job) = jobs.pop() {
                            let err = e.into_api(&job);
                            let _ = job.reply.send(Err(err));
                        }
                    }
                }
            }
        });
        Batcher { tx }
    }

    /// Queues creates and waits for their keys (in payload order).
    pub(crate) async fn create(
        &self,
        collection: Arc<Collection>,
        rows: Vec<Prepared>,
        acc: Arc<Accountability>,
        audit: (bool, bool),
        record: Option<Arc<dyn super::WriteRecord>>,
    ) -> Result<Vec<Value>> {
        let (reply, wait) = oneshot::channel();
        let job = CreateJob {
            collection,
            rows,
            acc,
            audit,
            record,
            reply,
        };
        self.tx
            .send(job)
            .await
            .map_err(|_| ApiError::service_unavailable("api", "The writer has stopped"))?;
        wait.await
            .map_err(|_| ApiError::service_unavailable("api", "The writer has stopped"))?
    }
}

/// A batch failure: which job's rows failed (when known) and the database error.
struct BatchError {
    row_payload: Option<serde_json::Map<String, Value>>,
    err: DbErr,
}

impl BatchError {
    fn into_api(self, job: &CreateJob) -> ApiError {
        dberr::map(self.err, &job.collection, self.row_payload.as_ref())
    }
}

impl From<DbErr> for BatchError {
    fn from(err: DbErr) -> Self {
        BatchError {
            row_payload: None,
            err,
        }
    }
}

async fn returning_ids(
    txn: &impl ConnectionTrait,
    stmt: &InsertStatement,
    expected: usize,
    decode_as: Decode,
) -> std::result::Result<Vec<Value>, DbErr> {
    let rows = txn
        .query_all_raw(txn.get_database_backend().build(stmt))
        .await?;
    if rows.len() != expected {
        return Err(DbErr::Custom(format!(
            "inserted {} rows, expected {expected}",
            rows.len()
        )));
    }
    Ok(rows.iter().map(|r| decode(r, 0, decode_as)).collect())
}

/// Rows sharing a table and column list: (table, columns, (job, row) members).
type Group<'a> = (String, Vec<&'a str>, Vec<(usize, usize)>);

/// Writes every job in one transaction; keys per job, in order.
async fn write(
    db: &DatabaseConnection,
    jobs: &[CreateJob],
) -> std::result::Result<Vec<Vec<Value>>, BatchError> {
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    let mut keys: Vec<Vec<Value>> = jobs
        .iter()
        .map(|j| vec![Value::Null; j.rows.len()])
        .collect();
    // Group rows that share a collection and column list into one INSERT.
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (j, job) in jobs.iter().enumerate() {
        for (r, row) in job.rows.iter().enumerate() {
            let cols: Vec<&str> = row.values.iter().map(|(n, _)| n.as_str()).collect();
            match groups
                .iter_mut()
                .find(|g| g.0 == job.collection.name && g.1 == cols)
            {
                Some(g) => g.2.push((j, r)),
                None => groups.push((job.collection.name.clone(), cols, vec![(j, r)])),
            }
        }
    }
    for (table, cols, members) in &groups {
        let (j0, _) = members[0];
        let coll = &jobs[j0].collection;
        let pk = coll
            .primary_field()
            .ok_or_else(|| DbErr::Custom("collection without primary key".into()))?;
        let mut stmt = SqlQuery::insert();
        stmt.into_table(Alias::new(table.as_str()));
        if cols.is_empty() {
            // DEFAULT VALUES cannot be multi-row: one statement per row.
            for &(j, r) in members {
                let mut one = SqlQuery::insert();
                one.into_table(Alias::new(table.as_str()))
                    .or_default_values()
                    .returning_col(Alias::new(pk.name.as_str()));
                let ids = returning_ids(&txn, &one, 1, Decode::Field(pk.kind))
                    .await
                    .map_err(|err| BatchError {
                        row_payload: Some(jobs[j].rows[r].audit.clone()),
                        err,
                    })?;
                keys[j][r] = ids.into_iter().next().unwrap_or(Value::Null);
            }
            continue;
        }
        stmt.columns(cols.iter().map(|c| Alias::new(*c)));
        stmt.returning_col(Alias::new(pk.name.as_str()));
        for chunk in members.chunks(rows_per_statement(cols.len())) {
            let mut stmt = stmt.clone();
            for &(j, r) in chunk {
                stmt.values(jobs[j].rows[r].values.iter().map(|(_, v)| v.clone().into()))
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            let ids = returning_ids(&txn, &stmt, chunk.len(), Decode::Field(pk.kind))
                .await
                .map_err(|err| BatchError {
                    row_payload: (members.len() == 1).then(|| jobs[j0].rows[0].audit.clone()),
                    err,
                })?;
            for (&(j, r), id) in chunk.iter().zip(ids) {
                keys[j][r] = id;
            }
        }
    }
    audit(&txn, jobs, &keys).await?;
    let backend = txn.get_database_backend();
    for (job, keys) in jobs.iter().zip(&keys) {
        if let Some(record) = &job.record {
            txn.execute_raw(record.statement(backend, keys)).await?;
        }
    }
    txn.commit().await?;
    Ok(keys)
}

/// Activity rows (and revisions, for collections that keep them) for every created item, in
/// as few statements as the parameter limit allows.
async fn audit(
    txn: &impl ConnectionTrait,
    jobs: &[CreateJob],
    keys: &[Vec<Value>],
) -> std::result::Result<(), DbErr> {
    let now = Utc::now();
    let entries: Vec<(usize, usize)> = jobs
        .iter()
        .enumerate()
        .filter(|(_, job)| job.audit.0)
        .flat_map(|(j, _)| (0..keys[j].len()).map(move |r| (j, r)))
        .collect();
    let rows = entries
        .iter()
        .map(|&(j, r)| {
            let job = &jobs[j];
            Activity::by(
                &job.acc,
                "create",
                &job.collection.name,
                key_text(&keys[j][r]),
                now,
            )
        })
        .collect();
    let ids = activity::insert(txn, rows).await?;
    let revisions: Vec<Revision> = entries
        .iter()
        .zip(ids)
        .filter(|((j, _), _)| jobs[*j].audit.1)
        .map(|(&(j, r), id)| {
            let job = &jobs[j];
            let audit = &job.rows[r].audit;
            let mut data = audit.clone();
            data.insert(job.collection.primary.clone(), keys[j][r].clone());
            Revision {
                activity: id,
                collection: job.collection.name.clone(),
                item: key_text(&keys[j][r]),
                data: Some(Value::Object(data).to_string()),
                delta: Some(Value::Object(audit.clone()).to_string()),
            }
        })
        .collect();
    if !revisions.is_empty() {
        activity::insert_revisions(txn, revisions).await?;
    }
    Ok(())
}
