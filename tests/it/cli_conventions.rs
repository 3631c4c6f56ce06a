//! What a command line tool owes its shell: quiet exit on a closed pipe, exit 5 on a full
//! disk, every file reported, usage errors as usage errors, completions and a man page from
//! the parser, --quiet and --color.

use crate::support::{build_target, require, run, sspr_msi, stderr, stdout};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win11-x64", dir.path());
    // The reader is gone before sspr-msi writes: every write fails with EPIPE.
    let mut child = sspr_msi()
        .args(["verify", "--simulate"])
        .arg(&msi)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut errors = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut errors)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{errors}");
    assert_eq!(errors, "");
    // The shell's way: `| head -1` keeps the first line, and sspr-msi says nothing.
    let shell = run(Command::new("bash")
        .arg("-c")
        .arg("\"$0\" verify --simulate \"$1\" \"$1\" \"$1\" | head -1; echo \"exit ${PIPESTATUS[0]}\"")
        .arg(env!("CARGO_BIN_EXE_sspr-msi"))
        .arg(&msi));
    assert_eq!(stderr(&shell), "");
    let lines: Vec<String> = stdout(&shell).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with(&msi.display().to_string()),
        "{lines:?}"
    );
    assert!(matches!(lines[1].as_str(), "exit 0"), "{lines:?}");
}

#[test]
fn a_full_disk_on_stdout_exits_5_with_a_message() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = run(sspr_msi().arg("targets").stdout(full));
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "sspr-msi: cannot write standard output: No space left on device (os error 28)\n"
    );
}

#[test]
fn verify_reports_every_file_and_exits_with_the_worst_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let good = build_target(None, "win11-x64", dir.path());
    let other = build_target(None, "win10-x64", dir.path());
    let bad = dir.path().join("bad.msi");
    std::fs::write(&bad, "not an MSI").unwrap();
    let missing = dir.path().join("missing.msi");
    let output = run(sspr_msi()
        .arg("verify")
        .args([&good, &bad, &other, &missing]));
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let text = stdout(&output);
    for package in [&good, &other] {
        assert!(
            text.contains(&format!("{} (target", package.display())),
            "{text}"
        );
    }
    let errors = stderr(&output);
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines.len(), 2, "{errors}");
    assert!(lines[0].starts_with(&format!("sspr-msi: input error: {}:", bad.display())));
    assert!(lines[1].starts_with(&format!("sspr-msi: input error: {}:", missing.display())));
    // The JSON lists the unreadable files beside the packages.
    let json = run(sspr_msi().args(["verify", "--json"]).args([&good, &bad]));
    assert_eq!(json.status.code(), Some(4));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["packages"].as_array().unwrap().len(), 1);
    assert_eq!(report["unreadable"][0]["file"], bad.display().to_string());
    // Readable packages alone: their own outcome (0 here).
    let fine = run(sspr_msi().arg("verify").args([&good, &other]));
    assert_eq!(fine.status.code(), Some(0), "{}", stderr(&fine));
}

#[test]
fn pin_prints_the_line_that_pins_a_file() {
    if !require("sha256sum") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("SsprProxyCA.dll");
    std::fs::write(&file, b"any bytes at all").unwrap();
    let output = run(sspr_msi().arg("pin").arg(&file));
    assert!(output.status.success(), "{}", stderr(&output));
    let independent = stdout(&run(Command::new("sha256sum").arg(&file)));
    let digest = independent.split_whitespace().next().unwrap();
    assert_eq!(stdout(&output), format!("sha256 = \"{digest}\"\n"));
    let missing = run(sspr_msi().arg("pin").arg(dir.path().join("nope.dll")));
    assert_eq!(missing.status.code(), Some(4));
}

#[test]
fn a_missing_proxy_pin_is_reported_for_every_architecture_with_how_to_fill_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        sspr_msi::config::DEFAULT_CONFIG.replacen("mode = \"none\"", "mode = \"machine\"", 1);
    for arch in ["x64", "x86"] {
        text = text
            .replacen(
                &format!("# [proxy.custom_action.{arch}]"),
                &format!("[proxy.custom_action.{arch}]"),
                1,
            )
            .replacen(
                &format!("# path = \"payload/build/{arch}/SsprProxyCA.dll\""),
                &format!("path = \"payload/build/{arch}/SsprProxyCA.dll\""),
                1,
            );
    }
    let text = text.replace("# sha256 = \"…\"", "sha256 = \"…\"");
    let config = dir.path().join("proxy.toml");
    std::fs::write(&config, text).unwrap();
    let output = run(sspr_msi()
        .args(["build", "--out"])
        .arg(dir.path().join("out"))
        .arg("--config")
        .arg(&config));
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let errors = stderr(&output);
    for arch in ["x64", "x86"] {
        assert!(
            errors.contains(&format!("key `proxy.custom_action.{arch}.sha256`"))
                && errors.contains(&format!(
                    "sspr-msi pin payload/build/{arch}/SsprProxyCA.dll"
                )),
            "{errors}"
        );
    }
    // Configuration errors only: no payload warning before (or after) them.
    assert!(
        errors
            .lines()
            .all(|line| line.starts_with("sspr-msi: config error: ")),
        "{errors}"
    );
}

#[test]
fn init_writes_to_stdout_for_a_dash_and_never_creates_folders() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(sspr_msi().args(["init", "-"]).current_dir(dir.path()));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), sspr_msi::config::DEFAULT_CONFIG);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    let nested = dir.path().join("missing/dir/x.toml");
    let output = run(sspr_msi().arg("init").arg(&nested));
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("missing/dir does not exist"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("missing").exists());
}

