//! Label and field selectors, parsed and evaluated like kube's `labels.Parse` and
//! `fields.ParseSelector`.
//!
//! Label selectors support `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
//! `a>1` / `a<1` (integer comparison, as kube's `gt`/`lt`), comma = AND, whitespace anywhere
//! between tokens. Keys and values are validated like kube (qualified names, label values).
//!
//! Field selectors support `f=v`, `f==v`, `f!=v`, comma = AND, with `\`-escaping of `\`, `,` and
//! `=` in values. As in kube, nothing is trimmed. An absent field compares as `""`.
//!
//! Every parse error is a 400 BadRequest.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::ApiError;

/// Operator of one label requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOp {
    /// `key=v`, `key==v` or `key in (v1,v2)`: present with one of the values.
    In,
    /// `key!=v` or `key notin (v1,v2)`: absent, or present with none of the values.
    NotIn,
    /// `key`: present.
    Exists,
    /// `!key`: absent.
    DoesNotExist,
    /// `key>n`: present with an integer value greater than n.
    GreaterThan,
    /// `key<n`: present with an integer value less than n.
    LessThan,
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRequirement {
    /// Label key.
    pub key: String,
    /// Operator.
    pub op: LabelOp,
    /// Values (sorted, deduplicated); empty for `Exists`/`DoesNotExist`.
    pub values: Vec<String>,
}

impl LabelRequirement {
    /// Whether `labels` satisfy this requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.op {
            LabelOp::In => value.is_some_and(|v| self.values.contains(v)),
            LabelOp::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            LabelOp::Exists => value.is_some(),
            LabelOp::DoesNotExist => value.is_none(),
            LabelOp::GreaterThan | LabelOp::LessThan => self.compare(value),
        }
    }

    fn compare(&self, value: Option<&String>) -> bool {
        let Some(have) = value.and_then(|v| v.parse::<i64>().ok()) else {
            return false;
        };
        let Some(want) = self.values.first().and_then(|v| v.parse::<i64>().ok()) else {
            return false;
        };
        if self.op == LabelOp::GreaterThan {
            have > want
        } else {
            have < want
        }
    }
}

/// A parsed label selector: the AND of its requirements. Empty selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<LabelRequirement>);

impl LabelSelector {
    /// Parse the `labelSelector` query syntax. Errors are 400 BadRequest.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let tokens = lex(s).map_err(ApiError::bad_request)?;
        Parser { tokens, pos: 0 }.parse().map(LabelSelector).map_err(ApiError::bad_request)
    }

    /// Whether the labels satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| r.matches(labels))
    }

    /// Like [`LabelSelector::matches`] for `metadata.labels` as JSON; non-string values are ignored.
    pub fn matches_json(&self, labels: Option<&serde_json::Value>) -> bool {
        let map: BTreeMap<String, String> = labels
            .and_then(serde_json::Value::as_object)
            .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect())
            .unwrap_or_default();
        self.matches(&map)
    }

    /// True when the selector has no requirements (selects everything).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parsed requirements, in input order.
    pub fn requirements(&self) -> &[LabelRequirement] {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    In,
    NotIn,
    Not,
    Eq,
    DoubleEq,
    NotEq,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
    End,
}

impl Tok {
    /// The literal as kube prints it in error messages.
    fn literal(&self) -> &str {
        match self {
            Tok::Ident(s) => s,
            Tok::In => "in",
            Tok::NotIn => "notin",
            Tok::Not => "!",
            Tok::Eq => "=",
            Tok::DoubleEq => "==",
            Tok::NotEq => "!=",
            Tok::Gt => ">",
            Tok::Lt => "<",
            Tok::Open => "(",
            Tok::Close => ")",
            Tok::Comma => ",",
            Tok::End => "",
        }
    }

