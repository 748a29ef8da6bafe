//! PartiQL statements, as far as the key guard reads them: the verb, the table (and index)
//! named, the partition-key values a `WHERE` clause pins with `=`, and the values an `INSERT`
//! or `UPDATE` gives to an attribute.
//!
//! The reader is conservative. A `WHERE` clause with `OR`, a key compared with anything but
//! `=`, a value that is neither a `?` parameter nor a string literal: all are "cannot read",
//! and the guard refuses the statement rather than leave the check to IAM alone
//! (DynamoDB Developer Guide, "PartiQL select/insert/update/delete statements").

use std::borrow::Cow;
use tenant_isolation_core::Action;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    /// A bare word: keyword, unquoted name, number.
    Word(&'a str),
    /// A `"double-quoted"` identifier.
    Ident(Cow<'a, str>),
    /// A `'single-quoted'` string literal.
    Str(Cow<'a, str>),
    /// The `n`-th `?` of the statement.
    Param(usize),
    /// Punctuation: `( ) [ ] { } , : . = < > !` and others.
    Punct(char),
}

impl Token<'_> {
    fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    /// Whether this names `attribute`: `Some(true)` exactly (a quoted identifier, or a bare word
    /// spelt the same), `Some(false)` for another name, `None` for a bare word that differs from
    /// it only in case (unquoted PartiQL identifiers may be case-insensitive: unreadable).
    fn names(&self, attribute: &str) -> Option<bool> {
        match self {
            Token::Ident(i) => Some(i == attribute),
            Token::Word(w) if *w == attribute => Some(true),
            Token::Word(w) if w.eq_ignore_ascii_case(attribute) => None,
            _ => Some(false),
        }
    }
}

/// A value compared with or assigned to a key attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value<'a> {
    /// The `n`-th parameter (0-based).
    Param(usize),
    /// A string literal.
    Literal(Cow<'a, str>),
    /// Anything else: a number, a function, a nested value.
    Other,
}

/// A quoted run ending at `quote`, with the quote doubled inside: `'it''s'` → `it's`.
fn quoted(s: &str, quote: char) -> Option<(Cow<'_, str>, usize)> {
    let mut i = 1;
    let bytes = s.as_bytes();
    let mut escaped = false;
    while i < bytes.len() {
        if bytes[i] == quote as u8 {
            if bytes.get(i + 1) == Some(&(quote as u8)) {
                escaped = true;
                i += 2;
                continue;
            }
            let body = &s[1..i];
            let text = if escaped {
                Cow::Owned(body.replace(&format!("{quote}{quote}"), &quote.to_string()))
            } else {
                Cow::Borrowed(body)
            };
            return Some((text, i + 1));
        }
        i += 1;
    }
    None
}

fn tokenize(statement: &str) -> Option<Vec<Token<'_>>> {
    let mut tokens = Vec::new();
    let mut rest = statement;
    let mut params = 0;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '"' || c == '\'' {
            let (text, len) = quoted(rest, c)?;
            tokens.push(if c == '"' { Token::Ident(text) } else { Token::Str(text) });
            rest = &rest[len..];
        } else if c == '?' {
            tokens.push(Token::Param(params));
            params += 1;
            rest = &rest[1..];
        } else if c.is_alphanumeric() || c == '_' {
            let end = rest.find(|ch: char| !(ch.is_alphanumeric() || ch == '_')).unwrap_or(rest.len());
            tokens.push(Token::Word(&rest[..end]));
            rest = &rest[end..];
        } else if rest.starts_with("--") || rest.starts_with("/*") || rest.starts_with("*/") {
            // Comments are refused: PartiQL skips `-- …` and `/* … */` whatever they contain,
            // quotes included, so a comment can hide text from this reader or show it text
            // that DynamoDB never runs (`/* ' */ SET gsi = ? /* ' */`).
            return None;
        } else {
            tokens.push(Token::Punct(c));
            rest = &rest[c.len_utf8()..];
        }
    }
    Some(tokens)
}

/// A parsed statement.
#[derive(Debug)]
pub(super) struct Statement<'a> {
    /// The `PartiQL*` action of its verb.
    pub(super) action: Action,
    /// The table it names.
    pub(super) table: Cow<'a, str>,
    /// `SELECT … FROM "table"."index"`.
    pub(super) index: Option<Cow<'a, str>>,
    tokens: Vec<Token<'a>>,
    /// Where the `WHERE` clause starts (its keyword), if any.
    where_at: Option<usize>,
}

