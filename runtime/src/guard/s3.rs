//! The object guard: the rules by which the guard on each bucket policy's S3 client refuses,
//! before anything is signed or sent, a request for a bucket the handler did not declare, an action
//! not declared on that bucket, or an object key, copy source or list prefix outside the
//! tenant's folder `<prefix><tenant>/` under that bucket's [`ObjectRule`].
//!
//! It mirrors the session policy's bucket statements (AWS IAM User Guide, "Amazon S3: Allows
//! IAM users access to their S3 home directory"): object actions on
//! `arn:…:s3:::<bucket>/<prefix><tenant>/*`, `s3:ListBucket` only with `s3:prefix` like
//! `<prefix><tenant>/*`. Which action each operation needs comes from the core's
//! [`ObjectOperation`] table, and whether a key is the tenant's from [`ObjectRule::is_own`].
//!
//! | operation | needs declared on the bucket | checked |
//! |---|---|---|
//! | GetObject, HeadObject | `GetObject` | `Key`; no `VersionId` |
//! | PutObject | `PutObject` | `Key` |
//! | CopyObject, UploadPartCopy | `PutObject` (target), `GetObject` (source bucket) | `Key`; `CopySource` parsed: one of the handler's buckets by name, its key the tenant's, no `?versionId=` |
//! | DeleteObject | `DeleteObject` | `Key`; no `VersionId` |
//! | DeleteObjects | `DeleteObject` | every key; no `VersionId` |
//! | ListObjectsV2, ListObjects | `ListBucket` | `Prefix` present and starting with the tenant's folder |
//! | CreateMultipartUpload, UploadPart, CompleteMultipartUpload | `PutObject` | `Key` |
//! | AbortMultipartUpload | `AbortMultipartUpload` | `Key` |
//! | ListParts | `ListMultipartUploadParts` | `Key` |
//! | anything else (ListBuckets, PutBucketPolicy, GetObjectAcl, …) | — | refused |
//!
//! Beyond the table:
//!
//! * **Buckets by physical name only.** `Bucket` (and the bucket of a copy source) must be
//!   exactly one of the handler's physical bucket names. ARNs (access points, Object Lambda,
//!   Outposts) are refused: an access point ARN names a bucket only through its configuration.
//! * **What the SDK sends is what was checked.** The S3 SDK resolves the endpoint (the bucket
//!   in the host, or in the path with path-style addressing) from endpoint parameters taken
//!   from the input *before* `modify_before_serialization` runs, and applies it after
//!   serialization. So at `read_before_signing` the guard requires the request's URI to be the
//!   resolved endpoint joined with the serialized path and query it recorded, and that endpoint
//!   to be the one the client's resolver gives for the checked bucket (with the request's other
//!   endpoint parameters) and to name it (`https://<bucket>.…` or `…/<bucket>`); the method, the
//!   `Host` header (none: S3 reads a virtual-hosted request's bucket from it), the copy-source
//!   and permission headers, and the body of `DeleteObjects` (its keys) must be unchanged. The
//!   bodies of uploads are never read or copied.
//! * **Keys are literal.** The SDK writes the key into the path with Smithy's greedy label
//!   encoding: every byte but the unreserved characters and `/` is percent-encoded, `.` is not,
//!   and nothing normalizes `..` (the SDK, `http::Uri`, SigV4 for S3, which signs the path as
//!   sent); S3 stores `tenants/acme/../globex/x` under that literal key, which IAM matches
//!   against `tenants/acme/*`. Keys with a `.` or `..` segment are still refused: a proxy or
//!   tool that resolves them would turn the tenant's key into another's (Amazon S3 User Guide,
//!   "Naming Amazon S3 objects", lists them as needing special handling). A Rust `String` is
//!   always UTF-8; a copy source must percent-decode to UTF-8.
//! * **Headers that need another IAM action** are refused: an object ACL (`x-amz-acl`,
//!   `x-amz-grant-*`: `s3:PutObjectAcl`), tags (`x-amz-tagging`: `s3:PutObjectTagging`) and
//!   object lock settings (`x-amz-object-lock-*`, `x-amz-bypass-governance-retention`), none of
//!   which a tenant session is granted (Amazon S3 User Guide, "Policy actions for Amazon S3").
//!   Versioned access (`versionId`) is not supported: `s3:GetObjectVersion` and
//!   `s3:DeleteObjectVersion` are never granted.
//!
//! This file is the S3 rule set ([`ObjectRules`]) of the one guard interceptor
//! (`intercept.rs`), feature `s3`; its DynamoDB counterpart is `dynamodb.rs`.