    /// In a value position `in`/`notin` are plain identifiers.
    fn as_value(&self) -> Tok {
        match self {
            Tok::In | Tok::NotIn => Tok::Ident(self.literal().to_string()),
            other => other.clone(),
        }
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<')
}

fn symbol(s: &str) -> Option<Tok> {
    Some(match s {
        "=" => Tok::Eq,
        "==" => Tok::DoubleEq,
        "!=" => Tok::NotEq,
        "!" => Tok::Not,
        ">" => Tok::Gt,
        "<" => Tok::Lt,
        "(" => Tok::Open,
        ")" => Tok::Close,
        "," => Tok::Comma,
        _ => return None,
    })
}

/// Tokenize like kube's label lexer (longest match over special symbols).
fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if is_special(c) {
            let (tok, len) = lex_symbol(&chars[i..])?;
            out.push(tok);
            i += len;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_ascii_whitespace() && !is_special(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(match word.as_str() {
                "in" => Tok::In,
                "notin" => Tok::NotIn,
                _ => Tok::Ident(word),
            });
        }
    }
    out.push(Tok::End);
    Ok(out)
}

fn lex_symbol(chars: &[char]) -> Result<(Tok, usize), String> {
    let mut buf = String::new();
    let mut best: Option<(Tok, usize)> = None;
    for (n, c) in chars.iter().enumerate() {
        if !is_special(*c) {
            break;
        }
        buf.push(*c);
        match symbol(&buf) {
            Some(t) => best = Some((t, n + 1)),
            None if best.is_some() => break,
            None => {}
        }
    }
    best.ok_or_else(|| format!("error expected: keyword found '{buf}'"))
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Tok {
        self.tokens.get(self.pos).cloned().unwrap_or(Tok::End).as_value()
    }

    fn next_raw(&mut self) -> Tok {
        let t = self.tokens.get(self.pos).cloned().unwrap_or(Tok::End);
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn next(&mut self) -> Tok {
        self.next_raw().as_value()
    }

    fn parse(mut self) -> Result<Vec<LabelRequirement>, String> {
        let mut reqs = Vec::new();
        loop {
            match self.peek() {
                Tok::Ident(_) | Tok::Not => {
                    let r = self.requirement().map_err(|e| format!("unable to parse requirement: {e}"))?;
                    reqs.push(r);
                    match self.next() {
                        Tok::End => return Ok(reqs),
                        Tok::Comma => match self.peek() {
                            Tok::Ident(_) | Tok::Not => {}
                            t => return Err(format!("found '{}', expected: identifier after ','", t.literal())),
                        },
                        t => return Err(format!("found '{}', expected: ',' or 'end of string'", t.literal())),
                    }
                }
                Tok::End => return Ok(reqs),
                t => return Err(format!("found '{}', expected: !, identifier, or 'end of string'", t.literal())),
            }
        }
    }

    fn requirement(&mut self) -> Result<LabelRequirement, String> {
        let mut negated = false;
        let mut tok = self.next();
        if tok == Tok::Not {
            negated = true;
            tok = self.next();
        }
        let Tok::Ident(key) = tok else {
            return Err(format!("found '{}', expected: identifier", tok.literal()));
        };
        validate_key(&key)?;
        // Like kube, `!key` ends the requirement; whatever follows is the caller's problem.
        if negated {
            return Ok(LabelRequirement { key, op: LabelOp::DoesNotExist, values: Vec::new() });
        }
        if matches!(self.peek(), Tok::End | Tok::Comma) {
            return Ok(LabelRequirement { key, op: LabelOp::Exists, values: Vec::new() });
        }
        let (op, values) = self.operator_and_values()?;
        for (i, v) in values.iter().enumerate() {
            validate_value(&key, i, v)?;
        }
        if matches!(op, LabelOp::GreaterThan | LabelOp::LessThan)
            && values.first().is_none_or(|v| v.parse::<i64>().is_err())
        {
            return Err(format!(
                "values[0]: Invalid value: {:?}: for 'Gt', 'Lt' operators, the value must be an integer",
                values.first().cloned().unwrap_or_default()
            ));
        }
        Ok(LabelRequirement { key, op, values })
    }

    fn operator_and_values(&mut self) -> Result<(LabelOp, Vec<String>), String> {
        let op_tok = self.next_raw();
        let op = match op_tok {
            Tok::In => LabelOp::In,
            Tok::NotIn => LabelOp::NotIn,
            Tok::Eq | Tok::DoubleEq => LabelOp::In,
            Tok::NotEq => LabelOp::NotIn,
            Tok::Gt => LabelOp::GreaterThan,
            Tok::Lt => LabelOp::LessThan,
            t => return Err(format!("found '{}', expected: in, notin, =, ==, !=, gt, lt", t.literal())),
        };
        let values = if matches!(op_tok, Tok::In | Tok::NotIn) { self.value_set()? } else { self.exact_value()? };
        Ok((op, values))
    }

    fn exact_value(&mut self) -> Result<Vec<String>, String> {
        if matches!(self.peek(), Tok::End | Tok::Comma) {
            return Ok(vec![String::new()]);
        }
        match self.next() {
            Tok::Ident(v) => Ok(vec![v]),
            t => Err(format!("found '{}', expected: identifier", t.literal())),
        }
    }

    fn value_set(&mut self) -> Result<Vec<String>, String> {
        let t = self.next();
        if t != Tok::Open {
            return Err(format!("found '{}' expected: '('", t.literal()));
        }
        let mut set = BTreeSet::new();
        match self.peek() {
            Tok::Close => {
                self.next();
                set.insert(String::new());
                return Ok(set.into_iter().collect());
            }
            Tok::Ident(_) | Tok::Comma => {}
            t => return Err(format!("found '{}', expected: ',', ')' or identifier", t.literal())),
        }
        self.identifiers(&mut set)?;
        match self.next() {
            Tok::Close => Ok(set.into_iter().collect()),
            t => Err(format!("found '{}', expected: ')'", t.literal())),
        }
    }

    /// kube's parseIdentifiersList: stops before the closing parenthesis.
    fn identifiers(&mut self, set: &mut BTreeSet<String>) -> Result<(), String> {
        loop {
            match self.next() {
                Tok::Ident(v) => {
                    set.insert(v);
                    match self.peek() {
                        Tok::Comma => continue,
                        Tok::Close => return Ok(()),
                        t => return Err(format!("found '{}', expected: ',' or ')'", t.literal())),
                    }
                }
                Tok::Comma => {
                    if set.is_empty() {
                        set.insert(String::new());
                    }
                    match self.peek() {
                        Tok::Close => {
                            set.insert(String::new());
                            return Ok(());
                        }
                        Tok::Comma => {
                            self.next();
                            set.insert(String::new());
                        }
                        _ => {}
                    }
                }
                t => return Err(format!("found '{}', expected: ',', or identifier", t.literal())),
            }
        }
    }
}

// kube's `IsQualifiedName` and `IsValidLabelValue`, shared with object validation.
use garden_api::names::{is_qualified_name as qualified_name_errors, is_valid_label_value as label_value_errors};

fn validate_key(key: &str) -> Result<(), String> {
    let errs = qualified_name_errors(key);
    if errs.is_empty() {
        Ok(())
    } else {
        // kube validates the key with the parser's (nil) field path, printed as `<nil>`.
        Err(format!("<nil>: Invalid value: {key:?}: {}", errs.join("; ")))
    }
}

fn validate_value(key: &str, index: usize, value: &str) -> Result<(), String> {
    let errs = label_value_errors(value);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!("values[{index}][{key}]: Invalid value: {value:?}: {}", errs.join("; ")))
    }
}

