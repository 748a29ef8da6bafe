//! S3 objects under the tenant's prefix, against moto's S3: each tenant reads, writes and lists
//! its own objects, and the object guard refuses every other key, copy source, list prefix,
//! bucket and action before the request is signed. moto enforces no policy, so "refused" is
//! shown by the guard's typed violation and by what moto holds afterwards (a refused write or
//! delete changed nothing), and `refused_requests_never_reach_the_server` reads moto's request
//! log.

use crate::common::{cognito_verifier, isolation_with, items, unique};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectCannedAcl, ObjectIdentifier};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use tenant_isolation::{
    GuardViolation, Isolation, IsolationError, ObjectAction, Scope, ScopeError, TenantBucket, TenantId, Violation,
    tenant_isolated,
};
use tenant_isolation_testkit::aws;
use tenant_isolation_tests::{buckets, provision, s3_admin, sdk_config, shared, start_moto};

const FILES: &str = "tenant-files";
const ARCHIVE: &str = "tenant-archive";
/// A bucket no handler declares.
const OTHER: &str = "other-files";

/// `files`: every object action; `archive`: `PutObject` only. On a request it stores the
/// event's body as `note.txt`, reads it back and lists the tenant's folder.
#[tenant_isolated(buckets(
    files(
        bucket = "tenant-files",
        actions = [GetObject, PutObject, DeleteObject, ListBucket, AbortMultipartUpload, ListMultipartUploadParts]
    ),
    archive(bucket = "tenant-archive", actions = [PutObject])
))]
pub async fn filer(
    files: TenantBucket,
    archive: TenantBucket,
    event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let note = event.payload.body.unwrap_or_default();
    files.put_object("note.txt")?.body(ByteStream::from(note.into_bytes())).send().await?;
    archive.put_object("note.txt")?.body(ByteStream::from_static(b"archived")).send().await?;
    let read = files.get_object("note.txt")?.send().await?.body.collect().await?.into_bytes();
    let listed = files.list_objects_v2()?.send().await?;
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    let body = json!({ "read": String::from_utf8_lossy(&read), "keys": keys, "folder": files.folder()? });
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 200;
    response.body = Some(Body::Text(body.to_string()));
    Ok(response)
}

fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

/// A runtime on the shared moto with path-style S3, after the buckets exist.
async fn isolation() -> Isolation {
    buckets(&shared().1.endpoint).await;
    isolation_with(|b| b.s3_force_path_style(true)).await
}

async fn admin() -> aws_sdk_s3::Client {
    s3_admin(&shared().1.endpoint).await
}

async fn scope(iso: &Isolation, who: &str) -> Scope {
    iso.enter(filer::SPEC, &tenant(who), None).await.unwrap()
}

async fn exists(admin: &aws_sdk_s3::Client, bucket: &str, key: &str) -> bool {
    admin.head_object().bucket(bucket).key(key).send().await.is_ok()
}

async fn put(admin: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &str) {
    admin.put_object().bucket(bucket).key(key).body(ByteStream::from(body.as_bytes().to_vec())).send().await.unwrap();
}

/// Runs a request on `scope`'s S3 client inside the scope; the guard's verdict: `None` if the
/// request was let through (whatever the server answered).
macro_rules! verdict {
    ($scope:expr, |$c:ident| $req:expr) => {{
        let scope: Scope = $scope.clone();
        let $c = scope.s3().unwrap().clone();
        let request = $req;
        let result = scope.run(async move { request.send().await.map(|_| ()) }).await;
        result.err().and_then(|e| GuardViolation::find(&e).map(|v| v.violation().clone()))
    }};
}