use super::endpoint;
use super::intercept::RuleSet;
use super::violation::{GuardViolation, Violation};
use crate::spec::HandlerSpec;
use aws_sdk_s3::operation::{
    abort_multipart_upload::AbortMultipartUploadInput, complete_multipart_upload::CompleteMultipartUploadInput,
    copy_object::CopyObjectInput, create_multipart_upload::CreateMultipartUploadInput,
    delete_object::DeleteObjectInput, delete_objects::DeleteObjectsInput, get_object::GetObjectInput,
    head_object::HeadObjectInput, list_objects::ListObjectsInput, list_objects_v2::ListObjectsV2Input,
    list_parts::ListPartsInput, put_object::PutObjectInput, upload_part::UploadPartInput,
    upload_part_copy::UploadPartCopyInput,
};
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Request;
use aws_smithy_types::config_bag::ConfigBag;
use tenant_isolation_core::{BucketModel, ObjectAction, ObjectOperation, Placement, TenantId};

/// The S3 rule set: a handler's declared buckets as placed in this deployment.
#[derive(Debug)]
pub(crate) struct ObjectRules {
    spec: &'static HandlerSpec,
    /// The physical bucket names, in declaration order (the spec's buckets' order).
    buckets: Vec<String>,
}

impl ObjectRules {
    /// The rules of `spec`'s buckets, placed by `placement`.
    pub(crate) fn new(spec: &'static HandlerSpec, placement: &Placement) -> ObjectRules {
        ObjectRules { spec, buckets: placement.buckets().to_vec() }
    }
}

/// What a check let through: the operation, and the bucket it was checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    operation: ObjectOperation,
    bucket: String,
}

impl RuleSet for ObjectRules {
    const NAME: &'static str = "TenantObjectGuard";
    type Decision = Decision;
    type Snapshot = Snapshot;

    fn check(&self, tenant: &TenantId, input: &Input) -> Result<Decision, GuardViolation> {
        let (operation, bucket) = Check { tenant, buckets: &self.buckets, spec: self.spec }.check(input)?;
        Ok(Decision { operation, bucket })
    }

    fn operation(decision: &Decision) -> &'static str {
        decision.operation.name()
    }

    /// Headers needing an action no tenant session has are refused here; the rest is recorded.
    fn snapshot(&self, decision: &Decision, request: &Request) -> Result<Snapshot, Violation> {
        if let Some(what) = request.headers().iter().find_map(|(n, _)| refused_header(&n.to_ascii_lowercase())) {
            return Err(Violation::Unsupported(what));
        }
        Ok(Snapshot::of(request, decision.operation))
    }

    /// The request must be the recorded one, sent to the endpoint the client's resolver gives
    /// for the checked bucket (which the orchestrator stored in `cfg` before signing).
    fn unchanged(
        &self,
        decision: &Decision,
        snapshot: &Snapshot,
        request: &Request,
        cfg: &ConfigBag,
        components: &RuntimeComponents,
    ) -> bool {
        let Some(url) = cfg.load::<aws_smithy_types::endpoint::Endpoint>().map(|e| e.url()) else {
            return false;
        };
        addresses(url, &decision.bucket)
            && endpoint_for(&decision.bucket, cfg, components).as_deref() == Some(url)
            && snapshot.sent_to(url, request, decision.operation)
    }
}

/// One request's check against one tenant.
struct Check<'a> {
    tenant: &'a TenantId,
    buckets: &'a [String],
    spec: &'static HandlerSpec,
}

/// What `S3` stands for in a refusal of an operation outside [`ObjectOperation`].
const UNLISTED: &str = "S3";

