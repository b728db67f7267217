//! One connection, owned by the reactor for its whole life: what it waits for, and
//! the non-blocking I/O that moves it on. A connection reads a head, waits while a
//! worker has the request, receives the body into a spool, writes the answer (a
//! file straight from the page cache with sendfile(2)), then reads the next head
//! or lingers and closes. Each step does what the socket allows and returns; the
//! reactor calls again when the socket is ready, so a slow client costs a buffer
//! and a deadline, never a thread.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use mio::net::TcpStream;

use super::body::{Body, Spool};
use super::chunked::{Chunked, ChunkedError};
use super::limits::Limits;
use super::protocol::{self, CONTINUE, Framing, Head};
use super::response::{Payload, Response};
use super::shared::Work;
use crate::util::fs::{FsError, out_of_space};

/// How many bytes one connection may move in one turn before the others get theirs:
/// with a thousand downloads under way, a turn round all of them moves a thousand
/// times this before a new request is looked at.
const TURN: u64 = 256 << 10;
/// How long a closing connection reads what its client still sends, and how much:
/// closing with unread bytes would reset the connection, and clients that send a
/// whole body before reading (Python's http.client, so twine) would see the reset
/// instead of the answer.
const LINGER: Duration = Duration::from_secs(5);
const MAX_LINGER_BYTES: u64 = 64 << 20;
/// The largest a keep-alive connection's buffer stays between requests.
const IDLE_BUFFER: usize = 4096;

/// Headers whose values never reach the debug log.
const SECRET_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// What the reactor gives a connection for a step.
pub(super) struct Ctx<'a> {
    pub(super) limits: &'a Limits,
    /// Where large request bodies are spooled.
    pub(super) spool_dir: &'a Path,
    /// The reactor's one read buffer.
    pub(super) scratch: &'a mut [u8],
}

/// What the reactor does after a step.
pub(super) enum Step {
    /// Nothing until the socket is ready again.
    Wait,
    /// More could be done now; others go first.
    Yield,
    /// A request for a worker.
    Dispatch(Head, Framing, Work),
    Close,
}

/// A phase's own result: go on, or stop with a step.
enum Next {
    Again,
    Stop(Step),
}

/// A deadline passed.
pub(super) enum Expiry {
    /// Answer this, then close.
    Answer(Response),
    /// Close at once, for this reason.
    Close(&'static str),
}

pub(super) struct Conn {
    pub(super) id: u64,
    pub(super) stream: TcpStream,
    pub(super) peer: SocketAddr,
    /// Whether it counts against the connection limits: a connection refused at
    /// the door is only answered, and does not.
    pub(super) counted: bool,
    /// Whether it counts as one of its address's uploads.
    pub(super) uploading: bool,
    /// Bytes read and not used yet: (the start of) a head, or what was pipelined.
    buf: Vec<u8>,
    phase: Phase,
    clock: Clock,
    /// Requests answered on this connection.
    served: u64,
}

enum Phase {
    /// Waiting for a head; the first `scanned` bytes of the buffer end none.
    Head {
        scanned: usize,
        first_byte: Option<Instant>,
    },
    /// A worker has the request.
    Busy(Exchange),
    Body(Box<Receiving>),
    Answer(Box<Answering>),
    /// Answered and shut for writing: reading what the client still sends.
    Linger {
        drained: u64,
    },
}

/// The phase's clock, for its deadlines.
struct Clock {
    started: Instant,
    moved_at: Instant,
    moved: u64,
}

impl Clock {
    fn now() -> Clock {
        let now = Instant::now();
        Clock {
            started: now,
            moved_at: now,
            moved: 0,
        }
    }

    fn moved(&mut self, n: usize) {
        self.moved += n as u64;
        self.moved_at = Instant::now();
    }
}

/// One request, as the access log tells it and its answer needs it.
struct Exchange {
    method: String,
    target: String,
    keep_alive: bool,
    head_only: bool,
    started: Instant,
}

impl Exchange {
    fn of(head: &Head) -> Exchange {
        Exchange {
            method: head.method.clone(),
            target: head.target.clone(),
            keep_alive: head.keep_alive(),
            head_only: head.method == "HEAD",
            started: Instant::now(),
        }
    }

