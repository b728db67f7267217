//! The few elements of S3's XML answers the client needs, read by hand: each is a
//! leaf (or a flat group of leaves) named without attributes, so finding
//! `<Name>…</Name>` and decoding the entities and character references (with the
//! index pages' decoder, a superset of XML's five) is the whole parser. Answers
//! are read bounded before they get here.

use crate::standards::simple::decode_entities;

/// The raw inner text of each `<name>…</name>` in `xml`, in order. An empty
/// `<name/>` counts as empty text.
pub fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}>");
    let empty = format!("<{name}/>");
    let close = format!("</{name}>");
    let mut found = Vec::new();
    let mut rest = xml;
    loop {
        let at_open = rest.find(&open);
        let at_empty = rest.find(&empty);
        match (at_open, at_empty) {
            (Some(o), e) if e.is_none_or(|e| o < e) => {
                let inner = &rest[o + open.len()..];
                let Some(end) = inner.find(&close) else { break };
                found.push(&inner[..end]);
                rest = &inner[end + close.len()..];
            }
            (_, Some(e)) => {
                found.push("");
                rest = &rest[e + empty.len()..];
            }
            _ => break,
        }
    }
    found
}

/// The decoded text of the first `<name>` in `xml`.
pub fn first(xml: &str, name: &str) -> Option<String> {
    elements(xml, name).first().map(|raw| decode_entities(raw))
}

/// `text` with the characters XML reserves escaped, for a request body.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_listing_page() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix/>
<Contents><Key>a&amp;b-1.0+x.whl</Key><ETag>&quot;9b2&quot;</ETag><Size>12</Size></Contents>
<Contents><Key>c&#x2F;d&#47;</Key><Size>0</Size></Contents>
<IsTruncated>true</IsTruncated><NextContinuationToken>t/1=</NextContinuationToken></ListBucketResult>"#;
        let keys: Vec<String> = elements(xml, "Contents")
            .iter()
            .filter_map(|c| first(c, "Key"))
            .collect();
        assert_eq!(keys, ["a&b-1.0+x.whl", "c/d/"]);
        assert_eq!(first(xml, "ETag").as_deref(), Some("\"9b2\""));
        assert_eq!(first(xml, "Prefix").as_deref(), Some(""));
        assert_eq!(first(xml, "IsTruncated").as_deref(), Some("true"));
        assert_eq!(first(xml, "NextContinuationToken").as_deref(), Some("t/1="));
        assert_eq!(first(xml, "Missing"), None);
    }

    #[test]
    fn stops_at_an_unclosed_element_and_escapes_what_it_sends() {
        assert_eq!(elements("<K>a</K><K>b", "K"), ["a"]);
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