impl Check<'_> {
    fn violation(&self, op: ObjectOperation, reason: Violation) -> GuardViolation {
        GuardViolation::new(self.tenant.clone(), op.name(), reason)
    }

    /// The declared bucket `name` is, by exact physical name (never an ARN or access point).
    fn bucket(&self, op: ObjectOperation, name: Option<&str>) -> Result<&'static BucketModel, GuardViolation> {
        match name.and_then(|n| self.buckets.iter().position(|b| b == n)) {
            Some(i) => self
                .spec
                .buckets()
                .get(i)
                .ok_or_else(|| self.violation(op, Violation::Bucket(name.unwrap_or_default().to_owned()))),
            None => Err(self.violation(op, Violation::Bucket(name.unwrap_or_default().to_owned()))),
        }
    }

    fn need(&self, op: ObjectOperation, bucket: &BucketModel, action: ObjectAction) -> Result<(), GuardViolation> {
        if bucket.allows(action) { Ok(()) } else { Err(self.violation(op, Violation::UndeclaredObjectAction(action))) }
    }

    /// `key` is under the tenant's folder of `bucket`, and has no `.`/`..` segment.
    fn own(&self, op: ObjectOperation, bucket: &BucketModel, key: Option<&str>) -> Result<(), GuardViolation> {
        let key = key.unwrap_or_default();
        if !bucket.objects.is_own(self.tenant, key) {
            return Err(self.violation(op, Violation::ForeignObject));
        }
        if super::has_dot_segment(key) {
            return Err(self.violation(op, Violation::Unsupported("a `.` or `..` segment in an object key")));
        }
        Ok(())
    }

    fn no_version(&self, op: ObjectOperation, version: Option<&str>) -> Result<(), GuardViolation> {
        match version {
            None => Ok(()),
            Some(_) => Err(self.violation(op, Violation::Unsupported("versioned access (`versionId`)"))),
        }
    }

    /// A single-object operation: the bucket is the handler's, the action `op` needs is
    /// declared on it, the key is the tenant's there.
    fn object(&self, op: ObjectOperation, bucket: Option<&str>, key: Option<&str>) -> Result<String, GuardViolation> {
        let b = self.bucket(op, bucket)?;
        self.need(op, b, op.action())?;
        self.own(op, b, key)?;
        Ok(bucket.unwrap_or_default().to_owned())
    }

    /// A copy's source: `<bucket>/<url-encoded key>` (a leading `/` allowed), the bucket one of
    /// the handler's with the source action declared, the key the tenant's. A query
    /// (`?versionId=`) is refused: versioned reads are not granted.
    ///
    /// The bucket part must be the bucket name as written, without percent-encoding (bucket
    /// names need none), so that splitting before or after decoding finds the same bucket.
    fn copy_source(&self, op: ObjectOperation, source: Option<&str>) -> Result<(), GuardViolation> {
        let source = source.unwrap_or_default();
        let source = source.strip_prefix('/').unwrap_or(source);
        if source.contains('?') {
            return Err(self.violation(op, Violation::Unsupported("a versioned copy source (`?versionId=`)")));
        }
        let (bucket, key) = source.split_once('/').unwrap_or((source, ""));
        let key = decode(key).ok_or_else(|| self.violation(op, Violation::Unreadable("the copy source")))?;
        let b = self.bucket(op, Some(bucket))?;
        if let Some(action) = op.source_action() {
            self.need(op, b, action)?;
        }
        self.own(op, b, Some(&key))
    }

    fn list(&self, op: ObjectOperation, bucket: Option<&str>, prefix: Option<&str>) -> Result<String, GuardViolation> {
        let b = self.bucket(op, bucket)?;
        self.need(op, b, op.action())?;
        // The policy's `s3:prefix` `StringLike <prefix><tenant>/*`: absent or outside, denied.
        match prefix {
            Some(p) if b.objects.is_own(self.tenant, p) => Ok(bucket.unwrap_or_default().to_owned()),
            _ => Err(self.violation(op, Violation::ListPrefix)),
        }
    }

    fn check(&self, input: &Input) -> Result<(ObjectOperation, String), GuardViolation> {
        use ObjectOperation as Op;
        if let Some(i) = input.downcast_ref::<GetObjectInput>() {
            self.no_version(Op::GetObject, i.version_id())?;
            return Ok((Op::GetObject, self.object(Op::GetObject, i.bucket(), i.key())?));
        }
        if let Some(i) = input.downcast_ref::<HeadObjectInput>() {
            self.no_version(Op::HeadObject, i.version_id())?;
            return Ok((Op::HeadObject, self.object(Op::HeadObject, i.bucket(), i.key())?));
        }
        if let Some(i) = input.downcast_ref::<PutObjectInput>() {
            return Ok((Op::PutObject, self.object(Op::PutObject, i.bucket(), i.key())?));
        }
        if let Some(i) = input.downcast_ref::<CopyObjectInput>() {
            let bucket = self.object(Op::CopyObject, i.bucket(), i.key())?;
            self.copy_source(Op::CopyObject, i.copy_source())?;
            return Ok((Op::CopyObject, bucket));
        }
        if let Some(i) = input.downcast_ref::<DeleteObjectInput>() {
            self.no_version(Op::DeleteObject, i.version_id())?;
            return Ok((Op::DeleteObject, self.object(Op::DeleteObject, i.bucket(), i.key())?));
        }
        if let Some(i) = input.downcast_ref::<DeleteObjectsInput>() {
            const OP: ObjectOperation = Op::DeleteObjects;
            let b = self.bucket(OP, i.bucket())?;
            self.need(OP, b, OP.action())?;
            // Every key: one foreign key refuses the whole request.
            for object in i.delete().map(|d| d.objects()).unwrap_or_default() {
                self.no_version(OP, object.version_id())?;
                self.own(OP, b, Some(object.key()))?;
            }
            return Ok((OP, i.bucket().unwrap_or_default().to_owned()));
        }
        if let Some(i) = input.downcast_ref::<ListObjectsV2Input>() {
            return Ok((Op::ListObjectsV2, self.list(Op::ListObjectsV2, i.bucket(), i.prefix())?));
        }
        if let Some(i) = input.downcast_ref::<ListObjectsInput>() {
            return Ok((Op::ListObjects, self.list(Op::ListObjects, i.bucket(), i.prefix())?));
        }
        if let Some(i) = input.downcast_ref::<CreateMultipartUploadInput>() {
            let op = Op::CreateMultipartUpload;
            return Ok((op, self.object(op, i.bucket(), i.key())?));
        }
        if let Some(i) = input.downcast_ref::<UploadPartInput>() {
            return Ok((Op::UploadPart, self.object(Op::UploadPart, i.bucket(), i.key())?));
        }
        if let Some(i) = input.downcast_ref::<UploadPartCopyInput>() {
            let bucket = self.object(Op::UploadPartCopy, i.bucket(), i.key())?;
            self.copy_source(Op::UploadPartCopy, i.copy_source())?;
            return Ok((Op::UploadPartCopy, bucket));
        }
        if let Some(i) = input.downcast_ref::<CompleteMultipartUploadInput>() {
            let op = Op::CompleteMultipartUpload;
            return Ok((op, self.object(op, i.bucket(), i.key())?));
        }
        if let Some(i) = input.downcast_ref::<AbortMultipartUploadInput>() {
            let op = Op::AbortMultipartUpload;
            return Ok((op, self.object(op, i.bucket(), i.key())?));
        }
        if let Some(i) = input.downcast_ref::<ListPartsInput>() {
            return Ok((Op::ListParts, self.object(Op::ListParts, i.bucket(), i.key())?));
        }
        Err(GuardViolation::new(self.tenant.clone(), UNLISTED, Violation::ObjectOperation))
    }
}

