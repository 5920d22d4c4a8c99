//! One blocking connection to the server: the handshake (AUTH, SELECT), then
//! whole pipelines written at once and their replies counted.

use crate::resp::{Reply, parse_reply};
use sdg_engine::SinkError;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Where and how to connect, from the URL.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub database: Option<u8>,
    /// The URL with its password hidden, for messages.
    pub shown: String,
    /// How long a pipeline may wait for its replies.
    pub timeout: Duration,
}

/// An open connection.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

fn io_error(target: &Target, doing: &str, e: &std::io::Error) -> SinkError {
    let what = match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => format!("no reply within {} s", target.timeout.as_secs()),
        _ => e.to_string(),
    };
    SinkError::retryable(format!("{doing} Redis at {}: {what}", target.shown))
}

/// An error reply: retryable when the server says it is busy or loading, fatal otherwise.
fn reply_error(target: &Target, text: &[u8]) -> SinkError {
    let text = String::from_utf8_lossy(text);
    let message = format!("Redis at {} answered: {text}", target.shown);
    let code = text.split(' ').next().unwrap_or_default();
    match code {
        "LOADING" | "BUSY" | "TRYAGAIN" | "MASTERDOWN" | "OOM" | "CLUSTERDOWN" | "READONLY" => {
            SinkError::retryable(message)
        }
        _ => SinkError::fatal(message),
    }
}

impl Conn {
    /// Connects, authenticates, selects the database and checks with PING.
    pub(crate) fn open(target: &Target) -> Result<Self, SinkError> {
        let addrs =
            (target.host.as_str(), target.port).to_socket_addrs().map_err(|e| io_error(target, "resolving", &e))?;
        let mut last = None;
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = match (stream, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(io_error(target, "connecting to", &e)),
            (None, None) => {
                return Err(SinkError::retryable(format!("connecting to Redis at {}: no address found", target.shown)));
            }
        };
        let setup = |e: std::io::Error| io_error(target, "connecting to", &e);
        stream.set_nodelay(true).map_err(setup)?;
        stream.set_read_timeout(Some(target.timeout)).map_err(setup)?;
        stream.set_write_timeout(Some(target.timeout)).map_err(setup)?;
        let mut conn = Self { stream, buf: Vec::with_capacity(64 * 1024) };
        let mut hello = Vec::new();
        let mut commands = 0;
        let mut command = |args: &[&[u8]]| {
            hello.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in args {
                hello.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                hello.extend_from_slice(a);
                hello.extend_from_slice(b"\r\n");
            }
            commands += 1;
        };
        match (&target.username, &target.password) {
            (Some(u), Some(p)) => command(&[b"AUTH", u.as_bytes(), p.as_bytes()]),
            (None, Some(p)) => command(&[b"AUTH", p.as_bytes()]),
            _ => {}
        }
        let db = target.database.map(|d| d.to_string());
        if let Some(db) = &db {
            command(&[b"SELECT", db.as_bytes()]);
        }
        command(&[b"PING"]);
        match conn.pipeline(target, &hello, commands)? {
            None => Ok(conn),
            // A refused password or database does not get better by retrying.
            Some(e) => Err(SinkError::fatal(format!("connecting to Redis: {}", e.message))),
        }
    }

    /// Writes `bytes` (`commands` commands) and reads every reply. `Ok(Some)`
    /// is the first error reply (the connection stays usable); `Err` means the
    /// connection is broken.
    pub(crate) fn pipeline(
        &mut self,
        target: &Target,
        bytes: &[u8],
        commands: usize,
    ) -> Result<Option<SinkError>, SinkError> {
        self.stream.write_all(bytes).map_err(|e| io_error(target, "writing to", &e))?;
        let mut first_error = None;
        let mut at = 0;
        let mut replies = 0;
        self.buf.clear();
        while replies < commands {
            match parse_reply(&self.buf[at..]) {
                Ok(Some((reply, used))) => {
                    if let (None, Reply::Error(text)) = (&first_error, reply) {
                        first_error = Some(reply_error(target, text));
                    }
                    at += used;
                    replies += 1;
                }
                Ok(None) => {
                    // Keep the unread tail at the front, then read more.
                    self.buf.drain(..at);
                    at = 0;
                    let len = self.buf.len();
                    self.buf.resize(len + 64 * 1024, 0);
                    let read = self.stream.read(&mut self.buf[len..]);
                    match read {
                        Ok(0) => {
                            self.buf.truncate(len);
                            return Err(SinkError::retryable(format!(
                                "Redis at {} closed the connection ({replies} of {commands} replies read)",
                                target.shown
                            )));
                        }
                        Ok(n) => self.buf.truncate(len + n),
                        Err(e) if e.kind() == ErrorKind::Interrupted => self.buf.truncate(len),
                        Err(e) => {
                            self.buf.truncate(len);
                            return Err(io_error(target, "reading from", &e));
                        }
                    }
                }
                Err(e) => return Err(SinkError::retryable(format!("reading from Redis at {}: {e}", target.shown))),
            }
        }
        Ok(first_error)
    }
}
