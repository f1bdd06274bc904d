//! Real Maven (`mvn`, Debian's 3.8) builds and deploys a one-class project against a loopback
//! Maven repository that answers only HTTP Basic `aws:<the cached token>`, with nothing but
//! what `setup maven` wrote: a server (the token as `${env.…}`), its repository or a mirror in
//! `~/.m2/settings.xml`, and the `~/.mavenrc` that `bin/mvn` sources to export the token.
//!
//! The repository serves Debian's `/usr/share/maven-repo` (Maven's lifecycle plugins and the
//! dependency) and keeps what is uploaded to it, so no network is needed. Each `mvn` run gets a
//! fresh local repository: Maven caches a failed download in it.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use common::http::{FakeServer, Request, Response};
use common::registry::{self, Credential, assert_refused_unauthenticated, describe};
use common::tools::{self, MAVEN_REPO, Tool};
use common::*;

/// The user name the fake takes the token with (the target's `username`).
const USER: &str = "aws";
/// `setup maven`'s default server id for target `demo`.
const ID: &str = "ecluse-demo";
/// The variable the `.mavenrc` exports and the server's password names.
const TOKEN_VAR: &str = "ECLUSE_MAVEN_TOKEN_ECLUSE_DEMO";
/// Where the fake serves the repository.
const REPO_PATH: &str = "/maven/repo/";

/// What was uploaded, by path under [`REPO_PATH`].
type Uploads = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

/// A Maven repository at [`REPO_PATH`]: GET and HEAD of what was uploaded or what Debian's
/// repository holds (through its symlinks into `/usr/share/java`), 404 for anything else;
/// PUT keeps the body and answers 201. Every request without `Basic aws:<the cached token>`
/// gets 401 and a Basic challenge: wagon sends credentials for a download only after one.
fn repository(sb: &Sandbox) -> (FakeServer, Uploads) {
    let cache = sb.cache_file();
    let uploads = Uploads::default();
    let kept = uploads.clone();
    let server = registry::start(
        Credential::Basic(USER),
        move || cache::token(&cache),
        move |r: &Request, _base: &str| serve(r, &kept),
    );
    (server, uploads)
}

fn serve(r: &Request, uploads: &Mutex<BTreeMap<String, Vec<u8>>>) -> Response {
    let not_found = || Response::json(404, serde_json::json!({}));
    let Some(path) = r.path().strip_prefix(REPO_PATH) else {
        return not_found();
    };
    if path
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return not_found();
    }
    match r.method.as_str() {
        "PUT" => {
            uploads
                .lock()
                .unwrap()
                .insert(path.to_owned(), r.body.clone());
            Response::json(201, serde_json::json!({}))
        }
        "GET" | "HEAD" => {
            let uploaded = uploads.lock().unwrap().get(path).cloned();
            let Some(body) = uploaded.or_else(|| fs::read(Path::new(MAVEN_REPO).join(path)).ok())
            else {
                return not_found();
            };
            let body = if r.method == "HEAD" { Vec::new() } else { body };
            Response::bytes("application/octet-stream", body)
        }
        _ => Response::json(405, serde_json::json!({})),
    }
}

/// The project: one class that uses commons-lang3 (in the repository only: each run starts
/// from an empty local repository), deployed to the repository under the server id.
fn project(dir: &Path, repo_url: &str) -> PathBuf {
    let project = dir.join("project");
    let src = project.join("src/main/java/demo");
    fs::create_dir_all(&src).unwrap();
    fs::write(
        project.join("pom.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>demo</groupId>
  <artifactId>hello</artifactId>
  <version>1.0</version>
  <properties>
    <maven.compiler.source>11</maven.compiler.source>
    <maven.compiler.target>11</maven.compiler.target>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.commons</groupId>
      <artifactId>commons-lang3</artifactId>
      <version>3.12.0</version>
    </dependency>
  </dependencies>
  <distributionManagement>
    <repository>
      <id>{ID}</id>
      <url>{repo_url}</url>
    </repository>
  </distributionManagement>
</project>
"#
        ),
    )
    .unwrap();
    fs::write(
        src.join("Hello.java"),
        "package demo;\n\npublic class Hello {\n    public static String greet() {\n        return org.apache.commons.lang3.StringUtils.capitalize(\"installed through ecluse-cred\");\n    }\n}\n",
    )
    .unwrap();
    project
}

