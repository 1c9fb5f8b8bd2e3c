//! Parser for the packetdrill script language as the ETSI TS 102 369 suite
//! uses it.
//!
//! Two stages: a recursive-descent reader over the (preprocessed) text
//! produces a small generic tree for packet lines (`NAME[key=value, ...]`),
//! which is then checked and converted into the typed [`crate::ast`].
//! Unknown chunk, parameter or field names are errors, so a script the
//! runner would misread is rejected here, with its line number.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ast::*;

/// A script that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: u32,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

type PResult<T> = Result<T, ParseError>;

/// The platform symbols the suite's `#ifdef`s test; we run the FreeBSD
/// column of the suite's result tables.
pub const DEFAULT_DEFINES: &[&str] = &["FreeBSD"];

/// Parses a script, evaluating `#ifdef`s as FreeBSD.
pub fn parse_script(text: &str) -> Result<Script, ParseError> {
    parse_script_with(text, DEFAULT_DEFINES)
}

/// Parses a script with the given `#ifdef` symbols defined.
pub fn parse_script_with(text: &str, defines: &[&str]) -> Result<Script, ParseError> {
    let pre = preprocess(text, defines)?;
    let mut p = Reader::new(&pre);
    let mut script = Script {
        options: Vec::new(),
        events: Vec::new(),
    };
    loop {
        p.skip_ws();
        if p.eof() {
            break;
        }
        if p.starts_with("--") {
            script.options.push(p.option()?);
        } else {
            script.events.push(p.event()?);
        }
    }
    Ok(script)
}

