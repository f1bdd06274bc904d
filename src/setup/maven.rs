//! `setup maven`: Maven has no credential-helper hook, but it resolves `${env.NAME}` in its
//! settings when it starts, and its `bin/mvn` (3.x and 4, and `mvnw`) sources `~/.mavenrc`
//! before it starts the JVM, unless `MAVEN_SKIP_RC` is set. So:
//!
//! - the user's `settings.xml` (`${user.home}/.m2/settings.xml`, or `--file`) gets a `<server>`
//!   whose password is `${env.ECLUSE_MAVEN_TOKEN_ID}`, and the repository: a `<profile>` with
//!   its `<repository>` and `<pluginRepository>`, listed in `<activeProfiles>` (a profile
//!   `activeByDefault` would switch off when `-P` names another), or with `--mirror` a
//!   `<mirror>` of every repository;
//! - `~/.mavenrc` exports that variable from `ecluse-cred token --url URL`, so every `mvn` run
//!   starts with a fresh token, from the cache in milliseconds. The token is in no file.
//!
//! What setup adds to `settings.xml` sits between comment lines naming the registry, inside
//! the sections Maven reads (made where missing), checked with an XML parser before and after;
//! every other byte of the file stays, and `--undo` takes out exactly what setup added.
//! Maven takes `user.home` from Java, which takes it from the password database, not `$HOME`;
//! `-Duser.home=` in `MAVEN_OPTS` or `JAVA_TOOL_OPTIONS` moves it, and setup follows the same
//! rule.

use std::path::{Path, PathBuf};

use super::{
    Edit, MARKER, Plan, Wiring, file, home, line_of, unparsable, with_block, without_block,
};
use crate::error::{Code, Error, Result};

/// The namespace of a settings.xml setup creates.
const SETTINGS_OPEN: &str = "<settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\"\n          xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n          xsi:schemaLocation=\"http://maven.apache.org/SETTINGS/1.0.0 https://maven.apache.org/xsd/settings-1.0.0.xsd\">\n";

/// The comment in a section setup made (`<servers>`, ...): undo removes the section with the
/// last of setup's entries in it.
const MADE: &str = "<!-- made by ecluse-cred setup: goes with the last of its entries -->";

/// The prefix of the environment variable a server's password names.
const TOKEN_VAR_PREFIX: &str = "ECLUSE_MAVEN_TOKEN_";

/// The first `-Duser.home=` value in a JVM option string.
fn user_home_option(options: &str) -> Option<PathBuf> {
    options
        .split_whitespace()
        .filter_map(|o| o.strip_prefix("-Duser.home="))
        .map(|v| PathBuf::from(v.trim_matches('"')))
        .next_back()
}

/// The home directory of the current user in the password database, as Java reads it.
fn passwd_home() -> Option<PathBuf> {
    // SAFETY: getpwuid_r writes into the buffers given; the result points into `buf`.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::geteuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut out,
        );
        if rc != 0 || out.is_null() || pwd.pw_dir.is_null() {
            return None;
        }
        let dir = std::ffi::CStr::from_ptr(pwd.pw_dir);
        Some(PathBuf::from(
            std::ffi::OsStr::from_encoded_bytes_unchecked(dir.to_bytes()),
        ))
    }
}

/// Java's `user.home` for an `mvn` started from this environment: `-Duser.home=` in
/// `MAVEN_OPTS` (on mvn's command line) or `JAVA_TOOL_OPTIONS`, else the password database's.
pub(crate) fn user_home() -> Result<PathBuf> {
    for var in ["MAVEN_OPTS", "JAVA_TOOL_OPTIONS"] {
        if let Some(home) = std::env::var(var).ok().and_then(|o| user_home_option(&o)) {
            return Ok(home);
        }
    }
    passwd_home()
        .filter(|h| h.is_absolute())
        .map_or_else(home, Ok)
}

/// The user settings Maven reads: `${user.home}/.m2/settings.xml`.
pub(crate) fn settings_xml() -> Result<PathBuf> {
    Ok(user_home()?.join(".m2").join("settings.xml"))
}

