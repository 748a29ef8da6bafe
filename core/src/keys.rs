//! The tenant-key rule: which partition-key values belong to a tenant.
//!
//! Every layer that asks "is this key the tenant's?" asks [`KeyRule`]: the session policy's
//! `dynamodb:LeadingKeys` patterns ([`KeyRule::patterns`]), the client-side key guard
//! ([`KeyRule::is_own`]), the typed handle's key helpers ([`KeyRule::partition_key`],
//! [`KeyRule::key`]) and the check that two handlers on one table cannot own each other's
//! keys ([`KeyRule::overlaps`]). There is no second copy of the rule to drift.
//!
//! A tenant `acme` under the prefix `TENANT#` owns exactly:
//!
//! ```text
//! TENANT#acme            the tenant's partition
//! TENANT#acme#<anything> composite keys inside it
//! ```
//!
//! and nothing else: not `TENANT#acme-2` (the byte after the id must be the separator, and
//! `#` is refused in tenant ids), not `TENANT#ACME` (case-sensitive, as IAM's `StringLike`).

use crate::tenant::TenantId;
use std::borrow::Cow;

/// The key separator. It ends every key prefix, follows the tenant id in every composite key
/// (`TENANT#acme#ORDER#1`) and is refused inside tenant ids.
pub const SEPARATOR: char = '#';

/// The default partition-key prefix.
pub const DEFAULT_KEY_PREFIX: &str = "TENANT#";

/// The longest key prefix accepted, in bytes.
pub const MAX_KEY_PREFIX_LEN: usize = 64;

/// Whose keys a policy statement admits (see [`KeyRule::patterns`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tenants<'a> {
    /// One tenant, filled in per request: `<prefix>{{tenant}}` and `<prefix>{{tenant}}#*`.
    Own,
    /// The tenant named by a session tag: `<prefix>${aws:PrincipalTag/<tag>}` and `…#*`.
    Tagged(&'a str),
    /// Any tenant (`<prefix>*`): only for the data-access role, which sessions narrow.
    Any,
}

/// The partition-key layout of one tenant-owned resource: `<prefix><tenant>` and
/// `<prefix><tenant><SEPARATOR>…`.
///
/// ```
/// use tenant_isolation_core::{KeyRule, TenantId};
/// let rule = KeyRule::new("TENANT#");
/// let acme = TenantId::parse("acme").unwrap();
/// assert_eq!(rule.partition_key(&acme), "TENANT#acme");
/// assert_eq!(rule.key(&acme, &["ORDER", "42"]), "TENANT#acme#ORDER#42");
/// assert!(rule.is_own(&acme, "TENANT#acme#ORDER#42"));
/// assert!(!rule.is_own(&acme, "TENANT#acme-2"));
/// assert!(KeyRule::new("TENANT#").overlaps(&KeyRule::new("TENANT#ORG#")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyRule {
    prefix: Cow<'static, str>,
}

/// Why a key prefix is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPrefixError {
    /// Empty, too long, or a character that could widen a `StringLike` pattern or break JSON.
    Charset,
    /// The prefix does not end with [`SEPARATOR`].
    NoSeparator,
}

impl KeyRule {
    /// A rule with `prefix` (validated by [`KeyRule::validate`] when a model is compiled).
    pub const fn new(prefix: &'static str) -> KeyRule {
        KeyRule { prefix: Cow::Borrowed(prefix) }
    }

    /// A rule with an owned prefix (models built at run time).
    pub fn owned(prefix: impl Into<String>) -> KeyRule {
        KeyRule { prefix: Cow::Owned(prefix.into()) }
    }

    /// The prefix, e.g. `TENANT#`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A prefix is 1-64 characters of `[A-Za-z0-9_#:.|=+@-]` ending with [`SEPARATOR`].
    ///
    /// The charset keeps IAM wildcards (`*`, `?`) and variables (`$`) out of the
    /// `StringLike` patterns, and JSON metacharacters out of the policy text. The final
    /// separator keeps one tenant's keys from running into a prefix's own text: with prefix
    /// `T` (no separator), tenant `ENANT` would own `TENANT#…`, every key of the prefix
    /// `TENANT#`.
    pub fn validate(&self) -> Result<(), KeyPrefixError> {
        let p = self.prefix.as_bytes();
        let charset = (1..=MAX_KEY_PREFIX_LEN).contains(&p.len())
            && p.iter().all(|b| b.is_ascii_alphanumeric() || b"_-#:.|=+@".contains(b));
        if !charset {
            return Err(KeyPrefixError::Charset);
        }
        if !self.prefix.ends_with(SEPARATOR) {
            return Err(KeyPrefixError::NoSeparator);
        }
        Ok(())
    }

