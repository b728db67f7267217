//! Credentials from a netrc file (`~/.netrc`, or `$NETRC`), read as curl and Python
//! read it.
//!
//! Traps: tokens may be laid out in any whitespace, quoted with `\` escapes, and
//! `macdef` bodies run to the next blank line; a broken file is no credentials,
//! never an error; host names match without regard to case.

/// The entries of one netrc file, in file order.
#[derive(Clone, Debug, Default)]
pub struct Netrc(Vec<Entry>);

/// One `machine` (or `default`) entry of a netrc file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    /// `None` for `default`.
    machine: Option<String>,
    login: String,
    password: String,
}

impl Netrc {
    /// Parses a netrc file the way curl and Python do: whitespace-separated tokens in
    /// any layout, `#` comments, double-quoted tokens with `\` escapes, and `macdef`
    /// bodies (up to the next blank line) skipped. Anything else unknown is ignored.
    pub fn parse(text: &str) -> Netrc {
        let mut entries: Vec<Entry> = Vec::new();
        let mut tokens = Tokens { rest: text };
        while let Some(token) = tokens.next() {
            match token.as_str() {
                "machine" => {
                    if let Some(host) = tokens.next() {
                        entries.push(Entry {
                            machine: Some(host.to_ascii_lowercase()),
                            login: String::new(),
                            password: String::new(),
                        });
                    }
                }
                "default" => entries.push(Entry {
                    machine: None,
                    login: String::new(),
                    password: String::new(),
                }),
                "login" | "password" | "account" => {
                    let value = tokens.next().unwrap_or_default();
                    if let Some(entry) = entries.last_mut() {
                        match token.as_str() {
                            "login" => entry.login = value,
                            "password" => entry.password = value,
                            _ => {}
                        }
                    }
                }
                "macdef" => tokens.skip_macro(),
                _ => {}
            }
        }
        Netrc(entries)
    }
}

struct Tokens<'a> {
    rest: &'a str,
}

impl Tokens<'_> {
    fn next(&mut self) -> Option<String> {
        loop {
            self.rest = self.rest.trim_start();
            if self.rest.starts_with('#') {
                let end = self.rest.find('\n').unwrap_or(self.rest.len());
                self.rest = &self.rest[end..];
                continue;
            }
            break;
        }
        if self.rest.is_empty() {
            return None;
        }
        let mut token = String::new();
        if let Some(quoted) = self.rest.strip_prefix('"') {
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            token.push(escaped);
                        }
                    }
                    c => token.push(c),
                }
            }
            self.rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = self
                .rest
                .find(char::is_whitespace)
                .unwrap_or(self.rest.len());
            token.push_str(&self.rest[..end]);
            self.rest = &self.rest[end..];
        }
        Some(token)
    }

    /// Skips a macro's name and body, which ends at the first blank line.
    fn skip_macro(&mut self) {
        let end = self
            .rest
            .find("\n\n")
            .or_else(|| self.rest.find("\n\r\n"))
            .map_or(self.rest.len(), |i| i + 1);
        self.rest = &self.rest[end..];
    }
}

impl Netrc {
    /// The first entry for `host`, else the `default` entry, as `(login, password)`.
    pub fn lookup(&self, host: &str) -> Option<(String, String)> {
        let entries = &self.0;
        entries
            .iter()
            .find(|e| e.machine.as_deref() == Some(&host.to_ascii_lowercase()))
            .or_else(|| entries.iter().find(|e| e.machine.is_none()))
            .map(|e| (e.login.clone(), e.password.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(machine: Option<&str>, login: &str, password: &str) -> Entry {
        Entry {
            machine: machine.map(String::from),
            login: login.into(),
            password: password.into(),
        }
    }

    #[test]
    fn parses_netrc_layouts() {
        let text = "# a comment\nmachine Cache.Example login alice password wonderland\n\
                    machine other.example\n\tlogin  bob\n\n  password \"p:ss w\\\"örd\" # trailing\n\
                    macdef init\ncd /pub\nmachine evil login x password y\n\n\
                    default login anonymous password me@example.com account acct\n";
        assert_eq!(
            Netrc::parse(text).0,
            vec![
                entry(Some("cache.example"), "alice", "wonderland"),
                entry(Some("other.example"), "bob", "p:ss w\"örd"),
                entry(None, "anonymous", "me@example.com"),
            ]
        );
    }

    #[test]
    fn netrc_lookup_prefers_the_host_then_default() {
        let entries = Netrc::parse(
            "default login d password dp\nmachine a.example login a password ap\nmachine a.example login a2 password ap2",
        );
        assert_eq!(entries.lookup("A.example"), Some(("a".into(), "ap".into())));
        assert_eq!(entries.lookup("b.example"), Some(("d".into(), "dp".into())));
        assert_eq!(Netrc::parse("machine a login x").lookup("b"), None);
    }

    #[test]
    fn tolerates_broken_netrc_files() {
        for text in [
            "",
            "machine",
            "login orphan password nobody",
            "machine h login",
            "machine h password \"unterminated",
            "macdef",
            "\"",
            "#",
        ] {
            let entries = Netrc::parse(text);
            assert!(entries.0.len() <= 1, "{text}: {entries:?}");
        }
        assert_eq!(
            Netrc::parse("machine h password \"unterminated").0,
            vec![entry(Some("h"), "", "unterminated")]
        );
    }
}
