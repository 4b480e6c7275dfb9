//! Connections handed out by `Db`: from sqlx's pool on PostgreSQL, from a fixed set on SQLite.
//!
//! Why not sqlx's pool on SQLite: an SQLite connection in sqlx is a thread, and every call is a
//! round trip to it. The pool pings each connection it takes back, so every query made through
//! it costs a second round trip and a spawned task; under load those context switches were most
//! of the server's time (BENCHMARKS.md). An SQLite connection does not go stale, so a fixed set
//! needs no such check: a connection taken from it is returned as it is, and a transaction left
//! open by a dropped future has already been rolled back by sqlx's `Transaction` drop.

use std::{
    ops::{Deref, DerefMut},
    sync::{Arc, Mutex},
};

use sqlx::{pool::PoolConnection, Any, AnyConnection, AnyPool, Connection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Where one role's connections (reading or writing) come from.
#[derive(Clone)]
pub enum Conns {
    Pool(AnyPool),
    Fixed(Arc<Fixed>),
}

/// A fixed set of open connections; waiting for one is fair (the semaphore queues).
pub struct Fixed {
    free: Mutex<Vec<AnyConnection>>,
    permits: Arc<Semaphore>,
    size: usize,
    /// As sqlx's pool: waiting longer than this for a connection fails (`PoolTimedOut`).
    wait: std::time::Duration,
}

impl Fixed {
    pub fn new(conns: Vec<AnyConnection>, wait: std::time::Duration) -> Fixed {
        Fixed {
            permits: Arc::new(Semaphore::new(conns.len())),
            size: conns.len(),
            free: Mutex::new(conns),
            wait,
        }
    }
}

impl Conns {
    pub async fn get(&self) -> Result<Conn, sqlx::Error> {
        match self {
            Conns::Pool(pool) => Ok(Conn(Inner::Pooled(pool.acquire().await?))),
            Conns::Fixed(set) => {
                let permit = tokio::time::timeout(set.wait, set.permits.clone().acquire_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?
                    .map_err(|_| sqlx::Error::PoolClosed)?;
                let conn = set
                    .free
                    .lock()
                    .expect("connection set")
                    .pop()
                    .ok_or(sqlx::Error::PoolClosed)?;
                Ok(Conn(Inner::Fixed {
                    conn: Some(conn),
                    set: set.clone(),
                    _permit: permit,
                }))
            }
        }
    }

    /// Closes every connection (waiting for those in use to come back).
    pub async fn close(&self) {
        match self {
            Conns::Pool(pool) => pool.close().await,
            Conns::Fixed(set) => {
                // Holding every permit means no connection is in use.
                if let Ok(all) = set.permits.acquire_many(set.size as u32).await {
                    all.forget();
                }
                set.permits.close();
                let conns: Vec<AnyConnection> =
                    std::mem::take(&mut *set.free.lock().expect("connection set"));
                for c in conns {
                    let _ = c.close().await;
                }
            }
        }
    }
}

/// A connection in use; derefs to sqlx's `AnyConnection` (an executor as `&mut *conn`).
pub struct Conn(Inner);

impl Conn {
    pub async fn begin(&mut self) -> Result<sqlx::Transaction<'_, Any>, sqlx::Error> {
        Connection::begin(&mut **self).await
    }
}

enum Inner {
    Pooled(PoolConnection<Any>),
    Fixed {
        conn: Option<AnyConnection>,
        set: Arc<Fixed>,
        _permit: OwnedSemaphorePermit,
    },
}

impl Deref for Conn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match &self.0 {
            Inner::Pooled(c) => c,
            Inner::Fixed { conn, .. } => conn.as_ref().expect("held until drop"),
        }
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.0 {
            Inner::Pooled(c) => c,
            Inner::Fixed { conn, .. } => conn.as_mut().expect("held until drop"),
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // The connection goes back before the permit is released (fields drop after this).
        if let Inner::Fixed { conn, set, .. } = &mut self.0 {
            if let Some(c) = conn.take() {
                set.free.lock().expect("connection set").push(c);
            }
        }
    }
}