    /// For an answer to bytes that were not a request.
    fn unparsed() -> Exchange {
        Exchange {
            method: "-".into(),
            target: "-".into(),
            keep_alive: false,
            head_only: false,
            started: Instant::now(),
        }
    }
}

/// A body arriving.
struct Receiving {
    exchange: Exchange,
    head: Head,
    framing: Framing,
    frame: Frame,
    spool: Spool,
    /// How much of `100 Continue` is sent; all of it when none is due.
    continued: usize,
}

enum Frame {
    /// Bytes still to come.
    Length(u64),
    Chunked(Chunked),
}

/// An answer going out: its head and bytes, then the file, if any.
struct Answering {
    exchange: Exchange,
    status: u16,
    user: Option<String>,
    keep_alive: bool,
    head: Vec<u8>,
    payload: Payload,
    /// Of the head and payload bytes.
    written: usize,
    file: Option<FileOut>,
    /// Payload bytes sent, for the log.
    sent: u64,
}

struct FileOut {
    file: File,
    offset: u64,
    len: u64,
}

impl Conn {
    pub(super) fn new(id: u64, stream: TcpStream, peer: SocketAddr) -> Conn {
        Conn {
            id,
            stream,
            peer,
            counted: true,
            uploading: false,
            buf: Vec::new(),
            phase: Phase::Head {
                scanned: 0,
                first_byte: None,
            },
            clock: Clock::now(),
            served: 0,
        }
    }

    /// A connection refused at the door: answered, then closed.
    pub(super) fn refused(id: u64, stream: TcpStream, peer: SocketAddr, answer: Response) -> Conn {
        let mut conn = Conn::new(id, stream, peer);
        conn.counted = false;
        conn.answer_with(Exchange::unparsed(), answer, false);
        conn
    }

    /// Whether a body is arriving.
    pub(super) fn receiving(&self) -> bool {
        matches!(self.phase, Phase::Body(_))
    }

    /// Since when it has waited for its next request, if it is an idle keep-alive
    /// connection, which may be closed to make room.
    pub(super) fn idle_since(&self) -> Option<Instant> {
        match self.phase {
            Phase::Head {
                first_byte: None, ..
            } if self.served > 0 && self.buf.is_empty() => Some(self.clock.started),
            _ => None,
        }
    }

    /// Whether it waits for a head: no request of it is under way.
    pub(super) fn between_requests(&self) -> bool {
        matches!(self.phase, Phase::Head { .. })
    }

    /// Does what the socket allows now.
    pub(super) fn advance(&mut self, ctx: &mut Ctx<'_>) -> Step {
        let mut turn = 0;
        loop {
            if turn >= TURN {
                return Step::Yield;
            }
            let next = match self.phase {
                Phase::Head { .. } => self.read_head(ctx),
                Phase::Busy(_) => self.watch_busy(),
                Phase::Body(_) => self.read_body(ctx, &mut turn),
                Phase::Answer(_) => self.write_answer(&mut turn),
                Phase::Linger { .. } => self.linger(ctx, &mut turn),
            };
            if let Next::Stop(step) = next {
                return step;
            }
        }
    }

    /// While a worker has the request, only whether the client is still there: one
    /// that closed its connection wants no answer, and its request, if still
    /// waiting for a worker, is not run. A client that only shut its sending side
    /// counts as gone too, as most servers count it; bytes it pipelined wait.
    fn watch_busy(&mut self) -> Next {
        match self.stream.peek(&mut [0u8; 1]) {
            Ok(0) => {
                self.log_abort(&"the client closed the connection before the answer");
                Next::Stop(Step::Close)
            }
            Ok(_) => Next::Stop(Step::Wait),
            Err(e) if retry_later(&e) => io_next(&e),
            Err(e) => {
                self.log_abort(&e);
                Next::Stop(Step::Close)
            }
        }
    }

    /// Whether a worker has, or is to have, its request.
    pub(super) fn busy(&self) -> bool {
        matches!(self.phase, Phase::Busy(_))
    }

