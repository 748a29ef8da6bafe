//! The operations of [`TenantSecrets`] (feature `secretsmanager`): each returns the SDK's
//! fluent builder with the tenant's secret name already set, and exists only where the
//! declaration declared the action it needs. The secret guard still checks what is sent (a name
//! changed on the builder is refused before signing).

use super::{AllowsNamed, NamedPolicy, SpecDeclaresNamed, TenantSecrets};
use crate::scope::ScopeError;
use crate::table::actions::{self, NamedActionMarker};
use aws_sdk_secretsmanager::operation::{
    create_secret::builders::CreateSecretFluentBuilder, delete_secret::builders::DeleteSecretFluentBuilder,
    describe_secret::builders::DescribeSecretFluentBuilder, get_secret_value::builders::GetSecretValueFluentBuilder,
    put_secret_value::builders::PutSecretValueFluentBuilder, update_secret::builders::UpdateSecretFluentBuilder,
};
use tenant_isolation_core::{NamedAction, Service};

// As for `TenantTable` and `TenantBucket`, each method states its action in its own `where`
// clause (an E0277 that shows `AllowsNamed`'s message), written out, and checked here against
// the core's one table, `NamedAction::for_operation`, at compile time: the handle and the
// secret guard read the same table and cannot drift.
const _: () = {
    const fn needs(operation: &str, action: NamedAction) -> bool {
        matches!(NamedAction::for_operation(Service::SecretsManager, operation), Some(a) if a as u8 == action as u8)
    }
    assert!(needs("GetSecretValue", <actions::GetSecretValue as NamedActionMarker>::ACTION));
    assert!(needs("DescribeSecret", <actions::DescribeSecret as NamedActionMarker>::ACTION));
    assert!(needs("PutSecretValue", <actions::PutSecretValue as NamedActionMarker>::ACTION));
    assert!(needs("CreateSecret", <actions::CreateSecret as NamedActionMarker>::ACTION));
    assert!(needs("DeleteSecret", <actions::DeleteSecret as NamedActionMarker>::ACTION));
    assert!(needs("UpdateSecret", <actions::UpdateSecret as NamedActionMarker>::ACTION));
};

impl<P: NamedPolicy> TenantSecrets<P> {
    /// The tenant's guarded Secrets Manager client, for options or operations this type has no
    /// method for. The compile-time check does not apply to it; the secret guard still does.
    ///
    /// ```no_run
    /// # use tenant_isolation::{AllowsNamed, TenantSecrets, actions::GetSecretValue};
    /// # async fn f(webhooks: &TenantSecrets<impl AllowsNamed<GetSecretValue>>) -> Result<(), lambda_http::Error> {
    /// let secrets = webhooks.client()?;
    /// let previous = secrets.get_secret_value().secret_id(webhooks.name("stripe")?).version_stage("AWSPREVIOUS");
    /// previous.send().await?;
    /// // Refused by the guard before signing: `ListSecretVersionIds` is no action a tenant
    /// // session is granted, and `tenants/globex/…` is not the tenant's.
    /// assert!(secrets.list_secret_version_ids().secret_id(webhooks.name("stripe")?).send().await.is_err());
    /// assert!(secrets.get_secret_value().secret_id("tenants/globex/stripe").send().await.is_err());
    /// # Ok(()) }
    /// ```
    pub fn client(&self) -> Result<aws_sdk_secretsmanager::Client, ScopeError> {
        Ok(self.scope()?.secretsmanager()?.clone())
    }

    /// The client and the tenant's secret name for `name`.
    fn target(&self, name: &str) -> Result<(aws_sdk_secretsmanager::Client, String), ScopeError> {
        let scope = self.scope()?;
        let id = self.model().names.name(scope.tenant(), name);
        Ok((scope.secretsmanager()?.clone(), id))
    }

