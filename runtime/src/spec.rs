//! What the runtime knows about one handler: its name and its [`HandlerModel`], compiled.
//!
//! There is one way to get a [`HandlerSpec`] with a template: [`HandlerModel::compile`]. The
//! macro calls it at compile time (and writes the result into the expansion, for review);
//! [`HandlerSpec::new`] calls it at run time for code without the macro. Its fields are
//! private, and the runtime checks once per spec, before its first session, that the
//! template is what the model compiles to ([`HandlerSpec::verify`]): a template edited by
//! hand, or a model that claims more than its template grants, is refused before any STS call.

use crate::config::{self, Env};
use std::borrow::Cow;
use tenant_isolation_core::{
    BucketModel, HandlerModel, PhysicalName, Placement, PlacementError, RoleArn, SpecError, TableModel,
};

/// Everything the runtime needs to isolate one handler; the macro emits it as
/// `<handler>::SPEC`. Without the macro, build one with [`HandlerSpec::new`].
#[derive(Debug, Clone)]
pub struct HandlerSpec {
    name: Cow<'static, str>,
    module_path: Cow<'static, str>,
    model: HandlerModel,
    template: Cow<'static, str>,
}

/// A spec whose template is not what its model compiles to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecMismatch {
    /// The model does not compile.
    #[error("handler `{handler}`: its model does not compile: {}", list(.errors))]
    Invalid {
        /// The handler.
        handler: String,
        /// Every problem.
        errors: Vec<SpecError>,
    },
    /// The template differs from the compiled model's.
    #[error("handler `{handler}`: its policy template is not what its model compiles to")]
    Template {
        /// The handler.
        handler: String,
    },
}

/// Why a spec cannot be used in this deployment: its template does not match its model,
/// or its table cannot be placed (a bad physical name from its `table_env` variable).
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum SetupError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Spec(#[from] SpecMismatch),
}

impl SpecMismatch {
    /// Always [`ErrorKind::Internal`](crate::kind::ErrorKind::Internal) (500): a build problem, never
    /// the caller's.
    pub fn kind(&self) -> crate::kind::ErrorKind {
        crate::kind::ErrorKind::Internal
    }
}

