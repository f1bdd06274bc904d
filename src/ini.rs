//! INI files as Python's configparser reads them, for the clients whose configs are INI: pip's
//! `pip.conf` and the AWS CLI's `config` and `credentials` (botocore reads them with configparser
//! too). One reader, so `doctor` reads every INI file by the same rules.

/// One `key = value` of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub section: String,
    /// Lower-cased, as configparser's default `optionxform` does.
    pub key: String,
    pub value: String,
}

/// The entries of `text`, in order: `#` and `;` comment lines, `key = value` or `key: value`,
/// indented lines continuing the value above (only after a key), keys lower-cased; lines before
/// any `[section]` and lines that are none of these are skipped.
pub(crate) fn entries(text: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut section = None::<String>;
    // Whether an indented line continues a value: only right after a key of the same section.
    let mut in_value = false;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with(['#', ';']) {
            continue;
        }
        if in_value
            && line.starts_with([' ', '\t'])
            && let Some(last) = out.last_mut()
        {
            last.value.push('\n');
            last.value.push_str(t);
        } else if let Some(name) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = Some(name.trim().to_owned());
            in_value = false;
        } else if let (Some(at), Some(section)) = (t.find(['=', ':']), &section) {
            out.push(Entry {
                section: section.clone(),
                key: t[..at].trim().to_ascii_lowercase(),
                value: t[at + 1..].trim().to_owned(),
            });
            in_value = true;
        } else {
            in_value = false;
        }
    }
    out
}

/// The last value of `key` in `section`, as configparser keeps the last one.
pub(crate) fn get<'a>(entries: &'a [Entry], section: &str, key: &str) -> Option<&'a str> {
    entries
        .iter()
        .rev()
        .find(|e| e.section == section && e.key == key)
        .map(|e| e.value.as_str())
}

/// `text` with `lines` (each ending in a newline) added at the end of `[section]`, before the
/// blank lines that end it, after a marker comment naming `name` (see `setup::MARKER`); `text`
/// unchanged when it has no such section.
pub(crate) fn add_to_section(text: &str, section: &str, marker: &str, lines: &str) -> String {
    let header = format!("[{section}]");
    let all: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(start) = all.iter().position(|l| l.trim() == header) else {
        return text.to_owned();
    };
    let end = all[start + 1..]
        .iter()
        .position(|l| l.trim().starts_with('['))
        .map_or(all.len(), |i| start + 1 + i);
    let mut at = end;
    while at > start + 1 && all[at - 1].trim().is_empty() {
        at -= 1;
    }
    let mut out = all[..at].concat();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(marker);
    out.push('\n');
    out.push_str(lines);
    out.push_str(&all[at..].concat());
    out
}

/// Whether every line of `text` is one configparser reads: `[section]`, `key = value` (or
/// `key: value`), a comment, a blank line or an indented continuation. The first line that is
/// not, 1-based.
pub(crate) fn bad_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let t = line.trim();
            !(t.is_empty()
                || t.starts_with(['#', ';'])
                || (t.starts_with('[') && t.ends_with(']'))
                || line.starts_with([' ', '\t'])
                || t.contains(['=', ':']))
        })
        .map(|n| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_configparser_syntax_comments_continuations_and_the_last_value() {
        let text = "top = skipped\n[global]\n; a comment\nIndex-URL = https://a/\n  https://b/\n# x\nkeyring-provider: import\n[install]\nkeyring-provider=subprocess\nkeyring-provider = subprocess2\nno separator here\n   not a continuation\n";
        let e = entries(text);
        assert_eq!(
            get(&e, "global", "index-url"),
            Some("https://a/\nhttps://b/")
        );
        assert_eq!(get(&e, "global", "keyring-provider"), Some("import"));
        assert_eq!(get(&e, "install", "keyring-provider"), Some("subprocess2"));
        assert_eq!(get(&e, "global", "top"), None);
        assert_eq!(e.len(), 4);
    }
}
