//! A minimal HTTP/1.1 client, one request per connection, so the server tests depend
//! on nothing but the server under test and can send what real clients never do.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::time::Duration;

use base64::Engine;

/// An HTTP response as the tests see it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request on a fresh connection and reads the whole answer. With a
/// `source`, the connection comes from that loopback address: Linux answers all of
/// 127.0.0.0/8, so one test can speak as several clients to a server that tells
/// them apart by address.
pub fn request(
    source: Option<Ipv4Addr>,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = match source {
        None => TcpStream::connect(addr).expect("connect to server"),
        Some(source) => {
            let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                .expect("make a socket");
            socket
                .bind(&SocketAddrV4::new(source, 0).into())
                .expect("bind to a loopback address");
            socket.connect(&addr.into()).expect("connect to server");
            socket.into()
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || matches!(method, "PUT" | "POST") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413, 401) and close before reading a large body.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_reply(&raw, method == "HEAD")
}

/// Parses one response from `raw`.
pub fn parse_reply(raw: &[u8], head_only: bool) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse::<usize>().unwrap());
    if head_only {
        body.clear();
    } else if let Some(length) = length {
        body.truncate(length);
    }
    Reply {
        status,
        headers,
        body,
    }
}

/// `Authorization: Basic ...` for a user and password.
pub fn basic(user: &str, password: &str) -> String {
    let login = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {login}")
}

/// A connection to `server` from the loopback address 127.0.0.`host`, so a test can
/// play many machines (the server counts connections and uploads per address),
/// with a small receive buffer, so a client that stops reading is soon felt.
pub fn connect_from(host: u8, server: SocketAddr) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(64 * 1024).expect("SO_RCVBUF");
    let local = SocketAddr::from(([127, 0, 0, host], 0));
    socket.bind(&local.into()).expect("bind a loopback address");
    socket.connect(&server.into()).expect("connect to server");
    socket.into()
}

/// Reads one whole answer on a connection the server closes after it, failing after
/// `timeout` without one: a guard against hangs, not a measure of speed.
pub fn answer_within(stream: &mut TcpStream, timeout: Duration, what: &str) -> Reply {
    stream.set_read_timeout(Some(timeout)).unwrap();
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        panic!(
            "{what}: no whole answer within {timeout:?} ({e}); got {:?}",
            String::from_utf8_lossy(&raw)
        );
    }
    parse_reply(&raw, false)
}