    fn read_head(&mut self, ctx: &mut Ctx<'_>) -> Next {
        let max = ctx.limits.max_header_bytes;
        let Phase::Head {
            scanned,
            first_byte,
        } = &mut self.phase
        else {
            return Next::Stop(Step::Close);
        };
        if self.buf.len() > *scanned {
            let from = std::mem::replace(scanned, self.buf.len());
            if protocol::may_end(&self.buf, from) || self.buf.len() > max {
                match protocol::parse_head(&self.buf, max) {
                    Ok(None) => {}
                    Ok(Some((head, end))) => {
                        self.buf.drain(..end);
                        return self.start(head);
                    }
                    Err(e) => {
                        self.answer_with(
                            Exchange::unparsed(),
                            Response::text(e.status(), &e),
                            false,
                        );
                        return Next::Again;
                    }
                }
            }
        }
        // Never more than one byte past the limit: a head that long is refused.
        let room = (max + 1)
            .saturating_sub(self.buf.len())
            .clamp(1, ctx.scratch.len());
        match self.stream.read(&mut ctx.scratch[..room]) {
            Ok(0) => Next::Stop(Step::Close),
            Ok(n) => {
                self.buf.extend_from_slice(&ctx.scratch[..n]);
                first_byte.get_or_insert_with(Instant::now);
                Next::Again
            }
            Err(e) => io_next(&e),
        }
    }

    /// A head arrived: what the worker is to do with it.
    fn start(&mut self, head: Head) -> Next {
        log_headers(self.peer, &head);
        let exchange = Exchange::of(&head);
        match head.framing() {
            Err(e) => {
                self.answer_with(exchange, Response::text(e.status(), &e), false);
                Next::Again
            }
            Ok(framing) => {
                let work = if framing.has_body() {
                    Work::Admit
                } else {
                    Work::Handle(Body::empty())
                };
                self.phase = Phase::Busy(exchange);
                Next::Stop(Step::Dispatch(head, framing, work))
            }
        }
    }

    /// The handler admitted a body of at most `limit` bytes: receive it.
    pub(super) fn receive(&mut self, head: Head, framing: Framing, limit: u64, dir: &Path) {
        let exchange = self.take_exchange();
        let frame = match framing {
            Framing::Length(n) if n > limit => {
                let answer = Response::text(413, BodyError::TooLarge { limit });
                return self.answer_with(exchange, answer, false);
            }
            Framing::Length(n) => Frame::Length(n),
            Framing::Chunked => Frame::Chunked(Chunked::new(limit)),
            Framing::None => Frame::Length(0),
        };
        let expected = match framing {
            Framing::Length(n) => Some(n),
            Framing::None | Framing::Chunked => None,
        };
        let spool = match Spool::new(expected, dir) {
            Ok(spool) => spool,
            Err(e) => return self.answer_with(exchange, BodyError::Spool(e).answer(), false),
        };
        let continued = if head.expects_continue() {
            0
        } else {
            CONTINUE.len()
        };
        self.phase = Phase::Body(Box::new(Receiving {
            exchange,
            head,
            framing,
            frame,
            spool,
            continued,
        }));
        self.clock = Clock::now();
    }

    fn read_body(&mut self, ctx: &mut Ctx<'_>, turn: &mut u64) -> Next {
        let Phase::Body(rx) = &mut self.phase else {
            return Next::Stop(Step::Close);
        };
        if rx.continued < CONTINUE.len() {
            match self.stream.write(&CONTINUE[rx.continued..]) {
                Ok(n) => rx.continued += n,
                Err(e) if retry_later(&e) => {}
                Err(_) => return Next::Stop(Step::Close),
            }
        }
        // Bytes that came with the head, then from the socket.
        let (fed, rest) = if self.buf.is_empty() {
            // A body of known length is read to its end only: what the client
            // pipelined after it stays in the socket until its turn.
            let want = match rx.frame {
                Frame::Length(left) => usize::try_from(left)
                    .map_or(ctx.scratch.len(), |left| left.clamp(1, ctx.scratch.len())),
                Frame::Chunked(_) => ctx.scratch.len(),
            };
            let n = match self.stream.read(&mut ctx.scratch[..want]) {
                Ok(0) => {
                    self.log_abort(
                        &"the client closed the connection before sending the whole body",
                    );
                    return Next::Stop(Step::Close);
                }
                Ok(n) => n,
                Err(e) => return io_next(&e),
            };
            *turn += n as u64;
            let fed = feed(rx, &ctx.scratch[..n], ctx.spool_dir);
            (fed, &ctx.scratch[..n])
        } else {
            let buffered = std::mem::take(&mut self.buf);
            let fed = feed(rx, &buffered, ctx.spool_dir);
            if let Ok((used, _)) = fed {
                self.buf = buffered[used..].to_vec();
            }
            (fed, &[][..])
        };
        match fed {
            Err(e) => {
                self.refuse(e.answer());
                Next::Again
            }
            Ok((used, done)) => {
                self.clock.moved(used);
                if !done {
                    return Next::Again;
                }
                if used < rest.len() {
                    self.buf.extend_from_slice(&rest[used..]);
                }
                self.body_done()
            }
        }
    }

