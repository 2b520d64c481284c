//! The run directory: holds the pid/lock file and the management socket. An
//! exclusive `flock` on the pid file makes sure only one daemon uses it.
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

use crate::error::{Error, Result};

pub const PID_FILE: &str = "ferroswitch.pid";
pub const CTL_SOCKET: &str = "ferroswitch.ctl";

/// A locked run directory; the lock is released (and the pid file
/// removed) on drop.
pub struct RunDir {
    path: PathBuf,
    _lock: Flock<File>,
}

impl RunDir {
    pub fn lock(path: &Path) -> Result<RunDir> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(path)
            .map_err(|e| Error::RunDir {
                path: path.into(),
                message: format!("cannot create it: {e}"),
            })?;
        let pid_path = path.join(PID_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .open(&pid_path)
            .map_err(|e| Error::RunDir {
                path: path.into(),
                message: format!("cannot open {}: {e}", pid_path.display()),
            })?;
        let mut lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(l) => l,
            Err((mut file, _)) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(Error::AlreadyRunning {
                    path: path.into(),
                    pid: pid.trim().to_string(),
                });
            }
        };
        lock.set_len(0)?;
        lock.rewind()?;
        writeln!(lock, "{}", std::process::id())?;
        Ok(RunDir {
            path: path.into(),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn socket_path(&self) -> PathBuf {
        self.path.join(CTL_SOCKET)
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.socket_path());
        let _ = std::fs::remove_file(self.path.join(PID_FILE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_with_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunDir::lock(dir.path()).unwrap();
        let pid = std::fs::read_to_string(dir.path().join(PID_FILE)).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
        let err = RunDir::lock(dir.path())
            .err()
            .expect("second lock must fail");
        let msg = err.to_string();
        assert!(msg.contains("already running"), "{msg}");
        assert!(msg.contains(&std::process::id().to_string()), "{msg}");
        drop(first);
        assert!(!dir.path().join(PID_FILE).exists());
        RunDir::lock(dir.path()).expect("lock is free again after drop");
    }
}
