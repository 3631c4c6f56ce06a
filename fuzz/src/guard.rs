//! The caps every execution runs under, with the input that broke one saved to a file before
//! the process stops: a heap budget enforced by a counting allocator (peak live bytes per
//! input), and a watchdog thread for the time limit. The whole process's address space is
//! capped apart from this by `ulimit -v` in scripts/fuzz.sh.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Live heap bytes one input may reach: the goal of peak memory under 256 MiB.
pub const HEAP_LIMIT: usize = 256 << 20;
/// Wall time one input may take.
pub const TIME_LIMIT: Duration = Duration::from_secs(1);

pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Set while an input runs: the budget applies only then.
static RUNNING: AtomicBool = AtomicBool::new(false);
/// Set while a failing input is being saved, so saving may allocate past the budget.
static SAVING: AtomicBool = AtomicBool::new(false);
/// Microseconds since `EPOCH` at which the current input started (0: none running).
static STARTED: AtomicU64 = AtomicU64::new(0);
static EPOCH: OnceLock<Instant> = OnceLock::new();
/// The input now running and where a failing one goes, for the allocator and the watchdog.
static CURRENT: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static FAILURE_FILE: OnceLock<(PathBuf, String)> = OnceLock::new();

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        if live > HEAP_LIMIT
            && RUNNING.load(Ordering::Relaxed)
            && !SAVING.swap(true, Ordering::Relaxed)
        {
            fail_now(
                "over-memory",
                &format!("{live} live heap bytes, over {HEAP_LIMIT}"),
            );
        }
        PEAK.fetch_max(live, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
}

/// Where failing inputs go (`DIR/KIND-TARGET.bin`), and starts the watchdog.
pub fn start(out: PathBuf, target: &str) {
    EPOCH.get_or_init(Instant::now);
    FAILURE_FILE.get_or_init(|| (out, target.to_string()));
    std::thread::spawn(|| loop {
        std::thread::sleep(Duration::from_millis(50));
        let started = STARTED.load(Ordering::Relaxed);
        if started != 0 && now_micros().saturating_sub(started) > TIME_LIMIT.as_micros() as u64 {
            fail_now("slow", &format!("an input ran over {TIME_LIMIT:?}"));
        }
    });
}

/// Runs `run` on `input` under the caps; returns the time it took and its peak heap bytes.
pub fn measure(input: &[u8], run: impl FnOnce()) -> (Duration, usize) {
    {
        let mut current = CURRENT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        current.clear();
        current.extend_from_slice(input);
    }
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let before = LIVE.load(Ordering::Relaxed);
    let started = Instant::now();
    STARTED.store(now_micros().max(1), Ordering::Relaxed);
    RUNNING.store(true, Ordering::Relaxed);
    run();
    RUNNING.store(false, Ordering::Relaxed);
    STARTED.store(0, Ordering::Relaxed);
    (
        started.elapsed(),
        PEAK.load(Ordering::Relaxed).saturating_sub(before),
    )
}

/// Saves `input` as `DIR/KIND-TARGET.bin` (or `…-N.bin` for the Nth of a kind) and returns the path.
pub fn save(kind: &str, index: usize, input: &[u8]) -> PathBuf {
    let Some((dir, target)) = FAILURE_FILE.get() else {
        return PathBuf::new();
    };
    let name = match index {
        0 => format!("{kind}-{target}.bin"),
        n => format!("{kind}-{target}-{n}.bin"),
    };
    let path = dir.join(name);
    if let Err(error) = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, input)) {
        eprintln!("sspr-fuzz: cannot save {}: {error}", path.display());
    }
    path
}

/// Saves the running input and stops the process: past a cap, nothing it does next can be trusted.
fn fail_now(kind: &str, why: &str) -> ! {
    // Saving allocates: past the budget now, it must not trip the budget again.
    SAVING.store(true, Ordering::Relaxed);
    let input = match CURRENT.try_lock() {
        Ok(input) => input.clone(),
        Err(_) => Vec::new(),
    };
    let path = save(kind, 0, &input);
    eprintln!(
        "sspr-fuzz: FAILED: {why}; input ({} bytes) saved to {}",
        input.len(),
        path.display()
    );
    std::process::exit(1)
}

fn now_micros() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// The process's peak resident set (VmHWM), in KiB, where /proc tells it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
