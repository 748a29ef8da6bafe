//! A customer-managed KMS key that encrypts one declaration's secrets or `SecureString`
//! parameters: `secrets(webhooks(..., kms_key_env = "WEBHOOKS_KEY"))`. What a tenant's session
//! needs on the key, and what confines it to the tenant's own values.
//!
//! Secrets and parameters encrypted with the AWS managed keys (`aws/secretsmanager`,
//! `aws/ssm`) need no KMS permission in the caller's policy; a customer-managed key does: the
//! service calls KMS on the caller's behalf, with the caller's permissions ("If the secret is
//! encrypted using a customer-managed key instead of the AWS managed key aws/secretsmanager,
//! then you also need kms:Decrypt permissions for that key": Secrets Manager API Reference,
//! `GetSecretValue`; "Any principal that retrieves the decrypted value must have kms:Decrypt
//! permission on that key": Systems Manager User Guide, "Restricting decryption of
//! SecureString parameter values").
//!
//! **The confinement is the encryption context.** Each service passes the resource's ARN in
//! the encryption context of every call it makes to KMS for it: Secrets Manager
//! `{"SecretARN": "<the secret's ARN>", "SecretVersionId": "…"}` (AWS Secrets Manager User
//! Guide, "Secret encryption and decryption", "Secrets Manager encryption context"), Parameter
//! Store `{"PARAMETER_ARN": "<the parameter's ARN>"}` (Systems Manager User Guide, "How
//! Parameter Store uses AWS KMS", "Parameter Store encryption context"). IAM reads it as
//! `kms:EncryptionContext:SecretARN` / `kms:EncryptionContext:PARAMETER_ARN` (Service
//! Authorization Reference, "AWS Key Management Service": `kms:EncryptionContext:${Key}`), so
//! the grant on the key carries the same tenant patterns as the grant on the names
//! ([`crate::NameRule::resources`]): a tenant's session may use the key only for its own
//! secrets' or parameters' values. And the context is bound to the ciphertext (the same
//! encryption context must be given to decrypt what was encrypted with it: AWS KMS Developer
//! Guide, "Encryption context"): a session that named its own ARN in a context could not decrypt a data key that
//! was encrypted under another tenant's.
//!
//! No `kms:ViaService` condition is written: it would tie the grant to one partition's
//! endpoint names, and it adds nothing between tenants (the encryption context already names
//! the tenant's resource; the runtime gives a handler no KMS client at all).

use crate::named::{NamedAction, Service};

/// The length of a KMS key id: a UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`) or a
/// multi-Region key's `mrk-` and 32 hex digits (AWS KMS Developer Guide, "Key identifiers
/// (KeyId)"). The policy's worst-case size counts a key bound at run time at this length.
pub const KMS_KEY_ID_LEN: usize = 36;

/// [`is_valid_kms_key_id`] as a regular expression (a CloudFormation `AllowedPattern`): the
/// value is written into the key's ARN in role policies (`…:key/${WebhooksKey}`), where `*` would
/// grant every key of the account.
pub const KMS_KEY_ID_PATTERN: &str =
    "^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$";

/// A KMS key id, as the key's ARN ends (`…:key/<id>`): a lowercase UUID, or `mrk-` and 32
/// lowercase hex digits. Not an alias (`alias/…`) or an ARN: IAM authorizes `kms:Decrypt`
/// against the key's own ARN, and an alias's ARN in a policy's `Resource` controls the alias,
/// not the key it points to (AWS KMS Developer Guide, "Use aliases to control access to KMS
/// keys", which uses the `kms:RequestAlias` and `kms:ResourceAliases` condition keys instead).
///
/// ```
/// use tenant_isolation_core::is_valid_kms_key_id;
/// assert!(is_valid_kms_key_id("1234abcd-12ab-34cd-56ef-1234567890ab"));
/// assert!(is_valid_kms_key_id("mrk-1234abcd12ab34cd56ef1234567890ab"));
/// for bad in ["", "alias/webhooks", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "*", "1234abcd-12ab-34cd-56ef-1234567890a*"] {
///     assert!(!is_valid_kms_key_id(bad), "{bad}");
/// }
/// ```
pub fn is_valid_kms_key_id(id: &str) -> bool {
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if let Some(rest) = id.strip_prefix("mrk-") {
        return rest.len() == 32 && hex(rest);
    }
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]) && groups.iter().all(|g| hex(g))
}

