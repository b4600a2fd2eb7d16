//! Runs the migrations up, down and up again on SQLite (in memory) and on a throwaway
//! PostgreSQL database, then round-trips one row through every entity.

use chrono::{DateTime, TimeZone, Utc};
use entity::*;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ConnectOptions, ConnectionTrait, Database,
    DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel, Statement,
};
use serde_json::json;
use uuid::Uuid;

/// Admin connection used to create and drop the throwaway PostgreSQL database.
fn pg_admin_url() -> String {
    std::env::var("SLUICE_TEST_PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A timestamp with microsecond precision (PostgreSQL's resolution).
fn ts() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::microseconds(123_456)
}

async fn migrate_up_down_up(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("first up");
    Migrator::down(db, None).await.expect("down");
    Migrator::up(db, None).await.expect("second up");
    let pending = Migrator::get_pending_migrations(db).await.unwrap();
    assert!(pending.is_empty(), "no pending migrations after up");
}

/// Inserts `model` through its ActiveModel, then reads it back by primary key (`$pk`).
macro_rules! round_trip {
    ($db:expr, $module:ident, $pk:ident, $model:expr) => {{
        let model: $module::Model = $model;
        let inserted = model.clone().into_active_model().insert($db).await.unwrap();
        assert_eq!(inserted, model, "{} insert", stringify!($module));
        let fetched = $module::Entity::find_by_id(model.$pk.clone())
            .one($db)
            .await
            .unwrap()
            .expect("row exists");
        assert_eq!(fetched, model, "{} read back", stringify!($module));
    }};
}

/// Same as `round_trip!` for auto-increment integer keys: the id comes from the database.
macro_rules! round_trip_auto {
    ($db:expr, $module:ident, $model:expr) => {{
        let mut model: $module::Model = $model;
        let mut am = model.clone().into_active_model();
        am.id = NotSet;
        let inserted = am.insert($db).await.unwrap();
        model.id = inserted.id;
        assert_eq!(inserted, model, "{} insert", stringify!($module));
        let fetched = $module::Entity::find_by_id(model.id)
            .one($db)
            .await
            .unwrap()
            .expect("row exists");
        assert_eq!(fetched, model, "{} read back", stringify!($module));
        model
    }};
}

async fn round_trip_all(db: &DatabaseConnection) {
    let user_id = Uuid::new_v4();
    let role_id = Uuid::new_v4();
    let policy_id = Uuid::new_v4();
    let flow_id = Uuid::new_v4();

    round_trip!(
        db,
        directus_roles,
        id,
        directus_roles::Model {
            id: role_id,
            name: "Administrator".into(),
            icon: "verified".into(),
            description: Some("Full access".into()),
            parent: None,
        }
    );
    round_trip!(
        db,
        directus_policies,
        id,
        directus_policies::Model {
            id: policy_id,
            name: "Administrator".into(),
            icon: "badge".into(),
            description: None,
            ip_access: Some("127.0.0.1,10.0.0.0/8".into()),
            enforce_tfa: false,
            admin_access: true,
            app_access: true,
        }
    );
    round_trip!(
        db,
        directus_access,
        id,
        directus_access::Model {
            id: Uuid::new_v4(),
            role: Some(role_id),
            user: None,
            policy: policy_id,
            sort: Some(1),
        }
    );
    round_trip_auto!(
        db,
        directus_permissions,
        directus_permissions::Model {
            id: 0,
            collection: "tickets".into(),
            action: "read".into(),
            permissions: Some(json!({"_and": [{"status": {"_eq": "open"}}]})),
            validation: Some(json!({})),
            presets: None,
            fields: Some("*".into()),
            policy: policy_id,
        }
    );
    round_trip!(
        db,
        directus_users,
        id,
        directus_users::Model {
            id: user_id,
            first_name: Some("Admin".into()),
            last_name: Some("User".into()),
            email: Some("admin@example.com".into()),
            password: Some("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA".into()),
            location: None,
            title: None,
            description: None,
            tags: Some(json!(["a", "b"])),
            avatar: None,
            language: None,
            tfa_secret: None,
            status: "active".into(),
            role: Some(role_id),
            token: Some("static-token".into()),
            last_access: Some(ts()),
            last_page: None,
            provider: "default".into(),
            external_identifier: None,
            auth_data: None,
            email_notifications: Some(true),
            appearance: None,
            theme_dark: None,
            theme_light: None,
            theme_light_overrides: Some(json!({"primary": "#6644FF"})),
            theme_dark_overrides: None,
            text_direction: "auto".into(),
        }
    );
    round_trip!(
        db,
        directus_sessions,
        token,
        directus_sessions::Model {
            token: "t".repeat(64),
            user: Some(user_id),
            expires: ts(),
            ip: Some("127.0.0.1".into()),
            user_agent: Some("test".into()),
            share: None,
            origin: Some("http://localhost".into()),
            next_token: None,
        }
    );
    round_trip_auto!(
        db,
        directus_settings,
        directus_settings::Model {
            id: 0,
            project_name: "Sluice".into(),
            project_url: None,
            project_color: Some("#6644FF".into()),
            project_logo: Some(Uuid::new_v4()),
            public_foreground: None,
            public_background: None,
            public_note: None,
            auth_login_attempts: Some(25),
            auth_password_policy: None,
            storage_asset_transform: Some("all".into()),
            custom_css: None,
            default_language: "en-US".into(),
            default_appearance: "auto".into(),
            module_bar: Some(json!([{"type": "module", "id": "content", "enabled": true}])),
            project_descriptor: None,
            mapbox_key: None,
        }
    );
    round_trip!(
        db,
        directus_collections,
        collection,
        directus_collections::Model {
            collection: "tickets".into(),
            icon: Some("box".into()),
            note: None,
            display_template: None,
            hidden: false,
            singleton: false,
            translations: None,
            archive_field: None,
            archive_app_filter: true,
            archive_value: None,
            unarchive_value: None,
            sort_field: None,
            accountability: Some("all".into()),
            color: None,
            item_duplication_fields: None,
            sort: None,
            group: None,
            collapse: "open".into(),
            preview_url: None,
            versioning: false,
        }
    );
    round_trip_auto!(
        db,
        directus_fields,
        directus_fields::Model {
            id: 0,
            collection: "tickets".into(),
            field: "id".into(),
            special: Some("uuid".into()),
            interface: Some("input".into()),
            options: Some(json!({"iconLeft": "vpn_key"})),
            display: None,
            display_options: None,
            readonly: true,
            hidden: true,
            sort: Some(1),
            width: Some("full".into()),
            translations: None,
            note: None,
            conditions: None,
            required: Some(false),
            group: None,
            validation: None,
            validation_message: None,
            searchable: true,
        }
    );
    round_trip!(
        db,
        sluice_kv,
        key,
        sluice_kv::Model {
            key: "secret".into(),
            value: "s3cr3t".into(),
        }
    );
    round_trip!(
        db,
        directus_flows,
        id,
        directus_flows::Model {
            id: flow_id,
            name: "Webhook".into(),
            icon: Some("bolt".into()),
            color: None,
            description: None,
            status: "active".into(),
            trigger: Some("webhook".into()),
            accountability: Some("all".into()),
            options: Some(
                json!({"method": "POST", "async": false, "nested": {"x": [1, 2.5, null]}})
            ),
            operation: None,
            date_created: Some(ts()),
            user_created: Some(user_id),
        }
    );
    round_trip!(
        db,
        directus_operations,
        id,
        directus_operations::Model {
            id: Uuid::new_v4(),
            name: Some("Check".into()),
            key: "check".into(),
            r#type: "condition".into(),
            position_x: 19,
            position_y: 1,
            options: Some(json!({"filter": {"$trigger": {"body": {"ok": {"_eq": true}}}}})),
            resolve: None,
            reject: None,
            flow: flow_id,
            date_created: Some(ts()),
            user_created: None,
        }
    );
    let activity = round_trip_auto!(
        db,
        directus_activity,
        directus_activity::Model {
            id: 0,
            action: "run".into(),
            user: Some(user_id),
            timestamp: ts(),
            ip: Some("127.0.0.1".into()),
            user_agent: None,
            collection: "directus_flows".into(),
            item: flow_id.to_string(),
            origin: None,
        }
    );
    round_trip_auto!(
        db,
        directus_revisions,
        directus_revisions::Model {
            id: 0,
            activity: activity.id,
            collection: "directus_flows".into(),
            item: flow_id.to_string(),
            data: Some(json!({"steps": [], "data": {"$trigger": {}}})),
            delta: None,
            parent: None,
            version: None,
        }
    );
    round_trip_auto!(
        db,
        directus_notifications,
        directus_notifications::Model {
            id: 0,
            timestamp: Some(ts()),
            status: Some("inbox".into()),
            recipient: user_id,
            sender: None,
            subject: "Hello".into(),
            message: Some("World".into()),
            collection: None,
            item: None,
        }
    );

    check_defaults(db).await;
    check_cascades(db, flow_id, activity.id).await;
}

/// Rows inserted with only the required columns get the documented defaults.
async fn check_defaults(db: &DatabaseConnection) {
    let backend = db.get_database_backend();
    let id = Uuid::new_v4();
    let insert = match backend {
        DbBackend::Postgres => "INSERT INTO directus_policies (id, name) VALUES ($1, $2)",
        _ => "INSERT INTO directus_policies (id, name) VALUES (?, ?)",
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        insert,
        [id.into(), "Defaults".into()],
    ))
    .await
    .unwrap();
    let policy = directus_policies::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(policy.icon, "badge");
    assert!(!policy.admin_access && !policy.app_access && !policy.enforce_tfa);

    db.execute_unprepared(
        "INSERT INTO directus_activity (action, collection, item) VALUES ('login', 'directus_users', 'x')",
    )
    .await
    .unwrap();
    let flow_id = Uuid::new_v4();
    let insert = match backend {
        DbBackend::Postgres => "INSERT INTO directus_flows (id, name) VALUES ($1, 'd')",
        _ => "INSERT INTO directus_flows (id, name) VALUES (?, 'd')",
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        insert,
        [flow_id.into()],
    ))
    .await
    .unwrap();
    let flow = directus_flows::Entity::find_by_id(flow_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(flow.status, "active");
    assert_eq!(flow.accountability.as_deref(), Some("all"));
    let created = flow.date_created.expect("date_created defaults to now");
    assert!(
        (Utc::now() - created).num_seconds().abs() < 300,
        "{created}"
    );
}

