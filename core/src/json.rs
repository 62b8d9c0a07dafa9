//! A small strict JSON reader (RFC 8259) for the signed payloads and the site.lic wrapper.
//!
//! Decides what "strict" means: UTF-8 only, no duplicate member names, integers only (no
//! fraction or exponent, within i64/u64), nesting at most [`MAX_DEPTH`], nothing but whitespace
//! after the value. Strings without escapes are borrowed from the input. Keeping this reader
//! instead of a general-purpose deserializer keeps the verification path small (the WASM module
//! ships it) and its failure modes few.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

/// Deepest accepted nesting of arrays and objects.
pub const MAX_DEPTH: usize = 32;
/// Most members an object may have (anywhere; a payload object has at most 16 in practice).
pub const MAX_MEMBERS: usize = 64;
/// Most items an array may have (a manifest's `sites` holds up to `MAX_SITES`).
pub const MAX_ITEMS: usize = 100_000;

/// A parsed JSON value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    /// An integer that fits in i64 or u64.
    Int(i128),
    Str(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    /// Members in document order; names are unique.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// Why a document is not strict JSON.
pub(crate) type ParseError = &'static str;

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

/// Parses one JSON value filling the whole input (surrounding whitespace allowed).
pub(crate) fn parse(bytes: &[u8]) -> Result<Value<'_>, ParseError> {
    let s = core::str::from_utf8(bytes).map_err(|_| "not UTF-8")?;
    let mut p = Parser {
        s,
        b: s.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return Err("trailing data after the JSON value");
    }
    Ok(v)
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> bool {
        if self.b[self.i..].starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.ws();
        match self.b.get(self.i) {
            None => Err("unexpected end of input"),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::Str),
            Some(b't') if self.eat(b"true") => Ok(Value::Bool(true)),
            Some(b'f') if self.eat(b"false") => Ok(Value::Bool(false)),
            Some(b'n') if self.eat(b"null") => Ok(Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err("unexpected character"),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply");
        }
        self.i += 1;
        let mut members: Vec<(Cow<'a, str>, Value<'a>)> = Vec::new();
        self.ws();
        if self.eat(b"}") {
            return Ok(Value::Object(members));
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return Err("expected a member name");
            }
            if members.len() == MAX_MEMBERS {
                return Err("too many members");
            }
            let name = self.string()?;
            self.ws();
            if !self.eat(b":") {
                return Err("expected ':'");
            }
            let v = self.value(depth)?;
            members.push((name, v));
            self.ws();
            if self.eat(b",") {
                continue;
            }
            if self.eat(b"}") {
                if has_duplicate(members.iter().map(|(n, _)| n.as_ref())) {
                    return Err("duplicate member name");
                }
                return Ok(Value::Object(members));
            }
            return Err("expected ',' or '}'");
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply");
        }
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b"]") {
            return Ok(Value::Array(items));
        }
        loop {
            if items.len() == MAX_ITEMS {
                return Err("too many items");
            }
            items.push(self.value(depth)?);
            self.ws();
            if self.eat(b",") {
                continue;
            }
            if self.eat(b"]") {
                return Ok(Value::Array(items));
            }
            return Err("expected ',' or ']'");
        }
    }

    fn number(&mut self) -> Result<Value<'a>, ParseError> {
        let start = self.i;
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        let digits = self.i;
        while let Some(b'0'..=b'9') = self.b.get(self.i) {
            self.i += 1;
        }
        let n = self.i - digits;
        if n == 0 {
            return Err("invalid number");
        }
        if n > 1 && self.b[digits] == b'0' {
            return Err("number with a leading zero");
        }
        if let Some(b'.' | b'e' | b'E') = self.b.get(self.i) {
            return Err("only integers are accepted");
        }
        if n > 20 {
            return Err("integer out of range");
        }
        // At most 20 ASCII digits (checked above): no overflow in an i128. (Not `str::parse`:
        // its code and a str slice's panic path cost the WASM module; docs/WASM.md "Size".)
        let magnitude = self.b[digits..self.i]
            .iter()
            .fold(0i128, |v, d| v * 10 + i128::from(d - b'0'));
        let v = if digits > start {
            -magnitude
        } else {
            magnitude
        };
        if v < i128::from(i64::MIN) || v > i128::from(u64::MAX) {
            return Err("integer out of range");
        }
        Ok(Value::Int(v))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .ok_or("truncated \\u escape")?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err("invalid \\u escape");
        }
        self.i += 4;
        // Four ASCII hex digits (checked above).
        Ok(h.bytes()
            .fold(0, |v, c| v * 16 + char::from(c).to_digit(16).unwrap_or(0)))
    }

    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        self.i += 1; // opening quote
        let start = self.i;
        // Fast path: no escapes. Whole words without a quote, backslash or control byte are
        // skipped eight bytes at a time; the byte loop below decides.
        self.i = skip_words(self.b, self.i, |w| {
            has_less(w, 0x20) || has_byte(w, b'"') || has_byte(w, b'\\')
        });
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    // Both ends are at ASCII bytes: `get` never refuses (and links no panic).
                    let s = self.s.get(start..self.i).ok_or("invalid string")?;
                    self.i += 1;
                    return Ok(Cow::Borrowed(s));
                }
                b'\\' => break,
                0..=0x1f => return Err("control character in a string"),
                _ => self.i += 1,
            }
        }
        let mut out = String::from(self.s.get(start..self.i).ok_or("invalid string")?);
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err("unterminated string");
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    self.i += 1;
                    let e = *self.b.get(self.i).ok_or("unterminated string")?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.eat(b"\\u") {
                                    return Err("unpaired surrogate");
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err("unpaired surrogate");
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err("unpaired surrogate");
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or("invalid \\u escape")?
                        }
                        _ => return Err("invalid escape"),
                    };
                    out.push(ch);
                }
                0..=0x1f => return Err("control character in a string"),
                _ => {
                    // Copy one whole UTF-8 character.
                    let ch = self.s.get(self.i..).and_then(|t| t.chars().next());
                    let ch = ch.ok_or("invalid string")?;
                    out.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of the little-endian word `w` is below `n` (exact for `n` ≤ 128: no false
/// negatives; a true hit may also flag bytes above it, which callers never rely on).
#[inline]
pub(crate) const fn has_less(w: u64, n: u8) -> bool {
    w.wrapping_sub(LO * n as u64) & !w & HI != 0
}

/// Whether any byte of `w` equals `b` (exact as to existence).
#[inline]
pub(crate) const fn has_byte(w: u64, b: u8) -> bool {
    let x = w ^ (LO * b as u64);
    x.wrapping_sub(LO) & !x & HI != 0
}

/// The first index from `i` at which an 8-byte word of `b` may hold a byte that `stop` flags
/// (or where fewer than eight bytes are left). Only skips words `stop` clears, so a byte loop
/// starting at the result sees every byte that matters.
#[inline]
pub(crate) fn skip_words(b: &[u8], mut i: usize, stop: impl Fn(u64) -> bool) -> usize {
    while let Some(Ok(word)) = b.get(i..i + 8).map(<[u8; 8]>::try_from) {
        if stop(u64::from_le_bytes(word)) {
            break;
        }
        i += 8;
    }
    i
}

/// Whether any name repeats. Objects have at most [`MAX_MEMBERS`] names, so a direct scan is
/// bounded (at most 2,016 comparisons).
pub(crate) fn has_duplicate<'n>(names: impl Iterator<Item = &'n str>) -> bool {
    let v: Vec<&str> = names.collect();
    (1..v.len()).any(|i| v[..i].contains(&v[i]))
}

/// Whether any of `items` repeats: a direct scan up to 64 items, beyond that a sorted copy
/// (O(n log n); the one sort instance core links).
pub(crate) fn has_duplicate_string(items: &[String]) -> bool {
    if items.len() <= MAX_MEMBERS {
        return (1..items.len()).any(|i| items[..i].contains(&items[i]));
    }
    let mut v = items.to_vec();
    sort_strings(&mut v);
    v.windows(2).any(|w| w[0] == w[1])
}

/// Sorts `v` in place: heapsort, O(n log n) comparisons in every case and no allocation, in a
/// fraction of the code of `sort_unstable` (whose quicksort and small-sort networks were ≈ 3 KB
/// of the WASM module; docs/WASM.md "Size"). The one sort core links (duplicate checks and
/// revoked ids).
pub(crate) fn sort_strings(v: &mut [String]) {
    fn sift_down(v: &mut [String], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && v[child] < v[child + 1] {
                child += 1;
            }
            if v[root] >= v[child] {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift_down(v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

impl<'a> Parser<'a> {
    /// Checks one value of any RFC 8259 shape (numbers with fractions and exponents and of any
    /// length included) without building it: for members a reader ignores. Bounded by the input
    /// length and [`MAX_DEPTH`]; allocates nothing but escaped strings.
    fn skip(&mut self, depth: usize) -> Result<(), ParseError> {
        self.ws();
        match self.b.get(self.i) {
            None => Err("unexpected end of input"),
            Some(b'{' | b'[') if depth + 1 > MAX_DEPTH => Err("nested too deeply"),
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.eat(b"}") {
                    return Ok(());
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err("expected a member name");
                    }
                    self.string()?;
                    self.ws();
                    if !self.eat(b":") {
                        return Err("expected ':'");
                    }
                    self.skip(depth + 1)?;
                    self.ws();
                    if self.eat(b",") {
                        continue;
                    }
                    if self.eat(b"}") {
                        return Ok(());
                    }
                    return Err("expected ',' or '}'");
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.eat(b"]") {
                    return Ok(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    if self.eat(b",") {
                        continue;
                    }
                    if self.eat(b"]") {
                        return Ok(());
                    }
                    return Err("expected ',' or ']'");
                }
            }
            Some(b'"') => self.string().map(|_| ()),
            Some(b't') if self.eat(b"true") => Ok(()),
            Some(b'f') if self.eat(b"false") => Ok(()),
            Some(b'n') if self.eat(b"null") => Ok(()),
            Some(b'-' | b'0'..=b'9') => self.skip_number(),
            Some(_) => Err("unexpected character"),
        }
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn skip_number(&mut self) -> Result<(), ParseError> {
        let digits = |p: &mut Self| {
            let start = p.i;
            while let Some(b'0'..=b'9') = p.b.get(p.i) {
                p.i += 1;
            }
            p.i - start
        };
        self.eat(b"-");
        let first = self.b.get(self.i).copied();
        let n = digits(self);
        if n == 0 || (n > 1 && first == Some(b'0')) {
            return Err("invalid number");
        }
        if self.eat(b".") && digits(self) == 0 {
            return Err("invalid number");
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err("invalid number");
            }
        }
        Ok(())
    }
}

/// Why a `site.lic` wrapper was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WrapperError {
    /// Not one JSON object, a missing, duplicated or non-string `cml`/`site`, a repeated member
    /// name, more than [`MAX_MEMBERS`] members.
    Malformed(&'static str),
}

/// Reads the `site.lic` wrapper in one pass: the top-level object's `cml` and `site` strings are
/// returned; every other member is checked as JSON of any shape and ignored. Member names at the
/// top level are unique and at most [`MAX_MEMBERS`].
pub(crate) fn license_wrapper(bytes: &[u8]) -> Result<(Cow<'_, str>, Cow<'_, str>), WrapperError> {
    let bad = WrapperError::Malformed;
    let s = core::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
    let mut p = Parser {
        s,
        b: s.as_bytes(),
        i: 0,
    };
    p.ws();
    if !p.eat(b"{") {
        return Err(bad("not a JSON object"));
    }
    let mut names: Vec<Cow<'_, str>> = Vec::new();
    let (mut cml, mut site) = (None, None);
    p.ws();
    if !p.eat(b"}") {
        loop {
            p.ws();
            if p.b.get(p.i) != Some(&b'"') {
                return Err(bad("expected a member name"));
            }
            if names.len() == MAX_MEMBERS {
                return Err(bad("too many members"));
            }
            let name = p.string().map_err(bad)?;
            p.ws();
            if !p.eat(b":") {
                return Err(bad("expected ':'"));
            }
            p.ws();
            match name.as_ref() {
                "cml" | "site" => {
                    if p.b.get(p.i) != Some(&b'"') {
                        return Err(bad("cml and site must be strings"));
                    }
                    let v = p.string().map_err(bad)?;
                    if name == "cml" {
                        cml = Some(v);
                    } else {
                        site = Some(v);
                    }
                }
                _ => p.skip(1).map_err(bad)?,
            }
            names.push(name);
            p.ws();
            if p.eat(b",") {
                continue;
            }
            if p.eat(b"}") {
                break;
            }
            return Err(bad("expected ',' or '}'"));
        }
    }
    p.ws();
    if p.i != p.b.len() {
        return Err(bad("trailing data after the JSON object"));
    }
    if has_duplicate(names.iter().map(|n| n.as_ref())) {
        return Err(bad("duplicate member name"));
    }
    match (cml, site) {
        (Some(c), Some(s)) => Ok((c, s)),
        _ => Err(bad("missing cml or site")),
    }
}

/// Reads the members of one object, each at most once, and checks that none is left over.
pub(crate) struct Obj<'v, 'a> {
    members: &'v [(Cow<'a, str>, Value<'a>)],
    used: u64,
}

impl<'v, 'a> Obj<'v, 'a> {
    /// The object in `v`, or an error naming `what`.
    pub fn new(v: &'v Value<'a>) -> Result<Self, String> {
        match v {
            Value::Object(m) if m.len() <= MAX_MEMBERS => Ok(Self {
                members: m,
                used: 0,
            }),
            Value::Object(_) => Err("too many members".into()),
            _ => Err("expected a JSON object".into()),
        }
    }

    fn get(&mut self, name: &str) -> Option<&'v Value<'a>> {
        let (i, (_, v)) = self
            .members
            .iter()
            .enumerate()
            .find(|(_, (n, _))| n == name)?;
        self.used |= 1 << i;
        Some(v)
    }

    fn req(&mut self, name: &str) -> Result<&'v Value<'a>, String> {
        self.get(name)
            .ok_or_else(|| alloc::format!("missing member `{name}`"))
    }

    /// A required string member.
    pub fn str(&mut self, name: &str) -> Result<String, String> {
        match self.req(name)? {
            Value::Str(s) => Ok(String::from(s.as_ref())),
            _ => Err(alloc::format!("`{name}` must be a string")),
        }
    }

    /// A borrowed required string member.
    pub fn str_ref(&mut self, name: &str) -> Result<&'v str, String> {
        match self.req(name)? {
            Value::Str(s) => Ok(s.as_ref()),
            _ => Err(alloc::format!("`{name}` must be a string")),
        }
    }

    /// An optional string member (absent or null).
    pub fn opt_str(&mut self, name: &str) -> Result<Option<String>, String> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Str(s)) => Ok(Some(String::from(s.as_ref()))),
            _ => Err(alloc::format!("`{name}` must be a string")),
        }
    }

    fn int_of(name: &str, v: &Value<'_>) -> Result<i128, String> {
        match v {
            Value::Int(n) => Ok(*n),
            _ => Err(alloc::format!("`{name}` must be an integer")),
        }
    }

    /// A required integer member converted to `T`.
    pub fn int<T: TryFrom<i128>>(&mut self, name: &str) -> Result<T, String> {
        let n = Self::int_of(name, self.req(name)?)?;
        T::try_from(n).map_err(|_| alloc::format!("`{name}` is out of range"))
    }

    /// An optional integer member (absent or null).
    pub fn opt_int<T: TryFrom<i128>>(&mut self, name: &str) -> Result<Option<T>, String> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let n = Self::int_of(name, v)?;
                T::try_from(n)
                    .map(Some)
                    .map_err(|_| alloc::format!("`{name}` is out of range"))
            }
        }
    }

    /// A required array of strings.
    pub fn strs(&mut self, name: &str) -> Result<Vec<String>, String> {
        self.array(name, |v| match v {
            Value::Str(s) => Ok(String::from(s.as_ref())),
            _ => Err(alloc::format!("`{name}` must hold strings")),
        })
    }

    /// A required array, each item read by `f`.
    pub fn array<T>(
        &mut self,
        name: &str,
        f: impl FnMut(&'v Value<'a>) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        match self.req(name)? {
            Value::Array(items) => items.iter().map(f).collect(),
            _ => Err(alloc::format!("`{name}` must be an array")),
        }
    }

    /// A required member read by `f`.
    pub fn with<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&'v Value<'a>) -> Result<T, String>,
    ) -> Result<T, String> {
        let v = self.req(name)?;
        f(v)
    }

    /// Fails if a member was not read (unknown member).
    pub fn finish(self) -> Result<(), String> {
        match (0..self.members.len()).find(|i| self.used & (1 << i) == 0) {
            None => Ok(()),
            Some(i) => Err(alloc::format!("unknown member `{}`", self.members[i].0)),
        }
    }
}