/// Evaluates `#ifdef NAME` / `#ifndef NAME` / `#else` / `#endif`, blanking
/// excluded lines so line numbers stay those of the file.
fn preprocess(text: &str, defines: &[&str]) -> PResult<String> {
    // Each entry: (this branch active, parent active).
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.lines().enumerate() {
        let lineno = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let t = line.trim();
        let active = stack.last().map_or(true, |&(a, p)| a && p);
        let directive = |name: &str| t.strip_prefix(name).map(str::trim);
        if let Some(sym) = directive("#ifdef") {
            stack.push((defines.contains(&sym), active));
        } else if let Some(sym) = directive("#ifndef") {
            stack.push((!defines.contains(&sym), active));
        } else if t.starts_with("#else") {
            let top = stack.last_mut().ok_or_else(|| ParseError {
                line: lineno,
                message: "#else without #ifdef".into(),
            })?;
            top.0 = !top.0;
        } else if t.starts_with("#endif") {
            stack.pop().ok_or_else(|| ParseError {
                line: lineno,
                message: "#endif without #ifdef".into(),
            })?;
        } else if active {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !stack.is_empty() {
        return Err(ParseError {
            line: u32::try_from(text.lines().count()).unwrap_or(u32::MAX),
            message: "unterminated #ifdef".into(),
        });
    }
    Ok(out)
}

/// Generic packet-line tree: `NAME[items]`.
#[derive(Clone, Debug)]
struct GElem {
    line: u32,
    name: String,
    items: Vec<GItem>,
}

#[derive(Clone, Debug)]
enum GItem {
    Field(String, GVal),
    Elem(GElem),
    Ellipsis,
}

#[derive(Clone, Debug)]
enum GVal {
    Any,
    Word(String),
    Str(String),
    List(Vec<GVal>),
    Elem(GElem),
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b':'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl<'a> Reader<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            s: s.as_bytes(),
            i: 0,
        }
    }

    fn line(&self) -> u32 {
        let end = self.i.min(self.s.len());
        let n = self.s[..end].iter().filter(|&&c| c == b'\n').count() + 1;
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn err<T>(&self, message: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            line: self.line(),
            message: message.into(),
        })
    }

    fn eof(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        self.s.get(self.i + k).copied()
    }

    fn starts_with(&self, pat: &str) -> bool {
        self.s
            .get(self.i..)
            .is_some_and(|rest| rest.starts_with(pat.as_bytes()))
    }

    /// Skips whitespace (newlines included) and `//` and `/* */` comments.
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() {
                self.i += 1;
            } else if self.starts_with("//") {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.i += 1;
                }
            } else if self.starts_with("/*") {
                self.i += 2;
                while !self.eof() && !self.starts_with("*/") {
                    self.i += 1;
                }
                self.i = (self.i + 2).min(self.s.len());
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, c: u8) -> PResult<()> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.err(format!(
                "expected '{}', found {}",
                c as char,
                self.describe_next()
            ))
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn describe_next(&self) -> String {
        match self.peek() {
            None => "end of script".into(),
            Some(_) => {
                let end = (self.i + 20).min(self.s.len());
                let snippet = String::from_utf8_lossy(&self.s[self.i..end]);
                format!("'{}'", snippet.lines().next().unwrap_or(""))
            }
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> String {
        let start = self.i;
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn ident(&mut self) -> PResult<String> {
        self.skip_ws();
        let w = self.take_while(is_ident);
        if w.is_empty() {
            return self.err(format!("expected a name, found {}", self.describe_next()));
        }
        Ok(w)
    }

    fn option(&mut self) -> PResult<ScriptOption> {
        let line = self.line();
        self.i += 2;
        let text = self.take_while(|c| !c.is_ascii_whitespace());
        let (name, value) = match text.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (text, None),
        };
        Ok(ScriptOption { line, name, value })
    }

    /// Seconds with up to 6 decimals, as microseconds.
    fn seconds(&mut self) -> PResult<i64> {
        self.skip_ws();
        let int = self.take_while(|c| c.is_ascii_digit());
        if int.is_empty() {
            return self.err(format!("expected a time, found {}", self.describe_next()));
        }
        let mut usecs: i64 = match int.parse::<i64>() {
            Ok(v) if v < 1_000_000_000 => v * 1_000_000,
            _ => return self.err("time too large"),
        };
        if self.peek() == Some(b'.') {
            self.i += 1;
            let frac = self.take_while(|c| c.is_ascii_digit());
            if frac.len() > 6 {
                return self.err("more than microsecond precision");
            }
            let mut scale = 100_000;
            for d in frac.bytes() {
                usecs += i64::from(d - b'0') * scale;
                scale /= 10;
            }
        }
        Ok(usecs)
    }

    fn time(&mut self) -> PResult<EventTime> {
        self.skip_ws();
        if self.eat(b'*') {
            return Ok(EventTime::Any);
        }
        let relative = self.eat(b'+');
        let start = self.seconds()?;
        let end = if self.eat(b'~') {
            let rel_end = self.eat(b'+');
            if rel_end != relative {
                return self.err("a time range must be all relative or all absolute");
            }
            Some(self.seconds()?)
        } else {
            None
        };
        Ok(if relative {
            EventTime::Relative { start, end }
        } else {
            EventTime::Absolute { start, end }
        })
    }

    fn event(&mut self) -> PResult<Event> {
        self.skip_ws();
        let line = self.line();
        let time = self.time()?;
        self.skip_ws();
        let action = match self.peek() {
            Some(b'<') => {
                self.i += 1;
                Action::Packet(self.packet(Direction::Inbound)?)
            }
            Some(b'>') => {
                self.i += 1;
                Action::Packet(self.packet(Direction::Outbound)?)
            }
            Some(b'`') => {
                self.i += 1;
                let cmd = self.take_while(|c| c != b'`' && c != b'\n');
                self.expect(b'`')?;
                Action::Command(cmd)
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => Action::Syscall(self.syscall()?),
            _ => return self.err(format!("expected an event, found {}", self.describe_next())),
        };
        if matches!(time, EventTime::Any)
            && !matches!(&action, Action::Packet(p) if p.direction == Direction::Outbound)
        {
            return Err(ParseError {
                line,
                message: "'*' is only allowed for expected packets".into(),
            });
        }
        Ok(Event { line, time, action })
    }

    fn packet(&mut self, direction: Direction) -> PResult<PacketEvent> {
        self.skip_ws();
        let mut addresses = None;
        if self.peek().is_some_and(|c| c.is_ascii_hexdigit()) && !self.starts_with("sctp") {
            let src = self.address()?;
            self.expect(b'>')?;
            let dst = self.address()?;
            addresses = Some((src, dst));
        }
        let proto = self.ident()?;
        if proto != "sctp" {
            return self.err(format!("unsupported protocol '{proto}'"));
        }
        let mut tag = None;
        let mut bad_crc32c = false;
        if self.eat(b'(') {
            loop {
                let key = self.ident()?;
                match key.as_str() {
                    "tag" => {
                        self.expect(b'=')?;
                        self.skip_ws();
                        let w = self.take_while(is_word);
                        tag = Some(self.int_word::<u32>(&w)?);
                    }
                    "bad_crc32c" => bad_crc32c = true,
                    other => return self.err(format!("unknown sctp() option '{other}'")),
                }
                if !self.eat(b',') {
                    break;
                }
            }
            self.expect(b')')?;
        }
        self.expect(b':')?;
        self.skip_ws();
        let payload = if self.peek() == Some(b'[') {
            let v = self.value()?;
            Payload::Raw(bytes_of(&v, self.line())?)
        } else {
            let mut chunks = Vec::new();
            loop {
                let e = self.element()?;
                chunks.push(chunk(&e)?);
                if !self.eat(b';') {
                    break;
                }
                // A trailing ';' may end the packet.
                self.skip_ws();
                let save = self.i;
                let name = self.take_while(is_ident);
                let more = !name.is_empty()
                    && name.bytes().all(|c| !c.is_ascii_lowercase())
                    && self.peek() == Some(b'[');
                self.i = save;
                if !more {
                    break;
                }
            }
            Payload::Chunks(chunks)
        };
        Ok(PacketEvent {
            direction,
            addresses,
            tag,
            bad_crc32c,
            payload,
        })
    }

    fn address(&mut self) -> PResult<IpAddr> {
        self.skip_ws();
        let w = self.take_while(|c| c.is_ascii_hexdigit() || c == b'.' || c == b':');
        w.parse()
            .or_else(|_| self.err(format!("bad IP address '{w}'")))
    }

    fn element(&mut self) -> PResult<GElem> {
        self.skip_ws();
        let line = self.line();
        let name = self.ident()?;
        self.expect(b'[')?;
        let mut items = Vec::new();
        if !self.eat(b']') {
            loop {
                self.skip_ws();
                if self.starts_with("...") {
                    self.i += 3;
                    items.push(GItem::Ellipsis);
                } else {
                    let save = self.i;
                    let key = self.ident()?;
                    self.skip_ws();
                    match self.peek() {
                        Some(b'=') => {
                            self.i += 1;
                            items.push(GItem::Field(key, self.value()?));
                        }
                        Some(b'[') => {
                            self.i = save;
                            items.push(GItem::Elem(self.element()?));
                        }
                        _ => {
                            return self.err(format!(
                                "expected '=' or '[' after '{key}', found {}",
                                self.describe_next()
                            ))
                        }
                    }
                }
                if !self.eat(b',') {
                    break;
                }
            }
            self.expect(b']')?;
        }
        Ok(GElem { line, name, items })
    }

    fn value(&mut self) -> PResult<GVal> {
        self.skip_ws();
        if self.starts_with("...") {
            self.i += 3;
            return Ok(GVal::Any);
        }
        match self.peek() {
            // `[a, b]` is a list; `{a, b}` a tuple inside one (FORWARD_TSN
            // ids), read the same way.
            Some(open @ (b'[' | b'{')) => {
                let close = if open == b'[' { b']' } else { b'}' };
                self.i += 1;
                let mut list = Vec::new();
                if !self.eat(close) {
                    loop {
                        list.push(self.value()?);
                        if !self.eat(b',') {
                            break;
                        }
                    }
                    self.expect(close)?;
                }
                Ok(GVal::List(list))
            }
            Some(b'"') => Ok(GVal::Str(self.string()?)),
            Some(c) if is_word(c) => {
                let save = self.i;
                let w = self.take_while(is_word);
                if self.peek() == Some(b'[') && w.bytes().all(is_ident) {
                    self.i = save;
                    return Ok(GVal::Elem(self.element()?));
                }
                Ok(GVal::Word(w))
            }
            _ => self.err(format!("expected a value, found {}", self.describe_next())),
        }
    }

    fn string(&mut self) -> PResult<String> {
        self.i += 1;
        let s = self.take_while(|c| c != b'"' && c != b'\n');
        if self.peek() != Some(b'"') {
            return self.err("unterminated string");
        }
        self.i += 1;
        Ok(s)
    }

    fn int_word<T: TryFrom<i64>>(&self, w: &str) -> PResult<T> {
        parse_int(w)
            .and_then(|v| T::try_from(v).ok())
            .map_or_else(|| self.err(format!("bad number '{w}'")), Ok)
    }

    fn syscall(&mut self) -> PResult<Syscall> {
        let name = self.ident()?;
        self.expect(b'(')?;
        let mut args = Vec::new();
        if !self.eat(b')') {
            loop {
                args.push(self.expr()?);
                if !self.eat(b',') {
                    break;
                }
            }
            self.expect(b')')?;
        }
        self.expect(b'=')?;
        let ret = self.expr()?;
        // Optional errno name and note, on the same logical statement.
        self.skip_ws();
        let mut errno = None;
        if self.peek().is_some_and(|c| c.is_ascii_uppercase()) {
            errno = Some(self.ident()?);
        }
        self.skip_ws();
        let mut note = None;
        if self.peek() == Some(b'(') {
            self.i += 1;
            let mut depth = 1usize;
            let start = self.i;
            while let Some(c) = self.peek() {
                match c {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                self.i += 1;
            }
            if self.eof() {
                return self.err("unterminated note");
            }
            note = Some(String::from_utf8_lossy(&self.s[start..self.i]).into_owned());
            self.i += 1;
        }
        Ok(Syscall {
            name,
            args,
            ret,
            errno,
            note,
        })
    }

    fn expr(&mut self) -> PResult<Expr> {
        let first = self.primary()?;
        if self.eat(b'|') {
            let mut parts = vec![first];
            loop {
                parts.push(self.primary()?);
                if !self.eat(b'|') {
                    break;
                }
            }
            return Ok(Expr::BitOr(parts));
        }
        Ok(first)
    }

    fn primary(&mut self) -> PResult<Expr> {
        self.skip_ws();
        if self.starts_with("...") {
            self.i += 3;
            return Ok(Expr::Ellipsis);
        }
        match self.peek() {
            Some(b'[') => {
                self.i += 1;
                let mut list = Vec::new();
                if !self.eat(b']') {
                    loop {
                        list.push(self.expr()?);
                        if !self.eat(b',') {
                            break;
                        }
                    }
                    self.expect(b']')?;
                }
                Ok(Expr::List(list))
            }
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        let key = self.ident()?;
                        self.expect(b'=')?;
                        fields.push((key, self.expr()?));
                        if !self.eat(b',') {
                            break;
                        }
                    }
                    self.expect(b'}')?;
                }
                Ok(Expr::Struct(fields))
            }
            Some(b'"') => Ok(Expr::Str(self.string()?)),
            Some(b'-') if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.i += 1;
                let w = self.take_while(is_ident);
                let v: i64 = self.int_word(&w)?;
                Ok(Expr::Int(-v))
            }
            Some(c) if c.is_ascii_digit() => {
                let w = self.take_while(is_ident);
                Ok(Expr::Int(self.int_word(&w)?))
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => Ok(Expr::Ident(self.ident()?)),
            _ => self.err(format!(
                "expected an expression, found {}",
                self.describe_next()
            )),
        }
    }
}