/// Strict percent-decoding of a copy source's key: every `%` starts two hex digits, and the
/// bytes are UTF-8. `None` otherwise (S3 would read such a value in a way the guard cannot
/// predict).
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let strict = b
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == b'%')
        .all(|(i, _)| b.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
    if !strict {
        return None;
    }
    percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|c| c.into_owned())
}

/// Headers whose action a tenant session is never granted, and what they are.
fn refused_header(name: &str) -> Option<&'static str> {
    if name == "x-amz-acl" || name.starts_with("x-amz-grant-") {
        Some("an object ACL (`x-amz-acl`, `x-amz-grant-*`: `s3:PutObjectAcl`)")
    } else if name == "x-amz-tagging" {
        Some("object tags (`x-amz-tagging`: `s3:PutObjectTagging`)")
    } else if name.starts_with("x-amz-object-lock-") || name == "x-amz-bypass-governance-retention" {
        Some("object lock settings (`x-amz-object-lock-*`)")
    } else {
        None
    }
}

/// Headers that say what a request does, beside its method, path and query: kept in the
/// snapshot, so that a change after the check is refused.
///
/// `host` among them: S3 takes a virtual-hosted request's bucket from `Host`, the signer signs
/// the `Host` it finds (it derives one from the URI only when there is none) and the HTTP client
/// sends it as set, so a `Host` added after the check would send the checked path to another
/// bucket. The SDK sets none before signing: any `Host` at signing was added after the check.
fn meaningful_header(name: &str) -> bool {
    name == "host" || name.starts_with("x-amz-copy-source") || refused_header(name).is_some()
}