/// `~/.mavenrc`, which `bin/mvn` sources (from `$HOME`, as the shell sees it).
pub(crate) fn mavenrc() -> Result<PathBuf> {
    Ok(home()?.join(".mavenrc"))
}

/// The environment variable that carries the token for server `id`.
pub(crate) fn token_var(id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{TOKEN_VAR_PREFIX}{id}")
}

/// The server id: `--id`, else `ecluse-TARGET`. Letters, digits, `-`, `_` and `.` only: it goes
/// into XML and into a variable name.
fn server_id(w: &Wiring<'_>) -> Result<String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    match &w.args.id {
        Some(id) if !id.is_empty() && id.chars().all(ok) => Ok(id.clone()),
        Some(id) => Err(Error::new(
            Code::Usage,
            format!("--id must be letters, digits, `-`, `_` and `.` only, not {id:?}"),
        )),
        None => Ok(format!(
            "ecluse-{}",
            w.target
                .name
                .chars()
                .map(|c| if ok(c) { c } else { '-' })
                .collect::<String>()
        )),
    }
}

/// `text` with XML's special characters escaped.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `text` quoted for a POSIX shell.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The comment lines around what setup adds for `url`.
fn markers(url: &str) -> (String, String) {
    let url = xml_escape(url).replace("--", "-&#45;");
    (
        format!("<!-- {MARKER} {url} -->"),
        format!("<!-- end of {MARKER} {url} -->"),
    )
}

/// `text` without the lines from each opening marker for `url` to its closing one, each
/// block being one of `bodies` (what setup writes) exactly; a block that holds anything else
/// (a line the user added there) is an error naming its line, and nothing is taken out.
fn without_marked(path: &Path, text: &str, url: &str, bodies: &[String]) -> Result<String> {
    let (open, close) = markers(url);
    let mut out = String::new();
    let mut inside: Option<(usize, String)> = None;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let t = line.trim();
        match &mut inside {
            None if t == open => inside = Some((n + 1, String::new())),
            None => out.push_str(line),
            Some((at, body)) if t == close => {
                if !bodies.iter().any(|b| b == body) {
                    return Err(unparsable(
                        path,
                        *at,
                        "the lines between setup's markers are not what setup wrote (changed by hand?): take the block out by hand, then run setup again",
                    ));
                }
                inside = None;
            }
            Some((_, body)) => body.push_str(line),
        }
    }
    Ok(out)
}

/// `text` without the sections setup made that hold nothing of setup's any more, and without
/// the `<settings>` it wrote into an empty file when nothing else is left in it.
fn without_made(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let made = lines.get(i + 1).is_some_and(|l| l.trim() == MADE);
        let open = lines[i].trim();
        if made
            && let Some(name) = open.strip_prefix('<').and_then(|o| o.strip_suffix('>'))
            && lines
                .get(i + 2)
                .is_some_and(|l| l.trim() == format!("</{name}>"))
        {
            i += 3;
            continue;
        }
        out.push(lines[i]);
        i += 1;
    }
    let out = out.concat();
    if out == format!("{SETTINGS_OPEN}</settings>\n") {
        return String::new();
    }
    out
}