    fn body_done(&mut self) -> Next {
        let Phase::Body(rx) = std::mem::replace(&mut self.phase, Phase::Linger { drained: 0 })
        else {
            return Next::Stop(Step::Close);
        };
        let Receiving {
            exchange,
            head,
            framing,
            spool,
            ..
        } = *rx;
        match spool.into_body() {
            Ok(body) => {
                self.phase = Phase::Busy(exchange);
                Next::Stop(Step::Dispatch(head, framing, Work::Handle(body)))
            }
            Err(e) => {
                self.answer_with(exchange, BodyError::Spool(e).answer(), false);
                Next::Again
            }
        }
    }

    /// The handler's answer; the connection stays open if the client asked and the
    /// server is not stopping.
    pub(super) fn answer(&mut self, response: Response, stopping: bool) {
        let exchange = self.take_exchange();
        let keep_alive = exchange.keep_alive && !stopping;
        self.answer_with(exchange, response, keep_alive);
    }

    /// Answers the request under way (if any) with `response`, then closes.
    pub(super) fn refuse(&mut self, response: Response) {
        let exchange = self.take_exchange();
        self.answer_with(exchange, response, false);
    }

    fn take_exchange(&mut self) -> Exchange {
        match std::mem::replace(&mut self.phase, Phase::Linger { drained: 0 }) {
            Phase::Busy(exchange) => exchange,
            Phase::Body(rx) => rx.exchange,
            Phase::Answer(out) => out.exchange,
            Phase::Head { .. } | Phase::Linger { .. } => Exchange::unparsed(),
        }
    }

    fn answer_with(&mut self, exchange: Exchange, mut response: Response, keep_alive: bool) {
        let head = protocol::response_head(&response, keep_alive, SystemTime::now());
        let payload = std::mem::replace(&mut response.payload, Payload::Empty);
        let (payload, file) = match payload {
            _ if exchange.head_only => (Payload::Empty, None),
            Payload::File(file, len) => (
                Payload::Empty,
                Some(FileOut {
                    file,
                    offset: 0,
                    len,
                }),
            ),
            payload => (payload, None),
        };
        self.phase = Phase::Answer(Box::new(Answering {
            exchange,
            status: response.status,
            user: response.user.take(),
            keep_alive,
            head,
            payload,
            written: 0,
            file,
            sent: 0,
        }));
        self.clock = Clock::now();
    }