/// The parts of a serialized S3 request that say what it does: method, path and query
/// (before the endpoint is applied: relative), `Host`, the copy-source and permission headers,
/// and the body of `DeleteObjects` (its keys). Never the body of an upload: it may be large or
/// streaming, and the key in the path says where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Snapshot {
    fn of(request: &Request, operation: ObjectOperation) -> Snapshot {
        let mut headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .filter(|(n, _)| meaningful_header(&n.to_ascii_lowercase()))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
            .collect();
        headers.sort();
        let body = match operation {
            // Its keys are in the body. `Some(empty)` for a body that is not in memory, which
            // the SDK never builds for this operation.
            ObjectOperation::DeleteObjects => Some(request.body().bytes().map(<[u8]>::to_vec).unwrap_or_default()),
            _ => None,
        };
        Snapshot { method: request.method().to_owned(), uri: request.uri().to_owned(), headers, body }
    }

    /// Whether `request`, after the endpoint was applied, is this snapshot sent to `endpoint`.
    fn sent_to(&self, endpoint: &str, request: &Request, operation: ObjectOperation) -> bool {
        // The recorded path and query joined with the endpoint by the SDK's own rule.
        let now = Snapshot::of(request, operation);
        endpoint::joined(&self.uri, endpoint).as_deref() == Some(request.uri())
            && now.method == self.method
            && now.headers == self.headers
            && now.body == self.body
    }
}

/// Whether the endpoint URL addresses `bucket`: virtual-hosted (`https://<bucket>.s3.…`) or
/// path-style (`https://s3.…/<bucket>`). The endpoint is resolved from parameters the SDK took
/// from the input before `modify_before_serialization`, so it can name another bucket than the
/// input that was checked.
fn addresses(endpoint: &str, bucket: &str) -> bool {
    let Ok(uri) = endpoint.parse::<http::Uri>() else {
        return false;
    };
    let host = uri.host().unwrap_or_default();
    let path = uri.path().trim_end_matches('/');
    let virtual_hosted = host.strip_prefix(bucket).is_some_and(|rest| rest.starts_with('.'));
    let path_style = path.strip_prefix('/') == Some(bucket);
    // Exactly one form. The host of a path-style URL is not checked: it is the deployment's
    // endpoint (the SDK config, or a `config_override` in handler code), never derived from the
    // input; an endpoint URL that is itself another bucket's virtual host is a configuration
    // the guard cannot tell from a service endpoint.
    virtual_hosted != path_style && (path_style || path.is_empty())
}

/// The endpoint the client's own resolver gives for `bucket`, with the request's other endpoint
/// parameters (region, endpoint URL, path style, …) as they are now. The endpoint was resolved
/// from parameters taken from the input before the check, and they can be changed between the
/// check and the resolution: only the bucket's own endpoint, resolved the same way, is known to
/// address the checked bucket. [`addresses`] reads the bucket from the URL, which cannot tell
/// `files` from `files.archive` in `http://files.archive.localhost` (dotted buckets are
/// virtual-hosted over `http`). `None` when the parameters are missing or the resolver does not
/// answer at once (the SDK's resolver always does).
fn endpoint_for(bucket: &str, cfg: &ConfigBag, components: &RuntimeComponents) -> Option<String> {
    use aws_sdk_s3::config::endpoint::Params;
    use aws_smithy_runtime_api::client::endpoint::EndpointResolverParams;
    let now = cfg.load::<EndpointResolverParams>()?.get::<Params>()?;
    let own = |s: Option<&str>| s.map(str::to_owned);
    let params = Params::builder()
        .set_bucket(Some(bucket.to_owned()))
        .set_region(own(now.region()))
        .set_use_fips(now.use_fips())
        .set_use_dual_stack(now.use_dual_stack())
        .set_endpoint(own(now.endpoint()))
        .set_force_path_style(now.force_path_style())
        .set_accelerate(now.accelerate())
        .set_use_global_endpoint(now.use_global_endpoint())
        .set_use_object_lambda_endpoint(now.use_object_lambda_endpoint())
        .set_key(own(now.key()))
        .set_prefix(own(now.prefix()))
        .set_copy_source(own(now.copy_source()))
        .set_disable_access_points(now.disable_access_points())
        .set_disable_multi_region_access_points(now.disable_multi_region_access_points())
        .set_use_arn_region(now.use_arn_region())
        .set_use_s3_express_control_endpoint(now.use_s3_express_control_endpoint())
        .set_disable_s3_express_session_auth(now.disable_s3_express_session_auth())
        .build()
        .ok()?;
    endpoint::resolve(components, &EndpointResolverParams::new(params))
}

#[cfg(test)]
mod tests;