/// Operator of a field requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    /// `f=v` or `f==v`.
    Eq,
    /// `f!=v`.
    NotEq,
}

/// One `field op value` term of a field selector (value unescaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    /// Field path, e.g. `metadata.name` (not trimmed, as in kube).
    pub field: String,
    /// Operator.
    pub op: FieldOp,
    /// Unescaped value.
    pub value: String,
}

/// A parsed field selector: the AND of its requirements (sorted by term, as kube does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<FieldRequirement>);

impl FieldSelector {
    /// Parse the `fieldSelector` query syntax. Errors are 400 BadRequest.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut terms = split_terms(s);
        terms.sort();
        let mut reqs = Vec::new();
        for term in terms.iter().filter(|t| !t.is_empty()) {
            let Some((field, op, raw)) = split_term(term) else {
                return Err(ApiError::bad_request(format!("invalid selector: '{s}'; can't understand '{term}'")));
            };
            let value = unescape_value(raw).map_err(ApiError::bad_request)?;
            reqs.push(FieldRequirement { field: field.to_string(), op, value });
        }
        Ok(FieldSelector(reqs))
    }

    /// The parsed requirements.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.0
    }

    /// True when the selector has no requirements (selects everything).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether an object matches; `get` returns a field's value (`None` = unset, compared as "").
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.0.iter().all(|r| {
            let have = get(&r.field).unwrap_or_default();
            match r.op {
                FieldOp::Eq => have == r.value,
                FieldOp::NotEq => have != r.value,
            }
        })
    }
}

