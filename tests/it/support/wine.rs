//! Fresh Wine prefixes, one per test, copied from templates made once per Windows version.
//!
//! A new prefix costs ~15 s; a copy of a prepared one ~1.5 s. Templates live under the
//! target directory and are rebuilt when the Wine version changes.

use super::refusal::{assert_refused_as_simulated, AddedValue};
use super::{require, run};
use msikit::simulate::profile::ProfileValue;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Windows {
    Win7,
    Win8,
    Win81,
    Win10,
    /// Windows 10 with `CurrentBuildNumber` 22631: Wine has no `win11` setting.
    Win11,
}

impl Windows {
    fn name(self) -> &'static str {
        match self {
            Windows::Win7 => "win7",
            Windows::Win8 => "win8",
            Windows::Win81 => "win81",
            Windows::Win10 => "win10",
            Windows::Win11 => "win11",
        }
    }
}

pub const WINDOWS11_BUILD: &str = "22631";

/// One test's own Wine prefix; its wineserver is stopped and its files removed on drop.
pub struct WinePrefix {
    _dir: tempfile::TempDir,
    path: PathBuf,
    windows: Windows,
    /// What `reg_add` wrote, for the simulated profile of this prefix.
    added: std::cell::RefCell<Vec<AddedValue>>,
}

/// What `msiexec` did.
#[derive(Debug)]
pub struct MsiexecRun {
    /// The Windows exit code modulo 256 (Wine's process exit status).
    pub status: i32,
    pub log: String,
}

impl MsiexecRun {
    /// The last `Action start` in the log: where a failed install stopped.
    pub fn last_action_started(&self) -> Option<&str> {
        self.log.lines().rev().find_map(|line| {
            let rest = line.strip_prefix("Action start ")?;
            let (_, action) = rest.split_once(": ")?;
            let action = action.trim_end_matches('.');
            (action != "INSTALL").then_some(action)
        })
    }

    /// Whether the exit status is `windows_code` as Wine reports it (modulo 256).
    pub fn exited_with(&self, windows_code: i32) -> bool {
        self.status == windows_code % 256
    }
}

static TEMPLATE_LOCK: Mutex<()> = Mutex::new(());

/// Bumped whenever template preparation changes, so stale templates are not reused.
const TEMPLATE_REVISION: u32 = 3;

/// Keys every real Windows has (siblings of what the packages write).
const REAL_WINDOWS_KEYS: &[&str] = &[
    r"HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates",
    r"HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\MsiInstaller",
];

impl WinePrefix {
    /// A fresh prefix reporting `windows`, or `None` (outside CI) when Wine is missing.
    pub fn new(windows: Windows) -> Option<WinePrefix> {
        if !require("wine") || !require("wineserver") {
            return None;
        }
        let template = template(windows);
        let dir = tempfile::Builder::new()
            .prefix("wineprefix-")
            .tempdir_in(work_dir())
            .unwrap();
        let path = dir.path().join("prefix");
        copy_tree(&template, &path);
        Some(WinePrefix {
            _dir: dir,
            path,
            windows,
            added: Default::default(),
        })
    }

    /// Runs `wine ARGS…`.
    pub fn wine(&self, args: &[&str]) -> Output {
        run_in_prefix(&self.path, "wine", args)
    }