/// The `ScopeError` in an SDK error's source chain.
fn scope_error(e: &(dyn std::error::Error + 'static)) -> Option<ScopeError> {
    std::iter::successors(Some(e), |e| e.source()).find_map(|e| e.downcast_ref::<ScopeError>().cloned())
}

#[tokio::test]
async fn each_tenant_reads_writes_lists_copies_and_deletes_its_own_objects() {
    let iso = isolation().await;
    let run = unique("own");
    for who in ["acme", "globex"] {
        let (scope, r) = (scope(&iso, who).await, run.clone());
        let files: TenantBucket<filer_files> = scope.bucket().unwrap();
        let content = format!("{who}'s report");
        let (name, copy) = (format!("{run}/report.txt"), format!("{run}/copy of report.txt"));
        let listed = scope
            .clone()
            .run(async move {
                let run = r;
                files.put_object(&name)?.body(ByteStream::from(content.clone().into_bytes())).send().await?;
                let read = files.get_object(&name)?.send().await?.body.collect().await?.into_bytes();
                assert_eq!(read.as_ref(), content.as_bytes());
                files.head_object(&name)?.send().await?;
                // The copy source is URL-encoded by the handle (the name has spaces).
                files.copy_object(&name, &copy)?.send().await?;
                let copied = files.get_object(&copy)?.send().await?.body.collect().await?.into_bytes();
                assert_eq!(copied.as_ref(), content.as_bytes());
                // Multipart: one (last, so small) part.
                let upload = files.create_multipart_upload(&format!("{run}/big"))?.send().await?;
                let id = upload.upload_id().unwrap_or_default().to_owned();
                let part = files
                    .upload_part(&format!("{run}/big"))?
                    .upload_id(&id)
                    .part_number(1)
                    .body(ByteStream::from_static(b"part one"))
                    .send()
                    .await?;
                // The guard lets it through; moto answers with a `ListPartsResponse` root element
                // where S3 has `ListPartsResult`, which the SDK refuses to parse: then the 200 is
                // what shows that the request reached moto.
                match files.list_parts(&format!("{run}/big"))?.upload_id(&id).send().await {
                    Ok(parts) => assert_eq!(parts.parts().len(), 1),
                    Err(e) => assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(200), "{e:?}"),
                }
                let done = CompletedMultipartUpload::builder()
                    .parts(CompletedPart::builder().part_number(1).set_e_tag(part.e_tag().map(str::to_owned)).build())
                    .build();
                files
                    .complete_multipart_upload(&format!("{run}/big"))?
                    .upload_id(&id)
                    .multipart_upload(done)
                    .send()
                    .await?;
                let aborted = files.create_multipart_upload(&format!("{run}/aborted"))?.send().await?;
                files
                    .abort_multipart_upload(&format!("{run}/aborted"))?
                    .upload_id(aborted.upload_id().unwrap_or_default())
                    .send()
                    .await?;
                let listed = files.list_objects_v2()?.send().await?;
                let keys: Vec<String> = listed.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect();
                files.delete_objects([copy.as_str()])?.send().await?;
                files.delete_object(&format!("{run}/big"))?.send().await?;
                Ok::<_, BoxError>(keys)
            })
            .await
            .unwrap();
        let folder = format!("tenants/{who}/");
        assert!(listed.iter().all(|k| k.starts_with(&folder)), "{who} listed only its folder: {listed:?}");
        for k in ["report.txt", "copy of report.txt", "big"] {
            assert!(listed.contains(&format!("{folder}{run}/{k}")), "{who} listed its {k}: {listed:?}");
        }
        let admin = admin().await;
        assert!(exists(&admin, FILES, &format!("{folder}{run}/report.txt")).await);
        assert!(!exists(&admin, FILES, &format!("{folder}{run}/copy of report.txt")).await, "deleted");
        assert!(!exists(&admin, FILES, &format!("{folder}{run}/big")).await, "deleted");
    }
}

#[tokio::test]
async fn other_tenants_keys_are_refused_before_sending() {
    let iso = isolation().await;
    let admin = admin().await;
    let acme = scope(&iso, "acme").await;
    let run = unique("foreign");
    let secret = format!("tenants/globex/{run}/secret");
    put(&admin, FILES, &secret, "globex's secret").await;
    let foreign = Some(Violation::ForeignObject);

    assert_eq!(verdict!(acme, |c| c.get_object().bucket(FILES).key(&secret)), foreign);
    assert_eq!(verdict!(acme, |c| c.head_object().bucket(FILES).key(&secret)), foreign);
    assert_eq!(verdict!(acme, |c| c.delete_object().bucket(FILES).key(&secret)), foreign);
    assert!(exists(&admin, FILES, &secret).await, "the refused delete changed nothing");
    // Writes into another tenant's folder, a prefix collision (`acme` vs `acme-2`), the folder
    // without its separator, and the folder written with a leading `/`.
    for key in [
        format!("tenants/globex/{run}/planted"),
        format!("tenants/acme-2/{run}/planted"),
        format!("tenants/acme{run}"),
        format!("/tenants/acme/{run}/planted"),
        format!("TENANTS/acme/{run}/planted"),
    ] {
        assert_eq!(
            verdict!(acme, |c| c.put_object().bucket(FILES).key(&key).body(ByteStream::from_static(b"x"))),
            foreign,
            "{key}"
        );
        assert!(!exists(&admin, FILES, &key).await, "{key} was not written");
    }
    // `..` is literal to S3, but refused anyway: anything that resolved it would reach globex.
    let dotted = format!("tenants/acme/../globex/{run}/secret");
    assert!(matches!(verdict!(acme, |c| c.get_object().bucket(FILES).key(&dotted)), Some(Violation::Unsupported(_))));
    // Multipart operations on another tenant's key.
    assert_eq!(verdict!(acme, |c| c.create_multipart_upload().bucket(FILES).key(&secret)), foreign);
    assert_eq!(verdict!(acme, |c| c.list_parts().bucket(FILES).key(&secret).upload_id("u")), foreign);
    assert_eq!(verdict!(acme, |c| c.abort_multipart_upload().bucket(FILES).key(&secret).upload_id("u")), foreign);
    // Through the typed handle, a name cannot leave the folder either.
    let files: TenantBucket<filer_files> = acme.bucket().unwrap();
    let typed = acme.clone().run(async move { files.get_object("../globex/x")?.send().await.map_err(BoxError::from) });
    let typed = typed.await.unwrap_err();
    assert!(matches!(GuardViolation::find(&*typed).map(|v| v.violation().clone()), Some(Violation::Unsupported(_))));
}

