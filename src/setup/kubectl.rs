//! `setup kubectl`: a kubeconfig user (`--user U`, default `ecluse-TARGET`) whose v1 exec entry
//! runs `kube-credential --target NAME` (`interactiveMode: Never`, cluster info provided so the
//! target's `urls` are checked against the API server); with `--context C`, that existing
//! context's user becomes it. `current-context` is never changed.
//!
//! The kubeconfig's text is edited, not rewritten (kubectl's own `kubectl config` would drop
//! comments, unknown keys, key order and flow style): the user entry goes at the end of the
//! `users:` list between two marker comments, and a context's `user:` line is replaced with a
//! marker comment before it that keeps the line it replaced. `--undo` takes out what the
//! markers delimit and puts the kept lines back, so a file nobody else changed gets its bytes
//! back. An entry whose markers are gone (kubectl rewrote the file since, or an older setup
//! wrote it through kubectl) is found by its name. Whatever setup writes is read back through
//! `kubectl config view` before anything is written: the file must mean what it meant, plus the
//! user (and the context's new user), and nothing else, or nothing is written.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::{Edit, MARKER, Plan, Wiring, env_path, file, home, unparsable};
use crate::error::{Error, Result};

/// The environment variables in an older setup's exec entry (written through kubectl) that
/// remember which context it pointed at the user and the user that context had before.
const PREVIOUS_USER: &str = "ECLUSE_CRED_SETUP_PREVIOUS_USER";
const CONTEXT: &str = "ECLUSE_CRED_SETUP_CONTEXT";

/// The kubeconfig's lists that setup edits.
const USERS: &str = "users";
const CONTEXTS: &str = "contexts";

/// The first argument of setup's exec entries: how an entry of setup's is recognised.
const SUBCOMMAND: &str = "kube-credential";

/// The exec entry's API version (kubectl 1.22 and later).
const EXEC_API: &str = "client.authentication.k8s.io/v1";

/// What a kubeconfig setup creates starts with, as kubectl's own do.
const NEW_FILE: &str = "apiVersion: v1\nkind: Config\n";

/// The kubeconfig kubectl writes new entries to: in `KUBECONFIG`, the first file that exists
/// (else the last one); else `~/.kube/config`.
pub(crate) fn kubeconfig() -> Result<PathBuf> {
    if let Some(list) = env_path("KUBECONFIG") {
        let files: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if let Some(found) = files.iter().find(|p| p.exists()).or(files.last()) {
            return Ok(found.clone());
        }
    }
    Ok(home()?.join(".kube").join("config"))
}

/// The kubeconfig `text` as kubectl reads it (`kubectl config view --raw -o json` on a copy).
fn view(real: &Path, text: &str) -> Result<Value> {
    let command = |copy: &Path| {
        let mut cmd = Command::new("kubectl");
        cmd.args(["config", "view", "--raw", "-o", "json", "--kubeconfig"])
            .arg(copy)
            .env_remove("KUBECONFIG");
        cmd
    };
    let (_, json) = super::on_copy(real, text, "kubectl config view", command, |_| false)?;
    serde_json::from_str(&json).map_err(|e| Error::config(format!("kubectl config view: {e}")))
}

fn named<'a>(v: &'a Value, list: &str, name: &str) -> Option<&'a Value> {
    v[list]
        .as_array()?
        .iter()
        .find(|e| e["name"].as_str() == Some(name))
}

/// `view` without user `user`, and without the user of each context in `contexts`: what setup
/// leaves as it was.
fn rest_of(view: &Value, user: &str, contexts: &[String]) -> Value {
    let mut v = view.clone();
    if let Some(users) = v[USERS].as_array_mut() {
        users.retain(|u| u["name"].as_str() != Some(user));
        if users.is_empty() {
            v[USERS] = Value::Null;
        }
    }
    for c in v[CONTEXTS].as_array_mut().into_iter().flatten() {
        if c["name"]
            .as_str()
            .is_some_and(|n| contexts.iter().any(|x| x == n))
            && let Some(context) = c["context"].as_object_mut()
        {
            context.remove("user");
        }
    }
    v
}

