//! `sluice_idempotency`: one row per (flow, idempotency key) delivered within its TTL — the
//! first delivery's answer once it is known (`status` null while it runs), when the row
//! expires, and how many repeats were answered from it (issue 13 point 7). Times are epoch
//! milliseconds and the flow is its UUID text, the same on SQLite and PostgreSQL.

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
                    .table(SluiceIdempotency::Table)
                    .col(string_len(SluiceIdempotency::Flow, 36))
                    .col(string_len(SluiceIdempotency::Key, 255))
                    .col(integer_null(SluiceIdempotency::Status))
                    .col(text_null(SluiceIdempotency::Body))
                    .col(big_integer(SluiceIdempotency::CreatedAt))
                    .col(big_integer(SluiceIdempotency::ExpiresAt))
                    .col(integer(SluiceIdempotency::Duplicates).default(0))
                    .primary_key(
                        Index::create()
                            .col(SluiceIdempotency::Flow)
                            .col(SluiceIdempotency::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sluice_idempotency_expires_at")
                    .table(SluiceIdempotency::Table)
                    .col(SluiceIdempotency::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SluiceIdempotency::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SluiceIdempotency {
    Table,
    Flow,
    Key,
    Status,
    Body,
    CreatedAt,
    ExpiresAt,
    Duplicates,
}
