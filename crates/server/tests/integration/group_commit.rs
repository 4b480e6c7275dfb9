//! SQLite write batches are committed in groups (`store::group_commit`): a batch that fails in
//! the middle of a group is undone alone, every other batch of the group commits, and each
//! caller gets its own batch's rows or its own error.

use crate::common;

use std::sync::Arc;

use slotline::store::{Arg, Batch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_batch_in_a_group_is_undone_alone() {
    let Some(app) = common::TestApp::spawn(common::Backend::Sqlite).await else {
        return;
    };
    let db = app.db.clone();
    sqlx::query("CREATE TABLE gc_probe (k TEXT PRIMARY KEY, note TEXT NOT NULL)")
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
    sqlx::query("INSERT INTO gc_probe (k, note) VALUES ('taken', 'first')")
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
    // 200 batches at once, so that groups form; every fifth one collides on its second statement.
    let db = Arc::new(db);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut b = Batch::default();
            b.push(
                "INSERT INTO gc_probe (k, note) VALUES ($1, 'a')",
                vec![Arg::from(format!("a{i}"))],
            );
            let second = if i % 5 == 0 {
                "taken".to_string()
            } else {
                format!("b{i}")
            };
            b.push(
                "INSERT INTO gc_probe (k, note) VALUES ($1, 'b')",
                vec![Arg::from(second)],
            );
            b.push(
                "SELECT COUNT(*) FROM gc_probe WHERE k = $1",
                vec![Arg::from(format!("a{i}"))],
            );
            (i, b.run(&db).await)
        }));
    }
    for t in tasks {
        let (i, res) = t.await.unwrap();
        match res {
            Ok(rows) => {
                assert_ne!(i % 5, 0, "batch {i} should have failed");
                assert_eq!(rows.len(), 3, "rows of each of its own statements");
                assert_eq!(
                    sqlx::Row::get::<i64, _>(&rows[2][0], 0),
                    1,
                    "it sees its own first insert"
                );
            }
            Err(e) => {
                assert_eq!(i % 5, 0, "batch {i} failed: {e}");
                assert!(e.to_string().contains("UNIQUE"), "its own error: {e}");
            }
        }
    }
    let keys: Vec<(String,)> = sqlx::query_as("SELECT k FROM gc_probe")
        .fetch_all(&mut *db.reader().await.unwrap())
        .await
        .unwrap();
    assert_eq!(
        keys.len(),
        1 + 160 * 2,
        "160 batches whole, 40 not at all (no half batch)"
    );
    assert!(
        !keys.iter().any(|(k,)| k == "a0" || k == "a5"),
        "a failed batch left nothing behind"
    );
    app.finish().await;
}