impl<'a> Statement<'a> {
    /// `None` when the statement is not one the guard can read.
    pub(super) fn parse(statement: &'a str) -> Option<Statement<'a>> {
        let tokens = tokenize(statement)?;
        let first = tokens.first()?;
        let (action, table_after) = if first.is_word("SELECT") {
            (Action::PartiQLSelect, "FROM")
        } else if first.is_word("INSERT") {
            (Action::PartiQLInsert, "INTO")
        } else if first.is_word("UPDATE") {
            (Action::PartiQLUpdate, "UPDATE")
        } else if first.is_word("DELETE") {
            (Action::PartiQLDelete, "FROM")
        } else {
            return None;
        };
        // The first `FROM` / `INTO` at depth 0 (for `UPDATE`, the verb itself).
        let mut depth = 0usize;
        let mut at = None;
        for (i, t) in tokens.iter().enumerate() {
            match t {
                Token::Punct('(' | '[' | '{') => depth += 1,
                Token::Punct(')' | ']' | '}') => depth = depth.checked_sub(1)?,
                _ if depth == 0 && t.is_word(table_after) => {
                    at = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let at = at?;
        let table = match tokens.get(at + 1)? {
            Token::Word(w) => Cow::Borrowed(*w),
            Token::Ident(i) => i.clone(),
            _ => return None,
        };
        let index = match (tokens.get(at + 2), tokens.get(at + 3)) {
            (Some(Token::Punct('.')), Some(Token::Ident(i))) => Some(i.clone()),
            (Some(Token::Punct('.')), Some(Token::Word(w))) => Some(Cow::Borrowed(*w)),
            (Some(Token::Punct('.')), _) => return None,
            _ => None,
        };
        if index.is_some() && action != Action::PartiQLSelect {
            return None;
        }
        let where_at = tokens.iter().position(|t| t.is_word("WHERE"));
        Some(Statement { action, table, index, tokens, where_at })
    }

    /// The values the `WHERE` clause pins `attribute` to with `=`: `None` when it cannot be
    /// read (an `OR`, or `attribute` compared otherwise), an empty list when it names none.
    pub(super) fn pinned(&self, attribute: &str) -> Option<Vec<Value<'a>>> {
        let Some(start) = self.where_at else { return Some(Vec::new()) };
        let clause = &self.tokens[start + 1..];
        if clause.iter().any(|t| t.is_word("OR") || t.is_word("NOT")) {
            return None;
        }
        let mut values = Vec::new();
        for (i, t) in clause.iter().enumerate() {
            if !t.names(attribute)? {
                continue;
            }
            // A top-level attribute only: `x.pk` or `pk.x` / `pk[0]` are other paths.
            let path =
                |j: Option<usize>| j.and_then(|j| clause.get(j)).is_some_and(|n| matches!(n, Token::Punct('.' | '[')));
            if path(i.checked_sub(1)) || path(Some(i + 1)) {
                return None;
            }
            // `attr = v` or `v = attr`; `attr` anywhere else (IN, BETWEEN, <, a function) is
            // a comparison the guard cannot check.
            let after = clause.get(i + 1);
            let before = i.checked_sub(1).and_then(|j| clause.get(j));
            if after == Some(&Token::Punct('=')) && !matches!(clause.get(i + 2), Some(Token::Punct('='))) {
                values.push(value(clause.get(i + 2)));
            } else if before == Some(&Token::Punct('=')) {
                values.push(value(i.checked_sub(2).and_then(|j| clause.get(j))));
            } else {
                return None;
            }
        }
        Some(values)
    }

    /// The values the statement writes to `attribute`: the `INSERT` tuple's entry, or each
    /// `SET attribute = v` of an `UPDATE`. `None` when it cannot be read.
    pub(super) fn assigned(&self, attribute: &str) -> Option<Vec<Value<'a>>> {
        let end = self.where_at.unwrap_or(self.tokens.len());
        let part = &self.tokens[..end];
        let mut values = Vec::new();
        match self.action {
            Action::PartiQLInsert => {
                // `VALUE {'k': v, …}`: entries at depth 1 of the braces.
                let mut depth = 0usize;
                for (i, t) in part.iter().enumerate() {
                    match t {
                        Token::Punct('(' | '[' | '{') => depth += 1,
                        Token::Punct(')' | ']' | '}') => depth = depth.checked_sub(1)?,
                        Token::Str(k) | Token::Ident(k)
                            if depth == 1 && k.eq_ignore_ascii_case(attribute) && k != attribute =>
                        {
                            return None;
                        }
                        Token::Str(k) | Token::Ident(k) if depth == 1 && k == attribute => {
                            if part.get(i + 1) != Some(&Token::Punct(':')) {
                                return None;
                            }
                            values.push(value_ending(part, i + 2));
                        }
                        _ => {}
                    }
                }
            }
            Action::PartiQLUpdate => {
                for (i, t) in part.iter().enumerate().skip(2) {
                    if !t.names(attribute)? {
                        continue;
                    }
                    match (part.get(i - 1), part.get(i + 1)) {
                        (Some(prev), Some(Token::Punct('='))) if prev.is_word("SET") => {
                            values.push(value_ending(part, i + 2));
                        }
                        (Some(prev), _) if prev.is_word("REMOVE") => {}
                        _ => return None,
                    }
                }
            }
            _ => {}
        }
        Some(values)
    }
}

fn value<'a>(token: Option<&Token<'a>>) -> Value<'a> {
    match token {
        Some(Token::Param(n)) => Value::Param(*n),
        Some(Token::Str(s)) => Value::Literal(s.clone()),
        _ => Value::Other,
    }
}

