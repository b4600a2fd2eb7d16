//! `sluice_refused`: one row per webhook call a flow refused (issue 16 point 4) — when, why
//! (a reason code), the status answered, the caller's address, redacted headers, the body's
//! size and a short redacted excerpt, and the body itself when the flow keeps refused bodies
//! for replay. Bounded per flow by the server (`FLOWS_REFUSED_MAX`).

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
                    .table(SluiceRefused::Table)
                    .col(pk_auto(SluiceRefused::Id))
                    .col(uuid(SluiceRefused::Flow))
                    .col(timestamp_with_time_zone(SluiceRefused::Timestamp))
                    .col(string_len(SluiceRefused::Reason, 32))
                    .col(integer(SluiceRefused::Status))
                    .col(string_len_null(SluiceRefused::Message, 255))
                    .col(string_len_null(SluiceRefused::Ip, 50))
                    .col(string_len(SluiceRefused::Method, 10))
                    .col(text_null(SluiceRefused::Query))
                    .col(uuid_null(SluiceRefused::User))
                    .col(json_binary_null(SluiceRefused::Headers))
                    .col(big_integer(SluiceRefused::BodySize))
                    .col(text_null(SluiceRefused::Excerpt))
                    .col(text_null(SluiceRefused::Body))
                    .col(boolean(SluiceRefused::Replayable).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sluice_refused_flow_id")
                    .table(SluiceRefused::Table)
                    .col(SluiceRefused::Flow)
                    .col(SluiceRefused::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SluiceRefused::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SluiceRefused {
    Table,
    Id,
    Flow,
    Timestamp,
    Reason,
    Status,
    Message,
    Ip,
    Method,
    Query,
    User,
    Headers,
    BodySize,
    Excerpt,
    Body,
    Replayable,
}