    /// `<prefix><tenant>`: the tenant's partition-key value.
    pub fn partition_key(&self, tenant: &TenantId) -> String {
        let mut key = String::with_capacity(self.prefix.len() + tenant.as_str().len());
        key.push_str(&self.prefix);
        key.push_str(tenant.as_str());
        key
    }

    /// `<prefix><tenant>#<part>#<part>…`: a composite key inside the tenant's partition.
    pub fn key(&self, tenant: &TenantId, parts: &[&str]) -> String {
        let mut key = self.partition_key(tenant);
        for part in parts {
            key.push(SEPARATOR);
            key.push_str(part);
        }
        key
    }

    /// Whether `value` is one of `tenant`'s keys: `<prefix><tenant>` or
    /// `<prefix><tenant>#…` — exactly what [`KeyRule::patterns`] admits for [`Tenants::Own`].
    pub fn is_own(&self, tenant: &TenantId, value: &str) -> bool {
        value
            .strip_prefix(&*self.prefix)
            .and_then(|rest| rest.strip_prefix(tenant.as_str()))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(SEPARATOR))
    }

    /// The tenant whose key `value` is: `acme` for `TENANT#acme` and `TENANT#acme#ORDER#1`;
    /// `None` for a key outside the prefix, an empty or invalid id (`TENANT#`, `TENANT#a*`,
    /// 65 characters). The inverse of [`KeyRule::is_own`] (`is_own(t, v)` exactly when
    /// `tenant_of(v) == Some(t)`: `#` is refused in tenant ids, so the id ends at the first
    /// separator), which is how a DynamoDB Streams record is given its tenant from its own key
    /// instead of from an attribute anyone writing the item could set.
    ///
    /// ```
    /// use tenant_isolation_core::KeyRule;
    /// let rule = KeyRule::new("TENANT#");
    /// assert_eq!(rule.tenant_of("TENANT#acme#ORDER#1").unwrap().as_str(), "acme");
    /// assert!(rule.tenant_of("ORG#acme").is_none());
    /// ```
    pub fn tenant_of(&self, value: &str) -> Option<TenantId> {
        let rest = value.strip_prefix(&*self.prefix)?;
        let id = rest.split(SEPARATOR).next().unwrap_or(rest);
        TenantId::parse(id).ok()
    }

    /// The `dynamodb:LeadingKeys` (or `s3:prefix`) patterns that admit `whose` keys.
    ///
    /// Used under `ForAllValues` (every leading key of the request must match one pattern;
    /// `ForAnyValue` on `*` beside it requires at least one key, so an absent or empty set
    /// fails). The
    /// tenant's own partition is `<prefix><tenant>` and, for composite keys,
    /// `<prefix><tenant>#*`; `#` is refused in tenant ids, so `TENANT#a#*` cannot match
    /// tenant `ab` (IAM User Guide, "Multivalued context keys").
    pub fn patterns(&self, whose: Tenants<'_>) -> Vec<String> {
        let tenant = match whose {
            Tenants::Own => "{{tenant}}".to_owned(),
            Tenants::Tagged(tag) => format!("${{aws:PrincipalTag/{tag}}}"),
            Tenants::Any => return vec![format!("{}*", self.prefix)],
        };
        vec![format!("{}{tenant}", self.prefix), format!("{}{tenant}{SEPARATOR}*", self.prefix)]
    }

    /// Whether two rules on one physical table could own each other's keys: one prefix
    /// starts the other. With `TENANT#` and `TENANT#ORG#`, tenant `ORG` of the first owns
    /// `TENANT#ORG#…`, every key of the second. Equal prefixes do not overlap: they are
    /// one rule.
    pub fn overlaps(&self, other: &KeyRule) -> bool {
        self.prefix != other.prefix
            && (self.prefix.starts_with(&*other.prefix) || other.prefix.starts_with(&*self.prefix))
    }
}

