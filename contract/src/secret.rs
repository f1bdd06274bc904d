//! A token that cannot be printed by accident.

use std::fmt;

/// A secret string. `Debug` prints `<redacted>`; there is deliberately no `Display`, so
/// `format!("{token}")` into a header or a file does not compile (rather than silently writing
/// the word `<redacted>`). The value is reached only through [`Secret::expose`], so every place
/// that writes a token out is greppable.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value_and_expose_does() {
        let s = Secret::new("hunter2-token".into());
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s:#?}"), "<redacted>");
        assert_eq!(s.expose(), "hunter2-token");
    }

    #[test]
    fn debug_of_a_struct_holding_a_secret_stays_redacted() {
        // `Secret` has no `Display` (so `format!("{s}")` does not compile); the one printable
        // form is `Debug`, which is what derived `Debug`s of containing types use.
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            token: Secret,
        }
        let h = Holder {
            token: Secret::new("hunter2-token".into()),
        };
        let shown = format!("{h:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