/// operations.flow and revisions.activity cascade on delete.
async fn check_cascades(db: &DatabaseConnection, flow_id: Uuid, activity_id: i32) {
    directus_flows::Entity::delete_by_id(flow_id)
        .exec(db)
        .await
        .unwrap();
    let ops = directus_operations::Entity::find().all(db).await.unwrap();
    assert!(ops.is_empty(), "operations cascade-deleted with their flow");

    directus_activity::Entity::delete_by_id(activity_id)
        .exec(db)
        .await
        .unwrap();
    let revs = directus_revisions::Entity::find().all(db).await.unwrap();
    assert!(
        revs.is_empty(),
        "revisions cascade-deleted with their activity"
    );
}

/// How SQLite stores uuid / json / timestamp values written through the entities.
async fn sqlite_storage_classes(db: &DatabaseConnection) -> (String, String, String) {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT typeof(id) AS a, typeof(options) AS b, typeof(date_created) AS c \
             FROM directus_flows WHERE options IS NOT NULL LIMIT 1",
        ))
        .await
        .unwrap()
        .expect("a flow row");
    (
        row.try_get("", "a").unwrap(),
        row.try_get("", "b").unwrap(),
        row.try_get("", "c").unwrap(),
    )
}

#[tokio::test]
async fn sqlite_memory_up_down_up_and_round_trip() {
    let mut opts = ConnectOptions::new("sqlite::memory:");
    // Each pooled connection to `sqlite::memory:` would otherwise be its own database.
    opts.max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let db = Database::connect(opts).await.unwrap();

    migrate_up_down_up(&db).await;
    round_trip_all(&db).await;

    // Re-insert a flow (the one above was deleted by the cascade check) and inspect storage.
    directus_flows::Model {
        id: Uuid::new_v4(),
        name: "probe".into(),
        icon: None,
        color: None,
        description: None,
        status: "active".into(),
        trigger: Some("webhook".into()),
        accountability: None,
        options: Some(json!({"b": 1, "a": 2})),
        operation: None,
        date_created: Some(ts()),
        user_created: None,
    }
    .into_active_model()
    .insert(&db)
    .await
    .unwrap();
    let (id, options, date_created) = sqlite_storage_classes(&db).await;
    println!("sqlite typeof: id={id} options={options} date_created={date_created}");
    let raw = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT hex(id) AS id, options, date_created FROM directus_flows WHERE name = 'probe'",
        ))
        .await
        .unwrap()
        .unwrap();
    let (hex, options_text, date_text): (String, String, String) = (
        raw.try_get("", "id").unwrap(),
        raw.try_get("", "options").unwrap(),
        raw.try_get("", "date_created").unwrap(),
    );
    println!("sqlite raw: hex(id)={hex} options={options_text} date_created={date_text}");
    assert_eq!(id, "blob", "sqlx-sqlite binds uuid::Uuid as a 16-byte BLOB");
    assert_eq!(options, "text");
    assert_eq!(date_created, "text");

    // A column default (CURRENT_TIMESTAMP) is stored in SQLite's own text format.
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT timestamp FROM directus_activity WHERE action = 'login'",
        ))
        .await
        .unwrap()
        .unwrap();
    let default_ts: String = row.try_get("", "timestamp").unwrap();
    println!("sqlite CURRENT_TIMESTAMP default: {default_ts}");

    Migrator::down(&db, None).await.expect("final down");
}

