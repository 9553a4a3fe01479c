//! A fault-injecting HTTP proxy for tests, on 127.0.0.1 only.
//!
//! It sits between the AWS SDK and moto_server and, per request, either
//! forwards it or plays a fault: a delay, a dropped connection, SSM's
//! `ThrottlingException` (HTTP 400 with the JSON error shape SSM uses), an
//! HTTP 500, an `AccessDeniedException`, or a server that never answers.
//! A fault holds until changed, for a window of time, or for the next N
//! requests; or it is played on every request that names something (a
//! secret that IAM forbids, say). The proxy runs on its own thread and runtime, so it outlives
//! any one test's runtime.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward it.
    None,
    /// Wait, then forward it.
    Delay(Duration),
    /// Close the connection without an answer.
    Drop,
    /// Answer HTTP 400 `ThrottlingException`.
    Throttle,
    /// Answer HTTP 500 `InternalServerError`.
    ServerError,
    /// Answer HTTP 400 `AccessDeniedException`.
    AccessDenied,
    /// Never answer (the connection stays open).
    Hang,
}

#[derive(Debug)]
struct Plan {
    fault: Fault,
    /// The fault ends at this time...
    until: Option<Instant>,
    /// ...or after this many more requests.
    remaining: Option<u64>,
}

#[derive(Debug)]
struct State {
    upstream: SocketAddr,
    plan: Mutex<Plan>,
    /// Faults for requests whose bytes contain a needle, before the plan.
    matching: Mutex<Vec<(Vec<u8>, Fault)>>,
    requests: AtomicU64,
    faulted: AtomicU64,
}

impl State {
    /// The fault for the next request, counting it.
    fn next(&self, request: &[u8]) -> Fault {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let matching = self.matching.lock().unwrap();
        if let Some((_, fault)) = matching.iter().find(|(needle, _)| request.windows(needle.len()).any(|w| w == needle))
        {
            self.faulted.fetch_add(1, Ordering::SeqCst);
            return *fault;
        }
        drop(matching);
        let mut plan = self.plan.lock().unwrap();
        if plan.until.is_some_and(|t| Instant::now() >= t) || plan.remaining == Some(0) {
            *plan = Plan { fault: Fault::None, until: None, remaining: None };
        }
        if let Some(n) = plan.remaining.as_mut() {
            *n -= 1;
        }
        if plan.fault != Fault::None {
            self.faulted.fetch_add(1, Ordering::SeqCst);
        }
        plan.fault
    }
}

/// A running proxy. Dropping it leaves the thread serving (tests are short).
#[derive(Debug, Clone)]
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<State>,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> Self {
        let upstream: SocketAddr =
            upstream.trim_start_matches("http://").parse().expect("upstream is http://127.0.0.1:PORT");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            upstream,
            plan: Mutex::new(Plan { fault: Fault::None, until: None, remaining: None }),
            matching: Mutex::new(Vec::new()),
            requests: AtomicU64::new(0),
            faulted: AtomicU64::new(0),
        });
        let serving = state.clone();
        std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("tokio listener");
                    loop {
                        let Ok((client, _)) = listener.accept().await else { continue };
                        tokio::spawn(serve(client, serving.clone()));
                    }
                });
            })
            .expect("spawn the proxy thread");
        FaultProxy { addr, state }
    }

    /// The endpoint URL to give the SDK.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Plays `fault` on every request until changed.
    pub fn set(&self, fault: Fault) {
        *self.state.plan.lock().unwrap() = Plan { fault, until: None, remaining: None };
    }

    /// Plays `fault` for `window`, then forwards again.
    pub fn set_for(&self, fault: Fault, window: Duration) {
        *self.state.plan.lock().unwrap() = Plan { fault, until: Some(Instant::now() + window), remaining: None };
    }

    /// Plays `fault` on the next `n` requests, then forwards again.
    pub fn set_next(&self, fault: Fault, n: u64) {
        *self.state.plan.lock().unwrap() = Plan { fault, until: None, remaining: Some(n) };
    }

    /// Plays `fault` on every request whose bytes contain `needle` (a
    /// parameter name in the body), whatever the plan says; the others
    /// follow the plan.
    #[allow(dead_code)] // used by the moto and cli tests, not by faults
    pub fn set_matching(&self, needle: &str, fault: Fault) {
        self.state.matching.lock().unwrap().push((needle.as_bytes().to_vec(), fault));
    }

    /// Requests seen so far.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Requests that met a fault so far.
    pub fn faulted(&self) -> u64 {
        self.state.faulted.load(Ordering::SeqCst)
    }
}

/// One client connection: requests in, answers (or faults) out.
async fn serve(mut client: TcpStream, state: Arc<State>) {
    loop {
        let Some(request) = read_message(&mut client).await else { return };
        let answer = match state.next(&request) {
            Fault::None => forward(state.upstream, &request).await,
            Fault::Delay(d) => {
                tokio::time::sleep(d).await;
                forward(state.upstream, &request).await
            }
            Fault::Drop => return,
            Fault::Hang => {
                // Hold the connection until the client gives up on it.
                let mut sink = [0u8; 1024];
                while client.read(&mut sink).await.is_ok_and(|n| n > 0) {}
                return;
            }
            Fault::Throttle => Some(error_response(400, "Bad Request", "ThrottlingException", "Rate exceeded")),
            Fault::ServerError => {
                Some(error_response(500, "Internal Server Error", "InternalServerError", "fault proxy: 500"))
            }
            Fault::AccessDenied => Some(error_response(
                400,
                "Bad Request",
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/test is not authorized to perform: ssm:GetParameters",
            )),
        };
        let Some(answer) = answer else { return };
        if client.write_all(&answer).await.is_err() {
            return;
        }
    }
}

/// An error in the shape SSM's JSON protocol uses.
fn error_response(status: u16, reason: &str, code: &str, message: &str) -> Vec<u8> {
    let body = format!(r#"{{"__type":"{code}","message":"{message}"}}"#);
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-ErrorType: {code}\r\n\
         x-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends one request upstream on a fresh connection and reads its answer.
async fn forward(upstream: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await.ok()?;
    server.write_all(request).await.ok()?;
    read_message(&mut server).await
}

/// Reads one HTTP/1.1 message (head and a `Content-Length` body; without a
/// length, up to the end of the stream). `None` at a clean end of stream.
async fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length =
        head.lines().find_map(|l| l.strip_prefix("content-length:").and_then(|v| v.trim().parse::<usize>().ok()));
    match length {
        Some(length) => {
            while data.len() < head_end + length {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                data.extend_from_slice(&chunk[..n]);
            }
        }
        None if head.starts_with("http/") => {
            while let Ok(n) = stream.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&chunk[..n]);
            }
        }
        None => {}
    }
    Some(data)
}
