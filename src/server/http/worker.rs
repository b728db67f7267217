//! The fixed pool of workers. A worker gets a request that needs no more from the
//! client (a head to admit, or a head with its whole body), runs the handler, and
//! hands the response back to the reactor, which sends it. Workers never touch a
//! socket, so no client, however slow, can hold one.
//!
//! Waiting requests are taken client by client in turn, not in the order they
//! came, and one client's requests run on at most a quarter of the workers: a
//! client that sends hundreds of costly requests at once neither makes another's
//! wait behind them nor takes every worker and core. A request whose client
//! closed its connection while it waited is taken out, never run.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::body::Body;
use super::limits::client_of;
use super::request::Request;
use super::response::Response;
use super::shared::{Done, Job, Outcome, Shared, Work};
use crate::util::sync::{lock, wait};

/// The worker threads, all taking jobs from one queue.
pub(super) struct Pool {
    threads: Vec<JoinHandle<()>>,
    queue: Arc<Queue>,
}

impl Pool {
    /// Starts `shared.limits.threads` workers, running the jobs put on the returned
    /// queue.
    pub(super) fn start(shared: &Arc<Shared>) -> io::Result<(Arc<Queue>, Pool)> {
        let queue = Arc::new(Queue::default());
        let mut threads = Vec::new();
        let threads_wanted = shared.limits.threads.max(1);
        lock(&queue.waiting).per_client = (threads_wanted / 4).max(1);
        for i in 0..threads_wanted {
            let queue = Arc::clone(&queue);
            let shared = Arc::clone(shared);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn(move || work(&shared, &queue))?,
            );
        }
        let pool = Pool {
            threads,
            queue: Arc::clone(&queue),
        };
        Ok((queue, pool))
    }

    /// Lets the workers finish the jobs queued, then waits for them to stop.
    pub(super) fn join(self) {
        lock(&self.queue.waiting).closed = true;
        self.queue.arrived.notify_all();
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// The jobs waiting for a worker, by client.
#[derive(Default)]
pub(super) struct Queue {
    waiting: Mutex<Waiting>,
    arrived: Condvar,
}

#[derive(Default)]
struct Waiting {
    by_client: HashMap<IpAddr, VecDeque<Job>>,
    /// Clients with jobs waiting, in the order they are served.
    turns: VecDeque<IpAddr>,
    /// Jobs running, by client.
    running: HashMap<IpAddr, usize>,
    /// The most jobs of one client that run at once.
    per_client: usize,
    /// No more jobs will come: workers stop once the queue is empty.
    closed: bool,
}

impl Queue {
    pub(super) fn push(&self, job: Job) {
        let client = client_of(job.peer.ip());
        let mut waiting = lock(&self.waiting);
        let jobs = waiting.by_client.entry(client).or_default();
        jobs.push_back(job);
        if jobs.len() == 1 {
            waiting.turns.push_back(client);
        }
        drop(waiting);
        self.arrived.notify_one();
    }

    /// Takes out the job of the connection in `slot` with `id`, if it still waits.
    pub(super) fn cancel(&self, peer: IpAddr, slot: usize, id: u64) {
        let client = client_of(peer);
        let mut waiting = lock(&self.waiting);
        let Some(jobs) = waiting.by_client.get_mut(&client) else {
            return;
        };
        jobs.retain(|job| (job.slot, job.id) != (slot, id));
        if jobs.is_empty() {
            waiting.by_client.remove(&client);
            waiting.turns.retain(|c| *c != client);
        }
    }

    /// The oldest job of the next client with room to run one, and that client;
    /// `None` once closed and empty.
    fn pop(&self) -> Option<(Job, IpAddr)> {
        let mut waiting = lock(&self.waiting);
        loop {
            let w = &mut *waiting;
            for _ in 0..w.turns.len() {
                let Some(client) = w.turns.pop_front() else {
                    break;
                };
                let running = w.running.get(&client).copied().unwrap_or(0);
                let Some(jobs) = w.by_client.get_mut(&client) else {
                    continue;
                };
                if running >= w.per_client {
                    w.turns.push_back(client);
                    continue;
                }
                let job = jobs.pop_front();
                if jobs.is_empty() {
                    w.by_client.remove(&client);
                } else {
                    w.turns.push_back(client);
                }
                if let Some(job) = job {
                    *w.running.entry(client).or_default() += 1;
                    return Some((job, client));
                }
            }
            if waiting.closed && waiting.by_client.is_empty() {
                return None;
            }
            waiting = wait(&self.arrived, waiting);
        }
    }

    /// A job of `client` has finished: another of its may run.
    fn finished(&self, client: IpAddr) {
        let mut waiting = lock(&self.waiting);
        if let Some(running) = waiting.running.get_mut(&client) {
            *running -= 1;
            if *running == 0 {
                waiting.running.remove(&client);
            }
        }
        drop(waiting);
        self.arrived.notify_all();
    }
}

fn work(shared: &Shared, queue: &Queue) {
    while let Some((job, client)) = queue.pop() {
        let done = run(shared, job);
        queue.finished(client);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::http::protocol::{Framing, parse_head};

    fn job(host: u8, slot: usize) -> Job {
        let (head, _) = parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1024)
            .unwrap()
            .unwrap();
        Job {
            slot,
            id: slot as u64,
            peer: std::net::SocketAddr::from(([127, 0, 0, host], 1000 + slot as u16)),
            head,
            framing: Framing::None,
            work: Work::Handle(Body::empty()),
        }
    }

    fn queue(per_client: usize) -> Queue {
        let queue = Queue::default();
        lock(&queue.waiting).per_client = per_client;
        queue
    }

    #[test]
    fn clients_take_turns_and_none_takes_every_worker() {
        let queue = queue(2);
        for slot in 0..5 {
            queue.push(job(1, slot));
        }
        queue.push(job(2, 10));
        queue.push(job(2, 11));
        let order: Vec<usize> = (0..4).map(|_| queue.pop().unwrap().0.slot).collect();
        assert_eq!(order, [0, 10, 1, 11], "in turn, not in order of arrival");
        // Client 1 runs two already: its third waits until one of them finishes.
        lock(&queue.waiting).closed = true;
        let client_1 = client_of([127, 0, 0, 1].into());
        let client_2 = client_of([127, 0, 0, 2].into());
        queue.finished(client_2);
        queue.finished(client_1);
        assert_eq!(queue.pop().unwrap().0.slot, 2);
    }

    #[test]
    fn a_job_whose_client_left_is_never_run() {
        let queue = queue(4);
        queue.push(job(1, 0));
        queue.push(job(1, 1));
        queue.cancel([127, 0, 0, 1].into(), 0, 0);
        lock(&queue.waiting).closed = true;
        assert_eq!(queue.pop().unwrap().0.slot, 1);
        assert!(queue.pop().is_none(), "closed and empty");
    }
}
