//! A spanned YAML tree built from `saphyr-parser` events, with the YAML 1.2
//! core schema for plain scalars.
//!
//! Duplicate keys, non-scalar keys, several documents, too deep nesting and
//! alias bombs are refused here, each at its line and column.

use std::collections::HashMap;
use std::path::Path;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::Value;
use crate::error::{Error, Location, Result};

/// The deepest nesting of sequences and mappings a file may have.
pub(crate) const MAX_DEPTH: usize = 64;
/// The most nodes a file may expand to, aliases included.
pub(crate) const MAX_NODES: usize = 100_000;
/// The most bytes of scalar and key text a file may expand to, aliases
/// included: an alias of a large scalar costs one node but all its bytes.
pub(crate) const MAX_TEXT_BYTES: usize = 64 * 1024 * 1024;

/// A YAML node with the 1-based line and column where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub line: usize,
    pub column: usize,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    /// A scalar: its text, whether it was plain (unquoted, not a block
    /// scalar), and its tag (`!!str` for core tags, else as written).
    Scalar { text: String, plain: bool, tag: Option<String> },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order; keys are unique.
    Map(Vec<(Key, Node)>),
}

/// A mapping key (always a scalar) and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    pub text: String,
    pub line: usize,
    pub column: usize,
}

/// An error found while turning a node into a value: line, column, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Node {
    /// The value of `key` in a mapping (`None` for other nodes).
    #[cfg(test)]
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|(k, _)| k.text == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// "a scalar", "a sequence" or "a mapping", for messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Scalar { .. } => "a scalar",
            NodeKind::Seq(_) => "a sequence",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// The core-schema value of a scalar node (`None` for collections).
    pub(crate) fn scalar(&self) -> Option<Result<Value, NodeError>> {
        match &self.kind {
            NodeKind::Scalar { text, plain, tag } => {
                Some(scalar_value(text, *plain, tag.as_deref()).map_err(|m| self.error(m)))
            }
            _ => None,
        }
    }

    /// The node as JSON: scalars by the core schema, sequences as arrays,
    /// mappings as objects.
    pub(crate) fn to_json(&self) -> Result<Value, NodeError> {
        match &self.kind {
            NodeKind::Scalar { text, plain, tag } => {
                scalar_value(text, *plain, tag.as_deref()).map_err(|m| self.error(m))
            }
            NodeKind::Seq(items) => items.iter().map(Node::to_json).collect::<Result<_, _>>().map(Value::Array),
            NodeKind::Map(entries) => {
                let mut object = serde_json::Map::new();
                for (k, v) in entries {
                    object.insert(k.text.clone(), v.to_json()?);
                }
                Ok(Value::Object(object))
            }
        }
    }

    /// An error at this node.
    pub(crate) fn error(&self, message: impl Into<String>) -> NodeError {
        NodeError { line: self.line, column: self.column, message: message.into() }
    }

    fn size(&self) -> usize {
        1 + match &self.kind {
            NodeKind::Scalar { .. } => 0,
            NodeKind::Seq(items) => items.iter().map(Node::size).sum(),
            NodeKind::Map(entries) => entries.iter().map(|(_, v)| 1 + v.size()).sum(),
        }
    }

    /// Bytes of scalar and key text in the node.
    fn text_bytes(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar { text, .. } => text.len(),
            NodeKind::Seq(items) => items.iter().map(Node::text_bytes).sum(),
            NodeKind::Map(entries) => entries.iter().map(|(k, v)| k.text.len() + v.text_bytes()).sum(),
        }
    }

    fn height(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar { .. } => 0,
            NodeKind::Seq(items) => 1 + items.iter().map(Node::height).max().unwrap_or(0),
            NodeKind::Map(entries) => 1 + entries.iter().map(|(_, v)| v.height()).max().unwrap_or(0),
        }
    }
}

