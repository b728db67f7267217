//! Progress on a terminal (writes to stderr): one line that counts what is done,
//! redrawn in place. Hidden when stderr is not a terminal, so logs and pipes get
//! only the summary.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A bar such as `Installing [##########          ] 17/34`.
pub struct Progress {
    label: &'static str,
    total: AtomicUsize,
    done: AtomicUsize,
    visible: bool,
    /// Serializes redraws from worker threads.
    drawing: Mutex<()>,
}

const WIDTH: usize = 30;

impl Progress {
    /// A bar that shows only when `show` and stderr is a terminal.
    pub fn new(label: &'static str, total: usize, show: bool) -> Progress {
        Progress {
            label,
            total: AtomicUsize::new(total),
            done: AtomicUsize::new(0),
            visible: show && std::io::stderr().is_terminal(),
            drawing: Mutex::new(()),
        }
    }

    /// One more thing to do (for counts that grow, like projects found while resolving).
    pub fn grow(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.draw();
    }

    /// One more thing done.
    pub fn tick(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.draw();
    }

    fn draw(&self) {
        if !self.visible {
            return;
        }
        let Ok(_guard) = self.drawing.lock() else {
            return;
        };
        let total = self.total.load(Ordering::Relaxed).max(1);
        let done = self.done.load(Ordering::Relaxed).min(total);
        let _ = write!(std::io::stderr(), "\r{}", line(self.label, done, total));
    }

    /// Clears the line, so the summary that follows starts clean.
    pub fn finish(&self) {
        if self.visible {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

fn line(label: &str, done: usize, total: usize) -> String {
    let filled = done * WIDTH / total;
    format!(
        "{label} [{}{}] {done}/{total}",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_proportional_bar() {
        assert_eq!(
            line("Installing", 0, 4),
            format!("Installing [{}] 0/4", " ".repeat(WIDTH))
        );
        assert_eq!(
            line("Installing", 2, 4),
            format!("Installing [{}{}] 2/4", "#".repeat(15), " ".repeat(15))
        );
        assert_eq!(
            line("Installing", 4, 4),
            format!("Installing [{}] 4/4", "#".repeat(WIDTH))
        );
    }

    #[test]
    fn stays_quiet_off_a_terminal() {
        let progress = Progress::new("Installing", 3, false);
        progress.tick();
        progress.finish();
        assert!(!progress.visible);
    }
}