/// A read of a missing object is told from a denial, on AWS's answer as on moto's: moto answers
/// 404, AWS 403 `AccessDenied` to a session without `s3:ListBucket` on the whole bucket
/// (`aws::missing_objects_denied` answers so). `is_missing` says missing for both (on AWS's,
/// from a listing of the key in the tenant's folder); the same 403 said of an object that exists
/// stays a denial, and so does a guard's refusal. Through `?`, moto's `NoSuchKey` is 404 (it
/// was 500).
#[tokio::test]
async fn a_missing_object_is_told_from_a_denial_on_aws_as_on_moto() {
    let (_, fx) = shared();
    let as_on_aws = aws::missing_objects_denied(sdk_config(&fx.endpoint).await);
    let run = unique("missing");
    for (answers, iso) in [
        ("moto", isolation().await),
        ("AWS", isolation_with(|b| b.s3_force_path_style(true).sdk_config(as_on_aws)).await),
    ] {
        let acme = scope(&iso, "acme").await;
        let files: TenantBucket<filer_files> = acme.bucket().unwrap();
        let (present, absent) = (format!("{run}/{answers}/present.txt"), format!("{run}/{answers}/absent.txt"));
        let verdicts = acme.clone().run(async move {
            files.put_object(&present)?.body(ByteStream::from_static(b"here")).send().await?;
            let get = files.get_object(&absent)?.send().await.expect_err("no such object");
            let head = files.head_object(&absent)?.send().await.expect_err("no such object");
            let missing = (files.is_missing(&absent, &get).await?, files.is_missing(&absent, &head).await?);
            let said_of_present = files.is_missing(&present, &get).await?;
            let refused = files.get_object("../globex/x")?.send().await.expect_err("refused by the guard");
            let guard = files.is_missing("../globex/x", &refused).await?;
            Ok::<_, BoxError>((missing, said_of_present, guard, IsolationError::from(get).status()))
        });
        let (missing, said_of_present, guard, status) = verdicts.await.unwrap();
        assert_eq!(missing, (true, true), "{answers}: GetObject, HeadObject");
        // moto's 404 is missing whatever the name; AWS's 403 is missing only where nothing is.
        assert_eq!(said_of_present, answers == "moto", "{answers}");
        assert!(!guard, "{answers}: a guard's refusal is not a missing object");
        assert_eq!(status, if answers == "moto" { 404 } else { 403 }, "{answers}");
    }
}

#[tokio::test]
async fn listings_need_the_tenants_own_prefix() {
    let iso = isolation().await;
    let acme = scope(&iso, "acme").await;
    let refused = Some(Violation::ListPrefix);
    assert_eq!(verdict!(acme, |c| c.list_objects_v2().bucket(FILES)), refused, "no prefix");
    assert_eq!(verdict!(acme, |c| c.list_objects().bucket(FILES)), refused, "no prefix (v1)");
    assert_eq!(verdict!(acme, |c| c.list_objects_v2().bucket(FILES).prefix("")), refused, "empty");
    assert_eq!(verdict!(acme, |c| c.list_objects_v2().bucket(FILES).prefix("tenants/")), refused, "every tenant");
    assert_eq!(verdict!(acme, |c| c.list_objects_v2().bucket(FILES).prefix("tenants/acme")), refused, "acme-2 too");
    assert_eq!(verdict!(acme, |c| c.list_objects_v2().bucket(FILES).prefix("tenants/globex/")), refused);
    assert_eq!(verdict!(acme, |c| c.list_objects().bucket(FILES).prefix("tenants/globex/")), refused);
    assert_eq!(verdict!(acme, |c| c.list_objects_v2().bucket(FILES).prefix("tenants/acme/")), None);
    assert_eq!(verdict!(acme, |c| c.list_objects().bucket(FILES).prefix("tenants/acme/sub/")), None);
}