/// The sections setup adds to: each a child of `<settings>`, with the lines it adds.
struct Section {
    name: &'static str,
    body: String,
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, settings_xml)?;
    let id = server_id(w)?;
    let var = token_var(&id);
    let user = w
        .target
        .username
        .as_deref()
        .unwrap_or(crate::protocol::DEFAULT_USERNAME);
    let url = xml_escape(w.url);
    let id_x = xml_escape(&id);
    let mirror_body = format!(
        "    <mirror>\n      <id>{id_x}</id>\n      <mirrorOf>*</mirrorOf>\n      <url>{url}</url>\n    </mirror>\n"
    );
    let profile_body = format!(
        "    <profile>\n      <id>{id_x}</id>\n      <repositories>\n        <repository>\n          <id>{id_x}</id>\n          <url>{url}</url>\n        </repository>\n      </repositories>\n      <pluginRepositories>\n        <pluginRepository>\n          <id>{id_x}</id>\n          <url>{url}</url>\n        </pluginRepository>\n      </pluginRepositories>\n    </profile>\n"
    );
    let active_body = format!("    <activeProfile>{id_x}</activeProfile>\n");
    let server_body = format!(
        "    <server>\n      <id>{id_x}</id>\n      <username>{}</username>\n      <password>${{env.{var}}}</password>\n    </server>\n",
        xml_escape(user)
    );
    let mut sections = vec![Section {
        name: "servers",
        body: server_body.clone(),
    }];
    if w.args.mirror {
        sections.push(Section {
            name: "mirrors",
            body: mirror_body.clone(),
        });
    } else {
        sections.push(Section {
            name: "profiles",
            body: profile_body.clone(),
        });
        sections.push(Section {
            name: "activeProfiles",
            body: active_body.clone(),
        });
    }
    // What setup writes between its markers, with or without --mirror (undo takes either).
    let bodies = [server_body, mirror_body, profile_body, active_body];
    let settings = Edit::of(path.clone(), false, |old| {
        check(&path, old)?;
        let (open, close) = markers(w.url);
        if !w.args.undo
            && sections
                .iter()
                .all(|s| old.contains(&format!("{open}\n{}{close}\n", s.body)))
        {
            // Already there, as setup writes it: a second run changes nothing.
            return Ok(old.to_owned());
        }
        let text = without_made(&without_marked(&path, old, w.url, &bodies)?);
        if w.args.undo {
            return Ok(text);
        }
        check_ids(&path, &text, &id)?;
        let added = add(&path, &text, w.url, &sections)?;
        check(&path, &added)?;
        Ok(added)
    })?;
    let rc = mavenrc()?;
    let line = format!(
        "export {var}=\"$({} token --url {})\"",
        sh_quote(&w.exe.to_string_lossy()),
        sh_quote(w.url)
    );
    let prefix = format!("export {var}=");
    let rc_path = rc.clone();
    let rc_edit = Edit::of(rc, false, |old| {
        if !w.args.undo && old.contains(&format!("# {MARKER} {}\n{line}\n", w.url)) {
            return Ok(old.to_owned());
        }
        let text = without_block(old, "#", w.url, |l| l.starts_with(&prefix));
        if w.args.undo {
            return Ok(text);
        }
        // Another registry's server (an id that differs only where a variable name cannot)
        // or the user's own line: the variable would carry the wrong token, or be replaced.
        if let Some(n) = text
            .lines()
            .position(|l| l.trim_start().starts_with(&prefix))
        {
            return Err(Error::config(format!(
                "{}:{}: `{var}` is exported there already, for another registry or by you; pass --id with an id of its own",
                rc_path.display(),
                n + 1
            )));
        }
        Ok(with_block(&text, "#", w.url, &format!("{line}\n")))
    })?;
    Ok(Plan {
        edits: vec![settings, rc_edit],
        shim: None,
        links: Vec::new(),
        done: format!(
            "Maven: server {id} for {} ({}), its token in ${var} from ~/.mavenrc",
            w.url,
            if w.args.mirror {
                "a mirror of every repository"
            } else {
                "a repository in an active profile"
            }
        ),
        next: "mvn package (or mvn deploy, with distributionManagement naming server id "
            .to_owned()
            + &id
            + ")",
        notes: vec![format!(
            "an IDE that starts Maven itself (IntelliJ) does not read ~/.mavenrc: give it {var} in its run configuration's environment, or start it with `ecluse-cred exec --url {} --env {var} -- IDE`",
            w.url
        )],
    })
}