    /// `msiexec ARGS… /qn /l*v LOG`, returning the exit status and the verbose log.
    pub fn msiexec<S: AsRef<str>>(&self, args: &[S]) -> MsiexecRun {
        let log_path = self.path.join("msiexec.log");
        let _ = std::fs::remove_file(&log_path);
        let mut all: Vec<String> = vec!["msiexec".into()];
        all.extend(args.iter().map(|a| a.as_ref().to_string()));
        all.extend(["/qn".into(), "/l*v".into(), windows_path(&log_path)]);
        // Under heavy load Wine itself now and then fails to start a program (exit 1, no
        // log: msiexec never ran). That says nothing about the package, so try once more;
        // a run that wrote a log is always taken as it is.
        for attempt in 1..=2 {
            let output = run_in_prefix(&self.path, "wine", &all);
            let status = output.status.code().unwrap_or(-1);
            if log_path.exists() || attempt == 2 {
                let log = read_log(&log_path);
                let log = if log.is_empty() {
                    String::from_utf8_lossy(&output.stderr).into_owned()
                } else {
                    log
                };
                return MsiexecRun { status, log };
            }
            eprintln!(
                "wine did not start msiexec (exit {status}): {}",
                String::from_utf8_lossy(&output.stderr)
            );
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
        unreachable!("the second attempt always returns")
    }

    pub fn install(&self, msi: &Path, properties: &[&str]) -> MsiexecRun {
        let mut args = vec!["/i".to_string(), windows_path(msi)];
        args.extend(properties.iter().map(|p| p.to_string()));
        self.msiexec(&args)
    }

    pub fn uninstall(&self, msi: &Path) -> MsiexecRun {
        self.msiexec(&["/x", &windows_path(msi)])
    }

    /// `reg query KEY /v NAME /reg:64` → (type, data), e.g. ("REG_DWORD", "0x1").
    pub fn reg_value(&self, key: &str, name: &str, view64: bool) -> Option<(String, String)> {
        let view = if view64 { "/reg:64" } else { "/reg:32" };
        let output = self.reg_query(&["query", key, "/v", name, view]);
        if !output.status.success() {
            return None;
        }
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .find_map(|line| {
                let fields: Vec<&str> = line.trim().splitn(3, "    ").collect();
                (fields.len() >= 2 && fields[0].eq_ignore_ascii_case(name)).then(|| {
                    (
                        fields[1].to_string(),
                        fields.get(2).unwrap_or(&"").to_string(),
                    )
                })
            })
    }

    pub fn key_exists(&self, key: &str, view64: bool) -> bool {
        let view = if view64 { "/reg:64" } else { "/reg:32" };
        self.reg_query(&["query", key, view]).status.success()
    }

    /// `wine reg ARGS`, asked again (twice at most) when it fails without saying that the
    /// key or value is not there: under load Wine sometimes fails to start `reg` at all,
    /// which is no answer.
    fn reg_query(&self, args: &[&str]) -> Output {
        let query = || {
            let mut full = vec!["reg"];
            full.extend_from_slice(args);
            self.wine(&full)
        };
        ask_again_unless(query, |output| {
            output.status.success()
                || String::from_utf8_lossy(&output.stderr).contains("Unable to find")
        })
    }

    pub fn reg_add(&self, key: &str, name: &str, kind: &str, data: &str) {
        let output = self.wine(&[
            "reg", "add", key, "/v", name, "/t", kind, "/d", data, "/f", "/reg:64",
        ]);
        assert!(output.status.success(), "reg add {key} {name}: {output:?}");
        let value = match kind {
            "REG_DWORD" => {
                let number = data
                    .strip_prefix("0x")
                    .map_or(data.parse(), |hex| u32::from_str_radix(hex, 16));
                ProfileValue::Dword(number.unwrap_or_else(|_| panic!("not a DWORD: {data}")))
            }
            "REG_SZ" => ProfileValue::String(data.to_string()),
            _ => panic!("the simulated profile models REG_DWORD and REG_SZ, not {kind}"),
        };
        self.added.borrow_mut().push(AddedValue {
            key: key.to_string(),
            name: name.to_string(),
            value,
        });
    }

    /// Every key and value of the machine and user hives, flushed to disk first.
    pub fn snapshot(&self) -> PrefixSnapshot {
        wait_for_wineserver(&self.path);
        let mut keys = BTreeMap::new();
        for hive in ["system.reg", "user.reg"] {
            let text = std::fs::read_to_string(self.path.join(hive)).unwrap();
            parse_hive(hive, &text, &mut keys);
        }
        let files = self.file_snapshot();
        PrefixSnapshot { keys, files }
    }
}

/// Runs `attempt` until `answered` says Wine really ran it, three times at most: under load
/// Wine sometimes fails to start a program at all.
fn ask_again_unless(attempt: impl Fn() -> Output, answered: impl Fn(&Output) -> bool) -> Output {
    let mut output = attempt();
    for _ in 0..2 {
        if answered(&output) {
            break;
        }
        eprintln!(
            "wine failed (exit {:?}); asking again",
            output.status.code()
        );
        output = attempt();
    }
    output
}

/// Windows Installer's "fatal error": what a refused launch condition exits with.
pub const FATAL_ERROR: i32 = 1603;
pub const UNINSTALL_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";

impl WinePrefix {
    /// Asserts msiexec refused the package in LaunchConditions, changing nothing, on exactly
    /// the launch conditions the simulator refuses with on this prefix's `wine-…` profile,
    /// one of them the one whose message contains `message_part`.
    pub fn assert_refused(&self, msi: &Path, message_part: &str) {
        self.assert_refused_with(msi, &[], message_part);
    }

