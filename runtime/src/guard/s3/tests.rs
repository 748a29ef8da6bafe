//! The object guard's rules, table-driven: every S3 refusal class of SECURITY.md (red-team
//! class 17) that the rules decide, each beside the tenant's own request of the same shape,
//! decided by [`ObjectRules::check`] and [`ObjectRules::snapshot`] alone: no scope, no client,
//! no moto. What is decided at signing (the endpoint, a request changed after the check) is
//! proven end to end in `tests/it/buckets.rs`; its pieces (`addresses`, `decode`) here.

use super::*;
use crate::guard::cases::{self, Case, case};
use aws_sdk_s3::operation::get_object_acl::GetObjectAclInput;
use aws_sdk_s3::operation::list_buckets::ListBucketsInput;
use aws_sdk_s3::operation::put_bucket_policy::PutBucketPolicyInput;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use std::borrow::Cow;
use std::sync::LazyLock;
use tenant_isolation_core::{Confinement, HandlerModel, ObjectRule, Partition, PhysicalName};

/// `files`: keys `tenants/<tenant>/…`, every object action. `archive`: keys `archive/<tenant>/…`,
/// `PutObject` only (a copy target, never a copy source).
static SPEC: LazyLock<HandlerSpec> = LazyLock::new(|| {
    let files = BucketModel {
        bucket: PhysicalName::Fixed("files".into()),
        actions: Cow::Borrowed(ObjectAction::ALL),
        objects: ObjectRule::new("tenants/"),
    };
    let archive = BucketModel {
        bucket: PhysicalName::Fixed("archive".into()),
        actions: Cow::Borrowed(&[ObjectAction::PutObject]),
        objects: ObjectRule::new("archive/"),
    };
    let model = HandlerModel {
        tables: Cow::Borrowed(&[]),
        buckets: vec![files, archive].into(),
        named: Cow::Borrowed(&[]),
        confinement: Confinement::SessionPolicy,
    };
    HandlerSpec::new("files", model).unwrap()
});

fn rules() -> ObjectRules {
    let placement = Placement::new(Partition::Aws, "us-east-1", "123456789012", &[], &["files", "archive"]).unwrap();
    ObjectRules::new(&SPEC, &placement)
}

/// Decides every case with the fixture's rules.
fn run(table: Vec<Case<Decision>>) {
    cases::run(&rules(), table)
}

/// Allowed, on `files`.
fn ok(operation: ObjectOperation) -> Result<Decision, Violation> {
    Ok(Decision { operation, bucket: "files".to_owned() })
}

const FOREIGN: Result<Decision, Violation> = Err(Violation::ForeignObject);

fn get(key: &str) -> GetObjectInput {
    GetObjectInput::builder().bucket("files").key(key).build().unwrap()
}

fn get_in(bucket: &str, key: &str) -> GetObjectInput {
    GetObjectInput::builder().bucket(bucket).key(key).build().unwrap()
}

fn put(key: &str) -> PutObjectInput {
    PutObjectInput::builder().bucket("files").key(key).build().unwrap()
}

fn list(prefix: Option<&str>) -> ListObjectsV2Input {
    ListObjectsV2Input::builder().bucket("files").set_prefix(prefix.map(str::to_owned)).build().unwrap()
}

fn copy(bucket: &str, key: &str, source: &str) -> CopyObjectInput {
    CopyObjectInput::builder().bucket(bucket).key(key).copy_source(source).build().unwrap()
}

fn delete_objects(bucket: &str, objects: &[(&str, Option<&str>)]) -> DeleteObjectsInput {
    let delete = objects
        .iter()
        .fold(Delete::builder(), |d, (key, version)| {
            d.objects(ObjectIdentifier::builder().key(*key).set_version_id(version.map(str::to_owned)).build().unwrap())
        })
        .build()
        .unwrap();
    DeleteObjectsInput::builder().bucket(bucket).delete(delete).build().unwrap()
}

