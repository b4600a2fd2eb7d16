//! Serving connections, so that no client can hold the server: HTTP/1.1 through hyper with a
//! timer (a header-read timeout that also closes idle kept-alive connections, a header size
//! limit answered with 431), a write-stall timeout, a cap on open connections (over it: an
//! immediate 503), and a graceful shutdown that stops waiting after a deadline.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::config::ServerConfig;

/// Connections over the cap still get their 503; beyond this many at once they are closed.
const REFUSALS_AT_ONCE: usize = 64;

/// The answer to a connection over `SERVER_MAX_CONNECTIONS`.
const OVER_CAPACITY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json; charset=utf-8\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 97\r\n\r\n\
{\"errors\":[{\"message\":\"Too many open connections.\",\"extensions\":{\"code\":\"SERVICE_UNAVAILABLE\"}}]}";

/// Serves `app` on `listener` until `shutdown` is cancelled, then lets open connections finish
/// their current request for at most `limits.shutdown_timeout` and closes the rest.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerConfig,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.headers_timeout)
        .max_header_size(limits.max_header_size);
    let http = Arc::new(http);
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let mut connections = JoinSet::new();
    loop {
        // Reap finished connection tasks so the set stays as small as the open connections.
        while connections.try_join_next().is_some() {}
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        // Without TCP_NODELAY small answers wait for delayed ACKs (~40 ms each).
        let _ = stream.set_nodelay(true);
        let Ok(permit) = open.clone().try_acquire_owned() else {
            if let Ok(slot) = refusals.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(slot);
                });
            }
            continue;
        };
        let body_timeout = limits.body_timeout;
        let service = TowerToHyperService::new(app.clone().map_request(
            move |req: hyper::Request<Incoming>| {
                let mut req = req.map(|body| BodyDeadline::new(body, body_timeout));
                req.extensions_mut().insert(ConnectInfo(remote));
                req
            },
        ));
        let io = TokioIo::new(StallGuard::new(stream, limits.write_timeout));
        let http = http.clone();
        let stop = shutdown.clone();
        connections.spawn(async move {
            let conn = http.serve_connection(io, service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stop.cancelled() => {
                    // Finish the request in progress, take no new one.
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "shutdown deadline passed: closing the connections still open"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Answers 503 to a connection over the cap, then closes it after the client had a moment to
/// read the answer (closing with unread request bytes would reset the connection first).
async fn refuse(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        if stream.write_all(OVER_CAPACITY).await.is_ok() && stream.shutdown().await.is_ok() {
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        }
    })
    .await;
}

/// Accept errors: a connection reset before it was accepted is nothing; running out of file
/// descriptors waits a moment instead of spinning.
async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// A socket whose writes may not stall longer than a timeout: a client that stops reading its
/// answer is disconnected instead of holding the connection (and its task) forever. Costs
/// nothing while writes go through; a timer exists only while the socket is full.
struct StallGuard {
    io: TcpStream,
    timeout: Duration,
    stall: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl StallGuard {
    fn new(io: TcpStream, timeout: Duration) -> Self {
        StallGuard {
            io,
            timeout,
            stall: None,
            armed: false,
        }
    }

    /// Called when a write could not proceed: starts (or keeps) the stall clock.
    fn stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let deadline = Instant::now() + self.timeout;
        let sleep = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !self.armed {
            sleep.as_mut().reset(deadline);
            self.armed = true;
        }
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client stopped reading",
        )))
    }

    fn progressed<T>(&mut self, r: io::Result<T>) -> Poll<io::Result<T>> {
        self.armed = false;
        Poll::Ready(r)
    }
}

impl AsyncRead for StallGuard {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for StallGuard {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            Poll::Ready(r) => this.progressed(r),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => this.progressed(r),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_flush(cx) {
            Poll::Ready(r) => this.progressed(r),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_shutdown(cx) {
            Poll::Ready(r) => this.progressed(r),
            Poll::Pending => this.stalled(cx),
        }
    }
}

/// A request body that must arrive completely within a deadline counted from the request's
/// start (`SERVER_BODY_TIMEOUT`). The timer exists only once the body has to be waited for: a
/// body that came with the head costs nothing.
pub struct BodyDeadline<B> {
    body: B,
    deadline: Instant,
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B> BodyDeadline<B> {
    pub fn new(body: B, timeout: Duration) -> Self {
        BodyDeadline {
            body,
            deadline: Instant::now() + timeout,
            timer: None,
        }
    }
}

/// The error a body yields when its deadline passed (read bodies answer 408 for it).
#[derive(Debug)]
pub struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

impl<B> http_body::Body for BodyDeadline<B>
where
    B: http_body::Body + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = B::Data;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => {
                let deadline = this.deadline;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                ready!(timer.as_mut().poll(cx));
                Poll::Ready(Some(Err(Box::new(BodyTimedOut))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// True when a body read failed because its deadline passed.
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Over a real socket: a handler that panics answers a Directus 500 (no panic text), and the
    /// same connection serves the next request.
    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_the_connection_lives() {
        let app = crate::routes::outermost(
            axum::Router::new()
                .route(
                    "/boom",
                    axum::routing::get(|| async {
                        let parts: Vec<String> = Vec::new();
                        parts[3].clone()
                    }),
                )
                .route("/ok", axum::routing::get(|| async { "fine" })),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = tokio_util::sync::CancellationToken::new();
        let limits = crate::config::Config::for_tests().server;
        let served = tokio::spawn(super::serve(listener, app, limits, stop.clone()));
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(b"GET /boom HTTP/1.1\r\nhost: x\r\n\r\nGET /ok HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let text = loop {
            let n = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf))
                .await
                .expect("answers in time")
                .unwrap();
            assert!(
                n > 0,
                "connection closed: {}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).into_owned();
            if text.ends_with("fine") {
                break text;
            }
        };
        assert!(text.starts_with("HTTP/1.1 500"), "{text}");
        assert!(text.contains(r#""code":"INTERNAL_SERVER_ERROR""#), "{text}");
        assert!(!text.contains("out of bounds"), "panic text leaked: {text}");
        assert!(text.contains("HTTP/1.1 200"), "{text}");
        stop.cancel();
        served.await.unwrap().unwrap();
    }
    #[test]
    fn the_refusal_is_a_well_formed_answer() {
        let text = std::str::from_utf8(super::OVER_CAPACITY).expect("ascii");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        let declared: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|n| n.parse().ok())
            .expect("content-length");
        assert_eq!(declared, body.len());
        let json: serde_json::Value = serde_json::from_str(body).expect("json body");
        assert_eq!(
            json["errors"][0]["extensions"]["code"],
            "SERVICE_UNAVAILABLE"
        );
    }
}
