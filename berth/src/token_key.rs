//! Where the key that signs login passwords (GetAuthorizationToken) comes from: with a data
//! directory, a file in it, so passwords stay valid across restarts; without one, a new
//! random key per process.
//!
//! The file is read before the state is opened, so a damaged one stops startup before
//! anything in the directory is touched; it is created (when missing) only after the state
//! is open, that is while this process holds the directory's lock, so no other Berth
//! writes it at the same time.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use ecr_impl::auth::TokenKey;

/// The key file's name in the data directory.
pub const TOKEN_KEY_FILE: &str = "token.key";
/// Where a new key is written before it is renamed into place, so the key file is never
/// seen half-written.
const TOKEN_KEY_TEMP_FILE: &str = "token.key.tmp";
/// Only the user running Berth may read the key.
#[cfg(unix)]
const TOKEN_KEY_MODE: u32 = 0o600;

/// The key in `dir`, if there is one. A key file that is unreadable or damaged is an
/// error (left as it is): replacing it would silently invalidate every password issued.
pub fn read(dir: &Path) -> io::Result<Option<TokenKey>> {
    let path = dir.join(TOKEN_KEY_FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(io::Error::new(
                error.kind(),
                format!("cannot read the token key file {}: {error}", path.display()),
            ));
        }
    };
    let key = std::str::from_utf8(&bytes)
        .map_err(|_| "it is not text".to_owned())
        .and_then(|text| TokenKey::from_text(text).map_err(|reason| reason.to_string()));
    key.map(Some).map_err(|reason| damaged(&path, &reason))
}

/// A new key, written to `dir` durably and atomically with owner-only permissions. The
/// caller holds the directory's lock.
pub fn create(dir: &Path) -> io::Result<TokenKey> {
    let key = TokenKey::generate()
        .map_err(|error| io::Error::other(format!("cannot generate a token key: {error}")))?;
    let temp = dir.join(TOKEN_KEY_TEMP_FILE);
    let path = dir.join(TOKEN_KEY_FILE);
    let written = write_new(&temp, key.to_text().as_bytes())
        .and_then(|()| fs::rename(&temp, &path))
        .and_then(|()| File::open(dir)?.sync_all());
    if let Err(error) = written {
        // Best effort: a leftover temporary file is removed by the next start anyway.
        let _ = fs::remove_file(&temp);
        return Err(io::Error::new(
            error.kind(),
            format!(
                "cannot write the token key file {}: {error}",
                path.display()
            ),
        ));
    }
    Ok(key)
}

/// Writes `bytes` to a new file at `path` (replacing a leftover of a crashed start), with
/// owner-only permissions from the start, and syncs it.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, TOKEN_KEY_MODE);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn damaged(path: &Path, reason: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the token key file {} is damaged ({reason}); Berth left it untouched: restore it \
             from a backup, or delete it to start with a new key (passwords issued with the \
             old key are then refused)",
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A scratch directory removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(purpose: &str) -> Scratch {
            let path = std::env::temp_dir()
                .join(format!("berth-token-key-{purpose}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).unwrap();
            Scratch(path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_created_key_is_read_back_and_only_its_owner_may_read_it() {
        let dir = Scratch::new("created");
        assert_eq!(read(&dir.0).unwrap(), None);
        // A leftover of a start that crashed while writing.
        fs::write(dir.0.join(TOKEN_KEY_TEMP_FILE), "half").unwrap();
        let key = create(&dir.0).unwrap();
        assert_eq!(read(&dir.0).unwrap(), Some(key));
        assert!(!dir.0.join(TOKEN_KEY_TEMP_FILE).exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.0.join(TOKEN_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "only the owner may read the key");
        }
    }

    #[test]
    fn a_damaged_key_file_is_an_error_and_stays_as_it_was() {
        let dir = Scratch::new("damaged");
        let path = dir.0.join(TOKEN_KEY_FILE);
        for damaged in [
            &b""[..],
            b"berth-token-key-1:c2hvcnQ=\n",
            b"\xff\xfe",
            b"garbage",
        ] {
            fs::write(&path, damaged).unwrap();
            let error = read(&dir.0).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidData);
            assert!(error.to_string().contains("is damaged"), "{error}");
            assert_eq!(fs::read(&path).unwrap(), damaged);
        }
    }
}
