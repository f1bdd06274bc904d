//! `setup terraform` with the real `terraform`, where it is installed: `terraform init` of a
//! module from a loopback HTTPS registry sends the token (as Bearer) on the service discovery
//! request, through the `terraform-credentials-ecluse` helper in the plugin directory; after
//! `--undo` it sends none. Skips, saying why, where `terraform` is not installed.

mod common;

use std::fs;

use common::registry::{assert_refused_unauthenticated, describe};
use common::tls::TlsServer;
use common::tools::{self, Tool};
use common::*;

#[test]
fn setup_terraform_makes_terraform_send_the_token_and_undo_stops_it() {
    let Some(terraform) = tools::need(Tool::Terraform) else {
        return;
    };
    let sb = Sandbox::new("");
    let Some(server) = TlsServer::start(&sb, "terraform") else {
        return;
    };
    let url = format!("{}/", server.url());
    sb.write_config(&format!("urls = [\"{url}\"]"));
    let tfrc = sb.dir.path().join("terraformrc");
    let setup = |extra: &[&str]| {
        let mut args = vec!["setup", "terraform", "--url", &url];
        args.extend_from_slice(extra);
        sb.cmd(&args).env("TF_CLI_CONFIG_FILE", &tfrc).output()
    };
    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let helper = sb
        .dir
        .path()
        .join(".terraform.d/plugins/terraform-credentials-ecluse");
    assert!(
        fs::read_link(&helper).is_ok(),
        "the helper is in the plugin directory"
    );
    assert_eq!(fs::read_to_string(&tfrc).unwrap(), SETUP_BLOCK);

    let project = sb.dir.path().join("project");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("main.tf"),
        format!(
            "module \"m\" {{\n  source  = \"127.0.0.1:{}/ns/name/prov\"\n  version = \"1.0.0\"\n}}\n",
            server.port
        ),
    )
    .unwrap();
    let init = || {
        sb.program(&terraform)
            .args(["init", "-input=false", "-no-color"])
            .current_dir(&project)
            .env("TF_CLI_CONFIG_FILE", &tfrc)
            .env("SSL_CERT_FILE", server.cert_path())
            .env("SSL_CERT_DIR", &server.cert_dir)
            .env("CHECKPOINT_DISABLE", "1")
            .output()
    };
    // The module does not exist there; what matters is what discovery sent.
    init();
    let bearer = format!("Bearer {}", sb.cached_token());
    let seen = server.exchanges();
    assert!(
        seen.iter()
            .any(|(r, status)| r.path() == "/.well-known/terraform.json"
                && r.header("authorization") == Some(bearer.as_str())
                && *status == 200),
        "discovery carried the token:\n{}",
        describe(&seen)
    );
    assert!(
        seen.iter()
            .any(|(r, _)| r.path().starts_with("/v1/modules/")),
        "discovery succeeded"
    );

    let out = setup(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!tfrc.exists() && fs::symlink_metadata(&helper).is_err());
    let before = server.exchanges().len();
    init();
    assert_refused_unauthenticated(&server.exchanges()[before..]);
}

/// A CLI config whose own blocks hold `{` and `}` in strings and comments, before and after
/// setup's block.
const USERS_BLOCKS: &str = "# the mirror { for \"registry.example.com\"\nhost \"example.com\" {\n  services = {\n    \"modules.v1\" = \"https://example.com/{mod}/\" # }\n  }\n}\n";
const LATER_BLOCKS: &str =
    "/* } } */\nprovider_installation {\n  direct { exclude = [\"a/}\"] } // {\n}\n";
/// What `setup terraform` adds to the CLI config: its block between two marker lines.
const SETUP_BLOCK: &str = "# ecluse-cred setup: credentials_helper\ncredentials_helper \"ecluse\" {\n  args = []\n}\n# ecluse-cred setup: end credentials_helper\n";

