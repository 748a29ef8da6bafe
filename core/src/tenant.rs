//! Tenant ids that cannot widen a policy.

use core::fmt;

/// The longest tenant id accepted, in bytes (= characters: the charset is ASCII).
pub const MAX_TENANT_ID_LEN: usize = 64;

/// A tenant id that has passed validation: 1–64 characters of `[A-Za-z0-9_-]`.
///
/// The charset is the security boundary of the whole policy. A tenant id lands inside a
/// `StringLike` pattern on `dynamodb:LeadingKeys` (under `ForAllValues`), so:
///
/// * `*` and `?` are `StringLike` wildcards: tenant `*` would match every tenant
///   (IAM User Guide, "String condition operators");
/// * `$` starts an IAM policy variable (`${aws:username}`, `${*}`);
/// * `#` is the key separator: tenant `acme#x` would sit inside tenant `acme`'s
///   `TENANT#acme#*` pattern;
/// * `"`, `\` and control characters would break out of the JSON string;
/// * anything outside ASCII is refused so that look-alikes (`аcme` with a Cyrillic `а`)
///   can never name a second tenant that reads like the first.
///
/// The only way to get a `TenantId` is [`TenantId::parse`], and policy rendering accepts
/// nothing else, so an unvalidated string can never reach a policy.
///
/// ```
/// use tenant_isolation_core::TenantId;
/// assert_eq!(TenantId::parse("acme-corp_1").unwrap().as_str(), "acme-corp_1");
/// assert!(TenantId::parse("*").is_err());
/// assert!(TenantId::parse("acme#x").is_err());
/// ```
// `Arc<str>`: a clone (cache key, scope, identity) shares the one allocation.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(std::sync::Arc<str>);

/// Why a string is not a valid [`TenantId`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidTenantId {
    /// The id is empty.
    Empty,
    /// The id is longer than [`MAX_TENANT_ID_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The id contains a character outside `[A-Za-z0-9_-]`.
    ForbiddenChar {
        /// The first offending character.
        ch: char,
        /// Its position in characters.
        at: usize,
    },
}

impl fmt::Display for InvalidTenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidTenantId::Empty => f.write_str("tenant id is empty"),
            InvalidTenantId::TooLong { len } => {
                write!(
                    f,
                    "tenant id has {len} bytes; at most {MAX_TENANT_ID_LEN} characters of `A-Z`, `a-z`, `0-9`, `_` and `-` are allowed"
                )
            }
            InvalidTenantId::ForbiddenChar { ch, at } => {
                write!(f, "tenant id has {ch:?} at position {at}; only `A-Z`, `a-z`, `0-9`, `_` and `-` are allowed")
            }
        }
    }
}

impl std::error::Error for InvalidTenantId {}

impl TenantId {
    /// Validates `s` as a tenant id.
    pub fn parse(s: &str) -> Result<TenantId, InvalidTenantId> {
        if s.is_empty() {
            return Err(InvalidTenantId::Empty);
        }
        // Length first, in bytes: a huge claim is refused without scanning it (an id of the
        // ASCII charset has as many bytes as characters).
        if s.len() > MAX_TENANT_ID_LEN {
            return Err(InvalidTenantId::TooLong { len: s.len() });
        }
        if let Some((at, ch)) = s.chars().enumerate().find(|(_, c)| !is_tenant_char(*c)) {
            return Err(InvalidTenantId::ForbiddenChar { ch, at });
        }
        Ok(TenantId(s.into()))
    }

    /// The id as a string (always ASCII).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `[A-Za-z0-9_-]`.
pub const fn is_tenant_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({:?})", &*self.0)
    }
}

impl core::str::FromStr for TenantId {
    type Err = InvalidTenantId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TenantId::parse(s)
    }
}

impl AsRef<str> for TenantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_charset_and_bounds() {
        for ok in ["a", "acme", "ACME-corp_01", &"x".repeat(64)] {
            assert_eq!(TenantId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_everything_that_could_widen_a_policy() {
        assert_eq!(TenantId::parse(""), Err(InvalidTenantId::Empty));
        assert_eq!(TenantId::parse(&"x".repeat(65)), Err(InvalidTenantId::TooLong { len: 65 }));
        for (bad, ch) in [
            ("*", '*'),
            ("a?", '?'),
            ("a#b", '#'),
            ("${aws:username}", '$'),
            ("a b", ' '),
            ("a\"", '"'),
            ("a\\", '\\'),
            ("a\n", '\n'),
            ("\u{0430}cme", '\u{0430}'),
            ("a.b", '.'),
            ("a/b", '/'),
        ] {
            match TenantId::parse(bad) {
                Err(InvalidTenantId::ForbiddenChar { ch: got, .. }) => assert_eq!(got, ch, "{bad:?}"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }
}
