//! The unix socket of a vhost-user port, around DPDK's `net_vhost` probe:
//! a stale socket left by a crashed switch is removed, anything else at
//! the path is refused, and a socket the switch serves is created with
//! the configured permissions (no moment with looser ones).
use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;

use nix::sys::stat::{umask, Mode};

/// Makes `path` ready for a server socket: free, or a stale socket file
/// (nobody listening), which is removed. A live socket or a file that is
/// not a socket is an error naming the path.
pub fn clear_stale(path: &Path) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(format!(
                "cannot inspect socket path {}: {e}",
                path.display()
            ))
        }
    };
    if !meta.file_type().is_socket() {
        return Err(format!(
            "{} exists and is not a socket; refusing to replace it (remove it or choose another path)",
            path.display()
        ));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(format!(
            "{} is a socket another process is listening on (another switch or QEMU in server mode?); \
             expected a free path",
            path.display()
        )),
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path)
                .map_err(|e| format!("cannot remove stale socket {}: {e}", path.display()))?;
            tracing::warn!("removed stale vhost-user socket {}", path.display());
            Ok(())
        }
        Err(e) => Err(format!(
            "cannot tell whether socket {} is in use: {e}",
            path.display()
        )),
    }
}

/// Restricts the process umask so that files created while it lives get
/// at most `mode`; the old umask comes back on drop. Only the control
/// thread creates files, so the process-wide umask is safe to borrow.
pub struct UmaskGuard {
    old: Mode,
}

impl UmaskGuard {
    pub fn restrict_to(mode: u32) -> UmaskGuard {
        let mask = Mode::from_bits_truncate((!mode & 0o777) as nix::libc::mode_t);
        UmaskGuard { old: umask(mask) }
    }
}

impl Drop for UmaskGuard {
    fn drop(&mut self) {
        umask(self.old);
    }
}

/// Sets the socket's permissions to exactly `mode` (the umask may have
/// taken away bits the configuration grants, e.g. group write).
pub fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot set mode {mode:#o} on {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    #[test]
    fn free_path_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(clear_stale(&dir.path().join("s")), Ok(()));
    }

    #[test]
    fn stale_socket_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s");
        drop(UnixListener::bind(&p).unwrap());
        assert!(p.exists());
        assert_eq!(clear_stale(&p), Ok(()));
        assert!(!p.exists());
    }

    #[test]
    fn live_socket_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s");
        let _l = UnixListener::bind(&p).unwrap();
        let e = clear_stale(&p).unwrap_err();
        assert!(e.contains("another process is listening"), "{e}");
        assert!(p.exists());
    }

    #[test]
    fn regular_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s");
        std::fs::write(&p, b"x").unwrap();
        let e = clear_stale(&p).unwrap_err();
        assert!(e.contains("is not a socket"), "{e}");
        assert!(p.exists());
    }

    // The umask guard is covered end to end (tests/e2e_vhost.rs checks the
    // socket modes): a unit test would change the umask of the whole test
    // process while other tests create files.
}