#[tokio::test]
async fn copies_check_their_source() {
    let iso = isolation().await;
    let admin = admin().await;
    let acme = scope(&iso, "acme").await;
    let run = unique("copy");
    let secret = format!("tenants/globex/{run}/secret");
    put(&admin, FILES, &secret, "globex's secret").await;
    put(&admin, OTHER, &format!("tenants/acme/{run}/x"), "elsewhere").await;
    put(&admin, ARCHIVE, &format!("tenants/acme/{run}/x"), "archived").await;
    let target = format!("tenants/acme/{run}/stolen");
    let copy = |source: String| {
        let target = target.clone();
        move |c: aws_sdk_s3::Client| c.copy_object().bucket(FILES).key(target).copy_source(source)
    };
    let cases: Vec<(String, Option<Violation>)> = vec![
        (format!("{FILES}/{secret}"), Some(Violation::ForeignObject)),
        (format!("/{FILES}/{secret}"), Some(Violation::ForeignObject)),
        (format!("{FILES}/tenants/acme-2/{run}/x"), Some(Violation::ForeignObject)),
        // URL-encoded: `%2F` for `/` decodes into globex's key.
        (format!("{FILES}/tenants%2Fglobex%2F{run}%2Fsecret"), Some(Violation::ForeignObject)),
        // A bucket no handler declares, and one where `GetObject` is not declared.
        (format!("{OTHER}/tenants/acme/{run}/x"), Some(Violation::Bucket(OTHER.into()))),
        (format!("{ARCHIVE}/tenants/acme/{run}/x"), Some(Violation::UndeclaredObjectAction(ObjectAction::GetObject))),
        // The bucket part is never decoded: S3 would decode it, the guard does not guess.
        (format!("tenant%2Dfiles/{secret}"), Some(Violation::Bucket("tenant%2Dfiles".into()))),
        (format!("arn%3Aaws%3As3%3Aus-east-1%3A123456789012%3Aaccesspoint%2Fap/object/{secret}"), None),
    ];
    for (source, expected) in cases {
        let got = verdict!(acme, |c| copy(source.clone())(c));
        match expected {
            Some(v) => assert_eq!(got, Some(v), "{source}"),
            None => assert!(matches!(got, Some(Violation::Bucket(_))), "{source}: {got:?}"),
        }
        assert!(!exists(&admin, FILES, &target).await, "{source}: nothing was copied");
    }
    for source in [
        format!("{FILES}/tenants/acme/{run}/x?versionId=1"),
        format!("{FILES}/tenants/acme/%2E%2E/globex/{run}/secret"),
        format!("{FILES}/tenants/acme/%ZZ"),
    ] {
        let got = verdict!(acme, |c| copy(source.clone())(c));
        assert!(matches!(got, Some(Violation::Unsupported(_) | Violation::Unreadable(_))), "{source}: {got:?}");
    }
    // UploadPartCopy checks its source the same way.
    assert_eq!(
        verdict!(acme, |c| c
            .upload_part_copy()
            .bucket(FILES)
            .key(&target)
            .upload_id("u")
            .part_number(1)
            .copy_source(format!("{FILES}/{secret}"))),
        Some(Violation::ForeignObject)
    );
    // The tenant's own object, source with a leading `/`: copied.
    put(&admin, FILES, &format!("tenants/acme/{run}/mine"), "mine").await;
    assert_eq!(verdict!(acme, |c| copy(format!("/{FILES}/tenants/acme/{run}/mine"))(c)), None);
    assert!(exists(&admin, FILES, &target).await);
}

#[tokio::test]
async fn buckets_actions_and_operations_are_the_declared_ones() {
    let iso = isolation().await;
    let admin = admin().await;
    let acme = scope(&iso, "acme").await;
    let run = unique("decl");
    let own = format!("tenants/acme/{run}/x");
    put(&admin, ARCHIVE, &own, "archived").await;
    // `GetObject` and `DeleteObject` are declared on `files`, not on `archive`.
    assert_eq!(
        verdict!(acme, |c| c.get_object().bucket(ARCHIVE).key(&own)),
        Some(Violation::UndeclaredObjectAction(ObjectAction::GetObject))
    );
    assert_eq!(
        verdict!(acme, |c| c.delete_object().bucket(ARCHIVE).key(&own)),
        Some(Violation::UndeclaredObjectAction(ObjectAction::DeleteObject))
    );
    assert!(exists(&admin, ARCHIVE, &own).await);
    assert_eq!(
        verdict!(acme, |c| c.list_objects_v2().bucket(ARCHIVE).prefix("tenants/acme/")),
        Some(Violation::UndeclaredObjectAction(ObjectAction::ListBucket))
    );
    // Undeclared buckets, by name or ARN.
    assert_eq!(
        verdict!(acme, |c| c.put_object().bucket(OTHER).key(&own).body(ByteStream::from_static(b"x"))),
        Some(Violation::Bucket(OTHER.into()))
    );
    assert!(!exists(&admin, OTHER, &own).await);
    let ap = "arn:aws:s3:us-east-1:123456789012:accesspoint/files";
    assert_eq!(verdict!(acme, |c| c.get_object().bucket(ap).key(&own)), Some(Violation::Bucket(ap.into())));
    // Operations outside the table, through the raw client.
    assert_eq!(verdict!(acme, |c| c.list_buckets()), Some(Violation::ObjectOperation));
    assert_eq!(verdict!(acme, |c| c.get_object_acl().bucket(FILES).key(&own)), Some(Violation::ObjectOperation));
    assert_eq!(verdict!(acme, |c| c.put_bucket_policy().bucket(FILES).policy("{}")), Some(Violation::ObjectOperation));
    assert_eq!(verdict!(acme, |c| c.delete_bucket().bucket(FILES)), Some(Violation::ObjectOperation));
    // Parts of a request that need an action no tenant session has.
    let public = format!("tenants/acme/{run}/public");
    let acl = verdict!(acme, |c| c
        .put_object()
        .bucket(FILES)
        .key(&public)
        .acl(ObjectCannedAcl::PublicRead)
        .body(ByteStream::from_static(b"x")));
    assert!(matches!(acl, Some(Violation::Unsupported(_))), "{acl:?}");
    let tagged = verdict!(acme, |c| c.put_object().bucket(FILES).key(&public).tagging("a=b"));
    assert!(matches!(tagged, Some(Violation::Unsupported(_))), "{tagged:?}");
    assert!(!exists(&admin, FILES, &public).await);
    let versioned = verdict!(acme, |c| c.get_object().bucket(FILES).key(&own).version_id("1"));
    assert!(matches!(versioned, Some(Violation::Unsupported(_))), "{versioned:?}");
}