/// The value at `at`, when it is a single token followed by `,`, `}`, a keyword or the end.
fn value_ending<'a>(tokens: &[Token<'a>], at: usize) -> Value<'a> {
    match tokens.get(at + 1) {
        None | Some(Token::Punct(',' | '}') | Token::Word(_)) => value(tokens.get(at)),
        _ => Value::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Value<'_> {
        Value::Literal(Cow::Borrowed(s))
    }

    #[test]
    fn reads_verbs_tables_and_indexes() {
        let s = Statement::parse(r#"SELECT * FROM "Orders"."ByStatus" WHERE pk = ?"#).unwrap();
        assert_eq!((s.action, &*s.table, s.index.as_deref()), (Action::PartiQLSelect, "Orders", Some("ByStatus")));
        let s = Statement::parse("delete from Orders where pk = 'TENANT#a' and sk = ?").unwrap();
        assert_eq!((s.action, &*s.table), (Action::PartiQLDelete, "Orders"));
        let s = Statement::parse(r#"INSERT INTO "Or""ders" VALUE {'pk': ?}"#).unwrap();
        assert_eq!(&*s.table, "Or\"ders");
        assert!(Statement::parse("EXISTS(SELECT * FROM T)").is_none());
        assert!(Statement::parse("SELECT * FROM").is_none());
        assert!(Statement::parse("SELECT * FROM T -- WHERE pk = ?").is_none());
        // A block comment hides a quote from a reader that does not skip it.
        assert!(Statement::parse(r#"UPDATE "T" /* ' */ SET gsi = ? /* ' */ WHERE pk = 'x'"#).is_none());
        assert!(Statement::parse("SELECT * FROM T WHERE pk = ? */").is_none());
        assert!(Statement::parse(r#"UPDATE "T"."I" SET a = 1"#).is_none());
    }

    #[test]
    fn reads_the_pinned_partition_key() {
        fn pinned(s: &str) -> Option<Vec<Value<'_>>> {
            Statement::parse(s).unwrap().pinned("pk")
        }
        assert_eq!(pinned("SELECT * FROM T WHERE pk = ? AND sk > ?"), Some(vec![Value::Param(0)]));
        assert_eq!(pinned("SELECT * FROM T WHERE sk = ? AND 'TENANT#a' = pk"), Some(vec![lit("TENANT#a")]));
        assert_eq!(pinned(r#"SELECT * FROM T WHERE "pk" = ?"#), Some(vec![Value::Param(0)]));
        assert_eq!(pinned("SELECT * FROM T"), Some(vec![]));
        assert_eq!(pinned("SELECT * FROM T WHERE sk = ?"), Some(vec![]));
        assert_eq!(pinned("SELECT * FROM T WHERE pk = ? OR pk = ?"), None);
        assert_eq!(pinned("SELECT * FROM T WHERE pk IN [?, ?]"), None);
        assert_eq!(pinned("SELECT * FROM T WHERE pk >= ?"), None);
        assert_eq!(pinned("SELECT * FROM T WHERE pk = 3"), Some(vec![Value::Other]));
        // Nested paths are not the partition key; a name differing only in case is unreadable.
        assert_eq!(pinned("SELECT * FROM T WHERE x.pk = ?"), None);
        assert_eq!(pinned("SELECT * FROM T WHERE pk.x = ?"), None);
        assert_eq!(pinned("SELECT * FROM T WHERE PK = ?"), None);
        assert_eq!(pinned(r#"SELECT * FROM T WHERE "PK" = ?"#), Some(vec![]));
    }

    #[test]
    fn reads_assigned_values() {
        let s = Statement::parse("INSERT INTO T VALUE {'pk': ?, 'gsi': 'TENANT#b', 'n': {'gsi': ?}}").unwrap();
        assert_eq!(s.assigned("pk"), Some(vec![Value::Param(0)]));
        assert_eq!(s.assigned("gsi"), Some(vec![lit("TENANT#b")]), "nested tuples are other attributes");
        let s = Statement::parse("UPDATE T SET gsi = ? SET a = 1 REMOVE old WHERE pk = ?").unwrap();
        assert_eq!(s.assigned("gsi"), Some(vec![Value::Param(0)]));
        assert_eq!(s.pinned("pk"), Some(vec![Value::Param(1)]));
        let s = Statement::parse("UPDATE T SET gsi = gsi || ? WHERE pk = ?").unwrap();
        assert_eq!(s.assigned("gsi"), None);
        let s = Statement::parse("UPDATE T SET GSI = ? WHERE pk = ?").unwrap();
        assert_eq!(s.assigned("gsi"), None, "a bare name differing in case");
        let s = Statement::parse("INSERT INTO T VALUE {'pk': ?, 'GSI': ?}").unwrap();
        assert_eq!(s.assigned("gsi"), None);
        let s = Statement::parse("UPDATE T REMOVE gsi WHERE pk = ?").unwrap();
        assert_eq!(s.assigned("gsi"), Some(vec![]));
    }
}
