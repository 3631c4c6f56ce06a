//! Where outputs are written before they get their names: a staging folder
//! `.sspr-msi-staging-<pid>-<random>` inside the output folder, whose files are renamed into
//! place one by one. The folder is removed when the build ends, however it ends: dropped on an
//! error, emptied by the signal handler on SIGINT/SIGTERM ([`remove_active`]), and, after a
//! `kill -9`, removed by the next build that writes into the same folder ([`remove_stale`]).

use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The names of our staging folders start with this; nothing else is ever removed.
const PREFIX: &str = ".sspr-msi-staging-";

/// The staging folders of this process that still exist, for the signal handler.
static ACTIVE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// A staging folder, removed with everything left in it when the last holder drops it.
#[derive(Debug)]
pub struct StagingFolder {
    dir: PathBuf,
}

impl StagingFolder {
    /// Creates `out` when missing, removes the staging left there by killed builds, and
    /// creates this build's staging folder in it.
    pub fn create(out: &Path) -> Result<Arc<StagingFolder>> {
        std::fs::create_dir_all(out).map_err(|e| Error::output(out, e))?;
        remove_stale(out);
        // Registered before it exists, so a signal between the two cannot leave it behind.
        let mut active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .rand_bytes(8)
            .tempdir_in(out)
            .map_err(|e| Error::output(out, e))?
            .keep();
        active.insert(dir.clone());
        Ok(Arc::new(StagingFolder { dir }))
    }

    /// Where the file that will be renamed to `destination` is staged.
    pub(super) fn place_for(&self, destination: &Path) -> PathBuf {
        let name = destination.file_name().unwrap_or(destination.as_os_str());
        self.dir.join(name)
    }
}

impl Drop for StagingFolder {
    fn drop(&mut self) {
        let mut active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
        remove_folder(&self.dir);
        active.remove(&self.dir);
    }
}

/// Removes every staging folder this process has open; the signal handler calls it before
/// exiting. It keeps the registry locked, so no new folder appears after it.
pub fn remove_active() {
    let active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
    for dir in active.iter() {
        remove_folder(dir);
    }
    std::mem::forget(active);
}

/// Another thread may still be writing into the folder: a file it creates in between makes
/// the last `rmdir` fail, so try again a few times (a file cannot be created once the folder
/// is gone).
fn remove_folder(dir: &Path) {
    for _ in 0..5 {
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => continue,
            _ => return,
        }
    }
}

/// Removes, in `out`, the staging folders of builds that are no longer running (their pid is
/// gone), and the `.sspr-msi-*.partial` files earlier versions staged beside the packages.
/// Only entries that are what we create (a folder, a regular file; never a symlink) and
/// carry our names are touched.
pub fn remove_stale(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && staging_owner(&name).is_some_and(|pid| !is_running(pid)) {
            remove_folder(&entry.path());
        } else if kind.is_file() && name.starts_with(".sspr-msi-") && name.ends_with(".partial") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The pid in a staging folder's name, or `None` when the name is not ours.
fn staging_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?;
    let (pid, random) = rest.split_once('-')?;
    (random.len() == 8 && random.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Whether process `pid` exists. Where there is no `/proc` to ask, every other build counts
/// as running, so its staging is left alone (a leftover is removed by hand there).
fn is_running(pid: u32) -> bool {
    pid == std::process::id()
        || !Path::new("/proc/self").exists()
        || Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_dropped_staging_folder_is_removed_with_its_files() {
        let out = tempfile::tempdir().unwrap();
        let staging = StagingFolder::create(out.path()).unwrap();
        std::fs::write(staging.place_for(Path::new("a.msi")), b"x").unwrap();
        assert_eq!(names(out.path()).len(), 1);
        drop(staging);
        assert!(names(out.path()).is_empty());
    }

    #[test]
    fn stale_staging_of_a_finished_process_goes_and_nothing_else_does() {
        let out = tempfile::tempdir().unwrap();
        // pid 0 is never a user process: a build that was killed.
        let stale = out.path().join(format!("{PREFIX}0-abcdEF12"));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("sspr-win11-x64-1.0.0.msi"), b"half").unwrap();
        std::fs::write(out.path().join(".sspr-msi-XyZ123.partial"), b"old").unwrap();
        let kept = [
            format!("{PREFIX}notapid"),
            format!("{PREFIX}0-short"),
            "mine.msi".to_string(),
        ];
        for name in &kept[..2] {
            std::fs::create_dir(out.path().join(name)).unwrap();
        }
        std::fs::write(out.path().join(&kept[2]), b"keep").unwrap();
        let live = out
            .path()
            .join(format!("{PREFIX}{}-abcdEF12", std::process::id()));
        std::fs::create_dir(&live).unwrap();
        remove_stale(out.path());
        let mut expected: Vec<String> = kept.to_vec();
        expected.push(live.file_name().unwrap().to_string_lossy().into_owned());
        expected.sort();
        assert_eq!(names(out.path()), expected);
    }
}