/// [`Obj`] for reading a whole payload in one expression: each read returns its value, or after
/// the first error a default (and reads nothing more); [`Members::finish`] returns that first
/// error, else [`Obj::finish`]'s. The errors are those [`Obj`] gives, in reading order, so a
/// reader written with it fails exactly as one written with `?` after every read; it links one
/// call per member instead of an early return (and the drops of what was read) after each.
pub(crate) struct Members<'v, 'a> {
    obj: Obj<'v, 'a>,
    err: Option<String>,
}

impl<'v, 'a> Members<'v, 'a> {
    /// The object in `v` (as [`Obj::new`]).
    pub fn new(v: &'v Value<'a>) -> Result<Self, String> {
        Ok(Self {
            obj: Obj::new(v)?,
            err: None,
        })
    }

    /// `r`'s value, or after an error (this one or an earlier) `T::default()`.
    pub fn check<T: Default>(&mut self, r: Result<T, String>) -> T {
        match r {
            Ok(v) if self.err.is_none() => v,
            Ok(_) => T::default(),
            Err(e) => {
                self.err.get_or_insert(e);
                T::default()
            }
        }
    }

    fn read<T: Default>(&mut self, f: impl FnOnce(&mut Obj<'v, 'a>) -> Result<T, String>) -> T {
        if self.err.is_some() {
            return T::default();
        }
        let r = f(&mut self.obj);
        self.check(r)
    }