struct Setup {
    sb: Sandbox,
    server: FakeServer,
    uploads: Uploads,
    mvn: PathBuf,
    project: PathBuf,
    /// The repository's URL, as the target's `urls` and `--url` give it.
    url: String,
    /// How many `mvn` runs so far: each gets its own local repository.
    runs: Mutex<usize>,
}

/// The sandbox (target `demo` serving the repository as user `aws`), the repository and the
/// project, or `None` without Maven (the test is reported skipped).
fn setup() -> Option<Setup> {
    let mvn = tools::need(Tool::Maven)?;
    let sb = Sandbox::new("");
    let (server, uploads) = repository(&sb);
    let url = format!("{}{REPO_PATH}", server.url());
    sb.write_config(&format!("username = \"{USER}\"\nurls = [\"{url}\"]"));
    let project = project(sb.dir.path(), &url);
    Some(Setup {
        sb,
        server,
        uploads,
        mvn,
        project,
        url,
        runs: Mutex::new(0),
    })
}

impl Setup {
    fn home(&self) -> &Path {
        self.sb.dir.path()
    }

    fn settings(&self) -> PathBuf {
        self.home().join(".m2/settings.xml")
    }

    fn mavenrc(&self) -> PathBuf {
        self.home().join(".mavenrc")
    }

    /// Java's `user.home` (where Maven looks for `.m2`) is the passwd entry's home, not
    /// `$HOME`: both setup and mvn are told the sandbox's.
    fn user_home(&self) -> String {
        format!("-Duser.home={}", self.home().display())
    }

    /// `ecluse-cred setup maven --url URL ARGS`.
    fn setup_maven(&self, args: &[&str]) -> Output {
        self.sb
            .cmd(&["setup", "maven", "--url", &self.url])
            .args(args)
            .env("JAVA_TOOL_OPTIONS", self.user_home())
            .output()
    }

    /// A plain `mvn -B -q GOAL` in the project: the repository, the credentials and the token
    /// come from the user's `~/.m2/settings.xml` and `~/.mavenrc` only. A fresh local
    /// repository for each run.
    fn mvn(&self, goal: &str) -> Output {
        let run = {
            let mut runs = self.runs.lock().unwrap();
            *runs += 1;
            *runs
        };
        let local = self.home().join(format!("m2-local-{run}"));
        self.sb
            .program(&self.mvn)
            .args(["-B", "-q"])
            .arg(format!("-Dmaven.repo.local={}", local.display()))
            .arg(goal)
            .current_dir(&self.project)
            .env("JAVA_TOOL_OPTIONS", self.user_home())
            .env_remove("MAVEN_SKIP_RC")
            .env_remove("MAVEN_OPTS")
            .env_remove("MAVEN_ARGS")
            .env_remove("MAVEN_CONFIG")
            .env_remove(TOKEN_VAR)
            .env_remove(MIRROR_TOKEN_VAR)
            .output()
    }

    /// The build failed because the repository refused it for want of the token.
    fn assert_refused(&self, out: &Output, since: usize) {
        assert!(
            !out.status.success(),
            "mvn succeeded without the token:\n{}",
            stdout(out)
        );
        assert!(!self.project.join("target/hello-1.0.jar").exists());
        assert_refused_unauthenticated(&self.server.exchanges()[since..]);
    }

    /// The build succeeded, resolving the compiler plugin and the dependency from the
    /// repository (which answers 200 only with the token).
    fn assert_built(&self, out: &Output, since: usize) {
        assert!(out.status.success(), "{}\n{}", stdout(out), stderr(out));
        assert!(self.project.join("target/hello-1.0.jar").is_file());
        let exchanges = &self.server.exchanges()[since..];
        // The compiler plugin's jar (whatever version Debian relocates Maven's default to) and
        // the dependency's jar.
        for (dir, what) in [
            (
                "org/apache/maven/plugins/maven-compiler-plugin/",
                "the compiler plugin",
            ),
            ("org/apache/commons/commons-lang3/", "commons-lang3"),
        ] {
            let dir = format!("{REPO_PATH}{dir}");
            assert!(
                exchanges.iter().any(|(r, status)| r.method == "GET"
                    && r.target.starts_with(&dir)
                    && r.target.ends_with(".jar")
                    && *status == 200),
                "no GET of {what}'s jar answered 200 (with the token):\n{}",
                describe(exchanges)
            );
        }
    }

