//! The bounded pool for CPU-bound core calls (validating a `site.lic`, verifying the ledger or
//! a manifest, signing a heartbeat's answer): each runs on tokio's blocking threads (`spawn_blocking`), never on the async
//! workers that answer every other request, at most `workers` at once (fewer than the cores, so
//! a flood of verifications leaves a core for `/healthz` and the rest), with at most `queue`
//! more waiting. Beyond that a call fails at once with [`ServiceError::Overloaded`] (503 with
//! `Retry-After`) instead of queueing without bound. No lock is held around a call: core's
//! `Validator` is `Sync`, so the calls share it.
//!
//! A call keeps its place until its closure returns, even if the request that started it is
//! cancelled (a client that hangs up does not free a worker still busy with its work).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::ServiceError;

/// The pool; clones share it.
#[derive(Clone, Debug)]
pub struct CpuPool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    workers: usize,
    queue: usize,
    /// Places: running plus waiting (`workers + queue`).
    admitted: Arc<Semaphore>,
    /// Running.
    running: Arc<Semaphore>,
    busy: AtomicUsize,
    peak: AtomicUsize,
    refused: AtomicUsize,
}

impl Default for CpuPool {
    /// One less worker than the cores (at least one), 32 waiting.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores.saturating_sub(1).max(1), 32)
    }
}

impl CpuPool {
    /// A pool running at most `workers` calls (at least 1) with at most `queue` waiting.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Self {
            inner: Arc::new(Inner {
                workers,
                queue,
                admitted: Arc::new(Semaphore::new(workers + queue)),
                running: Arc::new(Semaphore::new(workers)),
                busy: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                refused: AtomicUsize::new(0),
            }),
        }
    }

    /// Runs `f` on a blocking thread when a worker is free; [`ServiceError::Overloaded`] at
    /// once when `workers + queue` calls are already running or waiting.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let inner = &self.inner;
        let Ok(place) = Arc::clone(&inner.admitted).try_acquire_owned() else {
            inner.refused.fetch_add(1, Ordering::Relaxed);
            return Err(ServiceError::Overloaded);
        };
        let worker = Arc::clone(&inner.running)
            .acquire_owned()
            .await
            .map_err(ServiceError::internal)?;
        let pool = Arc::clone(inner);
        tokio::task::spawn_blocking(move || {
            let _held = (place, worker);
            let now = pool.busy.fetch_add(1, Ordering::SeqCst) + 1;
            pool.peak.fetch_max(now, Ordering::SeqCst);
            let out = f();
            pool.busy.fetch_sub(1, Ordering::SeqCst);
            out
        })
        .await
        .map_err(|e| ServiceError::internal(format_args!("verification task failed: {e}")))
    }

    /// Most calls running at once.
    pub fn workers(&self) -> usize {
        self.inner.workers
    }

    /// Most calls waiting for a worker.
    pub fn queue(&self) -> usize {
        self.inner.queue
    }

    /// Calls running now.
    pub fn busy(&self) -> usize {
        self.inner.busy.load(Ordering::SeqCst)
    }

    /// The most calls that ever ran at once.
    pub fn peak(&self) -> usize {
        self.inner.peak.load(Ordering::SeqCst)
    }

    /// Calls refused with [`ServiceError::Overloaded`] so far.
    pub fn refused(&self) -> usize {
        self.inner.refused.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_at_most_workers_at_once_and_refuses_beyond_the_queue() {
        let pool = CpuPool::new(2, 3);
        let (release, gate) = mpsc::channel::<()>();
        let gate = Arc::new(std::sync::Mutex::new(gate));
        let mut calls = Vec::new();
        for _ in 0..5 {
            let (pool, gate) = (pool.clone(), Arc::clone(&gate));
            calls.push(tokio::spawn(async move {
                pool.run(move || {
                    gate.lock().unwrap().recv().unwrap();
                })
                .await
            }));
        }
        // Wait until the two workers are busy and three calls wait.
        for _ in 0..200 {
            if pool.busy() == 2 && pool.inner.admitted.available_permits() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(pool.busy(), 2);
        for _ in 0..4 {
            let refused = pool.run(|| ()).await;
            assert!(
                matches!(refused, Err(ServiceError::Overloaded)),
                "{refused:?}"
            );
        }
        assert_eq!(pool.refused(), 4);
        for _ in 0..5 {
            release.send(()).unwrap();
        }
        for c in calls {
            c.await.unwrap().unwrap();
        }
        assert_eq!(pool.peak(), 2, "never more than the workers at once");
        assert_eq!(pool.busy(), 0);
        assert_eq!(pool.run(|| 7).await.unwrap(), 7, "free again");
    }

    #[tokio::test]
    async fn a_cancelled_call_keeps_its_worker_until_its_work_ends() {
        let pool = CpuPool::new(1, 0);
        let (release, gate) = mpsc::channel::<()>();
        let p = pool.clone();
        let call = tokio::spawn(async move { p.run(move || gate.recv().unwrap()).await });
        for _ in 0..200 {
            if pool.busy() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        call.abort();
        let _ = call.await;
        assert!(matches!(
            pool.run(|| ()).await,
            Err(ServiceError::Overloaded)
        ));
        release.send(()).unwrap();
        for _ in 0..200 {
            if pool.busy() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(pool.run(|| 1).await.unwrap(), 1);
    }
}