    /// [`Obj::str`].
    pub fn str(&mut self, name: &str) -> String {
        self.read(|o| o.str(name))
    }

    /// [`Obj::str_ref`].
    pub fn str_ref(&mut self, name: &str) -> &'v str {
        self.read(|o| o.str_ref(name))
    }

    /// [`Obj::opt_str`].
    pub fn opt_str(&mut self, name: &str) -> Option<String> {
        self.read(|o| o.opt_str(name))
    }

    /// [`Obj::int`].
    pub fn int<T: TryFrom<i128> + Default>(&mut self, name: &str) -> T {
        self.read(|o| o.int(name))
    }

    /// [`Obj::opt_int`].
    pub fn opt_int<T: TryFrom<i128>>(&mut self, name: &str) -> Option<T> {
        self.read(|o| o.opt_int(name))
    }

    /// [`Obj::strs`].
    pub fn strs(&mut self, name: &str) -> Vec<String> {
        self.read(|o| o.strs(name))
    }

    /// [`Obj::array`].
    pub fn array<T>(
        &mut self,
        name: &str,
        f: impl FnMut(&'v Value<'a>) -> Result<T, String>,
    ) -> Vec<T> {
        self.read(|o| o.array(name, f))
    }

    /// [`Obj::with`].
    pub fn with<T: Default>(
        &mut self,
        name: &str,
        f: impl FnOnce(&'v Value<'a>) -> Result<T, String>,
    ) -> T {
        self.read(|o| o.with(name, f))
    }

    /// The first error of a read, else [`Obj::finish`].
    pub fn finish(self) -> Result<(), String> {
        match self.err {
            Some(e) => Err(e),
            None => self.obj.finish(),
        }
    }
}

