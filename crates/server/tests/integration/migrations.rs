//! The two migration folders (`migrations/sqlite`, `migrations/postgres`) must build the same
//! schema: the same tables, columns (type family and nullability), indexes (columns, uniqueness,
//! partial or not) and foreign keys. Each database is migrated by a real server and read back
//! from its own catalogue; the differences the dialects force are listed here with their reason.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Connection, PgConnection, Row, SqliteConnection};

use crate::common::{Backend, TestApp};

/// One database's schema, in terms both dialects share.
#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    /// table → column → (type family, NOT NULL)
    columns: BTreeMap<String, BTreeMap<String, (&'static str, bool)>>,
    /// index name → (table, columns in order, unique, partial)
    indexes: BTreeMap<String, (String, Vec<String>, bool, bool)>,
    /// (table, columns) → (referenced table, referenced columns)
    foreign_keys: BTreeSet<(String, Vec<String>, String, Vec<String>)>,
}

/// The family of a declared type: SQLite's affinity rules, PostgreSQL's type names.
fn family(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    match t.as_str() {
        "text" | "character varying" | "json" | "jsonb" => "text",
        "bigint" | "integer" | "int" | "smallint" => "integer",
        "real" | "double precision" => "real",
        "blob" | "bytea" => "blob",
        "int8range" => "range",
        _ => panic!("a column type the parity test does not know: {declared}"),
    }
}

async fn sqlite_schema(url: &str) -> Schema {
    let mut c =
        SqliteConnection::connect(&format!("sqlite://{}", url.trim_start_matches("sqlite://")))
            .await
            .unwrap();
    let mut s = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for t in tables {
        let cols = sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)")
            .bind(&t)
            .fetch_all(&mut c)
            .await
            .unwrap();
        let entry = s.columns.entry(t.clone()).or_default();
        for r in &cols {
            // A primary key column is NOT NULL in PostgreSQL whether or not it says so.
            let not_null = r.get::<i64, _>("notnull") == 1 || r.get::<i64, _>("pk") > 0;
            entry.insert(r.get("name"), (family(r.get("type")), not_null));
        }
        let indexes =
            sqlx::query("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)")
                .bind(&t)
                .fetch_all(&mut c)
                .await
                .unwrap();
        for ix in indexes {
            let name: String = ix.get("name");
            let origin: String = ix.get("origin");
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
            // SQLite names the indexes behind PRIMARY KEY and UNIQUE constraints itself
            // (sqlite_autoindex_<table>_<n>); PostgreSQL names them <table>_pkey / <table>_<cols>_key.
            let name = match origin.as_str() {
                "pk" => format!("{t}_pkey"),
                "u" => format!("{t}_{}_key", columns.join("_")),
                _ => name,
            };
            s.indexes.insert(
                name,
                (
                    t.clone(),
                    columns,
                    ix.get::<i64, _>("unique") == 1,
                    ix.get::<i64, _>("partial") == 1,
                ),
            );
        }
        // A rowid table whose key is one INTEGER column has no index for it: the key is the rowid.
        if let Some(pk) = cols.iter().find(|r| r.get::<i64, _>("pk") == 1) {
            if cols.iter().filter(|r| r.get::<i64, _>("pk") > 0).count() == 1
                && !s.indexes.contains_key(&format!("{t}_pkey"))
            {
                s.indexes.insert(
                    format!("{t}_pkey"),
                    (t.clone(), vec![pk.get("name")], true, false),
                );
            }
        }
        let fks = sqlx::query("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq")
            .bind(&t)
            .fetch_all(&mut c)
            .await
            .unwrap();
        let mut by_id: BTreeMap<i64, (String, Vec<String>, Vec<String>)> = BTreeMap::new();
        for r in fks {
            let e = by_id
                .entry(r.get("id"))
                .or_insert_with(|| (r.get("table"), vec![], vec![]));
            e.1.push(r.get("from"));
            e.2.push(r.get("to"));
        }
        for (_, (target, from, to)) in by_id {
            s.foreign_keys.insert((t.clone(), from, target, to));
        }
    }
    s
}

