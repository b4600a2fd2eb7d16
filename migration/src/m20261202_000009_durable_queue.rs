//! The durable run queue (issue 13 points 1, 5, 7): `sluice_queue` holds every accepted run
//! that has not finished — its `$trigger`, its caller, its attempt, when it is due and, while
//! an instance executes it, which instance and until when (the lease); `sluice_run_steps` holds
//! the steps a queued run already completed, so a resumed or retried run reuses them;
//! `sluice_runs` gains the run id its attempts share and the duplicate deliveries it absorbed;
//! `sluice_idempotency` remembers the run a key's first delivery started. Both new tables are
//! internal: no route reads them. Times are epoch milliseconds, ids UUID text, so the same
//! statements serve SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

// See m20261126_000005_runs.rs for why the lifetime stays elided.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SluiceQueue::Table)
                    .col(string_len(SluiceQueue::Run, 36).primary_key())
                    .col(string_len(SluiceQueue::Flow, 36))
                    .col(boolean(SluiceQueue::Logged))
                    .col(integer(SluiceQueue::Attempt))
                    .col(string_len(SluiceQueue::Status, 16))
                    .col(big_integer(SluiceQueue::RunAt))
                    .col(big_integer_null(SluiceQueue::LeaseUntil))
                    .col(string_len_null(SluiceQueue::Owner, 36))
                    .col(integer(SluiceQueue::Claims).default(0))
                    .col(text(SluiceQueue::Payload))
                    .col(text(SluiceQueue::Accountability))
                    .col(string_len_null(SluiceQueue::Method, 10))
                    .col(integer_null(SluiceQueue::HttpStatus))
                    .col(integer(SluiceQueue::Depth).default(0))
                    .col(big_integer(SluiceQueue::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sluice_queue_status_run_at")
                    .table(SluiceQueue::Table)
                    .col(SluiceQueue::Status)
                    .col(SluiceQueue::RunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SluiceRunSteps::Table)
                    .col(string_len(SluiceRunSteps::Run, 36))
                    .col(integer(SluiceRunSteps::Seq))
                    .col(string_len(SluiceRunSteps::Key, 255))
                    .col(boolean(SluiceRunSteps::Resolved))
                    .col(text(SluiceRunSteps::Data))
                    .primary_key(
                        Index::create()
                            .col(SluiceRunSteps::Run)
                            .col(SluiceRunSteps::Seq),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SluiceRuns::Table)
                    .add_column(string_len_null(SluiceRuns::Run, 36))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SluiceRuns::Table)
                    .add_column(integer(SluiceRuns::Duplicates).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sluice_runs_run")
                    .table(SluiceRuns::Table)
                    .col(SluiceRuns::Run)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SluiceIdempotency::Table)
                    .add_column(string_len_null(SluiceIdempotency::Run, 36))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SluiceQueue::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SluiceRunSteps::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_sluice_runs_run")
                    .table(SluiceRuns::Table)
                    .to_owned(),
            )
            .await?;
        for col in [SluiceRuns::Run, SluiceRuns::Duplicates] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SluiceRuns::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(SluiceIdempotency::Table)
                    .drop_column(SluiceIdempotency::Run)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SluiceQueue {
    Table,
    Run,
    Flow,
    Logged,
    Attempt,
    Status,
    RunAt,
    LeaseUntil,
    Owner,
    Claims,
    Payload,
    Accountability,
    Method,
    HttpStatus,
    Depth,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SluiceRunSteps {
    Table,
    Run,
    Seq,
    Key,
    Resolved,
    Data,
}

#[derive(DeriveIden)]
enum SluiceRuns {
    Table,
    Run,
    Duplicates,
}

#[derive(DeriveIden)]
enum SluiceIdempotency {
    Table,
    Run,
}