fn list(errors: &[SpecError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl HandlerSpec {
    /// Compiles `model` for the handler `name`: the code-without-the-macro equivalent of
    /// `#[tenant_isolated(...)]`, reaching every mode the attribute reaches.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use tenant_isolation::HandlerSpec;
    /// use tenant_isolation::model::{Action, Confinement, HandlerModel, KeyRule, PhysicalName, TableModel};
    /// let orders = TableModel {
    ///     table: PhysicalName::FromEnv { var: "ORDERS_TABLE".into(), default: "Orders".into() },
    ///     indexes: Cow::Borrowed(&[]),
    ///     actions: Cow::Borrowed(&[Action::GetItem]),
    ///     keys: KeyRule::new("TENANT#"),
    /// };
    /// let model = HandlerModel::one_table(orders, Confinement::SessionTag("tenant".into()));
    /// let spec: &'static HandlerSpec = HandlerSpec::new("get_order", model).unwrap().leak();
    /// assert_eq!(spec.session_tag(), Some("tenant"));
    /// assert!(spec.verify().is_ok());
    /// ```
    pub fn new(name: impl Into<String>, model: HandlerModel) -> Result<HandlerSpec, Vec<SpecError>> {
        let compiled = model.compile()?;
        Ok(HandlerSpec {
            name: Cow::Owned(name.into()),
            module_path: Cow::Borrowed(""),
            model,
            template: Cow::Owned(compiled.template),
        })
    }

    /// What the macro emits (through `__private::handler_spec`): the model and the template
    /// it compiled at build time. Checked by [`HandlerSpec::verify`] before its first use.
    pub(crate) const fn from_macro(
        name: &'static str,
        module_path: &'static str,
        model: HandlerModel,
        template: &'static str,
    ) -> HandlerSpec {
        HandlerSpec {
            name: Cow::Borrowed(name),
            module_path: Cow::Borrowed(module_path),
            model,
            template: Cow::Borrowed(template),
        }
    }

    /// Gives the spec the `'static` lifetime that [`Isolation::enter`](crate::Isolation::enter)
    /// needs. Specs live for the whole process: build each once (e.g. in a `LazyLock`).
    pub fn leak(self) -> &'static HandlerSpec {
        Box::leak(Box::new(self))
    }

    /// Checks that the template is what the model compiles to.
    pub fn verify(&self) -> Result<(), SpecMismatch> {
        match self.model.compile() {
            Ok(compiled) if compiled.template == self.template => Ok(()),
            Ok(_) => Err(SpecMismatch::Template { handler: self.name.to_string() }),
            Err(errors) => Err(SpecMismatch::Invalid { handler: self.name.to_string(), errors }),
        }
    }

    /// The handler's function name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// `module_path!()` where the handler is defined (empty without the macro).
    pub fn module_path(&self) -> &str {
        &self.module_path
    }
    /// The model the spec was compiled from. A `const fn`: the typed handles read it at
    /// compile time (`HandlerModel::table_declares`).
    pub const fn model(&self) -> &HandlerModel {
        &self.model
    }
    /// The handler's tables, in declaration order.
    pub fn tables(&self) -> &[TableModel] {
        &self.model.tables
    }
    /// The handler's buckets, in declaration order.
    pub fn buckets(&self) -> &[BucketModel] {
        &self.model.buckets
    }
    /// The compact policy template (session-policy mode) or role policy (session-tag mode).
    pub fn template(&self) -> &str {
        &self.template
    }
    /// Session-tag (ABAC) mode: the tag key that carries the tenant.
    pub fn session_tag(&self) -> Option<&str> {
        self.model.session_tag()
    }

    /// The physical table names, in declaration order: each table's `table_env` variable when
    /// set, else its declared name. Reads the process environment now: for deploy-time tools;
    /// an [`Isolation`](crate::Isolation) binds names from the environment it captured when it
    /// was built.
    pub fn table_names(&self) -> Vec<String> {
        self.table_names_in(&Env::live())
    }

    /// The physical bucket names, in declaration order (`bucket_env`, else the declared name).
    /// Reads the process environment now, as [`table_names`](Self::table_names) does.
    pub fn bucket_names(&self) -> Vec<String> {
        self.bucket_names_in(&Env::live())
    }

    /// The physical names of the shared queues (`queues(name(queue = ..., queue_env = ...))`), in
    /// declaration order (`queue_env`, else the declared name). Reads the process environment
    /// now, as [`table_names`](Self::table_names) does.
    pub fn queue_names(&self) -> Vec<String> {
        self.queue_names_in(&Env::live())
    }

    /// The ids of the customer-managed KMS keys of the handler's secrets and parameters
    /// (`kms_key`, `kms_key_env`), in declaration order (`kms_key_env`, else the declared id;
    /// empty when neither is set). Reads the process environment now, as
    /// [`table_names`](Self::table_names) does.
    pub fn kms_key_ids(&self) -> Vec<String> {
        self.kms_key_ids_in(&Env::live())
    }

    /// [`kms_key_ids`](Self::kms_key_ids) with the variables of `env`.
    pub(crate) fn kms_key_ids_in(&self, env: &Env) -> Vec<String> {
        self.model.kms_keys().map(|k| physical_in(k, env)).collect()
    }

    /// Where the handler's policy is placed in the deployment of `role` in `region`: the role's
    /// partition and account, and every physical name and KMS key id the environment binds
    /// ([`table_names`](Self::table_names), [`bucket_names`](Self::bucket_names),
    /// [`queue_names`](Self::queue_names), [`kms_key_ids`](Self::kms_key_ids)), each validated.
    /// What the runtime renders the handler's policy with; reads the process environment now, for
    /// deploy-time tools (the `policies` audit).
    pub fn placement(&self, role: &RoleArn, region: &str) -> Result<Placement, PlacementError> {
        self.placement_in(role, region, &Env::live())
    }

    /// [`placement`](Self::placement) with the variables of `env`.
    pub(crate) fn placement_in(&self, role: &RoleArn, region: &str, env: &Env) -> Result<Placement, PlacementError> {
        fn refs(names: &[String]) -> Vec<&str> {
            names.iter().map(String::as_str).collect()
        }
        let (tables, buckets) = (self.table_names_in(env), self.bucket_names_in(env));
        let (queues, kms_keys) = (self.queue_names_in(env), self.kms_key_ids_in(env));
        Placement::new(role.partition(), region, role.account(), &refs(&tables), &refs(&buckets))
            .and_then(|p| p.with_queues(&refs(&queues)))
            .and_then(|p| p.with_kms_keys(&refs(&kms_keys)))
    }

    /// [`queue_names`](Self::queue_names) with the variables of `env`.
    pub(crate) fn queue_names_in(&self, env: &Env) -> Vec<String> {
        self.model.shared_queues().map(|q| physical_in(&q.queue, env)).collect()
    }

    /// [`table_names`](Self::table_names) with the variables of `env`.
    pub(crate) fn table_names_in(&self, env: &Env) -> Vec<String> {
        self.model.tables.iter().map(|t| physical_in(&t.table, env)).collect()
    }

    /// [`bucket_names`](Self::bucket_names) with the variables of `env`.
    pub(crate) fn bucket_names_in(&self, env: &Env) -> Vec<String> {
        self.model.buckets.iter().map(|b| physical_in(&b.bucket, env)).collect()
    }

    /// The variables that bind physical names at run time, in declaration order (tables, then
    /// buckets, then shared queues, then KMS keys; `None` for a fixed name).
    fn bindings(&self) -> impl Iterator<Item = Option<&str>> {
        let tables = self.model.tables.iter().map(|t| t.table.env_var());
        let buckets = self.model.buckets.iter().map(|b| b.bucket.env_var());
        let queues = self.model.shared_queues().map(|q| q.queue.env_var());
        tables.chain(buckets).chain(queues).chain(self.model.kms_keys().map(PhysicalName::env_var))
    }

    /// Whether two specs run under one policy: the same template on the same name bindings.
    /// Handlers with one policy share credentials and a client.
    pub fn same_policy(&self, other: &HandlerSpec) -> bool {
        std::ptr::eq(self, other) || (self.template == other.template && self.bindings().eq(other.bindings()))
    }
}

/// A physical name as the runtime resolves it: its variable's value when set (trimmed; an
/// empty value counts as unset), else the declared name. The `policies` audit names tables and
/// buckets with it too, so that the role it prints grants what the runtime will ask for. Reads
/// the process environment now (the runtime reads the environment it captured at build).
pub fn physical_name(name: &PhysicalName) -> String {
    physical_in(name, &Env::live())
}

/// [`physical`] with the variables of `env`.
pub(crate) fn physical_in(name: &PhysicalName, env: &Env) -> String {
    name.env_var().and_then(|var| env.var(var)).unwrap_or_else(|| name.declared().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenant_isolation_core::{Action, Confinement, KeyRule};

    fn model(actions: &'static [Action]) -> HandlerModel {
        HandlerModel::one_table(
            TableModel {
                table: PhysicalName::Fixed("Orders".into()),
                indexes: Cow::Borrowed(&[]),
                actions: Cow::Borrowed(actions),
                keys: KeyRule::new("TENANT#"),
            },
            Confinement::SessionPolicy,
        )
    }

    #[test]
    fn a_template_that_is_not_the_models_is_refused() {
        let narrow = HandlerSpec::new("h", model(&[Action::GetItem])).unwrap();
        assert_eq!(narrow.verify(), Ok(()));
        // A model that claims `PutItem` behind a template that grants only `GetItem`: the
        // guard would let the put through while IAM refuses it, or the other way round.
        let forged = HandlerSpec::from_macro("h", "", model(&[Action::GetItem, Action::PutItem]), "{}");
        assert_eq!(forged.verify(), Err(SpecMismatch::Template { handler: "h".into() }));
        let forged = HandlerSpec {
            template: narrow.template.clone(),
            ..HandlerSpec::new("h", model(&[Action::PutItem])).unwrap()
        };
        assert!(forged.verify().is_err());
        let bad = HandlerSpec::from_macro("h", "", model(&[]), "");
        assert!(matches!(bad.verify(), Err(SpecMismatch::Invalid { .. })));
    }
}