/// Decimal or `0x` hexadecimal.
fn parse_int(w: &str) -> Option<i64> {
    if let Some(hex) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()
    } else if w.bytes().all(|c| c.is_ascii_digit()) && !w.is_empty() {
        w.parse().ok()
    } else {
        None
    }
}

fn perr<T>(line: u32, message: impl Into<String>) -> PResult<T> {
    Err(ParseError {
        line,
        message: message.into(),
    })
}

fn num<T: TryFrom<i64>>(v: &GVal, line: u32) -> PResult<Val<T>> {
    match v {
        GVal::Any => Ok(Val::Any),
        GVal::Word(w) => parse_int(w)
            .and_then(|n| T::try_from(n).ok())
            .map(Val::Is)
            .map_or_else(|| perr(line, format!("bad number '{w}'")), Ok),
        other => perr(line, format!("expected a number, found {other:?}")),
    }
}

fn bytes_of(v: &GVal, line: u32) -> PResult<Vec<u8>> {
    match v {
        GVal::List(items) => items
            .iter()
            .map(|i| match num::<u8>(i, line)? {
                Val::Is(b) => Ok(b),
                Val::Any => perr(line, "'...' inside a byte list"),
            })
            .collect(),
        other => perr(line, format!("expected a byte list, found {other:?}")),
    }
}

fn byte_val(v: &GVal, line: u32) -> PResult<Val<Vec<u8>>> {
    match v {
        GVal::Any => Ok(Val::Any),
        GVal::Str(s) => Ok(Val::Is(s.as_bytes().to_vec())),
        other => bytes_of(other, line).map(Val::Is),
    }
}

/// Fields of one element, consumed by name; leftovers are errors.
struct Fields {
    line: u32,
    name: String,
    fields: Vec<(String, GVal)>,
    elems: Vec<GElem>,
    ellipsis: bool,
}

impl Fields {
    fn of(e: &GElem) -> Self {
        let mut f = Fields {
            line: e.line,
            name: e.name.clone(),
            fields: Vec::new(),
            elems: Vec::new(),
            ellipsis: false,
        };
        for item in &e.items {
            match item {
                GItem::Field(k, v) => f.fields.push((k.clone(), v.clone())),
                GItem::Elem(el) => f.elems.push(el.clone()),
                GItem::Ellipsis => f.ellipsis = true,
            }
        }
        f
    }

    /// A field's value; a missing field counts as `...`.
    fn take(&mut self, key: &str) -> GVal {
        match self.fields.iter().position(|(k, _)| k == key) {
            Some(i) => self.fields.remove(i).1,
            None => GVal::Any,
        }
    }

    fn num<T: TryFrom<i64>>(&mut self, key: &str) -> PResult<Val<T>> {
        let v = self.take(key);
        num(&v, self.line)
    }

    fn bytes(&mut self, key: &str) -> PResult<Val<Vec<u8>>> {
        let v = self.take(key);
        byte_val(&v, self.line)
    }

    fn flags(&mut self, letters: &[(char, u8)]) -> PResult<Val<u8>> {
        match self.take("flgs") {
            GVal::Any => Ok(Val::Any),
            GVal::Word(w) => {
                if let Some(n) = parse_int(&w) {
                    return u8::try_from(n)
                        .map(Val::Is)
                        .or_else(|_| perr(self.line, format!("bad flags '{w}'")));
                }
                let mut v = 0u8;
                for c in w.chars() {
                    match letters.iter().find(|(l, _)| *l == c) {
                        Some((_, bit)) => v |= bit,
                        None => {
                            return perr(self.line, format!("unknown flag '{c}' for {}", self.name))
                        }
                    }
                }
                Ok(Val::Is(v))
            }
            other => perr(self.line, format!("bad flags {other:?}")),
        }
    }

