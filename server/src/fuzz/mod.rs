//! The fuzzing harness every fuzz target runs under (`docs/fuzzing.md`): a case budget, a seed
//! and a replay switch read from the environment, one proptest value per case drawn from a
//! per-case seed (so any case can be regenerated alone) on a generator thread, checked on a
//! thread with a server worker's stack under a watchdog that aborts the run when one input takes
//! too long, shrinking of a failing input, and a throughput report.
//!
//! Environment: `SLUICE_FUZZ_CASES` (inputs per target, default [`DEFAULT_CASES`]),
//! `SLUICE_FUZZ_SECS` (optional wall-time cap per target), `SLUICE_FUZZ_SEED` (default random),
//! `SLUICE_FUZZ_CASE` (replay one case of that seed and print its input),
//! `SLUICE_FUZZ_INPUT_SECS` (per-input limit, default [`DEFAULT_INPUT_SECS`]),
//! `SLUICE_FUZZ_TRACE=1` (print each input's number before running it: the last one printed is
//! the culprit when the process dies, e.g. of a stack overflow).

mod filter_eval;
mod flow_document;
pub(crate) mod generate;
mod json_body;
mod query_string;
pub(crate) mod sql;
mod template;
mod watchdog;

use std::fmt::Debug;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use watchdog::Watchdog;

/// The server's allocator (`main.rs`), so the fuzz figures count what the server would spend.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Inputs per target in an ordinary `cargo test`.
pub(crate) const DEFAULT_CASES: u64 = 256;
/// Longest one input may take before the run is declared hung.
pub(crate) const DEFAULT_INPUT_SECS: u64 = 10;
/// A failing input is shown up to this many characters.
const SHOWN_INPUT: usize = 20_000;

/// What one input reached: `true` when it got past the parser into the deepest stage of the
/// target (evaluator, SQL builder, renderer, stored plan). The harness reports the share, and
/// fails when a generator stops reaching that stage often enough to matter.
pub(crate) type Reached = bool;

/// One fuzz target's checks on one input.
pub(crate) type CaseResult = Result<Reached, TestCaseError>;

struct Settings {
    cases: u64,
    secs: Option<f64>,
    seed: u64,
    replay: Option<u64>,
    input_limit: Duration,
    trace: bool,
}

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    let raw = std::env::var(name).ok()?;
    let cleaned = raw.trim().replace('_', "");
    match cleaned.parse() {
        Ok(v) => Some(v),
        Err(_) => panic!("{name} must be a number, got {raw:?}"),
    }
}

impl Settings {
    fn from_env() -> Settings {
        Settings {
            cases: env_number("SLUICE_FUZZ_CASES").unwrap_or(DEFAULT_CASES),
            secs: env_number("SLUICE_FUZZ_SECS"),
            seed: env_number("SLUICE_FUZZ_SEED").unwrap_or_else(rand::random),
            replay: env_number("SLUICE_FUZZ_CASE"),
            input_limit: Duration::from_secs_f64(
                env_number("SLUICE_FUZZ_INPUT_SECS").unwrap_or(DEFAULT_INPUT_SECS as f64),
            ),
            trace: env_number::<u8>("SLUICE_FUZZ_TRACE").is_some_and(|t| t > 0),
        }
    }
}

/// A runner whose RNG depends only on (seed, case), so one case can be regenerated alone.
fn runner_for(config: &Config, seed: u64, case: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&case.to_le_bytes());
    bytes[16..24].copy_from_slice(b"sluicefz");
    TestRunner::new_with_rng(
        config.clone(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

fn shown(value: &impl Debug) -> String {
    let text = format!("{value:#?}");
    if text.len() <= SHOWN_INPUT {
        return text;
    }
    let cut = (0..=SHOWN_INPUT)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}… ({} characters in all)", &text[..cut], text.len())
}

/// Stack of the thread that generates inputs (and shrinks a failing one): proptest's nested
/// strategies need far more than a test thread's 2 MiB in unoptimised builds.
const GENERATOR_STACK: usize = 256 << 20;

/// Stack of the thread that checks inputs: a tokio worker's (2 MiB), so a recursion that would
/// overflow a server thread overflows here too. Unoptimised builds, whose frames are several
/// times larger, get 8 MiB.
const CHECK_STACK: usize = if cfg!(debug_assertions) {
    8 << 20
} else {
    2 << 20
};

/// What the check thread saw.
#[derive(Default)]
struct Tally {
    ran: u64,
    reached: u64,
    slowest: (Duration, u64),
    failure: Option<(u64, String)>,
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "panic".to_owned())
}