#[tokio::test]
async fn delete_objects_with_one_foreign_key_is_refused_whole() {
    let iso = isolation().await;
    let admin = admin().await;
    let acme = scope(&iso, "acme").await;
    let run = unique("batch");
    let keys = [format!("tenants/acme/{run}/1"), format!("tenants/acme/{run}/2"), format!("tenants/globex/{run}/3")];
    for k in &keys {
        put(&admin, FILES, k, "x").await;
    }
    let delete = |keys: &[String]| {
        Delete::builder()
            .set_objects(Some(keys.iter().map(|k| ObjectIdentifier::builder().key(k).build().unwrap()).collect()))
            .build()
            .unwrap()
    };
    let all = delete(&keys);
    assert_eq!(verdict!(acme, |c| c.delete_objects().bucket(FILES).delete(all)), Some(Violation::ForeignObject));
    for k in &keys {
        assert!(exists(&admin, FILES, k).await, "{k} survived the refused batch");
    }
    let own = delete(&keys[..2]);
    assert_eq!(verdict!(acme, |c| c.delete_objects().bucket(FILES).delete(own)), None);
    assert!(!exists(&admin, FILES, &keys[0]).await && !exists(&admin, FILES, &keys[1]).await);
    assert!(exists(&admin, FILES, &keys[2]).await);
}