    fn no_nested(&self) -> PResult<()> {
        match self.elems.first() {
            Some(e) => perr(
                e.line,
                format!("unexpected {} inside {}", e.name, self.name),
            ),
            None => Ok(()),
        }
    }

    fn finish(self) -> PResult<()> {
        match self.fields.first() {
            Some((k, _)) => perr(self.line, format!("unknown field '{k}' in {}", self.name)),
            None => Ok(()),
        }
    }

    fn params(&mut self) -> PResult<ParamList> {
        let items = std::mem::take(&mut self.elems)
            .iter()
            .map(param)
            .collect::<PResult<_>>()?;
        Ok(ParamList {
            items,
            more: self.ellipsis,
        })
    }

    fn causes(&mut self) -> PResult<CauseList> {
        let items = std::mem::take(&mut self.elems)
            .iter()
            .map(cause)
            .collect::<PResult<_>>()?;
        Ok(CauseList {
            items,
            more: self.ellipsis,
        })
    }
}

const DATA_FLAGS: &[(char, u8)] = &[('I', 0x08), ('U', 0x04), ('B', 0x02), ('E', 0x01)];
const T_FLAG: &[(char, u8)] = &[('T', 0x01)];

/// Chunk type numbers by script name (RFC 9260 §3.2).
pub fn chunk_type_by_name(name: &str) -> Option<u8> {
    Some(match name {
        "DATA" => 0,
        "INIT" => 1,
        "INIT_ACK" => 2,
        "SACK" => 3,
        "HEARTBEAT" => 4,
        "HEARTBEAT_ACK" => 5,
        "ABORT" => 6,
        "SHUTDOWN" => 7,
        "SHUTDOWN_ACK" => 8,
        "ERROR" => 9,
        "COOKIE_ECHO" => 10,
        "COOKIE_ACK" => 11,
        "SHUTDOWN_COMPLETE" => 14,
        "I_DATA" => 64,
        "RECONFIG" => 130,
        "FORWARD_TSN" => 192,
        "I_FORWARD_TSN" => 194,
        _ => return None,
    })
}

fn chunk(e: &GElem) -> PResult<Chunk> {
    let mut f = Fields::of(e);
    let c = match e.name.as_str() {
        "DATA" => Chunk::Data {
            flags: f.flags(DATA_FLAGS)?,
            len: f.num("len")?,
            tsn: f.num("tsn")?,
            sid: f.num("sid")?,
            ssn: f.num("ssn")?,
            ppid: f.num("ppid")?,
        },
        "INIT" | "INIT_ACK" => {
            let init = InitChunk {
                flags: f.flags(&[])?,
                tag: f.num("tag")?,
                a_rwnd: f.num("a_rwnd")?,
                os: f.num("os")?,
                is: f.num("is")?,
                tsn: f.num("tsn")?,
                params: f.params()?,
            };
            if e.name == "INIT" {
                Chunk::Init(init)
            } else {
                Chunk::InitAck(init)
            }
        }
        "SACK" => {
            let flags = f.flags(&[])?;
            let cum_tsn = f.num("cum_tsn")?;
            let a_rwnd = f.num("a_rwnd")?;
            let gaps = match f.take("gaps") {
                GVal::Any => Val::Any,
                GVal::List(items) => Val::Is(
                    items
                        .iter()
                        .map(|g| gap(g, e.line))
                        .collect::<PResult<_>>()?,
                ),
                other => return perr(e.line, format!("bad gaps {other:?}")),
            };
            let dups = match f.take("dups") {
                GVal::Any => Val::Any,
                GVal::List(items) => Val::Is(
                    items
                        .iter()
                        .map(|d| match num::<u32>(d, e.line)? {
                            Val::Is(v) => Ok(v),
                            Val::Any => perr(e.line, "'...' inside dups"),
                        })
                        .collect::<PResult<_>>()?,
                ),
                other => return perr(e.line, format!("bad dups {other:?}")),
            };
            Chunk::Sack {
                flags,
                cum_tsn,
                a_rwnd,
                gaps,
                dups,
            }
        }
        "HEARTBEAT" | "HEARTBEAT_ACK" => {
            let flags = f.flags(&[])?;
            let params = f.params()?;
            if e.name == "HEARTBEAT" {
                Chunk::Heartbeat { flags, params }
            } else {
                Chunk::HeartbeatAck { flags, params }
            }
        }
        "ABORT" | "ERROR" => {
            let flags = f.flags(if e.name == "ABORT" { T_FLAG } else { &[] })?;
            let causes = f.causes()?;
            if e.name == "ABORT" {
                Chunk::Abort { flags, causes }
            } else {
                Chunk::Error { flags, causes }
            }
        }
        "SHUTDOWN" => Chunk::Shutdown {
            flags: f.flags(&[])?,
            cum_tsn: f.num("cum_tsn")?,
        },
        "SHUTDOWN_ACK" => Chunk::ShutdownAck {
            flags: f.flags(&[])?,
        },
        "COOKIE_ACK" => Chunk::CookieAck {
            flags: f.flags(&[])?,
        },
        "SHUTDOWN_COMPLETE" => Chunk::ShutdownComplete {
            flags: f.flags(T_FLAG)?,
        },
        "COOKIE_ECHO" => Chunk::CookieEcho {
            flags: f.flags(&[])?,
            len: f.num("len")?,
            val: f.bytes("val")?,
        },
        "I_DATA" => {
            let flags = f.flags(DATA_FLAGS)?;
            let len = f.num("len")?;
            let tsn = f.num("tsn")?;
            let sid = f.num("sid")?;
            let mid = f.num("mid")?;
            // RFC 8260 §2.1: one field, the PPID in a first fragment and
            // the FSN in the others.
            let ppid_fsn = match (f.take("ppid"), f.take("fsn")) {
                (GVal::Any, v) | (v, GVal::Any) => num(&v, e.line)?,
                _ => return perr(e.line, "I_DATA takes ppid or fsn, not both"),
            };
            Chunk::IData {
                flags,
                len,
                tsn,
                sid,
                mid,
                ppid_fsn,
            }
        }
        "FORWARD_TSN" => Chunk::ForwardTsn {
            flags: f.flags(&[])?,
            len: f.num("len")?,
            cum_tsn: f.num("cum_tsn")?,
            ids: tuples(f.take("ids"), e.line, |t: &[u16]| match t {
                [sid, ssn] => Some((*sid, *ssn)),
                _ => None,
            })?,
        },
        "I_FORWARD_TSN" => Chunk::IForwardTsn {
            flags: f.flags(&[])?,
            len: f.num("len")?,
            cum_tsn: f.num("cum_tsn")?,
            ids: tuples(f.take("ids"), e.line, |t: &[i64]| match t {
                [sid, u, mid] if *u <= 1 => Some((
                    u16::try_from(*sid).ok()?,
                    *u == 1,
                    u32::try_from(*mid).ok()?,
                )),
                _ => None,
            })?,
        },
        "RECONFIG" => {
            let flags = f.flags(&[])?;
            let len = f.num("len")?;
            let items = std::mem::take(&mut f.elems)
                .iter()
                .map(reconfig_param)
                .collect::<PResult<_>>()?;
            Chunk::Reconfig {
                flags,
                len,
                params: ReconfigParams {
                    items,
                    more: f.ellipsis,
                },
            }
        }
        "CHUNK" => {
            let ty = match f.take("type") {
                GVal::Word(w) if chunk_type_by_name(&w).is_some() => {
                    Val::Is(chunk_type_by_name(&w).unwrap_or_default())
                }
                other => num(&other, e.line)?,
            };
            Chunk::Generic {
                ty,
                flags: f.flags(&[])?,
                len: f.num("len")?,
                val: f.bytes("val")?,
            }
        }
        other => return perr(e.line, format!("unknown chunk '{other}'")),
    };
    f.no_nested()?;
    f.finish()?;
    Ok(c)
}

