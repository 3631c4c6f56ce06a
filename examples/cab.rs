//! Builds a cabinet with sspr-msi's own cabinet writer, for `benches/run.sh` to time against
//! `gcab -c -z` on the same files (the CLI has no command for a bare cabinet, and needs none).
//!
//!     cargo run --release --example cab -- OUT.cab FILE...
//!
//! Files are stored under their own names, with the default build timestamp.

use msikit::source::FileSource;
use sspr_msi::build::DEFAULT_TIMESTAMP;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((out, inputs)) = args.split_first().filter(|(_, inputs)| !inputs.is_empty()) else {
        eprintln!("usage: cab OUT.cab FILE...");
        return ExitCode::from(2);
    };
    match build(Path::new(out), inputs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cab: {error}");
            ExitCode::FAILURE
        }
    }
}

fn build(out: &Path, inputs: &[String]) -> std::io::Result<()> {
    let contents = inputs
        .iter()
        .map(|input| Ok(FileSource::Memory(Arc::new(std::fs::read(input)?))))
        .collect::<std::io::Result<Vec<_>>>()?;
    let names: Vec<String> = inputs
        .iter()
        .map(|input| {
            let name = Path::new(input).file_name().unwrap_or_default();
            name.to_string_lossy().into_owned()
        })
        .collect();
    let files: Vec<(&str, &FileSource)> = names.iter().map(String::as_str).zip(&contents).collect();
    let cabinet = msikit::cab::build(&files, DEFAULT_TIMESTAMP).map_err(std::io::Error::other)?;
    std::fs::write(out, cabinet)
}
