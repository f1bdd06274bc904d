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