/// `[{a, b}, {c, d}]` (or `...`): a list of integer tuples, each turned
/// into a `T` by `make` (`None`: wrong arity or range).
fn tuples<T, N: TryFrom<i64> + Copy>(
    v: GVal,
    line: u32,
    make: impl Fn(&[N]) -> Option<T>,
) -> PResult<Val<Vec<T>>> {
    let GVal::List(items) = v else {
        return match v {
            GVal::Any => Ok(Val::Any),
            other => perr(
                line,
                format!("expected a list of {{...}} tuples, found {other:?}"),
            ),
        };
    };
    items
        .iter()
        .map(|t| {
            let nums = match t {
                GVal::List(fields) => fields
                    .iter()
                    .map(|x| match num::<N>(x, line)? {
                        Val::Is(n) => Ok(n),
                        Val::Any => perr(line, "'...' inside a tuple"),
                    })
                    .collect::<PResult<Vec<N>>>()?,
                other => return perr(line, format!("expected a {{...}} tuple, found {other:?}")),
            };
            make(&nums).map_or_else(|| perr(line, format!("bad tuple {t:?}")), Ok)
        })
        .collect::<PResult<_>>()
        .map(Val::Is)
}

/// `sids=[0, 1]` or `...`.
fn u16_list(v: GVal, line: u32) -> PResult<Val<Vec<u16>>> {
    match v {
        GVal::Any => Ok(Val::Any),
        GVal::List(items) => items
            .iter()
            .map(|i| match num::<u16>(i, line)? {
                Val::Is(n) => Ok(n),
                Val::Any => perr(line, "'...' inside a number list"),
            })
            .collect::<PResult<_>>()
            .map(Val::Is),
        other => perr(line, format!("expected a number list, found {other:?}")),
    }
}

fn reconfig_param(e: &GElem) -> PResult<ReconfigParam> {
    let mut f = Fields::of(e);
    let line = e.line;
    let p = match e.name.as_str() {
        "OUTGOING_SSN_RESET" => ReconfigParam::OutgoingSsnReset {
            req_sn: f.num("req_sn")?,
            resp_sn: f.num("resp_sn")?,
            last_tsn: f.num("last_tsn")?,
            sids: u16_list(f.take("sids"), line)?,
        },
        "INCOMING_SSN_RESET" => ReconfigParam::IncomingSsnReset {
            req_sn: f.num("req_sn")?,
            sids: u16_list(f.take("sids"), line)?,
        },
        "SSN_TSN_RESET" => ReconfigParam::SsnTsnReset {
            req_sn: f.num("req_sn")?,
        },
        "RECONFIG_RESPONSE" => {
            let present = |f: &Fields, k: &str| f.fields.iter().any(|(n, _)| n == k);
            let has_sender = present(&f, "sender_next_tsn");
            let has_receiver = present(&f, "receiver_next_tsn");
            ReconfigParam::Response {
                req_sn: f.num("req_sn")?,
                result: f.num("result")?,
                sender_next_tsn: has_sender.then(|| f.num("sender_next_tsn")).transpose()?,
                receiver_next_tsn: has_receiver
                    .then(|| f.num("receiver_next_tsn"))
                    .transpose()?,
            }
        }
        "ADD_OUTGOING_STREAMS" | "ADD_INCOMING_STREAMS" => {
            let req_sn = f.num("req_sn")?;
            let number_of_new_streams = f.num("number_of_new_streams")?;
            if e.name == "ADD_OUTGOING_STREAMS" {
                ReconfigParam::AddOutgoingStreams {
                    req_sn,
                    number_of_new_streams,
                }
            } else {
                ReconfigParam::AddIncomingStreams {
                    req_sn,
                    number_of_new_streams,
                }
            }
        }
        other => return perr(line, format!("unknown RECONFIG parameter '{other}'")),
    };
    f.no_nested()?;
    f.finish()?;
    Ok(p)
}

fn gap(v: &GVal, line: u32) -> PResult<(u16, u16)> {
    if let GVal::Word(w) = v {
        if let Some((a, b)) = w.split_once(':') {
            if let (Some(a), Some(b)) = (parse_int(a), parse_int(b)) {
                if let (Ok(a), Ok(b)) = (u16::try_from(a), u16::try_from(b)) {
                    return Ok((a, b));
                }
            }
        }
    }
    perr(line, format!("bad gap block {v:?}"))
}