/// Changes the bucket of a `PutObject` input before serialization, after the SDK took the
/// endpoint parameters from the original input.
#[derive(Debug)]
struct SwapBucket(&'static str);

impl Intercept for SwapBucket {
    fn name(&self) -> &'static str {
        "SwapBucket"
    }
    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(input) = context.input_mut().downcast_mut::<aws_sdk_s3::operation::put_object::PutObjectInput>() {
            input.bucket = Some(self.0.to_owned());
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_request_changed_after_the_check_is_refused() {
    let iso = isolation().await;
    let admin = admin().await;
    let acme = scope(&iso, "acme").await;
    let run = unique("altered");
    let (own, planted) = (format!("tenants/acme/{run}/x"), format!("tenants/globex/{run}/x"));
    // The URI rewritten before signing (the key moves into globex's folder).
    let altered = verdict!(acme, |c| c
        .put_object()
        .bucket(FILES)
        .key(&own)
        .body(ByteStream::from_static(b"x"))
        .customize()
        .mutate_request(|r| {
            let uri = r.uri().replace("tenants/acme/", "tenants/globex/");
            r.set_uri(uri).unwrap();
        }));
    assert_eq!(altered, Some(Violation::Altered));
    assert!(!exists(&admin, FILES, &planted).await && !exists(&admin, FILES, &own).await);
    // The copy source rewritten before signing.
    put(&admin, FILES, &planted, "globex's").await;
    let target = format!("tenants/acme/{run}/copy");
    let source = format!("{FILES}/{planted}");
    let altered = verdict!(acme, |c| c
        .copy_object()
        .bucket(FILES)
        .key(&target)
        .copy_source(format!("{FILES}/{own}"))
        .customize()
        .mutate_request(move |r| {
            r.headers_mut().insert("x-amz-copy-source", source.clone());
        }));
    assert_eq!(altered, Some(Violation::Altered));
    assert!(!exists(&admin, FILES, &target).await);
    // The input's bucket swapped after the endpoint was resolved from it: the guard checks
    // `tenant-files`, the URI names `other-files`.
    let swapped = verdict!(acme, |c| c
        .put_object()
        .bucket(OTHER)
        .key(&own)
        .body(ByteStream::from_static(b"x"))
        .customize()
        .interceptor(SwapBucket(FILES)));
    assert_eq!(swapped, Some(Violation::Altered));
    assert!(!exists(&admin, OTHER, &own).await && !exists(&admin, FILES, &own).await);
}

/// A `Host` header set after the check: S3 takes the bucket of a virtual-hosted request from
/// `Host`, the signer signs the `Host` it finds (it derives one from the URI only when there is
/// none) and the HTTP client sends it as set. Before the fix, a `PutObject` checked against
/// `tenant-files` landed in `tenant-archive` (moto routes by `Host` as S3 does), under
/// `tenant-files/tenants/acme/…`, outside every tenant's folder; and a `GetObject` checked against
/// `tenant-files` (which declares `GetObject`) went to `tenant-archive` (which declares only
/// `PutObject`): the guard let through what that bucket's statement does not grant.
#[tokio::test]
async fn a_host_header_set_after_the_check_is_refused() {
    let iso = isolation().await;
    let admin = admin().await;
    let acme = scope(&iso, "acme").await;
    let own = format!("tenants/acme/{}/x", unique("host"));
    let archive_host = format!("{ARCHIVE}.{}", shared().1.endpoint.trim_start_matches("http://"));
    let host = archive_host.clone();
    let redirected = verdict!(acme, |c| c.get_object().bucket(FILES).key(&own).customize().mutate_request(move |r| {
        r.headers_mut().insert("host", host.clone());
    }));
    assert_eq!(redirected, Some(Violation::Altered));
    // The same on a write, with the header's name in another case.
    let redirected = verdict!(acme, |c| c
        .put_object()
        .bucket(FILES)
        .key(&own)
        .body(ByteStream::from_static(b"x"))
        .customize()
        .mutate_request(move |r| {
            r.headers_mut().insert("Host", archive_host.clone());
        }));
    assert_eq!(redirected, Some(Violation::Altered));
    assert!(!exists(&admin, ARCHIVE, &format!("{FILES}/{own}")).await);
    assert!(!exists(&admin, FILES, &own).await);
}

/// The input's bucket swapped after the endpoint was resolved from it, with virtual-hosted
/// addressing on an `http` endpoint, where the SDK puts a dotted bucket in the host too: the
/// endpoint of `tenant-files.evil` is `http://tenant-files.evil.localhost:…`, whose host starts
/// with `tenant-files.` like the checked bucket's own. Before the fix the guard read the bucket
/// from the host and let the request go to `tenant-files.evil`.
#[tokio::test]
async fn a_dotted_bucket_swapped_after_the_endpoint_was_resolved_is_refused() {
    let fx = &shared().1;
    buckets(&fx.endpoint).await;
    // `localhost`, not an IP address: the SDK addresses an IP endpoint path-style.
    let local = fx.endpoint.replace("127.0.0.1", "localhost");
    let iso = Isolation::builder()
        .sdk_config(tenant_isolation_tests::sdk_config_with_sts(&local, &fx.endpoint).await)
        .role_arn(fx.role_arn.clone())
        .verifier(cognito_verifier(fx))
        .s3_force_path_style(false)
        .build()
        .await
        .unwrap();
    let acme = scope(&iso, "acme").await;
    let own = format!("tenants/acme/{}/x", unique("dotted"));
    for evil in [format!("{FILES}.evil"), format!("{FILES}.s3"), OTHER.to_owned()] {
        let swapped = verdict!(acme, |c| c
            .put_object()
            .bucket(&evil)
            .key(&own)
            .body(ByteStream::from_static(b"x"))
            .customize()
            .interceptor(SwapBucket(FILES)));
        assert_eq!(swapped, Some(Violation::Altered), "{evil}");
    }
    // The control: the checked bucket's own virtual-hosted endpoint passes the guard (nothing
    // answers at `tenant-files.localhost`: the request fails after the guard, unrefused).
    let control = verdict!(acme, |c| c.put_object().bucket(FILES).key(&own).body(ByteStream::from_static(b"x")));
    assert_eq!(control, None);
}

#[tokio::test]
async fn the_client_signs_nothing_outside_its_scope() {
    let iso = isolation().await;
    let admin = admin().await;
    let acme = scope(&iso, "acme").await;
    let client = acme.s3().unwrap().clone();
    let key = format!("tenants/acme/{}", unique("escaped"));
    // Escaped into a task without a scope.
    let escaped = tokio::spawn({
        let (client, key) = (client.clone(), key.clone());
        async move { client.put_object().bucket(FILES).key(key).body(ByteStream::from_static(b"x")).send().await }
    })
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(scope_error(&escaped), Some(ScopeError::Outside));
    // Inside the scope of a handler with another policy.
    let other = iso.enter(items::SPEC, &tenant("acme"), None).await.unwrap();
    let mismatch = other
        .clone()
        .run({
            let (client, key) = (client.clone(), key.clone());
            async move { client.put_object().bucket(FILES).key(key).body(ByteStream::from_static(b"x")).send().await }
        })
        .await
        .unwrap_err();
    assert_eq!(scope_error(&mismatch), Some(ScopeError::ClientMismatch { client: "filer", actual: "items" }));
    assert!(!exists(&admin, FILES, &key).await);
    assert_eq!(other.s3().unwrap_err(), ScopeError::NoBuckets { handler: "items" });
}

fn event(token: &str, body: &str) -> LambdaEvent<ApiGatewayV2httpRequest> {
    let mut request = ApiGatewayV2httpRequest::default();
    request.headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    request.body = Some(body.to_owned());
    LambdaEvent::new(request, Context::default())
}

#[tokio::test]
async fn a_handler_with_buckets_runs_end_to_end() {
    let iso = isolation().await;
    let fx = &shared().1;
    let admin = admin().await;
    for (user, who) in [("alice", "acme"), ("bob", "globex")] {
        let note = format!("{who}: {}", unique("note"));
        let resp = filer::call_with(&iso, event(&fx.user(user).id_token, &note)).await.unwrap();
        assert_eq!(resp.status_code, 200, "{resp:?}");
        let Some(Body::Text(text)) = resp.body else { panic!("a text body: {resp:?}") };
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["read"], json!(note));
        assert_eq!(body["folder"], json!(format!("tenants/{who}/")));
        let keys = body["keys"].as_array().unwrap();
        assert!(keys.iter().all(|k| k.as_str().unwrap().starts_with(&format!("tenants/{who}/"))), "{keys:?}");
        assert!(keys.contains(&json!(format!("tenants/{who}/note.txt"))));
        assert!(exists(&admin, ARCHIVE, &format!("tenants/{who}/note.txt")).await);
    }
}

/// Every refusal above happens before signing; here moto's request recorder shows that none
/// of them left the process, reads included (a refused read changes nothing to look at).
#[tokio::test]
async fn refused_requests_never_reach_the_server() {
    // Its own moto: the recorder is server-wide.
    let moto = start_moto();
    let fx = provision(&moto);
    buckets(&fx.endpoint).await;
    let iso = Isolation::builder()
        .sdk_config(sdk_config(&fx.endpoint).await)
        .role_arn(fx.role_arn.clone())
        .verifier(cognito_verifier(&fx))
        .s3_force_path_style(true)
        .build()
        .await
        .unwrap();
    let acme = iso.enter(filer::SPEC, &tenant("acme"), None).await.unwrap();
    let http = reqwest::Client::new();
    let api = format!("{}/moto-api/recorder", moto.endpoint());
    http.post(format!("{api}/reset-recording")).send().await.unwrap().error_for_status().unwrap();
    http.post(format!("{api}/start-recording")).send().await.unwrap().error_for_status().unwrap();

    let (refused, control) = (unique("refused"), unique("control"));
    let foreign = format!("tenants/globex/{refused}");
    let own = format!("tenants/acme/{refused}");
    let verdicts = [
        verdict!(acme, |c| c.get_object().bucket(FILES).key(&foreign)),
        verdict!(acme, |c| c.head_object().bucket(FILES).key(format!("tenants/acme-2/{refused}"))),
        verdict!(acme, |c| c.list_objects_v2().bucket(FILES).prefix(&foreign)),
        verdict!(acme, |c| c.get_object().bucket(ARCHIVE).key(&own)),
        verdict!(acme, |c| c.get_object().bucket(OTHER).key(&own)),
        verdict!(acme, |c| c.copy_object().bucket(FILES).key(&own).copy_source(format!("{FILES}/{foreign}"))),
        verdict!(acme, |c| c.delete_objects().bucket(FILES).delete(
            Delete::builder().objects(ObjectIdentifier::builder().key(&foreign).build().unwrap()).build().unwrap()
        )),
        verdict!(acme, |c| c.get_object().bucket(FILES).key(&own).customize().mutate_request(|r| {
            let uri = r.uri().replace("tenants/acme/", "tenants/globex/");
            r.set_uri(uri).unwrap();
        })),
    ];
    // The control: the tenant's own key (absent, so moto answers 404), which is sent.
    let allowed = verdict!(acme, |c| c.get_object().bucket(FILES).key(format!("tenants/acme/{control}")));
    http.post(format!("{api}/stop-recording")).send().await.unwrap().error_for_status().unwrap();
    let recording = http.get(format!("{api}/download-recording")).send().await.unwrap().text().await.unwrap();

    assert!(verdicts.iter().all(Option::is_some), "{verdicts:?}");
    assert_eq!(allowed, None);
    let seen: Vec<String> = recording
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|entry| {
            use base64::Engine as _;
            let body = entry["body"].as_str().unwrap_or_default();
            let body = if entry["body_encoded"] == true {
                base64::engine::general_purpose::STANDARD.decode(body).unwrap_or_default()
            } else {
                body.as_bytes().to_vec()
            };
            format!("{} {} {}", entry["url"], entry["headers"], String::from_utf8_lossy(&body))
        })
        .collect();
    assert!(seen.iter().any(|r| r.contains(&control)), "the recorder saw the allowed request: {seen:?}");
    assert!(!seen.iter().any(|r| r.contains(&refused)), "a refused request reached moto: {seen:?}");
}