#[tokio::test]
async fn postgres_up_down_up_and_round_trip() {
    let admin_url = pg_admin_url();
    let admin = Database::connect(
        ConnectOptions::new(admin_url.clone())
            .sqlx_logging(false)
            .to_owned(),
    )
    .await
    .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is required for this test: {e}"));
    let name = format!("sluice_mig_{}", Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();

    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("bad admin url {admin_url}"),
    };
    let result = {
        let db = Database::connect(ConnectOptions::new(url).sqlx_logging(false).to_owned())
            .await
            .unwrap();
        // Run in a task so that a panic still lets us drop the database below.
        let db2 = db.clone();
        let outcome = tokio::spawn(async move {
            migrate_up_down_up(&db2).await;
            round_trip_all(&db2).await;

            // jsonb normalises objects (keys sorted by length, then bytes).
            let row = db2
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT '{\"bb\": 1, \"a\": 2}'::jsonb::text AS j, \
                     pg_typeof(options)::text AS t FROM directus_flows LIMIT 1",
                ))
                .await
                .unwrap();
            if let Some(row) = row {
                let j: String = row.try_get("", "j").unwrap();
                let t: String = row.try_get("", "t").unwrap();
                println!("postgres: options type {t}, jsonb text {j}");
            }
            let rows = db2
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT column_name::text AS c, data_type::text AS t, \
                     COALESCE(column_default::text, '') AS d, is_nullable::text AS n \
                     FROM information_schema.columns WHERE table_name = 'directus_flows' \
                     ORDER BY ordinal_position",
                ))
                .await
                .unwrap();
            let mut types = std::collections::HashMap::new();
            for row in rows {
                let (c, t, d, n): (String, String, String, String) = (
                    row.try_get("", "c").unwrap(),
                    row.try_get("", "t").unwrap(),
                    row.try_get("", "d").unwrap(),
                    row.try_get("", "n").unwrap(),
                );
                println!("postgres directus_flows.{c}: {t} default={d:?} nullable={n}");
                types.insert(c, t);
            }
            assert_eq!(types["id"], "uuid");
            assert_eq!(types["options"], "jsonb");
            assert_eq!(types["date_created"], "timestamp with time zone");
            Migrator::down(&db2, None).await.expect("final down");
        })
        .await;
        db.close().await.unwrap();
        outcome
    };

    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}
