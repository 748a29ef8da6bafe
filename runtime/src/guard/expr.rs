//! DynamoDB expressions, as far as the key guard reads them: the partition-key equality of a
//! key condition, and the top-level attributes an update expression writes.
//!
//! Both readers are conservative: what they cannot read with certainty is reported as
//! "cannot check", and the guard refuses it.

use std::collections::HashMap;

/// The `:value` that a key condition compares the partition key to with `=`.
///
/// Input `pk = :pk AND begins_with(sk, :p)` (or `#k = :v` with `#k` → `pk`, or
/// `:v = pk`) gives `Some(":pk")`. A key condition has exactly one partition-key
/// equality (DynamoDB Developer Guide, "Key condition expressions for query"); anything
/// else gives `None`, which the guard refuses.
pub(super) fn partition_value<'a>(
    expr: &'a str,
    attribute: &str,
    names: Option<&HashMap<String, String>>,
) -> Option<&'a str> {
    let tokens = tokenize(expr);
    let resolves = |t: &str| {
        if let Some(n) = t.strip_prefix('#').and(names).and_then(|m| m.get(t)) {
            return n == attribute;
        }
        !t.starts_with('#') && !t.starts_with(':') && t == attribute
    };
    let mut found = None;
    for w in tokens.windows(3) {
        if w[1] != "=" {
            continue;
        }
        let value = if resolves(w[0]) && w[2].starts_with(':') {
            w[2]
        } else if resolves(w[2]) && w[0].starts_with(':') {
            w[0]
        } else {
            continue;
        };
        if found.replace(value).is_some() {
            return None;
        }
    }
    found
}

/// Splits a condition expression into names/values/words and operators.
pub(super) fn tokenize(expr: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if matches!(c, b'(' | b')' | b',' | b'=' | b'+') {
            tokens.push(&expr[i..i + 1]);
            i += 1;
        } else if matches!(c, b'<' | b'>') {
            let len = if bytes.get(i + 1).is_some_and(|n| matches!(n, b'=' | b'>')) { 2 } else { 1 };
            tokens.push(&expr[i..i + len]);
            i += len;
        } else {
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"()=,<>+".contains(&bytes[i]) {
                i += 1;
            }
            tokens.push(&expr[start..i]);
        }
    }
    tokens
}

/// What an update expression does to one top-level attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Write<'a> {
    /// `SET attr = :value`: exactly one value placeholder.
    Set(&'a str),
    /// `SET attr = <anything else>` (`if_not_exists(…)`, `list_append(…)`, `:a + :b`, another
    /// attribute): a value the guard cannot read.
    SetComputed,
    /// `REMOVE attr`: the attribute goes away (an item leaves an index; nothing is written).
    Remove,
    /// `ADD attr :v` / `DELETE attr :v`.
    AddOrDelete,
}

