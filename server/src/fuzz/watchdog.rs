//! The fuzzing watchdog: a thread that aborts the whole process when the input being checked
//! runs past its time limit, since a hung parser cannot be interrupted from inside and a stuck
//! test would otherwise hang the suite. It prints how to replay the input first.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Aborts the process when an armed input runs past the limit: a hung parser cannot be
/// interrupted from inside, and a stuck test would otherwise hang the whole suite.
pub(super) struct Watchdog {
    shared: Arc<WatchState>,
    thread: Option<JoinHandle<()>>,
}

struct WatchState {
    base: Instant,
    /// Nanoseconds since `base` + 1 when the current input started; 0 when idle.
    armed_at: AtomicU64,
    case: AtomicU64,
    done: AtomicBool,
}

impl Watchdog {
    pub(super) fn start(target: &'static str, seed: u64, limit: Duration) -> Watchdog {
        let shared = Arc::new(WatchState {
            base: Instant::now(),
            armed_at: AtomicU64::new(0),
            case: AtomicU64::new(0),
            done: AtomicBool::new(false),
        });
        let watched = Arc::clone(&shared);
        let tick = (limit / 20).clamp(Duration::from_millis(10), Duration::from_millis(250));
        let thread = std::thread::Builder::new()
            .name(format!("fuzz-watchdog-{target}"))
            .spawn(move || {
                while !watched.done.load(Ordering::Acquire) {
                    std::thread::park_timeout(tick);
                    let case = watched.case.load(Ordering::Acquire);
                    let armed = watched.armed_at.load(Ordering::Acquire);
                    if armed == 0 {
                        continue;
                    }
                    let now = watched.base.elapsed().as_nanos() as u64;
                    let running = Duration::from_nanos(now.saturating_sub(armed - 1));
                    if running > limit && watched.armed_at.load(Ordering::Acquire) == armed {
                        // Straight to stderr: the test harness's capture would swallow it.
                        let _ = writeln!(
                            std::io::stderr(),
                            "fuzz target {target}: input {case} has run for {running:?} (limit \
                             {limit:?}): a hang. Print it with SLUICE_FUZZ_SEED={seed} \
                             SLUICE_FUZZ_CASE={case} SLUICE_FUZZ_INPUT_SECS=100000 cargo test -p \
                             server --lib -- --exact --nocapture {target}"
                        );
                        std::process::abort();
                    }
                }
            })
            .expect("the watchdog thread starts");
        Watchdog {
            shared,
            thread: Some(thread),
        }
    }

    pub(super) fn arm(&self, case: u64) {
        self.shared.case.store(case, Ordering::Release);
        let at = self.shared.base.elapsed().as_nanos() as u64 + 1;
        self.shared.armed_at.store(at, Ordering::Release);
    }

    /// Disarms and returns how long the input took.
    pub(super) fn disarm(&self) -> Duration {
        let armed = self.shared.armed_at.swap(0, Ordering::AcqRel);
        let now = self.shared.base.elapsed().as_nanos() as u64;
        Duration::from_nanos(now.saturating_sub(armed.saturating_sub(1)))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.done.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}
