//! S3 objects under a tenant's prefix: the object actions a tenant policy may grant, which of
//! them each S3 API operation needs, and which object keys belong to a tenant.
//!
//! A tenant owns the keys under `<prefix><tenant>/` (AWS IAM User Guide, "Amazon S3: Allows
//! IAM users access to their S3 home directory"): object actions are granted on
//! `arn:<partition>:s3:::<bucket>/<prefix><tenant>/*`, and `s3:ListBucket` on the bucket only
//! with `s3:prefix` confined to `<prefix><tenant>/*`. The trailing `/` is what keeps tenant
//! `acme` from matching `acme-2/…`. The session policy, the object guard and the bucket handle
//! all read the rule from [`ObjectRule`].

use crate::action::closest;
use crate::keys::Tenants;
use crate::tenant::TenantId;
use core::fmt;
use std::borrow::Cow;

/// The separator after the tenant id in an object key.
pub const OBJECT_SEPARATOR: char = '/';

/// The object-key prefix when none is declared: `tenants/<tenant>/…`.
pub const DEFAULT_OBJECT_PREFIX: &str = "tenants/";

/// The longest object-key prefix accepted (the policy's worst-case size counts it in full).
pub const MAX_OBJECT_PREFIX_LEN: usize = 64;

macro_rules! object_actions {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// An S3 action that can be confined to one tenant's object prefix.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ObjectAction {
            $($(#[$doc])* $name,)*
        }

        impl ObjectAction {
            /// Every object action, in canonical (policy) order.
            pub const ALL: &'static [ObjectAction] = &[$(ObjectAction::$name,)*];

            /// The action's name, e.g. `GetObject`.
            pub const fn name(self) -> &'static str {
                match self { $(ObjectAction::$name => stringify!($name),)* }
            }

            /// The IAM action, e.g. `s3:GetObject`.
            pub const fn iam_name(self) -> &'static str {
                match self { $(ObjectAction::$name => concat!("s3:", stringify!($name)),)* }
            }
        }
    };
}

/// Calls `$callback! { AbortMultipartUpload, DeleteObject, … }` with the object actions: the
/// one list from which the enum and the runtime's marker types are generated.
#[doc(hidden)]
#[macro_export]
macro_rules! with_object_actions {
    ($callback:ident) => {
        $callback! {
            /// Abort a multipart upload under the tenant's prefix.
            AbortMultipartUpload,
            /// Delete an object (`DeleteObject`, each key of `DeleteObjects`).
            DeleteObject,
            /// Read an object (`GetObject`, `HeadObject`, the source of a copy).
            GetObject,
            /// List the keys under the tenant's prefix (`ListObjectsV2`, `ListObjects`); granted
            /// on the bucket with an `s3:prefix` condition.
            ListBucket,
            /// List the parts of a multipart upload (`ListParts`).
            ListMultipartUploadParts,
            /// Write an object (`PutObject`, multipart uploads, the target of a copy).
            PutObject,
        }
    };
}

with_object_actions!(object_actions);