/// The exec entry's arguments: the target by name, as one argument (`--target=NAME`) when the
/// name would read as an option.
fn exec_args(target: &str) -> Vec<String> {
    if target.starts_with('-') {
        vec![SUBCOMMAND.to_owned(), format!("--target={target}")]
    } else {
        vec![
            SUBCOMMAND.to_owned(),
            "--target".to_owned(),
            target.to_owned(),
        ]
    }
}

/// `s` as a YAML double-quoted scalar (a JSON string is one).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The user entry, as a list item indented by `indent`.
fn entry(indent: usize, user: &str, exe: &str, args: &[String]) -> String {
    let i = " ".repeat(indent);
    format!(
        "{i}- name: {}\n{i}  user:\n{i}    exec:\n{i}      apiVersion: {EXEC_API}\n{i}      command: {}\n{i}      args: [{}]\n{i}      interactiveMode: Never\n{i}      provideClusterInfo: true\n",
        quoted(user),
        quoted(exe),
        args.iter()
            .map(|a| quoted(a))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

// The markers. Names are JSON-quoted, so any name reads back exactly.

/// `# ecluse-cred setup: kubectl user "U"`: what opens setup's lines for user `user` (a user
/// entry, or with ` in context "C"` a context's user line).
fn opening(user: &str) -> String {
    format!("# {MARKER} kubectl user {}", quoted(user))
}

/// The marker that closes the user entry.
fn closing(user: &str) -> String {
    format!("# {MARKER} end of kubectl user {}", quoted(user))
}

/// What a marker's ` replaces: LINE` keeps: the line setup's lines took the place of.
const REPLACES: &str = " replaces: ";

/// The marker before a context's user line: which context, and the line it replaced, if any.
fn context_marker(user: &str, context: &str, replaced: Option<&str>) -> String {
    let mut marker = format!("{} in context {}", opening(user), quoted(context));
    if let Some(line) = replaced {
        marker.push_str(REPLACES);
        marker.push_str(line);
    }
    marker
}

/// A marker of setup's for `user`, read: `(context, the line it replaced)`; no context for the
/// user entry's opening marker.
fn marker_of<'a>(line: &'a str, user: &str) -> Option<(Option<String>, Option<&'a str>)> {
    let rest = line.trim_start().strip_prefix(&opening(user))?;
    let (context, rest) = match rest.strip_prefix(" in context ") {
        Some(rest) => {
            let (name, len) = json_string(rest)?;
            (Some(name), &rest[len..])
        }
        None => (None, rest),
    };
    if rest.is_empty() {
        return Some((context, None));
    }
    Some((context, Some(rest.strip_prefix(REPLACES)?)))
}

/// One line of the kubeconfig: all of it, and without its line break.
#[derive(Clone, Copy)]
struct Line<'a> {
    full: &'a str,
    bare: &'a str,
}

impl<'a> Line<'a> {
    fn eol(&self) -> &'a str {
        &self.full[self.bare.len()..]
    }
    fn indent(&self) -> usize {
        self.bare.len() - self.bare.trim_start_matches(' ').len()
    }
    /// Not blank, not a comment.
    fn content(&self) -> bool {
        let t = self.bare.trim();
        !t.is_empty() && !t.starts_with('#')
    }
    /// A block list item (`- ...`).
    fn dash(&self) -> bool {
        let t = self.bare.trim_start();
        t == "-" || t.starts_with("- ")
    }
    /// What it holds after its indentation (and a list item's `- `).
    fn inner(&self) -> &'a str {
        let t = self.bare.trim_start();
        if self.dash() { t[1..].trim_start() } else { t }
    }
    /// The column its `key:` starts at.
    fn column(&self) -> usize {
        self.bare.len() - self.inner().len()
    }
    /// Its `key: value`.
    fn key_value(&self) -> Option<(String, Val)> {
        key_value(self.inner())
    }
}

fn lines_of(text: &str) -> Vec<Line<'_>> {
    text.split_inclusive('\n')
        .map(|full| Line {
            full,
            bare: full.trim_end_matches('\n').trim_end_matches('\r'),
        })
        .collect()
}

/// A mapping value, as far as setup needs to know.
#[derive(Debug, PartialEq)]
enum Val {
    /// Nothing after the colon: a block below, or null.
    Block,
    /// `[...]` or `{...}`: the text, up to a comment.
    Flow(String),
    Scalar(String),
}