impl Service {
    /// The encryption-context key under which the service passes a resource's ARN to KMS:
    /// `SecretARN` (Secrets Manager), `PARAMETER_ARN` (Parameter Store); `None` for SQS,
    /// whose keys a declaration cannot name (queues are encrypted by the deployment).
    pub const fn encryption_context_key(self) -> Option<&'static str> {
        match self {
            Service::SecretsManager => Some("SecretARN"),
            Service::Ssm => Some("PARAMETER_ARN"),
            Service::Sqs => None,
        }
    }
}

impl NamedAction {
    /// The KMS actions the service calls on a customer-managed key, with the caller's
    /// permissions, when a tenant session performs this action; empty for one that reads or
    /// writes no value.
    ///
    /// * Secrets Manager: reading a value decrypts its data key (`kms:Decrypt`); storing one
    ///   asks KMS for a new data key, and a customer-managed key needs both
    ///   `kms:GenerateDataKey` and `kms:Decrypt` on it (Secrets Manager API Reference,
    ///   `CreateSecret`, "Required permissions"; `PutSecretValue` and `UpdateSecret` create a
    ///   version the same way).
    /// * Parameter Store: reading a `SecureString` with decryption calls `kms:Decrypt`;
    ///   writing one calls `kms:Encrypt` (standard tier) or `kms:GenerateDataKey` (advanced
    ///   tier; Systems Manager User Guide, "How Parameter Store uses AWS KMS").
    ///   `GetParameterHistory` returns the values of earlier versions, decrypted on request.
    pub const fn kms_actions(self) -> &'static [&'static str] {
        match self {
            NamedAction::GetSecretValue => &["kms:Decrypt"],
            NamedAction::CreateSecret | NamedAction::PutSecretValue | NamedAction::UpdateSecret => {
                &["kms:Decrypt", "kms:GenerateDataKey"]
            }
            NamedAction::GetParameter
            | NamedAction::GetParameters
            | NamedAction::GetParametersByPath
            | NamedAction::GetParameterHistory => &["kms:Decrypt"],
            NamedAction::PutParameter => &["kms:Encrypt", "kms:GenerateDataKey"],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_uuids_or_multi_region_ids_and_nothing_else() {
        assert!(is_valid_kms_key_id("0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f"));
        assert!(is_valid_kms_key_id("mrk-0123456789abcdef0123456789abcdef"));
        for bad in [
            "0B4F5E0C-2A1D-4C3B-9E8F-7A6B5C4D3E2F",
            "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2",
            "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2f0",
            "0b4f5e0c2a1d4c3b9e8f7a6b5c4d3e2f0000",
            "0b4f5e0c-2a1d-4c3b-9e8f-7a6b5c4d3e2g",
            "mrk-0123456789abcdef0123456789abcde",
            "mrk-*",
            "${aws:PrincipalTag/k}",
            "alias/aws/secretsmanager",
        ] {
            assert!(!is_valid_kms_key_id(bad), "{bad}");
        }
        assert_eq!("mrk-0123456789abcdef0123456789abcdef".len(), KMS_KEY_ID_LEN);
    }

    #[test]
    fn only_actions_that_read_or_write_a_value_use_the_key() {
        for a in NamedAction::ALL {
            let uses = !a.kms_actions().is_empty();
            let expected = matches!(
                a.name(),
                "GetSecretValue"
                    | "CreateSecret"
                    | "PutSecretValue"
                    | "UpdateSecret"
                    | "GetParameter"
                    | "GetParameters"
                    | "GetParametersByPath"
                    | "GetParameterHistory"
                    | "PutParameter"
            );
            assert_eq!(uses, expected, "{a}");
            assert!(a.service().encryption_context_key().is_some() || !uses, "{a}");
        }
    }
}
