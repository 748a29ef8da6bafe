//! The operations of [`TenantParameters`] (feature `ssm`): each returns the SDK's fluent builder
//! with the tenant's parameter names (or path) already set, and exists only where the
//! declaration declared the action it needs. The parameter guard still checks what is sent (a
//! name or path changed on the builder is refused before signing).

use super::{AllowsNamed, NamedPolicy, SpecDeclaresNamed, TenantParameters};
use crate::scope::ScopeError;
use crate::table::actions::{self, NamedActionMarker};
use aws_sdk_ssm::operation::{
    delete_parameter::builders::DeleteParameterFluentBuilder,
    delete_parameters::builders::DeleteParametersFluentBuilder, get_parameter::builders::GetParameterFluentBuilder,
    get_parameter_history::builders::GetParameterHistoryFluentBuilder,
    get_parameters::builders::GetParametersFluentBuilder,
    get_parameters_by_path::builders::GetParametersByPathFluentBuilder,
    put_parameter::builders::PutParameterFluentBuilder,
};
use tenant_isolation_core::{NamedAction, Service};

// Each method's action, held to the core's one table at compile time (as in `secrets.rs`).
const _: () = {
    const fn needs(operation: &str, action: NamedAction) -> bool {
        matches!(NamedAction::for_operation(Service::Ssm, operation), Some(a) if a as u8 == action as u8)
    }
    assert!(needs("GetParameter", <actions::GetParameter as NamedActionMarker>::ACTION));
    assert!(needs("GetParameters", <actions::GetParameters as NamedActionMarker>::ACTION));
    assert!(needs("GetParametersByPath", <actions::GetParametersByPath as NamedActionMarker>::ACTION));
    assert!(needs("GetParameterHistory", <actions::GetParameterHistory as NamedActionMarker>::ACTION));
    assert!(needs("PutParameter", <actions::PutParameter as NamedActionMarker>::ACTION));
    assert!(needs("DeleteParameter", <actions::DeleteParameter as NamedActionMarker>::ACTION));
    assert!(needs("DeleteParameters", <actions::DeleteParameters as NamedActionMarker>::ACTION));
};

impl<P: NamedPolicy> TenantParameters<P> {
    /// The tenant's guarded Systems Manager client, for options or operations this type has no
    /// method for. The compile-time check does not apply to it; the parameter guard still does.
    ///
    /// ```no_run
    /// # use tenant_isolation::{AllowsNamed, TenantParameters, actions::GetParameter};
    /// # async fn f(settings: &TenantParameters<impl AllowsNamed<GetParameter>>) -> Result<(), lambda_http::Error> {
    /// let ssm = settings.client()?;
    /// ssm.get_parameter().name(settings.name("flags")?).with_decryption(true).send().await?;
    /// // Refused by the guard before signing: another tenant's parameter.
    /// assert!(ssm.get_parameter().name("/tenants/globex/flags").send().await.is_err());
    /// # Ok(()) }
    /// ```
    pub fn client(&self) -> Result<aws_sdk_ssm::Client, ScopeError> {
        Ok(self.scope()?.ssm()?.clone())
    }

    /// The client and the tenant's parameter name for each of `names`.
    fn targets<'n>(
        &self,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Result<(aws_sdk_ssm::Client, Vec<String>), ScopeError> {
        let scope = self.scope()?;
        let rule = &self.model().names;
        let names = names.into_iter().map(|n| rule.name(scope.tenant(), n)).collect();
        Ok((scope.ssm()?.clone(), names))
    }

    /// The client and the tenant's parameter name for `name`.
    fn target(&self, name: &str) -> Result<(aws_sdk_ssm::Client, String), ScopeError> {
        let (client, mut names) = self.targets([name])?;
        Ok((client, names.pop().unwrap_or_default()))
    }