fn param_list(v: GVal, line: u32) -> PResult<Val<Vec<Param>>> {
    match v {
        GVal::Any => Ok(Val::Any),
        GVal::List(items) => items
            .iter()
            .map(|i| match i {
                GVal::Elem(e) => param(e),
                other => perr(line, format!("expected a parameter, found {other:?}")),
            })
            .collect::<PResult<_>>()
            .map(Val::Is),
        other => perr(line, format!("expected a parameter list, found {other:?}")),
    }
}

fn param(e: &GElem) -> PResult<Param> {
    let mut f = Fields::of(e);
    let line = e.line;
    let p = match e.name.as_str() {
        "IPV4_ADDRESS" => Param::Ipv4Address(match f.take("addr") {
            GVal::Any => Val::Any,
            GVal::Word(w) => Val::Is(
                w.parse::<Ipv4Addr>()
                    .or_else(|_| perr(line, format!("bad IPv4 address '{w}'")))?,
            ),
            other => return perr(line, format!("bad address {other:?}")),
        }),
        "IPV6_ADDRESS" => Param::Ipv6Address(match f.take("addr") {
            GVal::Any => Val::Any,
            GVal::Word(w) => Val::Is(
                w.parse::<Ipv6Addr>()
                    .or_else(|_| perr(line, format!("bad IPv6 address '{w}'")))?,
            ),
            other => return perr(line, format!("bad address {other:?}")),
        }),
        "HOSTNAME_ADDRESS" => Param::HostnameAddress(match f.take("addr") {
            GVal::Any => Val::Any,
            GVal::Str(s) => Val::Is(s),
            other => return perr(line, format!("bad host name {other:?}")),
        }),
        "STATE_COOKIE" => Param::StateCookie {
            len: f.num("len")?,
            val: f.bytes("val")?,
        },
        "HEARTBEAT_INFORMATION" => Param::HeartbeatInformation {
            len: f.num("len")?,
            val: f.bytes("val")?,
        },
        "COOKIE_PRESERVATIVE" => Param::CookiePreservative(f.num("incr")?),
        "UNRECOGNIZED_PARAMETER" => {
            let v = f.take("params");
            Param::UnrecognizedParameter(param_list(v, line)?)
        }
        "SUPPORTED_ADDRESS_TYPES" => Param::SupportedAddressTypes(match f.take("types") {
            GVal::Any => Val::Any,
            GVal::List(items) => Val::Is(
                items
                    .iter()
                    .map(|t| match t {
                        GVal::Word(w) if w == "IPv4" => Ok(AddressType::Ipv4),
                        GVal::Word(w) if w == "IPv6" => Ok(AddressType::Ipv6),
                        GVal::Word(w) if w == "HOSTNAME" => Ok(AddressType::Hostname),
                        other => perr(line, format!("bad address type {other:?}")),
                    })
                    .collect::<PResult<_>>()?,
            ),
            other => return perr(line, format!("bad address types {other:?}")),
        }),
        "PARAMETER" => Param::Generic {
            ty: f.num("type")?,
            len: f.num("len")?,
            val: f.bytes("val")?,
        },
        other => return perr(line, format!("unknown parameter '{other}'")),
    };
    f.no_nested()?;
    f.finish()?;
    Ok(p)
}