impl ObjectAction {
    /// `GetObject` or `s3:GetObject` → the action.
    pub fn from_name(name: &str) -> Option<ObjectAction> {
        let name = name.strip_prefix("s3:").unwrap_or(name);
        ObjectAction::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Whether the action is granted on the bucket (with an `s3:prefix` condition) rather
    /// than on the tenant's objects.
    pub const fn on_bucket(self) -> bool {
        matches!(self, ObjectAction::ListBucket)
    }

    /// Validates a name written in `buckets(... actions = [...])`.
    pub fn classify(name: &str) -> Result<ObjectAction, ObjectRefusal> {
        if let Some(action) = ObjectAction::from_name(name) {
            return Ok(action);
        }
        let bare = name.strip_prefix("s3:").unwrap_or(name);
        if bare.contains('*') || bare.contains('?') {
            return Err(ObjectRefusal::Wildcard);
        }
        if let Some((_, refusal)) = REFUSED.iter().find(|(n, _)| *n == bare) {
            return Err(refusal.clone());
        }
        if bare.contains("Bucket") || bare.starts_with("PutAccount") || bare.starts_with("GetAccount") {
            return Err(ObjectRefusal::BucketLevel);
        }
        let suggestion = closest(bare, ObjectAction::ALL.iter().map(|a| a.name())).and_then(ObjectAction::from_name);
        Err(ObjectRefusal::Unknown { suggestion })
    }
}

impl fmt::Display for ObjectAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `` `AbortMultipartUpload`, `DeleteObject`, … `` for error messages.
pub fn valid_object_names() -> String {
    ObjectAction::ALL.iter().map(|a| format!("`{}`", a.name())).collect::<Vec<_>>().join(", ")
}

/// Why a name in a bucket's `actions = [...]` cannot be granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectRefusal {
    /// `*`, `s3:*`, `Get*`.
    Wildcard,
    /// Acts on the bucket or the account, not on one tenant's objects.
    BucketLevel,
    /// Changes who may read an object (`PutObjectAcl`, …).
    Acl,
    /// Versioned access, which the tenant prefix alone does not confine here.
    Versioned,
    /// An S3 API operation whose IAM action has another name.
    Operation {
        /// The actions to declare instead.
        declare: &'static [ObjectAction],
    },
    /// Not an S3 object action this crate knows.
    Unknown {
        /// The nearest known action.
        suggestion: Option<ObjectAction>,
    },
}

impl fmt::Display for ObjectRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRefusal::Wildcard => f.write_str(
                "wildcards are never granted: `s3:*` includes bucket and account actions \
                 (`PutBucketPolicy`, `DeleteBucket`, …) that act on every tenant's objects",
            ),
            ObjectRefusal::BucketLevel => f.write_str(
                "acts on the whole bucket or account, not on one tenant's objects: bucket and account \
                 actions belong in the deployment, never in a tenant's session",
            ),
            ObjectRefusal::Acl => f.write_str(
                "changes who may read the object: a tenant could make its objects public or grant them \
                 to another account; set access in the bucket policy instead",
            ),
            ObjectRefusal::Versioned => f.write_str(
                "reads or deletes object versions, which are not supported: declare `GetObject` or \
                 `DeleteObject` for the current version",
            ),
            ObjectRefusal::Operation { declare } => {
                f.write_str("is an API operation, not an IAM action: declare ")?;
                for (i, a) in declare.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    write!(f, "`{a}`")?;
                }
                Ok(())
            }
            ObjectRefusal::Unknown { .. } => f.write_str("unknown S3 object action"),
        }
    }
}

/// Names refused with a reason of their own.
const REFUSED: &[(&str, ObjectRefusal)] = &[
    ("ListAllMyBuckets", ObjectRefusal::BucketLevel),
    ("CreateBucket", ObjectRefusal::BucketLevel),
    ("DeleteBucket", ObjectRefusal::BucketLevel),
    ("ListBucketVersions", ObjectRefusal::Versioned),
    ("ListBucketMultipartUploads", ObjectRefusal::BucketLevel),
    ("PutObjectAcl", ObjectRefusal::Acl),
    ("PutObjectVersionAcl", ObjectRefusal::Acl),
    ("GetObjectAcl", ObjectRefusal::Acl),
    ("GetObjectVersionAcl", ObjectRefusal::Acl),
    ("GetObjectVersion", ObjectRefusal::Versioned),
    ("DeleteObjectVersion", ObjectRefusal::Versioned),
    ("PutObjectRetention", ObjectRefusal::Versioned),
    ("PutObjectLegalHold", ObjectRefusal::Versioned),
    ("BypassGovernanceRetention", ObjectRefusal::Versioned),
    ("HeadObject", ObjectRefusal::Operation { declare: &[ObjectAction::GetObject] }),
    ("CopyObject", ObjectRefusal::Operation { declare: &[ObjectAction::GetObject, ObjectAction::PutObject] }),
    ("DeleteObjects", ObjectRefusal::Operation { declare: &[ObjectAction::DeleteObject] }),
    ("ListObjects", ObjectRefusal::Operation { declare: &[ObjectAction::ListBucket] }),
    ("ListObjectsV2", ObjectRefusal::Operation { declare: &[ObjectAction::ListBucket] }),
    ("ListParts", ObjectRefusal::Operation { declare: &[ObjectAction::ListMultipartUploadParts] }),
    ("CreateMultipartUpload", ObjectRefusal::Operation { declare: &[ObjectAction::PutObject] }),
    ("UploadPart", ObjectRefusal::Operation { declare: &[ObjectAction::PutObject] }),
    ("CompleteMultipartUpload", ObjectRefusal::Operation { declare: &[ObjectAction::PutObject] }),
];

