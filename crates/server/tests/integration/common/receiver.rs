//! A real HTTP/1.1 webhook receiver for tests, written on raw TCP so that it can misbehave the
//! ways real endpoints do: answer any status with any headers, hang past the sender's timeout,
//! or reset the connection. Each request is recorded with its headers and exact body bytes.

#![allow(dead_code)]

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

#[derive(Debug, Clone)]
pub enum Behavior {
    /// Answer with this status and extra headers.
    Answer(u16, Vec<(&'static str, String)>),
    /// Say nothing for this long, then close.
    Hang(Duration),
    /// Reset the connection after reading the request.
    Reset,
}

#[derive(Debug, Clone)]
pub struct Received {
    /// Header names lowercased.
    pub headers: HashMap<String, String>,
    /// Header names exactly as they were sent, in order.
    pub names_as_sent: Vec<String>,
    pub body: Vec<u8>,
    pub at: std::time::Instant,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// The `webhook-id` of every request read, answered or not.
    pub seen: Arc<Mutex<Vec<String>>>,
    script: Arc<Mutex<VecDeque<Behavior>>>,
    default: Arc<Mutex<Behavior>>,
    /// Waits this long before answering (a slow endpoint).
    delay: Arc<Mutex<Duration>>,
    /// Record a request only once it was answered (what the sender may count as delivered).
    record_on_answer: bool,
}

impl Receiver {
    /// Listens on 127.0.0.1; answers 200 unless scripted otherwise.
    pub async fn start() -> Receiver {
        Self::start_with(false).await
    }

    /// As `start`, but records only the requests it finished answering.
    pub async fn start_acknowledging() -> Receiver {
        Self::start_with(true).await
    }

    async fn start_with(record_on_answer: bool) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let r = Receiver {
            url,
            received: Default::default(),
            seen: Default::default(),
            script: Default::default(),
            default: Arc::new(Mutex::new(Behavior::Answer(200, vec![]))),
            delay: Default::default(),
            record_on_answer,
        };
        let me = r.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(me.clone().serve(stream));
            }
        });
        r
    }

    /// The next requests get these behaviors, in order; then the default.
    pub fn script(&self, b: impl IntoIterator<Item = Behavior>) {
        self.script.lock().unwrap().extend(b);
    }

    pub fn set_default(&self, b: Behavior) {
        *self.default.lock().unwrap() = b;
    }

    pub fn set_delay(&self, d: Duration) {
        *self.delay.lock().unwrap() = d;
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to `secs`) until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        while self.count() < n {
            assert!(
                std::time::Instant::now() < deadline,
                "expected {n} requests, got {}",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.all()
    }

    async fn serve(self, mut stream: TcpStream) {
        let mut buf = Vec::new();
        loop {
            // Read one request: headers, then Content-Length bytes.
            let head_end = loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                let mut chunk = [0u8; 8192];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let headers: HashMap<String, String> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let names_as_sent = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, _)| k.to_string())
                .collect();
            let len: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < head_end + len {
                let mut chunk = [0u8; 8192];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let body = buf[head_end..head_end + len].to_vec();
            buf.drain(..head_end + len);
            let request = Received {
                headers,
                names_as_sent,
                body,
                at: std::time::Instant::now(),
            };
            self.seen.lock().unwrap().push(
                request
                    .headers
                    .get("webhook-id")
                    .cloned()
                    .unwrap_or_default(),
            );
            if !self.record_on_answer {
                self.received.lock().unwrap().push(request.clone());
            }
            let behavior = self
                .script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| self.default.lock().unwrap().clone());
            let delay = *self.delay.lock().unwrap();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            match behavior {
                Behavior::Answer(status, extra) => {
                    let mut res = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\n");
                    for (k, v) in extra {
                        res.push_str(&format!("{k}: {v}\r\n"));
                    }
                    res.push_str("\r\nok");
                    if stream.write_all(res.as_bytes()).await.is_err() {
                        return;
                    }
                    if self.record_on_answer {
                        self.received.lock().unwrap().push(request);
                    }
                }
                Behavior::Hang(d) => {
                    tokio::time::sleep(d).await;
                    return;
                }
                Behavior::Reset => {
                    // A zero linger makes the close a reset; it does not block, which is what
                    // the deprecation warns about.
                    #[allow(deprecated)]
                    let _ = stream.set_linger(Some(Duration::ZERO));
                    return;
                }
            }
        }
    }
}