/// A JSON string at the start of `s` (a YAML double-quoted scalar without YAML-only escapes),
/// and its length.
fn json_string(s: &str) -> Option<(String, usize)> {
    let mut stream = serde_json::Deserializer::from_str(s).into_iter::<String>();
    let value = stream.next()?.ok()?;
    Some((value, stream.byte_offset()))
}

/// A YAML single-quoted scalar at the start of `s`, and its length.
fn single_quoted(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().is_some_and(|&(_, c)| c == '\'') {
                chars.next();
            } else {
                return Some((out, i + 1));
            }
        }
        out.push(c);
    }
    None
}

/// `s` up to a comment (` #`), trimmed.
fn uncommented(s: &str) -> &str {
    let end = s
        .char_indices()
        .find(|&(i, c)| c == '#' && (i == 0 || s[..i].ends_with([' ', '\t'])))
        .map_or(s.len(), |(i, _)| i);
    s[..end].trim()
}

/// A quoted or plain scalar at the start of `s`, and its length.
fn scalar(s: &str) -> Option<(String, usize)> {
    match s.chars().next()? {
        '"' => json_string(s),
        '\'' => single_quoted(s),
        _ => {
            let plain = uncommented(s);
            Some((plain.to_owned(), plain.len()))
        }
    }
}

/// `key: value` read from `s`.
fn key_value(s: &str) -> Option<(String, Val)> {
    if s.starts_with('#') {
        return None;
    }
    let (key, rest) = if s.starts_with(['"', '\'']) {
        let (key, len) = scalar(s)?;
        (key, &s[len..])
    } else {
        let at = s
            .char_indices()
            .find(|&(i, c)| c == ':' && (i + 1 == s.len() || s[i + 1..].starts_with([' ', '\t'])))?
            .0;
        (s[..at].trim_end().to_owned(), &s[at..])
    };
    let rest = rest.trim_start_matches([' ', '\t']).strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let v = rest.trim_start();
    let value = if v.is_empty() || v.starts_with('#') {
        Val::Block
    } else if v.starts_with(['[', '{']) {
        Val::Flow(uncommented(v).to_owned())
    } else {
        Val::Scalar(scalar(v)?.0)
    };
    Some((key, value))
}

/// A top-level list: its key's line and value; its items (line ranges, without trailing
/// comments), indented by `indent`; `end`, the line after its last content.
struct List {
    key: usize,
    value: Val,
    items: Vec<Range<usize>>,
    indent: usize,
    end: usize,
}

/// The top-level key `key` (the last one, as kubectl reads a key given twice) and the block list
/// under it.
fn list(lines: &[Line<'_>], key: &str) -> Option<List> {
    let top = |l: &Line<'_>| l.indent() == 0 && l.content() && !l.dash();
    let at = lines
        .iter()
        .rposition(|l| top(l) && l.key_value().is_some_and(|(k, _)| k == key))?;
    let value = lines[at].key_value()?.1;
    let mut end = lines[at + 1..]
        .iter()
        .position(top)
        .map_or(lines.len(), |n| at + 1 + n);
    while end > at + 1 && !lines[end - 1].content() {
        end -= 1;
    }
    let starts: Vec<usize> = (at + 1..end)
        .filter(|&i| lines[i].content() && lines[i].dash())
        .collect();
    let indent = starts.first().map_or(0, |&i| lines[i].indent());
    let starts: Vec<usize> = starts
        .into_iter()
        .filter(|&i| lines[i].indent() == indent)
        .collect();
    let items = starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let mut stop = starts.get(n + 1).copied().unwrap_or(end);
            while stop > start + 1 && !lines[stop - 1].content() {
                stop -= 1;
            }
            start..stop
        })
        .collect();
    Some(List {
        key: at,
        value,
        items,
        indent,
        end,
    })
}

