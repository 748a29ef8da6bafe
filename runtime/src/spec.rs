//! What the macro records about each handler.

use tenant_isolation_core::{Action, PolicySpec, TableName};

/// Everything the runtime needs to isolate one handler; the macro emits it as
/// `<handler>::SPEC`. Written by hand, it is the "equivalent code without the macro".
#[derive(Debug, Clone, Copy)]
pub struct HandlerSpec {
    /// The handler's function name.
    pub name: &'static str,
    /// `module_path!()` where it is defined.
    pub module_path: &'static str,
    /// The declared table name.
    pub table: &'static str,
    /// The environment variable that binds the physical table name at run time.
    pub table_env: Option<&'static str>,
    /// Declared secondary indexes.
    pub indexes: &'static [&'static str],
    /// Declared actions, sorted.
    pub actions: &'static [Action],
    /// The partition-key prefix, `TENANT#` by default.
    pub key_prefix: &'static str,
    /// The compact session-policy template; in session-tag mode, the role policy the
    /// handler needs (with `${aws:PrincipalTag/<tag>}` for the tenant).
    pub template: &'static str,
    /// Session-tag (ABAC) mode: the tag key that carries the tenant. `None`: session-policy mode.
    pub session_tag: Option<&'static str>,
    /// A hash of `template` and `table_env`: handlers with the same policy on the same
    /// table share credentials.
    pub policy_id: u64,
}

impl HandlerSpec {
    /// The handler's function name.
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// `module_path!()` where the handler is defined.
    pub fn module_path(&self) -> &'static str {
        self.module_path
    }
    /// The table name written in the attribute (the logical name).
    pub fn declared_table(&self) -> &'static str {
        self.table
    }
    /// The environment variable that binds the physical table name at run time.
    pub fn table_env(&self) -> Option<&'static str> {
        self.table_env
    }
    /// Declared secondary indexes.
    pub fn indexes(&self) -> &'static [&'static str] {
        self.indexes
    }
    /// Declared actions, sorted.
    pub fn actions(&self) -> &'static [Action] {
        self.actions
    }
    /// The partition-key prefix, `TENANT#` by default.
    pub fn key_prefix(&self) -> &'static str {
        self.key_prefix
    }
    /// The compact policy template (session-policy mode) or role policy (session-tag mode).
    pub fn template(&self) -> &'static str {
        self.template
    }
    /// Session-tag (ABAC) mode: the tag key that carries the tenant.
    pub fn session_tag(&self) -> Option<&'static str> {
        self.session_tag
    }

    /// The spec as the core crate's [`PolicySpec`] (for audit output and role policies).
    pub fn policy_spec(&self) -> PolicySpec {
        PolicySpec {
            table: match self.table_env {
                Some(var) => TableName::FromEnv { var: var.to_owned(), default: self.table.to_owned() },
                None => TableName::Fixed(self.table.to_owned()),
            },
            indexes: self.indexes.iter().map(|s| (*s).to_owned()).collect(),
            actions: self.actions.to_vec(),
            key_prefix: self.key_prefix.to_owned(),
        }
    }

    /// Whether `action` was declared.
    pub fn allows(&self, action: Action) -> bool {
        self.actions.contains(&action)
    }

    /// The physical table name: the `table_env` variable when set, else the declared name.
    pub fn table_name(&self) -> String {
        self.table_env.and_then(crate::config::env).unwrap_or_else(|| self.table.to_owned())
    }
}

/// Builds a [`HandlerSpec`] at run time from a [`PolicySpec`] (for code that does not use
/// the macro). The strings are leaked once: specs live for the whole process.
pub fn leak_spec(name: &str, spec: &PolicySpec) -> Result<&'static HandlerSpec, Vec<tenant_isolation_core::SpecError>> {
    let template = spec.build()?;
    let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
    let mut actions = spec.actions.clone();
    actions.sort();
    let (table, table_env) = match &spec.table {
        TableName::Fixed(t) => (leak(t), None),
        TableName::FromEnv { var, default } => (leak(default), Some(leak(var))),
    };
    let compact = leak(template.compact());
    Ok(Box::leak(Box::new(HandlerSpec {
        name: leak(name),
        module_path: "",
        table,
        table_env,
        indexes: Box::leak(spec.indexes.iter().map(|i| leak(i)).collect::<Vec<_>>().into_boxed_slice()),
        actions: Box::leak(actions.into_boxed_slice()),
        key_prefix: leak(&spec.key_prefix),
        template: compact,
        session_tag: None,
        policy_id: tenant_isolation_core::policy_id(&tenant_isolation_core::policy_key(compact, table_env)),
    })))
}