#[test]
fn setup_terraform_undo_gives_back_the_file_whatever_braces_strings_and_comments_hold() {
    let sb = Sandbox::new("urls = [\"https://tf.example.com/\"]");
    let tfrc = sb.dir.path().join("terraformrc");
    let setup = |extra: &[&str]| {
        let mut args = vec!["setup", "terraform", "--target", "demo"];
        args.extend_from_slice(extra);
        sb.cmd(&args).env("TF_CLI_CONFIG_FILE", &tfrc).output()
    };
    fs::write(&tfrc, USERS_BLOCKS).unwrap();
    let out = setup(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&tfrc).unwrap(),
        format!("{USERS_BLOCKS}{SETUP_BLOCK}")
    );
    let out = setup(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&tfrc).unwrap(), USERS_BLOCKS);

    // A `{` in a string of setup's block, and the user's blocks after it, stay out of the
    // count: only setup's block goes.
    assert!(setup(&[]).status.success());
    let written = fs::read_to_string(&tfrc).unwrap();
    assert_eq!(written, format!("{USERS_BLOCKS}{SETUP_BLOCK}"));
    let edited = written.replace("args = []", "args = [\"--from={\"]");
    assert_ne!(edited, written, "the user's edit of setup's block");
    fs::write(&tfrc, format!("{edited}{LATER_BLOCKS}")).unwrap();
    let out = setup(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&tfrc).unwrap(),
        format!("{USERS_BLOCKS}{LATER_BLOCKS}")
    );
}

#[test]
fn setup_terraform_undo_takes_out_an_older_setups_block_without_an_end_marker() {
    let sb = Sandbox::new("urls = [\"https://tf.example.com/\"]");
    let tfrc = sb.dir.path().join("terraformrc");
    // As an older setup wrote it (an opening marker only), with a `{` in a string since.
    fs::write(
        &tfrc,
        format!(
            "{USERS_BLOCKS}# ecluse-cred setup: credentials_helper\ncredentials_helper \"ecluse\" {{\n  args = [\"--from={{\"]\n}}\n{LATER_BLOCKS}"
        ),
    )
    .unwrap();
    let out = sb
        .cmd(&["setup", "terraform", "--target", "demo", "--undo"])
        .env("TF_CLI_CONFIG_FILE", &tfrc)
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&tfrc).unwrap(),
        format!("{USERS_BLOCKS}{LATER_BLOCKS}")
    );
}

#[test]
fn terraform_helper_answers_get_and_refuses_store_and_forget() {
    let (sb, shims) = shim_sandbox(&[
        "https://registry.example.com/",
        "https://tf.example.com:8443/",
        "http://plain.example.com/",
    ]);
    let tf =
        |args: &[&str], stdin: &str| shim(&sb, &shims, "terraform-credentials-ecluse", args, stdin);
    let out = tf(&["get", "registry.example.com"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("{{\"token\":\"{}\"}}\n", sb.cached_token())
    );
    // Configured args come first; VERB and HOST are the last two.
    let out = tf(&["--profile", "x", "get", "tf.example.com:8443"], "");
    assert!(stdout(&out).contains("\"token\""), "{}", stdout(&out));
    for host in ["other.example.com", "plain.example.com", "tf.example.com"] {
        let out = tf(&["get", host], "");
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(0), "{}\n"),
            "{host}"
        );
    }
    for (args, stdin) in [
        (&["store", "registry.example.com"][..], "{\"token\":\"x\"}"),
        (&["forget", "registry.example.com"][..], ""),
        (&["frobnicate", "registry.example.com"][..], ""),
        // Not a host name: a malformed request, not "no credentials".
        (&["get", "https://registry.example.com"][..], ""),
        (&["get", "registry.example.com/x"][..], ""),
        (&["get", ""][..], ""),
        (&[][..], ""),
    ] {
        let out = tf(args, stdin);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(
            stdout(&out).is_empty() && !stderr(&out).is_empty(),
            "{args:?}"
        );
    }
    assert_eq!(sb.mints(), 1);
}