/// Runs one fuzz target (`target` is its test's path, for the replay command): inputs drawn
/// from `strategy()` on one thread are checked by `test` on another (see [`CHECK_STACK`]); an
/// input fails the target when `test` returns an error or panics. `min_reached` is the
/// smallest share of inputs that must reach the target's deepest stage (checked from 1000
/// inputs on).
pub(crate) fn run<S>(
    target: &'static str,
    strategy: impl Fn() -> S + Sync,
    min_reached: f64,
    test: impl Fn(S::Value) -> CaseResult + Sync,
) where
    S: Strategy,
    S::Value: Debug + Send,
{
    let settings = Settings::from_env();
    let seed = settings.seed;
    let config = Config {
        failure_persistence: None,
        max_shrink_time: 120_000,
        ..Config::default()
    };
    let generate = |strategy: &S, case: u64| {
        let mut runner = runner_for(&config, seed, case);
        let tree = strategy
            .new_tree(&mut runner)
            .unwrap_or_else(|e| panic!("fuzz target {target}: cannot generate case {case}: {e}"));
        (runner, tree)
    };
    let check = |value: S::Value| test(value).map(|_| ());
    let spawn = |name: &str, stack: usize| {
        std::thread::Builder::new()
            .name(format!("{name}-{target}"))
            .stack_size(stack)
    };

    if let Some(case) = settings.replay {
        let value = std::thread::scope(|scope| {
            spawn("fuzz-generate", GENERATOR_STACK)
                .spawn_scoped(scope, || {
                    let value = generate(&strategy(), case).1.current();
                    eprintln!("fuzz target {target}, seed {seed}, case {case}:\n{value:#?}");
                    value
                })
                .expect("the generator thread starts")
                .join()
                .unwrap_or_else(|p| panic!("generating case {case}: {}", panic_text(&*p)))
        });
        let outcome = std::thread::scope(|scope| {
            spawn("fuzz-check", CHECK_STACK)
                .spawn_scoped(scope, || test(value))
                .expect("the check thread starts")
                .join()
                .unwrap_or_else(|p| Err(TestCaseError::fail(panic_text(&*p))))
        });
        eprintln!("fuzz target {target}, case {case}: {outcome:?}");
        assert!(outcome.is_ok(), "case {case} failed");
        return;
    }

    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(u64, S::Value)>(64);
    let tally = std::thread::scope(|scope| {
        let generator = spawn("fuzz-generate", GENERATOR_STACK)
            .spawn_scoped(scope, || {
                let strategy = strategy();
                for case in 0..settings.cases {
                    let out_of_time = settings
                        .secs
                        .is_some_and(|s| started.elapsed().as_secs_f64() >= s);
                    if out_of_time || stop.load(Ordering::Acquire) {
                        break;
                    }
                    let value = generate(&strategy, case).1.current();
                    if tx.send((case, value)).is_err() {
                        break;
                    }
                }
                drop(tx);
            })
            .expect("the generator thread starts");
        let checker = spawn("fuzz-check", CHECK_STACK)
            .spawn_scoped(scope, || {
                let dog = Watchdog::start(target, seed, settings.input_limit);
                let mut tally = Tally::default();
                for (case, value) in rx {
                    if settings.trace {
                        // Straight to stderr, so it survives the process dying uncaptured.
                        let _ = writeln!(
                            std::io::stderr(),
                            "fuzz target {target}, seed {seed}: input {case}"
                        );
                    }
                    dog.arm(case);
                    let outcome = catch_unwind(AssertUnwindSafe(|| test(value)));
                    let took = dog.disarm();
                    tally.ran += 1;
                    if took > tally.slowest.0 {
                        tally.slowest = (took, case);
                    }
                    let why = match outcome {
                        Ok(Ok(deep)) => {
                            tally.reached += u64::from(deep);
                            continue;
                        }
                        Ok(Err(TestCaseError::Reject(_))) => continue,
                        Ok(Err(TestCaseError::Fail(why))) => why.to_string(),
                        Err(panic) => panic_text(&*panic),
                    };
                    tally.failure = Some((case, why));
                    stop.store(true, Ordering::Release);
                    break;
                }
                tally
            })
            .expect("the check thread starts");
        let tally = checker.join();
        let _ = generator.join();
        tally.unwrap_or_else(|p| panic!("fuzz target {target}: {}", panic_text(&*p)))
    });
    let secs = started.elapsed().as_secs_f64();

    if let Some((case, why)) = tally.failure {
        // Shrink on a thread with room for proptest's strategies.
        let (why, minimal) = std::thread::scope(|scope| {
            spawn("fuzz-shrink", GENERATOR_STACK)
                .spawn_scoped(scope, || {
                    let (mut runner, tree) = generate(&strategy(), case);
                    match runner.run_one(tree, check) {
                        Err(TestError::Fail(reason, minimal)) => {
                            (reason.to_string(), shown(&minimal))
                        }
                        _ => (
                            why.clone(),
                            "(did not fail again when shrinking)".to_owned(),
                        ),
                    }
                })
                .expect("the shrink thread starts")
                .join()
                .unwrap_or_else(|p| {
                    (
                        why.clone(),
                        format!("(shrinking failed: {})", panic_text(&*p)),
                    )
                })
        });
        panic!(
            "fuzz target {target} failed on input {case} (seed {seed}): {why}\n\
             minimal input: {minimal}\n\
             replay: SLUICE_FUZZ_SEED={seed} SLUICE_FUZZ_CASE={case} cargo test -p server --lib \
             -- --exact --nocapture {target}"
        );
    }

    let Tally {
        ran,
        reached,
        slowest,
        ..
    } = tally;
    let share = if ran == 0 {
        0.0
    } else {
        reached as f64 / ran as f64
    };
    eprintln!(
        "fuzz {target}: {ran} inputs in {secs:.1} s ({:.0} inputs/s), {:.0}% reached the \
         deepest stage, slowest input {:?} (#{}), seed {seed}",
        ran as f64 / secs.max(1e-9),
        share * 100.0,
        slowest.0,
        slowest.1,
    );
    if ran >= 1000 {
        assert!(
            share >= min_reached,
            "fuzz target {target}: only {:.1}% of inputs reached the deepest stage (at least \
             {:.0}% expected): the generator has stopped producing meaningful inputs",
            share * 100.0,
            min_reached * 100.0
        );
    }
}