/// The writes an update expression makes to the top-level attribute `attribute` (through a
/// `#name` or directly), or `None` when the expression cannot be read.
///
/// `SET #g = :g, status = :s REMOVE old` with `#g` → `gsi1pk` gives `[Set(":g")]` for
/// `gsi1pk`. Nested paths (`a.b`, `a[0]`) are other attributes (DynamoDB Developer Guide,
/// "Update expressions").
pub(super) fn writes_to<'a>(
    expr: &'a str,
    attribute: &str,
    names: Option<&HashMap<String, String>>,
) -> Option<Vec<Write<'a>>> {
    let tokens = tokenize(expr);
    let resolves = |t: &str| match t.strip_prefix('#') {
        Some(_) => names.and_then(|m| m.get(t)).is_some_and(|n| n == attribute),
        None => !t.starts_with(':') && t == attribute,
    };
    // Split into clauses and, within each, into comma-separated actions at depth 0.
    #[derive(Clone, Copy, PartialEq)]
    enum Clause {
        Set,
        Remove,
        AddOrDelete,
    }
    let mut clause = None;
    let mut actions: Vec<(Clause, Vec<&str>)> = Vec::new();
    let mut depth = 0usize;
    for t in tokens {
        if depth == 0 {
            let keyword = match t.to_ascii_uppercase().as_str() {
                "SET" => Some(Clause::Set),
                "REMOVE" => Some(Clause::Remove),
                "ADD" | "DELETE" => Some(Clause::AddOrDelete),
                _ => None,
            };
            if let Some(k) = keyword {
                clause = Some(k);
                actions.push((k, Vec::new()));
                continue;
            }
            if t == "," {
                actions.push((clause?, Vec::new()));
                continue;
            }
        }
        match t {
            "(" => depth += 1,
            ")" => depth = depth.checked_sub(1)?,
            _ => {}
        }
        actions.last_mut()?.1.push(t);
    }
    if depth != 0 {
        return None;
    }
    let mut writes = Vec::new();
    for (clause, tokens) in actions {
        let path = tokens.first()?;
        if !resolves(path) {
            continue;
        }
        writes.push(match clause {
            Clause::Set => match tokens.as_slice() {
                [_, "=", value] if value.starts_with(':') => Write::Set(value),
                [_, "=", ..] => Write::SetComputed,
                _ => return None,
            },
            Clause::Remove if tokens.len() == 1 => Write::Remove,
            Clause::Remove => return None,
            Clause::AddOrDelete => Write::AddOrDelete,
        });
    }
    Some(writes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_partition_equality() {
        let names: HashMap<String, String> = [("#p".to_owned(), "pk".to_owned())].into();
        assert_eq!(partition_value("pk = :pk", "pk", None), Some(":pk"));
        assert_eq!(partition_value("pk=:pk AND begins_with(sk, :s)", "pk", None), Some(":pk"));
        assert_eq!(partition_value(":v = pk AND sk > :s", "pk", None), Some(":v"));
        assert_eq!(partition_value("#p = :x AND #s BETWEEN :a AND :b", "pk", Some(&names)), Some(":x"));
        assert_eq!(partition_value("(pk = :a)", "pk", None), Some(":a"));
        // Not on the partition key, not an equality, or ambiguous: refused.
        assert_eq!(partition_value("sk = :a", "pk", None), None);
        assert_eq!(partition_value("pk >= :a", "pk", None), None);
        assert_eq!(partition_value("pk = :a AND pk = :b", "pk", None), None);
        assert_eq!(partition_value("#q = :a", "pk", Some(&names)), None);
        assert_eq!(partition_value("pkx = :a", "pk", None), None);
    }

    #[test]
    fn reads_the_writes_of_an_update_expression() {
        let names: HashMap<String, String> = [("#g".to_owned(), "gsi1pk".to_owned())].into();
        let w = |e| writes_to(e, "gsi1pk", Some(&names));
        assert_eq!(w("SET gsi1pk = :g"), Some(vec![Write::Set(":g")]));
        assert_eq!(w("set status = :s, #g = :g remove old"), Some(vec![Write::Set(":g")]));
        assert_eq!(w("SET #g=:g"), Some(vec![Write::Set(":g")]));
        assert_eq!(w("SET #g = if_not_exists(#g, :g)"), Some(vec![Write::SetComputed]));
        assert_eq!(w("SET #g = :a + :b"), Some(vec![Write::SetComputed]));
        assert_eq!(w("SET #g = other"), Some(vec![Write::SetComputed]));
        assert_eq!(w("REMOVE gsi1pk"), Some(vec![Write::Remove]));
        assert_eq!(w("ADD gsi1pk :n"), Some(vec![Write::AddOrDelete]));
        assert_eq!(w("SET a = :a, b = list_append(b, :l)"), Some(vec![]));
        assert_eq!(w("SET gsi1pk.x = :v, #g[0] = :w"), Some(vec![]), "nested paths are other attributes");
        assert_eq!(w("SET #g = :a SET #g = :b"), Some(vec![Write::Set(":a"), Write::Set(":b")]));
        // Unreadable: refused by the guard.
        assert_eq!(w("gsi1pk = :g"), None);
        assert_eq!(w("SET #g = (:g"), None);
    }
}