#[cfg(test)]
mod tests {

    /// `sort_strings` sorts as `sort_unstable` does: every length to 300 and 20,000, with and
    /// without repeats, already sorted, reversed.
    #[test]
    fn sort_strings_sorts_as_sort_unstable() {
        let mut x: u32 = 12345;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        let mut lengths: alloc::vec::Vec<usize> = (0..300).collect();
        lengths.push(20_000);
        for n in lengths {
            for modulus in [3, 1000, u32::MAX] {
                let v: alloc::vec::Vec<String> = (0..n)
                    .map(|_| alloc::format!("id-{}", next() % modulus))
                    .collect();
                for mut input in [
                    v.clone(),
                    {
                        let mut s = v.clone();
                        s.sort();
                        s
                    },
                    {
                        let mut s = v.clone();
                        s.sort();
                        s.reverse();
                        s
                    },
                ] {
                    let mut want = input.clone();
                    want.sort_unstable();
                    sort_strings(&mut input);
                    assert_eq!(input, want, "n {n}");
                }
            }
        }
    }

    use super::*;

    #[test]
    fn word_tests_find_every_byte_they_look_for() {
        // Every byte value at every position of a word, beside every other value: no false
        // negative (a hit is never skipped), whatever the neighbours (borrows included).
        for pos in 0..8 {
            for b in 0..=255u8 {
                for fill in [0u8, 0x1f, 0x20, 0x21, b'"', b'\\', 0x7f, 0x80, 0xff] {
                    let mut word = [fill; 8];
                    word[pos] = b;
                    let w = u64::from_le_bytes(word);
                    let any = |f: &dyn Fn(u8) -> bool| word.iter().any(|&x| f(x));
                    assert_eq!(has_less(w, 0x20), any(&|x| x < 0x20), "{word:?}");
                    assert_eq!(has_less(w, 0x21), any(&|x| x < 0x21), "{word:?}");
                    assert_eq!(has_byte(w, b'"'), any(&|x| x == b'"'), "{word:?}");
                    assert_eq!(has_byte(w, b'\\'), any(&|x| x == b'\\'), "{word:?}");
                }
            }
        }
    }

