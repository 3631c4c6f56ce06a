//! Builds N packages in one process, for `benches/run.sh` to measure how time and peak memory
//! grow with the number of targets. The matrix has only 9 targets, so the packages come from
//! distinct configurations: the embedded default with the product renamed `… #k`, each building
//! up to the whole matrix into its own folder (`OUT/k/`), until N packages exist.
//!
//!     cargo run --release --example scale -- N OUT
//!
//! Run it from the repository root: the default configuration finds the test payload
//! (`payload/build`) relative to the current folder.

use sspr_msi::build::{self, BuildOptions, DEFAULT_TIMESTAMP};
use sspr_msi::config::{self, Settings, DEFAULT_CONFIG};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(count), Some(out)) = (args.first().and_then(|n| n.parse().ok()), args.get(1)) else {
        eprintln!("usage: scale N OUT");
        return ExitCode::from(2);
    };
    match build_packages(count, Path::new(out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("scale: {error}");
            ExitCode::FAILURE
        }
    }
}

fn build_packages(count: usize, out: &Path) -> sspr_msi::error::Result<()> {
    let default = Settings::embedded_default()?;
    let mut built = 0;
    for copy in 0.. {
        if built >= count {
            break;
        }
        let settings = renamed(&default.product.name, copy)?;
        let targets = &settings.targets[..settings.targets.len().min(count - built)];
        let folder = out.join(copy.to_string());
        let options = BuildOptions {
            out_dir: &folder,
            timestamp: DEFAULT_TIMESTAMP,
            signing: None,
            progress: None,
        };
        // The default configuration allows the unsigned test payload itself.
        let inputs = build::check_inputs(&settings, targets, false)?;
        built += build::build(&settings, inputs, options)?.len();
    }
    Ok(())
}

/// The default configuration with the product named `NAME #copy`: its own product and upgrade
/// codes, so every package is distinct.
fn renamed(name: &str, copy: usize) -> sspr_msi::error::Result<Settings> {
    let text = DEFAULT_CONFIG.replacen(
        &format!("name = \"{name}\""),
        &format!("name = \"{name} #{copy}\""),
        1,
    );
    Ok(config::parse(&text, "<scale example>")?)
}