    fn write_answer(&mut self, turn: &mut u64) -> Next {
        let Phase::Answer(out) = &mut self.phase else {
            return Next::Stop(Step::Close);
        };
        let bytes = out.payload.bytes();
        let head_len = out.head.len();
        if out.written < head_len + bytes.len() {
            let slices = if out.written < head_len {
                [IoSlice::new(&out.head[out.written..]), IoSlice::new(bytes)]
            } else {
                [
                    IoSlice::new(&bytes[out.written - head_len..]),
                    IoSlice::new(&[]),
                ]
            };
            let n = match self.stream.write_vectored(&slices) {
                Ok(0) => return self.fail(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if retry_later(&e) => return io_next(&e),
                Err(e) => return self.fail(e),
            };
            out.sent += (out.written + n).saturating_sub(head_len.max(out.written)) as u64;
            out.written += n;
            *turn += n as u64;
            self.clock.moved(n);
            return Next::Again;
        }
        if let Some(file) = out.file.as_mut().filter(|f| f.offset < f.len) {
            let count = usize::try_from((file.len - file.offset).min(TURN)).unwrap_or(1 << 18);
            let sent =
                rustix::fs::sendfile(&self.stream, &file.file, Some(&mut file.offset), count)
                    .map_err(io::Error::from);
            let n = match sent {
                Ok(0) => {
                    let shrank = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file shrank while being sent",
                    );
                    return self.fail(shrank);
                }
                Ok(n) => n,
                Err(e) if retry_later(&e) => return io_next(&e),
                Err(e) => return self.fail(e),
            };
            out.sent += n as u64;
            *turn += n as u64;
            self.clock.moved(n);
            return Next::Again;
        }
        log_access(
            self.peer,
            out.user.as_deref(),
            &out.exchange,
            Some(out.status),
            out.sent,
            None,
        );
        self.served += 1;
        if out.keep_alive {
            // Bytes the client pipelined are the start of the next head: its clock runs.
            self.phase = Phase::Head {
                scanned: 0,
                first_byte: (!self.buf.is_empty()).then(Instant::now),
            };
            if self.buf.capacity() > IDLE_BUFFER.max(self.buf.len()) {
                self.buf.shrink_to(IDLE_BUFFER);
            }
        } else {
            let _ = self.stream.shutdown(Shutdown::Write);
            self.phase = Phase::Linger { drained: 0 };
        }
        self.clock = Clock::now();
        Next::Again
    }

    /// Writing the answer failed: logged, and the connection closed.
    fn fail(&mut self, error: io::Error) -> Next {
        self.log_abort(&error);
        Next::Stop(Step::Close)
    }

    fn linger(&mut self, ctx: &mut Ctx<'_>, turn: &mut u64) -> Next {
        let Phase::Linger { drained } = &mut self.phase else {
            return Next::Stop(Step::Close);
        };
        match self.stream.read(ctx.scratch) {
            Ok(0) => Next::Stop(Step::Close),
            Ok(n) => {
                *drained += n as u64;
                *turn += n as u64;
                if *drained > MAX_LINGER_BYTES {
                    return Next::Stop(Step::Close);
                }
                Next::Again
            }
            Err(e) => io_next(&e),
        }
    }

    /// What is due if a deadline has passed by `now`.
    pub(super) fn expired(&self, now: Instant, limits: &Limits) -> Option<Expiry> {
        let clock = &self.clock;
        let slow = || limits.too_slow(clock.started, clock.moved_at, clock.moved, now);
        match &self.phase {
            Phase::Head {
                first_byte: Some(first),
                ..
            } if now.duration_since(*first) > limits.header_timeout => {
                Some(Expiry::Answer(Response::text(
                    408,
                    format!(
                        "request timeout: the request head did not arrive within {} s",
                        limits.header_timeout.as_secs()
                    ),
                )))
            }
            Phase::Head {
                first_byte: None, ..
            } if now.duration_since(clock.started) > limits.idle_timeout => {
                Some(Expiry::Close("idle"))
            }
            Phase::Body(_) if slow() => Some(Expiry::Answer(Response::text(
                408,
                "request timeout: the request body arrived too slowly",
            ))),
            Phase::Answer(_) if slow() => Some(Expiry::Close("the client read too slowly")),
            Phase::Linger { .. } if now.duration_since(clock.started) > LINGER => {
                Some(Expiry::Close("lingered"))
            }
            _ => None,
        }
    }

