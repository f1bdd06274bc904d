//! CI job-step formats (`token --format` for shells, GitHub Actions' env file and masking).

mod common;

use std::fs;

use common::*;

#[test]
fn ci_formats_export_for_shells_and_github_actions() {
    let sb = Sandbox::new("");
    let out = sb.token(&["--format", "env", "--env", "NPM_TOKEN"]);
    let token = sb.cached_token();
    assert_eq!(stdout(&out), format!("export NPM_TOKEN='{token}'\n"));
    let shell = sb
        .program(std::path::Path::new("sh"))
        .arg("-c")
        .arg(format!("{}\nprintf %s \"$NPM_TOKEN\"", stdout(&out)))
        .output();
    assert_eq!(stdout(&shell), token);

    let github_env = sb.dir.path().join("github_env");
    sb.allow_token_in(&github_env);
    fs::write(&github_env, "EARLIER=1\n").unwrap();
    let out = sb
        .cmd(&["token", "--target", "demo", "--format", "github"])
        .env("GITHUB_ENV", &github_env)
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "nothing secret on stdout");
    assert_eq!(stderr(&out), format!("::add-mask::{token}\n"));
    let text = fs::read_to_string(&github_env).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "EARLIER=1");
    let delimiter = lines[1].strip_prefix("ECLUSE_CRED_TOKEN<<").unwrap();
    assert!(delimiter.len() >= 16 && !token.contains(delimiter));
    assert_eq!(&lines[2..], [token.as_str(), delimiter]);

    let out = sb
        .cmd(&["token", "--target", "demo", "--format", "github"])
        .env_remove("GITHUB_ENV")
        .output();
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("GITHUB_ENV") && !stderr(&out).contains(&token));
    assert_eq!(
        sb.token(&["--format", "env", "--env", "1BAD"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn github_env_created_by_ecluse_cred_is_private() {
    let sb = Sandbox::new("");
    let github_env = sb.dir.path().join("new_github_env");
    sb.allow_token_in(&github_env);
    let out = sb
        .cmd(&["token", "--target", "demo", "--format", "github"])
        .env("GITHUB_ENV", &github_env)
        .output();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&github_env), 0o600);
}