impl Default for KeyRule {
    fn default() -> KeyRule {
        KeyRule::new(DEFAULT_KEY_PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TenantId {
        TenantId::parse(s).unwrap()
    }

    #[test]
    fn own_keys_are_the_partition_and_composites() {
        let rule = KeyRule::default();
        for own in ["TENANT#acme", "TENANT#acme#", "TENANT#acme#ORDER#1"] {
            assert!(rule.is_own(&t("acme"), own), "{own}");
        }
        for foreign in
            ["TENANT#acme-2", "TENANT#acm", "TENANT#ACME", "TENANT#", "acme", "TENANT#globex#acme", "XTENANT#acme"]
        {
            assert!(!rule.is_own(&t("acme"), foreign), "{foreign}");
        }
    }

    #[test]
    fn a_keys_tenant_is_read_back_by_the_same_rule() {
        let rule = KeyRule::default();
        for (key, tenant) in [("TENANT#acme", "acme"), ("TENANT#acme#ORDER#1", "acme"), ("TENANT#acme-2#x", "acme-2")] {
            assert_eq!(rule.tenant_of(key).as_ref().map(TenantId::as_str), Some(tenant), "{key}");
        }
        let long = format!("TENANT#{}", "a".repeat(65));
        for foreign in ["TENANT#", "TENANT##x", "ORG#acme", "acme", "TENANT#a*", "TENANT#a b#x", "XTENANT#acme", &long]
        {
            assert_eq!(rule.tenant_of(foreign), None, "{foreign}");
        }
    }

    proptest::proptest! {
        /// `tenant_of` is `is_own`'s inverse, for any key: no key reads as one tenant's and is
        /// owned by another.
        #[test]
        fn tenant_of_is_the_inverse_of_is_own(key in "(TENANT#|ORG#|)[a-zA-Z0-9_#*-]{0,12}", id in "[a-z0-9-]{1,4}") {
            let rule = KeyRule::default();
            let tenant = t(&id);
            proptest::prop_assert_eq!(rule.is_own(&tenant, &key), rule.tenant_of(&key).as_ref() == Some(&tenant));
            if let Some(owner) = rule.tenant_of(&key) {
                proptest::prop_assert!(rule.is_own(&owner, &key));
            }
        }
    }

    #[test]
    fn prefixes_must_end_with_the_separator_and_keep_to_the_charset() {
        assert_eq!(KeyRule::new("TENANT#").validate(), Ok(()));
        assert_eq!(KeyRule::new("ORG:x#").validate(), Ok(()));
        assert_eq!(KeyRule::new("T").validate(), Err(KeyPrefixError::NoSeparator));
        assert_eq!(KeyRule::new("TENANT").validate(), Err(KeyPrefixError::NoSeparator));
        for bad in ["", "T*#", "T?#", "${x}#", "T\"#", "T #", &"x".repeat(65)] {
            assert_eq!(KeyRule::owned(bad).validate(), Err(KeyPrefixError::Charset), "{bad}");
        }
    }

    #[test]
    fn overlapping_prefixes_are_detected() {
        let a = KeyRule::new("TENANT#");
        assert!(a.overlaps(&KeyRule::new("TENANT#ORG#")));
        assert!(KeyRule::new("TENANT#ORG#").overlaps(&a));
        assert!(!a.overlaps(&KeyRule::new("TENANT#")));
        assert!(!a.overlaps(&KeyRule::new("ORG#")));
        // Tenant `ORG` under `TENANT#` owns the other's keys: the reason for the rule.
        assert!(a.is_own(&t("ORG"), "TENANT#ORG#acme"));
    }

    #[test]
    fn patterns_match_the_rule() {
        let rule = KeyRule::new("ORG#");
        assert_eq!(rule.patterns(Tenants::Own), ["ORG#{{tenant}}", "ORG#{{tenant}}#*"]);
        assert_eq!(
            rule.patterns(Tenants::Tagged("tenant")),
            ["ORG#${aws:PrincipalTag/tenant}", "ORG#${aws:PrincipalTag/tenant}#*"]
        );
        assert_eq!(rule.patterns(Tenants::Any), ["ORG#*"]);
    }
}