#[test]
fn other_tenants_objects_are_refused() {
    let own = "tenants/acme/invoices/1.pdf";
    let globex = "tenants/globex/invoices/1.pdf";
    run(vec![
        case("GetObject, own", get(own), ok(ObjectOperation::GetObject)),
        case("GetObject, globex's", get(globex), FOREIGN),
        case("GetObject, as globex", get(own), FOREIGN).by("globex"),
        case(
            "HeadObject, own",
            HeadObjectInput::builder().bucket("files").key(own).build().unwrap(),
            ok(ObjectOperation::HeadObject),
        ),
        case("HeadObject, globex's", HeadObjectInput::builder().bucket("files").key(globex).build().unwrap(), FOREIGN),
        case("PutObject, own", put(own), ok(ObjectOperation::PutObject)),
        case("PutObject, globex's", put(globex), FOREIGN),
        case("PutObject, no key", PutObjectInput::builder().bucket("files").build().unwrap(), FOREIGN),
        case(
            "DeleteObject, own",
            DeleteObjectInput::builder().bucket("files").key(own).build().unwrap(),
            ok(ObjectOperation::DeleteObject),
        ),
        case(
            "DeleteObject, globex's",
            DeleteObjectInput::builder().bucket("files").key(globex).build().unwrap(),
            FOREIGN,
        ),
        case(
            "CreateMultipartUpload, own",
            CreateMultipartUploadInput::builder().bucket("files").key(own).build().unwrap(),
            ok(ObjectOperation::CreateMultipartUpload),
        ),
        case(
            "CreateMultipartUpload, globex's",
            CreateMultipartUploadInput::builder().bucket("files").key(globex).build().unwrap(),
            FOREIGN,
        ),
        case(
            "UploadPart, globex's",
            UploadPartInput::builder().bucket("files").key(globex).upload_id("u").part_number(1).build().unwrap(),
            FOREIGN,
        ),
        case(
            "CompleteMultipartUpload, globex's",
            CompleteMultipartUploadInput::builder().bucket("files").key(globex).upload_id("u").build().unwrap(),
            FOREIGN,
        ),
        case(
            "AbortMultipartUpload, own",
            AbortMultipartUploadInput::builder().bucket("files").key(own).upload_id("u").build().unwrap(),
            ok(ObjectOperation::AbortMultipartUpload),
        ),
        case(
            "AbortMultipartUpload, globex's",
            AbortMultipartUploadInput::builder().bucket("files").key(globex).upload_id("u").build().unwrap(),
            FOREIGN,
        ),
        case(
            "ListParts, own",
            ListPartsInput::builder().bucket("files").key(own).upload_id("u").build().unwrap(),
            ok(ObjectOperation::ListParts),
        ),
        case(
            "ListParts, globex's",
            ListPartsInput::builder().bucket("files").key(globex).upload_id("u").build().unwrap(),
            FOREIGN,
        ),
    ]);
}

#[test]
fn keys_that_only_start_like_the_tenants_folder_are_refused() {
    run(vec![
        case("`tenants/acme/x`", get("tenants/acme/x"), ok(ObjectOperation::GetObject)),
        case("`tenants/acme-2/x` for acme", get("tenants/acme-2/x"), FOREIGN),
        case("`tenants/acmex/x` for acme", get("tenants/acmex/x"), FOREIGN),
        case("`tenants/acme/x` for acme-2", get("tenants/acme/x"), FOREIGN).by("acme-2"),
        case("`tenants/acme-2/x` for acme-2", get("tenants/acme-2/x"), ok(ObjectOperation::GetObject)).by("acme-2"),
        case("`tenants/acme` without the `/`", get("tenants/acme"), FOREIGN),
        case("`tenants/acme/`, the folder itself", put("tenants/acme/"), ok(ObjectOperation::PutObject)),
        case("`tenants/ACME/x`", get("tenants/ACME/x"), FOREIGN),
        case("`acme/x` without the prefix", get("acme/x"), FOREIGN),
        case("`/tenants/acme/x` with a leading `/`", get("/tenants/acme/x"), FOREIGN),
        case("`tenants/acme/x` on archive, whose prefix is `archive/`", put_in("archive", "tenants/acme/x"), FOREIGN),
    ]);
}

fn put_in(bucket: &str, key: &str) -> PutObjectInput {
    PutObjectInput::builder().bucket(bucket).key(key).build().unwrap()
}

