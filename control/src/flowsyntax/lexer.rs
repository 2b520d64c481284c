//! Tokenizer for ovs-ofctl's `key=value,key:value,key(value)` syntax, with
//! the byte offset of every piece in the whole input line so errors can
//! point at the offending column.
//!
//! It follows `ofputil_parse_key_value()`: pairs are separated by commas or
//! white space; a key ends at one of `:=(,` or white space; after `:` or `=`
//! the value runs to the next comma or white space outside parentheses;
//! after `(` it runs to the matching `)`. Double quotes protect delimiters
//! (for port names).

/// An internal parse error: byte offset into the input plus message. The
/// public [`super::SyntaxError`] carries a 1-based character column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PErr {
    pub pos: usize,
    pub msg: String,
}

pub(crate) type PResult<T> = Result<T, PErr>;

pub(crate) fn err<T>(pos: usize, msg: impl Into<String>) -> PResult<T> {
    Err(PErr {
        pos,
        msg: msg.into(),
    })
}

/// A slice of the input and its byte offset in the whole line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tok<'a> {
    pub text: &'a str,
    pub pos: usize,
}

impl<'a> Tok<'a> {
    pub fn new(text: &'a str, pos: usize) -> Self {
        Tok { text, pos }
    }

    /// Splits at the first occurrence of `pat`.
    pub fn split_once(&self, pat: &str) -> Option<(Tok<'a>, Tok<'a>)> {
        let i = self.text.find(pat)?;
        Some((
            Tok::new(&self.text[..i], self.pos),
            Tok::new(&self.text[i + pat.len()..], self.pos + i + pat.len()),
        ))
    }

    /// Strips leading and trailing white space.
    pub fn trim(&self) -> Tok<'a> {
        let start = self.text.len() - self.text.trim_start().len();
        Tok::new(self.text.trim(), self.pos + start)
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Byte offset just past the end.
    pub fn end(&self) -> usize {
        self.pos + self.text.len()
    }

    /// How to show the token in "found ..." parts of messages.
    pub fn shown(&self) -> String {
        if self.text.is_empty() {
            "nothing".to_string()
        } else {
            format!("'{}'", self.text)
        }
    }
}

/// `expected WHAT after AFTER, found TOKEN`, at the token.
pub(crate) fn expected<T>(tok: Tok<'_>, what: &str, after: &str) -> PResult<T> {
    err(
        tok.pos,
        format!("expected {what} after {after}, found {}", found(tok)),
    )
}

fn found(tok: Tok<'_>) -> String {
    if tok.text.is_empty() {
        "nothing".to_string()
    } else {
        tok.text.to_string()
    }
}

/// How a key's value was introduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delim {
    /// `key` alone.
    None,
    /// `key=value` or `key:value`.
    Eq,
    /// `key(value)`.
    Paren,
}

/// One `key[=value]` pair.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair<'a> {
    pub key: Tok<'a>,
    pub delim: Delim,
    /// Empty (at the position after the key) when `delim` is `None`.
    pub value: Tok<'a>,
}

impl<'a> Pair<'a> {
    pub fn has_value(&self) -> bool {
        self.delim != Delim::None
    }
}

const SEPARATORS: &[u8] = b", \t\r\n";

fn is_sep(b: u8) -> bool {
    SEPARATORS.contains(&b)
}

/// Splits `src[start..end]` into pairs. Offsets are into `src`.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    end: usize,
}