/// Reads another tenant's object through the raw client and returns the SDK's error with `?`,
/// as ordinary code does.
#[tenant_isolated(buckets(files(bucket = "tenant-files", actions = [GetObject])))]
pub async fn careless_reader(
    files: TenantBucket,
    _request: lambda_http::Request,
) -> Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error> {
    files.client()?.get_object().bucket(files.bucket_name()?).key("tenants/globex/secret").send().await?;
    Ok(lambda_http::Response::new(lambda_http::Body::Empty))
}

/// The object guard's refusal answers 403 like the key guard's, not a Lambda error.
#[tokio::test]
async fn a_refused_object_request_returned_by_the_handler_answers_403() {
    let iso = isolation().await;
    let request = crate::common::request_of("alice");
    let response = careless_reader::call_with(&iso, request).await.expect("an HTTP response, not a Lambda error");
    assert_eq!(response.status(), 403);
}

/// Bounds fit for STS and DynamoDB calls and far too tight for moving objects: 100 ms per read
/// and per attempt, 300 ms per operation.
fn dynamodb_bounds() -> aws_smithy_types::timeout::TimeoutConfig {
    use std::time::Duration;
    aws_smithy_types::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_millis(100))
        .operation_attempt_timeout(Duration::from_millis(100))
        .operation_timeout(Duration::from_millis(300))
        .build()
}