/// A settings.xml that does not parse is not touched.
fn check(path: &Path, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Ok(());
    }
    let doc = roxmltree::Document::parse(text).map_err(|e| {
        unparsable(
            path,
            e.pos().row as usize,
            &format!("not XML Maven reads: {e}"),
        )
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "settings" {
        return Err(unparsable(
            path,
            line_of(text, root.range().start),
            &format!(
                "the root element is <{}>, not <settings>",
                root.tag_name().name()
            ),
        ));
    }
    Ok(())
}

/// Refuse a server, profile or mirror of the user's with the id setup would add.
fn check_ids(path: &Path, text: &str, id: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Ok(());
    }
    let doc = roxmltree::Document::parse(text).expect("checked");
    for node in doc.descendants() {
        let kind = node.tag_name().name();
        if !matches!(
            kind,
            "server" | "profile" | "mirror" | "repository" | "pluginRepository"
        ) {
            continue;
        }
        let has_id = node
            .children()
            .any(|c| c.tag_name().name() == "id" && c.text().map(str::trim) == Some(id));
        if has_id {
            return Err(Error::config(format!(
                "{}:{}: a <{kind}> with id {id} is already there; setup does not replace it (remove it, or pass --id with another id)",
                path.display(),
                line_of(text, node.range().start)
            )));
        }
    }
    Ok(())
}

