//! `setup terraform`: the `credentials_helper "ecluse"` block in Terraform's CLI config
//! (`TF_CLI_CONFIG_FILE`, else `~/.terraformrc`) and the `terraform-credentials-ecluse` helper in
//! `~/.terraform.d/plugins/`, the only place Terraform looks for it (never PATH). Only one
//! `credentials_helper` may exist across Terraform's config: another one is a refusal.
//!
//! The block sits between setup's own comment lines, `# ecluse-cred setup: credentials_helper`
//! and `# ecluse-cred setup: end credentials_helper`, which is all `--undo` looks for: what the
//! block or the user's other blocks hold (a `{` in a string) does not matter. A block from an
//! older setup (no end line) is found by its braces, counted outside HCL strings and comments.

use super::{Edit, MARKER, Plan, Wiring, env_path, file, home, with_block, without_block};
use crate::error::{Error, Result};

/// The marker name: the helper serves every host, not one URL.
const NAME: &str = "credentials_helper";
const BLOCK: &str = "credentials_helper \"ecluse\" {\n  args = []\n}\n";
/// The comment line that closes setup's block (the opening one is `# MARKER NAME`).
const END: &str = "end credentials_helper";

pub(crate) fn cli_config() -> Result<std::path::PathBuf> {
    match env_path("TF_CLI_CONFIG_FILE") {
        Some(path) => Ok(path),
        None => Ok(home()?.join(".terraformrc")),
    }
}

/// `text` without setup's block: its opening marker line, through its closing one, whatever the
/// user changed inside it since. Without a closing line (an older setup's block), through the
/// `credentials_helper` block's closing brace.
fn without_helper_block(text: &str) -> String {
    let marker = format!("# {MARKER} {NAME}");
    let end = format!("# {MARKER} {END}");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let bare = |l: &str| l.trim_end_matches(['\n', '\r']).trim_end().to_owned();
    let Some(at) = lines.iter().position(|l| bare(l) == marker) else {
        return text.to_owned();
    };
    if let Some(last) = lines[at + 1..].iter().position(|l| bare(l) == end) {
        return [&lines[..at], &lines[at + 1 + last + 1..]]
            .concat()
            .concat();
    }
    if !lines
        .get(at + 1)
        .is_some_and(|l| l.trim_start().starts_with("credentials_helper \"ecluse\""))
    {
        return without_block(text, "#", NAME, |_| false);
    }
    let start: usize = lines[..at + 1].iter().map(|l| l.len()).sum();
    match block_end(&text[start..]) {
        Some(len) => {
            // The rest of the line the closing brace is on goes too, with its newline.
            let after = start + len;
            let after = text[after..]
                .find('\n')
                .map_or(text.len(), |n| after + n + 1);
            let before: usize = lines[..at].iter().map(|l| l.len()).sum();
            format!("{}{}", &text[..before], &text[after..])
        }
        // Braces that never close: the marker goes, the rest is the user's to look at.
        None => without_block(text, "#", NAME, |_| false),
    }
}

/// The length of `text` up to and including the brace that closes its first `{`, counting
/// braces outside HCL strings (`"..."`, with `\` escapes) and comments (`#`, `//`, `/* */`);
/// `None` if it never closes.
fn block_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '#' => {
                chars.find(|&(_, c)| c == '\n');
            }
            '/' if chars.peek().is_some_and(|&(_, c)| c == '/') => {
                chars.find(|&(_, c)| c == '\n');
            }
            '/' if chars.peek().is_some_and(|&(_, c)| c == '*') => {
                chars.next();
                let mut star = false;
                for (_, c) in chars.by_ref() {
                    if star && c == '/' {
                        break;
                    }
                    star = c == '*';
                }
            }
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where Terraform looks for the `terraform-credentials-ecluse` helper.
pub(crate) fn plugin() -> Result<std::path::PathBuf> {
    Ok(home()?
        .join(".terraform.d/plugins")
        .join(crate::shims::TERRAFORM))
}