impl<'a> Lexer<'a> {
    /// Lexes the whole of `src`.
    pub fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            end: src.len(),
        }
    }

    /// Lexes the part of `src` that `tok` covers (e.g. the inside of
    /// `write_actions(...)`), keeping offsets absolute.
    pub fn sub(src: &'a str, tok: Tok<'a>) -> Self {
        Lexer {
            src,
            pos: tok.pos,
            end: tok.end(),
        }
    }

    fn byte(&self, i: usize) -> Option<u8> {
        (i < self.end).then(|| self.src.as_bytes()[i])
    }

    fn skip_separators(&mut self) {
        while let Some(b) = self.byte(self.pos) {
            if !is_sep(b) {
                break;
            }
            self.pos += 1;
        }
    }

    /// Byte offset of the end of the lexed range.
    pub fn end_pos(&self) -> usize {
        self.end
    }

    /// Reads the next key (after skipping separators), leaving the
    /// position at its delimiter. `None` at the end.
    pub fn next_key(&mut self) -> PResult<Option<Tok<'a>>> {
        self.skip_separators();
        if self.pos >= self.end {
            return Ok(None);
        }
        let start = self.pos;
        if self.byte(start) == Some(b'"') {
            // A quoted port name used as a bare action.
            let close = self.skip_quoted(start)?;
            self.pos = close;
            return Ok(Some(Tok::new(&self.src[start..close], start)));
        }
        while let Some(b) = self.byte(self.pos) {
            match b {
                b':' | b'=' | b'(' => break,
                b')' => return err(self.pos, "unbalanced parentheses: unexpected ')'"),
                b if is_sep(b) => break,
                _ => self.pos += 1,
            }
        }
        let key = Tok::new(&self.src[start..self.pos], start);
        if key.is_empty() {
            let c = self.src[self.pos..].chars().next().unwrap_or(' ');
            return err(start, format!("expected a keyword before '{c}'"));
        }
        Ok(Some(key))
    }

    /// Reads the delimiter and value following a key from [`next_key`].
    pub fn value(&mut self) -> PResult<(Delim, Tok<'a>)> {
        match self.byte(self.pos) {
            Some(b':') | Some(b'=') => {
                self.pos += 1;
                let start = self.pos;
                let end = self.scan_value(start)?;
                self.pos = end;
                Ok((Delim::Eq, Tok::new(&self.src[start..end], start)))
            }
            Some(b'(') => {
                let open = self.pos;
                let close = self.matching_paren(open)?;
                self.pos = close + 1;
                if let Some(b) = self.byte(self.pos) {
                    if !is_sep(b) {
                        let rest = self.src[self.pos..self.end]
                            .split(|c: char| c == ',' || c.is_whitespace())
                            .next()
                            .unwrap_or("");
                        return err(
                            self.pos,
                            format!("expected ',' or the end after ')', found {rest}"),
                        );
                    }
                }
                Ok((Delim::Paren, Tok::new(&self.src[open + 1..close], open + 1)))
            }
            _ => Ok((Delim::None, Tok::new("", self.pos))),
        }
    }

    /// The next `key[=value]` pair.
    pub fn next_pair(&mut self) -> PResult<Option<Pair<'a>>> {
        let Some(key) = self.next_key()? else {
            return Ok(None);
        };
        let (delim, value) = self.value()?;
        Ok(Some(Pair { key, delim, value }))
    }

    /// After a key such as `actions`: skips white space, requires `=` (or
    /// `:`), and returns everything up to the end of the range.
    pub fn rest_after_equals(&mut self, key: Tok<'a>) -> PResult<Tok<'a>> {
        while let Some(b) = self.byte(self.pos) {
            if b == b' ' || b == b'\t' {
                self.pos += 1;
            } else {
                break;
            }
        }
        match self.byte(self.pos) {
            Some(b'=') | Some(b':') => {
                self.pos += 1;
                let start = self.pos;
                self.pos = self.end;
                Ok(Tok::new(&self.src[start..self.end], start))
            }
            _ => err(self.pos, format!("expected '=' after {}", key.text)),
        }
    }

    /// End (exclusive) of a `:`/`=` value starting at `start`.
    fn scan_value(&self, start: usize) -> PResult<usize> {
        let mut i = start;
        let mut opens: Vec<usize> = Vec::new();
        while let Some(b) = self.byte(i) {
            match b {
                b'"' => {
                    i = self.skip_quoted(i)?;
                    continue;
                }
                b'(' => opens.push(i),
                b')' => match opens.pop() {
                    Some(_) => {}
                    None => return err(i, "unbalanced parentheses: unexpected ')'"),
                },
                b if is_sep(b) && opens.is_empty() => break,
                _ => {}
            }
            i += 1;
        }
        if let Some(&open) = opens.first() {
            return err(open, "unbalanced parentheses: this '(' is never closed");
        }
        Ok(i)
    }

    /// Offset of the `)` matching the `(` at `open`.
    fn matching_paren(&self, open: usize) -> PResult<usize> {
        let mut depth = 0usize;
        let mut i = open;
        while let Some(b) = self.byte(i) {
            match b {
                b'"' => {
                    i = self.skip_quoted(i)?;
                    continue;
                }
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        err(open, "unbalanced parentheses: this '(' is never closed")
    }

    /// Offset just past the quoted string starting at `open` (a `"`).
    fn skip_quoted(&self, open: usize) -> PResult<usize> {
        let mut i = open + 1;
        while let Some(b) = self.byte(i) {
            match b {
                b'\\' => i += 2,
                b'"' => return Ok(i + 1),
                _ => i += 1,
            }
        }
        err(open, "unterminated quoted string")
    }
}

/// Splits `tok` at top-level occurrences of the keyword `word` followed by
/// `=` (e.g. `bucket=`): returns the text before the first one and the
/// values after each (each running to the next occurrence). Offsets stay
/// absolute. Occurrences inside parentheses or quotes are ignored.
pub(crate) fn split_keyword<'a>(tok: Tok<'a>, word: &str) -> (Tok<'a>, Vec<(Tok<'a>, Tok<'a>)>) {
    let s = tok.text.as_bytes();
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut starts: Vec<(usize, usize)> = Vec::new(); // (keyword start, value start)
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if in_quote {
            match b {
                b'\\' => i += 1,
                b'"' => in_quote = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_quote = true,
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                _ => {
                    let at_key = i == 0 || is_sep(s[i - 1]);
                    if depth == 0 && at_key && tok.text[i..].starts_with(word) {
                        let mut j = i + word.len();
                        while j < s.len() && (s[j] == b' ' || s[j] == b'\t') {
                            j += 1;
                        }
                        if j < s.len() && s[j] == b'=' {
                            starts.push((i, j + 1));
                            i = j + 1;
                            continue;
                        }
                    }
                }
            }
        }
        i += 1;
    }
    let head_end = starts.first().map_or(s.len(), |&(k, _)| k);
    let head = Tok::new(&tok.text[..head_end], tok.pos);
    let mut parts = Vec::new();
    for (n, &(k, v)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(s.len(), |&(k2, _)| k2);
        parts.push((
            Tok::new(&tok.text[k..k + word.len()], tok.pos + k),
            Tok::new(&tok.text[v..end], tok.pos + v),
        ));
    }
    (head, parts)
}