    /// No file under HOME (settings, `.mavenrc`, the local repositories, the build's output)
    /// holds a token the sandbox minted.
    fn assert_no_token_in_home(&self) {
        let issued = fs::read_to_string(self.sb.issued_log()).unwrap_or_default();
        let tokens: Vec<&str> = issued.lines().filter(|t| !t.is_empty()).collect();
        assert!(!tokens.is_empty(), "a token was minted");
        let mut stack = vec![self.home().to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path == self.sb.cache || path == self.sb.bin {
                    continue;
                }
                let meta = fs::symlink_metadata(&path).unwrap();
                if meta.is_dir() {
                    stack.push(path);
                } else if meta.is_file() {
                    let bytes = fs::read(&path).unwrap();
                    let text = String::from_utf8_lossy(&bytes);
                    assert!(
                        !tokens.iter().any(|t| text.contains(t)),
                        "a token was written to {}",
                        path.display()
                    );
                }
            }
        }
    }
}

/// The user's own settings, which setup must leave as they were: a comment, another server,
/// and a mirror that already sends `central` to the repository without credentials for it,
/// so that a build without the token reaches the repository and is refused there.
fn own_settings(url: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- My own settings: setup must keep this comment. -->
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <servers>
    <server>
      <id>corp</id>
      <username>me</username>
      <password>not-for-this-repository</password>
    </server>
  </servers>
  <mirrors>
    <mirror>
      <id>corp-central</id>
      <mirrorOf>central</mirrorOf>
      <url>{url}</url>
    </mirror>
  </mirrors>
</settings>
"#
    )
}

const OWN_MAVENRC: &str = "# my own mavenrc\nexport MAVEN_OPTS=\"-Xss4m\"\n";

