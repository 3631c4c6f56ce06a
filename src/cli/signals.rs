//! SIGINT, SIGTERM and SIGHUP end the process as a shell expects (exit 128 + the signal:
//! 130, 143, 129), after removing what the build has staged, so no temporary file is left in
//! the output folder. (`kill -9` cannot be caught: the next build removes that staging.)

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use sspr_msi::error::exit_code;

/// Starts the thread that waits for the signals.
pub fn exit_cleanly_on_signals() {
    // Without the handler (it cannot be installed), the signals keep their default: the
    // process ends, and the next build removes what it staged.
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            sspr_msi::package::remove_active_staging();
            std::process::exit(match signal {
                SIGHUP => exit_code::HANGUP,
                SIGINT => exit_code::INTERRUPTED,
                _ => exit_code::TERMINATED,
            });
        }
    });
}