/// Split on unescaped commas, keeping escapes (kube's `splitTerms`).
fn split_terms(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut cur = String::new();
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            in_slash = false;
            cur.push(c);
        } else if c == '\\' {
            in_slash = true;
            cur.push(c);
        } else if c == ',' {
            terms.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    terms.push(cur);
    terms
}

/// Split at the first operator (`!=`, `==`, `=` tried in that order at each position).
fn split_term(term: &str) -> Option<(&str, FieldOp, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, kind) in [("!=", FieldOp::NotEq), ("==", FieldOp::Eq), ("=", FieldOp::Eq)] {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], kind, value));
            }
        }
    }
    None
}

/// kube's `fields.UnescapeValue`.
fn unescape_value(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(format!("invalid field selector: invalid escape sequence: \\{c}"));
            }
            out.push(c);
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            // kube prints the rune with %v, i.e. as its code point.
            ',' | '=' => return Err(format!("invalid field selector: unescaped character in value: {}", c as u32)),
            _ => out.push(c),
        }
    }
    if in_slash {
        return Err("invalid field selector: invalid escape sequence: \\".to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn sel(s: &str) -> LabelSelector {
        match LabelSelector::parse(s) {
            Ok(x) => x,
            Err(e) => panic!("{s:?} should parse: {}", e.message),
        }
    }

    fn err(s: &str) -> ApiError {
        match LabelSelector::parse(s) {
            Ok(x) => panic!("{s:?} should fail, got {x:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn equality_and_inequality() {
        let l = labels(&[("app", "web"), ("tier", "fe")]);
        assert!(sel("app=web").matches(&l));
        assert!(sel("app==web").matches(&l));
        assert!(!sel("app=db").matches(&l));
        assert!(sel("app!=db").matches(&l));
        assert!(!sel("app!=web").matches(&l));
        // != matches objects without the label, like kube.
        assert!(sel("missing!=x").matches(&l));
        assert!(!sel("missing=x").matches(&l));
    }

    #[test]
    fn set_based_and_existence() {
        let l = labels(&[("env", "prod"), ("team", "a")]);
        assert!(sel("env in (prod, dev)").matches(&l));
        assert!(!sel("env in (dev,qa)").matches(&l));
        assert!(sel("env notin (dev)").matches(&l));
        assert!(!sel("env notin (prod)").matches(&l));
        assert!(sel("nope notin (prod)").matches(&l));
        assert!(sel("team").matches(&l));
        assert!(!sel("!team").matches(&l));
        assert!(sel("!other").matches(&l));
        assert!(!sel("other").matches(&l));
    }

    #[test]
    fn comma_is_and_and_whitespace_tolerated() {
        let l = labels(&[("a", "1"), ("b", "2")]);
        assert!(sel(" a = 1 ,  b in ( 2 ) ").matches(&l));
        assert!(!sel("a=1,b=3").matches(&l));
        assert_eq!(sel("a=1, b=2, !c").requirements().len(), 3);
        assert!(sel("").is_empty());
        assert!(sel("  ").matches(&l));
    }

    #[test]
    fn keywords_are_values_in_value_position() {
        let l = labels(&[("mode", "in")]);
        assert!(sel("mode=in").matches(&l));
        assert!(sel("mode in (in,notin)").matches(&l));
    }

    #[test]
    fn gt_lt_compare_integers() {
        let l = labels(&[("n", "5")]);
        assert!(sel("n>3").matches(&l));
        assert!(!sel("n>5").matches(&l));
        assert!(sel("n<6").matches(&l));
        assert!(!sel("m<6").matches(&l));
        assert_eq!(err("n>abc").code, 400);
    }

    #[test]
    fn empty_values() {
        let l = labels(&[("a", "")]);
        assert!(sel("a=").matches(&l));
        assert!(sel("a in ()").matches(&l));
        assert!(sel("a in (,x)").matches(&l));
        assert!(!sel("a=x").matches(&l));
    }

    #[test]
    fn prefixed_keys() {
        let l = labels(&[("project.gardener.cloud/name", "dev")]);
        assert!(sel("project.gardener.cloud/name=dev").matches(&l));
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        let e = err("a=b,");
        assert_eq!((e.code, e.reason), (400, "BadRequest"));
        assert_eq!(e.message, "found '', expected: identifier after ','");
        assert_eq!(err("a in b").message, "unable to parse requirement: found 'b' expected: '('");
        assert_eq!(err("a in (b").message, "unable to parse requirement: found '', expected: ',' or ')'");
        assert_eq!(
            err("a b").message,
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(err("a=b c").message, "found 'c', expected: ',' or 'end of string'");
        assert_eq!(err(",a").message, "found ',', expected: !, identifier, or 'end of string'");
        assert!(err("a=(b)").message.starts_with("unable to parse requirement: found '('"));
        assert!(err("=b").message.starts_with("found '='"));
        assert_eq!(err("!a=b").message, "found '=', expected: ',' or 'end of string'");
    }

    #[test]
    fn key_and_value_validation() {
        assert_eq!(
            err("a=-x").message,
            "unable to parse requirement: values[0][a]: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        );
        assert!(err("-bad")
            .message
            .starts_with("unable to parse requirement: <nil>: Invalid value: \"-bad\": name part must consist of"));
        assert!(err("-bad=x").message.contains("name part must consist of alphanumeric"));
        assert!(err("Bad_Prefix/x=y").message.contains("prefix part a lowercase RFC 1123 subdomain"));
        assert!(err("a/b/c").message.contains("a qualified name must consist of"));
        assert!(err(&format!("{}=x", "k".repeat(64))).message.contains("no more than 63 characters"));
        assert!(err("a=-x").message.contains("a valid label must be an empty string"));
        assert!(err(&format!("a={}", "v".repeat(64))).message.contains("no more than 63"));
        assert!(LabelSelector::parse(&format!("{}=x", "k".repeat(63))).is_ok());
    }

    #[test]
    fn matches_json_labels() {
        let s = sel("a=1");
        assert!(s.matches_json(Some(&serde_json::json!({"a": "1"}))));
        assert!(!s.matches_json(None));
        assert!(sel("!a").matches_json(None));
    }

    fn fsel(s: &str) -> FieldSelector {
        match FieldSelector::parse(s) {
            Ok(x) => x,
            Err(e) => panic!("{s:?} should parse: {}", e.message),
        }
    }

    #[test]
    fn field_selector_ops() {
        let get = |f: &str| match f {
            "metadata.name" => Some("foo".to_string()),
            "spec.seedName" => Some("s1".to_string()),
            _ => None,
        };
        assert!(fsel("metadata.name=foo").matches(get));
        assert!(fsel("metadata.name==foo").matches(get));
        assert!(!fsel("metadata.name!=foo").matches(get));
        assert!(fsel("metadata.name=foo,spec.seedName!=s2").matches(get));
        assert!(!fsel("metadata.name=foo,spec.seedName=s2").matches(get));
        // unset compares as ""
        assert!(fsel("status.phase=").matches(get));
        assert!(fsel("status.phase!=Running").matches(get));
        assert!(fsel("").is_empty());
        let r = fsel("b=2,a!=1");
        assert_eq!(r.requirements()[0], FieldRequirement { field: "a".into(), op: FieldOp::NotEq, value: "1".into() });
    }

    #[test]
    fn field_selector_escaping() {
        let r = fsel(r"metadata.name=a\,b\=c\\d");
        assert_eq!(r.requirements()[0].value, r"a,b=c\d");
        assert_eq!(r.requirements().len(), 1);
        let e = FieldSelector::parse(r"a=b\x").err().map(|e| e.message);
        assert_eq!(e.as_deref(), Some(r"invalid field selector: invalid escape sequence: \x"));
        let e = FieldSelector::parse("a=b=c").err().map(|e| e.message);
        assert_eq!(e.as_deref(), Some("invalid field selector: unescaped character in value: 61"));
        let e = FieldSelector::parse(r"a=b\").err().map(|e| e.message);
        assert_eq!(e.as_deref(), Some(r"invalid field selector: invalid escape sequence: \"));
        let e = FieldSelector::parse("abc");
        assert_eq!(
            e.err().map(|e| (e.code, e.message)),
            Some((400, "invalid selector: 'abc'; can't understand 'abc'".into()))
        );
    }
}
