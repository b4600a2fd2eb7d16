//! Collection and field metadata, plus Sluice's own `sluice_kv` table.

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
                    .table(DirectusCollections::Table)
                    .col(string_len(DirectusCollections::Collection, 64).primary_key())
                    .col(string_len_null(DirectusCollections::Icon, 64))
                    .col(text_null(DirectusCollections::Note))
                    .col(string_len_null(DirectusCollections::DisplayTemplate, 255))
                    .col(boolean(DirectusCollections::Hidden).default(false))
                    .col(boolean(DirectusCollections::Singleton).default(false))
                    .col(json_binary_null(DirectusCollections::Translations))
                    .col(string_len_null(DirectusCollections::ArchiveField, 64))
                    .col(boolean(DirectusCollections::ArchiveAppFilter).default(true))
                    .col(string_len_null(DirectusCollections::ArchiveValue, 255))
                    .col(string_len_null(DirectusCollections::UnarchiveValue, 255))
                    .col(string_len_null(DirectusCollections::SortField, 64))
                    .col(string_len_null(DirectusCollections::Accountability, 255).default("all"))
                    .col(string_len_null(DirectusCollections::Color, 255))
                    .col(json_binary_null(DirectusCollections::ItemDuplicationFields))
                    .col(integer_null(DirectusCollections::Sort))
                    .col(string_len_null(DirectusCollections::Group, 64))
                    .col(string_len(DirectusCollections::Collapse, 255).default("open"))
                    .col(string_len_null(DirectusCollections::PreviewUrl, 255))
                    .col(boolean(DirectusCollections::Versioning).default(false))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DirectusFields::Table)
                    .col(pk_auto(DirectusFields::Id))
                    .col(string_len(DirectusFields::Collection, 64))
                    .col(string_len(DirectusFields::Field, 64))
                    .col(string_len_null(DirectusFields::Special, 64))
                    .col(string_len_null(DirectusFields::Interface, 64))
                    .col(json_binary_null(DirectusFields::Options))
                    .col(string_len_null(DirectusFields::Display, 64))
                    .col(json_binary_null(DirectusFields::DisplayOptions))
                    .col(boolean(DirectusFields::Readonly).default(false))
                    .col(boolean(DirectusFields::Hidden).default(false))
                    .col(integer_null(DirectusFields::Sort))
                    .col(string_len_null(DirectusFields::Width, 30).default("full"))
                    .col(json_binary_null(DirectusFields::Translations))
                    .col(text_null(DirectusFields::Note))
                    .col(json_binary_null(DirectusFields::Conditions))
                    .col(boolean_null(DirectusFields::Required).default(false))
                    .col(string_len_null(DirectusFields::Group, 64))
                    .col(json_binary_null(DirectusFields::Validation))
                    .col(text_null(DirectusFields::ValidationMessage))
                    .col(boolean(DirectusFields::Searchable).default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_directus_fields_collection_field")
                    .table(DirectusFields::Table)
                    .col(DirectusFields::Collection)
                    .col(DirectusFields::Field)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SluiceKv::Table)
                    .col(string_len(SluiceKv::Key, 64).primary_key())
                    .col(text(SluiceKv::Value))
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The unique index goes with its table.
        for table in [
            SluiceKv::Table.into_iden(),
            DirectusFields::Table.into_iden(),
            DirectusCollections::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum DirectusCollections {
    Table,
    Collection,
    Icon,
    Note,
    DisplayTemplate,
    Hidden,
    Singleton,
    Translations,
    ArchiveField,
    ArchiveAppFilter,
    ArchiveValue,
    UnarchiveValue,
    SortField,
    Accountability,
    Color,
    ItemDuplicationFields,
    Sort,
    Group,
    Collapse,
    PreviewUrl,
    Versioning,
}

#[derive(DeriveIden)]
enum DirectusFields {
    Table,
    Id,
    Collection,
    Field,
    Special,
    Interface,
    Options,
    Display,
    DisplayOptions,
    Readonly,
    Hidden,
    Sort,
    Width,
    Translations,
    Note,
    Conditions,
    Required,
    Group,
    Validation,
    ValidationMessage,
    Searchable,
}

#[derive(DeriveIden)]
enum SluiceKv {
    Table,
    Key,
    Value,
}
