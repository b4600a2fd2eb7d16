//! Raw HTTP/1.1 over a real socket, for what a well-behaved client never does: stall a head or
//! a body, stop reading an answer, hold connections open, send bytes no client library sends.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// One raw connection to the server under test.
pub struct RawConn {
    pub stream: TcpStream,
}

/// A parsed answer.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn code(&self) -> String {
        self.json()["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

/// How a read ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The server closed the connection (EOF or reset).
    Closed,
    /// Nothing happened within the wait.
    StillOpen,
}

fn addr(base_url: &str) -> String {
    base_url.trim_start_matches("http://").to_owned()
}

impl RawConn {
    pub async fn connect(base_url: &str) -> RawConn {
        let stream = TcpStream::connect(addr(base_url)).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawConn { stream }
    }

    /// A connection with a tiny receive buffer, so an answer the client does not read fills
    /// the socket quickly.
    pub async fn connect_small_buffer(base_url: &str) -> RawConn {
        let target: std::net::SocketAddr = addr(base_url).parse().expect("socket address");
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("receive buffer");
        let stream = socket.connect(target).await.expect("connect");
        RawConn { stream }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send");
    }

    /// Sends, tolerating a server that already closed the connection.
    pub async fn try_send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    /// Reads one answer (head and a `content-length` body), failing after `wait`.
    pub async fn response(&mut self, wait: Duration) -> Option<RawResponse> {
        tokio::time::timeout(wait, self.read_response())
            .await
            .ok()
            .flatten()
    }

    async fn read_response(&mut self) -> Option<RawResponse> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i;
            }
            let n = self.stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let status = head.split(' ').nth(1)?.parse().ok()?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())
                    .flatten()
            })
            .unwrap_or(0);
        let mut body = buf[head_end + 4..].to_vec();
        while body.len() < length {
            let n = self.stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        Some(RawResponse { status, head, body })
    }

    /// Reads and discards until the server closes the connection or `wait` passes; returns
    /// how it ended and how many bytes arrived.
    pub async fn drain(&mut self, wait: Duration) -> (Ended, usize) {
        let mut total = 0;
        let mut chunk = [0u8; 65536];
        let ended = tokio::time::timeout(wait, async {
            loop {
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => total += n,
                }
            }
        })
        .await;
        match ended {
            Ok(()) => (Ended::Closed, total),
            Err(_) => (Ended::StillOpen, total),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