#[test]
fn listings_need_the_tenants_folder_as_prefix() {
    run(vec![
        case("the tenant's folder", list(Some("tenants/acme/")), ok(ObjectOperation::ListObjectsV2)),
        case("under the tenant's folder", list(Some("tenants/acme/invoices/")), ok(ObjectOperation::ListObjectsV2)),
        case("no prefix", list(None), Err(Violation::ListPrefix)),
        case("an empty prefix", list(Some("")), Err(Violation::ListPrefix)),
        case("a shorter prefix", list(Some("tenants/")), Err(Violation::ListPrefix)),
        case("the tenant without the `/`", list(Some("tenants/acme")), Err(Violation::ListPrefix)),
        case("another tenant's folder", list(Some("tenants/acme-2/")), Err(Violation::ListPrefix)),
        case(
            "ListObjects, the tenant's folder",
            ListObjectsInput::builder().bucket("files").prefix("tenants/acme/").build().unwrap(),
            ok(ObjectOperation::ListObjects),
        ),
        case(
            "ListObjects, no prefix",
            ListObjectsInput::builder().bucket("files").build().unwrap(),
            Err(Violation::ListPrefix),
        ),
        case(
            "a bucket without ListBucket",
            ListObjectsV2Input::builder().bucket("archive").prefix("archive/acme/").build().unwrap(),
            Err(Violation::UndeclaredObjectAction(ObjectAction::ListBucket)),
        ),
    ]);
}

#[test]
fn copy_sources_are_the_tenants_objects_in_declared_buckets() {
    let own = "tenants/acme/a.pdf";
    run(vec![
        case("own source", copy("files", own, "files/tenants/acme/b.pdf"), ok(ObjectOperation::CopyObject)),
        case(
            "own source, a leading `/`",
            copy("files", own, "/files/tenants/acme/b.pdf"),
            ok(ObjectOperation::CopyObject),
        ),
        case(
            "own source, percent-encoded",
            copy("files", own, "files/tenants/acme/a%20b.pdf"),
            ok(ObjectOperation::CopyObject),
        ),
        case(
            "into archive, own source",
            copy("archive", "archive/acme/a.pdf", "files/tenants/acme/b.pdf"),
            Ok(Decision { operation: ObjectOperation::CopyObject, bucket: "archive".to_owned() }),
        ),
        case("globex's source", copy("files", own, "files/tenants/globex/b.pdf"), FOREIGN),
        case("`acme-2`'s source", copy("files", own, "files/tenants/acme-2/b.pdf"), FOREIGN),
        case("globex's target", copy("files", "tenants/globex/a.pdf", "files/tenants/acme/b.pdf"), FOREIGN),
        case(
            "a source in an undeclared bucket",
            copy("files", own, "other/tenants/acme/b.pdf"),
            Err(Violation::Bucket("other".to_owned())),
        ),
        case(
            "a source in a bucket without GetObject",
            copy("files", own, "archive/archive/acme/b.pdf"),
            Err(Violation::UndeclaredObjectAction(ObjectAction::GetObject)),
        ),
        case(
            "a versioned source",
            copy("files", own, "files/tenants/acme/b.pdf?versionId=1"),
            Err(Violation::Unsupported("a versioned copy source (`?versionId=`)")),
        ),
        case(
            "a source that does not decode",
            copy("files", own, "files/tenants/acme/%zz"),
            Err(Violation::Unreadable("the copy source")),
        ),
        case(
            "an encoded `..` in the source",
            copy("files", own, "files/tenants/acme/..%2Fglobex%2Fb.pdf"),
            Err(Violation::Unsupported("a `.` or `..` segment in an object key")),
        ),
        case(
            "UploadPartCopy, own source",
            UploadPartCopyInput::builder()
                .bucket("files")
                .key(own)
                .copy_source("files/tenants/acme/b.pdf")
                .upload_id("u")
                .part_number(1)
                .build()
                .unwrap(),
            ok(ObjectOperation::UploadPartCopy),
        ),
        case(
            "UploadPartCopy, globex's source",
            UploadPartCopyInput::builder()
                .bucket("files")
                .key(own)
                .copy_source("files/tenants/globex/b.pdf")
                .upload_id("u")
                .part_number(1)
                .build()
                .unwrap(),
            FOREIGN,
        ),
    ]);
}

