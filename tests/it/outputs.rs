//! How outputs reach the disk: permissions from the umask, staging that never outlives the
//! build (errors, SIGTERM/SIGINT, and after `kill -9` the next build), and destinations that
//! are not regular files left alone.

use crate::support::{payload, run, sspr_msi, stderr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// sspr-msi run under `umask`, through the shell that sets it.
fn with_umask(umask: &str) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_sspr-msi"));
    command
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every entry of `dir` (hidden ones too), sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn staging_in(dir: &Path) -> Vec<String> {
    entries(dir)
        .into_iter()
        .filter(|name| name.starts_with(".sspr-msi-"))
        .collect()
}

#[test]
fn outputs_get_the_permissions_the_umask_allows() {
    let dir = tempfile::tempdir().unwrap();
    for (umask, expected) in [("022", 0o644), ("027", 0o640)] {
        let out = dir.path().join(umask);
        let release = run(with_umask(umask)
            .args(["release", "--target", "win11-x64", "--out"])
            .arg(&out));
        assert!(release.status.success(), "{}", stderr(&release));
        let config = dir.path().join(format!("{umask}.toml"));
        let init = run(with_umask(umask).arg("init").arg(&config));
        assert!(init.status.success(), "{}", stderr(&init));
        let written = [
            out.join("sspr-win11-x64-1.0.0.msi"),
            out.join("sspr-1.0.0.zip"),
            config,
        ];
        for file in &written {
            assert_eq!(
                mode(file),
                expected,
                "{} under umask {umask}",
                file.display()
            );
        }
        assert!(staging_in(&out).is_empty(), "{:?}", entries(&out));
    }
}

#[test]
fn a_destination_that_is_not_a_regular_file_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let name = "sspr-win11-x64-1.0.0.msi";
    let elsewhere = dir.path().join("elsewhere");
    std::fs::write(&elsewhere, "not a package").unwrap();
    type Make = fn(&Path, &Path);
    let cases: [(&str, Make); 3] = [
        ("a directory", |path, _| std::fs::create_dir(path).unwrap()),
        ("a symbolic link", |path, target| {
            std::os::unix::fs::symlink(target, path).unwrap()
        }),
        ("a FIFO", |path, _| {
            let made = Command::new("mkfifo").arg(path).status().unwrap();
            assert!(made.success());
        }),
    ];
    for (kind, make) in cases {
        let out = dir.path().join(kind.replace(' ', "-"));
        std::fs::create_dir(&out).unwrap();
        make(&out.join(name), &elsewhere);
        let output = run(sspr_msi()
            .args(["build", "--target", "win11-x64", "--out"])
            .arg(&out));
        assert_eq!(output.status.code(), Some(5), "{kind}: {}", stderr(&output));
        let message = stderr(&output);
        assert!(
            message.contains(&out.join(name).display().to_string())
                && message.contains(&format!("is {kind}, not a regular file")),
            "{kind}: {message}"
        );
        assert!(
            !message.contains(".sspr-msi-"),
            "names its staging: {message}"
        );
        assert_eq!(staging_in(&out), Vec::<String>::new(), "{kind}");
    }
    assert_eq!(std::fs::read(&elsewhere).unwrap(), b"not a package");
    assert!(
        std::fs::symlink_metadata(dir.path().join("a-symbolic-link").join(name))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn out_is_followed_through_a_symlinked_folder() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let output = run(sspr_msi()
        .args(["build", "--target", "win11-x64", "--out"])
        .arg(&link));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(entries(&real), ["sspr-win11-x64-1.0.0.msi"]);
}

/// A configuration whose Windows 7/8/8.1 packages embed `size` bytes of payload each (the
/// test DLL with random bytes after it, which no compression shrinks), so that writing them
/// takes long enough to be interrupted; `None` outside CI without mingw-w64.
fn config_with_big_payloads(dir: &Path, size: usize) -> Option<PathBuf> {
    let built = payload::built()?;
    let mut pins = Vec::new();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for arch in ["x64", "x86"] {
        let mut bytes = std::fs::read(payload::dll(built, arch)).unwrap();
        bytes.extend((0..size).map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        }));
        let path = dir.join(format!("big-{arch}.dll"));
        std::fs::write(&path, bytes).unwrap();
        pins.push(path);
    }
    let replacements = payload::payload_replacements(&pins[0], &pins[1], None);
    let replacements: Vec<(&str, &str)> = replacements
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    Some(crate::support::config_file(dir, &replacements))
}

const BIG_TARGETS: [&str; 6] = [
    "win7-x64",
    "win7-x86",
    "win8-x64",
    "win8-x86",
    "win81-x64",
    "win81-x86",
];

