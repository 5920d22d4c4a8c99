//! RESP, written by the workers: each batch becomes the bytes of one
//! pipeline, ready for the socket, so the sink thread only writes them and
//! counts replies. No per-row allocation: keys and values are rendered into
//! reused scratch buffers and copied into the output with their lengths.

use crate::{Mode, Piece};
use arrow_array::RecordBatch;
use sdg_engine::{BatchEncoder, Encoded, SinkError};
use sdg_sinks::encode::{JsonLinesEncoder, TextCells};
use std::sync::Arc;

/// What every worker's encoder shares: mode, key template, field names, ttl, maxlen.
#[derive(Debug)]
pub(crate) struct Layout {
    pub mode: Mode,
    pub key: Vec<Piece>,
    pub names: Vec<Vec<u8>>,
    pub ttl: Option<u64>,
    pub maxlen: Option<u64>,
}

/// Encodes batches as RESP commands. In the output, `row_ends` marks the end
/// of each *command* (not row): `rows()` is the number of replies to expect.
#[derive(Debug)]
pub(crate) struct RespEncoder {
    layout: Arc<Layout>,
    json: Option<JsonLinesEncoder>,
    json_rows: Encoded,
    key: Vec<u8>,
    value: Vec<u8>,
    args: Vec<u8>,
    keys: Encoded,
}