#[test]
fn one_foreign_key_refuses_a_delete_objects() {
    run(vec![
        case(
            "every key the tenant's",
            delete_objects("files", &[("tenants/acme/a", None), ("tenants/acme/b", None)]),
            ok(ObjectOperation::DeleteObjects),
        ),
        case(
            "one foreign key",
            delete_objects("files", &[("tenants/acme/a", None), ("tenants/globex/b", None)]),
            FOREIGN,
        ),
        case(
            "the foreign key first",
            delete_objects("files", &[("tenants/globex/b", None), ("tenants/acme/a", None)]),
            FOREIGN,
        ),
        case(
            "one key with a version",
            delete_objects("files", &[("tenants/acme/a", None), ("tenants/acme/b", Some("1"))]),
            Err(Violation::Unsupported("versioned access (`versionId`)")),
        ),
        case(
            "one `..` key",
            delete_objects("files", &[("tenants/acme/a", None), ("tenants/acme/../globex/b", None)]),
            Err(Violation::Unsupported("a `.` or `..` segment in an object key")),
        ),
        case(
            "a bucket without DeleteObject",
            delete_objects("archive", &[("archive/acme/a", None)]),
            Err(Violation::UndeclaredObjectAction(ObjectAction::DeleteObject)),
        ),
    ]);
}

#[test]
fn dot_segments_and_versions_are_refused() {
    let dots = Err(Violation::Unsupported("a `.` or `..` segment in an object key"));
    let version = Err(Violation::Unsupported("versioned access (`versionId`)"));
    run(vec![
        case("`..` into another tenant's folder", get("tenants/acme/../globex/x"), dots.clone()),
        case("a `.` segment", put("tenants/acme/./x"), dots.clone()),
        case("a trailing `..`", get("tenants/acme/x/.."), dots.clone()),
        case("`..` inside a name", get("tenants/acme/x..y"), ok(ObjectOperation::GetObject)),
        case("a name starting with `..`", get("tenants/acme/..x"), ok(ObjectOperation::GetObject)),
        case(
            "GetObject with a version",
            GetObjectInput::builder().bucket("files").key("tenants/acme/x").version_id("1").build().unwrap(),
            version.clone(),
        ),
        case(
            "HeadObject with a version",
            HeadObjectInput::builder().bucket("files").key("tenants/acme/x").version_id("1").build().unwrap(),
            version.clone(),
        ),
        case(
            "DeleteObject with a version",
            DeleteObjectInput::builder().bucket("files").key("tenants/acme/x").version_id("1").build().unwrap(),
            version.clone(),
        ),
    ]);
}

#[test]
fn undeclared_buckets_and_operations_are_refused() {
    let bucket = |b: &str| Err(Violation::Bucket(b.to_owned()));
    run(vec![
        case("files", get_in("files", "tenants/acme/x"), ok(ObjectOperation::GetObject)),
        case("another bucket", get_in("other", "tenants/acme/x"), bucket("other")),
        case("a bucket name differing in case", get_in("Files", "tenants/acme/x"), bucket("Files")),
        case("a bucket that only starts like files", get_in("files-2", "tenants/acme/x"), bucket("files-2")),
        case("files by ARN", get_in("arn:aws:s3:::files", "tenants/acme/x"), bucket("arn:aws:s3:::files")),
        case(
            "an access point",
            get_in("arn:aws:s3:us-east-1:123456789012:accesspoint/files", "tenants/acme/x"),
            bucket("arn:aws:s3:us-east-1:123456789012:accesspoint/files"),
        ),
        case("no bucket", GetObjectInput::builder().key("tenants/acme/x").build().unwrap(), bucket("")),
        case(
            "PutObject on archive",
            put_in("archive", "archive/acme/x"),
            Ok(Decision { operation: ObjectOperation::PutObject, bucket: "archive".to_owned() }),
        ),
        case(
            "GetObject on archive (PutObject only)",
            get_in("archive", "archive/acme/x"),
            Err(Violation::UndeclaredObjectAction(ObjectAction::GetObject)),
        ),
        case(
            "DeleteObject on archive (PutObject only)",
            DeleteObjectInput::builder().bucket("archive").key("archive/acme/x").build().unwrap(),
            Err(Violation::UndeclaredObjectAction(ObjectAction::DeleteObject)),
        ),
        case("ListBuckets", ListBucketsInput::builder().build().unwrap(), Err(Violation::ObjectOperation)),
        case(
            "GetObjectAcl",
            GetObjectAclInput::builder().bucket("files").key("tenants/acme/x").build().unwrap(),
            Err(Violation::ObjectOperation),
        ),
        case(
            "PutBucketPolicy",
            PutBucketPolicyInput::builder().bucket("files").policy("{}").build().unwrap(),
            Err(Violation::ObjectOperation),
        ),
    ]);
}