    pub fn assert_refused_with(
        &self,
        msi: &Path,
        properties: &[&str],
        message_part: &str,
    ) -> MsiexecRun {
        let before = self.snapshot();
        let run = self.install(msi, properties);
        assert!(
            run.exited_with(FATAL_ERROR),
            "expected 1603, got {}:\n{}",
            run.status,
            run.log
        );
        // Wine 8 logs the failed action as "Return value 0"; what shows the refusal is that
        // LaunchConditions was the last action to start.
        assert_eq!(
            run.last_action_started(),
            Some("LaunchConditions"),
            "{}",
            run.log
        );
        assert_eq!(self.snapshot().changes_since(&before), Vec::<String>::new());
        assert_refused_as_simulated(
            msi,
            &run.log,
            &format!("wine-{}", self.windows.name()),
            &self.added.borrow(),
            properties,
            message_part,
        );
        run
    }

    /// DisplayVersion of every installed product whose DisplayName contains `name`.
    pub fn installed_versions(&self, name: &str) -> Vec<String> {
        // The Uninstall key always exists: `reg_query` asks again when `reg` did not start.
        let output = self.reg_query(&["query", UNINSTALL_KEY, "/s", "/reg:64"]);
        let text = String::from_utf8_lossy(&output.stdout);
        text.split("\nHKEY_")
            .filter(|block| block.contains(name))
            .map(|block| {
                let version = block
                    .lines()
                    .find_map(|line| line.trim().strip_prefix("DisplayVersion    REG_SZ    "));
                version.unwrap_or("?").to_string()
            })
            .collect()
    }

    /// The Unix path of `C:\…` inside this prefix.
    pub fn drive_c(&self, windows_path: &str) -> PathBuf {
        let relative = windows_path.trim_start_matches("C:\\").replace('\\', "/");
        self.path.join("drive_c").join(relative)
    }

    /// Every file and folder on C: outside `C:\windows` and `C:\users` (Wine's own, and the
    /// installer's bookkeeping), as lower-cased Windows paths, folders with a trailing `\`.
    fn file_snapshot(&self) -> BTreeSet<String> {
        let mut paths = BTreeSet::new();
        let root = self.path.join("drive_c");
        let mut pending = vec![(root, String::from("c:\\"))];
        while let Some((dir, windows)) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
                let name = entry.file_name().to_string_lossy().to_lowercase();
                if windows == "c:\\" && (name == "windows" || name == "users") {
                    continue;
                }
                let path = format!("{windows}{name}");
                if entry.file_type().unwrap().is_dir() {
                    let folder = format!("{path}\\");
                    paths.insert(folder.clone());
                    pending.push((entry.path(), folder));
                } else {
                    paths.insert(path);
                }
            }
        }
        paths
    }
}

impl Drop for WinePrefix {
    fn drop(&mut self) {
        kill_prefix(&self.path);
    }
}

/// The registry as Wine stores it (key → sorted value lines) and the files on C:.
#[derive(Debug, PartialEq, Eq)]
pub struct PrefixSnapshot {
    keys: BTreeMap<String, Vec<String>>,
    /// [`WinePrefix::file_snapshot`].
    pub files: BTreeSet<String>,
}

/// Values Wine itself rewrites on every start; not the package's doing. `DriverDate` (the
/// display adapter's, as text) changes on the first start of a new day after the template
/// prefix was made.
const VOLATILE_VALUES: &[&str] = &["\"DriverDateData\"=", "\"DriverDate\"="];

/// Keys Wine's own programs create empty: Windows Installer's bookkeeping folders (made the
/// first time msiexec installs anything) and Wine's debugger settings (Wine made this one,
/// empty, once under heavy load in this suite). An empty one is theirs, not residue.
const INSTALLER_CONTAINERS: &[&str] = &[
    r"system.reg:Software\\Classes\\Installer\\",
    r"system.reg:Software\\Microsoft\\Windows\\CurrentVersion\\Installer\\",
    r"user.reg:Software\\Wine\\WineDbg",
];