/// An S3 API operation the object guard knows, and the actions it needs: the one table
/// read by the object guard and checked against the bucket handle's bounds.
///
/// IAM authorises multipart uploads as `s3:PutObject` (except abort and list parts), `HeadObject`
/// as `s3:GetObject`, and a copy as `s3:GetObject` on the source and `s3:PutObject` on the
/// target (Amazon S3 User Guide, "Policy actions for Amazon S3"; DOMAIN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectOperation {
    /// `GetObject`.
    GetObject,
    /// `HeadObject`.
    HeadObject,
    /// `PutObject`.
    PutObject,
    /// `CopyObject`: `PutObject` on the target, `GetObject` on the source.
    CopyObject,
    /// `DeleteObject`.
    DeleteObject,
    /// `DeleteObjects`: `DeleteObject` on each key.
    DeleteObjects,
    /// `ListObjectsV2`.
    ListObjectsV2,
    /// `ListObjects`.
    ListObjects,
    /// `CreateMultipartUpload`.
    CreateMultipartUpload,
    /// `UploadPart`.
    UploadPart,
    /// `UploadPartCopy`: `PutObject` on the target, `GetObject` on the source.
    UploadPartCopy,
    /// `CompleteMultipartUpload`.
    CompleteMultipartUpload,
    /// `AbortMultipartUpload`.
    AbortMultipartUpload,
    /// `ListParts`.
    ListParts,
}

impl ObjectOperation {
    /// Every operation the guard lets through (anything else is refused).
    pub const ALL: &'static [ObjectOperation] = &[
        ObjectOperation::GetObject,
        ObjectOperation::HeadObject,
        ObjectOperation::PutObject,
        ObjectOperation::CopyObject,
        ObjectOperation::DeleteObject,
        ObjectOperation::DeleteObjects,
        ObjectOperation::ListObjectsV2,
        ObjectOperation::ListObjects,
        ObjectOperation::CreateMultipartUpload,
        ObjectOperation::UploadPart,
        ObjectOperation::UploadPartCopy,
        ObjectOperation::CompleteMultipartUpload,
        ObjectOperation::AbortMultipartUpload,
        ObjectOperation::ListParts,
    ];

    /// The operation's name, e.g. `CopyObject`.
    pub const fn name(self) -> &'static str {
        match self {
            ObjectOperation::GetObject => "GetObject",
            ObjectOperation::HeadObject => "HeadObject",
            ObjectOperation::PutObject => "PutObject",
            ObjectOperation::CopyObject => "CopyObject",
            ObjectOperation::DeleteObject => "DeleteObject",
            ObjectOperation::DeleteObjects => "DeleteObjects",
            ObjectOperation::ListObjectsV2 => "ListObjectsV2",
            ObjectOperation::ListObjects => "ListObjects",
            ObjectOperation::CreateMultipartUpload => "CreateMultipartUpload",
            ObjectOperation::UploadPart => "UploadPart",
            ObjectOperation::UploadPartCopy => "UploadPartCopy",
            ObjectOperation::CompleteMultipartUpload => "CompleteMultipartUpload",
            ObjectOperation::AbortMultipartUpload => "AbortMultipartUpload",
            ObjectOperation::ListParts => "ListParts",
        }
    }

    /// The operation named `name`, if the guard knows it.
    pub fn from_name(name: &str) -> Option<ObjectOperation> {
        ObjectOperation::ALL.iter().copied().find(|o| o.name() == name)
    }

    /// The action the operation needs on its target key (or, for a listing, on the bucket).
    pub const fn action(self) -> ObjectAction {
        match self {
            ObjectOperation::GetObject | ObjectOperation::HeadObject => ObjectAction::GetObject,
            ObjectOperation::PutObject
            | ObjectOperation::CopyObject
            | ObjectOperation::CreateMultipartUpload
            | ObjectOperation::UploadPart
            | ObjectOperation::UploadPartCopy
            | ObjectOperation::CompleteMultipartUpload => ObjectAction::PutObject,
            ObjectOperation::DeleteObject | ObjectOperation::DeleteObjects => ObjectAction::DeleteObject,
            ObjectOperation::ListObjectsV2 | ObjectOperation::ListObjects => ObjectAction::ListBucket,
            ObjectOperation::AbortMultipartUpload => ObjectAction::AbortMultipartUpload,
            ObjectOperation::ListParts => ObjectAction::ListMultipartUploadParts,
        }
    }

    /// The action a copy needs on its source key.
    pub const fn source_action(self) -> Option<ObjectAction> {
        match self {
            ObjectOperation::CopyObject | ObjectOperation::UploadPartCopy => Some(ObjectAction::GetObject),
            _ => None,
        }
    }
}