/// `text` (a settings.xml that parses, or nothing) with each section's lines added inside that
/// child of `<settings>` (made where missing), between markers for `url`.
fn add(path: &Path, text: &str, url: &str, sections: &[Section]) -> Result<String> {
    let (open, close) = markers(url);
    if text.trim().is_empty() {
        return add(
            path,
            &format!("{SETTINGS_OPEN}</settings>\n"),
            url,
            sections,
        );
    }
    // Insert from the end of the file backwards, so earlier offsets stay right.
    let mut inserts: Vec<(usize, String)> = Vec::new();
    {
        let doc = roxmltree::Document::parse(text).expect("checked");
        let root = doc.root_element();
        let closing = text[..root.range().end]
            .rfind("</")
            .filter(|_| !text[root.range()].trim_end().ends_with("/>"))
            .ok_or_else(|| {
                unparsable(
                    path,
                    line_of(text, root.range().start),
                    "<settings/> is empty and closed: write it as <settings></settings>",
                )
            })?;
        for s in sections {
            let existing = root.children().find(|c| c.tag_name().name() == s.name);
            match existing {
                Some(node) => {
                    let range = node.range();
                    let open_end = text[range.clone()].find('>').map(|i| range.start + i + 1);
                    let self_closed = text[range.clone()].trim_end().ends_with("/>");
                    let (Some(open_end), false) = (open_end, self_closed) else {
                        return Err(unparsable(
                            path,
                            line_of(text, range.start),
                            &format!("<{}/> is empty and closed: write it as <{0}></{0}>", s.name),
                        ));
                    };
                    // On a line of its own, after the opening tag's line: only when the tag
                    // ends its line (else undo could not give the line back as it was).
                    let line_end = text[open_end..]
                        .find('\n')
                        .map_or(text.len(), |i| open_end + i);
                    if !text[open_end..line_end].trim().is_empty() {
                        return Err(unparsable(
                            path,
                            line_of(text, range.start),
                            &format!(
                                "<{}> shares its line with what follows it; setup adds lines inside it only when its opening tag ends its line",
                                s.name
                            ),
                        ));
                    }
                    let at = (line_end + 1).min(text.len());
                    inserts.push((at, format!("{open}\n{}{close}\n", s.body)));
                }
                None => {
                    let at = text[..closing].rfind('\n').map_or(0, |i| i + 1);
                    if !text[at..closing].trim().is_empty() {
                        return Err(unparsable(
                            path,
                            line_of(text, closing),
                            &format!(
                                "</settings> shares its line with what comes before it; setup adds <{}> only before a </settings> on a line of its own",
                                s.name
                            ),
                        ));
                    }
                    inserts.push((
                        at,
                        format!(
                            "  <{0}>\n    {MADE}\n{open}\n{1}{close}\n  </{0}>\n",
                            s.name, s.body
                        ),
                    ));
                }
            }
        }
    }
    inserts.sort_by_key(|(at, _)| *at);
    let mut out = String::new();
    let mut from = 0;
    for (at, block) in inserts {
        out.push_str(&text[from..at]);
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&block);
        from = at;
    }
    out.push_str(&text[from..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections() -> Vec<Section> {
        vec![
            Section {
                name: "servers",
                body: "    <server><id>e</id></server>\n".to_owned(),
            },
            Section {
                name: "activeProfiles",
                body: "    <activeProfile>e</activeProfile>\n".to_owned(),
            },
        ]
    }

    #[test]
    fn lines_go_inside_the_users_sections_or_new_ones_and_undo_takes_them_out() {
        let path = Path::new("/h/.m2/settings.xml");
        let url = "https://h/maven/r/";
        let mine = "<?xml version=\"1.0\"?>\n<!-- mine -->\n<settings>\n  <servers>\n    <server><id>other</id></server>\n  </servers>\n</settings>\n";
        let added = add(path, mine, url, &sections()).unwrap();
        let (open, close) = markers(url);
        assert_eq!(
            added,
            format!(
                "<?xml version=\"1.0\"?>\n<!-- mine -->\n<settings>\n  <servers>\n{open}\n    <server><id>e</id></server>\n{close}\n    <server><id>other</id></server>\n  </servers>\n  <activeProfiles>\n    {MADE}\n{open}\n    <activeProfile>e</activeProfile>\n{close}\n  </activeProfiles>\n</settings>\n"
            )
        );
        check(path, &added).unwrap();
        let bodies: Vec<String> = sections().into_iter().map(|s| s.body).collect();
        let strip = |text: &str, url: &str| {
            without_made(&without_marked(path, text, url, &bodies).unwrap())
        };
        assert_eq!(strip(&added, url), mine);
        // A second registry goes into the sections the first one made, and each undo takes
        // out its own; the last one the file setup created.
        let fresh = add(path, "", url, &sections()).unwrap();
        check(path, &fresh).unwrap();
        let other = "https://h/maven/other/";
        let both = add(path, &fresh, other, &sections()).unwrap();
        check(path, &both).unwrap();
        let first_gone = strip(&both, url);
        check(path, &first_gone).unwrap();
        assert_eq!(first_gone.matches("<server><id>e</id>").count(), 1);
        assert_eq!(strip(&first_gone, other), "");
        // A line added between setup's markers: not setup's to take out.
        let changed = added.replace(
            "<server><id>e</id></server>\n",
            "<server><id>e</id></server>\n    <server><id>mine</id></server>\n",
        );
        let e = without_marked(path, &changed, url, &bodies).unwrap_err();
        assert!(
            e.message
                .starts_with("/h/.m2/settings.xml:5: the lines between setup's markers"),
            "{}",
            e.message
        );
        // Tags that share a line with more are refused, not split.
        for one_line in [
            "<settings><servers><server><id>x</id></server></servers></settings>\n",
            "<settings>\n  <servers>\n  </servers></settings>\n",
        ] {
            let e = add(path, one_line, url, &sections()).unwrap_err();
            assert!(e.message.contains("shares its line"), "{}", e.message);
        }
    }

    #[test]
    fn a_clash_or_a_file_that_is_not_settings_is_refused_by_line() {
        let path = Path::new("/h/s.xml");
        let e = check_ids(
            path,
            "<settings>\n<servers>\n<server><id>e</id></server></servers></settings>",
            "e",
        )
        .unwrap_err();
        assert!(
            e.message.starts_with("/h/s.xml:3: a <server> with id e"),
            "{}",
            e.message
        );
        assert!(check(path, "<settings><servers></settings>").is_err());
        let e = check(path, "<project/>").unwrap_err();
        assert!(e.message.contains("not <settings>"), "{}", e.message);
    }

    #[test]
    fn user_home_follows_javas_options_and_the_variable_is_a_name() {
        assert_eq!(
            user_home_option("-Xmx1g -Duser.home=/srv/ci -Dx=y"),
            Some(PathBuf::from("/srv/ci"))
        );
        assert_eq!(user_home_option("-Xmx1g"), None);
        assert_eq!(
            token_var("ecluse-corp.main"),
            "ECLUSE_MAVEN_TOKEN_ECLUSE_CORP_MAIN"
        );
        assert_eq!(sh_quote("a'b"), "'a'\\''b'");
    }
}
