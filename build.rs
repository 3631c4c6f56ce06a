//! Tells the integration tests whether the external tools they check against are installed:
//! without them, those tests are compiled as ignored, so a run on a machine without Wine or
//! msitools shows them as skipped, never as passed. The lists are `scripts/test.sh`'s `tools`
//! and `python_modules`.
//! (Under `CI=true` a missing tool fails `scripts/test.sh` before any test runs.)

use std::path::Path;

fn main() {
    println!("cargo:rustc-check-cfg=cfg(sspr_missing_tools)");
    println!("cargo:rerun-if-changed=scripts/test.sh");
    println!("cargo:rerun-if-env-changed=PATH");
    // Installing a package changes these folders, and so reruns this check.
    for folder in ["/usr/bin", "/usr/local/bin"] {
        if Path::new(folder).exists() {
            println!("cargo:rerun-if-changed={folder}");
        }
    }
    let script = std::fs::read_to_string("scripts/test.sh").unwrap_or_default();
    let mut missing: Vec<&str> = listed(&script, "tools")
        .into_iter()
        .filter(|tool| !on_path(tool))
        .collect();
    missing.extend(
        listed(&script, "python_modules")
            .into_iter()
            .filter(|module| !python_imports(module)),
    );
    if !missing.is_empty() {
        println!("cargo:rustc-cfg=sspr_missing_tools");
        println!(
            "cargo:warning=tests that need {} are ignored (scripts/test.sh installs them)",
            missing.join(", ")
        );
    }
}

/// The words of the bash array `name=(…)` in `scripts/test.sh`.
fn listed<'s>(script: &'s str, name: &str) -> Vec<&'s str> {
    let opening = format!("\n{name}=(");
    let Some(start) = script.find(&opening) else {
        return Vec::new();
    };
    let rest = &script[start + opening.len()..];
    let list = &rest[..rest.find(')').unwrap_or(rest.len())];
    list.lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .collect()
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|folder| folder.join(tool).is_file()))
}

fn python_imports(module: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|output| output.status.success())
}
