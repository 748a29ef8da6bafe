//! TEMPORARY STUB (not committed): replaced by the identity branch.
#![allow(missing_docs)]
use crate::config::ConfigError;
use tenant_isolation_core::TenantId;
#[derive(Clone)]
pub struct Verifier {
    trusted: bool,
}
#[derive(Clone, Debug)]
pub struct Identity {
    pub tenant: TenantId,
    pub subject: Option<String>,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityErrorKind {
    Unauthenticated,
    Forbidden,
    Unavailable,
}
#[derive(Debug, thiserror::Error)]
#[error("identity: {0:?}")]
pub struct IdentityError(IdentityErrorKind);
impl IdentityError {
    pub fn kind(&self) -> IdentityErrorKind {
        self.0
    }
    pub fn missing_token() -> Self {
        IdentityError(IdentityErrorKind::Unauthenticated)
    }
}
impl Verifier {
    pub fn from_env() -> Result<Verifier, ConfigError> {
        Ok(Verifier { trusted: false })
    }
    pub async fn verify(&self, t: &str) -> Result<Identity, IdentityError> {
        TenantId::parse(t)
            .map(|tenant| Identity { tenant, subject: None })
            .map_err(|_| IdentityError(IdentityErrorKind::Forbidden))
    }
    pub fn identity_from_trusted_claims(
        &self,
        _c: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Identity, IdentityError> {
        Err(IdentityError(IdentityErrorKind::Unauthenticated))
    }
    pub fn trusts_authorizer_claims(&self) -> bool {
        self.trusted
    }
}