fn start_big_build(config: &Path, out: &Path) -> Child {
    let mut command = sspr_msi();
    command
        .arg("build")
        .arg("--config")
        .arg(config)
        .arg("--out")
        .arg(out);
    for target in BIG_TARGETS {
        command.args(["--target", target]);
    }
    command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the build has a package half-written in its staging folder, or has ended.
fn caught_mid_write(child: &mut Child, out: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        for staging in staging_in(out) {
            let staged = entries(&out.join(&staging));
            if staged.iter().any(|name| {
                std::fs::metadata(out.join(&staging).join(name)).is_ok_and(|m| m.len() > 0)
            }) {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

/// Every `.msi` in `out` is whole: msiinfo reads it (a cut package fails there).
fn assert_visible_packages_complete(out: &Path) {
    for name in entries(out).iter().filter(|name| name.ends_with(".msi")) {
        let read = run(Command::new("msiinfo").arg("tables").arg(out.join(name)));
        assert!(
            read.status.success(),
            "{name} is partial: {}",
            stderr(&read)
        );
    }
}

/// Starts big builds until one is interrupted by `signal` mid-write (a few tries: a build
/// may finish first on a fast machine); returns its exit status.
fn interrupt_mid_write(config: &Path, out: &Path, signal: &str) -> std::process::ExitStatus {
    for _ in 0..5 {
        let _ = std::fs::remove_dir_all(out);
        let mut child = start_big_build(config, out);
        if !caught_mid_write(&mut child, out) {
            let _ = child.kill();
            let _ = child.wait();
            continue;
        }
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        return child.wait().unwrap();
    }
    panic!("no build was caught mid-write in 5 tries");
}

/// A folder with the big-payload configuration, and the output folder to build into; `None`
/// outside CI without msiinfo or mingw-w64.
fn big_build() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    if !crate::support::require("msiinfo") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = config_with_big_payloads(dir.path(), 4 << 20)?;
    let out = dir.path().join("out");
    Some((dir, config, out))
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn sigterm_and_sigint_remove_the_staging_and_exit_143_and_130() {
    let Some((_dir, config, out)) = big_build() else {
        return;
    };
    for (signal, code) in [("-TERM", 143), ("-INT", 130)] {
        let status = interrupt_mid_write(&config, &out, signal);
        assert_eq!(status.code(), Some(code), "{signal}");
        assert_eq!(staging_in(&out), Vec::<String>::new(), "{signal}");
        assert_visible_packages_complete(&out);
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn the_build_after_a_kill_9_removes_what_the_killed_build_staged() {
    let Some((_dir, config, out)) = big_build() else {
        return;
    };
    let status = interrupt_mid_write(&config, &out, "-KILL");
    assert_eq!(status.code(), None, "killed by the signal");
    assert!(!staging_in(&out).is_empty(), "kill -9 leaves the staging");
    assert_visible_packages_complete(&out);
    // Someone else's file that looks a little like ours stays.
    std::fs::write(out.join(".sspr-msi-notes.txt"), "mine").unwrap();
    let next = run(sspr_msi()
        .args(["build", "--target", "win11-x64", "--out"])
        .arg(&out));
    assert!(next.status.success(), "{}", stderr(&next));
    assert_eq!(staging_in(&out), [".sspr-msi-notes.txt"]);
    assert_visible_packages_complete(&out);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_long_build_shows_progress_on_a_terminal_and_nothing_on_a_pipe() {
    if !crate::support::require("script") {
        return;
    }
    let Some((_dir, config, out)) = big_build() else {
        return;
    };
    let build = |out: &Path| {
        let mut words = vec![
            env!("CARGO_BIN_EXE_sspr-msi").to_string(),
            "build".into(),
            "--config".into(),
            config.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ];
        for target in BIG_TARGETS {
            words.extend(["--target".to_string(), target.to_string()]);
        }
        words
    };
    let piped = run(sspr_msi().args(&build(&out)[1..]));
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert!(
        !stderr(&piped).contains("building") && !stderr(&piped).contains('\r'),
        "{}",
        stderr(&piped)
    );
    // `script` runs it on a pseudo-terminal: the bar is drawn there, then cleared.
    let quoted: Vec<String> = build(&out.join("tty"))
        .iter()
        .map(|word| format!("'{word}'"))
        .collect();
    let terminal = run(Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .stdin(Stdio::null()));
    assert!(terminal.status.success(), "{}", stderr(&terminal));
    let screen = crate::support::stdout(&terminal);
    assert!(screen.contains("building ["), "{screen}");
    // It counts the packages as they are written.
    let total = BIG_TARGETS.len();
    assert!(
        (1..=total).any(|done| screen.contains(&format!("] {done}/{total}"))),
        "{screen}"
    );
}
