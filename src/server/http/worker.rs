//! The fixed pool of workers. A worker gets a request that needs no more from the
//! client (a head to admit, or a head with its whole body), runs the handler, and
//! hands the response back to the reactor, which sends it. Workers never touch a
//! socket, so no client, however slow, can hold one.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use super::body::Body;
use super::request::Request;
use super::response::Response;
use super::shared::{Done, Job, Outcome, Shared, Work};
use crate::util::sync::lock;

/// The worker threads, all taking jobs from one queue.
pub(super) struct Pool {
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `shared.limits.threads` workers; jobs sent on the returned queue are
    /// run. Dropping the sender lets the workers finish and stop.
    pub(super) fn start(shared: &Arc<Shared>) -> io::Result<(mpsc::Sender<Job>, Pool)> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut threads = Vec::new();
        for i in 0..shared.limits.threads.max(1) {
            let queue = Arc::clone(&queue);
            let shared = Arc::clone(shared);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn(move || work(&shared, &queue))?,
            );
        }
        Ok((jobs, Pool { threads }))
    }

    /// Waits for every worker to finish the job it is on.
    pub(super) fn join(self) {
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

fn work(shared: &Shared, queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = {
            let Ok(queue) = queue.lock() else { return };
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let done = run(shared, job);
        lock(&shared.done).push(done);
        let _ = shared.waker.wake();
    }
}

fn run(shared: &Shared, job: Job) -> Done {
    let Job {
        slot,
        id,
        peer,
        head,
        framing,
        work,
    } = job;
    let handler = &shared.handler;
    let failed = || Response::text(500, "internal error: the request handler failed");
    let outcome = match work {
        Work::Admit => {
            let mut body = Body::empty();
            let mut request = Request::new(&head, peer, framing, &mut body);
            let admitted = catch_unwind(AssertUnwindSafe(|| handler.admit(&mut request)));
            Outcome::Admitted(admitted.unwrap_or_else(|_| Err(failed())))
        }
        Work::Handle(mut body) => {
            let mut request = Request::new(&head, peer, framing, &mut body);
            let handled = catch_unwind(AssertUnwindSafe(|| handler.handle(&mut request)));
            Outcome::Handled(handled.unwrap_or_else(|_| failed()))
        }
    };
    Done {
        slot,
        id,
        head,
        framing,
        outcome,
    }
}
