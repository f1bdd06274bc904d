//! `setup twine`: `twine upload -r NAME` reads the repository's URL from `~/.pypirc` (a
//! `[NAME]` section with `repository`, listed in `[distutils] index-servers`) and asks the
//! keyring library, in-process, for its username and password, which the keyring backend
//! ([`super::pykeyring`]) answers. `.pypirc` gets no username or password: a `[NAME]` section
//! that has one, or any other section named NAME, is the user's and refused.
//!
//! `index-servers` is a multi-line value: setup adds NAME as a line of it, after a marker
//! comment, which configparser skips inside a value. Without an `index-servers`, twine reads
//! `pypi` and `testpypi`: setup's keeps both.

use super::{
    Edit, MARKER, Plan, Wiring, file, has_block, home, pykeyring, unparsable, with_block,
    without_block,
};
use crate::error::{Error, Result};

pub(crate) fn pypirc() -> Result<std::path::PathBuf> {
    Ok(home()?.join(".pypirc"))
}

/// What twine reads when `index-servers` is not set.
const DEFAULT_SERVERS: [&str; 2] = ["pypi", "testpypi"];

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, pypirc)?;
    let name = super::registry_name(w)?;
    let (repository, _) = pykeyring::repository_and_index(w.url);
    let section = format!("[{name}]");
    let repository_line = format!("repository = {repository}");
    let edit = Edit::of(path.clone(), false, |old| {
        if let Some(line) = crate::ini::bad_line(old) {
            return Err(unparsable(
                &path,
                line,
                "not a `key = value` line of an INI file",
            ));
        }
        // This registry's lines; the `[distutils]` setup made is shared (its own marker).
        let ours = |l: &str| {
            let t = l.trim();
            t == section || t == repository_line || t == name
        };
        let text = without_block(old, "#", w.url, ours);
        if w.args.undo {
            let text = if has_block(&text, "#", "http") {
                text
            } else {
                without_own_distutils(&text)
            };
            if let Some(line) = crate::ini::bad_line(&text) {
                return Err(unparsable(
                    &path,
                    line,
                    "taking out setup's lines would leave this line unreadable; take them out by hand",
                ));
            }
            return Ok(text);
        }
        if let Some(n) = text
            .lines()
            .position(|l| l.trim().eq_ignore_ascii_case(&section))
        {
            return Err(Error::config(format!(
                "{}:{}: a section {section} is already there; setup does not replace it (remove it, or pass --registry with another name)",
                path.display(),
                n + 1
            )));
        }
        let text = with_servers(&text, &name, w.url);
        Ok(with_block(
            &text,
            "#",
            w.url,
            &format!("{section}\n{repository_line}\n"),
        ))
    })?;
    pykeyring::plan(
        w,
        edit,
        format!(
            "twine: repository {name} is {repository}, its token from ecluse-cred's keyring backend"
        ),
        format!("twine upload -r {name} dist/*"),
    )
}

/// The marker name of a `[distutils]` setup made, which every registry shares.
const DISTUTILS: &str = "twine index-servers";

/// `text` without the `[distutils]` setup made, once nothing but twine's defaults is in it.
fn without_own_distutils(text: &str) -> String {
    let marker = format!("# {MARKER} {DISTUTILS}");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(at) = lines.iter().position(|l| l.trim_end() == marker) else {
        return text.to_owned();
    };
    let mut made = vec!["[distutils]".to_owned(), "index-servers =".to_owned()];
    made.extend(DEFAULT_SERVERS.iter().map(|s| (*s).to_owned()));
    let end = at + 1 + made.len();
    let same = lines.len() >= end
        && lines[at + 1..end]
            .iter()
            .zip(&made)
            .all(|(l, m)| l.trim() == m);
    // A line the user added to the value (or the section) keeps it.
    let more = lines
        .get(end)
        .is_some_and(|l| !l.trim().is_empty() && !l.trim_start().starts_with('['));
    if !same || more {
        return text.to_owned();
    }
    [&lines[..at], &lines[end..]].concat().concat()
}

