//! Which declared actions each DynamoDB API operation needs: the one table read by the key
//! guard (to refuse an operation the handler did not declare), by the typed handle (whose
//! `Allows<…>` bounds are checked against it at compile time) and by the macro (to say what
//! to declare instead of `TransactWriteItems`).
//!
//! API operations and IAM actions differ: IAM authorises each item of a transaction through
//! its item action, and each PartiQL statement through the `PartiQL*` action of its verb
//! (DynamoDB Developer Guide, "Using IAM with transactions" and "IAM policies with PartiQL").

use crate::action::Action;

/// What an operation needs declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Exactly this action.
    Action(Action),
    /// Per item, the action of the item's kind ([`TransactItem::action`]).
    PerItem(&'static [TransactItem]),
    /// Per statement, the action of the statement's verb ([`partiql_action`]).
    PerStatement,
    /// Nothing can make it a tenant operation (Scan, table administration, …).
    Refused,
}

macro_rules! operations {
    ($($name:ident => $needs:expr,)*) => {
        /// A DynamoDB API operation the key guard knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Operation {
            $(#[doc = concat!("`", stringify!($name), "`.")] $name,)*
        }

        impl Operation {
            /// Every operation the guard knows.
            pub const ALL: &'static [Operation] = &[$(Operation::$name,)*];

            /// The API operation's name, e.g. `TransactWriteItems`.
            pub const fn name(self) -> &'static str {
                match self { $(Operation::$name => stringify!($name),)* }
            }

            /// What the operation needs declared.
            pub const fn needs(self) -> Needs {
                match self { $(Operation::$name => $needs,)* }
            }
        }
    };
}

operations! {
    GetItem => Needs::Action(Action::GetItem),
    PutItem => Needs::Action(Action::PutItem),
    UpdateItem => Needs::Action(Action::UpdateItem),
    DeleteItem => Needs::Action(Action::DeleteItem),
    Query => Needs::Action(Action::Query),
    BatchGetItem => Needs::Action(Action::BatchGetItem),
    BatchWriteItem => Needs::Action(Action::BatchWriteItem),
    // IAM authorises each `Get` of `TransactGetItems` as `dynamodb:GetItem`.
    TransactGetItems => Needs::PerItem(&[TransactItem::Get]),
    TransactWriteItems => Needs::PerItem(&[
        TransactItem::Put,
        TransactItem::Update,
        TransactItem::Delete,
        TransactItem::ConditionCheck,
    ]),
    ExecuteStatement => Needs::PerStatement,
    BatchExecuteStatement => Needs::PerStatement,
    ExecuteTransaction => Needs::PerStatement,
    Scan => Needs::Refused,
}

impl Operation {
    /// Looks an operation up by its API name.
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|o| o.name() == name)
    }

    /// The item actions a transaction operation may need (empty for other operations).
    pub fn item_actions(self) -> Vec<Action> {
        match self.needs() {
            Needs::PerItem(items) => items.iter().map(|i| i.action()).collect(),
            _ => Vec::new(),
        }
    }
}

/// The kind of one item of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactItem {
    /// A `Get` of `TransactGetItems`.
    Get,
    /// A `Put` of `TransactWriteItems`.
    Put,
    /// An `Update`.
    Update,
    /// A `Delete`.
    Delete,
    /// A `ConditionCheck`.
    ConditionCheck,
}

impl TransactItem {
    /// The IAM action that authorises the item.
    pub const fn action(self) -> Action {
        match self {
            TransactItem::Get => Action::GetItem,
            TransactItem::Put => Action::PutItem,
            TransactItem::Update => Action::UpdateItem,
            TransactItem::Delete => Action::DeleteItem,
            TransactItem::ConditionCheck => Action::ConditionCheckItem,
        }
    }
}

/// The `PartiQL*` action of a statement's verb (its first word, any case), or `None` for a
/// statement that is not `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
///
/// ```
/// use tenant_isolation_core::{Action, partiql_action};
/// assert_eq!(partiql_action(r#"select * from "Orders" where pk = ?"#), Some(Action::PartiQLSelect));
/// assert_eq!(partiql_action("EXISTS(...)"), None);
/// ```
pub fn partiql_action(statement: &str) -> Option<Action> {
    let verb = statement.split_whitespace().next()?;
    [
        ("SELECT", Action::PartiQLSelect),
        ("INSERT", Action::PartiQLInsert),
        ("UPDATE", Action::PartiQLUpdate),
        ("DELETE", Action::PartiQLDelete),
    ]
    .into_iter()
    .find(|(v, _)| verb.eq_ignore_ascii_case(v))
    .map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_action_operations_need_their_namesake() {
        for op in Operation::ALL {
            if let Needs::Action(a) = op.needs() {
                assert_eq!(a.name(), op.name());
            }
        }
        assert_eq!(Operation::from_name("Scan").map(Operation::needs), Some(Needs::Refused));
    }

    #[test]
    fn transactions_need_their_item_actions() {
        assert_eq!(Operation::TransactGetItems.item_actions(), [Action::GetItem]);
        assert_eq!(
            Operation::TransactWriteItems.item_actions(),
            [Action::PutItem, Action::UpdateItem, Action::DeleteItem, Action::ConditionCheckItem]
        );
    }

    #[test]
    fn partiql_verbs() {
        assert_eq!(partiql_action("  Insert into \"T\" value {}"), Some(Action::PartiQLInsert));
        assert_eq!(partiql_action("UPDATE \"T\" SET a = 1"), Some(Action::PartiQLUpdate));
        assert_eq!(partiql_action("delete from \"T\""), Some(Action::PartiQLDelete));
        assert_eq!(partiql_action(""), None);
    }
}