/// The value of a scalar by the YAML 1.2 core schema. Quoted and block
/// scalars are strings; explicit core tags (`!!str`, `!!int`, ...) win.
pub(crate) fn scalar_value(text: &str, plain: bool, tag: Option<&str>) -> Result<Value, String> {
    match tag {
        None if plain => resolve_plain(text),
        None | Some("!" | "!!str") => Ok(Value::String(text.to_string())),
        Some("!!null") => Ok(Value::Null),
        Some("!!bool") => match resolve_plain(text)? {
            b @ Value::Bool(_) => Ok(b),
            _ => Err(format!("`{text}` is tagged `!!bool` but is not `true` or `false`")),
        },
        Some("!!int") => match resolve_plain(text)? {
            n @ Value::Number(_) if parse_int(text).is_some() => Ok(n),
            _ => Err(format!("`{text}` is tagged `!!int` but is not an integer")),
        },
        Some("!!float") => match resolve_plain(text)? {
            Value::Number(n) => {
                Ok(n.as_f64().and_then(serde_json::Number::from_f64).map_or(Value::Number(n), Value::Number))
            }
            _ => Err(format!("`{text}` is tagged `!!float` but is not a number")),
        },
        Some(other) => Err(format!(
            "unsupported tag `{other}`; only the core tags `!!str`, `!!int`, `!!float`, `!!bool` and `!!null` are read"
        )),
    }
}

fn resolve_plain(text: &str) -> Result<Value, String> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    if let Some(int) = parse_int(text) {
        return int.map_err(|()| format!("integer `{text}` does not fit in 64 bits; quote it to keep it as a string"));
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Err(format!(
            "`{text}` is not a finite number, and JSON cannot hold infinity or NaN; quote it to keep it as a string"
        ));
    }
    if is_core_float(text) {
        let f: f64 = text.parse().map_err(|_| format!("`{text}` is not a number"))?;
        return serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("`{text}` is too large for a 64-bit float; quote it to keep it as a string"));
    }
    Ok(Value::String(text.to_string()))
}

/// A core-schema integer: `None` when `text` is not one, `Err` when it is
/// one that does not fit 64 bits.
fn parse_int(text: &str) -> Option<Result<Value, ()>> {
    let radix = |digits: &str, r: u32| {
        (!digits.is_empty() && digits.chars().all(|c| c.is_digit(r)))
            .then(|| i64::from_str_radix(digits, r).map(Value::from).map_err(|_| ()))
    };
    if let Some(hex) = text.strip_prefix("0x") {
        return radix(hex, 16);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return radix(oct, 8);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        text.parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.trim_start_matches('+').parse::<u64>().map(Value::from))
            .map_err(|_| ()),
    )
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Parses one YAML document into a tree. `prefix` is the dotted key of the
/// file's root (its mount, or empty), used in error messages. An empty file
/// or document is an empty mapping.
pub(crate) fn parse(text: &str, file: &Path, prefix: &str) -> Result<Node> {
    // The parser lets control characters through in plain scalars; YAML
    // does not allow them, and they have no place in keys, names or values.
    if let Some((offset, c)) = text.char_indices().find(|&(_, c)| !is_yaml_printable(c)) {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        let message = format!(
            "the file holds the control character `{}`, which YAML does not allow; remove it (is this a text file?)",
            crate::value::printable(c.encode_utf8(&mut [0; 4]))
        );
        return Err(Error::schema(Location { file: file.to_path_buf(), line, column }, "", message));
    }
    let mut builder = Builder {
        file,
        prefix,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        bytes: 0,
        root: None,
        documents: 0,
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let at = Location { file: file.to_path_buf(), line: e.marker().line(), column: e.marker().col() + 1 };
            // The parser reads flow collections ahead of their events and
            // stops at its own depth limit before the builder's.
            if e.info() == "recursion limit exceeded" {
                let message =
                    format!("nesting far deeper than {MAX_DEPTH} levels (the parser stopped here); flatten the schema");
                return Error::schema(at, "", message);
            }
            Error::schema(at, "", format!("invalid YAML: {}; fix the syntax here", e.info()))
        })?;
        builder.event(event, span)?;
    }
    let empty = |line, column| Node { kind: NodeKind::Map(Vec::new()), line, column };
    Ok(match builder.root {
        None => empty(1, 1),
        Some(Node { kind: NodeKind::Scalar { ref text, plain: true, tag: None }, line, column }) if text.is_empty() => {
            empty(line, column)
        }
        Some(root) => root,
    })
}

/// YAML's `c-printable`: tab, line breaks, and every character but the C0
/// and C1 controls (NEL aside), DEL, and U+FFFE/U+FFFF.
fn is_yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

struct Frame {
    line: usize,
    column: usize,
    anchor: usize,
    /// Dotted key of this collection.
    path: String,
    body: Body,
}

enum Body {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Key, Node)>,
        /// A key waiting for its value.
        pending: Option<Key>,
        /// Key text to the line it first appeared on.
        seen: HashMap<String, usize>,
        /// Indexes in `entries` of plain `<<` merge keys.
        merges: Vec<usize>,
        pending_is_merge: bool,
    },
}