/// The mapping in lines `within` whose keys are indented by `indent` (and the inline one on
/// line `first`, after a `- `): the line of key `key`, and its value.
fn key_in(lines: &[Line<'_>], within: Range<usize>, key: &str) -> Option<(usize, Val)> {
    let first = within.start;
    let inline = lines[first].dash() && lines[first].key_value().is_some();
    let indent = if inline {
        lines[first].column()
    } else {
        lines[first + 1..within.end]
            .iter()
            .find(|l| l.content())?
            .indent()
    };
    // Other lines: the keys at that indentation (a `- ` there is a list under one of them).
    (first..within.end)
        .filter(|&i| {
            if i == first {
                inline
            } else {
                lines[i].content() && !lines[i].dash() && lines[i].indent() == indent
            }
        })
        .find_map(|i| match lines[i].key_value() {
            Some((k, v)) if k == key => Some((i, v)),
            _ => None,
        })
}

/// The item of `list` whose `name` is `name`.
fn item(lines: &[Line<'_>], list: &List, name: &str) -> Option<Range<usize>> {
    list.items
        .iter()
        .find_map(|item| match key_in(lines, item.clone(), "name") {
            Some((_, Val::Scalar(n))) if n == name => Some(item.clone()),
            _ => None,
        })
}

/// Where context `name` keeps its user: the `context:` line, the `user:` line under it (if
/// any) with its value, and the indentation of the keys under `context:`.
struct ContextUser {
    context: usize,
    user: Option<(usize, Val)>,
    indent: usize,
}

fn context_user(path: &Path, lines: &[Line<'_>], name: &str) -> Result<ContextUser> {
    let unusual = |line: usize, why: String| {
        unparsable(
            path,
            line + 1,
            &format!(
                "{why}; setup edits a block layout (`kubectl config view` shows one), so that the rest of the file stays as it is: set the context's user there by hand"
            ),
        )
    };
    let Some(list) = list(lines, CONTEXTS).filter(|l| l.value == Val::Block) else {
        return Err(unusual(0, "`contexts:` is not a block list".to_owned()));
    };
    let Some(item) = item(lines, &list, name) else {
        return Err(unusual(
            list.key,
            format!("context {} is not a block list item", quoted(name)),
        ));
    };
    let at = match key_in(lines, item.clone(), "context") {
        Some((at, Val::Block)) => at,
        Some((at, _)) => {
            return Err(unusual(
                at,
                format!("context {} is written on one line", quoted(name)),
            ));
        }
        None => {
            return Err(unusual(
                item.start,
                format!("context {} has no `context:`", quoted(name)),
            ));
        }
    };
    let parent = lines[at].column();
    let below = at + 1..item.end;
    let indent = lines[below.clone()]
        .iter()
        .find(|l| l.content())
        .map(|l| l.indent())
        .filter(|&i| i > parent)
        .unwrap_or(parent + 2);
    let user = below
        .clone()
        .take_while(|&i| !lines[i].content() || lines[i].indent() > parent)
        .filter(|&i| lines[i].content() && !lines[i].dash() && lines[i].indent() == indent)
        .find_map(|i| match lines[i].key_value() {
            Some((k, v)) if k == "user" => Some((i, v)),
            _ => None,
        });
    Ok(ContextUser {
        context: at,
        user,
        indent,
    })
}

/// `lines` with lines `range` replaced by `with` (whole lines, each with its line break; the
/// last one's is the last replaced line's).
fn replaced(lines: &[Line<'_>], range: Range<usize>, with: &str) -> String {
    let mut out: String = lines[..range.start].iter().map(|l| l.full).collect();
    out.push_str(with);
    if let Some(last) = range.end.checked_sub(1).filter(|&l| l >= range.start) {
        out.truncate(out.len() - usize::from(with.ends_with('\n')));
        out.push_str(lines[last].eol());
    }
    out.extend(lines[range.end..].iter().map(|l| l.full));
    out
}

/// `lines` with `added` (whole lines) after line `after` (`None`: at the start). After a last
/// line without a line break, `added` gets one before it and none at its end, so that taking
/// it out ([`removed`]) gives back the same bytes.
fn inserted(lines: &[Line<'_>], after: Option<usize>, added: &str) -> String {
    let at = after.map_or(0, |a| a + 1);
    let mut out: String = lines[..at].iter().map(|l| l.full).collect();
    if after.is_some_and(|a| lines[a].eol().is_empty()) {
        out.push('\n');
        out.push_str(added.strip_suffix('\n').unwrap_or(added));
    } else {
        out.push_str(added);
    }
    out.extend(lines[at..].iter().map(|l| l.full));
    out
}

/// `lines` without lines `range` (setup's), and with `kept` (a line without its break) in their
/// place. Without `kept`, setup's lines going last without a line break had one added before
/// them ([`inserted`]): it goes too.
fn removed(lines: &[Line<'_>], range: Range<usize>, kept: Option<&str>) -> String {
    if let Some(kept) = kept {
        return replaced(lines, range, &format!("{kept}\n"));
    }
    let last = range.end == lines.len() && lines[range.end - 1].eol().is_empty();
    let mut out: String = lines[..range.start]
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if last && i + 1 == range.start {
                l.bare
            } else {
                l.full
            }
        })
        .collect();
    out.extend(lines[range.end..].iter().map(|l| l.full));
    out
}

/// `text` with the entry of user `user` added to the `users:` list, between setup's markers.
fn with_user(path: &Path, text: &str, user: &str, exe: &str, args: &[String]) -> Result<String> {
    let lines = lines_of(text);
    let block = |indent: usize, head: &str, replaces: Option<&str>| {
        let i = " ".repeat(indent);
        let opening = match replaces {
            Some(line) => format!("{}{REPLACES}{line}", opening(user)),
            None => opening(user),
        };
        format!(
            "{i}{opening}\n{head}{}{i}{}\n",
            entry(indent, user, exe, args),
            closing(user)
        )
    };
    let Some(list) = list(&lines, USERS) else {
        let head = if text.trim().is_empty() {
            format!("{NEW_FILE}users:\n")
        } else {
            "users:\n".to_owned()
        };
        return Ok(inserted(
            &lines,
            lines.len().checked_sub(1),
            &block(0, &head, None),
        ));
    };
    match &list.value {
        Val::Block => Ok(inserted(
            &lines,
            Some(list.end - 1),
            &block(list.indent, "", None),
        )),
        // An empty list written `[]` or `null`: `users:` in its place, the line kept.
        Val::Flow(v) if v == "[]" => Ok(replaced(
            &lines,
            list.key..list.key + 1,
            &block(0, "users:\n", Some(lines[list.key].bare)),
        )),
        Val::Scalar(v) if v == "null" || v == "~" => Ok(replaced(
            &lines,
            list.key..list.key + 1,
            &block(0, "users:\n", Some(lines[list.key].bare)),
        )),
        _ => Err(unparsable(
            path,
            list.key + 1,
            "`users:` is not a block list; setup edits a block layout (`kubectl config view` shows one), so that the rest of the file stays as it is: add the user there by hand",
        )),
    }
}

/// `text` with context `context`'s user set to `user`, after a marker that keeps the line it
/// replaced.
fn pointing(path: &Path, text: &str, context: &str, user: &str) -> Result<String> {
    let lines = lines_of(text);
    let found = context_user(path, &lines, context)?;
    let i = " ".repeat(found.indent);
    let ours = format!("{i}user: {}\n", quoted(user));
    Ok(match found.user {
        Some((_, Val::Scalar(u))) if u == user => text.to_owned(),
        Some((at, _)) => replaced(
            &lines,
            at..at + 1,
            &format!(
                "{i}{}\n{ours}",
                context_marker(user, context, Some(lines[at].bare))
            ),
        ),
        None => inserted(
            &lines,
            Some(found.context),
            &format!("{i}{}\n{ours}", context_marker(user, context, None)),
        ),
    })
}

/// What taking setup's lines for a user out left: the text, the contexts whose user was put
/// back, and whether the entry was found by name only (no markers).
struct TakenOut {
    text: String,
    contexts: Vec<String>,
    by_name: bool,
}

/// `text` without what setup added for user `user` (whose entry, as kubectl reads it, is
/// `entry`): each context it pointed at the user gets its line back, and the entry goes.
fn taken_out(path: &Path, text: &str, user: &str, entry: &Value) -> Result<TakenOut> {
    let mut text = text.to_owned();
    let mut contexts = Vec::new();
    // The contexts' lines first: each marker, and the user line after it if still setup's.
    loop {
        let lines = lines_of(&text);
        let Some((at, context, kept)) =
            lines
                .iter()
                .enumerate()
                .find_map(|(i, l)| match marker_of(l.bare, user)? {
                    (Some(context), kept) => Some((i, context, kept)),
                    (None, _) => None,
                })
        else {
            break;
        };
        let still = lines.get(at + 1).is_some_and(|l| {
            !l.dash() && l.key_value() == Some(("user".to_owned(), Val::Scalar(user.to_owned())))
        });
        text = if still {
            contexts.push(context);
            removed(&lines, at..at + 2, kept)
        } else {
            // The user pointed the context elsewhere since: that stays, the marker goes.
            removed(&lines, at..at + 1, None)
        };
    }
    let lines = lines_of(&text);
    let opened = lines
        .iter()
        .position(|l| matches!(marker_of(l.bare, user), Some((None, _))));
    let closed = opened.and_then(|at| {
        lines[at..]
            .iter()
            .position(|l| l.bare.trim() == closing(user))
            .map(|n| at + n)
    });
    if let (Some(at), Some(end)) = (opened, closed) {
        let kept = marker_of(lines[at].bare, user).and_then(|(_, kept)| kept);
        return Ok(TakenOut {
            text: removed(&lines, at..end + 1, kept),
            contexts,
            by_name: false,
        });
    }
    // No markers: an older setup's entry, or kubectl rewrote the file since.
    let Some(found) = list(&lines, USERS).and_then(|l| item(&lines, &l, user)) else {
        return Err(unparsable(
            path,
            1,
            &format!(
                "user {} is not a block list item of `users:`, and setup's markers are gone; remove it by hand (`kubectl config delete-user`)",
                quoted(user)
            ),
        ));
    };
    let mut text = removed(&lines, found, None);
    // An older setup remembered the context it pointed at the user in the exec entry.
    let env = |name: &str| {
        entry["user"]["exec"]["env"]
            .as_array()?
            .iter()
            .find(|e| e["name"].as_str() == Some(name))?["value"]
            .as_str()
            .map(str::to_owned)
    };
    if let (Some(context), Some(previous)) = (env(CONTEXT), env(PREVIOUS_USER)) {
        let lines = lines_of(&text);
        if let Ok(ContextUser {
            user: Some((at, Val::Scalar(u))),
            indent,
            ..
        }) = context_user(path, &lines, &context)
            && u == user
        {
            let line = format!("{}user: {}\n", " ".repeat(indent), quoted(&previous));
            text = replaced(&lines, at..at + 1, &line);
            contexts.push(context);
        }
    }
    Ok(TakenOut {
        text,
        contexts,
        by_name: true,
    })
}

/// The refusal for a file whose edited text kubectl reads differently from what setup meant.
fn misread(path: &Path) -> Error {
    Error::config(format!(
        "{}: kubectl would read more changed in setup's edit of this file than what setup adds (an unusual layout: a key given twice, a comment line ending a block scalar); not touching it: add the user by hand (README, kubectl)",
        path.display()
    ))
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, kubeconfig)?;
    let user = w
        .args
        .user
        .clone()
        .unwrap_or_else(|| format!("ecluse-{}", w.target.name));
    let args = exec_args(&w.target.name);
    let exe = w.exe.display().to_string();
    let context = w.args.context.as_deref();
    let edit = Edit::of(path.clone(), false, |old| {
        let before = view(&path, old)?;
        let existing = named(&before, USERS, &user);
        let ours = existing.is_some_and(|u| {
            u["user"]["exec"]["args"]
                .as_array()
                .is_some_and(|a| a.first().and_then(|s| s.as_str()) == Some(SUBCOMMAND))
        });
        if existing.is_some() && !ours {
            if w.args.undo {
                return Ok(old.to_owned());
            }
            return Err(Error::config(format!(
                "{}: user `{user}` already exists; pass --user NAME for another name",
                path.display()
            )));
        }
        // What setup added before goes: for good on undo, to be written anew on setup.
        let out = match existing {
            Some(entry) => taken_out(&path, old, &user, entry)?,
            None if w.args.undo => return Ok(old.to_owned()),
            None => TakenOut {
                text: old.to_owned(),
                contexts: Vec::new(),
                by_name: false,
            },
        };
        let mut contexts = out.contexts;
        if w.args.undo {
            let after = view(&path, &out.text)?;
            // Any other context still using the user is the user's doing, and would be left
            // broken.
            if let Some(other) = after[CONTEXTS].as_array().and_then(|all| {
                all.iter()
                    .find(|c| c["context"]["user"].as_str() == Some(user.as_str()))
            }) {
                let name = other["name"].as_str().unwrap_or("?");
                return Err(Error::config(format!(
                    "{}: context `{name}` uses user `{user}`; point it at another user first (`kubectl config set-context {name} --user=...`)",
                    path.display(),
                )));
            }
            if named(&after, USERS, &user).is_some()
                || rest_of(&after, &user, &contexts) != rest_of(&before, &user, &contexts)
            {
                return Err(misread(&path));
            }
            // An older setup wrote through kubectl, which leaves a kubeconfig with nothing in
            // it when it created the file: that goes, but only when nothing at all is left (no
            // preferences, current context, extensions, nor a comment of the user's).
            let empty = out.by_name
                && !out.text.lines().any(|l| l.trim_start().starts_with('#'))
                && after == view(&path, "")?;
            return Ok(if empty { String::new() } else { out.text });
        }
        if let Some(context) = context {
            if named(&before, CONTEXTS, context).is_none() {
                return Err(Error::config(format!(
                    "{}: no context `{context}`; --context names an existing one",
                    path.display()
                )));
            }
            if !contexts.iter().any(|c| c == context) {
                contexts.push(context.to_owned());
            }
        }
        let mut text = with_user(&path, &out.text, &user, &exe, &args)?;
        for context in &contexts {
            text = pointing(&path, &text, context, &user)?;
        }
        let after = view(&path, &text)?;
        let exec = named(&after, USERS, &user).map(|u| &u["user"]["exec"]);
        let wired = exec.is_some_and(|e| {
            e["command"].as_str() == Some(exe.as_str()) && e["args"] == serde_json::json!(args)
        }) && contexts.iter().all(|c| {
            named(&after, CONTEXTS, c)
                .is_some_and(|c| c["context"]["user"].as_str() == Some(user.as_str()))
        });
        if !wired || rest_of(&after, &user, &contexts) != rest_of(&before, &user, &contexts) {
            return Err(misread(&path));
        }
        // Unchanged content keeps its bytes.
        Ok(if after == before {
            old.to_owned()
        } else {
            text
        })
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: None,
        links: Vec::new(),
        done: format!("kubectl: user `{user}` gets its token from ecluse-cred"),
        next: match context {
            Some(c) => format!("kubectl --context {c} get ..."),
            None => format!(
                "kubectl config set-context NAME --cluster=CLUSTER --user={user}, then kubectl --context NAME get ..."
            ),
        },
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXE: &str = "/opt/ecluse cred/ecluse-cred";

    fn set_up(text: &str, user: &str, context: Option<&str>) -> String {
        let path = Path::new("kubeconfig");
        let mut text = with_user(path, text, user, EXE, &exec_args("demo")).unwrap();
        if let Some(context) = context {
            text = pointing(path, &text, context, user).unwrap();
        }
        text
    }

    fn undone(text: &str, user: &str) -> TakenOut {
        taken_out(Path::new("kubeconfig"), text, user, &Value::Null).unwrap()
    }

    #[test]
    fn undo_gives_back_the_bytes_whatever_the_layout() {
        for (text, context) in [
            ("", None),
            ("kind: Config", None),
            ("kind: Config\nusers: []  # none yet\n", None),
            (
                "users: ~\ncontexts:\n- name: c\n  context:\n    cluster: x\n",
                Some("c"),
            ),
            (
                "contexts:\n- name: c\n  context:\n    cluster: x\n    user: old",
                Some("c"),
            ),
            (
                "users:\n  - user: {}\n    name: a # mine\n\n# later\nx: 1\n",
                None,
            ),
            // A `context:` without keys of its own, before its item's `name`.
            ("contexts:\n- context:\n  name: c\n", Some("c")),
            (
                "kind: Config\r\nusers:\r\n- name: a\r\n  user: {}\r\ncontexts:\r\n- context:\r\n    user: a # q\r\n  name: c\r\n",
                Some("c"),
            ),
            (
                "contexts:\n-\n  name: \"c\"\n  context:\n     user: 'a'\n     cluster: x\nusers:\n- name: a\n  user:\n    exec:\n      args:\n      - x\n",
                Some("c"),
            ),
        ] {
            let user = "ecluse-demo";
            let set = set_up(text, user, context);
            assert_ne!(set, text);
            assert!(set.contains("args: [\"kube-credential\", \"--target\", \"demo\"]"));
            let out = undone(&set, user);
            assert_eq!(out.text, text, "{set}");
            assert_eq!(out.contexts, context.into_iter().collect::<Vec<_>>());
            assert!(!out.by_name);
            // Set up again over what was there, the same bytes.
            assert_eq!(set_up(&out.text, user, context), set);
        }
    }

    #[test]
    fn names_of_any_kind_read_back_from_the_markers() {
        let user = "we \"ird\" replaces: x";
        let context = "a context # with replaces: in it";
        let text = format!(
            "users:\n- name: a\n  user: {{}}\ncontexts:\n- name: {}\n  context:\n    user: a\n",
            quoted(context)
        );
        let set = set_up(&text, user, Some(context));
        let out = undone(&set, user);
        assert_eq!(out.text, text, "{set}");
        assert_eq!(out.contexts, [context]);
    }

    #[test]
    fn a_context_the_user_pointed_elsewhere_since_keeps_its_user_and_loses_the_marker() {
        let text = "contexts:\n- name: c\n  context:\n    user: old\n";
        let set = set_up(text, "u", Some("c")).replace("user: \"u\"", "user: mine");
        let out = undone(&set, "u");
        assert_eq!(
            out.text,
            "contexts:\n- name: c\n  context:\n    user: mine\n"
        );
        assert!(out.contexts.is_empty());
    }

    #[test]
    fn without_markers_the_entry_is_found_by_its_name_and_only_it_goes() {
        // As kubectl writes a file (markers gone): the entry between two others.
        let text = "users:\n- name: a\n  user:\n    token: ta\n- name: u\n  user:\n    exec:\n      args:\n      - kube-credential\n      - --target=demo\n      command: /x\n- name: z\n  user:\n    token: tz\n";
        let out = undone(text, "u");
        assert!(out.by_name);
        assert_eq!(
            out.text,
            "users:\n- name: a\n  user:\n    token: ta\n- name: z\n  user:\n    token: tz\n"
        );
    }

    #[test]
    fn a_list_or_context_in_flow_style_is_refused_naming_its_line() {
        let path = Path::new("kubeconfig");
        let args = exec_args("demo");
        let err = with_user(
            path,
            "kind: Config\nusers: [{name: a, user: {}}]\n",
            "u",
            EXE,
            &args,
        )
        .unwrap_err();
        assert!(err.to_string().contains("kubeconfig:2:"), "{err}");
        for text in [
            "contexts:\n- name: c\n  context: {user: a}\n",
            "contexts: [{name: c, context: {user: a}}]\n",
        ] {
            assert!(pointing(path, text, "c", "u").is_err(), "{text}");
        }
        // Already pointing at the user: nothing to do.
        let text = "contexts:\n- name: c\n  context:\n    user: u\n";
        assert_eq!(pointing(path, text, "c", "u").unwrap(), text);
    }

    #[test]
    fn keys_and_values_read_as_yaml_reads_them() {
        assert_eq!(
            key_value("user: nobody   # for now"),
            Some(("user".into(), Val::Scalar("nobody".into())))
        );
        assert_eq!(
            key_value("'na''me': \"a#b\" # c"),
            Some(("na'me".into(), Val::Scalar("a#b".into())))
        );
        assert_eq!(
            key_value("users:  # none"),
            Some(("users".into(), Val::Block))
        );
        assert_eq!(
            key_value("users: []  # none"),
            Some(("users".into(), Val::Flow("[]".into())))
        );
        assert_eq!(
            key_value("server: https://h:6443"),
            Some(("server".into(), Val::Scalar("https://h:6443".into())))
        );
        assert_eq!(key_value("# a: comment"), None);
        assert_eq!(key_value("- x"), None);
    }

    #[test]
    fn a_target_name_that_reads_as_an_option_is_one_argument() {
        assert_eq!(exec_args("demo"), ["kube-credential", "--target", "demo"]);
        assert_eq!(exec_args("-x"), ["kube-credential", "--target=-x"]);
    }
}
