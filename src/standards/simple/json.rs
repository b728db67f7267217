//! A PEP 691 page read into only what the page reader looks at: the fields it
//! names, strings borrowed from the body unless they hold escapes, everything else
//! skipped as it is parsed. PyPI's largest pages list tens of thousands of files;
//! a tree of maps holding every field of each (upload times, other hashes) cost
//! more than all the rest of reading them, and memory in proportion.
//!
//! A field of an unexpected type is no error here: it is kept as what it is, and
//! the page reader decides what it means, as it would with any JSON value.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The object keys the page reader asks for; any other key's value is skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    Meta,
    ApiVersion,
    Files,
    Filename,
    Url,
    Hashes,
    Sha256,
    RequiresPython,
    Yanked,
    CoreMetadata,
    DistInfoMetadata,
    Size,
}

impl Field {
    fn named(key: &str) -> Option<Field> {
        Some(match key {
            "meta" => Field::Meta,
            "api-version" => Field::ApiVersion,
            "files" => Field::Files,
            "filename" => Field::Filename,
            "url" => Field::Url,
            "hashes" => Field::Hashes,
            "sha256" => Field::Sha256,
            "requires-python" => Field::RequiresPython,
            "yanked" => Field::Yanked,
            "core-metadata" => Field::CoreMetadata,
            "dist-info-metadata" => Field::DistInfoMetadata,
            "size" => Field::Size,
            _ => return None,
        })
    }
}

/// A JSON value with only the [`Field`]s of its objects kept.
#[derive(Debug)]
pub(super) enum Json<'a> {
    Null,
    Bool(bool),
    /// The number if it is a whole one that fits a `u64`.
    Number(Option<u64>),
    Text(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// The kept fields in the order written; a field written twice counts by its
    /// last value, as in any JSON object reader.
    Object(Vec<(Field, Json<'a>)>),
}

impl<'a> Json<'a> {
    pub(super) fn parse(body: &'a [u8]) -> Result<Json<'a>, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let value = Json::deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(value)
    }

    /// The value of `field`, if this is an object that has it.
    pub(super) fn get(&self, field: Field) -> Option<&Json<'a>> {
        match self {
            Json::Object(fields) => fields
                .iter()
                .rev()
                .find(|(f, _)| *f == field)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Json::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json<'de>, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(Some(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(u64::try_from(v).ok()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Json<'de>, E> {
        Ok(Json::Number(None))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::Text(Cow::Owned(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::Text(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut fields = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            match key.0 {
                Some(field) => fields.push((field, map.next_value()?)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Json::Object(fields))
    }
}

/// An object key: the field it names, if the reader asks for it.
struct Key(Option<Field>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key(Field::named(v)))
    }
}