/// An upload's transfer is part of its operation: the bounds made for STS and DynamoDB calls
/// (here 100 ms per attempt, 300 ms per operation) do not apply to S3, so an object that takes
/// longer than them to send is still written (red-team review, 2026-11-30: with them, 256 MiB
/// could never be). `s3_timeouts` bounds S3 operations when asked. Seen to fail with the S3
/// client built on the DynamoDB timeouts (`ObjectSettings::timeouts` = `timeouts`).
#[tokio::test]
async fn uploads_are_not_bound_by_the_dynamodb_timeouts() {
    use aws_smithy_types::timeout::TimeoutConfig;
    use std::time::{Duration, Instant};
    buckets(&shared().1.endpoint).await;
    let tight = dynamodb_bounds();
    let body = vec![b'x'; 48 << 20];
    let upload = |iso: Isolation, body: Vec<u8>| async move {
        let acme = scope(&iso, "acme").await;
        let client = acme.s3().unwrap().clone();
        let started = Instant::now();
        let sent = acme
            .run(client.put_object().bucket(FILES).key("tenants/acme/large.bin").body(ByteStream::from(body)).send())
            .await;
        (
            sent.map(|_| ()).map_err(|e| aws_smithy_types::error::display::DisplayErrorContext(e).to_string()),
            started.elapsed(),
        )
    };
    let iso = isolation_with(|b| b.s3_force_path_style(true).timeouts(tight.clone())).await;
    let (sent, took) = upload(iso, body.clone()).await;
    sent.unwrap();
    assert!(took > Duration::from_millis(300), "the upload took {took:?}: too short to show anything");
    let stored = admin().await.head_object().bucket(FILES).key("tenants/acme/large.bin").send().await.unwrap();
    assert_eq!(stored.content_length(), Some(48 << 20));
    // Asked for, a bound applies to S3 too.
    let bounded = TimeoutConfig::builder().operation_timeout(Duration::from_millis(50)).build();
    let iso = isolation_with(|b| b.s3_force_path_style(true).timeouts(tight).s3_timeouts(bounded)).await;
    let (sent, _) = upload(iso, body).await;
    assert!(sent.as_ref().is_err_and(|e| e.contains("timeout")), "{sent:?}");
}

/// `s3_timeouts` given a partial `TimeoutConfig` does not inherit the STS/DynamoDB bounds a
/// caller put in the `SdkConfig` (the S3 config builder fills unset fields from it): the fields
/// it leaves unset are the S3 defaults (red-team review of this change, 2026-11-30). Seen to fail
/// with `object_timeouts` returning the given config as it is (attempt and read bounds 100 ms).
#[tokio::test]
async fn s3_timeouts_do_not_inherit_the_sdk_configs_bounds() {
    use aws_smithy_types::timeout::TimeoutConfig;
    use std::time::Duration;
    buckets(&shared().1.endpoint).await;
    let tight = dynamodb_bounds();
    let sdk = sdk_config(&shared().1.endpoint).await.into_builder().timeout_config(tight).build();
    let bounds = |t: TimeoutConfig| (t.operation_timeout(), t.operation_attempt_timeout(), t.read_timeout());
    let iso = isolation_with(|b| b.sdk_config(sdk.clone()).s3_force_path_style(true)).await;
    let acme = scope(&iso, "acme").await;
    assert_eq!(bounds(acme.s3().unwrap().config().timeout_config().cloned().unwrap()), (None, None, None));
    let sixty = TimeoutConfig::builder().operation_timeout(Duration::from_secs(60)).build();
    let iso = isolation_with(|b| b.sdk_config(sdk.clone()).s3_force_path_style(true).s3_timeouts(sixty)).await;
    let acme = scope(&iso, "acme").await;
    let s3 = acme.s3().unwrap().clone();
    assert_eq!(bounds(s3.config().timeout_config().cloned().unwrap()), (Some(Duration::from_secs(60)), None, None));
    let body = ByteStream::from(vec![b'x'; 48 << 20]);
    let sent = acme.run(s3.put_object().bucket(FILES).key("tenants/acme/large-60s.bin").body(body).send()).await;
    assert!(sent.is_ok(), "{:?}", sent.err().map(aws_smithy_types::error::display::DisplayErrorContext));
}
