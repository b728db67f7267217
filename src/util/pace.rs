//! Downloads that must keep a pace: a read timeout alone restarts with every
//! byte, so a peer sending one byte just before each timeout would hold a
//! download (and whoever waits on it) forever.

use std::fmt;
use std::io::{self, Read};
use std::time::{Duration, Instant};

/// The least a download must bring in during each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    pub bytes: u64,
    pub window: Duration,
}

/// A duration as people read it: `2 s`, `1.5 s`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// A download that fell below its pace.
#[derive(Clone, Debug)]
pub struct TooSlow {
    pub bytes: u64,
    pub after: Duration,
    pub pace: Pace,
}

impl fmt::Display for TooSlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "only {} bytes in {}, expected at least {} KiB every {}",
            self.bytes,
            seconds(self.after),
            self.pace.bytes / 1024,
            seconds(self.pace.window)
        )
    }
}

impl std::error::Error for TooSlow {}

/// A reader that fails with [`TooSlow`] (as an `io::Error` of kind `TimedOut`)
/// when a window passes with less than the pace's bytes. Each read must return
/// for it to look, which the per-read timeout makes sure of.
pub struct Paced<R> {
    inner: R,
    pace: Pace,
    window_start: Instant,
    in_window: u64,
}

impl<R: Read> Paced<R> {
    pub fn new(inner: R, pace: Pace) -> Paced<R> {
        Paced {
            inner,
            pace,
            window_start: Instant::now(),
            in_window: 0,
        }
    }
}

impl<R: Read> Read for Paced<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.in_window += n as u64;
        let elapsed = self.window_start.elapsed();
        if n > 0 && elapsed >= self.pace.window {
            if self.in_window < self.pace.bytes {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    TooSlow {
                        bytes: self.in_window,
                        after: elapsed,
                        pace: self.pace,
                    },
                ));
            }
            self.window_start = Instant::now();
            self.in_window = 0;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that come `chunk` at a time, each after `every`.
    struct Drip {
        left: usize,
        chunk: usize,
        every: Duration,
    }

    impl Read for Drip {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            std::thread::sleep(self.every);
            let n = self.left.min(self.chunk).min(buf.len());
            self.left -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_trickle_falls_below_the_pace_and_a_steady_stream_does_not() {
        let pace = Pace {
            bytes: 2048,
            window: Duration::from_millis(100),
        };
        let mut buf = [0u8; 64];
        let trickle = Drip {
            left: usize::MAX,
            chunk: 1,
            every: Duration::from_millis(30),
        };
        let mut paced = Paced::new(trickle, pace);
        let error = loop {
            if let Err(e) = paced.read(&mut buf) {
                break e;
            }
        };
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        let shown = error.to_string();
        assert!(shown.starts_with("only "), "{shown}");
        assert!(
            shown.ends_with("expected at least 2 KiB every 0.1 s"),
            "{shown}"
        );

        // Each read brings the window's due, however late a loaded machine wakes.
        let steady = Drip {
            left: 40_000,
            chunk: 4096,
            every: Duration::from_millis(20),
        };
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        let mut paced = Paced::new(steady, pace);
        while let n @ 1.. = paced.read(&mut buf).unwrap() {
            all.extend_from_slice(&buf[..n]);
        }
        assert_eq!(all.len(), 40_000);
    }
}
