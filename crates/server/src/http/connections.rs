//! Accepting connections. HTTP/1 with header names in their conventional capitalisation
//! (`Link`, `Request-Id`: clients that copy headers into a plain dictionary look them up so),
//! a deadline for each request head that also closes idle keep-alive connections, caps on
//! connections overall and per client address, and a pause on accept errors, so that idle or
//! half-sent connections cannot exhaust the process's file descriptors.

use std::{
    collections::HashMap,
    future::Future,
    io,
    net::IpAddr,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{ready, Context, Poll},
    time::Duration,
};

use axum::{body::Body, extract::ConnectInfo, Router};
use hyper::{body::Incoming, server::conn::http1, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpListener,
    sync::Semaphore,
};
use tower::ServiceExt;

use crate::http::error::{AppError, ErrorBody};

/// How many connections a server keeps and how long it waits for a client.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections in all; more are answered 503 and closed.
    pub max_connections: usize,
    /// Open connections from one client address; more are answered 503 and closed.
    pub per_address: usize,
    /// How long a connection may wait for, or take to send, a request head (the request line
    /// and headers), counted from when it opens or its last response was written; also how long
    /// a request body may pause between chunks.
    pub idle_timeout: Duration,
}

/// File descriptors kept back from the connection cap for the database, logs and webhooks.
const RESERVED_FDS: u64 = 256;

/// Largest request head hyper buffers. Below it, `http::limits` refuses long URLs and header
/// sections in OnceHub's error shape; above it hyper answers 431 itself.
pub const MAX_HEAD_BYTES: usize = 256 * 1024;

impl Limits {
    /// The configured cap, lowered to what the process's file-descriptor limit allows (raised
    /// to its hard limit first).
    pub fn effective_max(&self) -> usize {
        match raise_fd_limit() {
            Some(fds) if fds > RESERVED_FDS * 2 => {
                self.max_connections.min((fds - RESERVED_FDS) as usize)
            }
            _ => self.max_connections,
        }
    }
}

/// Raises the soft open-files limit to the hard one; returns the limit in force.
fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
        #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every platform
        Some(lim.rlim_cur as u64)
    }
    #[cfg(not(unix))]
    None
}

/// Open connections per client address; a slot gives its place back when dropped.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

struct Slot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn take(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<Slot> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(ip).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            table: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.table.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// What an over-cap connection is told before it is closed: OnceHub's error shape, with a
/// `Request-Id` like every answer.
fn busy() -> Vec<u8> {
    let body = r#"{"type":"api_error","message":"Too many open connections from this address. Please try again later."}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nRequest-Id: {}\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        crate::http::request_id::new_id(),
        body.len()
    )
    .into_bytes()
}

/// hyper answers a request it cannot parse (a URL or head beyond its own buffers, a malformed
/// line) by itself, with an empty body, before any service runs. This stream recognises those
/// answers as they are written — a 400, 414 or 431 head with `Content-Length: 0`, which no
/// handler of ours writes — and sends OnceHub's error shape in their place.
struct ShapedErrors<T> {
    inner: T,
    /// A replacement being written: its bytes, how many went out, and the length of the head
    /// it stands for (what hyper is told was written).
    pending: Option<(Vec<u8>, usize, usize)>,
}

fn shaped_replacement(head: &[u8]) -> Option<Vec<u8>> {
    if !head.starts_with(b"HTTP/1.1 4") || !head.ends_with(b"\r\n\r\n") || head.len() > 512 {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?;
    if !text
        .to_ascii_lowercase()
        .contains("\r\ncontent-length: 0\r\n")
    {
        return None;
    }
    let error = match text.get(9..12)? {
        "414" => AppError::UriTooLong {
            limit: crate::http::limits::MAX_URI_BYTES,
        }
        .body(),
        "431" => AppError::HeadersTooLarge {
            limit: crate::http::limits::MAX_HEADER_BYTES,
        }
        .body(),
        "400" => ErrorBody {
            kind: "invalid_request_error",
            message: "The request could not be read as HTTP/1.1.".into(),
            param: None,
        },
        _ => return None,
    };
    let status_line = text.lines().next()?;
    let body = serde_json::to_string(&error).ok()?;
    Some(
        format!(
            "{status_line}\r\nContent-Type: application/json\r\nRequest-Id: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            crate::http::request_id::new_id(),
            body.len()
        )
        .into_bytes(),
    )
}

impl<T: AsyncRead + Unpin> AsyncRead for ShapedErrors<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ShapedErrors<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        if me.pending.is_none() {
            me.pending = shaped_replacement(buf).map(|bytes| (bytes, 0, buf.len()));
        }
        let Some((bytes, written, reported)) = &mut me.pending else {
            return Pin::new(&mut me.inner).poll_write(cx, buf);
        };
        while *written < bytes.len() {
            match ready!(Pin::new(&mut me.inner).poll_write(cx, &bytes[*written..])) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => *written += n,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        let n = *reported;
        me.pending = None;
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // hyper's own error answers are a head alone: look at them one slice at a time.
        match bufs.first() {
            Some(first) if first.starts_with(b"HTTP/1.1 4") || self.pending.is_some() => {
                self.poll_write(cx, first)
            }
            _ => Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Accept errors that concern one connection only (the client went away before we took it).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish
/// (10 s at most).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let max = limits.effective_max();
    tracing::debug!(
        max_connections = max,
        per_address = limits.per_address,
        "accepting connections"
    );
    let open = Arc::new(Semaphore::new(max));
    let per_address = Arc::new(PerAddress::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .title_case_headers(true)
        .header_read_timeout(limits.idle_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors or memory: wait for connections to close
                    // rather than spin.
                    tracing::warn!(error = %e, "accept failed; pausing");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let permit = open.clone().try_acquire_owned().ok();
        let slot = per_address.take(addr.ip(), limits.per_address);
        let (Some(permit), Some(slot)) = (permit, slot) else {
            // Best effort, never waiting: the client is told why, then the socket closes.
            let _ = stream.try_write(&busy());
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(addr));
            let call = router.clone().oneshot(req.map(Body::new));
            // A client that goes away does not cancel its request halfway: the handler runs to
            // its end on a task of its own, so a write commits or rolls back as a whole (never a
            // transaction dropped after its COMMIT was sent, which sqlx would then roll back on
            // a connection no longer in one).
            async move {
                match tokio::spawn(call).await {
                    Ok(answer) => answer,
                    Err(e) => {
                        tracing::error!(error = %e, "a request's handler panicked");
                        Ok(axum::response::IntoResponse::into_response(
                            AppError::Internal("the request failed".into()),
                        ))
                    }
                }
            }
        });
        let io = TokioIo::new(ShapedErrors {
            inner: stream,
            pending: None,
        });
        let conn = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %addr, "connection ended with an error");
            }
            drop((permit, slot));
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => tracing::warn!("open connections did not finish within 10 s"),
    }
    Ok(())
}