    /// Logs the request under way, if any, as cut short for `reason`.
    pub(super) fn log_abort(&self, reason: &dyn fmt::Display) {
        match &self.phase {
            Phase::Answer(out) => log_access(
                self.peer,
                out.user.as_deref(),
                &out.exchange,
                Some(out.status),
                out.sent,
                Some(reason),
            ),
            Phase::Body(rx) => log_access(self.peer, None, &rx.exchange, None, 0, Some(reason)),
            Phase::Busy(exchange) => log_access(self.peer, None, exchange, None, 0, Some(reason)),
            Phase::Head { .. } | Phase::Linger { .. } => {}
        }
    }
}

/// Feeds body bytes to their framing and spool: how many were the body's, and
/// whether it is whole.
fn feed(rx: &mut Receiving, data: &[u8], dir: &Path) -> Result<(usize, bool), BodyError> {
    match &mut rx.frame {
        Frame::Length(left) => {
            let n = data.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
            rx.spool.write(&data[..n], dir).map_err(BodyError::Spool)?;
            *left -= n as u64;
            Ok((n, *left == 0))
        }
        Frame::Chunked(chunked) => {
            let mut used = 0;
            while used < data.len() && !chunked.done() {
                let (n, out) = chunked.decode(&data[used..]).map_err(BodyError::Chunked)?;
                if !out.is_empty() {
                    rx.spool.write(out, dir).map_err(BodyError::Spool)?;
                }
                used += n;
            }
            Ok((used, chunked.done()))
        }
    }
}

/// Why a body could not be received.
#[derive(Debug)]
enum BodyError {
    /// Longer than the handler allows.
    TooLarge { limit: u64 },
    /// A chunked body that is malformed or too large.
    Chunked(ChunkedError),
    /// Spooling it to disk failed.
    Spool(FsError),
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::TooLarge { limit } => {
                write!(f, "request body too large: the limit is {limit} bytes")
            }
            BodyError::Chunked(e) => e.fmt(f),
            BodyError::Spool(e) => write!(f, "could not receive the request body: {e}"),
        }
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BodyError::TooLarge { .. } => None,
            BodyError::Chunked(e) => Some(e),
            BodyError::Spool(e) => Some(e),
        }
    }
}

impl BodyError {
    /// The client hears what it did wrong, or that the disk is full; other disk
    /// failures (with their paths) go to the log only.
    fn answer(self) -> Response {
        match self {
            BodyError::TooLarge { .. } | BodyError::Chunked(ChunkedError::TooLarge { .. }) => {
                Response::text(413, self)
            }
            BodyError::Chunked(ChunkedError::Malformed(_)) => Response::text(400, self),
            BodyError::Spool(e) if out_of_space(&e.source) => {
                crate::message!("curd-server: {e}");
                Response::text(507, "the server's disk is full")
            }
            BodyError::Spool(e) => {
                crate::message!("curd-server: {e}");
                Response::text(
                    500,
                    "the server could not receive the request body; its log says why",
                )
            }
        }
    }
}

/// Whether an I/O error only means "not now".
fn retry_later(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

/// After a failed read: wait for readiness, try again, or close.
fn io_next(e: &io::Error) -> Next {
    match e.kind() {
        io::ErrorKind::WouldBlock => Next::Stop(Step::Wait),
        io::ErrorKind::Interrupted => Next::Again,
        _ => Next::Stop(Step::Close),
    }
}

/// With `-d`, each header of the request on a line of its own; secrets redacted.
fn log_headers(peer: SocketAddr, head: &Head) {
    for (name, value) in &head.headers {
        let value = if SECRET_HEADERS.contains(&name.as_str()) {
            "[redacted]"
        } else {
            value
        };
        crate::debug!(
            "curd-server: {peer} {} {} < {name}: {value}",
            head.method,
            head.target
        );
    }
}

/// The access log: one line per request, whole, at the default level; `-` for a
/// status when none was sent.
fn log_access(
    peer: SocketAddr,
    user: Option<&str>,
    exchange: &Exchange,
    status: Option<u16>,
    sent: u64,
    aborted: Option<&dyn fmt::Display>,
) {
    let user = user.unwrap_or("-");
    let ms = exchange.started.elapsed().as_secs_f64() * 1000.0;
    let status = status.map_or("-".to_string(), |s| s.to_string());
    let aborted = aborted.map_or(String::new(), |e| format!(" aborted: {e}"));
    let Exchange { method, target, .. } = exchange;
    crate::message!("{peer} {user} \"{method} {target}\" {status} {sent} {ms:.1}ms{aborted}");
}