/// `text` with `name` in `[distutils] index-servers` (added after a marker naming `url`); a
/// `[distutils]` is made (with twine's defaults, shared by every registry) when there is none.
fn with_servers(text: &str, name: &str, url: &str) -> String {
    let marker = format!("# {MARKER} {url}");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(start) = lines.iter().position(|l| l.trim() == "[distutils]") else {
        let servers: String = DEFAULT_SERVERS
            .iter()
            .map(|s| format!("    {s}\n"))
            .collect();
        let made = with_block(
            text,
            "#",
            DISTUTILS,
            &format!("[distutils]\nindex-servers =\n{servers}"),
        );
        return with_servers(&made, name, url);
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |i| start + 1 + i);
    let key = (start + 1..end).find(|&i| {
        lines[i].split_once(['=', ':']).is_some_and(|(k, _)| {
            !lines[i].starts_with([' ', '\t']) && k.trim().eq_ignore_ascii_case("index-servers")
        })
    });
    let Some(key) = key else {
        let servers: String = DEFAULT_SERVERS
            .iter()
            .map(|s| format!("    {s}\n"))
            .collect();
        return crate::ini::add_to_section(
            text,
            "distutils",
            &marker,
            &format!("index-servers =\n{servers}    {name}\n"),
        );
    };
    // The value: its first line and the indented lines (and comments) that continue it.
    let mut last = key;
    let mut values: Vec<&str> = lines[key]
        .split_once(['=', ':'])
        .map(|(_, v)| v.split_whitespace().collect())
        .unwrap_or_default();
    for (i, line) in lines.iter().enumerate().take(end).skip(key + 1) {
        let t = line.trim();
        if t.starts_with(['#', ';']) {
            continue;
        }
        if !line.starts_with([' ', '\t']) || t.is_empty() {
            break;
        }
        values.extend(t.split_whitespace());
        last = i;
    }
    if values.contains(&name) {
        return text.to_owned();
    }
    let mut out = lines[..=last].concat();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("{marker}\n    {name}\n"));
    out.push_str(&lines[last + 1..].concat());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_joins_index_servers_in_each_form_and_undo_takes_it_out() {
        let url = "https://h/pypi/r/";
        let ours = |l: &str| l.trim() == "corp";
        for (before, after) in [
            (
                "[distutils]\nindex-servers =\n    pypi\n\n[pypi]\nusername = __token__\n",
                format!(
                    "[distutils]\nindex-servers =\n    pypi\n# {MARKER} {url}\n    corp\n\n[pypi]\nusername = __token__\n"
                ),
            ),
            (
                "[distutils]\nindex-servers = pypi private\n",
                format!("[distutils]\nindex-servers = pypi private\n# {MARKER} {url}\n    corp\n"),
            ),
        ] {
            let added = with_servers(before, "corp", url);
            assert_eq!(added, after);
            assert_eq!(without_block(&added, "#", url, ours), before);
        }
        // Two registries in a file setup gave its [distutils]: undo of the first leaves the
        // second listed and readable; the last takes the [distutils] out.
        let mine = "[pypi]\nusername = __token__\n";
        let (a, b) = ("https://h/pypi/a/", "https://h/pypi/b/");
        let both = with_servers(&with_servers(mine, "a", a), "b", b);
        let a_gone = without_block(&both, "#", a, |l| l.trim() == "a");
        assert_eq!(crate::ini::bad_line(&a_gone), None);
        let e = crate::ini::entries(&a_gone);
        assert_eq!(crate::ini::get(&e, "pypi", "username"), Some("__token__"));
        assert_eq!(
            crate::ini::get(&e, "distutils", "index-servers"),
            Some("\npypi\ntestpypi\nb")
        );
        assert_eq!(without_own_distutils(&a_gone), a_gone);
        let b_gone = without_block(&a_gone, "#", b, |l| l.trim() == "b");
        assert_eq!(without_own_distutils(&b_gone), mine);
        // Already listed: nothing to add.
        let listed = "[distutils]\nindex-servers =\n    corp\n";
        assert_eq!(with_servers(listed, "corp", url), listed);
    }
}
