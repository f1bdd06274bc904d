//! Reading a file that must not hang or flood the reader, shared by the serving binary (client
//! configs `setup` edits) and the cloud mints (credential files): only a regular file (a FIFO
//! would block, a device such as `/dev/zero` never ends), opened without blocking so that even a
//! FIFO swapped in at the last moment does not wait for a writer, checked through its
//! descriptor, and read up to a bound. Errors say why, never any content.

use std::fmt;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Opening or reading failed (`NotFound` included).
    Io(std::io::Error),
    /// A FIFO, a device, a directory or a socket in place of the file.
    NotRegular,
    /// Longer than the bound, in bytes.
    TooLarge(u64),
    /// Not UTF-8 text.
    NotUtf8,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => e.fmt(f),
            ReadError::NotRegular => {
                f.write_str("not a regular file (a pipe or a device is not read)")
            }
            ReadError::TooLarge(max) => write!(f, "larger than {max} bytes"),
            ReadError::NotUtf8 => f.write_str("not UTF-8 text"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl ReadError {
    /// Whether the file is simply not there.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

/// The text of the regular file at `path`, at most `max_bytes` long.
pub fn read_regular(path: &Path, max_bytes: u64) -> Result<String, ReadError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(ReadError::NotRegular);
    }
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge(max_bytes));
    }
    String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_small_regular_utf8_file_is_read() {
        let dir = std::env::temp_dir().join(format!("ecluse-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f");
        std::fs::write(&file, "hello").unwrap();
        assert_eq!(read_regular(&file, 5).unwrap(), "hello");
        assert!(matches!(
            read_regular(&file, 4),
            Err(ReadError::TooLarge(4))
        ));
        std::fs::write(&file, [0xff, 0xfe]).unwrap();
        assert!(matches!(read_regular(&file, 5), Err(ReadError::NotUtf8)));
        assert!(matches!(read_regular(&dir, 5), Err(ReadError::NotRegular)));
        assert!(matches!(
            read_regular(Path::new("/dev/zero"), 5),
            Err(ReadError::NotRegular)
        ));
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo(3) with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(read_regular(&fifo, 5), Err(ReadError::NotRegular)));
        assert!(
            read_regular(&dir.join("none"), 5)
                .unwrap_err()
                .is_not_found()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