    #[test]
    fn strings_stop_at_quotes_escapes_and_controls_anywhere() {
        // The string scanner skips whole words: a quote, an escape or a control byte at any
        // offset, in any word, is still seen.
        for len in 0..40 {
            let body = "a".repeat(len);
            let doc = alloc::format!("\"{body}\"");
            assert_eq!(
                parse(doc.as_bytes()).unwrap(),
                Value::Str(body.as_str().into())
            );
            let doc = alloc::format!("\"{body}\\n{body}\"");
            let want = alloc::format!("{body}\n{body}");
            assert_eq!(parse(doc.as_bytes()).unwrap(), Value::Str(want.into()));
            for control in [0u8, b'\n', 0x1f] {
                let mut doc = alloc::format!("\"{body}x{body}\"").into_bytes();
                doc[1 + len] = control;
                assert_eq!(
                    parse(&doc),
                    Err("control character in a string"),
                    "{len} {control}"
                );
            }
            let doc = alloc::format!("\"{body}");
            assert_eq!(parse(doc.as_bytes()), Err("unterminated string"));
            let doc = alloc::format!("[\"{body}\",\"\u{e9}{body}\"]");
            assert!(parse(doc.as_bytes()).is_ok());
        }
    }

    #[test]
    fn accepts_rfc8259_values() {
        assert_eq!(parse(b" null ").unwrap(), Value::Null);
        assert_eq!(parse(b"-0").unwrap(), Value::Int(0));
        assert_eq!(
            parse(b"18446744073709551615").unwrap(),
            Value::Int(u64::MAX.into())
        );
        assert_eq!(
            parse(b"-9223372036854775808").unwrap(),
            Value::Int(i64::MIN.into())
        );
        assert_eq!(
            parse(br#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#).unwrap(),
            Value::Str(Cow::Owned("a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1F600}".into()))
        );
        assert_eq!(
            parse("\"h\u{e9}llo\"".as_bytes()).unwrap(),
            Value::Str(Cow::Borrowed("h\u{e9}llo"))
        );
        let v = parse(br#"{"a":[1,true,false,null,{"b":"c"}],"d":{}}"#).unwrap();
        let Value::Object(m) = v else { panic!() };
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn rejects_what_strict_json_rejects() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"a\":1,\"a\":2}",
            b"1.5",
            b"1e3",
            b"01",
            b"18446744073709551616",
            b"-9223372036854775809",
            b"123456789012345678901234567890",
            b"\"\x01\"",
            b"\"\\x\"",
            b"\"\\ud800\"",
            b"\"\\udc00\"",
            b"\"\\ud800\\u0041\"",
            b"[1,]",
            b"{\"a\":1,}",
            b"{} {}",
            b"tru",
            b"'a'",
            b"\xff",
            b"+1",
            b"-",
            b"{1:2}",
            b"NaN",
        ] {
            assert!(parse(bad).is_err(), "{:?}", core::str::from_utf8(bad));
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(deep.as_bytes()).is_err());
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
        assert!(parse("[".repeat(100_000).as_bytes()).is_err());
    }

    #[test]
    fn obj_reports_unknown_missing_and_mistyped_members() {
        let v = parse(br#"{"a":"x","n":5,"extra":1}"#).unwrap();
        let mut o = Obj::new(&v).unwrap();
        assert_eq!(o.str("a").unwrap(), "x");
        assert_eq!(o.int::<u8>("n").unwrap(), 5);
        assert!(o.finish().unwrap_err().contains("extra"));
        let mut o = Obj::new(&v).unwrap();
        assert!(o.str("missing").is_err());
        assert!(o.str("n").is_err());
        assert!(o.int::<u8>("a").is_err());
        let big = parse(br#"{"n":300}"#).unwrap();
        assert!(Obj::new(&big).unwrap().int::<u8>("n").is_err());
    }
}