    /// `GetParameter` of the tenant's parameter `name` (`<prefix><tenant>/<name>`; a `:3` or
    /// `:label` selector may follow the name).
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantParameters, actions::GetParameter};
    ///
    /// // A data-layer function: it can only be called with a declaration of `GetParameter`.
    /// async fn flags(settings: &TenantParameters<impl AllowsNamed<GetParameter>>) -> Result<String, lambda_http::Error> {
    ///     let out = settings.get_parameter("flags")?.send().await?;
    ///     Ok(out.parameter().and_then(|p| p.value()).unwrap_or_default().to_owned())
    /// }
    /// ```
    ///
    /// A handler that declared only `PutParameter` cannot read one (E0277, "this declaration was
    /// not declared with `GetParameter`"):
    ///
    /// ```compile_fail,E0277
    /// use lambda_http::{Body, Error, Request, Response};
    /// use tenant_isolation::{TenantParameters, tenant_isolated};
    ///
    /// #[tenant_isolated(parameters(settings(actions = [PutParameter])))]
    /// async fn peek(settings: TenantParameters, _request: Request) -> Result<Response<Body>, Error> {
    ///     settings.get_parameter("flags")?.send().await?;
    ///     Ok(Response::new(Body::Empty))
    /// }
    /// ```
    pub fn get_parameter(&self, name: &str) -> Result<GetParameterFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::GetParameter>,
    {
        let () = SpecDeclaresNamed::<P, actions::GetParameter>::CHECK;
        let (client, name) = self.target(name)?;
        Ok(client.get_parameter().name(name))
    }

    /// `GetParameters` of the tenant's parameters `names` (Parameter Store takes at most 10 per
    /// request).
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantParameters, actions::GetParameters};
    ///
    /// async fn both(settings: &TenantParameters<impl AllowsNamed<GetParameters>>) -> Result<usize, lambda_http::Error> {
    ///     Ok(settings.get_parameters(["flags", "limits"])?.send().await?.parameters().len())
    /// }
    /// ```
    pub fn get_parameters<I>(&self, names: I) -> Result<GetParametersFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::GetParameters>,
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let () = SpecDeclaresNamed::<P, actions::GetParameters>::CHECK;
        let names: Vec<I::Item> = names.into_iter().collect();
        let (client, names) = self.targets(names.iter().map(AsRef::as_ref))?;
        Ok(client.get_parameters().set_names(Some(names)))
    }

    /// `GetParametersByPath` of the tenant's path `<prefix><tenant>`; add `.recursive(true)` for
    /// every level below it (all of it the tenant's).
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantParameters, actions::GetParametersByPath};
    ///
    /// async fn all(settings: &TenantParameters<impl AllowsNamed<GetParametersByPath>>) -> Result<Vec<String>, lambda_http::Error> {
    ///     let out = settings.get_parameters_by_path()?.recursive(true).send().await?;
    ///     Ok(out.parameters().iter().filter_map(|p| p.name()).map(str::to_owned).collect())
    /// }
    /// ```
    pub fn get_parameters_by_path(&self) -> Result<GetParametersByPathFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::GetParametersByPath>,
    {
        let () = SpecDeclaresNamed::<P, actions::GetParametersByPath>::CHECK;
        let scope = self.scope()?;
        let path = self.model().names.root(scope.tenant());
        Ok(scope.ssm()?.get_parameters_by_path().path(path))
    }

    /// `GetParametersByPath` of the path `sub` under the tenant's: `<prefix><tenant>/<sub>`.
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantParameters, actions::GetParametersByPath};
    ///
    /// async fn limits(settings: &TenantParameters<impl AllowsNamed<GetParametersByPath>>) -> Result<usize, lambda_http::Error> {
    ///     Ok(settings.get_parameters_by_path_under("limits")?.send().await?.parameters().len())
    /// }
    /// ```
    pub fn get_parameters_by_path_under(&self, sub: &str) -> Result<GetParametersByPathFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::GetParametersByPath>,
    {
        let () = SpecDeclaresNamed::<P, actions::GetParametersByPath>::CHECK;
        let (client, path) = self.target(sub)?;
        Ok(client.get_parameters_by_path().path(path))
    }

    /// `GetParameterHistory` of the tenant's parameter `name`.
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantParameters, actions::GetParameterHistory};
    ///
    /// async fn versions(settings: &TenantParameters<impl AllowsNamed<GetParameterHistory>>) -> Result<usize, lambda_http::Error> {
    ///     Ok(settings.get_parameter_history("flags")?.send().await?.parameters().len())
    /// }
    /// ```
    pub fn get_parameter_history(&self, name: &str) -> Result<GetParameterHistoryFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::GetParameterHistory>,
    {
        let () = SpecDeclaresNamed::<P, actions::GetParameterHistory>::CHECK;
        let (client, name) = self.target(name)?;
        Ok(client.get_parameter_history().name(name))
    }

    /// `PutParameter` of the tenant's parameter `name`; set the value (and `overwrite(true)` to
    /// replace one). Tags need an action no tenant session is granted: the guard refuses them.
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantParameters, actions::PutParameter};
    ///
    /// async fn set_flags(settings: &TenantParameters<impl AllowsNamed<PutParameter>>, flags: &str) -> Result<(), lambda_http::Error> {
    ///     settings.put_parameter("flags")?.value(flags).overwrite(true).send().await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn put_parameter(&self, name: &str) -> Result<PutParameterFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::PutParameter>,
    {
        let () = SpecDeclaresNamed::<P, actions::PutParameter>::CHECK;
        let (client, name) = self.target(name)?;
        Ok(client.put_parameter().name(name))
    }

    /// `DeleteParameter` of the tenant's parameter `name`.
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantParameters, actions::DeleteParameter};
    ///
    /// async fn clear(settings: &TenantParameters<impl AllowsNamed<DeleteParameter>>) -> Result<(), lambda_http::Error> {
    ///     settings.delete_parameter("flags")?.send().await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn delete_parameter(&self, name: &str) -> Result<DeleteParameterFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::DeleteParameter>,
    {
        let () = SpecDeclaresNamed::<P, actions::DeleteParameter>::CHECK;
        let (client, name) = self.target(name)?;
        Ok(client.delete_parameter().name(name))
    }

    /// `DeleteParameters` of the tenant's parameters `names` (at most 10 per request).
    ///
    /// ```no_run
    /// use tenant_isolation::{AllowsNamed, TenantParameters, actions::DeleteParameters};
    ///
    /// async fn clear_all(settings: &TenantParameters<impl AllowsNamed<DeleteParameters>>) -> Result<(), lambda_http::Error> {
    ///     settings.delete_parameters(["flags", "limits"])?.send().await?;
    ///     Ok(())
    /// }
    /// ```
    pub fn delete_parameters<I>(&self, names: I) -> Result<DeleteParametersFluentBuilder, ScopeError>
    where
        P: AllowsNamed<actions::DeleteParameters>,
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let () = SpecDeclaresNamed::<P, actions::DeleteParameters>::CHECK;
        let names: Vec<I::Item> = names.into_iter().collect();
        let (client, names) = self.targets(names.iter().map(AsRef::as_ref))?;
        Ok(client.delete_parameters().set_names(Some(names)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::HandlerSpec;
    use crate::table::{Isolated, grant};
    use std::borrow::Cow;
    use tenant_isolation_core::{Confinement, HandlerModel, NameRule, NamedModel};

    /// A parameters capability type as the macro writes it: every action declared, and its spec
    /// declaring every parameters action too.
    enum Settings {}
    const NAMED: &[NamedModel] = &[NamedModel {
        name: Cow::Borrowed("settings"),
        actions: Cow::Borrowed(&[
            NamedAction::DeleteParameter,
            NamedAction::DeleteParameters,
            NamedAction::GetParameter,
            NamedAction::GetParameterHistory,
            NamedAction::GetParameters,
            NamedAction::GetParametersByPath,
            NamedAction::PutParameter,
        ]),
        names: NameRule::new(Service::Ssm, "/tenants/"),
    }];
    impl Isolated for Settings {
        const SPEC: &'static HandlerSpec = &HandlerSpec::from_macro(
            "settings",
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
            impl NamedPolicy for Settings {
                const NAMED: usize = 0;
                $(type $a = grant::Declared;)*
            }
        };
    }
    tenant_isolation_core::with_named_actions!(every_action_declared);

    #[test]
    fn every_operation_builds_for_a_type_that_agrees_with_its_spec() {
        let settings = TenantParameters::<Settings>::new();
        let outside = |r: Result<(), ScopeError>| assert_eq!(r, Err(ScopeError::Outside));
        outside(settings.client().map(drop));
        outside(settings.get_parameter("a").map(drop));
        outside(settings.get_parameters(["a", "b"]).map(drop));
        outside(settings.get_parameters_by_path().map(drop));
        outside(settings.get_parameters_by_path_under("a").map(drop));
        outside(settings.get_parameter_history("a").map(drop));
        outside(settings.put_parameter("a").map(drop));
        outside(settings.delete_parameter("a").map(drop));
        outside(settings.delete_parameters(["a"]).map(drop));
    }
}