async fn postgres_schema(url: &str) -> Schema {
    let mut c = PgConnection::connect(url).await.unwrap();
    let mut s = Schema::default();
    let cols = sqlx::query(
        "SELECT c.table_name::text AS t, c.column_name::text AS name, c.data_type::text AS ty, c.is_nullable::text AS nullable \
         FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name) \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in cols {
        s.columns.entry(r.get("t")).or_default().insert(
            r.get("name"),
            (family(r.get("ty")), r.get::<String, _>("nullable") == "NO"),
        );
    }
    let indexes = sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS t, x.indisunique AS uniq, x.indpred IS NOT NULL AS partial, \
                array(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord) \
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for ix in indexes {
        s.indexes.insert(
            ix.get("name"),
            (
                ix.get("t"),
                ix.get("columns"),
                ix.get("uniq"),
                ix.get("partial"),
            ),
        );
    }
    let fks = sqlx::query(
        "SELECT t.relname::text AS t, f.relname::text AS target, \
                array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY c(attnum, ord) \
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.attnum ORDER BY c.ord) AS from_cols, \
                array(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY c(attnum, ord) \
                      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = c.attnum ORDER BY c.ord) AS to_cols \
         FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE k.contype = 'f' AND n.nspname = 'public'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in fks {
        s.foreign_keys.insert((
            r.get("t"),
            r.get("from_cols"),
            r.get("target"),
            r.get("to_cols"),
        ));
    }
    s
}

/// What each dialect has that the other cannot, and why. Anything else that differs fails the test.
fn forced_differences(postgres: &mut Schema) {
    // A host is never double-booked: PostgreSQL enforces it with an exclusion constraint over
    // int8range(busy_start, busy_end), whose GiST index this removes; SQLite with a trigger
    // (migration 0009), which has no index.
    let exclusion = postgres.indexes.remove("booking_hosts_no_overlap");
    assert_eq!(
        exclusion.map(|ix| ix.0),
        Some("booking_hosts".to_string()),
        "PostgreSQL's exclusion constraint"
    );
    // The event stream reads PostgreSQL's events in (transaction, seq) order (writers commit out
    // of seq order there); SQLite's single writer commits in seq order, read by its primary key.
    let stream = postgres.indexes.remove("events_stream");
    assert_eq!(
        stream.map(|ix| (ix.0, ix.1)),
        Some((
            "events".to_string(),
            vec!["tx".to_string(), "seq".to_string()]
        )),
        "PostgreSQL's stream order"
    );
}

async fn schema_of(backend: Backend) -> Option<Schema> {
    let app = TestApp::spawn(backend).await?;
    let schema = match backend {
        Backend::Sqlite => sqlite_schema(&app.url).await,
        Backend::Postgres => postgres_schema(&app.url).await,
    };
    app.finish().await;
    Some(schema)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migration_folders_build_the_same_schema() {
    let Some(sqlite) = schema_of(Backend::Sqlite).await else {
        return;
    };
    let Some(mut postgres) = schema_of(Backend::Postgres).await else {
        return;
    };
    forced_differences(&mut postgres);
    assert!(
        sqlite.columns.len() > 20,
        "the schema was read: {:?}",
        sqlite.columns.keys()
    );
    let tables = |s: &Schema| s.columns.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(tables(&sqlite), tables(&postgres), "tables");
    for (table, cols) in &sqlite.columns {
        assert_eq!(
            cols, &postgres.columns[table],
            "columns of {table} (SQLite left, PostgreSQL right)"
        );
    }
    let only = |a: &Schema, b: &Schema| {
        a.indexes
            .iter()
            .filter(|(n, ix)| b.indexes.get(*n) != Some(ix))
            .map(|(n, ix)| format!("{n}: {ix:?}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        (only(&sqlite, &postgres), only(&postgres, &sqlite)),
        (vec![], vec![]),
        "indexes only in SQLite, only in PostgreSQL (or differing)"
    );
    assert_eq!(sqlite.foreign_keys, postgres.foreign_keys, "foreign keys");
}