impl PrefixSnapshot {
    /// Keys and values present in `self` but not in `before`, and those gone since.
    pub fn changes_since(&self, before: &PrefixSnapshot) -> Vec<String> {
        let mut changes = Vec::new();
        for (key, values) in &self.keys {
            let installer_container =
                values.is_empty() && INSTALLER_CONTAINERS.iter().any(|p| key.starts_with(p));
            match before.keys.get(key) {
                None if installer_container => {}
                None => changes.push(format!("+ [{key}] {values:?}")),
                Some(old) if old != values => {
                    changes.push(format!("~ [{key}] {old:?} -> {values:?}"))
                }
                _ => {}
            }
        }
        for key in before
            .keys
            .keys()
            .filter(|key| !self.keys.contains_key(*key))
        {
            changes.push(format!("- [{key}]"));
        }
        changes
    }
}

impl PrefixSnapshot {
    /// Values present now that were not (or differed) in `before`, as (key, value line) in
    /// Wine's hive syntax, e.g. (`system.reg:software\\fabrikam`, `"Enabled"=dword:00000001`);
    /// key names lower-cased and unescaped, since the registry ignores their case.
    pub fn values_added_since(&self, before: &PrefixSnapshot) -> BTreeSet<(String, String)> {
        let mut added = BTreeSet::new();
        for (key, values) in &self.keys {
            let old = before.keys.get(key);
            for value in values {
                if old.is_none_or(|old| !old.contains(value)) {
                    added.insert((normal_key(key), value.clone()));
                }
            }
        }
        added
    }

    /// Every value, as (key, value line) the way [`values_added_since`] spells them.
    ///
    /// [`values_added_since`]: Self::values_added_since
    pub fn values(&self) -> BTreeSet<(String, String)> {
        let mut values = BTreeSet::new();
        for (key, lines) in &self.keys {
            for line in lines {
                values.insert((normal_key(key), line.clone()));
            }
        }
        values
    }

    /// Keys present now that were not in `before`, lower-cased and unescaped.
    pub fn keys_added_since(&self, before: &PrefixSnapshot) -> BTreeSet<String> {
        self.keys
            .keys()
            .filter(|key| !before.keys.contains_key(*key))
            .map(|key| normal_key(key))
            .collect()
    }
}

fn normal_key(key: &str) -> String {
    key.replace(r"\\", r"\").to_ascii_lowercase()
}

fn parse_hive(hive: &str, text: &str, keys: &mut BTreeMap<String, Vec<String>>) {
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('[') {
            let name = line
                .rsplit_once("] ")
                .map_or(line, |(name, _)| name)
                .trim_start_matches('[')
                .trim_end_matches(']');
            let key = format!("{hive}:{name}");
            keys.entry(key.clone()).or_default();
            current = Some(key);
        } else if let Some(key) = &current {
            let volatile = VOLATILE_VALUES
                .iter()
                .any(|prefix| line.starts_with(prefix));
            if !line.is_empty() && !line.starts_with('#') && !volatile {
                keys.get_mut(key).unwrap().push(line.to_string());
            }
        }
    }
    for values in keys.values_mut() {
        values.sort();
    }
}

/// `Z:\…` for a Unix path: Wine maps Z: to /.
pub fn windows_path(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("Z:{}", absolute.display()).replace('/', "\\")
}

fn read_log(path: &Path) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return String::new();
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn work_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// How long one Wine program may run. The slowest honest run (a fresh prefix on a loaded
/// machine) takes about a minute; a Wine process that hangs would otherwise hang CI.
const WINE_TIME_LIMIT_SECONDS: u32 = 300;

/// `program ARGS…` in `prefix`, bounded by `WINE_TIME_LIMIT_SECONDS`. A run that hangs is
/// Wine's hang, not the package's: its processes are killed and it is run once more; a
/// second hang fails the test with what hung.
fn run_in_prefix<S: AsRef<std::ffi::OsStr>>(prefix: &Path, program: &str, args: &[S]) -> Output {
    let attempt = || run(prefix_command(program, prefix).args(args));
    let output = attempt();
    if !timed_out(&output) {
        return output;
    }
    kill_prefix(prefix);
    eprintln!("{program} hung for {WINE_TIME_LIMIT_SECONDS} s in {prefix:?}; running it again");
    let output = attempt();
    if timed_out(&output) {
        kill_prefix(prefix);
        panic!("{program} hung twice for {WINE_TIME_LIMIT_SECONDS} s in {prefix:?}");
    }
    output
}

