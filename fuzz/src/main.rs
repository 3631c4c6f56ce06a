//! Seeded mutation fuzzing of the readers of hostile input, on stable Rust: not
//! coverage-guided (no nightly toolchain for libFuzzer here), but deterministic, so a failure
//! replays from its target, `--seed` and the saved input. Run through scripts/fuzz.sh.
//!
//!     sspr-fuzz TARGET [--seconds S] [--execs N] [--seed U64] [--seeds DIR]... [--out DIR]
//!     sspr-fuzz --list
//!     sspr-fuzz TARGET --replay FILE
//!
//! Every seed runs first as it is, then mutated inputs until the time or count runs out. An
//! input that panics, runs over 1 s or holds over 256 MiB of heap is saved under `--out` and
//! makes the exit status 1; the last line is a summary for benches/FUZZ.md.

mod guard;
mod mutate;
mod targets;
mod transform_target;

use mutate::{mutate, Rng};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use targets::{Target, TARGETS};

#[global_allocator]
static ALLOCATOR: guard::Counting = guard::Counting;

/// The largest input the fuzzer makes or reads, as the goal sets it.
const MAX_INPUT: usize = 1 << 20;
/// Panicking inputs saved per run (each is counted; the rest are not written).
const SAVED_PANICS: usize = 5;

struct Options {
    target: &'static Target,
    seconds: Option<f64>,
    execs: Option<u64>,
    seed: u64,
    seed_dirs: Vec<PathBuf>,
    out: PathBuf,
    replay: Option<PathBuf>,
}

#[derive(Default)]
struct Tally {
    execs: u64,
    panics: usize,
    slowest: Duration,
    slowest_input: Vec<u8>,
    peak_heap: usize,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        TARGETS
            .iter()
            .for_each(|target| println!("{}", target.name));
        return ExitCode::SUCCESS;
    }
    let options = match parse_args(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("sspr-fuzz: {message}\nusage: sspr-fuzz TARGET [--seconds S] [--execs N] [--seed U64] [--seeds DIR]... [--out DIR] | --replay FILE | --list");
            return ExitCode::from(2);
        }
    };
    // Panics are counted and their inputs saved; the default hook's message is kept short.
    std::panic::set_hook(Box::new(|info| eprintln!("sspr-fuzz: panic: {info}")));
    guard::start(options.out.clone(), options.target.name);
    match &options.replay {
        Some(file) => replay(&options, file),
        None => fuzz(&options),
    }
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let (name, rest) = args.split_first().ok_or("no target given")?;
    let target = TARGETS
        .iter()
        .find(|target| target.name == name)
        .ok_or_else(|| format!("no target `{name}` (see --list)"))?;
    let mut options = Options {
        target,
        seconds: None,
        execs: None,
        seed: 1,
        seed_dirs: Vec::new(),
        out: PathBuf::from("target/fuzz"),
        replay: None,
    };
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || format!("{flag} takes a number, not `{value}`");
        match flag.as_str() {
            "--seconds" => options.seconds = Some(value.parse().map_err(|_| number())?),
            "--execs" => options.execs = Some(value.parse().map_err(|_| number())?),
            "--seed" => options.seed = value.parse().map_err(|_| number())?,
            "--seeds" => options.seed_dirs.push(value.into()),
            "--out" => options.out = value.into(),
            "--replay" => options.replay = Some(value.into()),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if options.seconds.is_none() && options.execs.is_none() {
        options.seconds = Some(10.0);
    }
    Ok(options)
}

fn replay(options: &Options, file: &Path) -> ExitCode {
    let input = match std::fs::read(file) {
        Ok(input) => input,
        Err(error) => {
            eprintln!("sspr-fuzz: cannot read {}: {error}", file.display());
            return ExitCode::from(2);
        }
    };
    let mut tally = Tally::default();
    run_one(options.target, &input, &mut tally);
    println!(
        "replayed {} bytes in {:?}, {} panics",
        input.len(),
        tally.slowest,
        tally.panics
    );
    exit_status(&tally)
}