/// What a kept anchor costs each time an alias repeats it.
#[derive(Clone, Copy)]
struct Weight {
    size: usize,
    height: usize,
    bytes: usize,
}

struct Builder<'a> {
    file: &'a Path,
    prefix: &'a str,
    stack: Vec<Frame>,
    /// Anchor id to the node and its weight (size, height, text bytes).
    anchors: HashMap<usize, (Node, Weight)>,
    nodes: usize,
    /// Bytes of scalar and key text so far, aliases included.
    bytes: usize,
    root: Option<Node>,
    documents: usize,
}

fn position(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

/// `prefix.key`, or `key` at the root.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }
}

fn tag_name(tag: &Tag) -> String {
    if tag.is_yaml_core_schema() { format!("!!{}", tag.suffix) } else { tag.to_string() }
}

impl Builder<'_> {
    fn error(&self, line: usize, column: usize, key: impl Into<String>, message: impl Into<String>) -> Error {
        Error::schema(Location { file: self.file.to_path_buf(), line, column }, key, message)
    }

    /// Dotted key of a node that starts now.
    fn child_path(&self) -> String {
        match self.stack.last() {
            None => self.prefix.to_string(),
            Some(Frame { path, body: Body::Map { pending: Some(k), .. }, .. }) => join(path, &k.text),
            Some(frame) => frame.path.clone(),
        }
    }

    fn count(&mut self, n: usize, bytes: usize, line: usize, column: usize, alias: bool) -> Result<()> {
        self.nodes += n;
        self.bytes += bytes;
        if self.bytes > MAX_TEXT_BYTES {
            let mib = MAX_TEXT_BYTES >> 20;
            let message = if alias {
                format!("YAML alias expansion exceeds {mib} MiB of text (an alias bomb?); use fewer aliases")
            } else {
                format!("the file holds more than {mib} MiB of text; split it into several files")
            };
            return Err(self.error(line, column, self.child_path(), message));
        }
        if self.nodes > MAX_NODES {
            let message = if alias {
                format!("YAML alias expansion exceeds {MAX_NODES} nodes (an alias bomb?); use fewer aliases")
            } else {
                format!("the file has more than {MAX_NODES} nodes; split it into several files")
            };
            return Err(self.error(line, column, self.child_path(), message));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<()> {
        let (line, column) = position(&span);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(self.error(
                        line,
                        column,
                        "",
                        "the file holds more than one YAML document; keep one (remove the `---` line) or split it into files",
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, text.len(), line, column, false)?;
                let plain = style == ScalarStyle::Plain;
                let tag = tag.map(|t| tag_name(&t));
                self.complete(
                    Node { kind: NodeKind::Scalar { text: text.into_owned(), plain, tag }, line, column },
                    anchor,
                )?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(Body::Seq(Vec::new()), anchor, tag.as_deref(), line, column)?
            }
            Event::MappingStart(anchor, tag) => {
                let body = Body::Map {
                    entries: Vec::new(),
                    pending: None,
                    seen: HashMap::new(),
                    merges: Vec::new(),
                    pending_is_merge: false,
                };
                self.open(body, anchor, tag.as_deref(), line, column)?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let kind = match frame.body {
                    Body::Seq(items) => NodeKind::Seq(items),
                    Body::Map { entries, merges, .. } => NodeKind::Map(self.merge(entries, &merges, &frame.path)?),
                };
                self.complete(Node { kind, line: frame.line, column: frame.column }, frame.anchor)?;
            }
            Event::Alias(id) => {
                let Some(&(_, Weight { size, height, bytes })) = self.anchors.get(&id) else {
                    return Err(self.error(
                        line,
                        column,
                        self.child_path(),
                        "this alias refers to a node that contains it; YAML cannot hold a recursive value",
                    ));
                };
                if self.stack.len() + height > MAX_DEPTH {
                    return Err(self.error(
                        line,
                        column,
                        self.child_path(),
                        format!("nesting deeper than {MAX_DEPTH} levels (through this alias); flatten the schema"),
                    ));
                }
                self.count(size, bytes, line, column, true)?;
                let mut node = self.anchors[&id].0.clone();
                (node.line, node.column) = (line, column);
                self.complete(node, 0)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn open(&mut self, body: Body, anchor: usize, tag: Option<&Tag>, line: usize, column: usize) -> Result<()> {
        self.count(1, 0, line, column, false)?;
        let path = self.child_path();
        if let Some(Frame { body: Body::Map { pending: None, .. }, .. }) = self.stack.last() {
            return Err(self.error(
                line,
                column,
                path,
                "a mapping key must be a scalar (a name), not a sequence or mapping",
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(
                line,
                column,
                path,
                format!("nesting deeper than {MAX_DEPTH} levels; flatten the schema"),
            ));
        }
        let expected = if matches!(body, Body::Seq(_)) { "!!seq" } else { "!!map" };
        if let Some(tag) = tag.map(tag_name).filter(|t| t != expected && t != "!") {
            return Err(self.error(line, column, path, format!("unsupported tag `{tag}` here; remove it")));
        }
        self.stack.push(Frame { line, column, anchor, path, body });
        Ok(())
    }

    /// Puts a finished node into its parent (or makes it the root).
    fn complete(&mut self, node: Node, anchor: usize) -> Result<()> {
        if anchor != 0 {
            // The kept copy is memory too: it counts against the budget.
            let weight = Weight { size: node.size(), height: node.height(), bytes: node.text_bytes() };
            self.count(weight.size, weight.bytes, node.line, node.column, true)?;
            self.anchors.insert(anchor, (node.clone(), weight));
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match &mut frame.body {
            Body::Seq(items) => items.push(node),
            Body::Map { entries, pending, pending_is_merge, merges, .. } if pending.is_some() => {
                if *pending_is_merge {
                    merges.push(entries.len());
                }
                entries.push((pending.take().unwrap_or_else(|| unreachable!()), node));
            }
            Body::Map { pending, seen, pending_is_merge, .. } => {
                let NodeKind::Scalar { text, plain, .. } = node.kind else {
                    let path = frame.path.clone();
                    return Err(self.error(
                        node.line,
                        node.column,
                        path,
                        "a mapping key must be a scalar (a name), not a sequence or mapping",
                    ));
                };
                *pending_is_merge = plain && text == "<<";
                if !*pending_is_merge {
                    if let Some(first) = seen.get(&text) {
                        let message = format!("duplicate key `{text}` (first at line {first}); remove one of them");
                        let key = join(&frame.path, &text);
                        return Err(self.error(node.line, node.column, key, message));
                    }
                    seen.insert(text.clone(), node.line);
                }
                *pending = Some(Key { text, line: node.line, column: node.column });
            }
        }
        Ok(())
    }

    /// Applies YAML merge keys (`<<: *base` or `<<: [*a, *b]`): keys of the
    /// merged mappings that the mapping does not set itself are added where
    /// the `<<` was; earlier merged mappings win.
    fn merge(&self, entries: Vec<(Key, Node)>, merges: &[usize], path: &str) -> Result<Vec<(Key, Node)>> {
        if merges.is_empty() {
            return Ok(entries);
        }
        // One flag per entry: `merges.contains` in the loops below made a
        // mapping of 45,000 `<<` keys take seconds (quadratic).
        let mut is_merge = vec![false; entries.len()];
        for &i in merges {
            is_merge[i] = true;
        }
        let mut present: std::collections::HashSet<String> =
            entries.iter().zip(&is_merge).filter(|(_, m)| !**m).map(|((k, _), _)| k.text.clone()).collect();
        let mut out = Vec::with_capacity(entries.len());
        for ((key, value), merge) in entries.into_iter().zip(is_merge) {
            if !merge {
                out.push((key, value));
                continue;
            }
            let sources = match value.kind {
                NodeKind::Map(_) => vec![value],
                NodeKind::Seq(items) if items.iter().all(|n| matches!(n.kind, NodeKind::Map(_))) => items,
                _ => {
                    return Err(self.error(
                        value.line,
                        value.column,
                        join(path, "<<"),
                        "a merge key `<<` takes a mapping or a list of mappings (`<<: *base`)",
                    ));
                }
            };
            for source in sources {
                if let NodeKind::Map(items) = source.kind {
                    for (k, v) in items {
                        if present.insert(k.text.clone()) {
                            out.push((k, v));
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use serde_json::json;

    use super::*;

    fn tree(text: &str) -> Node {
        parse(text, Path::new("t.yml"), "").unwrap()
    }

    fn err(text: &str) -> String {
        parse(text, Path::new("t.yml"), "").unwrap_err().to_string()
    }

    fn json_of(text: &str) -> Value {
        tree(text).to_json().unwrap()
    }

    #[test]
    fn positions_and_key_order() {
        let root = tree("b: 1\na:\n  x: [1, two]\n");
        let NodeKind::Map(entries) = &root.kind else { panic!("not a map") };
        let keys: Vec<_> = entries.iter().map(|(k, _)| (k.text.as_str(), k.line, k.column)).collect();
        assert_eq!(keys, [("b", 1, 1), ("a", 2, 1)]);
        let x = root.get("a").unwrap().get("x").unwrap();
        assert_eq!((x.line, x.column), (3, 6));
        let NodeKind::Seq(items) = &x.kind else { panic!("not a seq") };
        assert_eq!((items[1].line, items[1].column), (3, 10));
        assert_eq!(root.get("b").unwrap().column, 4);
    }

    #[test]
    fn core_schema_scalars() {
        let v = json_of(
            "n1: null\nn2: ~\nn3:\nn4: NULL\nb1: true\nb2: FALSE\nb3: yes\ni1: 42\ni2: -7\ni3: +3\nh: 0x1F\no: 0o17\n\
             f1: 1.0e-4\nf2: .5\nf3: -2.\nf4: 1e3\ns1: '42'\ns2: \"true\"\ns3: 1.2.3\ns4: 0x\nt: !!str 12\nti: !!int '12'\n\
             tf: !!float 3\nbig: 18446744073709551615\nblock: |\n  7\n",
        );
        assert_eq!(
            v,
            json!({"n1": null, "n2": null, "n3": null, "n4": null, "b1": true, "b2": false, "b3": "yes",
                   "i1": 42, "i2": -7, "i3": 3, "h": 31, "o": 15, "f1": 0.0001, "f2": 0.5, "f3": -2.0, "f4": 1000.0,
                   "s1": "42", "s2": "true", "s3": "1.2.3", "s4": "0x", "t": "12", "ti": 12, "tf": 3.0,
                   "big": 18446744073709551615_u64, "block": "7\n"})
        );
        assert!(v["f4"].is_f64() && v["i1"].is_i64());
    }

    #[test]
    fn scalar_errors() {
        let e = tree("a: .inf\n").get("a").unwrap().to_json().unwrap_err();
        assert_eq!((e.line, e.column), (1, 4));
        assert_eq!(
            e.message,
            "`.inf` is not a finite number, and JSON cannot hold infinity or NaN; quote it to keep it as a string"
        );
        assert!(scalar_value("-.Inf", true, None).is_err());
        assert!(scalar_value(".NaN", true, None).is_err());
        assert_eq!(scalar_value(".inf", false, None).unwrap(), json!(".inf"));
        assert!(scalar_value("99999999999999999999", true, None).unwrap_err().contains("does not fit in 64 bits"));
        assert!(scalar_value("1e999", true, None).unwrap_err().contains("too large"));
        assert!(scalar_value("x", true, Some("!!int")).unwrap_err().contains("tagged `!!int`"));
        assert!(scalar_value("x", true, Some("!custom")).unwrap_err().contains("unsupported tag `!custom`"));
        assert_eq!(scalar_value("", true, Some("!!null")).unwrap(), Value::Null);
    }

    #[test]
    fn empty_inputs_are_empty_maps() {
        for text in ["", "# only a comment\n", "---\n", "---\n...\n"] {
            assert_eq!(tree(text).kind, NodeKind::Map(Vec::new()), "{text:?}");
        }
        assert!(matches!(tree("- a\n").kind, NodeKind::Seq(_)));
    }

    #[test]
    fn several_documents_are_refused() {
        assert_eq!(
            err("a: 1\n---\nb: 2\n"),
            "t.yml:2:1: the file holds more than one YAML document; keep one (remove the `---` line) or split it into files"
        );
    }

    #[test]
    fn duplicate_keys() {
        assert_eq!(
            err("top:\n  a: 1\n  b: 2\n  a: 3\n"),
            "t.yml:4:3: `top.a`: duplicate key `a` (first at line 2); remove one of them"
        );
        let e = parse("a: 1\na: 2\n", Path::new("m.yml"), "aws").unwrap_err().to_string();
        assert_eq!(e, "m.yml:2:1: `aws.a`: duplicate key `a` (first at line 1); remove one of them");
        // Quoting does not make a key different.
        assert!(err("a: 1\n'a': 2\n").contains("duplicate key `a`"));
    }

    #[test]
    fn non_scalar_keys() {
        assert_eq!(
            err("? [a, b]\n: 1\n"),
            "t.yml:1:3: a mapping key must be a scalar (a name), not a sequence or mapping"
        );
        assert!(err("{a: 1}: 2\n").contains("must be a scalar"));
    }

    #[test]
    fn aliases_expand() {
        let v = json_of("base: &b {x: 1, y: [2]}\ncopy: *b\nname: &n hello\nother: *n\n");
        assert_eq!(v["copy"], json!({"x": 1, "y": [2]}));
        assert_eq!(v["other"], json!("hello"));
        let root = tree("base: &b {x: 1}\ncopy: *b\n");
        let copy = root.get("copy").unwrap();
        assert_eq!((copy.line, copy.column), (2, 7));
    }

    #[test]
    fn merge_keys() {
        let v = json_of("base: &b {x: 1, y: 2}\nmore: &m {z: 3}\nc:\n  <<: [*b, *m]\n  y: 9\n");
        assert_eq!(v["c"], json!({"x": 1, "y": 9, "z": 3}));
        let NodeKind::Map(entries) = &tree("b: &b {x: 1}\nc:\n  k: 0\n  <<: *b\n").get("c").unwrap().kind.clone()
        else {
            panic!()
        };
        assert_eq!(entries.iter().map(|(k, _)| k.text.as_str()).collect::<Vec<_>>(), ["k", "x"]);
        assert!(err("c:\n  <<: 3\n").contains("`c.<<`: a merge key `<<` takes a mapping"));
        // A quoted `<<` is an ordinary key.
        assert_eq!(json_of("c: {'<<': 1}\n")["c"], json!({"<<": 1}));
    }

    #[test]
    fn billion_laughs_fails_fast() {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..=9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let start = Instant::now();
        let e = err(&text);
        assert!(start.elapsed().as_millis() < 500, "took {:?}", start.elapsed());
        assert!(e.contains("YAML alias expansion exceeds 100000 nodes (an alias bomb?)"), "{e}");
        assert!(e.starts_with("t.yml:5:") && e.contains(": `a4`: "), "{e}");
    }

    #[test]
    fn nested_anchors_count_their_copies() {
        // 64 nested anchors around 2,000 items would keep 64 copies.
        let items = vec!["x"; 2000].join(", ");
        let text = format!("{}[{items}]{}", (0..63).map(|i| format!("&a{i} [")).collect::<String>(), "]".repeat(63));
        assert!(err(&text).contains("(an alias bomb?)"));
        let small = format!("{}[{items}]{}", (0..3).map(|i| format!("&a{i} [")).collect::<String>(), "]".repeat(3));
        assert!(parse(&small, Path::new("t.yml"), "").is_ok());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}x{}", "[".repeat(200), "]".repeat(200));
        let e = err(&text);
        assert_eq!(e, "t.yml:1:65: nesting deeper than 64 levels; flatten the schema");
        let ok = format!("{}x{}", "[".repeat(64), "]".repeat(64));
        assert!(parse(&ok, Path::new("t.yml"), "").is_ok());
        let mut block = String::new();
        for i in 0..200 {
            block.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        assert!(err(&block).contains("nesting deeper than 64 levels"));
        // An alias cannot smuggle depth past the limit either.
        let deep = format!("a: &a {}x{}\nb: [*a]\n", "[".repeat(63), "]".repeat(63));
        assert!(parse(&deep.replace("[*a]", "*a"), Path::new("t.yml"), "").is_ok());
        assert_eq!(
            err(&deep),
            "t.yml:2:5: `b`: nesting deeper than 64 levels (through this alias); flatten the schema"
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = err("a: 1\nb: [1, 2\n");
        assert!(e.starts_with("t.yml:3:1: invalid YAML: "), "{e}");
        assert!(e.ends_with("; fix the syntax here"), "{e}");
        let e = err("a: b: c\n");
        assert!(e.starts_with("t.yml:1:5: invalid YAML: mapping values are not allowed"), "{e}");
    }

    #[test]
    fn collection_tags() {
        assert!(parse("a: !!map {x: 1}\nb: !!seq [1]\n", Path::new("t.yml"), "").is_ok());
        assert!(err("a: !!set {x: 1}\n").contains("unsupported tag `!!set` here"));
        assert!(err("a: !foo [1]\n").contains("`a`: unsupported tag `!foo` here"));
    }

    #[test]
    fn recursive_alias() {
        let e = err("a: &a [*a]\n");
        assert!(e.contains("refers to a node that contains it") || e.contains("invalid YAML"), "{e}");
    }

    #[test]
    fn bom_is_ignored() {
        assert_eq!(json_of("\u{feff}a: 1\n"), json!({"a": 1}));
    }
}