pub(super) fn plan(w: &Wiring<'_>) -> Result<Plan> {
    let path = file(w.args, cli_config)?;
    let link = plugin()?;
    // Terraform asks by host name and then sends the token to any path of that host: only a
    // target that serves the whole host may be asked.
    if !w.args.undo {
        let request = crate::request::Request::url(w.url)?;
        let host = crate::protocol::docker::registry_name(&request);
        let asked = crate::protocol::terraform::target_for(&w.ctx.config, &host)?;
        super::check_asked_by_host(w, "Terraform", &host, asked)?;
    }
    // Terraform merges `~/.terraform.d/*.tfrc` in when TF_CLI_CONFIG_FILE is not set.
    let others: Vec<std::path::PathBuf> = if env_path("TF_CLI_CONFIG_FILE").is_none() {
        std::fs::read_dir(home()?.join(".terraform.d"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "tfrc"))
            .collect()
    } else {
        Vec::new()
    };
    let edit = Edit::of(path.clone(), false, |old| {
        let rest = without_helper_block(old);
        if w.args.undo {
            return Ok(rest);
        }
        let mut seen = vec![(path.clone(), rest.clone())];
        seen.extend(
            others
                .iter()
                .filter_map(|p| Some((p.clone(), std::fs::read_to_string(p).ok()?))),
        );
        for (file, text) in seen {
            if let Some(n) = text
                .lines()
                .position(|l| l.trim_start().starts_with("credentials_helper"))
            {
                return Err(Error::config(format!(
                    "{}:{}: a credentials_helper is already configured, and Terraform allows one; remove it and run setup again",
                    file.display(),
                    n + 1
                )));
            }
        }
        Ok(with_block(
            &rest,
            "#",
            NAME,
            &format!("{BLOCK}# {MARKER} {END}\n"),
        ))
    })?;
    Ok(Plan {
        edits: vec![edit],
        shim: None,
        links: vec![link],
        done: "terraform: credentials_helper \"ecluse\" answers for every host a target serves"
            .to_owned(),
        next: format!("terraform init (modules and providers from {})", w.url),
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of the user's before and after setup's, with braces in strings and comments.
    const BEFORE: &str = "# a { in a comment\nhost \"example.com\" {\n  services = {\n    \"modules.v1\" = \"https://example.com/{x}/\" # }\n  }\n}\n";
    const AFTER: &str =
        "/* } { */\nprovider_installation {\n  direct { exclude = [\"a/}\"] } // {\n}\n";

    #[test]
    fn undo_takes_out_setups_block_between_its_markers_and_nothing_else() {
        let set_up = with_block(BEFORE, "#", NAME, &format!("{BLOCK}# {MARKER} {END}\n"));
        assert_eq!(without_helper_block(&set_up), BEFORE);
        // What the user wrote after it, and inside it, does not move the end.
        let edited = format!("{set_up}{AFTER}").replace("args = []", "args = [\"{\"]");
        assert_eq!(without_helper_block(&edited), format!("{BEFORE}{AFTER}"));
    }

    #[test]
    fn undo_of_an_older_setups_block_counts_braces_outside_strings_and_comments() {
        let old = format!(
            "{BEFORE}# {MARKER} {NAME}\ncredentials_helper \"ecluse\" {{\n  args = [\"--x={{\", \"/*\"] # }}\n}}\n{AFTER}"
        );
        assert_eq!(without_helper_block(&old), format!("{BEFORE}{AFTER}"));
        // The plain block of an older setup, as it wrote it.
        let old = format!("{BEFORE}# {MARKER} {NAME}\n{BLOCK}{AFTER}");
        assert_eq!(without_helper_block(&old), format!("{BEFORE}{AFTER}"));
    }

    #[test]
    fn braces_that_never_close_take_out_only_the_marker() {
        let old = format!("{BEFORE}# {MARKER} {NAME}\ncredentials_helper \"ecluse\" {{\n");
        assert_eq!(
            without_helper_block(&old),
            format!("{BEFORE}credentials_helper \"ecluse\" {{\n")
        );
    }
}