#[test]
fn messages_name_the_real_problem() {
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win11-x64", dir.path());
    // A package cut short still begins with the compound-file signature.
    let cut = dir.path().join("cut.msi");
    std::fs::write(&cut, &std::fs::read(&msi).unwrap()[..5]).unwrap();
    let output = run(sspr_msi().arg("verify").arg(&cut));
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("truncated: 5 bytes"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("without the compound-file signature"));
    // An unknown [table] is a table, not a field of the table above it.
    let config = dir.path().join("prxy.toml");
    std::fs::write(
        &config,
        sspr_msi::config::DEFAULT_CONFIG.replacen("\n[proxy]\n", "\n[prxy]\n", 1),
    )
    .unwrap();
    let output = run(sspr_msi().arg("build").arg("--config").arg(&config));
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(
        message.contains("key `prxy`: CFG002: unknown table `prxy`"),
        "{message}"
    );
    // A payload error names its path once.
    let config = dir.path().join("payload.toml");
    std::fs::write(
        &config,
        sspr_msi::config::DEFAULT_CONFIG.replacen(
            "payload/build/x64/SsprTestCredProv.dll",
            "nowhere/x64.dll",
            1,
        ),
    )
    .unwrap();
    let output = run(sspr_msi()
        .args(["build", "--target", "win7-x64", "--out"])
        .arg(dir.path().join("out"))
        .arg("--config")
        .arg(&config));
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(
        stderr(&output).matches("nowhere/x64.dll").count(),
        1,
        "{}",
        stderr(&output)
    );
    // Options that do not fit together are a usage error.
    let output = run(sspr_msi().arg("sign").arg(&msi).args(["--cert", "any.pem"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    // `release` always bundles: it has no --bundle option.
    let help = stdout(&run(sspr_msi().args(["release", "--help"])));
    assert!(!help.contains("--bundle"), "{help}");
    assert!(stdout(&run(sspr_msi().args(["build", "--help"]))).contains("--bundle"));
}

#[test]
fn completions_are_generated_from_the_parser() {
    if !require("bash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = run(sspr_msi().args(["completions", shell]));
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        for word in ["verify", "doctor", "trust-anchor"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
        std::fs::write(dir.path().join(shell), script).unwrap();
    }
    let bash = dir.path().join("bash");
    let parsed = run(Command::new("bash").arg("-n").arg(&bash));
    assert!(parsed.status.success(), "{}", stderr(&parsed));
    // Sourced, it registers the completion, and completes the subcommands.
    let completed = run(Command::new("bash")
        .arg("-c")
        .arg(
            "source \"$0\"; complete -p sspr-msi >/dev/null || exit 9; \
             COMP_WORDS=(sspr-msi ver); COMP_CWORD=1; COMP_LINE='sspr-msi ver'; COMP_POINT=12; \
             _sspr__msi sspr-msi ver sspr-msi; printf '%s\\n' \"${COMPREPLY[@]}\"",
        )
        .arg(&bash));
    assert!(completed.status.success(), "{}", stderr(&completed));
    assert_eq!(stdout(&completed).trim(), "verify");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn the_man_page_renders_without_warnings() {
    if !require("groff") {
        return;
    }
    let page = run(sspr_msi().arg("man"));
    assert!(page.status.success(), "{}", stderr(&page));
    let page_text = stdout(&page);
    for section in [
        "\n.SH NAME",
        "\n.SH \"VERIFY\"",
        "\n.SH \"COMPLETIONS\"",
        "\\-\\-trust\\-anchor",
    ] {
        assert!(page_text.contains(section), "man page lacks {section}");
    }
    // -k: the page is UTF-8 (…, ×); -ww: every warning; -z: no output, only the check.
    let mut groff = Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    groff.stdin.take().unwrap().write_all(&page.stdout).unwrap();
    let rendered = groff.wait_with_output().unwrap();
    assert!(rendered.status.success());
    assert_eq!(stderr(&rendered), "", "groff warned");
}

#[test]
fn quiet_leaves_out_summaries_and_warnings_but_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(sspr_msi()
        .args(["build", "--quiet", "--target", "win11-x64", "--out"])
        .arg(dir.path()));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert!(dir.path().join("sspr-win11-x64-1.0.0.msi").exists());
    let json = run(sspr_msi()
        .args(["-q", "build", "--json", "--target", "win11-x64", "--out"])
        .arg(dir.path()));
    assert!(serde_json::from_slice::<serde_json::Value>(&json.stdout).is_ok());
    let error = run(sspr_msi()
        .args(["-q", "verify"])
        .arg(dir.path().join("none.msi")));
    assert_eq!(error.status.code(), Some(4));
    assert!(stderr(&error).contains("input error"), "{}", stderr(&error));
}

#[test]
fn color_follows_the_option_and_no_color() {
    let colored = |args: &[&str], no_color: bool| {
        let mut command = sspr_msi();
        command.args(args).args(["verify", "/nonexistent/x.msi"]);
        if no_color {
            command.env("NO_COLOR", "1");
        } else {
            command.env_remove("NO_COLOR");
        }
        stderr(&run(&mut command)).contains('\x1b')
    };
    assert!(colored(&["--color", "always"], false));
    assert!(
        colored(&["--color", "always"], true),
        "an explicit choice wins over NO_COLOR"
    );
    assert!(!colored(&["--color", "never"], false));
    // auto: stderr is a pipe here.
    assert!(!colored(&[], false));
    assert!(!colored(&["--color", "auto"], true));
    // The parser's own usage errors follow the option too.
    let usage = |choice: &str| {
        let output = run(sspr_msi().args(["--color", choice, "build", "--no-such-flag"]));
        assert_eq!(output.status.code(), Some(2));
        stderr(&output).contains('\x1b')
    };
    assert!(usage("always"));
    assert!(!usage("never"));
}
