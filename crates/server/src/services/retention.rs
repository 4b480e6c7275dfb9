//! Retention: how long history is kept, and the pass that removes what is older (run by the
//! sweeper of every process; on PostgreSQL several processes' passes skip each other's rows).
//!
//! - The webhook attempt log: `--keep-attempts-days` (30).
//! - Events none of whose deliveries is pending, with their deliveries and those deliveries'
//!   remaining attempts: `--keep-events-days` (30). An event being delivered stays until every
//!   delivery of it is delivered or has given up (72 hours at most), however old it is.
//! - Idempotency records: `--keep-idempotency-hours` (24, the replay window; no less).
//!
//! Each pass removes at most [`MAX_BATCHES`] batches of [`BATCH`] rows per log, each batch its own
//! short transaction, so a backlog (a first pass over a year of history) is worked off over
//! several sweeps without holding writers up.

use crate::{
    http::error::AppResult,
    store::{self, retention},
};

use super::Ctx;

/// Periods in milliseconds; None keeps forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    pub attempts_ms: Option<i64>,
    pub events_ms: Option<i64>,
    pub idempotency_ms: i64,
}

impl Default for Periods {
    fn default() -> Periods {
        Periods {
            attempts_ms: Some(30 * 86_400_000),
            events_ms: Some(30 * 86_400_000),
            idempotency_ms: store::idempotency::TTL_MS,
        }
    }
}

/// Rows one batch removes at most.
pub const BATCH: i64 = 1_000;
/// Batches one pass runs at most per log.
pub const MAX_BATCHES: usize = 100;

/// What a pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    pub attempts: u64,
    pub events: u64,
    pub deliveries: u64,
    pub idempotency: u64,
}

impl Removed {
    pub fn any(&self) -> bool {
        *self != Removed::default()
    }
}

/// One pass with the usual batch size; publishes the oldest history kept as metrics.
pub async fn sweep(ctx: Ctx<'_>, periods: &Periods) -> AppResult<Removed> {
    let removed = pass(ctx, periods, BATCH).await?;
    let oldest = retention::oldest(ctx.db).await?;
    let now = ctx.now();
    crate::measure::oldest_kept("attempts", oldest.attempt.map(|t| now - t));
    crate::measure::oldest_kept("events", oldest.event.map(|t| now - t));
    Ok(removed)
}

/// Removes what is older than `periods`, `batch` rows at a time.
pub async fn pass(ctx: Ctx<'_>, periods: &Periods, batch: i64) -> AppResult<Removed> {
    let now = ctx.now();
    let mut out = Removed::default();
    if let Some(p) = periods.attempts_ms {
        out.attempts = batches(batch, || retention::attempts(ctx.db, now - p, batch)).await?;
    }
    if let Some(p) = periods.events_ms {
        let mut after = 0;
        for _ in 0..MAX_BATCHES {
            let b = retention::events(ctx.db, after, now - p, batch).await?;
            out.events += b.events;
            out.deliveries += b.deliveries;
            match b.next {
                Some(next) => after = next,
                None => break,
            }
        }
    }
    out.idempotency = batches(batch, || {
        retention::idempotency(ctx.db, now - periods.idempotency_ms, batch)
    })
    .await?;
    Ok(out)
}

/// Runs `one` until a batch removes fewer than `batch` rows (the old ones are gone), at most
/// [`MAX_BATCHES`] times; how many it removed in all.
async fn batches<F, Fut>(batch: i64, mut one: F) -> AppResult<u64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = store::StoreResult<u64>>,
{
    let mut removed = 0;
    for _ in 0..MAX_BATCHES {
        let n = one().await?;
        removed += n;
        if (n as i64) < batch {
            break;
        }
    }
    Ok(removed)
}