fn cause(e: &GElem) -> PResult<Cause> {
    let mut f = Fields::of(e);
    let line = e.line;
    let c = match e.name.as_str() {
        "INVALID_STREAM_IDENTIFIER" => Cause::InvalidStreamIdentifier(f.num("sid")?),
        "MISSING_MANDATORY_PARAMETER" => Cause::MissingMandatoryParameter(match f.take("types") {
            GVal::Any => Val::Any,
            GVal::List(items) => Val::Is(
                items
                    .iter()
                    .map(|t| match num::<u16>(t, line)? {
                        Val::Is(v) => Ok(v),
                        Val::Any => perr(line, "'...' inside types"),
                    })
                    .collect::<PResult<_>>()?,
            ),
            other => return perr(line, format!("bad types {other:?}")),
        }),
        "STALE_COOKIE_ERROR" => Cause::StaleCookie(f.num("staleness")?),
        "UNRESOLVABLE_ADDRESS" => Cause::UnresolvableAddress(match f.take("param") {
            GVal::Any => Val::Any,
            GVal::Elem(p) => Val::Is(Box::new(param(&p)?)),
            other => return perr(line, format!("bad address parameter {other:?}")),
        }),
        "UNRECOGNIZED_CHUNK_TYPE" => Cause::UnrecognizedChunkType(match f.take("chk") {
            GVal::Any => Val::Any,
            GVal::Elem(c) => Val::Is(Box::new(chunk(&c)?)),
            other => return perr(line, format!("bad chunk {other:?}")),
        }),
        "INVALID_MANDATORY_PARAMETER" => Cause::InvalidMandatoryParameter,
        "UNRECOGNIZED_PARAMETERS" => {
            let v = f.take("params");
            Cause::UnrecognizedParameters(param_list(v, line)?)
        }
        "NO_USER_DATA" => Cause::NoUserData(f.num("tsn")?),
        "PROTOCOL_VIOLATION" => Cause::ProtocolViolation(f.bytes("info")?),
        other => return perr(line, format!("unknown error cause '{other}'")),
    };
    f.no_nested()?;
    f.finish()?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<Event> {
        parse_script(text).expect("parses").events
    }

    #[test]
    fn options_times_and_ifdefs() {
        let s = parse_script(
            "--tolerance_usecs=25000\n 0.0 socket(..., SOCK_STREAM, IPPROTO_SCTP) = 3\n\
             #ifdef Linux\n+0.2 close(3) = 0\n#endif\n#ifdef FreeBSD\n+ 0.25 close(3) = 0\n#endif\n\
             *    > sctp: COOKIE_ACK[flgs=0]\n+0.1~+0.3 close(4) = 0\n",
        )
        .unwrap();
        assert_eq!(s.tolerance_usecs(), 25000);
        assert_eq!(s.events.len(), 4);
        assert_eq!(
            s.events[0].time,
            EventTime::Absolute {
                start: 0,
                end: None
            }
        );
        assert_eq!(s.events[1].line, 7);
        assert_eq!(
            s.events[1].time,
            EventTime::Relative {
                start: 250_000,
                end: None
            }
        );
        assert_eq!(s.events[2].time, EventTime::Any);
        assert_eq!(
            s.events[3].time,
            EventTime::Relative {
                start: 100_000,
                end: Some(300_000)
            }
        );
        assert_eq!(parse_script("").unwrap().tolerance_usecs(), 4000);
    }

    #[test]
    fn syscalls_with_errno_notes_structs_and_bit_or() {
        let ev = events(
            "+0.1 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n\
             +0.0 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)\n\
             +0.0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n\
             +0.0 setsockopt(3, IPPROTO_SCTP, SCTP_RTOINFO, {srto_initial=100,\n  srto_max=800, srto_min=100}, 16) = 0\n\
             +0.0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ETIMEDOUT], [4]) = 0\n\
             +0.0 write(3, ...,1000) = -1 // ECONNRESET on FreeBSD\n",
        );
        let Action::Syscall(c) = &ev[0].action else {
            panic!("not a syscall")
        };
        assert_eq!(c.name, "connect");
        assert_eq!(c.ret, Expr::Int(-1));
        assert_eq!(c.errno.as_deref(), Some("EINPROGRESS"));
        assert_eq!(c.note.as_deref(), Some("Operation now in progress"));
        let Action::Syscall(c) = &ev[1].action else {
            panic!()
        };
        assert_eq!(c.ret, Expr::Int(2));
        assert_eq!(c.errno, None);
        let Action::Syscall(c) = &ev[2].action else {
            panic!()
        };
        assert_eq!(
            c.args[2],
            Expr::BitOr(vec![
                Expr::Ident("O_RDWR".into()),
                Expr::Ident("O_NONBLOCK".into())
            ])
        );
        let Action::Syscall(c) = &ev[3].action else {
            panic!()
        };
        assert_eq!(c.args[3].field("srto_max"), Some(&Expr::Int(800)));
        assert_eq!(ev[4].line, 6);
        let Action::Syscall(c) = &ev[4].action else {
            panic!()
        };
        assert_eq!(c.args[3], Expr::List(vec![Expr::Ident("ETIMEDOUT".into())]));
        let Action::Syscall(c) = &ev[5].action else {
            panic!()
        };
        assert_eq!(c.ret, Expr::Int(-1));
        assert_eq!(c.errno, None);
    }

    /// The chunks of the single packet line `line`.
    fn chunks_of(line: &str) -> Vec<Chunk> {
        match events(line).remove(0).action {
            Action::Packet(PacketEvent {
                payload: Payload::Chunks(c),
                ..
            }) => c,
            other => panic!("not a chunk list: {other:?}"),
        }
    }

    #[test]
    fn extension_chunks_i_data_forward_tsn_and_reconfig() {
        let c = chunks_of(
            "+0 > sctp: I_DATA[flgs=UB, len=120, tsn=1, sid=2, mid=3, ppid=4]; \
             I_DATA[flgs=E, len=..., tsn=2, sid=2, mid=3, fsn=1]; \
             FORWARD_TSN[flgs=0, len=..., cum_tsn=7, ids=[{0,1}, {2,3}]]; \
             I_FORWARD_TSN[flgs=0, len=..., cum_tsn=8, ids=[{1,1,9}]]",
        );
        assert_eq!(
            c[0],
            Chunk::IData {
                flags: Val::Is(0x06),
                len: Val::Is(120),
                tsn: Val::Is(1),
                sid: Val::Is(2),
                mid: Val::Is(3),
                ppid_fsn: Val::Is(4)
            }
        );
        assert!(matches!(
            &c[1],
            Chunk::IData {
                flags: Val::Is(1),
                ppid_fsn: Val::Is(1),
                ..
            }
        ));
        assert!(
            matches!(&c[2], Chunk::ForwardTsn { cum_tsn: Val::Is(7), ids: Val::Is(ids), .. }
            if ids == &vec![(0, 1), (2, 3)])
        );
        assert!(matches!(&c[3], Chunk::IForwardTsn { ids: Val::Is(ids), .. }
            if ids == &vec![(1, true, 9)]));
        let c = chunks_of(
            "+0 < sctp: RECONFIG[flgs=0, OUTGOING_SSN_RESET[req_sn=1, resp_sn=2, last_tsn=3, sids=[0, 5]], \
             INCOMING_SSN_RESET[req_sn=4, sids=[]], SSN_TSN_RESET[req_sn=5], \
             RECONFIG_RESPONSE[req_sn=6, result=1], \
             RECONFIG_RESPONSE[req_sn=7, result=1, sender_next_tsn=8, receiver_next_tsn=9], \
             ADD_OUTGOING_STREAMS[req_sn=10, number_of_new_streams=2], \
             ADD_INCOMING_STREAMS[req_sn=11, number_of_new_streams=...], ...]",
        );
        let Chunk::Reconfig { params, .. } = &c[0] else {
            panic!("{c:?}")
        };
        assert!(params.more);
        assert_eq!(params.items.len(), 7);
        assert_eq!(
            params.items[0],
            ReconfigParam::OutgoingSsnReset {
                req_sn: Val::Is(1),
                resp_sn: Val::Is(2),
                last_tsn: Val::Is(3),
                sids: Val::Is(vec![0, 5])
            }
        );
        assert!(matches!(
            &params.items[3],
            ReconfigParam::Response {
                sender_next_tsn: None,
                receiver_next_tsn: None,
                ..
            }
        ));
        assert!(matches!(
            &params.items[4],
            ReconfigParam::Response {
                sender_next_tsn: Some(Val::Is(8)),
                receiver_next_tsn: Some(Val::Is(9)),
                ..
            }
        ));
        assert!(matches!(
            &params.items[6],
            ReconfigParam::AddIncomingStreams {
                number_of_new_streams: Val::Any,
                ..
            }
        ));
        for bad in [
            "+0 < sctp: I_DATA[flgs=B, tsn=1, sid=0, mid=0, ppid=1, fsn=2]",
            "+0 < sctp: FORWARD_TSN[flgs=0, cum_tsn=1, ids=[{1,2,3}]]",
            "+0 < sctp: I_FORWARD_TSN[flgs=0, cum_tsn=1, ids=[{1,2,3}]]",
            "+0 < sctp: RECONFIG[flgs=0, SSN_TSN_RESET[req_sn=1, sids=[1]]]",
            "+0 < sctp: RECONFIG[flgs=0, BOGUS[req_sn=1]]",
        ] {
            assert!(parse_script(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn packets_with_params_causes_and_bundles() {
        let ev = events(
            "+0.0 < sctp: INIT[flgs=0, tag=1, a_rwnd=1500, os=1, is=1, tsn=1,\n\
               IPV4_ADDRESS[addr=1.1.1.1], IPV6_ADDRESS[addr=fe80::250:56ff:fe24:9e6],\n\
               HOSTNAME_ADDRESS[addr=\"a.b\"], SUPPORTED_ADDRESS_TYPES[types=[IPv4, IPv6]],\n\
               COOKIE_PRESERVATIVE[incr=12345], PARAMETER[type=0xc0cc, len=8, val=[0x01, 0x9]]]\n\
             +0.0 > sctp: INIT_ACK[flgs=0, tag=2, a_rwnd=..., os=..., is=..., tsn=1, ...]\n\
             +0.0 < sctp: COOKIE_ECHO[flgs=0, len=..., val=...];\n   DATA[flgs=BE, len=116, tsn=1, sid=0, ssn=0, ppid=0];\n\
             +0.0 > sctp: SACK[flgs=0, cum_tsn=1, a_rwnd=..., gaps=[2:2], dups=[3]]\n\
             +0.0 > sctp: ERROR[flgs=0, UNRECOGNIZED_CHUNK_TYPE[chk=CHUNK[type=0xEF, flgs=0, len=5, val=[0x01]]]]\n\
             +0.0 > sctp: ABORT[flgs=T, MISSING_MANDATORY_PARAMETER[types=[7]], ...]\n",
        );
        let Action::Packet(p) = &ev[0].action else {
            panic!()
        };
        assert_eq!(p.direction, Direction::Inbound);
        let Payload::Chunks(c) = &p.payload else {
            panic!()
        };
        let Chunk::Init(init) = &c[0] else { panic!() };
        assert_eq!(init.a_rwnd, Val::Is(1500));
        assert_eq!(init.params.items.len(), 6);
        assert!(!init.params.more);
        assert_eq!(
            init.params.items[1],
            Param::Ipv6Address(Val::Is("fe80::250:56ff:fe24:9e6".parse().unwrap()))
        );
        assert_eq!(
            init.params.items[5],
            Param::Generic {
                ty: Val::Is(0xc0cc),
                len: Val::Is(8),
                val: Val::Is(vec![1, 9])
            }
        );
        let Action::Packet(p) = &ev[1].action else {
            panic!()
        };
        let Payload::Chunks(c) = &p.payload else {
            panic!()
        };
        let Chunk::InitAck(ia) = &c[0] else { panic!() };
        assert!(ia.params.more);
        assert_eq!(ia.os, Val::Any);
        let Action::Packet(p) = &ev[2].action else {
            panic!()
        };
        let Payload::Chunks(c) = &p.payload else {
            panic!()
        };
        assert_eq!(c.len(), 2);
        assert!(matches!(
            c[1],
            Chunk::Data {
                flags: Val::Is(3),
                ..
            }
        ));
        assert_eq!(ev[3].line, 8);
        let Action::Packet(p) = &ev[3].action else {
            panic!()
        };
        let Payload::Chunks(c) = &p.payload else {
            panic!()
        };
        assert!(
            matches!(&c[0], Chunk::Sack { gaps: Val::Is(g), dups: Val::Is(d), .. }
            if g == &vec![(2, 2)] && d == &vec![3])
        );
        let Action::Packet(p) = &ev[5].action else {
            panic!()
        };
        let Payload::Chunks(c) = &p.payload else {
            panic!()
        };
        assert!(matches!(&c[0], Chunk::Abort { flags: Val::Is(1), causes }
            if causes.more && causes.items == vec![Cause::MissingMandatoryParameter(Val::Is(vec![7]))]));
    }

    #[test]
    fn raw_payloads_header_options_and_addresses() {
        let ev = events(
            "+1.0 < sctp(tag=0): [0x01, 0x00, 0x00, 0x60]\n\
             +0.1 < sctp(bad_crc32c): INIT[flgs=0, tag=1, a_rwnd=1500, os=1, is=1, tsn=1]\n\
             +0.0 < 224.0.0.0 > 192.168.0.1 sctp: COOKIE_ECHO[flgs=0, len=..., val=...]\n\
             +0.0 < sctp: CHUNK[type=INIT_ACK, flgs=0x00, len=8, val=[0x01, 0x02, 0x03, 0x04]]\n",
        );
        let Action::Packet(p) = &ev[0].action else {
            panic!()
        };
        assert_eq!(p.tag, Some(0));
        assert_eq!(p.payload, Payload::Raw(vec![1, 0, 0, 0x60]));
        let Action::Packet(p) = &ev[1].action else {
            panic!()
        };
        assert!(p.bad_crc32c);
        let Action::Packet(p) = &ev[2].action else {
            panic!()
        };
        assert_eq!(
            p.addresses,
            Some(("224.0.0.0".parse().unwrap(), "192.168.0.1".parse().unwrap()))
        );
        let Action::Packet(p) = &ev[3].action else {
            panic!()
        };
        assert!(matches!(&p.payload, Payload::Chunks(c)
            if matches!(c[0], Chunk::Generic { ty: Val::Is(2), len: Val::Is(8), .. })));
    }

    #[test]
    fn errors_carry_line_numbers() {
        let e = parse_script("+0.0 close(3) = 0\n+0.0 > sctp: FOO[flgs=0]\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("FOO"), "{e}");
        let e = parse_script("+0.0 > sctp: DATA[flgs=XZ]\n").unwrap_err();
        assert!(e.message.contains("flag"), "{e}");
        let e = parse_script("+0.0 > sctp: SACK[flgs=0, bogus=1]\n").unwrap_err();
        assert!(e.message.contains("bogus"), "{e}");
        assert!(parse_script("#ifdef Linux\n").is_err());
        assert!(parse_script("* close(3) = 0\n").is_err());
        assert!(parse_script("+0.0 < sctp: DATA[flgs=BE, tsn=99999999999]\n").is_err());
    }

    #[test]
    fn no_panic_on_truncated_input() {
        let text = "+0.0 < sctp: INIT[flgs=0, tag=1, a_rwnd=1500, os=1, is=1, tsn=1, \
                    PARAMETER[type=0xc0cc, len=8, val=[0x01]]]\n+0.0 connect(3, {a=[1|2]}, ...) = -1 E (x)\n";
        for end in 0..text.len() {
            let _ = parse_script(&text[..end]);
        }
    }
}