/// Which object keys belong to a tenant: those under `<prefix><tenant>/`.
///
/// ```
/// use tenant_isolation_core::{ObjectRule, TenantId};
/// let rule = ObjectRule::new("tenants/");
/// let acme = TenantId::parse("acme").unwrap();
/// assert_eq!(rule.key(&acme, "invoices/1.pdf"), "tenants/acme/invoices/1.pdf");
/// assert!(rule.is_own(&acme, "tenants/acme/invoices/1.pdf"));
/// assert!(!rule.is_own(&acme, "tenants/acme-2/invoices/1.pdf"));
/// assert!(!rule.is_own(&acme, "tenants/acme"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectRule {
    prefix: Cow<'static, str>,
}

/// What is wrong with an object-key prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectPrefixError {
    /// Outside `[A-Za-z0-9_.=-/]`, longer than [`MAX_OBJECT_PREFIX_LEN`], or with a `.` or `..`
    /// segment (which the object guard refuses in every key: `a/../` would fail closed).
    Charset,
    /// Not empty and not ending with `/`.
    NoSeparator,
}

impl ObjectRule {
    /// A rule with `prefix` (`""` or ending with `/`; see [`ObjectRule::validate`]).
    pub const fn new(prefix: &'static str) -> ObjectRule {
        ObjectRule { prefix: Cow::Borrowed(prefix) }
    }

    /// A rule with an owned prefix.
    pub fn owned(prefix: impl Into<String>) -> ObjectRule {
        ObjectRule { prefix: Cow::Owned(prefix.into()) }
    }

    /// The prefix before the tenant id.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A prefix is empty or ends with `/`, and has no character that IAM reads as a wildcard
    /// or variable (`*`, `?`, `$`) or JSON must escape. Without the `/`, tenant `ENANT` of
    /// prefix `t` would own every key of `tENANT/`… of another prefix.
    pub fn validate(&self) -> Result<(), ObjectPrefixError> {
        let p = self.prefix.as_bytes();
        if p.len() > MAX_OBJECT_PREFIX_LEN
            || !p.iter().all(|b| b.is_ascii_alphanumeric() || b"_.=-/".contains(b))
            || self.prefix.split(OBJECT_SEPARATOR).any(|segment| segment == "." || segment == "..")
        {
            return Err(ObjectPrefixError::Charset);
        }
        if !p.is_empty() && !self.prefix.ends_with(OBJECT_SEPARATOR) {
            return Err(ObjectPrefixError::NoSeparator);
        }
        Ok(())
    }

    /// `<prefix><tenant>/`: the tenant's folder, and the least a list prefix must start with.
    pub fn folder(&self, tenant: &TenantId) -> String {
        let mut folder = String::with_capacity(self.prefix.len() + tenant.as_str().len() + 1);
        folder.push_str(&self.prefix);
        folder.push_str(tenant.as_str());
        folder.push(OBJECT_SEPARATOR);
        folder
    }

    /// `<prefix><tenant>/<name>`: an object key of the tenant's.
    pub fn key(&self, tenant: &TenantId, name: &str) -> String {
        let mut key = self.folder(tenant);
        key.push_str(name);
        key
    }

