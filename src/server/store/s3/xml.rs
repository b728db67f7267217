//! The few elements of S3's XML answers the client needs, read by hand: each is a
//! leaf (or a flat group of leaves) named without attributes, so finding
//! `<Name>…</Name>` and decoding the five entities and character references is
//! the whole parser. Answers are read bounded before they get here.

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
    elements(xml, name).first().map(|raw| unescape(raw))
}

/// Decodes the predefined entities and character references; anything else is
/// kept as written.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let decoded = tail.find(';').filter(|&end| end <= 12).and_then(|end| {
            let entity = &tail[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .map(|h| u32::from_str_radix(h, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
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
    fn keeps_what_is_no_entity_and_stops_at_an_unclosed_element() {
        assert_eq!(
            unescape("a & b &bogus; &#xZZ; &amp"),
            "a & b &bogus; &#xZZ; &amp"
        );
        assert_eq!(elements("<K>a</K><K>b", "K"), ["a"]);
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