/// Waits until every Wine process of `prefix` has ended and the registry is on disk; a
/// process that never ends (a hung custom action server) is killed, which also saves it.
fn wait_for_wineserver(prefix: &Path) {
    if timed_out(&run(prefix_command("wineserver", prefix).arg("-w"))) {
        eprintln!("wineserver -w waited {WINE_TIME_LIMIT_SECONDS} s in {prefix:?}; killing");
        kill_prefix(prefix);
        run(prefix_command("wineserver", prefix).arg("-w"));
    }
}

fn kill_prefix(prefix: &Path) {
    let _ = prefix_command("wineserver", prefix).arg("-k").output();
}

/// `timeout` exits 124 when it stopped the program, 137 when it had to kill it.
fn timed_out(output: &Output) -> bool {
    matches!(output.status.code(), Some(124 | 137))
}

fn prefix_command(program: &str, prefix: &Path) -> Command {
    let mut command = Command::new("timeout");
    command
        .args([
            "--kill-after=10",
            &WINE_TIME_LIMIT_SECONDS.to_string(),
            program,
        ])
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        // No Mono or Gecko installer prompts: there is no network and no display.
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .env_remove("DISPLAY");
    command
}

fn copy_tree(from: &Path, to: &Path) {
    let output = run(Command::new("cp").arg("-a").arg(from).arg(to));
    assert!(output.status.success(), "cp -a {from:?} {to:?}: {output:?}");
}

fn wine_version() -> String {
    let output = run(Command::new("wine").arg("--version"));
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .replace(['/', ' '], "_")
}

/// The prepared prefix for `windows`, made on first use.
fn template(windows: Windows) -> PathBuf {
    let _guard = TEMPLATE_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    template_locked(windows)
}

fn template_locked(windows: Windows) -> PathBuf {
    let path = work_dir().join(format!(
        "wine-template-{TEMPLATE_REVISION}-{}-{}",
        wine_version(),
        windows.name()
    ));
    if path.join(".ready").exists() {
        return path;
    }
    let staging = work_dir().join(format!(
        "{}.staging",
        path.file_name().unwrap().to_string_lossy()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    match windows {
        Windows::Win7 => {
            // A fresh Wine 8 prefix reports Windows 7.
            let output = run_in_prefix(&staging, "wineboot", &["--init"]);
            assert!(output.status.success(), "wineboot --init: {output:?}");
            // Real Windows has other policies and event sources beside ours; a bare prefix has
            // empty parents, which msiexec deletes at uninstall once our key under them goes.
            for key in REAL_WINDOWS_KEYS {
                let output = run_in_prefix(&staging, "wine", &["reg", "add", key, "/f", "/reg:64"]);
                assert!(output.status.success(), "seeding {key}: {output:?}");
            }
        }
        Windows::Win11 => {
            copy_tree(&template_locked(Windows::Win10), &staging);
            for name in ["CurrentBuildNumber", "CurrentBuild"] {
                let output = run_in_prefix(
                    &staging,
                    "wine",
                    &[
                        "reg",
                        "add",
                        r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion",
                        "/v",
                        name,
                        "/d",
                        WINDOWS11_BUILD,
                        "/f",
                        "/reg:64",
                    ],
                );
                assert!(output.status.success(), "reg add {name}: {output:?}");
            }
        }
        other => {
            copy_tree(&template_locked(Windows::Win7), &staging);
            // Under load Wine sometimes fails to start winecfg at all ("Application could not
            // be started"): Wine's hiccup, not the prefix's.
            let output = ask_again_unless(
                || run_in_prefix(&staging, "winecfg", &["-v", other.name()]),
                |output| {
                    output.status.success()
                        || !String::from_utf8_lossy(&output.stdout).contains("could not be started")
                },
            );
            assert!(
                output.status.success(),
                "winecfg -v {}: {output:?}",
                other.name()
            );
        }
    }
    wait_for_wineserver(&staging);
    std::fs::write(staging.join(".ready"), "").unwrap();
    let _ = std::fs::remove_dir_all(&path);
    std::fs::rename(&staging, &path).unwrap();
    path
}