    /// Whether `key` (an object key or a list prefix) is under the tenant's folder. The same
    /// rule as the policy's `…/<prefix><tenant>/*` resource and `s3:prefix` pattern: the key
    /// starts with `<prefix><tenant>/` (IAM's `*` matches any rest, the empty one included).
    pub fn is_own(&self, tenant: &TenantId, key: &str) -> bool {
        key.strip_prefix(&*self.prefix)
            .and_then(|rest| rest.strip_prefix(tenant.as_str()))
            .is_some_and(|rest| rest.starts_with(OBJECT_SEPARATOR))
    }

    /// The tenant whose folder `key` is in: `acme` for `tenants/acme/a.pdf`; `None` for a key
    /// outside the prefix, not in a folder (`tenants/acme`), or whose folder is no valid id.
    /// The inverse of [`ObjectRule::is_own`] (tenant ids have no `/`), which is how an S3
    /// event notification's record is given its tenant from the object's key.
    ///
    /// ```
    /// use tenant_isolation_core::ObjectRule;
    /// let rule = ObjectRule::new("tenants/");
    /// assert_eq!(rule.tenant_of("tenants/acme/a.pdf").unwrap().as_str(), "acme");
    /// assert!(rule.tenant_of("tenants/acme").is_none());
    /// ```
    pub fn tenant_of(&self, key: &str) -> Option<TenantId> {
        let rest = key.strip_prefix(&*self.prefix)?;
        let (id, _) = rest.split_once(OBJECT_SEPARATOR)?;
        TenantId::parse(id).ok()
    }

    /// The tenant's key pattern as IAM reads it: `<prefix>{{tenant}}/*`, the principal tag in
    /// its place, or `<prefix>*` for any tenant (role policies).
    pub fn pattern(&self, whose: Tenants<'_>) -> String {
        match whose {
            Tenants::Own => format!("{}{{{{tenant}}}}{OBJECT_SEPARATOR}*", self.prefix),
            Tenants::Tagged(tag) => format!("{}${{aws:PrincipalTag/{tag}}}{OBJECT_SEPARATOR}*", self.prefix),
            Tenants::Any => format!("{}*", self.prefix),
        }
    }

    /// Whether two rules on one bucket could give one tenant another's keys: one prefix starts
    /// the other (`""` and `tenants/`: tenant `tenants` of the first owns the second's keys).
    pub fn overlaps(&self, other: &ObjectRule) -> bool {
        self.prefix != other.prefix
            && (self.prefix.starts_with(&*other.prefix) || other.prefix.starts_with(&*self.prefix))
    }
}

impl Default for ObjectRule {
    fn default() -> ObjectRule {
        ObjectRule::new(DEFAULT_OBJECT_PREFIX)
    }
}

/// [`is_valid_bucket_name`] as a regular expression (a CloudFormation `AllowedPattern`).
pub const BUCKET_NAME_PATTERN: &str = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";

