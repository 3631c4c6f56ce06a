//! Shared helpers for the integration tests: running sspr-msi, requiring external tools,
//! and (in `wine`) fresh Wine prefixes.

pub mod payload;
pub mod pki;
pub mod random_package;
pub mod refusal;
pub mod softhsm;
pub mod tsa;
pub mod wine;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The sspr-msi binary under test.
pub fn sspr_msi() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sspr-msi"))
}

/// Whether the tests run in CI, where a missing tool is a failure, never a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true" || value == "1")
}

/// True when `tool` is on PATH; a missing tool fails the test. Tests that need tools are
/// compiled as ignored where any is missing (`build.rs`), so they show as skipped there; one
/// that reaches this without the tool lacks its `cfg_attr(sspr_missing_tools, ignore)`.
pub fn require(tool: &str) -> bool {
    required(
        succeeds(Command::new("sh").args(["-c", &format!("command -v {tool}")])),
        tool,
    )
}

/// True when Python 3 can import `module` (e.g. `cryptography`, `jsonschema`); like
/// [`require`], a failure when it cannot.
pub fn require_python_module(module: &str) -> bool {
    require("python3")
        && required(
            succeeds(Command::new("python3").args(["-c", &format!("import {module}")])),
            &format!("Python module {module}"),
        )
}

fn succeeds(command: &mut Command) -> bool {
    command.output().is_ok_and(|output| output.status.success())
}

/// `found`, after failing in CI or saying SKIPPED elsewhere when it is false.
fn required(found: bool, what: &str) -> bool {
    if !found && in_ci() {
        panic!("{what} is required in CI (CI=true) but is not installed; run scripts/test.sh as root to install it");
    }
    if !found && cfg!(sspr_missing_tools) {
        panic!("{what} is not installed, and this test is not marked to be skipped without it: add #[cfg_attr(sspr_missing_tools, ignore = \"needs the tools scripts/test.sh installs\")]");
    }
    assert!(found, "{what} is not installed, but was when the tests were built: rebuild them (cargo test) to skip what needs it");
    found
}

/// Runs a command and returns its output, failing the test if it cannot start.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The embedded default configuration with `replacements` applied, written to `dir`.
pub fn config_file(dir: &Path, replacements: &[(&str, &str)]) -> PathBuf {
    let mut text = sspr_msi::config::DEFAULT_CONFIG.to_string();
    for (from, to) in replacements {
        assert!(text.contains(from), "default config has no `{from}`");
        text = text.replacen(from, to, 1);
    }
    let path = dir.join("sspr-msi.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The default configuration with `registry` (`[[registry]]` tables) added, written to `dir`.
pub fn config_with_registry(dir: &Path, registry: &str) -> PathBuf {
    let marker = "# Extra registry values";
    config_file(dir, &[(marker, &format!("{registry}\n{marker}"))])
}

/// Builds one target into `out` and returns the package's path.
pub fn build_target(config: Option<&Path>, target: &str, out: &Path) -> PathBuf {
    let mut command = sspr_msi();
    command
        .arg("build")
        .arg("--out")
        .arg(out)
        .args(["--target", target])
        .arg("--json");
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let output = run(&mut command);
    assert!(output.status.success(), "build failed: {}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    PathBuf::from(report["packages"][0]["file"].as_str().unwrap())
}

/// `msiinfo export` of one table, as rows of tab-separated fields (header lines dropped).
pub fn msiinfo_rows(msi: &Path, table: &str) -> Vec<Vec<String>> {
    let output = run(Command::new("msiinfo").arg("export").arg(msi).arg(table));
    assert!(
        output.status.success(),
        "msiinfo export {table}: {}",
        stderr(&output)
    );
    stdout(&output)
        .lines()
        .skip(3)
        .map(|line| {
            line.trim_end_matches('\r')
                .split('\t')
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// A `.wxs` fixture of `tests/fixtures/wxs/` built by wixl into `dir`, or `None` (outside CI)
/// when wixl is missing.
pub fn wixl_package(fixture: &str, dir: &Path) -> Option<PathBuf> {
    if !require("wixl") {
        return None;
    }
    let wxs = format!("{fixture}.wxs");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wxs");
    std::fs::copy(source.join(&wxs), dir.join(&wxs)).unwrap();
    let out = dir.join(format!("{fixture}.msi"));
    wixl_build(dir, Path::new(&wxs), "x64", &[], &out);
    Some(out)
}

/// Runs wixl on `wxs` for `arch` (`x64`, `x86`) with `options` (`-D NAME=VALUE`…) into `out`,
/// in `dir`: wixl finds Source files relative to the folder it runs in, so the caller puts
/// them there. A failure fails the test with wixl's message.
pub fn wixl_build(dir: &Path, wxs: &Path, arch: &str, options: &[&str], out: &Path) {
    let output = run(Command::new("wixl")
        .current_dir(dir)
        .args(["-a", arch])
        .args(options)
        .arg("-o")
        .arg(out)
        .arg(wxs));
    assert!(
        output.status.success(),
        "wixl {}: {}",
        wxs.display(),
        stderr(&output)
    );
}

/// Adds `condition` to one Component row of a built package (wixl cannot write it).
pub fn with_component_condition(msi: &Path, component: &str, condition: &str) {
    let mut package = msi::open_rw(msi).unwrap();
    package
        .update_rows(
            msi::Update::table("Component")
                .set("Condition", msi::Value::from(condition))
                .with(msi::Expr::col("Component").eq(msi::Expr::string(component))),
        )
        .unwrap();
    package.flush().unwrap();
}