#[test]
fn headers_that_need_an_ungranted_action_are_refused() {
    let rules = rules();
    let decision = Decision { operation: ObjectOperation::PutObject, bucket: "files".to_owned() };
    type Header = Option<(&'static str, &'static str)>;
    let serialized = |header: Header| {
        let mut request = Request::empty();
        request.set_uri("/tenants/acme/x?x-id=PutObject").unwrap();
        request.headers_mut().insert("content-type", "application/pdf");
        if let Some((name, value)) = header {
            request.headers_mut().insert(name, value);
        }
        rules.snapshot(&decision, &request).map(|_| ())
    };
    let acl = Err(Violation::Unsupported("an object ACL (`x-amz-acl`, `x-amz-grant-*`: `s3:PutObjectAcl`)"));
    let tags = Err(Violation::Unsupported("object tags (`x-amz-tagging`: `s3:PutObjectTagging`)"));
    let lock = Err(Violation::Unsupported("object lock settings (`x-amz-object-lock-*`)"));
    let cases: [(Header, Result<(), Violation>); 9] = [
        (None, Ok(())),
        (Some(("x-amz-acl", "public-read")), acl.clone()),
        (Some(("X-Amz-Acl", "public-read")), acl.clone()),
        (Some(("x-amz-grant-read", "id=globex")), acl),
        (Some(("x-amz-tagging", "a=b")), tags),
        (Some(("x-amz-object-lock-mode", "GOVERNANCE")), lock.clone()),
        (Some(("x-amz-bypass-governance-retention", "true")), lock),
        (Some(("x-amz-tagging-directive", "COPY")), Ok(())),
        (Some(("x-amz-meta-owner", "acme")), Ok(())),
    ];
    for (header, expect) in cases {
        assert_eq!(serialized(header), expect, "{header:?}");
    }
}

#[test]
fn a_refusal_names_the_operation_it_refused() {
    let rules = rules();
    let acme = TenantId::parse("acme").unwrap();
    let refused = |input: Input| rules.check(&acme, &input).unwrap_err().operation();
    assert_eq!(refused(Input::erase(get("tenants/globex/x"))), "GetObject");
    assert_eq!(refused(Input::erase(copy("files", "tenants/acme/a", "files/tenants/globex/b"))), "CopyObject");
    assert_eq!(refused(Input::erase(ListBucketsInput::builder().build().unwrap())), "S3");
    let decision = Decision { operation: ObjectOperation::DeleteObjects, bucket: "files".to_owned() };
    assert_eq!(<ObjectRules as RuleSet>::operation(&decision), "DeleteObjects");
}

#[test]
fn copy_source_keys_decode_strictly() {
    assert_eq!(decode("tenants/acme/a%20b.pdf").as_deref(), Some("tenants/acme/a b.pdf"));
    assert_eq!(decode("tenants/acme/%E2%82%AC").as_deref(), Some("tenants/acme/€"));
    for bad in ["tenants/acme/%zz", "tenants/acme/%4", "tenants/acme/%", "tenants/acme/%FF"] {
        assert_eq!(decode(bad), None, "{bad}");
    }
}

#[test]
fn endpoints_address_one_bucket() {
    assert!(addresses("http://127.0.0.1:5000/files", "files"));
    assert!(addresses("http://127.0.0.1:5000/files/", "files"));
    assert!(addresses("https://files.s3.us-east-1.amazonaws.com", "files"));
    assert!(!addresses("http://127.0.0.1:5000/other", "files"));
    assert!(!addresses("https://other.s3.us-east-1.amazonaws.com", "files"));
    assert!(!addresses("https://files-2.s3.us-east-1.amazonaws.com", "files"));
    assert!(addresses("https://s3.us-east-1.amazonaws.com/files", "files"));
    assert!(!addresses("https://files.s3.amazonaws.com/files", "files"), "both forms at once");
    assert!(!addresses("https://files.s3.amazonaws.com/x", "files"), "a base path under the bucket's host");
    assert!(!addresses("http://127.0.0.1:5000/files/x", "files"));
}

#[test]
fn permission_headers_are_refused_and_copy_sources_recorded() {
    for h in ["x-amz-acl", "x-amz-grant-read", "x-amz-tagging", "x-amz-object-lock-mode"] {
        assert!(refused_header(h).is_some(), "{h}");
    }
    for h in ["x-amz-tagging-directive", "x-amz-metadata-directive", "content-type"] {
        assert!(refused_header(h).is_none(), "{h}");
    }
    assert!(meaningful_header("x-amz-copy-source"));
    assert!(meaningful_header("host"));
    assert!(meaningful_header("x-amz-copy-source-range"));
}