    /// `GetSecretValue` of the tenant's secret `name` (`<prefix><tenant>/<name>`).
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantSecrets, actions::GetSecretValue};
    ///
    /// // A data-layer function: it can only be called with a declaration of `GetSecretValue`.
    /// async fn signing_key(webhooks: &TenantSecrets<impl AllowsNamed<GetSecretValue>>) -> Result<String, lambda_http::Error> {
    ///     let secret = webhooks.get_secret_value("stripe")?.send().await?;
    ///     Ok(secret.secret_string().unwrap_or_default().to_owned())
    /// }
    /// ```
    ///
    /// A handler that declared only `DescribeSecret` cannot read a value (E0277, "this
    /// declaration was not declared with `GetSecretValue`"):
    ///
    /// ```compile_fail,E0277
    /// use lambda_http::{Body, Error, Request, Response};
    /// use tenant_isolation::{TenantSecrets, tenant_isolated};
    ///
    /// #[tenant_isolated(secrets(webhooks(actions = [DescribeSecret])))]
    /// async fn peek(webhooks: TenantSecrets, _request: Request) -> Result<Response<Body>, Error> {
    ///     webhooks.get_secret_value("stripe")?.send().await?;
    ///     Ok(Response::new(Body::Empty))
    /// }
    /// ```
    pub fn get_secret_value(&self, name: &str) -> Result<GetSecretValueFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::GetSecretValue>,
    {
        let () = SpecDeclaresNamed::<P, actions::GetSecretValue>::CHECK;
        let (client, id) = self.target(name)?;
        Ok(client.get_secret_value().secret_id(id))
    }

    /// `DescribeSecret` of the tenant's secret `name`: its metadata, never its value.
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantSecrets, actions::DescribeSecret};
    ///
    /// async fn rotated(webhooks: &TenantSecrets<impl AllowsNamed<DescribeSecret>>) -> Result<bool, lambda_http::Error> {
    ///     Ok(webhooks.describe_secret("stripe")?.send().await?.last_rotated_date().is_some())
    /// }
    /// ```
    pub fn describe_secret(&self, name: &str) -> Result<DescribeSecretFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::DescribeSecret>,
    {
        let () = SpecDeclaresNamed::<P, actions::DescribeSecret>::CHECK;
        let (client, id) = self.target(name)?;
        Ok(client.describe_secret().secret_id(id))
    }

    /// `PutSecretValue` of the tenant's secret `name`: a new version; set the value.
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantSecrets, actions::PutSecretValue};
    ///
    /// async fn store(webhooks: &TenantSecrets<impl AllowsNamed<PutSecretValue>>, key: &str) -> Result<(), lambda_http::Error> {
    ///     webhooks.put_secret_value("stripe")?.secret_string(key).send().await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn put_secret_value(&self, name: &str) -> Result<PutSecretValueFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::PutSecretValue>,
    {
        let () = SpecDeclaresNamed::<P, actions::PutSecretValue>::CHECK;
        let (client, id) = self.target(name)?;
        Ok(client.put_secret_value().secret_id(id))
    }

    /// `CreateSecret` of the tenant's secret `name`; set the value. Tags and replica regions
    /// need actions no tenant session is granted: the guard refuses them.
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantSecrets, actions::CreateSecret};
    ///
    /// async fn first_key(webhooks: &TenantSecrets<impl AllowsNamed<CreateSecret>>, key: &str) -> Result<(), lambda_http::Error> {
    ///     webhooks.create_secret("stripe")?.secret_string(key).send().await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn create_secret(&self, name: &str) -> Result<CreateSecretFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::CreateSecret>,
    {
        let () = SpecDeclaresNamed::<P, actions::CreateSecret>::CHECK;
        let (client, id) = self.target(name)?;
        Ok(client.create_secret().name(id))
    }

    /// `DeleteSecret` of the tenant's secret `name` (recoverable within its recovery window,
    /// unless `force_delete_without_recovery` is set).
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantSecrets, actions::DeleteSecret};
    ///
    /// async fn forget(webhooks: &TenantSecrets<impl AllowsNamed<DeleteSecret>>) -> Result<(), lambda_http::Error> {
    ///     webhooks.delete_secret("stripe")?.recovery_window_in_days(7).send().await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn delete_secret(&self, name: &str) -> Result<DeleteSecretFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::DeleteSecret>,
    {
        let () = SpecDeclaresNamed::<P, actions::DeleteSecret>::CHECK;
        let (client, id) = self.target(name)?;
        Ok(client.delete_secret().secret_id(id))
    }

    /// `UpdateSecret` of the tenant's secret `name`: its value or description.
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantSecrets, actions::UpdateSecret};
    ///
    /// async fn describe(webhooks: &TenantSecrets<impl AllowsNamed<UpdateSecret>>) -> Result<(), lambda_http::Error> {
    ///     webhooks.update_secret("stripe")?.description("Stripe webhook signing key").send().await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn update_secret(&self, name: &str) -> Result<UpdateSecretFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::UpdateSecret>,
    {
        let () = SpecDeclaresNamed::<P, actions::UpdateSecret>::CHECK;
        let (client, id) = self.target(name)?;
        Ok(client.update_secret().secret_id(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::HandlerSpec;
    use crate::table::{Isolated, grant};
    use std::borrow::Cow;
    use tenant_isolation_core::{Confinement, HandlerModel, NameRule, NamedModel};

    /// A secrets capability type as the macro writes it: every action declared, and its spec
    /// declaring every secrets action too.
    enum Webhooks {}
    const NAMED: &[NamedModel] = &[NamedModel {
        name: Cow::Borrowed("webhooks"),
        actions: Cow::Borrowed(&[
            NamedAction::CreateSecret,
            NamedAction::DeleteSecret,
            NamedAction::DescribeSecret,
            NamedAction::GetSecretValue,
            NamedAction::PutSecretValue,
            NamedAction::UpdateSecret,
        ]),
        names: NameRule::new(Service::SecretsManager, "tenants/"),
    }];
    impl Isolated for Webhooks {
        const SPEC: &'static HandlerSpec = &HandlerSpec::from_macro(
            "webhooks",
            "",
            HandlerModel {
                tables: Cow::Borrowed(&[]),
                buckets: Cow::Borrowed(&[]),
                named: Cow::Borrowed(NAMED),
                confinement: Confinement::SessionPolicy,
            },
            "",
        );
    }
    macro_rules! every_action_declared {
        ($($(#[$doc:meta])* $service:ident $a:ident,)*) => {
            impl NamedPolicy for Webhooks {
                const NAMED: usize = 0;
                $(type $a = grant::Declared;)*
            }
        };
    }
    tenant_isolation_core::with_named_actions!(every_action_declared);

    #[test]
    fn every_operation_builds_for_a_type_that_agrees_with_its_spec() {
        // Each operation evaluates its compile-time check against the spec when it is
        // instantiated here; outside a scope each one then refuses, never panics.
        let webhooks = TenantSecrets::<Webhooks>::new();
        let outside = |r: Result<(), ScopeError>| assert_eq!(r, Err(ScopeError::Outside));
        outside(webhooks.client().map(drop));
        outside(webhooks.get_secret_value("a").map(drop));
        outside(webhooks.describe_secret("a").map(drop));
        outside(webhooks.put_secret_value("a").map(drop));
        outside(webhooks.create_secret("a").map(drop));
        outside(webhooks.delete_secret("a").map(drop));
        outside(webhooks.update_secret("a").map(drop));
    }
}