/// S3 general-purpose bucket names: 3-63 characters of lowercase letters, digits, `.` and `-`,
/// beginning and ending with a letter or digit (Amazon S3 User Guide, "Bucket naming rules").
pub fn is_valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TenantId {
        TenantId::parse(s).unwrap()
    }

    #[test]
    fn own_keys_are_under_the_tenants_folder() {
        let rule = ObjectRule::default();
        for own in ["tenants/acme/", "tenants/acme/a.pdf", "tenants/acme/x/y"] {
            assert!(rule.is_own(&t("acme"), own), "{own}");
        }
        for foreign in
            ["tenants/acme", "tenants/acme-2/a", "tenants/acm/a", "tenants/ACME/a", "acme/a", "x/tenants/acme/a", ""]
        {
            assert!(!rule.is_own(&t("acme"), foreign), "{foreign}");
        }
        let root = ObjectRule::new("");
        assert!(root.is_own(&t("acme"), "acme/a"));
        assert!(!root.is_own(&t("acme"), "acme-2/a"));
    }

    #[test]
    fn an_objects_tenant_is_read_back_by_the_same_rule() {
        let rule = ObjectRule::default();
        for (key, tenant) in
            [("tenants/acme/", "acme"), ("tenants/acme/a/b.pdf", "acme"), ("tenants/acme-2/x", "acme-2")]
        {
            assert_eq!(rule.tenant_of(key).as_ref().map(TenantId::as_str), Some(tenant), "{key}");
        }
        for foreign in ["tenants/acme", "tenants//x", "acme/x", "tenants/a*/x", "tenants/a b/x", "x/tenants/acme/a", ""]
        {
            assert_eq!(rule.tenant_of(foreign), None, "{foreign}");
        }
        assert_eq!(ObjectRule::new("").tenant_of("acme/a").as_ref().map(TenantId::as_str), Some("acme"));
    }

    proptest::proptest! {
        /// `tenant_of` is `is_own`'s inverse, for any key.
        #[test]
        fn tenant_of_is_the_inverse_of_is_own(key in "(tenants/|files/|)[a-zA-Z0-9_/*-]{0,12}", id in "[a-z0-9-]{1,4}") {
            let rule = ObjectRule::default();
            let tenant = t(&id);
            proptest::prop_assert_eq!(rule.is_own(&tenant, &key), rule.tenant_of(&key).as_ref() == Some(&tenant));
        }
    }

    #[test]
    fn prefixes_end_with_the_separator_and_keep_to_the_charset() {
        assert_eq!(ObjectRule::new("").validate(), Ok(()));
        assert_eq!(ObjectRule::new("tenants/").validate(), Ok(()));
        assert_eq!(ObjectRule::new("tenants").validate(), Err(ObjectPrefixError::NoSeparator));
        for bad in ["t*/", "t?/", "${x}/", "t\"/", "t /", &"x/".repeat(33), "a/../", "./", "a/./b/"] {
            assert_eq!(ObjectRule::owned(bad).validate(), Err(ObjectPrefixError::Charset), "{bad}");
        }
        assert!(ObjectRule::new("").overlaps(&ObjectRule::new("tenants/")));
        assert!(!ObjectRule::new("a/").overlaps(&ObjectRule::new("b/")));
    }

    #[test]
    fn patterns_match_the_rule() {
        let rule = ObjectRule::new("files/");
        assert_eq!(rule.pattern(Tenants::Own), "files/{{tenant}}/*");
        assert_eq!(rule.pattern(Tenants::Tagged("tenant")), "files/${aws:PrincipalTag/tenant}/*");
        assert_eq!(rule.pattern(Tenants::Any), "files/*");
    }

    #[test]
    fn refusals_name_the_reason() {
        assert_eq!(ObjectAction::classify("s3:GetObject"), Ok(ObjectAction::GetObject));
        assert_eq!(ObjectAction::classify("*"), Err(ObjectRefusal::Wildcard));
        assert_eq!(ObjectAction::classify("s3:*"), Err(ObjectRefusal::Wildcard));
        assert_eq!(ObjectAction::classify("PutBucketPolicy"), Err(ObjectRefusal::BucketLevel));
        assert_eq!(ObjectAction::classify("GetBucketAcl"), Err(ObjectRefusal::BucketLevel));
        assert_eq!(ObjectAction::classify("ListAllMyBuckets"), Err(ObjectRefusal::BucketLevel));
        assert_eq!(ObjectAction::classify("PutObjectAcl"), Err(ObjectRefusal::Acl));
        assert_eq!(ObjectAction::classify("GetObjectVersion"), Err(ObjectRefusal::Versioned));
        assert!(ObjectAction::classify("CopyObject").unwrap_err().to_string().contains("`GetObject` and `PutObject`"));
        assert_eq!(
            ObjectAction::classify("GetObjects"),
            Err(ObjectRefusal::Unknown { suggestion: Some(ObjectAction::GetObject) })
        );
    }

    #[test]
    fn every_operation_needs_a_declared_action() {
        for op in ObjectOperation::ALL {
            assert_eq!(ObjectOperation::from_name(op.name()), Some(*op));
            assert!(ObjectAction::ALL.contains(&op.action()));
        }
        assert_eq!(ObjectOperation::CopyObject.source_action(), Some(ObjectAction::GetObject));
    }

    #[test]
    fn bucket_names() {
        for ok in ["abc", "order-attachments", "a.b-c1"] {
            assert!(is_valid_bucket_name(ok), "{ok}");
        }
        for bad in ["ab", "Orders", "-abc", "abc-", "a_b", &"a".repeat(64), "a*c"] {
            assert!(!is_valid_bucket_name(bad), "{bad}");
        }
    }
}
