//! Core metadata as JSON, by the rules of PEP 566 as pip's installation report
//! applies them (pip's `pkg_metadata_to_json`).
//!
//! - <https://peps.python.org/pep-0566/#json-compatible-metadata>
//!
//! Traps:
//! - Only the fields pip knows are kept, each under its name lowercased with `-`
//!   turned into `_`; a field that may appear many times is a list, and any other
//!   takes its first value.
//! - `Keywords` is a list: split at commas if it has any, else at whitespace.
//! - A body after the headers is the description, over any `Description` field.
//! - Values are as Python's `email` parser gives them: leading blanks of the first
//!   line dropped, folded lines kept with their line breaks.

use serde_json::{Map, Value};

/// pip's `METADATA_FIELDS`: every field it reports, and whether it may repeat.
const FIELDS: [(&str, bool); 25] = [
    ("Metadata-Version", false),
    ("Name", false),
    ("Version", false),
    ("Dynamic", true),
    ("Platform", true),
    ("Supported-Platform", true),
    ("Summary", false),
    ("Description", false),
    ("Description-Content-Type", false),
    ("Keywords", false),
    ("Home-page", false),
    ("Download-URL", false),
    ("Author", false),
    ("Author-email", false),
    ("Maintainer", false),
    ("Maintainer-email", false),
    ("License", false),
    ("Classifier", true),
    ("Requires-Dist", true),
    ("Requires-Python", false),
    ("Requires-External", true),
    ("Project-URL", true),
    ("Provides-Extra", true),
    ("Provides-Dist", true),
    ("Obsoletes-Dist", true),
];

/// The JSON form of a METADATA file; bytes that are not UTF-8 are replaced.
pub fn to_json(bytes: &[u8]) -> Map<String, Value> {
    let text = String::from_utf8_lossy(bytes);
    let (headers, body) = split(&text);
    let mut out = Map::new();
    for (field, multi) in FIELDS {
        let mut values = headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(field))
            .map(|(_, value)| value.clone());
        let key = field.to_ascii_lowercase().replace('-', "_");
        let value = if multi {
            let all: Vec<Value> = values.map(Value::String).collect();
            if all.is_empty() {
                continue;
            }
            Value::Array(all)
        } else {
            let Some(value) = values.next() else {
                continue;
            };
            if key == "keywords" {
                let words: Vec<Value> = if value.contains(',') {
                    value.split(',').map(|w| Value::from(w.trim())).collect()
                } else {
                    value.split_whitespace().map(Value::from).collect()
                };
                Value::Array(words)
            } else {
                Value::String(value)
            }
        };
        out.insert(key, value);
    }
    if !body.is_empty() {
        out.insert("description".to_string(), Value::String(body.to_string()));
    }
    out
}

/// The headers (name, value) in order and the body, as `email` splits them: the
/// headers end at a blank line (which is dropped) or at the first line that is
/// neither a header nor a continuation (which starts the body).
fn split(text: &str) -> (Vec<(String, String)>, &str) {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find('\n').map_or(rest.len(), |at| at + 1);
        let raw = &rest[..end];
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.is_empty() {
            return (headers, &rest[end..]);
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push('\n');
                value.push_str(line);
            }
        } else {
            match line.split_once(':') {
                Some((name, value))
                    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    headers.push((
                        name.to_string(),
                        value.trim_start_matches([' ', '\t']).to_string(),
                    ));
                }
                _ => return (headers, rest),
            }
        }
        rest = &rest[end..];
    }
    (headers, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_pep_566_as_pip_does() {
        let json = to_json(
            b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: a demo  \n\
              Keywords: a, b ,c\nClassifier: X\nClassifier: Y\nRequires-Dist: b>=1\n\
              Description: old\n  |folded\nX-Unknown: dropped\n\nThe body.\n",
        );
        assert_eq!(json["metadata_version"], "2.1");
        assert_eq!(json["summary"], "a demo  ");
        assert_eq!(json["keywords"], serde_json::json!(["a", "b", "c"]));
        assert_eq!(json["classifier"], serde_json::json!(["X", "Y"]));
        assert_eq!(json["requires_dist"], serde_json::json!(["b>=1"]));
        assert_eq!(json["description"], "The body.\n");
        assert!(!json.contains_key("x_unknown"));
        let spaced = to_json(b"Name: x\nKeywords: one two\nDescription: first\n  |second\n");
        assert_eq!(spaced["keywords"], serde_json::json!(["one", "two"]));
        assert_eq!(spaced["description"], "first\n  |second");
    }
}
