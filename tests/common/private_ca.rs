//! A private CA and a server certificate it signed for 127.0.0.1, made with `openssl`, for
//! servers a rustls client must trust through a CA file (`ca_file`): rustls refuses a lone
//! `openssl req -x509` certificate as a server's own, since it is marked CA:TRUE
//! (`CaUsedAsEndEntity`). Standalone (no harness), so the fleet crate's own tests include it too.

use std::path::Path;
use std::process::Command;

/// Writes `ca.pem` (the CA to trust), `cert.pem` and `key.pem` (the server's) into `dir`.
pub fn make(openssl: &Path, dir: &Path) {
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let subject = |cn: &str| ["-subj".to_owned(), format!("/CN={cn}")];
    let steps: [Vec<String>; 3] = [
        [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "1",
        ]
        .map(str::to_owned)
        .into_iter()
        .chain(subject("ecluse-cred test CA"))
        .collect(),
        [
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "leaf.csr",
        ]
        .map(str::to_owned)
        .into_iter()
        .chain(subject("127.0.0.1"))
        .collect(),
        [
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
        ]
        .map(str::to_owned)
        .into_iter()
        .collect(),
    ];
    for args in steps {
        let out = Command::new(openssl)
            .current_dir(dir)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
