//! Role ARNs and STS session names.

use crate::policy::Partition;
use crate::tenant::TenantId;
use core::fmt;

/// A parsed IAM role ARN: `arn:<partition>:iam::<account>:role/<path/name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleArn {
    arn: String,
    partition: Partition,
    account: String,
}

/// A string that is not an IAM role ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidRoleArn(pub String);

impl fmt::Display for InvalidRoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid role ARN {:?}: expected `arn:aws|aws-cn|aws-us-gov:iam::<12-digit account>:role/<name>`",
            self.0
        )
    }
}

impl std::error::Error for InvalidRoleArn {}

impl RoleArn {
    /// Parses a role ARN, taking the partition and account from it.
    ///
    /// ```
    /// use tenant_isolation_core::{Partition, RoleArn};
    /// let arn = RoleArn::parse("arn:aws-us-gov:iam::123456789012:role/data/TenantData").unwrap();
    /// assert_eq!(arn.partition(), Partition::AwsUsGov);
    /// assert_eq!(arn.account(), "123456789012");
    /// ```
    pub fn parse(s: &str) -> Result<RoleArn, InvalidRoleArn> {
        let bad = || InvalidRoleArn(s.to_owned());
        let mut parts = s.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let partition = Partition::parse(partition).ok_or_else(bad)?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        // IAM role names: `[\w+=,.@-]{1,64}`, paths `/` or `/…/` of the same charset
        // (IAM API Reference, `CreateRole`: RoleName, Path).
        let Some(name) = resource.strip_prefix("role/") else {
            return Err(bad());
        };
        let ok = !name.is_empty()
            && !name.ends_with('/')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-/".contains(&b));
        if !ok {
            return Err(bad());
        }
        Ok(RoleArn { arn: s.to_owned(), partition, account: account.to_owned() })
    }

    /// The whole ARN.
    pub fn as_str(&self) -> &str {
        &self.arn
    }
    /// The partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> Partition {
        self.partition
    }
    /// The 12-digit account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The role's name: the last segment of its path (`TenantData` in `role/data/TenantData`).
    pub fn name(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or_default()
    }

    /// Whether both ARNs name one role, as IAM tells roles apart: the same partition and
    /// account, and the same name regardless of case and path. Role names are unique per
    /// account "regardless of case" (IAM API Reference, `CreateRole`: "Role names are not
    /// distinguished by case"), and a path does not make a name unique (IAM User Guide,
    /// "IAM identifiers": a role's friendly name must be unique in the account whatever its
    /// path), so `role/TenantData`, `role/tenantdata` and `role/x/TenantData` are one role.
    ///
    /// ```
    /// use tenant_isolation_core::RoleArn;
    /// let a = RoleArn::parse("arn:aws:iam::123456789012:role/TenantData").unwrap();
    /// assert!(a.same_role(&RoleArn::parse("arn:aws:iam::123456789012:role/data/TENANTDATA").unwrap()));
    /// assert!(!a.same_role(&RoleArn::parse("arn:aws:iam::210987654321:role/TenantData").unwrap()));
    /// ```
    pub fn same_role(&self, other: &RoleArn) -> bool {
        self.partition == other.partition
            && self.account == other.account
            && self.name().eq_ignore_ascii_case(other.name())
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// The STS `RoleSessionName` limits: 2–64 characters of `[\w+=,.@-]`
/// (STS API Reference, `AssumeRole`, parameter `RoleSessionName`).
pub const MAX_SESSION_NAME_LEN: usize = 64;

fn is_session_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)
}

/// A `RoleSessionName` that names the tenant, so CloudTrail and the assumed-role ARN
/// (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) show whose request it was.
///
/// `prefix` is sanitised (each character outside STS's charset becomes `_`); a tenant id
/// is already inside that charset. When the result would exceed 64 characters, the id is
/// shortened and an FNV-1a hash of the whole id keeps two long ids apart:
///
/// ```
/// use tenant_isolation_core::{session_name, TenantId};
/// assert_eq!(session_name("tenant", &TenantId::parse("acme").unwrap()), "tenant-acme");
/// let long = TenantId::parse(&"a".repeat(64)).unwrap();
/// let name = session_name("tenant", &long);
/// assert_eq!(name.len(), 64);
/// assert!(name.starts_with("tenant-aaaa"));
/// ```
pub fn session_name(prefix: &str, tenant: &TenantId) -> String {
    let prefix: String = prefix.bytes().take(16).map(|b| if is_session_char(b) { b as char } else { '_' }).collect();
    let prefix = if prefix.is_empty() { "t".to_owned() } else { prefix };
    let full = format!("{prefix}-{tenant}");
    if full.len() <= MAX_SESSION_NAME_LEN {
        return full;
    }
    let hash = tenant
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    let suffix = format!("-{:08x}", hash as u32);
    let keep = MAX_SESSION_NAME_LEN - prefix.len() - 1 - suffix.len();
    format!("{prefix}-{}{suffix}", &tenant.as_str()[..keep])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_partitions_and_accounts() {
        for (arn, p) in [
            ("arn:aws:iam::123456789012:role/TenantData", Partition::Aws),
            ("arn:aws-cn:iam::123456789012:role/a/b/TenantData", Partition::AwsCn),
            ("arn:aws-us-gov:iam::123456789012:role/x+=,.@-_", Partition::AwsUsGov),
        ] {
            let parsed = RoleArn::parse(arn).unwrap();
            assert_eq!(parsed.partition(), p);
            assert_eq!(parsed.account(), "123456789012");
            assert_eq!(parsed.as_str(), arn);
        }
    }

    #[test]
    fn one_role_whatever_its_case_and_path() {
        let a = RoleArn::parse("arn:aws:iam::123456789012:role/TenantData").unwrap();
        for same in [
            "arn:aws:iam::123456789012:role/TenantData",
            "arn:aws:iam::123456789012:role/tenantdata",
            "arn:aws:iam::123456789012:role/a/b/TenantData",
        ] {
            assert!(a.same_role(&RoleArn::parse(same).unwrap()), "{same}");
        }
        for other in [
            "arn:aws:iam::123456789013:role/TenantData",
            "arn:aws-cn:iam::123456789012:role/TenantData",
            "arn:aws:iam::123456789012:role/TenantData2",
            "arn:aws:iam::123456789012:role/TenantData/x",
        ] {
            assert!(!a.same_role(&RoleArn::parse(other).unwrap()), "{other}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_role_arn() {
        for bad in [
            "",
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:iam::12345678901:role/x",
            "arn:aws:iam:eu-west-1:123456789012:role/x",
            "arn:aws-iso:iam::123456789012:role/x",
            "arn:aws:sts::123456789012:role/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a b",
            "arn:aws:iam::123456789012:role/a*",
        ] {
            assert!(RoleArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn session_names_stay_in_charset_and_length() {
        let t = TenantId::parse("acme").unwrap();
        assert_eq!(session_name("bad prefix!", &t), "bad_prefix_-acme");
        assert_eq!(session_name("", &t), "t-acme");
        let a = session_name("tenant", &TenantId::parse(&format!("{}a", "x".repeat(63))).unwrap());
        let b = session_name("tenant", &TenantId::parse(&format!("{}b", "x".repeat(63))).unwrap());
        assert_ne!(a, b);
        for n in [&a, &b] {
            assert!(n.len() <= MAX_SESSION_NAME_LEN && n.len() >= 2);
            assert!(n.bytes().all(is_session_char), "{n}");
        }
    }
}