fn fuzz(options: &Options) -> ExitCode {
    let target = options.target;
    let seeds = seeds(target, &options.seed_dirs);
    let dictionary: Vec<&[u8]> = target.dictionary.to_vec();
    let started = Instant::now();
    let deadline = options
        .seconds
        .map(|seconds| started + Duration::from_secs_f64(seconds));
    let mut tally = Tally::default();
    for seed in &seeds {
        run_one(target, seed, &mut tally);
    }
    let mut input = Vec::new();
    let mut iteration: u64 = 0;
    loop {
        if options.execs.is_some_and(|execs| tally.execs >= execs)
            || deadline
                .is_some_and(|deadline| iteration.is_multiple_of(64) && Instant::now() >= deadline)
        {
            break;
        }
        let mut rng = Rng::new(options.seed ^ iteration.wrapping_mul(0xA24B_AED4_963E_E407));
        input.clear();
        input.extend_from_slice(&seeds[rng.below(seeds.len())]);
        let other = &seeds[rng.below(seeds.len())];
        mutate(&mut input, other, &dictionary, &mut rng, MAX_INPUT);
        run_one(target, &input, &mut tally);
        iteration += 1;
    }
    let slowest = guard::save("slowest", 0, &tally.slowest_input);
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "target={} seeds={} execs={} seconds={:.1} execs_per_s={:.0} panics={} slowest_ms={:.1} slowest_bytes={} slowest_file={} peak_heap_mib={:.1} peak_rss_mib={}",
        target.name,
        seeds.len(),
        tally.execs,
        elapsed,
        tally.execs as f64 / elapsed.max(1e-9),
        tally.panics,
        tally.slowest.as_secs_f64() * 1e3,
        tally.slowest_input.len(),
        slowest.display(),
        tally.peak_heap as f64 / f64::from(1 << 20),
        guard::peak_rss_kib().map_or("?".into(), |kib| format!("{:.1}", kib as f64 / 1024.0)),
    );
    exit_status(&tally)
}

fn exit_status(tally: &Tally) -> ExitCode {
    if tally.panics == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("sspr-fuzz: FAILED: {} inputs panicked", tally.panics);
        ExitCode::from(1)
    }
}

fn run_one(target: &Target, input: &[u8], tally: &mut Tally) {
    let mut panicked = false;
    let (took, heap) = guard::measure(input, || {
        panicked = std::panic::catch_unwind(AssertUnwindSafe(|| (target.run)(input))).is_err();
    });
    tally.execs += 1;
    tally.peak_heap = tally.peak_heap.max(heap);
    if panicked {
        if tally.panics < SAVED_PANICS {
            let path = guard::save("panic", tally.panics, input);
            eprintln!(
                "sspr-fuzz: input ({} bytes) saved to {}",
                input.len(),
                path.display()
            );
        }
        tally.panics += 1;
    }
    if took > tally.slowest {
        tally.slowest = took;
        tally.slowest_input = input.to_vec();
    }
}

/// The crafted seeds, then every file under the seed folders (sorted, each cut to 1 MiB).
fn seeds(target: &Target, dirs: &[PathBuf]) -> Vec<Vec<u8>> {
    let mut seeds = (target.crafted)();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|entry| Some(entry.ok()?.path()))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for file in files.iter().filter(|file| file.is_file()) {
            if let Ok(mut bytes) = std::fs::read(file) {
                bytes.truncate(MAX_INPUT);
                seeds.push(bytes);
            }
        }
    }
    for seed in &mut seeds {
        seed.truncate(MAX_INPUT);
    }
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(run: fn(&[u8])) -> Target {
        Target {
            name: "test",
            run,
            dictionary: &[],
            crafted: Vec::new,
        }
    }

    #[test]
    fn a_panicking_input_is_counted_and_fails_the_run() {
        let panicking = target(|input| assert!(input.is_empty(), "hostile"));
        let mut tally = Tally::default();
        run_one(&panicking, b"", &mut tally);
        run_one(&panicking, b"x", &mut tally);
        assert_eq!((tally.execs, tally.panics), (2, 1));
        assert_eq!(exit_status(&tally), ExitCode::from(1));
    }

    #[test]
    fn the_slowest_input_and_the_heap_peak_are_kept() {
        let allocating = target(|input| {
            let held = vec![0u8; input.len() << 20];
            std::thread::sleep(Duration::from_millis(input.len() as u64 * 5));
            drop(std::hint::black_box(held));
        });
        let mut tally = Tally::default();
        for input in [&b"a"[..], b"abcd", b"ab"] {
            run_one(&allocating, input, &mut tally);
        }
        assert_eq!(tally.slowest_input, b"abcd");
        assert!(tally.peak_heap >= 4 << 20, "{}", tally.peak_heap);
        assert_eq!(exit_status(&tally), ExitCode::SUCCESS);
    }
}
