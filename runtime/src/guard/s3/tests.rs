//! The object guard's pieces that are decided at signing: copy-source decoding, endpoint
//! addressing, the headers kept and refused.

use super::*;

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
