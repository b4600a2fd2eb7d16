//! `sluice_runs`: one summary row per flow run (status, method, HTTP status, duration), so run
//! logs can be listed and filtered without reading every revision.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

// `MigrationTrait` declares `&SchemaManager` with an elided lifetime; writing
// `SchemaManager<'_>` here makes the lifetime early-bound and fails E0195.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SluiceRuns::Table)
                    .col(pk_auto(SluiceRuns::Id))
                    .col(uuid(SluiceRuns::Flow))
                    .col(integer_null(SluiceRuns::Activity))
                    .col(integer_null(SluiceRuns::Revision))
                    .col(string_len(SluiceRuns::Status, 16))
                    .col(string_len(SluiceRuns::Trigger, 16))
                    .col(string_len_null(SluiceRuns::Method, 10))
                    .col(integer_null(SluiceRuns::HttpStatus))
                    .col(double(SluiceRuns::DurationMs))
                    .col(integer(SluiceRuns::Steps))
                    .col(timestamp_with_time_zone(SluiceRuns::Timestamp))
                    .col(uuid_null(SluiceRuns::User))
                    .col(string_len_null(SluiceRuns::Ip, 50))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sluice_runs_flow_timestamp")
                    .table(SluiceRuns::Table)
                    .col(SluiceRuns::Flow)
                    .col(SluiceRuns::Timestamp)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SluiceRuns::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SluiceRuns {
    Table,
    Id,
    Flow,
    Activity,
    Revision,
    Status,
    Trigger,
    Method,
    HttpStatus,
    DurationMs,
    Steps,
    Timestamp,
    User,
    Ip,
}