#[test]
fn setup_maven_makes_plain_mvn_package_and_deploy_work_and_undo_restores_the_files() {
    let Some(s) = setup() else { return };
    let (settings, mavenrc) = (s.settings(), s.mavenrc());
    fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let own = own_settings(&s.url);
    fs::write(&settings, &own).unwrap();
    fs::write(&mavenrc, OWN_MAVENRC).unwrap();

    let refused = s.mvn("package");
    s.assert_refused(&refused, 0);

    let dry = s.setup_maven(&["--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert_eq!(fs::read_to_string(&settings).unwrap(), own);
    assert_eq!(fs::read_to_string(&mavenrc).unwrap(), OWN_MAVENRC);
    assert_eq!(s.sb.mints(), 0, "a dry run mints nothing");
    assert!(stdout(&dry).contains(TOKEN_VAR), "{}", stdout(&dry));

    let out = s.setup_maven(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(&settings).unwrap();
    for kept in [
        "<!-- My own settings: setup must keep this comment. -->",
        "<id>corp</id>",
        "<password>not-for-this-repository</password>",
        "<id>corp-central</id>",
    ] {
        assert!(written.contains(kept), "{kept} was lost:\n{written}");
    }
    for added in [
        format!("<id>{ID}</id>"),
        format!("<username>{USER}</username>"),
        format!("<password>${{env.{TOKEN_VAR}}}</password>"),
        format!("<url>{}</url>", s.url),
        format!("<activeProfile>{ID}</activeProfile>"),
    ] {
        assert!(written.contains(&added), "no {added}:\n{written}");
    }
    let rc = fs::read_to_string(&mavenrc).unwrap();
    assert!(rc.starts_with(OWN_MAVENRC), "{rc}");
    assert!(rc.contains(&format!("export {TOKEN_VAR}=")), "{rc}");

    let before = s.server.exchanges().len();
    let built = s.mvn("package");
    s.assert_built(&built, before);

    fs::remove_dir_all(s.project.join("target")).unwrap();
    let before = s.server.exchanges().len();
    let deployed = s.mvn("deploy");
    s.assert_built(&deployed, before);
    let jar = fs::read(s.project.join("target/hello-1.0.jar")).unwrap();
    let uploads = s.uploads.lock().unwrap().clone();
    let paths: Vec<&str> = uploads.keys().map(String::as_str).collect();
    let mut expected = Vec::new();
    for file in [
        "demo/hello/1.0/hello-1.0.jar",
        "demo/hello/1.0/hello-1.0.pom",
        "demo/hello/maven-metadata.xml",
    ] {
        for suffix in ["", ".md5", ".sha1"] {
            expected.push(format!("{file}{suffix}"));
        }
    }
    expected.sort();
    assert_eq!(paths, expected);
    assert_eq!(uploads["demo/hello/1.0/hello-1.0.jar"], jar);
    {
        use sha1::Digest;
        let sha1: String = sha1::Sha1::digest(&jar)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            uploads["demo/hello/1.0/hello-1.0.jar.sha1"],
            sha1.as_bytes()
        );
    }
    let puts: Vec<u16> = s.server.exchanges()[before..]
        .iter()
        .filter(|(r, _)| r.method == "PUT")
        .map(|(_, status)| *status)
        .collect();
    assert_eq!(puts, vec![201; 9], "every upload carried the token");
    assert_eq!(s.sb.mints(), 1, "both builds used the one cached token");
    s.assert_no_token_in_home();

    let out = s.setup_maven(&["--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read(&settings).unwrap(), own.as_bytes());
    assert_eq!(fs::read(&mavenrc).unwrap(), OWN_MAVENRC.as_bytes());
    fs::remove_dir_all(s.project.join("target")).unwrap();
    let before = s.server.exchanges().len();
    let refused = s.mvn("package");
    s.assert_refused(&refused, before);
}

/// No Maven needed: what setup writes, run twice, and what undo leaves.
#[test]
fn setup_maven_again_changes_nothing_and_undo_then_restores_the_files() {
    let url = "http://127.0.0.1:9/maven/repo/";
    let sb = Sandbox::new(&format!("username = \"{USER}\"\nurls = [\"{url}\"]"));
    let home = sb.dir.path();
    let (settings, mavenrc) = (home.join(".m2/settings.xml"), home.join(".mavenrc"));
    fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let own = own_settings(url);
    fs::write(&settings, &own).unwrap();
    fs::write(&mavenrc, OWN_MAVENRC).unwrap();
    let setup = |args: &[&str]| {
        let out = sb
            .cmd(&["setup", "maven", "--url", url])
            .args(args)
            .env(
                "JAVA_TOOL_OPTIONS",
                format!("-Duser.home={}", home.display()),
            )
            .output();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let said = stdout(&out).lines().next().unwrap_or("").to_owned();
        let files = (
            fs::read_to_string(&settings).unwrap(),
            fs::read_to_string(&mavenrc).unwrap(),
        );
        (said, files)
    };
    let (_, first) = setup(&[]);
    assert_ne!(first.0, own);
    let (said, again) = setup(&[]);
    assert_eq!(said, "nothing to change: already set up");
    assert_eq!(again, first, "a second setup changes nothing");
    let (_, undone) = setup(&["--undo"]);
    assert_eq!(undone, (own, OWN_MAVENRC.to_owned()));
    assert_eq!(sb.mints(), 0, "setup and undo mint nothing");
}

/// `--id`'s server and mirror id, and the variable it names (upper-cased, every character
/// but a letter or digit made `_`).
const MIRROR_ID: &str = "corp.mirror-1";
const MIRROR_TOKEN_VAR: &str = "ECLUSE_MAVEN_TOKEN_CORP_MIRROR_1";

#[test]
fn setup_maven_mirror_with_an_id_sends_every_download_to_the_repository_and_undo_removes_its_files()
{
    let Some(s) = setup() else { return };
    let (settings, mavenrc) = (s.settings(), s.mavenrc());
    let out = s.setup_maven(&["--mirror", "--id", MIRROR_ID]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = fs::read_to_string(&settings).unwrap();
    for added in [
        format!("<id>{MIRROR_ID}</id>"),
        format!("<username>{USER}</username>"),
        format!("<password>${{env.{MIRROR_TOKEN_VAR}}}</password>"),
        "<mirrorOf>*</mirrorOf>".to_owned(),
        format!("<url>{}</url>", s.url),
    ] {
        assert!(written.contains(&added), "no {added}:\n{written}");
    }
    assert!(
        !written.contains("<activeProfile>") && !written.contains(ID),
        "{written}"
    );
    let rc = fs::read_to_string(&mavenrc).unwrap();
    assert!(rc.contains(&format!("export {MIRROR_TOKEN_VAR}=")), "{rc}");

    let built = s.mvn("package");
    s.assert_built(&built, 0);
    s.assert_no_token_in_home();

    let out = s.setup_maven(&["--mirror", "--id", MIRROR_ID, "--undo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !settings.exists() && !mavenrc.exists(),
        "files setup created and left empty are removed"
    );
}
