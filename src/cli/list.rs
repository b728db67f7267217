//! `curd list`: the installed projects and their versions, as `pip list` prints
//! them: aligned columns under a header, `name==version` lines, or JSON.

use crate::cli::args::{ListArgs, ListFormat};
use crate::cli::error::CommandError;
use crate::cli::freeze::{describe, open};

/// `curd list`.
pub fn list(args: ListArgs) -> Result<(), CommandError> {
    let env = open(args.python)?;
    // pip sorts by the normalized name, which `describe` already does.
    let rows: Vec<(String, String, Option<String>)> = describe(&env)?
        .iter()
        .map(|d| {
            let location = d.editable_location().map(|p| p.display().to_string());
            (d.name(), d.dist.version.to_string(), location)
        })
        .collect();
    match args.format {
        ListFormat::Columns => print!("{}", columns(&rows)),
        ListFormat::Freeze => {
            for (name, version, _) in &rows {
                println!("{name}=={version}");
            }
        }
        ListFormat::Json => {
            let items: Vec<String> = rows
                .iter()
                .map(|(name, version, location)| {
                    let mut pairs = vec![("name", name.as_str()), ("version", version.as_str())];
                    if let Some(location) = location {
                        pairs.push(("editable_project_location", location.as_str()));
                    }
                    let pairs: Vec<String> = pairs
                        .iter()
                        .map(|(key, value)| format!("{}: {}", py_string(key), py_string(value)))
                        .collect();
                    format!("{{{}}}", pairs.join(", "))
                })
                .collect();
            println!("[{}]", items.join(", "));
        }
    }
    Ok(())
}

/// A JSON string as Python's `json.dumps` writes it by default: ASCII only, other
/// characters as `\uXXXX` (UTF-16, so pairs above the BMP), so that scripts
/// comparing with pip's output see the same bytes.
fn py_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            '\n' => out += "\\n",
            '\r' => out += "\\r",
            '\t' => out += "\\t",
            '\u{8}' => out += "\\b",
            '\u{c}' => out += "\\f",
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out += &format!("\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

/// pip's columns: a header, a rule of dashes, then the rows, each column as wide as
/// its widest cell, one space between, trailing spaces trimmed; nothing at all for
/// an empty environment. The editable column only when a project is editable.
fn columns(rows: &[(String, String, Option<String>)]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let editable = rows.iter().any(|(_, _, location)| location.is_some());
    let mut table: Vec<Vec<String>> = vec![vec!["Package".into(), "Version".into()]];
    if editable {
        table[0].push("Editable project location".into());
    }
    for (name, version, location) in rows {
        let mut row = vec![name.clone(), version.clone()];
        if editable {
            row.push(location.clone().unwrap_or_default());
        }
        table.push(row);
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|i| {
            table
                .iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    table.insert(1, rule);
    let mut out = String::new();
    for row in table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        out += cells.join(" ").trim_end();
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let rows = [
            ("attrs".to_string(), "23.1.0".to_string(), None),
            ("Flask-Login".to_string(), "0.6".to_string(), None),
        ];
        assert_eq!(
            columns(&rows),
            "Package     Version\n----------- -------\nattrs       23.1.0\nFlask-Login 0.6\n"
        );
        assert_eq!(columns(&[]), "");
    }

    #[test]
    fn strings_are_escaped_as_python_writes_them() {
        assert_eq!(py_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(py_string("é😀\n"), r#""\u00e9\ud83d\ude00\n""#);
    }
}