/// 1-based character column of byte offset `pos` in `input`.
pub(crate) fn column(input: &str, pos: usize) -> usize {
    let mut p = pos.min(input.len());
    while !input.is_char_boundary(p) {
        p -= 1;
    }
    input[..p].chars().count() + 1
}

/// Removes the quotes (and backslash escapes) of a quoted string; other
/// strings are returned unchanged.
pub(crate) fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::new();
            let mut esc = false;
            for c in inner.chars() {
                if esc {
                    out.push(c);
                    esc = false;
                } else if c == '\\' {
                    esc = true;
                } else {
                    out.push(c);
                }
            }
            out
        }
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (key, delimiter, value, key offset, value offset)
    type Lexed = (String, Delim, String, usize, usize);

    fn pairs(s: &str) -> PResult<Vec<Lexed>> {
        let mut lx = Lexer::new(s);
        let mut out = Vec::new();
        while let Some(p) = lx.next_pair()? {
            out.push((
                p.key.text.to_string(),
                p.delim,
                p.value.text.to_string(),
                p.key.pos,
                p.value.pos,
            ));
        }
        Ok(out)
    }

    #[test]
    fn splits_pairs_with_offsets() {
        let v = pairs("in_port=1, ip nw_dst:10.0.0.0/24,write_actions(output:1,group:2)").unwrap();
        assert_eq!(
            v,
            vec![
                ("in_port".into(), Delim::Eq, "1".into(), 0, 8),
                ("ip".into(), Delim::None, "".into(), 11, 13),
                ("nw_dst".into(), Delim::Eq, "10.0.0.0/24".into(), 14, 21),
                (
                    "write_actions".into(),
                    Delim::Paren,
                    "output:1,group:2".into(),
                    33,
                    47
                ),
            ]
        );
    }

    #[test]
    fn nested_parentheses_in_values() {
        let v = pairs("a:x(y(z),w),b").unwrap();
        assert_eq!(v[0].2, "x(y(z),w)");
        assert_eq!(v[1].0, "b");
    }

    #[test]
    fn quotes_protect_separators() {
        let v = pairs("output:\"my port\",\"p,2\"").unwrap();
        assert_eq!(v[0].2, "\"my port\"");
        assert_eq!(v[1].0, "\"p,2\"");
        assert_eq!(unquote("\"a\\\"b\""), "a\"b");
    }

    #[test]
    fn unbalanced() {
        assert_eq!(pairs("write_actions(output:1").unwrap_err().pos, 13);
        assert_eq!(pairs("output:1)").unwrap_err().pos, 8);
        assert_eq!(pairs("a:b(c").unwrap_err().pos, 3);
        let e = pairs("clear_actions(),x(y)z").unwrap_err();
        assert_eq!(e.pos, 20);
    }

    #[test]
    fn keyword_split() {
        let t = Tok::new("group_id=1,bucket=output:1,bucket =actions=output:2", 0);
        let (head, parts) = split_keyword(t, "bucket");
        assert_eq!(head.text, "group_id=1,");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].1.text, "output:1,");
        assert_eq!(parts[0].1.pos, 18);
        assert_eq!(parts[1].1.text, "actions=output:2");
    }

    #[test]
    fn columns_count_chars() {
        assert_eq!(column("abc", 0), 1);
        assert_eq!(column("é=x", 3), 3);
        assert_eq!(column("abc", 10), 4);
    }
}