/// Appends `$len\r\nbytes\r\n`.
#[inline]
fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(itoa::Buffer::new().format(bytes.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Appends `*n\r\n`, the header of a command of n arguments (its name included).
#[inline]
fn array(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn number(out: &mut Vec<u8>, n: u64) {
    bulk(out, itoa::Buffer::new().format(n).as_bytes());
}

/// `EXPIRE key ttl` as a command of its own, when a ttl is set.
fn expire(ttl: Option<u64>, out: &mut Encoded, key: &[u8]) {
    if let Some(ttl) = ttl {
        array(&mut out.bytes, 3);
        bulk(&mut out.bytes, b"EXPIRE");
        bulk(&mut out.bytes, key);
        number(&mut out.bytes, ttl);
        out.end_row();
    }
}

impl RespEncoder {
    pub(crate) fn new(layout: Arc<Layout>) -> Self {
        let json = matches!(layout.mode, Mode::Json | Mode::List | Mode::Pubsub).then(JsonLinesEncoder::new);
        Self {
            layout,
            json,
            json_rows: Encoded::default(),
            key: Vec::with_capacity(64),
            value: Vec::with_capacity(64),
            args: Vec::with_capacity(512),
            keys: Encoded::default(),
        }
    }

    fn key_of(&mut self, cells: &mut TextCells<'_>, row: usize) {
        self.key.clear();
        for piece in &self.layout.key {
            match piece {
                Piece::Text(t) => self.key.extend_from_slice(t),
                Piece::Field(c) => {
                    cells.put(*c, row, &mut self.key);
                }
            }
        }
    }

    /// The JSON text of row `i` (without its newline).
    fn json_row(&self, i: usize) -> &[u8] {
        let s = self.json_rows.slice(i, i + 1);
        s.strip_suffix(b"\n").unwrap_or(s)
    }
}

impl BatchEncoder for RespEncoder {
    fn encode(&mut self, batch: &RecordBatch, out: &mut Encoded) -> Result<(), SinkError> {
        let mut cells = TextCells::new(batch).map_err(|e| SinkError::fatal(e.to_string()))?;
        let rows = batch.num_rows();
        if let Some(json) = &mut self.json {
            self.json_rows.clear();
            json.encode(batch, &mut self.json_rows)?;
        }
        let layout = Arc::clone(&self.layout);
        match layout.mode {
            Mode::Hash | Mode::Stream => {
                for row in 0..rows {
                    self.args.clear();
                    let mut pairs = 0;
                    for (c, name) in layout.names.iter().enumerate() {
                        self.value.clear();
                        if cells.put(c, row, &mut self.value) {
                            bulk(&mut self.args, name);
                            bulk(&mut self.args, &self.value);
                            pairs += 1;
                        }
                    }
                    if pairs == 0 {
                        // Every field null: Redis has no empty hash or entry; nothing to write.
                        continue;
                    }
                    self.key_of(&mut cells, row);
                    let b = &mut out.bytes;
                    if layout.mode == Mode::Hash {
                        array(b, 2 + 2 * pairs);
                        bulk(b, b"HSET");
                        bulk(b, &self.key);
                    } else {
                        let trim = if layout.maxlen.is_some() { 3 } else { 0 };
                        array(b, 3 + trim + 2 * pairs);
                        bulk(b, b"XADD");
                        bulk(b, &self.key);
                        if let Some(n) = layout.maxlen {
                            bulk(b, b"MAXLEN");
                            bulk(b, b"~");
                            number(b, n);
                        }
                        bulk(b, b"*");
                    }
                    b.extend_from_slice(&self.args);
                    out.end_row();
                    expire(layout.ttl, out, &self.key);
                }
            }
            Mode::Json => {
                for row in 0..rows {
                    self.key_of(&mut cells, row);
                    let b = &mut out.bytes;
                    array(b, if layout.ttl.is_some() { 5 } else { 3 });
                    bulk(b, b"SET");
                    bulk(b, &self.key);
                    bulk(b, self.json_row(row));
                    if let Some(ttl) = layout.ttl {
                        bulk(b, b"EX");
                        number(b, ttl);
                    }
                    out.end_row();
                }
            }
            Mode::Pubsub => {
                for row in 0..rows {
                    self.key_of(&mut cells, row);
                    let b = &mut out.bytes;
                    array(b, 3);
                    bulk(b, b"PUBLISH");
                    bulk(b, &self.key);
                    bulk(b, self.json_row(row));
                    out.end_row();
                }
            }
            Mode::List => {
                // One RPUSH per run of rows with the same list key, in row order.
                self.keys.clear();
                for row in 0..rows {
                    self.key_of(&mut cells, row);
                    self.keys.bytes.extend_from_slice(&self.key);
                    self.keys.end_row();
                }
                let mut start = 0;
                while start < rows {
                    let key = self.keys.slice(start, start + 1);
                    let mut end = start + 1;
                    while end < rows && self.keys.slice(end, end + 1) == key {
                        end += 1;
                    }
                    array(&mut out.bytes, 2 + end - start);
                    bulk(&mut out.bytes, b"RPUSH");
                    bulk(&mut out.bytes, key);
                    for row in start..end {
                        bulk(&mut out.bytes, self.json_row(row));
                    }
                    out.end_row();
                    expire(layout.ttl, out, key);
                    start = end;
                }
            }
        }
        Ok(())
    }
}

/// One reply read off the wire.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply<'a> {
    /// Anything but an error.
    Ok,
    /// `-ERR …`: the error's text.
    Error(&'a [u8]),
}

/// Parses one RESP2 reply at the start of `buf`: `Ok(None)` when more bytes
/// are needed, else the reply and how many bytes it took.
pub(crate) fn parse_reply(buf: &[u8]) -> Result<Option<(Reply<'_>, usize)>, String> {
    let Some(&kind) = buf.first() else { return Ok(None) };
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else { return Ok(None) };
    let line = &buf[1..eol];
    let after = eol + 2;
    let length = || -> Result<i64, String> {
        std::str::from_utf8(line)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad length `{}` in a reply", String::from_utf8_lossy(line)))
    };
    match kind {
        b'+' | b':' => Ok(Some((Reply::Ok, after))),
        b'-' => Ok(Some((Reply::Error(line), after))),
        b'$' => {
            let n = length()?;
            if n < 0 {
                return Ok(Some((Reply::Ok, after)));
            }
            let end = after + n as usize + 2;
            Ok((buf.len() >= end).then_some((Reply::Ok, end)))
        }
        b'*' => {
            let n = length()?;
            let mut at = after;
            let mut first_error = None;
            for _ in 0..n.max(0) {
                match parse_reply(&buf[at..])? {
                    None => return Ok(None),
                    Some((reply, used)) => {
                        if let (None, Reply::Error(e)) = (&first_error, reply) {
                            first_error = Some(e);
                        }
                        at += used;
                    }
                }
            }
            Ok(Some((first_error.map_or(Reply::Ok, Reply::Error), at)))
        }
        other => Err(format!("unexpected reply type byte 0x{other:02x}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_parse_whole_or_ask_for_more() {
        assert_eq!(parse_reply(b":10\r\n"), Ok(Some((Reply::Ok, 5))));
        assert_eq!(parse_reply(b"+OK\r\n:1"), Ok(Some((Reply::Ok, 5))));
        assert_eq!(parse_reply(b"-WRONGTYPE x\r\n"), Ok(Some((Reply::Error(b"WRONGTYPE x"), 14))));
        assert_eq!(parse_reply(b"$5\r\n1-0\r\n"), Ok(None));
        assert_eq!(parse_reply(b"$3\r\n1-0\r\n"), Ok(Some((Reply::Ok, 9))));
        assert_eq!(parse_reply(b"$-1\r\n"), Ok(Some((Reply::Ok, 5))));
        assert_eq!(parse_reply(b"*2\r\n:1\r\n-E\r\n"), Ok(Some((Reply::Error(b"E"), 12))));
        assert_eq!(parse_reply(b"*2\r\n:1\r\n"), Ok(None));
        assert_eq!(parse_reply(b":1"), Ok(None));
        assert!(parse_reply(b"?\r\n").is_err());
        assert!(parse_reply(b"$x\r\n").is_err());
    }

    #[test]
    fn bulk_and_array_frame_arguments() {
        let mut out = Vec::new();
        array(&mut out, 2);
        bulk(&mut out, b"GET");
        bulk(&mut out, b"");
        assert_eq!(out, b"*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
    }
}
