//! Where each key sits in the text, so errors can carry a key path and line.
//!
//! toml's own errors give only a byte span; a second, schema-free parse
//! records the span of every value under its key path and maps spans back.

use std::fmt;
use std::ops::Range;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// toml hands datetimes to visitors as a one-entry map under this key.
const DATETIME_KEY: &str = "$__toml_private_datetime";

enum Node {
    Table(Vec<(String, Spanned<Node>)>),
    Array(Vec<Spanned<Node>>),
    Leaf,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any TOML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Leaf)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Leaf)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Leaf)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Leaf)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Leaf)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == DATETIME_KEY {
                map.next_value::<IgnoredAny>()?;
                return Ok(Node::Leaf);
            }
            entries.push((key, map.next_value()?));
        }
        Ok(Node::Table(entries))
    }
}

/// Every value's key path (`bridge[0].port[1].ofport`) and byte span.
pub(crate) struct SpanIndex<'a> {
    text: &'a str,
    entries: Vec<(String, Range<usize>)>,
}

/// A key as one path segment: bare when TOML allows it, else quoted.
pub(crate) fn segment(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        segment(key)
    } else {
        format!("{parent}.{}", segment(key))
    }
}

/// The key path one level up, or None at the top.
fn parent(path: &str) -> Option<&str> {
    if path.ends_with(']') {
        path.rfind('[').map(|i| &path[..i])
    } else {
        path.rfind('.').map(|i| &path[..i])
    }
}

impl<'a> SpanIndex<'a> {
    /// None when the text is not TOML at all (then there is nothing to locate).
    pub(crate) fn build(text: &'a str) -> Option<Self> {
        let root: Node = toml::from_str(text).ok()?;
        let mut index = SpanIndex {
            text,
            entries: Vec::new(),
        };
        index.walk(&root, "");
        Some(index)
    }

    fn walk(&mut self, node: &Node, path: &str) {
        match node {
            Node::Table(entries) => {
                for (key, value) in entries {
                    let child = join(path, key);
                    self.entries.push((child.clone(), value.span()));
                    self.walk(value.get_ref(), &child);
                }
            }
            Node::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let child = format!("{path}[{i}]");
                    self.entries.push((child.clone(), item.span()));
                    self.walk(item.get_ref(), &child);
                }
            }
            Node::Leaf => {}
        }
    }

    /// Key path of the error at byte `at`. Unknown-key errors point at the
    /// key itself, which precedes (or, for `[table]` headers, lies inside)
    /// that key's value; other errors point inside the offending value.
    pub(crate) fn locate(&self, at: usize, message: &str) -> Option<String> {
        if let Some(field) = unknown_field(message) {
            let seg = segment(field);
            let suffix = format!(".{seg}");
            return self
                .entries
                .iter()
                .filter(|(p, s)| {
                    (*p == seg || p.ends_with(&suffix)) && (s.contains(&at) || s.start >= at)
                })
                .min_by_key(|(_, s)| s.start.abs_diff(at))
                .map(|(p, _)| p.clone());
        }
        self.entries
            .iter()
            .filter(|(_, s)| s.contains(&at) || (s.is_empty() && s.start == at))
            .max_by_key(|(p, s)| (p.len(), std::cmp::Reverse(s.len())))
            .map(|(p, _)| p.clone())
    }

    /// 1-based line of `path`, or of its nearest enclosing key present in the
    /// text (a defaulted key has no line of its own).
    pub(crate) fn line_of(&self, path: &str) -> Option<usize> {
        let mut path = path;
        loop {
            if let Some((_, span)) = self.entries.iter().find(|(p, _)| p == path) {
                return Some(position(self.text, span.start).0);
            }
            path = parent(path)?;
        }
    }
}

fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// 1-based (line, column in characters) of byte offset `at`.
pub(crate) fn position(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
[switch]
pmd_cores = [1, 2]
when = 1979-05-27T07:32:00Z

[[bridge]]
name = \"br0\"

[[bridge.port]]
name = \"p1\"
ofport = \"one\"
";

    #[test]
    fn indexes_nested_keys_and_lines() {
        let idx = SpanIndex::build(TEXT).unwrap();
        assert_eq!(idx.line_of("switch.pmd_cores[1]"), Some(2));
        assert_eq!(idx.line_of("bridge[0].name"), Some(6));
        assert_eq!(idx.line_of("bridge[0].port[0].ofport"), Some(10));
        // Absent keys fall back to their table.
        assert_eq!(idx.line_of("bridge[0].port[0].devargs"), Some(8));
        assert_eq!(idx.line_of("mempool.mbufs"), None);
    }

    #[test]
    fn locates_values_and_unknown_keys() {
        let idx = SpanIndex::build(TEXT).unwrap();
        let at = TEXT.find("\"one\"").unwrap();
        assert_eq!(
            idx.locate(at, "invalid type").as_deref(),
            Some("bridge[0].port[0].ofport")
        );
        let at = TEXT.find("when").unwrap();
        assert_eq!(
            idx.locate(at, "unknown field `when`, expected one of ...")
                .as_deref(),
            Some("switch.when")
        );
    }

    #[test]
    fn positions() {
        assert_eq!(position("a\nbc\n", 0), (1, 1));
        assert_eq!(position("a\nbc\n", 3), (2, 2));
        assert_eq!(position("é\nx", 3), (2, 1));
    }

    #[test]
    fn segments() {
        assert_eq!(segment("ofport"), "ofport");
        assert_eq!(segment("a b"), "\"a b\"");
        assert_eq!(parent("bridge[0].port[1]"), Some("bridge[0].port"));
        assert_eq!(parent("bridge[0].port"), Some("bridge[0]"));
        assert_eq!(parent("bridge"), None);
    }
}
